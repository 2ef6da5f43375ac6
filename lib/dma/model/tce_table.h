/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tce_table.h - private: TCE tables of the host model (§5).
 *
 * A table is what the kernel calls struct iommu_table: a real table of
 * big-endian u64 TCEs (RPN | write(2) | read(1), §5.1), single- or
 * multi-level with the per-level chunk geometry of §5.2, plus the
 * parallel "userspace view" of the same shape holding user addresses
 * (AIO it_userspace). Lower levels may be allocated on demand (PowerNV since
 * ~v4.19, IODATCE pnv_tce()).
 *
 * Indirect entries hold the address of the next level with R|W set, as in
 * IODATCE pnv_tce(); the model stores the host pointer of the level there
 * (the model has no physical address for its own table memory).
 */
#ifndef TCE_TABLE_H
#define TCE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCE_READ 0x1ull		/* TCE_PCI_READ, TCEH */
#define TCE_WRITE 0x2ull	/* TCE_PCI_WRITE, TCEH */
#define TCE_PERM (TCE_READ | TCE_WRITE)

/* POWERNV_IOMMU_MAX_LEVELS (PNVH). */
#define TCE_PNV_MAX_LEVELS 5

/*
 * Called before every level allocation of a table (hw: true for the TCE
 * table, false for the userspace view), with the chunk size in bytes.
 * Returns 0 to allocate, or -errno to fail the walk (fault injection).
 */
typedef int (*tce_alloc_hook)(void *ctx, bool hw, uint64_t bytes);

struct tce_table {
	uint64_t offset;	/* it_offset: bus address >> page_shift */
	uint64_t size;		/* it_size: entries */
	unsigned int page_shift;	/* it_page_shift */
	unsigned int levels;		/* it_indirect_levels + 1 */
	unsigned int level_bits;	/* log2(it_level_size) */
	bool on_demand;		/* lower levels allocated at first touch */
	uint64_t *hw;		/* top level of the TCE table (BE entries) */
	uint64_t *uv;		/* top level of the userspace view (BE) */
	uint64_t bytes_allocated;	/* level memory allocated now */
	uint64_t charged;	/* it_allocated_size: bytes charged */
};

/*
 * PowerNV geometry, computed the way the kernel computes it (IODA
 * pnv_pci_ioda2_get_table_size, IODATCE pnv_pci_ioda2_table_alloc_pages):
 * entries_shift = ilog2(window) - page_shift in 32-bit unsigned arithmetic,
 * so a window smaller than one IOMMU page wraps around. A wrap by 1-3
 * (window >= page/8) is well defined and gives a one-system-page table; a
 * bigger one makes the kernel shift by >= 64 bits (C undefined behaviour),
 * which the model evaluates like POWER's sld instruction (count mod 128,
 * 64..127 give 0) and reports through *ub.
 */

/* Bytes of one PowerNV table for get_table_size() (IODA
 * pnv_pci_ioda2_get_table_size, without the x2 for the userspace view).
 * 0 when the kernel returns 0 (levels 0 or > 5, window not a power of two,
 * a per-level chunk that sld turns into 0). */
uint64_t tce_pnv_table_bytes(unsigned int page_shift, uint64_t window_size,
			     unsigned int levels, unsigned int sys_shift,
			     bool *ub);

/* Per-level chunk shift (bytes, log2) of a PowerNV table, §5.2:
 * max(ceil(entries_shift / levels) + 3, PAGE_SHIFT), in the kernel's 32-bit
 * arithmetic (huge when entries_shift wrapped: the caller's 55-bit bus
 * address check then refuses the window). */
uint32_t tce_pnv_level_shift(unsigned int page_shift, uint64_t window_size,
			     unsigned int levels, unsigned int sys_shift);

/* Entries of a PowerNV window (it_size): the table is
 * 2^max(entries_shift + 3, PAGE_SHIFT) bytes and it_size = bytes / 8
 * (IODATCE pnv_pci_ioda2_table_alloc_pages -> pnv_pci_setup_iommu_table),
 * so a window never has fewer than PAGE_SIZE / 8 entries, whatever size was
 * asked: 512 with 4K system pages, 8192 with 64K. 0 (with *ub) when the
 * kernel's shift count is >= 64. */
uint64_t tce_pnv_window_entries(unsigned int page_shift, uint64_t window_size,
				unsigned int sys_shift, bool *ub);

/*
 * Create a table whose top level (and, for one level, the whole table) is
 * allocated: @level_shift is the chunk size log2 in bytes. @hook is called
 * for each of the two top-level allocations. Returns NULL with *err set.
 */
struct tce_table *tce_table_create(uint64_t offset, uint64_t size,
				   unsigned int page_shift, unsigned int levels,
				   unsigned int level_shift, bool on_demand,
				   tce_alloc_hook hook, void *ctx, int *err);

/* Free every level of both trees and the table itself. */
void tce_table_free(struct tce_table *t);

/*
 * Pointer to the entry @idx (relative: entry - offset) of the TCE table
 * (@hw) or of the userspace view. With @alloc, missing levels are allocated
 * (calling @hook first); without, NULL means "level not allocated".
 * O(levels). On allocation failure NULL and *err.
 */
uint64_t *tce_table_entry(struct tce_table *t, bool hw, uint64_t idx, bool alloc,
			  tce_alloc_hook hook, void *ctx, int *err);

/* TCE value of relative entry @idx (host order), 0 if not allocated. */
uint64_t tce_table_get(const struct tce_table *t, uint64_t idx);

/* Entries per leaf block (it_level_size), for skipping unallocated blocks. */
static inline uint64_t tce_table_level_size(const struct tce_table *t)
{
	return UINT64_C(1) << t->level_bits;
}

/* Does the window contain bus entry @entry (= bus address >> page_shift)? */
static inline bool tce_table_has_entry(const struct tce_table *t, uint64_t entry)
{
	return entry >= t->offset && entry - t->offset < t->size;
}

/* Bus address of the first byte of the window. */
static inline uint64_t tce_table_start(const struct tce_table *t)
{
	return t->offset << t->page_shift;
}

/*
 * Call @fn for every entry of allocated leaf blocks of the TCE table whose
 * TCE or userspace-view value is non-zero (host order). Stops at and
 * returns the first non-zero result of @fn.
 */
typedef int (*tce_visit_fn)(void *ctx, uint64_t idx, uint64_t tce, uint64_t ua);
int tce_table_visit(struct tce_table *t, tce_visit_fn fn, void *ctx);

#endif /* TCE_TABLE_H */
