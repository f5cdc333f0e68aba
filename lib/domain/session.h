/* SPDX-License-Identifier: ISC */
/*
 * session: device sessions (API.md §3.4, §10.3, §10.4, §10.9). One login is
 * one session; each holds the digest of its current refresh secret, which
 * rotates on every refresh by an atomic compare-and-swap in one write
 * transaction. A refresh token of the session that is not the current one
 * is reuse: the session is revoked and the event audited (RFC 9700 §4.14),
 * except for the previous token within AUTH_REFRESH_REUSE_INTERVAL.
 */
#ifndef PTL_SESSION_H
#define PTL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/app.h"
#include "domain/refusal.h"
#include "base/mem.h"
#include "base/buf.h"

/* Creates a session for user_id. OUT session_id, OUT hash: the refresh
 * secret to put into the refresh token (arena-owned, 64 hex chars). */
enum ptl_err ptl_session_create(struct ptl_arena *a, struct ptl_app *app,
				int64_t user_id, const char *user_agent,
				const char *ip, int64_t now_ms,
				int64_t *session_id, char **hash)
	__attribute__((warn_unused_result));

/*
 * Rotates session_id from the presented secret. OUT user_id and role_id of
 * its user; OUT hash: the new secret (or, for a tolerated reuse, the
 * current one). Errors: PTL_ERR_UNAUTHORIZED (unknown, ended, expired,
 * reused, or the user deleted or disabled), PTL_ERR_BUSY.
 */
enum ptl_err ptl_session_rotate(struct ptl_arena *a, struct ptl_app *app,
				int64_t session_id, const char *presented,
				int64_t now_ms, int64_t *user_id,
				int64_t *role_id, char **hash)
	__attribute__((warn_unused_result));

/* Ends one session (idempotent). */
enum ptl_err ptl_session_revoke(struct ptl_app *app, int64_t session_id,
				const char *reason, int64_t now_ms)
	__attribute__((warn_unused_result));

/* Ends session_id if it is a live session of user_id, recording
 * session_revoked with reason (audit.h); PTL_ERR_NOT_FOUND otherwise. */
enum ptl_err ptl_session_revoke_owned(struct ptl_app *app, int64_t session_id,
				      int64_t user_id, const char *reason,
				      int64_t now_ms)
	__attribute__((warn_unused_result));

/* Ends every session of user_id except keep_id (0: all of them). */
enum ptl_err ptl_session_revoke_user(struct ptl_app *app, int64_t user_id,
				     int64_t keep_id, const char *reason,
				     int64_t now_ms)
	__attribute__((warn_unused_result));

/*
 * Logout (API.md §1.9): ends sessions of user_id, signed in with
 * session_id, by scope: "local" (also NULL or ""), session_id alone;
 * "others", every other session of the user; "global", all of them;
 * records logout with the scope (audit.h).
 * Errors: PTL_ERR_VALIDATION (why: scope, invalidScope) for any other
 * scope; a database error.
 */
enum ptl_err ptl_session_logout(struct ptl_app *app, int64_t user_id,
				int64_t session_id, const char *scope,
				int64_t now_ms, struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull(1, 6)));

/* Writes the JSON array of user_id's live sessions, newest first (API.md
 * §10.9), marking current_id. */
enum ptl_err ptl_session_list_json(struct ptl_app *app, int64_t user_id,
				   int64_t current_id, int64_t now_ms,
				   struct ptl_buf *out)
	__attribute__((warn_unused_result));

#endif
