/* SPDX-License-Identifier: ISC */
/*
 * refresh: POST /api/v1/auth/refresh (API.md §1.8, §10.4). No body;
 * Authorization: Bearer <refresh token>.
 *   200  RefreshResponse; the session's refresh secret rotated
 *   401  bad, expired, ended or reused token (a reused token also ends the
 *        session), or the user is gone
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Side effects: the rotation, or a revocation and an audit event on reuse.
 * Use case: ptl_signin_refresh().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/signin.h"
#include "web/endpoint.h"
#include "web/pair.h"

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_signin_rotated s;
	enum ptl_err e;

	e = ptl_signin_refresh(req->arena, req->app, req->bearer, req->now_ms,
			       &s);
	if (e != PTL_OK)
		return e;
	return ptl_pair_refresh(req, resp, s.user_id, s.role_id, s.session_id,
				s.hash);
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/refresh", PTL_AUTH_REFRESH, PTL_NO_FIELDS,
	 handle, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"refresh", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
