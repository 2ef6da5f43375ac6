/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model.c - the host model's core: host lifetime, counters and diagnostics,
 * handles and the op prologue/epilogue, the backend op table and the public
 * host API. The rest of the model (§3, §4, §6, §7) lives in:
 *   model_mm.c          processes: mm, VMAs, locked_vm, spapr_model_mm_*
 *   model_regions.c     preregistered regions (§3.5)
 *   model_windows.c     TCE exchange, invalidation, clear, MAP (§3.8)
 *   model_platform.c    platform table_group ops, windows (§6)
 *   model_groups.c      groups, containers, file and group ops (§3.2, §4)
 *   model_ioctl.c       container ioctls (§3) with the kernel's check order
 *   model_introspect.c  introspection, counters API, fault injection, invariants
 * The notes below hold for all of them.
 *
 * Kernel sources the behaviour was learned from (never copied):
 *   VST  drivers/vfio/vfio_iommu_spapr_tce.c   CONT drivers/vfio/container.c
 *   GRP  drivers/vfio/group.c                   API  arch/powerpc/mm/book3s64/iommu_api.c
 *   KIO  arch/powerpc/kernel/iommu.c            IODA arch/powerpc/platforms/powernv/pci-ioda.c
 *   IODATCE .../powernv/pci-ioda-tce.c          PSER arch/powerpc/platforms/pseries/iommu.c
 *   AIO  arch/powerpc/include/asm/iommu.h
 * Every key (TCEH, PNVH, ML-CLEAR, ...) is listed in doc/kernel-model.md §0.
 *
 * Where the kernel source disagrees with the spec, the model follows the
 * kernel (each place has a comment; doc/kernel-model.md §12.10):
 *   - MAP/UNMAP with a misaligned iova return 1, not -EINVAL (the param-check
 *     macros of AIO are "a || b");
 *   - REGISTER whose pinning stops after k > 0 pages returns k (gup's
 *     "i ? i : ret", only 0 becomes -EFAULT in API mm_iommu_do_alloc);
 *   - REGISTER of size 0 fails -ENOMEM (vzalloc(0));
 *   - a failed exchange in MAP (on-demand level, H_PUT_TCE) keeps the new
 *     region's mapped count raised and keeps the view level it allocated;
 *   - VST's group list is head-inserted: GET_INFO/CREATE use the newest
 *     attached group;
 *   - every clear and every successful MAP kills once, changes or not;
 *   - SET_IOMMU(VFIO_EEH) is -EINVAL when EEH is on, other types -ENODEV;
 *   - a PowerNV window spans its whole table, at least one system page of
 *     TCEs (PAGE_SIZE/8 entries), not window_size >> page_shift entries,
 *     and a window smaller than its IOMMU page may be accepted (IODATCE
 *     pnv_pci_ioda2_table_alloc_pages, 32-bit entries_shift; see pnv_create
 *     and tce_table.h).
 *
 * Counter definitions (§7; host, per mm of the caller and per container
 * of the handle the op was issued on):
 *   ops[op]        every backend op and every internal fault point reached
 *                  (level_alloc, pin, hcall)
 *   ioctls         group and container ioctls (not open/close)
 *   errors         ioctls that returned a negative value
 *   tce_xchg       calls of the TCE exchange (iommu_tce_xchg_no_kill): one per
 *                  entry mapped, one per entry visited by a clear (UNMAP,
 *                  REMOVE, detach, release, rollback); entries of unallocated
 *                  leaf blocks that a multi-level clear skips are not counted
 *   tce_writes     exchanges that changed the stored TCE
 *   invalidations  PER_RANGE: one TCE kill per PE per MAP/UNMAP/clear call
 *                  (the kernel kills once per call even when nothing
 *                  changed, VST tce_iommu_clear/tce_iommu_build_v2), plus one
 *                  PE-wide kill per set_window/unset_window; PER_PAGE: one
 *                  MMIO write per IOMMU page of the call's range per PE, plus
 *                  one per set/unset; NONE (pseries): 0
 *   region_visits  nodes of the mm's prereg list visited: mm_iommu_lookup
 *                  stops at the match (1-based position) or visits all R;
 *                  MAP v2 per page: lookup + the full mm_iommu_is_devmem walk
 *                  (R) when the lookup succeeded; a replaced or cleared
 *                  mapping: lookup of its old address; REGISTER: the
 *                  exact-match walk of mm_iommu_get, then (new region) the
 *                  overlap scan up to the first overlap or R; UNREGISTER: the
 *                  exact-match walk; v1 MAP per page: the devmem walk (R)
 *   hcalls         TCE hypercalls when the profile says tce_via_hcall:
 *                  H_GET_TCE + H_PUT_TCE per exchange
 *   rtas_calls     pseries RTAS: query/create/remove/reset of DMA windows
 *   opal_calls     PowerNV: opal_pci_map_pe_dma_window (set/unset window,
 *                  ownership changes), bypass changes, opal_pci_tce_kill
 *   pages_pinned   system pages pinned (REGISTER, v1 MAP), including pins
 *                  undone by a failing REGISTER
 *   table_bytes_allocated  TCE-table and userspace-view level memory allocated
 *   table_bytes_charged    bytes of table charges to locked_vm (get_table_size)
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"

#define OPS_FIRST_IOCTL SPAPR_MODEL_OP_GROUP_GET_STATUS
#define OPS_LAST_IOCTL SPAPR_MODEL_OP_EEH_PE_OP

static struct spapr_model *to_model(struct spapr_backend *be)
{
	return (struct spapr_model *)be;
}

/* ------------------------------------------------------------------------ */
/* Counters, diagnostics, fault points.                                     */
/* ------------------------------------------------------------------------ */

static void ctr_add_one(struct spapr_model_counters *c, size_t field, uint64_t n)
{
	*(uint64_t *)((char *)c + field) += n;
}

void model_ctr_add(struct spapr_model *m, size_t field, uint64_t n)
{
	ctr_add_one(&m->ctr, field, n);
	if (m->ctx_cont)
		ctr_add_one(&m->ctx_cont->ctr, field, n);
	if (m->ctx_mm)
		ctr_add_one(&m->ctx_mm->ctr, field, n);
}

static void count_op(struct spapr_model *m, enum spapr_model_op op)
{
	CTR(m, ops[op], 1);
}

/* An internal fault point (level_alloc, pin, hcall). */
int model_fault_point(struct spapr_model *m, enum spapr_model_op op)
{
	count_op(m, op);
	return model_fault_hit(&m->faults, op);
}

void model_diag(struct spapr_model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->diag, sizeof(m->diag), fmt, ap);
	va_end(ap);
	m->ndiag++;
}

/* ------------------------------------------------------------------------ */
/* Handles and the op prologue/epilogue.                                    */
/* ------------------------------------------------------------------------ */

#define HANDLE_FIRST 3	/* like fds: 0-2 are taken */

int model_handle_alloc(struct spapr_model *m, enum handle_kind kind, void *obj)
{
	unsigned int h;

	for (h = HANDLE_FIRST; h < m->nhandles; h++)
		if (m->handles[h].kind == H_FREE)
			break;
	if (h >= m->nhandles) {
		struct model_handle *n = realloc(m->handles, (h + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + m->nhandles, 0, (h + 1 - m->nhandles) * sizeof(*n));
		m->handles = n;
		m->nhandles = h + 1;
	}
	m->handles[h] = (struct model_handle){ kind, obj };
	return (int)h;
}

struct model_handle *model_handle_get(struct spapr_model *m, int h)
{
	if (h < 0 || (unsigned int)h >= m->nhandles || m->handles[h].kind == H_FREE)
		return NULL;
	return &m->handles[h];
}

static bool op_is_ioctl(enum spapr_model_op op)
{
	return op >= OPS_FIRST_IOCTL && op <= OPS_LAST_IOCTL;
}

/* Every backend op: counters context, op count, fault on entry. */
static int op_begin(struct spapr_model *m, enum spapr_model_op op, int h)
{
	struct model_handle *hd = model_handle_get(m, h);
	int rc;

	m->ctx_mm = model_mm_get(m, m->cur_mm);
	m->ctx_cont = NULL;
	if (hd && hd->kind == H_CONTAINER)
		m->ctx_cont = hd->obj;
	else if (hd && hd->kind == H_GROUP)
		m->ctx_cont = ((struct model_group *)hd->obj)->container;
	count_op(m, op);
	if (op_is_ioctl(op))
		CTR(m, ioctls, 1);
	rc = model_fault_hit(&m->faults, op);
	if (rc && op_is_ioctl(op))
		CTR(m, errors, 1);
	return rc;
}

static int op_end(struct spapr_model *m, enum spapr_model_op op, int rc)
{
	if (rc < 0 && op_is_ioctl(op))
		CTR(m, errors, 1);
	m->ctx_cont = NULL;
	m->ctx_mm = NULL;
	return rc;
}

/* Run @body under the lock with the op prologue/epilogue. */
#define MODEL_OP(be, op, h, body)                                             \
	do {                                                                   \
		struct spapr_model *m_ = to_model(be);                         \
		int rc_;                                                       \
		pthread_mutex_lock(&m_->lock);                                 \
		rc_ = op_begin(m_, (op), (h));                                 \
		if (!rc_)                                                      \
			rc_ = (body);                                          \
		rc_ = op_end(m_, (op), rc_);                                   \
		pthread_mutex_unlock(&m_->lock);                               \
		return rc_;                                                    \
	} while (0)

/* The container of handle @h: -EBADF (no such fd) or -ENOTTY (a group fd
 * does not know container ioctls, GRP vfio_group_fops_unl_ioctl). */
int model_cont_lookup(struct spapr_model *m, int h, struct model_container **c)
{
	struct model_handle *hd = model_handle_get(m, h);

	if (!hd)
		return -EBADF;
	if (hd->kind != H_CONTAINER)
		return -ENOTTY;
	*c = hd->obj;
	return 0;
}

/* CONT vfio_fops_unl_ioctl default path (-EINVAL without a driver), then
 * VST's check before its switch: another mm gets -EPERM (§2). */
int model_cont_driver(struct spapr_model *m, int h, struct model_container **c)
{
	int rc = model_cont_lookup(m, h, c);

	if (rc)
		return rc;
	if (!(*c)->iommu_set)
		return -EINVAL;
	if ((*c)->mm >= 0 && (*c)->mm != m->cur_mm)
		return -EPERM;
	return 0;
}

/* tce_iommu_mm_set(). */
int model_mm_set(struct spapr_model *m, struct model_container *c)
{
	if (c->mm >= 0)
		return c->mm == m->cur_mm ? 0 : -EPERM;
	c->mm = m->cur_mm;
	return 0;
}

/* A group handle, or what a container fd answers to a group ioctl. */
int model_group_lookup(struct spapr_model *m, int h, struct model_group **g)
{
	struct model_handle *hd = model_handle_get(m, h);
	struct model_container *c;
	int rc;

	if (!hd)
		return -EBADF;
	if (hd->kind == H_GROUP) {
		*g = hd->obj;
		return 0;
	}
	rc = model_cont_driver(m, h, &c);
	return rc ? rc : -ENOTTY;
}

struct model_group *model_group_by_num(struct spapr_model *m, int num)
{
	if (num < 0 || (unsigned int)num >= m->ngroups)
		return NULL;
	return m->groups[num];
}

/* ------------------------------------------------------------------------ */
/* The backend.                                                             */
/* ------------------------------------------------------------------------ */

static int be_container_open(struct spapr_backend *be)
{
	MODEL_OP(be, SPAPR_MODEL_OP_CONTAINER_OPEN, -1, model_do_container_open(m_));
}

static int be_group_open(struct spapr_backend *be, int num)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GROUP_OPEN, -1, model_do_group_open(m_, num));
}

static int be_close(struct spapr_backend *be, int h)
{
	MODEL_OP(be, SPAPR_MODEL_OP_CLOSE, h, model_do_close(m_, h));
}

static int be_get_status(struct spapr_backend *be, int h, uint32_t *flags)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GROUP_GET_STATUS, h, model_do_get_status(m_, h, flags));
}

static int be_set_container(struct spapr_backend *be, int h, int ch)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GROUP_SET_CONTAINER, h,
		 model_do_set_container(m_, h, ch));
}

static int be_unset_container(struct spapr_backend *be, int h)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GROUP_UNSET_CONTAINER, h,
		 model_do_unset_container(m_, h));
}

static int be_check_extension(struct spapr_backend *be, int h, uint32_t ext)
{
	MODEL_OP(be, SPAPR_MODEL_OP_CHECK_EXTENSION, h, model_do_check_extension(m_, h, ext));
}

static int be_set_iommu(struct spapr_backend *be, int h, uint32_t type)
{
	MODEL_OP(be, SPAPR_MODEL_OP_SET_IOMMU, h, model_do_set_iommu(m_, h, type));
}

static int be_get_info(struct spapr_backend *be, int h,
		       struct vfio_iommu_spapr_tce_info *info)
{
	MODEL_OP(be, SPAPR_MODEL_OP_GET_INFO, h, model_do_get_info(m_, h, info));
}

static int be_register(struct spapr_backend *be, int h,
		       struct vfio_iommu_spapr_register_memory *reg)
{
	MODEL_OP(be, SPAPR_MODEL_OP_REGISTER_MEMORY, h, model_do_register(m_, h, reg));
}

static int be_unregister(struct spapr_backend *be, int h,
			 struct vfio_iommu_spapr_register_memory *reg)
{
	MODEL_OP(be, SPAPR_MODEL_OP_UNREGISTER_MEMORY, h, model_do_unregister(m_, h, reg));
}

static int be_tce_create(struct spapr_backend *be, int h,
			 struct vfio_iommu_spapr_tce_create *cr)
{
	MODEL_OP(be, SPAPR_MODEL_OP_TCE_CREATE, h, model_do_tce_create(m_, h, cr));
}

static int be_tce_remove(struct spapr_backend *be, int h,
			 struct vfio_iommu_spapr_tce_remove *rm)
{
	MODEL_OP(be, SPAPR_MODEL_OP_TCE_REMOVE, h, model_do_tce_remove(m_, h, rm));
}

static int be_map_dma(struct spapr_backend *be, int h,
		      struct vfio_iommu_type1_dma_map *p)
{
	MODEL_OP(be, SPAPR_MODEL_OP_MAP_DMA, h, model_do_map(m_, h, p));
}

static int be_unmap_dma(struct spapr_backend *be, int h,
			struct vfio_iommu_type1_dma_unmap *p)
{
	MODEL_OP(be, SPAPR_MODEL_OP_UNMAP_DMA, h, model_do_unmap(m_, h, p));
}

static int be_enable(struct spapr_backend *be, int h)
{
	MODEL_OP(be, SPAPR_MODEL_OP_ENABLE, h, model_do_enable(m_, h));
}

static int be_disable(struct spapr_backend *be, int h)
{
	MODEL_OP(be, SPAPR_MODEL_OP_DISABLE, h, model_do_disable(m_, h));
}

static int be_eeh_pe_op(struct spapr_backend *be, int h, struct vfio_eeh_pe_op *op)
{
	MODEL_OP(be, SPAPR_MODEL_OP_EEH_PE_OP, h, model_do_eeh(m_, h, op));
}

/*
 * The platform facts of the modelled host, from its profile (§9): the
 * values a real machine of that kind has, which the kernel does not report
 * (a real vfio backend knows only the kind and the page size). The limits
 * of one kind are left 0 on the other, where the kernel has no such rule.
 * Not an ioctl: no counter, no fault point. The profile is fixed at
 * spapr_model_create(), so no lock is needed.
 */
static int be_host_info(struct spapr_backend *be, struct spapr_backend_host *out)
{
	const struct spapr_model_profile *p = &to_model(be)->prof;

	if (out == NULL)
		return -EFAULT;
	memset(out, 0, sizeof(*out));
	out->system_page_shift = p->system_page_shift;
	if (p->platform == SPAPR_MODEL_PSERIES) {
		out->platform = SPAPR_BACKEND_PLATFORM_PSERIES;
		out->ddw_start_hint = p->ddw_start;
		/* The modelled hypervisor's block is known, unlike a real one's. */
		out->ddw_max_entries = spapr_model_profile_ddw_limit(p);
		return 0;
	}
	out->platform = SPAPR_BACKEND_PLATFORM_POWERNV;
	out->max_level_chunk = p->max_level_chunk ? p->max_level_chunk
						  : SPAPR_BACKEND_HOST_NO_CHUNK_LIMIT;
	out->bus_addr_bits = p->bus_addr_bits ? p->bus_addr_bits : SPAPR_BACKEND_HOST_NO_BUS_RULE;
	out->table_charge_x1 = p->pre_4_19_tables;
	return 0;
}

/* locked_vm of the current mm (account_locked_vm's counter). Not an ioctl:
 * no counter, no fault point. */
static int be_locked_bytes(struct spapr_backend *be, uint64_t *bytes)
{
	struct spapr_model *m = to_model(be);
	struct model_mm *mm;

	if (bytes == NULL)
		return -EFAULT;
	pthread_mutex_lock(&m->lock);
	mm = model_mm_get(m, m->cur_mm);
	if (mm)
		*bytes = mm->locked_vm << model_sys_shift(m);
	pthread_mutex_unlock(&m->lock);
	return mm ? 0 : -ENOENT;
}

static const struct spapr_backend_ops model_ops = {
	.container_open = be_container_open,
	.group_open = be_group_open,
	.close = be_close,
	.group_get_status = be_get_status,
	.group_set_container = be_set_container,
	.group_unset_container = be_unset_container,
	.check_extension = be_check_extension,
	.set_iommu = be_set_iommu,
	.get_info = be_get_info,
	.register_memory = be_register,
	.unregister_memory = be_unregister,
	.tce_create = be_tce_create,
	.tce_remove = be_tce_remove,
	.map_dma = be_map_dma,
	.unmap_dma = be_unmap_dma,
	.enable = be_enable,
	.disable = be_disable,
	.eeh_pe_op = be_eeh_pe_op,
	.host_info = be_host_info,
	.locked_bytes = be_locked_bytes,
};

/* ------------------------------------------------------------------------ */
/* Public API: the host.                                                    */
/* ------------------------------------------------------------------------ */

void spapr_model_default_group_params(const struct spapr_model *m,
				      struct spapr_model_group_params *gp)
{
	const struct spapr_model_profile *p = &m->prof;

	memset(gp, 0, sizeof(*gp));
	gp->dma32_start = p->dma32_start;
	gp->dma32_size = p->dma32_size;
	gp->pgsizes = p->pgsizes;
	gp->max_dynamic_windows = p->max_dynamic_windows;
	gp->max_levels = p->max_levels;
	gp->viable = true;
	gp->platform = p->platform;
}

static int add_group_locked(struct spapr_model *m,
			    const struct spapr_model_group_params *gp)
{
	struct model_group **n, *g;

	n = realloc(m->groups, (m->ngroups + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->groups = n;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->num = (int)m->ngroups;
	g->p = *gp;
	g->handle = -1;
	model_pe_init(&g->pe);
	/* The platform's own DMA window exists until VFIO claims the PE. */
	g->pe.default_present = true;
	m->groups[m->ngroups++] = g;
	return g->num;
}

int spapr_model_add_group(struct spapr_model *m,
			  const struct spapr_model_group_params *gp)
{
	int rc;

	if (!m || !gp)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	rc = add_group_locked(m, gp);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int model_init(struct spapr_model *m, const struct spapr_model_profile *p,
		      char *err, size_t errlen)
{
	struct spapr_model_group_params gp;

	m->be.ops = &model_ops;
	m->be.name = "model";
	m->prof = *p;
	m->next_pa = MODEL_PA_BASE;
	if (pthread_mutex_init(&m->lock, NULL))
		return -ENOMEM;
	if (model_mm_new(m, p->memlock_limit, p->cap_ipc_lock) < 0)
		return -ENOMEM;
	spapr_model_default_group_params(m, &gp);
	for (unsigned int i = 0; i < p->groups; i++)
		if (add_group_locked(m, &gp) < 0)
			return -ENOMEM;
	return model_fault_from_env(&m->faults, err, errlen);
}

struct spapr_model *spapr_model_create_err(const struct spapr_model_profile *profile,
					   char *err, size_t errlen)
{
	struct spapr_model *m;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!profile || profile->system_page_shift < 12 ||
	    profile->system_page_shift > 30) {
		if (err && errlen)
			snprintf(err, errlen, "no profile, or its system page "
				 "size is not 4K..1G");
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	rc = model_init(m, profile, err, errlen);
	if (rc) {
		spapr_model_destroy(m);
		errno = -rc;
		return NULL;
	}
	return m;
}

struct spapr_model *spapr_model_create(const struct spapr_model_profile *profile)
{
	return spapr_model_create_err(profile, NULL, 0);
}

static void destroy_everything(struct spapr_model *m)
{
	/* Closing every group detaches it and releases its container. */
	for (unsigned int i = 0; i < m->ngroups; i++)
		if (m->groups[i]->container)
			model_detach_container(m, m->groups[i]);
	while (m->nconts)
		model_cont_free(m, m->conts[0]);
	for (unsigned int i = 0; i < m->nmms; i++) {
		struct model_mm *mm = m->mms[i];

		while (mm->regions) {
			struct model_region *r = mm->regions;

			model_region_unlink(mm, r);
			model_region_unpin(m, r);
			free(r);
		}
		for (unsigned int j = 0; j < mm->nvmas; j++)
			mm->vmas[j]->mapped = false;
		free(mm->vmas);
		free(mm);
	}
	for (unsigned int i = 0; i < m->nphys; i++)
		free(m->phys[i]);
	for (unsigned int i = 0; i < m->ngroups; i++) {
		model_pe_fini(&m->groups[i]->pe);	/* the bypass table, if any */
		free(m->groups[i]);
	}
}

void spapr_model_destroy(struct spapr_model *m)
{
	if (!m)
		return;
	destroy_everything(m);
	free(m->phys);
	free(m->mms);
	free(m->groups);
	free(m->conts);
	free(m->handles);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

const struct spapr_model_profile *spapr_model_get_profile(const struct spapr_model *m)
{
	return &m->prof;
}

struct spapr_backend *spapr_model_backend(struct spapr_model *m)
{
	return &m->be;
}

struct spapr_model *spapr_model_from_backend(struct spapr_backend *be)
{
	return be && be->ops == &model_ops ? to_model(be) : NULL;
}
