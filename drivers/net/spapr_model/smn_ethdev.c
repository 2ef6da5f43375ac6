/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smn_ethdev.c - net_spapr_model: probe, configuration, queues, statistics
 * and EEH recovery. The model and the PE come from the EAL plugin
 * (rte_spapr_model(), backend=model).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <bus_vdev_driver.h>

#include "rte_bus_spapr.h"
#include "spapr_model.h"
#include "rte_pmd_spapr_model.h"
#include "smn.h"
#include "spapr_dpdk_compat.h"

RTE_LOG_REGISTER(smn_logtype, pmd.net.spapr_model, INFO);

#define ARG_GROUP "group"
#define ARG_PEER "peer"
#define ARG_GEN "gen"
#define ARG_GEN_TOTAL "gen_total"
#define ARG_GEN_LEN "gen_len"
#define ARG_FAULT_AT "fault_at"

static const char *const smn_args[] = {
	ARG_GROUP, ARG_PEER, ARG_GEN, ARG_GEN_TOTAL, ARG_GEN_LEN, ARG_FAULT_AT, NULL
};

/* Ports by slot: the lowest free one at probe, so probe order at start-up
 * and a port detached and attached again (rte_dev_remove, rte_dev_probe)
 * keep their place. The default wire pairs slot i with i ^ 1. */
static struct smn_port *smn_ports[SMN_MAX_PORTS];

static struct smn_port *port_of(struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

/* ---- configuration ---- */

static int smn_configure(struct rte_eth_dev *dev)
{
	struct smn_port *p = port_of(dev);

	if (dev->data->nb_rx_queues > SMN_MAX_QUEUES || dev->data->nb_tx_queues > SMN_MAX_QUEUES)
		return -EINVAL;
	p->nb_rxq = dev->data->nb_rx_queues;
	p->nb_txq = dev->data->nb_tx_queues;
	return 0;
}

static int smn_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	(void)dev;
	info->max_mac_addrs = 1;
	info->max_rx_pktlen = SMN_FRAME_MAX;
	info->min_rx_bufsize = RTE_ETHER_MIN_LEN;
	info->max_rx_queues = SMN_MAX_QUEUES;
	info->max_tx_queues = SMN_MAX_QUEUES;
	info->rx_desc_lim.nb_max = SMN_RING_MAX;
	info->rx_desc_lim.nb_min = SMN_RING_MIN;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = SMN_RING_DEFAULT;
	info->default_txportconf.ring_size = SMN_RING_DEFAULT;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	return 0;
}

static int smn_link_update(struct rte_eth_dev *dev, int wait)
{
	struct smn_port *p = port_of(dev);
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_10G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = p->started && !p->frozen ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	(void)wait;
	return rte_eth_linkstatus_set(dev, &link);
}

static int smn_ok(struct rte_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static int smn_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	(void)dev;
	return mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN <= SMN_FRAME_MAX ? 0 : -EINVAL;
}

static int smn_mac_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
	port_of(dev)->mac = *addr;
	return 0;
}

/* ---- queues ---- */

static void smn_rxq_free(struct smn_rxq *q)
{
	if (q == NULL)
		return;
	smn_rxq_stop(q);
	rte_memzone_free(q->mz);
	rte_free(q->sw_ring);
	rte_free(q);
}

static void smn_txq_free(struct smn_txq *q)
{
	if (q == NULL)
		return;
	smn_txq_stop(q);
	rte_memzone_free(q->mz);
	rte_free(q->sw_ring);
	rte_free(q);
}

static void smn_rx_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct smn_port *p = port_of(dev);

	smn_rxq_free(p->rxq[qid]);
	p->rxq[qid] = NULL;
	dev->data->rx_queues[qid] = NULL;
}

static void smn_tx_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct smn_port *p = port_of(dev);

	smn_txq_free(p->txq[qid]);
	p->txq[qid] = NULL;
	dev->data->tx_queues[qid] = NULL;
}

/* The ring: DMA memory reserved the normal PMD way; the device gets mz->iova. */
static const struct rte_memzone *ring_zone(struct rte_eth_dev *dev, const char *what,
					   uint16_t qid, uint16_t nb_desc, unsigned int socket)
{
	const struct rte_memzone *mz = rte_eth_dma_zone_reserve(dev, what, qid,
		(size_t)nb_desc * sizeof(struct smn_desc), RTE_CACHE_LINE_SIZE, (int)socket);

	if (mz != NULL && mz->iova == RTE_BAD_IOVA) {
		SMN_LOG(ERR, "%s: %s ring %u has no IOVA\n", port_of(dev)->name, what, qid);
		rte_memzone_free(mz);
		return NULL;
	}
	return mz;
}

static int smn_rx_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
			unsigned int socket, const struct rte_eth_rxconf *conf,
			struct rte_mempool *mp)
{
	struct smn_port *p = port_of(dev);
	uint32_t room = rte_pktmbuf_data_room_size(mp);
	struct smn_rxq *q;

	(void)conf;
	smn_rx_release(dev, qid);
	if (room <= RTE_PKTMBUF_HEADROOM + RTE_ETHER_MIN_LEN)
		return -EINVAL;
	q = rte_zmalloc_socket("smn_rxq", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket);
	if (q == NULL)
		return -ENOMEM;
	q->sw_ring = rte_zmalloc_socket("smn_rx_sw", sizeof(*q->sw_ring) * nb_desc, 0, (int)socket);
	q->mz = ring_zone(dev, "rx_ring", qid, nb_desc, socket);
	if (q->sw_ring == NULL || q->mz == NULL) {
		rte_free(q->sw_ring);
		rte_memzone_free(q->mz);
		rte_free(q);
		return -ENOMEM;
	}
	q->port = p;
	q->qid = qid;
	q->nb_desc = nb_desc;
	q->mp = mp;
	q->buf_len = (uint16_t)RTE_MIN(room - RTE_PKTMBUF_HEADROOM, (uint32_t)UINT16_MAX);
	q->ring = q->mz->addr;
	rte_spinlock_init(&q->lock);
	p->rxq[qid] = q;
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int smn_tx_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
			unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct smn_port *p = port_of(dev);
	struct smn_txq *q;

	(void)conf;
	smn_tx_release(dev, qid);
	q = rte_zmalloc_socket("smn_txq", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket);
	if (q == NULL)
		return -ENOMEM;
	q->sw_ring = rte_zmalloc_socket("smn_tx_sw", sizeof(*q->sw_ring) * nb_desc, 0, (int)socket);
	q->mz = ring_zone(dev, "tx_ring", qid, nb_desc, socket);
	if (q->sw_ring == NULL || q->mz == NULL) {
		rte_free(q->sw_ring);
		rte_memzone_free(q->mz);
		rte_free(q);
		return -ENOMEM;
	}
	q->port = p;
	q->qid = qid;
	q->nb_desc = nb_desc;
	q->ring = q->mz->addr;
	p->txq[qid] = q;
	dev->data->tx_queues[qid] = q;
	return 0;
}

/* ---- start, stop, EEH ---- */

static struct smn_port *find_peer(const struct smn_port *p)
{
	for (unsigned int i = 0; i < SMN_MAX_PORTS; i++) {
		struct smn_port *o = smn_ports[i];

		if (o == NULL || o == p)
			continue;
		if (p->peer_name[0] ? strcmp(o->name, p->peer_name) == 0 : o->index == (p->index ^ 1))
			return o;
	}
	return NULL;
}

static uint64_t pe_resets(const struct smn_port *p)
{
	struct spapr_model_pe_stats st;

	return spapr_model_pe_stats(p->model, p->group, &st) == 0 ? st.resets : 0;
}

static int smn_stop(struct rte_eth_dev *dev)
{
	struct smn_port *p = port_of(dev);

	p->started = false;
	for (uint16_t i = 0; i < p->nb_rxq; i++)
		if (p->rxq[i] != NULL)
			smn_rxq_stop(p->rxq[i]);
	for (uint16_t i = 0; i < p->nb_txq; i++)
		if (p->txq[i] != NULL)
			smn_txq_stop(p->txq[i]);
	for (uint16_t i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (uint16_t i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	smn_link_update(dev, 0);
	return 0;
}

/* A frozen PE refuses to start (MMIO reads all ones on POWER): reset first. */
static int smn_start(struct rte_eth_dev *dev)
{
	struct smn_port *p = port_of(dev);
	int state = spapr_model_pe_state(p->model, p->group), rc;

	if (state != VFIO_EEH_PE_STATE_NORMAL) {
		SMN_LOG(ERR, "%s: PE %d is frozen (EEH state %d): 'port reset %u' first\n", p->name,
			p->group, state, p->port_id);
		return -EIO;
	}
	p->frozen = false;
	p->peer = find_peer(p);
	for (uint16_t i = 0; i < p->nb_rxq; i++) {
		if (p->rxq[i] == NULL)
			return -EINVAL;
		rc = smn_rxq_start(p->rxq[i]);
		if (rc) {
			smn_stop(dev);
			return rc;
		}
	}
	for (uint16_t i = 0; i < p->nb_txq; i++) {
		if (p->txq[i] == NULL) {
			smn_stop(dev);
			return -EINVAL;
		}
		smn_txq_start(p->txq[i]);
	}
	for (uint16_t i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	for (uint16_t i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	p->seen_resets = pe_resets(p);
	p->started = true;
	smn_link_update(dev, 0);
	return 0;
}

/* EEH recovery: rte_eth_dev_reset() stopped the port; reset the PE (hot
 * reset + configure), then the application starts the port again. */
static int smn_reset(struct rte_eth_dev *dev)
{
	struct smn_port *p = port_of(dev);
	int rc = spapr_model_pe_reset(p->model, p->group);

	if (rc)
		return rc;
	p->frozen = false;
	p->resets++;
	SMN_LOG(NOTICE, "%s: PE %d reset (EEH recovery)\n", p->name, p->group);
	return 0;
}

static void log_host_counters(const struct smn_port *p)
{
	struct spapr_model_counters c;
	struct spapr_model_pe_stats st;

	spapr_model_counters(p->model, &c);
	spapr_model_pe_stats(p->model, p->group, &st);
	SMN_LOG(INFO, "PE %d: %" PRIu64 " DMA checks, %" PRIu64 " bytes, %" PRIu64 " faults, %"
		PRIu64 " resets\n", p->group, st.dma_checks, st.dma_bytes, st.faults, st.resets);
	SMN_LOG(INFO, "host kernel operations: %" PRIu64 " ioctls (%" PRIu64 " errors), %" PRIu64
		" REGISTER, %" PRIu64 " CREATE, %" PRIu64 " MAP, %" PRIu64 " TCE writes, %" PRIu64
		" invalidations, %" PRIu64 " hcalls, %" PRIu64 " OPAL calls, %" PRIu64 " pages pinned\n",
		c.ioctls, c.errors, c.ops[SPAPR_MODEL_OP_REGISTER_MEMORY],
		c.ops[SPAPR_MODEL_OP_TCE_CREATE], c.ops[SPAPR_MODEL_OP_MAP_DMA], c.tce_writes,
		c.invalidations, c.hcalls, c.opal_calls, c.pages_pinned);
}

static int smn_close(struct rte_eth_dev *dev)
{
	struct smn_port *p = port_of(dev);
	bool last = true;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	smn_stop(dev);
	for (uint16_t i = 0; i < SMN_MAX_QUEUES; i++) {
		smn_rxq_free(p->rxq[i]);
		smn_txq_free(p->txq[i]);
		p->rxq[i] = NULL;
		p->txq[i] = NULL;
	}
	for (unsigned int i = 0; i < SMN_MAX_PORTS; i++) {
		if (smn_ports[i] == p)
			smn_ports[i] = NULL;
		else if (smn_ports[i] != NULL)
			last = false;
		if (smn_ports[i] != NULL && smn_ports[i]->peer == p)
			smn_ports[i]->peer = NULL;
	}
	if (last)
		log_host_counters(p);
	dev->data->mac_addrs = NULL;	/* part of dev_private */
	return 0;
}

/* ---- statistics ---- */

static void dev_stats_add(struct smn_dev_stats *a, const struct smn_dev_stats *b)
{
	a->dma_checks += b->dma_checks;
	a->dma_bytes += b->dma_bytes;
	a->dma_faults += b->dma_faults;
	a->dma_frozen += b->dma_frozen;
	a->gen_packets += b->gen_packets;
	a->wire_packets += b->wire_packets;
	a->wire_drops += b->wire_drops;
	a->truncated += b->truncated;
	if (b->last_fault_iova)
		a->last_fault_iova = b->last_fault_iova;
}

static void dev_sums(const struct smn_port *p, struct smn_dev_stats *rx, struct smn_dev_stats *tx)
{
	memset(rx, 0, sizeof(*rx));
	memset(tx, 0, sizeof(*tx));
	for (unsigned int i = 0; i < SMN_MAX_QUEUES; i++) {
		if (p->rxq[i] != NULL)
			dev_stats_add(rx, &p->rxq[i]->dev);
		if (p->txq[i] != NULL)
			dev_stats_add(tx, &p->txq[i]->dev);
	}
}

static int smn_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *s,
			 spapr_compat_queue_stats *q)
{
	struct smn_port *p = port_of(dev);
	struct smn_dev_stats rx, tx;

	dev_sums(p, &rx, &tx);
	for (unsigned int i = 0; i < SMN_MAX_QUEUES; i++) {
		const struct smn_rxq *r = p->rxq[i];
		const struct smn_txq *t = p->txq[i];

		if (r != NULL) {
			s->ipackets += r->packets;
			s->ibytes += r->bytes;
			s->ierrors += r->errors;
			if (q != NULL) {
				q->q_ipackets[i] = r->packets;
				q->q_ibytes[i] = r->bytes;
			}
		}
		if (t != NULL) {
			s->opackets += t->packets;
			s->obytes += t->bytes;
			s->oerrors += t->errors;
			if (q != NULL) {
				q->q_opackets[i] = t->packets;
				q->q_obytes[i] = t->bytes;
			}
		}
	}
	s->imissed = rx.wire_drops;
	s->ierrors += rx.dma_faults + rx.dma_frozen;
	s->oerrors += tx.dma_faults + tx.dma_frozen;
	return 0;
}
SPAPR_COMPAT_DEFINE_STATS_GET(smn_stats_get);

static int smn_stats_reset(struct rte_eth_dev *dev)
{
	struct smn_port *p = port_of(dev);

	for (unsigned int i = 0; i < SMN_MAX_QUEUES; i++) {
		struct smn_rxq *r = p->rxq[i];
		struct smn_txq *t = p->txq[i];

		if (r != NULL) {
			rte_spinlock_lock(&r->lock);
			r->packets = r->bytes = r->errors = 0;
			memset(&r->dev, 0, sizeof(r->dev));
			rte_spinlock_unlock(&r->lock);
		}
		if (t != NULL) {
			t->packets = t->bytes = t->errors = 0;
			memset(&t->dev, 0, sizeof(t->dev));
		}
	}
	p->nombuf = 0;
	return 0;
}

enum {
	X_RX_GEN, X_RX_WIRE, X_RX_WIRE_DROPS, X_RX_TRUNC, X_TX_WIRE_DROPS, X_RX_NOMBUF,
	X_DMA_CHECKS, X_DMA_BYTES, X_DMA_FAULTS, X_DMA_FROZEN, X_DMA_LAST_FAULT,
	X_PE_GROUP, X_PE_FREEZES,
	X_SHARED_COUNT,		/* above: in shared memory; below: read from the model */
	X_PE_STATE = X_SHARED_COUNT, X_PE_FROZEN, X_PE_RESETS,
	X_PE_DMA_CHECKS, X_PE_DMA_BYTES, X_PE_FAULTS,
	X_HOST_IOCTLS, X_HOST_ERRORS, X_HOST_REGISTER, X_HOST_CREATE, X_HOST_MAP,
	X_HOST_UNMAP, X_HOST_TCE_WRITES, X_HOST_INVAL, X_HOST_HCALLS, X_HOST_RTAS,
	X_HOST_OPAL, X_HOST_PINNED,
	X_COUNT
};

static const char *const xstat_names[X_COUNT] = {
	"rx_gen_packets", "rx_wire_packets", "rx_wire_drops", "rx_truncated", "tx_wire_drops",
	"rx_nombuf_repost", "dma_checks", "dma_bytes", "dma_faults", "dma_frozen_rejects",
	"dma_last_fault_iova", "pe_group", "pe_freezes", "pe_state", "pe_frozen", "pe_resets",
	"pe_dma_checks", "pe_dma_bytes", "pe_faults",
	"host_ioctls", "host_ioctl_errors", "host_register_memory", "host_tce_create",
	"host_map_dma", "host_unmap_dma", "host_tce_writes", "host_invalidations",
	"host_hcalls", "host_rtas_calls", "host_opal_calls", "host_pages_pinned",
};

/*
 * The model lives in the primary process (its heap, not shared memory): a
 * secondary sees the counters kept in the port's shared memory only.
 */
static unsigned int xstat_count(void)
{
	return rte_eal_process_type() == RTE_PROC_PRIMARY ? X_COUNT : X_SHARED_COUNT;
}

static int smn_xstats_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			    unsigned int size)
{
	unsigned int n = xstat_count();

	(void)dev;
	if (names != NULL)
		for (unsigned int i = 0; i < n && i < size; i++)
			snprintf(names[i].name, sizeof(names[i].name), "%s", xstat_names[i]);
	return (int)n;
}

static void xstat_model_values(const struct smn_port *p, uint64_t *v)
{
	struct spapr_model_pe_stats pe = { 0 };
	struct spapr_model_counters c;
	int state = spapr_model_pe_state(p->model, p->group);

	spapr_model_pe_stats(p->model, p->group, &pe);
	spapr_model_counters(p->model, &c);
	v[X_PE_STATE] = (uint64_t)state;
	v[X_PE_FROZEN] = state != VFIO_EEH_PE_STATE_NORMAL;
	v[X_PE_RESETS] = pe.resets;
	v[X_PE_DMA_CHECKS] = pe.dma_checks;
	v[X_PE_DMA_BYTES] = pe.dma_bytes;
	v[X_PE_FAULTS] = pe.faults;
	v[X_HOST_IOCTLS] = c.ioctls;
	v[X_HOST_ERRORS] = c.errors;
	v[X_HOST_REGISTER] = c.ops[SPAPR_MODEL_OP_REGISTER_MEMORY];
	v[X_HOST_CREATE] = c.ops[SPAPR_MODEL_OP_TCE_CREATE];
	v[X_HOST_MAP] = c.ops[SPAPR_MODEL_OP_MAP_DMA];
	v[X_HOST_UNMAP] = c.ops[SPAPR_MODEL_OP_UNMAP_DMA];
	v[X_HOST_TCE_WRITES] = c.tce_writes;
	v[X_HOST_INVAL] = c.invalidations;
	v[X_HOST_HCALLS] = c.hcalls;
	v[X_HOST_RTAS] = c.rtas_calls;
	v[X_HOST_OPAL] = c.opal_calls;
	v[X_HOST_PINNED] = c.pages_pinned;
}

static void xstat_values(const struct smn_port *p, uint64_t *v)
{
	struct smn_dev_stats rx, tx;

	dev_sums(p, &rx, &tx);
	v[X_RX_GEN] = rx.gen_packets;
	v[X_RX_WIRE] = rx.wire_packets;
	v[X_RX_WIRE_DROPS] = rx.wire_drops;
	v[X_RX_TRUNC] = rx.truncated;
	v[X_TX_WIRE_DROPS] = tx.wire_drops;
	v[X_RX_NOMBUF] = p->nombuf;
	v[X_DMA_CHECKS] = rx.dma_checks + tx.dma_checks;
	v[X_DMA_BYTES] = rx.dma_bytes + tx.dma_bytes;
	v[X_DMA_FAULTS] = rx.dma_faults + tx.dma_faults;
	v[X_DMA_FROZEN] = rx.dma_frozen + tx.dma_frozen;
	v[X_DMA_LAST_FAULT] = tx.last_fault_iova ? tx.last_fault_iova : rx.last_fault_iova;
	v[X_PE_GROUP] = (uint64_t)p->group;
	v[X_PE_FREEZES] = p->freezes;
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		xstat_model_values(p, v);
}

static int smn_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	unsigned int count = xstat_count();
	uint64_t v[X_COUNT];

	if (xs == NULL || n < count)
		return (int)count;
	xstat_values(port_of(dev), v);
	for (unsigned int i = 0; i < count; i++) {
		xs[i].id = i;
		xs[i].value = v[i];
	}
	return (int)count;
}

static const struct eth_dev_ops smn_ops = {
	.dev_configure = smn_configure,
	.dev_infos_get = smn_infos_get,
	.dev_start = smn_start,
	.dev_stop = smn_stop,
	.dev_close = smn_close,
	.dev_reset = smn_reset,
	.link_update = smn_link_update,
	.promiscuous_enable = smn_ok,
	.promiscuous_disable = smn_ok,
	.allmulticast_enable = smn_ok,
	.allmulticast_disable = smn_ok,
	.mtu_set = smn_mtu_set,
	.mac_addr_set = smn_mac_set,
	.rx_queue_setup = smn_rx_setup,
	.tx_queue_setup = smn_tx_setup,
	.rx_queue_release = smn_rx_release,
	.tx_queue_release = smn_tx_release,
	.stats_get = SPAPR_COMPAT_STATS_GET_OP(smn_stats_get),
	.stats_reset = smn_stats_reset,
	.xstats_get = smn_xstats_get,
	.xstats_get_names = smn_xstats_names,
	.xstats_reset = smn_stats_reset,
};

/*
 * A secondary process (dpdk-proc-info, dpdk-pdump, dpdk-dumpcap) sees the
 * port: information, link, statistics. Everything that reaches the device
 * needs the model, which lives in the primary's heap: configuration, start
 * and stop are not offered (ethdev answers -ENOTSUP), and the burst
 * functions refuse (doc/nic-model.md).
 */
static const struct eth_dev_ops smn_secondary_ops = {
	.dev_infos_get = smn_infos_get,
	.link_update = smn_link_update,
	.stats_get = SPAPR_COMPAT_STATS_GET_OP(smn_stats_get),
	.stats_reset = smn_stats_reset,
	.xstats_get = smn_xstats_get,
	.xstats_get_names = smn_xstats_names,
	.xstats_reset = smn_stats_reset,
};

/* ---- probe ---- */

struct smn_args {
	int group;
	char peer[RTE_DEV_NAME_MAX_LEN];
	unsigned int gen;
	uint64_t gen_total;
	uint16_t gen_len;
	uint64_t fault_at;
};

static int arg_u64(const char *key, const char *value, void *out)
{
	char *end;
	unsigned long long v;

	(void)key;
	if (value == NULL || value[0] == '\0' || value[0] == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(value, &end, 0);
	if (errno || *end != '\0')
		return -EINVAL;
	*(uint64_t *)out = v;
	return 0;
}

static int arg_str(const char *key, const char *value, void *out)
{
	(void)key;
	if (value == NULL || strlen(value) >= RTE_DEV_NAME_MAX_LEN)
		return -EINVAL;
	strcpy(out, value);
	return 0;
}

static int parse_args(struct rte_vdev_device *vdev, struct smn_args *a)
{
	const char *params = rte_vdev_device_args(vdev);
	uint64_t group = 0, gen = 32, total = 0, len = 64, fault_at = 0;
	struct rte_kvargs *kv;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	if (params != NULL && params[0] != '\0') {
		kv = rte_kvargs_parse(params, smn_args);
		if (kv == NULL) {
			SMN_LOG(ERR, "%s: bad devargs '%s': accepted keys are group, peer, gen, gen_total, gen_len, fault_at\n",
				rte_vdev_device_name(vdev), params);
			return -EINVAL;
		}
		rc = rte_kvargs_process(kv, ARG_GROUP, arg_u64, &group);
		if (rc == 0)
			rc = rte_kvargs_process(kv, ARG_PEER, arg_str, a->peer);
		if (rc == 0)
			rc = rte_kvargs_process(kv, ARG_GEN, arg_u64, &gen);
		if (rc == 0)
			rc = rte_kvargs_process(kv, ARG_GEN_TOTAL, arg_u64, &total);
		if (rc == 0)
			rc = rte_kvargs_process(kv, ARG_GEN_LEN, arg_u64, &len);
		if (rc == 0)
			rc = rte_kvargs_process(kv, ARG_FAULT_AT, arg_u64, &fault_at);
		rte_kvargs_free(kv);
	}
	if (rc || group > INT32_MAX || gen > 4096 || len < 60 || len > SMN_FRAME_MAX) {
		SMN_LOG(ERR, "%s: bad devargs '%s': group=<n>, peer=<vdev>, gen=0..4096, gen_total=<n>, gen_len=60..%d, fault_at=<n>\n",
			rte_vdev_device_name(vdev), params, SMN_FRAME_MAX);
		return -EINVAL;
	}
	a->group = (int)group;
	a->gen = (unsigned int)gen;
	a->gen_total = total;
	a->gen_len = (uint16_t)len;
	a->fault_at = fault_at;
	return 0;
}

static int free_slot(void)
{
	for (unsigned int i = 0; i < SMN_MAX_PORTS; i++)
		if (smn_ports[i] == NULL)
			return (int)i;
	return -1;
}

static int smn_attach_secondary(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *dev = rte_eth_dev_attach_secondary(name);

	if (dev == NULL) {
		SMN_LOG(ERR, "%s: the primary process has no such port\n", name);
		return -ENODEV;
	}
	dev->device = &vdev->device;
	dev->dev_ops = &smn_secondary_ops;
	dev->rx_pkt_burst = smn_burst_secondary;
	dev->tx_pkt_burst = smn_burst_secondary;
	rte_eth_dev_probing_finish(dev);
	SMN_LOG(DEBUG, "%s: port %u attached in a secondary process (statistics only)\n",
		name, dev->data->port_id);
	return 0;
}

static int smn_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct spapr_model *model = rte_spapr_model();
	struct rte_eth_dev *dev;
	struct smn_port *p;
	struct smn_args a;
	int slot, rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return smn_attach_secondary(vdev);
	if (model == NULL || rte_spapr_status() != 0) {
		SMN_LOG(ERR, "%s: needs the spapr EAL plugin in model mode, loaded before this driver: "
			"-d librte_bus_spapr.so -a bus=spapr,backend=model (plugin status: %s)\n",
			name, model == NULL ? "no model" : rte_spapr_error());
		return -ENODEV;
	}
	rc = parse_args(vdev, &a);
	if (rc)
		return rc;
	if (spapr_model_pe_state(model, a.group) < 0) {
		SMN_LOG(ERR, "%s: the host model has no PE/group %d\n", name, a.group);
		return -EINVAL;
	}
	slot = free_slot();
	if (slot < 0)
		return -ENOSPC;
	dev = rte_eth_vdev_allocate(vdev, sizeof(*p));
	if (dev == NULL)
		return -ENOMEM;
	p = dev->data->dev_private;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->peer_name, sizeof(p->peer_name), "%s", a.peer);
	p->port_id = dev->data->port_id;
	p->index = (unsigned int)slot;
	p->model = model;
	p->group = a.group;
	p->gen_burst = a.gen;
	p->gen_total = a.gen_total;
	p->gen_len = a.gen_len;
	p->fault_at = a.fault_at;
	p->mac = (struct rte_ether_addr){ .addr_bytes = { 0x02, 0x53, 0x50, 0x4d, 0x00, (uint8_t)p->index } };
	dev->data->mac_addrs = &p->mac;
	dev->data->promiscuous = 1;
	dev->data->all_multicast = 1;
	dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->dev_ops = &smn_ops;
	dev->rx_pkt_burst = smn_rx_burst;
	dev->tx_pkt_burst = smn_tx_burst;
	smn_ports[slot] = p;
	/* A port attached again: the cable goes back into its running peer. */
	for (unsigned int i = 0; i < SMN_MAX_PORTS; i++)
		if (smn_ports[i] != NULL && smn_ports[i]->started && smn_ports[i]->peer == NULL &&
		    find_peer(smn_ports[i]) == p)
			smn_ports[i]->peer = p;
	rte_eth_dev_probing_finish(dev);
	SMN_LOG(INFO, "%s: port %u, PE/group %d, traffic source keeps %u frames waiting (%s)\n",
		name, p->port_id, p->group, p->gen_burst, p->gen_total ? "limited" : "unlimited");
	return 0;
}

static int smn_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;
	smn_close(dev);
	return rte_eth_dev_release_port(dev);
}

static struct rte_vdev_driver smn_driver = {
	.probe = smn_probe,
	.remove = smn_remove,
};

RTE_PMD_REGISTER_VDEV(net_spapr_model, smn_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_spapr_model,
	"group=<int> peer=<vdev> gen=<int> gen_total=<int> gen_len=<int> fault_at=<int>");

/* ---- public API ---- */

static struct smn_port *port_by_id(uint16_t port_id)
{
	for (unsigned int i = 0; i < SMN_MAX_PORTS; i++)
		if (smn_ports[i] != NULL && smn_ports[i]->port_id == port_id)
			return smn_ports[i];
	return NULL;
}

int rte_pmd_spapr_model_group(uint16_t port_id)
{
	struct smn_port *p = port_by_id(port_id);

	return p != NULL ? p->group : -ENODEV;
}

int rte_pmd_spapr_model_gen(uint16_t port_id, unsigned int burst, uint64_t total)
{
	struct smn_port *p = port_by_id(port_id);

	if (p == NULL)
		return -ENODEV;
	p->gen_burst = burst;
	p->gen_total = total;
	for (unsigned int i = 0; i < SMN_MAX_QUEUES; i++) {
		struct smn_rxq *q = p->rxq[i];

		if (q == NULL)
			continue;
		rte_spinlock_lock(&q->lock);
		q->gen_left = total ? total : UINT64_MAX;
		rte_spinlock_unlock(&q->lock);
	}
	return 0;
}
