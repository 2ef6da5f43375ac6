/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_sysfs.h - what sysfs says about a device's IOMMU group (private to
 * the plugin; no DPDK dependency, so it is unit-tested on any machine).
 */
#ifndef SPAPR_SYSFS_H
#define SPAPR_SYSFS_H

#include <stddef.h>

/*
 * Names the PCI devices that keep IOMMU group @group from being viable, as
 * "0000:01:00.1 (bound to e1000e), ...", into @out. @pci_devices is the
 * sysfs PCI device directory (/sys/bus/pci/devices, or DPDK's
 * SYSFS_PCI_DEVICES). The kernel lets a group into a container only when each
 * of its devices has no driver or a driver that leaves DMA to VFIO
 * (iommu_group_claim_dma_owner(): vfio-pci and the other vfio drivers,
 * pci-stub, pcieport; doc/kernel-model.md §4).
 * Returns the number of such devices (0: none found, @out empty), or a
 * negative errno when the directory cannot be read.
 */
int spapr_sysfs_group_blockers(const char *pci_devices, int group, char *out, size_t len);

#endif /* SPAPR_SYSFS_H */
