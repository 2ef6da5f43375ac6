/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fault.c - fault-injection sweep: for each scenario, make each backend
 * call of the operation under test fail in turn (every call index of every
 * op, several errnos). After a failed call the process's locked_vm,
 * registrations, TCEs in use and open windows must equal their values
 * before the call, and the error must name the failing step. When the
 * engine recovers by itself (a refused CREATE falls back to a smaller or
 * the default window) the result must still DMA correctly.
 */
#include "dma_layouts.h"
#include "dma_world.h"

static struct spapr_dma_mem_region R[LAYOUT_MAX_REGIONS + 4];

enum action { ACT_CREATE, ACT_CREATE_SECOND, ACT_ADD, ACT_REMOVE, ACT_ADD_TWO, ACT_COUNT };

struct scenario {
	const char *profile;
	enum layout_id lay;
	enum spapr_dma_mode mode;
	uint64_t reserve;		/* indirect IOVA room for the hotplug */
	unsigned int hot_shift;		/* page of the hotplugged GiB */
};

static const enum spapr_model_op sweep_ops[] = {
	SPAPR_MODEL_OP_CONTAINER_OPEN, SPAPR_MODEL_OP_GROUP_OPEN,
	SPAPR_MODEL_OP_GROUP_SET_CONTAINER, SPAPR_MODEL_OP_SET_IOMMU,
	SPAPR_MODEL_OP_GET_INFO, SPAPR_MODEL_OP_REGISTER_MEMORY,
	SPAPR_MODEL_OP_UNREGISTER_MEMORY, SPAPR_MODEL_OP_TCE_CREATE,
	SPAPR_MODEL_OP_TCE_REMOVE, SPAPR_MODEL_OP_MAP_DMA, SPAPR_MODEL_OP_UNMAP_DMA,
};
static const int sweep_errnos[] = { EIO, ENOMEM, EINVAL };

struct run {
	struct world w;
	unsigned int n;		/* regions of the base layout */
	struct spapr_dma_mem_region hot;	/* hotplugged region */
	struct spapr_dma_container *c1, *c2;
};

/* Build the state before the action (no faults armed). */
static int setup(struct run *r, const struct scenario *s, enum action a)
{
	struct spapr_dma_policy pol = { .mode = s->mode, .indirect_reserve = s->reserve,
					.direct_top = 0x7000000000ull + 256 * MiB };
	int g0 = 0, g1 = 1;

	memset(r, 0, sizeof(*r));
	if (world_init(&r->w, s->profile, &pol))
		return -1;
	r->n = layout_fill(s->lay, r->w.prof.system_page_shift, R);
	regions_fill(&r->hot, 1, 0x7000000000ull, s->reserve ? s->reserve : 1 * GiB,
		     s->hot_shift);
	if (world_map_mem(&r->w, R, r->n) || world_map_mem(&r->w, &r->hot, 1) ||
	    spapr_dma_mem_add(r->w.ctx, R, r->n, NULL))
		return -1;
	if (a == ACT_CREATE)
		return 0;
	if (spapr_dma_container_create(r->w.ctx, r->w.be, &g0, 1, &r->c1, NULL))
		return -1;
	if (a == ACT_REMOVE)
		return spapr_dma_mem_add(r->w.ctx, &r->hot, 1, NULL);
	if (a == ACT_ADD_TWO)
		return spapr_dma_container_create(r->w.ctx, r->w.be, &g1, 1, &r->c2, NULL);
	return 0;
}

static int act(struct run *r, enum action a, struct spapr_dma_error *err)
{
	int g0 = 0, g1 = 1;

	switch (a) {
	case ACT_CREATE:
		return spapr_dma_container_create(r->w.ctx, r->w.be, &g0, 1, &r->c1, err);
	case ACT_CREATE_SECOND:
		return spapr_dma_container_create(r->w.ctx, r->w.be, &g1, 1, &r->c2, err);
	case ACT_ADD:
	case ACT_ADD_TWO:
		return spapr_dma_mem_add(r->w.ctx, &r->hot, 1, err);
	case ACT_REMOVE:
		return spapr_dma_mem_remove(r->w.ctx, r->hot.va, r->hot.len, err);
	default:
		return -EINVAL;
	}
}

/* Calls of @op the action makes when nothing fails. */
static unsigned int calls_of(const struct scenario *s, enum action a, enum spapr_model_op op)
{
	struct spapr_model_counters mc;
	struct run r;
	unsigned int n = 0;

	if (!setup(&r, s, a)) {
		spapr_model_counters_reset(r.w.m);
		if (!act(&r, a, NULL)) {
			spapr_model_counters(r.w.m, &mc);
			n = (unsigned int)mc.ops[op];
		}
	}
	world_fini(&r.w);
	return n;
}

/* After a success (possibly after a fallback): every byte still reachable. */
static unsigned int verify_success(struct run *r, enum action a)
{
	unsigned int bad = 0, n = r->n;

	if (a == ACT_ADD || a == ACT_ADD_TWO)
		R[n++] = r->hot;
	if (r->c1)
		bad += verify_all(&r->w, 0, r->c1, R, n, 16);
	if (r->c2)
		bad += verify_all(&r->w, 1, r->c2, R, n, 16);
	return bad;
}

static void sweep_one(const struct scenario *s, enum action a, enum spapr_model_op op,
		      unsigned int nth, int e, unsigned int *failed, unsigned int *recovered)
{
	struct spapr_dma_error err = { 0 };
	struct snap before, after;
	struct run r;
	char msg[256];
	int rc, t0 = t_failures;

	if (setup(&r, s, a)) {
		T_CHECK(!"setup failed");
		world_fini(&r.w);
		return;
	}
	snap_take(&r.w, &before);
	T_ERR(spapr_model_fault_inject(r.w.m, op, nth, e, 1), 0);
	rc = act(&r, a, &err);
	spapr_model_fault_clear(r.w.m);
	snap_take(&r.w, &after);
	if (rc) {
		(*failed)++;
		T_CHECK(snap_eq(&before, &after));
		T_EQ(err.err, e);
		T_CHECK(err.step[0] != 0 && err.remedy[0] != 0);
		/* The id names the same step; an injected kernel failure is never
		 * the planner's (before any kernel call). */
		T_CHECK(!strcmp(spapr_dma_step_name(err.step_id), err.step));
		T_CHECK(err.step_id != SPAPR_DMA_STEP_NONE && err.step_id != SPAPR_DMA_STEP_PLAN);
	} else {
		(*recovered)++;
		T_EQ(verify_success(&r, a), 0);
	}
	T_ERR(spapr_model_check_invariants(r.w.m, msg, sizeof(msg)), 0);
	if (t_failures != t0)
		fprintf(stderr, "  %s/%s action %d: %s #%u -> %s: rc %d step %s\n", s->profile,
			layout_name(s->lay), a, spapr_model_op_name(op), nth, strerror(e), rc,
			err.step);
	world_fini(&r.w);
}

static void sweep(const struct scenario *s, enum action a)
{
	unsigned int o, nth, k, calls, failed = 0, recovered = 0, total = 0;

	for (o = 0; o < sizeof(sweep_ops) / sizeof(sweep_ops[0]); o++) {
		calls = calls_of(s, a, sweep_ops[o]);
		for (nth = 1; nth <= calls; nth++)
			for (k = 0; k < sizeof(sweep_errnos) / sizeof(sweep_errnos[0]); k++) {
				sweep_one(s, a, sweep_ops[o], nth, sweep_errnos[k], &failed,
					  &recovered);
				total++;
			}
	}
	printf("  %-26s %-9s action %d: %3u faults, %3u failed cleanly, %3u recovered\n",
	       s->profile, layout_name(s->lay), a, total, failed, recovered);
	T_CHECK(total > 0);
	T_EQ(failed + recovered, total);
}

static const struct scenario scenarios[] = {
	{ "powernv9", LAY_2M_1G, SPAPR_DMA_MODE_AUTO, 1 * GiB, 21 },
	{ "powernv9", LAY_MIXED, SPAPR_DMA_MODE_INDIRECT, 1 * GiB, 21 },
	{ "powernv8", LAY_1G_4G, SPAPR_DMA_MODE_AUTO, 1 * GiB, 30 },
	{ "pseries-kvm", LAY_2M_1G, SPAPR_DMA_MODE_AUTO, 1 * GiB, 21 },
	{ "pseries-powervm-sriov-vf", LAY_2M_1G, SPAPR_DMA_MODE_AUTO, 512 * MiB, 21 },
	{ "pseries-noddw", LAY_SYS_1G, SPAPR_DMA_MODE_AUTO, 0, 16 },
};

static void test_sweep_create(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		sweep(&scenarios[i], ACT_CREATE);
}

static void test_sweep_second_container(void)
{
	sweep(&scenarios[0], ACT_CREATE_SECOND);
	sweep(&scenarios[3], ACT_CREATE_SECOND);
}

/* Hotplug into two containers: a failure in the second undoes the first. */
static void test_sweep_hotplug_two_containers(void)
{
	sweep(&scenarios[0], ACT_ADD_TWO);
	sweep(&scenarios[1], ACT_ADD_TWO);
	sweep(&scenarios[3], ACT_ADD_TWO);
}

static void test_sweep_hotplug(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!strcmp(scenarios[i].profile, "pseries-noddw"))
			continue;	/* the 1 GiB default window has no room to hotplug */
		sweep(&scenarios[i], ACT_ADD);
		sweep(&scenarios[i], ACT_REMOVE);
	}
}

int main(void)
{
	T_RUN(test_sweep_create);
	T_RUN(test_sweep_second_container);
	T_RUN(test_sweep_hotplug);
	T_RUN(test_sweep_hotplug_two_containers);
	return t_finish();
}
