/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_opts.h - the plugin's options (private). DPDK-independent so that the
 * fuzz target and unit tests can build it alone.
 *
 * Syntax (devargs and SPAPR_DPDK_OPTS alike): key=value[,key=value...].
 * The key "bus" (from "-a bus=spapr,...") is ignored. "help" asks for the
 * option list. Later keys override earlier ones, so parsing the environment
 * first and the devargs second makes explicit devargs win.
 */
#ifndef SPAPR_OPTS_H
#define SPAPR_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SPAPR_OPTS_ENV "SPAPR_DPDK_OPTS"
#define SPAPR_OPTS_PROFILE_MAX 256

enum spapr_opts_policy { SPAPR_OPTS_AUTO = 0, SPAPR_OPTS_DIRECT, SPAPR_OPTS_INDIRECT };
enum spapr_opts_backend { SPAPR_OPTS_VFIO = 0, SPAPR_OPTS_MODEL };

struct spapr_opts {
	enum spapr_opts_policy policy;
	enum spapr_opts_backend backend;
	unsigned int page_shift;	/**< 0 = auto */
	uint64_t window_size;		/**< 0 = auto */
	uint64_t table_budget;		/**< 0 = no budget */
	bool memlock_check;		/**< refuse plans RLIMIT_MEMLOCK cannot hold */
	bool iommu;			/**< model: false = identity mode, no windows (baseline) */
	unsigned int groups;		/**< model: groups to open (0 = 1) */
	char profile[SPAPR_OPTS_PROFILE_MAX];	/**< model: name or file */
	bool help;			/**< "help" given */
	unsigned int set;		/**< bit per key given (SPAPR_OPT_*) */
};

enum {
	SPAPR_OPT_POLICY = 1u << 0,
	SPAPR_OPT_PAGE_SIZE = 1u << 1,
	SPAPR_OPT_WINDOW_SIZE = 1u << 2,
	SPAPR_OPT_TABLE_BUDGET = 1u << 3,
	SPAPR_OPT_BACKEND = 1u << 4,
	SPAPR_OPT_PROFILE = 1u << 5,
	SPAPR_OPT_MEMLOCK_CHECK = 1u << 6,
	SPAPR_OPT_GROUPS = 1u << 7,
	SPAPR_OPT_IOMMU = 1u << 8,
};

/**
 * One option key. The table of all keys (spapr_opts.c) is the one place
 * they are written: parser, defaults, help and errors are made from it.
 */
struct spapr_opts_key {
	const char *name;
	const char *syntax;	/**< value syntax for the help; NULL: a flag, no value */
	const char *def;	/**< default value (parsed by spapr_opts_init); NULL: none */
	const char *help;	/**< one line of help */
	const char *accepted;	/**< "accepted values are ..." of the bad-value error */
	unsigned int bit;	/**< SPAPR_OPT_* set when given (0 for a flag) */
	int (*parse)(struct spapr_opts *o, const char *val);	/**< 0 or -EINVAL */
};

/** The keys in help order; their number in @n. */
const struct spapr_opts_key *spapr_opts_keys(size_t *n);

/** Defaults: each key's default value of the table. */
void spapr_opts_init(struct spapr_opts *o);

/**
 * Parse @text into @o (keys given override what @o holds). @origin names
 * where the text came from in errors ("devargs", "SPAPR_DPDK_OPTS").
 * Returns 0 or -EINVAL with a sentence naming the key and the accepted
 * values in @err. @o is unchanged on error.
 */
int spapr_opts_parse(struct spapr_opts *o, const char *text, const char *origin,
		     char *err, size_t errlen);

/** Check combinations (e.g. profile without backend=model). 0 or -EINVAL. */
int spapr_opts_validate(const struct spapr_opts *o, char *err, size_t errlen);

/** Write the --help style option list. */
void spapr_opts_help(FILE *f);

/** Names for logs. */
const char *spapr_opts_policy_name(enum spapr_opts_policy p);
const char *spapr_opts_backend_name(enum spapr_opts_backend b);

#endif /* SPAPR_OPTS_H */
