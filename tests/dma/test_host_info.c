/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_host_info.c - the backend's host_info op and the engine's platform
 * built from it (spapr_dma_platform_from_backend): the one place the
 * platform facts GET_INFO does not report come from (§5.2, §5.3, §6,
 * §9). On the model the values are the profile's; on the vfio backend of
 * this machine, the kind from /proc/cpuinfo and the page size.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "spapr_dma.h"
#include "spapr_model.h"
#include "spapr_vfio.h"
#include "test_util.h"

#define MiB (UINT64_C(1) << 20)
#define TiB (UINT64_C(1) << 40)
#define BIT59 (UINT64_C(1) << 59)

/* What host_info and the engine's platform must say for one profile. */
struct want {
	const char *profile;
	enum spapr_backend_platform platform;
	unsigned int page_shift;
	uint64_t chunk;			/* host_info and platform alike */
	unsigned int bus_bits;
	uint64_t ddw_start;
	uint64_t ddw_entries;
};

static const struct want wants[] = {
	{ "powernv9", SPAPR_BACKEND_PLATFORM_POWERNV, 16, 16 * MiB, 55, 0, 0 },
	{ "powernv9-4k", SPAPR_BACKEND_PLATFORM_POWERNV, 12, 16 * MiB, 55, 0, 0 },
	/* QEMU 7.2 takes the TCE count as a uint32_t (hv_max_window_tces). */
	{ "pseries-kvm", SPAPR_BACKEND_PLATFORM_PSERIES, 16, 0, 0, BIT59, UINT32_MAX },
	/* 1 TiB of 64K TCEs, no lower hypervisor limit. */
	{ "pseries-powervm", SPAPR_BACKEND_PLATFORM_PSERIES, 16, 0, 0, BIT59, TiB >> 16 },
};

static struct spapr_model *model_of(const char *name, struct spapr_model_profile *p)
{
	if (spapr_model_profile_get(name, p) != 0)
		return NULL;
	return spapr_model_create(p);
}

static void check_host(const struct want *w, const struct spapr_backend_host *h)
{
	T_EQ(h->platform, w->platform);
	T_EQ(h->system_page_shift, w->page_shift);
	T_EQU(h->max_level_chunk, w->chunk);
	T_EQ(h->bus_addr_bits, w->bus_bits);
	T_CHECK(!h->table_charge_x1);
	T_EQU(h->ddw_start_hint, w->ddw_start);
	T_EQU(h->ddw_max_entries, w->ddw_entries);
}

static void check_platform(const struct want *w, const struct spapr_dma_platform *p)
{
	T_EQ(p->kind, w->platform == SPAPR_BACKEND_PLATFORM_PSERIES ?
		      SPAPR_DMA_PLATFORM_PSERIES : SPAPR_DMA_PLATFORM_POWERNV);
	T_EQ(p->system_page_shift, w->page_shift);
	T_EQU(p->max_level_chunk, w->chunk);
	T_EQ(p->bus_addr_bits, w->bus_bits);
	T_CHECK(!p->table_charge_x1);
	T_EQU(p->ddw_start_hint, w->ddw_start);
	T_EQU(p->ddw_max_entries, w->ddw_entries);
}

static void model_profiles(void)
{
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		struct spapr_model_profile p;
		struct spapr_model *m = model_of(wants[i].profile, &p);
		struct spapr_backend_host h;
		struct spapr_dma_platform plat;
		struct spapr_backend *be;

		T_CHECK(m != NULL);
		if (m == NULL)
			continue;
		be = spapr_model_backend(m);
		memset(&h, 0xa5, sizeof(h));	/* the op must zero what it does not know */
		T_ERR(be->ops->host_info(be, &h), 0);
		check_host(&wants[i], &h);
		T_ERR(spapr_dma_platform_from_backend(be, &plat), 0);
		check_platform(&wants[i], &plat);
		spapr_model_destroy(m);
	}
}

/* A profile's overrides reach the engine: "no bus rule" and pre-4.19 x1. */
static void model_overrides(void)
{
	struct spapr_model_profile p;
	struct spapr_dma_platform plat;
	struct spapr_backend_host h;
	struct spapr_backend *be;
	struct spapr_model *m;

	T_ERR(spapr_model_profile_get("powernv9", &p), 0);
	T_ERR(spapr_model_profile_set(&p, "bus_addr_bits", "0", NULL, 0), 0);
	T_ERR(spapr_model_profile_set(&p, "pre_4_19_tables", "yes", NULL, 0), 0);
	T_ERR(spapr_model_profile_set(&p, "max_level_chunk", "4M", NULL, 0), 0);
	m = spapr_model_create(&p);
	T_CHECK(m != NULL);
	if (m == NULL)
		return;
	be = spapr_model_backend(m);
	T_ERR(be->ops->host_info(be, &h), 0);
	T_EQ(h.bus_addr_bits, SPAPR_BACKEND_HOST_NO_BUS_RULE);
	T_CHECK(h.table_charge_x1);
	T_EQU(h.max_level_chunk, 4 * MiB);
	T_ERR(spapr_dma_platform_from_backend(be, &plat), 0);
	T_EQ(plat.bus_addr_bits, 0);
	T_CHECK(plat.table_charge_x1);
	T_EQU(plat.max_level_chunk, 4 * MiB);
	T_ERR(be->ops->host_info(be, NULL), -EFAULT);
	spapr_model_destroy(m);
}

/* host_info is no ioctl: the model does not count it. */
static void model_not_counted(void)
{
	struct spapr_model_profile p;
	struct spapr_model *m = model_of("pseries-kvm", &p);
	struct spapr_model_counters before, after;
	struct spapr_dma_platform plat;

	T_CHECK(m != NULL);
	if (m == NULL)
		return;
	spapr_model_counters(m, &before);
	T_ERR(spapr_dma_platform_from_backend(spapr_model_backend(m), &plat), 0);
	spapr_model_counters(m, &after);
	T_CHECK(memcmp(&before, &after, sizeof(before)) == 0);
	spapr_model_destroy(m);
}

/* ---- a scripted backend: only host_info ---- */

static struct spapr_backend_host scripted;
static int scripted_rc;

static int scripted_host_info(struct spapr_backend *be, struct spapr_backend_host *out)
{
	(void)be;
	*out = scripted;
	return scripted_rc;
}

static const struct spapr_backend_ops scripted_ops = { .host_info = scripted_host_info };
static const struct spapr_backend_ops no_host_ops = { .host_info = NULL };

static void engine_rules(void)
{
	struct spapr_backend be = { .ops = &scripted_ops, .name = "scripted" };
	struct spapr_backend none = { .ops = &no_host_ops, .name = "none" };
	struct spapr_dma_platform plat, dflt;

	T_ERR(spapr_dma_platform_from_backend(NULL, &plat), -EINVAL);
	T_ERR(spapr_dma_platform_from_backend(&be, NULL), -EINVAL);
	T_ERR(spapr_dma_platform_from_backend(&none, &plat), -EOPNOTSUPP);

	/* Unknown kind: not an sPAPR host, @out untouched. */
	memset(&scripted, 0, sizeof(scripted));
	memset(&plat, 0x5a, sizeof(plat));
	T_ERR(spapr_dma_platform_from_backend(&be, &plat), -ENODEV);
	T_EQ(plat.system_page_shift, 0x5a5a5a5a);

	/* Only the kind known (a real machine): the kernel's defaults. */
	scripted.platform = SPAPR_BACKEND_PLATFORM_PSERIES;
	T_ERR(spapr_dma_platform_from_backend(&be, &plat), 0);
	spapr_dma_platform_default(SPAPR_DMA_PLATFORM_PSERIES, 16, &dflt);
	T_CHECK(memcmp(&plat, &dflt, sizeof(plat)) == 0);
	T_EQU(plat.ddw_start_hint, BIT59);

	scripted.platform = SPAPR_BACKEND_PLATFORM_POWERNV;
	scripted.system_page_shift = 12;
	T_ERR(spapr_dma_platform_from_backend(&be, &plat), 0);
	T_EQ(plat.kind, SPAPR_DMA_PLATFORM_POWERNV);
	T_EQ(plat.system_page_shift, 12);
	T_EQU(plat.max_level_chunk, 16 * MiB);
	T_EQ(plat.bus_addr_bits, 55);

	/* "No limit" markers turn into the engine's 0 = no rule. */
	scripted.max_level_chunk = SPAPR_BACKEND_HOST_NO_CHUNK_LIMIT;
	scripted.bus_addr_bits = SPAPR_BACKEND_HOST_NO_BUS_RULE;
	T_ERR(spapr_dma_platform_from_backend(&be, &plat), 0);
	T_EQU(plat.max_level_chunk, 0);
	T_EQ(plat.bus_addr_bits, 0);

	/* The op's error is passed on. */
	scripted_rc = -EIO;
	T_ERR(spapr_dma_platform_from_backend(&be, &plat), -EIO);
	scripted_rc = 0;
}

/* The vfio backend of this machine: no device file is opened. */
static void vfio_this_machine(void)
{
	struct spapr_backend *be = spapr_vfio_backend_create_at("/nonexistent");
	struct spapr_dma_platform plat;
	struct spapr_backend_host h;
	long page = sysconf(_SC_PAGESIZE);

	T_CHECK(be != NULL);
	if (be == NULL)
		return;
	T_ERR(be->ops->host_info(be, &h), 0);
	T_EQ(h.system_page_shift, __builtin_ctzl((unsigned long)page));
	T_EQU(h.max_level_chunk, 0);
	T_EQ(h.bus_addr_bits, 0);
	T_EQU(h.ddw_max_entries, 0);
	T_ERR(be->ops->host_info(be, NULL), -EFAULT);
#if !defined(__powerpc__)
	/* Only powerpc's show_cpuinfo prints a "platform" line. */
	T_EQ(h.platform, SPAPR_BACKEND_PLATFORM_UNKNOWN);
#endif
	/* On POWER the kind is known (a real kernel names it; a user-mode
	 * emulator on another host may not): the engine follows either way. */
	if (h.platform == SPAPR_BACKEND_PLATFORM_UNKNOWN) {
		T_ERR(spapr_dma_platform_from_backend(be, &plat), -ENODEV);
	} else {
		T_ERR(spapr_dma_platform_from_backend(be, &plat), 0);
		T_EQ(plat.kind, h.platform == SPAPR_BACKEND_PLATFORM_PSERIES ?
				SPAPR_DMA_PLATFORM_PSERIES : SPAPR_DMA_PLATFORM_POWERNV);
		T_EQ(plat.system_page_shift, h.system_page_shift);
	}
	spapr_vfio_backend_destroy(be);
}

int main(void)
{
	T_RUN(model_profiles);
	T_RUN(model_overrides);
	T_RUN(model_not_counted);
	T_RUN(engine_rules);
	T_RUN(vfio_this_machine);
	return t_finish();
}
