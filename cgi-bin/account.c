/* SPDX-License-Identifier: ISC */
/*
 * account: the signed-in user and their devices (API.md §1.7, §1.10, §1.11,
 * §10.8, §10.9). Access token required on every route: 401 without a live
 * one, or when the user is gone.
 *   GET    /api/v1/auth/me            200 User
 *   PATCH  /api/v1/auth/me            200 User; fields photo, firstName,
 *          lastName, email, password, oldPassword (all optional; a null
 *          name clears it, an absent one is kept). 422: validation
 *          messages, user:userNotFound, photo:imageNotExists,
 *          oldPassword:missingOldPassword|incorrectOldPassword,
 *          email:emailNotConfirmed (an Inactive account),
 *          email:emailExists. 429 with Retry-After: a password change
 *          once the account's AUTH_RATE_LOGIN_FAIL failures (sign-ins
 *          and wrong oldPassword alike) are used up. A password change
 *          ends every other session of the user and every outstanding
 *          link. A new email is not applied: a confirm-new-email mail goes
 *          to it (API.md §4.1), at most one a minute to one address (429,
 *          Retry-After: 60) and AUTH_RATE_MAIL_USER per account and
 *          AUTH_RATE_MAIL_IP per IP an hour (429, Retry-After).
 *   DELETE /api/v1/auth/me            204; soft-deletes the user and ends
 *          every session
 *   GET    /api/v1/auth/sessions      200 [session...] newest first
 *   DELETE /api/v1/auth/sessions/{id} 204; 404 unless a live session of
 *          the caller
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Use cases: ptl_me_get(), ptl_me_update(), ptl_account_delete(),
 * ptl_session_list_json(), ptl_session_revoke_owned().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/account.h"
#include "domain/me.h"
#include "domain/session.h"
#include "web/endpoint.h"

enum {
	F_PHOTO,
	F_FIRST_NAME,
	F_LAST_NAME,
	F_EMAIL,
	F_PASSWORD,
	F_OLD_PASSWORD
};

static const struct ptl_field patch_fields[] = {
	[F_PHOTO] = {"photo", PTL_FIELD_ANY | PTL_FIELD_OBJECT_ID,
		     {PTL_RULE_END}, NULL},
	[F_FIRST_NAME] = {"firstName", PTL_FIELD_OPTIONAL | PTL_FIELD_NUMBER,
			  {PTL_RULE_NOT_EMPTY}, "mustBeNotEmpty"},
	[F_LAST_NAME] = {"lastName", PTL_FIELD_OPTIONAL | PTL_FIELD_NUMBER,
			 {PTL_RULE_NOT_EMPTY}, "mustBeNotEmpty"},
	[F_EMAIL] = {"email", PTL_FIELD_OPTIONAL | PTL_FIELD_EMAIL,
		     {PTL_RULE_EMAIL, PTL_RULE_NOT_EMPTY}, NULL},
	[F_PASSWORD] = {"password", PTL_FIELD_OPTIONAL,
			{PTL_RULE_PASSWORD, PTL_RULE_NOT_EMPTY}, NULL},
	[F_OLD_PASSWORD] = {"oldPassword", PTL_FIELD_OPTIONAL,
			    {PTL_RULE_NOT_EMPTY}, "mustBeNotEmpty"},
};

static enum ptl_err
get_me(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_user u;
	enum ptl_err e;

	/* The session check already loaded the user (unless it is off). */
	if (req->user != NULL) {
		ptl_account_user_json(req->user, &resp->body);
		return PTL_OK;
	}
	e = ptl_me_get(req->arena, req->app, req->user_id, &u);
	if (e == PTL_OK)
		ptl_account_user_json(&u, &resp->body);
	return e;
}

/* A value of the body, or NULL when it is absent or null. */
static const char *
text(const struct ptl_value *v)
{
	return v->present ? v->s : NULL;
}

/* The id of photo {id}; the reference ignores any other value but null
 * (an id that is not a string, "" or absent: photo?.id is falsy). */
static const char *
photo_id(const struct ptl_value *v)
{
	return v->present && v->s != NULL && v->len > 0 ? v->s : NULL;
}

static enum ptl_err
patch_me(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = req->vals;
	const struct ptl_me_patch in = {
		.photo = photo_id(&v[F_PHOTO]),
		.remove_photo = v[F_PHOTO].given && !v[F_PHOTO].present,
		.set_first_name = v[F_FIRST_NAME].given,
		.set_last_name = v[F_LAST_NAME].given,
		.first_name = v[F_FIRST_NAME].s,
		.last_name = v[F_LAST_NAME].s,
		.email = text(&v[F_EMAIL]),
		.password = text(&v[F_PASSWORD]),
		.password_len = v[F_PASSWORD].len,
		.old_password = text(&v[F_OLD_PASSWORD]),
		.old_password_len = v[F_OLD_PASSWORD].len,
	};
	struct ptl_refusal why;
	struct ptl_user u;
	enum ptl_err e;

	e = ptl_me_update(req->arena, req->app, req->user_id, req->session_id,
			  req->ip, &in, req->now_ms, &u, &why);
	if (e == PTL_OK)
		ptl_account_user_json(&u, &resp->body);
	return ptl_resp_refusal(resp, e, &why);
}

static enum ptl_err
delete_me(struct ptl_req *req, struct ptl_resp *resp)
{
	enum ptl_err e = ptl_account_delete(req->app, req->user_id, req->now_ms);

	if (e == PTL_OK)
		resp->status = 204;
	return e;
}

/* The longest list the caps allow fits one answer. */
_Static_assert(PTL_SESSION_LIST_MAX <= PTL_RESP_BODY_MAX,
	       "a full session list must fit the body of an answer");

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
	{"GET", "/api/v1/auth/me", PTL_AUTH_ACCESS, PTL_NO_FIELDS, get_me,
	 PTL_BUCKET_NONE},
	{"PATCH", "/api/v1/auth/me", PTL_AUTH_ACCESS, PTL_FIELDS(patch_fields),
	 patch_me, PTL_BUCKET_NONE},
	{"DELETE", "/api/v1/auth/me", PTL_AUTH_ACCESS, PTL_NO_FIELDS, delete_me,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/auth/sessions", PTL_AUTH_ACCESS, PTL_NO_FIELDS,
	 list_sessions, PTL_BUCKET_NONE},
	{"DELETE", "/api/v1/auth/sessions/{id}", PTL_AUTH_ACCESS, PTL_NO_FIELDS,
	 delete_session, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"account", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
