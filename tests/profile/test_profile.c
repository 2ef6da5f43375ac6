/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_profile.c - built-in profiles, profile files, spapr_model_profile_*.
 *
 * Usage: test_profile <config/profiles dir>      run the tests
 *        test_profile --write <dir>              (re)write <dir>/<name>.conf
 *                                                for every built-in
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spapr_model.h"
#include "test_util.h"

static const char *conf_dir;
static char tmp_dir[] = "/tmp/test_profile.XXXXXX";

#define TEXT_MAX 8192

/* Every field, so that a loaded profile must equal the built-in exactly. */
static bool profile_equal(const struct spapr_model_profile *a,
			  const struct spapr_model_profile *b)
{
#define SAME(f) (a->f == b->f)
	return strcmp(a->name, b->name) == 0 &&
	       strcmp(a->description, b->description) == 0 &&
	       SAME(platform) && SAME(kernel) && SAME(system_page_shift) &&
	       SAME(dma32_start) && SAME(dma32_size) && SAME(pgsizes) &&
	       SAME(max_dynamic_windows) && SAME(max_levels) &&
	       SAME(slot1_start) && SAME(ddw_start) && SAME(ddw_applicable) &&
	       SAME(largest_available_block) && SAME(windows_available) &&
	       SAME(max_level_chunk) && SAME(bus_addr_bits) && SAME(ram_size) &&
	       SAME(window_le_ram) && SAME(pre_4_19_tables) &&
	       SAME(detach_clears_tces) && SAME(quirk_leak_failed_create) &&
	       SAME(quirk_unregister_orphans) && SAME(quirk_pseries_poison) &&
	       SAME(invalidate) && SAME(tce_via_hcall) && SAME(memlock_limit) &&
	       SAME(cap_ipc_lock) && SAME(eeh_enabled) && SAME(groups) &&
	       SAME(hv_max_window_tces);
#undef SAME
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	static char buf[TEXT_MAX];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
	return path;
}

static void test_names(void)
{
	const char *const *names = spapr_model_profile_names();
	struct spapr_model_profile p;
	int n = 0;

	for (; names[n]; n++) {
		T_ERR(spapr_model_profile_get(names[n], &p), 0);
		T_CHECK(strcmp(p.name, names[n]) == 0);
		T_CHECK(strlen(p.description) > 20);
		T_CHECK(p.description[strlen(p.description) - 1] == '.');
		T_CHECK(p.groups >= 1);
		T_CHECK(p.pgsizes & 0x1000);
	}
	T_EQ(n, 9);
	T_ERR(spapr_model_profile_get("powernv7", &p), -ENOENT);
	T_ERR(spapr_model_profile_get(NULL, &p), -EINVAL);
}

/* GET_INFO values observed on a real 6.12 kernel under QEMU win (testbed). */
static void test_observed_values(void)
{
	struct spapr_model_profile p;

	T_ERR(spapr_model_profile_get("powernv9", &p), 0);
	T_EQU(p.pgsizes, 0x40211000);
	T_EQU(p.dma32_start, 0);
	T_EQU(p.dma32_size, 0x80000000u);
	T_EQ(p.max_dynamic_windows, 2);
	T_EQ(p.max_levels, 5);
	T_EQU(p.slot1_start, UINT64_C(1) << 59);
	T_EQ(p.bus_addr_bits, 55);
	T_EQ(p.system_page_shift, 16);
	T_EQ(p.invalidate, SPAPR_MODEL_INVAL_PER_RANGE);
	T_ERR(spapr_model_profile_get("powernv10", &p), 0);
	T_EQU(p.pgsizes, 0x40211000);
	T_ERR(spapr_model_profile_get("powernv9-4k", &p), 0);
	T_EQ(p.system_page_shift, 12);
	T_ERR(spapr_model_profile_get("powernv8", &p), 0);
	T_EQU(p.pgsizes, 0x11011000);
	T_EQ(p.invalidate, SPAPR_MODEL_INVAL_PER_PAGE);
	T_ERR(spapr_model_profile_get("pseries-kvm", &p), 0);
	T_EQ(p.platform, SPAPR_MODEL_PSERIES);
	T_EQU(p.pgsizes, 0x1211000);
	T_EQU(p.dma32_size, 0x40000000u);
	T_EQ(p.max_dynamic_windows, 2);
	T_EQ(p.max_levels, 1);
	T_EQU(p.ddw_start, UINT64_C(1) << 59);
	T_EQ(p.windows_available, 1);
	/* QEMU 7.2 as observed on the testbed (doc/testbed.md finding 4): a
	 * 2^37-TCE block reported, 2^32 TCEs and more refused by the create */
	T_EQU(p.largest_available_block, UINT64_C(1) << 37);
	T_EQU(p.hv_max_window_tces, UINT32_MAX);
	T_CHECK(p.tce_via_hcall);
	T_EQ(p.invalidate, SPAPR_MODEL_INVAL_NONE);
	T_EQ(p.bus_addr_bits, 0);
	T_ERR(spapr_model_profile_get("pseries-powervm-sriov-vf", &p), 0);
	T_EQU(p.pgsizes, 0x11000);
	T_EQ(p.max_dynamic_windows, 1);
	T_ERR(spapr_model_profile_get("pseries-v1-only", &p), 0);
	T_EQ(p.kernel, SPAPR_MODEL_KERNEL_6_4);
	T_EQ(p.max_dynamic_windows, 0);
	T_ERR(spapr_model_profile_get("pseries-noddw", &p), 0);
	T_CHECK(!p.ddw_applicable);
	T_EQU(p.max_dynamic_windows, 0xFFFFFFFFu);
	T_EQ(p.max_levels, 0);
	T_EQU(p.pgsizes, 0x1000);
}

/* format -> file -> load gives the same profile, and the same text. */
static void test_round_trip(void)
{
	for (const char *const *n = spapr_model_profile_names(); *n; n++) {
		struct spapr_model_profile p, q;
		char text[TEXT_MAX], again[TEXT_MAX], err[1024] = "";
		int len;

		T_ERR(spapr_model_profile_get(*n, &p), 0);
		len = spapr_model_profile_format(&p, text, sizeof(text));
		T_CHECK(len > 0 && len < (int)sizeof(text));
		T_EQ(len, (int)strlen(text));
		write_file(tmp_path("rt.conf"), text);
		T_ERR(spapr_model_profile_load(tmp_path("rt.conf"), &q, err,
					       sizeof(err)), 0);
		T_CHECK(profile_equal(&p, &q));
		spapr_model_profile_format(&q, again, sizeof(again));
		T_CHECK(strcmp(text, again) == 0);
		if (err[0])
			fprintf(stderr, "  %s: %s\n", *n, err);
	}
}

/* config/profiles/<name>.conf is exactly what format() writes. */
static void test_shipped_files(void)
{
	for (const char *const *n = spapr_model_profile_names(); *n; n++) {
		struct spapr_model_profile p, q;
		char text[TEXT_MAX], path[512], err[1024] = "";
		const char *file;

		snprintf(path, sizeof(path), "%s/%s.conf", conf_dir, *n);
		T_ERR(spapr_model_profile_get(*n, &p), 0);
		spapr_model_profile_format(&p, text, sizeof(text));
		file = read_file(path);
		T_CHECK(file != NULL);
		if (file == NULL)
			continue;
		T_CHECK(strcmp(file, text) == 0);
		T_ERR(spapr_model_profile_resolve(path, &q, err, sizeof(err)), 0);
		T_CHECK(profile_equal(&p, &q));
		if (strcmp(file, text) != 0)
			fprintf(stderr, "  %s differs from its built-in; rerun "
				"test_profile --write %s\n", path, conf_dir);
	}
}

/* ...and every .conf there is a built-in's (no stale or stray files). */
static void test_no_stray_files(void)
{
	DIR *d = opendir(conf_dir);
	struct dirent *e;
	int confs = 0;

	T_CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char name[256];
		struct spapr_model_profile p;

		if (n <= 5 || strcmp(e->d_name + n - 5, ".conf") != 0)
			continue;
		confs++;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 5), e->d_name);
		T_ERR(spapr_model_profile_get(name, &p), 0);
	}
	closedir(d);
	{
		int builtins = 0;

		for (const char *const *n = spapr_model_profile_names(); *n; n++)
			builtins++;
		T_EQ(confs, builtins);
	}
}

static void test_set_values(void)
{
	struct spapr_model_profile p;
	char err[1024];

	T_ERR(spapr_model_profile_get("powernv9", &p), 0);
	T_ERR(spapr_model_profile_set(&p, "memlock", "64M", err, sizeof(err)), 0);
	T_EQU(p.memlock_limit, UINT64_C(64) << 20);
	T_ERR(spapr_model_profile_set(&p, "memlock", "unlimited", err, sizeof(err)), 0);
	T_EQU(p.memlock_limit, SPAPR_MODEL_UNLIMITED);
	T_ERR(spapr_model_profile_set(&p, "memlock", "0x10K", err, sizeof(err)), 0);
	T_EQU(p.memlock_limit, 16 * 1024);
	T_ERR(spapr_model_profile_set(&p, "pgsizes", "4K,64K,2M,1G", err, sizeof(err)), 0);
	T_EQU(p.pgsizes, 0x40211000);
	T_ERR(spapr_model_profile_set(&p, "pgsizes", "4K | 64K", err, sizeof(err)), 0);
	T_EQU(p.pgsizes, 0x11000);
	T_ERR(spapr_model_profile_set(&p, "pgsizes", "0x11011000", err, sizeof(err)), 0);
	T_EQU(p.pgsizes, 0x11011000);
	T_ERR(spapr_model_profile_set(&p, "system_page_size", "4K", err, sizeof(err)), 0);
	T_EQ(p.system_page_shift, 12);
	T_ERR(spapr_model_profile_set(&p, "ram_size", "2T", err, sizeof(err)), 0);
	T_EQU(p.ram_size, UINT64_C(2) << 40);
	T_ERR(spapr_model_profile_set(&p, "dma32_size", "2G", err, sizeof(err)), 0);
	T_EQU(p.dma32_size, 0x80000000u);
	T_ERR(spapr_model_profile_set(&p, "kernel", "6.3", err, sizeof(err)), 0);
	T_EQ(p.kernel, SPAPR_MODEL_KERNEL_6_3);
	T_ERR(spapr_model_profile_set(&p, "platform", "ioda1", err, sizeof(err)), 0);
	T_EQ(p.platform, SPAPR_MODEL_IODA1);
	T_ERR(spapr_model_profile_set(&p, "invalidate", "none", err, sizeof(err)), 0);
	T_EQ(p.invalidate, SPAPR_MODEL_INVAL_NONE);
	T_ERR(spapr_model_profile_set(&p, "cap_ipc_lock", "yes", err, sizeof(err)), 0);
	T_CHECK(p.cap_ipc_lock);
	T_ERR(spapr_model_profile_set(&p, "quirk_pseries_poison", "off", err, sizeof(err)), 0);
	T_CHECK(!p.quirk_pseries_poison);
	T_ERR(spapr_model_profile_set(&p, "max_dynamic_windows", "0xFFFFFFFF", err,
				      sizeof(err)), 0);
	T_EQU(p.max_dynamic_windows, 0xFFFFFFFFu);
	T_ERR(spapr_model_profile_set(&p, "groups", "7", err, sizeof(err)), 0);
	T_EQ(p.groups, 7);
	T_EQU(p.hv_max_window_tces, 0);	/* powernv9: no hypervisor */
	T_ERR(spapr_model_profile_set(&p, "hv_max_window_tces", "0xFFFFFFFF", err,
				      sizeof(err)), 0);
	T_EQU(p.hv_max_window_tces, 0xFFFFFFFFu);
	T_ERR(spapr_model_profile_set(&p, "hv_max_window_tces", "0", err, sizeof(err)), 0);
	T_EQU(p.hv_max_window_tces, 0);
}

/* A bad set() names the key and what is accepted, and changes nothing. */
static void expect_set_error(const char *key, const char *value,
			     const char *accepted)
{
	struct spapr_model_profile p, before;
	char err[1024] = "", want[128];

	T_ERR(spapr_model_profile_get("pseries-kvm", &p), 0);
	before = p;
	T_ERR(spapr_model_profile_set(&p, key, value, err, sizeof(err)), -EINVAL);
	T_CHECK(profile_equal(&p, &before));
	snprintf(want, sizeof(want), "key '%s': ", key);
	T_CHECK(strstr(err, want) == err);
	T_CHECK(strstr(err, "accepted: ") != NULL);
	T_CHECK(strstr(err, accepted) != NULL);
	if (strstr(err, accepted) == NULL)
		fprintf(stderr, "  %s=%s gave: %s\n", key, value, err);
}

static void test_set_errors(void)
{
	expect_set_error("pgsize", "4K", "pgsizes");
	expect_set_error("pgsizes", "2K", "list of sizes");
	expect_set_error("pgsizes", "", "list of sizes");
	expect_set_error("pgsizes", "4K,banana", "list of sizes");
	expect_set_error("dma32_size", "4G", "< 4G");
	expect_set_error("system_page_size", "16K", "4K, 64K");
	expect_set_error("max_level_chunk", "3M", "power of two");
	expect_set_error("max_level_chunk", "1K", "power of two");
	expect_set_error("memlock", "lots", "unlimited");
	expect_set_error("memlock", "-1", "unlimited");
	expect_set_error("ram_size", "99999999999999T", "e.g. 256G");
	expect_set_error("tce_via_hcall", "maybe", "yes, no");
	expect_set_error("platform", "x86", "powernv, pseries, ioda1");
	expect_set_error("kernel", "5.10", "current, 6.4, 6.3");
	expect_set_error("invalidate", "sometimes", "per-range");
	expect_set_error("groups", "0", "1..256");
	expect_set_error("bus_addr_bits", "65", "up to 64");
	expect_set_error("name", "has space", "A-Z");
	expect_set_error("description", "a # b", "without '#'");
	expect_set_error("ram_size", "12Q", "e.g. 256G");
}

/* Loading @text must fail with "<file>:<line>: <starts>" and contain @has. */
static void expect_load_error(const char *text, int line, const char *starts,
			      const char *has)
{
	struct spapr_model_profile p;
	char err[1024] = "", want[512];

	write_file(tmp_path("bad.conf"), text);
	memset(&p, 0x5a, sizeof(p));
	T_ERR(spapr_model_profile_load(tmp_path("bad.conf"), &p, err, sizeof(err)),
	      -EINVAL);
	T_EQ(p.groups, 0x5a5a5a5a);	/* untouched on error */
	snprintf(want, sizeof(want), "%s:%d: %s", tmp_path("bad.conf"), line, starts);
	T_CHECK(strncmp(err, want, strlen(want)) == 0);
	T_CHECK(strstr(err, has) != NULL);
	/* The file's content is never quoted (it may be any file). */
	T_CHECK(strstr(err, "bogus") == NULL && strstr(err, "sometimes") == NULL &&
		strstr(err, "8G") == NULL && strstr(err, "powernv11") == NULL &&
		strstr(err, "words") == NULL);
	if (strncmp(err, want, strlen(want)) != 0 || strstr(err, has) == NULL)
		fprintf(stderr, "  got: %s\n  want: %s ... %s\n", err, want, has);
}

static void test_load_errors(void)
{
	expect_load_error("base = powernv9\n# comment\nbogus_key = 1\n", 3,
			  "unknown key; accepted: name, description", "");
	expect_load_error("base = powernv9\n\n  eeh_enabled = sometimes  \n", 3,
			  "key 'eeh_enabled': bad value; accepted:", "yes, no");
	expect_load_error("base = pseries-kvm\ndma32_size = 8G\n", 2,
			  "key 'dma32_size': out-of-range value; accepted:", "");
	expect_load_error("memlock = 1M\nbase = powernv9\n", 2,
			  "key 'base': must be the first", "built-in");
	expect_load_error("base = powernv11\n", 1,
			  "key 'base': unknown profile; accepted:", "powernv9, powernv10");
	expect_load_error("base = powernv9\njust some words\n", 2,
			  "expected 'key = value'", "");
	expect_load_error("base = powernv9\npgsizes = 4K,3K\n", 2,
			  "key 'pgsizes'", "accepted:");
	/* Without a base the file must give the table group itself. */
	expect_load_error("name = mine\nplatform = pseries\n", 2,
			  "key 'pgsizes': not set", "base = <built-in>");
}

static void test_load_base_and_comments(void)
{
	struct spapr_model_profile p, kvm;
	char err[1024] = "";

	write_file(tmp_path("small-memlock.conf"),
		   "# A KVM guest whose user may lock 64 MiB.\n"
		   "base = pseries-kvm\n"
		   "memlock = 64M   # RLIMIT_MEMLOCK\n"
		   "  groups=3\n"
		   "pgsizes = 4K, 64K\n");
	T_ERR(spapr_model_profile_load(tmp_path("small-memlock.conf"), &p, err,
				       sizeof(err)), 0);
	T_ERR(spapr_model_profile_get("pseries-kvm", &kvm), 0);
	T_CHECK(strcmp(p.name, "small-memlock") == 0);
	T_EQU(p.memlock_limit, UINT64_C(64) << 20);
	T_EQ(p.groups, 3);
	T_EQU(p.pgsizes, 0x11000);
	T_EQU(p.ddw_start, kvm.ddw_start);
	T_EQU(p.largest_available_block, kvm.largest_available_block);
	T_EQU(p.hv_max_window_tces, kvm.hv_max_window_tces);
	T_EQ(p.platform, SPAPR_MODEL_PSERIES);

	write_file(tmp_path("named.conf"), "name = other\npgsizes = 0x1000\n");
	T_ERR(spapr_model_profile_load(tmp_path("named.conf"), &p, err, sizeof(err)), 0);
	T_CHECK(strcmp(p.name, "other") == 0);
	T_EQ(p.system_page_shift, 16);
	T_EQU(p.max_level_chunk, 16 << 20);
	T_EQU(p.memlock_limit, SPAPR_MODEL_UNLIMITED);
	T_CHECK(p.detach_clears_tces && p.quirk_leak_failed_create);
}

static void test_resolve(void)
{
	struct spapr_model_profile p;
	char err[1024] = "";

	T_ERR(spapr_model_profile_resolve("pseries-noddw", &p, err, sizeof(err)), 0);
	T_CHECK(strcmp(p.name, "pseries-noddw") == 0);
	write_file(tmp_path("r.conf"), "base = powernv8\nram_size = 1T\n");
	T_ERR(spapr_model_profile_resolve(tmp_path("r.conf"), &p, err, sizeof(err)), 0);
	T_EQU(p.ram_size, UINT64_C(1) << 40);
	T_EQU(p.pgsizes, 0x11011000);
	T_ERR(spapr_model_profile_resolve("no-such-profile", &p, err, sizeof(err)),
	      -ENOENT);
	T_CHECK(strstr(err, "'no-such-profile'") != NULL);
	T_CHECK(strstr(err, "pseries-powervm-sriov-vf") != NULL);
	T_ERR(spapr_model_profile_load(tmp_path("missing.conf"), &p, err, sizeof(err)),
	      -ENOENT);
	T_CHECK(strstr(err, "missing.conf: cannot open") != NULL);
}

/* A profile path may name any file: only a regular file up to the size
 * limit is read, and the error never shows what the file says. alarm()
 * turns a blocking open or read (a FIFO) into a failure of this test. */
static void expect_refused(const char *path, int rc, const char *has)
{
	struct spapr_model_profile p;
	char err[1024] = "";

	memset(&p, 0x5a, sizeof(p));
	alarm(10);
	T_ERR(spapr_model_profile_resolve(path, &p, err, sizeof(err)), rc);
	alarm(0);
	T_EQ(p.groups, 0x5a5a5a5a);
	T_CHECK(strstr(err, path) != NULL);
	T_CHECK(strstr(err, has) != NULL);
	T_CHECK(strstr(err, "SECRET") == NULL);
	if (strstr(err, has) == NULL || strstr(err, "SECRET") != NULL)
		fprintf(stderr, "  got: %s\n  want: ... %s\n", err, has);
}

static void test_untrusted_files(void)
{
	char *big = malloc(SPAPR_MODEL_PROFILE_MAX_BYTES + 2);

	T_CHECK(big != NULL);
	if (big == NULL)
		return;
	T_ERR(mkfifo(tmp_path("fifo.conf"), 0600), 0);
	expect_refused(tmp_path("fifo.conf"), -EINVAL, "not a regular file");
	expect_refused("/dev/zero", -EINVAL, "not a regular file");
	expect_refused("/dev/null", -EINVAL, "not a regular file");
	expect_refused(tmp_path(""), -EINVAL, "not a regular file");	/* a directory */
	/* One byte over the limit, in lines that would all parse. */
	memset(big, '\n', SPAPR_MODEL_PROFILE_MAX_BYTES + 1);
	big[SPAPR_MODEL_PROFILE_MAX_BYTES + 1] = '\0';
	write_file(tmp_path("big.conf"), big);
	expect_refused(tmp_path("big.conf"), -EFBIG, "larger than a profile can be");
	big[SPAPR_MODEL_PROFILE_MAX_BYTES] = '\0';
	memcpy(big, "pgsizes = 4K", 12);
	write_file(tmp_path("big.conf"), big);
	{
		struct spapr_model_profile p;
		char err[1024] = "";

		T_ERR(spapr_model_profile_load(tmp_path("big.conf"), &p, err, sizeof(err)), 0);
	}
	free(big);
	/* Like /etc/shadow: the first line is not "key = value". */
	write_file(tmp_path("shadow"), "root:SECRET:19000:0:99999:7:::\n");
	expect_refused(tmp_path("shadow"), -EINVAL, ":1: expected 'key = value'");
	write_file(tmp_path("shadow"), "SECRET = x\n");
	expect_refused(tmp_path("shadow"), -EINVAL, ":1: unknown key");
	write_file(tmp_path("shadow"), "base = powernv9\nram_size = SECRET\n");
	expect_refused(tmp_path("shadow"), -EINVAL, ":2: key 'ram_size': bad value");
	write_file(tmp_path("shadow"), "base = SECRET\n");
	expect_refused(tmp_path("shadow"), -EINVAL, ":1: key 'base': unknown profile");
}

static void test_format_truncation(void)
{
	struct spapr_model_profile p;
	char small[64], full[TEXT_MAX];
	int need, len;

	T_ERR(spapr_model_profile_get("powernv9", &p), 0);
	need = spapr_model_profile_format(&p, NULL, 0);
	len = spapr_model_profile_format(&p, small, sizeof(small));
	T_EQ(len, need);
	T_EQ(strlen(small), sizeof(small) - 1);
	T_EQ(spapr_model_profile_format(&p, full, sizeof(full)), need);
	T_CHECK(strncmp(small, full, sizeof(small) - 1) == 0);
	p.platform = (enum spapr_model_platform)7;
	T_ERR(spapr_model_profile_format(&p, full, sizeof(full)), -EINVAL);
}

static int write_confs(const char *dir)
{
	for (const char *const *n = spapr_model_profile_names(); *n; n++) {
		struct spapr_model_profile p;
		char text[TEXT_MAX], path[512];

		spapr_model_profile_get(*n, &p);
		spapr_model_profile_format(&p, text, sizeof(text));
		snprintf(path, sizeof(path), "%s/%s.conf", dir, *n);
		write_file(path, text);
		printf("wrote %s\n", path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc == 3 && strcmp(argv[1], "--write") == 0)
		return write_confs(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: %s <config/profiles dir> | --write <dir>\n",
			argv[0]);
		return 2;
	}
	conf_dir = argv[1];
	if (mkdtemp(tmp_dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	T_RUN(test_names);
	T_RUN(test_observed_values);
	T_RUN(test_round_trip);
	T_RUN(test_shipped_files);
	T_RUN(test_no_stray_files);
	T_RUN(test_set_values);
	T_RUN(test_set_errors);
	T_RUN(test_load_errors);
	T_RUN(test_load_base_and_comments);
	T_RUN(test_resolve);
	T_RUN(test_untrusted_files);
	T_RUN(test_format_truncation);
	ret = t_finish();
	/* Remove what the tests wrote. */
	for (const char *f = "rt.conf\0bad.conf\0small-memlock.conf\0named.conf\0r.conf\0"
			     "fifo.conf\0big.conf\0shadow\0";
	     *f; f += strlen(f) + 1)
		unlink(tmp_path(f));
	rmdir(tmp_dir);
	return ret;
}
