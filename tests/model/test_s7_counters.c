/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §7 cost counters: deterministic numbers only (never time).
 *   - MAP (v2), per IOMMU page: mm_iommu_lookup walks the mm's region list
 *     newest-first until the region containing the page (API), then
 *     tce_page_is_contained -> mm_iommu_is_devmem walks all R regions again.
 *     So a page in the k-th newest region (1-based) costs k + R visits; one
 *     region = 2 visits per page.
 *   - one TCE exchange per page for MAP/UNMAP; REMOVE clears the whole
 *     window entry by entry (2 GiB of 4 KiB = 524288 exchanges);
 *   - PowerNV PHB4: one kill per MAP call; PHB3: one MMIO write per page;
 *   - pseries: H_GET_TCE + H_PUT_TCE per entry, no kill.
 */
#include "model_test.h"

#define PG64K (64 * MT_KIB)

static struct spapr_model_counters host(struct spapr_model *m)
{
	struct spapr_model_counters k;

	memset(&k, 0, sizeof(k));
	spapr_model_counters(m, &k);
	return k;
}

/* v2 container, R regions of 1 MiB registered in order (region 0 oldest),
 * default window removed, a 1 GiB 64 KiB-TCE window at 0. */
static uint64_t g_start;	/* start of the window setup() created */

static int setup(struct spapr_model *m, unsigned int regions)
{
	int c = mt_open_v2(m, 1, NULL);

	T_CHECK(c >= 0);
	mt_vma(m, MT_VA0, 64 * MT_MIB, 16, 0);
	for (unsigned int i = 0; i < regions; i++)
		T_ERR(mt_reg(m, c, MT_VA0 + i * MT_MIB, MT_MIB), 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &g_start), 0);
	return c;
}

static uint64_t visits_for_map(unsigned int regions, unsigned int region_idx,
			       unsigned int pages)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = setup(m, regions);
	uint64_t v;

	spapr_model_counters_reset(m);
	T_ERR(mt_map(m, c, MT_VA0 + region_idx * MT_MIB, g_start, pages * PG64K,
		     MT_RW), 0);
	v = host(m).region_visits;
	spapr_model_destroy(m);
	return v;
}

static void s7_map_region_visits(void)
{
	const unsigned int n = 8;

	/* one region: 2 visits per page */
	T_EQU(visits_for_map(1, 0, n), 2 * n);
	for (unsigned int r = 2; r <= 32; r *= 4) {
		/* oldest region (last in the newest-first list): R + R */
		T_EQU(visits_for_map(r, 0, n), (uint64_t)n * 2 * r);
		/* newest region (head of the list): 1 + R */
		T_EQU(visits_for_map(r, r - 1, n), (uint64_t)n * (1 + r));
	}
	/* linear in R per page */
	T_CHECK(visits_for_map(16, 0, n) > visits_for_map(4, 0, n));
	T_EQU(visits_for_map(16, 0, 2 * n), 2 * visits_for_map(16, 0, n));
}

static void s7_tce_exchanges(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = setup(m, 1);
	struct spapr_model_counters k;

	spapr_model_counters_reset(m);
	T_ERR(mt_map(m, c, MT_VA0, 0, 16 * PG64K, MT_RW), 0);
	k = host(m);
	T_EQU(k.tce_xchg, 16);
	T_EQU(k.tce_writes, 16);
	spapr_model_counters_reset(m);
	/* UNMAP of 32 entries: 16 mapped, 16 empty -- every entry is exchanged */
	T_ERR(mt_unmap(m, c, 0, 32 * PG64K), 0);
	k = host(m);
	T_EQU(k.tce_xchg, 32);
	T_EQU(k.tce_writes, 16);
	spapr_model_destroy(m);
}

/* REMOVE of the materialised 2 GiB 4 KiB default window clears all 524288
 * entries, even though only one is mapped. */
static void s7_remove_clears_whole_window(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = mt_open_v2(m, 1, NULL);

	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA0, 0, 0x1000, MT_RW), 0);
	spapr_model_counters_reset(m);
	T_ERR(mt_remove(m, c, 0), 0);
	T_EQU(host(m).tce_xchg, 524288);
	T_EQU(host(m).tce_writes, 1);
	spapr_model_destroy(m);
}

static struct spapr_model_counters map_cost(const char *profile, unsigned int pages)
{
	struct spapr_model *m = mt_model(profile);
	int c = setup(m, 1);
	struct spapr_model_counters k;

	spapr_model_counters_reset(m);
	T_ERR(mt_map(m, c, MT_VA0, g_start, pages * PG64K, MT_RW), 0);
	k = host(m);
	spapr_model_destroy(m);
	return k;
}

static void s7_invalidation_style(void)
{
	struct spapr_model_counters k;

	k = map_cost("powernv9", 12);	/* PHB4: one OPAL kill per range */
	T_EQU(k.invalidations, 1);
	T_EQU(k.hcalls, 0);
	k = map_cost("powernv8", 12);	/* PHB3: one MMIO write per page */
	T_EQU(k.invalidations, 12);
	T_EQU(k.hcalls, 0);
	k = map_cost("pseries-kvm", 12);	/* H_GET_TCE + H_PUT_TCE per TCE */
	T_EQU(k.invalidations, 0);
	T_EQU(k.hcalls, 24);
	T_EQU(k.tce_xchg, 12);
}

static void s7_pseries_unmap_hcalls(void)
{
	struct spapr_model *m = mt_model("pseries-kvm");
	int c = setup(m, 1);

	T_ERR(mt_map(m, c, MT_VA0, g_start, 4 * PG64K, MT_RW), 0);
	spapr_model_counters_reset(m);
	T_ERR(mt_unmap(m, c, g_start, 8 * PG64K), 0);
	T_EQU(host(m).hcalls, 16);
	spapr_model_destroy(m);
}

static void s7_ioctl_counts(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = setup(m, 1);
	struct vfio_iommu_spapr_tce_info info;
	struct spapr_model_counters k;

	spapr_model_counters_reset(m);
	for (int i = 0; i < 3; i++)
		T_ERR(mt_map(m, c, MT_VA0, (uint64_t)i * PG64K, PG64K, MT_RW), 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_ERR(mt_unmap(m, c, 0, 3 * PG64K), 0);
	/* an error: outside every window */
	T_ERR(mt_map(m, c, MT_VA0, 4 * MT_GIB, PG64K, MT_RW), -ENXIO);
	k = host(m);
	T_EQU(k.ops[SPAPR_MODEL_OP_MAP_DMA], 4);
	T_EQU(k.ops[SPAPR_MODEL_OP_GET_INFO], 2);
	T_EQU(k.ops[SPAPR_MODEL_OP_UNMAP_DMA], 1);
	T_EQU(k.ops[SPAPR_MODEL_OP_TCE_CREATE], 0);
	T_EQU(k.ioctls, 7);
	T_EQU(k.errors, 1);
	T_EQU(k.tce_xchg, 6);
	spapr_model_destroy(m);
}

/* Counters per container and per mm: two containers of mm 0 and one of
 * another process. */
static void s7_per_container_vs_per_mm(void)
{
	struct spapr_model *m = mt_model("powernv9");
	const struct spapr_backend_ops *o = mt_ops(m);
	int ca = setup(m, 1), cb, cc, mm1, g;
	struct spapr_model_counters a, b, x, h, p0, p1;

	/* container B, group 1, same process: shares the region (§3.5) */
	cb = o->container_open(MT_BE(m));
	g = o->group_open(MT_BE(m), 1);
	T_ERR(o->group_set_container(MT_BE(m), g, cb), 0);
	T_ERR(o->set_iommu(MT_BE(m), cb, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	T_ERR(mt_reg(m, cb, MT_VA0, MT_MIB), 0);
	T_ERR(mt_remove(m, cb, 0), 0);
	T_ERR(mt_create_win(m, cb, 16, MT_GIB, 1, NULL), 0);
	/* container C, group 2, process mm1 */
	mm1 = spapr_model_mm_create(m, SPAPR_MODEL_UNLIMITED, false);
	T_CHECK(mm1 > 0);
	T_ERR(spapr_model_set_current_mm(m, mm1), 0);
	T_ERR(spapr_model_mm_map(m, mm1, MT_VA0, MT_MIB, 16, 0, NULL), 0);
	cc = o->container_open(MT_BE(m));
	g = o->group_open(MT_BE(m), 2);
	T_ERR(o->group_set_container(MT_BE(m), g, cc), 0);
	T_ERR(o->set_iommu(MT_BE(m), cc, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	T_ERR(mt_reg(m, cc, MT_VA0, MT_MIB), 0);
	T_ERR(mt_remove(m, cc, 0), 0);
	T_ERR(mt_create_win(m, cc, 16, MT_GIB, 1, NULL), 0);

	spapr_model_counters_reset(m);
	T_ERR(mt_map(m, cc, MT_VA0, 0, 2 * PG64K, MT_RW), 0);
	T_ERR(spapr_model_set_current_mm(m, 0), 0);
	T_ERR(mt_map(m, ca, MT_VA0, 0, 4 * PG64K, MT_RW), 0);
	T_ERR(mt_map(m, cb, MT_VA0, 0, 8 * PG64K, MT_RW), 0);

	T_ERR(spapr_model_container_counters(m, ca, &a), 0);
	T_ERR(spapr_model_container_counters(m, cb, &b), 0);
	T_ERR(spapr_model_container_counters(m, cc, &x), 0);
	T_ERR(spapr_model_mm_counters(m, 0, &p0), 0);
	T_ERR(spapr_model_mm_counters(m, mm1, &p1), 0);
	h = host(m);
	T_EQU(a.tce_xchg, 4);
	T_EQU(b.tce_xchg, 8);
	T_EQU(x.tce_xchg, 2);
	T_EQU(a.ops[SPAPR_MODEL_OP_MAP_DMA], 1);
	T_EQU(p0.tce_xchg, 12);
	T_EQU(p0.ops[SPAPR_MODEL_OP_MAP_DMA], 2);
	T_EQU(p1.tce_xchg, 2);
	T_EQU(p1.ops[SPAPR_MODEL_OP_MAP_DMA], 1);
	T_EQU(h.tce_xchg, 14);
	T_EQU(h.ops[SPAPR_MODEL_OP_MAP_DMA], 3);
	/* mm0 has one shared region: 2 visits per page; mm1 its own one */
	T_EQU(p0.region_visits, 24);
	T_EQU(p1.region_visits, 4);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* §4/§7: the shared table is invalidated on every linked PE; set_window
 * does a PE-wide kill per group. */
static void s7_invalidations_per_pe(void)
{
	const char *profiles[] = { "powernv9", "powernv8" };

	for (int i = 0; i < 2; i++) {
		struct spapr_model *m = mt_model(profiles[i]);
		int c = mt_open_v2(m, 2, NULL);
		uint64_t start;

		mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
		T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
		T_ERR(mt_remove(m, c, 0), 0);
		spapr_model_counters_reset(m);
		T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &start), 0);
		T_EQU(host(m).invalidations, 2);	/* one PE-wide kill per PE */
		spapr_model_counters_reset(m);
		T_ERR(mt_map(m, c, MT_VA0, start, 5 * PG64K, MT_RW), 0);
		T_EQU(host(m).invalidations, i == 0 ? 2 : 2 * 5);
		spapr_model_destroy(m);
	}
}

/* REGISTER pins every system page once; an exact-match registration from
 * another container shares the region and pins nothing (§3.5 step 4). */
static void s7_pages_pinned(void)
{
	struct spapr_model *m = mt_model("powernv9");
	const struct spapr_backend_ops *o = mt_ops(m);
	int ca = mt_open_v2(m, 1, NULL), cb, g;
	struct spapr_model_counters k;

	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	spapr_model_counters_reset(m);
	T_ERR(mt_reg(m, ca, MT_VA0, 16 * MT_MIB), 0);
	spapr_model_counters(m, &k);
	T_EQU(k.pages_pinned, 256);
	cb = o->container_open(MT_BE(m));
	g = o->group_open(MT_BE(m), 1);
	T_ERR(o->group_set_container(MT_BE(m), g, cb), 0);
	T_ERR(o->set_iommu(MT_BE(m), cb, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	spapr_model_counters_reset(m);
	T_ERR(mt_reg(m, cb, MT_VA0, 16 * MT_MIB), 0);
	spapr_model_counters(m, &k);
	T_EQU(k.pages_pinned, 0);
	T_EQU(mt_locked(m), 256);
	spapr_model_destroy(m);
}

/* §3.9/§7: clears of multi-level tables skip unallocated leaf blocks (VST
 * tce_iommu_clear: no userspace-view level -> jump to the next block);
 * single-level clears touch every entry. */
static void s7_clear_skips_unallocated_blocks(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = mt_open_v2(m, 1, NULL);
	const uint64_t block = 8192 * PG64K;	/* 64 KiB leaf level */
	uint64_t start;

	mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_TIB, 2, &start), 0);
	T_ERR(mt_map(m, c, MT_VA0, start + 5 * block + 7 * PG64K, 2 * PG64K,
		     MT_RW), 0);
	spapr_model_counters_reset(m);
	/* blocks 4..6, only block 5 allocated */
	T_ERR(mt_unmap(m, c, start + 4 * block, 3 * block), 0);
	T_EQU(host(m).tce_xchg, 8192);
	T_EQU(host(m).tce_writes, 2);
	T_ERR(mt_map(m, c, MT_VA0, start + 9 * block, PG64K, MT_RW), 0);
	spapr_model_counters_reset(m);
	/* whole 1 TiB window: two allocated blocks of 8192 entries */
	T_ERR(mt_remove(m, c, start), 0);
	T_EQU(host(m).tce_xchg, 2 * 8192);
	T_EQU(host(m).tce_writes, 1);
	spapr_model_destroy(m);
}

/* pseries: clearing a window costs 2 hcalls per entry (REMOVE of a 1 GiB
 * 64 KiB DDW = 16384 entries = 32768 hcalls). */
static void s7_pseries_remove_hcalls(void)
{
	struct spapr_model *m = mt_model("pseries-kvm");
	int c = setup(m, 1);

	T_ERR(mt_map(m, c, MT_VA0, g_start, PG64K, MT_RW), 0);
	spapr_model_counters_reset(m);
	T_ERR(mt_remove(m, c, g_start), 0);
	T_EQU(host(m).tce_xchg, 16384);
	T_EQU(host(m).hcalls, 2 * 16384);
	spapr_model_destroy(m);
}

/* §4/§7: detaching one of two groups clears every entry of every window. */
static void s7_detach_clear_cost(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int gh[2];
	int c = mt_open_v2(m, 2, gh);
	uint64_t s0, s1;

	mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &s0), 0);	/* 16384 */
	T_ERR(mt_create_win(m, c, 12, 64 * MT_MIB, 1, &s1), 0);	/* 16384 */
	T_ERR(mt_map(m, c, MT_VA0, s1, 3 * 0x1000, MT_RW), 0);
	spapr_model_counters_reset(m);
	T_ERR(mt_ops(m)->group_unset_container(MT_BE(m), gh[1]), 0);
	T_EQU(host(m).tce_xchg, 2 * 16384);
	T_EQU(host(m).tce_writes, 3);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(s7_map_region_visits);
	T_RUN(s7_tce_exchanges);
	T_RUN(s7_remove_clears_whole_window);
	T_RUN(s7_invalidation_style);
	T_RUN(s7_pseries_unmap_hcalls);
	T_RUN(s7_ioctl_counts);
	T_RUN(s7_per_container_vs_per_mm);
	T_RUN(s7_invalidations_per_pe);
	T_RUN(s7_pages_pinned);
	T_RUN(s7_clear_skips_unallocated_blocks);
	T_RUN(s7_pseries_remove_hcalls);
	T_RUN(s7_detach_clear_cost);
	return t_finish();
}
