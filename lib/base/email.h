/* SPDX-License-Identifier: ISC */
/*
 * email: the address syntax of a request field: a byte-exact port of
 * validator.js 13.15 isEmail() with its default options (API.md §0.2), and
 * the reference's "lower-case then trim" transform (§0.1), plus the rule
 * that an accepted address is one a mail can be delivered to
 * (ptl_email_deliverable, the check of every field that takes an
 * address). The one email syntax check of the project. It does not
 * look anything up (whether an address exists is the account module's
 * business), allocates nothing and logs nothing. Base layer.
 */
#ifndef PTL_EMAIL_H
#define PTL_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether s[0..len) is an email address as validator.js 13.15
 * isEmail(str) accepts it with default options (allow_display_name false,
 * allow_utf8_local_part true, require_tld true, allow_underscores false,
 * allow_ip_domain false, ignore_max_length false):
 *
 * - s must be strict UTF-8 without NUL bytes (see ptl_utf8_valid());
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
 * ptl_email_normalise() first, as the reference's DTO does.
 * s is borrowed and need not be NUL-terminated. Returns true if valid.
 */
bool ptl_email_valid(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/* Bytes of a whole address (RFC 5321 §4.5.3.1.3: a path is 256 with "<>"). */
#define PTL_EMAIL_MAX_BYTES 254

/*
 * Whether s[0..len) is an address we accept and can deliver to: it passes
 * ptl_email_valid() and is also a bare addr-spec the mail code can put
 * in a header and an SMTP envelope (base/mime's ptl_mime_addr_ok() is
 * this check):
 *
 * - at most PTL_EMAIL_MAX_BYTES bytes;
 * - no C0 control byte (CR, LF, TAB ...) and no DEL anywhere;
 * - a quoted local part holds at least one character and none of '"',
 *   '\\' (so no quoted pairs) and '@' (libcurl splits the envelope
 *   address at its first '@').
 *
 * validator.js accepts such addresses ("a\r\nb"@x.com, "a\"b"@x.com,
 * ""@x.com); a mail to them could never go out, so every field that takes
 * an address refuses them as it refuses any bad address (API.md §10.13).
 * s is borrowed and need not be NUL-terminated. Returns true if both hold.
 */
bool ptl_email_deliverable(const char *s, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * The reference's email transform, value.toLowerCase().trim(): lower-cases
 * as JavaScript does, every letter and not only A-Z (ptl_unicase_lower:
 * "\xc3\x89" becomes "\xc3\xa9", U+0130 "i" U+0307, a final capital
 * sigma U+03C2), then removes JavaScript whitespace
 * (String.prototype.trim: TAB, LF, VT, FF, CR, SPACE, U+00A0, U+1680,
 * U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF) from both
 * ends. So an address is one account however its letters are cased
 * (API.md §0.1, §10 item 30).
 *
 * in[0..len) is borrowed and need not be NUL-terminated; invalid UTF-8 is
 * copied through (only whole, valid code points are trimmed or mapped).
 * OUT: out receives the result and a terminating NUL; in and out must not
 * overlap. The result may be longer than the input (by at most half:
 * U+023A is 2 bytes, its lower case 3); PTL_EMAIL_NORMALISED_MAX(len)
 * bytes always suffice. Returns the length of the result without the NUL,
 * or (size_t)-1 (SIZE_MAX) when out_size is too small for it, in which
 * case out[0] is set to NUL if out_size > 0.
 */
#define PTL_EMAIL_NORMALISED_MAX(len) ((len) + (len) / 2 + 1)

size_t ptl_email_normalise(const char *in, size_t len, char *out,
				    size_t out_size)
    __attribute__((warn_unused_result, nonnull));

#endif
