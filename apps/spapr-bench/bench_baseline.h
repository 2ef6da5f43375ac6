/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_baseline.h - DPDK 22.11's sPAPR mapping algorithm, reproduced on a
 * backend for comparison (lib/eal/linux/eal_vfio.c @ v22.11.11,
 * vfio_spapr_dma_map() and vfio_spapr_create_dma_window()): REMOVE the default
 * window, CREATE a window of the next power of two above the highest
 * address with the hugepage size as TCE, retrying levels 1..n, refuse any
 * start other than 0, then REGISTER + MAP every memseg (hugepage) with
 * IOVA = VA.
 */
#ifndef BENCH_BASELINE_H
#define BENCH_BASELINE_H

#include "spapr_backend.h"
#include "spapr_dma.h"

struct baseline_result {
	const char *failed;	/* NULL on success, else the log line DPDK prints */
	int err;
	uint64_t window_size;
	uint64_t start;
	unsigned int levels;
	unsigned int creates;	/* CREATE attempts */
};

/* Map @n memsegs (sorted by VA) through group @group_num. Returns 0 or -errno. */
int baseline_dpdk2211(struct spapr_backend *be, int group_num,
		      const struct spapr_dma_mem_region *segs, unsigned int n,
		      struct baseline_result *res);

#endif /* BENCH_BASELINE_H */
