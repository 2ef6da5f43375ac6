/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sc_cases.c - the deterministic differential cases (§3-§6).
 *
 * Every case starts from a fresh container and a freshly opened group and
 * closes both at the end, so the kernel releases everything in between
 * (§4: release when the last group leaves). What survives a case is
 * per-mm state only: orphaned registrations (§3.5) and, on pseries, a
 * bridge poisoned by a failed DDW create (§6). Cases that may poison the
 * pseries PE come last, in the order listed at the bottom.
 *
 * Arena layout (offsets into SC_ARENA_VA, 1 MiB units): cases use [0, 8);
 * the orphan case [30, 31); random cases [32, 160), 1 MiB each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc.h"

#define A(off)	(SC_ARENA_VA + (uint64_t)(off))
#define PG	((uint64_t)x->page_size)

/* Run @body only if the opening worked. */
#define WITH_OPEN(type)                                                        \
	for (int once_ = (sc_open(x, (type)) == 0); once_; once_ = 0)

/* §3.1: CHECK_EXTENSION is answered without a driver set. */
static void case_ext_check(struct sc_ctx *x)
{
	x->c = sc_op_container_open(x);
	sc_op_check_extension(x, x->c, VFIO_SPAPR_TCE_IOMMU);
	sc_op_check_extension(x, x->c, VFIO_SPAPR_TCE_v2_IOMMU);
	sc_op_check_extension(x, x->c, VFIO_TYPE1_IOMMU);
	sc_op_check_extension(x, x->c, VFIO_TYPE1v2_IOMMU);
	sc_op_check_extension(x, x->c, VFIO_EEH);
	sc_op_check_extension(x, x->c, 1000);
}

/* §3.0: before SET_IOMMU every sPAPR ioctl is -EINVAL. */
static void case_no_iommu_ioctls(struct sc_ctx *x)
{
	WITH_OPEN(0) {
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_map(x, x->c, A(0), 0, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_enable(x, x->c);
		sc_op_check_extension(x, x->c, VFIO_SPAPR_TCE_v2_IOMMU);
	}
}

/* §3.2 step 1: SET_IOMMU with no group on the container -> -EINVAL. */
static void case_set_iommu_no_group(struct sc_ctx *x)
{
	x->c = sc_op_container_open(x);
	sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_v2_IOMMU);
	sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_IOMMU);
}

/* Group flags before/after SET_CONTAINER and after UNSET. */
static void case_group_status(struct sc_ctx *x)
{
	x->c = sc_op_container_open(x);
	x->g = sc_op_group_open(x, 0);
	sc_op_group_status(x, x->g);
	sc_op_unset_container(x, x->g);
	sc_op_set_container(x, x->g, x->c);
	sc_op_group_status(x, x->g);
	sc_op_set_container(x, x->g, x->c);
	sc_op_unset_container(x, x->g);
	sc_op_group_status(x, x->g);
}

/* A group can be open once, and be in one container. */
static void case_group_busy(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		x->g2 = sc_op_group_open(x, 0);
		x->c2 = sc_op_container_open(x);
		sc_op_set_container(x, x->g, x->c2);
		sc_op_set_iommu(x, x->c2, VFIO_SPAPR_TCE_v2_IOMMU);
	}
}

/* §3.2: unknown type, then a good one; a second SET_IOMMU is refused. */
static void case_set_iommu_types(struct sc_ctx *x)
{
	WITH_OPEN(0) {
		sc_op_set_iommu(x, x->c, VFIO_TYPE1v2_IOMMU);
		sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_v2_IOMMU);
		sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_v2_IOMMU);
		sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_IOMMU);
		sc_op_check_extension(x, x->c, VFIO_SPAPR_TCE_IOMMU);
		sc_op_check_extension(x, x->c, VFIO_EEH);
	}
}

/* §3.3 and §9: GET_INFO values of the platform on v2. */
static void case_info_v2(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU)
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
}

/* §3.3: on v1 the DDW part is zero and flags 0. */
static void case_info_v1(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_IOMMU)
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
}

/* §3.3: argsz < 16 -EINVAL; 16..31 copies 16 bytes; larger copies 32. */
static void case_info_argsz(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_get_info(x, x->c, 0);
		sc_op_get_info(x, x->c, 15);
		sc_op_get_info(x, x->c, 16);
		sc_op_get_info(x, x->c, 24);
		sc_op_get_info(x, x->c, 31);
		sc_op_get_info(x, x->c, 4096);
	}
}

/* §4: after the last group leaves the container has no driver again. */
static void case_info_after_unset(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_unset_container(x, x->g);
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
		sc_op_set_container(x, x->g, x->c);
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
		sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_IOMMU);
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
	}
}

/* §3.4, §3.8 v1: v2-only ioctls -ENOTTY; MAP needs ENABLE; the dma32
 * window is the only window. */
static void case_v1_enable_map(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_IOMMU) {
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_map(x, x->c, A(0), 0x10000, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_enable(x, x->c);
		sc_op_enable(x, x->c);
		sc_op_map(x, x->c, A(0), 0x10000, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), 0x10000, 0x10000,
			  VFIO_DMA_MAP_FLAG_READ, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), 0x80000000, 0x1000, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0x800), 0x20000, 0x1000, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, 0x10000, 0x10000, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, 0x0, 0x100000, 0, SC_ARGSZ_UNMAP);
		sc_op_disable(x, x->c);
		sc_op_disable(x, x->c);
		sc_op_map(x, x->c, A(0), 0x10000, 0x10000, SC_RW, SC_ARGSZ_MAP);
	}
}

/* §3.4: ENABLE/DISABLE are v1-only; §3.8 step 2: MAP/UNMAP need a
 * successful REGISTER on v2. */
static void case_v2_not_enabled(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_enable(x, x->c);
		sc_op_disable(x, x->c);
		sc_op_map(x, x->c, A(0), 0, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, 0, PG, 0, SC_ARGSZ_UNMAP);
		sc_op_register(x, x->c, A(0), PG / 2, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(0), 0, PG, SC_RW, SC_ARGSZ_MAP);
	}
}

/* §3.5 UNREGISTER: a container never bound to an mm -> -EPERM. */
static void case_unregister_unbound(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_unregister(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
	}
}

/* §3.5 REGISTER validation order and exact-match rules. */
static void case_register_checks(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_register(x, x->c, A(0), SC_MiB, 0, 16);
		sc_op_register(x, x->c, A(0), SC_MiB, 1, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(PG / 2), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(0), PG / 2, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, UINT64_MAX - PG + 1, 2 * PG, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, SC_HOLE_VA, SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(0x10000), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(0x10000), 0x10000, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(0), SC_MiB / 2, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(0), SC_MiB, 1, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(0), SC_MiB, 0, 16);
		sc_op_unregister(x, x->c, A(PG / 2), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(SC_MiB), 2 * SC_MiB, 0, SC_ARGSZ_REG);
	}
}

/* §3.5 step 5: the region's per-page array (8 bytes a system page,
 * vzalloc) is allocated before pinning; above the machine's RAM it fails:
 * -ENOMEM, whatever is mapped there (the arena is 160 MiB). Then a normal
 * REGISTER still works: the failed ones left no charge behind. */
static void case_register_beyond_ram(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_register(x, x->c, A(0), UINT64_C(16) << 40, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(0), UINT64_C(1) << 62, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
	}
}

/* §3.5 step 3: size 0 is not rejected explicitly (spec: unverified). */
static void case_register_size_zero(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_register(x, x->c, A(12 * SC_MiB), 0, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(12 * SC_MiB), 0, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(12 * SC_MiB), 0, 0, SC_RW, SC_ARGSZ_MAP);
	}
}

/* §3.7: REMOVE(0) of the pending default window just clears pending. */
static void case_remove_pending(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 1, SC_ARGSZ_REMOVE);
		sc_op_remove(x, x->c, 0, 0, 8);
		sc_op_remove(x, x->c, 0x1000, 0, SC_ARGSZ_REMOVE);
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(0), 0, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, 0, PG, 0, SC_ARGSZ_UNMAP);
	}
}

/* §3.6, §5.5: where a window created after REMOVE(0) starts; REMOVE
 * matches any address inside a window. */
static void case_create_after_remove(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0) {
			uint64_t s = x->start;

			sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
			sc_op_remove(x, x->c, s + SC_GiB, 0, SC_ARGSZ_REMOVE);
			sc_op_remove(x, x->c, s + 0x1000, 0, SC_ARGSZ_REMOVE);
			sc_op_remove(x, x->c, s, 0, SC_ARGSZ_REMOVE);
		}
	}
}

/* A window of fewer entries than one system page of TCEs (16 x 64K):
 * PowerNV allocates its table in whole system pages and the window covers
 * the whole table (pci-ioda-tce.c: it_size = table bytes / 8), so it is
 * larger than asked; pseries windows are exactly the size asked. */
static void case_create_small_window(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 16, SC_MiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_register(x, x->c, A(6 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unmap(x, x->c, s, SC_MiB, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + SC_MiB, 0x10000, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + 31 * SC_MiB, SC_MiB, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + 32 * SC_MiB, 0x10000, 0, SC_ARGSZ_UNMAP);
		sc_op_remove(x, x->c, s + 16 * SC_MiB, 0, SC_ARGSZ_REMOVE);
		sc_op_remove(x, x->c, s, 0, SC_ARGSZ_REMOVE);
	}
}

/* §3.6 steps 1 and 4: argument checks made before the platform is asked. */
static void case_create_checks(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_create(x, x->c, 12, SC_GiB, 1, 0, 32);
		sc_op_create(x, x->c, 12, SC_GiB, 1, 1, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 20, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 13, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 0, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 63, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
	}
}

/* §3.8: MAP validation order inside a created window; silent replace. */
static void case_map_rules(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_map(x, x->c, A(0), s, SC_MiB, SC_RW, SC_ARGSZ_MAP);
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(0), s, SC_MiB, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, SC_MiB, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, 0x10000, VFIO_DMA_MAP_FLAG_READ, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, 0x10000, VFIO_DMA_MAP_FLAG_WRITE, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, PG, 0, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, PG, SC_RW | 4, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, PG, SC_RW, 24);
		sc_op_map(x, x->c, A(0), s + SC_GiB, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s - PG, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0x800), s, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, 0x800, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s + 0x800, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(SC_MiB), s, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(SC_MiB - PG), s, 2 * PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, SC_HOLE_VA, s, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, 0, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s + SC_GiB - PG, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, s, SC_GiB, 0, SC_ARGSZ_UNMAP);
	}
}

/* §3.9: UNMAP checks; holes and sub-ranges are fine; size not written. */
static void case_unmap_rules(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unmap(x, x->c, s, SC_MiB, 0, SC_ARGSZ_UNMAP);
		sc_op_map(x, x->c, A(0), s + SC_MiB, SC_MiB, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, s + SC_MiB + 0x10000, 0x10000, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + SC_MiB, 0x800, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + SC_MiB + 0x800, PG, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + SC_MiB, PG, 1, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + SC_MiB, PG, 0, 16);
		sc_op_unmap(x, x->c, s + SC_GiB, PG, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + SC_MiB, 0, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s, 4 * SC_MiB, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s, 4 * SC_MiB, 0, SC_ARGSZ_UNMAP);
		sc_op_unregister(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
	}
}

/* §3.5/§3.8, trap §10.8: a region of small pages caps the IOMMU page size. */
static void case_map_pgshift_cap(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 16, SC_GiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_register(x, x->c, A(0), 2 * SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(0), s, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), s, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0x1000), s, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, s, 0x10000, 0, SC_ARGSZ_UNMAP);
	}
}

/* §3.7, trap §10.2: the first MAP materialises the pending dma32 window. */
static void case_map_implicit_default(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(0), 0, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), 0x40000000, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), 0x80000000, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(0), 0x3ffff000, PG, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, 0, 0x40000000, 0, SC_ARGSZ_UNMAP);
		sc_op_remove(x, x->c, 0x1000, 0, SC_ARGSZ_REMOVE);
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_map(x, x->c, A(0), 0, PG, SC_RW, SC_ARGSZ_MAP);
	}
}

/* §3.7: UNMAP materialises the pending window too. */
static void case_unmap_implicit_default(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_register(x, x->c, A(0), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unmap(x, x->c, 0, 0x10000, 0, SC_ARGSZ_UNMAP);
		sc_op_remove(x, x->c, 0x10000, 0, SC_ARGSZ_REMOVE);
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_unmap(x, x->c, 0, 0x10000, 0, SC_ARGSZ_UNMAP);
	}
}

/* §3.8 step 9: one MAP may span several regions, page by page. */
static void case_map_two_regions(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_register(x, x->c, A(2 * SC_MiB), SC_MiB / 2, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, A(2 * SC_MiB + SC_MiB / 2), SC_MiB / 2, 0,
			       SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(2 * SC_MiB), s, SC_MiB, SC_RW, SC_ARGSZ_MAP);
		sc_op_map(x, x->c, A(2 * SC_MiB), s, 2 * SC_MiB, SC_RW, SC_ARGSZ_MAP);
		sc_op_unregister(x, x->c, A(2 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unmap(x, x->c, s, SC_MiB, 0, SC_ARGSZ_UNMAP);
		sc_op_unregister(x, x->c, A(2 * SC_MiB), SC_MiB / 2, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, A(2 * SC_MiB + SC_MiB / 2), SC_MiB / 2, 0,
				 SC_ARGSZ_REG);
	}
}

/* §3.5 quirk: UNREGISTER of a still-mapped region returns 0 and orphans
 * it in the mm; registering it again shares the orphan. */
static void case_unregister_mapped(struct sc_ctx *x)
{
	uint64_t va = A(30 * SC_MiB);

	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_register(x, x->c, va, SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, va, s, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_unregister(x, x->c, va, SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_unregister(x, x->c, va, SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, va, s + 0x10000, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_register(x, x->c, va, SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_register(x, x->c, va, SC_MiB / 2, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, va, s + 0x10000, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, s, SC_GiB, 0, SC_ARGSZ_UNMAP);
		sc_op_unregister(x, x->c, va, SC_MiB, 0, SC_ARGSZ_REG);
	}
}

/* What a forked child tries on its parent's container (§2: every ioctl but
 * CHECK_EXTENSION is -EPERM from another mm once the container is bound). */
static void child_uses_container(struct sc_ctx *x)
{
	sc_op_check_extension(x, x->c, VFIO_SPAPR_TCE_v2_IOMMU);
	sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
	sc_op_register(x, x->c, A(10 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
	sc_op_map(x, x->c, A(9 * SC_MiB), 0, 0x10000, SC_RW, SC_ARGSZ_MAP);
	sc_op_unmap(x, x->c, 0, 0x10000, 0, SC_ARGSZ_UNMAP);
	sc_op_create(x, x->c, 16, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
	sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
	sc_op_unregister(x, x->c, A(9 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
}

/* A child that registers first binds an unbound container to its own mm. */
static void child_registers(struct sc_ctx *x)
{
	sc_op_register(x, x->c, A(11 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
	sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
}

/* §2 mm binding, trap §10.16: the parent registered, so the child is refused. */
static void case_mm_child_refused(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_register(x, x->c, A(9 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
		if (x->other_mm(x, child_uses_container, SC_UNLIMITED) != 0)
			break;
		sc_op_map(x, x->c, A(9 * SC_MiB), 0, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, 0, 0x10000, 0, SC_ARGSZ_UNMAP);
		sc_op_unregister(x, x->c, A(9 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
	}
}

/* §2: GET_INFO does not bind; a child's REGISTER does, and then the parent
 * is the other mm (even after the child has exited). */
static void case_mm_child_binds(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
		if (x->other_mm(x, child_registers, SC_UNLIMITED) != 0)
			break;
		sc_op_check_extension(x, x->c, VFIO_SPAPR_TCE_IOMMU);
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
		sc_op_register(x, x->c, A(11 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_enable(x, x->c);
	}
}

/* A process with RLIMIT_MEMLOCK = 1 MiB and no CAP_IPC_LOCK: REGISTER
 * charges its system pages (§3.5.5), CREATE its table size (§3.6.7, §5.3:
 * x2 on PowerNV, x1 on pseries); over the limit -ENOMEM. */
static void child_limited_1m(struct sc_ctx *x)
{
	sc_op_register(x, x->c, A(13 * SC_MiB), 2 * SC_MiB, 0, SC_ARGSZ_REG);
	sc_op_register(x, x->c, A(13 * SC_MiB), SC_MiB / 2, 0, SC_ARGSZ_REG);
	sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
	sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
	sc_op_create(x, x->c, 16, 64 * SC_MiB, 1, 0, SC_ARGSZ_CREATE);
	sc_op_create(x, x->c, 16, 4 * SC_GiB, 1, 0, SC_ARGSZ_CREATE);
	sc_op_map(x, x->c, A(13 * SC_MiB), 0, SC_MiB / 2, SC_RW, SC_ARGSZ_MAP);
	sc_op_unregister(x, x->c, A(13 * SC_MiB), SC_MiB / 2, 0, SC_ARGSZ_REG);
	sc_op_register(x, x->c, A(13 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
}

static void case_memlock_charges(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU)
		x->other_mm(x, child_limited_1m, SC_MiB);
}

/* §3.4: v1 ENABLE charges the whole dma32 window up front. */
static void child_enables(struct sc_ctx *x)
{
	sc_op_enable(x, x->c);
	sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
}

static void case_memlock_v1_enable(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_IOMMU) {
		x->other_mm(x, child_enables, SC_MiB);
		sc_op_enable(x, x->c);
	}
}

/* §3.6.8 (code reading): a CREATE whose table allocation fails after the
 * charge keeps the charge. With a 66 MiB limit, a 16 GiB window of 4K TCEs
 * is charged 64 MiB on PowerNV, then fails (-ENOMEM, 16 MiB chunk limit);
 * a 1 GiB window (4 MiB) then fits only if nothing leaked. */
static void child_limited_66m(struct sc_ctx *x)
{
	sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
	if (sc_op_create(x, x->c, 12, 16 * SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
		sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
}

static void case_memlock_failed_create_leaks(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU)
		x->other_mm(x, child_limited_66m, 66 * SC_MiB);
}

/* §3.10: EEH through the container (first group's PE). */
static void case_eeh(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_check_extension(x, x->c, VFIO_EEH);
		sc_op_eeh(x, x->c, VFIO_EEH_PE_GET_STATE);
		sc_op_eeh(x, x->c, 100);
	}
}

/* ---- two IOMMU groups (tests/system/run --nics 2: PowerNV puts the
 * second NIC on another PHB, pseries on a second PHB too) ---- */

/* Open and attach both groups to one container. */
static int open_two(struct sc_ctx *x)
{
	x->c = sc_op_container_open(x);
	x->g = sc_op_group_open(x, 0);
	x->g2 = sc_op_group_open(x, 1);
	if (x->c < 0 || x->g < 0 || x->g2 < 0)
		return -1;
	sc_op_set_container(x, x->g, x->c);
	sc_op_set_container(x, x->g2, x->c);
	return 0;
}

/* §3.2: v1 takes one group per container (-EBUSY at attach). */
static void case_two_groups_v1(struct sc_ctx *x)
{
	if (open_two(x) != 0)
		return;
	sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_IOMMU);
	sc_op_unset_container(x, x->g2);
	sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_IOMMU);
	sc_op_set_container(x, x->g2, x->c);
	sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
}

/* §4: v2 shares windows between groups (PowerNV: one table linked into
 * both PEs; pseries: only the group's own table, -EPERM); detaching a group
 * clears the shared TCEs; attaching one later programs existing windows. */
static void case_two_groups_v2(struct sc_ctx *x)
{
	if (open_two(x) != 0)
		return;
	if (sc_op_set_iommu(x, x->c, VFIO_SPAPR_TCE_v2_IOMMU) != 0)
		return;
	sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
	sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
	if (sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE) != 0)
		return;
	uint64_t s = x->start;

	sc_op_register(x, x->c, A(7 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
	sc_op_map(x, x->c, A(7 * SC_MiB), s, 0x10000, SC_RW, SC_ARGSZ_MAP);
	sc_op_unset_container(x, x->g2);
	sc_op_map(x, x->c, A(7 * SC_MiB), s + 0x10000, 0x10000, SC_RW, SC_ARGSZ_MAP);
	sc_op_set_container(x, x->g2, x->c);
	sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
	sc_op_unmap(x, x->c, s, SC_MiB, 0, SC_ARGSZ_UNMAP);
	sc_op_unset_container(x, x->g);
	sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
	sc_op_remove(x, x->c, s, 0, SC_ARGSZ_REMOVE);
}

/* ---- cases that may poison a pseries PE (§6): keep them last ---- */

/* §3.6 step 6, §5.2: levels the platform refuses. */
static void case_create_levels(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_create(x, x->c, 12, SC_GiB, 0, 0, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 12, SC_GiB, 6, 0, SC_ARGSZ_CREATE);
		if (sc_op_create(x, x->c, 12, SC_GiB, 2, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	}
}

/* §3.6 step 6 / §6: a window size that is not a power of two. */
static void case_create_nonpow2(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_create(x, x->c, 12, 3 * SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 16, 0, 1, 0, SC_ARGSZ_CREATE);
	}
}

/* §5.4/§6: re-creating a default-geometry window (4K pages, dma32 size). */
static void case_create_default_geometry(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, SC_GiB / 2, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	}
}

/* A second DDW after the first one was removed (one at a time). */
static void case_create_recreate(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 16, 4 * SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 21, 64 * SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	}
}

/* §5.2: 2^22 4K TCEs in one level is a 32 MiB chunk, above the 16 MiB
 * allocation limit: PowerNV -ENOMEM. (Kept small: pseries accepts it and
 * clearing its TCEs by hypercall at REMOVE takes seconds under TCG.) */
static void case_create_big(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, 16 * SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	}
}

/* §3.6 step 2, §5.5: CREATE while the default window is (made) live:
 * the default window takes slot 0, the new one slot 1. */
static void case_create_with_default(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_register(x, x->c, A(4 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(4 * SC_MiB), 0, 0x10000, SC_RW, SC_ARGSZ_MAP);
		if (sc_op_create(x, x->c, 16, SC_GiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_map(x, x->c, A(4 * SC_MiB), s, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_map(x, x->c, A(4 * SC_MiB), 0, 0x10000, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, s, 0x10000, 0, SC_ARGSZ_UNMAP);
		sc_op_remove(x, x->c, s, 0, SC_ARGSZ_REMOVE);
	}
}

/* §5.5 and the observed pseries limit: two DDWs at once; a third -ENOSPC
 * (only 2 slots). On pseries the second DDW is refused by the hypervisor
 * (-ENODEV) and poisons the bridge (qemu-power-testbed.md). The first
 * window is not default geometry (64K pages): a 4K window no larger than
 * dma32 would be a default-window request instead (§6). */
static void case_create_two(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_create(x, x->c, 16, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 30, UINT64_C(1) << 40, 1, 0, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 21, 4 * SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_create(x, x->c, 12, 256 * SC_MiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
	}
}

/* After case_create_two: pseries refuses every CREATE until reboot, the
 * default-geometry request included. */
static void case_create_after_failure(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 16, SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	}
}

/* ---- second boot: a fresh PE for the other poisoning order ---- */

/* A DDW first, then a default-geometry request, which lands in slot 1. */
static void case_create_ddw_then_default(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 16, SC_GiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
		sc_op_get_info(x, x->c, SC_ARGSZ_INFO);
		sc_op_remove(x, x->c, s, 0, SC_ARGSZ_REMOVE);
		sc_op_create(x, x->c, 12, SC_GiB, 1, 0, SC_ARGSZ_CREATE);
	}
}

/* §6: a DDW with more TCEs than the hypervisor's largest available block
 * (QEMU reports 2^37 TCEs) is refused by the kernel itself with -EINVAL
 * ("retry with smaller window"), which does not poison the PE: the next
 * CREATE works. */
static void case_create_too_big(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, UINT64_C(1) << 50, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 16, SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	}
}

/* ---- third boot ---- */

/* A window smaller than one of its IOMMU pages (1 GiB pages, 256 MiB
 * window): PowerNV's table-size arithmetic underflows and the kernel
 * creates a window with no entries; MAP into it finds no window. */
static void case_create_tiny_window(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 30, 256 * SC_MiB, 1, 0, SC_ARGSZ_CREATE) != 0)
			break;
		uint64_t s = x->start;

		sc_op_register(x, x->c, A(5 * SC_MiB), SC_MiB, 0, SC_ARGSZ_REG);
		sc_op_map(x, x->c, A(5 * SC_MiB), s, SC_MiB, SC_RW, SC_ARGSZ_MAP);
		sc_op_unmap(x, x->c, s + 8 * SC_GiB, SC_GiB, 0, SC_ARGSZ_UNMAP);
		sc_op_unmap(x, x->c, s + 512 * SC_GiB, SC_GiB, 0, SC_ARGSZ_UNMAP);
		sc_op_remove(x, x->c, s + 511 * SC_GiB, 0, SC_ARGSZ_REMOVE);
		sc_op_remove(x, x->c, s, 0, SC_ARGSZ_REMOVE);
	}
}

/* §3.6 step 6, §6: windows smaller than one IOMMU page. Below 1/8 page
 * get_table_size() is 0 (-EINVAL before any charge); up to one page the
 * pseries largest-block check refuses it (a negative shift count in the
 * kernel source) before the hypervisor is asked, so the PE is not poisoned
 * and the 1 GiB CREATE after them works. PowerNV: the table-size
 * arithmetic wraps as in create_tiny_window. */
static void case_create_below_one_page(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		sc_op_create(x, x->c, 16, 4096, 1, 0, SC_ARGSZ_CREATE);
		if (sc_op_create(x, x->c, 16, 32768, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 24, 8 * SC_MiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 16, SC_GiB, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	}
}

/* §6: a DDW within the reported block that the hypervisor still refuses
 * (QEMU: ibm,create-pe-dma-window returns -1 for 2^32 4K TCEs): -ENODEV,
 * and the PE is poisoned. PowerNV: above the 16 MiB level chunk, -ENOMEM. */
static void case_create_hv_refuses(struct sc_ctx *x)
{
	WITH_OPEN(VFIO_SPAPR_TCE_v2_IOMMU) {
		sc_op_remove(x, x->c, 0, 0, SC_ARGSZ_REMOVE);
		if (sc_op_create(x, x->c, 12, UINT64_C(1) << 44, 1, 0, SC_ARGSZ_CREATE) == 0)
			sc_op_remove(x, x->c, x->start, 0, SC_ARGSZ_REMOVE);
	}
}

#define CASE(n, w) { #n, case_##n, w, SC_EARLY, false }
#define LATE(n, w) { #n, case_##n, w, SC_LATE, false }
#define BOOT2(n, w) { #n, case_##n, w, SC_BOOT2, false }
#define BOOT3(n, w) { #n, case_##n, w, SC_BOOT3, false }
#define TWO(n, w) { #n, case_##n, w, SC_LATE, true }
const struct sc_case sc_cases[] = {
	CASE(ext_check, "§3.1 CHECK_EXTENSION without a driver"),
	CASE(no_iommu_ioctls, "§3.0 ioctls before SET_IOMMU"),
	CASE(set_iommu_no_group, "§3.2.1 SET_IOMMU without a group"),
	CASE(group_status, "group flags, SET/UNSET_CONTAINER"),
	CASE(group_busy, "a group opens once and joins one container"),
	CASE(set_iommu_types, "§3.2 unknown type, second SET_IOMMU"),
	CASE(info_v2, "§3.3/§9 GET_INFO on v2"),
	CASE(info_v1, "§3.3 GET_INFO on v1"),
	CASE(info_argsz, "§3.3 GET_INFO argsz handling"),
	CASE(info_after_unset, "§4 last group leaves: driver released"),
	CASE(v1_enable_map, "§3.4/§3.8 v1 ENABLE, MAP, DISABLE"),
	CASE(v2_not_enabled, "§3.4 v2 ENABLE -ENOTTY, §3.8.2 MAP before REGISTER"),
	CASE(unregister_unbound, "§3.5 UNREGISTER on an unbound container"),
	CASE(register_checks, "§3.5 REGISTER/UNREGISTER order and matching"),
	CASE(register_size_zero, "§3.5 REGISTER of size 0"),
	CASE(register_beyond_ram, "§3.5.5 REGISTER larger than RAM: -ENOMEM before pinning"),
	CASE(remove_pending, "§3.7 REMOVE of the pending default window"),
	CASE(create_after_remove, "§3.6/§5.5 CREATE start after REMOVE(0)"),
	CASE(create_checks, "§3.6.1/§3.6.4 CREATE argument checks"),
	CASE(create_small_window, "§5.2 PowerNV windows span whole table pages"),
	CASE(map_rules, "§3.8 MAP validation and silent replace"),
	CASE(unmap_rules, "§3.9 UNMAP validation, holes, no size write-back"),
	CASE(map_pgshift_cap, "§3.5/§3.8 region page-shift cap"),
	CASE(map_implicit_default, "§3.7 MAP materialises the dma32 window"),
	CASE(unmap_implicit_default, "§3.7 UNMAP materialises the dma32 window"),
	CASE(map_two_regions, "§3.8.9 one MAP spanning two regions"),
	CASE(unregister_mapped, "§3.5 UNREGISTER while mapped orphans"),
	CASE(eeh, "§3.10 EEH PE op through the container"),
	CASE(mm_child_refused, "§2 another mm gets -EPERM once the parent bound"),
	CASE(mm_child_binds, "§2 a child's REGISTER binds the container to it"),
	CASE(memlock_charges, "§3.5/§3.6/§5.3 RLIMIT_MEMLOCK charges"),
	CASE(memlock_v1_enable, "§3.4 v1 ENABLE charges the dma32 window"),
	/* may poison a pseries PE: keep last, this order */
	TWO(two_groups_v1, "§3.2 v1: one group per container"),
	TWO(two_groups_v2, "§4 two groups share windows; detach clears TCEs"),
	LATE(create_levels, "§3.6.6/§5.2 levels 0, 6, 2"),
	LATE(create_nonpow2, "§3.6.6/§6 window size not a power of two"),
	LATE(create_default_geometry, "§6 default-window geometry requests"),
	LATE(create_recreate, "§6 one DDW at a time, re-created"),
	LATE(create_big, "§5.2 16 MiB level chunk limit"),
	LATE(memlock_failed_create_leaks, "§3.6.8 failed CREATE keeps its charge"),
	LATE(create_with_default, "§3.6.2/§5.5 CREATE with the default window live"),
	LATE(create_two, "§5.5 two windows at once, third -ENOSPC"),
	LATE(create_after_failure, "§6 pseries poisoning after a failed CREATE"),
	/* second boot (fresh PE) */
	BOOT2(create_too_big, "§6 more TCEs than the largest block: -EINVAL, no poison"),
	BOOT2(create_ddw_then_default, "§6 DDW, then a default-geometry request"),
	BOOT2(create_after_failure, "§6 poisoning after that"),
	/* third boot (fresh PE) */
	BOOT3(create_tiny_window, "§5.2 window smaller than one IOMMU page"),
	BOOT3(create_below_one_page, "§3.6.6/§6 windows below one IOMMU page: -EINVAL, no poison"),
	BOOT3(create_hv_refuses, "§6 hypervisor refuses the DDW: -ENODEV, poison"),
	BOOT3(create_after_failure, "§6 poisoning after that"),
	{ NULL, NULL, NULL, SC_EARLY, false },
};

unsigned int sc_default_order(char **names, unsigned int max, unsigned int boot,
			      unsigned long seed, unsigned int nrandom, bool two_groups)
{
	unsigned int n = 0;
	char buf[64];

	for (const struct sc_case *i = sc_cases; i->name != NULL && n < max; i++)
		if (i->when == (boot ? SC_BOOT2 + boot - 1 : SC_EARLY) &&
		    (two_groups || !i->two_groups))
			names[n++] = strdup(i->name);
	for (unsigned int r = 0; boot == 0 && r < nrandom && n < max; r++) {
		sc_random_name(buf, sizeof(buf), seed, r);
		names[n++] = strdup(buf);
	}
	for (const struct sc_case *i = sc_cases; boot == 0 && i->name != NULL && n < max; i++)
		if (i->when == SC_LATE && (two_groups || !i->two_groups))
			names[n++] = strdup(i->name);
	return n;
}

int sc_run_case(struct sc_ctx *x, const char *name)
{
	const struct sc_case *k = NULL;
	struct timespec t0, t1;

	for (const struct sc_case *i = sc_cases; i->name != NULL && k == NULL; i++)
		if (strcmp(i->name, name) == 0)
			k = i;
	x->case_name = name;
	x->step = 0;
	x->c = x->c2 = x->g = x->g2 = -1;
	x->start = 0;
	x->failed_setup = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (k != NULL)
		k->fn(x);
	else if (sc_random_case(x, name) != 0)
		return -ENOENT;
	sc_close_all(x);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* The time is information only: it is not compared. */
	fprintf(x->out, "@@ E %s steps=%d ms=%.1f\n", name, x->step,
		(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	fflush(x->out);
	return 0;
}
