/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kops.c - every kernel operation of the engine goes through here: counted
 * per container, and undone in reverse order when a call fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"

static const char *const op_names[SPAPR_DMA_OP_COUNT] = {
	[SPAPR_DMA_OP_OPEN] = "OPEN",
	[SPAPR_DMA_OP_CLOSE] = "CLOSE",
	[SPAPR_DMA_OP_SET_CONTAINER] = "GROUP_SET_CONTAINER",
	[SPAPR_DMA_OP_UNSET_CONTAINER] = "GROUP_UNSET_CONTAINER",
	[SPAPR_DMA_OP_SET_IOMMU] = "SET_IOMMU",
	[SPAPR_DMA_OP_GET_INFO] = "TCE_GET_INFO",
	[SPAPR_DMA_OP_REGISTER] = "REGISTER_MEMORY",
	[SPAPR_DMA_OP_UNREGISTER] = "UNREGISTER_MEMORY",
	[SPAPR_DMA_OP_CREATE] = "TCE_CREATE",
	[SPAPR_DMA_OP_REMOVE] = "TCE_REMOVE",
	[SPAPR_DMA_OP_MAP] = "MAP_DMA",
	[SPAPR_DMA_OP_UNMAP] = "UNMAP_DMA",
};

const char *spapr_dma_op_name(enum spapr_dma_op op)
{
	return (unsigned int)op < SPAPR_DMA_OP_COUNT ? op_names[op] : "?";
}

/*
 * A few sPAPR ioctls fail with a POSITIVE value, and no ioctl the engine
 * issues returns one on success:
 *   - MAP/UNMAP with a misaligned IOVA return 1: iommu_tce_put_param_check()
 *     and iommu_tce_clear_param_check() (arch/powerpc/include/asm/iommu.h)
 *     are built with a logical ||, and tce_iommu_ioctl() returns that value;
 *   - REGISTER whose pinning stops after k > 0 pages returns k: gup returns
 *     the count it pinned and mm_iommu_do_alloc() (iommu_api.c) only turns 0
 *     into -EFAULT; everything is undone all the same.
 * Turn them into the -errno the rest of the engine (and its callers) expect.
 */
static int kernel_rc(enum spapr_dma_op op, int rc)
{
	if (rc <= 0)
		return rc;
	return op == SPAPR_DMA_OP_REGISTER ? -EFAULT : -EINVAL;
}

static int count(struct spapr_dma_container *c, enum spapr_dma_op op, int rc)
{
	c->st.ops[op]++;
	if (op != SPAPR_DMA_OP_OPEN && op != SPAPR_DMA_OP_CLOSE)
		c->st.kernel_ops++;
	return kernel_rc(op, rc);
}

int k_register(struct spapr_dma_container *c, uint64_t va, uint64_t len)
{
	struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r), .vaddr = va, .size = len };

	return count(c, SPAPR_DMA_OP_REGISTER, c->be->ops->register_memory(c->be, c->handle, &r));
}

int k_unregister(struct spapr_dma_container *c, uint64_t va, uint64_t len)
{
	struct vfio_iommu_spapr_register_memory r = { .argsz = sizeof(r), .vaddr = va, .size = len };

	return count(c, SPAPR_DMA_OP_UNREGISTER,
		     c->be->ops->unregister_memory(c->be, c->handle, &r));
}

int k_map(struct spapr_dma_container *c, uint64_t va, uint64_t iova, uint64_t len,
	  unsigned int prot)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .vaddr = va, .iova = iova,
					      .size = len };

	/* trap §10.14: the kernel checks only the first page; we check the end. */
	if (iova < c->win_start || iova + len < iova || iova + len > c->win_start + c->win_size)
		return -ERANGE;
	if (prot & SPAPR_DMA_READ)
		m.flags |= VFIO_DMA_MAP_FLAG_READ;
	if (prot & SPAPR_DMA_WRITE)
		m.flags |= VFIO_DMA_MAP_FLAG_WRITE;
	return count(c, SPAPR_DMA_OP_MAP, c->be->ops->map_dma(c->be, c->handle, &m));
}

int k_unmap(struct spapr_dma_container *c, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = len };

	if (iova < c->win_start || iova + len > c->win_start + c->win_size)
		return -ERANGE;
	return count(c, SPAPR_DMA_OP_UNMAP, c->be->ops->unmap_dma(c->be, c->handle, &u));
}

int k_create(struct spapr_dma_container *c, unsigned int shift, uint64_t size,
	     unsigned int levels, uint64_t *start)
{
	struct vfio_iommu_spapr_tce_create cr = { .argsz = sizeof(cr), .page_shift = shift,
						  .window_size = size, .levels = levels };
	int rc = count(c, SPAPR_DMA_OP_CREATE, c->be->ops->tce_create(c->be, c->handle, &cr));

	if (!rc)
		*start = cr.start_addr;	/* any start is fine (trap §10.1) */
	return rc;
}

int k_remove(struct spapr_dma_container *c, uint64_t start)
{
	struct vfio_iommu_spapr_tce_remove r = { .argsz = sizeof(r), .start_addr = start };

	return count(c, SPAPR_DMA_OP_REMOVE, c->be->ops->tce_remove(c->be, c->handle, &r));
}

int k_get_info(struct spapr_dma_container *c, struct vfio_iommu_spapr_tce_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return count(c, SPAPR_DMA_OP_GET_INFO, c->be->ops->get_info(c->be, c->handle, info));
}

int k_close(struct spapr_dma_container *c, int handle)
{
	return count(c, SPAPR_DMA_OP_CLOSE, c->be->ops->close(c->be, handle));
}

int k_unset(struct spapr_dma_container *c, int group)
{
	return count(c, SPAPR_DMA_OP_UNSET_CONTAINER,
		     c->be->ops->group_unset_container(c->be, group));
}

bool k_locked(struct spapr_dma_container *c, uint64_t *bytes)
{
	return c->be->ops->locked_bytes && !c->be->ops->locked_bytes(c->be, bytes);
}

int k_set_iommu(struct spapr_dma_container *c)
{
	return count(c, SPAPR_DMA_OP_SET_IOMMU,
		     c->be->ops->set_iommu(c->be, c->handle, VFIO_SPAPR_TCE_v2_IOMMU));
}

/* ---- undo log ---- */

static int undo_push(struct undo_log *l, struct undo u)
{
	if (l->n == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 32;
		struct undo *n = realloc(l->u, sizeof(*n) * cap);

		if (!n) {
			l->out_of_memory = true;
			return -ENOMEM;
		}
		l->u = n;
		l->cap = cap;
	}
	l->u[l->n++] = u;
	return 0;
}

/* The operation whose inverse was pushed last failed: forget the inverse. */
static int undo_settle(struct undo_log *l, int rc)
{
	if (rc)
		l->n--;
	return rc;
}

int undo_k_register(struct undo_log *l, struct spapr_dma_container *c, uint64_t va,
		    uint64_t len)
{
	int rc = undo_push(l, (struct undo){ .kind = U_UNREGISTER, .c = c, .va = va, .len = len });

	return rc ? rc : undo_settle(l, k_register(c, va, len));
}

int undo_k_unregister(struct undo_log *l, struct spapr_dma_container *c, uint64_t va,
		      uint64_t len)
{
	int rc = undo_push(l, (struct undo){ .kind = U_REGISTER, .c = c, .va = va, .len = len });

	return rc ? rc : undo_settle(l, k_unregister(c, va, len));
}

int undo_k_map(struct undo_log *l, struct spapr_dma_container *c, uint64_t va, uint64_t iova,
	       uint64_t len, unsigned int prot)
{
	int rc = undo_push(l, (struct undo){ .kind = U_UNMAP, .c = c, .iova = iova, .len = len });

	return rc ? rc : undo_settle(l, k_map(c, va, iova, len, prot));
}

int undo_k_unmap(struct undo_log *l, struct spapr_dma_container *c, uint64_t va, uint64_t iova,
		 uint64_t len, unsigned int prot)
{
	int rc = undo_push(l, (struct undo){ .kind = U_MAP, .c = c, .va = va, .iova = iova,
					     .len = len, .prot = prot });

	return rc ? rc : undo_settle(l, k_unmap(c, iova, len));
}

int undo_k_create(struct undo_log *l, struct spapr_dma_container *c, unsigned int shift,
		  uint64_t size, unsigned int levels, uint64_t *start)
{
	int rc = undo_push(l, (struct undo){ .kind = U_REMOVE, .c = c });

	if (!rc && !(rc = undo_settle(l, k_create(c, shift, size, levels, start))))
		l->u[l->n - 1].iova = *start;
	return rc;
}

int undo_k_set_container(struct undo_log *l, struct spapr_dma_container *c, int group)
{
	int rc = undo_push(l, (struct undo){ .kind = U_UNSET, .c = c, .handle = group });

	if (rc)
		return rc;
	rc = c->be->ops->group_set_container(c->be, group, c->handle);
	return undo_settle(l, count(c, SPAPR_DMA_OP_SET_CONTAINER, rc));
}

int undo_iova_get(struct undo_log *l, struct spapr_dma_container *c, uint64_t len,
		  uint64_t align, uint64_t *iova)
{
	int rc = undo_push(l, (struct undo){ .kind = U_IOVA_PUT, .c = c, .len = len });

	if (!rc && !(rc = undo_settle(l, dma_iova_get(&c->alloc, len, align, iova))))
		l->u[l->n - 1].iova = *iova;
	return rc;
}

int undo_iova_take(struct undo_log *l, struct spapr_dma_container *c, uint64_t iova,
		   uint64_t len)
{
	int rc = undo_push(l, (struct undo){ .kind = U_IOVA_PUT, .c = c, .len = len,
					     .iova = iova });

	return rc ? rc : undo_settle(l, dma_iova_take(&c->alloc, iova, len));
}

int undo_opened(struct undo_log *l, struct spapr_dma_container *c, int handle)
{
	int rc = undo_push(l, (struct undo){ .kind = U_CLOSE, .c = c, .handle = handle });

	if (rc)
		k_close(c, handle);
	return rc;
}

int undo_window(struct undo_log *l, struct spapr_dma_container *c, uint64_t start)
{
	return undo_push(l, (struct undo){ .kind = U_REMOVE, .c = c, .iova = start });
}

static int undo_one(struct undo *u)
{
	struct spapr_dma_container *c = u->c;

	switch (u->kind) {
	case U_UNREGISTER:
		return k_unregister(c, u->va, u->len);
	case U_REGISTER:
		return k_register(c, u->va, u->len);
	case U_UNMAP:
		return k_unmap(c, u->iova, u->len);
	case U_MAP:
		return k_map(c, u->va, u->iova, u->len, u->prot);
	case U_REMOVE:
		return k_remove(c, u->iova);
	case U_IOVA_PUT:
		return dma_iova_put(&c->alloc, u->iova, u->len);
	case U_CLOSE:
		return k_close(c, u->handle);
	case U_UNSET:
		return k_unset(c, u->handle);
	}
	return -EINVAL;
}

/* The step an undo entry issues (for the error). */
static enum spapr_dma_step undo_step(enum undo_kind k)
{
	static const enum spapr_dma_step steps[] = {
		[U_UNREGISTER] = SPAPR_DMA_STEP_UNREGISTER, [U_REGISTER] = SPAPR_DMA_STEP_REGISTER,
		[U_UNMAP] = SPAPR_DMA_STEP_UNMAP, [U_MAP] = SPAPR_DMA_STEP_MAP,
		[U_REMOVE] = SPAPR_DMA_STEP_REMOVE, [U_IOVA_PUT] = SPAPR_DMA_STEP_IOVA,
		[U_CLOSE] = SPAPR_DMA_STEP_CLOSE, [U_UNSET] = SPAPR_DMA_STEP_CLOSE,
	};
	return steps[k];
}

/* What a failed undo step leaves, in @l. */
static void undo_failed(struct undo *u, int rc, struct spapr_dma_leak *l)
{
	const char *step = spapr_dma_step_name(undo_step(u->kind));

	l->failures++;
	if (l->undo_step == SPAPR_DMA_STEP_NONE) {
		l->undo_step = undo_step(u->kind);
		l->undo_err = -rc;
	}
	switch (u->kind) {
	case U_UNREGISTER:	/* the REGISTER stays: pinned and charged */
		l->registered_bytes += u->len;
		container_keep_stale(u->c, u->va, u->len, l);
		leak_note(l, "0x%llx+0x%llx stays registered (undo %s: %s)",
			  (unsigned long long)u->va, (unsigned long long)u->len, step,
			  strerror(-rc));
		break;
	case U_UNMAP:		/* the MAP stays: a device can reach the memory */
		l->mapped_bytes += u->len;
		leak_note(l, "IOVA 0x%llx+0x%llx stays mapped (undo %s: %s)",
			  (unsigned long long)u->iova, (unsigned long long)u->len, step,
			  strerror(-rc));
		break;
	case U_REGISTER:
	case U_MAP:		/* what the engine holds is gone from the kernel */
		l->lost_bytes += u->len;
		leak_note(l, "0x%llx+0x%llx is no longer %s (undo %s: %s)",
			  (unsigned long long)u->va, (unsigned long long)u->len,
			  u->kind == U_MAP ? "mapped" : "registered", step, strerror(-rc));
		break;
	case U_REMOVE:
		l->windows++;
		leak_note(l, "the window at 0x%llx stays (undo %s: %s)",
			  (unsigned long long)u->iova, step, strerror(-rc));
		break;
	case U_CLOSE:
	case U_UNSET:
		l->handles++;
		leak_note(l, "handle %d stays open or attached (undo %s: %s)", u->handle, step,
			  strerror(-rc));
		break;
	case U_IOVA_PUT:	/* only the allocator's memory: the range is lost */
		l->quarantined_bytes += u->len;
		u->c->quarantined += u->len;
		return;
	}
	container_break(u->c, l, step);
}

int undo_run(struct undo_log *l, struct spapr_dma_leak *leak)
{
	int first = 0;

	while (l->n) {
		struct undo *u = &l->u[--l->n];
		int rc;

		if (u->kind == U_UNREGISTER && u->c->broken) {
			/* A TCE into it may remain: unregistering would orphan it
			 * (§3.5). Keep it; destroy unregisters it after REMOVE. */
			leak->registered_bytes += u->len;
			container_keep_stale(u->c, u->va, u->len, leak);
			leak_note(leak, "0x%llx+0x%llx stays registered: TCEs into it may remain",
				  (unsigned long long)u->va, (unsigned long long)u->len);
			continue;
		}
		rc = undo_one(u);
		if (rc) {
			undo_failed(u, rc, leak);
			first = first ? first : rc;
		}
	}
	return first;
}

/* ---- what a call left behind ---- */

void leak_note(struct spapr_dma_leak *l, const char *fmt, ...)
{
	size_t n = strlen(l->what);
	va_list ap;

	if (n + 3 >= sizeof(l->what))
		return;
	if (n) {
		memcpy(l->what + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(l->what + n, sizeof(l->what) - n, fmt, ap);
	va_end(ap);
}

void leak_merge(struct spapr_dma_leak *a, const struct spapr_dma_leak *b)
{
	if (a->undo_step == SPAPR_DMA_STEP_NONE) {
		a->undo_step = b->undo_step;
		a->undo_err = b->undo_err;
	}
	a->failures += b->failures;
	a->mapped_bytes += b->mapped_bytes;
	a->registered_bytes += b->registered_bytes;
	a->lost_bytes += b->lost_bytes;
	a->unproven_bytes += b->unproven_bytes;
	a->locked_bytes += b->locked_bytes;
	a->quarantined_bytes += b->quarantined_bytes;
	a->windows += b->windows;
	a->handles += b->handles;
	a->broken += b->broken;
	if (b->what[0])
		leak_note(a, "%s", b->what);
}

bool leak_any(const struct spapr_dma_leak *l)
{
	return l->failures || l->mapped_bytes || l->registered_bytes || l->lost_bytes ||
	       l->unproven_bytes ||
	       l->locked_bytes || l->quarantined_bytes || l->windows || l->handles ||
	       l->broken;
}

void err_leak(struct spapr_dma_error *e, const struct spapr_dma_leak *l)
{
	if (!e || !leak_any(l))
		return;
	e->leak = *l;
	e->outcome = l->undo_step != SPAPR_DMA_STEP_NONE ? SPAPR_DMA_OUTCOME_UNDO_FAILED
							 : SPAPR_DMA_OUTCOME_LEFT_BEHIND;
}

void container_break(struct spapr_dma_container *c, struct spapr_dma_leak *l, const char *why)
{
	struct dma_lookup *old;

	if (c->broken)
		return;
	c->broken = true;
	l->broken++;
	dma_fmt(c->broken_why, sizeof(c->broken_why), "%s failed and could not be undone", why);
	/* Withdraw every IOVA: the container's TCEs are no longer known. */
	old = atomic_exchange_explicit(&c->lookup, NULL, memory_order_acq_rel);
	if (old) {
		old->retired = c->retired;
		c->retired = old;
	}
}

void undo_free(struct undo_log *l)
{
	free(l->u);
	memset(l, 0, sizeof(*l));
}

/* ---- errors ---- */

static const char *const step_names[SPAPR_DMA_STEP_COUNT] = {
	[SPAPR_DMA_STEP_NONE] = "",
	[SPAPR_DMA_STEP_ARGS] = "groups",
	[SPAPR_DMA_STEP_LAYOUT] = "layout",
	[SPAPR_DMA_STEP_MEMORY] = "memory",
	[SPAPR_DMA_STEP_PLAN] = "plan",
	[SPAPR_DMA_STEP_OPEN] = "OPEN",
	[SPAPR_DMA_STEP_SET_CONTAINER] = "GROUP_SET_CONTAINER",
	[SPAPR_DMA_STEP_SET_IOMMU] = "SET_IOMMU",
	[SPAPR_DMA_STEP_GET_INFO] = "TCE_GET_INFO",
	[SPAPR_DMA_STEP_REMOVE] = "TCE_REMOVE",
	[SPAPR_DMA_STEP_CREATE] = "TCE_CREATE",
	[SPAPR_DMA_STEP_REGISTER] = "REGISTER_MEMORY",
	[SPAPR_DMA_STEP_MAP] = "MAP_DMA",
	[SPAPR_DMA_STEP_UNMAP] = "UNMAP_DMA",
	[SPAPR_DMA_STEP_UNREGISTER] = "UNREGISTER_MEMORY",
	[SPAPR_DMA_STEP_WINDOW] = "window",
	[SPAPR_DMA_STEP_IOVA] = "iova",
	[SPAPR_DMA_STEP_BROKEN] = "broken",
	[SPAPR_DMA_STEP_CLOSE] = "CLOSE",
};

const char *spapr_dma_step_name(enum spapr_dma_step step)
{
	return (unsigned int)step < SPAPR_DMA_STEP_COUNT ? step_names[step] : "?";
}

static const char *remedy_for(enum spapr_dma_step step, int err)
{
	if (step == SPAPR_DMA_STEP_SET_IOMMU && (err == EINVAL || err == EPERM))
		return "this kernel offers only the v1 sPAPR IOMMU (pseries guest kernels before "
		       "6.11): upgrade the kernel; this engine needs v2";
	if (step == SPAPR_DMA_STEP_REGISTER) {
		if (err == ENOMEM)
			return "raise RLIMIT_MEMLOCK (ulimit -l) or run with CAP_IPC_LOCK";
		if (err == EFAULT)
			return "the memory cannot be pinned (read-only, hole or VM_IO): map it "
			       "read-write and populated";
		if (err == EINVAL)
			return "the range partly overlaps another registration of this process or is "
			       "not system-page aligned: register whole, identical ranges";
	}
	if (step == SPAPR_DMA_STEP_CREATE) {
		if (err == ENOMEM)
			return "raise RLIMIT_MEMLOCK or use larger hugepages (smaller TCE table)";
		if (err == ENODEV || err == EINVAL)
			return "the platform refused the window (on pseries the device may refuse "
			       "DDWs until reboot): use --policy indirect";
		if (err == ENOSPC)
			return "both window slots are in use: close the other user of the container";
	}
	if (step == SPAPR_DMA_STEP_MAP && err == EINVAL)
		return "TCE larger than the memory's page: back it with hugetlbfs pages of at least "
		       "the TCE size";
	if (step == SPAPR_DMA_STEP_WINDOW || step == SPAPR_DMA_STEP_IOVA)
		return "map less memory, or create the container with a larger window "
		       "(policy window_size / direct_top / indirect_reserve)";
	if (step == SPAPR_DMA_STEP_BROKEN)
		return "destroy the broken container (spapr_dma_container_destroy) and create a new "
		       "one; the error that broke it said what it left";
	if (err == EPERM)
		return "the container belongs to another process (mm) or no memory is registered";
	if (err == EBUSY)
		return "the group is in use by another container or process";
	return "see the kernel log (dmesg) for the platform's reason";
}

void undo_report_oom(const struct undo_log *l, int rc, struct spapr_dma_error *e)
{
	if (rc == -ENOMEM && l->out_of_memory)
		err_set(e, SPAPR_DMA_STEP_MEMORY, ENOMEM,
			"out of memory for the undo log of %u entries (the operation it was to "
			"record was not issued)", l->n + 1);
}

void err_set(struct spapr_dma_error *e, enum spapr_dma_step step, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	e->step_id = step;
	dma_fmt(e->step, sizeof(e->step), "%s", spapr_dma_step_name(step));
	e->err = rc < 0 ? -rc : rc;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	dma_fmt(e->remedy, sizeof(e->remedy), "%s", remedy_for(step, e->err));
}

int spapr_dma_error_format(const struct spapr_dma_error *e, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s: %s (%d): %s; remedy: %s", e->step, strerror(e->err),
			 e->err, e->message, e->remedy);

	return n < 0 ? 0 : n;
}
