/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sc_guest.c - the case runner inside the POWER guest: runs the case list
 * through the project's vfio backend (lib/dma/vfio) on the real kernel and
 * prints the records on stdout (the console), between "@@ BEGIN" and
 * "@@ END" lines.
 *
 * Usage: spapr-system-guest --group N [--group M] [--machine NAME]
 *                           [--boot B] [--cases a,b,...] [--seed S] [--random N]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sc.h"
#include "spapr_vfio.h"

#define MAX_CASES 4096

struct opts {
	int groups[2];
	const char *machine;
	char *cases;
	unsigned long seed;
	unsigned int nrandom;
	unsigned int boot;
};

static void usage(void)
{
	fprintf(stderr, "usage: spapr-system-guest --group N [--group M] "
		"[--machine NAME] [--boot B] [--cases a,b] [--seed S] [--random N]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	unsigned int ngroups = 0;

	o->groups[0] = o->groups[1] = -1;
	o->machine = "unknown";
	o->seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--group") == 0 && ngroups < 2)
			o->groups[ngroups++] = atoi(argv[++i]);
		else if (strcmp(a, "--machine") == 0)
			o->machine = argv[++i];
		else if (strcmp(a, "--cases") == 0)
			o->cases = argv[++i];
		else if (strcmp(a, "--seed") == 0)
			o->seed = strtoul(argv[++i], NULL, 0);
		else if (strcmp(a, "--boot") == 0)
			o->boot = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (strcmp(a, "--random") == 0)
			o->nrandom = (unsigned int)strtoul(argv[++i], NULL, 0);
		else
			usage();
	}
	if (ngroups == 0)
		usage();
}

/* The arena every case uses, at the same VA the model declares. */
static int map_arena(void)
{
	void *p = mmap((void *)(uintptr_t)SC_ARENA_VA, SC_ARENA_LEN,
		       PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE,
		       -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if ((uintptr_t)p != SC_ARENA_VA)
		return -EADDRNOTAVAIL;
	return 0;
}

static unsigned int case_list(const struct opts *o, char **names)
{
	unsigned int n = 0;

	if (o->cases == NULL)
		return sc_default_order(names, MAX_CASES, o->boot, o->seed, o->nrandom,
					o->groups[1] >= 0);
	for (char *tok = strtok(o->cases, ","); tok && n < MAX_CASES; tok = strtok(NULL, ","))
		names[n++] = strdup(tok);
	return n;
}

/* Drop CAP_IPC_LOCK from the effective set and set RLIMIT_MEMLOCK, so
 * account_locked_vm() enforces the limit (it skips it for CAP_IPC_LOCK). */
static int limit_memlock(uint64_t bytes)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	struct rlimit rl = { .rlim_cur = bytes, .rlim_max = bytes };

	if (syscall(SYS_capget, &h, d) != 0)
		return -errno;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &h, d) != 0 || setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return -errno;
	return 0;
}

/* The other process is a forked child: it inherits the fds and a copy of
 * the arena, but not the parent's mm. Its records go to the same stdout;
 * its exit status carries its last step number back. */
static int fork_child(struct sc_ctx *x, void (*fn)(struct sc_ctx *x), uint64_t memlock)
{
	pid_t pid;
	int st;

	fflush(x->out);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (memlock != SC_UNLIMITED && limit_memlock(memlock) != 0) {
			printf("@@ X %s: cannot limit memlock: %s\n", x->case_name,
			       strerror(errno));
			_exit(255);
		}
		fn(x);
		fflush(x->out);
		_exit(x->step & 0xff);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (!WIFEXITED(st))
		return -ECHILD;
	x->step = WEXITSTATUS(st);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static char *names[MAX_CASES];
	struct opts o = { 0 };
	struct sc_ctx x = { 0 };
	struct utsname un;
	unsigned int n;
	int rc;

	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&un);
	x.out = stdout;
	x.group_num[0] = o.groups[0];
	x.group_num[1] = o.groups[1];
	x.page_size = (unsigned int)sysconf(_SC_PAGESIZE);
	x.pseries = strcmp(o.machine, "pseries") == 0;
	x.other_mm = fork_child;
	x.be = spapr_vfio_backend_create();
	n = case_list(&o, names);
	printf("@@ BEGIN\n");
	printf("@@ H machine=%s pagesize=%u kernel=%s groups=%d,%d arena=0x%llx "
	       "cases=%u seed=%lu random=%u boot=%u\n", o.machine, x.page_size,
	       un.release, o.groups[0], o.groups[1], (unsigned long long)SC_ARENA_VA, n,
	       o.seed, o.nrandom, o.boot);
	rc = map_arena();
	if (x.be == NULL || rc != 0) {
		printf("@@ X setup failed: backend %s, arena %s\n",
		       x.be ? "ok" : "none", strerror(-rc));
		printf("@@ END\n");
		spapr_vfio_backend_destroy(x.be);
		return 1;
	}
	double t0 = now_ms();

	for (unsigned int i = 0; i < n; i++) {
		if (sc_run_case(&x, names[i]) != 0)
			printf("@@ X unknown case %s\n", names[i]);
		free(names[i]);
	}
	printf("@@ T cases=%u ms=%.0f\n", n, now_ms() - t0);
	printf("@@ END\n");
	spapr_vfio_backend_destroy(x.be);
	return 0;
}
