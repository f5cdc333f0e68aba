/* SPDX-License-Identifier: ISC */
/*
 * test_signup: lib/domain/signup.c on a temp database with a fixed clock.
 * Register: the user (User, Inactive, hashed password) and its confirm
 * mail in one transaction, delivered after the answer; the taken address
 * (deleted users included) refused with email:emailAlreadyExists; no
 * second mail within the minute; nothing left when the mail cannot be
 * queued; AUTH_RATE_MAIL_IP (429 before anything, whatever the address).
 * The confirm links: Active once, then 404; dead after a password change.
 * The confirm-new links: the new address set once (then dead); only the
 * link of the latest change works; dead after a reset (the takeover of
 * issue 9); invalidHash, emailExists and 404 where they belong.
 * FRONTEND_DOMAIN is unset, so a delivery fails before any network.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "domain/account.h"
#include "domain/outbox.h"
#include "domain/ratelimit.h"
#include "domain/signup.h"
#include "domain/token.h"
#include "fixture.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define PW "correct horse"

static struct ptl_app app;
static struct ptl_arena *arena;

/* The first column of the first row of a query made from fmt and arg. */
#define count(fmt, arg)                                                      \
	fix_sql_int(fix_path("auth.db"), ptl_mem_printf(arena, fmt, arg))

static enum ptl_err
reg(const char *email, int64_t *id, struct ptl_refusal *why)
{
	const struct ptl_signup in = {
		.email = email,
		.password = PW,
		.password_len = strlen(PW),
		.first_name = "Ann",
		.last_name = "Lee",
	};

	return ptl_signup_register(arena, &app, &in, T0, id, why);
}

static void
test_register(void)
{
	struct ptl_refusal why;
	struct ptl_user u;
	int64_t id = 0, again = 0;

	is_int(reg("ann@example.com", &id, &why), PTL_OK, "register");
	ok(id > 0 && why.field == NULL, "  a user id, no refusal");
	if (!ok(ptl_account_get(arena, &app, id, &u) == PTL_OK, "  user row"))
		return;
	ok(u.role_id == PTL_ACCOUNT_ROLE_USER &&
		   u.status_id == PTL_ACCOUNT_STATUS_INACTIVE,
	   "  role User, status Inactive");
	ok(strcmp(u.first_name, "Ann") == 0 && strcmp(u.last_name, "Lee") == 0,
	   "  names stored");
	ok(u.password != NULL &&
		   ptl_crypto_pw_verify(&app.pw, u.password, PW, strlen(PW)),
	   "  password stored as a hash of it");
	is_int(count("SELECT count(*) FROM mail_outbox WHERE kind = 0 AND "
		     "recipient = '%s' AND new_email IS NULL",
		     "ann@example.com"),
	       1, "  one confirm mail queued");
	is_int(count("SELECT attempts FROM mail_outbox WHERE recipient = '%s'",
		     "ann@example.com"),
	       0, "  not delivered before the answer");
	is_int(app.nmail_after, 1, "  but left for after it");
	ptl_outbox_deliver_deferred(arena, &app, T0);
	is_int(count("SELECT attempts FROM mail_outbox WHERE recipient = '%s'",
		     "ann@example.com"),
	       1, "  and tried once the answer is out");
	is_int(app.nmail_after, 0, "  then forgotten");

	is_int(reg("ann@example.com", &again, &why), PTL_ERR_VALIDATION,
	       "the same address again");
	is_str(why.field, "email", "  refused field email");
	is_str(why.key, "emailAlreadyExists", "  key emailAlreadyExists");
	ok(why.field2 == NULL, "  one field");
	is_int(count("SELECT count(*) FROM users WHERE email = '%s'",
		     "ann@example.com"),
	       1, "  no second user");
	is_int(count("SELECT count(*) FROM mail_outbox WHERE recipient = '%s'",
		     "ann@example.com"),
	       1, "  no second mail");

	ok(ptl_account_delete(&app, id, T0) == PTL_OK, "delete the user");
	is_int(reg("ann@example.com", &again, &why), PTL_ERR_VALIDATION,
	       "  the address of a deleted user stays taken");
}

static void
test_register_mail_limit(void)
{
	struct ptl_refusal why;
	int64_t id = 0;
	int retry = 0;

	/* A confirm mail went to the address a moment ago. */
	ok(ptl_ratelimit_hit(&app, PTL_RL_MAIL, "confirm:bo@example.com", T0,
			     &retry) == PTL_OK,
	   "a confirm mail to bo@ counted");
	is_int(reg("bo@example.com", &id, &why), PTL_OK,
	       "register within the minute");
	ok(id > 0, "  the user is made");
	is_int(count("SELECT count(*) FROM mail_outbox WHERE recipient = '%s'",
		     "bo@example.com"),
	       0, "  without a second mail");
}

static void
test_register_rollback(void)
{
	struct ptl_refusal why;
	int64_t id = 0;
	enum ptl_err e;

	if (!ok(fix_sql_exec(
		    fix_path("auth.db"),
		    "CREATE TRIGGER no_mail BEFORE INSERT ON mail_outbox "
		    "BEGIN SELECT RAISE(ABORT, 'injected'); END"),
		"the outbox refuses every row"))
		return;
	e = reg("cy@example.com", &id, &why);
	ok(e != PTL_OK && e != PTL_ERR_VALIDATION,
	   "register fails when the mail cannot be queued");
	is_int(count("SELECT count(*) FROM users WHERE email = '%s'",
		     "cy@example.com"),
	       0, "  no user row left");
	ok(fix_sql_exec(fix_path("auth.db"), "DROP TRIGGER no_mail"),
	   "the outbox takes rows again");
	is_int(reg("cy@example.com", &id, &why), PTL_OK,
	       "  and the address is free");
}

static char *
confirm_token(int64_t user_id, const char *new_email, int64_t now)
{
	char *token = NULL;

	if (ptl_token_confirm_issue(arena, &app, user_id, new_email, now,
				    &token) != PTL_OK)
		return NULL;
	return token;
}

static void
test_confirm(void)
{
	struct ptl_refusal why;
	struct ptl_user u;
	int64_t id = 0, gone = 0;
	char *token;

	if (!ok(reg("dee@example.com", &id, &why) == PTL_OK, "register dee"))
		return;
	token = confirm_token(id, NULL, T0);
	is_int(ptl_signup_confirm(arena, &app, token, T0 + 1000, &why), PTL_OK,
	       "confirm");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   u.status_id == PTL_ACCOUNT_STATUS_ACTIVE,
	   "  the account is Active");
	is_int(ptl_signup_confirm(arena, &app, token, T0 + 2000, &why),
	       PTL_ERR_NOT_FOUND, "a second confirmation: not found");

	is_int(ptl_signup_confirm(arena, &app, "not.a.token", T0, &why),
	       PTL_ERR_VALIDATION, "a malformed token");
	is_str(why.field, "hash", "  refused field hash");
	is_str(why.key, "invalidHash", "  key invalidHash");
	ok(reg("eve@example.com", &gone, &why) == PTL_OK, "register eve");
	token = confirm_token(gone, NULL, T0);
	is_int(ptl_signup_confirm(arena, &app, token,
				  T0 + app.cfg.confirm_ttl_ms + 1000, &why),
	       PTL_ERR_VALIDATION, "an expired token");
	is_str(why.key, "invalidHash", "  invalidHash");
	ok(ptl_account_delete(&app, gone, T0) == PTL_OK, "delete eve");
	is_int(ptl_signup_confirm(arena, &app, token, T0, &why),
	       PTL_ERR_NOT_FOUND, "the token of a deleted user: not found");
}

/* A confirm-new-email link for id, as PATCH /me leaves it: the pending
 * change, then the link of its mail. */
static char *
change_link(int64_t id, const char *new_email)
{
	if (ptl_account_set_pending(&app, id, new_email) != PTL_OK)
		return NULL;
	return confirm_token(id, new_email, T0);
}

static void
test_confirm_new(void)
{
	struct ptl_refusal why;
	struct ptl_user u;
	int64_t id = 0, other = 0;
	char *token, *older;

	if (!ok(reg("fay@example.com", &id, &why) == PTL_OK &&
			reg("gus@example.com", &other, &why) == PTL_OK,
		"register fay and gus"))
		return;
	token = change_link(id, "fay.new@example.com");
	is_int(ptl_signup_confirm_new(arena, &app, token, T0 + 1000, &why),
	       PTL_OK, "confirm the new address");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   strcmp(u.email, "fay.new@example.com") == 0 &&
		   u.status_id == PTL_ACCOUNT_STATUS_ACTIVE,
	   "  the address changed, the account is Active");
	is_int(count("SELECT pending_email IS NULL FROM users WHERE id = %lld",
		     (long long)id),
	       1, "  no change pending any more");
	is_int(ptl_signup_confirm_new(arena, &app, token, T0 + 2000, &why),
	       PTL_ERR_VALIDATION, "the link again: dead (single use)");
	is_str(why.key, "invalidHash", "  invalidHash");

	token = change_link(id, "gus@example.com");
	is_int(ptl_signup_confirm_new(arena, &app, token, T0, &why),
	       PTL_ERR_VALIDATION, "an address another account has");
	is_str(why.field, "email", "  refused field email");
	is_str(why.key, "emailExists", "  key emailExists");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   strcmp(u.email, "fay.new@example.com") == 0,
	   "  the address is unchanged");

	older = change_link(id, "fay.a@example.com");
	token = change_link(id, "fay.b@example.com");
	is_int(ptl_signup_confirm_new(arena, &app, older, T0, &why),
	       PTL_ERR_VALIDATION, "the link of an older change: dead");
	is_str(why.key, "invalidHash", "  invalidHash");
	is_int(ptl_signup_confirm_new(arena, &app, token, T0, &why), PTL_OK,
	       "  the link of the latest change works");
	is_int(ptl_signup_confirm_new(arena, &app, older, T0, &why),
	       PTL_ERR_VALIDATION, "  and the older one stays dead");

	/* The takeover of issue 9: a change asked for, then the owner takes
	 * the account back by a password reset; the link must be dead. */
	token = change_link(id, "mallory@example.com");
	ok(ptl_account_store_hash(&app, id, "$argon2id$v=19$x", T0) == PTL_OK &&
		   ptl_account_new_stamp(&app, id, true, T0) == PTL_OK,
	   "a password reset after the change was asked");
	is_int(ptl_signup_confirm_new(arena, &app, token, T0 + 3000, &why),
	       PTL_ERR_VALIDATION, "  the email-change link is dead");
	is_str(why.key, "invalidHash", "  invalidHash");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   strcmp(u.email, "fay.b@example.com") == 0,
	   "  and the address is the owner's");

	token = confirm_token(other, NULL, T0);
	is_int(ptl_signup_confirm_new(arena, &app, token, T0, &why), PTL_OK,
	       "a token without newEmail");
	ok(ptl_account_get(arena, &app, other, &u) == PTL_OK &&
		   strcmp(u.email, "gus@example.com") == 0 &&
		   u.status_id == PTL_ACCOUNT_STATUS_ACTIVE,
	   "  activates and keeps the address");

	is_int(ptl_signup_confirm_new(arena, &app, "x", T0, &why),
	       PTL_ERR_VALIDATION, "a malformed token");
	is_str(why.key, "invalidHash", "  invalidHash");
	token = change_link(other, "gus.new@example.com");
	ok(ptl_account_delete(&app, other, T0) == PTL_OK, "delete gus");
	is_int(ptl_signup_confirm_new(arena, &app, token, T0, &why),
	       PTL_ERR_NOT_FOUND, "the token of a deleted user: not found");
}

/* The confirm link is tied to the account's stamp too. */
static void
test_confirm_stale(void)
{
	struct ptl_refusal why;
	int64_t id = 0;
	char *token;

	if (!ok(reg("hal@example.com", &id, &why) == PTL_OK, "register hal"))
		return;
	token = confirm_token(id, NULL, T0);
	ok(ptl_account_store_hash(&app, id, "$argon2id$v=19$y", T0) == PTL_OK &&
		   ptl_account_new_stamp(&app, id, false, T0) == PTL_OK,
	   "a password change");
	is_int(ptl_signup_confirm(arena, &app, token, T0 + 1000, &why),
	       PTL_ERR_VALIDATION, "  the confirm link made before: dead");
	is_str(why.key, "invalidHash", "  invalidHash");
	token = confirm_token(id, NULL, T0);
	is_int(ptl_signup_confirm(arena, &app, token, T0 + 1000, &why), PTL_OK,
	       "  a link made after it works");
}

/* AUTH_RATE_MAIL_IP: the mails of one client in an hour. */
static void
test_register_ip_limit(void)
{
	struct ptl_signup in = {.password = PW,
				.password_len = strlen(PW),
				.first_name = "Ip",
				.last_name = "Limit",
				.ip = "198.51.100.7"};
	struct ptl_refusal why;
	unsigned saved = app.cfg.rl_mail_ip;
	int64_t id = 0;

	app.cfg.rl_mail_ip = 2;
	in.email = "ip1@example.com";
	ok(ptl_signup_register(arena, &app, &in, T0, &id, &why) == PTL_OK,
	   "sign-up 1 from one IP");
	in.email = "ip2@example.com";
	ok(ptl_signup_register(arena, &app, &in, T0 + 1000, &id, &why) ==
		   PTL_OK,
	   "sign-up 2 from it");
	in.email = "ip3@example.com";
	is_int(ptl_signup_register(arena, &app, &in, T0 + 2000, &id, &why),
	       PTL_ERR_RATE_LIMITED, "sign-up 3 within the hour: limited");
	ok(why.retry_after_s > 3590 && why.retry_after_s <= 3600,
	   "  retry after the rest of the hour");
	is_int(count("SELECT count(*) FROM users WHERE email = '%s'",
		     "ip3@example.com"),
	       0, "  no user made");
	in.email = "ip2@example.com";
	is_int(ptl_signup_register(arena, &app, &in, T0 + 2000, &id, &why),
	       PTL_ERR_RATE_LIMITED,
	       "  the same answer for a taken address (nothing learnt)");
	in.ip = "198.51.100.8";
	in.email = "ip3@example.com";
	is_int(ptl_signup_register(arena, &app, &in, T0 + 2000, &id, &why),
	       PTL_OK, "another IP signs up");
	in.ip = "198.51.100.7";
	in.email = "ip4@example.com";
	is_int(ptl_signup_register(arena, &app, &in, T0 + 3601000, &id, &why),
	       PTL_OK, "the first IP an hour later");
	app.cfg.rate_limit = false;
	in.email = "ip5@example.com";
	ok(ptl_signup_register(arena, &app, &in, T0 + 3602000, &id, &why) ==
			   PTL_OK &&
		   ptl_signup_register(
			   arena, &app,
			   &(struct ptl_signup){.email = "ip6@example.com",
						.password = PW,
						.password_len = strlen(PW),
						.ip = in.ip},
			   T0 + 3603000, &id, &why) == PTL_OK,
	   "AUTH_RATE_LIMIT=false: no mail limit");
	app.cfg.rate_limit = true;
	app.cfg.rl_mail_ip = saved;
}

int
main(void)
{
	unsetenv("FRONTEND_DOMAIN");
	fix_app_open(&app);
	arena = ptl_mem_new();
	test_register();
	test_register_mail_limit();
	test_register_rollback();
	test_confirm();
	test_confirm_new();
	test_confirm_stale();
	test_register_ip_limit();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
