/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_iova - the plugin in model mode inside the real DPDK EAL.
 *
 * Usage: test_plugin_iova <profile> [policy [--iova-mode=va|pa [groups]]]
 * Every IOVA a PMD can obtain (memseg, memzone, rte_malloc_virt2iova,
 * mempool object, mbuf buf_iova; memory grown after init; external heap
 * memory with per-page IOVAs; user memory via rte_spapr_dma_map) must
 * translate through the model's device-side check on every group (group 0
 * unless more are asked for) to the host
 * pointer of the object's own VA, with read and write permission.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_memzone.h>
#include <rte_mempool.h>

#include "plugin_env.h"
#include "rte_bus_spapr.h"
#include "spapr_dma.h"
#include "spapr_model.h"
#include "test_util.h"

#define RW (SPAPR_MODEL_DMA_READ | SPAPR_MODEL_DMA_WRITE)
#define PG2M (2u << 20)

static const char *profile;
static const char *policy;
static char *iova_arg;
static int ngroups = 1;
static struct spapr_model *model;
static unsigned long checked;

/* The device translates [iova, iova+len) to the bytes at @va, R and W. */
static int dev_sees(uint64_t iova, const void *va, uint64_t len)
{
	struct spapr_model_xlat x;
	int rc;

	if (iova == RTE_BAD_IOVA)
		return -EINVAL;
	/* Every model group the plugin opened: IOVAs are common to all. */
	for (int g = 0; g < ngroups; g++) {
		rc = spapr_model_dma_check(model, g, iova, len, RW, &x);
		if (rc)
			return rc;
		checked++;
		if (x.host != va)
			return -EXDEV;
	}
	return 0;
}

#define T_DEV(iova, va, len)                                                   \
	do {                                                                   \
		int rc_ = dev_sees((iova), (va), (len));                       \
		T_CHECK(rc_ == 0);                                             \
		if (rc_)                                                       \
			fprintf(stderr, "  iova 0x%" PRIx64 " va %p len %" PRIu64 \
				": %s\n", (uint64_t)(iova), (const void *)(va),   \
				(uint64_t)(len), strerror(-rc_));             \
	} while (0)

/* What DPDK says for an interior address: its memseg's IOVA + offset (the
 * calculation rte_malloc_virt2iova and the mempool populate helpers do). */
static uint64_t seg_iova(const void *va)
{
	const struct rte_memseg *ms = rte_mem_virt2memseg(va, NULL);

	if (ms == NULL || ms->iova == RTE_BAD_IOVA)
		return RTE_BAD_IOVA;
	return ms->iova + ((uintptr_t)va - (uintptr_t)ms->addr);
}

/* 4 KiB from @va, but never across the end of its memseg (pages of a
 * non-contiguous area need not be IOVA-contiguous). */
static uint64_t span(const void *va)
{
	const struct rte_memseg *ms = rte_mem_virt2memseg(va, NULL);
	uint64_t left = ms ? (uintptr_t)ms->addr + ms->len - (uintptr_t)va : 4096;

	return left < 4096 ? left : 4096;
}

static int memseg_walk(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	(void)arg;
	if (msl->external && !msl->heap)
		return 0;
	T_DEV(ms->iova, ms->addr, ms->len);
	return 0;
}

/*
 * The plan lines' "locked" figures add up to what the kernel charges:
 * preregistered memory once per process (mm_iommu_do_alloc, §3.5), a TCE
 * table per container (§5.3).
 */
static void test_plan_locked_total(void)
{
	const struct spapr_model_profile *p = spapr_model_get_profile(model);
	struct spapr_model_mm_info mi;
	uint64_t sum = 0, kernel;

	for (unsigned int i = 0; i < rte_spapr_containers(); i++) {
		char line[1024];
		const char *l;
		unsigned long long kib = 0;

		T_CHECK(rte_spapr_plan_line(i, line, sizeof(line)) > 0);
		l = strstr(line, "locked ");
		T_CHECK(l != NULL && sscanf(l, "locked %llu KiB", &kib) == 1);
		sum += (uint64_t)kib << 10;
	}
	T_EQ(spapr_model_mm_info(model, 0, &mi), 0);
	kernel = mi.locked_vm_pages << p->system_page_shift;
	/* Exact but for the kernel charging a table in whole system pages,
	 * truncated (table_size >> PAGE_SHIFT, tce_iommu_create_table): a
	 * 16 KiB pseries table costs nothing on a 64 KiB-page kernel, which the
	 * planner's figure does not know. Less than a page per container. */
	T_CHECK(sum >= kernel &&
		sum - kernel < ((uint64_t)rte_spapr_containers() << p->system_page_shift));
	printf("plan lines: locked %" PRIu64 " KiB in %u container(s), kernel: %" PRIu64 " KiB\n",
	       sum >> 10, rte_spapr_containers(), kernel >> 10);
}

static void test_memsegs(void)
{
	T_EQ(rte_spapr_status(), 0);
	T_CHECK(rte_spapr_containers() >= 1);
	rte_memseg_walk(memseg_walk, NULL);
}

static void test_window_start(void)
{
	uint64_t start, size;
	unsigned int shift;

	spapr_dma_container_window(rte_spapr_container(0), &start, &size, &shift);
	if (strncmp(profile, "pseries", 7) == 0) {
		/* The proof of the non-zero start: the DDW is at 1<<59 (observed). */
		T_EQU(start, 1ull << 59);
		T_EQ(rte_eal_iova_mode(), RTE_IOVA_PA);
	}
	printf("window 0x%" PRIx64 " + 0x%" PRIx64 ", %u KiB TCEs\n", start, size, (1u << shift) >> 10);
}

static void test_memzones(void)
{
	const struct rte_memzone *a = rte_memzone_reserve("t_mz_a", 3 * PG2M + 4096, SOCKET_ID_ANY, 0);
	const struct rte_memzone *b = rte_memzone_reserve_aligned("t_mz_b", 64 * 1024, SOCKET_ID_ANY,
								  RTE_MEMZONE_IOVA_CONTIG, 4096);

	T_CHECK(a != NULL && b != NULL);
	if (a) {
		/* Non-contiguous: translate page by page through the memsegs. */
		for (uint64_t off = 0; off < a->len; off += 4096) {
			char *va = (char *)a->addr + off;

			T_DEV(seg_iova(va), va, span(va));
		}
		T_EQU(a->iova, rte_malloc_virt2iova(a->addr));
	}
	if (b)
		T_DEV(b->iova, b->addr, b->len);
	rte_memzone_free(a);
	rte_memzone_free(b);
}

static void test_malloc(void)
{
	void *p = rte_malloc("t", 100000, 64);

	T_CHECK(p != NULL);
	if (p)
		T_DEV(rte_malloc_virt2iova(p), p, 64 < span(p) ? 64 : span(p));
	rte_free(p);
}

static void obj_cb(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)arg;
	(void)idx;
	T_DEV(rte_mempool_virt2iova(obj), obj, 64);
	T_DEV(m->buf_iova, m->buf_addr, m->buf_len);
	T_DEV(rte_mbuf_data_iova_default(m), (char *)m->buf_addr + RTE_PKTMBUF_HEADROOM, 64);
}

static void test_mempool(void)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create("t_mbufs", 2047, 32, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);

	T_CHECK(mp != NULL);
	if (mp == NULL)
		return;
	T_EQ(rte_mempool_obj_iter(mp, obj_cb, NULL), 2047);
	rte_mempool_free(mp);
}

/* -m 32 at init: a 40 MiB memzone needs heap growth (a mem event). */
static void test_growth(void)
{
	struct rte_spapr_info before, after;
	const struct rte_memzone *mz;

	rte_spapr_info_get(&before);
	mz = rte_memzone_reserve("t_grow", 40u << 20, SOCKET_ID_ANY, 0);
	T_CHECK(mz != NULL);
	rte_spapr_info_get(&after);
	T_CHECK(after.mem_events > before.mem_events);
	T_EQU(after.mem_event_errors, 0);
	T_CHECK(after.mem_bytes > before.mem_bytes);
	if (mz) {
		T_DEV(mz->iova, mz->addr, span(mz->addr));
		for (uint64_t off = 0; off < mz->len; off += PG2M / 2) {
			char *va = (char *)mz->addr + off;

			T_DEV(seg_iova(va), va, span(va));
		}
	}
	/* A pool created after growth too. */
	test_mempool();
	rte_spapr_info_get(&before);
	rte_memzone_free(mz);
	rte_spapr_info_get(&after);
	T_EQU(after.mem_event_errors, 0);
	/* Shrink: the heap gave pages back, the plugin unmapped them. */
	T_CHECK(after.mem_events > before.mem_events);
	T_CHECK(after.mem_bytes < before.mem_bytes);
}

/* IOVA as VA with a direct window: only VAs below the window end map. */
static bool outside_direct_va_window(const void *va)
{
	struct spapr_dma_plan p;
	uint64_t start, size;
	unsigned int shift;

	if (rte_eal_iova_mode() != RTE_IOVA_VA)
		return false;
	spapr_dma_container_plan(rte_spapr_container(0), &p);
	spapr_dma_container_window(rte_spapr_container(0), &start, &size, &shift);
	return p.mode == SPAPR_DMA_MODE_DIRECT && (uintptr_t)va + 4 * PG2M > size;
}

static void *huge_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* DPDK's external_mem_autotest style: a heap over user memory with a
 * per-page IOVA table. The plugin maps it and its IOVAs become window IOVAs. */
static void test_external_heap(void)
{
	unsigned int n = 4;
	rte_iova_t iova[4];
	char *va = huge_map(n * PG2M);
	int socket;
	void *p;

	T_CHECK(va != NULL);
	if (va == NULL)
		return;
	for (unsigned int i = 0; i < n; i++)
		iova[i] = 0x100000000ull + (uint64_t)i * PG2M;
	T_EQ(rte_malloc_heap_create("t_ext"), 0);
	T_EQ(rte_malloc_heap_memory_add("t_ext", va, n * PG2M, iova, n, PG2M), 0);
	if (outside_direct_va_window(va)) {
		/* Known limit: never a wrong IOVA, RTE_BAD_IOVA instead. */
		struct rte_memseg *ms = rte_mem_virt2memseg(va, NULL);

		T_CHECK(ms != NULL && ms->iova == RTE_BAD_IOVA);
		printf("external memory at %p is above the direct VA window: RTE_BAD_IOVA (documented limit)\n",
		       (void *)va);
		n = 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct rte_memseg *ms = rte_mem_virt2memseg(va + i * PG2M, NULL);

		T_CHECK(ms != NULL);
		if (ms) {
			T_CHECK(ms->iova != RTE_BAD_IOVA);
			/* Never an IOVA another page already has. */
			if (rte_eal_iova_mode() == RTE_IOVA_PA)
				T_EQU(rte_spapr_dma_iova(va + i * PG2M), ms->iova);
			T_DEV(ms->iova, va + i * PG2M, PG2M);
		}
	}
	socket = rte_malloc_heap_get_socket("t_ext");
	p = n ? rte_malloc_socket("t", 3 * PG2M, 4096, socket) : NULL;
	T_CHECK(p != NULL || n == 0);
	if (p) {
		T_DEV(rte_malloc_virt2iova(p), p, span(p));
		for (uint64_t off = 0; off < 3 * PG2M; off += PG2M)
			T_DEV(seg_iova((char *)p + off), (char *)p + off, span((char *)p + off));
	}
	rte_free(p);
	T_EQ(rte_malloc_heap_memory_remove("t_ext", va, 4 * PG2M), 0);
	T_EQ(rte_malloc_heap_destroy("t_ext"), 0);
	munmap(va, 4 * PG2M);
}

/* Memory DPDK does not manage: rte_spapr_dma_map reaches the plugin's containers. */
static void test_user_map(void)
{
	char *va = huge_map(2 * PG2M);

	T_CHECK(va != NULL);
	if (va == NULL)
		return;
	if (outside_direct_va_window(va)) {
		T_EQ(rte_spapr_dma_map(va, 2 * PG2M, PG2M), -ENOSPC);
		T_EQU(rte_spapr_dma_iova(va), UINT64_MAX);
		munmap(va, 2 * PG2M);
		return;
	}
	T_EQ(rte_spapr_dma_map(va, 2 * PG2M, PG2M), 0);
	T_DEV(rte_spapr_dma_iova(va), va, PG2M);
	T_DEV(rte_spapr_dma_iova(va + PG2M), va + PG2M, PG2M);
	T_EQ(rte_spapr_dma_unmap(va, 2 * PG2M), 0);
	T_EQU(rte_spapr_dma_iova(va), UINT64_MAX);
	munmap(va, 2 * PG2M);
}

/*
 * rte_spapr_dma_unmap() is for what rte_spapr_dma_map() mapped: DPDK's own
 * memory (here a memzone's page) is refused and stays reachable; a user
 * range is unmapped page by page, and never twice.
 */
static void test_user_unmap_refuses_dpdk(void)
{
	const struct rte_memzone *mz = rte_memzone_reserve("t_mz_own", 4096, SOCKET_ID_ANY, 0);
	char *va = huge_map(2 * PG2M);

	T_CHECK(mz != NULL && va != NULL);
	if (mz != NULL) {
		T_EQ(rte_spapr_dma_unmap(RTE_PTR_ALIGN_FLOOR(mz->addr, PG2M), PG2M), -EINVAL);
		T_DEV(mz->iova, mz->addr, mz->len);
		T_EQU(rte_spapr_dma_iova(mz->addr), mz->iova);
		rte_memzone_free(mz);
	}
	if (va != NULL && !outside_direct_va_window(va)) {
		T_EQ(rte_spapr_dma_map(va, 2 * PG2M, PG2M), 0);
		T_EQ(rte_spapr_dma_unmap(va - PG2M, 2 * PG2M), -EINVAL);
		T_EQ(rte_spapr_dma_unmap(va + PG2M, PG2M), 0);
		T_EQ(rte_spapr_dma_unmap(va + PG2M, PG2M), -EINVAL);
		T_DEV(rte_spapr_dma_iova(va), va, PG2M);
		T_EQ(rte_spapr_dma_unmap(va, PG2M), 0);
		T_EQU(rte_spapr_dma_iova(va), UINT64_MAX);
	}
	if (va != NULL)
		munmap(va, 2 * PG2M);
}

/*
 * rte_spapr_dma_map/unmap on one thread while DPDK grows and shrinks its
 * heap on another (memory events): the plugin serialises the two, as the
 * engine requires, so no call fails and the model stays consistent.
 */
struct user_loop {
	char *va;
	volatile bool stop;
	unsigned int rounds, errors;
};

static void *user_map_loop(void *arg)
{
	struct user_loop *u = arg;

	while (!u->stop) {
		if (rte_spapr_dma_map(u->va, 2 * PG2M, PG2M) != 0 ||
		    rte_spapr_dma_unmap(u->va, 2 * PG2M) != 0)
			u->errors++;
		u->rounds++;
	}
	return NULL;
}

static void test_user_map_concurrent(void)
{
	struct user_loop u = { .va = huge_map(2 * PG2M) };
	struct rte_spapr_info before, after;
	char err[256] = "";
	pthread_t t;

	T_CHECK(u.va != NULL);
	if (u.va == NULL || outside_direct_va_window(u.va)) {
		if (u.va != NULL)
			munmap(u.va, 2 * PG2M);
		return;
	}
	rte_spapr_info_get(&before);
	T_EQ(pthread_create(&t, NULL, user_map_loop, &u), 0);
	for (unsigned int i = 0; i < 100; i++) {
		const struct rte_memzone *mz = rte_memzone_reserve("t_race", 40u << 20,
								   SOCKET_ID_ANY, 0);

		if (mz != NULL)
			rte_memzone_free(mz);
	}
	u.stop = true;
	pthread_join(t, NULL);
	rte_spapr_info_get(&after);
	T_EQU(u.errors, 0);
	T_EQU(after.mem_event_errors, before.mem_event_errors);
	T_CHECK(after.mem_events > before.mem_events);
	T_EQ(spapr_model_check_invariants(model, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "  %s\n", err);
	printf("%u map/unmap rounds against %" PRIu64 " memory events\n", u.rounds,
	       after.mem_events - before.mem_events);
	munmap(u.va, 2 * PG2M);
}

static void test_model_consistent(void)
{
	char err[256] = "";
	struct spapr_model_pe_stats st;

	T_EQ(spapr_model_check_invariants(model, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "  %s\n", err);
	for (int g = 0; g < ngroups; g++) {
		T_EQ(spapr_model_pe_stats(model, g, &st), 0);
		T_EQU(st.faults, 0);
	}
	printf("%lu device-side checks passed\n", checked);
}

int main(int argc, char **argv)
{
	char prefix[64], devargs[256];
	const char *huge;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s <profile> [policy [--iova-mode=va|pa]]\n", argv[0]);
		return 2;
	}
	profile = argv[1];
	policy = argc > 2 ? argv[2] : "auto";
	iova_arg = argc > 3 ? argv[3] : "--iova-mode=pa";
	ngroups = argc > 4 ? atoi(argv[4]) : 1;
	huge = plugin_hugepages(64);
	snprintf(prefix, sizeof(prefix), "spapr-iova-%d", (int)getpid());
	snprintf(devargs, sizeof(devargs), "bus=spapr,backend=model,profile=%s,policy=%s,groups=%d",
		 profile, policy, ngroups);
	{
		char *eal[] = { argv[0], "-l", "0", "-m", "32", "--no-pci", "--no-telemetry",
				"--file-prefix", prefix, "--huge-dir", (char *)huge,
				"--huge-unlink", iova_arg, "-a", devargs, NULL };

		rc = rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal);
	}
	T_EQ(rc, 14);
	if (rc < 0)
		return t_finish();
	model = rte_spapr_model();
	T_CHECK(model != NULL);
	if (model == NULL || rte_spapr_status() != 0) {
		fprintf(stderr, "plugin: %s\n", rte_spapr_error());
		rte_eal_cleanup();
		return t_finish();
	}
	{
		char line[512];

		rte_spapr_plan_line(0, line, sizeof(line));
		printf("plan: %s\n", line);
	}
	T_RUN(test_plan_locked_total);
	T_RUN(test_memsegs);
	T_RUN(test_window_start);
	T_RUN(test_memzones);
	T_RUN(test_malloc);
	T_RUN(test_mempool);
	T_RUN(test_growth);
	T_RUN(test_external_heap);
	T_RUN(test_user_map);
	T_RUN(test_user_unmap_refuses_dpdk);
	T_RUN(test_user_map_concurrent);
	T_RUN(test_model_consistent);
	rte_eal_cleanup();
	plugin_rm_runtime(prefix);
	return t_finish();
}
