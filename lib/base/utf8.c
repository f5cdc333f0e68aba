/* SPDX-License-Identifier: ISC */
/*
 * utf8: see utf8.h. The one UTF-8 decoder of the project.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <string.h>

#include "base/utf8.h"

size_t
ptl_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0];
	uint32_t min;
	size_t need, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		need = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c < 0xF0) {
		need = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c < 0xF5) {
		need = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need;
}

bool
ptl_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	size_t k;
	uint32_t c;

	while (i < len) {
		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = ptl_utf8_decode(p + i, len - i, &c);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

size_t
ptl_utf8_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			n++;
	}
	return n;
}

size_t
ptl_utf8_utf16_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			n++;
		/* A 4-byte sequence is a surrogate pair in UTF-16. */
		if (p[i] >= 0xF0)
			n++;
	}
	return n;
}

size_t
ptl_utf8_length(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = ptl_utf8_chars(s, len);
	size_t i;

	/* U+FE0E and U+FE0F are EF B8 8E and EF B8 8F. */
	for (i = 0; i + 2 < len; i++) {
		if (p[i] == 0xEF && p[i + 1] == 0xB8 &&
		    (p[i + 2] == 0x8E || p[i + 2] == 0x8F))
			n--;
	}
	return n;
}

size_t
ptl_utf8_clip(char *out, size_t max, const char *s, size_t len)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0;

	while (i < len) {
		uint32_t c = 0;
		size_t k = ptl_utf8_decode(p + i, len - i, &c);
		const char *from = s + i;
		size_t w = k;

		if (k == 0 || c < 0x20 || (c >= 0x7f && c < 0xa0)) {
			from = fffd;
			w = 3;
		}
		if (w > max - n)
			break;
		memcpy(out + n, from, w);
		n += w;
		i += k != 0 ? k : 1;
	}
	out[n] = '\0';
	return n;
}
