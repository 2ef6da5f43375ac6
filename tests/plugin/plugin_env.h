/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * plugin_env.h - hugepages for the plugin tests: as root, make sure 2 MiB
 * hugepages are reserved (at most 512 = 1 GiB) and hugetlbfs is mounted at a
 * private mount point; otherwise skip (exit 77) with the reason.
 */
#ifndef PLUGIN_ENV_H
#define PLUGIN_ENV_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spapr_util.h"
#include "test_util.h"

#define PLUGIN_HUGE_DIR "/dev/hugepages-spapr-test"
#define PLUGIN_HUGE_NR "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define PLUGIN_HUGE_FREE "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

/* Did the plugin log a line with @what to @log (the stream the test gave
 * rte_openlog_stream) since the stream was opened? */
static inline bool plugin_log_has(FILE *log, const char *what)
{
	char line[2048];
	bool found = false;

	fflush(log);
	rewind(log);
	while (fgets(line, sizeof(line), log))
		if (strstr(line, "spapr: ") && strstr(line, what))
			found = true;
	fseek(log, 0, SEEK_END);
	return found;
}

static int plugin_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	int found = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " " PLUGIN_HUGE_DIR " hugetlbfs "))
			found = 1;
	fclose(f);
	return found;
}

/*
 * Free 2 MiB hugepages after raising nr_hugepages so that @need_free are
 * free (at most 512 reserved in all); -1 without hugepage support.
 */
static long plugin_hugepages_raise(long need_free)
{
	long nr = spapr_read_long(PLUGIN_HUGE_NR, -1);
	long fr = spapr_read_long(PLUGIN_HUGE_FREE, -1);

	if (nr < 0 || fr < 0)
		return -1;
	if (fr < need_free && nr + (need_free - fr) <= 512) {
		FILE *f = fopen(PLUGIN_HUGE_NR, "w");

		if (f != NULL) {
			fprintf(f, "%ld\n", nr + (need_free - fr));
			fclose(f);
		}
		fr = spapr_read_long(PLUGIN_HUGE_FREE, -1);
	}
	return fr;
}

/* Returns the hugetlbfs directory to pass with --huge-dir, or skips. */
static const char *plugin_hugepages(long need_free)
{
	long fr;

	if (geteuid() != 0)
		T_SKIP("needs root to reserve and mount 2 MiB hugepages");
	fr = plugin_hugepages_raise(need_free);
	if (fr < 0)
		T_SKIP("no 2 MiB hugepage support (%s)", PLUGIN_HUGE_NR);
	if (fr < need_free)
		T_SKIP("only %ld free 2 MiB hugepages, need %ld", fr, need_free);
	mkdir(PLUGIN_HUGE_DIR, 0755);
	if (!plugin_mounted() &&
	    mount("nodev", PLUGIN_HUGE_DIR, "hugetlbfs", 0, "pagesize=2M") != 0)
		T_SKIP("cannot mount hugetlbfs at %s: %s", PLUGIN_HUGE_DIR, strerror(errno));
	return PLUGIN_HUGE_DIR;
}

/*
 * A profile file: the PowerVM SR-IOV VF with a hypervisor TCE budget of
 * @tces 64 KiB TCEs and a 16 MiB default window, so that the indirect
 * window is cut by the budget (@tces * 64 KiB). Written to @path (len 64).
 */
static inline int plugin_capped_profile(char *path, unsigned long tces)
{
	FILE *f;

	snprintf(path, 64, "/tmp/spapr-capped-%d.conf", (int)getpid());
	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "base = pseries-powervm-sriov-vf\nlargest_available_block = %lu\n"
		"dma32_size = 16M\n", tces);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Remove the EAL runtime directory of @prefix (after rte_eal_cleanup). */
static void plugin_rm_runtime(const char *prefix)
{
	char cmd[256];

	if (prefix[0] == '\0' || strchr(prefix, '/') || strchr(prefix, '\''))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '/var/run/dpdk/%s'", prefix);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove /var/run/dpdk/%s\n", prefix);
}

#endif /* PLUGIN_ENV_H */
