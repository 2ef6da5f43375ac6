/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.1 VFIO_CHECK_EXTENSION: 1 for types 2 and 7 unconditionally, eeh_enabled()
 * for VFIO_EEH, 0 otherwise; works without a driver (CONT polls drivers).
 */
#include "conformance_util.h"

static void expect_answers(struct cf *f, int eeh)
{
	T_EQ(f->o->check_extension(f->be, f->c, CF_V1), 1);
	T_EQ(f->o->check_extension(f->be, f->c, CF_V2), 1);
	T_EQ(f->o->check_extension(f->be, f->c, VFIO_EEH), eeh);
	T_EQ(f->o->check_extension(f->be, f->c, VFIO_TYPE1_IOMMU), 0);
	T_EQ(f->o->check_extension(f->be, f->c, VFIO_TYPE1v2_IOMMU), 0);
	T_EQ(f->o->check_extension(f->be, f->c, 0x7fff), 0);
}

static void check_profile_no_driver(const char *name)
{
	struct cf f;

	cf_init(&f, name);
	f.c = f.o->container_open(f.be);
	T_CHECK(f.c >= 0);
	expect_answers(&f, f.p.eeh_enabled ? 1 : 0);
	cf_done(&f);
}

static void s3_1_unconditional_without_driver_every_profile(void)
{
	const char *const *names = spapr_model_profile_names();

	T_CHECK(names && names[0]);
	for (unsigned int i = 0; names && names[i]; i++)
		check_profile_no_driver(names[i]);
}

static void s3_1_v2_answered_1_where_v2_cannot_attach(void)
{
	struct cf f;

	/* pseries-v1-only: SET_IOMMU(v2) fails, CHECK_EXTENSION(v2) still 1. */
	cf_init(&f, "pseries-v1-only");
	cf_open_group(&f, 0);
	T_EQ(f.o->check_extension(f.be, f.c, CF_V2), 1);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), -EINVAL);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), 0);
	expect_answers(&f, f.p.eeh_enabled ? 1 : 0);
	cf_done(&f);
}

static void s3_1_same_answers_with_driver_set(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	expect_answers(&f, f.p.eeh_enabled ? 1 : 0);
	cf_done(&f);
	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V1);
	expect_answers(&f, f.p.eeh_enabled ? 1 : 0);
	cf_done(&f);
}

static void s3_1_eeh_follows_profile(void)
{
	struct spapr_model_profile p;
	struct cf f;

	cf_profile("powernv9", &p);
	p.eeh_enabled = true;
	cf_init_profile(&f, &p);
	cf_setup(&f, CF_V2);
	T_EQ(f.o->check_extension(f.be, f.c, VFIO_EEH), 1);
	cf_done(&f);

	p.eeh_enabled = false;
	cf_init_profile(&f, &p);
	f.c = f.o->container_open(f.be);
	T_EQ(f.o->check_extension(f.be, f.c, VFIO_EEH), 0);
	T_EQ(f.o->check_extension(f.be, f.c, CF_V2), 1);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_1_unconditional_without_driver_every_profile);
	T_RUN(s3_1_v2_answered_1_where_v2_cannot_attach);
	T_RUN(s3_1_same_answers_with_driver_set);
	T_RUN(s3_1_eeh_follows_profile);
	return t_finish();
}
