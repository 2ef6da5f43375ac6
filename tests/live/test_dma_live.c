/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dma_live - the lib/dma engine on a real container (tests/system suite "dma").
 *
 *   test_dma_live --backend vfio --group N [--group M]     (POWER, e.g. the
 *       QEMU guest of tests/system: the real kernel's VFIO sPAPR TCE v2)
 *   test_dma_live --backend model --profile P [--set k=v]  (any host: the
 *       host model with the matching profile)
 *
 * The same cases run on both, on REAL memory of this process (anonymous
 * mmaps, hugetlb when available) placed at low addresses so a 1:1 window
 * stays small: a 256 MiB reservation at the first free GiB from 1 GiB, or at
 * --arena ADDR (the host suite gives the model the guest's base, so both
 * plan the same windows and their "@@ L" details can be compared). On the model every mapping is declared as a VMA with its host
 * pointer, so the model sees the VMAs the kernel would see.
 *
 * Each case prints `@@ L <case> ok|FAIL|skip <detail>`, the end
 * `@@ T pass=N fail=N skip=N`. Exit 0 when nothing failed, 1 on any FAIL,
 * 77 when nothing could run (no group, no /dev/vfio).
 *
 * Locked memory is compared with what the engine's plan says it charges
 * (§5.3): VmLck of /proc/self/status on the kernel (mm->locked_vm,
 * charged even for root), the model's per-mm counter on the model.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live_env.h"

#define MiB (1ull << 20)

static struct live L;

/* Case 1 leaves its engine for case 2; its plan sizes case 6's limit. */
static struct {
	struct spapr_dma_ctx *ctx;
	struct spapr_dma_container *c;
	struct spapr_dma_mem_region r;
	struct spapr_dma_plan plan;
	int64_t base;
	bool ready;
} one;

/* ---- helpers ---- */

static uint64_t ops_now(unsigned int op)
{
	return L.cb.n[op];
}

static const char *err_text(const struct spapr_dma_error *e)
{
	static char buf[2 * SPAPR_DMA_TEXT + 64];

	spapr_dma_error_format(e, buf, sizeof(buf));
	return buf;
}

static struct spapr_dma_ctx *ctx_new(const struct spapr_dma_policy *pol)
{
	struct spapr_dma_policy zero = { 0 };

	return spapr_dma_ctx_create(&L.plat, pol ? pol : &zero);
}

/* Add @n regions, then a container on the first @ngroups groups. */
static int engine_up(struct live_case *cs, struct spapr_dma_ctx *ctx,
		     const struct spapr_dma_mem_region *r, unsigned int n,
		     unsigned int ngroups, struct spapr_dma_container **c)
{
	struct spapr_dma_error e = { 0 };
	int rc = spapr_dma_mem_add(ctx, r, n, &e);

	LCHECK(cs, rc == 0, "mem_add: %s", err_text(&e));
	if (rc)
		return rc;
	rc = spapr_dma_container_create(ctx, &L.cb.be, L.groups, ngroups, c, &e);
	LCHECK(cs, rc == 0, "container_create: %s", err_text(&e));
	return rc;
}

/* Destroy the container, remove the regions, destroy the ctx. */
static void engine_down(struct live_case *cs, struct spapr_dma_ctx *ctx,
			struct spapr_dma_container *c,
			const struct spapr_dma_mem_region *r, unsigned int n)
{
	struct spapr_dma_error e = { 0 };
	int rc;

	if (c) {
		rc = spapr_dma_container_destroy(c, &e);
		LCHECK(cs, rc == 0, "container_destroy: %s", err_text(&e));
	}
	for (unsigned int i = 0; i < n; i++) {
		rc = spapr_dma_mem_remove(ctx, r[i].va, r[i].len, &e);
		LCHECK(cs, rc == 0, "mem_remove 0x%" PRIx64 ": %s", r[i].va, err_text(&e));
	}
	spapr_dma_ctx_destroy(ctx);
}

static void unmap_all(const struct spapr_dma_mem_region *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		live_mem_unmap(&L, &r[i]);
}

/* Model only: a device in @group writes @va's IOVA and the bytes land in
 * the process's memory (the model moves real bytes through its TCEs). */
static void device_write_check(struct live_case *cs, int group, uint64_t iova, uint64_t va)
{
	uint64_t pattern = 0x1122334455667788ull ^ va, got;
	int rc;

	if (!L.model)
		return;
	rc = spapr_model_dma_write(L.m, group, iova, &pattern, sizeof(pattern));
	memcpy(&got, (void *)(uintptr_t)va, sizeof(got));
	LCHECK(cs, rc == 0 && got == pattern, "device write to IOVA 0x%" PRIx64 " (va 0x%" PRIx64
	       "): rc %d", iova, va, rc);
}

/*
 * Every IOMMU page of every region translates: direct, IOVA = start + VA
 * (the plan's rule); indirect, inside the window, contiguous per region,
 * regions not overlapping. First and last byte of every page.
 */
static void check_translation(struct live_case *cs, const struct spapr_dma_container *c,
			      const struct spapr_dma_mem_region *r, unsigned int n, int group)
{
	struct spapr_dma_plan p;
	uint64_t start, size, pg;
	unsigned int shift;

	spapr_dma_container_plan(c, &p);
	spapr_dma_container_window(c, &start, &size, &shift);
	pg = 1ull << shift;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t base = spapr_dma_iova(c, r[i].va);

		LCHECK(cs, base != SPAPR_DMA_BAD_IOVA, "va 0x%" PRIx64 " not mapped", r[i].va);
		if (base == SPAPR_DMA_BAD_IOVA)
			continue;
		if (p.mode == SPAPR_DMA_MODE_DIRECT)
			LCHECK(cs, base == start + r[i].va, "direct: iova 0x%" PRIx64 " != start 0x%"
			       PRIx64 " + va 0x%" PRIx64, base, start, r[i].va);
		LCHECK(cs, base >= start && base - start + r[i].len <= size,
		       "iova 0x%" PRIx64 "+0x%" PRIx64 " outside window 0x%" PRIx64 "+0x%" PRIx64,
		       base, r[i].len, start, size);
		for (uint64_t off = 0; off < r[i].len; off += pg) {
			uint64_t a = spapr_dma_iova(c, r[i].va + off);
			uint64_t b = spapr_dma_iova(c, r[i].va + off + pg - 1);

			if (a != base + off || b != base + off + pg - 1) {
				LCHECK(cs, false, "va 0x%" PRIx64 ": iova 0x%" PRIx64 "/0x%" PRIx64
				       ", want 0x%" PRIx64, r[i].va + off, a, b, base + off);
				break;
			}
		}
		for (unsigned int j = 0; j < i; j++) {
			uint64_t o = spapr_dma_iova(c, r[j].va);

			LCHECK(cs, o + r[j].len <= base || base + r[i].len <= o,
			       "IOVA ranges of regions %u and %u overlap", j, i);
		}
		device_write_check(cs, group, base, r[i].va);
		device_write_check(cs, group, base + r[i].len - 8, r[i].va + r[i].len - 8);
	}
}

/* locked_vm now == @base + what the plan charges (kernel: whole pages). */
static void check_locked(struct live_case *cs, int64_t base, uint64_t plan_bytes,
			 const char *when)
{
	int64_t now = live_locked(&L);
	uint64_t want = plan_bytes >> L.page_shift << L.page_shift;

	LCHECK(cs, now >= 0, "locked memory unreadable %s", when);
	LCHECK(cs, now - base == (int64_t)want, "%s: locked_vm moved by %" PRId64
	       " KiB, the plan says %" PRIu64 " KiB", when, (now - base) >> 10, want >> 10);
}

static void window_info(struct live_case *cs, const struct spapr_dma_container *c)
{
	struct spapr_dma_plan p;
	uint64_t start, size;
	unsigned int shift;

	spapr_dma_container_plan(c, &p);
	spapr_dma_container_window(c, &start, &size, &shift);
	snprintf(cs->info, sizeof(cs->info),
		 "%s window 0x%" PRIx64 "+0x%" PRIx64 " 2^%u TCEs %u level(s), %u REGISTER(s) %u"
		 " MAP(s), table %" PRIu64 " KiB, locked %" PRIu64 " KiB",
		 p.mode == SPAPR_DMA_MODE_DIRECT ? "direct" : "indirect", start, size, shift,
		 p.levels, p.registrations, p.maps, p.table_bytes >> 10, p.locked_bytes >> 10);
}

/* The window start the engine reports is the one CREATE returned, and the
 * one the platform gives (observed: PowerNV 0 after the default window is
 * removed, pseries 1<<59: doc/kernel-model.md §5.5, §12.3). */
static void check_window_start(struct live_case *cs, const struct spapr_dma_container *c)
{
	uint64_t start;
	uint64_t want = L.plat.kind == SPAPR_DMA_PLATFORM_PSERIES ? 1ull << 59 : 0;

	spapr_dma_container_window(c, &start, NULL, NULL);
	LCHECK(cs, start == L.cb.last_create_start, "window start 0x%" PRIx64
	       " but CREATE returned 0x%" PRIx64, start, L.cb.last_create_start);
	LCHECK(cs, start == want, "window start 0x%" PRIx64 ", %s gives 0x%" PRIx64, start,
	       live_platform_name(&L), want);
}

/* ---- 1. direct_one_region ---- */

static void case_direct_one_region(struct live_case *cs)
{
	uint64_t reg0, map0;
	struct spapr_dma_stats st;
	int rc;

	one.base = live_locked(&L);
	rc = live_mem_map(&L, 0, 32 * MiB, false, &one.r);
	LCHECK(cs, rc == 0, "mmap 32 MiB: %s", strerror(-rc));
	if (rc)
		return;
	one.ctx = ctx_new(NULL);
	reg0 = ops_now(SPAPR_DMA_OP_REGISTER);
	map0 = ops_now(SPAPR_DMA_OP_MAP);
	if (engine_up(cs, one.ctx, &one.r, 1, 1, &one.c))
		return;
	spapr_dma_container_plan(one.c, &one.plan);
	spapr_dma_container_stats(one.c, &st);
	window_info(cs, one.c);
	printf("@@ I direct_one_region %s\n", cs->info);
	LCHECK(cs, one.plan.mode == SPAPR_DMA_MODE_DIRECT, "auto chose indirect");
	LCHECK(cs, one.plan.basis != SPAPR_DMA_IOVA_PA, "direct plan on PA, not VA");
	check_window_start(cs, one.c);
	check_translation(cs, one.c, &one.r, 1, L.groups[0]);
	LCHECK(cs, ops_now(SPAPR_DMA_OP_REGISTER) - reg0 == 1, "%" PRIu64 " REGISTERs for 1 range",
	       ops_now(SPAPR_DMA_OP_REGISTER) - reg0);
	LCHECK(cs, one.plan.registrations == 1 && st.registrations == 1,
	       "plan %u / stats %u registrations", one.plan.registrations, st.registrations);
	LCHECK(cs, ops_now(SPAPR_DMA_OP_MAP) - map0 == one.plan.maps, "%" PRIu64
	       " MAPs, plan says %u", ops_now(SPAPR_DMA_OP_MAP) - map0, one.plan.maps);
	LCHECK(cs, one.plan.register_bytes == one.r.len, "plan registers %" PRIu64 " bytes",
	       one.plan.register_bytes);
	check_locked(cs, one.base, one.plan.locked_bytes, "after create");
	one.ready = cs->failed == 0;
}

/* ---- 2. teardown_exact ---- */

static void case_teardown_exact(struct live_case *cs)
{
	uint64_t unreg0 = ops_now(SPAPR_DMA_OP_UNREGISTER), reg0, close0;
	struct spapr_dma_error e = { 0 };
	int rc;

	if (!one.ready) {
		snprintf(cs->skip, sizeof(cs->skip), "direct_one_region did not set up");
		goto out;
	}
	close0 = ops_now(SPAPR_DMA_OP_CLOSE);
	rc = spapr_dma_container_destroy(one.c, &e);
	one.c = NULL;
	LCHECK(cs, rc == 0, "destroy: %s", err_text(&e));
	LCHECK(cs, ops_now(SPAPR_DMA_OP_UNREGISTER) - unreg0 == 1, "%" PRIu64 " UNREGISTERs",
	       ops_now(SPAPR_DMA_OP_UNREGISTER) - unreg0);
	LCHECK(cs, ops_now(SPAPR_DMA_OP_CLOSE) - close0 == 2, "%" PRIu64 " closes for 1 group"
	       " + container", ops_now(SPAPR_DMA_OP_CLOSE) - close0);
	check_locked(cs, one.base, 0, "after destroy");
	rc = spapr_dma_mem_remove(one.ctx, one.r.va, one.r.len, &e);
	LCHECK(cs, rc == 0, "mem_remove: %s", err_text(&e));
	check_locked(cs, one.base, 0, "after mem_remove");
	if (L.model) {
		struct spapr_model_mm_info mi;

		spapr_model_mm_info(L.m, 0, &mi);
		LCHECK(cs, mi.regions == 0, "model: %u registrations left", mi.regions);
	}
	/* The same memory again: a leaked registration would make REGISTER
	 * of the same range fail with -EBUSY (§3.5). */
	reg0 = ops_now(SPAPR_DMA_OP_REGISTER);
	if (engine_up(cs, one.ctx, &one.r, 1, 1, &one.c) == 0) {
		LCHECK(cs, ops_now(SPAPR_DMA_OP_REGISTER) - reg0 == 1, "second create: %" PRIu64
		       " REGISTERs", ops_now(SPAPR_DMA_OP_REGISTER) - reg0);
		check_locked(cs, one.base, one.plan.locked_bytes, "after the second create");
		check_translation(cs, one.c, &one.r, 1, L.groups[0]);
	}
	engine_down(cs, one.ctx, one.c, &one.r, 1);
	check_locked(cs, one.base, 0, "after the second teardown");
	snprintf(cs->info, sizeof(cs->info), "locked_vm back to %" PRId64 " KiB twice",
		 one.base >> 10);
	one.ctx = NULL;
	one.c = NULL;
out:
	if (one.ctx)
		engine_down(cs, one.ctx, one.c, &one.r, 1);
	if (one.r.len)
		live_mem_unmap(&L, &one.r);
}

/* ---- 3. several_regions ---- */

static void case_several_regions(struct live_case *cs)
{
	struct spapr_dma_mem_region r[3];
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_ctx *ctx;
	struct spapr_dma_plan p;
	int64_t base = live_locked(&L);
	uint64_t reg0 = ops_now(SPAPR_DMA_OP_REGISTER);
	unsigned int n = 0;
	int rc = 0;

	/* 4 MiB each at 64, 70, 76 MiB: 2 MiB holes between them. */
	for (; n < 3 && rc == 0; n++)
		rc = live_mem_map(&L, 64 * MiB + n * 6 * MiB, 4 * MiB, false, &r[n]);
	if (rc) {
		n--;
		LCHECK(cs, false, "mmap region %u: %s", n, strerror(-rc));
		unmap_all(r, n);
		return;
	}
	ctx = ctx_new(NULL);
	if (engine_up(cs, ctx, r, 3, 1, &c) == 0) {
		spapr_dma_container_plan(c, &p);
		window_info(cs, c);
		LCHECK(cs, ops_now(SPAPR_DMA_OP_REGISTER) - reg0 == 3, "%" PRIu64
		       " REGISTERs for 3 ranges", ops_now(SPAPR_DMA_OP_REGISTER) - reg0);
		LCHECK(cs, p.registrations == 3, "plan: %u registrations", p.registrations);
		check_translation(cs, c, r, 3, L.groups[0]);
		check_locked(cs, base, p.locked_bytes, "after create");
	}
	engine_down(cs, ctx, c, r, 3);
	check_locked(cs, base, 0, "after teardown");
	unmap_all(r, 3);
}

/* ---- 4. indirect_forced ---- */

static void check_removed_one(struct live_case *cs, struct spapr_dma_ctx *ctx,
			      struct spapr_dma_container *c,
			      const struct spapr_dma_mem_region *r)
{
	struct spapr_dma_stats before, after;
	struct spapr_dma_error e = { 0 };
	uint64_t unmap0 = ops_now(SPAPR_DMA_OP_UNMAP), unreg0 = ops_now(SPAPR_DMA_OP_UNREGISTER);
	int rc;

	spapr_dma_container_stats(c, &before);
	rc = spapr_dma_mem_remove(ctx, r[1].va, r[1].len, &e);
	LCHECK(cs, rc == 0, "mem_remove of region 1: %s", err_text(&e));
	spapr_dma_container_stats(c, &after);
	LCHECK(cs, spapr_dma_iova(c, r[1].va) == SPAPR_DMA_BAD_IOVA, "removed memory translates");
	LCHECK(cs, spapr_dma_iova(c, r[0].va) != SPAPR_DMA_BAD_IOVA, "kept memory lost");
	LCHECK(cs, ops_now(SPAPR_DMA_OP_UNMAP) - unmap0 == 1 &&
	       ops_now(SPAPR_DMA_OP_UNREGISTER) - unreg0 == 1,
	       "remove: %" PRIu64 " UNMAP %" PRIu64 " UNREGISTER", ops_now(SPAPR_DMA_OP_UNMAP) -
	       unmap0, ops_now(SPAPR_DMA_OP_UNREGISTER) - unreg0);
	LCHECK(cs, before.bytes_mapped - after.bytes_mapped == r[1].len &&
	       after.iova_free - before.iova_free == r[1].len,
	       "stats: mapped %" PRIu64 " -> %" PRIu64 ", free %" PRIu64 " -> %" PRIu64,
	       before.bytes_mapped, after.bytes_mapped, before.iova_free, after.iova_free);
	LCHECK(cs, after.mappings == 1 && after.registrations == 1, "stats after remove: %u maps"
	       " %u registrations", after.mappings, after.registrations);
}

static void case_indirect_forced(struct live_case *cs)
{
	/* 16 MiB of IOVA room for growth: the window is sized to 32 MiB. */
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_INDIRECT,
					.indirect_reserve = 16 * MiB };
	struct spapr_dma_mem_region r[2];
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_ctx *ctx;
	struct spapr_dma_stats st;
	uint64_t start, size;
	unsigned int shift;
	int64_t base = live_locked(&L);
	int rc;

	rc = live_mem_map(&L, 96 * MiB, 8 * MiB, false, &r[0]);
	if (rc == 0 && (rc = live_mem_map(&L, 112 * MiB, 8 * MiB, false, &r[1])))
		live_mem_unmap(&L, &r[0]);
	LCHECK(cs, rc == 0, "mmap: %s", strerror(-rc));
	if (rc)
		return;
	ctx = ctx_new(&pol);
	if (engine_up(cs, ctx, r, 2, 1, &c) == 0) {
		window_info(cs, c);
		spapr_dma_container_window(c, &start, &size, &shift);
		spapr_dma_container_stats(c, &st);
		LCHECK(cs, shift == 12 || shift == L.page_shift, "indirect TCEs of 2^%u", shift);
		check_translation(cs, c, r, 2, L.groups[0]);
		LCHECK(cs, st.mappings == 2 && st.bytes_mapped == 16 * MiB, "stats: %u maps, %"
		       PRIu64 " bytes", st.mappings, st.bytes_mapped);
		LCHECK(cs, size >= 32 * MiB && st.iova_free == size - st.bytes_mapped,
		       "stats: %" PRIu64 " IOVA bytes free in a 0x%" PRIx64 " window",
		       st.iova_free, size);
		LCHECK(cs, st.tces_in_use == (16 * MiB) >> shift, "stats: %" PRIu64 " TCEs in use",
		       st.tces_in_use);
		check_removed_one(cs, ctx, c, r);
		spapr_dma_container_destroy(c, NULL);
		c = NULL;
		spapr_dma_mem_remove(ctx, r[0].va, r[0].len, NULL);
		spapr_dma_ctx_destroy(ctx);
	} else {
		engine_down(cs, ctx, c, r, 2);
	}
	check_locked(cs, base, 0, "after teardown");
	unmap_all(r, 2);
}

/* ---- 5. fallback_small_window ---- */

/* A rejected direct candidate whose reason names the forced window size. */
static bool direct_rejected_for(const struct spapr_dma_plan *p, const char *size_text)
{
	for (unsigned int i = 0; i < p->explain.ncand; i++) {
		const struct spapr_dma_candidate *k = &p->explain.cand[i];

		if (k->mode == SPAPR_DMA_MODE_DIRECT && !k->accepted && k->reason[0] &&
		    strstr(k->reason, size_text))
			return true;
	}
	return false;
}

static void case_fallback_small_window(struct live_case *cs)
{
	struct spapr_dma_policy pol = { .window_size = 256 * MiB };
	struct spapr_dma_mem_region r;
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_ctx *ctx;
	struct spapr_dma_plan p;
	uint64_t size;
	int64_t base = live_locked(&L);
	int rc = live_mem_map(&L, 128 * MiB, 16 * MiB, false, &r);

	LCHECK(cs, rc == 0, "mmap: %s", strerror(-rc));
	if (rc)
		return;
	/* The memory ends above 1 GiB: a 1:1 window must span [0, top), so a
	 * 256 MiB cap leaves only an allocated (indirect) window. */
	ctx = ctx_new(&pol);
	if (engine_up(cs, ctx, &r, 1, 1, &c) == 0) {
		spapr_dma_container_plan(c, &p);
		spapr_dma_container_window(c, NULL, &size, NULL);
		window_info(cs, c);
		LCHECK(cs, p.mode == SPAPR_DMA_MODE_INDIRECT, "a 256 MiB cap gave a direct plan");
		LCHECK(cs, size == 256 * MiB, "window 0x%" PRIx64 ", cap 256 MiB", size);
		LCHECK(cs, direct_rejected_for(&p, "256 MiB"),
		       "no rejected direct candidate names the 256 MiB cap");
		check_translation(cs, c, &r, 1, L.groups[0]);
		check_locked(cs, base, p.locked_bytes, "after create");
	}
	engine_down(cs, ctx, c, &r, 1);
	check_locked(cs, base, 0, "after teardown");
	live_mem_unmap(&L, &r);
}

/* ---- 6. memlock_rollback ---- */

/* The planner knows the limit: it refuses before any kernel call. */
static void memlock_planner(struct live_case *cs, const struct spapr_dma_mem_region *r,
			    int64_t base, uint64_t limit)
{
	struct spapr_dma_policy pol = { .memlock_limit = limit, .memlock_used = (uint64_t)base };
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_error e = { 0 };
	struct spapr_dma_ctx *ctx = ctx_new(&pol);
	uint64_t cr0 = ops_now(SPAPR_DMA_OP_CREATE), reg0 = ops_now(SPAPR_DMA_OP_REGISTER);
	int rc = spapr_dma_mem_add(ctx, r, 1, &e);

	LCHECK(cs, rc == 0, "mem_add: %s", err_text(&e));
	rc = spapr_dma_container_create(ctx, &L.cb.be, L.groups, 1, &c, &e);
	LCHECK(cs, rc == -ENOMEM && e.step_id == SPAPR_DMA_STEP_PLAN,
	       "planner with the limit: rc %d step %s", rc, e.step);
	LCHECK(cs, strstr(err_text(&e), "RLIMIT_MEMLOCK") != NULL, "planner error does not name"
	       " RLIMIT_MEMLOCK: %s", err_text(&e));
	printf("@@ I memlock_rollback planner: %s\n", err_text(&e));
	LCHECK(cs, ops_now(SPAPR_DMA_OP_CREATE) == cr0 && ops_now(SPAPR_DMA_OP_REGISTER) == reg0,
	       "the planner's refusal issued CREATE/REGISTER");
	if (rc == 0)
		spapr_dma_container_destroy(c, NULL);
	spapr_dma_mem_remove(ctx, r->va, r->len, NULL);
	spapr_dma_ctx_destroy(ctx);
	check_locked(cs, base, 0, "after the planner's refusal");
}

/* The kernel enforces the limit: REGISTER fails, everything is undone. */
static void memlock_kernel(struct live_case *cs, const struct spapr_dma_mem_region *r,
			   int64_t base, uint64_t limit)
{
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_error e = { 0 };
	struct spapr_dma_ctx *ctx = ctx_new(NULL);
	int rc = spapr_dma_mem_add(ctx, r, 1, &e);

	LCHECK(cs, rc == 0, "mem_add: %s", err_text(&e));
	rc = live_memlock_limit(&L, limit);
	LCHECK(cs, rc == 0, "cannot limit memlock: %s", strerror(-rc));
	if (rc == 0) {
		rc = spapr_dma_container_create(ctx, &L.cb.be, L.groups, 1, &c, &e);
		live_memlock_restore(&L);
		LCHECK(cs, rc == -ENOMEM && e.step_id == SPAPR_DMA_STEP_REGISTER,
		       "under the limit: rc %d step %s (%s)", rc, e.step, err_text(&e));
		LCHECK(cs, strstr(err_text(&e), "MEMLOCK") != NULL && e.remedy[0],
		       "error names no memlock remedy: %s", err_text(&e));
		printf("@@ I memlock_rollback refused: %s\n", err_text(&e));
		if (rc == 0)
			spapr_dma_container_destroy(c, NULL);
		c = NULL;
		check_locked(cs, base, 0, "after the kernel's refusal");
	}
	/* Limit restored: the same create now works (the rollback was exact). */
	if (spapr_dma_container_create(ctx, &L.cb.be, L.groups, 1, &c, &e) == 0) {
		struct spapr_dma_plan p;

		spapr_dma_container_plan(c, &p);
		check_locked(cs, base, p.locked_bytes, "after the create with the limit restored");
	} else {
		LCHECK(cs, false, "create after restoring the limit: %s", err_text(&e));
	}
	engine_down(cs, ctx, c, r, 1);
	check_locked(cs, base, 0, "after teardown");
}

static void case_memlock_rollback(struct live_case *cs)
{
	struct spapr_dma_mem_region r;
	uint64_t limit;
	int64_t base;
	int rc;

	if (!one.plan.valid) {
		snprintf(cs->skip, sizeof(cs->skip), "needs direct_one_region's plan");
		return;
	}
	base = live_locked(&L);
	rc = live_mem_map(&L, 0, 32 * MiB, false, &r);
	LCHECK(cs, rc == 0, "mmap: %s", strerror(-rc));
	if (rc)
		return;
	/* Room for the TCE tables and half the memory: CREATE passes, the
	 * REGISTER of the whole range does not (account_locked_vm). */
	limit = (uint64_t)base + one.plan.table_bytes + r.len / 2;
	limit = limit >> L.page_shift << L.page_shift;
	memlock_planner(cs, &r, base, limit);
	memlock_kernel(cs, &r, base, limit);
	snprintf(cs->info, sizeof(cs->info), "limit %" PRIu64 " KiB: planner and kernel refuse"
		 " with -ENOMEM, locked_vm back to %" PRId64 " KiB", limit >> 10, base >> 10);
	live_mem_unmap(&L, &r);
}

/* ---- 7. two_groups ---- */

static void two_groups_pseries(struct live_case *cs, struct spapr_dma_ctx *ctx)
{
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_error e = { 0 };
	uint64_t open0 = ops_now(SPAPR_DMA_OP_OPEN);
	int rc = spapr_dma_container_create(ctx, &L.cb.be, L.groups, 2, &c, &e);

	/* trap §10.15: pseries windows cannot be shared between PEs. */
	LCHECK(cs, rc == -EINVAL && e.step_id == SPAPR_DMA_STEP_ARGS,
	       "pseries, 2 groups: rc %d step %s", rc, e.step);
	LCHECK(cs, ops_now(SPAPR_DMA_OP_OPEN) == open0, "the refusal opened files");
	if (rc == 0)
		spapr_dma_container_destroy(c, NULL);
	snprintf(cs->info, sizeof(cs->info), "pseries: one group per container, -EINVAL before"
		 " any kernel call");
}

static void case_two_groups(struct live_case *cs)
{
	struct spapr_dma_mem_region r;
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_ctx *ctx;
	struct spapr_dma_error e = { 0 };
	int64_t base = live_locked(&L);
	int rc;

	if (L.ngroups < 2) {
		snprintf(cs->skip, sizeof(cs->skip), "one IOMMU group given");
		return;
	}
	rc = live_mem_map(&L, 144 * MiB, 8 * MiB, false, &r);
	LCHECK(cs, rc == 0, "mmap: %s", strerror(-rc));
	if (rc)
		return;
	ctx = ctx_new(NULL);
	rc = spapr_dma_mem_add(ctx, &r, 1, &e);
	LCHECK(cs, rc == 0, "mem_add: %s", err_text(&e));
	if (L.plat.kind == SPAPR_DMA_PLATFORM_PSERIES) {
		two_groups_pseries(cs, ctx);
	} else {
		rc = spapr_dma_container_create(ctx, &L.cb.be, L.groups, 2, &c, &e);
		LCHECK(cs, rc == 0, "container with groups %d and %d: %s", L.groups[0],
		       L.groups[1], err_text(&e));
		if (rc == 0) {
			struct spapr_dma_plan p;

			spapr_dma_container_plan(c, &p);
			window_info(cs, c);
			check_translation(cs, c, &r, 1, L.groups[0]);
			check_translation(cs, c, &r, 1, L.groups[1]);
			check_locked(cs, base, p.locked_bytes, "after create");
		}
	}
	engine_down(cs, ctx, c, &r, 1);
	check_locked(cs, base, 0, "after teardown");
	live_mem_unmap(&L, &r);
}

/* ---- 8. hugepages ---- */

static void case_hugepages(struct live_case *cs)
{
	struct spapr_dma_mem_region r;
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_ctx *ctx;
	int64_t base = live_locked(&L);
	uint64_t reg0 = ops_now(SPAPR_DMA_OP_REGISTER);
	int rc = live_mem_map(&L, 160 * MiB, 16 * MiB, true, &r);

	if (rc) {
		snprintf(cs->skip, sizeof(cs->skip), "no 2 MiB hugetlb memory (mmap MAP_HUGETLB: %s)",
			 strerror(-rc));
		return;
	}
	ctx = ctx_new(NULL);
	if (engine_up(cs, ctx, &r, 1, 1, &c) == 0) {
		struct spapr_dma_plan p;
		unsigned int shift;

		spapr_dma_container_plan(c, &p);
		spapr_dma_container_window(c, NULL, NULL, &shift);
		window_info(cs, c);
		LCHECK(cs, p.mode == SPAPR_DMA_MODE_DIRECT && shift == 21,
		       "hugetlb 2 MiB: %s window with 2^%u TCEs, want direct 2^21",
		       p.mode == SPAPR_DMA_MODE_DIRECT ? "direct" : "indirect", shift);
		check_window_start(cs, c);
		LCHECK(cs, ops_now(SPAPR_DMA_OP_REGISTER) - reg0 == 1, "%" PRIu64 " REGISTERs",
		       ops_now(SPAPR_DMA_OP_REGISTER) - reg0);
		check_translation(cs, c, &r, 1, L.groups[0]);
		check_locked(cs, base, p.locked_bytes, "after create");
	}
	engine_down(cs, ctx, c, &r, 1);
	check_locked(cs, base, 0, "after teardown");
	live_mem_unmap(&L, &r);
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*fn)(struct live_case *cs);
} cases[] = {
	{ "direct_one_region", case_direct_one_region },
	{ "teardown_exact", case_teardown_exact },
	{ "several_regions", case_several_regions },
	{ "indirect_forced", case_indirect_forced },
	{ "fallback_small_window", case_fallback_small_window },
	{ "memlock_rollback", case_memlock_rollback },
	{ "two_groups", case_two_groups },
	{ "hugepages", case_hugepages },
};

int main(int argc, char **argv)
{
	int rc = live_setup(&L, argc, argv);

	if (rc)
		return rc;
	printf("@@ I live backend=%s%s%s platform=%s page_shift=%u groups=%u arena=0x%" PRIx64 "\n",
	       L.model ? "model profile=" : "vfio", L.model ? L.prof.name : "", "",
	       live_platform_name(&L), L.page_shift, L.ngroups, L.arena);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct live_case cs = { .name = cases[i].name };

		cases[i].fn(&cs);
		live_case_end(&L, &cs);
	}
	if (L.model) {
		char err[256] = "";

		if (spapr_model_check_invariants(L.m, err, sizeof(err)) != 0) {
			printf("@@ L model_invariants FAIL %s\n", err);
			L.fail++;
		}
	}
	printf("@@ T pass=%u fail=%u skip=%u\n", L.pass, L.fail, L.skip);
	live_teardown(&L);
	if (L.fail)
		return 1;
	return L.pass ? 0 : 77;
}
