/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fault_rules.c - the model's fault-injection rules (model_fault.h) and the
 * op names, tested directly on a struct model_faults.
 */
#include <errno.h>
#include <string.h>

#include "model_fault.h"
#include "test_util.h"

static struct model_faults f;

static void reset(void)
{
	memset(&f, 0, sizeof(f));
}

static void test_op_names(void)
{
	for (int op = 0; op < SPAPR_MODEL_OP_COUNT; op++) {
		const char *name = spapr_model_op_name((enum spapr_model_op)op);

		T_CHECK(name != NULL);
		if (name == NULL)
			continue;
		T_EQ(spapr_model_op_from_name(name), op);
		for (int other = 0; other < op; other++)
			T_CHECK(strcmp(name, spapr_model_op_name(
						     (enum spapr_model_op)other)) != 0);
	}
	T_CHECK(strcmp(spapr_model_op_name(SPAPR_MODEL_OP_MAP_DMA), "map_dma") == 0);
	T_CHECK(strcmp(spapr_model_op_name(SPAPR_MODEL_OP_LEVEL_ALLOC), "level_alloc") == 0);
	T_CHECK(strcmp(spapr_model_op_name(SPAPR_MODEL_OP_CONTAINER_OPEN),
		       "container_open") == 0);
	T_CHECK(strcmp(spapr_model_op_name(SPAPR_MODEL_OP_HCALL), "hcall") == 0);
	T_CHECK(spapr_model_op_name(SPAPR_MODEL_OP_COUNT) == NULL);
	T_ERR(spapr_model_op_from_name("MAP_DMA"), -EINVAL);
	T_ERR(spapr_model_op_from_name("bogus"), -EINVAL);
	T_ERR(spapr_model_op_from_name(""), -EINVAL);
	T_ERR(spapr_model_op_from_name(NULL), -EINVAL);
}

static void test_add_limits(void)
{
	reset();
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_MAP_DMA, 0, EIO, 1), -EINVAL);
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_COUNT, 1, EIO, 1), -EINVAL);
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_MAP_DMA, 1, -EIO, 1), -EINVAL);
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_MAP_DMA, 2, EIO, 0xFFFFFFFFu), -EINVAL);
	T_EQ(f.nrules, 0);
	for (int i = 0; i < MODEL_FAULT_MAX_RULES; i++)
		T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_PIN, 100, 0, 1), 0);
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_PIN, 100, 0, 1), -ENOSPC);
	T_EQ(f.nrules, MODEL_FAULT_MAX_RULES);
	model_fault_clear(&f);
	T_EQ(f.nrules, 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_PIN), 0);
}

/* nth is counted from arming; exactly one call fails when count is 1. */
static void test_nth(void)
{
	reset();
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_MAP_DMA, 3, 0, 0), 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_MAP_DMA), 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_UNMAP_DMA), 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_MAP_DMA), 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_MAP_DMA), -EIO);
	T_EQ(f.nrules, 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_MAP_DMA), 0);
	T_EQ(f.fired, 1);
}

static void test_count(void)
{
	reset();
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_TCE_CREATE, 2, ENOSPC, 3), 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_TCE_CREATE), 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_TCE_CREATE), -ENOSPC);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_TCE_CREATE), -ENOSPC);
	T_EQ(f.nrules, 1);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_TCE_CREATE), -ENOSPC);
	T_EQ(f.nrules, 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_TCE_CREATE), 0);
	T_EQ(f.fired, 3);
}

static void test_natural_errors(void)
{
	reset();
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_LEVEL_ALLOC, 1, 0, 1), 0);
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_PIN, 1, 0, 1), 0);
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_HCALL, 1, 0, 1), 0);
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_REGISTER_MEMORY, 1, 0, 1), 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_LEVEL_ALLOC), -ENOMEM);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_PIN), -EFAULT);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_HCALL), -EIO);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_REGISTER_MEMORY), -EIO);
	T_EQ(f.nrules, 0);
	T_EQ(f.fired, 4);
}

/* Two rules on one op count independently; the first armed decides. */
static void test_two_rules_one_op(void)
{
	reset();
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_PIN, 2, ENOMEM, 1), 0);
	T_ERR(model_fault_add(&f, SPAPR_MODEL_OP_PIN, 1, EPERM, 2), 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_PIN), -EPERM);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_PIN), -ENOMEM);
	T_EQ(f.nrules, 0);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_PIN), 0);
	T_EQ(f.fired, 2);
}

static void test_parse_good(void)
{
	char err[1024];

	reset();
	T_ERR(model_fault_parse(&f, "map_dma:3:EIO,level_alloc:1; pin:2:14:3 ;"
				" hcall : 1 : enospc; get_info:2:EXDEV", err, sizeof(err)), 0);
	T_EQ(f.nrules, 5);
	T_EQ(f.rules[0].op, SPAPR_MODEL_OP_MAP_DMA);
	T_EQ(f.rules[0].nth, 3);
	T_EQ(f.rules[0].err, EIO);
	T_EQ(f.rules[0].count, 1);
	T_EQ(f.rules[1].op, SPAPR_MODEL_OP_LEVEL_ALLOC);
	T_EQ(f.rules[1].err, 0);
	T_EQ(f.rules[2].op, SPAPR_MODEL_OP_PIN);
	T_EQ(f.rules[2].nth, 2);
	T_EQ(f.rules[2].err, 14);
	T_EQ(f.rules[2].count, 3);
	T_EQ(f.rules[3].op, SPAPR_MODEL_OP_HCALL);
	T_EQ(f.rules[3].err, ENOSPC);
	T_EQ(f.rules[4].op, SPAPR_MODEL_OP_GET_INFO);
	T_EQ(f.rules[4].err, EXDEV);
	T_ERR(model_fault_hit(&f, SPAPR_MODEL_OP_LEVEL_ALLOC), -ENOMEM);
	T_ERR(model_fault_parse(&f, "", err, sizeof(err)), 0);
	T_ERR(model_fault_parse(&f, NULL, err, sizeof(err)), 0);
	T_EQ(f.nrules, 4);
	T_ERR(model_fault_parse(&f, "unmap_dma:1:E2BIG,tce_remove:1:EAGAIN:0,"
				"enable:1:ENXIO", err, sizeof(err)), 0);
	T_EQ(f.rules[4].err, E2BIG);
	T_EQ(f.rules[5].count, 1);
	T_EQ(f.rules[6].err, ENXIO);
}

/* A bad token arms nothing and the message names it and the ops. */
static void expect_bad(const char *spec, const char *token)
{
	char err[1024] = "";
	char quoted[160];

	reset();
	T_ERR(model_fault_parse(&f, spec, err, sizeof(err)), -EINVAL);
	T_EQ(f.nrules, 0);
	snprintf(quoted, sizeof(quoted), "'%s'", token);
	T_CHECK(strstr(err, quoted) != NULL);
	T_CHECK(strstr(err, "accepted ops: container_open, group_open") != NULL);
	T_CHECK(strstr(err, "level_alloc, pin, hcall") != NULL);
	if (strstr(err, quoted) == NULL)
		fprintf(stderr, "  spec '%s' gave: %s\n", spec, err);
}

static void test_parse_bad(void)
{
	expect_bad("map_dma", "map_dma");
	expect_bad("map_dma:1,mapdma:1", "mapdma:1");
	expect_bad("map_dma:0", "map_dma:0");
	expect_bad("map_dma:-1", "map_dma:-1");
	expect_bad("map_dma:x", "map_dma:x");
	expect_bad("pin:1:EWHAT", "pin:1:EWHAT");
	expect_bad("pin:1:5000", "pin:1:5000");
	expect_bad("pin:1:EIO:x", "pin:1:EIO:x");
	expect_bad("pin:1:EIO:2:7", "pin:1:EIO:2:7");
	expect_bad("level_alloc:1;pin:2:EIO:1:extra", "pin:2:EIO:1:extra");
	expect_bad("pin:4294967295:EIO:2", "pin:4294967295:EIO:2");
}

static void test_parse_too_many(void)
{
	char spec[2048] = "";
	char err[1024];

	reset();
	for (int i = 0; i < MODEL_FAULT_MAX_RULES + 1; i++)
		strcat(spec, "pin:1,");
	T_ERR(model_fault_parse(&f, spec, err, sizeof(err)), -ENOSPC);
	T_EQ(f.nrules, 0);
	T_CHECK(strstr(err, "too many") != NULL);
}

int main(void)
{
	T_RUN(test_op_names);
	T_RUN(test_add_limits);
	T_RUN(test_nth);
	T_RUN(test_count);
	T_RUN(test_natural_errors);
	T_RUN(test_two_rules_one_op);
	T_RUN(test_parse_good);
	T_RUN(test_parse_bad);
	T_RUN(test_parse_too_many);
	return t_finish();
}
