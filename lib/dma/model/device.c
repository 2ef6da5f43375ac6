/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * device.c - the device side of the host model: DMA through the TCE tables
 * programmed into a PE, and EEH (freeze on a translation fault, VFIO_EEH_PE_OP
 * per VST vfio_spapr_ioctl_eeh_pe_op, state per the kernel's
 * eeh_pe_get_state()).
 *
 * dma_check runs per packet: no allocation, O(levels) per IOMMU page plus a
 * binary search for the VMA behind a host physical address.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "model_priv.h"

void model_pe_init(struct model_pe *pe)
{
	memset(pe, 0, sizeof(*pe));
	pe->mmio_enabled = true;
	pe->dma_enabled = true;
}

void model_pe_fini(struct model_pe *pe)
{
	if (pe->bypass_table)
		tce_table_free(pe->bypass_table);
	pe->bypass_table = NULL;
	pe->bypass = false;
}

void model_pe_freeze(struct model_pe *pe)
{
	pe->mmio_enabled = false;
	pe->dma_enabled = false;
}

static void pe_thaw(struct model_pe *pe)
{
	pe->mmio_enabled = true;
	pe->dma_enabled = true;
	pe->reset_active = false;
}

/* eeh_pe_get_state(): RESET while a reset is asserted, NORMAL when MMIO
 * and DMA work, STOPPED when both are stopped, STOPPED_DMA for "DMA enabled,
 * MMIO stopped", UNAVAIL otherwise. */
static int pe_state(const struct model_pe *pe)
{
	if (pe->reset_active)
		return VFIO_EEH_PE_STATE_RESET;
	if (pe->dma_enabled && pe->mmio_enabled)
		return VFIO_EEH_PE_STATE_NORMAL;
	if (!pe->dma_enabled && !pe->mmio_enabled)
		return VFIO_EEH_PE_STATE_STOPPED;
	if (pe->dma_enabled)
		return VFIO_EEH_PE_STATE_STOPPED_DMA;
	return VFIO_EEH_PE_STATE_UNAVAIL;
}

int model_eeh_pe_op(struct spapr_model *m, struct model_group *g,
		    const struct vfio_eeh_pe_op *op)
{
	struct model_pe *pe = &g->pe;

	if (!m->prof.eeh_enabled)
		return -ENODEV;	/* eeh_iommu_group_to_pe() == NULL */
	if (!op)
		return -EFAULT;
	if (op->argsz < 12 || op->flags)
		return -EINVAL;
	switch (op->op) {
	case VFIO_EEH_PE_DISABLE:
	case VFIO_EEH_PE_ENABLE:
		return 0;
	case VFIO_EEH_PE_UNFREEZE_IO:
		pe->mmio_enabled = true;
		return 0;
	case VFIO_EEH_PE_UNFREEZE_DMA:
		pe->dma_enabled = true;
		return 0;
	case VFIO_EEH_PE_GET_STATE:
		return pe_state(pe);
	case VFIO_EEH_PE_RESET_DEACTIVATE:
		pe_thaw(pe);
		return 0;
	case VFIO_EEH_PE_RESET_HOT:
	case VFIO_EEH_PE_RESET_FUNDAMENTAL:
		pe->reset_active = true;
		pe->stats.resets++;
		return 0;
	case VFIO_EEH_PE_CONFIGURE:
		pe_thaw(pe);
		return 0;
	case VFIO_EEH_PE_INJECT_ERR:
		if (op->argsz < offsetof(struct vfio_eeh_pe_op, err.mask) +
				sizeof(op->err.mask))	/* offsetofend(err.mask) */
			return -EINVAL;
		model_pe_freeze(pe);
		return 0;
	default:
		return -EINVAL;
	}
}

/* The window programmed into @pe that contains bus address @iova. */
static struct model_table *pe_window(struct model_pe *pe, uint64_t iova)
{
	for (int i = 0; i < MODEL_SLOTS; i++) {
		struct model_table *mt = pe->tables[i];

		if (mt && tce_table_has_entry(mt->t, iova >> mt->t->page_shift))
			return mt;
	}
	return NULL;
}

static uint64_t dir_perm(unsigned int dir)
{
	return ((dir & SPAPR_MODEL_DMA_READ) ? TCE_READ : 0) |
	       ((dir & SPAPR_MODEL_DMA_WRITE) ? TCE_WRITE : 0);
}

/* Translate one IOMMU page; 0 or -EFAULT (no window, invalid TCE, perm). */
static int xlat_page(struct spapr_model *m, struct model_pe *pe, uint64_t iova,
		     uint64_t need, struct spapr_model_xlat *x)
{
	struct model_table *mt = pe_window(pe, iova);
	uint64_t tce, pgmask, off;
	struct model_vma *v;

	if (!mt)
		return -EFAULT;
	tce = tce_table_get(mt->t, (iova >> mt->t->page_shift) - mt->t->offset);
	if ((tce & need) != need || !(tce & TCE_PERM))
		return -EFAULT;
	pgmask = (UINT64_C(1) << mt->t->page_shift) - 1;
	off = iova & pgmask;
	x->hpa = (tce & ~pgmask) + off;
	x->perm = tce & TCE_PERM;
	x->contig = pgmask + 1 - off;
	v = model_vma_by_pa(m, x->hpa);
	x->host = (v && v->host) ? (char *)v->host + (x->hpa - v->pa) : NULL;
	return 0;
}

/*
 * Identity translation (spapr_model_pe_set_bypass): IOVA = host physical
 * address. So that a check costs what a TCE check costs, it walks a real
 * one-level TCE table of the same kind as a direct window (2 MiB entries, or
 * the smallest backing page), whose entries hold IOVA | R | W. An entry is
 * written the first time its page is used, once the address is found to be
 * memory of the host (a VMA covering the whole IOMMU page); the VMA lookup
 * for the host pointer is the same as on the TCE path, and an address whose
 * memory is gone faults even with a stale entry.
 */
#define BYPASS_ENTRIES (UINT64_C(1) << 19)	/* 1 TiB of 2 MiB pages: 4 MiB table */

static struct tce_table *bypass_table_create(struct spapr_model *m)
{
	unsigned int shift = 21;
	int err = 0;

	for (unsigned int i = 0; i < m->nphys; i++)
		if (m->phys[i]->page_shift < shift)
			shift = m->phys[i]->page_shift;
	return tce_table_create(MODEL_PA_BASE >> shift, BYPASS_ENTRIES, shift, 1,
				19 + 3, false, NULL, NULL, &err);
}

static uint64_t bypass_tce(struct spapr_model *m, struct tce_table *t, uint64_t iova)
{
	uint64_t entry = iova >> t->page_shift, pgmask, *e;
	struct model_vma *v;
	int err = 0;

	if (tce_table_has_entry(t, entry)) {
		uint64_t tce = tce_table_get(t, entry - t->offset);

		if (tce & TCE_PERM)
			return tce;
	}
	v = model_vma_by_pa(m, iova);
	if (!v)
		return 0;
	pgmask = (UINT64_C(1) << t->page_shift) - 1;
	if (v->page_shift < t->page_shift || !tce_table_has_entry(t, entry))
		return (iova & ~pgmask) | TCE_PERM;	/* not cacheable: uncached */
	e = tce_table_entry(t, true, entry - t->offset, true, NULL, NULL, &err);
	if (e)
		*e = htobe64((iova & ~pgmask) | TCE_PERM);
	return (iova & ~pgmask) | TCE_PERM;
}

static int xlat_bypass(struct spapr_model *m, struct model_pe *pe, uint64_t iova,
		       struct spapr_model_xlat *x)
{
	struct tce_table *t = pe->bypass_table;
	uint64_t tce = bypass_tce(m, t, iova), pgmask, off;
	struct model_vma *v;

	if (!(tce & TCE_PERM))
		return -EFAULT;
	pgmask = (UINT64_C(1) << t->page_shift) - 1;
	off = iova & pgmask;
	x->hpa = (tce & ~pgmask) + off;
	x->perm = tce & TCE_PERM;
	x->contig = pgmask + 1 - off;
	v = model_vma_by_pa(m, x->hpa);
	if (!v)
		return -EFAULT;	/* stale entry: the memory is gone */
	x->host = v->host ? (char *)v->host + (x->hpa - v->pa) : NULL;
	return 0;
}

static int xlat(struct spapr_model *m, struct model_pe *pe, uint64_t iova,
		uint64_t need, struct spapr_model_xlat *x)
{
	return pe->bypass ? xlat_bypass(m, pe, iova, x) : xlat_page(m, pe, iova, need, x);
}

static int fault(struct model_pe *pe, uint64_t iova)
{
	model_pe_freeze(pe);
	pe->stats.faults++;
	pe->stats.last_fault_iova = iova;
	return -EFAULT;
}

/* Check [iova, iova+len); with @copy, also move bytes (dst/src). */
static int dma_access(struct spapr_model *m, struct model_group *g, uint64_t iova,
		      uint64_t len, unsigned int dir, struct spapr_model_xlat *first,
		      void *dst, const void *src)
{
	struct model_pe *pe = &g->pe;
	uint64_t need = dir_perm(dir), pos = 0, pages = 0;
	struct spapr_model_xlat x;

	pe->stats.dma_checks++;
	if (!pe->dma_enabled || pe->reset_active) {
		pe->stats.frozen_rejects++;
		return -EIO;
	}
	do {
		if (iova + pos < iova || xlat(m, pe, iova + pos, need, &x))
			return fault(pe, iova + pos);
		if (!pos && first)
			*first = x;
		pages++;
		pos += x.contig;
	} while (pos < len);
	pe->stats.dma_pages += pages;
	if (!dst && !src) {
		pe->stats.dma_bytes += len;
		return 0;
	}
	for (pos = 0; pos < len; pos += x.contig) {
		uint64_t n;

		xlat(m, pe, iova + pos, need, &x);
		if (!x.host)
			return -ENXIO;
		n = x.contig < len - pos ? x.contig : len - pos;
		if (dst)
			memcpy((char *)dst + pos, x.host, n);
		else
			memcpy(x.host, (const char *)src + pos, n);
	}
	pe->stats.dma_bytes += len;
	return 0;
}

static int dma_locked(struct spapr_model *m, int group, uint64_t iova, uint64_t len,
		      unsigned int dir, struct spapr_model_xlat *first, void *dst,
		      const void *src)
{
	struct model_group *g;
	int rc;

	pthread_mutex_lock(&m->lock);
	g = model_group_by_num(m, group);
	rc = g ? dma_access(m, g, iova, len, dir, first, dst, src) : -ENOENT;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_dma_check(struct spapr_model *m, int group, uint64_t iova,
			  uint64_t len, unsigned int dir, struct spapr_model_xlat *first)
{
	return dma_locked(m, group, iova, len, dir, first, NULL, NULL);
}

int spapr_model_dma_read(struct spapr_model *m, int group, uint64_t iova,
			 void *dst, size_t len)
{
	return dma_locked(m, group, iova, len, SPAPR_MODEL_DMA_READ, NULL, dst, NULL);
}

int spapr_model_dma_write(struct spapr_model *m, int group, uint64_t iova,
			  const void *src, size_t len)
{
	return dma_locked(m, group, iova, len, SPAPR_MODEL_DMA_WRITE, NULL, NULL, src);
}

int spapr_model_pe_state(struct spapr_model *m, int group)
{
	struct model_group *g;
	int rc;

	pthread_mutex_lock(&m->lock);
	g = model_group_by_num(m, group);
	rc = g ? pe_state(&g->pe) : -ENOENT;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_pe_reset(struct spapr_model *m, int group)
{
	struct model_group *g;

	pthread_mutex_lock(&m->lock);
	g = model_group_by_num(m, group);
	if (g) {
		pe_thaw(&g->pe);
		g->pe.stats.resets++;
	}
	pthread_mutex_unlock(&m->lock);
	return g ? 0 : -ENOENT;
}

int spapr_model_pe_set_bypass(struct spapr_model *m, int group, bool on)
{
	struct model_group *g;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	g = model_group_by_num(m, group);
	if (!g) {
		rc = -ENOENT;
	} else if (!on) {
		model_pe_fini(&g->pe);
	} else if (!g->pe.bypass_table) {
		g->pe.bypass_table = bypass_table_create(m);
		rc = g->pe.bypass_table ? 0 : -ENOMEM;
	}
	if (g && on && rc == 0)
		g->pe.bypass = true;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_pe_stats(struct spapr_model *m, int group,
			 struct spapr_model_pe_stats *st)
{
	struct model_group *g;

	pthread_mutex_lock(&m->lock);
	g = model_group_by_num(m, group);
	if (g && st)
		*st = g->pe.stats;
	pthread_mutex_unlock(&m->lock);
	return g ? 0 : -ENOENT;
}
