/* SPDX-License-Identifier: ISC */
/*
 * str: strings in, values out: hex, exact integer parsing, case-insensitive
 * comparison, percent-decoding and durations. Pure functions (output into
 * the caller's buffers); the growable buffers are buf.h. Base layer.
 */
#ifndef PTL_STR_H
#define PTL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of in[0..len) into out (2*len+1 bytes, NUL-terminated). */
void ptl_str_hex(char *out, const unsigned char *in, size_t len);

/* The value of the hex digit c (either case), or -1 if it is not one. */
int ptl_str_hex_digit(char c);

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

/* Parses a duration in the format of the JavaScript "ms" package ("15m",
 * "30d", "1.5h", "900" = milliseconds) into milliseconds. */
bool ptl_str_duration_ms(const char *s, int64_t *out);

#endif
