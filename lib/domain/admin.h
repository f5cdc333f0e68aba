/* SPDX-License-Identifier: ISC */
/*
 * admin: the use cases of the admin command line (src/authportal.c) that
 * the HTTP API has not: look up an account's state, enable a disabled
 * account, change a role, set a password. Each ends what the change makes
 * stale (sessions whose tokens carry the old role, or were opened with the
 * old password) and records one audit event. Disabling and deleting are
 * the account module's (ptl_account_disable, ptl_account_delete). Email
 * addresses arrive normalised (base/email.h).
 */
#ifndef PTL_ADMIN_H
#define PTL_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"
#include "domain/app.h"

/* An account as the admin tool sees it: any row, deleted ones too. */
struct ptl_admin_user {
	int64_t id, role_id;
	bool deleted, disabled;
	bool email_login; /* provider "email": it has a password to set */
};

/* Finds the account of email (normalised), deleted ones included. OUT u.
 * PTL_ERR_NOT_FOUND when no account has the address. */
enum ptl_err ptl_admin_find(struct ptl_app *app, const char *email,
			    struct ptl_admin_user *u)
    __attribute__((warn_unused_result, nonnull));

/* Enables a disabled account: sign-in works again (its old sessions stay
 * ended). Records account_enabled. PTL_ERR_NOT_FOUND when the account is
 * not disabled (or does not exist). */
enum ptl_err ptl_admin_enable(struct ptl_app *app, int64_t user_id,
			      int64_t now_ms)
    __attribute__((warn_unused_result, nonnull));

/* Sets the role (PTL_ACCOUNT_ROLE_ADMIN or _USER) and ends every session,
 * whose access tokens carry the old role in their claims; records
 * role_changed with the new role's name. PTL_ERR_NOT_FOUND when there is
 * no such account; PTL_ERR_BAD_REQUEST for an unknown role. */
enum ptl_err ptl_admin_set_role(struct ptl_app *app, int64_t user_id,
				int64_t role_id, int64_t now_ms)
    __attribute__((warn_unused_result, nonnull));

/* Sets the password of an email account to pw[0..pw_len) (hashed first,
 * outside the write transaction) and ends every session, in one
 * transaction; links mailed before stop working and the mails not yet
 * delivered are cancelled (ptl_account_new_stamp), as after a change of
 * password.
 * Records password_reset with detail by_admin. The caller checks the
 * length policy. PTL_ERR_NOT_FOUND when there is no such account. pw is
 * borrowed; the caller wipes it. */
enum ptl_err ptl_admin_set_password(struct ptl_arena *a, struct ptl_app *app,
				    int64_t user_id, const char *pw,
				    size_t pw_len, int64_t now_ms)
    __attribute__((warn_unused_result, nonnull));

#endif
