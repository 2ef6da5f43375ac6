/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_windows.c - windows: the TCE exchange, invalidation and clear
 * (VST, IODATCE, PSER), and MAP (VST tce_iommu_build_v2 / tce_iommu_build,
 * §3.8 step 9-11).
 *
 * Kernel sources the behaviour was learned from (never copied), abbreviated
 * as in model.c: VST vfio_iommu_spapr_tce.c, CONT container.c, GRP group.c,
 * API iommu_api.c, KIO iommu.c, IODA pci-ioda.c, IODATCE pci-ioda-tce.c,
 * PSER pseries/iommu.c. Counters: see model.c.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"

/* ------------------------------------------------------------------------ */
/* Windows: TCE exchange, invalidation, clear (VST, IODATCE, PSER).         */
/* ------------------------------------------------------------------------ */

struct model_mm *model_cont_mm(struct spapr_model *m, struct model_container *c)
{
	return model_mm_get(m, c->mm);
}

static bool table_hcalls(const struct spapr_model *m)
{
	return m->prof.tce_via_hcall;
}

/* tce_alloc_hook: every TCE-table level allocation is a level_alloc fault
 * point; a chunk above the largest page allocation fails (§5.2). */
int model_level_hook(void *ctx, bool hw, uint64_t bytes)
{
	struct spapr_model *m = ctx;
	int rc;

	if (hw && (rc = model_fault_point(m, SPAPR_MODEL_OP_LEVEL_ALLOC)))
		return rc;
	if (bytes > m->prof.max_level_chunk)
		return -ENOMEM;
	CTR(m, table_bytes_allocated, bytes);
	return 0;
}

static int hcall(struct spapr_model *m)
{
	int rc = model_fault_point(m, SPAPR_MODEL_OP_HCALL);

	CTR(m, hcalls, 1);
	return rc;
}

int model_rtas(struct spapr_model *m)
{
	int rc = model_fault_point(m, SPAPR_MODEL_OP_HCALL);

	CTR(m, rtas_calls, 1);
	return rc;
}

void model_opal(struct spapr_model *m)
{
	CTR(m, opal_calls, 1);
}

/* Counts of a run of exchanges, added to the counters once (a whole-window
 * clear is millions of exchanges). */
struct xcount {
	uint64_t xchg, writes, hcalls;
};

static void xcount_flush(struct spapr_model *m, struct xcount *xc)
{
	CTR(m, tce_xchg, xc->xchg);
	CTR(m, tce_writes, xc->writes);
	CTR(m, hcalls, xc->hcalls);
	CTR(m, ops[SPAPR_MODEL_OP_HCALL], xc->hcalls);
	*xc = (struct xcount){ 0, 0, 0 };
}

static bool fault_armed(const struct spapr_model *m, enum spapr_model_op op)
{
	for (unsigned int i = 0; i < m->faults.nrules; i++)
		if (m->faults.rules[i].op == op)
			return true;
	return false;
}

/* H_GET_TCE + H_PUT_TCE of one exchange. Without an armed hcall rule
 * they are only counted (in @xc); with one, each is a fault point. */
static int hcall_pair(struct spapr_model *m, struct xcount *xc)
{
	int rc;

	if (!table_hcalls(m))
		return 0;
	if (!fault_armed(m, SPAPR_MODEL_OP_HCALL)) {
		xc->hcalls += 2;
		return 0;
	}
	if ((rc = hcall(m)) || (rc = hcall(m)))
		return rc;
	return 0;
}

/*
 * iommu_tce_xchg_no_kill(): PowerNV pnv_tce_xchg (a clear does not allocate
 * missing levels; WRITE is stored as READ|WRITE, §5.1) or pseries
 * tce_exchange_pseries (H_GET_TCE + H_PUT_TCE, direction unchanged).
 */
static int tce_xchg_counted(struct spapr_model *m, struct model_table *mt,
			    uint64_t entry, uint64_t newtce, uint64_t *old,
			    struct xcount *xc)
{
	struct tce_table *t = mt->t;
	uint64_t idx = entry - t->offset, *p;
	int rc = 0;

	xc->xchg++;
	*old = 0;
	if ((rc = hcall_pair(m, xc)))
		return rc;
	if (mt->platform != SPAPR_MODEL_PSERIES && (newtce & TCE_WRITE))
		newtce |= TCE_READ;
	p = tce_table_entry(t, true, idx, false, NULL, NULL, NULL);
	if (!p && !newtce)
		return 0;
	if (!p)
		p = tce_table_entry(t, true, idx, true,
				    t->on_demand ? model_level_hook : NULL, m, &rc);
	if (!p)
		return rc ? rc : -ENOMEM;
	*old = be64toh(*p);
	*p = htobe64(newtce);
	if (*old != newtce)
		xc->writes++;
	return 0;
}

static int tce_xchg(struct spapr_model *m, struct model_table *mt, uint64_t entry,
		    uint64_t newtce, uint64_t *old)
{
	struct xcount xc = { 0, 0, 0 };
	int rc = tce_xchg_counted(m, mt, entry, newtce, old, &xc);

	xcount_flush(m, &xc);
	return rc;
}

/* Invalidation after a range of entries changed (KIO iommu_tce_kill ->
 * IODA pnv_pci_ioda2_tce_invalidate: every PE the table is linked to). */
static void tce_kill(struct spapr_model *m, struct model_table *mt, uint64_t pages)
{
	if (mt->platform == SPAPR_MODEL_PSERIES)
		return;	/* no tce_kill op: H_PUT_TCE invalidates */
	for (unsigned int i = 0; i < mt->linked; i++) {
		if (m->prof.invalidate == SPAPR_MODEL_INVAL_PER_RANGE) {
			CTR(m, invalidations, 1);
			model_opal(m);
		} else if (m->prof.invalidate == SPAPR_MODEL_INVAL_PER_PAGE) {
			CTR(m, invalidations, pages);
		}
	}
}

/* PE-wide kill on set/unset window (IODA pnv_pci_ioda2_tce_invalidate_pe). */
void model_pe_kill(struct spapr_model *m)
{
	if (m->prof.invalidate == SPAPR_MODEL_INVAL_PER_RANGE) {
		CTR(m, invalidations, 1);
		model_opal(m);
	} else if (m->prof.invalidate == SPAPR_MODEL_INVAL_PER_PAGE) {
		CTR(m, invalidations, 1);
	}
}

/* tce_iommu_unuse_page_v2(): find the region of the view's user address,
 * drop its mapped count, zero the view entry. */
static void unuse_page_v2(struct spapr_model *m, struct model_container *c,
			  struct model_table *mt, uint64_t entry)
{
	uint64_t *pua = tce_table_entry(mt->t, false, entry - mt->t->offset, false,
					NULL, NULL, NULL);
	struct model_region *r;
	uint64_t ua;

	if (!pua)
		return;
	ua = be64toh(*pua);
	r = model_region_lookup(m, model_cont_mm(m, c), ua, UINT64_C(1) << mt->t->page_shift);
	if (r)
		model_region_mapped_dec(r);
	*pua = 0;
}

static bool view_empty(struct model_table *mt, uint64_t entry)
{
	uint64_t *pua = tce_table_entry(mt->t, false, entry - mt->t->offset, false,
					NULL, NULL, NULL);

	return !pua || !*pua;
}

/* Release what an old valid TCE held (v2: region mapped count; v1: pin). */
static void release_old(struct spapr_model *m, struct model_container *c,
			struct model_table *mt, uint64_t entry)
{
	if (!c->v2) {
		mt->v1_pins--;
		return;
	}
	if (view_empty(mt, entry) && mt->stale)
		mt->stale--;
	unuse_page_v2(m, c, mt, entry);
}

/* Tables made by pseries_table() are single-level for the kernel (every
 * entry is exchanged, two hcalls each on pseries); the model stores them in
 * internal levels and accounts a never-touched block without walking it. */
static uint64_t internal_skip_block(struct spapr_model *m, struct model_table *mt,
				   uint64_t e, uint64_t last, struct xcount *xc)
{
	struct tce_table *t = mt->t;
	uint64_t idx = e - t->offset, bs = tce_table_level_size(t);
	uint64_t n = bs - (idx & (bs - 1));

	if (mt->levels > 1 || t->levels == 1 ||
	    fault_armed(m, SPAPR_MODEL_OP_HCALL) ||
	    tce_table_entry(t, true, idx, false, NULL, NULL, NULL) ||
	    tce_table_entry(t, false, idx, false, NULL, NULL, NULL))
		return 0;
	if (n > last - e)
		n = last - e;
	xc->xchg += n;
	if (table_hcalls(m))
		xc->hcalls += 2 * n;
	return n;
}

/* tce_iommu_clear(): exchange every entry with "none"; on multi-level tables
 * skip leaf blocks the userspace view does not have; one kill per call. */
void model_tce_clear(struct spapr_model *m, struct model_container *c,
		      struct model_table *mt, uint64_t entry, uint64_t pages)
{
	struct tce_table *t = mt->t;
	const uint64_t last = entry + pages;
	struct xcount xc = { 0, 0, 0 };
	uint64_t e = entry, n;

	while (e < last) {
		uint64_t old;

		if ((n = internal_skip_block(m, mt, e, last, &xc))) {
			e += n;
			continue;
		}
		if (mt->levels > 1 &&
		    !tce_table_entry(t, false, e - t->offset, false, NULL, NULL,
				     NULL)) {
			e = (e | (tce_table_level_size(t) - 1)) + 1;
			continue;
		}
		if (!tce_xchg_counted(m, mt, e, 0, &old, &xc) && (old & TCE_PERM))
			release_old(m, c, mt, e);
		e++;
	}
	xcount_flush(m, &xc);
	tce_kill(m, mt, pages);
}

void model_tce_clear_all(struct spapr_model *m, struct model_container *c,
			  struct model_table *mt)
{
	model_tce_clear(m, c, mt, mt->t->offset, mt->t->size);
}

/* ------------------------------------------------------------------------ */
/* MAP: tce_iommu_build_v2 / tce_iommu_build (VST, §3.8 step 9-11).    */
/* ------------------------------------------------------------------------ */

/* tce_page_is_contained(): devmem walk, then the compound page holding
 * @pa must be at least one IOMMU page. */
static bool page_is_contained(struct spapr_model *m, struct model_mm *mm,
			      uint64_t pa, unsigned int shift)
{
	struct model_vma *v;

	if (mm)
		model_region_devmem_walk(m, mm);
	v = model_vma_by_pa(m, pa);
	return v && v->page_shift >= shift;
}

/* tce_iommu_prereg_ua_to_hpa(): lookup + mm_iommu_ua_to_hpa (-EINVAL). */
static int prereg_ua_to_hpa(struct spapr_model *m, struct model_mm *mm,
			    uint64_t ua, unsigned int shift, uint64_t *pa,
			    struct model_region **reg)
{
	struct model_region *r = model_region_lookup(m, mm, ua, UINT64_C(1) << shift);

	if (!r || shift > r->pageshift)
		return -EINVAL;
	*pa = model_region_ua_to_pa(r, ua);
	*reg = r;
	return 0;
}

/* One page of tce_iommu_build_v2(). */
static int build_page_v2(struct spapr_model *m, struct model_container *c,
			 struct model_table *mt, uint64_t entry, uint64_t ua,
			 uint64_t perm)
{
	struct tce_table *t = mt->t;
	struct model_mm *mm = model_cont_mm(m, c);
	struct model_region *r;
	uint64_t *pua, pa, old;
	bool was_valid, had_view;
	int rc = 0;

	pua = tce_table_entry(t, false, entry - t->offset, true,
			      t->on_demand ? model_level_hook : NULL, m, &rc);
	if (!pua)
		return rc ? rc : -ENOMEM;
	rc = prereg_ua_to_hpa(m, mm, ua, t->page_shift, &pa, &r);
	if (rc)
		return rc;
	if (!page_is_contained(m, mm, pa, t->page_shift))
		return -EPERM;
	r->mapped++;
	rc = tce_xchg(m, mt, entry, pa | perm, &old);
	if (rc) {
		/* the failed exchange left the entry as it was */
		was_valid = tce_table_get(t, entry - t->offset) & TCE_PERM;
		had_view = *pua != 0;
		/* Kernel: unuse_page_v2() on the failed entry drops the OLD
		 * mapping's count and zeroes its view entry although the TCE
		 * still holds it, and the new region's mapped_inc is never
		 * undone (VST tce_iommu_build_v2, "dirtmp cannot be DMA_NONE
		 * here"). Reproduced and tracked for the invariant checker. */
		unuse_page_v2(m, c, mt, entry);
		r->mapped_leak++;
		if (was_valid && had_view)
			mt->stale++;
		return rc;
	}
	if (old & TCE_PERM)
		release_old(m, c, mt, entry);
	*pua = htobe64(ua);
	return 0;
}

/* One page of tce_iommu_build() (v1): pin the system page with FOLL_WRITE
 * (the direction is derived from the page-aligned address, which carries no
 * permission bits, so even READ-only maps need writable memory). */
static int build_page_v1(struct spapr_model *m, struct model_container *c,
			 struct model_table *mt, uint64_t entry, uint64_t ua,
			 uint64_t perm)
{
	struct model_mm *mm = model_cont_mm(m, c);
	struct model_vma *v = mm ? model_vma_find(mm, ua) : NULL;
	uint64_t pa, old;
	int rc;

	if (!v || (v->flags & (SPAPR_MODEL_VMA_READONLY | SPAPR_MODEL_VMA_UNPINNABLE)))
		return -EFAULT;
	CTR(m, pages_pinned, 1);
	pa = v->pa + (ua - v->va);
	if (!page_is_contained(m, mm, pa, mt->t->page_shift))
		return -EPERM;	/* the kernel leaks this pin */
	rc = tce_xchg(m, mt, entry, pa | perm, &old);
	if (rc)
		return rc;
	if (old & TCE_PERM)
		mt->v1_pins--;
	mt->v1_pins++;
	return 0;
}

int model_tce_build(struct spapr_model *m, struct model_container *c,
		     struct model_table *mt, uint64_t entry, uint64_t ua,
		     uint64_t pages, uint64_t perm)
{
	const uint64_t pgsize = UINT64_C(1) << mt->t->page_shift;
	uint64_t i;
	int rc = 0;

	for (i = 0; i < pages; i++, ua += pgsize) {
		rc = c->v2 ? build_page_v2(m, c, mt, entry + i, ua, perm)
			   : build_page_v1(m, c, mt, entry + i, ua, perm);
		if (rc)
			break;
	}
	if (rc)
		model_tce_clear(m, c, mt, entry, i);	/* rollback of this call only */
	else
		tce_kill(m, mt, pages);
	return rc;
}

/* tce_iommu_find_table(): the window containing bus address @iova. */
int model_find_table(struct model_container *c, uint64_t iova,
		      struct model_table **out)
{
	for (int i = 0; i < MODEL_SLOTS; i++) {
		struct model_table *mt = c->tables[i];

		if (mt && tce_table_has_entry(mt->t, iova >> mt->t->page_shift)) {
			*out = mt;
			return i;
		}
	}
	return -1;
}

/* MAP/UNMAP past the window end: kernel UB (§3.8 step 8). */
bool model_runs_past_end(struct spapr_model *m, struct model_table *mt,
			  uint64_t iova, uint64_t size, const char *what)
{
	uint64_t entry = iova >> mt->t->page_shift;
	uint64_t pages = size >> mt->t->page_shift;

	if (pages <= mt->t->offset + mt->t->size - entry)
		return false;
	model_diag(m, "%s iova 0x%" PRIx64 " size 0x%" PRIx64 " runs past the window "
	     "end 0x%" PRIx64 ": kernel undefined behaviour (only the first "
	     "page is range-checked), refused with -EINVAL", what, iova, size,
	     (mt->t->offset + mt->t->size) << mt->t->page_shift);
	return true;
}
