/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_platform.c - platform backends (§6): the table_group ops a group
 * has (PowerNV, pseries, borrowed tables), window create/set/unset/remove.
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
#include "spapr_util.h"

/* ------------------------------------------------------------------------ */
/* Platform backends (§6): which table_group ops a group has.          */
/* ------------------------------------------------------------------------ */

enum ops_kind model_ops_kind(const struct spapr_model *m, const struct model_group *g)
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
uint32_t model_max_windows(const struct spapr_model *m, const struct model_group *g)
{
	enum ops_kind k = model_ops_kind(m, g);

	return (k == OPS_BORROW || k == OPS_NONE) ? 0 : g->p.max_dynamic_windows;
}

/* ops->get_table_size(): IODA pnv_pci_ioda2_get_table_size (x2 since
 * ~v4.19 for the userspace view) or PSER spapr_tce_get_table_size. */
static uint64_t table_size(struct spapr_model *m, const struct model_group *g,
			   unsigned int shift, uint64_t wsize, unsigned int levels)
{
	uint64_t bytes;
	bool ub;

	if (model_ops_kind(m, g) != OPS_IODA2) {
		if (levels > 1)
			return 0xFFFFFFFFu;	/* ~0U, charged (§5.3) */
		return wsize >> (shift - 3);
	}
	if (m->prof.window_le_ram && wsize > m->prof.ram_size)
		return 0;	/* pre-4.17 memory_hotplug_max() rule */
	bytes = tce_pnv_table_bytes(shift, wsize, levels, model_sys_shift(m), &ub);
	if (ub)
		model_diag(m, "CREATE window 0x%" PRIx64 " < 1/8 of its IOMMU page "
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

	if (!levels || levels > TCE_PNV_MAX_LEVELS || !spapr_is_pow2(wsize))
		return -EINVAL;
	ls = tce_pnv_level_shift(shift, wsize, levels, model_sys_shift(m));
	/* 55-bit bus address rule (§5.2), in the kernel's unsigned long */
	if (bits && (uint64_t)(ls - 3) * levels + shift >= bits)
		return -EINVAL;
	entries = tce_pnv_window_entries(shift, wsize, model_sys_shift(m), &ub);
	if (ub || ls >= 64 || !entries) {
		model_diag(m, "CREATE window 0x%" PRIx64 " shift %u levels %u: the "
		     "kernel's table geometry shifts by >= 64 bits (undefined "
		     "behaviour, only reachable without the bus address rule), "
		     "refused with -EINVAL", wsize, shift, levels);
		return -EINVAL;
	}
	t = tce_table_create(bus >> shift, entries, shift, levels, ls,
			     on_demand, model_level_hook, m, &err);
	if (!t)
		return err;
	if (!on_demand) {
		/* pre-4.19: every level is allocated at create time. */
		t->bytes_allocated = tce_pnv_table_bytes(shift, wsize, levels,
							 model_sys_shift(m), &ub);
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
struct model_table *model_pseries_table(struct spapr_model *m,
					 struct model_group *g, uint64_t bus,
					 unsigned int shift, uint64_t wsize,
					 int *err)
{
	uint64_t entries = wsize >> shift;
	/* 0 entries: the kernel's restore of a default window smaller than
	 * one 4K page (it_size 0); such a window holds no TCE. */
	unsigned int ebits = entries > 1 ? 63u - (unsigned int)__builtin_clzll(entries) : 0;
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

	if (!spapr_is_pow2(wsize) || levels > 1)
		return -EINVAL;
	if (pe->poisoned)
		return -ENODEV;	/* "in failed DDW device list" */
	if (num == 0 && (!default_req || !pe->default_present) && pe->ddws)
		return -EPERM;	/* a 64-bit window already exists */
	if (num == 0 && default_req && !pe->default_present) {
		if ((rc = model_rtas(m)))
			return rc;
		pe->default_present = true;
		*out = model_pseries_table(m, g, g->p.dma32_start, 12, wsize, &rc);
		if (*out) {
			(*out)->pseries_default = true;
			pe->tables[0] = *out;
		}
		return *out ? 0 : rc;
	}
	if (!m->prof.ddw_applicable)	/* of_property_read_u32_array() */
		return pseries_fail(m, g, -EINVAL);
	if ((rc = model_rtas(m)))	/* ibm,query-pe-dma-window */
		return pseries_fail(m, g, rc);
	/* "retry with smaller window size": the kernel compares the block
	 * with 1ULL << (window_shift - page_shift). For a window smaller than
	 * one IOMMU page that count is negative (undefined behaviour); the 6.12
	 * build refuses it here too, before the hypervisor is asked, so the PE
	 * is not poisoned. */
	if (wsize < (UINT64_C(1) << shift)) {
		model_diag(m, "CREATE window 0x%" PRIx64 " smaller than its IOMMU "
			   "page (shift %u): the kernel's largest-block check "
			   "shifts by a negative count; refused with -EINVAL",
			   wsize, shift);
		return -EINVAL;
	}
	if (m->prof.largest_available_block < (wsize >> shift))
		return -EINVAL;
	/* ibm,create-pe-dma-window fails without a free window; on a
	 * single-window PE (SR-IOV VF) the default window takes it (C-BATRA);
	 * and for a DDW above the hypervisor's real maximum, which the query
	 * did not tell (QEMU 7.2: 2^32 TCEs and more, observed). */
	busy = pe->ddws + (g->p.max_dynamic_windows == 1 && pe->default_present);
	if (model_rtas(m) || busy >= m->prof.windows_available ||
	    (m->prof.hv_max_window_tces &&
	     (wsize >> shift) > m->prof.hv_max_window_tces))
		return pseries_fail(m, g, -ENODEV);
	*out = model_pseries_table(m, g, ddw_place(m, g, wsize), shift, wsize, &rc);
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
	*out = model_pseries_table(m, g, g->p.dma32_start, shift, wsize, &rc);
	if (*out)
		g->pe.tables[0] = *out;
	return *out ? 0 : rc;
}

static int platform_create(struct spapr_model *m, struct model_group *g, int num,
			   unsigned int shift, uint64_t wsize, unsigned int levels,
			   struct model_table **out)
{
	switch (model_ops_kind(m, g)) {
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
int model_set_window(struct spapr_model *m, struct model_group *g, int num,
		      struct model_table *mt)
{
	if (model_ops_kind(m, g) == OPS_IODA2) {
		model_opal(m);
		g->pe.tables[num] = mt;
		mt->linked++;
		model_pe_kill(m);
		return 0;
	}
	if (g->pe.tables[num] != mt)
		return -EPERM;
	mt->linked = 1;
	return 0;
}

void model_unset_window(struct spapr_model *m, struct model_group *g, int num)
{
	struct model_table *mt = g->pe.tables[num];
	enum ops_kind k = model_ops_kind(m, g);

	if (k == OPS_IODA2) {
		model_opal(m);
		model_pe_kill(m);
	} else if (!mt) {
		return;
	} else if (k == OPS_PSERIES) {
		/* ibm,remove-pe-dma-window; a failure poisons the PE and leaves
		 * the window in the hypervisor (PSER spapr_tce_unset_window).
		 * The kernel keeps a stale table pointer; the model drops it. */
		if (model_rtas(m))
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
		if (r->ua <= ua && ua + l->pgsize <= r->ua + model_region_bytes(l->m, r)) {
			r->mapped_leak++;
			break;
		}
	}
	return 0;
}

void model_free_table(struct spapr_model *m, struct model_container *c,
		       struct model_table *mt)
{
	struct leak_ctx l = { m, model_cont_mm(m, c), UINT64_C(1) << mt->t->page_shift };

	if (c->v2 && l.mm)
		tce_table_visit(mt->t, leak_view, &l);
	model_account(m, model_cont_mm(m, c), mt->t->charged >> model_sys_shift(m), false);
	tce_table_free(mt->t);
	free(mt);
}

/* tce_iommu_create_table(): size, charge, platform create. */
static int create_table(struct spapr_model *m, struct model_container *c,
			struct model_group *g, int num, unsigned int shift,
			uint64_t wsize, unsigned int levels, struct model_table **out)
{
	uint64_t bytes = table_size(m, g, shift, wsize, levels);
	struct model_mm *mm = model_cont_mm(m, c);
	int rc;

	if (!bytes)
		return -EINVAL;
	rc = model_account(m, mm, bytes >> model_sys_shift(m), true);
	if (rc)
		return rc;
	CTR(m, table_bytes_charged, bytes);
	rc = platform_create(m, g, num, shift, wsize, levels, out);
	if (rc) {
		/* The charge is not undone (VST tce_iommu_create_table). */
		if (m->prof.quirk_leak_failed_create && mm)
			mm->leaked_pages += bytes >> model_sys_shift(m);
		else
			model_account(m, mm, bytes >> model_sys_shift(m), false);
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
int model_create_window(struct spapr_model *m, struct model_container *c,
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
		rc = model_set_window(m, c->groups[i], num, mt);
	if (rc) {
		for (unsigned int i = 0; i < c->ngroups; i++)
			model_unset_window(m, c->groups[i], num);
		model_free_table(m, c, mt);
		return rc;
	}
	c->tables[num] = mt;
	*start = tce_table_start(mt->t);
	return 0;
}

/* tce_iommu_create_default_window(): 4K pages, tce32_size, one level. */
int model_create_default_window(struct spapr_model *m, struct model_container *c)
{
	uint64_t start = 0;
	int rc;

	if (!c->def_window_pending)
		return 0;
	if (!c->ngroups)
		return -ENODEV;
	rc = model_create_window(m, c, 12, c->groups[0]->p.dma32_size, 1, &start);
	if (!rc) {
		if (start)
			model_diag(m, "default window created at 0x%" PRIx64
			     " (kernel WARN_ON_ONCE: expected 0)", start);
		c->def_window_pending = false;
	}
	return rc;
}

/* tce_iommu_remove_window(). */
int model_remove_window(struct spapr_model *m, struct model_container *c,
			 uint64_t start)
{
	struct model_table *mt;
	int num = model_find_table(c, start, &mt);

	if (num < 0)
		return -EINVAL;
	model_tce_clear_all(m, c, mt);
	for (unsigned int i = 0; i < c->ngroups; i++)
		model_unset_window(m, c->groups[i], num);
	model_free_table(m, c, mt);
	c->tables[num] = NULL;
	return 0;
}
