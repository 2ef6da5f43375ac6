/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model.c - the host model's core: processes (mm, VMAs, locked_vm),
 * preregistered regions, containers, groups and every container/group ioctl
 * of spec §3 with the kernel's check order, teardown (§4), platform backends
 * (§6) and cost counters (§7).
 *
 * Kernel sources the behaviour was learned from (never copied):
 *   VST  drivers/vfio/vfio_iommu_spapr_tce.c   CONT drivers/vfio/container.c
 *   GRP  drivers/vfio/group.c                   API  arch/powerpc/mm/book3s64/iommu_api.c
 *   KIO  arch/powerpc/kernel/iommu.c            IODA arch/powerpc/platforms/powernv/pci-ioda.c
 *   IODATCE .../powernv/pci-ioda-tce.c          PSER arch/powerpc/platforms/pseries/iommu.c
 *
 * Where the kernel source disagrees with the spec, the model follows the
 * kernel (each place has a comment):
 *   - MAP/UNMAP with a misaligned iova return 1, not -EINVAL (the param-check
 *     macros of AIO are "a || b");
 *   - REGISTER whose pinning stops after k > 0 pages returns k (gup's
 *     "i ? i : ret", only 0 becomes -EFAULT in API mm_iommu_do_alloc);
 *   - REGISTER of size 0 fails -ENOMEM (vzalloc(0));
 *   - a failed exchange in MAP (on-demand level, H_PUT_TCE) keeps the new
 *     region's mapped count raised and keeps the view level it allocated;
 *   - VST's group list is head-inserted: GET_INFO/CREATE use the newest
 *     attached group;
 *   - every clear and every successful MAP kills once, changes or not;
 *   - SET_IOMMU(VFIO_EEH) is -EINVAL when EEH is on, other types -ENODEV;
 *   - a PowerNV window spans its whole table, at least one system page of
 *     TCEs (PAGE_SIZE/8 entries), not window_size >> page_shift entries,
 *     and a window smaller than its IOMMU page may be accepted (IODATCE
 *     pnv_pci_ioda2_table_alloc_pages, 32-bit entries_shift; see pnv_create
 *     and tce_table.h).
 *
 * Counter definitions (spec §7; host, per mm of the caller and per container
 * of the handle the op was issued on):
 *   ops[op]        every backend op and every internal fault point reached
 *                  (level_alloc, pin, hcall)
 *   ioctls         group and container ioctls (not open/close)
 *   errors         ioctls that returned a negative value
 *   tce_xchg       calls of the TCE exchange (iommu_tce_xchg_no_kill): one per
 *                  entry mapped, one per entry visited by a clear (UNMAP,
 *                  REMOVE, detach, release, rollback); entries of unallocated
 *                  leaf blocks that a multi-level clear skips are not counted
 *   tce_writes     exchanges that changed the stored TCE
 *   invalidations  PER_RANGE: one TCE kill per PE per MAP/UNMAP/clear call
 *                  (the kernel kills once per call even when nothing
 *                  changed, VST tce_iommu_clear/tce_iommu_build_v2), plus one
 *                  PE-wide kill per set_window/unset_window; PER_PAGE: one
 *                  MMIO write per IOMMU page of the call's range per PE, plus
 *                  one per set/unset; NONE (pseries): 0
 *   region_visits  nodes of the mm's prereg list visited: mm_iommu_lookup
 *                  stops at the match (1-based position) or visits all R;
 *                  MAP v2 per page: lookup + the full mm_iommu_is_devmem walk
 *                  (R) when the lookup succeeded; a replaced or cleared
 *                  mapping: lookup of its old address; REGISTER: the
 *                  exact-match walk of mm_iommu_get, then (new region) the
 *                  overlap scan up to the first overlap or R; UNREGISTER: the
 *                  exact-match walk; v1 MAP per page: the devmem walk (R)
 *   hcalls         TCE hypercalls when the profile says tce_via_hcall:
 *                  H_GET_TCE + H_PUT_TCE per exchange
 *   rtas_calls     pseries RTAS: query/create/remove/reset of DMA windows
 *   opal_calls     PowerNV: opal_pci_map_pe_dma_window (set/unset window,
 *                  ownership changes), bypass changes, opal_pci_tce_kill
 *   pages_pinned   system pages pinned (REGISTER, v1 MAP), including pins
 *                  undone by a failing REGISTER
 *   table_bytes_allocated  TCE-table and userspace-view level memory allocated
 *   table_bytes_charged    bytes of table charges to locked_vm (get_table_size)
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"

#define OPS_FIRST_IOCTL SPAPR_MODEL_OP_GROUP_GET_STATUS
#define OPS_LAST_IOCTL SPAPR_MODEL_OP_EEH_PE_OP

static struct spapr_model *to_model(struct spapr_backend *be)
{
	return (struct spapr_model *)be;
}

static unsigned int sys_shift(const struct spapr_model *m)
{
	return m->prof.system_page_shift;
}

static uint64_t sys_page(const struct spapr_model *m)
{
	return UINT64_C(1) << sys_shift(m);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static unsigned int ctz64(uint64_t v)
{
	return v ? (unsigned int)__builtin_ctzll(v) : 64u;
}

/* ------------------------------------------------------------------------ */
/* Counters, diagnostics, fault points.                                     */
/* ------------------------------------------------------------------------ */

static void ctr_add_one(struct spapr_model_counters *c, size_t field, uint64_t n)
{
	*(uint64_t *)((char *)c + field) += n;
}

void model_ctr_add(struct spapr_model *m, size_t field, uint64_t n)
{
	ctr_add_one(&m->ctr, field, n);
	if (m->ctx_cont)
		ctr_add_one(&m->ctx_cont->ctr, field, n);
	if (m->ctx_mm)
		ctr_add_one(&m->ctx_mm->ctr, field, n);
}

static void count_op(struct spapr_model *m, enum spapr_model_op op)
{
	CTR(m, ops[op], 1);
}

/* An internal fault point (level_alloc, pin, hcall). */
static int fault_point(struct spapr_model *m, enum spapr_model_op op)
{
	count_op(m, op);
	return model_fault_hit(&m->faults, op);
}

static void diag(struct spapr_model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->diag, sizeof(m->diag), fmt, ap);
	va_end(ap);
	m->ndiag++;
}

/* ------------------------------------------------------------------------ */
/* Processes: mm, VMAs, host physical addresses.                            */
/* ------------------------------------------------------------------------ */

static struct model_mm *mm_get(struct spapr_model *m, int id)
{
	if (id < 0 || (unsigned int)id >= m->nmms)
		return NULL;
	return m->mms[id];
}

static int mm_new(struct spapr_model *m, uint64_t limit, bool cap)
{
	struct model_mm **n, *mm;

	n = realloc(m->mms, (m->nmms + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->mms = n;
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	mm->id = (int)m->nmms;
	mm->memlock_limit = limit;
	mm->cap_ipc_lock = cap;
	m->mms[m->nmms++] = mm;
	return mm->id;
}

/* Index of the first VMA of @mm ending after @va. */
static unsigned int vma_lower(const struct model_mm *mm, uint64_t va)
{
	unsigned int lo = 0, hi = mm->nvmas;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct model_vma *v = mm->vmas[mid];

		if (v->va + v->len <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct model_vma *vma_find(const struct model_mm *mm, uint64_t va)
{
	unsigned int i = vma_lower(mm, va);

	if (i < mm->nvmas && mm->vmas[i]->va <= va)
		return mm->vmas[i];
	return NULL;
}

static unsigned int phys_lower(const struct spapr_model *m, uint64_t pa)
{
	unsigned int lo = 0, hi = m->nphys;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct model_vma *v = m->phys[mid];

		if (v->pa + v->len <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct model_vma *model_vma_by_pa(struct spapr_model *m, uint64_t pa)
{
	unsigned int i = phys_lower(m, pa);

	if (i < m->nphys && m->phys[i]->pa <= pa)
		return m->phys[i];
	return NULL;
}

static int grow(void **arr, unsigned int *cap, unsigned int need, size_t elem)
{
	unsigned int ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, (size_t)ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static int insert_ptr(void ***arr, unsigned int *n, unsigned int *cap,
		      unsigned int at, void *p)
{
	if (grow((void **)arr, cap, *n + 1, sizeof(void *)))
		return -ENOMEM;
	memmove(*arr + at + 1, *arr + at, (*n - at) * sizeof(void *));
	(*arr)[at] = p;
	(*n)++;
	return 0;
}

static void remove_ptr(void **arr, unsigned int *n, unsigned int at)
{
	memmove(arr + at, arr + at + 1, (*n - at - 1) * sizeof(void *));
	(*n)--;
}

static void phys_remove(struct spapr_model *m, struct model_vma *v)
{
	unsigned int i = phys_lower(m, v->pa);

	if (i < m->nphys && m->phys[i] == v)
		remove_ptr((void **)m->phys, &m->nphys, i);
	free(v);
}

/* Drop a VMA once it is neither mapped nor pinned. */
static void vma_maybe_free(struct spapr_model *m, struct model_vma *v)
{
	if (!v->mapped && !v->pins)
		phys_remove(m, v);
}

static int vma_check_args(struct spapr_model *m, const struct model_mm *mm,
			  uint64_t va, uint64_t len, unsigned int shift)
{
	uint64_t mask;
	unsigned int i;

	if (shift < sys_shift(m) || shift > 40 || !len || va + len < va)
		return -EINVAL;
	mask = (UINT64_C(1) << shift) - 1;
	if ((va | len) & mask)
		return -EINVAL;
	i = vma_lower(mm, va);
	if (i < mm->nvmas && mm->vmas[i]->va < va + len)
		return -EEXIST;
	return 0;
}

static int mm_map_locked(struct spapr_model *m, int id, uint64_t va, uint64_t len,
			 unsigned int shift, unsigned int flags, void *host)
{
	struct model_mm *mm = mm_get(m, id);
	uint64_t align = UINT64_C(1) << shift;
	struct model_vma *v;
	int rc;

	if (!mm)
		return -ENOENT;
	rc = vma_check_args(m, mm, va, len, shift);
	if (rc)
		return rc;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*v = (struct model_vma){ .mm = id, .va = va, .len = len, .page_shift = shift,
				 .flags = flags, .host = host, .mapped = true };
	/* A bump allocator keeps the phys array sorted; each range is aligned
	 * to its page size and followed by a guard gap. */
	v->pa = (m->next_pa + align - 1) & ~(align - 1);
	m->next_pa = v->pa + len + sys_page(m);
	if (insert_ptr((void ***)&mm->vmas, &mm->nvmas, &mm->capvmas,
		       vma_lower(mm, va), v) ||
	    insert_ptr((void ***)&m->phys, &m->nphys, &m->capphys, m->nphys, v)) {
		free(v);
		return -ENOMEM;
	}
	return 0;
}

static int mm_unmap_locked(struct spapr_model *m, int id, uint64_t va, uint64_t len)
{
	struct model_mm *mm = mm_get(m, id);
	struct model_vma *v;
	unsigned int i;

	if (!mm)
		return -ENOENT;
	i = vma_lower(mm, va);
	if (i >= mm->nvmas || mm->vmas[i]->va != va || mm->vmas[i]->len != len)
		return -EINVAL;
	v = mm->vmas[i];
	remove_ptr((void **)mm->vmas, &mm->nvmas, i);
	v->mapped = false;
	/* Pinned pages stay (the region keeps them); the process memory
	 * behind @host may go away, so the device must not touch it. */
	v->host = NULL;
	vma_maybe_free(m, v);
	return 0;
}

/* account_locked_vm() against RLIMIT_MEMLOCK unless CAP_IPC_LOCK (§2). */
static int account(struct spapr_model *m, struct model_mm *mm, uint64_t pages,
		   bool inc)
{
	if (!pages || !mm)
		return 0;
	if (!inc) {
		mm->locked_vm -= pages < mm->locked_vm ? pages : mm->locked_vm;
		return 0;
	}
	if (!mm->cap_ipc_lock && mm->memlock_limit != SPAPR_MODEL_UNLIMITED &&
	    mm->locked_vm + pages > (mm->memlock_limit >> sys_shift(m)))
		return -ENOMEM;
	mm->locked_vm += pages;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Preregistered regions (spec §3.5; API mm_iommu_*).                       */
/* ------------------------------------------------------------------------ */

static uint64_t region_bytes(const struct spapr_model *m, const struct model_region *r)
{
	return r->entries << sys_shift(m);
}

/* mm_iommu_lookup(): first region, newest first, holding [ua, ua+size). */
static struct model_region *region_lookup(struct spapr_model *m,
					  struct model_mm *mm, uint64_t ua,
					  uint64_t size)
{
	struct model_region *r;

	for (r = mm->regions; r; r = r->next) {
		CTR(m, region_visits, 1);
		if (r->ua <= ua && ua + size <= r->ua + region_bytes(m, r))
			return r;
	}
	return NULL;
}

/* mm_iommu_get(): exact (ua, entries) match, takes a reference. */
static struct model_region *region_get(struct spapr_model *m, struct model_mm *mm,
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
static void region_devmem_walk(struct spapr_model *m, struct model_mm *mm)
{
	CTR(m, region_visits, mm->nregions);
}

/* Host physical address of user address @ua inside region @r. */
static uint64_t region_ua_to_pa(const struct model_region *r, uint64_t ua)
{
	for (unsigned int i = 0; i < r->nsegs; i++) {
		const struct region_seg *s = &r->segs[i];

		if (ua >= s->va && ua - s->va < s->len)
			return s->vma->pa + (ua - s->vma->va);
	}
	return 0;
}

static void region_unpin(struct spapr_model *m, struct model_region *r)
{
	for (unsigned int i = 0; i < r->nsegs; i++) {
		struct model_vma *v = r->segs[i].vma;

		v->pins--;
		vma_maybe_free(m, v);
	}
	free(r->segs);
	r->segs = NULL;
	r->nsegs = 0;
}

static void region_unlink(struct model_mm *mm, struct model_region *r)
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
static int region_put(struct spapr_model *m, struct model_mm *mm,
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
	region_unlink(mm, r);
	region_unpin(m, r);
	account(m, mm, r->entries, false);
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
	uint64_t end = r->ua + region_bytes(m, r), pos = r->ua;

	while (pos < end) {
		struct model_vma *v = vma_find(mm, pos);
		uint64_t segend;
		struct region_seg *n;

		if (!v || (v->flags & (SPAPR_MODEL_VMA_READONLY |
				       SPAPR_MODEL_VMA_UNPINNABLE))) {
			uint64_t done = (pos - r->ua) >> sys_shift(m);

			CTR(m, pages_pinned, done);
			region_unpin(m, r);
			return done % chunk ? (long)(done % chunk) : -EFAULT;
		}
		segend = v->va + v->len < end ? v->va + v->len : end;
		n = realloc(r->segs, (r->nsegs + 1) * sizeof(*n));
		if (!n) {
			region_unpin(m, r);
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

/* Region pageshift (API mm_iommu_do_alloc, spec §3.5): natural alignment,
 * lowered to PAGE_SHIFT unless the pages are hugetlbfs. The candidate is
 * not reset per page (upstream quirk), so one step per segment is exact. */
static unsigned int region_pageshift(struct spapr_model *m, struct model_region *r)
{
	unsigned int ps = ctz64(r->ua | region_bytes(m, r));
	unsigned int cand = sys_shift(m);

	for (unsigned int i = 0; i < r->nsegs; i++) {
		const struct model_vma *v = r->segs[i].vma;

		if (ps > sys_shift(m) && (v->flags & SPAPR_MODEL_VMA_HUGETLB))
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
		if (r->ua < ua + bytes && ua < r->ua + region_bytes(m, r))
			return true;
	}
	return false;
}

/* mm_iommu_new() / mm_iommu_do_alloc(): charge, pin, overlap, link. */
static long region_new(struct spapr_model *m, struct model_mm *mm, uint64_t ua,
		       uint64_t entries, struct model_region **out)
{
	struct model_region *r;
	long rc = account(m, mm, entries, true);

	if (rc)
		return rc;
	/* vzalloc(0) of the hpas array fails: size 0 is -ENOMEM (code
	 * reading of API mm_iommu_do_alloc; spec §3.5 step 3 "unverified"). */
	r = entries ? calloc(1, sizeof(*r)) : NULL;
	if (!r) {
		account(m, mm, entries, false);
		return -ENOMEM;
	}
	r->mm = mm->id;
	r->ua = ua;
	r->entries = entries;
	rc = fault_point(m, SPAPR_MODEL_OP_PIN);
	if (!rc)
		rc = region_pin(m, mm, r);
	if (!rc && region_overlaps(m, mm, ua, region_bytes(m, r))) {
		region_unpin(m, r);
		rc = -EINVAL;
	}
	if (rc) {
		free(r->segs);
		free(r);
		account(m, mm, entries, false);
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
static void region_mapped_dec(struct model_region *r)
{
	if (r->mapped != 1)
		r->mapped--;
}

/* ------------------------------------------------------------------------ */
/* Windows: TCE exchange, invalidation, clear (VST, IODATCE, PSER).         */
/* ------------------------------------------------------------------------ */

static struct model_mm *cont_mm(struct spapr_model *m, struct model_container *c)
{
	return mm_get(m, c->mm);
}

static bool table_hcalls(const struct spapr_model *m)
{
	return m->prof.tce_via_hcall;
}

/* tce_alloc_hook: every TCE-table level allocation is a level_alloc fault
 * point; a chunk above the largest page allocation fails (spec §5.2). */
static int level_hook(void *ctx, bool hw, uint64_t bytes)
{
	struct spapr_model *m = ctx;
	int rc;

	if (hw && (rc = fault_point(m, SPAPR_MODEL_OP_LEVEL_ALLOC)))
		return rc;
	if (bytes > m->prof.max_level_chunk)
		return -ENOMEM;
	CTR(m, table_bytes_allocated, bytes);
	return 0;
}

static int hcall(struct spapr_model *m)
{
	int rc = fault_point(m, SPAPR_MODEL_OP_HCALL);

	CTR(m, hcalls, 1);
	return rc;
}

static int rtas(struct spapr_model *m)
{
	int rc = fault_point(m, SPAPR_MODEL_OP_HCALL);

	CTR(m, rtas_calls, 1);
	return rc;
}

static void opal(struct spapr_model *m)
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
 * missing levels; WRITE is stored as READ|WRITE, spec §5.1) or pseries
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
				    t->on_demand ? level_hook : NULL, m, &rc);
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
			opal(m);
		} else if (m->prof.invalidate == SPAPR_MODEL_INVAL_PER_PAGE) {
			CTR(m, invalidations, pages);
		}
	}
}

/* PE-wide kill on set/unset window (IODA pnv_pci_ioda2_tce_invalidate_pe). */
static void pe_kill(struct spapr_model *m)
{
	if (m->prof.invalidate == SPAPR_MODEL_INVAL_PER_RANGE) {
		CTR(m, invalidations, 1);
		opal(m);
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
	r = region_lookup(m, cont_mm(m, c), ua, UINT64_C(1) << mt->t->page_shift);
	if (r)
		region_mapped_dec(r);
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
static void tce_clear(struct spapr_model *m, struct model_container *c,
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

static void tce_clear_all(struct spapr_model *m, struct model_container *c,
			  struct model_table *mt)
{
	tce_clear(m, c, mt, mt->t->offset, mt->t->size);
}

/* ------------------------------------------------------------------------ */
/* MAP: tce_iommu_build_v2 / tce_iommu_build (VST, spec §3.8 step 9-11).    */
/* ------------------------------------------------------------------------ */

/* tce_page_is_contained(): devmem walk, then the compound page holding
 * @pa must be at least one IOMMU page. */
static bool page_is_contained(struct spapr_model *m, struct model_mm *mm,
			      uint64_t pa, unsigned int shift)
{
	struct model_vma *v;

	if (mm)
		region_devmem_walk(m, mm);
	v = model_vma_by_pa(m, pa);
	return v && v->page_shift >= shift;
}

/* tce_iommu_prereg_ua_to_hpa(): lookup + mm_iommu_ua_to_hpa (-EINVAL). */
static int prereg_ua_to_hpa(struct spapr_model *m, struct model_mm *mm,
			    uint64_t ua, unsigned int shift, uint64_t *pa,
			    struct model_region **reg)
{
	struct model_region *r = region_lookup(m, mm, ua, UINT64_C(1) << shift);

	if (!r || shift > r->pageshift)
		return -EINVAL;
	*pa = region_ua_to_pa(r, ua);
	*reg = r;
	return 0;
}

/* One page of tce_iommu_build_v2(). */
static int build_page_v2(struct spapr_model *m, struct model_container *c,
			 struct model_table *mt, uint64_t entry, uint64_t ua,
			 uint64_t perm)
{
	struct tce_table *t = mt->t;
	struct model_mm *mm = cont_mm(m, c);
	struct model_region *r;
	uint64_t *pua, pa, old;
	bool was_valid, had_view;
	int rc = 0;

	pua = tce_table_entry(t, false, entry - t->offset, true,
			      t->on_demand ? level_hook : NULL, m, &rc);
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
	struct model_mm *mm = cont_mm(m, c);
	struct model_vma *v = mm ? vma_find(mm, ua) : NULL;
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

static int tce_build(struct spapr_model *m, struct model_container *c,
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
		tce_clear(m, c, mt, entry, i);	/* rollback of this call only */
	else
		tce_kill(m, mt, pages);
	return rc;
}

/* tce_iommu_find_table(): the window containing bus address @iova. */
static int find_table(struct model_container *c, uint64_t iova,
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

/* MAP/UNMAP past the window end: kernel UB (spec §3.8 step 8). */
static bool runs_past_end(struct spapr_model *m, struct model_table *mt,
			  uint64_t iova, uint64_t size, const char *what)
{
	uint64_t entry = iova >> mt->t->page_shift;
	uint64_t pages = size >> mt->t->page_shift;

	if (pages <= mt->t->offset + mt->t->size - entry)
		return false;
	diag(m, "%s iova 0x%" PRIx64 " size 0x%" PRIx64 " runs past the window "
	     "end 0x%" PRIx64 ": kernel undefined behaviour (only the first "
	     "page is range-checked), refused with -EINVAL", what, iova, size,
	     (mt->t->offset + mt->t->size) << mt->t->page_shift);
	return true;
}

/* ------------------------------------------------------------------------ */
/* Platform backends (spec §6): which table_group ops a group has.          */
/* ------------------------------------------------------------------------ */

enum ops_kind {
	OPS_IODA2,	/* pnv_pci_ioda2_ops */
	OPS_PSERIES,	/* spapr_tce_table_group_ops (f431a8cde7f1) */
	OPS_BORROW,	/* v6.4+ "borrowing" ops: reuse the default window */
	OPS_NONE,	/* <= v6.3: pseries/IODA1 had no table_group ops */
};

static enum ops_kind ops_kind(const struct spapr_model *m, const struct model_group *g)
{
	if (g->p.platform == SPAPR_MODEL_POWERNV)
		return OPS_IODA2;
	if (m->prof.kernel == SPAPR_MODEL_KERNEL_6_3)
		return OPS_NONE;
	if (g->p.platform == SPAPR_MODEL_PSERIES &&
	    m->prof.kernel == SPAPR_MODEL_KERNEL_CURRENT)
		return OPS_PSERIES;
	return OPS_BORROW;
}

/* max_dynamic_windows_supported as the kernel sets it (borrowing ops: 0). */
static uint32_t max_windows(const struct spapr_model *m, const struct model_group *g)
{
	enum ops_kind k = ops_kind(m, g);

	return (k == OPS_BORROW || k == OPS_NONE) ? 0 : g->p.max_dynamic_windows;
}

/* ops->get_table_size(): IODA pnv_pci_ioda2_get_table_size (x2 since
 * ~v4.19 for the userspace view) or PSER spapr_tce_get_table_size. */
static uint64_t table_size(struct spapr_model *m, const struct model_group *g,
			   unsigned int shift, uint64_t wsize, unsigned int levels)
{
	uint64_t bytes;
	bool ub;

	if (ops_kind(m, g) != OPS_IODA2) {
		if (levels > 1)
			return 0xFFFFFFFFu;	/* ~0U, charged (§5.3) */
		return wsize >> (shift - 3);
	}
	if (m->prof.window_le_ram && wsize > m->prof.ram_size)
		return 0;	/* pre-4.17 memory_hotplug_max() rule */
	bytes = tce_pnv_table_bytes(shift, wsize, levels, sys_shift(m), &ub);
	if (ub)
		diag(m, "CREATE window 0x%" PRIx64 " < 1/8 of its IOMMU page "
		     "(shift %u): get_table_size shifts by >= 64 bits (kernel "
		     "undefined behaviour), evaluated as ppc64 sld: %s", wsize,
		     shift, bytes ? "charged, the create fails" : "0, -EINVAL");
	return m->prof.pre_4_19_tables ? bytes : 2 * bytes;
}

static struct model_table *table_wrap(struct tce_table *t,
				      enum spapr_model_platform platform, int *err)
{
	struct model_table *mt = calloc(1, sizeof(*mt));

	if (!mt) {
		tce_table_free(t);
		*err = -ENOMEM;
		return NULL;
	}
	mt->t = t;
	mt->platform = platform;
	mt->levels = t->levels;
	return mt;
}

/*
 * IODA pnv_pci_ioda2_create_table + IODATCE pnv_pci_ioda2_table_alloc_pages.
 * The window spans the whole table, which is at least one system page of
 * TCEs (tce_pnv_window_entries): CREATE(64K pages, 1 MiB) on a 4K kernel
 * gives a 32 MiB window, CREATE(1 GiB pages, 256 MiB) a 512 GiB one (its
 * entries_shift wraps around; seen on the QEMU powernv9 testbed). Userspace
 * only gets start_addr back, so the extent shows only when MAP/UNMAP/REMOVE
 * (and the device) use addresses past the requested size.
 */
static int pnv_create(struct spapr_model *m, struct model_group *g, int num,
		      unsigned int shift, uint64_t wsize, unsigned int levels,
		      struct model_table **out)
{
	unsigned int bits = m->prof.bus_addr_bits;
	uint64_t bus = num ? m->prof.slot1_start : g->p.dma32_start;
	bool on_demand = !m->prof.pre_4_19_tables, ub;
	uint64_t entries;
	uint32_t ls;
	struct tce_table *t;
	int err = 0;

	if (!levels || levels > TCE_PNV_MAX_LEVELS || !is_pow2(wsize))
		return -EINVAL;
	ls = tce_pnv_level_shift(shift, wsize, levels, sys_shift(m));
	/* 55-bit bus address rule (§5.2), in the kernel's unsigned long */
	if (bits && (uint64_t)(ls - 3) * levels + shift >= bits)
		return -EINVAL;
	entries = tce_pnv_window_entries(shift, wsize, sys_shift(m), &ub);
	if (ub || ls >= 64 || !entries) {
		diag(m, "CREATE window 0x%" PRIx64 " shift %u levels %u: the "
		     "kernel's table geometry shifts by >= 64 bits (undefined "
		     "behaviour, only reachable without the bus address rule), "
		     "refused with -EINVAL", wsize, shift, levels);
		return -EINVAL;
	}
	t = tce_table_create(bus >> shift, entries, shift, levels, ls,
			     on_demand, level_hook, m, &err);
	if (!t)
		return err;
	if (!on_demand) {
		/* pre-4.19: every level is allocated at create time. */
		t->bytes_allocated = tce_pnv_table_bytes(shift, wsize, levels,
							 sys_shift(m), &ub);
		if (t->bytes_allocated > (UINT64_C(16) << (ls - 3)))
			CTR(m, table_bytes_allocated,
			    t->bytes_allocated - (UINT64_C(16) << (ls - 3)));
	}
	*out = table_wrap(t, g->p.platform, &err);
	return *out ? 0 : err;
}

/* The hypervisor's table of a pseries window: one level for the kernel
 * (it_indirect_levels 0); internally 4096-entry blocks allocated on first
 * touch so that huge DDWs cost nothing until mapped. */
static struct model_table *pseries_table(struct spapr_model *m,
					 struct model_group *g, uint64_t bus,
					 unsigned int shift, uint64_t wsize,
					 int *err)
{
	uint64_t entries = wsize >> shift;
	unsigned int ebits = 63u - (unsigned int)__builtin_clzll(entries);
	unsigned int bits = ebits < 12 ? ebits : 12;
	unsigned int levels = bits ? (ebits + bits - 1) / bits : 1;
	struct tce_table *t;
	struct model_table *mt;

	t = tce_table_create(bus >> shift, entries, shift, levels, bits + 3,
			     false, NULL, NULL, err);
	if (!t)
		return NULL;
	t->bytes_allocated = entries * 8;	/* the guest holds the view only */
	CTR(m, table_bytes_allocated, entries * 8);
	mt = table_wrap(t, g->p.platform, err);
	if (mt)
		mt->levels = 1;
	return mt;
}

/* Where the hypervisor puts a DDW: the profile's ddw_start (observed 1<<59
 * on QEMU), moved past another window of the PE that is already there. */
static uint64_t ddw_place(struct spapr_model *m, struct model_group *g,
			  uint64_t wsize)
{
	uint64_t start = m->prof.ddw_start;

	for (int i = 0; i < MODEL_SLOTS; i++) {
		struct model_table *o = g->pe.tables[i];
		uint64_t os, oe;

		if (!o)
			continue;
		os = tce_table_start(o->t);
		oe = os + (o->t->size << o->t->page_shift);
		if (start < oe && os < start + wsize)
			start = (oe + wsize - 1) & ~(wsize - 1);
	}
	return start;
}

static int pseries_fail(struct spapr_model *m, struct model_group *g, int err)
{
	if (m->prof.quirk_pseries_poison)
		g->pe.poisoned = true;	/* added to failed_ddw_pdn_list */
	return err;
}

/* PSER spapr_tce_create_table: the default window is restored by
 * ibm,reset-pe-dma-windows, anything else is a DDW (query + create). */
static int pseries_create(struct spapr_model *m, struct model_group *g, int num,
			  unsigned int shift, uint64_t wsize, unsigned int levels,
			  struct model_table **out)
{
	bool default_req = wsize <= g->p.dma32_size && shift == 12;
	struct model_pe *pe = &g->pe;
	unsigned int busy;
	int rc = 0;

	if (!is_pow2(wsize) || levels > 1)
		return -EINVAL;
	if (pe->poisoned)
		return -ENODEV;	/* "in failed DDW device list" */
	if (num == 0 && (!default_req || !pe->default_present) && pe->ddws)
		return -EPERM;	/* a 64-bit window already exists */
	if (num == 0 && default_req && !pe->default_present) {
		if ((rc = rtas(m)))
			return rc;
		pe->default_present = true;
		*out = pseries_table(m, g, g->p.dma32_start, 12, wsize, &rc);
		if (*out) {
			(*out)->pseries_default = true;
			pe->tables[0] = *out;
		}
		return *out ? 0 : rc;
	}
	if (!m->prof.ddw_applicable)	/* of_property_read_u32_array() */
		return pseries_fail(m, g, -EINVAL);
	if ((rc = rtas(m)))	/* ibm,query-pe-dma-window */
		return pseries_fail(m, g, rc);
	if (m->prof.largest_available_block < (wsize >> shift))
		return -EINVAL;	/* "retry with smaller window size" */
	/* ibm,create-pe-dma-window fails without a free window; on a
	 * single-window PE (SR-IOV VF) the default window takes it (C-BATRA);
	 * and for a DDW above the hypervisor's real maximum, which the query
	 * did not tell (QEMU 7.2: 2^32 TCEs and more, observed). */
	busy = pe->ddws + (g->p.max_dynamic_windows == 1 && pe->default_present);
	if (rtas(m) || busy >= m->prof.windows_available ||
	    (m->prof.hv_max_window_tces &&
	     (wsize >> shift) > m->prof.hv_max_window_tces))
		return pseries_fail(m, g, -ENODEV);
	*out = pseries_table(m, g, ddw_place(m, g, wsize), shift, wsize, &rc);
	if (!*out)
		return rc;
	pe->ddws++;
	pe->tables[num] = *out;
	return 0;
}

/* v6.4+ borrowing ops (ML-BORROW): only the existing default window, with
 * its own geometry, can be "created". */
static int borrow_create(struct spapr_model *m, struct model_group *g, int num,
			 unsigned int shift, uint64_t wsize, unsigned int levels,
			 struct model_table **out)
{
	int rc = 0;

	if (num > 0)
		return -EPERM;
	if (shift != 12 || wsize != g->p.dma32_size || levels != 1)
		return -EINVAL;
	*out = pseries_table(m, g, g->p.dma32_start, shift, wsize, &rc);
	if (*out)
		g->pe.tables[0] = *out;
	return *out ? 0 : rc;
}

static int platform_create(struct spapr_model *m, struct model_group *g, int num,
			   unsigned int shift, uint64_t wsize, unsigned int levels,
			   struct model_table **out)
{
	switch (ops_kind(m, g)) {
	case OPS_IODA2:
		return pnv_create(m, g, num, shift, wsize, levels, out);
	case OPS_PSERIES:
		return pseries_create(m, g, num, shift, wsize, levels, out);
	default:
		return borrow_create(m, g, num, shift, wsize, levels, out);
	}
}

/* ops->set_window(): IODA programs the TVE (OPAL) and kills the PE's TCE
 * cache; pseries only accepts the table the PE created itself (-EPERM). */
static int set_window(struct spapr_model *m, struct model_group *g, int num,
		      struct model_table *mt)
{
	if (ops_kind(m, g) == OPS_IODA2) {
		opal(m);
		g->pe.tables[num] = mt;
		mt->linked++;
		pe_kill(m);
		return 0;
	}
	if (g->pe.tables[num] != mt)
		return -EPERM;
	mt->linked = 1;
	return 0;
}

static void unset_window(struct spapr_model *m, struct model_group *g, int num)
{
	struct model_table *mt = g->pe.tables[num];
	enum ops_kind k = ops_kind(m, g);

	if (k == OPS_IODA2) {
		opal(m);
		pe_kill(m);
	} else if (!mt) {
		return;
	} else if (k == OPS_PSERIES) {
		/* ibm,remove-pe-dma-window; a failure poisons the PE and leaves
		 * the window in the hypervisor (PSER spapr_tce_unset_window).
		 * The kernel keeps a stale table pointer; the model drops it. */
		if (rtas(m))
			pseries_fail(m, g, -ENODEV);
		else if (mt->pseries_default)
			g->pe.default_present = false;
		else
			g->pe.ddws--;
	}
	if (mt) {
		mt->linked--;
		g->pe.tables[num] = NULL;
	}
}

struct leak_ctx {
	struct spapr_model *m;
	struct model_mm *mm;
	uint64_t pgsize;
};

/* A view entry still set when its table goes away (a clear whose exchange
 * failed, e.g. an H_PUT_TCE error): the region's mapped count can never
 * drop again, like in the kernel. Remember it for the invariant checker. */
static int leak_view(void *ctx, uint64_t idx, uint64_t tce, uint64_t ua)
{
	struct leak_ctx *l = ctx;

	(void)idx;
	(void)tce;
	if (!ua)
		return 0;
	for (struct model_region *r = l->mm->regions; r; r = r->next) {
		if (r->ua <= ua && ua + l->pgsize <= r->ua + region_bytes(l->m, r)) {
			r->mapped_leak++;
			break;
		}
	}
	return 0;
}

static void free_table(struct spapr_model *m, struct model_container *c,
		       struct model_table *mt)
{
	struct leak_ctx l = { m, cont_mm(m, c), UINT64_C(1) << mt->t->page_shift };

	if (c->v2 && l.mm)
		tce_table_visit(mt->t, leak_view, &l);
	account(m, cont_mm(m, c), mt->t->charged >> sys_shift(m), false);
	tce_table_free(mt->t);
	free(mt);
}

/* tce_iommu_create_table(): size, charge, platform create. */
static int create_table(struct spapr_model *m, struct model_container *c,
			struct model_group *g, int num, unsigned int shift,
			uint64_t wsize, unsigned int levels, struct model_table **out)
{
	uint64_t bytes = table_size(m, g, shift, wsize, levels);
	struct model_mm *mm = cont_mm(m, c);
	int rc;

	if (!bytes)
		return -EINVAL;
	rc = account(m, mm, bytes >> sys_shift(m), true);
	if (rc)
		return rc;
	CTR(m, table_bytes_charged, bytes);
	rc = platform_create(m, g, num, shift, wsize, levels, out);
	if (rc) {
		/* The charge is not undone (VST tce_iommu_create_table). */
		if (m->prof.quirk_leak_failed_create && mm)
			mm->leaked_pages += bytes >> sys_shift(m);
		else
			account(m, mm, bytes >> sys_shift(m), false);
		return rc;
	}
	(*out)->t->charged = bytes;	/* it_allocated_size */
	return 0;
}

static int free_slot(const struct model_container *c)
{
	for (int i = 0; i < MODEL_SLOTS; i++)
		if (!c->tables[i])
			return i;
	return -ENOSPC;
}

/* tce_iommu_create_window(). */
static int create_window(struct spapr_model *m, struct model_container *c,
			 unsigned int shift, uint64_t wsize, unsigned int levels,
			 uint64_t *start)
{
	int num = free_slot(c), rc = 0;
	struct model_group *g = c->groups[0];
	struct model_table *mt = NULL;

	if (num < 0)
		return num;
	if (shift >= 64 || shift < 3 || !(g->p.pgsizes & (UINT64_C(1) << shift)))
		return -EINVAL;
	rc = create_table(m, c, g, num, shift, wsize, levels, &mt);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < c->ngroups && !rc; i++)
		rc = set_window(m, c->groups[i], num, mt);
	if (rc) {
		for (unsigned int i = 0; i < c->ngroups; i++)
			unset_window(m, c->groups[i], num);
		free_table(m, c, mt);
		return rc;
	}
	c->tables[num] = mt;
	*start = tce_table_start(mt->t);
	return 0;
}

/* tce_iommu_create_default_window(): 4K pages, tce32_size, one level. */
static int create_default_window(struct spapr_model *m, struct model_container *c)
{
	uint64_t start = 0;
	int rc;

	if (!c->def_window_pending)
		return 0;
	if (!c->ngroups)
		return -ENODEV;
	rc = create_window(m, c, 12, c->groups[0]->p.dma32_size, 1, &start);
	if (!rc) {
		if (start)
			diag(m, "default window created at 0x%" PRIx64
			     " (kernel WARN_ON_ONCE: expected 0)", start);
		c->def_window_pending = false;
	}
	return rc;
}

/* tce_iommu_remove_window(). */
static int remove_window(struct spapr_model *m, struct model_container *c,
			 uint64_t start)
{
	struct model_table *mt;
	int num = find_table(c, start, &mt);

	if (num < 0)
		return -EINVAL;
	tce_clear_all(m, c, mt);
	for (unsigned int i = 0; i < c->ngroups; i++)
		unset_window(m, c->groups[i], num);
	free_table(m, c, mt);
	c->tables[num] = NULL;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Groups and containers: VST attach/detach/release, CONT, GRP (spec §3.2,  */
/* §4).                                                                     */
/* ------------------------------------------------------------------------ */

/* Platform take_ownership when a group is claimed for VFIO (spec §3.2):
 * PowerNV disables bypass and removes the kernel's window (IODA
 * pnv_ioda2_take_ownership); pseries removes every window of the PE (PSER
 * spapr_tce_take_ownership). */
static void claim_ownership(struct spapr_model *m, struct model_group *g)
{
	enum ops_kind k = ops_kind(m, g);

	g->claimed = true;
	if (k == OPS_IODA2 && g->pe.default_present) {
		opal(m);	/* bypass off */
		opal(m);	/* unset window 0 */
		pe_kill(m);
		g->pe.default_present = false;
	} else if (k == OPS_PSERIES) {
		if (!g->pe.default_present && g->p.max_dynamic_windows != 1)
			return;
		for (; g->pe.ddws; g->pe.ddws--)
			rtas(m);	/* remove_dynamic_dma_windows */
		if (g->pe.default_present) {
			rtas(m);	/* remove "ibm,dma-window" */
			g->pe.default_present = false;
		}
	}
}

/* Platform release_ownership: the kernel's default DMA set-up comes back
 * (IODA pnv_pci_ioda2_setup_default_config; PSER reset-pe + default). */
static void release_ownership(struct spapr_model *m, struct model_group *g)
{
	enum ops_kind k = ops_kind(m, g);

	g->claimed = false;
	if (g->pe.tables[0])
		return;
	if (k == OPS_IODA2) {
		opal(m);	/* map the kernel window */
		pe_kill(m);
		opal(m);	/* bypass on */
		g->pe.default_present = true;
	} else if (k == OPS_PSERIES) {
		rtas(m);	/* ibm,reset-pe-dma-windows */
		g->pe.default_present = true;
		g->pe.ddws = 0;
	}
}

/* tce_iommu_take_ownership(): program every existing window into @g. */
static int take_windows(struct spapr_model *m, struct model_container *c,
			struct model_group *g)
{
	int rc = 0;

	for (int i = 0; i < MODEL_SLOTS && !rc; i++)
		if (c->tables[i])
			rc = set_window(m, g, i, c->tables[i]);
	if (rc)
		for (int i = 0; i < MODEL_SLOTS; i++)
			unset_window(m, g, i);
	return rc;
}

static void vst_list_add(struct model_container *c, struct model_group *g)
{
	memmove(c->groups + 1, c->groups, c->ngroups * sizeof(c->groups[0]));
	c->groups[0] = g;
	c->ngroups++;
}

/* <= v6.3 v1: the container used the PE's own 4K default window, not
 * charged (VST @4b419325 tce_iommu_take_ownership). */
static int legacy_v1_take(struct spapr_model *m, struct model_container *c,
			  struct model_group *g)
{
	int rc = 0;
	struct model_table *mt = pseries_table(m, g, g->p.dma32_start, 12,
					       g->p.dma32_size, &rc);

	if (!mt)
		return rc;
	mt->platform_owned = true;
	mt->linked = 1;
	g->pe.tables[0] = mt;
	c->tables[0] = mt;
	return 0;
}

/* VST @4b419325 tce_iommu_attach_group (kernel <= v6.3). */
static int attach_legacy(struct spapr_model *m, struct model_container *c,
			 struct model_group *g)
{
	bool has_ops = ops_kind(m, g) == OPS_IODA2;
	int rc;

	if (c->ngroups && !has_ops)
		return -EBUSY;
	for (unsigned int i = 0; i < c->ngroups; i++) {
		if (c->groups[i] == g)
			return -EBUSY;
		if (c->groups[i]->p.platform != g->p.platform)
			return -EPERM;
	}
	if (has_ops != c->v2)
		return -EPERM;
	if (!has_ops) {
		rc = legacy_v1_take(m, c, g);
	} else {
		rc = take_windows(m, c, g);
		if (!c->ngroups && !c->tables[0])
			c->def_window_pending = true;
	}
	if (!rc)
		vst_list_add(c, g);
	return rc;
}

/* VST tce_iommu_attach_group (current). */
static int vst_attach(struct spapr_model *m, struct model_container *c,
		      struct model_group *g)
{
	int rc;

	if (g->p.emulated)
		return -EINVAL;
	if (g->p.no_table_group)
		return -ENODEV;
	if (c->ngroups >= MODEL_MAX_GROUPS)
		return -ENOMEM;
	if (m->prof.kernel == SPAPR_MODEL_KERNEL_6_3)
		return attach_legacy(m, c, g);
	if (c->v2 && max_windows(m, g) == 0)
		return -EINVAL;
	if (!c->v2 && c->ngroups)
		return -EBUSY;
	for (unsigned int i = 0; i < c->ngroups; i++) {
		if (c->groups[i] == g)
			return -EBUSY;
		/* ops->create_table differs: another platform backend */
		if (ops_kind(m, c->groups[i]) != ops_kind(m, g) ||
		    c->groups[i]->p.platform != g->p.platform)
			return -EPERM;
	}
	rc = take_windows(m, c, g);
	if (!c->ngroups && !c->tables[0])
		c->def_window_pending = true;
	if (!rc)
		vst_list_add(c, g);
	return rc;
}

/* VST tce_iommu_detach_group + tce_iommu_release_ownership: clear every
 * window's TCEs (ML-CLEAR; shared tables lose other groups' mappings too)
 * and unset it from the departing group. */
static void vst_detach(struct spapr_model *m, struct model_container *c,
		       struct model_group *g)
{
	unsigned int i;

	for (i = 0; i < c->ngroups && c->groups[i] != g; i++)
		;
	if (i == c->ngroups)
		return;
	memmove(c->groups + i, c->groups + i + 1,
		(c->ngroups - i - 1) * sizeof(c->groups[0]));
	c->ngroups--;
	for (int s = 0; s < MODEL_SLOTS; s++) {
		struct model_table *mt = c->tables[s];

		if (!mt)
			continue;
		if (m->prof.detach_clears_tces || mt->platform_owned)
			tce_clear_all(m, c, mt);
		unset_window(m, g, s);
		if (mt->platform_owned) {
			free_table(m, c, mt);
			c->tables[s] = NULL;
		}
	}
}

/* Drop entry @i of the container's prereg list (the region's nrefs is
 * the caller's business: the region may be gone already). */
static void prereg_remove(struct model_container *c, unsigned int i)
{
	memmove(c->prereg + i, c->prereg + i + 1,
		(c->nprereg - i - 1) * sizeof(c->prereg[0]));
	c->nprereg--;
}

/* tce_iommu_prereg_free(). */
static int prereg_free(struct spapr_model *m, struct model_container *c,
		       unsigned int i)
{
	struct model_region *r = c->prereg[i];
	int rc;

	r->nrefs--;
	rc = region_put(m, cont_mm(m, c), r);
	if (rc)
		r->nrefs++;
	else
		prereg_remove(c, i);
	return rc;
}

/* VST tce_iommu_release: the driver goes away; the container reverts to
 * "no IOMMU set" (CONT). Regions still mapped stay orphaned in the mm. */
static void vst_release(struct spapr_model *m, struct model_container *c)
{
	while (c->ngroups)
		vst_detach(m, c, c->groups[0]);
	for (int s = 0; s < MODEL_SLOTS; s++) {
		struct model_table *mt = c->tables[s];

		if (!mt)
			continue;
		if (!m->prof.detach_clears_tces)
			tce_clear_all(m, c, mt);	/* pre-ML-CLEAR release */
		free_table(m, c, mt);
		c->tables[s] = NULL;
	}
	for (unsigned int i = 0; i < c->nprereg;)
		if (prereg_free(m, c, i)) {
			c->prereg[i]->nrefs--;	/* WARN_ON; the reference leaks */
			prereg_remove(c, i);
		}
	if (c->enabled && !c->v2)
		account(m, cont_mm(m, c), c->locked_pages, false);
	c->iommu_set = false;
	c->v2 = c->enabled = c->def_window_pending = false;
	c->locked_pages = 0;
	c->mm = -1;
}

static void cont_free(struct spapr_model *m, struct model_container *c)
{
	for (unsigned int i = 0; i < m->nconts; i++) {
		if (m->conts[i] == c) {
			remove_ptr((void **)m->conts, &m->nconts, i);
			break;
		}
	}
	if (m->ctx_cont == c)
		m->ctx_cont = NULL;
	free(c->prereg);
	free(c);
}

/* CONT vfio_group_detach_container. */
static void detach_container(struct spapr_model *m, struct model_group *g)
{
	struct model_container *c = g->container;
	unsigned int i;

	if (c->iommu_set)
		vst_detach(m, c, g);
	if (g->claimed)
		release_ownership(m, g);
	g->container = NULL;
	for (i = 0; i < c->ncgroups && c->cgroups[i] != g; i++)
		;
	if (i < c->ncgroups)
		remove_ptr((void **)c->cgroups, &c->ncgroups, i);
	if (c->iommu_set && !c->ncgroups)
		vst_release(m, c);
	if (c->handle < 0 && !c->ncgroups)
		cont_free(m, c);
}

/* CONT vfio_container_attach_group. */
static int attach_container(struct spapr_model *m, struct model_group *g,
			    struct model_container *c)
{
	int rc;

	if (c->ncgroups >= MODEL_MAX_GROUPS)
		return -ENOMEM;
	if (!g->p.emulated) {
		if (!g->p.viable)
			return -EPERM;	/* iommu_group_claim_dma_owner */
		claim_ownership(m, g);
	}
	if (c->iommu_set) {
		rc = vst_attach(m, c, g);
		if (rc) {
			if (g->claimed)
				release_ownership(m, g);
			return rc;
		}
	}
	g->container = c;
	memmove(c->cgroups + 1, c->cgroups, c->ncgroups * sizeof(c->cgroups[0]));
	c->cgroups[0] = g;
	c->ncgroups++;
	return 0;
}

/* CONT vfio_ioctl_set_iommu. */
static int set_iommu(struct spapr_model *m, struct model_container *c,
		     uint32_t type)
{
	unsigned int i;
	int rc = 0;

	if (!c->ncgroups || c->iommu_set)
		return -EINVAL;
	if (type != VFIO_SPAPR_TCE_IOMMU && type != VFIO_SPAPR_TCE_v2_IOMMU)
		/* CHECK_EXTENSION(VFIO_EEH) says yes, then open() refuses. */
		return (type == VFIO_EEH && m->prof.eeh_enabled) ? -EINVAL : -ENODEV;
	c->v2 = type == VFIO_SPAPR_TCE_v2_IOMMU;
	c->mm = -1;
	c->iommu_set = true;	/* driver open; attach in CONT list order */
	for (i = 0; i < c->ncgroups && !rc; i++)
		rc = vst_attach(m, c, c->cgroups[i]);
	if (rc) {
		for (unsigned int j = i - 1; j-- > 0;)
			vst_detach(m, c, c->cgroups[j]);
		vst_release(m, c);
	}
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Handles and the op prologue/epilogue.                                    */
/* ------------------------------------------------------------------------ */

#define HANDLE_FIRST 3	/* like fds: 0-2 are taken */

static int handle_alloc(struct spapr_model *m, enum handle_kind kind, void *obj)
{
	unsigned int h;

	for (h = HANDLE_FIRST; h < m->nhandles; h++)
		if (m->handles[h].kind == H_FREE)
			break;
	if (h >= m->nhandles) {
		struct model_handle *n = realloc(m->handles, (h + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + m->nhandles, 0, (h + 1 - m->nhandles) * sizeof(*n));
		m->handles = n;
		m->nhandles = h + 1;
	}
	m->handles[h] = (struct model_handle){ kind, obj };
	return (int)h;
}

static struct model_handle *handle_get(struct spapr_model *m, int h)
{
	if (h < 0 || (unsigned int)h >= m->nhandles || m->handles[h].kind == H_FREE)
		return NULL;
	return &m->handles[h];
}

static bool op_is_ioctl(enum spapr_model_op op)
{
	return op >= OPS_FIRST_IOCTL && op <= OPS_LAST_IOCTL;
}

/* Every backend op: counters context, op count, fault on entry. */
static int op_begin(struct spapr_model *m, enum spapr_model_op op, int h)
{
	struct model_handle *hd = handle_get(m, h);
	int rc;

	m->ctx_mm = mm_get(m, m->cur_mm);
	m->ctx_cont = NULL;
	if (hd && hd->kind == H_CONTAINER)
		m->ctx_cont = hd->obj;
	else if (hd && hd->kind == H_GROUP)
		m->ctx_cont = ((struct model_group *)hd->obj)->container;
	count_op(m, op);
	if (op_is_ioctl(op))
		CTR(m, ioctls, 1);
	rc = model_fault_hit(&m->faults, op);
	if (rc && op_is_ioctl(op))
		CTR(m, errors, 1);
	return rc;
}

static int op_end(struct spapr_model *m, enum spapr_model_op op, int rc)
{
	if (rc < 0 && op_is_ioctl(op))
		CTR(m, errors, 1);
	m->ctx_cont = NULL;
	m->ctx_mm = NULL;
	return rc;
}

/* Run @body under the lock with the op prologue/epilogue. */
#define MODEL_OP(be, op, h, body)                                             \
	do {                                                                   \
		struct spapr_model *m_ = to_model(be);                         \
		int rc_;                                                       \
		pthread_mutex_lock(&m_->lock);                                 \
		rc_ = op_begin(m_, (op), (h));                                 \
		if (!rc_)                                                      \
			rc_ = (body);                                          \
		rc_ = op_end(m_, (op), rc_);                                   \
		pthread_mutex_unlock(&m_->lock);                               \
		return rc_;                                                    \
	} while (0)

/* The container of handle @h: -EBADF (no such fd) or -ENOTTY (a group fd
 * does not know container ioctls, GRP vfio_group_fops_unl_ioctl). */
static int cont_lookup(struct spapr_model *m, int h, struct model_container **c)
{
	struct model_handle *hd = handle_get(m, h);

	if (!hd)
		return -EBADF;
	if (hd->kind != H_CONTAINER)
		return -ENOTTY;
	*c = hd->obj;
	return 0;
}

/* CONT vfio_fops_unl_ioctl default path (-EINVAL without a driver), then
 * VST's check before its switch: another mm gets -EPERM (spec §2). */
static int cont_driver(struct spapr_model *m, int h, struct model_container **c)
{
	int rc = cont_lookup(m, h, c);

	if (rc)
		return rc;
	if (!(*c)->iommu_set)
		return -EINVAL;
	if ((*c)->mm >= 0 && (*c)->mm != m->cur_mm)
		return -EPERM;
	return 0;
}

/* tce_iommu_mm_set(). */
static int mm_set(struct spapr_model *m, struct model_container *c)
{
	if (c->mm >= 0)
		return c->mm == m->cur_mm ? 0 : -EPERM;
	c->mm = m->cur_mm;
	return 0;
}

/* A group handle, or what a container fd answers to a group ioctl. */
static int group_lookup(struct spapr_model *m, int h, struct model_group **g)
{
	struct model_handle *hd = handle_get(m, h);
	struct model_container *c;
	int rc;

	if (!hd)
		return -EBADF;
	if (hd->kind == H_GROUP) {
		*g = hd->obj;
		return 0;
	}
	rc = cont_driver(m, h, &c);
	return rc ? rc : -ENOTTY;
}

struct model_group *model_group_by_num(struct spapr_model *m, int num)
{
	if (num < 0 || (unsigned int)num >= m->ngroups)
		return NULL;
	return m->groups[num];
}

/* ------------------------------------------------------------------------ */
/* File and group ops (GRP, CONT).                                          */
/* ------------------------------------------------------------------------ */

static int do_container_open(struct spapr_model *m)
{
	struct model_container *c = calloc(1, sizeof(*c));
	int h;

	if (!c)
		return -ENOMEM;
	c->mm = -1;
	if (grow((void **)&m->conts, &m->capconts, m->nconts + 1, sizeof(c)) ||
	    (h = handle_alloc(m, H_CONTAINER, c)) < 0) {
		free(c);
		return -ENOMEM;
	}
	m->conts[m->nconts++] = c;
	c->handle = h;
	return h;
}

static int do_group_open(struct spapr_model *m, int num)
{
	struct model_group *g = model_group_by_num(m, num);
	int h;

	if (!g)
		return -ENOENT;	/* no /dev/vfio/<num> */
	if (g->handle >= 0)
		return -EBUSY;	/* GRP vfio_group_fops_open */
	h = handle_alloc(m, H_GROUP, g);
	if (h >= 0)
		g->handle = h;
	return h;
}

static int do_close(struct spapr_model *m, int h)
{
	struct model_handle *hd = handle_get(m, h);

	if (!hd)
		return -EBADF;
	if (hd->kind == H_GROUP) {
		struct model_group *g = hd->obj;

		if (g->container)
			detach_container(m, g);	/* closing a group = detach */
		g->handle = -1;
	} else {
		struct model_container *c = hd->obj;

		/* The groups keep the container alive (§4). */
		c->handle = -1;
		if (!c->ncgroups)
			cont_free(m, c);
	}
	hd->kind = H_FREE;
	hd->obj = NULL;
	return 0;
}

/* GRP vfio_group_ioctl_get_status. */
static int do_get_status(struct spapr_model *m, int h, uint32_t *flags)
{
	struct model_group *g;
	int rc = group_lookup(m, h, &g);

	if (rc)
		return rc;
	if (!flags)
		return -EFAULT;
	if (g->container)
		*flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
	else
		*flags = g->p.viable ? VFIO_GROUP_FLAGS_VIABLE : 0;
	return 0;
}

/* GRP vfio_group_ioctl_set_container: -EBADF, -EINVAL (has one), -EBADFD
 * (not a container fd), then CONT vfio_container_attach_group. */
static int do_set_container(struct spapr_model *m, int h, int ch)
{
	struct model_handle *chd;
	struct model_group *g;
	int rc = group_lookup(m, h, &g);

	if (rc)
		return rc;
	chd = handle_get(m, ch);
	if (!chd)
		return -EBADF;
	if (g->container)
		return -EINVAL;
	if (chd->kind != H_CONTAINER)
		return -EBADFD;
	m->ctx_cont = chd->obj;
	return attach_container(m, g, chd->obj);
}

static int do_unset_container(struct spapr_model *m, int h)
{
	struct model_group *g;
	int rc = group_lookup(m, h, &g);

	if (rc)
		return rc;
	if (!g->container)
		return -EINVAL;
	detach_container(m, g);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Container ioctls (spec §3).                                              */
/* ------------------------------------------------------------------------ */

static int do_check_extension(struct spapr_model *m, int h, uint32_t ext)
{
	struct model_container *c;
	int rc = cont_lookup(m, h, &c);

	if (rc)
		return rc;
	if (ext == VFIO_SPAPR_TCE_IOMMU || ext == VFIO_SPAPR_TCE_v2_IOMMU)
		return 1;	/* unconditionally (§3.1) */
	if (ext == VFIO_EEH)
		return m->prof.eeh_enabled ? 1 : 0;
	return 0;
}

static int do_set_iommu(struct spapr_model *m, int h, uint32_t type)
{
	struct model_container *c;
	int rc = cont_lookup(m, h, &c);

	return rc ? rc : set_iommu(m, c, type);
}

/* §3.3; offsetofend(dma32_window_size) = 16, offsetofend(ddw) = 32. */
static int do_get_info(struct spapr_model *m, int h,
		       struct vfio_iommu_spapr_tce_info *info)
{
	struct model_container *c;
	struct model_group *g;
	uint32_t maxw;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->ngroups || c->groups[0]->p.no_table_group)
		return -ENXIO;
	if (!info)
		return -EFAULT;
	if (info->argsz < 16)
		return -EINVAL;
	g = c->groups[0];
	maxw = max_windows(m, g);
	info->dma32_window_start = g->p.dma32_start;
	info->dma32_window_size = g->p.dma32_size;
	info->flags = (maxw && c->v2) ? VFIO_IOMMU_SPAPR_INFO_DDW : 0;
	if (info->argsz >= 32) {
		memset(&info->ddw, 0, sizeof(info->ddw));
		if (maxw && c->v2) {
			info->ddw.pgsizes = g->p.pgsizes;
			info->ddw.max_dynamic_windows_supported = maxw;
			info->ddw.levels = g->p.max_levels;
		}
	}
	return 0;
}

/* VST tce_iommu_enable (v1). */
static int do_enable(struct spapr_model *m, int h)
{
	struct model_container *c;
	uint64_t pages;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (c->v2)
		return -ENOTTY;
	if (c->enabled)
		return -EBUSY;
	if (!c->ngroups || c->groups[0]->p.no_table_group)
		return -ENODEV;
	if (!c->groups[0]->p.dma32_size)
		return -EPERM;
	if ((rc = mm_set(m, c)))
		return rc;
	pages = (uint64_t)c->groups[0]->p.dma32_size >> sys_shift(m);
	rc = account(m, cont_mm(m, c), pages, true);
	if (rc)
		return rc;
	c->locked_pages = pages;
	c->enabled = true;
	return 0;
}

static int do_disable(struct spapr_model *m, int h)
{
	struct model_container *c;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (c->v2)
		return -ENOTTY;
	if (c->enabled) {
		c->enabled = false;
		account(m, cont_mm(m, c), c->locked_pages, false);
	}
	return 0;
}

static bool prereg_has(const struct model_container *c, const struct model_region *r)
{
	for (unsigned int i = 0; i < c->nprereg; i++)
		if (c->prereg[i] == r)
			return true;
	return false;
}

static int prereg_add(struct model_container *c, struct model_region *r)
{
	if (grow((void **)&c->prereg, &c->capprereg, c->nprereg + 1, sizeof(r)))
		return -ENOMEM;
	memmove(c->prereg + 1, c->prereg, c->nprereg * sizeof(r));
	c->prereg[0] = r;
	c->nprereg++;
	r->nrefs++;
	return 0;
}

/* VST tce_iommu_register_pages. */
static long register_pages(struct spapr_model *m, struct model_container *c,
			   uint64_t vaddr, uint64_t size)
{
	struct model_mm *mm = cont_mm(m, c);
	uint64_t entries = size >> sys_shift(m);
	struct model_region *r;
	long rc;

	if (((vaddr | size) & (sys_page(m) - 1)) || vaddr + size < vaddr)
		return -EINVAL;
	r = region_get(m, mm, vaddr, entries);
	if (r) {
		if (prereg_has(c, r)) {
			region_put(m, mm, r);
			return -EBUSY;
		}
	} else if ((rc = region_new(m, mm, vaddr, entries, &r))) {
		return rc;
	}
	if (prereg_add(c, r)) {
		region_put(m, mm, r);
		return -ENOMEM;
	}
	c->enabled = true;
	return 0;
}

static int do_register(struct spapr_model *m, int h,
		       struct vfio_iommu_spapr_register_memory *reg)
{
	struct model_container *c;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->v2)
		return -ENOTTY;
	if ((rc = mm_set(m, c)))
		return rc;
	if (!reg)
		return -EFAULT;
	if (reg->argsz < 24 || reg->flags)
		return -EINVAL;
	return (int)register_pages(m, c, reg->vaddr, reg->size);
}

/* VST tce_iommu_unregister_pages. Current kernels take an extra reference
 * and ignore the final put's -EBUSY: unregistering a still-mapped region
 * returns 0 and orphans it (spec §3.5). Before ~4.20 the put's -EBUSY was
 * returned (quirk_unregister_orphans = false). */
static int unregister_pages(struct spapr_model *m, struct model_container *c,
			    uint64_t vaddr, uint64_t size)
{
	struct model_mm *mm = cont_mm(m, c);
	struct model_region *r;
	unsigned int i;
	int rc;

	if ((vaddr | size) & (sys_page(m) - 1))
		return -EINVAL;
	r = region_get(m, mm, vaddr, size >> sys_shift(m));
	if (!r)
		return -ENOENT;
	for (i = 0; i < c->nprereg && c->prereg[i] != r; i++)
		;
	if (i == c->nprereg) {
		region_put(m, mm, r);
		return -ENOENT;
	}
	if (!m->prof.quirk_unregister_orphans) {
		r->used--;	/* no extra reference before ~4.20 */
		return prereg_free(m, c, i);
	}
	rc = prereg_free(m, c, i);
	region_put(m, mm, r);	/* -EBUSY ignored */
	return rc;
}

static int do_unregister(struct spapr_model *m, int h,
			 struct vfio_iommu_spapr_register_memory *reg)
{
	struct model_container *c;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->v2)
		return -ENOTTY;
	if (c->mm < 0)
		return -EPERM;
	if (!reg)
		return -EFAULT;
	if (reg->argsz < 24 || reg->flags)
		return -EINVAL;
	return unregister_pages(m, c, reg->vaddr, reg->size);
}

static int do_tce_create(struct spapr_model *m, int h,
			 struct vfio_iommu_spapr_tce_create *cr)
{
	struct model_container *c;
	uint64_t start = 0;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->v2)
		return -ENOTTY;
	if ((rc = mm_set(m, c)))
		return rc;
	if (!c->ngroups)
		return -ENXIO;
	if (!cr)
		return -EFAULT;
	if (cr->argsz < 40 || cr->flags)
		return -EINVAL;
	rc = create_default_window(m, c);
	if (!rc)
		rc = create_window(m, c, cr->page_shift, cr->window_size,
				   cr->levels, &start);
	if (!rc)
		cr->start_addr = start;
	return rc;
}

static int do_tce_remove(struct spapr_model *m, int h,
			 struct vfio_iommu_spapr_tce_remove *rm)
{
	struct model_container *c;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->v2)
		return -ENOTTY;
	if ((rc = mm_set(m, c)))
		return rc;
	if (!c->ngroups)
		return -ENXIO;
	if (!rm)
		return -EFAULT;
	if (rm->argsz < 16 || rm->flags)
		return -EINVAL;
	if (c->def_window_pending && !rm->start_addr) {
		c->def_window_pending = false;	/* nothing was allocated */
		return 0;
	}
	return remove_window(m, c, rm->start_addr);
}

static uint64_t map_perm(uint32_t flags)
{
	return ((flags & VFIO_DMA_MAP_FLAG_READ) ? TCE_READ : 0) |
	       ((flags & VFIO_DMA_MAP_FLAG_WRITE) ? TCE_WRITE : 0);
}

/* VST VFIO_IOMMU_MAP_DMA (spec §3.8). */
static int do_map(struct spapr_model *m, int h, struct vfio_iommu_type1_dma_map *p)
{
	struct model_container *c;
	struct model_table *mt;
	uint64_t mask;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->enabled)
		return -EPERM;
	if (!p)
		return -EFAULT;
	if (p->argsz < 32 ||
	    (p->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if ((rc = create_default_window(m, c)))
		return rc;
	if (find_table(c, p->iova, &mt) < 0)
		return -ENXIO;
	mask = (UINT64_C(1) << mt->t->page_shift) - 1;
	if ((p->size & mask) || (p->vaddr & mask) || !map_perm(p->flags))
		return -EINVAL;
	/* iommu_tce_put_param_check() is "check_ioba(...) || check_gpa(...)":
	 * a misaligned iova makes it 1, which the ioctl returns (KIO, AIO). */
	if (p->iova & mask)
		return 1;
	if (runs_past_end(m, mt, p->iova, p->size, "MAP_DMA"))
		return -EINVAL;
	return tce_build(m, c, mt, p->iova >> mt->t->page_shift, p->vaddr,
			 p->size >> mt->t->page_shift, map_perm(p->flags));
}

/* VST VFIO_IOMMU_UNMAP_DMA (spec §3.9): always 0 after the checks. */
static int do_unmap(struct spapr_model *m, int h,
		    struct vfio_iommu_type1_dma_unmap *p)
{
	struct model_container *c;
	struct model_table *mt;
	uint64_t mask;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->enabled)
		return -EPERM;
	if (!p)
		return -EFAULT;
	if (p->argsz < 24 || p->flags)
		return -EINVAL;
	if ((rc = create_default_window(m, c)))
		return rc;
	if (find_table(c, p->iova, &mt) < 0)
		return -ENXIO;
	mask = (UINT64_C(1) << mt->t->page_shift) - 1;
	if (p->size & mask)
		return -EINVAL;
	if (p->iova & mask)
		return 1;	/* iommu_tce_clear_param_check() is a "||" too */
	if (runs_past_end(m, mt, p->iova, p->size, "UNMAP_DMA"))
		return -EINVAL;
	tce_clear(m, c, mt, p->iova >> mt->t->page_shift,
		  p->size >> mt->t->page_shift);
	return 0;
}

static int do_eeh(struct spapr_model *m, int h, struct vfio_eeh_pe_op *op)
{
	struct model_container *c;
	int rc = cont_driver(m, h, &c);

	if (rc)
		return rc;
	/* The first non-zero result of any group is returned (§3.10). */
	for (unsigned int i = 0; i < c->ngroups; i++) {
		rc = model_eeh_pe_op(m, c->groups[i], op);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The backend.                                                             */
/* ------------------------------------------------------------------------ */

static int be_container_open(struct spapr_backend *be)
{
	MODEL_OP(be, SPAPR_MODEL_OP_CONTAINER_OPEN, -1, do_container_open(m_));
}

static int be_group_open(struct spapr_backend *be, int num)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GROUP_OPEN, -1, do_group_open(m_, num));
}

static int be_close(struct spapr_backend *be, int h)
{
	MODEL_OP(be, SPAPR_MODEL_OP_CLOSE, h, do_close(m_, h));
}

static int be_get_status(struct spapr_backend *be, int h, uint32_t *flags)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GROUP_GET_STATUS, h, do_get_status(m_, h, flags));
}

static int be_set_container(struct spapr_backend *be, int h, int ch)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GROUP_SET_CONTAINER, h,
		 do_set_container(m_, h, ch));
}

static int be_unset_container(struct spapr_backend *be, int h)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER, h,
		 do_unset_container(m_, h));
}

static int be_check_extension(struct spapr_backend *be, int h, uint32_t ext)
{
	MODEL_OP(be, SPAPR_MODEL_OP_CHECK_EXTENSION, h, do_check_extension(m_, h, ext));
}

static int be_set_iommu(struct spapr_backend *be, int h, uint32_t type)
{
	MODEL_OP(be, SPAPR_MODEL_OP_SET_IOMMU, h, do_set_iommu(m_, h, type));
}

static int be_get_info(struct spapr_backend *be, int h,
		       struct vfio_iommu_spapr_tce_info *info)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GET_INFO, h, do_get_info(m_, h, info));
}

static int be_register(struct spapr_backend *be, int h,
		       struct vfio_iommu_spapr_register_memory *reg)
{
	MODEL_OP(be, SPAPR_MODEL_OP_REGISTER_MEMORY, h, do_register(m_, h, reg));
}

static int be_unregister(struct spapr_backend *be, int h,
			 struct vfio_iommu_spapr_register_memory *reg)
{
	MODEL_OP(be, SPAPR_MODEL_OP_UNREGISTER_MEMORY, h, do_unregister(m_, h, reg));
}

static int be_tce_create(struct spapr_backend *be, int h,
			 struct vfio_iommu_spapr_tce_create *cr)
{
	MODEL_OP(be, SPAPR_MODEL_OP_TCE_CREATE, h, do_tce_create(m_, h, cr));
}

static int be_tce_remove(struct spapr_backend *be, int h,
			 struct vfio_iommu_spapr_tce_remove *rm)
{
	MODEL_OP(be, SPAPR_MODEL_OP_TCE_REMOVE, h, do_tce_remove(m_, h, rm));
}

static int be_map_dma(struct spapr_backend *be, int h,
		      struct vfio_iommu_type1_dma_map *p)
{
	MODEL_OP(be, SPAPR_MODEL_OP_MAP_DMA, h, do_map(m_, h, p));
}

static int be_unmap_dma(struct spapr_backend *be, int h,
			struct vfio_iommu_type1_dma_unmap *p)
{
	MODEL_OP(be, SPAPR_MODEL_OP_UNMAP_DMA, h, do_unmap(m_, h, p));
}

static int be_enable(struct spapr_backend *be, int h)
{
	MODEL_OP(be, SPAPR_MODEL_OP_ENABLE, h, do_enable(m_, h));
}

static int be_disable(struct spapr_backend *be, int h)
{
	MODEL_OP(be, SPAPR_MODEL_OP_DISABLE, h, do_disable(m_, h));
}

static int be_eeh_pe_op(struct spapr_backend *be, int h, struct vfio_eeh_pe_op *op)
{
	MODEL_OP(be, SPAPR_MODEL_OP_EEH_PE_OP, h, do_eeh(m_, h, op));
}

/*
 * The platform facts of the modelled host, from its profile (spec §9): the
 * values a real machine of that kind has, which the kernel does not report
 * (a real vfio backend knows only the kind and the page size). The limits
 * of one kind are left 0 on the other, where the kernel has no such rule.
 * Not an ioctl: no counter, no fault point. The profile is fixed at
 * spapr_model_create(), so no lock is needed.
 */
static int be_host_info(struct spapr_backend *be, struct spapr_backend_host *out)
{
	const struct spapr_model_profile *p = &to_model(be)->prof;

	if (out == NULL)
		return -EFAULT;
	memset(out, 0, sizeof(*out));
	out->system_page_shift = p->system_page_shift;
	if (p->platform == SPAPR_MODEL_PSERIES) {
		out->platform = SPAPR_BACKEND_PLATFORM_PSERIES;
		out->ddw_start_hint = p->ddw_start;
		/* The modelled hypervisor's block is known, unlike a real one's. */
		out->ddw_max_entries = spapr_model_profile_ddw_limit(p);
		return 0;
	}
	out->platform = SPAPR_BACKEND_PLATFORM_POWERNV;
	out->max_level_chunk = p->max_level_chunk ? p->max_level_chunk
						  : SPAPR_BACKEND_HOST_NO_CHUNK_LIMIT;
	out->bus_addr_bits = p->bus_addr_bits ? p->bus_addr_bits : SPAPR_BACKEND_HOST_NO_BUS_RULE;
	out->table_charge_x1 = p->pre_4_19_tables;
	return 0;
}

static const struct spapr_backend_ops model_ops = {
	.container_open = be_container_open,
	.group_open = be_group_open,
	.close = be_close,
	.group_get_status = be_get_status,
	.group_set_container = be_set_container,
	.group_unset_container = be_unset_container,
	.check_extension = be_check_extension,
	.set_iommu = be_set_iommu,
	.get_info = be_get_info,
	.register_memory = be_register,
	.unregister_memory = be_unregister,
	.tce_create = be_tce_create,
	.tce_remove = be_tce_remove,
	.map_dma = be_map_dma,
	.unmap_dma = be_unmap_dma,
	.enable = be_enable,
	.disable = be_disable,
	.eeh_pe_op = be_eeh_pe_op,
	.host_info = be_host_info,
};

/* ------------------------------------------------------------------------ */
/* Public API: the host.                                                    */
/* ------------------------------------------------------------------------ */

void spapr_model_default_group_params(const struct spapr_model *m,
				      struct spapr_model_group_params *gp)
{
	const struct spapr_model_profile *p = &m->prof;

	memset(gp, 0, sizeof(*gp));
	gp->dma32_start = p->dma32_start;
	gp->dma32_size = p->dma32_size;
	gp->pgsizes = p->pgsizes;
	gp->max_dynamic_windows = p->max_dynamic_windows;
	gp->max_levels = p->max_levels;
	gp->viable = true;
	gp->platform = p->platform;
}

static int add_group_locked(struct spapr_model *m,
			    const struct spapr_model_group_params *gp)
{
	struct model_group **n, *g;

	n = realloc(m->groups, (m->ngroups + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->groups = n;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->num = (int)m->ngroups;
	g->p = *gp;
	g->handle = -1;
	model_pe_init(&g->pe);
	/* The platform's own DMA window exists until VFIO claims the PE. */
	g->pe.default_present = true;
	m->groups[m->ngroups++] = g;
	return g->num;
}

int spapr_model_add_group(struct spapr_model *m,
			  const struct spapr_model_group_params *gp)
{
	int rc;

	if (!m || !gp)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	rc = add_group_locked(m, gp);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int apply_env_faults(struct spapr_model *m)
{
	const char *spec = getenv("SPAPR_MODEL_FAULTS");

	if (!spec || !*spec)
		return 0;
	return model_fault_parse(&m->faults, spec, NULL, 0) ? -EINVAL : 0;
}

static int model_init(struct spapr_model *m, const struct spapr_model_profile *p)
{
	struct spapr_model_group_params gp;

	m->be.ops = &model_ops;
	m->be.name = "model";
	m->prof = *p;
	m->next_pa = MODEL_PA_BASE;
	if (pthread_mutex_init(&m->lock, NULL))
		return -ENOMEM;
	if (mm_new(m, p->memlock_limit, p->cap_ipc_lock) < 0)
		return -ENOMEM;
	spapr_model_default_group_params(m, &gp);
	for (unsigned int i = 0; i < p->groups; i++)
		if (add_group_locked(m, &gp) < 0)
			return -ENOMEM;
	return apply_env_faults(m);
}

struct spapr_model *spapr_model_create(const struct spapr_model_profile *profile)
{
	struct spapr_model *m;
	int rc;

	if (!profile || profile->system_page_shift < 12 ||
	    profile->system_page_shift > 30) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	rc = model_init(m, profile);
	if (rc) {
		spapr_model_destroy(m);
		errno = -rc;
		return NULL;
	}
	return m;
}

static void destroy_everything(struct spapr_model *m)
{
	/* Closing every group detaches it and releases its container. */
	for (unsigned int i = 0; i < m->ngroups; i++)
		if (m->groups[i]->container)
			detach_container(m, m->groups[i]);
	while (m->nconts)
		cont_free(m, m->conts[0]);
	for (unsigned int i = 0; i < m->nmms; i++) {
		struct model_mm *mm = m->mms[i];

		while (mm->regions) {
			struct model_region *r = mm->regions;

			region_unlink(mm, r);
			region_unpin(m, r);
			free(r);
		}
		for (unsigned int j = 0; j < mm->nvmas; j++)
			mm->vmas[j]->mapped = false;
		free(mm->vmas);
		free(mm);
	}
	for (unsigned int i = 0; i < m->nphys; i++)
		free(m->phys[i]);
	for (unsigned int i = 0; i < m->ngroups; i++) {
		model_pe_fini(&m->groups[i]->pe);	/* the bypass table, if any */
		free(m->groups[i]);
	}
}

void spapr_model_destroy(struct spapr_model *m)
{
	if (!m)
		return;
	destroy_everything(m);
	free(m->phys);
	free(m->mms);
	free(m->groups);
	free(m->conts);
	free(m->handles);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

const struct spapr_model_profile *spapr_model_get_profile(const struct spapr_model *m)
{
	return &m->prof;
}

struct spapr_backend *spapr_model_backend(struct spapr_model *m)
{
	return &m->be;
}

struct spapr_model *spapr_model_from_backend(struct spapr_backend *be)
{
	return be && be->ops == &model_ops ? to_model(be) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Public API: processes.                                                   */
/* ------------------------------------------------------------------------ */

int spapr_model_mm_create(struct spapr_model *m, uint64_t memlock_limit,
			  bool cap_ipc_lock)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = mm_new(m, memlock_limit, cap_ipc_lock);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_set_current_mm(struct spapr_model *m, int mm)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&m->lock);
	if (mm_get(m, mm)) {
		m->cur_mm = mm;
		rc = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_get_current_mm(const struct spapr_model *m)
{
	return m->cur_mm;
}

int spapr_model_mm_set_memlock(struct spapr_model *m, int id, uint64_t limit,
			       bool cap_ipc_lock)
{
	struct model_mm *mm;
	int rc = -ENOENT;

	pthread_mutex_lock(&m->lock);
	mm = mm_get(m, id);
	if (mm) {
		mm->memlock_limit = limit;
		mm->cap_ipc_lock = cap_ipc_lock;
		rc = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_mm_map(struct spapr_model *m, int mm, uint64_t va, uint64_t len,
		       unsigned int page_shift, unsigned int flags, void *host)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = mm_map_locked(m, mm, va, len, page_shift, flags, host);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_mm_unmap(struct spapr_model *m, int mm, uint64_t va, uint64_t len)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = mm_unmap_locked(m, mm, va, len);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_mm_va_to_pa(struct spapr_model *m, int id, uint64_t va, uint64_t *pa)
{
	struct model_mm *mm;
	struct model_vma *v = NULL;

	pthread_mutex_lock(&m->lock);
	mm = mm_get(m, id);
	if (mm)
		v = vma_find(mm, va);
	if (v && pa)
		*pa = v->pa + (va - v->va);
	pthread_mutex_unlock(&m->lock);
	return !mm ? -ENOENT : v ? 0 : -EFAULT;
}

int spapr_model_mm_info(struct spapr_model *m, int id, struct spapr_model_mm_info *info)
{
	struct model_mm *mm;

	pthread_mutex_lock(&m->lock);
	mm = mm_get(m, id);
	if (mm && info) {
		memset(info, 0, sizeof(*info));
		info->locked_vm_pages = mm->locked_vm;
		info->memlock_limit = mm->memlock_limit;
		info->cap_ipc_lock = mm->cap_ipc_lock;
		info->leaked_pages = mm->leaked_pages;
		for (struct model_region *r = mm->regions; r; r = r->next) {
			info->regions++;
			info->orphaned_regions += !r->nrefs;
			info->registered_bytes += region_bytes(m, r);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return mm ? (info ? 0 : -EINVAL) : -ENOENT;
}

int spapr_model_mm_regions(struct spapr_model *m, int id,
			   struct spapr_model_region_info *out, unsigned int max)
{
	struct model_mm *mm;
	unsigned int n = 0;

	pthread_mutex_lock(&m->lock);
	mm = mm_get(m, id);
	for (struct model_region *r = mm ? mm->regions : NULL; r && n < max;
	     r = r->next, n++) {
		out[n] = (struct spapr_model_region_info){
			.ua = r->ua, .size = region_bytes(m, r),
			.pageshift = r->pageshift, .used = r->used,
			.mapped = (uint64_t)r->mapped, .orphaned = !r->nrefs };
	}
	pthread_mutex_unlock(&m->lock);
	return mm ? (int)n : -ENOENT;
}

/* ------------------------------------------------------------------------ */
/* Public API: introspection.                                               */
/* ------------------------------------------------------------------------ */

static int count_valid(void *ctx, uint64_t idx, uint64_t tce, uint64_t ua)
{
	(void)idx;
	(void)ua;
	if (tce & TCE_PERM)
		(*(uint64_t *)ctx)++;
	return 0;
}

static void window_info(struct model_table *mt, struct spapr_model_window_info *w)
{
	memset(w, 0, sizeof(*w));
	if (!mt)
		return;
	w->present = true;
	w->start = tce_table_start(mt->t);
	w->size = mt->t->size << mt->t->page_shift;
	w->page_shift = mt->t->page_shift;
	w->levels = mt->levels;
	tce_table_visit(mt->t, count_valid, &w->tces_in_use);
	w->bytes_allocated = mt->t->bytes_allocated;
	w->bytes_charged = mt->t->charged;
}

int spapr_model_container_info(struct spapr_model *m, int h,
			       struct spapr_model_container_info *info)
{
	struct model_container *c;
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = cont_lookup(m, h, &c);
	if (!rc && !info)
		rc = -EINVAL;
	if (rc) {
		pthread_mutex_unlock(&m->lock);
		return rc == -ENOTTY ? -EINVAL : rc;
	}
	memset(info, 0, sizeof(*info));
	info->iommu_set = c->iommu_set;
	info->v2 = c->v2;
	info->enabled = c->enabled;
	info->def_window_pending = c->def_window_pending;
	info->mm = c->mm;
	info->ngroups = c->ngroups;
	for (unsigned int i = 0; i < c->ngroups && i < 8; i++)
		info->groups[i] = c->groups[i]->num;
	for (int s = 0; s < MODEL_SLOTS; s++)
		window_info(c->tables[s], &info->windows[s]);
	info->v1_locked_pages = c->enabled && !c->v2 ? c->locked_pages : 0;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int spapr_model_tce_read(struct spapr_model *m, int h, unsigned int slot,
			 uint64_t index, uint64_t *tce)
{
	struct model_container *c;
	struct model_table *mt;
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = cont_lookup(m, h, &c);
	if (rc == -ENOTTY)
		rc = -EINVAL;
	mt = (!rc && slot < MODEL_SLOTS) ? c->tables[slot] : NULL;
	if (!rc && !mt)
		rc = -ENOENT;
	if (!rc && !tce_table_has_entry(mt->t, index))
		rc = -ERANGE;
	if (!rc && tce)
		*tce = tce_table_get(mt->t, index - mt->t->offset);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

unsigned int spapr_model_diagnostics(struct spapr_model *m, char *msg, size_t len)
{
	unsigned int n;

	pthread_mutex_lock(&m->lock);
	n = m->ndiag;
	if (msg && len)
		snprintf(msg, len, "%s", m->diag);
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Public API: counters, fault injection.                                   */
/* ------------------------------------------------------------------------ */

int spapr_model_container_counters(struct spapr_model *m, int h,
				   struct spapr_model_counters *out)
{
	struct model_container *c;
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = cont_lookup(m, h, &c);
	if (!rc && out)
		*out = c->ctr;
	pthread_mutex_unlock(&m->lock);
	return rc == -ENOTTY ? -EINVAL : rc;
}

int spapr_model_mm_counters(struct spapr_model *m, int id,
			    struct spapr_model_counters *out)
{
	struct model_mm *mm;

	pthread_mutex_lock(&m->lock);
	mm = mm_get(m, id);
	if (mm && out)
		*out = mm->ctr;
	pthread_mutex_unlock(&m->lock);
	return mm ? 0 : -ENOENT;
}

void spapr_model_counters(struct spapr_model *m, struct spapr_model_counters *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->ctr;
	pthread_mutex_unlock(&m->lock);
}

void spapr_model_counters_reset(struct spapr_model *m)
{
	pthread_mutex_lock(&m->lock);
	memset(&m->ctr, 0, sizeof(m->ctr));
	for (unsigned int i = 0; i < m->nconts; i++)
		memset(&m->conts[i]->ctr, 0, sizeof(m->ctr));
	for (unsigned int i = 0; i < m->nmms; i++)
		memset(&m->mms[i]->ctr, 0, sizeof(m->ctr));
	for (unsigned int i = 0; i < m->ngroups; i++)
		memset(&m->groups[i]->pe.stats, 0, sizeof(m->groups[i]->pe.stats));
	pthread_mutex_unlock(&m->lock);
}

int spapr_model_fault_inject(struct spapr_model *m, enum spapr_model_op op,
			     unsigned int nth, int err, unsigned int count)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = model_fault_add(&m->faults, op, nth, err, count);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_fault_parse(struct spapr_model *m, const char *spec, char *err,
			    size_t errlen)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = model_fault_parse(&m->faults, spec, err, errlen);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void spapr_model_fault_clear(struct spapr_model *m)
{
	pthread_mutex_lock(&m->lock);
	model_fault_clear(&m->faults);
	pthread_mutex_unlock(&m->lock);
}

unsigned int spapr_model_faults_fired(struct spapr_model *m)
{
	unsigned int n;

	pthread_mutex_lock(&m->lock);
	n = m->faults.fired;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Invariants.                                                              */
/* ------------------------------------------------------------------------ */

struct inv {
	struct spapr_model *m;
	struct model_container *c;
	struct model_table *mt;
	char *err;
	size_t errlen;
	uint64_t stale, valid;
};

static int inv_fail(struct inv *iv, const char *fmt, ...)
{
	va_list ap;

	if (iv->err && iv->errlen) {
		va_start(ap, fmt);
		vsnprintf(iv->err, iv->errlen, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

static struct model_region *inv_region_of(struct spapr_model *m, struct model_mm *mm,
					  uint64_t ua, uint64_t size)
{
	for (struct model_region *r = mm ? mm->regions : NULL; r; r = r->next)
		if (r->ua <= ua && ua + size <= r->ua + region_bytes(m, r))
			return r;
	return NULL;
}

/* One entry of a table: a valid v2 TCE has a view entry in a region of the
 * container's mm and holds that address's host page (or is one of the
 * table's known stale entries); a view entry has a valid TCE. Each view
 * reference lowers the region's mapped_leak as scratch (see inv_mapped). */
static int inv_entry(void *ctx, uint64_t idx, uint64_t tce, uint64_t ua)
{
	struct inv *iv = ctx;
	struct model_table *mt = iv->mt;
	uint64_t pgsize = UINT64_C(1) << mt->t->page_shift;
	struct model_region *r;

	if (tce & TCE_PERM)
		iv->valid++;
	if (!iv->c->v2)
		return 0;
	if ((tce & TCE_PERM) && !ua) {
		iv->stale++;
		return 0;
	}
	if (!(tce & TCE_PERM))
		return inv_fail(iv, "view entry 0x%" PRIx64 " without TCE at index %"
				PRIu64, ua, idx);
	r = inv_region_of(iv->m, cont_mm(iv->m, iv->c), ua, pgsize);
	if (!r)
		return inv_fail(iv, "TCE index %" PRIu64 " maps ua 0x%" PRIx64
				" outside every registered region", idx, ua);
	if ((tce & ~(pgsize - 1)) != (region_ua_to_pa(r, ua) & ~(pgsize - 1)))
		return inv_fail(iv, "TCE index %" PRIu64 " does not hold the host "
				"page of ua 0x%" PRIx64, idx, ua);
	r->mapped_leak -= 1;	/* scratch: undone in inv_regions() */
	return 0;
}

static int inv_table(struct inv *iv, struct model_container *c, struct model_table *mt)
{
	int rc;

	iv->c = c;
	iv->mt = mt;
	iv->stale = iv->valid = 0;
	rc = tce_table_visit(mt->t, inv_entry, iv);
	if (rc)
		return rc;
	if (iv->stale != mt->stale)
		return inv_fail(iv, "%" PRIu64 " TCEs without view entry, expected %"
				PRIu64, iv->stale, mt->stale);
	if (!c->v2 && iv->valid != mt->v1_pins)
		return inv_fail(iv, "v1 table has %" PRIu64 " TCEs but %" PRIu64
				" pins", iv->valid, mt->v1_pins);
	return 0;
}

static int inv_container(struct inv *iv, struct model_container *c)
{
	int rc;

	for (int s = 0; s < MODEL_SLOTS; s++) {
		struct model_table *mt = c->tables[s];

		if (!mt)
			continue;
		if ((rc = inv_table(iv, c, mt)))
			return rc;
		for (unsigned int i = 0; i < c->ngroups; i++)
			if (c->groups[i]->pe.tables[s] != mt)
				return inv_fail(iv, "window %d not programmed into "
						"group %d", s, c->groups[i]->num);
	}
	for (unsigned int i = 0; i < c->nprereg; i++)
		if (c->prereg[i]->mm != c->mm)
			return inv_fail(iv, "container references a region of "
					"another mm");
	return 0;
}

/* Container references and charges of the regions of @mm. */
static int inv_regions(struct inv *iv, struct model_mm *mm, uint64_t *pages)
{
	for (struct model_region *r = mm->regions; r; r = r->next) {
		int64_t refs = 0;

		for (unsigned int i = 0; i < iv->m->nconts; i++) {
			struct model_container *c = iv->m->conts[i];

			for (unsigned int j = 0; j < c->nprereg; j++)
				refs += c->prereg[j] == r;
		}
		*pages += r->entries;
		if ((int64_t)r->nrefs != refs)
			return inv_fail(iv, "region 0x%" PRIx64 " nrefs %u, found %"
					PRId64, r->ua, r->nrefs, refs);
		if (r->used < r->nrefs)
			return inv_fail(iv, "region 0x%" PRIx64 " used %" PRIu64
					" < references %u", r->ua, r->used, r->nrefs);
	}
	return 0;
}

/* Region mapped counts: the table walk lowered mapped_leak once per view
 * entry pointing into the region; restore it from @saved and compare. */
static int inv_mapped(struct inv *iv, struct model_mm *mm, const int64_t *saved)
{
	unsigned int k = 0;
	int rc = 0;

	for (struct model_region *r = mm->regions; r; r = r->next, k++) {
		int64_t seen = saved[k] - r->mapped_leak;	/* view refs */

		r->mapped_leak = saved[k];
		if (!rc && r->mapped != 1 + seen + r->mapped_leak)
			rc = inv_fail(iv, "region 0x%" PRIx64 " mapped %" PRId64
				      ", expected 1 + %" PRId64 " TCEs + %" PRId64
				      " leaked", r->ua, r->mapped, seen,
				      r->mapped_leak);
	}
	return rc;
}

static int inv_mm(struct inv *iv, struct model_mm *mm, uint64_t table_pages)
{
	uint64_t pages = 0;
	int rc = inv_regions(iv, mm, &pages);

	if (rc)
		return rc;
	pages += table_pages + mm->leaked_pages;
	if (pages != mm->locked_vm)
		return inv_fail(iv, "mm %d locked_vm %" PRIu64 " pages, charges sum "
				"to %" PRIu64, mm->id, mm->locked_vm, pages);
	return 0;
}

static uint64_t mm_table_pages(struct spapr_model *m, int id)
{
	uint64_t pages = 0;

	for (unsigned int i = 0; i < m->nconts; i++) {
		struct model_container *c = m->conts[i];

		if (c->mm != id)
			continue;
		for (int s = 0; s < MODEL_SLOTS; s++)
			if (c->tables[s])
				pages += c->tables[s]->t->charged >> sys_shift(m);
		if (c->enabled && !c->v2)
			pages += c->locked_pages;
	}
	return pages;
}

static int check_all(struct inv *iv)
{
	struct spapr_model *m = iv->m;
	int rc = 0;

	for (unsigned int i = 0; i < m->nmms && !rc; i++) {
		struct model_mm *mm = m->mms[i];
		unsigned int n = mm->nregions, k = 0;
		int64_t *saved = calloc(n ? n : 1, sizeof(*saved));

		if (!saved)
			return -ENOMEM;
		for (struct model_region *r = mm->regions; r; r = r->next)
			saved[k++] = r->mapped_leak;
		for (unsigned int j = 0; j < m->nconts && !rc; j++)
			if (m->conts[j]->mm == mm->id)
				rc = inv_container(iv, m->conts[j]);
		if (!rc)
			rc = inv_mapped(iv, mm, saved);
		else
			inv_mapped(iv, mm, saved);	/* restore the scratch */
		free(saved);
		if (!rc)
			rc = inv_mm(iv, mm, mm_table_pages(m, mm->id));
	}
	return rc;
}

int spapr_model_check_invariants(struct spapr_model *m, char *err, size_t errlen)
{
	struct inv iv = { .m = m, .err = err, .errlen = errlen };
	int rc;

	pthread_mutex_lock(&m->lock);
	if (err && errlen)
		err[0] = 0;
	rc = check_all(&iv);
	for (unsigned int j = 0; !rc && j < m->nconts; j++)
		if (m->conts[j]->mm < 0)
			rc = inv_container(&iv, m->conts[j]);
	pthread_mutex_unlock(&m->lock);
	return rc;
}
