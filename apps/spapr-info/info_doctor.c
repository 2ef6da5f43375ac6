/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * info_doctor.c - the plan lib/dma would make for this machine's memory, and
 * the doctor: each problem found, with the command that fixes it.
 *
 * The plan is spapr_dma_plan_make() itself (the engine's pure planner) on the
 * GET_INFO of the first group that answered, so it is exactly what the
 * plugin would do with that memory. The doctor's rules cite the kernel fact
 * behind them (§N = doc/kernel-model.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "info.h"

#define GiB (1ull << 30)

static void find(struct info_report *r, enum info_sev sev, const char *code, const char *fix,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void find(struct info_report *r, enum info_sev sev, const char *code, const char *fix,
		 const char *fmt, ...)
{
	struct info_finding *f;
	va_list ap;

	if (r->nfind >= INFO_MAX_FIND)
		return;
	f = &r->find[r->nfind++];
	f->sev = sev;
	info_copy(f->code, sizeof(f->code), code);
	info_copy(f->fix, sizeof(f->fix), fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

/* ---- memory to plan for -------------------------------------------------- */

/* Per-node pools when sysfs lists them, else the system totals. */
static bool pool_counts(const struct info_machine *m, const struct info_pool *p)
{
	bool per_node = false;

	for (unsigned int i = 0; i < m->npools; i++)
		per_node |= m->pools[i].node >= 0;
	return p->nr > 0 && (per_node ? p->node >= 0 : p->node < 0);
}

static uint64_t hugepage_bytes(const struct info_machine *m)
{
	uint64_t b = 0;

	for (unsigned int i = 0; i < m->npools; i++)
		if (pool_counts(m, &m->pools[i]))
			b += (uint64_t)m->pools[i].nr * m->pools[i].page;
	return b;
}

/*
 * DPDK-like: one memseg list per (page size, node), each a contiguous VA
 * range, 64 GiB apart (DPDK's reservations are sparse like this). With
 * --mem, one range of that size of --page pages (default: the largest
 * hugepage size present, else the system page).
 */
static unsigned int layout(const struct info_opts *o, const struct info_machine *m,
			   struct info_report *r, struct spapr_dma_mem_region *reg, unsigned int max)
{
	uint64_t va = 4 * GiB, sys = 1ull << m->page_shift, page = 0;
	unsigned int n = 0;
	char a[16], b[16];

	for (unsigned int i = 0; i < m->npools; i++)
		if (pool_counts(m, &m->pools[i]) && m->pools[i].page > page)
			page = m->pools[i].page;
	if (o->mem || !page) {
		uint64_t p = o->page ? o->page : page ? page : sys, mem = o->mem ? o->mem : GiB;

		mem = (mem + p - 1) / p * p;
		reg[0] = (struct spapr_dma_mem_region){ .va = va, .len = mem,
			.page_shift = (unsigned int)__builtin_ctzll(p), .numa_node = -1 };
		snprintf(r->mem_desc, sizeof(r->mem_desc), "%s of %s pages%s", info_size(mem, a, 16),
			 info_size(p, b, 16), o->mem ? " (--mem)" :
			 " (no hugepages: what DPDK --no-huge would map)");
		r->mem_bytes = mem;
		r->mem_page = p;
		return 1;
	}
	for (unsigned int i = 0; i < m->npools && n < max; i++) {
		const struct info_pool *p = &m->pools[i];
		uint64_t len = (uint64_t)p->nr * p->page;

		if (!pool_counts(m, p))
			continue;
		reg[n++] = (struct spapr_dma_mem_region){ .va = va, .len = len,
			.page_shift = (unsigned int)__builtin_ctzll(p->page), .numa_node = p->node };
		va += (len + 64 * GiB - 1) / (64 * GiB) * (64 * GiB);
		r->mem_bytes += len;
	}
	r->mem_page = page;
	snprintf(r->mem_desc, sizeof(r->mem_desc), "the hugepages present: %s in %u pool(s), "
		 "largest page %s", info_size(r->mem_bytes, a, 16), n, info_size(page, b, 16));
	return n;
}

static void make_plan(const struct info_opts *o, const struct info_machine *m,
		      struct info_report *r)
{
	struct spapr_dma_mem_region reg[INFO_MAX_POOL];
	struct spapr_dma_policy pol = { .mode = o->policy };
	struct spapr_dma_plan unl;
	struct spapr_dma_platform plat;

	for (unsigned int i = 0; i < m->ngroups && !r->have_caps; i++) {
		const struct info_group *g = &m->groups[i];

		if (!g->probed || g->probe_err)
			continue;
		if (m->plat_set)
			plat = m->plat;
		else
			spapr_dma_platform_default(strcmp(m->platform, "pSeries")
				? SPAPR_DMA_PLATFORM_POWERNV : SPAPR_DMA_PLATFORM_PSERIES,
				m->page_shift, &plat);
		spapr_dma_caps_from_info(&g->info, &plat, &r->caps);
		r->have_caps = true;
		r->caps_group = g->num;
	}
	if (!r->have_caps)
		return;
	r->nregions = layout(o, m, r, reg, INFO_MAX_POOL);
	/* What it needs with no limit, then what happens under this process's. */
	spapr_dma_plan_make(&r->caps, reg, r->nregions, &pol, &unl);
	r->locked_needed = unl.valid ? unl.locked_bytes : 0;
	if (!m->cap_ipc_lock && m->memlock_known)
		pol.memlock_limit = m->memlock;
	r->plan_rc = spapr_dma_plan_make(&r->caps, reg, r->nregions, &pol, &r->plan);
}

/* ---- the doctor ---------------------------------------------------------- */

static bool group_has_vfio(const struct info_machine *m, int num)
{
	for (unsigned int i = 0; i < m->ngroups; i++)
		if (m->groups[i].num == num)
			return m->groups[i].has_vfio;
	return false;
}

static void check_devices(const struct info_machine *m, struct info_report *r)
{
	char fix[INFO_TEXT];
	unsigned int vfio = 0;

	for (unsigned int i = 0; i < m->ndev; i++) {
		const struct info_dev *d = &m->devs[i];

		vfio += !strcmp(d->driver, "vfio-pci");
		if ((d->class_code >> 16) != 0x02 || !strcmp(d->driver, "vfio-pci") ||
		    group_has_vfio(m, d->group))	/* group_non_viable says it */
			continue;
		snprintf(fix, sizeof(fix), "dpdk-devbind.py --bind=vfio-pci %s   (or: echo vfio-pci > "
			 "/sys/bus/pci/devices/%s/driver_override; echo %s > /sys/bus/pci/drivers_probe)",
			 d->bdf, d->bdf, d->bdf);
		find(r, INFO_WARN, "device_not_vfio", fix,
		     "network device %s is bound to %s, not vfio-pci: DPDK cannot drive it through VFIO",
		     d->bdf, d->driver[0] ? d->driver : "no driver");
	}
	if (!vfio)
		find(r, INFO_ERROR, "no_vfio_device", "modprobe vfio-pci; dpdk-devbind.py --bind=vfio-pci <BDF>",
		     "no PCI device is bound to vfio-pci, so there is no IOMMU group to set up");
}

static void check_groups(const struct info_machine *m, struct info_report *r)
{
	for (unsigned int i = 0; i < m->ngroups; i++) {
		const struct info_group *g = &m->groups[i];
		char who[256] = "", fix[INFO_TEXT] = "";
		size_t w = 0, f = 0;

		if (!g->has_vfio || g->viable)
			continue;
		/* drivers/vfio/group.c: a group is viable only when every device in
		 * it is bound to vfio (or unbound); one foreign driver blocks all. */
		for (unsigned int k = 0; k < m->ndev; k++) {
			const struct info_dev *d = &m->devs[k];

			if (d->group != g->num || !d->driver[0] || !strcmp(d->driver, "vfio-pci") ||
			    !strcmp(d->driver, "pci-stub"))
				continue;
			w += (size_t)snprintf(who + w, w < sizeof(who) ? sizeof(who) - w : 0, "%s%s (%s)",
					      w ? ", " : "", d->bdf, d->driver);
			f += (size_t)snprintf(fix + f, f < sizeof(fix) ? sizeof(fix) - f : 0,
					      "%sdpdk-devbind.py --bind=vfio-pci %s", f ? "; " : "", d->bdf);
		}
		if (!who[0])
			snprintf(who, sizeof(who), "a device the kernel reports as not VFIO-owned");
		if (!fix[0])
			snprintf(fix, sizeof(fix), "bind every device of /sys/kernel/iommu_groups/%d/devices "
				 "to vfio-pci, or unbind it", g->num);
		find(r, INFO_ERROR, "group_non_viable", fix,
		     "IOMMU group %d is not viable: %s is bound to another driver; VFIO refuses "
		     "the whole group (GROUP_GET_STATUS has no VIABLE flag, SET_CONTAINER fails)",
		     g->num, who);
	}
}

static void check_probe(const struct info_machine *m, struct info_report *r)
{
	for (unsigned int i = 0; i < m->ngroups; i++) {
		const struct info_group *g = &m->groups[i];
		char fix[INFO_TEXT];

		if (!g->probed || !g->probe_err || !g->viable)
			continue;
		if (g->probe_err == -EACCES)
			snprintf(fix, sizeof(fix), "run as root, or chown the DPDK user /dev/vfio/%d", g->num);
		else if (g->probe_err == -ENOENT)
			snprintf(fix, sizeof(fix), "modprobe vfio-pci (is /dev/vfio/%d there? the device "
				 "must be bound to vfio-pci)", g->num);
		else if (g->probe_err == -EBUSY)
			snprintf(fix, sizeof(fix), "stop the process that holds /dev/vfio/%d "
				 "(fuser -v /dev/vfio/%d)", g->num, g->num);
		else
			snprintf(fix, sizeof(fix), "see the kernel log (dmesg | grep -i -e vfio -e iommu)");
		find(r, g->probe_err == -EACCES ? INFO_WARN : INFO_ERROR, "get_info_failed", fix,
		     "cannot read the container capabilities of group %d: %s failed: %s", g->num,
		     g->probe_step, strerror(-g->probe_err));
	}
	if (!m->kernel_v2_ok)
		find(r, INFO_ERROR, "kernel_v1_only",
		     "upgrade the guest kernel to 6.10 or later (pseries DDW ops for VFIO, f431a8cde7f1)",
		     "the kernel refused VFIO_SPAPR_TCE_v2_IOMMU and accepted only v1 "
		     "(doc/kernel-model.md §3.2): a "
		     "pseries guest kernel before the 2024 DDW ops gives one 4 KiB window and no "
		     "preregistration; DPDK and this plugin need v2");
}

/* A pool and node to reserve hugepages on: the node of the first vfio device. */
static int device_node(const struct info_machine *m)
{
	for (unsigned int i = 0; i < m->ndev; i++)
		if (!strcmp(m->devs[i].driver, "vfio-pci") && m->devs[i].node >= 0)
			return m->devs[i].node;
	return 0;
}

static uint64_t best_hugepage(const struct info_machine *m)
{
	uint64_t best = 0;

	for (unsigned int i = 0; i < m->npools; i++)
		if (m->pools[i].page <= GiB && m->pools[i].page > best)
			best = m->pools[i].page;
	return best;
}

static long node_hugepages(const struct info_machine *m, int node)
{
	long n = 0;

	for (unsigned int i = 0; i < m->npools; i++)
		if (m->pools[i].node == node)
			n += m->pools[i].nr;
	return n;
}

/* The largest hugepage size in use, else the best one to start with. */
static uint64_t used_hugepage(const struct info_machine *m)
{
	uint64_t used = 0;

	for (unsigned int i = 0; i < m->npools; i++)
		if (m->pools[i].nr > 0 && m->pools[i].page > used)
			used = m->pools[i].page;
	return used ? used : best_hugepage(m);
}

static void check_hugepages(const struct info_machine *m, struct info_report *r)
{
	uint64_t page = used_hugepage(m);
	int node = device_node(m);
	char fix[INFO_TEXT], a[16];

	if (!hugepage_bytes(m)) {
		snprintf(fix, sizeof(fix), "echo %llu > /sys/devices/system/node/node%d/hugepages/"
			 "hugepages-%llukB/nr_hugepages   (%s pages on the device's node %d; at boot: "
			 "hugepagesz=%s hugepages=N)", page ? (unsigned long long)(GiB / page) : 1ull,
			 node, (unsigned long long)(page >> 10), info_size(page, a, 16), node,
			 info_size(page, a, 16));
		find(r, INFO_ERROR, "no_hugepages", page ? fix : "enable CONFIG_HUGETLBFS",
		     "no hugepages are reserved: DPDK needs hugepage memory (with --no-huge its "
		     "4K/64K pages cannot take large TCEs: doc/kernel-model.md §3.5, "
		     "trap §10.8)");
	}
	for (unsigned int i = 0; i < m->nnodes && hugepage_bytes(m); i++) {
		bool used = false;

		for (unsigned int k = 0; k < m->ndev; k++)
			used |= !strcmp(m->devs[k].driver, "vfio-pci") && m->devs[k].node == m->nodes[i].id;
		if (!used || node_hugepages(m, m->nodes[i].id))
			continue;
		snprintf(fix, sizeof(fix), "echo N > /sys/devices/system/node/node%d/hugepages/"
			 "hugepages-%llukB/nr_hugepages", m->nodes[i].id,
			 (unsigned long long)(page >> 10));
		find(r, INFO_WARN, "hugepages_wrong_node", fix,
		     "a vfio-pci device is on NUMA node %d but that node has no hugepages: its "
		     "queues and buffers would cross the socket link", m->nodes[i].id);
	}
	if (!m->model && m->power && !m->hugetlbfs_mount[0] && !strcmp(m->arch, "ppc64le"))
		find(r, INFO_WARN, "no_hugetlbfs_mount", "mount -t hugetlbfs nodev /dev/hugepages",
		     "libhugetlbfs finds no mounted hugetlbfs");
}

static void check_platform(const struct info_machine *m, struct info_report *r)
{
	int maj = 0, min = 0;

	if (!strcmp(m->mmu, "Hash"))
		find(r, INFO_WARN, "hash_mmu",
		     !strcmp(m->platform, "PowerNV") ? "boot with the radix MMU (remove disable_radix "
		     "from the kernel command line), then use 2M/1G hugepages"
		     : "the LPAR's MMU is the hypervisor's choice: keep DPDK 22.11 with this plugin, "
		     "use 16M hugepages",
		     "the MMU is Hash: hugepages are 16M/16G, and DPDK releases since 24.07 refuse "
		     "to start on a hash MMU (e168b18986, Bugzilla 1221; DPDK 22.11 does not check). "
		     "When the PE has no 16M TCE (POWER9 PHB4, PowerVM VFs) each 16M page takes "
		     "several smaller TCEs (trap §10.7)");
	if (!m->model && !m->vfio_spapr_loaded)
		find(r, INFO_WARN, "no_vfio_spapr", "modprobe vfio-pci   (pulls in vfio_iommu_spapr_tce)",
		     "the vfio_iommu_spapr_tce module is not loaded");
	if (!m->model && !strcmp(m->platform, "pSeries") &&
	    sscanf(m->kernel, "%d.%d", &maj, &min) == 2 && (maj < 6 || (maj == 6 && min < 10)))
		find(r, INFO_ERROR, "pseries_kernel_old", "upgrade the guest kernel to 6.10 or later",
		     "kernel %s: pseries guests get VFIO sPAPR v2 (DDW, preregistration) only with "
		     "the 2024 pseries DDW ops (doc/kernel-model.md §8); older kernels offer v1 "
		     "at best", m->kernel);
}

static void check_memlock(const struct info_machine *m, struct info_report *r)
{
	char fix[INFO_TEXT], a[16], b[16];

	if (!r->locked_needed || m->cap_ipc_lock || !m->memlock_known ||
	    m->memlock == SPAPR_DMA_UNLIMITED || r->locked_needed <= m->memlock)
		return;
	snprintf(fix, sizeof(fix), "ulimit -l %llu   (KiB, in the shell that starts DPDK; "
		 "persistent: '<user> - memlock unlimited' in /etc/security/limits.conf or "
		 "LimitMEMLOCK=infinity in the systemd unit; or run as root / with CAP_IPC_LOCK)",
		 (unsigned long long)((r->locked_needed + 1023) >> 10));
	find(r, INFO_ERROR, "memlock_low", fix,
	     "RLIMIT_MEMLOCK is %s but the plan locks %s: preregistered pages and 2x each TCE "
	     "table are charged to locked_vm (doc/kernel-model.md §5.3, trap §10.18), "
	     "so REGISTER/CREATE would "
	     "fail with ENOMEM", info_size(m->memlock, a, 16), info_size(r->locked_needed, b, 16));
}

static void check_plan(const struct info_machine *m, struct info_report *r)
{
	const struct spapr_dma_plan *p = &r->plan;
	char a[16];

	if (!r->have_caps)
		return;
	if (r->plan_rc && r->plan_rc != -ENOMEM)
		find(r, INFO_ERROR, "plan_failed", p->explain.remedy,
		     "lib/dma finds no window for %s: %s", r->mem_desc, strerror(-r->plan_rc));
	else if (p->valid && p->mode == SPAPR_DMA_MODE_INDIRECT)
		find(r, INFO_NOTE, "plan_indirect", "nothing to fix: the plugin does this by itself; "
		     "on a PowerVM LPAR add --iova-mode=pa to the EAL arguments (bus_pci votes VA there)",
		     "indirect mode (allocated IOVAs%s): %s", p->default_window ?
		     " in the 32-bit default window, 4K TCEs" : "", p->explain.remedy);
	/* Large TCEs cut TCE count, table size and hypercalls (trap §10.9). */
	if (r->caps.ddw && (r->caps.pgsizes & GiB) && r->mem_page < GiB && r->mem_bytes >= GiB &&
	    !strcmp(m->mmu, "Radix"))
		find(r, INFO_NOTE, "use_1g_pages", "boot with hugepagesz=1G hugepages=N "
		     "default_hugepagesz=1G (reserve them on the device's node)",
		     "this PE takes 1 GiB TCEs: 1 GiB hugepages would map %s with %llu TCEs "
		     "instead of %llu", info_size(r->mem_bytes, a, 16),
		     (unsigned long long)(r->mem_bytes / GiB),
		     (unsigned long long)(r->mem_bytes / (r->mem_page ? r->mem_page : 1)));
}

/*
 * What a direct window at 0 costs for @len bytes of @page pages at @va in
 * IOVA-as-VA mode (the window reaches the end of the memory): 0 and @out,
 * or the planner's error.
 */
static int va_plan(const struct info_report *r, uint64_t va, uint64_t len, uint64_t page,
		   struct spapr_dma_plan *out)
{
	struct spapr_dma_mem_region reg = { .va = va, .len = len,
		.page_shift = (unsigned int)__builtin_ctzll(page), .numa_node = -1 };
	struct spapr_dma_policy pol = { .mode = SPAPR_DMA_MODE_DIRECT,
		.iova_mode = SPAPR_DMA_IOVA_VA, .direct_top = va + len };

	return spapr_dma_plan_make(&r->caps, &reg, 1, &pol, out);
}

/* "a 64T window of 4K TCEs, 2 level(s), 256G locked", or why there is none. */
static const char *va_cost(int rc, const struct spapr_dma_plan *p, char *buf, size_t len)
{
	char a[16], b[16], c[16];

	if (rc || !p->valid)
		snprintf(buf, len, "no window at all (%s)", strerror(rc ? -rc : EINVAL));
	else
		snprintf(buf, len, "a %s window of %s TCEs, %u level(s), %s locked",
			 info_size(p->window_size, a, 16), info_size(1ull << p->page_shift, b, 16),
			 p->levels, info_size(p->locked_bytes, c, 16));
	return buf;
}

/*
 * PowerNV with no hugepages: DPDK runs --no-huge, IOVA as VA, and the
 * direct window at 0 must reach its memory. DPDK reserves it at 4 GiB, where
 * ppc64 also loads position-independent programs (ELF_ET_DYN_BASE, plus a
 * random offset): when the program sits there, the memory goes where the
 * kernel puts new mappings, near the top of the address space (as this
 * process's own mmap shows), and the window with it. --base-virtaddr below
 * 4 GiB is free in every start.
 */
static void check_va_placement(const struct info_machine *m, struct info_report *r)
{
	const uint64_t low = 16ull << 20, hint = 4 * GiB, len = r->mem_bytes;
	struct spapr_dma_plan at_hint, at_high, at_low;
	char fix[INFO_TEXT], x[128], y[128], z[128];
	uint64_t high = hint;
	void *p;

	if (!r->have_caps || r->caps.platform.ddw_start_hint != 0 || !len ||
	    r->mem_page != 1ull << m->page_shift)
		return;
	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != MAP_FAILED) {
		high = (uint64_t)(uintptr_t)p;
		munmap(p, len);
	}
	if (high < 2 * hint)
		return;		/* new mappings go low here: no gap to warn of */
	va_cost(va_plan(r, hint, len, r->mem_page, &at_hint), &at_hint, x, sizeof(x));
	va_cost(va_plan(r, high, len, r->mem_page, &at_high), &at_high, y, sizeof(y));
	va_cost(va_plan(r, low, len, r->mem_page, &at_low), &at_low, z, sizeof(z));
	snprintf(fix, sizeof(fix), "add --base-virtaddr=0x%llx to the EAL arguments: %s in "
		 "every start", (unsigned long long)low, z);
	find(r, INFO_WARN, "va_placement", fix,
	     "with --no-huge DPDK runs IOVA as VA and the window at 0 must reach its memory: "
	     "at DPDK's address hint 0x%llx that is %s, but ppc64 loads programs at 4 GiB plus a "
	     "random offset, and in the starts where the program sits there the memory lands "
	     "near 0x%llx: %s", (unsigned long long)hint, x, (unsigned long long)high, y);
}

void info_make_report(const struct info_opts *o, const struct info_machine *m,
		      struct info_report *r)
{
	memset(r, 0, sizeof(*r));
	r->caps_group = -1;
	if (!m->power) {
		find(r, INFO_ERROR, "not_power", "run spapr-info on the POWER host or guest, or see "
		     "what it would say there: spapr-info --model powernv9",
		     "this machine is not a POWER sPAPR system (arch %s, no 'platform' line in "
		     "/proc/cpuinfo): there is no sPAPR TCE IOMMU to set up", m->arch);
		return;
	}
	check_platform(m, r);
	check_devices(m, r);
	check_groups(m, r);
	check_probe(m, r);
	make_plan(o, m, r);
	check_hugepages(m, r);
	check_memlock(m, r);
	check_plan(m, r);
	check_va_placement(m, r);
	if (!m->model && !m->root)
		find(r, INFO_NOTE, "not_root", "sudo spapr-info",
		     "not running as root: /dev/vfio may not open and some files were not read "
		     "(see 'not read')");
}
