/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_model.h - an in-process model of a POWER host's VFIO sPAPR TCE IOMMU.
 *
 * The model behaves like the Linux kernel's drivers/vfio/vfio_iommu_spapr_tce.c
 * together with the platform code under arch/powerpc (PowerNV IODA2/PHB3/PHB4,
 * pseries DDW), as described by doc/kernel-model.md
 * ("the spec", sections cited as §N) and corrected by what a real 6.12 kernel
 * did under QEMU (doc/kernel-model.md §12, doc/testbed.md). Where the two
 * disagree, the observed kernel wins.
 *
 * It is reached two ways:
 *   1. as a struct spapr_backend (spapr_model_backend()), exactly like the
 *      real vfio backend: this is the only way lib/dma talks to it;
 *   2. through the functions below, which play the parts that are not
 *      userspace ioctls: the platform (profile), the processes and their
 *      memory (mm, VMAs, RLIMIT_MEMLOCK), the device side (DMA through the TCE
 *      tables, EEH freeze), cost counters and fault injection.
 *
 * Concepts:
 *   - group: an IOMMU group = one PE with its table group (§2). Groups are
 *     numbered 0..n-1 (profile "groups"); spapr_model_add_group() adds more.
 *   - mm: a process address space. The model starts with mm 0 ("this
 *     process"). Every backend call is issued by the *current* mm
 *     (spapr_model_set_current_mm()), which is how tests play a forked child
 *     or a second process holding the fd (§2 mm binding, -EPERM).
 *   - VMA: memory an mm has mapped, declared to the model with its backing
 *     page size and kind (hugetlbfs or not). REGISTER pins from these VMAs; an
 *     address with no VMA is a hole (pin fails with -EFAULT). A VMA may carry
 *     a host pointer to real memory so that device DMA can move real bytes.
 *   - host physical addresses: the model assigns each VMA a physical range
 *     (aligned to its page size). TCEs hold these addresses (§5.1).
 *
 * All functions return 0 (or a documented non-negative value) on success and
 * -errno on failure; nothing is printed. Every entry point takes the model's
 * lock, so a model may be used from several threads.
 */
#ifndef SPAPR_MODEL_H
#define SPAPR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spapr_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Profiles (§9): what platform, firmware and kernel the model plays.  */
/* ------------------------------------------------------------------------ */

enum spapr_model_platform {
	SPAPR_MODEL_POWERNV = 0,	/**< bare metal, OPAL, PHB3/PHB4 (IODA2) */
	SPAPR_MODEL_PSERIES = 1,	/**< LPAR / KVM guest: TCEs via hypercalls */
	SPAPR_MODEL_IODA1 = 2,		/**< POWER7 P7IOC: v1 only, legacy */
};

/** Kernel attach rules for SET_IOMMU (§3.2 "Version differences"). */
enum spapr_model_kernel {
	SPAPR_MODEL_KERNEL_CURRENT = 0,	/**< >= f431a8cde7f1 (6.11+): pseries has DDW ops */
	SPAPR_MODEL_KERNEL_6_4 = 1,	/**< v6.4 - v6.10: borrowing ops, pseries v1 only */
	SPAPR_MODEL_KERNEL_6_3 = 2,	/**< <= v6.3: IODA2 needs v2, pseries/IODA1 need v1 */
};

/** How a TCE update reaches the hardware (§7). */
enum spapr_model_invalidate {
	SPAPR_MODEL_INVAL_PER_RANGE = 0, /**< PHB4: one opal_pci_tce_kill per call */
	SPAPR_MODEL_INVAL_PER_PAGE = 1,	 /**< PHB3: one MMIO write per IOMMU page */
	SPAPR_MODEL_INVAL_NONE = 2,	 /**< pseries: H_PUT_TCE does it, no kill */
};

#define SPAPR_MODEL_NAME_MAX 64
#define SPAPR_MODEL_UNLIMITED UINT64_MAX

/**
 * Everything that makes one POWER host differ from another. Built-in
 * profiles are listed by spapr_model_profile_names(); files in config/profiles
 * use the same keys (see config/profiles/README.md for the format).
 */
struct spapr_model_profile {
	char name[SPAPR_MODEL_NAME_MAX];
	char description[160];
	enum spapr_model_platform platform;
	enum spapr_model_kernel kernel;

	/* Kernel build. */
	unsigned int system_page_shift;	/**< PAGE_SHIFT: 16 (64 KiB, default) or 12 */

	/* Table group of every PE (GET_INFO, §3.3, §5.4, §6). */
	uint32_t dma32_start;		/**< tce32_start */
	uint32_t dma32_size;		/**< tce32_size */
	uint64_t pgsizes;		/**< supported IOMMU page sizes, bit n = 2^n */
	uint32_t max_dynamic_windows;	/**< 0xFFFFFFFF = pseries query-failed quirk */
	uint32_t max_levels;		/**< 5 PowerNV, 1 pseries, 0 quirk */

	/* Window placement (§5.5; observed values win). */
	uint64_t slot1_start;		/**< PowerNV: 1<<59 (TVE#1 select bit) */
	uint64_t ddw_start;		/**< pseries: where the hypervisor puts a DDW */

	/* pseries hypervisor (RTAS ibm,query-pe-dma-window). */
	bool ddw_applicable;		/**< false: no ibm,ddw-applicable (quirk profile) */
	uint64_t largest_available_block; /**< TCEs the hypervisor can give one DDW */
	uint32_t windows_available;	/**< DDWs that may exist at once */

	/* Table geometry limits (§5.2). */
	uint64_t max_level_chunk;	/**< bytes per level allocation: 16 MiB */
	unsigned int bus_addr_bits;	/**< PowerNV 55-bit rule; 0 = no such rule */
	uint64_t ram_size;		/**< host RAM the kernel manages (totalram): REGISTER's per-page array must fit (vzalloc); pre-4.17 window <= RAM rule */

	/* Kernel-version knobs (§11). */
	bool window_le_ram;		/**< pre-4.17: windows larger than RAM rejected */
	bool pre_4_19_tables;		/**< charge x1, no on-demand levels */
	bool detach_clears_tces;	/**< ML-CLEAR (2024): detach/REMOVE clear TCEs first */

	/* "Code reading" quirks, on by default (§11). */
	bool quirk_leak_failed_create;	/**< failed CREATE keeps its locked_vm charge */
	bool quirk_unregister_orphans;	/**< UNREGISTER while mapped returns 0, orphans */
	bool quirk_pseries_poison;	/**< failed hypervisor create poisons the PE */

	/* Costs (§7). */
	enum spapr_model_invalidate invalidate;
	bool tce_via_hcall;		/**< 2 hcalls (H_GET_TCE + H_PUT_TCE) per entry */

	/* Process defaults for mm 0. */
	uint64_t memlock_limit;		/**< RLIMIT_MEMLOCK bytes, SPAPR_MODEL_UNLIMITED */
	bool cap_ipc_lock;		/**< CAP_IPC_LOCK: no memlock limit check */
	bool eeh_enabled;		/**< CHECK_EXTENSION(VFIO_EEH) */

	unsigned int groups;		/**< IOMMU groups (PEs) the host offers */

	/**
	 * pseries hypervisor: the most TCEs ibm,create-pe-dma-window really
	 * gives one DDW, whatever ibm,query-pe-dma-window reported; 0 = no
	 * limit beyond largest_available_block. A bigger DDW passes the
	 * kernel's largest-block check and then fails in RTAS: -ENODEV and the
	 * PE is poisoned (PSER spapr_tce_create_table, out_failed). QEMU 7.2
	 * keeps the count in a uint32_t (2^32 TCEs truncate to 0): 2^32 - 1.
	 */
	uint64_t hv_max_window_tces;
};

/** NULL-terminated list of built-in profile names. */
const char *const *spapr_model_profile_names(void);

/** Fill *out with built-in profile @name. -ENOENT if unknown. */
int spapr_model_profile_get(const char *name, struct spapr_model_profile *out);

/**
 * Set one key of a profile from text ("pgsizes", "0x40211000"). Used by the
 * file loader and by users overriding single values (e.g. "memlock=64M").
 * Sizes accept K/M/G/T suffixes, booleans yes/no/true/false/1/0.
 * -EINVAL for an unknown key or a bad value; @err (may be NULL) then gets a
 * sentence naming the key and the accepted values.
 */
int spapr_model_profile_set(struct spapr_model_profile *p, const char *key,
			    const char *value, char *err, size_t errlen);

/** Largest profile file accepted (the built-in ones are about 1.5 KiB). */
#define SPAPR_MODEL_PROFILE_MAX_BYTES 65536u

/**
 * Load a profile file: "key = value" lines, '#' comments. A line
 * "base = <built-in name>" (first) starts from that profile. Only a regular
 * file of at most SPAPR_MODEL_PROFILE_MAX_BYTES is read (not a FIFO, not a
 * device). Errors name the file, the line and a known key, and never quote
 * the file's content.
 */
int spapr_model_profile_load(const char *path, struct spapr_model_profile *out,
			     char *err, size_t errlen);

/**
 * The text of a profile file (@len bytes, NUL bytes refused) parsed like
 * spapr_model_profile_load(); @origin names it in errors and, without a
 * "name" key, gives the name (its stem, like a file's).
 */
int spapr_model_profile_parse(const char *text, size_t len, const char *origin,
			      struct spapr_model_profile *out, char *err, size_t errlen);

/** Resolve @spec: a built-in name, or a path to a profile file. */
int spapr_model_profile_resolve(const char *spec, struct spapr_model_profile *out,
				char *err, size_t errlen);

/**
 * The most TCEs one DDW of this host can really have: largest_available_block
 * capped by hv_max_window_tces (pseries); 0 = no hypervisor limit (PowerNV).
 * This is the value a planner needs as its DDW limit when it plans for the
 * model (on real pseries the kernel does not show it to userspace).
 */
uint64_t spapr_model_profile_ddw_limit(const struct spapr_model_profile *p);

/** Write @p as a profile file text (all keys) into @buf. Returns length. */
int spapr_model_profile_format(const struct spapr_model_profile *p, char *buf,
			       size_t len);

/* ------------------------------------------------------------------------ */
/* The model.                                                               */
/* ------------------------------------------------------------------------ */

struct spapr_model;

/**
 * Create a host from @profile. Groups 0..profile->groups-1 exist, each one a
 * PE with the profile's table group. mm 0 exists with the profile's memlock
 * limit. Fault injection from the environment variable SPAPR_MODEL_FAULTS is
 * applied (see spapr_model_fault_parse()). NULL on failure (errno set).
 */
struct spapr_model *spapr_model_create(const struct spapr_model_profile *profile);

/**
 * spapr_model_create() that also says why it failed: @err (may be NULL)
 * gets a sentence, e.g. which rule of SPAPR_MODEL_FAULTS is wrong (errno
 * EINVAL) and what to do.
 */
struct spapr_model *spapr_model_create_err(const struct spapr_model_profile *profile,
					   char *err, size_t errlen);

/** Destroy the host and everything in it (open handles included). */
void spapr_model_destroy(struct spapr_model *m);

/** The profile the model was created with. */
const struct spapr_model_profile *spapr_model_get_profile(const struct spapr_model *m);

/** The model as a backend. Owned by the model; valid until destroy. */
struct spapr_backend *spapr_model_backend(struct spapr_model *m);

/** The model behind a backend, or NULL if @be is not a model backend. */
struct spapr_model *spapr_model_from_backend(struct spapr_backend *be);

/**
 * Add a PE/IOMMU group with its own table-group values (e.g. a second PHB
 * with other pgsizes). Returns the new group number.
 */
struct spapr_model_group_params {
	uint32_t dma32_start, dma32_size;
	uint64_t pgsizes;
	uint32_t max_dynamic_windows;
	uint32_t max_levels;
	bool viable;		/**< all devices bound to vfio-pci */
	bool emulated;		/**< mdev/emulated IOMMU group: attach -EINVAL */
	bool no_table_group;	/**< no table group: attach -ENODEV */
	enum spapr_model_platform platform; /**< backend kind (-EPERM on mixing) */
};
int spapr_model_add_group(struct spapr_model *m, const struct spapr_model_group_params *gp);

/** The table-group values the profile gives a new group. */
void spapr_model_default_group_params(const struct spapr_model *m,
				      struct spapr_model_group_params *gp);

/* ------------------------------------------------------------------------ */
/* Processes and their memory.                                              */
/* ------------------------------------------------------------------------ */

/** Create another process address space. Returns its mm id (> 0). */
int spapr_model_mm_create(struct spapr_model *m, uint64_t memlock_limit,
			  bool cap_ipc_lock);

/** Issue every following backend call as process @mm. */
int spapr_model_set_current_mm(struct spapr_model *m, int mm);
int spapr_model_get_current_mm(const struct spapr_model *m);

/** Change RLIMIT_MEMLOCK / CAP_IPC_LOCK of @mm (takes effect on next charge). */
int spapr_model_mm_set_memlock(struct spapr_model *m, int mm, uint64_t limit,
			       bool cap_ipc_lock);

#define SPAPR_MODEL_VMA_HUGETLB	   (1u << 0) /**< hugetlbfs (PageHuge); THP is not */
#define SPAPR_MODEL_VMA_READONLY   (1u << 1) /**< FOLL_WRITE pin fails: -EFAULT */
#define SPAPR_MODEL_VMA_UNPINNABLE (1u << 2) /**< e.g. VM_IO/PFNMAP: pin fails */

/**
 * Declare that @mm maps [va, va+len) backed by pages of 2^page_shift bytes.
 * @page_shift must be >= the system page shift, and va/len aligned to it.
 * @host, when not NULL, is real memory of this process behind the range; the
 * device side then reads/writes it. Overlapping an existing VMA: -EEXIST.
 */
int spapr_model_mm_map(struct spapr_model *m, int mm, uint64_t va, uint64_t len,
		       unsigned int page_shift, unsigned int flags, void *host);

/** Remove a VMA (exactly as declared). Registered regions keep their pins. */
int spapr_model_mm_unmap(struct spapr_model *m, int mm, uint64_t va, uint64_t len);

/** The host physical address the model gave @va in @mm (-EFAULT: hole). */
int spapr_model_mm_va_to_pa(struct spapr_model *m, int mm, uint64_t va, uint64_t *pa);

/** One preregistered region (§2 "Preregistered region"). */
struct spapr_model_region_info {
	uint64_t ua;		/**< user address */
	uint64_t size;		/**< bytes (entries << PAGE_SHIFT) */
	unsigned int pageshift;	/**< max IOMMU page shift allowed (§3.5) */
	uint64_t used;		/**< container references */
	uint64_t mapped;	/**< 1 + TCEs pointing into it */
	bool orphaned;		/**< referenced by no container (§3.5 quirk) */
};

struct spapr_model_mm_info {
	uint64_t locked_vm_pages;	/**< system pages charged (account_locked_vm) */
	uint64_t memlock_limit;		/**< bytes */
	bool cap_ipc_lock;
	unsigned int regions;		/**< preregistered regions in this mm */
	unsigned int orphaned_regions;
	uint64_t registered_bytes;
	uint64_t leaked_pages;		/**< charges leaked by failed CREATEs (§3.6.8) */
};
int spapr_model_mm_info(struct spapr_model *m, int mm, struct spapr_model_mm_info *info);

/** Copy up to @max regions of @mm (newest first, as the kernel list). Returns count. */
int spapr_model_mm_regions(struct spapr_model *m, int mm,
			   struct spapr_model_region_info *out, unsigned int max);

/* ------------------------------------------------------------------------ */
/* Introspection of containers and windows.                                 */
/* ------------------------------------------------------------------------ */

struct spapr_model_window_info {
	bool present;
	uint64_t start;			/**< bus address */
	uint64_t size;			/**< bytes the table covers: on PowerNV at least one
					     system page of TCEs, so it can exceed the
					     size asked for (pnv_pci_ioda2_table_alloc_pages) */
	unsigned int page_shift;
	unsigned int levels;
	uint64_t tces_in_use;		/**< valid entries */
	uint64_t bytes_allocated;	/**< table memory really allocated now */
	uint64_t bytes_charged;		/**< it_allocated_size charged to locked_vm */
};

struct spapr_model_container_info {
	bool iommu_set;
	bool v2;
	bool enabled;
	bool def_window_pending;
	int mm;				/**< bound mm, -1 if none */
	unsigned int ngroups;
	int groups[8];
	struct spapr_model_window_info windows[2];	/**< slots 0 and 1 */
	uint64_t v1_locked_pages;
};
int spapr_model_container_info(struct spapr_model *m, int container,
			       struct spapr_model_container_info *info);

/** Read TCE @index (entry index in the bus address space, i.e. addr >> shift)
 *  of the window in @slot, converted from big-endian. -ENOENT: no window;
 *  -ERANGE: outside it. An entry in an unallocated level reads as 0. */
int spapr_model_tce_read(struct spapr_model *m, int container, unsigned int slot,
			 uint64_t index, uint64_t *tce);

/**
 * Check every invariant of the model: locked_vm of each mm equals the sum of
 * its charges (regions + tables + v1 + leaked), every valid TCE points into a
 * registered region of the container's mm with a matching userspace-view
 * entry, region mapped counts equal the TCEs pointing into them, etc.
 * Returns 0, or -EUCLEAN with a description of the first violation in @err.
 */
int spapr_model_check_invariants(struct spapr_model *m, char *err, size_t errlen);

/**
 * Kernel undefined behaviour the model refused (e.g. MAP/UNMAP running past
 * the window end, §3.8.8: returned -EINVAL instead). Returns the count,
 * and the last diagnostic in @msg if not NULL.
 */
unsigned int spapr_model_diagnostics(struct spapr_model *m, char *msg, size_t len);

/* ------------------------------------------------------------------------ */
/* The device side: DMA through the live TCE tables, EEH.                   */
/* ------------------------------------------------------------------------ */

#define SPAPR_MODEL_DMA_READ  (1u << 0)	/**< device reads memory (TX): TCE read bit */
#define SPAPR_MODEL_DMA_WRITE (1u << 1)	/**< device writes memory (RX): TCE write bit */

/** Result of translating one IOVA. */
struct spapr_model_xlat {
	uint64_t hpa;		/**< host physical address of the IOVA */
	void *host;		/**< host pointer, NULL if the VMA has none */
	uint64_t contig;	/**< bytes translatable from here within one TCE */
	uint64_t perm;		/**< TCE permission bits (1 read, 2 write) */
};

/**
 * A device in @group accesses [iova, iova+len) with @dir. Every IOMMU page is
 * translated through the windows programmed into the group's PE and checked
 * for permission. On success fills @first (may be NULL) with the translation
 * of @iova. On a fault (no window, invalid TCE, missing permission) the PE
 * freezes (EEH: DMA and MMIO stopped), the fault is counted and -EFAULT is
 * returned; while frozen every access fails with -EIO.
 */
int spapr_model_dma_check(struct spapr_model *m, int group, uint64_t iova,
			  uint64_t len, unsigned int dir, struct spapr_model_xlat *first);

/** Device reads @len bytes at @iova into @dst (check + copy). -ENXIO: no host memory. */
int spapr_model_dma_read(struct spapr_model *m, int group, uint64_t iova,
			 void *dst, size_t len);

/** Device writes @len bytes from @src to @iova (check + copy). */
int spapr_model_dma_write(struct spapr_model *m, int group, uint64_t iova,
			  const void *src, size_t len);

/** EEH state of the PE: a VFIO_EEH_PE_STATE_* value. */
int spapr_model_pe_state(struct spapr_model *m, int group);

/** Reset the PE (like RESET_HOT + CONFIGURE): unfreezes it. */
int spapr_model_pe_reset(struct spapr_model *m, int group);

/**
 * Identity mode for the PE of @group (@on), to measure a device without an
 * IOMMU: every device access translates IOVA = host physical address (the
 * model's, spapr_model_mm_va_to_pa()), like a PowerNV 64-bit bypass window,
 * and the TCE windows are ignored. So that a check costs what a check through
 * a direct window costs, it walks a one-level identity TCE table (2 MiB
 * entries, filled on first use) and then does the same VMA lookup; read and
 * write are allowed. An address that is not memory of the host faults and
 * freezes the PE as usual; EEH and statistics are unchanged, and a PE reset
 * keeps the mode. Turning it off (or spapr_model_destroy()) frees the table.
 * Returns 0, -ENOENT (no such group) or -ENOMEM.
 */
int spapr_model_pe_set_bypass(struct spapr_model *m, int group, bool on);

/** Per-PE device counters. */
struct spapr_model_pe_stats {
	uint64_t dma_checks;	/**< spapr_model_dma_check calls (incl. via read/write) */
	uint64_t dma_pages;	/**< IOMMU pages translated */
	uint64_t dma_bytes;
	uint64_t faults;	/**< translation/permission faults */
	uint64_t frozen_rejects; /**< accesses refused while frozen */
	uint64_t resets;
	uint64_t last_fault_iova;
};
int spapr_model_pe_stats(struct spapr_model *m, int group, struct spapr_model_pe_stats *st);

/* ------------------------------------------------------------------------ */
/* Cost counters (§7).                                                 */
/* ------------------------------------------------------------------------ */

/** Operations, for counters and fault injection. */
enum spapr_model_op {
	SPAPR_MODEL_OP_CONTAINER_OPEN = 0,
	SPAPR_MODEL_OP_GROUP_OPEN,
	SPAPR_MODEL_OP_CLOSE,
	SPAPR_MODEL_OP_GROUP_GET_STATUS,
	SPAPR_MODEL_OP_GROUP_SET_CONTAINER,
	SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER,
	SPAPR_MODEL_OP_CHECK_EXTENSION,
	SPAPR_MODEL_OP_SET_IOMMU,
	SPAPR_MODEL_OP_GET_INFO,
	SPAPR_MODEL_OP_REGISTER_MEMORY,
	SPAPR_MODEL_OP_UNREGISTER_MEMORY,
	SPAPR_MODEL_OP_TCE_CREATE,
	SPAPR_MODEL_OP_TCE_REMOVE,
	SPAPR_MODEL_OP_MAP_DMA,
	SPAPR_MODEL_OP_UNMAP_DMA,
	SPAPR_MODEL_OP_ENABLE,
	SPAPR_MODEL_OP_DISABLE,
	SPAPR_MODEL_OP_EEH_PE_OP,
	/* internal fault points (not ioctls) */
	SPAPR_MODEL_OP_LEVEL_ALLOC,	/**< allocation of one TCE table level */
	SPAPR_MODEL_OP_PIN,		/**< pin_user_pages of one REGISTER */
	SPAPR_MODEL_OP_HCALL,		/**< one hypercall/RTAS call (pseries) */
	SPAPR_MODEL_OP_COUNT
};

/** Stable lower-case name of an op ("map_dma", "level_alloc", ...). */
const char *spapr_model_op_name(enum spapr_model_op op);
/** Op from its name; -EINVAL if unknown. */
int spapr_model_op_from_name(const char *name);

struct spapr_model_counters {
	uint64_t ops[SPAPR_MODEL_OP_COUNT];	/**< calls by op (ioctls and internal) */
	uint64_t ioctls;		/**< container+group ioctls (not open/close) */
	uint64_t errors;		/**< ioctls that returned an error */
	uint64_t tce_xchg;		/**< TCE exchanges (map, unmap, clears) */
	uint64_t tce_writes;		/**< exchanges that changed an entry */
	uint64_t invalidations;		/**< kill calls or per-page MMIO writes */
	uint64_t region_visits;		/**< prereg-list nodes visited (§7) */
	uint64_t hcalls;		/**< hypercalls (pseries: 2 per TCE) */
	uint64_t rtas_calls;		/**< RTAS (pseries) calls */
	uint64_t opal_calls;		/**< OPAL calls (PowerNV set/unset window, kills) */
	uint64_t pages_pinned;		/**< system pages pinned */
	uint64_t table_bytes_allocated;	/**< total ever allocated for TCE levels */
	uint64_t table_bytes_charged;	/**< total ever charged for tables */
};

/** Counters of one container handle (what its ioctls cost). */
int spapr_model_container_counters(struct spapr_model *m, int container,
				   struct spapr_model_counters *c);
/** Counters of one process (all its ioctls on all containers). */
int spapr_model_mm_counters(struct spapr_model *m, int mm, struct spapr_model_counters *c);
/** Counters of the whole host. */
void spapr_model_counters(struct spapr_model *m, struct spapr_model_counters *c);
/** Zero all counters (host, mm, container, PE stats). */
void spapr_model_counters_reset(struct spapr_model *m);

/* ------------------------------------------------------------------------ */
/* Fault injection.                                                         */
/* ------------------------------------------------------------------------ */

/**
 * Make the @nth (1-based, counted from now) call of @op fail with -@err.
 * For ioctls the failure happens on entry, before any check or side effect
 * (like a failed copy_from_user); for internal points (level_alloc, pin,
 * hcall) it happens where the kernel would fail, so the model's own rollback
 * runs. @err = 0 means the op's natural error (-ENOMEM for level_alloc,
 * -EFAULT for pin, -EIO otherwise). @count consecutive calls fail (0 = 1).
 * Several rules may be armed at once.
 */
int spapr_model_fault_inject(struct spapr_model *m, enum spapr_model_op op,
			     unsigned int nth, int err, unsigned int count);

/**
 * Arm rules from text: "op:nth[:errno[:count]]" separated by ',' or ';',
 * errno by name (ENOMEM) or number. E.g. "map_dma:3:EIO,level_alloc:1".
 * This is the syntax of the SPAPR_MODEL_FAULTS environment variable.
 */
int spapr_model_fault_parse(struct spapr_model *m, const char *spec, char *err,
			    size_t errlen);

/** Disarm every rule. */
void spapr_model_fault_clear(struct spapr_model *m);

/** Faults injected so far. */
unsigned int spapr_model_faults_fired(struct spapr_model *m);

#ifdef __cplusplus
}
#endif

#endif /* SPAPR_MODEL_H */
