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
#include <stdlib.h>
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
	struct model_table *mt = pe->bypass_tables[0];

	if (mt) {
		tce_table_free(mt->t);
		free(mt);
	}
	pe->bypass_tables[0] = NULL;
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
	if (op->argsz < offsetofend(struct vfio_eeh_pe_op, op) || op->flags)
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
		if (op->argsz < offsetofend(struct vfio_eeh_pe_op, err.mask))
			return -EINVAL;
		model_pe_freeze(pe);
		return 0;
	default:
		return -EINVAL;
	}
}

static uint64_t dir_perm(unsigned int dir)
{
	return ((dir & SPAPR_MODEL_DMA_READ) ? TCE_READ : 0) |
	       ((dir & SPAPR_MODEL_DMA_WRITE) ? TCE_WRITE : 0);
}

/*
 * Both translation modes run the same steps per IOMMU page (xlat below), so
 * that the identity baseline of apps/fwd-bench costs what a TCE check costs
 * (doc/nic-model.md): probe the PE's windows for the one holding @iova, read
 * its TCE, check the permission, look up the VMA behind the host physical
 * address. pe->xlat counts the steps (tests/model/test_dma_check_cost.c).
 */

/* The window of @pe the device sees that contains bus address @iova (in
 * identity mode the identity table, spapr_model_pe_set_bypass), and the
 * entry's index in it (entry - offset). */
static const struct tce_table *pe_window(struct model_pe *pe, uint64_t iova,
					 uint64_t *idx)
{
	struct model_table *const *slots = pe->bypass ? pe->bypass_tables : pe->tables;

	for (int i = 0; i < MODEL_SLOTS; i++) {
		const struct model_table *mt = slots[i];

		pe->xlat.window_probes++;
		if (mt && tce_table_has_entry(mt->t, iova >> mt->t->page_shift)) {
			*idx = (iova >> mt->t->page_shift) - mt->t->offset;
			return mt->t;
		}
	}
	return NULL;
}

/*
 * Identity translation (spapr_model_pe_set_bypass): IOVA = host physical
 * address. So that a check costs what a TCE check costs, it walks a real
 * one-level TCE table of the same kind as a direct window (2 MiB entries, or
 * the smallest backing page), whose entries hold IOVA | R | W, in place of
 * the PE's windows. An entry is written the first time its page is used,
 * once the address is found to be memory of the host (a VMA covering the
 * whole IOMMU page); the VMA lookup for the host pointer is the same as on
 * the TCE path, and an address whose memory is gone faults even with a
 * stale entry.
 */
#define BYPASS_ENTRIES (UINT64_C(1) << 19)	/* 1 TiB of 2 MiB pages: 4 MiB table */

/* The identity window: a model_table in slot 0 of pe->bypass_tables, so
 * that the device finds it the way it finds a window in slot 0. */
static struct model_table *bypass_window_create(struct spapr_model *m)
{
	struct model_table *mt = calloc(1, sizeof(*mt));
	unsigned int shift = 21;
	int err = 0;

	if (!mt)
		return NULL;
	for (unsigned int i = 0; i < m->nphys; i++)
		if (m->phys[i]->page_shift < shift)
			shift = m->phys[i]->page_shift;
	mt->t = tce_table_create(MODEL_PA_BASE >> shift, BYPASS_ENTRIES, shift, 1,
				 19 + 3, false, NULL, NULL, &err);
	mt->levels = 1;
	mt->platform = m->prof.platform;
	if (!mt->t) {
		free(mt);
		return NULL;
	}
	return mt;
}

/* First use of an identity page (no valid entry yet): IOVA | R | W if
 * @iova is host memory, cached in the table when a VMA covers the whole
 * IOMMU page; 0 (fault) otherwise. Once per page, not per check. */
static uint64_t bypass_fill(struct spapr_model *m, struct tce_table *t, uint64_t iova)
{
	uint64_t entry = iova >> t->page_shift, pgmask, *e;
	struct model_vma *v = model_vma_by_pa(m, iova);
	int err = 0;

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

/* Translate one IOMMU page; 0 or -EFAULT (no window, invalid TCE, perm;
 * identity mode: not host memory). */
static int xlat(struct spapr_model *m, struct model_pe *pe, uint64_t iova,
		uint64_t need, struct spapr_model_xlat *x)
{
	uint64_t idx = 0, tce = 0, pgmask, off;
	const struct tce_table *t;
	struct model_vma *v;

	t = pe_window(pe, iova, &idx);
	if (t) {
		pe->xlat.tce_reads++;
		tce = tce_table_get(t, idx);
	}
	if (pe->bypass && !(tce & TCE_PERM)) {
		t = pe->bypass_tables[0]->t;
		tce = bypass_fill(m, pe->bypass_tables[0]->t, iova);
	}
	if ((tce & need) != need || !(tce & TCE_PERM))
		return -EFAULT;
	pgmask = (UINT64_C(1) << t->page_shift) - 1;
	off = iova & pgmask;
	x->hpa = (tce & ~pgmask) + off;
	x->perm = tce & TCE_PERM;
	x->contig = pgmask + 1 - off;
	pe->xlat.vma_lookups++;
	v = model_vma_by_pa(m, x->hpa);
	if (!v && pe->bypass)
		return -EFAULT;	/* stale entry: the memory is gone */
	x->host = (v && v->host) ? (char *)v->host + (x->hpa - v->pa) : NULL;
	return 0;
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
	struct spapr_model_xlat x, x0;

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
		if (!pos)
			x0 = x;
		pages++;
		pos += x.contig;
	} while (pos < len);
	pe->stats.dma_pages += pages;
	if (!dst && !src) {
		pe->stats.dma_bytes += len;
		return 0;
	}
	/* Copy page by page; the first page's translation is reused (the
	 * lock is held: nothing changed since the check). */
	for (pos = 0; pos < len; pos += x.contig) {
		uint64_t n;

		if (pos)
			xlat(m, pe, iova + pos, need, &x);
		else
			x = x0;
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
	} else if (!g->pe.bypass_tables[0]) {
		g->pe.bypass_tables[0] = bypass_window_create(m);
		rc = g->pe.bypass_tables[0] ? 0 : -ENOMEM;
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
