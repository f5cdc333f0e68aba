/* SPDX-License-Identifier: ISC */
/*
 * utf8: strict UTF-8 decoding and the string lengths that JavaScript and
 * class-validator count. The project's only UTF-8 decoder: the email
 * syntax, the JSON parser, the mail headers, the field validation and the
 * stored User-Agent use it. Pure functions; base layer.
 */
#ifndef PTL_UTF8_H
#define PTL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one code point from p[0..n), n >= 1, into *cp. Returns the number
 * of bytes used (1-4), or 0 when they are not strict UTF-8 (RFC 3629 §4):
 * C0/C1 and other overlongs, surrogates, above U+10FFFF, truncated, or a
 * stray continuation byte.
 */
size_t ptl_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
    __attribute__((warn_unused_result, nonnull));

/*
 * Whether s[0..len) is strict UTF-8 (RFC 3629 §3-4): no overlong forms, no
 * UTF-16 surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no truncated
 * sequence or stray continuation byte. A NUL byte anywhere also makes it
 * false, so the result is safe to treat as a C string. Noncharacters such as
 * U+FFFE are valid UTF-8 and pass. s is borrowed.
 */
bool ptl_utf8_valid(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Number of code points in s[0..len), which must already have passed
 * ptl_utf8_valid(); on other input the result is a count of non-
 * continuation bytes and means nothing, but nothing is read past len.
 */
size_t ptl_utf8_chars(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Length of s[0..len) in UTF-16 code units, i.e. the JavaScript .length of
 * the same string: code points above U+FFFF count 2. Same precondition and
 * same safety on bad input as ptl_utf8_chars().
 */
size_t ptl_utf8_utf16_len(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Length of s[0..len) as class-validator's MinLength/MaxLength count it:
 * they call validator.js isLength(), which takes the JS .length and
 * subtracts one for every surrogate pair and for every variation selector
 * U+FE0E/U+FE0F. That is the number of code points minus the number of
 * U+FE0E/U+FE0F. Same precondition as ptl_utf8_chars().
 */
size_t ptl_utf8_length(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Copies s[0..len) into out as strict UTF-8 of at most max bytes, for text
 * from a request that is stored and shown again (a session's User-Agent):
 * each byte that does not start a strict sequence (ptl_utf8_decode: stray
 * continuation bytes, overlongs, surrogates, truncated sequences) and each
 * control character (U+0000-U+001F, U+007F-U+009F) becomes U+FFFD, and
 * the copy ends before the first character that would not fit whole, so
 * that a multi-byte sequence is never cut. out must have room for max + 1
 * bytes and is NUL-terminated. Returns the number of bytes written, at
 * most max. s is borrowed.
 */
size_t ptl_utf8_clip(char *out, size_t max, const char *s, size_t len)
    __attribute__((nonnull));

#endif
