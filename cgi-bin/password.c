/* SPDX-License-Identifier: ISC */
/*
 * password: forgotten passwords (API.md §1.5, §1.6, §4.2, §4.3, §10.1-2).
 *   POST /api/v1/auth/forgot/password {email}
 *     204  a reset mail was sent (or queued) to a known address; with
 *          AUTH_UNIFORM_ERRORS (default) also for an unknown one, without
 *          a mail; at most one mail per minute per address
 *     422  validation; {"email":"emailNotExists"} when uniform errors are off
 *   POST /api/v1/auth/reset/password {password, hash}
 *     204  the password is set and every session of the user ended; the
 *          link, and every other link issued before, is now dead
 *     422  validation (AUTH_PASSWORD_MIN_LENGTH applies);
 *          {"hash":"invalidHash"} for any bad, used or expired link
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/account.h"
#include "web/endpoint.h"
#include "base/log.h"
#include "domain/outbox.h"
#include "domain/session.h"
#include "domain/token.h"

static const struct ptl_field forgot_fields[] = {
	{"email", PTL_FIELD_EMAIL, {PTL_RULE_EMAIL}, NULL},
};

static const struct ptl_field reset_fields[] = {
	{"password", 0, {PTL_RULE_NOT_EMPTY, PTL_RULE_PASSWORD}, NULL},
	{"hash", PTL_FIELD_TRIM, {PTL_RULE_NOT_EMPTY}, NULL},
};

static enum ptl_err
queue(struct ptl_req *req, int64_t user_id, const char *email, int64_t *id)
{
	enum ptl_err e = ptl_db_begin(req->app->db);

	if (e != PTL_OK)
		return e;
	e = ptl_outbox_enqueue(req->app, PTL_MAIL_RESET, user_id, email, NULL,
			       req->now_ms, id);
	return ptl_db_end(req->app->db, e);
}

static enum ptl_err
forgot(struct ptl_req *req, struct ptl_resp *resp)
{
	const char *email = req->vals[0].s;
	struct ptl_user u;
	int64_t user_id, mail_id = 0;
	enum ptl_err e;

	e = ptl_account_find(req->app, email, &user_id);
	if (e == PTL_OK)
		e = ptl_account_get(req->arena, req->app, user_id, &u);
	if (e == PTL_ERR_NOT_FOUND) {
		if (req->app->cfg.uniform_errors) {
			resp->status = 204;
			return PTL_OK;
		}
		ptl_resp_error(resp, "email", "emailNotExists");
		return PTL_ERR_VALIDATION;
	}
	if (e == PTL_OK)
		e = queue(req, user_id, email, &mail_id);
	if (e == PTL_ERR_RATE_LIMITED) {
		/* Said as for a sent mail: nobody learns more by asking. */
		PTL_LOG_SEC("reset mail for user %lld not sent: one a minute",
			    (long long)user_id);
		e = PTL_OK;
	}
	if (e != PTL_OK)
		return e;
	if (mail_id != 0)
		ptl_outbox_send_now(req->arena, req->app, mail_id, req->now_ms);
	resp->status = 204;
	return PTL_OK;
}

/* Sets the hash and ends every session, in one transaction. */
static enum ptl_err
store(struct ptl_req *req, int64_t user_id, const char *hash)
{
	struct ptl_app *app = req->app;
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	e = ptl_account_store_hash(app, user_id, hash, req->now_ms);
	if (e == PTL_OK)
		e = ptl_session_revoke_user(app, user_id, 0, "password_reset",
					    req->now_ms);
	return ptl_db_end(app->db, e);
}

static enum ptl_err
reset(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = req->vals;
	struct ptl_user u;
	int64_t user_id;
	char *hash;
	enum ptl_err e;

	/* Order of API.md §4.3: peek, load, derive the key, verify. */
	e = ptl_token_reset_user(req->arena, v[1].s, &user_id);
	if (e == PTL_OK)
		e = ptl_account_get(req->arena, req->app, user_id, &u);
	if (e == PTL_OK)
		e = ptl_token_reset_verify(req->arena, req->app, v[1].s, user_id,
					   u.password, req->now_ms);
	if (e == PTL_ERR_UNAUTHORIZED || e == PTL_ERR_NOT_FOUND) {
		ptl_resp_error(resp, "hash", "invalidHash");
		return PTL_ERR_VALIDATION;
	}
	if (e == PTL_OK)
		e = ptl_account_hash(req->arena, req->app, v[0].s, v[0].len, &hash);
	if (e == PTL_OK)
		e = store(req, user_id, hash);
	if (e != PTL_OK)
		return e;
	PTL_LOG_SEC("password of user %lld reset; every session ended",
		    (long long)user_id);
	resp->status = 204;
	return PTL_OK;
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/forgot/password", PTL_AUTH_NONE,
	 PTL_FIELDS(forgot_fields), forgot, PTL_BUCKET_IP},
	{"POST", "/api/v1/auth/reset/password", PTL_AUTH_NONE,
	 PTL_FIELDS(reset_fields), reset, PTL_BUCKET_IP},
};

static const struct ptl_endpoint endpoint = {"password", routes, 2};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
