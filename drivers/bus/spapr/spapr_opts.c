/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_opts.c - parse "key=value,..." plugin options with errors that name
 * the key and the accepted values. No DPDK here (fuzzed on its own).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spapr_opts.h"

#define TOKEN_MAX 512
#define GROUPS_MAX 64

static void say(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

void spapr_opts_init(struct spapr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->policy = SPAPR_OPTS_AUTO;
	o->backend = SPAPR_OPTS_VFIO;
	o->memlock_check = true;
	o->iommu = true;
	o->groups = 1;
	strcpy(o->profile, "powernv9");
}

const char *spapr_opts_policy_name(enum spapr_opts_policy p)
{
	switch (p) {
	case SPAPR_OPTS_DIRECT: return "direct";
	case SPAPR_OPTS_INDIRECT: return "indirect";
	default: return "auto";
	}
}

const char *spapr_opts_backend_name(enum spapr_opts_backend b)
{
	return b == SPAPR_OPTS_MODEL ? "model" : "vfio";
}

/* "64K", "2M", "0x10000", "1G": bytes. Rejects overflow and junk. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static unsigned int log2_u64(uint64_t v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

/* One key. Returns 0, or -EINVAL with @err set. */
static int apply_key(struct spapr_opts *o, const char *origin, const char *key,
		     const char *val, char *err, size_t errlen)
{
	uint64_t sz;
	bool b;

	if (strcmp(key, "bus") == 0)
		return 0;	/* "-a bus=spapr,...": the layer key itself */
	if (strcmp(key, "help") == 0) {
		o->help = true;
		return 0;
	}
	if (val == NULL) {
		say(err, errlen, "%s: key '%s' needs a value (key=value)", origin, key);
		return -EINVAL;
	}
	if (strcmp(key, "policy") == 0) {
		if (strcmp(val, "auto") == 0)
			o->policy = SPAPR_OPTS_AUTO;
		else if (strcmp(val, "direct") == 0)
			o->policy = SPAPR_OPTS_DIRECT;
		else if (strcmp(val, "indirect") == 0)
			o->policy = SPAPR_OPTS_INDIRECT;
		else
			goto bad_policy;
		o->set |= SPAPR_OPT_POLICY;
		return 0;
	}
	if (strcmp(key, "backend") == 0) {
		if (strcmp(val, "vfio") == 0)
			o->backend = SPAPR_OPTS_VFIO;
		else if (strcmp(val, "model") == 0)
			o->backend = SPAPR_OPTS_MODEL;
		else {
			say(err, errlen, "%s: bad value '%s' for key 'backend': accepted values are vfio, model",
			    origin, val);
			return -EINVAL;
		}
		o->set |= SPAPR_OPT_BACKEND;
		return 0;
	}
	if (strcmp(key, "page_size") == 0) {
		if (strcmp(val, "auto") == 0) {
			o->page_shift = 0;
		} else if (parse_size(val, &sz) || !is_pow2(sz) || sz < 4096 ||
			   sz > (1ull << 40)) {
			say(err, errlen, "%s: bad value '%s' for key 'page_size': accepted values are auto or a power of two from 4K to 1T (e.g. 64K, 2M, 1G)",
			    origin, val);
			return -EINVAL;
		} else {
			o->page_shift = log2_u64(sz);
		}
		o->set |= SPAPR_OPT_PAGE_SIZE;
		return 0;
	}
	if (strcmp(key, "window_size") == 0) {
		if (strcmp(val, "auto") == 0) {
			o->window_size = 0;
		} else if (parse_size(val, &sz) || !is_pow2(sz) || sz < 4096) {
			say(err, errlen, "%s: bad value '%s' for key 'window_size': accepted values are auto or a power of two of at least 4K (e.g. 4G, 1T)",
			    origin, val);
			return -EINVAL;
		} else {
			o->window_size = sz;
		}
		o->set |= SPAPR_OPT_WINDOW_SIZE;
		return 0;
	}
	if (strcmp(key, "table_budget") == 0) {
		if (strcmp(val, "none") == 0) {
			o->table_budget = 0;
		} else if (parse_size(val, &sz) || sz == 0) {
			say(err, errlen, "%s: bad value '%s' for key 'table_budget': accepted values are none or a size in bytes with optional K/M/G/T suffix (e.g. 64M)",
			    origin, val);
			return -EINVAL;
		} else {
			o->table_budget = sz;
		}
		o->set |= SPAPR_OPT_TABLE_BUDGET;
		return 0;
	}
	if (strcmp(key, "memlock_check") == 0) {
		if (parse_bool(val, &b)) {
			say(err, errlen, "%s: bad value '%s' for key 'memlock_check': accepted values are yes, no (also true/false, on/off, 1/0)",
			    origin, val);
			return -EINVAL;
		}
		o->memlock_check = b;
		o->set |= SPAPR_OPT_MEMLOCK_CHECK;
		return 0;
	}
	if (strcmp(key, "iommu") == 0) {
		if (parse_bool(val, &b)) {
			say(err, errlen, "%s: bad value '%s' for key 'iommu': accepted values are on, off (also yes/no, true/false, 1/0)",
			    origin, val);
			return -EINVAL;
		}
		o->iommu = b;
		o->set |= SPAPR_OPT_IOMMU;
		return 0;
	}
	if (strcmp(key, "groups") == 0) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(val, &end, 10);
		if (errno || end == val || *end || val[0] == '-' || val[0] == '+' ||
		    n < 1 || n > GROUPS_MAX) {
			say(err, errlen, "%s: bad value '%s' for key 'groups': accepted values are 1 to %d (model IOMMU groups to open)",
			    origin, val, GROUPS_MAX);
			return -EINVAL;
		}
		o->groups = (unsigned int)n;
		o->set |= SPAPR_OPT_GROUPS;
		return 0;
	}
	if (strcmp(key, "profile") == 0) {
		if (val[0] == '\0' || strlen(val) >= sizeof(o->profile)) {
			say(err, errlen, "%s: bad value '%s' for key 'profile': accepted values are a built-in profile name (e.g. powernv9, pseries-kvm) or a profile file path shorter than %zu bytes",
			    origin, val, sizeof(o->profile));
			return -EINVAL;
		}
		strcpy(o->profile, val);
		o->set |= SPAPR_OPT_PROFILE;
		return 0;
	}
	say(err, errlen, "%s: unknown key '%s': accepted keys are policy, page_size, window_size, table_budget, backend, profile, groups, memlock_check, iommu, help",
	    origin, key);
	return -EINVAL;
bad_policy:
	say(err, errlen, "%s: bad value '%s' for key 'policy': accepted values are auto, direct, indirect",
	    origin, val);
	return -EINVAL;
}

int spapr_opts_parse(struct spapr_opts *o, const char *text, const char *origin,
		     char *err, size_t errlen)
{
	struct spapr_opts tmp = *o;
	const char *p = text;

	if (text == NULL)
		return 0;
	while (*p != '\0') {
		char tok[TOKEN_MAX];
		size_t n = strcspn(p, ",");
		char *eq, *val = NULL;
		int rc;

		if (n == 0) {
			say(err, errlen, "%s: empty option in '%s' (expected key=value,key=value)",
			    origin, text);
			return -EINVAL;
		}
		if (n >= sizeof(tok)) {
			say(err, errlen, "%s: option too long (%zu bytes, at most %zu)", origin, n,
			    sizeof(tok) - 1);
			return -EINVAL;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		eq = strchr(tok, '=');
		if (eq != NULL) {
			*eq = '\0';
			val = eq + 1;
		}
		if (tok[0] == '\0') {
			say(err, errlen, "%s: option '%s' has no key", origin, val ? val : "");
			return -EINVAL;
		}
		rc = apply_key(&tmp, origin, tok, val, err, errlen);
		if (rc)
			return rc;
		p += n;
		if (*p == ',') {
			p++;
			if (*p == '\0') {
				say(err, errlen, "%s: trailing ',' in '%s'", origin, text);
				return -EINVAL;
			}
		}
	}
	*o = tmp;
	return 0;
}

int spapr_opts_validate(const struct spapr_opts *o, char *err, size_t errlen)
{
	if (o->backend != SPAPR_OPTS_MODEL &&
	    (o->set & (SPAPR_OPT_PROFILE | SPAPR_OPT_GROUPS | SPAPR_OPT_IOMMU))) {
		say(err, errlen, "keys 'profile', 'groups' and 'iommu' need backend=model (backend is vfio)");
		return -EINVAL;
	}
	if (o->window_size && o->page_shift && o->window_size < (1ull << o->page_shift)) {
		say(err, errlen, "window_size is smaller than page_size: accepted values are window_size >= page_size");
		return -EINVAL;
	}
	return 0;
}

void spapr_opts_help(FILE *f)
{
	fputs("spapr bus options: -a bus=spapr,key=value,... (or -b bus=spapr,... when -b is\n"
	      "used for PCI), and the environment variable " SPAPR_OPTS_ENV "=key=value,...\n"
	      "(explicit devargs win over the environment):\n"
	      "  policy=auto|direct|indirect  direct: one 1:1 DDW (IOVA = start + address);\n"
	      "                               indirect: allocated IOVAs in the best window;\n"
	      "                               auto (default): direct when it fits, else indirect\n"
	      "  page_size=auto|<size>        TCE (IOMMU page) size, e.g. 64K, 2M, 1G\n"
	      "  window_size=auto|<size>      force the DMA window size (power of two)\n"
	      "  table_budget=none|<size>     max bytes of TCE tables charged to locked_vm\n"
	      "  memlock_check=yes|no         refuse plans RLIMIT_MEMLOCK cannot hold (yes)\n"
	      "  backend=vfio|model           real VFIO (default) or the in-process host model\n"
	      "  profile=<name>|<file>        model: host profile (default powernv9)\n"
	      "  groups=<n>                   model: IOMMU groups to open (default 1)\n"
	      "  iommu=on|off                 model: off = no windows, the PEs translate\n"
	      "                               IOVA = host physical address (baseline, no IOMMU)\n"
	      "  help                         print this list and stop EAL init\n",
	      f);
}
