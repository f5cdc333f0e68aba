/* SPDX-License-Identifier: ISC */
/*
 * unicase: see unicase.h. The mappings are runs of code points with one
 * delta (every stride-th code point of the run maps to itself + delta), and
 * the Cased and Case_Ignorable properties ranges; all three are sorted, so
 * a lookup is a binary search.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <string.h>

#include "base/unicase.h"
#include "base/utf8.h"

struct lower_run {
	uint32_t lo, hi;
	int32_t delta;
	uint32_t stride;
};

struct cp_range {
	uint32_t lo, hi;
};

#include "base/unicase_table.h"

#define CAPITAL_SIGMA 0x03A3
#define SMALL_SIGMA 0x03C3
#define FINAL_SIGMA 0x03C2
#define CAPITAL_I_DOT 0x0130

static uint32_t
lower_one(uint32_t c)
{
	size_t lo = 0, hi = sizeof(lower_runs) / sizeof(lower_runs[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lower_run *r = &lower_runs[mid];

		if (c < r->lo) {
			hi = mid;
		} else if (c > r->hi) {
			lo = mid + 1;
		} else {
			if ((c - r->lo) % r->stride != 0)
				return c;
			return (uint32_t)((int32_t)c + r->delta);
		}
	}
	return c;
}

static bool
in_ranges(const struct cp_range *r, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c < r[mid].lo)
			hi = mid;
		else if (c > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool
is_cased(uint32_t c)
{
	return in_ranges(cased_ranges,
			 sizeof(cased_ranges) / sizeof(cased_ranges[0]), c);
}

static bool
is_ignorable(uint32_t c)
{
	return in_ranges(ignorable_ranges,
			 sizeof(ignorable_ranges) / sizeof(ignorable_ranges[0]),
			 c);
}

/* The code point that ends p[0..n), n > 0, or 0 with *k = 1 for a byte
 * that does not end a strict UTF-8 sequence. OUT k: its bytes. */
static uint32_t
decode_back(const unsigned char *p, size_t n, size_t *k)
{
	size_t start = n;
	uint32_t c;

	while (start > 0 && n - start < 4) {
		start--;
		if ((p[start] & 0xC0) != 0x80)
			break;
	}
	if (ptl_utf8_decode(p + start, n - start, &c) != n - start) {
		*k = 1;
		return 0;
	}
	*k = n - start;
	return c;
}

/* Final_Sigma (Unicode Table 3-17) for the capital sigma at p[at..at+2):
 * a cased letter before it and none after it, skipping case-ignorable
 * characters on both sides. */
static bool
final_sigma(const unsigned char *p, size_t len, size_t at)
{
	size_t i = at, k;
	uint32_t c = 0;
	bool before = false;

	while (i > 0) {
		c = decode_back(p, i, &k);
		i -= k;
		if (!is_ignorable(c)) {
			before = is_cased(c);
			break;
		}
	}
	if (!before)
		return false;
	for (i = at + 2; i < len; i += k) {
		k = ptl_utf8_decode(p + i, len - i, &c);
		if (k == 0)
			return true;
		if (!is_ignorable(c))
			return !is_cased(c);
	}
	return true;
}

/* Appends the UTF-8 of c at out + *n if it fits before out_size - 1. */
static bool
put(char *out, size_t out_size, size_t *n, uint32_t c)
{
	unsigned char b[4];
	size_t k;

	if (c < 0x80) {
		b[0] = (unsigned char)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xC0 | (c >> 6));
		b[1] = (unsigned char)(0x80 | (c & 0x3F));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (c >> 12));
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (c & 0x3F));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (c >> 18));
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (c & 0x3F));
		k = 4;
	}
	if (*n + k >= out_size)
		return false;
	memcpy(out + *n, b, k);
	*n += k;
	return true;
}

/* Lower-cases the character at p[i..), appending it. OUT k: bytes read. */
static bool
lower_at(const unsigned char *p, size_t len, size_t i, char *out,
	 size_t out_size, size_t *n, size_t *k)
{
	uint32_t c;

	*k = ptl_utf8_decode(p + i, len - i, &c);
	if (*k == 0) {
		/* Not UTF-8: the byte as it is. */
		*k = 1;
		if (*n + 1 >= out_size)
			return false;
		out[(*n)++] = (char)p[i];
		return true;
	}
	if (c == CAPITAL_I_DOT)
		return put(out, out_size, n, 'i') &&
		       put(out, out_size, n, 0x0307);
	if (c == CAPITAL_SIGMA)
		return put(out, out_size, n,
			   final_sigma(p, len, i) ? FINAL_SIGMA : SMALL_SIGMA);
	return put(out, out_size, n, lower_one(c));
}

size_t
ptl_unicase_lower(const char *in, size_t len, char *out, size_t out_size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, n = 0, k;

	while (i < len) {
		if (!lower_at(p, len, i, out, out_size, &n, &k)) {
			if (out_size > 0)
				out[0] = '\0';
			return SIZE_MAX;
		}
		i += k;
	}
	if (out_size == 0)
		return SIZE_MAX;
	out[n] = '\0';
	return n;
}
