/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.5/§3.6 limits where the kernel refuses before doing the work: a
 * REGISTER whose per-page array cannot be allocated, and a pseries CREATE
 * of a window smaller than one IOMMU page.
 */
#include "model_test.h"

static struct spapr_model *with_ram(const char *profile, uint64_t ram)
{
	struct spapr_model_profile p;

	mt_profile(profile, &p);
	p.memlock_limit = SPAPR_MODEL_UNLIMITED;
	p.cap_ipc_lock = false;
	p.ram_size = ram;
	return mt_create(&p);
}

/* API mm_iommu_do_alloc: vzalloc(entries * 8) of the hpas array fails for
 * more pages than the host's RAM, before any page is pinned: -ENOMEM, the
 * locked_vm charge undone. 16 TiB on a 64K-page kernel is 2^28 entries,
 * a 2 GiB array: above a 2 GiB host's RAM (MemTotal is less than that),
 * within a 256 GiB host's, where pinning decides (1 MiB mapped, then a
 * hole: the pinned page count). */
static void register_beyond_ram(void)
{
	struct spapr_model *m = with_ram("pseries-kvm", 1984 * MT_MIB);
	int c = mt_open_v2(m, 1, NULL);

	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_TIB), -ENOMEM);
	T_ERR(mt_reg(m, c, MT_VA0, 1ull << 62), -ENOMEM);
	T_EQU(mt_locked(m), 0);
	T_EQU(mt_mm(m, 0).regions, 0);
	T_ERR(mt_reg(m, c, MT_VA0, MT_MIB), 0);
	mt_invariants(m);
	spapr_model_destroy(m);

	m = with_ram("pseries-kvm", 256 * MT_GIB);
	c = mt_open_v2(m, 1, NULL);
	mt_vma(m, MT_VA0, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_TIB), 16);
	T_ERR(mt_reg(m, c, MT_VA0, 1ull << 62), -ENOMEM);
	T_EQU(mt_locked(m), 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* VST tce_iommu_create_table: get_table_size = window >> (page_shift - 3)
 * is 0 below 1/8 page: -EINVAL before any charge. From 1/8 page up to one
 * page PSER spapr_tce_create_table's largest-block check refuses it
 * (-EINVAL, "retry with smaller window"), before ibm,create-pe-dma-window:
 * the PE is not poisoned, the next CREATE works and REMOVE finds it. */
static void pseries_create_below_one_page(void)
{
	struct spapr_model *m = mt_model("pseries-kvm");
	int c = mt_open_v2(m, 1, NULL);
	uint64_t start = 0;

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, 4 * MT_KIB, 1, NULL), -EINVAL);
	T_ERR(mt_create_win(m, c, 16, 32 * MT_KIB, 1, NULL), -EINVAL);
	T_ERR(mt_create_win(m, c, 16, 8 * MT_KIB, 1, NULL), -EINVAL);
	T_ERR(mt_create_win(m, c, 24, 8 * MT_MIB, 1, NULL), -EINVAL);
	T_EQU(mt_cinfo(m, c).windows[0].present, false);
	T_EQU(mt_cinfo(m, c).windows[1].present, false);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &start), 0);
	T_EQU(start, MT_BIT59);
	T_ERR(mt_remove(m, c, start), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &start), 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* The restore of a default window (slot 0, 4K pages) smaller than 4 KiB:
 * PSER sets the table up with it_size = window >> 12 = 0, and VST
 * tce_iommu_find_table can never match it. The model keeps such a table
 * (no entry to index, nothing to shift). */
static void pseries_default_restore_below_one_page(void)
{
	struct spapr_model *m = mt_model("pseries-kvm");
	int c = mt_open_v2(m, 1, NULL);
	uint64_t start = 1;

	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 12, 2 * MT_KIB, 1, &start), 0);
	T_EQU(start, 0);
	T_ERR(mt_remove(m, c, 0), -EINVAL);
	mt_invariants(m);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(register_beyond_ram);
	T_RUN(pseries_create_below_one_page);
	T_RUN(pseries_default_restore_below_one_page);
	return t_finish();
}
