/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_bus_spapr.h - public API of librte_bus_spapr.so, the DPDK EAL
 * plugin (DPDK 22.11, 24.11 and 25.11) that sets up the POWER sPAPR TCE IOMMU
 * with lib/dma for every device DPDK drives (see doc/plugin.md).
 *
 * Usage: add "-d librte_bus_spapr.so" (or its full path) to the EAL
 * arguments; options go in "-a bus=spapr,key=value,..." or the environment
 * variable SPAPR_DPDK_OPTS. Applications need this header only to look
 * inside (plan, stats, the host model in model mode) or to map memory DPDK
 * does not manage (rte_spapr_dma_map). Link with the plugin for these.
 *
 * All functions are for the primary process, after rte_eal_init(), from
 * control threads (not thread-safe against each other); rte_spapr_dma_iova()
 * may be called from any thread.
 *
 * The plugin exports exactly the functions listed in its version.map: the
 * rte_spapr_* API below, the read-only lib/dma container accessors declared
 * in spapr_dma.h (spapr_dma_container_plan, _stats, _window) for the
 * containers rte_spapr_container() returns, and the host-model functions of
 * spapr_model.h that act on the model rte_spapr_model() returns (device
 * DMA, PE state and reset, introspection). Include those headers for them;
 * this one only declares the types it names.
 */
#ifndef RTE_BUS_SPAPR_H
#define RTE_BUS_SPAPR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct spapr_model;		/* spapr_model.h */
struct spapr_dma_container;	/* spapr_dma.h */

/** Set-up state: 0 = set up; -EAGAIN = not yet probed; else -errno of the failure. */
int rte_spapr_status(void);

/** The failure message (empty when rte_spapr_status() is 0). */
const char *rte_spapr_error(void);

/** The host model when the plugin runs with backend=model, else NULL. */
struct spapr_model *rte_spapr_model(void);

/** Number of containers the plugin set up, and the i-th (NULL if out of range). */
unsigned int rte_spapr_containers(void);
struct spapr_dma_container *rte_spapr_container(unsigned int i);

/** IOMMU group numbers of container @i (up to @max); returns the count or -EINVAL. */
int rte_spapr_container_groups(unsigned int i, int *groups, unsigned int max);

/**
 * The parked groups of container @i (up to @max; @groups may be NULL when
 * @max is 0): groups whose devices were all removed while other groups of
 * the shared window (PowerNV) were in use, kept attached because a detach
 * makes the kernel clear the whole window's TCEs. They are among those of
 * rte_spapr_container_groups() and go with the container when its last
 * group in use leaves. Returns the count or -EINVAL.
 */
int rte_spapr_container_groups_parked(unsigned int i, int *groups, unsigned int max);

/**
 * The IOVA of @va: what the devices use (identical in every container), or
 * UINT64_MAX when @va is not DMA-able.
 */
uint64_t rte_spapr_dma_iova(const void *va);

/**
 * Make user memory that DPDK does not manage DMA-able in every container of
 * the plugin (unlike rte_dev_dma_map(), which only reaches DPDK's default
 * container). @va and @len must be aligned to @page_size, the backing page
 * size (hugepage size, or the system page size). The IOVA is then given by
 * rte_spapr_dma_iova(). Returns 0 or -errno. Safe to call from any thread,
 * also while DPDK grows or shrinks its memory.
 */
int rte_spapr_dma_map(void *va, size_t len, size_t page_size);

/**
 * Undo rte_spapr_dma_map(): [@va, @va+@len) must be whole pages of memory
 * rte_spapr_dma_map() mapped (all of a call's range, or part of it). Memory
 * of DPDK (memzones, heaps) is refused with -EINVAL and stays mapped: DPDK
 * has cached its IOVAs. Returns 0 or -errno.
 */
int rte_spapr_dma_unmap(void *va, size_t len);

/** Summary of what the plugin did. */
struct rte_spapr_info {
	int status;			/**< rte_spapr_status() */
	const char *backend;		/**< "vfio" or "model" */
	const char *profile;		/**< model profile name ("" for vfio) */
	const char *policy;		/**< auto, direct, indirect */
	int eal_iova_va;		/**< 1: EAL runs IOVA as VA; 0: as PA */
	int iovas_rewritten;		/**< 1: memseg IOVAs were set to window IOVAs */
	unsigned int containers;
	unsigned int groups;
	uint64_t mem_bytes;		/**< DMA memory made available */
	uint64_t mem_events;		/**< memory hotplug events handled */
	uint64_t mem_event_errors;
	uint64_t growth_room;		/**< bytes of memory growth the windows can still map */
	uint64_t growth_denied;	/**< allocations denied because they could not be mapped */
	int secondary;			/**< 1: a secondary process, which sets nothing up: the
					 * primary's containers and IOVAs serve it */
	uint64_t populate_refused;	/**< mempool chunks refused: memory no window maps */
};
void rte_spapr_info_get(struct rte_spapr_info *info);

/** One-line plan of container @i (as logged at INFO). Returns length or -EINVAL. */
int rte_spapr_plan_line(unsigned int i, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* RTE_BUS_SPAPR_H */
