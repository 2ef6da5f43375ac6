/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_groups.c - groups and containers: VST attach/detach/release, CONT, GRP
 * (§3.2, §4), and the file and group ops.
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
/* Groups and containers: VST attach/detach/release, CONT, GRP (§3.2,  */
/* §4).                                                                     */
/* ------------------------------------------------------------------------ */

/* Platform take_ownership when a group is claimed for VFIO (§3.2):
 * PowerNV disables bypass and removes the kernel's window (IODA
 * pnv_ioda2_take_ownership); pseries removes every window of the PE (PSER
 * spapr_tce_take_ownership). */
static void claim_ownership(struct spapr_model *m, struct model_group *g)
{
	enum ops_kind k = model_ops_kind(m, g);

	g->claimed = true;
	if (k == OPS_IODA2 && g->pe.default_present) {
		model_opal(m);	/* bypass off */
		model_opal(m);	/* unset window 0 */
		model_pe_kill(m);
		g->pe.default_present = false;
	} else if (k == OPS_PSERIES) {
		if (!g->pe.default_present && g->p.max_dynamic_windows != 1)
			return;
		for (; g->pe.ddws; g->pe.ddws--)
			model_rtas(m);	/* remove_dynamic_dma_windows */
		if (g->pe.default_present) {
			model_rtas(m);	/* remove "ibm,dma-window" */
			g->pe.default_present = false;
		}
	}
}

/* Platform release_ownership: the kernel's default DMA set-up comes back
 * (IODA pnv_pci_ioda2_setup_default_config; PSER reset-pe + default). */
static void release_ownership(struct spapr_model *m, struct model_group *g)
{
	enum ops_kind k = model_ops_kind(m, g);

	g->claimed = false;
	if (g->pe.tables[0])
		return;
	if (k == OPS_IODA2) {
		model_opal(m);	/* map the kernel window */
		model_pe_kill(m);
		model_opal(m);	/* bypass on */
		g->pe.default_present = true;
	} else if (k == OPS_PSERIES) {
		model_rtas(m);	/* ibm,reset-pe-dma-windows */
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
			rc = model_set_window(m, g, i, c->tables[i]);
	if (rc)
		for (int i = 0; i < MODEL_SLOTS; i++)
			model_unset_window(m, g, i);
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
	struct model_table *mt = model_pseries_table(m, g, g->p.dma32_start, 12,
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
	bool has_ops = model_ops_kind(m, g) == OPS_IODA2;
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
	if (c->v2 && model_max_windows(m, g) == 0)
		return -EINVAL;
	if (!c->v2 && c->ngroups)
		return -EBUSY;
	for (unsigned int i = 0; i < c->ngroups; i++) {
		if (c->groups[i] == g)
			return -EBUSY;
		/* ops->create_table differs: another platform backend */
		if (model_ops_kind(m, c->groups[i]) != model_ops_kind(m, g) ||
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
			model_tce_clear_all(m, c, mt);
		model_unset_window(m, g, s);
		if (mt->platform_owned) {
			model_free_table(m, c, mt);
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
int model_prereg_free(struct spapr_model *m, struct model_container *c,
		       unsigned int i)
{
	struct model_region *r = c->prereg[i];
	int rc;

	r->nrefs--;
	rc = model_region_put(m, model_cont_mm(m, c), r);
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
			model_tce_clear_all(m, c, mt);	/* pre-ML-CLEAR release */
		model_free_table(m, c, mt);
		c->tables[s] = NULL;
	}
	for (unsigned int i = 0; i < c->nprereg;)
		if (model_prereg_free(m, c, i)) {
			c->prereg[i]->nrefs--;	/* WARN_ON; the reference leaks */
			prereg_remove(c, i);
		}
	if (c->enabled && !c->v2)
		model_account(m, model_cont_mm(m, c), c->locked_pages, false);
	c->iommu_set = false;
	c->v2 = c->enabled = c->def_window_pending = false;
	c->locked_pages = 0;
	c->mm = -1;
}

void model_cont_free(struct spapr_model *m, struct model_container *c)
{
	for (unsigned int i = 0; i < m->nconts; i++) {
		if (m->conts[i] == c) {
			model_remove_ptr((void **)m->conts, &m->nconts, i);
			break;
		}
	}
	if (m->ctx_cont == c)
		m->ctx_cont = NULL;
	free(c->prereg);
	free(c);
}

/* CONT vfio_group_detach_container. */
void model_detach_container(struct spapr_model *m, struct model_group *g)
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
		model_remove_ptr((void **)c->cgroups, &c->ncgroups, i);
	if (c->iommu_set && !c->ncgroups)
		vst_release(m, c);
	if (c->handle < 0 && !c->ncgroups)
		model_cont_free(m, c);
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
int model_set_iommu(struct spapr_model *m, struct model_container *c,
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
/* File and group ops (GRP, CONT).                                          */
/* ------------------------------------------------------------------------ */

int model_do_container_open(struct spapr_model *m)
{
	struct model_container *c = calloc(1, sizeof(*c));
	int h;

	if (!c)
		return -ENOMEM;
	c->mm = -1;
	if (model_grow((void **)&m->conts, &m->capconts, m->nconts + 1, sizeof(c)) ||
	    (h = model_handle_alloc(m, H_CONTAINER, c)) < 0) {
		free(c);
		return -ENOMEM;
	}
	m->conts[m->nconts++] = c;
	c->handle = h;
	return h;
}

int model_do_group_open(struct spapr_model *m, int num)
{
	struct model_group *g = model_group_by_num(m, num);
	int h;

	if (!g)
		return -ENOENT;	/* no /dev/vfio/<num> */
	if (g->handle >= 0)
		return -EBUSY;	/* GRP vfio_group_fops_open */
	h = model_handle_alloc(m, H_GROUP, g);
	if (h >= 0)
		g->handle = h;
	return h;
}

int model_do_close(struct spapr_model *m, int h)
{
	struct model_handle *hd = model_handle_get(m, h);

	if (!hd)
		return -EBADF;
	if (hd->kind == H_GROUP) {
		struct model_group *g = hd->obj;

		if (g->container)
			model_detach_container(m, g);	/* closing a group = detach */
		g->handle = -1;
	} else {
		struct model_container *c = hd->obj;

		/* The groups keep the container alive (§4). */
		c->handle = -1;
		if (!c->ncgroups)
			model_cont_free(m, c);
	}
	hd->kind = H_FREE;
	hd->obj = NULL;
	return 0;
}

/* GRP vfio_group_ioctl_get_status. */
int model_do_get_status(struct spapr_model *m, int h, uint32_t *flags)
{
	struct model_group *g;
	int rc = model_group_lookup(m, h, &g);

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
int model_do_set_container(struct spapr_model *m, int h, int ch)
{
	struct model_handle *chd;
	struct model_group *g;
	int rc = model_group_lookup(m, h, &g);

	if (rc)
		return rc;
	chd = model_handle_get(m, ch);
	if (!chd)
		return -EBADF;
	if (g->container)
		return -EINVAL;
	if (chd->kind != H_CONTAINER)
		return -EBADFD;
	m->ctx_cont = chd->obj;
	return attach_container(m, g, chd->obj);
}

int model_do_unset_container(struct spapr_model *m, int h)
{
	struct model_group *g;
	int rc = model_group_lookup(m, h, &g);

	if (rc)
		return rc;
	if (!g->container)
		return -EINVAL;
	model_detach_container(m, g);
	return 0;
}
