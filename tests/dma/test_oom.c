/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_oom.c - out of memory. The executable is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, which also redirects the
 * references of the static libraries' objects linked into it (lib/dma and
 * the host model). While an action runs, its N-th allocation fails, for
 * N = 0, 1, ... until the action makes fewer than N + 1 allocations. Only
 * the engine's allocations fail: the model stands for the kernel, whose
 * failures the fault sweep (test_fault.c) covers, so every backend call
 * runs with the injector off. Every
 * failing call must return -ENOMEM, step "memory", a message saying out of
 * memory for what, leave
 * outcome CLEAN and the host state (locked_vm, registrations, TCEs,
 * windows) and the engine (containers, their mappings) as before, and the
 * same call made again without a failure must succeed.
 */
#include <stdlib.h>

#include "dma_layouts.h"
#include "dma_world.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static bool oom_armed;
static unsigned long oom_calls, oom_fail_at;

/* Counts allocations while armed; the oom_fail_at-th one fails. */
static bool oom_fail_now(void)
{
	return oom_armed && oom_calls++ == oom_fail_at;
}

void *__wrap_malloc(size_t n)
{
	return oom_fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return oom_fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return oom_fail_now() ? NULL : __real_realloc(p, n);
}

/* The model's backend with the injector off in every call. */
static struct spapr_backend *oom_inner;

#define OOM_FORWARD(op, params, args)                                          \
	static int oom_##op params                                             \
	{                                                                      \
		bool armed = oom_armed;                                        \
		(void)be;                                                      \
		int rc;                                                        \
									       \
		oom_armed = false;                                             \
		rc = oom_inner->ops->op args;                                  \
		oom_armed = armed;                                             \
		return rc;                                                     \
	}

OOM_FORWARD(container_open, (struct spapr_backend *be), (oom_inner))
OOM_FORWARD(group_open, (struct spapr_backend *be, int g), (oom_inner, g))
OOM_FORWARD(close, (struct spapr_backend *be, int h), (oom_inner, h))
OOM_FORWARD(group_get_status, (struct spapr_backend *be, int g, uint32_t *f), (oom_inner, g, f))
OOM_FORWARD(group_set_container, (struct spapr_backend *be, int g, int c), (oom_inner, g, c))
OOM_FORWARD(group_unset_container, (struct spapr_backend *be, int g), (oom_inner, g))
OOM_FORWARD(check_extension, (struct spapr_backend *be, int c, uint32_t e), (oom_inner, c, e))
OOM_FORWARD(set_iommu, (struct spapr_backend *be, int c, uint32_t t), (oom_inner, c, t))
OOM_FORWARD(get_info, (struct spapr_backend *be, int c, struct vfio_iommu_spapr_tce_info *i),
	    (oom_inner, c, i))
OOM_FORWARD(register_memory,
	    (struct spapr_backend *be, int c, struct vfio_iommu_spapr_register_memory *r),
	    (oom_inner, c, r))
OOM_FORWARD(unregister_memory,
	    (struct spapr_backend *be, int c, struct vfio_iommu_spapr_register_memory *r),
	    (oom_inner, c, r))
OOM_FORWARD(tce_create, (struct spapr_backend *be, int c, struct vfio_iommu_spapr_tce_create *t),
	    (oom_inner, c, t))
OOM_FORWARD(tce_remove, (struct spapr_backend *be, int c, struct vfio_iommu_spapr_tce_remove *t),
	    (oom_inner, c, t))
OOM_FORWARD(map_dma, (struct spapr_backend *be, int c, struct vfio_iommu_type1_dma_map *m),
	    (oom_inner, c, m))
OOM_FORWARD(unmap_dma, (struct spapr_backend *be, int c, struct vfio_iommu_type1_dma_unmap *u),
	    (oom_inner, c, u))
OOM_FORWARD(enable, (struct spapr_backend *be, int c), (oom_inner, c))
OOM_FORWARD(disable, (struct spapr_backend *be, int c), (oom_inner, c))
OOM_FORWARD(eeh_pe_op, (struct spapr_backend *be, int c, struct vfio_eeh_pe_op *o),
	    (oom_inner, c, o))
OOM_FORWARD(host_info, (struct spapr_backend *be, struct spapr_backend_host *o), (oom_inner, o))
OOM_FORWARD(locked_bytes, (struct spapr_backend *be, uint64_t *b), (oom_inner, b))

static const struct spapr_backend_ops oom_ops = {
	.container_open = oom_container_open,
	.group_open = oom_group_open,
	.close = oom_close,
	.group_get_status = oom_group_get_status,
	.group_set_container = oom_group_set_container,
	.group_unset_container = oom_group_unset_container,
	.check_extension = oom_check_extension,
	.set_iommu = oom_set_iommu,
	.get_info = oom_get_info,
	.register_memory = oom_register_memory,
	.unregister_memory = oom_unregister_memory,
	.tce_create = oom_tce_create,
	.tce_remove = oom_tce_remove,
	.map_dma = oom_map_dma,
	.unmap_dma = oom_unmap_dma,
	.enable = oom_enable,
	.disable = oom_disable,
	.eeh_pe_op = oom_eeh_pe_op,
	.host_info = oom_host_info,
	.locked_bytes = oom_locked_bytes,
};

static struct spapr_backend oom_be = { .ops = &oom_ops, .name = "model" };

static struct spapr_dma_mem_region R[LAYOUT_MAX_REGIONS];

enum oom_action { OOM_CREATE, OOM_CREATE_SECOND, OOM_ADD, OOM_REMOVE, OOM_ACTION_COUNT };

static const char *const oom_action_names[OOM_ACTION_COUNT] = {
	"create", "create-second", "add", "remove",
};

struct oom_run {
	struct world w;
	struct spapr_dma_mem_region hot;
	unsigned int n;
};

/* What a failed call must leave as it was. */
struct oom_state {
	struct snap host;
	unsigned int containers;
	struct spapr_dma_stats st[2];	/* op counts zeroed: an undo adds to them */
};

static void oom_state_take(struct oom_run *r, struct oom_state *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	snap_take(&r->w, &s->host);
	s->containers = spapr_dma_ctx_containers(r->w.ctx);
	for (i = 0; i < s->containers && i < 2; i++) {
		spapr_dma_container_stats(spapr_dma_ctx_container(r->w.ctx, i), &s->st[i]);
		s->st[i].kernel_ops = 0;
		memset(s->st[i].ops, 0, sizeof(s->st[i].ops));
	}
}

static int oom_create(struct oom_run *r, int group, struct spapr_dma_error *err)
{
	struct spapr_dma_container *c;

	return spapr_dma_container_create(r->w.ctx, &oom_be, &group, 1, &c, err);
}

static int oom_setup(struct oom_run *r, enum spapr_dma_mode mode, enum oom_action a)
{
	struct spapr_dma_policy pol = { .mode = mode, .indirect_reserve = 4 * GiB,
					.direct_top = 0x7000000000ull + 1 * GiB };

	memset(r, 0, sizeof(*r));
	if (world_init(&r->w, "powernv9", &pol))
		return -1;
	oom_inner = r->w.be;
	r->n = layout_fill(LAY_MIXED, r->w.prof.system_page_shift, R);
	regions_fill(&r->hot, 1, 0x7000000000ull, 1 * GiB, 21);
	if (world_map_mem(&r->w, R, r->n) || world_map_mem(&r->w, &r->hot, 1) ||
	    spapr_dma_mem_add(r->w.ctx, R, r->n, NULL))
		return -1;
	if (a != OOM_CREATE && oom_create(r, 0, NULL))
		return -1;
	if (a == OOM_REMOVE && spapr_dma_mem_add(r->w.ctx, &r->hot, 1, NULL))
		return -1;
	return 0;
}

static int oom_act(struct oom_run *r, enum oom_action a, struct spapr_dma_error *err)
{
	switch (a) {
	case OOM_CREATE:
		return oom_create(r, 0, err);
	case OOM_CREATE_SECOND:
		return oom_create(r, 1, err);
	case OOM_ADD:
		return spapr_dma_mem_add(r->w.ctx, &r->hot, 1, err);
	case OOM_REMOVE:
		return spapr_dma_mem_remove(r->w.ctx, r->hot.va, r->hot.len, err);
	default:
		return -EINVAL;
	}
}

struct oom_totals {
	unsigned int cases, failed, unnamed, wrong_errno, unclean, no_retry;
};

/* One case: the @at-th allocation of @a fails. False once @a made fewer allocations. */
static bool oom_case(enum spapr_dma_mode mode, enum oom_action a, unsigned long at,
		     struct oom_totals *t)
{
	struct oom_state before, after;
	struct spapr_dma_error err;
	struct oom_run r;
	bool hit;
	int rc;

	if (oom_setup(&r, mode, a)) {
		T_FAIL_AT("setup of %s failed", oom_action_names[a]);
		return false;
	}
	oom_state_take(&r, &before);
	oom_calls = 0;
	oom_fail_at = at;
	oom_armed = true;
	rc = oom_act(&r, a, &err);
	oom_armed = false;
	hit = oom_calls > at;
	t->cases += hit;
	if (rc) {
		t->failed++;
		if (getenv("DMA_TEST_VERBOSE"))
			fprintf(stderr, "  %s mode %d allocation %lu: %s: %s\n", oom_action_names[a],
				mode, at, err.step, err.message);
		oom_state_take(&r, &after);
		if (!strstr(err.message, "out of memory") || err.step_id != SPAPR_DMA_STEP_MEMORY) {
			t->unnamed++;
			fprintf(stderr, "  %s mode %d allocation %lu: rc %d, not an out-of-memory message: %s: %s\n",
				oom_action_names[a], mode, at, rc, err.step, err.message);
		}
		if (rc != -ENOMEM) {
			t->wrong_errno++;
			fprintf(stderr, "  %s mode %d allocation %lu: rc %d (%s)\n",
				oom_action_names[a], mode, at, rc, err.message);
		}
		if (err.outcome != SPAPR_DMA_OUTCOME_CLEAN || memcmp(&before, &after, sizeof(before))) {
			t->unclean++;
			fprintf(stderr, "  %s mode %d allocation %lu: state changed (%s)\n",
				oom_action_names[a], mode, at, err.message);
		} else if (oom_act(&r, a, &err)) {
			t->no_retry++;
			fprintf(stderr, "  %s mode %d allocation %lu: retry failed: %s\n",
				oom_action_names[a], mode, at, err.message);
		}
	}
	world_fini(&r.w);
	return hit;
}

static void oom_sweep(enum spapr_dma_mode mode)
{
	struct oom_totals t = { 0 };
	enum oom_action a;
	unsigned long at;

	for (a = 0; a < OOM_ACTION_COUNT; a++)
		for (at = 0; oom_case(mode, a, at, &t); at++)
			;
	printf("mode %d: %u failed allocations, %u calls failed: %u without an out-of-memory message, "
	       "%u not -ENOMEM, %u unclean, %u failed on retry\n",
	       mode, t.cases, t.failed, t.unnamed, t.wrong_errno, t.unclean, t.no_retry);
	T_CHECK(t.cases > 0 && t.failed > 0);
	T_EQ(t.unnamed, 0);
	T_EQ(t.wrong_errno, 0);
	T_EQ(t.unclean, 0);
	T_EQ(t.no_retry, 0);
}

static void test_oom_direct(void)
{
	oom_sweep(SPAPR_DMA_MODE_DIRECT);
}

static void test_oom_indirect(void)
{
	oom_sweep(SPAPR_DMA_MODE_INDIRECT);
}

int main(void)
{
	T_RUN(test_oom_direct);
	T_RUN(test_oom_indirect);
	return t_finish();
}
