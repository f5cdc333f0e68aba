/* SPDX-License-Identifier: ISC */
/* signin: see signin.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/log.h"
#include "domain/audit.h"
#include "domain/device.h"
#include "domain/ratelimit.h"
#include "domain/session.h"
#include "domain/signin.h"
#include "domain/token.h"

/* The answer to a failed sign-in, in the words of API.md §1.1. Uniform
 * errors answer every failure with the reference's wrong-password body,
 * the one its frontends can display (API.md §10.2). */
static enum ptl_err
refuse(struct ptl_arena *a, struct ptl_app *app, const struct ptl_signin *in,
       enum ptl_login_fail reason, const char *provider,
       struct ptl_refusal *why)
{
	PTL_LOG_SEC("sign-in failed from %s", in->ip);
	if (app->cfg.uniform_errors || reason == PTL_LOGIN_OK)
		return ptl_refusal_field(why, "password", "incorrectPassword");
	if (reason == PTL_LOGIN_NOT_FOUND)
		return ptl_refusal_field(why, "email", "notFound");
	if (reason == PTL_LOGIN_PROVIDER)
		return ptl_refusal_field(
		    why, "email",
		    ptl_mem_printf(a, "needLoginViaProvider:%s", provider));
	return ptl_refusal_field(why, "password", "incorrectPassword");
}

/* Why a sign-in failed, in the words of the audit log. */
static const char *
fail_word(enum ptl_login_fail reason)
{
	switch (reason) {
	case PTL_LOGIN_NOT_FOUND:
		return "unknown_account";
	case PTL_LOGIN_PROVIDER:
		return "social_account";
	case PTL_LOGIN_OK:
	case PTL_LOGIN_PASSWORD:
		break;
	}
	return "wrong_password";
}

/* The failure budget a sign-in is judged by (API.md §10.7): that of its
 * device cookie when it presents a valid one for this account, else the
 * account's, which every other client shares. An attacker without the
 * cookie then only ever delays the clients without it. */
struct budget {
	enum ptl_rl policy;
	const char *subject;
};

static struct budget
budget_of(struct ptl_arena *a, struct ptl_app *app, const struct ptl_signin *in,
	  int64_t now_ms)
{
	struct budget b = {PTL_RL_LOGIN_FAIL, in->email};
	const char *id;

	if (in->device != NULL &&
	    ptl_device_verify(a, app, in->device, in->email, now_ms, &id)) {
		b.policy = PTL_RL_LOGIN_FAIL_DEVICE;
		b.subject = id;
	}
	return b;
}

/* Failed sign-ins of a budget: checked before any work, counted after. */
static enum ptl_err
account_limit(struct ptl_app *app, const struct budget *b, bool count,
	      int64_t now_ms, struct ptl_refusal *why)
{
	if (!app->cfg.rate_limit)
		return PTL_OK;
	if (count)
		return ptl_ratelimit_hit(app, b->policy, b->subject, now_ms,
					 &why->retry_after_s);
	return ptl_ratelimit_check(app, b->policy, b->subject, now_ms,
				   &why->retry_after_s);
}

enum ptl_err
ptl_signin_email(struct ptl_arena *a, struct ptl_app *app,
		 const struct ptl_signin *in, int64_t now_ms,
		 struct ptl_login *login, struct ptl_refusal *why)
{
	const struct budget b = budget_of(a, app, in, now_ms);
	enum ptl_login_fail reason;
	enum ptl_err e;

	ptl_refusal_clear(why);
	memset(login, 0, sizeof(*login));
	e = account_limit(app, &b, false, now_ms, why);
	if (e == PTL_ERR_RATE_LIMITED)
		ptl_audit_record_address(app, PTL_AUDIT_SIGNIN_FAILED, in->email,
					 "locked", now_ms);
	if (e != PTL_OK)
		return e;
	/* No stored password is longer than the maximum: no need to hash. */
	if (in->password_len > app->cfg.password_max_len) {
		ptl_audit_record_address(app, PTL_AUDIT_SIGNIN_FAILED, in->email,
					 "wrong_password", now_ms);
		return refuse(a, app, in, PTL_LOGIN_PASSWORD, NULL, why);
	}
	e = ptl_account_login(a, app, in->email, in->password, in->password_len,
			      in->user_agent, in->ip, now_ms, login, &reason);
	if (e == PTL_OK) {
		login->device = ptl_device_issue(a, app, in->email, now_ms);
		ptl_audit_record(app, PTL_AUDIT_SIGNIN_OK, login->user.id,
				 login->session_id, NULL, now_ms);
	}
	if (e != PTL_ERR_UNAUTHORIZED)
		return e;
	ptl_audit_record_address(app, PTL_AUDIT_SIGNIN_FAILED, in->email,
				 fail_word(reason), now_ms);
	e = account_limit(app, &b, true, now_ms, why);
	if (e != PTL_OK)
		return e;
	return refuse(a, app, in, reason, login->provider, why);
}

enum ptl_err
ptl_signin_refresh(struct ptl_arena *a, struct ptl_app *app, const char *token,
		   int64_t now_ms, struct ptl_signin_rotated *out)
{
	const char *presented;
	enum ptl_err e;

	memset(out, 0, sizeof(*out));
	e = ptl_token_refresh_verify(a, app, token, now_ms, &out->session_id,
				     &presented);
	if (e != PTL_OK)
		return e;
	return ptl_session_rotate(a, app, out->session_id, presented, now_ms,
				  &out->user_id, &out->role_id, &out->hash);
}
