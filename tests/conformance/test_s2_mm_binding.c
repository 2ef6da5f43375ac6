/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §2 mm binding (VST tce_iommu_mm_set and the check before the main switch
 * of tce_iommu_ioctl): the first REGISTER, CREATE, REMOVE or ENABLE binds
 * the container to the caller's mm; afterwards every ioctl except
 * CHECK_EXTENSION returns -EPERM from another mm (a forked child) -- even
 * the ones that would otherwise be -ENOTTY (other IOMMU version) or 0
 * (DISABLE). Group ioctls are not container ioctls and are not checked.
 */
#include "conformance_util.h"

/* Every container ioctl from the current (foreign) mm must be -EPERM. */
static void expect_all_eperm(struct cf *f)
{
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	struct vfio_eeh_pe_op eeh = { .argsz = sizeof(eeh), .op = VFIO_EEH_PE_GET_STATE };

	T_ERR(f->o->get_info(f->be, f->c, &info), -EPERM);
	T_ERR(cf_reg(f, VA_HUGE + 32 * SZ_2M, SZ_2M), -EPERM);
	T_ERR(cf_unreg(f, VA_HUGE, 8 * SZ_2M), -EPERM);
	T_ERR(cf_create(f, 21, SZ_1G, 1, NULL), -EPERM);
	T_ERR(cf_remove(f, 0), -EPERM);
	T_ERR(cf_map(f, VA_HUGE, 0, SZ_2M, CF_RW), -EPERM);
	T_ERR(cf_unmap(f, 0, SZ_2M), -EPERM);
	T_ERR(f->o->enable(f->be, f->c), -EPERM);
	T_ERR(f->o->disable(f->be, f->c), -EPERM);
	T_ERR(f->o->eeh_pe_op(f->be, f->c, &eeh), -EPERM);
	/* NULL arguments: the mm check is first */
	T_ERR(f->o->get_info(f->be, f->c, NULL), -EPERM);
	T_ERR(f->o->register_memory(f->be, f->c, NULL), -EPERM);
	T_ERR(f->o->map_dma(f->be, f->c, NULL), -EPERM);
	/* CHECK_EXTENSION still answers */
	T_EQ(f->o->check_extension(f->be, f->c, CF_V2), 1);
	T_EQ(f->o->check_extension(f->be, f->c, CF_V1), 1);
}

static void s2_forked_child_v2_eperm_everything(void)
{
	struct cf f;
	uint64_t s;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s), 0);
	T_ERR(cf_map(&f, VA_HUGE, s, SZ_2M, CF_RW), 0);
	struct spapr_model_container_info before = cf_ci(&f);
	uint64_t locked = cf_locked(&f, 0);

	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_CHECK(child > 0);
	cf_std_vmas(&f, child);		/* fork: same layout */
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_EQ(spapr_model_get_current_mm(f.m), child);
	expect_all_eperm(&f);
	/* group ioctls are not subject to it */
	T_EQ(cf_group_flags(&f, 0), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);

	/* nothing changed */
	struct spapr_model_container_info after = cf_ci(&f);
	T_EQ(after.mm, 0);
	T_EQU(after.windows[1].tces_in_use, before.windows[1].tces_in_use);
	T_EQ(after.windows[0].present, before.windows[0].present);
	T_EQU(cf_locked(&f, 0), locked);
	T_EQU(cf_locked(&f, child), 0);
	T_EQ(cf_mm(&f, child).regions, 0);
	CF_INVARIANTS(&f);
	T_ERR(cf_unmap(&f, s, SZ_2M), 0);
	cf_done(&f);
}

static void s2_forked_child_v1_eperm_everything(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V1);
	T_ERR(f.o->enable(f.be, f.c), 0);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	/* v2-only commands on v1 are -EPERM, not -ENOTTY, from another mm */
	expect_all_eperm(&f);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_EQ(cf_ci(&f).enabled, true);
	cf_done(&f);
}

static void s2_unbound_container_usable_by_anyone(void)
{
	struct cf f;
	struct vfio_iommu_spapr_tce_info info;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	/* GET_INFO and failed MAP/UNMAP do not bind */
	T_ERR(cf_get_info(&f, &info), 0);
	T_ERR(cf_map(&f, VA_HUGE, 0, SZ_4K, CF_RW), -EPERM);	/* not enabled */
	T_EQ(cf_ci(&f).mm, -1);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_ERR(cf_get_info(&f, &info), 0);
	T_EQ(cf_ci(&f).mm, -1);
	cf_done(&f);
}

/* Each binding ioctl binds even when it then fails on its argument. */
static void bind_by(int which)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	switch (which) {
	case 0:
		T_ERR(f.o->register_memory(f.be, f.c, NULL), -EFAULT);
		break;
	case 1:
		T_ERR(f.o->tce_create(f.be, f.c, NULL), -EFAULT);
		break;
	default:
		T_ERR(f.o->tce_remove(f.be, f.c, NULL), -EFAULT);
		break;
	}
	T_EQ(cf_ci(&f).mm, child);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	struct vfio_iommu_spapr_tce_info info;
	T_ERR(cf_get_info(&f, &info), -EPERM);
	T_ERR(cf_remove(&f, 0), -EPERM);
	T_EQ(f.o->check_extension(f.be, f.c, CF_V2), 1);
	cf_done(&f);
}

static void s2_register_create_remove_bind_even_on_failure(void)
{
	bind_by(0);
	bind_by(1);
	bind_by(2);
}

static void s2_child_owns_charges_and_release_uncharges_them(void)
{
	struct cf f;
	uint64_t s;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	cf_std_vmas(&f, child);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s), 0);
	T_ERR(cf_map(&f, VA_HUGE, s, SZ_2M, CF_RW), 0);
	T_CHECK(cf_locked(&f, child) > 0);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_mm(&f, child).regions, 1);
	/* the parent closes the group: release un-charges the child (§4) */
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_ERR(f.o->close(f.be, f.g[0]), 0);
	f.g[0] = -1;
	T_EQU(cf_locked(&f, child), 0);
	T_EQ(cf_mm(&f, child).regions, 0);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

static void s2_memlock_of_the_bound_mm(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int child = spapr_model_mm_create(f.m, SZ_2M, false);	/* 2 MiB limit */
	cf_std_vmas(&f, child);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(cf_reg(&f, VA_HUGE, 2 * SZ_2M), -ENOMEM);
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	T_EQU(cf_locked(&f, child), SZ_2M >> 16);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s2_forked_child_v2_eperm_everything);
	T_RUN(s2_forked_child_v1_eperm_everything);
	T_RUN(s2_unbound_container_usable_by_anyone);
	T_RUN(s2_register_create_remove_bind_even_on_failure);
	T_RUN(s2_child_owns_charges_and_release_uncharges_them);
	T_RUN(s2_memlock_of_the_bound_mm);
	return t_finish();
}
