/* SPDX-License-Identifier: ISC */
/* account: see account.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/buf.h"
#include "domain/account.h"
#include "domain/files.h"
#include "adapters/crypto.h"
#include "domain/audit.h"
#include "base/log.h"
#include "domain/session.h"

static const char *
dup_text(struct ptl_arena *a, struct ptl_stmt *st, int col)
{
	const char *s = ptl_db_text(st, col);

	return s != NULL ? ptl_mem_strdup(a, s) : NULL;
}

enum ptl_err
ptl_account_rehash(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
		   const char *old_hash, const char *pw, size_t pw_len,
		   int64_t now_ms)
{
	struct ptl_stmt *st;
	char *hash;
	enum ptl_err e = ptl_account_hash(a, app, pw, pw_len, &hash);

	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_USER_REHASH);
	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_textz(st, 2, hash);
	ptl_db_bind_int(st, 3, now_ms);
	ptl_db_bind_textz(st, 4, old_hash);
	e = ptl_db_exec(st);
	if (e == PTL_OK && ptl_db_changes(app->db) == 1)
		PTL_LOG_INFO("password of user %lld re-hashed with the current "
			     "parameters", (long long)user_id);
	return e;
}

enum ptl_err
ptl_account_login(struct ptl_arena *a, struct ptl_app *app, const char *email,
		  const char *pw, size_t pw_len, const char *user_agent,
		  const char *ip, int64_t now_ms, struct ptl_login *out,
		  enum ptl_login_fail *fail)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_LOGIN);
	const char *hash = NULL;
	int64_t user_id = 0;
	bool found;
	enum ptl_err e;

	memset(out, 0, sizeof(*out));
	*fail = PTL_LOGIN_OK;
	ptl_db_bind_textz(st, 1, email);
	e = ptl_db_step(st, &found);
	if (e != PTL_OK)
		return e;
	if (found) {
		user_id = ptl_db_int(st, PTL_COL_USER_LOGIN_ID);
		hash = dup_text(a, st, PTL_COL_USER_LOGIN_PASSWORD);
		out->provider = dup_text(a, st, PTL_COL_USER_LOGIN_PROVIDER);
	}
	ptl_db_done(st);
	if (!found) {
		ptl_crypto_pw_dummy(&app->pw, pw, pw_len);
		*fail = PTL_LOGIN_NOT_FOUND;
	} else if (out->provider == NULL || strcmp(out->provider, "email") != 0) {
		ptl_crypto_pw_dummy(&app->pw, pw, pw_len);
		*fail = PTL_LOGIN_PROVIDER;
	} else if (hash == NULL) {
		ptl_crypto_pw_dummy(&app->pw, pw, pw_len);
		*fail = PTL_LOGIN_PASSWORD;
	} else if (!ptl_crypto_pw_verify(&app->pw, hash, pw, pw_len)) {
		*fail = PTL_LOGIN_PASSWORD;
	}
	if (*fail != PTL_LOGIN_OK)
		return PTL_ERR_UNAUTHORIZED;
	if (ptl_crypto_pw_needs_rehash(&app->pw, hash)) {
		e = ptl_account_rehash(a, app, user_id, hash, pw, pw_len,
				       now_ms);
		if (e != PTL_OK)
			return e;
	}
	e = ptl_account_get(a, app, user_id, &out->user);
	if (e != PTL_OK)
		return e == PTL_ERR_NOT_FOUND ? PTL_ERR_INTERNAL : e;
	return ptl_session_create(a, app, user_id, user_agent, ip, now_ms,
				  &out->session_id, &out->hash);
}

enum ptl_err
ptl_account_hash(struct ptl_arena *a, struct ptl_app *app, const char *pw,
		 size_t pw_len, char **hash)
{
	return ptl_crypto_pw_hash(a, &app->pw, pw, pw_len, hash);
}

enum ptl_err
ptl_account_insert(struct ptl_app *app, const char *email, const char *hash,
		   const char *first, const char *last, int64_t role_id,
		   int64_t status_id, int64_t now_ms, int64_t *user_id)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_INSERT);
	enum ptl_err e;

	ptl_db_bind_textz(st, 1, email);
	ptl_db_bind_textz(st, 2, hash);
	ptl_db_bind_textz(st, 3, "email");
	ptl_db_bind_null(st, 4);
	ptl_db_bind_textz(st, 5, first);
	ptl_db_bind_textz(st, 6, last);
	ptl_db_bind_int(st, 7, role_id);
	ptl_db_bind_int(st, 8, status_id);
	ptl_db_bind_int(st, 9, now_ms);
	e = ptl_db_exec(st);
	if (e != PTL_OK)
		return e;
	*user_id = ptl_db_last_id(app->db);
	return PTL_OK;
}

enum ptl_err
ptl_account_register(struct ptl_arena *a, struct ptl_app *app,
		     const char *email, const char *pw, size_t pw_len,
		     const char *first, const char *last, int64_t role_id,
		     int64_t status_id, int64_t now_ms, int64_t *user_id)
{
	char *hash;
	enum ptl_err e = ptl_account_hash(a, app, pw, pw_len, &hash);

	if (e != PTL_OK)
		return e;
	return ptl_account_insert(app, email, hash, first, last, role_id,
				  status_id, now_ms, user_id);
}

enum ptl_err
ptl_account_link_state(struct ptl_arena *a, const struct ptl_app *app,
		       int64_t user_id, struct ptl_link_state *st)
{
	struct ptl_stmt *q = ptl_db_q(app->db, PTL_Q_USER_ANY);
	bool found;
	enum ptl_err e;

	memset(st, 0, sizeof(*st));
	ptl_db_bind_int(q, 1, user_id);
	e = ptl_db_step(q, &found);
	if (e == PTL_OK && found) {
		st->status_id = ptl_db_int(q, PTL_COL_USER_ANY_STATUS_ID);
		st->gone = ptl_db_int(q, PTL_COL_USER_ANY_GONE) != 0;
		st->email = dup_text(a, q, PTL_COL_USER_ANY_EMAIL);
		st->stamp = ptl_db_int(q, PTL_COL_USER_ANY_STAMP);
		st->pending_email = dup_text(a, q, PTL_COL_USER_ANY_PENDING_EMAIL);
	}
	ptl_db_done(q);
	if (e != PTL_OK)
		return e;
	return found ? PTL_OK : PTL_ERR_NOT_FOUND;
}

enum ptl_err
ptl_account_new_stamp(struct ptl_app *app, int64_t user_id, bool proved,
		      int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_NEW_STAMP);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, proved);
	ptl_db_bind_int(st, 3, PTL_ACCOUNT_STATUS_ACTIVE);
	e = ptl_db_exec(st);
	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_OUTBOX_CANCEL_USER);
	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, now_ms);
	return ptl_db_exec(st);
}

enum ptl_err
ptl_account_set_pending(struct ptl_app *app, int64_t user_id, const char *email)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_SET_PENDING);

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_textz(st, 2, email);
	return ptl_db_exec(st);
}

enum ptl_err
ptl_account_activate(struct ptl_app *app, int64_t user_id, int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_SET_STATUS);

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, PTL_ACCOUNT_STATUS_ACTIVE);
	ptl_db_bind_int(st, 3, now_ms);
	return ptl_db_exec(st);
}

enum ptl_err
ptl_account_set_email(struct ptl_app *app, int64_t user_id, const char *email,
		      int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_SET_EMAIL);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_textz(st, 2, email);
	ptl_db_bind_int(st, 3, PTL_ACCOUNT_STATUS_ACTIVE);
	ptl_db_bind_int(st, 4, now_ms);
	e = ptl_db_exec(st);
	if (e != PTL_OK)
		return e;
	return ptl_account_new_stamp(app, user_id, false, now_ms);
}

void
ptl_account_read_row(struct ptl_arena *a, struct ptl_stmt *st,
		     struct ptl_user *u)
{
	u->id = ptl_db_int(st, PTL_COL_USER_ID);
	u->email = dup_text(a, st, PTL_COL_USER_EMAIL);
	u->provider = dup_text(a, st, PTL_COL_USER_PROVIDER);
	u->social_id = dup_text(a, st, PTL_COL_USER_SOCIAL_ID);
	u->first_name = dup_text(a, st, PTL_COL_USER_FIRST_NAME);
	u->last_name = dup_text(a, st, PTL_COL_USER_LAST_NAME);
	u->role_id = ptl_db_int(st, PTL_COL_USER_ROLE_ID);
	u->status_id = ptl_db_int(st, PTL_COL_USER_STATUS_ID);
	u->created_at = ptl_db_int(st, PTL_COL_USER_CREATED_AT);
	u->updated_at = ptl_db_int(st, PTL_COL_USER_UPDATED_AT);
	u->password = dup_text(a, st, PTL_COL_USER_PASSWORD);
	u->photo_id = dup_text(a, st, PTL_COL_USER_PHOTO_ID);
	u->photo_path = dup_text(a, st, PTL_COL_USER_PHOTO_NAME);
}

void
ptl_account_photo_url(struct ptl_arena *a, const struct ptl_app *app,
		      struct ptl_user *u)
{
	if (u->photo_id == NULL || u->photo_path == NULL) {
		u->photo_id = u->photo_path = NULL;
		return;
	}
	u->photo_path = ptl_files_url(a, app, u->photo_path);
}

/* Runs a bound statement that selects the PTL_COL_USER columns (USER_GET,
 * SESSION_USER): one row into u. */
static enum ptl_err
fetch_user(struct ptl_arena *a, struct ptl_stmt *st, struct ptl_user *u)
{
	bool found;
	enum ptl_err e = ptl_db_step(st, &found);

	if (e == PTL_OK && found)
		ptl_account_read_row(a, st, u);
	ptl_db_done(st);
	if (e != PTL_OK)
		return e;
	return found ? PTL_OK : PTL_ERR_NOT_FOUND;
}

enum ptl_err
ptl_account_get(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
		struct ptl_user *u)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_GET);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	e = fetch_user(a, st, u);
	if (e == PTL_OK)
		ptl_account_photo_url(a, app, u);
	return e;
}

enum ptl_err
ptl_account_get_by_session(struct ptl_arena *a, struct ptl_app *app,
			   int64_t session_id, int64_t user_id, int64_t now_ms,
			   struct ptl_user *u)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SESSION_USER);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, session_id);
	ptl_db_bind_int(st, 2, now_ms);
	ptl_db_bind_int(st, 3, user_id);
	e = fetch_user(a, st, u);
	if (e == PTL_OK)
		ptl_account_photo_url(a, app, u);
	return e;
}

const char *
ptl_account_role_name(int64_t role_id)
{
	switch (role_id) {
	case PTL_ACCOUNT_ROLE_ADMIN:
		return "Admin";
	case PTL_ACCOUNT_ROLE_USER:
		return "User";
	default:
		return NULL;
	}
}

const char *
ptl_account_status_name(int64_t status_id)
{
	switch (status_id) {
	case PTL_ACCOUNT_STATUS_ACTIVE:
		return "Active";
	case PTL_ACCOUNT_STATUS_INACTIVE:
		return "Inactive";
	default:
		return NULL;
	}
}

static void
named(struct ptl_buf *out, int64_t id, const char *name, const char *entity)
{
	ptl_buf_adds(out, "{\"id\":");
	ptl_buf_addi(out, id);
	ptl_buf_adds(out, ",\"name\":");
	ptl_buf_json_strz(out, name);
	ptl_buf_adds(out, ",\"__entity\":\"");
	ptl_buf_adds(out, entity);
	ptl_buf_adds(out, "\"}");
}

void
ptl_account_user_json(const struct ptl_user *u, struct ptl_buf *out)
{
	ptl_buf_adds(out, "{\"id\":");
	ptl_buf_addi(out, u->id);
	ptl_buf_adds(out, ",\"email\":");
	ptl_buf_json_strz(out, u->email);
	ptl_buf_adds(out, ",\"provider\":");
	ptl_buf_json_strz(out, u->provider);
	ptl_buf_adds(out, ",\"socialId\":");
	ptl_buf_json_strz(out, u->social_id);
	ptl_buf_adds(out, ",\"firstName\":");
	ptl_buf_json_strz(out, u->first_name);
	ptl_buf_adds(out, ",\"lastName\":");
	ptl_buf_json_strz(out, u->last_name);
	if (u->photo_id != NULL) {
		/* Only when set, and without __entity (API.md §2.1). */
		ptl_buf_adds(out, ",\"photo\":{\"id\":");
		ptl_buf_json_strz(out, u->photo_id);
		ptl_buf_adds(out, ",\"path\":");
		ptl_buf_json_strz(out, u->photo_path);
		ptl_buf_addc(out, '}');
	}
	ptl_buf_adds(out, ",\"role\":");
	named(out, u->role_id, ptl_account_role_name(u->role_id), "RoleEntity");
	ptl_buf_adds(out, ",\"status\":");
	named(out, u->status_id, ptl_account_status_name(u->status_id),
	      "StatusEntity");
	ptl_buf_adds(out, ",\"createdAt\":");
	ptl_buf_json_time(out, u->created_at);
	ptl_buf_adds(out, ",\"updatedAt\":");
	ptl_buf_json_time(out, u->updated_at);
	ptl_buf_adds(out, ",\"deletedAt\":null}");
}

enum ptl_err
ptl_account_store_hash(struct ptl_app *app, int64_t user_id, const char *hash,
		       int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_SET_PASSWORD);

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_textz(st, 2, hash);
	ptl_db_bind_int(st, 3, now_ms);
	return ptl_db_exec(st);
}

enum ptl_err
ptl_account_set_password(struct ptl_arena *a, struct ptl_app *app,
			 int64_t user_id, const char *pw, size_t pw_len,
			 int64_t now_ms)
{
	char *hash;
	enum ptl_err e = ptl_account_hash(a, app, pw, pw_len, &hash);

	if (e != PTL_OK)
		return e;
	return ptl_account_store_hash(app, user_id, hash, now_ms);
}

enum ptl_err
ptl_account_set_names(struct ptl_app *app, int64_t user_id, bool set_first,
		      const char *first, bool set_last, const char *last,
		      int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_SET_NAMES);

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, set_first);
	ptl_db_bind_textz(st, 3, first);
	ptl_db_bind_int(st, 4, set_last);
	ptl_db_bind_textz(st, 5, last);
	ptl_db_bind_int(st, 6, now_ms);
	return ptl_db_exec(st);
}

/* Runs q (id, now) and ends every session, in one transaction. */
static enum ptl_err
end_user(struct ptl_app *app, enum ptl_q q, int64_t user_id, int64_t now_ms,
	 const char *reason)
{
	struct ptl_stmt *st;
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, q);
	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_int(st, 2, now_ms);
	e = ptl_db_exec(st);
	if (e == PTL_OK)
		e = ptl_session_revoke_user(app, user_id, 0, reason, now_ms);
	return ptl_db_end(app->db, e);
}

enum ptl_err
ptl_account_delete(struct ptl_app *app, int64_t user_id, int64_t now_ms)
{
	enum ptl_err e = end_user(app, PTL_Q_USER_DELETE, user_id, now_ms,
				  "user_deleted");

	if (e == PTL_OK)
		ptl_audit_record(app, PTL_AUDIT_ACCOUNT_DELETED, user_id, 0,
				 "all_sessions_ended", now_ms);
	/* Its photo and uploads go with it (API.md §9.11); gc retries. */
	if (e == PTL_OK && ptl_files_drop_user(app, user_id) != PTL_OK)
		PTL_LOG_WARN("the files of user %lld stay for gc",
			     (long long)user_id);
	return e;
}

enum ptl_err
ptl_account_disable(struct ptl_app *app, int64_t user_id, int64_t now_ms)
{
	enum ptl_err e = end_user(app, PTL_Q_USER_DISABLE, user_id, now_ms,
				  "user_disabled");

	if (e == PTL_OK)
		ptl_audit_record(app, PTL_AUDIT_ACCOUNT_DISABLED, user_id, 0,
				 "all_sessions_ended", now_ms);
	return e;
}

enum ptl_err
ptl_account_find(struct ptl_app *app, const char *email, int64_t *user_id)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_BY_EMAIL_ANY);
	bool found;
	enum ptl_err e;

	ptl_db_bind_textz(st, 1, email);
	e = ptl_db_step(st, &found);
	if (e != PTL_OK)
		return e;
	if (found)
		*user_id = ptl_db_int(st, PTL_COL_USER_BY_EMAIL_ANY_ID);
	ptl_db_done(st);
	return found ? PTL_OK : PTL_ERR_NOT_FOUND;
}

static enum ptl_err
count_role(struct ptl_app *app, int64_t role_id, int64_t *n)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_COUNT_ROLE);
	bool row;
	enum ptl_err e;

	ptl_db_bind_int(st, 1, role_id);
	e = ptl_db_step(st, &row);
	*n = e == PTL_OK && row ? ptl_db_int(st, PTL_COL_USER_COUNT_ROLE_COUNT)
				: 0;
	ptl_db_done(st);
	return e;
}

enum ptl_err
ptl_account_seed(struct ptl_arena *a, struct ptl_app *app, unsigned *created)
{
	static const struct {
		int64_t role;
		const char *email, *first, *last;
	} demo[] = {
		{PTL_ACCOUNT_ROLE_ADMIN, "admin@example.com", "Super", "Admin"},
		{PTL_ACCOUNT_ROLE_USER, "john.doe@example.com", "John", "Doe"},
	};
	size_t i;
	enum ptl_err e;

	*created = 0;
	for (i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
		int64_t n, id;

		e = count_role(app, demo[i].role, &n);
		if (e != PTL_OK)
			return e;
		if (n > 0)
			continue;
		e = ptl_account_register(a, app, demo[i].email, "secret", 6,
					 demo[i].first, demo[i].last,
					 demo[i].role,
					 PTL_ACCOUNT_STATUS_ACTIVE,
					 ptl_app_now_ms(app), &id);
		if (e == PTL_ERR_CONFLICT)
			continue;
		if (e != PTL_OK)
			return e;
		(*created)++;
	}
	return PTL_OK;
}
