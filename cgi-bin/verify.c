/* SPDX-License-Identifier: ISC */
/*
 * verify: the links of the confirm mails (API.md §1.3, §1.4, §4.1).
 *   POST /api/v1/auth/email/confirm      {hash}
 *     204  the account is now Active
 *     404  {"status":404,"error":"notFound"}: the user is missing, deleted
 *          or not Inactive (so a second confirmation is a 404)
 *     422  {"hash":"invalidHash"}: bad signature, malformed or expired
 *   POST /api/v1/auth/email/confirm/new  {hash}
 *     204  the address is now newEmail and the account Active; the link
 *          may be used again while it has not expired
 *     404  the user is missing or deleted
 *     422  invalidHash; {"email":"emailExists"} when another account took
 *          the address meanwhile
 * hash is trimmed of surrounding white space (API.md §4.0).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/account.h"
#include "web/endpoint.h"
#include "domain/token.h"

static const struct ptl_field fields[] = {
	{"hash", PTL_FIELD_TRIM, {PTL_RULE_NOT_EMPTY}, NULL},
};

static enum ptl_err
confirm(struct ptl_req *req, struct ptl_resp *resp, bool is_new)
{
	const char *new_email;
	int64_t user_id;
	enum ptl_err e;

	e = ptl_token_confirm_verify(req->arena, req->app, req->vals[0].s,
				     req->now_ms, &user_id, &new_email);
	if (e != PTL_OK) {
		ptl_resp_error(resp, "hash", "invalidHash");
		return PTL_ERR_VALIDATION;
	}
	e = ptl_account_confirm(req->app, user_id, is_new ? new_email : NULL,
				!is_new, req->now_ms);
	if (e == PTL_ERR_CONFLICT) {
		ptl_resp_error(resp, "email", "emailExists");
		return PTL_ERR_VALIDATION;
	}
	if (e == PTL_OK)
		resp->status = 204;
	return e;
}

static enum ptl_err
handle_confirm(struct ptl_req *req, struct ptl_resp *resp)
{
	return confirm(req, resp, false);
}

static enum ptl_err
handle_confirm_new(struct ptl_req *req, struct ptl_resp *resp)
{
	return confirm(req, resp, true);
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/email/confirm", PTL_AUTH_NONE, PTL_FIELDS(fields),
	 handle_confirm, PTL_BUCKET_IP},
	{"POST", "/api/v1/auth/email/confirm/new", PTL_AUTH_NONE,
	 PTL_FIELDS(fields), handle_confirm_new, PTL_BUCKET_IP},
};

static const struct ptl_endpoint endpoint = {"verify", routes, 2};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
