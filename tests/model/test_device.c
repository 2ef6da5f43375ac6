/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device side of the model: DMA through the live TCE tables into real
 * host memory, permission faults, EEH freeze of the PE and its recovery
 * (reset or UNFREEZE), per-PE statistics.
 */
#include <stdlib.h>

#include "model_test.h"

#define PG64K (64 * MT_KIB)
#define BUF_LEN (2 * MT_MIB)

static uint8_t *buf;

/* powernv9, @ngroups groups in one v2 container, a 2 MiB VMA at MT_VA0
 * backed by real memory (buf), registered; a 1 GiB 64 KiB window at 0 with
 * iova [0, 512K) -> va [0, 512K) RW, iova 1M -> va+512K READ-only (1 page),
 * iova 1M+64K -> va+576K WRITE-only (1 page). */
static struct spapr_model *setup(int ngroups, int *c)
{
	struct spapr_model *m = mt_model("powernv9");
	uint64_t start;

	memset(buf, 0, BUF_LEN);
	*c = mt_open_v2(m, (unsigned int)ngroups, NULL);
	T_CHECK(*c >= 0);
	T_ERR(spapr_model_mm_map(m, 0, MT_VA0, BUF_LEN, 16, 0, buf), 0);
	T_ERR(mt_reg(m, *c, MT_VA0, BUF_LEN), 0);
	T_ERR(mt_remove(m, *c, 0), 0);
	T_ERR(mt_create_win(m, *c, 16, MT_GIB, 1, &start), 0);
	T_EQU(start, 0);
	T_ERR(mt_map(m, *c, MT_VA0, 0, 8 * PG64K, MT_RW), 0);
	T_ERR(mt_map(m, *c, MT_VA0 + 8 * PG64K, MT_MIB, PG64K,
		     VFIO_DMA_MAP_FLAG_READ), 0);
	T_ERR(mt_map(m, *c, MT_VA0 + 9 * PG64K, MT_MIB + PG64K, PG64K,
		     VFIO_DMA_MAP_FLAG_WRITE), 0);
	return m;
}

static struct spapr_model_pe_stats stats(struct spapr_model *m, int g)
{
	struct spapr_model_pe_stats st;

	memset(&st, 0, sizeof(st));
	T_ERR(spapr_model_pe_stats(m, g, &st), 0);
	return st;
}

static void dev_data_round_trip(void)
{
	int c;
	struct spapr_model *m = setup(1, &c);
	char out[64], in[200000];
	struct spapr_model_xlat x;

	/* device writes (RX) land in host memory at the mapped va */
	strcpy(out, "packet from the device");
	T_ERR(spapr_model_dma_write(m, 0, 0x1234, out, strlen(out) + 1), 0);
	T_CHECK(strcmp((char *)buf + 0x1234, out) == 0);
	/* device reads (TX) see what the CPU wrote, across TCE boundaries */
	for (size_t i = 0; i < sizeof(in); i++)
		buf[0x100 + i] = (uint8_t)(i * 7 + 3);
	memset(in, 0, sizeof(in));
	T_ERR(spapr_model_dma_read(m, 0, 0x100, in, sizeof(in)), 0);
	T_CHECK(memcmp(in, buf + 0x100, sizeof(in)) == 0);
	/* translation details */
	memset(&x, 0, sizeof(x));
	T_ERR(spapr_model_dma_check(m, 0, 0x10010, 16, SPAPR_MODEL_DMA_READ, &x), 0);
	T_EQU(x.hpa, mt_pa(m, MT_VA0 + 0x10010));
	T_CHECK(x.host == buf + 0x10010);
	T_EQU(x.contig, PG64K - 0x10);
	T_EQU(x.perm, 3);
	/* a READ-only TCE maps va+512K at iova 1M: reads see that memory */
	buf[8 * PG64K + 5] = 0xA5;
	T_ERR(spapr_model_dma_read(m, 0, MT_MIB + 5, in, 1), 0);
	T_EQ((uint8_t)in[0], 0xA5);
	/* W-only is stored R|W on PowerNV: the device may also read it */
	T_ERR(spapr_model_dma_check(m, 0, MT_MIB + PG64K, 8, SPAPR_MODEL_DMA_READ,
				    NULL), 0);
	T_ERR(spapr_model_dma_write(m, 0, MT_MIB + PG64K + 2, "xy", 2), 0);
	T_CHECK(memcmp(buf + 9 * PG64K + 2, "xy", 2) == 0);
	T_EQ(spapr_model_pe_state(m, 0), VFIO_EEH_PE_STATE_NORMAL);
	T_EQU(stats(m, 0).faults, 0);
	spapr_model_destroy(m);
}

/* A device write through a READ-only TCE faults, freezes the PE; later
 * accesses get -EIO; EEH GET_STATE says stopped; reset restores. */
static void dev_permission_fault_freezes(void)
{
	int c;
	struct spapr_model *m = setup(1, &c);
	struct spapr_model_pe_stats st;
	char b[8] = "abcdefg";

	T_ERR(spapr_model_dma_write(m, 0, MT_MIB + 8, b, sizeof(b)), -EFAULT);
	T_CHECK(buf[8 * PG64K + 8] == 0);	/* nothing written */
	st = stats(m, 0);
	T_EQU(st.faults, 1);
	T_EQU(st.last_fault_iova, MT_MIB + 8);
	T_EQ(spapr_model_pe_state(m, 0), VFIO_EEH_PE_STATE_STOPPED);
	T_EQ(mt_eeh(m, c, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_STOPPED);
	/* frozen: even valid accesses are refused */
	T_ERR(spapr_model_dma_check(m, 0, 0, 8, SPAPR_MODEL_DMA_READ, NULL), -EIO);
	T_ERR(spapr_model_dma_read(m, 0, 0, b, 1), -EIO);
	st = stats(m, 0);
	T_EQU(st.frozen_rejects, 2);
	T_EQU(st.faults, 1);
	/* reset unfreezes */
	T_ERR(spapr_model_pe_reset(m, 0), 0);
	T_EQ(spapr_model_pe_state(m, 0), VFIO_EEH_PE_STATE_NORMAL);
	T_EQ(mt_eeh(m, c, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	T_ERR(spapr_model_dma_read(m, 0, 0, b, 1), 0);
	T_EQU(stats(m, 0).resets, 1);
	spapr_model_destroy(m);
}

/* EEH UNFREEZE_IO + UNFREEZE_DMA through the container also recover. */
static void dev_eeh_unfreeze(void)
{
	int c;
	struct spapr_model *m = setup(1, &c);

	T_ERR(spapr_model_dma_check(m, 0, 5 * MT_GIB, 8, SPAPR_MODEL_DMA_READ,
				    NULL), -EFAULT);	/* no window there */
	T_EQU(stats(m, 0).last_fault_iova, 5 * MT_GIB);
	T_EQ(mt_eeh(m, c, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_STOPPED);
	T_CHECK(mt_eeh(m, c, VFIO_EEH_PE_UNFREEZE_IO) >= 0);
	T_CHECK(mt_eeh(m, c, VFIO_EEH_PE_UNFREEZE_DMA) >= 0);
	T_EQ(mt_eeh(m, c, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	T_ERR(spapr_model_dma_check(m, 0, 0, 8, SPAPR_MODEL_DMA_WRITE, NULL), 0);
	spapr_model_destroy(m);
}

/* Accesses just outside a mapped range fault; a freeze is per PE. */
static void dev_fault_at_range_edges(void)
{
	int c;
	struct spapr_model *m = setup(2, &c);

	/* [0, 512K) mapped: the last byte is fine, one more crosses out */
	T_ERR(spapr_model_dma_check(m, 1, 8 * PG64K - 1, 1, SPAPR_MODEL_DMA_READ,
				    NULL), 0);
	T_ERR(spapr_model_dma_check(m, 0, 8 * PG64K - 4, 8, SPAPR_MODEL_DMA_READ,
				    NULL), -EFAULT);
	T_EQ(spapr_model_pe_state(m, 0), VFIO_EEH_PE_STATE_STOPPED);
	/* group 1 shares the table but is its own PE: still running */
	T_EQ(spapr_model_pe_state(m, 1), VFIO_EEH_PE_STATE_NORMAL);
	T_ERR(spapr_model_dma_check(m, 1, 8 * PG64K, 1, SPAPR_MODEL_DMA_WRITE,
				    NULL), -EFAULT);
	T_EQU(stats(m, 1).last_fault_iova, 8 * PG64K);
	T_ERR(spapr_model_pe_reset(m, 0), 0);
	T_ERR(spapr_model_pe_reset(m, 1), 0);
	/* just below the READ-only page: unmapped hole */
	T_ERR(spapr_model_dma_check(m, 0, MT_MIB - 1, 1, SPAPR_MODEL_DMA_READ,
				    NULL), -EFAULT);
	T_ERR(spapr_model_pe_reset(m, 0), 0);
	/* after UNMAP the device faults where it used to work */
	T_ERR(mt_unmap(m, c, 0, PG64K), 0);
	T_ERR(spapr_model_dma_check(m, 0, 0x20, 1, SPAPR_MODEL_DMA_READ, NULL),
	      -EFAULT);
	T_ERR(spapr_model_pe_reset(m, 0), 0);
	T_ERR(spapr_model_dma_check(m, 0, PG64K, 1, SPAPR_MODEL_DMA_READ, NULL), 0);
	spapr_model_destroy(m);
}

static void dev_stats_counted(void)
{
	int c;
	struct spapr_model *m = setup(1, &c);
	struct spapr_model_pe_stats st;
	char b[3 * 65536];

	spapr_model_counters_reset(m);
	T_ERR(spapr_model_dma_check(m, 0, 0, 16, SPAPR_MODEL_DMA_READ, NULL), 0);
	T_ERR(spapr_model_dma_read(m, 0, PG64K - 8, b, 2 * PG64K), 0);
	T_ERR(spapr_model_dma_write(m, 0, 0, b, 100), 0);
	st = stats(m, 0);
	T_EQU(st.dma_checks, 3);
	T_EQU(st.dma_pages, 1 + 3 + 1);
	T_EQU(st.dma_bytes, 16 + 2 * PG64K + 100);
	T_EQU(st.faults, 0);
	spapr_model_destroy(m);
}

/* A VMA without a host pointer can be translated but not copied. */
static void dev_no_host_memory(void)
{
	struct spapr_model *m = mt_model("powernv9");
	int c = mt_open_v2(m, 1, NULL);
	char b[4];

	mt_vma(m, MT_VA1, MT_MIB, 16, 0);
	T_ERR(mt_reg(m, c, MT_VA1, MT_MIB), 0);
	T_ERR(mt_map(m, c, MT_VA1, 0, MT_MIB, MT_RW), 0);	/* default window */
	T_ERR(spapr_model_dma_check(m, 0, 0x5000, 4, SPAPR_MODEL_DMA_READ, NULL), 0);
	T_ERR(spapr_model_dma_read(m, 0, 0x5000, b, sizeof(b)), -ENXIO);
	spapr_model_destroy(m);
}

/* §3.10: EEH_PE_OP runs on every group and returns the first non-zero
 * result (VST: "if (ret) return ret;"), so GET_STATE reports a frozen PE
 * even when it is not the first group. */
static void dev_eeh_get_state_any_frozen_group(void)
{
	int c;
	struct spapr_model *m = setup(2, &c);

	T_EQ(mt_eeh(m, c, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	T_ERR(spapr_model_dma_check(m, 1, 4 * MT_GIB, 1, SPAPR_MODEL_DMA_READ,
				    NULL), -EFAULT);
	T_EQ(spapr_model_pe_state(m, 0), VFIO_EEH_PE_STATE_NORMAL);
	T_EQ(mt_eeh(m, c, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_STOPPED);
	T_ERR(spapr_model_pe_reset(m, 1), 0);
	T_EQ(mt_eeh(m, c, VFIO_EEH_PE_GET_STATE), VFIO_EEH_PE_STATE_NORMAL);
	spapr_model_destroy(m);
}

/* §5.1 seen from the device: pseries keeps a W-only TCE write-only, so a
 * device read through it faults (PowerNV would have made it R|W). */
static void dev_pseries_write_only_tce(void)
{
	struct spapr_model *m = mt_model("pseries-kvm");
	int c = mt_open_v2(m, 1, NULL);
	uint64_t start;
	char b[4] = "abc";

	memset(buf, 0, BUF_LEN);
	T_ERR(spapr_model_mm_map(m, 0, MT_VA0, BUF_LEN, 16, 0, buf), 0);
	T_ERR(mt_reg(m, c, MT_VA0, BUF_LEN), 0);
	T_ERR(mt_remove(m, c, 0), 0);
	T_ERR(mt_create_win(m, c, 16, MT_GIB, 1, &start), 0);
	T_ERR(mt_map(m, c, MT_VA0 + PG64K, start, PG64K, VFIO_DMA_MAP_FLAG_WRITE), 0);
	T_ERR(spapr_model_dma_write(m, 0, start + 16, b, sizeof(b)), 0);
	T_CHECK(memcmp(buf + PG64K + 16, "abc", 4) == 0);
	T_ERR(spapr_model_dma_read(m, 0, start + 16, b, sizeof(b)), -EFAULT);
	T_EQ(spapr_model_pe_state(m, 0), VFIO_EEH_PE_STATE_STOPPED);
	T_EQU(stats(m, 0).last_fault_iova, start + 16);
	spapr_model_destroy(m);
}

int main(void)
{
	buf = aligned_alloc(64 * 1024, BUF_LEN);
	if (!buf)
		T_SKIP("no memory");
	T_RUN(dev_data_round_trip);
	T_RUN(dev_permission_fault_freezes);
	T_RUN(dev_eeh_unfreeze);
	T_RUN(dev_fault_at_range_edges);
	T_RUN(dev_stats_counted);
	T_RUN(dev_no_host_memory);
	T_RUN(dev_eeh_get_state_any_frozen_group);
	T_RUN(dev_pseries_write_only_tce);
	free(buf);
	return t_finish();
}
