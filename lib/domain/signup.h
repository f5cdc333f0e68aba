/* SPDX-License-Identifier: ISC */
/*
 * signup: the email registration and the links of the confirm mails
 * (API.md §1.2-1.4, §4.1). A registration writes the user and its
 * confirm-email mail in one transaction, the mail delivered after the
 * answer (outbox.h); a link makes the account Active (and, for a new
 * address, sets it). Not responsible for the mail itself (outbox.c) nor
 * for the admin's `authportal user add`, which makes users without a mail
 * (ptl_account_register).
 */
#ifndef PTL_SIGNUP_H
#define PTL_SIGNUP_H

#include <stddef.h>
#include <stdint.h>

#include "domain/app.h"
#include "domain/refusal.h"
#include "base/mem.h"

/* What POST /auth/email/register carries, validated by its field table. */
struct ptl_signup {
	const char *email; /* normalised and valid */
	const char *password;
	size_t password_len;
	const char *first_name, *last_name;
	const char *ip; /* the client, for AUTH_RATE_MAIL_IP (NULL: none) */
};

/*
 * Registers an email user: role User, status Inactive, and the
 * confirm-email mail queued in the same transaction, and left in app for
 * delivery once the answer is out (ptl_outbox_defer(); or queued when
 * the SMTP server cannot take it: API.md §10.6). The
 * Argon2id hash is made before the transaction begins. When a confirm
 * mail went to the address less than a minute ago, the user is made
 * without a second one. OUT user_id (may be NULL).
 * Errors: PTL_ERR_RATE_LIMITED (why->retry_after_s) when in->ip has used
 * up its AUTH_RATE_MAIL_IP mails of the hour (checked before anything
 * else, so the answer says nothing about the address); PTL_ERR_VALIDATION
 * (why: email, emailAlreadyExists) when any user, deleted ones included,
 * has the address; a database error. After any error nothing is written.
 */
enum ptl_err ptl_signup_register(struct ptl_arena *a, struct ptl_app *app,
				 const struct ptl_signup *in, int64_t now_ms,
				 int64_t *user_id, struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull(1, 2, 3, 6)));

/*
 * The link of the confirm-email mail (API.md §1.3): the account of the
 * token, still Inactive, becomes Active. token: the "hash" of the link.
 * Errors: PTL_ERR_VALIDATION (why: hash, invalidHash) for a bad, malformed,
 * expired or stale token (a password change or reset since it was made:
 * token.h); PTL_ERR_NOT_FOUND when the user is deleted, disabled or not
 * Inactive (so a second confirmation is a 404).
 */
enum ptl_err ptl_signup_confirm(struct ptl_arena *a, struct ptl_app *app,
				const char *token, int64_t now_ms,
				struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull));

/*
 * The link of the confirm-new-email mail (API.md §1.4): the address
 * becomes the token's newEmail (a token without one changes no address)
 * and the account Active (recorded: email_changed, audit.h). The change
 * kills every outstanding link of the account, this one included
 * (ptl_account_set_email).
 * Errors: PTL_ERR_VALIDATION (why: hash, invalidHash) as above, and for a
 * link whose address is no longer the pending change (a newer change, a
 * reset, a password change, or the link was used), or (why: email,
 * emailExists) when another account took the address meanwhile;
 * PTL_ERR_NOT_FOUND when the user is deleted or disabled.
 */
enum ptl_err ptl_signup_confirm_new(struct ptl_arena *a, struct ptl_app *app,
				    const char *token, int64_t now_ms,
				    struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull));

#endif
