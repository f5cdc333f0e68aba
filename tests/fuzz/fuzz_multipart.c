/* SPDX-License-Identifier: ISC */
/*
 * fuzz_multipart: the multipart/form-data reader of lib/web/multipart.c.
 * The input is a Content-Type line (up to the first '\n') and then the
 * body; both are tried, and the body also under a fixed boundary.
 *
 * Invariants: on success there are 1 to max parts, in order, each inside
 * the body and after the one before it, with a non-empty name that holds
 * no control byte but HTAB (qdtext, RFC 9110 §5.6.4), and no part's content
 * holds the delimiter ("\r\n--" and the boundary); on failure there is a
 * message. Nothing is read past the body (ASan).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/mem.h"
#include "fuzz.h"
#include "web/multipart.h"

#define MAX_PARTS 4

static const char *
find(const char *hay, size_t len, const char *needle, size_t nlen)
{
	size_t i;

	for (i = 0; nlen <= len && i <= len - nlen; i++) {
		if (memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	}
	return NULL;
}

static void
check(struct ptl_arena *a, const char *ct, const char *boundary,
      const char *body, size_t len)
{
	struct ptl_multipart_part parts[MAX_PARTS];
	const char *msg = NULL, *prev = body;
	char *delim;
	size_t n = 99, i;
	enum ptl_err e;

	e = ptl_multipart_parse(a, ct, body, len, parts, MAX_PARTS, &n, &msg);
	if (e != PTL_OK) {
		if (e != PTL_ERR_BAD_REQUEST || msg == NULL)
			__builtin_trap();
		return;
	}
	if (n == 0 || n > MAX_PARTS)
		__builtin_trap();
	delim =
	    boundary != NULL ? ptl_mem_printf(a, "\r\n--%s", boundary) : NULL;
	for (i = 0; i < n; i++) {
		const struct ptl_multipart_part *p = &parts[i];
		const char *c;

		if (p->data < prev || p->data + p->len > body + len ||
		    p->name == NULL || p->name[0] == '\0')
			__builtin_trap();
		for (c = p->name; *c != '\0'; c++) {
			if (((unsigned char)*c < ' ' && *c != '\t') ||
			    *c == 0x7f)
				__builtin_trap();
		}
		if (delim != NULL &&
		    find(p->data, p->len, delim, strlen(delim)) != NULL)
			__builtin_trap();
		prev = p->data + p->len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	const char *nl, *body;
	char *ct, *copy;
	size_t len;

	if (size > 65536)
		return 0;
	if (a == NULL)
		a = ptl_mem_new();
	/* The body in a buffer of its own size: ASan sees any overread. */
	nl = memchr(data, '\n', size);
	len = nl != NULL ? size - (size_t)(nl + 1 - (const char *)data) : size;
	body = nl != NULL ? nl + 1 : (const char *)data;
	copy = ptl_mem_alloc(a, len + 1);
	memcpy(copy, body, len);
	ct =
	    ptl_mem_strndup(a, (const char *)data,
			    nl != NULL ? (size_t)(nl - (const char *)data) : 0);
	check(a, ct, NULL, copy, len);
	check(a, "multipart/form-data; boundary=XyZ", "XyZ", copy, len);
	ptl_mem_reset(a);
	return 0;
}
