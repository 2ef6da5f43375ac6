/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_faults - libFuzzer target for SPAPR_MODEL_FAULTS: the first byte
 * picks a built-in profile, the rest is the variable's value. A bad value
 * makes spapr_model_create_err() fail with a sentence naming the variable;
 * a good one arms faults, and the mapping engine must then roll back every
 * failure exactly (model invariants, nothing left registered).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const *names = spapr_model_profile_names();
	struct spapr_model_profile p;
	unsigned int nnames = 0;
	struct spapr_model *m;
	char err[2048] = "", *spec;

	if (size == 0 || size > 4096)
		return 0;
	while (names[nnames] != NULL)
		nnames++;
	if (spapr_model_profile_get(names[data[0] % nnames], &p))
		abort();
	spec = malloc(size);
	if (spec == NULL)
		return 0;
	memcpy(spec, data + 1, size - 1);
	spec[size - 1] = '\0';
	setenv("SPAPR_MODEL_FAULTS", spec, 1);
	errno = 0;
	m = spapr_model_create_err(&p, err, sizeof(err));
	unsetenv("SPAPR_MODEL_FAULTS");
	free(spec);
	if (m == NULL) {
		if (errno == ENOMEM)
			return 0;
		if (strstr(err, "SPAPR_MODEL_FAULTS") == NULL)
			abort();
		return 0;
	}
	fuzz_engine_map(m);
	spapr_model_destroy(m);
	return 0;
}
