/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §5.1 TCE entry format: RPN = host physical address of the IOMMU page,
 * bit 0 = device may read, bit 1 = device may write; PowerNV stores W-only as
 * R|W (IODATCE pnv_tce_xchg), pseries passes W-only through (PSER
 * tce_exchange_pseries); 4 KiB TCEs on 64 KiB system pages keep the offset
 * inside the system page. spapr_model_tce_read converts the big-endian entry
 * to CPU order, so the value must be exactly hpa | perm.
 */
#include "model_test.h"

#define TCE_R 1ull
#define TCE_W 2ull
#define PG64K (64 * MT_KIB)

/* v2 container with a 16 MiB region at MT_VA0 and a 1 GiB window of
 * 2^@shift TCEs; returns the window start, @slot gets its slot. */
static int setup(struct spapr_model *m, unsigned int shift, uint64_t *start,
		 int *slot)
{
	int c = mt_open_v2(m, 1, NULL);

	T_CHECK(c >= 0);
	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	T_ERR(mt_create_win(m, c, shift, MT_GIB, 1, start), 0);
	*slot = mt_slot_of(m, c, *start);
	T_CHECK(*slot >= 0);
	if (*slot < 0)
		*slot = 0;
	return c;
}

static void check_perm(struct spapr_model *m, int c, int slot, uint64_t start,
		       unsigned int shift, uint64_t va_off, uint64_t iova_off,
		       uint32_t flags, uint64_t want_perm)
{
	uint64_t pg = 1ull << shift;
	uint64_t tce;

	T_ERR(mt_map(m, c, MT_VA0 + va_off, start + iova_off, pg, flags), 0);
	tce = mt_tce(m, c, (unsigned int)slot, (start + iova_off) >> shift);
	T_EQU(tce, mt_pa(m, MT_VA0 + va_off) | want_perm);
	/* the RPN field is IOMMU-page aligned */
	T_EQU(tce & ~(pg - 1) & ~3ull, mt_pa(m, MT_VA0 + va_off));
}

static void s5_1_powernv_perms(void)
{
	struct spapr_model *m = mt_model("powernv9");
	uint64_t start;
	int slot, c = setup(m, 16, &start, &slot);

	check_perm(m, c, slot, start, 16, 0, 0, MT_RW, TCE_R | TCE_W);
	check_perm(m, c, slot, start, 16, PG64K, 5 * PG64K,
		   VFIO_DMA_MAP_FLAG_READ, TCE_R);
	/* W-only (DMA_FROM_DEVICE) stored as R|W on PowerNV */
	check_perm(m, c, slot, start, 16, 2 * PG64K, 9 * PG64K,
		   VFIO_DMA_MAP_FLAG_WRITE, TCE_R | TCE_W);
	/* neighbours untouched, UNMAP clears to 0 */
	T_EQU(mt_tce(m, c, (unsigned int)slot, (start >> 16) + 1), 0);
	T_ERR(mt_unmap(m, c, start, PG64K), 0);
	T_EQU(mt_tce(m, c, (unsigned int)slot, start >> 16), 0);
	T_EQU(mt_cinfo(m, c).windows[slot].tces_in_use, 2);
	mt_invariants(m);
	spapr_model_destroy(m);
}

static void s5_1_pseries_perms(void)
{
	struct spapr_model *m = mt_model("pseries-kvm");
	uint64_t start;
	int slot, c = setup(m, 16, &start, &slot);

	check_perm(m, c, slot, start, 16, 0, 0, MT_RW, TCE_R | TCE_W);
	check_perm(m, c, slot, start, 16, PG64K, PG64K,
		   VFIO_DMA_MAP_FLAG_READ, TCE_R);
	/* W-only passes to the hypervisor unchanged */
	check_perm(m, c, slot, start, 16, 2 * PG64K, 2 * PG64K,
		   VFIO_DMA_MAP_FLAG_WRITE, TCE_W);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* 4 KiB TCEs over 64 KiB system pages: each TCE carries the exact 4 KiB
 * sub-page address (VST tce_iommu_build_v2 / API mm_iommu_ua_to_hpa). */
static void s5_1_4k_tces_keep_subpage_offset(void)
{
	struct spapr_model *m = mt_model("powernv9");
	uint64_t start;
	int slot, c = setup(m, 12, &start, &slot);
	uint64_t base = mt_pa(m, MT_VA0);

	/* map 16 x 4 KiB = one system page, reversed into the window */
	for (uint64_t i = 0; i < 16; i++)
		T_ERR(mt_map(m, c, MT_VA0 + 0x10000 + i * 0x1000,
			     start + (15 - i) * 0x1000, 0x1000, MT_RW), 0);
	for (uint64_t i = 0; i < 16; i++) {
		uint64_t tce = mt_tce(m, c, (unsigned int)slot, (start >> 12) + 15 - i);

		T_EQU(tce, mt_pa(m, MT_VA0 + 0x10000 + i * 0x1000) | 3);
		T_EQU((tce & ~0xfffull) - base, 0x10000 + i * 0x1000);
	}
	/* a 4 KiB-aligned but not 64 KiB-aligned vaddr is fine for 4 KiB TCEs */
	T_ERR(mt_map(m, c, MT_VA0 + 0x3000, start + 0x100000, 0x2000,
		     VFIO_DMA_MAP_FLAG_READ), 0);
	T_EQU(mt_tce(m, c, (unsigned int)slot, (start + 0x101000) >> 12),
	      (base + 0x4000) | 1);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Large TCEs over a hugetlb region: one entry per 2 MiB, RPN 2 MiB aligned. */
static void s5_1_2m_tces_on_hugetlb(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = mt_open_v2(m, 1, NULL);
	uint64_t start;

	mt_vma(m, MT_VA1, 64 * MT_MIB, 24, SPAPR_MODEL_VMA_HUGETLB);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_reg(m, c, MT_VA1, 64 * MT_MIB), 0);
	T_ERR(mt_create_win(m, c, 21, MT_TIB, 1, &start), 0);
	T_ERR(mt_map(m, c, MT_VA1 + 18 * MT_MIB, start + 6 * MT_MIB, 4 * MT_MIB,
		     MT_RW), 0);
	T_EQU(mt_tce(m, c, 0, (start >> 21) + 3), mt_pa(m, MT_VA1 + 18 * MT_MIB) | 3);
	T_EQU(mt_tce(m, c, 0, (start >> 21) + 4), mt_pa(m, MT_VA1 + 20 * MT_MIB) | 3);
	T_EQU(mt_pa(m, MT_VA1 + 18 * MT_MIB) & (2 * MT_MIB - 1), 0);
	T_EQU(mt_cinfo(m, c).windows[0].tces_in_use, 2);
	mt_invariants(m);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(s5_1_powernv_perms);
	T_RUN(s5_1_pseries_perms);
	T_RUN(s5_1_4k_tces_keep_subpage_offset);
	T_RUN(s5_1_2m_tces_on_hugetlb);
	return t_finish();
}
