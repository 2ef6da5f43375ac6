/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_capacity.c - what the process MAY come to map, and the allocation
 * validator that keeps DPDK's memory growth within what the windows can
 * still map.
 *
 * An indirect window has a fixed size: memory DPDK adds after init that
 * does not fit it cannot be mapped. DPDK gives a memory event callback no
 * way to refuse an allocation (rte_mem_event_callback_t returns void in
 * 22.11, 24.11 and 25.11), and memory left with RTE_BAD_IOVA is not safe:
 * mempool populate (rte_mempool.c get_iova) then falls back to
 * rte_mem_virt2iova(), the physical address, which no indirect window
 * maps. So the window is planned for what DPDK may allocate, and an
 * allocation validator (checked by malloc_heap.c alloc_pages_on_heap()
 * before any page is taken) refuses growth the windows cannot map: the
 * allocation fails as out of memory, with nothing allocated or mapped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "spapr_priv.h"
#include "spapr_util.h"

#define VALIDATOR_NAME "spapr_bus"

/* Per NUMA node: DPDK's own memory (heap of that socket) and its limits. */
static struct node_capacity {
	uint64_t present;	/* pages DPDK holds now; = the socket heap's total_size */
	uint64_t va;		/* DPDK's VA reservation: its memseg lists */
	uint64_t page_sizes;	/* bit n set: the lists use 2^n pages */
	bool validator;		/* the allocation validator is registered */
} nodes[RTE_MAX_NUMA_NODES];

static int node_of(int socket)
{
	return socket >= 0 && socket < RTE_MAX_NUMA_NODES ? socket : -1;
}

static int list_walk(const struct rte_memseg_list *msl, void *arg)
{
	struct node_capacity *seen = arg;
	int s = node_of(msl->socket_id);

	if (msl->external || s < 0 || msl->page_sz == 0)
		return 0;
	seen[s].va += msl->len;
	seen[s].page_sizes |= msl->page_sz;
	return 0;
}

static int seg_walk(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	struct node_capacity *seen = arg;
	int s = node_of(msl->socket_id);

	if (!msl->external && s >= 0)
		seen[s].present += ms->len;
	return 0;
}

/*
 * Free hugepages of @pgsz on @node: the node's count, or the system's on a
 * kernel without NUMA. -1 when @pgsz is no hugepage size (--no-huge).
 */
static long hugepages_free(int node, uint64_t pgsz)
{
	char path[128];
	long n;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/hugepages/hugepages-%" PRIu64 "kB/free_hugepages",
		 node, pgsz >> 10);
	n = spapr_read_long(path, -1);
	if (n >= 0)
		return n;
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64
		 "kB/free_hugepages", pgsz >> 10);
	return spapr_read_long(path, -1);
}

/* What DPDK may hold on node @s: its pages now + the free hugepages, within its VA. */
static uint64_t node_may_use(const struct node_capacity *n, int s, bool *by_va)
{
	uint64_t hp = n->present;
	bool huge = false;

	for (unsigned int b = 0; b < 64; b++) {
		long free_pages;

		if (!((n->page_sizes >> b) & 1))
			continue;
		free_pages = hugepages_free(s, 1ull << b);
		if (free_pages > 0)
			hp += (uint64_t)free_pages << b;
		huge |= free_pages >= 0;
	}
	*by_va = huge && n->va < hp;
	return huge ? RTE_MIN(n->va, hp) : n->present;
}

/* Append node @s to the list in @buf ("0", "0,1"). */
static void list_node(char *buf, size_t len, int s)
{
	size_t off = strlen(buf);

	if (off < len)
		snprintf(buf + off, len - off, "%s%d", off ? "," : "", s);
}

void spapr_capacity_plan(struct spapr_capacity *cap)
{
	char by_hp[32] = "", by_va[32] = "";
	uint64_t present = 0, may = 0;
	struct node_capacity seen[RTE_MAX_NUMA_NODES] = { 0 };

	memset(cap, 0, sizeof(*cap));
	/* Device hotplug plans under DPDK's memory lock and the plugin's
	 * (spapr_mem_locked): no second read lock, no second mutex lock. */
	if (RTE_PER_LCORE(spapr_mem_locked))
		rte_memseg_list_walk_thread_unsafe(list_walk, seen);
	else
		rte_memseg_list_walk(list_walk, seen);
	spapr_memseg_walk(seg_walk, seen);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		bool va;

		if (!seen[s].va && !seen[s].present)
			continue;
		present += seen[s].present;
		may += node_may_use(&seen[s], s, &va);
		list_node(va ? by_va : by_hp, va ? sizeof(by_va) : sizeof(by_hp), s);
	}
	/* The validator reads these under the lock the memory events take
	 * (after the EAL's, which the walks above take): taken here only
	 * after the walks, and only when hotplug does not hold it already. */
	if (!RTE_PER_LCORE(spapr_mem_locked))
		spapr_mem_lock();
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		nodes[s].present = seen[s].present;
		nodes[s].va = seen[s].va;
		nodes[s].page_sizes = seen[s].page_sizes;
	}
	if (!RTE_PER_LCORE(spapr_mem_locked))
		spapr_mem_unlock();
	cap->growth = may > present ? may - present : 0;
	if (by_va[0] && !by_hp[0])
		snprintf(cap->bound, sizeof(cap->bound), "DPDK's VA reservation on node %s", by_va);
	else if (by_va[0])
		snprintf(cap->bound, sizeof(cap->bound), "hugepages free on node %s, "
			 "DPDK's VA reservation on node %s", by_hp, by_va);
	else
		snprintf(cap->bound, sizeof(cap->bound), "hugepages free on node %s", by_hp);
	/* Static memory (--legacy-mem, --no-huge) does not grow, but external
	 * memory and rte_spapr_dma_map need room too: at least 3x the memory. */
	if (cap->growth < 3 * spapr.mem_bytes) {
		cap->growth = 3 * spapr.mem_bytes;
		snprintf(cap->bound, sizeof(cap->bound), "3x the %" PRIu64 " MiB present",
			 spapr.mem_bytes >> 20);
	}
}

/* ---- the allocation validator ---- */

/*
 * Bytes of new memory every container can still map: IOVA left in indirect
 * windows (a direct window covers every address the memory can have), and
 * what RLIMIT_MEMLOCK leaves, since new memory is registered (§3.5).
 */
uint64_t spapr_capacity_room(void)
{
	uint64_t room = UINT64_MAX, registered = 0, tables = 0;

	for (unsigned int i = 0; i < spapr.ncont; i++) {
		struct spapr_dma_stats st;
		struct spapr_dma_plan p;

		spapr_dma_container_plan(spapr.cont[i].c, &p);
		spapr_dma_container_stats(spapr.cont[i].c, &st);
		if (p.mode == SPAPR_DMA_MODE_INDIRECT)
			room = RTE_MIN(room, st.iova_free);
		registered = RTE_MAX(registered, st.bytes_registered);
		tables += st.table_bytes_charged;
	}
	if (spapr.memlock_limit != SPAPR_DMA_UNLIMITED && spapr.memlock_limit != 0)
		room = RTE_MIN(room, spapr.memlock_limit > registered + tables ?
			       spapr.memlock_limit - registered - tables : 0);
	return room;
}

/*
 * Called by the EAL under its memory hotplug lock before it takes pages
 * for socket @socket, whose heap would then hold @new_len bytes; the
 * memory event of a granted allocation comes under the same lock, so the
 * room cannot change in between (but for rte_spapr_dma_map in another
 * thread).
 */
static int validate(int socket, size_t cur_limit, size_t new_len)
{
	int s = node_of(socket);
	uint64_t grow, room;

	(void)cur_limit;
	if (s < 0)
		return 0;
	spapr_mem_lock();
	grow = new_len > nodes[s].present ? new_len - nodes[s].present : 0;
	room = spapr_capacity_room();
	spapr_mem_unlock();
	if (grow <= room)
		return 0;
	/* Applications probe with large pools and retry smaller ones (OVS, and
	 * DPDK itself in smaller pieces): this is their out-of-memory, not a
	 * plugin failure. Said once at INFO, then at DEBUG; all counted. */
	if (spapr.growth_denied++ == 0)
		SPAPR_LOG(INFO, "memory growth of %" PRIu64 " KiB on socket %d denied: the DMA "
			  "window(s) can map only %" PRIu64 " KiB more, so the allocation fails as "
			  "out of memory (later denials are logged at DEBUG level and counted in "
			  "growth_denied)\n", grow >> 10, socket, room >> 10);
	else
		SPAPR_LOG(DEBUG, "memory growth of %" PRIu64 " KiB on socket %d denied (room %"
			  PRIu64 " KiB)\n", grow >> 10, socket, room >> 10);
	return -1;
}

/* The heap of @msl's socket grew or shrank by @len (memory events). */
void spapr_capacity_track(const struct rte_memseg_list *msl, uint64_t len, bool grow)
{
	int s = node_of(msl->socket_id);

	if (msl->external || s < 0)
		return;
	if (grow)
		nodes[s].present += len;
	else
		nodes[s].present -= RTE_MIN(nodes[s].present, len);
}

/*
 * One validator per node with DPDK memory lists, limit 0: DPDK calls it
 * for every growth (eal_memalloc_mem_alloc_validate() calls validators
 * whose limit <= the heap's new size) and it decides by the room left.
 * Static memory (--legacy-mem, --no-huge) has no validators (ENOTSUP) and
 * never grows. Secondary processes grow through the primary, whose
 * validator decides.
 */
int spapr_capacity_start(void)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY || spapr.ncont == 0)
		return 0;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		if (!nodes[s].va)
			continue;
		if (rte_mem_alloc_validator_register(VALIDATOR_NAME, validate, s, 0) == 0) {
			nodes[s].validator = true;
			continue;
		}
		if (rte_errno == ENOTSUP)
			return 0;
		spapr_fail(-rte_errno, "cannot register the memory allocation validator of "
			   "socket %d: %s", s, rte_strerror(rte_errno));
		spapr_capacity_stop();
		return spapr.status;
	}
	return 0;
}

void spapr_capacity_stop(void)
{
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (nodes[s].validator)
			rte_mem_alloc_validator_unregister(VALIDATOR_NAME, s);
	memset(nodes, 0, sizeof(nodes));
}
