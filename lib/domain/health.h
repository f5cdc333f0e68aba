/* SPDX-License-Identifier: ISC */
/*
 * health: whether the service can serve (API.md §10.12), and if not which
 * part fails: the database (cannot be opened or written, its file moved
 * away, its schema newer than this program) or mail delivery (the oldest
 * undelivered mail has been failing for longer than
 * HEALTH_MAIL_MAX_AGE_SECONDS). Not responsible for the answer's body or
 * status.
 */
#ifndef PTL_HEALTH_H
#define PTL_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/app.h"

/* The verdict: NULL for a part that is well, else its state in the words
 * of the answer ("full", "readonly", "ioerror", "locked", "replaced",
 * "schemaNewer", "unavailable"; mail: "failing"). Literals. */
struct ptl_health {
	const char *database;
	const char *mail;
};

/*
 * Checks the parts, writing nothing unless deep: the database answers a
 * read of its file, its file is still the one at DATABASE_PATH, its
 * schema is not newer, its file system has room and it can be written
 * (ptl_db_storage); with deep also a real write in a transaction (the
 * throw-away row of health_probe), which finds what the cheap checks
 * cannot (a lock held too long, an I/O error). OUT h. PTL_OK when every
 * part is well, else PTL_ERR_UNAVAILABLE with h naming the parts.
 */
enum ptl_err ptl_health_check(struct ptl_app *app, bool deep, int64_t now_ms,
			      struct ptl_health *h)
	__attribute__((warn_unused_result, nonnull));

/* The word of a database fault (PTL_ERR_DB_FULL -> "full", ...). */
const char *ptl_health_db_word(enum ptl_err e);

#endif
