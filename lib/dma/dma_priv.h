/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_priv.h - private pieces shared by the mapping engine's files.
 */
#ifndef DMA_PRIV_H
#define DMA_PRIV_H

#include <stdarg.h>
#include <stdatomic.h>
#include "spapr_dma.h"
#include "spapr_util.h"

#define SZ_4K (1ull << 12)
#define DMA32_PAGE_SHIFT 12		/* the default window always uses 4 KiB TCEs (§5.4) */
#define PSERIES_QUIRK_WINDOWS 0xFFFFFFFFu /* failed ddw query (§6) */

static inline unsigned int ilog2_u64(uint64_t x) { return 63u - (unsigned int)__builtin_clzll(x); }

/* Smallest power of two >= x (x >= 1, x <= 2^63). */
static inline uint64_t pow2_ceil(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << (ilog2_u64(x - 1) + 1);
}

static inline unsigned int ctz_u64(uint64_t x) { return x ? (unsigned int)__builtin_ctzll(x) : 64u; }

static inline uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

/* "2 MiB", "1 GiB", "64 KiB", "1.5 GiB". */
const char *dma_size_str(uint64_t bytes, char *buf, size_t len);

/* snprintf that never overflows and tolerates truncation. */
void dma_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- layout: how a set of regions is registered and mapped ---- */

/* One REGISTER: a maximal contiguous VA range of one backing page size. */
struct dma_reg {
	uint64_t va, len;
	unsigned int page_shift;
};

/* One MAP unit: contiguous VA (and PA for the PA basis) with one prot, inside one reg. */
struct dma_piece {
	uint64_t va, len, pa;
	unsigned int prot;
	unsigned int reg;	/* index into regs */
};

struct dma_layout {
	struct dma_reg *regs;
	unsigned int nregs;
	struct dma_piece *pieces;
	unsigned int npieces;
	uint64_t total;		/* bytes */
};

/*
 * Sort @n regions by VA, validate them (system-page alignment, page shift,
 * no overlap) and group them into registrations and MAP pieces. @pa_basis:
 * pieces also need contiguous PA. -EINVAL with @why filled on bad input.
 */
int dma_layout_build(const struct spapr_dma_mem_region *r, unsigned int n,
		     unsigned int sys_shift, bool pa_basis, struct dma_layout *out,
		     char *why, size_t whylen);
void dma_layout_free(struct dma_layout *l);

/* Largest TCE shift every region allows: min(page, alignment) (§3.5, trap §10.8). */
unsigned int dma_mem_max_shift(const struct spapr_dma_mem_region *r, unsigned int n,
			       bool pa_basis, unsigned int *limiting);

/* ---- IOVA allocator (indirect mode) ---- */

struct dma_extent { uint64_t start, len; };

struct dma_iova_alloc {
	struct dma_extent *free;	/* sorted, coalesced */
	unsigned int nfree, cap;
	uint64_t gran;			/* allocation granularity (window TCE size) */
	uint64_t free_bytes;
};

int dma_iova_init(struct dma_iova_alloc *a, uint64_t start, uint64_t size, uint64_t gran);
void dma_iova_fini(struct dma_iova_alloc *a);
/* First fit of @len bytes aligned to @align (>= gran). -ENOSPC when it does not fit. */
int dma_iova_get(struct dma_iova_alloc *a, uint64_t len, uint64_t align, uint64_t *iova);
/* Take exactly [iova, iova+len): -EBUSY when not all of it is free. */
int dma_iova_take(struct dma_iova_alloc *a, uint64_t iova, uint64_t len);
/* Give back; -ENOMEM only when the free list cannot grow. */
int dma_iova_put(struct dma_iova_alloc *a, uint64_t iova, uint64_t len);
/* Make room so that @extra puts cannot fail. */
int dma_iova_reserve(struct dma_iova_alloc *a, unsigned int extra);
/* The largest free extent. */
uint64_t dma_iova_largest(const struct dma_iova_alloc *a);

/* ---- lookup snapshot (hot path) ---- */

struct dma_lookup_ent {
	uint64_t va, end;	/* [va, end) */
	uint64_t delta;		/* iova - va (mod 2^64) */
};

struct dma_lookup {
	unsigned int n;
	struct dma_lookup *retired;	/* older snapshots, freed at destroy */
	struct dma_lookup_ent e[];
};

uint64_t dma_lookup_find(const struct dma_lookup *lk, uint64_t va);
/* The IOVA of @va if [va, va+len) is mapped as one IOVA run, else SPAPR_DMA_BAD_IOVA. */
uint64_t dma_lookup_find_range(const struct dma_lookup *lk, uint64_t va, uint64_t len);

#endif /* DMA_PRIV_H */
