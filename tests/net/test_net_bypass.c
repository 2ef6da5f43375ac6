/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_bypass - what the NIC benchmark's baseline rests on, without
 * DPDK: the model's identity mode (spapr_model_pe_set_bypass) and the
 * plugin option iommu=off that selects it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spapr_model.h"
#include "spapr_opts.h"
#include "test_util.h"

#define PG (UINT64_C(2) << 20)
#define VA UINT64_C(0x7f0000000000)

static struct spapr_model *model;
static char *mem;
static uint64_t pa;

static void setup(void)
{
	struct spapr_model_profile p;

	T_ERR(spapr_model_profile_get("powernv9", &p), 0);
	model = spapr_model_create(&p);
	T_CHECK(model != NULL);
	mem = aligned_alloc(PG, 2 * PG);
	T_CHECK(mem != NULL);
	T_ERR(spapr_model_mm_map(model, 0, VA, 2 * PG, 21, SPAPR_MODEL_VMA_HUGETLB, mem), 0);
	T_ERR(spapr_model_mm_va_to_pa(model, 0, VA, &pa), 0);
}

static void test_off_by_default(void)
{
	struct spapr_model_pe_stats st;

	/* No window, no bypass: the host physical address is no IOVA. */
	T_ERR(spapr_model_dma_check(model, 0, pa, 64, SPAPR_MODEL_DMA_READ, NULL), -EFAULT);
	T_EQ(spapr_model_pe_state(model, 0), VFIO_EEH_PE_STATE_STOPPED);
	T_ERR(spapr_model_pe_stats(model, 0, &st), 0);
	T_EQU(st.faults, 1);
	T_ERR(spapr_model_pe_reset(model, 0), 0);
}

static void test_identity(void)
{
	struct spapr_model_xlat x;
	char buf[100];

	T_ERR(spapr_model_pe_set_bypass(model, 0, true), 0);
	T_ERR(spapr_model_dma_check(model, 0, pa + 4096, 64,
				    SPAPR_MODEL_DMA_READ | SPAPR_MODEL_DMA_WRITE, &x), 0);
	T_EQU(x.hpa, pa + 4096);
	T_CHECK(x.host == mem + 4096);
	T_EQU(x.contig, PG - 4096);	/* the backing page, like a 2M TCE */
	/* Bytes really move, also across the two pages. */
	memset(buf, 0x5a, sizeof(buf));
	T_ERR(spapr_model_dma_write(model, 0, pa + PG - 50, buf, sizeof(buf)), 0);
	T_EQ(mem[PG - 50], 0x5a);
	T_EQ(mem[PG + 49], 0x5a);
	memset(buf, 0, sizeof(buf));
	T_ERR(spapr_model_dma_read(model, 0, pa + PG - 50, buf, sizeof(buf)), 0);
	T_EQ(buf[99], 0x5a);
	T_EQ(spapr_model_pe_state(model, 0), VFIO_EEH_PE_STATE_NORMAL);
}

static void test_identity_faults_outside_memory(void)
{
	struct spapr_model_pe_stats st;

	/* Past the declared memory: a fault, the PE freezes, as usual. */
	T_ERR(spapr_model_dma_check(model, 0, pa + 2 * PG, 16, SPAPR_MODEL_DMA_READ, NULL), -EFAULT);
	T_ERR(spapr_model_dma_check(model, 0, pa + 2 * PG - 8, 16, SPAPR_MODEL_DMA_READ, NULL), -EIO);
	T_EQ(spapr_model_pe_state(model, 0), VFIO_EEH_PE_STATE_STOPPED);
	T_ERR(spapr_model_pe_stats(model, 0, &st), 0);
	T_EQU(st.faults, 2);
	T_EQU(st.last_fault_iova, pa + 2 * PG);
	T_ERR(spapr_model_pe_reset(model, 0), 0);
	/* A PE reset keeps the mode (it is the PE's configuration, not EEH state). */
	T_ERR(spapr_model_dma_check(model, 0, pa, 16, SPAPR_MODEL_DMA_READ, NULL), 0);
	T_ERR(spapr_model_pe_set_bypass(model, 0, false), 0);
	T_ERR(spapr_model_dma_check(model, 0, pa, 16, SPAPR_MODEL_DMA_READ, NULL), -EFAULT);
	T_ERR(spapr_model_pe_reset(model, 0), 0);
	T_ERR(spapr_model_pe_set_bypass(model, 99, true), -ENOENT);
}

static void test_option(void)
{
	struct spapr_opts o;
	char err[256] = "";

	spapr_opts_init(&o);
	T_CHECK(o.iommu);
	T_ERR(spapr_opts_parse(&o, "backend=model,iommu=off", "devargs", err, sizeof(err)), 0);
	T_CHECK(!o.iommu);
	T_ERR(spapr_opts_validate(&o, err, sizeof(err)), 0);
	T_ERR(spapr_opts_parse(&o, "iommu=maybe", "devargs", err, sizeof(err)), -EINVAL);
	T_CHECK(strstr(err, "key 'iommu': accepted values are on, off") != NULL);
	spapr_opts_init(&o);
	T_ERR(spapr_opts_parse(&o, "iommu=off", "devargs", err, sizeof(err)), 0);
	T_ERR(spapr_opts_validate(&o, err, sizeof(err)), -EINVAL);
	T_CHECK(strstr(err, "need backend=model") != NULL);
}

int main(void)
{
	setup();
	if (model == NULL || mem == NULL)
		return t_finish();
	T_RUN(test_off_by_default);
	T_RUN(test_identity);
	T_RUN(test_identity_faults_outside_memory);
	T_RUN(test_option);
	T_ERR(spapr_model_pe_set_bypass(model, 0, false), 0);
	spapr_model_destroy(model);
	free(mem);
	return t_finish();
}
