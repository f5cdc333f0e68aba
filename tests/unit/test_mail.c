/* SPDX-License-Identifier: ISC */
/*
 * test_mail: the three mails (lib/domain/mail.c) as rendered messages:
 * every header, the multipart structure, the one-line text part of API.md
 * §4.0, the templates and their placeholders, long and non-ASCII values
 * passing through, and the refusal of CR/LF/control injection in every
 * value that reaches a header. The encoders themselves are test_mime's;
 * the settings test_cfg's; delivery test_smtp's. Templates come from
 * $srcdir/mail, the strings of §12.3 from $srcdir/i18n. The check at start (ptl_mail_check_templates) finds a
 * missing, unusable or oversized template, and warns of one without a
 * link.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/cfg.h"
#include "base/mem.h"
#include "domain/i18n.h"
#include "domain/mail.h"
#include "mime_reader.h"
#include "tap.h"

#define NOW_MS 1764115199123LL /* Tue, 25 Nov 2025 23:59:59 UTC */
#define URL "http://localhost:3000/confirm-email?hash=eyJhbGciOi.J9&x=1"

/* The strings of a mail as the tests give them: title NULL means the
 * English title of the kind (API.md §12.2), and every mail has the same
 * three lines, an app name and, for the reset mail, a line below. */
static struct ptl_mail_text
text_of(enum ptl_mail_kind kind, const char *title)
{
	struct ptl_mail_text t = {
	    .title = title,
	    .lines = {"Line one", "Line <2> & 'two'", "Line three"},
	    .app = "App & Co",
	};

	if (title == NULL)
		t.title = kind == PTL_MAIL_RESET ? "Reset password"
						 : "Confirm email";
	if (kind == PTL_MAIL_RESET)
		t.below = "Below the button";
	return t;
}

static enum ptl_err
render(const struct ptl_cfg_mail *mc, enum ptl_mail_kind kind,
       const char *title, const char *to, const char *url, char **msg)
{
	struct ptl_mail_text text = text_of(kind, title);
	size_t len = 0;
	enum ptl_err e;

	*msg = NULL;
	e = ptl_mail_render(arena, mc, kind, &text, to, url, NOW_MS, msg,
			    &len);
	if (e == PTL_OK && strlen(*msg) != len)
		diag("length mismatch");
	return e;
}

/* ---- rendering ---- */

static void
test_parts(const char *msg)
{
	char *bnd, *p0, *p1;

	bnd = boundary_of(msg);
	ok(bnd != NULL && strncmp(header(msg, "Content-Type"),
				  "multipart/alternative; boundary=", 32) == 0,
	   "render: multipart/alternative with a boundary");
	ok(bnd != NULL &&
	       ends_with(msg, ptl_mem_printf(arena, "\r\n--%s--\r\n", bnd)),
	   "render: closing delimiter ends the message");
	p0 = part(msg, 0);
	p1 = part(msg, 1);
	ok(p0 != NULL && strncmp(p0,
				 "Content-Type: text/plain; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: quoted-printable"
				 "\r\n\r\n",
				 88) == 0,
	   "render: part 1 is text/plain utf-8 quoted-printable");
	ok(p1 != NULL && strncmp(p1,
				 "Content-Type: text/html; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: quoted-printable"
				 "\r\n\r\n",
				 87) == 0,
	   "render: part 2 is text/html utf-8 quoted-printable");
	ok(part(msg, 2) == NULL, "render: exactly two parts");
	is_str(qp_body(p0), URL " Confirm email",
	       "render: text part is exactly '<url> <title>', no newline");
	ok(p0 != NULL && strstr(p0, "hash=3DeyJ") != NULL,
	   "render: '=' in the URL is encoded =3D");
	ok(qp_body(p1) != NULL &&
	       strstr(qp_body(p1),
		      "href=\"http://localhost:3000/confirm-"
		      "email?hash=eyJhbGciOi.J9&amp;x=1\"") != NULL,
	   "render: HTML links the HTML-escaped URL");
	ok(qp_body(p1) != NULL && strstr(qp_body(p1), "{{") == NULL &&
	       strstr(qp_body(p1), "<title>Confirm email</title>") != NULL,
	   "render: HTML placeholders all replaced");
	ok(crlf_only(msg, strlen(msg)), "render: every line ends in CRLF");
	ok(longest_line(strstr(msg, "\r\n\r\n")) <= 76,
	   "render: body lines at most 76 characters");
}

static void
test_structure(const struct ptl_cfg_mail *mc)
{
	char *msg = NULL, *mid;

	is_int(
	    render(mc, PTL_MAIL_CONFIRM, NULL, "user@example.com", URL, &msg),
	    PTL_OK, "render: confirm");
	if (msg == NULL)
		return;
	is_str(header(msg, "From"), "\"Api\" <noreply@example.com>",
	       "render: From exact");
	is_str(header(msg, "To"), "user@example.com", "render: To");
	is_str(header(msg, "Subject"), "Confirm email", "render: Subject");
	is_str(header(msg, "Date"), "Tue, 25 Nov 2025 23:59:59 +0000",
	       "render: Date (RFC 5322, UTC)");
	mid = header(msg, "Message-ID");
	ok(mid != NULL && strlen(mid) == 46 && mid[0] == '<' &&
	       strspn(mid + 1, "0123456789abcdef") == 32 &&
	       strcmp(mid + 33, "@example.com>") == 0,
	   "render: Message-ID <hex@example.com>");
	is_str(header(msg, "MIME-Version"), "1.0", "render: MIME-Version");
	test_parts(msg);
}

static void
test_kinds(const struct ptl_cfg_mail *mc)
{
	char *msg = NULL, *html, *mid, *bnd;

	is_int(render(mc, PTL_MAIL_RESET, NULL, "u@example.com",
		      "http://x.test/password-change?hash=a.b.c&expires=1",
		      &msg),
	       PTL_OK, "render: reset");
	is_str(msg != NULL ? header(msg, "Subject") : NULL, "Reset password",
	       "render: reset Subject");
	is_str(msg != NULL ? qp_body(part(msg, 0)) : NULL,
	       "http://x.test/password-change?hash=a.b.c&expires=1 "
	       "Reset password",
	       "render: reset text line");
	mid = msg != NULL ? header(msg, "Message-ID") : NULL;
	bnd = msg != NULL ? boundary_of(msg) : NULL;
	is_int(render(mc, PTL_MAIL_CONFIRM_NEW, NULL, "u@example.com",
		      "http://x.test/confirm-new-email?hash=h", &msg),
	       PTL_OK, "render: confirm new email");
	html = msg != NULL ? qp_body(part(msg, 1)) : NULL;
	ok(html != NULL && strstr(html, "confirm-new-email?hash=h") != NULL,
	   "render: confirm-new-email links its URL");
	ok(html != NULL &&
	       strstr(html, ">Line one<br>Line &lt;2&gt; &amp; &#39;two&#39;"
			    "<br>Line three</p>") != NULL,
	   "render: {{lines}} are the lines, escaped, <br> between them");
	ok(html != NULL && strstr(html, ">App &amp; Co</td>") != NULL,
	   "render: {{app}} is the header cell, escaped");
	ok(html != NULL && strstr(html, "Below the button") == NULL,
	   "render: confirm-new-email has no line below the button");
	ok(msg != NULL && mid != NULL && bnd != NULL &&
	       strcmp(header(msg, "Message-ID"), mid) != 0 &&
	       strcmp(boundary_of(msg), bnd) != 0,
	   "render: Message-ID and boundary are fresh per message");
	/* A kind's title has one source, the table in mail.c, and shows
	 * in the Subject. */
	is_str(msg != NULL ? header(msg, "Subject") : NULL, "Confirm email",
	       "title: confirm new email");
	is_int(render(mc, PTL_MAIL__MAX, "Confirm email", "u@example.com", URL,
		      &msg),
	       PTL_ERR_INTERNAL, "title: out of range");
	is_int(render(mc, PTL_MAIL__MAX, NULL, "u@example.com", URL, &msg),
	       PTL_ERR_INTERNAL, "render: kind out of range");
}

/* Long and non-ASCII values reach the message whole; how they are
 * encoded is test_mime's. */
static void
test_long_values(struct ptl_cfg_mail mc)
{
	static const char title[] = "Подтвердите адрес электронной почты, "
				    "пожалуйста";
	struct ptl_buf u;
	char *msg = NULL;
	int i;

	ptl_buf_init(&u, arena, 1024, 4096);
	ptl_buf_adds(&u, "https://app.example.com/password-change?hash=");
	for (i = 0; i < 60; i++)
		ptl_buf_adds(&u, "eyJ0eXAiOiJKV1Qi");
	ptl_buf_adds(&u, "&expires=1795651095252");
	is_int(render(&mc, PTL_MAIL_RESET, NULL, "u@example.com", u.data, &msg),
	       PTL_OK, "qp: long URL renders");
	is_str(msg != NULL ? qp_body(part(msg, 0)) : NULL,
	       ptl_mem_printf(arena, "%s Reset password", u.data),
	       "qp: long URL decodes to the exact line");

	is_int(render(&mc, PTL_MAIL_RESET, "Reset password ", "u@example.com",
		      "http://x.test/a", &msg),
	       PTL_OK, "qp: title with a trailing space");
	is_str(msg != NULL ? qp_body(part(msg, 0)) : NULL,
	       "http://x.test/a Reset password ", "qp: trailing space decodes");

	mc.from_name = "Équipe Ñandú";
	is_int(render(&mc, PTL_MAIL_CONFIRM, title, "u@example.com", URL, &msg),
	       PTL_OK, "rfc2047: non-ASCII name and title render");
	ok(msg != NULL &&
	       strcmp(ew_decode(header(msg, "Subject")), title) == 0 &&
	       longest_line(msg) <= 76,
	   "rfc2047: the title is the Subject, in lines of 76 at most");
	is_str(msg != NULL ? qp_body(part(msg, 0)) : NULL,
	       ptl_mem_printf(arena, "%s %s", URL, title),
	       "rfc2047: text line carries the UTF-8 title");

	mc.from_name = "The \"Api\" \\ team";
	is_int(render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com", URL, &msg),
	       PTL_OK, "quoted: name with quote and backslash");
	mc.from_name = "Api =?utf-8?Q?x?=";
	is_int(render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com", URL, &msg),
	       PTL_OK, "rfc2047: ASCII name holding '=?'");
}

static void
test_injection(struct ptl_cfg_mail mc)
{
	static const char *const bad_to[] = {
	    "u@example.com\r\nBcc: x@evil.test",
	    "u@example.com\nBcc: x",
	    "u@example.com\r",
	    "u@exa\tmple.com",
	    "u\x7f@example.com",
	    "Eve <u@example.com>",
	    "u@example.com, x@evil.test",
	    "u@example.com;x@evil.test",
	    "u u@example.com",
	    "example.com",
	    "@example.com",
	    "u@",
	    "\"u@example.com",
	    "u\"x\"@example.com",
	    "u@exam ple.com",
	    "u@example..com",
	    "u@[127.0.0.1]",
	    "u\xff@example.com",
	    "",
	};
	static const char *const bad_url[] = {
	    "http://x.test/a\r\nBcc: x",
	    "http://x.test/a\nb",
	    "http://x.test/a b",
	    "http://x.test/\ta",
	    "http://x.test/\x01",
	    "http://x.test/\xc3\xa9",
	    "",
	};
	static char untouched[] = "untouched";
	struct ptl_mail_text text = text_of(PTL_MAIL_CONFIRM, NULL);
	char *msg;
	size_t i, len = 7;
	int refused = 0;

	for (i = 0; i < sizeof(bad_to) / sizeof(bad_to[0]); i++) {
		msg = untouched;
		if (ptl_mail_render(arena, &mc, PTL_MAIL_CONFIRM, &text,
				    bad_to[i], URL, NOW_MS, &msg,
				    &len) == PTL_ERR_BAD_REQUEST &&
		    strcmp(msg, "untouched") == 0 && len == 7)
			refused++;
		else
			diag("accepted to #%zu", i);
	}
	is_int(refused, sizeof(bad_to) / sizeof(bad_to[0]),
	       "inject: every bad recipient refused, nothing built");
	refused = 0;
	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
		if (render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com",
			   bad_url[i], &msg) == PTL_ERR_BAD_REQUEST)
			refused++;
		else
			diag("accepted url #%zu", i);
	}
	is_int(refused, sizeof(bad_url) / sizeof(bad_url[0]),
	       "inject: every bad URL refused");
	is_int(render(&mc, PTL_MAIL_CONFIRM, "Confirm\r\nBcc: x@evil.test",
		      "u@example.com", URL, &msg),
	       PTL_ERR_BAD_REQUEST, "inject: CRLF in title refused");
	mc.from_name = "Api\r\nBcc: x@evil.test";
	is_int(render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com", URL, &msg),
	       PTL_ERR_BAD_REQUEST, "inject: CRLF in sender name refused");
	mc.from_name = "Api";
	mc.from_email = "noreply@example.com\r\nBcc: x@evil.test";
	is_int(render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com", URL, &msg),
	       PTL_ERR_BAD_REQUEST, "inject: CRLF in sender address refused");
}

static void
test_addresses(const struct ptl_cfg_mail *mc)
{
	static const char nul_to[] = "u@example.com\0\r\nBcc: x@evil.test";
	char *msg = NULL;

	/* A C string ends at its NUL: what follows can never be read. */
	is_int(render(mc, PTL_MAIL_CONFIRM, NULL, nul_to, URL, &msg), PTL_OK,
	       "nul: recipient ends at the NUL");
	ok(msg != NULL && strstr(msg, "Bcc") == NULL &&
	       strcmp(header(msg, "To"), "u@example.com") == 0,
	   "nul: nothing after the NUL reaches the message");
	is_int(render(mc, PTL_MAIL_CONFIRM, NULL, "\"john doe\"@example.com",
		      URL, &msg),
	       PTL_OK, "addr: quoted local part accepted");
	is_int(render(mc, PTL_MAIL_CONFIRM, NULL,
		      "jos\xc3\xa9@ex\xc3\xa4mple.com", URL, &msg),
	       PTL_OK, "addr: UTF-8 address accepted (RFC 6532)");
	is_int(render(mc, PTL_MAIL_CONFIRM, NULL,
		      "first.last+tag@sub.example.com", URL, &msg),
	       PTL_OK, "addr: dot-atom with '+' accepted");
}

static void
test_templates(struct ptl_cfg_mail mc)
{
	char dir[] = "/tmp/test_mail.XXXXXX";
	char *msg = NULL, *path;
	FILE *f;
	size_t i;

	mc.template_dir = "/nonexistent/mail";
	is_int(render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com", URL, &msg),
	       PTL_ERR_INTERNAL, "template: missing file is an internal error");
	if (mkdtemp(dir) == NULL)
		return;
	path = ptl_mem_printf(arena, "%s/activation.html", dir);
	f = fopen(path, "w");
	for (i = 0; f != NULL && i < PTL_MAIL_TEMPLATE_MAX / 8 + 1; i++)
		(void)fputs("{{url}}\n", f);
	if (f != NULL)
		(void)fclose(f);
	mc.template_dir = dir;
	is_int(render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com", URL, &msg),
	       PTL_ERR_INTERNAL,
	       "template: over PTL_MAIL_TEMPLATE_MAX refused");
	(void)unlink(path);
	(void)rmdir(dir);
}

static bool
put(const char *dir, const char *name, const char *text)
{
	FILE *f = fopen(ptl_mem_printf(arena, "%s/%s", dir, name), "w");

	if (f == NULL)
		return false;
	(void)fputs(text, f);
	return fclose(f) == 0;
}

/* Issue 10 point 9: a mail that cannot be rendered is found at start. */
static void
test_check(struct ptl_cfg_mail mc)
{
	char dir[] = "/tmp/test_mail_check.XXXXXX";
	unsigned bad = 99;
	size_t i;
	FILE *f;

	is_int(ptl_mail_check_templates(&mc, &bad), PTL_OK,
	       "check: the shipped templates");
	is_int(bad, 0, "check: none unusable");
	mc.template_dir = "/nonexistent/mail";
	is_int(ptl_mail_check_templates(&mc, &bad), PTL_ERR_INTERNAL,
	       "check: a missing folder");
	is_int(bad, PTL_MAIL__MAX, "check: every template counted");
	if (mkdtemp(dir) == NULL)
		return;
	mc.template_dir = dir;
	/* activation: a folder; confirm-new-email: too big; reset: fine but
	 * without a link. */
	ok(mkdir(ptl_mem_printf(arena, "%s/activation.html", dir), 0700) == 0,
	   "check: activation.html is a folder");
	f = fopen(ptl_mem_printf(arena, "%s/confirm-new-email.html", dir), "w");
	for (i = 0; f != NULL && i < PTL_MAIL_TEMPLATE_MAX / 8 + 1; i++)
		(void)fputs("{{url}}\n", f);
	if (f != NULL)
		(void)fclose(f);
	ok(put(dir, "reset-password.html", "<p>no link here</p>"),
	   "check: reset-password.html without {{url}}");
	is_int(ptl_mail_check_templates(&mc, &bad), PTL_ERR_INTERNAL,
	       "check: unusable templates fail");
	is_int(bad, 2,
	       "check: the folder and the big one; a missing link is "
	       "a warning");
	ok(rmdir(ptl_mem_printf(arena, "%s/activation.html", dir)) == 0 &&
	       put(dir, "activation.html", "{{url}}") &&
	       put(dir, "confirm-new-email.html", "{{url}} {{title}}"),
	   "check: fixed");
	is_int(ptl_mail_check_templates(&mc, NULL), PTL_OK,
	       "check: passes once every file is usable");
	(void)unlink(ptl_mem_printf(arena, "%s/activation.html", dir));
	(void)unlink(ptl_mem_printf(arena, "%s/confirm-new-email.html", dir));
	(void)unlink(ptl_mem_printf(arena, "%s/reset-password.html", dir));
	(void)rmdir(dir);
}

/* The strings of each mail from the shipped message files (API.md
 * §12.3), and the strings missing from a fallback. */
static void
test_strings(const struct ptl_cfg_mail *mc, const char *dir)
{
	struct ptl_i18n *t = NULL;
	struct ptl_mail_text m;
	char *msg = NULL, *html;
	size_t len = 0;
	unsigned bad = 9;

	if (!ok(ptl_i18n_load(&t, dir, "en") == PTL_OK,
		"strings: the shipped message files load"))
		return;
	is_int(ptl_mail_check_strings(t, &bad), PTL_OK,
	       "strings: every mail has its strings in the fallback");
	is_int(bad, 0, "strings: none missing");
	ok(ptl_mail_text(arena, t, PTL_MAIL_CONFIRM, "fr", "NestJS API", &m) ==
		   PTL_OK &&
	       strcmp(m.title, "Confirmer l'e-mail") == 0 &&
	       strcmp(m.lines[0], "Salut !") == 0 &&
	       strcmp(m.lines[1],
		      "Vous êtes presque prêt à commencer NestJS API.") == 0 &&
	       m.below == NULL && strcmp(m.app, "NestJS API") == 0,
	   "strings: the French confirm mail, text2 + space + APP_NAME + .");
	ok(ptl_mail_text(arena, t, PTL_MAIL_CONFIRM, NULL, "NestJS API", &m) ==
		   PTL_OK &&
	       strcmp(m.lines[1], "You’re almost ready to start "
				  "enjoying NestJS API.") == 0,
	   "strings: no language is the fallback's");
	ok(ptl_mail_text(arena, t, PTL_MAIL_CONFIRM_NEW, "uk", "A", &m) ==
		   PTL_OK &&
	       strcmp(m.title, "Підтвердити email") == 0 &&
	       strcmp(m.lines[1], "Підтвердіть свою нову електронну адресу.") ==
		   0,
	   "strings: the Ukrainian confirm-new-email mail");
	ok(ptl_mail_text(arena, t, PTL_MAIL_RESET, "zh", "A", &m) == PTL_OK &&
	       strcmp(m.title, "重置密码") == 0 &&
	       strcmp(m.lines[0], "登录遇到问题？") == 0 && m.below != NULL &&
	       strcmp(m.below, "如果您没有发出此请求，请忽略此电子邮件。") == 0,
	   "strings: the Chinese reset mail, text4 below the button");
	is_int(ptl_mail_text(arena, t, PTL_MAIL__MAX, "en", "A", &m),
	       PTL_ERR_INTERNAL, "strings: kind out of range");
	is_int(ptl_mail_render(arena, mc, PTL_MAIL_RESET, &m, "u@example.com",
			       "http://x.test/a", NOW_MS, &msg, &len),
	       PTL_OK, "strings: the Chinese reset mail renders");
	html = msg != NULL ? qp_body(part(msg, 1)) : NULL;
	ok(html != NULL &&
	       strstr(html, ">如果您没有发出此请求，请忽略此电子邮件。</p>") !=
		   NULL &&
	       strstr(html, "<title>重置密码</title>") != NULL,
	   "strings: {{below}} and {{title}} in the HTML");
	is_str(msg != NULL ? ew_decode(header(msg, "Subject")) : NULL,
	       "重置密码", "strings: the Subject");
	ptl_i18n_free(t);
}

/* A fallback language without the strings of the mails. */
static void
test_strings_missing(void)
{
	char dir[] = "/tmp/ptl-mail-i18n.XXXXXX";
	struct ptl_i18n *t = NULL;
	struct ptl_mail_text m;
	unsigned bad = 0;

	if (mkdtemp(dir) == NULL)
		return;
	(void)mkdir(ptl_mem_printf(arena, "%s/en", dir), 0700);
	ok(put(ptl_mem_printf(arena, "%s/en", dir), "common.json",
	       "{\"confirmEmail\": \"Confirm email\"}"),
	   "strings: a fallback with one string");
	if (ok(ptl_i18n_load(&t, dir, "en") == PTL_OK, "strings: loads")) {
		is_int(ptl_mail_check_strings(t, &bad), PTL_ERR_INTERNAL,
		       "strings: the check finds mails without strings");
		is_int(bad, 3, "strings: all three");
		is_int(ptl_mail_text(arena, t, PTL_MAIL_CONFIRM, "en", "A", &m),
		       PTL_ERR_INTERNAL, "strings: a missing line refuses");
	}
	ptl_i18n_free(t);
	(void)unlink(ptl_mem_printf(arena, "%s/en/common.json", dir));
	(void)rmdir(ptl_mem_printf(arena, "%s/en", dir));
	(void)rmdir(dir);
}

int
main(void)
{
	const char *srcdir = getenv("srcdir");
	struct ptl_cfg_mail mc;

	if (sodium_init() < 0)
		return 99;
	arena = ptl_mem_new();
	setenv("ENV_FILE", "/dev/null", 1);
	setenv("MAIL_TEMPLATE_DIR",
	       ptl_mem_printf(arena, "%s/mail", srcdir != NULL ? srcdir : "."),
	       1);
	if (ptl_cfg_load_mail(&mc) != PTL_OK)
		return 99;
	test_structure(&mc);
	test_kinds(&mc);
	test_long_values(mc);
	test_injection(mc);
	test_addresses(&mc);
	test_templates(mc);
	test_check(mc);
	test_strings(&mc, ptl_mem_printf(arena, "%s/i18n",
					 srcdir != NULL ? srcdir : "."));
	test_strings_missing();
	ptl_mem_free(arena);
	return done();
}
