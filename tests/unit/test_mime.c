/* SPDX-License-Identifier: ISC */
/*
 * test_mime: the encoders of lib/base/mime.c on their own: the header
 * checks (text, addresses on top of ptl_email_valid, the Message-ID
 * domain), the exact header block, RFC 5322 dates, RFC 2047 encoded-words
 * and quoted-strings, quoted-printable (soft breaks, trailing white space,
 * '=', '.', CR and LF) and the multipart delimiters. Messages are read
 * back with mime_reader.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/email.h"
#include "base/mem.h"
#include "base/mime.h"
#include "base/utf8.h"
#include "mime_reader.h"
#include "tap.h"

#define NOW_MS 1764115199123LL /* Tue, 25 Nov 2025 23:59:59 UTC */
#define BND PTL_MIME_BOUNDARY_PREFIX "0123abcd"
#define MSGID "00112233445566778899aabbccddeeff"

static const struct ptl_mime_head plain_head = {
    .from_name = "Api",
    .from_email = "noreply@example.com",
    .to = "user@example.com",
    .subject = "Confirm email",
    .date_ms = NOW_MS,
    .message_id = MSGID,
    .boundary = BND,
};

/* A whole message of head h and one text/plain part text[0..len).
 * Arena-owned. */
static char *
build(const struct ptl_mime_head *h, const char *text, size_t len)
{
	struct ptl_buf b;

	ptl_buf_init(&b, arena, 256, 1 << 20);
	ptl_mime_add_head(&b, h);
	ptl_mime_add_part(&b, h->boundary, "text/plain", text, len);
	ptl_mime_add_close(&b, h->boundary);
	return b.overflow ? NULL : b.data;
}

/* s[0..len) through ptl_mime_add_qp() alone. Arena-owned. */
static char *
qp(const char *s, size_t len)
{
	struct ptl_buf b;

	ptl_buf_init(&b, arena, 64, 1 << 16);
	ptl_mime_add_qp(&b, s, len);
	return b.data;
}

static void
test_text_ok(void)
{
	static const char *const good[] = {
	    "Api", "Équipe Ñandú",          "The \"Api\" \\ team",
	    "a b", "\xf0\x9f\x93\xa7 mail",
	};
	static const char *const bad[] = {
	    "",         "Api\r\nBcc: x", "Api\n",    "Api\r",
	    "A\tpi",    "A\x7fpi",       "A\x01pi",  "A\xffpi",
	    "\xc0\xaf", "\xed\xa0\x80",  "\xe2\x82", "\xf4\x90\x80\x80",
	};
	char long_text[PTL_MIME_TEXT_MAX + 2];
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ptl_mime_text_ok(good[i], PTL_MIME_TEXT_MAX))
			n++;
		else
			diag("refused good text #%zu", i);
	}
	is_int(n, sizeof(good) / sizeof(good[0]), "text: plain and UTF-8 pass");
	n = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!ptl_mime_text_ok(bad[i], PTL_MIME_TEXT_MAX))
			n++;
		else
			diag("accepted bad text #%zu", i);
	}
	is_int(n, sizeof(bad) / sizeof(bad[0]),
	       "text: empty, controls and bad UTF-8 refused");
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	ok(!ptl_mime_text_ok(long_text, PTL_MIME_TEXT_MAX),
	   "text: one byte over the maximum refused");
	long_text[PTL_MIME_TEXT_MAX] = '\0';
	ok(ptl_mime_text_ok(long_text, PTL_MIME_TEXT_MAX),
	   "text: exactly the maximum passes");
}

/* Appends n copies of s. */
static void
repeat(struct ptl_buf *b, const char *s, int n)
{
	while (n-- > 0)
		ptl_buf_adds(b, s);
}

static void
test_addr_ok(void)
{
	static const char *const good[] = {
	    "user@example.com",
	    "\"john doe\"@example.com",
	    "jos\xc3\xa9@ex\xc3\xa4mple.com",
	    "first.last+tag@sub.example.com",
	    "noreply@example.com",
	    "o'brien@example.co.uk",
	};
	/* Refused by the syntax (ptl_email_valid). */
	static const char *const bad_syntax[] = {
	    "u@example.com\r\nBcc: x@evil.test",
	    "Eve <u@example.com>",
	    "u@example.com, x@evil.test",
	    "u@example.com;x@evil.test",
	    "u u@example.com",
	    "example.com",
	    "@example.com",
	    "u@",
	    "u@example..com",
	    "u@[127.0.0.1]",
	    "u\xff@example.com",
	    "noreply@localhost",
	    "",
	};
	/* isEmail accepts these; a header or the envelope cannot carry
	 * them as they are. */
	static const char *const bad_header[] = {
	    "\"a\\\"b\"@example.com", /* backslash pair */
	    "\"a@b\"@example.com",    /* '@' inside the quotes */
	    "\"a\tb\"@example.com",   /* TAB */
	    "\"a\r\nb\"@example.com", /* CR LF */
	    "\"a\x01\"@example.com",  /* C0 control */
	    "\"\"@example.com",       /* empty quoted string */
	    "\"@example.com",         /* one quote */
	};
	struct ptl_buf b;
	const char *longest;
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ptl_mime_addr_ok(good[i]))
			n++;
		else
			diag("refused good address #%zu", i);
	}
	is_int(n, sizeof(good) / sizeof(good[0]), "addr: plain addresses pass");
	n = 0;
	for (i = 0; i < sizeof(bad_syntax) / sizeof(bad_syntax[0]); i++) {
		if (!ptl_mime_addr_ok(bad_syntax[i]))
			n++;
		else
			diag("accepted bad address #%zu", i);
	}
	is_int(n, sizeof(bad_syntax) / sizeof(bad_syntax[0]),
	       "addr: what isEmail refuses is refused");
	n = 0;
	for (i = 0; i < sizeof(bad_header) / sizeof(bad_header[0]); i++) {
		if (!ptl_mime_addr_ok(bad_header[i]))
			n++;
		else
			diag("accepted unsafe address #%zu", i);
	}
	is_int(n, sizeof(bad_header) / sizeof(bad_header[0]),
	       "addr: quoted local parts a header cannot carry are refused");
	/* 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254 bytes. */
	ptl_buf_init(&b, arena, 300, 1024);
	repeat(&b, "l", 64);
	ptl_buf_addc(&b, '@');
	repeat(&b, "d", 63);
	ptl_buf_addc(&b, '.');
	repeat(&b, "e", 63);
	ptl_buf_addc(&b, '.');
	repeat(&b, "f", 61);
	ok(b.len == 254 && ptl_mime_addr_ok(b.data), "addr: 254 bytes pass");
	ptl_buf_addc(&b, 'f');
	ok(ptl_email_valid(b.data, b.len) == false && !ptl_mime_addr_ok(b.data),
	   "addr: 255 bytes refused");
	/* Two-byte letters in the domain: 170 UTF-16 units in all (isEmail
	 * counts units, up to 254) but 269 bytes. */
	ptl_buf_init(&b, arena, 300, 1024);
	repeat(&b, "l", 64);
	ptl_buf_addc(&b, '@');
	for (i = 0; i < 3; i++) {
		repeat(&b, "\xc3\xa9", 33);
		ptl_buf_addc(&b, '.');
	}
	ptl_buf_adds(&b, "com");
	longest = b.data;
	ok(strlen(longest) > PTL_MIME_ADDR_MAX &&
	       ptl_email_valid(longest, strlen(longest)) &&
	       !ptl_mime_addr_ok(longest),
	   "addr: isEmail's length counts units; over 254 bytes is refused");
}

static void
test_domain(void)
{
	is_str(ptl_mime_domain("noreply@example.com"), "example.com",
	       "domain: of a plain address");
	is_str(ptl_mime_domain("a@b@mail.example.org"), "mail.example.org",
	       "domain: after the last '@'");
	is_str(ptl_mime_domain("u@ex\xc3\xa4mple.com"), "localhost",
	       "domain: not ASCII is localhost");
	is_str(ptl_mime_domain("nodomain"), "localhost",
	       "domain: no '@' is localhost");
	is_str(ptl_mime_domain("u@"), "localhost",
	       "domain: empty is localhost");
}

static void
test_head(void)
{
	struct ptl_buf b;

	ptl_buf_init(&b, arena, 256, 4096);
	ptl_mime_add_head(&b, &plain_head);
	is_str(b.data,
	       "From: \"Api\" <noreply@example.com>\r\n"
	       "To: user@example.com\r\n"
	       "Subject: Confirm email\r\n"
	       "Date: Tue, 25 Nov 2025 23:59:59 +0000\r\n"
	       "Message-ID: <" MSGID "@example.com>\r\n"
	       "MIME-Version: 1.0\r\n"
	       "Content-Type: multipart/alternative;\r\n"
	       " boundary=\"" BND "\"\r\n"
	       "\r\n",
	       "head: every header, in order, exact");
}

static void
test_date(void)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
	    {NOW_MS, "Tue, 25 Nov 2025 23:59:59 +0000"},
	    {0, "Thu, 01 Jan 1970 00:00:00 +0000"},
	    {951782400000LL, "Tue, 29 Feb 2000 00:00:00 +0000"},
	    {4102444799999LL, "Thu, 31 Dec 2099 23:59:59 +0000"},
	};
	struct ptl_buf b;
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ptl_buf_init(&b, arena, 64, 256);
		ptl_mime_add_date(&b, cases[i].ms);
		(void)snprintf(name, sizeof(name), "date: %s", cases[i].want);
		is_str(b.data, cases[i].want, name);
	}
}

/* RFC 2045 §6.7, one rule at a time. */
static void
test_qp_rules(void)
{
	is_str(qp("a=b", 3), "a=3Db", "qp: '=' is =3D");
	is_str(qp("caf\xc3\xa9", 5), "caf=C3=A9", "qp: 8-bit bytes encoded");
	is_str(qp("a\nb\r\nc", 6), "a\r\nb\r\nc", "qp: LF and CRLF are CRLF");
	is_str(qp("a\rb", 3), "a=0Db", "qp: a lone CR is encoded");
	is_str(qp("a \nb\t\r\nc ", 9), "a=20\r\nb=09\r\nc=20",
	       "qp: white space before a break or the end is encoded");
	is_str(qp("a b", 3), "a b", "qp: inner space stays");
	is_str(qp(".\n.x", 4), "=2E\r\n=2Ex",
	       "qp: '.' starting a line encoded");
	is_str(qp("", 0), "", "qp: empty stays empty");
}

static void
test_qp(void)
{
	struct ptl_buf u;
	char *msg, *p0;
	int i;

	ptl_buf_init(&u, arena, 1024, 4096);
	ptl_buf_adds(&u, "https://app.example.com/password-change?hash=");
	for (i = 0; i < 60; i++)
		ptl_buf_adds(&u, "eyJ0eXAiOiJKV1Qi");
	ptl_buf_adds(&u, "&expires=1795651095252 Reset password");
	msg = build(&plain_head, u.data, u.len);
	p0 = msg != NULL ? part(msg, 0) : NULL;
	ok(p0 != NULL && strstr(p0, "=\r\n") != NULL,
	   "qp: long URL has soft line breaks");
	ok(p0 != NULL && longest_line(p0) <= 76, "qp: lines at most 76");
	is_str(qp_body(p0), u.data, "qp: long URL decodes to the exact line");

	msg = build(&plain_head, "http://x.test/a Reset password ", 31);
	p0 = msg != NULL ? part(msg, 0) : NULL;
	ok(p0 != NULL && strlen(p0) > 3 &&
	       strcmp(p0 + strlen(p0) - 3, "=20") == 0,
	   "qp: trailing space encoded =20");
	is_str(qp_body(p0), "http://x.test/a Reset password ",
	       "qp: trailing space decodes");
	/* 3-byte escapes are never cut by a soft break. */
	ptl_buf_init(&u, arena, 1024, 4096);
	for (i = 0; i < 100; i++)
		ptl_buf_adds(&u, "\xc3\xa9=");
	msg = build(&plain_head, u.data, u.len);
	p0 = msg != NULL ? part(msg, 0) : NULL;
	ok(p0 != NULL && longest_line(p0) <= 76 &&
	       strcmp(qp_body(p0), u.data) == 0,
	   "qp: a line of escapes breaks between them and decodes");
}

static void
test_parts(void)
{
	struct ptl_buf b;
	char *msg;

	ptl_buf_init(&b, arena, 256, 4096);
	ptl_mime_add_part(&b, BND, "text/html", "<p>x</p>", 8);
	ptl_mime_add_close(&b, BND);
	is_str(b.data,
	       "--" BND "\r\n"
	       "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n"
	       "\r\n"
	       "<p>x</p>\r\n"
	       "--" BND "--\r\n",
	       "part: delimiter, headers, body, close delimiter");
	msg = build(&plain_head, "one line", 8);
	ok(msg != NULL && crlf_only(msg, strlen(msg)),
	   "part: every line ends in CRLF");
	is_str(msg != NULL ? qp_body(part(msg, 0)) : NULL, "one line",
	       "part: the body decodes without an added line break");
	ok(msg != NULL && part(msg, 1) == NULL, "part: exactly one part");
	ok(msg != NULL && strstr(msg, "\r\n--" BND "--\r\n") != NULL &&
	       ends_with(msg, "--\r\n"),
	   "part: the close delimiter ends the message");
}

static void
test_encoded_words(void)
{
	static const char title[] = "Подтвердите адрес электронной почты, "
				    "пожалуйста";
	struct ptl_mime_head h = plain_head;
	char *msg, *subject, *p;
	int whole = 1;

	h.from_name = "Équipe Ñandú";
	h.subject = title;
	msg = build(&h, "x", 1);
	if (msg == NULL) {
		ok(0, "rfc2047: message built");
		return;
	}
	ok(strncmp(header(msg, "From"), "=?utf-8?B?", 10) == 0,
	   "rfc2047: name is an encoded-word");
	is_str(ew_decode(ptl_mem_strndup(arena, header(msg, "From"),
					 strcspn(header(msg, "From"), " <"))),
	       "Équipe Ñandú", "rfc2047: name decodes");
	ok(strstr(header(msg, "From"), " <noreply@example.com>") != NULL,
	   "rfc2047: address after the name");
	subject = header(msg, "Subject");
	ok(subject != NULL && strstr(subject, "?= =?utf-8?B?") != NULL,
	   "rfc2047: long subject folded into several words");
	is_str(ew_decode(subject), title, "rfc2047: subject decodes");
	ok(longest_line(msg) <= 76, "rfc2047: all lines at most 76");
	/* RFC 2047 §5 rule 3: each word holds whole characters. */
	for (p = subject; p != NULL && *p != '\0';) {
		char *end = strstr(p, "?=");
		char *word, *dec;

		if (end == NULL)
			break;
		word = ptl_mem_strndup(arena, p, (size_t)(end - p + 2));
		dec = ew_decode(word);
		if (dec == NULL || !ptl_utf8_valid(dec, strlen(dec)))
			whole = 0;
		p = end + 2;
		p += strspn(p, " ");
	}
	ok(whole, "rfc2047: no word splits a character");

	h.from_name = "The \"Api\" \\ team";
	h.subject = "Confirm email";
	msg = build(&h, "x", 1);
	is_str(msg != NULL ? header(msg, "From") : NULL,
	       "\"The \\\"Api\\\" \\\\ team\" <noreply@example.com>",
	       "quoted: escaped inside the quoted-string");
	h.from_name = "Api =?utf-8?Q?x?=";
	msg = build(&h, "x", 1);
	ok(msg != NULL && strncmp(header(msg, "From"), "=?utf-8?B?", 10) == 0,
	   "rfc2047: '=?' in a name is encoded, not passed through");
	is_str(msg != NULL ? ew_decode(ptl_mem_strndup(
				 arena, header(msg, "From"),
				 strcspn(header(msg, "From"), " <")))
			   : NULL,
	       "Api =?utf-8?Q?x?=", "rfc2047: and decodes to the name");
	h.from_name = "Api";
	h.subject = "Re: =?x";
	msg = build(&h, "x", 1);
	is_str(msg != NULL ? ew_decode(header(msg, "Subject")) : NULL,
	       "Re: =?x", "rfc2047: '=?' in a subject is encoded");
	h.subject = "\xc3\xa9";
	msg = build(&h, "x", 1);
	is_str(msg != NULL ? header(msg, "Subject") : NULL,
	       "=?utf-8?B?w6k=?=", "rfc2047: base64 with padding");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 99;
	arena = ptl_mem_new();
	test_text_ok();
	test_addr_ok();
	test_domain();
	test_head();
	test_date();
	test_qp_rules();
	test_qp();
	test_parts();
	test_encoded_words();
	ptl_mem_free(arena);
	return done();
}
