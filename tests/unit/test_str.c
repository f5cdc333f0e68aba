/* SPDX-License-Identifier: ISC */
/* Unit tests of lib/base/str.c and lib/base/buf.c: buffers, JSON escaping, integer
 * and duration parsing, percent-decoding, time formatting. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <string.h>

#include "base/mem.h"
#include "base/buf.h"
#include "base/str.h"
#include "tap.h"

static void
test_buf(struct ptl_arena *a)
{
	struct ptl_buf b;

	ptl_buf_init(&b, a, 4, 10);
	ptl_buf_adds(&b, "hello");
	ptl_buf_addi(&b, 42);
	is_str(b.data, "hello42", "buffer grows");
	ok(!b.overflow, "no overflow under max");
	ptl_buf_adds(&b, "world");
	ok(b.overflow, "overflow past max is sticky");
	is_str(b.data, "hello42", "content unchanged after overflow");
	ptl_buf_adds(&b, "x");
	is_int(b.len, 7, "later calls ignored");
}

static void
test_json(struct ptl_arena *a)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{"plain", 5, "\"plain\""},
		{"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
		{"l\n\r\t", 4, "\"l\\n\\r\\t\""},
		{"\x01", 1, "\"\\u0001\""},
		{"\xe2\x80\xa8x", 4, "\"\\u2028x\""},
		{"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_buf b;

		ptl_buf_init(&b, a, 8, 100);
		ptl_buf_json_str(&b, cases[i].in, cases[i].len);
		is_str(b.data, cases[i].want, "json escape");
	}
	{
		struct ptl_buf b;

		ptl_buf_init(&b, a, 8, 100);
		ptl_buf_json_time(&b, 1795650172499LL);
		is_str(b.data, "\"2026-11-25T23:42:52.499Z\"", "ISO time");
		/* Civil-date arithmetic across leap rules and the epoch. */
		static const struct {
			int64_t ms;
			const char *want;
		} t[] = {
			{0, "\"1970-01-01T00:00:00.000Z\""},
			{951782400000LL, "\"2000-02-29T00:00:00.000Z\""},
			{951868799999LL, "\"2000-02-29T23:59:59.999Z\""},
			{1709164800123LL, "\"2024-02-29T00:00:00.123Z\""},
			{4107542400000LL, "\"2100-03-01T00:00:00.000Z\""},
			{253402300799999LL, "\"9999-12-31T23:59:59.999Z\""},
			{-1, "\"1969-12-31T23:59:59.999Z\""},
		};
		size_t k;

		for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
			ptl_buf_init(&b, a, 8, 100);
			ptl_buf_json_time(&b, t[k].ms);
			is_str(b.data, t[k].want, "ISO time table");
		}
		ptl_buf_init(&b, a, 8, 100);
		ptl_buf_addi(&b, -9223372036854775807LL - 1);
		is_str(b.data, "-9223372036854775808", "addi of INT64_MIN");
		ptl_buf_init(&b, a, 8, 100);
		ptl_buf_json_strz(&b, NULL);
		is_str(b.data, "null", "NULL is null");
	}
}

static void
test_int(void)
{
	static const struct {
		const char *s;
		int good;
		int64_t want;
	} cases[] = {
		{"0", 1, 0}, {"42", 1, 42}, {"-7", 1, -7},
		{"9223372036854775807", 1, INT64_MAX},
		{"9223372036854775808", 0, 0}, {"", 0, 0}, {"-", 0, 0},
		{"1a", 0, 0}, {" 1", 0, 0}, {"+1", 0, 0},
		{"99999999999999999999", 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -1;
		bool got = ptl_str_to_i64(cases[i].s, strlen(cases[i].s),
					  INT64_MIN, INT64_MAX, &v);

		ok(got == (bool)cases[i].good && (!got || v == cases[i].want),
		   "to_i64 '%s'", cases[i].s);
	}
}

static void
test_duration(void)
{
	static const struct {
		const char *s;
		int good;
		int64_t want;
	} cases[] = {
		{"15m", 1, 900000}, {"30d", 1, 2592000000LL}, {"1d", 1, 86400000},
		{"30m", 1, 1800000}, {"900", 1, 900}, {"1.5h", 1, 5400000},
		{"2 days", 1, 172800000}, {"10s", 1, 10000}, {"1w", 1, 604800000},
		{"abc", 0, 0}, {"5 parsecs", 0, 0}, {"", 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -1;
		bool got = ptl_str_duration_ms(cases[i].s, &v);

		ok(got == (bool)cases[i].good && (!got || v == cases[i].want),
		   "duration '%s'", cases[i].s);
	}
}

static void
test_urldecode(void)
{
	char out[64];

	is_int(ptl_str_urldecode("a%20b+c", 7, out), 5, "decoded length");
	is_str(out, "a b c", "percent and plus");
	ok(ptl_str_urldecode("a%2", 3, out) == SIZE_MAX, "truncated escape");
	ok(ptl_str_urldecode("%zz", 3, out) == SIZE_MAX, "bad hex");
	is_int(ptl_str_urldecode("%00", 3, out), 1, "NUL decodes (caller checks)");
}

static void
test_arena(void)
{
	struct ptl_arena *a = ptl_mem_new();
	char *big;
	int i;

	for (i = 0; i < 1000; i++)
		(void)ptl_mem_alloc(a, 100);
	big = ptl_mem_alloc(a, 100000);
	memset(big, 'x', 100000);
	ok(big[99999] == 'x', "large allocation usable");
	ptl_mem_reset(a);
	is_str(ptl_mem_printf(a, "%d-%s", 7, "x"), "7-x", "printf after reset");
	ptl_mem_free(a);
}

int
main(void)
{
	struct ptl_arena *a = ptl_mem_new();

	test_buf(a);
	test_json(a);
	test_int();
	test_duration();
	test_urldecode();
	test_arena();
	ptl_mem_free(a);
	return done();
}
