/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_test_common.h - helpers shared by the lib/dma engine tests: caps for
 * the §9 platforms (as GET_INFO reports them, testbed values win) and
 * memory layouts.
 */
#ifndef DMA_TEST_COMMON_H
#define DMA_TEST_COMMON_H

#include "spapr_dma.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)

/* DPDK's default base_virtaddr region on 64-bit: memseg lists start at 4 GiB. */
#define VA_BASE (4 * GiB)

static inline struct spapr_dma_caps caps_of(enum spapr_dma_platform_kind kind, uint64_t pgsizes,
					    uint64_t dma32, uint32_t windows, uint32_t levels)
{
	struct spapr_dma_caps c = { 0 };

	c.ddw = true;
	c.dma32_start = 0;
	c.dma32_size = dma32;
	c.pgsizes = pgsizes;
	c.max_windows = windows;
	c.max_levels = levels;
	spapr_dma_platform_default(kind, 16, &c.platform);
	return c;
}

static inline struct spapr_dma_caps caps_powernv9(void)
{
	return caps_of(SPAPR_DMA_PLATFORM_POWERNV, 0x40211000, 2 * GiB, 2, 5);
}

static inline struct spapr_dma_caps caps_powernv8(void)
{
	return caps_of(SPAPR_DMA_PLATFORM_POWERNV, 0x11011000, 2 * GiB, 2, 5);
}

static inline struct spapr_dma_caps caps_pseries(void)
{
	return caps_of(SPAPR_DMA_PLATFORM_PSERIES, 0x1211000, 1 * GiB, 2, 1);
}

/* PowerVM SR-IOV VF: 4K/64K TCEs only, a single window (C-BRAS, C-BATRA). */
static inline struct spapr_dma_caps caps_powervm_vf(void)
{
	return caps_of(SPAPR_DMA_PLATFORM_PSERIES, 0x11000, 2 * GiB, 1, 1);
}

/* Fill @r with @n regions of @len bytes of 2^shift pages from @va, back to back. */
static inline void regions_fill(struct spapr_dma_mem_region *r, unsigned int n, uint64_t va,
				uint64_t len, unsigned int shift)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		r[i].va = va + i * len;
		r[i].len = len;
		r[i].page_shift = shift;
		r[i].numa_node = 0;
		r[i].pa = 0;
		r[i].prot = 0;
	}
}

#endif /* DMA_TEST_COMMON_H */
