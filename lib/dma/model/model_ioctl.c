/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_ioctl.c - the container ioctls (§3) with the kernel's check order.
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
/* Container ioctls (§3).                                              */
/* ------------------------------------------------------------------------ */

int model_do_check_extension(struct spapr_model *m, int h, uint32_t ext)
{
	struct model_container *c;
	int rc = model_cont_lookup(m, h, &c);

	if (rc)
		return rc;
	if (ext == VFIO_SPAPR_TCE_IOMMU || ext == VFIO_SPAPR_TCE_v2_IOMMU)
		return 1;	/* unconditionally (§3.1) */
	if (ext == VFIO_EEH)
		return m->prof.eeh_enabled ? 1 : 0;
	return 0;
}

int model_do_set_iommu(struct spapr_model *m, int h, uint32_t type)
{
	struct model_container *c;
	int rc = model_cont_lookup(m, h, &c);

	return rc ? rc : model_set_iommu(m, c, type);
}

/* §3.3; VST tce_iommu_ioctl(VFIO_IOMMU_SPAPR_TCE_GET_INFO): the minimum
 * argsz ends at dma32_window_size (16); ddw is written when argsz covers it. */
int model_do_get_info(struct spapr_model *m, int h,
		       struct vfio_iommu_spapr_tce_info *info)
{
	struct model_container *c;
	struct model_group *g;
	uint32_t maxw;
	int rc = model_cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->ngroups || c->groups[0]->p.no_table_group)
		return -ENXIO;
	if (!info)
		return -EFAULT;
	if (info->argsz < offsetofend(struct vfio_iommu_spapr_tce_info, dma32_window_size))
		return -EINVAL;
	g = c->groups[0];
	maxw = model_max_windows(m, g);
	info->dma32_window_start = g->p.dma32_start;
	info->dma32_window_size = g->p.dma32_size;
	info->flags = (maxw && c->v2) ? VFIO_IOMMU_SPAPR_INFO_DDW : 0;
	if (info->argsz >= offsetofend(struct vfio_iommu_spapr_tce_info, ddw)) {
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
int model_do_enable(struct spapr_model *m, int h)
{
	struct model_container *c;
	uint64_t pages;
	int rc = model_cont_driver(m, h, &c);

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
	if ((rc = model_mm_set(m, c)))
		return rc;
	pages = (uint64_t)c->groups[0]->p.dma32_size >> model_sys_shift(m);
	rc = model_account(m, model_cont_mm(m, c), pages, true);
	if (rc)
		return rc;
	c->locked_pages = pages;
	c->enabled = true;
	return 0;
}

int model_do_disable(struct spapr_model *m, int h)
{
	struct model_container *c;
	int rc = model_cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (c->v2)
		return -ENOTTY;
	if (c->enabled) {
		c->enabled = false;
		model_account(m, model_cont_mm(m, c), c->locked_pages, false);
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
	if (model_grow((void **)&c->prereg, &c->capprereg, c->nprereg + 1, sizeof(r)))
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
	struct model_mm *mm = model_cont_mm(m, c);
	uint64_t entries = size >> model_sys_shift(m);
	struct model_region *r;
	long rc;

	if (((vaddr | size) & (model_sys_page(m) - 1)) || vaddr + size < vaddr)
		return -EINVAL;
	r = model_region_get(m, mm, vaddr, entries);
	if (r) {
		if (prereg_has(c, r)) {
			model_region_put(m, mm, r);
			return -EBUSY;
		}
	} else if ((rc = model_region_new(m, mm, vaddr, entries, &r))) {
		return rc;
	}
	if (prereg_add(c, r)) {
		model_region_put(m, mm, r);
		return -ENOMEM;
	}
	c->enabled = true;
	return 0;
}

int model_do_register(struct spapr_model *m, int h,
		       struct vfio_iommu_spapr_register_memory *reg)
{
	struct model_container *c;
	int rc = model_cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->v2)
		return -ENOTTY;
	if ((rc = model_mm_set(m, c)))
		return rc;
	if (!reg)
		return -EFAULT;
	if (reg->argsz < offsetofend(struct vfio_iommu_spapr_register_memory, size) ||
	    reg->flags)
		return -EINVAL;
	return (int)register_pages(m, c, reg->vaddr, reg->size);
}

/* VST tce_iommu_unregister_pages. Current kernels take an extra reference
 * and ignore the final put's -EBUSY: unregistering a still-mapped region
 * returns 0 and orphans it (§3.5). Before ~4.20 the put's -EBUSY was
 * returned (quirk_unregister_orphans = false). */
static int unregister_pages(struct spapr_model *m, struct model_container *c,
			    uint64_t vaddr, uint64_t size)
{
	struct model_mm *mm = model_cont_mm(m, c);
	struct model_region *r;
	unsigned int i;
	int rc;

	if ((vaddr | size) & (model_sys_page(m) - 1))
		return -EINVAL;
	r = model_region_get(m, mm, vaddr, size >> model_sys_shift(m));
	if (!r)
		return -ENOENT;
	for (i = 0; i < c->nprereg && c->prereg[i] != r; i++)
		;
	if (i == c->nprereg) {
		model_region_put(m, mm, r);
		return -ENOENT;
	}
	if (!m->prof.quirk_unregister_orphans) {
		r->used--;	/* no extra reference before ~4.20 */
		return model_prereg_free(m, c, i);
	}
	rc = model_prereg_free(m, c, i);
	model_region_put(m, mm, r);	/* -EBUSY ignored */
	return rc;
}

int model_do_unregister(struct spapr_model *m, int h,
			 struct vfio_iommu_spapr_register_memory *reg)
{
	struct model_container *c;
	int rc = model_cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->v2)
		return -ENOTTY;
	if (c->mm < 0)
		return -EPERM;
	if (!reg)
		return -EFAULT;
	if (reg->argsz < offsetofend(struct vfio_iommu_spapr_register_memory, size) ||
	    reg->flags)
		return -EINVAL;
	return unregister_pages(m, c, reg->vaddr, reg->size);
}

int model_do_tce_create(struct spapr_model *m, int h,
			 struct vfio_iommu_spapr_tce_create *cr)
{
	struct model_container *c;
	uint64_t start = 0;
	int rc = model_cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->v2)
		return -ENOTTY;
	if ((rc = model_mm_set(m, c)))
		return rc;
	if (!c->ngroups)
		return -ENXIO;
	if (!cr)
		return -EFAULT;
	if (cr->argsz < offsetofend(struct vfio_iommu_spapr_tce_create, start_addr) ||
	    cr->flags)
		return -EINVAL;
	rc = model_create_default_window(m, c);
	if (!rc)
		rc = model_create_window(m, c, cr->page_shift, cr->window_size,
				   cr->levels, &start);
	if (!rc)
		cr->start_addr = start;
	return rc;
}

int model_do_tce_remove(struct spapr_model *m, int h,
			 struct vfio_iommu_spapr_tce_remove *rm)
{
	struct model_container *c;
	int rc = model_cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->v2)
		return -ENOTTY;
	if ((rc = model_mm_set(m, c)))
		return rc;
	if (!c->ngroups)
		return -ENXIO;
	if (!rm)
		return -EFAULT;
	if (rm->argsz < offsetofend(struct vfio_iommu_spapr_tce_remove, start_addr) ||
	    rm->flags)
		return -EINVAL;
	if (c->def_window_pending && !rm->start_addr) {
		c->def_window_pending = false;	/* nothing was allocated */
		return 0;
	}
	return model_remove_window(m, c, rm->start_addr);
}

static uint64_t map_perm(uint32_t flags)
{
	return ((flags & VFIO_DMA_MAP_FLAG_READ) ? TCE_READ : 0) |
	       ((flags & VFIO_DMA_MAP_FLAG_WRITE) ? TCE_WRITE : 0);
}

/* VST VFIO_IOMMU_MAP_DMA (§3.8). */
int model_do_map(struct spapr_model *m, int h, struct vfio_iommu_type1_dma_map *p)
{
	struct model_container *c;
	struct model_table *mt;
	uint64_t mask;
	int rc = model_cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->enabled)
		return -EPERM;
	if (!p)
		return -EFAULT;
	if (p->argsz < offsetofend(struct vfio_iommu_type1_dma_map, size) ||
	    (p->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if ((rc = model_create_default_window(m, c)))
		return rc;
	if (model_find_table(c, p->iova, &mt) < 0)
		return -ENXIO;
	mask = (UINT64_C(1) << mt->t->page_shift) - 1;
	if ((p->size & mask) || (p->vaddr & mask) || !map_perm(p->flags))
		return -EINVAL;
	/* iommu_tce_put_param_check() is "check_ioba(...) || check_gpa(...)":
	 * a misaligned iova makes it 1, which the ioctl returns (KIO, AIO). */
	if (p->iova & mask)
		return 1;
	if (model_runs_past_end(m, mt, p->iova, p->size, "MAP_DMA"))
		return -EINVAL;
	return model_tce_build(m, c, mt, p->iova >> mt->t->page_shift, p->vaddr,
			 p->size >> mt->t->page_shift, map_perm(p->flags));
}

/* VST VFIO_IOMMU_UNMAP_DMA (§3.9): always 0 after the checks. */
int model_do_unmap(struct spapr_model *m, int h,
		    struct vfio_iommu_type1_dma_unmap *p)
{
	struct model_container *c;
	struct model_table *mt;
	uint64_t mask;
	int rc = model_cont_driver(m, h, &c);

	if (rc)
		return rc;
	if (!c->enabled)
		return -EPERM;
	if (!p)
		return -EFAULT;
	if (p->argsz < offsetofend(struct vfio_iommu_type1_dma_unmap, size) || p->flags)
		return -EINVAL;
	if ((rc = model_create_default_window(m, c)))
		return rc;
	if (model_find_table(c, p->iova, &mt) < 0)
		return -ENXIO;
	mask = (UINT64_C(1) << mt->t->page_shift) - 1;
	if (p->size & mask)
		return -EINVAL;
	if (p->iova & mask)
		return 1;	/* iommu_tce_clear_param_check() is a "||" too */
	if (model_runs_past_end(m, mt, p->iova, p->size, "UNMAP_DMA"))
		return -EINVAL;
	model_tce_clear(m, c, mt, p->iova >> mt->t->page_shift,
		  p->size >> mt->t->page_shift);
	return 0;
}

int model_do_eeh(struct spapr_model *m, int h, struct vfio_eeh_pe_op *op)
{
	struct model_container *c;
	int rc = model_cont_driver(m, h, &c);

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
