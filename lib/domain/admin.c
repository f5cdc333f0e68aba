/* SPDX-License-Identifier: ISC */
/* admin: see admin.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "adapters/db.h"
#include "base/log.h"
#include "domain/account.h"
#include "domain/admin.h"
#include "domain/audit.h"
#include "domain/session.h"

enum ptl_err
ptl_admin_find(struct ptl_app *app, const char *email, struct ptl_admin_user *u)
{
	struct ptl_stmt *st;
	const char *provider;
	bool row;
	enum ptl_err e;

	memset(u, 0, sizeof(*u));
	e = ptl_account_find(app, email, &u->id);
	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_USER_STATE);
	ptl_db_bind_int(st, 1, u->id);
	e = ptl_db_step(st, &row);
	if (e == PTL_OK && !row)
		e = PTL_ERR_NOT_FOUND;
	if (e == PTL_OK) {
		provider = ptl_db_text(st, PTL_COL_USER_STATE_PROVIDER);
		u->role_id = ptl_db_int(st, PTL_COL_USER_STATE_ROLE_ID);
		u->deleted = ptl_db_int(st, PTL_COL_USER_STATE_DELETED) != 0;
		u->disabled = ptl_db_int(st, PTL_COL_USER_STATE_DISABLED) != 0;
		u->email_login =
		    provider != NULL && strcmp(provider, "email") == 0;
	}
	ptl_db_done(st);
	return e;
}

enum ptl_err
ptl_admin_enable(struct ptl_app *app, int64_t user_id, int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_ENABLE);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, now_ms);
	e = ptl_db_exec(st);
	if (e != PTL_OK)
		return e;
	if (ptl_db_changes(app->db) == 0)
		return PTL_ERR_NOT_FOUND;
	ptl_audit_record(app, PTL_AUDIT_ACCOUNT_ENABLED, user_id, 0, "by_admin",
			 now_ms);
	PTL_LOG_SEC("user %lld enabled by an admin", (long long)user_id);
	return PTL_OK;
}

enum ptl_err
ptl_admin_set_role(struct ptl_app *app, int64_t user_id, int64_t role_id,
		   int64_t now_ms)
{
	const char *name = ptl_account_role_name(role_id);
	struct ptl_stmt *st;
	enum ptl_err e;

	if (name == NULL)
		return PTL_ERR_BAD_REQUEST;
	e = ptl_db_begin(app->db);
	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_USER_SET_ROLE);
	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, role_id);
	ptl_db_bind_int(st, 3, now_ms);
	e = ptl_db_exec(st);
	if (e == PTL_OK && ptl_db_changes(app->db) == 0)
		e = PTL_ERR_NOT_FOUND;
	if (e == PTL_OK)
		e = ptl_session_revoke_user(app, user_id, 0, "role_changed",
					    now_ms);
	e = ptl_db_end(app->db, e);
	if (e != PTL_OK)
		return e;
	/* The detail is the role's fixed name, lower case. */
	ptl_audit_record(app, PTL_AUDIT_ROLE_CHANGED, user_id, 0,
			 role_id == PTL_ACCOUNT_ROLE_ADMIN ? "admin" : "user",
			 now_ms);
	PTL_LOG_SEC("user %lld is now %s; every session ended",
		    (long long)user_id, name);
	return PTL_OK;
}

enum ptl_err
ptl_admin_set_password(struct ptl_arena *a, struct ptl_app *app,
		       int64_t user_id, const char *pw, size_t pw_len,
		       int64_t now_ms)
{
	char *hash;
	enum ptl_err e = ptl_account_hash(a, app, pw, pw_len, &hash);

	if (e != PTL_OK)
		return e;
	e = ptl_db_begin(app->db);
	if (e != PTL_OK)
		return e;
	e = ptl_account_store_hash(app, user_id, hash, now_ms);
	if (e == PTL_OK && ptl_db_changes(app->db) == 0)
		e = PTL_ERR_NOT_FOUND;
	/* As a change of password does (API.md §4.3): every link mailed
	 * before dies, the mails not yet delivered with them. */
	if (e == PTL_OK)
		e = ptl_account_new_stamp(app, user_id, false, now_ms);
	if (e == PTL_OK)
		e = ptl_session_revoke_user(app, user_id, 0, "password_set",
					    now_ms);
	e = ptl_db_end(app->db, e);
	if (e != PTL_OK)
		return e;
	ptl_audit_record(app, PTL_AUDIT_PASSWORD_RESET, user_id, 0, "by_admin",
			 now_ms);
	PTL_LOG_SEC("password of user %lld set by an admin; every session "
		    "ended",
		    (long long)user_id);
	return PTL_OK;
}
