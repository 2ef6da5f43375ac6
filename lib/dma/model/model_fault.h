/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_fault.h - private: fault-injection rules of the host model.
 *
 * The model core embeds one struct model_faults in struct spapr_model and
 * asks model_fault_hit() at every fault point (each ioctl on entry, and the
 * internal points level_alloc, pin, hcall). The public spapr_model_fault_*
 * functions take the model lock and call the functions below.
 */
#ifndef MODEL_FAULT_H
#define MODEL_FAULT_H

#include <stddef.h>
#include "spapr_model.h"

#define MODEL_FAULT_MAX_RULES 32

struct model_fault_rule {
	enum spapr_model_op op;
	unsigned int nth;	/* fire when calls-since-armed reaches nth */
	unsigned int count;	/* consecutive calls that fail from nth on */
	int err;		/* positive errno; 0 = natural error of the op */
	unsigned int seen;	/* calls of op since the rule was armed */
};

struct model_faults {
	struct model_fault_rule rules[MODEL_FAULT_MAX_RULES];
	unsigned int nrules;
	unsigned int fired;
};

/* Arm one rule. -ENOSPC when full, -EINVAL for a bad op or nth == 0. */
int model_fault_add(struct model_faults *f, enum spapr_model_op op,
		    unsigned int nth, int err, unsigned int count);

/* Parse "op:nth[:errno[:count]]{,;}..." and arm every rule (all or none). */
int model_fault_parse(struct model_faults *f, const char *spec, char *err,
		      size_t errlen);

/* Arm the rules of the environment variable SPAPR_MODEL_FAULTS, if set.
 * A bad value arms nothing and is an error naming the variable. */
int model_fault_from_env(struct model_faults *f, char *err, size_t errlen);

/* Called at each fault point of @op: returns 0 to go on, or -errno to fail.
 * Rules whose count is used up are dropped. */
int model_fault_hit(struct model_faults *f, enum spapr_model_op op);

void model_fault_clear(struct model_faults *f);

#endif /* MODEL_FAULT_H */
