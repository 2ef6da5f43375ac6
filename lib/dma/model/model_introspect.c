/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_introspect.c - public API: introspection (containers, windows, TCEs),
 * counters and fault injection, and the model's invariants.
 *
 * Kernel sources the behaviour was learned from (never copied), abbreviated
 * as in model.c: VST vfio_iommu_spapr_tce.c, CONT container.c, GRP group.c,
 * API iommu_api.c, KIO iommu.c, IODA pci-ioda.c, IODATCE pci-ioda-tce.c,
 * PSER pseries/iommu.c. Counters: see model.c.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"

/* ------------------------------------------------------------------------ */
/* Public API: introspection.                                               */
/* ------------------------------------------------------------------------ */

static int count_valid(void *ctx, uint64_t idx, uint64_t tce, uint64_t ua)
{
	(void)idx;
	(void)ua;
	if (tce & TCE_PERM)
		(*(uint64_t *)ctx)++;
	return 0;
}

static void window_info(struct model_table *mt, struct spapr_model_window_info *w)
{
	memset(w, 0, sizeof(*w));
	if (!mt)
		return;
	w->present = true;
	w->start = tce_table_start(mt->t);
	w->size = mt->t->size << mt->t->page_shift;
	w->page_shift = mt->t->page_shift;
	w->levels = mt->levels;
	tce_table_visit(mt->t, count_valid, &w->tces_in_use);
	w->bytes_allocated = mt->t->bytes_allocated;
	w->bytes_charged = mt->t->charged;
}

int spapr_model_container_info(struct spapr_model *m, int h,
			       struct spapr_model_container_info *info)
{
	struct model_container *c;
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = model_cont_lookup(m, h, &c);
	if (!rc && !info)
		rc = -EINVAL;
	if (rc) {
		pthread_mutex_unlock(&m->lock);
		return rc == -ENOTTY ? -EINVAL : rc;
	}
	memset(info, 0, sizeof(*info));
	info->iommu_set = c->iommu_set;
	info->v2 = c->v2;
	info->enabled = c->enabled;
	info->def_window_pending = c->def_window_pending;
	info->mm = c->mm;
	info->ngroups = c->ngroups;
	for (unsigned int i = 0; i < c->ngroups && i < 8; i++)
		info->groups[i] = c->groups[i]->num;
	for (int s = 0; s < MODEL_SLOTS; s++)
		window_info(c->tables[s], &info->windows[s]);
	info->v1_locked_pages = c->enabled && !c->v2 ? c->locked_pages : 0;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int spapr_model_tce_read(struct spapr_model *m, int h, unsigned int slot,
			 uint64_t index, uint64_t *tce)
{
	struct model_container *c;
	struct model_table *mt;
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = model_cont_lookup(m, h, &c);
	if (rc == -ENOTTY)
		rc = -EINVAL;
	mt = (!rc && slot < MODEL_SLOTS) ? c->tables[slot] : NULL;
	if (!rc && !mt)
		rc = -ENOENT;
	if (!rc && !tce_table_has_entry(mt->t, index))
		rc = -ERANGE;
	if (!rc && tce)
		*tce = tce_table_get(mt->t, index - mt->t->offset);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

unsigned int spapr_model_diagnostics(struct spapr_model *m, char *msg, size_t len)
{
	unsigned int n;

	pthread_mutex_lock(&m->lock);
	n = m->ndiag;
	if (msg && len)
		snprintf(msg, len, "%s", m->diag);
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Public API: counters, fault injection.                                   */
/* ------------------------------------------------------------------------ */

int spapr_model_container_counters(struct spapr_model *m, int h,
				   struct spapr_model_counters *out)
{
	struct model_container *c;
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = model_cont_lookup(m, h, &c);
	if (!rc && out)
		*out = c->ctr;
	pthread_mutex_unlock(&m->lock);
	return rc == -ENOTTY ? -EINVAL : rc;
}

int spapr_model_mm_counters(struct spapr_model *m, int id,
			    struct spapr_model_counters *out)
{
	struct model_mm *mm;

	pthread_mutex_lock(&m->lock);
	mm = model_mm_get(m, id);
	if (mm && out)
		*out = mm->ctr;
	pthread_mutex_unlock(&m->lock);
	return mm ? 0 : -ENOENT;
}

void spapr_model_counters(struct spapr_model *m, struct spapr_model_counters *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->ctr;
	pthread_mutex_unlock(&m->lock);
}

void spapr_model_counters_reset(struct spapr_model *m)
{
	pthread_mutex_lock(&m->lock);
	memset(&m->ctr, 0, sizeof(m->ctr));
	for (unsigned int i = 0; i < m->nconts; i++)
		memset(&m->conts[i]->ctr, 0, sizeof(m->ctr));
	for (unsigned int i = 0; i < m->nmms; i++)
		memset(&m->mms[i]->ctr, 0, sizeof(m->ctr));
	for (unsigned int i = 0; i < m->ngroups; i++)
		memset(&m->groups[i]->pe.stats, 0, sizeof(m->groups[i]->pe.stats));
	pthread_mutex_unlock(&m->lock);
}

int spapr_model_fault_inject(struct spapr_model *m, enum spapr_model_op op,
			     unsigned int nth, int err, unsigned int count)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = model_fault_add(&m->faults, op, nth, err, count);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int spapr_model_fault_parse(struct spapr_model *m, const char *spec, char *err,
			    size_t errlen)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = model_fault_parse(&m->faults, spec, err, errlen);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void spapr_model_fault_clear(struct spapr_model *m)
{
	pthread_mutex_lock(&m->lock);
	model_fault_clear(&m->faults);
	pthread_mutex_unlock(&m->lock);
}

unsigned int spapr_model_faults_fired(struct spapr_model *m)
{
	unsigned int n;

	pthread_mutex_lock(&m->lock);
	n = m->faults.fired;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Invariants.                                                              */
/* ------------------------------------------------------------------------ */

struct inv {
	struct spapr_model *m;
	struct model_container *c;
	struct model_table *mt;
	char *err;
	size_t errlen;
	uint64_t stale, valid;
};

static int inv_fail(struct inv *iv, const char *fmt, ...)
{
	va_list ap;

	if (iv->err && iv->errlen) {
		va_start(ap, fmt);
		vsnprintf(iv->err, iv->errlen, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

static struct model_region *inv_region_of(struct spapr_model *m, struct model_mm *mm,
					  uint64_t ua, uint64_t size)
{
	for (struct model_region *r = mm ? mm->regions : NULL; r; r = r->next)
		if (r->ua <= ua && ua + size <= r->ua + model_region_bytes(m, r))
			return r;
	return NULL;
}

/* One entry of a table: a valid v2 TCE has a view entry in a region of the
 * container's mm and holds that address's host page (or is one of the
 * table's known stale entries); a view entry has a valid TCE. Each view
 * reference lowers the region's mapped_leak as scratch (see inv_mapped). */
static int inv_entry(void *ctx, uint64_t idx, uint64_t tce, uint64_t ua)
{
	struct inv *iv = ctx;
	struct model_table *mt = iv->mt;
	uint64_t pgsize = UINT64_C(1) << mt->t->page_shift;
	struct model_region *r;

	if (tce & TCE_PERM)
		iv->valid++;
	if (!iv->c->v2)
		return 0;
	if ((tce & TCE_PERM) && !ua) {
		iv->stale++;
		return 0;
	}
	if (!(tce & TCE_PERM))
		return inv_fail(iv, "view entry 0x%" PRIx64 " without TCE at index %"
				PRIu64, ua, idx);
	r = inv_region_of(iv->m, model_cont_mm(iv->m, iv->c), ua, pgsize);
	if (!r)
		return inv_fail(iv, "TCE index %" PRIu64 " maps ua 0x%" PRIx64
				" outside every registered region", idx, ua);
	if ((tce & ~(pgsize - 1)) != (model_region_ua_to_pa(r, ua) & ~(pgsize - 1)))
		return inv_fail(iv, "TCE index %" PRIu64 " does not hold the host "
				"page of ua 0x%" PRIx64, idx, ua);
	r->mapped_leak -= 1;	/* scratch: undone in inv_regions() */
	return 0;
}

static int inv_table(struct inv *iv, struct model_container *c, struct model_table *mt)
{
	int rc;

	iv->c = c;
	iv->mt = mt;
	iv->stale = iv->valid = 0;
	rc = tce_table_visit(mt->t, inv_entry, iv);
	if (rc)
		return rc;
	if (iv->stale != mt->stale)
		return inv_fail(iv, "%" PRIu64 " TCEs without view entry, expected %"
				PRIu64, iv->stale, mt->stale);
	if (!c->v2 && iv->valid != mt->v1_pins)
		return inv_fail(iv, "v1 table has %" PRIu64 " TCEs but %" PRIu64
				" pins", iv->valid, mt->v1_pins);
	return 0;
}

static int inv_container(struct inv *iv, struct model_container *c)
{
	int rc;

	for (int s = 0; s < MODEL_SLOTS; s++) {
		struct model_table *mt = c->tables[s];

		if (!mt)
			continue;
		if ((rc = inv_table(iv, c, mt)))
			return rc;
		for (unsigned int i = 0; i < c->ngroups; i++)
			if (c->groups[i]->pe.tables[s] != mt)
				return inv_fail(iv, "window %d not programmed into "
						"group %d", s, c->groups[i]->num);
	}
	for (unsigned int i = 0; i < c->nprereg; i++)
		if (c->prereg[i]->mm != c->mm)
			return inv_fail(iv, "container references a region of "
					"another mm");
	return 0;
}

/* Container references and charges of the regions of @mm. */
static int inv_regions(struct inv *iv, struct model_mm *mm, uint64_t *pages)
{
	for (struct model_region *r = mm->regions; r; r = r->next) {
		int64_t refs = 0;

		for (unsigned int i = 0; i < iv->m->nconts; i++) {
			struct model_container *c = iv->m->conts[i];

			for (unsigned int j = 0; j < c->nprereg; j++)
				refs += c->prereg[j] == r;
		}
		*pages += r->entries;
		if ((int64_t)r->nrefs != refs)
			return inv_fail(iv, "region 0x%" PRIx64 " nrefs %u, found %"
					PRId64, r->ua, r->nrefs, refs);
		if (r->used < r->nrefs)
			return inv_fail(iv, "region 0x%" PRIx64 " used %" PRIu64
					" < references %u", r->ua, r->used, r->nrefs);
	}
	return 0;
}

/* Region mapped counts: the table walk lowered mapped_leak once per view
 * entry pointing into the region; restore it from @saved and compare. */
static int inv_mapped(struct inv *iv, struct model_mm *mm, const int64_t *saved)
{
	unsigned int k = 0;
	int rc = 0;

	for (struct model_region *r = mm->regions; r; r = r->next, k++) {
		int64_t seen = saved[k] - r->mapped_leak;	/* view refs */

		r->mapped_leak = saved[k];
		if (!rc && r->mapped != 1 + seen + r->mapped_leak)
			rc = inv_fail(iv, "region 0x%" PRIx64 " mapped %" PRId64
				      ", expected 1 + %" PRId64 " TCEs + %" PRId64
				      " leaked", r->ua, r->mapped, seen,
				      r->mapped_leak);
	}
	return rc;
}

static int inv_mm(struct inv *iv, struct model_mm *mm, uint64_t table_pages)
{
	uint64_t pages = 0;
	int rc = inv_regions(iv, mm, &pages);

	if (rc)
		return rc;
	pages += table_pages + mm->leaked_pages;
	if (pages != mm->locked_vm)
		return inv_fail(iv, "mm %d locked_vm %" PRIu64 " pages, charges sum "
				"to %" PRIu64, mm->id, mm->locked_vm, pages);
	return 0;
}

static uint64_t mm_table_pages(struct spapr_model *m, int id)
{
	uint64_t pages = 0;

	for (unsigned int i = 0; i < m->nconts; i++) {
		struct model_container *c = m->conts[i];

		if (c->mm != id)
			continue;
		for (int s = 0; s < MODEL_SLOTS; s++)
			if (c->tables[s])
				pages += c->tables[s]->t->charged >> model_sys_shift(m);
		if (c->enabled && !c->v2)
			pages += c->locked_pages;
	}
	return pages;
}

static int check_all(struct inv *iv)
{
	struct spapr_model *m = iv->m;
	int rc = 0;

	for (unsigned int i = 0; i < m->nmms && !rc; i++) {
		struct model_mm *mm = m->mms[i];
		unsigned int n = mm->nregions, k = 0;
		int64_t *saved = calloc(n ? n : 1, sizeof(*saved));

		if (!saved)
			return -ENOMEM;
		for (struct model_region *r = mm->regions; r; r = r->next)
			saved[k++] = r->mapped_leak;
		for (unsigned int j = 0; j < m->nconts && !rc; j++)
			if (m->conts[j]->mm == mm->id)
				rc = inv_container(iv, m->conts[j]);
		if (!rc)
			rc = inv_mapped(iv, mm, saved);
		else
			inv_mapped(iv, mm, saved);	/* restore the scratch */
		free(saved);
		if (!rc)
			rc = inv_mm(iv, mm, mm_table_pages(m, mm->id));
	}
	return rc;
}

int spapr_model_check_invariants(struct spapr_model *m, char *err, size_t errlen)
{
	struct inv iv = { .m = m, .err = err, .errlen = errlen };
	int rc;

	pthread_mutex_lock(&m->lock);
	if (err && errlen)
		err[0] = 0;
	rc = check_all(&iv);
	for (unsigned int j = 0; !rc && j < m->nconts; j++)
		if (m->conts[j]->mm < 0)
			rc = inv_container(&iv, m->conts[j]);
	pthread_mutex_unlock(&m->lock);
	return rc;
}
