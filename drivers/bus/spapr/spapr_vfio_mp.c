/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_vfio_mp.c - a secondary process opens the plugin's devices: the
 * primary's plugin answers the EAL's VFIO requests for its containers.
 *
 * A secondary's EAL opens a vfio-pci device in rte_vfio_setup_device()
 * (lib/eal/linux/eal_vfio.c): it asks the primary for the group fd (the same
 * open file, already set to the plugin's container), finds the group in no
 * container config of its own and, since the group has a container, asks the
 * primary for the IOMMU type of DPDK's default container
 * (vfio_sync_default_container). The EAL of the primary answers with the type
 * its default container got when DPDK set a group to it itself, which never
 * happens when the plugin owns every group: "Could not sync default VFIO
 * container", and the device is skipped.
 *
 * So the primary's plugin takes the EAL's action "eal_vfio_mp_sync" over and
 * answers as eal_vfio_mp_sync.c does, through the same public calls, with two
 * differences (spapr_vfio_mp_rule.c): the IOMMU type is the one of the
 * plugin's containers (sPAPR TCE v2), and a group fd is given for the
 * plugin's groups only. Nothing changes in the primary: no group goes to the
 * default container, and no window or mapping is touched. The secondary's
 * memsegs carry the IOVAs the primary's plugin published.
 *
 * When: 24.11 and 25.11 register the EAL's action in rte_vfio_enable(), before
 * the bus probe, and the plugin takes it over at its probe. 22.11 registers it
 * after the probe, where an action of the plugin's would make the EAL's
 * registration fail ("File exists", rte_eal_init() fails). There the plugin
 * registers an action of its own, "spapr_bus_vfio", and takes the EAL's over
 * when a secondary's plugin asks for it: from the secondary's bus probe,
 * which runs before bus_pci's. The EAL's action is registered by then: the
 * secondary's rte_vfio_enable() got the default container from it, and the
 * secondary asks only when its VFIO is enabled. A file in the primary's
 * runtime directory says that the primary's plugin takes requests, so that a
 * secondary of a primary without the plugin does not wait for an answer.
 *
 * The wire format: before DPDK commit 8a8c02d2bb a secondary's
 * rte_vfio_enable() asks for the default container with a request of its
 * own, and rte_vfio_get_container_fd() opens a new container on each call,
 * so the primary's default container cannot be had through DPDK's API. The
 * plugin answers that request with a new, empty container, which serves the
 * secondary as the default one would (spapr_vfio_mp_rule.c), and the
 * IOMMU-type request under its old number. Both facts, and both wire
 * formats, are in drivers/common/spapr_dpdk_compat.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_string_fns.h>
#include <rte_vfio.h>

#include "spapr_dpdk_compat.h"
#include "spapr_priv.h"
#include "spapr_vfio_mp_rule.h"

#define TAKEOVER_ACTION "spapr_bus_vfio"
#define MARKER_NAME "spapr_bus_vfio"

/* The reply to a takeover request. */
struct takeover_param {
	int result;	/* 0, or -errno */
};

static pthread_mutex_t mp_lock = PTHREAD_MUTEX_INITIALIZER;
static bool serving;	/* the takeover action is registered */
static bool taken;	/* the EAL's VFIO action is the plugin's */

static enum spapr_vfio_mp_format mp_format;	/* the EAL's, seen at the probe */

static enum spapr_vfio_mp_req wire_req(int req)
{
	if (req == SPAPR_COMPAT_VFIO_REQ_CONTAINER)
		return SPAPR_VFIO_MP_REQ_CONTAINER;
	if (req == SPAPR_COMPAT_VFIO_REQ_GROUP)
		return SPAPR_VFIO_MP_REQ_GROUP;
	if (mp_format == SPAPR_VFIO_MP_FORMAT_SHARED) {
		if (req == SPAPR_COMPAT_VFIO_REQ_IOMMU_TYPE)
			return SPAPR_VFIO_MP_REQ_IOMMU_TYPE;
	} else {
		if (req == SPAPR_COMPAT_VFIO_OLD_REQ_DEFAULT_CONTAINER)
			return SPAPR_VFIO_MP_REQ_DEFAULT_CONTAINER;
		if (req == SPAPR_COMPAT_VFIO_OLD_REQ_IOMMU_TYPE)
			return SPAPR_VFIO_MP_REQ_IOMMU_TYPE;
	}
	return SPAPR_VFIO_MP_REQ_OTHER;
}

/*
 * The groups DPDK records in the plugin's containers (a parked group's
 * device is gone: DPDK closed its fd). Read without a lock,
 * from the multi-process thread, as the EAL's own answer reads its container
 * configs: the main thread changes them only in device hotplug.
 */
static unsigned int owned_groups(int *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < spapr.ncont; i++)
		for (unsigned int k = 0; k < spapr.cont[i].ngroups && n < max; k++)
			if (spapr.cont[i].dpdk_fds[k] >= 0 && !spapr.cont[i].parked[k])
				out[n++] = spapr.cont[i].groups[k];
	return n;
}

/* The DPDK calls of an answer (spapr_vfio_mp_answer). */
struct answer_ctx {
	const void *peer;
	int req;	/* as sent: the reply echoes it */
};

static int answer_container_fd(void *arg)
{
	RTE_SET_USED(arg);
	return rte_vfio_get_container_fd();
}

static int answer_group_fd(void *arg, int group)
{
	RTE_SET_USED(arg);
	return rte_vfio_get_group_fd(group);
}

static int answer_send(void *arg, const struct spapr_vfio_mp_reply *a)
{
	const struct answer_ctx *c = arg;
	struct spapr_compat_vfio_mp_param *r;
	struct rte_mp_msg reply;

	memset(&reply, 0, sizeof(reply));
	r = (void *)reply.param;
	r->req = c->req;
	r->result = a->result == SPAPR_VFIO_MP_OK ? SPAPR_COMPAT_VFIO_OK :
		    a->result == SPAPR_VFIO_MP_NO_FD ? SPAPR_COMPAT_VFIO_NO_FD : SPAPR_COMPAT_VFIO_ERR;
	if (a->outcome == SPAPR_VFIO_MP_SEND_TYPE)
		r->iommu_type_id = a->value;
	else if (a->outcome == SPAPR_VFIO_MP_SEND_GROUP || a->outcome == SPAPR_VFIO_MP_NOT_OURS)
		r->group_num = a->value;
	if (a->fd >= 0) {
		reply.num_fds = 1;
		reply.fds[0] = a->fd;
	}
	rte_strlcpy(reply.name, SPAPR_COMPAT_VFIO_MP_ACTION, sizeof(reply.name));
	reply.len_param = sizeof(*r);
	return rte_mp_reply(&reply, c->peer) == 0 ? 0 : -(rte_errno != 0 ? rte_errno : EIO);
}

static void answer_close(void *arg, int fd)
{
	RTE_SET_USED(arg);
	close(fd);
}

/* The EAL's VFIO action, answered for the plugin's containers. */
static int answer(const struct rte_mp_msg *msg, const void *peer)
{
	const struct spapr_compat_vfio_mp_param *m = (const void *)msg->param;
	int groups[SPAPR_MAX_CONTAINERS * SPAPR_MAX_GROUPS_PER_CONTAINER];
	struct spapr_vfio_mp_view v = {
		.groups = groups,
		.iommu_type = VFIO_SPAPR_TCE_v2_IOMMU,
		.format = mp_format,
	};
	struct answer_ctx c = { .peer = peer };
	const struct spapr_vfio_mp_ops ops = {
		.container_fd = answer_container_fd,
		.group_fd = answer_group_fd,
		.send = answer_send,
		.close_fd = answer_close,
		.arg = &c,
	};
	struct spapr_vfio_mp_reply a;
	int rc;

	if (msg->len_param != sizeof(*m)) {
		SPAPR_LOG(ERR, "VFIO request of %d bytes from a secondary process, not %zu: "
			  "not answered (another DPDK build?)\n", msg->len_param, sizeof(*m));
		return -1;
	}
	c.req = m->req;
	v.ngroups = owned_groups(groups, RTE_DIM(groups));
	v.ncontainers = spapr.ncont;
	rc = spapr_vfio_mp_answer(wire_req(m->req), m->group_num, &v, &ops, &a);
	if (rc == -EINVAL) {
		SPAPR_LOG(ERR, "VFIO request 0x%x from a secondary process is not one the plugin "
			  "answers in this DPDK's format: ignored\n", (unsigned int)m->req);
		return -1;
	}
	if (a.outcome == SPAPR_VFIO_MP_NOT_OURS)
		SPAPR_LOG(INFO, "a secondary process asked for IOMMU group %d, which is in no "
			  "container of the plugin: answered \"no fd\" (its device is skipped)\n",
			  m->group_num);
	else if (a.outcome == SPAPR_VFIO_MP_SEND_GROUP && a.fd < 0)
		SPAPR_LOG(ERR, "a secondary process asked for IOMMU group %d of the plugin's: "
			  "rte_vfio_get_group_fd() returned %d; answered with an error, the "
			  "secondary cannot open the group's devices (is the device still bound "
			  "to vfio-pci?)\n", m->group_num, a.lookup_rc);
	else if (a.fd < 0 && a.outcome != SPAPR_VFIO_MP_SEND_TYPE &&
		 a.outcome != SPAPR_VFIO_MP_NO_TYPE)
		SPAPR_LOG(ERR, "opening a VFIO container for a secondary process failed "
			  "(rte_vfio_get_container_fd() returned %d; see the EAL's message above): "
			  "answered with an error\n", a.lookup_rc);
	if (rc != 0) {
		SPAPR_LOG(ERR, "replying to a secondary process's VFIO request 0x%x failed: %s "
			  "(errno %d); it fails when its request times out, nothing changed here\n",
			  (unsigned int)m->req, strerror(-rc), -rc);
		return -1;
	}
	return 0;
}

/*
 * Put answer() in place of the EAL's action. 0 when it is; -EAGAIN when the
 * EAL has not registered its own yet (22.11 before the end of its bus
 * probe): the plugin's then leaves the name free again at once. Called
 * with mp_lock held.
 */
static int take_over(void)
{
	if (taken)
		return 0;
	if (rte_mp_action_register(SPAPR_COMPAT_VFIO_MP_ACTION, answer) == 0) {
		rte_mp_action_unregister(SPAPR_COMPAT_VFIO_MP_ACTION);
		return -EAGAIN;
	}
	if (rte_errno != EEXIST)
		return -rte_errno;
	rte_mp_action_unregister(SPAPR_COMPAT_VFIO_MP_ACTION);
	if (rte_mp_action_register(SPAPR_COMPAT_VFIO_MP_ACTION, answer) != 0) {
		int rc = -rte_errno;

		SPAPR_LOG(ERR, "registering the VFIO multi-process action failed: %s (errno %d); "
			  "secondary processes cannot open devices until this process restarts\n",
			  strerror(-rc), -rc);
		return rc;
	}
	taken = true;
	SPAPR_LOG(INFO, "VFIO requests of secondary processes are answered by the plugin "
		  "(IOMMU type sPAPR TCE v2, the groups of its %u container(s)%s)\n", spapr.ncont,
		  mp_format == SPAPR_VFIO_MP_FORMAT_PER_CALL ? "; the EAL's format before DPDK "
		  "commit 8a8c02d2bb: a secondary's default container is a new, empty one" : "");
	return 0;
}

/* A secondary's plugin asks for the takeover (22.11), or checks it. */
static int on_takeover_request(const struct rte_mp_msg *msg, const void *peer)
{
	struct rte_mp_msg reply;
	struct takeover_param *p = (void *)reply.param;

	RTE_SET_USED(msg);
	memset(&reply, 0, sizeof(reply));
	pthread_mutex_lock(&mp_lock);
	p->result = take_over();
	pthread_mutex_unlock(&mp_lock);
	rte_strlcpy(reply.name, TAKEOVER_ACTION, sizeof(reply.name));
	reply.len_param = sizeof(*p);
	return rte_mp_reply(&reply, peer);
}

static void marker_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", rte_eal_get_runtime_dir(), MARKER_NAME);
}

static void write_marker(void)
{
	char path[PATH_MAX];
	FILE *f;

	marker_path(path, sizeof(path));
	f = fopen(path, "we");
	if (f == NULL) {
		SPAPR_LOG(WARNING, "cannot create %s: %s; secondary processes with the plugin "
			  "will not ask this process to answer their VFIO requests\n", path,
			  strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

int spapr_vfio_mp_serve(void)
{
	int fd1, fd2, rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY || serving || !rte_vfio_is_enabled("vfio"))
		return 0;
	fd1 = rte_vfio_get_container_fd();
	fd2 = rte_vfio_get_container_fd();
	mp_format = spapr_vfio_mp_format_of(fd1, fd2);
	if (mp_format != SPAPR_VFIO_MP_FORMAT_SHARED) {
		/* New containers (the per-call format), the caller's to close. */
		if (fd1 >= 0)
			close(fd1);
		if (fd2 >= 0 && fd2 != fd1)
			close(fd2);
	}
	if (mp_format == SPAPR_VFIO_MP_FORMAT_UNKNOWN) {
		SPAPR_LOG(WARNING, "rte_vfio_get_container_fd() failed (see the EAL's message "
			  "above): the plugin does not answer the VFIO requests of secondary "
			  "processes, and they cannot open its devices\n");
		return 0;
	}
	pthread_mutex_lock(&mp_lock);
	rc = take_over();
	pthread_mutex_unlock(&mp_lock);
	if (rc == -ENOTSUP)
		return 0;	/* no multi-process channel (--in-memory, --no-shconf) */
	if (rc != 0 && rc != -EAGAIN)
		return rc;
	if (rte_mp_action_register(TAKEOVER_ACTION, on_takeover_request) != 0) {
		rc = -rte_errno;
		if (!taken)
			SPAPR_LOG(WARNING, "registering action %s failed: %s (errno %d); secondary "
				  "processes cannot open the plugin's devices\n", TAKEOVER_ACTION,
				  strerror(-rc), -rc);
		return rc;
	}
	serving = true;
	write_marker();
	if (!taken)
		SPAPR_LOG(DEBUG, "the EAL registers its VFIO action after the bus probe: taken "
			  "over when a secondary's plugin asks\n");
	return 0;
}

void spapr_vfio_mp_stop(void)
{
	char path[PATH_MAX];

	if (!serving)
		return;
	marker_path(path, sizeof(path));
	unlink(path);
	rte_mp_action_unregister(TAKEOVER_ACTION);
	pthread_mutex_lock(&mp_lock);
	/* The EAL's cleanup unregisters the name (vfio_mp_sync_cleanup);
	 * answer() must not run after the containers are gone. */
	if (taken)
		rte_mp_action_unregister(SPAPR_COMPAT_VFIO_MP_ACTION);
	taken = false;
	pthread_mutex_unlock(&mp_lock);
	serving = false;
}

/* The pid in the primary's marker, if the primary is alive; else 0. */
static long primary_serving(void)
{
	char path[PATH_MAX];
	long pid = 0;
	FILE *f;

	marker_path(path, sizeof(path));
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0)
		pid = 0;
	fclose(f);
	if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		pid = 0;	/* left by a primary that was killed */
	return pid;
}

void spapr_vfio_mp_ask_primary(void)
{
	struct timespec ts = { .tv_sec = 5 };
	struct rte_mp_reply rep = { 0 };
	struct rte_mp_msg req;
	long pid;
	int rc = -ETIMEDOUT;

	if (!rte_vfio_is_enabled("vfio"))
		return;		/* no device of this process goes through VFIO */
	pid = primary_serving();
	if (pid == 0) {
		SPAPR_LOG(DEBUG, "the primary process runs no plugin that answers VFIO requests\n");
		return;
	}
	memset(&req, 0, sizeof(req));
	rte_strlcpy(req.name, TAKEOVER_ACTION, sizeof(req.name));
	if (rte_mp_request_sync(&req, &rep, &ts) == 0 && rep.nb_received == 1 &&
	    rep.msgs[0].len_param == (int)sizeof(struct takeover_param))
		rc = ((const struct takeover_param *)rep.msgs[0].param)->result;
	free(rep.msgs);
	if (rc == 0)
		SPAPR_LOG(INFO, "the primary's plugin (pid %ld) answers this process's VFIO "
			  "requests for its containers\n", pid);
	else
		SPAPR_LOG(WARNING, "the primary's plugin (pid %ld) does not answer this process's "
			  "VFIO requests: %s (errno %d); its devices cannot be opened here\n", pid,
			  strerror(-rc), -rc);
}
