/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.0: container commands before SET_IOMMU (-EINVAL, CONT
 * vfio_fops_unl_ioctl) and commands of the other IOMMU version (-ENOTTY,
 * the "break" paths of tce_iommu_ioctl).
 */
#include "conformance_util.h"

/* Every container command except CHECK_EXTENSION and SET_IOMMU. */
static void expect_all_container_cmds(struct cf *f, int want)
{
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	struct vfio_eeh_pe_op eeh = { .argsz = sizeof(eeh), .op = VFIO_EEH_PE_GET_STATE };

	T_ERR(f->o->get_info(f->be, f->c, &info), want);
	T_ERR(cf_reg(f, VA_HUGE, SZ_2M), want);
	T_ERR(cf_unreg(f, VA_HUGE, SZ_2M), want);
	T_ERR(cf_create(f, 16, SZ_1G, 1, NULL), want);
	T_ERR(cf_remove(f, 0), want);
	T_ERR(cf_map(f, VA_HUGE, 0, SZ_64K, CF_RW), want);
	T_ERR(cf_unmap(f, 0, SZ_64K), want);
	T_ERR(f->o->enable(f->be, f->c), want);
	T_ERR(f->o->disable(f->be, f->c), want);
	T_ERR(f->o->eeh_pe_op(f->be, f->c, &eeh), want);
	/* NULL arguments do not get as far as a copy-in. */
	T_ERR(f->o->get_info(f->be, f->c, NULL), want);
	T_ERR(f->o->map_dma(f->be, f->c, NULL), want);
}

static void s3_0_no_group_no_driver_einval(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	f.c = f.o->container_open(f.be);
	T_CHECK(f.c >= 0);
	expect_all_container_cmds(&f, -EINVAL);
	/* CHECK_EXTENSION passes through without a driver (§3.1). */
	T_EQ(f.o->check_extension(f.be, f.c, CF_V2), 1);
	T_EQ(cf_ci(&f).iommu_set, false);
	T_EQ(cf_locked(&f, 0), 0);
	cf_done(&f);
}

static void s3_0_group_set_but_no_driver_einval(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_open_group(&f, 0);
	expect_all_container_cmds(&f, -EINVAL);
	T_EQ(cf_ci(&f).iommu_set, false);
	T_EQ(cf_ci(&f).mm, -1);
	cf_done(&f);
}

static void s3_0_v1_only_cmds_on_v2_enotty(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	T_ERR(f.o->enable(f.be, f.c), -ENOTTY);
	T_ERR(f.o->disable(f.be, f.c), -ENOTTY);
	/* ENABLE on v2 must not bind the mm nor enable anything. */
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.enabled, false);
	T_EQ(ci.mm, -1);
	T_EQ(ci.v1_locked_pages, 0);
	T_EQ(cf_locked(&f, 0), 0);
	cf_done(&f);
}

static void s3_0_v2_only_cmds_on_v1_enotty(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V1);
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), -ENOTTY);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), -ENOTTY);
	T_ERR(cf_create(&f, 16, SZ_1G, 1, NULL), -ENOTTY);
	T_ERR(cf_remove(&f, 0), -ENOTTY);
	/* The v2 test comes before mm binding and copy-in: NULL -> -ENOTTY. */
	T_ERR(f.o->register_memory(f.be, f.c, NULL), -ENOTTY);
	T_ERR(f.o->unregister_memory(f.be, f.c, NULL), -ENOTTY);
	T_ERR(f.o->tce_create(f.be, f.c, NULL), -ENOTTY);
	T_ERR(f.o->tce_remove(f.be, f.c, NULL), -ENOTTY);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.mm, -1);	/* nothing bound the mm */
	T_EQ(ci.def_window_pending, true);	/* REMOVE(0) did not clear it */
	T_EQ(ci.windows[0].present, false);
	T_EQ(ci.windows[1].present, false);
	T_EQ(cf_locked(&f, 0), 0);
	cf_done(&f);
}

static void s3_0_last_group_detached_reverts_to_einval(void)
{
	struct cf f;
	uint64_t start;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), 0);
	T_CHECK(cf_locked(&f, 0) > 0);
	/* §4: last group detached -> release, container back to "no IOMMU". */
	T_ERR(f.o->group_unset_container(f.be, f.g[0]), 0);
	CF_INVARIANTS(&f);
	T_EQ(cf_ci(&f).iommu_set, false);
	T_EQU(cf_locked(&f, 0), 0);
	expect_all_container_cmds(&f, -EINVAL);
	/* SET_IOMMU needs a group again; then works again (even v1 now). */
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), -EINVAL);
	T_ERR(f.o->group_set_container(f.be, f.g[0], f.c), 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), 0);
	T_EQ(cf_ci(&f).v2, false);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_0_no_group_no_driver_einval);
	T_RUN(s3_0_group_set_but_no_driver_einval);
	T_RUN(s3_0_v1_only_cmds_on_v2_enotty);
	T_RUN(s3_0_v2_only_cmds_on_v1_enotty);
	T_RUN(s3_0_last_group_detached_reverts_to_einval);
	return t_finish();
}
