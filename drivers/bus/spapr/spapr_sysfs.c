/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_sysfs.c - reading a device's IOMMU group and driver from sysfs.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spapr_sysfs.h"

/* The last path component of symlink @dir/@name, into @out ("" if none). */
static void link_target_name(const char *dir, const char *name, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *base;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	if (snprintf(out, len, "%s", base != NULL ? base + 1 : target) >= (int)len)
		out[0] = '\0';	/* longer than any group number or driver name */
}

/* Drivers that leave the device's DMA to VFIO (driver_managed_dma). */
static bool driver_allows_vfio(const char *driver)
{
	return driver[0] == '\0' || strncmp(driver, "vfio", 4) == 0 ||
	       strcmp(driver, "pci-stub") == 0 || strcmp(driver, "pcieport") == 0;
}

int spapr_sysfs_group_blockers(const char *pci_devices, int group, char *out, size_t len)
{
	DIR *d = opendir(pci_devices);
	struct dirent *e;
	char dev[PATH_MAX], buf[64], want[32];
	size_t used = 0;
	int found = 0;

	if (len > 0)
		out[0] = '\0';
	if (d == NULL)
		return -errno;
	snprintf(want, sizeof(want), "%d", group);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' ||
		    snprintf(dev, sizeof(dev), "%s/%s", pci_devices, e->d_name) >= (int)sizeof(dev))
			continue;
		link_target_name(dev, "iommu_group", buf, sizeof(buf));
		if (strcmp(buf, want) != 0)
			continue;
		link_target_name(dev, "driver", buf, sizeof(buf));
		if (driver_allows_vfio(buf))
			continue;
		if (used < len) {
			int n = snprintf(out + used, len - used, "%s%s (bound to %s)",
					 found ? ", " : "", e->d_name, buf);
			used += n > 0 ? (size_t)n : 0;
		}
		found++;
	}
	closedir(d);
	return found;
}
