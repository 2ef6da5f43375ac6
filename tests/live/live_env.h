/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * live_env.h - what test_dma_live needs around the engine: the backend
 * (real VFIO or the host model), a counting wrapper around it, the process's
 * locked memory, real memory at low addresses, and per-case checks.
 *
 * Private to tests/live. Everything here works the same on both backends so
 * that the cases in test_dma_live.c are written once.
 */
#ifndef LIVE_ENV_H
#define LIVE_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "spapr_dma.h"
#include "spapr_model.h"

#define LIVE_MAX_GROUPS 4

/* --- the counting backend: forwards every op, counts it ----------------- */

/** Ops counted by the wrapper (the engine's op enum, plus "other"). */
#define LIVE_OP_OTHER SPAPR_DMA_OP_COUNT

struct live_count_be {
	struct spapr_backend be;	/* first: the engine sees this */
	struct spapr_backend *inner;
	uint64_t n[SPAPR_DMA_OP_COUNT + 1];
	uint64_t last_create_start;	/* start_addr the kernel wrote back */
	int last_rc[SPAPR_DMA_OP_COUNT + 1];
};

/** Wrap @inner; @cb must outlive every use. */
void live_count_init(struct live_count_be *cb, struct spapr_backend *inner);

/* --- the environment of one run --------------------------------------- */

struct live {
	bool model;			/* --backend model */
	struct spapr_model_profile prof;
	struct spapr_model *m;
	struct spapr_backend *inner;	/* vfio or model backend */
	struct live_count_be cb;	/* what the engine talks to */
	struct spapr_dma_platform plat;
	unsigned int page_shift;	/* system page of the (real or modelled) kernel */
	int groups[LIVE_MAX_GROUPS];
	unsigned int ngroups;
	uint64_t arena;			/* base of our low-address reservation */
	uint64_t arena_len;
	unsigned int pass, fail, skip;
};

/** Parse the command line and set up the backend. Returns 0, 77 (cannot
 *  run, reason printed) or 2 (usage). */
int live_setup(struct live *L, int argc, char **argv);
void live_teardown(struct live *L);

/** Platform name for messages ("powernv", "pseries"). */
const char *live_platform_name(const struct live *L);

/**
 * Bytes the process has charged to mm->locked_vm: VmLck of /proc/self/status
 * on the real kernel (the kernel charges it even for root), the model's
 * per-mm counter on the model. -1 if unreadable.
 */
int64_t live_locked(struct live *L);

/* --- memory ------------------------------------------------------------ */

/**
 * Map [arena + off, +len) read/write, backed by system pages or (huge) by
 * 2 MiB hugetlb pages, touch it, and declare it to the model. Fills @r
 * (page shift: system page or 21). Returns 0 or -errno.
 */
int live_mem_map(struct live *L, uint64_t off, uint64_t len, bool huge,
		 struct spapr_dma_mem_region *r);

/** Give the range back to the reservation (and forget it in the model). */
void live_mem_unmap(struct live *L, const struct spapr_dma_mem_region *r);

/* --- memlock (case memlock_rollback) ------------------------------------ */

/**
 * Limit this process's locked memory to @limit bytes the way the kernel
 * checks it: CAP_IPC_LOCK off the effective set and RLIMIT_MEMLOCK's soft
 * limit at @limit (real kernel), or the model mm's memlock (model).
 * live_memlock_restore() undoes it. Returns 0 or -errno.
 */
int live_memlock_limit(struct live *L, uint64_t limit);
int live_memlock_restore(struct live *L);

/* --- per-case checks ---------------------------------------------------- */

struct live_case {
	const char *name;
	unsigned int checks, failed;
	char first[200];	/* the first failed check */
	char info[200];		/* detail printed on success */
	char skip[200];		/* non-empty: the case was skipped */
};

void live_check_at(struct live_case *c, bool ok, const char *file, int line,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/** Record a check; on failure keep the message (printf-style). */
#define LCHECK(c, cond, ...) live_check_at((c), (cond), __FILE__, __LINE__, __VA_ARGS__)

/** Print the case's "@@ L" line and count it. */
void live_case_end(struct live *L, struct live_case *c);

#endif /* LIVE_ENV_H */
