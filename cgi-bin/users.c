/* SPDX-License-Identifier: ISC */
/*
 * users: the users admin API (API.md §11, with §10 items 15-27). Every
 * route needs an access token (401) of a user whose role, read from the
 * database on this request, is Admin (403, before any 422; §10.24).
 *   GET    /api/v1/users          200 {"data":[User...],"hasNextPage":b};
 *          query page, limit (empty: 1, 10; else decimal integers >= 1,
 *          limit above 50 is 50), filters {"roles":[{"id":N}...]} and
 *          sort [{"orderBy":"<column>","order":"asc|desc"}...] as JSON
 *          strings; 422 with the reference's messages, nested for filters
 *          and sort (§11.4, §10.21-23). By the sort keys, then by id.
 *   GET    /api/v1/users/{id}     200 User; 404 {"status":404,"error":
 *          "notFound"} for a malformed id or no live user (§10.15)
 *   POST   /api/v1/users          201 User as loaded; fields email,
 *          password (AUTH_PASSWORD_MIN_LENGTH..1024), firstName, lastName
 *          (required), photo, role, status. 422: validation messages,
 *          email:emailAlreadyExists (deleted users' addresses included),
 *          photo:imageNotExists (photo {id} not an upload of the caller),
 *          role:roleNotExists, status:statusNotExists. Role User, status
 *          Active by default.
 *   PATCH  /api/v1/users/{id}     200 User as loaded; the same fields, all
 *          optional (a null name clears it, a null photo removes it). The
 *          same 422s (the user's own address is no conflict, its current
 *          photo is a photo), then 404. A replaced photo is deleted. A new
 *          password ends every session of the user but the caller's own.
 *   DELETE /api/v1/users/{id}     204; soft-deletes, ends every session
 *          and removes the files of the user; 204 too for an unknown or
 *          deleted id, 404 for a malformed one
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Use cases: ptl_users_parse_query(), ptl_users_list_json(),
 * ptl_users_get(), ptl_users_create(), ptl_users_update(),
 * ptl_users_delete().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/account.h"
#include "domain/users.h"
#include "web/endpoint.h"

enum {
	F_EMAIL,
	F_PASSWORD,
	F_FIRST_NAME,
	F_LAST_NAME,
	F_PHOTO,
	F_ROLE,
	F_STATUS
};

/* API.md §11.6, in the DTO's order; photo, role and status are read by
 * the use case from the body (§11.9). */
static const struct ptl_field post_fields[] = {
	[F_EMAIL] = {"email", PTL_FIELD_EMAIL,
		     {PTL_RULE_EMAIL, PTL_RULE_NOT_EMPTY}, NULL},
	[F_PASSWORD] = {"password", 0, {PTL_RULE_PASSWORD}, NULL},
	[F_FIRST_NAME] = {"firstName", PTL_FIELD_SCALAR, {PTL_RULE_NOT_EMPTY},
			  NULL},
	[F_LAST_NAME] = {"lastName", PTL_FIELD_SCALAR, {PTL_RULE_NOT_EMPTY},
			 NULL},
	[F_PHOTO] = {"photo", PTL_FIELD_ANY, {PTL_RULE_END}, NULL},
	[F_ROLE] = {"role", PTL_FIELD_ANY, {PTL_RULE_END}, NULL},
	[F_STATUS] = {"status", PTL_FIELD_ANY, {PTL_RULE_END}, NULL},
};

/* API.md §11.7: the same, each optional. */
static const struct ptl_field patch_fields[] = {
	[F_EMAIL] = {"email", PTL_FIELD_OPTIONAL | PTL_FIELD_EMAIL,
		     {PTL_RULE_EMAIL}, NULL},
	[F_PASSWORD] = {"password", PTL_FIELD_OPTIONAL, {PTL_RULE_PASSWORD},
			NULL},
	[F_FIRST_NAME] = {"firstName", PTL_FIELD_OPTIONAL | PTL_FIELD_SCALAR,
			  {PTL_RULE_NOT_EMPTY}, NULL},
	[F_LAST_NAME] = {"lastName", PTL_FIELD_OPTIONAL | PTL_FIELD_SCALAR,
			 {PTL_RULE_NOT_EMPTY}, NULL},
	[F_PHOTO] = {"photo", PTL_FIELD_ANY, {PTL_RULE_END}, NULL},
	[F_ROLE] = {"role", PTL_FIELD_ANY, {PTL_RULE_END}, NULL},
	[F_STATUS] = {"status", PTL_FIELD_ANY, {PTL_RULE_END}, NULL},
};

/* The users API's user: every route answers the whole User (§10.16). */
static enum ptl_err
answer_user(struct ptl_resp *resp, enum ptl_err e, const struct ptl_user *u,
	    const struct ptl_refusal *why, int status)
{
	if (e == PTL_OK) {
		ptl_account_user_json(u, &resp->body);
		resp->status = status;
	}
	return why != NULL ? ptl_resp_refusal(resp, e, why) : e;
}

static void
read_input(const struct ptl_req *req, struct ptl_users_input *in)
{
	const struct ptl_value *v = req->vals;

	in->email = v[F_EMAIL].present ? v[F_EMAIL].s : NULL;
	in->password = v[F_PASSWORD].present ? v[F_PASSWORD].s : NULL;
	in->password_len = v[F_PASSWORD].present ? v[F_PASSWORD].len : 0;
	in->set_first = v[F_FIRST_NAME].given;
	in->set_last = v[F_LAST_NAME].given;
	in->first = v[F_FIRST_NAME].s;
	in->last = v[F_LAST_NAME].s;
	in->actor = req->user_id;
	in->body = req->json;
}

static enum ptl_err
list_users(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_users_error errors[4];
	struct ptl_users_query q;
	size_t i, n;
	enum ptl_err e;

	e = ptl_users_parse_query(req->arena, ptl_req_query(req, "page"),
				  ptl_req_query(req, "limit"),
				  ptl_req_query(req, "filters"),
				  ptl_req_query(req, "sort"), &q, errors, &n);
	for (i = 0; e == PTL_ERR_VALIDATION && i < n; i++)
		ptl_resp_error_json(resp, errors[i].field, errors[i].json);
	if (e != PTL_OK)
		return e;
	return ptl_users_list_json(req->arena, req->app, &q, &resp->body);
}

static enum ptl_err
get_user(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_user u;
	int64_t id;

	if (!ptl_users_parse_id(req->param, &id))
		return PTL_ERR_NOT_FOUND;
	return answer_user(resp, ptl_users_get(req->arena, req->app, id, &u),
			   &u, NULL, 200);
}

static enum ptl_err
create_user(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_users_input in;
	struct ptl_refusal why;
	struct ptl_user u;
	enum ptl_err e;

	read_input(req, &in);
	e = ptl_users_create(req->arena, req->app, &in, req->now_ms, &u, &why);
	return answer_user(resp, e, &u, &why, 201);
}

static enum ptl_err
update_user(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_users_input in;
	struct ptl_refusal why;
	struct ptl_user u;
	int64_t id;
	enum ptl_err e;

	if (!ptl_users_parse_id(req->param, &id))
		return PTL_ERR_NOT_FOUND;
	read_input(req, &in);
	e = ptl_users_update(req->arena, req->app, id, req->session_id, &in,
			     req->now_ms, &u, &why);
	return answer_user(resp, e, &u, &why, 200);
}

static enum ptl_err
delete_user(struct ptl_req *req, struct ptl_resp *resp)
{
	int64_t id;
	enum ptl_err e;

	if (!ptl_users_parse_id(req->param, &id))
		return PTL_ERR_NOT_FOUND;
	e = ptl_users_delete(req->app, id, req->now_ms);
	if (e == PTL_OK)
		resp->status = 204;
	return e;
}

static const struct ptl_route routes[] = {
	{"GET", "/api/v1/users", PTL_AUTH_ADMIN, PTL_NO_FIELDS, list_users,
	 PTL_BUCKET_NONE},
	{"POST", "/api/v1/users", PTL_AUTH_ADMIN, PTL_FIELDS(post_fields),
	 create_user, PTL_BUCKET_NONE},
	{"GET", "/api/v1/users/{id}", PTL_AUTH_ADMIN, PTL_NO_FIELDS, get_user,
	 PTL_BUCKET_NONE},
	{"PATCH", "/api/v1/users/{id}", PTL_AUTH_ADMIN,
	 PTL_FIELDS(patch_fields), update_user, PTL_BUCKET_NONE},
	{"DELETE", "/api/v1/users/{id}", PTL_AUTH_ADMIN, PTL_NO_FIELDS,
	 delete_user, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"users", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
