/* SPDX-License-Identifier: ISC */
/*
 * test_audit: lib/domain/audit.c on a temp database with a fixed clock.
 * Every event has a stable name; a row names the client of
 * ptl_audit_set_origin() and stores unknown ids as NULL; the user agent
 * and the IP are capped on a UTF-8 boundary; an event about an address
 * names the account (deleted ones too) or else the address; a failure to
 * record is only logged; the rate-limit events come once per window; the
 * --since parser; and gc removes exactly what is past its retention, in
 * batches.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "base/utf8.h"
#include "domain/account.h"
#include "domain/audit.h"
#include "domain/ratelimit.h"
#include "fixture.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define DAY_MS 86400000LL

static struct ptl_app app;
static struct ptl_arena *arena;
static int64_t alice;

static long long
q(const char *sql)
{
	return fix_sql_int(fix_path("auth.db"), sql);
}

static long long qf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long
qf(const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return q(sql);
}

/* One hit; its refusal is what the test looks at in the log, not here. */
static void
hit(enum ptl_rl policy, const char *subject, int64_t now)
{
	int retry = 0;

	if (ptl_ratelimit_hit(&app, policy, subject, now, &retry) != PTL_OK)
		return;
}

static void
test_names(void)
{
	int i, j;
	bool all = true, unique = true;

	for (i = 0; i < PTL_AUDIT__MAX; i++) {
		const char *n = ptl_audit_name((enum ptl_audit_event)i);

		if (n == NULL || *n == '\0') {
			all = false;
			continue;
		}
		for (j = 0; j < i; j++) {
			const char *m = ptl_audit_name((enum ptl_audit_event)j);

			if (m != NULL && strcmp(m, n) == 0)
				unique = false;
		}
	}
	ok(all, "every event has a name");
	ok(unique, "  and no two share one");
	ok(ptl_audit_name(PTL_AUDIT__MAX) == NULL, "no name past the table");
	/* Stored names are part of the data: these must never change. */
	is_str(ptl_audit_name(PTL_AUDIT_SIGNIN_OK), "signin_ok", "signin_ok");
	is_str(ptl_audit_name(PTL_AUDIT_SIGNIN_FAILED), "signin_failed",
	       "signin_failed");
	is_str(ptl_audit_name(PTL_AUDIT_SIGNIN_SOCIAL), "signin_social",
	       "signin_social (reserved)");
	is_str(ptl_audit_name(PTL_AUDIT_REFRESH_REUSE), "refresh_reuse",
	       "refresh_reuse (as before the audit module)");
	is_str(ptl_audit_name(PTL_AUDIT_LOCKOUT), "lockout", "lockout");
}

static void
test_record(void)
{
	ptl_audit_set_origin(&app, "192.0.2.7", "UnitAgent/1.0");
	ptl_audit_record(&app, PTL_AUDIT_LOGOUT, alice, 42, "local", T0);
	is_int(qf("SELECT count(*) FROM audit_log WHERE event = 'logout' "
		  "AND at = %lld AND user_id IS NOT NULL AND session_id = 42 "
		  "AND ip = '192.0.2.7' AND user_agent = 'UnitAgent/1.0' AND "
		  "detail = 'local' AND email IS NULL",
		  T0),
	       1, "a row with time, user, session, IP, user agent, detail");
	is_int(qf("SELECT user_id = %lld FROM audit_log WHERE event = "
		  "'logout'",
		  (long long)alice),
	       1, "  the user's id");
	ptl_audit_record(&app, PTL_AUDIT_PASSWORD_RESET, 0, 0, NULL, T0);
	is_int(q("SELECT count(*) FROM audit_log WHERE event = "
		 "'password_reset' AND user_id IS NULL AND session_id IS NULL "
		 "AND detail IS NULL"),
	       1, "ids 0 and no detail are stored as NULL");
	ptl_audit_set_origin(&app, NULL, NULL);
	ptl_audit_record(&app, PTL_AUDIT_ACCOUNT_DISABLED, alice, 0, NULL, T0);
	is_int(q("SELECT count(*) FROM audit_log WHERE event = "
		 "'account_disabled' AND ip IS NULL AND user_agent IS NULL"),
	       1, "no origin (the CLI): IP and user agent NULL");
	ptl_audit_record(&app, PTL_AUDIT__MAX, alice, 0, NULL, T0);
	is_int(q("SELECT count(*) FROM audit_log WHERE event IS NULL OR "
		 "event = ''"),
	       0, "an event outside the table writes nothing");
}

/* The stored user agent of the last row of event, its byte length and
 * whether it is valid UTF-8. */
static void
ua_of(const char *event, long long *len, bool *utf8)
{
	char sql[256];

	(void)snprintf(sql, sizeof(sql),
		       "SELECT length(CAST(user_agent AS BLOB)) FROM audit_log "
		       "WHERE event = '%s' ORDER BY id DESC LIMIT 1",
		       event);
	*len = q(sql);
	(void)snprintf(sql, sizeof(sql),
		       "SELECT count(*) FROM audit_log WHERE event = '%s' AND "
		       "CAST(CAST(user_agent AS BLOB) AS TEXT) = user_agent",
		       event);
	*utf8 = q(sql) > 0;
}

static void
test_caps(void)
{
	char ua[1100], ip[200];
	long long len;
	bool utf8;
	size_t i;

	memset(ua, 'a', 600);
	ua[600] = '\0';
	memset(ip, '1', 150);
	ip[150] = '\0';
	ptl_audit_set_origin(&app, ip, ua);
	ptl_audit_record(&app, PTL_AUDIT_SIGNIN_OK, alice, 1, NULL, T0);
	ua_of("signin_ok", &len, &utf8);
	is_int(len, PTL_AUDIT_UA_MAX, "a 600-byte user agent keeps 512 bytes");
	is_int(q("SELECT length(ip) FROM audit_log WHERE event = "
		 "'signin_ok'"),
	       PTL_AUDIT_IP_MAX, "an IP keeps at most 64 bytes");

	/* "é" (2 bytes) across the cut: 511 bytes of 'a', then é. */
	memset(ua, 'a', 511);
	memcpy(ua + 511, "\xc3\xa9tail", 7);
	ptl_audit_set_origin(&app, "192.0.2.8", ua);
	ptl_audit_record(&app, PTL_AUDIT_SIGNIN_FAILED, 0, 0, "t1", T0);
	ua_of("signin_failed", &len, &utf8);
	is_int(len, 511, "a two-byte character across the cut goes whole");
	ok(utf8, "  what is kept is valid UTF-8");

	/* A four-byte character ending exactly at 512 is kept. */
	memset(ua, 'b', 508);
	memcpy(ua + 508, "\xf0\x9f\x98\x80zz", 7);
	ptl_audit_set_origin(&app, "192.0.2.8", ua);
	ptl_audit_record(&app, PTL_AUDIT_SESSION_REVOKED, 0, 0, "t2", T0);
	ua_of("session_revoked", &len, &utf8);
	is_int(len, 512, "a four-byte character that fits is kept");

	/* Three bytes of a four-byte character before the cut. */
	for (i = 0; i < 509; i++)
		ua[i] = 'c';
	memcpy(ua + 509, "\xf0\x9f\x98\x80", 5);
	ptl_audit_set_origin(&app, "192.0.2.8", ua);
	ptl_audit_record(&app, PTL_AUDIT_EMAIL_CHANGED, 0, 0, "t3", T0);
	ua_of("email_changed", &len, &utf8);
	is_int(len, 509, "  one that does not fit is dropped whole");
	ok(utf8, "  valid UTF-8");

	/* Bytes that are not UTF-8: each becomes U+FFFD (3 bytes). */
	memset(ua, 0xff, 300);
	ua[300] = '\0';
	ptl_audit_set_origin(&app, "192.0.2.8", ua);
	ptl_audit_record(&app, PTL_AUDIT_LOGOUT, 0, 0, "t4", T0);
	ua_of("logout", &len, &utf8);
	is_int(len, 510, "300 stray bytes: 170 U+FFFD fit in 512 bytes");
	ok(utf8, "  valid UTF-8");
	ptl_audit_set_origin(&app, "192.0.2.8", "a\xc3(b\xed\xa0\x80" "c\x1b");
	ptl_audit_record(&app, PTL_AUDIT_PASSWORD_CHANGED, 0, 0, "t5", T0);
	is_int(q("SELECT count(*) FROM audit_log WHERE event = "
		 "'password_changed' AND user_agent = 'a' || char(65533) || "
		 "'(b' || char(65533, 65533, 65533) || 'c' || char(27)"),
	       1, "a truncated sequence and a surrogate are replaced, "
		  "controls kept");
	ptl_audit_set_origin(&app, NULL, NULL);
}

static void
test_address(void)
{
	int64_t gone = fix_user(&app, "gone@example.com", NULL, "email", 2);

	ok(ptl_account_delete(&app, gone, T0) == PTL_OK, "a deleted user");
	ptl_audit_set_origin(&app, "198.51.100.1", "Addr/1");
	ptl_audit_record_address(&app, PTL_AUDIT_LOCKOUT, "alice@example.com",
				 "login-fail", T0);
	is_int(qf("SELECT count(*) FROM audit_log WHERE event = 'lockout' AND "
		  "user_id = %lld AND email IS NULL AND ip = '198.51.100.1'",
		  (long long)alice),
	       1, "a known address: the user, not the address");
	ptl_audit_record_address(&app, PTL_AUDIT_LOCKOUT, "gone@example.com",
				 "login-fail", T0);
	is_int(qf("SELECT count(*) FROM audit_log WHERE event = 'lockout' AND "
		  "user_id = %lld AND email IS NULL",
		  (long long)gone),
	       1, "  a deleted user's address too");
	ptl_audit_record_address(&app, PTL_AUDIT_LOCKOUT, "nobody@example.com",
				 "login-fail", T0);
	is_int(q("SELECT count(*) FROM audit_log WHERE event = 'lockout' AND "
		 "user_id IS NULL AND email = 'nobody@example.com'"),
	       1, "an unknown address: the address");
	ptl_audit_set_origin(&app, NULL, NULL);
}

static void
test_best_effort(void)
{
	struct ptl_db *db = app.db;
	long long before = q("SELECT count(*) FROM audit_log");

	app.db = NULL;
	ptl_audit_record(&app, PTL_AUDIT_LOGOUT, alice, 1, NULL, T0);
	ptl_audit_record_address(&app, PTL_AUDIT_LOCKOUT, "a@example.com",
				 NULL, T0);
	app.db = db;
	ok(1, "no database: nothing recorded, no crash");
	/* A trigger makes the INSERT fail: the call returns all the same. */
	ok(fix_sql_exec(fix_path("auth.db"),
			"CREATE TRIGGER audit_fails BEFORE INSERT ON audit_log "
			"BEGIN SELECT RAISE(ABORT, 'refused'); END"),
	   "a trigger refuses audit rows");
	ptl_audit_record(&app, PTL_AUDIT_LOGOUT, alice, 1, NULL, T0);
	ok(1, "a failed INSERT is logged and not returned");
	ok(fix_sql_exec(fix_path("auth.db"), "DROP TRIGGER audit_fails"),
	   "  trigger dropped");
	is_int(q("SELECT count(*) FROM audit_log"), before,
	       "  nothing written");
}

static void
test_ratelimit_events(void)
{
	unsigned limit = app.cfg.rl_login_fail, i;

	ptl_audit_set_origin(&app, "203.0.113.9", "RL/1");
	for (i = 0; i < limit + 3; i++)
		hit(PTL_RL_LOGIN_FAIL, "alice@example.com", T0 + i);
	is_int(qf("SELECT count(*) FROM audit_log WHERE event = 'lockout' AND "
		  "at = %lld AND ip = '203.0.113.9'",
		  T0 + limit - 1),
	       1, "lockout once: at the failure that reaches the limit");
	is_int(qf("SELECT count(*) FROM audit_log WHERE event = 'lockout' AND "
		  "at > %lld",
		  T0),
	       1, "  and not again for the failures after it");
	for (i = 0; i < app.cfg.rl_ip + 5; i++)
		hit(PTL_RL_IP, "203.0.113.9", T0 + i);
	is_int(q("SELECT count(*) FROM audit_log WHERE event = "
		 "'rate_limited' AND detail = 'ip' AND ip = '203.0.113.9' "
		 "AND user_agent = 'RL/1'"),
	       1, "rate_limited once per window, at the first refusal");
	for (i = 0; i < app.cfg.rl_ip + 1; i++)
		hit(PTL_RL_IP, "203.0.113.9", T0 + 10 * 60 * 1000 + i);
	is_int(q("SELECT count(*) FROM audit_log WHERE event = "
		 "'rate_limited' AND detail = 'ip'"),
	       2, "  and once more in the next window");
	ptl_audit_set_origin(&app, NULL, NULL);
}

static void
test_since(void)
{
	static const struct {
		const char *in;
		bool good;
		int64_t want;
	} cases[] = {
		{"2025-11-25", true, 1764028800000LL},
		{"2025-11-25T10:00", true, 1764064800000LL},
		{"2025-11-25T10:00:00Z", true, 1764064800000LL},
		{"2025-11-25T10:00:00.250Z", true, 1764064800250LL},
		{"2025-11-25 10:00:01", true, 1764064801000LL},
		{"1970-01-01", true, 0},
		{"2024-02-29", true, 1709164800000LL},
		{"24h", true, T0 - 86400000LL},
		{"7d", true, T0 - 7 * 86400000LL},
		{"1.5h", true, T0 - 5400000LL},
		{"30m", true, T0 - 1800000LL},
		{"2025-02-29", false, 0},
		{"2025-13-01", false, 0},
		{"2025-11-31", false, 0},
		{"2025-11-25T24:00", false, 0},
		{"2025-11-25T10", false, 0},
		{"2025-11-25X", false, 0},
		{"2025-11-25T10:00+01:00", false, 0},
		{"1969-12-31", false, 0},
		{"900", false, 0},
		{"-1h", false, 0},
		{"h", false, 0},
		{"", false, 0},
		{"24x", false, 0},
		{"99999999d", false, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = -1;
		bool r = ptl_audit_parse_since(cases[i].in, T0, &got);

		if (cases[i].good)
			ok(r && got == cases[i].want, "--since %s: %lld",
			   cases[i].in, (long long)got);
		else
			ok(!r, "--since %s refused", cases[i].in);
	}
}

static void
test_gc(void)
{
	const char *db = fix_path("auth.db");
	int64_t keep_ms = app.cfg.audit_retention_days * DAY_MS;
	int64_t old = T0 - keep_ms - 1, recent = T0 - keep_ms + 1;
	struct ptl_audit_gc n;
	char *sql;

	is_int(app.cfg.audit_retention_days, 90, "AUDIT_RETENTION_DAYS: 90");
	ok(fix_sql_exec(db, "DELETE FROM audit_log; DELETE FROM rate_limits"),
	   "empty audit log");
	sql = ptl_mem_printf(
	    arena,
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 2500) INSERT INTO audit_log (at, event) SELECT %lld, "
	    "'old' FROM n; "
	    "INSERT INTO audit_log (at, event) VALUES (%lld, 'recent'); "
	    /* sessions: revoked long ago, expired long ago, revoked lately,
	     * live */
	    "INSERT INTO sessions (user_id, hash, nonce, created_at, "
	    "last_used_at, expires_at, revoked_at) VALUES "
	    "(%lld, x'01', x'01', 0, 0, %lld, %lld), "
	    "(%lld, x'02', x'02', 0, 0, %lld, NULL), "
	    "(%lld, x'03', x'03', 0, 0, %lld, %lld), "
	    "(%lld, x'04', x'04', 0, 0, %lld, NULL); "
	    /* mails: sent long ago, failed long ago, sent lately, queued
	     * long ago (never deleted) */
	    "INSERT INTO mail_outbox (kind, user_id, recipient, created_at, "
	    "next_attempt_at, sent_at, failed_at) VALUES "
	    "(0, %lld, 'a@example.com', 0, 0, %lld, NULL), "
	    "(0, %lld, 'a@example.com', 0, 0, NULL, %lld), "
	    "(0, %lld, 'a@example.com', 0, 0, %lld, NULL), "
	    "(0, %lld, 'a@example.com', 0, 0, NULL, NULL); "
	    /* rate limits: a window of two days ago (the longest lasts a
	     * day), one of a minute ago */
	    "INSERT INTO rate_limits (key, window_start, count) VALUES "
	    "('ip:old', %lld, 5), ('ip:new', %lld, 5);",
	    (long long)old, (long long)recent, (long long)alice,
	    (long long)(T0 + DAY_MS), (long long)old, (long long)alice,
	    (long long)old, (long long)alice, (long long)(T0 + DAY_MS),
	    (long long)recent, (long long)alice, (long long)(T0 + DAY_MS),
	    (long long)alice, (long long)old, (long long)alice,
	    (long long)old, (long long)alice, (long long)recent,
	    (long long)alice, (long long)(T0 - 2 * DAY_MS),
	    (long long)(T0 - 60000));
	if (!ok(fix_sql_exec(db, sql), "old and recent rows"))
		return;
	is_int(ptl_audit_gc(&app, T0, &n), PTL_OK, "gc");
	is_int(n.audit_rows, 2500, "2500 old audit rows (three batches)");
	is_int(q("SELECT count(*) FROM audit_log WHERE event = 'recent'"), 1,
	       "  the recent one stays");
	is_int(q("SELECT count(*) FROM audit_log"), 1, "  nothing else stays");
	is_int(n.sessions, 2, "2 sessions ended long ago");
	is_int(q("SELECT count(*) FROM sessions WHERE hash IN (x'03', x'04')"),
	       2, "  the lately revoked and the live one stay");
	is_int(n.mails, 2, "2 mails delivered or given up long ago");
	is_int(q("SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND "
		 "failed_at IS NULL"),
	       1, "  a queued mail stays, however old");
	is_int(n.rate_limits, 1, "1 spent rate-limit window");
	is_int(q("SELECT count(*) FROM rate_limits WHERE key = 'ip:new'"), 1,
	       "  the open window stays");
	is_int(ptl_audit_gc(&app, T0, &n), PTL_OK, "gc again");
	ok(n.audit_rows + n.sessions + n.mails + n.rate_limits == 0,
	   "  removes nothing more");
}

int
main(void)
{
	fix_app_open(&app);
	arena = ptl_mem_new();
	alice = fix_user(&app, "alice@example.com", NULL, "email", 2);
	ok(alice > 0, "a user");
	test_names();
	test_record();
	test_caps();
	test_address();
	test_best_effort();
	test_ratelimit_events();
	test_since();
	test_gc();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
