/* SPDX-License-Identifier: ISC */
/*
 * _template: the skeleton of a new executable, to copy (as lighttpd's
 * mod_skeleton.c is). It is built, never installed and never routed, so
 * that it keeps compiling; HACKING.md ("A new endpoint") lists the other
 * files a new endpoint touches.
 *
 * Replace this comment by the header every cgi-bin file has, the contract
 * of the executable in the words of API.md:
 *   METHOD /api/v1/... (API.md §N). Fields: ... Access token required?
 *     2xx  what happened
 *     4xx  each refusal and its cause (field: message key)
 *     429  the route's per-IP bucket, when it has one (API.md §10.7)
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Side effects: the rows written, the mails sent. Use case: ptl_x_y().
 *
 * The executable only declares and answers: its routes, the fields of
 * each with their rules (the framework validates them, API.md §0.1,
 * before the handler runs), and per route one handler that calls one
 * domain function and turns its result into the response. The work
 * itself (transactions, hashing, mails, the order of the checks) is that
 * domain function's: lib/domain/<module>.c, with plain inputs (no web
 * type), returning enum ptl_err and, for a 422 or a 429, a struct
 * ptl_refusal; it has its unit test in tests/unit/test_<module>.c. This
 * skeleton calls ptl_password_reset() as the example of such a function.
 * Here, include only web/ and domain/ headers (tests/layers.sh).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/password.h"
#include "web/endpoint.h"

/* The fields, by name: the handler reads req->vals[F_...]. */
enum { F_PASSWORD, F_HASH };

/* Name, flags (PTL_FIELD_*), rules run in order (PTL_RULE_*), and the
 * message that replaces "... should not be empty" (or NULL). */
static const struct ptl_field fields[] = {
	[F_PASSWORD] = {"password", 0, {PTL_RULE_NOT_EMPTY, PTL_RULE_PASSWORD},
			NULL},
	[F_HASH] = {"hash", PTL_FIELD_TRIM, {PTL_RULE_NOT_EMPTY}, NULL},
};

/*
 * One route: validated values in, one domain function, the answer out.
 * PTL_OK answers resp->status (200 by default, with resp->body as JSON;
 * 204 without a body); any other result is answered by the framework in
 * the shape API.md §0 gives it, with the 422 errors added here.
 */
static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = req->vals;
	struct ptl_refusal why;
	enum ptl_err e;

	e = ptl_password_reset(req->arena, req->app, v[F_HASH].s,
			       v[F_PASSWORD].s, v[F_PASSWORD].len, req->now_ms,
			       &why);
	return ptl_resp_no_content(resp, e, &why);
}

/* Method, path (a last "/{id}" segment arrives in req->param), who may
 * call it (PTL_AUTH_*), its fields, its handler, its per-IP bucket. */
static const struct ptl_route routes[] = {
	{"POST", "/api/v1/template", PTL_AUTH_NONE, PTL_FIELDS(fields), handle,
	 PTL_BUCKET_IP},
};

/* The name is the executable's, for the log. */
static const struct ptl_endpoint endpoint = {"template", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
