/* SPDX-License-Identifier: ISC */
/*
 * db_sql: the statement table of the database adapter, private to
 * lib/adapters/db*.c. One entry per enum ptl_q (db.h): its name for the
 * log, its SQL, and the names of its result columns (none for a statement
 * that returns no row). Parameters are written ?1, ?2 ... as SQLite
 * takes them.
 */
#ifndef PTL_DB_SQL_H
#define PTL_DB_SQL_H

#include "adapters/db.h"

struct ptl_db_sql {
	const char *name;
	const char *sql;
	const char *const *cols;
	unsigned ncols;
};

extern const struct ptl_db_sql ptl_db_sql[PTL_Q__MAX];

#endif
