/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smn_rxtx.c - the driver side of net_spapr_model's fast path: what a real
 * PMD does. RX descriptors hold the IOVA of an mbuf's data room
 * (rte_mbuf_data_iova_default), TX descriptors the IOVA of the frame
 * (rte_mbuf_data_iova); the rings are memzones (rte_eth_dma_zone_reserve)
 * whose IOVA the device is given. The driver reads and writes its rings by
 * virtual address; a doorbell hands the work to the device (smn_device.c),
 * which runs inline in the burst call.
 *
 * No per-packet work depends on the IOMMU: with the plugin, IOVAs come from
 * DPDK's memsegs exactly as without it.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "smn.h"

static inline void desc_post_rx(struct smn_desc *d, struct rte_mbuf *m, uint16_t buf_len)
{
	d->addr = rte_cpu_to_le_64(rte_mbuf_data_iova_default(m));
	d->len = rte_cpu_to_le_16(buf_len);
	d->flags = 0;
	d->rsvd = 0;
}

static void rx_generate(struct smn_rxq *q)
{
	struct smn_port *p = q->port;

	if (p->gen_burst && q->gen_left)
		smn_dev_generate(q, p->gen_burst);
}

uint16_t smn_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t nb)
{
	struct smn_rxq *q = rxq;
	struct smn_port *p = q->port;
	uint16_t n = 0;

	if (unlikely(p->frozen || !p->started))
		return 0;
	rte_spinlock_lock(&q->lock);
	rx_generate(q);
	while (n < nb) {
		uint32_t idx = (uint32_t)(q->next % q->nb_desc);
		struct smn_desc *d = &q->ring[idx];
		uint16_t flags = rte_le_to_cpu_16(d->flags), len;
		struct rte_mbuf *m, *fresh;

		if (!(flags & SMN_DESC_DD))
			break;
		fresh = rte_mbuf_raw_alloc(q->mp);
		if (unlikely(fresh == NULL)) {
			p->nombuf++;
			break;
		}
		m = q->sw_ring[idx];
		len = rte_le_to_cpu_16(d->len);
		q->sw_ring[idx] = fresh;
		desc_post_rx(d, fresh, q->buf_len);
		q->next++;
		if (unlikely(flags & SMN_DESC_ERR)) {
			q->errors++;
			rte_pktmbuf_free(m);
			continue;
		}
		rte_pktmbuf_reset(m);
		m->pkt_len = len;
		m->data_len = len;
		m->port = p->port_id;
		q->packets++;
		q->bytes += len;
		pkts[n++] = m;
	}
	q->tail = q->next + q->nb_desc;	/* doorbell: every consumed descriptor is re-posted */
	rte_spinlock_unlock(&q->lock);
	return n;
}

/* Free the mbufs of descriptors the device has written back. */
static void tx_reap(struct smn_txq *q)
{
	while (q->clean != q->tail) {
		uint32_t idx = (uint32_t)(q->clean % q->nb_desc);
		struct rte_mbuf *m;

		if (!(rte_le_to_cpu_16(q->ring[idx].flags) & SMN_DESC_DD))
			break;
		m = q->sw_ring[idx];
		q->sw_ring[idx] = NULL;
		q->packets++;
		q->bytes += m->pkt_len;
		rte_pktmbuf_free(m);
		q->clean++;
	}
}

uint16_t smn_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t nb)
{
	struct smn_txq *q = txq;
	struct smn_port *p = q->port;
	uint16_t n, i;

	if (unlikely(p->frozen || !p->started))
		return 0;
	tx_reap(q);
	n = (uint16_t)RTE_MIN((uint64_t)nb, q->nb_desc - (q->tail - q->clean));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t idx = (uint32_t)(q->tail % q->nb_desc);
		struct smn_desc *d = &q->ring[idx];

		if (unlikely(m->nb_segs != 1 || m->data_len > SMN_FRAME_MAX)) {
			q->errors++;	/* single-segment frames only */
			rte_pktmbuf_free(m);
			continue;
		}
		d->addr = rte_cpu_to_le_64(rte_mbuf_data_iova(m));
		if (unlikely(++p->tx_posted == p->fault_at))
			d->addr = rte_cpu_to_le_64(SMN_BAD_IOVA);	/* injected driver bug */
		d->len = rte_cpu_to_le_16(m->data_len);
		d->flags = rte_cpu_to_le_16(SMN_DESC_EOP);
		d->rsvd = 0;
		q->sw_ring[idx] = m;
		q->tail++;
	}
	rte_wmb();	/* descriptors before the doorbell */
	q->db_tail = q->tail;
	smn_dev_tx_process(q);
	tx_reap(q);
	return n;
}

int smn_rxq_start(struct smn_rxq *q)
{
	for (uint16_t i = 0; i < q->nb_desc; i++) {
		struct rte_mbuf *m = rte_mbuf_raw_alloc(q->mp);

		if (m == NULL) {
			smn_rxq_stop(q);
			return -ENOMEM;
		}
		q->sw_ring[i] = m;
		desc_post_rx(&q->ring[i], m, q->buf_len);
	}
	rte_spinlock_lock(&q->lock);
	q->ring_iova = q->mz->iova;
	q->next = 0;
	q->head = 0;
	q->tail = q->nb_desc;
	q->gen_left = q->port->gen_total ? q->port->gen_total : UINT64_MAX;
	rte_spinlock_unlock(&q->lock);
	return 0;
}

void smn_rxq_stop(struct smn_rxq *q)
{
	rte_spinlock_lock(&q->lock);
	q->head = q->tail = q->next = 0;	/* nothing posted: the wire drops */
	for (uint16_t i = 0; i < q->nb_desc; i++) {
		if (q->sw_ring[i] != NULL)
			rte_pktmbuf_free(q->sw_ring[i]);
		q->sw_ring[i] = NULL;
	}
	memset(q->ring, 0, sizeof(*q->ring) * q->nb_desc);
	rte_spinlock_unlock(&q->lock);
}

void smn_txq_start(struct smn_txq *q)
{
	memset(q->ring, 0, sizeof(*q->ring) * q->nb_desc);
	q->tail = q->clean = q->head = q->db_tail = 0;
	q->ring_iova = q->mz->iova;
}

/* Frames the device never completed (a frozen PE) are lost: TX errors. */
void smn_txq_stop(struct smn_txq *q)
{
	tx_reap(q);
	while (q->clean != q->tail) {
		uint32_t idx = (uint32_t)(q->clean % q->nb_desc);

		if (q->sw_ring[idx] != NULL)
			rte_pktmbuf_free(q->sw_ring[idx]);
		q->sw_ring[idx] = NULL;
		q->errors++;
		q->clean++;
	}
	q->tail = q->clean = q->head = q->db_tail = 0;
}

/*
 * A secondary process cannot reach the device: its DMA goes through the
 * host model, which lives in the primary's heap. A burst there moves
 * nothing and says so once per process (a burst function cannot fail).
 * Captures (dpdk-pdump, dpdk-dumpcap) run in the primary's burst calls.
 */
uint16_t smn_burst_secondary(void *queue, struct rte_mbuf **pkts, uint16_t nb)
{
	static bool said;

	RTE_SET_USED(queue);
	RTE_SET_USED(pkts);
	RTE_SET_USED(nb);
	if (!said)
		SMN_LOG(ERR, "rx/tx burst in a secondary process: not supported, the device model "
			"lives in the primary process; nothing is received or sent (doc/nic-model.md)\n");
	said = true;
	return 0;
}
