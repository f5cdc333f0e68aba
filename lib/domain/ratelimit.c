/* SPDX-License-Identifier: ISC */
/*
 * ratelimit: see ratelimit.h. One UPSERT ... RETURNING per event. A window
 * opens at the first event after the previous window ended (not on the
 * clock's minute): a limit of one mail a minute then really keeps a minute
 * between two mails.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>

#include "base/log.h"
#include "domain/audit.h"
#include "domain/ratelimit.h"

static int
retry_after(int64_t window_start, int64_t window_ms, int64_t now_ms)
{
	int64_t left = window_start + window_ms - now_ms;

	return (int)((left + 999) / 1000);
}

/* Runs q (RATE_HIT or RATE_PEEK) for key: OUT count and window start. */
static enum ptl_err
window(struct ptl_app *app, enum ptl_q q, const char *key, int64_t window_ms,
       int64_t now_ms, int64_t *count, int64_t *start)
{
	struct ptl_stmt *st = ptl_db_q(app->db, q);
	bool row;
	enum ptl_err e;

	*count = 0;
	*start = now_ms;
	ptl_db_bind_textz(st, 1, key);
	ptl_db_bind_int(st, 2, now_ms);
	ptl_db_bind_int(st, 3, window_ms);
	e = ptl_db_step(st, &row);
	if (e == PTL_OK && row) {
		*count = ptl_db_int(st, PTL_COL_RATE_COUNT);
		*start = ptl_db_int(st, PTL_COL_RATE_WINDOW_START);
	}
	ptl_db_done(st);
	return e;
}

/* Every window and limit (API.md §10.7). A key in the table is the
 * policy's name, then ':' and the subject. */
static const struct {
	const char *name;
	int64_t window_ms;
} policies[PTL_RL__MAX] = {
	[PTL_RL_LOGIN_IP] = {"login-ip", 5 * 60 * 1000},
	[PTL_RL_IP] = {"ip", 5 * 60 * 1000},
	[PTL_RL_LOGIN_FAIL] = {"login-fail", 15 * 60 * 1000},
	[PTL_RL_MAIL] = {"mail", 60 * 1000},
	[PTL_RL_MAIL_USER] = {"mail-user", 60 * 60 * 1000},
	[PTL_RL_MAIL_IP] = {"mail-ip", 60 * 60 * 1000},
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

/* "<policy>:<subject>", or NULL when it would not fit (the subjects are
 * validated emails and addresses, far shorter). */
static const char *
policy_key(char *buf, size_t size, enum ptl_rl policy, const char *subject)
{
	int n;

	PTL_ASSERT((unsigned)policy < PTL_RL__MAX);
	n = snprintf(buf, size, "%s:%s", policies[policy].name, subject);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

/* The audit events of a hit: once per window, at the count that reaches
 * the limit (a lockout) or first passes it (a refusal). */
static void
audit_hit(struct ptl_app *app, enum ptl_rl policy, const char *subject,
	  int64_t count, int64_t now_ms)
{
	int64_t limit = (int64_t)policy_limit(app, policy);

	if (policy == PTL_RL_LOGIN_FAIL && count == limit)
		ptl_audit_record_address(app, PTL_AUDIT_LOCKOUT, subject,
					 policies[policy].name, now_ms);
	else if (policy != PTL_RL_LOGIN_FAIL && count == limit + 1)
		ptl_audit_record(app, PTL_AUDIT_RATE_LIMITED, 0, 0,
				 policies[policy].name, now_ms);
}

enum ptl_err
ptl_ratelimit_hit(struct ptl_app *app, enum ptl_rl policy, const char *subject,
		  int64_t now_ms, int *retry_after_s)
{
	char buf[1200];
	const char *key = policy_key(buf, sizeof(buf), policy, subject);
	int64_t window_ms, count, start;
	enum ptl_err e;

	if (key == NULL)
		return PTL_ERR_BAD_REQUEST;
	window_ms = policies[policy].window_ms;
	e = window(app, PTL_Q_RATE_HIT, key, window_ms, now_ms, &count, &start);
	if (e != PTL_OK)
		return e;
	audit_hit(app, policy, subject, count, now_ms);
	if (policy != PTL_RL_LOGIN_FAIL &&
	    count > (int64_t)policy_limit(app, policy)) {
		*retry_after_s = retry_after(start, window_ms, now_ms);
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
	int64_t window_ms, count, start;
	enum ptl_err e;

	if (key == NULL)
		return PTL_ERR_BAD_REQUEST;
	window_ms = policies[policy].window_ms;
	e = window(app, PTL_Q_RATE_PEEK, key, window_ms, now_ms, &count, &start);
	if (e != PTL_OK)
		return e;
	if (count >= (int64_t)policy_limit(app, policy)) {
		*retry_after_s = retry_after(start, window_ms, now_ms);
		return PTL_ERR_RATE_LIMITED;
	}
	return PTL_OK;
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
