/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.3 VFIO_IOMMU_SPAPR_TCE_GET_INFO: order (mm -EPERM, no group -ENXIO,
 * copy-in -EFAULT, argsz < 16 -EINVAL), 16 vs 32 byte copy-back, DDW part
 * only for v2 with max_dynamic_windows_supported != 0, and the values a
 * real 6.12 kernel reported (research/qemu-power-testbed.md).
 *
 * "No group -> -ENXIO" cannot be reached through ioctls: the container's
 * driver is released when its last group leaves (CONT
 * vfio_group_detach_container), after which GET_INFO is -EINVAL (§3.0,
 * tested in §3.0).
 */
#include "conformance_util.h"

struct want_info {
	uint32_t flags, start, size;
	uint64_t pgsizes;
	uint32_t maxwin, levels;
};

static void check_info(const char *profile, uint32_t type, struct want_info w)
{
	struct cf f;
	struct vfio_iommu_spapr_tce_info info;
	int before = t_failures;

	cf_init(&f, profile);
	cf_setup(&f, type);
	memset(&info, 0xa5, sizeof(info));
	info.argsz = sizeof(info);
	T_ERR(f.o->get_info(f.be, f.c, &info), 0);
	T_EQU(info.argsz, sizeof(info));
	T_EQU(info.flags, w.flags);
	T_EQU(info.dma32_window_start, w.start);
	T_EQU(info.dma32_window_size, w.size);
	T_EQU(info.ddw.pgsizes, w.pgsizes);
	T_EQU(info.ddw.max_dynamic_windows_supported, w.maxwin);
	T_EQU(info.ddw.levels, w.levels);
	if (t_failures != before)
		fprintf(stderr, "  (profile %s, type %u)\n", profile, type);
	cf_done(&f);
}

static void s3_3_values_observed_on_6_12(void)
{
	/* research/qemu-power-testbed.md, GET_INFO table (kernel 6.12.95). */
	check_info("powernv9", CF_V2, (struct want_info){
		VFIO_IOMMU_SPAPR_INFO_DDW, 0, 0x80000000u, 0x40211000ull, 2, 5 });
	check_info("powernv10", CF_V2, (struct want_info){
		VFIO_IOMMU_SPAPR_INFO_DDW, 0, 0x80000000u, 0x40211000ull, 2, 5 });
	check_info("powernv8", CF_V2, (struct want_info){
		VFIO_IOMMU_SPAPR_INFO_DDW, 0, 0x80000000u, 0x11011000ull, 2, 5 });
	check_info("pseries-kvm", CF_V2, (struct want_info){
		VFIO_IOMMU_SPAPR_INFO_DDW, 0, 0x40000000u, 0x1211000ull, 2, 1 });
}

static void s3_3_pseries_noddw_quirk_values(void)
{
	struct spapr_model_profile p;

	/* §6/§9: no ibm,ddw-applicable: max windows reads back 0xFFFFFFFF,
	 * levels 0, pgsizes 4K -- and it is non-zero, so flags = DDW. */
	cf_profile("pseries-noddw", &p);
	check_info("pseries-noddw", CF_V2, (struct want_info){
		VFIO_IOMMU_SPAPR_INFO_DDW, p.dma32_start, p.dma32_size, 0x1000ull,
		0xFFFFFFFFu, 0 });
}

static void s3_3_v1_has_no_ddw_part(void)
{
	/* v1 container: flags 0 and the ddw part written as zeros. */
	check_info("powernv9", CF_V1, (struct want_info){
		0, 0, 0x80000000u, 0, 0, 0 });
	check_info("pseries-kvm", CF_V1, (struct want_info){
		0, 0, 0x40000000u, 0, 0, 0 });
	struct spapr_model_profile p;
	cf_profile("pseries-v1-only", &p);
	check_info("pseries-v1-only", CF_V1, (struct want_info){
		0, p.dma32_start, p.dma32_size, 0, 0, 0 });
}

static void s3_3_argsz_16_to_31_leaves_ddw_untouched(void)
{
	struct cf f;
	struct vfio_iommu_spapr_tce_info info;
	unsigned char pat[16];

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	memset(pat, 0x5a, sizeof(pat));
	for (uint32_t argsz = 16; argsz < 32; argsz++) {
		memset(&info, 0x5a, sizeof(info));
		info.argsz = argsz;
		T_ERR(f.o->get_info(f.be, f.c, &info), 0);
		T_EQU(info.argsz, argsz);
		T_EQU(info.flags, VFIO_IOMMU_SPAPR_INFO_DDW);
		T_EQU(info.dma32_window_start, 0);
		T_EQU(info.dma32_window_size, 0x80000000u);
		T_EQ(memcmp(&info.ddw, pat, sizeof(info.ddw)), 0);
	}
	/* 32 and more: the whole structure. */
	memset(&info, 0x5a, sizeof(info));
	info.argsz = 4096;
	T_ERR(f.o->get_info(f.be, f.c, &info), 0);
	T_EQU(info.argsz, 4096);
	T_EQU(info.ddw.pgsizes, 0x40211000ull);
	cf_done(&f);
}

static void s3_3_argsz_below_16_einval_nothing_written(void)
{
	struct cf f;
	struct vfio_iommu_spapr_tce_info info, before;

	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	for (uint32_t argsz = 0; argsz < 16; argsz += 5) {
		memset(&info, 0x77, sizeof(info));
		info.argsz = argsz;
		before = info;
		T_ERR(f.o->get_info(f.be, f.c, &info), -EINVAL);
		T_EQ(memcmp(&info, &before, sizeof(info)), 0);
	}
	cf_done(&f);
}

static void s3_3_null_efault_and_order(void)
{
	struct cf f;

	cf_init(&f, "powernv9");
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	T_ERR(f.o->get_info(f.be, f.c, NULL), -EFAULT);
	/* GET_INFO does not bind the mm. */
	T_EQ(cf_ci(&f).mm, -1);
	/* mm mismatch comes first: NULL from another mm -> -EPERM. */
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	T_CHECK(child > 0);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(f.o->get_info(f.be, f.c, NULL), -EPERM);
	struct vfio_iommu_spapr_tce_info info = { .argsz = 8 };
	T_ERR(f.o->get_info(f.be, f.c, &info), -EPERM);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	cf_done(&f);
}

static void small_dma32(struct spapr_model_group_params *gp)
{
	gp->dma32_size = 0x40000000u;
	gp->pgsizes = 0x1000ull | 0x10000ull;
}

static void s3_3_first_group_in_kernel_list_order(void)
{
	struct cf f;
	struct vfio_iommu_spapr_tce_info info;

	/*
	 * GET_INFO reads list_first_entry(&container->group_list) and
	 * tce_iommu_attach_group adds groups with list_add(), i.e. at the
	 * HEAD (drivers/vfio/vfio_iommu_spapr_tce.c). So a group attached
	 * after SET_IOMMU becomes "the first group". The spec (§3.3, §4)
	 * says "first attached group"; the kernel code wins.
	 */
	cf_init(&f, "powernv9");
	cf_setup(&f, CF_V2);
	int g = cf_add_group(&f, small_dma32);
	cf_open_group(&f, g);
	T_ERR(cf_get_info(&f, &info), 0);
	T_EQU(info.dma32_window_size, 0x40000000u);
	T_EQU(info.ddw.pgsizes, 0x11000ull);
	cf_done(&f);

	/*
	 * Both groups on the container before SET_IOMMU: CONT keeps its own
	 * list head-first too (list_add in vfio_container_attach_group) and
	 * __vfio_container_attach_groups attaches in that order, so the tce
	 * list ends up with the group that joined the container FIRST at the
	 * head.
	 */
	cf_init(&f, "powernv9");
	g = cf_add_group(&f, small_dma32);
	cf_open_group(&f, 0);
	cf_open_group(&f, g);
	T_ERR(f.o->set_iommu(f.be, f.c, CF_V2), 0);
	T_ERR(cf_get_info(&f, &info), 0);
	T_EQU(info.dma32_window_size, 0x80000000u);
	T_EQU(info.ddw.pgsizes, 0x40211000ull);
	cf_done(&f);
}


static void s3_3_values_follow_profile_every_profile(void)
{
	const char *const *names = spapr_model_profile_names();

	for (unsigned int i = 0; names && names[i]; i++) {
		struct spapr_model_profile p;
		struct cf f;
		struct vfio_iommu_spapr_tce_info info;

		cf_profile(names[i], &p);
		if (p.platform == SPAPR_MODEL_IODA1)
			continue;
		cf_init_profile(&f, &p);
		cf_open_group(&f, 0);
		int r = f.o->set_iommu(f.be, f.c, CF_V2);
		if (p.kernel == SPAPR_MODEL_KERNEL_6_3 &&
		    p.platform != SPAPR_MODEL_POWERNV) {
			/* <= 6.3: groups without DDW ops need v1 (-EPERM) */
			T_ERR(r, -EPERM);
			T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), 0);
			r = -EPERM;
		} else if (p.max_dynamic_windows == 0 ||
			   (p.kernel == SPAPR_MODEL_KERNEL_6_4 &&
			    p.platform == SPAPR_MODEL_PSERIES)) {
			/* v2 needs DDW ops since 6.4 (§3.2) */
			T_ERR(r, -EINVAL);
			T_ERR(f.o->set_iommu(f.be, f.c, CF_V1), 0);
		} else {
			T_ERR(r, 0);
		}
		memset(&info, 0xee, sizeof(info));
		info.argsz = sizeof(info);
		T_ERR(f.o->get_info(f.be, f.c, &info), 0);
		T_EQU(info.dma32_window_start, p.dma32_start);
		T_EQU(info.dma32_window_size, p.dma32_size);
		if (r == 0) {
			T_EQU(info.flags, VFIO_IOMMU_SPAPR_INFO_DDW);
			T_EQU(info.ddw.pgsizes, p.pgsizes);
			T_EQU(info.ddw.max_dynamic_windows_supported, p.max_dynamic_windows);
			T_EQU(info.ddw.levels, p.max_levels);
		} else {
			T_EQU(info.flags, 0);
			T_EQU(info.ddw.pgsizes, 0);
			T_EQU(info.ddw.max_dynamic_windows_supported, 0);
			T_EQU(info.ddw.levels, 0);
		}
		cf_done(&f);
	}
}

static void s3_3_powervm_sriov_vf_single_window_64k(void)
{
	/* §9: PowerVM SR-IOV VF: one window (default or DDW), no IOMMU page
	 * bigger than 64K (C-BRAS); PowerNV pgsizes always include 4K. */
	struct spapr_model_profile p;

	cf_profile("pseries-powervm-sriov-vf", &p);
	check_info("pseries-powervm-sriov-vf", CF_V2, (struct want_info){
		VFIO_IOMMU_SPAPR_INFO_DDW, p.dma32_start, p.dma32_size, p.pgsizes, 1, 1 });
	T_EQU(p.pgsizes & ~(SZ_4K | SZ_64K), 0);
	T_CHECK(p.pgsizes & SZ_4K);
}

int main(void)
{
	T_RUN(s3_3_values_observed_on_6_12);
	T_RUN(s3_3_pseries_noddw_quirk_values);
	T_RUN(s3_3_v1_has_no_ddw_part);
	T_RUN(s3_3_argsz_16_to_31_leaves_ddw_untouched);
	T_RUN(s3_3_argsz_below_16_einval_nothing_written);
	T_RUN(s3_3_null_efault_and_order);
	T_RUN(s3_3_first_group_in_kernel_list_order);
	T_RUN(s3_3_values_follow_profile_every_profile);
	T_RUN(s3_3_powervm_sriov_vf_single_window_64k);
	return t_finish();
}
