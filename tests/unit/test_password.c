/* SPDX-License-Identifier: ISC */
/*
 * test_password: lib/domain/password.c on a temp database with a fixed
 * clock. Forgot: a reset mail queued (delivered after the answer) for a live
 * user, one a minute per address; an unknown, deleted or disabled address
 * a silent success under uniform errors, else email:emailNotExists. Reset:
 * the new password stored and every session ended; the link, and every
 * other one issued before, dead afterwards; bad, expired and orphaned
 * links refused with hash:invalidHash; nothing changed when the sessions
 * cannot be ended; every other link of the account dead after a reset
 * (pending change, confirm link, queued mail), and the account Active.
 * The mail limits of the hour (per account, per IP): 204 without a mail.
 * FRONTEND_DOMAIN is unset, so a delivery fails before any network.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "domain/account.h"
#include "domain/outbox.h"
#include "domain/password.h"
#include "domain/session.h"
#include "domain/token.h"
#include "fixture.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define PW "correct horse"
#define NEW_PW "battery staple"
#define IP "192.0.2.1"

static struct ptl_app app;
static struct ptl_arena *arena;

/* The first column of the first row of a query made from fmt and arg. */
#define sql_int(fmt, arg)                                                      \
	fix_sql_int(fix_path("auth.db"),                                       \
		    ptl_mem_printf(arena, fmt, (long long)(arg)))

static long long
reset_mails(int64_t user_id)
{
	return sql_int("SELECT count(*) FROM mail_outbox WHERE kind = 2 AND "
		       "user_id = %lld",
		       user_id);
}

static int64_t
user(const char *email)
{
	int64_t id = 0;

	if (ptl_account_register(arena, &app, email, PW, strlen(PW), NULL, NULL,
				 PTL_ACCOUNT_ROLE_USER,
				 PTL_ACCOUNT_STATUS_ACTIVE, T0, &id) != PTL_OK)
		return 0;
	return id;
}

/* Forgot password from one client address. */
static enum ptl_err
forgot(const char *email, int64_t now, struct ptl_refusal *why)
{
	return ptl_password_forgot(arena, &app, email, IP, now, why);
}

static void
test_forgot(void)
{
	int64_t ann = user("ann@example.com"), del = user("del@example.com");
	int64_t dis = user("dis@example.com");
	struct ptl_refusal why;

	if (!ok(ann > 0 && del > 0 && dis > 0, "three users"))
		return;
	is_int(forgot("ann@example.com", T0, &why),
	       PTL_OK, "forgot, a known address");
	is_int(reset_mails(ann), 1, "  a reset mail queued");
	is_int(sql_int("SELECT attempts FROM mail_outbox WHERE user_id = %lld",
		       ann),
	       0, "  not delivered before the answer");
	is_int(app.nmail_after, 1, "  but left for after it");
	ptl_outbox_deliver_deferred(arena, &app, T0);
	is_int(sql_int("SELECT attempts FROM mail_outbox WHERE user_id = %lld",
		       ann),
	       1, "  and tried once the answer is out");
	is_int(forgot("ann@example.com", T0 + 30000,
				   &why),
	       PTL_OK, "again within the minute");
	is_int(reset_mails(ann), 1, "  no second mail");
	is_int(forgot("ann@example.com", T0 + 61000,
				   &why),
	       PTL_OK, "a minute later");
	is_int(reset_mails(ann), 2, "  a second mail");
	ptl_outbox_deliver_deferred(arena, &app, T0 + 61000);

	app.cfg.uniform_errors = true;
	is_int(forgot("nobody@example.com", T0, &why),
	       PTL_OK, "an unknown address, uniform errors: success");
	is_int(fix_sql_int(fix_path("auth.db"),
			   "SELECT count(*) FROM mail_outbox WHERE recipient = "
			   "'nobody@example.com'"),
	       0, "  without a mail");
	is_int(fix_sql_int(fix_path("auth.db"),
			   "SELECT count FROM rate_limits WHERE key = "
			   "'mail:reset:nobody@example.com'"),
	       1, "  but counted as a known address is (the same work)");
	is_int(app.nmail_after, 0, "  and nothing left for after the answer");
	app.cfg.uniform_errors = false;
	is_int(forgot("nobody@example.com", T0, &why),
	       PTL_ERR_VALIDATION, "an unknown address, uniform errors off");
	is_str(why.field, "email", "  refused field email");
	is_str(why.key, "emailNotExists", "  key emailNotExists");
	ok(ptl_account_delete(&app, del, T0) == PTL_OK &&
		   ptl_account_disable(&app, dis, T0) == PTL_OK,
	   "delete one user, disable another");
	is_int(forgot("del@example.com", T0, &why),
	       PTL_ERR_VALIDATION,
	       "  a deleted user's address: emailNotExists");
	is_int(forgot("dis@example.com", T0, &why),
	       PTL_ERR_VALIDATION,
	       "  a disabled user's address: emailNotExists");
	ok(reset_mails(del) == 0 && reset_mails(dis) == 0, "  no mail to them");
	app.cfg.uniform_errors = true;
}

static char *
reset_token(int64_t user_id, int64_t now)
{
	struct ptl_user u;
	int64_t expires;
	char *token = NULL;

	if (ptl_account_get(arena, &app, user_id, &u) != PTL_OK ||
	    ptl_token_reset_issue(arena, &app, user_id, u.password, now, &token,
				  &expires) != PTL_OK)
		return NULL;
	return token;
}

static const char *
stored_hash(int64_t user_id)
{
	struct ptl_user u;

	if (ptl_account_get(arena, &app, user_id, &u) != PTL_OK)
		return NULL;
	return u.password;
}

static int64_t
session(int64_t user_id)
{
	int64_t id = 0;
	char *hash;

	if (ptl_session_create(arena, &app, user_id, "UA", "::1", T0, &id,
			       &hash) != PTL_OK)
		return 0;
	return id;
}

static enum ptl_err
reset(const char *token, int64_t now, struct ptl_refusal *why)
{
	return ptl_password_reset(arena, &app, token, NEW_PW, strlen(NEW_PW),
				  now, why);
}

static void
test_reset(void)
{
	int64_t bo = user("bo@example.com");
	char *older = reset_token(bo, T0), *token = reset_token(bo, T0 + 1000);
	struct ptl_refusal why;
	const char *h;

	if (!ok(older != NULL && token != NULL && session(bo) > 0 &&
			session(bo) > 0,
		"a user with two sessions and two reset links"))
		return;
	is_int(reset(token, T0 + 2000, &why), PTL_OK, "reset");
	h = stored_hash(bo);
	ok(h != NULL &&
	       ptl_crypto_pw_verify(&app.pw, h, NEW_PW, strlen(NEW_PW)),
	   "  the new password is stored");
	is_int(sql_int("SELECT count(*) FROM sessions WHERE user_id = %lld AND "
		       "revoke_reason = 'password_reset'",
		       bo),
	       2, "  every session ended");
	is_int(reset(token, T0 + 3000, &why), PTL_ERR_VALIDATION,
	       "the same link again");
	is_str(why.field, "hash", "  refused field hash");
	is_str(why.key, "invalidHash", "  key invalidHash");
	is_int(reset(older, T0 + 3000, &why), PTL_ERR_VALIDATION,
	       "a link issued before the reset: invalidHash");
	is_int(reset("not-a-token", T0, &why), PTL_ERR_VALIDATION,
	       "a malformed link: invalidHash");
	token = reset_token(bo, T0);
	is_int(reset(token, T0 + app.cfg.forgot_ttl_ms + 1000, &why),
	       PTL_ERR_VALIDATION, "an expired link: invalidHash");
	ok(ptl_account_delete(&app, bo, T0) == PTL_OK, "delete the user");
	is_int(reset(token, T0, &why), PTL_ERR_VALIDATION,
	       "  the link of a deleted user: invalidHash");
	is_str(why.key, "invalidHash", "  invalidHash");
}

static void
test_reset_rollback(void)
{
	int64_t cy = user("cy@example.com"), s = session(cy);
	char *token = reset_token(cy, T0);
	const char *before = stored_hash(cy);
	struct ptl_refusal why;
	struct ptl_user u;
	enum ptl_err e;

	if (!ok(s > 0 && token != NULL && before != NULL &&
		    fix_sql_exec(fix_path("auth.db"),
				 "CREATE TRIGGER no_revoke BEFORE UPDATE ON "
				 "sessions BEGIN SELECT RAISE(ABORT, "
				 "'injected'); END"),
		"a user, and sessions that cannot be ended"))
		return;
	e = reset(token, T0 + 1000, &why);
	ok(e != PTL_OK && e != PTL_ERR_VALIDATION,
	   "reset fails when the sessions cannot be ended");
	is_str(stored_hash(cy), before, "  the password is unchanged");
	is_int(ptl_account_get_by_session(arena, &app, s, cy, T0 + 1000, &u),
	       PTL_OK, "  the session is live");
	ok(fix_sql_exec(fix_path("auth.db"), "DROP TRIGGER no_revoke"),
	   "sessions can be ended again");
	is_int(reset(token, T0 + 2000, &why), PTL_OK,
	       "  and the same link now works");
}

/* A reset kills every other link of the account, and confirms it. */
static void
test_reset_kills_links(void)
{
	int64_t id = 0, mail_id = 0;
	struct ptl_link_state before, after;
	struct ptl_refusal why;
	char *token, *confirm = NULL;

	if (!ok(ptl_account_register(arena, &app, "dee@example.com", PW,
				     strlen(PW), NULL, NULL,
				     PTL_ACCOUNT_ROLE_USER,
				     PTL_ACCOUNT_STATUS_INACTIVE, T0,
				     &id) == PTL_OK &&
			ptl_account_set_pending(&app, id,
						"dee.new@example.com") == PTL_OK,
		"an Inactive user with an email change pending"))
		return;
	ok(ptl_token_confirm_issue(arena, &app, id, NULL, T0, &confirm) ==
		   PTL_OK,
	   "  and its confirm link");
	ok(ptl_db_begin(app.db) == PTL_OK &&
		   ptl_outbox_enqueue(&app,
				      PTL_MAIL_CONFIRM_NEW, id,
				      "dee.new@example.com",
				      "dee.new@example.com", T0,
				      &mail_id) == PTL_OK &&
		   ptl_db_commit(app.db) == PTL_OK,
	   "  and its confirm-new mail queued, not yet delivered");
	ok(ptl_account_link_state(arena, &app, id, &before) == PTL_OK,
	   "  its link state");
	token = reset_token(id, T0);
	is_int(reset(token, T0 + 1000, &why), PTL_OK, "reset");
	ok(ptl_account_link_state(arena, &app, id, &after) == PTL_OK &&
		   after.stamp == before.stamp + 1 &&
		   after.pending_email == NULL,
	   "  a new stamp, no change pending");
	is_int(after.status_id, PTL_ACCOUNT_STATUS_ACTIVE,
	       "  the link proved the address: Active");
	is_int(sql_int("SELECT last_error = 'superseded' AND failed_at IS NOT "
		       "NULL FROM mail_outbox WHERE id = %lld",
		       mail_id),
	       1, "  the queued mail is cancelled (its link would be dead)");
	{
		struct ptl_link_state st;
		const char *ne;
		int64_t uid;

		is_int(ptl_token_confirm_verify(arena, &app, confirm, T0 + 2000,
						&uid, &ne, &st),
		       PTL_ERR_UNAUTHORIZED, "  the confirm link is dead");
	}
}

/* AUTH_RATE_MAIL_USER and AUTH_RATE_MAIL_IP: silent, as the minute is. */
static void
test_forgot_mail_limits(void)
{
	int64_t eve = user("eve@example.com"), fay = user("fay@example.com");
	unsigned saved_user = app.cfg.rl_mail_user;
	unsigned saved_ip = app.cfg.rl_mail_ip;
	struct ptl_refusal why;
	int64_t now = T0 + 7200000;
	unsigned i, ok204 = 0;

	app.cfg.rl_mail_user = 2;
	app.cfg.rl_mail_ip = 3;
	for (i = 0; i < 4; i++)
		ok204 += forgot("eve@example.com", now + i * 61000, &why) ==
			 PTL_OK;
	is_int(ok204, 4, "four forgot requests a minute apart: 204 each");
	is_int(reset_mails(eve), 2, "  AUTH_RATE_MAIL_USER mails, no more");
	ok204 = 0;
	for (i = 0; i < 3; i++)
		ok204 += forgot("fay@example.com", now + 300000 + i * 61000,
				&why) == PTL_OK;
	is_int(ok204, 3, "another account from the same IP: 204 each");
	is_int(reset_mails(fay), 1,
	       "  one mail: the IP's AUTH_RATE_MAIL_IP is used up");
	is_int(ptl_password_forgot(arena, &app, "fay@example.com",
				   "203.0.113.5", now + 600000, &why),
	       PTL_OK, "  from another IP");
	is_int(reset_mails(fay), 2, "  a mail");
	app.cfg.rl_mail_user = saved_user;
	app.cfg.rl_mail_ip = saved_ip;
}

int
main(void)
{
	unsetenv("FRONTEND_DOMAIN");
	fix_app_open(&app);
	arena = ptl_mem_new();
	test_forgot();
	test_reset();
	test_reset_rollback();
	test_reset_kills_links();
	test_forgot_mail_limits();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
