/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr-info - what a POWER machine offers DPDK's DMA, what lib/dma would
 * plan on it, and (the doctor) what is wrong and the command that fixes it.
 *
 *   spapr-info [--sysroot DIR] [--doctor] [--json] [--mem SIZE] [--page SIZE]
 *              [--policy auto|direct|indirect] [--memlock SIZE]
 *   spapr-info --model PROFILE|FILE [--hugepages SIZE@PAGE[@NODE]]...
 *              [--non-viable GROUP]... [--memlock SIZE] [...]
 *
 * Exit status: 0 no error found, 1 the doctor found errors, 2 bad usage.
 * See doc/spapr-info.1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: spapr-info [--sysroot DIR] [--doctor] [--json] [--mem SIZE] [--page SIZE]\n"
		"                  [--policy auto|direct|indirect] [--memlock SIZE]\n"
		"       spapr-info --model PROFILE|FILE [--hugepages SIZE@PAGE[@NODE]|0]...\n"
		"                  [--non-viable GROUP]... [--memlock SIZE] [--doctor] [--json]\n"
		"  --sysroot DIR   read /proc and /sys under DIR instead of / (tests, offline copies)\n"
		"  --model P       play the host-model profile P (a name or a profile file)\n"
		"  --hugepages S@P model: S bytes of P-byte hugepages (on node N with @N), 0 = none\n"
		"  --non-viable G  model: IOMMU group G holds a device bound to another driver\n"
		"  --memlock SIZE  use this RLIMIT_MEMLOCK (and no CAP_IPC_LOCK)\n"
		"  --mem SIZE      plan for SIZE of memory (default: the hugepages present)\n"
		"  --page SIZE     with --mem: its page size (default: largest hugepage)\n"
		"  --policy P      the plugin's policy option (default auto)\n"
		"  --doctor        only the findings;  --json  machine-readable output\n"
		"profiles:");
	for (const char *const *n = spapr_model_profile_names(); *n; n++)
		fprintf(f, " %s", *n);
	fprintf(f, "\n");
}

static int parse_policy(const char *s, enum spapr_dma_mode *out)
{
	if (!strcmp(s, "auto"))
		*out = SPAPR_DMA_MODE_AUTO;
	else if (!strcmp(s, "direct"))
		*out = SPAPR_DMA_MODE_DIRECT;
	else if (!strcmp(s, "indirect"))
		*out = SPAPR_DMA_MODE_INDIRECT;
	else
		return -1;
	return 0;
}

static int parse_group(const char *s, struct info_opts *o)
{
	char *end;
	long g = strtol(s, &end, 10);

	if (end == s || *end || g < 0 || g >= INFO_MAX_GROUP || o->nnonviable >= 8)
		return -1;
	o->non_viable[o->nnonviable++] = (int)g;
	return 0;
}

static int parse_opt(int c, struct info_opts *o)
{
	switch (c) {
	case 'r': o->sysroot = optarg; return 0;
	case 'M': o->model = optarg; return 0;
	case 'd': o->doctor_only = true; return 0;
	case 'j': o->json = true; return 0;
	case 'm': return (o->mem = info_parse_size(optarg)) ? 0 : -1;
	case 'p': o->page = info_parse_size(optarg);
		return o->page && !(o->page & (o->page - 1)) ? 0 : -1;
	case 'l': o->memlock = !strcmp(optarg, "unlimited") ? SPAPR_DMA_UNLIMITED
							     : info_parse_size(optarg);
		o->memlock_set = true;
		return o->memlock || !strcmp(optarg, "0") ? 0 : -1;
	case 'y': return parse_policy(optarg, &o->policy);
	case 'H':
		if (o->nhuge >= 8)
			return -1;
		o->hugepages[o->nhuge++] = optarg;
		return 0;
	case 'n': return parse_group(optarg, o);
	default: return -1;
	}
}

static int parse(int argc, char **argv, struct info_opts *o)
{
	static const struct option lo[] = {
		{ "sysroot", required_argument, 0, 'r' }, { "model", required_argument, 0, 'M' },
		{ "doctor", no_argument, 0, 'd' },	  { "json", no_argument, 0, 'j' },
		{ "mem", required_argument, 0, 'm' },	  { "page", required_argument, 0, 'p' },
		{ "memlock", required_argument, 0, 'l' }, { "policy", required_argument, 0, 'y' },
		{ "hugepages", required_argument, 0, 'H' },
		{ "non-viable", required_argument, 0, 'n' },
		{ "help", no_argument, 0, 'h' },	  { 0, 0, 0, 0 },
	};
	int c;

	*o = (struct info_opts){ .sysroot = "/" };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (parse_opt(c, o)) {
			if (c != '?')
				fprintf(stderr, "spapr-info: bad value '%s'\n", optarg);
			return -1;
		}
	}
	if (optind < argc || (!o->model && (o->nhuge || o->nnonviable))) {
		fprintf(stderr, "spapr-info: %s\n", optind < argc ? "unexpected argument"
			: "--hugepages and --non-viable play a broken set-up on the model: add --model");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct info_machine m;
	static struct info_report r;
	struct info_opts o;
	char err[512] = "";
	unsigned int errors = 0;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (o.model) {
		if (info_model_machine(&o, &m, err, sizeof(err))) {
			fprintf(stderr, "spapr-info: %s\n", err);
			return 2;
		}
	} else {
		info_read_machine(o.sysroot, &m);
		if (o.memlock_set) {
			m.memlock = o.memlock;
			m.memlock_known = true;
			m.cap_ipc_lock = false;
		}
	}
	info_make_report(&o, &m, &r);
	if (o.json)
		info_print_json(&o, &m, &r);
	else
		info_print_human(&o, &m, &r);
	for (unsigned int i = 0; i < r.nfind; i++)
		errors += r.find[i].sev == INFO_ERROR;
	return errors ? 1 : 0;
}
