/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sc_ops.c - backend operations that record what they returned.
 *
 * Every wrapper fills the kernel's UAPI struct exactly like a library would,
 * calls the backend op and prints one record. Output structs are pre-filled
 * with a pattern (0x5a bytes) so that fields the kernel does not write back
 * (short argsz, failed calls, UNMAP's size) show up identically on both
 * sides only if both leave them alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "sc.h"

#define PATTERN 0x5a

const char *sc_errno_name(int err, char *buf, size_t len)
{
	static const struct { int e; const char *n; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
		{ ENOTTY, "ENOTTY" }, { ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EUCLEAN, "EUCLEAN" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == err)
			return names[i].n;
	snprintf(buf, len, "E%d", err);
	return buf;
}

/* One record line: "@@ S <case> <step> <op> rc=<rc> <fields>". */
static void record(struct sc_ctx *x, const char *op, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void record(struct sc_ctx *x, const char *op, int rc, const char *fmt, ...)
{
	char eb[16];
	va_list ap;

	fprintf(x->out, "@@ S %s %d %s rc=", x->case_name, ++x->step, op);
	if (rc < 0)
		fprintf(x->out, "-%s", sc_errno_name(-rc, eb, sizeof(eb)));
	else
		fprintf(x->out, "%d", rc);
	if (fmt != NULL && fmt[0] != '\0') {
		fputc(' ', x->out);
		va_start(ap, fmt);
		vfprintf(x->out, fmt, ap);
		va_end(ap);
	}
	fputc('\n', x->out);
	fflush(x->out);
}

/* Opening returns a handle whose value differs between backends: record
 * only whether it worked. */
static int record_open(struct sc_ctx *x, const char *op, int rc)
{
	record(x, op, rc < 0 ? rc : 0, NULL);
	return rc;
}

int sc_op_container_open(struct sc_ctx *x)
{
	int h = x->be->ops->container_open(x->be);

	record_open(x, "container_open", h);
	return h;
}

int sc_op_group_open(struct sc_ctx *x, int which)
{
	int num = x->group_num[which];
	int h = num < 0 ? -ENODEV : x->be->ops->group_open(x->be, num);

	record_open(x, which ? "group_open1" : "group_open0", h);
	return h;
}

int sc_op_close(struct sc_ctx *x, int *handle)
{
	int rc = 0;

	if (*handle < 0)
		return 0;
	rc = x->be->ops->close(x->be, *handle);
	record(x, "close", rc, NULL);
	*handle = -1;
	return rc;
}

int sc_op_group_status(struct sc_ctx *x, int group)
{
	uint32_t flags = 0x5a5a5a5a;
	int rc = x->be->ops->group_get_status(x->be, group, &flags);

	record(x, "group_status", rc, "flags=0x%" PRIx32, flags);
	return rc;
}

int sc_op_set_container(struct sc_ctx *x, int group, int container)
{
	int rc = x->be->ops->group_set_container(x->be, group, container);

	record(x, "set_container", rc, NULL);
	return rc;
}

int sc_op_unset_container(struct sc_ctx *x, int group)
{
	int rc = x->be->ops->group_unset_container(x->be, group);

	record(x, "unset_container", rc, NULL);
	return rc;
}

int sc_op_check_extension(struct sc_ctx *x, int container, uint32_t ext)
{
	int rc = x->be->ops->check_extension(x->be, container, ext);

	record(x, "check_extension", rc, "ext=%" PRIu32, ext);
	return rc;
}

int sc_op_set_iommu(struct sc_ctx *x, int container, uint32_t type)
{
	int rc = x->be->ops->set_iommu(x->be, container, type);

	record(x, "set_iommu", rc, "type=%" PRIu32, type);
	return rc;
}

int sc_op_get_info(struct sc_ctx *x, int container, uint32_t argsz)
{
	struct vfio_iommu_spapr_tce_info info;
	int rc;

	memset(&info, PATTERN, sizeof(info));
	info.argsz = argsz;
	rc = x->be->ops->get_info(x->be, container, &info);
	record(x, "get_info", rc,
	       "argsz=%" PRIu32 " flags=0x%" PRIx32 " dma32=0x%" PRIx32 "/0x%" PRIx32
	       " pgsizes=0x%" PRIx64 " maxwin=0x%" PRIx32 " levels=0x%" PRIx32,
	       info.argsz, info.flags, info.dma32_window_start,
	       info.dma32_window_size, (uint64_t)info.ddw.pgsizes,
	       info.ddw.max_dynamic_windows_supported, info.ddw.levels);
	return rc;
}

static void fill_reg(struct vfio_iommu_spapr_register_memory *r, uint64_t vaddr,
		     uint64_t size, uint32_t flags, uint32_t argsz)
{
	memset(r, 0, sizeof(*r));
	r->argsz = argsz;
	r->flags = flags;
	r->vaddr = vaddr;
	r->size = size;
}

int sc_op_register(struct sc_ctx *x, int container, uint64_t vaddr, uint64_t size,
		   uint32_t flags, uint32_t argsz)
{
	struct vfio_iommu_spapr_register_memory r;
	int rc;

	fill_reg(&r, vaddr, size, flags, argsz);
	rc = x->be->ops->register_memory(x->be, container, &r);
	record(x, "register", rc, "va=0x%" PRIx64 " size=0x%" PRIx64, vaddr, size);
	return rc;
}

int sc_op_unregister(struct sc_ctx *x, int container, uint64_t vaddr, uint64_t size,
		     uint32_t flags, uint32_t argsz)
{
	struct vfio_iommu_spapr_register_memory r;
	int rc;

	fill_reg(&r, vaddr, size, flags, argsz);
	rc = x->be->ops->unregister_memory(x->be, container, &r);
	record(x, "unregister", rc, "va=0x%" PRIx64 " size=0x%" PRIx64, vaddr, size);
	return rc;
}

int sc_op_create(struct sc_ctx *x, int container, uint32_t page_shift,
		 uint64_t window_size, uint32_t levels, uint32_t flags, uint32_t argsz)
{
	struct vfio_iommu_spapr_tce_create cr;
	int rc;

	memset(&cr, 0, sizeof(cr));
	cr.argsz = argsz;
	cr.flags = flags;
	cr.page_shift = page_shift;
	cr.window_size = window_size;
	cr.levels = levels;
	cr.start_addr = UINT64_C(0x5a5a5a5a5a5a5a5a);
	rc = x->be->ops->tce_create(x->be, container, &cr);
	if (rc == 0)
		x->start = cr.start_addr;
	record(x, "create", rc, "shift=%" PRIu32 " size=0x%" PRIx64 " levels=%" PRIu32
	       " start=0x%" PRIx64, page_shift, window_size, levels,
	       (uint64_t)cr.start_addr);
	return rc;
}

int sc_op_remove(struct sc_ctx *x, int container, uint64_t start, uint32_t flags,
		 uint32_t argsz)
{
	struct vfio_iommu_spapr_tce_remove rm;
	int rc;

	memset(&rm, 0, sizeof(rm));
	rm.argsz = argsz;
	rm.flags = flags;
	rm.start_addr = start;
	rc = x->be->ops->tce_remove(x->be, container, &rm);
	record(x, "remove", rc, "start=0x%" PRIx64, start);
	return rc;
}

int sc_op_map(struct sc_ctx *x, int container, uint64_t vaddr, uint64_t iova,
	      uint64_t size, uint32_t flags, uint32_t argsz)
{
	struct vfio_iommu_type1_dma_map m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.argsz = argsz;
	m.flags = flags;
	m.vaddr = vaddr;
	m.iova = iova;
	m.size = size;
	rc = x->be->ops->map_dma(x->be, container, &m);
	record(x, "map", rc, "va=0x%" PRIx64 " iova=0x%" PRIx64 " size=0x%" PRIx64
	       " flags=0x%" PRIx32, vaddr, iova, size, flags);
	return rc;
}

int sc_op_unmap(struct sc_ctx *x, int container, uint64_t iova, uint64_t size,
		uint32_t flags, uint32_t argsz)
{
	struct vfio_iommu_type1_dma_unmap u;
	int rc;

	memset(&u, 0, sizeof(u));
	u.argsz = argsz;
	u.flags = flags;
	u.iova = iova;
	u.size = size;
	rc = x->be->ops->unmap_dma(x->be, container, &u);
	/* size_after: spapr never writes the unmapped size back (§3.9). */
	record(x, "unmap", rc, "iova=0x%" PRIx64 " size=0x%" PRIx64
	       " size_after=0x%" PRIx64, iova, size, (uint64_t)u.size);
	return rc;
}

int sc_op_enable(struct sc_ctx *x, int container)
{
	int rc = x->be->ops->enable(x->be, container);

	record(x, "enable", rc, NULL);
	return rc;
}

int sc_op_disable(struct sc_ctx *x, int container)
{
	int rc = x->be->ops->disable(x->be, container);

	record(x, "disable", rc, NULL);
	return rc;
}

int sc_op_eeh(struct sc_ctx *x, int container, uint32_t op)
{
	struct vfio_eeh_pe_op e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.argsz = sizeof(e);
	e.op = op;
	rc = x->be->ops->eeh_pe_op(x->be, container, &e);
	record(x, "eeh_pe_op", rc, "op=%" PRIu32, op);
	return rc;
}

int sc_open(struct sc_ctx *x, uint32_t type)
{
	x->c = sc_op_container_open(x);
	x->g = sc_op_group_open(x, 0);
	if (x->c < 0 || x->g < 0) {
		x->failed_setup = true;
		return -1;
	}
	if (sc_op_set_container(x, x->g, x->c) < 0) {
		x->failed_setup = true;
		return -1;
	}
	if (type != 0 && sc_op_set_iommu(x, x->c, type) < 0) {
		x->failed_setup = true;
		return -1;
	}
	return 0;
}

void sc_close_all(struct sc_ctx *x)
{
	sc_op_close(x, &x->g2);
	sc_op_close(x, &x->g);
	sc_op_close(x, &x->c2);
	sc_op_close(x, &x->c);
}
