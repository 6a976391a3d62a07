/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP 13 output for the selftests (kselftest conventions):
 * exit 0 when every test passed, 1 on a failure, 4 when skipped.
 */
#ifndef VMM_SELFTEST_TAP_H
#define VMM_SELFTEST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

static int tap_count, tap_failed, tap_planned;

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline void __attribute__((format(printf, 2, 3)))
tap_check(int pass, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%sok %d ", pass ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void __attribute__((format(printf, 1, 2)))
tap_skip(const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("ok %d # SKIP ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Give up on the rest: a failed test for each one not run. */
static inline void __attribute__((format(printf, 1, 2), noreturn))
tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	while (tap_count < tap_planned)
		tap_check(0, "not run");
	fflush(stdout);
	exit(KSFT_FAIL);
}

/* The whole program skips: the hardware lacks what it tests. */
static inline void __attribute__((noreturn)) tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(KSFT_SKIP);
}

static inline int tap_finish(void)
{
	if (tap_count != tap_planned) {
		printf("# planned %d tests, ran %d\n", tap_planned, tap_count);
		return KSFT_FAIL;
	}
	return tap_failed ? KSFT_FAIL : KSFT_PASS;
}

#endif /* VMM_SELFTEST_TAP_H */
