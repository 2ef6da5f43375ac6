/* SPDX-License-Identifier: BSD-3-Clause */
/* spapr_priv.h - state shared by the plugin's files (private). */
#ifndef SPAPR_PRIV_H
#define SPAPR_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>
#include <rte_memory.h>
#include <rte_per_lcore.h>

struct rte_device;

#include "spapr_dma.h"
#include "spapr_model.h"
#include "spapr_opts.h"

extern int spapr_bus_logtype;
#define SPAPR_LOG(level, ...) \
	rte_log(RTE_LOG_ ## level, spapr_bus_logtype, "spapr: " __VA_ARGS__)

#define SPAPR_MAX_CONTAINERS 64
#define SPAPR_MAX_GROUPS_PER_CONTAINER 8
#define SPAPR_ERR_LEN 1024

struct spapr_container_ref {
	struct spapr_dma_container *c;
	int groups[SPAPR_MAX_GROUPS_PER_CONTAINER];	/* group numbers */
	unsigned int ngroups;
	/* The handles lib/dma was attached to: DPDK's container fd and the
	 * plugin's own duplicates of DPDK's group fds (vfio mode), or the
	 * plugin's model handles (model mode). */
	int container_handle;
	int group_handles[SPAPR_MAX_GROUPS_PER_CONTAINER];
	/* vfio mode: the group fds DPDK recorded (bus_pci's devices use them);
	 * DPDK closes one when the last device of its group is released. */
	int dpdk_fds[SPAPR_MAX_GROUPS_PER_CONTAINER];
	/* Groups whose last device left while others of the shared window were
	 * in use: still attached, held by the plugin's reference alone, since a
	 * detach would make the kernel clear every TCE of the window, the other
	 * groups' too (§4, ML-CLEAR). They go with the container. */
	bool parked[SPAPR_MAX_GROUPS_PER_CONTAINER];
};

/*
 * What hotplug needs from a backend mode (spapr_hotplug.c): vfio mode
 * (spapr_vfio_mode.c) and model mode (spapr_setup.c).
 */
struct spapr_hotplug_ops {
	/* The bus whose plug/unplug are wrapped: "pci" or "vdev". */
	const char *bus;
	/* True if @dev is a device of the plugin's, with its IOMMU group. */
	bool (*dev_group)(const struct rte_device *dev, int *group);
	/* Open @group and set it to @ref's container (windows shared). */
	int (*join)(struct spapr_container_ref *ref, int group);
	/* A new container for @group, every DMA mapping made: spapr.cont[ncont++]. */
	int (*create)(int group);
	/* UNSET_CONTAINER and close the group of @ref at @slot; 0 or -errno. */
	int (*unset)(struct spapr_container_ref *ref, unsigned int slot);
	/* Close the container of @ref, which has no group left. */
	void (*close_container)(struct spapr_container_ref *ref);
	/* True when nothing of DPDK's uses the group at @slot any more. */
	bool (*unused)(const struct spapr_container_ref *ref, unsigned int slot);
};

/* The IOVA room the indirect windows are planned with, and what bounds it. */
struct spapr_capacity {
	uint64_t growth;	/* bytes DPDK may add to what it holds now */
	char bound[96];		/* e.g. "hugepages free on node 0" */
};

struct spapr_state {
	struct spapr_opts env_opts;	/* defaults + SPAPR_DPDK_OPTS */
	struct spapr_opts opts;		/* env_opts + devargs: what runs */
	int opts_rc;			/* 0 or -EINVAL from the environment */
	struct spapr_model_profile profile;
	int status;			/* rte_spapr_status() */
	char error[SPAPR_ERR_LEN];
	struct spapr_backend *be;
	struct spapr_model *model;
	struct spapr_dma_ctx *ctx;
	struct spapr_container_ref cont[SPAPR_MAX_CONTAINERS];
	unsigned int ncont;
	unsigned int nreleased;		/* containers torn down, groups not yet released */
	bool idle;			/* vfio: not POWER, or no vfio-pci device */
	bool power_idle;		/* idle on a POWER host: hotplug may start the engine */
	bool eal_va;
	bool rewritten;
	bool cb_registered;
	bool backend_from_env;		/* backend=model set by SPAPR_DPDK_OPTS only */
	bool one_group_per_container;	/* pseries: windows cannot be shared */
	const struct spapr_hotplug_ops *hotplug;	/* set when plug/unplug are wrapped */
	bool secondary;			/* a secondary process: the primary set DMA up */
	uint64_t mem_bytes, mem_events, mem_event_errors;
	uint64_t growth_denied;	/* allocations the validator denied */
	uint64_t populate_refused;	/* mempool chunks refused: not mapped */
	uint64_t memlock_limit;		/* the policy's: SPAPR_DMA_UNLIMITED or bytes */
	struct spapr_capacity capacity;	/* what the last container was planned for */
};

extern struct spapr_state spapr;

/*
 * True while this thread holds DPDK's memory lock and the plugin's (device
 * hotplug, hp_lock): its walks then take no second lock. Per thread, so
 * that no other thread reads it as its own.
 */
RTE_DECLARE_PER_LCORE(bool, spapr_mem_locked);

/* spapr_setup.c */
int spapr_setup_model(void);
/* Undo the set-up; 0, or the first error (each one logged with what it left). */
int spapr_teardown(void);
void spapr_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int spapr_plan_line(unsigned int i, char *buf, size_t len);
void spapr_policy_from_opts(struct spapr_dma_policy *pol);
/* Create the lib/dma engine, its mapping progress logged through rte_log. */
struct spapr_dma_ctx *spapr_ctx_create(const struct spapr_dma_platform *plat,
					const struct spapr_dma_policy *pol);
void spapr_log_plans(void);
/* -EOPNOTSUPP (recorded) when no plan can give IOVA = VA though DPDK needs it. */
int spapr_refuse_va_early(const struct spapr_dma_platform *plat);
/* lib/dma on a container whose groups are set to it; IOVA room for growth. */
int spapr_container_attach(int container, const int *group_handles, unsigned int n,
			   struct spapr_dma_container **c, struct spapr_dma_error *e);

/* What @e left behind in the kernel, in words; 0 (empty) when nothing. */
int spapr_leak_format(const struct spapr_dma_error *e, char *buf, size_t len);
/* The error and, when the call left something behind, what ("left behind: ..."). */
int spapr_error_text(const struct spapr_dma_error *e, char *buf, size_t len);

extern const struct spapr_hotplug_ops spapr_model_hotplug_ops;

/* spapr_vfio_mode.c */
int spapr_setup_vfio(void);
extern const struct spapr_hotplug_ops spapr_vfio_hotplug_ops;
/* vfio mode was idle at probe (no vfio-pci device): the engine, the first
 * container being made by hotplug. */
int spapr_vfio_engine_start(void);
int spapr_vfio_platform(struct spapr_dma_platform *plat);
void spapr_vfio_release(bool unbind);
/* The vfio-pci devices bus_pci will probe: their count, names in @names. */
unsigned int spapr_vfio_devices_listed(char *names, size_t len);
void spapr_vfio_block_after_bad_opts(void);

/* spapr_vfio_mp.c: secondary processes open the plugin's devices. */
int spapr_vfio_mp_serve(void);
void spapr_vfio_mp_stop(void);
void spapr_vfio_mp_ask_primary(void);

/* spapr_hotplug.c */
/* Wrap @ops->bus's plug and unplug (spapr.hotplug set); 0 or -ENODEV. */
int spapr_hotplug_install(const struct spapr_hotplug_ops *ops);
void spapr_hotplug_uninstall(void);
bool spapr_hotplug_release_deferred(void);
/* Everything the plugin set up goes: windows, registrations, containers, model. */
void spapr_release(void);

/* spapr_mem.c */
/* rte_memseg_walk, or its thread-unsafe form when spapr_mem_locked. */
int spapr_memseg_walk(rte_memseg_walk_t fn, void *arg);
/* 0 if container @c gives every page the IOVA DPDK already hands out (and
 * rte_spapr_dma_map memory the IOVA of the other containers); else -EXDEV
 * (recorded with spapr_fail). */
int spapr_mem_container_agrees(const struct spapr_dma_container *c);
/* True if spapr_mem_publish_iovas() would change an IOVA. */
bool spapr_mem_publish_changes(void);
int spapr_mem_collect(void);
int spapr_mem_publish_iovas(void);
/* What to do when the plan's IOVAs are not the VAs DPDK hands out. */
const char *spapr_mem_va_remedy(void);
int spapr_mem_events_start(void);
void spapr_mem_events_stop(void);
int spapr_mem_model_declare(uint64_t va, uint64_t len, unsigned int shift, void *host);
uint64_t spapr_page_pa(const void *va, uint64_t memseg_iova, bool external);
void spapr_mem_model_undeclare(uint64_t va, uint64_t len, unsigned int shift);
/* The user's ranges (rte_spapr_dma_map), apart from DPDK's own memory. */
int spapr_mem_user_add(uint64_t va, uint64_t len);
bool spapr_mem_user_covers(uint64_t va, uint64_t len);
int spapr_mem_user_reserve_split(void);
void spapr_mem_user_remove(uint64_t va, uint64_t len);
void spapr_mem_user_forget(void);
/* Serialises memory events with rte_spapr_dma_map/unmap. */
void spapr_mem_lock(void);
void spapr_mem_unlock(void);

/* spapr_va.c: IOVA as VA: where DPDK's memory is, what a window at 0 must
 * reach, and a WARNING with the --base-virtaddr to use when it landed high. */
void spapr_va_report(void);

/* spapr_capacity.c */
/* What DPDK may still add (hugepages free, its VA reservation), and the bound. */
void spapr_capacity_plan(struct spapr_capacity *cap);
/* Bytes every container can still map (IOVA and RLIMIT_MEMLOCK room). */
uint64_t spapr_capacity_room(void);
/* The allocation validator: growth beyond the room fails in DPDK. */
int spapr_capacity_start(void);
void spapr_capacity_stop(void);
/* A memory event changed a socket heap's size. */
struct rte_memseg_list;
void spapr_capacity_track(const struct rte_memseg_list *msl, uint64_t len, bool grow);

/* spapr_mempool.c: mempool populate refuses chunks no window maps (every
 * registered ops' populate callback wrapped; nothing on the packet path). */
void spapr_mempool_guard_start(void);
void spapr_mempool_guard_stop(void);

/* spapr_telemetry.c */
void spapr_telemetry_register(void);

#endif /* SPAPR_PRIV_H */
