/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dma_check_cost.c - white-box: the device-side DMA check does the
 * same work per access whichever way the PE translates, so that the
 * identity baseline of apps/fwd-bench (spapr_model_pe_set_bypass) costs
 * what a check through a TCE window costs (doc/nic-model.md).
 *
 * The model is set up the way the EAL plugin sets it up for testpmd
 * (powernv9): 64 MiB of 2 MiB hugepages declared one page at a time and
 * mapped by the engine through a direct (1:1) window or an indirect one,
 * or no window and identity mode. For the same accesses, every mode must
 * count the same translation steps (window probes, TCE reads, VMA
 * lookups, pe->xlat of model_priv.h) and the same PE statistics. No timing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"
#include "spapr_dma.h"
#include "test_util.h"

#define PG (UINT64_C(2) << 20)
#define NPG 32			/* 64 MiB */
#define VA UINT64_C(0x100000000)	/* where DPDK puts its memseg lists */
#define LOOPS 1000

enum way { DIRECT, INDIRECT, IDENTITY, NWAYS };
static const char *const way_name[NWAYS] = { "direct", "indirect", "identity" };

struct world {
	struct spapr_model *m;
	struct spapr_dma_ctx *ctx;
	struct spapr_dma_container *c;
	char *mem;
	uint64_t iova[NPG];	/* device address of each 2 MiB page */
};

/* What a workload left behind: translation steps and PE statistics. */
struct cost {
	uint64_t probes, tce_reads, vma_lookups;
	struct spapr_model_pe_stats st;
};

static int world_up(struct world *w, enum way way)
{
	struct spapr_dma_mem_region r[NPG];
	struct spapr_model_profile p;
	struct spapr_dma_platform plat;
	struct spapr_dma_policy pol = { .iova_mode = SPAPR_DMA_IOVA_VA };
	struct spapr_dma_error e;
	int g = 0;

	memset(w, 0, sizeof(*w));
	T_ERR(spapr_model_profile_get("powernv9", &p), 0);
	w->m = spapr_model_create(&p);
	w->mem = aligned_alloc(PG, NPG * PG);
	if (!w->m || !w->mem)
		return -ENOMEM;
	T_ERR(spapr_dma_platform_from_backend(spapr_model_backend(w->m), &plat), 0);
	pol.mode = way == INDIRECT ? SPAPR_DMA_MODE_INDIRECT : SPAPR_DMA_MODE_DIRECT;
	w->ctx = spapr_dma_ctx_create(&plat, &pol);
	if (!w->ctx)
		return -ENOMEM;
	for (unsigned int i = 0; i < NPG; i++) {
		r[i] = (struct spapr_dma_mem_region){ .va = VA + i * PG, .len = PG,
						      .page_shift = 21, .numa_node = -1 };
		T_ERR(spapr_model_mm_map(w->m, 0, r[i].va, PG, 21, SPAPR_MODEL_VMA_HUGETLB,
					 w->mem + i * PG), 0);
		T_ERR(spapr_model_mm_va_to_pa(w->m, 0, r[i].va, &r[i].pa), 0);
	}
	if (way == IDENTITY) {
		T_ERR(spapr_model_pe_set_bypass(w->m, 0, true), 0);
		for (unsigned int i = 0; i < NPG; i++)
			w->iova[i] = r[i].pa;
		return 0;
	}
	for (unsigned int i = 0; i < NPG; i++)
		T_ERR(spapr_dma_mem_add(w->ctx, &r[i], 1, &e), 0);
	T_ERR(spapr_dma_container_create(w->ctx, spapr_model_backend(w->m), &g, 1, &w->c, &e), 0);
	if (!w->c)
		return -EIO;
	for (unsigned int i = 0; i < NPG; i++)
		w->iova[i] = spapr_dma_iova(w->c, VA + i * PG);
	return 0;
}

static void world_down(struct world *w)
{
	if (w->ctx)
		spapr_dma_ctx_destroy(w->ctx);
	if (w->m)
		spapr_model_destroy(w->m);
	free(w->mem);
}

static struct model_pe *pe0(struct world *w)
{
	return &model_group_by_num(w->m, 0)->pe;
}

/* The device's accesses of forwarding: 64-byte reads, writes and checks
 * all over the memory, one IOMMU page each (the model leaves a guard page
 * between VMAs, so no access of identity mode can span two 2 MiB pages
 * here; test_net_bypass covers that). Every page was used before
 * (warm-up), as in a running testpmd: identity mode fills its table on
 * first use. */
static void workload(struct world *w, struct cost *out)
{
	struct model_pe *pe = pe0(w);
	char buf[64];

	memset(buf, 0xa5, sizeof(buf));
	for (unsigned int i = 0; i < NPG; i++)
		T_ERR(spapr_model_dma_read(w->m, 0, w->iova[i], buf, 64), 0);
	memset(&pe->xlat, 0, sizeof(pe->xlat));
	memset(&pe->stats, 0, sizeof(pe->stats));
	for (unsigned int k = 0; k < LOOPS; k++) {
		uint64_t a = w->iova[k % NPG] + (k * UINT64_C(2112)) % (PG - 4096);

		T_ERR(spapr_model_dma_write(w->m, 0, a, buf, 64), 0);
		T_ERR(spapr_model_dma_read(w->m, 0, a, buf, 64), 0);
		T_ERR(spapr_model_dma_check(w->m, 0, a, 64, SPAPR_MODEL_DMA_READ, NULL), 0);
	}
	out->probes = pe->xlat.window_probes;
	out->tce_reads = pe->xlat.tce_reads;
	out->vma_lookups = pe->xlat.vma_lookups;
	out->st = pe->stats;
}

static void test_same_steps_in_every_mode(void)
{
	struct cost c[NWAYS];

	for (int way = 0; way < NWAYS; way++) {
		struct world w;

		memset(&c[way], 0, sizeof(c[way]));
		if (world_up(&w, way) == 0)
			workload(&w, &c[way]);
		else
			T_CHECK(!"world_up");
		world_down(&w);
		printf("# %-8s probes %llu tce_reads %llu vma_lookups %llu\n", way_name[way],
		       (unsigned long long)c[way].probes, (unsigned long long)c[way].tce_reads,
		       (unsigned long long)c[way].vma_lookups);
	}
	/*
	 * One translation per IOMMU page of each access (the copy reuses the
	 * check's translation of the first page): 3 * LOOPS one-page
	 * accesses. Each translation: one window probe (slot 0 in every
	 * mode), one TCE read, one VMA lookup.
	 */
	for (int way = 0; way < NWAYS; way++) {
		uint64_t want = 3 * LOOPS;

		T_EQU(c[way].probes, want);
		T_EQU(c[way].tce_reads, want);
		T_EQU(c[way].vma_lookups, want);
		T_EQU(c[way].st.dma_checks, 3 * LOOPS);
		T_EQU(c[way].st.dma_pages, 3 * LOOPS);
		T_EQU(c[way].st.dma_bytes, 3 * LOOPS * 64);
		T_EQU(c[way].st.faults, 0);
		T_CHECK(!memcmp(&c[way].st, &c[DIRECT].st, sizeof(c[way].st)));
	}
}

/* A fault costs the same in every mode and still freezes the PE. */
static void test_fault_same_steps(void)
{
	for (int way = 0; way < NWAYS; way++) {
		struct world w;
		struct model_pe *pe;
		char buf[64];

		if (world_up(&w, way)) {
			T_CHECK(!"world_up");
			world_down(&w);
			continue;
		}
		pe = pe0(&w);
		memset(&pe->xlat, 0, sizeof(pe->xlat));
		/* Past the memory, inside a window of every mode. */
		T_ERR(spapr_model_dma_read(w.m, 0, w.iova[NPG - 1] + PG, buf, sizeof(buf)), -EFAULT);
		T_EQ(spapr_model_pe_state(w.m, 0), VFIO_EEH_PE_STATE_STOPPED);
		T_EQU(pe->stats.faults, 1);
		T_EQU(pe->xlat.vma_lookups, 0);	/* no valid TCE: no VMA lookup */
		world_down(&w);
	}
}

/*
 * "--loop <direct|indirect|identity> N": no test, N 64-byte writes and N
 * reads spread over the memory, for counting instructions per access with
 * callgrind (doc/nic-model.md, "Cost of one check, per mode").
 */
static int loop(const char *mode, long n)
{
	struct world w;
	char buf[64] = { 0 };
	int way, rc = 0;

	for (way = 0; way < NWAYS && strcmp(mode, way_name[way]); way++)
		;
	if (way == NWAYS || n < 0 || world_up(&w, way))
		return 2;
	for (unsigned int i = 0; i < NPG; i++)
		rc |= spapr_model_dma_read(w.m, 0, w.iova[i], buf, 64);
	for (long k = 0; k < n && !rc; k++) {
		uint64_t a = w.iova[k % NPG] + ((uint64_t)k * 2112) % (PG - 4096);

		rc |= spapr_model_dma_write(w.m, 0, a, buf, 64);
		rc |= spapr_model_dma_read(w.m, 0, a, buf, 64);
	}
	world_down(&w);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--loop"))
		return loop(argv[2], atol(argv[3]));
	T_RUN(test_same_steps_in_every_mode);
	T_RUN(test_fault_same_steps);
	return t_finish();
}
