/* SPDX-License-Identifier: BSD-3-Clause */
/* test_plugin_opts - the plugin's option parser (no DPDK needed). */
#include <errno.h>
#include <string.h>

#include "spapr_opts.h"
#include "test_util.h"

static struct spapr_opts o;
static char err[512];

static int parse(const char *text)
{
	err[0] = '\0';
	return spapr_opts_parse(&o, text, "devargs", err, sizeof(err));
}

static void test_defaults(void)
{
	spapr_opts_init(&o);
	T_EQ(o.policy, SPAPR_OPTS_AUTO);
	T_EQ(o.backend, SPAPR_OPTS_VFIO);
	T_CHECK(o.memlock_check);
	T_EQ(parse(""), 0);
	T_EQ(parse(NULL), 0);
}

static void test_values(void)
{
	spapr_opts_init(&o);
	T_EQ(parse("bus=spapr,policy=indirect,page_size=64K,window_size=4G,table_budget=16M,"
		   "backend=model,profile=pseries-kvm,groups=2,memlock_check=no"), 0);
	T_EQ(o.policy, SPAPR_OPTS_INDIRECT);
	T_EQ(o.page_shift, 16);
	T_EQU(o.window_size, 4ull << 30);
	T_EQU(o.table_budget, 16ull << 20);
	T_EQ(o.backend, SPAPR_OPTS_MODEL);
	T_CHECK(strcmp(o.profile, "pseries-kvm") == 0);
	T_EQ(o.groups, 2);
	T_CHECK(!o.memlock_check);
	T_EQ(parse("page_size=auto,window_size=0x100000000,table_budget=none"), 0);
	T_EQ(o.page_shift, 0);
	T_EQU(o.window_size, 1ull << 32);
	T_EQU(o.table_budget, 0);
	T_EQ(spapr_opts_validate(&o, err, sizeof(err)), 0);
}

/* Later text wins: environment first, devargs second. */
static void test_override(void)
{
	spapr_opts_init(&o);
	T_EQ(spapr_opts_parse(&o, "policy=direct,page_size=2M", "SPAPR_DPDK_OPTS", err, sizeof(err)), 0);
	T_EQ(parse("policy=indirect"), 0);
	T_EQ(o.policy, SPAPR_OPTS_INDIRECT);
	T_EQ(o.page_shift, 21);
}

static void expect_error(const char *text, const char *must_contain)
{
	struct spapr_opts before;

	spapr_opts_init(&o);
	before = o;
	T_ERR(parse(text), -EINVAL);
	T_CHECK(strstr(err, must_contain) != NULL);
	if (!strstr(err, must_contain))
		fprintf(stderr, "  '%s' -> '%s'\n", text, err);
	T_CHECK(memcmp(&before, &o, sizeof(o)) == 0);	/* unchanged on error */
}

static void test_errors(void)
{
	expect_error("policy=fast", "key 'policy': accepted values are auto, direct, indirect");
	expect_error("page_size=3K", "key 'page_size'");
	expect_error("page_size=2X", "key 'page_size'");
	expect_error("page_size=-64K", "key 'page_size'");
	expect_error("window_size=5G", "key 'window_size'");
	expect_error("table_budget=0", "key 'table_budget'");
	expect_error("table_budget=99999999999T", "key 'table_budget'");
	expect_error("backend=iommufd", "key 'backend': accepted values are vfio, model");
	expect_error("memlock_check=maybe", "key 'memlock_check'");
	expect_error("groups=0", "key 'groups'");
	expect_error("groups=1x", "key 'groups'");
	expect_error("colour=blue", "unknown key 'colour'");
	expect_error("policy", "key 'policy' needs a value");
	expect_error("policy=auto,,page_size=2M", "empty option");
	expect_error("policy=auto,", "trailing ','");
	expect_error("=x", "no key");
	expect_error("policy=direct,page_size=7", "page_size");	/* whole text refused */
}

static void test_validate(void)
{
	spapr_opts_init(&o);
	T_EQ(parse("profile=powernv9"), 0);
	T_ERR(spapr_opts_validate(&o, err, sizeof(err)), -EINVAL);	/* profile needs model */
	T_CHECK(strstr(err, "backend=model") != NULL);
	spapr_opts_init(&o);
	T_EQ(parse("backend=model,page_size=2M,window_size=64K"), 0);
	T_ERR(spapr_opts_validate(&o, err, sizeof(err)), -EINVAL);
}

/* The defaults spapr_opts_init() takes from the table parse, and every
 * key with a value refuses to go without one. */
static void test_table(void)
{
	size_t n;
	const struct spapr_opts_key *k = spapr_opts_keys(&n);
	char text[128];

	T_CHECK(n >= 10);
	for (size_t i = 0; i < n; i++) {
		if (k[i].def != NULL) {
			spapr_opts_init(&o);
			snprintf(text, sizeof(text), "%s=%s", k[i].name, k[i].def);
			T_EQ(parse(text), 0);
			T_EQU(o.set, k[i].bit);
		}
		if (k[i].syntax != NULL) {
			snprintf(text, sizeof(text), "key '%s' needs a value", k[i].name);
			expect_error(k[i].name, text);
		}
	}
	spapr_opts_init(&o);
	T_EQ(o.groups, 1);
	T_CHECK(o.iommu);
	T_CHECK(strcmp(o.profile, "powernv9") == 0);
	T_EQU(o.set, 0);
}

/* The unknown-key error names every key of the table. */
static void test_unknown_key_lists_keys(void)
{
	size_t n;
	const struct spapr_opts_key *k = spapr_opts_keys(&n);

	expect_error("colour=blue", "unknown key 'colour': accepted keys are policy, ");
	for (size_t i = 0; i < n; i++)
		T_CHECK(strstr(err, k[i].name) != NULL);
}

static void test_help(void)
{
	FILE *f = tmpfile();
	char buf[4096] = "";
	size_t n, nkeys;
	const struct spapr_opts_key *k = spapr_opts_keys(&nkeys);

	spapr_opts_init(&o);
	T_EQ(parse("help"), 0);
	T_CHECK(o.help);
	T_CHECK(f != NULL);
	if (f == NULL)
		return;
	spapr_opts_help(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	T_CHECK(strstr(buf, "policy=auto|direct|indirect") != NULL);
	T_CHECK(strstr(buf, "iommu=on|off") != NULL);
	T_CHECK(strstr(buf, "(default powernv9)") != NULL);
	T_CHECK(strstr(buf, "SPAPR_DPDK_OPTS") != NULL);
	for (size_t i = 0; i < nkeys; i++) {
		char entry[64];

		snprintf(entry, sizeof(entry), "\n  %s%s", k[i].name, k[i].syntax ? "=" : " ");
		T_CHECK(strstr(buf, entry) != NULL);
	}
	for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n"))
		T_CHECK(strlen(line) <= 79);
}

int main(void)
{
	T_RUN(test_defaults);
	T_RUN(test_values);
	T_RUN(test_override);
	T_RUN(test_errors);
	T_RUN(test_validate);
	T_RUN(test_table);
	T_RUN(test_unknown_key_lists_keys);
	T_RUN(test_help);
	return t_finish();
}
