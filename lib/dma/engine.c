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
#include <stdio.h>
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

int container_keep_stale(struct spapr_dma_container *c, uint64_t va, uint64_t len,
			 struct spapr_dma_leak *l)
{
	if (grow((void **)&c->stale, &c->stcap, c->nstale + 1, sizeof(*c->stale))) {
		leak_note(l, "out of memory remembering that 0x%llx+0x%llx stays registered: "
			  "container destroy will not unregister it", (unsigned long long)va,
			  (unsigned long long)len);
		return -ENOMEM;
	}
	c->stale[c->nstale++] = (struct crange){ va, len, va };
	return 0;
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
	spapr_dma_ctx_teardown(ctx, NULL);
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

uint64_t spapr_dma_iova_range(const struct spapr_dma_container *c, uint64_t va, uint64_t len)
{
	const struct dma_lookup *lk = atomic_load_explicit(
		&((struct spapr_dma_container *)c)->lookup, memory_order_acquire);

	return lk ? dma_lookup_find_range(lk, va, len) : SPAPR_DMA_BAD_IOVA;
}

/* ---- adding memory to one container ---- */

/* What a call adds to one container, reserved before any kernel call. */
struct ctx_tx {
	struct cmap *maps;
	unsigned int nmaps;
	struct dma_lookup *lk;
	uint64_t quarantined;	/* IOVA bytes the commit of a removal quarantined */
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

/*
 * The IOVA the twin gives the piece, taken in this container too: a
 * container added after others (a device plugged later) then hands out the
 * IOVAs the caller already gave away. -ENOENT when the twin does not map
 * the piece contiguously or the range is not free here (first fit then).
 */
static int twin_iova(struct spapr_dma_container *c, const struct dma_piece *p,
		     struct undo_log *log, uint64_t *iova)
{
	uint64_t first = spapr_dma_iova(c->twin, p->va);
	uint64_t last = spapr_dma_iova(c->twin, p->va + p->len - 1);

	if (first == SPAPR_DMA_BAD_IOVA || last != first + p->len - 1)
		return -ENOENT;
	if (undo_iova_take(log, c, first, p->len))
		return -ENOENT;
	*iova = first;
	return 0;
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
	if (c->twin != NULL && twin_iova(c, p, log, iova) == 0)
		return 0;
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
		err_set(err, rc == -ENOMEM ? SPAPR_DMA_STEP_MEMORY : SPAPR_DMA_STEP_LAYOUT, rc,
			"%s", why);
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
		err_set(err, rc == -ENOMEM ? SPAPR_DMA_STEP_MEMORY : SPAPR_DMA_STEP_LAYOUT, rc,
			"%s", why);
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

/* -EIO if a container of @ctx is broken (mem add and remove refuse to run). */
static int refuse_broken(const struct spapr_dma_ctx *ctx, struct spapr_dma_error *err)
{
	unsigned int i;

	for (i = 0; i < ctx->ncont; i++)
		if (ctx->cont[i]->broken) {
			err_set(err, SPAPR_DMA_STEP_BROKEN, EIO, "container %d is broken: %s",
				ctx->cont[i]->handle, ctx->cont[i]->broken_why);
			return -EIO;
		}
	return 0;
}

/* locked_vm before a call, to see what the kernel kept after it. */
struct witness {
	bool known;
	uint64_t before;
};

static void witness_start(const struct spapr_dma_ctx *ctx, struct spapr_dma_container *c,
			  struct witness *w)
{
	if (!c && ctx->ncont)
		c = ctx->cont[0];
	w->known = c && k_locked(c, &w->before);
}

/* Bytes of locked_vm the kernel kept although it should have dropped
 * @expect bytes since witness_start (0 if the backend cannot tell). */
static uint64_t witness_kept(struct spapr_dma_container *c, const struct witness *w,
			     uint64_t expect)
{
	uint64_t now, dropped;

	if (!w->known || !k_locked(c, &now))
		return 0;
	dropped = now < w->before ? w->before - now : 0;
	if (now > w->before)	/* grew: kept all of expect and more */
		return expect + (now - w->before);
	return dropped < expect ? expect - dropped : 0;
}

/* Say what a kept locked_vm charge means (§3.5, §3.6 step 8). */
static void note_kept(struct spapr_dma_leak *l, uint64_t kept)
{
	char a[24];

	l->locked_bytes += kept;
	leak_note(l, "the kernel kept %s charged to locked_vm (an orphaned registration: a TCE "
		  "it could not clear, or a failed CREATE): charged until the process exits, an "
		  "orphan's pages pinned until reboot", dma_size_str(kept, a, sizeof(a)));
}

static bool overlaps_regions(const struct spapr_dma_mem_region *r, unsigned int n, uint64_t va,
			     uint64_t len)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (r[i].va < va + len && va < r[i].va + r[i].len)
			return true;
	return false;
}

/* A registration an earlier failure left (stale) would make REGISTER of new
 * memory at the same VA fail (-EBUSY or -EINVAL, §3.5 steps 4-5): try its
 * UNREGISTER again first. Only healthy containers get here, so no TCE
 * points into it. A failure is left to REGISTER to report. */
static void retry_stale(struct spapr_dma_ctx *ctx, const struct spapr_dma_mem_region *r,
			unsigned int n)
{
	unsigned int i, k, keep;

	for (i = 0; i < ctx->ncont; i++) {
		struct spapr_dma_container *c = ctx->cont[i];

		for (k = 0, keep = 0; k < c->nstale; k++) {
			const struct crange *g = &c->stale[k];
			int rc = overlaps_regions(r, n, g->start, g->len) ?
					 k_unregister(c, g->start, g->len) : -EAGAIN;

			if (rc && rc != -ENOENT)
				c->stale[keep++] = *g;
		}
		c->nstale = keep;
	}
}

int spapr_dma_mem_add(struct spapr_dma_ctx *ctx, const struct spapr_dma_mem_region *r,
		      unsigned int n, struct spapr_dma_error *err)
{
	struct spapr_dma_leak leak = { 0 };
	struct undo_log log = { 0 };
	struct dma_layout lay;
	struct witness wit;
	struct ctx_tx *tx;
	uint64_t kept;
	unsigned int i;
	int rc;

	if (!n)
		return 0;
	if ((rc = refuse_broken(ctx, err)))
		return rc;
	retry_stale(ctx, r, n);
	witness_start(ctx, NULL, &wit);
	rc = add_prepare(ctx, r, n, &lay, err);
	if (rc)
		return rc;
	tx = calloc(ctx->ncont ? ctx->ncont : 1, sizeof(*tx));
	rc = tx ? 0 : -ENOMEM;
	if (rc)
		err_set(err, SPAPR_DMA_STEP_MEMORY, ENOMEM,
			"out of memory for the %u containers' changes adding memory", ctx->ncont);
	progress_begin(ctx, ctx->ncont * work_bytes(r, n, lay.regs, lay.nregs));
	for (i = 0; !rc && i < ctx->ncont; i++)
		rc = container_add(ctx->cont[i], r, n, lay.regs, lay.nregs, &tx[i], &log, err);
	if (rc) {
		undo_run(&log, &leak);
		undo_report_oom(&log, rc, err);
		/* Only new registrations were made: locked_vm must be back. */
		if (ctx->ncont && !leak.registered_bytes &&
		    (kept = witness_kept(ctx->cont[0], &wit, 0)))
			note_kept(&leak, kept);
		err_leak(err, &leak);
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

static bool is_pseries(const struct spapr_dma_ctx *ctx)
{
	return ctx->plat.kind == SPAPR_DMA_PLATFORM_PSERIES;
}

/* The registration holding @va, or NULL. */
static const struct ctx_reg *reg_of(const struct spapr_dma_ctx *ctx, uint64_t va)
{
	unsigned int i;

	for (i = 0; i < ctx->nregs; i++)
		if (va >= ctx->regs[i].va && va - ctx->regs[i].va < ctx->regs[i].len)
			return &ctx->regs[i];
	return NULL;
}

static bool reg_emptied(const struct ctx_reg *g, uint64_t va, uint64_t len)
{
	return g && g->live == reg_removed(g, va, len);
}

/* Bytes of the registrations removing [va, va+len) empties. */
static uint64_t emptied_bytes(const struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len)
{
	uint64_t b = 0;
	unsigned int i;

	for (i = 0; i < ctx->nregs; i++)
		if (reg_emptied(&ctx->regs[i], va, len))
			b += ctx->regs[i].len;
	return b;
}

/* Memory for the commit of a removal: a snapshot, one more map (a split),
 * free-list slots for the IOVA given back, room to hold IOVA back. */
static int remove_reserve(struct spapr_dma_container *c, unsigned int hits, struct ctx_tx *tx)
{
	tx->lk = lookup_alloc(c->nmaps + 1);
	if (!tx->lk || grow((void **)&c->maps, &c->mcap, c->nmaps + 1, sizeof(*c->maps)))
		return -ENOMEM;
	if (c->indirect && (dma_iova_reserve(&c->alloc, hits + c->nheld) ||
			    grow((void **)&c->held, &c->hcap, c->nheld + hits, sizeof(*c->held))))
		return -ENOMEM;
	return 0;
}

static int container_remove(struct spapr_dma_container *c, uint64_t va, uint64_t len,
			    struct ctx_tx *tx, struct undo_log *log, struct spapr_dma_error *err)
{
	unsigned int hits;
	int rc = unmap_range(c, va, len, log, &hits, err);

	if (!rc)
		rc = unregister_emptied(c, va, len, log, err);
	if (!rc && (rc = remove_reserve(c, hits, tx)))
		err_set(err, SPAPR_DMA_STEP_MEMORY, rc, "out of memory for the lookup and IOVA bookkeeping of the removal");
	return rc;
}

/* IOVA of removed memory no device may reach any more is given back, else
 * held back or quarantined (indirect mode only). */
static void iova_release(struct spapr_dma_container *c, uint64_t iova, uint64_t len)
{
	if (dma_iova_put(&c->alloc, iova, len))
		c->quarantined += len;	/* only if the reservation was short */
}

/*
 * The fate of the IOVA [iova, iova+len) of removed memory at @s_va, and of
 * IOVA held back for a registration the removal empties. @suspect: the
 * kernel may still hold TCEs into the removed memory (an UNMAP failed, or
 * locked_vm showed an orphan): never reuse it. pseries, registration not
 * emptied: hold it until that registration is unregistered and locked_vm
 * proves the TCEs gone (§7: tce_iommu_clear() ignores a failed H_PUT_TCE).
 */
static void iova_settle(struct spapr_dma_container *c, uint64_t s_va, uint64_t iova,
			uint64_t len, uint64_t va, uint64_t rlen, bool suspect)
{
	const struct ctx_reg *g = reg_of(c->ctx, s_va);

	if (suspect)
		c->quarantined += len;
	else if (!reg_emptied(g, va, rlen) && g && is_pseries(c->ctx))
		c->held[c->nheld++] = (struct crange){ iova, len, g->va };
	else
		iova_release(c, iova, len);
}

/* IOVA held back for registrations the removal of [va, va+len) empties. */
static void held_settle(struct spapr_dma_container *c, uint64_t va, uint64_t len, bool suspect)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->nheld; i++) {
		const struct crange *h = &c->held[i];

		if (!reg_emptied(reg_of(c->ctx, h->reg_va), va, len))
			c->held[n++] = *h;
		else if (suspect)
			c->quarantined += h->len;
		else
			iova_release(c, h->start, h->len);
	}
	c->nheld = n;
}

/* Forget [va, va+len) in @c's maps; @skip[i] (may be NULL): map i was not
 * unmapped (its IOVA is quarantined). Publishes the new lookup unless the
 * container is broken. */
static void container_commit_remove(struct spapr_dma_container *c, uint64_t va, uint64_t len,
				    struct ctx_tx *tx, bool suspect, const bool *skip)
{
	uint64_t q0 = c->quarantined;
	unsigned int i, n = c->nmaps;

	if (c->indirect)
		held_settle(c, va, len, suspect);
	for (i = 0; i < n; i++) {
		struct cmap m = c->maps[i];
		uint64_t s = m.va > va ? m.va : va;
		uint64_t e = m.va + m.len < va + len ? m.va + m.len : va + len;

		if (e <= s)
			continue;
		if (c->indirect)
			iova_settle(c, s, m.iova + (s - m.va), e - s, va, len,
				    suspect || (skip && skip[i]));
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
	tx->quarantined = c->quarantined - q0;
	if (!c->broken)
		lookup_publish(c, tx->lk);
	else
		free(tx->lk);
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

static int find_removal(const struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
			unsigned int *i0, unsigned int *i1, struct spapr_dma_error *err)
{
	if (!find_segs(ctx, va, len, i0, i1))
		return 0;
	err_set(err, SPAPR_DMA_STEP_LAYOUT, EINVAL,
		"0x%llx+0x%llx is not exactly a union of added regions",
		(unsigned long long)va, (unsigned long long)len);
	return -EINVAL;
}

/* The removal is done but locked_vm shows the kernel orphaned @kept bytes
 * of the registrations it emptied: say so (-EBUSY, the error the kernel's
 * mm_iommu_put() returned and tce_iommu_unregister_pages() ignored). */
static int report_orphan(uint64_t kept, uint64_t va, uint64_t len, struct spapr_dma_leak *l,
			 struct spapr_dma_error *err)
{
	char a[24];

	err_set(err, SPAPR_DMA_STEP_UNREGISTER, EBUSY,
		"UNREGISTER of the memory at 0x%llx+0x%llx returned 0 but the kernel kept %s "
		"registered: a TCE into it was not cleared (pseries H_PUT_TCE failure)",
		(unsigned long long)va, (unsigned long long)len, dma_size_str(kept, a, sizeof(a)));
	note_kept(l, kept);
	err_leak(err, l);
	return -EBUSY;
}

int spapr_dma_mem_remove(struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
			 struct spapr_dma_error *err)
{
	struct spapr_dma_leak leak = { 0 };
	struct undo_log log = { 0 };
	struct witness wit;
	struct ctx_tx *tx;
	unsigned int i, i0, i1;
	uint64_t expect, kept = 0;
	int rc;

	if ((rc = find_removal(ctx, va, len, &i0, &i1, err)) || (rc = refuse_broken(ctx, err)))
		return rc;
	witness_start(ctx, NULL, &wit);
	expect = emptied_bytes(ctx, va, len);
	tx = calloc(ctx->ncont ? ctx->ncont : 1, sizeof(*tx));
	rc = tx ? 0 : -ENOMEM;
	if (rc)
		err_set(err, SPAPR_DMA_STEP_MEMORY, ENOMEM,
			"out of memory for the %u containers' changes removing memory", ctx->ncont);
	for (i = 0; !rc && i < ctx->ncont; i++)
		rc = container_remove(ctx->cont[i], va, len, &tx[i], &log, err);
	if (rc) {
		undo_run(&log, &leak);
		undo_report_oom(&log, rc, err);
		err_leak(err, &leak);
		for (i = 0; tx && i < ctx->ncont; i++)
			tx_free(&tx[i]);
	} else {
		if (ctx->ncont)
			kept = witness_kept(ctx->cont[0], &wit, expect);
		for (i = 0; i < ctx->ncont; i++) {
			container_commit_remove(ctx->cont[i], va, len, &tx[i], kept != 0, NULL);
			leak.quarantined_bytes += tx[i].quarantined;
		}
		ctx_commit_remove(ctx, va, len, i0, i1);
		if (kept)
			rc = report_orphan(kept, va, len, &leak, err);
	}
	free(tx);
	undo_free(&log);
	return rc;
}

/* ---- forced removal: best effort, never undone ---- */

/* One failure of a best-effort call: counted; the first one is the error. */
static void note_failure(int *first, int rc, struct spapr_dma_leak *l, struct spapr_dma_error *err,
			 enum spapr_dma_step step, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void note_failure(int *first, int rc, struct spapr_dma_leak *l, struct spapr_dma_error *err,
			 enum spapr_dma_step step, const char *fmt, ...)
{
	char msg[SPAPR_DMA_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->failures++;
	if (!*first) {
		*first = rc;
		err_set(err, step, rc, "%s", msg);
	}
}

/* What a forced removal learnt: which registrations may still have TCEs
 * into them (all of them when it could not allocate the flags). */
struct forced {
	bool *dirty;		/* per ctx registration */
	bool all_dirty;
	bool unproven;		/* pseries: an UNMAPped registration stayed registered */
	int first;		/* first error */
};

static bool forced_dirty(const struct forced *f, unsigned int k)
{
	return f->all_dirty || f->dirty[k];
}

/* UNMAP every map of @c overlapping [va, va+len); @skip[i] (may be NULL):
 * map i kept a TCE. */
static void forced_unmap(struct spapr_dma_container *c, uint64_t va, uint64_t len, bool *skip,
			 struct forced *f, struct spapr_dma_leak *l, struct spapr_dma_error *err)
{
	unsigned int i;

	for (i = 0; i < c->nmaps; i++) {
		const struct cmap *m = &c->maps[i];
		uint64_t s = m->va > va ? m->va : va;
		uint64_t e = m->va + m->len < va + len ? m->va + m->len : va + len;
		uint64_t iova = m->iova + (s - m->va);
		const struct ctx_reg *g;
		int rc;

		if (e <= s || !(rc = k_unmap(c, iova, e - s)))
			continue;
		note_failure(&f->first, rc, l, err, SPAPR_DMA_STEP_UNMAP,
			     "UNMAP IOVA 0x%llx+0x%llx on container %d failed",
			     (unsigned long long)iova, (unsigned long long)(e - s), c->handle);
		l->mapped_bytes += e - s;
		leak_note(l, "IOVA 0x%llx+0x%llx of container %d stays mapped to 0x%llx",
			  (unsigned long long)iova, (unsigned long long)(e - s), c->handle,
			  (unsigned long long)s);
		if (skip)
			skip[i] = true;
		if (!f->dirty || !(g = reg_of(c->ctx, s)))
			f->all_dirty = true;
		else
			f->dirty[g - c->ctx->regs] = true;
		container_break(c, l, "UNMAP of memory being freed");
	}
}

/* pseries: @bytes were UNMAPped but their registration stayed, so nothing
 * proves the TCEs gone (tce_iommu_clear() returns 0 when H_PUT_TCE fails,
 * §7; only locked_vm dropping at the last UNREGISTER does). */
static void note_unproven(const struct spapr_dma_ctx *ctx, uint64_t bytes,
			  struct spapr_dma_leak *l)
{
	if (!is_pseries(ctx))
		return;
	l->unproven_bytes += bytes;
	leak_note(l, "pseries: nothing proves the TCEs of 0x%llx bytes cleared "
		  "(the kernel ignores a failed H_PUT_TCE)", (unsigned long long)bytes);
}

/* UNREGISTER the registrations the removal empties, in every container,
 * unless a TCE into one may remain (§3.5: it would be orphaned). Returns the
 * bytes every container unregistered. */
static uint64_t forced_unregister(struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
				  struct forced *f, struct spapr_dma_leak *l,
				  struct spapr_dma_error *err)
{
	uint64_t gone = 0;
	unsigned int k, i;

	for (k = 0; k < ctx->nregs; k++) {
		const struct ctx_reg *g = &ctx->regs[k];
		bool all = true;

		if (!reg_emptied(g, va, len))
			continue;
		for (i = 0; i < ctx->ncont; i++) {
			struct spapr_dma_container *c = ctx->cont[i];
			bool dirty = forced_dirty(f, k);
			int rc = dirty ? -EBUSY : k_unregister(c, g->va, g->len);

			if (!rc)
				continue;
			all = false;
			container_keep_stale(c, g->va, g->len, l);
			if (!dirty)
				note_failure(&f->first, rc, l, err, SPAPR_DMA_STEP_UNREGISTER,
					     "UNREGISTER 0x%llx+0x%llx on container %d failed",
					     (unsigned long long)g->va, (unsigned long long)g->len,
					     c->handle);
		}
		if (all) {
			gone += g->len;
			continue;
		}
		note_unproven(ctx, g->live, l);
		f->unproven = f->unproven || is_pseries(ctx);
		l->registered_bytes += g->len;
		leak_note(l, "0x%llx+0x%llx stays registered (pinned, charged) until the "
			  "container is destroyed", (unsigned long long)g->va,
			  (unsigned long long)g->len);
	}
	return gone;
}

/* Forget the removed memory in @c. Without the memory to do it exactly
 * (or without @skip, which says which maps kept a TCE) the container is
 * marked broken and keeps its maps: nothing will be looked up in it. */
static void forced_commit(struct spapr_dma_container *c, uint64_t va, uint64_t len,
			  bool suspect, const bool *skip, struct spapr_dma_leak *l)
{
	struct ctx_tx tx = { 0 };

	if (!skip || remove_reserve(c, c->nmaps, &tx))
		container_break(c, l, "memory for a forced removal");
	else
		container_commit_remove(c, va, len, &tx, suspect, skip);
	l->quarantined_bytes += tx.quarantined;
	tx_free(&tx);
}

int spapr_dma_mem_remove_forced(struct spapr_dma_ctx *ctx, uint64_t va, uint64_t len,
				struct spapr_dma_error *err)
{
	struct spapr_dma_leak leak = { 0 };
	struct forced f = { 0 };
	struct witness wit;
	unsigned int i, i0, i1;
	bool **skip;
	uint64_t gone, kept = 0;

	if (find_removal(ctx, va, len, &i0, &i1, err))
		return -EINVAL;
	if (err)
		memset(err, 0, sizeof(*err));
	witness_start(ctx, NULL, &wit);
	f.dirty = calloc(ctx->nregs ? ctx->nregs : 1, sizeof(*f.dirty));
	f.all_dirty = !f.dirty;	/* without the flags, trust no registration */
	skip = calloc(ctx->ncont ? ctx->ncont : 1, sizeof(*skip));
	for (i = 0; i < ctx->ncont; i++) {
		struct spapr_dma_container *c = ctx->cont[i];

		if (skip)
			skip[i] = calloc(c->nmaps ? c->nmaps : 1, sizeof(**skip));
		forced_unmap(c, va, len, skip ? skip[i] : NULL, &f, &leak, err);
	}
	gone = forced_unregister(ctx, va, len, &f, &leak, err);
	if (ctx->ncont && (kept = witness_kept(ctx->cont[0], &wit, gone)))
		note_kept(&leak, kept);
	for (i = 0; i < ctx->ncont; i++)
		forced_commit(ctx->cont[i], va, len, kept != 0 || f.all_dirty || f.unproven,
			      skip ? skip[i] : NULL, &leak);
	ctx_commit_remove(ctx, va, len, i0, i1);
	for (i = 0; skip && i < ctx->ncont; i++)
		free(skip[i]);
	free(skip);
	free(f.dirty);
	if (kept && !f.first)
		return report_orphan(kept, va, len, &leak, err);
	err_leak(err, &leak);
	return f.first;
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
	if (rc == -ENOMEM && !c->plan.explain.ncand) {
		/* Failed before weighing any window: the planner's layout
		 * allocation (RLIMIT_MEMLOCK refusals come with candidates). */
		err_set(err, SPAPR_DMA_STEP_MEMORY, rc, "out of memory planning %u regions: %s",
			ctx->nsegs, c->plan.explain.remedy);
	} else if (rc) {
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
	const struct spapr_dma_policy *pol = &c->ctx->pol;
	uint64_t reserve = pol->indirect_reserve_fit ? 0 : pol->indirect_reserve;
	int rc = 0;
	char a[24];

	for (k = p->explain.cand; k < p->explain.cand + p->explain.ncand; k++)
		if (k->chosen) {
			k->chosen = k->accepted = false;
			dma_fmt(k->reason, sizeof(k->reason), "TCE_CREATE failed: %s (%d)",
				strerror(-create_rc), create_rc);
		}
	if (p->mapped_bytes + reserve > c->caps.dma32_size) {
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
	p->room_bytes = c->caps.dma32_size - p->mapped_bytes;
	p->room_bound[0] = '\0';
	if (p->room_bytes < pol->indirect_reserve)
		dma_fmt(p->room_bound, sizeof(p->room_bound), "the %s default window",
			dma_size_str(c->caps.dma32_size, a, 24));
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
		if (rc)
			err_set(err, SPAPR_DMA_STEP_MEMORY, ENOMEM,
				"out of memory for the undo log of the default window");
		c->default_used = true;
		set_window(c, c->caps.dma32_start, c->caps.dma32_size, DMA32_PAGE_SHIFT);
	} else {
		rc = create_ddw(c, log, err);
	}
	if (!rc) {
		c->indirect = c->plan.mode == SPAPR_DMA_MODE_INDIRECT;
		if (c->indirect)
			rc = dma_iova_init(&c->alloc, c->win_start, c->win_size, 1ull << c->win_shift);
		if (rc)
			err_set(err, SPAPR_DMA_STEP_MEMORY, ENOMEM,
				"out of memory for the IOVA allocator of the window");
	}
	return rc;
}

/* An indirect container of the ctx with the same window as @c. */
static const struct spapr_dma_container *find_twin(const struct spapr_dma_container *c)
{
	const struct spapr_dma_ctx *ctx = c->ctx;

	for (unsigned int i = 0; c->indirect && i < ctx->ncont; i++) {
		const struct spapr_dma_container *o = ctx->cont[i];

		if (o->indirect && !o->broken && o->win_start == c->win_start &&
		    o->win_size == c->win_size && o->win_shift == c->win_shift)
			return o;
	}
	return NULL;
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
	free(c->stale);
	free(c->held);
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
	if (!regs || grow((void **)&ctx->cont, &ctx->ccap, ctx->ncont + 1, sizeof(*ctx->cont))) {
		rc = -ENOMEM;
		err_set(err, SPAPR_DMA_STEP_MEMORY, ENOMEM,
			"out of memory for the list of %u registrations and of containers",
			ctx->nregs);
	}
	if (!rc) {
		regs_of_ctx(ctx, regs);
		progress_begin(ctx, work_bytes(ctx->segs, ctx->nsegs, regs, ctx->nregs));
		c->twin = find_twin(c);
		rc = container_add(c, ctx->segs, ctx->nsegs, regs, ctx->nregs, &tx, log, err);
		c->twin = NULL;
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
		err_set(err, SPAPR_DMA_STEP_MEMORY, ENOMEM, "out of memory for the container");
		return -ENOMEM;
	}
	c->ctx = ctx;
	c->be = be;
	c->handle = -1;
	*out = c;
	return 0;
}

/* A failed create/attach is undone; what the undo or the kernel left (a
 * failed CREATE keeps its charge, §3.6 step 8) is reported in @err. */
static int container_finish(struct spapr_dma_container *c, int rc, struct undo_log *log,
			    const struct witness *wit, struct spapr_dma_container **out,
			    struct spapr_dma_error *err)
{
	struct spapr_dma_leak leak = { 0 };
	uint64_t kept, attributed;

	if (rc) {
		undo_run(log, &leak);
		undo_report_oom(log, rc, err);
		/* What locked_vm kept beyond what the undo knows it left. */
		kept = witness_kept(c, wit, 0);
		attributed = leak.registered_bytes + (leak.windows ? c->plan.table_bytes : 0);
		if (kept > attributed)
			note_kept(&leak, kept - attributed);
		err_leak(err, &leak);
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
	struct witness wit;
	int rc = container_new(ctx, be, n, &c, err);

	if (rc)
		return rc;
	witness_start(ctx, c, &wit);
	c->own_handles = true;
	rc = open_handles(c, group_nums, n, &log, err);
	if (!rc)
		rc = container_setup(c, false, &log, err);
	return container_finish(c, rc, &log, &wit, out, err);
}

int spapr_dma_container_attach(struct spapr_dma_ctx *ctx, struct spapr_backend *be,
			       int container, const int *group_handles, unsigned int n,
			       unsigned int flags, struct spapr_dma_container **out,
			       struct spapr_dma_error *err)
{
	struct undo_log log = { 0 };
	struct spapr_dma_container *c;
	struct witness wit;
	int rc = container_new(ctx, be, n, &c, err);

	if (rc)
		return rc;
	witness_start(ctx, c, &wit);
	c->handle = container;
	memcpy(c->groups, group_handles, sizeof(int) * n);
	c->ngroups = n;
	rc = container_setup(c, flags & SPAPR_DMA_ATTACH_IOMMU_SET, &log, err);
	return container_finish(c, rc, &log, &wit, out, err);
}

/* ---- teardown ---- */

/* REMOVE every window (which clears every TCE in it, §3.7). Returns true
 * when all are gone. */
static bool teardown_windows(struct spapr_dma_container *c, int *first, struct spapr_dma_leak *l,
			     struct spapr_dma_error *err)
{
	const struct { bool used; uint64_t start; } w[2] = {
		{ c->ddw_created, c->win_start }, { c->default_used, c->caps.dma32_start },
	};
	bool all = true;
	unsigned int i;
	int rc;

	for (i = 0; i < 2; i++) {
		if (!w[i].used || !(rc = k_remove(c, w[i].start)))
			continue;
		all = false;
		note_failure(first, rc, l, err, SPAPR_DMA_STEP_REMOVE,
			     "REMOVE of the window at 0x%llx on container %d failed",
			     (unsigned long long)w[i].start, c->handle);
		l->windows++;
		leak_note(l, "the window at 0x%llx stays until the container closes "
			  "(tce_iommu_release frees it)", (unsigned long long)w[i].start);
	}
	return all;
}

/* A REMOVE failed: clear the TCEs ourselves. Marks the registrations that
 * may still have TCEs into them in @dirty (indexed like ctx->regs, then
 * c->stale). */
static void teardown_unmap(struct spapr_dma_container *c, struct forced *f,
			   struct spapr_dma_leak *l, struct spapr_dma_error *err)
{
	forced_unmap(c, 0, UINT64_MAX, NULL, f, l, err);
}

/* UNREGISTER one registration at teardown. A broken container may have
 * lost it already (-ENOENT is then what we want). */
static bool teardown_reg(struct spapr_dma_container *c, uint64_t va, uint64_t len, bool dirty,
			 int *first, struct spapr_dma_leak *l, struct spapr_dma_error *err)
{
	int rc = dirty ? 0 : k_unregister(c, va, len);

	if (!dirty && (!rc || (rc == -ENOENT && c->broken)))
		return true;
	if (!dirty)
		note_failure(first, rc, l, err, SPAPR_DMA_STEP_UNREGISTER,
			     "UNREGISTER 0x%llx+0x%llx on container %d failed",
			     (unsigned long long)va, (unsigned long long)len, c->handle);
	l->registered_bytes += len;
	leak_note(l, "0x%llx+0x%llx stays registered%s until the container closes",
		  (unsigned long long)va, (unsigned long long)len,
		  dirty ? " (TCEs into it may remain)" : "");
	return false;
}

/* UNREGISTER the ctx's registrations and the stale ones. Returns the bytes
 * unregistered. */
static uint64_t teardown_regs(struct spapr_dma_container *c, const struct forced *f,
			      int *first, struct spapr_dma_leak *l, struct spapr_dma_error *err)
{
	const struct spapr_dma_ctx *ctx = c->ctx;
	uint64_t gone = 0;
	unsigned int i;

	for (i = 0; i < ctx->nregs; i++)
		if (teardown_reg(c, ctx->regs[i].va, ctx->regs[i].len, forced_dirty(f, i), first,
				 l, err))
			gone += ctx->regs[i].len;
	for (i = 0; i < c->nstale; i++)
		if (teardown_reg(c, c->stale[i].start, c->stale[i].len, f->all_dirty, first, l,
				 err))
			gone += c->stale[i].len;
	return gone;
}

/* Unset and close the handles the container owns. */
static void teardown_handles(struct spapr_dma_container *c, int *first, struct spapr_dma_leak *l,
			     struct spapr_dma_error *err)
{
	unsigned int i;
	int rc;

	if (!c->own_handles)
		return;
	for (i = c->ngroups; i-- > 0;) {
		/* A failed UNSET is harmless when the close works: closing a
		 * group detaches it from its container (§4). */
		k_unset(c, c->groups[i]);
		if ((rc = k_close(c, c->groups[i]))) {
			note_failure(first, rc, l, err, SPAPR_DMA_STEP_CLOSE,
				     "close of group handle %d failed", c->groups[i]);
			l->handles++;
			leak_note(l, "group handle %d stays open (the group stays attached)",
				  c->groups[i]);
		}
	}
	if ((rc = k_close(c, c->handle))) {
		note_failure(first, rc, l, err, SPAPR_DMA_STEP_CLOSE,
			     "close of container handle %d failed", c->handle);
		l->handles++;
		leak_note(l, "container handle %d stays open", c->handle);
	}
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

/* Teardown of @c, counting what it left in @l. Returns the first error. */
static int container_teardown(struct spapr_dma_container *c, struct spapr_dma_leak *l,
			      struct spapr_dma_error *err)
{
	struct forced f = { 0 };
	struct witness wit;
	uint64_t gone, kept;
	bool last = c->ctx->ncont == 1;

	f.dirty = calloc(c->ctx->nregs ? c->ctx->nregs : 1, sizeof(*f.dirty));
	f.all_dirty = !f.dirty;
	if (!teardown_windows(c, &f.first, l, err))
		teardown_unmap(c, &f, l, err);
	/* The registrations are shared by the mm's containers (§3.5): only the
	 * last container's UNREGISTER gives locked_vm back. */
	witness_start(c->ctx, c, &wit);
	gone = teardown_regs(c, &f, &f.first, l, err);
	if (last && (kept = witness_kept(c, &wit, gone))) {
		note_kept(l, kept);
		if (!f.first)
			note_failure(&f.first, -EBUSY, l, err, SPAPR_DMA_STEP_UNREGISTER,
				     "UNREGISTER returned 0 but the kernel kept the memory "
				     "registered: a TCE into it was not cleared");
	}
	teardown_handles(c, &f.first, l, err);
	free(f.dirty);
	ctx_forget(c->ctx, c);
	container_free(c);
	return f.first;
}

int spapr_dma_container_destroy(struct spapr_dma_container *c, struct spapr_dma_error *err)
{
	struct spapr_dma_leak leak = { 0 };
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	rc = container_teardown(c, &leak, err);
	err_leak(err, &leak);
	return rc;
}

int spapr_dma_ctx_teardown(struct spapr_dma_ctx *ctx, struct spapr_dma_error *err)
{
	struct spapr_dma_leak leak = { 0 };
	int rc, first = 0;

	if (!ctx)
		return 0;
	if (err)
		memset(err, 0, sizeof(*err));
	while (ctx->ncont) {
		struct spapr_dma_error one;

		rc = container_teardown(ctx->cont[ctx->ncont - 1], &leak, first ? &one : err);
		first = first ? first : rc;
	}
	free(ctx->cont);
	free(ctx->segs);
	free(ctx->regs);
	free(ctx);
	err_leak(err, &leak);
	return first;
}

/*
 * A group left the container: since ML-CLEAR the kernel cleared every TCE
 * of the container's windows, the remaining groups' too (§4, trap §10.15).
 * MAP again what the engine mapped; an entry still set (kernels before
 * ML-CLEAR) is replaced by the same page without complaint (§3.8).
 */
int spapr_dma_container_remap(struct spapr_dma_container *c, struct spapr_dma_error *err)
{
	struct spapr_dma_leak leak = { 0 };
	int first = 0;
	unsigned int i;

	if (err)
		memset(err, 0, sizeof(*err));
	if (c->broken) {
		err_set(err, SPAPR_DMA_STEP_BROKEN, EIO, "container %d is broken: %s", c->handle,
			c->broken_why);
		return -EIO;
	}
	for (i = 0; i < c->nmaps; i++) {
		const struct cmap *m = &c->maps[i];
		int rc = k_map(c, m->va, m->iova, m->len, m->prot);

		if (!rc)
			continue;
		note_failure(&first, rc, &leak, err, SPAPR_DMA_STEP_MAP,
			     "MAP again of 0x%llx+0x%llx at IOVA 0x%llx on container %d failed",
			     (unsigned long long)m->va, (unsigned long long)m->len,
			     (unsigned long long)m->iova, c->handle);
		leak.lost_bytes += m->len;
	}
	if (first) {
		leak_note(&leak, "the remaining groups' devices fault on the memory not mapped again");
		container_break(c, &leak, "MAP after a group left");
	}
	err_leak(err, &leak);
	return first;
}

bool spapr_dma_container_broken(const struct spapr_dma_container *c)
{
	return c->broken;
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

