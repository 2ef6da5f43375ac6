/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conformance_util.h - shared helpers of the black-box conformance suite.
 *
 * The conformance tests check the host model against the spec
 * (doc/kernel-model.md, sections cited as §N) and,
 * where the spec and the kernel disagree, against the kernel source (cited
 * by file/function). They talk to the model ONLY through the backend ops
 * (spapr_model_backend()) for ioctls, and through the model's public
 * functions for set-up (profiles, mms, VMAs, fault injection) and
 * introspection (container_info, mm_info, regions, tce_read, invariants).
 *
 * Every test function builds its own host (struct cf), so tests are
 * independent; cf_done() closes every handle, checks the model invariants
 * and that the mm's locked_vm is back to what the test expects.
 *
 * Where these tests follow the kernel source rather than the spec:
 *  - MAP/UNMAP with a misaligned IOVA return 1, not -EINVAL
 *    (CF_IOBA_CHECK_RET below; §3.8, §3.9);
 *  - GET_INFO, CREATE and the default window use the head of the VST
 *    group list, which is the most recently attached group
 *    (tce_iommu_attach_group: list_add), not "the first attached" (§3.3,
 *    §3.6);
 *  - REGISTER of a range that runs into a hole after k pinned pages
 *    returns k (mm_iommu_do_alloc keeps a positive pin_user_pages
 *    result), -EFAULT only if nothing could be pinned (§3.5);
 *  - a MAP failing in the TCE exchange leaks the failing entry's
 *    mm_iommu_mapped_inc (tce_iommu_build_v2 error path), so that region
 *    can never be freed (§3.8);
 *  - EEH GET_STATE over several groups returns the first NON-ZERO state,
 *    NORMAL being 0 (tce_iommu_ioctl VFIO_EEH_PE_OP loop) (§3.10);
 *  - SET_IOMMU(VFIO_EEH) is -EINVAL (driver open refuses), other unknown
 *    types -ENODEV (CONT vfio_ioctl_set_iommu) (§3.2).
 */
#ifndef CONFORMANCE_UTIL_H
#define CONFORMANCE_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spapr_backend.h"
#include "spapr_model.h"
#include "test_util.h"

/* ------------------------------------------------------------------ */
/* Constants of the UAPI and of the platforms (§1, §5, §9).        */
/* ------------------------------------------------------------------ */

#define CF_V1 VFIO_SPAPR_TCE_IOMMU	/* 2 */
#define CF_V2 VFIO_SPAPR_TCE_v2_IOMMU	/* 7 */
#define CF_RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

#define CF_TCE_READ 0x1ull
#define CF_TCE_WRITE 0x2ull

#define CF_SLOT1_PNV (1ull << 59)	/* PowerNV TVE#1, §5.5 */
#define CF_DDW_PSERIES (1ull << 59)	/* observed on 6.12 under QEMU */

#define SZ_4K 0x1000ull
#define SZ_64K 0x10000ull
#define SZ_2M 0x200000ull
#define SZ_16M 0x1000000ull
#define SZ_1G 0x40000000ull
#define SZ_2G 0x80000000ull
#define SZ_1T 0x10000000000ull

/* Synthetic user addresses (the model needs no real memory behind them). */
#define VA_HUGE 0x7f0000000000ull	/* hugetlbfs, 2 MiB pages */
#define VA_SMALL 0x7e0000000000ull	/* normal pages (system page size) */
#define VA_THP 0x7d0000000000ull	/* 2 MiB "pages" that are not hugetlbfs */
#define VA_RO 0x7c0000000000ull		/* read-only mapping */
#define VA_MIX 0x7b0000000000ull	/* hugetlb 2M followed by normal pages */
#define VA_LEN (64 * SZ_2M)		/* 128 MiB per VMA */

/*
 * MAP/UNMAP with an IOVA that is not IOMMU-page aligned. The spec (§3.8
 * step 8) says -EINVAL, but the kernel returns the value of
 * iommu_tce_put_param_check() / iommu_tce_clear_param_check(), which are
 * macros in arch/powerpc/include/asm/iommu.h built with a logical "||" of
 * iommu_tce_check_ioba(...) and a second term: a failing check evaluates to
 * 1, and tce_iommu_ioctl() (drivers/vfio/vfio_iommu_spapr_tce.c,
 * VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA: "if (ret) return ret;")
 * returns that 1 to userspace. The kernel wins over the spec (§12.1).
 */
#define CF_IOBA_CHECK_RET 1

/* ------------------------------------------------------------------ */
/* One host under test.                                                 */
/* ------------------------------------------------------------------ */

struct cf {
	struct spapr_model *m;
	struct spapr_backend *be;
	const struct spapr_backend_ops *o;
	struct spapr_model_profile p;
	unsigned int sys_shift;
	int c;		/* container handle, -1 if none */
	int g[8];	/* group handles, -1 if none */
};

static inline void cf_die(const char *what, const char *name, int err)
{
	fprintf(stderr, "FATAL %s: %s: %s (%d)\n", t_current, what, name, err);
	t_failures++;
	printf("%d checks, %d failed\n", t_checks, t_failures);
	exit(1);
}

static inline void cf_profile(const char *name, struct spapr_model_profile *p)
{
	int r = spapr_model_profile_get(name, p);

	if (r)
		cf_die("spapr_model_profile_get", name, r);
}

/** Create a host from @p; no container opened yet. */
static inline void cf_init_profile(struct cf *f, const struct spapr_model_profile *p)
{
	memset(f, 0, sizeof(*f));
	f->p = *p;
	f->m = spapr_model_create(p);
	if (!f->m)
		cf_die("spapr_model_create", p->name, -errno);
	f->be = spapr_model_backend(f->m);
	if (!f->be || !f->be->ops)
		cf_die("spapr_model_backend", p->name, -EINVAL);
	f->o = f->be->ops;
	f->sys_shift = p->system_page_shift;
	/* Tests that need a limit set one; the default is "no limit". */
	if (spapr_model_mm_set_memlock(f->m, 0, SPAPR_MODEL_UNLIMITED, false))
		cf_die("spapr_model_mm_set_memlock", p->name, -EINVAL);
	f->c = -1;
	for (unsigned int i = 0; i < 8; i++)
		f->g[i] = -1;
}

static inline void cf_init(struct cf *f, const char *profile)
{
	struct spapr_model_profile p;

	cf_profile(profile, &p);
	cf_init_profile(f, &p);
}

static inline uint64_t cf_sys_page(const struct cf *f)
{
	return 1ull << f->sys_shift;
}

/** Open the container and group @gi, set the container (no IOMMU yet). */
static inline void cf_open_group(struct cf *f, int gi)
{
	if (f->c < 0) {
		f->c = f->o->container_open(f->be);
		if (f->c < 0)
			cf_die("container_open", f->p.name, f->c);
	}
	f->g[gi] = f->o->group_open(f->be, gi);
	if (f->g[gi] < 0)
		cf_die("group_open", f->p.name, f->g[gi]);
	int r = f->o->group_set_container(f->be, f->g[gi], f->c);
	if (r)
		cf_die("group_set_container", f->p.name, r);
}

/** Container + group 0 + SET_IOMMU(@type); dies if that fails. */
static inline void cf_setup(struct cf *f, uint32_t type)
{
	cf_open_group(f, 0);
	int r = f->o->set_iommu(f->be, f->c, type);
	if (r)
		cf_die("set_iommu", f->p.name, r);
}

/* ------------------------------------------------------------------ */
/* ioctl wrappers: build the UAPI struct with the right argsz.          */
/* ------------------------------------------------------------------ */

static inline int cf_reg(struct cf *f, uint64_t va, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = {
		.argsz = sizeof(r), .flags = 0, .vaddr = va, .size = size };
	return f->o->register_memory(f->be, f->c, &r);
}

static inline int cf_unreg(struct cf *f, uint64_t va, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = {
		.argsz = sizeof(r), .flags = 0, .vaddr = va, .size = size };
	return f->o->unregister_memory(f->be, f->c, &r);
}

static inline int cf_create(struct cf *f, uint32_t page_shift, uint64_t size,
			    uint32_t levels, uint64_t *start)
{
	struct vfio_iommu_spapr_tce_create cr = {
		.argsz = sizeof(cr), .flags = 0, .page_shift = page_shift,
		.window_size = size, .levels = levels,
		.start_addr = 0xdeadbeefdeadbeefull };
	int r = f->o->tce_create(f->be, f->c, &cr);

	if (start)
		*start = cr.start_addr;
	return r;
}

static inline int cf_remove(struct cf *f, uint64_t start)
{
	struct vfio_iommu_spapr_tce_remove rm = {
		.argsz = sizeof(rm), .flags = 0, .start_addr = start };
	return f->o->tce_remove(f->be, f->c, &rm);
}

static inline int cf_map(struct cf *f, uint64_t va, uint64_t iova, uint64_t size,
			 uint32_t flags)
{
	struct vfio_iommu_type1_dma_map mp = {
		.argsz = sizeof(mp), .flags = flags, .vaddr = va, .iova = iova,
		.size = size };
	return f->o->map_dma(f->be, f->c, &mp);
}

static inline int cf_unmap(struct cf *f, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap um = {
		.argsz = sizeof(um), .flags = 0, .iova = iova, .size = size };
	return f->o->unmap_dma(f->be, f->c, &um);
}

static inline int cf_get_info(struct cf *f, struct vfio_iommu_spapr_tce_info *i)
{
	memset(i, 0, sizeof(*i));
	i->argsz = sizeof(*i);
	return f->o->get_info(f->be, f->c, i);
}

/* ------------------------------------------------------------------ */
/* Memory and introspection.                                            */
/* ------------------------------------------------------------------ */

static inline void cf_vma(struct cf *f, int mm, uint64_t va, uint64_t len,
			  unsigned int page_shift, unsigned int flags)
{
	int r = spapr_model_mm_map(f->m, mm, va, len, page_shift, flags, NULL);

	if (r)
		cf_die("spapr_model_mm_map", f->p.name, r);
}

/** The usual VMAs of mm @mm: hugetlb 2M, normal, THP-like, read-only. */
static inline void cf_std_vmas(struct cf *f, int mm)
{
	cf_vma(f, mm, VA_HUGE, VA_LEN, 21, SPAPR_MODEL_VMA_HUGETLB);
	cf_vma(f, mm, VA_SMALL, VA_LEN, f->sys_shift, 0);
	cf_vma(f, mm, VA_THP, VA_LEN, 21, 0);
	cf_vma(f, mm, VA_RO, VA_LEN, f->sys_shift, SPAPR_MODEL_VMA_READONLY);
}

static inline uint64_t cf_locked(struct cf *f, int mm)
{
	struct spapr_model_mm_info mi;

	memset(&mi, 0, sizeof(mi));
	int r = spapr_model_mm_info(f->m, mm, &mi);

	T_EQ(r, 0);
	return mi.locked_vm_pages;
}

static inline struct spapr_model_mm_info cf_mm(struct cf *f, int mm)
{
	struct spapr_model_mm_info mi;

	memset(&mi, 0, sizeof(mi));
	T_EQ(spapr_model_mm_info(f->m, mm, &mi), 0);
	return mi;
}

static inline struct spapr_model_container_info cf_ci(struct cf *f)
{
	struct spapr_model_container_info ci;

	memset(&ci, 0, sizeof(ci));
	T_EQ(spapr_model_container_info(f->m, f->c, &ci), 0);
	return ci;
}

/** The region of mm @mm starting at @ua (newest match); false if none. */
static inline bool cf_region(struct cf *f, int mm, uint64_t ua,
			     struct spapr_model_region_info *out)
{
	struct spapr_model_region_info r[64];
	int n = spapr_model_mm_regions(f->m, mm, r, 64);

	for (int i = 0; i < n; i++) {
		if (r[i].ua == ua) {
			*out = r[i];
			return true;
		}
	}
	return false;
}

static inline uint64_t cf_tce(struct cf *f, unsigned int slot, uint64_t index)
{
	uint64_t tce = 0xbadbadbadull;

	T_EQ(spapr_model_tce_read(f->m, f->c, slot, index, &tce), 0);
	return tce;
}

/** Assert the model's invariants hold (after each step that matters). */
#define CF_INVARIANTS(f)                                                       \
	do {                                                                   \
		char cf_err_[512] = "";                                        \
		int cf_r_ = spapr_model_check_invariants((f)->m, cf_err_,      \
							 sizeof(cf_err_));     \
		T_EQ(cf_r_, 0);                                                \
		if (cf_r_)                                                     \
			fprintf(stderr, "  invariant: %s\n", cf_err_);         \
	} while (0)

/**
 * End of a test: invariants, close every group and the container (groups
 * first: release happens when the last group leaves, §4), invariants again,
 * mm 0's locked_vm must be @expect_locked pages, destroy the host.
 */
static inline void cf_done_expect(struct cf *f, uint64_t expect_locked)
{
	CF_INVARIANTS(f);
	spapr_model_set_current_mm(f->m, 0);
	for (unsigned int i = 0; i < 8; i++) {
		if (f->g[i] >= 0)
			T_EQ(f->o->close(f->be, f->g[i]), 0);
		f->g[i] = -1;
	}
	if (f->c >= 0)
		T_EQ(f->o->close(f->be, f->c), 0);
	f->c = -1;
	CF_INVARIANTS(f);
	T_EQU(cf_locked(f, 0), expect_locked);
	spapr_model_destroy(f->m);
	f->m = NULL;
}

static inline void cf_done(struct cf *f)
{
	cf_done_expect(f, 0);
}

/* ------------------------------------------------------------------ */
/* Oracles from the spec.                                               */
/* ------------------------------------------------------------------ */

static inline unsigned int cf_log2(uint64_t v)
{
	unsigned int s = 0;

	while ((1ull << s) < v)
		s++;
	return s;
}

static inline uint64_t cf_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/** PowerNV bytes charged for a window (§5.3, pnv_pci_ioda2_get_table_size). */
static inline uint64_t cf_pnv_charge_bytes(unsigned int page_shift, uint64_t window,
					   unsigned int levels, unsigned int sys_shift)
{
	unsigned int entries_shift = cf_log2(window) - page_shift;
	unsigned int b = (entries_shift + levels - 1) / levels;
	unsigned int ds = b + 3 > sys_shift ? b + 3 : sys_shift;
	uint64_t direct = 1ull << ds;
	uint64_t entries = window >> page_shift;
	uint64_t t = entries * 8 > 4096 ? entries * 8 : 4096;
	uint64_t bytes = 0;

	for (unsigned int l = 0; l < levels; l++) {
		bytes += cf_align_up(t, direct);
		t = t / direct * 8;
		if (t < direct)
			t = direct;
	}
	return 2 * bytes;
}

static inline uint64_t cf_pnv_charge_pages(const struct cf *f, unsigned int page_shift,
					   uint64_t window, unsigned int levels)
{
	return cf_pnv_charge_bytes(page_shift, window, levels, f->sys_shift) >> f->sys_shift;
}

/** pseries bytes charged (§5.3): entries * 8, no x2, levels == 1. */
static inline uint64_t cf_pseries_charge_pages(const struct cf *f, unsigned int page_shift,
					       uint64_t window)
{
	return (window >> (page_shift - 3)) >> f->sys_shift;
}

/** Default 32-bit window charge: 4 KiB pages, tce32_size, 1 level (§3.7). */
static inline uint64_t cf_default_window_pages(const struct cf *f)
{
	if (f->p.platform == SPAPR_MODEL_PSERIES)
		return cf_pseries_charge_pages(f, 12, f->p.dma32_size);
	return cf_pnv_charge_pages(f, 12, f->p.dma32_size, 1);
}

#endif /* CONFORMANCE_UTIL_H */

/* ------------------------------------------------------------------ */
/* Groups.                                                              */
/* ------------------------------------------------------------------ */

/** Add a group like the profile's, tweaked by @tweak (may be NULL). */
static inline int cf_add_group(struct cf *f, void (*tweak)(struct spapr_model_group_params *))
{
	struct spapr_model_group_params gp;

	memset(&gp, 0, sizeof(gp));
	spapr_model_default_group_params(f->m, &gp);
	gp.viable = true;
	gp.emulated = false;
	gp.no_table_group = false;
	if (tweak)
		tweak(&gp);
	int n = spapr_model_add_group(f->m, &gp);

	if (n < 0 || n >= 8)
		cf_die("spapr_model_add_group", f->p.name, n);
	return n;
}

/** Make sure groups 0..n-1 exist (adds default groups if the profile has fewer). */
static inline void cf_ensure_groups(struct cf *f, unsigned int n)
{
	for (unsigned int have = f->p.groups; have < n; have++)
		cf_add_group(f, NULL);
}

/** Open group @gi (no SET_CONTAINER). */
static inline int cf_group_open(struct cf *f, int gi)
{
	f->g[gi] = f->o->group_open(f->be, gi);
	T_CHECK(f->g[gi] >= 0);
	return f->g[gi];
}

static inline uint32_t cf_group_flags(struct cf *f, int gi)
{
	uint32_t fl = 0xffffffffu;

	T_EQ(f->o->group_get_status(f->be, f->g[gi], &fl), 0);
	return fl;
}
