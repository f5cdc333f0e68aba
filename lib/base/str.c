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

int
ptl_str_hex_digit(char c)
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
			hi = ptl_str_hex_digit(s[i + 1]);
			lo = ptl_str_hex_digit(s[i + 2]);
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
