/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sc_diff.c - the model side of the differential suite.
 *
 * Reads the records a guest run produced (the "@@" lines of the console
 * log), runs exactly the same cases, in the same order, through the host
 * model with the profile matching the machine, and compares every step's
 * record field by field (the records are "key=value" text; see sc.h).
 *
 * Usage: spapr-system-diff --guest FILE [--guest FILE2 ...] --machine M
 *              [--profile P] [--set key=value ...] [--overrides FILE]
 *              [--known FILE] [--json OUT] [--model-log OUT]
 *
 * The profile is the built-in one for the machine (powernv9 -> powernv9,
 * pseries -> pseries-kvm) with the guest kernel's page size from the guest's
 * header; --set overrides single keys where the testbed differs from the
 * machine the profile describes; --overrides reads such settings per
 * machine from a file (tests/system/testbed-overrides.txt says which, why).
 *
 * Each --guest file is one boot of the machine; each gets a fresh model.
 * Cases of boot n > 0 are reported as "boot<n>:<case>".
 *
 * Prints "case <name>: agree" or "case <name>: DIFFER ..." per case and, as
 * the last line, "agreement: <machine> <agreeing>/<total>". Exit 0 when
 * every difference is listed in the known-differences file, 1 otherwise,
 * 2 on usage or input errors.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "sc.h"
#include "spapr_model.h"

struct step_list {
	char **v;
	unsigned int n, cap;
};

struct case_rec {
	char *name;
	struct step_list steps;	/* "<op> rc=... fields" per step */
	bool ended;		/* "@@ E" seen: the case ran to its end */
};

struct run {
	struct case_rec *c;
	unsigned int n, cap;
	unsigned int page_size;
	bool two_groups;	/* the guest had a second, distinct group */
	char machine[64];
	char header[512];
};

struct known {
	char machine[64], name[128], step[16];
	char why[512];
	unsigned int seen, differed;	/* cases it matched; of those, differing */
};

#define MAX_BOOTS 8

struct opts {
	const char *guest[MAX_BOOTS];	/* one result file per boot */
	unsigned int nguest;
	const char *machine, *profile, *known, *json, *model_log;
	const char *set[32];		/* "key=value" profile overrides */
	unsigned int nset;
	const char *overrides;		/* file of "<machine> key=value" lines */
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		perror("realloc");
		exit(2);
	}
	return p;
}

static void push_step(struct step_list *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = strdup(s);
}

static void free_run(struct run *r)
{
	for (unsigned int i = 0; i < r->n; i++) {
		for (unsigned int s = 0; s < r->c[i].steps.n; s++)
			free(r->c[i].steps.v[s]);
		free(r->c[i].steps.v);
		free(r->c[i].name);
	}
	free(r->c);
	memset(r, 0, sizeof(*r));
}

static struct case_rec *find_case(struct run *r, const char *name, bool add)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (strcmp(r->c[i].name, name) == 0)
			return &r->c[i];
	if (!add)
		return NULL;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->c = xrealloc(r->c, r->cap * sizeof(*r->c));
	}
	memset(&r->c[r->n], 0, sizeof(r->c[r->n]));
	r->c[r->n].name = strdup(name);
	return &r->c[r->n++];
}

/* Strip a console's CR and trailing blanks. */
static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* "@@ S <case> <step> <rest>" -> case, rest. */
static void parse_record(struct run *r, char *line)
{
	char *p = line;
	char name[256];
	int step, off = 0;

	/* Records start their line; "@@@" lines are the console markers. */
	if (strncmp(p, "@@ ", 3) != 0)
		return;
	p += 3;
	if (strncmp(p, "H ", 2) == 0) {
		snprintf(r->header, sizeof(r->header), "%s", p + 2);
		char *ps = strstr(p, "pagesize=");
		char *m = strstr(p, "machine=");
		char *gr = strstr(p, "groups=");
		int g0, g1;

		if (gr && sscanf(gr, "groups=%d,%d", &g0, &g1) == 2)
			r->two_groups = g1 >= 0 && g1 != g0;

		if (ps)
			r->page_size = (unsigned int)strtoul(ps + 9, NULL, 10);
		if (m)
			sscanf(m + 8, "%63s", r->machine);
	} else if (strncmp(p, "S ", 2) == 0 &&
		   sscanf(p, "S %255s %d %n", name, &step, &off) == 2 && off > 0) {
		push_step(&find_case(r, name, true)->steps, p + off);
	} else if (strncmp(p, "E ", 2) == 0 && sscanf(p, "E %255s", name) == 1) {
		find_case(r, name, true)->ended = true;
	}
}

/*
 * skiboot, the powernv firmware, prints its own log lines on the console the
 * records travel on ("[  252.403179410,3] SBE: Timer stuck, ..." when QEMU
 * runs slowly). Such a line can start in the middle of a record line: the
 * record's rest then follows on the next console line. Returns where the
 * firmware text starts in s, or NULL. The stamp is "[secs.nanosecs,level]",
 * nine digits after the point, which the kernel's own "[ secs.usecs]" never has.
 */
static char *firmware_log_start(char *s)
{
	for (char *p = strchr(s, '['); p != NULL; p = strchr(p + 1, '[')) {
		const char *q = p + 1;
		int frac = 0;

		while (*q == ' ')
			q++;
		if (!isdigit((unsigned char)*q))
			continue;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q++ != '.')
			continue;
		for (; isdigit((unsigned char)*q); q++)
			frac++;
		if (frac == 9 && q[0] == ',' && isdigit((unsigned char)q[1]) && q[2] == ']')
			return p;
	}
	return NULL;
}

static void load_stream(struct run *r, FILE *f)
{
	char *line = NULL, *cut = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, f) >= 0) {
		char *fw;

		chomp(line);
		fw = firmware_log_start(line);
		if (fw != NULL) {
			/* Keep the record's first part; its rest is on a later line. */
			*fw = '\0';
			if (line[0] != '\0' && cut == NULL)
				cut = strdup(line);
			continue;
		}
		if (cut != NULL) {
			char *whole = NULL;

			if (asprintf(&whole, "%s%s", cut, line) >= 0) {
				parse_record(r, whole);
				free(whole);
			}
			free(cut);
			cut = NULL;
			continue;
		}
		parse_record(r, line);
	}
	free(cut);
	free(line);
}

static int load_known(const char *path, struct known **out, unsigned int *n)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	unsigned int cnt = 0;

	*out = NULL;
	*n = 0;
	if (path == NULL)
		return 0;
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		struct known k = { 0 };
		int off = 0;

		chomp(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "%63s %127s %15s %n", k.machine, k.name, k.step, &off) < 3 ||
		    off == 0)
			continue;
		snprintf(k.why, sizeof(k.why), "%s", line + off);
		*out = xrealloc(*out, (cnt + 1) * sizeof(**out));
		(*out)[cnt++] = k;
	}
	free(line);
	fclose(f);
	*n = cnt;
	return 0;
}

static unsigned int shift_of(unsigned int v)
{
	unsigned int s = 0;

	while ((1u << s) < v)
		s++;
	return s;
}

static int apply_setting(struct spapr_model_profile *p, const char *kv);
static int apply_override_file(const struct opts *o, struct spapr_model_profile *p);

/* The built-in profile for a QEMU machine; the kernel's page size is a
 * build fact of the guest kernel, taken from the guest's header. */
static int machine_profile(const struct opts *o, const struct run *g,
			   struct spapr_model_profile *p)
{
	const char *name = o->profile;
	char err[256] = "";
	int rc;

	if (name == NULL)
		name = strcmp(o->machine, "pseries") == 0 ? "pseries-kvm" : o->machine;
	rc = spapr_model_profile_resolve(name, p, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "spapr-system-diff: profile %s: %s\n", name, err);
		return rc;
	}
	if (g->page_size)
		p->system_page_shift = shift_of(g->page_size);
	rc = apply_override_file(o, p);
	for (unsigned int i = 0; i < o->nset && rc == 0; i++)
		rc = apply_setting(p, o->set[i]);
	return rc;
}

/* One "key=value" into @p. */
static int apply_setting(struct spapr_model_profile *p, const char *kv)
{
	char key[64], err[256] = "";
	const char *eq = strchr(kv, '=');
	int rc;

	if (eq == NULL || (size_t)(eq - kv) >= sizeof(key)) {
		fprintf(stderr, "spapr-system-diff: setting %s: want key=value\n", kv);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	rc = spapr_model_profile_set(p, key, eq + 1, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "spapr-system-diff: setting %s: %s\n", kv, err);
	return rc;
}

/* The "<machine> key=value" lines of the overrides file for this machine. */
static int apply_override_file(const struct opts *o, struct spapr_model_profile *p)
{
	char *line = NULL, machine[64], kv[256];
	size_t cap = 0;
	FILE *f;
	int rc = 0;

	if (o->overrides == NULL)
		return 0;
	f = fopen(o->overrides, "r");
	if (f == NULL) {
		fprintf(stderr, "spapr-system-diff: cannot read %s\n", o->overrides);
		return -errno;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		if (line[0] == '#' || sscanf(line, "%63s %255s", machine, kv) != 2)
			continue;
		if (fnmatch(machine, o->machine, 0) == 0)
			rc = apply_setting(p, kv);
	}
	free(line);
	fclose(f);
	return rc;
}

/* The model's forked child: a second mm with the arena mapped like the
 * parent's (fork copies the mappings), made current while @fn runs; with a
 * memlock limit and without CAP_IPC_LOCK when the case asks for one. */
static int model_child(struct sc_ctx *x, void (*fn)(struct sc_ctx *x), uint64_t memlock)
{
	struct spapr_model *m = spapr_model_from_backend(x->be);
	const struct spapr_model_profile *p = spapr_model_get_profile(m);
	int parent = spapr_model_get_current_mm(m);
	int child = memlock == SC_UNLIMITED
		    ? spapr_model_mm_create(m, p->memlock_limit, p->cap_ipc_lock)
		    : spapr_model_mm_create(m, memlock, false);
	int rc;

	if (child < 0)
		return child;
	rc = spapr_model_mm_map(m, child, SC_ARENA_VA, SC_ARENA_LEN,
				p->system_page_shift, 0, NULL);
	if (rc == 0)
		rc = spapr_model_set_current_mm(m, child);
	if (rc != 0)
		return rc;
	fn(x);
	return spapr_model_set_current_mm(m, parent);
}

/* Run every case of @g, in order, through a model; records into @m. */
static int run_model(const struct opts *o, const struct run *g, struct run *m,
		     FILE *log)
{
	struct spapr_model_profile prof;
	struct spapr_model *model;
	struct sc_ctx x = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (machine_profile(o, g, &prof) != 0)
		return -EINVAL;
	model = spapr_model_create(&prof);
	if (model == NULL) {
		fprintf(stderr, "spapr-system-diff: model: %s\n", strerror(errno));
		return -errno;
	}
	rc = spapr_model_mm_map(model, 0, SC_ARENA_VA, SC_ARENA_LEN,
				prof.system_page_shift, 0, NULL);
	if (rc != 0) {
		fprintf(stderr, "spapr-system-diff: mm_map: %s\n", strerror(-rc));
		spapr_model_destroy(model);
		return rc;
	}
	x.be = spapr_model_backend(model);
	/* The guest's groups, in order, are the model's groups 0 and 1. */
	x.group_num[0] = 0;
	x.group_num[1] = g->two_groups ? 1 : -1;
	x.page_size = 1u << prof.system_page_shift;
	x.pseries = prof.platform == SPAPR_MODEL_PSERIES;
	x.other_mm = model_child;
	x.out = open_memstream(&buf, &len);
	for (unsigned int i = 0; i < g->n; i++)
		sc_run_case(&x, g->c[i].name);
	fclose(x.out);
	if (log != NULL)
		fputs(buf, log);
	FILE *in = fmemopen(buf, len, "r");

	load_stream(m, in);
	fclose(in);
	free(buf);
	spapr_model_destroy(model);
	return 0;
}

/* Count, per entry, the cases it names and how many of them differed, to
 * report entries that no longer describe any difference (fixed). */
static void note_known(struct known *k, unsigned int nk, const char *machine,
		       const char *name, bool differs)
{
	for (unsigned int i = 0; i < nk; i++) {
		if (fnmatch(k[i].machine, machine, 0) != 0 ||
		    fnmatch(k[i].name, name, 0) != 0)
			continue;
		k[i].seen++;
		k[i].differed += differs;
	}
}

static const struct known *is_known(const struct known *k, unsigned int nk,
				    const char *machine, const char *name, unsigned int step)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", step);
	for (unsigned int i = 0; i < nk; i++)
		if (fnmatch(k[i].machine, machine, 0) == 0 &&
		    fnmatch(k[i].name, name, 0) == 0 &&
		    fnmatch(k[i].step, s, 0) == 0)
			return &k[i];
	return NULL;
}

/* Write @s as a JSON string. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

struct verdict {
	unsigned int step;	/* first differing step, 1-based; 0 = agree */
	const char *kernel, *model;
	const struct known *known;
};

static struct verdict compare_case(const struct case_rec *gc, const struct case_rec *mc)
{
	struct verdict v = { 0 };
	unsigned int n = gc->steps.n > mc->steps.n ? gc->steps.n : mc->steps.n;

	for (unsigned int s = 0; s < n; s++) {
		const char *a = s < gc->steps.n ? gc->steps.v[s] : "(missing)";
		const char *b = s < mc->steps.n ? mc->steps.v[s] : "(missing)";

		if (strcmp(a, b) != 0) {
			v.step = s + 1;
			v.kernel = a;
			v.model = b;
			return v;
		}
	}
	if (!gc->ended) {
		v.step = n + 1;
		v.kernel = "(case did not finish: guest stopped)";
		v.model = "(end)";
	}
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	bool bad = (argc - 1) % 2 != 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (strcmp(a, "--guest") == 0 && o->nguest < MAX_BOOTS) o->guest[o->nguest++] = v;
		else if (strcmp(a, "--machine") == 0) o->machine = v;
		else if (strcmp(a, "--profile") == 0) o->profile = v;
		else if (strcmp(a, "--known") == 0) o->known = v;
		else if (strcmp(a, "--json") == 0) o->json = v;
		else if (strcmp(a, "--model-log") == 0) o->model_log = v;
		else if (strcmp(a, "--set") == 0 && o->nset < 32) o->set[o->nset++] = v;
		else if (strcmp(a, "--overrides") == 0) o->overrides = v;
		else bad = true;
	}
	if (o->nguest == 0 || bad) {
		fprintf(stderr, "usage: spapr-system-diff --guest FILE [--guest FILE...] "
			"[--machine M] [--profile P] [--known FILE] [--json OUT] "
			"[--model-log OUT] [--set key=value ...] [--overrides FILE]\n");
		exit(2);
	}
}

struct tally {
	unsigned int agree, total, unexplained;
	FILE *json;
};

/* Compare one boot's cases; print and tally them. */
static void report_boot(const struct opts *o, unsigned int boot, const struct run *g,
			struct run *m, struct known *known, unsigned int nknown,
			struct tally *t)
{
	for (unsigned int i = 0; i < g->n; i++) {
		const struct case_rec *gc = &g->c[i];
		const struct case_rec *mc = find_case(m, gc->name, false);
		struct case_rec empty = { .name = gc->name, .ended = true };
		struct verdict v = compare_case(gc, mc ? mc : &empty);
		const char *status = "agree";
		char label[300];

		if (boot)
			snprintf(label, sizeof(label), "boot%u:%s", boot, gc->name);
		else
			snprintf(label, sizeof(label), "%s", gc->name);
		t->total++;
		note_known(known, nknown, o->machine, label, v.step != 0);
		if (v.step == 0) {
			t->agree++;
			printf("case %s: agree\n", label);
		} else {
			v.known = is_known(known, nknown, o->machine, label, v.step);
			status = v.known ? "known" : "DIFFER";
			t->unexplained += v.known == NULL;
			printf("case %s: DIFFER step %u: kernel '%s' model '%s'%s%s\n",
			       label, v.step, v.kernel, v.model,
			       v.known ? " -- known: " : "", v.known ? v.known->why : "");
		}
		if (t->json == NULL)
			continue;
		fprintf(t->json, "%s{\"case\":", t->total > 1 ? "," : "");
		json_str(t->json, label);
		fprintf(t->json, ",\"status\":\"%s\",\"steps\":%u", status, gc->steps.n);
		if (v.step) {
			fprintf(t->json, ",\"step\":%u,\"kernel\":", v.step);
			json_str(t->json, v.kernel);
			fputs(",\"model\":", t->json);
			json_str(t->json, v.model);
			if (v.known)
				fputs(",\"why\":", t->json), json_str(t->json, v.known->why);
		}
		fputc('}', t->json);
	}
}

/* Load one boot's records and run the same cases on a fresh model. */
static int diff_boot(const struct opts *o, unsigned int boot, struct known *known,
		     unsigned int nknown, FILE *log, struct tally *t)
{
	struct run g = { 0 }, m = { 0 };
	FILE *f = fopen(o->guest[boot], "r");

	if (f == NULL) {
		fprintf(stderr, "spapr-system-diff: cannot read %s\n", o->guest[boot]);
		return -ENOENT;
	}
	load_stream(&g, f);
	fclose(f);
	if (g.n == 0) {
		fprintf(stderr, "spapr-system-diff: no records in %s\n", o->guest[boot]);
		free_run(&g);
		return -ENODATA;
	}
	if (t->json && boot == 0) {
		fputs("\"header\":", t->json);
		json_str(t->json, g.header);
		fputs(",\"cases\":[", t->json);
	}
	if (log)
		fprintf(log, "@@ boot %u\n", boot);
	int rc = run_model(o, &g, &m, log);

	if (rc == 0)
		report_boot(o, boot, &g, &m, known, nknown, t);
	free_run(&g);
	free_run(&m);
	return rc ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct known *known;
	unsigned int nknown;
	struct tally t = { 0 };
	FILE *log = NULL;
	int rc = 0;

	parse_opts(argc, argv, &o);
	if (load_known(o.known, &known, &nknown) != 0) {
		fprintf(stderr, "spapr-system-diff: cannot read %s\n", o.known);
		return 2;
	}
	if (o.machine == NULL)
		o.machine = "unknown";
	if (o.model_log)
		log = fopen(o.model_log, "w");
	if (o.json) {
		t.json = fopen(o.json, "w");
		if (t.json)
			fprintf(t.json, "{\"machine\":\"%s\",", o.machine);
	}
	for (unsigned int b = 0; b < o.nguest && rc == 0; b++)
		rc = diff_boot(&o, b, known, nknown, log, &t);
	if (log)
		fclose(log);
	if (t.json) {
		fprintf(t.json, "%s],\"agree\":%u,\"total\":%u,\"unexplained\":%u}\n",
			t.total ? "" : "\"cases\":[", t.agree, t.total, t.unexplained);
		fclose(t.json);
	}
	for (unsigned int i = 0; i < nknown; i++)
		if (known[i].seen && !known[i].differed)
			printf("note: known difference no longer seen (fixed? remove it): "
			       "%s %s %s\n", known[i].machine, known[i].name, known[i].step);
	free(known);
	printf("agreement: %s %u/%u\n", o.machine, t.agree, t.total);
	if (rc != 0)
		return 2;
	return t.unexplained ? 1 : 0;
}
