/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_internals.c - white-box checks of the model core that the
 * black-box suites do not pin down: the 55-bit and 16 MiB-chunk rules at
 * CREATE, exact counter definitions of model.c (exchanges of a whole-window
 * clear, hypercall pairs, region visits), the device-side translation to
 * host physical addresses, and the kernel quirks the model reproduces
 * (partial pin count from REGISTER, mapped-count leak after a failed level
 * allocation, misaligned IOVA returning 1).
 */
#include <errno.h>
#include <string.h>

#include "spapr_model.h"
#include "test_util.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)
#define VA UINT64_C(0x7f0000000000)

struct host {
	struct spapr_model *m;
	struct spapr_backend *be;
	const struct spapr_backend_ops *o;
	int c, g;
};

static void host_up(struct host *h, const char *profile, uint32_t type)
{
	struct spapr_model_profile p;

	T_ERR(spapr_model_profile_get(profile, &p), 0);
	h->m = spapr_model_create(&p);
	if (!h->m) {
		fprintf(stderr, "cannot create %s\n", profile);
		exit(1);
	}
	h->be = spapr_model_backend(h->m);
	h->o = h->be->ops;
	h->c = h->o->container_open(h->be);
	h->g = h->o->group_open(h->be, 0);
	T_ERR(h->o->group_set_container(h->be, h->g, h->c), 0);
	T_ERR(h->o->set_iommu(h->be, h->c, type), 0);
}

static void host_down(struct host *h)
{
	char err[256];

	T_ERR(spapr_model_check_invariants(h->m, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "invariants: %s\n", err);
	spapr_model_destroy(h->m);
}

static int create(struct host *h, unsigned int shift, uint64_t size,
		  unsigned int levels, uint64_t *start)
{
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr),
		.page_shift = shift, .window_size = size, .levels = levels };
	int rc = h->o->tce_create(h->be, h->c, &cr);

	if (start)
		*start = cr.start_addr;
	return rc;
}

static int reg(struct host *h, uint64_t va, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r),
		.vaddr = va, .size = size };

	return h->o->register_memory(h->be, h->c, &r);
}

static int map(struct host *h, uint64_t va, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map mp = { .argsz = sizeof(mp),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = va, .iova = iova, .size = size };

	return h->o->map_dma(h->be, h->c, &mp);
}

static int remove_win(struct host *h, uint64_t start)
{
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm),
		.start_addr = start };

	return h->o->tce_remove(h->be, h->c, &rm);
}

static uint64_t locked(struct host *h)
{
	struct spapr_model_mm_info mi;

	spapr_model_mm_info(h->m, 0, &mi);
	return mi.locked_vm_pages;
}

/* 4 KiB TCEs on 64 KiB pages with 4 levels: 13*4+12 = 64 >= 55 -> -EINVAL
 * after the charge (leaked); 1 level of 128 MiB: -ENOMEM, leaked too. */
static void create_limits(void)
{
	struct host h;
	struct spapr_model_mm_info mi;

	host_up(&h, "powernv9", VFIO_SPAPR_TCE_v2_IOMMU);
	T_ERR(remove_win(&h, 0), 0);
	T_ERR(create(&h, 12, TiB, 4, NULL), -EINVAL);
	T_ERR(create(&h, 16, TiB, 1, NULL), -ENOMEM);
	spapr_model_mm_info(h.m, 0, &mi);
	T_EQU(mi.leaked_pages, mi.locked_vm_pages);
	T_CHECK(mi.leaked_pages >= (256 * MiB) >> 16);
	T_ERR(create(&h, 16, TiB, 2, NULL), 0);
	host_down(&h);
}

/* REMOVE of the 2 GiB/4K default window clears 524288 entries one by one
 * (single level: nothing can be skipped); one kill per clear. */
static void clear_counts(void)
{
	struct host h;
	struct spapr_model_counters c;

	host_up(&h, "powernv9", VFIO_SPAPR_TCE_v2_IOMMU);
	T_ERR(create(&h, 21, GiB, 1, NULL), 0);	/* materialises slot 0 */
	spapr_model_counters_reset(h.m);
	T_ERR(remove_win(&h, 0x1000), 0);	/* any address inside */
	spapr_model_counters(h.m, &c);
	T_EQU(c.tce_xchg, 524288);
	T_EQU(c.tce_writes, 0);
	/* kill of the clear + unset: OPAL map + PE kill */
	T_EQU(c.invalidations, 2);
	T_EQU(c.opal_calls, 3);
	host_down(&h);
}

/* pseries: every exchange is H_GET_TCE + H_PUT_TCE, no kills. */
static void pseries_hcalls(void)
{
	struct host h;
	struct spapr_model_counters c;
	uint64_t start;

	host_up(&h, "pseries-kvm", VFIO_SPAPR_TCE_v2_IOMMU);
	T_ERR(spapr_model_mm_map(h.m, 0, VA, 64 * MiB, 21, SPAPR_MODEL_VMA_HUGETLB,
				 NULL), 0);
	T_ERR(reg(&h, VA, 64 * MiB), 0);
	T_ERR(remove_win(&h, 0), 0);
	T_ERR(create(&h, 21, GiB, 1, &start), 0);
	T_EQU(start, UINT64_C(1) << 59);
	spapr_model_counters_reset(h.m);
	T_ERR(map(&h, VA, start, 8 * MiB), 0);
	spapr_model_counters(h.m, &c);
	T_EQU(c.tce_xchg, 4);
	T_EQU(c.hcalls, 8);
	T_EQU(c.invalidations, 0);
	/* one region: lookup (1 visit) + devmem walk (1) per page */
	T_EQU(c.region_visits, 8);
	host_down(&h);
}

/* The device sees the host physical address the model gave the VMA. */
static void device_translation(void)
{
	struct host h;
	struct spapr_model_xlat x;
	uint64_t start, pa;
	static char mem[4 * 65536] __attribute__((aligned(65536)));
	char buf[16];

	host_up(&h, "powernv9", VFIO_SPAPR_TCE_v2_IOMMU);
	T_ERR(spapr_model_mm_map(h.m, 0, VA, sizeof(mem), 16, 0, mem), 0);
	T_ERR(reg(&h, VA, sizeof(mem)), 0);
	T_ERR(remove_win(&h, 0), 0);
	T_ERR(create(&h, 16, GiB, 1, &start), 0);
	T_ERR(map(&h, VA + 65536, start + 3 * 65536, 65536), 0);
	T_ERR(spapr_model_mm_va_to_pa(h.m, 0, VA + 65536, &pa), 0);
	T_ERR(spapr_model_dma_check(h.m, 0, start + 3 * 65536 + 10, 6,
				    SPAPR_MODEL_DMA_READ, &x), 0);
	T_EQU(x.hpa, pa + 10);
	T_CHECK(x.host == mem + 65536 + 10);
	T_EQU(x.contig, 65536 - 10);
	memcpy(mem + 65536 + 100, "hello", 6);
	T_ERR(spapr_model_dma_read(h.m, 0, start + 3 * 65536 + 100, buf, 6), 0);
	T_CHECK(strcmp(buf, "hello") == 0);
	/* a fault freezes the PE; everything is -EIO until a reset */
	T_ERR(spapr_model_dma_check(h.m, 0, start, 8, SPAPR_MODEL_DMA_READ, NULL),
	      -EFAULT);
	T_EQ(spapr_model_pe_state(h.m, 0), VFIO_EEH_PE_STATE_STOPPED);
	T_ERR(spapr_model_dma_read(h.m, 0, start + 3 * 65536, buf, 1), -EIO);
	T_ERR(spapr_model_pe_reset(h.m, 0), 0);
	T_ERR(spapr_model_dma_read(h.m, 0, start + 3 * 65536, buf, 1), 0);
	host_down(&h);
}

/* Kernel quirks the model keeps (the model*.c comments cite the kernel). */
static void kernel_quirks(void)
{
	struct host h;
	uint64_t start;
	struct spapr_model_region_info r[2];

	host_up(&h, "powernv9", VFIO_SPAPR_TCE_v2_IOMMU);
	T_ERR(spapr_model_mm_map(h.m, 0, VA, 4 * MiB, 16, 0, NULL), 0);
	/* pinning stops at the hole after 64 pages: the count is returned */
	T_ERR(reg(&h, VA, 8 * MiB), 64);
	T_EQU(locked(&h), 0);
	T_ERR(reg(&h, VA, 4 * MiB), 0);
	T_ERR(remove_win(&h, 0), 0);
	T_ERR(create(&h, 16, TiB, 2, &start), 0);
	/* misaligned IOVA: iommu_tce_put_param_check() evaluates to 1 */
	T_ERR(map(&h, VA, start + 4096, 65536), 1);
	/* a failed on-demand level leaves the region's mapped count raised */
	T_ERR(spapr_model_fault_inject(h.m, SPAPR_MODEL_OP_LEVEL_ALLOC, 1, 0, 1), 0);
	T_ERR(map(&h, VA, start, 65536), -ENOMEM);
	T_EQ(spapr_model_mm_regions(h.m, 0, r, 2), 1);
	T_EQU(r[0].mapped, 2);
	T_ERR(map(&h, VA, start, 65536), 0);
	T_EQU(locked(&h), (4 * MiB >> 16) + (2 * (TiB >> 16) * 8 + 2 * 65536) / 65536);
	host_down(&h);
}

static int unmap(struct host *h, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um),
		.iova = iova, .size = size };

	return h->o->unmap_dma(h->be, h->c, &um);
}

/* pseries: a failing H_GET_TCE during a clear skips the entry (VST
 * tce_iommu_clear "continue"); UNMAP still returns 0 and the mapping
 * stays; once the window is removed the region's count stays raised. */
static void pseries_hcall_failure_in_clear(void)
{
	struct host h;
	uint64_t start, tce;
	struct spapr_model_region_info r[2];
	char err[256];

	host_up(&h, "pseries-kvm", VFIO_SPAPR_TCE_v2_IOMMU);
	T_ERR(spapr_model_mm_map(h.m, 0, VA, 64 * MiB, 21, SPAPR_MODEL_VMA_HUGETLB,
				 NULL), 0);
	T_ERR(reg(&h, VA, 64 * MiB), 0);
	T_ERR(remove_win(&h, 0), 0);
	T_ERR(create(&h, 21, GiB, 1, &start), 0);
	T_ERR(map(&h, VA, start, 4 * MiB), 0);
	T_ERR(spapr_model_fault_inject(h.m, SPAPR_MODEL_OP_HCALL, 1, 0, 1), 0);
	T_ERR(unmap(&h, start, 4 * MiB), 0);
	T_ERR(spapr_model_tce_read(h.m, h.c, 0, start >> 21, &tce), 0);
	T_CHECK(tce != 0);
	T_ERR(spapr_model_tce_read(h.m, h.c, 0, (start >> 21) + 1, &tce), 0);
	T_EQU(tce, 0);
	T_ERR(spapr_model_check_invariants(h.m, err, sizeof(err)), 0);
	T_ERR(spapr_model_fault_inject(h.m, SPAPR_MODEL_OP_HCALL, 1, 0, 1), 0);
	T_ERR(remove_win(&h, start), 0);
	T_EQ(spapr_model_mm_regions(h.m, 0, r, 2), 1);
	T_EQU(r[0].mapped, 2);
	host_down(&h);
}

/* VST keeps its groups with list_add() (head): GET_INFO and CREATE use the
 * most recently attached group. SET_IOMMU walks the CONT list (also
 * head-first), so over groups set before SET_IOMMU the oldest ends first. */
static void group_list_order(void)
{
	for (int late = 0; late < 2; late++) {
		struct host h;
		struct spapr_model_group_params gp;
		struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
		int n, b;

		host_up(&h, "powernv9", VFIO_SPAPR_TCE_v2_IOMMU);
		spapr_model_default_group_params(h.m, &gp);
		gp.dma32_size = 0x40000000;
		n = spapr_model_add_group(h.m, &gp);
		b = h.o->group_open(h.be, n);
		if (late) {
			T_ERR(h.o->group_set_container(h.be, b, h.c), 0);
		} else {
			/* start over: both groups set before SET_IOMMU */
			T_ERR(h.o->group_unset_container(h.be, h.g), 0);
			T_ERR(h.o->group_set_container(h.be, h.g, h.c), 0);
			T_ERR(h.o->group_set_container(h.be, b, h.c), 0);
			T_ERR(h.o->set_iommu(h.be, h.c, VFIO_SPAPR_TCE_v2_IOMMU), 0);
		}
		T_ERR(h.o->get_info(h.be, h.c, &info), 0);
		T_EQU(info.dma32_window_size, late ? 0x40000000u : 0x80000000u);
		host_down(&h);
	}
}

int main(void)
{
	T_RUN(group_list_order);
	T_RUN(pseries_hcall_failure_in_clear);
	T_RUN(create_limits);
	T_RUN(clear_counts);
	T_RUN(pseries_hcalls);
	T_RUN(device_translation);
	T_RUN(kernel_quirks);
	return t_finish();
}
