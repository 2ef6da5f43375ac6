/* SPDX-License-Identifier: BSD-3-Clause */
/* spapr_telemetry.c - /spapr/info and /spapr/stats. */
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "rte_bus_spapr.h"
#include "spapr_priv.h"
#include "spapr_dpdk_compat.h"

/* Groups kept attached with no device (spapr_hotplug.c): their count and numbers. */
static void add_parked(struct rte_tel_data *d, unsigned int i)
{
	int groups[SPAPR_MAX_GROUPS_PER_CONTAINER];
	int n = rte_spapr_container_groups_parked(i, groups, RTE_DIM(groups));
	struct rte_tel_data *list = rte_tel_data_alloc();

	spapr_compat_tel_add_dict_uint(d, "groups_parked", n > 0 ? (uint64_t)n : 0);
	if (list == NULL)
		return;
	rte_tel_data_start_array(list, RTE_TEL_INT_VAL);
	for (int k = 0; k < n; k++)
		rte_tel_data_add_array_int(list, groups[k]);
	rte_tel_data_add_dict_container(d, "parked", list, 0);
}

static void add_window(struct rte_tel_data *d, unsigned int i)
{
	struct spapr_dma_plan p;
	uint64_t start, size;
	unsigned int shift;
	char line[SPAPR_ERR_LEN];

	spapr_dma_container_plan(spapr.cont[i].c, &p);
	spapr_dma_container_window(spapr.cont[i].c, &start, &size, &shift);
	rte_tel_data_add_dict_string(d, "mode", p.mode == SPAPR_DMA_MODE_DIRECT ? "direct" : "indirect");
	spapr_compat_tel_add_dict_uint(d, "window_start", start);
	spapr_compat_tel_add_dict_uint(d, "window_size", size);
	spapr_compat_tel_add_dict_uint(d, "tce_page_size", 1ull << shift);
	spapr_compat_tel_add_dict_uint(d, "levels", p.levels);
	spapr_compat_tel_add_dict_uint(d, "groups", spapr.cont[i].ngroups);
	spapr_compat_tel_add_dict_uint(d, "first_group", (uint64_t)spapr.cont[i].groups[0]);
	add_parked(d, i);
	spapr_plan_line(i, line, sizeof(line));
	rte_tel_data_add_dict_string(d, "plan", line);
}

static uint64_t parked_total(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < spapr.ncont; i++) {
		int k = rte_spapr_container_groups_parked(i, NULL, 0);

		n += k > 0 ? (uint64_t)k : 0;
	}
	return n;
}

static int tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_spapr_info info;

	(void)cmd;
	(void)params;
	rte_spapr_info_get(&info);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "status", info.status);
	rte_tel_data_add_dict_string(d, "error", rte_spapr_error());
	rte_tel_data_add_dict_string(d, "process", info.secondary ? "secondary" : "primary");
	if (info.secondary)
		rte_tel_data_add_dict_string(d, "dma_setup", "deferred to the primary process");
	rte_tel_data_add_dict_string(d, "backend", info.backend);
	rte_tel_data_add_dict_string(d, "profile", info.profile);
	rte_tel_data_add_dict_string(d, "policy", info.policy);
	rte_tel_data_add_dict_string(d, "eal_iova_mode", info.eal_iova_va ? "VA" : "PA");
	rte_tel_data_add_dict_int(d, "memseg_iovas_rewritten", info.iovas_rewritten);
	spapr_compat_tel_add_dict_uint(d, "containers", info.containers);
	spapr_compat_tel_add_dict_uint(d, "groups", info.groups);
	spapr_compat_tel_add_dict_uint(d, "groups_parked", parked_total());
	spapr_compat_tel_add_dict_uint(d, "mem_bytes", info.mem_bytes);
	for (unsigned int i = 0; i < spapr.ncont && i < 8; i++) {
		struct rte_tel_data *w = rte_tel_data_alloc();
		char name[32];

		if (w == NULL)
			break;
		rte_tel_data_start_dict(w);
		add_window(w, i);
		snprintf(name, sizeof(name), "container%u", i);
		rte_tel_data_add_dict_container(d, name, w, 0);
	}
	return 0;
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct spapr_dma_stats tot, st;

	(void)cmd;
	(void)params;
	memset(&tot, 0, sizeof(tot));
	for (unsigned int i = 0; i < spapr.ncont; i++) {
		spapr_dma_container_stats(spapr.cont[i].c, &st);
		tot.windows += st.windows;
		tot.tces_in_use += st.tces_in_use;
		tot.bytes_registered += st.bytes_registered;
		tot.bytes_mapped += st.bytes_mapped;
		tot.registrations += st.registrations;
		tot.mappings += st.mappings;
		tot.table_bytes_charged += st.table_bytes_charged;
		tot.kernel_ops += st.kernel_ops;
		tot.iova_free += st.iova_free;
		for (unsigned int k = 0; k < SPAPR_DMA_OP_COUNT; k++)
			tot.ops[k] += st.ops[k];
	}
	rte_tel_data_start_dict(d);
	spapr_compat_tel_add_dict_uint(d, "containers", spapr.ncont);
	spapr_compat_tel_add_dict_uint(d, "windows", tot.windows);
	spapr_compat_tel_add_dict_uint(d, "tces_in_use", tot.tces_in_use);
	spapr_compat_tel_add_dict_uint(d, "bytes_registered", tot.bytes_registered);
	spapr_compat_tel_add_dict_uint(d, "bytes_mapped", tot.bytes_mapped);
	spapr_compat_tel_add_dict_uint(d, "registrations", tot.registrations);
	spapr_compat_tel_add_dict_uint(d, "mappings", tot.mappings);
	spapr_compat_tel_add_dict_uint(d, "table_bytes_charged", tot.table_bytes_charged);
	spapr_compat_tel_add_dict_uint(d, "kernel_ops", tot.kernel_ops);
	spapr_compat_tel_add_dict_uint(d, "iova_free", tot.iova_free);
	spapr_compat_tel_add_dict_uint(d, "mem_events", spapr.mem_events);
	spapr_compat_tel_add_dict_uint(d, "mem_event_errors", spapr.mem_event_errors);
	spapr_compat_tel_add_dict_uint(d, "growth_denied", spapr.growth_denied);
	spapr_compat_tel_add_dict_uint(d, "populate_refused", spapr.populate_refused);
	for (unsigned int k = 0; k < SPAPR_DMA_OP_COUNT; k++)
		spapr_compat_tel_add_dict_uint(d, spapr_dma_op_name(k), tot.ops[k]);
	return 0;
}

void spapr_telemetry_register(void)
{
	rte_telemetry_register_cmd("/spapr/info", tel_info,
				   "sPAPR DMA plugin: plan, windows, containers, groups. No parameters");
	rte_telemetry_register_cmd("/spapr/stats", tel_stats,
				   "sPAPR DMA plugin: lib/dma counters summed over containers. No parameters");
}
