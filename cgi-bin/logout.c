/* SPDX-License-Identifier: ISC */
/*
 * logout: POST /api/v1/auth/logout?scope=local|others|global and
 * POST /api/v1/auth/logout/all (= scope global) (API.md §1.9, §10.9).
 * Access token required.
 *   204  local (default): the caller's session ended; others: every other
 *        session of the user; global: all of them
 *   401  no live access token
 *   422  {"scope":"invalidScope"} for any other scope
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "web/endpoint.h"
#include "domain/session.h"

static enum ptl_err
end(struct ptl_req *req, struct ptl_resp *resp, const char *scope)
{
	enum ptl_err e;

	if (strcmp(scope, "local") == 0)
		e = ptl_session_revoke(req->app, req->session_id, "logout",
				       req->now_ms);
	else if (strcmp(scope, "others") == 0)
		e = ptl_session_revoke_user(req->app, req->user_id,
					    req->session_id, "logout_others",
					    req->now_ms);
	else if (strcmp(scope, "global") == 0)
		e = ptl_session_revoke_user(req->app, req->user_id, 0,
					    "logout_global", req->now_ms);
	else {
		ptl_resp_error(resp, "scope", "invalidScope");
		return PTL_ERR_VALIDATION;
	}
	if (e == PTL_OK) {
		resp->status = 204;
		resp->clear_cookies = true;
	}
	return e;
}

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	const char *scope = ptl_req_query(req, "scope");

	return end(req, resp, scope != NULL && *scope != '\0' ? scope : "local");
}

static enum ptl_err
handle_all(struct ptl_req *req, struct ptl_resp *resp)
{
	return end(req, resp, "global");
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/logout", PTL_AUTH_ACCESS, PTL_NO_FIELDS, handle, PTL_BUCKET_NONE},
	{"POST", "/api/v1/auth/logout/all", PTL_AUTH_ACCESS, PTL_NO_FIELDS,
	 handle_all, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"logout", routes, 2};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
