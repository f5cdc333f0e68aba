/* SPDX-License-Identifier: ISC */
/*
 * test_validate: table-driven TAP tests for lib/validate. The email table's
 * expectations were checked against validator.js 13.15.35 isEmail() with
 * default options, including its quirks (a lone '"' local part passes, so
 * does U+3000 inside an atom); strings with bad UTF-8 or NUL bytes cannot be
 * JS strings from a UTF-8 JSON body and are rejected by contract.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "base/email.h"
#include "base/utf8.h"

/* A byte string with its exact length, so cases may hold NUL bytes. */
#define B(lit) lit, sizeof(lit) - 1

struct bool_case {
	const char *s;
	size_t len;
	bool want;
	const char *name;
};

static const struct bool_case email_cases[] = {
    {B("john.doe@example.com"), true, "plain address"},
    {B("\"q\"@example.com"), true, "quoted local part"},
    {B("user@xn--80ak6aa92e.com"), true, "punycode label"},
    {B("Jos\xc3\xa9@ex\xc3\xa4mple.com"), true, "Unicode local and domain"},
    {B("user@sub.example.co.uk"), true, "four labels"},
    {B("a@b.co"), true, "shortest TLD"},
    {B("USER@EXAMPLE.COM"), true, "upper case is not folded, just valid"},
    {B("user+tag@example.com"), true, "plus tag"},
    {B("!#$%&'*+-/=?^_`{|}~@example.com"), true, "all ASCII atext"},
    {B("a.b.c@example.com"), true, "several atoms"},
    {B("\"a b\"@example.com"), true, "quoted space"},
    {B("\"a@b\"@example.com"), true, "quoted @"},
    {B("\"a\\\"b\"@example.com"), true, "quoted escaped quote"},
    {B("\"\\\\\"@example.com"), true, "quoted escaped backslash"},
    {B("\"\"@example.com"), true, "empty quoted string"},
    {B("\"@example.com"), true, "lone quote (validator.js quirk)"},
    {B("\"a\nb\"@x.com"), true, "raw LF is qtext (\\s)"},
    {B("\"a\tb\"@example.com"), true, "quoted TAB"},
    {B("\"a\xc2\xa0z\"@example.com"), true, "quoted NBSP"},
    {B("\"\xc3\xa9\"@example.com"), true, "quoted Unicode"},
    {B("a\xe3\x80\x80z@example.com"), true, "U+3000 in atom (quirk)"},
    {B("user@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"),
     true, "Japanese domain and TLD"},
    {B("user@example.xn--p1ai"), true, "punycode TLD"},
    {B("user@a.XN--P1AI"), true, "punycode TLD, upper case"},
    {B("user@a.\xc2\xaa\xc2\xaa"), true, "TLD of U+00AA"},
    {B("user@a-b.com"), true, "inner hyphen"},
    {B("user@123.com"), true, "numeric non-TLD label"},
    {B("user@\xf0\x9f\x98\x80.com"), true, "astral code point in label"},

    {B(""), false, "empty"},
    {B("example.com"), false, "no @"},
    {B("@example.com"), false, "empty local part"},
    {B("user@"), false, "empty domain"},
    {B("a@b.c"), false, "one-letter TLD"},
    {B("a b@example.com"), false, "space in atom"},
    {B("a\tb@example.com"), false, "TAB in atom"},
    {B("user@localhost"), false, "single label"},
    {B("user@[127.0.0.1]"), false, "IP literal"},
    {B("user@1.2.3.4"), false, "numeric TLD"},
    {B("user@example.c0m"), false, "digit in TLD"},
    {B(".a@x.com"), false, "leading dot"},
    {B("a.@x.com"), false, "trailing dot in local part"},
    {B("a..b@x.com"), false, "double dot"},
    {B("user@-x.com"), false, "label starts with hyphen"},
    {B("user@x-.com"), false, "label ends with hyphen"},
    {B("user@a.xn--"), false, "TLD ends with hyphen"},
    {B("user@x_y.com"), false, "underscore in domain"},
    {B("user@.com"), false, "empty first label"},
    {B("user@example..com"), false, "empty inner label"},
    {B("user@example.com."), false, "trailing dot domain"},
    {B("a@b@example.com"), false, "unquoted @ in local part"},
    {B("Foo <a@b.com>"), false, "display name"},
    {B("\"a\"b\"@example.com"), false, "bare quote inside quotes"},
    {B("\"a\\\"@example.com"), false, "quoted string ends in backslash"},
    {B("\"a\\\nb\"@x.com"), false, "escaped LF"},
    {B("a\xc2\xa0z@example.com"), false, "NBSP in atom"},
    {B("\xf0\x9f\x98\x80@example.com"), false, "astral in atom"},
    {B("\"\xf0\x9f\x98\x80\"@example.com"), false, "astral in quotes"},
    {B("user@a.x\xf0\x9f\x98\x80"), false, "astral in TLD"},
    {B("user@a.\xc2\xa9\xc2\xa9"), false, "TLD of U+00A9"},
    {B("a@b.co\xe3\x80\x80m"), false, "U+3000 in TLD"},
    {B("a@b.cc\n"), false, "LF after TLD"},
    {B("user@exam\xc2\x85ple.com"), false, "U+0085 in label"},
    {B("user@\xef\xbd\x85\xef\xbd\x98.com"), false, "full-width label"},
    {B("user@example.\xef\xbd\x83\xef\xbd\x8f"), false, "full-width TLD"},
    {B("us\0er@example.com"), false, "NUL in local part"},
    {B("user@exa\0mple.com"), false, "NUL in domain"},
    {B("us\xc3\x28r@example.com"), false, "bad continuation byte"},
    {B("user@ex\xffple.com"), false, "0xFF byte"},
    {B("\xc0\xae@example.com"), false, "overlong '.'"},
    {B("user@example.co\xc3"), false, "truncated sequence at end"},
};

static const struct bool_case utf8_cases[] = {
    {B(""), true, "utf8: empty"},
    {B("abc"), true, "utf8: ASCII"},
    {B("\xc3\xa9"), true, "utf8: U+00E9"},
    {B("\xe2\x82\xac"), true, "utf8: U+20AC"},
    {B("\xf0\x9f\x98\x80"), true, "utf8: U+1F600"},
    {B("\xf4\x8f\xbf\xbf"), true, "utf8: U+10FFFF"},
    {B("\xed\x9f\xbf"), true, "utf8: U+D7FF"},
    {B("\xee\x80\x80"), true, "utf8: U+E000"},
    {B("\xef\xbf\xbf"), true, "utf8: noncharacter U+FFFF"},
    {B("\xc0\x80"), false, "utf8: overlong NUL C0 80"},
    {B("\xc1\xbf"), false, "utf8: overlong C1 BF"},
    {B("\xe0\x80\x80"), false, "utf8: overlong E0 80 80"},
    {B("\xe0\x9f\xbf"), false, "utf8: overlong E0 9F BF"},
    {B("\xf0\x8f\xbf\xbf"), false, "utf8: overlong F0 8F BF BF"},
    {B("\xed\xa0\x80"), false, "utf8: surrogate ED A0 80"},
    {B("\xed\xbf\xbf"), false, "utf8: surrogate ED BF BF"},
    {B("\xf4\x90\x80\x80"), false, "utf8: above U+10FFFF"},
    {B("\xf5\x80\x80\x80"), false, "utf8: F5 lead"},
    {B("\xff"), false, "utf8: FF"},
    {B("\x80"), false, "utf8: stray continuation"},
    {B("a\xc3"), false, "utf8: truncated 2-byte"},
    {B("\xe2\x82"), false, "utf8: truncated 3-byte"},
    {B("\xf0\x9f\x98"), false, "utf8: truncated 4-byte"},
    {B("\xc3\x28"), false, "utf8: bad continuation"},
    {B("\xe2\x82\xac\x80"), false, "utf8: extra continuation"},
    {B("a\0b"), false, "utf8: NUL inside"},
    {B("\0"), false, "utf8: lone NUL"},
};

struct len_case {
	const char *s;
	size_t len;
	size_t chars;
	size_t utf16;
	size_t js_len;
	const char *name;
};

static const struct len_case len_cases[] = {
    {B(""), 0, 0, 0, "empty"},
    {B("abcdef"), 6, 6, 6, "ASCII"},
    {B("\xc3\xa9t\xc3\xa9"), 3, 3, 3, "two-byte"},
    {B("\xe2\x82\xac"), 1, 1, 1, "three-byte"},
    {B("\xf0\x9f\x98\x80"), 1, 2, 1, "astral"},
    {B("a\xf0\x9f\x98\x80z"), 3, 4, 3, "astral between ASCII"},
    {B("\xe2\x9d\xa4\xef\xb8\x8f"), 2, 2, 1, "U+2764 U+FE0F"},
    {B("\xef\xb8\x8exyz"), 4, 4, 3, "U+FE0E"},
};

/* ptl_email_deliverable(): valid for validator.js and also an address the
 * mail adapter can write into a header and an SMTP envelope. */
static const struct bool_case deliverable_cases[] = {
    {B("john.doe@example.com"), true, "plain address"},
    {B("\"q\"@example.com"), true, "quoted local part"},
    {B("\"a b\"@example.com"), true, "quoted space"},
    {B("\"\xc3\xa9\"@example.com"), true, "quoted Unicode"},
    {B("Jos\xc3\xa9@ex\xc3\xa4mple.com"), true, "Unicode local and domain"},
    {B("!#$%&'*+-/=?^_`{|}~@example.com"), true, "all ASCII atext"},
    {B("\"a\r\nb\"@example.com"), false, "quoted CR LF"},
    {B("\"a\nb\"@x.com"), false, "quoted LF"},
    {B("\"a\rb\"@x.com"), false, "quoted CR"},
    {B("\"a\tb\"@example.com"), false, "quoted TAB"},
    {B("\"a\x01b\"@example.com"), false, "quoted control byte"},
    {B("\"a\x1b[31mb\"@example.com"), false, "quoted ESC"},
    {B("\"a\x7f\"@example.com"), false, "quoted DEL"},
    {B("\"a\\\"b\"@example.com"), false, "quoted escaped quote"},
    {B("\"\\\\\"@example.com"), false, "quoted escaped backslash"},
    {B("\"a\\b\"@example.com"), false, "quoted pair"},
    {B("\"a@b\"@example.com"), false, "quoted @"},
    {B("\"\"@example.com"), false, "empty quoted string"},
    {B("\"@example.com"), false, "lone quote"},
    {B("a@b@example.com"), false, "not valid at all"},
    {B("x@\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
       ".example.com"),
     true, "Unicode domain within 254 bytes"},
};

/* An address of 254 UTF-16 units but more than 254 bytes is valid for
 * validator.js (it counts units) and too long for the mail adapter. */
static void
test_deliverable_length(void)
{
	char buf[600];
	size_t n = 0, i;

	memcpy(buf, "a@", 2);
	n = 2;
	for (i = 0; i < 4; i++) {
		size_t k;

		if (i > 0)
			buf[n++] = '.';
		for (k = 0; k < 30; k++) {
			memcpy(buf + n, "\xc3\xa9", 2);
			n += 2;
		}
	}
	memcpy(buf + n, ".com", 4);
	n += 4;
	is_int(ptl_email_valid(buf, n), true, "249 bytes: valid");
	is_int(ptl_email_deliverable(buf, n), true, "  and deliverable");
	memcpy(buf + n - 4, "\xc3\xa9\xc3\xa9\xc3\xa9.com", 10);
	n += 6;
	is_int(ptl_email_valid(buf, n), true, "255 bytes, 132 units: valid");
	is_int(ptl_email_deliverable(buf, n), false, "  but not deliverable");
}

/* Runs normalise on a NUL-terminated input into a buffer of out_size. */
static void
norm_case(const char *in, size_t out_size, const char *want, const char *name)
{
	char out[64];
	size_t got;

	memset(out, 'X', sizeof(out));
	got = ptl_email_normalise(in, strlen(in), out, out_size);
	if (want == NULL) {
		is_int(got == SIZE_MAX, 1, name);
		if (out_size > 0)
			is_str(out, "", "failure leaves an empty string");
		else
			is_int(out[0], 'X', "out_size 0 writes nothing");
		return;
	}
	is_int(got, strlen(want), name);
	is_str(out, want, name);
}

/* Builds local@domain where the local part is local_len 'a's and the
 * domain is labels of the given lengths joined by '.', all letters. */
static size_t
build(char *buf, size_t local_len, const size_t *labels, size_t nlabels)
{
	size_t n = 0;
	size_t i;

	memset(buf, 'a', local_len);
	n = local_len;
	buf[n++] = '@';
	for (i = 0; i < nlabels; i++) {
		if (i > 0)
			buf[n++] = '.';
		memset(buf + n, 'b', labels[i]);
		n += labels[i];
	}
	buf[n] = '\0';
	return n;
}

static void
test_email_lengths(void)
{
	static const size_t com[] = {7, 3};
	static const size_t l63[] = {63, 3};
	static const size_t l64[] = {64, 3};
	static const size_t d254[] = {63, 63, 61};
	static const size_t d255[] = {63, 63, 62};
	char buf[600];
	size_t n;
	size_t i;

	n = build(buf, 64, com, 2);
	ok(ptl_email_valid(buf, n), "64-byte local part");
	n = build(buf, 65, com, 2);
	ok(!ptl_email_valid(buf, n), "65-byte local part");
	n = build(buf, 1, l63, 2);
	ok(ptl_email_valid(buf, n), "63-char label");
	n = build(buf, 1, l64, 2);
	ok(!ptl_email_valid(buf, n), "64-char label");
	n = build(buf, 64, d254, 3);
	is_int(n, 254, "built a 254-char address");
	ok(ptl_email_valid(buf, n), "254-char address");
	n = build(buf, 64, d255, 3);
	is_int(n, 255, "built a 255-char address");
	ok(!ptl_email_valid(buf, n), "255-char address");

	/* isByteLength: 32 x U+00E9 is 64 bytes, 33 is 66 (33 JS units). */
	n = 0;
	for (i = 0; i < 33; i++) {
		buf[n++] = '\xc3';
		buf[n++] = '\xa9';
	}
	memcpy(buf + n, "@example.com", 13);
	ok(!ptl_email_valid(buf, n + 12), "66-byte Unicode local part");
	memmove(buf + 64, buf + 66, 12);
	ok(ptl_email_valid(buf, 64 + 12), "64-byte Unicode local part");

	/* isFQDN counts a label in UTF-16 units: 31 x U+1F600 is 62 units
	 * (124 bytes) and passes, 32 is 64 units and fails. */
	n = 0;
	buf[n++] = 'a';
	buf[n++] = '@';
	for (i = 0; i < 31; i++) {
		memcpy(buf + n, "\xf0\x9f\x98\x80", 4);
		n += 4;
	}
	memcpy(buf + n, ".com", 5);
	ok(ptl_email_valid(buf, n + 4), "62-unit astral label");
	memmove(buf + n + 4, buf + n, 4);
	memcpy(buf + n, "\xf0\x9f\x98\x80", 4);
	ok(!ptl_email_valid(buf, n + 8), "64-unit astral label");
}

static void
test_normalise(void)
{
	char buf[16], out[32];
	size_t got;

	norm_case("  John.Doe@Example.COM  ", 64, "john.doe@example.com",
		  "reference example");
	norm_case("\xc2\xa0x@y.com\xc2\xa0", 64, "x@y.com", "NBSP trimmed");
	norm_case("\xef\xbb\xbf\xe3\x80\x80\xe2\x80\xa8X@Y.COM\t\r\n\v\f", 64,
		  "x@y.com", "BOM, U+3000, U+2028, ASCII controls");
	norm_case("\xe1\x9a\x80\xe2\x80\x80\xe2\x80\x8a\xe2\x80\xaf"
		  "\xe2\x81\x9fx\xe2\x80\xa9",
		  64, "x", "U+1680, U+2000, U+200A, U+202F, U+205F, U+2029");
	norm_case("\xe2\x80\x8bX@y.com", 64, "\xe2\x80\x8bx@y.com",
		  "U+200B is not JS whitespace");
	norm_case("\xc2\x85X@y.com", 64, "\xc2\x85x@y.com",
		  "U+0085 is not JS whitespace");
	/* toLowerCase() maps every letter (checked against Node.js 20):
	 * one address, one account, however its letters are cased. */
	norm_case("\xc3\x89X@Y.com", 64, "\xc3\xa9x@y.com",
		  "\xc3\x89 becomes \xc3\xa9");
	norm_case("\xc3\xa9x@y.com", 64, "\xc3\xa9x@y.com",
		  "\xc3\xa9 stays");
	norm_case("J\xc3\x9cRGEN@M\xc3\x9cNCHEN.DE", 64,
		  "j\xc3\xbcrgen@m\xc3\xbcnchen.de", "German umlauts");
	norm_case("\xd0\x98\xd0\x92\xd0\x90\xd0\x9d@\xd0\xa0\xd0\xa4.RU", 64,
		  "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@\xd1\x80\xd1\x84.ru",
		  "Cyrillic");
	norm_case("\xc3\x9f@x.com", 64, "\xc3\x9f@x.com",
		  "sharp s has no lower case of its own");
	norm_case("\xe1\xba\x9e@x.com", 64, "\xc3\x9f@x.com",
		  "capital sharp s becomes sharp s");
	norm_case("\xe2\x84\xaa@x.com", 64, "k@x.com",
		  "Kelvin sign becomes an ASCII k");
	norm_case("\xc4\xb0@x.com", 64, "i\xcc\x87@x.com",
		  "U+0130 becomes i U+0307");
	norm_case("\xc8\xba@x.com", 64, "\xe2\xb1\xa5@x.com",
		  "U+023A grows from 2 to 3 bytes");
	norm_case("\xce\x91\xce\xa3@X.COM", 64, "\xce\xb1\xcf\x82@x.com",
		  "final sigma");
	norm_case("\xce\x91\xce\xa3\xce\x91@X.COM", 64,
		  "\xce\xb1\xcf\x83\xce\xb1@x.com", "sigma inside a word");
	norm_case("\xce\xa3@X.COM", 64, "\xcf\x83@x.com",
		  "sigma with no letter before");
	norm_case("\xce\x91\xce\xa3.B@X.COM", 64,
		  "\xce\xb1\xcf\x83.b@x.com", "'.' is case-ignorable");
	norm_case(" \xce\x91\xce\xa3 ", 64, "\xce\xb1\xcf\x82",
		  "final sigma before trimmed space");
	norm_case("\xf0\x90\x90\x80@x.com", 64, "\xf0\x90\x90\xa8@x.com",
		  "Deseret (astral)");
	norm_case("\xff\xc3\x89", 64, "\xff\xc3\xa9",
		  "invalid UTF-8 copied through");
	norm_case(" a B ", 64, "a b", "inner space kept");
	norm_case("   ", 64, "", "all whitespace");
	norm_case("", 64, "", "empty");
	norm_case("a\xe3\x80", 64, "a\xe3\x80", "truncated U+3000 not trimmed");
	norm_case("  Ab  ", 3, "ab", "exact fit after trimming");
	norm_case("ABC", 3, NULL, "too-small buffer");
	norm_case("ABC", 0, NULL, "zero-size buffer");

	memcpy(buf, "  AB@C.DE  ", 12);
	got = ptl_email_normalise(buf, 11, out, sizeof(out));
	is_int(got, 7, "length");
	is_str(out, "ab@c.de", "result");
	/* The bound of email.h: 1.5 times the input, plus the NUL. */
	memcpy(buf, "\xc8\xba\xc8\xba\xc4\xb0\xc4\xb0", 9);
	got = ptl_email_normalise(buf, 8, out, PTL_EMAIL_NORMALISED_MAX(8));
	is_int(got, 12, "growth to the bound");
	got = ptl_email_normalise(buf, 8, out, PTL_EMAIL_NORMALISED_MAX(8) - 1);
	is_int(got == SIZE_MAX, 1, "  one byte less does not fit");
}

int
main(void)
{
	size_t i;
	const struct len_case *c;

	for (i = 0; i < sizeof(email_cases) / sizeof(email_cases[0]); i++) {
		is_int(ptl_email_valid(email_cases[i].s, email_cases[i].len),
		       email_cases[i].want, email_cases[i].name);
	}
	test_email_lengths();
	for (i = 0; i < sizeof(deliverable_cases) / sizeof(deliverable_cases[0]);
	     i++) {
		ok(ptl_email_deliverable(deliverable_cases[i].s,
					 deliverable_cases[i].len) ==
		       deliverable_cases[i].want,
		   "deliverable: %s", deliverable_cases[i].name);
	}
	test_deliverable_length();

	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		is_int(ptl_utf8_valid(utf8_cases[i].s, utf8_cases[i].len),
		       utf8_cases[i].want, utf8_cases[i].name);
	}

	for (i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		c = &len_cases[i];
		is_int(ptl_utf8_chars(c->s, c->len), c->chars,
		       c->name);
		is_int(ptl_utf8_utf16_len(c->s, c->len), c->utf16, c->name);
		is_int(ptl_utf8_length(c->s, c->len), c->js_len, c->name);
	}

	test_normalise();
	/* Plan-less run: done() prints the plan. Referencing plan() keeps
	 * -Wunused-function quiet about tap.h's static definition. */
	(void)plan;
	return done();
}
