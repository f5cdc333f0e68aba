/* SPDX-License-Identifier: ISC */
/*
 * test_signin: lib/domain/signin.c on a temp database with a fixed clock.
 * Sign-in: a session on success; every failure answered with the uniform
 * password incorrectPassword (the social account too), or, with uniform
 * errors off,
 * notFound / needLoginViaProvider:<p> / incorrectPassword; failures
 * counted per account (not the over-long password, not with the limits
 * off) and, past AUTH_RATE_LOGIN_FAIL, a 429 before any password check
 * for a delay that grows; a valid device cookie of the account judged by
 * its own budget, so that the owner signs in while an attacker without it
 * is delayed (forged, expired and other accounts' cookies count as none).
 * Refresh: the session rotates; a replayed token ends it; a bad token or
 * a deleted user is refused.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/account.h"
#include "domain/device.h"
#include "domain/signin.h"
#include "domain/token.h"
#include "fixture.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define PW "correct horse"

static struct ptl_app app;
static struct ptl_arena *arena;

/* A sign-in at now, with a device cookie (or NULL). */
static enum ptl_err
signin_at(const char *email, const char *pw, const char *device,
	  int64_t now, struct ptl_login *login, struct ptl_refusal *why)
{
	const struct ptl_signin in = {
		.email = email,
		.password = pw,
		.password_len = strlen(pw),
		.user_agent = "UA/1",
		.ip = "192.0.2.1",
		.device = device,
	};

	return ptl_signin_email(arena, &app, &in, now, login, why);
}

static enum ptl_err
signin(const char *email, const char *pw, size_t pw_len,
       struct ptl_login *login, struct ptl_refusal *why)
{
	const struct ptl_signin in = {
		.email = email,
		.password = pw,
		.password_len = pw_len,
		.user_agent = "UA/1",
		.ip = "192.0.2.1",
	};

	return ptl_signin_email(arena, &app, &in, T0, login, why);
}

/* The failed sign-ins counted for email (0 when none). */
static long long
failures(const char *email)
{
	long long n = fix_sql_int(
	    fix_path("auth.db"), ptl_mem_printf(arena,
						"SELECT count FROM rate_limits "
						"WHERE key = 'login-fail:%s'",
						email));

	return n < 0 ? 0 : n;
}

static long long
sessions_of(int64_t user_id)
{
	return fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT count(*) FROM sessions WHERE "
					  "user_id = %lld",
					  (long long)user_id));
}

static bool
refused(const struct ptl_refusal *why, const char *field, const char *key,
	const char *field2)
{
	return why->field != NULL && strcmp(why->field, field) == 0 &&
	       why->key != NULL && strcmp(why->key, key) == 0 &&
	       ((field2 == NULL && why->field2 == NULL) ||
		(field2 != NULL && why->field2 != NULL &&
		 strcmp(why->field2, field2) == 0));
}

static void
test_signin(int64_t ann)
{
	struct ptl_login login;
	struct ptl_refusal why;
	struct ptl_user u;

	is_int(signin("ann@example.com", PW, strlen(PW), &login, &why), PTL_OK,
	       "sign in");
	ok(login.user.id == ann && login.session_id > 0 && login.hash != NULL &&
		   strlen(login.hash) == 64,
	   "  the user, a session and its secret");
	is_int(ptl_account_get_by_session(arena, &app, login.session_id, ann,
					  T0, &u),
	       PTL_OK, "  the session is live");
	is_int(failures("ann@example.com"), 0, "  no failure counted");

	app.cfg.uniform_errors = true;
	is_int(signin("ann@example.com", "wrong horse", 11, &login, &why),
	       PTL_ERR_VALIDATION, "wrong password (uniform errors)");
	ok(refused(&why, "password", "incorrectPassword", NULL),
	   "  password incorrectPassword only");
	is_int(failures("ann@example.com"), 1, "  counted against the account");
	is_int(signin("nobody@example.com", PW, strlen(PW), &login, &why),
	       PTL_ERR_VALIDATION, "unknown address (uniform errors)");
	ok(refused(&why, "password", "incorrectPassword", NULL),
	   "  the same answer");
	is_int(signin("sam@example.com", PW, strlen(PW), &login, &why),
	       PTL_ERR_VALIDATION, "a social account (uniform errors)");
	ok(refused(&why, "password", "incorrectPassword", NULL),
	   "  the same answer");

	app.cfg.uniform_errors = false;
	is_int(signin("nobody@example.com", PW, strlen(PW), &login, &why),
	       PTL_ERR_VALIDATION, "unknown address (uniform errors off)");
	ok(refused(&why, "email", "notFound", NULL), "  email notFound");
	is_int(signin("ann@example.com", "wrong horse", 11, &login, &why),
	       PTL_ERR_VALIDATION, "wrong password (uniform errors off)");
	ok(refused(&why, "password", "incorrectPassword", NULL),
	   "  password incorrectPassword");
	is_int(signin("sam@example.com", PW, strlen(PW), &login, &why),
	       PTL_ERR_VALIDATION, "a social account");
	ok(refused(&why, "email", "needLoginViaProvider:google", NULL),
	   "  email needLoginViaProvider:google");
	app.cfg.uniform_errors = true;
}

static void
test_long_password(void)
{
	size_t len = app.cfg.password_max_len + 1;
	char *pw = ptl_mem_alloc(arena, len + 1);
	struct ptl_login login;
	struct ptl_refusal why;
	long long before = failures("ann@example.com");

	memset(pw, 'x', len);
	pw[len] = '\0';
	is_int(signin("ann@example.com", pw, len, &login, &why),
	       PTL_ERR_VALIDATION, "a password longer than any stored one");
	ok(refused(&why, "password", "incorrectPassword", NULL),
	   "  refused as a wrong one");
	is_int(failures("ann@example.com"), before, "  and not counted");
}

static void
test_account_limit(int64_t bea)
{
	struct ptl_login login;
	struct ptl_refusal why;
	long long sessions = sessions_of(bea);
	unsigned limit = app.cfg.rl_login_fail, i;
	bool all = true;

	app.cfg.rl_login_fail = 3;
	for (i = 0; i < 3; i++)
		all = all && signin("bea@example.com", "wrong", 5, &login,
				    &why) == PTL_ERR_VALIDATION;
	ok(all, "three failed sign-ins");
	is_int(failures("bea@example.com"), 3, "  counted");
	is_int(signin("bea@example.com", PW, strlen(PW), &login, &why),
	       PTL_ERR_RATE_LIMITED, "then the right password: delayed");
	is_int(why.retry_after_s, 1, "  by 1 s, not a 15-minute wall");
	is_int(sessions_of(bea), sessions, "  and no session opened");
	is_int(signin_at("bea@example.com", PW, NULL, T0 + 1000, &login, &why),
	       PTL_OK, "  a second later the right password signs in");
	sessions++;

	app.cfg.rate_limit = false;
	is_int(signin("bea@example.com", PW, strlen(PW), &login, &why), PTL_OK,
	       "limits off: the right password signs in");
	ok(signin("cal@example.com", "wrong", 5, &login, &why) ==
		   PTL_ERR_VALIDATION,
	   "limits off: a failure");
	is_int(failures("cal@example.com"), 0, "  is not counted");
	app.cfg.rate_limit = true;
	app.cfg.rl_login_fail = limit;
}

/*
 * The scenario of issue 9 point 4: an attacker without the owner's device
 * cookie fails again and again; the owner on their device still signs in
 * at once, and without it is delayed (growing), never walled.
 */
static void
test_device_cookie(void)
{
	struct ptl_login login;
	struct ptl_refusal why;
	unsigned limit = app.cfg.rl_login_fail;
	int64_t t = T0 + 600000, max = app.cfg.rl_login_delay_max_s;
	const char *device, *other, *id;
	int i, refused429 = 0, failed422 = 0;

	app.cfg.rl_login_fail = 3;
	app.cfg.rl_login_delay_max_s = 60;
	if (!ok(signin_at("dan@example.com", PW, NULL, t, &login, &why) ==
			    PTL_OK &&
		    login.device != NULL,
		"the owner signs in: a device token"))
		return;
	device = login.device;
	ok(ptl_device_verify(arena, &app, device, "dan@example.com", t, &id) &&
		   id != NULL,
	   "  valid for the account");
	ok(!ptl_device_verify(arena, &app, device, "cal@example.com", t, &id),
	   "  and for no other");

	/* The attacker: 40 tries, one every 0.5 s, from anywhere. */
	for (i = 0; i < 40; i++) {
		enum ptl_err e = signin_at("dan@example.com", "guess", NULL,
					   t + i * 500, &login, &why);

		refused429 += e == PTL_ERR_RATE_LIMITED;
		failed422 += e == PTL_ERR_VALIDATION;
	}
	t += 40 * 500;
	ok(failed422 >= 3 && failed422 < 12 && refused429 > 25,
	   "attacker: 3 free guesses, then a few as the delays allow");
	if (failed422 < 3 || failed422 >= 12)
		diag("%d failures counted, %d refused", failed422, refused429);
	is_int(signin_at("dan@example.com", PW, NULL, t, &login, &why),
	       PTL_ERR_RATE_LIMITED, "the owner without the cookie: delayed");
	ok(why.retry_after_s >= 1 && why.retry_after_s <= 60,
	   "  by the growing delay, within AUTH_RATE_LOGIN_DELAY_MAX");
	is_int(signin_at("dan@example.com", PW, device, t, &login, &why),
	       PTL_OK, "the owner with the device cookie: signs in at once");
	other = login.device;
	ok(other != NULL && strcmp(other, device) != 0,
	   "  and gets a fresh device token");
	is_int(signin_at("dan@example.com", PW, "1.2.3", t, &login, &why),
	       PTL_ERR_RATE_LIMITED, "a forged cookie counts as none");
	{
		struct ptl_login l2;
		char *cal;

		ok(signin_at("cal@example.com", PW, NULL, t, &l2, &why) ==
			   PTL_OK,
		   "another account signs in");
		cal = l2.device;
		is_int(signin_at("dan@example.com", PW, cal, t, &login, &why),
		       PTL_ERR_RATE_LIMITED,
		       "  its device cookie does not help on this account");
	}
	{
		struct ptl_app shorter = app;

		shorter.cfg.device_ttl_ms = 1000;
		ok(signin_at("dan@example.com", PW, other, t, &login, &why) ==
			   PTL_OK,
		   "again with the cookie");
		device = ptl_device_issue(arena, &shorter, "dan@example.com", t);
		is_int(signin_at("dan@example.com", PW, device, t + 1000, &login,
				 &why),
		       PTL_ERR_RATE_LIMITED, "an expired cookie counts as none");
	}

	/* A device's own failures: counted on its budget, not the
	 * account's. */
	{
		long long before = failures("dan@example.com");

		for (i = 0; i < 3; i++)
			(void)signin_at("dan@example.com", "typo", other,
					t + i, &login, &why);
		is_int(failures("dan@example.com"), before,
		       "the device's failures leave the account's budget");
		is_int(signin_at("dan@example.com", PW, other, t + 3, &login,
				 &why),
		       PTL_ERR_RATE_LIMITED,
		       "  and delay that device once it is spent");
		is_int(why.retry_after_s, 1, "  by 1 s first");
	}
	app.cfg.rl_login_fail = limit;
	app.cfg.rl_login_delay_max_s = max;
}

static void
test_refresh(int64_t ann)
{
	struct ptl_signin_rotated r1, r2, r3;
	struct ptl_login login;
	struct ptl_refusal why;
	char *t0 = NULL, *t1 = NULL;

	if (!ok(signin("ann@example.com", PW, strlen(PW), &login, &why) ==
			    PTL_OK &&
		    ptl_token_refresh_issue(arena, &app, login.session_id,
					    login.hash, T0, &t0) == PTL_OK,
		"a session and its refresh token"))
		return;
	is_int(ptl_signin_refresh(arena, &app, t0, T0 + 1000, &r1),
	       PTL_OK, "refresh");
	ok(r1.session_id == login.session_id && r1.user_id == ann &&
		   r1.role_id == PTL_ACCOUNT_ROLE_USER,
	   "  the session, its user and role");
	ok(r1.hash != NULL && strcmp(r1.hash, login.hash) != 0,
	   "  a new secret");
	ok(ptl_token_refresh_issue(arena, &app, r1.session_id, r1.hash,
				   T0 + 1000, &t1) == PTL_OK,
	   "the next refresh token");
	is_int(ptl_signin_refresh(arena, &app, t0, T0 + 2000, &r2),
	       PTL_ERR_UNAUTHORIZED, "the first token again: reuse");
	is_int(ptl_signin_refresh(arena, &app, t1, T0 + 3000, &r3),
	       PTL_ERR_UNAUTHORIZED, "  which ended the session");
	is_int(ptl_signin_refresh(arena, &app, "a.b.c", T0, &r2),
	       PTL_ERR_UNAUTHORIZED, "a malformed token");

	if (!ok(signin("ann@example.com", PW, strlen(PW), &login, &why) ==
			    PTL_OK &&
		    ptl_token_refresh_issue(arena, &app, login.session_id,
					    login.hash, T0, &t0) == PTL_OK,
		"another session"))
		return;
	ok(ptl_account_delete(&app, ann, T0) == PTL_OK, "delete the user");
	is_int(ptl_signin_refresh(arena, &app, t0, T0 + 1000, &r2),
	       PTL_ERR_UNAUTHORIZED, "  its refresh token is refused");
}

static int64_t
user(const char *email)
{
	char *hash = NULL;
	int64_t id = 0;

	if (ptl_account_hash(arena, &app, PW, strlen(PW), &hash) != PTL_OK ||
	    ptl_account_insert(&app, email, hash, NULL, NULL,
			       PTL_ACCOUNT_ROLE_USER, PTL_ACCOUNT_STATUS_ACTIVE,
			       T0, &id) != PTL_OK)
		return 0;
	return id;
}

int
main(void)
{
	int64_t ann, bea;

	fix_app_open(&app);
	arena = ptl_mem_new();
	ann = user("ann@example.com");
	bea = user("bea@example.com");
	ok(ann > 0 && bea > 0 && user("cal@example.com") > 0 &&
		   user("dan@example.com") > 0 &&
		   fix_user(&app, "sam@example.com", NULL, "google",
			    PTL_ACCOUNT_ROLE_USER) > 0,
	   "users ann, bea, cal and a social one");
	test_signin(ann);
	test_long_password();
	test_account_limit(bea);
	test_device_cookie();
	test_refresh(ann);
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
