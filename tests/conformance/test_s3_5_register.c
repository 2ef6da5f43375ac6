/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * §3.5 VFIO_IOMMU_SPAPR_REGISTER_MEMORY / UNREGISTER_MEMORY (v2).
 * REGISTER order: mm -EPERM (binds) / copy-in -EFAULT / argsz -EINVAL /
 * flags -EINVAL / system-page alignment + wrap -EINVAL / exact match
 * (-EBUSY in this container, else shared) / memlock -ENOMEM (before the
 * pin) / pin -EFAULT / overlap -EINVAL (after the pin) / pageshift.
 * UNREGISTER order: mm -EPERM / never bound -EPERM / copy-in / argsz /
 * flags / alignment / -ENOENT / still-mapped quirk.
 */
#include "conformance_util.h"

static struct spapr_model_region_info region_of(struct cf *f, uint64_t ua)
{
	struct spapr_model_region_info r;

	memset(&r, 0, sizeof(r));
	T_CHECK(cf_region(f, 0, ua, &r));
	return r;
}

static void v2_host(struct cf *f, const char *profile)
{
	cf_init(f, profile);
	cf_std_vmas(f, 0);
	cf_setup(f, CF_V2);
}

/* A second container on group @gi of the same host (same mm). */
static int second_container(struct cf *f, int gi)
{
	cf_ensure_groups(f, (unsigned int)gi + 1);
	int c2 = f->o->container_open(f->be);
	T_CHECK(c2 >= 0);
	cf_group_open(f, gi);
	T_ERR(f->o->group_set_container(f->be, f->g[gi], c2), 0);
	T_ERR(f->o->set_iommu(f->be, c2, CF_V2), 0);
	return c2;
}

static int reg_on(struct cf *f, int c, uint64_t va, uint64_t size)
{
	int save = f->c, r;

	f->c = c;
	r = cf_reg(f, va, size);
	f->c = save;
	return r;
}

static int unreg_on(struct cf *f, int c, uint64_t va, uint64_t size)
{
	int save = f->c, r;

	f->c = c;
	r = cf_unreg(f, va, size);
	f->c = save;
	return r;
}

static void s3_5_register_success_charges_and_enables(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_EQ(cf_ci(&f).enabled, false);
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.enabled, true);
	T_EQ(ci.mm, 0);
	T_EQU(cf_locked(&f, 0), (4 * SZ_2M) >> 16);
	struct spapr_model_region_info r = region_of(&f, VA_HUGE);
	T_EQU(r.size, 4 * SZ_2M);
	T_EQ(r.pageshift, 21);
	T_EQU(r.used, 1);
	T_EQU(r.mapped, 1);
	T_EQ(r.orphaned, false);
	struct spapr_model_mm_info mi = cf_mm(&f, 0);
	T_EQ(mi.regions, 1);
	T_EQU(mi.registered_bytes, 4 * SZ_2M);
	CF_INVARIANTS(&f);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	/* enabled is never cleared again (only REGISTER sets it). */
	T_EQ(cf_ci(&f).enabled, true);
	cf_done(&f);
}

static void s3_5_register_other_mm_eperm_before_everything(void)
{
	struct cf f;
	struct vfio_iommu_spapr_register_memory r = {
		.argsz = sizeof(r), .flags = 1, .vaddr = VA_HUGE + 1, .size = 3 };

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	int child = spapr_model_mm_create(f.m, SPAPR_MODEL_UNLIMITED, false);
	cf_std_vmas(&f, child);
	T_ERR(spapr_model_set_current_mm(f.m, child), 0);
	T_ERR(f.o->register_memory(f.be, f.c, &r), -EPERM);	/* bad flags too */
	T_ERR(f.o->register_memory(f.be, f.c, NULL), -EPERM);
	T_ERR(cf_reg(&f, VA_HUGE + 16 * SZ_2M, SZ_2M), -EPERM);
	T_ERR(f.o->unregister_memory(f.be, f.c, &r), -EPERM);
	T_ERR(f.o->unregister_memory(f.be, f.c, NULL), -EPERM);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), -EPERM);
	T_EQ(cf_mm(&f, child).regions, 0);
	T_EQU(cf_locked(&f, child), 0);
	T_ERR(spapr_model_set_current_mm(f.m, 0), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	cf_done(&f);
}

static void s3_5_register_null_efault_after_binding(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_EQ(cf_ci(&f).mm, -1);
	T_ERR(f.o->register_memory(f.be, f.c, NULL), -EFAULT);
	struct spapr_model_container_info ci = cf_ci(&f);
	T_EQ(ci.mm, 0);		/* tce_iommu_mm_set runs before the copy-in */
	T_EQ(ci.enabled, false);
	cf_done(&f);
}

static void s3_5_register_argsz_and_flags_einval(void)
{
	struct cf f;
	struct vfio_iommu_spapr_register_memory r;

	v2_host(&f, "powernv9");
	for (uint32_t argsz = 0; argsz < 24; argsz += 23) {
		r = (struct vfio_iommu_spapr_register_memory){
			.argsz = argsz, .vaddr = VA_HUGE, .size = SZ_2M };
		T_ERR(f.o->register_memory(f.be, f.c, &r), -EINVAL);
	}
	r = (struct vfio_iommu_spapr_register_memory){
		.argsz = 24, .flags = 1, .vaddr = VA_HUGE, .size = SZ_2M };
	T_ERR(f.o->register_memory(f.be, f.c, &r), -EINVAL);
	r.flags = 0x80000000u;
	T_ERR(f.o->register_memory(f.be, f.c, &r), -EINVAL);
	/* flags checked before the memlock charge */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	T_ERR(f.o->register_memory(f.be, f.c, &r), -EINVAL);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, SPAPR_MODEL_UNLIMITED, false), 0);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_ci(&f).enabled, false);
	/* A larger argsz is fine. */
	r = (struct vfio_iommu_spapr_register_memory){
		.argsz = 4096, .flags = 0, .vaddr = VA_HUGE, .size = SZ_2M };
	T_ERR(f.o->register_memory(f.be, f.c, &r), 0);
	T_ERR(f.o->unregister_memory(f.be, f.c, &r), 0);
	cf_done(&f);
}

static void s3_5_register_system_page_alignment_64k(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_EQ(f.sys_shift, 16);
	/* 4 KiB alignment is not enough on a 64 KiB kernel (trap §10.6). */
	T_ERR(cf_reg(&f, VA_SMALL + SZ_4K, SZ_64K), -EINVAL);
	T_ERR(cf_reg(&f, VA_SMALL, SZ_4K), -EINVAL);
	T_ERR(cf_reg(&f, VA_SMALL, SZ_64K + SZ_4K), -EINVAL);
	/* alignment before memlock: still -EINVAL with no room */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	T_ERR(cf_reg(&f, VA_SMALL + SZ_4K, SZ_64K), -EINVAL);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, SPAPR_MODEL_UNLIMITED, false), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	T_ERR(cf_reg(&f, VA_SMALL + SZ_64K, SZ_64K), 0);
	T_EQU(cf_locked(&f, 0), 1);
	T_ERR(cf_unreg(&f, VA_SMALL + SZ_64K, SZ_64K), 0);
	cf_done(&f);
}

static void s3_5_register_system_page_alignment_4k(void)
{
	struct cf f;

	v2_host(&f, "powernv9-4k");
	T_EQ(f.sys_shift, 12);
	T_ERR(cf_reg(&f, VA_SMALL + 0x800, SZ_4K), -EINVAL);
	T_ERR(cf_reg(&f, VA_SMALL, 0x800), -EINVAL);
	T_ERR(cf_reg(&f, VA_SMALL + SZ_4K, SZ_4K), 0);
	T_EQU(cf_locked(&f, 0), 1);
	struct spapr_model_region_info r = region_of(&f, VA_SMALL + SZ_4K);
	T_EQ(r.pageshift, 12);
	T_ERR(cf_unreg(&f, VA_SMALL + SZ_4K, SZ_4K), 0);
	cf_done(&f);
}

static void s3_5_register_wrap_einval(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, 0xFFFFFFFFFFFF0000ull, 2 * SZ_64K), -EINVAL);
	T_ERR(cf_reg(&f, 0xFFFFFFFFFFFF0000ull, 0xFFFFFFFFFFFF0000ull), -EINVAL);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_ci(&f).enabled, false);
	cf_done(&f);
}

static void s3_5_register_exact_match_same_container_ebusy(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	uint64_t locked = cf_locked(&f, 0);
	/* exact match is looked up before any charge: -EBUSY even with no room */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), -EBUSY);
	T_EQU(cf_locked(&f, 0), locked);
	T_EQU(region_of(&f, VA_HUGE).used, 1);
	T_EQ(cf_mm(&f, 0).regions, 1);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	cf_done(&f);
}

static void s3_5_register_exact_match_shared_across_containers(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	int c2 = second_container(&f, 1);
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	uint64_t locked = cf_locked(&f, 0);
	/* No room for a new charge: sharing needs none. */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);
	struct spapr_model_counters before, after;
	spapr_model_counters(f.m, &before);
	T_ERR(reg_on(&f, c2, VA_HUGE, 4 * SZ_2M), 0);
	spapr_model_counters(f.m, &after);
	T_EQU(after.pages_pinned, before.pages_pinned);	/* no new pinning */
	T_EQU(cf_locked(&f, 0), locked);
	T_EQU(region_of(&f, VA_HUGE).used, 2);
	T_EQ(cf_mm(&f, 0).regions, 1);
	struct spapr_model_container_info ci2;
	T_EQ(spapr_model_container_info(f.m, c2, &ci2), 0);
	T_EQ(ci2.enabled, true);
	T_EQ(ci2.mm, 0);
	/* The second container now also references it: -EBUSY there. */
	T_ERR(reg_on(&f, c2, VA_HUGE, 4 * SZ_2M), -EBUSY);
	/* First unregister drops one reference only. */
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_EQU(region_of(&f, VA_HUGE).used, 1);
	T_EQU(cf_locked(&f, 0), locked);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), -ENOENT);
	T_ERR(unreg_on(&f, c2, VA_HUGE, 4 * SZ_2M), 0);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	CF_INVARIANTS(&f);
	T_ERR(f.o->close(f.be, f.g[1]), 0);
	f.g[1] = -1;
	T_ERR(f.o->close(f.be, c2), 0);
	cf_done(&f);
}

static void s3_5_register_partial_overlap_einval_nothing_charged(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	int c2 = second_container(&f, 1);
	T_ERR(cf_reg(&f, VA_HUGE + 2 * SZ_2M, 4 * SZ_2M), 0);
	uint64_t locked = cf_locked(&f, 0);
	T_ERR(cf_reg(&f, VA_HUGE + 4 * SZ_2M, 4 * SZ_2M), -EINVAL);	/* tail */
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), -EINVAL);		/* head */
	T_ERR(cf_reg(&f, VA_HUGE, 8 * SZ_2M), -EINVAL);		/* superset */
	T_ERR(cf_reg(&f, VA_HUGE + 2 * SZ_2M, 2 * SZ_2M), -EINVAL);	/* subset */
	T_ERR(cf_reg(&f, VA_HUGE + 3 * SZ_2M, SZ_64K), -EINVAL);	/* inside */
	/* Regions are per mm: overlapping another container's region too. */
	T_ERR(reg_on(&f, c2, VA_HUGE + 5 * SZ_2M, 2 * SZ_2M), -EINVAL);
	T_EQU(cf_locked(&f, 0), locked);
	T_EQ(cf_mm(&f, 0).regions, 1);
	/* Adjacent is not overlapping. */
	T_ERR(cf_reg(&f, VA_HUGE, 2 * SZ_2M), 0);
	T_ERR(cf_reg(&f, VA_HUGE + 6 * SZ_2M, SZ_2M), 0);
	T_EQ(cf_mm(&f, 0).regions, 3);
	T_ERR(cf_unreg(&f, VA_HUGE, 2 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE + 6 * SZ_2M, SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE + 2 * SZ_2M, 4 * SZ_2M), 0);
	T_ERR(f.o->close(f.be, f.g[1]), 0);
	f.g[1] = -1;
	T_ERR(f.o->close(f.be, c2), 0);
	cf_done(&f);
}

static void s3_5_register_overlap_order_memlock_then_pin_then_overlap(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	uint64_t locked = cf_locked(&f, 0);
	/* overlapping AND over memlock: the charge comes first -> -ENOMEM */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, locked << 16, false), 0);
	T_ERR(cf_reg(&f, VA_HUGE + SZ_2M, 4 * SZ_2M), -ENOMEM);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, SPAPR_MODEL_UNLIMITED, false), 0);
	/* overlapping AND running into a hole: the pin comes first. The pin
	 * stops at the hole after 128 pages and mm_iommu_do_alloc
	 * (arch/powerpc/mm/book3s64/iommu_api.c) only turns a 0 return of
	 * pin_user_pages into -EFAULT: a partial pin returns the positive
	 * count of the last chunk to userspace (everything is undone). */
	const uint64_t end = VA_HUGE + VA_LEN;
	T_ERR(cf_reg(&f, end - 4 * SZ_2M, 4 * SZ_2M), 0);
	T_ERR(cf_reg(&f, end - 4 * SZ_2M, 6 * SZ_2M), (4 * SZ_2M) >> 16);
	/* a hole at the very start: pin_user_pages fails -> -EFAULT */
	T_ERR(cf_reg(&f, end, 2 * SZ_2M), -EFAULT);
	/* overlapping, pinnable: -EINVAL, after a full pin pass */
	struct spapr_model_counters before, after;
	spapr_model_counters(f.m, &before);
	T_ERR(cf_reg(&f, VA_HUGE + SZ_2M, 4 * SZ_2M), -EINVAL);
	spapr_model_counters(f.m, &after);
	T_EQU(after.pages_pinned - before.pages_pinned, (4 * SZ_2M) >> 16);
	T_EQU(cf_locked(&f, 0), locked + ((4 * SZ_2M) >> 16));
	T_ERR(cf_unreg(&f, end - 4 * SZ_2M, 4 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	cf_done(&f);
}

static void s3_5_register_holes_readonly_unpinnable_efault(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	cf_vma(&f, 0, 0x7a0000000000ull, SZ_2M, 16, SPAPR_MODEL_VMA_UNPINNABLE);
	T_ERR(cf_reg(&f, 0x100000000ull, SZ_2M), -EFAULT);		/* nothing mapped */
	T_ERR(cf_reg(&f, VA_HUGE - SZ_64K, 2 * SZ_64K), -EFAULT);	/* starts in a hole */
	/* ends in a hole: 1 page pinned, and that 1 is returned (kernel
	 * mm_iommu_do_alloc: "if (!ret) ret = -EFAULT" only for 0) */
	T_ERR(cf_reg(&f, VA_HUGE + VA_LEN - SZ_64K, 2 * SZ_64K), 1);
	T_ERR(cf_reg(&f, VA_RO, SZ_2M), -EFAULT);			/* FOLL_WRITE */
	T_ERR(cf_reg(&f, 0x7a0000000000ull, SZ_2M), -EFAULT);
	/* Everything undone: no charge, no region, not enabled. */
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	T_EQ(cf_ci(&f).enabled, false);
	T_ERR(cf_map(&f, VA_HUGE, 0, SZ_4K, CF_RW), -EPERM);
	CF_INVARIANTS(&f);
	/* Injected pin failure: natural error -EFAULT, nothing left. */
	T_ERR(spapr_model_fault_inject(f.m, SPAPR_MODEL_OP_PIN, 1, 0, 1), 0);
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), -EFAULT);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	cf_done(&f);
}

static void s3_5_register_memlock_enomem_before_pin(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 4 * SZ_2M - SZ_64K, false), 0);
	struct spapr_model_counters before, after;
	spapr_model_counters(f.m, &before);
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), -ENOMEM);
	/* charged before pinning: nothing was pinned */
	spapr_model_counters(f.m, &after);
	T_EQU(after.pages_pinned, before.pages_pinned);
	/* over the limit AND a hole: -ENOMEM (charge first) */
	T_ERR(cf_reg(&f, 0x100000000ull, 4 * SZ_2M), -ENOMEM);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_ci(&f).enabled, false);
	T_EQ(cf_ci(&f).mm, 0);
	/* inclusive limit */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 4 * SZ_2M, false), 0);
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_EQU(cf_locked(&f, 0), 128);
	T_ERR(cf_reg(&f, VA_HUGE + 8 * SZ_2M, SZ_64K), -ENOMEM);
	/* CAP_IPC_LOCK skips the check, still charges */
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, true), 0);
	T_ERR(cf_reg(&f, VA_HUGE + 8 * SZ_2M, SZ_64K), 0);
	T_EQU(cf_locked(&f, 0), 129);
	T_ERR(cf_unreg(&f, VA_HUGE + 8 * SZ_2M, SZ_64K), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	cf_done(&f);
}

static void expect_pageshift(struct cf *f, uint64_t va, uint64_t size, unsigned int want)
{
	T_ERR(cf_reg(f, va, size), 0);
	struct spapr_model_region_info r;
	memset(&r, 0, sizeof(r));
	T_CHECK(cf_region(f, 0, va, &r));
	T_EQ(r.pageshift, want);
	if (r.pageshift != want)
		fprintf(stderr, "  region 0x%llx+0x%llx\n", (unsigned long long)va,
			(unsigned long long)size);
	T_ERR(cf_unreg(f, va, size), 0);
}

static void s3_5_register_pageshift_rule(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	/* hugetlb: min(alignment of ua|size, huge page shift) */
	expect_pageshift(&f, VA_HUGE, 4 * SZ_2M, 21);
	expect_pageshift(&f, VA_HUGE, SZ_2M, 21);
	expect_pageshift(&f, VA_HUGE + SZ_2M, 8 * SZ_2M, 21);
	expect_pageshift(&f, VA_HUGE + 0x100000, 0x100000, 20);
	expect_pageshift(&f, VA_HUGE + SZ_64K, SZ_64K, 16);
	expect_pageshift(&f, VA_HUGE, 3 * SZ_64K, 16);
	/* THP / normal pages: PAGE_SHIFT, whatever the alignment */
	expect_pageshift(&f, VA_THP, 4 * SZ_2M, 16);
	expect_pageshift(&f, VA_SMALL, 4 * SZ_2M, 16);
	/* candidate not reset per page: huge first, then normal -> 21 */
	cf_vma(&f, 0, VA_MIX, SZ_2M, 21, SPAPR_MODEL_VMA_HUGETLB);
	cf_vma(&f, 0, VA_MIX + SZ_2M, SZ_2M, 16, 0);
	expect_pageshift(&f, VA_MIX, 2 * SZ_2M, 21);
	/* normal first, then huge -> PAGE_SHIFT */
	uint64_t mix2 = VA_MIX + 0x100000000ull;
	cf_vma(&f, 0, mix2, SZ_2M, 16, 0);
	cf_vma(&f, 0, mix2 + SZ_2M, SZ_2M, 21, SPAPR_MODEL_VMA_HUGETLB);
	expect_pageshift(&f, mix2, 2 * SZ_2M, 16);
	cf_done(&f);

	v2_host(&f, "powernv9-4k");
	expect_pageshift(&f, VA_SMALL, 4 * SZ_2M, 12);
	expect_pageshift(&f, VA_THP, 4 * SZ_2M, 12);
	expect_pageshift(&f, VA_HUGE, 4 * SZ_2M, 21);
	expect_pageshift(&f, VA_HUGE + SZ_64K, SZ_64K, 16);
	expect_pageshift(&f, VA_HUGE + SZ_4K, SZ_4K, 12);
	cf_done(&f);
}

static void s3_5_register_size_zero_is_an_error(void)
{
	struct cf f;

	/* §3.5 step 3: not rejected explicitly, "treat as error". */
	v2_host(&f, "powernv9");
	int r = cf_reg(&f, VA_HUGE, 0);
	T_CHECK(r < 0);
	T_EQU(cf_locked(&f, 0), 0);
	T_EQ(cf_mm(&f, 0).regions, 0);
	cf_done(&f);
}

static void s3_5_unregister_order(void)
{
	struct cf f;
	struct vfio_iommu_spapr_register_memory r;

	v2_host(&f, "powernv9");
	/* never bound: -EPERM before copy-in and arg checks */
	T_ERR(f.o->unregister_memory(f.be, f.c, NULL), -EPERM);
	r = (struct vfio_iommu_spapr_register_memory){ .argsz = 1, .flags = 1 };
	T_ERR(f.o->unregister_memory(f.be, f.c, &r), -EPERM);
	T_EQ(cf_ci(&f).mm, -1);	/* UNREGISTER does not bind */
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_ERR(f.o->unregister_memory(f.be, f.c, NULL), -EFAULT);
	r = (struct vfio_iommu_spapr_register_memory){
		.argsz = 23, .vaddr = VA_HUGE, .size = 4 * SZ_2M };
	T_ERR(f.o->unregister_memory(f.be, f.c, &r), -EINVAL);
	r = (struct vfio_iommu_spapr_register_memory){
		.argsz = 24, .flags = 2, .vaddr = VA_HUGE, .size = 4 * SZ_2M };
	T_ERR(f.o->unregister_memory(f.be, f.c, &r), -EINVAL);
	/* misaligned and not registered: -EINVAL before -ENOENT */
	T_ERR(cf_unreg(&f, VA_HUGE + SZ_4K, SZ_64K), -EINVAL);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_64K + SZ_4K), -EINVAL);
	/* no bisecting: sub-range, superset, shifted -> -ENOENT */
	T_ERR(cf_unreg(&f, VA_HUGE, 2 * SZ_2M), -ENOENT);
	T_ERR(cf_unreg(&f, VA_HUGE + SZ_2M, 3 * SZ_2M), -ENOENT);
	T_ERR(cf_unreg(&f, VA_HUGE, 8 * SZ_2M), -ENOENT);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_64K), -ENOENT);
	T_EQU(region_of(&f, VA_HUGE).used, 1);
	T_EQU(cf_locked(&f, 0), 128);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), -ENOENT);
	T_EQU(cf_locked(&f, 0), 0);
	cf_done(&f);
}

static void s3_5_unregister_region_of_other_container_enoent(void)
{
	struct cf f;

	v2_host(&f, "powernv9");
	int c2 = second_container(&f, 1);
	T_ERR(reg_on(&f, c2, VA_HUGE, 4 * SZ_2M), 0);
	/* c1 is bound (needs a REGISTER of its own to have an mm) */
	T_ERR(cf_reg(&f, VA_SMALL, SZ_64K), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), -ENOENT);
	T_EQU(region_of(&f, VA_HUGE).used, 1);
	T_ERR(unreg_on(&f, c2, VA_HUGE, 4 * SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_64K), 0);
	T_ERR(f.o->close(f.be, f.g[1]), 0);
	f.g[1] = -1;
	T_ERR(f.o->close(f.be, c2), 0);
	cf_done(&f);
}

/* REGISTER 4 x 2M, REMOVE pending, CREATE a 2M-page window at 0, MAP 2M. */
static void mapped_region(struct cf *f, uint64_t *start)
{
	T_ERR(cf_reg(f, VA_HUGE, 4 * SZ_2M), 0);
	T_ERR(cf_remove(f, 0), 0);
	T_ERR(cf_create(f, 21, SZ_1G, 1, start), 0);
	T_ERR(cf_map(f, VA_HUGE + SZ_2M, *start, SZ_2M, CF_RW), 0);
	T_EQU(region_of(f, VA_HUGE).mapped, 2);
}

static void s3_5_unregister_still_mapped_quirk_orphans(void)
{
	struct cf f;
	uint64_t start;

	v2_host(&f, "powernv9");
	T_EQ(f.p.quirk_unregister_orphans, true);
	mapped_region(&f, &start);
	uint64_t locked = cf_locked(&f, 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	/* gone from the container, still in the mm: pinned, charged, used 1 */
	struct spapr_model_region_info r = region_of(&f, VA_HUGE);
	T_EQ(r.orphaned, true);
	T_EQU(r.used, 1);
	T_EQU(r.mapped, 2);
	struct spapr_model_mm_info mi = cf_mm(&f, 0);
	T_EQ(mi.regions, 1);
	T_EQ(mi.orphaned_regions, 1);
	T_EQU(cf_locked(&f, 0), locked);
	T_CHECK(cf_tce(&f, 0, start >> 21) != 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), -ENOENT);
	CF_INVARIANTS(&f);
	/* Release never frees it: the region's pages stay charged (leak). */
	cf_done_expect(&f, (4 * SZ_2M) >> 16);
}

static void s3_5_unregister_still_mapped_ebusy_without_quirk(void)
{
	struct spapr_model_profile p;
	struct cf f;
	uint64_t start;

	cf_profile("powernv9", &p);
	p.quirk_unregister_orphans = false;
	cf_init_profile(&f, &p);
	cf_std_vmas(&f, 0);
	cf_setup(&f, CF_V2);
	mapped_region(&f, &start);
	uint64_t locked = cf_locked(&f, 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), -EBUSY);
	struct spapr_model_region_info r = region_of(&f, VA_HUGE);
	T_EQ(r.orphaned, false);
	T_EQU(r.used, 1);
	T_EQU(cf_locked(&f, 0), locked);
	T_ERR(cf_unmap(&f, start, SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_EQU(cf_locked(&f, 0), locked - 128);
	T_EQ(cf_mm(&f, 0).regions, 0);
	cf_done(&f);
}

static void s3_5_unregister_after_unmap_frees(void)
{
	struct cf f;
	uint64_t start;

	v2_host(&f, "powernv9");
	mapped_region(&f, &start);
	uint64_t locked = cf_locked(&f, 0);
	T_ERR(cf_unmap(&f, start, SZ_2M), 0);
	T_EQU(region_of(&f, VA_HUGE).mapped, 1);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_EQU(cf_locked(&f, 0), locked - 128);
	T_EQ(cf_mm(&f, 0).orphaned_regions, 0);
	cf_done(&f);
}


static void s3_5_orphan_reregistered_is_shared_and_never_freed(void)
{
	struct cf f;
	uint64_t start;

	/*
	 * API mm_iommu_put: the swallowed -EBUSY of the orphaning UNREGISTER
	 * left used = 1 with no owner. A later exact REGISTER finds it with
	 * mm_iommu_get (used 2, no new charge) and the next UNREGISTER only
	 * brings it back to used 1: the orphan can never be freed.
	 */
	v2_host(&f, "powernv9");
	mapped_region(&f, &start);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);	/* orphaned */
	T_ERR(cf_unmap(&f, start, SZ_1G), 0);
	struct spapr_model_region_info r = region_of(&f, VA_HUGE);
	T_EQU(r.mapped, 1);
	T_EQU(r.used, 1);
	uint64_t locked = cf_locked(&f, 0);
	T_ERR(spapr_model_mm_set_memlock(f.m, 0, 0, false), 0);	/* no new charge */
	T_ERR(cf_reg(&f, VA_HUGE, 4 * SZ_2M), 0);
	T_EQU(region_of(&f, VA_HUGE).used, 2);
	T_EQU(cf_locked(&f, 0), locked);
	T_ERR(cf_unreg(&f, VA_HUGE, 4 * SZ_2M), 0);
	r = region_of(&f, VA_HUGE);
	T_EQU(r.used, 1);
	T_EQ(cf_mm(&f, 0).regions, 1);
	T_EQU(cf_locked(&f, 0), locked);
	CF_INVARIANTS(&f);
	cf_done_expect(&f, (4 * SZ_2M) >> 16);
}


static void s3_5_regions_listed_newest_first(void)
{
	struct cf f;
	struct spapr_model_region_info r[4];

	/* API: list_add_rcu at the head of mm->context.iommu_group_mem_list;
	 * spapr_model_mm_regions() reports them in that (kernel) order. */
	v2_host(&f, "powernv9");
	T_ERR(cf_reg(&f, VA_HUGE, SZ_2M), 0);
	T_ERR(cf_reg(&f, VA_SMALL, SZ_64K), 0);
	T_ERR(cf_reg(&f, VA_HUGE + 4 * SZ_2M, SZ_2M), 0);
	memset(r, 0, sizeof(r));
	T_EQ(spapr_model_mm_regions(f.m, 0, r, 4), 3);
	T_EQU(r[0].ua, VA_HUGE + 4 * SZ_2M);
	T_EQU(r[1].ua, VA_SMALL);
	T_EQU(r[2].ua, VA_HUGE);
	T_EQ(spapr_model_mm_regions(f.m, 0, r, 1), 1);
	T_EQU(r[0].ua, VA_HUGE + 4 * SZ_2M);
	T_ERR(cf_unreg(&f, VA_SMALL, SZ_64K), 0);
	T_ERR(cf_unreg(&f, VA_HUGE, SZ_2M), 0);
	T_ERR(cf_unreg(&f, VA_HUGE + 4 * SZ_2M, SZ_2M), 0);
	cf_done(&f);
}

int main(void)
{
	T_RUN(s3_5_register_success_charges_and_enables);
	T_RUN(s3_5_register_other_mm_eperm_before_everything);
	T_RUN(s3_5_register_null_efault_after_binding);
	T_RUN(s3_5_register_argsz_and_flags_einval);
	T_RUN(s3_5_register_system_page_alignment_64k);
	T_RUN(s3_5_register_system_page_alignment_4k);
	T_RUN(s3_5_register_wrap_einval);
	T_RUN(s3_5_register_exact_match_same_container_ebusy);
	T_RUN(s3_5_register_exact_match_shared_across_containers);
	T_RUN(s3_5_register_partial_overlap_einval_nothing_charged);
	T_RUN(s3_5_register_overlap_order_memlock_then_pin_then_overlap);
	T_RUN(s3_5_register_holes_readonly_unpinnable_efault);
	T_RUN(s3_5_register_memlock_enomem_before_pin);
	T_RUN(s3_5_register_pageshift_rule);
	T_RUN(s3_5_register_size_zero_is_an_error);
	T_RUN(s3_5_unregister_order);
	T_RUN(s3_5_unregister_region_of_other_container_enoent);
	T_RUN(s3_5_unregister_still_mapped_quirk_orphans);
	T_RUN(s3_5_unregister_still_mapped_ebusy_without_quirk);
	T_RUN(s3_5_unregister_after_unmap_frees);
	T_RUN(s3_5_orphan_reregistered_is_shared_and_never_freed);
	T_RUN(s3_5_regions_listed_newest_first);
	return t_finish();
}
