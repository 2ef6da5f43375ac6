/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.8 VFIO_IOMMU_MAP_DMA. Order: mm -EPERM / !enabled -EPERM / copy-in
 * -EFAULT / argsz < 32 / flags & ~(R|W) -EINVAL / pending default window
 * created / no window -ENXIO / size or vaddr not IOMMU-page aligned -EINVAL
 * / no direction -EINVAL / iova not aligned (kernel: returns 1, see
 * CF_IOBA_CHECK_RET) / per page: region lookup -EINVAL, pageshift -EINVAL,
 * backing page smaller -EPERM; silent replace; rollback of this call's
 * entries; size 0 ok; past the window end -> -EINVAL + diagnostic.
 */
#include "conformance_util.h"

static struct spapr_model_region_info region_of(struct cf *f, uint64_t ua)
{
	struct spapr_model_region_info r;

	memset(&r, 0, sizeof(r));
	T_CHECK(cf_region(f, 0, ua, &r));
	return r;
}

static uint64_t pa_of(struct cf *f, uint64_t va)
{
	uint64_t pa = 0;

	T_ERR(spapr_model_mm_va_to_pa(f->m, 0, va, &pa), 0);
	return pa;
}

static void v2_host(struct cf *f, const char *profile)
{
	cf_init(f, profile);
	cf_std_vmas(f, 0);
	cf_setup(f, CF_V2);
}

/* v2 host with VA_HUGE registered (16 MiB) and one 1 GiB 2M-page window at 0. */
/* The test window: 2 MiB TCEs, 16 GiB. A PowerNV window spans at least one
 * system page of TCEs (IODATCE pnv_pci_ioda2_table_alloc_pages: it_size =
 * table bytes / 8), 8192 entries with 64 KiB pages: 16 GiB is the smallest
 * window of 2 MiB TCEs whose end is where it was asked to be. */
#define WIN (16 * SZ_1G)

static uint64_t v2_window(struct cf *f, const char *profile)
{
	uint64_t start = 1;

	v2_host(f, profile);
	T_ERR(cf_reg(f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_remove(f, 0), 0);
	T_ERR(cf_create(f, 21, WIN, 1, &start), 0);
	return start;
}

static void s3_8_map_not_enabled_eperm_before_copyin(void)
{
	struct cf f;
	struct vfio_iommu_type1_dma_map mp = { .argsz = 1, .flags = 0xff };

	v2_host(&f, "powernv9");
	T_ERR(f.o->map_dma(f.be, f.c, NULL), -EPERM);
	T_ERR(f.o->map_dma(f.be, f.c, &mp), -EPERM);
	T_ERR(cf_map(&f, VA_HUGE, 0, SZ_4K, CF_RW), -EPERM);
	/* and nothing was materialised */
	T_EQ(cf_ci(&f).def_window_pending, true);
	T_EQ(cf_ci(&f).windows[0].present, false);
	cf_done(&f);

	/* v1: before ENABLE */
	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V1);
	T_ERR(f.o->map_dma(f.be, f.c, NULL), -EPERM);
	T_ERR(cf_map(&f, VA_SMALL, 0, SZ_4K, CF_RW), -EPERM);
	cf_done(&f);
}

static void s3_8_map_copyin_argsz_flags_before_default_window(void)
{
	struct cf f;
	struct vfio_iommu_type1_dma_map mp;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_SMALL, SZ_2M), 0);
	T_ERR(f.o->map_dma(f.be, f.c, NULL), -EFAULT);
	mp = (struct vfio_iommu_type1_dma_map){ .argsz = 31, .flags = CF_RW,
		.vaddr = VA_SMALL, .iova = 0, .size = SZ_4K };
	T_ERR(f.o->map_dma(f.be, f.c, &mp), -EINVAL);
	mp.argsz = 32;
	mp.flags = CF_RW | 4;
	T_ERR(f.o->map_dma(f.be, f.c, &mp), -EINVAL);
	mp.flags = 0x80000000u;
	T_ERR(f.o->map_dma(f.be, f.c, &mp), -EINVAL);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, true);
	T_EQ(ci.windows[0].present, false);
	T_EQU(cf_locked(&f, 0), SZ_2M >> 16);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_materialises_pending_default_window(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_SMALL, SZ_2M), 0);
	T_ERR(cf_map(&f, VA_SMALL + SZ_64K, 0x10000, SZ_64K, CF_RW), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, false);
	T_EQ(ci.windows[0].present, true);
	T_EQU(ci.windows[0].start, 0);
	T_EQU(ci.windows[0].size, SZ_2G);
	T_EQ(ci.windows[0].page_shift, 12);
	T_EQU(ci.windows[0].tces_in_use, 16);
	T_EQU(cf_locked(&f, 0), (SZ_2M >> 16) + cf_default_window_pages(&f));
	/* 4K TCEs on 64K pages keep the offset inside the system page. */
	uint64_t tce = cf_tce(&f, 0, (0x10000 + 3 * SZ_4K) >> 12);
	T_EQU(tce & ~0xfffull, pa_of(&f, VA_SMALL + SZ_64K + 3 * SZ_4K));
	T_EQU(tce & 3, CF_TCE_READ | CF_TCE_WRITE);
	T_ERR(cf_unmap(&f, 0, SZ_2G), 0);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_no_direction_after_default_window(void)
{
	struct cf f;

	/* flags == 0 passes step 3; the window is created (step 4) before the
	 * "neither READ nor WRITE" check (step 7). */
	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_SMALL, SZ_2M), 0);
	T_ERR(cf_map(&f, VA_SMALL, 0, SZ_4K, 0), -EINVAL);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, false);
	T_EQ(ci.windows[0].present, true);
	T_EQU(ci.windows[0].tces_in_use, 0);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_default_window_error_returned(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_SMALL, SZ_2M), 0);
	/* Room for the region only: the implicit window's 8 MiB does not fit. */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, SZ_2M, false), 0);
	T_ERR(cf_map(&f, VA_SMALL, 0, SZ_4K, CF_RW), -ENOMEM);
	T_ERR(cf_unmap(&f, 0, SZ_4K), -ENOMEM);		/* §3.9 too */
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, true);
	T_EQ(ci.windows[0].present, false);
	T_EQU(cf_locked(&f, 0), SZ_2M >> 16);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_enxio_before_alignment(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	T_EQU(s, 0);
	/* iova outside every window, size and vaddr misaligned: -ENXIO first */
	T_ERR(cf_map(&f, VA_HUGE + 1, WIN, 3, CF_RW), -ENXIO);
	T_ERR(cf_map(&f, VA_HUGE, WIN, SZ_2M, CF_RW), -ENXIO);
	T_ERR(cf_map(&f, VA_HUGE, CF_SLOT1_PNV, SZ_2M, CF_RW), -ENXIO);
	T_ERR(cf_map(&f, VA_HUGE, ~0ull - SZ_2M + 1, SZ_2M, CF_RW), -ENXIO);
	/* ... and before "no direction" */
	T_ERR(cf_map(&f, VA_HUGE, WIN, SZ_2M, 0), -ENXIO);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	cf_done(&f);

	/* No window at all (pending removed): -ENXIO */
	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_map(&f, VA_HUGE, 0, SZ_2M, CF_RW), -ENXIO);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_size_vaddr_alignment_to_iommu_page(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	T_ERR(cf_map(&f, VA_HUGE, s, SZ_64K, CF_RW), -EINVAL);
	T_ERR(cf_map(&f, VA_HUGE + SZ_64K, s, SZ_2M, CF_RW), -EINVAL);
	/* misaligned size beats "no direction" and a misaligned iova */
	T_ERR(cf_map(&f, VA_HUGE, s + SZ_4K, SZ_64K, 0), -EINVAL);
	T_ERR(cf_map(&f, VA_HUGE, s + SZ_4K, SZ_64K, CF_RW), -EINVAL);
	/* no direction beats a misaligned iova */
	T_ERR(cf_map(&f, VA_HUGE, s + SZ_4K, SZ_2M, 0), -EINVAL);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	cf_done(&f);
}

static void s3_8_map_iova_misaligned(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	/* kernel: iommu_tce_put_param_check() evaluates to 1 (see util). */
	T_ERR(cf_map(&f, VA_HUGE, s + SZ_64K, SZ_2M, CF_RW), CF_IOBA_CHECK_RET);
	T_ERR(cf_map(&f, VA_HUGE, s + 1, 0, CF_RW), CF_IOBA_CHECK_RET);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 1);
	cf_done(&f);
}

static void s3_8_map_region_lookup_einval(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	/* not registered at all */
	T_ERR(cf_map(&f, VA_HUGE + 8 * SZ_2M, s, SZ_2M, CF_RW), -EINVAL);
	T_ERR(cf_map(&f, VA_SMALL, s, SZ_2M, CF_RW), -EINVAL);
	/* an IOMMU page straddling two regions is in neither */
	T_ERR(cf_reg(&f, VA_HUGE + 16 * SZ_2M, 0x100000), 0);
	T_ERR(cf_reg(&f, VA_HUGE + 16 * SZ_2M + 0x100000, 0x100000), 0);
	T_ERR(cf_map(&f, VA_HUGE + 16 * SZ_2M, s, SZ_2M, CF_RW), -EINVAL);
	/* one MAP over two adjacent regions, each page inside one: fine */
	T_ERR(cf_reg(&f, VA_HUGE + 8 * SZ_2M, 2 * SZ_2M), 0);
	T_ERR(cf_map(&f, VA_HUGE + 6 * SZ_2M, s, 4 * SZ_2M, CF_RW), 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 3);
	T_EQU(region_of(&f, VA_HUGE + 8 * SZ_2M).mapped, 3);
	T_ERR(cf_unmap(&f, s, 4 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE + 16 * SZ_2M, 0x100000), 0);
	T_ERR(cf_unreg(&f, VA_HUGE + 16 * SZ_2M + 0x100000, 0x100000), 0);
	T_ERR(cf_unreg(&f, VA_HUGE + 8 * SZ_2M, 2 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_pageshift_einval(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	/* THP and normal pages: region pageshift = PAGE_SHIFT < 21 */
	T_ERR(cf_reg(&f, VA_THP, 8 * SZ_2M), 0);
	T_ERR(cf_reg(&f, VA_SMALL, 8 * SZ_2M), 0);
	T_ERR(cf_map(&f, VA_THP, s, SZ_2M, CF_RW), -EINVAL);
	T_ERR(cf_map(&f, VA_SMALL, s, SZ_2M, CF_RW), -EINVAL);
	/* hugetlb region capped by its alignment: 1M-aligned 1M region */
	T_ERR(cf_reg(&f, VA_HUGE + 8 * SZ_2M + 0x100000, 0x100000), 0);
	T_EQU(region_of(&f, VA_HUGE + 8 * SZ_2M + 0x100000).pageshift, 20);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	T_EQU(region_of(&f, VA_THP).mapped, 1);
	T_ERR(cf_unreg(&f, VA_THP, 8 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_SMALL, 8 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE + 8 * SZ_2M + 0x100000, 0x100000), 0);
	cf_done(&f);
}

static void s3_8_map_backing_smaller_than_iommu_page_eperm(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	/* huge page first, then normal pages: region pageshift stays 21
	 * (§3.5 quirk), but the second 2M is backed by 64K pages. */
	cf_vma(&f, 0, VA_MIX, SZ_2M, 21, SPAPR_MODEL_VMA_HUGETLB);
	cf_vma(&f, 0, VA_MIX + SZ_2M, SZ_2M, 16, 0);
	T_ERR(cf_reg(&f, VA_MIX, 2 * SZ_2M), 0);
	T_EQU(region_of(&f, VA_MIX).pageshift, 21);
	T_ERR(cf_map(&f, VA_MIX + SZ_2M, s, SZ_2M, CF_RW), -EPERM);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	/* rollback: the first page of this call is cleared again */
	T_ERR(cf_map(&f, VA_MIX, s + SZ_2M, 2 * SZ_2M, CF_RW), -EPERM);
	T_EQU(cf_tce(&f, 0, (s + SZ_2M) >> 21), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	T_EQU(region_of(&f, VA_MIX).mapped, 1);
	T_ERR(cf_map(&f, VA_MIX, s, SZ_2M, CF_RW), 0);
	T_EQU(region_of(&f, VA_MIX).mapped, 2);
	T_ERR(cf_unmap(&f, s, SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_MIX, 2 * SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_silent_replace(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE + 8 * SZ_2M, 8 * SZ_2M), 0);
	T_ERR(cf_map(&f, VA_HUGE, s, 2 * SZ_2M, VFIO_DMA_MAP_FLAG_READ), 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 3);
	/* same IOVA, other memory in another region: replaced, no -EEXIST */
	T_ERR(cf_map(&f, VA_HUGE + 8 * SZ_2M, s, SZ_2M, CF_RW), 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 2);
	T_EQU(region_of(&f, VA_HUGE + 8 * SZ_2M).mapped, 2);
	uint64_t tce = cf_tce(&f, 0, s >> 21);
	T_EQU(tce & ~(SZ_2M - 1), pa_of(&f, VA_HUGE + 8 * SZ_2M));
	T_EQU(tce & 3, CF_TCE_READ | CF_TCE_WRITE);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 2);
	CF_INVARIANTS(&f);
	T_ERR(cf_unmap(&f, s, 2 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE + 8 * SZ_2M, 8 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_rollback_unregistered_second_half(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	/* A mapping this call overwrites is not restored (§3.8 step 10). */
	T_ERR(cf_map(&f, VA_HUGE + 2 * SZ_2M, s + 4 * SZ_2M, SZ_2M, CF_RW), 0);
	/* An entry the call never reached keeps its mapping: only
	 * [first, first + i) is rolled back. */
	T_ERR(cf_map(&f, VA_HUGE, s + 10 * SZ_2M, SZ_2M, CF_RW), 0);
	/* 16M region, map 8 pages starting 4 pages before its end */
	T_ERR(cf_map(&f, VA_HUGE + 4 * SZ_2M, s + 4 * SZ_2M, 8 * SZ_2M, CF_RW), -EINVAL);
	for (uint64_t i = 0; i < 8; i++)
		if (i != 6)
			T_EQU(cf_tce(&f, 0, (s >> 21) + 4 + i), 0);
	T_EQU(cf_tce(&f, 0, (s >> 21) + 10) & ~(SZ_2M - 1), pa_of(&f, VA_HUGE));
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 1);
	T_EQU(region_of(&f, VA_HUGE).mapped, 2);
	CF_INVARIANTS(&f);
	T_ERR(cf_unmap(&f, s + 10 * SZ_2M, SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_EQ(cf_mm(&f, 0).orphaned_regions, 0);
	cf_done(&f);
}

static void s3_8_map_rollback_level_alloc_failure(void)
{
	struct cf f;
	uint64_t s;

	/* 64K TCEs, 2 levels over 1 TiB: 8192 entries (512 MiB) per leaf
	 * block, leaves allocated on first touch at MAP time (§5.2). */
	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 16, SZ_1T, 2, &s), 0);
	T_EQU(s, 0);
	const uint64_t leaf = 8192 * SZ_64K;
	/* existing mapping in leaf 0, just before the boundary */
	T_ERR(cf_map(&f, VA_HUGE + SZ_2M, leaf - SZ_64K, SZ_64K, CF_RW), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 1);
	uint64_t allocated = cf_ci(&f).windows[0].bytes_allocated;
	/* the next level allocation fails: leaf 1 cannot be created */
	T_ERR(spapr_model_fault_inject(f.m, SPAPR_MODEL_OP_LEVEL_ALLOC, 1, 0, 1), 0);
	T_ERR(cf_map(&f, VA_HUGE, leaf - 2 * SZ_64K, 4 * SZ_64K, CF_RW), -ENOMEM);
	T_EQ(spapr_model_faults_fired(f.m), 1);
	/* this call's two entries in leaf 0 are cleared, including the one it
	 * overwrote (not restored) */
	T_EQU(cf_tce(&f, 0, (leaf >> 16) - 2), 0);
	T_EQU(cf_tce(&f, 0, (leaf >> 16) - 1), 0);
	T_EQU(cf_tce(&f, 0, leaf >> 16), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQU(ci.windows[0].tces_in_use, 0);
	/*
	 * Kernel order in tce_iommu_build_v2 (VST): the userspace-view entry
	 * is looked up with alloc (IOMMU_TABLE_USERSPACE_ENTRY) before the
	 * exchange, so the view's leaf 1 exists although the hardware leaf
	 * failed: one more 64 KiB level allocated.
	 */
	T_EQU(ci.windows[0].bytes_allocated, allocated + SZ_64K);
	/*
	 * ... and mm_iommu_mapped_inc() of the failing entry is never undone:
	 * the error path calls tce_iommu_unuse_page_v2() on that entry, whose
	 * view entry is still 0, so no region is found to decrement. The
	 * region keeps one extra "mapped" for ever (kernel leak, faithfully
	 * modelled).
	 */
	T_EQU(region_of(&f, VA_HUGE).mapped, 2);
	CF_INVARIANTS(&f);
	/* and without the fault it works, allocating the hardware leaf 1 */
	T_ERR(cf_map(&f, VA_HUGE, leaf - 2 * SZ_64K, 4 * SZ_64K, CF_RW), 0);
	T_CHECK(cf_ci(&f).windows[0].bytes_allocated > allocated + SZ_64K);
	T_EQU(region_of(&f, VA_HUGE).mapped, 6);
	T_ERR(cf_unmap(&f, 0, SZ_1T), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 2);
	/* the region can never be freed now: the last mm_iommu_put sees
	 * mapped != 1 and its -EBUSY is ignored (§3.5 still-mapped path) */
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_EQ(cf_mm(&f, 0).regions, 1);
	cf_done_expect(&f, (8 * SZ_2M) >> 16);
}

static void perm_case(const char *profile, uint32_t flags, uint64_t want)
{
	struct cf f;
	uint64_t s;

	/* 64K TCEs: every profile supports them (POWER8 has no 2M). */
	v2_host(&f, profile);
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 16, SZ_1G, 1, &s), 0);
	T_ERR(cf_map(&f, VA_HUGE + SZ_2M + SZ_64K, s + SZ_64K, SZ_64K, flags), 0);
	uint64_t tce = cf_tce(&f, 0, (s + SZ_64K) >> 16);
	T_EQU(tce & 3, want);
	T_EQU(tce & ~(SZ_64K - 1), pa_of(&f, VA_HUGE + SZ_2M + SZ_64K));
	T_ERR(cf_unmap(&f, s, SZ_1G), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), 0);
	cf_done(&f);
}

static void s3_8_map_direction_to_tce_bits(void)
{
	/* §5.1: PowerNV stores W-only as R|W (pnv_tce_xchg), pseries as W. */
	perm_case("powernv9", VFIO_DMA_MAP_FLAG_WRITE, CF_TCE_READ | CF_TCE_WRITE);
	perm_case("powernv9", VFIO_DMA_MAP_FLAG_READ, CF_TCE_READ);
	perm_case("powernv9", CF_RW, CF_TCE_READ | CF_TCE_WRITE);
	perm_case("powernv8", VFIO_DMA_MAP_FLAG_WRITE, CF_TCE_READ | CF_TCE_WRITE);
	perm_case("pseries-kvm", VFIO_DMA_MAP_FLAG_WRITE, CF_TCE_WRITE);
	perm_case("pseries-kvm", VFIO_DMA_MAP_FLAG_READ, CF_TCE_READ);
	perm_case("pseries-kvm", CF_RW, CF_TCE_READ | CF_TCE_WRITE);
}

static void s3_8_map_size_zero_ok_after_checks(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	T_ERR(cf_map(&f, VA_HUGE, s, 0, CF_RW), 0);
	/* no per-page work: even unregistered memory is fine with size 0 */
	T_ERR(cf_map(&f, VA_SMALL, s, 0, CF_RW), 0);
	/* the checks before still apply */
	T_ERR(cf_map(&f, VA_HUGE, WIN, 0, CF_RW), -ENXIO);
	T_ERR(cf_map(&f, VA_HUGE + SZ_64K, s, 0, CF_RW), -EINVAL);
	T_ERR(cf_map(&f, VA_HUGE, s, 0, 0), -EINVAL);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 1);
	cf_done(&f);
}

static void s3_8_map_past_window_end_einval_diagnostic(void)
{
	struct cf f;

	uint64_t s = v2_window(&f, "powernv9");
	unsigned int before = spapr_model_diagnostics(f.m, NULL, 0);
	T_ERR(cf_map(&f, VA_HUGE, s + WIN - SZ_2M, 4 * SZ_2M, CF_RW), -EINVAL);
	char msg[256] = "";
	T_EQ(spapr_model_diagnostics(f.m, msg, sizeof(msg)), before + 1);
	T_CHECK(msg[0] != '\0');
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 1);
	/* ending exactly at the window end is fine */
	T_ERR(cf_map(&f, VA_HUGE, s + WIN - 4 * SZ_2M, 4 * SZ_2M, CF_RW), 0);
	T_EQ(spapr_model_diagnostics(f.m, NULL, 0), before + 1);
	T_ERR(cf_unmap(&f, s, WIN), 0);
	cf_done(&f);
}

static void s3_8_map_region_of_other_container_same_mm(void)
{
	struct cf f;
	uint64_t s;

	v2_host(&f, "powernv9");
	cf_ensure_groups(&f, 2);
	int c2 = f.o->container_open(f.be);
	cf_group_open(&f, 1);
	T_ERR(f.o->group_set_container(f.be, f.g[1], c2), 0);
	T_ERR(f.o->set_iommu(f.be, c2, CF_V2), 0);
	int c1 = f.c;
	f.c = c2;
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), 0);
	f.c = c1;
	/* c1 must be enabled by a REGISTER of its own */
	T_ERR(cf_map(&f, VA_HUGE, 0, SZ_4K, CF_RW), -EPERM);
	T_ERR(cf_reg(&f, VA_SMALL, SZ_64K), 0);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s), 0);
	/* the lookup is per mm: c2's region serves c1's MAP */
	T_ERR(cf_map(&f, VA_HUGE, s, 2 * SZ_2M, CF_RW), 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 3);
	CF_INVARIANTS(&f);
	T_ERR(cf_unmap(&f, s, 2 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_64K), 0);
	T_ERR(f.o->close(f.be, f.g[1]), 0);	/* c2 released: region freed */
	f.g[1] = -1;
	T_ERR(f.o->close(f.be, c2), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	cf_done(&f);
}

static void s3_8_map_v1_pins_per_page(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V1);
	T_ERR(f.o->enable(f.be, f.c), 0);
	uint64_t enable_pages = (uint64_t)f.p.dma32_size >> 16;
	T_ERR(cf_map(&f, VA_SMALL + SZ_64K, 0x100000, 2 * SZ_64K, CF_RW), 0);
	/* MAP materialised the default window on v1 too (its charge adds up) */
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.windows[0].present, true);
	T_EQU(ci.windows[0].tces_in_use, 32);
	T_EQU(cf_locked(&f, 0), enable_pages + cf_default_window_pages(&f));
	uint64_t tce = cf_tce(&f, 0, 0x100000 >> 12);
	T_EQU(tce & ~0xfffull, pa_of(&f, VA_SMALL + SZ_64K));
	/* v1 always pins for write: READ-only map of read-only memory fails */
	T_ERR(cf_map(&f, VA_RO, 0x200000, SZ_4K, VFIO_DMA_MAP_FLAG_READ), -EFAULT);
	/* hole */
	T_ERR(cf_map(&f, 0x100000000ull, 0x200000, SZ_4K, CF_RW), -EFAULT);
	/* hole in the middle: this call's first pages are rolled back */
	T_ERR(cf_map(&f, VA_SMALL + VA_LEN - SZ_64K, 0x300000, 2 * SZ_64K, CF_RW), -EFAULT);
	T_EQU(cf_tce(&f, 0, 0x300000 >> 12), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 32);
	T_ERR(cf_unmap(&f, 0, SZ_2G), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_8_map_not_enabled_eperm_before_copyin);
	T_RUN(s3_8_map_copyin_argsz_flags_before_default_window);
	T_RUN(s3_8_map_materialises_pending_default_window);
	T_RUN(s3_8_map_no_direction_after_default_window);
	T_RUN(s3_8_map_default_window_error_returned);
	T_RUN(s3_8_map_enxio_before_alignment);
	T_RUN(s3_8_map_size_vaddr_alignment_to_iommu_page);
	T_RUN(s3_8_map_iova_misaligned);
	T_RUN(s3_8_map_region_lookup_einval);
	T_RUN(s3_8_map_pageshift_einval);
	T_RUN(s3_8_map_backing_smaller_than_iommu_page_eperm);
	T_RUN(s3_8_map_silent_replace);
	T_RUN(s3_8_map_rollback_unregistered_second_half);
	T_RUN(s3_8_map_rollback_level_alloc_failure);
	T_RUN(s3_8_map_direction_to_tce_bits);
	T_RUN(s3_8_map_size_zero_ok_after_checks);
	T_RUN(s3_8_map_past_window_end_einval_diagnostic);
	T_RUN(s3_8_map_region_of_other_container_same_mm);
	T_RUN(s3_8_map_v1_pins_per_page);
	return t_finish();
}
