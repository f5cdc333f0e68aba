/* SPDX-License-Identifier: ISC */
/*
 * test_health: lib/domain/health.c. PTL_OK while the database answers,
 * also while another connection holds the write lock (a shallow check
 * never waits for a writer); the deep check's write then finds the lock
 * ("locked"); a database that could not be opened is named by its cause;
 * a mail failing for longer than HEALTH_MAIL_MAX_AGE_SECONDS is "failing";
 * a moved file is "replaced"; ptl_app_check_db's policy for a moved or
 * replaced file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/health.h"
#include "fixture.h"
#include "tap.h"

static void
test_lock(struct ptl_app *app)
{
	struct ptl_db *writer = NULL;
	struct ptl_health h;

	is_int(ptl_health_check(app, false, FIX_NOW_MS, &h), PTL_OK,
	       "the database answers: ok");
	is_int(ptl_health_check(app, true, FIX_NOW_MS, &h), PTL_OK,
	       "deep: the write works: ok");
	if (ok(ptl_db_open(fix_path("auth.db"), 100, &writer) == PTL_OK &&
		       ptl_db_begin(writer) == PTL_OK,
	       "another connection takes the write lock")) {
		is_int(ptl_health_check(app, false, FIX_NOW_MS, &h), PTL_OK,
		       "  ok meanwhile");
		is_int(ptl_health_check(app, true, FIX_NOW_MS, &h),
		       PTL_ERR_UNAVAILABLE, "  deep: unavailable");
		is_str(h.database, "locked", "  deep: database locked");
		ok(h.mail == NULL, "  mail well");
		ptl_db_rollback(writer);
	}
	ptl_db_close(writer);
	ptl_db_fault_reset();
	is_int(ptl_health_check(app, true, FIX_NOW_MS, &h), PTL_OK,
	       "ok after");
}

static void
test_mail(struct ptl_app *app)
{
	struct ptl_health h;
	int64_t age = app->cfg.health_mail_max_age_s * 1000;
	char sql[512];

	is_int((int)app->cfg.health_mail_max_age_s, 3600,
	       "HEALTH_MAIL_MAX_AGE_SECONDS: 3600 by default");
	(void)snprintf(sql, sizeof(sql),
		       "INSERT INTO users (email, password, provider, role_id, "
		       "status_id, created_at, updated_at) VALUES "
		       "('m@example.com', 'x', 'email', 2, 1, 0, 0); "
		       "INSERT INTO mail_outbox (kind, user_id, recipient, "
		       "created_at, attempts, next_attempt_at) VALUES (0, "
		       "last_insert_rowid(), 'm@example.com', %lld, 1, 0)",
		       (long long)(FIX_NOW_MS - age));
	ok(fix_sql_exec(fix_path("auth.db"), sql), "a mail failing since an hour");
	is_int(ptl_health_check(app, false, FIX_NOW_MS, &h), PTL_OK,
	       "  exactly the limit: ok");
	is_int(ptl_health_check(app, false, FIX_NOW_MS + 1, &h),
	       PTL_ERR_UNAVAILABLE, "  1 ms more: unavailable");
	is_str(h.mail, "failing", "  mail failing");
	ok(h.database == NULL, "  database well");
	ok(fix_sql_exec(fix_path("auth.db"),
		   "UPDATE mail_outbox SET sent_at = 1"), "  then sent");
	is_int(ptl_health_check(app, false, FIX_NOW_MS + 1, &h), PTL_OK,
	       "  ok");
}

static void
test_no_db(struct ptl_app *app)
{
	struct ptl_db *db = app->db;
	struct ptl_health h;

	app->db = NULL;
	app->db_err = PTL_ERR_DB_NEWER;
	is_int(ptl_health_check(app, false, FIX_NOW_MS, &h),
	       PTL_ERR_UNAVAILABLE, "not opened: unavailable");
	is_str(h.database, "schemaNewer", "  named by the open's error");
	app->db_err = PTL_ERR_DB_REPLACED;
	is_int(ptl_health_check(app, false, FIX_NOW_MS, &h),
	       PTL_ERR_UNAVAILABLE, "  replaced: unavailable");
	is_str(h.database, "replaced", "  replaced");
	app->db = db;
	app->db_err = PTL_OK;
}

static void
test_moved(struct ptl_app *app)
{
	struct ptl_health h;
	char moved[600];

	(void)snprintf(moved, sizeof(moved), "%s.moved", fix_path("auth.db"));
	ok(rename(fix_path("auth.db"), moved) == 0, "the file moved away");
	is_int(ptl_health_check(app, false, FIX_NOW_MS, &h),
	       PTL_ERR_UNAVAILABLE, "  unavailable");
	is_str(h.database, "replaced", "  database replaced");
	ok(rename(moved, fix_path("auth.db")) == 0, "moved back");
	is_int(ptl_health_check(app, false, FIX_NOW_MS, &h), PTL_OK, "  ok");
}

/* ptl_app_check_db (domain/app.h): a moved file is closed and refused
 * until it is back or a clean new one is there. */
static void
test_check_db(struct ptl_app *app)
{
	const char *path = fix_path("auth.db");
	char away[600], wal[600], copy[600];
	struct ptl_health h;
	struct ptl_db *other = NULL;

	(void)snprintf(away, sizeof(away), "%s.away", path);
	(void)snprintf(wal, sizeof(wal), "%s-wal", path);
	(void)snprintf(copy, sizeof(copy), "%s.copy", path);
	ptl_app_check_db(app);
	ok(app->db != NULL, "check_db: the same file: kept");
	ok(rename(path, away) == 0, "check_db: moved away");
	ptl_app_check_db(app);
	ok(app->db == NULL && app->db_err == PTL_ERR_DB_REPLACED,
	   "  closed, PTL_ERR_DB_REPLACED");
	is_int(ptl_app_open_db(app), PTL_ERR_UNAVAILABLE,
	       "  not opened again while nothing is at the path");
	ok(access(path, F_OK) != 0, "  and no new file made there");
	is_int(ptl_health_check(app, false, FIX_NOW_MS, &h),
	       PTL_ERR_UNAVAILABLE, "  health: unavailable");
	is_str(h.database, "replaced", "  health: replaced");
	ok(rename(away, path) == 0, "check_db: moved back");
	is_int(ptl_app_open_db(app), PTL_OK, "  opened again");
	ok(!app->db_lost && app->db_err == PTL_OK, "  and well");

	/* Replaced while another process has the old file open: its -wal
	 * stays beside the new file, which is refused until it is gone. */
	ok(ptl_db_open(path, 1000, &other) == PTL_OK &&
		   ptl_db_backup(app->db, copy) == PTL_OK &&
		   rename(copy, path) == 0 && access(wal, F_OK) == 0,
	   "check_db: replaced by a copy; the old file's -wal is there");
	ptl_app_check_db(app);
	ok(app->db == NULL && app->db_err == PTL_ERR_DB_REPLACED,
	   "  closed, PTL_ERR_DB_REPLACED");
	is_int(ptl_app_open_db(app), PTL_ERR_UNAVAILABLE,
	       "  the new file is refused beside the old -wal");
	ptl_db_close(other);
	ok(access(wal, F_OK) == 0, "  SQLite leaves the -wal of a moved file");
	is_int(ptl_app_open_db(app), PTL_ERR_UNAVAILABLE,
	       "  still refused after the old file's last close");
	(void)snprintf(copy, sizeof(copy), "%s-shm", path);
	ok(unlink(wal) == 0 && unlink(copy) == 0,
	   "  the old -wal and -shm taken away");
	is_int(ptl_app_open_db(app), PTL_OK, "  the new file opened");
	is_int(ptl_health_check(app, true, FIX_NOW_MS, &h), PTL_OK,
	       "  health ok");
}

int
main(void)
{
	struct ptl_app app;

	fix_app_open(&app);
	test_lock(&app);
	test_mail(&app);
	test_no_db(&app);
	test_moved(&app);
	test_check_db(&app);
	fix_app_close(&app);
	return done();
}
