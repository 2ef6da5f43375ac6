/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.7 VFIO_IOMMU_SPAPR_TCE_REMOVE (v2) and the pending default window.
 * Order: mm -EPERM (binds) / no group -ENXIO (unreachable, see §3.3) /
 * copy-in -EFAULT / argsz < 16 / flags / pending && start == 0 -> 0 /
 * window containing start_addr, none -> -EINVAL / clear, unset, free,
 * un-charge.
 */
#include "conformance_util.h"

static void v2_host(struct cf *f, const char *profile)
{
	cf_init(f, profile);
	cf_std_vmas(f, 0);
	cf_setup(f, CF_V2);
}

static void s3_7_remove_pending_default_costs_nothing(void)
{
	struct cf f;
	struct spapr_model_counters before, after;

	v2_host(&f, "powernv9");
	spapr_model_counters(f.m, &before);
	T_ERR(cf_remove(&f, 0), 0);
	spapr_model_counters(f.m, &after);
	T_EQU(after.table_bytes_allocated, before.table_bytes_allocated);
	T_EQU(after.table_bytes_charged, before.table_bytes_charged);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, false);
	T_EQ(ci.windows[0].present, false);
	T_EQ(ci.mm, 0);		/* REMOVE binds */
	T_EQU(cf_locked(&f, 0), 0);
	/* Nothing pending and no window any more: -EINVAL. */
	T_ERR(cf_remove(&f, 0), -EINVAL);
	cf_done(&f);
}

static void s3_7_remove_null_argsz_flags_before_pending_shortcut(void)
{
	struct cf f;
	struct vfio_iommu_spapr_tce_remove rm;

	v2_host(&f, "powernv9");
	T_ERR(f.o->tce_remove(f.be, f.c, NULL), -EFAULT);
	T_EQ(cf_ci(&f).mm, 0);
	rm = (struct vfio_iommu_spapr_tce_remove){ .argsz = 15, .start_addr = 0 };
	T_ERR(f.o->tce_remove(f.be, f.c, &rm), -EINVAL);
	rm = (struct vfio_iommu_spapr_tce_remove){ .argsz = 16, .flags = 1 };
	T_ERR(f.o->tce_remove(f.be, f.c, &rm), -EINVAL);
	T_EQ(cf_ci(&f).def_window_pending, true);
	rm = (struct vfio_iommu_spapr_tce_remove){ .argsz = 1024, .start_addr = 0 };
	T_ERR(f.o->tce_remove(f.be, f.c, &rm), 0);
	T_EQ(cf_ci(&f).def_window_pending, false);
	cf_done(&f);
}

static void s3_7_remove_other_mm_eperm(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(cf_remove(&f, 0), -EPERM);
	T_ERR(f.o->tce_remove(f.be, f.c, NULL), -EPERM);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_EQ(cf_ci(&f).def_window_pending, true);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	cf_done(&f);
}

static void s3_7_remove_pending_nonzero_start_einval(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, CF_SLOT1_PNV), -EINVAL);
	T_ERR(cf_remove(&f, 4096), -EINVAL);
	T_EQ(cf_ci(&f).def_window_pending, true);
	T_EQ(cf_ci(&f).windows[0].present, false);
	T_EQU(cf_locked(&f, 0), 0);
	cf_done(&f);
}

static void s3_7_remove_address_inside_window_matches(void)
{
	struct cf f;
	uint64_t s0, s1;

	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s0), 0);
	T_ERR(cf_create(&f, 16, SZ_1G, 2, &s1), 0);
	uint64_t c0 = cf_pnv_charge_pages(&f, 21, SZ_1G, 1);
	uint64_t c1 = cf_pnv_charge_pages(&f, 16, SZ_1G, 2);
	T_EQU(cf_locked(&f, 0), c0 + c1);
	/* Not in any window: just past each end. Slot 0 asked for 512 2 MiB
	 * TCEs but spans one 64 KiB page of TCEs, 8192 entries = 16 GiB
	 * (IODATCE pnv_pci_ioda2_table_alloc_pages, it_size = table bytes / 8). */
	T_ERR(cf_remove(&f, 16 * SZ_1G), -EINVAL);
	T_ERR(cf_remove(&f, s1 + SZ_1G), -EINVAL);
	/* Any address inside the window matches (it's a lookup, not == start). */
	T_ERR(cf_remove(&f, s1 + SZ_1G - 1), 0);
	T_EQ(cf_ci(&f).windows[1].present, false);
	T_EQU(cf_locked(&f, 0), c0);
	T_ERR(cf_remove(&f, s0 + 12345 * SZ_4K), 0);
	T_EQ(cf_ci(&f).windows[0].present, false);
	T_EQU(cf_locked(&f, 0), 0);
	T_ERR(cf_remove(&f, s0), -EINVAL);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

static void s3_7_remove_materialised_default_window_uncharges(void)
{
	struct cf f;
	uint64_t s1;

	v2_host(&f, "powernv9");
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s1), 0);	/* materialises window 0 */
	uint64_t def = cf_default_window_pages(&f);
	uint64_t c1 = cf_pnv_charge_pages(&f, 21, SZ_1G, 1);
	T_EQU(cf_locked(&f, 0), def + c1);
	T_ERR(cf_remove(&f, 0), 0);
	T_EQ(cf_ci(&f).windows[0].present, false);
	T_EQU(cf_locked(&f, 0), c1);
	cf_done(&f);
}

static void s3_7_remove_clears_tces_and_region_counts(void)
{
	struct cf f;
	uint64_t s;
	struct spapr_model_region_info r;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s), 0);
	T_ERR(cf_map(&f, VA_HUGE, s + 4 * SZ_2M, 8 * SZ_2M, CF_RW), 0);
	T_CHECK(cf_region(&f, 0, VA_HUGE, &r));
	T_EQU(r.mapped, 9);
	T_EQU(cf_ci(&f).windows[0].tces_in_use, 8);
	T_ERR(cf_remove(&f, s), 0);
	T_CHECK(cf_region(&f, 0, VA_HUGE, &r));
	T_EQU(r.mapped, 1);
	T_ERR(spapr_model_dma_check(f.m, 0, s + 4 * SZ_2M, 64, SPAPR_MODEL_DMA_READ, NULL),
	      -EFAULT);
	spapr_model_pe_reset(f.m, 0);
	CF_INVARIANTS(&f);
	/* Not orphaned: unregister frees it. */
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	cf_done(&f);
}

static void s3_7_remove_pseries_pending(void)
{
	struct cf f;
	uint64_t s;

	v2_host(&f, "pseries-kvm");
	T_ERR(cf_remove(&f, f.p.dma32_start), 0);	/* dma32 start is 0 */
	T_EQ(cf_ci(&f).def_window_pending, false);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s), 0);
	T_EQU(s, CF_DDW_PSERIES);
	T_ERR(cf_remove(&f, s + SZ_2M), 0);
	T_EQU(cf_locked(&f, 0), 0);
	cf_done(&f);
}


static void s3_7_remove_pending_with_nonzero_dma32_start(void)
{
	struct spapr_model_profile p;
	struct cf f;

	/* §3.7: the shortcut only takes start_addr == 0; with a firmware
	 * window not at 0, REMOVE(dma32_window_start) while pending finds no
	 * window -> -EINVAL (code reading), REMOVE(0) clears the pending. */
	cf_profile("pseries-powervm", &p);
	p.dma32_start = 0x10000000u;
	p.dma32_size = 0x10000000u;
	cf_init_profile(&f, &p);
	cf_setup(&f, CF_V2);
	struct vfio_iommu_spapr_tce_info info;
	T_ERR(cf_get_info(&f, &info), 0);
	T_EQU(info.dma32_window_start, 0x10000000u);
	T_ERR(cf_remove(&f, 0x10000000u), -EINVAL);
	T_EQ(cf_ci(&f).def_window_pending, true);
	T_ERR(cf_remove(&f, 0), 0);
	T_EQ(cf_ci(&f).def_window_pending, false);
	T_EQU(cf_locked(&f, 0), 0);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_7_remove_pending_default_costs_nothing);
	T_RUN(s3_7_remove_null_argsz_flags_before_pending_shortcut);
	T_RUN(s3_7_remove_other_mm_eperm);
	T_RUN(s3_7_remove_pending_nonzero_start_einval);
	T_RUN(s3_7_remove_address_inside_window_matches);
	T_RUN(s3_7_remove_materialised_default_window_uncharges);
	T_RUN(s3_7_remove_clears_tces_and_region_counts);
	T_RUN(s3_7_remove_pseries_pending);
	T_RUN(s3_7_remove_pending_with_nonzero_dma32_start);
	return t_finish();
}
