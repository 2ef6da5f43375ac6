/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_regions.c - preregistered regions (§3.5; API mm_iommu_*): lookup,
 * pinning, reference counts.
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

static unsigned int ctz64(uint64_t v)
{
	return v ? (unsigned int)__builtin_ctzll(v) : 64u;
}

/* ------------------------------------------------------------------------ */
/* Preregistered regions (§3.5; API mm_iommu_*).                       */
/* ------------------------------------------------------------------------ */

uint64_t model_region_bytes(const struct spapr_model *m, const struct model_region *r)
{
	return r->entries << model_sys_shift(m);
}

/* mm_iommu_lookup(): first region, newest first, holding [ua, ua+size). */
struct model_region *model_region_lookup(struct spapr_model *m,
					  struct model_mm *mm, uint64_t ua,
					  uint64_t size)
{
	struct model_region *r;

	for (r = mm->regions; r; r = r->next) {
		CTR(m, region_visits, 1);
		if (r->ua <= ua && ua + size <= r->ua + model_region_bytes(m, r))
			return r;
	}
	return NULL;
}

/* mm_iommu_get(): exact (ua, entries) match, takes a reference. */
struct model_region *model_region_get(struct spapr_model *m, struct model_mm *mm,
				       uint64_t ua, uint64_t entries)
{
	struct model_region *r;

	for (r = mm->regions; r; r = r->next) {
		CTR(m, region_visits, 1);
		if (r->ua == ua && r->entries == entries) {
			r->used++;
			return r;
		}
	}
	return NULL;
}

/* mm_iommu_is_devmem(): walks every region (none is device memory here). */
void model_region_devmem_walk(struct spapr_model *m, struct model_mm *mm)
{
	CTR(m, region_visits, mm->nregions);
}

/* Host physical address of user address @ua inside region @r. */
uint64_t model_region_ua_to_pa(const struct model_region *r, uint64_t ua)
{
	for (unsigned int i = 0; i < r->nsegs; i++) {
		const struct region_seg *s = &r->segs[i];

		if (ua >= s->va && ua - s->va < s->len)
			return s->vma->pa + (ua - s->vma->va);
	}
	return 0;
}

void model_region_unpin(struct spapr_model *m, struct model_region *r)
{
	for (unsigned int i = 0; i < r->nsegs; i++) {
		struct model_vma *v = r->segs[i].vma;

		v->pins--;
		model_vma_maybe_free(m, v);
	}
	free(r->segs);
	r->segs = NULL;
	r->nsegs = 0;
}

void model_region_unlink(struct model_mm *mm, struct model_region *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		mm->regions = r->next;
	if (r->next)
		r->next->prev = r->prev;
	mm->nregions--;
}

/* mm_iommu_put(): drop a reference; the last one frees an unmapped region. */
int model_region_put(struct spapr_model *m, struct model_mm *mm,
		      struct model_region *r)
{
	if (!r->used)
		return -ENOENT;
	if (--r->used)
		return 0;
	if (r->mapped != 1) {
		r->used++;
		return -EBUSY;	/* "there are still mappings" */
	}
	r->mapped = 0;
	model_region_unlink(mm, r);
	model_region_unpin(m, r);
	model_account(m, mm, r->entries, false);
	free(r);
	return 0;
}

/*
 * pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) over [ua, ua+entries pages):
 * builds the segments. Returns 0, or like the kernel's chunked loop in
 * API mm_iommu_do_alloc(): the number of pages pinned before the failure
 * when it is > 0 (gup returns "i ? i : ret"; mm_iommu_do_alloc only turns
 * a zero result into -EFAULT, so a partial pin count reaches userspace as
 * the ioctl's positive return value), else -EFAULT for holes, read-only
 * and unpinnable (VM_IO/PFNMAP) VMAs.
 */
static long region_pin(struct spapr_model *m, struct model_mm *mm,
		       struct model_region *r)
{
	const uint64_t chunk = UINT64_C(1) << 21;	/* entries per gup call */
	uint64_t end = r->ua + model_region_bytes(m, r), pos = r->ua;

	while (pos < end) {
		struct model_vma *v = model_vma_find(mm, pos);
		uint64_t segend;
		struct region_seg *n;

		if (!v || (v->flags & (SPAPR_MODEL_VMA_READONLY |
				       SPAPR_MODEL_VMA_UNPINNABLE))) {
			uint64_t done = (pos - r->ua) >> model_sys_shift(m);

			CTR(m, pages_pinned, done);
			model_region_unpin(m, r);
			return done % chunk ? (long)(done % chunk) : -EFAULT;
		}
		segend = v->va + v->len < end ? v->va + v->len : end;
		n = realloc(r->segs, (r->nsegs + 1) * sizeof(*n));
		if (!n) {
			model_region_unpin(m, r);
			return -ENOMEM;
		}
		r->segs = n;
		r->segs[r->nsegs++] = (struct region_seg){ pos, segend - pos, v };
		v->pins++;
		pos = segend;
	}
	CTR(m, pages_pinned, r->entries);
	return 0;
}

/* Region pageshift (API mm_iommu_do_alloc, §3.5): natural alignment,
 * lowered to PAGE_SHIFT unless the pages are hugetlbfs. The candidate is
 * not reset per page (upstream quirk), so one step per segment is exact. */
static unsigned int region_pageshift(struct spapr_model *m, struct model_region *r)
{
	unsigned int ps = ctz64(r->ua | model_region_bytes(m, r));
	unsigned int cand = model_sys_shift(m);

	for (unsigned int i = 0; i < r->nsegs; i++) {
		const struct model_vma *v = r->segs[i].vma;

		if (ps > model_sys_shift(m) && (v->flags & SPAPR_MODEL_VMA_HUGETLB))
			cand = v->page_shift;
		if (cand < ps)
			ps = cand;
	}
	return ps;
}

static bool region_overlaps(struct spapr_model *m, struct model_mm *mm,
			    uint64_t ua, uint64_t bytes)
{
	for (struct model_region *r = mm->regions; r; r = r->next) {
		CTR(m, region_visits, 1);
		if (r->ua < ua + bytes && ua < r->ua + model_region_bytes(m, r))
			return true;
	}
	return false;
}

/*
 * API mm_iommu_do_alloc() allocates the per-page hpas array,
 * vzalloc(array_size(entries, 8)), after charging locked_vm and before
 * pinning anything. vmalloc refuses a size of 0 and one of more pages than
 * totalram_pages() (mm/vmalloc.c __vmalloc_node_range; array_size()
 * saturates on overflow): REGISTER of a range far larger than the host's
 * RAM is -ENOMEM, whatever is mapped there. The profile's ram_size stands
 * for totalram.
 */
static bool hpas_alloc_fails(const struct spapr_model *m, uint64_t entries)
{
	const unsigned int shift = model_sys_shift(m);
	uint64_t bytes, pages;

	if (!entries || entries > UINT64_MAX / 8)
		return true;
	bytes = entries * 8;
	pages = (bytes >> shift) + ((bytes & (model_sys_page(m) - 1)) != 0);
	return pages > (m->prof.ram_size >> shift);
}

/* mm_iommu_new() / mm_iommu_do_alloc(): charge, hpas array, pin, overlap,
 * link. */
long model_region_new(struct spapr_model *m, struct model_mm *mm, uint64_t ua,
		       uint64_t entries, struct model_region **out)
{
	struct model_region *r;
	long rc = model_account(m, mm, entries, true);

	if (rc)
		return rc;
	/* vzalloc(0) fails too: size 0 is -ENOMEM (code reading; §3.5
	 * step 3 "unverified"). */
	r = hpas_alloc_fails(m, entries) ? NULL : calloc(1, sizeof(*r));
	if (!r) {
		model_account(m, mm, entries, false);
		return -ENOMEM;
	}
	r->mm = mm->id;
	r->ua = ua;
	r->entries = entries;
	rc = model_fault_point(m, SPAPR_MODEL_OP_PIN);
	if (!rc)
		rc = region_pin(m, mm, r);
	if (!rc && region_overlaps(m, mm, ua, model_region_bytes(m, r))) {
		model_region_unpin(m, r);
		rc = -EINVAL;
	}
	if (rc) {
		free(r->segs);
		free(r);
		model_account(m, mm, entries, false);
		return rc;
	}
	r->pageshift = region_pageshift(m, r);
	r->used = 1;
	r->mapped = 1;
	r->next = mm->regions;
	if (mm->regions)
		mm->regions->prev = r;
	mm->regions = r;
	mm->nregions++;
	*out = r;
	return 0;
}

/* mm_iommu_mapped_dec(): decrement unless it is 1. */
void model_region_mapped_dec(struct model_region *r)
{
	if (r->mapped != 1)
		r->mapped--;
}
