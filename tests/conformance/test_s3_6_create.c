/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.6 VFIO_IOMMU_SPAPR_TCE_CREATE (v2). Order: mm -EPERM (binds) / no
 * group -ENXIO / copy-in -EFAULT / argsz < 40 / flags / pending default
 * window created first / free slot -ENOSPC / pgsizes -EINVAL /
 * get_table_size 0 -EINVAL / memlock -ENOMEM / create_table errors (charge
 * leaked, quirk) / start address chosen by the platform (§5.5).
 * "No group -> -ENXIO" is unreachable by ioctls (see §3.3).
 */
#include "conformance_util.h"

#define SENTINEL 0xdeadbeefdeadbeefull

static void v2_host(struct cf *f, const char *profile)
{
	cf_init(f, profile);
	cf_std_vmas(f, 0);
	cf_setup(f, CF_V2);
}

static void s3_6_oracle_matches_worked_table(void)
{
	/* The §5.3 worked numbers (64 KiB system pages), as a self-check. */
	T_EQU(cf_pnv_charge_bytes(12, SZ_2G, 1, 16), 8 * 1024 * 1024ull);
	T_EQU(cf_pnv_charge_bytes(21, SZ_1T, 1, 16), 8 * 1024 * 1024ull);
	T_EQU(cf_pnv_charge_bytes(24, SZ_1T, 1, 16), 1024 * 1024ull);
	T_EQU(cf_pnv_charge_bytes(16, SZ_1T, 1, 16), 256 * 1024 * 1024ull);
	T_EQU(cf_pnv_charge_bytes(16, SZ_1T, 2, 16), 256 * 1024 * 1024ull + 128 * 1024);
}

static void s3_6_create_other_mm_eperm_first(void)
{
	struct cf f;
	struct vfio_iommu_spapr_tce_create cr = { .argsz = 1, .flags = 1 };

	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);		/* binds mm 0 */
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(f.o->tce_create(f.be, f.c, NULL), -EPERM);
	T_ERR(f.o->tce_create(f.be, f.c, &cr), -EPERM);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, NULL), -EPERM);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_EQ(cf_ci(&f).windows[0].present, false);
	cf_done(&f);
}

static void s3_6_create_null_efault_binds_before_default_window(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(f.o->tce_create(f.be, f.c, NULL), -EFAULT);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.mm, 0);
	T_EQ(ci.def_window_pending, true);	/* copy-in fails before step 2 */
	T_EQ(ci.windows[0].present, false);
	T_EQU(cf_locked(&f, 0), 0);
	cf_done(&f);
}

static void s3_6_create_argsz_flags_before_default_window(void)
{
	struct cf f;
	struct vfio_iommu_spapr_tce_create cr;

	v2_host(&f, "powernv9");
	cr = (struct vfio_iommu_spapr_tce_create){ .argsz = 39, .page_shift = 21,
		.window_size = SZ_1G, .levels = 1, .start_addr = SENTINEL };
	T_ERR(f.o->tce_create(f.be, f.c, &cr), -EINVAL);
	T_EQU(cr.start_addr, SENTINEL);
	cr.argsz = 40;
	cr.flags = 1;
	T_ERR(f.o->tce_create(f.be, f.c, &cr), -EINVAL);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, true);
	T_EQ(ci.windows[0].present, false);
	T_EQU(cf_locked(&f, 0), 0);
	/* __resv1/__resv2 are ignored; a larger argsz is fine. */
	cr = (struct vfio_iommu_spapr_tce_create){ .argsz = 4096, .page_shift = 21,
		.__resv1 = 0xffffffffu, .window_size = SZ_1G, .levels = 1,
		.__resv2 = 0x12345678u, .start_addr = SENTINEL };
	T_ERR(f.o->tce_create(f.be, f.c, &cr), 0);
	T_EQU(cr.start_addr, CF_SLOT1_PNV);
	cf_done(&f);
}

static void s3_6_create_pending_default_created_first(void)
{
	struct cf f;
	uint64_t start = 0;

	v2_host(&f, "powernv9");
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), 0);
	T_EQU(start, CF_SLOT1_PNV);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, false);
	T_EQ(ci.windows[0].present, true);
	T_EQU(ci.windows[0].start, 0);
	T_EQU(ci.windows[0].size, f.p.dma32_size);
	T_EQ(ci.windows[0].page_shift, 12);
	T_EQ(ci.windows[0].levels, 1);
	T_EQU(ci.windows[0].bytes_charged, 8 * 1024 * 1024ull);
	T_EQ(ci.windows[1].present, true);
	T_EQU(ci.windows[1].start, CF_SLOT1_PNV);
	/* 512 2 MiB TCEs are fewer than one 64 KiB page of TCEs: the kernel's
	 * table is one system page, 8192 entries, and the window spans it
	 * (IODATCE pnv_pci_ioda2_table_alloc_pages: it_size = table bytes / 8;
	 * seen on the QEMU powernv9 testbed). */
	T_EQU(ci.windows[1].size, 8192 * SZ_2M);
	T_EQ(ci.windows[1].page_shift, 21);
	T_EQU(ci.windows[1].bytes_charged, cf_pnv_charge_bytes(21, SZ_1G, 1, 16));
	T_EQU(cf_locked(&f, 0), cf_default_window_pages(&f) +
				    cf_pnv_charge_pages(&f, 21, SZ_1G, 1));
	cf_done(&f);
}

static void s3_6_create_default_window_made_even_if_request_fails(void)
{
	struct cf f;
	uint64_t start = SENTINEL;

	v2_host(&f, "powernv9");
	T_ERR(cf_create(&f, 13, SZ_1G, 1, &start), -EINVAL);	/* 8K not supported */
	T_EQU(start, SENTINEL);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, false);
	T_EQ(ci.windows[0].present, true);
	T_EQ(ci.windows[1].present, false);
	T_EQU(cf_locked(&f, 0), cf_default_window_pages(&f));
	cf_done(&f);
}

static void s3_6_create_default_window_error_returned(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	/* Room for the requested 2-page window but not the 128-page default. */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 64 * SZ_64K, false), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, NULL), -ENOMEM);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.def_window_pending, true);
	T_EQ(ci.windows[0].present, false);
	T_EQ(ci.windows[1].present, false);
	T_EQU(cf_locked(&f, 0), 0);
	/* After REMOVE(0) the same request fits. */
	T_ERR(cf_remove(&f, 0), 0);
	uint64_t start;
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), 0);
	T_EQU(start, 0);
	cf_done(&f);
}

static void s3_6_create_enospc_before_pgsizes_and_levels(void)
{
	struct cf f;
	uint64_t s0, s1;

	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s0), 0);
	T_ERR(cf_create(&f, 30, SZ_1T, 1, &s1), 0);
	T_EQU(s0, 0);
	T_EQU(s1, CF_SLOT1_PNV);
	uint64_t locked = cf_locked(&f, 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, NULL), -ENOSPC);
	/* no slot AND bad page size AND bad levels AND no memlock: -ENOSPC */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	T_ERR(cf_create(&f, 13, 3 * SZ_1G, 0, NULL), -ENOSPC);
	T_EQU(cf_locked(&f, 0), locked);
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	cf_done(&f);
}

static void s3_6_create_pgsizes_einval_before_memlock(void)
{
	struct cf f;
	uint64_t start;

	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	T_ERR(cf_create(&f, 24, SZ_1T, 1, NULL), -EINVAL);	/* no 16M on P9 */
	T_ERR(cf_create(&f, 13, SZ_1G, 1, NULL), -EINVAL);
	T_ERR(cf_create(&f, 28, SZ_1T, 1, NULL), -EINVAL);
	T_ERR(cf_create(&f, 64, SZ_1T, 1, NULL), -EINVAL);
	/* pgsizes before the levels check: bad both -> -EINVAL, no charge */
	T_ERR(cf_create(&f, 24, SZ_1T, 0, NULL), -EINVAL);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	T_EQ(cf_ci(&f).windows[0].present, false);
	cf_done(&f);

	/* POWER8 has 16M and 256M TCEs, no 2M. */
	v2_host(&f, "powernv8");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1T, 1, NULL), -EINVAL);
	T_ERR(cf_create(&f, 24, SZ_1T, 1, &start), 0);
	T_EQU(start, 0);
	T_ERR(cf_create(&f, 28, SZ_1T, 1, &start), 0);
	T_EQU(start, CF_SLOT1_PNV);
	cf_done(&f);
}

static void s3_6_create_table_size_zero_einval_no_charge(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	/* get_table_size returns 0 -> -EINVAL before the charge (not -ENOMEM) */
	T_ERR(cf_create(&f, 21, SZ_1G, 0, NULL), -EINVAL);
	T_ERR(cf_create(&f, 21, SZ_1G, 6, NULL), -EINVAL);
	T_ERR(cf_create(&f, 21, SZ_1G, 0xffffffffu, NULL), -EINVAL);
	T_ERR(cf_create(&f, 21, 3 * SZ_1G, 1, NULL), -EINVAL);
	T_ERR(cf_create(&f, 21, SZ_1G + SZ_2M, 1, NULL), -EINVAL);
	T_ERR(cf_create(&f, 21, 0, 1, NULL), -EINVAL);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.windows[0].present, false);
	T_EQ(ci.windows[1].present, false);
	/* levels 5 passes get_table_size; with 64 KiB system pages every
	 * 5-level table then fails the 55-bit rule in create_table (§5.2):
	 * 13*5 + 21 >= 55 -> -EINVAL after the charge (leaked). */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, SPAPR_MODEL_UNLIMITED, false), 0);
	uint64_t start;
	uint64_t five = cf_pnv_charge_pages(&f, 21, SZ_1T, 5);
	T_ERR(cf_create(&f, 21, SZ_1T, 5, &start), -EINVAL);
	T_EQU(cf_mm(&f, 0).leaked_pages, five);
	T_ERR(cf_create(&f, 21, SZ_1T, 2, &start), 0);
	T_EQ(cf_ci(&f).windows[0].levels, 2);
	cf_done_expect(&f, five);
}

static void s3_6_create_memlock_enomem_nothing_charged(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);
	uint64_t need = cf_pnv_charge_pages(&f, 12, SZ_2G, 1);	/* 128 */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, (need - 1) << 16, false), 0);
	T_ERR(cf_create(&f, 12, SZ_2G, 1, NULL), -ENOMEM);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	T_EQ(cf_ci(&f).windows[0].present, false);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, need << 16, false), 0);
	uint64_t start;
	T_ERR(cf_create(&f, 12, SZ_2G, 1, &start), 0);
	T_EQU(cf_locked(&f, 0), need);
	T_EQU(cf_ci(&f).windows[0].bytes_charged, need << 16);
	cf_done(&f);
}

static void big_chunk(const char *profile, bool leak)
{
	struct spapr_model_profile p;
	struct cf f;
	uint64_t start;

	cf_profile(profile, &p);
	p.quirk_leak_failed_create = leak;
	cf_init_profile(&f, &p);
	cf_setup(&f, CF_V2);
	T_ERR(cf_remove(&f, 0), 0);
	uint64_t charge = cf_pnv_charge_pages(&f, 16, SZ_1T, 1);
	T_EQU(charge << f.sys_shift, 256 * 1024 * 1024ull);
	/* 1 TiB of 64K TCEs in one level = 128 MiB chunk > 16 MiB: -ENOMEM */
	T_ERR(cf_create(&f, 16, SZ_1T, 1, &start), -ENOMEM);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.windows[0].present, false);
	T_EQ(ci.windows[1].present, false);
	uint64_t leaked = leak ? charge : 0;
	T_EQU(cf_locked(&f, 0), leaked);
	T_EQU(cf_mm(&f, 0).leaked_pages, leaked);
	CF_INVARIANTS(&f);
	/* two levels: 64 KiB chunks, works */
	T_ERR(cf_create(&f, 16, SZ_1T, 2, &start), 0);
	T_EQU(start, 0);
	T_EQU(cf_locked(&f, 0), leaked + cf_pnv_charge_pages(&f, 16, SZ_1T, 2));
	cf_done_expect(&f, leaked);
}

static void s3_6_create_chunk_over_16m_enomem_leak_quirk(void)
{
	big_chunk("powernv9", true);
	big_chunk("powernv9", false);
}

static void s3_6_create_55bit_rule_einval_after_charge(void)
{
	struct cf f;
	uint64_t start;

	/* §5.2: (log2(chunk)-3)*levels + page_shift >= 55 -> -EINVAL, from
	 * create_table, i.e. after the charge of step 7 (leaked, step 8). */
	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);
	uint64_t charge = cf_pnv_charge_pages(&f, 12, SZ_1G, 4);
	T_ERR(cf_create(&f, 12, SZ_1G, 4, &start), -EINVAL);	/* 13*4+12 = 64 */
	T_EQU(cf_mm(&f, 0).leaked_pages, charge);
	T_EQU(cf_locked(&f, 0), charge);
	T_EQ(cf_ci(&f).windows[0].present, false);
	T_ERR(cf_create(&f, 12, SZ_1G, 3, &start), 0);		/* 13*3+12 = 51 */
	T_EQU(start, 0);
	cf_done_expect(&f, charge);
}

static void s3_6_create_powernv_start_by_slot(void)
{
	struct cf f;
	uint64_t s0 = SENTINEL, s1 = SENTINEL;

	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 12, SZ_2G, 1, &s0), 0);
	T_ERR(cf_create(&f, 30, SZ_1T, 1, &s1), 0);
	T_EQU(s0, 0);
	T_EQU(s1, CF_SLOT1_PNV);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQU(ci.windows[0].start, 0);
	T_EQU(ci.windows[1].start, CF_SLOT1_PNV);
	T_EQ(ci.windows[1].page_shift, 30);
	T_EQU(cf_locked(&f, 0), cf_pnv_charge_pages(&f, 12, SZ_2G, 1) +
				    cf_pnv_charge_pages(&f, 30, SZ_1T, 1));
	/* Free slot 0, the next window lands at 0 again. */
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s0), 0);
	T_EQU(s0, 0);
	/* Free slot 1 only: next one at 1<<59. */
	T_ERR(cf_remove(&f, CF_SLOT1_PNV), 0);
	T_ERR(cf_create(&f, 16, SZ_1G, 1, &s1), 0);
	T_EQU(s1, CF_SLOT1_PNV);
	CF_INVARIANTS(&f);
	cf_done(&f);
}

static void s3_6_create_pseries_kvm_ddw_then_enodev_poisoned(void)
{
	struct cf f;
	uint64_t start = SENTINEL;

	v2_host(&f, "pseries-kvm");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 16, SZ_1G, 1, &start), 0);
	T_EQU(start, CF_DDW_PSERIES);		/* observed in every 6.12 run */
	uint64_t ddw = cf_pseries_charge_pages(&f, 16, SZ_1G);	/* 8 B/TCE, no x2 */
	T_EQU(cf_ci(&f).windows[0].bytes_charged, SZ_1G >> (16 - 3));
	T_EQU(cf_locked(&f, 0), ddw);
	/* A second DDW: no window available -> -ENODEV (observed), after the
	 * charge (leaked with the quirk), and the PE is poisoned. */
	uint64_t second = cf_pseries_charge_pages(&f, 21, SZ_1G);
	start = SENTINEL;
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), -ENODEV);
	T_EQU(start, SENTINEL);
	T_EQU(cf_mm(&f, 0).leaked_pages, second);
	T_EQU(cf_locked(&f, 0), ddw + second);
	T_ERR(cf_remove(&f, CF_DDW_PSERIES), 0);
	T_EQU(cf_locked(&f, 0), second);
	/* Poisoned: every later CREATE fails with -ENODEV (observed). */
	T_ERR(cf_create(&f, 16, SZ_1G, 1, &start), -ENODEV);
	T_EQ(cf_ci(&f).windows[0].present, false);
	/* that failed attempt leaked its charge too */
	T_EQU(cf_mm(&f, 0).leaked_pages, second + ddw);
	cf_done_expect(&f, second + ddw);
}

static void s3_6_create_pseries_pgsizes_and_levels(void)
{
	struct cf f;
	uint64_t start;

	v2_host(&f, "pseries-kvm");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 30, SZ_1T, 1, NULL), -EINVAL);	/* 0x1211000: no 1G */
	T_EQU(cf_locked(&f, 0), 0);
	/* levels > 1: get_table_size returns ~0U, charged, then -EINVAL (§5.3) */
	T_ERR(cf_create(&f, 16, SZ_1G, 2, NULL), -EINVAL);
	uint64_t huge = 0xFFFFFFFFull >> f.sys_shift;
	T_EQU(cf_mm(&f, 0).leaked_pages, huge);
	T_EQU(cf_locked(&f, 0), huge);
	T_ERR(cf_create(&f, 24, SZ_1G, 1, &start), 0);		/* 16M is there */
	T_EQU(start, CF_DDW_PSERIES);
	cf_done_expect(&f, huge);

	/* Same with a memlock limit: the ~4 GiB charge does not fit -> -ENOMEM. */
	v2_host(&f, "pseries-kvm");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 64 * 1024 * 1024ull, false), 0);
	T_ERR(cf_create(&f, 16, SZ_1G, 2, NULL), -ENOMEM);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	cf_done(&f);
}

static void s3_6_create_pseries_default_window_then_ddw(void)
{
	struct cf f;
	uint64_t start;

	/* With the pending default window: it is created first (slot 0, start
	 * 0), the DDW lands in slot 1 at 1<<59. */
	v2_host(&f, "pseries-kvm");
	T_ERR(cf_create(&f, 16, SZ_1G, 1, &start), 0);
	T_EQU(start, CF_DDW_PSERIES);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.windows[0].present, true);
	T_EQU(ci.windows[0].start, 0);
	T_EQU(ci.windows[0].size, f.p.dma32_size);
	T_EQ(ci.windows[0].page_shift, 12);
	T_EQ(ci.windows[1].present, true);
	T_EQU(ci.windows[1].start, CF_DDW_PSERIES);
	T_EQU(cf_locked(&f, 0), cf_default_window_pages(&f) +
				    cf_pseries_charge_pages(&f, 16, SZ_1G));
	cf_done(&f);
}


static void s3_6_create_pseries_noddw_only_default_requests(void)
{
	struct cf f;
	uint64_t start = SENTINEL;

	/* §6: without ibm,ddw-applicable only default-window requests (4K
	 * pages, size <= tce32_size, slot 0) work; a real DDW request fails
	 * reading the DT (-EINVAL) and poisons the PE. */
	v2_host(&f, "pseries-noddw");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 16, SZ_1G, 1, NULL), -EINVAL);	/* pgsizes = 4K only */
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	T_ERR(cf_create(&f, 12, f.p.dma32_size / 2, 1, &start), 0);
	T_EQU(start, f.p.dma32_start);
	T_ERR(cf_remove(&f, start), 0);
	/* not a default request (bigger than tce32_size): DT read fails */
	uint64_t big = cf_pseries_charge_pages(&f, 12, 2ull * f.p.dma32_size);
	T_ERR(cf_create(&f, 12, 2ull * f.p.dma32_size, 1, &start), -EINVAL);
	T_EQU(cf_mm(&f, 0).leaked_pages, big);
	/* poisoned: even the default request fails now */
	uint64_t def = cf_pseries_charge_pages(&f, 12, f.p.dma32_size);
	T_ERR(cf_create(&f, 12, f.p.dma32_size, 1, &start), -ENODEV);
	T_EQU(cf_mm(&f, 0).leaked_pages, big + def);
	cf_done_expect(&f, big + def);
}

static void s3_6_create_pseries_largest_block_einval_not_poisoned(void)
{
	struct cf f;
	uint64_t start = SENTINEL;

	/* §6: largest_available_block < entries -> -EINVAL ("retry with a
	 * smaller window"), which does not poison the PE. */
	v2_host(&f, "pseries-powervm-sriov-vf");
	T_ERR(cf_remove(&f, 0), 0);
	uint64_t window = (f.p.largest_available_block * 2) << 16;
	uint64_t charge = cf_pseries_charge_pages(&f, 16, window);
	T_ERR(cf_create(&f, 16, window, 1, &start), -EINVAL);
	T_EQU(cf_mm(&f, 0).leaked_pages, charge);
	T_ERR(cf_create(&f, 16, window / 2, 1, &start), 0);
	T_EQU(start, f.p.ddw_start);
	cf_done_expect(&f, charge);
}


static void s3_6_create_pseries_hv_max_enodev_poisoned(void)
{
	struct cf f;
	uint64_t start = SENTINEL;

	/* QEMU 7.2 (testbed finding 4): the query reports 2^37 TCEs, but the
	 * create refuses 2^32 or more: the kernel's largest-block check passes,
	 * RTAS fails, -ENODEV and the PE is poisoned (PSER
	 * spapr_tce_create_table, out_failed). */
	v2_host(&f, "pseries-kvm");
	T_EQU(f.p.hv_max_window_tces, 0xFFFFFFFFu);
	T_ERR(cf_remove(&f, 0), 0);
	uint64_t big = cf_pseries_charge_pages(&f, 12, UINT64_C(1) << 44);
	T_ERR(cf_create(&f, 12, UINT64_C(1) << 44, 1, &start), -ENODEV);
	T_EQU(start, SENTINEL);
	T_EQU(cf_mm(&f, 0).leaked_pages, big);
	uint64_t def = cf_pseries_charge_pages(&f, 12, f.p.dma32_size);
	T_ERR(cf_create(&f, 12, f.p.dma32_size, 1, &start), -ENODEV);
	cf_done_expect(&f, big + def);

	/* beyond the reported block: -EINVAL, not poisoned (create_too_big) */
	v2_host(&f, "pseries-kvm");
	T_ERR(cf_remove(&f, 0), 0);
	big = cf_pseries_charge_pages(&f, 12, UINT64_C(1) << 50);
	T_ERR(cf_create(&f, 12, UINT64_C(1) << 50, 1, &start), -EINVAL);
	/* 2^32 - 1 would be fine, but windows are powers of two: 2^31 is */
	T_ERR(cf_create(&f, 12, UINT64_C(1) << 43, 1, &start), 0);
	T_EQU(start, f.p.ddw_start);
	T_ERR(cf_remove(&f, start), 0);
	cf_done_expect(&f, big);

	/* 0 = no such limit: the block is the only bound */
	struct spapr_model_profile p;
	cf_profile("pseries-kvm", &p);
	p.hv_max_window_tces = 0;
	cf_init_profile(&f, &p);
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 16, UINT64_C(1) << 48, 1, &start), 0);
	T_EQU(start, f.p.ddw_start);
	T_ERR(cf_remove(&f, start), 0);
	cf_done(&f);
}


static void other_pgsizes(struct spapr_model_group_params *gp)
{
	gp->dma32_size = 0x40000000u;
	gp->pgsizes = SZ_4K | SZ_64K;
}

static void s3_6_create_consults_first_group_in_kernel_list(void)
{
	struct cf f;
	uint64_t start;

	/*
	 * tce_iommu_create_window and tce_iommu_create_default_window use
	 * list_first_entry(&container->group_list) and attach adds at the
	 * head (list_add, VST): a group attached after SET_IOMMU decides
	 * pgsizes and the default window size (see §3.3 for GET_INFO).
	 */
	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int g = cf_add_group(&f, other_pgsizes);
	cf_open_group(&f, g);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), -EINVAL);	/* no 2M there */
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.windows[0].present, true);			/* default made first */
	T_EQU(ci.windows[0].size, 0x40000000u);		/* its tce32_size */
	T_ERR(cf_create(&f, 16, SZ_1G, 1, &start), 0);
	T_EQU(start, CF_SLOT1_PNV);
	cf_done(&f);

	/* both on the container before SET_IOMMU: the first one leads */
	cf_init(&f, "powernv9");
	g = cf_add_group(&f, other_pgsizes);
	cf_open_group(&f, 0);
	cf_open_group(&f, g);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &start), 0);
	T_EQU(start, CF_SLOT1_PNV);
	T_EQU(cf_ci(&f).windows[0].size, SZ_2G);
	cf_done(&f);
}


static void s3_6_create_old_kernel_knobs(void)
{
	struct spapr_model_profile p;
	struct cf f;
	uint64_t start;

	/* pre-4.19: no userspace view in the platform table: charged x1. */
	cf_profile("powernv9", &p);
	p.pre_4_19_tables = true;
	cf_init_profile(&f, &p);
	cf_setup(&f, CF_V2);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1T, 1, &start), 0);
	T_EQU(cf_ci(&f).windows[0].bytes_charged, cf_pnv_charge_bytes(21, SZ_1T, 1, 16) / 2);
	T_EQU(cf_locked(&f, 0), cf_pnv_charge_pages(&f, 21, SZ_1T, 1) / 2);
	cf_done(&f);

	/* pre-4.17: get_table_size returned 0 for windows larger than RAM:
	 * -EINVAL before any charge. */
	cf_profile("powernv9", &p);
	p.window_le_ram = true;
	p.ram_size = 4 * SZ_1G;
	cf_init_profile(&f, &p);
	cf_setup(&f, CF_V2);
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 30, SZ_1T, 1, &start), -EINVAL);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	T_ERR(cf_create(&f, 30, 4 * SZ_1G, 1, &start), 0);
	T_EQU(start, 0);
	cf_done(&f);
}


static void s3_6_create_4k_system_pages(void)
{
	struct cf f;
	uint64_t start;

	/* powernv9-4k: charges in 4 KiB pages; level chunks may be 4 KiB, so
	 * 4 levels of 4K TCEs pass the 55-bit rule: (12-3)*4 + 12 = 48. */
	v2_host(&f, "powernv9-4k");
	T_EQ(f.sys_shift, 12);
	T_ERR(cf_create(&f, 12, SZ_1G, 4, &start), 0);
	T_EQU(start, CF_SLOT1_PNV);
	T_EQU(cf_default_window_pages(&f), 2048);	/* 8 MiB / 4 KiB */
	T_EQU(cf_locked(&f, 0), 2048 + cf_pnv_charge_pages(&f, 12, SZ_1G, 4));
	T_EQ(cf_ci(&f).windows[1].levels, 4);
	T_EQU(cf_mm(&f, 0).leaked_pages, 0);
	cf_done(&f);

	/* the 16 MiB level limit holds with 4 KiB pages too (order 12) */
	v2_host(&f, "powernv9-4k");
	T_ERR(cf_remove(&f, 0), 0);
	uint64_t charge = cf_pnv_charge_pages(&f, 16, SZ_1T, 1);
	T_ERR(cf_create(&f, 16, SZ_1T, 1, &start), -ENOMEM);
	T_EQU(cf_mm(&f, 0).leaked_pages, charge);
	cf_done_expect(&f, charge);
}

/*
 * §5.2 corrected by the kernel: a PowerNV table is at least one system page
 * (IODATCE pnv_pci_ioda2_table_alloc_pages: table bytes =
 * 2^max(entries_shift + 3, PAGE_SHIFT), it_size = bytes / 8), so a window
 * never has fewer than PAGE_SIZE/8 entries; entries_shift is a 32-bit
 * unsigned "ilog2(window) - page_shift" that wraps for a window smaller than
 * one IOMMU page. All of it seen on the QEMU powernv9 testbed (4K kernel).
 */
static void s3_6_create_powernv_window_spans_one_page_of_tces(void)
{
	struct cf f;
	uint64_t s;

	v2_host(&f, "powernv9-4k");
	T_ERR(cf_reg(&f, VA_SMALL, SZ_64K), 0);	/* enables UNMAP */
	T_ERR(cf_remove(&f, 0), 0);
	const uint64_t reg = cf_locked(&f, 0);
	/* 16 64K TCEs asked, 512 given: a 32 MiB window, one 4K page charged x2 */
	T_ERR(cf_create(&f, 16, 1024 * 1024, 1, &s), 0);
	T_EQU(s, 0);
	T_EQU(cf_ci(&f).windows[0].size, 32 * 1024 * 1024ull);
	T_EQU(cf_locked(&f, 0), reg + 2);
	T_ERR(cf_unmap(&f, s + 31 * 1024 * 1024ull, SZ_64K), 0);
	T_ERR(cf_unmap(&f, s + 32 * 1024 * 1024ull, SZ_64K), -ENXIO);
	/* REMOVE of an address past the asked size but inside the table */
	T_ERR(cf_remove(&f, s + 16 * 1024 * 1024ull), 0);
	T_EQU(cf_locked(&f, 0), reg);

	/* 1 GiB TCEs, 256 MiB: entries_shift wraps to -2, the table is still
	 * one page: 512 GiB. Two levels: the per-level shift wraps to
	 * 0x80000002, the 55-bit rule refuses it after the charge (leaked);
	 * get_table_size shifted by that count, which the model evaluates like
	 * ppc64 sld (count mod 128: 4-byte "chunks", 2 * 0x3000 bytes). */
	T_ERR(cf_create(&f, 30, 256 * 1024 * 1024ull, 1, &s), 0);
	T_EQU(cf_ci(&f).windows[0].size, 512 * SZ_1G);
	T_EQU(cf_locked(&f, 0), reg + 2);
	T_ERR(cf_remove(&f, s + 511 * SZ_1G), 0);
	T_ERR(cf_create(&f, 30, 256 * 1024 * 1024ull, 2, &s), -EINVAL);
	T_EQU(cf_mm(&f, 0).leaked_pages, 6);

	/* 2 MiB TCEs, 1 MiB, two levels (testbed rnd-1-4): the per-level shift
	 * wraps to 0, so 4K chunks; 512 entries, a 1 GiB window at slot 0. */
	T_ERR(cf_create(&f, 21, 1024 * 1024, 2, &s), 0);
	T_EQU(cf_ci(&f).windows[0].size, SZ_1G);
	T_EQ(cf_ci(&f).windows[0].levels, 2);
	T_ERR(cf_remove(&f, s), 0);

	/* 1 GiB TCEs, 64 MiB (1/16 of a page): get_table_size shifts by
	 * 2^32 - 1 bits (undefined behaviour; ppc64 sld gives 0) and returns 0:
	 * -EINVAL before any charge, as the testbed kernel did. */
	unsigned int d0 = spapr_model_diagnostics(f.m, NULL, 0);
	T_ERR(cf_create(&f, 30, 64 * 1024 * 1024ull, 1, &s), -EINVAL);
	T_EQ(spapr_model_diagnostics(f.m, NULL, 0), d0 + 1);
	T_EQU(cf_mm(&f, 0).leaked_pages, 6);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_64K), 0);
	cf_done_expect(&f, 6);

	/* 64K kernel: 8192 entries at least, 2 MiB TCEs over 1 GiB -> 16 GiB */
	v2_host(&f, "powernv9");
	T_ERR(cf_remove(&f, 0), 0);
	T_ERR(cf_create(&f, 21, SZ_1G, 1, &s), 0);
	T_EQU(cf_ci(&f).windows[0].size, 16 * SZ_1G);
	T_EQU(cf_locked(&f, 0), 2);	/* one 64K page, x2 */
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_6_oracle_matches_worked_table);
	T_RUN(s3_6_create_other_mm_eperm_first);
	T_RUN(s3_6_create_null_efault_binds_before_default_window);
	T_RUN(s3_6_create_argsz_flags_before_default_window);
	T_RUN(s3_6_create_pending_default_created_first);
	T_RUN(s3_6_create_default_window_made_even_if_request_fails);
	T_RUN(s3_6_create_default_window_error_returned);
	T_RUN(s3_6_create_enospc_before_pgsizes_and_levels);
	T_RUN(s3_6_create_pgsizes_einval_before_memlock);
	T_RUN(s3_6_create_table_size_zero_einval_no_charge);
	T_RUN(s3_6_create_memlock_enomem_nothing_charged);
	T_RUN(s3_6_create_chunk_over_16m_enomem_leak_quirk);
	T_RUN(s3_6_create_55bit_rule_einval_after_charge);
	T_RUN(s3_6_create_powernv_start_by_slot);
	T_RUN(s3_6_create_pseries_kvm_ddw_then_enodev_poisoned);
	T_RUN(s3_6_create_pseries_pgsizes_and_levels);
	T_RUN(s3_6_create_pseries_default_window_then_ddw);
	T_RUN(s3_6_create_pseries_noddw_only_default_requests);
	T_RUN(s3_6_create_pseries_largest_block_einval_not_poisoned);
	T_RUN(s3_6_create_pseries_hv_max_enodev_poisoned);
	T_RUN(s3_6_create_consults_first_group_in_kernel_list);
	T_RUN(s3_6_create_old_kernel_knobs);
	T_RUN(s3_6_create_4k_system_pages);
	T_RUN(s3_6_create_powernv_window_spans_one_page_of_tces);
	return t_finish();
}
