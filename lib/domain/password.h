/* SPDX-License-Identifier: ISC */
/*
 * password: the forgotten-password use cases (API.md §1.5, §1.6, §4.2,
 * §4.3, §10.1-10.2): the reset mail, and the new password set from its
 * link, which ends every session of the user. The link is a token signed
 * under the user's current password hash (token.h), so any password
 * change kills every link issued before. Not responsible for the password
 * change of PATCH /auth/me (me.c), nor for the length policy (the field
 * tables).
 */
#ifndef PTL_PASSWORD_H
#define PTL_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#include "domain/app.h"
#include "domain/refusal.h"
#include "base/mem.h"

/*
 * Forgot password: queues a reset mail to email (normalised) when it is
 * the address of a live user, for delivery once the answer is out
 * (ptl_outbox_defer(); API.md §10.6). At most one a minute per address,
 * and the mail limits of the hour (AUTH_RATE_MAIL_USER for the account,
 * AUTH_RATE_MAIL_IP for the client ip, NULL: none): past a limit the
 * request succeeds without a mail, so that nobody learns more by asking
 * (logged as a security event). An unknown address costs the same work
 * (the same counts, without the mail), so the answer's timing tells
 * nothing either.
 * Errors: for an unknown, deleted or disabled address, PTL_OK without a
 * mail under AUTH_UNIFORM_ERRORS (the default), else PTL_ERR_VALIDATION
 * (why: email, emailNotExists); a database error.
 */
enum ptl_err ptl_password_forgot(struct ptl_arena *a, struct ptl_app *app,
				 const char *email, const char *ip,
				 int64_t now_ms, struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull(1, 2, 3, 6)));

/*
 * Reset password: sets password for the user of token (the "hash" of the
 * reset link) and ends every session and every outstanding link of that
 * user, in one transaction; the link proved the address, so an Inactive
 * account becomes Active (ptl_account_new_stamp).
 * The order of API.md §4.3: read the user id from the unverified token,
 * load the user, derive the key from the current hash, verify; only then
 * is the new password hashed (before the transaction). The transaction
 * writes only if the stored hash is still the one the link was verified
 * under, so that of several uses of one link at once exactly one wins.
 * Records password_reset (audit.h).
 * Errors: PTL_ERR_VALIDATION (why: hash, invalidHash) for a bad, used or
 * expired token or a user who is gone; a database error.
 */
enum ptl_err ptl_password_reset(struct ptl_arena *a, struct ptl_app *app,
				const char *token, const char *password,
				size_t password_len, int64_t now_ms,
				struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull));

#endif
