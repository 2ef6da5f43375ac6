/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_devargs - libFuzzer target for the plugin's option parser: any input
 * must give 0 with a valid state or -EINVAL with an error sentence, never a
 * crash, and a refused input must leave the options unchanged.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spapr_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spapr_opts o, before;
	char err[512];
	char *text = malloc(size + 1);
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	spapr_opts_init(&o);
	before = o;
	err[0] = '\0';
	rc = spapr_opts_parse(&o, text, "fuzz", err, sizeof(err));
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == -EINVAL && (err[0] == '\0' || memcmp(&o, &before, sizeof(o)) != 0))
		abort();
	if (rc == 0) {
		if (o.page_shift && (o.page_shift < 12 || o.page_shift > 40))
			abort();
		if (o.window_size & (o.window_size - 1))
			abort();
		if (memchr(o.profile, '\0', sizeof(o.profile)) == NULL)
			abort();
		spapr_opts_validate(&o, err, sizeof(err));
	}
	free(text);
	return 0;
}
