/* SPDX-License-Identifier: ISC */
/*
 * test_account: lib/domain/account.c on a temp database with a fixed clock.
 * Register and its conflict rule; sign-in outcomes (ok, wrong password,
 * unknown, social account); re-hash on changed Argon2id parameters; the
 * exact User JSON; names and password updates; delete and disable end
 * every session and block sign-in; seeding is idempotent.
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
#define PW "correct horse"

static struct ptl_app app;
static struct ptl_arena *arena;

static enum ptl_err
login(const char *email, const char *pw, struct ptl_login *out,
      enum ptl_login_fail *fail)
{
	return ptl_account_login(arena, &app, email, pw, strlen(pw), "UA", "::1",
				 T0, out, fail);
}

static int64_t
reg(const char *email, const char *first, const char *last, int64_t status)
{
	int64_t id = 0;

	if (ptl_account_register(arena, &app, email, PW, strlen(PW), first,
				 last, PTL_ACCOUNT_ROLE_USER, status, T0,
				 &id) != PTL_OK)
		return 0;
	return id;
}

/* Whether session id is live and user's, through the query the endpoint
 * runs for every access token. */
static enum ptl_err
live(int64_t id, int64_t user, int64_t now)
{
	struct ptl_user u;
	enum ptl_err e = ptl_account_get_by_session(arena, &app, id, user, now,
						    &u);

	return e == PTL_ERR_NOT_FOUND ? PTL_ERR_UNAUTHORIZED : e;
}

static const char *
stored_hash(int64_t id)
{
	struct ptl_user u;

	memset(&u, 0, sizeof(u));
	if (ptl_account_get(arena, &app, id, &u) != PTL_OK)
		return NULL;
	return u.password;
}

static void
test_register_login(void)
{
	int64_t id =
	    reg("alice@example.com", "Alice", NULL, PTL_ACCOUNT_STATUS_ACTIVE);
	int64_t dup = 0, found = 0, social;
	struct ptl_login out;
	enum ptl_login_fail fail;
	const char *h;

	if (!ok(id > 0, "register"))
		return;
	h = stored_hash(id);
	ok(h != NULL && strncmp(h, "$argon2id$v=19$m=8192,t=1,p=1$", 30) == 0,
	   "stored as Argon2id at the app's parameters");
	is_int(ptl_account_register(arena, &app, "alice@example.com", "x", 1,
				    NULL, NULL, PTL_ACCOUNT_ROLE_USER,
				    PTL_ACCOUNT_STATUS_ACTIVE, T0, &dup),
	       PTL_ERR_CONFLICT, "duplicate email: conflict");
	ok(ptl_account_find(&app, "alice@example.com", &found) == PTL_OK &&
		   found == id,
	   "find by email");
	is_int(ptl_account_find(&app, "nobody@example.com", &found),
	       PTL_ERR_NOT_FOUND, "find unknown");

	is_int(login("alice@example.com", PW, &out, &fail), PTL_OK, "login ok");
	is_int(fail, PTL_LOGIN_OK, "  no failure reason");
	is_int(out.user.id, id, "  user loaded");
	is_str(out.user.email, "alice@example.com", "  email");
	ok(out.session_id > 0 && out.hash != NULL && strlen(out.hash) == 64,
	   "  session opened with a 64-hex secret");
	is_int(live(out.session_id, id, T0), PTL_OK,
	       "  session live");

	is_int(login("alice@example.com", "wrong horse", &out, &fail),
	       PTL_ERR_UNAUTHORIZED, "wrong password");
	is_int(fail, PTL_LOGIN_PASSWORD, "  reason password");
	ok(out.session_id == 0, "  no session");
	is_int(login("nobody@example.com", PW, &out, &fail), PTL_ERR_UNAUTHORIZED,
	       "unknown user");
	is_int(fail, PTL_LOGIN_NOT_FOUND, "  reason not found");
	is_int(login("ALICE@example.com", PW, &out, &fail), PTL_ERR_UNAUTHORIZED,
	       "email is matched exactly (normalised by the caller)");

	social = fix_user(&app, "sam@example.com", NULL, "google",
			  PTL_ACCOUNT_ROLE_USER);
	ok(social > 0, "social user inserted");
	is_int(login("sam@example.com", PW, &out, &fail), PTL_ERR_UNAUTHORIZED,
	       "social user cannot sign in with a password");
	is_int(fail, PTL_LOGIN_PROVIDER, "  reason provider");
	is_str(out.provider, "google", "  provider named");
	/* An email user without a password (imported) fails like a wrong one. */
	ok(fix_user(&app, "nopw@example.com", NULL, "email",
		    PTL_ACCOUNT_ROLE_USER) > 0,
	   "email user without a password");
	is_int(login("nopw@example.com", "", &out, &fail), PTL_ERR_UNAUTHORIZED,
	       "no stored password");
	is_int(fail, PTL_LOGIN_PASSWORD, "  reason password");
}

static void
test_rehash(void)
{
	int64_t id =
	    reg("rehash@example.com", NULL, NULL, PTL_ACCOUNT_STATUS_ACTIVE);
	const char *before, *after, *again;
	struct ptl_login out;
	enum ptl_login_fail fail;

	before = stored_hash(id);
	is_int(login("rehash@example.com", PW, &out, &fail), PTL_OK,
	       "login at the same parameters");
	is_str(stored_hash(id), before, "  hash unchanged");
	app.pw.ops = 2;
	is_int(login("rehash@example.com", PW, &out, &fail), PTL_OK,
	       "login after t changed 1 -> 2");
	after = stored_hash(id);
	ok(after != NULL && strcmp(after, before) != 0 &&
		   strstr(after, "$m=8192,t=2,p=1$") != NULL,
	   "  hash re-made at t=2");
	is_int(login("rehash@example.com", PW, &out, &fail), PTL_OK,
	       "  new hash verifies");
	again = stored_hash(id);
	is_str(again, after, "  and is not re-made again");
	app.pw.ops = 1;
	is_int(login("rehash@example.com", "bad password", &out, &fail),
	       PTL_ERR_UNAUTHORIZED, "wrong password after a parameter change");
	is_str(stored_hash(id), after, "  no re-hash on a failed login");
	is_int(login("rehash@example.com", PW, &out, &fail), PTL_OK,
	       "back to t=1");
	/* A reset that commits between a sign-in's check and its re-hash:
	 * the re-hash of the old password must not overwrite it. */
	again = stored_hash(id);
	is_int(ptl_account_set_password(arena, &app, id, "reset password 1",
					16, T0),
	       PTL_OK, "a reset stores a new password");
	after = stored_hash(id);
	is_int(ptl_account_rehash(arena, &app, id, again, PW, strlen(PW), T0),
	       PTL_OK, "a re-hash over the hash checked before the reset");
	is_str(stored_hash(id), after, "  leaves the reset's hash");
	is_int(ptl_account_rehash(arena, &app, id, after, "reset password 1",
				  16, T0),
	       PTL_OK, "a re-hash over the current hash");
	ok(strcmp(stored_hash(id), after) != 0, "  stores the new hash");
}

static void
test_json(void)
{
	int64_t id =
	    reg("bob@example.com", "Bob", NULL, PTL_ACCOUNT_STATUS_ACTIVE);
	struct ptl_user u;
	struct ptl_buf b;
	char *want;

	if (!ok(ptl_account_get(arena, &app, id, &u) == PTL_OK, "get"))
		return;
	ptl_buf_init(&b, arena, 64, 4096);
	ptl_account_user_json(&u, &b);
	want = ptl_mem_printf(
		arena,
		"{\"id\":%lld,\"email\":\"bob@example.com\",\"provider\":\"email\","
		"\"socialId\":null,\"firstName\":\"Bob\",\"lastName\":null,"
		"\"role\":{\"id\":2,\"name\":\"User\",\"__entity\":\"RoleEntity\"},"
		"\"status\":{\"id\":1,\"name\":\"Active\",\"__entity\":"
		"\"StatusEntity\"},\"createdAt\":\"2025-11-25T23:59:59.123Z\","
		"\"updatedAt\":\"2025-11-25T23:59:59.123Z\",\"deletedAt\":null}",
		(long long)id);
	is_str(b.data, want, "User JSON, exact bytes");
	ok(strstr(b.data, "argon2") == NULL && strstr(b.data, "password") == NULL,
	   "the hash is never serialised");

	ok(ptl_account_set_names(&app, id, true, "Ro\"bert", false, "ignored",
				 T0 + 1000) == PTL_OK,
	   "set first name only");
	ok(ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   strcmp(u.first_name, "Ro\"bert") == 0 && u.last_name == NULL &&
		   u.updated_at == T0 + 1000 && u.created_at == T0,
	   "  first set, last untouched, updatedAt moved");
	ptl_buf_init(&b, arena, 64, 4096);
	ptl_account_user_json(&u, &b);
	ok(strstr(b.data, "\"firstName\":\"Ro\\\"bert\"") != NULL &&
		   strstr(b.data, "\"updatedAt\":\"2025-11-26T00:00:00.123Z\"") !=
			   NULL,
	   "  escaped in JSON");
	ok(ptl_account_set_names(&app, id, true, NULL, true, "Smith", T0) ==
			   PTL_OK &&
		   ptl_account_get(arena, &app, id, &u) == PTL_OK &&
		   u.first_name == NULL && strcmp(u.last_name, "Smith") == 0,
	   "set first to NULL and last");
	{
		struct ptl_user admin = u;

		admin.role_id = PTL_ACCOUNT_ROLE_ADMIN;
		admin.status_id = PTL_ACCOUNT_STATUS_INACTIVE;
		ptl_buf_init(&b, arena, 64, 4096);
		ptl_account_user_json(&admin, &b);
		ok(strstr(b.data, "\"role\":{\"id\":1,\"name\":\"Admin\"") != NULL &&
			   strstr(b.data, "\"status\":{\"id\":2,\"name\":"
					  "\"Inactive\"") != NULL,
		   "admin role and inactive status names");
	}
}

static void
test_password(void)
{
	int64_t id =
	    reg("pw@example.com", NULL, NULL, PTL_ACCOUNT_STATUS_ACTIVE);
	struct ptl_login out;
	enum ptl_login_fail fail;

	ok(ptl_account_set_password(arena, &app, id, "new password", 12, T0) ==
		   PTL_OK,
	   "set password");
	is_int(login("pw@example.com", PW, &out, &fail), PTL_ERR_UNAUTHORIZED,
	       "old password fails");
	is_int(login("pw@example.com", "new password", &out, &fail), PTL_OK,
	       "new password works");
}

static void
test_end_user(void)
{
	int64_t del =
	    reg("del@example.com", NULL, NULL, PTL_ACCOUNT_STATUS_ACTIVE);
	int64_t dis =
	    reg("dis@example.com", NULL, NULL, PTL_ACCOUNT_STATUS_ACTIVE);
	int64_t id = 0, found = 0;
	struct ptl_login l1, l2, l3;
	enum ptl_login_fail fail;
	struct ptl_user u;

	ok(login("del@example.com", PW, &l1, &fail) == PTL_OK &&
		   login("del@example.com", PW, &l2, &fail) == PTL_OK,
	   "two sessions for the user to delete");
	is_int(ptl_account_delete(&app, del, T0 + 5), PTL_OK, "delete");
	ok(live(l1.session_id, del, T0 + 5) != PTL_OK &&
		   live(l2.session_id, del, T0 + 5) != PTL_OK,
	   "  every session ended");
	is_int(ptl_account_get(arena, &app, del, &u), PTL_ERR_NOT_FOUND,
	       "  get: not found");
	is_int(login("del@example.com", PW, &l3, &fail), PTL_ERR_UNAUTHORIZED,
	       "  login refused");
	is_int(fail, PTL_LOGIN_NOT_FOUND, "  as an unknown user");
	is_int(ptl_account_register(
		   arena, &app, "del@example.com", PW, strlen(PW), NULL, NULL,
		   PTL_ACCOUNT_ROLE_USER, PTL_ACCOUNT_STATUS_ACTIVE, T0, &id),
	       PTL_ERR_CONFLICT, "  the address stays taken");
	ok(ptl_account_find(&app, "del@example.com", &found) == PTL_OK &&
		   found == del,
	   "  find still sees it");
	is_int(fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT count(*) FROM sessions WHERE "
					  "user_id = %lld AND revoke_reason = "
					  "'user_deleted'",
					  (long long)del)),
	       2, "  reason user_deleted");

	ok(login("dis@example.com", PW, &l1, &fail) == PTL_OK,
	   "a session for the user to disable");
	is_int(ptl_account_disable(&app, dis, T0 + 6), PTL_OK, "disable");
	is_int(live(l1.session_id, dis, T0 + 6),
	       PTL_ERR_UNAUTHORIZED, "  session ended");
	is_int(fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT count(*) FROM sessions WHERE "
					  "id = %lld AND revoke_reason = "
					  "'user_disabled'",
					  (long long)l1.session_id)),
	       1, "  reason user_disabled");
	is_int(login("dis@example.com", PW, &l2, &fail), PTL_ERR_UNAUTHORIZED,
	       "  login blocked");
	is_int(ptl_account_get(arena, &app, dis, &u), PTL_ERR_NOT_FOUND,
	       "  get: not found");
	is_int(ptl_account_disable(&app, dis, T0 + 7), PTL_OK,
	       "disable twice is fine");
}

static void
test_names(void)
{
	is_str(ptl_account_role_name(PTL_ACCOUNT_ROLE_ADMIN), "Admin",
	       "role 1");
	is_str(ptl_account_role_name(PTL_ACCOUNT_ROLE_USER), "User", "role 2");
	ok(ptl_account_role_name(3) == NULL && ptl_account_role_name(0) == NULL,
	   "unknown roles");
	is_str(ptl_account_status_name(PTL_ACCOUNT_STATUS_ACTIVE), "Active",
	       "status 1");
	is_str(ptl_account_status_name(PTL_ACCOUNT_STATUS_INACTIVE), "Inactive",
	       "status 2");
	ok(ptl_account_status_name(9) == NULL, "unknown status");
}

static void
test_seed(void)
{
	struct ptl_db *main_db = app.db, *seed_db = NULL;
	unsigned created = 99;
	struct ptl_login out;
	enum ptl_login_fail fail;

	/* On a database of its own: the rule looks at whole roles. */
	if (!ok(ptl_db_open(fix_path("seed.db"), 1000, &seed_db) == PTL_OK,
		"seed database"))
		return;
	app.db = seed_db;
	is_int(ptl_account_seed(arena, &app, &created), PTL_OK, "seed");
	is_int(created, 2, "  two demo users");
	is_int(ptl_account_seed(arena, &app, &created), PTL_OK, "seed again");
	is_int(created, 0, "  none the second time");
	is_int(login("admin@example.com", "secret", &out, &fail), PTL_OK,
	       "demo admin signs in");
	is_int(out.user.role_id, PTL_ACCOUNT_ROLE_ADMIN, "  as Admin");
	is_int(out.user.status_id, PTL_ACCOUNT_STATUS_ACTIVE, "  active");
	is_int(login("john.doe@example.com", "secret", &out, &fail), PTL_OK,
	       "demo user signs in");
	app.db = main_db;
	ptl_db_close(seed_db);
	/* Users of role User exist here: only the admin is added. */
	is_int(ptl_account_seed(arena, &app, &created), PTL_OK,
	       "seed where users exist");
	is_int(created, 1, "  only the admin");
}

int
main(void)
{
	fix_app_open(&app);
	arena = ptl_mem_new();
	test_register_login();
	test_rehash();
	test_json();
	test_password();
	test_end_user();
	test_names();
	test_seed();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
