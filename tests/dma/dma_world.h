/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_world.h - a host model plus an engine, for the integration tests.
 *
 * Memory is declared to the model as synthetic VMAs (no host pointer), so
 * that 1 TiB layouts cost nothing. "Every byte" is verified at TCE
 * granularity: a device-side check of each IOMMU page's first and last byte
 * (the TCE translates the whole page, so this covers every byte of it), of
 * the whole range in one call for the permissions, and of the bytes just
 * outside each range, which must fault.
 */
#ifndef DMA_WORLD_H
#define DMA_WORLD_H

#include <errno.h>

#include "dma_test_common.h"
#include "spapr_model.h"
#include "test_util.h"

struct world {
	struct spapr_model_profile prof;
	struct spapr_model *m;
	struct spapr_backend *be;
	struct spapr_dma_platform plat;
	struct spapr_dma_ctx *ctx;
};

static inline int world_init(struct world *w, const char *profile,
			     const struct spapr_dma_policy *pol)
{
	memset(w, 0, sizeof(*w));
	if (spapr_model_profile_get(profile, &w->prof))
		return -ENOENT;
	w->m = spapr_model_create(&w->prof);
	if (!w->m)
		return -ENOMEM;
	w->be = spapr_model_backend(w->m);
	if (spapr_dma_platform_from_backend(w->be, &w->plat))
		return -ENODEV;
	w->ctx = spapr_dma_ctx_create(&w->plat, pol);
	return w->ctx ? 0 : -ENOMEM;
}

static inline void world_fini(struct world *w)
{
	spapr_dma_ctx_destroy(w->ctx);
	spapr_model_destroy(w->m);
	memset(w, 0, sizeof(*w));
}

/* Declare @r as VMAs of mm 0 (hugetlbfs above the system page). Fills r.pa. */
static inline int world_map_mem(struct world *w, struct spapr_dma_mem_region *r, unsigned int n)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		unsigned int fl = r[i].page_shift > w->prof.system_page_shift ?
					  SPAPR_MODEL_VMA_HUGETLB : 0;

		rc = spapr_model_mm_map(w->m, 0, r[i].va, r[i].len, r[i].page_shift, fl, NULL);
		if (!rc)
			rc = spapr_model_mm_va_to_pa(w->m, 0, r[i].va, &r[i].pa);
		if (rc)
			return rc;
	}
	return 0;
}

/* The state the fault sweep compares: locked_vm, registrations, TCEs, windows. */
struct snap {
	uint64_t locked, regions, registered, leaked;
	uint64_t tces[4];
	unsigned int windows[4];
};

static inline void snap_take(struct world *w, struct snap *s)
{
	struct spapr_model_mm_info mi;
	unsigned int i, k;

	memset(s, 0, sizeof(*s));
	spapr_model_mm_info(w->m, 0, &mi);
	s->locked = mi.locked_vm_pages;
	s->regions = mi.regions;
	s->registered = mi.registered_bytes;
	s->leaked = mi.leaked_pages;
	for (i = 0; i < spapr_dma_ctx_containers(w->ctx) && i < 4; i++) {
		struct spapr_model_container_info ci;
		int h = spapr_dma_container_handle(spapr_dma_ctx_container(w->ctx, i));

		if (spapr_model_container_info(w->m, h, &ci))
			continue;
		for (k = 0; k < 2; k++) {
			s->windows[i] += ci.windows[k].present;
			s->tces[i] += ci.windows[k].tces_in_use;
		}
	}
}

static inline bool snap_eq(const struct snap *a, const struct snap *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Does [iova, iova+1) lie inside one of the container's mapped ranges of @r? */
static inline bool iova_is_ours(const struct spapr_dma_container *c,
				const struct spapr_dma_mem_region *r, unsigned int n,
				uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t s = spapr_dma_iova(c, r[i].va);

		if (s != SPAPR_DMA_BAD_IOVA && iova >= s && iova - s < r[i].len)
			return true;
	}
	return false;
}

static inline bool dma_ok(struct world *w, int group, uint64_t iova, uint64_t len,
			  unsigned int dir, uint64_t want_pa)
{
	struct spapr_model_xlat x;

	if (spapr_model_dma_check(w->m, group, iova, len, dir, &x))
		return false;
	return want_pa == UINT64_MAX || x.hpa == want_pa;
}

static inline bool dma_faults(struct world *w, int group, uint64_t iova)
{
	int rc = spapr_model_dma_check(w->m, group, iova, 1, SPAPR_MODEL_DMA_READ, NULL);

	spapr_model_pe_reset(w->m, group);	/* a fault freezes the PE (EEH) */
	return rc != 0;
}

/*
 * Verify region @r through container @c as seen by a device in @group.
 * @page_step: check every page's first/last byte when the region has fewer
 * than @max_pages TCE pages, else every k-th page (1 TiB of 64K TCEs is 16M
 * pages; the one-call whole-range check still covers every TCE).
 * Returns the number of failed checks.
 */
static inline unsigned int verify_region(struct world *w, int group,
					 const struct spapr_dma_container *c,
					 const struct spapr_dma_mem_region *all, unsigned int n,
					 const struct spapr_dma_mem_region *r, uint64_t max_pages)
{
	unsigned int bad = 0, ps;
	uint64_t iova = spapr_dma_iova(c, r->va), pg, npg, step, i, pa;
	unsigned int want = r->prot ? r->prot : (SPAPR_DMA_READ | SPAPR_DMA_WRITE);
	unsigned int dir = 0;

	spapr_dma_container_window(c, NULL, NULL, &ps);
	if (iova == SPAPR_DMA_BAD_IOVA)
		return 1;
	if (want & SPAPR_DMA_READ)
		dir |= SPAPR_MODEL_DMA_READ;
	if (want & SPAPR_DMA_WRITE)
		dir |= SPAPR_MODEL_DMA_WRITE;
	/* Every TCE of the range, with the permissions asked for. */
	bad += !dma_ok(w, group, iova, r->len, dir, UINT64_MAX);
	/* Read-only memory must refuse device writes. */
	if (!(want & SPAPR_DMA_WRITE)) {
		bad += spapr_model_dma_check(w->m, group, iova, 1, SPAPR_MODEL_DMA_WRITE, NULL) == 0;
		spapr_model_pe_reset(w->m, group);
	}
	pg = 1ull << ps;
	npg = r->len / pg;
	step = npg > max_pages ? npg / max_pages : 1;
	for (i = 0; i < npg; i += step) {
		uint64_t va = r->va + i * pg;

		if (spapr_dma_iova(c, va) != iova + i * pg || spapr_dma_iova(c, va + pg - 1) !=
								       iova + i * pg + pg - 1)
			bad++;
		if (spapr_model_mm_va_to_pa(w->m, 0, va, &pa))
			bad++;
		bad += !dma_ok(w, group, iova + i * pg, 1, SPAPR_MODEL_DMA_READ, pa);
		bad += !dma_ok(w, group, iova + i * pg + pg - 1, 1, SPAPR_MODEL_DMA_READ, pa + pg - 1);
	}
	/* Just outside, unless another range of ours lives there. */
	if (iova && !iova_is_ours(c, all, n, iova - 1))
		bad += !dma_faults(w, group, iova - 1);
	if (!iova_is_ours(c, all, n, iova + r->len))
		bad += !dma_faults(w, group, iova + r->len);
	if (bad && getenv("DMA_TEST_VERBOSE"))
		fprintf(stderr, "verify: region va 0x%llx len 0x%llx iova 0x%llx: %u bad\n",
			(unsigned long long)r->va, (unsigned long long)r->len,
			(unsigned long long)iova, bad);
	return bad;
}

static inline unsigned int verify_all(struct world *w, int group,
				      const struct spapr_dma_container *c,
				      const struct spapr_dma_mem_region *r, unsigned int n,
				      uint64_t max_pages)
{
	unsigned int i, bad = 0;

	for (i = 0; i < n; i++)
		bad += verify_region(w, group, c, r, n, &r[i], max_pages);
	return bad;
}

#endif /* DMA_WORLD_H */
