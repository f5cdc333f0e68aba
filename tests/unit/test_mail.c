/* SPDX-License-Identifier: ISC */
/*
 * test_mail: the mail adapter. Settings and their errors; rendering (every
 * header, the multipart structure, the one-line text part of API.md §4.0,
 * quoted-printable soft breaks, RFC 2047 words, refusal of CR/LF/control
 * injection in every value that reaches a header); sending to a closed
 * port and to a silent one (bounded timeouts), and, when
 * PTL_TEST_SMTP_PORT is set, to a real SMTP server on 127.0.0.1.
 * Templates come from $srcdir/mail.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/cfg.h"
#include "adapters/mail.h"
#include "base/mem.h"
#include "base/buf.h"
#include "base/str.h"
#include "tap.h"

#define NOW_MS 1764115199123LL /* Tue, 25 Nov 2025 23:59:59 UTC */
#define URL "http://localhost:3000/confirm-email?hash=eyJhbGciOi.J9&x=1"

static struct ptl_arena *arena;

/* ---- helpers: a small MIME reader for the rendered message ---- */

/* The unfolded value of header name, or NULL. Arena-owned. */
static char *
header(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n");
	size_t nlen = strlen(name);
	const char *p = msg;
	struct ptl_buf b;

	while (p != NULL && p < end) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == ':' &&
		    p[nlen + 1] == ' ')
			break;
		p = strstr(p, "\r\n");
		p = p != NULL ? p + 2 : NULL;
	}
	if (p == NULL || p >= end)
		return NULL;
	p += nlen + 2;
	ptl_buf_init(&b, arena, 64, 4096);
	while (p < end) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (p[2] != ' ' && p[2] != '\t')
				break;
			p += 2;
			continue;
		}
		ptl_buf_addc(&b, *p++);
	}
	return b.data;
}

/* The boundary parameter of the top Content-Type. Arena-owned. */
static char *
boundary_of(const char *msg)
{
	char *ct = header(msg, "Content-Type");
	char *p = ct != NULL ? strstr(ct, "boundary=\"") : NULL;
	char *q;

	if (p == NULL)
		return NULL;
	p += 10;
	q = strchr(p, '"');
	return q != NULL ? ptl_mem_strndup(arena, p, (size_t)(q - p)) : NULL;
}

/* Part n (0-based) of msg, headers and raw body, the body ending where
 * "\r\n--boundary" starts. Arena-owned; NULL if there is no such part. */
static char *
part(const char *msg, int n)
{
	char *bnd = boundary_of(msg);
	char *open, *end;
	const char *p = msg;
	int i;

	if (bnd == NULL)
		return NULL;
	open = ptl_mem_printf(arena, "\r\n--%s\r\n", bnd);
	end = ptl_mem_printf(arena, "\r\n--%s", bnd);
	for (i = 0; i <= n; i++) {
		p = strstr(p, open);
		if (p == NULL)
			return NULL;
		p += strlen(open);
	}
	if (strstr(p, end) == NULL)
		return NULL;
	return ptl_mem_strndup(arena, p, (size_t)(strstr(p, end) - p));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the quoted-printable body of a part (after its blank line).
 * Arena-owned; NULL on a malformed escape. */
static char *
qp_body(const char *p)
{
	const char *s = p != NULL ? strstr(p, "\r\n\r\n") : NULL;
	struct ptl_buf b;

	if (s == NULL)
		return NULL;
	ptl_buf_init(&b, arena, 256, 1 << 20);
	for (s += 4; *s != '\0'; s++) {
		if (*s != '=') {
			ptl_buf_addc(&b, *s);
			continue;
		}
		if (s[1] == '\r' && s[2] == '\n') {
			s += 2;
			continue;
		}
		if (hexval(s[1]) < 0 || hexval(s[2]) < 0)
			return NULL;
		ptl_buf_addc(&b, (char)(hexval(s[1]) * 16 + hexval(s[2])));
		s += 2;
	}
	return b.data;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every line ends in CRLF, no bare CR or LF. */
static int
crlf_only(const char *m, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (m[i] == '\r' && (i + 1 == len || m[i + 1] != '\n'))
			return 0;
		if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
			return 0;
	}
	return len >= 2 && m[len - 2] == '\r' && m[len - 1] == '\n';
}

/* Longest line of s, CRLF not counted. */
static size_t
longest_line(const char *s)
{
	size_t max = 0;

	while (*s != '\0') {
		size_t n = strcspn(s, "\r\n");

		if (n > max)
			max = n;
		s += n;
		s += strspn(s, "\r\n");
	}
	return max;
}

/* Decodes "=?utf-8?B?...?=" words separated by folding. Arena-owned. */
static char *
ew_decode(const char *v)
{
	struct ptl_buf b;
	unsigned char bin[256];
	size_t bin_len;

	ptl_buf_init(&b, arena, 64, 4096);
	while (v != NULL && strncmp(v, "=?utf-8?B?", 10) == 0) {
		const char *end = strstr(v + 10, "?=");

		if (end == NULL ||
		    sodium_base642bin(
			bin, sizeof(bin), v + 10, (size_t)(end - v - 10), NULL,
			&bin_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
			return NULL;
		ptl_buf_add(&b, bin, bin_len);
		v = end + 2;
		v += strspn(v, " ");
	}
	return v != NULL && *v == '\0' ? b.data : NULL;
}

static enum ptl_err
render(const struct ptl_mail_cfg *mc, enum ptl_mail_kind kind,
       const char *title, const char *to, const char *url, char **msg)
{
	size_t len = 0;
	enum ptl_err e;

	*msg = NULL;
	e = ptl_mail_render_title(arena, mc, kind, title, to, url, NOW_MS, msg,
				  &len);
	if (e == PTL_OK && strlen(*msg) != len)
		diag("length mismatch");
	return e;
}

/* ---- settings ---- */

static void
test_cfg(void)
{
	struct ptl_mail_cfg mc;

	is_int(ptl_mail_cfg_load(&mc), PTL_OK, "cfg: defaults load");
	is_str(mc.host, "localhost", "cfg: MAIL_HOST default");
	is_int(mc.port, 1025, "cfg: MAIL_PORT default");
	is_str(mc.from_email, "noreply@example.com", "cfg: sender default");
	is_str(mc.from_name, "Api", "cfg: name default");
	ok(mc.user == NULL && mc.password == NULL, "cfg: no AUTH by default");
	ok(!mc.secure && !mc.ignore_tls && !mc.require_tls, "cfg: TLS flags");
	ok(mc.connect_timeout_ms == 3000 && mc.timeout_ms == 10000,
	   "cfg: timeouts default");

	setenv("MAIL_PORT", "70000", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL, "cfg: port range");
	setenv("MAIL_PORT", "25x", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL, "cfg: port digits");
	unsetenv("MAIL_PORT");
	setenv("MAIL_SECURE", "maybe", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL, "cfg: bad boolean");
	unsetenv("MAIL_SECURE");
	setenv("MAIL_HOST", "smtp.example.com\r\nRCPT TO:<x@y.z>", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL, "cfg: CRLF in host");
	setenv("MAIL_HOST", "user@smtp.example.com", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL, "cfg: '@' in host");
	unsetenv("MAIL_HOST");
	setenv("MAIL_DEFAULT_NAME", "Api\r\nBcc: x@y.z", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL, "cfg: CRLF in name");
	unsetenv("MAIL_DEFAULT_NAME");
	setenv("MAIL_DEFAULT_EMAIL", "Api <noreply@example.com>", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL,
	       "cfg: display name in sender address");
	unsetenv("MAIL_DEFAULT_EMAIL");
	setenv("MAIL_PASSWORD", "pw", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL,
	       "cfg: password without user");
	setenv("MAIL_USER", "u", 1);
	setenv("MAIL_REQUIRE_TLS", "true", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_OK, "cfg: user, password, TLS");
	ok(mc.require_tls && mc.user != NULL, "cfg: values read");
	setenv("MAIL_IGNORE_TLS", "true", 1);
	is_int(ptl_mail_cfg_load(&mc), PTL_ERR_INTERNAL,
	       "cfg: IGNORE_TLS contradicts REQUIRE_TLS");
	unsetenv("MAIL_IGNORE_TLS");
	unsetenv("MAIL_REQUIRE_TLS");
	unsetenv("MAIL_USER");
	unsetenv("MAIL_PASSWORD");
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
test_structure(const struct ptl_mail_cfg *mc)
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
test_kinds(const struct ptl_mail_cfg *mc)
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
	ok(html != NULL && strstr(html, "new address") != NULL &&
	       strstr(html, "confirm-new-email?hash=h") != NULL,
	   "render: confirm-new-email template used");
	ok(msg != NULL && mid != NULL && bnd != NULL &&
	       strcmp(header(msg, "Message-ID"), mid) != 0 &&
	       strcmp(boundary_of(msg), bnd) != 0,
	   "render: Message-ID and boundary are fresh per message");
	is_str(ptl_mail_title(PTL_MAIL_CONFIRM_NEW), "Confirm email",
	       "title: confirm new email");
	ok(ptl_mail_title(PTL_MAIL__MAX) == NULL, "title: out of range");
	is_int(render(mc, PTL_MAIL__MAX, NULL, "u@example.com", URL, &msg),
	       PTL_ERR_INTERNAL, "render: kind out of range");
}

static void
test_qp(const struct ptl_mail_cfg *mc)
{
	struct ptl_buf u;
	char *msg = NULL, *p0;
	int i;

	ptl_buf_init(&u, arena, 1024, 4096);
	ptl_buf_adds(&u, "https://app.example.com/password-change?hash=");
	for (i = 0; i < 60; i++)
		ptl_buf_adds(&u, "eyJ0eXAiOiJKV1Qi");
	ptl_buf_adds(&u, "&expires=1795651095252");
	is_int(render(mc, PTL_MAIL_RESET, NULL, "u@example.com", u.data, &msg),
	       PTL_OK, "qp: long URL renders");
	p0 = msg != NULL ? part(msg, 0) : NULL;
	ok(p0 != NULL && strstr(p0, "=\r\n") != NULL,
	   "qp: long URL has soft line breaks");
	ok(p0 != NULL && longest_line(p0) <= 76, "qp: lines at most 76");
	is_str(qp_body(p0), ptl_mem_printf(arena, "%s Reset password", u.data),
	       "qp: long URL decodes to the exact line");

	is_int(render(mc, PTL_MAIL_RESET, "Reset password ", "u@example.com",
		      "http://x.test/a", &msg),
	       PTL_OK, "qp: title with a trailing space");
	p0 = msg != NULL ? part(msg, 0) : NULL;
	ok(p0 != NULL && strlen(p0) > 3 &&
	       strcmp(p0 + strlen(p0) - 3, "=20") == 0,
	   "qp: trailing space encoded =20");
	is_str(qp_body(p0), "http://x.test/a Reset password ",
	       "qp: trailing space decodes");
}

static void
test_encoded_words(struct ptl_mail_cfg mc)
{
	static const char title[] = "Подтвердите адрес электронной почты, "
				    "пожалуйста";
	char *msg = NULL, *subject;

	mc.from_name = "Équipe Ñandú";
	is_int(render(&mc, PTL_MAIL_CONFIRM, title, "u@example.com", URL, &msg),
	       PTL_OK, "rfc2047: non-ASCII name and title render");
	if (msg == NULL)
		return;
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
	is_str(qp_body(part(msg, 0)),
	       ptl_mem_printf(arena, "%s %s", URL, title),
	       "rfc2047: text line carries the UTF-8 title");

	mc.from_name = "The \"Api\" \\ team";
	is_int(render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com", URL, &msg),
	       PTL_OK, "quoted: name with quote and backslash");
	is_str(msg != NULL ? header(msg, "From") : NULL,
	       "\"The \\\"Api\\\" \\\\ team\" <noreply@example.com>",
	       "quoted: escaped inside the quoted-string");
	mc.from_name = "Api =?utf-8?Q?x?=";
	is_int(render(&mc, PTL_MAIL_CONFIRM, NULL, "u@example.com", URL, &msg),
	       PTL_OK, "rfc2047: ASCII name holding '=?'");
	ok(msg != NULL && strncmp(header(msg, "From"), "=?utf-8?B?", 10) == 0,
	   "rfc2047: '=?' in a name is encoded, not passed through");
}

static void
test_injection(struct ptl_mail_cfg mc)
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
	char *msg;
	size_t i, len = 7;
	int refused = 0;

	for (i = 0; i < sizeof(bad_to) / sizeof(bad_to[0]); i++) {
		msg = untouched;
		if (ptl_mail_render(arena, &mc, PTL_MAIL_CONFIRM, bad_to[i],
				    URL, NOW_MS, &msg,
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
test_addresses(const struct ptl_mail_cfg *mc)
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
test_templates(struct ptl_mail_cfg mc)
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

/* ---- sending ---- */

/* A loopback socket bound to a free port; listening when listen_too. */
static int
loopback_socket(int listen_too, unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
	    (listen_too && listen(fd, 4) != 0))
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static double
elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
test_send_failures(struct ptl_mail_cfg mc, const char *msg, size_t len)
{
	struct timespec t0;
	unsigned port = 0;
	int fd;

	mc.host = "127.0.0.1";
	fd = loopback_socket(0, &port);
	close(fd);
	mc.port = port;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(ptl_mail_send(&mc, "u@example.com", msg, len),
	       PTL_ERR_UNAVAILABLE, "send: closed port is unavailable");
	ok(elapsed_s(&t0) < 2.0, "send: closed port fails fast");

	fd = loopback_socket(1, &port);
	mc.port = port;
	mc.timeout_ms = 400;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(ptl_mail_send(&mc, "u@example.com", msg, len),
	       PTL_ERR_UNAVAILABLE, "send: silent server is unavailable");
	ok(elapsed_s(&t0) < 2.0,
	   "send: silent server bounded by MAIL_TIMEOUT_MS");
	close(fd);

	is_int(ptl_mail_send(&mc, "u@example.com\r\nRCPT TO:<x@evil.test>", msg,
			     len),
	       PTL_ERR_BAD_REQUEST, "send: CRLF in envelope recipient refused");
}

static void
test_send_real(const struct ptl_mail_cfg *base, unsigned port)
{
	struct ptl_mail_cfg mc = *base;
	char *msg = NULL;
	size_t len = 0;

	mc.host = "127.0.0.1";
	mc.port = port;
	is_int(ptl_mail_render(arena, &mc, PTL_MAIL_CONFIRM, "user@example.com",
			       URL, NOW_MS, &msg, &len),
	       PTL_OK, "send: render for the catcher");
	is_int(ptl_mail_send(&mc, "user@example.com", msg, len), PTL_OK,
	       "send: accepted by the SMTP server on 127.0.0.1");
	mc.require_tls = true;
	is_int(ptl_mail_send(&mc, "user@example.com", msg, len),
	       PTL_ERR_UNAVAILABLE,
	       "send: MAIL_REQUIRE_TLS without STARTTLS offered fails");
	mc.require_tls = false;
	mc.secure = true;
	mc.timeout_ms = 2000;
	is_int(ptl_mail_send(&mc, "user@example.com", msg, len),
	       PTL_ERR_UNAVAILABLE,
	       "send: MAIL_SECURE against plain SMTP fails");
}

int
main(void)
{
	const char *srcdir = getenv("srcdir");
	const char *smtp_port = getenv("PTL_TEST_SMTP_PORT");
	struct ptl_mail_cfg mc;
	char *msg = NULL;
	size_t len = 0;
	int64_t port;

	if (sodium_init() < 0)
		return 99;
	arena = ptl_mem_new();
	setenv("ENV_FILE", "/dev/null", 1);
	setenv("MAIL_TEMPLATE_DIR",
	       ptl_mem_printf(arena, "%s/mail", srcdir != NULL ? srcdir : "."),
	       1);
	test_cfg();
	setenv("MAIL_CONNECT_TIMEOUT_MS", "1000", 1);
	if (ptl_mail_cfg_load(&mc) != PTL_OK)
		return 99;
	ok(mc.connect_timeout_ms == 1000, "cfg: MAIL_CONNECT_TIMEOUT_MS read");
	test_structure(&mc);
	test_kinds(&mc);
	test_qp(&mc);
	test_encoded_words(mc);
	test_injection(mc);
	test_addresses(&mc);
	test_templates(mc);
	if (ptl_mail_render(arena, &mc, PTL_MAIL_CONFIRM, "u@example.com", URL,
			    NOW_MS, &msg, &len) == PTL_OK)
		test_send_failures(mc, msg, len);
	if (smtp_port != NULL && *smtp_port != '\0' &&
	    ptl_str_to_i64(smtp_port, strlen(smtp_port), 1, 65535, &port))
		test_send_real(&mc, (unsigned)port);
	else
		diag("PTL_TEST_SMTP_PORT unset: no delivery to a real server");
	ptl_mem_free(arena);
	return done();
}
