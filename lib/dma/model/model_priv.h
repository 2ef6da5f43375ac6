/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_priv.h - private: the state of the host model (§2) shared by
 * the model's files (model.c and model_*.c: containers, groups, ioctls, mm,
 * regions, accounting) and device.c (device-side DMA, EEH).
 */
#ifndef MODEL_PRIV_H
#define MODEL_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model_fault.h"
#include "spapr_model.h"
#include "tce_table.h"

#define MODEL_MAX_GROUPS 64	/* groups in one container */
#define MODEL_SLOTS 2		/* IOMMU_TABLE_GROUP_MAX_TABLES (AIO) */
#define MODEL_PA_BASE UINT64_C(0x100000000000) /* so that PA != VA */

/* The size of TYPE up to and including MEMBER. The kernel's ioctls take
 * their minimum argsz this way (include/linux/stddef.h offsetofend; e.g.
 * tce_iommu_ioctl in drivers/vfio/vfio_iommu_spapr_tce.c), so a field
 * added at the end of a uapi struct does not raise the minimum. */
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))

/* A VMA of an mm (declared by spapr_model_mm_map). It lives on while a
 * registered region pins it, even after spapr_model_mm_unmap(). */
struct model_vma {
	int mm;
	uint64_t va, len;
	uint64_t pa;		/* host physical base, aligned to the page */
	unsigned int page_shift;
	unsigned int flags;	/* SPAPR_MODEL_VMA_* */
	void *host;		/* real memory, or NULL */
	bool mapped;		/* still declared in its mm */
	unsigned int pins;	/* region segments pinning it */
};

/* The part of a region that lies in one VMA. */
struct region_seg {
	uint64_t va, len;
	struct model_vma *vma;
};

/* A preregistered region (API struct mm_iommu_table_group_mem_t). */
struct model_region {
	struct model_region *prev, *next;	/* per-mm list, newest first */
	int mm;
	uint64_t ua;
	uint64_t entries;	/* system pages */
	unsigned int pageshift;	/* max IOMMU page shift (§3.5) */
	uint64_t used;		/* API mem->used */
	int64_t mapped;		/* API mem->mapped: 1 + TCEs */
	unsigned int nrefs;	/* containers whose prereg list holds it */
	int64_t mapped_leak;	/* mapped increments the kernel never drops */
	unsigned int nsegs;
	struct region_seg *segs;
};

struct model_mm {
	int id;
	uint64_t memlock_limit;	/* bytes, SPAPR_MODEL_UNLIMITED */
	bool cap_ipc_lock;
	uint64_t locked_vm;	/* system pages */
	uint64_t leaked_pages;	/* failed CREATE charges (§3.6.8) */
	struct model_region *regions;	/* head = newest */
	unsigned int nregions;
	struct model_vma **vmas;	/* mapped VMAs sorted by va */
	unsigned int nvmas, capvmas;
	struct spapr_model_counters ctr;
};

/* A window: one TCE table and what the model knows about it. */
struct model_table {
	struct tce_table *t;
	unsigned int levels;	/* levels as the kernel has them (it_indirect_levels + 1) */
	enum spapr_model_platform platform;
	bool platform_owned;	/* <= v6.3 v1: the PE's own table */
	bool pseries_default;	/* pseries: the default (not a DDW) window */
	unsigned int linked;	/* PEs it is set on (IODA it_group_list) */
	uint64_t stale;		/* valid TCEs whose view entry the kernel zeroed */
	uint64_t v1_pins;	/* v1: TCEs holding a pinned page */
};

/* One PE (its table group and EEH state). */
struct model_pe {
	struct model_table *tables[MODEL_SLOTS];	/* table_group->tables[] */
	bool poisoned;		/* pseries failed_ddw_pdn_list */
	bool default_present;	/* pseries: hypervisor default window exists */
	unsigned int ddws;	/* pseries: DDWs in the hypervisor */
	bool mmio_enabled, dma_enabled, reset_active;
	bool bypass;		/* identity translation, no TCEs (spapr_model_pe_set_bypass) */
	/* The windows the device sees in identity mode, in place of tables[]:
	 * slot 0 holds the identity TCE table (filled on first use). */
	struct model_table *bypass_tables[MODEL_SLOTS];
	struct spapr_model_pe_stats stats;
	/* Steps of the device-side translation (device.c xlat), the same in
	 * every mode per IOMMU page: white-box tests compare them. */
	struct {
		uint64_t window_probes;	/* window slots looked at */
		uint64_t tce_reads;	/* TCE-table entries read */
		uint64_t vma_lookups;	/* model_vma_by_pa() calls */
	} xlat;
};

struct model_container;

struct model_group {
	int num;
	struct spapr_model_group_params p;
	int handle;		/* -1: not open */
	struct model_container *container;	/* CONT group->container */
	bool claimed;		/* DMA ownership claimed for VFIO */
	struct model_pe pe;
};

struct model_container {
	int handle;		/* -1: fd closed (object kept by groups) */
	bool iommu_set;		/* a driver is set (SET_IOMMU) */
	bool v2, enabled, def_window_pending;
	uint64_t locked_pages;	/* v1 ENABLE charge */
	int mm;			/* bound mm, -1 */
	struct model_table *tables[MODEL_SLOTS];
	/* VST container->group_list: list_add() at the head (VST
	 * tce_iommu_attach_group), so groups[0] is the newest attach. */
	struct model_group *groups[MODEL_MAX_GROUPS];
	unsigned int ngroups;
	/* CONT container->group_list, also head-first (CONT
	 * vfio_container_attach_group). */
	struct model_group *cgroups[MODEL_MAX_GROUPS];
	unsigned int ncgroups;
	struct model_region **prereg;	/* head-first (VST list_add) */
	unsigned int nprereg, capprereg;
	struct spapr_model_counters ctr;
};

enum handle_kind { H_FREE = 0, H_CONTAINER, H_GROUP };

struct model_handle {
	enum handle_kind kind;
	void *obj;
};

struct spapr_model {
	struct spapr_backend be;	/* first: spapr_model_from_backend() */
	pthread_mutex_t lock;
	struct spapr_model_profile prof;
	struct model_faults faults;

	struct model_handle *handles;
	unsigned int nhandles;
	struct model_group **groups;
	unsigned int ngroups;
	struct model_container **conts;	/* every live container object */
	unsigned int nconts, capconts;
	struct model_mm **mms;
	unsigned int nmms;
	int cur_mm;

	uint64_t next_pa;
	struct model_vma **phys;	/* live VMAs sorted by pa */
	unsigned int nphys, capphys;

	struct spapr_model_counters ctr;
	struct model_container *ctx_cont;	/* counters of the running op */
	struct model_mm *ctx_mm;

	unsigned int ndiag;
	char diag[256];
};

/* ---- helpers used by device.c (model.c, model_mm.c) ---- */
void model_ctr_add(struct spapr_model *m, size_t field, uint64_t n);
#define CTR(m, field, n) \
	model_ctr_add((m), offsetof(struct spapr_model_counters, field), (n))

struct model_group *model_group_by_num(struct spapr_model *m, int num);
/* The VMA (mapped or only pinned) holding host physical address @pa. */
struct model_vma *model_vma_by_pa(struct spapr_model *m, uint64_t pa);

/* ---- shared helpers of the model's files ---- */
static inline unsigned int model_sys_shift(const struct spapr_model *m)
{
	return m->prof.system_page_shift;
}

static inline uint64_t model_sys_page(const struct spapr_model *m)
{
	return UINT64_C(1) << model_sys_shift(m);
}

/* Which table_group ops a group has (§6; model_platform.c). */
enum ops_kind {
	OPS_IODA2,	/* pnv_pci_ioda2_ops */
	OPS_PSERIES,	/* spapr_tce_table_group_ops (f431a8cde7f1) */
	OPS_BORROW,	/* v6.4+ "borrowing" ops: reuse the default window */
	OPS_NONE,	/* <= v6.3: pseries/IODA1 had no table_group ops */
};

/* ---- model.c ---- */
int model_fault_point(struct spapr_model *m, enum spapr_model_op op);
void model_diag(struct spapr_model *m, const char *fmt, ...);
int model_handle_alloc(struct spapr_model *m, enum handle_kind kind, void *obj);
struct model_handle *model_handle_get(struct spapr_model *m, int h);
int model_cont_lookup(struct spapr_model *m, int h, struct model_container **c);
int model_cont_driver(struct spapr_model *m, int h, struct model_container **c);
int model_mm_set(struct spapr_model *m, struct model_container *c);
int model_group_lookup(struct spapr_model *m, int h, struct model_group **g);

/* ---- model_mm.c ---- */
struct model_mm *model_mm_get(struct spapr_model *m, int id);
int model_mm_new(struct spapr_model *m, uint64_t limit, bool cap);
struct model_vma *model_vma_find(const struct model_mm *mm, uint64_t va);
int model_grow(void **arr, unsigned int *cap, unsigned int need, size_t elem);
void model_remove_ptr(void **arr, unsigned int *n, unsigned int at);
void model_vma_maybe_free(struct spapr_model *m, struct model_vma *v);
int model_account(struct spapr_model *m, struct model_mm *mm, uint64_t pages,
		  bool inc);

/* ---- model_regions.c ---- */
uint64_t model_region_bytes(const struct spapr_model *m, const struct model_region *r);
struct model_region *model_region_lookup(struct spapr_model *m,
					 struct model_mm *mm, uint64_t ua,
					 uint64_t size);
struct model_region *model_region_get(struct spapr_model *m, struct model_mm *mm,
				      uint64_t ua, uint64_t entries);
void model_region_devmem_walk(struct spapr_model *m, struct model_mm *mm);
uint64_t model_region_ua_to_pa(const struct model_region *r, uint64_t ua);
void model_region_unpin(struct spapr_model *m, struct model_region *r);
void model_region_unlink(struct model_mm *mm, struct model_region *r);
int model_region_put(struct spapr_model *m, struct model_mm *mm,
		     struct model_region *r);
long model_region_new(struct spapr_model *m, struct model_mm *mm, uint64_t ua,
		      uint64_t entries, struct model_region **out);
void model_region_mapped_dec(struct model_region *r);

/* ---- model_windows.c ---- */
struct model_mm *model_cont_mm(struct spapr_model *m, struct model_container *c);
int model_level_hook(void *ctx, bool hw, uint64_t bytes);
int model_rtas(struct spapr_model *m);
void model_opal(struct spapr_model *m);
void model_pe_kill(struct spapr_model *m);
void model_tce_clear(struct spapr_model *m, struct model_container *c,
		     struct model_table *mt, uint64_t entry, uint64_t pages);
void model_tce_clear_all(struct spapr_model *m, struct model_container *c,
			 struct model_table *mt);
int model_tce_build(struct spapr_model *m, struct model_container *c,
		    struct model_table *mt, uint64_t entry, uint64_t ua,
		    uint64_t pages, uint64_t perm);
int model_find_table(struct model_container *c, uint64_t iova,
		     struct model_table **out);
bool model_runs_past_end(struct spapr_model *m, struct model_table *mt,
			 uint64_t iova, uint64_t size, const char *what);

/* ---- model_platform.c ---- */
enum ops_kind model_ops_kind(const struct spapr_model *m, const struct model_group *g);
uint32_t model_max_windows(const struct spapr_model *m, const struct model_group *g);
struct model_table *model_pseries_table(struct spapr_model *m,
					struct model_group *g, uint64_t bus,
					unsigned int shift, uint64_t wsize,
					int *err);
int model_set_window(struct spapr_model *m, struct model_group *g, int num,
		     struct model_table *mt);
void model_unset_window(struct spapr_model *m, struct model_group *g, int num);
void model_free_table(struct spapr_model *m, struct model_container *c,
		      struct model_table *mt);
int model_create_window(struct spapr_model *m, struct model_container *c,
			unsigned int shift, uint64_t wsize, unsigned int levels,
			uint64_t *start);
int model_create_default_window(struct spapr_model *m, struct model_container *c);
int model_remove_window(struct spapr_model *m, struct model_container *c,
			uint64_t start);

/* ---- model_groups.c ---- */
int model_prereg_free(struct spapr_model *m, struct model_container *c,
		      unsigned int i);
void model_cont_free(struct spapr_model *m, struct model_container *c);
void model_detach_container(struct spapr_model *m, struct model_group *g);
int model_set_iommu(struct spapr_model *m, struct model_container *c,
		    uint32_t type);
int model_do_container_open(struct spapr_model *m);
int model_do_group_open(struct spapr_model *m, int num);
int model_do_close(struct spapr_model *m, int h);
int model_do_get_status(struct spapr_model *m, int h, uint32_t *flags);
int model_do_set_container(struct spapr_model *m, int h, int ch);
int model_do_unset_container(struct spapr_model *m, int h);

/* ---- model_ioctl.c ---- */
int model_do_check_extension(struct spapr_model *m, int h, uint32_t ext);
int model_do_set_iommu(struct spapr_model *m, int h, uint32_t type);
int model_do_get_info(struct spapr_model *m, int h,
		      struct vfio_iommu_spapr_tce_info *info);
int model_do_enable(struct spapr_model *m, int h);
int model_do_disable(struct spapr_model *m, int h);
int model_do_register(struct spapr_model *m, int h,
		      struct vfio_iommu_spapr_register_memory *reg);
int model_do_unregister(struct spapr_model *m, int h,
			struct vfio_iommu_spapr_register_memory *reg);
int model_do_tce_create(struct spapr_model *m, int h,
			struct vfio_iommu_spapr_tce_create *cr);
int model_do_tce_remove(struct spapr_model *m, int h,
			struct vfio_iommu_spapr_tce_remove *rm);
int model_do_map(struct spapr_model *m, int h, struct vfio_iommu_type1_dma_map *p);
int model_do_unmap(struct spapr_model *m, int h,
		   struct vfio_iommu_type1_dma_unmap *p);
int model_do_eeh(struct spapr_model *m, int h, struct vfio_eeh_pe_op *op);

/* ---- device.c ---- */
void model_pe_init(struct model_pe *pe);
void model_pe_freeze(struct model_pe *pe);
/* Free what the PE owns (the identity table of spapr_model_pe_set_bypass). */
void model_pe_fini(struct model_pe *pe);
/* VFIO_EEH_PE_OP on one PE (VST vfio_spapr_ioctl_eeh_pe_op). */
int model_eeh_pe_op(struct spapr_model *m, struct model_group *g,
		    const struct vfio_eeh_pe_op *op);

#endif /* MODEL_PRIV_H */
