/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_vfio_mp_rule.h - what the primary's plugin answers a secondary's
 * VFIO request, and how (spapr_vfio_mp.c puts it in the EAL's wire format
 * and hands in the DPDK calls). No DPDK dependency: the unit test
 * (tests/plugin/test_plugin_vfio_mp.c) runs it on every machine, with
 * failures injected in each call.
 */
#ifndef SPAPR_VFIO_MP_RULE_H
#define SPAPR_VFIO_MP_RULE_H

#include <stdbool.h>

/*
 * The EAL's two formats (drivers/common/spapr_dpdk_compat.h): from DPDK
 * commit 8a8c02d2bb on, rte_vfio_get_container_fd() returns DPDK's default
 * container; before it, each call opens a new container and a secondary
 * asks for the default container with a request of its own.
 */
enum spapr_vfio_mp_format {
	SPAPR_VFIO_MP_FORMAT_UNKNOWN,	/* no container could be opened */
	SPAPR_VFIO_MP_FORMAT_SHARED,	/* 8a8c02d2bb on: one default container */
	SPAPR_VFIO_MP_FORMAT_PER_CALL,	/* before it: a new container per call */
};

enum spapr_vfio_mp_req {
	SPAPR_VFIO_MP_REQ_CONTAINER,	/* rte_vfio_get_container_fd() of the primary */
	SPAPR_VFIO_MP_REQ_DEFAULT_CONTAINER,	/* the default container (per-call format) */
	SPAPR_VFIO_MP_REQ_GROUP,	/* the fd of one IOMMU group */
	SPAPR_VFIO_MP_REQ_IOMMU_TYPE,	/* the IOMMU type of the default container */
	SPAPR_VFIO_MP_REQ_OTHER,
};

enum spapr_vfio_mp_outcome {
	SPAPR_VFIO_MP_SEND_CONTAINER,	/* ok, with DPDK's default container fd (kept) */
	SPAPR_VFIO_MP_SEND_NEW_CONTAINER, /* ok, with a new container, closed after the reply */
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
	int iommu_type;			/* of its containers (VFIO_SPAPR_TCE_v2_IOMMU) */
	enum spapr_vfio_mp_format format;
};

enum spapr_vfio_mp_outcome spapr_vfio_mp_decide(enum spapr_vfio_mp_req req, int group,
						const struct spapr_vfio_mp_view *v);

/*
 * The format of the EAL, from two calls of rte_vfio_get_container_fd()
 * (@fd1, @fd2): the same fd both times is the shared default container;
 * two fds are two new containers (then both are the caller's to close).
 */
enum spapr_vfio_mp_format spapr_vfio_mp_format_of(int fd1, int fd2);

/* The reply's result, as the EAL's SOCKET_OK, SOCKET_NO_FD, SOCKET_ERR. */
enum spapr_vfio_mp_result {
	SPAPR_VFIO_MP_OK,
	SPAPR_VFIO_MP_NO_FD,
	SPAPR_VFIO_MP_ERR,
};

struct spapr_vfio_mp_reply {
	enum spapr_vfio_mp_outcome outcome;
	enum spapr_vfio_mp_result result;
	int value;	/* the IOMMU type (SEND_TYPE), else the group asked for */
	int fd;		/* the fd passed with the reply, or -1 */
	int lookup_rc;	/* what the fd lookup returned when it failed, else 0 */
};

/* The DPDK calls of an answer; a test injects their failures. */
struct spapr_vfio_mp_ops {
	int (*container_fd)(void *arg);		/* rte_vfio_get_container_fd() */
	int (*group_fd)(void *arg, int group);	/* rte_vfio_get_group_fd() */
	int (*send)(void *arg, const struct spapr_vfio_mp_reply *r); /* 0 or -errno */
	void (*close_fd)(void *arg, int fd);
	void *arg;
};

/*
 * Answer one request: decide, fetch the fd, send the reply, close what the
 * answer opened (a new container), whether the reply went out or not; a
 * group fd is DPDK's and never closed. A failed fd lookup is answered with
 * SPAPR_VFIO_MP_ERR and no fd (the secondary's EAL fails at once, instead
 * of waiting out its timeout). Returns 0 when a reply was sent (@r says
 * which), the send's -errno when it failed, -EINVAL for a request of no
 * answered format (nothing sent, nothing opened).
 */
int spapr_vfio_mp_answer(enum spapr_vfio_mp_req req, int group, const struct spapr_vfio_mp_view *v,
			 const struct spapr_vfio_mp_ops *ops, struct spapr_vfio_mp_reply *r);

#endif /* SPAPR_VFIO_MP_RULE_H */
