/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_errors - bad options, low RLIMIT_MEMLOCK and unaffordable plans.
 *
 * Each case runs in a fresh process (rte_eal_init runs once per process, and
 * the environment is read by the plugin's constructor): the parent re-executes
 * itself with the case name.
 *
 * DPDK 22.11 fails rte_eal_init() for errors found while parsing devargs, but
 * ignores bus probe errors (eal_common_bus.c rte_bus_probe). So option errors
 * must fail EAL init; set-up errors (memlock, plan) leave EAL running with the
 * plugin refusing (rte_spapr_status() < 0) and nothing left in the model.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memzone.h>
#include <rte_malloc.h>
#include <rte_log.h>

#include "plugin_env.h"
#include "rte_bus_spapr.h"
#include "spapr_dma.h"
#include "spapr_model.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

static const char *huge;
static char prefix[64];
static char *extra_arg;	/* one more EAL argument, e.g. --iova-mode=va */
static char *second_devargs;	/* a second -a */
static int keep_files;	/* multi-process case: shared files, no unlink */
static int no_huge;	/* --no-huge: anonymous 4K memory, no physical addresses */
static int with_pci;	/* scan PCI (a fake sysfs from SYSFS_PCI_DEVICES) */

static int eal_init(const char *devargs)
{
	char *eal[20];
	int n = 0;

	eal[n++] = "test";
	eal[n++] = "-l";
	eal[n++] = "0";
	eal[n++] = "-m";
	eal[n++] = keep_files ? "32" : "16";
	if (!with_pci)
		eal[n++] = "--no-pci";
	eal[n++] = "--no-telemetry";
	eal[n++] = "--file-prefix";
	eal[n++] = prefix;
	if (no_huge) {
		eal[n++] = "--no-huge";
	} else {
		eal[n++] = "--huge-dir";
		eal[n++] = (char *)huge;
	}
	/* Secondary processes map the primary's hugepage files: keep them. */
	if (!keep_files && !no_huge)
		eal[n++] = "--huge-unlink";
	if (extra_arg != NULL)
		eal[n++] = extra_arg;
	if (devargs != NULL) {
		eal[n++] = "-a";
		eal[n++] = (char *)devargs;
	}
	if (second_devargs != NULL) {
		eal[n++] = "-a";
		eal[n++] = second_devargs;
	}
	eal[n] = NULL;
	return rte_eal_init(n, eal);
}

static void expect_init_fails(const char *devargs, const char *why)
{
	T_EQ(eal_init(devargs), -1);
	T_CHECK(rte_spapr_status() < 0 && rte_spapr_status() != -EAGAIN);
	T_CHECK(strstr(rte_spapr_error(), why) != NULL);
	printf("error: %s\n", rte_spapr_error());
	T_CHECK(rte_spapr_model() == NULL);	/* nothing was created */
}

/* Probe refused: EAL runs, the plugin undid everything in the model. */
static void expect_refused_keep(const char *devargs, const char *why)
{
	struct spapr_model *m;
	struct spapr_model_mm_info mi;
	struct spapr_model_container_info ci;
	char err[256] = "";

	T_CHECK(eal_init(devargs) >= 0);
	T_CHECK(rte_spapr_status() < 0 && rte_spapr_status() != -EAGAIN);
	T_CHECK(strstr(rte_spapr_error(), why) != NULL);
	/* The planner's reason, not the kernel refusing a second SET_IOMMU on
	 * the same container (what a retry without the flag gets). */
	T_CHECK(strstr(rte_spapr_error(), "SET_IOMMU") == NULL);
	printf("refused: %s\n", rte_spapr_error());
	T_EQ(rte_spapr_containers(), 0);
	m = rte_spapr_model();
	T_CHECK(m != NULL);
	if (m != NULL) {
		T_EQ(spapr_model_mm_info(m, 0, &mi), 0);
		T_EQU(mi.locked_vm_pages, 0);
		T_EQ(mi.regions, 0);
		T_EQU(mi.registered_bytes, 0);
		T_EQU(mi.leaked_pages, 0);
		/* No container handle is left open (handles are small ints). */
		for (int h = 0; h < 16; h++)
			T_CHECK(spapr_model_container_info(m, h, &ci) != 0 || !ci.iommu_set);
		T_EQ(spapr_model_check_invariants(m, err, sizeof(err)), 0);
	}
}

static void expect_refused(const char *devargs, const char *why)
{
	expect_refused_keep(devargs, why);
	T_EQ(rte_eal_cleanup(), 0);
}

static void case_bad_policy(void)
{
	expect_init_fails("bus=spapr,backend=model,policy=fastest",
			  "bad value 'fastest' for key 'policy': accepted values are auto, direct, indirect");
}

static void case_bad_page_size(void)
{
	expect_init_fails("bus=spapr,backend=model,page_size=3K", "key 'page_size'");
}

static void case_bad_profile(void)
{
	expect_init_fails("bus=spapr,backend=model,profile=powernv99", "key 'profile'");
}

static void case_unknown_key(void)
{
	expect_init_fails("bus=spapr,backend=model,windowsize=4G", "unknown key 'windowsize'");
}

/* Two -a bus=spapr: the second would silently replace the first. */
static void case_two_devargs(void)
{
	second_devargs = "bus=spapr,policy=direct";
	expect_init_fails("bus=spapr,backend=model,profile=pseries-kvm",
			  "given twice: put every option in one -a bus=spapr,key=value,...");
}

static void case_help(void)
{
	expect_init_fails("bus=spapr,help", "help printed");
}

/* A bad environment fails EAL init as soon as any spapr devargs is given. */
static void case_bad_env(void)
{
	expect_init_fails("bus=spapr,backend=model", "SPAPR_DPDK_OPTS: bad value '3K' for key 'page_size'");
}

/* Environment alone: no devargs hook runs; the plugin refuses at probe. */
static void case_bad_env_only(void)
{
	T_CHECK(eal_init(NULL) >= 0);
	T_EQ(rte_spapr_status(), -EINVAL);
	T_CHECK(strstr(rte_spapr_error(), "SPAPR_DPDK_OPTS") != NULL);
	T_EQ(rte_spapr_containers(), 0);
	rte_eal_cleanup();
}

/*
 * The legacy form "-a spapr,key=value": DPDK calls no bus hook for it before
 * the scan, and ignores scan and probe errors, so rte_eal_init() succeeds;
 * the options are honoured exactly like "-a bus=spapr,...", and an error is
 * the same sentence, with the plugin refusing and nothing created.
 */
static void expect_legacy_refused(const char *devargs, const char *why)
{
	T_CHECK(eal_init(devargs) >= 0);
	T_CHECK(rte_spapr_status() < 0 && rte_spapr_status() != -EAGAIN);
	T_CHECK(strstr(rte_spapr_error(), why) != NULL);
	printf("legacy refused: %s\n", rte_spapr_error());
	T_CHECK(rte_spapr_model() == NULL);
	T_EQ(rte_spapr_containers(), 0);
	rte_eal_cleanup();
}

static void case_legacy_bad_policy(void)
{
	expect_legacy_refused("spapr,backend=model,policy=fastest",
			      "bad value 'fastest' for key 'policy': accepted values are auto, direct, indirect");
}

static void case_legacy_bad_profile(void)
{
	expect_legacy_refused("spapr,backend=model,profile=powernv99", "key 'profile'");
}

static void case_legacy_help(void)
{
	expect_legacy_refused("spapr,help", "help printed");
}

/* Either form counts: a second spapr devargs is refused, whichever comes first. */
static void case_legacy_twice(void)
{
	second_devargs = "spapr,policy=direct";
	expect_legacy_refused("bus=spapr,backend=model,profile=pseries-kvm",
			      "given twice: put every option in one -a bus=spapr,key=value,...");
}

static void case_legacy_twice_first(void)
{
	second_devargs = "bus=spapr,policy=direct";
	expect_legacy_refused("spapr,backend=model,profile=pseries-kvm",
			      "given twice: put every option in one -a bus=spapr,key=value,...");
}

/* The spapr devargs left in EAL's list: how many, and are they all unnamed? */
static unsigned int spapr_devargs_unnamed(unsigned int *named)
{
	struct rte_devargs *da;
	unsigned int n = 0;

	*named = 0;
	RTE_EAL_DEVARGS_FOREACH("spapr", da) {
		n++;
		*named += da->name[0] != '\0';
	}
	return n;
}

/*
 * The options of "-a <form>" are honoured: the policy reaches the plan and
 * the IOVA vote (indirect on powernv9 votes PA; auto would not vote), and
 * the devargs is left unnamed so that tools which copy a process's devargs
 * to the processes they start (dpdk-test) do not copy it.
 */
static void expect_options_honoured(const char *devargs)
{
	struct rte_spapr_info info;
	unsigned int named;

	T_CHECK(eal_init(devargs) >= 0);
	T_EQ(rte_spapr_status(), 0);
	rte_spapr_info_get(&info);
	T_CHECK(strcmp(info.backend, "model") == 0);
	T_CHECK(strcmp(info.profile, "powernv9-4k") == 0);
	T_CHECK(strcmp(info.policy, "indirect") == 0);
	T_EQ(rte_eal_iova_mode(), RTE_IOVA_PA);
	T_EQ(spapr_devargs_unnamed(&named), 1);
	T_EQ(named, 0);
	rte_eal_cleanup();
}

static void case_legacy_options(void)
{
	expect_options_honoured("spapr,backend=model,profile=powernv9-4k,policy=indirect");
}

static void case_bus_options(void)
{
	expect_options_honoured("bus=spapr,backend=model,profile=powernv9-4k,policy=indirect");
}

/* What dpdk-test used to hand its children: the legacy form holding "bus=spapr". */
static void case_legacy_copied(void)
{
	expect_options_honoured("spapr,bus=spapr,backend=model,profile=powernv9-4k,policy=indirect");
}

/* Legacy devargs win over SPAPR_DPDK_OPTS, like the bus= form. */
static void case_legacy_env_override(void)
{
	struct rte_spapr_info info;

	T_CHECK(eal_init("spapr,policy=direct") >= 0);
	T_EQ(rte_spapr_status(), 0);
	rte_spapr_info_get(&info);
	T_CHECK(strcmp(info.policy, "direct") == 0);
	T_CHECK(strcmp(info.profile, "pseries-kvm") == 0);	/* from the environment */
	rte_eal_cleanup();
}

/*
 * A fake /sys/bus/pci/devices with one device bound to vfio-pci (vendor
 * 0x1234 matches no PMD, so bus_pci probes nothing): what a real POWER
 * host with a NIC for DPDK looks like to the plugin and to bus_pci.
 */
static int fake_vfio_sysfs(char *dir, size_t len)
{
	static const char *const files[][2] = {
		{ "vendor", "0x1234" }, { "device", "0x0001" }, { "subsystem_vendor", "0x0000" },
		{ "subsystem_device", "0x0000" }, { "class", "0x020000" }, { "numa_node", "-1" },
		{ "resource", "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"
			      "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0" },
	};
	char path[512];

	snprintf(dir, len, "/tmp/spapr-fake-sysfs-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/0000:00:01.0", dir);
	if (mkdir(dir, 0755) || mkdir(path, 0755))
		return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/0000:00:01.0/%s", dir, files[i][0]);
		f = fopen(path, "w");
		if (f == NULL)
			return -1;
		fprintf(f, "%s\n", files[i][1]);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/vfio-pci", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/0000:00:01.0/driver", dir);
	return symlink("../vfio-pci", path);
}

static void fake_vfio_sysfs_rm(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/*
 * backend=model from the environment alone must not silently take over a
 * process with real vfio-pci devices: the plugin refuses and says why.
 */
static void case_env_model_vfio_devices(void)
{
	char dir[256];

	T_EQ(fake_vfio_sysfs(dir, sizeof(dir)), 0);
	setenv("SYSFS_PCI_DEVICES", dir, 1);
	with_pci = 1;
	T_CHECK(eal_init(NULL) >= 0);
	T_EQ(rte_spapr_status(), -EPERM);
	T_CHECK(strstr(rte_spapr_error(), "SPAPR_DPDK_OPTS selects backend=model") != NULL);
	T_CHECK(strstr(rte_spapr_error(), "0000:00:01.0") != NULL);
	printf("refused: %s\n", rte_spapr_error());
	T_CHECK(rte_spapr_model() == NULL);
	T_EQ(rte_spapr_containers(), 0);
	rte_eal_cleanup();
	fake_vfio_sysfs_rm(dir);
}

/*
 * /proc/cpuinfo of a PowerNV host in a mount namespace of this process
 * alone (the vfio backend's platform comes from its "platform" line), so
 * that the vfio-mode decisions of a POWER host run on any machine.
 */
static int fake_powernv_cpuinfo(void)
{
	char path[64];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/tmp/spapr-cpuinfo-%d", (int)getpid());
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\n\n"
		"platform\t: PowerNV\n");
	fclose(f);
	/* /proc private, so that the bind does not reach the parent's namespace
	 * ("/" is no mount point in a chroot). */
	rc = unshare(CLONE_NEWNS) || mount(NULL, "/proc", NULL, MS_REC | MS_PRIVATE, NULL) ||
	     mount(path, "/proc/cpuinfo", NULL, MS_BIND, NULL) ? -1 : 0;
	unlink(path);
	return rc;
}

/* Is the PCI device @name blocked for bus_pci (a devargs saying so)? */
static bool pci_blocked(const char *name)
{
	struct rte_devargs *da;

	RTE_EAL_DEVARGS_FOREACH("pci", da)
		if (strcmp(da->name, name) == 0 && da->policy == RTE_DEV_BLOCKED)
			return true;
	return false;
}

/*
 * Set-up refused at probe (a bad SPAPR_DPDK_OPTS with no devargs, bad
 * legacy devargs, a vfio-pci device without IOMMU group): EAL runs, the
 * plugin refuses with @status and @why and the vfio-pci devices are blocked
 * on a POWER host (PowerNV faked, @power) and left to DPDK's own VFIO code
 * elsewhere.
 */
static void expect_blocking(const char *devargs, int status, const char *why, bool power)
{
	char dir[256];

	if (power && fake_powernv_cpuinfo() != 0)
		T_SKIP("cannot bind a PowerNV /proc/cpuinfo in a mount namespace: %s",
		       strerror(errno));
	T_EQ(fake_vfio_sysfs(dir, sizeof(dir)), 0);
	setenv("SYSFS_PCI_DEVICES", dir, 1);
	with_pci = 1;
	T_CHECK(eal_init(devargs) >= 0);
	T_EQ(rte_spapr_status(), status);
	T_CHECK(strstr(rte_spapr_error(), why) != NULL);
	printf("refused: %s\n", rte_spapr_error());
	T_EQ(pci_blocked("0000:00:01.0"), power);
	printf("0000:00:01.0 %s\n", pci_blocked("0000:00:01.0") ? "blocked" : "not blocked");
	rte_eal_cleanup();
	fake_vfio_sysfs_rm(dir);
}

/* vfio mode on a POWER host, a device whose IOMMU group cannot be found. */
static void case_vfio_no_group_blocks_power(void)
{
	expect_blocking(NULL, -ENODEV, "no IOMMU group for vfio-pci device 0000:00:01.0", true);
}

static void case_bad_env_blocks_power(void)
{
	expect_blocking(NULL, -EINVAL, "SPAPR_DPDK_OPTS: bad value 'bogus' for key 'policy'", true);
}

static void case_bad_env_leaves_other(void)
{
	expect_blocking(NULL, -EINVAL, "SPAPR_DPDK_OPTS: bad value 'bogus' for key 'policy'", false);
}

static void case_legacy_bad_blocks_power(void)
{
	expect_blocking("spapr,policy=bogus", -EINVAL, "bad value 'bogus' for key 'policy'", true);
}

static void case_legacy_bad_leaves_other(void)
{
	expect_blocking("spapr,policy=bogus", -EINVAL, "bad value 'bogus' for key 'policy'", false);
}

/* Explicit devargs win over SPAPR_DPDK_OPTS. */
static void case_env_override(void)
{
	struct rte_spapr_info info;

	T_CHECK(eal_init("bus=spapr,policy=direct") >= 0);
	T_EQ(rte_spapr_status(), 0);
	rte_spapr_info_get(&info);
	T_CHECK(strcmp(info.policy, "direct") == 0);
	T_CHECK(strcmp(info.profile, "pseries-kvm") == 0);	/* from the environment */
	rte_eal_cleanup();
}

static void case_low_memlock(void)
{
	char path[128], devargs[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/spapr-plugin-memlock-%d.conf", (int)getpid());
	f = fopen(path, "w");
	T_CHECK(f != NULL);
	if (f == NULL)
		return;
	fprintf(f, "base = powernv9\nmemlock = 1M\ncap_ipc_lock = false\n");
	fclose(f);
	snprintf(devargs, sizeof(devargs), "bus=spapr,backend=model,profile=%s", path);
	expect_refused(devargs, "MEMLOCK");
	unlink(path);
}

/* 64K TCEs and a 32768-TCE hypervisor block cannot cover DPDK's VA 1:1. */
static void case_unaffordable_direct(void)
{
	expect_refused("bus=spapr,backend=model,profile=pseries-powervm-sriov-vf,policy=direct",
		       "plan: ");
}

static void case_unaffordable_budget(void)
{
	expect_refused("bus=spapr,backend=model,profile=powernv9,policy=direct,page_size=4K,table_budget=4K",
		       "plan: ");
}

/*
 * Refusals known from the platform and the policy alone come before any
 * kernel work: no window, registration or mapping was ever made (on a real
 * pseries guest building and removing the windows first takes minutes).
 */
static void expect_no_kernel_work(const char *devargs, const char *why)
{
	struct spapr_model_counters cnt;

	expect_refused_keep(devargs, why);
	T_CHECK(rte_spapr_model() != NULL);
	if (rte_spapr_model() != NULL) {
		spapr_model_counters(rte_spapr_model(), &cnt);
		T_EQU(cnt.ops[SPAPR_MODEL_OP_TCE_CREATE], 0);
		T_EQU(cnt.ops[SPAPR_MODEL_OP_REGISTER_MEMORY], 0);
		T_EQU(cnt.ops[SPAPR_MODEL_OP_MAP_DMA], 0);
		T_EQU(cnt.ops[SPAPR_MODEL_OP_SET_IOMMU], 0);
	}
	T_EQ(rte_eal_cleanup(), 0);
}

/* An explicit window size that cannot hold the memory is refused, never
 * replaced by another window (the 32-bit default one). */
static void case_window_too_small(void)
{
	expect_refused("bus=spapr,backend=model,profile=powernv9,policy=indirect,window_size=8M",
		       "window_size");
}

/* A DDW at 1<<59 cannot be expressed when DPDK answers VA for its memory. */
static void case_va_nonzero_start(void)
{
	extra_arg = "--iova-mode=va";
	expect_no_kernel_work("bus=spapr,backend=model,profile=pseries-kvm", "--iova-mode=pa");
}

/* An indirect window at 0 still gives IOVAs != VA: also refused in VA mode. */
static void case_va_indirect(void)
{
	extra_arg = "--iova-mode=va";
	expect_no_kernel_work("bus=spapr,backend=model,profile=powernv9,policy=indirect",
			      "--iova-mode=pa");
}

/*
 * --no-huge: DPDK has no physical addresses, so it runs IOVA as VA and PA
 * mode is impossible; an indirect plan is refused with that reason (not
 * with advice to use --iova-mode=pa, which DPDK would reject).
 */
static void case_nohuge_indirect(void)
{
	no_huge = 1;
	expect_no_kernel_work("bus=spapr,backend=model,profile=powernv9-4k,policy=indirect",
		       "PA mode needs hugepages");
}

/* Does the log written to @f hold @needle? */
static bool log_has(FILE *f, const char *needle)
{
	char line[1024];
	bool found = false;

	fflush(f);
	rewind(f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, needle) != NULL;
	fseek(f, 0, SEEK_END);
	return found;
}

/*
 * Out of memory in the plugin itself: this program's calloc() fails the
 * plugin's region arrays (the only callocs of that element size) while
 * armed. Otherwise it is malloc() and a clear, so that the memory comes from
 * whichever malloc the process has: glibc's, or AddressSanitizer's, whose
 * free() refuses blocks that glibc's __libc_calloc handed out (libnuma's
 * constructor already frees one before main).
 */
static volatile int fail_region_callocs;

void *calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if ((fail_region_callocs && size == sizeof(struct spapr_dma_mem_region)) ||
	    __builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(bytes);
	/* explicit_bzero: the compiler would turn malloc + memset back into calloc. */
	if (p != NULL)
		explicit_bzero(p, bytes);
	return p;
}

/* Growth the plugin has no memory to map: told, and never a wrong IOVA. */
static void case_growth_oom(void)
{
	FILE *log = tmpfile();
	struct rte_spapr_info before, after;
	const struct rte_memzone *mz;

	T_CHECK(log != NULL && rte_openlog_stream(log) == 0);
	T_CHECK(eal_init("bus=spapr,backend=model,profile=pseries-kvm") >= 0);
	T_EQ(rte_spapr_status(), 0);
	rte_spapr_info_get(&before);
	fail_region_callocs = 1;
	mz = rte_memzone_reserve("t_oom_grow", 40u << 20, SOCKET_ID_ANY, 0);
	fail_region_callocs = 0;
	T_CHECK(mz != NULL);
	rte_spapr_info_get(&after);
	T_CHECK(after.mem_event_errors > before.mem_event_errors);
	T_CHECK(log_has(log, "spapr: memory growth at 0x"));
	T_CHECK(log_has(log, "out of memory"));
	if (mz != NULL)
		T_EQU(rte_malloc_virt2iova(mz->addr), RTE_BAD_IOVA);
	/* A user map the plugin has no memory for says so too. */
	{
		static char page[4096] __attribute__((aligned(4096)));

		fail_region_callocs = 1;
		T_EQ(rte_spapr_dma_map(page, sizeof(page), sizeof(page)), -ENOMEM);
		fail_region_callocs = 0;
		T_CHECK(log_has(log, "rte_spapr_dma_map(") && log_has(log, "out of memory"));
	}
	rte_memzone_free(mz);
	rte_eal_cleanup();
	rte_openlog_stream(NULL);
	fclose(log);
}

/* A refused pseries window: the remedy is spelt as a plugin option. */
static void case_create_refused_remedy(void)
{
	setenv("SPAPR_MODEL_FAULTS", "tce_create:1:ENODEV:8", 1);
	expect_refused("bus=spapr,backend=model,profile=pseries-kvm,policy=direct",
		       "use policy=indirect");
	T_CHECK(strstr(rte_spapr_error(), "--policy") == NULL);
	unsetenv("SPAPR_MODEL_FAULTS");
}

/* --no-huge memory is static too: the note names the option that was given. */
static void case_nohuge_static(void)
{
	FILE *log = tmpfile();

	T_CHECK(log != NULL && rte_openlog_stream(log) == 0);
	no_huge = 1;
	T_CHECK(eal_init("bus=spapr,backend=model,profile=powernv9-4k") >= 0);
	T_EQ(rte_spapr_status(), 0);
	T_CHECK(log_has(log, "spapr: no memory events (--no-huge)"));
	T_CHECK(!log_has(log, "--legacy-mem"));
	/* DPDK's address hint was free: the memory is where it asked (under
	 * AddressSanitizer its shadow memory holds the hint: va_high's case). */
	T_CHECK(log_has(log, "spapr: memory for IOVA as VA: 0x"));
	T_CHECK(ASAN_BUILD || log_has(log, "spapr: memory for IOVA as VA: 0x1000"));
	T_CHECK(ASAN_BUILD || !log_has(log, "not at its address hint"));
	rte_eal_cleanup();
	rte_openlog_stream(NULL);
	fclose(log);
}

/* Copy the lines of the log written to @f that hold @needle to stdout. */
static void log_echo(FILE *f, const char *needle)
{
	char line[1024];

	fflush(f);
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle) != NULL)
			fputs(line, stdout);
	fseek(f, 0, SEEK_END);
}

/*
 * IOVA as VA: DPDK's address hint (4 GiB) taken, as a ppc64 program loaded
 * there takes it, puts the memory where the kernel chooses, high up: the
 * window at 0 must reach it. The plugin says so, names what holds the hint
 * and the --base-virtaddr that avoids it.
 */
static void take_address_hint(void)
{
	void *want = (void *)(uintptr_t)(4ull << 30);
	void *got = mmap(want, 256u << 20, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	/* AddressSanitizer's shadow memory already covers 4 GiB on x86_64. */
	T_CHECK(got == want || (ASAN_BUILD && got == MAP_FAILED && errno == EEXIST));
}

/* The size of container 0's window from its plan line. */
static unsigned long long plan_window_size(void)
{
	char line[1024];
	const char *w;
	unsigned long long start = 1, size = 0;

	if (rte_spapr_plan_line(0, line, sizeof(line)) < 0 || (w = strstr(line, "window ")) == NULL)
		return 0;
	if (sscanf(w, "window 0x%llx+0x%llx", &start, &size) != 2 || start != 0)
		return 0;
	return size;
}

static void case_va_high(void)
{
	FILE *log = tmpfile();

	T_CHECK(log != NULL && rte_openlog_stream(log) == 0);
	no_huge = 1;
	take_address_hint();
	T_CHECK(eal_init("bus=spapr,backend=model,profile=powernv9-4k") >= 0);
	log_echo(log, "spapr: ");
	T_CHECK(log_has(log, "spapr: memory for IOVA as VA: 0x"));
	T_CHECK(log_has(log, ", not at its address hint 0x100000000 (an anonymous mapping at "
			"0x100000000)") || (ASAN_BUILD && log_has(log, ", not at its address hint 0x100000000 (")));
	T_CHECK(log_has(log, "start with --base-virtaddr=0x1000000"));
	if (rte_spapr_status() == 0)
		T_CHECK(plan_window_size() > (1ull << 40));
	rte_eal_cleanup();
	rte_openlog_stream(NULL);
	fclose(log);
}

static void case_va_low(void)
{
	FILE *log = tmpfile();

	T_CHECK(log != NULL && rte_openlog_stream(log) == 0);
	no_huge = 1;
	take_address_hint();
	extra_arg = "--base-virtaddr=0x1000000";
	T_CHECK(eal_init("bus=spapr,backend=model,profile=powernv9-4k") >= 0);
	T_EQ(rte_spapr_status(), 0);
	log_echo(log, "spapr: ");
	T_CHECK(log_has(log, "spapr: memory for IOVA as VA: 0x1"));
	T_CHECK(!log_has(log, "not at its address hint"));
	T_CHECK(plan_window_size() != 0 && plan_window_size() <= (256ull << 20));
	printf("window with --base-virtaddr=0x1000000: 0x%llx\n", plan_window_size());
	rte_eal_cleanup();
	rte_openlog_stream(NULL);
	fclose(log);
}

/* Secondary processes defer to the primary, whose containers and IOVAs serve
 * them: one INFO line, no error, and rte_spapr_info_get() says so. */
static void case_secondary_proc(void)
{
	const char *p = getenv("SPAPR_TEST_PREFIX");
	struct rte_spapr_info info;
	FILE *log = tmpfile();

	T_CHECK(p != NULL && log != NULL && rte_openlog_stream(log) == 0);
	if (p == NULL || log == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "%s", p);
	keep_files = 1;
	extra_arg = "--proc-type=secondary";
	if (eal_init("bus=spapr,backend=model,profile=pseries-kvm") < 0) {
		/* Nothing to clean up after a failed rte_eal_init() (22.11 can
		 * hang in rte_eal_cleanup() then): say why and stop. */
		T_CHECK(!"the secondary's rte_eal_init() failed");
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return;
	}
	T_EQ(rte_spapr_status(), 0);
	T_CHECK(strcmp(rte_spapr_error(), "") == 0);
	rte_spapr_info_get(&info);
	T_EQ(info.secondary, 1);
	T_EQ(info.containers, 0u);
	T_CHECK(rte_spapr_model() == NULL);
	T_CHECK(rte_spapr_dma_map(NULL, 4096, 4096) == -ENODEV);
	T_CHECK(log_has(log, "spapr: secondary process: DMA set-up, windows and IOVAs are the "
			"primary's; nothing to set up here"));
	T_CHECK(!log_has(log, "probe failed"));
	rte_eal_cleanup();
	rte_openlog_stream(NULL);
	fclose(log);
}

static void case_secondary(void)
{
	int st = 0;
	pid_t pid;

	keep_files = 1;
	/* A secondary maps DPDK's memory at the primary's addresses. Where
	 * DPDK's own hint cannot be used (under ASan it lies in the shadow
	 * gap), the kernel puts the memory among the mappings of the moment,
	 * which a new process may hold itself: its memory init then fails now
	 * and then. A fixed base far from both mmap's area and ASan's keeps
	 * the addresses free in every process. */
	extra_arg = "--base-virtaddr=0x500000000000";
	T_CHECK(eal_init("bus=spapr,backend=model,profile=pseries-kvm") >= 0);
	T_EQ(rte_spapr_status(), 0);
	setenv("SPAPR_TEST_PREFIX", prefix, 1);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "test_plugin_errors", "secondary_proc", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(rte_spapr_status(), 0);	/* the primary is untouched */
	rte_eal_cleanup();
}

struct tcase {
	const char *name;
	void (*fn)(void);
	const char *env;
};

static const struct tcase cases[] = {
	{ "bad_policy", case_bad_policy, NULL },
	{ "bad_page_size", case_bad_page_size, NULL },
	{ "bad_profile", case_bad_profile, NULL },
	{ "unknown_key", case_unknown_key, NULL },
	{ "help", case_help, NULL },
	{ "two_devargs", case_two_devargs, NULL },
	{ "bad_env", case_bad_env, "page_size=3K" },
	{ "bad_env_only", case_bad_env_only, "backend=model,page_size=3K" },
	{ "env_model_vfio_devices", case_env_model_vfio_devices,
	  "backend=model,profile=pseries-kvm" },
	{ "vfio_no_group_blocks_power", case_vfio_no_group_blocks_power, NULL },
	{ "bad_env_blocks_power", case_bad_env_blocks_power, "policy=bogus" },
	{ "bad_env_leaves_other", case_bad_env_leaves_other, "policy=bogus" },
	{ "legacy_bad_blocks_power", case_legacy_bad_blocks_power, NULL },
	{ "legacy_bad_leaves_other", case_legacy_bad_leaves_other, NULL },
	{ "env_override", case_env_override, "backend=model,profile=pseries-kvm,policy=indirect" },
	{ "legacy_bad_policy", case_legacy_bad_policy, NULL },
	{ "legacy_bad_profile", case_legacy_bad_profile, NULL },
	{ "legacy_help", case_legacy_help, NULL },
	{ "legacy_twice", case_legacy_twice, NULL },
	{ "legacy_twice_first", case_legacy_twice_first, NULL },
	{ "legacy_options", case_legacy_options, NULL },
	{ "bus_options", case_bus_options, NULL },
	{ "legacy_copied", case_legacy_copied, NULL },
	{ "legacy_env_override", case_legacy_env_override,
	  "backend=model,profile=pseries-kvm,policy=indirect" },
	{ "low_memlock", case_low_memlock, NULL },
	{ "unaffordable_direct", case_unaffordable_direct, NULL },
	{ "unaffordable_budget", case_unaffordable_budget, NULL },
	{ "va_nonzero_start", case_va_nonzero_start, NULL },
	{ "va_indirect", case_va_indirect, NULL },
	{ "nohuge_indirect", case_nohuge_indirect, NULL },
	{ "nohuge_static", case_nohuge_static, NULL },
	{ "va_high", case_va_high, NULL },
	{ "va_low", case_va_low, NULL },
	{ "window_too_small", case_window_too_small, NULL },
	{ "create_refused_remedy", case_create_refused_remedy, NULL },
	{ "growth_oom", case_growth_oom, NULL },
	{ "secondary", case_secondary, NULL },
};

static const struct tcase secondary_proc = { "secondary_proc", case_secondary_proc, NULL };

static int run_child(const struct tcase *c)
{
	snprintf(prefix, sizeof(prefix), "spapr-err-%d", (int)getpid());
	t_current = c->name;
	c->fn();
	plugin_rm_runtime(prefix);
	return t_finish();
}

static void run_case(const char *self, const struct tcase *c)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		if (c->env)
			setenv("SPAPR_DPDK_OPTS", c->env, 1);
		else
			unsetenv("SPAPR_DPDK_OPTS");
		execl(self, self, c->name, (char *)NULL);
		_exit(127);
	}
	T_CHECK(pid > 0);
	waitpid(pid, &st, 0);
	t_checks++;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		printf("skip case %s\n", c->name);	/* the child said why */
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		t_failures++;
		fprintf(stderr, "FAIL case %s: child status 0x%x\n", c->name, st);
	}
	printf("%s case %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok  " : "FAIL", c->name);
}

int main(int argc, char **argv)
{
	huge = plugin_hugepages(32);
	if (argc > 1 && strcmp(argv[1], secondary_proc.name) == 0) {
		t_current = secondary_proc.name;
		secondary_proc.fn();
		return t_finish();
	}
	if (argc > 1) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (strcmp(argv[1], cases[i].name) == 0)
				return run_child(&cases[i]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case("/proc/self/exe", &cases[i]);
	return t_finish();
}
