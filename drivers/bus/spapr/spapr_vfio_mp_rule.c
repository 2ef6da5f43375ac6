/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_vfio_mp_rule.c - the answers of spapr_vfio_mp_rule.h.
 */
#include <errno.h>

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
		/* As the EAL: its default container, or a new one per call. */
		if (v->format == SPAPR_VFIO_MP_FORMAT_SHARED)
			return SPAPR_VFIO_MP_SEND_CONTAINER;
		return v->format == SPAPR_VFIO_MP_FORMAT_PER_CALL ?
			SPAPR_VFIO_MP_SEND_NEW_CONTAINER : SPAPR_VFIO_MP_INVALID;
	case SPAPR_VFIO_MP_REQ_DEFAULT_CONTAINER:
		/*
		 * Only the per-call format asks (a secondary's
		 * rte_vfio_enable()), and there the primary's default
		 * container cannot be had through DPDK's API: every
		 * rte_vfio_get_container_fd() opens a new one. A new, empty
		 * container serves the secondary as the default one would:
		 * its EAL uses the default container only to set a group
		 * without a container to it (every group the plugin gives
		 * has its container; any other is answered "no fd") and for
		 * rte_vfio_dma_map(), which fails in a secondary on either
		 * (the primary's holds no group of the plugin's, and a
		 * container with groups refuses another mm: doc/plugin.md,
		 * "Secondary processes").
		 */
		return v->format == SPAPR_VFIO_MP_FORMAT_PER_CALL ?
			SPAPR_VFIO_MP_SEND_NEW_CONTAINER : SPAPR_VFIO_MP_INVALID;
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

enum spapr_vfio_mp_format spapr_vfio_mp_format_of(int fd1, int fd2)
{
	if (fd1 < 0 || fd2 < 0)
		return SPAPR_VFIO_MP_FORMAT_UNKNOWN;
	return fd1 == fd2 ? SPAPR_VFIO_MP_FORMAT_SHARED : SPAPR_VFIO_MP_FORMAT_PER_CALL;
}

int spapr_vfio_mp_answer(enum spapr_vfio_mp_req req, int group, const struct spapr_vfio_mp_view *v,
			 const struct spapr_vfio_mp_ops *ops, struct spapr_vfio_mp_reply *r)
{
	int fd = -1, rc;

	r->outcome = spapr_vfio_mp_decide(req, group, v);
	r->result = SPAPR_VFIO_MP_ERR;
	r->value = group;
	r->fd = -1;
	r->lookup_rc = 0;
	switch (r->outcome) {
	case SPAPR_VFIO_MP_SEND_CONTAINER:
	case SPAPR_VFIO_MP_SEND_NEW_CONTAINER:
		fd = ops->container_fd(ops->arg);
		break;
	case SPAPR_VFIO_MP_SEND_GROUP:
		fd = ops->group_fd(ops->arg, group);
		break;
	case SPAPR_VFIO_MP_SEND_TYPE:
		r->result = SPAPR_VFIO_MP_OK;
		r->value = v->iommu_type;
		break;
	case SPAPR_VFIO_MP_NOT_OURS:
		r->result = SPAPR_VFIO_MP_NO_FD;
		break;
	case SPAPR_VFIO_MP_NO_TYPE:
		break;
	case SPAPR_VFIO_MP_INVALID:
	default:
		return -EINVAL;
	}
	if (r->outcome == SPAPR_VFIO_MP_SEND_CONTAINER || r->outcome == SPAPR_VFIO_MP_SEND_NEW_CONTAINER ||
	    r->outcome == SPAPR_VFIO_MP_SEND_GROUP) {
		if (fd >= 0) {
			r->result = SPAPR_VFIO_MP_OK;
			r->fd = fd;
		} else {
			/* -ENOENT: the group is bound to no VFIO driver (the EAL's "no fd"). */
			r->result = fd == -ENOENT ? SPAPR_VFIO_MP_NO_FD : SPAPR_VFIO_MP_ERR;
			r->lookup_rc = fd;
		}
	}
	rc = ops->send(ops->arg, r);
	/* The secondary holds its own copy once the reply went out (SCM_RIGHTS). */
	if (r->outcome == SPAPR_VFIO_MP_SEND_NEW_CONTAINER && fd >= 0)
		ops->close_fd(ops->arg, fd);
	return rc;
}
