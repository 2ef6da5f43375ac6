/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_util.h - small helpers every layer of spapr-dpdk needs: power-of-two
 * test, white-space trimming, byte sizes to and from text. Header only, no
 * DPDK, not installed: libraries, the plugin, apps and tests include it
 * privately (lib/util/meson.build: spapr_util_dep).
 */
#ifndef SPAPR_UTIL_H
#define SPAPR_UTIL_H

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool spapr_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Strip leading and trailing white space in place; returns the start. */
static inline char *spapr_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * A byte size: a number (decimal, or 0x hex) with an optional binary unit
 * K, M, G, T or P (any case), optionally followed by "iB" or "B": "4096",
 * "0x1000", "64K", "4KiB", "16M", "0x10M". No sign, no space, no fraction.
 * 0, -EINVAL for anything else, -ERANGE when it does not fit 64 bits.
 */
static inline int spapr_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	uint64_t v, mult = 1;
	const char *unit;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -ERANGE;
	if (*end != '\0') {
		unit = strchr(units, toupper((unsigned char)*end));
		if (unit == NULL)
			return -EINVAL;
		mult = UINT64_C(1) << (10 * (unit - units + 1));
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end != '\0' || (end[-1] | 0x20) == 'i')
			return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/* @v as "16M" when it is a whole number of some unit (K..T), else as hex
 * ("0x1800"); the text parses back to @v with spapr_parse_size(). */
static inline const char *spapr_size_exact(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "TGMK";

	for (int i = 0; i < 4 && v; i++) {
		uint64_t unit = UINT64_C(1) << (10 * (4 - i));

		if (v % unit == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", v / unit, units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "0x%" PRIx64, v);
	return buf;
}

/* @v for people: "64K", "1.5G", "512B" (one decimal when not whole). */
static inline const char *spapr_size_human(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "K", "M", "G", "T", "P", "E" };
	unsigned int i = 0;
	double d = (double)v;

	while (d >= 1024 && i < 6) {
		d /= 1024;
		i++;
	}
	if (d == (double)(uint64_t)d)
		snprintf(buf, len, "%" PRIu64 "%s", (uint64_t)d, units[i]);
	else
		snprintf(buf, len, "%.1f%s", d, units[i]);
	return buf;
}

/* The decimal number a sysfs/procfs file holds, or @dflt when unreadable. */
static inline long spapr_read_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "r");
	long v = dflt;

	if (f == NULL)
		return dflt;
	if (fscanf(f, "%ld", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

#endif /* SPAPR_UTIL_H */
