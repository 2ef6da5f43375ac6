/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fault.c - the fault sweep. For each scenario (profile, layout,
 * policy) and action (container create, second create, attach, hotplug
 * add into one or two containers, remove from one or two, forced remove,
 * container destroy, ctx teardown), every op of the host model - the 18
 * backend operations (ioctls, open, close) and the kernel-internal points
 * level_alloc, pin and hcall - is made to fail at each call index the action makes of it (all
 * of them up to SWEEP_INDEX_CAP, else SWEEP_INDEX_CAP indices spread from
 * the first to the last), in four modes:
 *   once        - that call fails (EIO, ENOMEM, EINVAL in turn);
 *   persistent  - that call and every later call of the op fail;
 *   undo-first  - that call fails, and so does the first call after it
 *                 (the rollback's first step);
 *   undo-all    - that call fails, and so does every call after it.
 * A case is clean when the call succeeded and every byte DMAs as it should
 * (a removed range faults at its old IOVA; after a teardown nothing is
 * left), or it failed with outcome CLEAN and locked_vm, registrations,
 * orphans, leaked charges, TCEs, windows, open handles and live containers
 * equal what they were before. It is a reported leak when the state
 * differs and the error's outcome and leak account for every difference
 * (the kernel's own leaks - a failed CREATE's charge, §3.6 step 8; an
 * orphaned registration, §3.5 - included). Anything else is unclean, and
 * the sweep requires unclean = 0. It prints the totals.
 */
#include <time.h>

#include "dma_layouts.h"
#include "dma_world.h"
#include "fault_backend.h"

#define SWEEP_INDEX_CAP 24

static struct spapr_dma_mem_region R[LAYOUT_MAX_REGIONS + 4];

enum action {
	ACT_CREATE, ACT_CREATE_SECOND, ACT_ATTACH, ACT_ADD, ACT_ADD_TWO, ACT_REMOVE,
	ACT_REMOVE_TWO, ACT_REMOVE_FORCED, ACT_DESTROY, ACT_CTX_DESTROY, ACT_COUNT
};

static const char *const act_names[ACT_COUNT] = {
	"create", "create-second", "attach", "add", "add-two", "remove", "remove-two",
	"remove-forced", "destroy", "ctx-destroy",
};

enum mode { MODE_ONCE, MODE_PERSISTENT, MODE_UNDO_FIRST, MODE_UNDO_ALL, MODE_COUNT };

static const char *const mode_names[MODE_COUNT] = { "once", "persistent", "undo-first",
						    "undo-all" };

struct scenario {
	const char *profile;
	enum layout_id lay;
	enum spapr_dma_mode mode;
	uint64_t reserve;		/* indirect IOVA room for the hotplug */
	unsigned int hot_shift;		/* page of the hotplugged memory */
};

struct run {
	struct world w;
	struct fault_backend fb;
	unsigned int n;				/* regions of the base layout */
	struct spapr_dma_mem_region hot;	/* hotplugged region */
	struct spapr_dma_container *c1, *c2;
	int cont_h, group_h;			/* attach: handles the test owns */
	uint64_t hot_iova[2];			/* remove: the IOVAs before */
};

/* Everything the kernel holds for the process, and the engine's containers. */
struct state {
	uint64_t locked, registered, leaked, tces;
	unsigned int regions, orphans, windows, handles, containers;
};

static void state_take(struct run *r, struct state *s)
{
	struct spapr_model_mm_info mi;
	unsigned int h, k;

	memset(s, 0, sizeof(*s));
	spapr_model_mm_info(r->w.m, 0, &mi);
	s->locked = mi.locked_vm_pages;
	s->registered = mi.registered_bytes;
	s->leaked = mi.leaked_pages;
	s->regions = mi.regions;
	s->orphans = mi.orphaned_regions;
	s->handles = fault_backend_handles(&r->fb);
	s->containers = r->w.ctx ? spapr_dma_ctx_containers(r->w.ctx) : 0;
	for (h = 0; h < FB_MAX_HANDLES; h++) {
		struct spapr_model_container_info ci;

		if (!r->fb.open[h] || !r->fb.container[h] ||
		    spapr_model_container_info(r->w.m, (int)h, &ci))
			continue;
		for (k = 0; k < 2; k++) {
			s->windows += ci.windows[k].present;
			s->tces += ci.windows[k].tces_in_use;
		}
	}
}

/* Does @l account for every difference between @a (expected) and @b? */
static bool leak_covers(const struct state *a, const struct state *b,
			const struct spapr_dma_error *e)
{
	const struct spapr_dma_leak *l = &e->leak;
	bool ok = e->outcome != SPAPR_DMA_OUTCOME_CLEAN && l->what[0];

	if (a->tces != b->tces)
		ok = ok && (l->mapped_bytes || l->lost_bytes || l->unproven_bytes || l->windows ||
			    l->locked_bytes || l->handles);
	if (a->regions != b->regions || a->registered != b->registered ||
	    a->orphans != b->orphans)
		ok = ok && (l->registered_bytes || l->lost_bytes || l->locked_bytes || l->handles);
	if (a->locked != b->locked || a->leaked != b->leaked)
		ok = ok && (l->registered_bytes || l->lost_bytes || l->locked_bytes ||
			    l->windows || l->handles);
	if (a->windows != b->windows)
		ok = ok && (l->windows || l->handles);
	if (a->handles != b->handles)
		ok = ok && l->handles;
	return ok;
}

static bool state_eq(const struct state *a, const struct state *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static int create(struct run *r, int group, struct spapr_dma_container **c,
		  struct spapr_dma_error *err)
{
	return spapr_dma_container_create(r->w.ctx, &r->fb.be, &group, 1, c, err);
}

/* Handles the caller of attach owns: a container with group 0 set to it. */
static int attach_handles(struct run *r)
{
	const struct spapr_backend_ops *o = r->fb.be.ops;

	r->cont_h = o->container_open(&r->fb.be);
	r->group_h = o->group_open(&r->fb.be, 0);
	if (r->cont_h < 0 || r->group_h < 0)
		return -1;
	return o->group_set_container(&r->fb.be, r->group_h, r->cont_h);
}

static bool two_containers(enum action a)
{
	return a == ACT_ADD_TWO || a == ACT_REMOVE_TWO || a == ACT_REMOVE_FORCED ||
	       a == ACT_CTX_DESTROY;
}

/* Build the state before the action (no faults armed); @zero: the state
 * with memory added but no container (what a teardown must come back to). */
static int setup(struct run *r, const struct scenario *s, enum action a, struct state *zero)
{
	struct spapr_dma_policy pol = { .mode = s->mode, .indirect_reserve = s->reserve,
					.direct_top = 0x7000000000ull + 256 * MiB };

	memset(r, 0, sizeof(*r));
	if (world_init(&r->w, s->profile, &pol))
		return -1;
	fault_backend_init(&r->fb, r->w.m);
	r->n = layout_fill(s->lay, r->w.prof.system_page_shift, R);
	regions_fill(&r->hot, 1, 0x7000000000ull, s->reserve ? s->reserve : 1 * GiB,
		     s->hot_shift);
	if (world_map_mem(&r->w, R, r->n) || world_map_mem(&r->w, &r->hot, 1) ||
	    spapr_dma_mem_add(r->w.ctx, R, r->n, NULL))
		return -1;
	state_take(r, zero);
	if (a == ACT_CREATE)
		return 0;
	if (a == ACT_ATTACH)
		return attach_handles(r);
	if (create(r, 0, &r->c1, NULL))
		return -1;
	if (two_containers(a) && create(r, 1, &r->c2, NULL))
		return -1;
	if (a >= ACT_REMOVE && s->reserve) {	/* pseries-noddw: no room to hotplug */
		if (spapr_dma_mem_add(r->w.ctx, &r->hot, 1, NULL))
			return -1;
		r->hot_iova[0] = spapr_dma_iova(r->c1, r->hot.va);
		r->hot_iova[1] = r->c2 ? spapr_dma_iova(r->c2, r->hot.va) : 0;
	}
	return 0;
}

static int act(struct run *r, enum action a, struct spapr_dma_error *err)
{
	int rc;

	switch (a) {
	case ACT_CREATE:
		return create(r, 0, &r->c1, err);
	case ACT_CREATE_SECOND:
		return create(r, 1, &r->c2, err);
	case ACT_ATTACH:
		return spapr_dma_container_attach(r->w.ctx, &r->fb.be, r->cont_h, &r->group_h, 1,
						  0, &r->c1, err);
	case ACT_ADD:
	case ACT_ADD_TWO:
		return spapr_dma_mem_add(r->w.ctx, &r->hot, 1, err);
	case ACT_REMOVE:
	case ACT_REMOVE_TWO:
		return spapr_dma_mem_remove(r->w.ctx, r->hot.va, r->hot.len, err);
	case ACT_REMOVE_FORCED:
		return spapr_dma_mem_remove_forced(r->w.ctx, r->hot.va, r->hot.len, err);
	case ACT_DESTROY:
		rc = spapr_dma_container_destroy(r->c1, err);
		r->c1 = NULL;
		return rc;
	case ACT_CTX_DESTROY:
		rc = spapr_dma_ctx_teardown(r->w.ctx, err);
		r->w.ctx = NULL;
		r->c1 = r->c2 = NULL;
		return rc;
	default:
		return -EINVAL;
	}
}

/* The action without faults: the calls it makes of each op, and the state
 * after it. Returns 0 if it succeeded. */
static int reference(const struct scenario *s, enum action a, struct spapr_model_counters *mc,
		     struct state *after)
{
	struct state zero;
	struct run r;
	int rc = setup(&r, s, a, &zero);

	if (!rc) {
		spapr_model_counters_reset(r.w.m);
		rc = act(&r, a, NULL);
		spapr_model_counters(r.w.m, mc);
		state_take(&r, after);
		after->containers = a == ACT_CTX_DESTROY ? zero.containers : after->containers;
	}
	world_fini(&r.w);
	return rc;
}

/* After a success: the action did what it says. */
static unsigned int verify_success(struct run *r, enum action a, const struct state *zero)
{
	unsigned int bad = 0, n = r->n;
	struct state now;

	switch (a) {
	case ACT_REMOVE:
	case ACT_REMOVE_TWO:
	case ACT_REMOVE_FORCED:
		bad += spapr_dma_iova(r->c1, r->hot.va) != SPAPR_DMA_BAD_IOVA;
		bad += !dma_faults(&r->w, 0, r->hot_iova[0]);
		if (r->c2)
			bad += !dma_faults(&r->w, 1, r->hot_iova[1]);
		break;
	case ACT_DESTROY:
	case ACT_CTX_DESTROY:
		state_take(r, &now);
		now.containers = zero->containers;	/* the ctx itself may be gone */
		bad += !state_eq(zero, &now);
		return bad;
	default:
		break;
	}
	if (a == ACT_ADD || a == ACT_ADD_TWO)
		R[n++] = r->hot;
	if (r->c1)
		bad += verify_all(&r->w, 0, r->c1, R, n, 16);
	if (r->c2)
		bad += verify_all(&r->w, 1, r->c2, R, n, 16);
	return bad;
}

struct totals {
	unsigned int cases, injected, clean, leak, unclean;
};

static bool internal_op(enum spapr_model_op op)
{
	return op >= SPAPR_MODEL_OP_LEVEL_ALLOC;
}

/* The error of a failed call names its step; an injected failure is never
 * the planner's (that comes before any kernel call). */
static bool error_well_formed(const struct spapr_dma_error *err)
{
	return err->step[0] && err->remedy[0] && err->err > 0 &&
	       !strcmp(spapr_dma_step_name(err->step_id), err->step) &&
	       err->step_id != SPAPR_DMA_STEP_NONE && err->step_id != SPAPR_DMA_STEP_PLAN;
}

/* What a failed call must leave: what was there before, or, for calls that
 * are never undone (forced removal, teardown), what their success leaves. */
static const struct state *failure_state(enum action a, const struct state *before,
					 const struct state *ref)
{
	return (a == ACT_REMOVE_FORCED || a == ACT_DESTROY || a == ACT_CTX_DESTROY) ? ref
										     : before;
}

static void sweep_one(const struct scenario *s, enum action a, enum spapr_model_op op,
		      unsigned int nth, enum mode mode, int e, const struct state *ref,
		      struct totals *t)
{
	struct spapr_dma_error err = { 0 };
	struct state zero, before, after;
	const struct state *want;
	struct run r;
	char msg[256];
	bool clean, leak = false;
	int rc;

	if (setup(&r, s, a, &zero)) {
		T_CHECK(!"setup failed");
		world_fini(&r.w);
		return;
	}
	state_take(&r, &before);
	r.fb.undo = mode == MODE_UNDO_FIRST ? FB_UNDO_FIRST :
		    mode == MODE_UNDO_ALL ? FB_UNDO_ALL : FB_UNDO_OK;
	T_ERR(spapr_model_fault_inject(r.w.m, op, nth, e,
				       mode == MODE_PERSISTENT ? 1u << 30 : 1), 0);
	rc = act(&r, a, &err);
	t->cases++;
	t->injected += spapr_model_faults_fired(r.w.m) > 0;
	spapr_model_fault_clear(r.w.m);
	r.fb.undo = FB_UNDO_OK;
	state_take(&r, &after);
	want = failure_state(a, &before, ref);
	if (a == ACT_CTX_DESTROY)
		after.containers = zero.containers;
	if (!rc) {
		clean = verify_success(&r, a, &zero) == 0 &&
			(want != ref || state_eq(ref, &after));
	} else if (err.outcome == SPAPR_DMA_OUTCOME_CLEAN) {
		clean = state_eq(want, &after) && error_well_formed(&err) &&
			(mode != MODE_ONCE || internal_op(op) || err.err == e);
	} else {
		clean = false;
		leak = leak_covers(want, &after, &err) && error_well_formed(&err);
	}
	/* A device can still reach memory the engine says is gone only when
	 * the error says so. */
	if (clean)
		t->clean++;
	else if (leak)
		t->leak++;
	else
		t->unclean++;
	T_CHECK(clean || leak);
	T_ERR(spapr_model_check_invariants(r.w.m, msg, sizeof(msg)), 0);
	if (!clean && !leak)
		fprintf(stderr, "  UNCLEAN %s/%s %s: %s #%u %s %s -> rc %d step %s outcome %d "
			"(%s)\n", s->profile, layout_name(s->lay), act_names[a],
			spapr_model_op_name(op), nth, mode_names[mode], strerror(e), rc, err.step,
			err.outcome, err.leak.what);
	if (!clean && !leak && getenv("DMA_TEST_VERBOSE"))
		fprintf(stderr, "    want locked %llu regions %u orphans %u windows %u tces %llu "
			"handles %u; got %llu %u %u %u %llu %u\n",
			(unsigned long long)want->locked, want->regions, want->orphans,
			want->windows, (unsigned long long)want->tces, want->handles,
			(unsigned long long)after.locked, after.regions, after.orphans,
			after.windows, (unsigned long long)after.tces, after.handles);
	world_fini(&r.w);
}

/* The @k-th of the indices swept for an op called @calls times. */
static unsigned int index_of(unsigned int calls, unsigned int k)
{
	if (calls <= SWEEP_INDEX_CAP)
		return k + 1;
	return 1 + (unsigned int)((uint64_t)k * (calls - 1) / (SWEEP_INDEX_CAP - 1));
}

static const int once_errnos[] = { EIO, ENOMEM, EINVAL };

static void sweep(const struct scenario *s, enum action a, struct totals *all)
{
	struct spapr_model_counters mc;
	struct totals t = { 0 };
	unsigned int o, k, calls, m, x;
	struct state ref;

	if (reference(s, a, &mc, &ref)) {
		T_CHECK(!"the action fails without faults");
		return;
	}
	for (o = 0; o < SPAPR_MODEL_OP_COUNT; o++) {
		calls = (unsigned int)mc.ops[o];
		for (k = 0; k < calls && k < SWEEP_INDEX_CAP; k++)
			for (m = 0; m < MODE_COUNT; m++)
				for (x = 0; x < (m == MODE_ONCE ? 3u : 1u); x++)
					sweep_one(s, a, (enum spapr_model_op)o, index_of(calls, k),
						  (enum mode)m, once_errnos[x], &ref, &t);
	}
	printf("  %-26s %-9s %-13s %5u faults: %5u clean, %4u reported leak, %u unclean\n",
	       s->profile, layout_name(s->lay), act_names[a], t.injected, t.clean, t.leak,
	       t.unclean);
	T_CHECK(t.cases > 0);
	all->cases += t.cases;
	all->injected += t.injected;
	all->clean += t.clean;
	all->leak += t.leak;
	all->unclean += t.unclean;
}

static const struct scenario scenarios[] = {
	{ "powernv9", LAY_2M_1G, SPAPR_DMA_MODE_AUTO, 1 * GiB, 21 },
	{ "powernv9", LAY_MIXED, SPAPR_DMA_MODE_INDIRECT, 1 * GiB, 21 },
	{ "powernv8", LAY_1G_4G, SPAPR_DMA_MODE_AUTO, 1 * GiB, 30 },
	{ "pseries-kvm", LAY_2M_1G, SPAPR_DMA_MODE_AUTO, 1 * GiB, 21 },
	{ "pseries-powervm-sriov-vf", LAY_2M_1G, SPAPR_DMA_MODE_AUTO, 512 * MiB, 21 },
	{ "pseries-noddw", LAY_SYS_1G, SPAPR_DMA_MODE_AUTO, 0, 16 },
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* pseries allows one group per container (trap §10.15), and the 1 GiB
 * default window of pseries-noddw has no room to hotplug. */
static bool applies(const struct scenario *s, enum action a)
{
	if (!strcmp(s->profile, "pseries-noddw") && a != ACT_CREATE && a != ACT_ATTACH &&
	    a != ACT_DESTROY && a != ACT_CTX_DESTROY)
		return false;
	return true;
}

int main(int argc, char **argv)
{
	struct totals all = { 0 };
	struct timespec t0, t1;
	unsigned int i, a, a0 = 0, a1 = ACT_COUNT;

	/* "test_dma_fault ACTION": one action (meson runs them in parallel). */
	for (a = 0; argc > 1 && a < ACT_COUNT; a++)
		if (!strcmp(argv[1], act_names[a]))
			a0 = a, a1 = a + 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (a = a0; a < a1; a++)
		for (i = 0; i < NSCEN; i++)
			if (applies(&scenarios[i], (enum action)a))
				sweep(&scenarios[i], (enum action)a, &all);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("fault sweep: %u cases, %u faults injected: %u clean, %u reported leak, "
	       "%u unclean (%.1f s)\n", all.cases, all.injected, all.clean, all.leak, all.unclean,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	T_EQ(all.unclean, 0);
	return t_finish();
}
