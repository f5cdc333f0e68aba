/* SPDX-License-Identifier: ISC */
/*
 * ratelimit: see ratelimit.h. One UPSERT ... RETURNING per event. A window
 * opens at the first event after the previous window ended (not on the
 * clock's minute): a limit of one mail a minute then really keeps a minute
 * between two mails. The failed-sign-in budgets also keep the time of the
 * last failure, from which their delay runs (OWASP's "Slow Down Online
 * Guessing Attacks with Device Cookies": a budget for each device cookie
 * and one for every client without it, delayed rather than locked).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "domain/audit.h"
#include "domain/ratelimit.h"

#define DAY_MS (24 * 3600 * 1000LL)

static int
seconds_until(int64_t end_ms, int64_t now_ms)
{
	int64_t left = end_ms - now_ms;

	return left > 0 ? (int)((left + 999) / 1000) : 0;
}

/* The count of a key: how many events in the window that opened at
 * start, the last at last. */
struct window {
	int64_t count, start, last;
};

/* Runs q (RATE_HIT or RATE_PEEK) for key. OUT w. */
static enum ptl_err
window(struct ptl_app *app, enum ptl_q q, const char *key, int64_t window_ms,
       int64_t now_ms, struct window *w)
{
	struct ptl_stmt *st = ptl_db_q(app->db, q);
	bool row;
	enum ptl_err e;

	w->count = 0;
	w->start = now_ms;
	w->last = now_ms;
	ptl_db_bind_textz(st, 1, key);
	ptl_db_bind_int(st, 2, now_ms);
	ptl_db_bind_int(st, 3, window_ms);
	e = ptl_db_step(st, &row);
	if (e == PTL_OK && row) {
		w->count = ptl_db_int(st, PTL_COL_RATE_COUNT);
		w->start = ptl_db_int(st, PTL_COL_RATE_WINDOW_START);
		w->last = ptl_db_int(st, PTL_COL_RATE_LAST_AT);
	}
	ptl_db_done(st);
	return e;
}

/* Every window and limit (API.md §10.7). A key in the table is the
 * policy's name, then ':' and the subject. A policy that grows counts
 * failures: it never refuses the event itself, and refuses the next
 * attempt while the delay after the last one runs. */
static const struct {
	const char *name;
	int64_t window_ms;
	bool grows;
} policies[PTL_RL__MAX] = {
	[PTL_RL_LOGIN_IP] = {"login-ip", 5 * 60 * 1000, false},
	[PTL_RL_IP] = {"ip", 5 * 60 * 1000, false},
	[PTL_RL_LOGIN_FAIL] = {"login-fail", DAY_MS, true},
	[PTL_RL_MAIL] = {"mail", 60 * 1000, false},
	[PTL_RL_MAIL_USER] = {"mail-user", 60 * 60 * 1000, false},
	[PTL_RL_MAIL_IP] = {"mail-ip", 60 * 60 * 1000, false},
	[PTL_RL_LOGIN_FAIL_DEVICE] = {"login-fail-device", DAY_MS, true},
};

static unsigned
policy_limit(const struct ptl_app *app, enum ptl_rl policy)
{
	switch (policy) {
	case PTL_RL_LOGIN_IP:
		return app->cfg.rl_login_ip;
	case PTL_RL_IP:
		return app->cfg.rl_ip;
	case PTL_RL_LOGIN_FAIL:
	case PTL_RL_LOGIN_FAIL_DEVICE:
		return app->cfg.rl_login_fail;
	case PTL_RL_MAIL_USER:
		return app->cfg.rl_mail_user;
	case PTL_RL_MAIL_IP:
		return app->cfg.rl_mail_ip;
	case PTL_RL_MAIL:
	case PTL_RL__MAX:
		break;
	}
	return 1;
}

/* The prefix of in6 is the IPv4-mapped one, ::ffff:0:0/96 (RFC 4291
 * §2.5.5.2). */
static bool
v4_mapped(const unsigned char a[16])
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0,
						 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

const char *
ptl_ratelimit_net(const char *subject, char *buf, size_t size)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	int n;

	if (size < PTL_RATELIMIT_NET_MAX)
		return subject;
	if (inet_pton(AF_INET, subject, a) == 1)
		return inet_ntop(AF_INET, a, buf, (socklen_t)size) != NULL
			       ? buf
			       : subject;
	if (inet_pton(AF_INET6, subject, a) != 1)
		return subject;
	if (v4_mapped(a))
		return inet_ntop(AF_INET, a + 12, buf, (socklen_t)size) != NULL
			       ? buf
			       : subject;
	memset(a + 8, 0, 8);
	if (inet_ntop(AF_INET6, a, text, sizeof(text)) == NULL)
		return subject;
	n = snprintf(buf, size, "%s/64", text);
	return n > 0 && (size_t)n < size ? buf : subject;
}

/* "<policy>:<subject>", or NULL when it would not fit (the subjects are
 * validated emails and addresses, far shorter). */
static const char *
policy_key(char *buf, size_t size, enum ptl_rl policy, const char *subject)
{
	char net[PTL_RATELIMIT_NET_MAX];
	int n;

	PTL_ASSERT((unsigned)policy < PTL_RL__MAX);
	n = snprintf(buf, size, "%s:%s", policies[policy].name,
		     ptl_ratelimit_net(subject, net, sizeof(net)));
	return n > 0 && (size_t)n < size ? buf : NULL;
}

/* The audit events of a hit: once per window, at the count that reaches
 * the limit (a failure budget spent: delays begin) or first passes it (a
 * refusal). A device budget's subject is its device id, not an address. */
static void
audit_hit(struct ptl_app *app, enum ptl_rl policy, const char *subject,
	  int64_t count, int64_t now_ms)
{
	int64_t limit = (int64_t)policy_limit(app, policy);

	if (policy == PTL_RL_LOGIN_FAIL && count == limit)
		ptl_audit_record_address(app, PTL_AUDIT_LOCKOUT, subject,
					 policies[policy].name, now_ms);
	else if (policy == PTL_RL_LOGIN_FAIL_DEVICE && count == limit)
		ptl_audit_record(app, PTL_AUDIT_LOCKOUT, 0, 0,
				 policies[policy].name, now_ms);
	else if (!policies[policy].grows && count == limit + 1)
		ptl_audit_record(app, PTL_AUDIT_RATE_LIMITED, 0, 0,
				 policies[policy].name, now_ms);
}

int64_t
ptl_ratelimit_delay_s(int64_t failures, unsigned limit, int64_t max_s)
{
	int64_t past = failures - (int64_t)limit;

	if (past < 0)
		return 0;
	if (past >= 40 || ((int64_t)1 << past) > max_s)
		return max_s;
	return (int64_t)1 << past;
}

enum ptl_err
ptl_ratelimit_hit(struct ptl_app *app, enum ptl_rl policy, const char *subject,
		  int64_t now_ms, int *retry_after_s)
{
	char buf[1200];
	const char *key = policy_key(buf, sizeof(buf), policy, subject);
	int64_t window_ms;
	struct window w;
	enum ptl_err e;

	if (key == NULL)
		return PTL_ERR_BAD_REQUEST;
	window_ms = policies[policy].window_ms;
	e = window(app, PTL_Q_RATE_HIT, key, window_ms, now_ms, &w);
	if (e != PTL_OK)
		return e;
	audit_hit(app, policy, subject, w.count, now_ms);
	if (!policies[policy].grows &&
	    w.count > (int64_t)policy_limit(app, policy)) {
		*retry_after_s = seconds_until(w.start + window_ms, now_ms);
		PTL_LOG_SEC("rate limit reached for %s", key);
		return PTL_ERR_RATE_LIMITED;
	}
	return PTL_OK;
}

enum ptl_err
ptl_ratelimit_check(struct ptl_app *app, enum ptl_rl policy,
		    const char *subject, int64_t now_ms, int *retry_after_s)
{
	char buf[1200];
	const char *key = policy_key(buf, sizeof(buf), policy, subject);
	unsigned limit = policy_limit(app, policy);
	int64_t window_ms, delay_ms;
	struct window w;
	enum ptl_err e;

	if (key == NULL)
		return PTL_ERR_BAD_REQUEST;
	window_ms = policies[policy].window_ms;
	e = window(app, PTL_Q_RATE_PEEK, key, window_ms, now_ms, &w);
	if (e != PTL_OK)
		return e;
	if (!policies[policy].grows) {
		if (w.count < (int64_t)limit)
			return PTL_OK;
		*retry_after_s = seconds_until(w.start + window_ms, now_ms);
		return PTL_ERR_RATE_LIMITED;
	}
	delay_ms = 1000 * ptl_ratelimit_delay_s(w.count, limit,
						 app->cfg.rl_login_delay_max_s);
	if (delay_ms == 0 || now_ms >= w.last + delay_ms)
		return PTL_OK;
	*retry_after_s = seconds_until(w.last + delay_ms, now_ms);
	PTL_LOG_SEC("sign-in delayed %d s for %s", *retry_after_s, key);
	return PTL_ERR_RATE_LIMITED;
}

int64_t
ptl_ratelimit_spent_before(int64_t now_ms)
{
	int64_t longest = 0;
	size_t i;

	for (i = 0; i < PTL_RL__MAX; i++) {
		if (policies[i].window_ms > longest)
			longest = policies[i].window_ms;
	}
	return now_ms - longest;
}

enum ptl_err
ptl_ratelimit_mail(struct ptl_app *app, int64_t user_id, const char *ip,
		   int64_t now_ms, int *retry_after_s)
{
	char subject[32];
	enum ptl_err e = PTL_OK;

	if (!app->cfg.rate_limit)
		return PTL_OK;
	if (user_id > 0) {
		(void)snprintf(subject, sizeof(subject), "%lld",
			       (long long)user_id);
		e = ptl_ratelimit_hit(app, PTL_RL_MAIL_USER, subject, now_ms,
				      retry_after_s);
	}
	if (e == PTL_OK && ip != NULL && *ip != '\0')
		e = ptl_ratelimit_hit(app, PTL_RL_MAIL_IP, ip, now_ms,
				      retry_after_s);
	return e;
}
