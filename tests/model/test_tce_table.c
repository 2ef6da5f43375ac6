/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tce_table.c - white-box tests of the model's TCE tables (private
 * lib/dma/model/tce_table.h): geometry (§5.2), locked_vm sizes (the
 * §5.3 worked table), on-demand level allocation, big-endian entries and
 * indirect entries, and the host-physical-address assignment of VMAs.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "spapr_model.h"
#include "tce_table.h"
#include "test_util.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

/* get_table_size() x2 (HW table + userspace view), 64 KiB system pages. */
static uint64_t charge(unsigned int shift, uint64_t window, unsigned int levels)
{
	bool ub;

	return 2 * tce_pnv_table_bytes(shift, window, levels, 16, &ub);
}

/* §5.3 worked numbers. */
static void worked_table(void)
{
	T_EQU(charge(12, 2 * GiB, 1), 8 * MiB);
	T_EQU(charge(21, TiB, 1), 8 * MiB);
	T_EQU(charge(24, TiB, 1), 1 * MiB);
	T_EQU(charge(16, TiB, 1), 256 * MiB);
	T_EQU(charge(16, TiB, 2), 256 * MiB + 128 * KiB);	/* ~256.1 MiB */
	/* 2^47 with 4K pages, 2 levels: 2 MiB chunks, 256 GiB leaf table. */
	T_EQU(charge(12, UINT64_C(1) << 47, 2), 2 * (256 * GiB + 2 * MiB));
}

static void get_table_size_rejects(void)
{
	bool ub;

	T_EQU(tce_pnv_table_bytes(12, 2 * GiB, 0, 16, &ub), 0);
	T_EQU(tce_pnv_table_bytes(12, 2 * GiB, 6, 16, &ub), 0);
	T_EQU(tce_pnv_table_bytes(12, 3 * GiB, 1, 16, &ub), 0);
	T_EQU(tce_pnv_table_bytes(12, 0, 1, 16, &ub), 0);
	T_CHECK(!ub);
	/* a window of 1/16 of its IOMMU page: the kernel shifts by 2^32 - 1
	 * (UB; ppc64 sld gives 0), ALIGN(x, 0) is 0: get_table_size 0 */
	T_EQU(tce_pnv_table_bytes(16, 4 * KiB, 1, 16, &ub), 0);
	T_CHECK(ub);
	T_EQU(tce_pnv_table_bytes(30, 64 * MiB, 1, 12, &ub), 0);
	T_CHECK(ub);
	/* 1/4 of a page (entries_shift wraps to -2, defined): one system page */
	T_EQU(tce_pnv_table_bytes(30, 256 * MiB, 1, 12, &ub), 4 * KiB);
	T_CHECK(!ub);
	/* 1/2 of a page, two levels: per-level shift wraps to 0 -> 4K chunks */
	T_EQU(tce_pnv_table_bytes(21, 1 * MiB, 2, 12, &ub), 8 * KiB);
	T_CHECK(!ub);
	/* small tables still cost one system page per level */
	T_EQU(tce_pnv_table_bytes(12, 4 * MiB, 1, 16, &ub), 64 * KiB);
	T_EQU(tce_pnv_table_bytes(12, 4 * MiB, 1, 12, &ub), 8 * KiB);
}

static void level_geometry(void)
{
	/* ceil(entries_shift / levels) + 3, at least PAGE_SHIFT (§5.2) */
	T_EQ(tce_pnv_level_shift(12, 2 * GiB, 1, 16), 22);
	T_EQ(tce_pnv_level_shift(16, TiB, 2, 16), 16);	/* 12 + 3 -> 16 */
	T_EQ(tce_pnv_level_shift(16, TiB, 2, 12), 15);
	T_EQ(tce_pnv_level_shift(12, UINT64_C(1) << 47, 2, 16), 21);
	T_EQ(tce_pnv_level_shift(12, UINT64_C(1) << 47, 3, 16), 16);
	T_EQ(tce_pnv_level_shift(12, UINT64_C(1) << 47, 3, 12), 15);
}

/* it_size: at least PAGE_SIZE / 8 entries (IODATCE
 * pnv_pci_ioda2_table_alloc_pages, testbed finding 2). */
static void window_entries(void)
{
	bool ub;

	T_EQU(tce_pnv_window_entries(12, 2 * GiB, 16, &ub), UINT64_C(1) << 19);
	T_EQU(tce_pnv_window_entries(16, 1 * MiB, 12, &ub), 512);
	T_EQU(tce_pnv_window_entries(16, 1 * MiB, 16, &ub), 8192);
	T_EQU(tce_pnv_window_entries(21, 1 * GiB, 16, &ub), 8192);
	T_EQU(tce_pnv_window_entries(21, 1 * GiB, 12, &ub), 512);
	T_CHECK(!ub);
	/* smaller than a page: wrapped entries_shift, still one page */
	T_EQU(tce_pnv_window_entries(30, 256 * MiB, 12, &ub), 512);
	T_EQU(tce_pnv_window_entries(21, 1 * MiB, 12, &ub), 512);
	T_EQU(tce_pnv_window_entries(30, 128 * MiB, 16, &ub), 8192);
	T_CHECK(!ub);
	/* 1/16 of a page: a shift by >= 64 */
	T_EQU(tce_pnv_window_entries(30, 64 * MiB, 12, &ub), 0);
	T_CHECK(ub);
	/* the wrapped per-level shift the 55-bit rule then refuses */
	T_EQU(tce_pnv_level_shift(30, 256 * MiB, 2, 12), 0x80000002u);
	T_EQU(tce_pnv_level_shift(21, 1 * MiB, 2, 12), 12);
	T_EQU(tce_pnv_level_shift(30, 256 * MiB, 1, 12), 12);
}

static int hook_calls, hook_hw;

static int count_hook(void *ctx, bool hw, uint64_t bytes)
{
	(void)ctx;
	(void)bytes;
	hook_calls++;
	hook_hw += hw;
	return 0;
}

static int fail_hook(void *ctx, bool hw, uint64_t bytes)
{
	(void)ctx;
	(void)bytes;
	return hw ? -ENOMEM : 0;
}

/* Two levels, 64 KiB chunks: only the top levels exist after create; a
 * leaf block of each tree appears on first touch. */
static void on_demand_levels(void)
{
	int err = 0;
	unsigned int ls = tce_pnv_level_shift(16, TiB, 2, 16);
	struct tce_table *t;
	uint64_t *p;

	hook_calls = hook_hw = 0;
	t = tce_table_create(0, TiB >> 16, 16, 2, ls, true, count_hook, NULL, &err);
	T_CHECK(t != NULL);
	if (!t)
		return;
	T_EQ(hook_calls, 2);
	T_EQ(hook_hw, 1);
	T_EQU(t->bytes_allocated, 2 * 64 * KiB);
	T_EQU(tce_table_level_size(t), 8192);
	T_CHECK(tce_table_entry(t, true, 9000, false, NULL, NULL, NULL) == NULL);
	T_EQU(tce_table_get(t, 9000), 0);
	p = tce_table_entry(t, true, 9000, true, count_hook, NULL, &err);
	T_CHECK(p != NULL);
	T_EQ(hook_calls, 3);
	T_EQU(t->bytes_allocated, 3 * 64 * KiB);
	/* the same leaf serves the whole 8192-entry block */
	T_CHECK(tce_table_entry(t, true, 8192, false, NULL, NULL, NULL) != NULL);
	T_CHECK(tce_table_entry(t, true, 8191, false, NULL, NULL, NULL) == NULL);
	/* the userspace view has its own levels */
	T_CHECK(tce_table_entry(t, false, 9000, false, NULL, NULL, NULL) == NULL);
	/* the top-level entry is an indirect TCE: address | R | W, big-endian */
	T_EQU(be64toh(t->hw[1]) & TCE_PERM, TCE_PERM);
	T_CHECK(be64toh(t->hw[1]) & ~TCE_PERM);
	/* a failing level allocation leaves nothing behind */
	T_CHECK(tce_table_entry(t, true, 20000, true, fail_hook, NULL, &err) == NULL);
	T_EQ(err, -ENOMEM);
	T_EQU(t->bytes_allocated, 3 * 64 * KiB);
	tce_table_free(t);
}

static int visit_count;

static int visit_fn(void *ctx, uint64_t idx, uint64_t tce, uint64_t ua)
{
	(void)ctx;
	(void)ua;
	visit_count++;
	T_CHECK(idx == 5 || idx == 70000);
	T_CHECK(tce != 0);
	return 0;
}

static void big_endian_entries(void)
{
	int err = 0;
	struct tce_table *t = tce_table_create(0, TiB >> 16, 16, 2, 16, true,
					       NULL, NULL, &err);
	uint64_t *p;
	unsigned char raw[8];

	T_CHECK(t != NULL);
	if (!t)
		return;
	p = tce_table_entry(t, true, 5, true, NULL, NULL, &err);
	*p = htobe64(UINT64_C(0x100000230000) | TCE_READ);
	memcpy(raw, p, 8);
	T_EQ(raw[0], 0x00);
	T_EQ(raw[2], 0x10);
	T_EQ(raw[7], 0x01);	/* the permission bits are in the last byte */
	T_EQU(tce_table_get(t, 5), UINT64_C(0x100000230000) | TCE_READ);
	p = tce_table_entry(t, true, 70000, true, NULL, NULL, &err);
	*p = htobe64(UINT64_C(0x200000000000) | TCE_PERM);
	visit_count = 0;
	T_EQ(tce_table_visit(t, visit_fn, NULL), 0);
	T_EQ(visit_count, 2);
	tce_table_free(t);
}

/* VMAs get physical ranges aligned to their page size, above
 * 0x100000000000 so that a PA never equals a VA. */
static void host_physical_addresses(void)
{
	struct spapr_model_profile p;
	struct spapr_model *m;
	uint64_t pa1 = 0, pa2 = 0, pa3 = 0;

	T_ERR(spapr_model_profile_get("powernv9", &p), 0);
	m = spapr_model_create(&p);
	T_CHECK(m != NULL);
	if (!m)
		return;
	T_ERR(spapr_model_mm_map(m, 0, 0x10000, 0x30000, 16, 0, NULL), 0);
	T_ERR(spapr_model_mm_map(m, 0, 0x40000000, 2 * GiB, 30,
				 SPAPR_MODEL_VMA_HUGETLB, NULL), 0);
	T_ERR(spapr_model_mm_map(m, 0, 0x200000, 2 * MiB, 21, 0, NULL), 0);
	T_ERR(spapr_model_mm_va_to_pa(m, 0, 0x10000, &pa1), 0);
	T_ERR(spapr_model_mm_va_to_pa(m, 0, 0x40000000 + GiB + 5, &pa2), 0);
	T_ERR(spapr_model_mm_va_to_pa(m, 0, 0x200000, &pa3), 0);
	T_CHECK(pa1 >= UINT64_C(0x100000000000));
	T_EQU(pa2 & (GiB - 1), 5);
	T_EQU((pa2 - GiB - 5) & (GiB - 1), 0);
	T_EQU(pa3 & (2 * MiB - 1), 0);
	T_CHECK(pa1 != pa2 && pa2 != pa3);
	T_ERR(spapr_model_mm_va_to_pa(m, 0, 0x5000000, &pa1), -EFAULT);
	T_ERR(spapr_model_mm_map(m, 0, 0x20000, 0x10000, 16, 0, NULL), -EEXIST);
	T_ERR(spapr_model_mm_map(m, 0, 0x1000, 0x1000, 12, 0, NULL), -EINVAL);
	T_ERR(spapr_model_mm_unmap(m, 0, 0x10000, 0x30000), 0);
	T_ERR(spapr_model_mm_va_to_pa(m, 0, 0x10000, &pa1), -EFAULT);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(worked_table);
	T_RUN(get_table_size_rejects);
	T_RUN(level_geometry);
	T_RUN(window_entries);
	T_RUN(on_demand_levels);
	T_RUN(big_endian_entries);
	T_RUN(host_physical_addresses);
	return t_finish();
}
