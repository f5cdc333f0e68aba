/* SPDX-License-Identifier: ISC */
/*
 * email: see email.h. The email check mirrors validator.js 13.15
 * (src/lib/isEmail.js, isFQDN.js, isByteLength.js) rule by rule; the comment
 * on each helper names the regular expression it stands for. Those
 * expressions run on UTF-16 code units with the /i flag and no /u flag, so
 * an astral code point is two surrogate units: it matches a class only if
 * the class contains U+D800-U+DFFF (isFQDN's label class does, the others
 * do not). /i adds nothing outside ASCII here: in non-unicode mode a
 * character never case-folds into ASCII, and none of the excluded
 * non-ASCII ranges has case mappings.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <string.h>

#include "base/email.h"
#include "base/unicase.h"
#include "base/utf8.h"

/* validator.js defaultMaxEmailLength, and isEmail's isByteLength maxima. */
#define EMAIL_MAX_UNITS 254
#define LOCAL_MAX_BYTES 64
#define DOMAIN_MAX_BYTES 254
/* isFQDN: part.length > 63 fails. */
#define LABEL_MAX_UNITS 63

/* JS \s, which is also what String.prototype.trim() removes (ECMA-262
 * WhiteSpace and LineTerminator). */
static bool
is_js_space(uint32_t c)
{
	if ((c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0)
		return true;
	if (c == 0x1680 || (c >= 0x2000 && c <= 0x200A))
		return true;
	if (c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F)
		return true;
	return c == 0x3000 || c == 0xFEFF;
}

static bool
is_ascii_alpha(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_ascii_alnum(uint32_t c)
{
	return is_ascii_alpha(c) || (c >= '0' && c <= '9');
}

/* The BMP ranges validator.js uses for "Unicode letters", starting at lo:
 * [lo-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]. */
static bool
is_uni_range(uint32_t c, uint32_t lo)
{
	return (c >= lo && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
	       (c >= 0xFDF0 && c <= 0xFFEF);
}

/*
 * One isFQDN part: /^[a-z_\u00a1-\uffff0-9-]+$/i, at most 63 UTF-16 units,
 * not /[\uff01-\uff5e]/, not /^-|-$/, and (allow_underscores false) no '_'.
 * Astral code points pass the class as two surrogate units.
 */
static bool
label_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;
	size_t units = 0;
	size_t k;
	uint32_t c;

	if (n == 0 || p[0] == '-' || p[n - 1] == '-')
		return false;
	while (i < n) {
		k = ptl_utf8_decode(p + i, n - i, &c);
		if (k == 0)
			return false;
		i += k;
		units += c > 0xFFFF ? 2 : 1;
		if (c < 0x80) {
			if (!is_ascii_alnum(c) && c != '-')
				return false;
		} else if (c < 0xA1 || (c >= 0xFF01 && c <= 0xFF5E)) {
			return false;
		}
	}
	return units <= LABEL_MAX_UNITS;
}

/*
 * The isFQDN TLD test:
 * /^([a-z\u00A1-\u00A8\u00AA-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]{2,}|
 *    xn[a-z0-9-]{2,})$/i and not /\s/. The general label rules are checked
 * separately by label_ok().
 */
static bool
tld_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;
	size_t count = 0;
	size_t k;
	uint32_t c;

	if (n >= 4 && (p[0] | 0x20) == 'x' && (p[1] | 0x20) == 'n') {
		for (i = 2; i < n; i++) {
			if (!is_ascii_alnum(p[i]) && p[i] != '-')
				break;
		}
		if (i == n)
			return true;
		i = 0;
	}
	while (i < n) {
		k = ptl_utf8_decode(p + i, n - i, &c);
		if (k == 0)
			return false;
		i += k;
		count++;
		if (is_ascii_alpha(c))
			continue;
		if (c == 0xA9 || !is_uni_range(c, 0xA1) || is_js_space(c))
			return false;
	}
	return count >= 2;
}

/* isFQDN(domain) with default options: at least two parts, every part
 * label_ok(), the last one tld_ok(). A trailing dot makes an empty part. */
static bool
fqdn_ok(const unsigned char *p, size_t n)
{
	size_t start = 0;
	size_t last = 0;
	size_t labels = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '.')
			continue;
		if (!label_ok(p + start, i - start))
			return false;
		labels++;
		last = start;
		start = i + 1;
	}
	if (labels < 2)
		return false;
	return tld_ok(p + last, n - last);
}

/* An emailUserUtf8Part character: RFC 5322 atext
 * [a-z\d!#\$%&'\*\+\-\/=\?\^_`{\|}~] (/i) or the Unicode ranges. */
static bool
is_atom_char(uint32_t c)
{
	if (c >= 0x80)
		return is_uni_range(c, 0xA1);
	if (is_ascii_alnum(c))
		return true;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", (int)c) != NULL;
}

/* First class of quotedEmailUserUtf8 (below): in ASCII everything but NUL,
 * '"' and '\\'. */
static bool
is_qtext(uint32_t c)
{
	if (c >= 0x80)
		return is_uni_range(c, 0xA0);
	return c != 0 && c != '"' && c != '\\';
}

/* Class after a backslash in quotedEmailUserUtf8: in ASCII everything but
 * NUL and LF. */
static bool
is_quoted_pair_char(uint32_t c)
{
	if (c >= 0x80)
		return is_uni_range(c, 0xA0);
	return c != 0 && c != '\n';
}

/*
 * Dot-separated local part: every user.split('.') piece must match
 * emailUserUtf8Part, /^[a-z\d!#...~\u00A1-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]+$/i
 * (so no empty atom, hence no leading, trailing or double dot).
 */
static bool
dot_atoms_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;
	size_t atom_len = 0;
	size_t k;
	uint32_t c;

	while (i < n) {
		k = ptl_utf8_decode(p + i, n - i, &c);
		if (k == 0)
			return false;
		i += k;
		if (c == '.') {
			if (atom_len == 0)
				return false;
			atom_len = 0;
			continue;
		}
		if (!is_atom_char(c))
			return false;
		atom_len++;
	}
	return atom_len > 0;
}

/*
 * The inside of a quoted local part against quotedEmailUserUtf8:
 * /^([\s\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x21\x23-\x5b\x5d-\x7e
 *     \u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]|
 *   (\\[\x01-\x09\x0b\x0c\x0d-\x7f\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]))*$/i
 * In ASCII the first class is everything but NUL, '"' and '\\'; the escaped
 * one everything but NUL and LF. A backslash is in neither first class, so
 * it must start a pair and one left-to-right pass decides the match.
 */
static bool
quoted_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;
	size_t k;
	uint32_t c;
	bool escaped = false;

	while (i < n) {
		k = ptl_utf8_decode(p + i, n - i, &c);
		if (k == 0)
			return false;
		i += k;
		if (escaped) {
			escaped = false;
			if (!is_quoted_pair_char(c))
				return false;
		} else if (c == '\\') {
			escaped = true;
		} else if (!is_qtext(c)) {
			return false;
		}
	}
	return !escaped;
}

/*
 * isEmail's local-part step: if user[0] and user[user.length - 1] are both
 * '"', the slice between them is a quoted string. Note that for the
 * one-character user "\"" both are the same quote and the slice is empty,
 * which validator.js accepts; so do we.
 */
static bool
local_ok(const unsigned char *p, size_t n)
{
	if (n >= 1 && p[0] == '"' && p[n - 1] == '"')
		return quoted_ok(p + 1, n >= 2 ? n - 2 : 0);
	return dot_atoms_ok(p, n);
}

bool
ptl_email_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at;

	if (!ptl_utf8_valid(s, len))
		return false;
	if (ptl_utf8_utf16_len(s, len) > EMAIL_MAX_UNITS)
		return false;
	/* str.split('@'): the domain is the last piece, the user the rest
	 * joined with '@' again. Without any '@' the user is "", which no
	 * local-part rule accepts. */
	at = len;
	while (at > 0 && p[at - 1] != '@')
		at--;
	if (at == 0)
		return false;
	at--;
	/* isByteLength counts UTF-8 bytes, which is what we hold. */
	if (at > LOCAL_MAX_BYTES || len - at - 1 > DOMAIN_MAX_BYTES)
		return false;
	if (!fqdn_ok(p + at + 1, len - at - 1))
		return false;
	return local_ok(p, at);
}

/* The bytes the mail code refuses in a quoted local part: it writes the
 * address as it is, and has no quoted pairs. */
static bool
plain_quoted(const unsigned char *p, size_t n)
{
	size_t i;

	if (n < 3)
		return false;
	for (i = 1; i + 1 < n; i++) {
		if (p[i] == '"' || p[i] == '\\' || p[i] == '@')
			return false;
	}
	return true;
}

bool
ptl_email_deliverable(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, at;

	if (len > PTL_EMAIL_MAX_BYTES || !ptl_email_valid(s, len))
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	}
	/* ptl_email_valid() found the last '@'. */
	at = len;
	while (p[at - 1] != '@')
		at--;
	at--;
	if (p[0] == '"' && p[at - 1] == '"')
		return plain_quoted(p, at);
	return true;
}

/* Bytes of the whitespace code point that starts p[0..n), or 0. */
static size_t
space_prefix(const unsigned char *p, size_t n)
{
	size_t k;
	uint32_t c;

	if (n == 0)
		return 0;
	k = ptl_utf8_decode(p, n, &c);
	if (k == 0 || !is_js_space(c))
		return 0;
	return k;
}

/* Bytes of the whitespace code point that ends p[0..n), or 0. */
static size_t
space_suffix(const unsigned char *p, size_t n)
{
	size_t start = n;
	size_t k;
	uint32_t c;

	while (start > 0 && n - start < 4) {
		start--;
		if ((p[start] & 0xC0) != 0x80)
			break;
	}
	if (start == n)
		return 0;
	k = ptl_utf8_decode(p + start, n - start, &c);
	if (k != n - start || !is_js_space(c))
		return 0;
	return k;
}

size_t
ptl_email_normalise(const char *in, size_t len, char *out,
			     size_t out_size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t start = 0;
	size_t end = len;
	size_t k;

	/* Lower-casing never creates or removes whitespace, and whitespace is
	 * neither cased nor case-ignorable (so the final-sigma context is the
	 * same without it): trimming first gives the same result as JS
	 * lower-case-then-trim. */
	for (;;) {
		k = space_prefix(p + start, end - start);
		if (k == 0)
			break;
		start += k;
	}
	for (;;) {
		k = space_suffix(p + start, end - start);
		if (k == 0)
			break;
		end -= k;
	}
	return ptl_unicase_lower(in + start, end - start, out, out_size);
}
