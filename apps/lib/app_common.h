/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_common.h - small helpers shared by spapr-demo, spapr-bench and
 * tests/dma: size parsing/printing, the engine's platform of a model profile
 * (from its backend), DPDK-like memory layouts declared to the model.
 */
#ifndef APP_COMMON_H
#define APP_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spapr_dma.h"
#include "spapr_model.h"
#include "spapr_util.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)
#define APP_VA_BASE (4 * GiB)	/* DPDK's default base_virtaddr area on 64-bit */

/* "64K", "2M", "1G", "4096" (spapr_parse_size) -> bytes; 0 on error. */
static inline uint64_t app_parse_size(const char *s)
{
	uint64_t v;

	return spapr_parse_size(s, &v) ? 0 : v;
}

static inline const char *app_size(uint64_t b, char *buf, size_t len)
{
	return spapr_size_human(b, buf, len);
}

static inline unsigned int app_log2(uint64_t x)
{
	return x ? 63u - (unsigned int)__builtin_clzll(x) : 0;
}

static inline double app_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/*
 * A DPDK-like layout: @mem bytes of @page pages in @lists memseg lists, each
 * list a contiguous VA range (lists 64 GiB apart, or more if bigger), one
 * region per hugepage as DPDK's memsegs. Declares each list to the model as
 * one synthetic VMA. Returns the region count (regions malloc'd in *out).
 */
static inline int app_layout(struct spapr_model *m, uint64_t mem, uint64_t page,
			     unsigned int lists, struct spapr_dma_mem_region **out)
{
	const struct spapr_model_profile *p = spapr_model_get_profile(m);
	uint64_t per = mem / lists, stride = 64 * GiB, n = mem / page, k = 0;
	unsigned int shift = app_log2(page), l, flags;
	struct spapr_dma_mem_region *r;

	if (!lists || per % page || page < (1ull << p->system_page_shift))
		return -EINVAL;
	while (stride < per)
		stride *= 2;
	r = calloc(n, sizeof(*r));
	if (!r)
		return -ENOMEM;
	flags = shift > p->system_page_shift ? SPAPR_MODEL_VMA_HUGETLB : 0;
	for (l = 0; l < lists; l++) {
		uint64_t va = APP_VA_BASE + l * stride, off;
		int rc = spapr_model_mm_map(m, 0, va, per, shift, flags, NULL);

		if (rc) {
			free(r);
			return rc;
		}
		for (off = 0; off < per; off += page, k++) {
			r[k].va = va + off;
			r[k].len = page;
			r[k].page_shift = shift;
			r[k].numa_node = (int)(l % 2);
			spapr_model_mm_va_to_pa(m, 0, r[k].va, &r[k].pa);
		}
	}
	*out = r;
	return (int)k;
}

#endif /* APP_COMMON_H */
