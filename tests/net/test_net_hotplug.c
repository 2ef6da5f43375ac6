/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_hotplug - a NIC detached (rte_dev_remove) and attached again
 * (rte_dev_probe) joins and leaves the plugin's DMA set-up, in the real EAL
 * with the plugin in model mode and net_spapr_model.
 *
 * Usage: test_net_hotplug <profile> [direct|indirect|auto]
 *
 * Two ports, each a PE of its own (net_spapr_model0 on group 0,
 * net_spapr_model1,group=1): on PowerNV profiles one container holds both
 * groups (one shared window), on pseries profiles each group has a
 * container and window. Checked, every cycle:
 *   - detach: pseries: group 1 leaves; the model's locked_vm,
 *     registrations, TCEs, windows, containers and groups are those of a
 *     process that never had it. PowerNV: group 1 is parked, still
 *     attached (a detach would clear the shared window's TCEs for group 0
 *     too, §4): the kernel's state does not change at all. Port 0 still
 *     reaches all its memory;
 *   - attach: the same state as before the detach, and forwarding between
 *     the two ports with every frame verified and no DMA fault;
 *   - memory grown and mapped with rte_spapr_dma_map() while the port was
 *     away reaches the attached port's PE;
 *   - pseries: a fault injected at each kernel call of the attach path
 *     refuses the device (rte_dev_probe fails, no port) with the state
 *     unchanged. PowerNV: the parked group comes back with no kernel call,
 *     so no fault armed fires (the join path under faults:
 *     test_net_shared_detach).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include "net_test.h"
#include "plugin_env.h"
#include "rte_bus_spapr.h"
#include "rte_pmd_spapr_model.h"
#include "spapr_dma.h"
#include "spapr_model.h"
#include "test_util.h"

#define NB_DESC 256
#define GEN 64
#define LEN 64
#define ROUNDS 400
#define BURST 32
#define CYCLES 3
#define PG2M (2u << 20)
#define NIC1 "net_spapr_model1"
#define NIC1_ARGS NIC1 ",group=1"

static struct spapr_model *model;
static struct rte_mempool *pool;
static bool pseries;

/* What the host kernel holds for the process (the model's view). */
struct host_state {
	struct net_mm mm;
	unsigned int containers, groups, windows;
	uint64_t tces, charged;
};

static void host_state(struct host_state *s)
{
	memset(s, 0, sizeof(*s));
	net_mm_get(model, &s->mm);
	s->containers = rte_spapr_containers();
	for (unsigned int i = 0; i < s->containers; i++) {
		struct spapr_model_container_info ci;
		int h = spapr_dma_container_handle(rte_spapr_container(i));

		if (spapr_model_container_info(model, h, &ci) != 0)
			continue;
		s->groups += ci.ngroups;
		for (unsigned int w = 0; w < 2; w++) {
			s->windows += ci.windows[w].present;
			s->tces += ci.windows[w].tces_in_use;
			s->charged += ci.windows[w].bytes_charged;
		}
	}
}

static void print_state(const char *what, const struct host_state *s)
{
	printf("  %-16s locked %" PRIu64 " pages, %u region(s) %" PRIu64 " MiB, %u container(s), "
	       "%u group(s), %u window(s), %" PRIu64 " TCEs, tables %" PRIu64 " KiB\n", what,
	       s->mm.locked_pages, s->mm.regions, s->mm.registered >> 20, s->containers, s->groups,
	       s->windows, s->tces, s->charged >> 10);
}

#define T_SAME(a, b)                                                           \
	do {                                                                   \
		T_EQU((a).mm.locked_pages, (b).mm.locked_pages);                     \
		T_EQU((a).mm.registered, (b).mm.registered);                         \
		T_EQ((a).mm.regions, (b).mm.regions);                                \
		T_EQ((a).mm.orphans, (b).mm.orphans);                                \
		T_EQ((a).containers, (b).containers);                          \
		T_EQ((a).groups, (b).groups);                                  \
		T_EQ((a).windows, (b).windows);                                \
		T_EQU((a).tces, (b).tces);                                     \
		T_EQU((a).charged, (b).charged);                               \
	} while (0)

static void invariants(void)
{
	char err[512];

	T_EQ(spapr_model_check_invariants(model, err, sizeof(err)), 0);
}

static int port_of(const char *name, uint16_t *port)
{
	return rte_eth_dev_get_port_by_name(name, port);
}

static int port_setup(uint16_t port)
{
	return net_port_setup(port, pool, NB_DESC);
}

/* io forwarding between @a and @b: every frame verified, nothing faults. */
static void forward(uint16_t a, uint16_t b)
{
	const uint16_t ports[2] = { a, b };
	uint64_t rx = 0, bad = 0, opk = 0;

	for (unsigned int i = 0; i < 2; i++) {
		T_ERR(rte_eth_stats_reset(ports[i]), 0);
		T_ERR(rte_pmd_spapr_model_gen(ports[i], BURST, GEN), 0);
	}
	for (unsigned int r = 0; r < ROUNDS; r++)
		for (unsigned int i = 0; i < 2; i++) {
			struct rte_mbuf *pkts[BURST];
			uint16_t n = rte_eth_rx_burst(ports[i], 0, pkts, BURST), sent;

			for (uint16_t k = 0; k < n; k++) {
				uint16_t src;

				bad += !net_frame_ok(pkts[k], LEN, &src);
			}
			rx += n;
			sent = rte_eth_tx_burst(ports[i ^ 1], 0, pkts, n);
			for (uint16_t k = sent; k < n; k++)
				rte_pktmbuf_free(pkts[k]);
		}
	for (unsigned int i = 0; i < 2; i++) {
		struct rte_eth_stats st;

		T_ERR(rte_eth_stats_get(ports[i], &st), 0);
		opk += st.opackets;
		T_EQU(st.ierrors, 0);
		T_EQU(st.oerrors, 0);
		T_EQU(net_xstat(ports[i], "dma_faults"), 0);
		T_EQU(net_xstat(ports[i], "pe_frozen"), 0);
		T_EQU(net_xstat(ports[i], "tx_wire_drops"), 0);
	}
	T_EQU(bad, 0);
	T_CHECK(opk > 20 * GEN);	/* frames really circulated, both ways */
	T_CHECK(rx > 20 * GEN);
	printf("  forwarded %" PRIu64 " frames between ports %u and %u\n", opk, a, b);
}

/* A device in @group reaches [va, va+len) at DPDK's IOVA, read and write. */
static void dev_reaches(int group, const void *va, uint64_t iova, uint64_t len)
{
	struct spapr_model_xlat x;
	int rc = spapr_model_dma_check(model, group, iova, len,
				       SPAPR_MODEL_DMA_READ | SPAPR_MODEL_DMA_WRITE, &x);

	T_EQ(rc, 0);
	if (rc == 0)
		T_CHECK(x.host == va);
	else
		fprintf(stderr, "  group %d: iova 0x%" PRIx64 " (va %p): %s\n", group, iova, va,
			strerror(-rc));
}

static int seg_walk(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	if (msl->external && !msl->heap)
		return 0;
	dev_reaches(*(int *)arg, ms->addr, ms->iova, ms->len);
	return 0;
}

static void detach_nic1(void)
{
	uint16_t p;

	T_ERR(port_of(NIC1, &p), 0);
	T_ERR(rte_eth_dev_stop(p), 0);
	T_ERR(rte_eth_dev_close(p), 0);
	T_ERR(rte_eal_hotplug_remove("vdev", NIC1), 0);
	T_CHECK(port_of(NIC1, &p) != 0);
}

static uint16_t attach_nic1(void)
{
	uint16_t p = RTE_MAX_ETHPORTS;

	T_ERR(rte_dev_probe(NIC1_ARGS), 0);
	if (port_of(NIC1, &p) != 0) {
		T_FAIL_AT("%s has no port", NIC1);
		exit(t_finish());
	}
	T_EQ(rte_pmd_spapr_model_group(p), 1);
	T_ERR(port_setup(p), 0);
	return p;
}

static struct host_state full, one;

static void test_detach_attach_cycles(void)
{
	struct host_state s;
	int g0 = 0;

	host_state(&full);
	print_state("two ports", &full);
	T_EQ(full.groups, 2);
	T_EQ(full.containers, pseries ? 2 : 1);
	for (unsigned int c = 0; c < CYCLES; c++) {
		uint16_t p;

		detach_nic1();
		host_state(&s);
		if (c == 0) {
			one = s;
			print_state("port 1 detached", &one);
		}
		T_SAME(s, one);
		T_EQ(s.containers, 1);
		T_CHECK(s.mm.locked_pages <= full.mm.locked_pages);
		if (pseries) {	/* its own container and TCE table went back */
			T_EQ(s.groups, 1);
			T_CHECK(s.charged < full.charged);
		} else {	/* parked: nothing changed in the kernel */
			int g = -1;

			T_SAME(s, full);
			T_EQ(rte_spapr_container_groups_parked(0, &g, 1), 1);
			T_EQ(g, 1);
		}
		/* The staying group reaches all of DPDK's memory (PowerNV: mapped again). */
		rte_memseg_walk(seg_walk, &g0);
		invariants();
		p = attach_nic1();
		host_state(&s);
		T_SAME(s, full);
		invariants();
		forward(0, p);
	}
	print_state("attached again", &s);
}

static void *huge_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Memory added while the port is away is mapped for it when it comes back. */
static void test_memory_while_detached(void)
{
	const struct rte_memzone *mz;
	char *user;
	uint16_t p;
	int g1 = 1;

	detach_nic1();
	mz = rte_memzone_reserve("hp_grow", 24u << 20, SOCKET_ID_ANY, 0);
	user = huge_map(2 * PG2M);
	T_CHECK(mz != NULL && user != NULL);
	if (mz == NULL || user == NULL)
		return;
	T_EQ(rte_spapr_dma_map(user, 2 * PG2M, PG2M), 0);
	p = attach_nic1();
	/* Up to the end of its first page: pages need not be IOVA-contiguous. */
	dev_reaches(1, mz->addr, mz->iova,
		    RTE_MIN((uint64_t)mz->len, PG2M - ((uintptr_t)mz->addr & (PG2M - 1))));
	dev_reaches(1, user, rte_spapr_dma_iova(user), PG2M);
	dev_reaches(1, user + PG2M, rte_spapr_dma_iova(user + PG2M), PG2M);
	rte_memseg_walk(seg_walk, &g1);
	forward(0, p);
	invariants();
	T_EQ(rte_spapr_dma_unmap(user, 2 * PG2M), 0);
	munmap(user, 2 * PG2M);
	T_ERR(rte_memzone_free(mz), 0);
	host_state(&full);	/* the memory changed: the new reference state */
}

/* pseries: a failed CREATE may leave the PE refusing windows until reboot (§6). */
static bool may_poison(const char *op)
{
	return pseries && (strcmp(op, "tce_create") == 0 || strcmp(op, "hcall") == 0);
}

/*
 * A fault at the n-th call of each kernel operation while the device
 * attaches: refused (no port, rte_dev_probe's error) with the host state
 * of before, after which it attaches normally; or, where the operation is
 * not on the attach path, attached.
 */
static void test_attach_faults(void)
{
	/* SPAPR_MODEL_FAULTS syntax, armed from now on; the ones that may
	 * leave a pseries PE unusable last. */
	static const char *const ops[] = {
		"group_open", "group_get_status", "group_set_container", "set_iommu", "get_info",
		"register_memory", "map_dma", "level_alloc", "tce_create", "hcall",
	};
	unsigned int refused = 0, attached = 0, fired_total = 0;
	struct host_state before, s;
	bool usable = true;

	detach_nic1();
	host_state(&before);
	for (unsigned int i = 0; i < RTE_DIM(ops); i++)
		for (unsigned int nth = 1; nth <= 2; nth++) {
			unsigned int fired = spapr_model_faults_fired(model);
			char spec[64], err[256];
			uint16_t p;
			int rc;

			snprintf(spec, sizeof(spec), "%s:%u", ops[i], nth);
			T_ERR(spapr_model_fault_parse(model, spec, err, sizeof(err)), 0);
			rc = rte_dev_probe(NIC1_ARGS);
			fired = spapr_model_faults_fired(model) - fired;
			fired_total += fired;
			spapr_model_fault_clear(model);
			printf("  %s: %s (%u fault(s) fired)\n", spec, rc ? "refused" : "attached",
			       fired);
			if (rc == 0) {
				attached++;
				host_state(&s);
				T_SAME(s, full);
				detach_nic1();
				host_state(&s);
				T_SAME(s, before);
				continue;
			}
			refused++;
			T_CHECK(fired > 0);
			T_CHECK(port_of(NIC1, &p) != 0);
			host_state(&s);
			T_SAME(s, before);
			invariants();
			if (may_poison(ops[i])) {
				usable = false;
				continue;
			}
			/* Nothing stayed in the way: the device attaches now. */
			T_ERR(rte_dev_probe(NIC1_ARGS), 0);
			host_state(&s);
			T_SAME(s, full);
			detach_nic1();
		}
	printf("  attach under faults: %u refused, %u attached\n", refused, attached);
	if (pseries) {	/* open, status, SET_CONTAINER, its own window and mappings */
		T_CHECK(refused >= 6u);
	} else {	/* the parked group is in use again: no kernel call */
		T_EQ(refused, 0);
		T_EQ(fired_total, 0);
	}
	if (usable) {
		forward(0, attach_nic1());
		host_state(&s);
		T_SAME(s, full);
	}
}

int main(int argc, char **argv)
{
	char prefix[64], devargs[256];
	const char *huge, *policy;
	uint16_t p0;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s <profile> [auto|direct|indirect]\n", argv[0]);
		return 2;
	}
	policy = argc > 2 ? argv[2] : "auto";
	huge = plugin_hugepages(40);
	snprintf(prefix, sizeof(prefix), "spapr-hotplug-%d", (int)getpid());
	snprintf(devargs, sizeof(devargs), "bus=spapr,backend=model,profile=%s,policy=%s,groups=2",
		 argv[1], policy);
	{
		char *eal[] = { argv[0], "-l", "0", "-m", "48", "--no-pci", "--no-telemetry",
				"--file-prefix", prefix, "--huge-dir", (char *)huge, "--huge-unlink",
				"--iova-mode=pa", "-a", devargs,
				"--vdev", "net_spapr_model0,gen=0", "--vdev", NIC1_ARGS ",gen=0",
				NULL };

		rc = rte_eal_init((int)RTE_DIM(eal) - 1, eal);
	}
	T_CHECK(rc > 0);
	model = rte_spapr_model();
	if (rc < 0 || model == NULL || rte_spapr_status() != 0) {
		fprintf(stderr, "plugin: %s\n", rc < 0 ? "EAL init failed" : rte_spapr_error());
		T_CHECK(false);
		return t_finish();
	}
	pseries = spapr_model_get_profile(model)->platform == SPAPR_MODEL_PSERIES;
	pool = rte_pktmbuf_pool_create("pool", 2048, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	T_CHECK(pool != NULL);
	if (pool != NULL && port_of("net_spapr_model0", &p0) == 0) {
		uint16_t p1 = 0;

		T_ERR(port_of(NIC1, &p1), 0);
		T_ERR(port_setup(p0), 0);
		T_ERR(port_setup(p1), 0);
		forward(p0, p1);
		T_RUN(test_detach_attach_cycles);
		T_RUN(test_memory_while_detached);
		T_RUN(test_attach_faults);
		RTE_ETH_FOREACH_DEV(p1) {
			rte_eth_dev_stop(p1);
			rte_eth_dev_close(p1);
		}
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	plugin_rm_runtime(prefix);
	return t_finish();
}
