/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_backend.h - the one interface between lib/dma and the kernel.
 *
 * Every operation the mapping engine needs from the VFIO sPAPR TCE IOMMU goes
 * through a struct spapr_backend.  There are exactly two implementations:
 *
 *   - the vfio backend (lib/dma/vfio): plain ioctls on real file descriptors
 *     of /dev/vfio/vfio and /dev/vfio/<group>;
 *   - the host model (lib/dma/model): an in-process model of a POWER host's
 *     sPAPR TCE IOMMU that follows ../shared/spec/spapr-tce-kernel-model.md.
 *
 * The operations mirror the kernel's ioctls one to one and take the kernel's
 * own UAPI structures from <linux/vfio.h> (they are defined on every
 * architecture), so that argsz/flags handling, errno order and side effects
 * are the kernel's and library code runs unchanged on both.
 *
 * Conventions (same as the kernel's ioctl handlers):
 *   - every operation returns 0 (or a non-negative value where the ioctl
 *     returns one, e.g. CHECK_EXTENSION, open) on success and -errno on
 *     failure; nothing is printed;
 *   - handles are small non-negative integers: real fds for vfio, model
 *     handles for the model. A handle is either a container or a group;
 *   - a NULL argument pointer behaves like a failed copy_from_user (-EFAULT).
 *
 * Thread-safety: a backend instance may be used from several threads; each
 * implementation serialises what the kernel serialises.
 */
#ifndef SPAPR_BACKEND_H
#define SPAPR_BACKEND_H

#include <stdint.h>
#include <linux/vfio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct spapr_backend;

/** Operations of a backend. All are mandatory. */
struct spapr_backend_ops {
	/* --- files --- */
	/** open("/dev/vfio/vfio"): a new container with no IOMMU driver set. */
	int (*container_open)(struct spapr_backend *be);
	/** open("/dev/vfio/<group_num>"). A group can be open once (-EBUSY). */
	int (*group_open)(struct spapr_backend *be, int group_num);
	/** close() of a container or group handle (a group closes = detaches). */
	int (*close)(struct spapr_backend *be, int handle);

	/* --- group ioctls --- */
	/** VFIO_GROUP_GET_STATUS: *flags = VFIO_GROUP_FLAGS_VIABLE | _CONTAINER_SET. */
	int (*group_get_status)(struct spapr_backend *be, int group, uint32_t *flags);
	/** VFIO_GROUP_SET_CONTAINER. */
	int (*group_set_container)(struct spapr_backend *be, int group, int container);
	/** VFIO_GROUP_UNSET_CONTAINER. */
	int (*group_unset_container)(struct spapr_backend *be, int group);

	/* --- container ioctls (spec section 3) --- */
	/** VFIO_CHECK_EXTENSION: returns the extension's value (>= 0). */
	int (*check_extension)(struct spapr_backend *be, int container, uint32_t ext);
	/** VFIO_SET_IOMMU with VFIO_SPAPR_TCE_IOMMU (2) or VFIO_SPAPR_TCE_v2_IOMMU (7). */
	int (*set_iommu)(struct spapr_backend *be, int container, uint32_t type);
	/** VFIO_IOMMU_SPAPR_TCE_GET_INFO. */
	int (*get_info)(struct spapr_backend *be, int container,
			struct vfio_iommu_spapr_tce_info *info);
	/** VFIO_IOMMU_SPAPR_REGISTER_MEMORY (v2). */
	int (*register_memory)(struct spapr_backend *be, int container,
			       struct vfio_iommu_spapr_register_memory *reg);
	/** VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY (v2). */
	int (*unregister_memory)(struct spapr_backend *be, int container,
				 struct vfio_iommu_spapr_register_memory *reg);
	/** VFIO_IOMMU_SPAPR_TCE_CREATE (v2): start_addr is written back. */
	int (*tce_create)(struct spapr_backend *be, int container,
			  struct vfio_iommu_spapr_tce_create *create);
	/** VFIO_IOMMU_SPAPR_TCE_REMOVE (v2). */
	int (*tce_remove)(struct spapr_backend *be, int container,
			  struct vfio_iommu_spapr_tce_remove *remove);
	/** VFIO_IOMMU_MAP_DMA. */
	int (*map_dma)(struct spapr_backend *be, int container,
		       struct vfio_iommu_type1_dma_map *map);
	/** VFIO_IOMMU_UNMAP_DMA. */
	int (*unmap_dma)(struct spapr_backend *be, int container,
			 struct vfio_iommu_type1_dma_unmap *unmap);
	/** VFIO_IOMMU_ENABLE (v1). */
	int (*enable)(struct spapr_backend *be, int container);
	/** VFIO_IOMMU_DISABLE (v1). */
	int (*disable)(struct spapr_backend *be, int container);
	/** VFIO_EEH_PE_OP: returns the op's value (e.g. the PE state for GET_STATE). */
	int (*eeh_pe_op)(struct spapr_backend *be, int container,
			 struct vfio_eeh_pe_op *op);
};

/** A backend instance. Implementations embed this as their first member. */
struct spapr_backend {
	const struct spapr_backend_ops *ops;
	const char *name;	/**< "vfio" or "model" */
};

#ifdef __cplusplus
}
#endif

#endif /* SPAPR_BACKEND_H */
