/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §9 platform profiles: GET_INFO of every built-in profile equals the spec
 * table, corrected by what a real 6.12 kernel reported under QEMU (testbed:
 * pseries pgsizes 0x1211000). Attach rules of the v1-only profile.
 */
#include "model_test.h"

#define ANY 0xFFFFFFFFu

struct expect {
	const char *name;
	uint32_t flags, start, size;
	uint64_t pgsizes;
	uint32_t windows, levels;
};

static const struct expect table[] = {
	{ "powernv9", 1, 0, 0x80000000u, 0x40211000ull, 2, 5 },
	{ "powernv10", 1, 0, 0x80000000u, 0x40211000ull, 2, 5 },
	{ "powernv8", 1, 0, 0x80000000u, 0x11011000ull, 2, 5 },
	{ "pseries-kvm", 1, 0, 0x40000000u, 0x1211000ull, 2, 1 },
	/* dma32 comes from the firmware's ibm,dma-window: not checked */
	{ "pseries-noddw", 1, ANY, ANY, 0x1000ull, 0xFFFFFFFFu, 0 },
};

static void s9_builtin_names_listed(void)
{
	const char *const *names = spapr_model_profile_names();
	const char *want[] = { "powernv8", "powernv9", "powernv10", "pseries-kvm",
			       "pseries-v1-only", "pseries-powervm-sriov-vf",
			       "pseries-noddw" };

	T_CHECK(names != NULL);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (size_t j = 0; names && names[j]; j++)
			found |= strcmp(names[j], want[i]) == 0;
		if (!found)
			fprintf(stderr, "  missing profile %s\n", want[i]);
		T_CHECK(found);
	}
	T_ERR(spapr_model_profile_get("no-such-profile",
				      &(struct spapr_model_profile){ .groups = 0 }),
	      -ENOENT);
}

/* Every built-in profile: a model can be created, a v2 or v1 container set
 * up, and the fresh host satisfies its invariants. */
static void s9_every_profile_boots(void)
{
	const char *const *names = spapr_model_profile_names();

	for (size_t j = 0; names && names[j]; j++) {
		struct spapr_model *m = mt_model(names[j]);
		int c = mt_open_v2(m, 1, NULL);

		if (c < 0) {
			spapr_model_destroy(m);
			m = mt_model(names[j]);
			c = mt_open(m, 1, VFIO_SPAPR_TCE_IOMMU, NULL);
		}
		if (c < 0)
			fprintf(stderr, "  profile %s: no container: %d\n", names[j], c);
		T_CHECK(c >= 0);
		T_CHECK(spapr_model_get_profile(m)->system_page_shift == 12 ||
			spapr_model_get_profile(m)->system_page_shift == 16);
		mt_invariants(m);
		spapr_model_destroy(m);
	}
}

static void s9_get_info_table(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct expect *e = &table[i];
		struct spapr_model *m = mt_model(e->name);
		int c = mt_open_v2(m, 1, NULL);
		struct vfio_iommu_spapr_tce_info info;

		fprintf(stderr, "  profile %s\n", e->name);
		T_CHECK(c >= 0);
		T_ERR(mt_get_info(m, c, &info), 0);
		T_EQ(info.flags, e->flags);
		if (e->start != ANY)
			T_EQU(info.dma32_window_start, e->start);
		if (e->size != ANY)
			T_EQU(info.dma32_window_size, e->size);
		T_EQU(info.ddw.pgsizes, e->pgsizes);
		T_EQU(info.ddw.max_dynamic_windows_supported, e->windows);
		T_EQ(info.ddw.levels, e->levels);
		/* the profile says the same as GET_INFO */
		T_EQU(spapr_model_get_profile(m)->pgsizes, e->pgsizes);
		T_EQ(spapr_model_get_profile(m)->system_page_shift, 16);
		spapr_model_destroy(m);
	}
}

/* §3.3: v1 containers get flags 0 and a zeroed ddw part. */
static void s9_get_info_v1_container(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = mt_open(m, 1, VFIO_SPAPR_TCE_IOMMU, NULL);
	struct vfio_iommu_spapr_tce_info info;

	T_CHECK(c >= 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQ(info.flags, 0);
	T_EQU(info.dma32_window_size, 0x80000000u);
	T_EQU(info.ddw.pgsizes, 0);
	T_EQU(info.ddw.max_dynamic_windows_supported, 0);
	T_EQ(info.ddw.levels, 0);
	spapr_model_destroy(m);
}

/* pseries guest kernel v6.4 - v6.10: borrowing ops, v2 -EINVAL, v1 works. */
static void s9_pseries_v1_only(void)
{
	struct spapr_model *m = mt_model("pseries-v1-only");
	const struct spapr_backend_ops *o = mt_ops(m);
	int c = o->container_open(MT_BE(m));
	int g = o->group_open(MT_BE(m), 0);
	struct vfio_iommu_spapr_tce_info info;

	T_ERR(o->group_set_container(MT_BE(m), g, c), 0);
	T_ERR(o->set_iommu(MT_BE(m), c, VFIO_SPAPR_TCE_v2_IOMMU), -EINVAL);
	T_CHECK(!mt_cinfo(m, c).iommu_set);
	T_ERR(o->set_iommu(MT_BE(m), c, VFIO_SPAPR_TCE_IOMMU), 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQ(info.flags, 0);
	T_EQU(info.dma32_window_start, 0);
	T_EQU(info.dma32_window_size, 0x40000000u);
	/* v1 ENABLE charges the whole dma32 window: 1 GiB = 16384 pages */
	T_ERR(o->enable(MT_BE(m), c), 0);
	T_EQU(mt_locked(m), 16384);
	T_EQU(mt_cinfo(m, c).v1_locked_pages, 16384);
	T_ERR(o->disable(MT_BE(m), c), 0);
	T_EQU(mt_locked(m), 0);
	mt_invariants(m);
	spapr_model_destroy(m);
}

/* Cost-model parameters of the profiles (§7, §9 notes). */
static void s9_profile_cost_parameters(void)
{
	struct spapr_model_profile p;

	mt_profile("powernv8", &p);
	T_EQ(p.invalidate, SPAPR_MODEL_INVAL_PER_PAGE);
	T_CHECK(!p.tce_via_hcall);
	T_EQ(p.platform, SPAPR_MODEL_POWERNV);
	mt_profile("powernv9", &p);
	T_EQ(p.invalidate, SPAPR_MODEL_INVAL_PER_RANGE);
	T_EQU(p.slot1_start, MT_BIT59);
	T_EQU(p.max_level_chunk, 16 * MT_MIB);
	T_EQ(p.bus_addr_bits, 55);
	mt_profile("pseries-kvm", &p);
	T_EQ(p.platform, SPAPR_MODEL_PSERIES);
	T_CHECK(p.tce_via_hcall);
	T_EQ(p.invalidate, SPAPR_MODEL_INVAL_NONE);
	T_EQU(p.ddw_start, MT_BIT59);
	mt_profile("pseries-v1-only", &p);
	T_EQ(p.kernel, SPAPR_MODEL_KERNEL_6_4);
}

int main(void)
{
	T_RUN(s9_builtin_names_listed);
	T_RUN(s9_every_profile_boots);
	T_RUN(s9_get_info_table);
	T_RUN(s9_get_info_v1_container);
	T_RUN(s9_pseries_v1_only);
	T_RUN(s9_profile_cost_parameters);
	return t_finish();
}
