/* SPDX-License-Identifier: ISC */
/*
 * account: the signed-in user and their devices (API.md §1.7, §1.10, §1.11,
 * §10.8, §10.9). Access token required on every route (401 otherwise).
 *   GET    /api/v1/auth/me            200 User
 *   PATCH  /api/v1/auth/me            200 User; fields photo, firstName,
 *          lastName, email, password, oldPassword (all optional). 422:
 *          validation messages, user:userNotFound, photo:imageNotExists,
 *          oldPassword:missingOldPassword|incorrectOldPassword,
 *          email:emailExists. A password change ends every other session
 *          of the user. A new email is not applied: a confirm-new-email
 *          mail goes to it (API.md §4.1), at most one a minute (429).
 *   DELETE /api/v1/auth/me            204; soft-deletes the user and ends
 *          every session
 *   GET    /api/v1/auth/sessions      200 [session...] newest first
 *   DELETE /api/v1/auth/sessions/{id} 204; 404 unless a live session of
 *          the caller
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/account.h"
#include "adapters/crypto.h"
#include "web/endpoint.h"
#include "adapters/json.h"
#include "domain/outbox.h"
#include "domain/session.h"

enum { F_PHOTO, F_FIRST, F_LAST, F_EMAIL, F_PASSWORD, F_OLD };

static const struct ptl_field patch_fields[] = {
	[F_PHOTO] = {"photo", PTL_FIELD_ANY, {PTL_RULE_END}, NULL},
	[F_FIRST] = {"firstName", PTL_FIELD_OPTIONAL | PTL_FIELD_NUMBER,
		     {PTL_RULE_NOT_EMPTY}, "mustBeNotEmpty"},
	[F_LAST] = {"lastName", PTL_FIELD_OPTIONAL | PTL_FIELD_NUMBER,
		    {PTL_RULE_NOT_EMPTY}, "mustBeNotEmpty"},
	[F_EMAIL] = {"email", PTL_FIELD_OPTIONAL | PTL_FIELD_EMAIL,
		     {PTL_RULE_EMAIL, PTL_RULE_NOT_EMPTY}, NULL},
	[F_PASSWORD] = {"password", PTL_FIELD_OPTIONAL,
			{PTL_RULE_PASSWORD, PTL_RULE_NOT_EMPTY}, NULL},
	[F_OLD] = {"oldPassword", PTL_FIELD_OPTIONAL, {PTL_RULE_NOT_EMPTY},
		   "mustBeNotEmpty"},
};

static enum ptl_err
user_body(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_user u;
	enum ptl_err e = ptl_account_get(req->arena, req->app, req->user_id, &u);

	if (e == PTL_ERR_NOT_FOUND)
		return PTL_ERR_UNAUTHORIZED; /* API.md §10.8 */
	if (e != PTL_OK)
		return e;
	ptl_account_user_json(&u, &resp->body);
	return PTL_OK;
}

static enum ptl_err
get_me(struct ptl_req *req, struct ptl_resp *resp)
{
	/* The session check already loaded the user (unless it is off). */
	if (req->user != NULL) {
		ptl_account_user_json(req->user, &resp->body);
		return PTL_OK;
	}
	return user_body(req, resp);
}

/* The checks of PATCH /me that can fail, before anything is written. */
static enum ptl_err
patch_check(struct ptl_req *req, struct ptl_resp *resp, const struct ptl_user *u)
{
	const struct ptl_value *v = req->vals;
	const struct ptl_json *photo = ptl_json_get(req->json, "photo");
	int64_t other;

	if (ptl_json_type(photo) != PTL_JSON_ABSENT &&
	    ptl_json_type(photo) != PTL_JSON_NULL) {
		/* Photos are not stored (API.md §10.8). */
		ptl_resp_error(resp, "photo", "imageNotExists");
		return PTL_ERR_VALIDATION;
	}
	if (v[F_PASSWORD].present && v[F_PASSWORD].len > 0) {
		if (!v[F_OLD].present) {
			ptl_resp_error(resp, "oldPassword", "missingOldPassword");
			return PTL_ERR_VALIDATION;
		}
		if (u->password == NULL ||
		    !ptl_crypto_pw_verify(&req->app->pw, u->password, v[F_OLD].s,
					  v[F_OLD].len)) {
			ptl_resp_error(resp, "oldPassword", "incorrectOldPassword");
			return PTL_ERR_VALIDATION;
		}
	}
	if (v[F_EMAIL].present &&
	    (u->email == NULL || strcmp(v[F_EMAIL].s, u->email) != 0)) {
		enum ptl_err e = ptl_account_find(req->app, v[F_EMAIL].s, &other);

		if (e != PTL_OK && e != PTL_ERR_NOT_FOUND)
			return e;
		if (e == PTL_OK) {
			ptl_resp_error(resp, "email", "emailExists");
			return PTL_ERR_VALIDATION;
		}
	}
	return PTL_OK;
}

/* The new address, when the request changes it; else NULL. */
static const char *
new_email(struct ptl_req *req, const struct ptl_user *u)
{
	const struct ptl_value *v = &req->vals[F_EMAIL];

	if (!v->present || (u->email != NULL && strcmp(v->s, u->email) == 0))
		return NULL;
	return v->s;
}

/* Every write of PATCH /me in one transaction; pw_hash made beforehand. */
static enum ptl_err
patch_write(struct ptl_req *req, const char *pw_hash, const char *email,
	    int64_t *mail_id)
{
	const struct ptl_value *v = req->vals;
	struct ptl_app *app = req->app;
	bool set_first = ptl_json_get(req->json, "firstName") != NULL;
	bool set_last = ptl_json_get(req->json, "lastName") != NULL;
	enum ptl_err e;

	if (!set_first && !set_last && pw_hash == NULL && email == NULL)
		return PTL_OK;
	e = ptl_db_begin(app->db);
	if (e != PTL_OK)
		return e;
	if (set_first || set_last)
		e = ptl_account_set_names(app, req->user_id, set_first,
					  v[F_FIRST].s, set_last, v[F_LAST].s,
					  req->now_ms);
	if (e == PTL_OK && pw_hash != NULL)
		e = ptl_account_store_hash(app, req->user_id, pw_hash,
					   req->now_ms);
	if (e == PTL_OK && pw_hash != NULL)
		e = ptl_session_revoke_user(app, req->user_id, req->session_id,
					    "password_changed", req->now_ms);
	if (e == PTL_OK && email != NULL)
		e = ptl_outbox_enqueue(app, PTL_MAIL_CONFIRM_NEW, req->user_id,
				       email, email, req->now_ms, mail_id);
	return ptl_db_end(app->db, e);
}

static enum ptl_err
patch_me(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_user u;
	char *pw_hash = NULL;
	int64_t mail_id = 0;
	enum ptl_err e = ptl_account_get(req->arena, req->app, req->user_id, &u);

	if (e == PTL_ERR_NOT_FOUND) {
		ptl_resp_error(resp, "user", "userNotFound");
		return PTL_ERR_VALIDATION;
	}
	if (e == PTL_OK)
		e = patch_check(req, resp, &u);
	if (e == PTL_OK && req->vals[F_PASSWORD].present &&
	    req->vals[F_PASSWORD].len > 0)
		e = ptl_account_hash(req->arena, req->app, req->vals[F_PASSWORD].s,
				     req->vals[F_PASSWORD].len, &pw_hash);
	if (e == PTL_OK)
		e = patch_write(req, pw_hash, new_email(req, &u), &mail_id);
	if (e == PTL_ERR_RATE_LIMITED)
		resp->retry_after_s = 60;
	if (e != PTL_OK)
		return e;
	if (mail_id != 0)
		ptl_outbox_send_now(req->arena, req->app, mail_id, req->now_ms);
	return user_body(req, resp);
}

static enum ptl_err
delete_me(struct ptl_req *req, struct ptl_resp *resp)
{
	enum ptl_err e = ptl_account_delete(req->app, req->user_id, req->now_ms);

	if (e == PTL_OK)
		resp->status = 204;
	return e;
}

static enum ptl_err
list_sessions(struct ptl_req *req, struct ptl_resp *resp)
{
	return ptl_session_list_json(req->app, req->user_id, req->session_id,
				     req->now_ms, &resp->body);
}

static enum ptl_err
delete_session(struct ptl_req *req, struct ptl_resp *resp)
{
	int64_t id;
	enum ptl_err e;

	if (!ptl_str_to_i64(req->param, strlen(req->param), 1, INT64_MAX, &id))
		return PTL_ERR_NOT_FOUND;
	e = ptl_session_revoke_owned(req->app, id, req->user_id,
				     "revoked_by_user", req->now_ms);
	if (e == PTL_OK)
		resp->status = 204;
	return e;
}

static const struct ptl_route routes[] = {
	{"GET", "/api/v1/auth/me", PTL_AUTH_ACCESS, PTL_NO_FIELDS, get_me, PTL_BUCKET_NONE},
	{"PATCH", "/api/v1/auth/me", PTL_AUTH_ACCESS, PTL_FIELDS(patch_fields),
	 patch_me, PTL_BUCKET_NONE},
	{"DELETE", "/api/v1/auth/me", PTL_AUTH_ACCESS, PTL_NO_FIELDS, delete_me, PTL_BUCKET_NONE},
	{"GET", "/api/v1/auth/sessions", PTL_AUTH_ACCESS, PTL_NO_FIELDS,
	 list_sessions, PTL_BUCKET_NONE},
	{"DELETE", "/api/v1/auth/sessions/{id}", PTL_AUTH_ACCESS, PTL_NO_FIELDS,
	 delete_session, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"account", routes,
					     sizeof(routes) / sizeof(routes[0])};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
