/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * info.h - private to spapr-info: what the tool knows about one machine
 * (real, read through a sysfs root, or played by the host model), the
 * doctor's findings, and the functions of its parts:
 *
 *   info_read.c    the real machine: /proc and /sys under a sysroot,
 *                  libhugetlbfs, libnuma, RLIMIT_MEMLOCK, GET_INFO via vfio
 *   info_model.c   the same facts from a host-model profile
 *   info_doctor.c  the plan (lib/dma's planner) and the doctor's findings
 *   info_print.c   human and JSON output
 */
#ifndef SPAPR_INFO_H
#define SPAPR_INFO_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <linux/vfio.h>

#include "spapr_dma.h"
#include "spapr_model.h"

#define INFO_MAX_DEV 64
#define INFO_MAX_GROUP 64
#define INFO_MAX_POOL 32
#define INFO_MAX_NODE 16
#define INFO_MAX_NOTE 32
#define INFO_MAX_FIND 32
#define INFO_TEXT 512

struct info_dev {
	char bdf[32];
	char driver[32];		/* "" = no driver */
	unsigned int class_code;	/* 24-bit PCI class */
	unsigned int vendor, device;
	int node;			/* -1 unknown */
	int group;			/* -1: no IOMMU group */
};

struct info_group {
	int num;
	unsigned int ndev;
	bool viable;			/* every device vfio-pci, pci-stub or unbound */
	bool has_vfio;			/* at least one device bound to vfio-pci */
	bool probed;			/* GET_INFO attempted */
	int probe_err;			/* 0, or -errno of the failing step */
	char probe_step[32];		/* "open /dev/vfio/3", "SET_IOMMU", ... */
	unsigned int iommu_type;	/* 7 (v2) or 2 (v1) when attached */
	struct vfio_iommu_spapr_tce_info info;
};

/* One hugepage pool: @nr pages of @page bytes on @node (-1 = whole system). */
struct info_pool {
	uint64_t page;
	int node;
	long nr, free;
};

struct info_node {
	int id;
	char cpulist[128];
	unsigned int ncpus;
};

enum info_sev { INFO_ERROR = 0, INFO_WARN = 1, INFO_NOTE = 2 };

struct info_finding {
	enum info_sev sev;
	char code[32];
	char msg[INFO_TEXT];
	char fix[INFO_TEXT];
};

struct info_machine {
	/* Where the facts come from. */
	bool model;
	char source[128];		/* "machine (sysroot /)" or "model powernv9" */
	char profile_desc[160];

	/* Platform. */
	char arch[32];
	bool power;			/* a POWER sPAPR system (cpuinfo has "platform") */
	char platform[32];		/* PowerNV, pSeries, "" */
	char hypervisor[32];		/* "bare metal", KVM, PowerVM */
	char mmu[16];			/* Radix, Hash, "" */
	char cpu[96];
	char kernel[64];
	unsigned int page_shift;
	bool kernel_v2_ok;		/* false if SET_IOMMU(v2) was refused (-EINVAL/-EPERM) */
	bool plat_set;			/* model: the profile's platform limits */
	struct spapr_dma_platform plat;

	unsigned int nnodes;
	struct info_node nodes[INFO_MAX_NODE];
	bool numa_lib;			/* libnuma answered */

	unsigned int npools;
	struct info_pool pools[INFO_MAX_POOL];
	char hugetlbfs_mount[256];	/* libhugetlbfs: a mount point, "" none */

	unsigned int ndev;
	struct info_dev devs[INFO_MAX_DEV];
	unsigned int ngroups;
	struct info_group groups[INFO_MAX_GROUP];
	bool vfio_spapr_loaded;		/* vfio_iommu_spapr_tce present */

	uint64_t memlock;		/* soft RLIMIT_MEMLOCK, SPAPR_DMA_UNLIMITED */
	bool memlock_known;
	bool cap_ipc_lock;
	bool cap_known;
	bool root;

	unsigned int nnotes;		/* what could not be read, and why */
	char notes[INFO_MAX_NOTE][INFO_TEXT];
};

/* What the user asked for. */
struct info_opts {
	const char *sysroot;		/* "/" default */
	const char *model;		/* profile name or file, NULL = real */
	uint64_t mem, page;		/* plan for this memory (0 = the hugepages) */
	uint64_t memlock;		/* override; 0 none */
	bool memlock_set;
	const char *hugepages[8];	/* SIZE@PAGE[@NODE] (model) */
	unsigned int nhuge;
	int non_viable[8];		/* model groups made non-viable */
	unsigned int nnonviable;
	enum spapr_dma_mode policy;
	bool doctor_only, json;
};

/* The plan and the doctor's verdict. */
struct info_report {
	bool have_caps;
	int caps_group;			/* group whose GET_INFO was used */
	struct spapr_dma_caps caps;
	char mem_desc[160];		/* "1G of 2M hugepages on node 0" */
	unsigned int nregions;
	uint64_t mem_bytes, mem_page;
	int plan_rc;			/* spapr_dma_plan_make() under the limit */
	struct spapr_dma_plan plan;
	uint64_t locked_needed;		/* locked_vm with no limit; 0 if no plan */
	unsigned int nfind;
	struct info_finding find[INFO_MAX_FIND];
};

/* Copy a string, truncating, always terminated (no -Wformat-truncation). */
static inline void info_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* info_read.c */
void info_note(struct info_machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int info_read_machine(const char *sysroot, struct info_machine *m);
/* Groups, their viability and vfio-pci use, from devs[]. */
void info_groups_from_devs(struct info_machine *m);

/* info_model.c */
int info_model_machine(const struct info_opts *o, struct info_machine *m,
		       char *err, size_t errlen);

/* info_doctor.c */
void info_make_report(const struct info_opts *o, const struct info_machine *m,
		      struct info_report *r);

/* info_print.c */
void info_print_human(const struct info_opts *o, const struct info_machine *m,
		      const struct info_report *r);
void info_print_json(const struct info_opts *o, const struct info_machine *m,
		     const struct info_report *r);
const char *info_size(uint64_t b, char *buf, size_t len);
/* Sizes given on the command line or read from the sysroot are at most the
 * ppc64 user address space (4 PiB), so that sums and roundings of them never
 * wrap. */
#define INFO_MAX_BYTES (UINT64_C(1) << 52)
/* spapr_parse_size() syntax, 1 .. INFO_MAX_BYTES; 0 for anything else. */
uint64_t info_parse_size(const char *s);

/* Probe GET_INFO of every group with a vfio-pci device on @be (either
 * backend); fills groups[].probed/probe_err/info. info_read.c. */
void info_probe_groups(struct spapr_backend *be, struct info_machine *m);

#endif /* SPAPR_INFO_H */
