/* SPDX-License-Identifier: ISC */
/*
 * mail: see mail.h. Rendering is pure string work on the arena: every value
 * that reaches a header or the SMTP envelope is checked first (no controls,
 * strict UTF-8, a bare addr-spec for addresses), so that a CR or LF can
 * never start a header or an SMTP command. Sending is one curl easy handle
 * per message, created and cleaned up inside ptl_mail_send(); the outbox
 * decides when to call it. This and net are the only files that include
 * curl.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <dlfcn.h>
#include <unistd.h>
#include <time.h>

/* The functions are reached through dlopen(): no type-checking macros. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <sodium.h>

#include "base/cfg.h"
#include "base/log.h"
#include "adapters/mail.h"
#include "base/buf.h"
#include "base/str.h"

#ifndef PTL_CURL_SONAME
#define PTL_CURL_SONAME "libcurl.so.4"
#endif
#ifndef PTL_MAIL_TEMPLATE_DIR
#define PTL_MAIL_TEMPLATE_DIR "mail"
#endif
#ifndef PTL_MAIL_SOURCE_DIR
#define PTL_MAIL_SOURCE_DIR "mail"
#endif

/* Bytes of a display name or title; header lines stay far below 998. */
#define TEXT_MAX 200
/* Bytes of an address (RFC 5321 §4.5.3.1.3: a path is 256 with "<>"). */
#define ADDR_MAX 254
/* Raw bytes per RFC 2047 encoded-word: 36 bytes are 48 base64 characters,
 * so "=?utf-8?B?...?=" is 60 and "Subject: " plus one word stays under the
 * 76 characters of RFC 2047 §2. */
#define EW_CHUNK 36
/* Characters of a quoted-printable line before the soft break '='. */
#define QP_LINE 75

static const struct {
	const char *base;  /* template file <dir>/<base>.html */
	const char *title; /* English title and Subject (API.md §4.1-4.2) */
} kinds[PTL_MAIL__MAX] = {
    [PTL_MAIL_CONFIRM] = {"activation", "Confirm email"},
    [PTL_MAIL_CONFIRM_NEW] = {"confirm-new-email", "Confirm email"},
    [PTL_MAIL_RESET] = {"reset-password", "Reset password"},
};

/* ---- settings ---- */

static const char *
setting(const char *name, const char *def)
{
	const char *v = ptl_cfg_get(name);

	return v != NULL && *v != '\0' ? v : def;
}

static bool
get_bool(const char *name, bool *out)
{
	const char *v = setting(name, "false");

	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "yes") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcmp(v, "no") == 0) {
		*out = false;
		return true;
	}
	PTL_LOG_ERR("setting %s: not a boolean (true or false)", name);
	return false;
}

static bool
get_int(const char *name, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	const char *v = setting(name, NULL);

	if (v == NULL) {
		*out = def;
		return true;
	}
	if (!ptl_str_to_i64(v, strlen(v), min, max, out)) {
		PTL_LOG_ERR("setting %s: not an integer in [%lld, %lld]", name,
			    (long long)min, (long long)max);
		return false;
	}
	return true;
}

/* ---- syntax checks (pure, on NUL-terminated strings) ---- */

/* Length of the valid UTF-8 sequence at s (RFC 3629 §4), or 0. Reads no
 * further than a NUL, since a NUL is never a continuation byte. */
static size_t
utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) ||
		    (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) ||
		    (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* s is 1..max bytes of strict UTF-8 without C0 controls or DEL: no CR, LF
 * or TAB can reach a header through it. */
static bool
text_ok(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (u[i] != '\0') {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return false;
		n = utf8_seq(u + i);
		if (n == 0)
			return false;
		i += n;
		if (i > max)
			return false;
	}
	return i > 0;
}

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* A local part: dot-atoms of RFC 5322 atext (plus UTF-8, RFC 6531), or a
 * quoted string of plain qtext (no backslash pairs, no '@': libcurl splits
 * the envelope address at its first '@'). */
static bool
local_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return false;
	if (s[0] == '"') {
		if (len < 3 || s[len - 1] != '"')
			return false;
		for (i = 1; i < len - 1; i++) {
			if (s[i] == '"' || s[i] == '\\' || s[i] == '@')
				return false;
		}
		return true;
	}
	if (s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && s[i + 1] == '.')
			return false;
		if (c < 0x80 && !is_alnum(c) &&
		    strchr("!#$%&'*+-/=?^_`{|}~.", c) == NULL)
			return false;
	}
	return true;
}

/* Dot-separated non-empty labels of letters, digits, '-' or UTF-8. */
static bool
domain_ok(const char *s)
{
	size_t i, label = 0;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (c < 0x80 && !is_alnum(c) && c != '-')
			return false;
		label++;
	}
	return label > 0;
}

/* A bare addr-spec, local@domain, as mail.h describes. */
static bool
addr_ok(const char *s)
{
	const char *at = strrchr(s, '@');

	if (!text_ok(s, ADDR_MAX) || at == NULL)
		return false;
	return local_ok(s, (size_t)(at - s)) && domain_ok(at + 1);
}

/* Printable ASCII without spaces (RFC 3986 §2): the text part is
 * "<url> <title>" and readers take its first token as the link. */
static bool
url_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
		if (i >= PTL_MAIL_URL_MAX)
			return false;
	}
	return i > 0;
}

/* A host name or IPv4 address, or an IPv6 address with or without
 * brackets: nothing that could change the meaning of the smtp:// URL (no
 * port, user, path or percent sign). */
static bool
host_ok(const char *s)
{
	static const char ipv6[] = "0123456789abcdefABCDEF:.";
	size_t i, len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	if (s[0] == '[')
		return len > 2 && s[len - 1] == ']' &&
		       strspn(s + 1, ipv6) == len - 2;
	if (strchr(s, ':') != NULL)
		return strspn(s, ipv6) == len;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_alnum(c) && c != '.' && c != '-' && c != '_')
			return false;
	}
	return true;
}

/* The domain of the sender when it is plain ASCII, else "localhost": used
 * for the Message-ID and as the EHLO name. */
static const char *
sender_domain(const struct ptl_mail_cfg *mc)
{
	const char *domain = strrchr(mc->from_email, '@');

	if (domain == NULL || domain[1] == '\0')
		return "localhost";
	domain++;
	if (strspn(domain,
		   "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(domain))
		return "localhost";
	return domain;
}

static bool
check_cfg(const struct ptl_mail_cfg *mc)
{
	if (!host_ok(mc->host)) {
		PTL_LOG_ERR("setting MAIL_HOST: not a host name or IP address");
		return false;
	}
	if (!addr_ok(mc->from_email)) {
		PTL_LOG_ERR("setting MAIL_DEFAULT_EMAIL: not a plain address "
			    "(local@domain)");
		return false;
	}
	if (!text_ok(mc->from_name, TEXT_MAX)) {
		PTL_LOG_ERR(
		    "setting MAIL_DEFAULT_NAME: control characters, bad "
		    "UTF-8 or longer than %d bytes",
		    TEXT_MAX);
		return false;
	}
	if (mc->password != NULL && mc->user == NULL) {
		PTL_LOG_ERR("setting MAIL_PASSWORD is set without MAIL_USER");
		return false;
	}
	if (mc->ignore_tls && mc->require_tls && !mc->secure) {
		PTL_LOG_ERR(
		    "setting MAIL_REQUIRE_TLS contradicts MAIL_IGNORE_TLS");
		return false;
	}
	if (mc->user != NULL && !mc->secure && !mc->require_tls)
		PTL_LOG_WARN(
		    "setting MAIL_USER without MAIL_SECURE or "
		    "MAIL_REQUIRE_TLS: the password may travel in clear");
	return true;
}

/* The installed templates, or those of the source tree when the programs
 * run from a build that was not installed (script/server, the tests). */
static const char *
default_template_dir(void)
{
	if (access(PTL_MAIL_TEMPLATE_DIR "/activation.html", R_OK) == 0)
		return PTL_MAIL_TEMPLATE_DIR;
	return PTL_MAIL_SOURCE_DIR;
}

enum ptl_err
ptl_mail_cfg_load(struct ptl_mail_cfg *mc)
{
	int64_t port = 0, connect_ms = 0, total_ms = 0;
	bool good = true;

	memset(mc, 0, sizeof(*mc));
	mc->host = setting("MAIL_HOST", "localhost");
	mc->user = setting("MAIL_USER", NULL);
	mc->password = setting("MAIL_PASSWORD", NULL);
	mc->from_email = setting("MAIL_DEFAULT_EMAIL", "noreply@example.com");
	mc->from_name = setting("MAIL_DEFAULT_NAME", "Api");
	mc->template_dir = setting("MAIL_TEMPLATE_DIR", default_template_dir());
	good = good && get_int("MAIL_PORT", 1025, 1, 65535, &port);
	good = good &&
	       get_int("MAIL_CONNECT_TIMEOUT_MS", 3000, 1, 600000, &connect_ms);
	good = good && get_int("MAIL_TIMEOUT_MS", 10000, 1, 600000, &total_ms);
	good = good && get_bool("MAIL_IGNORE_TLS", &mc->ignore_tls);
	good = good && get_bool("MAIL_SECURE", &mc->secure);
	good = good && get_bool("MAIL_REQUIRE_TLS", &mc->require_tls);
	if (!good)
		return PTL_ERR_INTERNAL;
	mc->port = (unsigned)port;
	mc->connect_timeout_ms = (long)connect_ms;
	mc->timeout_ms = (long)total_ms;
	return check_cfg(mc) ? PTL_OK : PTL_ERR_INTERNAL;
}

const char *
ptl_mail_title(enum ptl_mail_kind kind)
{
	if ((unsigned)kind >= PTL_MAIL__MAX)
		return NULL;
	return kinds[kind].title;
}

/* ---- rendering ---- */

/* Whether a header text must be an RFC 2047 encoded-word: it is not ASCII,
 * or it holds "=?", which a reader could take for the start of one. */
static bool
needs_encoding(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return true;
	}
	return strstr(s, "=?") != NULL;
}

/* Appends s (checked UTF-8) as RFC 2047 "B" encoded-words of at most
 * EW_CHUNK bytes each, never splitting a character (§5 rule 3), folded
 * with CRLF SP. */
static void
add_encoded_words(struct ptl_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	char b64[sodium_base64_ENCODED_LEN(EW_CHUNK,
					   sodium_base64_VARIANT_ORIGINAL)];
	size_t len = strlen(s), pos = 0, n;

	while (pos < len) {
		n = len - pos > EW_CHUNK ? EW_CHUNK : len - pos;
		while (n > 1 && pos + n < len && (u[pos + n] & 0xc0) == 0x80)
			n--;
		if (pos > 0)
			ptl_buf_adds(b, "\r\n ");
		sodium_bin2base64(b64, sizeof(b64), u + pos, n,
				  sodium_base64_VARIANT_ORIGINAL);
		ptl_buf_addf(b, "=?utf-8?B?%s?=", b64);
		pos += n;
	}
}

/* Appends s as an RFC 5322 §3.2.4 quoted-string. */
static void
add_quoted(struct ptl_buf *b, const char *s)
{
	size_t i;

	ptl_buf_addc(b, '"');
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '"' || s[i] == '\\')
			ptl_buf_addc(b, '\\');
		ptl_buf_addc(b, s[i]);
	}
	ptl_buf_addc(b, '"');
}

/* "Date: Tue, 25 Nov 2025 23:59:59 +0000" (RFC 5322 §3.3), in English
 * whatever the locale. */
static void
add_date(struct ptl_buf *b, int64_t now_ms)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
					   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		t = 0;
		(void)gmtime_r(&t, &tm);
	}
	ptl_buf_addf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		     days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
add_headers(struct ptl_buf *b, const struct ptl_mail_cfg *mc, const char *title,
	    const char *to, int64_t now_ms, const char *boundary)
{
	unsigned char rnd[16];
	char id[2 * sizeof(rnd) + 1];

	ptl_buf_adds(b, "From: ");
	if (needs_encoding(mc->from_name))
		add_encoded_words(b, mc->from_name);
	else
		add_quoted(b, mc->from_name);
	ptl_buf_addf(b, " <%s>\r\nTo: %s\r\nSubject: ", mc->from_email, to);
	if (needs_encoding(title))
		add_encoded_words(b, title);
	else
		ptl_buf_adds(b, title);
	ptl_buf_adds(b, "\r\n");
	add_date(b, now_ms);
	randombytes_buf(rnd, sizeof(rnd));
	ptl_str_hex(id, rnd, sizeof(rnd));
	ptl_buf_addf(b, "Message-ID: <%s@%s>\r\n", id, sender_domain(mc));
	ptl_buf_adds(b, "MIME-Version: 1.0\r\n");
	ptl_buf_addf(b,
		     "Content-Type: multipart/alternative;\r\n"
		     " boundary=\"%s\"\r\n\r\n",
		     boundary);
}

/* Whether byte i of s[0..len) may stay literal in quoted-printable (RFC
 * 2045 §6.7 rules 2 and 3): printable ASCII but '=', or a space or tab
 * that is followed by something other than a line break. */
static bool
qp_literal(const unsigned char *s, size_t len, size_t i)
{
	if (s[i] >= 33 && s[i] <= 126)
		return s[i] != '=';
	if (s[i] != ' ' && s[i] != '\t')
		return false;
	if (i + 1 == len || s[i + 1] == '\n')
		return false;
	return !(s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n');
}

/*
 * Appends s[0..len) quoted-printable (RFC 2045 §6.7) as text: LF and CRLF
 * become CRLF hard breaks (rule 4), a lone CR is encoded, and soft breaks
 * keep every line at 76 characters or fewer (rule 5). A '.' that starts a
 * line is encoded too, so no transport can take it for end of data.
 * Nothing follows the last character: no final line break is added.
 */
static void
qp_encode(struct ptl_buf *b, const char *s, size_t len)
{
	static const char hexd[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n, col = 0;
	char tok[3];

	for (i = 0; i < len; i++) {
		if (u[i] == '\n' ||
		    (u[i] == '\r' && i + 1 < len && u[i + 1] == '\n')) {
			i += u[i] == '\r';
			ptl_buf_adds(b, "\r\n");
			col = 0;
			continue;
		}
		n = qp_literal(u, len, i) ? 1 : 3;
		if (col + n > QP_LINE) {
			ptl_buf_adds(b, "=\r\n");
			col = 0;
		}
		if (col == 0 && u[i] == '.')
			n = 3;
		tok[0] = (char)u[i];
		if (n == 3)
			tok[0] = '=';
		tok[1] = hexd[u[i] >> 4];
		tok[2] = hexd[u[i] & 15];
		ptl_buf_add(b, tok, n);
		col += n;
	}
}

/* Appends s with the five HTML special characters as references. */
static void
html_escape(struct ptl_buf *b, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		switch (s[i]) {
		case '&':
			ptl_buf_adds(b, "&amp;");
			break;
		case '<':
			ptl_buf_adds(b, "&lt;");
			break;
		case '>':
			ptl_buf_adds(b, "&gt;");
			break;
		case '"':
			ptl_buf_adds(b, "&quot;");
			break;
		case '\'':
			ptl_buf_adds(b, "&#39;");
			break;
		default:
			ptl_buf_addc(b, s[i]);
			break;
		}
	}
}

static bool
has_prefix(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && memcmp(s, lit, n) == 0;
}

/* Appends tpl[0..len) with "{{url}}" and "{{title}}" replaced by their
 * HTML-escaped values. Other "{{...}}" are copied as they are. */
static void
render_template(struct ptl_buf *b, const char *tpl, size_t len, const char *url,
		const char *title)
{
	size_t i = 0, start = 0;

	while (i < len) {
		const char *value = NULL;
		size_t skip = 0;

		if (has_prefix(tpl + i, len - i, "{{url}}")) {
			value = url;
			skip = 7;
		} else if (has_prefix(tpl + i, len - i, "{{title}}")) {
			value = title;
			skip = 9;
		}
		if (value == NULL) {
			i++;
			continue;
		}
		ptl_buf_add(b, tpl + start, i - start);
		html_escape(b, value);
		i += skip;
		start = i;
	}
	ptl_buf_add(b, tpl + start, len - start);
}

/* Reads <dir>/<base>.html, at most PTL_MAIL_TEMPLATE_MAX bytes, into the
 * arena. Logged on failure. */
static enum ptl_err
template_read(struct ptl_arena *a, const char *dir, const char *base,
	      char **out, size_t *out_len)
{
	char *path = ptl_mem_printf(a, "%s/%s.html", dir, base);
	char *data = ptl_mem_alloc(a, PTL_MAIL_TEMPLATE_MAX + 1);
	FILE *f = fopen(path, "re");
	size_t n;
	bool failed;

	if (f == NULL) {
		PTL_LOG_ERR("mail template %s: %s", path, strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	n = fread(data, 1, PTL_MAIL_TEMPLATE_MAX + 1, f);
	failed = ferror(f) != 0;
	(void)fclose(f);
	if (failed) {
		PTL_LOG_ERR("mail template %s: read error", path);
		return PTL_ERR_INTERNAL;
	}
	if (n > PTL_MAIL_TEMPLATE_MAX) {
		PTL_LOG_ERR("mail template %s: larger than %zu bytes", path,
			    PTL_MAIL_TEMPLATE_MAX);
		return PTL_ERR_INTERNAL;
	}
	*out = data;
	*out_len = n;
	return PTL_OK;
}

static void
add_part_head(struct ptl_buf *b, const char *boundary, const char *type)
{
	ptl_buf_addf(b,
		     "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		     boundary, type);
}

/* The two parts. The CRLF before each delimiter belongs to the delimiter
 * (RFC 2046 §5.1.1), so the text part decodes to "<url> <title>" exactly,
 * without a line break (API.md §4.0). */
static void
add_body(struct ptl_buf *b, struct ptl_arena *a, const char *boundary,
	 const char *tpl, size_t tpl_len, const char *url, const char *title)
{
	struct ptl_buf part;

	ptl_buf_init(&part, a, strlen(url) + strlen(title) + 2,
		     PTL_MAIL_MESSAGE_MAX);
	ptl_buf_addf(&part, "%s %s", url, title);
	add_part_head(b, boundary, "text/plain");
	qp_encode(b, part.data, part.len);
	ptl_buf_adds(b, "\r\n");

	ptl_buf_init(&part, a, tpl_len + 2 * strlen(url) + 256,
		     PTL_MAIL_MESSAGE_MAX);
	render_template(&part, tpl, tpl_len, url, title);
	add_part_head(b, boundary, "text/html");
	qp_encode(b, part.data, part.len);
	ptl_buf_addf(b, "\r\n--%s--\r\n", boundary);
	if (part.overflow)
		b->overflow = true;
}

/* Every value that reaches a header or the text line, checked before
 * anything is built. Logs which one, never its content. */
static enum ptl_err
check_inputs(const struct ptl_mail_cfg *mc, const char *title, const char *to,
	     const char *url)
{
	const char *bad = NULL;

	if (!addr_ok(to))
		bad = "recipient address";
	else if (!url_ok(url))
		bad = "url";
	else if (!text_ok(title, TEXT_MAX))
		bad = "title";
	else if (!addr_ok(mc->from_email))
		bad = "sender address";
	else if (!text_ok(mc->from_name, TEXT_MAX))
		bad = "sender name";
	if (bad == NULL)
		return PTL_OK;
	PTL_LOG_WARN("mail: refusing to render, unacceptable %s", bad);
	return PTL_ERR_BAD_REQUEST;
}

enum ptl_err
ptl_mail_render_title(struct ptl_arena *a, const struct ptl_mail_cfg *mc,
		      enum ptl_mail_kind kind, const char *title,
		      const char *to, const char *url, int64_t now_ms,
		      char **out, size_t *out_len)
{
	unsigned char rnd[12];
	char hex[2 * sizeof(rnd) + 1];
	char boundary[sizeof("=_ptl_") + sizeof(hex)];
	struct ptl_buf msg;
	char *tpl;
	size_t tpl_len;
	enum ptl_err e;

	if ((unsigned)kind >= PTL_MAIL__MAX) {
		PTL_LOG_ERR("mail: no such kind %d", (int)kind);
		return PTL_ERR_INTERNAL;
	}
	if (title == NULL)
		title = kinds[kind].title;
	e = check_inputs(mc, title, to, url);
	if (e != PTL_OK)
		return e;
	e = template_read(a, mc->template_dir, kinds[kind].base, &tpl,
			  &tpl_len);
	if (e != PTL_OK)
		return e;
	/* "=_" never occurs in quoted-printable output (RFC 2045 §6.7,
	 * RFC 2046 §5.1.1), so the boundary cannot appear in a part. */
	randombytes_buf(rnd, sizeof(rnd));
	ptl_str_hex(hex, rnd, sizeof(rnd));
	(void)snprintf(boundary, sizeof(boundary), "=_ptl_%s", hex);
	ptl_buf_init(&msg, a, 2048 + 3 * tpl_len, PTL_MAIL_MESSAGE_MAX);
	add_headers(&msg, mc, title, to, now_ms, boundary);
	add_body(&msg, a, boundary, tpl, tpl_len, url, title);
	if (msg.overflow) {
		PTL_LOG_ERR("mail: message larger than %zu bytes",
			    PTL_MAIL_MESSAGE_MAX);
		return PTL_ERR_INTERNAL;
	}
	*out = msg.data;
	*out_len = msg.len;
	return PTL_OK;
}

enum ptl_err
ptl_mail_render(struct ptl_arena *a, const struct ptl_mail_cfg *mc,
		enum ptl_mail_kind kind, const char *to, const char *url,
		int64_t now_ms, char **out, size_t *out_len)
{
	return ptl_mail_render_title(a, mc, kind, NULL, to, url, now_ms, out,
				     out_len);
}

/* ---- sending ---- */

struct upload {
	const char *p;
	size_t left;
};

/* CURLOPT_READFUNCTION: hands out the message; 0 ends the DATA phase
 * (libcurl adds the dot-stuffing and the final CRLF.CRLF). */
static size_t
read_message(char *dst, size_t size, size_t nitems, void *userp)
{
	struct upload *up = userp;
	size_t n = size * nitems;

	if (n > up->left)
		n = up->left;
	memcpy(dst, up->p, n);
	up->p += n;
	up->left -= n;
	return n;
}

/*
 * libcurl is loaded with dlopen() on the first delivery, not linked: it
 * brings some thirty libraries (TLS, Kerberos, LDAP, ...) that would
 * otherwise be mapped into every worker, costing resident memory in each
 * and start-up time in CGI mode, although most processes never send mail.
 * The header still gives the types and constants; the soname is libcurl's
 * stable ABI name.
 */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

static bool
load_curl(void)
{
	void *h = dlopen(PTL_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		PTL_LOG_ERR("mail: cannot load %s: %s", PTL_CURL_SONAME, dlerror());
		return false;
	}
	/* POSIX dlsym returns void *; converting it to a function pointer is
	 * what dlsym is for (POSIX.1-2008, XSH dlsym RATIONALE). */
#define SYM(field, name) *(void **)(&cu.field) = dlsym(h, name)
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	if (cu.global_init == NULL || cu.easy_init == NULL ||
	    cu.easy_setopt == NULL || cu.easy_perform == NULL ||
	    cu.easy_getinfo == NULL || cu.easy_cleanup == NULL ||
	    cu.easy_strerror == NULL || cu.slist_append == NULL ||
	    cu.slist_free_all == NULL) {
		PTL_LOG_ERR("mail: %s lacks a needed function", PTL_CURL_SONAME);
		return false;
	}
	return true;
}

/* Loads libcurl and runs the one curl_global_init() of the process (it is
 * single-threaded). */
static bool
global_init(void)
{
	static bool initialised;
	CURLcode rc;

	if (initialised)
		return true;
	if (!load_curl())
		return false;
	rc = cu.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		PTL_LOG_ERR("mail: curl_global_init: %s", cu.easy_strerror(rc));
		return false;
	}
	initialised = true;
	return true;
}

/* smtp[s]://host:port/ehlo. The EHLO name is the sender's domain
 * (libcurl would say "localhost", which strict servers refuse). IPv6
 * literals get their brackets. */
static void
smtp_url(char *out, size_t size, const struct ptl_mail_cfg *mc)
{
	bool bracket = mc->host[0] != '[' && strchr(mc->host, ':') != NULL;
	int n;

	n = snprintf(out, size, "%s://%s%s%s:%u/%s",
		     mc->secure ? "smtps" : "smtp", bracket ? "[" : "",
		     mc->host, bracket ? "]" : "", mc->port, sender_domain(mc));
	PTL_ASSERT(n > 0 && (size_t)n < size);
}

static long
use_ssl(const struct ptl_mail_cfg *mc)
{
	if (mc->secure || mc->require_tls)
		return (long)CURLUSESSL_ALL;
	if (mc->ignore_tls)
		return (long)CURLUSESSL_NONE;
	return (long)CURLUSESSL_TRY;
}

static bool
setup(CURL *curl, const struct ptl_mail_cfg *mc, const char *url,
      const char *from, struct curl_slist *rcpt, struct upload *up,
      char *errbuf)
{
	if (cu.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    cu.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps") !=
		CURLE_OK ||
#else
	    cu.easy_setopt(curl, CURLOPT_PROTOCOLS,
			     (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS)) !=
		CURLE_OK ||
#endif
	    cu.easy_setopt(curl, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_READFUNCTION, read_message) !=
		CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_READDATA, up) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
			     (curl_off_t)up->left) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_USE_SSL, use_ssl(mc)) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			     mc->connect_timeout_ms) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_TIMEOUT_MS, mc->timeout_ms) !=
		CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK)
		return false;
	if (mc->user == NULL)
		return true;
	return cu.easy_setopt(curl, CURLOPT_USERNAME, mc->user) == CURLE_OK &&
	       cu.easy_setopt(curl, CURLOPT_PASSWORD,
				mc->password != NULL ? mc->password : "") ==
		   CURLE_OK;
}

/* One log line for a failed delivery. The error text comes from libcurl
 * and may quote the server; controls are masked. No credentials in it. */
static void
log_failure(const char *url, CURLcode rc, char *errbuf, long code)
{
	size_t i;

	if (errbuf[0] == '\0')
		(void)snprintf(errbuf, CURL_ERROR_SIZE, "%s",
			       cu.easy_strerror(rc));
	for (i = 0; errbuf[i] != '\0'; i++) {
		if ((unsigned char)errbuf[i] < 0x20 || errbuf[i] == 0x7f)
			errbuf[i] = '?';
	}
	PTL_LOG_ERR("mail: delivery through %s failed: %s (SMTP reply %ld)",
		    url, errbuf, code);
}

enum ptl_err
ptl_mail_send(const struct ptl_mail_cfg *mc, const char *to, const char *msg,
	      size_t len)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char url[640], from[ADDR_MAX + 3], rcpt_addr[ADDR_MAX + 3];
	struct upload up = {msg, len};
	struct curl_slist *rcpt = NULL;
	CURL *curl = NULL;
	CURLcode rc = CURLE_OK;
	long code = 0;
	enum ptl_err e = PTL_ERR_UNAVAILABLE;

	if (!addr_ok(to) || !addr_ok(mc->from_email) || !host_ok(mc->host)) {
		PTL_LOG_ERR("mail: refusing to send, unacceptable address");
		return PTL_ERR_BAD_REQUEST;
	}
	if (!global_init())
		return PTL_ERR_UNAVAILABLE;
	smtp_url(url, sizeof(url), mc);
	(void)snprintf(from, sizeof(from), "<%s>", mc->from_email);
	(void)snprintf(rcpt_addr, sizeof(rcpt_addr), "<%s>", to);
	curl = cu.easy_init();
	if (curl != NULL)
		rcpt = cu.slist_append(NULL, rcpt_addr);
	if (rcpt == NULL || !setup(curl, mc, url, from, rcpt, &up, errbuf)) {
		PTL_LOG_ERR("mail: cannot set up a curl handle");
		goto out;
	}
	rc = cu.easy_perform(curl);
	(void)cu.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 250) {
		log_failure(url, rc, errbuf, code);
		goto out;
	}
	e = PTL_OK;
out:
	cu.slist_free_all(rcpt);
	cu.easy_cleanup(curl);
	return e;
}
