/* SPDX-License-Identifier: ISC */
/*
 * ratelimit: counters kept in the database, so that every worker process
 * shares them (API.md §10.7). A key names what is counted
 * ("login-ip:127.0.0.1", "login-fail:user@example.com"). Most policies
 * are fixed windows with a limit; the failed-sign-in budgets instead grow
 * a delay after each failure past their limit. A subject that is an IP
 * address is counted by its network (ptl_ratelimit_net()).
 */
#ifndef PTL_RATELIMIT_H
#define PTL_RATELIMIT_H

#include <stddef.h>
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
	PTL_RL_LOGIN_FAIL, /* failed sign-ins per account from clients without
			    * its device cookie: AUTH_RATE_LOGIN_FAIL, then
			    * growing delays; forgotten a day after the first */
	PTL_RL_MAIL,       /* mails of one kind to one address: 1 / minute */
	PTL_RL_MAIL_USER,  /* mails a request sends for one account: AUTH_RATE_MAIL_USER / hour */
	PTL_RL_MAIL_IP,    /* mails requests from one IP send: AUTH_RATE_MAIL_IP / hour */
	PTL_RL_LOGIN_FAIL_DEVICE, /* failed sign-ins with one device cookie
				   * (its id): as PTL_RL_LOGIN_FAIL */
	PTL_RL__MAX
};

/* Counts one event of policy for subject (an IP address, an email, ...) in
 * its window, which opens at the first event after the previous window
 * ended. Returns PTL_ERR_RATE_LIMITED (and OUT retry_after_s, the seconds
 * to the window's end) when the count passes the policy's limit; PTL_OK
 * otherwise. The failed-sign-in policies (PTL_RL_LOGIN_FAIL*) only count
 * here (ptl_ratelimit_check() refuses before the next attempt): they never
 * refuse. Records, once per window, a lockout when a failed-sign-in count
 * reaches its limit (its delays begin) and a refusal when another count
 * first passes its limit (domain/audit.h). PTL_ERR_BAD_REQUEST for a
 * subject over 1 KiB; a database error. */
enum ptl_err ptl_ratelimit_hit(struct ptl_app *app, enum ptl_rl policy,
			       const char *subject, int64_t now_ms,
			       int *retry_after_s)
	__attribute__((warn_unused_result, nonnull));

/* Like ptl_ratelimit_hit, but only reads: limited when the count already
 * reached the policy's limit. For the failed-sign-in policies: limited
 * while the delay after the last failure runs, which is 0 below
 * AUTH_RATE_LOGIN_FAIL failures and then 1 s, doubling with each further
 * failure up to AUTH_RATE_LOGIN_DELAY_MAX (OUT retry_after_s: the seconds
 * left of it). */
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

/* The delay in seconds after the failures-th failure of a budget whose
 * first limit failures are free: 0, then 1, 2, 4, ... up to max_s. */
int64_t ptl_ratelimit_delay_s(int64_t failures, unsigned limit, int64_t max_s);

/* Room for any result of ptl_ratelimit_net(), NUL included. */
#define PTL_RATELIMIT_NET_MAX 48

/*
 * The subject under which an address is counted: an IPv4 address as
 * itself ("192.0.2.1"), an IPv4-mapped IPv6 address (::ffff:192.0.2.1) as
 * that IPv4 address, any other IPv6 address as its /64 network in the
 * canonical form of RFC 5952 ("2001:db8:1:2::/64": one subscriber gets a
 * /64 or more, RFC 6177, so one per address would be no limit at all).
 * Returns buf (at least PTL_RATELIMIT_NET_MAX bytes) with it, or subject
 * itself when it is not an IP address (an email, "-").
 */
const char *ptl_ratelimit_net(const char *subject, char *buf, size_t size)
	__attribute__((nonnull));

#endif
