/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_faults - the plugin with the real EAL, in model mode, under
 * injected kernel faults at each phase of its life: init (probe), memory
 * growth and shrink (memory events), user map and unmap
 * (rte_spapr_dma_map/unmap) and teardown (rte_eal_cleanup).
 *
 * Every faulted run must end either clean - the model's locked_vm,
 * registrations, TCEs, windows and containers are what they would be had
 * the failed call never been made (or, for memory DPDK frees whatever
 * happens, had the removal succeeded) - or with the leak reported: a log
 * line of the plugin saying "left behind" and what. Anything else (a
 * silent leak, an invariant of the model broken) fails the test.
 *
 * Each run is a fresh process (rte_eal_init runs once per process): the
 * parent re-executes itself with "<profile> <phase> <faults>". For each
 * phase and fault the n-th call is made to fail, n = 1, 2, ... until the
 * fault no longer fires. Totals are printed at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>
#include <rte_memzone.h>

#include "plugin_env.h"
#include "rte_bus_spapr.h"
#include "spapr_model.h"
#include "test_util.h"

#define PG2M (2ull << 20)

/* Exit codes of a run. */
enum run_result {
	RUN_CLEAN = 0,		/* the fault fired, the state is clean */
	RUN_BROKEN = 1,		/* neither clean nor reported */
	RUN_SETUP = 2,		/* the run could not get to its phase */
	RUN_REPORTED = 3,	/* the fault fired, the leak was reported */
	RUN_NOT_FIRED = 4,	/* the n-th call never came: sweep done */
	RUN_NO_HUGEPAGES = 5,	/* RUN_SETUP while other processes held the hugepages */
};

/*
 * Hugepages are shared with every other DPDK test of the machine. A run
 * needs 16 pages at init (-m 32) and at most 24 more (40 MiB of growth and
 * the user map); the parent starts a run only with RUN_HUGEPAGES free.
 * A run that could not reach its phase is made again (RUN_TRIES in all),
 * each time once RUN_HUGEPAGES are free: one that failed for lack of
 * hugepages then reaches it, and a plugin that refuses refuses every time
 * and fails the test. Fewer than RUN_SHORT free at the failure (sampled
 * then; another process may be allocating or freeing at that moment) names
 * the likely cause; a run short of hugepages in every try is not run.
 */
#define RUN_HUGEPAGES 64
#define RUN_SHORT 32
#define RUN_TRIES 5

/*
 * Up to RUN_PARALLEL runs at once, each of another fault: a run spends
 * most of its wall time waiting, not computing (rte_eal_init sleeps 100 ms
 * to measure the TSC where the CPU does not report its frequency,
 * eal_timer.c get_tsc_freq()). The runs of one fault stay one after the
 * other (n + 1 only once n fired), so the runs made are those of the
 * sweep one run at a time. The parent reserves RUN_PAGES per run in
 * flight, the most a run uses (16 at init, 24 more), and RUN_SHORT more:
 * the runs never take each other's pages, and a run that fails while its
 * siblings hold theirs still sees RUN_SHORT free and is judged, not taken
 * for a shortage.
 */
#define RUN_PARALLEL 3
#define RUN_PAGES 40

static FILE *log_file;
static char prefix[64];

/* What the kernel holds for this process. */
struct snap {
	uint64_t locked_pages, registered;
	unsigned int regions, windows, containers;
	uint64_t tces;
};

static void snap_take(struct spapr_model *m, struct snap *s)
{
	struct spapr_model_mm_info mi;
	struct spapr_model_container_info ci;

	memset(s, 0, sizeof(*s));
	if (spapr_model_mm_info(m, 0, &mi) == 0) {
		s->locked_pages = mi.locked_vm_pages;
		s->registered = mi.registered_bytes;
		s->regions = mi.regions;
	}
	for (int h = 0; h < 64; h++) {
		if (spapr_model_container_info(m, h, &ci) != 0 || !ci.iommu_set)
			continue;
		s->containers++;
		for (unsigned int w = 0; w < 2; w++) {
			s->windows += ci.windows[w].present;
			s->tces += ci.windows[w].tces_in_use;
		}
	}
}

static bool snap_equal(const struct snap *a, const struct snap *b)
{
	bool eq = a->locked_pages == b->locked_pages && a->registered == b->registered &&
		  a->regions == b->regions && a->windows == b->windows &&
		  a->containers == b->containers && a->tces == b->tces;

	if (!eq)
		fprintf(stderr, "state differs: locked %" PRIu64 "/%" PRIu64 " pages, registered %"
			PRIu64 "/%" PRIu64 ", regions %u/%u, windows %u/%u, containers %u/%u, "
			"TCEs %" PRIu64 "/%" PRIu64 "\n",
			a->locked_pages, b->locked_pages, a->registered, b->registered,
			a->regions, b->regions, a->windows, b->windows,
			a->containers, b->containers, a->tces, b->tces);
	return eq;
}

/* Did the plugin log a line with @what since the log was opened? */
static bool plugin_logged(const char *what)
{
	return plugin_log_has(log_file, what);
}

/* Did the plugin log a leak report since the log was opened? */
static bool leak_reported(void)
{
	return plugin_logged("left behind");
}

static int eal_init(const char *profile, const char *huge)
{
	char devargs[128];
	char *eal[16];
	int n = 0;

	snprintf(devargs, sizeof(devargs), "bus=spapr,backend=model,profile=%s", profile);
	eal[n++] = "test";
	eal[n++] = "-l";
	eal[n++] = "0";
	eal[n++] = "-m";
	eal[n++] = "32";
	eal[n++] = "--no-pci";
	eal[n++] = "--no-telemetry";
	eal[n++] = "--iova-mode=pa";
	eal[n++] = "--file-prefix";
	eal[n++] = prefix;
	eal[n++] = "--huge-dir";
	eal[n++] = (char *)huge;
	eal[n++] = "--huge-unlink";
	eal[n++] = "-a";
	eal[n++] = devargs;
	eal[n] = NULL;
	return rte_eal_init(n, eal);
}

/* Arm "op:nth[:errno][,op:nth...]" on the live model (counted from now). */
static int arm(struct spapr_model *m, const char *faults)
{
	char err[256] = "";

	if (spapr_model_fault_parse(m, faults, err, sizeof(err)) != 0) {
		fprintf(stderr, "bad faults '%s': %s\n", faults, err);
		return -1;
	}
	return 0;
}

static enum run_result judge(struct spapr_model *m, const struct snap *clean)
{
	struct snap now;
	char err[256] = "";

	if (spapr_model_faults_fired(m) == 0)
		return RUN_NOT_FIRED;
	if (spapr_model_check_invariants(m, err, sizeof(err)) != 0) {
		fprintf(stderr, "model invariant broken: %s\n", err);
		return RUN_BROKEN;
	}
	snap_take(m, &now);
	if (snap_equal(&now, clean))
		return RUN_CLEAN;
	return leak_reported() ? RUN_REPORTED : RUN_BROKEN;
}

/* Probe under SPAPR_MODEL_FAULTS (set by the parent): refused and clean, or reported. */
static enum run_result phase_init(struct spapr_model *m)
{
	struct snap zero = { 0 };

	char err[256] = "";

	if (rte_spapr_status() != 0)
		return judge(m, &zero);
	if (spapr_model_faults_fired(m) == 0)
		return RUN_NOT_FIRED;
	/* Set-up went round the fault (e.g. a smaller pseries window). */
	return spapr_model_check_invariants(m, err, sizeof(err)) == 0 ? RUN_CLEAN : RUN_BROKEN;
}

static void *huge_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* -m 32 at init: a 40 MiB memzone needs heap growth (an ALLOC event). */
static enum run_result phase_growth(struct spapr_model *m, const char *faults)
{
	const struct rte_memzone *mz;
	enum run_result r;
	struct snap before;

	snap_take(m, &before);
	if (arm(m, faults))
		return RUN_SETUP;
	mz = rte_memzone_reserve("t_fault_grow", 40u << 20, SOCKET_ID_ANY, 0);
	if (mz == NULL)
		return RUN_SETUP;
	r = judge(m, &before);
	spapr_model_fault_clear(m);
	rte_memzone_free(mz);
	/* Freeing growth that was never mapped must not change anything either. */
	if (r == RUN_CLEAN && spapr_model_faults_fired(m) != 0) {
		struct snap after;

		snap_take(m, &after);
		if (!snap_equal(&after, &before))
			r = RUN_BROKEN;
	}
	return r;
}

/*
 * An indirect window with a little room (the capped profile): growth past
 * it is refused by the allocation validator before any kernel call, so the
 * armed fault cannot fire and nothing changes; growth that fits then meets
 * the fault in the ALLOC event and must leave the state as it was.
 */
static enum run_result phase_capacity(struct spapr_model *m, const char *faults)
{
	const struct rte_memzone *mz, *fill;
	struct snap before, now;
	enum run_result r;

	/* Most of -m 32 first, so that the memzones below need growth. */
	fill = rte_memzone_reserve("t_fault_fill", 24u << 20, SOCKET_ID_ANY, 0);
	if (fill == NULL)
		return RUN_SETUP;
	snap_take(m, &before);
	if (arm(m, faults))
		return RUN_SETUP;
	mz = rte_memzone_reserve("t_fault_past", 40u << 20, SOCKET_ID_ANY, 0);
	snap_take(m, &now);
	if (mz != NULL || spapr_model_faults_fired(m) != 0 || !snap_equal(&now, &before)) {
		fprintf(stderr, "growth past the window's room was %s\n",
			mz != NULL ? "granted" : "refused with kernel calls or changes");
		return RUN_BROKEN;
	}
	mz = rte_memzone_reserve("t_fault_fits", 16u << 20, SOCKET_ID_ANY, 0);
	if (mz == NULL)
		return RUN_SETUP;
	r = judge(m, &before);
	spapr_model_fault_clear(m);
	rte_memzone_free(mz);
	rte_memzone_free(fill);
	return r;
}

/* The FREE event cannot be vetoed: clean = as if the removal succeeded. */
static enum run_result phase_shrink(struct spapr_model *m, const char *faults)
{
	const struct rte_memzone *mz;
	struct snap before;

	snap_take(m, &before);
	mz = rte_memzone_reserve("t_fault_shrink", 40u << 20, SOCKET_ID_ANY, 0);
	if (mz == NULL)
		return RUN_SETUP;
	if (arm(m, faults))
		return RUN_SETUP;
	rte_memzone_free(mz);
	return judge(m, &before);
}

static enum run_result phase_user_map(struct spapr_model *m, const char *faults)
{
	char *va = huge_map(2 * PG2M);
	struct snap before;
	int rc;

	if (va == NULL)
		return RUN_SETUP;
	snap_take(m, &before);
	if (arm(m, faults))
		return RUN_SETUP;
	rc = rte_spapr_dma_map(va, 2 * PG2M, PG2M);
	if (rc == 0)
		return spapr_model_faults_fired(m) ? RUN_CLEAN : RUN_NOT_FIRED;
	return judge(m, &before);
}

/* All or nothing: a failed unmap leaves the user's memory mapped. */
static enum run_result phase_user_unmap(struct spapr_model *m, const char *faults)
{
	char *va = huge_map(2 * PG2M);
	struct snap mapped, unmapped;
	int rc;

	if (va == NULL)
		return RUN_SETUP;
	snap_take(m, &unmapped);
	if (rte_spapr_dma_map(va, 2 * PG2M, PG2M) != 0)
		return RUN_SETUP;
	snap_take(m, &mapped);
	if (arm(m, faults))
		return RUN_SETUP;
	rc = rte_spapr_dma_unmap(va, 2 * PG2M);
	if (rc == 0) {
		struct snap now;

		if (spapr_model_faults_fired(m) == 0)
			return RUN_NOT_FIRED;
		snap_take(m, &now);
		return snap_equal(&now, &unmapped) || leak_reported() ? RUN_CLEAN : RUN_BROKEN;
	}
	return judge(m, &mapped);
}

/*
 * rte_eal_cleanup() destroys the model, so the report is what is checked:
 * the sweep arms only calls teardown always makes (n = 1), and every such
 * failure must be logged with what it left behind (or why nothing).
 */
static enum run_result phase_teardown(struct spapr_model *m, const char *faults)
{
	if (arm(m, faults))
		return RUN_SETUP;
	rte_eal_cleanup();
	/* A failed UNSET_CONTAINER leaves nothing when the close detaches the
	 * group (§4): the report says so instead. */
	return leak_reported() || plugin_logged("detaches the group all the same") ?
	       RUN_REPORTED : RUN_BROKEN;
}

/* RUN_SETUP, or RUN_NO_HUGEPAGES when the hugepages were short just now. */
static enum run_result setup_failed(const char *phase)
{
	long fr = spapr_read_long(PLUGIN_HUGE_FREE, -1);

	if (fr < 0 || fr >= RUN_SHORT)
		return RUN_SETUP;
	fprintf(stderr, "%s: could not reach the phase with %ld free 2 MiB hugepages\n", phase, fr);
	return RUN_NO_HUGEPAGES;
}

/* The parent mounted PLUGIN_HUGE_DIR; a shortage here is judged, not skipped. */
static int run_child(const char *profile, const char *phase, const char *faults)
{
	const char *huge = PLUGIN_HUGE_DIR;
	struct spapr_model *m;
	enum run_result r;

	snprintf(prefix, sizeof(prefix), "spapr-fault-%d", (int)getpid());
	log_file = tmpfile();
	if (log_file == NULL || rte_openlog_stream(log_file) != 0)
		return RUN_SETUP;
	if (strcmp(phase, "init") == 0)
		setenv("SPAPR_MODEL_FAULTS", faults, 1);
	if (eal_init(profile, huge) < 0)
		return setup_failed(phase);
	m = rte_spapr_model();
	if (m == NULL)
		return RUN_SETUP;
	if (strcmp(phase, "init") == 0)
		r = phase_init(m);
	else if (rte_spapr_status() != 0)
		r = RUN_SETUP;
	else if (strcmp(phase, "growth") == 0)
		r = phase_growth(m, faults);
	else if (strcmp(phase, "shrink") == 0)
		r = phase_shrink(m, faults);
	else if (strcmp(phase, "capacity") == 0)
		r = phase_capacity(m, faults);
	else if (strcmp(phase, "user_map") == 0)
		r = phase_user_map(m, faults);
	else if (strcmp(phase, "user_unmap") == 0)
		r = phase_user_unmap(m, faults);
	else if (strcmp(phase, "teardown") == 0)
		r = phase_teardown(m, faults);
	else
		r = RUN_SETUP;
	if (r == RUN_SETUP)
		r = setup_failed(phase);
	/* SPAPR_TEST_VERBOSE=1: show what the plugin said in every run. */
	if (r == RUN_BROKEN || getenv("SPAPR_TEST_VERBOSE") != NULL) {
		char line[1024];

		fflush(log_file);
		rewind(log_file);
		while (fgets(line, sizeof(line), log_file))
			if (strstr(line, "spapr: "))
				fprintf(stderr, "  log: %s", line);
	}
	if (strcmp(phase, "teardown") != 0)
		rte_eal_cleanup();
	fclose(log_file);
	plugin_rm_runtime(prefix);
	return r;
}

/* Faults per phase: "%u" is replaced by n. Pairs fail a call and its undo. */
struct sweep {
	const char *phase;
	const char *faults[16];
	bool once;	/* n = 1 only (teardown) */
	bool capped;	/* only on the capped profile (an indirect window with little room) */
};

static const struct sweep sweeps[] = {
	{ "init", { "container_open:%u", "group_open:%u", "group_set_container:%u",
		    "set_iommu:%u", "get_info:%u", "tce_remove:%u", "tce_create:%u",
		    "register_memory:%u", "map_dma:%u", "level_alloc:%u", "pin:%u",
		    "hcall:%u", "map_dma:%u,unmap_dma:1", "map_dma:%u,unregister_memory:1",
		    "map_dma:%u,tce_remove:1", NULL }, false, false },
	{ "growth", { "register_memory:%u", "map_dma:%u", "pin:%u", "hcall:%u",
		      "map_dma:%u,unmap_dma:1", "map_dma:%u,unregister_memory:1", NULL }, false, false },
	{ "shrink", { "unmap_dma:%u", "unregister_memory:%u", "hcall:%u", NULL }, false, false },
	{ "capacity", { "register_memory:%u", "map_dma:%u", "pin:%u", "hcall:%u",
			"map_dma:%u,unmap_dma:1", NULL }, false, true },
	{ "user_map", { "register_memory:%u", "map_dma:%u", "pin:%u",
			"map_dma:%u,unmap_dma:1", "map_dma:%u,unregister_memory:1", NULL }, false, false },
	{ "user_unmap", { "unmap_dma:%u", "unregister_memory:%u", "unmap_dma:%u,map_dma:1",
			  NULL }, false, false },
	{ "teardown", { "tce_remove:%u", "unregister_memory:%u", "group_unset_container:%u",
			"close:%u", "tce_remove:%u,unmap_dma:1", NULL }, true, false },
};

/* n = 1..6, then a spread up to 24 (memory of 16-21 pages makes 16-21 MAPs). */
static const unsigned int nths[] = { 1, 2, 3, 4, 5, 6, 8, 11, 16, 21, 24 };

#define NSWEEPS (sizeof(sweeps) / sizeof(sweeps[0]))

struct totals {
	unsigned int runs, clean, reported, broken, setup, retried, not_run;
	unsigned int phase_runs[NSWEEPS], phase_reported[NSWEEPS];
};

/* Wait (up to ~30 s) until @need hugepages are free: other tests release theirs. */
static void wait_for_hugepages(long need)
{
	for (int i = 0; i < 150 && plugin_hugepages_raise(need) < need; i++)
		usleep(200 * 1000);
}

/* Start a run; -1 if it could not be started. */
static pid_t run_start(const char *self, const char *profile, const char *phase,
		       const char *faults)
{
	pid_t pid = fork();

	if (pid == 0) {
		unsetenv("SPAPR_DPDK_OPTS");
		unsetenv("SPAPR_MODEL_FAULTS");
		execl(self, self, profile, phase, faults, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The result of a run from its wait status @st (@ok: waitpid worked). */
static enum run_result run_result_of(bool ok, int st, const char *profile, const char *phase,
				     const char *faults)
{
	if (!ok || !WIFEXITED(st)) {
		fprintf(stderr, "%s %s %s: child status 0x%x\n", profile, phase, faults, st);
		return RUN_BROKEN;
	}
	if (WEXITSTATUS(st) > RUN_NO_HUGEPAGES) {
		fprintf(stderr, "%s %s %s: child exit %d\n", profile, phase, faults,
			WEXITSTATUS(st));
		return RUN_BROKEN;
	}
	return (enum run_result)WEXITSTATUS(st);
}

/* One run alone, once RUN_HUGEPAGES are free. */
static enum run_result run_once(const char *self, const char *profile, const char *phase,
				const char *faults)
{
	pid_t pid;
	int st = 0;

	wait_for_hugepages(RUN_HUGEPAGES);
	pid = run_start(self, profile, phase, faults);
	return run_result_of(pid > 0 && waitpid(pid, &st, 0) == pid, st, profile, phase, faults);
}

/* @r came from a run that could not reach its phase: it is made again,
 * RUN_TRIES times in all. */
static enum run_result run_again(const char *self, const char *profile, const char *phase,
				 const char *faults, enum run_result r, struct totals *t)
{
	for (int k = 1; k < RUN_TRIES && (r == RUN_SETUP || r == RUN_NO_HUGEPAGES); k++) {
		fprintf(stderr, "again: %s %s %s (%s)\n", profile, phase, faults,
			r == RUN_SETUP ? "could not reach the phase" : "short of hugepages");
		t->retried++;
		r = run_once(self, profile, phase, faults);
	}
	return r;
}

/* The sweep of one fault: its phase, format and where it is. */
struct cursor {
	size_t sweep;
	unsigned int fault;
	size_t k, last;		/* index into nths, and its end */
	pid_t pid;		/* the run in flight, 0 if none */
	char faults[128];
};

/* Account the result @r of @c's run; returns false when @c's sweep is done. */
static bool sweep_result(const char *self, const char *profile, struct cursor *c,
			 enum run_result r, struct totals *t)
{
	const struct sweep *sw = &sweeps[c->sweep];

	r = run_again(self, profile, sw->phase, c->faults, r, t);
	if (r == RUN_NOT_FIRED)
		return false;
	if (r == RUN_NO_HUGEPAGES) {
		t->not_run++;
		fprintf(stderr, "NOT RUN %s %s %s: short of hugepages in %d tries\n", profile,
			sw->phase, c->faults, RUN_TRIES);
		return ++c->k < c->last;
	}
	t->runs++;
	t->phase_runs[c->sweep]++;
	t->phase_reported[c->sweep] += r == RUN_REPORTED;
	t->clean += r == RUN_CLEAN;
	t->reported += r == RUN_REPORTED;
	t->setup += r == RUN_SETUP;
	t->broken += r != RUN_CLEAN && r != RUN_REPORTED;
	t_checks++;
	if (r != RUN_CLEAN && r != RUN_REPORTED) {
		t_failures++;
		fprintf(stderr, "FAIL %s %s %s: %s\n", profile, sw->phase, c->faults,
			r == RUN_SETUP ? "could not reach the phase in any try" :
			"state not clean and no leak reported");
	}
	return ++c->k < c->last;
}

/* Start @c's next run (@running are in flight); false when its sweep is done. */
static bool cursor_start(const char *self, const char *profile, struct cursor *c,
			 size_t running, struct totals *t)
{
	const struct sweep *sw = &sweeps[c->sweep];

	while (c->k < c->last) {
		wait_for_hugepages(running == 0 ? RUN_HUGEPAGES : RUN_PAGES);
		snprintf(c->faults, sizeof(c->faults), sw->faults[c->fault], nths[c->k]);
		c->pid = run_start(self, profile, sw->phase, c->faults);
		if (c->pid > 0)
			return true;
		c->pid = 0;
		if (!sweep_result(self, profile, c, RUN_BROKEN, t))
			return false;
	}
	return false;
}

/* @capped: run the sweeps of the capped profile, else all others. For each
 * fault the n-th call fails, n = nths[0], nths[1], ... until it no longer
 * fires; RUN_PARALLEL faults at a time. */
static void sweep_profile(const char *self, const char *profile, bool capped, struct totals *t)
{
	struct cursor cur[NSWEEPS * 16];
	size_t ncur = 0, next = 0, running = 0, i;

	for (size_t s = 0; s < NSWEEPS; s++) {
		if (sweeps[s].capped != capped)
			continue;
		for (unsigned int f = 0; sweeps[s].faults[f] != NULL; f++)
			cur[ncur++] = (struct cursor){ .sweep = s, .fault = f,
				.last = sweeps[s].once ? 1 : sizeof(nths) / sizeof(nths[0]) };
	}
	while (next < ncur || running > 0) {
		pid_t pid;
		int st = 0;

		while (running < RUN_PARALLEL && next < ncur)
			running += cursor_start(self, profile, &cur[next++], running, t);
		if (running == 0)
			continue;
		pid = waitpid(-1, &st, 0);
		for (i = 0; i < ncur && (pid <= 0 || cur[i].pid != pid); i++)
			;
		if (i == ncur) {
			/* The runs in flight cannot be waited for: each is broken. */
			fprintf(stderr, "waitpid: %s\n", strerror(errno));
			for (i = 0; i < ncur; i++)
				if (cur[i].pid > 0) {
					cur[i].pid = 0;
					cur[i].last = 0;
					t->broken++;
					t_checks++;
					t_failures++;
				}
			running = 0;
			continue;
		}
		running--;
		cur[i].pid = 0;
		if (sweep_result(self, profile, &cur[i],
				 run_result_of(true, st, profile, sweeps[cur[i].sweep].phase,
					       cur[i].faults), t))
			running += cursor_start(self, profile, &cur[i], running, t);
	}
}

int main(int argc, char **argv)
{
	static const char *const profiles[] = { "powernv9", "pseries-kvm" };
	struct totals t = { 0 };
	char capped[64];

	if (argc == 4)
		return run_child(argv[1], argv[2], argv[3]);
	plugin_hugepages(RUN_PARALLEL * RUN_PAGES + RUN_SHORT);
	t_current = "fault sweep";
	for (size_t p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++)
		sweep_profile("/proc/self/exe", profiles[p], false, &t);
	/* 1024 TCEs: a 64 MiB window for the 32 MiB of -m 32 and ~30 MiB of room. */
	T_EQ(plugin_capped_profile(capped, 1024), 0);
	sweep_profile("/proc/self/exe", capped, true, &t);
	unlink(capped);
	for (size_t s = 0; s < NSWEEPS; s++)
		printf("%-10s %3u faulted runs, %3u clean, %3u leak reported\n", sweeps[s].phase,
		       t.phase_runs[s], t.phase_runs[s] - t.phase_reported[s], t.phase_reported[s]);
	printf("plugin fault sweep: %u faulted runs: %u clean, %u leak reported, %u broken "
	       "(%u could not reach their phase); %u runs made again, "
	       "%u not run\n", t.runs, t.clean, t.reported, t.broken, t.setup, t.retried, t.not_run);
	if (t.not_run != 0 && t_failures == 0)
		T_SKIP("%u faulted runs could not get hugepages in %d tries each (other processes "
		       "hold them): free some and run again", t.not_run, RUN_TRIES);
	return t_finish();
}
