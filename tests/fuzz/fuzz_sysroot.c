/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_sysroot - libFuzzer target for spapr-info's readers of /proc and
 * /sys (apps/spapr-info/info_read.c) through --sysroot: the input builds a
 * fake tree, then spapr-info reads it, makes its report and prints it as
 * JSON (to /dev/null). Any tree must end in a report: no hang (the run's
 * -timeout), no crash, no sanitizer report.
 *
 * Input: records "<selector> <kind> <content...> 0xff". The selector picks
 * one of the files spapr-info reads (or, for the last two, names a hugepage
 * or NUMA-node directory by the content); kind 0 writes the content, 1 makes
 * a FIFO, 2 a symlink to /dev/zero, 3 a symlink whose target is the
 * content (how sysfs gives drivers and IOMMU groups).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char *const files[] = {
	"proc/cpuinfo",
	"proc/sys/kernel/osrelease",
	"proc/self/smaps",
	"proc/self/limits",
	"proc/self/status",
	"proc/device-tree/hypervisor/compatible",
	"sys/module/vfio_iommu_spapr_tce/refcnt",
	"sys/devices/system/node/node0/cpulist",
	"sys/devices/system/node/node1/cpulist",
	"sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
	"sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
	"sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages",
	"sys/devices/system/node/node0/hugepages/hugepages-1048576kB/free_hugepages",
	"sys/bus/pci/devices/0000:01:00.0/class",
	"sys/bus/pci/devices/0000:01:00.0/vendor",
	"sys/bus/pci/devices/0000:01:00.0/numa_node",
	"sys/bus/pci/devices/0000:01:00.0/driver",
	"sys/bus/pci/devices/0000:01:00.0/iommu_group",
	"sys/bus/pci/devices/0000:02:00.0/driver",
	"sys/bus/pci/devices/0000:02:00.0/iommu_group",
	"dev/vfio/vfio",
	"sys/kernel/mm/hugepages/%s/nr_hugepages",
	"sys/devices/system/node/%s/cpulist",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static char root[64];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f);

static void remove_tree(void)
{
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs: a tree is built for every input, on disk that is slow. */
	snprintf(root, sizeof(root), "%s/fuzz-sysroot-%d",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
	/* The report goes to stdout: keep the fuzzer's output readable. */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	atexit(remove_tree);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

static void make_parents(char *path)
{
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
}

/* A directory name from fuzz bytes: no '/', not "." or "..", not empty. */
static void dir_name(const uint8_t *c, size_t n, char *out, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 1 < len; i++)
		if (c[i] != '/' && c[i] != '\0')
			out[j++] = (char)c[i];
	out[j] = '\0';
	if (!strcmp(out, "") || !strcmp(out, ".") || !strcmp(out, ".."))
		snprintf(out, len, "x");
}

static void make_entry(unsigned int sel, unsigned int kind, const uint8_t *c, size_t n)
{
	char rel[300], path[400], name[64], target[256];
	size_t tn = n < sizeof(target) - 1 ? n : sizeof(target) - 1;
	int fd;

	if (strchr(files[sel], '%')) {
		dir_name(c, n, name, sizeof(name));
		snprintf(rel, sizeof(rel), files[sel], name);
		kind = 0;
		c = (const uint8_t *)"1\n";
		n = 2;
	} else {
		snprintf(rel, sizeof(rel), "%s", files[sel]);
	}
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	make_parents(path);
	remove(path);
	switch (kind) {
	case 0:
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			if (write(fd, c, n) < 0)
				perror(path);
			close(fd);
		}
		break;
	case 1:
		mkfifo(path, 0600);
		break;
	case 2:
		if (symlink("/dev/zero", path))
			perror(path);
		break;
	default:
		memcpy(target, c, tn);
		target[tn] = '\0';
		if (symlink(target[0] ? target : "x", path))
			perror(path);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct info_machine m;
	static struct info_report r;
	struct info_opts o = { .sysroot = root };
	size_t i = 0;

	if (size > 8192)
		return 0;
	remove_tree();
	mkdir(root, 0755);
	while (i + 2 <= size) {
		unsigned int sel = data[i] % NFILES, kind = data[i + 1] & 3;
		const uint8_t *c = data + i + 2;
		const uint8_t *end = memchr(c, 0xff, size - i - 2);
		size_t n = end ? (size_t)(end - c) : size - i - 2;

		make_entry(sel, kind, c, n);
		i += 2 + n + (end != NULL);
	}
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	info_read_machine(root, &m);
	info_make_report(&o, &m, &r);
	info_print_json(&o, &m, &r);
	fflush(stdout);
	return 0;
}
