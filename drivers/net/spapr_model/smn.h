/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smn.h - private state of net_spapr_model (see doc/nic-model.md).
 *
 * Two halves share these structures:
 *   - the driver (smn_ethdev.c, smn_rxtx.c) posts descriptors holding IOVAs
 *     into rings that live in DMA memory (memzones) and reads them back by
 *     virtual address, as any PMD does;
 *   - the device (smn_device.c) reaches host memory only by IOVA through
 *     the host model's device-side DMA (spapr_model_dma_read/write), which
 *     translates through the PE's TCE tables, checks permissions and
 *     freezes the PE (EEH) on a fault. Its own state (ring registers, the
 *     wire FIFO) is "device memory".
 */
#ifndef SMN_H
#define SMN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_dev.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_spinlock.h>

struct spapr_model;

extern int smn_logtype;
#define SMN_LOG(level, ...) \
	rte_log(RTE_LOG_ ## level, smn_logtype, "net_spapr_model: " __VA_ARGS__)

#define SMN_MAX_PORTS 32
#define SMN_MAX_QUEUES 4
#define SMN_RING_MIN 64
#define SMN_RING_MAX 4096
#define SMN_RING_DEFAULT 1024
#define SMN_FRAME_MAX 2048	/* device FIFO: one frame */
/* fault_at=: an IOVA in no window of any profile and in no host memory. */
#define SMN_BAD_IOVA UINT64_C(0x7ff000000000)

/* Descriptor, 16 bytes little-endian, in DMA memory (like most NICs). */
struct smn_desc {
	uint64_t addr;		/* buffer IOVA */
	uint16_t len;		/* TX: frame length; RX: buffer size, then frame length */
	uint16_t flags;
	uint32_t rsvd;
};
#define SMN_DESC_DD  0x1	/* done: written back by the device */
#define SMN_DESC_EOP 0x2	/* end of packet */
#define SMN_DESC_ERR 0x4	/* RX: frame longer than the buffer (truncated) */

/* Device-side counters of one port (what its DMA engines did). */
struct smn_dev_stats {
	uint64_t dma_checks;	/* DMA accesses issued through the model */
	uint64_t dma_bytes;
	uint64_t dma_faults;	/* accesses that faulted (translation/permission) */
	uint64_t dma_frozen;	/* accesses refused: PE frozen */
	uint64_t gen_packets;	/* frames from the built-in traffic source */
	uint64_t wire_packets;	/* frames received from the peer over the wire */
	uint64_t wire_drops;	/* frames from the wire with no RX descriptor */
	uint64_t truncated;
	uint64_t last_fault_iova;
};

struct smn_port;

struct smn_rxq {
	struct smn_port *port;
	uint16_t qid;
	uint16_t nb_desc;
	struct rte_mempool *mp;
	uint16_t buf_len;
	const struct rte_memzone *mz;
	struct smn_desc *ring;		/* driver view (VA) */
	struct rte_mbuf **sw_ring;
	/* Free-running 64-bit counters (index = counter % nb_desc): they never
	 * wrap, so any ring size works. */
	uint64_t next;			/* driver: next descriptor to check */
	/* device registers: ring base, head (next to fill), tail doorbell */
	rte_spinlock_t lock;		/* device writes vs driver reads: a 16-byte
					 * PCIe write is atomic, a memcpy is not */
	uint64_t ring_iova;
	uint64_t head, tail;
	/* built-in traffic source (the far end of the wire) */
	uint64_t gen_seq;
	uint64_t gen_left;
	struct smn_dev_stats dev;	/* this queue's device RX engine */
	/* driver counters */
	uint64_t packets, bytes, errors;
};

struct smn_txq {
	struct smn_port *port;
	uint16_t qid;
	uint16_t nb_desc;
	const struct rte_memzone *mz;
	struct smn_desc *ring;
	struct rte_mbuf **sw_ring;
	uint64_t tail;			/* driver: next to post */
	uint64_t clean;			/* driver: next to reap */
	uint64_t ring_iova;		/* device register */
	uint64_t db_tail;		/* device register: the doorbell */
	uint64_t head;			/* device: next to process */
	uint8_t fifo[SMN_FRAME_MAX];	/* device memory */
	struct smn_dev_stats dev;	/* this queue's device TX engine */
	uint64_t packets, bytes, errors;
};

struct smn_port {
	char name[RTE_DEV_NAME_MAX_LEN];
	uint16_t port_id;
	unsigned int index;		/* probe order: wire peer is index ^ 1 */
	struct spapr_model *model;
	int group;			/* the PE of this function */
	char peer_name[RTE_DEV_NAME_MAX_LEN];
	struct smn_port *peer;
	bool started;
	volatile bool frozen;		/* driver saw a DMA fault / frozen PE */
	uint64_t seen_resets;		/* PE resets when the rings were set up */
	/* built-in traffic source */
	unsigned int gen_burst;		/* frames kept waiting per RX queue, 0 = off */
	uint64_t gen_total;		/* per queue, 0 = unlimited */
	uint16_t gen_len;
	uint64_t fault_at;		/* post the n-th TX frame with a bad IOVA (0 = never) */
	uint64_t tx_posted;
	struct rte_ether_addr mac;
	uint16_t nb_rxq, nb_txq;
	struct smn_rxq *rxq[SMN_MAX_QUEUES];
	struct smn_txq *txq[SMN_MAX_QUEUES];
	uint64_t resets;		/* dev_reset calls */
	uint64_t freezes;		/* times the driver found the PE frozen */
	uint64_t nombuf;		/* RX: no mbuf to re-post */
};

/* smn_device.c: the device side. 0, or -errno of the DMA that failed. */
int smn_dev_tx_process(struct smn_txq *q);
/* With q->lock held: the traffic source tops @q up to @n waiting frames. */
unsigned int smn_dev_generate(struct smn_rxq *q, unsigned int n);

/* smn_rxtx.c: the driver's fast path and ring set-up. */
uint16_t smn_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t nb);
uint16_t smn_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t nb);
/* RX and TX in a secondary process: no packet moves (the model is the primary's). */
uint16_t smn_burst_secondary(void *queue, struct rte_mbuf **pkts, uint16_t nb);
int smn_rxq_start(struct smn_rxq *q);
void smn_rxq_stop(struct smn_rxq *q);
void smn_txq_start(struct smn_txq *q);
void smn_txq_stop(struct smn_txq *q);

#endif /* SMN_H */
