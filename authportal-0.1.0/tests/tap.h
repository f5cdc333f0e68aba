/* SPDX-License-Identifier: ISC */
/*
 * tap.h: a tiny TAP producer for the unit tests, run by automake's
 * tap-driver.sh. plan(), ok(), is_int(), is_str(), diag(), done().
 * Header-only; each test program includes it once.
 */
#ifndef PTL_TAP_H
#define PTL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n __attribute__((unused));
static int tap_failed __attribute__((unused));

static __attribute__((unused)) void
plan(int n)
{
	printf("1..%d\n", n);
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) void
diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static int ok_(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static __attribute__((unused)) int
ok_(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, name)                                                \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (!ok(g_ == w_, "%s", name))                                 \
			diag("got %lld, want %lld", g_, w_);                   \
	} while (0)

#define is_str(got, want, name)                                                \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		int same_ = (g_ == NULL && w_ == NULL) ||                      \
			    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0); \
		if (!ok(same_, "%s", name))                                    \
			diag("got '%s', want '%s'", g_ ? g_ : "(null)",        \
			     w_ ? w_ : "(null)");                              \
	} while (0)

/* Ends the plan-less run: prints the plan after the tests. */
static __attribute__((unused)) int
done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
