/* SPDX-License-Identifier: ISC */
/*
 * login: POST /api/v1/auth/email/login (API.md §1.1, §10.1, §10.2).
 * Fields: email, password.
 *   200  LoginResponse; a new session (device) is opened, and a new
 *        device cookie set (API.md §10.7)
 *   422  validation messages; with AUTH_UNIFORM_ERRORS (default) every
 *        failure is {"password":"incorrectPassword"}, the reference's
 *        wrong-password body (API.md §10.2); otherwise notFound / needLoginViaProvider:<p> / incorrectPassword
 *   429  AUTH_RATE_LOGIN_IP sign-ins per IP in 5 min, or the delay after
 *        AUTH_RATE_LOGIN_FAIL failed ones of the attempt's budget: its
 *        device cookie's, else the account's (API.md §10.7)
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Side effects: a sessions row; a re-hash when the Argon2 parameters changed;
 * a failure counts against the budget. Use case: ptl_signin_email().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/signin.h"
#include "web/endpoint.h"
#include "web/form.h"
#include "web/pair.h"

enum { F_EMAIL, F_PASSWORD };

static const struct ptl_field fields[] = {
	[F_EMAIL] = {"email", PTL_FIELD_EMAIL,
		     {PTL_RULE_NOT_EMPTY, PTL_RULE_EMAIL}, NULL},
	[F_PASSWORD] = {"password", 0, {PTL_RULE_NOT_EMPTY}, NULL},
};

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = req->vals;
	const struct ptl_signin in = {
		.email = v[F_EMAIL].s,
		.password = v[F_PASSWORD].s,
		.password_len = v[F_PASSWORD].len,
		.user_agent = req->user_agent,
		.ip = req->ip,
		.device = ptl_req_cookie(req, PTL_COOKIE_DEVICE),
	};
	struct ptl_login login;
	struct ptl_refusal why;
	enum ptl_err e;

	e = ptl_signin_email(req->arena, req->app, &in, req->now_ms, &login,
			     &why);
	if (e != PTL_OK)
		return ptl_resp_refusal(resp, e, &why);
	e = ptl_pair_login(req, resp, &login.user, login.session_id,
			   login.hash);
	if (e == PTL_OK)
		ptl_form_device_cookie(req, resp, login.device);
	return e;
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/email/login", PTL_AUTH_NONE, PTL_FIELDS(fields),
	 handle, PTL_BUCKET_LOGIN},
};

static const struct ptl_endpoint endpoint = {"login", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
