/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_fwd - net_spapr_model inside the real DPDK EAL with the
 * plugin in model mode: frames forwarded between two wired ports, every
 * device access checked by the host model's IOMMU; and a DMA fault.
 *
 * Usage: test_net_fwd <profile> <auto|direct|indirect|off> [fault|refused]
 *   off = plugin option iommu=off: the PE translates IOVA = host physical
 *   address (the benchmark's baseline). With "fault", a mempool in memory
 *   the plugin never mapped makes the device fault: the PE freezes, the
 *   ports count errors, and a PE reset through rte_eth_dev_reset recovers.
 *   With "refused", the profile cannot do the mode (e.g. direct on a
 *   PowerVM SR-IOV VF): the plugin refuses with a reason and the PMD creates
 *   no port rather than running without an IOMMU set-up.
 *
 * Forwarding (io, one lcore): each port's traffic source sends GEN frames,
 * which then circulate port 0 <-> port 1 over the wire. Every received frame
 * is verified byte by byte. Conservation is exact: frames received = frames
 * generated + frames the wire delivered; the wire dropped none; after the
 * loop every generated frame is drained; the PE checked exactly
 * 6 accesses / 2L+64 bytes per forwarded frame and 3 / L+32 per generated one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "net_test.h"
#include "plugin_env.h"
#include "rte_bus_spapr.h"
#include "rte_pmd_spapr_model.h"
#include "spapr_model.h"
#include "test_util.h"

#define NB_DESC 256
#define GEN 100		/* frames per port */
#define LEN 64
#define ROUNDS 3000
#define BURST 32

static const char *profile, *mode;
static struct spapr_model *model;
static struct rte_mempool *pool;
static uint64_t bad_frames;	/* received frames whose bytes were wrong */

static uint64_t xstat(uint16_t port, const char *name)
{
	return net_xstat(port, name);
}

static bool frame_ok(const struct rte_mbuf *m, uint16_t *src_port)
{
	return net_frame_ok(m, LEN, src_port);
}

static int port_setup(uint16_t port, struct rte_mempool *mp)
{
	return net_port_setup(port, mp, NB_DESC);
}

/* io forwarding 0 <-> 1 for @rounds polls; returns frames received. */
static uint64_t forward(unsigned int rounds, uint64_t *tx_refused)
{
	uint64_t rx = 0;

	for (unsigned int r = 0; r < rounds; r++) {
		for (uint16_t p = 0; p < 2; p++) {
			struct rte_mbuf *pkts[BURST];
			uint16_t n = rte_eth_rx_burst(p, 0, pkts, BURST), sent;

			for (uint16_t i = 0; i < n; i++) {
				uint16_t src;

				if (!frame_ok(pkts[i], &src))
					bad_frames++;
			}
			rx += n;
			sent = rte_eth_tx_burst(p ^ 1, 0, pkts, n);
			for (uint16_t i = sent; i < n; i++)
				rte_pktmbuf_free(pkts[i]);
			*tx_refused += n - sent;
		}
	}
	return rx;
}

/* Take and free every frame still waiting in the RX rings. */
static uint64_t drain(void)
{
	uint64_t got = 0;

	for (uint16_t p = 0; p < 2; p++) {
		struct rte_mbuf *pkts[BURST];
		uint16_t n;

		while ((n = rte_eth_rx_burst(p, 0, pkts, BURST)) > 0) {
			for (uint16_t i = 0; i < n; i++) {
				uint16_t src;

				if (!frame_ok(pkts[i], &src))
					bad_frames++;
				rte_pktmbuf_free(pkts[i]);
			}
			got += n;
		}
	}
	return got;
}

static void test_descriptors_use_plugin_iovas(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	T_CHECK(m != NULL);
	if (m == NULL)
		return;
	/* The IOVA a PMD puts in a descriptor is the one the plugin mapped. */
	if (strcmp(mode, "off") == 0) {
		uint64_t pa = 0;

		T_ERR(spapr_model_mm_va_to_pa(model, 0, (uintptr_t)m->buf_addr, &pa), 0);
		T_EQU(m->buf_iova, pa);
	} else {
		T_EQU(m->buf_iova, rte_spapr_dma_iova(m->buf_addr));
	}
	rte_pktmbuf_free(m);
}

static void test_forward(void)
{
	struct spapr_model_pe_stats pe0, pe1;
	uint64_t rx, drained, refused = 0, gen, wire, ipk = 0, opk = 0;
	struct rte_eth_stats st;

	for (uint16_t p = 0; p < 2; p++) {
		T_ERR(rte_eth_stats_reset(p), 0);
		T_ERR(rte_pmd_spapr_model_gen(p, BURST, GEN), 0);
	}
	spapr_model_pe_stats(model, 0, &pe0);
	rx = forward(ROUNDS, &refused);
	drained = drain();
	spapr_model_pe_stats(model, 0, &pe1);
	gen = xstat(0, "rx_gen_packets") + xstat(1, "rx_gen_packets");
	wire = xstat(0, "rx_wire_packets") + xstat(1, "rx_wire_packets");
	for (uint16_t p = 0; p < 2; p++) {
		T_ERR(rte_eth_stats_get(p, &st), 0);
		ipk += st.ipackets;
		opk += st.opackets;
		T_EQU(st.imissed, 0);
		T_EQU(st.ierrors, 0);
		T_EQU(st.oerrors, 0);
		T_EQU(xstat(p, "dma_faults"), 0);
		T_EQU(xstat(p, "tx_wire_drops"), 0);
		T_EQU(xstat(p, "pe_frozen"), 0);
	}
	printf("  forwarded %" PRIu64 " frames, received %" PRIu64 " (+%" PRIu64 " drained), "
	       "%" PRIu64 " DMA checks\n", opk, rx, drained, pe1.dma_checks - pe0.dma_checks);
	T_EQU(gen, 2 * GEN);
	T_CHECK(opk > 100 * GEN);		/* frames really circulated */
	T_EQU(refused, 0);
	T_EQU(ipk, rx + drained);
	T_EQU(ipk, gen + wire);		/* nothing lost on the wire */
	T_EQU(opk, wire);		/* every frame sent arrived */
	T_EQU(drained, 2 * GEN);		/* the population is intact */
	T_EQU(bad_frames, 0);		/* every byte arrived as sent */
	T_EQU(pe1.faults - pe0.faults, 0);
	T_EQU(pe1.frozen_rejects - pe0.frozen_rejects, 0);
	T_EQ(spapr_model_pe_state(model, 0), VFIO_EEH_PE_STATE_NORMAL);
	/* Every access of the device went through the check, and only those. */
	T_EQU(pe1.dma_checks - pe0.dma_checks, 6 * opk + 3 * gen);
	T_EQU(pe1.dma_bytes - pe0.dma_bytes, opk * (2 * LEN + 64) + gen * (LEN + 32));
	T_EQU(xstat(0, "dma_checks") + xstat(1, "dma_checks"), 6 * opk + 3 * gen);
}

/* ---- the fault: a pool in memory the plugin was never told about ---- */

/* The IOVA an application that bypasses DPDK's IOVAs would give: the PA. */
static void pa_as_iova(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)arg;
	(void)idx;
	m->buf_iova = rte_mem_virt2iova(m->buf_addr);
}

/*
 * The plugin refuses to populate a pool from memory no window maps (its
 * mempool guard), so the pool is made as one that asks for no IOVA
 * (RTE_MEMPOOL_F_NO_IOVA_CONTIG) and its mbufs are then given the physical
 * addresses, as a buggy application would: the device must catch it.
 */
static struct rte_mempool *unmapped_pool(void **mem, size_t *len)
{
	struct rte_mempool *mp;

	*len = 8u << 20;
	*mem = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		    -1, 0);
	if (*mem == MAP_FAILED)
		return NULL;
	mp = rte_mempool_create_empty("unmapped", 1024, sizeof(struct rte_mbuf) + 2048 +
				      RTE_PKTMBUF_HEADROOM, 0, sizeof(struct rte_pktmbuf_pool_private),
				      SOCKET_ID_ANY, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	rte_mempool_set_ops_byname(mp, "ring_mp_mc", NULL);
	rte_pktmbuf_pool_init(mp, NULL);
	if (rte_mempool_populate_virt(mp, *mem, *len, 4096, NULL, NULL) <= 0) {
		rte_mempool_free(mp);
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	rte_mempool_obj_iter(mp, pa_as_iova, NULL);
	return mp;
}

struct find_iova {
	uint64_t iova;
	bool found;
};

static void buf_has_iova(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct find_iova *f = arg;
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)idx;
	f->found |= f->iova >= m->buf_iova && f->iova < m->buf_iova + m->buf_len;
}

static bool iova_in_pool(struct rte_mempool *mp, uint64_t iova)
{
	struct find_iova f = { .iova = iova };

	rte_mempool_obj_iter(mp, buf_has_iova, &f);
	return f.found;
}

static void test_fault_and_recovery(void)
{
	struct spapr_model_pe_stats pe;
	struct rte_eth_stats st;
	struct rte_mempool *bad;
	uint64_t refused = 0, last;
	void *mem;
	size_t len;

	bad = unmapped_pool(&mem, &len);
	T_CHECK(bad != NULL);
	if (bad == NULL)
		return;
	T_EQU(rte_spapr_dma_iova(mem), UINT64_MAX);	/* really not mapped */
	/* Port 0's RX buffers now come from the unmapped pool. */
	T_ERR(rte_eth_dev_stop(0), 0);
	T_ERR(port_setup(0, bad), 0);
	T_ERR(rte_pmd_spapr_model_gen(0, BURST, 0), 0);
	T_ERR(rte_pmd_spapr_model_gen(1, BURST, 0), 0);
	forward(10, &refused);
	spapr_model_pe_stats(model, 0, &pe);
	last = xstat(0, "dma_last_fault_iova");
	printf("  fault at IOVA 0x%" PRIx64 ", PE state %d, faults %" PRIu64 ", refused %" PRIu64 "\n",
	       last, spapr_model_pe_state(model, 0), pe.faults, pe.frozen_rejects);
	/* The device detected it, reported it and the PE froze (EEH). */
	T_EQU(pe.faults, 1);
	T_EQU(xstat(0, "dma_faults"), 1);
	T_CHECK(iova_in_pool(bad, last));
	T_EQ(spapr_model_pe_state(model, 0), VFIO_EEH_PE_STATE_STOPPED);
	T_EQU(xstat(0, "pe_frozen"), 1);
	T_EQU(xstat(1, "pe_frozen"), 1);	/* same PE: the other function froze too */
	T_ERR(rte_eth_stats_get(0, &st), 0);
	T_CHECK(st.ierrors >= 1);
	/* Frozen ports move nothing: */
	{
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

		T_CHECK(m != NULL);
		if (m != NULL) {
			m->pkt_len = m->data_len = LEN;
			T_EQ(rte_eth_tx_burst(1, 0, &m, 1) + rte_eth_tx_burst(0, 0, &m, 1), 0);
			rte_pktmbuf_free(m);
		}
	}
	/* Starting a frozen function is refused. */
	T_ERR(rte_eth_dev_stop(1), 0);
	T_ERR(rte_eth_dev_start(1), -EIO);
	/* Recovery: PE reset through the ethdev reset, good pool, start again. */
	T_ERR(rte_eth_dev_reset(0), 0);
	T_EQ(spapr_model_pe_state(model, 0), VFIO_EEH_PE_STATE_NORMAL);
	T_ERR(port_setup(0, pool), 0);
	T_ERR(rte_eth_dev_start(1), 0);
	rte_mempool_free(bad);
	munmap(mem, len);
	bad_frames = 0;
	T_EQU(xstat(0, "pe_resets"), 1);
	test_forward();
}

/* ---- a TX frame from the unmapped pool: the device's read faults ---- */

static void test_tx_fault(void)
{
	struct rte_mempool *bad;
	struct rte_mbuf *m;
	void *mem;
	size_t len;
	uint64_t before = xstat(1, "dma_faults");

	bad = unmapped_pool(&mem, &len);
	T_CHECK(bad != NULL);
	if (bad == NULL)
		return;
	m = rte_pktmbuf_alloc(bad);
	T_CHECK(m != NULL);
	if (m != NULL) {
		memset(rte_pktmbuf_mtod(m, void *), 0xab, LEN);
		m->pkt_len = m->data_len = LEN;
		T_EQ(rte_eth_tx_burst(1, 0, &m, 1), 1);	/* the driver posted it */
	}
	T_EQU(xstat(1, "dma_faults"), before + 1);
	T_CHECK(iova_in_pool(bad, xstat(1, "dma_last_fault_iova")));
	T_EQ(spapr_model_pe_state(model, 0), VFIO_EEH_PE_STATE_STOPPED);
	T_ERR(rte_eth_dev_stop(1), 0);	/* frees the never-completed frame */
	{
		struct rte_eth_stats st;

		T_ERR(rte_eth_stats_get(1, &st), 0);
		T_CHECK(st.oerrors >= 2);	/* the fault and the lost frame */
	}
	T_ERR(rte_eth_dev_reset(1), 0);
	T_EQ(spapr_model_pe_state(model, 0), VFIO_EEH_PE_STATE_NORMAL);
	rte_mempool_free(bad);
	munmap(mem, len);
}

int main(int argc, char **argv)
{
	char prefix[64], devargs[256];
	const char *huge;
	bool fault, refused;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s <profile> <auto|direct|indirect|off> [fault]\n", argv[0]);
		return 2;
	}
	profile = argv[1];
	mode = argv[2];
	fault = argc > 3 && strcmp(argv[3], "fault") == 0;
	refused = argc > 3 && strcmp(argv[3], "refused") == 0;
	huge = plugin_hugepages(40);
	snprintf(prefix, sizeof(prefix), "spapr-net-%d", (int)getpid());
	if (strcmp(mode, "off") == 0)
		snprintf(devargs, sizeof(devargs), "bus=spapr,backend=model,profile=%s,iommu=off",
			 profile);
	else
		snprintf(devargs, sizeof(devargs), "bus=spapr,backend=model,profile=%s,policy=%s",
			 profile, mode);
	{
		char *eal[] = { argv[0], "-l", "0", "-m", "48", "--no-pci", "--no-telemetry",
				"--file-prefix", prefix, "--huge-dir", (char *)huge, "--huge-unlink",
				"--iova-mode=pa", "-a", devargs,
				"--vdev", "net_spapr_model0,gen=0", "--vdev", "net_spapr_model1,gen=0",
				NULL };

		rc = rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal);
	}
	T_CHECK(rc > 0);
	if (rc < 0)
		return t_finish();
	model = rte_spapr_model();
	if (refused) {
		printf("plugin refused: %s\n", rte_spapr_error());
		T_CHECK(rte_spapr_status() < 0);
		T_CHECK(strlen(rte_spapr_error()) > 0);
		T_EQ(rte_eth_dev_count_avail(), 0);
		rte_eal_cleanup();
		plugin_rm_runtime(prefix);
		return t_finish();
	}
	if (model == NULL || rte_spapr_status() != 0) {
		fprintf(stderr, "plugin: %s\n", rte_spapr_error());
		T_CHECK(model != NULL && rte_spapr_status() == 0);
		rte_eal_cleanup();
		return t_finish();
	}
	if (rte_spapr_containers() > 0) {
		char line[512];

		rte_spapr_plan_line(0, line, sizeof(line));
		printf("plan: %s\n", line);
		if (strcmp(mode, "auto") != 0)
			T_CHECK(strstr(line, strcmp(mode, "direct") == 0 ? "direct window" :
				       "indirect") != NULL);
	}
	T_EQ(rte_eth_dev_count_avail(), 2);
	pool = rte_pktmbuf_pool_create("pool", 2048, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	T_CHECK(pool != NULL);
	if (pool != NULL && rte_eth_dev_count_avail() == 2) {
		T_ERR(port_setup(0, pool), 0);
		T_ERR(port_setup(1, pool), 0);
		T_RUN(test_descriptors_use_plugin_iovas);
		T_RUN(test_forward);
		if (fault) {
			T_RUN(test_fault_and_recovery);
			T_RUN(test_tx_fault);
		}
		rte_eth_dev_stop(0);
		rte_eth_dev_stop(1);
		rte_eth_dev_close(0);
		rte_eth_dev_close(1);
	}
	rte_eal_cleanup();
	plugin_rm_runtime(prefix);
	return t_finish();
}
