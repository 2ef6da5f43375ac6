/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_engine.h - what the model fuzz targets do with a model they made:
 * map 16 MiB of 2 MiB hugetlb pages, let the mapping engine plan and map it
 * into a container of group 0, tear everything down, and check the model's
 * invariants and that nothing stays charged. A violated rule aborts (the
 * fuzzer reports it as a crash).
 */
#ifndef FUZZ_ENGINE_H
#define FUZZ_ENGINE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "spapr_dma.h"
#include "spapr_model.h"

#define FUZZ_VA UINT64_C(0x100000000)
#define FUZZ_LEN (UINT64_C(16) << 20)

static inline void fuzz_check_invariants(struct spapr_model *m, const char *when)
{
	char err[512] = "";

	if (spapr_model_check_invariants(m, err, sizeof(err)) != 0) {
		fprintf(stderr, "invariant broken %s: %s\n", when, err);
		abort();
	}
}

/* 0 if the engine mapped the memory, else its error (after rollback). */
static inline int fuzz_engine_map(struct spapr_model *m)
{
	struct spapr_dma_mem_region r = { .va = FUZZ_VA, .len = FUZZ_LEN, .page_shift = 21,
					  .numa_node = -1 };
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_AUTO };
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_platform plat;
	struct spapr_model_mm_info mi;
	struct spapr_dma_error err;
	struct spapr_dma_ctx *ctx;
	int group = 0, rc;

	if (spapr_model_mm_map(m, 0, FUZZ_VA, FUZZ_LEN, 21, SPAPR_MODEL_VMA_HUGETLB, NULL))
		return -ENOMEM;
	if (spapr_dma_platform_from_backend(spapr_model_backend(m), &plat))
		return -ENODEV;
	ctx = spapr_dma_ctx_create(&plat, &pol);
	if (ctx == NULL)
		return -ENOMEM;
	rc = spapr_dma_mem_add(ctx, &r, 1, &err);
	if (rc == 0)
		rc = spapr_dma_container_create(ctx, spapr_model_backend(m), &group, 1, &c, &err);
	fuzz_check_invariants(m, rc ? "after a failed container create" : "after mapping");
	if (c != NULL)
		spapr_dma_container_destroy(c, &err);
	spapr_dma_ctx_destroy(ctx);
	fuzz_check_invariants(m, "after teardown");
	/* Everything closed: only leaks the kernel has (failed CREATEs,
	 * orphaned registrations) may stay charged. */
	if (spapr_model_mm_info(m, 0, &mi) == 0 && mi.regions > mi.orphaned_regions) {
		fprintf(stderr, "a registration outlived its container\n");
		abort();
	}
	return rc;
}

#endif /* FUZZ_ENGINE_H */
