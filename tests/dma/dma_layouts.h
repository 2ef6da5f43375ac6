/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_layouts.h - memory layouts used by the engine tests and tools.
 */
#ifndef DMA_LAYOUTS_H
#define DMA_LAYOUTS_H

#include "dma_test_common.h"

enum layout_id {
	LAY_2M_1G,		/* 1 GiB of 2 MiB pages, one region per page (DPDK memsegs) */
	LAY_1G_4G,		/* 4 GiB of 1 GiB pages */
	LAY_SYS_1G,		/* 1 GiB of system pages (no hugetlbfs) */
	LAY_16M_1G,		/* 1 GiB of 16 MiB pages */
	LAY_MIXED,		/* 1 GiB of 1G pages + 512 MiB of 2M + 256 MiB of system pages */
	LAY_SPARSE,		/* 1 GiB of 2M at 4 GiB and 1 GiB of 2M at 126 TiB */
	LAY_2M_1T,		/* 1 TiB of 2 MiB pages in 16 lists of 64 GiB */
	LAY_1G_1T,		/* 1 TiB of 1 GiB pages, one region per page */
	LAY_COUNT
};

#define LAYOUT_MAX_REGIONS 1024

static inline const char *layout_name(enum layout_id id)
{
	static const char *const n[LAY_COUNT] = { "2M x 1G", "1G x 4G", "sys x 1G", "16M x 1G",
						  "mixed", "sparse", "2M x 1T", "1G x 1T" };
	return n[id];
}

/* Fill @r (LAYOUT_MAX_REGIONS entries) for system page @sys; returns the count. */
static inline unsigned int layout_fill(enum layout_id id, unsigned int sys,
				       struct spapr_dma_mem_region *r)
{
	switch (id) {
	case LAY_2M_1G:
		regions_fill(r, 512, VA_BASE, 2 * MiB, 21);
		return 512;
	case LAY_1G_4G:
		regions_fill(r, 4, VA_BASE, 1 * GiB, 30);
		return 4;
	case LAY_SYS_1G:
		regions_fill(r, 1, VA_BASE, 1 * GiB, sys);
		return 1;
	case LAY_16M_1G:
		regions_fill(r, 64, VA_BASE, 16 * MiB, 24);
		return 64;
	case LAY_MIXED:
		regions_fill(r, 1, VA_BASE, 1 * GiB, 30);
		regions_fill(r + 1, 256, VA_BASE + 2 * GiB, 2 * MiB, 21);
		regions_fill(r + 257, 1, VA_BASE + 3 * GiB, 256 * MiB, sys);
		return 258;
	case LAY_SPARSE:
		regions_fill(r, 1, VA_BASE, 1 * GiB, 21);
		regions_fill(r + 1, 1, 0x7e0000000000ull, 1 * GiB, 21);
		return 2;
	case LAY_2M_1T:
		regions_fill(r, 16, VA_BASE, 64 * GiB, 21);
		return 16;
	case LAY_1G_1T:
		regions_fill(r, 1024, VA_BASE, 1 * GiB, 30);
		return 1024;
	default:
		return 0;
	}
}

#endif /* DMA_LAYOUTS_H */
