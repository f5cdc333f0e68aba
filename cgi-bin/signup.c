/* SPDX-License-Identifier: ISC */
/*
 * signup: POST /api/v1/auth/email/register (API.md §1.2, §10.1).
 * Fields: email, password, firstName, lastName (DTO order).
 *   204  the user was created (role User, status Inactive) and the
 *        confirm-email mail was handed to the SMTP server, or queued in
 *        the outbox when the server could not take it (API.md §10.6)
 *   422  validation messages; {"email":"emailAlreadyExists"} when any user,
 *        deleted ones included, has the address
 *   429  AUTH_RATE_IP requests per IP in 5 minutes, or AUTH_RATE_MAIL_IP
 *        mails (of any kind) on requests from the IP in the hour
 *        (API.md §10.7)
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Side effects: one users row and one mail_outbox row, in one transaction
 * (no second mail when one went to the address in the last minute); the
 * mail is delivered after the answer. Use case: ptl_signup_register().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/signup.h"
#include "web/endpoint.h"

enum { F_EMAIL, F_PASSWORD, F_FIRST_NAME, F_LAST_NAME };

static const struct ptl_field fields[] = {
	[F_EMAIL] = {"email", PTL_FIELD_EMAIL, {PTL_RULE_EMAIL}, NULL},
	[F_PASSWORD] = {"password", 0, {PTL_RULE_PASSWORD}, NULL},
	[F_FIRST_NAME] = {"firstName", PTL_FIELD_NUMBER, {PTL_RULE_NOT_EMPTY},
			  NULL},
	[F_LAST_NAME] = {"lastName", PTL_FIELD_NUMBER, {PTL_RULE_NOT_EMPTY},
			 NULL},
};

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = req->vals;
	const struct ptl_signup in = {
		.email = v[F_EMAIL].s,
		.password = v[F_PASSWORD].s,
		.password_len = v[F_PASSWORD].len,
		.first_name = v[F_FIRST_NAME].s,
		.last_name = v[F_LAST_NAME].s,
		.ip = req->ip,
	};
	struct ptl_refusal why;
	enum ptl_err e;

	e = ptl_signup_register(req->arena, req->app, &in, req->now_ms, NULL,
				&why);
	return ptl_resp_no_content(resp, e, &why);
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/email/register", PTL_AUTH_NONE, PTL_FIELDS(fields),
	 handle, PTL_BUCKET_IP},
};

static const struct ptl_endpoint endpoint = {"signup", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
