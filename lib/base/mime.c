/* SPDX-License-Identifier: ISC */
/*
 * mime: see mime.h. Pure string work on a capped buffer; the buffer's
 * sticky overflow is the only failure, and the caller checks it once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <time.h>

#include "base/email.h"
#include "base/mime.h"
#include "base/utf8.h"

/* Raw bytes per RFC 2047 encoded-word: 36 bytes are 48 base64 characters,
 * so "=?utf-8?B?...?=" is 60 and "Subject: " plus one word stays under the
 * 76 characters of RFC 2047 §2. */
#define EW_CHUNK 36
/* Characters of a quoted-printable line before the soft break '='. */
#define QP_LINE 75

bool
ptl_mime_text_ok(const char *s, size_t max)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max || !ptl_utf8_valid(s, len))
		return false;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

bool
ptl_mime_addr_ok(const char *s)
{
	return ptl_email_deliverable(s, strlen(s));
}

const char *
ptl_mime_domain(const char *addr)
{
	const char *domain = strrchr(addr, '@');

	if (domain == NULL || domain[1] == '\0')
		return "localhost";
	domain++;
	if (strspn(domain,
		   "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(domain))
		return "localhost";
	return domain;
}

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

/* Appends p[0..len) in base64 with padding (RFC 4648 §4), the "B"
 * encoding of RFC 2047 §4.1. */
static void
add_base64(struct ptl_buf *b, const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char out[4];

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[0] = tab[v >> 18];
		out[1] = tab[(v >> 12) & 63];
		out[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[3] = i + 2 < len ? tab[v & 63] : '=';
		ptl_buf_add(b, out, sizeof(out));
	}
}

/* Appends s (checked UTF-8) as encoded-words of at most EW_CHUNK bytes
 * each, never splitting a character (RFC 2047 §5 rule 3), folded with
 * CRLF SP. */
static void
add_encoded_words(struct ptl_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), pos = 0, n;

	while (pos < len) {
		n = len - pos > EW_CHUNK ? EW_CHUNK : len - pos;
		while (n > 1 && pos + n < len && (u[pos + n] & 0xc0) == 0x80)
			n--;
		if (pos > 0)
			ptl_buf_adds(b, "\r\n ");
		ptl_buf_adds(b, "=?utf-8?B?");
		add_base64(b, u + pos, n);
		ptl_buf_adds(b, "?=");
		pos += n;
	}
}

void
ptl_mime_add_phrase(struct ptl_buf *b, const char *s)
{
	size_t i;

	if (needs_encoding(s)) {
		add_encoded_words(b, s);
		return;
	}
	ptl_buf_addc(b, '"');
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '"' || s[i] == '\\')
			ptl_buf_addc(b, '\\');
		ptl_buf_addc(b, s[i]);
	}
	ptl_buf_addc(b, '"');
}

void
ptl_mime_add_text(struct ptl_buf *b, const char *s)
{
	if (needs_encoding(s))
		add_encoded_words(b, s);
	else
		ptl_buf_adds(b, s);
}

void
ptl_mime_add_date(struct ptl_buf *b, int64_t ms)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
					   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		t = 0;
		(void)gmtime_r(&t, &tm);
	}
	ptl_buf_addf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		     days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
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

void
ptl_mime_add_qp(struct ptl_buf *b, const char *s, size_t len)
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

void
ptl_mime_add_head(struct ptl_buf *b, const struct ptl_mime_head *h)
{
	ptl_buf_adds(b, "From: ");
	ptl_mime_add_phrase(b, h->from_name);
	ptl_buf_addf(b, " <%s>\r\nTo: %s\r\nSubject: ", h->from_email, h->to);
	ptl_mime_add_text(b, h->subject);
	ptl_buf_adds(b, "\r\nDate: ");
	ptl_mime_add_date(b, h->date_ms);
	ptl_buf_addf(b, "\r\nMessage-ID: <%s@%s>\r\n", h->message_id,
		     ptl_mime_domain(h->from_email));
	ptl_buf_adds(b, "MIME-Version: 1.0\r\n");
	ptl_buf_addf(b,
		     "Content-Type: multipart/alternative;\r\n"
		     " boundary=\"%s\"\r\n\r\n",
		     h->boundary);
}

void
ptl_mime_add_part(struct ptl_buf *b, const char *boundary, const char *type,
		  const char *text, size_t len)
{
	ptl_buf_addf(b,
		     "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		     boundary, type);
	ptl_mime_add_qp(b, text, len);
	ptl_buf_adds(b, "\r\n");
}

void
ptl_mime_add_close(struct ptl_buf *b, const char *boundary)
{
	ptl_buf_addf(b, "--%s--\r\n", boundary);
}
