/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_test.h - private helpers of the black-box host-model tests.
 *
 * The tests drive the model only through its backend ops (the ioctls) and
 * the public functions of spapr_model.h; nothing here knows the model's
 * internals. Every helper returns the backend's 0/-errno so tests can assert
 * on it; helpers that cannot fail usefully record a check failure instead.
 */
#ifndef MODEL_TEST_H
#define MODEL_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "spapr_model.h"
#include "test_util.h"

#define MT_KIB (1ull << 10)
#define MT_MIB (1ull << 20)
#define MT_GIB (1ull << 30)
#define MT_TIB (1ull << 40)
#define MT_BIT59 (1ull << 59)

/* Synthetic user addresses for VMAs (never dereferenced). */
#define MT_VA0 0x100000000000ull
#define MT_VA1 0x200000000000ull
#define MT_VA2 0x300000000000ull

/* Built-in profile @name, or skip-proof failure: a missing profile is a bug. */
static inline void mt_profile(const char *name, struct spapr_model_profile *p)
{
	int rc = spapr_model_profile_get(name, p);

	if (rc) {
		fprintf(stderr, "built-in profile '%s' missing: %d\n", name, rc);
		t_failures++;
		printf("%d checks, %d failed\n", t_checks, t_failures);
		exit(1);
	}
}

/* A model from @p with an unlimited memlock, so that only the test decides
 * what runs out of budget. */
static inline struct spapr_model *mt_create(struct spapr_model_profile *p)
{
	struct spapr_model *m = spapr_model_create(p);

	if (!m) {
		fprintf(stderr, "spapr_model_create(%s) failed: errno %d\n",
			p->name, errno);
		t_failures++;
		printf("%d checks, %d failed\n", t_checks, t_failures);
		exit(1);
	}
	return m;
}

static inline struct spapr_model *mt_model(const char *name)
{
	struct spapr_model_profile p;

	mt_profile(name, &p);
	p.memlock_limit = SPAPR_MODEL_UNLIMITED;
	p.cap_ipc_lock = false;
	if (p.groups < 4)
		p.groups = 4;
	return mt_create(&p);
}

static inline const struct spapr_backend_ops *mt_ops(struct spapr_model *m)
{
	return spapr_model_backend(m)->ops;
}

#define MT_BE(m) spapr_model_backend(m)

/* Open a container and @n groups (0..n-1), attach them, SET_IOMMU(@type).
 * Group handles go to @gh (may be NULL). Returns the container handle or a
 * negative errno of the first failing step. */
static inline int mt_open(struct spapr_model *m, unsigned int n, uint32_t type,
			  int *gh)
{
	const struct spapr_backend_ops *o = mt_ops(m);
	int c = o->container_open(MT_BE(m));
	int rc;

	if (c < 0)
		return c;
	for (unsigned int i = 0; i < n; i++) {
		int g = o->group_open(MT_BE(m), (int)i);

		if (g < 0)
			return g;
		if (gh)
			gh[i] = g;
		rc = o->group_set_container(MT_BE(m), g, c);
		if (rc)
			return rc;
	}
	if (type) {
		rc = o->set_iommu(MT_BE(m), c, type);
		if (rc)
			return rc;
	}
	return c;
}

static inline int mt_open_v2(struct spapr_model *m, unsigned int n, int *gh)
{
	return mt_open(m, n, VFIO_SPAPR_TCE_v2_IOMMU, gh);
}

static inline int mt_reg(struct spapr_model *m, int c, uint64_t va, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = {
		.argsz = sizeof(r), .flags = 0, .vaddr = va, .size = size };

	return mt_ops(m)->register_memory(MT_BE(m), c, &r);
}

static inline int mt_unreg(struct spapr_model *m, int c, uint64_t va, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = {
		.argsz = sizeof(r), .flags = 0, .vaddr = va, .size = size };

	return mt_ops(m)->unregister_memory(MT_BE(m), c, &r);
}

static inline int mt_create_win(struct spapr_model *m, int c, unsigned int shift,
				uint64_t size, unsigned int levels, uint64_t *start)
{
	struct vfio_iommu_spapr_tce_create cr = {
		.argsz = sizeof(cr), .flags = 0, .page_shift = shift,
		.window_size = size, .levels = levels, .start_addr = ~0ull };
	int rc = mt_ops(m)->tce_create(MT_BE(m), c, &cr);

	if (start)
		*start = cr.start_addr;
	return rc;
}

static inline int mt_remove(struct spapr_model *m, int c, uint64_t start)
{
	struct vfio_iommu_spapr_tce_remove rm = {
		.argsz = sizeof(rm), .flags = 0, .start_addr = start };

	return mt_ops(m)->tce_remove(MT_BE(m), c, &rm);
}

#define MT_RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static inline int mt_map(struct spapr_model *m, int c, uint64_t va, uint64_t iova,
			 uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map mp = {
		.argsz = sizeof(mp), .flags = flags, .vaddr = va, .iova = iova,
		.size = size };

	return mt_ops(m)->map_dma(MT_BE(m), c, &mp);
}

static inline int mt_unmap(struct spapr_model *m, int c, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap um = {
		.argsz = sizeof(um), .flags = 0, .iova = iova, .size = size };

	return mt_ops(m)->unmap_dma(MT_BE(m), c, &um);
}

static inline int mt_get_info(struct spapr_model *m, int c,
			      struct vfio_iommu_spapr_tce_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return mt_ops(m)->get_info(MT_BE(m), c, info);
}

static inline int mt_eeh(struct spapr_model *m, int c, uint32_t op)
{
	struct vfio_eeh_pe_op e;

	memset(&e, 0, sizeof(e));
	e.argsz = sizeof(e);
	e.op = op;
	return mt_ops(m)->eeh_pe_op(MT_BE(m), c, &e);
}

static inline struct spapr_model_mm_info mt_mm(struct spapr_model *m, int mm)
{
	struct spapr_model_mm_info mi;

	memset(&mi, 0, sizeof(mi));
	T_ERR(spapr_model_mm_info(m, mm, &mi), 0);
	return mi;
}

static inline uint64_t mt_locked(struct spapr_model *m)
{
	return mt_mm(m, 0).locked_vm_pages;
}

static inline struct spapr_model_container_info mt_cinfo(struct spapr_model *m, int c)
{
	struct spapr_model_container_info ci;

	memset(&ci, 0, sizeof(ci));
	T_ERR(spapr_model_container_info(m, c, &ci), 0);
	return ci;
}

static inline uint64_t mt_pa(struct spapr_model *m, uint64_t va)
{
	uint64_t pa = 0;

	T_ERR(spapr_model_mm_va_to_pa(m, 0, va, &pa), 0);
	return pa;
}

static inline uint64_t mt_tce(struct spapr_model *m, int c, unsigned int slot,
			      uint64_t index)
{
	uint64_t tce = ~0ull;

	T_ERR(spapr_model_tce_read(m, c, slot, index, &tce), 0);
	return tce;
}

/* Slot holding a window that starts at @start, or -1. */
static inline int mt_slot_of(struct spapr_model *m, int c, uint64_t start)
{
	struct spapr_model_container_info ci = mt_cinfo(m, c);

	for (int s = 0; s < 2; s++)
		if (ci.windows[s].present && ci.windows[s].start == start)
			return s;
	return -1;
}

static inline void mt_invariants(struct spapr_model *m)
{
	char err[512] = "";
	int rc = spapr_model_check_invariants(m, err, sizeof(err));

	T_ERR(rc, 0);
	if (rc)
		fprintf(stderr, "  invariant: %s\n", err);
}

/* A synthetic VMA of mm 0 backed by 2^shift pages. */
static inline void mt_vma(struct spapr_model *m, uint64_t va, uint64_t len,
			  unsigned int shift, unsigned int flags)
{
	T_ERR(spapr_model_mm_map(m, 0, va, len, shift, flags, NULL), 0);
}

/*
 * §5.3 PowerNV charge (pnv_pci_ioda2_get_table_size, IODA), written from the
 * spec's formula: direct = 2^max(ceil(entries_shift/levels)+3, PAGE_SHIFT),
 * t = max(4096, entries*8); per level bytes += align_up(t, direct),
 * t = max(t/direct*8, direct); charged = 2*bytes (HW table + userspace view,
 * since ~v4.19) or bytes with pre-4.19 tables.
 */
static inline uint64_t mt_pnv_table_bytes(unsigned int page_shift, uint64_t window,
					  unsigned int levels, unsigned int sys_shift)
{
	unsigned int wshift = 63u - (unsigned int)__builtin_clzll(window);
	unsigned int es = wshift - page_shift;
	unsigned int b = (es + levels - 1) / levels;
	unsigned int dshift = b + 3 > sys_shift ? b + 3 : sys_shift;
	uint64_t direct = 1ull << dshift;
	uint64_t t = (1ull << (es + 3)) > 4096 ? (1ull << (es + 3)) : 4096;
	uint64_t bytes = 0;

	for (unsigned int l = 0; l < levels; l++) {
		bytes += (t + direct - 1) / direct * direct;
		t = t / direct * 8;
		if (t < direct)
			t = direct;
	}
	return bytes;
}

static inline uint64_t mt_pnv_charge(unsigned int page_shift, uint64_t window,
				     unsigned int levels, unsigned int sys_shift)
{
	return 2 * mt_pnv_table_bytes(page_shift, window, levels, sys_shift);
}

#endif /* MODEL_TEST_H */
