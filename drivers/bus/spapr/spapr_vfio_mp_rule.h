/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_vfio_mp_rule.h - what the primary's plugin answers a secondary's
 * VFIO request (spapr_vfio_mp.c sends it in the EAL's wire format). No DPDK
 * dependency: the unit test (tests/plugin/test_plugin_vfio_mp.c) runs it
 * on every machine.
 */
#ifndef SPAPR_VFIO_MP_RULE_H
#define SPAPR_VFIO_MP_RULE_H

#include <stdbool.h>

enum spapr_vfio_mp_req {
	SPAPR_VFIO_MP_REQ_CONTAINER,	/* DPDK's default container */
	SPAPR_VFIO_MP_REQ_GROUP,	/* the fd of one IOMMU group */
	SPAPR_VFIO_MP_REQ_IOMMU_TYPE,	/* the IOMMU type of the default container */
	SPAPR_VFIO_MP_REQ_OTHER,
};

enum spapr_vfio_mp_outcome {
	SPAPR_VFIO_MP_SEND_CONTAINER,	/* ok, with DPDK's default container fd */
	SPAPR_VFIO_MP_SEND_GROUP,	/* ok, with the group fd DPDK records */
	SPAPR_VFIO_MP_SEND_TYPE,	/* ok, with the type of the plugin's containers */
	SPAPR_VFIO_MP_NOT_OURS,		/* "no fd": the group is in no container of the plugin */
	SPAPR_VFIO_MP_NO_TYPE,		/* error: the plugin has no container (yet) */
	SPAPR_VFIO_MP_INVALID,		/* not a request of the format answered: no reply */
};

/* What the primary's plugin holds when the request comes. */
struct spapr_vfio_mp_view {
	const int *groups;		/* groups in its containers whose fd DPDK records */
	unsigned int ngroups;
	unsigned int ncontainers;
};

enum spapr_vfio_mp_outcome spapr_vfio_mp_decide(enum spapr_vfio_mp_req req, int group,
						const struct spapr_vfio_mp_view *v);

/*
 * Whether the EAL speaks the format the plugin answers: there
 * rte_vfio_get_container_fd() returns DPDK's default container, the same fd
 * on each call (@fd1, @fd2: two calls). In the older format each call opens
 * a new container (then both are the caller's to close).
 */
bool spapr_vfio_mp_format_known(int fd1, int fd2);

#endif /* SPAPR_VFIO_MP_RULE_H */
