/* SPDX-License-Identifier: ISC */
/*
 * signup: POST /api/v1/auth/email/register (API.md §1.2, §10.1).
 * Fields: email, password, firstName, lastName (DTO order).
 *   204  the user was created (role User, status Inactive) and the
 *        confirm-email mail was handed to the SMTP server, or queued in
 *        the outbox when the server could not take it (API.md §10.6)
 *   422  validation messages; {"email":"emailAlreadyExists"} when any user,
 *        deleted ones included, has the address
 * Side effects: one users row and one mail_outbox row, in one transaction;
 * then the delivery of that mail.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/account.h"
#include "web/endpoint.h"
#include "domain/outbox.h"

static const struct ptl_field fields[] = {
	{"email", PTL_FIELD_EMAIL, {PTL_RULE_EMAIL}, NULL},
	{"password", 0, {PTL_RULE_PASSWORD}, NULL},
	{"firstName", PTL_FIELD_NUMBER, {PTL_RULE_NOT_EMPTY}, NULL},
	{"lastName", PTL_FIELD_NUMBER, {PTL_RULE_NOT_EMPTY}, NULL},
};

static enum ptl_err
create(struct ptl_req *req, const char *hash, int64_t *mail_id)
{
	const struct ptl_value *v = req->vals;
	struct ptl_app *app = req->app;
	int64_t user_id;
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	e = ptl_account_insert(app, v[0].s, hash, v[2].s, v[3].s, PTL_ACCOUNT_ROLE_USER,
			       PTL_ACCOUNT_STATUS_INACTIVE, req->now_ms, &user_id);
	if (e == PTL_OK)
		e = ptl_outbox_enqueue(app, PTL_MAIL_CONFIRM, user_id, v[0].s,
				       NULL, req->now_ms, mail_id);
	if (e == PTL_ERR_RATE_LIMITED)
		e = PTL_OK; /* a mail to this address a moment ago: no other */
	return ptl_db_end(app->db, e);
}

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = req->vals;
	int64_t mail_id = 0;
	char *hash;
	enum ptl_err e;

	e = ptl_account_hash(req->arena, req->app, v[1].s, v[1].len, &hash);
	if (e == PTL_OK)
		e = create(req, hash, &mail_id);
	if (e == PTL_ERR_CONFLICT) {
		ptl_resp_error(resp, "email", "emailAlreadyExists");
		return PTL_ERR_VALIDATION;
	}
	if (e != PTL_OK)
		return e;
	if (mail_id != 0)
		ptl_outbox_send_now(req->arena, req->app, mail_id, req->now_ms);
	resp->status = 204;
	return PTL_OK;
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/email/register", PTL_AUTH_NONE, PTL_FIELDS(fields),
	 handle, PTL_BUCKET_IP},
};

static const struct ptl_endpoint endpoint = {"signup", routes, 1};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
