/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * plugin_env.h - hugepages for the plugin tests: as root, make sure 2 MiB
 * hugepages are reserved (at most 512 = 1 GiB) and hugetlbfs is mounted at a
 * private mount point; otherwise skip (exit 77) with the reason.
 */
#ifndef PLUGIN_ENV_H
#define PLUGIN_ENV_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

#define PLUGIN_HUGE_DIR "/dev/hugepages-spapr-test"
#define PLUGIN_HUGE_NR "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define PLUGIN_HUGE_FREE "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

static long plugin_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
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

/* Returns the hugetlbfs directory to pass with --huge-dir, or skips. */
static const char *plugin_hugepages(long need_free)
{
	long nr, fr;

	if (geteuid() != 0)
		T_SKIP("needs root to reserve and mount 2 MiB hugepages");
	nr = plugin_read_long(PLUGIN_HUGE_NR);
	fr = plugin_read_long(PLUGIN_HUGE_FREE);
	if (nr < 0)
		T_SKIP("no 2 MiB hugepage support (%s)", PLUGIN_HUGE_NR);
	if (fr < need_free && nr + (need_free - fr) <= 512) {
		FILE *f = fopen(PLUGIN_HUGE_NR, "w");

		if (f != NULL) {
			fprintf(f, "%ld\n", nr + (need_free - fr));
			fclose(f);
		}
		fr = plugin_read_long(PLUGIN_HUGE_FREE);
	}
	if (fr < need_free)
		T_SKIP("only %ld free 2 MiB hugepages, need %ld", fr, need_free);
	mkdir(PLUGIN_HUGE_DIR, 0755);
	if (!plugin_mounted() &&
	    mount("nodev", PLUGIN_HUGE_DIR, "hugetlbfs", 0, "pagesize=2M") != 0)
		T_SKIP("cannot mount hugetlbfs at %s: %s", PLUGIN_HUGE_DIR, strerror(errno));
	return PLUGIN_HUGE_DIR;
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
