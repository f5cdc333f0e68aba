/* SPDX-License-Identifier: ISC */
/*
 * buf: bounded growable byte buffers in an arena with a sticky error
 * (SQLite's StrAccum, curl's dynbuf toobig), and the encoders that append
 * to them: JSON strings and times, decimal integers, base64url and
 * percent-encoding. Base layer.
 */
#ifndef PTL_BUF_H
#define PTL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"

/*
 * A growable byte buffer in an arena, capped at max bytes. The first append
 * that would pass max sets .overflow and every later call is ignored: the
 * caller checks .overflow once at the end. .data is always NUL-terminated.
 */
struct ptl_buf {
	struct ptl_arena *arena;
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	bool overflow;
};

/* Starts an empty buffer in arena a, with room for hint bytes. */
void ptl_buf_init(struct ptl_buf *b, struct ptl_arena *a, size_t hint,
		  size_t max);
void ptl_buf_add(struct ptl_buf *b, const void *p, size_t len);
void ptl_buf_adds(struct ptl_buf *b, const char *s);
void ptl_buf_addc(struct ptl_buf *b, char c);
void ptl_buf_addf(struct ptl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a decimal integer. */
void ptl_buf_addi(struct ptl_buf *b, long long v);
/* Appends s[0..len) as a JSON string literal, quotes included (RFC 8259 §7).
 * Control characters, '"', '\\' and U+2028/U+2029 are escaped. */
void ptl_buf_json_str(struct ptl_buf *b, const char *s, size_t len);
/* Appends s as a JSON string, or the literal null when s is NULL. */
void ptl_buf_json_strz(struct ptl_buf *b, const char *s);
/* Appends ms-since-epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (quoted). */
void ptl_buf_json_time(struct ptl_buf *b, int64_t ms);

/* Appends p[0..len) in base64url without padding (RFC 4648 §5). */
void ptl_buf_b64url(struct ptl_buf *b, const void *p, size_t len);

/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved kept). */
void ptl_buf_urlencode(struct ptl_buf *b, const char *s, size_t len);

#endif
