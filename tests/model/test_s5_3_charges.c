/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §5.2/§5.3: TCE table geometry and the locked_vm charge of a window, seen
 * from outside: mm_info locked_vm deltas and container_info bytes_charged.
 * The expected numbers are the spec's worked table (64 KiB system pages) and
 * the §5.3 formula (mt_pnv_charge in model_test.h).
 */
#include "model_test.h"

#define SYS64K 16

struct charge_case {
	const char *profile;
	unsigned int shift;
	uint64_t window;
	unsigned int levels;
	int want_rc;
	uint64_t want_charged;	/* bytes charged (also leaked on failure) */
};

/* A fresh v2 container on @profile with the pending default window removed
 * (§3.7) so CREATE charges only the window under test. */
static struct spapr_model *fresh(const char *profile, int *c,
				 void (*tweak)(struct spapr_model_profile *))
{
	struct spapr_model_profile p;
	struct spapr_model *m;

	mt_profile(profile, &p);
	p.memlock_limit = SPAPR_MODEL_UNLIMITED;
	p.cap_ipc_lock = false;
	p.quirk_leak_failed_create = true;
	if (tweak)
		tweak(&p);
	m = mt_create(&p);
	*c = mt_open_v2(m, 1, NULL);
	T_CHECK(*c >= 0);
	T_ERR(mt_remove(m, *c, 0), 0);
	return m;
}

static void run_case(const struct charge_case *k)
{
	int c;
	struct spapr_model *m = fresh(k->profile, &c, NULL);
	uint64_t before = mt_locked(m), start = 0;
	int rc = mt_create_win(m, c, k->shift, k->window, k->levels, &start);
	struct spapr_model_container_info ci = mt_cinfo(m, c);
	uint64_t pages = k->want_charged >> SYS64K;

	T_ERR(rc, k->want_rc);
	T_EQU(mt_locked(m) - before, pages);
	if (rc == 0) {
		T_CHECK(ci.windows[0].present);
		T_EQU(ci.windows[0].bytes_charged, k->want_charged);
		T_EQU(ci.windows[0].size, k->window);
		T_EQ(ci.windows[0].page_shift, k->shift);
		T_EQ(ci.windows[0].levels, k->levels);
		T_EQU(mt_mm(m, 0).leaked_pages, 0);
		/* REMOVE gives the whole charge back */
		T_ERR(mt_remove(m, c, start), 0);
		T_EQU(mt_locked(m), before);
	} else {
		T_CHECK(!ci.windows[0].present && !ci.windows[1].present);
		/* §3.6 step 8: a failure after the charge leaks it */
		T_EQU(mt_mm(m, 0).leaked_pages, pages);
	}
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* The §5.3 worked table, row by row (64 KiB system pages). */
static void s5_3_worked_table(void)
{
	/* 1 TiB, 64 KiB TCEs, 2 levels: entries_shift = 24, 12 bits per level,
	 * direct = 2^max(15,16) = 64 KiB. Level 1: align_up(2^24*8 = 128 MiB,
	 * 64 KiB) = 128 MiB; t = 128 MiB/64 KiB*8 = 16 KiB -> max(.., 64 KiB);
	 * level 2: 64 KiB. bytes = 128 MiB + 64 KiB, charged x2 =
	 * 256 MiB + 128 KiB = 268566528 bytes = 4098 system pages ("~256.1 MiB"). */
	const uint64_t one_tib_64k_2l = 2 * (128 * MT_MIB + 64 * MT_KIB);
	const struct charge_case rows[] = {
		{ "powernv9", 12, 2 * MT_GIB, 1, 0, 8 * MT_MIB },
		{ "powernv9", 21, MT_TIB, 1, 0, 8 * MT_MIB },
		{ "powernv8", 24, MT_TIB, 1, 0, 1 * MT_MIB },
		/* 128 MiB leaf > 16 MiB max chunk: -ENOMEM after the charge */
		{ "powernv9", 16, MT_TIB, 1, -ENOMEM, 256 * MT_MIB },
		{ "powernv9", 16, MT_TIB, 2, 0, one_tib_64k_2l },
	};

	T_EQU(one_tib_64k_2l, 268566528ull);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		T_EQU(mt_pnv_charge(rows[i].shift, rows[i].window, rows[i].levels,
				    SYS64K), rows[i].want_charged);
		run_case(&rows[i]);
	}
}

static void limit_64g(struct spapr_model_profile *p)
{
	p->memlock_limit = 64 * MT_GIB;
}

/* Last row: 2^47 window with 4 KiB TCEs and 2 levels needs ~512 GiB of
 * locked_vm (256 GiB leaf x2 + 2x2 MiB); below that limit CREATE fails at
 * the memlock check (§3.6 step 7), before anything is charged or leaked. */
static void s5_3_worked_table_2_47(void)
{
	int c;
	struct spapr_model *m = fresh("powernv9", &c, limit_64g);
	uint64_t before = mt_locked(m);

	T_EQU(mt_pnv_charge(12, 1ull << 47, 2, SYS64K), 512 * MT_GIB + 4 * MT_MIB);
	T_ERR(mt_create_win(m, c, 12, 1ull << 47, 2, NULL), -ENOMEM);
	T_EQU(mt_locked(m), before);
	T_EQU(mt_mm(m, 0).leaked_pages, 0);
	T_CHECK(!mt_cinfo(m, c).windows[0].present);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* §5.2 55-bit rule: (level_shift-3)*levels + page_shift >= 55 -> -EINVAL.
 * It is checked in create_table (IODATCE pnv_pci_ioda2_table_alloc_pages),
 * i.e. after the charge, so the charge leaks (§3.6 step 8). */
static void s5_2_55bit_rule(void)
{
	/* 1 TiB, 4 KiB TCEs, 64 KiB system pages: 28 entry bits.
	 * 4 levels: level_shift = max(7+3, 16) = 16: 13*4+12 = 64 >= 55. */
	const struct charge_case rej[] = {
		{ "powernv9", 12, MT_TIB, 4, -EINVAL, mt_pnv_charge(12, MT_TIB, 4, SYS64K) },
		{ "powernv9", 12, MT_TIB, 5, -EINVAL, mt_pnv_charge(12, MT_TIB, 5, SYS64K) },
		/* 64 KiB TCEs, 3 levels: 13*3+16 = 55 >= 55 */
		{ "powernv9", 16, MT_GIB, 3, -EINVAL, mt_pnv_charge(16, MT_GIB, 3, SYS64K) },
		/* accepted neighbours: 13*3+12 = 51, 13*2+16 = 42 */
		{ "powernv9", 12, MT_TIB, 3, 0, mt_pnv_charge(12, MT_TIB, 3, SYS64K) },
		{ "powernv9", 16, MT_GIB, 2, 0, mt_pnv_charge(16, MT_GIB, 2, SYS64K) },
	};

	for (size_t i = 0; i < sizeof(rej) / sizeof(rej[0]); i++)
		run_case(&rej[i]);
}

/* levels == 0, levels > 5, window not a power of two: get_table_size
 * returns 0 -> -EINVAL before any charge (§3.6 step 6). */
static void s5_2_get_table_size_rejects(void)
{
	const struct charge_case rej[] = {
		{ "powernv9", 16, MT_GIB, 0, -EINVAL, 0 },
		{ "powernv9", 16, MT_GIB, 6, -EINVAL, 0 },
		{ "powernv9", 16, 3 * MT_GIB, 1, -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(rej) / sizeof(rej[0]); i++)
		run_case(&rej[i]);
}

static void sys4k(struct spapr_model_profile *p)
{
	p->system_page_shift = 12;
}

/* Levels 1..4 accepted where the geometry allows (4 KiB system pages so the
 * 55-bit rule leaves room). Five levels can never pass: the smallest level
 * is one system page (>= 9 index bits) and 9*5+12 = 57 >= 55. */
static void s5_2_levels_accepted(void)
{
	struct {
		unsigned int shift; uint64_t window; unsigned int levels; int rc;
	} cases[] = {
		{ 12, 2 * MT_GIB, 1, 0 },	/* 4 MiB leaf */
		{ 12, MT_TIB, 2, 0 },		/* level_shift 17: 14*2+12 = 40 */
		{ 12, MT_TIB, 3, 0 },		/* level_shift 13: 10*3+12 = 42 */
		{ 12, MT_TIB, 4, 0 },		/* level_shift 12: 9*4+12 = 48 */
		{ 12, MT_TIB, 5, -EINVAL },	/* 9*5+12 = 57 */
		{ 16, MT_TIB, 4, 0 },		/* 24 bits: 6/level -> 12: 9*4+16 = 52 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int c;
		struct spapr_model *m = fresh("powernv9", &c, sys4k);
		uint64_t before = mt_locked(m);
		uint64_t want = mt_pnv_charge(cases[i].shift, cases[i].window,
					      cases[i].levels, 12);

		T_ERR(mt_create_win(m, c, cases[i].shift, cases[i].window,
				    cases[i].levels, NULL), cases[i].rc);
		/* charged in both cases (leaked on the 55-bit failure) */
		T_EQU(mt_locked(m) - before, want >> 12);
		if (cases[i].rc == 0)
			T_EQU(mt_cinfo(m, c).windows[0].bytes_charged, want);
		mt_invariants(m);
		spapr_model_destroy(m);
	}
}

/* §5.2 on-demand levels: CREATE allocates the top level only; the first MAP
 * that touches a leaf block allocates it (HW table and userspace view), the
 * charge stays the full table. One-level tables are allocated in full. */
static void s5_2_on_demand_levels(void)
{
	int c;
	struct spapr_model *m = fresh("powernv9", &c, NULL);
	/* 1 TiB of 64 KiB TCEs in 2 levels: 64 KiB chunks = 8192 entries, so one
	 * leaf block covers 8192 * 64 KiB = 512 MiB of bus space. */
	const uint64_t chunk = 64 * MT_KIB, block = 8192 * 64 * MT_KIB;
	struct spapr_model_window_info w;
	uint64_t start, alloc0, locked0;

	mt_vma(m, MT_VA0, 64 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 64 * MT_MIB), 0);
	T_ERR(mt_create_win(m, c, 16, MT_TIB, 2, &start), 0);
	w = mt_cinfo(m, c).windows[0];
	T_EQU(w.bytes_charged, mt_pnv_charge(16, MT_TIB, 2, SYS64K));
	/* top level of the HW table and of the userspace view */
	T_EQU(w.bytes_allocated, 2 * chunk);
	alloc0 = w.bytes_allocated;
	locked0 = mt_locked(m);

	T_ERR(mt_map(m, c, MT_VA0, start, 64 * MT_KIB, MT_RW), 0);
	w = mt_cinfo(m, c).windows[0];
	T_EQU(w.bytes_allocated, alloc0 + 2 * chunk);
	/* same leaf block: nothing new */
	T_ERR(mt_map(m, c, MT_VA0 + 64 * MT_KIB, start + block - 64 * MT_KIB,
		     64 * MT_KIB, MT_RW), 0);
	T_EQU(mt_cinfo(m, c).windows[0].bytes_allocated, alloc0 + 2 * chunk);
	/* a range crossing into the next two blocks */
	T_ERR(mt_map(m, c, MT_VA0, start + 2 * block - 64 * MT_KIB,
		     2 * 64 * MT_KIB, MT_RW), 0);
	w = mt_cinfo(m, c).windows[0];
	T_EQU(w.bytes_allocated, alloc0 + 3 * 2 * chunk);
	T_EQU(w.bytes_charged, mt_pnv_charge(16, MT_TIB, 2, SYS64K));
	T_EQU(mt_locked(m), locked0);
	/* UNMAP does not free levels (freed only with the table) */
	T_ERR(mt_unmap(m, c, start, 4 * block), 0);
	T_EQU(mt_cinfo(m, c).windows[0].bytes_allocated, alloc0 + 3 * 2 * chunk);
	mt_invariants(m);
	spapr_model_destroy(m);

	/* one level: allocated == charged */
	m = fresh("powernv9", &c, NULL);
	T_ERR(mt_create_win(m, c, 21, MT_TIB, 1, NULL), 0);
	w = mt_cinfo(m, c).windows[0];
	T_EQU(w.bytes_allocated, w.bytes_charged);
	T_EQU(w.bytes_charged, 8 * MT_MIB);
	spapr_model_destroy(m);
}

static void pre419(struct spapr_model_profile *p)
{
	p->pre_4_19_tables = true;
}

/* pre_4_19_tables: charge x1 (no userspace-view doubling) and every level is
 * allocated at CREATE (no on-demand levels), as spapr_model.h defines the
 * knob. Kernel note: before ~4.19 VFIO itself charged the userspace view of
 * single-level tables separately (VST tce_iommu_userspace_view_alloc:
 * account_locked_vm(ALIGN(it_size * 8, PAGE_SIZE) >> PAGE_SHIFT)), so the
 * total for one-level windows was about x2 then too; only multi-level
 * tables (no view) were charged x1. The model does not reproduce that
 * split: the knob charges x1 for every table. */
static void s5_3_pre_4_19_tables(void)
{
	int c;
	struct spapr_model *m = fresh("powernv9", &c, pre419);
	uint64_t before = mt_locked(m), start;
	struct spapr_model_window_info w;

	T_ERR(mt_create_win(m, c, 12, 2 * MT_GIB, 1, &start), 0);
	T_EQU(mt_locked(m) - before, (4 * MT_MIB) >> SYS64K);
	T_EQU(mt_cinfo(m, c).windows[0].bytes_charged, 4 * MT_MIB);
	T_ERR(mt_remove(m, c, start), 0);
	T_EQU(mt_locked(m), before);

	T_ERR(mt_create_win(m, c, 16, MT_TIB, 2, &start), 0);
	w = mt_cinfo(m, c).windows[0];
	T_EQU(w.bytes_charged, mt_pnv_table_bytes(16, MT_TIB, 2, SYS64K));
	T_EQU(w.bytes_allocated, w.bytes_charged);
	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA0, start + 600 * MT_MIB, 16 * MT_MIB, MT_RW), 0);
	T_EQU(mt_cinfo(m, c).windows[0].bytes_allocated, w.bytes_allocated);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* pseries: charge = entries*8, no x2, levels must be 1. levels > 1 makes
 * get_table_size return ~0U bytes, charged before create_table's -EINVAL
 * (leaked), or -ENOMEM when ~4 GiB does not fit the memlock limit. */
static void s5_3_pseries_charges(void)
{
	int c;
	struct spapr_model *m = fresh("pseries-kvm", &c, NULL);
	uint64_t before = mt_locked(m), start;
	const uint64_t huge = 0xFFFFFFFFull;	/* ~0U */

	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &start), 0);
	/* 16384 entries * 8 = 128 KiB = 2 system pages */
	T_EQU(mt_locked(m) - before, 2);
	T_CHECK(mt_slot_of(m, c, start) >= 0);
	if (mt_slot_of(m, c, start) >= 0)
		T_EQU(mt_cinfo(m, c).windows[mt_slot_of(m, c, start)].bytes_charged,
		      128 * MT_KIB);
	T_ERR(mt_remove(m, c, start), 0);
	T_EQU(mt_locked(m), before);

	/* not a power of two: create_table -EINVAL after a 3*128 KiB charge */
	T_ERR(mt_create_win(m, c, 16, 3 * MT_GIB, 1, NULL), -EINVAL);
	T_EQU(mt_locked(m) - before, (3 * 128 * MT_KIB) >> SYS64K);
	before = mt_locked(m);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 2, NULL), -EINVAL);
	T_EQU(mt_locked(m) - before, huge >> SYS64K);
	T_EQU(mt_mm(m, 0).leaked_pages, (huge >> SYS64K) + 6);
	/* -EINVAL from the levels check is not an RTAS failure: no poisoning */
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), 0);
	mt_invariants(m);
	spapr_model_destroy(m);

	m = fresh("pseries-kvm", &c, limit_64g);
	T_ERR(spapr_model_mm_set_memlock(m, 0, 1 * MT_GIB, false), 0);
	before = mt_locked(m);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 2, NULL), -ENOMEM);
	T_EQU(mt_locked(m), before);
	T_EQU(mt_mm(m, 0).leaked_pages, 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

static void le_ram(struct spapr_model_profile *p)
{
	p->window_le_ram = true;
	p->ram_size = 4 * MT_GIB;
}

/* pre-4.17 knob: windows larger than RAM are rejected by get_table_size
 * (-EINVAL, nothing charged). */
static void s5_2_window_le_ram(void)
{
	int c;
	struct spapr_model *m = fresh("powernv9", &c, le_ram);
	uint64_t before = mt_locked(m), start;

	T_ERR(mt_create_win(m, c, 16, 8 * MT_GIB, 1, NULL), -EINVAL);
	T_EQU(mt_locked(m), before);
	T_EQU(mt_mm(m, 0).leaked_pages, 0);
	T_ERR(mt_create_win(m, c, 16, 4 * MT_GIB, 1, &start), 0);
	T_EQU(mt_locked(m) - before,
	      mt_pnv_charge(16, 4 * MT_GIB, 1, SYS64K) >> SYS64K);
	spapr_model_destroy(m);

	/* knob off (current kernels): a window far beyond RAM is fine */
	m = fresh("powernv9", &c, NULL);
	T_ERR(mt_create_win(m, c, 21, MT_TIB, 1, NULL), 0);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(s5_3_worked_table);
	T_RUN(s5_3_worked_table_2_47);
	T_RUN(s5_2_55bit_rule);
	T_RUN(s5_2_get_table_size_rejects);
	T_RUN(s5_2_levels_accepted);
	T_RUN(s5_2_on_demand_levels);
	T_RUN(s5_3_pre_4_19_tables);
	T_RUN(s5_3_pseries_charges);
	T_RUN(s5_2_window_le_ram);
	return t_finish();
}
