/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_util.h - the tiny harness every test program uses.
 *
 * A test program is a set of functions run by T_RUN(); checks record a
 * failure with file, line, expression and both values, and go on. main()
 * ends with `return t_finish();`: exit 0 when every check passed, 1 when any
 * failed. T_SKIP() exits 77, which meson counts as skipped, after printing
 * why. Tests never time anything: they assert deterministic results only.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;
static int t_checks;
static const char *t_current = "";

#define T_FAIL_AT(fmt, ...)                                                    \
	do {                                                                   \
		t_failures++;                                                  \
		fprintf(stderr, "FAIL %s: %s:%d: " fmt "\n", t_current,       \
			__FILE__, __LINE__, __VA_ARGS__);                      \
	} while (0)

/** Check that @cond holds. */
#define T_CHECK(cond)                                                          \
	do {                                                                   \
		t_checks++;                                                    \
		if (!(cond))                                                   \
			T_FAIL_AT("%s", #cond);                                \
	} while (0)

/** Check that two integers are equal (printed as signed and hex). */
#define T_EQ(a, b)                                                             \
	do {                                                                   \
		int64_t t_a_ = (int64_t)(a), t_b_ = (int64_t)(b);              \
		t_checks++;                                                    \
		if (t_a_ != t_b_)                                              \
			T_FAIL_AT("%s == %s: got %" PRId64 " (0x%" PRIx64     \
				  "), want %" PRId64 " (0x%" PRIx64 ")",      \
				  #a, #b, t_a_, (uint64_t)t_a_, t_b_,          \
				  (uint64_t)t_b_);                             \
	} while (0)

/** Check that two unsigned 64-bit values are equal. */
#define T_EQU(a, b)                                                            \
	do {                                                                   \
		uint64_t t_a_ = (uint64_t)(a), t_b_ = (uint64_t)(b);           \
		t_checks++;                                                    \
		if (t_a_ != t_b_)                                              \
			T_FAIL_AT("%s == %s: got %" PRIu64 " (0x%" PRIx64     \
				  "), want %" PRIu64 " (0x%" PRIx64 ")",      \
				  #a, #b, t_a_, t_a_, t_b_, t_b_);             \
	} while (0)

/** Check that a call returned -errno @e (e.g. T_ERR(x, -EINVAL), T_ERR(x, 0)). */
#define T_ERR(expr, e)                                                         \
	do {                                                                   \
		int t_r_ = (int)(expr), t_e_ = (int)(e);                       \
		t_checks++;                                                    \
		if (t_r_ != t_e_)                                              \
			T_FAIL_AT("%s: returned %d (%s), want %d (%s)", #expr, \
				  t_r_, t_r_ < 0 ? strerror(-t_r_) : "ok",     \
				  t_e_, t_e_ < 0 ? strerror(-t_e_) : "ok");    \
	} while (0)

/** Run one test function. */
#define T_RUN(fn)                                                              \
	do {                                                                   \
		int t_before_ = t_failures;                                    \
		t_current = #fn;                                               \
		fn();                                                          \
		printf("%s %s\n", t_failures == t_before_ ? "ok  " : "FAIL",  \
		       #fn);                                                   \
		fflush(stdout);                                                \
	} while (0)

/** Skip the whole program with a reason (meson: exit code 77). */
#define T_SKIP(...)                                                            \
	do {                                                                   \
		printf("SKIP: ");                                              \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		exit(77);                                                      \
	} while (0)

static inline int t_finish(void)
{
	printf("%d checks, %d failed\n", t_checks, t_failures);
	return t_failures ? 1 : 0;
}

#endif /* TEST_UTIL_H */
