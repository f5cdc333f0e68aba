/* SPDX-License-Identifier: ISC */
/*
 * copydb: `authportal copy-db`, the move of a site's data from one
 * database to another (SQLite to PostgreSQL when it outgrows one host, or
 * back, or between two of one engine). Every row of every table is
 * copied with its ids (users, sessions with their refresh digests, social
 * identities, the mail outbox, the audit log, rate-limit counters, OAuth
 * states, file rows, the health probe), so that a session made before the
 * move refreshes after it. Not its business: opening the databases (the
 * caller's, through db.h, which migrates both to this program's schema)
 * and the files of FILES_DIR (a folder copied as such).
 */
#ifndef PTL_DOMAIN_COPYDB_H
#define PTL_DOMAIN_COPYDB_H

#include <stdint.h>

#include "adapters/db.h"
#include "base/err.h"

/* The tables copied, in the order they are (a row's foreign keys first). */
#define PTL_COPYDB_TABLES 9

struct ptl_copydb_count {
	const char *table; /* static */
	int64_t rows;      /* in both databases: they were checked equal */
};

/*
 * Copies every row of from into to, in one transaction on to, inside a
 * write transaction on from (no writer changes from meanwhile; on
 * PostgreSQL, writers that use no transaction still can: stop the servers
 * for the move). to must be empty: every copied table without a row (the
 * rows the migrations make, roles and statuses, are the same on both).
 * Then moves each identity sequence of to past the largest id, and counts
 * each table on both sides; to is committed only when every count agrees.
 * OUT counts (PTL_COPYDB_TABLES entries, filled on PTL_OK), *nonempty
 * (static) the first table of to with a row, on PTL_ERR_CONFLICT.
 * Errors: PTL_ERR_CONFLICT, to not empty (not logged), or a row that
 * breaks a key of to (logged); PTL_ERR_INTERNAL (logged), a count that
 * differs; the database errors of db.h (PTL_ERR_BUSY, PTL_ERR_UNAVAILABLE,
 * PTL_ERR_DB_*), logged where they happen. On any error to is left as it
 * was.
 */
enum ptl_err ptl_copydb(struct ptl_db *from, struct ptl_db *to,
			struct ptl_copydb_count counts[PTL_COPYDB_TABLES],
			const char **nonempty)
    __attribute__((warn_unused_result, nonnull));

#endif
