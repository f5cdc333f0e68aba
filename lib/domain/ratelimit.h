/* SPDX-License-Identifier: ISC */
/*
 * ratelimit: fixed-window counters kept in the database, so that every
 * worker process shares them (API.md §10.7). A key names what is counted
 * ("login-ip:127.0.0.1", "login-fail:user@example.com").
 */
#ifndef PTL_RATELIMIT_H
#define PTL_RATELIMIT_H

#include <stdint.h>

#include "domain/app.h"

/*
 * The policies: what is counted, in which window, and how many are
 * allowed. One table in ratelimit.c holds every window and count; the
 * counts that are settings come from app->cfg (read at start).
 */
enum ptl_rl {
	PTL_RL_LOGIN_IP,   /* sign-ins per client IP: AUTH_RATE_LOGIN_IP / 5 min */
	PTL_RL_IP,         /* other public POSTs per IP: AUTH_RATE_IP / 5 min */
	PTL_RL_LOGIN_FAIL, /* failed sign-ins per account: AUTH_RATE_LOGIN_FAIL / 15 min */
	PTL_RL_MAIL,       /* mails of one kind to one address: 1 / minute */
	PTL_RL_MAIL_USER,  /* mails a request sends for one account: AUTH_RATE_MAIL_USER / hour */
	PTL_RL_MAIL_IP,    /* mails requests from one IP send: AUTH_RATE_MAIL_IP / hour */
	PTL_RL__MAX
};

/* Counts one event of policy for subject (an IP address, an email, ...) in
 * its window, which opens at the first event after the previous window
 * ended. Returns PTL_ERR_RATE_LIMITED (and OUT retry_after_s, the seconds
 * to the window's end) when the count passes the policy's limit; PTL_OK
 * otherwise. PTL_RL_LOGIN_FAIL only counts here (its limit is checked by
 * ptl_ratelimit_check() before the next attempt): it never refuses.
 * Records, once per window, a lockout when a PTL_RL_LOGIN_FAIL count
 * reaches its limit and a refusal when another count first passes its
 * limit (domain/audit.h). */
enum ptl_err ptl_ratelimit_hit(struct ptl_app *app, enum ptl_rl policy,
			       const char *subject, int64_t now_ms,
			       int *retry_after_s)
	__attribute__((warn_unused_result, nonnull));

/* Like ptl_ratelimit_hit, but only reads: limited when the count already
 * reached the policy's limit. */
enum ptl_err ptl_ratelimit_check(struct ptl_app *app, enum ptl_rl policy,
				 const char *subject, int64_t now_ms,
				 int *retry_after_s)
	__attribute__((warn_unused_result, nonnull));

/* The time before which every window of every policy has ended: a
 * counter that started before it counts nothing any more (`authportal gc`
 * deletes it). */
int64_t ptl_ratelimit_spent_before(int64_t now_ms);

/*
 * Counts one mail that a request is about to send (API.md §10.7): for the
 * account user_id (0: none, as for a sign-up, whose account is new)
 * against PTL_RL_MAIL_USER, and for the client ip (NULL: none) against
 * PTL_RL_MAIL_IP. Call it inside the write transaction that queues the
 * mail, before ptl_outbox_enqueue(): a refusal then rolls the counts back
 * with the rest. Returns PTL_ERR_RATE_LIMITED (OUT retry_after_s) when
 * either limit is passed; PTL_OK, counting nothing, under
 * AUTH_RATE_LIMIT=false; a database error.
 */
enum ptl_err ptl_ratelimit_mail(struct ptl_app *app, int64_t user_id,
				const char *ip, int64_t now_ms,
				int *retry_after_s)
	__attribute__((warn_unused_result, nonnull(1, 5)));

#endif
