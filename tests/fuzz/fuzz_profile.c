/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_profile - libFuzzer target for profile files: any text is refused
 * with an error that names the origin and never quotes the text, or gives a
 * profile that formats and parses back to itself, from which a model is
 * created and the mapping engine maps memory with the model's invariants
 * holding throughout (fuzz_engine.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct spapr_model_profile *p)
{
	static char text[16384];
	struct spapr_model_profile q;
	char err[1024];
	int len = spapr_model_profile_format(p, text, sizeof(text));

	if (len < 0 || (size_t)len >= sizeof(text) ||
	    spapr_model_profile_parse(text, (size_t)len, "formatted", &q, err, sizeof(err)) ||
	    q.pgsizes != p->pgsizes || q.dma32_size != p->dma32_size ||
	    q.ram_size != p->ram_size || q.platform != p->platform ||
	    q.memlock_limit != p->memlock_limit || q.groups != p->groups) {
		fprintf(stderr, "profile does not survive format + parse\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spapr_model_profile p;
	struct spapr_model *m;
	char err[1024] = "";

	if (spapr_model_profile_parse((const char *)data, size, "fuzz.conf", &p, err,
				      sizeof(err)) != 0) {
		if (strncmp(err, "fuzz.conf", 9) != 0)
			abort();
		return 0;
	}
	check_round_trip(&p);
	if (p.groups > 4)
		p.groups = 4;	/* the engine uses group 0: keep creation cheap */
	m = spapr_model_create(&p);
	if (m == NULL)
		return 0;
	fuzz_check_invariants(m, "after create");
	fuzz_engine_map(m);
	spapr_model_destroy(m);
	return 0;
}
