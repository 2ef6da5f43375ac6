/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_dpdk_compat.h - every difference between the DPDK LTS versions the
 * drivers build for (22.11, 24.11, 25.11), in one place. The drivers call the
 * names below and contain no DPDK version test of their own; meson
 * (drivers/meson.build) refuses any other DPDK version before this header is
 * compiled. The measured differences are in doc/dpdk-versions.md.
 *
 * It includes no DPDK header but rte_version.h: what it names is declared by
 * the header its user includes anyway (rte_telemetry.h, ethdev_driver.h).
 */
#ifndef SPAPR_DPDK_COMPAT_H
#define SPAPR_DPDK_COMPAT_H

#include <rte_version.h>

#define SPAPR_DPDK_AT_LEAST(year, month) (RTE_VERSION >= RTE_VERSION_NUM(year, month, 0, 0))

/*
 * Telemetry: an unsigned dict value is rte_tel_data_add_dict_u64() in 22.11,
 * rte_tel_data_add_dict_uint() from 23.03 on; _u64 is deprecated (a warning,
 * an error under -Werror) from 23.03 and removed in 25.11.
 */
#if SPAPR_DPDK_AT_LEAST(23, 3)
#define spapr_compat_tel_add_dict_uint rte_tel_data_add_dict_uint
#else
#define spapr_compat_tel_add_dict_uint rte_tel_data_add_dict_u64
#endif

/*
 * eth_dev_ops.stats_get: up to 24.11 the per-queue counters (q_ipackets,
 * q_ibytes, q_opackets, q_obytes, q_errors) are fields of struct
 * rte_eth_stats; 25.11 moved them to a separate struct eth_queue_stats (same
 * field names) that ethdev passes as a third argument, possibly NULL.
 * A driver writes one function
 *	int fn(struct rte_eth_dev *, struct rte_eth_stats *,
 *	       spapr_compat_queue_stats *qstats)	// qstats may be NULL
 * then SPAPR_COMPAT_DEFINE_STATS_GET(fn); (the ';' closes an empty
 * struct declaration) and sets
 * .stats_get = SPAPR_COMPAT_STATS_GET_OP(fn).
 */
struct rte_eth_dev;
struct rte_eth_stats;
#if SPAPR_DPDK_AT_LEAST(25, 11)
struct eth_queue_stats;
typedef struct eth_queue_stats spapr_compat_queue_stats;
#define SPAPR_COMPAT_DEFINE_STATS_GET(fn) struct fn##_compat
#define SPAPR_COMPAT_STATS_GET_OP(fn) fn
#else
typedef struct rte_eth_stats spapr_compat_queue_stats;
#define SPAPR_COMPAT_DEFINE_STATS_GET(fn) \
	static int fn##_compat(struct rte_eth_dev *dev, struct rte_eth_stats *stats) \
	{ \
		return fn(dev, stats, stats); \
	} \
	struct fn##_compat
#define SPAPR_COMPAT_STATS_GET_OP(fn) fn##_compat
#endif

/*
 * The EAL's VFIO multi-process channel (lib/eal/linux/eal_vfio.h and
 * eal_vfio_mp_sync.c, internal: the wire format between the processes of
 * one DPDK build). A secondary's EAL asks the primary's action
 * "eal_vfio_mp_sync" for the default container, a group fd and the IOMMU
 * type of the default container; drivers/bus/spapr/spapr_vfio_mp.c answers
 * them in the primary for the plugin's containers.
 *
 * Two formats exist, and they differ by stable release, not by LTS: DPDK
 * commit 8a8c02d2bb ("vfio: fix custom containers in multiprocess", in
 * 25.11 and backported to 22.11.11) made rte_vfio_get_container_fd() return
 * the default container (before: a new container on every call), dropped
 * the default-container request (0x400) and renumbered the IOMMU-type
 * request from 0x800 to 0x400. Both are answered; the plugin tells them
 * apart at run time (rte_vfio_get_container_fd() returns the same fd
 * twice, or two new ones), since the library may be another stable release
 * of the LTS it was built for. Measured in the sources: v22.11 to 22.11.10,
 * v23.11 to 23.11.7 and v24.11 to 24.11.6 have the old format, 22.11.11
 * (Debian 12) and v25.11 the new one; Debian 13's 24.11.8 has the old one
 * (its rte_vfio.h: "Open a new VFIO container fd").
 *
 * Also by release: 22.11 and 23.11 register the action after the bus probe
 * (eal.c, "Register mp action after probe()"), 24.11 and 25.11 in
 * rte_vfio_enable(), before it. The plugin finds out which at run time as
 * well (rte_mp_action_register() of the name succeeds or says EEXIST).
 */
#define SPAPR_COMPAT_VFIO_MP_ACTION "eal_vfio_mp_sync"
#define SPAPR_COMPAT_VFIO_REQ_CONTAINER 0x100	/* rte_vfio_get_container_fd() */
#define SPAPR_COMPAT_VFIO_REQ_GROUP 0x200
#define SPAPR_COMPAT_VFIO_REQ_IOMMU_TYPE 0x400	/* of the default container */
/* The same requests before 8a8c02d2bb (0x100 and 0x200 are unchanged). */
#define SPAPR_COMPAT_VFIO_OLD_REQ_DEFAULT_CONTAINER 0x400
#define SPAPR_COMPAT_VFIO_OLD_REQ_IOMMU_TYPE 0x800
#define SPAPR_COMPAT_VFIO_OK 0x0
#define SPAPR_COMPAT_VFIO_NO_FD 0x1
#define SPAPR_COMPAT_VFIO_ERR 0xFF

struct spapr_compat_vfio_mp_param {
	int req;
	int result;
	union {
		int group_num;
		int iommu_type_id;
	};
};

/*
 * Device hotplug (drivers/bus/spapr/spapr_hotplug.c) wraps struct rte_bus's
 * plug(dev) and unplug(dev), which rte_dev_probe() and rte_dev_remove() call
 * (local_dev_probe, local_dev_remove): the same fields and signatures in
 * 22.11, 24.11 and 25.11, so there is nothing here for them. 26.07 replaces
 * them by probe_device(drv, dev) and unplug_device(dev) (doc/plugin.md,
 * "Hotplug"): the wrappers' compat entry goes here then.
 */

#endif /* SPAPR_DPDK_COMPAT_H */
