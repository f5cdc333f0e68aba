/* SPDX-License-Identifier: ISC */
/* pair: see pair.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "base/buf.h"
#include "web/pair.h"
#include "domain/token.h"

enum ptl_err
ptl_pair_login(struct ptl_req *req, struct ptl_resp *resp,
	       const struct ptl_user *u, int64_t session_id, const char *hash)
{
	char *access, *refresh;
	int64_t expires;
	enum ptl_err e;

	e = ptl_token_access_issue(req->arena, req->app, u->id, u->role_id, true,
				   session_id, req->now_ms, &access, &expires);
	if (e == PTL_OK)
		e = ptl_token_refresh_issue(req->arena, req->app, session_id,
					    hash, req->now_ms, &refresh);
	if (e != PTL_OK)
		return e;
	resp->set_access = access;
	resp->set_refresh = refresh;
	ptl_buf_adds(&resp->body, "{\"refreshToken\":");
	ptl_buf_json_strz(&resp->body, refresh);
	ptl_buf_adds(&resp->body, ",\"token\":");
	ptl_buf_json_strz(&resp->body, access);
	ptl_buf_adds(&resp->body, ",\"tokenExpires\":");
	ptl_buf_addi(&resp->body, expires);
	ptl_buf_adds(&resp->body, ",\"user\":");
	ptl_account_user_json(u, &resp->body);
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}

enum ptl_err
ptl_pair_refresh(struct ptl_req *req, struct ptl_resp *resp, int64_t user_id,
		 int64_t role_id, int64_t session_id, const char *hash)
{
	char *access, *refresh;
	int64_t expires;
	enum ptl_err e;

	e = ptl_token_access_issue(req->arena, req->app, user_id, role_id, false,
				   session_id, req->now_ms, &access, &expires);
	if (e == PTL_OK)
		e = ptl_token_refresh_issue(req->arena, req->app, session_id,
					    hash, req->now_ms, &refresh);
	if (e != PTL_OK)
		return e;
	resp->set_access = access;
	resp->set_refresh = refresh;
	ptl_buf_adds(&resp->body, "{\"token\":");
	ptl_buf_json_strz(&resp->body, access);
	ptl_buf_adds(&resp->body, ",\"refreshToken\":");
	ptl_buf_json_strz(&resp->body, refresh);
	ptl_buf_adds(&resp->body, ",\"tokenExpires\":");
	ptl_buf_addi(&resp->body, expires);
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}
