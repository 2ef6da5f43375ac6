/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §10 traps userspace gets wrong, each shown as the kernel fact the model
 * must reproduce.
 */
#include "model_test.h"

#define PG64K (64 * MT_KIB)

static struct spapr_model *pnv(void (*tweak)(struct spapr_model_profile *))
{
	struct spapr_model_profile p;

	mt_profile("powernv9", &p);
	p.memlock_limit = SPAPR_MODEL_UNLIMITED;
	p.cap_ipc_lock = false;
	p.groups = 4;
	p.quirk_unregister_orphans = true;
	p.quirk_leak_failed_create = true;
	if (tweak)
		tweak(&p);
	return mt_create(&p);
}

/* Trap §10.1: once anything materialised window 0, a new window lands at 1<<59,
 * not 0. */
static void trap01_start_not_zero(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);
	uint64_t s = 0;

	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, MT_MIB), 0);
	T_ERR(mt_unmap(m, c, 0, 0x1000), 0);	/* materialises window 0 */
	T_ERR(mt_create_win(m, c, 16, 64 * MT_GIB, 1, &s), 0);
	T_EQU(s, MT_BIT59);
	spapr_model_destroy(m);
}

/* Trap §10.2: on a fresh container the default window is only pending, while
 * GET_INFO still describes it. */
static void trap02_default_window_pending(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);
	struct vfio_iommu_spapr_tce_info info;
	struct spapr_model_container_info ci = mt_cinfo(m, c);

	T_CHECK(ci.def_window_pending);
	T_CHECK(!ci.windows[0].present && !ci.windows[1].present);
	T_EQU(mt_locked(m), 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQU(info.dma32_window_size, 0x80000000u);
	spapr_model_destroy(m);
}

/* Trap §10.4: one region per hugepage makes every MAP page walk the list. */
static void trap04_per_hugepage_registration(void)
{
	uint64_t visits[2];

	for (int many = 0; many < 2; many++) {
		struct spapr_model *m = pnv(NULL);
		int c = mt_open_v2(m, 1, NULL);
		struct spapr_model_counters k;
		uint64_t s;

		mt_vma(m, MT_VA1, 64 * MT_MIB, 21, SPAPR_MODEL_VMA_HUGETLB);
		if (many) {
			for (int i = 0; i < 32; i++)
				T_ERR(mt_reg(m, c, MT_VA1 + (uint64_t)i * 2 * MT_MIB,
					     2 * MT_MIB), 0);
		} else {
			T_ERR(mt_reg(m, c, MT_VA1, 64 * MT_MIB), 0);
		}
		T_ERR(mt_remove(m, c, 0), 0);
		T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &s), 0);
		spapr_model_counters_reset(m);
		T_ERR(mt_map(m, c, MT_VA1, s, 64 * MT_MIB, MT_RW), 0);
		spapr_model_counters(m, &k);
		visits[many] = k.region_visits;
		spapr_model_destroy(m);
	}
	/* 1024 pages: 2 visits each with one region */
	T_EQU(visits[0], 2048);
	/* with 32 regions every page walks >= 32 + 1 nodes */
	T_CHECK(visits[1] >= 1024ull * 33);
	T_CHECK(visits[1] > 16 * visits[0]);
}

/* Trap §10.5: MAP before any REGISTER on v2 -> -EPERM. */
static void trap05_map_before_register(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);

	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	T_ERR(mt_map(m, c, MT_VA0, 0, 0x1000, MT_RW), -EPERM);
	T_ERR(mt_unmap(m, c, 0, 0x1000), -EPERM);
	T_CHECK(mt_cinfo(m, c).def_window_pending);
	spapr_model_destroy(m);
}

/* Trap §10.6: REGISTER needs system-page (64 KiB) alignment. */
static void trap06_register_alignment(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);

	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0 + 0x1000, 0x10000), -EINVAL);
	T_ERR(mt_reg(m, c, MT_VA0, 0x11000), -EINVAL);
	T_ERR(mt_reg(m, c, MT_VA0, 0x20000), 0);
	spapr_model_destroy(m);
}

/* Trap §10.7: page size not in ddw.pgsizes -> CREATE -EINVAL (16M on PHB4). */
static void trap07_pgsize_not_supported(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 24, MT_TIB, 1, NULL), -EINVAL);
	T_EQU(mt_locked(m), 0);
	T_ERR(mt_create_win(m, c, 21, MT_TIB, 1, NULL), 0);
	spapr_model_destroy(m);
}

/* Trap §10.8: IOMMU page larger than the region's pageshift -> MAP -EINVAL
 * (non-hugetlb memory, also THP); hugetlb regions allow it. */
static void trap08_region_pageshift(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);
	uint64_t s;
	struct spapr_model_region_info r[2];

	mt_vma(m, MT_VA0, 32 * MT_MIB, 16, 0);
	mt_vma(m, MT_VA1, 32 * MT_MIB, 24, SPAPR_MODEL_VMA_HUGETLB);
	T_ERR(mt_reg(m, c, MT_VA0, 32 * MT_MIB), 0);
	T_ERR(mt_reg(m, c, MT_VA1, 32 * MT_MIB), 0);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 2);
	T_EQ(r[0].pageshift, 24);	/* newest first: the hugetlb one */
	T_EQ(r[1].pageshift, 16);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 21, MT_TIB, 1, &s), 0);
	T_ERR(mt_map(m, c, MT_VA0, s, 2 * MT_MIB, MT_RW), -EINVAL);
	T_ERR(mt_map(m, c, MT_VA1, s, 2 * MT_MIB, MT_RW), 0);
	spapr_model_destroy(m);
}

/* Trap §10.10: each failed CREATE keeps its charge: naive retries add up. */
static void trap10_failed_create_retries_leak(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_TIB, 1, NULL), -ENOMEM);
	T_ERR(mt_create_win(m, c, 16, MT_TIB, 1, NULL), -ENOMEM);
	T_EQU(mt_mm(m, 0).leaked_pages, 8192);
	T_EQU(mt_locked(m), 8192);
	/* the retry with 2 levels then succeeds, charged on top */
	T_ERR(mt_create_win(m, c, 16, MT_TIB, 2, NULL), 0);
	T_EQU(mt_locked(m), 8192 + 4098);
	mt_invariants(m);
	spapr_model_destroy(m);
}

static void no_leak(struct spapr_model_profile *p)
{
	p->quirk_leak_failed_create = false;
}

static void trap10_no_leak_knob(void)
{
	struct spapr_model *m = pnv(no_leak);
	int c = mt_open_v2(m, 1, NULL);

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_TIB, 1, NULL), -ENOMEM);
	T_EQU(mt_mm(m, 0).leaked_pages, 0);
	T_EQU(mt_locked(m), 0);
	spapr_model_destroy(m);
}

/* Trap §10.12: UNREGISTER while mapped returns 0 and orphans the region
 * (pinned, charged, owned by nobody); container release does not free it. */
static void trap12_unregister_while_mapped(void)
{
	struct spapr_model *m = pnv(NULL);
	int gh[1] = { -1 };
	int c = mt_open_v2(m, 1, gh);
	struct spapr_model_region_info r[2];

	mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA0, 0, 4 * MT_MIB, MT_RW), 0);
	T_ERR(mt_unreg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 1);
	T_CHECK(r[0].orphaned);
	T_EQU(r[0].mapped, 1 + 1024);
	/* not this container's any more */
	T_ERR(mt_unreg(m, c, MT_VA0, 4 * MT_MIB), -ENOENT);
	T_EQ(mt_mm(m, 0).orphaned_regions, 1);
	T_ERR(mt_ops(m)->close(MT_BE(m), gh[0]), 0);
	T_ERR(mt_ops(m)->close(MT_BE(m), c), 0);
	T_EQU(mt_locked(m), 64);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 1);
	T_CHECK(r[0].orphaned);
	T_EQU(r[0].mapped, 1);
	mt_invariants(m);
	spapr_model_destroy(m);
}

static void no_orphan(struct spapr_model_profile *p)
{
	p->quirk_unregister_orphans = false;
}

/* Older kernels: UNREGISTER of a mapped region -> -EBUSY, nothing changes. */
static void trap12_older_kernels_ebusy(void)
{
	struct spapr_model *m = pnv(no_orphan);
	int c = mt_open_v2(m, 1, NULL);

	mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA0, 0, MT_MIB, MT_RW), 0);
	T_ERR(mt_unreg(m, c, MT_VA0, 4 * MT_MIB), -EBUSY);
	T_EQ(mt_mm(m, 0).orphaned_regions, 0);
	T_ERR(mt_unmap(m, c, 0, MT_MIB), 0);
	T_ERR(mt_unreg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_EQ(mt_mm(m, 0).regions, 0);
	spapr_model_destroy(m);
}

/* Trap §10.13: no type1 semantics: overlapping MAP silently replaces, UNMAP of
 * a hole succeeds. */
static void trap13_silent_replace(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);
	struct spapr_model_region_info r[2];

	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	mt_vma(m, MT_VA1, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, MT_MIB), 0);
	T_ERR(mt_reg(m, c, MT_VA1, MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA0, 0, 4 * 0x1000, MT_RW), 0);
	T_ERR(mt_map(m, c, MT_VA1, 0x2000, 4 * 0x1000, VFIO_DMA_MAP_FLAG_READ), 0);
	T_EQU(mt_tce(m, c, 0, 2), mt_pa(m, MT_VA1) | 1);
	T_EQU(mt_tce(m, c, 0, 1), mt_pa(m, MT_VA0 + 0x1000) | 3);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 2);
	T_EQU(r[0].mapped, 1 + 4);	/* VA1, newest */
	T_EQU(r[1].mapped, 1 + 2);	/* VA0 lost two */
	T_ERR(mt_unmap(m, c, 0x100000, 0x10000), 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Trap §10.14: MAP past the window end is kernel UB: -EINVAL + diagnostic. */
static void trap14_map_past_window_end(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);
	unsigned int d0;
	char msg[256];

	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, MT_MIB), 0);
	d0 = spapr_model_diagnostics(m, NULL, 0);
	T_ERR(mt_map(m, c, MT_VA0, 2 * MT_GIB - 0x1000, 0x2000, MT_RW), -EINVAL);
	T_EQ(spapr_model_diagnostics(m, msg, sizeof(msg)), d0 + 1);
	T_EQU(mt_cinfo(m, c).windows[0].tces_in_use, 0);
	T_ERR(mt_unmap(m, c, 2 * MT_GIB - 0x1000, 0x2000), -EINVAL);
	T_EQ(spapr_model_diagnostics(m, NULL, 0), d0 + 2);
	T_ERR(mt_map(m, c, MT_VA0, 2 * MT_GIB - 0x1000, 0x1000, MT_RW), 0);
	spapr_model_destroy(m);
}

/* Trap §10.16: the container is bound to the first mm that registered; any
 * other mm gets -EPERM for everything but CHECK_EXTENSION. Un-charging goes
 * to the bound mm even when another process closes the last group. */
static void trap16_mm_binding(void)
{
	struct spapr_model *m = pnv(NULL);
	int gh[1] = { -1 };
	int c = mt_open_v2(m, 1, gh);
	int mm1 = spapr_model_mm_create(m, SPAPR_MODEL_UNLIMITED, false);
	struct vfio_iommu_spapr_tce_info info;

	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	T_ERR(spapr_model_mm_map(m, mm1, MT_VA0, MT_MIB, 16, 0, NULL), 0);
	T_ERR(mt_reg(m, c, MT_VA0, MT_MIB), 0);
	T_EQ(mt_cinfo(m, c).mm, 0);
	T_ERR(spapr_model_set_current_mm(m, mm1), 0);
	T_ERR(mt_get_info(m, c, &info), -EPERM);
	T_ERR(mt_map(m, c, MT_VA0, 0, 0x1000, MT_RW), -EPERM);
	T_ERR(mt_reg(m, c, MT_VA0, MT_MIB), -EPERM);
	T_ERR(mt_remove(m, c, 0), -EPERM);
	T_EQ(mt_ops(m)->check_extension(MT_BE(m), c, VFIO_SPAPR_TCE_v2_IOMMU), 1);
	T_EQU(mt_mm(m, mm1).locked_vm_pages, 0);
	T_ERR(mt_ops(m)->close(MT_BE(m), gh[0]), 0);	/* release from mm1 */
	T_ERR(spapr_model_set_current_mm(m, 0), 0);
	T_EQU(mt_locked(m), 0);
	T_EQU(mt_mm(m, mm1).locked_vm_pages, 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Trap §10.18: the memlock budget surfaces as -ENOMEM from REGISTER, CREATE,
 * ENABLE and even MAP/UNMAP (implicit default window, 8 MiB on PowerNV). */
static void trap18_memlock_budget(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL), c1;
	const struct spapr_backend_ops *o = mt_ops(m);

	/* 16 MiB region + 4 MiB: not enough for the 8 MiB default window */
	T_ERR(spapr_model_mm_set_memlock(m, 0, 20 * MT_MIB, false), 0);
	mt_vma(m, MT_VA0, 64 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 32 * MT_MIB), -ENOMEM);
	T_EQU(mt_locked(m), 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	T_EQU(mt_locked(m), 256);
	T_ERR(mt_map(m, c, MT_VA0, 0, 0x1000, MT_RW), -ENOMEM);
	T_ERR(mt_unmap(m, c, 0, 0x1000), -ENOMEM);
	T_CHECK(mt_cinfo(m, c).def_window_pending);
	T_EQU(mt_locked(m), 256);
	T_EQU(mt_mm(m, 0).leaked_pages, 0);
	/* CREATE: the pending default window comes first and fails */
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), -ENOMEM);
	T_ERR(mt_remove(m, c, 0), 0);
	/* 64 GiB of 64K TCEs, 2 levels: 16 MiB charge > 4 MiB left */
	T_ERR(mt_create_win(m, c, 16, 64 * MT_GIB, 2, NULL), -ENOMEM);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), 0);	/* 256 KiB */
	T_ERR(mt_map(m, c, MT_VA0, 0, PG64K, MT_RW), 0);
	/* CAP_IPC_LOCK lifts the check */
	T_ERR(spapr_model_mm_set_memlock(m, 0, 20 * MT_MIB, true), 0);
	T_ERR(mt_create_win(m, c, 16, 64 * MT_GIB, 2, NULL), 0);
	mt_invariants(m);
	spapr_model_destroy(m);

	/* v1: ENABLE charges the whole 2 GiB dma32 window */
	m = pnv(NULL);
	o = mt_ops(m);
	c1 = mt_open(m, 1, VFIO_SPAPR_TCE_IOMMU, NULL);
	T_CHECK(c1 >= 0);
	T_ERR(spapr_model_mm_set_memlock(m, 0, MT_GIB, false), 0);
	T_ERR(o->enable(MT_BE(m), c1), -ENOMEM);
	T_CHECK(!mt_cinfo(m, c1).enabled);
	T_ERR(spapr_model_mm_set_memlock(m, 0, 2 * MT_GIB, false), 0);
	T_ERR(o->enable(MT_BE(m), c1), 0);
	T_EQU(mt_locked(m), 32768);
	spapr_model_destroy(m);
}

/* Trap §10.8, details of the region pageshift (§3.5, API mm_iommu_do_alloc):
 * THP does not count as huge; the running candidate is not reset per page,
 * so normal pages after a hugetlb page keep the huge shift, while a normal
 * page first pins it to PAGE_SHIFT. A TCE larger than the backing page is
 * then refused at MAP by tce_page_is_contained (-EPERM). */
static void trap08_region_pageshift_page_kinds(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);
	struct spapr_model_region_info r[4];
	const uint64_t X = MT_VA2, Y = MT_VA2 + MT_GIB;
	uint64_t s;

	/* THP-like: 2 MiB pages, not hugetlbfs */
	mt_vma(m, MT_VA0, 32 * MT_MIB, 21, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 32 * MT_MIB), 0);
	T_EQ(spapr_model_mm_regions(m, 0, r, 4), 1);
	T_EQ(r[0].pageshift, 16);
	/* hugetlb 16M then normal 64K pages */
	mt_vma(m, X, 16 * MT_MIB, 24, SPAPR_MODEL_VMA_HUGETLB);
	mt_vma(m, X + 16 * MT_MIB, 16 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, X, 32 * MT_MIB), 0);
	/* normal 64K pages then hugetlb 16M */
	mt_vma(m, Y, 16 * MT_MIB, 16, 0);
	mt_vma(m, Y + 16 * MT_MIB, 16 * MT_MIB, 24, SPAPR_MODEL_VMA_HUGETLB);
	T_ERR(mt_reg(m, c, Y, 32 * MT_MIB), 0);
	T_EQ(spapr_model_mm_regions(m, 0, r, 4), 3);
	T_EQ(r[0].pageshift, 16);	/* Y: normal first */
	T_EQ(r[1].pageshift, 24);	/* X: huge first, quirk keeps 24 */

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 21, MT_TIB, 1, &s), 0);
	T_ERR(mt_map(m, c, X, s, 2 * MT_MIB, MT_RW), 0);
	/* 2 MiB TCE over 64 KiB pages of X: pageshift allows, backing not */
	T_ERR(mt_map(m, c, X + 16 * MT_MIB, s + 2 * MT_MIB, 2 * MT_MIB, MT_RW),
	      -EPERM);
	/* Y's huge half: the region's pageshift (16) refuses 2 MiB */
	T_ERR(mt_map(m, c, Y + 16 * MT_MIB, s + 4 * MT_MIB, 2 * MT_MIB, MT_RW),
	      -EINVAL);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Trap §10.12, consequences (API mm_iommu_get/put, VST register/unregister):
 * an orphan keeps one stuck reference. Registering it again shares it (no
 * new charge); unregistering it again, even unmapped, only drops that new
 * reference: the region is never freed for the life of the mm. */
static void trap12_orphan_is_permanent(void)
{
	struct spapr_model *m = pnv(NULL);
	int c = mt_open_v2(m, 1, NULL);
	struct spapr_model_region_info r[2];

	mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA0, 0, MT_MIB, MT_RW), 0);
	T_ERR(mt_unreg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_ERR(mt_unmap(m, c, 0, MT_MIB), 0);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 1);
	T_CHECK(r[0].orphaned);
	T_EQU(r[0].mapped, 1);
	/* exact match: shared, not re-pinned or re-charged */
	T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_EQU(mt_locked(m), 64 + 128);	/* region + default window */
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 1);
	T_CHECK(!r[0].orphaned);
	T_ERR(mt_unreg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 1);
	T_CHECK(r[0].orphaned);
	T_EQU(mt_locked(m), 64 + 128);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Trap §10.12 across containers: regions are per mm, so container B may map a
 * region only A registered. A's UNREGISTER (or A's release) then orphans
 * it, and B's later release does not free it (it is not on B's list). */
static void trap12_cross_container_orphan(void)
{
	struct spapr_model *m = pnv(NULL);
	const struct spapr_backend_ops *o = mt_ops(m);
	int ga[1] = { -1 };
	int ca = mt_open_v2(m, 1, ga), cb, gb;
	struct spapr_model_region_info r[2];

	mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
	mt_vma(m, MT_VA1, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, ca, MT_VA0, 4 * MT_MIB), 0);
	cb = o->container_open(MT_BE(m));
	gb = o->group_open(MT_BE(m), 1);
	T_ERR(o->group_set_container(MT_BE(m), gb, cb), 0);
	T_ERR(o->set_iommu(MT_BE(m), cb, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	T_ERR(mt_reg(m, cb, MT_VA1, MT_MIB), 0);	/* enables B */
	T_ERR(mt_map(m, cb, MT_VA0, 0, 2 * MT_MIB, MT_RW), 0);	/* A's region */
	/* A's release: its reference cannot be dropped (mapped by B) */
	T_ERR(o->close(MT_BE(m), ga[0]), 0);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 2);
	T_CHECK(r[1].ua == MT_VA0 && r[1].orphaned);
	/* B's release clears its TCEs and frees only its own region */
	T_ERR(o->close(MT_BE(m), gb), 0);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 1);
	T_EQU(r[0].ua, MT_VA0);
	T_CHECK(r[0].orphaned);
	T_EQU(r[0].mapped, 1);
	T_EQU(mt_locked(m), 64);
	mt_invariants(m);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(trap01_start_not_zero);
	T_RUN(trap02_default_window_pending);
	T_RUN(trap04_per_hugepage_registration);
	T_RUN(trap05_map_before_register);
	T_RUN(trap06_register_alignment);
	T_RUN(trap07_pgsize_not_supported);
	T_RUN(trap08_region_pageshift);
	T_RUN(trap08_region_pageshift_page_kinds);
	T_RUN(trap10_failed_create_retries_leak);
	T_RUN(trap10_no_leak_knob);
	T_RUN(trap12_unregister_while_mapped);
	T_RUN(trap12_older_kernels_ebusy);
	T_RUN(trap12_orphan_is_permanent);
	T_RUN(trap12_cross_container_orphan);
	T_RUN(trap13_silent_replace);
	T_RUN(trap14_map_past_window_end);
	T_RUN(trap16_mm_binding);
	T_RUN(trap18_memlock_budget);
	return t_finish();
}
