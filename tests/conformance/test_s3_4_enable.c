/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.4 VFIO_IOMMU_ENABLE / DISABLE (v1): order already enabled -EBUSY, no
 * group / no table group -ENODEV, tce32_size == 0 -EPERM, mm -EPERM,
 * memlock -ENOMEM; the whole dma32 window is charged in system pages;
 * DISABLE always returns 0 and un-charges.
 *
 * "No group"/"no table group" -> -ENODEV cannot be reached by ioctls: a v1
 * container always has its one group (the driver is released with the last
 * group) and a group without a table group cannot attach (§3.2).
 */
#include "conformance_util.h"

static void enable_charges(const char *profile)
{
	struct cf f;

	cf_init(&f, profile);
	cf_setup(&f, CF_V1);
	uint64_t pages = (uint64_t)f.p.dma32_size >> f.sys_shift;
	T_CHECK(pages > 0);
	T_ERR(f.o->enable(f.be, f.c), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.enabled, true);
	T_EQ(ci.mm, 0);
	T_EQU(ci.v1_locked_pages, pages);
	T_EQU(cf_locked(&f, 0), pages);
	/* Nothing else was created by ENABLE (the default window stays pending). */
	T_EQ(ci.windows[0].present, false);
	CF_INVARIANTS(&f);
	cf_done(&f);	/* release un-charges (§4) */
}

static void s3_4_enable_charges_whole_dma32_in_system_pages(void)
{
	enable_charges("powernv9");	/* 2 GiB / 64 KiB = 32768 */
	enable_charges("powernv9-4k");	/* 2 GiB / 4 KiB = 524288 */
	enable_charges("pseries-kvm");	/* 1 GiB / 64 KiB */
	enable_charges("pseries-v1-only");
	struct cf f;
	cf_init(&f, "powernv9");
	T_EQU((uint64_t)f.p.dma32_size >> f.sys_shift, 32768);
	cf_done(&f);
	cf_init(&f, "powernv9-4k");
	T_EQ(f.sys_shift, 12);
	T_EQU((uint64_t)f.p.dma32_size >> f.sys_shift, 524288);
	cf_done(&f);
}

static void s3_4_enable_twice_ebusy_before_memlock(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	T_ERR(f.o->enable(f.be, f.c), 0);
	uint64_t locked = cf_locked(&f, 0);
	/* Already enabled AND no memlock room left: -EBUSY wins. */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	T_ERR(f.o->enable(f.be, f.c), -EBUSY);
	T_EQU(cf_locked(&f, 0), locked);
	cf_done(&f);
}

static void zero_dma32(struct spapr_model_group_params *gp) { gp->dma32_size = 0; }

static void s3_4_tce32_size_zero_eperm_before_memlock(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	int g = cf_add_group(&f, zero_dma32);
	f.c = f.o->container_open(f.be);
	cf_group_open(&f, g);
	T_ERR(f.o->group_set_container(f.be, f.g[g], f.c), 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), 0);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	T_ERR(f.o->enable(f.be, f.c), -EPERM);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.enabled, false);
	T_EQ(ci.mm, -1);	/* returned before tce_iommu_mm_set */
	T_EQU(cf_locked(&f, 0), 0);
	cf_done(&f);
}

static void s3_4_memlock_enomem_binds_mm_charges_nothing(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	uint64_t need = f.p.dma32_size;
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, need - cf_sys_page(&f), false), 0);
	T_ERR(f.o->enable(f.be, f.c), -ENOMEM);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.enabled, false);
	T_EQ(ci.mm, 0);		/* tce_iommu_mm_set ran before account_locked_vm */
	T_EQU(ci.v1_locked_pages, 0);
	T_EQU(cf_locked(&f, 0), 0);
	/* The limit is inclusive: exactly the window fits. */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, need, false), 0);
	T_ERR(f.o->enable(f.be, f.c), 0);
	T_EQU(cf_locked(&f, 0), need >> f.sys_shift);
	cf_done(&f);

	/* CAP_IPC_LOCK: no limit check, still charged. */
	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, true), 0);
	T_ERR(f.o->enable(f.be, f.c), 0);
	T_EQU(cf_locked(&f, 0), (uint64_t)f.p.dma32_size >> f.sys_shift);
	cf_done(&f);
}

static void s3_4_disable_always_zero_and_uncharges(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	T_ERR(f.o->disable(f.be, f.c), 0);	/* not enabled: still 0 */
	T_EQ(cf_ci(&f).mm, -1);
	T_ERR(f.o->enable(f.be, f.c), 0);
	T_ERR(f.o->disable(f.be, f.c), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.enabled, false);
	T_EQU(ci.v1_locked_pages, 0);
	T_EQU(cf_locked(&f, 0), 0);
	T_ERR(f.o->disable(f.be, f.c), 0);
	T_EQU(cf_locked(&f, 0), 0);
	/* Enable again after disable. */
	T_ERR(f.o->enable(f.be, f.c), 0);
	T_EQU(cf_locked(&f, 0), (uint64_t)f.p.dma32_size >> f.sys_shift);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

static void s3_4_other_mm_eperm_before_ebusy(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	T_ERR(f.o->enable(f.be, f.c), 0);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	/* The mm check before tce_iommu_ioctl's switch beats -EBUSY, and
	 * DISABLE from another mm is -EPERM, not 0. */
	T_ERR(f.o->enable(f.be, f.c), -EPERM);
	T_ERR(f.o->disable(f.be, f.c), -EPERM);
	T_EQ(cf_ci(&f).enabled, true);
	T_EQU(cf_locked(&f, child), 0);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	cf_done(&f);
}

static void s3_4_first_enable_binds_callers_mm(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(f.o->enable(f.be, f.c), 0);
	T_EQ(cf_ci(&f).mm, child);
	T_EQU(cf_locked(&f, child), (uint64_t)f.p.dma32_size >> f.sys_shift);
	T_EQU(cf_locked(&f, 0), 0);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_ERR(f.o->enable(f.be, f.c), -EPERM);
	T_ERR(f.o->disable(f.be, f.c), -EPERM);
	/* The child disables its own container: un-charges the child. */
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(f.o->disable(f.be, f.c), 0);
	T_EQU(cf_locked(&f, child), 0);
	cf_done(&f);
}

static void s3_4_release_uncharges_recorded_mm(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(f.o->enable(f.be, f.c), 0);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	/* Parent closes the group: release un-charges the child's mm. */
	T_ERR(f.o->close(f.be, f.g[0]), 0);
	f.g[0] = -1;
	T_EQU(cf_locked(&f, child), 0);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_4_enable_charges_whole_dma32_in_system_pages);
	T_RUN(s3_4_enable_twice_ebusy_before_memlock);
	T_RUN(s3_4_tce32_size_zero_eperm_before_memlock);
	T_RUN(s3_4_memlock_enomem_binds_mm_charges_nothing);
	T_RUN(s3_4_disable_always_zero_and_uncharges);
	T_RUN(s3_4_other_mm_eperm_before_ebusy);
	T_RUN(s3_4_first_enable_binds_callers_mm);
	T_RUN(s3_4_release_uncharges_recorded_mm);
	return t_finish();
}
