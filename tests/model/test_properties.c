/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Property tests: seeded random sequences of container/group operations on
 * several profiles. After EVERY operation:
 *   P1 spapr_model_check_invariants() == 0;
 *   P2 locked_vm of mm 0 equals what the test derives from the outside:
 *      registered regions (incl. orphans) in system pages + every window's
 *      bytes_charged / PAGE_SIZE + v1 locked pages + charges of containers
 *      whose fd was closed while groups kept them alive + leaked_pages (§2,
 *      §3.5, §3.6, §4, §5.3);
 *   P3 every TCE the model reports valid translates, through
 *      spapr_model_dma_check on a group of that container, to a host address
 *      inside a registered region, with the TCE's permissions; the number of
 *      valid TCEs found equals the window's tces_in_use.
 * At the end closing everything leaves only orphaned regions and leaked
 * charges, and nothing at all when those quirks are off. (In the quirks-off
 * runs MAP only uses regions the mapping container holds itself: a region
 * mapped by another container than its registrant is orphaned at release by
 * the kernel's ordinary rules, §4, quirk or not.)
 * On failure the seed and the operation are printed; the sequence is fully
 * reproducible from the seed: `model_test_properties <seed>` replays one,
 * PROP_TRACE=1 prints every operation.
 */
#include <stdlib.h>

#include "model_test.h"

#define NSEEDS 50
#define NOPS 300
#define NCONT 3
#define NGROUP 3
#define MAXCAND 16384
#define MAXOWN 64

struct variant {
	const char *profile;
	bool quirks_off;
	bool limited;	/* 256 MiB memlock */
};

static const struct variant variants[] = {
	{ "powernv9", false, false },
	{ "powernv8", false, true },
	{ "pseries-kvm", false, false },
	{ "powernv9-4k", false, true },
	{ "powernv9", true, true },
};

/* A window as the test knows it: TCE scanning is keyed by its geometry. */
struct wkey {
	uint64_t start, size;
	unsigned int shift;
};

/* An entry some MAP may have made valid; dropped once it reads 0. */
struct cand {
	int cont;
	int slot;
	struct wkey w;
	uint64_t idx;		/* entry index (bus address >> shift) */
};

/* Which containers hold a reference on a region (test's own view). */
struct owner {
	uint64_t va, size;
	unsigned int mask;	/* bit per container index */
};

struct cont {
	int h;			/* handle, -1 if not open */
	bool zombie;		/* fd closed, groups keep it alive */
	uint64_t zombie_pages;	/* its charges when the fd was closed */
};

struct grp {
	int h;		/* handle, -1 if not open */
	int cont;	/* container index it is attached to, -1 */
};

static struct {
	struct spapr_model *m;
	const struct spapr_backend_ops *o;
	struct spapr_backend *be;
	unsigned int sys_shift;
	bool pnv;
	uint64_t rng;
	struct cont c[NCONT];
	struct grp g[NGROUP];
	struct cand cand[MAXCAND];
	int ncand;
	struct owner own[MAXOWN];
	int nown;
	bool quirks_off;
	uint64_t dma32_size;
	char last_op[160];
} S;

/* Outcome tally over all seeds, printed at the end so a run shows that the
 * sequences really reach success and error paths of every op. */
static const char *const kinds[] = { "set_container", "set_iommu", "enable",
	"register", "unregister", "create", "remove", "map", "unmap" };
static uint64_t tally_ok[9], tally_err[9], tces_checked;

static void tally(int kind, int rc)
{
	if (rc == 0)
		tally_ok[kind]++;
	else
		tally_err[kind]++;
}

static uint64_t rnd(void)
{
	/* xorshift64* */
	S.rng ^= S.rng >> 12;
	S.rng ^= S.rng << 25;
	S.rng ^= S.rng >> 27;
	return S.rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

struct vma_decl {
	uint64_t va, len;
	unsigned int shift;
	unsigned int flags;
};

static struct vma_decl vmas[3];

static void declare_vmas(void)
{
	vmas[0] = (struct vma_decl){ MT_VA0, 64 * MT_MIB, S.sys_shift, 0 };
	vmas[1] = (struct vma_decl){ MT_VA1, 64 * MT_MIB, 24, SPAPR_MODEL_VMA_HUGETLB };
	vmas[2] = (struct vma_decl){ MT_VA2, 32 * MT_MIB, 21, SPAPR_MODEL_VMA_HUGETLB };
	for (int i = 0; i < 3; i++)
		T_ERR(spapr_model_mm_map(S.m, 0, vmas[i].va, vmas[i].len, vmas[i].shift,
					 vmas[i].flags, NULL), 0);
}

static int live_cont(void)
{
	int idx[NCONT], n = 0;

	for (int i = 0; i < NCONT; i++)
		if (S.c[i].h >= 0 && !S.c[i].zombie)
			idx[n++] = i;
	return n ? idx[rn((uint64_t)n)] : -1;
}

static int attached_group(int ci)
{
	for (int i = 0; i < NGROUP; i++)
		if (S.g[i].h >= 0 && S.g[i].cont == ci)
			return i;
	return -1;
}

static bool cinfo(int ci, struct spapr_model_container_info *info)
{
	memset(info, 0, sizeof(*info));
	return S.c[ci].h >= 0 && !S.c[ci].zombie &&
	       spapr_model_container_info(S.m, S.c[ci].h, info) == 0;
}

static uint64_t cont_pages(const struct spapr_model_container_info *ci)
{
	uint64_t p = ci->v1_locked_pages;

	for (int s = 0; s < 2; s++)
		if (ci->windows[s].present)
			p += ci->windows[s].bytes_charged >> S.sys_shift;
	return p;
}

/* A group left container @ci: a zombie container dies with its last group. */
static void own_release(int ci);

static void group_left(int ci)
{
	if (ci >= 0 && attached_group(ci) < 0)
		own_release(ci);
	if (ci >= 0 && S.c[ci].zombie && attached_group(ci) < 0) {
		S.c[ci].zombie = false;
		S.c[ci].h = -1;
		S.c[ci].zombie_pages = 0;
	}
}

/* Remember that entries of the window containing [iova, iova+size) of
 * container @ci may have been written. */
static void record(int ci, uint64_t iova, uint64_t size)
{
	struct spapr_model_container_info info;

	if (!cinfo(ci, &info) || size == 0)
		return;
	for (int s = 0; s < 2; s++) {
		const struct spapr_model_window_info *w = &info.windows[s];
		uint64_t lo, hi;

		if (!w->present || iova < w->start || iova >= w->start + w->size)
			continue;
		lo = iova >> w->page_shift;
		hi = (iova + size + (1ull << w->page_shift) - 1) >> w->page_shift;
		if (hi > (w->start + w->size) >> w->page_shift)
			hi = (w->start + w->size) >> w->page_shift;
		for (uint64_t e = lo; e < hi; e++) {
			T_CHECK(S.ncand < MAXCAND);
			if (S.ncand >= MAXCAND)
				return;
			S.cand[S.ncand++] = (struct cand){ ci, s,
				{ w->start, w->size, w->page_shift }, e };
		}
	}
}

/* Region ownership, to keep cross-container mappings out of the
 * quirks-off runs (there a region mapped by another container than its
 * registrant is orphaned at release by the kernel's own rules, §4). */
static struct owner *owner_of(uint64_t va, uint64_t size)
{
	for (int i = 0; i < S.nown; i++)
		if (S.own[i].va == va && S.own[i].size == size)
			return &S.own[i];
	return NULL;
}

static void own_update(int ci, uint64_t va, uint64_t size, bool add)
{
	struct owner *o = owner_of(va, size);

	if (!o && add && S.nown < MAXOWN) {
		o = &S.own[S.nown++];
		*o = (struct owner){ va, size, 0 };
	}
	if (!o)
		return;
	if (add)
		o->mask |= 1u << ci;
	else
		o->mask &= ~(1u << ci);
}

/* Container @ci was released (its last group left): it dropped all its
 * region references. */
static void own_release(int ci)
{
	for (int i = 0; i < S.nown; i++)
		S.own[i].mask &= ~(1u << ci);
}

/* ---------------------------------------------------------------------- */
/* Operations                                                             */
/* ---------------------------------------------------------------------- */

static void op_open_container(void)
{
	for (int i = 0; i < NCONT; i++) {
		if (S.c[i].h >= 0)
			continue;
		S.c[i].h = S.o->container_open(S.be);
		T_CHECK(S.c[i].h >= 0);
		snprintf(S.last_op, sizeof(S.last_op), "container_open -> c%d", i);
		return;
	}
}

static void op_group(void)
{
	int gi = (int)rn(NGROUP), ci, rc;
	struct grp *g = &S.g[gi];

	if (g->h < 0) {
		g->h = S.o->group_open(S.be, gi);
		T_CHECK(g->h >= 0);
		g->cont = -1;
		snprintf(S.last_op, sizeof(S.last_op), "group_open %d", gi);
		return;
	}
	switch (rn(4)) {
	case 0:
	case 1:
		ci = live_cont();
		if (ci < 0)
			return;
		rc = S.o->group_set_container(S.be, g->h, S.c[ci].h);
		snprintf(S.last_op, sizeof(S.last_op), "set_container g%d c%d = %d",
			 gi, ci, rc);
		tally(0, rc);
		if (rc == 0)
			g->cont = ci;
		break;
	case 2:
		rc = S.o->group_unset_container(S.be, g->h);
		snprintf(S.last_op, sizeof(S.last_op), "unset_container g%d = %d", gi, rc);
		if (rc == 0) {
			ci = g->cont;
			g->cont = -1;
			group_left(ci);
		}
		break;
	default:
		rc = S.o->close(S.be, g->h);
		snprintf(S.last_op, sizeof(S.last_op), "close g%d = %d", gi, rc);
		T_ERR(rc, 0);
		ci = g->cont;
		g->h = -1;
		g->cont = -1;
		group_left(ci);
		break;
	}
}

static void op_close_container(int ci)
{
	struct spapr_model_container_info info;
	uint64_t pages = cinfo(ci, &info) ? cont_pages(&info) : 0;
	int rc = S.o->close(S.be, S.c[ci].h);

	snprintf(S.last_op, sizeof(S.last_op), "close c%d = %d", ci, rc);
	T_ERR(rc, 0);
	if (attached_group(ci) >= 0) {
		S.c[ci].zombie = true;
		S.c[ci].zombie_pages = pages;
	} else {
		S.c[ci].h = -1;
	}
}

static void op_register(int ci, bool unreg)
{
	const struct vma_decl *v = &vmas[rn(3)];
	uint64_t unit = rn(2) ? 1ull << v->shift : 1ull << S.sys_shift;
	uint64_t units = v->len / unit, off = rn(units), n = 1 + rn(units - off < 16 ? units - off : 16);
	uint64_t va = v->va + off * unit, size = n * unit;
	int rc;

	if (unreg && rn(5)) {
		struct spapr_model_region_info r[16];
		int nr = spapr_model_mm_regions(S.m, 0, r, 16);

		if (nr > 0) {
			int k = (int)rn((uint64_t)(nr < 16 ? nr : 16));

			va = r[k].ua;
			size = r[k].size;
		}
	}
	if (rn(25) == 0)
		va += 0x1000;	/* misaligned: -EINVAL */
	rc = unreg ? mt_unreg(S.m, S.c[ci].h, va, size) : mt_reg(S.m, S.c[ci].h, va, size);
	snprintf(S.last_op, sizeof(S.last_op), "%s c%d %#llx+%#llx = %d",
		 unreg ? "unregister" : "register", ci, (unsigned long long)va,
		 (unsigned long long)size, rc);
	tally(unreg ? 4 : 3, rc);
	if (rc == 0)
		own_update(ci, va, size, !unreg);
}

static void op_create(int ci)
{
	static const unsigned int shifts[] = { 12, 16, 21, 24, 30 };
	unsigned int shift = shifts[rn(5)], levels = 1 + (unsigned int)rn(3);
	/* one-level tables stay small: the invariant checker walks every
	 * entry after every op */
	unsigned int maxk = levels == 1 ? 14 : 24;
	unsigned int k = shift + 4 + (unsigned int)rn(maxk - 3);
	uint64_t start = 0;
	int rc;

	if (levels == 1 && rn(20) == 0)
		k = shift + 22;		/* > 16 MiB level: -ENOMEM, leaked */
	if (k > 44)
		k = 44;
	rc = mt_create_win(S.m, S.c[ci].h, shift, 1ull << k, levels, &start);
	snprintf(S.last_op, sizeof(S.last_op),
		 "create c%d shift %u size 2^%u levels %u = %d (start %#llx)", ci,
		 shift, k, levels, rc, (unsigned long long)start);
	tally(5, rc);
}

static void op_remove(int ci)
{
	struct spapr_model_container_info info;
	uint64_t start = 0;
	int rc, s = (int)rn(2);

	cinfo(ci, &info);
	if (info.windows[s].present)
		start = info.windows[s].start +
			(rn(4) ? 0 : rn(info.windows[s].size));
	else if (rn(4) == 0)
		start = rnd() & ~0xfffull;
	rc = mt_remove(S.m, S.c[ci].h, start);
	snprintf(S.last_op, sizeof(S.last_op), "remove c%d %#llx = %d", ci,
		 (unsigned long long)start, rc);
	tally(6, rc);
}

/* A mostly valid MAP/UNMAP: a present window (or the pending default one at
 * 0 with 4 KiB pages), a registered region, 1..16 IOMMU pages. */
static void op_map(int ci, bool unmap)
{
	struct spapr_model_container_info info;
	struct spapr_model_region_info r[16];
	uint64_t wstart = 0, wsize = S.dma32_size, ps, n, iova, va = 0, entries;
	unsigned int shift = 12;
	int nr, rc, s = (int)rn(2);
	uint32_t flags;

	cinfo(ci, &info);
	if (!info.windows[s].present)
		s = !s;
	if (info.windows[s].present) {
		wstart = info.windows[s].start;
		wsize = info.windows[s].size;
		shift = info.windows[s].page_shift;
	}
	ps = 1ull << shift;
	n = 1 + rn(16);
	entries = wsize >> shift;
	if (n > entries)
		n = entries;
	iova = wstart + rn(entries - n + 1) * ps;
	if (rn(60) == 0)
		iova = wstart + wsize - ps;	/* runs past the end: -EINVAL */
	nr = spapr_model_mm_regions(S.m, 0, r, 16);
	if (nr > 16)
		nr = 16;
	if (S.quirks_off && !unmap) {
		/* only regions this container holds (see own_update) */
		int j = 0;

		for (int i = 0; i < nr; i++) {
			const struct owner *o = owner_of(r[i].ua, r[i].size);

			if (o && (o->mask & (1u << ci)))
				r[j++] = r[i];
		}
		nr = j;
	}
	if (nr > 0) {
		int k = (int)rn((uint64_t)nr);
		uint64_t fit = r[k].size / ps;

		va = r[k].ua;
		if (fit > n)
			va += rn(fit - n + 1) * ps;
	} else if (S.quirks_off && !unmap) {
		return;
	} else {
		va = MT_VA0;
	}
	flags = (uint32_t)rn(3) + 1;	/* READ, WRITE, READ|WRITE */
	if (rn(40) == 0)
		flags = 0;
	if (unmap)
		rc = mt_unmap(S.m, S.c[ci].h, iova, n * ps);
	else
		rc = mt_map(S.m, S.c[ci].h, va, iova, n * ps, flags);
	snprintf(S.last_op, sizeof(S.last_op),
		 "%s c%d va %#llx iova %#llx pages %llu (ps 2^%u) flags %u = %d",
		 unmap ? "unmap" : "map", ci, (unsigned long long)va,
		 (unsigned long long)iova, (unsigned long long)n, shift, flags, rc);
	tally(unmap ? 8 : 7, rc);
	if (!unmap)
		record(ci, iova, n * ps);
}

static void op_misc(int ci)
{
	int rc;

	switch (rn(4)) {
	case 0:
		rc = S.o->set_iommu(S.be, S.c[ci].h, rn(6) ? VFIO_SPAPR_TCE_v2_IOMMU
							   : VFIO_SPAPR_TCE_IOMMU);
		snprintf(S.last_op, sizeof(S.last_op), "set_iommu c%d = %d", ci, rc);
		tally(1, rc);
		break;
	case 1:
		rc = S.o->enable(S.be, S.c[ci].h);
		snprintf(S.last_op, sizeof(S.last_op), "enable c%d = %d", ci, rc);
		tally(2, rc);
		break;
	case 2:
		rc = S.o->disable(S.be, S.c[ci].h);
		snprintf(S.last_op, sizeof(S.last_op), "disable c%d = %d", ci, rc);
		break;
	default:
		if (rn(3) == 0)
			op_close_container(ci);
		break;
	}
}

/* Bring container @ci one step towards a usable state (a group, an IOMMU
 * driver, a registration); returns false when it is there already. */
static bool progress(int ci)
{
	struct spapr_model_container_info info;
	int rc;

	if (!cinfo(ci, &info))
		return false;
	if (attached_group(ci) < 0) {
		for (int gi = 0; gi < NGROUP; gi++) {
			if (S.g[gi].h >= 0 && S.g[gi].cont >= 0)
				continue;
			if (S.g[gi].h < 0)
				S.g[gi].h = S.o->group_open(S.be, gi);
			T_CHECK(S.g[gi].h >= 0);
			rc = S.o->group_set_container(S.be, S.g[gi].h, S.c[ci].h);
			snprintf(S.last_op, sizeof(S.last_op),
				 "set_container g%d c%d = %d", gi, ci, rc);
			tally(0, rc);
			if (rc == 0)
				S.g[gi].cont = ci;
			return true;
		}
		return false;
	}
	if (!info.iommu_set) {
		rc = S.o->set_iommu(S.be, S.c[ci].h, rn(6) ? VFIO_SPAPR_TCE_v2_IOMMU
							  : VFIO_SPAPR_TCE_IOMMU);
		snprintf(S.last_op, sizeof(S.last_op), "set_iommu c%d = %d", ci, rc);
		tally(1, rc);
		return true;
	}
	if (!info.enabled) {
		if (info.v2) {
			op_register(ci, false);
		} else {
			rc = S.o->enable(S.be, S.c[ci].h);
			snprintf(S.last_op, sizeof(S.last_op), "enable c%d = %d", ci, rc);
			tally(2, rc);
		}
		return true;
	}
	return false;
}

static void step(void)
{
	int ci = live_cont();
	uint64_t r = rn(100);

	S.last_op[0] = 0;
	if (ci < 0 || r < 4) {
		op_open_container();
		return;
	}
	if (rn(10) < 7 && progress(ci))
		return;
	if (r < 16)
		op_group();
	else if (r < 26)
		op_misc(ci);
	else if (r < 38)
		op_register(ci, false);
	else if (r < 44)
		op_register(ci, true);
	else if (r < 54)
		op_create(ci);
	else if (r < 60)
		op_remove(ci);
	else if (r < 88)
		op_map(ci, false);
	else
		op_map(ci, true);
}

/* ---------------------------------------------------------------------- */
/* Properties                                                             */
/* ---------------------------------------------------------------------- */

static void check_locked(void)
{
	struct spapr_model_mm_info mi;
	struct spapr_model_region_info r[64];
	int nr;
	uint64_t want = 0;

	T_ERR(spapr_model_mm_info(S.m, 0, &mi), 0);
	nr = spapr_model_mm_regions(S.m, 0, r, 64);
	T_CHECK(nr >= 0 && nr < 64);
	T_EQ(nr, mi.regions);
	for (int i = 0; i < nr && i < 64; i++)
		want += r[i].size >> S.sys_shift;
	for (int ci = 0; ci < NCONT; ci++) {
		struct spapr_model_container_info info;

		if (S.c[ci].zombie)
			want += S.c[ci].zombie_pages;
		else if (cinfo(ci, &info))
			want += cont_pages(&info);
	}
	want += mi.leaked_pages;
	T_EQU(mi.locked_vm_pages, want);
}

/* Host-physical ranges of the registered regions, refreshed per check. */
static struct { uint64_t pa, size; } rpa[64];
static int nrpa;

static void load_region_pas(void)
{
	struct spapr_model_region_info r[64];
	int nr = spapr_model_mm_regions(S.m, 0, r, 64);

	nrpa = 0;
	for (int i = 0; i < nr && i < 64; i++)
		if (spapr_model_mm_va_to_pa(S.m, 0, r[i].ua, &rpa[nrpa].pa) == 0)
			rpa[nrpa++].size = r[i].size;
}

/* Is [hpa, hpa+len) inside a registered region (host-physical view)? */
static bool in_region(uint64_t hpa, uint64_t len)
{
	for (int i = 0; i < nrpa; i++)
		if (hpa >= rpa[i].pa && hpa + len <= rpa[i].pa + rpa[i].size)
			return true;
	return false;
}

/* v1 MAP pins pages directly (§3.8 v1): the TCE points into some VMA. */
static bool in_vma(uint64_t hpa, uint64_t len)
{
	for (int i = 0; i < 3; i++) {
		uint64_t pa;

		if (spapr_model_mm_va_to_pa(S.m, 0, vmas[i].va, &pa))
			continue;
		if (hpa >= pa && hpa + len <= pa + vmas[i].len)
			return true;
	}
	return false;
}

static void check_tce(int ci, int slot, const struct wkey *w, uint64_t idx,
		      uint64_t tce, bool v2)
{
	uint64_t ps = 1ull << w->shift, hpa = tce & ~(ps - 1), perm = tce & 3;
	unsigned int dir = 0;
	struct spapr_model_xlat x;
	int gi = attached_group(ci), rc;

	T_CHECK(perm != 0);
	T_EQU(tce & (ps - 1) & ~3ull, 0);
	if (S.pnv && (perm & 2))
		T_CHECK(perm & 1);	/* §5.1: W stored as R|W on PowerNV */
	if (v2)
		T_CHECK(in_region(hpa, ps));
	else
		T_CHECK(in_vma(hpa, ps));
	T_CHECK(gi >= 0);
	if (gi < 0)
		return;
	dir |= (perm & 1) ? SPAPR_MODEL_DMA_READ : 0;
	dir |= (perm & 2) ? SPAPR_MODEL_DMA_WRITE : 0;
	memset(&x, 0, sizeof(x));
	rc = spapr_model_dma_check(S.m, gi, idx << w->shift, ps, dir, &x);
	T_ERR(rc, 0);
	if (rc) {
		fprintf(stderr, "  slot %d idx %#llx tce %#llx\n", slot,
			(unsigned long long)idx, (unsigned long long)tce);
		spapr_model_pe_reset(S.m, gi);
		return;
	}
	T_EQU(x.hpa, hpa);
	T_EQU(x.perm, perm);
	tces_checked++;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->cont != y->cont)
		return x->cont < y->cont ? -1 : 1;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool same_window(const struct wkey *k, const struct spapr_model_window_info *w)
{
	return w->present && w->start == k->start && w->size == k->size &&
	       w->page_shift == k->shift;
}

/* P3: every candidate entry that is valid must translate correctly; the
 * number of valid entries per window equals its tces_in_use. Candidates
 * of vanished windows or reading 0 are dropped (a later MAP re-adds). */
static void check_tces(void)
{
	struct spapr_model_container_info info[NCONT];
	bool have[NCONT];
	uint64_t valid[NCONT][2];
	int j = 0;

	memset(valid, 0, sizeof(valid));
	load_region_pas();
	for (int ci = 0; ci < NCONT; ci++)
		have[ci] = cinfo(ci, &info[ci]);
	qsort(S.cand, (size_t)S.ncand, sizeof(S.cand[0]), cmp_cand);
	for (int i = 0; i < S.ncand; i++) {
		struct cand *c = &S.cand[i];
		uint64_t tce = 0;

		if (!have[c->cont] || !same_window(&c->w, &info[c->cont].windows[c->slot]))
			continue;
		if (j > 0 && cmp_cand(&S.cand[j - 1], c) == 0)
			continue;	/* duplicate */
		T_ERR(spapr_model_tce_read(S.m, S.c[c->cont].h, (unsigned int)c->slot,
					   c->idx, &tce), 0);
		if (!tce)
			continue;
		valid[c->cont][c->slot]++;
		check_tce(c->cont, c->slot, &c->w, c->idx, tce, info[c->cont].v2);
		S.cand[j++] = *c;
	}
	S.ncand = j;
	for (int ci = 0; ci < NCONT; ci++)
		for (int s = 0; have[ci] && s < 2; s++)
			if (info[ci].windows[s].present)
				T_EQU(info[ci].windows[s].tces_in_use, valid[ci][s]);
}

static void check_all(void)
{
	mt_invariants(S.m);
	check_locked();
	check_tces();
}

static void close_everything(bool quirks_off)
{
	struct spapr_model_mm_info mi;
	struct spapr_model_region_info r[64];
	uint64_t orphan_pages = 0;
	int nr;

	for (int i = 0; i < NGROUP; i++)
		if (S.g[i].h >= 0)
			T_ERR(S.o->close(S.be, S.g[i].h), 0);
	for (int i = 0; i < NCONT; i++)
		if (S.c[i].h >= 0 && !S.c[i].zombie)
			T_ERR(S.o->close(S.be, S.c[i].h), 0);
	mt_invariants(S.m);
	T_ERR(spapr_model_mm_info(S.m, 0, &mi), 0);
	nr = spapr_model_mm_regions(S.m, 0, r, 64);
	for (int i = 0; i < nr && i < 64; i++) {
		if (!r[i].orphaned || quirks_off)
			fprintf(stderr, "  left: region %#llx+%#llx used %llu mapped %llu%s\n",
				(unsigned long long)r[i].ua, (unsigned long long)r[i].size,
				(unsigned long long)r[i].used,
				(unsigned long long)r[i].mapped,
				r[i].orphaned ? " orphaned" : "");
		T_CHECK(r[i].orphaned);
		orphan_pages += r[i].size >> S.sys_shift;
	}
	T_EQU(mi.locked_vm_pages, orphan_pages + mi.leaked_pages);
	if (quirks_off) {
		T_EQU(mi.locked_vm_pages, 0);
		T_EQ(nr, 0);
	}
}

static void run_seed(uint64_t seed)
{
	const struct variant *v = &variants[seed % (sizeof(variants) / sizeof(variants[0]))];
	struct spapr_model_profile p;
	int before = t_failures;

	mt_profile(v->profile, &p);
	p.memlock_limit = v->limited ? 256 * MT_MIB : SPAPR_MODEL_UNLIMITED;
	p.cap_ipc_lock = false;
	if (p.groups < NGROUP)
		p.groups = NGROUP;
	/* a small default window keeps the per-op invariant walk cheap; the
	 * platform values themselves are checked in test_s9_profiles */
	p.dma32_size = 64 * MT_MIB;
	if (v->quirks_off) {
		p.quirk_leak_failed_create = false;
		p.quirk_unregister_orphans = false;
	}
	memset(&S, 0, sizeof(S));
	S.m = mt_create(&p);
	S.o = mt_ops(S.m);
	S.be = MT_BE(S.m);
	S.sys_shift = p.system_page_shift;
	S.pnv = p.platform == SPAPR_MODEL_POWERNV;
	S.quirks_off = v->quirks_off;
	S.dma32_size = p.dma32_size;
	S.rng = seed * 0x9E3779B97F4A7C15ull + 1;
	for (int i = 0; i < NCONT; i++)
		S.c[i].h = -1;
	for (int i = 0; i < NGROUP; i++)
		S.g[i] = (struct grp){ -1, -1 };
	declare_vmas();
	for (int op = 0; op < NOPS; op++) {
		step();
		if (getenv("PROP_TRACE"))
			fprintf(stderr, "op %d: %s\n", op, S.last_op);
		check_all();
		if (t_failures != before) {
			fprintf(stderr, "  seed %llu (%s%s) op %d: %s\n",
				(unsigned long long)seed, v->profile,
				v->quirks_off ? ", quirks off" : "", op, S.last_op);
			break;
		}
	}
	if (t_failures == before) {
		close_everything(v->quirks_off);
		if (t_failures != before)
			fprintf(stderr, "  seed %llu (%s): final close\n",
				(unsigned long long)seed, v->profile);
	}
	spapr_model_destroy(S.m);
}

static void properties_random_sequences(void)
{
	for (uint64_t seed = 1; seed <= NSEEDS; seed++)
		run_seed(seed);
	for (int k = 0; k < 9; k++)
		printf("  %-13s ok %6llu  error %6llu\n", kinds[k],
		       (unsigned long long)tally_ok[k], (unsigned long long)tally_err[k]);
	printf("  valid TCEs checked through the device side: %llu\n",
	       (unsigned long long)tces_checked);
	/* the sequences must reach the interesting states at all */
	for (int k = 0; k < 9; k++)
		T_CHECK(tally_ok[k] > 0 && tally_err[k] > 0);
	T_CHECK(tces_checked > 1000);
}

int main(int argc, char **argv)
{
	/* a single seed can be replayed: test_properties <seed> */
	if (argc > 1) {
		run_seed(strtoull(argv[1], NULL, 0));
		return t_finish();
	}
	T_RUN(properties_random_sequences);
	return t_finish();
}
