/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault.c - fault-injection rules of the host model (model_fault.h) and the
 * stable names of the model's operations (spapr_model.h).
 *
 * A rule counts the calls of one op made since it was armed; calls nth ..
 * nth+count-1 fail. Rules are independent: two rules on the same op each
 * count every call, and the first rule (in arming order) that fires decides
 * the errno. A rule is dropped once its last failing call has happened.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_fault.h"
#include "spapr_util.h"

static const char *const op_names[SPAPR_MODEL_OP_COUNT] = {
	[SPAPR_MODEL_OP_CONTAINER_OPEN] = "container_open",
	[SPAPR_MODEL_OP_GROUP_OPEN] = "group_open",
	[SPAPR_MODEL_OP_CLOSE] = "close",
	[SPAPR_MODEL_OP_GROUP_GET_STATUS] = "group_get_status",
	[SPAPR_MODEL_OP_GROUP_SET_CONTAINER] = "group_set_container",
	[SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER] = "group_unset_container",
	[SPAPR_MODEL_OP_CHECK_EXTENSION] = "check_extension",
	[SPAPR_MODEL_OP_SET_IOMMU] = "set_iommu",
	[SPAPR_MODEL_OP_GET_INFO] = "get_info",
	[SPAPR_MODEL_OP_REGISTER_MEMORY] = "register_memory",
	[SPAPR_MODEL_OP_UNREGISTER_MEMORY] = "unregister_memory",
	[SPAPR_MODEL_OP_TCE_CREATE] = "tce_create",
	[SPAPR_MODEL_OP_TCE_REMOVE] = "tce_remove",
	[SPAPR_MODEL_OP_MAP_DMA] = "map_dma",
	[SPAPR_MODEL_OP_UNMAP_DMA] = "unmap_dma",
	[SPAPR_MODEL_OP_ENABLE] = "enable",
	[SPAPR_MODEL_OP_DISABLE] = "disable",
	[SPAPR_MODEL_OP_EEH_PE_OP] = "eeh_pe_op",
	[SPAPR_MODEL_OP_LEVEL_ALLOC] = "level_alloc",
	[SPAPR_MODEL_OP_PIN] = "pin",
	[SPAPR_MODEL_OP_HCALL] = "hcall",
};

const char *spapr_model_op_name(enum spapr_model_op op)
{
	if ((unsigned int)op >= SPAPR_MODEL_OP_COUNT)
		return NULL;
	return op_names[op];
}

int spapr_model_op_from_name(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	for (int op = 0; op < SPAPR_MODEL_OP_COUNT; op++)
		if (strcmp(op_names[op], name) == 0)
			return op;
	return -EINVAL;
}

/* The errno names a fault spec may use. Numbers are accepted as well. */
static const struct {
	const char *name;
	int value;
} errno_names[] = {
#define E(name) { #name, name }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG),
	E(ENOSPC), E(ESPIPE), E(EROFS), E(EPIPE), E(EDOM), E(ERANGE),
	E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY),
	E(ELOOP), E(ENODATA), E(ETIME), E(EPROTO), E(EBADMSG), E(EOVERFLOW),
	E(EILSEQ), E(EOPNOTSUPP), E(ETIMEDOUT), E(ECANCELED), E(EOWNERDEAD),
	E(EHWPOISON), E(EUCLEAN), E(ENOTSUP), E(EWOULDBLOCK),
#undef E
};

/* The error an op fails with when a rule does not name one: what the
 * kernel returns when that step fails for real (allocation, pinning) or a
 * generic I/O error for ioctls and hypervisor calls. */
static int natural_errno(enum spapr_model_op op)
{
	switch (op) {
	case SPAPR_MODEL_OP_LEVEL_ALLOC:
		return ENOMEM;
	case SPAPR_MODEL_OP_PIN:
		return EFAULT;
	default:
		return EIO;
	}
}

int model_fault_add(struct model_faults *f, enum spapr_model_op op,
		    unsigned int nth, int err, unsigned int count)
{
	if ((unsigned int)op >= SPAPR_MODEL_OP_COUNT || nth == 0 || err < 0)
		return -EINVAL;
	if (f->nrules >= MODEL_FAULT_MAX_RULES)
		return -ENOSPC;
	if (count == 0)
		count = 1;
	/* The last failing call is nth + count - 1: it must be countable. */
	if (count - 1 > UINT_MAX - nth)
		return -EINVAL;
	f->rules[f->nrules++] = (struct model_fault_rule){
		.op = op, .nth = nth, .count = count, .err = err, .seen = 0,
	};
	return 0;
}

static void drop_rule(struct model_faults *f, unsigned int i)
{
	memmove(&f->rules[i], &f->rules[i + 1],
		(f->nrules - i - 1) * sizeof(f->rules[0]));
	f->nrules--;
}

int model_fault_hit(struct model_faults *f, enum spapr_model_op op)
{
	int ret = 0;
	unsigned int i = 0;

	while (i < f->nrules) {
		struct model_fault_rule *r = &f->rules[i];

		if (r->op != op) {
			i++;
			continue;
		}
		r->seen++;
		if (r->seen >= r->nth && ret == 0)
			ret = -(r->err ? r->err : natural_errno(op));
		if (r->seen >= r->nth + (r->count - 1)) {
			drop_rule(f, i);
			continue;
		}
		i++;
	}
	if (ret)
		f->fired++;
	return ret;
}

void model_fault_clear(struct model_faults *f)
{
	f->nrules = 0;
	memset(f->rules, 0, sizeof(f->rules));
}

/* ---------------------------------------------------------------------- */
/* Parsing "op:nth[:errno[:count]]{,;}...".                               */
/* ---------------------------------------------------------------------- */

#define TOKEN_MAX 128

static void format_op_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int op = 0; op < SPAPR_MODEL_OP_COUNT && used < len; op++) {
		int n = snprintf(buf + used, len - used, "%s%s", op ? ", " : "",
				 op_names[op]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void set_err(char *err, size_t errlen, const char *token,
		    const char *what)
{
	char ops[512];

	if (err == NULL || errlen == 0)
		return;
	format_op_list(ops, sizeof(ops));
	snprintf(err, errlen,
		 "fault spec: bad token '%s': %s; syntax op:nth[:errno[:count]]"
		 " separated by ',' or ';'; accepted ops: %s",
		 token, what, ops);
}

/* A decimal number without sign, fitting unsigned int. */
static int parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v > UINT_MAX)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_errno(const char *s, int *out)
{
	unsigned int v;

	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
		if (strcasecmp(errno_names[i].name, s) == 0) {
			*out = errno_names[i].value;
			return 0;
		}
	}
	/* 4095 is the largest errno the kernel can return (MAX_ERRNO). */
	if (parse_uint(s, &v) || v > 4095)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* Split @tok in place at ':' into at most 4 trimmed fields. */
static int split_fields(char *tok, char *field[4])
{
	int n = 0;
	char *p = tok;

	for (;;) {
		char *colon = strchr(p, ':');

		if (n == 4)
			return -1;
		if (colon)
			*colon = '\0';
		field[n++] = spapr_trim(p);
		if (!colon)
			return n;
		p = colon + 1;
	}
}

static int parse_rule(const char *token, struct model_fault_rule *r,
		      char *err, size_t errlen)
{
	char copy[TOKEN_MAX];
	char *field[4];
	int n, op;
	unsigned int count = 1;
	int e = 0;

	if (strlen(token) >= sizeof(copy)) {
		set_err(err, errlen, token, "too long");
		return -EINVAL;
	}
	strcpy(copy, token);
	n = split_fields(copy, field);
	if (n < 0) {
		set_err(err, errlen, token, "more than 4 fields");
		return -EINVAL;
	}
	if (n < 2) {
		set_err(err, errlen, token, "missing ':nth'");
		return -EINVAL;
	}
	op = spapr_model_op_from_name(field[0]);
	if (op < 0) {
		set_err(err, errlen, token, "unknown op");
		return -EINVAL;
	}
	if (parse_uint(field[1], &r->nth) || r->nth == 0) {
		set_err(err, errlen, token, "nth must be a number >= 1");
		return -EINVAL;
	}
	if (n >= 3 && parse_errno(field[2], &e)) {
		set_err(err, errlen, token,
			"errno must be a name like ENOMEM or a number 0..4095");
		return -EINVAL;
	}
	if (n == 4 && parse_uint(field[3], &count)) {
		set_err(err, errlen, token, "count must be a number");
		return -EINVAL;
	}
	/* Same limit as model_fault_add(), checked here so that arming the
	 * parsed rules cannot fail half-way. */
	if (count > 1 && count - 1 > UINT_MAX - r->nth) {
		set_err(err, errlen, token, "nth + count overflows");
		return -EINVAL;
	}
	r->op = (enum spapr_model_op)op;
	r->err = e;
	r->count = count;
	return 0;
}

int model_fault_parse(struct model_faults *f, const char *spec, char *err,
		      size_t errlen)
{
	struct model_fault_rule parsed[MODEL_FAULT_MAX_RULES];
	unsigned int nparsed = 0;
	char *copy, *save = NULL;
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	if (spec == NULL)
		return 0;
	copy = strdup(spec);
	if (copy == NULL)
		return -ENOMEM;
	/* Parse everything first so that a bad token arms nothing. */
	for (char *tok = strtok_r(copy, ",;", &save); tok;
	     tok = strtok_r(NULL, ",;", &save)) {
		tok = spapr_trim(tok);
		if (*tok == '\0')
			continue;
		if (f->nrules + nparsed >= MODEL_FAULT_MAX_RULES) {
			set_err(err, errlen, tok, "too many rules (at most 32 armed)");
			ret = -ENOSPC;
			break;
		}
		ret = parse_rule(tok, &parsed[nparsed], err, errlen);
		if (ret)
			break;
		nparsed++;
	}
	free(copy);
	for (unsigned int i = 0; ret == 0 && i < nparsed; i++)
		ret = model_fault_add(f, parsed[i].op, parsed[i].nth,
				      parsed[i].err, parsed[i].count);
	return ret;
}

int model_fault_from_env(struct model_faults *f, char *err, size_t errlen)
{
	const char *spec = getenv("SPAPR_MODEL_FAULTS");
	char why[1024];
	int ret;

	if (spec == NULL || *spec == '\0')
		return 0;
	ret = model_fault_parse(f, spec, why, sizeof(why));
	if (ret && err && errlen)
		snprintf(err, errlen, "environment variable SPAPR_MODEL_FAULTS: %s; "
			 "correct it or unset it", why);
	return ret;
}
