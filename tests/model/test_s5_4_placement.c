/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §5.4 default windows, §5.5 window placement, §6 platform backends:
 * PowerNV slot starts, the pending default window, pseries DDW placement
 * (observed 1<<59), single DDW, poisoning, default-window requests,
 * largest_available_block, SR-IOV VF and the no-ddw-applicable quirk.
 */
#include "model_test.h"

static struct spapr_model *with(const char *name,
				void (*tweak)(struct spapr_model_profile *))
{
	struct spapr_model_profile p;

	mt_profile(name, &p);
	p.memlock_limit = SPAPR_MODEL_UNLIMITED;
	p.cap_ipc_lock = false;
	p.quirk_pseries_poison = true;
	if (tweak)
		tweak(&p);
	return mt_create(&p);
}

/* PowerNV: slot 0 -> tce32_start (0), slot 1 -> 1<<59 (TVE#1 select bit);
 * only two slots (-ENOSPC). */
static void s5_5_powernv_slot_starts(void)
{
	struct spapr_model *m = with("powernv9", NULL);
	int c = mt_open_v2(m, 1, NULL);
	uint64_t s0 = 1, s1 = 0;
	struct spapr_model_container_info ci;

	T_ERR(mt_remove(m, c, 0), 0);
	T_CHECK(!mt_cinfo(m, c).def_window_pending);
	T_ERR(mt_create_win(m, c, 16, 4 * MT_GIB, 1, &s0), 0);
	T_EQU(s0, 0);
	T_ERR(mt_create_win(m, c, 30, MT_TIB, 1, &s1), 0);
	T_EQU(s1, MT_BIT59);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), -ENOSPC);
	ci = mt_cinfo(m, c);
	T_EQU(ci.windows[0].start, 0);
	T_EQU(ci.windows[0].size, 4 * MT_GIB);
	T_EQU(ci.windows[1].start, MT_BIT59);
	T_EQ(ci.windows[1].page_shift, 30);
	/* removing slot 0 and creating again lands at 0 again */
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 12, MT_GIB, 1, &s0), 0);
	T_EQU(s0, 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

static void check_default_window(struct spapr_model *m, int c)
{
	struct spapr_model_container_info ci = mt_cinfo(m, c);

	T_CHECK(!ci.def_window_pending);
	T_CHECK(ci.windows[0].present);
	T_EQU(ci.windows[0].start, 0);
	T_EQU(ci.windows[0].size, 2 * MT_GIB);
	T_EQ(ci.windows[0].page_shift, 12);
	T_EQ(ci.windows[0].levels, 1);
	T_EQU(ci.windows[0].bytes_charged, 8 * MT_MIB);
}

/* §3.7: the pending default window is materialised (4 KiB, dma32 size,
 * 1 level, slot 0, charged 8 MiB on 2 GiB) by MAP, UNMAP or CREATE. */
static void s5_4_pending_default_materialised(void)
{
	for (int how = 0; how < 3; how++) {
		struct spapr_model *m = with("powernv9", NULL);
		int c = mt_open_v2(m, 1, NULL);
		uint64_t locked, s = 0;

		mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
		T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
		T_CHECK(mt_cinfo(m, c).def_window_pending);
		T_CHECK(!mt_cinfo(m, c).windows[0].present);
		locked = mt_locked(m);
		if (how == 0)
			T_ERR(mt_map(m, c, MT_VA0, 0x10000, 0x1000, MT_RW), 0);
		else if (how == 1)
			T_ERR(mt_unmap(m, c, 0, 0x1000), 0);
		else
			T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &s), 0);
		check_default_window(m, c);
		if (how == 2) {
			/* trap §10.1: the new window went to slot 1 */
			T_EQU(s, MT_BIT59);
			T_EQU(mt_locked(m) - locked,
			      128 + (mt_pnv_charge(16, MT_GIB, 1, 16) >> 16));
		} else {
			T_EQU(mt_locked(m) - locked, 128);
		}
		/* REMOVE(0) now really removes it and un-charges */
		T_ERR(mt_remove(m, c, 0), 0);
		T_CHECK(!mt_cinfo(m, c).windows[0].present);
		mt_invariants(m);
		spapr_model_destroy(m);
	}
}

/* pseries KVM guest: the DDW starts at 1<<59 (observed on 6.12 in every run,
 * testbed), also after REMOVE of the pending default window. */
static void s6_pseries_kvm_ddw_start(void)
{
	struct spapr_model *m = with("pseries-kvm", NULL);
	int c = mt_open_v2(m, 1, NULL);
	uint64_t s = 0;

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, 4 * MT_GIB, 1, &s), 0);
	T_EQU(s, MT_BIT59);
	T_CHECK(mt_slot_of(m, c, MT_BIT59) >= 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Only one DDW at a time: a second CREATE -> -ENODEV, and that failure
 * poisons the PE: every later CREATE -> -ENODEV (observed). */
static void s6_pseries_single_ddw_and_poison(void)
{
	struct spapr_model *m = with("pseries-kvm", NULL);
	int c = mt_open_v2(m, 1, NULL);
	uint64_t s = 0;

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, 4 * MT_GIB, 1, &s), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), -ENODEV);
	T_ERR(mt_remove(m, c, s), 0);
	T_ERR(mt_create_win(m, c, 16, 4 * MT_GIB, 1, NULL), -ENODEV);
	/* even the default-window request (4K, <= dma32 size) */
	T_ERR(mt_create_win(m, c, 12, MT_GIB, 1, NULL), -ENODEV);
	T_CHECK(!mt_cinfo(m, c).windows[0].present);
	T_CHECK(!mt_cinfo(m, c).windows[1].present);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* A "default-window request" (4 KiB pages, size <= tce32_size) in slot 0
 * restores the default window via reset-pe: it lands at dma32 start 0. */
static void s6_pseries_default_window_request(void)
{
	struct spapr_model *m = with("pseries-kvm", NULL);
	int c = mt_open_v2(m, 1, NULL);
	uint64_t s = 1;

	mt_vma(m, MT_VA0, 4 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 4 * MT_MIB), 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 12, MT_GIB, 1, &s), 0);
	T_EQU(s, 0);
	T_ERR(mt_map(m, c, MT_VA0, 0x3000, 0x2000, MT_RW), 0);
	/* pseries: entries * 8, no x2: 2^18 * 8 = 2 MiB = 32 pages */
	T_EQU(mt_cinfo(m, c).windows[0].bytes_charged, 2 * MT_MIB);
	/* a DDW beside it still works and lands at 1<<59 */
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &s), 0);
	T_EQU(s, MT_BIT59);
	mt_invariants(m);
	spapr_model_destroy(m);
}

static void small_block(struct spapr_model_profile *p)
{
	p->largest_available_block = 4096;
}

/* largest_available_block < entries -> -EINVAL ("retry with a smaller
 * window"); not an RTAS create failure, so no poisoning. */
static void s6_pseries_largest_available_block(void)
{
	struct spapr_model *m = with("pseries-kvm", small_block);
	int c = mt_open_v2(m, 1, NULL);
	uint64_t s = 0;

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), -EINVAL);	/* 16384 */
	T_ERR(mt_create_win(m, c, 16, 256 * MT_MIB, 1, &s), 0);	/* 4096 */
	T_EQU(s, MT_BIT59);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* PowerVM SR-IOV VF: TCEs up to 64 KiB, a single window (C-BATRA). */
static void s6_pseries_sriov_vf(void)
{
	struct spapr_model *m = with("pseries-powervm-sriov-vf", NULL);
	int c = mt_open_v2(m, 1, NULL);
	struct vfio_iommu_spapr_tce_info info;

	T_CHECK(c >= 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQU(info.ddw.pgsizes & ~0x11000ull, 0);
	T_EQ(info.ddw.max_dynamic_windows_supported, 1);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 21, MT_GIB, 1, NULL), -EINVAL);
	T_ERR(mt_create_win(m, c, 24, MT_GIB, 1, NULL), -EINVAL);
	T_ERR(mt_create_win(m, c, 16, 256 * MT_MIB, 1, NULL), 0);
	/* no second window on a single-window PE */
	T_CHECK(mt_create_win(m, c, 16, 128 * MT_MIB, 1, NULL) < 0);
	T_CHECK(!(mt_cinfo(m, c).windows[0].present && mt_cinfo(m, c).windows[1].present));
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* No ibm,ddw-applicable: GET_INFO shows the quirk values (max windows
 * 0xFFFFFFFF read back from -1, levels 0, pgsizes 4K); a DDW create fails
 * (DT read -EINVAL) and poisons the device; default requests work until
 * then. */
static void s6_pseries_noddw(void)
{
	struct spapr_model *m = with("pseries-noddw", NULL);
	int c = mt_open_v2(m, 1, NULL);
	struct vfio_iommu_spapr_tce_info info;
	uint64_t s = 1;

	T_CHECK(c >= 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQ(info.flags, VFIO_IOMMU_SPAPR_INFO_DDW);
	T_EQU(info.ddw.pgsizes, 0x1000);
	T_EQU(info.ddw.max_dynamic_windows_supported, 0xFFFFFFFFu);
	T_EQ(info.ddw.levels, 0);
	T_ERR(mt_remove(m, c, 0), 0);
	/* default-window request: fine */
	T_ERR(mt_create_win(m, c, 12, info.dma32_window_size, 1, &s), 0);
	T_EQU(s, info.dma32_window_start);
	T_ERR(mt_remove(m, c, s), 0);
	/* 64 KiB not in pgsizes: VFIO rejects before the platform */
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), -EINVAL);
	T_ERR(mt_create_win(m, c, 12, info.dma32_window_size, 1, &s), 0);
	T_ERR(mt_remove(m, c, s), 0);
	/* a real DDW request (bigger than dma32): fails and poisons */
	T_CHECK(mt_create_win(m, c, 12, 4ull * info.dma32_window_size, 1, NULL) < 0);
	T_ERR(mt_create_win(m, c, 12, info.dma32_window_size, 1, NULL), -ENODEV);
	mt_invariants(m);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(s5_5_powernv_slot_starts);
	T_RUN(s5_4_pending_default_materialised);
	T_RUN(s6_pseries_kvm_ddw_start);
	T_RUN(s6_pseries_single_ddw_and_poison);
	T_RUN(s6_pseries_default_window_request);
	T_RUN(s6_pseries_largest_available_block);
	T_RUN(s6_pseries_sriov_vf);
	T_RUN(s6_pseries_noddw);
	return t_finish();
}
