/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_vfio.h - the real backend: VFIO sPAPR TCE ioctls on real fds.
 *
 * Every operation of struct spapr_backend_ops is the matching system call
 * on a real file descriptor, with nothing added: handles are the fds
 * themselves, arguments go to the kernel untouched (so argsz handling, errno
 * order and a NULL argument's -EFAULT are the kernel's own), and a failure
 * returns -errno. It compiles on every architecture; off POWER, or without
 * /dev/vfio, the calls simply fail the way the kernel makes them fail.
 *
 *   container_open  open("<dev_dir>/vfio", O_RDWR | O_CLOEXEC)
 *   group_open(n)   open("<dev_dir>/<n>",  O_RDWR | O_CLOEXEC)
 *   close(h)        close(h), unless h was adopted (see below)
 *   the rest        ioctl(h, VFIO_..., arg)
 *
 * fd ownership: a handle the backend opened belongs to the caller, who ends
 * it with ops->close(). destroy() closes nothing. A caller may also pass fds
 * it opened itself as handles; ops->close() closes those as well. To use an
 * fd that someone else keeps owning - e.g. a group fd from DPDK's
 * rte_vfio_container_group_bind() or DPDK's container fd, which DPDK closes
 * itself - adopt it first: ops->close() on an adopted handle only forgets
 * the adoption and leaves the fd open. Call it before the owner closes the
 * fd: the kernel reuses fd numbers, and a stale adoption would keep a later
 * fd of the same number from being closed.
 *
 * Thread-safety: the ioctls are serialised by the kernel; the adoption list
 * has its own lock.
 */
#ifndef SPAPR_VFIO_H
#define SPAPR_VFIO_H

#include "spapr_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A backend on /dev/vfio. NULL on failure (errno set). */
struct spapr_backend *spapr_vfio_backend_create(void);

/**
 * A backend whose device files live in @dev_dir instead of /dev/vfio
 * (tests; NULL means /dev/vfio). NULL on failure (errno set: ENAMETOOLONG
 * for a too long path, ENOMEM).
 */
struct spapr_backend *spapr_vfio_backend_create_at(const char *dev_dir);

/** Free the backend. Open handles are not closed (see fd ownership). */
void spapr_vfio_backend_destroy(struct spapr_backend *be);

/**
 * Use the already-open group fd @fd as a handle without taking ownership:
 * ops->close(be, fd) will not close it. Returns @fd, -EBADF if @fd is not
 * open, -EINVAL if @be is not a vfio backend, -EEXIST if already adopted,
 * -ENOMEM. The fd is not checked to be a VFIO group: the first ioctl tells.
 */
int spapr_vfio_backend_adopt_group(struct spapr_backend *be, int fd);

/** The same for a container fd someone else owns (e.g. DPDK's). */
int spapr_vfio_backend_adopt_container(struct spapr_backend *be, int fd);

/** 1 if @handle is adopted (not ours to close), 0 if not, -EINVAL if @be is
 *  not a vfio backend. */
int spapr_vfio_backend_is_adopted(struct spapr_backend *be, int handle);

#ifdef __cplusplus
}
#endif

#endif /* SPAPR_VFIO_H */
