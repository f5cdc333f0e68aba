/* SPDX-License-Identifier: ISC */
/*
 * test_admin: lib/domain/admin.c on a temp database with a fixed clock.
 * find reads any account's state; enable lets a disabled account sign in
 * again and refuses one that is not disabled; set_role changes the role
 * and ends every session; set_password changes the password and the
 * security stamp, ends every session and refuses an unknown account; each
 * records its audit event.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <string.h>

#include "base/mem.h"
#include "domain/account.h"
#include "domain/admin.h"
#include "domain/session.h"
#include "fixture.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define PW "correct horse"

static struct ptl_app app;
static struct ptl_arena *arena;

static int64_t
reg(const char *email)
{
	int64_t id = 0;

	if (ptl_account_register(arena, &app, email, PW, strlen(PW), NULL, NULL,
				 PTL_ACCOUNT_ROLE_USER,
				 PTL_ACCOUNT_STATUS_ACTIVE, T0, &id) != PTL_OK)
		return 0;
	return id;
}

static enum ptl_err
login(const char *email, const char *pw, struct ptl_login *out)
{
	enum ptl_login_fail fail;

	return ptl_account_login(arena, &app, email, pw, strlen(pw), "UA",
				 "::1", T0, out, &fail);
}

/* Whether the session opened by l is still live. */
static bool
live(const struct ptl_login *l)
{
	struct ptl_user u;

	return ptl_account_get_by_session(arena, &app, l->session_id,
					  l->user.id, T0 + 1, &u) == PTL_OK;
}

static long long
audit_count(const char *event, int64_t user_id)
{
	char sql[256];

	(void)snprintf(sql, sizeof(sql),
		       "SELECT count(*) FROM audit_log WHERE event = '%s' AND "
		       "user_id = %lld",
		       event, (long long)user_id);
	return fix_sql_int(fix_path("auth.db"), sql);
}

static void
test_find(void)
{
	struct ptl_admin_user u;
	int64_t id = reg("find@example.com");

	is_int(ptl_admin_find(&app, "find@example.com", &u), PTL_OK, "find");
	ok(u.id == id && u.role_id == PTL_ACCOUNT_ROLE_USER && !u.deleted &&
	       !u.disabled && u.email_login,
	   "find: id, role, live, an email account");
	is_int(ptl_admin_find(&app, "nobody@example.com", &u),
	       PTL_ERR_NOT_FOUND, "find: an unknown address");
	ok(ptl_account_delete(&app, id, T0) == PTL_OK &&
	       ptl_admin_find(&app, "find@example.com", &u) == PTL_OK &&
	       u.deleted,
	   "find: a deleted account, marked so");
	ok(fix_sql_exec(
	       fix_path("auth.db"),
	       "INSERT INTO users (email, provider, role_id, status_id, "
	       "created_at, updated_at) VALUES ('social@example.com', "
	       "'google', 2, 1, 0, 0)"),
	   "find: a social account inserted");
	ok(ptl_admin_find(&app, "social@example.com", &u) == PTL_OK &&
	       !u.email_login,
	   "find: a social account has no password to set");
}

static void
test_enable(void)
{
	int64_t id = reg("enable@example.com");
	struct ptl_admin_user u;
	struct ptl_login l;

	is_int(ptl_admin_enable(&app, id, T0), PTL_ERR_NOT_FOUND,
	       "enable: a live account is not disabled");
	ok(ptl_account_disable(&app, id, T0) == PTL_OK &&
	       login("enable@example.com", PW, &l) != PTL_OK,
	   "enable: disabled, no sign-in");
	ok(ptl_admin_find(&app, "enable@example.com", &u) == PTL_OK &&
	       u.disabled,
	   "enable: find sees it disabled");
	is_int(ptl_admin_enable(&app, id, T0 + 5), PTL_OK, "enable");
	is_int(login("enable@example.com", PW, &l), PTL_OK,
	       "enable: sign-in works again");
	is_int(audit_count("account_enabled", id), 1,
	       "enable: one account_enabled row");
	is_int(ptl_admin_enable(&app, id, T0), PTL_ERR_NOT_FOUND,
	       "enable: twice is refused");
	is_int(ptl_admin_enable(&app, 999999, T0), PTL_ERR_NOT_FOUND,
	       "enable: an unknown id");
}

static void
test_role(void)
{
	int64_t id = reg("role@example.com");
	struct ptl_admin_user u;
	struct ptl_login l;

	if (!ok(login("role@example.com", PW, &l) == PTL_OK && live(&l),
		"role: a live session"))
		return;
	is_int(ptl_admin_set_role(&app, id, PTL_ACCOUNT_ROLE_ADMIN, T0 + 1),
	       PTL_OK, "role: made Admin");
	ok(ptl_admin_find(&app, "role@example.com", &u) == PTL_OK &&
	       u.role_id == PTL_ACCOUNT_ROLE_ADMIN,
	   "role: stored");
	ok(!live(&l), "role: the session (its token says User) ended");
	is_int(audit_count("role_changed", id), 1,
	       "role: one role_changed row");
	is_int(fix_sql_int(fix_path("auth.db"),
			   "SELECT count(*) FROM audit_log WHERE event = "
			   "'role_changed' AND detail = 'admin'"),
	       1, "role: the detail is the new role");
	is_int(ptl_admin_set_role(&app, id, 7, T0), PTL_ERR_BAD_REQUEST,
	       "role: an unknown role refused");
	is_int(ptl_admin_set_role(&app, 999999, PTL_ACCOUNT_ROLE_USER, T0),
	       PTL_ERR_NOT_FOUND, "role: an unknown id");
}

static void
test_password(void)
{
	static const char np[] = "a new password";
	int64_t id = reg("pw@example.com");
	struct ptl_login a, b;

	if (!ok(login("pw@example.com", PW, &a) == PTL_OK &&
		    login("pw@example.com", PW, &b) == PTL_OK,
		"password: two sessions"))
		return;
	is_int(ptl_admin_set_password(arena, &app, id, np, strlen(np), T0 + 1),
	       PTL_OK, "password: set");
	{
		char sql[128];

		(void)snprintf(sql, sizeof(sql),
			       "SELECT security_stamp FROM users WHERE id = %lld",
			       (long long)id);
		is_int(fix_sql_int(fix_path("auth.db"), sql), 1,
		       "password: a new security stamp (the links mailed "
		       "before die)");
	}
	ok(!live(&a) && !live(&b), "password: every session ended");
	ok(login("pw@example.com", PW, &a) != PTL_OK,
	   "password: the old one is refused");
	is_int(login("pw@example.com", np, &a), PTL_OK,
	       "password: the new one signs in");
	is_int(fix_sql_int(fix_path("auth.db"),
			   "SELECT count(*) FROM audit_log WHERE event = "
			   "'password_reset' AND detail = 'by_admin'"),
	       1, "password: one password_reset row, by_admin");
	is_int(ptl_admin_set_password(arena, &app, 999999, np, strlen(np), T0),
	       PTL_ERR_NOT_FOUND, "password: an unknown id");
	ok(fix_sql_int(fix_path("auth.db"),
		       "SELECT count(*) FROM users WHERE password LIKE "
		       "'%a new password%'") == 0,
	   "password: stored hashed");
}

int
main(void)
{
	fix_app_open(&app);
	arena = ptl_mem_new();
	test_find();
	test_enable();
	test_role();
	test_password();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
