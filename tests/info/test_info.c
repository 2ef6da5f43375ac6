/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_info.c - spapr-info as a user runs it: its JSON (and text) output on
 * every model profile, the doctor's findings for deliberately broken
 * set-ups (low memlock, no hugepages, a non-viable group), and its reading
 * of fake /proc and /sys trees through --sysroot (PowerNV radix with NUMA,
 * a PowerVM hash LPAR on an old kernel), plus usage errors.
 *
 *   test_info PATH-TO-spapr-info
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"
#include "spapr_model.h"

static const char *tool;
static char out[1 << 18];

/* Run "tool ARGS" (a shell word list); stdout into out[]. Returns exit status. */
static int run(const char *fmt, ...)
{
	char args[1024], cmd[1400];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	/* A hang is a failure (status 124), not a stuck test. */
	snprintf(cmd, sizeof(cmd), "timeout 30 '%s' %s 2>/dev/null", tool, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool has(const char *s)
{
	return strstr(out, s) != NULL;
}

#define T_HAS(s)                                                               \
	do {                                                                   \
		t_checks++;                                                    \
		if (!has(s))                                                   \
			T_FAIL_AT("output lacks \"%s\"", s);                 \
	} while (0)
#define T_HASNT(s)                                                             \
	do {                                                                   \
		t_checks++;                                                    \
		if (has(s))                                                    \
			T_FAIL_AT("output has \"%s\"", s);                   \
	} while (0)

/* The number after "key": in the plan object. */
static unsigned long long plan_num(const char *key)
{
	char k[64];
	const char *plan = strstr(out, "\"plan\": {"), *v;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	v = plan ? strstr(plan, k) : NULL;
	return v ? strtoull(v + strlen(k), NULL, 10) : ~0ull;
}

/* ---- model profiles ------------------------------------------------------ */

static void test_every_profile(void)
{
	for (const char *const *n = spapr_model_profile_names(); *n; n++) {
		struct spapr_model_profile p;
		char s[128];
		int rc = run("--model %s --json", *n);

		T_CHECK(rc == 0 || rc == 1);
		T_EQ(spapr_model_profile_get(*n, &p), 0);
		T_HAS("\"source\": \"model\"");
		/* GET_INFO comes from the model: the profile's own values. */
		snprintf(s, sizeof(s), "\"pgsizes\": \"0x%llx\"", (unsigned long long)p.pgsizes);
		if (!has("\"iommu\": \"v1\""))	/* v1 GET_INFO has no DDW fields (§3.3) */
			T_HAS(s);
		snprintf(s, sizeof(s), "\"dma32_size\": \"0x%x\"", p.dma32_size);
		T_HAS(s);
		snprintf(s, sizeof(s), "\"platform\": \"%s\"",
			 p.platform == SPAPR_MODEL_PSERIES ? "pSeries" : "PowerNV");
		T_HAS(s);
		/* Every profile gets a plan for its default 1 GiB-per-node hugepages. */
		T_HAS("\"valid\": true");
		T_CHECK(plan_num("locked_needed") >= plan_num("memory_bytes"));
		T_EQU(plan_num("locked_bytes"), plan_num("memory_bytes") + plan_num("table_bytes"));
		T_HAS("\"chosen\": true");
		if (rc)
			fprintf(stderr, "note: %s: the doctor reports errors\n", *n);
	}
}

static void test_powernv9(void)
{
	T_EQ(run("--model powernv9 --json"), 0);
	T_HAS("\"mode\": \"direct\"");
	T_EQU(plan_num("page_size"), 2u << 20);
	T_EQU(plan_num("memory_bytes"), 2ull << 30);	/* 1 GiB on each of 2 nodes */
	T_EQU(plan_num("registrations"), 2);
	T_HAS("\"mmu\": \"Radix\"");
	T_HAS("\"code\": \"use_1g_pages\"");
	T_HASNT("\"severity\": \"error\"");
	/* 1 GiB pages: the 1 GiB TCE candidate wins. */
	T_EQ(run("--model powernv9 --hugepages 4G@1G --json"), 0);
	T_EQU(plan_num("page_size"), 1u << 30);
	T_HASNT("use_1g_pages");
	/* --mem / --page: the plan for that memory instead. */
	T_EQ(run("--model powernv9 --mem 64G --page 1G --json"), 0);
	T_EQU(plan_num("memory_bytes"), 64ull << 30);
	T_EQU(plan_num("page_size"), 1u << 30);
	T_EQU(plan_num("registrations"), 1);
	/* --policy indirect reaches the planner. */
	T_EQ(run("--model powernv9 --policy indirect --json"), 0);
	T_HAS("\"mode\": \"indirect\"");
	/* Human output: the plan line, the candidates, the need. */
	T_EQ(run("--model powernv9"), 0);
	T_HAS("plan: direct (IOVA = start + VA), 2 MiB TCEs");
	T_HAS("* direct/DDW");
	T_HAS("locked_vm needed: 2.0G");
	T_HAS("ddw.pgsizes 0x40211000 (4K 64K 2M 1G), max_dynamic_windows 2, levels 5");
}

static void test_powervm_vf(void)
{
	T_EQ(run("--model pseries-powervm-sriov-vf --json"), 0);
	T_HAS("\"hypervisor\": \"PowerVM\"");
	T_HAS("\"mmu\": \"Hash\"");
	T_HAS("\"mode\": \"indirect\"");
	T_EQU(plan_num("page_size"), 64u << 10);
	T_HAS("largest_available_block");	/* why the 1:1 window was rejected */
	T_HAS("\"accepted\": false");
	T_HAS("\"code\": \"hash_mmu\"");
	T_HAS("\"code\": \"plan_indirect\"");
	T_HAS("\"max_dynamic_windows\": 1");
}

static void test_v1_only(void)
{
	T_EQ(run("--model pseries-v1-only --doctor"), 1);
	T_HAS("[error] kernel_v1_only");
	T_HAS("6.10 or later");
}

/* A deliberately broken set-up: each problem found, with its fix. */
static void test_broken(void)
{
	T_EQ(run("--model powernv9 --memlock 16M --hugepages 0 --non-viable 1 --json"), 1);
	T_HAS("\"code\": \"memlock_low\"");
	T_HAS("ulimit -l ");
	T_HAS("\"code\": \"no_hugepages\"");
	T_HAS("\"code\": \"group_non_viable\"");
	T_HAS("dpdk-devbind.py --bind=vfio-pci 0000:02:00.1");
	T_HAS("{\"group\": 1, \"viable\": false");
	T_HAS("\"memlock\": 16777216");
	/* Fixed one by one: */
	T_EQ(run("--model powernv9 --memlock 4G --json"), 0);
	T_HASNT("memlock_low");
	T_EQ(run("--model powernv9 --memlock 1G --hugepages 1G@2M@0 --hugepages 1G@2M@1 --json"), 1);
	T_HAS("memlock_low");
	/* hugepages only on node 0, a device on node 1 */
	T_EQ(run("--model powernv9 --hugepages 1G@2M --doctor --json"), 0);
	T_HAS("\"code\": \"hugepages_wrong_node\"");
	T_HAS("node1/hugepages/hugepages-2048kB/nr_hugepages");
}

/*
 * PowerNV without hugepages (DPDK --no-huge, IOVA as VA): the window at 0
 * depends on where DPDK's memory lands; the remedy is a low --base-virtaddr,
 * whose window is the smallest of the three.
 */
static void test_va_placement(void)
{
	T_EQ(run("--model powernv9 --hugepages 0 --mem 64M --doctor"), 1);
	T_HAS("[warning] va_placement: with --no-huge DPDK runs IOVA as VA");
	T_HAS("at DPDK's address hint 0x100000000 that is a 8G window of 64K TCEs");
	T_HAS("fix: add --base-virtaddr=0x1000000 to the EAL arguments: a 128M window of 64K TCEs, "
	      "1 level(s)");
	/* pseries: every DDW is at 1<<59, no window at 0 in VA mode at all. */
	T_EQ(run("--model pseries-kvm --hugepages 0 --mem 64M --doctor"), 1);
	T_HASNT("va_placement");
	/* With hugepages the memory is not --no-huge memory: not this warning. */
	T_EQ(run("--model powernv9 --doctor"), 0);
	T_HASNT("va_placement");
}

static void test_usage(void)
{
	T_EQ(run("--hugepages 1G@2M"), 2);
	T_EQ(run("--model powernv9 --hugepages 3M@2M"), 2);
	T_EQ(run("--model no-such-profile"), 2);
	T_EQ(run("--policy fastest"), 2);
	T_EQ(run("--help"), 0);
	T_HAS("pseries-powervm-sriov-vf");
	/* Sizes that would wrap when rounded or summed are refused. */
	T_EQ(run("--model powernv9 --mem 18446744073709551615"), 2);
	T_EQ(run("--model powernv9 --mem -1"), 2);
	T_EQ(run("--model powernv9 --mem 8P"), 2);
	T_EQ(run("--model powernv9 --page 9223372036854775808"), 2);
	T_EQ(run("--model powernv9 --memlock 99999999999999999999"), 2);
	T_EQ(run("--model powernv9 --hugepages 18446744073709551615@1G"), 2);
	T_EQ(run("--model powernv9 --mem 4P --json"), 0);
	T_HAS("\"memory_bytes\": 4503599627370496");
}

/* ---- fake sysfs roots ---------------------------------------------------- */

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void link_to(const char *rel, const char *target)
{
	char path[512];

	put(rel, "");
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	if (symlink(target, path))
		T_FAIL_AT("symlink %s: %s", path, strerror(errno));
}

static void fake_dev(const char *bdf, const char *cls, int node, const char *drv, int group)
{
	char rel[256], v[64];

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/class", bdf);
	put(rel, cls);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/vendor", bdf);
	put(rel, "0x8086\n");
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/device", bdf);
	put(rel, "0x1572\n");
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/numa_node", bdf);
	snprintf(v, sizeof(v), "%d\n", node);
	put(rel, v);
	if (drv) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver", bdf);
		snprintf(v, sizeof(v), "../../../bus/pci/drivers/%s", drv);
		link_to(rel, v);
	}
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/iommu_group", bdf);
	snprintf(v, sizeof(v), "../../../kernel/iommu_groups/%d", group);
	link_to(rel, v);
}

static void fake_pools(int node, long nr2m, long nr1g)
{
	char rel[200], v[32];
	const char *base = node < 0 ? "sys/kernel/mm/hugepages" : NULL;
	char nb[96];

	if (!base) {
		snprintf(nb, sizeof(nb), "sys/devices/system/node/node%d/hugepages", node);
		base = nb;
	}
	snprintf(rel, sizeof(rel), "%s/hugepages-2048kB/nr_hugepages", base);
	snprintf(v, sizeof(v), "%ld\n", nr2m);
	put(rel, v);
	snprintf(rel, sizeof(rel), "%s/hugepages-2048kB/free_hugepages", base);
	put(rel, v);
	snprintf(rel, sizeof(rel), "%s/hugepages-1048576kB/nr_hugepages", base);
	snprintf(v, sizeof(v), "%ld\n", nr1g);
	put(rel, v);
	snprintf(rel, sizeof(rel), "%s/hugepages-1048576kB/free_hugepages", base);
	put(rel, v);
}

static void make_root(const char *tag)
{
	char cmd[300];

	snprintf(root, sizeof(root), "/tmp/spapr-info-test-%s-%d", tag, (int)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		T_FAIL_AT("%s", "rm");
	mkdir(root, 0755);
}

static void drop_root(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		T_FAIL_AT("%s", "rm");
}

/*
 * A POWER9 PowerNV host: radix, 64K pages, two nodes with 2M hugepages on
 * node 0 only. Group 7: a vfio-pci function on node 1 plus its sibling still
 * on i40e (not viable). Group 8: an i40e NIC. Group 9: a viable vfio-pci NIC
 * whose /dev/vfio does not exist in the fake tree.
 */
static void test_sysroot_powernv(void)
{
	make_root("pnv");
	put("proc/cpuinfo", "processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\n"
	    "revision\t: 2.2 (pvr 004e 1202)\n\ntimebase\t: 512000000\n"
	    "platform\t: PowerNV\nmodel\t\t: 9006-22P\nmachine\t\t: PowerNV 9006-22P\n"
	    "firmware\t: OPAL\nMMU\t\t: Radix\n");
	put("proc/sys/kernel/osrelease", "6.12.0-power\n");
	put("proc/self/smaps", "Size: 64 kB\nKernelPageSize:       64 kB\n");
	put("proc/self/limits", "Limit                     Soft Limit           Hard Limit           Units\n"
	    "Max locked memory         65536                65536                bytes\n");
	put("proc/self/status", "Name:\tspapr-info\nCapEff:\t0000000000000000\n");
	put("sys/devices/system/node/node0/cpulist", "0-31\n");
	put("sys/devices/system/node/node1/cpulist", "32-63\n");
	put("sys/module/vfio_iommu_spapr_tce/refcnt", "0\n");
	fake_pools(-1, 1024, 0);
	fake_pools(0, 1024, 0);
	fake_pools(1, 0, 0);
	fake_dev("0000:01:00.0", "0x020000\n", 1, "vfio-pci", 7);
	fake_dev("0000:01:00.1", "0x020000\n", 1, "i40e", 7);
	fake_dev("0000:02:00.0", "0x020000\n", 0, "i40e", 8);
	fake_dev("0000:03:00.0", "0x020000\n", 0, "vfio-pci", 9);
	fake_dev("0000:00:00.0", "0x060400\n", -1, "pcieport", 1);

	T_EQ(run("--sysroot %s --json", root), 1);
	T_HAS("\"source\": \"machine\"");
	T_HAS("\"platform\": \"PowerNV\"");
	T_HAS("\"mmu\": \"Radix\"");
	T_HAS("\"cpu\": \"POWER9 (raw), altivec supported\"");
	T_HAS("\"kernel\": \"6.12.0-power\"");
	T_HAS("\"system_page_size\": 65536");
	T_HAS("\"memlock\": 65536");
	T_HAS("{\"node\": 1, \"cpus\": 32, \"cpulist\": \"32-63\"}");
	T_HAS("{\"node\": 0, \"page_size\": 2097152, \"nr\": 1024, \"free\": 1024}");
	T_HAS("\"driver\": \"i40e\", \"node\": 1, \"iommu_group\": 7");
	T_HAS("{\"group\": 7, \"viable\": false");
	T_HAS("{\"group\": 9, \"viable\": true");
	T_HAS("\"get_info_step\": \"open container\"");
	T_HAS("\"plan\": null");
	T_HAS("\"code\": \"group_non_viable\"");
	T_HAS("0000:01:00.1 (i40e)");
	T_HAS("\"code\": \"device_not_vfio\"");
	T_HAS("dpdk-devbind.py --bind=vfio-pci 0000:02:00.0");
	T_HAS("\"code\": \"hugepages_wrong_node\"");
	T_HAS("\"code\": \"get_info_failed\"");
	T_HASNT("\"code\": \"not_power\"");
	T_HASNT("\"code\": \"no_hugepages\"");
	/* The text form says the same. */
	T_EQ(run("--sysroot %s --doctor", root), 1);
	T_HAS("[error] group_non_viable: IOMMU group 7 is not viable");
	drop_root();
}

/* A PowerVM LPAR on an old kernel, hash MMU, no hugepages, no vfio module. */
static void test_sysroot_powervm(void)
{
	make_root("pvm");
	put("proc/cpuinfo", "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n"
	    "platform\t: pSeries\nmodel\t\t: IBM,9009-42A\nmachine\t\t: CHRP IBM,9009-42A\n"
	    "MMU\t\t: Hash\n");
	put("proc/sys/kernel/osrelease", "6.8.0-31-generic\n");
	put("proc/self/limits", "Max locked memory         unlimited            unlimited            bytes\n");
	put("proc/self/status", "CapEff:\t000001ffffffffff\n");
	put("sys/devices/system/node/node0/cpulist", "0-7\n");
	fake_pools(-1, 0, 0);
	fake_pools(0, 0, 0);
	fake_dev("0001:00:00.0", "0x020000\n", 0, "vfio-pci", 0);

	T_EQ(run("--sysroot %s --json", root), 1);
	T_HAS("\"platform\": \"pSeries\"");
	T_HAS("\"hypervisor\": \"PowerVM\"");
	T_HAS("\"memlock\": \"unlimited\"");
	T_HAS("\"cap_ipc_lock\": true");
	T_HAS("\"code\": \"hash_mmu\"");
	T_HAS("\"code\": \"pseries_kernel_old\"");
	T_HAS("\"code\": \"no_vfio_spapr\"");
	T_HAS("\"code\": \"no_hugepages\"");
	T_HAS("system page size not readable");	/* said, not guessed silently */
	drop_root();
}

/*
 * A tree nobody should trust: FIFOs (reading one blocks), /dev/zero (never
 * ends), numbers that overflow when converted or counted, group and node
 * numbers outside int. spapr-info must finish, say what it could not read,
 * and print its whole report (a sanitizer stop would cut it short).
 */
static void test_sysroot_hostile(void)
{
	char path[512];

	make_root("hostile");
	link_to("proc/cpuinfo", "/dev/zero");
	link_to("proc/self/status", "/dev/zero");
	put("proc/self/smaps", "KernelPageSize: 18014398509481984 kB\n");
	put("sys/devices/system/node/node0/cpulist", "0-9223372036854775807\n");
	put("sys/devices/system/node/node1/cpulist", "9-3,x\n");
	put("sys/devices/system/node/node99999999999/cpulist", "0\n");
	put("sys/kernel/mm/hugepages/hugepages-18014398509481984kB/nr_hugepages", "1\n");
	put("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "9223372036854775807\n");
	put("sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "2\n");
	put("sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "1\n");
	fake_dev("0000:01:00.0", "0x020000\n", 0, "vfio-pci", 7);
	link_to("sys/bus/pci/devices/0000:01:00.0/iommu_group",
		"../../../kernel/iommu_groups/-2147483648");
	fake_dev("0000:02:00.0", "0x020000\n", 0, "vfio-pci", 7);
	link_to("sys/bus/pci/devices/0000:02:00.0/iommu_group",
		"../../../kernel/iommu_groups/2147483647");
	fake_dev("0000:03:00.0", "0x020000\n", 0, "vfio-pci", 3);
	put("proc/sys/kernel/osrelease", "");
	put("proc/self/limits", "");
	for (const char *f = "proc/sys/kernel/osrelease\0proc/self/limits\0"
			     "sys/bus/pci/devices/0000:03:00.0/vendor\0"; *f; f += strlen(f) + 1) {
		snprintf(path, sizeof(path), "%s/%s", root, f);
		unlink(path);
		if (mkfifo(path, 0600))
			T_FAIL_AT("mkfifo %s: %s", path, strerror(errno));
	}

	T_EQ(run("--sysroot %s --json", root), 1);
	T_HAS("proc/cpuinfo: not a regular file");
	T_HAS("CapEff not readable");
	T_HAS("RLIMIT_MEMLOCK not readable");
	T_HAS("system page size not readable");
	T_HAS("{\"node\": 1, \"cpus\": 0, \"cpulist\": \"9-3,x\"}");
	T_HAS("{\"node\": -1, \"page_size\": 1073741824, \"nr\": 2, \"free\": 1}");
	T_HASNT("\"page_size\": 2097152");
	T_HAS("{\"group\": 2147483647");
	T_HASNT("-2147483648");
	T_HAS("\"findings\"");
	T_HAS("\n}\n");	/* the report ran to its end */
	drop_root();
}

/* This machine: honest about not being POWER. */
static void test_this_machine(void)
{
	struct utsname u;

	if (uname(&u) || !strncmp(u.machine, "ppc64", 5))
		return;
	T_EQ(run("--json"), 1);
	T_HAS("\"code\": \"not_power\"");
	T_HAS("\"power\": false");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_info PATH-TO-spapr-info\n");
		return 2;
	}
	tool = argv[1];
	T_RUN(test_every_profile);
	T_RUN(test_powernv9);
	T_RUN(test_powervm_vf);
	T_RUN(test_v1_only);
	T_RUN(test_broken);
	T_RUN(test_va_placement);
	T_RUN(test_usage);
	T_RUN(test_sysroot_powernv);
	T_RUN(test_sysroot_powervm);
	T_RUN(test_sysroot_hostile);
	T_RUN(test_this_machine);
	return t_finish();
}
