/* SPDX-License-Identifier: ISC */
/*
 * test_session: lib/domain/session.c on a temp database with a fixed clock.
 * Create and check; rotation hands out a new secret; a replayed secret
 * revokes the session (RFC 9700 §4.14) and is audited; the reuse interval
 * tolerates only the previous secret and only for its length; revocation
 * of one, owned, all and all-but-one sessions; the JSON list; expiry.
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
		"\"userAgent\":\"Mozilla \\\"5\\\"\\n\",\"ip\":\"10.0.0.1\","
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
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
