/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tce_table.c - TCE tables of the host model: geometry (§5.2), locked_vm
 * size (§5.3), level allocation (on demand since ~v4.19), entries.
 *
 * Entries are stored big-endian (§5.1). Learned from IODATCE
 * pnv_tce()/pnv_pci_ioda2_table_alloc_pages() and IODA
 * pnv_pci_ioda2_get_table_size(); written from scratch. The PowerNV sizes
 * keep the kernel's 32-bit wrap-around for windows smaller than an IOMMU
 * page (see tce_table.h): the observed kernel accepts them.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>

#include "tce_table.h"
#include "spapr_util.h"

static unsigned int ilog2_u64(uint64_t v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The kernel's "entries_shift = ilog2(window_size) - page_shift": unsigned
 * int, so it wraps around for a window smaller than one IOMMU page. */
static uint32_t pnv_entries_shift(unsigned int page_shift, uint64_t window_size)
{
	return (uint32_t)ilog2_u64(window_size) - (uint32_t)page_shift;
}

/* "1UL << n" as ppc64 code executes it (sld: the count is taken mod 128 and
 * 64..127 shift everything out). Counts >= 64 are C undefined behaviour in
 * the kernel source: flagged in *ub. */
static uint64_t sld_one(uint32_t n, bool *ub)
{
	if (n >= 64)
		*ub = true;
	n &= 127;
	return n >= 64 ? 0 : UINT64_C(1) << n;
}

uint32_t tce_pnv_level_shift(unsigned int page_shift, uint64_t window_size,
			     unsigned int levels, unsigned int sys_shift)
{
	uint32_t per_level, shift;

	if (!levels || !window_size)
		return sys_shift;
	per_level = (pnv_entries_shift(page_shift, window_size) + levels - 1) /
		    levels;
	shift = per_level + 3;
	return shift > sys_shift ? shift : sys_shift;
}

uint64_t tce_pnv_window_entries(unsigned int page_shift, uint64_t window_size,
				unsigned int sys_shift, bool *ub)
{
	uint32_t table_shift;

	*ub = false;
	if (!window_size)
		return 0;
	table_shift = pnv_entries_shift(page_shift, window_size) + 3;
	if (table_shift < sys_shift)
		table_shift = sys_shift;
	return sld_one(table_shift, ub) >> 3;
}

uint64_t tce_pnv_table_bytes(unsigned int page_shift, uint64_t window_size,
			     unsigned int levels, unsigned int sys_shift,
			     bool *ub)
{
	uint64_t bytes = 0, t, direct;

	*ub = false;
	if (!levels || levels > TCE_PNV_MAX_LEVELS || !spapr_is_pow2(window_size))
		return 0;
	/* max(0x1000UL, 1UL << (entries_shift + 3)) */
	t = sld_one(pnv_entries_shift(page_shift, window_size) + 3, ub);
	if (t < 0x1000)
		t = 0x1000;
	direct = sld_one(tce_pnv_level_shift(page_shift, window_size, levels,
					     sys_shift), ub);
	if (!direct)
		return 0;	/* ALIGN(x, 0) is 0 at every level */
	for (unsigned int l = 0; l < levels; l++) {
		bytes += align_up(t, direct);
		t = t / direct * 8;
		if (t < direct)
			t = direct;
	}
	return bytes;
}

static uint64_t *alloc_level(struct tce_table *t, bool hw, tce_alloc_hook hook,
			     void *ctx, int *err)
{
	uint64_t bytes = UINT64_C(8) << t->level_bits;
	uint64_t *lvl;
	int rc = hook ? hook(ctx, hw, bytes) : 0;

	if (rc) {
		*err = rc;
		return NULL;
	}
	lvl = calloc(1, (size_t)bytes);
	if (!lvl) {
		*err = -ENOMEM;
		return NULL;
	}
	if (t->on_demand)
		t->bytes_allocated += bytes;
	return lvl;
}

struct tce_table *tce_table_create(uint64_t offset, uint64_t size,
				   unsigned int page_shift, unsigned int levels,
				   unsigned int level_shift, bool on_demand,
				   tce_alloc_hook hook, void *ctx, int *err)
{
	struct tce_table *t = calloc(1, sizeof(*t));

	if (!t) {
		*err = -ENOMEM;
		return NULL;
	}
	t->offset = offset;
	t->size = size;
	t->page_shift = page_shift;
	t->levels = levels;
	t->level_bits = level_shift - 3;
	t->on_demand = on_demand;
	t->hw = alloc_level(t, true, hook, ctx, err);
	if (t->hw)
		t->uv = alloc_level(t, false, hook, ctx, err);
	if (!t->uv) {
		tce_table_free(t);
		return NULL;
	}
	return t;
}

static void free_tree(uint64_t *lvl, unsigned int depth, unsigned int bits)
{
	if (!lvl)
		return;
	if (depth > 1) {
		for (uint64_t i = 0; i < (UINT64_C(1) << bits); i++) {
			uint64_t e = be64toh(lvl[i]);

			if (e)
				free_tree((uint64_t *)(uintptr_t)(e & ~TCE_PERM),
					  depth - 1, bits);
		}
	}
	free(lvl);
}

void tce_table_free(struct tce_table *t)
{
	if (!t)
		return;
	free_tree(t->hw, t->levels, t->level_bits);
	free_tree(t->uv, t->levels, t->level_bits);
	free(t);
}

uint64_t *tce_table_entry(struct tce_table *t, bool hw, uint64_t idx, bool alloc,
			  tce_alloc_hook hook, void *ctx, int *err)
{
	uint64_t *lvl = hw ? t->hw : t->uv;
	const unsigned int bits = t->level_bits;
	const uint64_t mask = (UINT64_C(1) << bits) - 1;

	if (t->levels == 1)
		return lvl + idx;
	for (unsigned int level = t->levels - 1; level; level--) {
		uint64_t n = (idx >> (level * bits)) & mask;
		uint64_t e = be64toh(lvl[n]);

		if (!e) {
			uint64_t *child;

			if (!alloc)
				return NULL;
			child = alloc_level(t, hw, hook, ctx, err);
			if (!child)
				return NULL;
			e = (uint64_t)(uintptr_t)child | TCE_PERM;
			lvl[n] = htobe64(e);
		}
		lvl = (uint64_t *)(uintptr_t)(e & ~TCE_PERM);
	}
	return lvl + (idx & mask);
}

uint64_t tce_table_get(const struct tce_table *t, uint64_t idx)
{
	uint64_t *p = tce_table_entry((struct tce_table *)t, true, idx, false,
				      NULL, NULL, NULL);

	return p ? be64toh(*p) : 0;
}

static int visit_leaf(struct tce_table *t, uint64_t *leaf, uint64_t base,
		      tce_visit_fn fn, void *ctx)
{
	uint64_t n = t->levels == 1 ? t->size : tce_table_level_size(t);
	uint64_t *uv = tce_table_entry(t, false, base, false, NULL, NULL, NULL);
	int rc;

	for (uint64_t i = 0; i < n && base + i < t->size; i++) {
		uint64_t tce = be64toh(leaf[i]);
		uint64_t ua = uv ? be64toh(uv[i]) : 0;

		if ((tce || ua) && (rc = fn(ctx, base + i, tce, ua)))
			return rc;
	}
	return 0;
}

static int visit_tree(struct tce_table *t, uint64_t *lvl, unsigned int depth,
		      uint64_t base, tce_visit_fn fn, void *ctx)
{
	const unsigned int bits = t->level_bits;
	int rc;

	if (depth == 1)
		return visit_leaf(t, lvl, base, fn, ctx);
	for (uint64_t i = 0; i < (UINT64_C(1) << bits); i++) {
		uint64_t e = be64toh(lvl[i]);
		uint64_t sub = base + (i << ((depth - 1) * bits));

		if (!e || sub >= t->size)
			continue;
		rc = visit_tree(t, (uint64_t *)(uintptr_t)(e & ~TCE_PERM),
				depth - 1, sub, fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

int tce_table_visit(struct tce_table *t, tce_visit_fn fn, void *ctx)
{
	return visit_tree(t, t->hw, t->levels, 0, fn, ctx);
}
