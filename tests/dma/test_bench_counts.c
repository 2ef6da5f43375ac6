/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_bench_counts.c - the deterministic part of spapr-bench's targets:
 * at 64 GiB of 2 MiB pages on powernv9 (DPDK-like: memseg lists of 32 GiB,
 * one memseg per hugepage), the engine needs <= 3 + 2 x lists + 2 ioctls,
 * >= 1000x fewer than DPDK 22.11's algorithm and >= 10^4x fewer prereg-list
 * visits. Counts come from the model's counters; nothing is timed.
 */
#include "app_common.h"
#include "bench_baseline.h"
#include "test_util.h"

static struct spapr_model *world(struct spapr_dma_mem_region **r, int *n)
{
	struct spapr_model_profile prof;
	struct spapr_model *m;

	if (spapr_model_profile_get("powernv9", &prof) || !(m = spapr_model_create(&prof)))
		return NULL;
	*n = app_layout(m, 64 * GiB, 2 * MiB, 2, r);
	spapr_model_counters_reset(m);
	return m;
}

static void test_64g_2m_powernv9(void)
{
	struct spapr_model_counters ce, cb;
	struct spapr_dma_mem_region *r = NULL, *rb = NULL;
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_platform plat;
	struct baseline_result res;
	struct spapr_dma_ctx *ctx;
	struct spapr_model *m;
	int n, nb, g = 0;

	m = world(&r, &n);
	T_CHECK(m && n == 32768);
	if (!m)
		return;
	T_ERR(spapr_dma_platform_from_backend(spapr_model_backend(m), &plat), 0);
	ctx = spapr_dma_ctx_create(&plat, NULL);
	T_ERR(spapr_dma_mem_add(ctx, r, (unsigned int)n, NULL), 0);
	T_ERR(spapr_dma_container_create(ctx, spapr_model_backend(m), &g, 1, &c, NULL), 0);
	spapr_model_counters(m, &ce);
	spapr_dma_ctx_destroy(ctx);
	spapr_model_destroy(m);

	m = world(&rb, &nb);
	T_ERR(baseline_dpdk2211(spapr_model_backend(m), 0, rb, (unsigned int)nb, &res), 0);
	spapr_model_counters(m, &cb);
	spapr_model_destroy(m);

	printf("  engine: %llu ioctls, %llu visits; dpdk-22.11: %llu ioctls, %llu visits\n",
	       (unsigned long long)ce.ioctls, (unsigned long long)ce.region_visits,
	       (unsigned long long)cb.ioctls, (unsigned long long)cb.region_visits);
	T_CHECK(ce.ioctls <= 3 + 2 * 2 + 2);
	T_EQU(ce.ops[SPAPR_MODEL_OP_REGISTER_MEMORY], 2);
	T_EQU(ce.ops[SPAPR_MODEL_OP_MAP_DMA], 2);
	T_EQU(cb.ops[SPAPR_MODEL_OP_REGISTER_MEMORY], 32768);
	T_CHECK(cb.ioctls >= 1000 * ce.ioctls);
	T_CHECK(cb.region_visits >= 10000 * ce.region_visits);
	T_EQU(ce.tce_writes, cb.tce_writes);	/* same TCEs, far fewer calls */
	free(r);
	free(rb);
}

int main(void)
{
	T_RUN(test_64g_2m_powernv9);
	return t_finish();
}
