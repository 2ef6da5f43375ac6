/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection: an injected ioctl failure happens on entry and changes
 * nothing; internal points (level_alloc, pin, hcall) fail where the kernel
 * would and the model's rollback runs; SPAPR_MODEL_FAULTS is applied at
 * spapr_model_create.
 */
#include "model_test.h"

#define PG64K (64 * MT_KIB)
#define INJ EXDEV	/* an errno no op returns by itself */

/* Everything observable about the model that an ioctl could change. */
struct snap {
	bool have_c;
	struct spapr_model_container_info ci;
	struct spapr_model_mm_info mi;
	int nregions;
	struct spapr_model_region_info r[8];
	uint64_t tce[4];
};

static void take(struct spapr_model *m, int c, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->have_c = c >= 0 && spapr_model_container_info(m, c, &s->ci) == 0;
	T_ERR(spapr_model_mm_info(m, 0, &s->mi), 0);
	s->nregions = spapr_model_mm_regions(m, 0, s->r, 8);
	for (unsigned int i = 0; s->have_c && i < 4; i++)
		if (s->ci.windows[0].present && s->ci.windows[0].page_shift == 16)
			spapr_model_tce_read(m, c, 0, i, &s->tce[i]);
	mt_invariants(m);
}

static bool win_eq(const struct spapr_model_window_info *a,
		   const struct spapr_model_window_info *b)
{
	return a->present == b->present && a->start == b->start &&
	       a->size == b->size && a->page_shift == b->page_shift &&
	       a->levels == b->levels && a->tces_in_use == b->tces_in_use &&
	       a->bytes_allocated == b->bytes_allocated &&
	       a->bytes_charged == b->bytes_charged;
}

static void same(const struct snap *a, const struct snap *b)
{
	T_EQ(a->have_c, b->have_c);
	if (a->have_c && b->have_c) {
		T_EQ(a->ci.iommu_set, b->ci.iommu_set);
		T_EQ(a->ci.v2, b->ci.v2);
		T_EQ(a->ci.enabled, b->ci.enabled);
		T_EQ(a->ci.def_window_pending, b->ci.def_window_pending);
		T_EQ(a->ci.mm, b->ci.mm);
		T_EQ(a->ci.ngroups, b->ci.ngroups);
		T_CHECK(win_eq(&a->ci.windows[0], &b->ci.windows[0]));
		T_CHECK(win_eq(&a->ci.windows[1], &b->ci.windows[1]));
		T_EQU(a->ci.v1_locked_pages, b->ci.v1_locked_pages);
	}
	T_EQU(a->mi.locked_vm_pages, b->mi.locked_vm_pages);
	T_EQ(a->mi.regions, b->mi.regions);
	T_EQ(a->mi.orphaned_regions, b->mi.orphaned_regions);
	T_EQU(a->mi.registered_bytes, b->mi.registered_bytes);
	T_EQU(a->mi.leaked_pages, b->mi.leaked_pages);
	T_EQ(a->nregions, b->nregions);
	for (int i = 0; i < a->nregions && i < 8; i++) {
		T_EQU(a->r[i].ua, b->r[i].ua);
		T_EQU(a->r[i].size, b->r[i].size);
		T_EQU(a->r[i].used, b->r[i].used);
		T_EQU(a->r[i].mapped, b->r[i].mapped);
		T_EQ(a->r[i].orphaned, b->r[i].orphaned);
	}
	for (int i = 0; i < 4; i++)
		T_EQU(a->tce[i], b->tce[i]);
}

/* A v2 container on powernv9 with a region, a window at 0 and 2 pages
 * mapped; @gh[0] its group, group 1 opened but not attached (@gh[1]). */
static struct spapr_model *setup(int *c, int *gh)
{
	struct spapr_model *m = mt_model("powernv9");

	*c = mt_open_v2(m, 1, gh);
	T_CHECK(*c >= 0);
	gh[1] = mt_ops(m)->group_open(MT_BE(m), 1);
	T_CHECK(gh[1] >= 0);
	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	mt_vma(m, MT_VA1, 16 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, *c, MT_VA0, 16 * MT_MIB), 0);
	T_ERR(mt_remove(m, *c, 0), 0);
	T_ERR(mt_create_win(m, *c, 16, MT_GIB, 1, NULL), 0);
	T_ERR(mt_map(m, *c, MT_VA0, 0, 2 * PG64K, MT_RW), 0);
	return m;
}

/* Call @op once with valid arguments on the setup state. */
static int call(struct spapr_model *m, enum spapr_model_op op, int c, int *gh)
{
	const struct spapr_backend_ops *o = mt_ops(m);
	struct spapr_backend *be = MT_BE(m);
	struct vfio_iommu_spapr_tce_info info;
	uint32_t flags;

	switch (op) {
	case SPAPR_MODEL_OP_CONTAINER_OPEN: return o->container_open(be);
	case SPAPR_MODEL_OP_GROUP_OPEN: return o->group_open(be, 2);
	case SPAPR_MODEL_OP_CLOSE: return o->close(be, gh[0]);
	case SPAPR_MODEL_OP_GROUP_GET_STATUS: return o->group_get_status(be, gh[0], &flags);
	case SPAPR_MODEL_OP_GROUP_SET_CONTAINER: return o->group_set_container(be, gh[1], c);
	case SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER: return o->group_unset_container(be, gh[0]);
	case SPAPR_MODEL_OP_CHECK_EXTENSION:
		return o->check_extension(be, c, VFIO_SPAPR_TCE_v2_IOMMU);
	case SPAPR_MODEL_OP_SET_IOMMU: return -1;	/* separate test */
	case SPAPR_MODEL_OP_GET_INFO: return mt_get_info(m, c, &info);
	case SPAPR_MODEL_OP_REGISTER_MEMORY: return mt_reg(m, c, MT_VA1, MT_MIB);
	case SPAPR_MODEL_OP_UNREGISTER_MEMORY: return mt_unreg(m, c, MT_VA0, 16 * MT_MIB);
	case SPAPR_MODEL_OP_TCE_CREATE: return mt_create_win(m, c, 21, MT_TIB, 1, NULL);
	case SPAPR_MODEL_OP_TCE_REMOVE: return mt_remove(m, c, 0);
	case SPAPR_MODEL_OP_MAP_DMA: return mt_map(m, c, MT_VA0, 2 * PG64K, PG64K, MT_RW);
	case SPAPR_MODEL_OP_UNMAP_DMA: return mt_unmap(m, c, 0, PG64K);
	case SPAPR_MODEL_OP_EEH_PE_OP: return mt_eeh(m, c, VFIO_EEH_PE_GET_STATE);
	default: return -1;
	}
}

/* Every container/group ioctl: injected on the 1st call -> returns the
 * injected errno, nothing changes; the next call works. */
static void fi_ioctl_on_entry_no_state_change(void)
{
	for (int op = 0; op <= SPAPR_MODEL_OP_EEH_PE_OP; op++) {
		int c, gh[2], rc;
		struct spapr_model *m;
		struct snap a, b;

		if (op == SPAPR_MODEL_OP_SET_IOMMU || op == SPAPR_MODEL_OP_ENABLE ||
		    op == SPAPR_MODEL_OP_DISABLE)
			continue;
		m = setup(&c, gh);
		take(m, c, &a);
		T_ERR(spapr_model_fault_inject(m, (enum spapr_model_op)op, 1, INJ, 1), 0);
		rc = call(m, (enum spapr_model_op)op, c, gh);
		if (rc != -INJ)
			fprintf(stderr, "  op %s: %d\n",
				spapr_model_op_name((enum spapr_model_op)op), rc);
		T_ERR(rc, -INJ);
		take(m, c, &b);
		same(&a, &b);
		T_EQ(spapr_model_faults_fired(m), 1);
		/* the rule is used up: the same call now succeeds */
		rc = call(m, (enum spapr_model_op)op, c, gh);
		T_CHECK(rc >= 0);
		spapr_model_destroy(m);
	}
}

/* SET_IOMMU, ENABLE, DISABLE need their own states. */
static void fi_set_iommu_enable_disable(void)
{
	struct spapr_model *m = mt_model("powernv9");
	const struct spapr_backend_ops *o = mt_ops(m);
	int c = mt_open(m, 1, 0, NULL);
	struct snap a, b;

	take(m, c, &a);
	T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_SET_IOMMU, 1, INJ, 1), 0);
	T_ERR(o->set_iommu(MT_BE(m), c, VFIO_SPAPR_TCE_IOMMU), -INJ);
	take(m, c, &b);
	same(&a, &b);
	T_ERR(o->set_iommu(MT_BE(m), c, VFIO_SPAPR_TCE_IOMMU), 0);

	take(m, c, &a);
	T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_ENABLE, 1, INJ, 1), 0);
	T_ERR(o->enable(MT_BE(m), c), -INJ);
	take(m, c, &b);
	same(&a, &b);
	T_ERR(o->enable(MT_BE(m), c), 0);
	T_EQU(mt_locked(m), 32768);	/* 2 GiB dma32 window, §3.4 */

	take(m, c, &a);
	T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_DISABLE, 1, INJ, 1), 0);
	T_ERR(o->disable(MT_BE(m), c), -INJ);
	take(m, c, &b);
	same(&a, &b);
	T_ERR(o->disable(MT_BE(m), c), 0);
	T_EQU(mt_locked(m), 0);
	spapr_model_destroy(m);
}

/* nth and count: calls 3 and 4 fail, 2 and 5 work; natural errno = -EIO. */
static void fi_nth_and_count(void)
{
	int c, gh[2];
	struct spapr_model *m = setup(&c, gh);
	struct vfio_iommu_spapr_tce_info info;
	char err[256];

	T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_GET_INFO, 3, 0, 2), 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_ERR(mt_get_info(m, c, &info), -EIO);
	T_ERR(mt_get_info(m, c, &info), -EIO);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQ(spapr_model_faults_fired(m), 2);
	/* text rules, all or none */
	T_ERR(spapr_model_fault_parse(m, "get_info:1:ENOMEM:2;map_dma:1:7", err,
				      sizeof(err)), 0);
	T_ERR(mt_get_info(m, c, &info), -ENOMEM);
	T_ERR(mt_get_info(m, c, &info), -ENOMEM);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_ERR(mt_map(m, c, MT_VA0, 0, PG64K, MT_RW), -7);
	T_CHECK(spapr_model_fault_parse(m, "get_info:1,bogus_op:1", err,
					  sizeof(err)) < 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_GET_INFO, 1, INJ, 1), 0);
	spapr_model_fault_clear(m);
	T_ERR(mt_get_info(m, c, &info), 0);
	spapr_model_destroy(m);
}

/* level_alloc during CREATE: create_table fails with -ENOMEM after the
 * charge; the charge leaks with the quirk on (§3.6.8), else it is undone. */
static void fi_level_alloc_create(void)
{
	for (int quirk = 0; quirk < 2; quirk++) {
		struct spapr_model_profile p;
		struct spapr_model *m;
		int c;
		uint64_t before;

		mt_profile("powernv9", &p);
		p.memlock_limit = SPAPR_MODEL_UNLIMITED;
		p.quirk_leak_failed_create = quirk;
		m = mt_create(&p);
		c = mt_open_v2(m, 1, NULL);
		T_ERR(mt_remove(m, c, 0), 0);
		before = mt_locked(m);
		T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_LEVEL_ALLOC, 1, 0, 1), 0);
		T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), -ENOMEM);
		T_CHECK(!mt_cinfo(m, c).windows[0].present);
		T_EQU(mt_locked(m) - before,
		      quirk ? mt_pnv_charge(16, MT_GIB, 1, 16) >> 16 : 0);
		T_EQU(mt_mm(m, 0).leaked_pages,
		      quirk ? mt_pnv_charge(16, MT_GIB, 1, 16) >> 16 : 0);
		mt_invariants(m);
		T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, NULL), 0);
		spapr_model_destroy(m);
	}
}

/* level_alloc during MAP on a 2-level window: the pages this call already
 * wrote are cleared again (§3.8 step 10); earlier mappings stay. */
static void fi_level_alloc_map_rollback(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = mt_open_v2(m, 1, NULL);
	const uint64_t block = 8192 * PG64K;	/* one 64 KiB leaf = 512 MiB */
	uint64_t start;
	struct spapr_model_region_info r[2];
	struct spapr_model_window_info w;

	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_TIB, 2, &start), 0);
	T_ERR(mt_map(m, c, MT_VA0, start, PG64K, MT_RW), 0);
	w = mt_cinfo(m, c).windows[0];
	T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_LEVEL_ALLOC, 1, 0, 1), 0);
	/* 2 pages in block 0 (allocated), the 3rd needs block 1 */
	T_ERR(mt_map(m, c, MT_VA0 + PG64K, start + block - 2 * PG64K, 4 * PG64K,
		     MT_RW), -ENOMEM);
	T_EQU(mt_cinfo(m, c).windows[0].tces_in_use, 1);
	T_EQU(mt_tce(m, c, 0, ((start + block) >> 16) - 2), 0);
	T_EQU(mt_tce(m, c, 0, ((start + block) >> 16) - 1), 0);
	T_CHECK(mt_tce(m, c, 0, start >> 16) != 0);
	T_EQU(mt_cinfo(m, c).windows[0].bytes_charged, w.bytes_charged);
	T_EQ(spapr_model_mm_regions(m, 0, r, 2), 1);
	/* 1 + the surviving TCE + 1 leaked: the kernel increments the region's
	 * mapped count before the exchange and, when the exchange fails,
	 * tce_iommu_unuse_page_v2() looks at the still-empty view entry and
	 * never decrements it (VST tce_iommu_build_v2, code reading). */
	T_EQU(r[0].mapped, 3);
	mt_invariants(m);
	/* without the fault the same MAP works */
	T_ERR(mt_map(m, c, MT_VA0 + PG64K, start + block - 2 * PG64K, 4 * PG64K,
		     MT_RW), 0);
	T_EQU(mt_cinfo(m, c).windows[0].tces_in_use, 5);
	spapr_model_destroy(m);
}

/* pin during REGISTER: -EFAULT, locked_vm back to before, no region, the
 * container stays disabled (MAP -EPERM). */
static void fi_pin_register(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = mt_open_v2(m, 1, NULL);
	uint64_t before;

	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	before = mt_locked(m);
	T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_PIN, 1, 0, 1), 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), -EFAULT);
	T_EQU(mt_locked(m), before);
	T_EQ(mt_mm(m, 0).regions, 0);
	T_CHECK(!mt_cinfo(m, c).enabled);
	T_ERR(mt_map(m, c, MT_VA0, 0, PG64K, MT_RW), -EPERM);
	mt_invariants(m);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	T_EQU(mt_locked(m) - before, 256);
	spapr_model_destroy(m);
}

/* hcall failure on pseries in the middle of a MAP: error returned, this
 * call's entries rolled back. */
static void fi_hcall_pseries_map(void)
{
	struct spapr_model *m = mt_model("pseries-kvm");
	int c = mt_open_v2(m, 1, NULL);
	uint64_t start;
	int slot;

	mt_vma(m, MT_VA0, 16 * MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA0, 16 * MT_MIB), 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &start), 0);
	slot = mt_slot_of(m, c, start);
	T_CHECK(slot >= 0);
	/* the 3rd hcall fails: page 2's H_GET_TCE (or page 3 if the model
	 * counts the H_GET_TCE/H_PUT_TCE pair as one point) -- either way
	 * after at least one page was written by this call */
	T_ERR(spapr_model_fault_inject(m, SPAPR_MODEL_OP_HCALL, 3, 0, 1), 0);
	T_ERR(mt_map(m, c, MT_VA0, start, 4 * PG64K, MT_RW), -EIO);
	T_EQU(mt_cinfo(m, c).windows[slot < 0 ? 0 : slot].tces_in_use, 0);
	T_EQU(mt_tce(m, c, (unsigned int)(slot < 0 ? 0 : slot), start >> 16), 0);
	mt_invariants(m);
	T_ERR(mt_map(m, c, MT_VA0, start, 4 * PG64K, MT_RW), 0);
	spapr_model_destroy(m);
}

/* SPAPR_MODEL_FAULTS is read by spapr_model_create. */
static void fi_environment_variable(void)
{
	struct spapr_model *m;
	int c, gh[2];
	struct vfio_iommu_spapr_tce_info info;

	setenv("SPAPR_MODEL_FAULTS", "get_info:2:EXDEV", 1);
	m = setup(&c, gh);
	unsetenv("SPAPR_MODEL_FAULTS");
	T_ERR(mt_get_info(m, c, &info), 0);
	T_ERR(mt_get_info(m, c, &info), -EXDEV);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQ(spapr_model_faults_fired(m), 1);
	spapr_model_destroy(m);
	/* a bad value arms nothing and is reported, naming the variable */
	setenv("SPAPR_MODEL_FAULTS", "get_info:2:EXDEV,bogus_op:1", 1);
	{
		struct spapr_model_profile p;
		char err[1024] = "";

		mt_profile("powernv9", &p);
		errno = 0;
		T_CHECK(spapr_model_create_err(&p, err, sizeof(err)) == NULL);
		T_EQ(errno, EINVAL);
		T_CHECK(strstr(err, "SPAPR_MODEL_FAULTS") != NULL);
		T_CHECK(strstr(err, "'bogus_op:1': unknown op") != NULL);
		T_CHECK(spapr_model_create(&p) == NULL);
	}
	unsetenv("SPAPR_MODEL_FAULTS");
	/* a model created after unsetenv has no rule */
	m = setup(&c, gh);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_ERR(mt_get_info(m, c, &info), 0);
	T_EQ(spapr_model_faults_fired(m), 0);
	spapr_model_destroy(m);
}

int main(void)
{
	T_RUN(fi_ioctl_on_entry_no_state_change);
	T_RUN(fi_set_iommu_enable_disable);
	T_RUN(fi_nth_and_count);
	T_RUN(fi_level_alloc_create);
	T_RUN(fi_level_alloc_map_rollback);
	T_RUN(fi_pin_register);
	T_RUN(fi_hcall_pseries_map);
	T_RUN(fi_environment_variable);
	return t_finish();
}
