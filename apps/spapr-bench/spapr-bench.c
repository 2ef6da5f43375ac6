/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr-bench - the mapping engine against DPDK 22.11's algorithm on the
 * same host model (not a timed test: it prints a table).
 *
 * For 1, 16, 64 and 256 GiB of 2 MiB and 1 GiB hugepages on the powernv9
 * and pseries-kvm profiles, both map the memory of a DPDK-like layout
 * (memseg lists of at most 32 GiB, one memseg per hugepage) and the model
 * counts what the kernel would do: ioctls, prereg-list visits (§7),
 * TCE writes, hypercalls, table bytes charged; plus the wall time of the
 * mapping phase. Then the indirect-mode VA->IOVA lookup is timed (ns/op).
 *
 *   spapr-bench [--short | --all]
 *     --short: 1..64 GiB only (for ./quickstart test)
 *     default: the full table in under two minutes; a baseline row that
 *              would not fit (its REGISTERs scan the model's region list, so
 *              its time grows with memsegs squared) is skipped and says so
 *     --all:   every row, however long it takes
 *
 * Exit status 0 when the deterministic targets (ioctl and visit counts) are
 * met; the lookup time is printed, never judged. The last line is
 *   summary: ioctl_ratio=<baseline/engine ioctls, 64 GiB of 2 MiB, powernv9>
 *            visit_ratio=<same for region-list visits> lookup_ns=<median>
 */
#include <sys/wait.h>
#include <unistd.h>

#include "app_common.h"
#include "bench_baseline.h"

#define MAX_LIST (32 * GiB)	/* DPDK RTE_MAX_MEM_MB_PER_LIST default */

struct metrics {
	bool ok;
	char note[80];
	uint64_t ioctls, visits, tce_writes, hcalls, table_bytes;
	unsigned int contig;	/* contiguous VA ranges (memseg lists) */
	double ms;
};

static void collect(struct spapr_model *m, double t0, struct metrics *x)
{
	struct spapr_model_counters mc;

	x->ms = (app_now() - t0) * 1e3;
	spapr_model_counters(m, &mc);
	x->ioctls = mc.ioctls;
	x->visits = mc.region_visits;
	x->tce_writes = mc.tce_writes;
	x->hcalls = mc.hcalls;
	x->table_bytes = mc.table_bytes_charged;
}

static struct spapr_model *setup(const char *profile, uint64_t mem, uint64_t page,
				 struct spapr_dma_mem_region **r, int *n, unsigned int *lists)
{
	struct spapr_model_profile prof;
	struct spapr_model *m;

	if (spapr_model_profile_get(profile, &prof) || !(m = spapr_model_create(&prof)))
		return NULL;
	*lists = (unsigned int)((mem + MAX_LIST - 1) / MAX_LIST);
	*n = app_layout(m, mem, page, *lists, r);
	if (*n <= 0) {
		spapr_model_destroy(m);
		return NULL;
	}
	spapr_model_counters_reset(m);
	return m;
}

static void run_engine(const char *profile, uint64_t mem, uint64_t page, struct metrics *x)
{
	struct spapr_dma_mem_region *r = NULL;
	struct spapr_dma_container *c;
	struct spapr_dma_platform plat;
	struct spapr_dma_error err;
	struct spapr_dma_ctx *ctx;
	struct spapr_model *m;
	int n, g = 0;
	double t0;

	memset(x, 0, sizeof(*x));
	if (!(m = setup(profile, mem, page, &r, &n, &x->contig))) {
		snprintf(x->note, sizeof(x->note), "setup failed");
		return;
	}
	spapr_dma_platform_from_backend(spapr_model_backend(m), &plat);
	t0 = app_now();
	ctx = spapr_dma_ctx_create(&plat, NULL);
	x->ok = ctx && !spapr_dma_mem_add(ctx, r, (unsigned int)n, &err) &&
		!spapr_dma_container_create(ctx, spapr_model_backend(m), &g, 1, &c, &err);
	collect(m, t0, x);
	if (!x->ok)
		snprintf(x->note, sizeof(x->note), "%s: %s", err.step, strerror(err.err));
	spapr_dma_ctx_destroy(ctx);
	spapr_model_destroy(m);
	free(r);
}

static void baseline_in_process(const char *profile, uint64_t mem, uint64_t page,
				struct metrics *x)
{
	struct spapr_dma_mem_region *r = NULL;
	struct baseline_result res;
	struct spapr_model *m;
	int n;
	double t0;

	memset(x, 0, sizeof(*x));
	if (!(m = setup(profile, mem, page, &r, &n, &x->contig))) {
		snprintf(x->note, sizeof(x->note), "setup failed");
		return;
	}
	t0 = app_now();
	x->ok = !baseline_dpdk2211(spapr_model_backend(m), 0, r, (unsigned int)n, &res);
	collect(m, t0, x);
	if (!x->ok)
		snprintf(x->note, sizeof(x->note), "%s (0x%llx)", res.failed,
			 (unsigned long long)res.start);
	/* No spapr_model_destroy: the child exits (see run_baseline). */
	free(r);
}

/*
 * The baseline runs in a child process: with one registration per hugepage,
 * tearing the model down costs as much as the mapping (every unlink walks
 * the region list), and that is not part of what is measured; the child
 * hands its counters back through a pipe and exits.
 */
static void run_baseline(const char *profile, uint64_t mem, uint64_t page, struct metrics *x)
{
	int fd[2];
	pid_t pid;

	memset(x, 0, sizeof(*x));
	if (pipe(fd) || (pid = fork()) < 0) {
		baseline_in_process(profile, mem, page, x);
		return;
	}
	if (pid == 0) {
		close(fd[0]);
		baseline_in_process(profile, mem, page, x);
		_exit(write(fd[1], x, sizeof(*x)) == (ssize_t)sizeof(*x) ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], x, sizeof(*x)) != (ssize_t)sizeof(*x)) {
		memset(x, 0, sizeof(*x));
		snprintf(x->note, sizeof(x->note), "baseline process failed");
	}
	close(fd[0]);
	waitpid(pid, NULL, 0);
}

static void print_row(const char *profile, uint64_t mem, uint64_t page, const char *algo,
		      const struct metrics *x)
{
	char a[16], b[16], t[16];

	printf("%-12s %5s %5s %-10s", profile, app_size(page, a, 16), app_size(mem, b, 16), algo);
	if (!x->ok && !x->ioctls) {
		printf(" %s\n", x->note);
		return;
	}
	printf(" %8llu %14llu %10llu %10llu %8s %10.1f%s%s\n", (unsigned long long)x->ioctls,
	       (unsigned long long)x->visits, (unsigned long long)x->tce_writes,
	       (unsigned long long)x->hcalls, app_size(x->table_bytes, t, 16), x->ms,
	       x->ok ? "" : "  FAILED: ", x->ok ? "" : x->note);
}

/* ---- lookup ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per spapr_dma_iova() over random VAs of 64 GiB of 2 MiB pages in
 * indirect mode, spread over 16 memseg lists (16 lookup ranges). */
static double lookup_ns(unsigned int rounds)
{
	enum { NVA = 1 << 20 };
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_INDIRECT };
	struct spapr_dma_mem_region *r = NULL;
	struct spapr_dma_container *c = NULL;
	struct spapr_dma_platform plat;
	struct spapr_dma_ctx *ctx;
	struct spapr_model *m;
	unsigned int lists = 16, i, k;
	uint64_t *va, sum = 0, rnd = 88172645463325252ull;
	double *ns, med = -1;
	int n, g = 0;

	struct spapr_model_profile prof;

	if (spapr_model_profile_get("powernv9", &prof) || !(m = spapr_model_create(&prof)))
		return -1;
	n = app_layout(m, 64 * GiB, 2 * MiB, lists, &r);
	spapr_dma_platform_from_backend(spapr_model_backend(m), &plat);
	ctx = spapr_dma_ctx_create(&plat, &pol);
	va = malloc(sizeof(*va) * NVA);
	ns = malloc(sizeof(*ns) * rounds);
	if (n > 0 && ctx && va && ns && !spapr_dma_mem_add(ctx, r, (unsigned int)n, NULL) &&
	    !spapr_dma_container_create(ctx, spapr_model_backend(m), &g, 1, &c, NULL)) {
		for (i = 0; i < NVA; i++) {	/* xorshift: any byte of any memseg */
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			va[i] = r[rnd % (unsigned int)n].va + (rnd >> 32) % (2 * MiB);
		}
		for (k = 0; k < rounds; k++) {
			double t0 = app_now();

			for (i = 0; i < NVA; i++)
				sum += spapr_dma_iova(c, va[i]);
			ns[k] = (app_now() - t0) * 1e9 / NVA;
		}
		qsort(ns, rounds, sizeof(*ns), cmp_double);
		med = ns[rounds / 2];
		printf("lookup: spapr_dma_iova() indirect mode, 64G of 2M pages in %u lists, %d "
		       "lookups x %u rounds: median %.2f ns/op (min %.2f, max %.2f) [check %llx]\n",
		       lists, NVA, rounds, med, ns[0], ns[rounds - 1], (unsigned long long)(sum & 0xff));
	}
	free(va);
	free(ns);
	spapr_dma_ctx_destroy(ctx);
	spapr_model_destroy(m);
	free(r);
	return med;
}

int main(int argc, char **argv)
{
	static const char *const profiles[] = { "powernv9", "pseries-kvm" };
	static const uint64_t sizes[] = { 1 * GiB, 16 * GiB, 64 * GiB, 256 * GiB };
	static const uint64_t pages[] = { 2 * MiB, 1 * GiB };
	bool short_mode = argc > 1 && !strcmp(argv[1], "--short");
	bool all = argc > 1 && !strcmp(argv[1], "--all");
	unsigned int nsizes = short_mode ? 3 : 4, p, g, s;
	double prev_ms, budget_s = 110;	/* the full table stays under two minutes */
	struct metrics ref_e = { 0 }, ref_b = { 0 };
	double t_start = app_now(), lk;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* rows appear as they are measured */
	if (argc > 1 && !short_mode && !all) {
		printf("usage: spapr-bench [--short | --all]\n");
		return 2;
	}
	printf("spapr-bench: engine vs DPDK 22.11 algorithm on the host model (mapping phase)\n");
	printf("%-12s %5s %5s %-10s %8s %14s %10s %10s %8s %10s\n", "profile", "page", "mem", "algo",
	       "ioctls", "region-visits", "tce-writes", "hcalls", "table", "map-ms");
	for (p = 0; p < 2; p++)
		for (g = 0; g < 2; g++)
			for (s = 0, prev_ms = 0; s < nsizes; s++) {
				struct metrics e, b;
				/* The baseline's REGISTERs each scan the model's whole
				 * region list (§7): time grows with memsegs squared,
				 * and ~1.75x more per step once the list leaves the
				 * cache (measured: 64G -> 256G took 26x, not 16x). */
				double grow = (double)(sizes[s] / sizes[s ? s - 1 : 0]);
				double predict = prev_ms * 1e-3 * grow * grow * 1.75;

				/* The row the exit status judges always runs: a verdict
				 * must not depend on how fast this machine is today. */
				bool reference = p == 0 && g == 0 && sizes[s] == 64 * GiB;

				run_engine(profiles[p], sizes[s], pages[g], &e);
				if (!all && !reference && predict > 1 &&
				    app_now() - t_start + predict > budget_s) {
					memset(&b, 0, sizeof(b));
					snprintf(b.note, sizeof(b.note),
						 "skipped: predicted %.0f s (memsegs^2 list walks), "
						 "run with --all", predict);
				} else {
					run_baseline(profiles[p], sizes[s], pages[g], &b);
				}
				prev_ms = b.ms;
				print_row(profiles[p], sizes[s], pages[g], "engine", &e);
				print_row(profiles[p], sizes[s], pages[g], "dpdk-22.11", &b);
				if (reference) {
					ref_e = e;
					ref_b = b;
				}
			}
	lk = lookup_ns(short_mode ? 5 : 21);
	printf("targets at 64G of 2M on powernv9: ioctls %llu <= 3 + 2 x %u contiguous + 2: %s; "
	       "ioctl ratio >= 1000: %s; visit ratio >= 1e4: %s; lookup <= 10 ns: %s\n",
	       (unsigned long long)ref_e.ioctls, ref_e.contig,
	       ref_e.ioctls <= 3 + 2ull * ref_e.contig + 2 ? "met" : "MISSED",
	       ref_e.ioctls && ref_b.ioctls >= 1000 * ref_e.ioctls ? "met" : "MISSED",
	       ref_e.visits && ref_b.visits >= 10000 * ref_e.visits ? "met" : "MISSED",
	       lk >= 0 && lk <= 10 ? "met" : "MISSED");
	printf("total wall time %.1f s\n", app_now() - t_start);
	printf("summary: ioctl_ratio=%.0f visit_ratio=%.0f lookup_ns=%.2f\n",
	       ref_e.ioctls ? (double)ref_b.ioctls / (double)ref_e.ioctls : 0.0,
	       ref_e.visits ? (double)ref_b.visits / (double)ref_e.visits : 0.0, lk);
	/* Exit status: the deterministic targets only (counts, never times). */
	return ref_e.ioctls && ref_e.ioctls <= 3 + 2ull * ref_e.contig + 2 &&
		       ref_b.ioctls >= 1000 * ref_e.ioctls && ref_b.visits >= 10000 * ref_e.visits ?
		       0 : 1;
}
