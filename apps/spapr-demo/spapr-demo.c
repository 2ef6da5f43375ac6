/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr-demo - the mapping engine end to end on the host model.
 *
 * Declares a DPDK-like memory layout on a model POWER host, prints what the
 * container reports (GET_INFO), the plan with every candidate considered,
 * runs the engine (window, one-time registration, mapping), checks every
 * IOMMU page from the device side, prints the kernel-operation counters,
 * tears everything down and shows locked_vm back at its starting value.
 *
 *   spapr-demo [--profile NAME|FILE] [--mem SIZE] [--page SIZE]
 *              [--policy auto|direct|indirect] [--memlock SIZE]
 */
#include <getopt.h>

#include "app_common.h"

struct opts {
	const char *profile;
	uint64_t mem, page, memlock;
	enum spapr_dma_mode policy;
};

static void usage(void)
{
	printf("usage: spapr-demo [--profile NAME|FILE] [--mem SIZE] [--page SIZE]\n"
	       "                  [--policy auto|direct|indirect] [--memlock SIZE]\n"
	       "profiles:");
	for (const char *const *n = spapr_model_profile_names(); *n; n++)
		printf(" %s", *n);
	printf("\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "profile", required_argument, 0, 'p' }, { "mem", required_argument, 0, 'm' },
		{ "page", required_argument, 0, 'g' },	  { "policy", required_argument, 0, 'y' },
		{ "memlock", required_argument, 0, 'l' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	*o = (struct opts){ "powernv9", 1 * GiB, 2 * MiB, 0, SPAPR_DMA_MODE_AUTO };
	while ((c = getopt_long(argc, argv, "p:m:g:y:l:h", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o->profile = optarg; break;
		case 'm': o->mem = app_parse_size(optarg); break;
		case 'g': o->page = app_parse_size(optarg); break;
		case 'l': o->memlock = app_parse_size(optarg); break;
		case 'y':
			if (!strcmp(optarg, "auto"))
				o->policy = SPAPR_DMA_MODE_AUTO;
			else if (!strcmp(optarg, "direct"))
				o->policy = SPAPR_DMA_MODE_DIRECT;
			else if (!strcmp(optarg, "indirect"))
				o->policy = SPAPR_DMA_MODE_INDIRECT;
			else
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (!o->mem || !o->page || (o->page & (o->page - 1)) || o->mem % o->page)
		return -1;
	return 0;
}

/* GET_INFO on a throwaway container, as a tool would show it. */
static int probe_info(struct spapr_backend *be, struct vfio_iommu_spapr_tce_info *info)
{
	int c = be->ops->container_open(be), g = be->ops->group_open(be, 0), rc;

	rc = (c < 0 || g < 0) ? -ENODEV : be->ops->group_set_container(be, g, c);
	if (!rc)
		rc = be->ops->set_iommu(be, c, VFIO_SPAPR_TCE_v2_IOMMU);
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	if (!rc)
		rc = be->ops->get_info(be, c, info);
	if (g >= 0) {
		be->ops->group_unset_container(be, g);
		be->ops->close(be, g);
	}
	if (c >= 0)
		be->ops->close(be, c);
	return rc;
}

static void print_info(const struct vfio_iommu_spapr_tce_info *i)
{
	char a[16];

	printf("GET_INFO: flags=0x%x (%s) dma32=[0x%x, +%s)\n", i->flags,
	       i->flags & VFIO_IOMMU_SPAPR_INFO_DDW ? "DDW" : "no DDW", i->dma32_window_start,
	       app_size(i->dma32_window_size, a, sizeof(a)));
	printf("          ddw.pgsizes=0x%llx (", (unsigned long long)i->ddw.pgsizes);
	for (unsigned int b = 12; b < 40; b++)
		if ((i->ddw.pgsizes >> b) & 1)
			printf(" %s", app_size(1ull << b, a, sizeof(a)));
	printf(" ) max_dynamic_windows=%u levels=%u\n", i->ddw.max_dynamic_windows_supported,
	       i->ddw.levels);
}

/* Every IOMMU page of every region: whole-range permission check plus the
 * translation of each page's first and last byte. Returns failures. */
static unsigned long verify(struct spapr_model *m, struct spapr_dma_container *c,
			    const struct spapr_dma_mem_region *r, int n, uint64_t *pages)
{
	unsigned long bad = 0;
	unsigned int ps;

	spapr_dma_container_window(c, NULL, NULL, &ps);
	for (int i = 0; i < n; i++) {
		uint64_t iova = spapr_dma_iova(c, r[i].va), pg = 1ull << ps;
		struct spapr_model_xlat x;

		if (iova == SPAPR_DMA_BAD_IOVA ||
		    spapr_model_dma_check(m, 0, iova, r[i].len,
					  SPAPR_MODEL_DMA_READ | SPAPR_MODEL_DMA_WRITE, NULL)) {
			bad++;
			continue;
		}
		for (uint64_t off = 0; off < r[i].len; off += pg, (*pages)++) {
			uint64_t pa;

			spapr_model_mm_va_to_pa(m, 0, r[i].va + off, &pa);
			if (spapr_model_dma_check(m, 0, iova + off, 1, SPAPR_MODEL_DMA_READ, &x) ||
			    x.hpa != pa ||
			    spapr_model_dma_check(m, 0, iova + off + pg - 1, 1,
						  SPAPR_MODEL_DMA_WRITE, &x) ||
			    x.hpa != pa + pg - 1)
				bad++;
		}
	}
	return bad;
}

static void print_counters(struct spapr_model *m, const struct spapr_dma_stats *st)
{
	struct spapr_model_counters mc;
	char a[16], b[16];

	spapr_model_counters(m, &mc);
	printf("kernel operations (model counters): ioctls=%llu", (unsigned long long)mc.ioctls);
	for (int op = 0; op < SPAPR_MODEL_OP_LEVEL_ALLOC; op++)
		if (mc.ops[op] && op != SPAPR_MODEL_OP_CONTAINER_OPEN &&
		    op != SPAPR_MODEL_OP_GROUP_OPEN)
			printf(" %s=%llu", spapr_model_op_name((enum spapr_model_op)op),
			       (unsigned long long)mc.ops[op]);
	printf("\n  region-list visits=%llu TCE writes=%llu invalidations=%llu hcalls=%llu "
	       "pages pinned=%llu table bytes charged=%s\n",
	       (unsigned long long)mc.region_visits, (unsigned long long)mc.tce_writes,
	       (unsigned long long)mc.invalidations, (unsigned long long)mc.hcalls,
	       (unsigned long long)mc.pages_pinned, app_size(mc.table_bytes_charged, a, 16));
	printf("engine stats: windows=%u TCEs in use=%llu registered=%s mapped=%s "
	       "registrations=%u mappings=%u kernel ops=%llu\n", st->windows,
	       (unsigned long long)st->tces_in_use, app_size(st->bytes_registered, a, 16),
	       app_size(st->bytes_mapped, b, 16), st->registrations, st->mappings,
	       (unsigned long long)st->kernel_ops);
}

/* Print GET_INFO, the memory and the plan the pure planner makes. */
static int show_plan(const struct opts *o, struct spapr_model *m,
		     const struct spapr_dma_platform *plat, const struct spapr_dma_policy *pol,
		     struct spapr_dma_mem_region **r)
{
	struct vfio_iommu_spapr_tce_info info;
	struct spapr_dma_caps caps;
	struct spapr_dma_plan plan;
	unsigned int lists = o->mem / o->page >= 4 ? 4 : 1;
	static char text[16384];
	char a[16], b[16];
	int n, rc;

	if ((rc = probe_info(spapr_model_backend(m), &info))) {
		printf("GET_INFO failed: %s\n", strerror(-rc));
		return rc;
	}
	print_info(&info);
	n = app_layout(m, o->mem, o->page, lists, r);
	if (n < 0) {
		printf("cannot lay out %s of %s pages: %s\n", app_size(o->mem, a, 16),
		       app_size(o->page, b, 16), strerror(-n));
		return n;
	}
	printf("memory: %s of %s pages in %u memseg list(s), %d memsegs\n",
	       app_size(o->mem, a, 16), app_size(o->page, b, 16), lists, n);
	spapr_dma_caps_from_info(&info, plat, &caps);
	spapr_dma_plan_make(&caps, *r, (unsigned int)n, pol, &plan);
	spapr_dma_plan_format(&plan, text, sizeof(text));
	printf("%s", text);
	return n;
}

/* Tear down and print the summary line. Returns 0 when everything held. */
static int finish(struct spapr_model *m, struct spapr_dma_container *c, unsigned long bad,
		  const struct spapr_dma_stats *st)
{
	const struct spapr_model_profile *p = spapr_model_get_profile(m);
	struct spapr_model_mm_info mi;
	struct spapr_dma_error err;
	struct spapr_dma_plan plan;
	uint64_t start, size;
	unsigned int ps;
	char a[16];
	int rc;

	spapr_dma_container_plan(c, &plan);
	spapr_dma_container_window(c, &start, &size, &ps);
	spapr_model_mm_info(m, 0, &mi);
	printf("locked_vm while mapped: %s\n",
	       app_size(mi.locked_vm_pages << p->system_page_shift, a, 16));
	rc = spapr_dma_container_destroy(c, &err);
	spapr_model_mm_info(m, 0, &mi);
	printf("teardown: %s, locked_vm now %s, registered regions %u\n", rc ? "FAILED" : "ok",
	       app_size(mi.locked_vm_pages << p->system_page_shift, a, 16), mi.regions);
	printf("summary: profile=%s mode=%s window=0x%llx+0x%llx page=%s levels=%u ioctls=%llu "
	       "dma_check=%s\n", p->name, plan.mode == SPAPR_DMA_MODE_DIRECT ? "direct" : "indirect",
	       (unsigned long long)start, (unsigned long long)size, app_size(1ull << ps, a, 16),
	       plan.levels, (unsigned long long)st->kernel_ops,
	       (!bad && !rc && !mi.locked_vm_pages) ? "ok" : "fail");
	return bad || rc || mi.locked_vm_pages ? -1 : 0;
}

static int run(const struct opts *o, struct spapr_model *m)
{
	const struct spapr_model_profile *p = spapr_model_get_profile(m);
	struct spapr_dma_policy pol = { .mode = o->policy, .memlock_limit = o->memlock };
	struct spapr_dma_mem_region *r = NULL;
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_platform plat;
	struct spapr_dma_error err;
	struct spapr_dma_stats st;
	struct spapr_dma_plan plan;
	struct spapr_dma_ctx *ctx;
	uint64_t start, size, pages = 0;
	unsigned int ps;
	unsigned long bad;
	int n, group = 0, rc;
	char text[1024], a[16];

	printf("profile %s: %s\n", p->name, p->description);
	spapr_dma_platform_from_backend(spapr_model_backend(m), &plat);
	n = show_plan(o, m, &plat, &pol, &r);
	if (n < 0)
		return n;
	spapr_model_counters_reset(m);
	ctx = spapr_dma_ctx_create(&plat, &pol);
	if (!ctx || (rc = spapr_dma_mem_add(ctx, r, (unsigned int)n, &err)) ||
	    (rc = spapr_dma_container_create(ctx, spapr_model_backend(m), &group, 1, &c, &err))) {
		spapr_dma_error_format(&err, text, sizeof(text));
		printf("engine failed: %s\n", text);
		printf("summary: profile=%s mode=none dma_check=fail\n", p->name);
		spapr_dma_ctx_destroy(ctx);
		free(r);
		return -1;
	}
	spapr_dma_container_plan(c, &plan);
	spapr_dma_container_window(c, &start, &size, &ps);
	printf("engine: window 0x%llx+0x%llx, %s TCEs, %u level(s)\n", (unsigned long long)start,
	       (unsigned long long)size, app_size(1ull << ps, a, 16), plan.levels);
	if (plan.explain.remedy[0])
		printf("  note: %s\n", plan.explain.remedy);
	spapr_dma_container_stats(c, &st);
	print_counters(m, &st);
	bad = verify(m, c, r, n, &pages);
	printf("device-side check: %llu IOMMU pages, %lu failures\n", (unsigned long long)pages, bad);
	rc = finish(m, c, bad, &st);
	spapr_dma_ctx_destroy(ctx);
	free(r);
	return rc;
}

int main(int argc, char **argv)
{
	struct spapr_model_profile prof;
	struct spapr_model *m;
	struct opts o;
	char err[256];
	int rc;

	if (parse(argc, argv, &o)) {
		usage();
		return 2;
	}
	if (spapr_model_profile_resolve(o.profile, &prof, err, sizeof(err))) {
		fprintf(stderr, "spapr-demo: profile %s: %s\n", o.profile, err);
		return 2;
	}
	if (o.memlock)
		prof.memlock_limit = o.memlock;
	m = spapr_model_create(&prof);
	if (!m) {
		fprintf(stderr, "spapr-demo: cannot create the model\n");
		return 1;
	}
	rc = run(&o, m);
	spapr_model_destroy(m);
	return rc ? 1 : 0;
}
