/* SPDX-License-Identifier: ISC */
/*
 * mime: the pure encoders of an Internet message: RFC 5322 header lines
 * (a display name as a quoted-string, the date), RFC 2047 encoded-words for
 * header text that is not ASCII, quoted-printable bodies (RFC 2045 §6.7)
 * and the multipart delimiters (RFC 2046 §5.1), plus the checks that keep a
 * value from breaking out of the header it is written into. Everything
 * appends to a capped buffer (base/buf.h) and reads nothing else: no I/O,
 * no randomness (the caller passes the Message-ID and the boundary), no
 * logging. What a mail says is domain/mail.c's business; sending it is
 * adapters/smtp.c's. Base layer.
 */
#ifndef PTL_MIME_H
#define PTL_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/email.h"

/* Bytes of a display name or title; header lines stay far below the 998
 * of RFC 5322 §2.1.1. */
#define PTL_MIME_TEXT_MAX 200
/* Bytes of an address (RFC 5321 §4.5.3.1.3: a path is 256 with "<>"). */
#define PTL_MIME_ADDR_MAX PTL_EMAIL_MAX_BYTES
/* Every boundary starts with this: "=_" never occurs in quoted-printable
 * output (RFC 2045 §6.7, RFC 2046 §5.1.1), so no part can contain it. */
#define PTL_MIME_BOUNDARY_PREFIX "=_ptl_"

/*
 * Whether s is 1..max bytes of strict UTF-8 (ptl_utf8_valid()) without C0
 * controls or DEL, so that no CR, LF or TAB can reach a header through it.
 * s is borrowed.
 */
bool ptl_mime_text_ok(const char *s, size_t max)
    __attribute__((warn_unused_result, nonnull));

/*
 * Whether s can be written as it is into To/From and into the SMTP
 * envelope ("<s>"): ptl_email_deliverable() (base/email.h, the project's
 * one address rule, which every field that takes an address applies too):
 * the syntax of ptl_email_valid(), at most PTL_MIME_ADDR_MAX bytes, no
 * controls (a quoted local part may hold them for isEmail), and a quoted
 * local part must be plain: at least one character between the quotes and
 * no '"', '\\' or '@' inside (libcurl splits an envelope address at its
 * first '@'). s is borrowed.
 */
bool ptl_mime_addr_ok(const char *s)
    __attribute__((warn_unused_result, nonnull));

/*
 * The domain of addr when it is plain ASCII (letters, digits, '.', '-'),
 * else "localhost": the right side of a Message-ID and an EHLO name.
 * Points into addr or to a literal.
 */
const char *ptl_mime_domain(const char *addr)
    __attribute__((warn_unused_result, nonnull));

/* Appends s (checked with ptl_mime_text_ok()) as a display name: an RFC
 * 5322 §3.2.5 quoted-string, or RFC 2047 encoded-words when s is not ASCII
 * or holds "=?". */
void ptl_mime_add_phrase(struct ptl_buf *b, const char *s)
    __attribute__((nonnull));

/* Appends s (checked with ptl_mime_text_ok()) as unstructured header text
 * (RFC 5322 §3.2.5, a Subject): as it is, or RFC 2047 "B" encoded-words of
 * at most 36 bytes each, never splitting a character (§5 rule 3), folded
 * with CRLF SP, when s is not ASCII or holds "=?". */
void ptl_mime_add_text(struct ptl_buf *b, const char *s)
    __attribute__((nonnull));

/* Appends "Tue, 25 Nov 2025 23:59:59 +0000", the RFC 5322 §3.3 date of
 * ms-since-epoch in UTC, in English whatever the locale. */
void ptl_mime_add_date(struct ptl_buf *b, int64_t ms) __attribute__((nonnull));

/*
 * Appends s[0..len) quoted-printable (RFC 2045 §6.7) as text: LF and CRLF
 * become CRLF hard breaks (rule 4), a lone CR is encoded, trailing spaces
 * and tabs of a line are encoded (rule 3), and soft breaks keep every line
 * at 76 characters or fewer (rule 5). A '.' that starts a line is encoded
 * too, so no transport can take it for end of data. No line break is added
 * after the last character.
 */
void ptl_mime_add_qp(struct ptl_buf *b, const char *s, size_t len)
    __attribute__((nonnull));

/*
 * The headers of a multipart/alternative message, in this order, lines
 * ending in CRLF: From ("name" <from_email>, the name through
 * ptl_mime_add_phrase()), To, Subject (ptl_mime_add_text()), Date
 * (date_ms), Message-ID (<message_id@domain of from_email>, see
 * ptl_mime_domain()), MIME-Version and Content-Type with the boundary,
 * then the empty line. The values must have passed ptl_mime_addr_ok()
 * (addresses) and ptl_mime_text_ok() (name, subject, at most
 * PTL_MIME_TEXT_MAX bytes); message_id is [0-9a-f]+ and boundary
 * PTL_MIME_BOUNDARY_PREFIX followed by [0-9a-f]+. All borrowed.
 */
struct ptl_mime_head {
	const char *from_name;
	const char *from_email;
	const char *to;
	const char *subject;
	int64_t date_ms;
	const char *message_id;
	const char *boundary;
};
void ptl_mime_add_head(struct ptl_buf *b, const struct ptl_mime_head *h)
    __attribute__((nonnull));

/*
 * Appends one body part: the delimiter line of boundary, Content-Type
 * "<type>; charset=utf-8", Content-Transfer-Encoding quoted-printable, the
 * empty line and text[0..len) through ptl_mime_add_qp(), then the CRLF
 * that belongs to the next delimiter (RFC 2046 §5.1.1): the part decodes
 * to text exactly, with no added line break.
 */
void ptl_mime_add_part(struct ptl_buf *b, const char *boundary,
		       const char *type, const char *text, size_t len)
    __attribute__((nonnull));

/* Appends the close delimiter "--<boundary>--" and CRLF, after the last
 * part. */
void ptl_mime_add_close(struct ptl_buf *b, const char *boundary)
    __attribute__((nonnull));

#endif
