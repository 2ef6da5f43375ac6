/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.9 VFIO_IOMMU_UNMAP_DMA. Order: mm -EPERM / !enabled -EPERM / copy-in
 * -EFAULT / argsz < 24 / flags / pending default window created / -ENXIO /
 * size not aligned -EINVAL / iova not aligned (kernel: 1, see
 * CF_IOBA_CHECK_RET). Always 0 otherwise: holes and sub-ranges are fine.
 */
#include "conformance_util.h"

static uint64_t mapped_of(struct cf *f, uint64_t ua)
{
	struct spapr_model_region_info r;

	memset(&r, 0, sizeof(r));
	T_CHECK(cf_region(f, 0, ua, &r));
	return r.mapped;
}

static void v2_host(struct cf *f, const char *profile)
{
	cf_init(f, profile);
	cf_std_vmas(f, 0);
	cf_setup(f, CF_V2);
}

/* The test window: 2 MiB TCEs, 16 GiB. A PowerNV window spans at least one
 * system page of TCEs (IODATCE pnv_pci_ioda2_table_alloc_pages: it_size =
 * table bytes / 8), 8192 entries with 64 KiB pages: 16 GiB is the smallest
 * window of 2 MiB TCEs whose end is where it was asked to be. */
#define WIN (16 * SZ_1G)

static uint64_t v2_window(struct cf *f)
{
	uint64_t s = 1;

	v2_host(f, "powernv9");
	T_ERR(cf_reg(f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_remove(f, 0), 0);
	T_ERR(cf_create(f, 21, WIN, 1, &s), 0);
	return s;
}

static void s3_9_unmap_not_enabled_eperm_first(void)
{
	struct cf f;
	struct vfio_iommu_type1_dma_unmap um = { .argsz = 0, .flags = 7 };

	v2_host(&f, "powernv9");
	T_ERR(f.o->unmap_dma(f.be, f.c, NULL), -EPERM);
	T_ERR(f.o->unmap_dma(f.be, f.c, &um), -EPERM);
	T_ERR(cf_unmap(&f, 0, SZ_4K), -EPERM);
	T_EQ(cf_ci(&f).windows[0].present, false);
	cf_done(&f);
}

static void s3_9_unmap_copyin_argsz_flags_before_default_window(void)
{
	struct cf f;
	struct vfio_iommu_type1_dma_unmap um;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	T_ERR(f.o->unmap_dma(f.be, f.c, NULL), -EFAULT);
	um = (struct vfio_iommu_type1_dma_unmap){ .argsz = 23, .iova = 0, .size = SZ_4K };
	T_ERR(f.o->unmap_dma(f.be, f.c, &um), -EINVAL);
	um.argsz = 24;
	um.flags = 1;	/* no flag is supported, not even type1's */
	T_ERR(f.o->unmap_dma(f.be, f.c, &um), -EINVAL);
	T_EQ(cf_ci(&f).def_window_pending, true);
	T_EQ(cf_ci(&f).windows[0].present, false);
	/* a valid UNMAP of nothing materialises the default window */
	T_ERR(cf_unmap(&f, 0, SZ_4K), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, false);
	T_EQ(ci.windows[0].present, true);
	T_EQU(cf_locked(&f, 0), (SZ_2M >> 16) + cf_default_window_pages(&f));
	/* the kernel does not write back an unmapped size */
	um = (struct vfio_iommu_type1_dma_unmap){ .argsz = 24, .iova = 0, .size = SZ_4K };
	T_ERR(f.o->unmap_dma(f.be, f.c, &um), 0);
	T_EQU(um.size, SZ_4K);
	T_EQU(um.argsz, 24);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	cf_done(&f);
}

static void s3_9_unmap_enxio_before_alignment(void)
{
	struct cf f;

	uint64_t s = v2_window(&f);
	T_ERR(cf_unmap(&f, s + WIN, 3), -ENXIO);
	T_ERR(cf_unmap(&f, s + WIN + 1, SZ_2M), -ENXIO);
	T_ERR(cf_unmap(&f, CF_SLOT1_PNV, SZ_2M), -ENXIO);
	cf_done(&f);
}

static void s3_9_unmap_size_then_iova_alignment(void)
{
	struct cf f;

	uint64_t s = v2_window(&f);
	T_ERR(cf_map(&f, VA_HUGE, s, SZ_2M, CF_RW), 0);
	T_ERR(cf_unmap(&f, s, SZ_64K), -EINVAL);
	/* misaligned size beats misaligned iova */
	T_ERR(cf_unmap(&f, s + SZ_64K, SZ_64K), -EINVAL);
	/* iova misaligned, size aligned: iommu_tce_clear_param_check -> 1 */
	T_ERR(cf_unmap(&f, s + SZ_64K, SZ_2M), CF_IOBA_CHECK_RET);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 1);
	T_EQU(mapped_of(&f, VA_HUGE), 2);
	T_ERR(cf_unmap(&f, s, SZ_2M), 0);
	cf_done(&f);
}

static void s3_9_unmap_holes_and_subranges_always_zero(void)
{
	struct cf f;

	uint64_t s = v2_window(&f);
	/* nothing mapped: fine */
	T_ERR(cf_unmap(&f, s, WIN), 0);
	T_ERR(cf_unmap(&f, s + 100 * SZ_2M, 0), 0);
	T_ERR(cf_map(&f, VA_HUGE, s + 10 * SZ_2M, 4 * SZ_2M, CF_RW), 0);
	T_EQU(mapped_of(&f, VA_HUGE), 5);
	/* a sub-range of one MAP */
	T_ERR(cf_unmap(&f, s + 11 * SZ_2M, 2 * SZ_2M), 0);
	T_EQU(cf_tce(&f, 0, (s >> 21) + 10) != 0, 1);
	T_EQU(cf_tce(&f, 0, (s >> 21) + 11), 0);
	T_EQU(cf_tce(&f, 0, (s >> 21) + 12), 0);
	T_EQU(cf_tce(&f, 0, (s >> 21) + 13) != 0, 1);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 2);
	T_EQU(mapped_of(&f, VA_HUGE), 3);
	/* a range that is partly mapped, partly a hole */
	T_ERR(cf_unmap(&f, s + 8 * SZ_2M, 4 * SZ_2M), 0);
	T_EQU(mapped_of(&f, VA_HUGE), 2);
	T_ERR(cf_unmap(&f, s + 8 * SZ_2M, 4 * SZ_2M), 0);	/* again: nothing */
	T_ERR(cf_unmap(&f, s, WIN), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	T_EQU(mapped_of(&f, VA_HUGE), 1);
	T_ERR(spapr_model_dma_check(f.m, 0, s + 10 * SZ_2M, 64, SPAPR_MODEL_DMA_READ, NULL),
	      -EFAULT);
	spapr_model_pe_reset(f.m, 0);
	CF_INVARIANTS(&f);
	/* region free again: UNREGISTER releases it (no orphan) */
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	cf_done(&f);
}

static void s3_9_unmap_past_window_end_einval_diagnostic(void)
{
	struct cf f;

	uint64_t s = v2_window(&f);
	T_ERR(cf_map(&f, VA_HUGE, s + WIN - SZ_2M, SZ_2M, CF_RW), 0);
	unsigned int before = spapr_model_diagnostics(f.m, NULL, 0);
	T_ERR(cf_unmap(&f, s + WIN - SZ_2M, 2 * SZ_2M), -EINVAL);
	T_EQ(spapr_model_diagnostics(f.m, NULL, 0), before + 1);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 1);
	T_ERR(cf_unmap(&f, s + WIN - SZ_2M, SZ_2M), 0);
	cf_done(&f);
}

static void s3_9_unmap_other_mm_eperm(void)
{
	struct cf f;

	uint64_t s = v2_window(&f);
	T_ERR(cf_map(&f, VA_HUGE, s, SZ_2M, CF_RW), 0);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(cf_unmap(&f, s, SZ_2M), -EPERM);
	T_ERR(f.o->unmap_dma(f.be, f.c, NULL), -EPERM);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 1);
	T_ERR(cf_unmap(&f, s, SZ_2M), 0);
	cf_done(&f);
}

static void s3_9_unmap_v1(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V1);
	T_ERR(cf_unmap(&f, 0, SZ_4K), -EPERM);
	T_ERR(f.o->enable(f.be, f.c), 0);
	T_ERR(cf_map(&f, VA_SMALL, 0, 4 * SZ_4K, CF_RW), 0);
	T_ERR(cf_unmap(&f, SZ_4K, 2 * SZ_4K), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 2);
	T_ERR(cf_unmap(&f, SZ_4K, 0x800), -EINVAL);
	T_ERR(cf_unmap(&f, 0, SZ_2G), 0);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 0);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_9_unmap_not_enabled_eperm_first);
	T_RUN(s3_9_unmap_copyin_argsz_flags_before_default_window);
	T_RUN(s3_9_unmap_enxio_before_alignment);
	T_RUN(s3_9_unmap_size_then_iova_alignment);
	T_RUN(s3_9_unmap_holes_and_subranges_always_zero);
	T_RUN(s3_9_unmap_past_window_end_einval_diagnostic);
	T_RUN(s3_9_unmap_other_mm_eperm);
	T_RUN(s3_9_unmap_v1);
	return t_finish();
}
