/* SPDX-License-Identifier: ISC */
/*
 * test_ratelimit: lib/domain/ratelimit.c on a temp database with a fixed
 * clock, through its policy table.
 * Hits up to the limit pass, the next one is limited with the seconds to
 * the window's end; keys are independent; a window opens at the first hit
 * after the previous one ended (so one per minute keeps a minute between
 * two events, whatever the clock's minute); peek reads without counting.
 * The mail limits of the hour, per account and per IP, roll back with the
 * transaction that counts them.
 * The failed-sign-in budgets only count, and delay the next attempt by 1 s
 * doubling per failure past the limit, up to the cap. Addresses are
 * counted per IPv4 address and per IPv6 /64, IPv4-mapped as IPv4.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <string.h>

#include "fixture.h"
#include "domain/ratelimit.h"
#include "tap.h"

/* PTL_RL_LOGIN_IP: 5 minutes, app.cfg.rl_login_ip (set to 3 below). */
#define WIN (5 * 60000LL)
/* PTL_RL_MAIL: one a minute. */
#define MAIL_WIN 60000LL
/* Windows open at their first hit: the first hit of test_hits is here. */
#define START FIX_NOW_MS

static struct ptl_app app;

static enum ptl_err
hit_as(enum ptl_rl policy, const char *subject, int64_t now, int *retry)
{
	*retry = -1;
	return ptl_ratelimit_hit(&app, policy, subject, now, retry);
}

/* The login-ip policy with a limit of 3. */
static enum ptl_err
hit(const char *subject, int64_t now, int *retry)
{
	return hit_as(PTL_RL_LOGIN_IP, subject, now, retry);
}

static enum ptl_err
peek(const char *subject, unsigned limit, int64_t now, int *retry)
{
	enum ptl_err e;

	app.cfg.rl_login_ip = limit;
	e = ptl_ratelimit_check(&app, PTL_RL_LOGIN_IP, subject, now, retry);
	app.cfg.rl_login_ip = 3;
	return e;
}

static void
test_hits(void)
{
	int retry = -1, i;
	bool all = true;

	for (i = 1; i <= 3; i++)
		all = all && hit("1.2.3.4", FIX_NOW_MS, &retry) == PTL_OK;
	ok(all, "hits 1..3 of limit 3 pass");
	is_int(peek("1.2.3.4", 3, FIX_NOW_MS,
				  &retry),
	       PTL_ERR_RATE_LIMITED, "peek at count 3 of 3: limited");
	is_int(peek("1.2.3.4", 4, FIX_NOW_MS,
				  &retry),
	       PTL_OK, "peek at count 3 of 4: fine");
	is_int(hit("1.2.3.4", FIX_NOW_MS, &retry),
	       PTL_ERR_RATE_LIMITED, "hit 4 of limit 3: limited");
	is_int(retry, (START + WIN - FIX_NOW_MS + 999) / 1000,
	       "retry after = seconds to the window's end, rounded up");
	ok(retry > 0, "  positive");
	is_int(hit("1.2.3.4", FIX_NOW_MS + 1, &retry),
	       PTL_ERR_RATE_LIMITED, "still limited");
	is_int(hit("5.6.7.8", FIX_NOW_MS, &retry), PTL_OK,
	       "another key is counted apart");
	is_int(peek("never-seen", 1, FIX_NOW_MS, &retry),
	       PTL_OK, "peek of an unknown key");

	/* Anchored windows: 59.999 s after the first hit it is still the
	 * same window; at 60 s a new one opens. */
	is_int(hit("1.2.3.4", START + WIN - 1, &retry),
	       PTL_ERR_RATE_LIMITED, "window anchored at its first hit");
	is_int(retry, 1, "  1 s left");
	is_int(hit("1.2.3.4", START + WIN, &retry), PTL_OK,
	       "new window: first hit passes");
	is_int(peek("1.2.3.4", 1, START + WIN,
				  &retry),
	       PTL_ERR_RATE_LIMITED, "  and is counted (peek limit 1)");
	is_int(peek("1.2.3.4", 2, START + WIN,
				  &retry),
	       PTL_OK, "  count is 1");
	is_int(peek("1.2.3.4", 1, START + 2 * WIN, &retry),
	       PTL_OK, "peek in a later window: nothing counted");
}

static void
test_retry_after(void)
{
	static const struct {
		int64_t after; /* ms from the first hit to the second */
		int want;
	} cases[] = {
		{0, 60}, {1, 60}, {1000, 59}, {59000, 1}, {59999, 1},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char key[32];
		int retry = -1;
		/* Any clock phase: windows do not follow the clock's minute. */
		int64_t first = START + 12345 + (int64_t)i * 7;

		(void)snprintf(key, sizeof(key), "retry:%zu", i);
		ok(hit_as(PTL_RL_MAIL, key, first, &retry) == PTL_OK &&
			   hit_as(PTL_RL_MAIL, key, first + cases[i].after,
				  &retry) ==
				   PTL_ERR_RATE_LIMITED &&
			   retry == cases[i].want,
		   "retry after %d s at +%lld ms", cases[i].want,
		   (long long)cases[i].after);
		if (retry != cases[i].want)
			diag("got %d", retry);
	}
	{
		int retry = -1;

		/* One a minute: two events across a clock minute are still
		 * a minute apart. */
		ok(hit_as(PTL_RL_MAIL, "a@example.com", START + 59990, &retry) ==
				   PTL_OK &&
			   hit_as(PTL_RL_MAIL, "a@example.com", START + 60010,
				  &retry) == PTL_ERR_RATE_LIMITED,
		   "one per minute holds across the clock's minute");
		ok(hit_as(PTL_RL_MAIL, "a@example.com", START + 59990 + MAIL_WIN,
			  &retry) == PTL_OK,
		   "  and passes a minute after the first");
	}
}

static void
test_fake_clock(void)
{
	int retry, i;
	bool all = true;

	/* Through the app clock, as the endpoint layer calls it. */
	app.fake_now_ms = START + 30000;
	for (i = 0; i < 3; i++)
		all = all && hit("clock", ptl_app_now_ms(&app), &retry) == PTL_OK;
	ok(all, "three hits on the fake clock");
	app.fake_now_ms = START + 60000;
	is_int(hit("clock", ptl_app_now_ms(&app), &retry), PTL_ERR_RATE_LIMITED,
	       "fourth limited");
	is_int(retry, 270, "  270 s left of the 5-minute window");
	app.fake_now_ms = START + 30000 + WIN;
	is_int(hit("clock", ptl_app_now_ms(&app), &retry), PTL_OK,
	       "clock moved to the next window: passes");
	app.fake_now_ms = FIX_NOW_MS;
}

/* The table: each policy has its own window and limit, and its own keys. */
static void
test_policies(void)
{
	int retry, i;
	bool all = true;

	app.cfg.rl_login_fail = 2;
	app.cfg.rl_login_delay_max_s = 900;
	for (i = 0; i < 5; i++)
		all = all && hit_as(PTL_RL_LOGIN_FAIL, "u@example.com", START,
				    &retry) == PTL_OK;
	ok(all, "login-fail hits only count: five pass");
	is_int(ptl_ratelimit_check(&app, PTL_RL_LOGIN_FAIL, "u@example.com",
				   START, &retry),
	       PTL_ERR_RATE_LIMITED, "check at 5 of AUTH_RATE_LOGIN_FAIL=2");
	is_int(retry, 8, "  a delay of 8 s: 1 s doubled for failures 3..5");
	is_int(ptl_ratelimit_check(&app, PTL_RL_LOGIN_FAIL, "u@example.com",
				   START + 7999, &retry),
	       PTL_ERR_RATE_LIMITED, "  still at 7.999 s");
	is_int(ptl_ratelimit_check(&app, PTL_RL_LOGIN_FAIL, "u@example.com",
				   START + 8000, &retry),
	       PTL_OK, "  and over then, not after a 15-minute wall");
	is_int(ptl_ratelimit_check(&app, PTL_RL_LOGIN_FAIL_DEVICE,
				   "u@example.com", START, &retry),
	       PTL_OK, "a device budget of the same subject is apart");
	is_int(ptl_ratelimit_check(&app, PTL_RL_LOGIN_IP, "u@example.com",
				   START, &retry),
	       PTL_OK, "the same subject under another policy is apart");
	app.cfg.rl_ip = 1;
	ok(hit_as(PTL_RL_IP, "9.9.9.9", START, &retry) == PTL_OK &&
		   hit_as(PTL_RL_IP, "9.9.9.9", START, &retry) ==
			   PTL_ERR_RATE_LIMITED &&
		   retry == 5 * 60,
	   "ip policy: AUTH_RATE_IP per 5 minutes");
}

/* ptl_ratelimit_mail: the account's and the client's mails of the hour,
 * counted inside the transaction that queues the mail. */
static void
test_mail(void)
{
	const int64_t t = START + 86400000;
	int retry = -1, i, passed = 0;

	app.cfg.rl_mail_user = 2;
	app.cfg.rl_mail_ip = 3;
	for (i = 0; i < 2; i++)
		passed += ptl_ratelimit_mail(&app, 7, "10.0.0.1", t + i,
					     &retry) == PTL_OK;
	is_int(passed, 2, "mail: AUTH_RATE_MAIL_USER mails of account 7 pass");
	is_int(ptl_ratelimit_mail(&app, 7, "10.0.0.2", t + 10, &retry),
	       PTL_ERR_RATE_LIMITED, "  the next one, from any IP: limited");
	is_int(retry, 3600, "  for the rest of its hour");
	is_int(ptl_ratelimit_mail(&app, 8, "10.0.0.1", t + 20, &retry), PTL_OK,
	       "another account from the first IP: its third mail passes");
	is_int(ptl_ratelimit_mail(&app, 9, "10.0.0.1", t + 30, &retry),
	       PTL_ERR_RATE_LIMITED, "  the fourth from that IP: limited");
	is_int(ptl_ratelimit_mail(&app, 0, "10.0.0.1", t + 40, &retry),
	       PTL_ERR_RATE_LIMITED, "  also without an account (a sign-up)");
	is_int(ptl_ratelimit_mail(&app, 10, NULL, t + 50, &retry), PTL_OK,
	       "no IP: only the account counts");
	/* Counted inside the caller's transaction: a rollback undoes it. */
	ok(ptl_db_begin(app.db) == PTL_OK &&
		   ptl_ratelimit_mail(&app, 11, "10.0.0.9", t, &retry) ==
			   PTL_OK &&
		   ptl_ratelimit_mail(&app, 11, "10.0.0.9", t, &retry) ==
			   PTL_OK,
	   "two mails of account 11 counted in a transaction");
	ptl_db_rollback(app.db);
	ok(ptl_ratelimit_mail(&app, 11, "10.0.0.9", t, &retry) == PTL_OK &&
		   ptl_ratelimit_mail(&app, 11, "10.0.0.9", t, &retry) ==
			   PTL_OK,
	   "  rolled back: two more pass");
	app.cfg.rate_limit = false;
	is_int(ptl_ratelimit_mail(&app, 7, "10.0.0.1", t + 60, &retry), PTL_OK,
	       "AUTH_RATE_LIMIT=false: no mail limit");
	app.cfg.rate_limit = true;
	is_int(ptl_ratelimit_mail(&app, 7, "10.0.0.3", t + 3600000, &retry),
	       PTL_OK, "account 7 an hour later");
}

/* The growing delay: free failures, then 1 s doubling to the cap. */
static void
test_delay(void)
{
	static const struct {
		int64_t failures;
		unsigned limit;
		int64_t max_s, want;
	} cases[] = {
		{0, 10, 900, 0},    {9, 10, 900, 0},     {10, 10, 900, 1},
		{11, 10, 900, 2},   {12, 10, 900, 4},    {19, 10, 900, 512},
		{20, 10, 900, 900}, {1000, 10, 900, 900}, {INT64_MAX, 1, 60, 60},
		{1, 1, 1, 1},       {3, 1, 1, 1},        {-5, 3, 900, 0},
	};
	char name[96];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(name, sizeof(name),
			       "delay after %lld failures (limit %u, max %lld s)",
			       (long long)cases[i].failures, cases[i].limit,
			       (long long)cases[i].max_s);
		is_int(ptl_ratelimit_delay_s(cases[i].failures, cases[i].limit,
					     cases[i].max_s),
		       cases[i].want, name);
	}
}

/* A budget through its policy: each failure past the limit doubles the
 * wait from that failure, the cap holds, the day forgets. */
static void
test_growing(void)
{
	int64_t t = START + 100000;
	int retry = -1, i;
	bool all = true;

	app.cfg.rl_login_fail = 3;
	app.cfg.rl_login_delay_max_s = 10;
	for (i = 0; i < 3; i++)
		all = all && ptl_ratelimit_check(&app, PTL_RL_LOGIN_FAIL_DEVICE,
						 "dev1", t, &retry) == PTL_OK &&
		      hit_as(PTL_RL_LOGIN_FAIL_DEVICE, "dev1", t, &retry) ==
			      PTL_OK;
	ok(all, "three free failures, no delay between them");
	{
		static const int want[] = {1, 2, 4, 8, 10, 10};
		char name[64];
		size_t k;

		for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			(void)snprintf(name, sizeof(name),
				       "after failure %zu: delayed %d s", k + 3,
				       want[k]);
			ok(ptl_ratelimit_check(&app, PTL_RL_LOGIN_FAIL_DEVICE,
					       "dev1", t, &retry) ==
					   PTL_ERR_RATE_LIMITED &&
				   retry == want[k],
			   "%s", name);
			t += (int64_t)want[k] * 1000;
			ok(ptl_ratelimit_check(&app, PTL_RL_LOGIN_FAIL_DEVICE,
					       "dev1", t, &retry) == PTL_OK &&
				   hit_as(PTL_RL_LOGIN_FAIL_DEVICE, "dev1", t,
					  &retry) == PTL_OK,
			   "  then allowed, and failed again");
		}
	}
	is_int(ptl_ratelimit_check(&app, PTL_RL_LOGIN_FAIL_DEVICE, "dev1",
				   START + 100000 + 24 * 3600 * 1000LL, &retry),
	       PTL_OK, "a day after the first failure, all is forgotten");
	app.cfg.rl_login_delay_max_s = 900;
}

/* Addresses are keyed by their network: IPv4 by itself, IPv6 by /64. */
static void
test_net(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"::FFFF:192.0.2.1", "192.0.2.1"},
		{"::ffff:c000:201", "192.0.2.1"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:0DB8:0001:0002:0000:0000:0000:0009", "2001:db8:1:2::/64"},
		{"2001:db8::1", "2001:db8::/64"},
		{"::1", "::/64"},
		{"fe80::1:2:3:4", "fe80::/64"},
		{"2001:db8:aaaa:bbbb:cccc::", "2001:db8:aaaa:bbbb::/64"},
		{"1:2:3:4:5:6:7:8", "1:2:3:4::/64"},
		{"-", "-"},
		{"", ""},
		{"ann@example.com", "ann@example.com"},
		{"192.0.2.1 ", "192.0.2.1 "},
		{"2001:db8::1%eth0", "2001:db8::1%eth0"},
		{"[2001:db8::1]", "[2001:db8::1]"},
		{"confirm:192.0.2.1", "confirm:192.0.2.1"},
	};
	char buf[PTL_RATELIMIT_NET_MAX];
	size_t i;
	int retry;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(ptl_ratelimit_net(cases[i].in, buf, sizeof(buf)),
		       cases[i].want, cases[i].in);
	is_str(ptl_ratelimit_net("192.0.2.1", buf, 8), "192.0.2.1",
	       "a buffer too small: the subject as it is");

	/* Through a policy: one counter per /64, per IPv4 address. */
	app.cfg.rl_ip = 2;
	ok(hit_as(PTL_RL_IP, "2001:db8:5:6::1", START, &retry) == PTL_OK &&
		   hit_as(PTL_RL_IP, "2001:db8:5:6:a:b:c:d", START, &retry) ==
			   PTL_OK,
	   "two addresses of one /64: two hits");
	is_int(hit_as(PTL_RL_IP, "2001:db8:5:6::ffff", START, &retry),
	       PTL_ERR_RATE_LIMITED, "  a third address of it is limited");
	is_int(hit_as(PTL_RL_IP, "2001:db8:5:7::1", START, &retry), PTL_OK,
	       "  the next /64 is apart");
	ok(hit_as(PTL_RL_IP, "198.51.100.7", START, &retry) == PTL_OK &&
		   hit_as(PTL_RL_IP, "::ffff:198.51.100.7", START, &retry) ==
			   PTL_OK,
	   "an IPv4 address, and it mapped into IPv6");
	is_int(hit_as(PTL_RL_IP, "198.51.100.7", START, &retry),
	       PTL_ERR_RATE_LIMITED, "  are one counter");
	is_int(hit_as(PTL_RL_IP, "198.51.100.8", START, &retry), PTL_OK,
	       "  the next IPv4 address is apart");
	app.cfg.rl_ip = 30;
}

int
main(void)
{
	fix_app_open(&app);
	app.cfg.rl_login_ip = 3;
	test_policies();
	test_hits();
	test_retry_after();
	test_fake_clock();
	test_mail();
	test_delay();
	test_growing();
	test_net();
	fix_app_close(&app);
	return done();
}
