/* SPDX-License-Identifier: ISC */
/*
 * session: device sessions (API.md §3.4, §10.3, §10.4, §10.9). One login is
 * one session; each holds the digest of its current refresh secret, which
 * rotates on every refresh by an atomic compare-and-swap in one write
 * transaction. A refresh token of the session that is not the current one
 * is reuse: the session is revoked and the event audited (RFC 9700 §4.14),
 * except for the previous token within AUTH_REFRESH_REUSE_INTERVAL.
 * A user has at most AUTH_MAX_SESSIONS live sessions: a sign-in past it
 * ends the least recently used one. What a session keeps of the request
 * (User-Agent, address) is bounded, so that the list of a user's sessions
 * is bounded too (PTL_SESSION_LIST_MAX).
 */
#ifndef PTL_SESSION_H
#define PTL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "base/cfg.h"
#include "domain/app.h"
#include "domain/refusal.h"
#include "base/mem.h"
#include "base/buf.h"

/* Bytes kept of a sign-in's User-Agent and client address (ptl_utf8_clip:
 * valid UTF-8, never cut inside a character, no control character). */
#define PTL_SESSION_UA_MAX 512
#define PTL_SESSION_IP_MAX 64

/* The longest JSON of one listed session (ptl_session_list_json): 145
 * bytes of keys, id, times and punctuation at most, and a User-Agent and
 * an address whose every byte is escaped to at most two ('"', '\'; the
 * three bytes of U+2028 and U+2029 become six). And the longest list:
 * AUTH_MAX_SESSIONS at its limit. */
#define PTL_SESSION_ROW_MAX                                                   \
	(160 + 2 * PTL_SESSION_UA_MAX + 2 * PTL_SESSION_IP_MAX)
#define PTL_SESSION_LIST_MAX                                                  \
	(2 + (size_t)PTL_CFG_MAX_SESSIONS_LIMIT * PTL_SESSION_ROW_MAX)

/*
 * Creates a session for user_id, keeping user_agent and ip clipped to
 * PTL_SESSION_UA_MAX and PTL_SESSION_IP_MAX bytes (either may be NULL).
 * When the user then has more than AUTH_MAX_SESSIONS live sessions, the
 * least recently used ones (sign-in or last refresh) end, revoked as
 * "session_limit" and audited. One write transaction of its own: the
 * caller must not hold one. OUT session_id, OUT hash: the refresh secret
 * to put into the refresh token (arena-owned, 64 hex chars). Errors: a
 * database error (PTL_ERR_BUSY, PTL_ERR_INTERNAL); nothing is written.
 */
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
 * §10.9), marking current_id: at most AUTH_MAX_SESSIONS of them (a user
 * can have more only after the setting was lowered, until the next
 * sign-in), with User-Agent and address clipped as ptl_session_create
 * does (rows stored before the limits), so at most PTL_SESSION_LIST_MAX
 * bytes. */
enum ptl_err ptl_session_list_json(struct ptl_app *app, int64_t user_id,
				   int64_t current_id, int64_t now_ms,
				   struct ptl_buf *out)
	__attribute__((warn_unused_result));

#endif
