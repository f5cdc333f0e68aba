/* SPDX-License-Identifier: ISC */
/*
 * token: the access JWT and the refresh JWT of API.md §3, and the links
 * of the mails (§4), HS256 with their own secrets. Verification pins the algorithm (adapters/jws.c), requires an integer
 * exp in the future, honours nbf, and requires the claims of its kind, so a
 * token of another kind never passes (API.md §10.5). Not responsible for
 * sessions: the caller checks that the session is live.
 */
#ifndef PTL_TOKEN_H
#define PTL_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/account.h"
#include "domain/app.h"
#include "base/mem.h"

struct ptl_access {
	int64_t user_id;
	int64_t session_id; /* 0 when the token carries none */
};

/*
 * Signs an access token {id, role, sessionId, iat, exp}. full_role: the
 * role object with name and __entity (after login), else {"id":N} (after
 * refresh), as API.md §3.2 says. OUT token (arena-owned), OUT expires_ms:
 * now + AUTH_JWT_TOKEN_EXPIRES_IN, the tokenExpires of the response.
 */
enum ptl_err ptl_token_access_issue(struct ptl_arena *a, const struct ptl_app *app,
				    int64_t user_id, int64_t role_id,
				    bool full_role, int64_t session_id,
				    int64_t now_ms, char **token,
				    int64_t *expires_ms)
	__attribute__((warn_unused_result));

/* Verifies an access token. PTL_ERR_UNAUTHORIZED for any defect. Tokens
 * verified before by this process are recognised from a small cache
 * (app->token_cache), their expiry checked again. */
enum ptl_err ptl_token_access_verify(struct ptl_arena *a, struct ptl_app *app,
				     const char *token, int64_t now_ms,
				     struct ptl_access *out)
	__attribute__((warn_unused_result));

/* Wipes and frees app's cache of verified access tokens (the tokens in it
 * are bearer secrets), if there is one. The cache is made by the first
 * ptl_token_access_verify(); this is its only free. */
void ptl_token_cache_free(struct ptl_app *app) __attribute__((nonnull));

/* Signs a refresh token {sessionId, hash, iat, exp}. OUT token. */
enum ptl_err ptl_token_refresh_issue(struct ptl_arena *a,
				     const struct ptl_app *app,
				     int64_t session_id, const char *hash,
				     int64_t now_ms, char **token)
	__attribute__((warn_unused_result));

/* Verifies a refresh token. OUT session_id, OUT hash (borrowed from the
 * arena). PTL_ERR_UNAUTHORIZED for any defect. */
enum ptl_err ptl_token_refresh_verify(struct ptl_arena *a,
				      const struct ptl_app *app,
				      const char *token, int64_t now_ms,
				      int64_t *session_id, const char **hash)
	__attribute__((warn_unused_result));

/*
 * The one-time links of the mails (API.md §4.1-4.3) are tied to the state
 * of their account when they are made: each is signed under a key derived
 * from its secret and the account's security stamp and current address
 * (and, for a reset link, its password hash), read here from the user row
 * (ptl_account_link_state). A password change or reset and every change
 * of address take a new stamp (ptl_account_new_stamp), which kills every
 * link made before. The claims are those of the reference.
 */

/* Signs a confirm-email token {confirmEmailUserId[, newEmail], iat, exp}
 * under AUTH_CONFIRM_EMAIL_SECRET and the account's state (API.md §4.1).
 * new_email NULL: the registration token; else it must be the account's
 * pending address (the latest change PATCH /me asked for). OUT token.
 * Errors: PTL_ERR_NOT_FOUND when the user is missing, deleted or disabled,
 * or new_email is not the pending address (the mail is stale: a newer
 * change, a reset or the confirmation came since it was queued); a
 * database error. */
enum ptl_err ptl_token_confirm_issue(struct ptl_arena *a,
				     const struct ptl_app *app, int64_t user_id,
				     const char *new_email, int64_t now_ms,
				     char **token) __attribute__((warn_unused_result));

/* Verifies a confirm token against the current state of its account (the
 * order of API.md §4.3: read the user id unverified, load the state,
 * derive the key, verify). A newEmail must still be the pending address.
 * OUT user_id, OUT new_email (NULL when the token has none; arena-owned),
 * OUT st: the account as read for the check (gone, status).
 * Errors: PTL_ERR_UNAUTHORIZED for any defect, a stale or unknown account
 * included; a database error. */
enum ptl_err ptl_token_confirm_verify(struct ptl_arena *a,
				      const struct ptl_app *app,
				      const char *token, int64_t now_ms,
				      int64_t *user_id, const char **new_email,
				      struct ptl_link_state *st)
	__attribute__((warn_unused_result, nonnull));

/* Signs a reset token {forgotUserId, iat, exp} under AUTH_FORGOT_SECRET,
 * the account's state and pw_hash, the user's current password hash
 * (NULL: none), so that any password change kills it (API.md §4.2-4.3).
 * OUT token, OUT expires_ms (the link's "expires").
 * Errors: PTL_ERR_NOT_FOUND when the user is missing, deleted or
 * disabled; a database error. */
enum ptl_err ptl_token_reset_issue(struct ptl_arena *a,
				   const struct ptl_app *app, int64_t user_id,
				   const char *pw_hash, int64_t now_ms,
				   char **token, int64_t *expires_ms)
	__attribute__((warn_unused_result));

/* The forgotUserId of a reset token, read WITHOUT verifying it. */
enum ptl_err ptl_token_reset_user(struct ptl_arena *a, const char *token,
				  int64_t *user_id)
	__attribute__((warn_unused_result));

/* Verifies a reset token against the account's current state and pw_hash,
 * the user's current password hash. PTL_ERR_UNAUTHORIZED for any defect,
 * a stale link or a user who is gone included; a database error. */
enum ptl_err ptl_token_reset_verify(struct ptl_arena *a,
				    const struct ptl_app *app,
				    const char *token, int64_t user_id,
				    const char *pw_hash, int64_t now_ms)
	__attribute__((warn_unused_result));

#endif
