/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * profile.c - the model's platform profiles (§9): the built-in ones,
 * and profile files of "key = value" lines (config/profiles/README.md).
 *
 * Values come from §5.4-§5.6, §6 and §9, corrected by what a real
 * 6.12 kernel reported under QEMU (GET_INFO: doc/kernel-model.md §12.9),
 * which wins where the two disagree. Each built-in's description
 * says which of its values were observed and which are unverified.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spapr_model.h"
#include "spapr_util.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

#define PGS_4K UINT64_C(0x1000)
#define PGS_64K UINT64_C(0x10000)
#define PGS_2M UINT64_C(0x200000)
#define PGS_16M UINT64_C(0x1000000)
#define PGS_256M UINT64_C(0x10000000)
#define PGS_1G UINT64_C(0x40000000)

/* PowerNV: "TVE #1 is selected by PCI address bit 59" (§5.5); pseries
 * DDWs started there in every observed run (§12.3). */
#define BIT59 (UINT64_C(1) << 59)

/* ---------------------------------------------------------------------- */
/* Built-in profiles.                                                     */
/* ---------------------------------------------------------------------- */

/* What every profile shares unless it says otherwise: a 64K-page current
 * kernel with faithful quirks. */
static void common_defaults(struct spapr_model_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->platform = SPAPR_MODEL_POWERNV;
	p->kernel = SPAPR_MODEL_KERNEL_CURRENT;
	p->system_page_shift = 16;
	p->ddw_applicable = true;
	p->max_level_chunk = 16 * MiB;	/* §5.2 */
	p->bus_addr_bits = 55;		/* §5.2, PowerNV only */
	p->ram_size = 256 * GiB;
	p->detach_clears_tces = true;
	p->quirk_leak_failed_create = true;
	p->quirk_unregister_orphans = true;
	p->quirk_pseries_poison = true;
	p->invalidate = SPAPR_MODEL_INVAL_PER_RANGE;
	p->memlock_limit = SPAPR_MODEL_UNLIMITED;
	p->eeh_enabled = true;
	p->groups = 2;
}

static void named(struct spapr_model_profile *p, const char *name,
		  const char *description)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->description, sizeof(p->description), "%s", description);
}

/* PowerNV IODA2 table group (§6): dma32 [0, 2 GiB) because skiboot puts
 * M32 at PCI 0x80000000, 2 windows, 5 levels, slot 1 at bit 59. */
static void powernv_base(struct spapr_model_profile *p, uint64_t pgsizes)
{
	common_defaults(p);
	p->platform = SPAPR_MODEL_POWERNV;
	p->dma32_start = 0;
	p->dma32_size = 0x80000000u;
	p->pgsizes = pgsizes;
	p->max_dynamic_windows = 2;
	p->max_levels = 5;
	p->slot1_start = BIT59;
}

static void powernv8(struct spapr_model_profile *p)
{
	powernv_base(p, PGS_4K | PGS_64K | PGS_16M | PGS_256M);
	p->invalidate = SPAPR_MODEL_INVAL_PER_PAGE;	/* PHB3, §7 */
	named(p, "powernv8",
	      "POWER8 PowerNV host (PHB3): GET_INFO observed on QEMU powernv8 "
	      "with Linux 6.12; per-page MMIO invalidation from the spec, "
	      "unverified.");
}

static void powernv9(struct spapr_model_profile *p)
{
	powernv_base(p, PGS_4K | PGS_64K | PGS_2M | PGS_1G);
	named(p, "powernv9",
	      "POWER9 PowerNV host (PHB4): GET_INFO observed on QEMU powernv9 "
	      "with Linux 6.12; per-range OPAL kill from the spec, unverified.");
}

static void powernv10(struct spapr_model_profile *p)
{
	powernv_base(p, PGS_4K | PGS_64K | PGS_2M | PGS_1G);
	named(p, "powernv10",
	      "POWER10 PowerNV host: GET_INFO observed on QEMU powernv10 with "
	      "Linux 6.12 (same as powernv9); per-range OPAL kill unverified.");
}

static void powernv9_4k(struct spapr_model_profile *p)
{
	powernv9(p);
	p->system_page_shift = 12;
	named(p, "powernv9-4k",
	      "POWER9 PowerNV host running a 4K-page kernel: GET_INFO observed "
	      "on QEMU powernv9 with Linux 6.12 (4K build); rest as powernv9.");
}

/* pseries table group with DDW ops (§6, kernel >= f431a8cde7f1):
 * TCEs are written by hypercalls, which also invalidate. */
static void pseries_base(struct spapr_model_profile *p)
{
	common_defaults(p);
	p->platform = SPAPR_MODEL_PSERIES;
	p->bus_addr_bits = 0;
	p->max_dynamic_windows = 2;
	p->max_levels = 1;
	p->ddw_start = BIT59;
	p->windows_available = 1;
	p->invalidate = SPAPR_MODEL_INVAL_NONE;
	p->tce_via_hcall = true;
}

static void pseries_kvm(struct spapr_model_profile *p)
{
	pseries_base(p);
	p->dma32_start = 0;
	p->dma32_size = 0x40000000u;	/* QEMU spapr PHB default window */
	p->pgsizes = PGS_4K | PGS_64K | PGS_2M | PGS_16M; /* observed 0x1211000 */
	/* Observed on QEMU 7.2 (doc/testbed.md finding 4): the query reports
	 * a 2^37-TCE block, but the create takes the count as a uint32_t, so
	 * 2^32 TCEs or more fail in RTAS (-ENODEV, PE poisoned). */
	p->largest_available_block = UINT64_C(1) << 37;
	p->hv_max_window_tces = UINT32_MAX;
	named(p, "pseries-kvm",
	      "KVM/QEMU 7.2 pseries guest, Linux 6.12: GET_INFO, DDW at 1<<59, one "
	      "DDW at a time, 2^37-TCE block, DDWs of 2^32+ TCEs refused: observed.");
}

static void pseries_powervm(struct spapr_model_profile *p)
{
	pseries_base(p);
	p->dma32_start = 0;
	p->dma32_size = 0x80000000u;
	p->pgsizes = PGS_4K | PGS_64K | PGS_2M;
	/* Enough for a 1 TiB window of 64K TCEs; a guess, see description. */
	p->largest_available_block = TiB / (64 * KiB);
	named(p, "pseries-powervm",
	      "PowerVM LPAR, dedicated adapter: all values unverified "
	      "(doc/kernel-model.md §9: 2 GiB dma32, 4K/64K/2M, DDW at 1<<59, "
	      "TCE block for 1 TiB of 64K pages).");
}

static void pseries_powervm_sriov_vf(struct spapr_model_profile *p)
{
	pseries_base(p);
	p->dma32_start = 0;
	p->dma32_size = 256 * MiB;
	/* "phyp ... does not allow IOMMU pages bigger than 64K" (§9). */
	p->pgsizes = PGS_4K | PGS_64K;
	/* Single-window PE: a DDW replaces the default window (§6). */
	p->max_dynamic_windows = 1;
	p->largest_available_block = 32768;	/* 2 GiB of 64K TCEs */
	named(p, "pseries-powervm-sriov-vf",
	      "PowerVM SR-IOV VF: 64K max TCE and single window from the spec; "
	      "256 MiB dma32 and 32768-TCE budget are unverified guesses.");
}

static void pseries_v1_only(struct spapr_model_profile *p)
{
	pseries_base(p);
	/* v6.4-v6.10 "borrowing" ops: 4K only, no DDW, v2 -EINVAL (§6). */
	p->kernel = SPAPR_MODEL_KERNEL_6_4;
	p->dma32_start = 0;
	p->dma32_size = 0x40000000u;
	p->pgsizes = PGS_4K;
	p->max_dynamic_windows = 0;
	p->max_levels = 0;
	p->ddw_start = 0;
	p->windows_available = 0;
	named(p, "pseries-v1-only",
	      "KVM pseries guest with a 6.4-6.10 kernel (borrowing ops): v1 "
	      "only, v2 -EINVAL; from doc/kernel-model.md §3.2/§6 code reading, not observed.");
}

static void pseries_noddw(struct spapr_model_profile *p)
{
	pseries_base(p);
	/* No ibm,ddw-applicable: max windows reads back as -1, levels stay 0,
	 * pgsizes = 4K; a DDW CREATE fails and poisons (§6). */
	p->dma32_start = 0;
	p->dma32_size = 0x40000000u;
	p->ddw_applicable = false;
	p->pgsizes = PGS_4K;
	p->max_dynamic_windows = 0xFFFFFFFFu;
	p->max_levels = 0;
	p->ddw_start = 0;
	p->windows_available = 0;
	named(p, "pseries-noddw",
	      "pseries guest without ibm,ddw-applicable: 0xFFFFFFFF windows "
	      "quirk, levels 0, 4K only; from doc/kernel-model.md §6 code reading, not observed.");
}

static const struct builtin {
	const char *name;
	void (*init)(struct spapr_model_profile *p);
} builtins[] = {
	{ "powernv8", powernv8 },
	{ "powernv9", powernv9 },
	{ "powernv10", powernv10 },
	{ "powernv9-4k", powernv9_4k },
	{ "pseries-kvm", pseries_kvm },
	{ "pseries-powervm", pseries_powervm },
	{ "pseries-powervm-sriov-vf", pseries_powervm_sriov_vf },
	{ "pseries-v1-only", pseries_v1_only },
	{ "pseries-noddw", pseries_noddw },
};

#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

const char *const *spapr_model_profile_names(void)
{
	static const char *const names[NBUILTINS + 1] = {
		"powernv8", "powernv9", "powernv10", "powernv9-4k",
		"pseries-kvm", "pseries-powervm", "pseries-powervm-sriov-vf",
		"pseries-v1-only", "pseries-noddw", NULL,
	};
	return names;
}

int spapr_model_profile_get(const char *name, struct spapr_model_profile *out)
{
	if (name == NULL || out == NULL)
		return -EINVAL;
	for (size_t i = 0; i < NBUILTINS; i++) {
		if (strcmp(builtins[i].name, name) == 0) {
			builtins[i].init(out);
			return 0;
		}
	}
	return -ENOENT;
}

static void format_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NBUILTINS && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 builtins[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* ---------------------------------------------------------------------- */
/* Keys.                                                                  */
/* ---------------------------------------------------------------------- */

enum key_kind {
	K_NAME,		/* char[], [A-Za-z0-9._-] */
	K_TEXT,		/* char[], one line, no '#' */
	K_PLATFORM,
	K_KERNEL,
	K_PAGE_SIZE,	/* system_page_size -> system_page_shift */
	K_PGSIZES,	/* uint64_t mask */
	K_HEX32,	/* uint32_t, written in hex */
	K_U32,		/* uint32_t, written in decimal */
	K_UINT,		/* unsigned int, decimal */
	K_HEX64,	/* uint64_t, hex */
	K_U64,		/* uint64_t, decimal */
	K_SIZE,		/* uint64_t, written with a K/M/G/T suffix */
	K_POW2_SIZE,	/* K_SIZE that must be a power of two */
	K_MEMLOCK,	/* uint64_t size or "unlimited" */
	K_BOOL,
	K_INVALIDATE,
};

struct key {
	const char *name;
	enum key_kind kind;
	size_t off;
	size_t size;		/* K_NAME/K_TEXT buffer size */
	uint64_t min, max;	/* numeric range */
	const char *accepted;
};

#define F(field) offsetof(struct spapr_model_profile, field)
#define FS(field) sizeof(((struct spapr_model_profile *)0)->field)
#define NUM "a number (decimal or 0x hex, K/M/G/T suffix)"

static const struct key keys[] = {
	{ "name", K_NAME, F(name), FS(name), 0, 0,
	  "1-63 characters of A-Z a-z 0-9 . _ -" },
	{ "description", K_TEXT, F(description), FS(description), 0, 0,
	  "one line of at most 159 characters without '#'" },
	{ "platform", K_PLATFORM, F(platform), 0, 0, 0, "powernv, pseries, ioda1" },
	{ "kernel", K_KERNEL, F(kernel), 0, 0, 0, "current, 6.4, 6.3" },
	{ "system_page_size", K_PAGE_SIZE, F(system_page_shift), 0, 0, 0, "4K, 64K" },
	{ "pgsizes", K_PGSIZES, F(pgsizes), 0, 0, 0,
	  "a mask (0x40211000) or a list of sizes >= 4K (4K,64K,2M,1G)" },
	{ "dma32_start", K_HEX32, F(dma32_start), 0, 0, UINT32_MAX, NUM " < 4G" },
	{ "dma32_size", K_HEX32, F(dma32_size), 0, 0, UINT32_MAX, NUM " < 4G" },
	{ "max_dynamic_windows", K_U32, F(max_dynamic_windows), 0, 0, UINT32_MAX,
	  NUM " 0..0xFFFFFFFF" },
	{ "max_levels", K_U32, F(max_levels), 0, 0, UINT32_MAX, NUM " 0..0xFFFFFFFF" },
	{ "slot1_start", K_HEX64, F(slot1_start), 0, 0, UINT64_MAX, NUM },
	{ "ddw_start", K_HEX64, F(ddw_start), 0, 0, UINT64_MAX, NUM },
	{ "ddw_applicable", K_BOOL, F(ddw_applicable), 0, 0, 0, "" },
	{ "largest_available_block", K_U64, F(largest_available_block), 0, 0,
	  UINT64_MAX, NUM " (TCEs)" },
	{ "windows_available", K_U32, F(windows_available), 0, 0, UINT32_MAX,
	  NUM " 0..0xFFFFFFFF" },
	{ "max_level_chunk", K_POW2_SIZE, F(max_level_chunk), 0, 4 * KiB, UINT64_MAX,
	  "a power of two >= 4K (e.g. 16M)" },
	{ "bus_addr_bits", K_UINT, F(bus_addr_bits), 0, 0, 64,
	  "0 (no rule) or a number up to 64" },
	{ "ram_size", K_SIZE, F(ram_size), 0, 1, UINT64_MAX, NUM " > 0 (e.g. 256G)" },
	{ "window_le_ram", K_BOOL, F(window_le_ram), 0, 0, 0, "" },
	{ "pre_4_19_tables", K_BOOL, F(pre_4_19_tables), 0, 0, 0, "" },
	{ "detach_clears_tces", K_BOOL, F(detach_clears_tces), 0, 0, 0, "" },
	{ "quirk_leak_failed_create", K_BOOL, F(quirk_leak_failed_create), 0, 0, 0, "" },
	{ "quirk_unregister_orphans", K_BOOL, F(quirk_unregister_orphans), 0, 0, 0, "" },
	{ "quirk_pseries_poison", K_BOOL, F(quirk_pseries_poison), 0, 0, 0, "" },
	{ "invalidate", K_INVALIDATE, F(invalidate), 0, 0, 0, "per-range, per-page, none" },
	{ "tce_via_hcall", K_BOOL, F(tce_via_hcall), 0, 0, 0, "" },
	{ "memlock", K_MEMLOCK, F(memlock_limit), 0, 0, UINT64_MAX,
	  "unlimited or a size (e.g. 64M)" },
	{ "cap_ipc_lock", K_BOOL, F(cap_ipc_lock), 0, 0, 0, "" },
	{ "eeh_enabled", K_BOOL, F(eeh_enabled), 0, 0, 0, "" },
	{ "groups", K_UINT, F(groups), 0, 1, 256, "a number 1..256" },
	{ "hv_max_window_tces", K_U64, F(hv_max_window_tces), 0, 0, UINT64_MAX,
	  NUM " (TCEs; 0 = no limit)" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define BOOL_ACCEPTED "yes, no, true, false, on, off, 1, 0"

static const char *const platform_names[] = { "powernv", "pseries", "ioda1" };
static const char *const kernel_names[] = { "current", "6.4", "6.3" };
static const char *const invalidate_names[] = { "per-range", "per-page", "none" };

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static void key_error(char *err, size_t errlen, const char *key,
		      const char *what, const char *accepted)
{
	if (err && errlen)
		snprintf(err, errlen, "key '%s': %s; accepted: %s", key, what,
			 accepted);
}

/* "name, description, ..." into @list. */
static void key_list(char *list, size_t len)
{
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < NKEYS && used < len; i++) {
		int n = snprintf(list + used, len - used, "%s%s",
				 i ? ", " : "", keys[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void unknown_key_error(char *err, size_t errlen, const char *key)
{
	char list[1024];

	key_list(list, sizeof(list));
	key_error(err, errlen, key, "unknown key", list);
}

/* ---------------------------------------------------------------------- */
/* Value parsing.                                                         */
/* ---------------------------------------------------------------------- */

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_choice(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* A mask, or sizes joined by ',' or '|': a single size's mask bit is the
 * size itself (bit n = 2^n bytes), so "64K" and 0x10000 mean the same. */
static int parse_pgsizes(const char *s, uint64_t *out)
{
	char buf[256];
	char *save = NULL;
	uint64_t mask = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",|", &save); t; t = strtok_r(NULL, ",|", &save)) {
		uint64_t v;

		while (isspace((unsigned char)*t))
			t++;
		for (char *e = t + strlen(t); e > t && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (spapr_parse_size(t, &v))
			return -EINVAL;
		mask |= v;
	}
	/* IOMMU pages start at 4K (IOMMU_PAGE_SHIFT_4K). */
	if (mask == 0 || (mask & (PGS_4K - 1)))
		return -EINVAL;
	*out = mask;
	return 0;
}

static bool valid_name(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n == 0 || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static bool valid_text(const char *s, size_t size)
{
	if (strlen(s) >= size)
		return false;
	for (; *s; s++)
		/* Bytes >= 0x80 are UTF-8 (e.g. "§" in spec citations). */
		if (*s == '#' || (!isprint((unsigned char)*s) &&
				  (unsigned char)*s < 0x80))
			return false;
	return true;
}

static int store_number(struct spapr_model_profile *p, const struct key *k,
			uint64_t v)
{
	char *base = (char *)p + k->off;

	if (v < k->min || v > k->max)
		return -ERANGE;
	switch (k->kind) {
	case K_HEX32:
	case K_U32:
		*(uint32_t *)(void *)base = (uint32_t)v;
		break;
	case K_UINT:
		*(unsigned int *)(void *)base = (unsigned int)v;
		break;
	default:
		*(uint64_t *)(void *)base = v;
		break;
	}
	return 0;
}

static int set_enum(struct spapr_model_profile *p, const struct key *k,
		    const char *value)
{
	int v;

	switch (k->kind) {
	case K_PLATFORM:
		v = parse_choice(value, platform_names, 3);
		if (v >= 0)
			p->platform = (enum spapr_model_platform)v;
		break;
	case K_KERNEL:
		v = parse_choice(value, kernel_names, 3);
		if (v >= 0)
			p->kernel = (enum spapr_model_kernel)v;
		break;
	default:
		v = parse_choice(value, invalidate_names, 3);
		if (v >= 0)
			p->invalidate = (enum spapr_model_invalidate)v;
		break;
	}
	return v < 0 ? -EINVAL : 0;
}

static int set_page_size(struct spapr_model_profile *p, const char *value)
{
	uint64_t v;

	if (spapr_parse_size(value, &v) || (v != 4 * KiB && v != 64 * KiB))
		return -EINVAL;
	p->system_page_shift = v == 4 * KiB ? 12 : 16;
	return 0;
}

static int set_value(struct spapr_model_profile *p, const struct key *k,
		     const char *value)
{
	char *field = (char *)p + k->off;
	uint64_t v;
	int ret;

	switch (k->kind) {
	case K_NAME:
	case K_TEXT:
		if (!(k->kind == K_NAME ? valid_name(value, k->size)
					: valid_text(value, k->size)))
			return -EINVAL;
		snprintf(field, k->size, "%s", value);
		return 0;
	case K_PLATFORM:
	case K_KERNEL:
	case K_INVALIDATE:
		return set_enum(p, k, value);
	case K_PAGE_SIZE:
		return set_page_size(p, value);
	case K_PGSIZES:
		return parse_pgsizes(value, &p->pgsizes);
	case K_BOOL:
		return parse_bool(value, (bool *)(void *)field);
	case K_MEMLOCK:
		if (strcasecmp(value, "unlimited") == 0) {
			p->memlock_limit = SPAPR_MODEL_UNLIMITED;
			return 0;
		}
		/* fall through */
	default:
		ret = spapr_parse_size(value, &v);
		if (ret)
			return ret;
		if (k->kind == K_POW2_SIZE && (v & (v - 1)))
			return -EDOM;
		return store_number(p, k, v);
	}
}

/* Why @value of key @k was refused; @value is quoted only when given (a
 * caller's own argument, never a file's content). */
static void value_error(char *err, size_t errlen, const struct key *k, int ret,
			const char *value)
{
	char what[160];

	snprintf(what, sizeof(what), "%s value%s%.80s%s",
		 ret == -ERANGE ? "out-of-range" :
		 ret == -EDOM ? "not a power of two," : "bad",
		 value ? " '" : "", value ? value : "", value ? "'" : "");
	key_error(err, errlen, k->name, what,
		  k->kind == K_BOOL ? BOOL_ACCEPTED : k->accepted);
}

int spapr_model_profile_set(struct spapr_model_profile *p, const char *key,
			    const char *value, char *err, size_t errlen)
{
	const struct key *k;
	int ret;

	if (p == NULL || key == NULL || value == NULL)
		return -EINVAL;
	k = find_key(key);
	if (k == NULL) {
		unknown_key_error(err, errlen, key);
		return -EINVAL;
	}
	ret = set_value(p, k, value);
	if (ret == 0)
		return 0;
	value_error(err, errlen, k, ret, value);
	return -EINVAL;
}

/* ---------------------------------------------------------------------- */
/* Formatting.                                                            */
/* ---------------------------------------------------------------------- */

struct out {
	char *buf;
	size_t len;
	size_t used;	/* what the whole text needs, like snprintf */
};

static void emit(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->used < o->len ? o->buf + o->used : NULL,
		      o->used < o->len ? o->len - o->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void format_pgsizes_list(char *buf, size_t len, uint64_t mask)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int bit = 0; bit < 64 && used < len; bit++) {
		char one[32];
		int n;

		if (!(mask & (UINT64_C(1) << bit)))
			continue;
		spapr_size_exact(UINT64_C(1) << bit, one, sizeof(one));
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", one);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void format_value(const struct spapr_model_profile *p,
			 const struct key *k, struct out *o)
{
	const char *field = (const char *)p + k->off;
	char tmp[256];

	switch (k->kind) {
	case K_NAME:
	case K_TEXT:
		emit(o, "%s", field);
		break;
	case K_PLATFORM:
		emit(o, "%s", platform_names[p->platform]);
		break;
	case K_KERNEL:
		emit(o, "%s", kernel_names[p->kernel]);
		break;
	case K_INVALIDATE:
		emit(o, "%s", invalidate_names[p->invalidate]);
		break;
	case K_PAGE_SIZE:
		emit(o, "%s", p->system_page_shift == 12 ? "4K" : "64K");
		break;
	case K_PGSIZES:
		format_pgsizes_list(tmp, sizeof(tmp), p->pgsizes);
		emit(o, "0x%" PRIx64 "  # %s", p->pgsizes, tmp);
		break;
	case K_BOOL:
		emit(o, "%s", *(const bool *)(const void *)field ? "true" : "false");
		break;
	case K_HEX32:
		emit(o, "0x%" PRIx32, *(const uint32_t *)(const void *)field);
		break;
	case K_U32:
		emit(o, "%" PRIu32, *(const uint32_t *)(const void *)field);
		break;
	case K_UINT:
		emit(o, "%u", *(const unsigned int *)(const void *)field);
		break;
	case K_HEX64:
		emit(o, "0x%" PRIx64, *(const uint64_t *)(const void *)field);
		break;
	case K_U64:
		emit(o, "%" PRIu64, *(const uint64_t *)(const void *)field);
		break;
	case K_MEMLOCK:
		if (p->memlock_limit == SPAPR_MODEL_UNLIMITED) {
			emit(o, "unlimited");
			break;
		}
		/* fall through */
	case K_SIZE:
	case K_POW2_SIZE:
		spapr_size_exact(*(const uint64_t *)(const void *)field, tmp, sizeof(tmp));
		emit(o, "%s", tmp);
		break;
	}
}

/*
 * Returns the length of the whole text (without the NUL), like snprintf:
 * the text was cut if the result is >= @len.
 */
int spapr_model_profile_format(const struct spapr_model_profile *p, char *buf,
			       size_t len)
{
	struct out o = { .buf = buf, .len = len, .used = 0 };

	if (p == NULL || (buf == NULL && len))
		return -EINVAL;
	if ((unsigned int)p->platform > 2 || (unsigned int)p->kernel > 2 ||
	    (unsigned int)p->invalidate > 2)
		return -EINVAL;
	emit(&o, "# spapr-dpdk host-model profile '%s'.\n", p->name);
	emit(&o, "# Written by spapr_model_profile_format(); every key is "
		 "explained in README.md.\n");
	for (size_t i = 0; i < NKEYS; i++) {
		emit(&o, "%s = ", keys[i].name);
		format_value(p, &keys[i], &o);
		emit(&o, "\n");
	}
	if (o.used > INT_MAX)
		return -EOVERFLOW;
	return (int)o.used;
}

/* ---------------------------------------------------------------------- */
/* Loading files.                                                         */
/* ---------------------------------------------------------------------- */

/* '#' at the start of a line or after white space starts a comment. */
static void strip_comment(char *line)
{
	for (char *c = line; *c; c++) {
		if (*c == '#' && (c == line || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

/* The file name without directories and without ".conf". */
static void file_stem(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t n = strlen(base);

	if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
		n -= 5;
	if (n >= len)
		n = len - 1;
	memcpy(out, base, n);
	out[n] = '\0';
}

struct loader {
	const char *path;
	unsigned int line;
	unsigned int settings;	/* key lines seen so far */
	bool name_set;
	char *err;
	size_t errlen;
};

static int load_error(struct loader *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int load_error(struct loader *l, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (l->err && l->errlen)
		snprintf(l->err, l->errlen, "%s:%u: %s", l->path, l->line, what);
	return -EINVAL;
}

static int load_base(struct loader *l, const char *value,
		     struct spapr_model_profile *out)
{
	char names[512];

	if (l->settings != 0)
		return load_error(l, "key 'base': must be the first setting of "
				  "the file; accepted: a built-in name");
	if (spapr_model_profile_get(value, out) == 0)
		return 0;
	format_names(names, sizeof(names));
	return load_error(l, "key 'base': unknown profile; accepted: %s", names);
}

/*
 * One line of a file. Errors never quote what the file says (the path may
 * name any file, e.g. one the user may not read otherwise): only the line
 * number and, for a known key, its name.
 */
static int load_line(struct loader *l, char *line, struct spapr_model_profile *out)
{
	char *eq, *key, *value;
	const struct key *k;
	char what[1024];
	int ret;

	strip_comment(line);
	line = spapr_trim(line);
	if (*line == '\0')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL)
		return load_error(l, "expected 'key = value'");
	*eq = '\0';
	key = spapr_trim(line);
	value = spapr_trim(eq + 1);
	if (strcmp(key, "base") == 0) {
		ret = load_base(l, value, out);
		l->settings++;
		return ret;
	}
	l->settings++;
	k = find_key(key);
	if (k == NULL) {
		key_list(what, sizeof(what));
		return load_error(l, "unknown key; accepted: %s", what);
	}
	ret = set_value(out, k, value);
	if (ret) {
		value_error(what, sizeof(what), k, ret, NULL);
		return load_error(l, "%s", what);
	}
	if (k->off == offsetof(struct spapr_model_profile, name))
		l->name_set = true;
	return 0;
}

/* The lines of @text (NUL-terminated, @len bytes). */
static int load_text(struct loader *l, char *text, size_t len,
		     struct spapr_model_profile *out)
{
	char *line = text, *end = text + len;
	int ret = 0;

	if (memchr(text, '\0', len) != NULL)
		return load_error(l, "not a text file (NUL byte)");
	while (ret == 0 && line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));

		if (nl != NULL)
			*nl = '\0';
		l->line++;
		ret = load_line(l, line, out);
		line = nl != NULL ? nl + 1 : end;
	}
	return ret;
}

/*
 * Read the whole profile file @path into a buffer: regular files only (a
 * FIFO would block, a device such as /dev/zero never ends), at most
 * SPAPR_MODEL_PROFILE_MAX_BYTES. O_NONBLOCK keeps open() itself from
 * waiting on a FIFO. Returns the buffer (free()) or NULL with *err set.
 */
static char *read_profile_file(const char *path, size_t *len, int *err,
			       char *msg, size_t msglen)
{
	const size_t cap = SPAPR_MODEL_PROFILE_MAX_BYTES;
	struct stat st;
	char *buf = NULL;
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	const char *why = NULL;

	*err = 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		*err = -errno;
		why = "cannot open";
	} else if (!S_ISREG(st.st_mode)) {
		*err = -EINVAL;
		why = "not a regular file";
	} else if ((uint64_t)st.st_size > cap || !(buf = malloc(cap + 1))) {
		*err = buf || (uint64_t)st.st_size > cap ? -EFBIG : -ENOMEM;
		why = "larger than a profile can be";
	}
	while (!*err) {
		ssize_t n = read(fd, buf + used, cap + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = -errno;
			why = "cannot read";
		} else if (n == 0) {
			break;
		} else if ((used += (size_t)n) > cap) {
			*err = -EFBIG;
			why = "larger than a profile can be";
		}
	}
	if (fd >= 0)
		close(fd);
	if (*err) {
		if (msg && msglen)
			snprintf(msg, msglen, "%s: %s%s%s; a profile is a regular "
				 "text file of at most %zu bytes, or a built-in name",
				 path, why, *err == -EINVAL ? "" : ": ",
				 *err == -EINVAL ? "" : strerror(-*err), cap);
		free(buf);
		return NULL;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

/* A file without "base" starts from the common defaults, which have no
 * IOMMU page sizes: such a file must describe the table group itself. */
static int check_complete(struct loader *l, const struct spapr_model_profile *p)
{
	if (p->pgsizes == 0)
		return load_error(l, "key 'pgsizes': not set; accepted: %s "
				  "(or start the file with 'base = <built-in>')",
				  find_key("pgsizes")->accepted);
	return 0;
}

/* Parse @text (NUL-terminated, @len bytes, modified in place). */
static int parse_profile_text(char *text, size_t len, const char *origin,
			      struct spapr_model_profile *out, char *err, size_t errlen)
{
	struct loader l = { .path = origin, .err = err, .errlen = errlen };
	struct spapr_model_profile p;
	int ret;

	common_defaults(&p);
	ret = load_text(&l, text, len, &p);
	if (ret == 0)
		ret = check_complete(&l, &p);
	if (ret)
		return ret;
	if (!l.name_set)
		file_stem(origin, p.name, sizeof(p.name));
	*out = p;
	return 0;
}

int spapr_model_profile_parse(const char *text, size_t len, const char *origin,
			      struct spapr_model_profile *out, char *err, size_t errlen)
{
	char *copy;
	int ret;

	if (text == NULL || origin == NULL || out == NULL)
		return -EINVAL;
	if (err && errlen)
		err[0] = '\0';
	if (len > SPAPR_MODEL_PROFILE_MAX_BYTES) {
		if (err && errlen)
			snprintf(err, errlen, "%s: larger than a profile can be (%zu "
				 "bytes, at most %u)", origin, len,
				 SPAPR_MODEL_PROFILE_MAX_BYTES);
		return -EFBIG;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	ret = parse_profile_text(copy, len, origin, out, err, errlen);
	free(copy);
	return ret;
}

int spapr_model_profile_load(const char *path, struct spapr_model_profile *out,
			     char *err, size_t errlen)
{
	size_t len = 0;
	char *text;
	int ret;

	if (path == NULL || out == NULL)
		return -EINVAL;
	if (err && errlen)
		err[0] = '\0';
	text = read_profile_file(path, &len, &ret, err, errlen);
	if (text == NULL)
		return ret;
	ret = parse_profile_text(text, len, path, out, err, errlen);
	free(text);
	return ret;
}

int spapr_model_profile_resolve(const char *spec, struct spapr_model_profile *out,
				char *err, size_t errlen)
{
	char names[512];
	struct stat st;

	if (spec == NULL || out == NULL)
		return -EINVAL;
	if (spapr_model_profile_get(spec, out) == 0)
		return 0;
	/* Anything that exists is the user's file: the loader says what is
	 * wrong with it (stat does not open, so a FIFO cannot block here). */
	if (stat(spec, &st) == 0)
		return spapr_model_profile_load(spec, out, err, errlen);
	format_names(names, sizeof(names));
	if (err && errlen)
		snprintf(err, errlen,
			 "profile '%s': neither a built-in profile nor a readable "
			 "file; accepted: %s, or a path to a profile file",
			 spec, names);
	return -ENOENT;
}

uint64_t spapr_model_profile_ddw_limit(const struct spapr_model_profile *p)
{
	uint64_t lim = p->largest_available_block;

	if (p->platform != SPAPR_MODEL_PSERIES)
		return 0;
	/* A DDW above hv_max_window_tces passes the kernel's largest-block
	 * check and then fails in RTAS, poisoning the PE (see the profile). */
	if (p->hv_max_window_tces && p->hv_max_window_tces < lim)
		lim = p->hv_max_window_tces;
	return lim;
}
