/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * layout.c - from a list of memory regions to the REGISTER and MAP units.
 *
 * REGISTER needs system-page aligned (vaddr, size) (§3.5 step 3, trap
 * §10.6) and one registration per page kind is what makes the region's
 * pageshift the hugepage shift (§3.5 "Region pageshift"); the kernel walks
 * the region list per IOMMU page on MAP (§7), so fewer, larger regions are
 * cheaper (trap §10.4).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma_priv.h"

void dma_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

const char *dma_size_str(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	uint64_t div = 1;

	while (u < 6 && b >= div * 1024) {
		div *= 1024;
		u++;
	}
	if (b % div == 0)
		dma_fmt(buf, len, "%llu %s", (unsigned long long)(b / div), unit[u]);
	else
		dma_fmt(buf, len, "%.2f %s", (double)b / (double)div, unit[u]);
	return buf;
}

static int cmp_region_va(const void *a, const void *b)
{
	const struct spapr_dma_mem_region *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

static unsigned int prot_of(const struct spapr_dma_mem_region *r)
{
	return r->prot ? r->prot : (SPAPR_DMA_READ | SPAPR_DMA_WRITE);
}

static int check_region(const struct spapr_dma_mem_region *r, unsigned int sys_shift,
			char *why, size_t whylen)
{
	uint64_t sys = 1ull << sys_shift;

	if (!r->len || r->va + r->len < r->va) {
		dma_fmt(why, whylen, "region at VA 0x%llx has length 0x%llx (empty or wraps)",
			(unsigned long long)r->va, (unsigned long long)r->len);
		return -EINVAL;
	}
	if ((r->va | r->len) & (sys - 1)) {
		dma_fmt(why, whylen, "region 0x%llx+0x%llx is not aligned to the %llu KiB system page "
			"(REGISTER needs it, doc/kernel-model.md §10.6)",
			(unsigned long long)r->va, (unsigned long long)r->len,
			(unsigned long long)(sys >> 10));
		return -EINVAL;
	}
	if (r->page_shift < sys_shift || r->page_shift > 40 ||
	    ((r->va | r->len) & ((1ull << r->page_shift) - 1))) {
		dma_fmt(why, whylen, "region 0x%llx+0x%llx: page shift %u is below the system page "
			"or the region is not aligned to it", (unsigned long long)r->va,
			(unsigned long long)r->len, r->page_shift);
		return -EINVAL;
	}
	if (r->prot & ~(SPAPR_DMA_READ | SPAPR_DMA_WRITE)) {
		dma_fmt(why, whylen, "region 0x%llx: bad prot 0x%x", (unsigned long long)r->va, r->prot);
		return -EINVAL;
	}
	return 0;
}

static bool joins_reg(const struct dma_reg *g, const struct spapr_dma_mem_region *r)
{
	return g->va + g->len == r->va && g->page_shift == r->page_shift;
}

static bool joins_piece(const struct dma_piece *p, const struct spapr_dma_mem_region *r,
			bool pa_basis)
{
	return p->va + p->len == r->va && p->prot == prot_of(r) &&
	       (!pa_basis || p->pa + p->len == r->pa);
}

static void layout_add(struct dma_layout *l, const struct spapr_dma_mem_region *r, bool pa_basis)
{
	bool new_reg = !l->nregs || !joins_reg(&l->regs[l->nregs - 1], r);

	if (new_reg)
		l->regs[l->nregs++] = (struct dma_reg){ r->va, 0, r->page_shift };
	l->regs[l->nregs - 1].len += r->len;
	if (new_reg || !joins_piece(&l->pieces[l->npieces - 1], r, pa_basis))
		l->pieces[l->npieces++] = (struct dma_piece){ r->va, 0, r->pa, prot_of(r),
							       l->nregs - 1 };
	l->pieces[l->npieces - 1].len += r->len;
	l->total += r->len;
}

int dma_layout_build(const struct spapr_dma_mem_region *r, unsigned int n,
		     unsigned int sys_shift, bool pa_basis, struct dma_layout *l,
		     char *why, size_t whylen)
{
	struct spapr_dma_mem_region *s;
	unsigned int i;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	if (!n)
		return 0;
	s = malloc(sizeof(*s) * n);
	l->regs = malloc(sizeof(*l->regs) * n);
	l->pieces = malloc(sizeof(*l->pieces) * n);
	if (!s || !l->regs || !l->pieces) {
		rc = -ENOMEM;
		dma_fmt(why, whylen, "out of memory sorting %u regions", n);
		goto out;
	}
	memcpy(s, r, sizeof(*s) * n);
	qsort(s, n, sizeof(*s), cmp_region_va);
	for (i = 0; i < n && !rc; i++) {
		rc = check_region(&s[i], sys_shift, why, whylen);
		if (!rc && i && s[i - 1].va + s[i - 1].len > s[i].va) {
			dma_fmt(why, whylen, "regions 0x%llx and 0x%llx overlap",
				(unsigned long long)s[i - 1].va, (unsigned long long)s[i].va);
			rc = -EINVAL;
		}
		if (!rc)
			layout_add(l, &s[i], pa_basis);
	}
out:
	free(s);
	if (rc)
		dma_layout_free(l);
	return rc;
}

void dma_layout_free(struct dma_layout *l)
{
	free(l->regs);
	free(l->pieces);
	memset(l, 0, sizeof(*l));
}

unsigned int dma_mem_max_shift(const struct spapr_dma_mem_region *r, unsigned int n,
			       bool pa_basis, unsigned int *limiting)
{
	unsigned int best = 63, i;

	/* Per region min(page, alignment of va|len): never above what the
	 * kernel computes for any registration containing the region (§3.5),
	 * so it is safe whatever ranges end up registered together. */
	for (i = 0; i < n; i++) {
		unsigned int s = r[i].page_shift;
		unsigned int a = ctz_u64(r[i].va | r[i].len);

		if (a < s)
			s = a;
		if (pa_basis && ctz_u64(r[i].pa | r[i].len) < s)
			s = ctz_u64(r[i].pa | r[i].len);
		if (s < best) {
			best = s;
			if (limiting)
				*limiting = i;
		}
	}
	return best;
}
