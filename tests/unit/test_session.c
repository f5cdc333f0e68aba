/* SPDX-License-Identifier: ISC */
/*
 * test_session: lib/domain/session.c on a temp database with a fixed clock.
 * Create and check; rotation hands out a new secret; a replayed secret
 * revokes the session (RFC 9700 §4.14) and is audited; the reuse interval
 * tolerates only the previous secret and only for its length; revocation
 * of one, owned, all and all-but-one sessions; the JSON list; expiry.
 * The caps of issue 9: the User-Agent and address a session keeps are
 * clipped on a UTF-8 boundary (ptl_utf8_clip's table), AUTH_MAX_SESSIONS
 * ends the least recently used session of a sign-in past it (revoked and
 * audited), and the list of a user at the largest limit with the worst
 * User-Agents fits PTL_SESSION_LIST_MAX.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <string.h>

#include "domain/account.h"
#include "fixture.h"
#include "base/mem.h"
#include "domain/session.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define DAY_MS 86400000LL
/* 64 hex characters no session ever issued. */
#define HASH_NEVER                                                             \
	"00000000000000000000000000000000000000000000000000000000000000ff"

static struct ptl_app app;
static struct ptl_arena *arena;
static int64_t alice, bob;

static bool
is_hex64(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 64)
		return false;
	for (i = 0; i < 64; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static int64_t
new_session(int64_t user, int64_t now, char **hash)
{
	int64_t id = 0;

	if (ptl_session_create(arena, &app, user, "UA/1", "127.0.0.1", now, &id,
			       hash) != PTL_OK)
		return 0;
	return id;
}

static enum ptl_err
rotate(int64_t id, const char *secret, int64_t now, char **out)
{
	int64_t user = 0, role = 0;

	*out = NULL;
	return ptl_session_rotate(arena, &app, id, secret, now, &user, &role,
				  out);
}

/* Whether session id is live and user's, through the query the endpoint
 * runs for every access token (ptl_account_get_by_session). */
static enum ptl_err
live(int64_t id, int64_t user, int64_t now)
{
	struct ptl_user u;
	enum ptl_err e = ptl_account_get_by_session(arena, &app, id, user, now,
						    &u);

	return e == PTL_ERR_NOT_FOUND ? PTL_ERR_UNAUTHORIZED : e;
}

static long long
audit_count(const char *event, int64_t session_id)
{
	char *sql = ptl_mem_printf(arena,
				   "SELECT count(*) FROM audit_log WHERE event = "
				   "'%s' AND session_id = %lld",
				   event, (long long)session_id);

	return fix_sql_int(fix_path("auth.db"), sql);
}

static void
test_rotate_and_reuse(void)
{
	char *h0 = NULL, *h1, *h2, *h3, *h;
	int64_t id = new_session(alice, T0, &h0), user = 0, role = 0;

	if (!ok(id > 0, "create"))
		return;
	ok(is_hex64(h0), "secret is 64 hex characters");
	is_int(live(id, alice, T0), PTL_OK, "check live");
	is_int(live(id, bob, T0), PTL_ERR_UNAUTHORIZED,
	       "check with another user");
	is_int(live(id + 1000, alice, T0), PTL_ERR_UNAUTHORIZED,
	       "check unknown session");

	is_int(ptl_session_rotate(arena, &app, id, h0, T0 + 1000, &user,
				  &role, &h1),
	       PTL_OK, "rotate with the secret");
	is_int(user, alice, "rotate tells the user");
	is_int(role, 2, "  and the user's role");
	ok(is_hex64(h1) && strcmp(h1, h0) != 0, "new secret differs");
	is_int(rotate(id, h1, T0 + 2000, &h2), PTL_OK, "rotate again");
	ok(is_hex64(h2) && strcmp(h2, h1) != 0 && strcmp(h2, h0) != 0,
	   "third secret differs from both");

	/* Replay of a rotated-away secret: reuse, the session ends. */
	is_int(rotate(id, h0, T0 + 3000, &h), PTL_ERR_UNAUTHORIZED,
	       "replay of the first secret");
	ok(h == NULL, "no secret handed out on reuse");
	is_int(live(id, alice, T0 + 3000), PTL_ERR_UNAUTHORIZED,
	       "session revoked after reuse");
	is_int(rotate(id, h2, T0 + 4000, &h3), PTL_ERR_UNAUTHORIZED,
	       "newest secret fails after reuse");
	is_int(audit_count("refresh_reuse", id), 1, "reuse audited once");
	is_int(fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT revoke_reason = 'refresh_reuse' "
					  "FROM sessions WHERE id = %lld",
					  (long long)id)),
	       1, "revoke reason recorded");

	/* The immediately previous secret is reuse too when the interval is
	 * 0 (the default). */
	id = new_session(alice, T0, &h0);
	ok(rotate(id, h0, T0 + 1, &h1) == PTL_OK, "rotate (interval 0)");
	is_int(rotate(id, h0, T0 + 2, &h), PTL_ERR_UNAUTHORIZED,
	       "previous secret at once, interval 0: reuse");
	is_int(live(id, alice, T0 + 2), PTL_ERR_UNAUTHORIZED,
	       "revoked");

	/* A secret that was never issued (a forged hash claim cannot be
	 * signed, but the session still ends). */
	id = new_session(alice, T0, &h0);
	is_int(rotate(id, HASH_NEVER, T0 + 1, &h), PTL_ERR_UNAUTHORIZED,
	       "unknown secret refused");
	is_int(rotate(id + 100000, h0, T0 + 1, &h), PTL_ERR_UNAUTHORIZED,
	       "unknown session refused");
}

static void
test_reuse_interval(void)
{
	char *h0 = NULL, *h1, *h2, *h;
	int64_t id;

	app.cfg.reuse_interval_s = 30;
	id = new_session(alice, T0, &h0);
	if (!ok(rotate(id, h0, T0 + 1000, &h1) == PTL_OK, "rotate (interval 30 s)"))
		goto out;
	is_int(rotate(id, h0, T0 + 11000, &h), PTL_OK,
	       "previous secret 10 s later: tolerated");
	is_str(h, h1, "tolerated reuse returns the CURRENT secret");
	is_int(live(id, alice, T0 + 11000), PTL_OK,
	       "session still live");
	is_int(rotate(id, h0, T0 + 31000, &h), PTL_OK,
	       "exactly 30 s after the rotation: tolerated");
	is_str(h, h1, "  still the current secret");
	is_int(rotate(id, h1, T0 + 32000, &h2), PTL_OK,
	       "the current secret still rotates");
	ok(h2 != NULL && strcmp(h2, h1) != 0, "  to a new one");
	/* h0 is now two generations old: never tolerated. */
	is_int(rotate(id, h0, T0 + 32001, &h), PTL_ERR_UNAUTHORIZED,
	       "two generations old: reuse");
	is_int(live(id, alice, T0 + 32001), PTL_ERR_UNAUTHORIZED,
	       "revoked");

	id = new_session(alice, T0, &h0);
	ok(rotate(id, h0, T0, &h1) == PTL_OK, "rotate");
	is_int(rotate(id, h0, T0 + 30001, &h), PTL_ERR_UNAUTHORIZED,
	       "previous secret 30.001 s later: reuse");
	is_int(live(id, alice, T0 + 30001), PTL_ERR_UNAUTHORIZED,
	       "revoked");
	/* A fresh session has no previous secret to tolerate. */
	id = new_session(alice, T0, &h0);
	is_int(rotate(id, HASH_NEVER, T0 + 1, &h), PTL_ERR_UNAUTHORIZED,
	       "fresh session, wrong secret, interval on: reuse");
out:
	app.cfg.reuse_interval_s = 0;
}

static void
test_revoke(void)
{
	char *h;
	int64_t a1 = new_session(alice, T0, &h);
	int64_t a2 = new_session(alice, T0, &h);
	int64_t a3 = new_session(alice, T0, &h);
	int64_t b1 = new_session(bob, T0, &h);

	is_int(ptl_session_revoke_owned(&app, b1, alice, "logout", T0),
	       PTL_ERR_NOT_FOUND, "revoke_owned of a foreign session");
	is_int(live(b1, bob, T0), PTL_OK, "  it stays live");
	is_int(ptl_session_revoke_owned(&app, a1, alice, "logout", T0), PTL_OK,
	       "revoke_owned of an own session");
	is_int(live(a1, alice, T0), PTL_ERR_UNAUTHORIZED,
	       "  it ended");
	is_int(ptl_session_revoke_owned(&app, a1, alice, "logout", T0),
	       PTL_ERR_NOT_FOUND, "revoke_owned twice");
	is_int(ptl_session_revoke_owned(&app, 999999, alice, "logout", T0),
	       PTL_ERR_NOT_FOUND, "revoke_owned of an unknown session");

	is_int(ptl_session_revoke_user(&app, alice, a2, "others", T0), PTL_OK,
	       "revoke_user keeping one");
	is_int(live(a2, alice, T0), PTL_OK, "  kept one live");
	is_int(live(a3, alice, T0), PTL_ERR_UNAUTHORIZED,
	       "  other one ended");
	is_int(live(b1, bob, T0), PTL_OK,
	       "  other user untouched");
	is_int(ptl_session_revoke_user(&app, alice, 0, "all", T0), PTL_OK,
	       "revoke_user all");
	is_int(live(a2, alice, T0), PTL_ERR_UNAUTHORIZED,
	       "  the kept one ended too");
	is_int(ptl_session_revoke(&app, b1, "admin", T0), PTL_OK, "revoke");
	is_int(ptl_session_revoke(&app, b1, "admin", T0), PTL_OK,
	       "revoke is idempotent");
	is_int(live(b1, bob, T0), PTL_ERR_UNAUTHORIZED,
	       "  ended");
	is_int(fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT revoke_reason = 'admin' FROM "
					  "sessions WHERE id = %lld",
					  (long long)b1)),
	       1, "second revoke keeps the first reason");
}

/* Whether session id was ended with reason. */
static bool
ended_as(int64_t id, const char *reason)
{
	return fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT count(*) FROM sessions WHERE "
					  "id = %lld AND revoke_reason = '%s'",
					  (long long)id, reason)) == 1;
}

static void
test_logout(void)
{
	char *h;
	int64_t l1 = new_session(alice, T0, &h),
		l2 = new_session(alice, T0, &h);
	int64_t o1 = new_session(alice, T0, &h), b1 = new_session(bob, T0, &h);
	int64_t keep, g1;
	struct ptl_refusal why;

	is_int(ptl_session_logout(&app, alice, l1, "sideways", T0, &why),
	       PTL_ERR_VALIDATION, "logout, an unknown scope");
	is_str(why.field, "scope", "  refused field scope");
	is_str(why.key, "invalidScope", "  key invalidScope");
	ok(live(l1, alice, T0) == PTL_OK, "  nothing ended");
	is_int(ptl_session_logout(&app, alice, l1, NULL, T0, &why), PTL_OK,
	       "logout, no scope");
	ok(live(l1, alice, T0) != PTL_OK && live(l2, alice, T0) == PTL_OK,
	   "  ends the caller's session alone (local)");
	ok(ended_as(l1, "logout"), "  reason logout");
	is_int(ptl_session_logout(&app, alice, l2, "", T0, &why), PTL_OK,
	       "logout, an empty scope");
	ok(live(l2, alice, T0) != PTL_OK && live(o1, alice, T0) == PTL_OK,
	   "  is local too");
	keep = new_session(alice, T0, &h);
	is_int(ptl_session_logout(&app, alice, keep, "others", T0, &why),
	       PTL_OK, "logout, scope others");
	ok(live(keep, alice, T0) == PTL_OK && live(o1, alice, T0) != PTL_OK,
	   "  keeps the caller's session, ends the others");
	ok(ended_as(o1, "logout_others"), "  reason logout_others");
	ok(live(b1, bob, T0) == PTL_OK, "  not another user's");
	g1 = new_session(alice, T0, &h);
	is_int(ptl_session_logout(&app, alice, keep, "global", T0, &why),
	       PTL_OK, "logout, scope global");
	ok(live(keep, alice, T0) != PTL_OK && live(g1, alice, T0) != PTL_OK,
	   "  ends them all");
	ok(ended_as(keep, "logout_global") && ended_as(g1, "logout_global"),
	   "  reason logout_global");
	ok(live(b1, bob, T0) == PTL_OK, "  not another user's");
}

static void
test_list(void)
{
	int64_t carol = fix_user(&app, "carol@example.com", NULL, "email", 2);
	int64_t s1 = 0, s2 = 0, s3 = 0;
	char *h, *want;
	struct ptl_buf b;

	ptl_buf_init(&b, arena, 64, 4096);
	ok(ptl_session_list_json(&app, carol, 0, T0, &b) == PTL_OK, "empty list");
	is_str(b.data, "[]", "  is []");

	ok(ptl_session_create(arena, &app, carol, "Mozilla \"5\"\n", "10.0.0.1",
			      T0, &s1, &h) == PTL_OK &&
		   ptl_session_create(arena, &app, carol, NULL, NULL, T0 + 1000,
				      &s2, &h) == PTL_OK &&
		   ptl_session_create(arena, &app, carol, "gone", "10.0.0.3",
				      T0 + 2000, &s3, &h) == PTL_OK,
	   "three sessions");
	ok(ptl_session_revoke(&app, s3, "logout", T0) == PTL_OK, "end the third");
	ptl_buf_init(&b, arena, 64, 4096);
	ok(ptl_session_list_json(&app, carol, s2, T0 + 5000, &b) == PTL_OK,
	   "list");
	want = ptl_mem_printf(
		arena,
		"[{\"id\":%lld,\"createdAt\":\"2025-11-26T00:00:00.123Z\","
		"\"lastUsedAt\":\"2025-11-26T00:00:00.123Z\",\"userAgent\":null,"
		"\"ip\":null,\"current\":true},"
		"{\"id\":%lld,\"createdAt\":\"2025-11-25T23:59:59.123Z\","
		"\"lastUsedAt\":\"2025-11-25T23:59:59.123Z\","
		"\"userAgent\":\"Mozilla \\\"5\\\"\xef\xbf\xbd\",\"ip\":\"10.0.0.1\","
		"\"current\":false}]",
		(long long)s2, (long long)s1);
	is_str(b.data, want, "list JSON, newest first, live only, exact bytes");

	/* Expired sessions drop out of the list. */
	ptl_buf_init(&b, arena, 64, 4096);
	ok(ptl_session_list_json(&app, carol, 0, T0 + 30 * DAY_MS + 500, &b) ==
		   PTL_OK,
	   "list after the first expired");
	want = ptl_mem_printf(arena, "[{\"id\":%lld,", (long long)s2);
	ok(strncmp(b.data, want, strlen(want)) == 0 && strstr(b.data, "},{") == NULL,
	   "  only the second is left");
}

static void
test_expiry(void)
{
	char *h0 = NULL, *h1, *h;
	int64_t id = new_session(alice, T0, &h0);
	int64_t end = T0 + app.cfg.refresh_ttl_ms;

	is_int(live(id, alice, end - 1), PTL_OK,
	       "live 1 ms before expiry");
	is_int(live(id, alice, end), PTL_ERR_UNAUTHORIZED,
	       "expired at expires_at");
	is_int(rotate(id, h0, end, &h), PTL_ERR_UNAUTHORIZED,
	       "rotate at expiry refused");
	is_int(live(id, alice, end - 1), PTL_OK,
	       "  an expired rotation revokes nothing");
	is_int(rotate(id, h0, end - 10, &h1), PTL_OK, "rotate just before expiry");
	is_int(live(id, alice, end + DAY_MS), PTL_OK,
	       "rotation slides the expiry");
	is_int(ptl_session_revoke_owned(&app, id, alice, "x",
					end - 10 + app.cfg.refresh_ttl_ms),
	       PTL_ERR_NOT_FOUND, "revoke_owned of an expired session");
	/* Through the app clock too. */
	app.fake_now_ms = end - 10 + app.cfg.refresh_ttl_ms;
	is_int(live(id, alice, ptl_app_now_ms(&app)),
	       PTL_ERR_UNAUTHORIZED, "expired on the fake clock");
	app.fake_now_ms = T0;
}

/* ---- the caps of issue 9 -------------------------------------------------- */

#define B(s) s, sizeof(s) - 1

static const struct {
	const char *in;
	size_t len, max;
	const char *want;
	const char *name;
} clip_cases[] = {
    {B("Mozilla/5.0"), 512, "Mozilla/5.0", "short ASCII kept"},
    {B("abcdef"), 4, "abcd", "ASCII cut at max"},
    {B("abcdef"), 0, "", "max 0"},
    {B(""), 8, "", "empty"},
    {B("abcd\xc3\xa9"), 5, "abcd", "2-byte sequence across max: left out"},
    {B("abcd\xc3\xa9"), 6, "abcd\xc3\xa9", "2-byte sequence that fits"},
    {B("ab\xe2\x82\xac"), 4, "ab", "3-byte sequence across max"},
    {B("ab\xe2\x82\xac"), 5, "ab\xe2\x82\xac", "3-byte sequence that fits"},
    {B("a\xf0\x9f\x98\x80"), 4, "a", "4-byte sequence across max"},
    {B("a\xf0\x9f\x98\x80z"), 5, "a\xf0\x9f\x98\x80", "4-byte, then cut"},
    {B("a\xffz"), 8, "a\xef\xbf\xbdz", "invalid byte: U+FFFD"},
    {B("a\xff"), 3, "a", "U+FFFD that does not fit: left out"},
    {B("a\x80\x80"), 16, "a\xef\xbf\xbd\xef\xbf\xbd",
     "stray continuation bytes: one U+FFFD each"},
    {B("a\xe2\x82"), 16, "a\xef\xbf\xbd\xef\xbf\xbd",
     "truncated sequence at the end"},
    {B("\xc0\xaf"), 16, "\xef\xbf\xbd\xef\xbf\xbd", "overlong '/'"},
    {B("\xed\xa0\x80"), 16, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
     "UTF-16 surrogate"},
    {B("\xf4\x90\x80\x80"), 16,
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "above U+10FFFF"},
    {B("a\tb\r\nc\x7f"), 32,
     "a\xef\xbf\xbd"
     "b\xef\xbf\xbd\xef\xbf\xbd"
     "c\xef\xbf\xbd",
     "control characters: U+FFFD"},
    {B("a\xc2\x85z"), 8, "a\xef\xbf\xbdz", "C1 control (U+0085): U+FFFD"},
    {B("a\xc2\xa0z"), 8, "a\xc2\xa0z", "U+00A0 is kept"},
    {B("a\0b"), 8,
     "a\xef\xbf\xbd"
     "b",
     "NUL: U+FFFD"},
    {B("\xe2\x80\xa8"), 8, "\xe2\x80\xa8", "U+2028 kept (JSON escapes it)"},
};

static void
test_clip(void)
{
	size_t i;

	for (i = 0; i < sizeof(clip_cases) / sizeof(clip_cases[0]); i++) {
		char out[64];
		size_t n = ptl_utf8_clip(out, clip_cases[i].max,
					 clip_cases[i].in, clip_cases[i].len);

		ok(n == strlen(clip_cases[i].want) && n <= clip_cases[i].max &&
			   memcmp(out, clip_cases[i].want, n + 1) == 0 &&
			   ptl_utf8_valid(out, n),
		   "clip: %s", clip_cases[i].name);
	}
}

/* Bytes of the stored column col (user_agent or ip) of session id. */
static long long
stored_len(const char *col, int64_t id)
{
	return fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT length(CAST(%s AS BLOB)) "
					  "FROM sessions WHERE id = %lld",
					  col, (long long)id));
}

/* A User-Agent of 64 KiB, or one whose 512-byte cut would fall inside a
 * character, is kept as 512 bytes or fewer and never half a character;
 * an address past 64 bytes likewise. */
static void
test_user_agent_cap(void)
{
	static const struct {
		size_t ascii;
		const char *tail;
		long long want;
	} cases[] = {
	    {511, "\xc3\xa9", 511},         {510, "\xe2\x82\xac", 510},
	    {509, "\xf0\x9f\x98\x80", 509}, {508, "\xf0\x9f\x98\x80", 512},
	    {65536, "", 512},               {3, "\xff\xfe", 9},
	};
	int64_t erin = fix_user(&app, "erin@example.com", NULL, "email", 2);
	struct ptl_buf b;
	char ip[200], *h;
	int64_t id = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ua = ptl_mem_alloc(arena, cases[i].ascii + 8);

		memset(ua, 'a', cases[i].ascii);
		memcpy(ua + cases[i].ascii, cases[i].tail,
		       strlen(cases[i].tail) + 1);
		ok(ptl_session_create(arena, &app, erin, ua, "::1", T0, &id,
				      &h) == PTL_OK,
		   "sign-in with a User-Agent of %zu bytes", strlen(ua));
		is_int(stored_len("user_agent", id), cases[i].want,
		       "  stored on a character boundary");
	}
	memset(ip, '1', sizeof(ip) - 1);
	ip[sizeof(ip) - 1] = '\0';
	ok(ptl_session_create(arena, &app, erin, "UA", ip, T0, &id, &h) ==
		   PTL_OK,
	   "sign-in from an address of 199 bytes");
	is_int(stored_len("ip", id), PTL_SESSION_IP_MAX,
	       "  address kept to PTL_SESSION_IP_MAX");

	/* Rows stored before the cap (or by hand) are clipped in the list. */
	ok(fix_sql_exec(fix_path("auth.db"),
			"UPDATE sessions SET user_agent = "
			"CAST(zeroblob(70000) AS TEXT) || 'x', ip = "
			"CAST(X'31FF' AS TEXT) WHERE user_id = (SELECT id FROM "
			"users WHERE email = 'erin@example.com')"),
	   "old rows: 70000 NULs as User-Agent, an invalid address");
	ptl_buf_init(&b, arena, 1024, 1 << 20);
	ok(ptl_session_list_json(&app, erin, 0, T0, &b) == PTL_OK &&
		   !b.overflow,
	   "list of the old rows");
	ok(b.len <= 7 * PTL_SESSION_ROW_MAX && ptl_utf8_valid(b.data, b.len) &&
		   strstr(b.data, "\"ip\":\"1\xef\xbf\xbd\"") != NULL,
	   "  clipped, valid UTF-8 (%zu bytes)", b.len);
}

static long long
reason_is(int64_t id, const char *reason)
{
	return fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT revoke_reason = '%s' FROM "
					  "sessions WHERE id = %lld",
					  reason, (long long)id));
}

/* Entries of a session list. */
static int
entries(const char *json)
{
	int n = 0;

	for (; (json = strstr(json, "{\"id\":")) != NULL; json++)
		n++;
	return n;
}

/* AUTH_MAX_SESSIONS: a sign-in past it ends the least recently used
 * live session of that user (not the oldest created), revoked and
 * audited; other users and expired sessions are left alone; the list
 * shows at most the limit. */
static void
test_session_cap(void)
{
	int64_t dave = fix_user(&app, "dave@example.com", NULL, "email", 2);
	int64_t s[6] = {0}, other;
	const int64_t later = T0 + 40 * DAY_MS;
	char *h[6], *hr;
	struct ptl_buf b;
	int i;

	app.cfg.max_sessions = 3;
	other = new_session(bob, T0, &hr);
	for (i = 0; i < 3; i++)
		s[i] = new_session(dave, T0 + 1000 * i, &h[i]);
	ok(s[0] > 0 && s[1] > 0 && s[2] > 0, "three sessions: at the limit");
	is_int(live(s[0], dave, T0 + 2000), PTL_OK, "  the first still live");
	ok(rotate(s[0], h[0], T0 + 3000, &hr) == PTL_OK,
	   "the first refreshes: s[1] is now the least recently used");
	s[3] = new_session(dave, T0 + 4000, &h[3]);
	ok(s[3] > 0, "a fourth sign-in");
	is_int(live(s[1], dave, T0 + 4000), PTL_ERR_UNAUTHORIZED,
	       "  ends the least recently used session");
	is_int(reason_is(s[1], "session_limit"), 1,
	       "  revoked as session_limit");
	is_int(audit_count("session_revoked", s[1]), 1, "  and audited");
	ok(live(s[0], dave, T0 + 4000) == PTL_OK &&
		   live(s[2], dave, T0 + 4000) == PTL_OK &&
		   live(s[3], dave, T0 + 4000) == PTL_OK,
	   "  the other three stay live");
	is_int(live(other, bob, T0 + 4000), PTL_OK,
	       "  another user's session is untouched");
	s[4] = new_session(dave, T0 + 5000, &h[4]);
	is_int(live(s[2], dave, T0 + 5000), PTL_ERR_UNAUTHORIZED,
	       "a fifth ends the next least recently used");
	is_int(fix_sql_int(fix_path("auth.db"),
			   "SELECT count(*) FROM sessions WHERE user_id = "
			   "(SELECT id FROM users WHERE email = "
			   "'dave@example.com') AND revoked_at IS NULL"),
	       3, "  never more than 3 live");

	/* Expired sessions do not count and are not revoked. */
	s[5] = new_session(dave, later, &h[5]);
	ok(s[5] > 0, "a sign-in after the others expired");
	is_int(audit_count("session_revoked", s[3]), 0,
	       "  the expired ones are not revoked");

	/* The limit lowered: the list shows at most the limit, and the next
	 * sign-in ends the surplus. */
	for (i = 0; i < 2; i++)
		(void)new_session(dave, later + i + 1, &hr);
	app.cfg.max_sessions = 2;
	ptl_buf_init(&b, arena, 1024, 1 << 20);
	ok(ptl_session_list_json(&app, dave, 0, later + 10, &b) == PTL_OK,
	   "list after the limit went from 3 to 2");
	is_int(entries(b.data), 2, "  two entries");
	(void)new_session(dave, later + 20, &hr);
	is_int(audit_count("session_revoked", s[5]), 1,
	       "  the next sign-in ends two at once");
	app.cfg.max_sessions = 50;
}

/* The worst list the code allows: a user at the largest limit, every
 * session with a User-Agent and an address that JSON escapes byte for
 * byte. It fits PTL_SESSION_LIST_MAX, so an answer (PTL_RESP_BODY_MAX)
 * has room for it. */
static void
test_list_bound(void)
{
	int64_t frank = fix_user(&app, "frank@example.com", NULL, "email", 2);
	char ua[2 * PTL_SESSION_UA_MAX], ip[2 * PTL_SESSION_IP_MAX], *h;
	struct ptl_buf b;
	bool good = true;
	int64_t id;
	int i;

	memset(ua, '"', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	memset(ip, '\\', sizeof(ip) - 1);
	ip[sizeof(ip) - 1] = '\0';
	app.cfg.max_sessions = PTL_CFG_MAX_SESSIONS_LIMIT;
	for (i = 0; i < PTL_CFG_MAX_SESSIONS_LIMIT + 5 && good; i++) {
		ptl_mem_reset(arena);
		good = ptl_session_create(arena, &app, frank, ua, ip, T0 + i,
					  &id, &h) == PTL_OK;
	}
	ok(good, "%d sign-ins with the worst User-Agent",
	   PTL_CFG_MAX_SESSIONS_LIMIT + 5);
	ptl_buf_init(&b, arena, 1024, PTL_SESSION_LIST_MAX);
	ok(ptl_session_list_json(&app, frank, 0, T0 + 1000, &b) == PTL_OK &&
		   !b.overflow,
	   "the list fits PTL_SESSION_LIST_MAX (%zu of %zu bytes)", b.len,
	   (size_t)PTL_SESSION_LIST_MAX);
	is_int(entries(b.data), PTL_CFG_MAX_SESSIONS_LIMIT,
	       "  the limit's number of entries");
	ok(PTL_SESSION_LIST_MAX <= 1024 * 1024, "  below 1 MiB");
	app.cfg.max_sessions = 50;
}

/* A new row is laid out as it stays (prev_hash and rotated_at set, so the
 * first rotation does not grow it and split its page), and its prev_hash,
 * the current digest, never stands for a previous secret: a never-issued
 * secret inside the reuse interval still ends the session. */
static void
test_row_layout(void)
{
	char *h0 = NULL, *h1, *h;
	int64_t id = new_session(alice, T0, &h0);
	const char *q;

	if (!ok(id > 0, "layout: create"))
		return;
	q = ptl_mem_printf(arena,
			   "SELECT prev_hash = hash AND length(prev_hash) = 32 "
			   "AND rotated_at = created_at FROM sessions WHERE "
			   "id = %lld",
			   (long long)id);
	is_int(fix_sql_int(fix_path("auth.db"), q), 1,
	       "layout: prev_hash and rotated_at set at creation");
	q = ptl_mem_printf(arena,
			   "SELECT length(hash) + length(prev_hash) + "
			   "length(nonce) + length(rotated_at) FROM sessions "
			   "WHERE id = %lld",
			   (long long)id);
	{
		long long before = fix_sql_int(fix_path("auth.db"), q);

		ok(rotate(id, h0, T0 + 1000, &h1) == PTL_OK, "layout: rotate");
		is_int(fix_sql_int(fix_path("auth.db"), q), before,
		       "layout: the same sizes after the first rotation");
	}
	app.cfg.reuse_interval_s = 30;
	id = new_session(alice, T0, &h0);
	is_int(rotate(id, HASH_NEVER, T0 + 1, &h), PTL_ERR_UNAUTHORIZED,
	       "layout: a never-issued secret, in the interval: refused");
	is_int(live(id, alice, T0 + 1), PTL_ERR_UNAUTHORIZED,
	       "layout: and the session ended (reuse)");
	app.cfg.reuse_interval_s = 0;
}

int
main(void)
{
	fix_app_open(&app);
	arena = ptl_mem_new();
	alice = fix_user(&app, "alice@example.com", NULL, "email", 2);
	bob = fix_user(&app, "bob@example.com", NULL, "email", 2);
	ok(alice > 0 && bob > 0, "two users");
	test_rotate_and_reuse();
	test_reuse_interval();
	test_revoke();
	test_logout();
	test_list();
	test_expiry();
	test_clip();
	test_user_agent_cap();
	test_session_cap();
	test_list_bound();
	test_row_layout();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
