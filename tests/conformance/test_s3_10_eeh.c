/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.10 VFIO_EEH_PE_OP: applied to every attached group, first non-zero
 * return wins; per group: no EEH PE -ENODEV, then argsz < 12 or flags
 * -EINVAL, then the op (unknown -EINVAL, INJECT_ERR needs argsz >=
 * offsetofend(err.mask)). mm check as for every container ioctl (§2).
 */
#include <stddef.h>
#include "conformance_util.h"

static int eeh(struct cf *f, uint32_t op)
{
	struct vfio_eeh_pe_op o = { .argsz = sizeof(o), .flags = 0, .op = op };

	return f->o->eeh_pe_op(f->be, f->c, &o);
}

static void eeh_host(struct cf *f, bool eeh_on)
{
	struct spapr_model_profile p;

	cf_profile("powernv9", &p);
	p.eeh_enabled = eeh_on;
	cf_init_profile(f, &p);
	cf_std_vmas(f, 0);
}

static void s3_10_eeh_ops_and_state(void)
{
	struct cf f;

	eeh_host(&f, true);
	cf_setup(&f, CF_V2);
	T_EQ(eeh(&f, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	T_ERR(eeh(&f, VFIO_EEH_PE_ENABLE), 0);
	T_ERR(eeh(&f, VFIO_EEH_PE_UNFREEZE_IO), 0);
	T_ERR(eeh(&f, VFIO_EEH_PE_UNFREEZE_DMA), 0);
	T_ERR(eeh(&f, VFIO_EEH_PE_CONFIGURE), 0);
	T_EQ(eeh(&f, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	T_EQ(spapr_model_pe_state(f.m, 0), VFIO_EEH_PE_STATE_NORMAL);
	cf_done(&f);
}

static void s3_10_eeh_state_reflects_frozen_pe(void)
{
	struct cf f;

	eeh_host(&f, true);
	cf_setup(&f, CF_V2);
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	/* a DMA to an IOVA with no valid TCE freezes the PE */
	T_ERR(spapr_model_dma_check(f.m, 0, 0x1000, 64, SPAPR_MODEL_DMA_READ, NULL),
	      -EFAULT);
	int st = eeh(&f, VFIO_EEH_PE_GET_STATE);
	T_CHECK(st > 0);
	T_EQ(st, spapr_model_pe_state(f.m, 0));
	T_ERR(spapr_model_pe_reset(f.m, 0), 0);
	T_EQ(eeh(&f, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	cf_done(&f);
}

static void s3_10_eeh_first_nonzero_over_groups(void)
{
	struct cf f;

	/* The loop returns the first non-zero value; NORMAL is 0, so a frozen
	 * PE anywhere in the container is reported whatever the list order. */
	for (int frozen = 0; frozen < 2; frozen++) {
		eeh_host(&f, true);
		cf_ensure_groups(&f, 2);
		cf_setup(&f, CF_V2);
		cf_open_group(&f, 1);
		T_EQ(eeh(&f, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
		T_ERR(spapr_model_dma_check(f.m, frozen, 0x1000, 64,
					    SPAPR_MODEL_DMA_WRITE, NULL), -EFAULT);
		int st = eeh(&f, VFIO_EEH_PE_GET_STATE);
		T_CHECK(st > 0);
		T_EQ(st, spapr_model_pe_state(f.m, frozen));
		T_EQ(spapr_model_pe_state(f.m, 1 - frozen), VFIO_EEH_PE_STATE_NORMAL);
		cf_done(&f);
	}
}

static void s3_10_eeh_einval_cases(void)
{
	struct cf f;
	struct vfio_eeh_pe_op o;

	eeh_host(&f, true);
	cf_setup(&f, CF_V2);
	T_ERR(eeh(&f, 10), -EINVAL);
	T_ERR(eeh(&f, 0xffffffffu), -EINVAL);
	o = (struct vfio_eeh_pe_op){ .argsz = 11, .op = VFIO_EEH_PE_GET_STATE };
	T_ERR(f.o->eeh_pe_op(f.be, f.c, &o), -EINVAL);
	o = (struct vfio_eeh_pe_op){ .argsz = 12, .flags = 1, .op = VFIO_EEH_PE_GET_STATE };
	T_ERR(f.o->eeh_pe_op(f.be, f.c, &o), -EINVAL);
	o = (struct vfio_eeh_pe_op){ .argsz = 12, .op = VFIO_EEH_PE_GET_STATE };
	T_EQ(f.o->eeh_pe_op(f.be, f.c, &o), VFIO_EEH_PE_STATE_NORMAL);
	/* INJECT_ERR needs the err part up to mask */
	size_t need = offsetof(struct vfio_eeh_pe_op, err.mask) + sizeof(o.err.mask);
	o = (struct vfio_eeh_pe_op){ .argsz = (uint32_t)need - 1, .op = VFIO_EEH_PE_INJECT_ERR };
	T_ERR(f.o->eeh_pe_op(f.be, f.c, &o), -EINVAL);
	o = (struct vfio_eeh_pe_op){ .argsz = 12, .op = VFIO_EEH_PE_INJECT_ERR };
	T_ERR(f.o->eeh_pe_op(f.be, f.c, &o), -EINVAL);
	T_ERR(f.o->eeh_pe_op(f.be, f.c, NULL), -EFAULT);
	T_EQ(spapr_model_pe_state(f.m, 0), VFIO_EEH_PE_STATE_NORMAL);
	cf_done(&f);
}

static void s3_10_eeh_no_pe_enodev_first(void)
{
	struct cf f;
	struct vfio_eeh_pe_op o = { .argsz = 0, .flags = 9, .op = 99 };

	eeh_host(&f, false);
	cf_setup(&f, CF_V2);
	T_ERR(eeh(&f, VFIO_EEH_PE_GET_STATE), -ENODEV);
	T_ERR(f.o->eeh_pe_op(f.be, f.c, &o), -ENODEV);
	T_ERR(f.o->eeh_pe_op(f.be, f.c, NULL), -ENODEV);
	cf_done(&f);
}

static void s3_10_eeh_other_mm_eperm(void)
{
	struct cf f;

	eeh_host(&f, true);
	cf_setup(&f, CF_V1);
	T_ERR(f.o->enable(f.be, f.c), 0);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(eeh(&f, VFIO_EEH_PE_GET_STATE), -EPERM);
	T_ERR(f.o->eeh_pe_op(f.be, f.c, NULL), -EPERM);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_EQ(eeh(&f, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_10_eeh_ops_and_state);
	T_RUN(s3_10_eeh_state_reflects_frozen_pe);
	T_RUN(s3_10_eeh_first_nonzero_over_groups);
	T_RUN(s3_10_eeh_einval_cases);
	T_RUN(s3_10_eeh_no_pe_enodev_first);
	T_RUN(s3_10_eeh_other_mm_eperm);
	return t_finish();
}
