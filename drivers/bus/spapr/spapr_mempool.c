/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_mempool.c - mempool populate refuses memory that no window maps.
 *
 * DPDK cannot be made to refuse external memory: the allocation validators
 * run only for the internal heaps (malloc_heap.c alloc_pages_on_heap), and
 * rte_malloc_heap_memory_add() puts the pages in the heap before the ALLOC
 * event, whose callback returns void (malloc_heap_add_external_memory).
 * rte_extmem_register() fires no event at all. Memory the plugin could not
 * map keeps ms->iova = RTE_BAD_IOVA, and mempool populate then takes the
 * physical address (rte_mempool.c get_iova() -> rte_mem_virt2iova()), as it
 * does for anonymous memory (rte_mempool_populate_anon): mbufs would carry
 * an IOVA no window maps, and the first DMA to one freezes the PE.
 *
 * Mempool population is the point where every mbuf gets its IOVA, and DPDK
 * checks its result: each chunk goes through the populate callback of the
 * pool's ops (rte_mempool_ops_populate(), the default helper when the ops
 * have none). The plugin wraps that callback in every registered ops entry
 * (rte_mempool_ops_table, public in 22.11, 24.11 and 25.11, same layout):
 * a chunk whose [iova, iova+len) is not mapped to its own bytes in every
 * container is refused. Enqueue and dequeue are left alone, so the packet
 * path costs nothing.
 *
 * The refusal returns 0 objects, not an error: rte_mempool_populate_iova()
 * (22.11, 24.11, 25.11) keeps the callback's result in an unsigned count,
 * and a negative one leaves the chunk's header in the pool, whose free
 * then releases the memzone that rte_mempool_populate_default() releases
 * again. With 0 the
 * chunk is dropped cleanly, populate_virt goes on with the next chunk, and
 * a pool left short fails: rte_mempool_populate_default() and
 * rte_pktmbuf_pool_create() with ENOBUFS, rte_mempool_populate_anon()
 * with 0 objects and rte_errno ENOBUFS.
 */
#include <errno.h>
#include <inttypes.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_memory.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "spapr_priv.h"

/* The callbacks the plugin wrapped, per ops index (NULL: DPDK's default). */
static rte_mempool_populate_t orig_populate[RTE_MEMPOOL_MAX_OPS_IDX];
static bool wrapped[RTE_MEMPOOL_MAX_OPS_IDX];

/* Memory of a DPDK heap (internal or external), which the plugin maps. */
static bool heap_memory(const void *va)
{
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(va);

	return msl != NULL && (!msl->external || msl->heap);
}

/* True if every container maps [va, va+len) at [iova, iova+len). */
static bool chunk_mapped(uint64_t va, uint64_t iova, uint64_t len)
{
	bool ok = true;

	spapr_mem_lock();
	for (unsigned int i = 0; i < spapr.ncont && ok; i++)
		ok = spapr_dma_iova_range(spapr.cont[i].c, va, len) == iova;
	spapr_mem_unlock();
	return ok;
}

/*
 * RTE_BAD_IOVA is allowed only in a pool that asked for no IOVA
 * (RTE_MEMPOOL_F_NO_IOVA_CONTIG: DPDK populates it so, and it is not for
 * devices). Elsewhere it is memory the plugin could not map, or memory
 * whose physical address DPDK could not read (rte_mempool_populate_anon),
 * and the mbufs would carry RTE_BAD_IOVA plus their offset as IOVA.
 */
static bool chunk_allowed(const struct rte_mempool *mp, void *vaddr, rte_iova_t iova, size_t len)
{
	if (spapr.ncont == 0)
		return true;	/* nothing set up (iommu=off): IOVA = PA everywhere */
	if (iova == RTE_BAD_IOVA)
		return (mp->flags & RTE_MEMPOOL_F_NO_IOVA_CONTIG) != 0;
	return chunk_mapped((uint64_t)(uintptr_t)vaddr, iova, len);
}

static void log_refusal(const struct rte_mempool *mp, void *vaddr, rte_iova_t iova, size_t len)
{
	const char *what = heap_memory(vaddr) ?
		"memory of a DPDK heap that the DMA window(s) could not map (an external heap "
		"added past the room or with pages smaller than the TCEs: see the 'memory "
		"growth ... cannot be mapped' error)" : iova == RTE_BAD_IOVA ?
		"memory without an IOVA in a pool that wants IOVAs (create a pool no device "
		"uses with RTE_MEMPOOL_F_NO_IOVA_CONTIG)" :
		"memory DPDK does not map (the application's own, rte_mempool_populate_anon, "
		"or rte_extmem_register without its window IOVAs)";

	if (spapr.populate_refused++ == 0)
		SPAPR_LOG(ERR, "mempool %s: chunk %p (+%zu bytes, IOVA 0x%" PRIx64 ") refused: "
			  "it is %s, and devices given its IOVAs would fault; the pool is not "
			  "populated from it (its creation fails with ENOBUFS when nothing else "
			  "fills it). Use memory the windows map: a DPDK heap within the room the "
			  "plan line gives, or rte_spapr_dma_map() with rte_spapr_dma_iova() as the "
			  "IOVAs (later refusals are logged at DEBUG level and counted in "
			  "populate_refused)\n", mp->name, vaddr, len, (uint64_t)iova, what);
	else
		SPAPR_LOG(DEBUG, "mempool %s: chunk %p (+%zu bytes, IOVA 0x%" PRIx64 ") refused: "
			  "not mapped\n", mp->name, vaddr, len, (uint64_t)iova);
}

static int guarded_populate(struct rte_mempool *mp, unsigned int max_objs, void *vaddr,
			    rte_iova_t iova, size_t len, rte_mempool_populate_obj_cb_t *obj_cb,
			    void *obj_cb_arg)
{
	rte_mempool_populate_t fn = mp->ops_index >= 0 &&
		mp->ops_index < RTE_MEMPOOL_MAX_OPS_IDX ? orig_populate[mp->ops_index] : NULL;

	if (!chunk_allowed(mp, vaddr, iova, len)) {
		log_refusal(mp, vaddr, iova, len);
		return 0;
	}
	if (fn != NULL)
		return fn(mp, max_objs, vaddr, iova, len, obj_cb, obj_cb_arg);
	return rte_mempool_op_populate_default(mp, max_objs, vaddr, iova, len, obj_cb,
					       obj_cb_arg);
}

/*
 * Every ops entry registered by now: the EAL loads every driver (and so
 * every mempool driver's constructor has run) before it probes a bus, and
 * no mempool exists before the probe. A secondary process populates no
 * pool of the primary's and has no container to check against.
 */
void spapr_mempool_guard_start(void)
{
	struct rte_mempool_ops_table *t = &rte_mempool_ops_table;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return;
	rte_spinlock_lock(&t->sl);
	for (unsigned int i = 0; i < t->num_ops && i < RTE_MEMPOOL_MAX_OPS_IDX; i++) {
		if (wrapped[i])
			continue;
		orig_populate[i] = t->ops[i].populate;
		t->ops[i].populate = guarded_populate;
		wrapped[i] = true;
	}
	rte_spinlock_unlock(&t->sl);
}

/* Give back the callbacks, unless someone wrapped them after the plugin. */
void spapr_mempool_guard_stop(void)
{
	struct rte_mempool_ops_table *t = &rte_mempool_ops_table;

	rte_spinlock_lock(&t->sl);
	for (unsigned int i = 0; i < RTE_MEMPOOL_MAX_OPS_IDX; i++) {
		if (!wrapped[i])
			continue;
		if (t->ops[i].populate == guarded_populate)
			t->ops[i].populate = orig_populate[i];
		else
			SPAPR_LOG(WARNING, "mempool ops %s: populate callback replaced after the "
				  "plugin's; left as it is\n", t->ops[i].name);
		orig_populate[i] = NULL;
		wrapped[i] = false;
	}
	rte_spinlock_unlock(&t->sl);
}
