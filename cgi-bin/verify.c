/* SPDX-License-Identifier: ISC */
/*
 * verify: the links of the confirm mails (API.md §1.3, §1.4, §4.1).
 *   POST /api/v1/auth/email/confirm      {hash}
 *     204  the account is now Active
 *     404  {"status":404,"error":"notFound"}: the user is deleted,
 *          disabled or not Inactive (so a second confirmation is a 404)
 *     422  {"hash":"invalidHash"}: bad signature, malformed, expired, or
 *          stale (a password change or reset since: API.md §4.3)
 *   POST /api/v1/auth/email/confirm/new  {hash}
 *     204  the address is now newEmail and the account Active; every
 *          link of the account, this one included, is dead from now on
 *     404  the user is deleted or disabled
 *     422  invalidHash (as above, and once used, or when a newer change
 *          was asked for); {"email":"emailExists"} when another account
 *          took the address meanwhile
 *   both 429  AUTH_RATE_IP requests per IP in 5 minutes (API.md §10.7)
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * hash is trimmed of surrounding white space (API.md §4.0).
 * Side effects: the users row (status, address, security stamp), the
 * account's mails not yet delivered cancelled. Use cases:
 * ptl_signup_confirm(), ptl_signup_confirm_new().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/signup.h"
#include "web/endpoint.h"

enum { F_HASH };

static const struct ptl_field fields[] = {
	[F_HASH] = {"hash", PTL_FIELD_TRIM, {PTL_RULE_NOT_EMPTY}, NULL},
};

static enum ptl_err
handle_confirm(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_refusal why;
	enum ptl_err e = ptl_signup_confirm(req->arena, req->app,
					    req->vals[F_HASH].s, req->now_ms,
					    &why);

	return ptl_resp_no_content(resp, e, &why);
}

static enum ptl_err
handle_confirm_new(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_refusal why;
	enum ptl_err e = ptl_signup_confirm_new(req->arena, req->app,
						req->vals[F_HASH].s,
						req->now_ms, &why);

	return ptl_resp_no_content(resp, e, &why);
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/email/confirm", PTL_AUTH_NONE, PTL_FIELDS(fields),
	 handle_confirm, PTL_BUCKET_IP},
	{"POST", "/api/v1/auth/email/confirm/new", PTL_AUTH_NONE,
	 PTL_FIELDS(fields), handle_confirm_new, PTL_BUCKET_IP},
};

static const struct ptl_endpoint endpoint = {"verify", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
