/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova.c - indirect mode: the IOVA allocator inside a window and the
 * VA -> IOVA lookup used on the data path.
 *
 * The kernel keeps no notion of "a mapping" (§3.9, trap §10.13), so the
 * engine owns the IOVA space. The allocator is a sorted list of free
 * extents, first fit, granularity = the window's TCE size (4 KiB in the
 * default window, also on 64 KiB-page kernels). A contiguous VA range gets
 * one contiguous IOVA range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_priv.h"

int dma_iova_init(struct dma_iova_alloc *a, uint64_t start, uint64_t size, uint64_t gran)
{
	memset(a, 0, sizeof(*a));
	a->cap = 16;
	a->free = malloc(sizeof(*a->free) * a->cap);
	if (!a->free)
		return -ENOMEM;
	a->gran = gran;
	if (size) {
		a->free[0] = (struct dma_extent){ start, size };
		a->nfree = 1;
	}
	a->free_bytes = size;
	return 0;
}

void dma_iova_fini(struct dma_iova_alloc *a)
{
	free(a->free);
	memset(a, 0, sizeof(*a));
}

static int reserve_slot(struct dma_iova_alloc *a)
{
	struct dma_extent *n;

	if (a->nfree < a->cap)
		return 0;
	n = realloc(a->free, sizeof(*n) * a->cap * 2);
	if (!n)
		return -ENOMEM;
	a->free = n;
	a->cap *= 2;
	return 0;
}

static void remove_at(struct dma_iova_alloc *a, unsigned int i)
{
	memmove(&a->free[i], &a->free[i + 1], sizeof(*a->free) * (a->nfree - i - 1));
	a->nfree--;
}

static void insert_at(struct dma_iova_alloc *a, unsigned int i, struct dma_extent e)
{
	memmove(&a->free[i + 1], &a->free[i], sizeof(*a->free) * (a->nfree - i));
	a->free[i] = e;
	a->nfree++;
}

/* Take [s, s+len) out of free extent @i, which holds it. */
static void carve(struct dma_iova_alloc *a, unsigned int i, uint64_t s, uint64_t len)
{
	struct dma_extent *e = &a->free[i];
	uint64_t end = e->start + e->len;

	a->free_bytes -= len;
	if (s + len < end && s > e->start) {
		struct dma_extent tail = { s + len, end - s - len };

		e->len = s - e->start;
		insert_at(a, i + 1, tail);
	} else if (s > e->start) {
		e->len = s - e->start;
	} else if (s + len < end) {
		e->start = s + len;
		e->len = end - s - len;
	} else {
		remove_at(a, i);
	}
}

int dma_iova_get(struct dma_iova_alloc *a, uint64_t len, uint64_t align, uint64_t *iova)
{
	unsigned int i;

	if (align < a->gran)
		align = a->gran;
	len = align_up(len, a->gran);
	if (reserve_slot(a))	/* splitting an extent may need one more slot */
		return -ENOMEM;
	for (i = 0; i < a->nfree; i++) {
		struct dma_extent *e = &a->free[i];
		uint64_t s = align_up(e->start, align), end = e->start + e->len;

		if (s < e->start || s > end || end - s < len)
			continue;
		*iova = s;
		carve(a, i, s, len);
		return 0;
	}
	return -ENOSPC;
}

int dma_iova_take(struct dma_iova_alloc *a, uint64_t iova, uint64_t len)
{
	len = align_up(len, a->gran);
	if (iova % a->gran)
		return -EINVAL;
	if (reserve_slot(a))
		return -ENOMEM;
	for (unsigned int i = 0; i < a->nfree; i++) {
		const struct dma_extent *e = &a->free[i];

		if (iova >= e->start && iova + len >= iova && iova + len <= e->start + e->len) {
			carve(a, i, iova, len);
			return 0;
		}
	}
	return -EBUSY;
}

int dma_iova_put(struct dma_iova_alloc *a, uint64_t iova, uint64_t len)
{
	unsigned int i = 0;
	bool prev, next;

	len = align_up(len, a->gran);
	while (i < a->nfree && a->free[i].start < iova)
		i++;
	prev = i > 0 && a->free[i - 1].start + a->free[i - 1].len == iova;
	next = i < a->nfree && iova + len == a->free[i].start;
	if (prev && next) {
		a->free[i - 1].len += len + a->free[i].len;
		remove_at(a, i);
	} else if (prev) {
		a->free[i - 1].len += len;
	} else if (next) {
		a->free[i].start = iova;
		a->free[i].len += len;
	} else {
		if (reserve_slot(a))
			return -ENOMEM;
		insert_at(a, i, (struct dma_extent){ iova, len });
	}
	a->free_bytes += len;
	return 0;
}

uint64_t dma_iova_largest(const struct dma_iova_alloc *a)
{
	uint64_t m = 0;
	unsigned int i;

	for (i = 0; i < a->nfree; i++)
		if (a->free[i].len > m)
			m = a->free[i].len;
	return m;
}

/* Branch-light binary search for the last entry with e.va <= va (0 if none). */
static unsigned int lookup_index(const struct dma_lookup *lk, uint64_t va)
{
	const struct dma_lookup_ent *e = lk->e;
	unsigned int lo = 0, n = lk->n;

	while (n > 1) {
		unsigned int half = n / 2;

		lo = e[lo + half].va <= va ? lo + half : lo;
		n -= half;
	}
	return lo;
}

uint64_t dma_lookup_find(const struct dma_lookup *lk, uint64_t va)
{
	unsigned int i = lookup_index(lk, va);

	if (lk->n && va >= lk->e[i].va && va < lk->e[i].end)
		return va + lk->e[i].delta;
	return SPAPR_DMA_BAD_IOVA;
}

uint64_t dma_lookup_find_range(const struct dma_lookup *lk, uint64_t va, uint64_t len)
{
	const struct dma_lookup_ent *e = lk->e;
	unsigned int i = lookup_index(lk, va);
	uint64_t end = va + len;

	if (lk->n == 0 || len == 0 || end < va || va < e[i].va || va >= e[i].end)
		return SPAPR_DMA_BAD_IOVA;
	/* Entries are disjoint and sorted: the range goes on only through
	 * entries that continue it in VA and in IOVA (same delta). */
	for (uint64_t at = e[i].end; at < end; at = e[i].end)
		if (++i == lk->n || e[i].va != at || e[i].delta != e[i - 1].delta)
			return SPAPR_DMA_BAD_IOVA;
	return va + e[i].delta;	/* one delta along the whole run */
}

int dma_iova_reserve(struct dma_iova_alloc *a, unsigned int extra)
{
	struct dma_extent *n;
	unsigned int cap = a->cap;

	while (cap < a->nfree + extra + 1)
		cap *= 2;
	if (cap == a->cap)
		return 0;
	n = realloc(a->free, sizeof(*n) * cap);
	if (!n)
		return -ENOMEM;
	a->free = n;
	a->cap = cap;
	return 0;
}
