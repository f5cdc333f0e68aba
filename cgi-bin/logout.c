/* SPDX-License-Identifier: ISC */
/*
 * logout: POST /api/v1/auth/logout?scope=local|others|global and
 * POST /api/v1/auth/logout/all (= scope global) (API.md §1.9, §10.9).
 * Access token required. No fields.
 *   204  local (default): the caller's session ended; others: every other
 *        session of the user; global: all of them. Both cookies expire.
 *   401  no live access token
 *   422  {"scope":"invalidScope"} for any other scope
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Side effects: sessions rows revoked. Use case: ptl_session_logout().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/session.h"
#include "web/endpoint.h"

static enum ptl_err
end(struct ptl_req *req, struct ptl_resp *resp, const char *scope)
{
	struct ptl_refusal why;
	enum ptl_err e;

	e = ptl_session_logout(req->app, req->user_id, req->session_id, scope,
			       req->now_ms, &why);
	if (e == PTL_OK) {
		resp->status = 204;
		resp->clear_cookies = true;
	}
	return ptl_resp_refusal(resp, e, &why);
}

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	return end(req, resp, ptl_req_query(req, "scope"));
}

static enum ptl_err
handle_all(struct ptl_req *req, struct ptl_resp *resp)
{
	return end(req, resp, "global");
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/logout", PTL_AUTH_ACCESS, PTL_NO_FIELDS, handle,
	 PTL_BUCKET_NONE},
	{"POST", "/api/v1/auth/logout/all", PTL_AUTH_ACCESS, PTL_NO_FIELDS,
	 handle_all, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"logout", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
