/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sc.h - the system-test case runner: one list of ioctl sequences run through
 * any struct spapr_backend (the vfio backend on a real POWER kernel inside the
 * QEMU guest, or the host model on this host), recording every step.
 *
 * A case is a function issuing backend operations through the sc_op_*()
 * wrappers. Each wrapper performs the operation and prints one record line:
 *
 *   @@ S <case> <step> <op> rc=<0|value|-ERRNO> [field=value ...]
 *
 * The fields are everything the kernel gives back (GET_INFO values, the
 * created window's start address, the struct after the call, ...). Both
 * sides print the same text for the same behaviour, so comparing is a
 * string comparison per (case, step). Addresses are identical on both sides
 * because the guest maps its memory at a fixed virtual address (SC_ARENA_VA)
 * and the model declares the same range (spapr_model_mm_map()).
 *
 * Case names determine cases completely: "rnd-<seed>-<n>" is random
 * sequence n of the generator seeded with <seed>, so the host side re-runs
 * exactly what the guest ran from the names in the guest's result file.
 */
#ifndef SC_H
#define SC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "spapr_backend.h"

/* Guest memory used by every case: [SC_ARENA_VA, +SC_ARENA_LEN) is mapped,
 * populated anonymous memory; SC_HOLE_VA has nothing mapped. 16 TiB is
 * inside the user address space of every ppc64 MMU mode (hash 4K: 64 TiB). */
#define SC_ARENA_VA	UINT64_C(0x100000000000)
#define SC_ARENA_LEN	(UINT64_C(160) << 20)
#define SC_HOLE_VA	(SC_ARENA_VA + (UINT64_C(1) << 30))

#define SC_MiB		(UINT64_C(1) << 20)
#define SC_GiB		(UINT64_C(1) << 30)
#define SC_BIT59	(UINT64_C(1) << 59)
#define SC_UNLIMITED	UINT64_MAX

/* Groups the environment offers; handles the current case holds. */
struct sc_ctx {
	struct spapr_backend *be;
	FILE *out;
	int group_num[2];	/* IOMMU group numbers of NIC 0/1; -1: none */
	unsigned int page_size;	/* system PAGE_SIZE of the kernel */
	bool pseries;		/* platform: the random generator avoids
				 * poisoning the PE (sc_random.c) */
	/* Run @fn as another process holding the same fds (a forked child:
	 * §2 mm binding). Guest: fork(); model: a second mm with the same
	 * memory mapped. Steps @fn records continue the case's numbering.
	 * @memlock: SC_UNLIMITED (root: CAP_IPC_LOCK, as the parent) or an
	 * RLIMIT_MEMLOCK in bytes without CAP_IPC_LOCK (§3.5, §5.3). */
	int (*other_mm)(struct sc_ctx *x, void (*fn)(struct sc_ctx *x), uint64_t memlock);

	/* Per case. */
	const char *case_name;
	int step;
	int c, c2;		/* container handles, -1 when closed */
	int g, g2;		/* group handles, -1 when closed */
	uint64_t start;		/* start_addr of the last successful CREATE */
	bool failed_setup;	/* a set-up step failed: skip the rest */
};

typedef void (*sc_case_fn)(struct sc_ctx *x);

/* When a case runs. A pseries PE is poisoned until reboot by a refused DDW
 * (§6), so cases that may do that come after everything else, and
 * cases needing a fresh PE for another poisoning order run in a second
 * boot of the machine. */
enum sc_when {
	SC_EARLY = 0,	/* first boot, before the random cases */
	SC_LATE = 1,	/* first boot, after the random cases, in list order */
	SC_BOOT2 = 2,	/* second boot */
	SC_BOOT3 = 3,	/* third boot */
};
#define SC_BOOTS 3	/* boots a full run needs */

struct sc_case {
	const char *name;
	sc_case_fn fn;
	const char *what;	/* the rule it checks, with the spec section */
	enum sc_when when;
	bool two_groups;	/* needs a second IOMMU group (--nics 2) */
};

/* The deterministic case list, in run order (NULL-terminated). */
extern const struct sc_case sc_cases[];

/* The run order of boot @boot (0 .. SC_BOOTS-1) into @names (capacity @max): boot 0
 * runs the early cases, @nrandom random cases of @seed, then the late
 * cases; boot 1 the SC_BOOT2 cases, boot 2 the SC_BOOT3 cases. Cases
 * needing two groups are left out unless @two_groups. Returns the count; the names are
 * allocated (free with free()). */
unsigned int sc_default_order(char **names, unsigned int max, unsigned int boot,
			      unsigned long seed, unsigned int nrandom, bool two_groups);

/* Run the case called @name (a listed case or "rnd-<seed>-<n>").
 * Returns 0, or -ENOENT for an unknown name. Prints its records and a final
 * "@@ E <case> steps=<n>" line. */
int sc_run_case(struct sc_ctx *x, const char *name);

/* Name of random case @n of @seed into @buf. */
void sc_random_name(char *buf, size_t len, unsigned long seed, unsigned int n);

/* Random sequences (sc_random.c). Returns -ENOENT if @name is not one. */
int sc_random_case(struct sc_ctx *x, const char *name);

/* errno name ("EINVAL") of a positive errno; "E<n>" for unknown ones. */
const char *sc_errno_name(int err, char *buf, size_t len);

/* --- operations: each runs one backend op and records it --- */
int sc_op_container_open(struct sc_ctx *x);
int sc_op_group_open(struct sc_ctx *x, int which);
int sc_op_close(struct sc_ctx *x, int *handle);
int sc_op_group_status(struct sc_ctx *x, int group);
int sc_op_set_container(struct sc_ctx *x, int group, int container);
int sc_op_unset_container(struct sc_ctx *x, int group);
int sc_op_check_extension(struct sc_ctx *x, int container, uint32_t ext);
int sc_op_set_iommu(struct sc_ctx *x, int container, uint32_t type);
int sc_op_get_info(struct sc_ctx *x, int container, uint32_t argsz);
int sc_op_register(struct sc_ctx *x, int container, uint64_t vaddr, uint64_t size,
		   uint32_t flags, uint32_t argsz);
int sc_op_unregister(struct sc_ctx *x, int container, uint64_t vaddr, uint64_t size,
		     uint32_t flags, uint32_t argsz);
int sc_op_create(struct sc_ctx *x, int container, uint32_t page_shift,
		 uint64_t window_size, uint32_t levels, uint32_t flags, uint32_t argsz);
int sc_op_remove(struct sc_ctx *x, int container, uint64_t start, uint32_t flags,
		 uint32_t argsz);
int sc_op_map(struct sc_ctx *x, int container, uint64_t vaddr, uint64_t iova,
	      uint64_t size, uint32_t flags, uint32_t argsz);
int sc_op_unmap(struct sc_ctx *x, int container, uint64_t iova, uint64_t size,
		uint32_t flags, uint32_t argsz);
int sc_op_enable(struct sc_ctx *x, int container);
int sc_op_disable(struct sc_ctx *x, int container);
int sc_op_eeh(struct sc_ctx *x, int container, uint32_t op);

/* Common openings: container + group 0 (+ SET_IOMMU @type when non-zero). */
int sc_open(struct sc_ctx *x, uint32_t type);
/* Close whatever the case still holds (groups first, like process exit). */
void sc_close_all(struct sc_ctx *x);

/* Default argsz of each struct. */
#define SC_ARGSZ_INFO	 32u
#define SC_ARGSZ_REG	 24u
#define SC_ARGSZ_CREATE	 40u
#define SC_ARGSZ_REMOVE	 16u
#define SC_ARGSZ_MAP	 32u
#define SC_ARGSZ_UNMAP	 24u
#define SC_RW		 (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

#endif /* SC_H */
