/* SPDX-License-Identifier: ISC */
/*
 * signin: signing in with email and password, and staying signed in with
 * the refresh token (API.md §1.1, §1.8, §10.2, §10.4, §10.7). Sign-in
 * applies the failure budgets (one per device cookie, one per account for
 * every other client), issues device cookies, and says why it failed in
 * the words API.md allows (with AUTH_UNIFORM_ERRORS, one answer for every
 * failure). Not responsible for the per-IP limits (the route's bucket,
 * web/endpoint.c), the cookie itself (web/form.h) nor for signing the
 * token pair (web/pair.c).
 */
#ifndef PTL_SIGNIN_H
#define PTL_SIGNIN_H

#include <stddef.h>
#include <stdint.h>

#include "domain/account.h"
#include "domain/app.h"
#include "domain/refusal.h"
#include "base/mem.h"

/* What POST /auth/email/login carries, and where it comes from. */
struct ptl_signin {
	const char *email; /* normalised and valid */
	const char *password;
	size_t password_len;
	const char *user_agent, *ip; /* stored with the session; may be NULL */
	const char *device; /* the device cookie as sent (device.h), or NULL */
};

/*
 * Signs in. The attempt is judged by one failure budget (with
 * AUTH_RATE_LIMIT on): that of its device cookie when in->device is a
 * valid one for in->email, else the account's, shared by every client
 * without such a cookie (OWASP's device cookies, API.md §10.7). While
 * that budget's delay runs (after AUTH_RATE_LOGIN_FAIL failures: 1 s,
 * doubling with each failure, up to AUTH_RATE_LOGIN_DELAY_MAX) it refuses
 * at once, the right password included. Then it checks the password (a
 * dummy Argon2id run for an unknown or social account, so that timing
 * tells nothing; none for a password longer than any stored one) and
 * opens a session. Records signin_ok or signin_failed (audit.h); a
 * failure is also logged as a security event and, except the over-long
 * password, counted against the budget.
 * OUT login: the user, the new session, its refresh secret, and a new
 * device token for in->email (login->device, arena-owned).
 * Errors: PTL_ERR_RATE_LIMITED (why->retry_after_s); PTL_ERR_VALIDATION
 * with why: with uniform errors, password incorrectPassword whatever
 * the cause (API.md §10.2); otherwise email notFound, email
 * needLoginViaProvider:<provider> (key in a), or password
 * incorrectPassword; a database error.
 */
enum ptl_err ptl_signin_email(struct ptl_arena *a, struct ptl_app *app,
			      const struct ptl_signin *in, int64_t now_ms,
			      struct ptl_login *login, struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull(1, 2, 3, 5, 6)));

/* A session after its refresh: what the RefreshResponse is made of. */
struct ptl_signin_rotated {
	int64_t session_id, user_id, role_id;
	char *hash; /* the session's refresh secret now (arena-owned) */
};

/*
 * Refresh (API.md §1.8): verifies the refresh token and rotates its
 * session (a reused token ends the session and is audited: session.h).
 * OUT out. Errors: PTL_ERR_UNAUTHORIZED for a bad, expired, ended or
 * reused token or a user who is gone; PTL_ERR_BUSY; a database error.
 */
enum ptl_err ptl_signin_refresh(struct ptl_arena *a, struct ptl_app *app,
				const char *token, int64_t now_ms,
				struct ptl_signin_rotated *out)
	__attribute__((warn_unused_result, nonnull));

#endif
