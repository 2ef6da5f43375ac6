/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_setup.c - backend, platform, policy and containers via lib/dma.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <rte_bus.h>
#include <rte_common.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_memzone.h>

#include <bus_driver.h>
#include <dev_driver.h>

#include "spapr_priv.h"
#include "spapr_util.h"

void spapr_fail(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(spapr.error, sizeof(spapr.error), fmt, ap);
	va_end(ap);
	spapr.status = rc < 0 ? rc : -EIO;
}

static size_t leak_add(char *buf, size_t len, size_t off, const char *fmt, uint64_t v,
		       const char *what)
{
	char sz[24];
	int n;

	if (v == 0 || off >= len)
		return off;
	n = snprintf(buf + off, len - off, fmt, off ? ", " : "",
		     spapr_size_human(v, sz, sizeof(sz)), what);
	return n < 0 ? off : off + (size_t)n;
}

/*
 * What a failed lib/dma call left in the kernel, in words, with how long it
 * stays and what to do (§3.5: pinned registrations and kept charges last
 * until the process exits, mm_iommu_cleanup()). Empty when nothing stayed.
 */
int spapr_leak_format(const struct spapr_dma_error *e, char *buf, size_t len)
{
	const struct spapr_dma_leak *l = &e->leak;
	size_t off = 0;

	buf[0] = '\0';
	if (e->outcome == SPAPR_DMA_OUTCOME_CLEAN)
		return 0;
	off = leak_add(buf, len, off, "%s%s still mapped%s", l->mapped_bytes,
		       " (a device may still reach it)");
	off = leak_add(buf, len, off, "%s%s possibly still mapped%s", l->unproven_bytes,
		       " (pseries: TCE clears not proven)");
	off = leak_add(buf, len, off, "%s%s still registered%s", l->registered_bytes,
		       " (pinned, charged to RLIMIT_MEMLOCK until its container closes)");
	off = leak_add(buf, len, off, "%s%s of locked_vm kept by the kernel%s", l->locked_bytes,
		       " (until the process exits)");
	off = leak_add(buf, len, off, "%s%s lost from the IOMMU%s", l->lost_bytes,
		       " (devices fault on it)");
	off = leak_add(buf, len, off, "%s%s of IOVA space never reused%s", l->quarantined_bytes, "");
	if (l->windows && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s%u window(s) left", off ? ", " : "",
					l->windows);
	if (l->handles && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s%u handle(s) left open",
					off ? ", " : "", l->handles);
	if (l->broken && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s%u container(s) broken (they refuse "
					"further memory changes)", off ? ", " : "", l->broken);
	if (l->what[0] && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "; " : "", l->what);
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, "; to release it all, restart the "
					"application (the kernel frees pinned and charged memory "
					"when the process exits)");
	return (int)RTE_MIN(off, len - 1);
}

/*
 * lib/dma's remedies name options as spapr-info spells them; plugin users
 * write devargs keys. Rewrites in place (the key form is never longer).
 */
static void plugin_spelling(char *buf)
{
	static const char *const cli[][2] = {
		{ "--policy indirect", "policy=indirect" },
		{ "--policy direct", "policy=direct" },
	};

	for (size_t i = 0; i < RTE_DIM(cli); i++) {
		char *p;

		while ((p = strstr(buf, cli[i][0])) != NULL) {
			size_t from = strlen(cli[i][0]), to = strlen(cli[i][1]);

			memcpy(p, cli[i][1], to);
			memmove(p + to, p + from, strlen(p + from) + 1);
		}
	}
}

int spapr_error_text(const struct spapr_dma_error *e, char *buf, size_t len)
{
	char left[SPAPR_ERR_LEN];
	int n;

	spapr_dma_error_format(e, buf, len);
	plugin_spelling(buf);
	n = (int)strlen(buf);

	if (spapr_leak_format(e, left, sizeof(left)) > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "; left behind: %s", left);
	return n;
}

/* Highest end of DPDK's internal VA reservations: direct windows cover it
 * so that memory growth after init lands inside the window. */
static int top_walk(const struct rte_memseg_list *msl, void *arg)
{
	uint64_t *top = arg;
	uint64_t end = (uint64_t)(uintptr_t)msl->base_va + msl->len;

	if (!msl->external && end > *top)
		*top = end;
	return 0;
}

/*
 * IOVA as PA: growth may bring pages anywhere in RAM, so a direct window
 * covers the highest "System RAM" address of /proc/iomem (DPDK sizes its
 * own sPAPR window the same way). 0 when unreadable (no root).
 */
static uint64_t ram_top(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	uint64_t top = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (line[0] != ' ' && strstr(line, "System RAM") &&
		    sscanf(line, "%llx-%llx", &lo, &hi) == 2 && hi + 1 > top)
			top = hi + 1;
	}
	fclose(f);
	return top;
}

/* Long mappings (hundreds of GiB on big hosts) report progress at INFO,
 * every SPAPR_DMA_PROGRESS_STEP; small ones only at DEBUG. */
static void spapr_progress_log(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	if (total >= SPAPR_DMA_PROGRESS_STEP)
		SPAPR_LOG(INFO, "mapping DMA memory: %" PRIu64 " of %" PRIu64 " MiB\n",
			  done >> 20, total >> 20);
	else
		SPAPR_LOG(DEBUG, "mapping DMA memory: %" PRIu64 " of %" PRIu64 " KiB\n",
			  done >> 10, total >> 10);
}

struct spapr_dma_ctx *spapr_ctx_create(const struct spapr_dma_platform *plat,
				       const struct spapr_dma_policy *pol)
{
	struct spapr_dma_ctx *ctx = spapr_dma_ctx_create(plat, pol);

	if (ctx != NULL)
		spapr_dma_ctx_set_progress(ctx, spapr_progress_log, NULL);
	return ctx;
}

/* CAP_IPC_LOCK (bit 14 of CapEff) lifts the RLIMIT_MEMLOCK check (§3.5). */
static bool has_cap_ipc_lock(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long caps = 0;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return (caps >> 14) & 1;
}

void spapr_policy_from_opts(struct spapr_dma_policy *pol)
{
	const struct spapr_opts *o = &spapr.opts;
	uint64_t top = 0;

	memset(pol, 0, sizeof(*pol));
	pol->mode = o->policy == SPAPR_OPTS_DIRECT ? SPAPR_DMA_MODE_DIRECT :
		    o->policy == SPAPR_OPTS_INDIRECT ? SPAPR_DMA_MODE_INDIRECT :
		    SPAPR_DMA_MODE_AUTO;
	pol->iova_mode = spapr.eal_va ? SPAPR_DMA_IOVA_VA : SPAPR_DMA_IOVA_PA;
	/* With IOVA as VA, DPDK answers VA for its own memory whatever
	 * ms->iova says (rte_malloc_virt2iova, rte_mem_virt2iova), so only a
	 * 1:1 window at 0 can be right: auto must not pick an indirect plan
	 * for its table cost (lib/dma weighs that in auto mode). */
	if (spapr.eal_va && pol->mode == SPAPR_DMA_MODE_AUTO)
		pol->mode = SPAPR_DMA_MODE_DIRECT;
	pol->page_shift = o->page_shift;
	pol->window_size = o->window_size;
	pol->table_budget = o->table_budget;
	if (spapr.eal_va && RTE_PER_LCORE(spapr_mem_locked))
		rte_memseg_list_walk_thread_unsafe(top_walk, &top);
	else if (spapr.eal_va)
		rte_memseg_list_walk(top_walk, &top);
	else
		top = ram_top();
	pol->direct_top = top;
	if (!o->memlock_check) {
		pol->memlock_limit = SPAPR_DMA_UNLIMITED;
	} else if (spapr.model != NULL) {
		const struct spapr_model_profile *p = &spapr.profile;

		pol->memlock_limit = p->cap_ipc_lock ? SPAPR_DMA_UNLIMITED : p->memlock_limit;
	} else {
		struct rlimit rl;

		pol->memlock_limit = getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
			rl.rlim_cur != RLIM_INFINITY && !has_cap_ipc_lock() ?
			(uint64_t)rl.rlim_cur : SPAPR_DMA_UNLIMITED;
	}
	spapr.memlock_limit = pol->memlock_limit;
}

/* pseries windows cannot be shared (trap §10.15): a container per group. */
static bool one_container_per_group(void)
{
	return spapr.one_group_per_container;
}

/* Model groups 0..want-1 exist (the model numbers new groups in order). */
static int ensure_model_groups(unsigned int want)
{
	while (want > 0 && spapr_model_pe_state(spapr.model, (int)want - 1) < 0) {
		struct spapr_model_group_params gp;
		int rc;

		spapr_model_default_group_params(spapr.model, &gp);
		rc = spapr_model_add_group(spapr.model, &gp);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Indirect windows are planned for what DPDK may come to hold (hugepages
 * free, its VA reservation: spapr_capacity_plan), cut by lib/dma to what
 * the platform and RLIMIT_MEMLOCK allow (indirect_reserve_fit); the
 * allocation validator then keeps growth within the window. A failed
 * CREATE can poison a pseries PE (§6), so nothing is retried here.
 */
int spapr_container_attach(int container, const int *group_handles, unsigned int n,
			   struct spapr_dma_container **c, struct spapr_dma_error *e)
{
	struct spapr_dma_policy pol;

	spapr_policy_from_opts(&pol);
	spapr_capacity_plan(&spapr.capacity);
	pol.indirect_reserve = spapr.capacity.growth;
	pol.indirect_reserve_fit = true;
	spapr_dma_ctx_set_policy(spapr.ctx, &pol);
	memset(e, 0, sizeof(*e));
	return spapr_dma_container_attach(spapr.ctx, spapr.be, container, group_handles, n, 0,
					  c, e);
}

/* Model mode: UNSET_CONTAINER and close one group handle; 0 or the first -errno. */
static int model_group_unset_close(int h)
{
	const struct spapr_backend_ops *ops = spapr.be->ops;
	int rc = ops->group_unset_container(spapr.be, h), rc2;

	if (rc)
		SPAPR_LOG(ERR, "GROUP_UNSET_CONTAINER of model group handle %d: %s (errno %d); "
			  "closing the handle detaches the group all the same (§4)\n",
			  h, strerror(-rc), -rc);
	rc2 = ops->close(spapr.be, h);
	if (rc2)
		SPAPR_LOG(ERR, "close of model group handle %d: %s (errno %d); left behind: "
			  "the group stays attached and the handle open until the model is "
			  "destroyed (rte_eal_cleanup)\n", h, strerror(-rc2), -rc2);
	return rc ? rc : rc2;
}

static int model_container_close(int h)
{
	int rc = spapr.be->ops->close(spapr.be, h);

	if (rc)
		SPAPR_LOG(ERR, "close of model container handle %d: %s (errno %d); left behind: the "
			  "handle stays open until the model is destroyed (rte_eal_cleanup)\n",
			  h, strerror(-rc), -rc);
	return rc;
}

/* Model mode: close what model_open_handles opened, groups first. */
static int model_close_handles(struct spapr_container_ref *ref, unsigned int n)
{
	int rc, first = 0;

	for (unsigned int i = 0; i < n; i++) {
		rc = model_group_unset_close(ref->group_handles[i]);
		first = first ? first : rc;
	}
	rc = model_container_close(ref->container_handle);
	return first ? first : rc;
}

/* Open model group @group and set it to @container: its handle, or -errno
 * (recorded) with nothing left open. */
static int model_group_open_set(int group, int container)
{
	const struct spapr_backend_ops *ops = spapr.be->ops;
	uint32_t flags = 0;
	int h, rc;

	h = ops->group_open(spapr.be, group);
	if (h < 0) {
		spapr_fail(h, "model IOMMU group %d: %s", group, strerror(-h));
		return h;
	}
	rc = ops->group_get_status(spapr.be, h, &flags);
	if (rc == 0 && !(flags & VFIO_GROUP_FLAGS_VIABLE))
		rc = -EPERM;
	if (rc == 0)
		rc = ops->group_set_container(spapr.be, h, container);
	if (rc == 0)
		return h;
	spapr_fail(rc, "model IOMMU group %d: %s", group, strerror(-rc));
	if (ops->close(spapr.be, h))
		SPAPR_LOG(ERR, "close of model group handle %d failed; left behind: the handle stays "
			  "open until the model is destroyed (rte_eal_cleanup)\n", h);
	return rc;
}

/*
 * Model mode opens the container and sets the groups to it itself, then
 * hands the handles to lib/dma exactly as vfio mode hands DPDK's: one path,
 * so the model sees the kernel calls the real kernel sees.
 */
static int model_open_handles(struct spapr_container_ref *ref, const int *groups,
			      unsigned int n)
{
	unsigned int nset;
	int rc;

	rc = spapr.be->ops->container_open(spapr.be);
	if (rc < 0) {
		spapr_fail(rc, "cannot open a model container: %s", strerror(-rc));
		return rc;
	}
	ref->container_handle = rc;
	for (nset = 0; nset < n; nset++) {
		rc = model_group_open_set(groups[nset], ref->container_handle);
		if (rc < 0) {
			model_close_handles(ref, nset);
			return rc;
		}
		ref->group_handles[nset] = rc;
		ref->dpdk_fds[nset] = -1;
	}
	return 0;
}

static int create_container(const int *groups, unsigned int n)
{
	struct spapr_container_ref *ref = &spapr.cont[spapr.ncont];
	struct spapr_dma_error e;
	char why[SPAPR_ERR_LEN];
	int rc;

	SPAPR_LOG(INFO, "setting up container %u: mapping %" PRIu64 " MiB of DPDK memory\n",
		  spapr.ncont, spapr.mem_bytes >> 20);
	rc = model_open_handles(ref, groups, n);
	if (rc)
		return rc;
	rc = spapr_container_attach(ref->container_handle, ref->group_handles, n, &ref->c, &e);
	if (rc) {
		spapr_error_text(&e, why, sizeof(why));
		spapr_fail(rc, "container for group %d: %s", groups[0], why);
		model_close_handles(ref, n);
		return rc;
	}
	memcpy(ref->groups, groups, n * sizeof(*groups));
	ref->ngroups = n;
	memset(ref->parked, 0, sizeof(ref->parked));
	spapr.ncont++;
	return 0;
}

static int create_containers(unsigned int ngroups)
{
	int groups[SPAPR_MAX_GROUPS_PER_CONTAINER];
	int rc;

	if (one_container_per_group() || ngroups > SPAPR_MAX_GROUPS_PER_CONTAINER) {
		for (unsigned int g = 0; g < ngroups; g++) {
			int one = (int)g;

			if (spapr.ncont == SPAPR_MAX_CONTAINERS)
				return -ENOSPC;
			rc = create_container(&one, 1);
			if (rc)
				return rc;
		}
		return 0;
	}
	for (unsigned int g = 0; g < ngroups; g++)
		groups[g] = (int)g;
	return create_container(groups, ngroups);
}

/*
 * How far growth can go: indirect windows hold what the plugin planned for
 * (its capacity bound) unless lib/dma cut the window (the plan's room_bound);
 * a direct window maps any address it covers.
 */
static void room_text(const struct spapr_dma_plan *p, uint64_t end, char *buf, size_t len)
{
	if (p->mode == SPAPR_DMA_MODE_DIRECT)
		snprintf(buf, len, "room: any memory below IOVA 0x%" PRIx64 " (bound: the 1:1 window)",
			 end);
	else if (p->room_bound[0])
		snprintf(buf, len, "room for %" PRIu64 " MiB (bound: %s)", p->room_bytes >> 20,
			 p->room_bound);
	else	/* the window holds what was planned (and its rounding up) */
		snprintf(buf, len, "room for %" PRIu64 " MiB (bound: %s = %" PRIu64 " MiB)",
			 p->room_bytes >> 20, spapr.capacity.bound, spapr.capacity.growth >> 20);
}

int spapr_plan_line(unsigned int i, char *buf, size_t len)
{
	struct spapr_dma_plan p;
	char room[192];
	uint64_t locked;
	uint64_t start, size;
	unsigned int shift;
	char groups[64] = "";
	size_t off = 0;

	if (i >= spapr.ncont)
		return -EINVAL;
	spapr_dma_container_plan(spapr.cont[i].c, &p);
	/* The kernel charges preregistered memory once per mm (mm_iommu_do_alloc,
	 * §3.5) and a TCE table per container (§5.3): the memory is counted with
	 * container 0 only, so the lines add up to the process's locked_vm. */
	locked = p.locked_bytes;
	if (i > 0)
		locked -= RTE_MIN(locked, p.register_bytes);
	spapr_dma_container_window(spapr.cont[i].c, &start, &size, &shift);
	room_text(&p, start + size, room, sizeof(room));
	for (unsigned int g = 0; g < spapr.cont[i].ngroups && off < sizeof(groups); g++)
		off += (size_t)snprintf(groups + off, sizeof(groups) - off, "%s%d", g ? "," : "",
					spapr.cont[i].groups[g]);
	return snprintf(buf, len,
			"container %u (group %s): %s%s window 0x%" PRIx64 "+0x%" PRIx64
			" %u KiB TCEs, %u level(s), IOVA %s, %" PRIu64 " MiB mapped in %u MAP(s), "
			"%u REGISTER(s), TCE table %" PRIu64 " KiB, locked %" PRIu64 " KiB%s, %s",
			i, groups, p.mode == SPAPR_DMA_MODE_DIRECT ? "direct" : "indirect",
			p.default_window ? " (default 32-bit)" : "", start, size,
			(1u << shift) >> 10, p.levels,
			p.mode != SPAPR_DMA_MODE_DIRECT ? "allocated" :
			p.basis == SPAPR_DMA_IOVA_PA ? "= start + PA" : "= start + VA",
			p.mapped_bytes >> 20, p.maps, p.registrations, p.table_bytes >> 10,
			locked >> 10, i ? " (its memory is charged once, with container 0)" : "", room);
}

void spapr_log_plans(void)
{
	static char text[16384];

	for (unsigned int i = 0; i < spapr.ncont; i++) {
		struct spapr_dma_plan p;
		char line[SPAPR_ERR_LEN];

		spapr_plan_line(i, line, sizeof(line));
		SPAPR_LOG(INFO, "plan: %s\n", line);
		spapr_dma_container_plan(spapr.cont[i].c, &p);
		spapr_dma_plan_format(&p, text, sizeof(text));
		SPAPR_LOG(DEBUG, "plan of container %u explained:\n%s\n", i, text);
	}
}

/*
 * With IOVA as VA only a direct window at 0 gives IOVA = VA. Where the
 * platform or the policy rules that out, say so before any kernel work:
 * building and removing the windows first costs minutes on a large pseries
 * guest (pseries: every DDW at ddw_start_hint, the default window is 1 GiB
 * at 0 and indirect; policy=indirect: allocated IOVAs).
 */
int spapr_refuse_va_early(const struct spapr_dma_platform *plat)
{
	char why[128];

	if (!spapr.eal_va)
		return 0;
	if (spapr.opts.policy == SPAPR_OPTS_INDIRECT)
		snprintf(why, sizeof(why), "policy=indirect allocates IOVAs");
	else if (plat->ddw_start_hint != 0)
		snprintf(why, sizeof(why), "this platform places every DMA window at 0x%" PRIx64
			 " or in its 32-bit window", plat->ddw_start_hint);
	else
		return 0;
	spapr_fail(-EOPNOTSUPP, "the EAL runs IOVA as VA, where DPDK hands out the VA "
		   "itself for its own memory, but %s, so no IOVA can equal the VA; %s",
		   why, spapr_mem_va_remedy());
	return spapr.status;
}

static int model_create(void)
{
	char why[1024];

	spapr.model = spapr_model_create_err(&spapr.profile, why, sizeof(why));
	if (spapr.model == NULL) {
		spapr_fail(-errno, "cannot create the host model '%s': %s", spapr.profile.name,
			   why[0] ? why : strerror(errno));
		return spapr.status;
	}
	spapr.be = spapr_model_backend(spapr.model);
	return 0;
}

/* Everything below the model: engine, memory, containers, IOVAs, events. */
static int setup_engine(unsigned int ngroups)
{
	struct spapr_dma_platform plat;
	struct spapr_dma_policy pol;
	int rc;

	/* From the backend, as in vfio mode: the model reports its profile's. */
	rc = spapr_dma_platform_from_backend(spapr.be, &plat);
	if (rc) {
		spapr_fail(rc, "the host model reports no sPAPR platform: %s", strerror(-rc));
		return spapr.status;
	}
	rc = spapr_refuse_va_early(&plat);
	if (rc)
		return rc;
	spapr_policy_from_opts(&pol);
	spapr.ctx = spapr_ctx_create(&plat, &pol);
	if (spapr.ctx == NULL) {
		spapr_fail(-ENOMEM, "cannot create the lib/dma engine");
		return spapr.status;
	}
	rc = spapr_mem_collect();
	if (rc == 0) {
		spapr_va_report();
		rc = create_containers(ngroups);
	}
	if (rc == 0) {
		spapr_log_plans();
		rc = spapr_mem_publish_iovas();
	}
	if (rc == 0)
		rc = spapr_mem_events_start();
	if (rc == 0)
		rc = spapr_capacity_start();
	return rc;
}

/* ---- iommu=off: the baseline without an IOMMU (identity translation) ---- */

/* Declare one page to the model and make its IOVA the model's physical address. */
static int identity_walk(const struct rte_memseg_list *msl, const struct rte_memseg *ms,
			 void *arg)
{
	unsigned int shift = 63u - (unsigned int)__builtin_clzll(ms->hugepage_sz);
	uint64_t va = (uint64_t)(uintptr_t)ms->addr, pa;
	int *rc = arg;

	if (msl->external && !msl->heap)
		return 0;	/* the user's to map, as with the IOMMU */
	*rc = spapr_mem_model_declare(va, ms->len, shift, ms->addr);
	if (*rc == 0)
		*rc = spapr_model_mm_va_to_pa(spapr.model, 0, va, &pa);
	if (*rc)
		return 1;
	((struct rte_memseg *)(uintptr_t)ms)->iova = pa;
	spapr.mem_bytes += ms->len;
	return 0;
}

static void identity_memzone_fix(const struct rte_memzone *mz, void *arg)
{
	rte_iova_t iova = rte_malloc_virt2iova(mz->addr);

	(void)arg;
	if (iova != RTE_BAD_IOVA)
		((struct rte_memzone *)(uintptr_t)mz)->iova = iova;
}

/*
 * No windows, no lib/dma: DPDK's memory is declared to the model, its IOVAs
 * are the model's host physical addresses and the PEs translate IOVA = PA
 * (spapr_model_pe_set_bypass). Memory grown after init is not followed: its
 * IOVAs are real PAs the model does not know, so device access faults.
 */
static int setup_identity(unsigned int ngroups)
{
	int rc = 0;

	if (spapr.eal_va) {
		spapr_fail(-EOPNOTSUPP, "iommu=off gives IOVA = host physical address: run the EAL "
			   "with --iova-mode=pa");
		return spapr.status;
	}
	rte_memseg_walk(identity_walk, &rc);
	for (unsigned int g = 0; rc == 0 && g < ngroups; g++)
		rc = spapr_model_pe_set_bypass(spapr.model, (int)g, true);
	if (rc) {
		spapr_fail(rc, "iommu=off: declaring DPDK memory to the model failed: %s",
			   strerror(-rc));
		return rc;
	}
	spapr.rewritten = true;
	rte_memzone_walk(identity_memzone_fix, NULL);
	SPAPR_LOG(INFO, "plan: none (iommu=off): no DMA window, groups 0..%u translate IOVA = host physical address, %" PRIu64 " MiB declared\n",
		  ngroups - 1, spapr.mem_bytes >> 20);
	return 0;
}

int spapr_setup_model(void)
{
	unsigned int ngroups = spapr.opts.groups ? spapr.opts.groups : 1;
	int rc;

	spapr.eal_va = rte_eal_iova_mode() == RTE_IOVA_VA;
	spapr.one_group_per_container = spapr.profile.platform == SPAPR_MODEL_PSERIES;
	rc = model_create();
	if (rc)
		return rc;
	rc = ensure_model_groups(ngroups);
	if (rc) {
		spapr_fail(rc, "cannot add model groups: %s", strerror(-rc));
		return rc;
	}
	if (!spapr.opts.iommu)
		return setup_identity(ngroups);
	return setup_engine(ngroups);
}

/*
 * Undo everything but the model itself, which stays for inspection (its
 * counters show that nothing leaked) until rte_eal_cleanup().
 */
int spapr_teardown(void)
{
	int first = 0;

	/* iommu=off: the PEs' identity tables (spapr_model_pe_set_bypass). */
	if (spapr.model != NULL && !spapr.opts.iommu)
		for (unsigned int g = 0; g < (spapr.opts.groups ? spapr.opts.groups : 1); g++)
			spapr_model_pe_set_bypass(spapr.model, (int)g, false);

	spapr_capacity_stop();
	spapr_mem_events_stop();
	spapr.nreleased = spapr.ncont;	/* group lists stay for spapr_vfio_release */
	while (spapr.ncont > 0) {
		struct spapr_container_ref *ref = &spapr.cont[--spapr.ncont];
		struct spapr_dma_error e;
		int rc = spapr_dma_container_destroy(ref->c, &e);

		if (rc) {
			char why[SPAPR_ERR_LEN];

			spapr_error_text(&e, why, sizeof(why));
			SPAPR_LOG(ERR, "teardown of container %u (group %d): %s\n", spapr.ncont,
				  ref->groups[0], why);
			first = first ? first : rc;
		}
		ref->c = NULL;
		if (spapr.model != NULL) {
			rc = model_close_handles(ref, ref->ngroups);
			first = first ? first : rc;
		}
	}
	if (spapr.ctx != NULL)
		spapr_dma_ctx_destroy(spapr.ctx);
	spapr.ctx = NULL;
	spapr_mem_user_forget();
	spapr.mem_bytes = 0;
	spapr.rewritten = false;
	return first;
}

/* ---- hotplug in model mode: net_spapr_model devices and their PE ---- */

#define MODEL_NIC_PREFIX "net_spapr_model"

/* The PE of a net_spapr_model device: its group=<n> devarg (default 0).
 * Devargs the PMD will refuse are not the plugin's to judge: not ours. */
static bool model_dev_group(const struct rte_device *dev, int *group)
{
	const char *args = dev->devargs != NULL ? dev->devargs->args : NULL;
	unsigned long g = 0;
	bool ok = true;

	if (strncmp(dev->name, MODEL_NIC_PREFIX, strlen(MODEL_NIC_PREFIX)) != 0)
		return false;
	if (args != NULL && args[0] != '\0') {
		struct rte_kvargs *kv = rte_kvargs_parse(args, NULL);
		const char *v = kv != NULL ? rte_kvargs_get(kv, "group") : NULL;
		char *end = NULL;

		ok = kv != NULL;
		if (v != NULL) {
			errno = 0;
			g = strtoul(v, &end, 0);
			ok = v[0] >= '0' && v[0] <= '9' && errno == 0 && *end == '\0';
		}
		rte_kvargs_free(kv);
	}
	if (!ok || g >= SPAPR_MAX_CONTAINERS)
		return false;
	*group = (int)g;
	return true;
}

static int model_hp_join(struct spapr_container_ref *ref, int group)
{
	int rc = ensure_model_groups((unsigned int)group + 1), h;

	if (rc) {
		spapr_fail(rc, "cannot add model group %d: %s", group, strerror(-rc));
		return rc;
	}
	h = model_group_open_set(group, ref->container_handle);
	if (h < 0)
		return h;
	ref->groups[ref->ngroups] = group;
	ref->group_handles[ref->ngroups] = h;
	ref->dpdk_fds[ref->ngroups] = -1;
	ref->parked[ref->ngroups] = false;
	ref->ngroups++;
	return 0;
}

static int model_hp_create(int group)
{
	int rc = ensure_model_groups((unsigned int)group + 1);

	if (rc) {
		spapr_fail(rc, "cannot add model group %d: %s", group, strerror(-rc));
		return rc;
	}
	return create_container(&group, 1);
}

static int model_hp_unset(struct spapr_container_ref *ref, unsigned int slot)
{
	return model_group_unset_close(ref->group_handles[slot]);
}

static void model_hp_close_container(struct spapr_container_ref *ref)
{
	model_container_close(ref->container_handle);
}

static int probed_on_group(const struct rte_device *dev, const void *data)
{
	int group;

	return !(rte_dev_is_probed(dev) && model_dev_group(dev, &group) &&
		 group == *(const int *)data);
}

/* No probed net_spapr_model device uses the group any more. */
static bool model_hp_unused(const struct spapr_container_ref *ref, unsigned int slot)
{
	struct rte_bus *vdev = rte_bus_find_by_name("vdev");

	return vdev == NULL || vdev->find_device == NULL ||
	       vdev->find_device(NULL, probed_on_group, &ref->groups[slot]) == NULL;
}

const struct spapr_hotplug_ops spapr_model_hotplug_ops = {
	.bus = "vdev",
	.dev_group = model_dev_group,
	.join = model_hp_join,
	.create = model_hp_create,
	.unset = model_hp_unset,
	.close_container = model_hp_close_container,
	.unused = model_hp_unused,
};
