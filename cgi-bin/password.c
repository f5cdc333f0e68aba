/* SPDX-License-Identifier: ISC */
/*
 * password: forgotten passwords (API.md §1.5, §1.6, §4.2, §4.3, §10.1-2).
 *   POST /api/v1/auth/forgot/password {email}
 *     204  a reset mail was sent (or queued) to a known address; with
 *          AUTH_UNIFORM_ERRORS (default) also for an unknown one, without
 *          a mail; at most one mail per minute per address, and
 *          AUTH_RATE_MAIL_USER per account and AUTH_RATE_MAIL_IP per IP
 *          an hour (past a limit: a 204 without a mail)
 *     422  validation; {"email":"emailNotExists"} when uniform errors are off
 *   POST /api/v1/auth/reset/password {password, hash}
 *     204  the password is set, every session of the user ended, an
 *          Inactive account made Active; the link, and every other
 *          link issued before (reset, confirm, confirm-new), is now dead
 *     422  validation (AUTH_PASSWORD_MIN_LENGTH applies);
 *          {"hash":"invalidHash"} for any bad, used or expired link
 *   both 429  AUTH_RATE_IP requests per IP in 5 minutes (API.md §10.7)
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Side effects: a mail_outbox row, delivered after the answer; the users
 * row and the revocation of the user's sessions. Use cases:
 * ptl_password_forgot(), ptl_password_reset().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/password.h"
#include "web/endpoint.h"

enum { F_FORGOT_EMAIL };

static const struct ptl_field forgot_fields[] = {
	[F_FORGOT_EMAIL] = {"email", PTL_FIELD_EMAIL, {PTL_RULE_EMAIL}, NULL},
};

enum { F_RESET_PASSWORD, F_RESET_HASH };

static const struct ptl_field reset_fields[] = {
	[F_RESET_PASSWORD] = {"password", 0,
			      {PTL_RULE_NOT_EMPTY, PTL_RULE_PASSWORD}, NULL},
	[F_RESET_HASH] = {"hash", PTL_FIELD_TRIM, {PTL_RULE_NOT_EMPTY}, NULL},
};

static enum ptl_err
forgot(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_refusal why;
	enum ptl_err e;

	e = ptl_password_forgot(req->arena, req->app,
				req->vals[F_FORGOT_EMAIL].s, req->ip,
				req->now_ms, &why);
	return ptl_resp_no_content(resp, e, &why);
}

static enum ptl_err
reset(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = req->vals;
	struct ptl_refusal why;
	enum ptl_err e;

	e = ptl_password_reset(req->arena, req->app, v[F_RESET_HASH].s,
			       v[F_RESET_PASSWORD].s, v[F_RESET_PASSWORD].len,
			       req->now_ms, &why);
	return ptl_resp_no_content(resp, e, &why);
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/forgot/password", PTL_AUTH_NONE,
	 PTL_FIELDS(forgot_fields), forgot, PTL_BUCKET_IP},
	{"POST", "/api/v1/auth/reset/password", PTL_AUTH_NONE,
	 PTL_FIELDS(reset_fields), reset, PTL_BUCKET_IP},
};

static const struct ptl_endpoint endpoint = {"password", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
