/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_mem.c - DPDK memory -> lib/dma, and the IOVAs DPDK hands out.
 *
 * The one mechanism for windows that do not start at 0 and for the indirect
 * fallback: after lib/dma has mapped a page, the page's memseg IOVA
 * (ms->iova) is set to the IOVA lib/dma gave it. In DPDK 22.11 every IOVA a
 * PMD can obtain from DPDK-managed memory is derived from ms->iova when the
 * EAL runs IOVA as PA, and for external (heap) memory in both modes:
 *   rte_malloc_virt2iova()  -> ms->iova + offset (lib/eal/common/rte_malloc.c)
 *   memzone->iova           -> rte_malloc_virt2iova() at reservation
 *   mempool objects / mbuf buf_iova -> ms->iova via the populate helpers
 * Internal memory in IOVA-as-VA mode is the exception: rte_malloc_virt2iova()
 * returns the VA itself, so there the plan must have IOVA == VA (a direct
 * window at 0); otherwise the plugin asks the EAL for PA mode (bus
 * get_iommu_class) and refuses a forced --iova-mode=va.
 * Not covered: rte_mem_virt2iova()/rte_mem_virt2phy() read /proc/self/pagemap
 * (PA mode) and never look at memsegs; PMDs calling them (bnxt) get the PA.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>
#include <rte_memzone.h>
#include <rte_malloc.h>

#include "spapr_priv.h"

#define CB_NAME "spapr_bus"

/*
 * Disjoint [va, va+len) ranges (lib/dma refuses overlapping memory), so
 * that rte_spapr_dma_unmap() can refuse DPDK's own memory: unmapping a
 * memzone's page would leave its cached IOVA pointing at nothing.
 */
static struct spapr_user_range {
	uint64_t va, len;
} *user_ranges;
static unsigned int user_nranges, user_cap;

static unsigned int shift_of(uint64_t pgsz)
{
	return pgsz ? 63u - (unsigned int)__builtin_clzll(pgsz) : 0;
}

/* The kernel's base page: the modelled host's in model mode. */
static uint64_t system_page_size(void)
{
	if (spapr.model != NULL)
		return 1ull << spapr.profile.system_page_shift;
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static unsigned int system_page_shift(void)
{
	return shift_of(system_page_size());
}

/* Pages larger than the base page are hugetlbfs pages in DPDK. */
static unsigned int vma_flags(uint64_t pgsz)
{
	return pgsz > system_page_size() ? SPAPR_MODEL_VMA_HUGETLB : 0;
}

void spapr_mem_model_undeclare(uint64_t va, uint64_t len, unsigned int shift)
{
	if (spapr.model == NULL)
		return;
	for (uint64_t off = 0; off < len; off += 1ull << shift)
		spapr_model_mm_unmap(spapr.model, 0, va + off, 1ull << shift);
}

/*
 * Model mode: tell the model this process maps [va, va+len), one VMA per
 * page so that any later free of whole pages unmaps exactly what was
 * declared. @host is the real memory, so device DMA moves real bytes.
 */
int spapr_mem_model_declare(uint64_t va, uint64_t len, unsigned int shift, void *host)
{
	uint64_t pg = 1ull << shift, off;
	int rc = 0;

	if (spapr.model == NULL)
		return 0;
	for (off = 0; off < len; off += pg) {
		rc = spapr_model_mm_map(spapr.model, 0, va + off, pg, shift,
					vma_flags(pg), (char *)host + off);
		if (rc)
			break;
	}
	if (rc)
		spapr_mem_model_undeclare(va, off, shift);
	return rc;
}

struct collect {
	struct spapr_dma_mem_region *r;
	unsigned int n, cap;
	int rc;
};

/*
 * The physical address the engine needs in IOVA-as-PA mode. For external
 * memory ms->iova is whatever the user passed (DPDK's external_mem test uses
 * made-up IOVAs), so ask the kernel (pagemap) for the real one: a direct
 * window at start + PA must not let two pages share an IOVA.
 */
uint64_t spapr_page_pa(const void *va, uint64_t memseg_iova, bool external)
{
	if (spapr.eal_va)
		return 0;
	if (!external)
		return memseg_iova;
	return rte_mem_virt2phy(va);
}

/*
 * --no-huge on a 64K-page kernel: DPDK 22.11 cuts its anonymous memory into
 * 4K memsegs, but the kernel pins, registers and maps whole system pages
 * (REGISTER needs PAGE_SIZE-aligned vaddr/size: §3.5, trap §10.6). Such
 * memory is static (--no-huge implies legacy memory), so contiguous memsegs
 * become one region of system pages. Returns true if @ms was merged.
 */
static bool collect_merge_subpage(struct collect *c, const struct rte_memseg *ms,
				  uint64_t pa)
{
	struct spapr_dma_mem_region *prev = c->n ? &c->r[c->n - 1] : NULL;
	uint64_t va = (uint64_t)(uintptr_t)ms->addr;

	if (prev == NULL || prev->page_shift != system_page_shift() ||
	    prev->va + prev->len != va || prev->numa_node != ms->socket_id ||
	    (prev->pa != 0 && prev->pa + prev->len != pa))
		return false;
	prev->len += ms->len;
	return true;
}

static int collect_push(struct collect *c, const struct rte_memseg *ms, bool external)
{
	struct spapr_dma_mem_region *r;
	unsigned int shift = shift_of(ms->hugepage_sz);
	uint64_t pa = spapr_page_pa(ms->addr, ms->iova, external);
	bool subpage = shift < system_page_shift();

	if (subpage && collect_merge_subpage(c, ms, pa))
		return 0;
	if (c->n == c->cap) {
		unsigned int cap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->r, cap * sizeof(*c->r));

		if (p == NULL)
			return -ENOMEM;
		c->r = p;
		c->cap = cap;
	}
	r = &c->r[c->n++];
	memset(r, 0, sizeof(*r));
	r->va = (uint64_t)(uintptr_t)ms->addr;
	r->len = ms->len;
	r->page_shift = subpage ? system_page_shift() : shift;
	r->numa_node = ms->socket_id;
	r->pa = pa;
	r->prot = SPAPR_DMA_READ | SPAPR_DMA_WRITE;
	return 0;
}

/* External memory the user only registered (no heap) is the user's to map. */
static int collect_walk(const struct rte_memseg_list *msl, const struct rte_memseg *ms,
			void *arg)
{
	struct collect *c = arg;

	if (msl->external && !msl->heap)
		return 0;
	c->rc = collect_push(c, ms, msl->external);
	return c->rc ? 1 : 0;
}

static void undeclare_regions(const struct spapr_dma_mem_region *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		spapr_mem_model_undeclare(r[i].va, r[i].len, r[i].page_shift);
}

static int declare_regions(const struct spapr_dma_mem_region *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		int rc = spapr_mem_model_declare(r[i].va, r[i].len, r[i].page_shift,
					     (void *)(uintptr_t)r[i].va);
		if (rc) {
			undeclare_regions(r, i);
			return rc;
		}
	}
	return 0;
}

/* Add @r to the engine (and to the model first). On failure nothing stays. */
static int add_regions(struct spapr_dma_mem_region *r, unsigned int n, char *why, size_t len)
{
	struct spapr_dma_error e;
	uint64_t bytes = 0;
	int rc;

	rc = declare_regions(r, n);
	if (rc) {
		snprintf(why, len, "declaring memory to the host model failed: %s", strerror(-rc));
		return rc;
	}
	memset(&e, 0, sizeof(e));
	rc = spapr_dma_mem_add(spapr.ctx, r, n, &e);
	if (rc) {
		spapr_error_text(&e, why, len);
		undeclare_regions(r, n);
		return rc;
	}
	for (unsigned int i = 0; i < n; i++)
		bytes += r[i].len;
	spapr.mem_bytes += bytes;
	return 0;
}

/* A merged run of sub-page memsegs must still be made of whole system pages. */
static int collect_check_aligned(const struct collect *c)
{
	uint64_t pg = system_page_size();

	for (unsigned int i = 0; i < c->n; i++) {
		const struct spapr_dma_mem_region *r = &c->r[i];

		if ((r->va | r->len) & (pg - 1)) {
			spapr_fail(-EINVAL, "DPDK memory 0x%" PRIx64 "+0x%" PRIx64 " is not made of "
				   "whole %" PRIu64 " KiB system pages, which is all the kernel can "
				   "register and map; use hugepages instead of --no-huge",
				   r->va, r->len, pg >> 10);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Hotplug runs under DPDK's memory lock (rte_mcfg_mem_read_lock, taken
 * before the plugin's own, in the order of the EAL's memory events): a
 * second read lock could wait behind a queued writer.
 */
int spapr_memseg_walk(rte_memseg_walk_t fn, void *arg)
{
	return RTE_PER_LCORE(spapr_mem_locked) ? rte_memseg_walk_thread_unsafe(fn, arg) :
						  rte_memseg_walk(fn, arg);
}

/* All DPDK memory present now (initial memory fires no mem events). */
int spapr_mem_collect(void)
{
	struct collect c = { 0 };
	char why[SPAPR_ERR_LEN];
	int rc;

	if (spapr_memseg_walk(collect_walk, &c) < 0 || c.rc) {
		free(c.r);
		spapr_fail(c.rc ? c.rc : -EIO, "cannot walk DPDK memory: %s",
			   c.rc == -ENOMEM ? "out of memory for the list of its pages" :
			   strerror(c.rc ? -c.rc : EIO));
		return spapr.status;
	}
	if (c.n == 0) {
		free(c.r);
		spapr_fail(-ENOMEM, "DPDK has no memory to map");
		return spapr.status;
	}
	rc = collect_check_aligned(&c);
	if (rc) {
		free(c.r);
		return rc;
	}
	rc = add_regions(c.r, c.n, why, sizeof(why));
	free(c.r);
	if (rc)
		spapr_fail(rc, "adding DPDK memory failed: %s", why);
	return rc;
}

/* The IOVA of @va: the same in every container, or SPAPR_DMA_BAD_IOVA. */
static uint64_t common_iova(uint64_t va)
{
	uint64_t iova = SPAPR_DMA_BAD_IOVA;

	for (unsigned int i = 0; i < spapr.ncont; i++) {
		uint64_t x = spapr_dma_iova(spapr.cont[i].c, va);

		if (x == SPAPR_DMA_BAD_IOVA || (i && x != iova))
			return SPAPR_DMA_BAD_IOVA;
		iova = x;
	}
	return iova;
}

struct publish {
	bool write;
	int rc;
	uint64_t va;	/* first offending page */
	uint64_t want;
	bool rewritten;
};

static int publish_walk(const struct rte_memseg_list *msl, const struct rte_memseg *ms,
			void *arg)
{
	struct publish *p = arg;
	uint64_t va = (uint64_t)(uintptr_t)ms->addr;
	uint64_t iova;

	if (msl->external && !msl->heap)
		return 0;
	iova = common_iova(va);
	if (iova == SPAPR_DMA_BAD_IOVA) {
		p->rc = -EXDEV;
		p->va = va;
		return 1;
	}
	if (iova == ms->iova)
		return 0;
	/* IOVA-as-VA: DPDK answers VA for its own memory whatever ms->iova says. */
	if (spapr.eal_va && !msl->external) {
		p->rc = -EOPNOTSUPP;
		p->va = va;
		p->want = iova;
		return 1;
	}
	if (p->write)
		((struct rte_memseg *)(uintptr_t)ms)->iova = iova;
	p->rewritten = true;
	return 0;
}

/* Memzones reserved before probe cached their IOVA: recompute it. */
static void memzone_fix(const struct rte_memzone *mz, void *arg)
{
	rte_iova_t iova = rte_malloc_virt2iova(mz->addr);

	(void)arg;
	if (iova != RTE_BAD_IOVA)
		((struct rte_memzone *)(uintptr_t)mz)->iova = iova;
}

const char *spapr_mem_va_remedy(void)
{
	return rte_eal_has_hugepages() ?
		"run with --iova-mode=pa (or without --iova-mode: the plugin then "
		"asks for PA), or use a direct window at 0" :
		"PA mode needs hugepages (with --no-huge DPDK has no physical "
		"addresses), so use hugepages or a direct window at 0";
}

bool spapr_mem_publish_changes(void)
{
	struct publish p = { .write = false };

	spapr_memseg_walk(publish_walk, &p);
	return p.rewritten;
}

struct agree {
	const struct spapr_dma_container *c;
	uint64_t va, want, got;
};

/* The IOVA DPDK hands out for @ms: the VA itself for its own memory in VA mode. */
static int agree_walk(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	struct agree *a = arg;
	uint64_t va = (uint64_t)(uintptr_t)ms->addr;

	if (msl->external && !msl->heap)
		return 0;
	a->want = spapr.eal_va && !msl->external ? va : ms->iova;
	if (a->want == RTE_BAD_IOVA)
		return 0;	/* growth the plugin could not map: no IOVA handed out */
	a->got = spapr_dma_iova(a->c, va);
	a->va = va;
	return a->got != a->want;
}

/* rte_spapr_dma_map memory: the IOVA the other containers give it. */
static bool user_ranges_agree(struct agree *a)
{
	const struct spapr_dma_container *other = NULL;
	uint64_t step = system_page_size();

	for (unsigned int i = 0; i < spapr.ncont && other == NULL; i++)
		if (spapr.cont[i].c != a->c)
			other = spapr.cont[i].c;
	if (other == NULL)
		return true;
	for (unsigned int i = 0; i < user_nranges; i++)
		for (uint64_t off = 0; off < user_ranges[i].len; off += step) {
			a->va = user_ranges[i].va + off;
			a->want = spapr_dma_iova(other, a->va);
			a->got = spapr_dma_iova(a->c, a->va);
			if (a->got != a->want)
				return false;
		}
	return true;
}

int spapr_mem_container_agrees(const struct spapr_dma_container *c)
{
	struct agree a = { .c = c };

	if (spapr_memseg_walk(agree_walk, &a) == 0 && user_ranges_agree(&a))
		return 0;
	spapr_fail(-EXDEV, "the new container maps 0x%" PRIx64 " at IOVA 0x%" PRIx64 " but DPDK "
		   "already hands out IOVA 0x%" PRIx64 " for it (DPDK has one IOVA per page); "
		   "give the device at start-up, or use policy=direct", a.va, a.got, a.want);
	return -EXDEV;
}

/*
 * Make every memseg IOVA the IOVA lib/dma mapped. Checked for every page
 * first, written only when all are fine (so a refusal changes nothing).
 */
int spapr_mem_publish_iovas(void)
{
	struct publish p = { .write = false };

	spapr_memseg_walk(publish_walk, &p);
	if (p.rc == -EXDEV) {
		spapr_fail(p.rc, "page at 0x%" PRIx64 " has no IOVA common to all containers "
			   "(containers with different windows cannot share DPDK's one IOVA per page)",
			   p.va);
		return p.rc;
	}
	if (p.rc == -EOPNOTSUPP) {
		spapr_fail(p.rc, "the plan gives page 0x%" PRIx64 " IOVA 0x%" PRIx64
			   " but the EAL runs IOVA as VA, where DPDK hands out the VA itself "
			   "for its own memory; %s", p.va, p.want, spapr_mem_va_remedy());
		return p.rc;
	}
	p.write = true;
	spapr_memseg_walk(publish_walk, &p);
	spapr.rewritten = p.rewritten;
	if (p.rewritten)
		rte_memzone_walk(memzone_fix, NULL);
	return 0;
}

/*
 * lib/dma wants its state-changing calls serialised. The EAL runs memory
 * events under its hotplug lock, which rte_spapr_dma_map/unmap do not take:
 * this lock orders the two. Never held while calling into the EAL's
 * memory allocator (which would fire an event and deadlock).
 */
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;

void spapr_mem_lock(void)
{
	pthread_mutex_lock(&mem_lock);
}

void spapr_mem_unlock(void)
{
	pthread_mutex_unlock(&mem_lock);
}

/* ---- user memory: what rte_spapr_dma_map() mapped ---- */

static int user_reserve(unsigned int n)
{
	void *p;

	if (n <= user_cap)
		return 0;
	p = realloc(user_ranges, (size_t)n * 2 * sizeof(*user_ranges));
	if (p == NULL)
		return -ENOMEM;
	user_ranges = p;
	user_cap = n * 2;
	return 0;
}

int spapr_mem_user_add(uint64_t va, uint64_t len)
{
	int rc = user_reserve(user_nranges + 1);

	if (rc == 0)
		user_ranges[user_nranges++] = (struct spapr_user_range){ va, len };
	return rc;
}

bool spapr_mem_user_covers(uint64_t va, uint64_t len)
{
	uint64_t covered = 0;

	for (unsigned int i = 0; i < user_nranges; i++) {
		uint64_t lo = RTE_MAX(va, user_ranges[i].va);
		uint64_t hi = RTE_MIN(va + len, user_ranges[i].va + user_ranges[i].len);

		if (hi > lo)
			covered += hi - lo;
	}
	return len != 0 && covered == len;
}

/* Room for the split spapr_mem_user_remove may make: call before unmapping. */
int spapr_mem_user_reserve_split(void)
{
	return user_reserve(user_nranges + 1);
}

void spapr_mem_user_remove(uint64_t va, uint64_t len)
{
	for (unsigned int i = 0; i < user_nranges; i++) {
		struct spapr_user_range r = user_ranges[i];
		uint64_t end = va + len, rend = r.va + r.len;

		if (end <= r.va || va >= rend)
			continue;
		user_ranges[i] = user_ranges[--user_nranges];
		if (r.va < va)
			user_ranges[user_nranges++] = (struct spapr_user_range){ r.va, va - r.va };
		if (rend > end)
			user_ranges[user_nranges++] = (struct spapr_user_range){ end, rend - end };
		i--;	/* the slot now holds another range */
	}
}

void spapr_mem_user_forget(void)
{
	free(user_ranges);
	user_ranges = NULL;
	user_nranges = user_cap = 0;
}

/* ---- memory events: growth and shrink after init ---- */

/*
 * DPDK gives memory events no way to refuse (the callback returns void):
 * the heap keeps the pages. Mempools populated from them are refused
 * (spapr_mempool.c); what else is placed there has no IOVA.
 */
#define BAD_IOVA_NOTE " (DPDK cannot be made to refuse this memory: mempools refuse it, " \
	"so an mbuf pool placed there fails with ENOBUFS; memzones and rte_malloc buffers " \
	"in it have IOVA RTE_BAD_IOVA: do not give them to devices)"

static void mark_bad(const struct rte_memseg_list *msl, uint64_t va, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += msl->page_sz) {
		struct rte_memseg *ms = rte_mem_virt2memseg((void *)(uintptr_t)(va + off), msl);

		/* In VA mode DPDK ignores ms->iova of its own memory (nothing to
		 * mark); external memory's ms->iova is honoured in both modes. */
		if (ms != NULL && (!spapr.eal_va || msl->external))
			ms->iova = RTE_BAD_IOVA;
	}
}

static int event_alloc(const struct rte_memseg_list *msl, uint64_t va, uint64_t len)
{
	unsigned int n = (unsigned int)(len / msl->page_sz), k = 0;
	struct spapr_dma_mem_region *r = calloc(n ? n : 1, sizeof(*r));
	char why[SPAPR_ERR_LEN];
	int rc;

	if (r == NULL) {
		SPAPR_LOG(ERR, "memory growth at 0x%" PRIx64 " (+%" PRIu64 " bytes) cannot be mapped: out of memory for %u region(s); its IOVAs are set to RTE_BAD_IOVA" BAD_IOVA_NOTE "\n",
			  va, len, n);
		mark_bad(msl, va, len);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct rte_memseg *ms = rte_mem_virt2memseg(
			(void *)(uintptr_t)(va + (uint64_t)i * msl->page_sz), msl);

		if (ms == NULL || ms->addr == NULL)
			continue;	/* external area: page not backed */
		r[k].va = (uint64_t)(uintptr_t)ms->addr;
		r[k].len = ms->len;
		r[k].page_shift = shift_of(msl->page_sz);
		r[k].numa_node = ms->socket_id;
		r[k].pa = spapr_page_pa(ms->addr, ms->iova, msl->external);
		if (r[k].pa == RTE_BAD_IOVA) {
			free(r);
			SPAPR_LOG(ERR, "no physical address for external page %p (IOVA as PA needs root)\n",
				  ms->addr);
			mark_bad(msl, va, len);
			return -EFAULT;
		}
		r[k].prot = SPAPR_DMA_READ | SPAPR_DMA_WRITE;
		k++;
	}
	rc = k ? add_regions(r, k, why, sizeof(why)) : 0;
	free(r);
	if (rc) {
		SPAPR_LOG(ERR, "memory growth at 0x%" PRIx64 " (+%" PRIu64 " bytes) cannot be mapped: %s; its IOVAs are set to RTE_BAD_IOVA" BAD_IOVA_NOTE "\n",
			  va, len, why);
		mark_bad(msl, va, len);
		return rc;
	}
	for (uint64_t off = 0; off < len; off += msl->page_sz) {
		struct rte_memseg *ms = rte_mem_virt2memseg((void *)(uintptr_t)(va + off), msl);
		uint64_t iova;

		if (ms == NULL || ms->addr == NULL)
			continue;
		iova = common_iova(va + off);
		if (iova != ms->iova && (!spapr.eal_va || msl->external)) {
			ms->iova = iova;
			spapr.rewritten = true;
		}
	}
	SPAPR_LOG(DEBUG, "mapped memory growth 0x%" PRIx64 " +%" PRIu64 "\n", va, len);
	return 0;
}

/*
 * DPDK frees the pages whatever happens (FREE events cannot be vetoed), so
 * the removal is best effort: unmap what can be unmapped, forget the memory,
 * and say exactly what stayed mapped or locked.
 */
static int event_free(const struct rte_memseg_list *msl, uint64_t va, uint64_t len)
{
	const struct rte_memseg *ms = rte_mem_virt2memseg((void *)(uintptr_t)va, msl);
	struct spapr_dma_error e;
	int rc;

	/* Growth that could not be mapped was marked, never added: nothing to undo. */
	if (ms != NULL && ms->iova == RTE_BAD_IOVA && (!spapr.eal_va || msl->external))
		return 0;
	rc = spapr_dma_mem_remove_forced(spapr.ctx, va, len, &e);
	if (rc) {
		char why[SPAPR_ERR_LEN];

		spapr_error_text(&e, why, sizeof(why));
		SPAPR_LOG(ERR, "memory shrink at 0x%" PRIx64 " (-%" PRIu64 " bytes): %s: %s\n",
			  va, len, e.outcome == SPAPR_DMA_OUTCOME_CLEAN ?
			  "not memory the plugin mapped, nothing done" :
			  "DPDK frees it whatever happens, and not all of it left the IOMMU", why);
		if (e.outcome == SPAPR_DMA_OUTCOME_CLEAN)
			return rc;
	}
	spapr_mem_model_undeclare(va, len, shift_of(msl->page_sz));
	spapr.mem_bytes -= len;
	return rc;
}

/* Called by the EAL with the memory hotplug lock held. */
static void mem_event(enum rte_mem_event type, const void *addr, size_t len, void *arg)
{
	const struct rte_memseg_list *msl = rte_mem_virt2memseg_list(addr);
	int rc;

	(void)arg;
	/* External memory fires events only from rte_malloc_heap_memory_add/
	 * _remove (rte_extmem_register fires none), and msl->heap is set only
	 * after the ALLOC event (rte_malloc.c): take every event. */
	if (msl == NULL)
		return;
	spapr_mem_lock();
	spapr.mem_events++;
	if (type == RTE_MEM_EVENT_ALLOC)
		rc = event_alloc(msl, (uint64_t)(uintptr_t)addr, len);
	else
		rc = event_free(msl, (uint64_t)(uintptr_t)addr, len);
	if (rc)
		spapr.mem_event_errors++;
	/* The heap holds the pages whether or not they could be mapped. */
	spapr_capacity_track(msl, len, type == RTE_MEM_EVENT_ALLOC);
	spapr_mem_unlock();
}

int spapr_mem_events_start(void)
{
	int rc;

	/* Static memory too: external memory and the application's own. */
	spapr_mempool_guard_start();
	rc = rte_mem_event_callback_register(CB_NAME, mem_event, NULL);
	if (rc < 0 && rte_errno == ENOTSUP) {
		/* DPDK turns --no-huge into legacy memory: name what the user gave. */
		SPAPR_LOG(WARNING, "no memory events (%s): memory is static, nothing to follow\n",
			  rte_eal_has_hugepages() ? "--legacy-mem" : "--no-huge");
		return 0;
	}
	if (rc < 0) {
		spapr_fail(-rte_errno, "cannot register the memory event callback: %s",
			   rte_strerror(rte_errno));
		return spapr.status;
	}
	spapr.cb_registered = true;
	return 0;
}

void spapr_mem_events_stop(void)
{
	spapr_mempool_guard_stop();
	if (spapr.cb_registered)
		rte_mem_event_callback_unregister(CB_NAME, NULL);
	spapr.cb_registered = false;
}
