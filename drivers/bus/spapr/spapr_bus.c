/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_bus.c - the "spapr" bus: an EAL plugin whose probe sets up the sPAPR
 * TCE IOMMU with lib/dma after EAL memory init and before bus_pci probes.
 *
 * Order: rte_eal_init() probes buses in rte_bus_list order (vdev last,
 * lib/eal/common/eal_common_bus.c rte_bus_probe). A -d plugin registers after
 * the buses the application links (pci for testpmd), so the constructor moves
 * every bus already registered behind this one, keeping their order. This is
 * safe: it runs inside eal_plugins_init(), before rte_bus_scan().
 *
 * Options are validated in the bus's devargs_parse hook ("-a bus=spapr,..."),
 * which runs in eal_option_device_parse(): a bad value fails rte_eal_init().
 * The legacy form "-a spapr,..." reaches the plugin only at scan, still
 * before the IOVA vote; its errors make the probe refuse.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_memory.h>
#include <rte_telemetry.h>
#include <bus_driver.h>

#include "rte_bus_spapr.h"
#include "spapr_priv.h"

RTE_LOG_REGISTER(spapr_bus_logtype, bus.spapr, INFO);

struct spapr_state spapr = { .status = -EAGAIN };

static struct rte_bus spapr_bus;

/* ---- options ---- */

/* Resolve the model profile now so a bad name fails as early as the rest. */
static int finalize_opts(struct spapr_opts *o, char *err, size_t len)
{
	int rc = spapr_opts_validate(o, err, len);

	if (rc || o->backend != SPAPR_OPTS_MODEL)
		return rc;
	rc = spapr_model_profile_resolve(o->profile, &spapr.profile, err, len);
	if (rc) {
		char tmp[SPAPR_ERR_LEN];

		snprintf(tmp, sizeof(tmp), "key 'profile': %s", err);
		snprintf(err, len, "%s", tmp);
	}
	return rc;
}

static void read_env_opts(void)
{
	const char *env = getenv(SPAPR_OPTS_ENV);
	char err[SPAPR_ERR_LEN] = "";

	spapr_opts_init(&spapr.env_opts);
	spapr.opts_rc = spapr_opts_parse(&spapr.env_opts, env, SPAPR_OPTS_ENV, err, sizeof(err));
	spapr.opts = spapr.env_opts;
	spapr.backend_from_env = spapr.env_opts.backend == SPAPR_OPTS_MODEL;
	if (spapr.opts_rc == 0)
		spapr.opts_rc = finalize_opts(&spapr.opts, err, sizeof(err));
	if (spapr.opts_rc) {
		spapr_fail(spapr.opts_rc, "%s", err);
		SPAPR_LOG(ERR, "%s\n", err);
	}
}

static bool spapr_devargs_seen;

/*
 * The plugin's devargs, in either form: "-a bus=spapr,key=value,..." (the
 * devargs_parse hook; @text is da->bus_str, "bus=spapr,key=value,...") or
 * "-a spapr,key=value,..." (found at scan; @text is da->args,
 * "key=value,..."). One parser, one set of errors, one devargs at most.
 * 0, or the error (logged and recorded in spapr.error).
 */
static int apply_devargs(struct rte_devargs *da, const char *text, bool legacy)
{
	struct spapr_opts o = spapr.env_opts;
	char err[SPAPR_ERR_LEN] = "";
	int rc;

	rc = spapr.opts_rc;
	/* A second spapr devargs would silently replace the first. */
	if (rc == 0 && spapr_devargs_seen) {
		snprintf(err, sizeof(err), "devargs: -a bus=spapr (or -a spapr) given twice: put "
			 "every option in one -a bus=spapr,key=value,...");
		rc = -EINVAL;
	} else if (rc == 0) {
		rc = spapr_opts_parse(&o, text, "devargs", err, sizeof(err));
	}
	else
		snprintf(err, sizeof(err), "%s", spapr.error);
	if (rc == 0 && o.help) {
		spapr_opts_help(stdout);
		snprintf(err, sizeof(err), "help printed; %s",
			 legacy ? "no DMA set-up" : "EAL init stops");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = finalize_opts(&o, err, sizeof(err));
	if (rc) {
		SPAPR_LOG(ERR, "%s (in %s)\n", err, legacy ? "-a spapr,..." : "-a bus=spapr,...");
		spapr_fail(rc, "%s", err);
		spapr.opts_rc = rc;
		return rc;
	}
	/*
	 * The devargs configures the bus and names no device. Unnamed, it stays
	 * out of the "--allow=<name>,<args>" that dpdk-test copies from its
	 * own devargs into each child it starts (app/test/process.h
	 * add_parameter_allow skips unnamed ones): a child started without -d
	 * has no spapr bus and would fail rte_eal_init() on "spapr".
	 */
	da->name[0] = '\0';
	spapr_devargs_seen = true;
	spapr.backend_from_env = spapr.env_opts.backend == SPAPR_OPTS_MODEL &&
				 strstr(text, "backend=") == NULL;
	spapr.opts = o;
	spapr.status = -EAGAIN;
	return 0;
}

/* "-a bus=spapr,...": runs in eal_option_device_parse(), so an error fails rte_eal_init(). */
static int spapr_devargs_parse(struct rte_devargs *da)
{
	return apply_devargs(da, da->bus_str != NULL ? da->bus_str : "", false);
}

/*
 * "-a spapr,key=value,...": EAL's legacy syntax finds the bus by its name
 * and calls no bus hook (lib/eal/common/eal_common_devargs.c
 * rte_devargs_parse, 22.11 to 25.11). The scan is the plugin's first call
 * after the devargs are parsed, and rte_eal_init() asks for the IOVA mode
 * only after it, so the options still decide everything. rte_bus_scan()
 * ignores scan errors: a bad value there cannot fail rte_eal_init(), so the
 * probe refuses and the log says so.
 */
static void apply_legacy_devargs(void)
{
	struct rte_devargs *da;

	RTE_EAL_DEVARGS_FOREACH("spapr", da) {
		/* bus= form (parsed by the hook) or done by an earlier scan */
		if (da->bus_str != NULL || da->name[0] == '\0')
			continue;
		if (apply_devargs(da, da->args != NULL ? da->args : "", true) == 0)
			continue;
		SPAPR_LOG(ERR, "EAL init goes on without the plugin's DMA set-up: DPDK reports no "
			  "errors for -a spapr,...; -a bus=spapr,... would have failed "
			  "rte_eal_init()\n");
		da->name[0] = '\0';
		return;
	}
}

/* ---- bus callbacks ---- */

static int spapr_scan(void)
{
	if (spapr.status == -EAGAIN)
		apply_legacy_devargs();	/* before the probe; once */
	return 0;	/* no devices of its own; the work is in probe */
}

/*
 * Non-zero window starts and allocated IOVAs reach PMDs only through memseg
 * IOVAs, which DPDK ignores for its own memory in VA mode (spapr_mem.c).
 * Ask for PA then; direct windows at 0 (PowerNV) work in both modes.
 */
static enum rte_iova_mode spapr_get_iommu_class(void)
{
	struct spapr_dma_platform plat;

	if (spapr.opts_rc)
		return RTE_IOVA_DC;
	/* --no-huge: no physical addresses. A PA vote then makes DPDK 24.11
	 * and later abort EAL init ("Cannot use IOVA as 'PA'"); 22.11 chose
	 * VA. No vote: the probe refuses with the reason (PA mode needs
	 * hugepages), the same under every version. */
	if (!rte_eal_has_hugepages())
		return RTE_IOVA_DC;
	if (spapr.opts.policy == SPAPR_OPTS_INDIRECT)
		return RTE_IOVA_PA;
	if (spapr.opts.backend == SPAPR_OPTS_MODEL)
		return spapr.profile.platform == SPAPR_MODEL_PSERIES ? RTE_IOVA_PA : RTE_IOVA_DC;
	/* pseries: the hypervisor places the DDW at 1<<59 (observed under QEMU). */
	if (spapr_vfio_platform(&plat) == 0 && plat.kind == SPAPR_DMA_PLATFORM_PSERIES)
		return RTE_IOVA_PA;
	return RTE_IOVA_DC;
}

/*
 * The environment reaches every DPDK process of a shell: SPAPR_DPDK_OPTS
 * alone must not swap the real IOMMU set-up of a process with vfio-pci
 * devices for the simulator. Refused then; asked for in devargs, the model
 * runs with a loud warning. True when refused (status and error set).
 */
static bool model_would_hide_devices(void)
{
	char names[256];
	unsigned int n = spapr_vfio_devices_listed(names, sizeof(names));

	if (n == 0) {
		if (spapr.backend_from_env)
			SPAPR_LOG(WARNING, "SPAPR_DPDK_OPTS selects backend=model: this process uses "
				  "the simulated host IOMMU, not the real one\n");
		return false;
	}
	if (!spapr.backend_from_env) {
		SPAPR_LOG(WARNING, "backend=model: the %u vfio-pci device(s) of this process (%s) "
			  "get no DMA set-up from the plugin; DMA runs against the simulated host\n",
			  n, names);
		return false;
	}
	spapr_fail(-EPERM, "SPAPR_DPDK_OPTS selects backend=model (the simulated host IOMMU) but "
		   "this process has %u vfio-pci device(s) to probe (%s), whose DMA would then not "
		   "be set up; unset SPAPR_DPDK_OPTS, or give backend=model in -a bus=spapr,... "
		   "if the simulator is really wanted", n, names);
	SPAPR_LOG(ERR, "%s\n", spapr.error);
	return true;
}

/* Devices plugged after start-up join the set-up (spapr_hotplug.c). */
static void install_hotplug(void)
{
	int rc = 0;

	if (spapr.opts.backend == SPAPR_OPTS_MODEL && spapr.opts.iommu)
		rc = spapr_hotplug_install(&spapr_model_hotplug_ops);
	else if (spapr.opts.backend == SPAPR_OPTS_VFIO && (!spapr.idle || spapr.power_idle))
		rc = spapr_hotplug_install(&spapr_vfio_hotplug_ops);
	if (rc)
		SPAPR_LOG(WARNING, "no hotplug: the bus of the plugin's devices is not there; "
			  "devices probed after start-up get no DMA set-up from the plugin\n");
}

/*
 * The containers belong to the primary's mm (doc/kernel-model.md §10.16)
 * and the memsegs this process shares carry the IOVAs the primary's plugin
 * published: nothing to set up here. Its EAL gets the devices' groups from
 * the primary, whose plugin must answer its VFIO requests before bus_pci
 * probes here (spapr_vfio_mp.c).
 */
static int defer_to_primary(void)
{
	spapr.secondary = true;
	spapr.status = 0;
	spapr.error[0] = '\0';
	SPAPR_LOG(INFO, "secondary process: DMA set-up, windows and IOVAs are the primary's; "
		  "nothing to set up here\n");
	if (spapr.opts.backend == SPAPR_OPTS_VFIO)
		spapr_vfio_mp_ask_primary();
	return 0;
}

static int spapr_probe(void)
{
	int rc;

	if (spapr.opts_rc) {
		spapr_vfio_block_after_bad_opts();
		return spapr.opts_rc;	/* already logged */
	}
	if (spapr.status == 0)
		return 0;		/* probed before (rte_bus_probe again) */
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return defer_to_primary();
	spapr.status = -EAGAIN;
	spapr.idle = false;
	if (spapr.opts.backend == SPAPR_OPTS_MODEL && model_would_hide_devices())
		return spapr.status;
	if (spapr.opts.backend == SPAPR_OPTS_MODEL)
		rc = spapr_setup_model();
	else
		rc = spapr_setup_vfio();
	if (rc) {
		SPAPR_LOG(ERR, "DMA set-up failed: %s\n", spapr.error);
		if (spapr_teardown() == 0 && strstr(spapr.error, "left behind") == NULL)
			SPAPR_LOG(INFO, "everything the set-up did is undone\n");
		else
			SPAPR_LOG(ERR, "the set-up could not be undone completely: see the "
				  "\"left behind\" errors above\n");
		if (spapr.opts.backend == SPAPR_OPTS_VFIO) {
			spapr_vfio_release(true);
			/* Devices plugged later are refused, not left to DPDK. */
			spapr_hotplug_install(&spapr_vfio_hotplug_ops);
		}
		return rc;
	}
	spapr.status = 0;
	spapr.error[0] = '\0';
	install_hotplug();
	if (spapr.opts.backend == SPAPR_OPTS_VFIO && (!spapr.idle || spapr.power_idle))
		spapr_vfio_mp_serve();
	if (spapr.idle) {
		SPAPR_LOG(DEBUG, "idle: no sPAPR IOMMU (not POWER) or no vfio-pci device to probe\n");
		return 0;
	}
	SPAPR_LOG(INFO, "DMA set up: %s backend%s%s, %u container(s), EAL IOVA as %s%s\n",
		  spapr_opts_backend_name(spapr.opts.backend),
		  spapr.model ? " profile " : "", spapr.model ? spapr.profile.name : "",
		  spapr.ncont, spapr.eal_va ? "VA" : "PA",
		  spapr.rewritten ? ", memseg IOVAs set to window IOVAs" : "");
	return 0;
}

static struct rte_device *spapr_find_device(const struct rte_device *start, rte_dev_cmp_t cmp,
					    const void *data)
{
	RTE_SET_USED(start);
	RTE_SET_USED(cmp);
	RTE_SET_USED(data);
	return NULL;
}

static int spapr_parse(const char *name, void *addr)
{
	RTE_SET_USED(addr);
	return strcmp(name, "spapr") == 0 ? 0 : 1;
}

void spapr_release(void)
{
	spapr_vfio_mp_stop();
	spapr_teardown();
	if (spapr.opts.backend == SPAPR_OPTS_VFIO)
		spapr_vfio_release(false);
	if (spapr.model != NULL)
		spapr_model_destroy(spapr.model);
	spapr.model = NULL;
	spapr.be = NULL;
	spapr.status = -EAGAIN;
	spapr.secondary = false;
}

static int spapr_cleanup(void)
{
	/* With devices, the release follows their bus's cleanup (spapr_hotplug.c). */
	if (!spapr_hotplug_release_deferred())
		spapr_release();
	return 0;
}

static struct rte_bus spapr_bus = {
	.scan = spapr_scan,
	.probe = spapr_probe,
	.find_device = spapr_find_device,
	.parse = spapr_parse,
	.devargs_parse = spapr_devargs_parse,
	.get_iommu_class = spapr_get_iommu_class,
	.cleanup = spapr_cleanup,
};

static int any_bus(const struct rte_bus *bus, const void *data)
{
	RTE_SET_USED(bus);
	RTE_SET_USED(data);
	return 0;
}

/* Register first: every bus registered before us moves behind us. */
static void register_first(void)
{
	struct rte_bus *before[64];
	unsigned int n = 0;
	struct rte_bus *b = NULL;

	while (n < RTE_DIM(before) && (b = rte_bus_find(b, any_bus, NULL)) != NULL)
		before[n++] = b;
	for (unsigned int i = 0; i < n; i++)
		rte_bus_unregister(before[i]);
	rte_bus_register(&spapr_bus);
	for (unsigned int i = 0; i < n; i++)
		rte_bus_register(before[i]);
}

RTE_INIT_PRIO(spapr_bus_init, BUS)
{
	spapr_bus.name = "spapr";
	read_env_opts();
	register_first();
	spapr_telemetry_register();
}

/* ---- public API (rte_bus_spapr.h) ---- */

int rte_spapr_status(void)
{
	return spapr.status;
}

const char *rte_spapr_error(void)
{
	return spapr.status ? spapr.error : "";
}

struct spapr_model *rte_spapr_model(void)
{
	return spapr.model;
}

unsigned int rte_spapr_containers(void)
{
	return spapr.ncont;
}

struct spapr_dma_container *rte_spapr_container(unsigned int i)
{
	return i < spapr.ncont ? spapr.cont[i].c : NULL;
}

int rte_spapr_container_groups(unsigned int i, int *groups, unsigned int max)
{
	unsigned int n;

	if (i >= spapr.ncont)
		return -EINVAL;
	n = RTE_MIN(max, spapr.cont[i].ngroups);
	memcpy(groups, spapr.cont[i].groups, n * sizeof(*groups));
	return (int)spapr.cont[i].ngroups;
}

int rte_spapr_container_groups_parked(unsigned int i, int *groups, unsigned int max)
{
	const struct spapr_container_ref *ref;
	unsigned int n = 0;

	if (i >= spapr.ncont)
		return -EINVAL;
	ref = &spapr.cont[i];
	for (unsigned int k = 0; k < ref->ngroups; k++) {
		if (!ref->parked[k])
			continue;
		if (n < max)
			groups[n] = ref->groups[k];
		n++;
	}
	return (int)n;
}

uint64_t rte_spapr_dma_iova(const void *va)
{
	uint64_t iova = UINT64_MAX;

	for (unsigned int i = 0; i < spapr.ncont; i++) {
		uint64_t x = spapr_dma_iova(spapr.cont[i].c, (uint64_t)(uintptr_t)va);

		if (x == SPAPR_DMA_BAD_IOVA || (i && x != iova))
			return UINT64_MAX;
		iova = x;
	}
	return iova;
}

static int dma_map_locked(void *va, size_t len, size_t page_size)
{
	struct spapr_dma_mem_region *r;
	struct spapr_dma_error e;
	unsigned int shift, n;
	int rc;

	if (spapr.ctx == NULL || spapr.status)
		return -ENODEV;
	if (page_size == 0 || (page_size & (page_size - 1)) || len == 0 ||
	    ((uintptr_t)va | len) & (page_size - 1))
		return -EINVAL;
	shift = 63u - (unsigned int)__builtin_clzll(page_size);
	n = (unsigned int)(len >> shift);
	r = calloc(n, sizeof(*r));
	if (r == NULL) {
		SPAPR_LOG(ERR, "rte_spapr_dma_map(%p, %zu): out of memory for %u region(s)\n",
			  va, len, n);
		return -ENOMEM;
	}
	/* One region per page: in IOVA-as-PA mode each has its own PA. */
	for (unsigned int i = 0; i < n; i++) {
		char *p = (char *)va + ((size_t)i << shift);

		r[i].va = (uintptr_t)p;
		r[i].len = page_size;
		r[i].page_shift = shift;
		r[i].numa_node = -1;
		r[i].prot = SPAPR_DMA_READ | SPAPR_DMA_WRITE;
		r[i].pa = spapr_page_pa(p, 0, true);
		if (r[i].pa == RTE_BAD_IOVA) {
			free(r);
			SPAPR_LOG(ERR, "rte_spapr_dma_map(%p, %zu): no physical address for page %p (IOVA as PA needs root)\n",
				  va, len, p);
			return -EFAULT;
		}
	}
	rc = spapr_mem_model_declare((uintptr_t)va, len, shift, va);
	if (rc) {
		free(r);
		SPAPR_LOG(ERR, "rte_spapr_dma_map(%p, %zu): declaring it to the host model failed: %s\n",
			  va, len, strerror(-rc));
		return rc;
	}
	memset(&e, 0, sizeof(e));
	rc = spapr_mem_user_add((uintptr_t)va, len);
	if (rc) {
		e.step_id = SPAPR_DMA_STEP_MEMORY;
		snprintf(e.step, sizeof(e.step), "%s", spapr_dma_step_name(e.step_id));
		e.err = ENOMEM;
		snprintf(e.message, sizeof(e.message), "out of memory recording the range");
	}
	if (rc == 0) {
		rc = spapr_dma_mem_add(spapr.ctx, r, n, &e);
		if (rc)
			spapr_mem_user_remove((uintptr_t)va, len);
	}
	free(r);
	if (rc) {
		char why[SPAPR_ERR_LEN];

		spapr_error_text(&e, why, sizeof(why));
		SPAPR_LOG(ERR, "rte_spapr_dma_map(%p, %zu): %s\n", va, len, why);
		spapr_mem_model_undeclare((uintptr_t)va, len, shift);
		return rc;
	}
	spapr.mem_bytes += len;
	return 0;
}

static int dma_unmap_locked(void *va, size_t len)
{
	struct spapr_dma_error e;
	const struct spapr_model_profile *p;
	int rc;

	if (spapr.ctx == NULL || spapr.status)
		return -ENODEV;
	/* Only what rte_spapr_dma_map() mapped: DPDK's memory keeps its IOVAs. */
	if (!spapr_mem_user_covers((uintptr_t)va, len)) {
		SPAPR_LOG(ERR, "rte_spapr_dma_unmap(%p, %zu): not memory rte_spapr_dma_map() mapped; DPDK's own memory is unmapped only when DPDK frees it\n",
			  va, len);
		return -EINVAL;
	}
	rc = spapr_mem_user_reserve_split();
	if (rc) {
		SPAPR_LOG(ERR, "rte_spapr_dma_unmap(%p, %zu): out of memory recording the ranges; nothing unmapped\n",
			  va, len);
		return rc;
	}
	rc = spapr_dma_mem_remove(spapr.ctx, (uintptr_t)va, len, &e);
	if (rc) {
		char why[SPAPR_ERR_LEN];

		spapr_error_text(&e, why, sizeof(why));
		SPAPR_LOG(ERR, "rte_spapr_dma_unmap(%p, %zu): %s%s\n", va, len, why,
			  e.outcome == SPAPR_DMA_OUTCOME_LEFT_BEHIND ? "; the memory was removed" :
			  e.outcome == SPAPR_DMA_OUTCOME_CLEAN ? "; the memory stays mapped" : "");
		/* LEFT_BEHIND: the removal itself was done (an orphaned registration). */
		if (e.outcome != SPAPR_DMA_OUTCOME_LEFT_BEHIND)
			return rc;
	}
	spapr_mem_user_remove((uintptr_t)va, len);
	if (spapr.model != NULL) {
		/* Declared per page: undeclare with the page size that fits. */
		p = spapr_model_get_profile(spapr.model);
		for (unsigned int s = 30; s >= p->system_page_shift; s--) {
			if ((((uintptr_t)va | len) & ((1ull << s) - 1)) == 0 &&
			    spapr_model_mm_unmap(spapr.model, 0, (uintptr_t)va, 1ull << s) == 0) {
				spapr_mem_model_undeclare((uintptr_t)va + (1ull << s), len - (1ull << s), s);
				break;
			}
		}
	}
	spapr.mem_bytes -= len;
	return 0;
}

int rte_spapr_dma_map(void *va, size_t len, size_t page_size)
{
	int rc;

	spapr_mem_lock();
	rc = dma_map_locked(va, len, page_size);
	spapr_mem_unlock();
	return rc;
}

int rte_spapr_dma_unmap(void *va, size_t len)
{
	int rc;

	spapr_mem_lock();
	rc = dma_unmap_locked(va, len);
	spapr_mem_unlock();
	return rc;
}

void rte_spapr_info_get(struct rte_spapr_info *info)
{
	memset(info, 0, sizeof(*info));
	info->status = spapr.status;
	info->backend = spapr_opts_backend_name(spapr.opts.backend);
	info->profile = spapr.opts.backend == SPAPR_OPTS_MODEL ? spapr.profile.name : "";
	info->policy = spapr_opts_policy_name(spapr.opts.policy);
	info->eal_iova_va = spapr.eal_va;
	info->iovas_rewritten = spapr.rewritten;
	info->containers = spapr.ncont;
	for (unsigned int i = 0; i < spapr.ncont; i++)
		info->groups += spapr.cont[i].ngroups;
	info->mem_bytes = spapr.mem_bytes;
	info->mem_events = spapr.mem_events;
	info->mem_event_errors = spapr.mem_event_errors;
	info->growth_denied = spapr.growth_denied;
	info->populate_refused = spapr.populate_refused;
	if (spapr.ncont) {
		spapr_mem_lock();
		info->growth_room = spapr_capacity_room();
		spapr_mem_unlock();
	}
	info->secondary = spapr.secondary;
}

int rte_spapr_plan_line(unsigned int i, char *buf, size_t len)
{
	return spapr_plan_line(i, buf, len);
}
