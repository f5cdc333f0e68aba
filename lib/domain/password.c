/* SPDX-License-Identifier: ISC */
/* password: see password.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/log.h"
#include "domain/account.h"
#include "domain/audit.h"
#include "domain/outbox.h"
#include "domain/password.h"
#include "domain/ratelimit.h"
#include "domain/session.h"
#include "domain/token.h"

/* The reset mail, in a transaction of its own (the outbox's rule),
 * counted against the mail limits of the hour first; for no user
 * (user_id 0) the same transaction counts the client and the address
 * without a mail, so that a known and an unknown address cost the same. */
static enum ptl_err
queue_reset(struct ptl_app *app, int64_t user_id, const char *email,
	    const char *ip, int64_t now_ms, int64_t *mail_id)
{
	int retry_after_s;
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	e = ptl_ratelimit_mail(app, user_id, ip, now_ms, &retry_after_s);
	if (e == PTL_OK && user_id != 0)
		e = ptl_outbox_enqueue(app, PTL_MAIL_RESET, user_id, email,
				       NULL, now_ms, mail_id);
	else if (e == PTL_OK)
		e = ptl_outbox_count(app, PTL_MAIL_RESET, email, now_ms);
	return ptl_db_end(app->db, e);
}

enum ptl_err
ptl_password_forgot(struct ptl_arena *a, struct ptl_app *app, const char *email,
		    const char *ip, int64_t now_ms, struct ptl_refusal *why)
{
	struct ptl_user u;
	int64_t user_id, mail_id = 0;
	enum ptl_err e;

	ptl_refusal_clear(why);
	e = ptl_account_find(app, email, &user_id);
	if (e == PTL_OK)
		e = ptl_account_get(a, app, user_id, &u); /* live users only */
	if (e == PTL_ERR_NOT_FOUND && !app->cfg.uniform_errors)
		return ptl_refusal_field(why, "email", "emailNotExists");
	if (e == PTL_ERR_NOT_FOUND) {
		/* The work of a known address, without the mail. */
		user_id = 0;
		e = PTL_OK;
	}
	if (e == PTL_OK)
		e = queue_reset(app, user_id, email, ip, now_ms, &mail_id);
	if (e == PTL_ERR_RATE_LIMITED) {
		/* Said as for a sent mail: nobody learns more by asking. */
		if (user_id != 0)
			PTL_LOG_SEC("reset mail for user %lld not sent: mail "
				    "limit", (long long)user_id);
		e = PTL_OK;
	}
	if (e != PTL_OK)
		return e;
	if (mail_id != 0)
		ptl_outbox_defer(app, mail_id);
	return PTL_OK;
}

static bool
same_hash(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return strcmp(x, y) == 0;
}

/*
 * Sets the hash and ends every session, in one transaction, but only if
 * the stored hash is still old_hash, the one the link was verified
 * under: the use of a link is a compare-and-swap. Several resets with
 * one link, run at once by several workers, all pass the verification;
 * the write lock (BEGIN IMMEDIATE) orders them, and each after the first
 * finds the hash changed: PTL_ERR_UNAUTHORIZED, as for a used link.
 */
static enum ptl_err
store_reset(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
	    const char *old_hash, const char *hash, int64_t now_ms)
{
	struct ptl_user now;
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	e = ptl_account_get(a, app, user_id, &now);
	if (e == PTL_OK && !same_hash(now.password, old_hash))
		e = PTL_ERR_UNAUTHORIZED;
	if (e == PTL_OK)
		e = ptl_account_store_hash(app, user_id, hash, now_ms);
	if (e == PTL_OK)
		e = ptl_session_revoke_user(app, user_id, 0, "password_reset",
					    now_ms);
	/* Every other link dies; this one proved the address (API.md §4.3). */
	if (e == PTL_OK)
		e = ptl_account_new_stamp(app, user_id, true, now_ms);
	return ptl_db_end(app->db, e);
}

enum ptl_err
ptl_password_reset(struct ptl_arena *a, struct ptl_app *app, const char *token,
		   const char *password, size_t password_len, int64_t now_ms,
		   struct ptl_refusal *why)
{
	struct ptl_user u;
	int64_t user_id;
	char *hash;
	enum ptl_err e;

	ptl_refusal_clear(why);
	/* Order of API.md §4.3: peek, load, derive the key, verify. */
	e = ptl_token_reset_user(a, token, &user_id);
	if (e == PTL_OK)
		e = ptl_account_get(a, app, user_id, &u);
	if (e == PTL_OK)
		e = ptl_token_reset_verify(a, app, token, user_id, u.password,
					   now_ms);
	if (e == PTL_OK)
		e = ptl_account_hash(a, app, password, password_len, &hash);
	if (e == PTL_OK)
		e = store_reset(a, app, user_id, u.password, hash, now_ms);
	if (e == PTL_ERR_UNAUTHORIZED || e == PTL_ERR_NOT_FOUND)
		return ptl_refusal_field(why, "hash", "invalidHash");
	if (e != PTL_OK)
		return e;
	ptl_audit_record(app, PTL_AUDIT_PASSWORD_RESET, user_id, 0,
			 "all_sessions_ended", now_ms);
	PTL_LOG_SEC("password of user %lld reset; every session ended",
		    (long long)user_id);
	return PTL_OK;
}
