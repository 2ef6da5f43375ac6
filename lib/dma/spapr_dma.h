/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_dma.h - the mapping engine: how a process's DMA memory reaches a
 * device behind a POWER sPAPR TCE IOMMU (VFIO_SPAPR_TCE_v2_IOMMU).
 *
 * The engine is independent of DPDK. It talks to the kernel only through a
 * struct spapr_backend (real VFIO or the host model) and follows the kernel
 * facts of doc/kernel-model.md ("the spec", §N).
 *
 * Two layers:
 *
 *  1. The planner (spapr_dma_plan_make) is a pure function. From the
 *     container's capabilities (GET_INFO plus the platform limits GET_INFO
 *     does not report), the memory to map and a policy it chooses:
 *       - direct mode: one Dynamic DMA Window (DDW) covering every address,
 *         IOVA = window start + address (address = VA, or PA in IOVA-as-PA
 *         mode): no lookup needed, one MAP per contiguous range;
 *       - indirect mode: IOVAs allocated densely inside the best window that
 *         can exist (a DDW sized to the memory, else the default 32-bit
 *         window with 4 KiB TCEs); data paths translate with spapr_dma_iova().
 *     The plan carries page size, window size, levels, table bytes, the
 *     locked_vm it needs and the number of kernel operations, plus an
 *     explanation: every candidate considered and why it was rejected, and a
 *     remedy when nothing works.
 *
 *  2. The engine (struct spapr_dma_ctx) holds the process's DMA memory and
 *     its containers. Each container gets a window per its plan, one
 *     REGISTER per maximal contiguous VA range of one backing page size and
 *     one MAP per contiguous range. Memory added or removed later (hotplug)
 *     is mapped into / unmapped from every container without re-creating
 *     windows. Every call is transactional: when a kernel operation fails,
 *     the operations already done by that call are undone in reverse order,
 *     the engine's state is unchanged, and a struct spapr_dma_error names the
 *     failing step, the errno and a remedy. When the undo itself fails, or
 *     the kernel keeps something it was asked to drop, the error's outcome
 *     and leak say so and what is left (see struct spapr_dma_error); a
 *     container whose kernel state the engine can no longer vouch for is
 *     marked broken and refuses further use until it is destroyed.
 *
 * Ownership: the ctx owns its containers; a container owns the handles it
 * opened itself (spapr_dma_container_create) but not handles given to it
 * (spapr_dma_container_attach). The backend is owned by the caller and must
 * outlive every container using it. Plans and stats are plain values copied
 * out to the caller.
 *
 * Thread-safety: calls that change state (ctx create/destroy, mem add/remove,
 * container create/attach/destroy) and the introspection calls (plan,
 * window, stats) must be serialised by the caller (one control thread, as in
 * DPDK's EAL). spapr_dma_iova() may run concurrently with everything else
 * (except destroying its container) from any number of threads: lookups read an immutable snapshot published with
 * release/acquire ordering; superseded snapshots are freed only when the
 * container is destroyed. A lookup racing with the removal of the very
 * memory it translates may return the old IOVA (the caller must not remove
 * memory it is still using for DMA).
 *
 * All functions return 0 (or a documented value) on success and -errno on
 * failure; nothing is printed.
 */
#ifndef SPAPR_DMA_H
#define SPAPR_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spapr_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPAPR_DMA_UNLIMITED UINT64_MAX
/** spapr_dma_iova() result for an address that is not mapped. */
#define SPAPR_DMA_BAD_IOVA UINT64_MAX

/* ------------------------------------------------------------------------ */
/* Platform and capabilities.                                               */
/* ------------------------------------------------------------------------ */

enum spapr_dma_platform_kind {
	SPAPR_DMA_PLATFORM_POWERNV = 0,	/**< bare metal: tables in host memory */
	SPAPR_DMA_PLATFORM_PSERIES = 1,	/**< LPAR/KVM guest: tables in the hypervisor */
};

/**
 * Platform limits that GET_INFO does not report (§5.2, §5.3, §6, §9).
 * Get them from the backend with spapr_dma_platform_from_backend(): the
 * vfio backend knows the kind (/proc/cpuinfo "platform") and the page size
 * (sysconf), the other fields are then the kernel's constants
 * (spapr_dma_platform_default()); the host model knows all of them from its
 * profile.
 */
struct spapr_dma_platform {
	enum spapr_dma_platform_kind kind;
	unsigned int system_page_shift;	/**< PAGE_SHIFT: 16 (64 KiB) or 12 */
	uint64_t max_level_chunk;	/**< bytes of one table level (16 MiB); 0 = no limit */
	unsigned int bus_addr_bits;	/**< PowerNV 55-bit rule; 0 = none */
	bool table_charge_x1;		/**< pre-4.19 PowerNV: tables charged x1, not x2 */
	uint64_t ddw_start_hint;	/**< where a DDW is expected (display only) */
	/**
	 * pseries: the most TCEs the hypervisor gives one DDW
	 * (largest_available_block of ibm,query-pe-dma-window). The kernel does
	 * not show it to userspace, so 0 = unknown: the planner then trusts
	 * GET_INFO and the engine falls back to a smaller window when CREATE
	 * fails (which leaks that CREATE's locked_vm charge, §3.6 step 8).
	 */
	uint64_t ddw_max_entries;
};

/** The usual limits of @kind with @system_page_shift. */
void spapr_dma_platform_default(enum spapr_dma_platform_kind kind,
				unsigned int system_page_shift,
				struct spapr_dma_platform *out);

/**
 * The platform of the host behind @be (its ops->host_info): the defaults of
 * the kind and page shift it reports (0: 64 KiB), then every field it knows
 * overriding the default. On a real machine and on the model alike.
 *
 * Returns 0; -ENODEV if the host is not a POWER sPAPR host (the backend
 * cannot tell the platform kind: on a real machine, /proc/cpuinfo names
 * neither PowerNV nor pSeries) - whether that is an error is the caller's
 * decision; -EINVAL if @be or @out is NULL; -EOPNOTSUPP if @be has no
 * host_info op (a wrapper that does not forward it); or the op's -errno.
 * @out is written only on success.
 */
int spapr_dma_platform_from_backend(struct spapr_backend *be,
				    struct spapr_dma_platform *out);

/** What one container can do: GET_INFO (§3.3) plus the platform. */
struct spapr_dma_caps {
	bool ddw;			/**< flags & VFIO_IOMMU_SPAPR_INFO_DDW */
	uint64_t dma32_start;
	uint64_t dma32_size;
	uint64_t pgsizes;		/**< bit n: 2^n-byte TCEs supported */
	uint32_t max_windows;		/**< max_dynamic_windows_supported */
	uint32_t max_levels;
	struct spapr_dma_platform platform;
};

/** Fill @caps from a GET_INFO answer and the platform. */
void spapr_dma_caps_from_info(const struct vfio_iommu_spapr_tce_info *info,
			      const struct spapr_dma_platform *plat,
			      struct spapr_dma_caps *caps);

/* ------------------------------------------------------------------------ */
/* Memory and policy.                                                       */
/* ------------------------------------------------------------------------ */

#define SPAPR_DMA_READ	(1u << 0)	/**< the device may read the memory */
#define SPAPR_DMA_WRITE	(1u << 1)	/**< the device may write the memory */

/**
 * A piece of process memory to make DMA-able. @va and @len must be aligned
 * to the system page (REGISTER needs that, trap §10.6) and to @page_shift.
 * @page_shift is the backing page: the hugetlbfs page size, or the system
 * page for anything else (THP counts as system pages, §3.5).
 * @pa is used only when IOVAs must equal physical addresses; the range must
 * then be physically contiguous.
 */
struct spapr_dma_mem_region {
	uint64_t va;
	uint64_t len;
	unsigned int page_shift;
	int numa_node;			/**< informational; -1 unknown */
	uint64_t pa;
	unsigned int prot;		/**< SPAPR_DMA_READ|WRITE; 0 means both */
};

enum spapr_dma_mode {
	SPAPR_DMA_MODE_AUTO = 0,	/**< direct when possible and affordable, else indirect */
	SPAPR_DMA_MODE_DIRECT = 1,	/**< 1:1 DDW only */
	SPAPR_DMA_MODE_INDIRECT = 2,	/**< allocated IOVAs only */
};

enum spapr_dma_iova_mode {
	SPAPR_DMA_IOVA_DC = 0,	/**< don't care: direct uses VAs */
	SPAPR_DMA_IOVA_VA = 1,	/**< direct: IOVA = start + VA */
	SPAPR_DMA_IOVA_PA = 2,	/**< direct: IOVA = start + PA */
};

/** What the caller wants. Zero-initialised = auto everything, no limits. */
struct spapr_dma_policy {
	enum spapr_dma_mode mode;
	enum spapr_dma_iova_mode iova_mode;
	unsigned int page_shift;	/**< force this TCE size; 0 = best */
	uint64_t window_size;		/**< force this window size; 0 = computed */
	uint64_t table_budget;		/**< max TCE-table bytes charged; 0 = none */
	uint64_t memlock_limit;		/**< RLIMIT_MEMLOCK bytes; 0 or UNLIMITED = none */
	uint64_t memlock_used;		/**< bytes already locked by the process */
	uint64_t direct_top;		/**< direct: window must reach this address too (hotplug room) */
	uint64_t indirect_reserve;	/**< indirect: IOVA bytes kept free for hotplug */
	/**
	 * indirect_reserve is a wish, not a must: when no window holds the
	 * memory plus the reserve, plan the largest window the limits allow
	 * for the memory (TCE budget, table levels, table budget, the default
	 * window, a forced window_size), keep growth within RLIMIT_MEMLOCK,
	 * and say in the plan's room_bound which limit cut the room.
	 */
	bool indirect_reserve_fit;
};

/* ------------------------------------------------------------------------ */
/* The planner.                                                             */
/* ------------------------------------------------------------------------ */

/*
 * The cost rule of auto mode (trap §10.9). A direct window is sized by the
 * highest address, not by the memory, and the kernel charges its whole TCE
 * table to locked_vm (§5.3): 16 MiB of hugepages at VA 0x7f.. would need a
 * 128 TiB window charging 1 GiB. In auto mode a direct window whose table
 * charge exceeds its allowance
 *
 *     max(SPAPR_DMA_DIRECT_TABLE_FLOOR, memory / SPAPR_DMA_DIRECT_TABLE_RATIO),
 *     capped, under a finite RLIMIT_MEMLOCK, at half of what the limit leaves
 *     once the memory is registered,
 *
 * is set aside for the first indirect window that exists, when that one
 * charges less; when none does, the direct window is used all the same.
 * The floor is one full 16 MiB table level charged x2 (PowerNV), so any
 * window whose table fits one level stays direct (e.g. IOVA = PA below
 * 4 TiB with 2 MiB TCEs). The rule needs memory to weigh against: a plan
 * with no memory yet (direct_top only) is not subject to it.
 * SPAPR_DMA_MODE_DIRECT ignores the rule.
 */
#define SPAPR_DMA_DIRECT_TABLE_FLOOR (32ull << 20)
#define SPAPR_DMA_DIRECT_TABLE_RATIO 8u

#define SPAPR_DMA_MAX_CANDIDATES 24
#define SPAPR_DMA_TEXT 256
#define SPAPR_DMA_ROOM_BOUND_TEXT 64

/** One window the planner considered. */
struct spapr_dma_candidate {
	enum spapr_dma_mode mode;	/**< DIRECT or INDIRECT */
	bool default_window;		/**< the platform's dma32 window */
	unsigned int page_shift;
	uint64_t window_size;
	unsigned int levels;
	uint64_t table_bytes;		/**< charged to locked_vm */
	uint64_t locked_bytes;		/**< table + new registrations */
	bool accepted;			/**< passed every rule */
	bool chosen;
	char reason[SPAPR_DMA_TEXT];	/**< why rejected, or why it is good */
};

/** The explanation of a plan. */
struct spapr_dma_explain {
	unsigned int ncand;
	struct spapr_dma_candidate cand[SPAPR_DMA_MAX_CANDIDATES];
	char remedy[SPAPR_DMA_TEXT];	/**< set when the plan failed or degraded */
};

/** A plan for one container. */
struct spapr_dma_plan {
	bool valid;
	enum spapr_dma_mode mode;	/**< DIRECT or INDIRECT */
	enum spapr_dma_iova_mode basis;	/**< direct: VA or PA */
	bool default_window;		/**< indirect inside the dma32 window */
	bool keep_default;		/**< pseries: DDW goes to slot 1, dma32 kept */
	unsigned int page_shift;
	uint64_t window_size;
	unsigned int levels;
	uint64_t expected_start;	/**< a hint: the kernel's answer is used */
	uint64_t table_bytes;		/**< TCE table bytes charged (all windows) */
	uint64_t register_bytes;	/**< new registrations, bytes */
	uint64_t locked_bytes;		/**< locked_vm the plan adds */
	uint64_t mapped_bytes;
	unsigned int registrations;	/**< REGISTER calls */
	unsigned int maps;		/**< MAP calls */
	unsigned int kernel_ops;	/**< REMOVE + CREATE + REGISTER + MAP */
	/** Indirect: bytes of memory that may still be added (IOVA room, and
	 * with indirect_reserve_fit also RLIMIT_MEMLOCK room). Direct: 0. */
	uint64_t room_bytes;
	/** Set when room_bytes is below indirect_reserve: the limit that cut
	 * it, e.g. "TCE budget 2 GiB window". Empty when the reserve fit. */
	char room_bound[SPAPR_DMA_ROOM_BOUND_TEXT];
	struct spapr_dma_explain explain;
};

/**
 * Choose how @n regions reach a device of a container with @caps under
 * @pol. Pure: no backend, no global state (it sorts a temporary copy of
 * the regions). Returns 0 with @out->valid, or -ENOSPC (no window fits),
 * -EINVAL (bad regions/policy), -ENOMEM (RLIMIT_MEMLOCK too low, or no
 * memory for the temporary copy); @out->explain is filled in every case.
 */
int spapr_dma_plan_make(const struct spapr_dma_caps *caps,
			const struct spapr_dma_mem_region *regions, unsigned int n,
			const struct spapr_dma_policy *pol, struct spapr_dma_plan *out);

/** Render the plan and its explanation as text. Returns the length. */
int spapr_dma_plan_format(const struct spapr_dma_plan *plan, char *buf, size_t len);

/**
 * Bytes the kernel charges to locked_vm for a window (§5.3), or 0 if
 * the geometry is impossible. Exposed for tools and tests.
 */
uint64_t spapr_dma_table_bytes(const struct spapr_dma_platform *plat,
			       unsigned int page_shift, uint64_t window_size,
			       unsigned int levels);

/**
 * Fewest levels that can hold the window (§5.2: per-level chunk limit,
 * 55-bit rule, @max_levels), or 0 if none can.
 */
unsigned int spapr_dma_levels_needed(const struct spapr_dma_platform *plat,
				     unsigned int page_shift, uint64_t window_size,
				     unsigned int max_levels);

/* ------------------------------------------------------------------------ */
/* Errors and statistics.                                                   */
/* ------------------------------------------------------------------------ */

/**
 * Where a call failed. SPAPR_DMA_STEP_ARGS, _LAYOUT, _MEMORY and _PLAN come
 * before any kernel call that changes the IOMMU or locked_vm:
 * step_id == SPAPR_DMA_STEP_PLAN means the planner found no window and no
 * REMOVE, CREATE, REGISTER or MAP was made; what the call did before (open,
 * SET_CONTAINER, GET_INFO; SET_IOMMU when attach did it, which cannot be
 * undone) is undone, so retrying with another policy is safe and leaks
 * nothing. The other values name the kernel operation that failed.
 */
enum spapr_dma_step {
	SPAPR_DMA_STEP_NONE = 0,	/**< "": no error recorded */
	SPAPR_DMA_STEP_ARGS,		/**< "groups": bad arguments (group count) */
	SPAPR_DMA_STEP_LAYOUT,		/**< "layout": bad or overlapping regions */
	SPAPR_DMA_STEP_MEMORY,		/**< "memory": the engine ran out of memory */
	SPAPR_DMA_STEP_PLAN,		/**< "plan": no window fits; no kernel call made */
	SPAPR_DMA_STEP_OPEN,		/**< "OPEN": container or group open */
	SPAPR_DMA_STEP_SET_CONTAINER,	/**< "GROUP_SET_CONTAINER" */
	SPAPR_DMA_STEP_SET_IOMMU,	/**< "SET_IOMMU" */
	SPAPR_DMA_STEP_GET_INFO,	/**< "TCE_GET_INFO" */
	SPAPR_DMA_STEP_REMOVE,		/**< "TCE_REMOVE" */
	SPAPR_DMA_STEP_CREATE,		/**< "TCE_CREATE" */
	SPAPR_DMA_STEP_REGISTER,	/**< "REGISTER_MEMORY" */
	SPAPR_DMA_STEP_MAP,		/**< "MAP_DMA" */
	SPAPR_DMA_STEP_UNMAP,		/**< "UNMAP_DMA" */
	SPAPR_DMA_STEP_UNREGISTER,	/**< "UNREGISTER_MEMORY" */
	SPAPR_DMA_STEP_WINDOW,		/**< "window": memory does not fit the window; no MAP issued */
	SPAPR_DMA_STEP_IOVA,		/**< "iova": indirect IOVA space exhausted */
	SPAPR_DMA_STEP_BROKEN,		/**< "broken": a container is broken; no kernel call made */
	SPAPR_DMA_STEP_CLOSE,		/**< "CLOSE" / "GROUP_UNSET_CONTAINER": a handle did not close */
	SPAPR_DMA_STEP_COUNT
};

/** The text of a step ("MAP_DMA", "plan", ...), as in spapr_dma_error.step. */
const char *spapr_dma_step_name(enum spapr_dma_step step);

/** What a failed call left changed (see struct spapr_dma_error). */
enum spapr_dma_outcome {
	/** Nothing changed: the call succeeded, or failed and was undone exactly. */
	SPAPR_DMA_OUTCOME_CLEAN = 0,
	/** The call failed and undoing it failed too: the state changed; leak
	 *  says what is left and which containers are now broken. */
	SPAPR_DMA_OUTCOME_UNDO_FAILED,
	/** The call did its work (memory forgotten, container gone) but not
	 *  everything went back to the kernel: leak says what stayed. Returned
	 *  by spapr_dma_mem_remove_forced(), spapr_dma_container_destroy(),
	 *  spapr_dma_ctx_teardown(), and by spapr_dma_mem_remove() when the
	 *  kernel orphaned a registration (the removal is then done). */
	SPAPR_DMA_OUTCOME_LEFT_BEHIND,
};

/**
 * What stayed in the kernel (or went missing from it) against what the
 * engine's state says. Bytes are of process memory; every count is summed
 * over all failures of the call.
 */
struct spapr_dma_leak {
	unsigned int failures;		/**< kernel operations that failed, undo included */
	enum spapr_dma_step undo_step;	/**< first undo operation that failed (NONE: none) */
	int undo_err;			/**< its positive errno */
	uint64_t mapped_bytes;		/**< still mapped: a device may still reach them */
	uint64_t registered_bytes;	/**< still registered: pinned, charged to locked_vm */
	uint64_t lost_bytes;		/**< no longer mapped/registered though the engine had them */
	/**
	 * locked_vm the kernel kept charged although the engine dropped what it
	 * charged for: an orphaned registration (UNREGISTER returned 0 but the
	 * kernel still counted TCEs into it: tce_iommu_unregister_pages() ignores
	 * mm_iommu_put()'s -EBUSY, §3.5) or a failed CREATE (§3.6 step 8).
	 * The charge stays until the process exits (it dies with the mm). An
	 * orphan is freed by nothing: container release walks only its own
	 * list (tce_iommu_release), and at process exit destroy_context() only
	 * WARNs that the mm's list is not empty (mm_iommu_cleanup() is gone
	 * since 2016, §3.5), so its pages stay pinned until the machine reboots.
	 * An orphan's TCEs may stay valid until their window is removed.
	 * Needs the backend's locked_bytes op; 0 when the backend cannot tell.
	 */
	uint64_t locked_bytes;
	/**
	 * pseries: bytes UNMAPped (the kernel said 0) whose TCEs nothing
	 * proves cleared: tce_iommu_clear() skips an entry whose H_PUT_TCE
	 * fails and still returns 0 (§7); only locked_vm dropping at the last
	 * UNREGISTER of their registration proves them gone, and that
	 * UNREGISTER failed or was not made. Treat as possibly still mapped.
	 */
	uint64_t unproven_bytes;
	uint64_t quarantined_bytes;	/**< indirect IOVA never handed out again */
	unsigned int windows;		/**< windows left that should be gone */
	unsigned int handles;		/**< handles left open or attached */
	unsigned int broken;		/**< containers this call marked broken */
	char what[SPAPR_DMA_TEXT];	/**< the leaks in words, first ones first */
};

/**
 * What went wrong: step (text and id), errno, text, remedy, and what the
 * failure left behind.
 *
 * Header contract: the library fills the whole struct (it zeroes it first),
 * so callers need not initialise it. outcome and leak were appended after
 * remedy; the struct grew, which is why the engine is linked statically and
 * callers are built against this header (there is no shared-library ABI to
 * keep). A caller that only reads step/err/message/remedy is unaffected.
 */
struct spapr_dma_error {
	char step[32];			/**< spapr_dma_step_name(step_id), for messages */
	enum spapr_dma_step step_id;	/**< for programs: test this, not the text */
	int err;			/**< positive errno */
	char message[SPAPR_DMA_TEXT];
	char remedy[SPAPR_DMA_TEXT];
	enum spapr_dma_outcome outcome;	/**< CLEAN unless the state changed (see above) */
	struct spapr_dma_leak leak;	/**< zero when outcome is CLEAN */
};

/** Kernel operations the engine issues (counted in stats). */
enum spapr_dma_op {
	SPAPR_DMA_OP_OPEN = 0,		/**< container/group open */
	SPAPR_DMA_OP_CLOSE,
	SPAPR_DMA_OP_SET_CONTAINER,
	SPAPR_DMA_OP_UNSET_CONTAINER,
	SPAPR_DMA_OP_SET_IOMMU,
	SPAPR_DMA_OP_GET_INFO,
	SPAPR_DMA_OP_REGISTER,
	SPAPR_DMA_OP_UNREGISTER,
	SPAPR_DMA_OP_CREATE,
	SPAPR_DMA_OP_REMOVE,
	SPAPR_DMA_OP_MAP,
	SPAPR_DMA_OP_UNMAP,
	SPAPR_DMA_OP_COUNT
};

/** Upper-case name of an op ("MAP_DMA"). */
const char *spapr_dma_op_name(enum spapr_dma_op op);

struct spapr_dma_stats {
	unsigned int windows;		/**< windows open (created or default in use) */
	uint64_t tces_in_use;		/**< TCEs the engine's mappings occupy */
	uint64_t bytes_registered;	/**< bytes this container registered */
	uint64_t bytes_mapped;
	unsigned int registrations;
	unsigned int mappings;		/**< mapped ranges (one MAP each) */
	uint64_t table_bytes_charged;	/**< TCE table bytes charged to locked_vm */
	uint64_t kernel_ops;		/**< ioctls issued (not open/close) */
	uint64_t ops[SPAPR_DMA_OP_COUNT];
	uint64_t iova_free;		/**< indirect: IOVA bytes still free */
};

/* ------------------------------------------------------------------------ */
/* The engine.                                                              */
/* ------------------------------------------------------------------------ */

struct spapr_dma_ctx;
struct spapr_dma_container;

/** A new engine for one process. @plat and @pol are copied. NULL: -ENOMEM. */
struct spapr_dma_ctx *spapr_dma_ctx_create(const struct spapr_dma_platform *plat,
					   const struct spapr_dma_policy *pol);

/** Destroy every container (best effort), then the ctx. */
void spapr_dma_ctx_destroy(struct spapr_dma_ctx *ctx);

/**
 * spapr_dma_ctx_destroy() that reports: every container is destroyed as
 * spapr_dma_container_destroy() does (newest first), then the ctx is freed,
 * whatever fails. Returns 0, or the first -errno with @err naming that
 * failure and leak summing what every container left behind (outcome
 * LEFT_BEHIND).
 */
int spapr_dma_ctx_teardown(struct spapr_dma_ctx *ctx, struct spapr_dma_error *err);

/** Replace the policy used for containers created from now on. */
void spapr_dma_ctx_set_policy(struct spapr_dma_ctx *ctx, const struct spapr_dma_policy *pol);

/**
 * Progress of a long call: @done_bytes of @total_bytes of the call's work.
 * The work of a call (spapr_dma_mem_add, spapr_dma_container_create or
 * _attach) is, for every container it maps into, the bytes it REGISTERs
 * plus the bytes it MAPs; each REGISTER and each MAP adds its length to
 * @done_bytes once the kernel accepted it.
 */
typedef void (*spapr_dma_progress_fn)(void *arg, uint64_t done_bytes, uint64_t total_bytes);

/** Bytes of work between two progress calls (the last call is never skipped). */
#define SPAPR_DMA_PROGRESS_STEP (1ull << 30)

/**
 * Call @fn(@arg, done, total) during REGISTER/MAP: after a kernel operation
 * that brings done at least SPAPR_DMA_PROGRESS_STEP past the last call, and
 * once with done == total after the call's last operation (before the call
 * commits and returns). done increases strictly from call to call. A call
 * with no work makes no progress calls; a failing call stops calling (its
 * undo is not reported). @fn runs on the calling thread, inside the call:
 * it must not call spapr_dma functions on @ctx except spapr_dma_iova().
 * @fn NULL: no progress calls (the default).
 */
void spapr_dma_ctx_set_progress(struct spapr_dma_ctx *ctx, spapr_dma_progress_fn fn, void *arg);

/**
 * Add memory (e.g. DPDK memseg lists, or hotplugged segments) and make it
 * DMA-able in every container. Regions must not overlap memory already
 * added. Contiguous regions of one page size are registered together.
 * On failure nothing changed (unless err->outcome says otherwise); @err
 * (may be NULL) says why. Refused (-EIO, step "broken") while a container
 * is broken. A registration an earlier failure left in the kernel at these
 * addresses (spapr_dma_mem_remove_forced() whose UNREGISTER failed) is
 * unregistered first, so that the memory can come back at the same VA.
 */
int spapr_dma_mem_add(struct spapr_dma_ctx *ctx, const struct spapr_dma_mem_region *r,
		      unsigned int n, struct spapr_dma_error *err);

/**
 * Remove memory: [va, va+len) must be exactly the union of regions added
 * before (whole regions). Its IOVAs are unmapped in every container; a
 * registration is dropped once none of its memory remains.
 *
 * All or nothing: on failure the removal is undone and the memory stays
 * mapped (outcome CLEAN), unless the undo failed too (UNDO_FAILED: leak
 * says what). Use it when the caller can keep the memory; for memory that
 * is going away whatever happens, use spapr_dma_mem_remove_forced().
 * A registration the kernel orphaned (§3.5: a TCE it could not clear) is
 * reported as -EBUSY, step UNREGISTER, outcome LEFT_BEHIND: the memory is
 * removed from the engine, its indirect IOVAs are quarantined.
 * Refused (-EIO, step "broken") while a container is broken.
 */
int spapr_dma_mem_remove(struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
			 struct spapr_dma_error *err);

/**
 * Remove memory that is going away whatever the kernel says (e.g. DPDK's
 * memory FREE event, which cannot be vetoed): best effort, never undone.
 * In every container (broken ones too) every UNMAP of the range is tried;
 * a registration the removal empties is UNREGISTERed only when all of its
 * TCEs were cleared in every container (unregistering a still-mapped one
 * would orphan it, §3.5). The engine forgets the memory in every case: its
 * IOVA lookups answer SPAPR_DMA_BAD_IOVA, and later memory may be added at
 * the same VA.
 *
 * Returns 0 when everything was unmapped and unregistered. Otherwise the
 * first -errno, with @err naming that failure, outcome LEFT_BEHIND and leak
 * saying what stayed: mapped_bytes (still reachable by a device: do not
 * give these pages back to the system if at all possible), registered_bytes
 * (pinned and charged; retried at container destroy), quarantined_bytes
 * (indirect IOVA never reused); each container left with TCEs it could not
 * clear is marked broken (leak.broken). -EINVAL (nothing done) if
 * [va, va+len) is not exactly a union of added regions.
 */
int spapr_dma_mem_remove_forced(struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
				struct spapr_dma_error *err);

/**
 * Open a container and the IOMMU groups @group_nums[0..n) on @be, attach
 * them (v2), plan, create the window and map all memory of the ctx.
 * The container owns these handles. pseries allows one group per container
 * (trap §10.15): more fail with -EINVAL before any kernel call.
 * Indirect: when the ctx has an indirect container with the same window
 * already, every piece of memory gets the IOVA that one gives it (where that
 * range is free), so that a caller with one IOVA per page (DPDK) can add a
 * container later (device hotplug) after memory came and went.
 */
int spapr_dma_container_create(struct spapr_dma_ctx *ctx, struct spapr_backend *be,
			       const int *group_nums, unsigned int n,
			       struct spapr_dma_container **out, struct spapr_dma_error *err);

#define SPAPR_DMA_ATTACH_IOMMU_SET (1u << 0)	/**< SET_IOMMU(v2) already done */

/**
 * Like spapr_dma_container_create for handles that already exist (e.g. the
 * ones DPDK opened): @container with @group_handles already set to it. The
 * engine does not close them.
 */
int spapr_dma_container_attach(struct spapr_dma_ctx *ctx, struct spapr_backend *be,
			       int container, const int *group_handles, unsigned int n,
			       unsigned int flags, struct spapr_dma_container **out,
			       struct spapr_dma_error *err);

/**
 * Tear the container down: remove its windows (which clears their TCEs),
 * UNMAP what a failed REMOVE left, then unregister its memory (the ctx's
 * and what an earlier failure left registered), then unset and close the
 * handles it owns. Every step is tried whatever failed before, except that
 * a registration is not UNREGISTERed while TCEs into it may remain (that
 * would orphan it, §3.5). The container is freed in every case.
 *
 * Returns 0, or the first -errno with @err naming it and, with outcome
 * LEFT_BEHIND, leak counting every failure and what it left: windows,
 * mapped_bytes, registered_bytes, handles, and locked_bytes when the
 * kernel kept locked_vm charged (orphans: see spapr_dma_leak.locked_bytes).
 */
int spapr_dma_container_destroy(struct spapr_dma_container *c, struct spapr_dma_error *err);

/**
 * MAP again every mapping of @c, for the groups that stay after another
 * group of the container detached (VFIO_GROUP_UNSET_CONTAINER or its close):
 * the kernel then clears every TCE of the container's windows, the staying
 * groups' mappings included (§4, ML-CLEAR). Nothing else changes (windows,
 * registrations, IOVAs). Returns 0; -EIO (step "broken", no kernel call) on
 * a broken container; or the first MAP's -errno: what could not be mapped
 * again is counted in leak.lost_bytes (outcome LEFT_BEHIND) and the
 * container is marked broken (its devices would fault on that memory).
 */
int spapr_dma_container_remap(struct spapr_dma_container *c, struct spapr_dma_error *err);

/**
 * True if a failed undo or forced removal left @c with kernel state the
 * engine cannot vouch for. A broken container answers SPAPR_DMA_BAD_IOVA to
 * every lookup, and spapr_dma_mem_add() / spapr_dma_mem_remove() refuse to
 * run (-EIO, step "broken") until it is destroyed.
 */
bool spapr_dma_container_broken(const struct spapr_dma_container *c);

/** The plan the container runs (copied). */
void spapr_dma_container_plan(const struct spapr_dma_container *c, struct spapr_dma_plan *out);

/** The container's backend handle. */
int spapr_dma_container_handle(const struct spapr_dma_container *c);

/** Actual window: start (from the kernel), size, page shift. */
void spapr_dma_container_window(const struct spapr_dma_container *c, uint64_t *start,
				uint64_t *size, unsigned int *page_shift);

void spapr_dma_container_stats(const struct spapr_dma_container *c, struct spapr_dma_stats *st);

/**
 * Hot path: the IOVA of @va in container @c, or SPAPR_DMA_BAD_IOVA if @va is
 * not mapped. No lock, no allocation, safe from any thread.
 */
uint64_t spapr_dma_iova(const struct spapr_dma_container *c, uint64_t va);

/**
 * The IOVA of @va if all of [@va, @va+@len) is mapped in @c at one
 * contiguous IOVA range [IOVA, IOVA+@len), so that a device given that
 * range reaches exactly these bytes; else SPAPR_DMA_BAD_IOVA (a byte not
 * mapped, or the range split between IOVA runs). Same safety as
 * spapr_dma_iova().
 */
uint64_t spapr_dma_iova_range(const struct spapr_dma_container *c, uint64_t va, uint64_t len);

/** Number of containers and the i-th one. */
unsigned int spapr_dma_ctx_containers(const struct spapr_dma_ctx *ctx);
struct spapr_dma_container *spapr_dma_ctx_container(struct spapr_dma_ctx *ctx, unsigned int i);

/** Render an error as "step: strerror (errno): message; remedy". */
int spapr_dma_error_format(const struct spapr_dma_error *e, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SPAPR_DMA_H */
