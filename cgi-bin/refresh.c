/* SPDX-License-Identifier: ISC */
/*
 * refresh: POST /api/v1/auth/refresh (API.md §1.8, §10.4). No body;
 * Authorization: Bearer <refresh token>.
 *   200  RefreshResponse; the session's refresh secret rotated
 *   401  bad, expired, ended or reused token (a reused token also ends the
 *        session), or the user is gone
 * Side effects: the rotation, or a revocation and an audit event on reuse.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "web/endpoint.h"
#include "web/pair.h"
#include "domain/session.h"
#include "domain/token.h"

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	const char *presented;
	int64_t session_id, user_id, role_id;
	char *hash;
	enum ptl_err e;

	e = ptl_token_refresh_verify(req->arena, req->app, req->bearer,
				     req->now_ms, &session_id, &presented);
	if (e == PTL_OK)
		e = ptl_session_rotate(req->arena, req->app, session_id,
				       presented, req->ip, req->now_ms, &user_id,
				       &role_id, &hash);
	if (e != PTL_OK)
		return e;
	return ptl_pair_refresh(req, resp, user_id, role_id, session_id, hash);
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/refresh", PTL_AUTH_REFRESH, PTL_NO_FIELDS, handle, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"refresh", routes, 1};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
