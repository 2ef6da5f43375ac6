/* SPDX-License-Identifier: BSD-3-Clause */
/* spapr_telemetry.c - /spapr/info and /spapr/stats. */
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "rte_bus_spapr.h"
#include "spapr_priv.h"

static void add_window(struct rte_tel_data *d, unsigned int i)
{
	struct spapr_dma_plan p;
	uint64_t start, size;
	unsigned int shift;
	char line[SPAPR_ERR_LEN];

	spapr_dma_container_plan(spapr.cont[i].c, &p);
	spapr_dma_container_window(spapr.cont[i].c, &start, &size, &shift);
	rte_tel_data_add_dict_string(d, "mode", p.mode == SPAPR_DMA_MODE_DIRECT ? "direct" : "indirect");
	rte_tel_data_add_dict_u64(d, "window_start", start);
	rte_tel_data_add_dict_u64(d, "window_size", size);
	rte_tel_data_add_dict_u64(d, "tce_page_size", 1ull << shift);
	rte_tel_data_add_dict_u64(d, "levels", p.levels);
	rte_tel_data_add_dict_u64(d, "groups", spapr.cont[i].ngroups);
	rte_tel_data_add_dict_u64(d, "first_group", (uint64_t)spapr.cont[i].groups[0]);
	spapr_plan_line(i, line, sizeof(line));
	rte_tel_data_add_dict_string(d, "plan", line);
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
	rte_tel_data_add_dict_string(d, "backend", info.backend);
	rte_tel_data_add_dict_string(d, "profile", info.profile);
	rte_tel_data_add_dict_string(d, "policy", info.policy);
	rte_tel_data_add_dict_string(d, "eal_iova_mode", info.eal_iova_va ? "VA" : "PA");
	rte_tel_data_add_dict_int(d, "memseg_iovas_rewritten", info.iovas_rewritten);
	rte_tel_data_add_dict_u64(d, "containers", info.containers);
	rte_tel_data_add_dict_u64(d, "groups", info.groups);
	rte_tel_data_add_dict_u64(d, "mem_bytes", info.mem_bytes);
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
	rte_tel_data_add_dict_u64(d, "containers", spapr.ncont);
	rte_tel_data_add_dict_u64(d, "windows", tot.windows);
	rte_tel_data_add_dict_u64(d, "tces_in_use", tot.tces_in_use);
	rte_tel_data_add_dict_u64(d, "bytes_registered", tot.bytes_registered);
	rte_tel_data_add_dict_u64(d, "bytes_mapped", tot.bytes_mapped);
	rte_tel_data_add_dict_u64(d, "registrations", tot.registrations);
	rte_tel_data_add_dict_u64(d, "mappings", tot.mappings);
	rte_tel_data_add_dict_u64(d, "table_bytes_charged", tot.table_bytes_charged);
	rte_tel_data_add_dict_u64(d, "kernel_ops", tot.kernel_ops);
	rte_tel_data_add_dict_u64(d, "iova_free", tot.iova_free);
	rte_tel_data_add_dict_u64(d, "mem_events", spapr.mem_events);
	rte_tel_data_add_dict_u64(d, "mem_event_errors", spapr.mem_event_errors);
	for (unsigned int k = 0; k < SPAPR_DMA_OP_COUNT; k++)
		rte_tel_data_add_dict_u64(d, spapr_dma_op_name(k), tot.ops[k]);
	return 0;
}

void spapr_telemetry_register(void)
{
	rte_telemetry_register_cmd("/spapr/info", tel_info,
				   "sPAPR DMA plugin: plan, windows, containers, groups. No parameters");
	rte_telemetry_register_cmd("/spapr/stats", tel_stats,
				   "sPAPR DMA plugin: lib/dma counters summed over containers. No parameters");
}
