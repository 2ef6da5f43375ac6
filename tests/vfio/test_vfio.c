/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vfio.c - the vfio backend (lib/dma/vfio).
 *
 * test_vfio errors   needs nothing: device files missing (-ENOENT), ioctls
 *                    on fds that are not VFIO (-ENOTTY), bad handles
 *                    (-EBADF), fd adoption.
 * test_vfio device   needs a POWER host with /dev/vfio and a group bound to
 *                    vfio-pci, named by SPAPR_VFIO_TEST_GROUP=<n>; skipped
 *                    (exit 77, reason printed) otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spapr_vfio.h"
#include "test_util.h"

static char dev_dir[] = "/tmp/test_vfio.XXXXXX";
static char fake_vfio[sizeof(dev_dir) + 8];

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Every op on @h returns @want; NULL arguments never reach memory here. */
static void all_ops_return(struct spapr_backend *be, int h, int want)
{
	const struct spapr_backend_ops *o = be->ops;
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg) };
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr) };
	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof(rm) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct vfio_eeh_pe_op eeh = { .argsz = sizeof(eeh) };
	uint32_t flags = 0xdead;

	T_ERR(o->group_get_status(be, h, &flags), want);
	T_EQU(flags, 0xdead);
	T_ERR(o->group_set_container(be, h, 3), want);
	T_ERR(o->group_unset_container(be, h), want);
	T_ERR(o->check_extension(be, h, VFIO_SPAPR_TCE_v2_IOMMU), want);
	T_ERR(o->set_iommu(be, h, VFIO_SPAPR_TCE_v2_IOMMU), want);
	T_ERR(o->get_info(be, h, &info), want);
	T_ERR(o->register_memory(be, h, &reg), want);
	T_ERR(o->unregister_memory(be, h, &reg), want);
	T_ERR(o->tce_create(be, h, &cr), want);
	T_ERR(o->tce_remove(be, h, &rm), want);
	T_ERR(o->map_dma(be, h, &map), want);
	T_ERR(o->unmap_dma(be, h, &unmap), want);
	T_ERR(o->enable(be, h), want);
	T_ERR(o->disable(be, h), want);
	T_ERR(o->eeh_pe_op(be, h, &eeh), want);
}

static void test_create(void)
{
	struct spapr_backend *be = spapr_vfio_backend_create();
	char long_dir[PATH_MAX + 10];

	T_CHECK(be != NULL);
	if (be == NULL)
		return;
	T_CHECK(strcmp(be->name, "vfio") == 0);
	T_CHECK(be->ops->container_open && be->ops->eeh_pe_op);
	spapr_vfio_backend_destroy(be);
	spapr_vfio_backend_destroy(NULL);
	memset(long_dir, 'a', sizeof(long_dir) - 1);
	long_dir[sizeof(long_dir) - 1] = '\0';
	errno = 0;
	T_CHECK(spapr_vfio_backend_create_at(long_dir) == NULL);
	T_EQ(errno, ENAMETOOLONG);
}

/* No device files: opens fail with -ENOENT and leave no fd behind. */
static void test_missing_device_files(void)
{
	struct spapr_backend *be = spapr_vfio_backend_create_at(dev_dir);
	int before = dup(0);

	close(before);
	T_ERR(be->ops->container_open(be), -ENOENT);
	T_ERR(be->ops->group_open(be, 0), -ENOENT);
	T_ERR(be->ops->group_open(be, 12345), -ENOENT);
	T_ERR(be->ops->group_open(be, -1), -ENOENT);
	{
		int after = dup(0);	/* lowest free fd is unchanged */

		T_EQ(after, before);
		close(after);
	}
	spapr_vfio_backend_destroy(be);
}

/* On this machine /dev/vfio normally does not exist either. */
static void test_real_dev_dir(void)
{
	struct spapr_backend *be = spapr_vfio_backend_create();
	int fd;

	if (access("/dev/vfio/vfio", F_OK) == 0) {
		printf("  (/dev/vfio/vfio exists: checking it opens)\n");
		fd = be->ops->container_open(be);
		T_CHECK(fd >= 0 || fd == -EACCES);
		if (fd >= 0)
			T_ERR(be->ops->close(be, fd), 0);
	} else {
		T_ERR(be->ops->container_open(be), -ENOENT);
	}
	spapr_vfio_backend_destroy(be);
}

/* A regular file opens but is not VFIO: every ioctl gives -ENOTTY, which
 * shows the arguments reach the kernel and its errno comes back. */
static void test_not_a_vfio_file(void)
{
	struct spapr_backend *be = spapr_vfio_backend_create_at(dev_dir);
	int fd;

	close(open(fake_vfio, O_CREAT | O_WRONLY, 0600));
	fd = be->ops->container_open(be);
	T_CHECK(fd >= 0);
	if (fd >= 0) {
		T_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		T_CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
		all_ops_return(be, fd, -ENOTTY);
		T_ERR(be->ops->close(be, fd), 0);
		T_CHECK(!fd_open(fd));
	}
	unlink(fake_vfio);
	spapr_vfio_backend_destroy(be);
}

static void test_bad_handles(void)
{
	struct spapr_backend *be = spapr_vfio_backend_create_at(dev_dir);
	int closed = dup(0);

	close(closed);
	all_ops_return(be, -1, -EBADF);
	all_ops_return(be, closed, -EBADF);
	T_ERR(be->ops->close(be, -1), -EBADF);
	T_ERR(be->ops->close(be, closed), -EBADF);
	spapr_vfio_backend_destroy(be);
}

/* Adopted fds stay open on ops->close(); others are closed. */
static void test_adoption(void)
{
	struct spapr_backend *be = spapr_vfio_backend_create_at(dev_dir);
	int p[2], closed;

	T_ERR(pipe(p), 0);
	closed = dup(0);	/* a number that is free from here on */
	close(closed);
	T_ERR(spapr_vfio_backend_adopt_group(be, p[0]), p[0]);
	T_ERR(spapr_vfio_backend_adopt_group(be, p[0]), -EEXIST);
	T_ERR(spapr_vfio_backend_adopt_container(be, p[1]), p[1]);
	T_ERR(spapr_vfio_backend_adopt_group(be, closed), -EBADF);
	T_ERR(spapr_vfio_backend_adopt_group(be, -1), -EBADF);
	T_EQ(spapr_vfio_backend_is_adopted(be, p[0]), 1);
	T_EQ(spapr_vfio_backend_is_adopted(be, 0), 0);

	/* ioctls on an adopted fd go to the kernel like any other. */
	T_ERR(be->ops->group_get_status(be, p[0], NULL), -ENOTTY);
	T_ERR(be->ops->close(be, p[0]), 0);
	T_CHECK(fd_open(p[0]));
	T_EQ(spapr_vfio_backend_is_adopted(be, p[0]), 0);
	/* Once forgotten, the next close is a real one. */
	T_ERR(be->ops->close(be, p[0]), 0);
	T_CHECK(!fd_open(p[0]));
	/* destroy() does not close adopted fds either. */
	spapr_vfio_backend_destroy(be);
	T_CHECK(fd_open(p[1]));
	close(p[1]);
	{
		struct spapr_backend not_vfio = { .ops = NULL, .name = "model" };

		T_ERR(spapr_vfio_backend_adopt_group(&not_vfio, 0), -EINVAL);
		T_ERR(spapr_vfio_backend_is_adopted(&not_vfio, 0), -EINVAL);
		spapr_vfio_backend_destroy(&not_vfio);	/* ignored */
	}
}

static int run_errors(void)
{
	if (mkdtemp(dev_dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(fake_vfio, sizeof(fake_vfio), "%s/vfio", dev_dir);
	T_RUN(test_create);
	T_RUN(test_missing_device_files);
	T_RUN(test_real_dev_dir);
	T_RUN(test_not_a_vfio_file);
	T_RUN(test_bad_handles);
	T_RUN(test_adoption);
	rmdir(dev_dir);
	return t_finish();
}

/* On a POWER host with a vfio-pci group: attach v2 and read GET_INFO. */
static int device_group;

static void test_device_attach(void)
{
	int group_num = device_group;
	struct spapr_backend *be = spapr_vfio_backend_create();
	const struct spapr_backend_ops *o = be->ops;
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	uint32_t flags = 0;
	int c, g;

	c = o->container_open(be);
	T_CHECK(c >= 0);
	g = o->group_open(be, group_num);
	T_CHECK(g >= 0);
	if (c < 0 || g < 0)
		goto out;
	T_EQ(o->check_extension(be, c, VFIO_SPAPR_TCE_v2_IOMMU), 1);
	T_ERR(o->group_get_status(be, g, &flags), 0);
	T_CHECK(flags & VFIO_GROUP_FLAGS_VIABLE);
	T_ERR(o->get_info(be, c, &info), -EINVAL);	/* no driver yet, §3.0 */
	T_ERR(o->group_set_container(be, g, c), 0);
	T_ERR(o->set_iommu(be, c, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	T_ERR(o->get_info(be, c, &info), 0);
	T_CHECK(info.ddw.pgsizes & 0x1000);
	printf("  GET_INFO: flags 0x%x dma32 0x%x/0x%x pgsizes 0x%llx windows %u "
	       "levels %u\n", info.flags, info.dma32_window_start,
	       info.dma32_window_size, (unsigned long long)info.ddw.pgsizes,
	       info.ddw.max_dynamic_windows_supported, info.ddw.levels);
	T_ERR(o->group_unset_container(be, g), 0);
out:
	if (g >= 0)
		o->close(be, g);
	if (c >= 0)
		o->close(be, c);
	spapr_vfio_backend_destroy(be);
}

static int run_device(void)
{
	const char *group = getenv("SPAPR_VFIO_TEST_GROUP");

#if !defined(__powerpc64__)
	T_SKIP("needs a POWER host with a VFIO sPAPR TCE IOMMU (this is not ppc64)");
#endif
	if (access("/dev/vfio/vfio", R_OK | W_OK) != 0)
		T_SKIP("needs /dev/vfio/vfio (load vfio_iommu_spapr_tce, vfio-pci)");
	if (group == NULL)
		T_SKIP("set SPAPR_VFIO_TEST_GROUP=<n> to a group bound to vfio-pci");
	device_group = atoi(group);
	T_RUN(test_device_attach);
	return t_finish();
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "errors") == 0)
		return run_errors();
	if (argc == 2 && strcmp(argv[1], "device") == 0)
		return run_device();
	fprintf(stderr, "usage: %s errors|device\n", argv[0]);
	return 2;
}
