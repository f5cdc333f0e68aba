/* SPDX-License-Identifier: ISC */
/*
 * pair: see pair.h. Both bodies carry the same three members in a
 * different order, as the reference's DTOs declare them (API.md §1.1,
 * §1.8); the tokens also go to resp for the cookies of a browser form
 * post (form.c, API.md §10.10).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>

#include "base/buf.h"
#include "domain/token.h"
#include "web/pair.h"

/* Signs the access and refresh tokens of session_id into resp->set_access
 * and resp->set_refresh. OUT expires_ms: the tokenExpires member. */
static enum ptl_err
issue(struct ptl_req *req, struct ptl_resp *resp, int64_t user_id,
      int64_t role_id, bool full_role, int64_t session_id, const char *hash,
      int64_t *expires_ms)
{
	char *access, *refresh;
	enum ptl_err e;

	e = ptl_token_access_issue(req->arena, req->app, user_id, role_id,
				   full_role, session_id, req->now_ms, &access,
				   expires_ms);
	if (e == PTL_OK)
		e = ptl_token_refresh_issue(req->arena, req->app, session_id,
					    hash, req->now_ms, &refresh);
	if (e != PTL_OK)
		return e;
	resp->set_access = access;
	resp->set_refresh = refresh;
	return PTL_OK;
}

/* Writes ,"key":"value" (or {"key":"value" for the first member). */
static void
member(struct ptl_buf *b, bool first, const char *key, const char *value)
{
	ptl_buf_addc(b, first ? '{' : ',');
	ptl_buf_json_strz(b, key);
	ptl_buf_addc(b, ':');
	ptl_buf_json_strz(b, value);
}

/* The two tokens in the order given, then tokenExpires; the object is
 * left open. */
static void
tokens(struct ptl_resp *resp, bool refresh_first, int64_t expires_ms)
{
	struct ptl_buf *b = &resp->body;

	if (refresh_first) {
		member(b, true, "refreshToken", resp->set_refresh);
		member(b, false, "token", resp->set_access);
	} else {
		member(b, true, "token", resp->set_access);
		member(b, false, "refreshToken", resp->set_refresh);
	}
	ptl_buf_adds(b, ",\"tokenExpires\":");
	ptl_buf_addi(b, expires_ms);
}

enum ptl_err
ptl_pair_login(struct ptl_req *req, struct ptl_resp *resp,
	       const struct ptl_user *u, int64_t session_id, const char *hash)
{
	int64_t expires_ms;
	enum ptl_err e;

	e = issue(req, resp, u->id, u->role_id, true, session_id, hash,
		  &expires_ms);
	if (e != PTL_OK)
		return e;
	tokens(resp, true, expires_ms);
	ptl_buf_adds(&resp->body, ",\"user\":");
	ptl_account_user_json(u, &resp->body);
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}

enum ptl_err
ptl_pair_refresh(struct ptl_req *req, struct ptl_resp *resp, int64_t user_id,
		 int64_t role_id, int64_t session_id, const char *hash)
{
	int64_t expires_ms;
	enum ptl_err e;

	e = issue(req, resp, user_id, role_id, false, session_id, hash,
		  &expires_ms);
	if (e != PTL_OK)
		return e;
	tokens(resp, false, expires_ms);
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}
