/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_vfio_mp - what the primary's plugin answers a secondary's
 * VFIO request (drivers/bus/spapr/spapr_vfio_mp_rule.c), in both of the
 * EAL's formats: the default container (the shared one, or a new, empty
 * one before DPDK commit 8a8c02d2bb), a group fd for its own groups only,
 * the IOMMU type once it has a container; and which format an EAL speaks.
 *
 * Then the answer under injected failures of each DPDK call it makes
 * (container fd, group fd lookup, the reply), the n-th call failing,
 * n = 1, 2, ... until the fault no longer fires, over the requests a
 * secondary's EAL sends when it opens two devices: the primary keeps every
 * fd it had and leaks none (counted in /proc/self/fd), never closes a
 * group fd or the default container, and the secondary gets a reply that
 * says the error (not "ok" without an fd, not silence) whenever a lookup
 * failed. The answer has no call that could touch a window, a
 * registration or a TCE (spapr_vfio_mp_ops is all it calls).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spapr_vfio_mp_rule.h"
#include "test_util.h"

#define TYPE_SPAPR_V2 7	/* VFIO_SPAPR_TCE_v2_IOMMU */

static const int two_groups[] = { 3, 7 };

static struct spapr_vfio_mp_view view(enum spapr_vfio_mp_format f, unsigned int ngroups,
				      unsigned int ncontainers)
{
	struct spapr_vfio_mp_view v = {
		.groups = two_groups, .ngroups = ngroups, .ncontainers = ncontainers,
		.iommu_type = TYPE_SPAPR_V2, .format = f,
	};
	return v;
}

static void test_own_group_is_sent(void)
{
	struct spapr_vfio_mp_view v = view(SPAPR_VFIO_MP_FORMAT_SHARED, 2, 2);

	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 3, &v), SPAPR_VFIO_MP_SEND_GROUP);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 7, &v), SPAPR_VFIO_MP_SEND_GROUP);
	v.format = SPAPR_VFIO_MP_FORMAT_PER_CALL;
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 7, &v), SPAPR_VFIO_MP_SEND_GROUP);
}

/* Another group is not opened in the primary's default container config. */
static void test_foreign_group_has_no_fd(void)
{
	struct spapr_vfio_mp_view v = view(SPAPR_VFIO_MP_FORMAT_SHARED, 2, 2);

	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 5, &v), SPAPR_VFIO_MP_NOT_OURS);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, -1, &v), SPAPR_VFIO_MP_NOT_OURS);
	/* A group DPDK no longer records (its device detached) is not listed. */
	v.ngroups = 1;
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_GROUP, 7, &v), SPAPR_VFIO_MP_NOT_OURS);
}

static void test_type_needs_a_container(void)
{
	struct spapr_vfio_mp_view v = view(SPAPR_VFIO_MP_FORMAT_PER_CALL, 2, 1);

	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_IOMMU_TYPE, 0, &v), SPAPR_VFIO_MP_SEND_TYPE);
	v.ncontainers = 0;
	v.ngroups = 0;
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_IOMMU_TYPE, 0, &v), SPAPR_VFIO_MP_NO_TYPE);
}

/*
 * The shared format hands out DPDK's default container; the per-call one a
 * new container for both container requests; the default-container
 * request exists only in the per-call format.
 */
static void test_container_requests(void)
{
	struct spapr_vfio_mp_view v = view(SPAPR_VFIO_MP_FORMAT_SHARED, 0, 0);

	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_CONTAINER, 0, &v), SPAPR_VFIO_MP_SEND_CONTAINER);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_DEFAULT_CONTAINER, 0, &v),
	     SPAPR_VFIO_MP_INVALID);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_OTHER, 3, &v), SPAPR_VFIO_MP_INVALID);
	v.format = SPAPR_VFIO_MP_FORMAT_PER_CALL;
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_CONTAINER, 0, &v),
	     SPAPR_VFIO_MP_SEND_NEW_CONTAINER);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_DEFAULT_CONTAINER, 0, &v),
	     SPAPR_VFIO_MP_SEND_NEW_CONTAINER);
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_OTHER, 3, &v), SPAPR_VFIO_MP_INVALID);
	v.format = SPAPR_VFIO_MP_FORMAT_UNKNOWN;
	T_EQ(spapr_vfio_mp_decide(SPAPR_VFIO_MP_REQ_CONTAINER, 0, &v), SPAPR_VFIO_MP_INVALID);
}

/* The default container's fd comes back twice; the old format opens two. */
static void test_format(void)
{
	T_EQ(spapr_vfio_mp_format_of(9, 9), SPAPR_VFIO_MP_FORMAT_SHARED);
	T_EQ(spapr_vfio_mp_format_of(9, 10), SPAPR_VFIO_MP_FORMAT_PER_CALL);
	T_EQ(spapr_vfio_mp_format_of(-1, -1), SPAPR_VFIO_MP_FORMAT_UNKNOWN);
	T_EQ(spapr_vfio_mp_format_of(9, -1), SPAPR_VFIO_MP_FORMAT_UNKNOWN);
}

/* --- the answer under injected failures --- */

enum op { OP_CONTAINER, OP_GROUP, OP_SEND, OP_COUNT };
static const char *const op_name[OP_COUNT] = { "container fd", "group fd lookup", "reply" };

/* The primary's side of the fake: DPDK's fds and the calls made. */
struct fake {
	enum spapr_vfio_mp_format format;
	int default_fd;			/* the shared format's default container */
	int group_fds[2];		/* DPDK's fds of two_groups */
	int group_err;			/* what a failed group lookup returns */
	enum op fail_op;
	unsigned int fail_nth;		/* 0: no fault */
	unsigned int calls[OP_COUNT];
	bool fired;
	struct spapr_vfio_mp_reply sent;
	bool fd_open_when_sent;
	int closed_default, closed_group;
};

static bool fault(struct fake *f, enum op op)
{
	if (++f->calls[op] != f->fail_nth || f->fail_op != op)
		return false;
	f->fired = true;
	return true;
}

static int fake_container_fd(void *arg)
{
	struct fake *f = arg;

	if (fault(f, OP_CONTAINER))
		return -1;
	if (f->format == SPAPR_VFIO_MP_FORMAT_SHARED)
		return f->default_fd;
	return open("/dev/null", O_RDWR | O_CLOEXEC);	/* a new container */
}

static int fake_group_fd(void *arg, int group)
{
	struct fake *f = arg;

	if (fault(f, OP_GROUP))
		return f->group_err;
	for (unsigned int i = 0; i < 2; i++)
		if (two_groups[i] == group)
			return f->group_fds[i];
	return -ENOENT;
}

static int fake_send(void *arg, const struct spapr_vfio_mp_reply *r)
{
	struct fake *f = arg;

	f->sent = *r;
	f->fd_open_when_sent = r->fd < 0 || fcntl(r->fd, F_GETFD) != -1;
	return fault(f, OP_SEND) ? -EPIPE : 0;
}

static void fake_close(void *arg, int fd)
{
	struct fake *f = arg;

	if (fd == f->default_fd)
		f->closed_default++;
	if (fd == f->group_fds[0] || fd == f->group_fds[1])
		f->closed_group++;
	close(fd);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

struct step {
	enum spapr_vfio_mp_req req;
	int group;
};

/* What a secondary's EAL sends to open the devices of groups 3 and 7. */
static const struct step per_call_steps[] = {
	{ SPAPR_VFIO_MP_REQ_DEFAULT_CONTAINER, 0 },	/* rte_vfio_enable() */
	{ SPAPR_VFIO_MP_REQ_GROUP, 3 },			/* rte_vfio_setup_device() */
	{ SPAPR_VFIO_MP_REQ_IOMMU_TYPE, 0 },		/* vfio_sync_default_container() */
	{ SPAPR_VFIO_MP_REQ_GROUP, 7 },
	{ SPAPR_VFIO_MP_REQ_CONTAINER, 0 },		/* rte_vfio_container_create() */
	{ SPAPR_VFIO_MP_REQ_GROUP, 5 },			/* not the plugin's */
};
static const struct step shared_steps[] = {
	{ SPAPR_VFIO_MP_REQ_CONTAINER, 0 },
	{ SPAPR_VFIO_MP_REQ_GROUP, 3 },
	{ SPAPR_VFIO_MP_REQ_IOMMU_TYPE, 0 },
	{ SPAPR_VFIO_MP_REQ_GROUP, 7 },
	{ SPAPR_VFIO_MP_REQ_GROUP, 5 },
};

#define NSTEPS_MAX 8

/*
 * One secondary's set-up with the n-th call of @op failing (n = 0: none,
 * then the replies are recorded in @base; else the replies the fault did
 * not hit are compared with @base). Returns whether the fault fired.
 */
static bool run_steps(enum spapr_vfio_mp_format format, int group_err, enum op op,
		      unsigned int nth, struct spapr_vfio_mp_reply *base)
{
	bool shared = format == SPAPR_VFIO_MP_FORMAT_SHARED;
	const struct step *steps = shared ? shared_steps : per_call_steps;
	unsigned int nsteps = shared ? sizeof(shared_steps) / sizeof(shared_steps[0]) :
				       sizeof(per_call_steps) / sizeof(per_call_steps[0]);
	struct spapr_vfio_mp_view v = view(format, 2, 2);
	struct fake f = { .format = format, .group_err = group_err, .fail_op = op,
			  .fail_nth = nth };
	const struct spapr_vfio_mp_ops ops = {
		.container_fd = fake_container_fd, .group_fd = fake_group_fd,
		.send = fake_send, .close_fd = fake_close, .arg = &f,
	};
	int before;

	f.default_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	f.group_fds[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	f.group_fds[1] = open("/dev/null", O_RDWR | O_CLOEXEC);
	before = open_fds();
	for (unsigned int i = 0; i < nsteps; i++) {
		struct spapr_vfio_mp_reply r;
		bool was_fired = f.fired;
		int rc = spapr_vfio_mp_answer(steps[i].req, steps[i].group, &v, &ops, &r);
		bool hit = f.fired && !was_fired;

		/* A reply always goes out (the one returned), with its fd open. */
		T_EQ(f.sent.outcome, r.outcome);
		T_EQ(f.sent.result, r.result);
		T_CHECK(f.fd_open_when_sent);
		T_ERR(rc, hit && op == OP_SEND ? -EPIPE : 0);
		if (hit && op != OP_SEND) {
			/* The lookup failed: an error (or the EAL's "no fd"), no fd. */
			T_EQ(r.fd, -1);
			T_EQ(r.result, op == OP_GROUP && group_err == -ENOENT ? SPAPR_VFIO_MP_NO_FD :
										SPAPR_VFIO_MP_ERR);
			T_EQ(r.lookup_rc, op == OP_GROUP ? group_err : -1);
		} else if (nth > 0) {
			/* Anything else is answered as without the fault. */
			T_EQ(r.outcome, base[i].outcome);
			T_EQ(r.result, base[i].result);
			T_EQ(r.value, base[i].value);
			T_EQ(r.fd >= 0, base[i].fd >= 0);
		} else {
			/* The fault-free run: what each request gets. */
			T_EQ(r.result, steps[i].group == 5 ? SPAPR_VFIO_MP_NO_FD : SPAPR_VFIO_MP_OK);
			if (steps[i].req == SPAPR_VFIO_MP_REQ_IOMMU_TYPE)
				T_EQ(r.value, TYPE_SPAPR_V2);
			else if (steps[i].group != 5)
				T_CHECK(r.fd >= 0);
			if (i < NSTEPS_MAX)
				base[i] = r;
		}
	}
	/* The primary holds what it held: DPDK's fds open, none leaked. */
	T_EQ(open_fds(), before);
	T_EQ(f.closed_default, 0);
	T_EQ(f.closed_group, 0);
	T_CHECK(fcntl(f.default_fd, F_GETFD) != -1);
	T_CHECK(fcntl(f.group_fds[0], F_GETFD) != -1);
	T_CHECK(fcntl(f.group_fds[1], F_GETFD) != -1);
	close(f.default_fd);
	close(f.group_fds[0]);
	close(f.group_fds[1]);
	return f.fired;
}

static void sweep(enum spapr_vfio_mp_format format)
{
	struct spapr_vfio_mp_reply base[NSTEPS_MAX];
	static const int group_errs[] = { -1, -ENOENT };

	T_CHECK(!run_steps(format, -1, OP_COUNT, 0, base));
	for (unsigned int e = 0; e < 2; e++)
		for (int op = 0; op < OP_COUNT; op++) {
			unsigned int n;

			if (e > 0 && op != OP_GROUP)
				continue;
			for (n = 1; run_steps(format, group_errs[e], op, n, base); n++)
				;
			printf("  %s: %s (%d) failing: %u call(s) swept\n",
			       format == SPAPR_VFIO_MP_FORMAT_SHARED ? "shared" : "per-call",
			       op_name[op], op == OP_GROUP ? group_errs[e] : -1, n - 1);
			/* Each answered request makes at most one call of each. */
			T_CHECK(n > 1);
		}
}

static void test_faults_shared(void)
{
	sweep(SPAPR_VFIO_MP_FORMAT_SHARED);
}

static void test_faults_per_call(void)
{
	sweep(SPAPR_VFIO_MP_FORMAT_PER_CALL);
}

/* A request of no answered format opens nothing and sends nothing. */
static void test_invalid_sends_nothing(void)
{
	struct spapr_vfio_mp_view v = view(SPAPR_VFIO_MP_FORMAT_SHARED, 2, 2);
	struct fake f = { .format = SPAPR_VFIO_MP_FORMAT_SHARED, .default_fd = -1 };
	const struct spapr_vfio_mp_ops ops = {
		.container_fd = fake_container_fd, .group_fd = fake_group_fd,
		.send = fake_send, .close_fd = fake_close, .arg = &f,
	};
	struct spapr_vfio_mp_reply r;

	T_ERR(spapr_vfio_mp_answer(SPAPR_VFIO_MP_REQ_DEFAULT_CONTAINER, 0, &v, &ops, &r), -EINVAL);
	T_ERR(spapr_vfio_mp_answer(SPAPR_VFIO_MP_REQ_OTHER, 3, &v, &ops, &r), -EINVAL);
	T_EQ(f.calls[OP_CONTAINER] + f.calls[OP_GROUP] + f.calls[OP_SEND], 0);
}

int main(void)
{
	T_RUN(test_own_group_is_sent);
	T_RUN(test_foreign_group_has_no_fd);
	T_RUN(test_type_needs_a_container);
	T_RUN(test_container_requests);
	T_RUN(test_format);
	T_RUN(test_faults_shared);
	T_RUN(test_faults_per_call);
	T_RUN(test_invalid_sends_nothing);
	return t_finish();
}
