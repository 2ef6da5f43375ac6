/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smn_device.c - the device side of net_spapr_model: a NIC function behind
 * a PE of the POWER host model.
 *
 * Every access to host memory (descriptors, packet data, write-backs) goes
 * through spapr_model_dma_read/write with an IOVA: translated through the
 * PE's TCE windows, checked for the TCE read/write bit, and on a fault the
 * PE freezes (EEH) and every later access of any function in that PE fails
 * with -EIO until a PE reset. Nothing here dereferences a host virtual
 * address: the only memory the device touches directly is its own (ring
 * registers, the FIFO holding one frame, the traffic-source template).
 *
 * Per forwarded frame of L bytes: TX descriptor read (16), frame read (L),
 * peer RX descriptor read (16), frame write (L), RX write-back (16), TX
 * write-back (16): 6 checked accesses, 2L + 64 bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "smn.h"
#include "spapr_model.h"

/* The driver learns of a freeze from the failed access (on POWER: MMIO
 * reads return all ones); log the first one with the way out. */
static int dma_error(struct smn_port *p, struct smn_dev_stats *st, int rc, uint64_t iova)
{
	if (rc == -EFAULT) {
		st->dma_faults++;
		st->last_fault_iova = iova;
	} else {
		st->dma_frozen++;
	}
	if (!p->frozen) {
		p->frozen = true;
		p->freezes++;
		SMN_LOG(ERR, "%s: DMA %s at IOVA 0x%" PRIx64 ": PE %d frozen (EEH); recover with "
			"'port stop %u', 'port reset %u', 'port start %u'\n", p->name,
			rc == -EFAULT ? "fault" : "refused (PE already frozen)", iova, p->group,
			p->port_id, p->port_id, p->port_id);
	}
	return rc;
}

static int dma_read(struct smn_port *p, struct smn_dev_stats *st, uint64_t iova,
		    void *dst, size_t len)
{
	int rc = spapr_model_dma_read(p->model, p->group, iova, dst, len);

	st->dma_checks++;
	if (unlikely(rc))
		return dma_error(p, st, rc, iova);
	st->dma_bytes += len;
	return 0;
}

static int dma_write(struct smn_port *p, struct smn_dev_stats *st, uint64_t iova,
		     const void *src, size_t len)
{
	int rc = spapr_model_dma_write(p->model, p->group, iova, src, len);

	st->dma_checks++;
	if (unlikely(rc))
		return dma_error(p, st, rc, iova);
	st->dma_bytes += len;
	return 0;
}

/*
 * RX engine of @q (its lock held): take the next posted descriptor, write
 * the frame to its buffer and write the descriptor back with DD.
 * -ENOSPC: no descriptor posted (the frame is dropped on the wire).
 */
static int rx_deliver(struct smn_rxq *q, const void *frame, uint16_t len)
{
	struct smn_port *p = q->port;
	struct smn_desc d;
	uint64_t diova;
	uint16_t n = len, flags = SMN_DESC_DD | SMN_DESC_EOP;
	int rc;

	if (q->head == q->tail)
		return -ENOSPC;
	diova = q->ring_iova + (uint64_t)(q->head % q->nb_desc) * sizeof(d);
	rc = dma_read(p, &q->dev, diova, &d, sizeof(d));
	if (rc)
		return rc;
	if (n > rte_le_to_cpu_16(d.len)) {
		n = rte_le_to_cpu_16(d.len);
		flags |= SMN_DESC_ERR;
		q->dev.truncated++;
	}
	rc = dma_write(p, &q->dev, rte_le_to_cpu_64(d.addr), frame, n);
	if (rc)
		return rc;
	d.len = rte_cpu_to_le_16(n);
	d.flags = rte_cpu_to_le_16(flags);
	rc = dma_write(p, &q->dev, diova, &d, sizeof(d));
	if (rc)
		return rc;
	q->head++;
	return 0;
}

/* Over the wire into the peer's RX queue of the same number (or 0). */
static void wire_send(struct smn_port *p, uint16_t qid, const void *frame, uint16_t len,
		      struct smn_dev_stats *tx)
{
	struct smn_port *peer = p->peer;
	struct smn_rxq *pq;
	int rc;

	if (peer == NULL || !peer->started || peer->nb_rxq == 0) {
		tx->wire_drops++;	/* no one at the other end */
		return;
	}
	pq = peer->rxq[qid % peer->nb_rxq];
	if (pq == NULL) {
		tx->wire_drops++;
		return;
	}
	rte_spinlock_lock(&pq->lock);
	rc = rx_deliver(pq, frame, len);
	if (rc == 0)
		pq->dev.wire_packets++;
	else if (rc == -ENOSPC)
		pq->dev.wire_drops++;
	rte_spinlock_unlock(&pq->lock);
}

int smn_dev_tx_process(struct smn_txq *q)
{
	struct smn_port *p = q->port;

	while (q->head != q->db_tail) {
		uint64_t diova = q->ring_iova + (uint64_t)(q->head % q->nb_desc) * sizeof(struct smn_desc);
		struct smn_desc d;
		uint16_t len;
		int rc;

		rc = dma_read(p, &q->dev, diova, &d, sizeof(d));
		if (rc)
			return rc;
		len = RTE_MIN(rte_le_to_cpu_16(d.len), (uint16_t)SMN_FRAME_MAX);
		rc = dma_read(p, &q->dev, rte_le_to_cpu_64(d.addr), q->fifo, len);
		if (rc)
			return rc;
		wire_send(p, q->qid, q->fifo, len, &q->dev);
		d.flags = rte_cpu_to_le_16(rte_le_to_cpu_16(d.flags) | SMN_DESC_DD);
		rc = dma_write(p, &q->dev, diova, &d, sizeof(d));
		if (rc)
			return rc;
		q->head++;
	}
	return 0;
}

/*
 * The far end of the wire sends frames: Ethernet to this port's MAC from
 * a locally administered address, EtherType 0x88B5 (local experimental),
 * then "SPMD", the port index, a 64-bit sequence number and a byte pattern
 * that receivers can verify.
 */
static void gen_frame(const struct smn_rxq *q, uint8_t *f, uint16_t len)
{
	const struct smn_port *p = q->port;
	uint32_t idx = rte_cpu_to_be_32(p->index);
	uint64_t seq = rte_cpu_to_be_64(q->gen_seq);

	memcpy(f, p->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(f + 6, p->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	f[6] = 0x06;
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, "SPMD", 4);
	memcpy(f + 18, &idx, 4);
	memcpy(f + 22, &seq, 8);
	for (uint16_t i = 30; i < len; i++)
		f[i] = (uint8_t)(q->gen_seq + i);
}

/*
 * The far end keeps @n frames waiting in the RX ring (flow-controlled, so the
 * source itself never overruns the ring): frames the device wrote and the
 * driver has not taken are head - (tail - nb_desc), both device registers.
 */
unsigned int smn_dev_generate(struct smn_rxq *q, unsigned int n)
{
	uint8_t frame[SMN_FRAME_MAX];
	uint16_t len = q->port->gen_len;
	unsigned int k = 0;

	while (q->head - (q->tail - q->nb_desc) < n && q->gen_left > 0) {
		gen_frame(q, frame, len);
		if (rx_deliver(q, frame, len) != 0)
			break;
		q->gen_seq++;
		q->gen_left--;
		q->dev.gen_packets++;
		k++;
	}
	return k;
}
