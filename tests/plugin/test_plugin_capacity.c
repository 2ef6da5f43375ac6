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
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
	T_RUN(test_model_clean);
	rte_eal_cleanup();
	plugin_rm_runtime(prefix);
	return t_finish();
}
