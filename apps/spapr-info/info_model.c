/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * info_model.c - the machine facts of a host-model profile, so that anyone
 * can see what spapr-info says on a POWER9 host or a PowerVM VF.
 *
 * GET_INFO and group viability come from a real model instance through the
 * backend interface (the same probe as on a real machine). What a profile
 * does not describe - CPUs, NUMA nodes, PCI devices, hugepage pools - gets
 * plain, documented defaults, which --hugepages / --memlock / --non-viable
 * change to play a broken set-up on purpose.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"

/*
 * POWER8 has only the hash MMU; POWER9 (and the POWER10 we model) run
 * radix on bare metal and KVM, but PowerVM LPARs up to POWER9 run hash
 * (research notes, DPDK e168b18986 / Bugzilla 1221).
 */
static bool profile_is_hash(const struct spapr_model_profile *p)
{
	return strstr(p->name, "powernv8") || strstr(p->name, "powervm");
}

static const char *kernel_text(enum spapr_model_kernel k)
{
	switch (k) {
	case SPAPR_MODEL_KERNEL_6_4: return "6.4 .. 6.10 (model)";
	case SPAPR_MODEL_KERNEL_6_3: return "<= 6.3 (model)";
	default: return "6.12 (model: a current kernel)";
	}
}

static void model_platform(const struct spapr_model_profile *p, struct info_machine *m)
{
	bool ps = p->platform == SPAPR_MODEL_PSERIES;

	m->model = true;
	m->power = true;
	snprintf(m->source, sizeof(m->source), "model %s", p->name);
	info_copy(m->profile_desc, sizeof(m->profile_desc), p->description);
	snprintf(m->arch, sizeof(m->arch), "ppc64le (model)");
	info_copy(m->platform, sizeof(m->platform), ps ? "pSeries" : "PowerNV");
	snprintf(m->hypervisor, sizeof(m->hypervisor), "%s",
		 !ps ? "bare metal (OPAL)" : strstr(p->name, "powervm") ? "PowerVM" : "KVM");
	info_copy(m->mmu, sizeof(m->mmu), profile_is_hash(p) ? "Hash" : "Radix");
	snprintf(m->cpu, sizeof(m->cpu), "%s (model)",
		 strstr(p->name, "powernv8") ? "POWER8" : strstr(p->name, "powernv10") ? "POWER10"
											 : "POWER9");
	info_copy(m->kernel, sizeof(m->kernel), kernel_text(p->kernel));
	m->page_shift = p->system_page_shift;
	m->vfio_spapr_loaded = true;
	/* Bare metal: two sockets; a guest/LPAR: one node. */
	m->nnodes = ps ? 1 : 2;
	for (unsigned int i = 0; i < m->nnodes; i++) {
		m->nodes[i].id = (int)i;
		snprintf(m->nodes[i].cpulist, sizeof(m->nodes[i].cpulist), "%u-%u", i * 16,
			 i * 16 + 15);
		m->nodes[i].ncpus = 16;
	}
	m->memlock = p->cap_ipc_lock || p->memlock_limit == SPAPR_MODEL_UNLIMITED
			     ? SPAPR_DMA_UNLIMITED : p->memlock_limit;
	m->memlock_known = m->cap_known = true;
	m->cap_ipc_lock = p->cap_ipc_lock;
}

/* Add @nr pages of @page on @node, and to the whole-system pool. */
static void model_pool(struct info_machine *m, uint64_t page, int node, long nr)
{
	for (int pass = 0; pass < 2; pass++) {
		int want = pass ? node : -1;
		unsigned int i;

		for (i = 0; i < m->npools; i++)
			if (m->pools[i].page == page && m->pools[i].node == want)
				break;
		if (i == m->npools) {
			if (m->npools >= INFO_MAX_POOL)
				return;
			m->pools[m->npools++] = (struct info_pool){ page, want, 0, 0 };
		}
		m->pools[i].nr += nr;
		m->pools[i].free += nr;
	}
}

/* "SIZE@PAGE[@NODE]" or "0"/"none". */
static int parse_hugepages(const char *s, struct info_machine *m, char *err, size_t errlen)
{
	char buf[96], *page, *node;
	uint64_t size, pg;
	long nd = 0;

	if (!strcmp(s, "0") || !strcmp(s, "none"))
		return 0;
	info_copy(buf, sizeof(buf), s);
	page = strchr(buf, '@');
	if (page)
		*page++ = '\0';
	node = page ? strchr(page, '@') : NULL;
	if (node)
		*node++ = '\0';
	size = info_parse_size(buf);
	pg = page ? info_parse_size(page) : 0;
	if (node)
		nd = strtol(node, NULL, 10);
	if (!size || !pg || (pg & (pg - 1)) || size % pg || nd < 0 || nd >= (long)m->nnodes) {
		snprintf(err, errlen, "--hugepages %s: expected SIZE@PAGE[@NODE], e.g. 4G@1G or "
			 "1G@2M@1 (SIZE a multiple of the power-of-two PAGE, NODE < %u), or 0", s,
			 m->nnodes);
		return -EINVAL;
	}
	model_pool(m, pg, (int)nd, (long)(size / pg));
	return 0;
}

static int model_hugepages(const struct info_opts *o, const struct spapr_model_profile *p,
			   struct info_machine *m, char *err, size_t errlen)
{
	/* The sizes the MMU offers, empty pools (as sysfs lists them). */
	for (unsigned int n = 0; n < m->nnodes; n++) {
		model_pool(m, profile_is_hash(p) ? 16ull << 20 : 2ull << 20, (int)n, 0);
		model_pool(m, profile_is_hash(p) ? 16ull << 30 : 1ull << 30, (int)n, 0);
	}
	/* default: 1 GiB of the MMU's usual hugepage on every node */
	for (unsigned int n = 0; !o->nhuge && n < m->nnodes; n++)
		model_pool(m, profile_is_hash(p) ? 16ull << 20 : 2ull << 20, (int)n,
			   profile_is_hash(p) ? 64 : 512);
	for (unsigned int i = 0; i < o->nhuge; i++)
		if (parse_hugepages(o->hugepages[i], m, err, errlen))
			return -EINVAL;
	snprintf(m->hugetlbfs_mount, sizeof(m->hugetlbfs_mount), "/dev/hugepages (model)");
	return 0;
}

static bool is_non_viable(const struct info_opts *o, int g)
{
	for (unsigned int i = 0; i < o->nnonviable; i++)
		if (o->non_viable[i] == g)
			return true;
	return false;
}

/*
 * One NIC per group, bound to vfio-pci, on node (group % nodes). A group made
 * non-viable also holds a second function still bound to its kernel driver,
 * which is what makes a real group non-viable.
 */
static void model_devices(const struct info_opts *o, struct info_machine *m, unsigned int ngroups)
{
	for (unsigned int g = 0; g < ngroups && m->ndev + 2 <= INFO_MAX_DEV; g++) {
		struct info_dev *d = &m->devs[m->ndev++];

		*d = (struct info_dev){ .class_code = 0x020000, .vendor = 0x1014, .device = 0x0000,
					.node = (int)(g % m->nnodes), .group = (int)g };
		snprintf(d->bdf, sizeof(d->bdf), "0000:%02x:00.0", g + 1);
		snprintf(d->driver, sizeof(d->driver), "vfio-pci");
		if (!is_non_viable(o, (int)g))
			continue;
		d[1] = d[0];
		snprintf(d[1].bdf, sizeof(d[1].bdf), "0000:%02x:00.1", g + 1);
		snprintf(d[1].driver, sizeof(d[1].driver), "model_nic");
		m->ndev++;
	}
	info_groups_from_devs(m);
}

/* Groups 0..n-1 of the model, with the non-viable ones added as such. */
static struct spapr_model *model_create(const struct info_opts *o, struct spapr_model_profile *p,
					unsigned int *ngroups, char *err, size_t errlen)
{
	unsigned int want = p->groups, first_bad = want;
	struct spapr_model *mod;

	for (unsigned int i = 0; i < o->nnonviable; i++) {
		unsigned int g = (unsigned int)o->non_viable[i];

		if (g < first_bad)
			first_bad = g;
		if (g + 1 > want)
			want = g + 1;
	}
	p->groups = first_bad;
	mod = spapr_model_create_err(p, err, errlen);
	for (unsigned int g = first_bad; mod && g < want; g++) {
		struct spapr_model_group_params gp;

		spapr_model_default_group_params(mod, &gp);
		gp.viable = !is_non_viable(o, (int)g);
		if (spapr_model_add_group(mod, &gp) < 0) {
			spapr_model_destroy(mod);
			return NULL;
		}
	}
	*ngroups = want;
	return mod;
}

int info_model_machine(const struct info_opts *o, struct info_machine *m, char *err,
		       size_t errlen)
{
	struct spapr_model_profile p;
	struct spapr_model *mod;
	unsigned int ngroups;

	if (spapr_model_profile_resolve(o->model, &p, err, errlen))
		return -EINVAL;
	if (o->memlock_set) {
		p.memlock_limit = o->memlock;
		p.cap_ipc_lock = false;
	}
	model_platform(&p, m);
	if (model_hugepages(o, &p, m, err, errlen))
		return -EINVAL;
	mod = model_create(o, &p, &ngroups, err, errlen);
	if (!mod) {
		int rc = errno ? -errno : -ENOMEM;

		if (!err[0])
			snprintf(err, errlen, "cannot create the host model: %s",
				 strerror(-rc));
		return rc;
	}
	model_devices(o, m, ngroups);
	/* The limits GET_INFO does not report, from the backend as the engine
	 * gets them on that machine. */
	m->plat_set = spapr_dma_platform_from_backend(spapr_model_backend(mod), &m->plat) == 0;
	info_probe_groups(spapr_model_backend(mod), m);
	spapr_model_destroy(mod);
	return 0;
}
