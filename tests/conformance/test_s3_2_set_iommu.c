/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.2 VFIO_SET_IOMMU and the per-group attach rules (also reached by
 * VFIO_GROUP_SET_CONTAINER on a container whose driver is set: CONT
 * vfio_container_attach_group calls the driver's attach_group).
 */
#include "conformance_util.h"

static void s3_2_no_group_einval(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	f.c = f.o->container_open(f.be);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), -EINVAL);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), -EINVAL);
	/* No group beats "no driver accepts this type" (-ENODEV). */
	T_ERR(f.o->set_iommu(f.be, f.c, VFIO_TYPE1_IOMMU), -EINVAL);
	T_EQ(cf_ci(&f).iommu_set, false);
	cf_done(&f);
}

static void s3_2_driver_already_set_einval(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), -EINVAL);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), -EINVAL);
	T_ERR(f.o->set_iommu(f.be, f.c, VFIO_TYPE1_IOMMU), -EINVAL);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.iommu_set, true);
	T_EQ(ci.v2, true);
	T_EQ(ci.ngroups, 1);
	cf_done(&f);
}

static void s3_2_unknown_type_enodev(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_open_group(&f, 0);
	/* CONT vfio_ioctl_set_iommu: no driver answers CHECK_EXTENSION(1). */
	T_ERR(f.o->set_iommu(f.be, f.c, VFIO_TYPE1_IOMMU), -ENODEV);
	T_ERR(f.o->set_iommu(f.be, f.c, 0), -ENODEV);
	/* VFIO_EEH: the sPAPR driver says yes to CHECK_EXTENSION(VFIO_EEH),
	 * so CONT calls its open(), which refuses the type: -EINVAL */
	T_ERR(f.o->set_iommu(f.be, f.c, VFIO_EEH), f.p.eeh_enabled ? -EINVAL : -ENODEV);
	T_EQ(cf_ci(&f).iommu_set, false);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), 0);
	T_EQ(cf_ci(&f).v2, true);
	cf_done(&f);
}

static void s3_2_v2_without_ddw_einval_v1_ok(void)
{
	struct cf f;

	cf_init(&f, "pseries-v1-only");
	T_EQ(f.p.max_dynamic_windows, 0);
	cf_open_group(&f, 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), -EINVAL);
	T_EQ(cf_ci(&f).iommu_set, false);
	T_EQ(cf_group_flags(&f, 0) & VFIO_GROUP_FLAGS_CONTAINER_SET,
	     VFIO_GROUP_FLAGS_CONTAINER_SET);	/* still on the container */
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.iommu_set, true);
	T_EQ(ci.v2, false);
	cf_done(&f);
}

static void s3_2_v1_second_group_ebusy_at_set_iommu(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_ensure_groups(&f, 2);
	cf_open_group(&f, 0);
	cf_open_group(&f, 1);
	/* v1 = one group per container: the second attach fails, the first is
	 * detached again and the driver released (CONT). */
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), -EBUSY);
	T_EQ(cf_ci(&f).iommu_set, false);
	CF_INVARIANTS(&f);
	/* The same two groups are fine for v2. */
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.iommu_set, true);
	T_EQ(ci.ngroups, 2);
	T_EQ(ci.def_window_pending, true);
	cf_done(&f);
}

static void s3_2_v1_second_group_ebusy_at_set_container(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_ensure_groups(&f, 2);
	cf_setup(&f, CF_V1);
	cf_group_open(&f, 1);
	T_ERR(f.o->group_set_container(f.be, f.g[1], f.c), -EBUSY);
	T_EQ(cf_group_flags(&f, 1) & VFIO_GROUP_FLAGS_CONTAINER_SET, 0);
	T_EQ(cf_ci(&f).ngroups, 1);
	cf_done(&f);
}

static void other_platform(struct spapr_model_group_params *gp)
{
	gp->platform = gp->platform == SPAPR_MODEL_POWERNV ? SPAPR_MODEL_PSERIES
							    : SPAPR_MODEL_POWERNV;
	gp->max_dynamic_windows = 2;
	gp->max_levels = 1;
}

static void other_platform_no_ddw(struct spapr_model_group_params *gp)
{
	other_platform(gp);
	gp->max_dynamic_windows = 0;
}

static void s3_2_v2_mixing_platforms_eperm(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int g = cf_add_group(&f, other_platform);
	cf_group_open(&f, g);
	T_ERR(f.o->group_set_container(f.be, f.g[g], f.c), -EPERM);
	T_EQ(cf_ci(&f).ngroups, 1);
	/* v2 DDW check comes before the platform check: -EINVAL wins. */
	int h = cf_add_group(&f, other_platform_no_ddw);
	cf_group_open(&f, h);
	T_ERR(f.o->group_set_container(f.be, f.g[h], f.c), -EINVAL);
	T_EQ(cf_ci(&f).ngroups, 1);
	cf_done(&f);
}

static void s3_2_v1_busy_before_platform_mismatch(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	int g = cf_add_group(&f, other_platform);
	cf_group_open(&f, g);
	T_ERR(f.o->group_set_container(f.be, f.g[g], f.c), -EBUSY);
	cf_done(&f);
}

static void emulated(struct spapr_model_group_params *gp) { gp->emulated = true; }
static void no_tg(struct spapr_model_group_params *gp) { gp->no_table_group = true; }
static void emulated_no_tg(struct spapr_model_group_params *gp)
{
	gp->emulated = true;
	gp->no_table_group = true;
}
static void no_tg_no_ddw(struct spapr_model_group_params *gp)
{
	gp->no_table_group = true;
	gp->max_dynamic_windows = 0;
}

static void s3_2_emulated_group_einval(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int g = cf_add_group(&f, emulated);
	cf_group_open(&f, g);
	T_ERR(f.o->group_set_container(f.be, f.g[g], f.c), -EINVAL);
	/* Emulated is checked before "no table group" (-ENODEV). */
	int h = cf_add_group(&f, emulated_no_tg);
	cf_group_open(&f, h);
	T_ERR(f.o->group_set_container(f.be, f.g[h], f.c), -EINVAL);
	T_EQ(cf_ci(&f).ngroups, 1);
	cf_done(&f);

	/* As the only group at SET_IOMMU time. */
	cf_init(&f, "powernv9");
	g = cf_add_group(&f, emulated);
	f.c = f.o->container_open(f.be);
	cf_group_open(&f, g);
	T_ERR(f.o->group_set_container(f.be, f.g[g], f.c), 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), -EINVAL);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), -EINVAL);
	T_EQ(cf_ci(&f).iommu_set, false);
	cf_done(&f);
}

static void s3_2_no_table_group_enodev(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int g = cf_add_group(&f, no_tg);
	cf_group_open(&f, g);
	T_ERR(f.o->group_set_container(f.be, f.g[g], f.c), -ENODEV);
	/* -ENODEV (no table group) before the v2 DDW check (-EINVAL). */
	int h = cf_add_group(&f, no_tg_no_ddw);
	cf_group_open(&f, h);
	T_ERR(f.o->group_set_container(f.be, f.g[h], f.c), -ENODEV);
	T_EQ(cf_ci(&f).ngroups, 1);
	cf_done(&f);

	/* v1 first group without a table group: -ENODEV from SET_IOMMU. */
	cf_init(&f, "powernv9");
	g = cf_add_group(&f, no_tg);
	f.c = f.o->container_open(f.be);
	cf_group_open(&f, g);
	T_ERR(f.o->group_set_container(f.be, f.g[g], f.c), 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), -ENODEV);
	cf_done(&f);
}

static void s3_2_pending_default_window_only_at_first_attach(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_ensure_groups(&f, 3);
	cf_setup(&f, CF_V2);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, true);
	T_EQ(ci.windows[0].present, false);	/* nothing created yet (§3.2) */
	T_EQ(ci.windows[1].present, false);
	T_EQ(cf_locked(&f, 0), 0);
	/* A second group does not change it. */
	cf_open_group(&f, 1);
	ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, true);
	T_EQ(ci.ngroups, 2);
	T_EQ(ci.windows[0].present, false);
	/* Cleared by REMOVE(0); a later (not first) attach does not set it. */
	T_ERR(cf_remove(&f, 0), 0);
	T_EQ(cf_ci(&f).def_window_pending, false);
	cf_open_group(&f, 2);
	ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, false);
	T_EQ(ci.ngroups, 3);
	T_EQ(cf_locked(&f, 0), 0);
	cf_done(&f);
}

static void s3_2_pending_default_window_v1_too(void)
{
	struct cf f;

	/* tce_iommu_attach_group (>= 6.4) sets def_window_pending after
	 * take_ownership for v1 and v2 alike. */
	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, true);
	T_EQ(ci.windows[0].present, false);
	cf_done(&f);
}

static void s3_2_existing_windows_programmed_into_new_group(void)
{
	struct cf f;
	uint64_t start, pa = 0;
	struct spapr_model_xlat x;

	cf_init(&f, "powernv9");
	cf_ensure_groups(&f, 2);
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), 0);
	T_EQU(start, 0);
	T_ERR(cf_map(&f, VA_HUGE, start, 2 * SZ_2M, CF_RW), 0);
	cf_open_group(&f, 1);
	memset(&x, 0, sizeof(x));
	T_ERR(spapr_model_dma_check(f.m, 1, start + SZ_2M + 0x100, 64,
				    SPAPR_MODEL_DMA_READ, &x), 0);
	T_ERR(spapr_model_mm_va_to_pa(f.m, 0, VA_HUGE + SZ_2M + 0x100, &pa), 0);
	T_EQU(x.hpa, pa);
	T_ERR(spapr_model_dma_check(f.m, 0, start, 64, SPAPR_MODEL_DMA_WRITE, NULL), 0);
	T_ERR(cf_unmap(&f, start, 2 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), 0);
	cf_done(&f);
}

static void s3_2_kernel_6_3_attach_rules(void)
{
	struct spapr_model_profile p;
	struct cf f;

	/* <= v6.3: IODA2 groups require v2 (-EPERM for v1). */
	cf_profile("powernv9", &p);
	p.kernel = SPAPR_MODEL_KERNEL_6_3;
	cf_init_profile(&f, &p);
	cf_open_group(&f, 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), -EPERM);
	T_EQ(cf_ci(&f).iommu_set, false);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), 0);
	cf_done(&f);

	/* <= v6.3: pseries groups have no DDW ops and require v1. */
	cf_profile("pseries-kvm", &p);
	p.kernel = SPAPR_MODEL_KERNEL_6_3;
	cf_init_profile(&f, &p);
	cf_open_group(&f, 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), -EPERM);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), 0);
	cf_done(&f);
}

static void s3_2_current_kernel_v1_on_powernv_ok(void)
{
	struct cf f;

	cf_init(&f, "powernv8");
	cf_open_group(&f, 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), 0);
	T_EQ(cf_ci(&f).v2, false);
	cf_done(&f);
	cf_init(&f, "pseries-kvm");
	cf_open_group(&f, 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), 0);
	T_EQ(cf_ci(&f).v2, true);
	cf_done(&f);
}


static void s3_2_pseries_second_group_cannot_share_windows(void)
{
	struct cf f;
	uint64_t start;

	/* §4: spapr_tce_set_window accepts only the group's own table, so a
	 * second pseries group cannot join a container that has a window... */
	cf_init(&f, "pseries-kvm");
	cf_ensure_groups(&f, 2);
	cf_setup(&f, CF_V2);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 16, SZ_1G, 1, &start), 0);
	uint64_t locked = cf_locked(&f, 0);
	cf_group_open(&f, 1);
	T_ERR(f.o->group_set_container(f.be, f.g[1], f.c), -EPERM);
	T_EQ(cf_ci(&f).ngroups, 1);
	T_EQU(cf_locked(&f, 0), locked);
	cf_done(&f);

	/* ... and with two groups, creating a window fails in set_window on
	 * the other group: unset, freed, un-charged, -EPERM (§3.6 step 9). */
	cf_init(&f, "pseries-kvm");
	cf_ensure_groups(&f, 2);
	cf_setup(&f, CF_V2);
	cf_open_group(&f, 1);
	T_EQ(cf_ci(&f).ngroups, 2);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 16, SZ_1G, 1, &start), -EPERM);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.windows[0].present, false);
	T_EQ(ci.windows[1].present, false);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_2_no_group_einval);
	T_RUN(s3_2_driver_already_set_einval);
	T_RUN(s3_2_unknown_type_enodev);
	T_RUN(s3_2_v2_without_ddw_einval_v1_ok);
	T_RUN(s3_2_v1_second_group_ebusy_at_set_iommu);
	T_RUN(s3_2_v1_second_group_ebusy_at_set_container);
	T_RUN(s3_2_v2_mixing_platforms_eperm);
	T_RUN(s3_2_v1_busy_before_platform_mismatch);
	T_RUN(s3_2_emulated_group_einval);
	T_RUN(s3_2_no_table_group_enodev);
	T_RUN(s3_2_pending_default_window_only_at_first_attach);
	T_RUN(s3_2_pending_default_window_v1_too);
	T_RUN(s3_2_existing_windows_programmed_into_new_group);
	T_RUN(s3_2_kernel_6_3_attach_rules);
	T_RUN(s3_2_current_kernel_v1_on_powernv_ok);
	T_RUN(s3_2_pseries_second_group_cannot_share_windows);
	return t_finish();
}
