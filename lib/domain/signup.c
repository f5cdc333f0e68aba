/* SPDX-License-Identifier: ISC */
/* signup: see signup.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>

#include "domain/account.h"
#include "domain/audit.h"
#include "domain/outbox.h"
#include "domain/ratelimit.h"
#include "domain/signup.h"
#include "domain/token.h"

/* The user and its confirm mail, in one transaction; hash made before. */
static enum ptl_err
create(struct ptl_app *app, const struct ptl_signup *in, const char *hash,
       int64_t now_ms, int64_t *user_id, int64_t *mail_id, int *retry_after_s)
{
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	e = ptl_account_insert(app, in->email, hash, in->first_name,
			       in->last_name, PTL_ACCOUNT_ROLE_USER,
			       PTL_ACCOUNT_STATUS_INACTIVE, now_ms, user_id);
	if (e == PTL_OK)
		e = ptl_ratelimit_mail(app, 0, in->ip, now_ms, retry_after_s);
	if (e != PTL_OK)
		return ptl_db_end(app->db, e);
	e = ptl_outbox_enqueue(app, PTL_MAIL_CONFIRM, *user_id, in->email, NULL,
			       now_ms, mail_id);
	if (e == PTL_ERR_RATE_LIMITED)
		e = PTL_OK; /* a mail to this address a moment ago: no other */
	return ptl_db_end(app->db, e);
}

/* The client's mails of the hour are not used up (AUTH_RATE_MAIL_IP). */
static enum ptl_err
mail_budget(struct ptl_app *app, const char *ip, int64_t now_ms,
	    int *retry_after_s)
{
	if (!app->cfg.rate_limit || ip == NULL || *ip == '\0')
		return PTL_OK;
	return ptl_ratelimit_check(app, PTL_RL_MAIL_IP, ip, now_ms,
				   retry_after_s);
}

enum ptl_err
ptl_signup_register(struct ptl_arena *a, struct ptl_app *app,
		    const struct ptl_signup *in, int64_t now_ms,
		    int64_t *user_id, struct ptl_refusal *why)
{
	int64_t id = 0, mail_id = 0;
	char *hash;
	enum ptl_err e;

	ptl_refusal_clear(why);
	/* Before the address is looked at, and before the slow hash. */
	e = mail_budget(app, in->ip, now_ms, &why->retry_after_s);
	if (e == PTL_OK)
		e = ptl_account_hash(a, app, in->password, in->password_len,
				     &hash);
	if (e == PTL_OK)
		e = create(app, in, hash, now_ms, &id, &mail_id,
			   &why->retry_after_s);
	if (e == PTL_ERR_CONFLICT)
		return ptl_refusal_field(why, "email", "emailAlreadyExists");
	if (e != PTL_OK)
		return e;
	if (mail_id != 0)
		ptl_outbox_defer(app, mail_id);
	if (user_id != NULL)
		*user_id = id;
	return PTL_OK;
}

/* Both links, inside one write transaction so that the state the token is
 * checked against is the state that is changed. The 404s come after the
 * signature, so that only a holder of a valid link learns them. */
static enum ptl_err
confirm_in_tx(struct ptl_arena *a, struct ptl_app *app, const char *token,
	      bool is_new, int64_t now_ms, struct ptl_refusal *why)
{
	struct ptl_link_state st;
	const char *new_email;
	int64_t user_id;
	enum ptl_err e;

	e = ptl_token_confirm_verify(a, app, token, now_ms, &user_id,
				     &new_email, &st);
	if (e == PTL_ERR_UNAUTHORIZED)
		return ptl_refusal_field(why, "hash", "invalidHash");
	if (e != PTL_OK)
		return e;
	if (st.gone || (!is_new && st.status_id != PTL_ACCOUNT_STATUS_INACTIVE))
		return PTL_ERR_NOT_FOUND;
	if (!is_new || new_email == NULL)
		return ptl_account_activate(app, user_id, now_ms);
	e = ptl_account_set_email(app, user_id, new_email, now_ms);
	if (e == PTL_ERR_CONFLICT)
		return ptl_refusal_field(why, "email", "emailExists");
	if (e == PTL_OK)
		ptl_audit_record(app, PTL_AUDIT_EMAIL_CHANGED, user_id, 0, NULL,
				 now_ms);
	return e;
}

static enum ptl_err
confirm(struct ptl_arena *a, struct ptl_app *app, const char *token,
	bool is_new, int64_t now_ms, struct ptl_refusal *why)
{
	enum ptl_err e;

	ptl_refusal_clear(why);
	e = ptl_db_begin(app->db);
	if (e != PTL_OK)
		return e;
	e = confirm_in_tx(a, app, token, is_new, now_ms, why);
	return ptl_db_end(app->db, e);
}

enum ptl_err
ptl_signup_confirm(struct ptl_arena *a, struct ptl_app *app, const char *token,
		   int64_t now_ms, struct ptl_refusal *why)
{
	return confirm(a, app, token, false, now_ms, why);
}

enum ptl_err
ptl_signup_confirm_new(struct ptl_arena *a, struct ptl_app *app,
		       const char *token, int64_t now_ms,
		       struct ptl_refusal *why)
{
	return confirm(a, app, token, true, now_ms, why);
}
