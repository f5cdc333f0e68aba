/* SPDX-License-Identifier: ISC */
/*
 * fuzz_email: the address rules and the normalisation of a request field
 * (lib/base/email.c) on arbitrary bytes.
 *
 * Invariants: the normalised form fits PTL_EMAIL_NORMALISED_MAX and is
 * idempotent (a normalised address normalises to itself); a buffer one
 * byte too small is refused with an empty string; ASCII case does not
 * matter, neither to the normalised form nor to validity (validator.js
 * matches with /i); a valid address is UTF-8 without NUL, holds an '@' and
 * fits the length caps (64 bytes of local part, 254 of domain, 254 UTF-16
 * units in all); a deliverable one is valid, at most 254 bytes and has no
 * control byte or DEL.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "base/email.h"
#include "base/utf8.h"
#include "fuzz.h"

#define MAX_IN 4096
#define OUT_MAX PTL_EMAIL_NORMALISED_MAX(MAX_IN)

/* in[0..len) with ASCII letters turned to upper (up) or lower case. */
static void
ascii_case(char *out, const char *in, size_t len, bool up)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!up && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
	}
}

static void
check_deliverable(const char *s, size_t len)
{
	size_t i;

	if (!ptl_email_deliverable(s, len))
		return;
	if (!ptl_email_valid(s, len) || len > 254)
		__builtin_trap();
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			__builtin_trap();
	}
}

static void
check_valid(const char *s, size_t len, char *scratch)
{
	bool valid = ptl_email_valid(s, len);
	const char *at;

	ascii_case(scratch, s, len, true);
	if (ptl_email_valid(scratch, len) != valid)
		__builtin_trap();
	ascii_case(scratch, s, len, false);
	if (ptl_email_valid(scratch, len) != valid)
		__builtin_trap();
	check_deliverable(s, len);
	if (!valid)
		return;
	at = memrchr(s, '@', len);
	if (!ptl_utf8_valid(s, len) || at == NULL ||
	    ptl_utf8_utf16_len(s, len) > 254 || (size_t)(at - s) > 64 ||
	    len - (size_t)(at - s) - 1 > 254)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char norm[OUT_MAX], again[OUT_MAX], upper[MAX_IN];
	static char scratch[OUT_MAX];
	const char *in = (const char *)data;
	size_t n, m;

	if (size > MAX_IN)
		return 0;
	n = ptl_email_normalise(in, size, norm, PTL_EMAIL_NORMALISED_MAX(size));
	if (n == SIZE_MAX || n >= PTL_EMAIL_NORMALISED_MAX(size) ||
	    norm[n] != '\0')
		__builtin_trap();
	m = ptl_email_normalise(norm, n, again, sizeof(again));
	if (m != n || memcmp(norm, again, n) != 0)
		__builtin_trap();
	ascii_case(upper, in, size, true);
	m = ptl_email_normalise(upper, size, again, sizeof(again));
	if (m != n || memcmp(norm, again, n) != 0)
		__builtin_trap();
	if (n > 0) {
		m = ptl_email_normalise(in, size, again, n);
		if (m != SIZE_MAX || again[0] != '\0')
			__builtin_trap();
	}
	check_valid(in, size, scratch);
	check_valid(norm, n, scratch);
	return 0;
}
