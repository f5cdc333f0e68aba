/* SPDX-License-Identifier: ISC */
/*
 * audit: the audit log of security events (API.md §10, "Audit log"), the
 * one path by which a use case records one, and the retention rule that
 * `authportal gc` applies. A row holds the time, the event, the user and
 * the session when known, the client's IP and user agent (those of the
 * request being served: ptl_audit_set_origin()), a fixed word of detail
 * from the code, and, only for an event about an address that is no
 * account's, that address. Never a secret: no password, token, hash or
 * link code is ever passed here, and the detail is never request data.
 * Recording is best effort and bounded: one INSERT per event, a failure
 * logged and never returned, so that no request fails for its audit row.
 * Not responsible for deciding what is an event (the use cases call it).
 */
#ifndef PTL_AUDIT_H
#define PTL_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/app.h"

/* The events. Their names (ptl_audit_name) are stored: never renamed. */
enum ptl_audit_event {
	PTL_AUDIT_SIGNIN_OK,        /* email and password: session opened */
	PTL_AUDIT_SIGNIN_FAILED,    /* detail: unknown_account, wrong_password,
				     * social_account or locked */
	PTL_AUDIT_SIGNIN_SOCIAL,    /* reserved for social sign-in */
	PTL_AUDIT_SIGNIN_SOCIAL_FAILED, /* reserved for social sign-in */
	PTL_AUDIT_REFRESH_REUSE,    /* a rotated refresh token: session ended */
	PTL_AUDIT_SESSION_REVOKED,  /* one session ended; detail: why */
	PTL_AUDIT_LOGOUT,           /* detail: the scope */
	PTL_AUDIT_PASSWORD_CHANGED, /* PATCH /auth/me; other sessions ended */
	PTL_AUDIT_PASSWORD_RESET,   /* by a reset link; every session ended */
	PTL_AUDIT_EMAIL_CHANGED,    /* a confirm-new-email link was used */
	PTL_AUDIT_ACCOUNT_DELETED,  /* DELETE /auth/me */
	PTL_AUDIT_ACCOUNT_DISABLED, /* by an admin */
	PTL_AUDIT_RATE_LIMITED,     /* a window's first refusal; detail: policy */
	PTL_AUDIT_LOCKOUT,          /* an account's failed sign-ins reached the
				     * limit */
	PTL_AUDIT_ACCOUNT_ENABLED,  /* by an admin, after a disable */
	PTL_AUDIT_ROLE_CHANGED,     /* by an admin; detail: admin or user;
				     * every session ended */
	PTL_AUDIT__MAX
};

/* Bytes kept of the user agent, the IP and an address: stored as valid
 * UTF-8 (a stray byte becomes U+FFFD), cut before the first character
 * that would not fit whole. */
#define PTL_AUDIT_UA_MAX 512
#define PTL_AUDIT_IP_MAX 64
#define PTL_AUDIT_EMAIL_MAX 320

/* The stored name of event ("signin_failed"); NULL for no event. Static. */
const char *ptl_audit_name(enum ptl_audit_event event);

/*
 * Sets the client that later events name: the web layer calls it with the
 * request's address and User-Agent header when a request starts, and with
 * NULL, NULL when it ends (as ptl_log_set_request does for the log). Both
 * are borrowed until the next call; either may be NULL.
 */
void ptl_audit_set_origin(struct ptl_app *app, const char *ip,
			  const char *user_agent) __attribute__((nonnull(1)));

/*
 * Records event about user_id and session_id (0: not known), with detail
 * (a fixed word from the code, or NULL), at now_ms. Best effort: a
 * failure is logged and the caller goes on.
 */
void ptl_audit_record(struct ptl_app *app, enum ptl_audit_event event,
		      int64_t user_id, int64_t session_id, const char *detail,
		      int64_t now_ms) __attribute__((nonnull(1)));

/*
 * Records event about the account of email (normalised), known or not:
 * the row names the user when any user, deleted ones included, has the
 * address, else the address itself (so that an admin sees which addresses
 * are tried). The lookup runs in both cases, so its cost tells nothing.
 * Best effort, as ptl_audit_record.
 */
void ptl_audit_record_address(struct ptl_app *app, enum ptl_audit_event event,
			      const char *email, const char *detail,
			      int64_t now_ms) __attribute__((nonnull(1)));

/*
 * Parses the --since argument of `authportal audit`: an ISO 8601 date or
 * time in UTC ("2025-11-25", "2025-11-25T10:00", "2025-11-25T10:00:00Z",
 * with optional .mmm) or a duration back from now_ms with its unit ("24h",
 * "7d", "30m": base/str.h's ms format; a bare number is refused). OUT
 * since_ms. false when s is neither.
 */
bool ptl_audit_parse_since(const char *s, int64_t now_ms, int64_t *since_ms)
	__attribute__((warn_unused_result, nonnull));

/* What ptl_audit_gc() removed. */
struct ptl_audit_gc {
	int64_t audit_rows;  /* older than AUDIT_RETENTION_DAYS */
	int64_t sessions;    /* ended (revoked or expired) that long ago */
	int64_t mails;       /* delivered or given up that long ago */
	int64_t rate_limits; /* windows of every policy that are over */
};

/*
 * The retention rule, for `authportal gc` (from cron): deletes audit rows
 * older than cfg.audit_retention_days, sessions that ended that long ago,
 * outbox rows delivered or given up that long ago, and rate-limit windows
 * that are over (ptl_ratelimit_spent_before). Deletes in batches of a thousand
 * rows, each its own short write, so that workers are never held up for
 * long. OUT out: the counts. Errors: a database error (what was deleted
 * before it stays deleted).
 */
enum ptl_err ptl_audit_gc(struct ptl_app *app, int64_t now_ms,
			  struct ptl_audit_gc *out)
	__attribute__((warn_unused_result, nonnull));

#endif
