/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_test.h - what the net_spapr_model tests in the real EAL share: port
 * set-up, xstats by name, and the check of a traffic-source frame.
 */
#ifndef NET_TEST_H
#define NET_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "spapr_model.h"

/* One RX and one TX queue of @nb_desc descriptors, RX buffers from @mp, started. */
static inline int net_port_setup(uint16_t port, struct rte_mempool *mp, uint16_t nb_desc)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, nb_desc, 0, NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, nb_desc, 0, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	return rc;
}

/* The xstat @name of @port, UINT64_MAX if it has none. */
static inline uint64_t net_xstat(uint16_t port, const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

/*
 * A frame of @len bytes exactly as a traffic source sent it (EtherType
 * 0x88B5, "SPMD", source port index, sequence, byte pattern:
 * doc/nic-model.md); the source port index in *@src_port.
 */
static inline bool net_frame_ok(const struct rte_mbuf *m, unsigned int len, uint16_t *src_port)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t idx;
	uint64_t seq;

	if (m->pkt_len != len || memcmp(f + 14, "SPMD", 4) != 0 || f[12] != 0x88 || f[13] != 0xb5)
		return false;
	memcpy(&idx, f + 18, 4);
	memcpy(&seq, f + 22, 8);
	seq = rte_be_to_cpu_64(seq);
	*src_port = (uint16_t)rte_be_to_cpu_32(idx);
	for (unsigned int i = 30; i < len; i++)
		if (f[i] != (uint8_t)(seq + i))
			return false;
	return true;
}

/*
 * What the model's kernel charges the process (mm 0) for: locked_vm less the
 * charges of failed CREATEs, which the kernel keeps until the process exits
 * (§3.6 step 8) and the plugin reports; those; registrations.
 */
struct net_mm {
	uint64_t locked_pages, leaked_pages, registered;
	unsigned int regions, orphans;
};

static inline void net_mm_get(struct spapr_model *m, struct net_mm *s)
{
	struct spapr_model_mm_info mi;

	memset(s, 0, sizeof(*s));
	if (spapr_model_mm_info(m, 0, &mi) != 0)
		return;
	s->locked_pages = mi.locked_vm_pages - mi.leaked_pages;
	s->leaked_pages = mi.leaked_pages;
	s->registered = mi.registered_bytes;
	s->regions = mi.regions;
	s->orphans = mi.orphaned_regions;
}

#endif /* NET_TEST_H */
