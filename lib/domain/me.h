/* SPDX-License-Identifier: ISC */
/*
 * me: the signed-in user's own account (API.md §1.7, §1.10, §1.11, §4.1,
 * §10.8): read it, and change it with PATCH /auth/me: names, the password
 * (with the old one, ending the user's other sessions) and the address (by
 * a confirm-new-email mail, never at once). Deleting it is
 * ptl_account_delete(). Not responsible for the field rules (the field
 * tables) nor for the sessions list (session.h).
 */
#ifndef PTL_ME_H
#define PTL_ME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/account.h"
#include "domain/app.h"
#include "domain/refusal.h"
#include "base/mem.h"


/* What a PATCH /auth/me body asks, validated by its field table. */
struct ptl_me_patch {
	const char *photo;   /* photo {id}: the file to make the photo */
	bool remove_photo;   /* photo null: the photo is removed */
	bool set_first_name; /* firstName was sent, null included ... */
	bool set_last_name;  /* ... and lastName */
	const char *first_name, *last_name; /* NULL: store NULL */
	const char *email;   /* NULL: unchanged; normalised and valid */
	const char *password; /* NULL or "": unchanged */
	size_t password_len;
	const char *old_password; /* NULL when not sent */
	size_t old_password_len;
};

/* Loads the caller's user. PTL_ERR_UNAUTHORIZED when it is gone (deleted
 * or disabled since the token was issued: API.md §10.8). OUT u. */
enum ptl_err ptl_me_get(struct ptl_arena *a, struct ptl_app *app,
			int64_t user_id, struct ptl_user *u)
	__attribute__((warn_unused_result, nonnull));

/*
 * PATCH /auth/me for user_id, signed in with session_id from ip (NULL:
 * unknown). Checks, in this order and before anything is written: the
 * photo; for a new password, the old one, counted against the account's
 * failed sign-ins (AUTH_RATE_LOGIN_FAIL, shared with sign-in); for a new
 * address, that the account is Active (confirmed) and that nobody has
 * it. Then, in one transaction: the names that were sent; the new
 * password (hashed before the transaction), ending every session of the
 * user but session_id and every outstanding link (token.h); and for a
 * new address, counted against the mail limits of the hour, the pending
 * change and a confirm-new-email mail to it (delivered once the answer
 * is out, ptl_outbox_defer(); the address changes when its link is used,
 * and only the link of the latest change works); a new password is recorded as password_changed
 * (audit.h). OUT u: the user after the change.
 * The photo is set (or removed) in that transaction, the old one's
 * file removed after it (files.h). Errors: PTL_ERR_VALIDATION with why:
 * user userNotFound; photo imageNotExists (not a file the user uploaded
 * or its current photo: ptl_files_check_photo()); oldPassword missingOldPassword or incorrectOldPassword;
 * email emailNotConfirmed (an Inactive account) or emailExists.
 * PTL_ERR_RATE_LIMITED (why->retry_after_s): the account's failed
 * sign-ins are used up (before the old password is even checked), or a
 * confirm-new-email mail went to the address less than a minute ago, or
 * the account or ip has used up its mails of the hour (AUTH_RATE_MAIL_USER,
 * AUTH_RATE_MAIL_IP); nothing is written then. PTL_ERR_UNAUTHORIZED when
 * the user is gone after the change; a database error.
 */
enum ptl_err ptl_me_update(struct ptl_arena *a, struct ptl_app *app,
			   int64_t user_id, int64_t session_id, const char *ip,
			   const struct ptl_me_patch *in, int64_t now_ms,
			   struct ptl_user *u, struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull(1, 2, 6, 8, 9)));

#endif
