/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_va.c - where DPDK's memory is when the EAL runs IOVA as VA, and what
 * that costs: a direct window starts at 0 and must reach its highest address.
 *
 * DPDK reserves its memory at an address hint, rte_eal_get_baseaddr() (4 GiB,
 * or --base-virtaddr), and when the hint is taken it keeps whatever address
 * the kernel picks instead (lib/eal/common/eal_common_memory.c
 * eal_get_virtual_area: a few tries above the hint, then the kernel's choice,
 * top-down from near the top of the address space). On ppc64 the kernel
 * loads position-independent programs at the same 4 GiB plus a random offset
 * (ELF_ET_DYN_BASE, arch/powerpc/include/asm/elf.h, which leaves the 32-bit
 * range open), so in some starts DPDK's memory lands tens of TiB high and
 * the window with it. Below 4 GiB such a program has nothing mapped, so a
 * --base-virtaddr there is free in every start. The plugin cannot move
 * DPDK's memory once it is reserved, and the EAL offers plugins no way to
 * set the hint before that (base_virtaddr is internal configuration): it
 * says where the memory is, what the window must reach, and the option.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_memory.h>

#include "spapr_priv.h"
#include "spapr_util.h"

/* The --base-virtaddr advised: 16 MiB (DPDK aligns the option to 16 MiB,
 * eal_parse_base_virtaddr), above mmap_min_addr and below both the 4 GiB of
 * ppc64 PIE programs and the 256 MiB where ppc64 links fixed-address ones. */
#define SPAPR_VA_LOW_BASE (16ull << 20)
/* Programs are loaded at or above this on ppc64 (ELF_ET_DYN_BASE). */
#define SPAPR_VA_PIE_BASE (4ull << 30)

struct va_span {
	uint64_t low, top, bytes;
	unsigned int lists;
};

static int span_walk(const struct rte_memseg_list *msl, void *arg)
{
	struct va_span *s = arg;
	uint64_t lo = (uint64_t)(uintptr_t)msl->base_va;

	if (msl->external || msl->len == 0)
		return 0;
	s->low = s->lists == 0 || lo < s->low ? lo : s->low;
	s->top = lo + msl->len > s->top ? lo + msl->len : s->top;
	s->bytes += msl->len;
	s->lists++;
	return 0;
}

/* DPDK's reservations also hold its fbarrays and alignment: some room. */
static uint64_t va_need(const struct va_span *s)
{
	return s->bytes + s->bytes / 16 + (16ull << 20);
}

static uint64_t pow2_at_least(uint64_t v)
{
	return v <= 1 ? 1 : 1ull << (64 - __builtin_clzll(v - 1));
}

/*
 * The first mapping of this process that overlaps [@lo, @hi), other than
 * DPDK's own memory (the span @s) and files, in words in @who. False when
 * none.
 */
static bool va_taken(uint64_t lo, uint64_t hi, const struct va_span *s, char *who, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	const char *rundir = rte_eal_get_runtime_dir();
	char line[512];
	bool taken = false;

	if (f == NULL)
		return false;
	while (!taken && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char path[256] = "";

		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %255s", &a, &b, path) < 2)
			continue;
		if (b <= lo || a >= hi || (a >= s->low && b <= s->top))
			continue;
		/* DPDK's own config and fbarray files: reserved at the hint first. */
		if (rundir[0] != '\0' && strncmp(path, rundir, strlen(rundir)) == 0)
			continue;
		taken = true;
		if (path[0] == '/')
			snprintf(who, len, "%s is mapped at 0x%llx", path, a);
		else
			snprintf(who, len, "%s mapping at 0x%llx", path[0] ? path : "an anonymous", a);
	}
	fclose(f);
	return taken;
}

/* What to start with instead: a free --base-virtaddr, or why there is none. */
static void va_remedy(const struct va_span *s, char *buf, size_t len)
{
	uint64_t need = va_need(s), end = SPAPR_VA_LOW_BASE + need;
	char who[320], a[16], b[16];

	if (end > SPAPR_VA_PIE_BASE)
		snprintf(buf, len, "no range below 4 GiB holds its %s: give less memory (-m) "
			 "for a window below 4 GiB", spapr_size_human(s->bytes, a, sizeof(a)));
	else if (va_taken(SPAPR_VA_LOW_BASE, end, s, who, sizeof(who)))
		snprintf(buf, len, "the low range 0x%llx+%s is not free either (%s): choose a free "
			 "--base-virtaddr below 4 GiB", SPAPR_VA_LOW_BASE,
			 spapr_size_human(need, a, sizeof(a)), who);
	else
		snprintf(buf, len, "start with --base-virtaddr=0x%llx (free below 4 GiB in every "
			 "start on ppc64) for a window of about %s instead of %s", SPAPR_VA_LOW_BASE,
			 spapr_size_human(pow2_at_least(end), a, sizeof(a)),
			 spapr_size_human(pow2_at_least(s->top), b, sizeof(b)));
}

void spapr_va_report(void)
{
	struct va_span s = { 0 };
	uint64_t hint = rte_eal_get_baseaddr(), expected;
	char who[320] = "", remedy[512], a[16], b[16];

	if (!spapr.eal_va)
		return;
	rte_memseg_list_walk(span_walk, &s);
	if (s.lists == 0)
		return;
	SPAPR_LOG(INFO, "memory for IOVA as VA: 0x%" PRIx64 "-0x%" PRIx64 " (%s in %u list(s)), "
		  "so a window at 0 reaches 0x%" PRIx64 ": at least %s\n", s.low, s.top,
		  spapr_size_human(s.bytes, a, sizeof(a)), s.lists, s.top,
		  spapr_size_human(pow2_at_least(s.top), b, sizeof(b)));
	/* Where the hint would have put it; below that nothing is to be won. */
	expected = hint + va_need(&s);
	if (s.top <= expected || pow2_at_least(s.top) <= pow2_at_least(expected))
		return;
	if (!va_taken(hint, hint + va_need(&s), &s, who, sizeof(who)))
		snprintf(who, sizeof(who), "it was taken when DPDK reserved its memory");
	va_remedy(&s, remedy, sizeof(remedy));
	SPAPR_LOG(WARNING, "DPDK's memory is at 0x%" PRIx64 "-0x%" PRIx64 ", not at its address "
		  "hint 0x%" PRIx64 " (%s), so the window at 0 must span %s: its TCE table and "
		  "locked memory grow with it, and the size changes from start to start; %s\n",
		  s.low, s.top, hint, who, spapr_size_human(pow2_at_least(s.top), a, sizeof(a)),
		  remedy);
}
