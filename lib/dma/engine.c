/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine.c - the stateful engine: a process's DMA memory and its containers.
 *
 * Every public call that changes state runs as a transaction:
 *   1. validate and reserve every allocation the commit will need;
 *   2. issue kernel operations, pushing the inverse of each onto an undo log
 *      *before* issuing it (so nothing done is ever unrecorded);
 *   3. on any failure run the undo log backwards: registrations, mappings,
 *      windows and handles return to exactly what they were;
 *   4. commit the new state in memory (cannot fail: step 1 reserved it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"

/* ---- small array helpers ---- */

static int grow(void **arr, unsigned int *cap, unsigned int need, size_t elem)
{
	unsigned int c = *cap ? *cap : 8;
	void *n;

	while (c < need)
		c *= 2;
	if (c == *cap)
		return 0;
	n = realloc(*arr, elem * c);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = c;
	return 0;
}

static int cmp_region(const void *a, const void *b)
{
	const struct spapr_dma_mem_region *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

static int cmp_cmap(const void *a, const void *b)
{
	const struct cmap *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

static int cmp_reg(const void *a, const void *b)
{
	const struct ctx_reg *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

/* ---- ctx ---- */

struct spapr_dma_ctx *spapr_dma_ctx_create(const struct spapr_dma_platform *plat,
					   const struct spapr_dma_policy *pol)
{
	struct spapr_dma_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->plat = *plat;
	if (pol)
		ctx->pol = *pol;
	return ctx;
}

void spapr_dma_ctx_set_policy(struct spapr_dma_ctx *ctx, const struct spapr_dma_policy *pol)
{
	ctx->pol = *pol;
}

void spapr_dma_ctx_set_progress(struct spapr_dma_ctx *ctx, spapr_dma_progress_fn fn, void *arg)
{
	ctx->progress = fn;
	ctx->progress_arg = arg;
}

/* A call is about to REGISTER and MAP @total bytes in all (see spapr_dma.h). */
static void progress_begin(struct spapr_dma_ctx *ctx, uint64_t total)
{
	ctx->work_total = total;
	ctx->work_done = 0;
	ctx->work_reported = 0;
}

/* The kernel accepted a REGISTER or MAP of @len bytes: report every
 * SPAPR_DMA_PROGRESS_STEP bytes and when the call's work is complete. */
static void progress_add(struct spapr_dma_ctx *ctx, uint64_t len)
{
	ctx->work_done += len;
	if (!ctx->progress || !len)
		return;
	if (ctx->work_done >= ctx->work_total ||
	    ctx->work_done - ctx->work_reported >= SPAPR_DMA_PROGRESS_STEP) {
		ctx->work_reported = ctx->work_done;
		ctx->progress(ctx->progress_arg, ctx->work_done, ctx->work_total);
	}
}

/* Work of mapping @r[0..n) with registrations @regs into one container. */
static uint64_t work_bytes(const struct spapr_dma_mem_region *r, unsigned int n,
			   const struct dma_reg *regs, unsigned int nregs)
{
	uint64_t b = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		b += r[i].len;
	for (i = 0; i < nregs; i++)
		b += regs[i].len;
	return b;
}

void spapr_dma_ctx_destroy(struct spapr_dma_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->ncont)
		spapr_dma_container_destroy(ctx->cont[ctx->ncont - 1], NULL);
	free(ctx->cont);
	free(ctx->segs);
	free(ctx->regs);
	free(ctx);
}

unsigned int spapr_dma_ctx_containers(const struct spapr_dma_ctx *ctx)
{
	return ctx->ncont;
}

struct spapr_dma_container *spapr_dma_ctx_container(struct spapr_dma_ctx *ctx, unsigned int i)
{
	return i < ctx->ncont ? ctx->cont[i] : NULL;
}

/* ---- lookup snapshots ---- */

static struct dma_lookup *lookup_alloc(unsigned int n)
{
	struct dma_lookup *lk = malloc(sizeof(*lk) + sizeof(lk->e[0]) * (n ? n : 1));

	if (lk) {
		lk->n = 0;
		lk->retired = NULL;
	}
	return lk;
}

/* Fill @lk from c->maps (sorted), merging ranges contiguous in VA and IOVA,
 * and publish it. The old snapshot is retired, not freed (lock-free readers). */
static void lookup_publish(struct spapr_dma_container *c, struct dma_lookup *lk)
{
	struct dma_lookup *old;
	unsigned int i;

	lk->n = 0;
	for (i = 0; i < c->nmaps; i++) {
		const struct cmap *m = &c->maps[i];
		struct dma_lookup_ent *last = lk->n ? &lk->e[lk->n - 1] : NULL;
		uint64_t delta = m->iova - m->va;

		if (last && last->end == m->va && last->delta == delta)
			last->end += m->len;
		else
			lk->e[lk->n++] = (struct dma_lookup_ent){ m->va, m->va + m->len, delta };
	}
	old = atomic_exchange_explicit(&c->lookup, lk, memory_order_acq_rel);
	if (old) {
		old->retired = c->retired;
		c->retired = old;
	}
}

uint64_t spapr_dma_iova(const struct spapr_dma_container *c, uint64_t va)
{
	const struct dma_lookup *lk = atomic_load_explicit(
		&((struct spapr_dma_container *)c)->lookup, memory_order_acquire);

	return lk ? dma_lookup_find(lk, va) : SPAPR_DMA_BAD_IOVA;
}

/* ---- adding memory to one container ---- */

/* What a call adds to one container, reserved before any kernel call. */
struct ctx_tx {
	struct cmap *maps;
	unsigned int nmaps;
	struct dma_lookup *lk;
};

static void tx_free(struct ctx_tx *t)
{
	free(t->maps);
	free(t->lk);
	memset(t, 0, sizeof(*t));
}

static int do_register(struct spapr_dma_container *c, uint64_t va, uint64_t len,
		       struct undo_log *log, struct spapr_dma_error *err)
{
	int rc = undo_k_register(log, c, va, len);

	if (!rc)
		progress_add(c->ctx, len);
	else
		err_set(err, SPAPR_DMA_STEP_REGISTER, rc,
			"REGISTER 0x%llx+0x%llx on container %d failed",
			(unsigned long long)va, (unsigned long long)len, c->handle);
	return rc;
}

static int piece_iova(struct spapr_dma_container *c, const struct dma_piece *p,
		      struct undo_log *log, uint64_t *iova, struct spapr_dma_error *err)
{
	char a[24], b[24], d[24], f[24];
	int rc;

	if (!c->indirect) {
		*iova = c->win_start + (c->plan.basis == SPAPR_DMA_IOVA_PA ? p->pa : p->va);
		if (*iova + p->len > c->win_start + c->win_size || *iova < c->win_start) {
			uint64_t end = *iova + p->len - c->win_start;

			err_set(err, SPAPR_DMA_STEP_WINDOW, ENOSPC,
				"0x%llx+%s needs the 1:1 window to reach %s, the window has %s (%s "
				"missing)", (unsigned long long)p->va, dma_size_str(p->len, a, 24),
				dma_size_str(end, b, 24), dma_size_str(c->win_size, d, 24),
				dma_size_str(end - c->win_size, f, 24));
			return -ENOSPC;
		}
		return 0;
	}
	rc = undo_iova_get(log, c, p->len, 1ull << c->win_shift, iova);
	if (rc == -ENOSPC) {
		uint64_t big = dma_iova_largest(&c->alloc);

		err_set(err, SPAPR_DMA_STEP_IOVA, ENOSPC,
			"%s at VA 0x%llx does not fit the IOVA window: %s free, largest hole %s "
			"(%s missing)", dma_size_str(p->len, a, 24), (unsigned long long)p->va,
			dma_size_str(c->alloc.free_bytes, b, 24), dma_size_str(big, d, 24),
			dma_size_str(p->len - big, f, 24));
	} else if (rc) {
		err_set(err, SPAPR_DMA_STEP_IOVA, rc, "out of memory in the IOVA allocator");
	}
	return rc;
}

static int do_map(struct spapr_dma_container *c, const struct dma_piece *p, uint64_t iova,
		  struct undo_log *log, struct spapr_dma_error *err)
{
	int rc = undo_k_map(log, c, p->va, iova, p->len, p->prot);

	if (!rc)
		progress_add(c->ctx, p->len);
	else
		err_set(err, rc == -ERANGE ? SPAPR_DMA_STEP_WINDOW : SPAPR_DMA_STEP_MAP, rc,
			"MAP 0x%llx+0x%llx at IOVA 0x%llx on container %d failed",
			(unsigned long long)p->va, (unsigned long long)p->len,
			(unsigned long long)iova, c->handle);
	return rc;
}

/* Register @regs and map @r[0..n) into @c; fill @tx with the new maps. */
static int container_add(struct spapr_dma_container *c, const struct spapr_dma_mem_region *r,
			 unsigned int n, const struct dma_reg *regs, unsigned int nregs,
			 struct ctx_tx *tx, struct undo_log *log, struct spapr_dma_error *err)
{
	bool pa = !c->indirect && c->plan.basis == SPAPR_DMA_IOVA_PA;
	struct dma_layout lay;
	char why[SPAPR_DMA_TEXT], a[24], b[24];
	unsigned int i, lim = 0;
	int rc;

	if (n && dma_mem_max_shift(r, n, pa, &lim) < c->win_shift) {
		/* trap §10.8: MAP would fail -EINVAL on the region's pageshift. */
		err_set(err, SPAPR_DMA_STEP_WINDOW, EINVAL,
			"memory at VA 0x%llx (%s pages) is too small for the "
			"window's %s TCEs", (unsigned long long)r[lim].va,
			dma_size_str(1ull << r[lim].page_shift, a, 24),
			dma_size_str(1ull << c->win_shift, b, 24));
		return -EINVAL;
	}
	rc = dma_layout_build(r, n, c->ctx->plat.system_page_shift, pa, &lay, why, sizeof(why));
	if (rc) {
		err_set(err, SPAPR_DMA_STEP_LAYOUT, rc, "%s", why);
		return rc;
	}
	tx->maps = malloc(sizeof(*tx->maps) * (lay.npieces ? lay.npieces : 1));
	tx->lk = lookup_alloc(c->nmaps + lay.npieces);
	rc = (!tx->maps || !tx->lk ||
	      grow((void **)&c->maps, &c->mcap, c->nmaps + lay.npieces, sizeof(*c->maps))) ?
		     -ENOMEM : 0;
	if (rc)
		err_set(err, SPAPR_DMA_STEP_MEMORY, rc,
			"out of memory preparing %u mappings", lay.npieces);
	for (i = 0; !rc && i < nregs; i++)
		rc = do_register(c, regs[i].va, regs[i].len, log, err);
	for (i = 0; !rc && i < lay.npieces; i++) {
		uint64_t iova;

		rc = piece_iova(c, &lay.pieces[i], log, &iova, err);
		if (!rc)
			rc = do_map(c, &lay.pieces[i], iova, log, err);
		if (!rc)
			tx->maps[tx->nmaps++] = (struct cmap){ lay.pieces[i].va, lay.pieces[i].len,
							       iova, lay.pieces[i].prot };
	}
	dma_layout_free(&lay);
	return rc;
}

static void container_commit_add(struct spapr_dma_container *c, struct ctx_tx *tx)
{
	memcpy(&c->maps[c->nmaps], tx->maps, sizeof(*tx->maps) * tx->nmaps);
	c->nmaps += tx->nmaps;
	qsort(c->maps, c->nmaps, sizeof(*c->maps), cmp_cmap);
	lookup_publish(c, tx->lk);
	tx->lk = NULL;
	tx_free(tx);
}

/* ---- mem add ---- */

static bool overlaps_existing(const struct spapr_dma_ctx *ctx, const struct spapr_dma_mem_region *r,
			      unsigned int n, uint64_t *where)
{
	unsigned int i, lo, hi;

	for (i = 0; i < n; i++) {
		lo = 0;
		hi = ctx->nsegs;
		while (lo < hi) {	/* first seg ending after r.va */
			unsigned int mid = (lo + hi) / 2;

			if (ctx->segs[mid].va + ctx->segs[mid].len <= r[i].va)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < ctx->nsegs && ctx->segs[lo].va < r[i].va + r[i].len) {
			*where = r[i].va;
			return true;
		}
	}
	return false;
}

static int add_prepare(struct spapr_dma_ctx *ctx, const struct spapr_dma_mem_region *r,
		       unsigned int n, struct dma_layout *lay, struct spapr_dma_error *err)
{
	char why[SPAPR_DMA_TEXT];
	uint64_t where;
	int rc;

	rc = dma_layout_build(r, n, ctx->plat.system_page_shift, false, lay, why, sizeof(why));
	if (rc) {
		err_set(err, SPAPR_DMA_STEP_LAYOUT, rc, "%s", why);
		return rc;
	}
	if (overlaps_existing(ctx, r, n, &where)) {
		err_set(err, SPAPR_DMA_STEP_LAYOUT, EEXIST,
			"region at VA 0x%llx overlaps memory already added",
			(unsigned long long)where);
		dma_layout_free(lay);
		return -EEXIST;
	}
	if (grow((void **)&ctx->segs, &ctx->scap, ctx->nsegs + n, sizeof(*ctx->segs)) ||
	    grow((void **)&ctx->regs, &ctx->rcap, ctx->nregs + lay->nregs, sizeof(*ctx->regs))) {
		err_set(err, SPAPR_DMA_STEP_MEMORY, ENOMEM, "out of memory adding %u regions", n);
		dma_layout_free(lay);
		return -ENOMEM;
	}
	return 0;
}

static void ctx_commit_add(struct spapr_dma_ctx *ctx, const struct spapr_dma_mem_region *r,
			   unsigned int n, const struct dma_layout *lay)
{
	unsigned int i;

	memcpy(&ctx->segs[ctx->nsegs], r, sizeof(*r) * n);
	ctx->nsegs += n;
	qsort(ctx->segs, ctx->nsegs, sizeof(*ctx->segs), cmp_region);
	for (i = 0; i < lay->nregs; i++)
		ctx->regs[ctx->nregs++] = (struct ctx_reg){ lay->regs[i].va, lay->regs[i].len,
							    lay->regs[i].page_shift,
							    lay->regs[i].len };
	qsort(ctx->regs, ctx->nregs, sizeof(*ctx->regs), cmp_reg);
}

int spapr_dma_mem_add(struct spapr_dma_ctx *ctx, const struct spapr_dma_mem_region *r,
		      unsigned int n, struct spapr_dma_error *err)
{
	struct undo_log log = { 0 };
	struct dma_layout lay;
	struct ctx_tx *tx;
	unsigned int i;
	int rc;

	if (!n)
		return 0;
	rc = add_prepare(ctx, r, n, &lay, err);
	if (rc)
		return rc;
	tx = calloc(ctx->ncont ? ctx->ncont : 1, sizeof(*tx));
	rc = tx ? 0 : -ENOMEM;
	progress_begin(ctx, ctx->ncont * work_bytes(r, n, lay.regs, lay.nregs));
	for (i = 0; !rc && i < ctx->ncont; i++)
		rc = container_add(ctx->cont[i], r, n, lay.regs, lay.nregs, &tx[i], &log, err);
	if (rc) {
		undo_run(&log);
		for (i = 0; tx && i < ctx->ncont; i++)
			tx_free(&tx[i]);
	} else {
		for (i = 0; i < ctx->ncont; i++)
			container_commit_add(ctx->cont[i], &tx[i]);
		ctx_commit_add(ctx, r, n, &lay);
	}
	free(tx);
	undo_free(&log);
	dma_layout_free(&lay);
	return rc;
}

/* ---- mem remove ---- */

/* Segments [*i0, *i1) tile [va, va+len) exactly. */
static int find_segs(const struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
		     unsigned int *i0, unsigned int *i1)
{
	unsigned int i = 0;
	uint64_t at = va;

	while (i < ctx->nsegs && ctx->segs[i].va < va)
		i++;
	if (i > 0 && ctx->segs[i - 1].va + ctx->segs[i - 1].len > va)
		return -EINVAL;	/* starts inside a region */
	*i0 = i;
	while (i < ctx->nsegs && ctx->segs[i].va == at && at < va + len) {
		at += ctx->segs[i].len;
		i++;
	}
	*i1 = i;
	return (at == va + len && *i1 > *i0) ? 0 : -EINVAL;
}

static uint64_t reg_removed(const struct ctx_reg *g, uint64_t va, uint64_t len)
{
	uint64_t s = g->va > va ? g->va : va;
	uint64_t e = g->va + g->len < va + len ? g->va + g->len : va + len;

	return e > s ? e - s : 0;
}

/* UNMAP what [va, va+len) covers of every mapping; returns how many overlap. */
static int unmap_range(struct spapr_dma_container *c, uint64_t va, uint64_t len,
		       struct undo_log *log, unsigned int *hits, struct spapr_dma_error *err)
{
	unsigned int i;
	int rc = 0;

	for (i = 0, *hits = 0; !rc && i < c->nmaps; i++) {
		const struct cmap *m = &c->maps[i];
		uint64_t s = m->va > va ? m->va : va;
		uint64_t e = m->va + m->len < va + len ? m->va + m->len : va + len;
		uint64_t iova = m->iova + (s - m->va);

		if (e <= s)
			continue;
		(*hits)++;
		rc = undo_k_unmap(log, c, s, iova, e - s, m->prot);
		if (rc)
			err_set(err, SPAPR_DMA_STEP_UNMAP, rc, "UNMAP IOVA 0x%llx+0x%llx failed",
				(unsigned long long)iova, (unsigned long long)(e - s));
	}
	return rc;
}

/* UNREGISTER the registrations the removal empties: only once nothing maps
 * them any more (trap §10.12). */
static int unregister_emptied(struct spapr_dma_container *c, uint64_t va, uint64_t len,
			      struct undo_log *log, struct spapr_dma_error *err)
{
	struct spapr_dma_ctx *ctx = c->ctx;
	unsigned int i;
	int rc = 0;

	for (i = 0; !rc && i < ctx->nregs; i++) {
		const struct ctx_reg *g = &ctx->regs[i];

		if (g->live != reg_removed(g, va, len))
			continue;
		rc = undo_k_unregister(log, c, g->va, g->len);
		if (rc)
			err_set(err, SPAPR_DMA_STEP_UNREGISTER, rc,
				"UNREGISTER 0x%llx+0x%llx failed",
				(unsigned long long)g->va, (unsigned long long)g->len);
	}
	return rc;
}

static int container_remove(struct spapr_dma_container *c, uint64_t va, uint64_t len,
			    struct ctx_tx *tx, struct undo_log *log, struct spapr_dma_error *err)
{
	unsigned int hits;
	int rc = unmap_range(c, va, len, log, &hits, err);

	if (!rc)
		rc = unregister_emptied(c, va, len, log, err);
	if (rc)
		return rc;
	/* What the commit needs: a snapshot, one more map (a split), free slots. */
	tx->lk = lookup_alloc(c->nmaps + 1);
	if (!tx->lk || grow((void **)&c->maps, &c->mcap, c->nmaps + 1, sizeof(*c->maps)) ||
	    (c->indirect && dma_iova_reserve(&c->alloc, hits))) {
		rc = -ENOMEM;
		err_set(err, SPAPR_DMA_STEP_MEMORY, rc, "out of memory removing memory");
	}
	return rc;
}

static void container_commit_remove(struct spapr_dma_container *c, uint64_t va, uint64_t len,
				    struct ctx_tx *tx)
{
	unsigned int i, n = c->nmaps;

	for (i = 0; i < n; i++) {
		struct cmap m = c->maps[i];
		uint64_t s = m.va > va ? m.va : va;
		uint64_t e = m.va + m.len < va + len ? m.va + m.len : va + len;

		if (e <= s)
			continue;
		if (c->indirect)
			dma_iova_put(&c->alloc, m.iova + (s - m.va), e - s);
		c->maps[i].len = s - m.va;	/* left part (may be empty) */
		if (e < m.va + m.len)	/* right part */
			c->maps[c->nmaps++] = (struct cmap){ e, m.va + m.len - e,
							     m.iova + (e - m.va), m.prot };
	}
	for (i = 0, n = 0; i < c->nmaps; i++)
		if (c->maps[i].len)
			c->maps[n++] = c->maps[i];
	c->nmaps = n;
	qsort(c->maps, c->nmaps, sizeof(*c->maps), cmp_cmap);
	lookup_publish(c, tx->lk);
	tx->lk = NULL;
}

static void ctx_commit_remove(struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
			      unsigned int i0, unsigned int i1)
{
	unsigned int i, n = 0;

	memmove(&ctx->segs[i0], &ctx->segs[i1], sizeof(*ctx->segs) * (ctx->nsegs - i1));
	ctx->nsegs -= i1 - i0;
	for (i = 0; i < ctx->nregs; i++) {
		ctx->regs[i].live -= reg_removed(&ctx->regs[i], va, len);
		if (ctx->regs[i].live)
			ctx->regs[n++] = ctx->regs[i];
	}
	ctx->nregs = n;
}

int spapr_dma_mem_remove(struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
			 struct spapr_dma_error *err)
{
	struct undo_log log = { 0 };
	struct ctx_tx *tx;
	unsigned int i, i0, i1;
	int rc;

	if (find_segs(ctx, va, len, &i0, &i1)) {
		err_set(err, SPAPR_DMA_STEP_LAYOUT, EINVAL,
			"0x%llx+0x%llx is not exactly a union of added regions",
			(unsigned long long)va, (unsigned long long)len);
		return -EINVAL;
	}
	tx = calloc(ctx->ncont ? ctx->ncont : 1, sizeof(*tx));
	rc = tx ? 0 : -ENOMEM;
	for (i = 0; !rc && i < ctx->ncont; i++)
		rc = container_remove(ctx->cont[i], va, len, &tx[i], &log, err);
	if (rc) {
		undo_run(&log);
		for (i = 0; tx && i < ctx->ncont; i++)
			tx_free(&tx[i]);
	} else {
		for (i = 0; i < ctx->ncont; i++)
			container_commit_remove(ctx->cont[i], va, len, &tx[i]);
		ctx_commit_remove(ctx, va, len, i0, i1);
	}
	free(tx);
	undo_free(&log);
	return rc;
}

/* ---- containers ---- */

static int open_handles(struct spapr_dma_container *c, const int *nums, unsigned int n,
			struct undo_log *log, struct spapr_dma_error *err)
{
	struct spapr_backend *be = c->be;
	unsigned int i;
	int h, rc;

	h = be->ops->container_open(be);
	c->st.ops[SPAPR_DMA_OP_OPEN]++;
	if (h < 0) {
		err_set(err, SPAPR_DMA_STEP_OPEN, h, "cannot open the VFIO container");
		return h;
	}
	c->handle = h;
	if ((rc = undo_opened(log, c, h))) {
		c->handle = -1;
		err_set(err, SPAPR_DMA_STEP_MEMORY, rc, "out of memory opening the container");
		return rc;
	}
	for (i = 0; i < n; i++) {
		h = be->ops->group_open(be, nums[i]);
		c->st.ops[SPAPR_DMA_OP_OPEN]++;
		if (h < 0) {
			err_set(err, SPAPR_DMA_STEP_OPEN, h, "cannot open IOMMU group %d", nums[i]);
			return h;
		}
		if ((rc = undo_opened(log, c, h))) {
			err_set(err, SPAPR_DMA_STEP_MEMORY, rc, "out of memory opening group %d",
				nums[i]);
			return rc;
		}
		c->groups[c->ngroups++] = h;
		if ((rc = undo_k_set_container(log, c, h))) {
			err_set(err, SPAPR_DMA_STEP_SET_CONTAINER, rc,
				"group %d cannot join the container",
				nums[i]);
			return rc;
		}
	}
	return 0;
}

static uint64_t tables_charged(const struct spapr_dma_ctx *ctx)
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < ctx->ncont; i++)
		t += ctx->cont[i]->plan.table_bytes;
	return t;
}

static int make_plan(struct spapr_dma_container *c, struct spapr_dma_error *err)
{
	struct spapr_dma_ctx *ctx = c->ctx;
	struct spapr_dma_policy pol = ctx->pol;
	int rc;

	/* Registrations already made by other containers are shared, not
	 * charged again (§3.5 step 4); their tables are. */
	pol.memlock_used += tables_charged(ctx);
	rc = spapr_dma_plan_make(&c->caps, ctx->segs, ctx->nsegs, &pol, &c->plan);
	if (rc) {
		err_set(err, SPAPR_DMA_STEP_PLAN, rc,
			"no window can map %u regions on this container",
			ctx->nsegs);
		if (err && c->plan.explain.remedy[0])
			dma_fmt(err->remedy, sizeof(err->remedy), "%s", c->plan.explain.remedy);
	}
	return rc;
}

static void set_window(struct spapr_dma_container *c, uint64_t start, uint64_t size,
		       unsigned int shift)
{
	c->win_start = start;
	c->win_size = size;
	c->win_shift = shift;
}

/* The DDW could not be created: go on in the default window (4 KiB TCEs). */
static int fallback_default(struct spapr_dma_container *c, int create_rc, struct undo_log *log,
			    struct spapr_dma_error *err)
{
	struct spapr_dma_plan *p = &c->plan;
	struct spapr_dma_candidate *k;
	uint64_t start = c->caps.dma32_start;
	int rc = 0;
	char a[24];

	for (k = p->explain.cand; k < p->explain.cand + p->explain.ncand; k++)
		if (k->chosen) {
			k->chosen = k->accepted = false;
			dma_fmt(k->reason, sizeof(k->reason), "TCE_CREATE failed: %s (%d)",
				strerror(-create_rc), create_rc);
		}
	if (p->mapped_bytes + c->ctx->pol.indirect_reserve > c->caps.dma32_size) {
		err_set(err, SPAPR_DMA_STEP_CREATE, create_rc,
			"DDW refused and %s does not fit the default "
			"window", dma_size_str(p->mapped_bytes, a, 24));
		return create_rc;
	}
	if (!p->keep_default) {	/* the pending default window was removed: create it */
		rc = undo_k_create(log, c, DMA32_PAGE_SHIFT, c->caps.dma32_size, 1, &start);
		if (rc) {
			err_set(err, SPAPR_DMA_STEP_CREATE, rc,
				"DDW refused (%s) and the default window "
				"cannot be re-created", strerror(-create_rc));
			return rc;
		}
	}
	c->default_used = true;
	p->mode = SPAPR_DMA_MODE_INDIRECT;
	p->default_window = true;
	p->keep_default = false;
	p->page_shift = DMA32_PAGE_SHIFT;
	p->window_size = c->caps.dma32_size;
	p->levels = 1;
	p->expected_start = c->caps.dma32_start;
	p->table_bytes = spapr_dma_table_bytes(&c->caps.platform, DMA32_PAGE_SHIFT,
					       c->caps.dma32_size, 1);
	dma_fmt(p->explain.remedy, sizeof(p->explain.remedy),
		"the platform refused the DDW (%s): indirect mode in the default window is used",
		strerror(-create_rc));
	set_window(c, start, c->caps.dma32_size, DMA32_PAGE_SHIFT);
	return 0;
}

/* Re-plan in indirect mode after the platform refused a direct DDW. */
static int replan_indirect(struct spapr_dma_container *c, int create_rc)
{
	struct spapr_dma_plan old = c->plan, np;
	struct spapr_dma_policy pol = c->ctx->pol;
	struct spapr_dma_candidate failed;
	unsigned int i;

	pol.mode = SPAPR_DMA_MODE_INDIRECT;
	pol.memlock_used += tables_charged(c->ctx);
	if (spapr_dma_plan_make(&c->caps, c->ctx->segs, c->ctx->nsegs, &pol, &np) ||
	    np.default_window || np.window_size >= old.window_size)
		return -ENOSPC;
	for (i = 0; i < old.explain.ncand; i++)
		if (old.explain.cand[i].chosen)
			failed = old.explain.cand[i];
	failed.chosen = failed.accepted = false;
	dma_fmt(failed.reason, sizeof(failed.reason), "TCE_CREATE failed: %s (%d)",
		strerror(-create_rc), create_rc);
	if (np.explain.ncand < SPAPR_DMA_MAX_CANDIDATES) {
		memmove(&np.explain.cand[1], &np.explain.cand[0],
			sizeof(failed) * np.explain.ncand);
		np.explain.cand[0] = failed;
		np.explain.ncand++;
	}
	dma_fmt(np.explain.remedy, sizeof(np.explain.remedy),
		"the platform refused the 1:1 window (%s): indirect mode is used",
		strerror(-create_rc));
	c->plan = np;
	return 0;
}

static int try_create(struct spapr_dma_container *c, struct undo_log *log)
{
	const struct spapr_dma_plan *p = &c->plan;
	uint64_t start = 0;
	int rc = undo_k_create(log, c, p->page_shift, p->window_size, p->levels, &start);

	if (rc)
		return rc;
	c->ddw_created = true;
	set_window(c, start, p->window_size, p->page_shift);
	return 0;
}

static int create_ddw(struct spapr_dma_container *c, struct undo_log *log,
		      struct spapr_dma_error *err)
{
	enum spapr_dma_mode want = c->ctx->pol.mode;
	int rc;

	if (c->plan.keep_default) {
		/* CREATE materialises the pending default window in slot 0 (§3.6
		 * step 2): undo removes it whether it got created or not (§3.7). */
		rc = undo_window(log, c, c->caps.dma32_start);
		if (rc)
			return rc;
		c->default_used = true;
	} else if ((rc = k_remove(c, c->caps.dma32_start))) {
		/* REMOVE of the pending default window frees slot 0 (trap §10.2). */
		err_set(err, SPAPR_DMA_STEP_REMOVE, rc, "cannot remove the pending default window");
		return rc;
	}
	rc = try_create(c, log);
	/* Refused direct window (e.g. pseries -EINVAL: not enough TCEs in the
	 * hypervisor): a smaller, dense window may still exist. Not after
	 * -ENODEV: the PE is poisoned for DDWs (§6). */
	if (rc && rc != -ENODEV && want == SPAPR_DMA_MODE_AUTO &&
	    c->plan.mode == SPAPR_DMA_MODE_DIRECT && !replan_indirect(c, rc))
		rc = try_create(c, log);
	if (rc && want != SPAPR_DMA_MODE_DIRECT)
		return fallback_default(c, rc, log, err);
	if (rc)
		err_set(err, SPAPR_DMA_STEP_CREATE, rc,
			"CREATE of a %llu-byte window with 2^%u TCEs, "
			"%u level(s) failed", (unsigned long long)c->plan.window_size,
			c->plan.page_shift, c->plan.levels);
	return rc;
}

static int setup_window(struct spapr_dma_container *c, struct undo_log *log,
			struct spapr_dma_error *err)
{
	int rc = 0;

	if (c->plan.default_window) {
		/* Use the pending default window: the first MAP creates it (§3.7). */
		rc = undo_window(log, c, c->caps.dma32_start);
		c->default_used = true;
		set_window(c, c->caps.dma32_start, c->caps.dma32_size, DMA32_PAGE_SHIFT);
	} else {
		rc = create_ddw(c, log, err);
	}
	if (!rc) {
		c->indirect = c->plan.mode == SPAPR_DMA_MODE_INDIRECT;
		if (c->indirect)
			rc = dma_iova_init(&c->alloc, c->win_start, c->win_size, 1ull << c->win_shift);
	}
	return rc;
}

static void regs_of_ctx(const struct spapr_dma_ctx *ctx, struct dma_reg *out)
{
	unsigned int i;

	for (i = 0; i < ctx->nregs; i++)
		out[i] = (struct dma_reg){ ctx->regs[i].va, ctx->regs[i].len,
					   ctx->regs[i].page_shift };
}

static void container_free(struct spapr_dma_container *c)
{
	struct dma_lookup *lk = atomic_load(&c->lookup);

	while (c->retired) {
		struct dma_lookup *n = c->retired->retired;

		free(c->retired);
		c->retired = n;
	}
	free(lk);
	dma_iova_fini(&c->alloc);
	free(c->maps);
	free(c);
}

/* Steps after the handles exist: IOMMU type, GET_INFO, plan, window, memory. */
static int container_setup(struct spapr_dma_container *c, bool iommu_set, struct undo_log *log,
			   struct spapr_dma_error *err)
{
	struct spapr_dma_ctx *ctx = c->ctx;
	struct vfio_iommu_spapr_tce_info info;
	struct dma_reg *regs;
	struct ctx_tx tx = { 0 };
	int rc;

	if (!iommu_set && (rc = k_set_iommu(c))) {
		err_set(err, SPAPR_DMA_STEP_SET_IOMMU, rc,
			"the container refused the sPAPR TCE v2 IOMMU");
		return rc;
	}
	if ((rc = k_get_info(c, &info))) {
		err_set(err, SPAPR_DMA_STEP_GET_INFO, rc, "GET_INFO failed");
		return rc;
	}
	spapr_dma_caps_from_info(&info, &ctx->plat, &c->caps);
	if ((rc = make_plan(c, err)) || (rc = setup_window(c, log, err)))
		return rc;
	regs = malloc(sizeof(*regs) * (ctx->nregs ? ctx->nregs : 1));
	if (!regs || grow((void **)&ctx->cont, &ctx->ccap, ctx->ncont + 1, sizeof(*ctx->cont)))
		rc = -ENOMEM;
	if (!rc) {
		regs_of_ctx(ctx, regs);
		progress_begin(ctx, work_bytes(ctx->segs, ctx->nsegs, regs, ctx->nregs));
		rc = container_add(c, ctx->segs, ctx->nsegs, regs, ctx->nregs, &tx, log, err);
	}
	free(regs);
	if (rc) {
		tx_free(&tx);
		return rc;
	}
	container_commit_add(c, &tx);
	c->plan.registrations = ctx->nregs;
	c->plan.maps = c->nmaps;
	ctx->cont[ctx->ncont++] = c;
	return 0;
}

static int container_new(struct spapr_dma_ctx *ctx, struct spapr_backend *be, unsigned int n,
			 struct spapr_dma_container **out, struct spapr_dma_error *err)
{
	struct spapr_dma_container *c;

	*out = NULL;
	if (n == 0 || n > MAX_GROUPS) {
		err_set(err, SPAPR_DMA_STEP_ARGS, EINVAL, "%u groups: need 1..%d", n, MAX_GROUPS);
		return -EINVAL;
	}
	if (n > 1 && ctx->plat.kind == SPAPR_DMA_PLATFORM_PSERIES) {
		/* trap §10.15: pseries windows cannot be shared between PEs. */
		err_set(err, SPAPR_DMA_STEP_ARGS, EINVAL,
			"pseries allows one IOMMU group per container");
		if (err)
			dma_fmt(err->remedy, sizeof(err->remedy), "use one container per group");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		err_set(err, SPAPR_DMA_STEP_MEMORY, ENOMEM, "out of memory");
		return -ENOMEM;
	}
	c->ctx = ctx;
	c->be = be;
	c->handle = -1;
	*out = c;
	return 0;
}

static int container_finish(struct spapr_dma_container *c, int rc, struct undo_log *log,
			    struct spapr_dma_container **out)
{
	if (rc) {
		undo_run(log);
		container_free(c);
		*out = NULL;
	} else {
		*out = c;
	}
	undo_free(log);
	return rc;
}

int spapr_dma_container_create(struct spapr_dma_ctx *ctx, struct spapr_backend *be,
			       const int *group_nums, unsigned int n,
			       struct spapr_dma_container **out, struct spapr_dma_error *err)
{
	struct undo_log log = { 0 };
	struct spapr_dma_container *c;
	int rc = container_new(ctx, be, n, &c, err);

	if (rc)
		return rc;
	c->own_handles = true;
	rc = open_handles(c, group_nums, n, &log, err);
	if (!rc)
		rc = container_setup(c, false, &log, err);
	return container_finish(c, rc, &log, out);
}

int spapr_dma_container_attach(struct spapr_dma_ctx *ctx, struct spapr_backend *be,
			       int container, const int *group_handles, unsigned int n,
			       unsigned int flags, struct spapr_dma_container **out,
			       struct spapr_dma_error *err)
{
	struct undo_log log = { 0 };
	struct spapr_dma_container *c;
	int rc = container_new(ctx, be, n, &c, err);

	if (rc)
		return rc;
	c->handle = container;
	memcpy(c->groups, group_handles, sizeof(int) * n);
	c->ngroups = n;
	rc = container_setup(c, flags & SPAPR_DMA_ATTACH_IOMMU_SET, &log, err);
	return container_finish(c, rc, &log, out);
}

/* ---- teardown ---- */

static int keep_first(int first, int rc) { return first ? first : rc; }

static int teardown_windows(struct spapr_dma_container *c, struct spapr_dma_error *err)
{
	int rc, first = 0;
	unsigned int i;

	/* REMOVE clears every TCE of the window (§3.7), so the registrations
	 * are unused afterwards and can be dropped without orphaning (§10.12). */
	if (c->ddw_created && (rc = k_remove(c, c->win_start))) {
		err_set(err, SPAPR_DMA_STEP_REMOVE, rc, "REMOVE of the DDW at 0x%llx failed",
			(unsigned long long)c->win_start);
		first = rc;
	}
	if (c->default_used && (rc = k_remove(c, c->caps.dma32_start)) && !first) {
		err_set(err, SPAPR_DMA_STEP_REMOVE, rc, "REMOVE of the default window failed");
		first = rc;
	}
	if (!first)
		return 0;
	for (i = 0, first = 0; i < c->nmaps; i++)	/* TCEs may remain: clear them ourselves */
		first = keep_first(first, k_unmap(c, c->maps[i].iova, c->maps[i].len));
	return first;
}

static void ctx_forget(struct spapr_dma_ctx *ctx, struct spapr_dma_container *c)
{
	unsigned int i;

	for (i = 0; i < ctx->ncont; i++)
		if (ctx->cont[i] == c) {
			memmove(&ctx->cont[i], &ctx->cont[i + 1],
				sizeof(*ctx->cont) * (ctx->ncont - i - 1));
			ctx->ncont--;
			return;
		}
}

int spapr_dma_container_destroy(struct spapr_dma_container *c, struct spapr_dma_error *err)
{
	struct spapr_backend *be = c->be;
	int rc, first;
	unsigned int i;

	first = teardown_windows(c, err);
	for (i = 0; !first && i < c->ctx->nregs; i++) {
		rc = k_unregister(c, c->ctx->regs[i].va, c->ctx->regs[i].len);
		if (rc && !first)
			err_set(err, SPAPR_DMA_STEP_UNREGISTER, rc, "UNREGISTER 0x%llx failed",
				(unsigned long long)c->ctx->regs[i].va);
		first = keep_first(first, rc);
	}
	if (c->own_handles) {
		for (i = c->ngroups; i-- > 0;) {
			first = keep_first(first, be->ops->group_unset_container(be, c->groups[i]));
			first = keep_first(first, be->ops->close(be, c->groups[i]));
		}
		first = keep_first(first, be->ops->close(be, c->handle));
	}
	ctx_forget(c->ctx, c);
	container_free(c);
	return first;
}

/* ---- introspection ---- */

void spapr_dma_container_plan(const struct spapr_dma_container *c, struct spapr_dma_plan *out)
{
	*out = c->plan;
}

int spapr_dma_container_handle(const struct spapr_dma_container *c)
{
	return c->handle;
}

void spapr_dma_container_window(const struct spapr_dma_container *c, uint64_t *start,
				uint64_t *size, unsigned int *page_shift)
{
	if (start)
		*start = c->win_start;
	if (size)
		*size = c->win_size;
	if (page_shift)
		*page_shift = c->win_shift;
}

void spapr_dma_container_stats(const struct spapr_dma_container *c, struct spapr_dma_stats *st)
{
	unsigned int i;

	*st = c->st;
	st->windows = (unsigned int)c->ddw_created + (unsigned int)c->default_used;
	st->table_bytes_charged = c->plan.table_bytes;
	st->registrations = c->ctx->nregs;
	for (i = 0; i < c->ctx->nregs; i++)
		st->bytes_registered += c->ctx->regs[i].len;
	st->mappings = c->nmaps;
	for (i = 0; i < c->nmaps; i++) {
		st->bytes_mapped += c->maps[i].len;
		st->tces_in_use += c->maps[i].len >> c->win_shift;
	}
	st->iova_free = c->indirect ? c->alloc.free_bytes : 0;
}
