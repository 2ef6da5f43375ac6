/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_baseline.c - DPDK 22.11's sPAPR algorithm (see bench_baseline.h).
 * Written from the description of its behaviour, not from its code.
 */
#include <errno.h>
#include <string.h>

#include "bench_baseline.h"

static uint64_t pow2_above(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static int open_container(struct spapr_backend *be, int group_num, int *c)
{
	int g, rc;

	*c = be->ops->container_open(be);
	g = be->ops->group_open(be, group_num);
	if (*c < 0 || g < 0)
		return -ENODEV;
	rc = be->ops->group_set_container(be, g, *c);
	return rc ? rc : be->ops->set_iommu(be, *c, VFIO_SPAPR_TCE_v2_IOMMU);
}

/* vfio_spapr_create_dma_window: remove the default window, then create one. */
static int create_window(struct spapr_backend *be, int c, const struct spapr_dma_mem_region *segs,
			 unsigned int n, struct baseline_result *res)
{
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr) };
	int rc = be->ops->get_info(be, c, &info);

	if (rc)
		return rc;
	rm.start_addr = info.dma32_window_start;
	if ((rc = be->ops->tce_remove(be, c, &rm)))
		return rc;
	/* Window: power of two above the highest address; TCE = the page size
	 * of the memseg list with the highest VA. */
	res->window_size = pow2_above(segs[n - 1].va + segs[n - 1].len);
	cr.page_shift = segs[n - 1].page_shift;
	cr.window_size = res->window_size;
	rc = -EINVAL;
	for (cr.levels = 1; cr.levels <= (info.ddw.levels ? info.ddw.levels : 1); cr.levels++) {
		res->creates++;
		rc = be->ops->tce_create(be, c, &cr);
		if (!rc)
			break;
	}
	if (rc) {
		res->failed = "Cannot create new DMA window";
		return rc;
	}
	res->levels = cr.levels;
	res->start = cr.start_addr;
	if (cr.start_addr != 0) {
		res->failed = "Received unsupported start address";
		return -EINVAL;
	}
	return 0;
}

/* vfio_spapr_dma_do_map per memseg: REGISTER, then MAP with IOVA = VA. */
static int map_memsegs(struct spapr_backend *be, int c, const struct spapr_dma_mem_region *segs,
		       unsigned int n, struct baseline_result *res)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg),
								.vaddr = segs[i].va,
								.size = segs[i].len };
		struct vfio_iommu_type1_dma_map map = {
			.argsz = sizeof(map),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = segs[i].va, .iova = segs[i].va, .size = segs[i].len,
		};

		if (segs[i].va + segs[i].len > res->window_size) {
			res->failed = "DMA map attempt outside DMA window";
			return -EINVAL;
		}
		if ((rc = be->ops->register_memory(be, c, &reg))) {
			res->failed = "Cannot register vaddr for IOMMU";
			return rc;
		}
		if ((rc = be->ops->map_dma(be, c, &map))) {
			res->failed = "Cannot map vaddr for IOMMU";
			return rc;
		}
	}
	return 0;
}

int baseline_dpdk2211(struct spapr_backend *be, int group_num,
		      const struct spapr_dma_mem_region *segs, unsigned int n,
		      struct baseline_result *res)
{
	int c, rc;

	memset(res, 0, sizeof(*res));
	rc = open_container(be, group_num, &c);
	if (rc) {
		res->failed = "VFIO container setup failed";
	} else if (n) {
		rc = create_window(be, c, segs, n, res);
		if (!rc)
			rc = map_memsegs(be, c, segs, n, res);
	}
	res->err = rc;
	return rc;
}
