/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §4: several groups in one container, attach after windows exist, group
 * detach, last-group release, closing the container fd, pseries sharing.
 */
#include "model_test.h"

#define PG64K (64 * MT_KIB)

static struct spapr_model *pnv(bool clears)
{
	struct spapr_model_profile p;

	mt_profile("powernv9", &p);
	p.memlock_limit = SPAPR_MODEL_UNLIMITED;
	p.cap_ipc_lock = false;
	p.groups = 4;
	p.detach_clears_tces = clears;
	p.quirk_unregister_orphans = true;
	p.quirk_leak_failed_create = true;
	return mt_create(&p);
}

/* REMOVE the pending default window, register 16 MiB at MT_VA0, create a
 * 1 GiB 64 KiB-page window at 0 and map 1 MiB of it. Returns its start. */
static uint64_t setup_window(struct spapr_model *m, int c)
{
	uint64_t start = ~0ull;

	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &start), 0);
	T_EQU(start, 0);
	T_ERR(mt_map(m, c, MT_VA0, start, MT_MIB, MT_RW), 0);
	return start;
}

/* Device of @group reads one byte at @iova: returns the hpa or ~0 on error. */
static uint64_t dev_hpa(struct spapr_model *m, int group, uint64_t iova)
{
	struct spapr_model_xlat x;

	memset(&x, 0, sizeof(x));
	if (spapr_model_dma_check(m, group, iova, 1, SPAPR_MODEL_DMA_READ, &x))
		return ~0ull;
	return x.hpa;
}

/* A MAP is visible to the devices of every group in the container: the
 * PowerNV table is shared (IODA pnv_pci_ioda2_set_window). */
static void s4_shared_table_two_groups(void)
{
	struct spapr_model *m = pnv(true);
	int gh[2];
	int c = mt_open_v2(m, 2, gh);
	uint64_t start;
	struct spapr_model_container_info ci;

	T_CHECK(c >= 0);
	start = setup_window(m, c);
	ci = mt_cinfo(m, c);
	T_EQ(ci.ngroups, 2);
	T_EQU(dev_hpa(m, 0, start + 0x1234), mt_pa(m, MT_VA0 + 0x1234));
	T_EQU(dev_hpa(m, 1, start + 0x1234), mt_pa(m, MT_VA0 + 0x1234));
	T_EQU(dev_hpa(m, 1, start + MT_MIB - 1), mt_pa(m, MT_VA0 + MT_MIB - 1));
	/* a group outside the container does not see it (it faults) */
	T_CHECK(dev_hpa(m, 2, start) == ~0ull);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Attach after windows exist: the windows are programmed into the new PE
 * and existing mappings are visible to it at once (§4, §3.2). */
static void s4_attach_after_windows(void)
{
	struct spapr_model *m = pnv(true);
	int gh[1];
	int c = mt_open_v2(m, 1, gh);
	uint64_t start, s1;
	int g1;

	start = setup_window(m, c);
	T_ERR(mt_create_win(m, c, 21, MT_TIB, 1, &s1), 0);
	T_EQU(s1, MT_BIT59);
	g1 = mt_ops(m)->group_open(MT_BE(m), 1);
	T_CHECK(g1 >= 0);
	T_ERR(mt_ops(m)->group_set_container(MT_BE(m), g1, c), 0);
	T_EQ(mt_cinfo(m, c).ngroups, 2);
	T_EQU(dev_hpa(m, 1, start + 0x10000), mt_pa(m, MT_VA0 + 0x10000));
	/* the second window is programmed too: a later MAP there is visible
	 * (2 MiB TCEs need a hugetlb-backed region, §3.5 pageshift) */
	mt_vma(m, MT_VA2, 32 * MT_MIB, 24, SPAPR_MODEL_VMA_HUGETLB);
	T_ERR(mt_reg(m, c, MT_VA2, 32 * MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA2, s1, 4 * MT_MIB, MT_RW), 0);
	T_EQU(dev_hpa(m, 1, s1 + 2 * MT_MIB + 5), mt_pa(m, MT_VA2 + 2 * MT_MIB + 5));
	T_EQU(dev_hpa(m, 0, s1 + 5), mt_pa(m, MT_VA2 + 5));
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Detach of one group clears every TCE of the shared tables, also for the
 * remaining group (ML-CLEAR); windows and registrations stay. */
static void s4_detach_clears_shared_tces(void)
{
	struct spapr_model *m = pnv(true);
	int gh[2];
	int c = mt_open_v2(m, 2, gh);
	uint64_t start = setup_window(m, c), locked = mt_locked(m);
	struct spapr_model_container_info before = mt_cinfo(m, c), after;
	struct spapr_model_region_info r[4];

	T_EQU(before.windows[0].tces_in_use, 16);
	T_ERR(mt_ops(m)->group_unset_container(MT_BE(m), gh[1]), 0);
	after = mt_cinfo(m, c);
	T_EQ(after.ngroups, 1);
	T_CHECK(after.iommu_set);
	T_CHECK(after.windows[0].present);
	T_EQU(after.windows[0].bytes_charged, before.windows[0].bytes_charged);
	T_EQU(after.windows[0].tces_in_use, 0);
	T_EQU(mt_tce(m, c, 0, start >> 16), 0);
	T_EQU(mt_locked(m), locked);
	T_EQ(spapr_model_mm_regions(m, 0, r, 4), 1);
	T_EQU(r[0].mapped, 1);
	T_EQU(r[0].used, 1);
	/* the remaining group's device now faults */
	T_CHECK(dev_hpa(m, 0, start) == ~0ull);
	/* re-map after a PE reset: visible again */
	T_ERR(spapr_model_pe_reset(m, 0), 0);
	T_ERR(mt_map(m, c, MT_VA0, start, MT_MIB, MT_RW), 0);
	T_EQU(dev_hpa(m, 0, start), mt_pa(m, MT_VA0));
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Before ML-CLEAR detach only unset the window: TCEs stay. */
static void s4_detach_keeps_tces_pre_ml_clear(void)
{
	struct spapr_model *m = pnv(false);
	int gh[2];
	int c = mt_open_v2(m, 2, gh);
	uint64_t start = setup_window(m, c);
	uint64_t tce = mt_tce(m, c, 0, start >> 16);

	T_CHECK(tce != 0);
	T_ERR(mt_ops(m)->group_unset_container(MT_BE(m), gh[1]), 0);
	T_EQU(mt_cinfo(m, c).windows[0].tces_in_use, 16);
	T_EQU(mt_tce(m, c, 0, start >> 16), tce);
	T_EQU(dev_hpa(m, 0, start), mt_pa(m, MT_VA0));
	/* the departed group's PE no longer has the window */
	T_CHECK(dev_hpa(m, 1, start) == ~0ull);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Last group detached: release frees tables and prereg references, the
 * container reverts to "no IOMMU" and SET_IOMMU works again after a group is
 * re-added. Orphans (§3.5) and leaked CREATE charges (§3.6.8) remain. */
static void s4_last_detach_releases(void)
{
	struct spapr_model *m = pnv(true);
	int gh[1];
	int c = mt_open_v2(m, 1, gh);
	struct vfio_iommu_spapr_tce_info info;
	struct spapr_model_container_info ci;
	struct spapr_model_mm_info mi;

	setup_window(m, c);
	/* a second region, mapped then unregistered: orphaned */
	mt_vma(m, MT_VA1, 4 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA1, 4 * MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA1, 32 * MT_MIB, 4 * MT_MIB, MT_RW), 0);
	T_ERR(mt_unreg(m, c, MT_VA1, 4 * MT_MIB), 0);
	T_EQ(mt_mm(m, 0).orphaned_regions, 1);
	/* a failed CREATE that leaks 256 MiB = 4096 pages */
	T_ERR(mt_create_win(m, c, 16, MT_TIB, 1, NULL), -ENOMEM);
	T_EQU(mt_mm(m, 0).leaked_pages, 4096);
	T_CHECK(mt_locked(m) > 4096 + 64 + 256);

	T_ERR(mt_ops(m)->group_unset_container(MT_BE(m), gh[0]), 0);
	ci = mt_cinfo(m, c);
	T_CHECK(!ci.iommu_set);
	T_EQ(ci.ngroups, 0);
	T_CHECK(!ci.windows[0].present && !ci.windows[1].present);
	mi = mt_mm(m, 0);
	T_EQ(mi.regions, 1);
	T_EQ(mi.orphaned_regions, 1);
	/* orphan: 4 MiB = 64 pages; leak: 4096 pages */
	T_EQU(mi.locked_vm_pages, 64 + 4096);
	T_ERR(mt_get_info(m, c, &info), -EINVAL);	/* §3.0: no driver */
	T_ERR(mt_ops(m)->group_set_container(MT_BE(m), gh[0], c), 0);
	T_ERR(mt_ops(m)->set_iommu(MT_BE(m), c, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	ci = mt_cinfo(m, c);
	T_CHECK(ci.iommu_set && ci.v2 && ci.def_window_pending && !ci.enabled);
	T_ERR(mt_get_info(m, c, &info), 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Without orphans and leaks the release returns locked_vm to zero. */
static void s4_last_detach_returns_all(void)
{
	struct spapr_model *m = pnv(true);
	int gh[2];
	int c = mt_open_v2(m, 2, gh);

	setup_window(m, c);
	T_ERR(mt_ops(m)->group_unset_container(MT_BE(m), gh[0]), 0);
	T_CHECK(mt_locked(m) > 0);
	T_EQ(mt_mm(m, 0).regions, 1);
	/* closing the group fd detaches it too (§4) */
	T_ERR(mt_ops(m)->close(MT_BE(m), gh[1]), 0);
	T_EQU(mt_locked(m), 0);
	T_EQ(mt_mm(m, 0).regions, 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Closing the container fd while groups reference it releases nothing;
 * the release happens when the last group leaves (§4, trap §10.17). */
static void s4_close_container_keeps_state(void)
{
	struct spapr_model *m = pnv(true);
	int gh[1];
	int c = mt_open_v2(m, 1, gh);
	uint64_t start = setup_window(m, c), locked = mt_locked(m);
	uint32_t flags = 0;

	T_ERR(mt_ops(m)->close(MT_BE(m), c), 0);
	T_EQU(mt_locked(m), locked);
	T_EQ(mt_mm(m, 0).regions, 1);
	T_EQU(dev_hpa(m, 0, start + 0x20000), mt_pa(m, MT_VA0 + 0x20000));
	T_ERR(mt_ops(m)->group_get_status(MT_BE(m), gh[0], &flags), 0);
	T_CHECK(flags & VFIO_GROUP_FLAGS_CONTAINER_SET);
	mt_invariants(m);
	T_ERR(mt_ops(m)->group_unset_container(MT_BE(m), gh[0]), 0);
	T_EQU(mt_locked(m), 0);
	T_EQ(mt_mm(m, 0).regions, 0);
	T_CHECK(dev_hpa(m, 0, start) == ~0ull);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* pseries cannot share windows: set_window of another group's table fails
 * with -EPERM (PSER spapr_tce_set_window), so a second group cannot join a
 * container that has windows. */
static void s4_pseries_one_group_per_container(void)
{
	struct spapr_model *m = mt_model("pseries-kvm");
	int gh[1];
	int c = mt_open_v2(m, 1, gh);
	int g1;
	uint64_t start;

	T_CHECK(c >= 0);
	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	/* materialises the default window (slot 0) */
	T_ERR(mt_map(m, c, MT_VA0, 0, MT_MIB, MT_RW), 0);
	T_CHECK(mt_cinfo(m, c).windows[0].present);
	g1 = mt_ops(m)->group_open(MT_BE(m), 1);
	T_CHECK(g1 >= 0);
	T_ERR(mt_ops(m)->group_set_container(MT_BE(m), g1, c), -EPERM);
	T_EQ(mt_cinfo(m, c).ngroups, 1);
	/* the container still works for its own group */
	T_EQU(dev_hpa(m, 0, 0x4000), mt_pa(m, MT_VA0 + 0x4000));
	T_ERR(mt_ops(m)->group_get_status(MT_BE(m), g1, &(uint32_t){0}), 0);
	/* and group 1 works alone in its own container */
	{
		int c2 = mt_ops(m)->container_open(MT_BE(m));

		T_ERR(mt_ops(m)->group_set_container(MT_BE(m), g1, c2), 0);
		T_ERR(mt_ops(m)->set_iommu(MT_BE(m), c2, VFIO_SPAPR_TCE_v2_IOMMU), 0);
		T_ERR(mt_remove(m, c2, 0), 0);
		T_ERR(mt_create_win(m, c2, 16, MT_GIB, 1, &start), 0);
	}
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* §4: only the first group of the container is consulted for GET_INFO and
 * window creation; nothing else is compared at attach, except the backend
 * kind (ops->create_table, -EPERM when PowerNV and pseries PEs mix). */
static void s4_first_group_decides(void)
{
	struct spapr_model *m = pnv(true);
	const struct spapr_backend_ops *o = mt_ops(m);
	struct spapr_model_group_params gp;
	struct vfio_iommu_spapr_tce_info info;
	int small, mixed, c, ga, gb, gm;
	uint64_t start;

	spapr_model_default_group_params(m, &gp);
	gp.dma32_size = 0x40000000u;
	gp.pgsizes = 0x1000;		/* 4K only */
	small = spapr_model_add_group(m, &gp);
	T_CHECK(small >= 4);
	spapr_model_default_group_params(m, &gp);
	gp.platform = SPAPR_MODEL_PSERIES;
	mixed = spapr_model_add_group(m, &gp);
	T_CHECK(mixed > small);

	c = o->container_open(MT_BE(m));
	ga = o->group_open(MT_BE(m), 0);
	gb = o->group_open(MT_BE(m), small);
	gm = o->group_open(MT_BE(m), mixed);
	T_ERR(o->group_set_container(MT_BE(m), ga, c), 0);
	T_ERR(o->group_set_container(MT_BE(m), gb, c), 0);
	T_ERR(o->set_iommu(MT_BE(m), c, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	T_ERR(o->group_set_container(MT_BE(m), gm, c), -EPERM);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQU(info.dma32_window_size, 0x80000000u);	/* group 0's */
	T_EQU(info.ddw.pgsizes, 0x40211000ull);
	/* 64K TCEs: allowed by the first group, programmed into both */
	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &start), 0);
	T_ERR(mt_map(m, c, MT_VA0, start, MT_MIB, MT_RW), 0);
	T_EQU(dev_hpa(m, small, start + 0x30000), mt_pa(m, MT_VA0 + 0x30000));
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* v1: the release (last group closed) un-charges the ENABLE charge. */
static void s4_v1_release_uncharges(void)
{
	struct spapr_model *m = pnv(true);
	int gh[1];
	int c = mt_open(m, 1, VFIO_SPAPR_TCE_IOMMU, gh);

	T_CHECK(c >= 0);
	T_ERR(mt_ops(m)->enable(MT_BE(m), c), 0);
	T_EQU(mt_locked(m), 32768);
	T_ERR(mt_ops(m)->close(MT_BE(m), gh[0]), 0);
	T_EQU(mt_locked(m), 0);
	T_CHECK(!mt_cinfo(m, c).iommu_set);
	mt_invariants(m);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(s4_shared_table_two_groups);
	T_RUN(s4_attach_after_windows);
	T_RUN(s4_detach_clears_shared_tces);
	T_RUN(s4_detach_keeps_tces_pre_ml_clear);
	T_RUN(s4_last_detach_releases);
	T_RUN(s4_last_detach_returns_all);
	T_RUN(s4_close_container_keeps_state);
	T_RUN(s4_pseries_one_group_per_container);
	T_RUN(s4_first_group_decides);
	T_RUN(s4_v1_release_uncharges);
	return t_finish();
}
