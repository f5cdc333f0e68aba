/* SPDX-License-Identifier: ISC */
/*
 * test_db_pg: the PostgreSQL engine (lib/adapters/db_pg.c) behind db.h,
 * on the scratch database PTL_TEST_DATABASE_URL names (script/test makes
 * one on its throw-away cluster; without it the test is skipped, unless
 * PTL_TEST_PG=1 says it must run, and then it fails). The database's
 * public schema is emptied first.
 *
 * Three processes opening one new database at once: one migrates. Open
 * and migrate twice (the second applies nothing); every statement
 * prepares with its declared columns (ptl_db_prepare_all) and a wrong
 * list fails; bind/step/blob round trip with NUL bytes, NULL and text;
 * ptl_db_changes and ptl_db_last_id; a unique violation is
 * PTL_ERR_CONFLICT; a read-only session's write is PTL_ERR_DB_READONLY; a
 * row lock held past the busy timeout is PTL_ERR_BUSY; text PostgreSQL
 * refuses is PTL_ERR_BAD_REQUEST; a connection the server ended while idle
 * (pg_terminate_backend) is made again before the next statement, which
 * runs; one ended under a statement is PTL_ERR_UNAVAILABLE (the statement
 * not sent again), then the engine connects again and prepares again,
 * while a transaction the loss cut stays failed until rolled back; two
 * processes racing the
 * SESSION_ROTATE compare-and-swap on the same tokens make exactly one
 * winner each; ptl_db_begin serializes two connections while a single
 * statement runs beside the open transaction; an aborted transaction does
 * not commit; the app answers at once (no new connection) during its
 * back-off when the server cannot be reached, and health says
 * "unavailable"; health (?deep=1 too) on PostgreSQL; a worker whose
 * idle connection the server ended answers 200, one whose connection is
 * ended under a request answers a clean 503 JSON with Retry-After, then
 * 200 again without a restart, and one whose server cannot be
 * reached starts and answers 503; backup runs pg_dump and restore is
 * refused; every subcommand of the admin tool on PostgreSQL, its output
 * never showing the URL's password.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "adapters/db.h"
#include "base/clock.h"
#include "domain/app.h"
#include "domain/health.h"
#include "fixture.h"
#include "memio.h"
#include "tap.h"
#include "web/endpoint.h"

#define NOW 1764115140000LL
#define NRACE 40

static const char *url;

/* A connection of the test's own (not the engine's). */
static PGconn *
admin(void)
{
	PGconn *c = PQconnectdb(url);

	if (PQstatus(c) != CONNECTION_OK) {
		printf("Bail out! cannot connect to PTL_TEST_DATABASE_URL: %s",
		       PQerrorMessage(c));
		exit(1);
	}
	return c;
}

static bool
admin_exec(const char *sql)
{
	PGconn *c = admin();
	PGresult *r = PQexec(c, sql);
	bool good = PQresultStatus(r) == PGRES_COMMAND_OK ||
		    PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!good)
		diag("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return good;
}

static long long
admin_int(const char *sql)
{
	PGconn *c = admin();
	PGresult *r = PQexec(c, sql);
	long long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

static void
pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	(void)nanosleep(&ts, NULL);
}

/* Ends the engine connections to the test database (not the test's own),
 * waiting until each is gone: the number ended (at least the live ones:
 * one closed a moment ago may still be listed while it exits). */
static long long
kill_engine(void)
{
	/* The list first (MATERIALIZED): a WHERE may call the function
	 * before it filters. */
	return admin_int("WITH e AS MATERIALIZED (SELECT pid FROM "
			 "pg_stat_activity WHERE datname = current_database() "
			 "AND application_name = 'authportal' AND pid <> "
			 "pg_backend_pid()) SELECT count(*) FROM e WHERE "
			 "pg_terminate_backend(pid, 10000)");
}

/* In a child: waits until an engine connection waits for a lock, ends
 * it, and exits 0 (1 if none came within 20 s). */
static void
kill_when_waiting(void)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (admin_int("WITH w AS MATERIALIZED (SELECT pid FROM "
			      "pg_stat_activity WHERE datname = "
			      "current_database() AND application_name = "
			      "'authportal' AND wait_event_type = 'Lock') "
			      "SELECT count(*) FROM w WHERE "
			      "pg_terminate_backend(pid, 10000)") == 1)
			_exit(0);
		pause_ms(20);
	}
	_exit(1);
}

static enum ptl_err
health_step(struct ptl_db *db)
{
	struct ptl_stmt *st = ptl_db_q(db, PTL_Q_HEALTH);
	bool row = false;
	enum ptl_err e = ptl_db_step(st, &row);

	ptl_db_done(st);
	return e == PTL_OK && !row ? PTL_ERR_INTERNAL : e;
}

static enum ptl_err
insert_user(struct ptl_db *db, const char *email, int64_t *id)
{
	struct ptl_stmt *st = ptl_db_q(db, PTL_Q_USER_INSERT);
	enum ptl_err e;

	ptl_db_bind_textz(st, 1, email);
	ptl_db_bind_textz(st, 2, "$argon2id$x");
	ptl_db_bind_textz(st, 3, "email");
	ptl_db_bind_null(st, 4);
	ptl_db_bind_textz(st, 5, "Zoë");
	ptl_db_bind_null(st, 6);
	ptl_db_bind_int(st, 7, 2);
	ptl_db_bind_int(st, 8, 1);
	ptl_db_bind_int(st, 9, NOW);
	e = ptl_db_exec(st);
	if (e == PTL_OK && id != NULL)
		*id = ptl_db_last_id(db);
	return e;
}

static enum ptl_err
insert_session(struct ptl_db *db, int64_t user_id, const unsigned char *hash,
	       size_t len, int64_t *id)
{
	static const unsigned char nonce[16] = {0, 1, 0, 2};
	struct ptl_stmt *st = ptl_db_q(db, PTL_Q_SESSION_INSERT);
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	ptl_db_bind_blob(st, 2, hash, len);
	ptl_db_bind_blob(st, 3, nonce, sizeof(nonce));
	ptl_db_bind_int(st, 4, NOW);
	ptl_db_bind_int(st, 5, NOW + 86400000);
	ptl_db_bind_textz(st, 6, "test agent");
	ptl_db_bind_null(st, 7);
	e = ptl_db_exec(st);
	if (e == PTL_OK)
		*id = ptl_db_last_id(db);
	return e;
}

static struct ptl_db *
open_db(int busy_ms)
{
	struct ptl_db *db = NULL;

	if (ptl_db_open(url, busy_ms, &db) != PTL_OK)
		return NULL;
	return db;
}

static bool
empty_schema(void)
{
	return admin_exec("SET client_min_messages = warning; DROP SCHEMA "
			  "public CASCADE; CREATE SCHEMA public");
}

/* Three processes open (and migrate) one empty database at once, as the
 * workers of several hosts do after an upgrade: under the advisory lock
 * one migrates, the others find the work done, none fails. */
static void
test_migrate_race(void)
{
	pid_t pid[3];
	int i, good = 0, created = 0, status;
	char path[600], line[512];

	if (!ok(empty_schema(), "an empty database"))
		return;
	fflush(stdout);
	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct ptl_db *db = NULL;

			(void)snprintf(path, sizeof(path), "%s/mig-%d.log",
				       fix_dir, i);
			if (freopen(path, "w", stderr) == NULL)
				_exit(2);
			if (ptl_db_open(url, 5000, &db) != PTL_OK)
				_exit(3);
			ptl_db_close(db);
			_exit(0);
		}
	}
	for (i = 0; i < 3; i++) {
		FILE *f;

		if (waitpid(pid[i], &status, 0) == pid[i] && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			good++;
		(void)snprintf(path, sizeof(path), "%s/mig-%d.log", fix_dir, i);
		f = fopen(path, "r");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, "created at schema version") != NULL)
				created++;
		if (f != NULL)
			fclose(f);
	}
	is_int(good, 3, "three processes open a new database at once");
	is_int(created, 1, "  exactly one of them migrates it");
	is_int(admin_int("SELECT count(*) FROM schema_version"), 1,
	       "  schema_version has one row");
	is_int(admin_int("SELECT version FROM schema_version"),
	       ptl_db_known_version(), "  at the last version");
}

static void
test_migrate(void)
{
	struct ptl_db *db;
	unsigned applied = 99;

	ok(ptl_db_is_pg(url), "PTL_TEST_DATABASE_URL selects PostgreSQL");
	ok(!ptl_db_is_pg("/var/lib/authportal/auth.db") &&
		   ptl_db_is_pg("postgres://h/d") &&
		   ptl_db_is_pg("host=/tmp dbname=x") &&
		   !ptl_db_is_pg("mysql://h/d"),
	   "the forms that select PostgreSQL (contract 4)");
	if (!ok(empty_schema(), "an empty database again"))
		return;
	db = open_db(2000);
	if (!ok(db != NULL, "open and migrate an empty database"))
		return;
	ok(ptl_db_engine_pg(db), "  on the PostgreSQL engine");
	is_int(ptl_db_version(db), ptl_db_known_version(),
	       "  reaches the last version");
	is_int(admin_int("SELECT count(*) FROM schema_version"), 1,
	       "  schema_version has one row");
	ok(ptl_db_migrate(db, &applied) == PTL_OK, "migrate again");
	is_int(applied, 0, "  applies nothing");
	ptl_db_close(db);
	db = open_db(2000);
	ok(db != NULL, "second open");
	if (db != NULL)
		is_int(ptl_db_version(db), ptl_db_known_version(),
		       "  same version");
	ok(db != NULL && ptl_db_prepare_all(db) == PTL_OK,
	   "every statement prepares with its declared columns");
	{
		static const char *const wrong[] = {"nope"};

		ok(db != NULL && ptl_db_check_columns(db, PTL_Q_HEALTH, wrong,
						      1) == PTL_ERR_INTERNAL,
		   "a wrong column list fails the check");
	}
	ok(db != NULL && !ptl_db_moved(db) && !ptl_db_readonly(db) &&
		   ptl_db_storage(db) == PTL_OK && ptl_db_writable(url),
	   "no file: not moved, writable, storage fine");
	ptl_db_close(db);
	/* A newer schema is refused, untouched. */
	ok(admin_exec("UPDATE schema_version SET version = version + 100"),
	   "schema made newer");
	db = NULL;
	is_int(ptl_db_open(url, 2000, &db), PTL_ERR_DB_NEWER,
	       "a newer schema is refused (PTL_ERR_DB_NEWER)");
	ptl_db_close(db);
	ok(admin_exec("UPDATE schema_version SET version = version - 100"),
	   "schema version put back");
}

static void
test_statements(void)
{
	static const unsigned char hash[32] = {0, 0, 7, 0, 255, 0, 1};
	struct ptl_db *db = open_db(2000);
	struct ptl_stmt *st;
	int64_t uid = 0, uid2 = 0, sid = 0;
	const void *p;
	size_t len = 0;
	bool row = false;

	if (!ok(db != NULL, "open"))
		return;
	is_int(insert_user(db, "a@example.com", &uid), PTL_OK, "insert a user");
	ok(uid > 0, "  last_id gives its id");
	is_int(ptl_db_changes(db), 1, "  one row changed");
	is_int(insert_user(db, "a@example.com", NULL), PTL_ERR_CONFLICT,
	       "the same email again: PTL_ERR_CONFLICT (23505)");
	is_int(insert_user(db, "b@example.com", &uid2), PTL_OK,
	       "another user");
	ok(uid2 > uid, "  a new id");
	is_int(insert_session(db, uid, hash, sizeof(hash), &sid), PTL_OK,
	       "insert a session with a blob of NUL bytes");
	st = ptl_db_q(db, PTL_Q_SESSION_GET);
	ptl_db_bind_int(st, 1, sid);
	ok(ptl_db_step(st, &row) == PTL_OK && row, "read it back");
	p = ptl_db_blob(st, PTL_COL_SESSION_GET_HASH, &len);
	ok(len == sizeof(hash) && p != NULL && memcmp(p, hash, len) == 0,
	   "  the blob round-trips, NUL bytes and all");
	p = ptl_db_blob(st, PTL_COL_SESSION_GET_NONCE, &len);
	ok(len == 16 && ((const unsigned char *)p)[3] == 2,
	   "  a second blob of the same row");
	/* (Not prev_hash: issue 13 sets it from the start.) */
	ok(ptl_db_is_null(st, PTL_COL_SESSION_GET_REVOKED_AT) &&
		   ptl_db_blob(st, PTL_COL_SESSION_GET_REVOKED_AT, &len) ==
			   NULL &&
		   len == 0 &&
		   ptl_db_int(st, PTL_COL_SESSION_GET_REVOKED_AT) == 0,
	   "  NULL reads as NULL");
	is_int(ptl_db_int(st, PTL_COL_SESSION_GET_USER_ID), uid,
	       "  an integer");
	is_int(ptl_db_int(st, PTL_COL_SESSION_GET_USER_LIVE), 1,
	       "  a boolean reads 1");
	is_int(ptl_db_int(st, PTL_COL_SESSION_GET_EXPIRES_AT), NOW + 86400000,
	       "  a 64-bit time");
	ok(ptl_db_step(st, &row) == PTL_OK && !row, "  then no more rows");
	ptl_db_done(st);
	st = ptl_db_q(db, PTL_Q_USER_GET);
	ptl_db_bind_int(st, 1, uid);
	ok(ptl_db_step(st, &row) == PTL_OK && row, "a user by id");
	is_str(ptl_db_text(st, PTL_COL_USER_FIRST_NAME), "Zoë", "  UTF-8 text");
	ok(ptl_db_text(st, PTL_COL_USER_LAST_NAME) == NULL, "  NULL text");
	ptl_db_done(st);
	/* What PostgreSQL refuses and SQLite stores is the input's fault:
	 * 400, not 500. */
	st = ptl_db_q(db, PTL_Q_USER_BY_EMAIL_ANY);
	ptl_db_bind_textz(st, 1, "\xff\xfe@example.com");
	is_int(ptl_db_step(st, &row), PTL_ERR_BAD_REQUEST,
	       "text that is not UTF-8: PTL_ERR_BAD_REQUEST (22021)");
	ptl_db_done(st);
	st = ptl_db_q(db, PTL_Q_USER_GET);
	ptl_db_bind_textz(st, 1, "12abc");
	is_int(ptl_db_step(st, &row), PTL_ERR_BAD_REQUEST,
	       "text where a number goes: PTL_ERR_BAD_REQUEST (22P02)");
	ptl_db_done(st);
	/* ptl_db_changes after an UPDATE that matches nothing, and a
	 * SELECT leaves it. */
	st = ptl_db_q(db, PTL_Q_SESSION_ROTATE);
	ptl_db_bind_int(st, 1, sid);
	ptl_db_bind_blob(st, 2, "nope", 4);
	ptl_db_bind_blob(st, 3, hash, sizeof(hash));
	ptl_db_bind_int(st, 4, NOW);
	ptl_db_bind_int(st, 5, NOW);
	ok(ptl_db_exec(st) == PTL_OK && ptl_db_changes(db) == 0,
	   "an UPDATE that matches nothing changes 0 rows");
	(void)health_step(db);
	is_int(ptl_db_changes(db), 0, "  a SELECT leaves the count");
	ptl_db_close(db);
}

static void
test_readonly_and_busy(void)
{
	struct ptl_db *ro = NULL, *a = open_db(300), *b = open_db(300);
	struct ptl_stmt *st;

	is_int(ptl_db_open_readonly(url, 300, &ro), PTL_OK,
	       "open read-only");
	if (ro != NULL) {
		ok(ptl_db_readonly(ro), "  it says so");
		is_int(health_step(ro), PTL_OK, "  reads");
		is_int(insert_user(ro, "ro@example.com", NULL),
		       PTL_ERR_DB_READONLY,
		       "  a write is PTL_ERR_DB_READONLY (25006)");
		ptl_db_close(ro);
	}
	if (!ok(a != NULL && b != NULL, "two connections"))
		goto out;
	ptl_db_fault_reset();
	/* a holds a row lock in its transaction; b's single UPDATE of the
	 * row waits lock_timeout (the busy timeout), then gives up. */
	ok(ptl_db_begin(a) == PTL_OK, "a begins");
	st = ptl_db_q(a, PTL_Q_USER_SET_PASSWORD);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_textz(st, 2, "A");
	ptl_db_bind_int(st, 3, NOW);
	ok(ptl_db_exec(st) == PTL_OK, "  and locks a row");
	st = ptl_db_q(b, PTL_Q_USER_SET_PASSWORD);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_textz(st, 2, "B");
	ptl_db_bind_int(st, 3, NOW);
	is_int(ptl_db_exec(st), PTL_ERR_BUSY,
	       "b's UPDATE of that row: PTL_ERR_BUSY (55P03)");
	is_int(ptl_db_last_fault(PTL_DB_FAULT_RECENT_US), PTL_ERR_BUSY,
	       "  noted as the last storage fault");
	ok(ptl_db_commit(a) == PTL_OK, "a commits");
	is_int(ptl_db_last_fault(PTL_DB_FAULT_RECENT_US), PTL_OK,
	       "  which clears it");
	/* A statement that fails inside a transaction aborts it: the
	 * commit must not say it went through. */
	ok(ptl_db_begin(a) == PTL_OK, "a begins again");
	is_int(insert_user(a, "a@example.com", NULL), PTL_ERR_CONFLICT,
	       "  a conflict inside it");
	ok(ptl_db_end(a, PTL_OK) != PTL_OK,
	   "  the failed transaction does not commit");
	is_int(health_step(a), PTL_OK, "  and the connection works after");
out:
	ptl_db_close(a);
	ptl_db_close(b);
}

static void
test_serialize(void)
{
	struct ptl_db *a = open_db(300), *b = open_db(300);
	struct ptl_stmt *st;
	bool row = false;

	if (!ok(a != NULL && b != NULL, "two connections"))
		goto out;
	ok(ptl_db_begin(a) == PTL_OK, "a begins a write transaction");
	is_int(ptl_db_begin(b), PTL_ERR_BUSY,
	       "  b cannot begin one until a ends (waits the busy timeout)");
	st = ptl_db_q(b, PTL_Q_RATE_HIT);
	ptl_db_bind_textz(st, 1, "ip:192.0.2.1");
	ptl_db_bind_int(st, 2, NOW);
	ptl_db_bind_int(st, 3, 60000);
	ok(ptl_db_step(st, &row) == PTL_OK && row &&
		   ptl_db_int(st, PTL_COL_RATE_COUNT) == 1,
	   "  but b's single statement runs beside it");
	ptl_db_done(st);
	ok(ptl_db_commit(a) == PTL_OK, "a commits");
	ok(ptl_db_begin(b) == PTL_OK, "  then b begins");
	ptl_db_rollback(b);
	/* Transactions on row locks alone: beside a ptl_db_begin one, and
	 * beside each other on different rows; on the same row, the second
	 * waits for the first (the busy timeout here). */
	ok(ptl_db_begin(a) == PTL_OK, "a begins a write transaction");
	ok(ptl_db_begin_rows(b) == PTL_OK,
	   "  b's row-lock transaction begins beside it");
	ptl_db_rollback(a);
	ok(ptl_db_begin_rows(a) == PTL_OK, "a begins a row-lock transaction");
	st = ptl_db_q(a, PTL_Q_USER_SET_PASSWORD);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_textz(st, 2, "A");
	ptl_db_bind_int(st, 3, NOW);
	ok(ptl_db_exec(st) == PTL_OK, "  and writes row 1");
	st = ptl_db_q(b, PTL_Q_USER_SET_PASSWORD);
	ptl_db_bind_int(st, 1, 2);
	ptl_db_bind_textz(st, 2, "B");
	ptl_db_bind_int(st, 3, NOW);
	ok(ptl_db_exec(st) == PTL_OK, "  b writes row 2 at the same time");
	st = ptl_db_q(b, PTL_Q_USER_SET_PASSWORD);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_textz(st, 2, "B");
	ptl_db_bind_int(st, 3, NOW);
	is_int(ptl_db_exec(st), PTL_ERR_BUSY, "  but not row 1 (a holds it)");
	ok(ptl_db_end(b, PTL_OK) != PTL_OK, "  b's transaction failed");
	ok(ptl_db_commit(a) == PTL_OK, "  a commits");
out:
	ptl_db_close(a);
	ptl_db_close(b);
}

static void
test_reconnect(void)
{
	struct ptl_db *db, *a;
	struct ptl_stmt *st;
	enum ptl_err e = PTL_ERR_UNAVAILABLE;
	int tries, status = -1;
	pid_t pid;

	/* The child that ends db's connection when it waits for a lock
	 * (below) is made first: it must not share the connections. */
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		kill_when_waiting();
	db = open_db(20000);
	a = open_db(20000);
	if (!ok(db != NULL && a != NULL, "open"))
		goto out;
	is_int(health_step(db), PTL_OK, "a statement runs");
	ok(kill_engine() >= 2, "the server ends the (idle) connections");
	is_int(health_step(db), PTL_OK,
	       "  the next statement connects again first, and runs");
	ok(ptl_db_prepare_all(db) == PTL_OK,
	   "  every statement prepares again on the new connection");
	/* A loss under a statement: a holds the row; db's UPDATE of it
	 * waits, and the server ends db's connection meanwhile. */
	ok(ptl_db_begin(a) == PTL_OK, "a locks a row");
	st = ptl_db_q(a, PTL_Q_USER_SET_PASSWORD);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_textz(st, 2, "A");
	ptl_db_bind_int(st, 3, NOW);
	ok(ptl_db_exec(st) == PTL_OK, "  (an UPDATE in a transaction)");
	st = ptl_db_q(db, PTL_Q_USER_SET_PASSWORD);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_textz(st, 2, "B");
	ptl_db_bind_int(st, 3, NOW);
	is_int(ptl_db_exec(st), PTL_ERR_UNAVAILABLE,
	       "a connection lost under a statement: PTL_ERR_UNAVAILABLE");
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		   WEXITSTATUS(status) == 0,
	   "  (the server ended it while it waited)");
	ok(ptl_db_storage(db) == PTL_ERR_UNAVAILABLE,
	   "  storage says the connection is down");
	ptl_db_rollback(a);
	for (tries = 0; tries < 200 && e == PTL_ERR_UNAVAILABLE; tries++) {
		pause_ms(50);
		e = health_step(db);
	}
	is_int(e, PTL_OK, "  then it connects again (after its back-off)");
	is_int(admin_int("SELECT count(*) FROM users WHERE id = 1 AND "
			 "password = 'B'"), 0,
	   "  and the lost UPDATE was not sent again");
	/* A transaction the loss cuts stays failed: nothing of it runs in
	 * autocommit on the new connection. */
	ok(ptl_db_begin(db) == PTL_OK, "begin");
	ok(kill_engine() >= 2, "  the server ends the connections");
	is_int(health_step(db), PTL_ERR_UNAVAILABLE, "  in it: unavailable");
	pause_ms(300);
	is_int(insert_user(db, "cut@example.com", NULL), PTL_ERR_UNAVAILABLE,
	       "  still, after the back-off, until rolled back");
	ok(ptl_db_commit(db) != PTL_OK, "  the commit fails");
	is_int(admin_int("SELECT count(*) FROM users WHERE email = "
			 "'cut@example.com'"), 0, "  nothing was written");
	e = PTL_ERR_UNAVAILABLE;
	for (tries = 0; tries < 200 && e == PTL_ERR_UNAVAILABLE; tries++) {
		pause_ms(50);
		e = health_step(db);
	}
	is_int(e, PTL_OK, "  then statements work again");
out:
	if (pid > 0 && status == -1) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	ptl_db_close(db);
	ptl_db_close(a);
}

/* One racer: rotates each of the NRACE sessions from its first hash,
 * and writes how many it won to fd. */
static void
racer(int fd, int64_t first_sid)
{
	struct ptl_db *db = open_db(5000);
	int won = 0, i;
	unsigned char old[32], neu[32];

	if (db == NULL)
		_exit(3);
	for (i = 0; i < NRACE; i++) {
		struct ptl_stmt *st = ptl_db_q(db, PTL_Q_SESSION_ROTATE);

		memset(old, i + 1, sizeof(old));
		memset(neu, 200 + i, sizeof(neu));
		neu[0] = (unsigned char)getpid();
		ptl_db_bind_int(st, 1, first_sid + i);
		ptl_db_bind_blob(st, 2, old, sizeof(old));
		ptl_db_bind_blob(st, 3, neu, sizeof(neu));
		ptl_db_bind_int(st, 4, NOW);
		ptl_db_bind_int(st, 5, NOW + 1000);
		if (ptl_db_exec(st) != PTL_OK)
			_exit(4);
		won += (int)ptl_db_changes(db);
	}
	ptl_db_close(db);
	if (write(fd, &won, sizeof(won)) != sizeof(won))
		_exit(5);
	_exit(0);
}

static void
test_race(void)
{
	struct ptl_db *db = open_db(2000);
	int64_t uid = 0, sid = 0, first = 0;
	int fd[2], i, total = 0, status, good = 0;
	pid_t pid[2];
	unsigned char h[32];

	if (!ok(db != NULL && insert_user(db, "race@example.com", &uid) ==
					  PTL_OK,
		"a user for the race"))
		return;
	for (i = 0; i < NRACE; i++) {
		memset(h, i + 1, sizeof(h));
		if (insert_session(db, uid, h, sizeof(h), &sid) != PTL_OK)
			break;
		if (i == 0)
			first = sid;
	}
	is_int(i, NRACE, "sessions for the race");
	is_int(sid - first + 1, NRACE, "  with consecutive ids");
	ptl_db_close(db);
	fflush(stdout);
	if (pipe(fd) != 0)
		return;
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(fd[0]);
			racer(fd[1], first);
		}
	}
	close(fd[1]);
	for (i = 0; i < 2; i++) {
		int won = 0;

		if (read(fd[0], &won, sizeof(won)) == sizeof(won)) {
			total += won;
			good++;
		}
	}
	close(fd[0]);
	for (i = 0; i < 2; i++)
		if (waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	is_int(good, 4, "two processes race the rotation of every session");
	is_int(total, NRACE, "  exactly one wins each compare-and-swap");
	is_int(admin_int("SELECT count(*) FROM sessions WHERE generation = 1"),
	       NRACE, "  every session moved one generation, not two");
}

static void
test_backup(void)
{
	struct ptl_db *db = open_db(2000);
	char path[600], head[6] = {0};
	FILE *f;

	if (!ok(db != NULL, "open"))
		return;
	(void)snprintf(path, sizeof(path), "%s", fix_path("dump.pgdump"));
	is_int(ptl_db_backup(db, path), PTL_OK, "backup runs pg_dump");
	f = fopen(path, "rb");
	ok(f != NULL && fread(head, 1, 5, f) == 5 && memcmp(head, "PGDMP", 5) == 0,
	   "  a custom-format dump (pg_restore reads it)");
	if (f != NULL)
		fclose(f);
	is_int(ptl_db_restore(db, path), PTL_ERR_BAD_REQUEST,
	       "restore is refused on PostgreSQL (pg_restore)");
	ptl_db_close(db);
}

static void
test_describe(void)
{
	char out[256];

	ptl_db_describe("postgresql://joe:s3cret@db.example/auth?sslmode=require",
			out, sizeof(out));
	ok(strstr(out, "auth") != NULL && strstr(out, "db.example") != NULL &&
		   strstr(out, "s3cret") == NULL && strstr(out, "joe") == NULL,
	   "a URL in words: database and host, no user or password (%s)", out);
	ptl_db_describe("host=/run/pg dbname=x password=s3cret", out,
			sizeof(out));
	ok(strstr(out, "s3cret") == NULL && strstr(out, "/run/pg") != NULL,
	   "  the keyword form too (%s)", out);
}

/* A route whose handler reads the database, as every real one does. */
static enum ptl_err
h_read(struct ptl_req *req, struct ptl_resp *resp)
{
	enum ptl_err e = health_step(req->app->db);

	if (e == PTL_OK)
		ptl_buf_adds(&resp->body, "{\"ok\":true}");
	return e;
}

/* A transaction whose connection the server ends. */
static enum ptl_err
h_cut(struct ptl_req *req, struct ptl_resp *resp)
{
	enum ptl_err e = ptl_db_begin(req->app->db);

	(void)resp;
	if (e != PTL_OK)
		return PTL_ERR_INTERNAL;
	if (kill_engine() < 1)
		return PTL_ERR_INTERNAL;
	return ptl_db_end(req->app->db, health_step(req->app->db));
}

static const struct ptl_route routes[] = {
	{"GET", "/api/v1/read", PTL_AUTH_NONE, PTL_NO_FIELDS, h_read,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/cut", PTL_AUTH_NONE, PTL_NO_FIELDS, h_cut,
	 PTL_BUCKET_NONE},
};
static const struct ptl_endpoint ep = {"unit", PTL_ROUTES(routes)};

/* Serves GET /api/v1/read as the accept loop does (ptl_endpoint_loop:
 * open the database if it is not, then serve). */
static const char *
serve_uri(struct ptl_app *app, struct memio *m, struct ptl_arena *a,
	  const char *uri)
{
	const char *const vars[] = {"REQUEST_METHOD", "GET", "REQUEST_URI",
				    uri, "REMOTE_ADDR", "127.0.0.1", NULL};
	struct ptl_transport t;

	if (app->db == NULL)
		(void)ptl_app_open_db(app);
	memio_start(m, &t, vars, NULL, 0);
	ptl_mem_reset(a);
	ptl_endpoint_serve(app, &ep, &t, a);
	return m->out;
}

static const char *
serve_read(struct ptl_app *app, struct memio *m, struct ptl_arena *a)
{
	return serve_uri(app, m, a, "/api/v1/read");
}

static bool
answered_503(const char *out)
{
	return strncmp(out, "Status: 503", 11) == 0 &&
	       strstr(out, "\r\nRetry-After: 10\r\n") != NULL &&
	       strstr(out, "{\"statusCode\":503,\"message\":\"Service "
			   "Unavailable\"}") != NULL;
}

static void
test_endpoint(void)
{
	struct ptl_app app;
	struct memio m;
	struct ptl_arena *a = ptl_mem_new();
	const char *out = "";
	int tries;

	fix_env();
	setenv("DATABASE_URL", url, 1);
	memset(&app, 0, sizeof(app));
	memio_init(&m, 64 * 1024);
	if (!ok(ptl_app_init(&app) == PTL_OK, "a worker on PostgreSQL"))
		goto out;
	out = serve_read(&app, &m, a);
	ok(strncmp(out, "Status: 200", 11) == 0, "  answers 200");
	ok(kill_engine() >= 1, "the server ends its idle connection");
	out = serve_read(&app, &m, a);
	ok(strncmp(out, "Status: 200", 11) == 0,
	   "  the next request connects again and answers 200");
	out = serve_uri(&app, &m, a, "/api/v1/cut");
	ok(answered_503(out), "a request whose connection is ended under it: "
			      "a clean 503 JSON with Retry-After");
	for (tries = 0; tries < 200 && strncmp(out, "Status: 200", 11) != 0;
	     tries++) {
		pause_ms(50);
		out = serve_read(&app, &m, a);
		if (strncmp(out, "Status: 200", 11) != 0 && !answered_503(out))
			break;
	}
	ok(strncmp(out, "Status: 200", 11) == 0,
	   "  then, the worker still running, 200 again (only 503s between)");
	ptl_app_close(&app);

	setenv("DATABASE_URL", "postgresql:///none?host=/nonexistent-ptl", 1);
	memset(&app, 0, sizeof(app));
	ok(ptl_app_init(&app) == PTL_ERR_UNAVAILABLE,
	   "a worker whose server cannot be reached starts");
	out = serve_read(&app, &m, a);
	ok(answered_503(out), "  and answers a clean 503 JSON with Retry-After");
	ptl_app_close(&app);
out:
	unsetenv("DATABASE_URL");
	memio_free(&m);
	ptl_mem_free(a);
}

static void
test_app(void)
{
	struct ptl_app app;
	struct ptl_health h;
	int64_t retry;

	fix_env();
	/* No server there: the start says unavailable at once. */
	setenv("DATABASE_URL", "postgresql:///none?host=/nonexistent-ptl", 1);
	memset(&app, 0, sizeof(app));
	is_int(ptl_app_init(&app), PTL_ERR_UNAVAILABLE,
	       "app on an unreachable server: unavailable");
	ok(app.db == NULL && app.db_backoff_ms == 100,
	   "  and backs off (100 ms)");
	ok(ptl_health_check(&app, false, NOW, &h) != PTL_OK &&
		   h.database != NULL &&
		   strcmp(h.database, "unavailable") == 0,
	   "  health: \"database\":\"unavailable\"");
	retry = app.db_retry_us = ptl_clock_mono_us() + 3600 * 1000000LL;
	is_int(ptl_app_open_db(&app), PTL_ERR_UNAVAILABLE,
	       "  a request meanwhile: 503 at once");
	ok(app.db_retry_us == retry && app.db_backoff_ms == 100,
	   "  without trying to connect");
	app.db_retry_us = 0;
	is_int(ptl_app_open_db(&app), PTL_ERR_UNAVAILABLE,
	       "  once the interval is over it tries again");
	is_int(app.db_backoff_ms, 200, "  and the interval doubles");
	ptl_app_close(&app);

	setenv("DATABASE_URL", url, 1);
	memset(&app, 0, sizeof(app));
	if (!ok(ptl_app_init(&app) == PTL_OK && app.db != NULL,
		"app on PostgreSQL"))
		return;
	app.fake_now_ms = NOW;
	ok(ptl_health_check(&app, false, NOW, &h) == PTL_OK &&
		   h.database == NULL,
	   "  health is fine");
	ok(ptl_health_check(&app, true, NOW, &h) == PTL_OK &&
		   h.database == NULL,
	   "  ?deep=1 writes on PostgreSQL too");
	ok(kill_engine() >= 1, "  the server ends the connection");
	ok(ptl_health_check(&app, false, NOW, &h) == PTL_OK &&
		   h.database == NULL,
	   "  health connects again and is fine");
	ptl_app_close(&app);
	unsetenv("DATABASE_URL");
}

/* The settings' URL with a password added (trust authentication ignores
 * it): the CLI must never print it. malloc'd. */
static char *
url_with_password(void)
{
	PQconninfoOption *o, *opts = PQconninfoParse(url, NULL);
	char *out = malloc(4096);
	size_t n = 0;

	if (opts == NULL || out == NULL)
		return NULL;
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && *o->val != '\0' &&
		    strcmp(o->keyword, "password") != 0)
			n += (size_t)snprintf(out + n, 4096 - n, "%s='%s' ",
					      o->keyword, o->val);
	(void)snprintf(out + n, 4096 - n, "password='%s'", "pw-never-shown-7");
	PQconninfoFree(opts);
	return out;
}

/* Runs `./authportal ARGS` (stderr too): its exit status, its output in
 * out. */
static int
cli(const char *args, char *out, size_t size)
{
	char cmd[512];
	FILE *p;
	size_t n;
	int status;

	(void)snprintf(cmd, sizeof(cmd), "./authportal %s 2>&1", args);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_cli(void)
{
	char *conn = url_with_password(), out[16384], args[700];
	const char *dump = NULL;

	if (!ok(conn != NULL, "a URL with a password") ||
	    access("./authportal", X_OK) != 0) {
		ok(0, "./authportal is built");
		free(conn);
		return;
	}
	fix_env();
	setenv("DATABASE_URL", conn, 1);
	ok(empty_schema(), "an empty database for the CLI");
	is_int(cli("check-config", out, sizeof(out)), 0,
	       "check-config before migrate");
	ok(strstr(out, "engine PostgreSQL") != NULL &&
		   strstr(out, "schema version 0 of") != NULL &&
		   strstr(out, "after a backup") == NULL,
	   "  names the engine, says to migrate (no backup on PostgreSQL)");
	is_int(cli("migrate", out, sizeof(out)), 0, "migrate");
	ok(strstr(out, "schema version") != NULL, "  says the version");
	is_int(cli("check-config", out, sizeof(out)), 0, "check-config");
	ok(strstr(out, "engine PostgreSQL") != NULL &&
		   strstr(out, "ok, schema version") != NULL,
	   "  engine PostgreSQL, schema ok");
	ok(strstr(out, "pw-never-shown-7") == NULL, "  no password shown");
	is_int(cli("user add cli@example.com --password secret123 --admin",
		   out, sizeof(out)), 0, "user add");
	is_int(cli("user add cli@example.com --password secret123", out,
		   sizeof(out)), 1, "  the same again is refused");
	ok(strstr(out, "taken") != NULL, "  as taken");
	is_int(cli("user list", out, sizeof(out)), 0, "user list");
	ok(strstr(out, "cli@example.com") != NULL, "  shows it");
	is_int(cli("user disable cli@example.com", out, sizeof(out)), 0,
	       "user disable");
	is_int(cli("user enable cli@example.com", out, sizeof(out)), 0,
	       "user enable");
	is_int(cli("user set-password cli@example.com --password other1234",
		   out, sizeof(out)), 0, "user set-password");
	is_int(cli("audit", out, sizeof(out)), 0, "audit");
	ok(strstr(out, "account_disabled") != NULL, "  lists the events");
	is_int(cli("session list", out, sizeof(out)), 0, "session list");
	is_int(cli("mail list", out, sizeof(out)), 0, "mail list");
	is_int(cli("mail flush", out, sizeof(out)), 0, "mail flush");
	is_int(cli("gc", out, sizeof(out)), 0, "gc");
	dump = fix_path("cli.pgdump");
	(void)snprintf(args, sizeof(args), "backup %s", dump);
	is_int(cli(args, out, sizeof(out)), 0, "backup (pg_dump)");
	ok(access(dump, R_OK) == 0, "  the dump is there");
	ok(strstr(out, "pw-never-shown-7") == NULL, "  no password shown");
	(void)snprintf(args, sizeof(args), "restore %s", dump);
	is_int(cli(args, out, sizeof(out)), 2, "restore is refused");
	ok(strstr(out, "pg_restore") != NULL, "  naming pg_restore");
	is_int(cli("user delete cli@example.com", out, sizeof(out)), 0,
	       "user delete");
	setenv("DATABASE_URL",
	       "postgresql://joe:pw-never-shown-7@/none?host=/nonexistent-ptl", 1);
	is_int(cli("check-config", out, sizeof(out)), 1,
	       "check-config, the server unreachable: a problem");
	ok(strstr(out, "cannot be reached") != NULL &&
		   strstr(out, "pw-never-shown-7") == NULL,
	   "  said so, without the password");
	is_int(cli("migrate", out, sizeof(out)), 1, "  migrate fails");
	ok(strstr(out, "pw-never-shown-7") == NULL, "  without the password");
	setenv("DATABASE_URL", "mysql://joe:pw-never-shown-7@db/auth", 1);
	is_int(cli("check-config", out, sizeof(out)), 1,
	       "a DATABASE_URL of another engine is refused");
	ok(strstr(out, "DATABASE_URL") != NULL &&
		   strstr(out, "pw-never-shown-7") == NULL,
	   "  naming the setting, not its value");
	unsetenv("DATABASE_URL");
	free(conn);
}

int
main(void)
{
	const char *must = getenv("PTL_TEST_PG");

	url = getenv("PTL_TEST_DATABASE_URL");
	if (url == NULL || *url == '\0') {
		if (must != NULL && strcmp(must, "1") == 0) {
			printf("1..1\nnot ok 1 - PTL_TEST_PG=1 but "
			       "PTL_TEST_DATABASE_URL is unset\n");
			return 1;
		}
		printf("1..0 # SKIP PTL_TEST_DATABASE_URL is unset "
		       "(script/test sets it)\n");
		return 0;
	}
	if (!fix_mkdtemp()) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	(void)setenv("TZ", "UTC", 1);
	test_migrate_race();
	test_migrate();
	test_statements();
	test_readonly_and_busy();
	test_serialize();
	test_reconnect();
	test_race();
	test_backup();
	test_describe();
	test_app();
	test_endpoint();
	test_cli();
	fix_rmdir(fix_dir);
	return done();
}
