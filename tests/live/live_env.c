/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * live_env.c - backend set-up, counting wrapper, locked memory, real memory
 * and memlock control for test_dma_live (see live_env.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "live_env.h"
#include "spapr_vfio.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

/* ---- the counting backend ---- */

static struct live_count_be *cbe(struct spapr_backend *be)
{
	return (struct live_count_be *)be;
}

static int counted(struct spapr_backend *be, unsigned int op, int rc)
{
	cbe(be)->n[op]++;
	cbe(be)->last_rc[op] = rc;
	return rc;
}

#define INNER(be) (cbe(be)->inner)
#define IOPS(be) (cbe(be)->inner->ops)

static int c_container_open(struct spapr_backend *be)
{
	return counted(be, SPAPR_DMA_OP_OPEN, IOPS(be)->container_open(INNER(be)));
}

static int c_group_open(struct spapr_backend *be, int n)
{
	return counted(be, SPAPR_DMA_OP_OPEN, IOPS(be)->group_open(INNER(be), n));
}

static int c_close(struct spapr_backend *be, int h)
{
	return counted(be, SPAPR_DMA_OP_CLOSE, IOPS(be)->close(INNER(be), h));
}

static int c_group_get_status(struct spapr_backend *be, int g, uint32_t *flags)
{
	return counted(be, LIVE_OP_OTHER, IOPS(be)->group_get_status(INNER(be), g, flags));
}

static int c_group_set_container(struct spapr_backend *be, int g, int c)
{
	return counted(be, SPAPR_DMA_OP_SET_CONTAINER,
		       IOPS(be)->group_set_container(INNER(be), g, c));
}

static int c_group_unset_container(struct spapr_backend *be, int g)
{
	return counted(be, SPAPR_DMA_OP_UNSET_CONTAINER,
		       IOPS(be)->group_unset_container(INNER(be), g));
}

static int c_check_extension(struct spapr_backend *be, int c, uint32_t ext)
{
	return counted(be, LIVE_OP_OTHER, IOPS(be)->check_extension(INNER(be), c, ext));
}

static int c_set_iommu(struct spapr_backend *be, int c, uint32_t type)
{
	return counted(be, SPAPR_DMA_OP_SET_IOMMU, IOPS(be)->set_iommu(INNER(be), c, type));
}

static int c_get_info(struct spapr_backend *be, int c, struct vfio_iommu_spapr_tce_info *i)
{
	return counted(be, SPAPR_DMA_OP_GET_INFO, IOPS(be)->get_info(INNER(be), c, i));
}

static int c_register(struct spapr_backend *be, int c,
		      struct vfio_iommu_spapr_register_memory *r)
{
	return counted(be, SPAPR_DMA_OP_REGISTER, IOPS(be)->register_memory(INNER(be), c, r));
}

static int c_unregister(struct spapr_backend *be, int c,
			struct vfio_iommu_spapr_register_memory *r)
{
	return counted(be, SPAPR_DMA_OP_UNREGISTER,
		       IOPS(be)->unregister_memory(INNER(be), c, r));
}

static int c_create(struct spapr_backend *be, int c, struct vfio_iommu_spapr_tce_create *cr)
{
	int rc = IOPS(be)->tce_create(INNER(be), c, cr);

	if (rc == 0 && cr != NULL)
		cbe(be)->last_create_start = cr->start_addr;
	return counted(be, SPAPR_DMA_OP_CREATE, rc);
}

static int c_remove(struct spapr_backend *be, int c, struct vfio_iommu_spapr_tce_remove *r)
{
	return counted(be, SPAPR_DMA_OP_REMOVE, IOPS(be)->tce_remove(INNER(be), c, r));
}

static int c_map(struct spapr_backend *be, int c, struct vfio_iommu_type1_dma_map *m)
{
	return counted(be, SPAPR_DMA_OP_MAP, IOPS(be)->map_dma(INNER(be), c, m));
}

static int c_unmap(struct spapr_backend *be, int c, struct vfio_iommu_type1_dma_unmap *u)
{
	return counted(be, SPAPR_DMA_OP_UNMAP, IOPS(be)->unmap_dma(INNER(be), c, u));
}

static int c_enable(struct spapr_backend *be, int c)
{
	return counted(be, LIVE_OP_OTHER, IOPS(be)->enable(INNER(be), c));
}

static int c_disable(struct spapr_backend *be, int c)
{
	return counted(be, LIVE_OP_OTHER, IOPS(be)->disable(INNER(be), c));
}

static int c_eeh(struct spapr_backend *be, int c, struct vfio_eeh_pe_op *op)
{
	return counted(be, LIVE_OP_OTHER, IOPS(be)->eeh_pe_op(INNER(be), c, op));
}

/* Not an ioctl: forwarded, not counted. */
static int c_host_info(struct spapr_backend *be, struct spapr_backend_host *out)
{
	return IOPS(be)->host_info(INNER(be), out);
}

static const struct spapr_backend_ops count_ops = {
	.container_open = c_container_open,
	.group_open = c_group_open,
	.close = c_close,
	.group_get_status = c_group_get_status,
	.group_set_container = c_group_set_container,
	.group_unset_container = c_group_unset_container,
	.check_extension = c_check_extension,
	.set_iommu = c_set_iommu,
	.get_info = c_get_info,
	.register_memory = c_register,
	.unregister_memory = c_unregister,
	.tce_create = c_create,
	.tce_remove = c_remove,
	.map_dma = c_map,
	.unmap_dma = c_unmap,
	.enable = c_enable,
	.disable = c_disable,
	.eeh_pe_op = c_eeh,
	.host_info = c_host_info,
};

void live_count_init(struct live_count_be *cb, struct spapr_backend *inner)
{
	memset(cb, 0, sizeof(*cb));
	cb->be.ops = &count_ops;
	cb->be.name = "counting";
	cb->inner = inner;
}

/* ---- platform ---- */

const char *live_platform_name(const struct live *L)
{
	return L->plat.kind == SPAPR_DMA_PLATFORM_PSERIES ? "pseries" : "powernv";
}

/* ---- set-up ---- */

static int usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --backend model --profile P [--set key=value ...] [--arena ADDR]\n"
		"       %s --backend vfio --group N [--group M] [--arena ADDR]\n", prog, prog);
	return 2;
}

static int setup_model(struct live *L, const char *profile, char **sets, unsigned int nsets)
{
	char err[256] = "";

	if (spapr_model_profile_resolve(profile, &L->prof, err, sizeof(err))) {
		fprintf(stderr, "profile %s: %s\n", profile, err);
		return 2;
	}
	for (unsigned int i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');

		if (eq == NULL)
			return 2;
		*eq = '\0';
		if (spapr_model_profile_set(&L->prof, sets[i], eq + 1, err, sizeof(err))) {
			fprintf(stderr, "--set %s: %s\n", sets[i], err);
			return 2;
		}
	}
	L->m = spapr_model_create(&L->prof);
	if (L->m == NULL) {
		printf("@@ X cannot create the host model: %s\n", strerror(errno));
		return 77;
	}
	L->inner = spapr_model_backend(L->m);
	if (spapr_dma_platform_from_backend(L->inner, &L->plat) != 0) {
		printf("@@ X the host model reports no sPAPR platform\n");
		return 77;
	}
	L->page_shift = L->plat.system_page_shift;
	for (unsigned int g = 0; g < L->prof.groups && g < 2; g++)
		L->groups[L->ngroups++] = (int)g;
	return 0;
}

static int setup_vfio(struct live *L)
{
	if (L->ngroups == 0) {
		printf("@@ X no --group given: nothing to run on\n");
		return 77;
	}
	if (access("/dev/vfio/vfio", R_OK | W_OK) != 0) {
		printf("@@ X /dev/vfio/vfio: %s (needs vfio_iommu_spapr_tce)\n", strerror(errno));
		return 77;
	}
	L->inner = spapr_vfio_backend_create();
	if (L->inner == NULL) {
		printf("@@ X cannot create the vfio backend: %s\n", strerror(errno));
		return 77;
	}
	/* The kind from /proc/cpuinfo "platform", the page size from sysconf
	 * (the vfio backend's host_info); the rest the kernel's defaults. */
	if (spapr_dma_platform_from_backend(L->inner, &L->plat) != 0) {
		printf("@@ X /proc/cpuinfo names neither PowerNV nor pSeries\n");
		spapr_vfio_backend_destroy(L->inner);
		L->inner = NULL;
		return 77;
	}
	L->page_shift = L->plat.system_page_shift;
	return 0;
}

static bool reserve_at(struct live *L, uint64_t base)
{
	void *p = mmap((void *)(uintptr_t)base, L->arena_len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return false;
	if ((uint64_t)(uintptr_t)p != base) {
		munmap(p, L->arena_len);	/* pre-4.17 kernel ignored the flag */
		return false;
	}
	L->arena = base;
	return true;
}

/*
 * Reserve 256 MiB at the lowest free 1 GiB boundary from 1 GiB up (low
 * addresses keep a 1:1 window, which spans [0, top), small), or exactly at
 * @want (--arena: the model side takes the guest's base so that both plan
 * the same windows; the guest's brk may have taken 1 GiB).
 */
static int arena_reserve(struct live *L, uint64_t want)
{
	L->arena_len = 256ull << 20;
	if (want) {
		if (reserve_at(L, want))
			return 0;
		printf("@@ X --arena 0x%llx: 256 MiB not free there\n", (unsigned long long)want);
		return 77;
	}
	for (uint64_t base = 1ull << 30; base <= 4ull << 30; base += 1ull << 30)
		if (reserve_at(L, base))
			return 0;
	printf("@@ X no free 256 MiB at 1..4 GiB for the test memory\n");
	return 77;
}

int live_setup(struct live *L, int argc, char **argv)
{
	const char *backend = NULL, *profile = NULL;
	char *sets[16];
	unsigned int nsets = 0;
	uint64_t arena = 0;
	int rc;

	memset(L, 0, sizeof(*L));
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return usage(argv[0]);
		if (strcmp(a, "--backend") == 0)
			backend = v;
		else if (strcmp(a, "--profile") == 0)
			profile = v;
		else if (strcmp(a, "--set") == 0 && nsets < 16)
			sets[nsets++] = argv[i + 1];
		else if (strcmp(a, "--arena") == 0)
			arena = strtoull(v, NULL, 0) & ~((1ull << 21) - 1);
		else if (strcmp(a, "--group") == 0 && L->ngroups < LIVE_MAX_GROUPS)
			L->groups[L->ngroups++] = atoi(v);
		else
			return usage(argv[0]);
	}
	if (backend == NULL || (strcmp(backend, "model") == 0) != (profile != NULL))
		return usage(argv[0]);
	L->model = strcmp(backend, "model") == 0;
	if (!L->model && strcmp(backend, "vfio") != 0)
		return usage(argv[0]);
	rc = L->model ? setup_model(L, profile, sets, nsets) : setup_vfio(L);
	if (rc == 0)
		rc = arena_reserve(L, arena);
	if (rc == 0)
		live_count_init(&L->cb, L->inner);
	return rc;
}

void live_teardown(struct live *L)
{
	if (L->arena)
		munmap((void *)(uintptr_t)L->arena, L->arena_len);
	if (L->m)
		spapr_model_destroy(L->m);
	else if (L->inner)
		spapr_vfio_backend_destroy(L->inner);
}

/* ---- locked memory ---- */

static int64_t vmlck_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : (int64_t)kb * 1024;
}

int64_t live_locked(struct live *L)
{
	struct spapr_model_mm_info mi;

	if (!L->model)
		return vmlck_bytes();
	if (spapr_model_mm_info(L->m, 0, &mi))
		return -1;
	return (int64_t)(mi.locked_vm_pages << L->prof.system_page_shift);
}

/* ---- memory ---- */

static void *map_at(uint64_t va, uint64_t len, bool huge)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;

	if (huge)
		flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
	return mmap((void *)(uintptr_t)va, len, PROT_READ | PROT_WRITE, flags, -1, 0);
}

/* Back to PROT_NONE: the range stays ours (no other mapping lands there). */
static void reserve_again(uint64_t va, uint64_t len)
{
	mmap((void *)(uintptr_t)va, len, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

int live_mem_map(struct live *L, uint64_t off, uint64_t len, bool huge,
		 struct spapr_dma_mem_region *r)
{
	uint64_t va = L->arena + off;
	unsigned int shift = huge ? 21 : L->page_shift;
	void *p;

	if (off + len > L->arena_len)
		return -ERANGE;
	p = map_at(va, len, huge);
	if (p == MAP_FAILED) {
		int e = errno;

		reserve_again(va, len);
		return -e;
	}
	/* Touch every page: DMA memory is memory the process uses. A hugetlb
	 * fault that finds no free page kills with SIGBUS, so the suite
	 * reserves the pages first (the mmap already checked the pool). */
	memset(p, 0x5a, len);
	memset(r, 0, sizeof(*r));
	r->va = va;
	r->len = len;
	r->page_shift = shift;
	r->numa_node = -1;
	if (L->model) {
		unsigned int mshift = huge ? 21 : L->prof.system_page_shift;
		int rc = spapr_model_mm_map(L->m, 0, va, len, mshift,
					    huge ? SPAPR_MODEL_VMA_HUGETLB : 0, p);

		if (rc) {
			reserve_again(va, len);
			return rc;
		}
		r->page_shift = mshift;
		spapr_model_mm_va_to_pa(L->m, 0, va, &r->pa);
	}
	return 0;
}

void live_mem_unmap(struct live *L, const struct spapr_dma_mem_region *r)
{
	if (L->model)
		spapr_model_mm_unmap(L->m, 0, r->va, r->len);
	reserve_again(r->va, r->len);
}

/* ---- memlock ---- */

/* CAP_IPC_LOCK in or out of the effective set (capget/capset, no libcap). */
static int cap_ipc_lock_effective(bool on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return -errno;
	if (on)
		d[CAP_TO_INDEX(CAP_IPC_LOCK)].effective |= CAP_TO_MASK(CAP_IPC_LOCK);
	else
		d[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	return syscall(SYS_capset, &h, d) == 0 ? 0 : -errno;
}

static struct rlimit saved_rl;

int live_memlock_limit(struct live *L, uint64_t limit)
{
	struct rlimit rl;
	int rc;

	if (L->model)
		return spapr_model_mm_set_memlock(L->m, 0, limit, false);
	if (getrlimit(RLIMIT_MEMLOCK, &saved_rl) != 0)
		return -errno;
	/* The soft limit is what account_locked_vm() checks. The hard limit
	 * rises only if it is below (needs CAP_SYS_RESOURCE, e.g. a guest's
	 * 8 MiB default); lowering it back in live_memlock_restore() is free. */
	rl = saved_rl;
	rl.rlim_cur = limit;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < limit)
		rl.rlim_max = limit;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return -errno;
	rc = cap_ipc_lock_effective(false);
	if (rc)
		setrlimit(RLIMIT_MEMLOCK, &saved_rl);
	return rc;
}

int live_memlock_restore(struct live *L)
{
	int rc;

	if (L->model)
		return spapr_model_mm_set_memlock(L->m, 0, L->prof.memlock_limit,
						  L->prof.cap_ipc_lock);
	rc = cap_ipc_lock_effective(true);
	if (setrlimit(RLIMIT_MEMLOCK, &saved_rl) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* ---- per-case checks ---- */

void live_check_at(struct live_case *c, bool ok, const char *file, int line,
		   const char *fmt, ...)
{
	va_list ap;
	const char *base = strrchr(file, '/');

	c->checks++;
	if (ok)
		return;
	if (c->failed++ == 0) {
		int n = snprintf(c->first, sizeof(c->first), "%s:%d: ", base ? base + 1 : file,
				 line);

		va_start(ap, fmt);
		if (n > 0 && (size_t)n < sizeof(c->first))
			vsnprintf(c->first + n, sizeof(c->first) - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

void live_case_end(struct live *L, struct live_case *c)
{
	if (c->failed) {
		L->fail++;
		printf("@@ L %s FAIL %u/%u checks failed; first: %s\n", c->name, c->failed,
		       c->checks, c->first);
	} else if (c->skip[0]) {
		L->skip++;
		printf("@@ L %s skip %s\n", c->name, c->skip);
	} else {
		L->pass++;
		printf("@@ L %s ok %u checks; %s\n", c->name, c->checks, c->info);
	}
	fflush(stdout);
}
