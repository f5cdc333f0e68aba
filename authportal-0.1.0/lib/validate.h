/* SPDX-License-Identifier: ISC */
/*
 * validate: pure predicates and normalisers for request fields. It owns the
 * email syntax check (a byte-exact port of validator.js 13.15 isEmail() with
 * its default options, API.md §0.2), the "lower-case then trim" email
 * transform (§0.1), strict UTF-8 checking and the string lengths that the
 * reference's class-validator counts. It does not look anything up (whether
 * an address exists is the account module's business), allocates nothing and
 * logs nothing: callers decide what a false means. Domain layer, but it uses
 * only the C library.
 */
#ifndef PTL_VALIDATE_H
#define PTL_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether s[0..len) is an email address as validator.js 13.15
 * isEmail(str) accepts it with default options (allow_display_name false,
 * allow_utf8_local_part true, require_tld true, allow_underscores false,
 * allow_ip_domain false, ignore_max_length false):
 *
 * - s must be strict UTF-8 without NUL bytes (see ptl_validate_utf8());
 * - at most 254 UTF-16 code units in total (JS .length);
 * - split at the last '@'; the local part is at most 64 and the domain at
 *   most 254 UTF-8 bytes (validator's isByteLength);
 * - the domain is an isFQDN() default FQDN: two or more labels of 1-63
 *   UTF-16 units each, [A-Za-z0-9-] or any code point >= U+00A1 other than
 *   full-width U+FF01-U+FF5E, no leading or trailing '-', no '_', and a TLD
 *   of two or more letters (ASCII or U+00A1-U+D7FF etc., not U+00A9, no
 *   whitespace) or "xn" followed by two or more of [A-Za-z0-9-];
 * - the local part is either a quoted string ("..." with qtext or
 *   backslash pairs, Unicode allowed) or dot-separated non-empty atoms of
 *   RFC 5322 atext plus U+00A1-U+D7FF, U+F900-U+FDCF, U+FDF0-U+FFEF.
 *
 * Like validator.js it does not trim or lower-case: run
 * ptl_validate_email_normalise() first, as the reference's DTO does.
 * s is borrowed and need not be NUL-terminated. Returns true if valid.
 */
bool ptl_validate_email(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Whether s[0..len) is strict UTF-8 (RFC 3629 §3-4): no overlong forms, no
 * UTF-16 surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no truncated
 * sequence or stray continuation byte. A NUL byte anywhere also makes it
 * false, so the result is safe to treat as a C string. Noncharacters such as
 * U+FFFE are valid UTF-8 and pass. s is borrowed.
 */
bool ptl_validate_utf8(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Number of code points in s[0..len), which must already have passed
 * ptl_validate_utf8(); on other input the result is a count of non-
 * continuation bytes and means nothing, but nothing is read past len.
 */
size_t ptl_validate_utf8_chars(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Length of s[0..len) in UTF-16 code units, i.e. the JavaScript .length of
 * the same string: code points above U+FFFF count 2. Same precondition and
 * same safety on bad input as ptl_validate_utf8_chars().
 */
size_t ptl_validate_utf16_len(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Length of s[0..len) as class-validator's MinLength/MaxLength count it:
 * they call validator.js isLength(), which takes the JS .length and
 * subtracts one for every surrogate pair and for every variation selector
 * U+FE0E/U+FE0F. That is the number of code points minus the number of
 * U+FE0E/U+FE0F. Same precondition as ptl_validate_utf8_chars().
 */
size_t ptl_validate_length(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * The reference's email transform, value.toLowerCase().trim(): lower-cases
 * ASCII A-Z, then removes JavaScript whitespace (String.prototype.trim:
 * TAB, LF, VT, FF, CR, SPACE, U+00A0, U+1680, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000, U+FEFF) from both ends.
 *
 * Deviation: non-ASCII letters are left as they are (JS would turn "É" into
 * "é"); the result of the reference and ours differ only for addresses with
 * upper-case non-ASCII letters.
 *
 * in[0..len) is borrowed and need not be NUL-terminated; invalid UTF-8 is
 * copied through (only whole, valid whitespace code points are trimmed).
 * OUT: out receives the result and a terminating NUL; out may be the same
 * pointer as in (in-place), but the buffers must not otherwise overlap.
 * Returns the length of the result without the NUL, or (size_t)-1
 * (SIZE_MAX) when out_size is too small for it, in which case out[0] is set
 * to NUL if out_size > 0.
 */
size_t ptl_validate_email_normalise(const char *in, size_t len, char *out,
				    size_t out_size)
    __attribute__((warn_unused_result, nonnull));

#endif
