/* SPDX-License-Identifier: ISC */
/*
 * db_sql: the statement table of the database adapter, private to
 * lib/adapters/db*.c. One entry per enum ptl_q (db.h): its name for the
 * log, its SQL, and the names of its result columns (none for a statement
 * that returns no row). Parameters are written ?1, ?2 ... as SQLite
 * takes them.
 *
 * pg: the PostgreSQL text where the SQLite one is not valid PostgreSQL
 * (or means something else there), with its parameters written $1, $2
 * ...; NULL when .sql is valid PostgreSQL once each ?N is rewritten $N.
 * Both texts return the same columns under the same names; a boolean
 * expression is cast ::int on PostgreSQL, so that it reads 0 or 1 as on
 * SQLite.
 */
#ifndef PTL_DB_SQL_H
#define PTL_DB_SQL_H

#include "adapters/db.h"

struct ptl_db_sql {
	const char *name;
	const char *sql;
	const char *const *cols;
	unsigned ncols;
	const char *pg;
};

extern const struct ptl_db_sql ptl_db_sql[PTL_Q__MAX];

#endif
