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
#include "spapr_util.h"

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

/* Value names, indexed by enum spapr_opts_policy and enum spapr_opts_backend. */
static const char *const policy_names[] = { "auto", "direct", "indirect" };
static const char *const backend_names[] = { "vfio", "model" };
#define NAMES(a) (sizeof(a) / sizeof((a)[0]))	/* elements of an array */

const char *spapr_opts_policy_name(enum spapr_opts_policy p)
{
	return (size_t)p < NAMES(policy_names) ? policy_names[p] : policy_names[0];
}

const char *spapr_opts_backend_name(enum spapr_opts_backend b)
{
	return (size_t)b < NAMES(backend_names) ? backend_names[b] : backend_names[0];
}

/* The index of @val in @names[@n], or -EINVAL. */
static int parse_name(const char *val, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(val, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* "64K", "2M", "0x10000", "1G": bytes. Rejects overflow and junk. */
static int parse_size(const char *s, uint64_t *out)
{
	return spapr_parse_size(s, out) ? -EINVAL : 0;
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

static unsigned int log2_u64(uint64_t v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

/* ---- one parser per key: 0, or -EINVAL for a value it does not accept ---- */

static int parse_policy(struct spapr_opts *o, const char *val)
{
	int i = parse_name(val, policy_names, NAMES(policy_names));

	if (i < 0)
		return i;
	o->policy = (enum spapr_opts_policy)i;
	return 0;
}

static int parse_page_size(struct spapr_opts *o, const char *val)
{
	uint64_t sz;

	if (strcmp(val, "auto") == 0) {
		o->page_shift = 0;
		return 0;
	}
	if (parse_size(val, &sz) || !spapr_is_pow2(sz) || sz < 4096 || sz > (1ull << 40))
		return -EINVAL;
	o->page_shift = log2_u64(sz);
	return 0;
}

static int parse_window_size(struct spapr_opts *o, const char *val)
{
	uint64_t sz;

	if (strcmp(val, "auto") == 0) {
		o->window_size = 0;
		return 0;
	}
	if (parse_size(val, &sz) || !spapr_is_pow2(sz) || sz < 4096)
		return -EINVAL;
	o->window_size = sz;
	return 0;
}

static int parse_table_budget(struct spapr_opts *o, const char *val)
{
	uint64_t sz;

	if (strcmp(val, "none") == 0) {
		o->table_budget = 0;
		return 0;
	}
	if (parse_size(val, &sz) || sz == 0)
		return -EINVAL;
	o->table_budget = sz;
	return 0;
}

static int parse_memlock_check(struct spapr_opts *o, const char *val)
{
	return parse_bool(val, &o->memlock_check);
}

static int parse_backend(struct spapr_opts *o, const char *val)
{
	int i = parse_name(val, backend_names, NAMES(backend_names));

	if (i < 0)
		return i;
	o->backend = (enum spapr_opts_backend)i;
	return 0;
}

static int parse_profile(struct spapr_opts *o, const char *val)
{
	if (val[0] == '\0' || strlen(val) >= sizeof(o->profile))
		return -EINVAL;
	strcpy(o->profile, val);
	return 0;
}

static int parse_groups(struct spapr_opts *o, const char *val)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-' || val[0] == '+' ||
	    n < 1 || n > GROUPS_MAX)
		return -EINVAL;
	o->groups = (unsigned int)n;
	return 0;
}

static int parse_iommu(struct spapr_opts *o, const char *val)
{
	return parse_bool(val, &o->iommu);
}

static int parse_help(struct spapr_opts *o, const char *val)
{
	(void)val;
	o->help = true;
	return 0;
}

#define STR(x) STR_(x)
#define STR_(x) #x

/*
 * The options: the parser, the defaults (spapr_opts_init), the help and the
 * unknown-key error all come from this table, and the test plugin-opts-doc
 * checks that doc/plugin.md, doc/user-guide.md and README.md name every key.
 */
static const struct spapr_opts_key keys[] = {
	{ "policy", "auto|direct|indirect", "auto",
	  "direct: one 1:1 DDW (IOVA = start + address); indirect: allocated IOVAs "
	  "in the best window; auto: direct when it fits, else indirect",
	  "auto, direct, indirect", SPAPR_OPT_POLICY, parse_policy },
	{ "page_size", "auto|<size>", "auto",
	  "TCE (IOMMU page) size, e.g. 64K, 2M, 1G; auto: the largest the device "
	  "supports that fits the backing page",
	  "auto or a power of two from 4K to 1T (e.g. 64K, 2M, 1G)",
	  SPAPR_OPT_PAGE_SIZE, parse_page_size },
	{ "window_size", "auto|<size>", "auto",
	  "force the DMA window size, a power of two",
	  "auto or a power of two of at least 4K (e.g. 4G, 1T)",
	  SPAPR_OPT_WINDOW_SIZE, parse_window_size },
	{ "table_budget", "none|<size>", "none",
	  "max bytes of TCE tables charged to locked_vm",
	  "none or a size in bytes with optional K/M/G/T suffix (e.g. 64M)",
	  SPAPR_OPT_TABLE_BUDGET, parse_table_budget },
	{ "memlock_check", "yes|no", "yes",
	  "refuse plans RLIMIT_MEMLOCK cannot hold",
	  "yes, no (also true/false, on/off, 1/0)",
	  SPAPR_OPT_MEMLOCK_CHECK, parse_memlock_check },
	{ "backend", "vfio|model", "vfio",
	  "real VFIO or the in-process host model",
	  "vfio, model", SPAPR_OPT_BACKEND, parse_backend },
	{ "profile", "<name>|<file>", "powernv9",
	  "model: host profile, a built-in name or a profile file",
	  "a built-in profile name (e.g. powernv9, pseries-kvm) or a profile file "
	  "path shorter than " STR(SPAPR_OPTS_PROFILE_MAX) " bytes",
	  SPAPR_OPT_PROFILE, parse_profile },
	{ "groups", "<n>", "1",
	  "model: IOMMU groups to open",
	  "1 to " STR(GROUPS_MAX) " (model IOMMU groups to open)",
	  SPAPR_OPT_GROUPS, parse_groups },
	{ "iommu", "on|off", "on",
	  "model: off = no windows, the PEs translate IOVA = host physical "
	  "address (baseline, no IOMMU)",
	  "on, off (also yes/no, true/false, 1/0)", SPAPR_OPT_IOMMU, parse_iommu },
	{ "help", NULL, NULL,
	  "print this list and stop EAL init",
	  NULL, 0, parse_help },
};

const struct spapr_opts_key *spapr_opts_keys(size_t *n)
{
	*n = NAMES(keys);
	return keys;
}

static const struct spapr_opts_key *find_key(const char *name)
{
	for (size_t i = 0; i < NAMES(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* "policy, page_size, ..., help": the keys in table order. */
static void key_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NAMES(keys) && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 keys[i].name);
}

/* One key. Returns 0, or -EINVAL with @err set. */
static int apply_key(struct spapr_opts *o, const char *origin, const char *name,
		     const char *val, char *err, size_t errlen)
{
	const struct spapr_opts_key *k;

	if (strcmp(name, "bus") == 0)
		return 0;	/* "-a bus=spapr,...": the layer key itself */
	k = find_key(name);
	if (k == NULL) {
		char list[256];

		key_list(list, sizeof(list));
		say(err, errlen, "%s: unknown key '%s': accepted keys are %s", origin, name, list);
		return -EINVAL;
	}
	if (k->syntax == NULL)
		return k->parse(o, val);	/* a flag: any value is ignored */
	if (val == NULL) {
		say(err, errlen, "%s: key '%s' needs a value (key=value)", origin, name);
		return -EINVAL;
	}
	if (k->parse(o, val)) {
		say(err, errlen, "%s: bad value '%s' for key '%s': accepted values are %s",
		    origin, val, name, k->accepted);
		return -EINVAL;
	}
	o->set |= k->bit;
	return 0;
}

/* Every default is a value the key's parser accepts (tested). */
void spapr_opts_init(struct spapr_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < NAMES(keys); i++)
		if (keys[i].def != NULL)
			keys[i].parse(o, keys[i].def);
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

#define HELP_WIDTH 79
#define HELP_INDENT 31

/* One word of help text at column @col: wrapped, or padded to the help column. */
static int help_word(FILE *f, int col, const char *word, int len)
{
	if (col >= HELP_INDENT && col + 1 + len > HELP_WIDTH) {
		fputc('\n', f);
		col = 0;
	}
	return col + fprintf(f, "%*s%.*s", col < HELP_INDENT ? HELP_INDENT - col : 1, "",
			     len, word);
}

/* "  key=syntax", then the help wrapped at words and "(default X)" unbroken. */
static void help_entry(FILE *f, const struct spapr_opts_key *k)
{
	char def[64];
	const char *p = k->help;
	int col = fprintf(f, "  %s%s%s", k->name, k->syntax ? "=" : "",
			  k->syntax ? k->syntax : "");

	while (*p != '\0') {
		int len = (int)strcspn(p, " ");

		col = help_word(f, col, p, len);
		p += len + strspn(p + len, " ");
	}
	if (k->def != NULL)
		help_word(f, col, def, snprintf(def, sizeof(def), "(default %s)", k->def));
	fputc('\n', f);
}

void spapr_opts_help(FILE *f)
{
	fputs("spapr bus options: -a bus=spapr,key=value,... (or -b bus=spapr,... when -b is\n"
	      "used for PCI; -a spapr,key=value,... works too, but its errors do not stop\n"
	      "EAL init), and the environment variable " SPAPR_OPTS_ENV "=key=value,...\n"
	      "(explicit devargs win over the environment):\n", f);
	for (size_t i = 0; i < NAMES(keys); i++)
		help_entry(f, &keys[i]);
}
