/* SPDX-License-Identifier: ISC */
/*
 * login: POST /api/v1/auth/email/login (API.md §1.1, §10.1, §10.2).
 * Fields: email, password.
 *   200  LoginResponse; a new session (device) is opened
 *   422  validation messages; with AUTH_UNIFORM_ERRORS (default) every
 *        failure is {"email":"incorrectEmailOrPassword","password":...},
 *        otherwise notFound / needLoginViaProvider:<p> / incorrectPassword
 *   429  AUTH_RATE_LOGIN_IP sign-ins per IP, or AUTH_RATE_LOGIN_FAIL failed
 *        ones per account, in their windows (API.md §10.7)
 * Side effects: a sessions row; a re-hash when the Argon2 parameters changed;
 * a failure counts against the account.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>

#include "domain/account.h"
#include "web/endpoint.h"
#include "base/log.h"
#include "web/pair.h"
#include "domain/ratelimit.h"

static const struct ptl_field fields[] = {
	{"email", PTL_FIELD_EMAIL, {PTL_RULE_NOT_EMPTY, PTL_RULE_EMAIL}, NULL},
	{"password", 0, {PTL_RULE_NOT_EMPTY}, NULL},
};

static enum ptl_err
fail(struct ptl_req *req, struct ptl_resp *resp, enum ptl_login_fail why,
     const char *provider)
{
	PTL_LOG_SEC("sign-in failed from %s", req->ip);
	if (req->app->cfg.uniform_errors || why == PTL_LOGIN_OK) {
		ptl_resp_error(resp, "email", "incorrectEmailOrPassword");
		ptl_resp_error(resp, "password", "incorrectEmailOrPassword");
	} else if (why == PTL_LOGIN_NOT_FOUND) {
		ptl_resp_error(resp, "email", "notFound");
	} else if (why == PTL_LOGIN_PROVIDER) {
		ptl_resp_error(resp, "email",
			       ptl_mem_printf(req->arena, "needLoginViaProvider:%s",
					      provider));
	} else {
		ptl_resp_error(resp, "password", "incorrectPassword");
	}
	return PTL_ERR_VALIDATION;
}

/* Failed sign-ins per account: checked before any work, counted after. */
static enum ptl_err
account_limit(struct ptl_req *req, struct ptl_resp *resp, bool count)
{
	if (!req->app->cfg.rate_limit)
		return PTL_OK;
	if (count)
		return ptl_ratelimit_hit(req->app, PTL_RL_LOGIN_FAIL,
					 req->vals[0].s, req->now_ms,
					 &resp->retry_after_s);
	return ptl_ratelimit_check(req->app, PTL_RL_LOGIN_FAIL, req->vals[0].s,
				   req->now_ms, &resp->retry_after_s);
}

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = req->vals;
	enum ptl_login_fail why;
	struct ptl_login login;
	enum ptl_err e;

	e = account_limit(req, resp, false);
	if (e != PTL_OK)
		return e;

	/* No stored password is longer than the maximum: no need to hash. */
	if (v[1].len > req->app->cfg.password_max_len)
		return fail(req, resp, PTL_LOGIN_PASSWORD, NULL);
	e = ptl_account_login(req->arena, req->app, v[0].s, v[1].s, v[1].len,
			      req->user_agent, req->ip, req->now_ms, &login, &why);
	if (e == PTL_ERR_UNAUTHORIZED) {
		e = account_limit(req, resp, true);
		if (e != PTL_OK)
			return e;
		return fail(req, resp, why, login.provider);
	}
	if (e != PTL_OK)
		return e;
	return ptl_pair_login(req, resp, &login.user, login.session_id,
			      login.hash);
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/email/login", PTL_AUTH_NONE, PTL_FIELDS(fields),
	 handle, PTL_BUCKET_LOGIN},
};

static const struct ptl_endpoint endpoint = {"login", routes, 1};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
