/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_kernel_rc.c - the kernel's positive failure returns.
 *
 * MAP/UNMAP with a misaligned IOVA return 1 and a REGISTER whose pinning
 * stops after k pages returns k (see kops.c for the kernel lines). The
 * engine must take them as failures, roll back exactly and report a
 * negative errno. A wrapper backend forwards to the host model and replaces
 * one call's answer by such a positive value, after the model has really
 * done (for MAP) or really undone (for REGISTER) the work, as the kernel.
 */
#include "dma_world.h"

static struct spapr_backend *inner;
static int positive_map_rc, positive_register_rc;

/* The model finds itself from the backend pointer, so every op is
 * forwarded with the inner backend. */
static int w_container_open(struct spapr_backend *b) { (void)b; return inner->ops->container_open(inner); }
static int w_group_open(struct spapr_backend *b, int n) { (void)b; return inner->ops->group_open(inner, n); }
static int w_close(struct spapr_backend *b, int h) { (void)b; return inner->ops->close(inner, h); }
static int w_get_status(struct spapr_backend *b, int g, uint32_t *f) { (void)b; return inner->ops->group_get_status(inner, g, f); }
static int w_set_container(struct spapr_backend *b, int g, int c) { (void)b; return inner->ops->group_set_container(inner, g, c); }
static int w_unset_container(struct spapr_backend *b, int g) { (void)b; return inner->ops->group_unset_container(inner, g); }
static int w_check_extension(struct spapr_backend *b, int c, uint32_t e) { (void)b; return inner->ops->check_extension(inner, c, e); }
static int w_set_iommu(struct spapr_backend *b, int c, uint32_t t) { (void)b; return inner->ops->set_iommu(inner, c, t); }
static int w_get_info(struct spapr_backend *b, int c, struct vfio_iommu_spapr_tce_info *i) { (void)b; return inner->ops->get_info(inner, c, i); }
static int w_unregister(struct spapr_backend *b, int c, struct vfio_iommu_spapr_register_memory *r) { (void)b; return inner->ops->unregister_memory(inner, c, r); }
static int w_create(struct spapr_backend *b, int c, struct vfio_iommu_spapr_tce_create *cr) { (void)b; return inner->ops->tce_create(inner, c, cr); }
static int w_remove(struct spapr_backend *b, int c, struct vfio_iommu_spapr_tce_remove *r) { (void)b; return inner->ops->tce_remove(inner, c, r); }
static int w_unmap(struct spapr_backend *b, int c, struct vfio_iommu_type1_dma_unmap *u) { (void)b; return inner->ops->unmap_dma(inner, c, u); }
static int w_enable(struct spapr_backend *b, int c) { (void)b; return inner->ops->enable(inner, c); }
static int w_disable(struct spapr_backend *b, int c) { (void)b; return inner->ops->disable(inner, c); }
static int w_eeh(struct spapr_backend *b, int c, struct vfio_eeh_pe_op *o) { (void)b; return inner->ops->eeh_pe_op(inner, c, o); }

/* The kernel maps nothing when its IOVA check fails (§3.8.8): answer 1. */
static int w_map(struct spapr_backend *b, int c, struct vfio_iommu_type1_dma_map *m)
{
	(void)b;
	return positive_map_rc ? positive_map_rc : inner->ops->map_dma(inner, c, m);
}

/* A partial pin undoes everything and answers the pinned count. */
static int w_register(struct spapr_backend *b, int c, struct vfio_iommu_spapr_register_memory *r)
{
	(void)b;
	return positive_register_rc ? positive_register_rc : inner->ops->register_memory(inner, c, r);
}

static const struct spapr_backend_ops wrapped_ops = {
	.container_open = w_container_open, .group_open = w_group_open, .close = w_close,
	.group_get_status = w_get_status, .group_set_container = w_set_container,
	.group_unset_container = w_unset_container, .check_extension = w_check_extension,
	.set_iommu = w_set_iommu, .get_info = w_get_info, .register_memory = w_register,
	.unregister_memory = w_unregister, .tce_create = w_create, .tce_remove = w_remove,
	.map_dma = w_map, .unmap_dma = w_unmap, .enable = w_enable, .disable = w_disable,
	.eeh_pe_op = w_eeh,
};
static struct spapr_backend wrapped = { .ops = &wrapped_ops, .name = "wrapped" };

static void wrap(struct world *w)
{
	inner = w->be;
}

static void check_failure(int want_err)
{
	struct spapr_model_mm_info mi;
	struct spapr_dma_mem_region r[4];
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_error err;
	struct world w;
	int g = 0;

	T_ERR(world_init(&w, "powernv9", NULL), 0);
	regions_fill(r, 4, 0x7f0000000000ull, 2 * MiB, 21);
	T_ERR(world_map_mem(&w, r, 4), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, r, 4, NULL), 0);
	wrap(&w);
	memset(&err, 0, sizeof(err));
	T_ERR(spapr_dma_container_create(w.ctx, &wrapped, &g, 1, &c, &err), want_err);
	T_EQ(err.err, -want_err);
	T_CHECK(c == NULL);
	/* Rolled back: nothing registered or charged, invariants hold. */
	T_ERR(spapr_model_mm_info(w.m, 0, &mi), 0);
	T_EQU(mi.locked_vm_pages, 0);
	T_EQ(mi.regions, 0);
	T_ERR(spapr_model_check_invariants(w.m, NULL, 0), 0);
	world_fini(&w);
}

static void positive_map_is_einval(void)
{
	positive_map_rc = 1;
	positive_register_rc = 0;
	check_failure(-EINVAL);
}

static void positive_register_is_efault(void)
{
	positive_map_rc = 0;
	positive_register_rc = 7;
	check_failure(-EFAULT);
}

int main(void)
{
	T_RUN(positive_map_is_einval);
	T_RUN(positive_register_is_efault);
	return t_finish();
}
