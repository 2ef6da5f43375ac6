/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_vfio_mp - what the primary's plugin answers a secondary's
 * VFIO request (drivers/bus/spapr/spapr_vfio_mp_rule.c): the default
 * container always, a group fd for its own groups only, the IOMMU type
 * once it has a container; and which EAL format it answers at all.
 */
#include <stdio.h>

#include "spapr_vfio_mp_rule.h"
#include "test_util.h"

static const int two_groups[] = { 3, 7 };

static void test_own_group_is_sent(void)
{
	struct spapr_vfio_mp_view v = { .groups = two_groups, .ngroups = 2, .ncontainers = 2 };

	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 3, &v), SPAPR_VFIO_MP_SEND_GROUP);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 7, &v), SPAPR_VFIO_MP_SEND_GROUP);
}

/* Another group is not opened in the primary's default container config. */
static void test_foreign_group_has_no_fd(void)
{
	struct spapr_vfio_mp_view v = { .groups = two_groups, .ngroups = 2, .ncontainers = 2 };

	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 5, &v), SPAPR_VFIO_MP_NOT_OURS);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, -1, &v), SPAPR_VFIO_MP_NOT_OURS);
	/* A group DPDK no longer records (its device detached) is not listed. */
	v.ngroups = 1;
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 7, &v), SPAPR_VFIO_MP_NOT_OURS);
}

static void test_type_needs_a_container(void)
{
	struct spapr_vfio_mp_view v = { .groups = two_groups, .ngroups = 2, .ncontainers = 1 };

	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_IOMMU_TYPE, 0, &v), SPAPR_VFIO_MP_SEND_TYPE);
	v.ncontainers = 0;
	v.ngroups = 0;
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_IOMMU_TYPE, 0, &v), SPAPR_VFIO_MP_NO_TYPE);
}

static void test_container_and_other_requests(void)
{
	struct spapr_vfio_mp_view v = { .groups = two_groups, .ngroups = 0, .ncontainers = 0 };

	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_CONTAINER, 0, &v), SPAPR_VFIO_MP_SEND_CONTAINER);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_OTHER, 3, &v), SPAPR_VFIO_MP_INVALID);
}

/* The default container's fd comes back twice; the old format opens two. */
static void test_format(void)
{
	T_CHECK(spapr_vfio_mp_format_known(9, 9));
	T_CHECK(!spapr_vfio_mp_format_known(9, 10));
	T_CHECK(!spapr_vfio_mp_format_known(-1, -1));
}

int main(void)
{
	T_RUN(test_own_group_is_sent);
	T_RUN(test_foreign_group_has_no_fd);
	T_RUN(test_type_needs_a_container);
	T_RUN(test_container_and_other_requests);
	T_RUN(test_format);
	return t_finish();
}
