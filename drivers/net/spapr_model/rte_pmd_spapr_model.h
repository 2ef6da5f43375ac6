/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_pmd_spapr_model.h - net_spapr_model: a NIC function behind a PE of the
 * POWER host model, whose every DMA goes through the model's IOMMU check
 * (see doc/nic-model.md).
 *
 * Needs librte_bus_spapr.so with backend=model (loaded first):
 *   dpdk-testpmd -l 0-1 -m 128 --no-pci --iova-mode=pa -d librte_bus_spapr.so \
 *       -d librte_net_spapr_model.so -a bus=spapr,backend=model,profile=powernv9 \
 *       --vdev net_spapr_model0 --vdev net_spapr_model1 -- -i
 *
 * Devargs (--vdev net_spapr_modelN,key=value,...):
 *   group=<n>       the model PE / IOMMU group of the function (default 0)
 *   peer=<name>     the vdev at the other end of the wire (default: ports
 *                   are paired in probe order: 1st-2nd, 3rd-4th, ...)
 *   gen=<n>         built-in traffic source at the far end of the wire: it
 *                   keeps n frames waiting in each RX queue (written through
 *                   the device's DMA before each RX poll; flow-controlled, so
 *                   it never overruns the ring) (default 32; 0 = off)
 *   gen_total=<n>   frames the source sends per RX queue, then stops
 *                   (default 0 = unlimited)
 *   gen_len=<n>     frame length, 60..2048 (default 64)
 *   fault_at=<n>    fault injection: the driver posts its n-th TX frame with
 *                   an IOVA that is in no window (0x7ff000000000, a "driver
 *                   bug"); the device faults on it and the PE freezes (0 = off)
 *
 * Extended statistics (rte_eth_xstats_get_by_name): rx_gen_packets,
 * rx_wire_packets, rx_wire_drops, rx_truncated, tx_wire_drops, dma_checks,
 * dma_bytes, dma_faults, dma_frozen_rejects, dma_last_fault_iova,
 * pe_group, pe_state (VFIO_EEH_PE_STATE_*), pe_frozen, pe_freezes, pe_resets,
 * pe_dma_checks, pe_dma_bytes, pe_faults (the whole PE), and the host
 * model's kernel-operation counters host_* (ioctls, REGISTER, CREATE, MAP,
 * TCE writes, invalidations, hypercalls, OPAL calls, pinned pages).
 *
 * EEH: a DMA fault freezes the PE; the ports of that PE stop moving frames
 * and count errors. Recovery: rte_eth_dev_reset() (testpmd "port reset")
 * resets the PE (spapr_model_pe_reset), then start the port again.
 */
#ifndef RTE_PMD_SPAPR_MODEL_H
#define RTE_PMD_SPAPR_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The model PE (IOMMU group) of @port_id; -ENODEV if not a net_spapr_model port. */
int rte_pmd_spapr_model_group(uint16_t port_id);

/**
 * Re-arm the traffic source of every RX queue of @port_id: keep @burst frames
 * waiting (0 = off), @total frames per queue (0 = unlimited). Takes effect at once,
 * also on a started port. 0 or -ENODEV.
 */
int rte_pmd_spapr_model_gen(uint16_t port_id, unsigned int burst, uint64_t total);

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_SPAPR_MODEL_H */
