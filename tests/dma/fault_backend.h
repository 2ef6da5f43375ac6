/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault_backend.h - a backend in front of the host model for the fault
 * sweep: it counts the handles open, knows which are containers (to read
 * their windows from the model), and can make the rollback itself fail: once
 * the model fired the first fault, the next backend call fails (UNDO_FIRST)
 * or every later call fails (UNDO_ALL), each armed as a model fault on the
 * call's op so that the model's own entry semantics apply.
 */
#ifndef FAULT_BACKEND_H
#define FAULT_BACKEND_H

#include <errno.h>
#include <string.h>

#include "spapr_model.h"

#define FB_MAX_HANDLES 64

enum fb_undo { FB_UNDO_OK = 0, FB_UNDO_FIRST, FB_UNDO_ALL };

struct fault_backend {
	struct spapr_backend be;	/* first: the engine sees this */
	struct spapr_backend *inner;
	struct spapr_model *m;
	enum fb_undo undo;
	bool second_armed;
	bool open[FB_MAX_HANDLES];
	bool container[FB_MAX_HANDLES];
};

static inline struct fault_backend *fb_of(struct spapr_backend *be)
{
	return (struct fault_backend *)be;
}

/* Before each call of @op: after the first fault fired, fail this call
 * (and, with UNDO_ALL, every later one) through the model. */
static inline void fb_before(struct fault_backend *f, enum spapr_model_op op)
{
	if (f->undo == FB_UNDO_OK || spapr_model_faults_fired(f->m) == 0)
		return;
	if (f->undo == FB_UNDO_FIRST && f->second_armed)
		return;
	f->second_armed = true;
	spapr_model_fault_inject(f->m, op, 1, EIO, f->undo == FB_UNDO_ALL ? 1u << 30 : 1);
}

#define FB_CALL(be, op, call)                                                  \
	do {                                                                   \
		struct fault_backend *f_ = fb_of(be);                          \
		fb_before(f_, op);                                             \
		return f_->inner->ops->call;                                   \
	} while (0)

static inline int fb_track_open(struct fault_backend *f, int h, bool container)
{
	if (h >= 0 && h < FB_MAX_HANDLES) {
		f->open[h] = true;
		f->container[h] = container;
	}
	return h;
}

static inline int fb_container_open(struct spapr_backend *be)
{
	struct fault_backend *f = fb_of(be);

	fb_before(f, SPAPR_MODEL_OP_CONTAINER_OPEN);
	return fb_track_open(f, f->inner->ops->container_open(f->inner), true);
}

static inline int fb_group_open(struct spapr_backend *be, int num)
{
	struct fault_backend *f = fb_of(be);

	fb_before(f, SPAPR_MODEL_OP_GROUP_OPEN);
	return fb_track_open(f, f->inner->ops->group_open(f->inner, num), false);
}

static inline int fb_close(struct spapr_backend *be, int h)
{
	struct fault_backend *f = fb_of(be);
	int rc;

	fb_before(f, SPAPR_MODEL_OP_CLOSE);
	rc = f->inner->ops->close(f->inner, h);
	if (!rc && h >= 0 && h < FB_MAX_HANDLES)
		f->open[h] = false;
	return rc;
}

static inline int fb_get_status(struct spapr_backend *be, int g, uint32_t *fl)
{
	FB_CALL(be, SPAPR_MODEL_OP_GROUP_GET_STATUS, group_get_status(f_->inner, g, fl));
}

static inline int fb_set_container(struct spapr_backend *be, int g, int c)
{
	FB_CALL(be, SPAPR_MODEL_OP_GROUP_SET_CONTAINER, group_set_container(f_->inner, g, c));
}

static inline int fb_unset_container(struct spapr_backend *be, int g)
{
	FB_CALL(be, SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER, group_unset_container(f_->inner, g));
}

static inline int fb_check_extension(struct spapr_backend *be, int c, uint32_t e)
{
	FB_CALL(be, SPAPR_MODEL_OP_CHECK_EXTENSION, check_extension(f_->inner, c, e));
}

static inline int fb_set_iommu(struct spapr_backend *be, int c, uint32_t t)
{
	FB_CALL(be, SPAPR_MODEL_OP_SET_IOMMU, set_iommu(f_->inner, c, t));
}

static inline int fb_get_info(struct spapr_backend *be, int c,
			      struct vfio_iommu_spapr_tce_info *i)
{
	FB_CALL(be, SPAPR_MODEL_OP_GET_INFO, get_info(f_->inner, c, i));
}

static inline int fb_register(struct spapr_backend *be, int c,
			      struct vfio_iommu_spapr_register_memory *r)
{
	FB_CALL(be, SPAPR_MODEL_OP_REGISTER_MEMORY, register_memory(f_->inner, c, r));
}

static inline int fb_unregister(struct spapr_backend *be, int c,
				struct vfio_iommu_spapr_register_memory *r)
{
	FB_CALL(be, SPAPR_MODEL_OP_UNREGISTER_MEMORY, unregister_memory(f_->inner, c, r));
}

static inline int fb_create(struct spapr_backend *be, int c,
			    struct vfio_iommu_spapr_tce_create *cr)
{
	FB_CALL(be, SPAPR_MODEL_OP_TCE_CREATE, tce_create(f_->inner, c, cr));
}

static inline int fb_remove(struct spapr_backend *be, int c,
			    struct vfio_iommu_spapr_tce_remove *r)
{
	FB_CALL(be, SPAPR_MODEL_OP_TCE_REMOVE, tce_remove(f_->inner, c, r));
}

static inline int fb_map(struct spapr_backend *be, int c, struct vfio_iommu_type1_dma_map *mp)
{
	FB_CALL(be, SPAPR_MODEL_OP_MAP_DMA, map_dma(f_->inner, c, mp));
}

static inline int fb_unmap(struct spapr_backend *be, int c, struct vfio_iommu_type1_dma_unmap *u)
{
	FB_CALL(be, SPAPR_MODEL_OP_UNMAP_DMA, unmap_dma(f_->inner, c, u));
}

static inline int fb_enable(struct spapr_backend *be, int c)
{
	FB_CALL(be, SPAPR_MODEL_OP_ENABLE, enable(f_->inner, c));
}

static inline int fb_disable(struct spapr_backend *be, int c)
{
	FB_CALL(be, SPAPR_MODEL_OP_DISABLE, disable(f_->inner, c));
}

static inline int fb_eeh(struct spapr_backend *be, int c, struct vfio_eeh_pe_op *op)
{
	FB_CALL(be, SPAPR_MODEL_OP_EEH_PE_OP, eeh_pe_op(f_->inner, c, op));
}

static inline int fb_host_info(struct spapr_backend *be, struct spapr_backend_host *out)
{
	return fb_of(be)->inner->ops->host_info(fb_of(be)->inner, out);
}

static inline int fb_locked_bytes(struct spapr_backend *be, uint64_t *bytes)
{
	return fb_of(be)->inner->ops->locked_bytes(fb_of(be)->inner, bytes);
}

static const struct spapr_backend_ops fault_backend_ops = {
	.container_open = fb_container_open,
	.group_open = fb_group_open,
	.close = fb_close,
	.group_get_status = fb_get_status,
	.group_set_container = fb_set_container,
	.group_unset_container = fb_unset_container,
	.check_extension = fb_check_extension,
	.set_iommu = fb_set_iommu,
	.get_info = fb_get_info,
	.register_memory = fb_register,
	.unregister_memory = fb_unregister,
	.tce_create = fb_create,
	.tce_remove = fb_remove,
	.map_dma = fb_map,
	.unmap_dma = fb_unmap,
	.enable = fb_enable,
	.disable = fb_disable,
	.eeh_pe_op = fb_eeh,
	.host_info = fb_host_info,
	.locked_bytes = fb_locked_bytes,
};

static inline void fault_backend_init(struct fault_backend *f, struct spapr_model *m)
{
	memset(f, 0, sizeof(*f));
	f->be.ops = &fault_backend_ops;
	f->be.name = "fault";
	f->inner = spapr_model_backend(m);
	f->m = m;
}

static inline unsigned int fault_backend_handles(const struct fault_backend *f)
{
	unsigned int i, n = 0;

	for (i = 0; i < FB_MAX_HANDLES; i++)
		n += f->open[i];
	return n;
}

#endif /* FAULT_BACKEND_H */
