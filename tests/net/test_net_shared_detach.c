/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_shared_detach - a port leaves a shared PowerNV container (one
 * window for the groups of several PEs) while another port of the container
 * moves packets, in the real EAL with the plugin in model mode (powernv9)
 * and net_spapr_model.
 *
 * Usage: test_net_shared_detach                  every run below
 *        test_net_shared_detach PHASE [FAULTS]   one run (what the parent starts)
 *
 * Each run is a fresh process (rte_eal_init runs once per process). Port 0
 * is net_spapr_model0 on group 0, port 1 net_spapr_model1 on group 1, both
 * in container 0.
 *
 * nogap: port 0 receives from its traffic source on lcore 1 the whole time
 *   (every frame's DMA checked by the model) while port 1 is detached and
 *   attached again CYCLES times. A detach would make the kernel clear the
 *   window's TCEs for group 0 too (doc/kernel-model.md §4, ML-CLEAR), so
 *   group 1 must stay attached, parked: no kernel call at all while it
 *   leaves and comes back (the model's counters), port 0 sees 0 DMA faults,
 *   and rte_spapr_container_groups_parked() lists group 1 while its port is
 *   away. A device whose PMD refuses it after its group joined (bad devargs)
 *   parks its group the same way. When port 0 leaves last, the container
 *   goes with every group (UNSET_CONTAINER for each) and the process holds
 *   nothing in the kernel any more; both ports then attach again into a new
 *   container and forward, and rte_eal_cleanup() with port 1 parked
 *   reports no failure.
 * teardown FAULTS: port 1 parked, then port 0, the last in use, leaves with
 *   FAULTS armed: the container, its window, registrations and both groups
 *   go under a failing kernel call.
 * join FAULTS: group 2 is refused while joining container 0 (group 0 in use,
 *   group 1 parked) with a second fault in the undo.
 * create FAULTS: both ports left (no container); port 0 is refused while its
 *   new container is made, with a second fault in the undo.
 *
 * A faulted run must end clean (the kernel holds what it held before the
 * failing call) or with what stayed reported exactly: every kind of thing
 * the model still holds beyond the clean state is named in the plugin's
 * "left behind" lines, registered memory and kept locked_vm with their
 * exact sizes. A leak the report does not name, or a broken model
 * invariant, fails the run.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "net_test.h"
#include "plugin_env.h"
#include "rte_bus_spapr.h"
#include "rte_pmd_spapr_model.h"
#include "spapr_dma.h"
#include "spapr_model.h"
#include "spapr_util.h"
#include "test_util.h"

#define NB_DESC 256
#define BURST 32
#define CYCLES 20
#define NIC0 "net_spapr_model0"
#define NIC1 "net_spapr_model1"
#define NIC1_ARGS NIC1 ",group=1,gen=0"
#define NIC2 "net_spapr_model2"
#define NIC2_ARGS NIC2 ",group=2,gen=0"
#define PROFILE "powernv9"

/* Exit codes of a faulted run. */
enum run_result {
	RUN_CLEAN = 0,		/* the fault fired, the state is clean */
	RUN_BROKEN = 1,		/* a leak not reported, or the model broken */
	RUN_SETUP = 2,		/* the run could not get to its phase */
	RUN_REPORTED = 3,	/* the fault fired, what stayed is reported exactly */
	RUN_NOT_FIRED = 4,	/* the n-th call never came: sweep done */
};

/* Two strings are equal. */
#define T_STR(a, b)                                                            \
	do {                                                                   \
		const char *t_a_ = (a), *t_b_ = (b);                           \
		t_checks++;                                                    \
		if (strcmp(t_a_, t_b_) != 0)                                   \
			T_FAIL_AT("%s: got '%s', want '%s'", #a, t_a_, t_b_);  \
	} while (0)

static struct spapr_model *model;
static struct rte_mempool *pool;
static uint16_t port0;
static FILE *log_file;
static char prefix[64];

/* What the kernel holds for the process (the model's view). */
struct state {
	struct net_mm mm;
	uint64_t tces;
	unsigned int containers, groups, windows;
};

static void state_take(struct state *s)
{
	struct spapr_model_container_info ci;

	memset(s, 0, sizeof(*s));
	net_mm_get(model, &s->mm);
	/* Every handle the model knows: containers closed are gone. */
	for (int h = 0; h < 256; h++) {
		if (spapr_model_container_info(model, h, &ci) != 0)
			continue;
		s->containers++;
		s->groups += ci.ngroups;
		for (unsigned int w = 0; w < 2; w++) {
			s->windows += ci.windows[w].present;
			s->tces += ci.windows[w].tces_in_use;
		}
	}
}

static void state_print(const char *what, const struct state *s)
{
	printf("  %-22s locked %" PRIu64 " pages (+%" PRIu64 " kept), %u region(s) %" PRIu64
	       " MiB, %u container(s), %u group(s), %u window(s), %" PRIu64 " TCEs\n", what,
	       s->mm.locked_pages, s->mm.leaked_pages, s->mm.regions, s->mm.registered >> 20,
	       s->containers,
	       s->groups, s->windows, s->tces);
}

static bool state_equal(const struct state *a, const struct state *b)
{
	return a->mm.locked_pages == b->mm.locked_pages &&
	       a->mm.leaked_pages == b->mm.leaked_pages && a->mm.registered == b->mm.registered &&
	       a->mm.regions == b->mm.regions && a->mm.orphans == b->mm.orphans &&
	       a->containers == b->containers && a->groups == b->groups &&
	       a->windows == b->windows && a->tces == b->tces;
}

/* The kernel calls that attach, detach, map or unmap (no DMA check is one). */
static const struct {
	enum spapr_model_op op;
	const char *name;
} attach_ops[] = {
	{ SPAPR_MODEL_OP_CONTAINER_OPEN, "container open" },
	{ SPAPR_MODEL_OP_GROUP_OPEN, "group open" },
	{ SPAPR_MODEL_OP_CLOSE, "close" },
	{ SPAPR_MODEL_OP_GROUP_SET_CONTAINER, "SET_CONTAINER" },
	{ SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER, "UNSET_CONTAINER" },
	{ SPAPR_MODEL_OP_SET_IOMMU, "SET_IOMMU" },
	{ SPAPR_MODEL_OP_REGISTER_MEMORY, "REGISTER" },
	{ SPAPR_MODEL_OP_UNREGISTER_MEMORY, "UNREGISTER" },
	{ SPAPR_MODEL_OP_TCE_CREATE, "CREATE" },
	{ SPAPR_MODEL_OP_TCE_REMOVE, "REMOVE" },
	{ SPAPR_MODEL_OP_MAP_DMA, "MAP" },
	{ SPAPR_MODEL_OP_UNMAP_DMA, "UNMAP" },
};

static uint64_t op_count(enum spapr_model_op op)
{
	struct spapr_model_counters c;

	spapr_model_counters(model, &c);
	return c.ops[op];
}

/* The kernel calls made since @before, by name, in @buf; their number. */
static unsigned int ops_since(const struct spapr_model_counters *before, char *buf, size_t len)
{
	struct spapr_model_counters now;
	unsigned int n = 0;
	size_t off = 0;

	spapr_model_counters(model, &now);
	buf[0] = '\0';
	for (size_t i = 0; i < RTE_DIM(attach_ops); i++) {
		uint64_t d = now.ops[attach_ops[i].op] - before->ops[attach_ops[i].op];

		if (d == 0)
			continue;
		n += (unsigned int)d;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, " %s x%" PRIu64,
						attach_ops[i].name, d);
	}
	return n;
}

/* The parked groups of container 0, as a list "1,2" (empty when none). */
static const char *parked(char *buf, size_t len)
{
	int g[8], n = rte_spapr_container_groups_parked(0, g, RTE_DIM(g));
	size_t off = 0;

	buf[0] = '\0';
	for (int k = 0; k < n && k < 8 && off < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%d", k ? "," : "", g[k]);
	return n < 0 ? "(no container)" : buf;
}

static int port_of(const char *name, uint16_t *port)
{
	return rte_eth_dev_get_port_by_name(name, port);
}

static int port_add(const char *args, const char *name, uint16_t *port)
{
	int rc = rte_dev_probe(args);

	if (rc == 0)
		rc = port_of(name, port);
	if (rc == 0)
		rc = net_port_setup(*port, pool, NB_DESC);
	return rc;
}

static int port_remove(const char *name)
{
	uint16_t p;

	if (port_of(name, &p) != 0)
		return -ENODEV;
	rte_eth_dev_stop(p);
	rte_eth_dev_close(p);
	return rte_eal_hotplug_remove("vdev", name);
}

/* Did the plugin log a line with @what since the log was opened? */
static bool logged(const char *what)
{
	return plugin_log_has(log_file, what);
}

static void show_log(void)
{
	char line[2048];

	fflush(log_file);
	rewind(log_file);
	while (fgets(line, sizeof(line), log_file))
		if (strstr(line, "spapr: "))
			fprintf(stderr, "  log: %s", line);
	fseek(log_file, 0, SEEK_END);
}

/* ---- nogap ---------------------------------------------------------- */

static uint64_t worker_rx, worker_bad;
static bool worker_stop;

/* lcore 1: port 0 receives from its traffic source until told to stop. */
static int worker(void *arg)
{
	uint16_t port = *(const uint16_t *)arg;

	while (!__atomic_load_n(&worker_stop, __ATOMIC_ACQUIRE)) {
		struct rte_mbuf *pkts[BURST];
		uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST), src;

		for (uint16_t k = 0; k < n; k++)
			if (!net_frame_ok(pkts[k], 64, &src))
				__atomic_add_fetch(&worker_bad, 1, __ATOMIC_RELAXED);
		rte_pktmbuf_free_bulk(pkts, n);
		__atomic_add_fetch(&worker_rx, n, __ATOMIC_RELAXED);
	}
	return 0;
}

/* Port 0 received frames since @*mark (the worker runs), which moves on.
 * The worker shares the machine with everything else: yield until it had
 * its turn (the bound only stops a dead worker from hanging the test). */
static bool worker_moved(uint64_t *mark)
{
	uint64_t now = __atomic_load_n(&worker_rx, __ATOMIC_RELAXED);

	for (long i = 0; i < 20000000 && now <= *mark; i++) {
		sched_yield();
		now = __atomic_load_n(&worker_rx, __ATOMIC_RELAXED);
	}
	if (now <= *mark)
		return false;
	*mark = now;
	return true;
}

static void check_port_clean(uint16_t port)
{
	T_EQU(net_xstat(port, "dma_faults"), 0);
	T_EQU(net_xstat(port, "pe_faults"), 0);
	T_EQU(net_xstat(port, "pe_frozen"), 0);
	T_EQU(net_xstat(port, "dma_frozen_rejects"), 0);
}

/* Port 0 keeps receiving while port 1 leaves and comes back: no kernel call. */
static void test_park_while_moving(void)
{
	uint16_t p0 = port0;
	struct spapr_model_counters before;
	struct state full, s;
	uint64_t mark = 0, checks0 = net_xstat(p0, "dma_checks");
	unsigned int moved = 0, calls;
	char buf[256];

	state_take(&full);
	state_print("two ports", &full);
	T_EQ(full.containers, 1u);
	T_EQ(full.groups, 2u);
	spapr_model_counters(model, &before);
	__atomic_store_n(&worker_stop, false, __ATOMIC_RELEASE);
	T_ERR(rte_eal_remote_launch(worker, &p0, rte_get_next_lcore(-1, 1, 0)), 0);
	for (unsigned int c = 0; c < CYCLES; c++) {
		uint16_t p1;

		T_ERR(port_remove(NIC1), 0);
		T_STR(parked(buf, sizeof(buf)), "1");
		state_take(&s);
		if (!state_equal(&s, &full)) {
			state_print("port 1 detached", &s);
			T_FAIL_AT("cycle %u: the kernel's state changed when port 1 left", c);
		}
		moved += worker_moved(&mark);
		T_ERR(port_add(NIC1_ARGS, NIC1, &p1), 0);
		T_STR(parked(buf, sizeof(buf)), "");
		moved += worker_moved(&mark);
	}
	__atomic_store_n(&worker_stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	calls = ops_since(&before, buf, sizeof(buf));
	T_EQ(calls, 0u);
	if (buf[0])
		printf("  kernel calls while port 1 left and came back:%s\n", buf);
	check_port_clean(p0);
	T_EQU(__atomic_load_n(&worker_bad, __ATOMIC_RELAXED), 0);
	T_CHECK(moved == 2 * CYCLES);	/* port 0 received around every step */
	T_CHECK(net_xstat(p0, "dma_checks") > checks0);
	printf("  %u detach/attach cycles of port 1 while port 0 received %" PRIu64
	       " frames (%" PRIu64 " DMA checks): %u kernel call(s), "
	       "port 0 dma_faults %" PRIu64 "\n", CYCLES, worker_rx,
	       net_xstat(p0, "dma_checks") - checks0, calls, net_xstat(p0, "dma_faults"));
}

/* A device its PMD refuses after the group joined: the group is parked. */
static void test_refused_probe_parks(void)
{
	struct spapr_model_counters before;
	char buf[256];
	uint16_t p2;

	/* gen_len below 60: not the plugin's to judge, the PMD refuses it. */
	T_CHECK(rte_dev_probe(NIC2 ",group=2,gen=0,gen_len=5") != 0);
	T_CHECK(port_of(NIC2, &p2) != 0);
	T_STR(parked(buf, sizeof(buf)), "2");
	T_CHECK(logged("IOMMU group 2 parked in container 0"));
	spapr_model_counters(model, &before);
	T_ERR(port_add(NIC2_ARGS, NIC2, &p2), 0);	/* in use again: no kernel call */
	T_EQ(ops_since(&before, buf, sizeof(buf)), 0u);
	T_STR(parked(buf, sizeof(buf)), "");
	T_ERR(port_remove(NIC2), 0);
	T_STR(parked(buf, sizeof(buf)), "2");
}

/* The last group in use takes the container and the parked groups with it. */
static void test_last_leaves(void)
{
	uint64_t unset = op_count(SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER);
	struct state zero = { 0 }, s;
	char buf[64];
	char err[512];

	T_ERR(port_remove(NIC1), 0);
	T_STR(parked(buf, sizeof(buf)), "1,2");
	T_EQU(op_count(SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER), unset);
	T_ERR(port_remove(NIC0), 0);
	T_EQ(rte_spapr_containers(), 0u);
	T_EQU(op_count(SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER), unset + 3);
	T_CHECK(logged("are unset with it"));
	state_take(&s);
	state_print("both ports gone", &s);
	T_CHECK(state_equal(&s, &zero));
	T_EQ(spapr_model_check_invariants(model, err, sizeof(err)), 0);
}

/* Both ports again: a new container, frames circulate between them. */
static void test_attach_again(void)
{
	uint64_t rx = 0, bad = 0;
	uint16_t p0 = 0, p1 = 0, ports[2];
	char buf[32];

	T_ERR(port_add(NIC0, NIC0, &p0), 0);
	T_ERR(port_add(NIC1_ARGS, NIC1, &p1), 0);
	T_EQ(rte_spapr_containers(), 1u);
	T_STR(parked(buf, sizeof(buf)), "");
	ports[0] = p0;
	ports[1] = p1;
	T_ERR(rte_pmd_spapr_model_gen(p1, BURST, 0), 0);
	for (unsigned int r = 0; r < 400; r++)
		for (unsigned int i = 0; i < 2; i++) {
			struct rte_mbuf *pkts[BURST];
			uint16_t n = rte_eth_rx_burst(ports[i], 0, pkts, BURST), sent, src;

			for (uint16_t k = 0; k < n; k++)
				bad += !net_frame_ok(pkts[k], 64, &src);
			rx += n;
			sent = rte_eth_tx_burst(ports[i ^ 1], 0, pkts, n);
			if (sent < n)
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		}
	T_EQU(bad, 0);
	T_CHECK(rx > 1000);
	check_port_clean(p0);
	check_port_clean(p1);
	printf("  attached again into a new container: %" PRIu64 " frames received\n", rx);
}

/* ---- faulted runs --------------------------------------------------- */

static unsigned int armed;	/* faults armed in this run */

static int arm(const char *faults)
{
	char err[256] = "";

	armed = 1;
	for (const char *c = faults; *c; c++)
		armed += *c == ',';

	if (spapr_model_fault_parse(model, faults, err, sizeof(err)) != 0) {
		fprintf(stderr, "bad faults '%s': %s\n", faults, err);
		return -1;
	}
	return 0;
}

/* The report names @phrase (and @size before it when not NULL). */
static bool reported(const char *size, const char *phrase)
{
	char want[128];

	snprintf(want, sizeof(want), "%s%s%s", size ? size : "", size ? " " : "", phrase);
	if (logged(want))
		return true;
	fprintf(stderr, "left in the kernel but not reported: '%s'\n", want);
	return false;
}

/*
 * Clean: the state of @clean. Else every kind of residue must be reported:
 * registrations and kept locked_vm with their sizes, TCEs, windows, and
 * containers or groups the model still holds (handles the plugin could not
 * close).
 */
static enum run_result judge(const struct state *clean)
{
	unsigned int page_shift = spapr_model_get_profile(model)->system_page_shift;
	struct state now;
	char err[512] = "", sz[24];
	bool ok = true;

	/* The n-th call never came (a pair: the undo made no such call). */
	if (spapr_model_faults_fired(model) < armed)
		return RUN_NOT_FIRED;
	if (spapr_model_check_invariants(model, err, sizeof(err)) != 0) {
		fprintf(stderr, "model invariant broken: %s\n", err);
		return RUN_BROKEN;
	}
	state_take(&now);
	if (state_equal(&now, clean))
		return RUN_CLEAN;
	state_print("clean state", clean);
	state_print("after the fault", &now);
	if (!logged("left behind") && !logged("stays attached") && !logged("stays open"))
		return RUN_BROKEN;
	if (now.mm.registered > clean->mm.registered)
		ok &= reported(spapr_size_human(now.mm.registered - clean->mm.registered, sz,
						sizeof(sz)), "still registered");
	if (now.mm.leaked_pages > clean->mm.leaked_pages)
		ok &= reported(spapr_size_human((now.mm.leaked_pages - clean->mm.leaked_pages)
						<< page_shift, sz, sizeof(sz)),
			       "of locked_vm kept by the kernel");
	if (now.tces > clean->tces)
		ok &= reported(NULL, "still mapped");
	if (now.windows > clean->windows)
		ok &= reported(NULL, "window(s) left");
	if (now.groups > clean->groups)
		ok &= reported(NULL, "stays attached");
	if (now.containers > clean->containers && now.groups <= clean->groups)
		ok &= reported(NULL, "stays open");
	/* locked_vm beyond the clean state is a registration's or a table's. */
	if (now.mm.locked_pages > clean->mm.locked_pages &&
	    now.mm.registered <= clean->mm.registered && now.windows <= clean->windows)
		ok &= reported(NULL, "locked_vm");
	return ok ? RUN_REPORTED : RUN_BROKEN;
}

/* Port 1 parked, port 0 leaves last under @faults. */
static enum run_result phase_teardown(const char *faults)
{
	struct state zero = { 0 };
	char buf[32];

	if (port_remove(NIC1) != 0 || strcmp(parked(buf, sizeof(buf)), "1") != 0)
		return RUN_SETUP;
	if (arm(faults))
		return RUN_SETUP;
	if (port_remove(NIC0) != 0) {
		fprintf(stderr, "rte_dev_remove(%s) failed\n", NIC0);
		return RUN_BROKEN;
	}
	spapr_model_fault_clear(model);
	if (rte_spapr_containers() != 0) {
		fprintf(stderr, "%u container(s) left after the last group\n",
			rte_spapr_containers());
		return RUN_BROKEN;
	}
	return judge(&zero);
}

/* The refused device has no port, and the plugin goes on. */
static enum run_result refused(int rc, const char *name, const struct state *clean)
{
	enum run_result r;
	uint16_t p;

	spapr_model_fault_clear(model);
	if (rc == 0) {
		/* The faults were not on the attach path (or went round). */
		if (spapr_model_faults_fired(model) < armed)
			return RUN_NOT_FIRED;
		return port_remove(name) == 0 ? RUN_CLEAN : RUN_BROKEN;
	}
	if (port_of(name, &p) == 0) {
		fprintf(stderr, "%s refused (%d) but has a port\n", name, rc);
		return RUN_BROKEN;
	}
	r = judge(clean);
	if (rte_spapr_status() != 0) {
		fprintf(stderr, "the plugin stopped serving after a refused device: %s\n",
			rte_spapr_error());
		return RUN_BROKEN;
	}
	return r;
}

/* Group 2 joins container 0 (group 0 in use, group 1 parked) under @faults. */
static enum run_result phase_join(const char *faults)
{
	struct state before;
	char buf[32];

	if (port_remove(NIC1) != 0 || strcmp(parked(buf, sizeof(buf)), "1") != 0)
		return RUN_SETUP;
	state_take(&before);
	if (arm(faults))
		return RUN_SETUP;
	return refused(rte_dev_probe(NIC2_ARGS), NIC2, &before);
}

/* No container left: port 0's new container is made under @faults. */
static enum run_result phase_create(const char *faults)
{
	struct state zero = { 0 };

	if (port_remove(NIC1) != 0 || port_remove(NIC0) != 0 || rte_spapr_containers() != 0)
		return RUN_SETUP;
	if (arm(faults))
		return RUN_SETUP;
	return refused(rte_dev_probe(NIC0), NIC0, &zero);
}

/* ---- the process ---------------------------------------------------- */

static int eal_init(const char *self)
{
	const char *huge = PLUGIN_HUGE_DIR;
	char *eal[] = { (char *)self, "-l", "0-1", "-m", "48", "--no-pci", "--no-telemetry",
			"--file-prefix", prefix, "--huge-dir", (char *)huge, "--huge-unlink",
			"--iova-mode=pa", "-a",
			"bus=spapr,backend=model,profile=" PROFILE ",groups=2",
			"--vdev", NIC0, "--vdev", NIC1_ARGS, NULL };
	uint16_t p0, p1;
	int rc = rte_eal_init((int)RTE_DIM(eal) - 1, eal);

	model = rte_spapr_model();
	if (rc < 0 || model == NULL || rte_spapr_status() != 0) {
		fprintf(stderr, "plugin: %s\n", rc < 0 ? "EAL init failed" : rte_spapr_error());
		return -1;
	}
	pool = rte_pktmbuf_pool_create("pool", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL || port_of(NIC0, &p0) != 0 || port_of(NIC1, &p1) != 0 ||
	    net_port_setup(p0, pool, NB_DESC) != 0 || net_port_setup(p1, pool, NB_DESC) != 0) {
		fprintf(stderr, "ports could not be set up\n");
		return -1;
	}
	return 0;
}

static void eal_done(void)
{
	uint16_t p;

	RTE_ETH_FOREACH_DEV(p) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	plugin_rm_runtime(prefix);
}

static int run_child(const char *self, const char *phase, const char *faults)
{
	enum run_result r;

	snprintf(prefix, sizeof(prefix), "spapr-shared-%d", (int)getpid());
	log_file = tmpfile();
	if (log_file == NULL || rte_openlog_stream(log_file) != 0)
		return RUN_SETUP;
	rte_log_set_global_level(RTE_LOG_INFO);
	if (eal_init(self) != 0) {
		show_log();
		return RUN_SETUP;
	}
	if (strcmp(phase, "nogap") == 0) {
		t_current = "nogap";
		T_ERR(port_of(NIC0, &port0), 0);
		T_RUN(test_park_while_moving);
		T_RUN(test_refused_probe_parks);
		T_RUN(test_last_leaves);
		T_RUN(test_attach_again);
		/* rte_eal_cleanup() with group 1 parked: it goes with the rest. */
		T_ERR(port_remove(NIC1), 0);
		eal_done();
		T_CHECK(!logged("left behind") && !logged("failed"));
		if (t_failures)
			show_log();
		return t_failures ? RUN_BROKEN : RUN_CLEAN;
	}
	if (strcmp(phase, "teardown") == 0)
		r = phase_teardown(faults);
	else if (strcmp(phase, "join") == 0)
		r = phase_join(faults);
	else if (strcmp(phase, "create") == 0)
		r = phase_create(faults);
	else
		r = RUN_SETUP;
	if (r == RUN_BROKEN || getenv("SPAPR_TEST_VERBOSE") != NULL)
		show_log();
	eal_done();
	return r;
}

static enum run_result run(const char *self, const char *phase, const char *faults)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		unsetenv("SPAPR_DPDK_OPTS");
		unsetenv("SPAPR_MODEL_FAULTS");
		execl(self, self, phase, faults, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) > RUN_NOT_FIRED) {
		fprintf(stderr, "%s %s: child status 0x%x\n", phase, faults, st);
		return RUN_BROKEN;
	}
	return (enum run_result)WEXITSTATUS(st);
}

/* Faults per phase: "%u" is replaced by n = 1, 2, ... until it no longer
 * fires. Pairs fail a call and then the undo of that failure. */
struct sweep {
	const char *phase;
	const char *faults[12];
};

static const struct sweep sweeps[] = {
	{ "teardown", { "tce_remove:%u", "unregister_memory:%u", "group_unset_container:%u",
			"close:%u", "tce_remove:1,unmap_dma:%u", "unregister_memory:1,close:%u",
			NULL } },
	{ "join", { "group_open:%u", "group_get_status:%u", "group_set_container:%u",
		    "group_get_status:1,close:%u", "group_set_container:1,close:%u", NULL } },
	{ "create", { "map_dma:%u,unmap_dma:1", "map_dma:%u,tce_remove:1",
		      "map_dma:%u,unregister_memory:1", "register_memory:%u,unregister_memory:1",
		      "tce_create:%u,close:1", "set_iommu:%u,group_unset_container:1",
		      "group_set_container:%u,close:1", "map_dma:%u,group_unset_container:1",
		      "map_dma:%u,close:2", NULL } },
};

int main(int argc, char **argv)
{
	const char *self = "/proc/self/exe";
	unsigned int runs = 0, clean = 0, rep = 0;
	enum run_result r;

	if (argc >= 2)
		return run_child(argv[0], argv[1], argc > 2 ? argv[2] : "");
	plugin_hugepages(40);
	t_current = "nogap";
	r = run(self, "nogap", "");
	T_EQ(r, RUN_CLEAN);
	for (size_t s = 0; s < RTE_DIM(sweeps); s++) {
		const struct sweep *sw = &sweeps[s];

		for (unsigned int f = 0; sw->faults[f] != NULL; f++)
			for (unsigned int n = 1; n <= 8; n++) {
				char faults[96];

				snprintf(faults, sizeof(faults), sw->faults[f], n);
				t_current = sw->phase;
				r = run(self, sw->phase, faults);
				if (r == RUN_NOT_FIRED)
					break;
				runs++;
				clean += r == RUN_CLEAN;
				rep += r == RUN_REPORTED;
				t_checks++;
				if (r != RUN_CLEAN && r != RUN_REPORTED) {
					t_failures++;
					fprintf(stderr, "FAIL %s %s: %s\n", sw->phase, faults,
						r == RUN_SETUP ? "could not reach the phase" :
						"state not clean and not reported exactly");
				} else {
					printf("  %-8s %-36s %s\n", sw->phase, faults,
					       r == RUN_CLEAN ? "clean" : "reported exactly");
				}
			}
	}
	printf("shared detach: %u faulted runs: %u clean, %u reported exactly, %u failed\n",
	       runs, clean, rep, runs - clean - rep);
	return t_finish();
}
