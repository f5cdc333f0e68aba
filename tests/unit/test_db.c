/* SPDX-License-Identifier: ISC */
/*
 * test_db: lib/adapters/db.c. Migrations bring an empty database to the last
 * version and a second open applies nothing; the migration table is
 * ordered; pragmas; statement use (bind, step, NULLs, UNIQUE -> conflict,
 * transactions, the busy timeout -> PTL_ERR_BUSY). Concurrency: four
 * processes race to create and migrate one new file, then four processes
 * write 200 audit rows and 200 rate-limit hits each in autocommit plus
 * transactions; every write must be there and none may see
 * PTL_ERR_BUSY. Versions are checked against ptl_migrations[], so the
 * test stays valid as migrations are added. Result columns: every
 * statement's PTL_COL_ list matches what SQLite reports, and the check
 * fails, with one log line, on a list that differs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "adapters/db.h"
#include "fixture.h"
#include "tap.h"

#define NCHILD 4
#define NWRITES 200
#define WINDOW 1764115140000LL

static void
test_migrations(void)
{
	const char *path;
	struct ptl_db *db = NULL;
	unsigned applied = 99, i, last;
	bool ordered = true;
	char want[16];

	ok(ptl_migrations_len >= 1, "at least one migration");
	last = ptl_migrations[ptl_migrations_len - 1].version;
	for (i = 0; i < ptl_migrations_len; i++) {
		(void)snprintf(want, sizeof(want), "%03u_", ptl_migrations[i].version);
		if (ptl_migrations[i].version != i + 1 ||
		    strncmp(ptl_migrations[i].name, want, 4) != 0 ||
		    ptl_migrations[i].sql == NULL)
			ordered = false;
	}
	ok(ordered, "migrations numbered 1..n, names NNN_ match");

	path = fix_path("m.db");
	if (!ok(ptl_db_open(path, 1000, &db) == PTL_OK && db != NULL,
		"open an empty database"))
		return;
	is_int(ptl_db_version(db), last, "reaches the last version");
	ok(ptl_db_migrate(db, &applied) == PTL_OK, "migrate again");
	is_int(applied, 0, "  applies nothing");
	ptl_db_close(db);
	db = NULL;
	ok(ptl_db_open(path, 1000, &db) == PTL_OK, "second open");
	applied = 99;
	ok(ptl_db_migrate(db, &applied) == PTL_OK && applied == 0,
	   "  nothing pending");
	is_int(ptl_db_version(db), last, "  same version");
	ptl_db_close(db);
	is_int(fix_sql_int(path, "PRAGMA user_version"), last,
	       "user_version on disk");
	is_int(fix_sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type "
				 "= 'table' AND name IN ('role', 'status', "
				 "'users', 'sessions', 'audit_log', "
				 "'rate_limits')"),
	       6, "all tables exist");
	is_int(fix_sql_int(path, "SELECT count(*) FROM role"), 2, "roles seeded");
	is_int(fix_sql_int(path, "SELECT count(*) FROM status"), 2,
	       "statuses seeded");
	{
		sqlite3 *h = NULL;
		sqlite3_stmt *st = NULL;
		bool wal = false;

		if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) ==
			    SQLITE_OK &&
		    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL) ==
			    SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			wal = strcmp((const char *)sqlite3_column_text(st, 0),
				     "wal") == 0;
		sqlite3_finalize(st);
		sqlite3_close(h);
		ok(wal, "journal_mode is WAL");
	}
	ok(ptl_db_open("/nonexistent-dir/x/y.db", 100, &db) ==
			   PTL_ERR_UNAVAILABLE &&
		   db == NULL,
	   "unopenable path: unavailable, db NULL");
	ptl_db_close(NULL);
	ok(1, "close(NULL) is a no-op");
}

static void
test_statements(void)
{
	struct ptl_db *db = NULL, *other = NULL;
	struct ptl_stmt *st;
	bool row = false;
	const char *path = fix_path("s.db");
	size_t len = 0;
	const void *blob;

	if (!ok(ptl_db_open(path, 1000, &db) == PTL_OK, "open for statements"))
		return;
	st = ptl_db_q(db, PTL_Q_HEALTH);
	ok(ptl_db_step(st, &row) == PTL_OK && row &&
		   ptl_db_int(st, PTL_COL_HEALTH_OK) == 1,
	   "health query");
	ptl_db_done(st);

	st = ptl_db_q(db, PTL_Q_USER_INSERT);
	ptl_db_bind_textz(st, 1, "u@example.com");
	ptl_db_bind_null(st, 2);
	ptl_db_bind_text(st, 3, "emailXXX", 5);
	ptl_db_bind_null(st, 4);
	ptl_db_bind_textz(st, 5, NULL);
	ptl_db_bind_textz(st, 6, "L");
	ptl_db_bind_int(st, 7, 2);
	ptl_db_bind_int(st, 8, 1);
	ptl_db_bind_int(st, 9, 1000);
	is_int(ptl_db_exec(st), PTL_OK, "insert a user");
	is_int(ptl_db_changes(db), 1, "  one change");
	is_int(ptl_db_last_id(db), 1, "  id 1");

	st = ptl_db_q(db, PTL_Q_USER_INSERT);
	ptl_db_bind_textz(st, 1, "u@example.com");
	ptl_db_bind_textz(st, 3, "email");
	ptl_db_bind_int(st, 7, 2);
	ptl_db_bind_int(st, 8, 1);
	ptl_db_bind_int(st, 9, 1000);
	is_int(ptl_db_exec(st), PTL_ERR_CONFLICT, "same email: conflict");

	st = ptl_db_q(db, PTL_Q_USER_GET);
	ptl_db_bind_int(st, 1, 1);
	ok(ptl_db_step(st, &row) == PTL_OK && row, "get the user");
	is_str(ptl_db_text(st, PTL_COL_USER_EMAIL), "u@example.com",
	       "  text column");
	is_str(ptl_db_text(st, PTL_COL_USER_PROVIDER), "email",
	       "  bound text length respected");
	ok(ptl_db_text(st, PTL_COL_USER_FIRST_NAME) == NULL &&
		   ptl_db_is_null(st, PTL_COL_USER_FIRST_NAME),
	   "  NULL column");
	ok(!ptl_db_is_null(st, PTL_COL_USER_LAST_NAME), "  non-NULL column");
	ptl_db_done(st);

	/* Blobs, through a session row. */
	st = ptl_db_q(db, PTL_Q_SESSION_INSERT);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_blob(st, 2, "\0\1\2\3", 4);
	ptl_db_bind_blob(st, 3, "nonce", 5);
	ptl_db_bind_int(st, 4, 1000);
	ptl_db_bind_int(st, 5, 2000);
	ok(ptl_db_exec(st) == PTL_OK, "insert a session");
	st = ptl_db_q(db, PTL_Q_SESSION_GET);
	ptl_db_bind_int(st, 1, ptl_db_last_id(db));
	ok(ptl_db_step(st, &row) == PTL_OK && row, "get the session");
	blob = ptl_db_blob(st, PTL_COL_SESSION_GET_HASH, &len);
	ok(len == 4 && memcmp(blob, "\0\1\2\3", 4) == 0, "  blob with a NUL");
	ptl_db_done(st);

	/* A session of an unknown user: foreign keys are on. */
	st = ptl_db_q(db, PTL_Q_SESSION_INSERT);
	ptl_db_bind_int(st, 1, 999);
	ptl_db_bind_blob(st, 2, "h", 1);
	ptl_db_bind_blob(st, 3, "n", 1);
	ptl_db_bind_int(st, 4, 1000);
	ptl_db_bind_int(st, 5, 2000);
	is_int(ptl_db_exec(st), PTL_ERR_INTERNAL, "foreign key enforced");

	/* Transactions. */
	ok(ptl_db_begin(db) == PTL_OK, "begin");
	st = ptl_db_q(db, PTL_Q_AUDIT_INSERT);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_textz(st, 2, "rolled-back");
	ok(ptl_db_exec(st) == PTL_OK, "  insert");
	ptl_db_rollback(db);
	is_int(fix_sql_int(path, "SELECT count(*) FROM audit_log"), 0,
	       "rollback discards");
	ok(ptl_db_begin(db) == PTL_OK, "begin");
	st = ptl_db_q(db, PTL_Q_AUDIT_INSERT);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_textz(st, 2, "committed");
	ok(ptl_db_exec(st) == PTL_OK && ptl_db_commit(db) == PTL_OK,
	   "  insert, commit");
	is_int(fix_sql_int(path, "SELECT count(*) FROM audit_log"), 1,
	       "commit keeps");
	ptl_db_rollback(db);
	ok(1, "rollback without a transaction is safe");

	/* The write lock held elsewhere: BUSY after the timeout. */
	if (ok(ptl_db_open(path, 100, &other) == PTL_OK, "second connection")) {
		ok(ptl_db_begin(db) == PTL_OK, "first takes the write lock");
		is_int(ptl_db_begin(other), PTL_ERR_BUSY,
		       "second: busy after 100 ms");
		st = ptl_db_q(other, PTL_Q_AUDIT_INSERT);
		ptl_db_bind_int(st, 1, 1);
		ptl_db_bind_textz(st, 2, "x");
		is_int(ptl_db_exec(st), PTL_ERR_BUSY, "autocommit write: busy");
		st = ptl_db_q(other, PTL_Q_HEALTH);
		ok(ptl_db_step(st, &row) == PTL_OK && row,
		   "readers are not blocked (WAL)");
		ptl_db_done(st);
		ptl_db_rollback(db);
		ok(ptl_db_begin(other) == PTL_OK && ptl_db_commit(other) == PTL_OK,
		   "second gets the lock once released");
		ptl_db_close(other);
	}
	ptl_db_close(db);
}

/* ---- concurrency -------------------------------------------------------- */

/* Waits until the parent closes the pipe, so children start together. */
static void
wait_start(int fd)
{
	char c;

	while (read(fd, &c, 1) > 0)
		;
	close(fd);
}

/* Child: exit status bit 0: an open failed; 1: some write BUSY; 2: other
 * error; 3: a RETURNING count went backwards. */
static int
writer(const char *path, int n)
{
	struct ptl_db *db = NULL;
	int i, status = 0;
	int64_t last = 0;
	char event[32];

	if (ptl_db_open(path, 10000, &db) != PTL_OK)
		return 1;
	(void)snprintf(event, sizeof(event), "child-%d", n);
	for (i = 0; i < NWRITES; i++) {
		struct ptl_stmt *st = ptl_db_q(db, PTL_Q_AUDIT_INSERT);
		enum ptl_err e;
		bool row;

		ptl_db_bind_int(st, 1, i);
		ptl_db_bind_textz(st, 2, event);
		e = ptl_db_exec(st);
		if (e == PTL_ERR_BUSY)
			status |= 2;
		else if (e != PTL_OK)
			status |= 4;

		/* Every tenth write in a transaction of two statements. */
		if (i % 10 == 0) {
			e = ptl_db_begin(db);
			if (e == PTL_OK) {
				st = ptl_db_q(db, PTL_Q_AUDIT_INSERT);
				ptl_db_bind_int(st, 1, i);
				ptl_db_bind_textz(st, 2, "tx");
				e = ptl_db_exec(st);
			}
			if (e == PTL_OK)
				e = ptl_db_commit(db);
			else
				ptl_db_rollback(db);
			if (e == PTL_ERR_BUSY)
				status |= 2;
			else if (e != PTL_OK)
				status |= 4;
		}

		st = ptl_db_q(db, PTL_Q_RATE_HIT);
		ptl_db_bind_textz(st, 1, "shared");
		ptl_db_bind_int(st, 2, WINDOW);
		ptl_db_bind_int(st, 3, 60000);
		e = ptl_db_step(st, &row);
		if (e == PTL_OK && row) {
			if (ptl_db_int(st, PTL_COL_RATE_COUNT) <= last)
				status |= 8;
			last = ptl_db_int(st, PTL_COL_RATE_COUNT);
		}
		ptl_db_done(st);
		if (e == PTL_ERR_BUSY)
			status |= 2;
		else if (e != PTL_OK || !row)
			status |= 4;
	}
	ptl_db_close(db);
	return status;
}

static int
opener(const char *path)
{
	struct ptl_db *db = NULL;
	enum ptl_err e = ptl_db_open(path, 10000, &db);
	unsigned v = e == PTL_OK ? ptl_db_version(db) : 0;

	ptl_db_close(db);
	if (e == PTL_ERR_BUSY)
		return 2;
	return e == PTL_OK &&
			       v == ptl_migrations[ptl_migrations_len - 1].version
		       ? 0
		       : 1;
}

/* Runs NCHILD children of fn at once; returns the OR of their statuses
 * (0x80 for one that did not exit normally). */
static int
race(const char *path, bool write)
{
	pid_t pids[NCHILD];
	int fd[2], i, all = 0;

	if (pipe(fd) != 0)
		return 0x80;
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < NCHILD; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(fd[1]);
			wait_start(fd[0]);
			_exit(write ? writer(path, i) : opener(path));
		}
	}
	close(fd[0]);
	close(fd[1]); /* go */
	for (i = 0; i < NCHILD; i++) {
		int status = 0;

		if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 ||
		    !WIFEXITED(status))
			all |= 0x80;
		else
			all |= WEXITSTATUS(status);
	}
	return all;
}

static void
test_concurrency(void)
{
	char path[512];
	int st = 0, i, busy = 0;

	/* Twenty fresh files, four first opens each: PRAGMA journal_mode =
	 * WAL on a new file can fail at once with SQLITE_BUSY, without the
	 * busy handler (SQLite documents it), so a worker that starts beside
	 * another one on a new database gets 503. */
	for (i = 0; i < 20; i++) {
		int one;

		(void)snprintf(path, sizeof(path), "%s/race%d.db", fix_dir, i);
		one = race(path, false);
		st |= one & ~2;
		busy += (one & 2) != 0;
	}
	is_int(st, 0, "20 x 4 processes create and migrate new files");
	ok(busy == 0, "no first open of a new file sees PTL_ERR_BUSY");
	if (busy > 0)
		diag("%d of 20 races had an open fail with PTL_ERR_BUSY", busy);

	/* The writers use a file that exists and is migrated. */
	(void)snprintf(path, sizeof(path), "%s", fix_path("c.db"));
	{
		struct ptl_db *db = NULL;

		ok(ptl_db_open(path, 10000, &db) == PTL_OK, "create c.db");
		ptl_db_close(db);
	}
	st = race(path, true);
	is_int(st, 0, "4 writers: no failure");
	ok(!(st & 2), "  no writer saw PTL_ERR_BUSY");
	ok(!(st & 8), "  RETURNING counts only grow within a writer");
	is_int(fix_sql_int(path, "SELECT count(*) FROM audit_log WHERE event "
				 "LIKE 'child-%'"),
	       NCHILD * NWRITES, "every autocommit audit row is there");
	is_int(fix_sql_int(path, "SELECT count(*) FROM audit_log WHERE event = "
				 "'tx'"),
	       NCHILD * NWRITES / 10, "every transactional row is there");
	is_int(fix_sql_int(path, "SELECT count(DISTINCT event) FROM audit_log "
				 "WHERE event LIKE 'child-%'"),
	       NCHILD, "  from every child");
	is_int(fix_sql_int(path, "SELECT count FROM rate_limits WHERE key = "
				 "'shared'"),
	       NCHILD * NWRITES, "no rate-limit hit lost (atomic UPSERT)");
}

/* Runs ptl_db_check_columns(db, q, names, n) with stderr sent to a file:
 * OUT log, what it logged (truncated to log_size). */
static enum ptl_err
check_logged(struct ptl_db *db, enum ptl_q q, const char *const *names,
	     unsigned n, char *log, size_t log_size)
{
	const char *path = fix_path("columns.log");
	int saved, fd;
	ssize_t len;
	enum ptl_err e;

	log[0] = '\0';
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return PTL_ERR_INTERNAL;
	saved = dup(STDERR_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	e = ptl_db_check_columns(db, q, names, n);
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	len = pread(fd, log, log_size - 1, 0);
	log[len > 0 ? len : 0] = '\0';
	(void)close(fd);
	return e;
}

/* One log line, holding want. */
static bool
one_line_with(const char *log, const char *want)
{
	const char *nl = strchr(log, '\n');

	return nl != NULL && nl[1] == '\0' && strstr(log, want) != NULL;
}

static void
test_columns(void)
{
	static const char *const login[] = {"id", "password", "provider"};
	static const char *const swapped[] = {"id", "provider", "password"};
	static const char *const longer[] = {"id", "password", "provider",
					     "extra"};
	static const char *const hole[] = {"id", NULL, "provider"};
	static const char *const user[] = {
		"id",        "email",      "provider",   "social_id",
		"first_name", "last_name", "role_id",    "status_id",
		"created_at", "updated_at", "password"};
	struct ptl_db *db = NULL;
	char log[1024];

	if (!ok(ptl_db_open(fix_path("cols.db"), 1000, &db) == PTL_OK,
		"open for columns"))
		return;
	is_int(ptl_db_prepare_all(db), PTL_OK,
	       "every statement's columns are its PTL_COL_ list");
	is_int(ptl_db_prepare_all(db), PTL_OK, "  again, all prepared");
	is_int(ptl_db_check_columns(db, PTL_Q_USER_LOGIN, login, 3), PTL_OK,
	       "the right names pass");
	is_int(ptl_db_check_columns(db, PTL_Q_USER_GET, user,
				    PTL_COL_USER__MAX),
	       PTL_OK, "  USER_GET: the user columns");
	is_int(ptl_db_check_columns(db, PTL_Q_SESSION_USER, user,
				    PTL_COL_USER__MAX),
	       PTL_OK, "  SESSION_USER (u.id ...): the same names");
	is_int(ptl_db_check_columns(db, PTL_Q_USER_INSERT, NULL, 0), PTL_OK,
	       "  an INSERT: no columns");

	is_int(check_logged(db, PTL_Q_USER_LOGIN, swapped, 3, log, sizeof(log)),
	       PTL_ERR_INTERNAL, "two names swapped: fails");
	ok(one_line_with(log, "statement PTL_Q_USER_LOGIN: column 1 is "
			      "\"password\", declared \"provider\""),
	   "  one log line names the statement and the column");
	is_int(check_logged(db, PTL_Q_USER_LOGIN, login, 2, log, sizeof(log)),
	       PTL_ERR_INTERNAL, "a name missing: fails");
	ok(one_line_with(log, "PTL_Q_USER_LOGIN: column 2 \"provider\" is not "
			      "declared"),
	   "  logged");
	is_int(check_logged(db, PTL_Q_USER_LOGIN, longer, 4, log, sizeof(log)),
	       PTL_ERR_INTERNAL, "a name too many: fails");
	ok(one_line_with(log, "PTL_Q_USER_LOGIN: declared column 3 \"extra\" "
			      "is not in its result"),
	   "  logged");
	is_int(check_logged(db, PTL_Q_USER_LOGIN, hole, 3, log, sizeof(log)),
	       PTL_ERR_INTERNAL, "a hole in the list: fails");
	ok(one_line_with(log, "column 1 \"password\" is not declared"),
	   "  logged");
	is_int(check_logged(db, PTL_Q_HEALTH, NULL, 0, log, sizeof(log)),
	       PTL_ERR_INTERNAL, "a SELECT declared without columns: fails");
	ok(one_line_with(log, "PTL_Q_HEALTH: column 0 \"ok\" is not declared"),
	   "  logged");
	is_int(check_logged(db, PTL_Q_USER_INSERT, login, 1, log, sizeof(log)),
	       PTL_ERR_INTERNAL, "an INSERT declared with a column: fails");
	ok(one_line_with(log, "PTL_Q_USER_INSERT: declared column 0 \"id\""),
	   "  logged");
	ptl_db_close(db);
}

int
main(void)
{
	if (!fix_mkdtemp()) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_migrations();
	test_statements();
	test_columns();
	test_concurrency();
	fix_rmdir(fix_dir);
	return done();
}
