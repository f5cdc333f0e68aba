/* SPDX-License-Identifier: ISC */
/*
 * db_pg: the PostgreSQL engine behind db.h, private to lib/adapters/db*.c.
 * db.c keeps the SQLite engine and hands every call on a database opened
 * with a PostgreSQL connection string (DATABASE_URL) to these functions;
 * their meaning is the db.h function of the same name. libpq-fe.h stays in
 * db_pg.c.
 */
#ifndef PTL_DB_PG_H
#define PTL_DB_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/db.h"

/* The statement handle of both engines: h is SQLite's sqlite3_stmt (db.c)
 * or, with pg set, unused (db_pg.c's handle begins with this struct). */
struct ptl_stmt {
	void *h;
	bool pg;
};

struct ptl_pg;

/* Whether where names a PostgreSQL database (ptl_db_is_pg). */
bool ptl_pg_selects(const char *where);

/* "PostgreSQL database NAME on HOST" (no user, no password). */
void ptl_pg_describe(const char *where, char *out, size_t size);

/* Connects (readonly: a session whose transactions are read-only, no
 * migration) and, unless readonly, migrates. */
enum ptl_err ptl_pg_open(const char *conninfo, const struct ptl_db_opts *opts,
			 bool readonly, struct ptl_pg **out)
	__attribute__((warn_unused_result));
void ptl_pg_close(struct ptl_pg *pg);

enum ptl_err ptl_pg_migrate(struct ptl_pg *pg, unsigned *applied)
	__attribute__((warn_unused_result));
unsigned ptl_pg_version(struct ptl_pg *pg);
enum ptl_err ptl_pg_backup(struct ptl_pg *pg, const char *path)
	__attribute__((warn_unused_result));
enum ptl_err ptl_pg_storage(struct ptl_pg *pg);
bool ptl_pg_readonly(struct ptl_pg *pg);
enum ptl_err ptl_pg_check_columns(struct ptl_pg *pg, enum ptl_q q,
				  const char *const *names, unsigned n)
	__attribute__((warn_unused_result));

struct ptl_stmt *ptl_pg_q(struct ptl_pg *pg, enum ptl_q q);
void ptl_pg_bind_int(struct ptl_stmt *st, int i, int64_t v);
/* p NULL binds NULL; blob: sent as binary (bytea), else as text. */
void ptl_pg_bind(struct ptl_stmt *st, int i, const void *p, size_t len,
		 bool blob);
enum ptl_err ptl_pg_step(struct ptl_stmt *st, bool *row)
	__attribute__((warn_unused_result));
int64_t ptl_pg_int(struct ptl_stmt *st, int col);
bool ptl_pg_is_null(struct ptl_stmt *st, int col);
const char *ptl_pg_text(struct ptl_stmt *st, int col);
const void *ptl_pg_blob(struct ptl_stmt *st, int col, size_t *len);
void ptl_pg_done(struct ptl_stmt *st);

int64_t ptl_pg_changes(struct ptl_pg *pg);
int64_t ptl_pg_last_id(struct ptl_pg *pg);
enum ptl_err ptl_pg_begin(struct ptl_pg *pg)
	__attribute__((warn_unused_result));
enum ptl_err ptl_pg_begin_rows(struct ptl_pg *pg)
	__attribute__((warn_unused_result));
enum ptl_err ptl_pg_commit(struct ptl_pg *pg)
	__attribute__((warn_unused_result));
void ptl_pg_rollback(struct ptl_pg *pg);

/* db.c's record of storage faults (ptl_db_last_fault), fed by db_pg.c:
 * notes e, and returns whether it is time to log it again (once a minute
 * per cause). */
bool ptl_db_fault_note(enum ptl_err e);
/* A commit went through: writes work again. */
void ptl_db_fault_clear(void);

#endif
