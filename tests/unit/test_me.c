/* SPDX-License-Identifier: ISC */
/*
 * test_me: lib/domain/me.c on a temp database with a fixed clock. Get:
 * the live user, 401 once it is gone. Update: an empty patch writes
 * nothing; names set, cleared (null) or kept (absent); the refusals in
 * their order (userNotFound, imageNotExists, missingOldPassword,
 * incorrectOldPassword, emailExists) write nothing; a password change
 * keeps only the caller's session; a new address is not applied but
 * mailed, once a minute (429 after); nothing is left of a patch whose
 * mail cannot be queued. Issue 9: an unconfirmed account cannot change
 * its address; a newer change replaces the pending one and a password
 * change kills every link; wrong old passwords share the failed sign-ins
 * of the account (429 after, even with the right one); the mails of an
 * hour per account and per IP. FRONTEND_DOMAIN is unset, so a delivery
 * fails before any network.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "domain/account.h"
#include "domain/outbox.h"
#include "domain/me.h"
#include "domain/session.h"
#include "domain/signin.h"
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

static int64_t
user(const char *email, const char *first, const char *last)
{
	int64_t id = 0;

	if (ptl_account_register(arena, &app, email, PW, strlen(PW), first,
				 last, PTL_ACCOUNT_ROLE_USER,
				 PTL_ACCOUNT_STATUS_ACTIVE, T0, &id) != PTL_OK)
		return 0;
	return id;
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

static bool
live(int64_t session_id, int64_t user_id)
{
	struct ptl_user u;

	return ptl_account_get_by_session(arena, &app, session_id, user_id, T0,
					  &u) == PTL_OK;
}

static bool
same(const char *got, const char *want)
{
	return (got == NULL && want == NULL) ||
	       (got != NULL && want != NULL && strcmp(got, want) == 0);
}

static bool
password_is(int64_t user_id, const char *pw)
{
	struct ptl_user u;

	return ptl_account_get(arena, &app, user_id, &u) == PTL_OK &&
	       u.password != NULL &&
	       ptl_crypto_pw_verify(&app.pw, u.password, pw, strlen(pw));
}

static enum ptl_err
update(int64_t user_id, int64_t session_id, const struct ptl_me_patch *in,
       int64_t now, struct ptl_user *u, struct ptl_refusal *why)
{
	return ptl_me_update(arena, &app, user_id, session_id, IP, in, now, u,
			     why);
}

static void
test_get(void)
{
	int64_t id = user("get@example.com", "G", NULL);
	struct ptl_user u;

	is_int(ptl_me_get(arena, &app, id, &u), PTL_OK, "get");
	is_str(u.email, "get@example.com", "  the user");
	ok(ptl_account_delete(&app, id, T0) == PTL_OK, "delete the user");
	is_int(ptl_me_get(arena, &app, id, &u), PTL_ERR_UNAUTHORIZED,
	       "  get: unauthorized");
}

static void
test_names(void)
{
	int64_t id = user("names@example.com", "Ann", "Lee");
	const struct ptl_me_patch none = {0};
	const struct ptl_me_patch first = {.set_first_name = true,
					   .first_name = "Anna"};
	const struct ptl_me_patch clear = {.set_last_name = true};
	struct ptl_refusal why;
	struct ptl_user u;

	is_int(update(id, 0, &none, T0 + 1000, &u, &why), PTL_OK,
	       "an empty patch");
	ok(u.id == id && u.updated_at == T0, "  the user, nothing written");
	is_int(update(id, 0, &first, T0 + 2000, &u, &why), PTL_OK,
	       "set the first name");
	ok(same(u.first_name, "Anna") && same(u.last_name, "Lee") &&
		   u.updated_at == T0 + 2000,
	   "  first set, last kept (absent), updatedAt moved");
	is_int(update(id, 0, &clear, T0 + 3000, &u, &why), PTL_OK,
	       "last name null");
	ok(same(u.first_name, "Anna") && u.last_name == NULL,
	   "  last cleared, first kept");
	ok(ptl_account_delete(&app, id, T0) == PTL_OK, "delete the user");
	is_int(update(id, 0, &first, T0, &u, &why), PTL_ERR_VALIDATION,
	       "  a patch for a deleted user");
	ok(same(why.field, "user") && same(why.key, "userNotFound"),
	   "  user userNotFound");
}

static void
test_refusals(void)
{
	int64_t id = user("ref@example.com", "Ann", NULL);
	int64_t social = fix_user(&app, "soc@example.com", NULL, "google",
				  PTL_ACCOUNT_ROLE_USER);
	struct ptl_me_patch in = {.photo = "00000000-0000-4000-8000-000000000000",
				  .set_first_name = true,
				  .first_name = "Changed",
				  .password = NEW_PW,
				  .password_len = strlen(NEW_PW)};
	struct ptl_refusal why;
	struct ptl_user u;

	ok(user("taken@example.com", NULL, NULL) > 0 && social > 0,
	   "users ref, taken and a social one");
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_ERR_VALIDATION,
	       "an unknown photo (and a password without the old one)");
	ok(same(why.field, "photo") && same(why.key, "imageNotExists"),
	   "  photo imageNotExists first");
	in.photo = NULL;
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_ERR_VALIDATION,
	       "a password without the old one");
	ok(same(why.field, "oldPassword") &&
	       same(why.key, "missingOldPassword"),
	   "  oldPassword missingOldPassword");
	in.old_password = "wrong horse";
	in.old_password_len = strlen(in.old_password);
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_ERR_VALIDATION,
	       "a wrong old password");
	ok(same(why.field, "oldPassword") &&
		   same(why.key, "incorrectOldPassword"),
	   "  oldPassword incorrectOldPassword");
	is_int(update(social, 0, &in, T0 + 1000, &u, &why), PTL_ERR_VALIDATION,
	       "an old password for an account without one");
	ok(same(why.key, "incorrectOldPassword"), "  incorrectOldPassword");
	in.old_password = PW;
	in.old_password_len = strlen(PW);
	in.email = "taken@example.com";
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_ERR_VALIDATION,
	       "an address another user has");
	ok(same(why.field, "email") && same(why.key, "emailExists"),
	   "  email emailExists");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   same(u.first_name, "Ann") && u.updated_at == T0 &&
		   password_is(id, PW),
	   "no refusal wrote anything");
	is_int(sql_int("SELECT count(*) FROM mail_outbox WHERE user_id = %lld",
		       id),
	       0, "  nor queued a mail");
}

static void
test_password(void)
{
	int64_t id = user("pw@example.com", NULL, NULL);
	int64_t mine = session(id), other = session(id);
	const struct ptl_me_patch in = {.password = NEW_PW,
					.password_len = strlen(NEW_PW),
					.old_password = PW,
					.old_password_len = strlen(PW)};
	struct ptl_refusal why;
	struct ptl_user u;

	if (!ok(mine > 0 && other > 0, "a user with two sessions"))
		return;
	is_int(update(id, mine, &in, T0 + 1000, &u, &why), PTL_OK,
	       "change the password");
	ok(password_is(id, NEW_PW), "  the new one is stored");
	ok(live(mine, id), "  the caller's session is live");
	ok(!live(other, id), "  the other one ended");
	is_int(sql_int("SELECT count(*) FROM sessions WHERE id = %lld AND "
		       "revoke_reason = 'password_changed'",
		       other),
	       1, "  as password_changed");
}

static void
test_email(void)
{
	int64_t id = user("old@example.com", "Em", NULL);
	struct ptl_me_patch in = {.email = "old@example.com"};
	struct ptl_refusal why;
	struct ptl_user u;

	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_OK,
	       "the current address");
	is_int(sql_int("SELECT count(*) FROM mail_outbox WHERE user_id = %lld",
		       id),
	       0, "  no mail");
	in.email = "new@example.com";
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_OK,
	       "a new address");
	is_str(u.email, "old@example.com", "  not applied");
	is_int(sql_int("SELECT count(*) FROM mail_outbox WHERE user_id = %lld "
		       "AND kind = 1 AND recipient = 'new@example.com' AND "
		       "new_email = 'new@example.com'",
		       id),
	       1, "  a confirm-new-email mail to it");
	is_int(sql_int("SELECT attempts FROM mail_outbox WHERE user_id = %lld",
		       id),
	       0, "  not delivered before the answer");
	is_int(app.nmail_after, 1, "  but left for after it");
	ptl_outbox_deliver_deferred(arena, &app, T0 + 1000);
	is_int(sql_int("SELECT attempts FROM mail_outbox WHERE user_id = %lld",
		       id),
	       1, "  and tried once the answer is out");
	in.set_first_name = true;
	in.first_name = "Changed";
	is_int(update(id, 0, &in, T0 + 30000, &u, &why), PTL_ERR_RATE_LIMITED,
	       "the same address within the minute");
	is_int(why.retry_after_s, 60, "  retry after 60 s");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   same(u.first_name, "Em"),
	   "  and the names of that patch are not written");
}

static void
test_rollback(void)
{
	int64_t id = user("rb@example.com", "Rob", NULL);
	int64_t mine = session(id), other = session(id);
	const struct ptl_me_patch in = {.set_first_name = true,
					.first_name = "Changed",
					.email = "rb.new@example.com",
					.password = NEW_PW,
					.password_len = strlen(NEW_PW),
					.old_password = PW,
					.old_password_len = strlen(PW)};
	struct ptl_refusal why;
	struct ptl_user u;
	enum ptl_err e;

	if (!ok(mine > 0 && other > 0 &&
			fix_sql_exec(fix_path("auth.db"),
				     "CREATE TRIGGER no_mail BEFORE INSERT ON "
				     "mail_outbox BEGIN SELECT RAISE(ABORT, "
				     "'injected'); END"),
		"two sessions, and an outbox that refuses every row"))
		return;
	e = update(id, mine, &in, T0 + 1000, &u, &why);
	ok(e != PTL_OK && e != PTL_ERR_VALIDATION,
	   "a patch whose mail cannot be queued fails");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   same(u.first_name, "Rob") && password_is(id, PW),
	   "  names and password unchanged");
	ok(live(other, id), "  the other session is live");
	ok(fix_sql_exec(fix_path("auth.db"), "DROP TRIGGER no_mail"),
	   "the outbox takes rows again");
}

/* The pending change and the stamp of a user, as the links see them. */
static struct ptl_link_state
links_of(int64_t user_id)
{
	struct ptl_link_state st;

	if (ptl_account_link_state(arena, &app, user_id, &st) != PTL_OK)
		memset(&st, 0, sizeof(st));
	return st;
}

static void
test_email_unconfirmed(void)
{
	int64_t id = 0;
	struct ptl_me_patch in = {.email = "away@example.com",
				  .set_first_name = true,
				  .first_name = "Changed"};
	struct ptl_refusal why;
	struct ptl_user u;

	if (!ok(ptl_account_register(arena, &app, "inactive@example.com", PW,
				     strlen(PW), "In", NULL,
				     PTL_ACCOUNT_ROLE_USER,
				     PTL_ACCOUNT_STATUS_INACTIVE, T0,
				     &id) == PTL_OK,
		"an Inactive (unconfirmed) user"))
		return;
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_ERR_VALIDATION,
	       "an email change of an unconfirmed account");
	ok(same(why.field, "email") && same(why.key, "emailNotConfirmed"),
	   "  email emailNotConfirmed");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   same(u.first_name, "In") && links_of(id).pending_email == NULL,
	   "  nothing written, no change pending");
	is_int(sql_int("SELECT count(*) FROM mail_outbox WHERE user_id = %lld",
		       id),
	       0, "  no mail");
	in.email = "inactive@example.com";
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_OK,
	       "  its own address (no change) and names: fine");
	in.email = "taken@example.com";
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_ERR_VALIDATION,
	       "  a taken address: still emailNotConfirmed");
	ok(same(why.key, "emailNotConfirmed"), "  (says nothing of the address)");
}

static void
test_email_links(void)
{
	int64_t id = user("links@example.com", NULL, NULL);
	int64_t stamp;
	struct ptl_me_patch in = {.email = "l1@example.com"};
	struct ptl_refusal why;
	struct ptl_user u;

	is_int(update(id, 0, &in, T0, &u, &why), PTL_OK, "a change asked");
	is_str(links_of(id).pending_email, "l1@example.com",
	       "  it is the pending change");
	stamp = links_of(id).stamp;
	in.email = "l2@example.com";
	is_int(update(id, 0, &in, T0 + 1000, &u, &why), PTL_OK,
	       "a second change asked");
	is_str(links_of(id).pending_email, "l2@example.com",
	       "  it replaces the first (whose link dies)");
	ok(links_of(id).stamp == stamp,
	   "  the stamp is kept (the reset and confirm links live)");
	in = (struct ptl_me_patch){.password = NEW_PW,
				   .password_len = strlen(NEW_PW),
				   .old_password = PW,
				   .old_password_len = strlen(PW)};
	is_int(update(id, 0, &in, T0 + 2000, &u, &why), PTL_OK,
	       "a password change");
	ok(links_of(id).stamp == stamp + 1 && links_of(id).pending_email == NULL,
	   "  a new stamp, no change pending: every link dead");
	is_int(sql_int("SELECT count(*) FROM mail_outbox WHERE user_id = %lld "
		       "AND sent_at IS NULL AND failed_at IS NULL",
		       id),
	       0, "  and no mail of the user left to deliver");
	in = (struct ptl_me_patch){.password = PW,
				   .password_len = strlen(PW),
				   .old_password = NEW_PW,
				   .old_password_len = strlen(NEW_PW),
				   .email = "l3@example.com"};
	is_int(update(id, 0, &in, T0 + 3000, &u, &why), PTL_OK,
	       "a password and an address in one patch");
	ok(links_of(id).stamp == stamp + 2 &&
		   same(links_of(id).pending_email, "l3@example.com"),
	   "  a new stamp, and the new change pending (its link lives)");
}

/* Wrong old passwords count against the failed sign-ins of the account. */
static void
test_old_password_limit(void)
{
	int64_t id = user("guess@example.com", NULL, NULL);
	const struct ptl_me_patch wrong = {.password = NEW_PW,
					   .password_len = strlen(NEW_PW),
					   .old_password = "guess",
					   .old_password_len = 5};
	const struct ptl_me_patch right = {.password = NEW_PW,
					   .password_len = strlen(NEW_PW),
					   .old_password = PW,
					   .old_password_len = strlen(PW)};
	const struct ptl_signin in = {.email = "guess@example.com",
				      .password = "guess",
				      .password_len = 5};
	struct ptl_refusal why;
	struct ptl_login login;
	struct ptl_user u;
	unsigned i, refused = 0;

	for (i = 0; i + 1 < app.cfg.rl_login_fail; i++)
		refused += update(id, 0, &wrong, T0 + i, &u, &why) ==
				   PTL_ERR_VALIDATION &&
			   same(why.key, "incorrectOldPassword");
	is_int(refused, app.cfg.rl_login_fail - 1,
	       "AUTH_RATE_LOGIN_FAIL - 1 wrong old passwords: 422 each");
	is_int(ptl_signin_email(arena, &app, &in, T0 + 100, &login, &why),
	       PTL_ERR_VALIDATION, "  and one wrong sign-in");
	is_int(update(id, 0, &right, T0 + 200, &u, &why), PTL_ERR_RATE_LIMITED,
	       "then even the right old password: 429");
	ok(why.retry_after_s > 0 && why.retry_after_s <= 900,
	   "  retry after the rest of the 15 minutes");
	ok(password_is(id, PW), "  the password is unchanged");
	is_int(ptl_signin_email(arena, &app,
				&(struct ptl_signin){.email = in.email,
						     .password = PW,
						     .password_len = strlen(PW)},
				T0 + 300, &login, &why),
	       PTL_ERR_RATE_LIMITED, "  and a sign-in with it too (one budget)");
	is_int(update(id, 0, &(struct ptl_me_patch){.set_first_name = true,
						    .first_name = "Ok"},
		      T0 + 300, &u, &why),
	       PTL_OK, "  a patch without a password still works");
	is_int(update(id, 0, &right, T0 + 15 * 60 * 1000 + 1000, &u, &why),
	       PTL_OK, "the window over: the change is made");
	ok(password_is(id, NEW_PW), "  the new password is stored");
}

/* AUTH_RATE_MAIL_USER and AUTH_RATE_MAIL_IP: the mails of an hour. */
static void
test_mail_limits(void)
{
	int64_t id = user("relay@example.com", NULL, NULL);
	int64_t id2 = user("relay2@example.com", NULL, NULL);
	unsigned saved_user = app.cfg.rl_mail_user;
	unsigned saved_ip = app.cfg.rl_mail_ip;
	struct ptl_me_patch in = {.set_first_name = true, .first_name = "X"};
	struct ptl_refusal why;
	struct ptl_user u;
	unsigned i, sent = 0;
	int64_t now = T0 + 7200000;

	app.cfg.rl_mail_user = 3;
	app.cfg.rl_mail_ip = 5;
	for (i = 0; i < 3; i++) {
		in.email = ptl_mem_printf(arena, "to%u@example.com", i);
		sent += update(id, 0, &in, now + i, &u, &why) == PTL_OK;
	}
	is_int(sent, 3, "AUTH_RATE_MAIL_USER changes to three addresses");
	in.email = "to3@example.com";
	in.first_name = "Y";
	is_int(update(id, 0, &in, now + 10, &u, &why), PTL_ERR_RATE_LIMITED,
	       "a fourth within the hour: 429");
	ok(why.retry_after_s > 3590 && why.retry_after_s <= 3600,
	   "  retry after the rest of the hour");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   same(u.first_name, "X") &&
		   same(links_of(id).pending_email, "to2@example.com"),
	   "  nothing of that patch written");
	is_int(sql_int("SELECT count(*) FROM mail_outbox WHERE user_id = %lld",
		       id),
	       3, "  three mails in all");
	sent = 0;
	for (i = 0; i < 2; i++) {
		in.email = ptl_mem_printf(arena, "other%u@example.com", i);
		sent += update(id2, 0, &in, now + 20 + i, &u, &why) == PTL_OK;
	}
	is_int(sent, 2, "another account from the same IP: two more");
	in.email = "other2@example.com";
	is_int(update(id2, 0, &in, now + 30, &u, &why), PTL_ERR_RATE_LIMITED,
	       "  the sixth mail from the IP: 429 (AUTH_RATE_MAIL_IP)");
	is_int(ptl_me_update(arena, &app, id2, 0, "203.0.113.9", &in, now + 40,
			     &u, &why),
	       PTL_OK, "  from another IP: sent");
	in.email = "to3@example.com";
	is_int(update(id, 0, &in, now + 3600000 + 10, &u, &why), PTL_OK,
	       "the first account an hour later");
	app.cfg.rl_mail_user = saved_user;
	app.cfg.rl_mail_ip = saved_ip;
}

int
main(void)
{
	unsetenv("FRONTEND_DOMAIN");
	fix_app_open(&app);
	arena = ptl_mem_new();
	test_get();
	test_names();
	test_refusals();
	test_password();
	test_email();
	test_rollback();
	test_email_unconfirmed();
	test_email_links();
	test_old_password_limit();
	test_mail_limits();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
