/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_sysfs - the devices that keep an IOMMU group from being viable
 * are named from sysfs (a fake tree laid out like /sys/bus/pci/devices).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spapr_sysfs.h"
#include "test_util.h"

static char root[64];

/* root/devices/@addr with iommu_group -> .../@group and driver -> .../@driver. */
static void add_device(const char *addr, int group, const char *driver)
{
	char path[256], target[256];

	snprintf(path, sizeof(path), "%s/devices/%s", root, addr);
	T_EQ(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/devices/%s/iommu_group", root, addr);
	snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
	T_EQ(symlink(target, path), 0);
	if (driver == NULL)
		return;
	snprintf(path, sizeof(path), "%s/devices/%s/driver", root, addr);
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
	T_EQ(symlink(target, path), 0);
}

static void make_tree(void)
{
	char path[128];

	snprintf(root, sizeof(root), "/tmp/spapr-sysfs-test-%d", (int)getpid());
	T_EQ(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/devices", root);
	T_EQ(mkdir(path, 0755), 0);
	add_device("0000:01:00.0", 7, "vfio-pci");
	add_device("0000:01:00.1", 7, "e1000e");
	add_device("0000:01:00.2", 7, NULL);
	add_device("0000:01:00.3", 7, "pcieport");
	add_device("0000:01:00.4", 7, "pci-stub");
	add_device("0000:02:00.0", 8, "ixgbe");
	add_device("0000:02:00.1", 8, "mlx5_core");
	add_device("0000:03:00.0", 9, "vfio-pci");
	add_device("0000:04:00.0", 17, "bnxt_en");	/* "17" must not match "7" */
}

static void test_names_the_blocking_device(void)
{
	char devices[128], out[256];

	snprintf(devices, sizeof(devices), "%s/devices", root);
	T_EQ(spapr_sysfs_group_blockers(devices, 7, out, sizeof(out)), 1);
	T_CHECK(strcmp(out, "0000:01:00.1 (bound to e1000e)") == 0);
	T_EQ(spapr_sysfs_group_blockers(devices, 8, out, sizeof(out)), 2);
	T_CHECK(strstr(out, "0000:02:00.0 (bound to ixgbe)") != NULL);
	T_CHECK(strstr(out, "0000:02:00.1 (bound to mlx5_core)") != NULL);
	T_CHECK(strstr(out, ", ") != NULL);
}

static void test_viable_group_names_none(void)
{
	char devices[128], out[64] = "x";

	snprintf(devices, sizeof(devices), "%s/devices", root);
	T_EQ(spapr_sysfs_group_blockers(devices, 9, out, sizeof(out)), 0);
	T_EQ(out[0], '\0');
	T_EQ(spapr_sysfs_group_blockers(devices, 42, out, sizeof(out)), 0);
}

static void test_short_buffer_still_counts(void)
{
	char devices[128], out[8];

	snprintf(devices, sizeof(devices), "%s/devices", root);
	T_EQ(spapr_sysfs_group_blockers(devices, 8, out, sizeof(out)), 2);
	T_EQ(strlen(out), sizeof(out) - 1);
}

static void test_missing_directory(void)
{
	char out[16];

	T_EQ(spapr_sysfs_group_blockers("/nonexistent/spapr/devices", 7, out, sizeof(out)), -ENOENT);
	T_EQ(out[0], '\0');
}

int main(void)
{
	char cmd[128];
	int rc;

	make_tree();
	T_RUN(test_names_the_blocking_device);
	T_RUN(test_viable_group_names_none);
	T_RUN(test_short_buffer_still_counts);
	T_RUN(test_missing_directory);
	rc = t_finish();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return rc;
}
