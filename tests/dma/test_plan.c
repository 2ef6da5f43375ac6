/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plan.c - the pure window planner: geometry (§5.2/§5.3 worked
 * numbers), page-size choice (traps §10.7-8), window sizing and auto mode's
 * cost rule (§10.9), budgets, fallbacks and the explanation text.
 */
#include <errno.h>
#include <string.h>

#include "dma_test_common.h"
#include "test_util.h"

static struct spapr_dma_plan plan;

static const struct spapr_dma_candidate *cand(enum spapr_dma_mode m, unsigned int shift)
{
	unsigned int i;

	for (i = 0; i < plan.explain.ncand; i++)
		if (plan.explain.cand[i].mode == m && plan.explain.cand[i].page_shift == shift &&
		    !plan.explain.cand[i].default_window)
			return &plan.explain.cand[i];
	return &plan.explain.cand[SPAPR_DMA_MAX_CANDIDATES - 1];
}

static int mk(const struct spapr_dma_caps *caps, const struct spapr_dma_mem_region *r,
	      unsigned int n, const struct spapr_dma_policy *pol)
{
	return spapr_dma_plan_make(caps, r, n, pol, &plan);
}

static void test_table_bytes_spec_table(void)
{
	struct spapr_dma_platform p;

	spapr_dma_platform_default(SPAPR_DMA_PLATFORM_POWERNV, 16, &p);
	/* §5.3 worked numbers, 64 KiB system pages. */
	T_EQU(spapr_dma_table_bytes(&p, 12, 2 * GiB, 1), 8 * MiB);
	T_EQU(spapr_dma_table_bytes(&p, 21, 1 * TiB, 1), 8 * MiB);
	T_EQU(spapr_dma_table_bytes(&p, 24, 1 * TiB, 1), 1 * MiB);
	T_EQU(spapr_dma_table_bytes(&p, 16, 1 * TiB, 1), 256 * MiB);
	T_EQU(spapr_dma_table_bytes(&p, 16, 1 * TiB, 2), 256 * MiB + 128 * KiB);
	/* 1 TiB of 64 KiB TCEs: 128 MiB leaf > 16 MiB chunk -> needs 2 levels. */
	T_EQ(spapr_dma_levels_needed(&p, 16, 1 * TiB, 5), 2);
	T_EQ(spapr_dma_levels_needed(&p, 21, 1 * TiB, 5), 1);
	T_EQ(spapr_dma_levels_needed(&p, 16, 1 * TiB, 1), 0);
	/* 128 TiB of 4 KiB TCEs: ~512 GiB charged (2 levels). */
	T_EQ(spapr_dma_levels_needed(&p, 12, 128 * TiB, 5), 2);
	T_CHECK(spapr_dma_table_bytes(&p, 12, 128 * TiB, 2) > 512 * GiB);
	T_CHECK(spapr_dma_table_bytes(&p, 12, 128 * TiB, 2) < 513 * GiB);
	/* 2^54 of 4 KiB TCEs: 2 levels of 16 MiB, (24-3)*2+12 = 54 < 55. */
	T_EQ(spapr_dma_levels_needed(&p, 12, 1ull << 54, 5), 2);
	/* 2^55: 2 levels need 32 MiB chunks; 3+ levels break the 55-bit rule
	 * ((18-3)*3+12 = 57; with 64 KiB system pages 13*l+12 >= 55). */
	T_EQ(spapr_dma_levels_needed(&p, 12, 1ull << 55, 5), 0);
	/* Not a power of two. */
	T_EQU(spapr_dma_table_bytes(&p, 21, 3 * GiB, 1), 0);
	T_EQ(spapr_dma_levels_needed(&p, 21, 3 * GiB, 5), 0);
	/* pseries: entries x 8, levels must be 1. */
	spapr_dma_platform_default(SPAPR_DMA_PLATFORM_PSERIES, 16, &p);
	T_EQU(spapr_dma_table_bytes(&p, 12, 1 * GiB, 1), 2 * MiB);
	T_EQU(spapr_dma_table_bytes(&p, 21, 1 * TiB, 2), 0);
	T_EQ(spapr_dma_levels_needed(&p, 16, 1 * TiB, 1), 1);
}

static void test_powernv9_2m_direct(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_mem_region r[512];

	regions_fill(r, 512, VA_BASE, 2 * MiB, 21); /* 1 GiB of 2 MiB pages, one per memseg */
	T_ERR(mk(&caps, r, 512, NULL), 0);
	T_CHECK(plan.valid);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQ(plan.page_shift, 21);
	T_EQU(plan.window_size, 8 * GiB);	/* pow2 above 5 GiB, not above the address space */
	T_EQ(plan.levels, 1);
	T_EQU(plan.expected_start, 0);
	T_EQ(plan.registrations, 1);	/* one REGISTER for the contiguous range (trap §10.4) */
	T_EQ(plan.maps, 1);
	T_EQ(plan.kernel_ops, 4);	/* REMOVE + CREATE + REGISTER + MAP */
	T_EQU(plan.table_bytes, 128 * KiB);
	T_EQU(plan.locked_bytes, 1 * GiB + 128 * KiB);
	T_CHECK(!plan.keep_default);
}

static void test_page_choice(void)
{
	struct spapr_dma_caps p9 = caps_powernv9(), p8 = caps_powernv8();
	struct spapr_dma_mem_region r[4];

	regions_fill(r, 2, VA_BASE, 1 * GiB, 30);
	T_ERR(mk(&p9, r, 2, NULL), 0);
	T_EQ(plan.page_shift, 30);
	/* POWER8 has no 1G TCE: 256 MiB is the largest <= 1 GiB. */
	T_ERR(mk(&p8, r, 2, NULL), 0);
	T_EQ(plan.page_shift, 28);
	/* 16 MiB hash-MMU pages on POWER9 PHB4 (2M/1G only): 2 MiB TCEs (trap §10.7). */
	regions_fill(r, 4, VA_BASE, 16 * MiB, 24);
	T_ERR(mk(&p9, r, 4, NULL), 0);
	T_EQ(plan.page_shift, 21);
	T_ERR(mk(&p8, r, 4, NULL), 0);
	T_EQ(plan.page_shift, 24);
	/* Mixed 2 MiB and 1 GiB: the smaller wins (trap §10.8). */
	regions_fill(r, 1, VA_BASE, 1 * GiB, 30);
	regions_fill(r + 1, 1, VA_BASE + 8 * GiB, 64 * MiB, 21);
	T_ERR(mk(&p9, r, 2, NULL), 0);
	T_EQ(plan.page_shift, 21);
	T_EQ(plan.registrations, 2);
	/* The 1G candidate was considered and rejected with the reason. */
	T_CHECK(plan.explain.ncand >= 2);
	T_CHECK(!plan.explain.cand[0].accepted);
	T_EQ(plan.explain.cand[0].page_shift, 30);
	T_CHECK(strstr(plan.explain.cand[0].reason, "backed by 2 MiB") != NULL);
	/* A 1 GiB page region aligned only to 2 MiB: alignment caps the TCE. */
	regions_fill(r, 1, VA_BASE + 2 * MiB, 1 * GiB, 21);
	r[0].page_shift = 21;
	T_ERR(mk(&p9, r, 1, NULL), 0);
	T_EQ(plan.page_shift, 21);
	/* Non-hugetlb memory (64 KiB system pages): 64 KiB TCEs. */
	regions_fill(r, 1, VA_BASE, 1 * GiB, 16);
	T_ERR(mk(&p9, r, 1, NULL), 0);
	T_EQ(plan.page_shift, 16);
}

static void test_sparse_va_budget(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_policy pol = { 0 };
	struct spapr_dma_mem_region r[2];

	regions_fill(r, 1, VA_BASE, 1 * GiB, 21);
	regions_fill(r + 1, 1, 0x7e0000000000ull, 1 * GiB, 21);
	/* Unlimited memlock: the 2^47 direct window exists with 2 levels, but
	 * its 1 GiB table is over 1/8 of the 2 GiB of memory: the cost rule
	 * picks the dense 2 GiB window (trap §10.9). */
	T_ERR(mk(&caps, r, 2, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_EQU(plan.window_size, 2 * GiB);
	T_EQU(plan.table_bytes, 128 * KiB);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason, "1.00 GiB of locked_vm") != NULL);
	/* Forced, the direct window is what it was. */
	pol.mode = SPAPR_DMA_MODE_DIRECT;
	T_ERR(mk(&caps, r, 2, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQU(plan.window_size, 1ull << 47);
	T_EQ(plan.levels, 2);
	T_EQU(plan.table_bytes, 2 * (512 * MiB + 64 * KiB));
	pol.mode = SPAPR_DMA_MODE_AUTO;
	/* 3 GiB of memlock: direct needs 2 GiB + 1 GiB table: it does not even
	 * fit RLIMIT_MEMLOCK; a dense 2 GiB window is chosen. */
	pol.memlock_limit = 3 * GiB;
	T_ERR(mk(&caps, r, 2, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_CHECK(!plan.default_window);
	T_EQ(plan.page_shift, 21);
	T_EQU(plan.window_size, 2 * GiB);
	T_EQ(plan.levels, 1);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason, "RLIMIT_MEMLOCK") != NULL);
	T_CHECK(strstr(plan.explain.remedy, "indirect mode is used") != NULL);
	/* A TCE-table budget does the same. */
	pol.memlock_limit = 0;
	pol.table_budget = 64 * MiB;
	T_ERR(mk(&caps, r, 2, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	/* Direct only: no plan, and the reason says why. */
	pol.mode = SPAPR_DMA_MODE_DIRECT;
	T_ERR(mk(&caps, r, 2, &pol), -ENOSPC);
	T_CHECK(!plan.valid);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason, "table budget") != NULL);
}

/* Auto mode's cost rule (spapr_dma.h, trap §10.9), both sides of each bound. */
static void test_cost_rule_16m_at_high_va(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_policy pol = { .iova_mode = SPAPR_DMA_IOVA_VA };
	struct spapr_dma_mem_region r[1];
	char buf[4096];

	/* 16 MiB of 2 MiB hugepages at VA 0x7f..: a 128 TiB 1:1 window charges
	 * 1 GiB (2 levels of 2 MiB TCEs), a dense 16 MiB window 128 KiB. */
	regions_fill(r, 1, 0x7f0000000000ull, 16 * MiB, 21);
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_CHECK(!plan.default_window);
	T_EQ(plan.page_shift, 21);
	T_EQU(plan.window_size, 16 * MiB);
	T_EQU(plan.table_bytes, 128 * KiB);
	T_CHECK(!cand(SPAPR_DMA_MODE_DIRECT, 21)->accepted);
	T_EQU(cand(SPAPR_DMA_MODE_DIRECT, 21)->window_size, 128 * TiB);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason,
		       "direct window of 128 TiB would charge 1.00 GiB of locked_vm for 16 MiB of "
		       "memory (allowed: 32 MiB, the 32 MiB floor); indirect uses 128 KiB") != NULL);
	T_CHECK(strstr(plan.explain.remedy, "would charge 1.00 GiB of locked_vm for 16 MiB of "
			"memory; indirect uses 128 KiB: indirect mode is used") != NULL);
	spapr_dma_plan_format(&plan, buf, sizeof(buf));
	T_CHECK(strstr(buf, "- direct/DDW") != NULL);
	T_CHECK(strstr(buf, "* indirect/DDW") != NULL);
	/* Forced direct mode keeps working: the rule is auto mode's only. */
	pol.mode = SPAPR_DMA_MODE_DIRECT;
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQU(plan.window_size, 128 * TiB);
	T_EQ(plan.levels, 2);
	T_EQU(plan.table_bytes, 2 * (512 * MiB + 64 * KiB));
	T_EQ(plan.explain.remedy[0], 0);
	/* No memory yet, hotplug room up to 1 TiB: 64 KiB TCEs (all that is
	 * certain), ~256 MiB charged, over the floor; with nothing to weigh it
	 * against the rule does not apply. */
	pol = (struct spapr_dma_policy){ .direct_top = 1 * TiB };
	T_ERR(mk(&caps, r, 0, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQ(plan.page_shift, 16);
	T_EQU(plan.window_size, 1 * TiB);
	T_CHECK(plan.table_bytes > SPAPR_DMA_DIRECT_TABLE_FLOOR);
}

/* The floor: one full 16 MiB level (x2) = 32 MiB is always allowed. */
static void test_cost_rule_floor(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_mem_region r[1];

	/* Ends at 4 TiB: 2^21 TCEs of 2 MiB, one 16 MiB level, 32 MiB charged. */
	regions_fill(r, 1, 4 * TiB - 16 * MiB, 16 * MiB, 21);
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQU(plan.window_size, 4 * TiB);
	T_EQ(plan.levels, 1);
	T_EQU(plan.table_bytes, SPAPR_DMA_DIRECT_TABLE_FLOOR);
	/* Ends at 8 TiB: 2 levels, 64 MiB + 128 KiB charged: over the floor. */
	regions_fill(r, 1, 8 * TiB - 16 * MiB, 16 * MiB, 21);
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_EQU(plan.window_size, 16 * MiB);
	T_EQU(cand(SPAPR_DMA_MODE_DIRECT, 21)->table_bytes, 64 * MiB + 128 * KiB);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason, "the 32 MiB floor") != NULL);
}

/* The ratio: a table of at most 1/8 of the memory is allowed. */
static void test_cost_rule_ratio(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_mem_region r[1];
	const uint64_t table = 2 * (512 * MiB + 64 * KiB);	/* 2^47 window, 2 MiB TCEs */

	/* table <= memory / 8 <=> memory >= 8 GiB + 1 MiB. */
	regions_fill(r, 1, 0x7e0000000000ull, 8 * GiB + 2 * MiB, 21);
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQU(plan.window_size, 1ull << 47);
	T_EQU(plan.table_bytes, table);
	T_CHECK(plan.table_bytes <= plan.mapped_bytes / SPAPR_DMA_DIRECT_TABLE_RATIO);
	regions_fill(r, 1, 0x7e0000000000ull, 8 * GiB, 21);
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_EQU(plan.window_size, 8 * GiB);
	T_EQU(cand(SPAPR_DMA_MODE_DIRECT, 21)->table_bytes, table);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason, "1/8 of the memory") != NULL);
}

/* RLIMIT_MEMLOCK: the table may take at most half of the room the limit
 * leaves once the memory is registered. */
static void test_cost_rule_memlock(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_policy pol = { .memlock_limit = 16 * MiB + 64 * MiB };
	struct spapr_dma_mem_region r[1];

	regions_fill(r, 1, 4 * TiB - 16 * MiB, 16 * MiB, 21);	/* 32 MiB direct table */
	T_ERR(mk(&caps, r, 1, &pol), 0);			/* room 64 MiB: half is 32 */
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	pol.memlock_limit -= 2 * MiB;				/* half of 62 MiB < 32 MiB */
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_EQU(plan.table_bytes, 128 * KiB);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason, "RLIMIT_MEMLOCK room") != NULL);
	/* memlock_used counts too: the same room left with a larger limit. */
	pol.memlock_limit += 10 * MiB;
	pol.memlock_used = 10 * MiB;
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	pol.memlock_used = 8 * MiB;				/* room 64 MiB again */
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
}

/* Costly, but nothing cheaper exists: direct all the same. */
static void test_cost_rule_no_cheaper(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_policy pol = { .indirect_reserve = 256 * TiB };
	struct spapr_dma_mem_region r[1];
	unsigned int i, chosen = 0;

	/* Indirect would need a 512 TiB window (a ~4 GiB table), the default
	 * window cannot hold 256 TiB: the 1 GiB direct table is the cheapest. */
	regions_fill(r, 1, 0x7f0000000000ull, 16 * MiB, 21);
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQU(plan.window_size, 128 * TiB);
	T_EQU(plan.table_bytes, 2 * (512 * MiB + 64 * KiB));
	T_CHECK(cand(SPAPR_DMA_MODE_DIRECT, 21)->chosen);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason, "no cheaper window exists") != NULL);
	T_CHECK(cand(SPAPR_DMA_MODE_INDIRECT, 21)->accepted);
	T_CHECK(cand(SPAPR_DMA_MODE_INDIRECT, 21)->table_bytes > plan.table_bytes);
	for (i = 0; i < plan.explain.ncand; i++)
		chosen += plan.explain.cand[i].chosen;
	T_EQ(chosen, 1);
}

/* DPDK's real layouts: VA mode near 0x1000000000, PA mode at low PAs. */
static void test_cost_rule_dpdk_layouts(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_policy pol = { .iova_mode = SPAPR_DMA_IOVA_VA };
	struct spapr_dma_mem_region r[2];

	/* VA mode, memseg lists at 64 GiB: 128 GiB window, 1 MiB table. */
	regions_fill(r, 1, 0x1000000000ull, 1 * GiB, 21);
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQU(plan.window_size, 128 * GiB);
	T_EQU(plan.table_bytes, 1 * MiB);
	/* PA mode on PowerNV, 16 MiB of hugepages near 508 GiB of RAM (VA high):
	 * a 512 GiB window of 2 MiB TCEs charges 4 MiB: direct stays. */
	pol.iova_mode = SPAPR_DMA_IOVA_PA;
	regions_fill(r, 2, 0x7f0000000000ull, 8 * MiB, 21);
	r[0].pa = 0x7f00000000ull;
	r[1].pa = 0x7f00800000ull;
	T_ERR(mk(&caps, r, 2, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQ(plan.basis, SPAPR_DMA_IOVA_PA);
	T_EQU(plan.window_size, 512 * GiB);
	T_EQU(plan.table_bytes, 4 * MiB);
	/* The same memory with IOVA = VA would need 128 TiB: indirect. */
	pol.iova_mode = SPAPR_DMA_IOVA_VA;
	T_ERR(mk(&caps, r, 2, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
}

static void test_memlock_remedy(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_policy pol = { .memlock_limit = 64 * MiB };
	struct spapr_dma_mem_region r[1];
	char buf[4096];

	regions_fill(r, 1, VA_BASE, 1 * GiB, 21);
	T_ERR(mk(&caps, r, 1, &pol), -ENOMEM);
	T_CHECK(!plan.valid);
	T_CHECK(strstr(plan.explain.remedy, "raise RLIMIT_MEMLOCK to 1025 MiB") != NULL);
	spapr_dma_plan_format(&plan, buf, sizeof(buf));
	T_CHECK(strstr(buf, "plan: none possible") != NULL);
	T_CHECK(strstr(buf, "remedy: raise RLIMIT_MEMLOCK") != NULL);
}

static void test_pseries(void)
{
	struct spapr_dma_caps caps = caps_pseries();
	struct spapr_dma_mem_region r[1];

	regions_fill(r, 1, VA_BASE, 1 * TiB, 21);
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQ(plan.page_shift, 21);
	T_EQU(plan.window_size, 2 * TiB);
	T_EQ(plan.levels, 1);
	/* Default window kept (a failed DDW would poison the PE): 2 MiB for it +
	 * 8 MiB of userspace view for the DDW, no x2 on pseries. */
	T_CHECK(plan.keep_default);
	T_EQU(plan.table_bytes, 2 * MiB + 8 * MiB);
	T_EQU(plan.expected_start, 1ull << 59);
	T_EQ(plan.kernel_ops, 3);	/* CREATE + REGISTER + MAP */
	/* Sparse VAs: a 2^47 1:1 window is 2^26 TCEs for 1024 TCEs of memory;
	 * on pseries each costs 2 hypercalls at teardown: dense IOVAs instead. */
	regions_fill(r, 1, 0x7e0000000000ull, 2 * GiB, 21);
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_EQU(plan.window_size, 2 * GiB);
	T_CHECK(strstr(cand(SPAPR_DMA_MODE_DIRECT, 21)->reason, "hypercalls") != NULL);
	/* ...unless the caller insists. */
	{
		struct spapr_dma_policy d = { .mode = SPAPR_DMA_MODE_DIRECT };

		T_ERR(mk(&caps, r, 1, &d), 0);
		T_EQU(plan.window_size, 1ull << 47);
	}
	/* 16 MiB pages: pseries has 16M TCEs. */
	regions_fill(r, 1, VA_BASE, 1 * GiB, 24);
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_EQ(plan.page_shift, 24);
}

static void test_powervm_vf(void)
{
	struct spapr_dma_caps caps = caps_powervm_vf();
	struct spapr_dma_policy pol = { .memlock_limit = 4 * GiB };
	struct spapr_dma_mem_region r[1];

	/* DPDK-style high VA: the 1:1 window would be 2^47 of 64 KiB TCEs. */
	regions_fill(r, 1, 0x7e0000000000ull, 1 * GiB, 21);
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_EQ(plan.page_shift, 16);
	T_EQU(plan.window_size, 1 * GiB);
	T_CHECK(!plan.keep_default);	/* single window: the DDW replaces the default */
	T_CHECK(strstr(plan.explain.remedy, "64 KiB TCEs") != NULL);
	T_CHECK(strstr(plan.explain.remedy, "indirect mode is used") != NULL);
}

/*
 * indirect_reserve_fit: the reserve is a wish. The window is cut to the
 * largest one the limits allow for the memory, and the plan names the limit.
 */
static void test_reserve_fit(void)
{
	struct spapr_dma_caps caps = caps_powervm_vf();
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_INDIRECT,
					.indirect_reserve = 1 * GiB, .indirect_reserve_fit = true };
	struct spapr_dma_mem_region r[1];

	regions_fill(r, 1, 0x7e0000000000ull, 4 * MiB, 21);
	caps.dma32_size = 16 * MiB;
	/* Hypervisor TCE budget of 512 x 64 KiB: a 32 MiB window at most. */
	caps.platform.ddw_max_entries = 512;
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_CHECK(!plan.default_window);
	T_EQU(plan.window_size, 32 * MiB);
	T_EQU(plan.room_bytes, 28 * MiB);
	T_CHECK(strcmp(plan.room_bound, "TCE budget 32 MiB window") == 0);
	/* Without fit the same reserve finds no DDW and no default window. */
	pol.indirect_reserve_fit = false;
	T_ERR(mk(&caps, r, 1, &pol), -ENOSPC);
	/* A budget below the default window: the default window leaves more room. */
	pol.indirect_reserve_fit = true;
	caps.platform.ddw_max_entries = 128;
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_CHECK(plan.default_window);
	T_EQU(plan.room_bytes, 12 * MiB);
	T_CHECK(strcmp(plan.room_bound, "the 16 MiB default window") == 0);
	/* RLIMIT_MEMLOCK: growth is registered, so it caps the room too. */
	caps.platform.ddw_max_entries = 0;
	pol.memlock_limit = 64 * MiB;
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_CHECK(plan.room_bytes < 60 * MiB);
	T_EQU(plan.room_bytes + plan.locked_bytes, 64 * MiB);
	T_CHECK(strcmp(plan.room_bound, "RLIMIT_MEMLOCK 64 MiB") == 0);
	/* A reserve that fits: the room is the window's, no bound named. */
	pol.memlock_limit = 0;
	pol.indirect_reserve = 60 * MiB;
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQU(plan.window_size, 64 * MiB);
	T_EQU(plan.room_bytes, 60 * MiB);
	T_CHECK(plan.room_bound[0] == '\0');
}

static void test_no_ddw_and_quirk(void)
{
	struct spapr_dma_caps caps = caps_pseries();
	struct spapr_dma_mem_region r[1];

	regions_fill(r, 1, VA_BASE, 512 * MiB, 21);
	caps.ddw = false;
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_CHECK(plan.default_window);
	T_EQ(plan.page_shift, 12);
	T_EQU(plan.window_size, 1 * GiB);
	T_EQ(plan.kernel_ops, 2);	/* the pending default window needs no op */
	/* pseries "no ibm,ddw-applicable" quirk: 0xFFFFFFFF windows, 0 levels. */
	caps = caps_pseries();
	caps.max_windows = 0xFFFFFFFFu;
	caps.max_levels = 0;
	T_ERR(mk(&caps, r, 1, NULL), 0);
	T_CHECK(plan.default_window);
	T_CHECK(strstr(plan.explain.cand[0].reason, "poison") != NULL);
	/* Too much memory for the 1 GiB default window. */
	regions_fill(r, 1, VA_BASE, 2 * GiB, 21);
	T_ERR(mk(&caps, r, 1, NULL), -ENOSPC);
	T_CHECK(strstr(plan.explain.cand[plan.explain.ncand - 1].reason, "1 GiB missing") != NULL);
}

static void test_policy_forcing(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_policy pol = { .page_shift = 16 };
	struct spapr_dma_mem_region r[1];

	regions_fill(r, 1, VA_BASE, 1 * GiB, 30);
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.page_shift, 16);
	/* No DDW of 3 GiB exists, and the 2 GiB default window is not the size
	 * asked for: refused, never silently replaced. */
	pol = (struct spapr_dma_policy){ .window_size = 3 * GiB };
	T_ERR(mk(&caps, r, 1, &pol), -ENOSPC);
	T_CHECK(strstr(plan.explain.cand[plan.explain.ncand - 1].reason,
		       "policy forces a 3 GiB window") != NULL);
	pol = (struct spapr_dma_policy){ .window_size = 64 * GiB };
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQU(plan.window_size, 64 * GiB);
	pol = (struct spapr_dma_policy){ .mode = SPAPR_DMA_MODE_INDIRECT };
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_EQ(plan.page_shift, 30);
	T_EQU(plan.window_size, 1 * GiB);
	pol = (struct spapr_dma_policy){ .direct_top = 64 * GiB };
	T_ERR(mk(&caps, r, 1, &pol), 0);
	T_EQU(plan.window_size, 64 * GiB);
	pol = (struct spapr_dma_policy){ .page_shift = 7 };
	T_ERR(mk(&caps, r, 1, &pol), -EINVAL);
}

static void test_iova_pa(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_policy pol = { .iova_mode = SPAPR_DMA_IOVA_PA };
	struct spapr_dma_mem_region r[2];

	regions_fill(r, 2, 0x7e0000000000ull, 1 * GiB, 30);
	r[0].pa = 0x200000000ull;	/* 8 GiB */
	r[1].pa = 0x600000000ull;	/* 24 GiB: not contiguous with r[0] */
	T_ERR(mk(&caps, r, 2, &pol), 0);
	T_EQ(plan.mode, SPAPR_DMA_MODE_DIRECT);
	T_EQ(plan.basis, SPAPR_DMA_IOVA_PA);
	T_EQU(plan.window_size, 32 * GiB);
	T_EQ(plan.registrations, 1);	/* VA-contiguous: one REGISTER */
	T_EQ(plan.maps, 2);		/* PA breaks: two MAPs */
	/* PA aligned to only 2 MiB caps the TCE. */
	r[1].pa = 0x600200000ull;
	T_ERR(mk(&caps, r, 2, &pol), 0);
	T_EQ(plan.page_shift, 21);
}

static void test_bad_regions(void)
{
	struct spapr_dma_caps caps = caps_powernv9();
	struct spapr_dma_mem_region r[2];

	regions_fill(r, 1, VA_BASE + 4 * KiB, 1 * MiB, 12);
	T_ERR(mk(&caps, r, 1, NULL), -EINVAL);	/* trap §10.6: 64 KiB system page */
	T_CHECK(strstr(plan.explain.remedy, "system page") != NULL);
	regions_fill(r, 2, VA_BASE, 2 * MiB, 21);
	r[1].va = VA_BASE + 1 * MiB;
	T_ERR(mk(&caps, r, 2, NULL), -EINVAL);	/* overlap */
	T_ERR(mk(&caps, r, 0, NULL), 0);	/* nothing to map is fine */
}

static void test_format(void)
{
	struct spapr_dma_caps caps = caps_powernv8();
	struct spapr_dma_mem_region r[1];
	char buf[4096];
	int n;

	regions_fill(r, 1, VA_BASE, 1 * GiB, 21);
	T_ERR(mk(&caps, r, 1, NULL), 0);
	n = spapr_dma_plan_format(&plan, buf, sizeof(buf));
	T_CHECK(n > 0);
	T_CHECK(strstr(buf, "direct (IOVA = start + VA)") != NULL);
	T_CHECK(strstr(buf, "256 MiB TCEs exceed the memory") != NULL);
	T_CHECK(strstr(buf, "* direct/DDW") != NULL);
	n = spapr_dma_plan_format(&plan, buf, 16);	/* truncation is safe */
	T_CHECK(n <= 15);
}

int main(void)
{
	T_RUN(test_table_bytes_spec_table);
	T_RUN(test_powernv9_2m_direct);
	T_RUN(test_page_choice);
	T_RUN(test_sparse_va_budget);
	T_RUN(test_cost_rule_16m_at_high_va);
	T_RUN(test_cost_rule_floor);
	T_RUN(test_cost_rule_ratio);
	T_RUN(test_cost_rule_memlock);
	T_RUN(test_cost_rule_no_cheaper);
	T_RUN(test_cost_rule_dpdk_layouts);
	T_RUN(test_memlock_remedy);
	T_RUN(test_pseries);
	T_RUN(test_powervm_vf);
	T_RUN(test_reserve_fit);
	T_RUN(test_no_ddw_and_quirk);
	T_RUN(test_policy_forcing);
	T_RUN(test_iova_pa);
	T_RUN(test_bad_regions);
	T_RUN(test_format);
	return t_finish();
}
