/* SPDX-License-Identifier: ISC */
/*
 * fuzz_lang: the choice of a language from request bytes
 * (lib/domain/i18n.c, API.md §12.1, RFC 9110 §12.5.4): the input is the
 * language header's value, then, after the first NUL byte (if any), an
 * Accept-Language list.
 *
 * Invariants: the choice is always a shipped language (never NULL); the
 * header alone decides when it names a shipped language; ASCII case of
 * the header does not matter; a shipped tag, itself or followed by a
 * "-..." subtag, chooses itself; the strings of the mails exist in the
 * choice (the fallback fills any gap); with neither header nor list the
 * choice is the fallback.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/i18n.h"
#include "fuzz.h"

#define MAX_IN 4096

static bool
shipped(const struct ptl_i18n *t, const char *tag)
{
	size_t i;

	for (i = 0; i < ptl_i18n_count(t); i++) {
		if (ptl_i18n_lang(t, i) == tag)
			return true;
	}
	return false;
}

static void
check_case(const struct ptl_i18n *t, const char *header, const char *got)
{
	char upper[MAX_IN + 1];
	size_t i, len = strlen(header);

	for (i = 0; i < len; i++) {
		char c = header[i];

		upper[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	upper[len] = '\0';
	if (ptl_i18n_pick(t, upper, NULL) != got)
		__builtin_trap();
}

/* Every shipped tag chooses itself, as the header or before any list;
 * followed by "-<up to 8 bytes of the input>" it still chooses itself
 * (the shipped tags have no '-' or '_' of their own). */
static void
check_tags(const struct ptl_i18n *t, const char *header)
{
	char with_sub[64];
	size_t i;

	for (i = 0; i < ptl_i18n_count(t); i++) {
		const char *tag = ptl_i18n_lang(t, i);

		if (strpbrk(tag, "-_") != NULL)
			continue;
		if (ptl_i18n_pick(t, tag, header) != tag)
			__builtin_trap();
		(void)snprintf(with_sub, sizeof(with_sub), "%s-%.8s", tag,
			       header);
		if (ptl_i18n_pick(t, with_sub, NULL) != tag)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ptl_i18n *t = fuzz_app()->i18n;
	char in[MAX_IN + 1];
	const char *header, *accept, *got, *alone;
	size_t n = size < MAX_IN ? size : MAX_IN;

	memcpy(in, data, n);
	in[n] = '\0';
	header = in;
	accept = strlen(in) < n ? in + strlen(in) + 1 : NULL;
	got = ptl_i18n_pick(t, header, accept);
	if (got == NULL || !shipped(t, got))
		__builtin_trap();
	alone = ptl_i18n_pick(t, header, NULL);
	if (!shipped(t, alone))
		__builtin_trap();
	if (alone != ptl_i18n_fallback(t) && got != alone)
		__builtin_trap();
	check_case(t, header, alone);
	if (accept != NULL && !shipped(t, ptl_i18n_pick(t, NULL, accept)))
		__builtin_trap();
	if (ptl_i18n_get(t, got, "common", "confirmEmail") == NULL ||
	    ptl_i18n_get(t, got, "reset-password", "text4") == NULL)
		__builtin_trap();
	if (ptl_i18n_pick(t, NULL, NULL) != ptl_i18n_fallback(t))
		__builtin_trap();
	check_tags(t, header);
	return 0;
}
