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
 * Device hotplug (drivers/bus/spapr/spapr_hotplug.c) wraps struct rte_bus's
 * plug(dev) and unplug(dev), which rte_dev_probe() and rte_dev_remove() call
 * (local_dev_probe, local_dev_remove): the same fields and signatures in
 * 22.11, 24.11 and 25.11, so there is nothing here for them. 26.07 replaces
 * them by probe_device(drv, dev) and unplug_device(dev) (doc/plugin.md,
 * "Hotplug"): the wrappers' compat entry goes here then.
 */

#endif /* SPAPR_DPDK_COMPAT_H */
