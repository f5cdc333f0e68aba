/* SPDX-License-Identifier: ISC */
/*
 * oauth: social sign-in (API.md §1.12, §5, §10.11).
 *   POST /api/v1/auth/{google,apple}/login      Fields: idToken (Apple
 *        also firstName, lastName, not validated)
 *   POST /api/v1/auth/{facebook,github}/login   Fields: accessToken
 *     200  LoginResponse, a new session (device); a browser form post
 *          gets the 303 and token cookies of API.md §10.10
 *     422  idToken/accessToken should not be empty; user wrongToken
 *          (invalid, forged, expired, unverifiable); email
 *          emailNotVerified; user userNotFound (a disabled account);
 *          provider providerNotConfigured:<SETTING>
 *     503  the provider is down, slow past OAUTH_TIMEOUT_MS or answers
 *          5xx (with the Retry-After of every 503, web/resp.h)
 *   GET /api/v1/auth/{google,github,facebook}/authorize?redirect=<url>
 *     302  to the provider's authorize URL (state, PKCE S256, Google's
 *          nonce), with the HttpOnly SameSite=Lax cookie authportal_oauth
 *          on the callback path
 *     303  FRONTEND_DOMAIN/?error=invalidRedirect for a refused redirect
 *     422  provider providerNotConfigured:<SETTING>
 *   GET /api/v1/auth/{google,github,facebook}/callback?code=&state=
 *     303  to the stored redirect (or FRONTEND_DOMAIN/) with the token
 *          cookies; on failure with ?error=invalidState, accessDenied,
 *          wrongToken, emailNotVerified, providerUnavailable (no token
 *          cookie); the state cookie is cleared, Referrer-Policy:
 *          no-referrer
 *   429  AUTH_RATE_LOGIN_IP per IP in 5 min (every route)
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Side effects: users, user_identities, sessions, oauth_states rows; the
 * audit events signin_social and signin_social_failed. Use cases:
 * ptl_social_token_login(), ptl_social_authorize(), ptl_social_callback().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/social.h"
#include "web/endpoint.h"
#include "web/form.h"
#include "web/pair.h"

enum { F_ID_TOKEN, F_FIRST_NAME, F_LAST_NAME };
enum { F_ACCESS_TOKEN };

static const struct ptl_field id_fields[] = {
    [F_ID_TOKEN] = {"idToken", PTL_FIELD_TOKEN, {PTL_RULE_NOT_EMPTY}, NULL},
};
static const struct ptl_field apple_fields[] = {
    [F_ID_TOKEN] = {"idToken", PTL_FIELD_TOKEN, {PTL_RULE_NOT_EMPTY}, NULL},
    [F_FIRST_NAME] = {"firstName",
		      PTL_FIELD_OPTIONAL | PTL_FIELD_ANY,
		      {PTL_RULE_END},
		      NULL},
    [F_LAST_NAME] = {"lastName",
		     PTL_FIELD_OPTIONAL | PTL_FIELD_ANY,
		     {PTL_RULE_END},
		     NULL},
};
static const struct ptl_field access_fields[] = {
    [F_ACCESS_TOKEN] = {"accessToken",
			PTL_FIELD_TOKEN,
			{PTL_RULE_NOT_EMPTY},
			NULL},
};

static enum ptl_err
token_login(struct ptl_req *req, struct ptl_resp *resp,
	    enum ptl_social_provider p, const char *first, const char *last)
{
	const struct ptl_social_login in = {
	    .provider = p,
	    .token = req->vals[0].s,
	    .first_name = first,
	    .last_name = last,
	    .user_agent = req->user_agent,
	    .ip = req->ip,
	};
	struct ptl_login login;
	struct ptl_refusal why;
	enum ptl_err e;

	e = ptl_social_token_login(req->arena, req->app, &in, req->now_ms,
				   &login, &why);
	if (e != PTL_OK)
		return ptl_resp_refusal(resp, e, &why);
	return ptl_pair_login(req, resp, &login.user, login.session_id,
			      login.hash);
}

static enum ptl_err
google_login(struct ptl_req *req, struct ptl_resp *resp)
{
	return token_login(req, resp, PTL_SOCIAL_GOOGLE, NULL, NULL);
}

static enum ptl_err
apple_login(struct ptl_req *req, struct ptl_resp *resp)
{
	return token_login(req, resp, PTL_SOCIAL_APPLE,
			   req->vals[F_FIRST_NAME].s, req->vals[F_LAST_NAME].s);
}

static enum ptl_err
facebook_login(struct ptl_req *req, struct ptl_resp *resp)
{
	return token_login(req, resp, PTL_SOCIAL_FACEBOOK, NULL, NULL);
}

static enum ptl_err
github_login(struct ptl_req *req, struct ptl_resp *resp)
{
	return token_login(req, resp, PTL_SOCIAL_GITHUB, NULL, NULL);
}

/* FRONTEND_DOMAIN/, or "/" without it. */
static const char *
home(struct ptl_req *req)
{
	const char *front = req->app->cfg.frontend_domain;

	return front != NULL ? ptl_mem_printf(req->arena, "%s/", front) : "/";
}

/* A 302 or 303 to target (its fragment dropped), with ?error=key when key
 * is set. */
static enum ptl_err
go(struct ptl_req *req, struct ptl_resp *resp, int status, const char *target,
   const char *key)
{
	size_t len = strcspn(target, "#");

	resp->status = status;
	ptl_buf_init(&resp->body, req->arena, 16, 16);
	ptl_buf_adds(&resp->headers, "Location: ");
	ptl_buf_add(&resp->headers, target, len);
	if (key != NULL) {
		ptl_buf_adds(&resp->headers, memchr(target, '?', len) != NULL
						 ? "&error="
						 : "?error=");
		ptl_buf_urlencode(&resp->headers, key, strlen(key));
	}
	ptl_buf_adds(&resp->headers, "\r\n");
	return PTL_OK;
}

/* The browser-binding cookie (value NULL: cleared), on the callback path
 * of p only. */
static void
state_cookie(struct ptl_req *req, struct ptl_resp *resp,
	     enum ptl_social_provider p, const char *value)
{
	ptl_buf_addf(
	    &resp->headers,
	    "Set-Cookie: " PTL_SOCIAL_COOKIE "=%s; Max-Age=%d; "
	    "Path=/api/v1/auth/%s/callback; HttpOnly%s; SameSite=Lax\r\n",
	    value != NULL ? value : "",
	    value != NULL ? PTL_SOCIAL_STATE_TTL_MS / 1000 : 0,
	    ptl_social_name(p), ptl_form_secure(req) ? "; Secure" : "");
}

static enum ptl_err
authorize(struct ptl_req *req, struct ptl_resp *resp,
	  enum ptl_social_provider p)
{
	const char *redirect = ptl_req_query(req, "redirect");
	const char *target = NULL, *missing;
	struct ptl_social_started out;
	struct ptl_refusal why;
	enum ptl_err e;

	ptl_refusal_clear(&why);
	missing = ptl_social_missing(req->arena, &req->app->cfg, p, true);
	if (missing != NULL) {
		(void)ptl_refusal_field(
		    &why, "provider",
		    ptl_mem_printf(req->arena, "providerNotConfigured:%s",
				   missing));
		return ptl_resp_refusal(resp, PTL_ERR_VALIDATION, &why);
	}
	if (ptl_req_query_has_nul(req))
		return go(req, resp, 303, home(req), "invalidRedirect");
	if (redirect != NULL && *redirect != '\0') {
		target = ptl_form_target(req, redirect);
		if (target == NULL)
			return go(req, resp, 303, home(req), "invalidRedirect");
	}
	e = ptl_social_authorize(req->arena, req->app, p, target, req->now_ms,
				 &out, &why);
	if (e != PTL_OK)
		return ptl_resp_refusal(resp, e, &why);
	state_cookie(req, resp, p, out.browser);
	return go(req, resp, 302, out.location, NULL);
}

static enum ptl_err
callback(struct ptl_req *req, struct ptl_resp *resp, enum ptl_social_provider p)
{
	const struct ptl_social_callback in = {
	    .provider = p,
	    .code = ptl_req_query(req, "code"),
	    /* A value cut at an encoded NUL is not the value: no state. */
	    .state =
		ptl_req_query_has_nul(req) ? NULL : ptl_req_query(req, "state"),
	    .error = ptl_req_query(req, "error"),
	    .browser = ptl_req_cookie(req, PTL_SOCIAL_COOKIE),
	    .user_agent = req->user_agent,
	    .ip = req->ip,
	};
	struct ptl_social_landing out;
	const char *target;
	enum ptl_err e;

	e = ptl_social_callback(req->arena, req->app, &in, req->now_ms, &out);
	target = out.target != NULL ? out.target : home(req);
	/* Referrer-Policy: no-referrer is among the headers of every answer
	 * (web/resp.c), so the code and state of this URL never leave in a
	 * Referer. */
	state_cookie(req, resp, p, NULL);
	if (e == PTL_OK)
		e = ptl_pair_login(req, resp, &out.login.user,
				   out.login.session_id, out.login.hash);
	if (e != PTL_OK)
		return go(req, resp, 303, target,
			  out.error != NULL ? out.error : "serverError");
	ptl_form_token_cookies(req, resp);
	return go(req, resp, 303, target, NULL);
}

static enum ptl_err
google_authorize(struct ptl_req *req, struct ptl_resp *resp)
{
	return authorize(req, resp, PTL_SOCIAL_GOOGLE);
}

static enum ptl_err
github_authorize(struct ptl_req *req, struct ptl_resp *resp)
{
	return authorize(req, resp, PTL_SOCIAL_GITHUB);
}

static enum ptl_err
facebook_authorize(struct ptl_req *req, struct ptl_resp *resp)
{
	return authorize(req, resp, PTL_SOCIAL_FACEBOOK);
}

static enum ptl_err
google_callback(struct ptl_req *req, struct ptl_resp *resp)
{
	return callback(req, resp, PTL_SOCIAL_GOOGLE);
}

static enum ptl_err
github_callback(struct ptl_req *req, struct ptl_resp *resp)
{
	return callback(req, resp, PTL_SOCIAL_GITHUB);
}

static enum ptl_err
facebook_callback(struct ptl_req *req, struct ptl_resp *resp)
{
	return callback(req, resp, PTL_SOCIAL_FACEBOOK);
}

#define A "/api/v1/auth/"
static const struct ptl_route routes[] = {
    {"POST", A "google/login", PTL_AUTH_NONE, PTL_FIELDS(id_fields),
     google_login, PTL_BUCKET_LOGIN},
    {"POST", A "apple/login", PTL_AUTH_NONE, PTL_FIELDS(apple_fields),
     apple_login, PTL_BUCKET_LOGIN},
    {"POST", A "facebook/login", PTL_AUTH_NONE, PTL_FIELDS(access_fields),
     facebook_login, PTL_BUCKET_LOGIN},
    {"POST", A "github/login", PTL_AUTH_NONE, PTL_FIELDS(access_fields),
     github_login, PTL_BUCKET_LOGIN},
    {"GET", A "google/authorize", PTL_AUTH_NONE, PTL_NO_FIELDS,
     google_authorize, PTL_BUCKET_LOGIN},
    {"GET", A "github/authorize", PTL_AUTH_NONE, PTL_NO_FIELDS,
     github_authorize, PTL_BUCKET_LOGIN},
    {"GET", A "facebook/authorize", PTL_AUTH_NONE, PTL_NO_FIELDS,
     facebook_authorize, PTL_BUCKET_LOGIN},
    {"GET", A "google/callback", PTL_AUTH_NONE, PTL_NO_FIELDS, google_callback,
     PTL_BUCKET_LOGIN},
    {"GET", A "github/callback", PTL_AUTH_NONE, PTL_NO_FIELDS, github_callback,
     PTL_BUCKET_LOGIN},
    {"GET", A "facebook/callback", PTL_AUTH_NONE, PTL_NO_FIELDS,
     facebook_callback, PTL_BUCKET_LOGIN},
};
#undef A

static const struct ptl_endpoint endpoint = {"oauth", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
