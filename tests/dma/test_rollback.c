/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_rollback.c - what the engine says and does when undoing fails, when
 * memory must go whatever the kernel says, when teardown fails, and when
 * the kernel itself keeps TCEs it reported cleared (pseries H_PUT_TCE).
 * Every case is one the engine got wrong before: the state changed while
 * the error said "nothing changed", or the engine handed out IOVAs whose
 * TCEs were gone, or teardown reported success.
 */
#include "dma_world.h"

struct bed {
	struct world w;
	struct spapr_dma_mem_region base[4], hot;
	struct spapr_dma_container *c;
};

/* powernv9 (or @profile), @mode, 1 GiB of 2 MiB pages mapped, one container,
 * and 64 MiB of 2 MiB pages at 0x7000000000 declared (not added). */
static int bed_up(struct bed *b, const char *profile, enum spapr_dma_mode mode)
{
	struct spapr_dma_policy pol = { .mode = mode, .indirect_reserve = 1 * GiB,
					.direct_top = 0x7000000000ull + 256 * MiB };
	int g = 0;

	memset(b, 0, sizeof(*b));
	regions_fill(b->base, 1, VA_BASE, 1 * GiB, 21);
	regions_fill(&b->hot, 1, 0x7000000000ull, 64 * MiB, 21);
	if (world_init(&b->w, profile, &pol) || world_map_mem(&b->w, b->base, 1) ||
	    world_map_mem(&b->w, &b->hot, 1) || spapr_dma_mem_add(b->w.ctx, b->base, 1, NULL))
		return -1;
	return spapr_dma_container_create(b->w.ctx, b->w.be, &g, 1, &b->c, NULL);
}

static uint64_t locked_now(struct bed *b)
{
	struct spapr_model_mm_info mi;

	spapr_model_mm_info(b->w.m, 0, &mi);
	return mi.locked_vm_pages << b->w.prof.system_page_shift;
}

static unsigned int regions_now(struct bed *b)
{
	struct spapr_model_mm_info mi;

	spapr_model_mm_info(b->w.m, 0, &mi);
	return mi.regions;
}

/* The hot range as 32 regions of 2 MiB, read-only and read-write in turn:
 * one registration, 32 MAPs (a MAP has one permission). */
static unsigned int hot_pieces(struct bed *b, struct spapr_dma_mem_region *r)
{
	unsigned int i;

	regions_fill(r, 32, b->hot.va, 2 * MiB, 21);
	for (i = 0; i < 32; i += 2)
		r[i].prot = SPAPR_DMA_READ;
	return 32;
}

/* bed_up (powernv9, indirect) with the hot range added as hot_pieces(). */
static int bed_up_pieces(struct bed *b, struct spapr_dma_mem_region *r)
{
	if (bed_up(b, "powernv9", SPAPR_DMA_MODE_INDIRECT))
		return -1;
	return spapr_dma_mem_add(b->w.ctx, r, hot_pieces(b, r), NULL);
}

/* ---- 1. memory that must go: the forced removal ---- */

/* DPDK frees the pages whatever we answer: the engine must unmap what it
 * can, forget the memory, and say exactly what stayed mapped. */
static void test_forced_remove_unmap_fails(void)
{
	struct spapr_dma_mem_region r[32];
	struct spapr_dma_error err;
	struct bed b;
	uint64_t iova0, locked0;
	unsigned int n;
	int rc;

	T_ERR(bed_up(&b, "powernv9", SPAPR_DMA_MODE_INDIRECT), 0);
	n = hot_pieces(&b, r);
	locked0 = locked_now(&b);
	T_ERR(spapr_dma_mem_add(b.w.ctx, r, n, NULL), 0);
	iova0 = spapr_dma_iova(b.c, b.hot.va);
	/* The second of the hot range's 32 UNMAPs fails. */
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_UNMAP_DMA, 2, EIO, 1), 0);
	rc = spapr_dma_mem_remove_forced(b.w.ctx, b.hot.va, b.hot.len, &err);
	spapr_model_fault_clear(b.w.m);
	T_EQ(rc, -EIO);
	T_EQ(err.step_id, SPAPR_DMA_STEP_UNMAP);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_LEFT_BEHIND);
	T_EQU(err.leak.mapped_bytes, 2 * MiB);
	T_CHECK(dma_faults(&b.w, 0, iova0));		/* the first piece is gone */
	T_CHECK(!dma_faults(&b.w, 0, iova0 + 2 * MiB));	/* the second stayed */
	/* The registration is kept (unregistering it would orphan it). */
	T_EQU(err.leak.registered_bytes, b.hot.len);
	T_EQU(err.leak.quarantined_bytes, err.leak.mapped_bytes);
	T_EQ(err.leak.broken, 1);
	T_CHECK(spapr_dma_container_broken(b.c));
	T_CHECK(err.leak.what[0] != 0);
	/* Forgotten: no IOVA for it; the memory that stayed is still there. */
	T_EQU(spapr_dma_iova(b.c, b.hot.va), SPAPR_DMA_BAD_IOVA);
	T_EQU(locked_now(&b) - locked0, b.hot.len);
	/* A broken container refuses further hotplug with a clear error. */
	rc = spapr_dma_mem_add(b.w.ctx, &b.hot, 1, &err);
	T_EQ(rc, -EIO);
	T_EQ(err.step_id, SPAPR_DMA_STEP_BROKEN);
	T_CHECK(err.remedy[0] != 0);
	/* Destroy gets back what the failure left: the window's REMOVE clears
	 * the TCE, then the kept registration goes. */
	T_ERR(spapr_dma_container_destroy(b.c, &err), 0);
	T_EQ(regions_now(&b), 0);
	world_fini(&b.w);
}

/* The ordinary case: everything unmapped and unregistered, the old IOVA
 * faults, and the same VA can be added again. */
static void test_forced_remove_clean(void)
{
	struct spapr_dma_error err;
	struct bed b;
	uint64_t iova, locked0;

	T_ERR(bed_up(&b, "powernv9", SPAPR_DMA_MODE_INDIRECT), 0);
	locked0 = locked_now(&b);
	T_ERR(spapr_dma_mem_add(b.w.ctx, &b.hot, 1, NULL), 0);
	iova = spapr_dma_iova(b.c, b.hot.va);
	T_ERR(spapr_dma_mem_remove_forced(b.w.ctx, b.hot.va, b.hot.len, &err), 0);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_CLEAN);
	T_EQU(locked_now(&b), locked0);
	T_CHECK(dma_faults(&b.w, 0, iova));
	T_ERR(spapr_dma_mem_add(b.w.ctx, &b.hot, 1, NULL), 0);
	b.base[1] = b.hot;
	T_EQ(verify_all(&b.w, 0, b.c, b.base, 2, 16), 0);
	world_fini(&b.w);
}

/* The forced removal's UNREGISTER fails: the registration stays in the
 * kernel while DPDK may later reuse the VA. Growth at the same VA must
 * still work: the engine retries the stale UNREGISTER first. */
static void test_forced_remove_unregister_fails(void)
{
	struct spapr_dma_error err;
	struct bed b;
	uint64_t locked0;
	int rc;

	T_ERR(bed_up(&b, "powernv9", SPAPR_DMA_MODE_INDIRECT), 0);
	locked0 = locked_now(&b);
	T_ERR(spapr_dma_mem_add(b.w.ctx, &b.hot, 1, NULL), 0);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_UNREGISTER_MEMORY, 1, EIO, 1), 0);
	rc = spapr_dma_mem_remove_forced(b.w.ctx, b.hot.va, b.hot.len, &err);
	spapr_model_fault_clear(b.w.m);
	T_EQ(rc, -EIO);
	T_EQ(err.step_id, SPAPR_DMA_STEP_UNREGISTER);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_LEFT_BEHIND);
	T_EQU(err.leak.registered_bytes, b.hot.len);
	T_EQU(err.leak.mapped_bytes, 0);
	T_CHECK(!spapr_dma_container_broken(b.c));
	T_EQU(locked_now(&b) - locked0, b.hot.len);
	T_ERR(spapr_dma_mem_add(b.w.ctx, &b.hot, 1, &err), 0);
	T_EQU(locked_now(&b) - locked0, b.hot.len);
	b.base[1] = b.hot;
	T_EQ(verify_all(&b.w, 0, b.c, b.base, 2, 16), 0);
	world_fini(&b.w);
}

/* ---- 2. a rollback that fails is reported, and the engine resyncs ---- */

/* UNMAP #2 fails, the undo's MAP fails: the first piece is no longer mapped
 * while the engine still held it. It must stop handing out its IOVA. */
static void test_remove_undo_fails(void)
{
	struct spapr_dma_mem_region r[32];
	struct spapr_dma_error err;
	struct bed b;
	int rc;

	T_ERR(bed_up_pieces(&b, r), 0);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_UNMAP_DMA, 2, EIO, 1), 0);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_MAP_DMA, 1, ENOMEM, 1), 0);
	rc = spapr_dma_mem_remove(b.w.ctx, b.hot.va, b.hot.len, &err);
	spapr_model_fault_clear(b.w.m);
	T_EQ(rc, -EIO);
	T_EQ(err.step_id, SPAPR_DMA_STEP_UNMAP);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_UNDO_FAILED);
	T_EQ(err.leak.undo_step, SPAPR_DMA_STEP_MAP);
	T_EQ(err.leak.undo_err, ENOMEM);
	T_CHECK(err.leak.lost_bytes > 0);
	T_EQ(err.leak.broken, 1);
	T_CHECK(spapr_dma_container_broken(b.c));
	/* No IOVA handed out by a container that cannot vouch for its TCEs. */
	T_EQU(spapr_dma_iova(b.c, r[0].va), SPAPR_DMA_BAD_IOVA);
	T_EQU(spapr_dma_iova(b.c, b.base[0].va), SPAPR_DMA_BAD_IOVA);
	rc = spapr_dma_mem_remove(b.w.ctx, b.hot.va, b.hot.len, &err);
	T_EQ(rc, -EIO);
	T_EQ(err.step_id, SPAPR_DMA_STEP_BROKEN);
	world_fini(&b.w);
}

/* MAP #2 of a hotplug fails, the undo's UNMAP fails: a TCE stays. */
static void test_add_undo_fails(void)
{
	struct spapr_dma_mem_region r[32];
	struct spapr_dma_error err;
	struct bed b;
	unsigned int n;
	int rc;

	T_ERR(bed_up(&b, "powernv9", SPAPR_DMA_MODE_INDIRECT), 0);
	n = hot_pieces(&b, r);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_MAP_DMA, 2, EIO, 1), 0);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_UNMAP_DMA, 1, EIO, 1), 0);
	rc = spapr_dma_mem_add(b.w.ctx, r, n, &err);
	spapr_model_fault_clear(b.w.m);
	T_EQ(rc, -EIO);
	T_EQ(err.step_id, SPAPR_DMA_STEP_MAP);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_UNDO_FAILED);
	T_EQ(err.leak.undo_step, SPAPR_DMA_STEP_UNMAP);
	T_CHECK(err.leak.mapped_bytes > 0);
	T_EQ(err.leak.broken, 1);
	T_CHECK(spapr_dma_container_broken(b.c));
	world_fini(&b.w);
}

/* A container create whose MAP fails and whose undo's REMOVE fails: the
 * window stays; the error must say so (the container is gone). */
static void test_create_undo_fails(void)
{
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_DIRECT };
	struct spapr_dma_mem_region r[1];
	struct spapr_dma_container *c;
	struct spapr_dma_error err;
	struct world w;
	int g = 0, rc;

	regions_fill(r, 1, VA_BASE, 1 * GiB, 21);
	T_ERR(world_init(&w, "powernv9", &pol), 0);
	T_ERR(world_map_mem(&w, r, 1), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, r, 1, NULL), 0);
	T_ERR(spapr_model_fault_inject(w.m, SPAPR_MODEL_OP_MAP_DMA, 1, EIO, 1), 0);
	/* REMOVE #1 frees the pending default window; #2 is the undo's. */
	T_ERR(spapr_model_fault_inject(w.m, SPAPR_MODEL_OP_TCE_REMOVE, 2, EIO, 1), 0);
	rc = spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err);
	spapr_model_fault_clear(w.m);
	T_EQ(rc, -EIO);
	T_EQ(err.step_id, SPAPR_DMA_STEP_MAP);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_UNDO_FAILED);
	T_EQ(err.leak.undo_step, SPAPR_DMA_STEP_REMOVE);
	T_EQ(err.leak.windows, 1);
	world_fini(&w);
}

/* ---- 3. teardown tries everything and reports every failure ---- */

/* REMOVE fails, the UNMAPs that follow succeed: destroy used to return 0. */
static void test_destroy_remove_fails(void)
{
	struct spapr_dma_error err;
	struct bed b;
	int rc;

	T_ERR(bed_up(&b, "powernv9", SPAPR_DMA_MODE_INDIRECT), 0);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_TCE_REMOVE, 1, EIO, 1), 0);
	rc = spapr_dma_container_destroy(b.c, &err);
	spapr_model_fault_clear(b.w.m);
	T_EQ(rc, -EIO);
	T_EQ(err.step_id, SPAPR_DMA_STEP_REMOVE);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_LEFT_BEHIND);
	/* The window stays until the container closes; its TCEs were cleared
	 * and the memory unregistered. */
	T_EQ(err.leak.windows, 1);
	T_EQU(err.leak.mapped_bytes, 0);
	T_EQU(err.leak.registered_bytes, 0);
	T_EQ(regions_now(&b), 0);
	T_EQ(spapr_dma_ctx_containers(b.w.ctx), 0);
	world_fini(&b.w);
}

/* REMOVE and one UNMAP fail: the registrations that UNMAP does not touch
 * must still be unregistered, and the handles closed. */
static void test_destroy_unmap_fails(void)
{
	struct spapr_model_counters mc;
	struct spapr_dma_mem_region r[32];
	struct spapr_dma_error err;
	struct bed b;
	int rc;

	T_ERR(bed_up_pieces(&b, r), 0);
	T_EQ(regions_now(&b), 2);
	spapr_model_counters_reset(b.w.m);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_TCE_REMOVE, 1, EIO, 1), 0);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_UNMAP_DMA, 1, EIO, 1), 0);
	rc = spapr_dma_container_destroy(b.c, &err);
	spapr_model_fault_clear(b.w.m);
	T_EQ(rc, -EIO);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_LEFT_BEHIND);
	T_CHECK(err.leak.failures >= 2);
	T_CHECK(err.leak.mapped_bytes > 0);
	/* The hot registration was unregistered; the base one, still mapped,
	 * was kept (unregistering it would orphan it); closing the container
	 * released it (tce_iommu_release). */
	spapr_model_counters(b.w.m, &mc);
	T_EQU(mc.ops[SPAPR_MODEL_OP_UNREGISTER_MEMORY], 1);
	T_EQU(err.leak.registered_bytes, 1 * GiB);
	T_EQ(regions_now(&b), 0);
	world_fini(&b.w);
}

/* ---- 4. pseries: the kernel ignores a failed H_PUT_TCE ---- */

/* The first H_GET_TCE of the removal's UNMAP fails: tce_iommu_clear() skips
 * that TCE and returns 0; UNREGISTER then orphans the registration. The
 * engine must notice (locked_vm did not drop), say what stays locked, and
 * never hand that IOVA out again. */
static void test_pseries_orphan(void)
{
	struct spapr_dma_error err;
	struct spapr_dma_mem_region again;
	struct bed b;
	uint64_t iova, locked0, start, size;
	int rc;

	T_ERR(bed_up(&b, "pseries-kvm", SPAPR_DMA_MODE_INDIRECT), 0);
	locked0 = locked_now(&b);
	T_ERR(spapr_dma_mem_add(b.w.ctx, &b.hot, 1, NULL), 0);
	iova = spapr_dma_iova(b.c, b.hot.va);
	T_ERR(spapr_model_fault_inject(b.w.m, SPAPR_MODEL_OP_HCALL, 1, EIO, 1), 0);
	rc = spapr_dma_mem_remove(b.w.ctx, b.hot.va, b.hot.len, &err);
	spapr_model_fault_clear(b.w.m);
	T_EQ(rc, -EBUSY);
	T_EQ(err.step_id, SPAPR_DMA_STEP_UNREGISTER);
	T_EQ(err.outcome, SPAPR_DMA_OUTCOME_LEFT_BEHIND);
	T_EQU(err.leak.locked_bytes, b.hot.len);
	T_CHECK(err.leak.quarantined_bytes >= b.hot.len);
	T_CHECK(strstr(err.leak.what, "exits") != NULL);
	T_EQU(locked_now(&b) - locked0, b.hot.len);
	/* The engine forgot the memory ... */
	T_EQU(spapr_dma_iova(b.c, b.hot.va), SPAPR_DMA_BAD_IOVA);
	/* ... and the IOVA a TCE may still hold is never handed out again. */
	regions_fill(&again, 1, 0x7100000000ull, 64 * MiB, 21);
	T_ERR(world_map_mem(&b.w, &again, 1), 0);
	T_ERR(spapr_dma_mem_add(b.w.ctx, &again, 1, NULL), 0);
	start = spapr_dma_iova(b.c, again.va);
	T_CHECK(start + again.len <= iova || start >= iova + b.hot.len);
	spapr_dma_container_window(b.c, NULL, &size, NULL);
	T_CHECK(size > 0);
	world_fini(&b.w);
}

/* pseries, indirect: half of a registration is removed. Nothing proves its
 * TCEs cleared until the registration goes, so its IOVA is held back (first
 * fit would hand it out again); once the other half is removed and
 * locked_vm dropped by the whole registration, the IOVA is free again. */
static void test_pseries_held_iova(void)
{
	struct spapr_dma_mem_region half[2], other;
	struct bed b;
	uint64_t iova0;

	T_ERR(bed_up(&b, "pseries-kvm", SPAPR_DMA_MODE_INDIRECT), 0);
	regions_fill(half, 2, b.hot.va, b.hot.len / 2, 21);
	regions_fill(&other, 1, 0x7100000000ull, b.hot.len / 2, 21);
	T_ERR(world_map_mem(&b.w, &other, 1), 0);
	T_ERR(spapr_dma_mem_add(b.w.ctx, half, 2, NULL), 0);
	iova0 = spapr_dma_iova(b.c, half[0].va);
	T_ERR(spapr_dma_mem_remove(b.w.ctx, half[0].va, half[0].len, NULL), 0);
	T_ERR(spapr_dma_mem_add(b.w.ctx, &other, 1, NULL), 0);
	T_CHECK(spapr_dma_iova(b.c, other.va) != iova0);
	T_ERR(spapr_dma_mem_remove(b.w.ctx, other.va, other.len, NULL), 0);
	T_ERR(spapr_dma_mem_remove(b.w.ctx, half[1].va, half[1].len, NULL), 0);
	T_ERR(spapr_dma_mem_add(b.w.ctx, &other, 1, NULL), 0);
	T_EQU(spapr_dma_iova(b.c, other.va), iova0);
	world_fini(&b.w);
}

int main(void)
{
	T_RUN(test_forced_remove_clean);
	T_RUN(test_forced_remove_unmap_fails);
	T_RUN(test_forced_remove_unregister_fails);
	T_RUN(test_remove_undo_fails);
	T_RUN(test_add_undo_fails);
	T_RUN(test_create_undo_fails);
	T_RUN(test_destroy_remove_fails);
	T_RUN(test_destroy_unmap_fails);
	T_RUN(test_pseries_orphan);
	T_RUN(test_pseries_held_iova);
	return t_finish();
}
