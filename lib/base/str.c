/* SPDX-License-Identifier: ISC */
/*
 * str: see str.h. Every growable buffer has a maximum (curl's "toobig"),
 * and formatting never touches request data through a format string.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/str.h"

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
ptl_str_hex(char *out, const unsigned char *in, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 15];
	}
	out[2 * len] = '\0';
}

bool
ptl_str_to_i64(const char *s, size_t len, int64_t min, int64_t max,
	       int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, lim;
	size_t i = 0;

	if (len > 0 && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == len || len - i > 19)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg) {
		int64_t r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;

		if (r < min)
			return false;
		*out = r;
		return true;
	}
	if ((int64_t)v > max || (int64_t)v < min)
		return false;
	*out = (int64_t)v;
	return true;
}

bool
ptl_str_ieq(const char *s, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (lit[i] == '\0' ||
		    tolower((unsigned char)s[i]) != tolower((unsigned char)lit[i]))
			return false;
	}
	return lit[len] == '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
ptl_str_urldecode(const char *s, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return SIZE_MAX;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return SIZE_MAX;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return o;
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

/* Units of the "ms" package (vercel/ms), long forms included. */
static const struct {
	const char *name;
	double ms;
} units[] = {
	{"years", 31557600000.0}, {"year", 31557600000.0}, {"yrs", 31557600000.0},
	{"yr", 31557600000.0}, {"y", 31557600000.0},
	{"weeks", 604800000.0}, {"week", 604800000.0}, {"w", 604800000.0},
	{"days", 86400000.0}, {"day", 86400000.0}, {"d", 86400000.0},
	{"hours", 3600000.0}, {"hour", 3600000.0}, {"hrs", 3600000.0},
	{"hr", 3600000.0}, {"h", 3600000.0},
	{"minutes", 60000.0}, {"minute", 60000.0}, {"mins", 60000.0},
	{"min", 60000.0}, {"m", 60000.0},
	{"seconds", 1000.0}, {"second", 1000.0}, {"secs", 1000.0},
	{"sec", 1000.0}, {"s", 1000.0},
	{"milliseconds", 1.0}, {"millisecond", 1.0}, {"msecs", 1.0},
	{"msec", 1.0}, {"ms", 1.0},
};

bool
ptl_str_duration_ms(const char *s, int64_t *out)
{
	double v = 0, frac = 0.1, mult = 1.0;
	bool digits = false, neg = false;
	const char *p = s;
	size_t i, ulen;

	if (*p == '-') {
		neg = true;
		p++;
	}
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			v += (*p++ - '0') * frac;
			frac /= 10;
			digits = true;
		}
	}
	if (!digits || v > 1e15)
		return false;
	while (*p == ' ')
		p++;
	ulen = strlen(p);
	if (ulen > 0) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (ptl_str_ieq(p, ulen, units[i].name))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return false;
		mult = units[i].ms;
	}
	v *= mult;
	if (v > 9e15)
		return false;
	*out = (int64_t)llround(neg ? -v : v);
	return true;
}

char *
ptl_str_logsafe(struct ptl_arena *a, const char *s, size_t max)
{
	struct ptl_buf b;
	size_t i;

	ptl_buf_init(&b, a, 64, 4 * max + 8);
	for (i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			ptl_buf_addf(&b, "\\x%02x", c);
		else
			ptl_buf_addc(&b, (char)c);
	}
	if (s[i] != '\0')
		ptl_buf_add(&b, "...", 3);
	return b.data;
}
