/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * plan.c - the window planner: which window, which TCE size, how many
 * levels, computed from the geometry instead of found by failing CREATEs
 * (a failed CREATE leaks its locked_vm charge, §3.6 step 8, trap
 * §10.10; on pseries it poisons the PE, §6).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dma_priv.h"

void spapr_dma_platform_default(enum spapr_dma_platform_kind kind,
				unsigned int system_page_shift,
				struct spapr_dma_platform *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->system_page_shift = system_page_shift ? system_page_shift : 16;
	if (kind == SPAPR_DMA_PLATFORM_POWERNV) {
		/* One level is one alloc_pages of order <= MAX_PAGE_ORDER:
		 * 16 MiB with both 4K and 64K kernels (§5.2). */
		out->max_level_chunk = 16ull << 20;
		out->bus_addr_bits = 55;
		out->ddw_start_hint = 0;
	} else {
		/* Observed on QEMU pseries 6.12: every DDW at 1<<59. */
		out->ddw_start_hint = 1ull << 59;
	}
}

static int platform_kind(enum spapr_backend_platform b, enum spapr_dma_platform_kind *kind)
{
	switch (b) {
	case SPAPR_BACKEND_PLATFORM_POWERNV:
		*kind = SPAPR_DMA_PLATFORM_POWERNV;
		return 0;
	case SPAPR_BACKEND_PLATFORM_PSERIES:
		*kind = SPAPR_DMA_PLATFORM_PSERIES;
		return 0;
	default:
		return -ENODEV;
	}
}

/* A field the backend knows replaces the default; 0 = unknown keeps it. */
static void platform_override(const struct spapr_backend_host *h, struct spapr_dma_platform *p)
{
	if (h->max_level_chunk)
		p->max_level_chunk = h->max_level_chunk == SPAPR_BACKEND_HOST_NO_CHUNK_LIMIT ?
				     0 : h->max_level_chunk;
	if (h->bus_addr_bits)
		p->bus_addr_bits = h->bus_addr_bits == SPAPR_BACKEND_HOST_NO_BUS_RULE ?
				   0 : h->bus_addr_bits;
	if (h->table_charge_x1)
		p->table_charge_x1 = true;
	if (h->ddw_start_hint)
		p->ddw_start_hint = h->ddw_start_hint;
	if (h->ddw_max_entries)
		p->ddw_max_entries = h->ddw_max_entries;
}

int spapr_dma_platform_from_backend(struct spapr_backend *be, struct spapr_dma_platform *out)
{
	struct spapr_backend_host h;
	enum spapr_dma_platform_kind kind;
	int rc;

	if (be == NULL || be->ops == NULL || out == NULL)
		return -EINVAL;
	if (be->ops->host_info == NULL)
		return -EOPNOTSUPP;
	rc = be->ops->host_info(be, &h);
	if (rc)
		return rc < 0 ? rc : -EIO;
	rc = platform_kind(h.platform, &kind);
	if (rc)
		return rc;
	spapr_dma_platform_default(kind, h.system_page_shift, out);
	platform_override(&h, out);
	return 0;
}

void spapr_dma_caps_from_info(const struct vfio_iommu_spapr_tce_info *info,
			      const struct spapr_dma_platform *plat,
			      struct spapr_dma_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->ddw = info->flags & VFIO_IOMMU_SPAPR_INFO_DDW;
	caps->dma32_start = info->dma32_window_start;
	caps->dma32_size = info->dma32_window_size;
	if (caps->ddw) {
		caps->pgsizes = info->ddw.pgsizes;
		caps->max_windows = info->ddw.max_dynamic_windows_supported;
		caps->max_levels = info->ddw.levels;
	} else {
		caps->pgsizes = SZ_4K;
	}
	caps->platform = *plat;
}

/* ---- geometry (§5.2, §5.3) ---- */

static bool pnv_level_ok(const struct spapr_dma_platform *p, unsigned int page_shift,
			 unsigned int entries_shift, unsigned int levels)
{
	unsigned int bits = (entries_shift + levels - 1) / levels;
	unsigned int chunk_shift = bits + 3 > p->system_page_shift ? bits + 3 : p->system_page_shift;

	if (p->max_level_chunk && (1ull << chunk_shift) > p->max_level_chunk)
		return false;
	/* pnv_pci_ioda2_table_alloc_pages: the levels must address < 2^55. */
	if (p->bus_addr_bits && (chunk_shift - 3) * levels + page_shift >= p->bus_addr_bits)
		return false;
	return true;
}

unsigned int spapr_dma_levels_needed(const struct spapr_dma_platform *p,
				     unsigned int page_shift, uint64_t window_size,
				     unsigned int max_levels)
{
	unsigned int es, l;

	if (!spapr_is_pow2(window_size) || window_size < (1ull << page_shift))
		return 0;
	/* pseries: levels must be 1 (§5.2); the table lives in the hypervisor
	 * and the guest's userspace view is vzalloc()ed (arch/powerpc/platforms/
	 * pseries/iommu.c pseries_tce_iommu_userspace_view_alloc), so the
	 * 16 MiB per-level alloc_pages limit of PowerNV does not apply. */
	if (p->kind == SPAPR_DMA_PLATFORM_PSERIES)
		return max_levels >= 1 ? 1 : 0;
	es = ilog2_u64(window_size) - page_shift;
	if (max_levels > 5)
		max_levels = 5;	/* POWERNV_IOMMU_MAX_LEVELS */
	for (l = 1; l <= max_levels; l++)
		if (pnv_level_ok(p, page_shift, es, l))
			return l;
	return 0;
}

uint64_t spapr_dma_table_bytes(const struct spapr_dma_platform *p, unsigned int page_shift,
			       uint64_t window_size, unsigned int levels)
{
	uint64_t entries, direct, t, bytes = 0;
	unsigned int es, bits, dshift, i;

	if (!spapr_is_pow2(window_size) || window_size < (1ull << page_shift) || !levels)
		return 0;
	entries = window_size >> page_shift;
	if (p->kind == SPAPR_DMA_PLATFORM_PSERIES)
		return levels == 1 ? entries * 8 : 0;	/* userspace view only */
	es = ilog2_u64(window_size) - page_shift;
	bits = (es + levels - 1) / levels;
	dshift = bits + 3 > p->system_page_shift ? bits + 3 : p->system_page_shift;
	direct = 1ull << dshift;
	t = entries * 8 > 4096 ? entries * 8 : 4096;
	/* pnv_pci_ioda2_get_table_size: the full leaf table is charged even
	 * though lower levels are allocated on demand; x2 for the userspace view. */
	for (i = 0; i < levels; i++) {
		bytes += align_up(t, direct);
		t = t / direct * 8;
		if (t < direct)
			t = direct;
	}
	return p->table_charge_x1 ? bytes : 2 * bytes;
}

/* ---- candidates ---- */

struct plan_in {
	const struct spapr_dma_caps *caps;
	const struct spapr_dma_policy *pol;
	const struct spapr_dma_mem_region *r;
	unsigned int n;
	struct dma_layout lay;
	bool pa_basis;
	unsigned int mem_shift, limiting;
	uint64_t top;		/* highest address + 1 the direct window must reach */
	uint64_t default_table;	/* pseries keep_default: charge of the dma32 window */
	bool keep_default;
	int costly_direct;	/* index of the direct candidate the cost rule set aside, or -1 */
};

static bool memlock_limited(const struct spapr_dma_policy *pol)
{
	return pol->memlock_limit && pol->memlock_limit != SPAPR_DMA_UNLIMITED;
}

static uint64_t memlock_avail(const struct spapr_dma_policy *pol)
{
	return pol->memlock_limit > pol->memlock_used ? pol->memlock_limit - pol->memlock_used : 0;
}

static struct spapr_dma_candidate *cand_new(struct spapr_dma_plan *out, enum spapr_dma_mode mode,
					    unsigned int page_shift, bool dflt)
{
	struct spapr_dma_explain *e = &out->explain;
	static struct spapr_dma_candidate scratch;	/* overflow sink, never read */
	struct spapr_dma_candidate *c;

	if (e->ncand >= SPAPR_DMA_MAX_CANDIDATES) {
		memset(&scratch, 0, sizeof(scratch));
		return &scratch;
	}
	c = &e->cand[e->ncand++];
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->page_shift = page_shift;
	c->default_window = dflt;
	return c;
}

static const char *sz(uint64_t b, char *buf) { return dma_size_str(b, buf, 24); }

/* Budget checks shared by every candidate with a computed table. */
static bool cand_affordable(const struct plan_in *in, struct spapr_dma_candidate *c)
{
	const struct spapr_dma_policy *pol = in->pol;
	char a[24], b[24], d[24], f[24];

	c->locked_bytes = c->table_bytes + in->lay.total;
	if (pol->table_budget && c->table_bytes > pol->table_budget) {
		dma_fmt(c->reason, sizeof(c->reason), "TCE table needs %s, over the %s table budget",
			sz(c->table_bytes, a), sz(pol->table_budget, b));
		return false;
	}
	if (memlock_limited(pol) && c->locked_bytes > memlock_avail(pol)) {
		dma_fmt(c->reason, sizeof(c->reason),
			"needs %s locked (table %s + registered memory %s), RLIMIT_MEMLOCK leaves %s",
			sz(c->locked_bytes, a), sz(c->table_bytes, b), sz(in->lay.total, d),
			sz(memlock_avail(pol), f));
		return false;
	}
	return true;
}

/* A DDW of @page_shift and @win bytes: geometry + budget. */
static bool ddw_geometry(const struct plan_in *in, struct spapr_dma_candidate *c, uint64_t win)
{
	const struct spapr_dma_caps *caps = in->caps;
	const struct spapr_dma_platform *p = &caps->platform;
	char a[24], b[24], d[24];

	c->window_size = win;
	if (!spapr_is_pow2(win)) {
		dma_fmt(c->reason, sizeof(c->reason), "window size 0x%llx is not a power of two",
			(unsigned long long)win);
		return false;
	}
	c->levels = spapr_dma_levels_needed(p, c->page_shift, win, caps->max_levels);
	if (!c->levels) {
		uint64_t entries = win >> c->page_shift;

		if (p->kind == SPAPR_DMA_PLATFORM_PSERIES || caps->max_levels <= 1)
			dma_fmt(c->reason, sizeof(c->reason),
				"%s window of %s TCEs needs %llu entries; one level cannot hold "
				"them and the platform allows %u level(s)", sz(win, a),
				sz(1ull << c->page_shift, b), (unsigned long long)entries,
				caps->max_levels);
		else
			dma_fmt(c->reason, sizeof(c->reason),
				"%s window of %s TCEs (%llu entries) needs more than %u levels of "
				"at most %s or breaks the %u-bit rule", sz(win, a),
				sz(1ull << c->page_shift, b), (unsigned long long)entries,
				caps->max_levels, sz(p->max_level_chunk, d), p->bus_addr_bits);
		return false;
	}
	if (p->ddw_max_entries && (win >> c->page_shift) > p->ddw_max_entries) {
		dma_fmt(c->reason, sizeof(c->reason),
			"%s window of %s TCEs needs %llu TCEs; the hypervisor offers %llu "
			"(largest_available_block)", sz(win, a), sz(1ull << c->page_shift, b),
			(unsigned long long)(win >> c->page_shift),
			(unsigned long long)p->ddw_max_entries);
		return false;
	}
	c->table_bytes = spapr_dma_table_bytes(p, c->page_shift, win, c->levels) +
			 in->default_table;
	return cand_affordable(in, c);
}

static bool ddw_possible(const struct plan_in *in, struct spapr_dma_candidate *c)
{
	const struct spapr_dma_caps *caps = in->caps;

	if (!caps->ddw) {
		dma_fmt(c->reason, sizeof(c->reason),
			"GET_INFO reports no DDW (flags=0): only the default window exists");
		return false;
	}
	if (!caps->max_windows || caps->max_windows == PSERIES_QUIRK_WINDOWS || !caps->max_levels) {
		/* §6: missing ibm,ddw-applicable reads back as 0xFFFFFFFF windows, 0 levels;
		 * a DDW CREATE there fails and poisons the PE. */
		dma_fmt(c->reason, sizeof(c->reason),
			"platform DDW query failed (max windows %u, levels %u): creating a DDW "
			"would fail and poison the device", caps->max_windows, caps->max_levels);
		return false;
	}
	return true;
}

static bool page_usable(const struct plan_in *in, struct spapr_dma_candidate *c)
{
	char a[24], b[24], d[24];
	const struct spapr_dma_mem_region *lim = in->n ? &in->r[in->limiting] : NULL;

	if (in->pol->page_shift && in->pol->page_shift != c->page_shift) {
		dma_fmt(c->reason, sizeof(c->reason), "policy forces %s TCEs",
			sz(1ull << in->pol->page_shift, a));
		return false;
	}
	if (c->page_shift > in->mem_shift && !lim) {
		dma_fmt(c->reason, sizeof(c->reason), "%s TCEs: no memory yet, only %s system "
			"pages are certain (add memory first or force the page size)",
			sz(1ull << c->page_shift, a), sz(1ull << in->mem_shift, b));
		return false;
	}
	if (c->page_shift > in->mem_shift) {
		/* trap §10.7-8: the TCE may not exceed any region's page or alignment. */
		dma_fmt(c->reason, sizeof(c->reason),
			"%s TCEs exceed the memory: region at VA 0x%llx is backed by %s pages "
			"and aligned to %s", sz(1ull << c->page_shift, a),
			(unsigned long long)lim->va, sz(1ull << lim->page_shift, b),
			sz(1ull << ctz_u64(lim->va | lim->len | (in->pa_basis ? lim->pa : 0)),
			   d));
		return false;
	}
	return true;
}

/*
 * pseries keeps one level and clears a window entry by entry with two
 * hypercalls per TCE on REMOVE/release (§5.2, §7), and the hypervisor's TCE
 * pool is shared: a 1:1 window far larger than the memory (sparse VAs) costs
 * more than the lookups it saves. Allowed: 2^21 TCEs or 8x the memory.
 */
static bool pseries_too_sparse(const struct plan_in *in, struct spapr_dma_candidate *c,
			       uint64_t win)
{
	uint64_t entries = win >> c->page_shift;
	uint64_t need = (in->lay.total >> c->page_shift) * 8;
	char a[24];

	if (in->caps->platform.kind != SPAPR_DMA_PLATFORM_PSERIES || in->pol->window_size ||
	    in->pol->mode == SPAPR_DMA_MODE_DIRECT || entries <= (1ull << 21) || entries <= need)
		return false;
	c->window_size = win;
	dma_fmt(c->reason, sizeof(c->reason),
		"1:1 window of %s needs %llu TCEs for %llu TCEs of memory: on pseries each costs "
		"2 hypercalls at teardown (sparse addresses, §7)", sz(win, a),
		(unsigned long long)entries, (unsigned long long)(in->lay.total >> c->page_shift));
	return true;
}

/* Direct: IOVA = start + address, so the window spans [0, top). */
static bool eval_direct(const struct plan_in *in, struct spapr_dma_candidate *c)
{
	uint64_t win = in->pol->window_size;
	char a[24], b[24];

	if (!ddw_possible(in, c) || !page_usable(in, c))
		return false;
	if (!win)
		win = pow2_ceil(in->top > (1ull << c->page_shift) ? in->top : 1ull << c->page_shift);
	if (win < in->top) {
		dma_fmt(c->reason, sizeof(c->reason), "forced window %s is below the top address "
			"0x%llx", sz(win, a), (unsigned long long)in->top);
		c->window_size = win;
		return false;
	}
	if (pseries_too_sparse(in, c, win))
		return false;
	if (!ddw_geometry(in, c, win))
		return false;
	dma_fmt(c->reason, sizeof(c->reason), "1:1 window over [0, %s) with %s TCEs, %u level(s)",
		sz(win, a), sz(1ull << c->page_shift, b), c->levels);
	return true;
}

static uint64_t indirect_need(const struct plan_in *in)
{
	return in->lay.total + in->pol->indirect_reserve;
}

/* Fit mode: the reserve is a wish, the memory itself is the must. */
static bool reserve_fit(const struct plan_in *in)
{
	return in->pol->indirect_reserve_fit && in->pol->indirect_reserve;
}

/*
 * Fit mode: the largest window below @win that passes geometry and budget
 * and still holds the memory. The first refusal (of the larger window) is
 * what fill_plan names as the room's bound.
 */
static bool shrink_to_fit(const struct plan_in *in, struct spapr_dma_candidate *c, uint64_t win)
{
	uint64_t page = 1ull << c->page_shift;
	uint64_t least = pow2_ceil(in->lay.total > page ? in->lay.total : page);

	while (win > least) {
		win >>= 1;
		if (ddw_geometry(in, c, win))
			return true;
	}
	return false;
}

static bool eval_indirect_ddw(const struct plan_in *in, struct spapr_dma_candidate *c)
{
	uint64_t need = indirect_need(in), win = in->pol->window_size;
	char a[24], b[24];

	if (!ddw_possible(in, c) || !page_usable(in, c))
		return false;
	if (!win)
		win = pow2_ceil(need > (1ull << c->page_shift) ? need : 1ull << c->page_shift);
	if (win < need && !(reserve_fit(in) && win >= in->lay.total)) {
		dma_fmt(c->reason, sizeof(c->reason), "forced window %s is smaller than the %s to map",
			sz(win, a), sz(need, b));
		c->window_size = win;
		return false;
	}
	if (!ddw_geometry(in, c, win) &&
	    (!reserve_fit(in) || in->pol->window_size || !shrink_to_fit(in, c, win)))
		return false;
	dma_fmt(c->reason, sizeof(c->reason), "dense IOVAs in a %s window with %s TCEs, %u level(s)",
		sz(c->window_size, a), sz(1ull << c->page_shift, b), c->levels);
	return true;
}

static bool eval_default(const struct plan_in *in, struct spapr_dma_candidate *c)
{
	const struct spapr_dma_caps *caps = in->caps;
	uint64_t need = indirect_need(in);
	char a[24], b[24], d[24];

	c->window_size = caps->dma32_size;
	c->levels = 1;
	/* An explicit size is the user's: never silently replaced by another. */
	if (in->pol->window_size && in->pol->window_size != caps->dma32_size) {
		dma_fmt(c->reason, sizeof(c->reason), "policy forces a %s window; the default window "
			"is %s", sz(in->pol->window_size, a), sz(caps->dma32_size, b));
		return false;
	}
	if (in->pol->page_shift && in->pol->page_shift != DMA32_PAGE_SHIFT) {
		dma_fmt(c->reason, sizeof(c->reason), "policy forces %s TCEs; the default window has 4 KiB",
			sz(1ull << in->pol->page_shift, a));
		return false;
	}
	if (reserve_fit(in) && need > caps->dma32_size)
		need = in->lay.total;	/* the reserve is cut to what the window leaves */
	if (!caps->dma32_size || need > caps->dma32_size) {
		dma_fmt(c->reason, sizeof(c->reason),
			"%s to map does not fit the %s default window (%s missing)", sz(need, a),
			sz(caps->dma32_size, b), sz(need > caps->dma32_size ? need - caps->dma32_size : need, d));
		return false;
	}
	c->table_bytes = spapr_dma_table_bytes(&caps->platform, DMA32_PAGE_SHIFT,
					       caps->dma32_size, 1);
	if (!cand_affordable(in, c))
		return false;
	dma_fmt(c->reason, sizeof(c->reason), "dense IOVAs in the default window [0x%llx, +%s) "
		"with 4 KiB TCEs", (unsigned long long)caps->dma32_start, sz(caps->dma32_size, b));
	return true;
}

/* ---- putting it together ---- */

/* What keeps a window twice the size of @c's from being planned. */
static void name_room_bound(const struct plan_in *in, const struct spapr_dma_candidate *c,
			    char *buf, size_t len)
{
	const struct spapr_dma_caps *caps = in->caps;
	const struct spapr_dma_platform *p = &caps->platform;
	uint64_t bigger = c->window_size * 2;
	unsigned int levels = spapr_dma_levels_needed(p, c->page_shift, bigger, caps->max_levels);
	char a[24];

	if (c->default_window)
		dma_fmt(buf, len, "the %s default window", sz(c->window_size, a));
	else if (in->pol->window_size)
		dma_fmt(buf, len, "forced window_size %s", sz(c->window_size, a));
	else if (p->ddw_max_entries && (bigger >> c->page_shift) > p->ddw_max_entries)
		dma_fmt(buf, len, "TCE budget %s window", sz(c->window_size, a));
	else if (!levels)
		dma_fmt(buf, len, "TCE table levels: %s window", sz(c->window_size, a));
	else if (in->pol->table_budget &&
		 spapr_dma_table_bytes(p, c->page_shift, bigger, levels) + in->default_table >
		 in->pol->table_budget)
		dma_fmt(buf, len, "table budget %s", sz(in->pol->table_budget, a));
	else
		dma_fmt(buf, len, "RLIMIT_MEMLOCK %s", sz(memlock_avail(in->pol), a));
}

/*
 * Indirect: the bytes that may still be added. In fit mode growth is also
 * registered (charged to locked_vm, §3.5), so RLIMIT_MEMLOCK caps it too.
 */
static void plan_room(const struct plan_in *in, const struct spapr_dma_candidate *c,
		      struct spapr_dma_plan *out)
{
	uint64_t room = c->window_size - in->lay.total;
	char a[24];

	out->room_bound[0] = '\0';
	if (reserve_fit(in) && memlock_limited(in->pol)) {
		uint64_t avail = memlock_avail(in->pol);
		uint64_t left = avail > c->locked_bytes ? avail - c->locked_bytes : 0;

		if (left < room && left < in->pol->indirect_reserve) {
			out->room_bytes = left;
			dma_fmt(out->room_bound, sizeof(out->room_bound), "RLIMIT_MEMLOCK %s",
				sz(avail, a));
			return;
		}
	}
	out->room_bytes = room;
	if (room < in->pol->indirect_reserve)
		name_room_bound(in, c, out->room_bound, sizeof(out->room_bound));
}

static void fill_plan(const struct plan_in *in, const struct spapr_dma_candidate *c,
		      struct spapr_dma_plan *out)
{
	const struct spapr_dma_caps *caps = in->caps;
	bool ddw = !c->default_window;

	out->valid = true;
	out->mode = c->mode;
	out->basis = in->pa_basis ? SPAPR_DMA_IOVA_PA : SPAPR_DMA_IOVA_VA;
	out->default_window = c->default_window;
	out->keep_default = ddw && in->keep_default;
	out->page_shift = c->page_shift;
	out->window_size = c->window_size;
	out->levels = c->levels;
	if (!ddw)
		out->expected_start = caps->dma32_start;
	else if (caps->platform.kind == SPAPR_DMA_PLATFORM_PSERIES)
		out->expected_start = caps->platform.ddw_start_hint;
	else
		out->expected_start = in->keep_default ? 1ull << 59 : caps->dma32_start;
	out->table_bytes = c->table_bytes;
	out->register_bytes = in->lay.total;
	out->locked_bytes = c->locked_bytes;
	out->mapped_bytes = in->lay.total;
	out->registrations = in->lay.nregs;
	out->maps = in->lay.npieces;
	if (c->mode == SPAPR_DMA_MODE_INDIRECT) /* one MAP per registration: IOVAs are ours */
		out->maps = in->lay.nregs;
	/* Window ops: REMOVE(pending) + CREATE, or CREATE only when the default
	 * window is kept (pseries), or none when the pending default window is used. */
	out->kernel_ops = (ddw ? (out->keep_default ? 1 : 2) : 0) + out->registrations + out->maps;
	if (c->mode == SPAPR_DMA_MODE_INDIRECT)
		plan_room(in, c, out);
}

/* Bytes the device can map at all when its windows are capped (0 = no cap known). */
static uint64_t device_capacity(const struct plan_in *in)
{
	const struct spapr_dma_caps *caps = in->caps;
	uint64_t best = caps->dma32_size, ent = caps->platform.ddw_max_entries;
	unsigned int b;

	if (!caps->ddw || !caps->max_levels || caps->max_windows == PSERIES_QUIRK_WINDOWS)
		return best;
	if (!ent)
		return 0;
	for (b = 12; b <= in->mem_shift && b < 40; b++)
		if (((caps->pgsizes >> b) & 1) && (ent << b) > best)
			best = ent << b;
	return best;
}

/* Why direct mode lost, in one sentence (the example wording). */
static void indirect_remedy(const struct plan_in *in, struct spapr_dma_plan *out, uint64_t top_pg)
{
	struct spapr_dma_explain *e = &out->explain;
	const struct spapr_dma_candidate *d = NULL;
	unsigned int i;
	char a[24], b[24], s[24], t[24];

	if (in->costly_direct >= 0) {
		d = &e->cand[in->costly_direct];
		dma_fmt(e->remedy, sizeof(e->remedy),
			"direct window of %s would charge %s of locked_vm for %s of memory; indirect "
			"uses %s: indirect mode is used (policy direct forces the 1:1 window)",
			sz(d->window_size, a), sz(d->table_bytes, b), sz(in->lay.total, s),
			sz(out->table_bytes, t));
		return;
	}
	for (i = 0; i < e->ncand && !d; i++)
		if (e->cand[i].mode == SPAPR_DMA_MODE_DIRECT && e->cand[i].window_size)
			d = &e->cand[i];
	if (top_pg < (1ull << in->mem_shift) && d)
		dma_fmt(e->remedy, sizeof(e->remedy),
			"this device allows only %s TCEs and a 1:1 window would need %s: indirect "
			"mode is used", sz(top_pg, a), sz(d->window_size, b));
	else if (d)
		dma_fmt(e->remedy, sizeof(e->remedy), "direct mode rejected (%s): indirect mode is used",
			d->reason);
	else
		dma_fmt(e->remedy, sizeof(e->remedy), "no DDW is possible on this device: indirect "
			"mode in the %s default window is used", sz(in->caps->dma32_size, a));
}

static void remedy(const struct plan_in *in, struct spapr_dma_plan *out, int rc)
{
	struct spapr_dma_explain *e = &out->explain;
	uint64_t best = UINT64_MAX, top_pg = 0;
	unsigned int i, b;
	char a[24], s[24];

	for (i = 0; i < e->ncand; i++)
		if (strstr(e->cand[i].reason, "RLIMIT_MEMLOCK") && e->cand[i].locked_bytes < best)
			best = e->cand[i].locked_bytes;
	for (b = 12; b < 40; b++)
		if ((in->caps->pgsizes >> b) & 1)
			top_pg = 1ull << b;
	if (rc && best != UINT64_MAX) {
		/* Rounded up, so that the number given is enough. */
		uint64_t need = align_up(in->pol->memlock_used + best, 1ull << 20);

		dma_fmt(e->remedy, sizeof(e->remedy),
			"raise RLIMIT_MEMLOCK to %llu MiB (ulimit -l %llu)",
			(unsigned long long)(need >> 20), (unsigned long long)(need >> 10));
	} else if (rc && in->pol->window_size && in->pol->window_size < indirect_need(in)) {
		dma_fmt(e->remedy, sizeof(e->remedy),
			"the forced window size %s cannot hold the %s to map: give a larger "
			"window_size, or none (the planner then sizes the window)",
			sz(in->pol->window_size, a), sz(indirect_need(in), s));
	} else if (rc && device_capacity(in) && device_capacity(in) < indirect_need(in)) {
		dma_fmt(e->remedy, sizeof(e->remedy),
			"this device can map at most %s (%s): map at most that much memory",
			sz(device_capacity(in), a),
			in->caps->platform.ddw_max_entries ? "largest_available_block TCEs of the "
							     "largest page" : "its default window");
	} else if (rc && top_pg > (1ull << in->mem_shift) && in->mem_shift < 40) {
		dma_fmt(e->remedy, sizeof(e->remedy),
			"use %s hugepages (the memory allows only %s TCEs), or a larger table budget",
			sz(top_pg > (1ull << 30) ? 1ull << 30 : top_pg, a),
			sz(1ull << in->mem_shift, s));
	} else if (rc) {
		dma_fmt(e->remedy, sizeof(e->remedy),
			"map less memory, use larger hugepages, or allow indirect mode");
	} else if (out->mode == SPAPR_DMA_MODE_INDIRECT && in->pol->mode == SPAPR_DMA_MODE_AUTO) {
		indirect_remedy(in, out, top_pg);
	}
}

static int plan_prepare(struct plan_in *in, struct spapr_dma_plan *out)
{
	const struct spapr_dma_caps *caps = in->caps;
	char why[SPAPR_DMA_TEXT];
	unsigned int i;
	int rc;

	in->pa_basis = in->pol->iova_mode == SPAPR_DMA_IOVA_PA;
	rc = dma_layout_build(in->r, in->n, caps->platform.system_page_shift, in->pa_basis,
			      &in->lay, why, sizeof(why));
	if (rc) {
		dma_fmt(out->explain.remedy, sizeof(out->explain.remedy), "%s", why);
		return rc;
	}
	/* No memory yet: only system pages are certain to come (hotplug later). */
	in->mem_shift = in->n ? dma_mem_max_shift(in->r, in->n, in->pa_basis, &in->limiting) :
				caps->platform.system_page_shift;
	in->top = in->pol->direct_top;
	for (i = 0; i < in->n; i++) {
		uint64_t end = (in->pa_basis ? in->r[i].pa : in->r[i].va) + in->r[i].len;

		if (end > in->top)
			in->top = end;
	}
	/* pseries: a failed DDW create poisons the PE and the default window
	 * can then never come back (§6, testbed). With two windows allowed,
	 * keep the default window (CREATE materialises it in slot 0 and puts
	 * the DDW in slot 1) so that a DDW failure still leaves a window. */
	in->keep_default = caps->platform.kind == SPAPR_DMA_PLATFORM_PSERIES &&
			   caps->max_windows >= 2 && caps->max_windows != PSERIES_QUIRK_WINDOWS;
	if (in->keep_default)
		in->default_table = spapr_dma_table_bytes(&caps->platform, DMA32_PAGE_SHIFT,
							  caps->dma32_size, 1);
	return 0;
}

static int try_ddw(struct plan_in *in, struct spapr_dma_plan *out, enum spapr_dma_mode mode)
{
	unsigned int b;

	for (b = 40; b >= 12; b--) {
		struct spapr_dma_candidate *c;
		bool ok;

		if (!((in->caps->pgsizes >> b) & 1))
			continue;
		c = cand_new(out, mode, b, false);
		ok = mode == SPAPR_DMA_MODE_DIRECT ? eval_direct(in, c) : eval_indirect_ddw(in, c);
		if (ok) {
			c->accepted = c->chosen = true;
			fill_plan(in, c, out);
			return 0;
		}
	}
	if (!(in->caps->pgsizes >> 12)) {
		struct spapr_dma_candidate *c = cand_new(out, mode, 12, false);

		dma_fmt(c->reason, sizeof(c->reason), "pgsizes 0x%llx offers no TCE size",
			(unsigned long long)in->caps->pgsizes);
	}
	return -ENOSPC;
}

static int try_default(struct plan_in *in, struct spapr_dma_plan *out)
{
	struct spapr_dma_candidate *c = cand_new(out, SPAPR_DMA_MODE_INDIRECT, 12, true);

	if (!eval_default(in, c))
		return -ENOSPC;
	c->accepted = c->chosen = true;
	fill_plan(in, c, out);
	return 0;
}

/* ---- the cost rule (trap §10.9, auto mode) ---- */

/*
 * The largest TCE-table charge a direct window may have in auto mode:
 * max(SPAPR_DMA_DIRECT_TABLE_FLOOR, memory / SPAPR_DMA_DIRECT_TABLE_RATIO),
 * and, under a finite RLIMIT_MEMLOCK, at most half of what the limit leaves
 * once the memory is registered (the other half stays for hotplug and for
 * the tables of other containers). Sets @why to the rule that bounds it.
 */
static uint64_t direct_allowance(const struct plan_in *in, char *why, size_t len)
{
	const struct spapr_dma_policy *pol = in->pol;
	uint64_t a = in->lay.total / SPAPR_DMA_DIRECT_TABLE_RATIO;
	char f[24];

	dma_fmt(why, len, "1/%u of the memory", SPAPR_DMA_DIRECT_TABLE_RATIO);
	if (a <= SPAPR_DMA_DIRECT_TABLE_FLOOR) {
		a = SPAPR_DMA_DIRECT_TABLE_FLOOR;
		dma_fmt(why, len, "the %s floor", sz(a, f));
	}
	if (memlock_limited(pol)) {
		uint64_t avail = memlock_avail(pol);
		uint64_t half = avail > in->lay.total ? (avail - in->lay.total) / 2 : 0;

		if (half < a) {
			a = half;
			dma_fmt(why, len, "half of the RLIMIT_MEMLOCK room left after the memory");
		}
	}
	return a;
}

static struct spapr_dma_candidate *chosen_cand(struct spapr_dma_plan *out)
{
	unsigned int i;

	for (i = 0; i < out->explain.ncand; i++)
		if (out->explain.cand[i].chosen)
			return &out->explain.cand[i];
	return NULL;
}

/*
 * A 1:1 window is sized by the highest address, not by the memory, and the
 * kernel charges its whole table to locked_vm even when the lower levels
 * are allocated on demand (§5.3): 16 MiB of hugepages at VA 0x7f.. need a
 * 128 TiB window charging 1 GiB. Set such a direct window aside (it comes
 * back when no cheaper window exists); returns whether it was set aside.
 */
static bool set_aside_costly_direct(struct plan_in *in, struct spapr_dma_plan *out)
{
	struct spapr_dma_candidate *c = chosen_cand(out);
	char a[24], b[24], d[24], f[24], why[64];
	uint64_t allow = direct_allowance(in, why, sizeof(why));

	/* No memory yet: nothing to weigh the table against, and a dense
	 * window would be sized by indirect_reserve alone (hotplug would not
	 * fit): the caller's direct_top decides. */
	if (!c || !in->lay.total || c->table_bytes <= allow)
		return false;
	c->chosen = c->accepted = false;
	in->costly_direct = (int)(c - out->explain.cand);
	dma_fmt(c->reason, sizeof(c->reason),
		"direct window of %s would charge %s of locked_vm for %s of memory (allowed: %s, "
		"%s)", sz(c->window_size, a), sz(c->table_bytes, b), sz(in->lay.total, d),
		sz(allow, f), why);
	return true;
}

/* Indirect won on cost: say what it costs next to the direct window. */
static void note_cheaper(const struct plan_in *in, struct spapr_dma_plan *out)
{
	struct spapr_dma_candidate *c = &out->explain.cand[in->costly_direct];
	size_t len = strlen(c->reason);
	char a[24];

	dma_fmt(c->reason + len, sizeof(c->reason) - len, "; indirect uses %s",
		sz(out->table_bytes, a));
}

/* No cheaper window exists: the costly direct window is the plan after all. */
static int take_back_direct(const struct plan_in *in, struct spapr_dma_plan *out)
{
	struct spapr_dma_candidate *c = &out->explain.cand[in->costly_direct];
	size_t len = strlen(c->reason);

	c->accepted = c->chosen = true;
	dma_fmt(c->reason + len, sizeof(c->reason) - len, "; chosen: no cheaper window exists");
	fill_plan(in, c, out);
	return 0;
}

/*
 * Fit mode: a DDW cut below the reserve may hold less than the default
 * window (a small hypervisor TCE budget): then the default window is used.
 */
static void prefer_larger_default(struct plan_in *in, struct spapr_dma_plan *out)
{
	struct spapr_dma_candidate *ddw = chosen_cand(out);
	size_t len;

	if (!reserve_fit(in) || ddw == NULL || ddw->default_window || !out->room_bound[0] ||
	    in->caps->dma32_size <= out->window_size)
		return;
	if (try_default(in, out))
		return;
	ddw->chosen = false;
	len = strlen(ddw->reason);
	dma_fmt(ddw->reason + len, sizeof(ddw->reason) - len,
		"; the default window leaves more room");
}

/* Direct, then a dense DDW, then the default window; in auto mode a costly
 * direct window yields to a cheaper indirect one (the cost rule). */
static int plan_choose(struct plan_in *in, struct spapr_dma_plan *out)
{
	enum spapr_dma_mode m = in->pol->mode;
	bool aside = false;
	int rc;

	if (m != SPAPR_DMA_MODE_INDIRECT && !try_ddw(in, out, SPAPR_DMA_MODE_DIRECT)) {
		if (m == SPAPR_DMA_MODE_DIRECT || !(aside = set_aside_costly_direct(in, out)))
			return 0;
	}
	if (m == SPAPR_DMA_MODE_DIRECT)
		return -ENOSPC;
	rc = try_ddw(in, out, SPAPR_DMA_MODE_INDIRECT);
	if (rc)
		rc = try_default(in, out);
	else
		prefer_larger_default(in, out);
	if (!aside)
		return rc;
	if (!rc && out->table_bytes < out->explain.cand[in->costly_direct].table_bytes) {
		note_cheaper(in, out);
		return 0;
	}
	if (!rc && chosen_cand(out))	/* the indirect window is no cheaper */
		chosen_cand(out)->chosen = false;
	return take_back_direct(in, out);
}

int spapr_dma_plan_make(const struct spapr_dma_caps *caps,
			const struct spapr_dma_mem_region *regions, unsigned int n,
			const struct spapr_dma_policy *pol, struct spapr_dma_plan *out)
{
	static const struct spapr_dma_policy dflt;
	struct plan_in in = { .caps = caps, .pol = pol ? pol : &dflt, .r = regions, .n = n,
			      .costly_direct = -1 };
	unsigned int i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (in.pol->page_shift && (in.pol->page_shift < 12 || in.pol->page_shift > 40)) {
		dma_fmt(out->explain.remedy, sizeof(out->explain.remedy),
			"policy page shift %u is out of range", in.pol->page_shift);
		return -EINVAL;
	}
	rc = plan_prepare(&in, out);
	if (rc)
		return rc;
	rc = plan_choose(&in, out);
	if (rc) {
		for (i = 0; i < out->explain.ncand; i++)
			if (strstr(out->explain.cand[i].reason, "RLIMIT_MEMLOCK"))
				rc = -ENOMEM;
	}
	remedy(&in, out, rc);
	dma_layout_free(&in.lay);
	return rc;
}

/* ---- text ---- */

static const char *mode_name(const struct spapr_dma_candidate *c)
{
	if (c->default_window)
		return "indirect/default";
	return c->mode == SPAPR_DMA_MODE_DIRECT ? "direct/DDW" : "indirect/DDW";
}

int spapr_dma_plan_format(const struct spapr_dma_plan *p, char *buf, size_t len)
{
	const struct spapr_dma_explain *e = &p->explain;
	size_t off = 0;
	unsigned int i;
	char a[24], b[24], t[24], l[24];

#define OUT(...)                                                                     \
	do {                                                                         \
		if (off < len)                                                       \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);  \
	} while (0)
	if (len)
		buf[0] = 0;
	if (p->valid)
		OUT("plan: %s, %s TCEs, window %s (levels %u, expected start 0x%llx)%s\n"
		    "      table %s charged, locked_vm +%s, %u REGISTER + %u MAP, %u kernel ops\n",
		    p->mode == SPAPR_DMA_MODE_DIRECT ?
			    (p->basis == SPAPR_DMA_IOVA_PA ? "direct (IOVA = start + PA)" :
							     "direct (IOVA = start + VA)") :
			    (p->default_window ? "indirect in the default window" :
						 "indirect in a DDW"),
		    sz(1ull << p->page_shift, a), sz(p->window_size, b), p->levels,
		    (unsigned long long)p->expected_start,
		    p->keep_default ? ", default window kept" : "", sz(p->table_bytes, t),
		    sz(p->locked_bytes, l), p->registrations, p->maps, p->kernel_ops);
	else
		OUT("plan: none possible\n");
	for (i = 0; i < e->ncand; i++) {
		const struct spapr_dma_candidate *c = &e->cand[i];

		OUT("  %s %-16s %7s TCEs window %-9s: %s\n",
		    c->chosen ? "*" : (c->accepted ? "+" : "-"), mode_name(c),
		    sz(1ull << c->page_shift, a), c->window_size ? sz(c->window_size, b) : "-",
		    c->reason);
	}
	if (e->remedy[0])
		OUT("  remedy: %s\n", e->remedy);
#undef OUT
	return (int)(off < len ? off : len ? len - 1 : 0);
}
