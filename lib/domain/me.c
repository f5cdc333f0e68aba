/* SPDX-License-Identifier: ISC */
/* me: see me.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "adapters/crypto.h"
#include "base/log.h"
#include "domain/audit.h"
#include "domain/files.h"
#include "domain/me.h"
#include "domain/outbox.h"
#include "domain/ratelimit.h"
#include "domain/session.h"

/* The mails of ptl_outbox_enqueue(): one a minute per address and kind. */
#define MAIL_RETRY_S 60

enum ptl_err
ptl_me_get(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
	   struct ptl_user *u)
{
	enum ptl_err e = ptl_account_get(a, app, user_id, u);

	return e == PTL_ERR_NOT_FOUND ? PTL_ERR_UNAUTHORIZED : e;
}

static bool
changes_password(const struct ptl_me_patch *in)
{
	return in->password != NULL && in->password_len > 0;
}

/* The new address, when the patch changes it; else NULL. */
static const char *
new_email(const struct ptl_me_patch *in, const struct ptl_user *u)
{
	if (in->email == NULL ||
	    (u->email != NULL && strcmp(in->email, u->email) == 0))
		return NULL;
	return in->email;
}

/*
 * The old password, counted against the failed sign-ins of the account
 * (PTL_RL_LOGIN_FAIL, keyed by its address as ptl_signin_email() does): a
 * session is no licence to guess. Checked before the Argon2id run,
 * counted after a wrong one.
 */
static enum ptl_err
check_old_password(struct ptl_app *app, const struct ptl_user *u,
		   const struct ptl_me_patch *in, int64_t now_ms,
		   struct ptl_refusal *why)
{
	bool limited = app->cfg.rate_limit && u->email != NULL;
	enum ptl_err e;

	if (in->old_password == NULL)
		return ptl_refusal_field(why, "oldPassword",
					 "missingOldPassword");
	if (limited) {
		e = ptl_ratelimit_check(app, PTL_RL_LOGIN_FAIL, u->email,
					now_ms, &why->retry_after_s);
		if (e != PTL_OK)
			return e;
	}
	if (u->password != NULL &&
	    ptl_crypto_pw_verify(&app->pw, u->password, in->old_password,
				 in->old_password_len))
		return PTL_OK;
	PTL_LOG_SEC("wrong old password for user %lld", (long long)u->id);
	if (limited) {
		e = ptl_ratelimit_hit(app, PTL_RL_LOGIN_FAIL, u->email, now_ms,
				      &why->retry_after_s);
		if (e != PTL_OK)
			return e;
	}
	return ptl_refusal_field(why, "oldPassword", "incorrectOldPassword");
}

/* The checks that can fail, before anything is written. */
static enum ptl_err
check(struct ptl_arena *a, struct ptl_app *app, const struct ptl_user *u,
      const struct ptl_me_patch *in, int64_t now_ms, struct ptl_refusal *why)
{
	int64_t other;
	enum ptl_err e;

	if (in->photo != NULL) {
		e = ptl_files_check_photo(a, app, u->id, u->id, in->photo, why);
		if (e != PTL_OK)
			return e;
	}
	if (changes_password(in)) {
		e = check_old_password(app, u, in, now_ms, why);
		if (e != PTL_OK)
			return e;
	}
	if (new_email(in, u) == NULL)
		return PTL_OK;
	/* The sign-in of an unconfirmed account proves a password, not the
	 * address: it may not move the account elsewhere (API.md §1.10). */
	if (u->status_id != PTL_ACCOUNT_STATUS_ACTIVE)
		return ptl_refusal_field(why, "email", "emailNotConfirmed");
	e = ptl_account_find(app, in->email, &other);
	if (e == PTL_OK)
		return ptl_refusal_field(why, "email", "emailExists");
	return e == PTL_ERR_NOT_FOUND ? PTL_OK : e;
}

/* A new address: the mail limits of the hour, the pending change (which
 * replaces any earlier one, killing its link) and the mail. */
static enum ptl_err
ask_email(struct ptl_app *app, int64_t user_id, const char *ip,
	  const char *email, int64_t now_ms, int64_t *mail_id,
	  struct ptl_refusal *why)
{
	enum ptl_err e =
	    ptl_ratelimit_mail(app, user_id, ip, now_ms, &why->retry_after_s);

	if (e == PTL_OK)
		e = ptl_account_set_pending(app, user_id, email);
	if (e == PTL_OK)
		e = ptl_outbox_enqueue(app, PTL_MAIL_CONFIRM_NEW, user_id,
				       email, email, now_ms, mail_id);
	return e;
}

/* Every write in one transaction; pw_hash (or NULL) made beforehand. */
static enum ptl_err
apply(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
      int64_t session_id, const char *ip, const struct ptl_me_patch *in,
      const char *pw_hash, const char *email, int64_t now_ms,
      int64_t *mail_id, const char **gone, struct ptl_refusal *why)
{
	bool names = in->set_first_name || in->set_last_name;
	bool photo = in->photo != NULL || in->remove_photo;
	enum ptl_err e;

	if (!names && pw_hash == NULL && email == NULL && !photo)
		return PTL_OK;
	e = ptl_db_begin(app->db);
	if (e != PTL_OK)
		return e;
	/* A new photo is a change of the user too: updatedAt moves. */
	if (names || photo)
		e = ptl_account_set_names(app, user_id, in->set_first_name,
					  in->first_name, in->set_last_name,
					  in->last_name, now_ms);
	if (e == PTL_OK && pw_hash != NULL)
		e = ptl_account_store_hash(app, user_id, pw_hash, now_ms);
	if (e == PTL_OK && pw_hash != NULL)
		e = ptl_session_revoke_user(app, user_id, session_id,
					    "password_changed", now_ms);
	if (e == PTL_OK && pw_hash != NULL)
		e = ptl_account_new_stamp(app, user_id, false, now_ms);
	if (e == PTL_OK && email != NULL)
		e = ask_email(app, user_id, ip, email, now_ms, mail_id, why);
	if (e == PTL_OK && photo)
		e = ptl_files_set_photo(a, app, user_id, in->photo, now_ms,
					gone);
	return ptl_db_end(app->db, e);
}

enum ptl_err
ptl_me_update(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
	      int64_t session_id, const char *ip, const struct ptl_me_patch *in,
	      int64_t now_ms, struct ptl_user *u, struct ptl_refusal *why)
{
	struct ptl_user cur;
	const char *gone = NULL;
	char *pw_hash = NULL;
	int64_t mail_id = 0;
	enum ptl_err e;

	ptl_refusal_clear(why);
	e = ptl_account_get(a, app, user_id, &cur);
	if (e == PTL_ERR_NOT_FOUND)
		return ptl_refusal_field(why, "user", "userNotFound");
	if (e == PTL_OK)
		e = check(a, app, &cur, in, now_ms, why);
	if (e == PTL_OK && changes_password(in))
		e = ptl_account_hash(a, app, in->password, in->password_len,
				     &pw_hash);
	if (e == PTL_OK)
		e = apply(a, app, user_id, session_id, ip, in, pw_hash,
			  new_email(in, &cur), now_ms, &mail_id, &gone, why);
	/* The one limit without its own time: the outbox's minute. */
	if (e == PTL_ERR_RATE_LIMITED && why->retry_after_s <= 0)
		why->retry_after_s = MAIL_RETRY_S;
	if (e != PTL_OK)
		return e;
	if (pw_hash != NULL)
		ptl_audit_record(app, PTL_AUDIT_PASSWORD_CHANGED, user_id,
				 session_id, "other_sessions_ended", now_ms);
	if (mail_id != 0)
		ptl_outbox_defer(app, mail_id);
	if (gone != NULL) /* the old photo, once its row is gone */
		ptl_files_remove(app, gone);
	return ptl_me_get(a, app, user_id, u);
}
