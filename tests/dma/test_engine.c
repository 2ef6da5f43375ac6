/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_engine.c - the engine on the host model: every profile x layout x
 * policy maps, the device reaches every byte with the right permissions and
 * nothing just outside, the plan is the best that exists, and teardown
 * gives every locked page back. Plus hotplug, several containers, errors.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "dma_layouts.h"
#include "dma_world.h"

static struct spapr_dma_mem_region R[LAYOUT_MAX_REGIONS];

/* Largest TCE the memory allows (page size and alignment), by the test's own rule. */
static unsigned int mem_shift(const struct spapr_dma_mem_region *r, unsigned int n, bool pa)
{
	unsigned int s = 63, i, a;

	for (i = 0; i < n; i++) {
		a = (unsigned int)__builtin_ctzll(r[i].va | r[i].len | (pa ? r[i].pa : 0));
		if (r[i].page_shift < s)
			s = r[i].page_shift;
		if (a < s)
			s = a;
	}
	return s;
}

static unsigned int best_tce(uint64_t pgsizes, unsigned int cap)
{
	unsigned int b;

	for (b = cap; b >= 12; b--)
		if ((pgsizes >> b) & 1)
			return b;
	return 0;
}

static uint64_t pow2_at_least(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* The smallest window of the plan's kind: 1:1 up to the top address, dense
 * over the memory, or the default window (trap §10.9). */
static uint64_t expected_window(const struct world *w, const struct spapr_dma_plan *p,
				unsigned int n, enum spapr_dma_iova_mode iova)
{
	uint64_t top = 0, total = 0;
	unsigned int i;

	if (p->default_window)
		return w->prof.dma32_size;
	for (i = 0; i < n; i++) {
		uint64_t end = (iova == SPAPR_DMA_IOVA_PA ? R[i].pa : R[i].va) + R[i].len;

		top = end > top ? end : top;
		total += R[i].len;
	}
	return pow2_at_least(p->mode == SPAPR_DMA_MODE_DIRECT ? top : total);
}

/*
 * Auto mode on PowerNV, by the cost rule of spapr_dma.h (the matrix sets no
 * RLIMIT_MEMLOCK): the 1:1 window of the best TCE, unless its table charge
 * is over max(32 MiB, memory / 8) and the dense window charges less.
 * Returns the expected mode, or -1 where other rules decide (pseries).
 */
static int expected_auto_mode(const struct world *w, unsigned int n, enum spapr_dma_iova_mode iova)
{
	unsigned int shift = best_tce(w->prof.pgsizes, mem_shift(R, n, iova == SPAPR_DMA_IOVA_PA));
	uint64_t top = 0, total = 0, allow, direct, dense;
	unsigned int i, dl, il;

	if (w->prof.platform != SPAPR_MODEL_POWERNV || !shift)
		return -1;
	for (i = 0; i < n; i++) {
		uint64_t end = (iova == SPAPR_DMA_IOVA_PA ? R[i].pa : R[i].va) + R[i].len;

		top = end > top ? end : top;
		total += R[i].len;
	}
	dl = spapr_dma_levels_needed(&w->plat, shift, pow2_at_least(top), w->prof.max_levels);
	il = spapr_dma_levels_needed(&w->plat, shift, pow2_at_least(total), w->prof.max_levels);
	if (!dl || !il)
		return -1;
	direct = spapr_dma_table_bytes(&w->plat, shift, pow2_at_least(top), dl);
	dense = spapr_dma_table_bytes(&w->plat, shift, pow2_at_least(total), il);
	allow = total / 8 > 32 * MiB ? total / 8 : 32 * MiB;
	return direct > allow && dense < direct ? SPAPR_DMA_MODE_INDIRECT : SPAPR_DMA_MODE_DIRECT;
}

/* One profile x layout x policy: returns the number of failed checks. */
static void run_case(const char *profile, enum layout_id lay, enum spapr_dma_mode mode,
		     enum spapr_dma_iova_mode iova)
{
	struct spapr_dma_policy pol = { .mode = mode, .iova_mode = iova };
	struct spapr_dma_container *c = NULL;
	struct spapr_model_mm_info mi;
	struct spapr_dma_error err;
	struct spapr_dma_plan plan;
	struct world w;
	unsigned int n, bad;
	int group = 0, rc, before = t_failures;
	char msg[512];

	T_ERR(world_init(&w, profile, &pol), 0);
	n = layout_fill(lay, w.prof.system_page_shift, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	rc = spapr_dma_container_create(w.ctx, w.be, &group, 1, &c, &err);
	if (rc) {
		spapr_dma_error_format(&err, msg, sizeof(msg));
		/* Only impossible combinations may fail, and they must say why. */
		T_CHECK(err.step[0] && err.remedy[0]);
		/* Only impossible combinations may fail: never on PowerNV or on
		 * the QEMU pseries guest, and only in the planner, with a remedy. */
		T_CHECK(!strcmp(err.step, "plan"));
		T_EQ(err.step_id, SPAPR_DMA_STEP_PLAN);
		T_CHECK(w.prof.platform == SPAPR_MODEL_PSERIES && strcmp(profile, "pseries-kvm"));
		if (t_failures != before)
			fprintf(stderr, "  %s / %s / mode %d: %s\n", profile, layout_name(lay), mode, msg);
		world_fini(&w);
		return;
	}
	spapr_dma_container_plan(c, &plan);
	if (plan.mode == SPAPR_DMA_MODE_DIRECT || !plan.default_window) {
		/* The best TCE: the largest supported size the memory allows. */
		unsigned int want = best_tce(w.prof.pgsizes,
					     mem_shift(R, n, iova == SPAPR_DMA_IOVA_PA &&
							     plan.mode == SPAPR_DMA_MODE_DIRECT));
		T_EQ(plan.page_shift, want);
	} else {
		T_EQ(plan.page_shift, 12);
	}
	if (mode != SPAPR_DMA_MODE_AUTO)
		T_EQ(plan.mode, mode);
	else if (expected_auto_mode(&w, n, iova) >= 0)
		T_EQ(plan.mode, expected_auto_mode(&w, n, iova));
	T_EQU(plan.window_size, expected_window(&w, &plan, n, iova));
	bad = verify_all(&w, group, c, R, n, 2048);
	T_EQ(bad, 0);
	T_ERR(spapr_model_check_invariants(w.m, msg, sizeof(msg)), 0);
	T_ERR(spapr_dma_container_destroy(c, &err), 0);
	T_ERR(spapr_model_mm_info(w.m, 0, &mi), 0);
	T_EQU(mi.locked_vm_pages, 0);
	T_EQ(mi.regions, 0);
	if (t_failures != before)
		fprintf(stderr, "  in %s / %s / mode %d iova %d\n", profile, layout_name(lay), mode,
			iova);
	world_fini(&w);
}

static const char *matrix_platform = "";

/* Every built-in profile of one platform x every layout x every policy. */
static void test_matrix(void)
{
	const char *const *names = spapr_model_profile_names();
	struct spapr_model_profile prof;
	unsigned int p, l, m, done = 0;
	int before;

	for (p = 0; names[p]; p++) {
		if (spapr_model_profile_get(names[p], &prof) ||
		    strncmp(names[p], matrix_platform, strlen(matrix_platform)))
			continue;
		if (prof.kernel != SPAPR_MODEL_KERNEL_CURRENT)
			continue;	/* v1-only kernels: see test_errors */
		done++;
		for (l = 0; l < LAY_COUNT; l++)
			for (m = 0; m < 3; m++) {
				before = t_failures;
				run_case(names[p], (enum layout_id)l, (enum spapr_dma_mode)m,
					 SPAPR_DMA_IOVA_VA);
				/* IOVA = PA too, for hugepage layouts below 1 TiB. The
				 * model's RAM starts at 16 TiB, so a PA window of 64K
				 * TCEs has 2^29 entries that REMOVE clears one by one. */
				if (l != LAY_2M_1T && l != LAY_1G_1T && l != LAY_SYS_1G &&
				    l != LAY_MIXED)
					run_case(names[p], (enum layout_id)l,
						 (enum spapr_dma_mode)m, SPAPR_DMA_IOVA_PA);
				if (t_failures != before)
					return;	/* one broken case is enough output */
			}
	}
	T_CHECK(done > 0);
	printf("  %u %s profile(s) x %d layouts x 3 policies x IOVA VA (and PA below 1 TiB)\n",
	       done, matrix_platform, LAY_COUNT);
}

static void test_iova_pa(void)
{
	run_case("powernv9", LAY_2M_1G, SPAPR_DMA_MODE_AUTO, SPAPR_DMA_IOVA_PA);
	run_case("powernv9", LAY_1G_4G, SPAPR_DMA_MODE_DIRECT, SPAPR_DMA_IOVA_PA);
	run_case("pseries-kvm", LAY_2M_1G, SPAPR_DMA_MODE_AUTO, SPAPR_DMA_IOVA_PA);
}

/* Exact plans for cases the spec and testbed pin down. */
struct expect {
	const char *profile;
	enum layout_id lay;
	enum spapr_dma_mode policy, mode;
	unsigned int page_shift;
	uint64_t window;
	unsigned int levels;
	uint64_t start;		/* the start the model's kernel gives */
	bool default_window;
};

static void test_exact_plans(void)
{
	static const struct expect ex[] = {
		{ "powernv9", LAY_2M_1G, 0, SPAPR_DMA_MODE_DIRECT, 21, 8 * GiB, 1, 0, false },
		{ "powernv9", LAY_1G_4G, 0, SPAPR_DMA_MODE_DIRECT, 30, 8 * GiB, 1, 0, false },
		{ "powernv8", LAY_2M_1G, 0, SPAPR_DMA_MODE_DIRECT, 16, 8 * GiB, 1, 0, false },
		{ "powernv8", LAY_16M_1G, 0, SPAPR_DMA_MODE_DIRECT, 24, 8 * GiB, 1, 0, false },
		{ "powernv9", LAY_16M_1G, 0, SPAPR_DMA_MODE_DIRECT, 21, 8 * GiB, 1, 0, false },
		/* Sparse VAs: the 2^47 1:1 window charges 1 GiB for 2 GiB of memory,
		 * over 1/8 of it: auto mode maps densely (the cost rule, §10.9). */
		{ "powernv9", LAY_SPARSE, 0, SPAPR_DMA_MODE_INDIRECT, 21, 2 * GiB, 1, 0, false },
		{ "powernv9", LAY_SPARSE, SPAPR_DMA_MODE_DIRECT, SPAPR_DMA_MODE_DIRECT, 21,
		  1ull << 47, 2, 0, false },
		{ "powernv9", LAY_2M_1G, SPAPR_DMA_MODE_INDIRECT, SPAPR_DMA_MODE_INDIRECT, 21,
		  1 * GiB, 1, 0, false },
		{ "powernv9-4k", LAY_SYS_1G, 0, SPAPR_DMA_MODE_DIRECT, 12, 8 * GiB, 1, 0, false },
		{ "powernv9", LAY_1G_1T, 0, SPAPR_DMA_MODE_DIRECT, 30, 2 * TiB, 1, 0, false },
		{ "pseries-kvm", LAY_2M_1G, 0, SPAPR_DMA_MODE_DIRECT, 21, 8 * GiB, 1, 1ull << 59,
		  false },
		{ "pseries-kvm", LAY_16M_1G, 0, SPAPR_DMA_MODE_DIRECT, 24, 8 * GiB, 1, 1ull << 59,
		  false },
		{ "pseries-powervm", LAY_1G_4G, 0, SPAPR_DMA_MODE_DIRECT, 21, 8 * GiB, 1,
		  1ull << 59, false },
		/* VF: 64K TCEs, 32768-TCE budget: the 8 GiB 1:1 window does not exist. */
		{ "pseries-powervm-sriov-vf", LAY_2M_1G, 0, SPAPR_DMA_MODE_INDIRECT, 16, 1 * GiB, 1,
		  1ull << 59, false },
		{ "pseries-noddw", LAY_SYS_1G, 0, SPAPR_DMA_MODE_INDIRECT, 12, 1 * GiB, 1, 0, true },
	};
	unsigned int i;

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		const struct expect *e = &ex[i];
		struct spapr_dma_policy pol = { .mode = e->policy };
		struct spapr_dma_container *c = NULL;
		struct spapr_dma_error err = { 0 };
		struct spapr_dma_plan plan;
		struct world w;
		unsigned int n;
		uint64_t start = 1;
		int g = 0, before = t_failures;

		T_ERR(world_init(&w, e->profile, &pol), 0);
		n = layout_fill(e->lay, w.prof.system_page_shift, R);
		T_ERR(world_map_mem(&w, R, n), 0);
		T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
		T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err), 0);
		if (!c) {
			fprintf(stderr, "  case %u %s: %s %s\n", i, e->profile, err.step, err.message);
			world_fini(&w);
			continue;
		}
		spapr_dma_container_plan(c, &plan);
		spapr_dma_container_window(c, &start, NULL, NULL);
		T_EQ(plan.mode, e->mode);
		T_EQ(plan.page_shift, e->page_shift);
		T_EQU(plan.window_size, e->window);
		T_EQ(plan.levels, e->levels);
		T_EQU(start, e->start);
		T_EQ(plan.default_window, e->default_window);
		T_EQ(verify_all(&w, g, c, R, n, 512), 0);
		if (t_failures != before)
			fprintf(stderr, "  in exact case %u (%s, %s)\n", i, e->profile,
				layout_name(e->lay));
		world_fini(&w);
	}
}

static void test_kernel_ops_count(void)
{
	struct spapr_dma_container *c;
	struct spapr_dma_stats st;
	struct spapr_model_counters mc;
	struct world w;
	unsigned int n;
	int g = 0;

	T_ERR(world_init(&w, "powernv9", NULL), 0);
	n = layout_fill(LAY_2M_1G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, NULL), 0);
	spapr_model_counters_reset(w.m);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, NULL), 0);
	spapr_dma_container_stats(c, &st);
	spapr_model_counters(w.m, &mc);
	/* SET_CONTAINER, SET_IOMMU, GET_INFO, REMOVE, CREATE, REGISTER, MAP. */
	T_EQU(st.kernel_ops, 7);
	T_EQU(mc.ioctls, 7);
	T_EQU(mc.ops[SPAPR_MODEL_OP_REGISTER_MEMORY], 1);
	T_EQU(mc.ops[SPAPR_MODEL_OP_MAP_DMA], 1);
	T_EQ(st.windows, 1);
	T_EQU(st.tces_in_use, 512);
	T_EQU(st.bytes_mapped, 1 * GiB);
	T_EQU(st.bytes_registered, 1 * GiB);
	T_EQU(st.table_bytes_charged, 128 * KiB);
	world_fini(&w);
}

static void test_hotplug(void)
{
	struct spapr_dma_policy pol = { 0 };
	struct spapr_dma_mem_region add[2];
	struct spapr_dma_container *c;
	struct spapr_model_mm_info a, b;
	struct spapr_dma_error err;
	struct world w;
	uint64_t old_iova;
	unsigned int n;
	int g = 0;

	T_ERR(world_init(&w, "powernv9", &pol), 0);
	n = layout_fill(LAY_2M_1G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err), 0);
	spapr_model_mm_info(w.m, 0, &a);
	/* Direct window [0, 8 GiB): 1 GiB more at 6 GiB fits. */
	regions_fill(add, 1, 6 * GiB, 1 * GiB, 21);
	T_ERR(world_map_mem(&w, add, 1), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, add, 1, &err), 0);
	R[n] = add[0];
	T_EQ(verify_all(&w, g, c, R, n + 1, 512), 0);
	/* Ranges: one IOVA run or SPAPR_DMA_BAD_IOVA. */
	T_EQU(spapr_dma_iova_range(c, add[0].va, add[0].len), spapr_dma_iova(c, add[0].va));
	T_EQU(spapr_dma_iova_range(c, add[0].va + 4096, 4096), spapr_dma_iova(c, add[0].va) + 4096);
	T_EQU(spapr_dma_iova_range(c, add[0].va, 0), SPAPR_DMA_BAD_IOVA);
	T_EQU(spapr_dma_iova_range(c, add[0].va - 4096, 8192),
	      spapr_dma_iova(c, add[0].va - 4096) == spapr_dma_iova(c, add[0].va) - 4096 ?
	      spapr_dma_iova(c, add[0].va - 4096) : SPAPR_DMA_BAD_IOVA);
	T_EQU(spapr_dma_iova_range(c, R[0].va, R[0].len + R[1].len),
	      spapr_dma_iova(c, R[1].va) == spapr_dma_iova(c, R[0].va) + R[0].len &&
	      R[1].va == R[0].va + R[0].len ? spapr_dma_iova(c, R[0].va) : SPAPR_DMA_BAD_IOVA);
	/* 4 GiB at 7 GiB does not: the error says how much is missing. */
	regions_fill(add + 1, 1, 8 * GiB, 4 * GiB, 21);
	T_ERR(world_map_mem(&w, add + 1, 1), 0);
	spapr_model_mm_info(w.m, 0, &b);
	T_ERR(spapr_dma_mem_add(w.ctx, add + 1, 1, &err), -ENOSPC);
	T_CHECK(strstr(err.message, "4 GiB missing") != NULL);

	T_CHECK(!strcmp(err.step, "window"));
	T_EQ(err.step_id, SPAPR_DMA_STEP_WINDOW);
	spapr_model_mm_info(w.m, 0, &a);
	T_EQU(a.locked_vm_pages, b.locked_vm_pages);	/* REGISTER undone */
	T_EQ(a.regions, b.regions);
	/* Remove the hotplugged GiB: its IOVAs fault, its pages are unlocked. */
	old_iova = spapr_dma_iova(c, add[0].va);
	T_ERR(spapr_dma_mem_remove(w.ctx, add[0].va, add[0].len, &err), 0);
	T_EQU(spapr_dma_iova(c, add[0].va), SPAPR_DMA_BAD_IOVA);
	T_EQU(spapr_dma_iova_range(c, add[0].va, 4096), SPAPR_DMA_BAD_IOVA);
	T_CHECK(dma_faults(&w, g, old_iova));
	spapr_model_mm_info(w.m, 0, &b);
	T_EQU(b.locked_vm_pages, a.locked_vm_pages - (1 * GiB >> 16));
	/* Partial removal of a region is refused; removing half of the memsegs works. */
	T_ERR(spapr_dma_mem_remove(w.ctx, R[0].va, 1 * MiB, &err), -EINVAL);
	T_ERR(spapr_dma_mem_remove(w.ctx, R[0].va, 256 * 2 * MiB, &err), 0);
	T_EQ(verify_all(&w, g, c, R + 256, 256, 64), 0);
	/* A range that starts in removed memory, or runs into it, is not mapped. */
	T_EQU(spapr_dma_iova_range(c, R[255].va, R[255].len + R[256].len), SPAPR_DMA_BAD_IOVA);
	T_EQU(spapr_dma_iova_range(c, R[256].va - 4096, 8192), SPAPR_DMA_BAD_IOVA);
	T_CHECK(dma_faults(&w, g, spapr_dma_iova(c, R[256].va) - 1));
	spapr_model_mm_info(w.m, 0, &b);
	T_EQ(b.regions, 1);	/* still registered: half of it is live */
	T_ERR(spapr_dma_mem_remove(w.ctx, R[256].va, 256 * 2 * MiB, &err), 0);
	spapr_model_mm_info(w.m, 0, &b);
	T_EQ(b.regions, 0);
	T_EQ(b.orphaned_regions, 0);
	world_fini(&w);
}

static void test_hotplug_indirect(void)
{
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_INDIRECT,
					.indirect_reserve = 512 * MiB };
	struct spapr_dma_mem_region add[2];
	struct spapr_dma_container *c;
	struct spapr_dma_error err;
	struct spapr_dma_plan plan;
	struct world w;
	unsigned int n;
	int g = 0;

	T_ERR(world_init(&w, "powernv9", &pol), 0);
	n = layout_fill(LAY_2M_1G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err), 0);
	spapr_dma_container_plan(c, &plan);
	T_EQU(plan.window_size, 2 * GiB);
	regions_fill(add, 1, 0x7e0000000000ull, 512 * MiB, 21);
	T_ERR(world_map_mem(&w, add, 1), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, add, 1, &err), 0);
	R[n] = add[0];
	T_EQ(verify_all(&w, g, c, R, n + 1, 512), 0);
	regions_fill(add + 1, 1, 0x7f0000000000ull, 1 * GiB, 21);
	T_ERR(world_map_mem(&w, add + 1, 1), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, add + 1, 1, &err), -ENOSPC);
	T_CHECK(!strcmp(err.step, "iova"));
	T_EQ(err.step_id, SPAPR_DMA_STEP_IOVA);
	T_CHECK(strstr(err.message, "missing") != NULL);
	/* Free IOVA space is reused after a removal. */
	T_ERR(spapr_dma_mem_remove(w.ctx, add[0].va, add[0].len, &err), 0);
	add[1].len = 512 * MiB;
	T_ERR(spapr_dma_mem_add(w.ctx, add + 1, 1, &err), 0);
	R[n] = add[1];
	T_EQ(verify_all(&w, g, c, R, n + 1, 512), 0);
	T_EQU(spapr_dma_iova(c, add[1].va), 1 * GiB);	/* the freed IOVAs were reused */
	world_fini(&w);
}

static void test_several_containers(void)
{
	struct spapr_dma_container *c1, *c2;
	struct spapr_model_mm_info mi;
	struct spapr_dma_error err;
	struct world w;
	unsigned int n;
	int g0 = 0, g1 = 1, both[2] = { 0, 1 };

	T_ERR(world_init(&w, "powernv9", NULL), 0);
	n = layout_fill(LAY_1G_4G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g0, 1, &c1, &err), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g1, 1, &c2, &err), 0);
	T_EQ(spapr_dma_ctx_containers(w.ctx), 2);
	T_EQ(verify_all(&w, g0, c1, R, n, 64), 0);
	T_EQ(verify_all(&w, g1, c2, R, n, 64), 0);
	spapr_model_mm_info(w.m, 0, &mi);
	T_EQ(mi.regions, 1);	/* shared registration (§3.5 step 4) */
	T_ERR(spapr_dma_container_destroy(c1, &err), 0);
	T_EQ(verify_all(&w, g1, c2, R, n, 64), 0);
	T_ERR(spapr_dma_container_destroy(c2, &err), 0);
	spapr_model_mm_info(w.m, 0, &mi);
	T_EQU(mi.locked_vm_pages, 0);
	/* Two groups in one container (PowerNV shares the table). */
	T_ERR(spapr_dma_container_create(w.ctx, w.be, both, 2, &c1, &err), 0);
	T_EQ(verify_all(&w, 0, c1, R, n, 64), 0);
	T_EQ(verify_all(&w, 1, c1, R, n, 64), 0);
	world_fini(&w);

	/* pseries: one group per container (trap §10.15). */
	T_ERR(world_init(&w, "pseries-kvm", NULL), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, both, 2, &c1, &err), -EINVAL);
	T_CHECK(strstr(err.remedy, "one container per group") != NULL);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g0, 1, &c1, &err), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g1, 1, &c2, &err), 0);
	world_fini(&w);
}

static void test_errors(void)
{
	struct spapr_dma_policy pol = { .memlock_limit = 256 * MiB };
	struct spapr_model_mm_info mi;
	struct spapr_dma_container *c;
	struct spapr_dma_error err;
	struct world w;
	unsigned int n;
	int g = 0;
	char buf[512];

	/* v2 refused on a 6.4-6.10 pseries guest: the step is named. */
	T_ERR(world_init(&w, "pseries-v1-only", NULL), 0);
	T_CHECK(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err) < 0);
	T_CHECK(!strcmp(err.step, "SET_IOMMU"));
	T_EQ(err.step_id, SPAPR_DMA_STEP_SET_IOMMU);
	world_fini(&w);
	/* RLIMIT_MEMLOCK too small: the planner refuses with the number to use. */
	T_ERR(world_init(&w, "powernv9", &pol), 0);
	n = layout_fill(LAY_2M_1G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err), -ENOMEM);
	spapr_dma_error_format(&err, buf, sizeof(buf));
	T_CHECK(strstr(buf, "raise RLIMIT_MEMLOCK to 1025 MiB") != NULL);
	T_EQ(err.step_id, SPAPR_DMA_STEP_PLAN);	/* no kernel call: nothing charged */
	spapr_model_mm_info(w.m, 0, &mi);
	T_EQU(mi.locked_vm_pages, 0);
	world_fini(&w);
	/* Memory the kernel cannot pin: REGISTER -EFAULT, named, nothing left. */
	T_ERR(world_init(&w, "powernv9", NULL), 0);
	regions_fill(R, 1, VA_BASE, 64 * MiB, 21);
	T_ERR(spapr_model_mm_map(w.m, 0, R[0].va, R[0].len, 21,
				 SPAPR_MODEL_VMA_HUGETLB | SPAPR_MODEL_VMA_READONLY, NULL), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, 1, &err), -EFAULT);

	T_CHECK(!strcmp(err.step, "REGISTER_MEMORY"));
	T_EQ(err.step_id, SPAPR_DMA_STEP_REGISTER);
	T_CHECK(strstr(err.remedy, "pinned") != NULL);
	world_fini(&w);
}

/* No argument: the focused tests. "matrix <platform-prefix>": the matrix
 * for the profiles whose name starts with it (split to stay < 20 s each). */
/* Per-region permissions: a TX-only region (device reads) refuses device
 * writes; neighbours with other permissions are separate MAPs. */
static void test_permissions(void)
{
	static const char *const profiles[] = { "powernv9", "pseries-kvm" };
	unsigned int p, i;

	for (p = 0; p < 2; p++) {
		struct spapr_dma_container *c;
		struct spapr_dma_stats st;
		struct world w;
		int g = 0;

		T_ERR(world_init(&w, profiles[p], NULL), 0);
		regions_fill(R, 4, VA_BASE, 64 * MiB, 21);
		R[1].prot = SPAPR_DMA_READ;
		R[2].prot = SPAPR_DMA_READ | SPAPR_DMA_WRITE;
		R[3].prot = SPAPR_DMA_READ;
		T_ERR(world_map_mem(&w, R, 4), 0);
		T_ERR(spapr_dma_mem_add(w.ctx, R, 4, NULL), 0);
		T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, NULL), 0);
		spapr_dma_container_stats(c, &st);
		T_EQ(st.registrations, 1);
		T_EQ(st.mappings, 4);	/* RW | R | RW | R */
		T_EQ(verify_all(&w, g, c, R, 4, 64), 0);
		for (i = 1; i < 4; i += 2) {
			T_CHECK(spapr_model_dma_check(w.m, g, spapr_dma_iova(c, R[i].va), 1,
						      SPAPR_MODEL_DMA_WRITE, NULL) != 0);
			spapr_model_pe_reset(w.m, g);
		}
		world_fini(&w);
	}
}

/* Handles opened by someone else (DPDK): the engine uses and leaves them. */
static void test_attach(void)
{
	struct spapr_dma_container *c;
	struct spapr_model_container_info ci;
	struct spapr_model_mm_info mi;
	struct spapr_dma_error err;
	struct world w;
	unsigned int n;
	int h, g;

	T_ERR(world_init(&w, "powernv9", NULL), 0);
	n = layout_fill(LAY_2M_1G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	h = w.be->ops->container_open(w.be);
	g = w.be->ops->group_open(w.be, 0);
	T_ERR(w.be->ops->group_set_container(w.be, g, h), 0);
	T_ERR(w.be->ops->set_iommu(w.be, h, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	T_ERR(spapr_dma_container_attach(w.ctx, w.be, h, &g, 1, SPAPR_DMA_ATTACH_IOMMU_SET, &c,
					 &err), 0);
	T_EQ(spapr_dma_container_handle(c), h);
	T_EQ(verify_all(&w, 0, c, R, n, 64), 0);
	T_ERR(spapr_dma_container_destroy(c, &err), 0);
	T_ERR(spapr_model_container_info(w.m, h, &ci), 0);	/* still open, still ours */
	T_CHECK(ci.iommu_set && ci.ngroups == 1);
	T_CHECK(!ci.windows[0].present && !ci.windows[1].present);
	spapr_model_mm_info(w.m, 0, &mi);
	T_EQU(mi.locked_vm_pages, 0);
	/* Without SET_IOMMU done, attach does it. */
	h = w.be->ops->container_open(w.be);
	g = w.be->ops->group_open(w.be, 1);
	T_ERR(w.be->ops->group_set_container(w.be, g, h), 0);
	T_ERR(spapr_dma_container_attach(w.ctx, w.be, h, &g, 1, 0, &c, &err), 0);
	T_EQ(verify_all(&w, 1, c, R, n, 64), 0);
	world_fini(&w);
}

/*
 * A group leaves a shared container: the kernel clears the window's TCEs
 * for the group that stays too (§4, ML-CLEAR); spapr_dma_container_remap()
 * makes them again.
 */
static void test_group_leaves(void)
{
	struct spapr_dma_container *c;
	struct spapr_dma_stats st;
	struct spapr_dma_error err;
	struct world w;
	unsigned int n;
	int h, g[2];

	T_ERR(world_init(&w, "powernv9", NULL), 0);
	n = layout_fill(LAY_2M_1G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	h = w.be->ops->container_open(w.be);
	for (int i = 0; i < 2; i++) {
		g[i] = w.be->ops->group_open(w.be, i);
		T_ERR(w.be->ops->group_set_container(w.be, g[i], h), 0);
	}
	T_ERR(spapr_dma_container_attach(w.ctx, w.be, h, g, 2, 0, &c, &err), 0);
	T_EQ(verify_all(&w, 0, c, R, n, 64), 0);
	T_ERR(w.be->ops->group_unset_container(w.be, g[1]), 0);
	T_CHECK(dma_faults(&w, 0, spapr_dma_iova(c, R[0].va)));	/* cleared for group 0 too */
	T_ERR(spapr_model_pe_reset(w.m, 0), 0);
	spapr_dma_container_stats(c, &st);
	T_ERR(spapr_dma_container_remap(c, &err), 0);
	T_EQ(verify_all(&w, 0, c, R, n, 64), 0);
	{
		struct spapr_dma_stats st2;

		spapr_dma_container_stats(c, &st2);
		T_EQU(st2.ops[SPAPR_DMA_OP_MAP] - st.ops[SPAPR_DMA_OP_MAP], st.mappings);
	}
	T_ERR(spapr_dma_container_destroy(c, &err), 0);
	world_fini(&w);
}

/*
 * Indirect: a container set up after memory came and went gives every page
 * the IOVA the existing container gives it (a caller has one IOVA per
 * page), not the first fit of its own empty window.
 */
static void test_late_container_iovas(void)
{
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_INDIRECT,
					.indirect_reserve = 2 * GiB };
	struct spapr_dma_container *c1, *c2;
	struct spapr_dma_mem_region add;
	struct spapr_dma_error err;
	struct world w;
	unsigned int n;
	int g0 = 0, g1 = 1;

	T_ERR(world_init(&w, "powernv9", &pol), 0);
	regions_fill(&add, 1, 0x7e0000000000ull, 64 * MiB, 21);
	T_ERR(world_map_mem(&w, &add, 1), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, &add, 1, &err), 0);
	n = layout_fill(LAY_2M_1G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g0, 1, &c1, &err), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	/* A hole at the start of c1's IOVA space. */
	T_ERR(spapr_dma_mem_remove(w.ctx, add.va, add.len, &err), 0);
	T_CHECK(spapr_dma_iova(c1, R[0].va) != SPAPR_DMA_BAD_IOVA);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g1, 1, &c2, &err), 0);
	for (unsigned int i = 0; i < n; i++)
		T_EQU(spapr_dma_iova(c2, R[i].va), spapr_dma_iova(c1, R[i].va));
	T_EQ(verify_all(&w, 1, c2, R, n, 64), 0);
	world_fini(&w);
}

/*
 * pseries without knowing the hypervisor's TCE budget (the kernel does not
 * show largest_available_block): the 1:1 window is refused with -EINVAL and
 * the engine falls back to a dense DDW; the refused CREATE's charge stays
 * leaked in locked_vm (§3.6 step 8), which nobody can undo.
 */
static void test_pseries_unknown_budget(void)
{
	struct spapr_dma_container *c;
	struct spapr_model_mm_info mi;
	struct spapr_dma_error err;
	struct spapr_dma_plan plan;
	struct world w;
	unsigned int n, i;
	bool noted = false;
	int g = 0;

	T_ERR(world_init(&w, "pseries-powervm-sriov-vf", NULL), 0);
	w.plat.ddw_max_entries = 0;
	spapr_dma_ctx_destroy(w.ctx);
	w.ctx = spapr_dma_ctx_create(&w.plat, NULL);
	n = layout_fill(LAY_2M_1G, 16, R);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, &err), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err), 0);
	spapr_dma_container_plan(c, &plan);
	T_EQ(plan.mode, SPAPR_DMA_MODE_INDIRECT);
	T_EQ(plan.page_shift, 16);
	T_EQU(plan.window_size, 1 * GiB);
	for (i = 0; i < plan.explain.ncand; i++)
		noted |= strstr(plan.explain.cand[i].reason, "TCE_CREATE failed") != NULL;
	T_CHECK(noted);
	T_EQ(verify_all(&w, g, c, R, n, 64), 0);
	T_ERR(spapr_dma_container_destroy(c, &err), 0);
	spapr_model_mm_info(w.m, 0, &mi);
	T_EQU(mi.locked_vm_pages, mi.leaked_pages);	/* only the kernel's leak remains */
	world_fini(&w);
}

/*
 * pseries: a hypervisor call failing during CREATE poisons the PE (-ENODEV,
 * §6) so the default window could never be re-created; the engine
 * keeps it (slot 0) and falls back into it. Each hypervisor call of the
 * setup fails in turn: every outcome is a working mapping or a clean error,
 * and at least one is the poisoned-DDW fallback.
 */
static void test_pseries_poison(void)
{
	unsigned int nth, fallbacks = 0;

	for (nth = 1; nth <= 8; nth++) {
		struct spapr_dma_container *c = NULL;
		struct spapr_dma_error err = { 0 };
		struct spapr_dma_plan plan;
		struct snap before, after;
		struct world w;
		unsigned int n;
		int g = 0, rc;

		T_ERR(world_init(&w, "pseries-kvm", NULL), 0);
		n = layout_fill(LAY_2M_1G, 16, R);
		T_ERR(world_map_mem(&w, R, n), 0);
		T_ERR(spapr_dma_mem_add(w.ctx, R, n, NULL), 0);
		snap_take(&w, &before);
		T_ERR(spapr_model_fault_inject(w.m, SPAPR_MODEL_OP_HCALL, nth, 0, 1), 0);
		rc = spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, &err);
		spapr_model_fault_clear(w.m);
		if (rc) {
			struct spapr_model_mm_info mi;

			snap_take(&w, &after);
			spapr_model_mm_info(w.m, 0, &mi);
			T_CHECK(err.step[0] != 0);
			/* A failed H_PUT_TCE inside MAP leaks the region's mapped
			 * count in the kernel (VST tce_iommu_build_v2 never undoes
			 * mm_iommu_mapped_inc), so the registration cannot be
			 * freed: the engine's UNREGISTER orphans it. Nothing in
			 * userspace can undo that; everything else is undone. */
			if (!strcmp(err.step, "MAP_DMA") && mi.orphaned_regions) {
				after.locked = before.locked;
				after.regions = before.regions;
				after.registered = before.registered;
			}
			T_CHECK(snap_eq(&before, &after));
		} else {
			spapr_dma_container_plan(c, &plan);
			T_EQ(verify_all(&w, g, c, R, n, 64), 0);
			fallbacks += plan.default_window &&
				     strstr(plan.explain.remedy, strerror(ENODEV)) != NULL;
		}
		world_fini(&w);
	}
	T_CHECK(fallbacks > 0);
}

/* What the progress callback saw. */
struct progress_log {
	unsigned int calls;
	uint64_t done[64], total[64];
};

static void progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct progress_log *pl = arg;

	if (pl->calls < 64) {
		pl->done[pl->calls] = done;
		pl->total[pl->calls] = total;
	}
	pl->calls++;
}

/* Calls increase strictly, with one total; all but the last are >= 1 GiB
 * apart; the last says done == total. Returns the failures. */
static int progress_check(const struct progress_log *pl, uint64_t total)
{
	int before = t_failures;
	unsigned int i;

	T_CHECK(pl->calls > 0 && pl->calls <= 64);
	for (i = 0; i < pl->calls && i < 64; i++) {
		T_EQU(pl->total[i], total);
		T_CHECK(pl->done[i] <= total);
		if (i)
			T_CHECK(pl->done[i] > pl->done[i - 1]);
		if (i && i + 1 < pl->calls)
			T_CHECK(pl->done[i] - pl->done[i - 1] >= SPAPR_DMA_PROGRESS_STEP);
	}
	if (pl->calls && pl->calls <= 64)
		T_EQU(pl->done[pl->calls - 1], total);
	return t_failures - before;
}

/*
 * Progress: 3 GiB of 2 MiB memsegs with alternating permissions (one MAP
 * each) in indirect mode: one 3 GiB REGISTER, then 1536 MAPs of 2 MiB.
 * Work = 6 GiB: calls at 3 (the REGISTER), 4, 5 and 6 GiB, not per MAP.
 */
static void test_progress(void)
{
	static struct spapr_dma_mem_region big[1536];
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_INDIRECT,
					.indirect_reserve = 1 * GiB };
	struct spapr_dma_mem_region add[1];
	struct spapr_dma_container *c1, *c2;
	struct progress_log pl = { 0 };
	struct spapr_dma_error err;
	struct world w;
	unsigned int i;
	int g0 = 0, g1 = 1;

	T_ERR(world_init(&w, "powernv9", &pol), 0);
	regions_fill(big, 1536, VA_BASE, 2 * MiB, 21);
	for (i = 0; i < 1536; i++)
		big[i].prot = i % 2 ? SPAPR_DMA_READ : 0;
	T_ERR(world_map_mem(&w, big, 1536), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, big, 1536, &err), 0);
	spapr_dma_ctx_set_progress(w.ctx, progress_cb, &pl);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g0, 1, &c1, &err), 0);
	T_EQ(progress_check(&pl, 6 * GiB), 0);
	T_EQ(pl.calls, 4);
	T_EQU(pl.done[0], 3 * GiB);
	T_EQU(pl.done[1], 4 * GiB);
	/* A second container: 6 GiB again, counted from 0. */
	memset(&pl, 0, sizeof(pl));
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g1, 1, &c2, &err), 0);
	T_EQ(progress_check(&pl, 6 * GiB), 0);
	/* Hotplug into both containers: 2 x (64 MiB + 64 MiB), one final call. */
	memset(&pl, 0, sizeof(pl));
	regions_fill(add, 1, 0x7000000000ull, 64 * MiB, 21);
	T_ERR(world_map_mem(&w, add, 1), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, add, 1, &err), 0);
	T_EQ(progress_check(&pl, 256 * MiB), 0);
	T_EQ(pl.calls, 1);
	/* Removing memory is not reported; a failing call stops before done == total. */
	memset(&pl, 0, sizeof(pl));
	T_ERR(spapr_dma_mem_remove(w.ctx, add[0].va, add[0].len, &err), 0);
	T_EQ(pl.calls, 0);
	T_ERR(spapr_model_fault_inject(w.m, SPAPR_MODEL_OP_MAP_DMA, 2, 0, 1), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, add, 1, &err), -EIO);
	spapr_model_fault_clear(w.m);
	T_EQ(pl.calls, 0);	/* 256 MiB never done: no call at all */
	/* No callback: nothing is called (and nothing breaks). */
	spapr_dma_ctx_set_progress(w.ctx, NULL, NULL);
	memset(&pl, 0, sizeof(pl));
	T_ERR(spapr_dma_mem_add(w.ctx, add, 1, &err), 0);
	T_EQ(pl.calls, 0);
	world_fini(&w);
}

/* Lookups from other threads while memory is hotplugged and removed. */
struct reader {
	const struct spapr_dma_container *c;
	const struct spapr_dma_mem_region *r;
	unsigned int n;
	uint64_t *want;
	atomic_bool *stop;
	unsigned long bad;
	atomic_ulong done;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	unsigned int i = 0;

	while (!atomic_load(rd->stop)) {
		uint64_t off = (i * 0x9e3779b97f4a7c15ull) % rd->r[i % rd->n].len;

		rd->bad += spapr_dma_iova(rd->c, rd->r[i % rd->n].va + off) !=
			   rd->want[i % rd->n] + off;
		atomic_fetch_add(&rd->done, 1);
		i++;
	}
	return NULL;
}

static void test_concurrent_lookup(void)
{
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_INDIRECT,
					.indirect_reserve = 1 * GiB };
	struct spapr_dma_mem_region hot[1];
	struct spapr_dma_container *c;
	static uint64_t want[LAYOUT_MAX_REGIONS];
	atomic_bool stop = false;
	struct reader rd[2];
	pthread_t th[2];
	struct world w;
	unsigned int n, i, k;
	int g = 0;

	T_ERR(world_init(&w, "powernv9", &pol), 0);
	n = layout_fill(LAY_2M_1G, 16, R);
	regions_fill(hot, 1, 0x7000000000ull, 256 * MiB, 21);
	T_ERR(world_map_mem(&w, R, n), 0);
	T_ERR(world_map_mem(&w, hot, 1), 0);
	T_ERR(spapr_dma_mem_add(w.ctx, R, n, NULL), 0);
	T_ERR(spapr_dma_container_create(w.ctx, w.be, &g, 1, &c, NULL), 0);
	for (i = 0; i < n; i++)
		want[i] = spapr_dma_iova(c, R[i].va);
	for (k = 0; k < 2; k++) {
		rd[k] = (struct reader){ c, R, n, want, &stop, 0, 0 };
		T_ERR(pthread_create(&th[k], NULL, reader_main, &rd[k]), 0);
	}
	/* At least 200 hotplug cycles, and until both readers have looked up
	 * while they ran (the scheduler decides when they start). */
	for (i = 0; i < 200 || ((atomic_load(&rd[0].done) < 10000 ||
				 atomic_load(&rd[1].done) < 10000) && i < 100000); i++) {
		T_ERR(spapr_dma_mem_add(w.ctx, hot, 1, NULL), 0);
		T_ERR(spapr_dma_mem_remove(w.ctx, hot[0].va, hot[0].len, NULL), 0);
	}
	atomic_store(&stop, true);
	for (k = 0; k < 2; k++) {
		pthread_join(th[k], NULL);
		T_EQ(rd[k].bad, 0);
		T_CHECK(atomic_load(&rd[k].done) >= 10000);
	}
	world_fini(&w);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "matrix")) {
		matrix_platform = argv[2];
		T_RUN(test_matrix);
		return t_finish();
	}
	T_RUN(test_exact_plans);
	T_RUN(test_kernel_ops_count);
	T_RUN(test_iova_pa);
	T_RUN(test_hotplug);
	T_RUN(test_hotplug_indirect);
	T_RUN(test_several_containers);
	T_RUN(test_errors);
	T_RUN(test_permissions);
	T_RUN(test_attach);
	T_RUN(test_group_leaves);
	T_RUN(test_late_container_iovas);
	T_RUN(test_pseries_unknown_budget);
	T_RUN(test_pseries_poison);
	T_RUN(test_progress);
	T_RUN(test_concurrent_lookup);
	return t_finish();
}
