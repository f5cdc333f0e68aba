/* SPDX-License-Identifier: ISC */
/*
 * mime_reader.h: a small MIME reader for the unit tests that look at a
 * rendered message (test_mime, test_mail): unfolded header values, the
 * boundary and the parts of a multipart body, quoted-printable and RFC
 * 2047 decoding, and line checks. It is written apart from lib/base/mime.c
 * on purpose, so that an encoder bug does not hide behind a decoder with
 * the same bug. Results are allocated in `arena`, which the test creates.
 * Header-only.
 */
#ifndef PTL_TEST_MIME_READER_H
#define PTL_TEST_MIME_READER_H

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/mem.h"

static struct ptl_arena *arena;

/* ---- helpers: a small MIME reader for the rendered message ---- */

/* The unfolded value of header name, or NULL. Arena-owned. */
static __attribute__((unused)) char *
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
static __attribute__((unused)) char *
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
static __attribute__((unused)) char *
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

static __attribute__((unused)) int
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
static __attribute__((unused)) char *
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

static __attribute__((unused)) int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every line ends in CRLF, no bare CR or LF. */
static __attribute__((unused)) int
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
static __attribute__((unused)) size_t
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
static __attribute__((unused)) char *
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

#endif
