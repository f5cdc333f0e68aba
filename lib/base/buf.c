/* SPDX-License-Identifier: ISC */
/*
 * buf: see buf.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"

void
ptl_buf_init(struct ptl_buf *b, struct ptl_arena *a, size_t hint, size_t max)
{
	b->arena = a;
	b->max = max;
	b->cap = hint < 16 ? 16 : hint;
	if (b->cap > max + 1)
		b->cap = max + 1;
	b->data = ptl_mem_alloc(a, b->cap);
	b->data[0] = '\0';
	b->len = 0;
	b->overflow = false;
}

static bool
reserve(struct ptl_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->overflow)
		return false;
	if (extra > b->max || b->len > b->max - extra) {
		b->overflow = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap * 2;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = ptl_mem_alloc(b->arena, cap);
	memcpy(p, b->data, b->len + 1);
	b->data = p;
	b->cap = cap;
	return true;
}

void
ptl_buf_add(struct ptl_buf *b, const void *p, size_t len)
{
	if (len == 0 || !reserve(b, len))
		return;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
ptl_buf_adds(struct ptl_buf *b, const char *s)
{
	ptl_buf_add(b, s, strlen(s));
}

void
ptl_buf_addc(struct ptl_buf *b, char c)
{
	ptl_buf_add(b, &c, 1);
}

void
ptl_buf_addf(struct ptl_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n)) {
		b->overflow = true;
		va_end(ap2);
		return;
	}
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
}

void
ptl_buf_addi(struct ptl_buf *b, long long v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
				     : (unsigned long long)v;

	/* Digits by hand: this runs for every number of every response. */
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	ptl_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
ptl_buf_json_str(struct ptl_buf *b, const char *s, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, run = 0;

	ptl_buf_addc(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = u[i];
		char esc[7];
		size_t elen = 0;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			elen = 2;
		} else if (c < 0x20) {
			esc[0] = '\\';
			switch (c) {
			case '\n': esc[1] = 'n'; elen = 2; break;
			case '\r': esc[1] = 'r'; elen = 2; break;
			case '\t': esc[1] = 't'; elen = 2; break;
			case '\b': esc[1] = 'b'; elen = 2; break;
			case '\f': esc[1] = 'f'; elen = 2; break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hexd[c >> 4];
				esc[5] = hexd[c & 15];
				elen = 6;
			}
		} else if (c == 0xe2 && i + 2 < len && u[i + 1] == 0x80 &&
			   (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
			/* U+2028/U+2029: valid JSON, but not valid JavaScript. */
			memcpy(esc, u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			elen = 6;
		}
		if (elen == 0) {
			run++;
			continue;
		}
		ptl_buf_add(b, s + i - run, run);
		run = 0;
		ptl_buf_add(b, esc, elen);
		if (esc[1] == 'u' && esc[2] == '2')
			i += 2;
	}
	ptl_buf_add(b, s + len - run, run);
	ptl_buf_addc(b, '"');
}

void
ptl_buf_json_strz(struct ptl_buf *b, const char *s)
{
	if (s == NULL)
		ptl_buf_add(b, "null", 4);
	else
		ptl_buf_json_str(b, s, strlen(s));
}

/* Writes v as exactly n digits, from the right. */
static void
digits(char *out, unsigned v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
ptl_buf_json_time(struct ptl_buf *b, int64_t ms)
{
	/* Days to civil date (H. Hinnant, "chrono-Compatible Low-Level Date
	 * Algorithms"), without gmtime_r and snprintf on every timestamp. */
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t sod = secs - days * 86400;
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	char out[26] = "\"0000-00-00T00:00:00.000Z\"";

	y += m <= 2;
	if (y < 0 || y > 9999) {
		ptl_buf_add(b, "null", 4);
		return;
	}
	digits(out + 1, (unsigned)y, 4);
	digits(out + 6, m, 2);
	digits(out + 9, d, 2);
	digits(out + 12, (unsigned)(sod / 3600), 2);
	digits(out + 15, (unsigned)(sod / 60 % 60), 2);
	digits(out + 18, (unsigned)(sod % 60), 2);
	digits(out + 21, (unsigned)(ms - secs * 1000), 3);
	ptl_buf_add(b, out, sizeof(out));
}

void
ptl_buf_urlencode(struct ptl_buf *b, const char *s, size_t len)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			ptl_buf_addc(b, (char)c);
		} else {
			char esc[3] = {'%', hexd[c >> 4], hexd[c & 15]};

			ptl_buf_add(b, esc, 3);
		}
	}
}

void
ptl_buf_b64url(struct ptl_buf *b, const void *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789-_";
	const unsigned char *u = p;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		char out[4] = {tab[u[i] >> 2], tab[((u[i] & 3) << 4) | (u[i + 1] >> 4)],
			       tab[((u[i + 1] & 15) << 2) | (u[i + 2] >> 6)],
			       tab[u[i + 2] & 63]};

		ptl_buf_add(b, out, 4);
	}
	if (len - i == 1) {
		char out[2] = {tab[u[i] >> 2], tab[(u[i] & 3) << 4]};

		ptl_buf_add(b, out, 2);
	} else if (len - i == 2) {
		char out[3] = {tab[u[i] >> 2], tab[((u[i] & 3) << 4) | (u[i + 1] >> 4)],
			       tab[(u[i + 1] & 15) << 2]};

		ptl_buf_add(b, out, 3);
	}
}
