/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * info_print.c - spapr-info's two outputs: text for people (default) and
 * JSON for scripts (--json). Both show the same facts in the same order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"
#include "spapr_util.h"

static const char *const sev_name[] = { "error", "warning", "note" };

const char *info_size(uint64_t b, char *buf, size_t len)
{
	if (b == SPAPR_DMA_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return buf;
	}
	return spapr_size_human(b, buf, len);
}

uint64_t info_parse_size(const char *s)
{
	uint64_t v;

	if (spapr_parse_size(s, &v) || v > INFO_MAX_BYTES)
		return 0;
	return v;
}

static void pgsizes_text(uint64_t mask, char *buf, size_t len)
{
	size_t w = 0;
	char a[16];

	buf[0] = '\0';
	for (unsigned int b = 12; b < 48 && w < len; b++)
		if ((mask >> b) & 1)
			w += (size_t)snprintf(buf + w, len - w, "%s%s", w ? " " : "",
					      info_size(1ull << b, a, sizeof(a)));
}

/* ---- human --------------------------------------------------------------- */

static void human_platform(const struct info_machine *m)
{
	char a[16], b[16];

	printf("source: %s\n", m->source);
	if (m->profile_desc[0])
		printf("  profile: %s\n", m->profile_desc);
	printf("\nplatform\n");
	printf("  architecture   %s\n", m->arch);
	printf("  platform       %s%s%s\n", m->platform[0] ? m->platform : "not POWER (no 'platform' "
	       "line in /proc/cpuinfo)", m->hypervisor[0] ? ", " : "", m->hypervisor);
	printf("  CPU            %s\n", m->cpu[0] ? m->cpu : "?");
	printf("  MMU            %s\n", m->mmu[0] ? m->mmu : "? (not a POWER cpuinfo)");
	printf("  kernel         %s\n", m->kernel[0] ? m->kernel : "?");
	printf("  system page    %s\n", info_size(1ull << m->page_shift, a, 16));
	printf("  memlock        RLIMIT_MEMLOCK %s, CAP_IPC_LOCK %s%s\n",
	       m->memlock_known ? info_size(m->memlock, a, 16) : "unknown",
	       m->cap_known ? (m->cap_ipc_lock ? "yes (no limit applies)" : "no") : "unknown",
	       m->model || !m->root ? "" : " (root)");
	printf("\nNUMA nodes and hugepages (hugetlbfs mount: %s)\n",
	       m->hugetlbfs_mount[0] ? m->hugetlbfs_mount : "none found");
	for (unsigned int i = 0; i < m->nnodes; i++) {
		printf("  node %d: %u cpu(s) [%s]", m->nodes[i].id, m->nodes[i].ncpus, m->nodes[i].cpulist);
		for (unsigned int k = 0; k < m->npools; k++)
			if (m->pools[k].node == m->nodes[i].id)
				printf(", %s: %ld (free %ld)", info_size(m->pools[k].page, a, 16),
				       m->pools[k].nr, m->pools[k].free);
		printf("\n");
	}
	printf("  total:");
	for (unsigned int k = 0; k < m->npools; k++)
		if (m->pools[k].node < 0)
			printf(" %s: %ld (%s)", info_size(m->pools[k].page, a, 16), m->pools[k].nr,
			       info_size((uint64_t)m->pools[k].nr * m->pools[k].page, b, 16));
	printf("%s\n", m->npools ? "" : " no hugepage sizes");
}

static void human_group(const struct info_machine *m, const struct info_group *g)
{
	const struct vfio_iommu_spapr_tce_info *i = &g->info;
	char a[16], ps[128];

	printf("  group %d: %s, %u device(s)", g->num, g->viable ? "viable" : "NOT viable", g->ndev);
	if (!g->probed) {
		printf(", no vfio-pci device: not probed\n");
		return;
	}
	if (g->probe_err) {
		printf(", GET_INFO not read: %s: %s\n", g->probe_step, strerror(-g->probe_err));
		return;
	}
	pgsizes_text(i->ddw.pgsizes, ps, sizeof(ps));
	printf("\n    GET_INFO (%s): flags 0x%x%s, dma32 [0x%x, +%s)\n", g->iommu_type ==
	       VFIO_SPAPR_TCE_v2_IOMMU ? "v2" : "v1 only", i->flags,
	       i->flags & VFIO_IOMMU_SPAPR_INFO_DDW ? " (DDW)" : " (no DDW)", i->dma32_window_start,
	       info_size(i->dma32_window_size, a, 16));
	printf("      ddw.pgsizes 0x%llx (%s), max_dynamic_windows %u, levels %u\n",
	       (unsigned long long)i->ddw.pgsizes, ps[0] ? ps : "none",
	       i->ddw.max_dynamic_windows_supported, i->ddw.levels);
	(void)m;
}

static void human_devices(const struct info_machine *m)
{
	printf("\nPCI devices\n");
	for (unsigned int i = 0; i < m->ndev; i++) {
		const struct info_dev *d = &m->devs[i];

		printf("  %s  class %06x  %04x:%04x  driver %-12s node %2d  iommu group %d\n", d->bdf,
		       d->class_code, d->vendor, d->device, d->driver[0] ? d->driver : "-", d->node,
		       d->group);
	}
	if (!m->ndev)
		printf("  none\n");
	printf("\nIOMMU groups\n");
	for (unsigned int i = 0; i < m->ngroups; i++)
		human_group(m, &m->groups[i]);
	if (!m->ngroups)
		printf("  none\n");
}

static void human_plan(const struct info_machine *m, const struct info_report *r)
{
	static char text[16384];
	char a[16], b[16];

	printf("\nplan (lib/dma)\n");
	if (!r->have_caps) {
		printf("  no plan: no IOMMU group gave its capabilities (GET_INFO)%s\n",
		       m->power ? "" : "; try --model PROFILE");
		return;
	}
	printf("  memory: %s; capabilities of group %d\n", r->mem_desc, r->caps_group);
	spapr_dma_plan_format(&r->plan, text, sizeof(text));
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		printf("  %s\n", line);
	if (r->plan_rc)
		printf("  result: no plan (%s)\n", strerror(-r->plan_rc));
	printf("  locked_vm needed: %s (RLIMIT_MEMLOCK %s%s)\n",
	       r->locked_needed ? info_size(r->locked_needed, a, 16) : "? (no plan without limit)",
	       m->memlock_known ? info_size(m->memlock, b, 16) : "unknown",
	       m->cap_ipc_lock ? ", CAP_IPC_LOCK: not enforced" : "");
}

static void human_doctor(const struct info_report *r)
{
	unsigned int errors = 0;

	printf("\ndoctor\n");
	for (unsigned int i = 0; i < r->nfind; i++) {
		const struct info_finding *f = &r->find[i];

		errors += f->sev == INFO_ERROR;
		printf("  [%s] %s: %s\n", sev_name[f->sev], f->code, f->msg);
		if (f->fix[0])
			printf("      fix: %s\n", f->fix);
	}
	if (!r->nfind)
		printf("  no problem found\n");
	printf("  => %u error(s), %u finding(s)\n", errors, r->nfind);
}

static void human_notes(const struct info_machine *m)
{
	if (!m->nnotes)
		return;
	printf("\nnot read\n");
	for (unsigned int i = 0; i < m->nnotes; i++)
		printf("  %s\n", m->notes[i]);
}

void info_print_human(const struct info_opts *o, const struct info_machine *m,
		      const struct info_report *r)
{
	if (!o->doctor_only) {
		human_platform(m);
		human_devices(m);
		human_plan(m, r);
	} else {
		printf("source: %s\n", m->source);
	}
	human_doctor(r);
	human_notes(m);
}

/* ---- JSON ---------------------------------------------------------------- */

static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jkey(const char *k, const char *v, bool comma)
{
	printf("\"%s\": ", k);
	jstr(v);
	printf("%s", comma ? ", " : "");
}

static void jnum(const char *k, uint64_t v, bool comma)
{
	printf("\"%s\": %llu%s", k, (unsigned long long)v, comma ? ", " : "");
}

static void jbool(const char *k, bool v, bool comma)
{
	printf("\"%s\": %s%s", k, v ? "true" : "false", comma ? ", " : "");
}

static void json_platform(const struct info_machine *m)
{
	printf("  \"platform\": {");
	jkey("arch", m->arch, true);
	jbool("power", m->power, true);
	jkey("platform", m->platform, true);
	jkey("hypervisor", m->hypervisor, true);
	jkey("cpu", m->cpu, true);
	jkey("mmu", m->mmu, true);
	jkey("kernel", m->kernel, true);
	jnum("system_page_size", 1ull << m->page_shift, true);
	jbool("memlock_known", m->memlock_known, true);
	if (m->memlock == SPAPR_DMA_UNLIMITED)
		jkey("memlock", "unlimited", true);
	else
		jnum("memlock", m->memlock, true);
	jbool("cap_ipc_lock", m->cap_ipc_lock, true);
	jbool("root", m->root, false);
	printf("},\n  \"numa_nodes\": [");
	for (unsigned int i = 0; i < m->nnodes; i++) {
		printf("%s{", i ? ", " : "");
		jnum("node", (uint64_t)m->nodes[i].id, true);
		jnum("cpus", m->nodes[i].ncpus, true);
		jkey("cpulist", m->nodes[i].cpulist, false);
		printf("}");
	}
	printf("],\n  \"hugepages\": [");
	for (unsigned int i = 0; i < m->npools; i++) {
		printf("%s{\"node\": %d, ", i ? ", " : "", m->pools[i].node);
		jnum("page_size", m->pools[i].page, true);
		printf("\"nr\": %ld, \"free\": %ld}", m->pools[i].nr, m->pools[i].free);
	}
	printf("],\n");
	printf("  \"hugetlbfs_mount\": ");
	jstr(m->hugetlbfs_mount);
	printf(",\n");
}

static void json_devices(const struct info_machine *m)
{
	printf("  \"pci_devices\": [");
	for (unsigned int i = 0; i < m->ndev; i++) {
		const struct info_dev *d = &m->devs[i];

		printf("%s\n    {", i ? "," : "");
		jkey("bdf", d->bdf, true);
		printf("\"class\": \"0x%06x\", \"vendor\": \"0x%04x\", \"device\": \"0x%04x\", ",
		       d->class_code, d->vendor, d->device);
		jkey("driver", d->driver, true);
		printf("\"node\": %d, \"iommu_group\": %d}", d->node, d->group);
	}
	printf("],\n  \"iommu_groups\": [");
	for (unsigned int i = 0; i < m->ngroups; i++) {
		const struct info_group *g = &m->groups[i];

		printf("%s\n    {\"group\": %d, ", i ? "," : "", g->num);
		jbool("viable", g->viable, true);
		jbool("vfio_pci", g->has_vfio, true);
		jnum("devices", g->ndev, true);
		jbool("probed", g->probed, true);
		if (g->probed && g->probe_err) {
			printf("\"get_info_error\": ");
			jstr(strerror(-g->probe_err));
			printf(", \"get_info_step\": ");
			jstr(g->probe_step);
		} else if (g->probed) {
			printf("\"get_info\": {\"iommu\": \"%s\", \"flags\": %u, \"ddw\": %s, "
			       "\"dma32_start\": \"0x%x\", \"dma32_size\": \"0x%x\", "
			       "\"pgsizes\": \"0x%llx\", \"max_dynamic_windows\": %u, \"levels\": %u}",
			       g->iommu_type == VFIO_SPAPR_TCE_v2_IOMMU ? "v2" : "v1", g->info.flags,
			       g->info.flags & VFIO_IOMMU_SPAPR_INFO_DDW ? "true" : "false",
			       g->info.dma32_window_start, g->info.dma32_window_size,
			       (unsigned long long)g->info.ddw.pgsizes,
			       g->info.ddw.max_dynamic_windows_supported, g->info.ddw.levels);
		} else {
			printf("\"get_info\": null");
		}
		printf("}");
	}
	printf("],\n");
}

static void json_candidates(const struct spapr_dma_plan *p)
{
	printf("\"candidates\": [");
	for (unsigned int i = 0; i < p->explain.ncand; i++) {
		const struct spapr_dma_candidate *c = &p->explain.cand[i];

		printf("%s\n      {", i ? "," : "");
		jkey("mode", c->mode == SPAPR_DMA_MODE_DIRECT ? "direct" : "indirect", true);
		jbool("default_window", c->default_window, true);
		jnum("page_size", 1ull << c->page_shift, true);
		jnum("window_size", c->window_size, true);
		jnum("levels", c->levels, true);
		jnum("table_bytes", c->table_bytes, true);
		jnum("locked_bytes", c->locked_bytes, true);
		jbool("accepted", c->accepted, true);
		jbool("chosen", c->chosen, true);
		jkey("reason", c->reason, false);
		printf("}");
	}
	printf("]");
}

static void json_plan(const struct info_report *r)
{
	const struct spapr_dma_plan *p = &r->plan;

	printf("  \"plan\": ");
	if (!r->have_caps) {
		printf("null,\n");
		return;
	}
	printf("{\"caps_group\": %d, ", r->caps_group);
	jkey("memory", r->mem_desc, true);
	jnum("memory_bytes", r->mem_bytes, true);
	jbool("valid", p->valid, true);
	jkey("error", r->plan_rc ? strerror(-r->plan_rc) : "", true);
	jkey("mode", !p->valid ? "none" : p->mode == SPAPR_DMA_MODE_DIRECT ? "direct" : "indirect",
	     true);
	jbool("default_window", p->default_window, true);
	jnum("page_size", p->valid ? 1ull << p->page_shift : 0, true);
	jnum("window_size", p->window_size, true);
	jnum("levels", p->levels, true);
	printf("\"expected_start\": \"0x%llx\", ", (unsigned long long)p->expected_start);
	jnum("table_bytes", p->table_bytes, true);
	jnum("locked_bytes", p->locked_bytes, true);
	jnum("locked_needed", r->locked_needed, true);
	jnum("registrations", p->registrations, true);
	jnum("maps", p->maps, true);
	jnum("kernel_ops", p->kernel_ops, true);
	jkey("remedy", p->explain.remedy, true);
	printf("\n    ");
	json_candidates(p);
	printf("},\n");
}

static void json_findings(const struct info_report *r)
{
	unsigned int errors = 0;

	printf("  \"findings\": [");
	for (unsigned int i = 0; i < r->nfind; i++) {
		const struct info_finding *f = &r->find[i];

		errors += f->sev == INFO_ERROR;
		printf("%s\n    {", i ? "," : "");
		jkey("severity", sev_name[f->sev], true);
		jkey("code", f->code, true);
		jkey("message", f->msg, true);
		jkey("fix", f->fix, false);
		printf("}");
	}
	printf("],\n  \"errors\": %u,\n", errors);
}

void info_print_json(const struct info_opts *o, const struct info_machine *m,
		     const struct info_report *r)
{
	printf("{\n  ");
	jkey("source", m->model ? "model" : "machine", true);
	jkey("source_detail", m->source, false);
	printf(",\n");
	if (!o->doctor_only) {
		json_platform(m);
		json_devices(m);
		json_plan(r);
	}
	json_findings(r);
	printf("  \"not_read\": [");
	for (unsigned int i = 0; i < m->nnotes; i++) {
		printf("%s", i ? ", " : "");
		jstr(m->notes[i]);
	}
	printf("]\n}\n");
}
