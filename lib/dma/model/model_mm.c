/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_mm.c - processes of the host model: mm, VMAs, host physical
 * addresses, locked_vm accounting, and their public API (spapr_model_mm_*).
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
/* Processes: mm, VMAs, host physical addresses.                            */
/* ------------------------------------------------------------------------ */

struct model_mm *model_mm_get(struct spapr_model *m, int id)
{
	if (id < 0 || (unsigned int)id >= m->nmms)
		return NULL;
	return m->mms[id];
}

int model_mm_new(struct spapr_model *m, uint64_t limit, bool cap)
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

struct model_vma *model_vma_find(const struct model_mm *mm, uint64_t va)
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

int model_grow(void **arr, unsigned int *cap, unsigned int need, size_t elem)
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
	if (model_grow((void **)arr, cap, *n + 1, sizeof(void *)))
		return -ENOMEM;
	memmove(*arr + at + 1, *arr + at, (*n - at) * sizeof(void *));
	(*arr)[at] = p;
	(*n)++;
	return 0;
}

void model_remove_ptr(void **arr, unsigned int *n, unsigned int at)
{
	memmove(arr + at, arr + at + 1, (*n - at - 1) * sizeof(void *));
	(*n)--;
}

static void phys_remove(struct spapr_model *m, struct model_vma *v)
{
	unsigned int i = phys_lower(m, v->pa);

	if (i < m->nphys && m->phys[i] == v)
		model_remove_ptr((void **)m->phys, &m->nphys, i);
	free(v);
}

/* Drop a VMA once it is neither mapped nor pinned. */
void model_vma_maybe_free(struct spapr_model *m, struct model_vma *v)
{
	if (!v->mapped && !v->pins)
		phys_remove(m, v);
}

static int vma_check_args(struct spapr_model *m, const struct model_mm *mm,
			  uint64_t va, uint64_t len, unsigned int shift)
{
	uint64_t mask;
	unsigned int i;

	if (shift < model_sys_shift(m) || shift > 40 || !len || va + len < va)
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
	struct model_mm *mm = model_mm_get(m, id);
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
	m->next_pa = v->pa + len + model_sys_page(m);
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
	struct model_mm *mm = model_mm_get(m, id);
	struct model_vma *v;
	unsigned int i;

	if (!mm)
		return -ENOENT;
	i = vma_lower(mm, va);
	if (i >= mm->nvmas || mm->vmas[i]->va != va || mm->vmas[i]->len != len)
		return -EINVAL;
	v = mm->vmas[i];
	model_remove_ptr((void **)mm->vmas, &mm->nvmas, i);
	v->mapped = false;
	/* Pinned pages stay (the region keeps them); the process memory
	 * behind @host may go away, so the device must not touch it. */
	v->host = NULL;
	model_vma_maybe_free(m, v);
	return 0;
}

/* account_locked_vm() against RLIMIT_MEMLOCK unless CAP_IPC_LOCK (§2). */
int model_account(struct spapr_model *m, struct model_mm *mm, uint64_t pages,
		   bool inc)
{
	if (!pages || !mm)
		return 0;
	if (!inc) {
		mm->locked_vm -= pages < mm->locked_vm ? pages : mm->locked_vm;
		return 0;
	}
	if (!mm->cap_ipc_lock && mm->memlock_limit != SPAPR_MODEL_UNLIMITED &&
	    mm->locked_vm + pages > (mm->memlock_limit >> model_sys_shift(m)))
		return -ENOMEM;
	mm->locked_vm += pages;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Public API: processes.                                                   */
/* ------------------------------------------------------------------------ */

int spapr_model_mm_create(struct spapr_model *m, uint64_t memlock_limit,
			  bool cap_ipc_lock)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = model_mm_new(m, memlock_limit, cap_ipc_lock);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_set_current_mm(struct spapr_model *m, int mm)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&m->lock);
	if (model_mm_get(m, mm)) {
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
	mm = model_mm_get(m, id);
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
	mm = model_mm_get(m, id);
	if (mm)
		v = model_vma_find(mm, va);
	if (v && pa)
		*pa = v->pa + (va - v->va);
	pthread_mutex_unlock(&m->lock);
	return !mm ? -ENOENT : v ? 0 : -EFAULT;
}

int spapr_model_mm_info(struct spapr_model *m, int id, struct spapr_model_mm_info *info)
{
	struct model_mm *mm;

	pthread_mutex_lock(&m->lock);
	mm = model_mm_get(m, id);
	if (mm && info) {
		memset(info, 0, sizeof(*info));
		info->locked_vm_pages = mm->locked_vm;
		info->memlock_limit = mm->memlock_limit;
		info->cap_ipc_lock = mm->cap_ipc_lock;
		info->leaked_pages = mm->leaked_pages;
		for (struct model_region *r = mm->regions; r; r = r->next) {
			info->regions++;
			info->orphaned_regions += !r->nrefs;
			info->registered_bytes += model_region_bytes(m, r);
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
	mm = model_mm_get(m, id);
	for (struct model_region *r = mm ? mm->regions : NULL; r && n < max;
	     r = r->next, n++) {
		out[n] = (struct spapr_model_region_info){
			.ua = r->ua, .size = model_region_bytes(m, r),
			.pageshift = r->pageshift, .used = r->used,
			.mapped = (uint64_t)r->mapped, .orphaned = !r->nrefs };
	}
	pthread_mutex_unlock(&m->lock);
	return mm ? (int)n : -ENOENT;
}
