/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * l2fwd-spapr - a minimal l2fwd-style forwarder on the spapr EAL plugin.
 *
 * It shows what an application can do with the plugin's public API
 * (drivers/bus/spapr/rte_bus_spapr.h) on top of ordinary DPDK code:
 *
 *   - read the set-up: rte_spapr_status()/rte_spapr_error(), the summary
 *     (rte_spapr_info_get) and each container's plan line;
 *   - choose NUMA-local memory: one mbuf pool per socket, each port's queues
 *     and buffers on the port's own socket (rte_eth_dev_socket_id);
 *   - read the DMA statistics of every container (spapr_dma_container_stats);
 *   - react to a DMA fault: on POWER a DMA to an unmapped IOVA freezes the
 *     device's PE (EEH). In model mode the model plays the NIC's DMA, so the
 *     program can inject such a fault (--fault-at N), see the PE frozen, stop
 *     the ports, reset the PE and go on.
 *
 * Ports are pairs (0<->1, 2<->3, ...): every packet received on one is sent
 * on the other with its MAC addresses rewritten, as l2fwd does.
 *
 * Model mode (any machine, root for hugepages):
 *   l2fwd-spapr -l 0-1 -m 64 --no-pci -a bus=spapr,backend=model,profile=powernv9 \
 *       --vdev net_null0 --vdev net_null1 -- --bursts 20000
 * The null PMD moves no bytes itself; in model mode the program plays the
 * NIC's DMA through the model (RX: the device writes each packet to its
 * mbuf's IOVA; TX: the device reads it back), which checks every IOVA the
 * PMD would give a real NIC.
 *
 * Application options (after --): --bursts N (default 10000), --fault-at N
 * (model: make burst N DMA to an unmapped IOVA).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "rte_bus_spapr.h"
#include "spapr_dma.h"
#include "spapr_model.h"

#define MAX_PORTS 8
#define BURST 32
#define NB_MBUF 2048
#define RING_SIZE 256

struct app {
	uint64_t bursts, fault_at;
	uint16_t nports;
	struct rte_mempool *pool[RTE_MAX_NUMA_NODES];
	struct spapr_model *model;		/* model mode only */
	uint64_t rx, tx, dma_ok, dma_faults, pe_resets;
};

static int parse_app_args(int argc, char **argv, struct app *a)
{
	static const struct option lo[] = {
		{ "bursts", required_argument, 0, 'b' }, { "fault-at", required_argument, 0, 'f' },
		{ 0, 0, 0, 0 },
	};
	int c;

	a->bursts = 10000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'b')
			a->bursts = strtoull(optarg, NULL, 0);
		else if (c == 'f')
			a->fault_at = strtoull(optarg, NULL, 0);
		else
			return -1;
	}
	return 0;
}

/* What the plugin did: status, summary, one plan line per container. */
static int show_setup(struct app *a)
{
	struct rte_spapr_info info;
	char line[512];

	if (rte_spapr_status() != 0) {
		printf("spapr set-up failed: %s\n", rte_spapr_error());
		return -1;
	}
	rte_spapr_info_get(&info);
	printf("spapr: backend %s%s%s, policy %s, EAL IOVA as %s, %u container(s), %u group(s), "
	       "%" PRIu64 " MiB DMA memory\n", info.backend, info.profile[0] ? " profile " : "",
	       info.profile, info.policy, info.eal_iova_va ? "VA" : "PA", info.containers,
	       info.groups, info.mem_bytes >> 20);
	for (unsigned int i = 0; i < rte_spapr_containers(); i++)
		if (rte_spapr_plan_line(i, line, sizeof(line)) > 0)
			printf("spapr: plan: %s\n", line);
	a->model = rte_spapr_model();
	return 0;
}

/* One mbuf pool per socket that has a port: buffers next to the NIC. */
static struct rte_mempool *pool_for(struct app *a, int socket)
{
	char name[32];

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = (int)rte_socket_id();
	if (!a->pool[socket]) {
		snprintf(name, sizeof(name), "mbufs_socket%d", socket);
		a->pool[socket] = rte_pktmbuf_pool_create(name, NB_MBUF, 64, 0,
							  RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	}
	return a->pool[socket];
}

static int port_start(struct app *a, uint16_t port)
{
	struct rte_eth_conf conf = { 0 };
	int socket = rte_eth_dev_socket_id(port);
	struct rte_mempool *mp = pool_for(a, socket);
	int rc;

	if (!mp)
		return -ENOMEM;
	if ((rc = rte_eth_dev_configure(port, 1, 1, &conf)) ||
	    (rc = rte_eth_rx_queue_setup(port, 0, RING_SIZE, (unsigned int)socket, NULL, mp)) ||
	    (rc = rte_eth_tx_queue_setup(port, 0, RING_SIZE, (unsigned int)socket, NULL)) ||
	    (rc = rte_eth_dev_start(port)))
		return rc;
	printf("port %u: socket %d, pool %s\n", port, socket, mp->name);
	return 0;
}

/*
 * Model mode: play the NIC. RX: the device writes the packet into the mbuf
 * through its IOVA; TX: the device reads it back. @bad_iova forces a DMA to
 * an address no TCE maps (a driver bug, or memory that was never mapped).
 */
static int device_dma(struct app *a, struct rte_mbuf *m, bool bad_iova)
{
	uint8_t frame[64], back[64];
	uint64_t iova = bad_iova ? 0x7ff0000000ull : rte_pktmbuf_iova(m);
	int rc;

	memset(frame, 0xa5, sizeof(frame));
	rc = spapr_model_dma_write(a->model, 0, iova, frame, sizeof(frame));
	if (!rc)
		rc = spapr_model_dma_read(a->model, 0, iova, back, sizeof(back));
	if (!rc && memcmp(rte_pktmbuf_mtod(m, void *), frame, sizeof(frame)))
		rc = -EIO;	/* the IOVA reached other memory than the mbuf */
	return rc;
}

/*
 * A frozen PE stops all DMA and MMIO of its devices. The recovery is the
 * same as on real EEH: stop the ports, reset the PE, restart them (and, on
 * a real NIC, re-initialise the device: rte_eth_dev_reset()).
 */
static void recover(struct app *a, int rc)
{
	struct spapr_model_pe_stats ps;

	spapr_model_pe_stats(a->model, 0, &ps);
	printf("DMA fault (%s) at IOVA 0x%" PRIx64 ": PE of group 0 is %s; stopping ports, "
	       "resetting the PE\n", strerror(-rc), ps.last_fault_iova,
	       spapr_model_pe_state(a->model, 0) == VFIO_EEH_PE_STATE_NORMAL ? "running" : "frozen");
	for (uint16_t p = 0; p < a->nports; p++)
		rte_eth_dev_stop(p);
	spapr_model_pe_reset(a->model, 0);
	for (uint16_t p = 0; p < a->nports; p++)
		rte_eth_dev_start(p);
	a->pe_resets++;
	printf("PE state after reset: %s\n", spapr_model_pe_state(a->model, 0) ==
	       VFIO_EEH_PE_STATE_NORMAL ? "running" : "still frozen");
}

static void forward_burst(struct app *a, uint16_t in, uint64_t burst_no)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n = rte_eth_rx_burst(in, 0, pkts, BURST), sent;
	bool fault = false;

	a->rx += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth;
		int rc;

		if (rte_pktmbuf_data_len(pkts[i]) < sizeof(*eth))
			continue;
		eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		if (a->model && !fault) {
			rc = device_dma(a, pkts[i], a->fault_at && burst_no == a->fault_at &&
						in == 0 && i == 0);
			if (rc) {
				a->dma_faults++;
				fault = true;
				recover(a, rc);
			} else {
				a->dma_ok++;
			}
		}
		/* l2fwd: destination 02:00:00:00:00:<port>, source = our port. */
		eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		memset(&eth->dst_addr, 0, sizeof(eth->dst_addr));
		eth->dst_addr.addr_bytes[0] = 0x02;
		eth->dst_addr.addr_bytes[5] = (uint8_t)(in ^ 1);
		rte_eth_macaddr_get((uint16_t)(in ^ 1), &eth->src_addr);
	}
	sent = rte_eth_tx_burst((uint16_t)(in ^ 1), 0, pkts, n);
	a->tx += sent;
	for (uint16_t i = sent; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

static void show_stats(const struct app *a)
{
	for (uint16_t p = 0; p < a->nports; p++) {
		struct rte_eth_stats st;

		rte_eth_stats_get(p, &st);
		printf("port %u: rx %" PRIu64 " tx %" PRIu64 "\n", p, st.ipackets, st.opackets);
	}
	for (unsigned int i = 0; i < rte_spapr_containers(); i++) {
		struct spapr_dma_stats s;

		spapr_dma_container_stats(rte_spapr_container(i), &s);
		printf("container %u: windows %u, TCEs in use %" PRIu64 ", mapped %" PRIu64
		       " MiB in %u range(s), %u registration(s), %" PRIu64 " kernel op(s)\n", i,
		       s.windows, s.tces_in_use, s.bytes_mapped >> 20, s.mappings, s.registrations,
		       s.kernel_ops);
	}
	if (a->model) {
		struct spapr_model_pe_stats ps;

		spapr_model_pe_stats(a->model, 0, &ps);
		printf("device DMA (model, group 0): %" PRIu64 " checks, %" PRIu64 " faults, %" PRIu64
		       " resets\n", ps.dma_checks, ps.faults, ps.resets);
	}
	printf("forwarded: rx %" PRIu64 " tx %" PRIu64 ", device DMA ok %" PRIu64 ", faults %" PRIu64
	       ", PE resets %" PRIu64 "\n", a->rx, a->tx, a->dma_ok, a->dma_faults, a->pe_resets);
}

int main(int argc, char **argv)
{
	static struct app a;
	int n = rte_eal_init(argc, argv), ok;

	if (n < 0) {
		fprintf(stderr, "l2fwd-spapr: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse_app_args(argc - n, argv + n, &a)) {
		fprintf(stderr, "l2fwd-spapr: app options: [--bursts N] [--fault-at N]\n");
		rte_eal_cleanup();
		return 2;
	}
	if (show_setup(&a)) {
		rte_eal_cleanup();
		return 1;
	}
	a.nports = (uint16_t)(rte_eth_dev_count_avail() & ~1u);
	if (a.nports == 0 || a.nports > MAX_PORTS) {
		fprintf(stderr, "l2fwd-spapr: need an even number of ports (2..%d)\n", MAX_PORTS);
		rte_eal_cleanup();
		return 1;
	}
	for (uint16_t p = 0; p < a.nports; p++)
		if (port_start(&a, p)) {
			fprintf(stderr, "l2fwd-spapr: port %u does not start\n", p);
			rte_eal_cleanup();
			return 1;
		}
	for (uint64_t b = 1; b <= a.bursts; b++)
		for (uint16_t p = 0; p < a.nports; p++)
			forward_burst(&a, p, b);
	show_stats(&a);
	ok = a.tx > 0 && a.dma_faults == (a.model && a.fault_at ? 1u : 0u) &&
	     (!a.model || a.dma_ok > 0);
	for (uint16_t p = 0; p < a.nports; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	printf("result: %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
