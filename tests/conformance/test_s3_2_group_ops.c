/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Group ioctls around §3.2/§4: VFIO_GROUP_GET_STATUS, SET_CONTAINER,
 * UNSET_CONTAINER, open/close. The spec only names them; the errnos are
 * those of the current kernel: drivers/vfio/group.c
 * (vfio_group_fops_open, vfio_group_ioctl_get_status,
 * vfio_group_ioctl_set_container, vfio_group_ioctl_unset_container) and
 * drivers/vfio/container.c (vfio_container_attach_group ->
 * iommu_group_claim_dma_owner, drivers/iommu/iommu.c: -EPERM while a
 * kernel driver owns DMA of a device in the group = not viable).
 */
#include "conformance_util.h"

static void s3_2_group_status_flags(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	f.c = f.o->container_open(f.be);
	cf_group_open(&f, 0);
	T_EQ(cf_group_flags(&f, 0), VFIO_GROUP_FLAGS_VIABLE);
	T_ERR(f.o->group_set_container(f.be, f.g[0], f.c), 0);
	T_EQ(cf_group_flags(&f, 0),
	     VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), 0);
	T_EQ(cf_group_flags(&f, 0),
	     VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	T_ERR(f.o->group_unset_container(f.be, f.g[0]), 0);
	T_EQ(cf_group_flags(&f, 0), VFIO_GROUP_FLAGS_VIABLE);
	/* NULL flags pointer: failed copy-out. */
	T_ERR(f.o->group_get_status(f.be, f.g[0], NULL), -EFAULT);
	cf_done(&f);
}

static void not_viable(struct spapr_model_group_params *gp) { gp->viable = false; }

static void s3_2_group_not_viable_eperm(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	int g = cf_add_group(&f, not_viable);
	f.c = f.o->container_open(f.be);
	cf_group_open(&f, g);
	T_EQ(cf_group_flags(&f, g), 0);
	T_ERR(f.o->group_set_container(f.be, f.g[g], f.c), -EPERM);
	T_EQ(cf_group_flags(&f, g), 0);
	/* Not on the container, so SET_IOMMU still has no group. */
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), -EINVAL);
	cf_done(&f);
}

static void s3_2_group_set_container_twice_einval(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	T_ERR(f.o->group_set_container(f.be, f.g[0], f.c), -EINVAL);
	int c2 = f.o->container_open(f.be);
	T_CHECK(c2 >= 0);
	T_ERR(f.o->group_set_container(f.be, f.g[0], c2), -EINVAL);
	/* group.c order: fdget (-EBADF), has_iommu (-EINVAL), then the kind
	 * of file (-EBADFD) */
	T_ERR(f.o->group_set_container(f.be, f.g[0], f.g[0]), -EINVAL);
	T_ERR(f.o->group_set_container(f.be, f.g[0], 4095), -EBADF);
	T_EQ(cf_ci(&f).ngroups, 1);
	T_ERR(f.o->close(f.be, c2), 0);
	cf_done(&f);
}

static void s3_2_group_set_container_bad_handle(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_ensure_groups(&f, 2);
	f.c = f.o->container_open(f.be);
	cf_group_open(&f, 0);
	cf_group_open(&f, 1);
	/* A handle that is open but not a container: -EBADFD ("The FD passed
	 * is not recognized"); a handle that is not open: -EBADF (fdget). */
	T_ERR(f.o->group_set_container(f.be, f.g[0], f.g[1]), -EBADFD);
	T_ERR(f.o->group_set_container(f.be, f.g[0], 4095), -EBADF);
	T_EQ(cf_group_flags(&f, 0), VFIO_GROUP_FLAGS_VIABLE);
	cf_done(&f);
}

static void s3_2_group_open_twice_ebusy(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_group_open(&f, 0);
	T_ERR(f.o->group_open(f.be, 0), -EBUSY);
	T_ERR(f.o->close(f.be, f.g[0]), 0);
	f.g[0] = -1;
	cf_group_open(&f, 0);
	T_CHECK(f.g[0] >= 0);
	cf_done(&f);
}

static void s3_2_group_unset_without_container_einval(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_group_open(&f, 0);
	T_ERR(f.o->group_unset_container(f.be, f.g[0]), -EINVAL);
	cf_done(&f);
}

static void s3_2_group_unset_one_of_two_keeps_container(void)
{
	struct cf f;
	uint64_t start;

	cf_init(&f, "powernv9");
	cf_ensure_groups(&f, 2);
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	cf_open_group(&f, 1);
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), 0);	/* default + slot 1 */
	uint64_t locked = cf_locked(&f, 0);
	T_ERR(f.o->group_unset_container(f.be, f.g[1]), 0);
	/* §4: windows and registrations stay while a group remains. */
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.iommu_set, true);
	T_EQ(ci.ngroups, 1);
	T_EQ(ci.windows[0].present, true);
	T_EQ(ci.windows[1].present, true);
	T_EQU(cf_locked(&f, 0), locked);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

static void s3_2_close_container_keeps_everything_until_last_group(void)
{
	struct cf f;
	uint64_t start;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), 0);
	T_ERR(cf_map(&f, VA_HUGE, start, SZ_2M, CF_RW), 0);
	uint64_t locked = cf_locked(&f, 0);
	T_CHECK(locked > 0);
	/* §4: closing the container fd releases nothing while groups hold it. */
	T_ERR(f.o->close(f.be, f.c), 0);
	f.c = -1;
	CF_INVARIANTS(&f);
	T_EQU(cf_locked(&f, 0), locked);
	T_ERR(spapr_model_dma_check(f.m, 0, start, 64, SPAPR_MODEL_DMA_READ, NULL), 0);
	/* The last group leaving releases it all. */
	T_ERR(f.o->close(f.be, f.g[0]), 0);
	f.g[0] = -1;
	CF_INVARIANTS(&f);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	cf_done(&f);
}


static void detach_case(bool clears)
{
	struct spapr_model_profile p;
	struct cf f;
	uint64_t s;
	struct spapr_model_region_info r;

	memset(&r, 0, sizeof(r));
	cf_profile("powernv9", &p);
	p.detach_clears_tces = clears;
	cf_init_profile(&f, &p);
	cf_ensure_groups(&f, 2);
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	cf_open_group(&f, 1);
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), 0);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s), 0);
	T_ERR(cf_map(&f, VA_HUGE, s, 4 * SZ_2M, CF_RW), 0);
	T_ERR(spapr_model_dma_check(f.m, 1, s + SZ_2M, 64, SPAPR_MODEL_DMA_READ, NULL), 0);
	uint64_t locked = cf_locked(&f, 0);
	/* §4: detaching one group clears every TCE of the shared tables
	 * (ML-CLEAR), wiping the remaining group's mappings too; windows and
	 * registrations stay. Before ML-CLEAR the TCEs were left alone. */
	T_ERR(f.o->group_unset_container(f.be, f.g[1]), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.windows[0].present, true);
	T_EQU(ci.windows[0].tces_in_use, clears ? 0 : 4);
	T_CHECK(cf_region(&f, 0, VA_HUGE, &r));
	T_EQU(r.mapped, clears ? 1 : 5);
	T_EQU(cf_locked(&f, 0), locked);
	T_ERR(spapr_model_dma_check(f.m, 0, s + SZ_2M, 64, SPAPR_MODEL_DMA_READ, NULL),
	      clears ? -EFAULT : 0);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

static void s3_2_group_unset_clears_shared_tables(void)
{
	detach_case(true);
	detach_case(false);
}

static void s3_2_group_and_container_handles_not_interchangeable(void)
{
	struct cf f;
	uint32_t fl;

	cf_init(&f, "powernv9");
	f.c = f.o->container_open(f.be);
	cf_group_open(&f, 0);
	/* a container ioctl on a group fd: the group fops answer -ENOTTY */
	T_ERR(f.o->check_extension(f.be, f.g[0], CF_V2), -ENOTTY);
	T_ERR(f.o->set_iommu(f.be, f.g[0], CF_V2), -ENOTTY);
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	T_ERR(f.o->tce_remove(f.be, f.g[0], &rm), -ENOTTY);
	/* a group ioctl on a container fd without a driver: CONT's default
	 * -EINVAL; with the driver set it is passed to tce_iommu_ioctl, which
	 * does not know it: -ENOTTY */
	T_ERR(f.o->group_get_status(f.be, f.c, &fl), -EINVAL);
	T_ERR(f.o->group_set_container(f.be, f.g[0], f.c), 0);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), 0);
	T_ERR(f.o->group_get_status(f.be, f.c, &fl), -ENOTTY);
	T_ERR(f.o->group_unset_container(f.be, f.c), -ENOTTY);
	/* a handle that is not open */
	T_ERR(f.o->check_extension(f.be, 4095, CF_V2), -EBADF);
	T_ERR(f.o->group_get_status(f.be, 4095, &fl), -EBADF);
	T_ERR(f.o->close(f.be, 4095), -EBADF);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_2_group_status_flags);
	T_RUN(s3_2_group_not_viable_eperm);
	T_RUN(s3_2_group_set_container_twice_einval);
	T_RUN(s3_2_group_set_container_bad_handle);
	T_RUN(s3_2_group_open_twice_ebusy);
	T_RUN(s3_2_group_unset_without_container_einval);
	T_RUN(s3_2_group_unset_one_of_two_keeps_container);
	T_RUN(s3_2_close_container_keeps_everything_until_last_group);
	T_RUN(s3_2_group_unset_clears_shared_tables);
	T_RUN(s3_2_group_and_container_handles_not_interchangeable);
	return t_finish();
}
