/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine_priv.h - private state of the mapping engine (ctx, containers,
 * undo log). Shared by engine.c (transactions) and kops.c (kernel calls).
 */
#ifndef ENGINE_PRIV_H
#define ENGINE_PRIV_H

#include "dma_priv.h"

#define MAX_GROUPS 8

/* A registration: process-wide, every container registers every one (the
 * kernel shares identical registrations between containers of an mm, §3.5). */
struct ctx_reg {
	uint64_t va, len;
	unsigned int page_shift;
	uint64_t live;		/* bytes of added memory still inside */
};

/* One MAP the container did. */
struct cmap {
	uint64_t va, len, iova;
	unsigned int prot;
};

/* A range of VA (a registration) or of IOVA (a held-back range). */
struct crange {
	uint64_t start, len;
	uint64_t reg_va;	/* held-back IOVA: the registration it mapped */
};

struct spapr_dma_container {
	struct spapr_dma_ctx *ctx;
	struct spapr_backend *be;
	int handle;
	bool own_handles;
	int groups[MAX_GROUPS];
	unsigned int ngroups;
	struct spapr_dma_caps caps;
	struct spapr_dma_plan plan;
	uint64_t win_start, win_size;
	unsigned int win_shift;
	bool ddw_created;	/* REMOVE(win_start) at teardown */
	bool default_used;	/* REMOVE(dma32_start) at teardown */
	bool indirect;
	struct dma_iova_alloc alloc;
	/* While the container is set up after others: an indirect container
	 * with the same window, whose IOVAs the caller already handed out. */
	const struct spapr_dma_container *twin;
	struct cmap *maps;	/* sorted by va */
	unsigned int nmaps, mcap;
	_Atomic(struct dma_lookup *) lookup;
	struct dma_lookup *retired;
	struct spapr_dma_stats st;
	/* The engine can no longer vouch for the kernel's state (why: text). */
	bool broken;
	char broken_why[SPAPR_DMA_TEXT];
	/* Registrations the ctx forgot that may still be in the kernel: an
	 * UNREGISTER failed or was not safe. Destroy tries them again. */
	struct crange *stale;
	unsigned int nstale, stcap;
	/* pseries, indirect: IOVA of removed memory whose registration is still
	 * there. A failed H_PUT_TCE is invisible (§7: tce_iommu_clear() skips
	 * it and returns 0) until that registration is unregistered and
	 * locked_vm drops (or does not: orphan). Reused only once it dropped. */
	struct crange *held;
	unsigned int nheld, hcap;
	uint64_t quarantined;	/* IOVA bytes never handed out again */
};

struct spapr_dma_ctx {
	struct spapr_dma_platform plat;
	struct spapr_dma_policy pol;
	struct spapr_dma_mem_region *segs;
	unsigned int nsegs, scap;
	struct ctx_reg *regs;
	unsigned int nregs, rcap;
	struct spapr_dma_container **cont;
	unsigned int ncont, ccap;
	/* Progress of the running call (spapr_dma_ctx_set_progress). */
	spapr_dma_progress_fn progress;
	void *progress_arg;
	uint64_t work_total, work_done, work_reported;
};

/* ---- undo log: the inverse of every kernel operation a call did ---- */

enum undo_kind {
	U_UNREGISTER, U_REGISTER, U_UNMAP, U_MAP, U_REMOVE, U_IOVA_PUT, U_CLOSE, U_UNSET,
};

struct undo {
	enum undo_kind kind;
	struct spapr_dma_container *c;
	uint64_t va, len, iova;
	unsigned int prot;
	int handle;
};

struct undo_log {
	struct undo *u;
	unsigned int n, cap;
	bool out_of_memory;	/* the log could not grow: an -ENOMEM came from here */
};

/*
 * Kernel operations recorded in the undo log. Each helper records the
 * inverse *before* issuing the operation (so nothing done is ever
 * unrecorded) and drops it again when the operation fails. They return the
 * operation's -errno, or -ENOMEM when the log cannot grow (nothing issued).
 */
int undo_k_register(struct undo_log *l, struct spapr_dma_container *c, uint64_t va,
		    uint64_t len);
int undo_k_unregister(struct undo_log *l, struct spapr_dma_container *c, uint64_t va,
		      uint64_t len);
int undo_k_map(struct undo_log *l, struct spapr_dma_container *c, uint64_t va, uint64_t iova,
	       uint64_t len, unsigned int prot);
/* UNMAP of [iova, iova+len), which maps @va with @prot (the undo maps it again). */
int undo_k_unmap(struct undo_log *l, struct spapr_dma_container *c, uint64_t va, uint64_t iova,
		 uint64_t len, unsigned int prot);
int undo_k_create(struct undo_log *l, struct spapr_dma_container *c, unsigned int shift,
		  uint64_t size, unsigned int levels, uint64_t *start);
int undo_k_set_container(struct undo_log *l, struct spapr_dma_container *c, int group);
/* Take @len bytes of indirect IOVA space (aligned to @align) into *@iova. */
int undo_iova_get(struct undo_log *l, struct spapr_dma_container *c, uint64_t len,
		  uint64_t align, uint64_t *iova);
/* Take exactly [iova, iova+len) of indirect IOVA space. */
int undo_iova_take(struct undo_log *l, struct spapr_dma_container *c, uint64_t iova,
		   uint64_t len);
/* @handle was just opened: close it on undo. If the log cannot grow the
 * handle is closed now and -ENOMEM returned. */
int undo_opened(struct undo_log *l, struct spapr_dma_container *c, int handle);
/* A window at @start exists or will materialise without a CREATE of ours
 * (the pending default window, §3.7): REMOVE it on undo. */
int undo_window(struct undo_log *l, struct spapr_dma_container *c, uint64_t start);
/* Undo everything in reverse order, whatever fails. Every failed undo step
 * is counted in @leak, and its container is marked broken (once, counted
 * in leak->broken). Returns the first error of an undo step. */
int undo_run(struct undo_log *l, struct spapr_dma_leak *leak);
void undo_free(struct undo_log *l);
/* After a call failed with @rc: if that is the -ENOMEM of a log that could
 * not grow, the operation it was for was never issued: say so in @e. */
void undo_report_oom(const struct undo_log *l, int rc, struct spapr_dma_error *e);

/* ---- kernel operations, counted per container (kops.c) ---- */

int k_register(struct spapr_dma_container *c, uint64_t va, uint64_t len);
int k_unregister(struct spapr_dma_container *c, uint64_t va, uint64_t len);
int k_map(struct spapr_dma_container *c, uint64_t va, uint64_t iova, uint64_t len,
	  unsigned int prot);
int k_unmap(struct spapr_dma_container *c, uint64_t iova, uint64_t len);
int k_create(struct spapr_dma_container *c, unsigned int shift, uint64_t size,
	     unsigned int levels, uint64_t *start);
int k_remove(struct spapr_dma_container *c, uint64_t start);
int k_get_info(struct spapr_dma_container *c, struct vfio_iommu_spapr_tce_info *info);
int k_set_iommu(struct spapr_dma_container *c);

/* ---- what a call left behind (kops.c) ---- */

/* Append "; text" (or text) to leak->what, as far as it fits. */
void leak_note(struct spapr_dma_leak *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Add @b to @a (counts, first undo step, text). */
void leak_merge(struct spapr_dma_leak *a, const struct spapr_dma_leak *b);
bool leak_any(const struct spapr_dma_leak *l);
/* Copy @l into @e (may be NULL) with the outcome it implies: UNDO_FAILED
 * when an undo step failed, else LEFT_BEHIND when anything stayed. */
void err_leak(struct spapr_dma_error *e, const struct spapr_dma_leak *l);
/* Mark @c broken because of @why (first reason kept); counts it in @l once. */
void container_break(struct spapr_dma_container *c, struct spapr_dma_leak *l, const char *why);
/* Remember a registration the ctx forgets but the kernel may keep. Out of
 * memory: noted in @l (container destroy will not retry its UNREGISTER). */
int container_keep_stale(struct spapr_dma_container *c, uint64_t va, uint64_t len,
			 struct spapr_dma_leak *l);
/* locked_vm of the process in bytes, if the backend can tell (else false). */
bool k_locked(struct spapr_dma_container *c, uint64_t *bytes);
int k_close(struct spapr_dma_container *c, int handle);
int k_unset(struct spapr_dma_container *c, int group);

/* Fill @e (may be NULL) with step, errno, message and a remedy for it. */
void err_set(struct spapr_dma_error *e, enum spapr_dma_step step, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* ENGINE_PRIV_H */
