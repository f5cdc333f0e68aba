/* SPDX-License-Identifier: ISC */
/*
 * db: see db.h. Every statement of the project is in the table below.
 * Concurrency: many worker processes share the file. WAL lets readers run
 * beside the one writer; every write transaction starts with BEGIN
 * IMMEDIATE and single statements run in autocommit, so SQLITE_BUSY is only
 * returned after busy_timeout, never on a lock upgrade. synchronous=NORMAL
 * in WAL mode keeps every committed transaction across a crash of the
 * process (only a power loss can drop the last ones).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "adapters/db.h"
#include "adapters/db_pg.h"
#include "adapters/db_sql.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))


struct ptl_db {
	/* PostgreSQL (db_pg.c): every call below goes there; else SQLite. */
	struct ptl_pg *pg;
	sqlite3 *h;
	sqlite3_stmt *stmts[PTL_Q__MAX];
	struct ptl_stmt handles[PTL_Q__MAX]; /* .h: stmts[i] */
	bool in_tx;
	bool backup_on_migrate;
	int busy_timeout_ms;
	int64_t busy_since_us;
	unsigned calls; /* ptl_db_maintain() */
	struct wq *wq;             /* the write queue (SQLite): below */
	struct db_stats *stats;    /* PTL_DB_STATS */
	sqlite3_stmt *wq_stmt;     /* the autocommit write in the queue */
	struct ptl_db *next_open;
	sqlite3_stmt *tx_stmts[3]; /* BEGIN IMMEDIATE, COMMIT, ROLLBACK */
	int wal_frames;            /* after the last commit (wal_hook) */
};

/* A statement handle holds the sqlite3_stmt (db_pg.h); the wrapper type
 * keeps sqlite3.h out of every other file. */
#define ST(s) ((sqlite3_stmt *)(s)->h)

enum ptl_err
ptl_db_fault_of(int rc, int sys_errno)
{
	int base = rc & 0xff;

	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return PTL_ERR_BUSY;
	if (base == SQLITE_FULL)
		return PTL_ERR_DB_FULL;
	if (base == SQLITE_READONLY)
		return PTL_ERR_DB_READONLY;
	if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB)
		return PTL_ERR_DB_IO;
	if (base != SQLITE_IOERR && base != SQLITE_CANTOPEN)
		return PTL_OK;
	/* An I/O error names its cause in errno: a full disk or quota
	 * (SQLite says SQLITE_FULL only for a short write), a file past
	 * RLIMIT_FSIZE, a folder or file that cannot be written. */
	if (sys_errno == ENOSPC || sys_errno == EDQUOT || sys_errno == EFBIG)
		return PTL_ERR_DB_FULL;
	if (sys_errno == EACCES || sys_errno == EPERM || sys_errno == EROFS)
		return PTL_ERR_DB_READONLY;
	return PTL_ERR_DB_IO;
}

/* The storage faults this process saw: when each was last logged, and
 * the last one (ptl_db_last_fault). Process state, as the log is. */
static int64_t fault_logged_us[PTL_ERR__MAX];
static enum ptl_err last_fault;
static int64_t last_fault_us;

#define FAULT_LOG_EVERY_US (60 * 1000000LL)

/* One log line per cause a minute at most: a full disk fails every write
 * of every request, and the log is on the same disk. */
static void
note_fault(sqlite3 *h, enum ptl_err e, int rc, const char *what)
{
	int64_t now = ptl_clock_mono_us();
	int sys = sqlite3_system_errno(h);

	last_fault = e;
	last_fault_us = now;
	if (fault_logged_us[e] != 0 &&
	    now - fault_logged_us[e] < FAULT_LOG_EVERY_US)
		return;
	fault_logged_us[e] = now != 0 ? now : 1;
	PTL_LOG_ERR("database %s: %s (sqlite %d%s%s) in %.200s; answering 503 "
		    "(the same cause is logged again in a minute at most)",
		    ptl_err_info(e)->code, sqlite3_errmsg(h), rc,
		    sys != 0 ? ", " : "", sys != 0 ? strerror(sys) : "", what);
}

enum ptl_err
ptl_db_last_fault(int64_t within_us)
{
	if (last_fault == PTL_OK ||
	    ptl_clock_mono_us() - last_fault_us > within_us)
		return PTL_OK;
	return last_fault;
}

void
ptl_db_fault_reset(void)
{
	memset(fault_logged_us, 0, sizeof(fault_logged_us));
	last_fault = PTL_OK;
	last_fault_us = 0;
}

bool
ptl_db_fault_note(enum ptl_err e)
{
	int64_t now = ptl_clock_mono_us();

	last_fault = e;
	last_fault_us = now;
	if (fault_logged_us[e] != 0 &&
	    now - fault_logged_us[e] < FAULT_LOG_EVERY_US)
		return false;
	fault_logged_us[e] = now != 0 ? now : 1;
	return true;
}

void
ptl_db_fault_clear(void)
{
	last_fault = PTL_OK;
}

bool
ptl_db_is_pg(const char *where)
{
	return ptl_pg_selects(where);
}

bool
ptl_db_engine_pg(const struct ptl_db *db)
{
	return db->pg != NULL;
}

void
ptl_db_describe(const char *where, char *out, size_t size)
{
	if (ptl_pg_selects(where))
		ptl_pg_describe(where, out, size);
	else
		(void)snprintf(out, size, "SQLite database %s", where);
}

/* Opens where on the PostgreSQL engine into a database handle. */
static enum ptl_err
open_pg(const char *where, const struct ptl_db_opts *opts, bool readonly,
	struct ptl_db **out)
{
	struct ptl_pg *pg = NULL;
	struct ptl_db *db;
	enum ptl_err e;

	*out = NULL;
	e = ptl_pg_open(where, opts, readonly, &pg);
	if (e != PTL_OK)
		return e;
	db = ptl_mem_xmalloc(sizeof(*db));
	memset(db, 0, sizeof(*db));
	db->pg = pg;
	*out = db;
	return PTL_OK;
}

static enum ptl_err
map_rc(sqlite3 *h, int rc, const char *what)
{
	int base = rc & 0xff;
	enum ptl_err e;

	if (base == SQLITE_CONSTRAINT &&
	    (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY))
		return PTL_ERR_CONFLICT;
	e = ptl_db_fault_of(rc, sqlite3_system_errno(h));
	if (e != PTL_OK) {
		note_fault(h, e, rc, what);
		return e;
	}
	PTL_LOG_ERR("sqlite: %s: %s (%d)", what, sqlite3_errmsg(h), rc);
	return PTL_ERR_INTERNAL;
}

static enum ptl_err
exec_sql(struct ptl_db *db, const char *text)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, text, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		enum ptl_err e = map_rc(db->h, rc, text);

		sqlite3_free(msg);
		return e;
	}
	return PTL_OK;
}

unsigned
ptl_db_version(struct ptl_db *db)
{
	if (db->pg != NULL)
		return ptl_pg_version(db->pg);
	sqlite3_stmt *st = NULL;
	unsigned v = 0;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = (unsigned)sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

unsigned
ptl_db_known_version(void)
{
	return ptl_migrations_len > 0
		       ? ptl_migrations[ptl_migrations_len - 1].version
		       : 0;
}

/* ---- backups ------------------------------------------------------------ */

/* Creates path, empty, mode 0600 (whatever the umask adds to that): the
 * files SQLite makes beside it (-wal, -shm, -journal) take its mode. false
 * with errno set when it exists or cannot be made. */
static bool
create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return false;
	(void)close(fd);
	return true;
}

/*
 * Copies the database of src into path with the online backup API, in one
 * step: one read transaction, so the copy is one consistent snapshot, and
 * in WAL mode no writer waits for it. Written to path.tmp-PID (0600)
 * first, then renamed over path.
 */
static enum ptl_err
backup_from(sqlite3 *src, const char *path)
{
	char tmp[4096];
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		PTL_LOG_ERR("backup %s: path too long", path);
		return PTL_ERR_INTERNAL;
	}
	(void)unlink(tmp);
	if (!create_private(tmp)) {
		PTL_LOG_ERR("backup %s: cannot create %s: %s", path, tmp,
			    strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
	b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", src, "main")
			    : NULL;
	if (b != NULL) {
		rc = sqlite3_backup_step(b, -1);
		rc = sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE
			     ? SQLITE_OK
			     : sqlite3_errcode(dst);
	} else if (rc == SQLITE_OK) {
		rc = sqlite3_errcode(dst);
	}
	if (rc != SQLITE_OK) {
		PTL_LOG_ERR("backup %s: %s", path,
			    dst != NULL ? sqlite3_errmsg(dst)
					: "out of memory");
		sqlite3_close(dst);
		(void)unlink(tmp);
		return PTL_ERR_INTERNAL;
	}
	sqlite3_close(dst);
	if (rename(tmp, path) != 0) {
		PTL_LOG_ERR("backup %s: cannot rename %s: %s", path, tmp,
			    strerror(errno));
		(void)unlink(tmp);
		return PTL_ERR_INTERNAL;
	}
	return PTL_OK;
}

enum ptl_err
ptl_db_backup(struct ptl_db *db, const char *path)
{
	if (db->pg != NULL)
		return ptl_pg_backup(db->pg, path);
	return backup_from(db->h, path);
}

/*
 * The backup before a migration, beside the file:
 * <db>.schema<N>-<YYYYMMDDTHHMMSSZ>.bak. db holds the write lock (BEGIN
 * IMMEDIATE, nothing written yet), which a backup through db itself would
 * refuse: a second, read-only connection reads the last commit instead.
 */
static enum ptl_err
backup_before_migrating(struct ptl_db *db, unsigned version)
{
	const char *file = sqlite3_db_filename(db->h, "main");
	char path[4096], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	sqlite3 *src = NULL;
	enum ptl_err e;

	if (file == NULL || *file == '\0')
		return PTL_OK; /* a temporary or in-memory database */
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0 ||
	    snprintf(path, sizeof(path), "%s.schema%u-%s.bak", file, version,
		     stamp) >= (int)sizeof(path)) {
		PTL_LOG_ERR("backup of %s: cannot name it", file);
		return PTL_ERR_INTERNAL;
	}
	if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		PTL_LOG_ERR("backup of %s: %s", file,
			    src != NULL ? sqlite3_errmsg(src)
					: "out of memory");
		sqlite3_close(src);
		return PTL_ERR_INTERNAL;
	}
	sqlite3_busy_timeout(src, db->busy_timeout_ms);
	e = backup_from(src, path);
	sqlite3_close(src);
	if (e != PTL_OK) {
		PTL_LOG_ERR("not migrating %s without its backup (set "
			    "DATABASE_BACKUP_ON_MIGRATE=false to migrate "
			    "without one)", file);
		return e;
	}
	PTL_LOG_INFO("database %s at schema version %u backed up to %s "
		     "before migrating", file, version, path);
	return PTL_OK;
}

/* ---- restore, and the faults of the machine ------------------------------ */

/* Opens the backup at from to read it, and checks that it can be
 * restored: a database that passes quick_check, with a schema this
 * program knows. OUT src. */
static enum ptl_err
open_backup(const char *from, sqlite3 **src)
{
	sqlite3_stmt *st = NULL;
	const char *verdict = NULL;
	int v = -1;

	*src = NULL;
	if (access(from, R_OK) != 0 ||
	    sqlite3_open_v2(from, src, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK) {
		PTL_LOG_ERR("restore: cannot open %s: %s", from,
			    *src != NULL ? sqlite3_errmsg(*src)
					 : strerror(errno));
		return PTL_ERR_BAD_REQUEST;
	}
	if (sqlite3_prepare_v2(*src, "PRAGMA quick_check", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		verdict = (const char *)sqlite3_column_text(st, 0);
	if (verdict == NULL || strcmp(verdict, "ok") != 0) {
		PTL_LOG_ERR("restore: %s is not a sound database (%s)", from,
			    verdict != NULL ? verdict : sqlite3_errmsg(*src));
		sqlite3_finalize(st);
		return PTL_ERR_BAD_REQUEST;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(*src, "PRAGMA user_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v < 1 || (unsigned)v > ptl_db_known_version()) {
		PTL_LOG_ERR("restore: %s has schema version %d; this program "
			    "restores 1 to %u", from, v,
			    ptl_db_known_version());
		return PTL_ERR_BAD_REQUEST;
	}
	return PTL_OK;
}

/* Copies src over the live database of db in one step: the backup API
 * takes db's write lock (its busy handler waits for it) and commits once. */
static enum ptl_err
copy_in(struct ptl_db *db, sqlite3 *src, const char *from)
{
	sqlite3_backup *b = sqlite3_backup_init(db->h, "main", src, "main");
	int rc, rc2;

	if (b == NULL)
		return map_rc(db->h, sqlite3_errcode(db->h), "restore");
	rc = sqlite3_backup_step(b, -1);
	rc2 = sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE && rc2 == SQLITE_OK)
		return PTL_OK;
	if (rc == SQLITE_DONE || rc == SQLITE_OK)
		rc = rc2;
	PTL_LOG_ERR("restore from %s failed, nothing changed: %s", from,
		    sqlite3_errstr(rc));
	return map_rc(db->h, rc, "restore");
}

enum ptl_err
ptl_db_restore(struct ptl_db *db, const char *from)
{
	if (db->pg != NULL) {
		PTL_LOG_ERR("restore: a PostgreSQL database is restored with "
			    "pg_restore (or psql for a plain dump), not by "
			    "authportal; README \"Database engines\"");
		return PTL_ERR_BAD_REQUEST;
	}
	sqlite3 *src = NULL;
	enum ptl_err e = open_backup(from, &src);

	if (e == PTL_OK)
		e = copy_in(db, src, from);
	sqlite3_close(src);
	if (e != PTL_OK)
		return e;
	return ptl_db_migrate(db, NULL);
}

bool
ptl_db_moved(struct ptl_db *db)
{
	if (db->pg != NULL)
		return false; /* no file */
	int moved = 0;

	if (sqlite3_file_control(db->h, "main", SQLITE_FCNTL_HAS_MOVED,
				 &moved) != SQLITE_OK)
		return false;
	return moved != 0;
}

bool
ptl_db_readonly(struct ptl_db *db)
{
	if (db->pg != NULL)
		return ptl_pg_readonly(db->pg);
	return sqlite3_db_readonly(db->h, "main") == 1;
}

/* Whether path, and its -wal and -shm where they exist, can be written:
 * SQLite gives a new -wal and -shm the mode of the database file, so a
 * file made read-only leaves them read-only too. */
static bool
files_writable(const char *path)
{
	static const char *const suffixes[] = {"-wal", "-shm"};
	char name[4096 + 8];
	size_t i;

	if (access(path, W_OK) != 0)
		return false;
	for (i = 0; i < LEN(suffixes); i++) {
		if (snprintf(name, sizeof(name), "%s%s", path, suffixes[i]) <
			    (int)sizeof(name) &&
		    access(name, F_OK) == 0 && access(name, W_OK) != 0)
			return false;
	}
	return true;
}

bool
ptl_db_writable(const char *path)
{
	if (ptl_pg_selects(path))
		return true; /* no file */
	return files_writable(path);
}

enum ptl_err
ptl_db_storage(struct ptl_db *db)
{
	if (db->pg != NULL)
		return ptl_pg_storage(db->pg);
	const char *file = sqlite3_db_filename(db->h, "main");
	const char *slash;
	char dir[4096];
	struct statvfs vfs;

	if (file == NULL || *file == '\0')
		return PTL_OK;
	slash = strrchr(file, '/');
	(void)snprintf(dir, sizeof(dir), "%.*s",
		       slash != NULL && slash != file ? (int)(slash - file) : 1,
		       slash != NULL ? file : ".");
	if (statvfs(dir, &vfs) == 0 && vfs.f_bavail * vfs.f_frsize <
					   (unsigned long long)PTL_DB_FREE_MIN)
		return PTL_ERR_DB_FULL;
	if (sqlite3_db_readonly(db->h, "main") == 1 || !files_writable(file) ||
	    access(dir, W_OK) != 0)
		return PTL_ERR_DB_READONLY;
	return PTL_OK;
}

/* Runs every migration above version from, and sets user_version, inside
 * the open transaction. OUT n: how many ran. */
static enum ptl_err
apply_from(struct ptl_db *db, unsigned from, unsigned *n)
{
	unsigned i;

	for (i = 0; i < ptl_migrations_len; i++) {
		const struct ptl_migration *m = &ptl_migrations[i];
		char pragma[64];
		enum ptl_err e;

		if (m->version <= from)
			continue;
		(void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %u",
			       m->version);
		e = exec_sql(db, m->sql);
		if (e == PTL_OK)
			e = exec_sql(db, pragma);
		if (e != PTL_OK) {
			PTL_LOG_ERR("migration %s failed", m->name);
			return e;
		}
		(*n)++;
	}
	return PTL_OK;
}

enum ptl_err
ptl_db_migrate(struct ptl_db *db, unsigned *applied)
{
	if (db->pg != NULL)
		return ptl_pg_migrate(db->pg, applied);
	unsigned from, n = 0;
	enum ptl_err e;

	if (applied != NULL)
		*applied = 0;
	/* The common case, without taking the write lock. */
	if (ptl_db_version(db) >= ptl_db_known_version())
		return PTL_OK;
	/* The version is read again inside the write lock: another process
	 * may have migrated meanwhile. The backup and every migration are one
	 * step under that lock, so that of the workers that start together
	 * after an upgrade one backs up and migrates, and the others find the
	 * work done. */
	e = ptl_db_begin(db);
	if (e != PTL_OK)
		return e;
	from = ptl_db_version(db);
	if (from >= ptl_db_known_version()) {
		ptl_db_rollback(db);
		return PTL_OK;
	}
	if (from > 0 && db->backup_on_migrate)
		e = backup_before_migrating(db, from);
	if (e == PTL_OK)
		e = apply_from(db, from, &n);
	e = ptl_db_end(db, e);
	if (e != PTL_OK)
		return e;
	if (from == 0)
		PTL_LOG_INFO("database created at schema version %u",
			     ptl_db_known_version());
	else
		PTL_LOG_INFO("database migrated from schema version %u to %u "
			     "(%u migration(s))", from, ptl_db_known_version(),
			     n);
	if (applied != NULL)
		*applied = n;
	return PTL_OK;
}

/* Statements are prepared on first use and kept for the life of the
 * process: a FastCGI worker prepares each once, and a CGI process (one
 * request) prepares only the few it runs. */
static enum ptl_err
prepare(struct ptl_db *db, enum ptl_q q)
{
	const char *text = ptl_db_sql[q].sql;
	int rc = sqlite3_prepare_v3(db->h, text, -1, SQLITE_PREPARE_PERSISTENT,
				    &db->stmts[q], NULL);

	return rc == SQLITE_OK ? PTL_OK : map_rc(db->h, rc, text);
}

/* Logs the first column of statement q that differs from its declared
 * name: got or want is NULL past the end of its list. */
static void
report(enum ptl_q q, unsigned i, const char *got, const char *want)
{
	const char *name = ptl_db_sql[q].name;

	if (got == NULL)
		PTL_LOG_ERR("statement PTL_Q_%s: declared column %u \"%s\" is "
			    "not in its result", name, i, want);
	else if (want == NULL)
		PTL_LOG_ERR("statement PTL_Q_%s: column %u \"%s\" is not "
			    "declared", name, i, got);
	else
		PTL_LOG_ERR("statement PTL_Q_%s: column %u is \"%s\", "
			    "declared \"%s\"", name, i, got, want);
}

enum ptl_err
ptl_db_check_columns(struct ptl_db *db, enum ptl_q q,
		     const char *const *names, unsigned n)
{
	if (db->pg != NULL)
		return ptl_pg_check_columns(db->pg, q, names, n);
	sqlite3_stmt *st;
	unsigned i, count;

	PTL_ASSERT((unsigned)q < PTL_Q__MAX);
	if (db->stmts[q] == NULL && prepare(db, q) != PTL_OK)
		return PTL_ERR_INTERNAL;
	st = db->stmts[q];
	count = (unsigned)sqlite3_column_count(st);
	for (i = 0; i < n || i < count; i++) {
		const char *got = NULL, *want = i < n ? names[i] : NULL;

		if (i < count) {
			got = sqlite3_column_name(st, (int)i);
			if (got == NULL)
				ptl_mem_oom();
		}
		if (got == NULL || want == NULL || strcmp(got, want) != 0) {
			report(q, i, got, want);
			return PTL_ERR_INTERNAL;
		}
	}
	return PTL_OK;
}

enum ptl_err
ptl_db_prepare_all(struct ptl_db *db)
{
	int i;

	for (i = 0; i < PTL_Q__MAX; i++) {
		const struct ptl_db_sql *s = &ptl_db_sql[i];

		if (ptl_db_check_columns(db, (enum ptl_q)i, s->cols,
					 s->ncols) != PTL_OK)
			return PTL_ERR_INTERNAL;
	}
	return PTL_OK;
}

/* ---- the write queue (SQLite) ------------------------------------------ */

/*
 * SQLite lets one connection write at a time across all processes, and a
 * connection that finds the write lock taken is not woken when it frees:
 * its fcntl(2) lock fails and the busy handler above yields or sleeps and
 * tries again, so under a steady load of writes from two workers the
 * waiter sleeps while the lock is free, and the two run at the rate of
 * one (BENCHMARKS.md, "Refresh with two workers"). So every write of this
 * process (a write transaction from BEGIN IMMEDIATE to its COMMIT or
 * ROLLBACK, an autocommit write statement from its first step to its
 * end) first takes an exclusive flock(2) on a side file beside the
 * database, <database>-wlock: the waiters queue in the kernel, the next
 * one is woken the moment the holder lets go, and the kernel lets go for
 * a holder that dies (SIGKILL too). SQLite's own locks still decide: a
 * writer without the side lock (the sqlite3 shell, another program) is
 * excluded by them as before, and a side lock not had within the busy
 * timeout is given up on (the write then waits on SQLite alone).
 * Handles of one process on one file share one descriptor (flock(2)
 * locks belong to the open file, so two of them would exclude each other
 * forever instead of for the busy timeout): a write of one while another
 * writes waits on SQLite's locks, as before.
 */
/* A measuring switch of the environment (BENCHMARKS.md): PTL_DB_STATS,
 * PTL_DB_WRITE_QUEUE=0, PTL_DB_CHECKPOINT=commit (SQLite's automatic
 * checkpoint inside the commit, as before). */
static bool
getenv_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v != NULL && strcmp(v, value) == 0;
}

struct wq {
	struct wq *next;
	dev_t dev;
	ino_t ino;
	int fd;          /* -1: no side lock (PTL_DB_WRITE_QUEUE=0, or none) */
	pid_t pid;       /* the process that opened fd (not a forked child) */
	unsigned refs;   /* handles of this process on the file */
	unsigned depth;  /* of those, how many are in a write */
	bool locked;     /* the flock is held */
	int64_t wait_from_us, held_from_us;
	int64_t pages_from;
};

/* What PTL_DB_STATS=<folder> collects; written to <folder>/dbstats.<pid>
 * when the handle closes (a measuring switch, not a setting). */
struct db_stats {
	char path[4096];
	uint64_t writes, timeouts, queued;
	int64_t wait_us, wait_max_us, hold_us, hold_max_us, pages;
	uint64_t busy_calls, busy_sleeps;
	int64_t busy_us, busy_last_us;
};

static struct wq *wqs;
static struct ptl_db *open_dbs; /* the writable handles, for ptl_db_step */

static struct ptl_db *
db_of(sqlite3 *h)
{
	struct ptl_db *db;

	for (db = open_dbs; db != NULL; db = db->next_open)
		if (db->h == h)
			return db;
	return NULL;
}

/* Opens (creating) the side file of path: mode and, as root, owner of
 * the database, as SQLite does for -wal and -shm, so that the workers of
 * the web server can open a file the admin tool made first. -1 when it
 * cannot be had: the writes then wait on SQLite alone. */
static int
wq_file(const char *path, struct stat *sb)
{
	char name[4096 + 8];
	struct stat db_sb;
	int fd;

	if (stat(path, &db_sb) != 0 ||
	    snprintf(name, sizeof(name), "%s-wlock", path) >= (int)sizeof(name))
		return -1;
	fd = open(name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  db_sb.st_mode & 0666);
	if (fd < 0) {
		PTL_LOG_INFO("database %s: no write queue (%s: %s); writers "
			     "wait on SQLite's locks alone", path, name,
			     strerror(errno));
		return -1;
	}
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		(void)close(fd);
		return -1;
	}
	if (geteuid() == 0 && sb->st_uid != db_sb.st_uid &&
	    fchown(fd, db_sb.st_uid, db_sb.st_gid) != 0)
		PTL_LOG_INFO("database %s: cannot give %s its owner: %s", path,
			     name, strerror(errno));
	return fd;
}

static void
stats_open(struct ptl_db *db)
{
	const char *dir = getenv("PTL_DB_STATS");

	if (dir == NULL || *dir == '\0')
		return;
	db->stats = ptl_mem_xmalloc(sizeof(*db->stats));
	memset(db->stats, 0, sizeof(*db->stats));
	if (snprintf(db->stats->path, sizeof(db->stats->path), "%s/dbstats.%ld",
		     dir, (long)getpid()) >= (int)sizeof(db->stats->path))
		db->stats->path[0] = '\0';
}

static void
stats_write(struct ptl_db *db)
{
	struct db_stats *s = db->stats;
	FILE *f;

	if (s == NULL || s->path[0] == '\0')
		return;
	f = fopen(s->path, "a");
	if (f != NULL) {
		uint64_t n = s->writes > 0 ? s->writes : 1;

		(void)fprintf(f,
			      "pid=%ld queue=%s writes=%llu queued=%llu "
			      "timeouts=%llu wait_us_mean=%.1f wait_us_max=%lld "
			      "hold_us_mean=%.1f hold_us_max=%lld "
			      "pages_per_write=%.2f busy_calls=%llu "
			      "busy_sleeps=%llu busy_us=%lld\n",
			      (long)getpid(),
			      db->wq != NULL && db->wq->fd >= 0 ? "flock" : "off",
			      (unsigned long long)s->writes,
			      (unsigned long long)s->queued,
			      (unsigned long long)s->timeouts,
			      (double)s->wait_us / (double)n,
			      (long long)s->wait_max_us,
			      (double)s->hold_us / (double)n,
			      (long long)s->hold_max_us,
			      (double)s->pages / (double)n,
			      (unsigned long long)s->busy_calls,
			      (unsigned long long)s->busy_sleeps,
			      (long long)s->busy_us);
		(void)fclose(f);
	}
	free(s);
	db->stats = NULL;
}

/* A call of the busy handler: how long the waits on SQLite's locks
 * took, from one call to the next. */
static void
stats_busy(struct db_stats *s, int count, int64_t now_us)
{
	s->busy_calls++;
	if (count > 0)
		s->busy_us += now_us - s->busy_last_us;
	s->busy_last_us = now_us;
}

static void
wq_attach(struct ptl_db *db, const char *path)
{
	struct stat sb;
	struct wq *q;
	int fd = -1;

	stats_open(db);
	db->next_open = open_dbs;
	open_dbs = db;
	if (!getenv_is("PTL_DB_WRITE_QUEUE", "0"))
		fd = wq_file(path, &sb);
	if (fd >= 0) {
		for (q = wqs; q != NULL; q = q->next)
			if (q->fd >= 0 && q->dev == sb.st_dev &&
			    q->ino == sb.st_ino && q->pid == getpid())
				break;
		if (q != NULL) {
			(void)close(fd);
			q->refs++;
			db->wq = q;
			return;
		}
	}
	q = ptl_mem_xmalloc(sizeof(*q));
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->pid = getpid();
	q->refs = 1;
	if (fd >= 0) {
		q->dev = sb.st_dev;
		q->ino = sb.st_ino;
	}
	q->next = wqs;
	wqs = q;
	db->wq = q;
}

static void
wq_detach(struct ptl_db *db)
{
	struct ptl_db **p;
	struct wq **w;

	stats_write(db);
	for (p = &open_dbs; *p != NULL; p = &(*p)->next_open)
		if (*p == db) {
			*p = db->next_open;
			break;
		}
	if (db->wq == NULL || --db->wq->refs > 0)
		return;
	for (w = &wqs; *w != NULL; w = &(*w)->next)
		if (*w == db->wq) {
			*w = db->wq->next;
			break;
		}
	if (db->wq->fd >= 0)
		(void)close(db->wq->fd); /* lets go of a lock still held */
	free(db->wq);
	db->wq = NULL;
}

static void
on_alarm(int sig)
{
	(void)sig; /* only interrupts the flock(2) below */
}

/* The blocking flock(2), given up after timeout_ms: a timer interrupts
 * it (SIGALRM, its handler installed for the wait only, without
 * SA_RESTART). */
static bool
flock_within(int fd, int timeout_ms)
{
	struct sigaction sa, old;
	struct itimerval t, none;
	int64_t until = ptl_clock_mono_us() + (int64_t)timeout_ms * 1000;
	bool got = false;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	(void)sigemptyset(&sa.sa_mask);
	memset(&none, 0, sizeof(none));
	if (sigaction(SIGALRM, &sa, &old) != 0)
		return false;
	for (;;) {
		int64_t left = until - ptl_clock_mono_us();

		if (left <= 0)
			break;
		memset(&t, 0, sizeof(t));
		t.it_value.tv_sec = (time_t)(left / 1000000);
		t.it_value.tv_usec = (suseconds_t)(left % 1000000);
		(void)setitimer(ITIMER_REAL, &t, NULL);
		if (flock(fd, LOCK_EX) == 0) {
			got = true;
			break;
		}
		if (errno != EINTR)
			break;
	}
	(void)setitimer(ITIMER_REAL, &none, NULL);
	(void)sigaction(SIGALRM, &old, NULL);
	return got;
}

/* A write of db begins: the side lock, unless a write of this process
 * holds it already. */
static void
wq_enter(struct ptl_db *db)
{
	struct wq *q = db->wq;
	int cur = 0, hi = 0;
	int64_t now;

	if (q == NULL || q->depth++ > 0)
		return;
	q->wait_from_us = ptl_clock_mono_us();
	q->locked = false;
	if (q->fd >= 0) {
		q->locked = flock(q->fd, LOCK_EX | LOCK_NB) == 0;
		if (!q->locked && db->stats != NULL)
			db->stats->queued++;
		if (!q->locked && errno == EWOULDBLOCK)
			q->locked = flock_within(q->fd, db->busy_timeout_ms);
		if (!q->locked && db->stats != NULL)
			db->stats->timeouts++;
	}
	if (db->stats == NULL)
		return;
	now = ptl_clock_mono_us();
	q->held_from_us = now;
	db->stats->wait_us += now - q->wait_from_us;
	if (now - q->wait_from_us > db->stats->wait_max_us)
		db->stats->wait_max_us = now - q->wait_from_us;
	(void)sqlite3_db_status(db->h, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi,
				0);
	q->pages_from = cur;
}

/* The write of db that wq_enter() began has ended. */
static void
wq_leave(struct ptl_db *db)
{
	struct wq *q = db->wq;
	int cur = 0, hi = 0;
	int64_t held;

	if (q == NULL || q->depth == 0 || --q->depth > 0)
		return;
	if (q->locked)
		(void)flock(q->fd, LOCK_UN);
	q->locked = false;
	if (db->stats == NULL)
		return;
	held = ptl_clock_mono_us() - q->held_from_us;
	db->stats->writes++;
	db->stats->hold_us += held;
	if (held > db->stats->hold_max_us)
		db->stats->hold_max_us = held;
	(void)sqlite3_db_status(db->h, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi,
				0);
	db->stats->pages += cur - q->pages_from;
}

bool
ptl_db_queued(const struct ptl_db *db)
{
	return db->wq != NULL && db->wq->fd >= 0;
}

/* Before the step of st: an autocommit write statement's first step
 * begins a write. */
static void
wq_step_begin(sqlite3_stmt *st)
{
	sqlite3 *h = sqlite3_db_handle(st);
	struct ptl_db *db;

	if (sqlite3_stmt_readonly(st) || sqlite3_stmt_busy(st) ||
	    !sqlite3_get_autocommit(h))
		return;
	db = db_of(h);
	if (db == NULL || db->wq == NULL || db->wq_stmt != NULL)
		return;
	db->wq_stmt = st;
	wq_enter(db);
}

/* After a step of st that did not return a row, or at its reset: an
 * autocommit write has committed (or failed) by then. */
static void
wq_step_end(sqlite3_stmt *st)
{
	struct ptl_db *db;

	for (db = open_dbs; db != NULL; db = db->next_open)
		if (db->wq_stmt == st) {
			db->wq_stmt = NULL;
			wq_leave(db);
			return;
		}
}

/* The statements of ptl_db_begin, _commit and _rollback, prepared once
 * rather than parsed by sqlite3_exec() for every transaction. */
enum tx_word { TX_BEGIN, TX_COMMIT, TX_ROLLBACK };

static int
exec_tx(struct ptl_db *db, enum tx_word w)
{
	static const char *const text[] = {"BEGIN IMMEDIATE", "COMMIT",
					   "ROLLBACK"};
	sqlite3_stmt **st = &db->tx_stmts[w];
	int rc;

	if (*st == NULL) {
		rc = sqlite3_prepare_v3(db->h, text[w], -1,
					SQLITE_PREPARE_PERSISTENT, st, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	rc = sqlite3_step(*st);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	else
		rc = sqlite3_extended_errcode(db->h);
	(void)sqlite3_reset(*st);
	return rc;
}

/*
 * The WAL is checkpointed after the answer went out (ptl_db_maintain), not
 * inside the commit that passes 1000 frames as SQLite's automatic
 * checkpoint does: that one runs while the writer still holds the write
 * queue, and its two fdatasync(2) calls made every writer wait. A process
 * that never calls ptl_db_maintain (the admin tool) checkpoints in the
 * commit as before, once the WAL is four times past the mark.
 */
#define WAL_CHECKPOINT_FRAMES 1000

static int
wal_hook(void *ctx, sqlite3 *h, const char *name, int frames)
{
	struct ptl_db *db = ctx;

	db->wal_frames = frames;
	if (frames >= 4 * WAL_CHECKPOINT_FRAMES) {
		(void)sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE,
						NULL, NULL);
		db->wal_frames = 0;
	}
	return SQLITE_OK;
}

static void
checkpoint_due(struct ptl_db *db)
{
	if (db->wal_frames < WAL_CHECKPOINT_FRAMES)
		return;
	db->wal_frames = 0;
	(void)sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE,
					NULL, NULL);
}

/* SQLite's default busy handler sleeps 1, 2, 5, 10 ... ms between tries:
 * far longer than a write transaction here lasts (tens of microseconds),
 * so under contention workers slept while the lock was free. Retry
 * quickly at first, then back off, until the busy timeout. */
static int
busy_wait(void *ctx, int count)
{
	struct ptl_db *db = ctx;
	struct timespec pause;
	int64_t now_us = ptl_clock_mono_us(), waited_us;

	if (count == 0)
		db->busy_since_us = now_us;
	waited_us = now_us - db->busy_since_us;
	if (db->stats != NULL)
		stats_busy(db->stats, count, now_us);
	if (waited_us >= (int64_t)db->busy_timeout_ms * 1000)
		return 0;
	/* First give the CPU to the holder (likely runnable on this core),
	 * then sleep a little, then more. */
	if (count < 20) {
		(void)sched_yield();
		return 1;
	}
	pause.tv_sec = 0;
	pause.tv_nsec = count < 200 ? 50000 : 1000000;
	if (db->stats != NULL)
		db->stats->busy_sleeps++;
	(void)nanosleep(&pause, NULL);
	return 1;
}

/* Switching a new file to WAL takes an exclusive lock without calling the
 * busy handler: when several workers open a new database at once, some get
 * SQLITE_BUSY at once. Retry for up to the busy timeout. */
static enum ptl_err
set_wal(struct ptl_db *db, int busy_timeout_ms)
{
	int waited = 0;

	for (;;) {
		int rc = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL,
				      NULL, NULL);

		if (rc == SQLITE_OK)
			return PTL_OK;
		if ((rc & 0xff) != SQLITE_BUSY || waited >= busy_timeout_ms)
			return map_rc(db->h, rc, "PRAGMA journal_mode = WAL");
		sqlite3_sleep(10);
		waited += 10;
	}
}

/* Whether a -wal or -shm is at path without the database: it was moved
 * away or deleted while in use (its processes keep those files). */
static bool
orphaned_companions(const char *path)
{
	char name[4096 + 8];

	return (snprintf(name, sizeof(name), "%s-wal", path) <
			(int)sizeof(name) &&
		access(name, F_OK) == 0) ||
	       (snprintf(name, sizeof(name), "%s-shm", path) <
			(int)sizeof(name) &&
		access(name, F_OK) == 0);
}

/* The folder of path, checked before SQLite is asked to open it, so that
 * the message says what is wrong rather than "unable to open database
 * file". Creates path, mode 0600, when it does not exist, unless its -wal
 * or -shm is there: a new, empty database must not take the place of one
 * moved away under the running server. */
static enum ptl_err
prepare_file(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat sb;

	if (stat(path, &sb) == 0)
		return PTL_OK;
	if (orphaned_companions(path)) {
		PTL_LOG_ERR("database %s does not exist, but its -wal or -shm "
			    "does: it was moved away or deleted while in use; "
			    "not creating a new one (put it back, or restore "
			    "it: README \"Backup and restore\")",
			    path);
		return PTL_ERR_DB_REPLACED;
	}
	if (slash == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		(void)snprintf(dir, sizeof(dir), "/");
	else
		(void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
			       path);
	if (stat(dir, &sb) != 0) {
		PTL_LOG_ERR("database %s: its folder %s %s (create it, mode "
			    "0700, or set DATABASE_PATH)", path, dir,
			    errno == ENOENT ? "does not exist"
					    : strerror(errno));
		return PTL_ERR_UNAVAILABLE;
	}
	if (!S_ISDIR(sb.st_mode)) {
		PTL_LOG_ERR("database %s: %s is not a folder", path, dir);
		return PTL_ERR_UNAVAILABLE;
	}
	if (!create_private(path) && errno != EEXIST) {
		PTL_LOG_ERR("database %s: cannot create it in %s: %s", path,
			    dir, strerror(errno));
		return PTL_ERR_UNAVAILABLE;
	}
	return PTL_OK;
}

/* A database written by a newer authportal is left alone: this program
 * does not know its tables, and running the old statements on it could
 * damage it. */
static enum ptl_err
check_not_newer(struct ptl_db *db, const char *path)
{
	unsigned v = ptl_db_version(db);

	if (v <= ptl_db_known_version())
		return PTL_OK;
	PTL_LOG_ERR("database %s has schema version %u, newer than this "
		    "program knows (%u): refusing to use it; run the "
		    "authportal that migrated it, or restore the backup taken "
		    "before",
		    path, v, ptl_db_known_version());
	return PTL_ERR_DB_NEWER;
}

enum ptl_err
ptl_db_open_with(const char *path, const struct ptl_db_opts *opts,
		 struct ptl_db **out)
{
	if (ptl_pg_selects(path))
		return open_pg(path, opts, false, out);
	struct ptl_db *db;
	enum ptl_err e;
	int rc;

	*out = NULL;
	if (opts->no_create && access(path, F_OK) != 0)
		return PTL_ERR_DB_REPLACED;
	e = prepare_file(path);
	if (e != PTL_OK)
		return e;
	db = ptl_mem_xmalloc(sizeof(*db));
	memset(db, 0, sizeof(*db));
	rc = sqlite3_open_v2(path, &db->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		PTL_LOG_ERR("sqlite: cannot open %s: %s", path,
			    db->h != NULL ? sqlite3_errmsg(db->h) : "out of memory");
		ptl_db_close(db);
		return PTL_ERR_UNAVAILABLE;
	}
	db->busy_timeout_ms = opts->busy_timeout_ms;
	db->backup_on_migrate = opts->backup_on_migrate;
	sqlite3_busy_handler(db->h, busy_wait, db);
	wq_attach(db, path);
	if (!getenv_is("PTL_DB_CHECKPOINT", "commit"))
		(void)sqlite3_wal_hook(db->h, wal_hook, db);
	sqlite3_extended_result_codes(db->h, 1);
	e = check_not_newer(db, path);
	if (e == PTL_OK)
		e = set_wal(db, opts->busy_timeout_ms);
	if (e == PTL_OK)
		e = exec_sql(db, "PRAGMA synchronous = NORMAL; "
				 "PRAGMA foreign_keys = ON; "
				 "PRAGMA trusted_schema = OFF; "
				 /* A small private cache: the OS page cache
				  * holds the file for every worker. (mmap_size
				  * was measured: it costs an mmap, munmap and
				  * fstat per request here.) */
				 "PRAGMA cache_size = -512;");
	if (e == PTL_OK)
		e = ptl_db_migrate(db, NULL);
	if (e != PTL_OK) {
		ptl_db_close(db);
		/* A fault of the machine is named (health says which);
		 * anything else is "unavailable". */
		return ptl_err_info(e)->status == 503 ? e : PTL_ERR_UNAVAILABLE;
	}
	*out = db;
	return PTL_OK;
}

enum ptl_err
ptl_db_open(const char *path, int busy_timeout_ms, struct ptl_db **out)
{
	const struct ptl_db_opts opts = {
		.busy_timeout_ms = busy_timeout_ms,
		.backup_on_migrate = true,
	};

	return ptl_db_open_with(path, &opts, out);
}

/* path as a file: URI (RFC 8089 with SQLite's query parameters): every
 * byte but unreserved ones and '/' percent-encoded. */
static bool
file_uri(char *out, size_t size, const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0, i;

	if (size < 8)
		return false;
	memcpy(out, "file:", 5);
	n = 5;
	for (i = 0; path[i] != '\0'; i++) {
		unsigned char c = (unsigned char)path[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '/' || c == '-' ||
			     c == '.' || c == '_' || c == '~';

		if (n + 4 >= size)
			return false;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	return snprintf(out + n, size - n, "?%s", query) < (int)(size - n);
}

enum ptl_err
ptl_db_open_readonly(const char *path, int busy_timeout_ms,
		     struct ptl_db **out)
{
	if (ptl_pg_selects(path)) {
		const struct ptl_db_opts opts = {.busy_timeout_ms =
						     busy_timeout_ms};

		return open_pg(path, &opts, true, out);
	}
	char uri[3 * 4096 + 64], wal[4096 + 8];
	struct ptl_db *db;
	int rc;

	*out = NULL;
	(void)snprintf(wal, sizeof(wal), "%s-wal", path);
	/* Without a -wal file the main file holds every commit, and
	 * immutable=1 reads it without the -shm and -wal files a read-only
	 * WAL connection would otherwise create. */
	if (!file_uri(uri, sizeof(uri), path,
		      access(wal, F_OK) == 0 ? "mode=ro"
					     : "mode=ro&immutable=1")) {
		PTL_LOG_ERR("database %s: path too long", path);
		return PTL_ERR_INTERNAL;
	}
	db = ptl_mem_xmalloc(sizeof(*db));
	memset(db, 0, sizeof(*db));
	rc = sqlite3_open_v2(uri, &db->h,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		PTL_LOG_ERR("sqlite: cannot open %s to read it: %s", path,
			    db->h != NULL ? sqlite3_errmsg(db->h)
					  : "out of memory");
		ptl_db_close(db);
		return PTL_ERR_UNAVAILABLE;
	}
	db->busy_timeout_ms = busy_timeout_ms;
	sqlite3_busy_handler(db->h, busy_wait, db);
	sqlite3_extended_result_codes(db->h, 1);
	if (exec_sql(db, "SELECT count(*) FROM sqlite_master") != PTL_OK) {
		ptl_db_close(db);
		return PTL_ERR_UNAVAILABLE;
	}
	*out = db;
	return PTL_OK;
}

void
ptl_db_close(struct ptl_db *db)
{
	if (db != NULL && db->pg != NULL) {
		ptl_pg_close(db->pg);
		free(db);
		return;
	}
	int i;

	if (db == NULL)
		return;
	wq_detach(db);
	for (i = 0; i < PTL_Q__MAX; i++)
		sqlite3_finalize(db->stmts[i]);
	for (i = 0; i < (int)LEN(db->tx_stmts); i++)
		sqlite3_finalize(db->tx_stmts[i]);
	sqlite3_close(db->h);
	free(db);
}

struct ptl_stmt *
ptl_db_q(struct ptl_db *db, enum ptl_q q)
{
	if (db->pg != NULL)
		return ptl_pg_q(db->pg, q);
	sqlite3_stmt *st;

	PTL_ASSERT((unsigned)q < PTL_Q__MAX);
	/* The SQL is fixed and the schema migrated: a failure here is a bug. */
	if (db->stmts[q] == NULL)
		PTL_ASSERT(prepare(db, q) == PTL_OK);
	st = db->stmts[q];
	if (db->wq_stmt == st)
		wq_step_end(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	db->handles[q].h = st;
	return &db->handles[q];
}

static void
check_bind(struct ptl_stmt *st, int rc)
{
	/* Only a programming error (bad index) or OOM can fail a bind. */
	if (rc == SQLITE_NOMEM)
		ptl_mem_oom();
	(void)st;
	PTL_ASSERT(rc == SQLITE_OK);
}

void
ptl_db_bind_int(struct ptl_stmt *st, int i, int64_t v)
{
	if (st->pg) {
		ptl_pg_bind_int(st, i, v);
		return;
	}
	check_bind(st, sqlite3_bind_int64(ST(st), i, v));
}

void
ptl_db_bind_text(struct ptl_stmt *st, int i, const char *s, size_t len)
{
	if (st->pg) {
		ptl_pg_bind(st, i, s, len, false);
		return;
	}
	check_bind(st, sqlite3_bind_text64(ST(st), i, s, len, SQLITE_TRANSIENT,
					   SQLITE_UTF8));
}

void
ptl_db_bind_textz(struct ptl_stmt *st, int i, const char *s)
{
	if (s == NULL)
		ptl_db_bind_null(st, i);
	else
		ptl_db_bind_text(st, i, s, strlen(s));
}

void
ptl_db_bind_blob(struct ptl_stmt *st, int i, const void *p, size_t len)
{
	if (st->pg) {
		ptl_pg_bind(st, i, p, len, true); /* NULL binds NULL */
		return;
	}
	check_bind(st, sqlite3_bind_blob64(ST(st), i, p, len, SQLITE_TRANSIENT));
}

void
ptl_db_bind_null(struct ptl_stmt *st, int i)
{
	if (st->pg) {
		ptl_pg_bind(st, i, NULL, 0, false);
		return;
	}
	check_bind(st, sqlite3_bind_null(ST(st), i));
}

enum ptl_err
ptl_db_step(struct ptl_stmt *st, bool *row)
{
	int rc;

	if (st->pg)
		return ptl_pg_step(st, row);
	wq_step_begin(ST(st));
	rc = sqlite3_step(ST(st));
	*row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && sqlite3_get_autocommit(sqlite3_db_handle(ST(st))))
		wq_step_end(ST(st));
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return PTL_OK;
	rc = sqlite3_extended_errcode(sqlite3_db_handle(ST(st)));
	{
		enum ptl_err e = map_rc(sqlite3_db_handle(ST(st)), rc,
					sqlite3_sql(ST(st)));

		sqlite3_reset(ST(st));
		return e;
	}
}

enum ptl_err
ptl_db_exec(struct ptl_stmt *st)
{
	bool row;
	enum ptl_err e = ptl_db_step(st, &row);

	if (st->pg) {
		ptl_pg_done(st);
		return e;
	}
	sqlite3_reset(ST(st));
	wq_step_end(ST(st));
	return e;
}

int64_t
ptl_db_int(struct ptl_stmt *st, int col)
{
	if (st->pg)
		return ptl_pg_int(st, col);
	return sqlite3_column_int64(ST(st), col);
}

bool
ptl_db_is_null(struct ptl_stmt *st, int col)
{
	if (st->pg)
		return ptl_pg_is_null(st, col);
	return sqlite3_column_type(ST(st), col) == SQLITE_NULL;
}

const char *
ptl_db_text(struct ptl_stmt *st, int col)
{
	if (st->pg)
		return ptl_pg_text(st, col);
	return (const char *)sqlite3_column_text(ST(st), col);
}

const void *
ptl_db_blob(struct ptl_stmt *st, int col, size_t *len)
{
	const void *p;

	if (st->pg)
		return ptl_pg_blob(st, col, len);
	p = sqlite3_column_blob(ST(st), col);

	*len = (size_t)sqlite3_column_bytes(ST(st), col);
	return p;
}

void
ptl_db_done(struct ptl_stmt *st)
{
	if (st->pg) {
		ptl_pg_done(st);
		return;
	}
	sqlite3_reset(ST(st));
	wq_step_end(ST(st));
}

#define MAINTAIN_EVERY 500
#define WAL_TRUNCATE_BYTES ((off_t)256 << 20) /* a safety net */

void
ptl_db_maintain(struct ptl_db *db)
{
	if (db->pg != NULL)
		return; /* the server does its own (autovacuum) */
	const char *wal;
	struct stat sb;
	int log = 0, done = 0;

	checkpoint_due(db);
	if (++db->calls % MAINTAIN_EVERY != 0)
		return;
	wal = sqlite3_filename_wal(sqlite3_db_filename(db->h, "main"));
	if (wal == NULL || stat(wal, &sb) != 0 || sb.st_size < WAL_TRUNCATE_BYTES)
		return;
	/* Waits (busy handler) for readers of the old frames, then lets the
	 * next writer start the WAL from the beginning. */
	if (sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE,
				      &log, &done) != SQLITE_OK)
		PTL_LOG_INFO("WAL of %d frames not truncated this time: %s", log,
			     sqlite3_errmsg(db->h));
}

int64_t
ptl_db_changes(struct ptl_db *db)
{
	if (db->pg != NULL)
		return ptl_pg_changes(db->pg);
	return sqlite3_changes64(db->h);
}

int64_t
ptl_db_last_id(struct ptl_db *db)
{
	if (db->pg != NULL)
		return ptl_pg_last_id(db->pg);
	return sqlite3_last_insert_rowid(db->h);
}

enum ptl_err
ptl_db_begin(struct ptl_db *db)
{
	enum ptl_err e;
	int rc;

	if (db->pg != NULL)
		return ptl_pg_begin(db->pg);

	wq_enter(db);
	rc = exec_tx(db, TX_BEGIN);
	e = rc == SQLITE_OK ? PTL_OK : map_rc(db->h, rc, "BEGIN IMMEDIATE");
	db->in_tx = e == PTL_OK;
	if (e != PTL_OK)
		wq_leave(db);
	return e;
}

enum ptl_err
ptl_db_commit(struct ptl_db *db)
{
	int rc;
	enum ptl_err e;

	if (db->pg != NULL)
		return ptl_pg_commit(db->pg);
	rc = exec_tx(db, TX_COMMIT);
	e = rc == SQLITE_OK ? PTL_OK : map_rc(db->h, rc, "COMMIT");

	if (e == PTL_OK)
		last_fault = PTL_OK; /* writes work again (health) */
	if (e != PTL_OK)
		ptl_db_rollback(db);
	else if (db->in_tx)
		wq_leave(db);
	db->in_tx = false;
	return e;
}

enum ptl_err
ptl_db_begin_rows(struct ptl_db *db)
{
	if (db->pg != NULL)
		return ptl_pg_begin_rows(db->pg);
	return ptl_db_begin(db);
}

enum ptl_err
ptl_db_end(struct ptl_db *db, enum ptl_err e)
{
	if (e != PTL_OK) {
		ptl_db_rollback(db);
		return e;
	}
	return ptl_db_commit(db);
}

void
ptl_db_rollback(struct ptl_db *db)
{
	if (db->pg != NULL) {
		ptl_pg_rollback(db->pg);
		return;
	}
	if (!sqlite3_get_autocommit(db->h))
		(void)exec_tx(db, TX_ROLLBACK);
	if (db->in_tx)
		wq_leave(db);
	db->in_tx = false;
}
