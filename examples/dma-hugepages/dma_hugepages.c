/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_hugepages - lib/dma without DPDK, for programs with their own
 * userspace drivers.
 *
 * Allocates hugepage memory with libhugetlbfs, bound to a chosen NUMA node
 * with libnuma (before the first touch, so the pages come from that node),
 * asks lib/dma for a plan, maps the memory for one IOMMU group, prints the
 * IOVA of every hugepage, and tears everything down.
 *
 *   dma-hugepages --model PROFILE [--node N] [--size SIZE] [--policy P]  (host model)
 *   dma-hugepages --group N       [--node N] [--size SIZE] [--policy P]  (/dev/vfio/N)
 *
 * --policy auto|direct|indirect is the engine's mode (default auto). Memory
 * at a high VA makes a 1:1 window huge (trap §10.9): compare the plans.
 *
 * In model mode the model's device side then writes through each IOVA and the
 * program reads the bytes back from its own memory: the IOVAs are right.
 * Without free hugepages it says so and uses normal pages instead (then
 * TCEs are at most the system page, §3.5).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hugetlbfs.h>
#include <numa.h>
#include <numaif.h>

#include "spapr_dma.h"
#include "spapr_model.h"
#include "spapr_util.h"
#include "spapr_vfio.h"

struct opts {
	const char *model;	/* profile, or NULL for the real backend */
	int group, node;
	size_t size;
	enum spapr_dma_mode policy;
};

struct memory {
	void *va;
	size_t len;
	unsigned int page_shift;
	bool huge;
};

static size_t parse_size(const char *s)
{
	uint64_t v;

	return spapr_parse_size(s, &v) || v > SIZE_MAX ? 0 : (size_t)v;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "model", required_argument, 0, 'm' }, { "group", required_argument, 0, 'g' },
		{ "node", required_argument, 0, 'n' },	{ "size", required_argument, 0, 's' },
		{ "policy", required_argument, 0, 'p' }, { 0, 0, 0, 0 },
	};
	int c;

	*o = (struct opts){ NULL, -1, 0, 16u << 20, SPAPR_DMA_MODE_AUTO };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'g': o->group = atoi(optarg); break;
		case 'n': o->node = atoi(optarg); break;
		case 's': o->size = parse_size(optarg); break;
		case 'p':
			if (!strcmp(optarg, "direct"))
				o->policy = SPAPR_DMA_MODE_DIRECT;
			else if (!strcmp(optarg, "indirect"))
				o->policy = SPAPR_DMA_MODE_INDIRECT;
			else if (strcmp(optarg, "auto"))
				return -1;
			break;
		default: return -1;
		}
	}
	return (!o->model == (o->group < 0)) || !o->size ? -1 : 0;
}

/*
 * Hugepages from libhugetlbfs, bound to @node before first touch. Falls
 * back to normal pages aligned to @min_shift (the IOMMU side's system page).
 */
static int alloc_memory(const struct opts *o, unsigned int min_shift, struct memory *mem)
{
	long hp = gethugepagesize();
	size_t align = (size_t)1 << min_shift;

	mem->huge = false;
	if (hp > 0 && (size_t)hp >= align) {
		mem->len = (o->size + (size_t)hp - 1) / (size_t)hp * (size_t)hp;
		mem->va = get_huge_pages(mem->len, GHP_DEFAULT);
		mem->page_shift = (unsigned int)__builtin_ctzl((unsigned long)hp);
		mem->huge = mem->va != NULL;
	}
	if (!mem->huge) {
		printf("memory: no free hugepages (%s), using normal pages\n",
		       hp > 0 ? "get_huge_pages failed" : "no hugepage size");
		mem->len = (o->size + align - 1) / align * align;
		mem->page_shift = min_shift;
		if (posix_memalign(&mem->va, align, mem->len))
			return -ENOMEM;
	}
	if (numa_available() >= 0 && o->node <= numa_max_node())
		numa_tonode_memory(mem->va, mem->len, o->node);
	memset(mem->va, 0, mem->len);	/* first touch: pages come from @node now */
	return 0;
}

static void free_memory(struct memory *mem)
{
	if (mem->huge)
		free_huge_pages(mem->va);
	else
		free(mem->va);
}

static int page_node(void *p)
{
	int status = -1;

	if (numa_available() < 0 || numa_move_pages(0, 1, &p, NULL, &status, 0))
		return -1;
	return status;
}

static void backend_down(struct spapr_backend *be, struct spapr_model *m)
{
	if (m)
		spapr_model_destroy(m);
	else
		spapr_vfio_backend_destroy(be);
}

/* The backend: the host model of @p, or /dev/vfio (p NULL). The platform
 * lib/dma needs comes from it, the same way on both. NULL on failure. */
static struct spapr_backend *backend_up(const struct spapr_model_profile *p,
					struct spapr_model **m, struct spapr_dma_platform *plat)
{
	struct spapr_backend *be;
	int rc;

	*m = p ? spapr_model_create(p) : NULL;
	be = p ? (*m ? spapr_model_backend(*m) : NULL) : spapr_vfio_backend_create();
	if (be == NULL) {
		fprintf(stderr, "dma-hugepages: cannot create the %s backend\n", p ? "model" : "vfio");
		return NULL;
	}
	rc = spapr_dma_platform_from_backend(be, plat);
	if (rc == 0)
		return be;
	fprintf(stderr, "dma-hugepages: %s\n", rc == -ENODEV ?
		"not a POWER sPAPR host (/proc/cpuinfo names neither PowerNV nor pSeries)" :
		strerror(-rc));
	backend_down(be, *m);
	return NULL;
}

/* Model: the device writes a pattern through each page's IOVA; we read it. */
static int device_check(struct spapr_model *m, int group, const struct memory *mem,
			struct spapr_dma_container *c)
{
	size_t page = (size_t)1 << mem->page_shift;
	int bad = 0;

	for (size_t off = 0; off < mem->len; off += page) {
		char msg[32], *cpu = (char *)mem->va + off;
		uint64_t iova = spapr_dma_iova(c, (uint64_t)(uintptr_t)cpu);

		snprintf(msg, sizeof(msg), "page %zu", off / page);
		if (spapr_model_dma_write(m, group, iova, msg, sizeof(msg)) ||
		    memcmp(cpu, msg, sizeof(msg)))
			bad++;
	}
	return bad;
}

static void print_iovas(const struct memory *mem, struct spapr_dma_container *c)
{
	size_t page = (size_t)1 << mem->page_shift, n = mem->len / page;

	for (size_t i = 0; i < n; i++) {
		void *va = (char *)mem->va + i * page;

		if (i < 4 || i == n - 1)
			printf("  page %3zu  VA %p  node %2d  ->  IOVA 0x%016llx\n", i, va, page_node(va),
			       (unsigned long long)spapr_dma_iova(c, (uint64_t)(uintptr_t)va));
		else if (i == 4)
			printf("  ...\n");
	}
}

static int map_and_show(const struct opts *o, struct spapr_backend *be, struct spapr_model *m,
			const struct spapr_dma_platform *plat, const struct memory *mem)
{
	struct spapr_dma_mem_region r = { .va = (uint64_t)(uintptr_t)mem->va, .len = mem->len,
					  .page_shift = mem->page_shift, .numa_node = o->node };
	struct spapr_dma_policy pol = { .mode = o->policy };
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_ctx *ctx = spapr_dma_ctx_create(plat, &pol);
	struct spapr_dma_error err = { 0 };
	struct spapr_dma_plan plan;
	static char text[8192];
	int group = m ? 0 : o->group, rc = -ENOMEM, bad = 0;

	if (ctx && !(rc = spapr_dma_mem_add(ctx, &r, 1, &err)))
		rc = spapr_dma_container_create(ctx, be, &group, 1, &c, &err);
	if (rc) {
		spapr_dma_error_format(&err, text, sizeof(text));
		printf("mapping failed: %s\n", text);
		spapr_dma_ctx_destroy(ctx);
		return rc;
	}
	spapr_dma_container_plan(c, &plan);
	spapr_dma_plan_format(&plan, text, sizeof(text));
	printf("%s", text);
	printf("IOVAs (%zu pages of %zu KiB):\n", mem->len >> mem->page_shift,
	       ((size_t)1 << mem->page_shift) >> 10);
	print_iovas(mem, c);
	if (m) {
		bad = device_check(m, 0, mem, c);
		printf("device-side writes through every IOVA: %d bad\n", bad);
	}
	rc = spapr_dma_container_destroy(c, &err);
	spapr_dma_ctx_destroy(ctx);
	printf("teardown: %s\n", rc ? strerror(-rc) : "ok");
	return rc ? rc : bad ? -EIO : 0;
}

int main(int argc, char **argv)
{
	struct spapr_model_profile prof, *pp = NULL;
	struct spapr_dma_platform plat;
	struct spapr_model *m = NULL;
	struct spapr_backend *be;
	struct memory mem;
	struct opts o;
	char err[256];
	int rc;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: dma-hugepages (--model PROFILE | --group N) [--node N] [--size SIZE]\n"
				"                     [--policy auto|direct|indirect]\n");
		return 2;
	}
	if (o.model) {
		if (spapr_model_profile_resolve(o.model, &prof, err, sizeof(err))) {
			fprintf(stderr, "dma-hugepages: %s\n", err);
			return 2;
		}
		pp = &prof;
	}
	be = backend_up(pp, &m, &plat);
	if (be == NULL)
		return 1;
	if (alloc_memory(&o, plat.system_page_shift, &mem)) {
		fprintf(stderr, "dma-hugepages: out of memory\n");
		backend_down(be, m);
		return 1;
	}
	printf("memory: %zu KiB at %p, %s pages of %zu KiB, NUMA node %d (asked %d)\n",
	       mem.len >> 10, mem.va, mem.huge ? "huge" : "normal",
	       ((size_t)1 << mem.page_shift) >> 10, page_node(mem.va), o.node);
	/* Declare the memory to the model: it plays the kernel's view of this
	 * process's VMAs, with our real pages behind them. */
	if (m && spapr_model_mm_map(m, 0, (uint64_t)(uintptr_t)mem.va, mem.len, mem.page_shift,
				    mem.huge ? SPAPR_MODEL_VMA_HUGETLB : 0, mem.va)) {
		fprintf(stderr, "dma-hugepages: model set-up failed\n");
		backend_down(be, m);
		free_memory(&mem);
		return 1;
	}
	if (m)
		printf("backend: model %s\n", prof.name);
	else
		printf("backend: vfio, group %d\n", o.group);
	rc = map_and_show(&o, be, m, &plat, &mem);
	backend_down(be, m);
	free_memory(&mem);
	printf("result: %s\n", rc ? "FAILED" : "ok");
	return rc ? 1 : 0;
}
