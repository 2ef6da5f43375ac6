/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_capacity - memory growth past what the DMA window can map
 * fails as an allocation failure, and nothing unmapped is handed out.
 *
 * The EAL starts without -m (DPDK holds a few MiB) on a PowerVM SR-IOV VF
 * whose hypervisor TCE budget allows a 32 MiB window (and a 16 MiB default
 * window): the plan must name the TCE budget as the bound of its room.
 * Then rte_malloc grows the heap until the plugin's allocation validator
 * refuses; every granted buffer must be reachable by the device (the
 * model's DMA check), a mempool larger than the room must fail with
 * ENOMEM, a smaller one must work with every mbuf reachable, and after
 * everything is freed the room and the model are as they were.
 *
 * External memory, which DPDK never validates: an external heap
 * (rte_malloc_heap_memory_add, testpmd --mp-alloc=xmemhuge) that fits is
 * mapped and its mbufs are reachable; one past the room cannot be mapped,
 * and an mbuf pool placed in it must fail with ENOBUFS rather than get
 * physical addresses as IOVAs. Memory only registered (rte_extmem_register,
 * testpmd --mp-alloc=anon) populates no pool unless it was mapped with
 * rte_spapr_dma_map() and registered with the window's IOVAs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "plugin_env.h"
#include "rte_bus_spapr.h"
#include "spapr_model.h"
#include "test_util.h"

#define MiB (1ull << 20)
#define CHUNK (4 * MiB)
#define MAX_CHUNKS 64
#define BUDGET_TCES 512		/* 512 x 64 KiB = a 32 MiB window */
#define HUGE (2 * MiB)
#define EXT_MAX_PAGES 32

static struct spapr_model *model;
static unsigned long checked;

/* The device reaches [iova, iova+len) as the bytes at @va, read and write. */
static bool dev_reaches(uint64_t iova, const void *va, uint64_t len)
{
	struct spapr_model_xlat x;

	if (iova == RTE_BAD_IOVA ||
	    spapr_model_dma_check(model, 0, iova, len,
				  SPAPR_MODEL_DMA_READ | SPAPR_MODEL_DMA_WRITE, &x) != 0)
		return false;
	checked++;
	return x.host == va;
}

static void test_plan_names_budget(void)
{
	struct rte_spapr_info info;
	char line[768];

	T_CHECK(rte_spapr_plan_line(0, line, sizeof(line)) > 0);
	printf("plan: %s\n", line);
	T_CHECK(strstr(line, "indirect window 0x800000000000000+0x2000000 ") != NULL);
	T_CHECK(strstr(line, "(bound: TCE budget 32 MiB window)") != NULL);
	rte_spapr_info_get(&info);
	T_CHECK(info.growth_room > 0 && info.growth_room < 32 * MiB);
	T_EQU(info.growth_denied, 0);
}

static void test_malloc_past_capacity(void)
{
	void *p[MAX_CHUNKS];
	struct rte_spapr_info before, after;
	unsigned int n = 0, bad = 0;

	rte_spapr_info_get(&before);
	while (n < MAX_CHUNKS && (p[n] = rte_malloc("t_cap", CHUNK, 0)) != NULL)
		n++;
	rte_spapr_info_get(&after);
	if (after.growth_denied == before.growth_denied && n < MAX_CHUNKS)
		T_SKIP("hugepages ran out before the window did (%u chunks)", n);
	printf("%u chunks of %llu MiB granted, then refused; room left %" PRIu64 " KiB\n", n,
	       CHUNK / MiB, after.growth_room >> 10);
	T_CHECK(n >= 1 && n < 32 * MiB / CHUNK);
	T_CHECK(after.growth_denied > before.growth_denied);
	T_EQU(after.mem_event_errors, before.mem_event_errors);
	for (unsigned int i = 0; i < n; i++)
		bad += !dev_reaches(rte_malloc_virt2iova(p[i]), p[i], CHUNK);
	T_EQU(bad, 0);
	for (unsigned int i = 0; i < n; i++)
		rte_free(p[i]);
	rte_spapr_info_get(&after);
	T_EQU(after.growth_room, before.growth_room);
}

struct obj_check {
	unsigned int objs, bad;
};

static void mbuf_check(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct obj_check *c = arg;
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)idx;
	c->objs++;
	c->bad += !dev_reaches(m->buf_iova, m->buf_addr, m->buf_len);
}

static void test_mempool_past_capacity(void)
{
	struct rte_spapr_info before, after;
	struct obj_check c = { 0 };
	struct rte_mempool *mp;

	rte_spapr_info_get(&before);
	/* 16384 mbufs of 2 KiB data: ~40 MiB, more than the window holds. */
	mp = rte_pktmbuf_pool_create("t_cap_big", 16384, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	T_CHECK(mp == NULL);
	T_EQ(rte_errno, ENOMEM);
	rte_mempool_free(mp);
	rte_spapr_info_get(&after);
	T_CHECK(after.growth_denied > before.growth_denied);
	T_EQU(after.growth_room, before.growth_room);
	mp = rte_pktmbuf_pool_create("t_cap_small", 2048, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	T_CHECK(mp != NULL);
	if (mp == NULL)
		return;
	rte_mempool_obj_iter(mp, mbuf_check, &c);
	T_EQU(c.objs, 2048);
	T_EQU(c.bad, 0);
	rte_mempool_free(mp);
	rte_spapr_info_get(&after);
	T_EQU(after.growth_room, before.growth_room);
	T_EQU(after.mem_event_errors, 0);
}

/* @len bytes of anonymous 2 MiB hugepages, touched; NULL when none are free. */
static void *huge_area(size_t len)
{
	void *va = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (va == MAP_FAILED)
		return NULL;
	memset(va, 0, len);
	return va;
}

/* Hugepages are shared with other programs: none free is a skip, unless a check failed. */
static void no_hugepages(const char *what)
{
	if (t_failures)
		exit(t_finish());
	T_SKIP("no free 2 MiB hugepages for %s", what);
}

/* What testpmd's setup_extmem does: a named heap, its pages' PAs as IOVAs. */
static int ext_heap_add(const char *name, void *va, size_t len)
{
	rte_iova_t iovas[EXT_MAX_PAGES];
	unsigned int n = (unsigned int)(len / HUGE);

	if (n > EXT_MAX_PAGES)
		return -E2BIG;
	for (unsigned int i = 0; i < n; i++)
		iovas[i] = rte_mem_virt2iova((char *)va + (size_t)i * HUGE);
	if (rte_malloc_heap_create(name) != 0)
		return -rte_errno;
	if (rte_malloc_heap_memory_add(name, va, len, iovas, n, HUGE) != 0) {
		int rc = -rte_errno;

		rte_malloc_heap_destroy(name);
		return rc;
	}
	return 0;
}

static void ext_heap_remove(const char *name, void *va, size_t len)
{
	T_EQ(rte_malloc_heap_memory_remove(name, va, len), 0);
	T_EQ(rte_malloc_heap_destroy(name), 0);
	munmap(va, len);
}

static void test_extmem_heap_fits(void)
{
	const size_t len = 8 * MiB;
	struct rte_spapr_info before, after;
	struct obj_check c = { 0 };
	struct rte_mempool *mp;
	void *va = huge_area(len);

	if (va == NULL)
		no_hugepages("the external heap");
	rte_spapr_info_get(&before);
	T_EQ(ext_heap_add("t_ext_fit", va, len), 0);
	rte_spapr_info_get(&after);
	T_EQU(after.mem_event_errors, before.mem_event_errors);
	T_CHECK(after.growth_room <= before.growth_room - len);
	mp = rte_pktmbuf_pool_create("t_ext_fit", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_malloc_heap_get_socket("t_ext_fit"));
	T_CHECK(mp != NULL);
	if (mp != NULL) {
		rte_mempool_obj_iter(mp, mbuf_check, &c);
		T_EQU(c.objs, 1024);
		T_EQU(c.bad, 0);
		rte_mempool_free(mp);
	}
	rte_spapr_info_get(&after);
	T_EQU(after.populate_refused, before.populate_refused);
	ext_heap_remove("t_ext_fit", va, len);
	rte_spapr_info_get(&after);
	T_EQU(after.growth_room, before.growth_room);
}

static void test_extmem_heap_past_capacity(void)
{
	struct rte_spapr_info before, after;
	struct rte_mempool *mp;
	size_t len;
	void *va;

	rte_spapr_info_get(&before);
	len = RTE_ALIGN_CEIL(before.growth_room + 1, HUGE);
	va = huge_area(len);
	if (va == NULL)
		no_hugepages("an external heap larger than the room");
	printf("external heap of %zu MiB, room %" PRIu64 " KiB\n", len >> 20,
	       before.growth_room >> 10);
	/* DPDK cannot be made to refuse it: the heap takes the pages. */
	T_EQ(ext_heap_add("t_ext_big", va, len), 0);
	rte_spapr_info_get(&after);
	T_EQU(after.mem_event_errors, before.mem_event_errors + 1);
	T_EQU(after.growth_room, before.growth_room);
	/* 1024 mbufs fit the heap, but no page of it is mapped. */
	mp = rte_pktmbuf_pool_create("t_ext_big", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_malloc_heap_get_socket("t_ext_big"));
	T_CHECK(mp == NULL);
	T_EQ(rte_errno, ENOBUFS);
	rte_mempool_free(mp);
	rte_spapr_info_get(&after);
	T_CHECK(after.populate_refused > before.populate_refused);
	ext_heap_remove("t_ext_big", va, len);
	rte_spapr_info_get(&after);
	T_EQU(after.growth_room, before.growth_room);
}

static void obj_reach(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct obj_check *c = arg;

	(void)idx;
	c->objs++;
	c->bad += !dev_reaches(rte_mempool_virt2iova(obj), obj, mp->elt_size);
}

static struct rte_mempool *plain_pool(const char *name)
{
	return rte_mempool_create_empty(name, 256, 2048, 0, 0, SOCKET_ID_ANY, 0);
}

/*
 * testpmd --mp-alloc=anon: rte_mempool_populate_anon, then
 * rte_extmem_register and rte_dev_dma_map, which reach no container of the
 * plugin's. The pool must fail, not carry physical addresses.
 */
static void test_extmem_registered(void)
{
	const size_t len = 4 * MiB;
	struct rte_spapr_info before, after;
	rte_iova_t iovas[len / HUGE];
	struct obj_check c = { 0 };
	struct rte_mempool *mp;
	void *va;

	rte_spapr_info_get(&before);
	mp = plain_pool("t_anon");
	T_CHECK(mp != NULL);
	if (mp == NULL)
		return;
	T_EQ(rte_mempool_populate_anon(mp), 0);
	T_EQ(rte_errno, ENOBUFS);
	rte_mempool_free(mp);
	rte_spapr_info_get(&after);
	T_CHECK(after.populate_refused > before.populate_refused);

	va = huge_area(len);
	if (va == NULL)
		no_hugepages("the registered memory");
	/* Registered without IOVAs: populate takes the physical addresses. */
	T_EQ(rte_extmem_register(va, len, NULL, 0, HUGE), 0);
	mp = plain_pool("t_reg");
	T_CHECK(mp != NULL);
	if (mp != NULL)
		T_EQ(rte_mempool_populate_virt(mp, va, len, HUGE, NULL, NULL), 0);
	rte_mempool_free(mp);
	T_EQ(rte_extmem_unregister(va, len), 0);
	/* Mapped by the plugin and registered with its IOVAs: the pool works. */
	T_EQ(rte_spapr_dma_map(va, len, HUGE), 0);
	for (unsigned int i = 0; i < len / HUGE; i++)
		iovas[i] = rte_spapr_dma_iova((char *)va + (size_t)i * HUGE);
	T_EQ(rte_extmem_register(va, len, iovas, len / HUGE, HUGE), 0);
	mp = plain_pool("t_mapped");
	T_CHECK(mp != NULL);
	if (mp != NULL) {
		T_EQ(rte_mempool_populate_virt(mp, va, len, HUGE, NULL, NULL), 256);
		rte_mempool_obj_iter(mp, obj_reach, &c);
		T_EQU(c.objs, 256);
		T_EQU(c.bad, 0);
		rte_mempool_free(mp);
	}
	T_EQ(rte_extmem_unregister(va, len), 0);
	T_EQ(rte_spapr_dma_unmap(va, len), 0);
	munmap(va, len);
	rte_spapr_info_get(&after);
	T_EQU(after.growth_room, before.growth_room);
}

static void test_model_clean(void)
{
	struct spapr_model_pe_stats st;
	char err[256] = "";

	T_EQ(spapr_model_check_invariants(model, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "  %s\n", err);
	T_EQ(spapr_model_pe_stats(model, 0, &st), 0);
	T_EQU(st.faults, 0);
	printf("%lu device-side checks passed\n", checked);
}

int main(int argc, char **argv)
{
	char prefix[64], devargs[160], conf[64];
	const char *huge;
	int rc;

	(void)argc;
	huge = plugin_hugepages(64);
	T_EQ(plugin_capped_profile(conf, BUDGET_TCES), 0);
	snprintf(prefix, sizeof(prefix), "spapr-cap-%d", (int)getpid());
	snprintf(devargs, sizeof(devargs), "bus=spapr,backend=model,profile=%s", conf);
	{
		char *eal[] = { argv[0], "-l", "0", "--no-pci", "--no-telemetry",
				"--file-prefix", prefix, "--huge-dir", (char *)huge,
				"--huge-unlink", "--iova-mode=pa", "-a", devargs, NULL };

		rc = rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal);
	}
	unlink(conf);
	T_CHECK(rc > 0);
	if (rc < 0)
		return t_finish();
	model = rte_spapr_model();
	T_CHECK(model != NULL && rte_spapr_status() == 0);
	if (model == NULL || rte_spapr_status() != 0) {
		fprintf(stderr, "plugin: %s\n", rte_spapr_error());
		rte_eal_cleanup();
		return t_finish();
	}
	T_RUN(test_plan_names_budget);
	T_RUN(test_malloc_past_capacity);
	T_RUN(test_mempool_past_capacity);
	T_RUN(test_extmem_heap_fits);
	T_RUN(test_extmem_heap_past_capacity);
	T_RUN(test_extmem_registered);
	T_RUN(test_model_clean);
	rte_eal_cleanup();
	plugin_rm_runtime(prefix);
	return t_finish();
}
