/* SPDX-License-Identifier: ISC */
/*
 * fuzz_redirect: the redirect target check of browser form posts
 * (ptl_form_respond, lib/web/form.c). The input is a target, or a target,
 * a newline and a Referer. The target is sent as the "redirect" field of a
 * form post that succeeded, and as the "error_redirect" field of one that
 * failed (urlencoded, then decoded as req.c does: targets that are not
 * UTF-8 never get that far); the Referer, up to its first NUL, is the
 * failed post's fallback, and is also tried alone.
 *
 * FRONTEND_DOMAIN is FUZZ_FRONTEND and AUTH_ALLOWED_REDIRECTS FUZZ_ALLOWED.
 * Invariants: every answer passes fuzz_redirect_ok() (fuzz.h): same origin
 * or listed, nothing but the path may differ; the answer to a failed post
 * carries error=<key> in the query of its Location.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "adapters/json.h"
#include "base/buf.h"
#include "base/mem.h"
#include "fuzz.h"
#include "web/form.h"
#include "web/resp.h"

/* The Location of answer ends in the query parameter error=<key>: the
 * last "error=" follows '?' or '&', and the query starts before it. */
static bool
error_in_query(const char *answer)
{
	const char *loc = strstr(answer, "Location: "), *end, *p, *q;

	if (loc == NULL || (end = strstr(loc, "\r\n")) == NULL)
		return false;
	for (p = NULL, q = loc; (q = strstr(q, "error=")) != NULL && q < end;
	     q++)
		p = q;
	if (p == NULL || (p[-1] != '?' && p[-1] != '&'))
		return false;
	q = memchr(loc, '?', (size_t)(end - loc));
	return q != NULL && q < p;
}

/* The answer of a post with form body body (may be NULL), ended with e. */
static void
respond(struct ptl_arena *a, struct ptl_app *app, const char *body,
	const char *referer, enum ptl_err e)
{
	struct ptl_req req;
	struct ptl_resp resp;
	struct ptl_buf out;

	memset(&req, 0, sizeof(req));
	req.arena = a;
	req.app = app;
	req.now_ms = FUZZ_NOW_MS;
	req.form = true;
	req.referer = referer;
	if (body != NULL &&
	    ptl_json_from_form(a, body, strlen(body), &req.json) != PTL_OK)
		return;
	ptl_resp_init(&resp, a);
	if (e == PTL_ERR_VALIDATION)
		ptl_resp_error(&resp, "email", "invalid");
	ptl_buf_init(&out, a, 256, 64 * 1024);
	ptl_form_respond(&req, &resp, e, &out);
	if (out.overflow)
		__builtin_trap();
	ptl_buf_addc(&out, '\0');
	if (!fuzz_redirect_ok(out.data) ||
	    (e != PTL_OK && !error_in_query(out.data)))
		__builtin_trap();
}

/* "name=<target, urlencoded>" (arena-owned). */
static const char *
field(struct ptl_arena *a, const char *name, const char *t, size_t len)
{
	struct ptl_buf b;

	ptl_buf_init(&b, a, 64 + 3 * len, 16 + 3 * len);
	ptl_buf_adds(&b, name);
	ptl_buf_addc(&b, '=');
	ptl_buf_urlencode(&b, t, len);
	return b.overflow ? NULL : b.data;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	struct ptl_app *app = fuzz_app();
	const char *in = (const char *)data, *nl, *ok_body, *err_body;
	const char *referer = NULL;
	size_t tlen = size;

	if (size > 8192)
		return 0;
	if (a == NULL)
		a = ptl_mem_new();
	nl = memchr(in, '\n', size);
	if (nl != NULL) {
		tlen = (size_t)(nl - in);
		referer = ptl_mem_strndup(a, nl + 1, size - tlen - 1);
	}
	ok_body = field(a, "redirect", in, tlen);
	err_body = field(a, "error_redirect", in, tlen);
	if (ok_body == NULL || err_body == NULL)
		__builtin_trap();
	respond(a, app, ok_body, NULL, PTL_OK);
	respond(a, app, err_body, referer, PTL_ERR_VALIDATION);
	respond(a, app, NULL, referer, PTL_ERR_UNAUTHORIZED);
	respond(a, app, NULL, NULL, PTL_OK);
	ptl_mem_reset(a);
	return 0;
}
