/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_opts_doc PLUGIN_MD USER_GUIDE_MD README_MD - every key of the
 * plugin's option table (spapr_opts_keys(), what the parser accepts) is
 * documented: a row of the options table ("| key | values | meaning |") in
 * doc/plugin.md and doc/user-guide.md, and a `key` or `key=...` in README.md's
 * options paragraph ("Options go in ..."). Every row of those tables must
 * be a key too, so a removed or renamed key cannot stay documented.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "spapr_opts.h"
#include "test_util.h"

#define TABLE_HEADER "| key | values | meaning |"
#define README_PARAGRAPH "Options go in"

static const char *doc_paths[3];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		buf[fread(buf, 1, (size_t)n, f)] = '\0';
	}
	fclose(f);
	return buf;
}

/* First cell of a table row ("| `policy` | ..."): the key, without backticks. */
static void row_key(const char *row, char *key, size_t len)
{
	const char *p = row + strspn(row, "| `");
	size_t n = strcspn(p, "` |");

	snprintf(key, len, "%.*s", (int)n, p);
}

/* The next row of a table, or NULL after its last row. */
static const char *next_row(const char *row)
{
	const char *nl = strchr(row, '\n');

	return nl != NULL && nl[1] == '|' ? nl + 1 : NULL;
}

static bool is_key(const char *name)
{
	size_t n;
	const struct spapr_opts_key *k = spapr_opts_keys(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return true;
	return false;
}

/* Does the options table of @doc have a row for @name? */
static bool table_has(const char *table, const char *name)
{
	char key[64];

	for (const char *l = table; l != NULL; l = next_row(l)) {
		row_key(l, key, sizeof(key));
		if (strcmp(key, name) == 0)
			return true;
	}
	return false;
}

/* The rows of the options table of @doc (after the header and |---|), or NULL. */
static const char *options_table(const char *doc)
{
	const char *h = strstr(doc, TABLE_HEADER "\n");
	const char *sep;

	if (h == NULL || (sep = strchr(h, '\n')) == NULL || strncmp(sep + 1, "|---", 4) != 0)
		return NULL;
	sep = strchr(sep + 1, '\n');
	return sep != NULL && sep[1] == '|' ? sep + 1 : NULL;
}

static void check_table(const char *path)
{
	char *doc = slurp(path);
	const char *table = doc != NULL ? options_table(doc) : NULL;
	char key[64];
	size_t n;
	const struct spapr_opts_key *k = spapr_opts_keys(&n);

	T_CHECK(table != NULL);
	if (table == NULL) {
		fprintf(stderr, "  %s: no options table '" TABLE_HEADER "'\n", path);
		free(doc);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		T_CHECK(table_has(table, k[i].name));
		if (!table_has(table, k[i].name))
			fprintf(stderr, "  %s: option '%s' has no row in the options table\n",
				path, k[i].name);
	}
	for (const char *l = table; l != NULL; l = next_row(l)) {
		row_key(l, key, sizeof(key));
		T_CHECK(is_key(key));
		if (!is_key(key))
			fprintf(stderr, "  %s: the options table documents '%s', which is no option\n",
				path, key);
	}
	free(doc);
}

static void test_plugin_md(void)
{
	check_table(doc_paths[0]);
}

static void test_user_guide(void)
{
	check_table(doc_paths[1]);
}

static void test_readme(void)
{
	char *doc = slurp(doc_paths[2]);
	char *para = doc != NULL ? strstr(doc, README_PARAGRAPH) : NULL;
	char *end;
	size_t n;
	const struct spapr_opts_key *k = spapr_opts_keys(&n);

	T_CHECK(para != NULL);
	if (para == NULL) {
		fprintf(stderr, "  %s: no paragraph '" README_PARAGRAPH " ...'\n", doc_paths[2]);
		free(doc);
		return;
	}
	end = strstr(para, "\n\n");
	if (end != NULL)
		*end = '\0';
	for (size_t i = 0; i < n; i++) {
		char plain[64], with_value[64];
		bool found;

		snprintf(plain, sizeof(plain), "`%s`", k[i].name);
		snprintf(with_value, sizeof(with_value), "`%s=", k[i].name);
		found = strstr(para, plain) != NULL || strstr(para, with_value) != NULL;
		T_CHECK(found);
		if (!found)
			fprintf(stderr, "  %s: option '%s' missing in the paragraph '" README_PARAGRAPH
				" ...'\n", doc_paths[2], k[i].name);
	}
	free(doc);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s doc/plugin.md doc/user-guide.md README.md\n", argv[0]);
		return 2;
	}
	memcpy(doc_paths, argv + 1, sizeof(doc_paths));
	T_RUN(test_plugin_md);
	T_RUN(test_user_guide);
	T_RUN(test_readme);
	return t_finish();
}
