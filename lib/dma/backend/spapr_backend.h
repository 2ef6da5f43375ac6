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
 *     sPAPR TCE IOMMU that follows doc/kernel-model.md.
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

#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct spapr_backend;

/** The kind of host a backend talks to (§9). */
enum spapr_backend_platform {
	SPAPR_BACKEND_PLATFORM_UNKNOWN = 0,	/**< not a POWER sPAPR host, or cannot tell */
	SPAPR_BACKEND_PLATFORM_POWERNV,		/**< bare metal (OPAL): tables in host memory */
	SPAPR_BACKEND_PLATFORM_PSERIES,		/**< LPAR/KVM guest: tables in the hypervisor */
};

/** max_level_chunk: the host allocates table levels of any size. */
#define SPAPR_BACKEND_HOST_NO_CHUNK_LIMIT UINT64_MAX
/** bus_addr_bits: the host has no bus address rule. */
#define SPAPR_BACKEND_HOST_NO_BUS_RULE UINT32_MAX

/**
 * What a backend knows about its host beyond GET_INFO: the platform facts
 * the kernel does not report through VFIO. In every field but platform, 0
 * means "unknown": the user (lib/dma) then takes the kernel's usual value
 * for the platform kind.
 */
struct spapr_backend_host {
	enum spapr_backend_platform platform;
	/** PAGE_SHIFT of the host kernel: 16 (64 KiB) or 12 (§5.3: the unit of
	 *  table allocations and of the locked_vm charge). */
	unsigned int system_page_shift;
	/** PowerNV: bytes of one TCE-table level, one alloc_pages (§5.2: 16 MiB);
	 *  SPAPR_BACKEND_HOST_NO_CHUNK_LIMIT: none. */
	uint64_t max_level_chunk;
	/** PowerNV: the levels must address less than 2^bits (§5.2: 55);
	 *  SPAPR_BACKEND_HOST_NO_BUS_RULE: no such rule. */
	uint32_t bus_addr_bits;
	/** PowerNV before 4.19: tables charged x1 to locked_vm, not x2 (§5.3,
	 *  §11). false = the current kernel's x2. */
	bool table_charge_x1;
	/** pseries: where the hypervisor places a DDW (§6, §9; observed 1<<59). */
	uint64_t ddw_start_hint;
	/** pseries: the most TCEs the hypervisor gives one DDW (§6: the
	 *  largest_available_block of ibm,query-pe-dma-window; the kernel does
	 *  not show it to userspace). */
	uint64_t ddw_max_entries;
};

/** Operations of a backend. All are mandatory but host_info (without it,
 *  spapr_dma_platform_from_backend() returns -EOPNOTSUPP) and locked_bytes. */
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

	/* --- the host (no ioctl: what the kernel does not report) --- */
	/**
	 * Fill *out (zeroed first) with what the backend knows of its host.
	 * Returns 0, also when the host is not a POWER sPAPR host (platform
	 * SPAPR_BACKEND_PLATFORM_UNKNOWN): deciding what that means is the
	 * caller's. -EFAULT if @out is NULL; -errno when the backend cannot
	 * tell (vfio: /proc/cpuinfo exists but cannot be opened, e.g. ENOMEM).
	 */
	int (*host_info)(struct spapr_backend *be, struct spapr_backend_host *out);
	/**
	 * *bytes = the calling process's mm->locked_vm in bytes: what REGISTER
	 * and CREATE charge and UNREGISTER and REMOVE give back (§3.5, §5.3).
	 * A real kernel shows it as VmLck in /proc/self/status (mlock()ed pages
	 * count too: only differences are meaningful). Optional (NULL: unknown).
	 * lib/dma compares it around UNREGISTER to see registrations the kernel
	 * orphaned instead of freeing (tce_iommu_unregister_pages() ignores
	 * mm_iommu_put()'s -EBUSY).
	 */
	int (*locked_bytes)(struct spapr_backend *be, uint64_t *bytes);
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
