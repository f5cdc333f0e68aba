/* SPDX-License-Identifier: ISC */
/*
 * test_log: lib/base/log.c's escaping (ptl_log_escape), shared by every
 * log line and the admin command line's output: which bytes stay, which
 * become \xNN, and the bound of the output buffer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/log.h"
#include "tap.h"

#define B(lit) lit, sizeof(lit) - 1

static const struct {
	const char *in;
	size_t len;
	const char *want;
	const char *name;
} cases[] = {
    {B("plain text"), "plain text", "printable ASCII stays"},
    {B("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "UTF-8 stays"},
    {B("a\r\nb"), "a\\x0d\\x0ab", "CR LF"},
    {B("\x1b[2J\x1b]0;t\x07"), "\\x1b[2J\\x1b]0;t\\x07", "terminal escapes"},
    {B("\t\x01\x7f"), "\\x09\\x01\\x7f", "TAB, SOH, DEL"},
    {B("a\\x0a"), "a\\x5cx0a", "a backslash, so no escape can be forged"},
    {B("\xc2\x9b"
       "1m\xc2\x85"),
     "\\xc2\\x9b1m\\xc2\\x85", "C1 controls"},
    {B("\xc2\xa0"), "\xc2\xa0", "U+00A0 stays"},
    {B("\x9b\xff\xc3"), "\\x9b\\xff\\xc3", "invalid UTF-8"},
    {B("\xed\xa0\x80"), "\\xed\\xa0\\x80", "an encoded surrogate"},
    {B("a\0b"), "a\\x00b", "NUL"},
    {B(""), "", "empty"},
};

static void
test_bounds(void)
{
	char out[8];

	memset(out, 'X', sizeof(out));
	is_int(ptl_log_escape(out, sizeof(out), "abcdefghij", 10), 7,
	       "cut at the buffer");
	is_str(out, "abcdefg", "  NUL-terminated");
	is_int(ptl_log_escape(out, 6, "ab\ncd", 5), 2,
	       "an escape that does not fit is left out whole");
	is_str(out, "ab", "  so no half escape");
	is_int(ptl_log_escape(out, 4, "a\xc3\xa9", 3), 3,
	       "a character that fits");
	is_int(ptl_log_escape(out, 3, "a\xc3\xa9", 3), 1,
	       "a character that does not fit is left out whole");
	is_str(out, "a", "  so no half character");
	is_int(ptl_log_escape(out, 1, "abc", 3), 0, "room for the NUL only");
	is_str(out, "", "  empty");
}

int
main(void)
{
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = ptl_log_escape(out, 4 * cases[i].len + 1,
					  cases[i].in, cases[i].len);

		is_str(out, cases[i].want, cases[i].name);
		is_int(n, strlen(cases[i].want), "  its length");
	}
	test_bounds();
	(void)plan;
	return done();
}
