/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_vfio.c - the vfio backend: struct spapr_backend_ops as plain system
 * calls on real fds (see spapr_vfio.h). Nothing here interprets the
 * arguments: the kernel does, so behaviour is exactly the kernel's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "spapr_vfio.h"

#define VFIO_DEV_DIR "/dev/vfio"

struct spapr_vfio {
	struct spapr_backend be;	/* first: the public part */
	char dev_dir[PATH_MAX];
	pthread_mutex_t lock;		/* protects adopted[] */
	int *adopted;			/* fds we must not close */
	size_t nadopted, cap;
};

static const struct spapr_backend_ops vfio_ops;

static struct spapr_vfio *to_vfio(struct spapr_backend *be)
{
	if (be == NULL || be->ops != &vfio_ops)
		return NULL;
	return (struct spapr_vfio *)be;
}

/* An ioctl's result as the backend convention: value or -errno. */
static int result(int r)
{
	return r < 0 ? -errno : r;
}

/* ---------------------------------------------------------------------- */
/* Files.                                                                 */
/* ---------------------------------------------------------------------- */

static int open_dev(struct spapr_vfio *v, const char *leaf)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/%s", v->dev_dir, leaf);
	return result(open(path, O_RDWR | O_CLOEXEC));
}

static int vfio_container_open(struct spapr_backend *be)
{
	return open_dev(to_vfio(be), "vfio");
}

static int vfio_group_open(struct spapr_backend *be, int group_num)
{
	char leaf[16];

	/* The kernel names group files by number; a negative number names no
	 * file, which open() reports as ENOENT like any missing group. */
	snprintf(leaf, sizeof(leaf), "%d", group_num);
	return open_dev(to_vfio(be), leaf);
}

/* Remove @fd from the adoption list; true if it was there. */
static bool forget_adopted(struct spapr_vfio *v, int fd)
{
	bool found = false;

	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < v->nadopted; i++) {
		if (v->adopted[i] == fd) {
			v->adopted[i] = v->adopted[--v->nadopted];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return found;
}

static int vfio_close(struct spapr_backend *be, int handle)
{
	if (forget_adopted(to_vfio(be), handle))
		return 0;
	return result(close(handle));
}

/* ---------------------------------------------------------------------- */
/* Group ioctls.                                                          */
/* ---------------------------------------------------------------------- */

static int vfio_group_get_status(struct spapr_backend *be, int group,
				 uint32_t *flags)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int r;

	(void)be;
	/* A NULL @flags goes to the kernel as NULL: its copy fails (-EFAULT)
	 * after its own fd checks, as with every other op. */
	r = result(ioctl(group, VFIO_GROUP_GET_STATUS, flags ? &st : NULL));
	if (r == 0)
		*flags = st.flags;
	return r;
}

static int vfio_group_set_container(struct spapr_backend *be, int group,
				    int container)
{
	(void)be;
	return result(ioctl(group, VFIO_GROUP_SET_CONTAINER, &container));
}

static int vfio_group_unset_container(struct spapr_backend *be, int group)
{
	(void)be;
	return result(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
}

/* ---------------------------------------------------------------------- */
/* Container ioctls.                                                      */
/* ---------------------------------------------------------------------- */

static int vfio_check_extension(struct spapr_backend *be, int container,
				uint32_t ext)
{
	(void)be;
	return result(ioctl(container, VFIO_CHECK_EXTENSION, (unsigned long)ext));
}

static int vfio_set_iommu(struct spapr_backend *be, int container, uint32_t type)
{
	(void)be;
	return result(ioctl(container, VFIO_SET_IOMMU, (unsigned long)type));
}

static int vfio_get_info(struct spapr_backend *be, int container,
			 struct vfio_iommu_spapr_tce_info *info)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, info));
}

static int vfio_register_memory(struct spapr_backend *be, int container,
				struct vfio_iommu_spapr_register_memory *reg)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, reg));
}

static int vfio_unregister_memory(struct spapr_backend *be, int container,
				  struct vfio_iommu_spapr_register_memory *reg)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, reg));
}

static int vfio_tce_create(struct spapr_backend *be, int container,
			   struct vfio_iommu_spapr_tce_create *create)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_SPAPR_TCE_CREATE, create));
}

static int vfio_tce_remove(struct spapr_backend *be, int container,
			   struct vfio_iommu_spapr_tce_remove *remove)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_SPAPR_TCE_REMOVE, remove));
}

static int vfio_map_dma(struct spapr_backend *be, int container,
			struct vfio_iommu_type1_dma_map *map)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_MAP_DMA, map));
}

static int vfio_unmap_dma(struct spapr_backend *be, int container,
			  struct vfio_iommu_type1_dma_unmap *unmap)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_UNMAP_DMA, unmap));
}

static int vfio_enable(struct spapr_backend *be, int container)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_ENABLE));
}

static int vfio_disable(struct spapr_backend *be, int container)
{
	(void)be;
	return result(ioctl(container, VFIO_IOMMU_DISABLE));
}

static int vfio_eeh_pe_op(struct spapr_backend *be, int container,
			  struct vfio_eeh_pe_op *op)
{
	(void)be;
	return result(ioctl(container, VFIO_EEH_PE_OP, op));
}

/* ---------------------------------------------------------------------- */
/* The host.                                                              */
/* ---------------------------------------------------------------------- */

/*
 * The machine's kind from the "platform" line of /proc/cpuinfo: powerpc's
 * show_cpuinfo (arch/powerpc/kernel/setup-common.c) prints ppc_md.name,
 * "PowerNV" on bare metal and "pSeries" in an LPAR or a KVM guest; DPDK's
 * bus_pci reads the same line. Any other machine, or no such file, is
 * UNKNOWN: not a host whose sPAPR TCE IOMMU we know. A file that exists but
 * cannot be opened (ENOMEM, EMFILE, ...) is an error, not an answer.
 */
static int read_cpuinfo_platform(enum spapr_backend_platform *kind)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];

	*kind = SPAPR_BACKEND_PLATFORM_UNKNOWN;
	if (f == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "platform", 8) != 0)
			continue;
		if (strstr(line, "PowerNV"))
			*kind = SPAPR_BACKEND_PLATFORM_POWERNV;
		else if (strstr(line, "pSeries"))
			*kind = SPAPR_BACKEND_PLATFORM_PSERIES;
	}
	fclose(f);
	return 0;
}

/* The kind and the page size are all a real machine tells: the table
 * limits and the hypervisor's DDW block stay 0 (the kernel's defaults). */
static int vfio_host_info(struct spapr_backend *be, struct spapr_backend_host *out)
{
	long page = sysconf(_SC_PAGESIZE);

	(void)be;
	if (out == NULL)
		return -EFAULT;
	memset(out, 0, sizeof(*out));
	if (page > 0)
		out->system_page_shift = (unsigned int)__builtin_ctzl((unsigned long)page);
	return read_cpuinfo_platform(&out->platform);
}

/* VmLck of /proc/self/status: the kernel prints mm->locked_vm in kB. */
static int vfio_locked_bytes(struct spapr_backend *be, uint64_t *bytes)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long kb;
	char line[256];
	int rc = -ENODATA;

	(void)be;
	if (bytes == NULL)
		return -EFAULT;
	if (f == NULL)
		return -errno;
	while (rc && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %llu kB", &kb) == 1) {
			*bytes = (uint64_t)kb << 10;
			rc = 0;
		}
	fclose(f);
	return rc;
}

static const struct spapr_backend_ops vfio_ops = {
	.container_open = vfio_container_open,
	.group_open = vfio_group_open,
	.close = vfio_close,
	.group_get_status = vfio_group_get_status,
	.group_set_container = vfio_group_set_container,
	.group_unset_container = vfio_group_unset_container,
	.check_extension = vfio_check_extension,
	.set_iommu = vfio_set_iommu,
	.get_info = vfio_get_info,
	.register_memory = vfio_register_memory,
	.unregister_memory = vfio_unregister_memory,
	.tce_create = vfio_tce_create,
	.tce_remove = vfio_tce_remove,
	.map_dma = vfio_map_dma,
	.unmap_dma = vfio_unmap_dma,
	.enable = vfio_enable,
	.disable = vfio_disable,
	.eeh_pe_op = vfio_eeh_pe_op,
	.host_info = vfio_host_info,
	.locked_bytes = vfio_locked_bytes,
};

/* ---------------------------------------------------------------------- */
/* Life cycle and adoption.                                               */
/* ---------------------------------------------------------------------- */

struct spapr_backend *spapr_vfio_backend_create_at(const char *dev_dir)
{
	struct spapr_vfio *v;

	if (dev_dir == NULL)
		dev_dir = VFIO_DEV_DIR;
	if (strlen(dev_dir) >= sizeof(v->dev_dir)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	strcpy(v->dev_dir, dev_dir);
	pthread_mutex_init(&v->lock, NULL);
	v->be.ops = &vfio_ops;
	v->be.name = "vfio";
	return &v->be;
}

struct spapr_backend *spapr_vfio_backend_create(void)
{
	return spapr_vfio_backend_create_at(VFIO_DEV_DIR);
}

void spapr_vfio_backend_destroy(struct spapr_backend *be)
{
	struct spapr_vfio *v = to_vfio(be);

	if (v == NULL)
		return;
	pthread_mutex_destroy(&v->lock);
	free(v->adopted);
	free(v);
}

static int adopt_locked(struct spapr_vfio *v, int fd)
{
	for (size_t i = 0; i < v->nadopted; i++)
		if (v->adopted[i] == fd)
			return -EEXIST;
	if (v->nadopted == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		int *grown = realloc(v->adopted, cap * sizeof(*grown));

		if (grown == NULL)
			return -ENOMEM;
		v->adopted = grown;
		v->cap = cap;
	}
	v->adopted[v->nadopted++] = fd;
	return fd;
}

static int adopt(struct spapr_backend *be, int fd)
{
	struct spapr_vfio *v = to_vfio(be);
	int ret;

	if (v == NULL)
		return -EINVAL;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	pthread_mutex_lock(&v->lock);
	ret = adopt_locked(v, fd);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

int spapr_vfio_backend_adopt_group(struct spapr_backend *be, int fd)
{
	return adopt(be, fd);
}

int spapr_vfio_backend_adopt_container(struct spapr_backend *be, int fd)
{
	return adopt(be, fd);
}

int spapr_vfio_backend_is_adopted(struct spapr_backend *be, int handle)
{
	struct spapr_vfio *v = to_vfio(be);
	int found = 0;

	if (v == NULL)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < v->nadopted && !found; i++)
		found = v->adopted[i] == handle;
	pthread_mutex_unlock(&v->lock);
	return found;
}
