/* SPDX-License-Identifier: ISC */
/*
 * db_pg: the PostgreSQL engine (db_pg.h), through libpq.
 *
 * One connection per process (a FastCGI worker), opened from DATABASE_URL.
 * Every statement of the table (db_sql.c) is prepared once on that
 * connection (PQprepare, on first use) and run with PQexecPrepared:
 * parameters go as text (integers in decimal) except blobs, sent binary;
 * results come back as text, bytea in its hex form, decoded by
 * ptl_pg_blob. A statement's SQLite text serves PostgreSQL too when the
 * table gives no PostgreSQL text (.pg), with each ?N rewritten $N.
 *
 * Connection loss: a connection the server ended while it was idle is
 * seen before the next statement is sent (ensure) and made again at once.
 * A statement whose connection breaks under it answers
 * PTL_ERR_UNAVAILABLE (it is never sent twice), and the connection is
 * dropped. The next statement connects again, but not more than once per
 * back-off interval (100 ms,
 * doubling to 5 s while the server stays away): meanwhile every statement
 * answers PTL_ERR_UNAVAILABLE at once, so a request never waits long for
 * a server that is down. Statements are prepared again on the new
 * connection. A transaction cut by the loss stays failed until it is
 * rolled back: nothing of it runs on the new connection.
 *
 * Transactions (ptl_pg_begin): SQLite's BEGIN IMMEDIATE lets one write
 * transaction run at a time, and the domain code relies on that for its
 * read-then-write checks. Here a transaction takes one advisory lock
 * (pg_advisory_xact_lock, held to its end) first, so that the write
 * transactions of every worker of every host run one at a time as well;
 * single statements outside a transaction take only PostgreSQL's row locks
 * and run side by side. Every wait is bounded: the session's lock_timeout
 * and statement_timeout come from the busy timeout
 * (DATABASE_BUSY_TIMEOUT_MS), and running out is PTL_ERR_BUSY: lock_timeout is the busy timeout, and
 * statement_timeout twice that (a statement that waits for no lock but
 * runs too long), so that a lock wait ends as lock_not_available.
 *
 * Why that keeps the domain code's guarantees (the ptl_db_begin sites of
 * lib/domain/: session create and rotate_locked, signup create and
 * confirm, me apply, password queue_reset and store_reset, admin
 * set_role and set_password, account end_user, social link, users create
 * and write_update, files record and drop, health probe): each reads and
 * then writes only under the lock, so no two of them interleave, on any
 * host, as under BEGIN IMMEDIATE. What can still run beside one is a
 * single statement in autocommit, and each of those is atomic on its own
 * rows under PostgreSQL's row locks, READ COMMITTED re-checking an
 * UPDATE's WHERE on the row's newest version after a wait:
 *  - the refresh compare-and-swap (SESSION_ROTATE, WHERE hash = old):
 *    of any number of them one changes the row; one beside rotate_locked
 *    either goes first (rotate_locked's read sees it, or its own CAS then
 *    matches nothing: PTL_ERR_UNAUTHORIZED) or after a reuse revocation
 *    (revoked_at IS NULL no longer holds). No token is handed out twice;
 *  - the rate counters (RATE_HIT, INSERT ... ON CONFLICT DO UPDATE): a
 *    row lock per key; a transaction's hit holds it to its end;
 *  - the outbox claim (FOR UPDATE SKIP LOCKED: pgsql's text), sent and
 *    retry marks: one row each; enqueueing (count, then insert) is
 *    always inside a transaction, so the count holds;
 *  - one-time OAuth states (DELETE ... RETURNING): the second DELETE of a
 *    row finds it gone after the first commits;
 *  - the login's re-hash of a password (USER_SET_PASSWORD, unconditional)
 *    can land between store_reset's read and its write: the reset's write
 *    comes last and wins; on SQLite the re-hash would have come before
 *    (the reset then refused as a used link) or after.
 * A transaction begun with ptl_pg_begin_rows (no advisory lock) counts as
 * such a single statement: it must rest on its own compare-and-swap.
 * Within a transaction a statement sees what such single statements
 * committed since the previous one (READ COMMITTED): the checks above
 * count rows that only transactions write (files of a user, mails of an
 * address, admins), or have a UNIQUE constraint behind them (an email
 * taken since the check: PTL_ERR_CONFLICT). A statement that fails inside
 * a transaction aborts it on PostgreSQL: the rest of it is refused with
 * the first failure, and ptl_pg_commit rolls back and returns it.
 *
 * libpq is not linked but loaded (dlopen) at the first PostgreSQL use, as
 * lib/adapters/smtp.c does libcurl: a worker on SQLite, the default and
 * the only engine of a shared host, never maps it and its two dozen
 * dependencies. libpq-fe.h still gives the types and the prototypes
 * each pointer of pq takes its type from (typeof).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "adapters/db.h"
#include "adapters/db_pg.h"
#include "adapters/db_sql.h"
#include "base/cfg.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/str.h"
#include "base/mem.h"

#ifndef PTL_PQ_SONAME
#define PTL_PQ_SONAME "libpq.so.5"
#endif

/* The libpq functions used here, reached as pq.NAME once loaded. */
#define PQ_FUNCS(X)                                                         \
	X(PQclear) X(PQcmdStatus) X(PQcmdTuples) X(PQconnectdbParams)       \
	X(PQconninfoFree) X(PQconninfoParse) X(PQconsumeInput)              \
	X(PQdescribePrepared) X(PQerrorMessage) X(PQexec) X(PQexecPrepared) \
	X(PQfinish) X(PQfname) X(PQftype) X(PQgetisnull) X(PQgetlength)     \
	X(PQgetvalue) X(PQnfields) X(PQnparams) X(PQntuples)                \
	X(PQparameterStatus) X(PQprepare) X(PQresultErrorField)             \
	X(PQresultErrorMessage) X(PQresultStatus) X(PQstatus)               \
	X(PQtransactionStatus)

static struct {
#define PQ_FIELD(name) __typeof__(name) *name;
	PQ_FUNCS(PQ_FIELD)
#undef PQ_FIELD
} pq;

/* Loads libpq on first call; false (logged once per process) when it
 * cannot: the caller answers as for an unreachable server. */
static bool
load_pq(void)
{
	static bool tried, loaded;
	const char *missing = NULL;
	void *h;

	if (tried)
		return loaded;
	tried = true;
	h = dlopen(PTL_PQ_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		PTL_LOG_ERR("postgresql: cannot load %s (Debian package "
			    "libpq5): %s", PTL_PQ_SONAME, dlerror());
		return false;
	}
	/* POSIX.1-2008, XSH dlsym RATIONALE: the conversion is dlsym's use. */
#define PQ_SYM(name)                                                        \
	*(void **)(&pq.name) = dlsym(h, #name);                             \
	if (pq.name == NULL && missing == NULL)                             \
		missing = #name;
	PQ_FUNCS(PQ_SYM)
#undef PQ_SYM
	if (missing != NULL) {
		PTL_LOG_ERR("postgresql: %s lacks %s (Debian package libpq5 "
			    "too old?)", PTL_PQ_SONAME, missing);
		return false;
	}
	loaded = true;
	return true;
}

/* The advisory lock of write transactions and migrations: (class, id) of
 * the two-key form, 'ptl\0' and 1. Any other program using this key on
 * the same database would wait for us, and we for it. */
#define TX_LOCK "pg_advisory_xact_lock(1886677760, 1)"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct pg_stmt {
	struct ptl_stmt base; /* first: a struct ptl_stmt * is this */
	struct ptl_pg *pg;
	enum ptl_q q;
	int nparams;    /* sent: the highest $N of the PostgreSQL text */
	int nslots;     /* bindable: nparams, or the SQLite text's if more */
	char **values;  /* malloc'd copies; NULL binds NULL */
	int *lengths;
	int *formats;
	PGresult *res;
	int row;        /* the current row of res */
	int nrows;
	int ncols;
	unsigned char **blobs; /* decoded bytea of the current row */
	size_t *blob_lens;
};

struct ptl_pg {
	PGconn *conn;
	char *conninfo; /* wiped and freed at close: it may hold a password */
	char where[256];
	int busy_timeout_ms;
	bool readonly;
	bool prepared[PTL_Q__MAX];
	char *text[PTL_Q__MAX];
	int nparams[PTL_Q__MAX];
	struct pg_stmt stmts[PTL_Q__MAX];
	int64_t changes;
	int64_t last_id;
	bool inserted;  /* an INSERT ran since last_id was read */
	bool in_tx;
	enum ptl_err tx_err; /* the first failure inside the transaction */
	int64_t retry_at_us;
	int backoff_ms;
	bool down;      /* lost, and said so in the log */
	bool versioned; /* schema_version was seen: it is never dropped */
};

#define PGST(s) ((struct pg_stmt *)(void *)(s))

/* ---- naming the database without its secrets ---------------------------- */

bool
ptl_pg_selects(const char *where)
{
	return ptl_cfg_is_pg_url(where);
}

void
ptl_pg_describe(const char *where, char *out, size_t size)
{
	PQconninfoOption *opts, *o;
	const char *db = NULL, *host = NULL, *port = NULL;

	if (!load_pq()) {
		(void)snprintf(out, size, "PostgreSQL database (%s not "
					  "loaded)", PTL_PQ_SONAME);
		return;
	}
	opts = pq.PQconninfoParse(where, NULL);
	if (opts == NULL) {
		(void)snprintf(out, size, "PostgreSQL database (unparsable "
					  "DATABASE_URL)");
		return;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "host") == 0 ||
			 (host == NULL && strcmp(o->keyword, "hostaddr") == 0))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
	}
	(void)snprintf(out, size, "PostgreSQL database %.100s on %.100s%s%.10s",
		       db != NULL ? db : "(default)",
		       host != NULL ? host : "(default host)",
		       port != NULL ? " port " : "", port != NULL ? port : "");
	pq.PQconninfoFree(opts);
}

/* ---- errors ------------------------------------------------------------- */

static bool
connection_lost(struct ptl_pg *pg)
{
	return pg->conn == NULL || pq.PQstatus(pg->conn) != CONNECTION_OK;
}

/* Drops a broken connection: the next statement connects again after the
 * back-off interval. */
static void
drop(struct ptl_pg *pg)
{
	int64_t now = ptl_clock_mono_us();

	if (pg->conn != NULL) {
		pq.PQfinish(pg->conn);
		pg->conn = NULL;
	}
	memset(pg->prepared, 0, sizeof(pg->prepared));
	pg->backoff_ms = pg->backoff_ms == 0 ? BACKOFF_MIN_MS
			 : pg->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							      : pg->backoff_ms * 2;
	pg->retry_at_us = now + (int64_t)pg->backoff_ms * 1000;
	if (pg->in_tx && pg->tx_err == PTL_OK)
		pg->tx_err = PTL_ERR_UNAVAILABLE;
}

/* The project's code for SQLSTATE state, or PTL_OK for "none of ours". */
static enum ptl_err
err_of_state(const char *state)
{
	static const struct {
		const char *state;
		enum ptl_err e;
	} map[] = {
	    {"23505", PTL_ERR_CONFLICT},    /* unique_violation */
	    {"40001", PTL_ERR_BUSY},        /* serialization_failure */
	    {"40P01", PTL_ERR_BUSY},        /* deadlock_detected */
	    {"55P03", PTL_ERR_BUSY},        /* lock_not_available */
	    {"57014", PTL_ERR_BUSY},        /* query_canceled: the timeout */
	    {"53100", PTL_ERR_DB_FULL},     /* disk_full */
	    {"25006", PTL_ERR_DB_READONLY}, /* read_only_sql_transaction */
	    {"57P01", PTL_ERR_UNAVAILABLE}, /* admin_shutdown */
	    {"57P02", PTL_ERR_UNAVAILABLE}, /* crash_shutdown */
	    {"57P03", PTL_ERR_UNAVAILABLE}, /* cannot_connect_now */
	    {"53300", PTL_ERR_UNAVAILABLE}, /* too_many_connections */
	    {"58030", PTL_ERR_DB_IO},       /* io_error */
	    {"XX001", PTL_ERR_DB_IO},       /* data_corrupted */
	    {"XX002", PTL_ERR_DB_IO},       /* index_corrupted */
	};
	size_t i;

	if (state == NULL)
		return PTL_OK;
	if (strncmp(state, "08", 2) == 0) /* connection_exception */
		return PTL_ERR_UNAVAILABLE;
	/* data_exception: a value PostgreSQL refuses where SQLite would
	 * have stored it (bytes that are not UTF-8, a number out of range
	 * for its column, text where a number goes): the request's input,
	 * answered 400, not 500. Logged (fail), as it may be a bug too. */
	if (strncmp(state, "22", 2) == 0)
		return PTL_ERR_BAD_REQUEST;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(state, map[i].state) == 0)
			return map[i].e;
	}
	return PTL_OK;
}

/* The failure of res (NULL: none came back) for what: a storage fault
 * (503, logged once a minute per cause), a unique violation (not logged:
 * the caller decides), or PTL_ERR_INTERNAL (logged). A broken connection
 * is dropped. */
static enum ptl_err
fail(struct ptl_pg *pg, const PGresult *res, const char *what)
{
	const char *state = res != NULL
				    ? pq.PQresultErrorField(res, PG_DIAG_SQLSTATE)
				    : NULL;
	const char *msg = res != NULL ? pq.PQresultErrorMessage(res) : "";
	enum ptl_err e = err_of_state(state);
	int len;

	if (msg == NULL || *msg == '\0')
		msg = pg->conn != NULL ? pq.PQerrorMessage(pg->conn) : "";
	len = (int)strcspn(msg, "\n");
	/* No SQLSTATE: libpq's own error, a connection that broke under the
	 * statement (the server stopped or the backend was terminated; libpq
	 * may still say CONNECTION_OK until its next read). */
	if (e == PTL_OK && (connection_lost(pg) || state == NULL))
		e = PTL_ERR_UNAVAILABLE;
	if (e == PTL_ERR_UNAVAILABLE) {
		if (!pg->down)
			PTL_LOG_ERR("%s: connection lost: %.*s (in %.120s); "
				    "answering 503, connecting again with "
				    "back-off",
				    pg->where, len, msg, what);
		pg->down = true;
		drop(pg);
	} else if (e == PTL_ERR_BAD_REQUEST) {
		/* Not the message: it may quote the value. */
		PTL_LOG_WARN("%s: a value refused (SQLSTATE %s) in %.200s; "
			     "answering 400",
			     pg->where, state, what);
	} else if (e != PTL_OK && e != PTL_ERR_CONFLICT) {
		if (ptl_db_fault_note(e))
			PTL_LOG_ERR("%s: %s: %.*s (SQLSTATE %s) in %.200s; "
				    "answering 503 (the same cause is logged "
				    "again in a minute at most)",
				    pg->where, ptl_err_info(e)->code, len, msg,
				    state != NULL ? state : "?", what);
	} else if (e == PTL_OK) {
		PTL_LOG_ERR("%s: %.200s: %.*s (SQLSTATE %s)", pg->where, what,
			    len, msg, state != NULL ? state : "?");
		e = PTL_ERR_INTERNAL;
	}
	if (pg->in_tx && pg->tx_err == PTL_OK)
		pg->tx_err = e;
	return e;
}

/* Runs text (no parameters, no rows wanted). */
static enum ptl_err
exec_sql(struct ptl_pg *pg, const char *text)
{
	PGresult *res = pq.PQexec(pg->conn, text);
	ExecStatusType s = pq.PQresultStatus(res);
	enum ptl_err e = PTL_OK;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		e = fail(pg, res, text);
	pq.PQclear(res);
	return e;
}

/* ---- the connection ----------------------------------------------------- */

/* Opens the connection, with the session settings: every wait bounded by
 * the busy timeout, bytea in hex, UTF-8, read-only when asked. */
static enum ptl_err
connect_now(struct ptl_pg *pg)
{
	/* Ours first: what the URL says wins (expand_dbname, last wins).
	 * A server that vanished without closing the connection (a host
	 * down, a network cut) is noticed within seconds, not the system's
	 * two hours of TCP keepalive: a request must not hang on it. */
	const char *keys[] = {"connect_timeout", "keepalives_idle",
			      "keepalives_interval", "keepalives_count",
			      "application_name", "client_encoding", "dbname",
			      NULL};
	const char *vals[] = {"2", "5", "2", "3", "authportal", "UTF8",
			      pg->conninfo, NULL};
	char set[256];
	enum ptl_err e;

	pg->conn = pq.PQconnectdbParams(keys, vals, 1);
	if (pg->conn == NULL)
		ptl_mem_oom();
	if (pq.PQstatus(pg->conn) != CONNECTION_OK) {
		const char *msg = pq.PQerrorMessage(pg->conn);

		if (!pg->down)
			PTL_LOG_ERR("%s: cannot connect: %.*s; answering 503, "
				    "trying again with back-off",
				    pg->where, (int)strcspn(msg, "\n"), msg);
		pg->down = true;
		drop(pg);
		return PTL_ERR_UNAVAILABLE;
	}
	(void)snprintf(set, sizeof(set),
		       "SET lock_timeout = %d; SET statement_timeout = %d; "
		       "SET idle_in_transaction_session_timeout = %d; "
		       "SET bytea_output = hex; SET TIME ZONE 'UTC'; "
		       "SET client_min_messages = warning%s",
		       pg->busy_timeout_ms, pg->busy_timeout_ms * 2,
		       pg->busy_timeout_ms * 6,
		       pg->readonly ? "; SET default_transaction_read_only = on"
				    : "");
	e = exec_sql(pg, set);
	if (e != PTL_OK)
		return e;
	if (pg->down)
		PTL_LOG_WARN("%s: connected again", pg->where);
	pg->down = false;
	pg->backoff_ms = 0;
	return PTL_OK;
}

/* A usable connection, or PTL_ERR_UNAVAILABLE at once while the back-off
 * interval runs, or when the open transaction lost its connection.
 * Outside a transaction, what the server sent while the connection was
 * idle is read first, without waiting (PQconsumeInput): a connection it
 * ended meanwhile (a restart, pg_terminate_backend, an idle timeout) is
 * seen before a statement is sent on it, and made again at once, so that
 * the request does not fail. (Once a statement is sent, a loss is
 * PTL_ERR_UNAVAILABLE: whether it ran cannot be known, and it is never
 * sent twice.) */
static enum ptl_err
ensure(struct ptl_pg *pg)
{
	/* Twice: the first read takes the server's last message (FATAL ...),
	 * the second sees the end of the connection. Nothing to read costs
	 * two recv(2) that return at once. */
	if (pg->conn != NULL && !pg->in_tx &&
	    pq.PQstatus(pg->conn) == CONNECTION_OK &&
	    pq.PQconsumeInput(pg->conn) == 1 &&
	    pq.PQstatus(pg->conn) == CONNECTION_OK)
		(void)pq.PQconsumeInput(pg->conn);
	if (pg->conn != NULL && pq.PQstatus(pg->conn) == CONNECTION_OK)
		return PTL_OK;
	if (pg->conn != NULL) {
		bool idle = !pg->in_tx;

		PTL_LOG_WARN("%s: the server ended the connection%s",
			     pg->where,
			     idle ? "; connecting again"
				  : " (the transaction is lost)");
		drop(pg);
		if (idle)
			pg->retry_at_us = 0; /* nothing was sent: at once */
	}
	if (pg->in_tx)
		return PTL_ERR_UNAVAILABLE; /* the transaction is gone */
	if (ptl_clock_mono_us() < pg->retry_at_us)
		return PTL_ERR_UNAVAILABLE;
	return connect_now(pg);
}

/* ---- statements --------------------------------------------------------- */

/* text with each ?N outside quotes rewritten $N (malloc'd); OUT max: the
 * highest parameter number, of ?N or $N. */
static char *
rewrite(const char *text, int *max)
{
	size_t n = strlen(text), i, o = 0;
	char *out = ptl_mem_xmalloc(n + 1);
	char quote = 0;

	*max = 0;
	for (i = 0; i < n; i++) {
		char c = text[i];

		if (quote != 0) {
			if (c == quote)
				quote = 0;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if ((c == '?' || c == '$') && text[i + 1] >= '0' &&
			   text[i + 1] <= '9') {
			int v = (int)strtol(text + i + 1, NULL, 10);

			if (v > *max)
				*max = v;
			c = '$';
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

static const char *
sql_of(enum ptl_q q)
{
	return ptl_db_sql[q].pg != NULL ? ptl_db_sql[q].pg : ptl_db_sql[q].sql;
}

static enum ptl_err
prepare(struct ptl_pg *pg, enum ptl_q q)
{
	char name[32];
	PGresult *res;
	enum ptl_err e = PTL_OK;

	e = ensure(pg); /* first: a reconnect forgets what was prepared */
	if (e != PTL_OK || pg->prepared[q])
		return e;
	(void)snprintf(name, sizeof(name), "ptl_%d", (int)q);
	res = pq.PQprepare(pg->conn, name, pg->text[q], 0, NULL);
	if (pq.PQresultStatus(res) != PGRES_COMMAND_OK)
		e = fail(pg, res, pg->text[q]);
	else
		pg->prepared[q] = true;
	pq.PQclear(res);
	return e;
}

static void
clear_row(struct pg_stmt *s)
{
	int i;

	if (s->blobs == NULL)
		return;
	for (i = 0; i < s->ncols; i++) {
		free(s->blobs[i]);
		s->blobs[i] = NULL;
	}
}

static void
reset(struct pg_stmt *s)
{
	int i;

	clear_row(s);
	free(s->blobs);
	free(s->blob_lens);
	s->blobs = NULL;
	s->blob_lens = NULL;
	s->ncols = 0;
	pq.PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	for (i = 0; i < s->nslots; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
		s->lengths[i] = 0;
		s->formats[i] = 0;
	}
}

struct ptl_stmt *
ptl_pg_q(struct ptl_pg *pg, enum ptl_q q)
{
	struct pg_stmt *s;

	PTL_ASSERT((unsigned)q < PTL_Q__MAX);
	s = &pg->stmts[q];
	reset(s);
	return &s->base;
}

void
ptl_pg_bind(struct ptl_stmt *st, int i, const void *p, size_t len, bool blob)
{
	struct pg_stmt *s = PGST(st);
	char *v = NULL;

	/* Only a programming error (bad index) can fail a bind. A parameter
	 * the PostgreSQL text does not use is kept, not sent (nslots). */
	PTL_ASSERT(i >= 1 && i <= s->nslots && len < (size_t)1 << 30);
	if (p != NULL) {
		v = ptl_mem_xmalloc(len + 1);
		memcpy(v, p, len);
		v[len] = '\0';
	}
	free(s->values[i - 1]);
	s->values[i - 1] = v;
	s->lengths[i - 1] = (int)len;
	s->formats[i - 1] = blob ? 1 : 0;
}

void
ptl_pg_bind_int(struct ptl_stmt *st, int i, int64_t v)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "%lld", (long long)v);

	ptl_pg_bind(st, i, text, (size_t)n, false);
}

/* Counts what the command of res did (ptl_db_changes): rows an INSERT,
 * UPDATE or DELETE touched; a SELECT leaves the count as it was, as
 * SQLite's sqlite3_changes does. */
static void
count_changes(struct ptl_pg *pg, PGresult *res)
{
	const char *status = pq.PQcmdStatus(res);

	if (strncmp(status, "INSERT", 6) == 0) {
		pg->inserted = true;
	} else if (strncmp(status, "UPDATE", 6) != 0 &&
		   strncmp(status, "DELETE", 6) != 0 &&
		   strncmp(status, "MERGE", 5) != 0) {
		return;
	}
	pg->changes = strtoll(pq.PQcmdTuples(res), NULL, 10);
}

static enum ptl_err
run(struct pg_stmt *s)
{
	struct ptl_pg *pg = s->pg;
	char name[32];
	ExecStatusType status;
	enum ptl_err e;

	if (pg->in_tx && pg->tx_err != PTL_OK)
		return pg->tx_err; /* an aborted transaction runs nothing */
	e = prepare(pg, s->q);
	if (e != PTL_OK)
		return e;
	(void)snprintf(name, sizeof(name), "ptl_%d", (int)s->q);
	s->res = pq.PQexecPrepared(pg->conn, name, s->nparams,
				(const char *const *)s->values, s->lengths,
				s->formats, 0);
	status = pq.PQresultStatus(s->res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		e = fail(pg, s->res, pg->text[s->q]);
		pq.PQclear(s->res);
		s->res = NULL;
		return e;
	}
	count_changes(pg, s->res);
	s->nrows = pq.PQntuples(s->res);
	s->ncols = pq.PQnfields(s->res);
	if (s->ncols > 0) {
		s->blobs = calloc((size_t)s->ncols, sizeof(*s->blobs));
		s->blob_lens = calloc((size_t)s->ncols, sizeof(*s->blob_lens));
		if (s->blobs == NULL || s->blob_lens == NULL)
			ptl_mem_oom();
	}
	return PTL_OK;
}

enum ptl_err
ptl_pg_step(struct ptl_stmt *st, bool *row)
{
	struct pg_stmt *s = PGST(st);
	enum ptl_err e;

	*row = false;
	if (s->res == NULL) {
		e = run(s);
		if (e != PTL_OK)
			return e;
	}
	clear_row(s);
	if (s->row < s->nrows)
		s->row++;
	*row = s->row < s->nrows;
	return PTL_OK;
}

static bool
has_cell(struct pg_stmt *s, int col)
{
	return s->res != NULL && s->row >= 0 && s->row < s->nrows &&
	       col >= 0 && col < s->ncols;
}

bool
ptl_pg_is_null(struct ptl_stmt *st, int col)
{
	struct pg_stmt *s = PGST(st);

	return !has_cell(s, col) || pq.PQgetisnull(s->res, s->row, col);
}

int64_t
ptl_pg_int(struct ptl_stmt *st, int col)
{
	struct pg_stmt *s = PGST(st);
	const char *v;

	if (ptl_pg_is_null(st, col))
		return 0;
	v = pq.PQgetvalue(s->res, s->row, col);
	/* A boolean the text forgot to cast reads as SQLite's 0 or 1. */
	if (strcmp(v, "t") == 0)
		return 1;
	if (strcmp(v, "f") == 0)
		return 0;
	return strtoll(v, NULL, 10);
}

const char *
ptl_pg_text(struct ptl_stmt *st, int col)
{
	struct pg_stmt *s = PGST(st);

	if (ptl_pg_is_null(st, col))
		return NULL;
	return pq.PQgetvalue(s->res, s->row, col);
}

/* The bytes of a bytea cell (text result: "\x" and two hex digits a
 * byte, bytea_output = hex), decoded once per row; any other column's
 * text as it is. Valid until the next step or reset. */
const void *
ptl_pg_blob(struct ptl_stmt *st, int col, size_t *len)
{
	struct pg_stmt *s = PGST(st);
	const char *v;
	size_t n, i;
	unsigned char *out;

	*len = 0;
	if (ptl_pg_is_null(st, col))
		return NULL;
	if (s->blobs[col] != NULL) {
		*len = s->blob_lens[col];
		return s->blobs[col];
	}
	v = pq.PQgetvalue(s->res, s->row, col);
	n = (size_t)pq.PQgetlength(s->res, s->row, col);
	if (pq.PQftype(s->res, col) != 17 /* BYTEAOID */ || n < 2 ||
	    v[0] != '\\' || v[1] != 'x') {
		*len = n;
		return v;
	}
	out = ptl_mem_xmalloc((n - 2) / 2 + 1);
	for (i = 0; i + 1 < n - 2; i += 2) {
		int hi = ptl_str_hex_digit(v[2 + i]), lo = ptl_str_hex_digit(v[3 + i]);

		PTL_ASSERT(hi >= 0 && lo >= 0);
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	s->blobs[col] = out;
	s->blob_lens[col] = (n - 2) / 2;
	*len = s->blob_lens[col];
	return out;
}

void
ptl_pg_done(struct ptl_stmt *st)
{
	reset(PGST(st));
}

/* ---- columns ------------------------------------------------------------ */

enum ptl_err
ptl_pg_check_columns(struct ptl_pg *pg, enum ptl_q q,
		     const char *const *names, unsigned n)
{
	char name[32];
	PGresult *res;
	unsigned i, count;
	enum ptl_err e;

	PTL_ASSERT((unsigned)q < PTL_Q__MAX);
	e = prepare(pg, q);
	if (e != PTL_OK) {
		PTL_LOG_ERR("statement PTL_Q_%s does not prepare",
			    ptl_db_sql[q].name);
		return PTL_ERR_INTERNAL;
	}
	(void)snprintf(name, sizeof(name), "ptl_%d", (int)q);
	res = pq.PQdescribePrepared(pg->conn, name);
	if (pq.PQresultStatus(res) != PGRES_COMMAND_OK) {
		(void)fail(pg, res, pg->text[q]);
		pq.PQclear(res);
		return PTL_ERR_INTERNAL;
	}
	count = (unsigned)pq.PQnfields(res);
	for (i = 0; i < n || i < count; i++) {
		const char *got = i < count ? pq.PQfname(res, (int)i) : NULL;
		const char *want = i < n ? names[i] : NULL;

		if (got == NULL || want == NULL || strcmp(got, want) != 0) {
			if (got == NULL)
				PTL_LOG_ERR("statement PTL_Q_%s: declared "
					    "column %u \"%s\" is not in its "
					    "result", ptl_db_sql[q].name, i,
					    want);
			else if (want == NULL)
				PTL_LOG_ERR("statement PTL_Q_%s: column %u "
					    "\"%s\" is not declared",
					    ptl_db_sql[q].name, i, got);
			else
				PTL_LOG_ERR("statement PTL_Q_%s: column %u is "
					    "\"%s\", declared \"%s\"",
					    ptl_db_sql[q].name, i, got, want);
			pq.PQclear(res);
			return PTL_ERR_INTERNAL;
		}
	}
	if (pq.PQnparams(res) > pg->nparams[q]) {
		PTL_LOG_ERR("statement PTL_Q_%s takes %d parameters, its text "
			    "names %d", ptl_db_sql[q].name, pq.PQnparams(res),
			    pg->nparams[q]);
		pq.PQclear(res);
		return PTL_ERR_INTERNAL;
	}
	pq.PQclear(res);
	return PTL_OK;
}

/* ---- transactions ------------------------------------------------------- */

/* BEGIN, with the lock of write transactions when alone. */
static enum ptl_err
begin(struct ptl_pg *pg, bool alone)
{
	enum ptl_err e;

	if (pg->in_tx) {
		PTL_LOG_ERR("%s: BEGIN inside a transaction", pg->where);
		return PTL_ERR_INTERNAL;
	}
	e = ensure(pg);
	if (e != PTL_OK)
		return e;
	/* One round trip: BEGIN, then the lock of write transactions
	 * (waiting at most lock_timeout: 55P03, PTL_ERR_BUSY). */
	e = exec_sql(pg, pg->readonly || !alone ? "BEGIN"
						: "BEGIN; SELECT " TX_LOCK);
	if (e != PTL_OK) {
		ptl_pg_rollback(pg);
		return e;
	}
	pg->in_tx = true;
	pg->tx_err = PTL_OK;
	return PTL_OK;
}

enum ptl_err
ptl_pg_begin(struct ptl_pg *pg)
{
	return begin(pg, true);
}

/* A transaction whose correctness rests on the row locks of its own
 * statements (a compare-and-swap UPDATE ... WHERE the row is still what
 * was read), not on running alone: no advisory lock, so that such
 * transactions on different rows run side by side on every host, and
 * beside the transactions of ptl_pg_begin, as single statements do. */
enum ptl_err
ptl_pg_begin_rows(struct ptl_pg *pg)
{
	return begin(pg, false);
}

void
ptl_pg_rollback(struct ptl_pg *pg)
{
	pg->in_tx = false;
	pg->tx_err = PTL_OK;
	if (pg->conn == NULL || pq.PQstatus(pg->conn) != CONNECTION_OK ||
	    pq.PQtransactionStatus(pg->conn) == PQTRANS_IDLE)
		return;
	(void)exec_sql(pg, "ROLLBACK");
}

enum ptl_err
ptl_pg_commit(struct ptl_pg *pg)
{
	enum ptl_err e = pg->tx_err;
	PGresult *res;

	if (!pg->in_tx)
		return PTL_OK;
	if (e != PTL_OK || connection_lost(pg)) {
		ptl_pg_rollback(pg);
		return e != PTL_OK ? e : PTL_ERR_UNAVAILABLE;
	}
	res = pq.PQexec(pg->conn, "COMMIT");
	if (pq.PQresultStatus(res) != PGRES_COMMAND_OK) {
		e = fail(pg, res, "COMMIT");
	} else if (strcmp(pq.PQcmdStatus(res), "COMMIT") != 0) {
		/* A failed transaction "commits" as a rollback. */
		PTL_LOG_ERR("%s: COMMIT rolled back (%s)", pg->where,
			    pq.PQcmdStatus(res));
		e = PTL_ERR_INTERNAL;
	}
	pq.PQclear(res);
	pg->in_tx = false;
	pg->tx_err = PTL_OK;
	if (e == PTL_OK)
		ptl_db_fault_clear();
	else
		ptl_pg_rollback(pg);
	return e;
}

int64_t
ptl_pg_changes(struct ptl_pg *pg)
{
	return pg->changes;
}

/* The id the last INSERT of this connection generated (lastval(): the
 * session's own, so correct per worker whatever other hosts insert),
 * read once after each INSERT. Only asked after an INSERT into a table
 * whose id is an identity column (users, sessions, mail_outbox). */
int64_t
ptl_pg_last_id(struct ptl_pg *pg)
{
	PGresult *res;

	if (!pg->inserted || connection_lost(pg) ||
	    (pg->in_tx && pg->tx_err != PTL_OK))
		return pg->last_id;
	res = pq.PQexec(pg->conn, "SELECT lastval()");
	if (pq.PQresultStatus(res) == PGRES_TUPLES_OK && pq.PQntuples(res) == 1) {
		pg->last_id = strtoll(pq.PQgetvalue(res, 0, 0), NULL, 10);
		pg->inserted = false;
	} else {
		(void)fail(pg, res, "SELECT lastval()");
	}
	pq.PQclear(res);
	return pg->last_id;
}

/* ---- schema ------------------------------------------------------------- */

unsigned
ptl_pg_version(struct ptl_pg *pg)
{
	PGresult *res;
	unsigned v = 0;

	if (ensure(pg) != PTL_OK)
		return 0;
	if (pg->versioned)
		goto read; /* one round trip (health asks each time) */
	/* Asked first, so that no error (which would abort the open
	 * transaction) comes before the table exists. */
	res = pq.PQexec(pg->conn, "SELECT to_regclass('schema_version') IS NULL");
	if (pq.PQresultStatus(res) != PGRES_TUPLES_OK || pq.PQntuples(res) != 1) {
		(void)fail(pg, res, "the schema version");
		pq.PQclear(res);
		return 0;
	}
	if (strcmp(pq.PQgetvalue(res, 0, 0), "t") == 0) {
		pq.PQclear(res);
		return 0;
	}
	pq.PQclear(res);
read:
	res = pq.PQexec(pg->conn,
		     "SELECT coalesce(max(version), 0) FROM schema_version");
	if (pq.PQresultStatus(res) == PGRES_TUPLES_OK && pq.PQntuples(res) == 1) {
		v = (unsigned)strtoul(pq.PQgetvalue(res, 0, 0), NULL, 10);
		pg->versioned = true;
	} else
		(void)fail(pg, res, "the schema version");
	pq.PQclear(res);
	return v;
}

static enum ptl_err
apply_from(struct ptl_pg *pg, unsigned from, unsigned *n)
{
	unsigned i;

	for (i = 0; i < ptl_migrations_pg_len; i++) {
		const struct ptl_migration *m = &ptl_migrations_pg[i];
		char set[64];
		enum ptl_err e;

		if (m->version <= from)
			continue;
		(void)snprintf(set, sizeof(set),
			       "UPDATE schema_version SET version = %u",
			       m->version);
		e = exec_sql(pg, m->sql);
		if (e == PTL_OK)
			e = exec_sql(pg, set);
		if (e != PTL_OK) {
			PTL_LOG_ERR("%s: migration %s failed", pg->where,
				    m->name);
			return e;
		}
		(*n)++;
	}
	return PTL_OK;
}

enum ptl_err
ptl_pg_migrate(struct ptl_pg *pg, unsigned *applied)
{
	unsigned from, n = 0, known = ptl_db_known_version();
	enum ptl_err e;

	if (applied != NULL)
		*applied = 0;
	if (pg->readonly)
		return PTL_OK;
	e = ensure(pg);
	if (e != PTL_OK)
		return e;
	/* The common case, without the lock. */
	if (ptl_pg_version(pg) >= known)
		return PTL_OK;
	/* Under the lock of write transactions: of the hosts and workers
	 * that start together after an upgrade, one migrates, and the others
	 * find the work done when they get the lock. DDL is transactional
	 * here: every migration, or none. */
	e = ptl_pg_begin(pg);
	if (e != PTL_OK)
		return e;
	e = exec_sql(pg, "CREATE TABLE IF NOT EXISTS schema_version ("
			 "version integer NOT NULL); "
			 "INSERT INTO schema_version (version) SELECT 0 "
			 "WHERE NOT EXISTS (SELECT 1 FROM schema_version)");
	if (e != PTL_OK) {
		ptl_pg_rollback(pg);
		return e;
	}
	from = ptl_pg_version(pg);
	if (from >= known) {
		ptl_pg_rollback(pg);
		return PTL_OK;
	}
	e = apply_from(pg, from, &n);
	if (e != PTL_OK) {
		ptl_pg_rollback(pg);
		return e;
	}
	e = ptl_pg_commit(pg);
	if (e != PTL_OK)
		return e;
	if (from == 0)
		PTL_LOG_INFO("%s created at schema version %u", pg->where,
			     known);
	else
		PTL_LOG_INFO("%s migrated from schema version %u to %u "
			     "(%u migration(s))", pg->where, from, known, n);
	if (applied != NULL)
		*applied = n;
	return PTL_OK;
}

/* ---- open, close -------------------------------------------------------- */

enum ptl_err
ptl_pg_open(const char *conninfo, const struct ptl_db_opts *opts,
	    bool readonly, struct ptl_pg **out)
{
	struct ptl_pg *pg;
	enum ptl_err e;
	unsigned v;
	int i;

	*out = NULL;
	if (!load_pq())
		return PTL_ERR_UNAVAILABLE;
	pg = ptl_mem_xmalloc(sizeof(*pg));
	memset(pg, 0, sizeof(*pg));
	pg->conninfo = ptl_mem_xmalloc(strlen(conninfo) + 1);
	memcpy(pg->conninfo, conninfo, strlen(conninfo) + 1);
	ptl_pg_describe(conninfo, pg->where, sizeof(pg->where));
	pg->busy_timeout_ms = opts->busy_timeout_ms;
	pg->readonly = readonly;
	pg->down = opts->quiet;
	for (i = 0; i < PTL_Q__MAX; i++) {
		struct pg_stmt *s = &pg->stmts[i];

		int sqlite_max = 0;

		pg->text[i] = rewrite(sql_of((enum ptl_q)i), &pg->nparams[i]);
		free(rewrite(ptl_db_sql[i].sql, &sqlite_max));
		s->base.pg = true;
		s->pg = pg;
		s->q = (enum ptl_q)i;
		s->row = -1;
		s->nparams = pg->nparams[i];
		/* The callers bind what the SQLite text takes. */
		s->nslots = sqlite_max > s->nparams ? sqlite_max : s->nparams;
		if (s->nslots > 0) {
			s->values = calloc((size_t)s->nslots, sizeof(char *));
			s->lengths = calloc((size_t)s->nslots, sizeof(int));
			s->formats = calloc((size_t)s->nslots, sizeof(int));
			if (s->values == NULL || s->lengths == NULL ||
			    s->formats == NULL)
				ptl_mem_oom();
		}
	}
	e = connect_now(pg);
	if (e == PTL_OK) {
		v = ptl_pg_version(pg);
		if (v > ptl_db_known_version()) {
			PTL_LOG_ERR("%s has schema version %u, newer than this "
				    "program knows (%u): refusing to use it; "
				    "run the authportal that migrated it",
				    pg->where, v, ptl_db_known_version());
			e = PTL_ERR_DB_NEWER;
		}
	}
	if (e == PTL_OK && !readonly)
		e = ptl_pg_migrate(pg, NULL);
	if (e != PTL_OK) {
		ptl_pg_close(pg);
		return e;
	}
	*out = pg;
	return PTL_OK;
}

void
ptl_pg_close(struct ptl_pg *pg)
{
	int i;

	if (pg == NULL)
		return;
	for (i = 0; i < PTL_Q__MAX; i++) {
		reset(&pg->stmts[i]);
		free(pg->stmts[i].values);
		free(pg->stmts[i].lengths);
		free(pg->stmts[i].formats);
		free(pg->text[i]);
	}
	if (pg->conn != NULL)
		pq.PQfinish(pg->conn);
	explicit_bzero(pg->conninfo, strlen(pg->conninfo));
	free(pg->conninfo);
	free(pg);
}

/* ---- what a file would mean --------------------------------------------- */

bool
ptl_pg_readonly(struct ptl_pg *pg)
{
	return pg->readonly;
}

/* The connection's state: PTL_ERR_UNAVAILABLE when it is down (and the
 * back-off interval runs), PTL_ERR_DB_READONLY when the server is a hot
 * standby (a replica: it takes no writes), else PTL_OK. */
enum ptl_err
ptl_pg_storage(struct ptl_pg *pg)
{
	const char *standby;

	if (connection_lost(pg))
		return PTL_ERR_UNAVAILABLE;
	standby = pq.PQparameterStatus(pg->conn, "in_hot_standby");
	if (standby != NULL && strcmp(standby, "on") == 0)
		return PTL_ERR_DB_READONLY;
	return PTL_OK;
}

/*
 * Backup on PostgreSQL: pg_dump (from PATH) in its custom format (what
 * pg_restore reads), to path.tmp-PID renamed over path at the end. The
 * connection string goes to pg_dump without its password, which passes
 * in the environment (PGPASSWORD), not on the command line that other
 * users of the host can read.
 */
enum ptl_err
ptl_pg_backup(struct ptl_pg *pg, const char *path)
{
	PQconninfoOption *opts = pq.PQconninfoParse(pg->conninfo, NULL), *o;
	char tmp[4096], *conn, *password = NULL;
	size_t size = 1, used = 0;
	pid_t pid;
	int status = 0;

	if (opts == NULL ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >=
		    (int)sizeof(tmp)) {
		pq.PQconninfoFree(opts);
		PTL_LOG_ERR("backup %s: path too long", path);
		return PTL_ERR_INTERNAL;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL)
			size += strlen(o->keyword) + 2 * strlen(o->val) + 4;
	conn = ptl_mem_xmalloc(size);
	conn[0] = '\0';
	for (o = opts; o->keyword != NULL; o++) {
		const char *c;

		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			password = o->val;
			continue;
		}
		used += (size_t)snprintf(conn + used, size - used, "%s%s='",
					 used > 0 ? " " : "", o->keyword);
		for (c = o->val; *c != '\0'; c++) {
			if (*c == '\'' || *c == '\\')
				conn[used++] = '\\';
			conn[used++] = *c;
		}
		conn[used++] = '\'';
		conn[used] = '\0';
	}
	(void)unlink(tmp);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0)
			(void)dup2(fd, 0);
		if (password != NULL)
			(void)setenv("PGPASSWORD", password, 1);
		(void)umask(077);
		execlp("pg_dump", "pg_dump", "--format=custom", "--no-owner",
		       "--file", tmp, "--dbname", conn, (char *)NULL);
		fprintf(stderr, "authportal: cannot run pg_dump: %s\n",
			strerror(errno));
		_exit(127);
	}
	explicit_bzero(conn, size);
	free(conn);
	pq.PQconninfoFree(opts);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		PTL_LOG_ERR("backup %s: pg_dump failed (%s %d): install "
			    "PostgreSQL's client programs (postgresql-client), "
			    "or back up with pg_dump yourself (README "
			    "\"Database engines\")",
			    path,
			    pid < 0 ? strerror(errno)
				    : WIFEXITED(status) ? "exit status"
							: "signal",
			    pid < 0 ? 0
				    : WIFEXITED(status) ? WEXITSTATUS(status)
							: WTERMSIG(status));
		(void)unlink(tmp);
		return PTL_ERR_INTERNAL;
	}
	if (rename(tmp, path) != 0) {
		PTL_LOG_ERR("backup %s: cannot rename %s: %s", path, tmp,
			    strerror(errno));
		(void)unlink(tmp);
		return PTL_ERR_INTERNAL;
	}
	return PTL_OK;
}
