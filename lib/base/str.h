/* SPDX-License-Identifier: ISC */
/*
 * str: bounded growable buffers with a sticky error (SQLite's StrAccum),
 * JSON string escaping, hex, exact integer parsing, percent-decoding and
 * time formatting. Base layer: no third-party headers.
 */
#ifndef PTL_STR_H
#define PTL_STR_H

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

/* Lower-case hex of in[0..len) into out (2*len+1 bytes, NUL-terminated). */
void ptl_str_hex(char *out, const unsigned char *in, size_t len);

/* Parses exactly s[0..len) as a decimal integer in [min, max]: digits only,
 * an optional leading '-', no spaces, no overflow. */
bool ptl_str_to_i64(const char *s, size_t len, int64_t min, int64_t max,
		    int64_t *out);

/* Case-insensitive ASCII comparison of s[0..len) with the NUL-terminated lit. */
bool ptl_str_ieq(const char *s, size_t len, const char *lit);

/* Decodes application/x-www-form-urlencoded s[0..len) ('+' is a space) in
 * place into out (len+1 bytes). Returns the decoded length, or SIZE_MAX on a
 * malformed escape. */
size_t ptl_str_urldecode(const char *s, size_t len, char *out);

/* Appends p[0..len) in base64url without padding (RFC 4648 §5). */
void ptl_buf_b64url(struct ptl_buf *b, const void *p, size_t len);

/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved kept). */
void ptl_buf_urlencode(struct ptl_buf *b, const char *s, size_t len);

/* Parses a duration in the format of the JavaScript "ms" package ("15m",
 * "30d", "1.5h", "900" = milliseconds) into milliseconds. */
bool ptl_str_duration_ms(const char *s, int64_t *out);

/* Writes a control-character-safe copy of s (at most max bytes of input) for
 * logs: bytes < 0x20, 0x7f, '"' and '\\' become \xNN escapes. Arena-owned. */
char *ptl_str_logsafe(struct ptl_arena *a, const char *s, size_t max);

#endif
