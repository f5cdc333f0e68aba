/* SPDX-License-Identifier: ISC */
/*
 * fuzz_form: application/x-www-form-urlencoded, the two places it comes
 * in: a form body (ptl_json_from_form, lib/adapters/json.c) and the query
 * string (ptl_req_query, lib/web/req.c, with QUERY_STRING the input up to
 * its first NUL, as a CGI variable is).
 *
 * Invariants of a body that decodes: every pair's name is a member with a
 * string value of valid UTF-8, and no two pairs decode to the same name
 * (a repeated name is refused). Of the query: a value found is never
 * longer than the query.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "adapters/json.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/utf8.h"
#include "fuzz.h"
#include "web/req.h"

#define MAX_PAIRS 64

/* The decoded name of the pair p[0..len) (arena-owned), or NULL. */
static const char *
pair_name(struct ptl_arena *a, const char *p, size_t len)
{
	const char *eq = memchr(p, '=', len);
	size_t n = eq != NULL ? (size_t)(eq - p) : len;
	char *name = ptl_mem_alloc(a, n + 1);
	size_t got = ptl_str_urldecode(p, n, name);

	if (got == SIZE_MAX)
		return NULL;
	name[got] = '\0';
	return name;
}

static void
check_body(struct ptl_arena *a, const char *body, size_t len)
{
	const char *names[MAX_PAIRS];
	struct ptl_json *root = NULL;
	size_t i = 0, n = 0, k;

	if (ptl_json_from_form(a, body, len, &root) != PTL_OK)
		return;
	while (i < len && n < MAX_PAIRS) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t plen =
		    amp != NULL ? (size_t)(amp - (body + i)) : len - i;
		const struct ptl_json *v;
		const char *s;
		size_t vlen;

		if (plen > 0) {
			names[n] = pair_name(a, body + i, plen);
			if (names[n] == NULL)
				__builtin_trap(); /* a bad escape was taken */
			v = ptl_json_get(root, names[n]);
			if (ptl_json_type(v) != PTL_JSON_STRING)
				__builtin_trap();
			s = ptl_json_str(v, &vlen);
			if (!ptl_utf8_valid(s, vlen) ||
			    !ptl_utf8_valid(names[n], strlen(names[n])))
				__builtin_trap();
			for (k = 0; k < n; k++) {
				if (strcmp(names[k], names[n]) == 0)
					__builtin_trap();
			}
			n++;
		}
		i += plen + 1;
	}
}

static void
check_query(struct ptl_arena *a, const char *query)
{
	static const char *const fixed[] = {"redirect", "scope", "", "a"};
	struct ptl_req req;
	size_t i, qlen = strlen(query);
	const char *p = query;

	memset(&req, 0, sizeof(req));
	req.arena = a;
	req.query = query;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		const char *v = ptl_req_query(&req, fixed[i]);

		if (v != NULL && strlen(v) > qlen)
			__builtin_trap();
	}
	/* The names the query itself uses, as they are written. */
	for (i = 0; i < 8 && p != NULL && *p != '\0'; i++) {
		size_t n = strcspn(p, "=&");
		const char *name = ptl_mem_strndup(a, p, n);
		const char *v = ptl_req_query(&req, name);
		const char *amp = strchr(p, '&');

		if (v != NULL && strlen(v) > qlen)
			__builtin_trap();
		p = amp != NULL ? amp + 1 : NULL;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	const char *body = (const char *)data;

	if (a == NULL)
		a = ptl_mem_new();
	if (size > 100 * 1024)
		return 0;
	check_body(a, body, size);
	check_query(a, ptl_mem_strndup(a, body, size));
	ptl_mem_reset(a);
	return 0;
}
