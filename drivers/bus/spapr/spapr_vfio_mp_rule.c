/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_vfio_mp_rule.c - the answers of spapr_vfio_mp_rule.h.
 */
#include "spapr_vfio_mp_rule.h"

static bool owns(const struct spapr_vfio_mp_view *v, int group)
{
	for (unsigned int i = 0; i < v->ngroups; i++)
		if (v->groups[i] == group)
			return true;
	return false;
}

enum spapr_vfio_mp_outcome spapr_vfio_mp_decide(enum spapr_vfio_mp_req req, int group,
						const struct spapr_vfio_mp_view *v)
{
	switch (req) {
	case SPAPR_VFIO_MP_REQ_CONTAINER:
		return SPAPR_VFIO_MP_SEND_CONTAINER;
	case SPAPR_VFIO_MP_REQ_GROUP:
		/*
		 * Only the plugin's groups. For any other the EAL's answer,
		 * rte_vfio_get_group_fd(), would open the group in the
		 * primary's default container config and the secondary would
		 * set it to that container, which has no IOMMU type: the
		 * device fails there, and the group stays where the primary's
		 * own hotplug can no longer take it (a group opens once at a
		 * time, GRP vfio_group_fops_open: -EBUSY).
		 */
		return group >= 0 && owns(v, group) ? SPAPR_VFIO_MP_SEND_GROUP :
						      SPAPR_VFIO_MP_NOT_OURS;
	case SPAPR_VFIO_MP_REQ_IOMMU_TYPE:
		/*
		 * Asked for the default container, used by the secondary for
		 * the groups it got: every one is in a container of the
		 * plugin's, all of one type. Without a container the EAL's
		 * answer stands: the default container has no type.
		 */
		return v->ncontainers > 0 ? SPAPR_VFIO_MP_SEND_TYPE : SPAPR_VFIO_MP_NO_TYPE;
	case SPAPR_VFIO_MP_REQ_OTHER:
	default:
		return SPAPR_VFIO_MP_INVALID;
	}
}

bool spapr_vfio_mp_format_known(int fd1, int fd2)
{
	return fd1 >= 0 && fd1 == fd2;
}
