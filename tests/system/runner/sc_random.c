/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sc_random.c - seeded random ioctl sequences.
 *
 * "rnd-<seed>-<n>" is one sequence on a fresh v2 container: GET_INFO, then
 * 6-24 operations drawn from REGISTER, UNREGISTER, CREATE, REMOVE, MAP,
 * UNMAP and GET_INFO with arguments that are mostly valid and sometimes not.
 * The generator only uses what its own earlier steps returned (window
 * starts), so the same name gives the same first divergent step on both
 * sides.
 *
 * Two rules keep the real kernel safe and the PE usable:
 *  - MAP/UNMAP never run past the end of any window that may exist at the
 *    iova (§3.8 step 8: the kernel checks only the first page; the rest
 *    is undefined behaviour), so sizes are clamped to every window that
 *    might contain the iova;
 *  - on pseries a CREATE is issued only when no window can exist (pending
 *    default removed, no DDW live), because a refused DDW poisons the bridge
 *    until reboot (qemu-power-testbed.md) and would end all later coverage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sc.h"

/* Each random case has its own 1 MiB of the arena (case n: slice n % 128),
 * so that what one case leaves in the mm (an orphaned region, §3.5)
 * cannot change the next case's results: a divergence stays in its case. */
#define RND_AREA	(SC_ARENA_VA + 32 * SC_MiB)
#define RND_SLICES	128u
#define RND_LEN		SC_MiB
#define MAX_WINS	8
#define MAX_REGS	16

struct win {
	uint64_t start, size;
	unsigned int shift;
	bool live;		/* may exist now */
};

struct gen {
	uint64_t s;		/* splitmix64 state */
	uint64_t base;		/* this case's slice of the arena */
	struct sc_ctx *x;
	uint64_t dma32_start, dma32_size;
	bool pending;		/* default window may still be pending */
	struct win w[MAX_WINS];	/* w[0]: the default window */
	unsigned int nw;
	uint64_t reg_va[MAX_REGS], reg_size[MAX_REGS];
	unsigned int nreg;
};

static uint64_t next(struct gen *g)
{
	uint64_t z = (g->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t pick(struct gen *g, uint64_t n)
{
	return n ? next(g) % n : 0;
}

static bool chance(struct gen *g, unsigned int percent)
{
	return pick(g, 100) < percent;
}

void sc_random_name(char *buf, size_t len, unsigned long seed, unsigned int n)
{
	snprintf(buf, len, "rnd-%lu-%u", seed, n);
}

static bool parse_name(const char *name, unsigned long *seed, unsigned int *n)
{
	char *end;

	if (strncmp(name, "rnd-", 4) != 0)
		return false;
	*seed = strtoul(name + 4, &end, 10);
	if (*end != '-')
		return false;
	*n = (unsigned int)strtoul(end + 1, &end, 10);
	return *end == '\0';
}

static uint64_t page(const struct gen *g)
{
	return g->x->page_size;
}

/* A VA in the random arena, usually aligned to @align. */
static uint64_t rand_va(struct gen *g, uint64_t align)
{
	uint64_t va = g->base + pick(g, RND_LEN / align) * align;

	if (chance(g, 5))
		va += page(g) / 2;
	if (chance(g, 3))
		va = SC_HOLE_VA;
	return va;
}

/* Where a window of @w may end: as asked, or - PowerNV allocates tables in
 * whole system pages and the window spans the table (pci-ioda-tce.c) - at
 * PAGE_SIZE/8 entries when it asked for fewer. */
static uint64_t table_extent(const struct gen *g, const struct win *w)
{
	uint64_t min_entries = g->x->page_size / 8;

	if (w->shift >= 64 || (w->size >> w->shift) >= min_entries)
		return w->size;
	return min_entries << w->shift;
}

/* Any window that might exist and contains @iova limits the size to its
 * nearest possible end (asked size or table extent, whichever contains
 * @iova first), so no MAP/UNMAP can run past a real window's end. */
static uint64_t clamp_size(const struct gen *g, uint64_t iova, uint64_t size)
{
	for (unsigned int i = 0; i < g->nw; i++) {
		const struct win *w = &g->w[i];
		uint64_t ends[2] = { w->size, table_extent(g, w) };

		if (!w->live || iova < w->start)
			continue;
		for (unsigned int e = 0; e < 2; e++) {
			if (iova - w->start >= ends[e])
				continue;
			if (size > w->start + ends[e] - iova)
				size = w->start + ends[e] - iova;
			break;
		}
	}
	return size;
}

/* An IOVA: inside a known window (aligned to its page), or elsewhere. */
static uint64_t rand_iova(struct gen *g, unsigned int *shift)
{
	unsigned int live[MAX_WINS], n = 0;

	for (unsigned int i = 0; i < g->nw; i++)
		if (g->w[i].live)
			live[n++] = i;
	*shift = 12;
	if (n == 0 || chance(g, 10))
		return chance(g, 50) ? SC_BIT59 + 0x1000 * pick(g, 16)
				     : 0x1000 * pick(g, 4096);
	const struct win *w = &g->w[live[pick(g, n)]];
	uint64_t pages = w->size >> w->shift;

	*shift = w->shift;
	/* Mostly near the start or the end: that is where bounds bite. */
	uint64_t idx = chance(g, 70) ? pick(g, pages < 64 ? pages : 64)
				     : pages - 1 - pick(g, pages < 8 ? pages : 8);
	uint64_t iova = w->start + (idx << w->shift);

	if (chance(g, 4))
		iova += 0x800;
	return iova;
}

static void op_register(struct gen *g, bool unregister)
{
	uint64_t va, size;

	if (unregister && g->nreg && chance(g, 80)) {
		unsigned int i = (unsigned int)pick(g, g->nreg);

		va = g->reg_va[i];
		size = g->reg_size[i];
	} else {
		size = (UINT64_C(1) << (12 + pick(g, 9))) & ~(page(g) - 1);
		if (size == 0 || chance(g, 5))
			size = page(g) * (1 + pick(g, 3)) + (chance(g, 50) ? 0x800 : 0);
		va = rand_va(g, size < SC_MiB ? size : SC_MiB);
		if (va + size > g->base + RND_LEN && va != SC_HOLE_VA)
			va = g->base + RND_LEN - size;
	}
	if (unregister) {
		sc_op_unregister(g->x, g->x->c, va, size, 0, SC_ARGSZ_REG);
		return;
	}
	if (sc_op_register(g->x, g->x->c, va, size, 0, SC_ARGSZ_REG) == 0 &&
	    g->nreg < MAX_REGS) {
		g->reg_va[g->nreg] = va;
		g->reg_size[g->nreg++] = size;
	}
}

static void remove_at(struct gen *g, uint64_t start);

static bool any_live(const struct gen *g)
{
	for (unsigned int i = 0; i < g->nw; i++)
		if (g->w[i].live)
			return true;
	return g->pending;
}

static void op_create(struct gen *g)
{
	static const unsigned int shifts[] = { 12, 12, 12, 12, 16, 21, 24, 30, 13 };
	/* Modest sizes: pseries clears every TCE of a window by hypercall at
	 * REMOVE and release, which costs seconds per million under TCG. */
	static const uint64_t sizes[] = { 64 * SC_MiB, 256 * SC_MiB, SC_GiB,
					  256 * SC_MiB, 128 * SC_MiB, SC_MiB };
	unsigned int shift = shifts[pick(g, sizeof(shifts) / sizeof(shifts[0]))];
	uint64_t size = sizes[pick(g, sizeof(sizes) / sizeof(sizes[0]))];
	unsigned int levels = chance(g, 85) ? 1 : (unsigned int)pick(g, 4);

	if (g->x->pseries && any_live(g)) {
		/* Would risk a refused DDW (poison): remove a window instead. */
		uint64_t start = 0;

		for (unsigned int i = 0; i < g->nw; i++)
			if (g->w[i].live)
				start = g->w[i].start;
		remove_at(g, g->pending ? 0 : start);
		return;
	}
	if (g->pending)
		g->w[0].live = true;	/* CREATE materialises it first */
	g->pending = false;
	if (sc_op_create(g->x, g->x->c, shift, size, levels, 0, SC_ARGSZ_CREATE) == 0 &&
	    g->nw < MAX_WINS)
		g->w[g->nw++] = (struct win){ g->x->start, size, shift, true };
}

static void op_remove(struct gen *g)
{
	uint64_t start = 0;
	unsigned int i = (unsigned int)pick(g, g->nw);

	if (g->nw && g->w[i].live && chance(g, 80))
		start = g->w[i].start + (chance(g, 20) ? (UINT64_C(1) << g->w[i].shift) : 0);
	else if (chance(g, 30))
		start = SC_BIT59 + SC_GiB * pick(g, 4);
	remove_at(g, start);
}

/* REMOVE and track which windows are gone. */
static void remove_at(struct gen *g, uint64_t start)
{
	if (sc_op_remove(g->x, g->x->c, start, 0, SC_ARGSZ_REMOVE) != 0)
		return;
	if (g->pending && start == 0) {
		g->pending = false;
		return;
	}
	for (unsigned int k = 0; k < g->nw; k++)
		if (g->w[k].live && start >= g->w[k].start &&
		    start - g->w[k].start < g->w[k].size)
			g->w[k].live = false;
}

static void op_map(struct gen *g, bool unmap)
{
	unsigned int shift;
	uint64_t iova = rand_iova(g, &shift);
	uint64_t size = (1 + pick(g, 16)) << shift;
	uint64_t va = rand_va(g, UINT64_C(1) << (shift < 20 ? shift : 20));
	uint32_t flags = SC_RW;

	if (g->nreg && chance(g, 80)) {
		/* Mostly memory that is registered: that is what gets mapped. */
		unsigned int r = (unsigned int)pick(g, g->nreg);
		uint64_t pg = UINT64_C(1) << shift;
		uint64_t pages = g->reg_size[r] / pg;

		va = g->reg_va[r] + pick(g, pages ? pages : 1) * pg;
		if (pages && chance(g, 85))
			size = (1 + pick(g, pages - (va - g->reg_va[r]) / pg)) * pg;
	}

	if (g->pending)
		g->w[0].live = true;	/* MAP/UNMAP materialise it */
	g->pending = false;
	size = clamp_size(g, iova, size);
	if (chance(g, 4))
		size = 0;
	if (unmap) {
		sc_op_unmap(g->x, g->x->c, iova, size, 0, SC_ARGSZ_UNMAP);
		return;
	}
	if (chance(g, 10))
		flags = chance(g, 50) ? VFIO_DMA_MAP_FLAG_READ : VFIO_DMA_MAP_FLAG_WRITE;
	sc_op_map(g->x, g->x->c, va, iova, size, flags, SC_ARGSZ_MAP);
}

static void gen_init(struct gen *g, struct sc_ctx *x, unsigned long seed, unsigned int n)
{
	memset(g, 0, sizeof(*g));
	g->x = x;
	g->s = (uint64_t)seed * UINT64_C(1000003) + n;
	g->base = RND_AREA + (uint64_t)(n % RND_SLICES) * RND_LEN;
	g->pending = true;
}

/* Learn the dma32 geometry, as a library would, to track the default. */
static int gen_info(struct gen *g)
{
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	int rc = sc_op_get_info(g->x, g->x->c, SC_ARGSZ_INFO);

	if (rc != 0)
		return rc;
	/* Read the values again silently: sc_op_get_info records only. */
	rc = g->x->be->ops->get_info(g->x->be, g->x->c, &info);
	if (rc != 0)
		return rc;
	g->w[0] = (struct win){ info.dma32_window_start, info.dma32_window_size, 12, false };
	g->nw = 1;
	return 0;
}

int sc_random_case(struct sc_ctx *x, const char *name)
{
	unsigned long seed;
	unsigned int n;
	struct gen g;

	if (!parse_name(name, &seed, &n))
		return -ENOENT;
	gen_init(&g, x, seed, n);
	if (sc_open(x, VFIO_SPAPR_TCE_v2_IOMMU) != 0 || gen_info(&g) != 0)
		return 0;
	unsigned int steps = 6 + (unsigned int)pick(&g, 19);

	if (chance(&g, 75))
		op_register(&g, false);
	if (chance(&g, 50))
		op_create(&g);

	for (unsigned int i = 0; i < steps; i++) {
		switch (pick(&g, 12)) {
		case 0: case 1: op_register(&g, false); break;
		case 2: op_register(&g, true); break;
		case 3: case 4: op_create(&g); break;
		case 5: op_remove(&g); break;
		case 6: case 7: case 8: op_map(&g, false); break;
		case 9: case 10: op_map(&g, true); break;
		default: sc_op_get_info(x, x->c, chance(&g, 80) ? SC_ARGSZ_INFO : 16); break;
		}
	}
	return 0;
}
