/* SPDX-License-Identifier: ISC */
/*
 * test_pg_noload: a PostgreSQL DATABASE_URL when libpq cannot be loaded.
 * lib/adapters/db_pg.c is built again into this program with a soname
 * that names no library (PTL_PQ_SONAME, tests/unit/local.mk), as on a
 * host without the libpq5 package: the open fails as for an unreachable
 * server (PTL_ERR_UNAVAILABLE, the 503 path), with one log line naming
 * the library and the package, and nothing crashes.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "adapters/db.h"
#include "base/err.h"
#include "tap.h"

#define URL "postgresql://authportal@127.0.0.1:1/authportal"

static char log_text[4096];

/* ptl_db_open(URL) with stderr (the log) in log_text. */
static enum ptl_err
open_logged(struct ptl_db **db)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	enum ptl_err e;
	size_t n;

	log_text[0] = '\0';
	if (f == NULL || saved < 0)
		return PTL_ERR_INTERNAL;
	fflush(stderr);
	(void)dup2(fileno(f), STDERR_FILENO);
	e = ptl_db_open(URL, 1000, db);
	fflush(stderr);
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	rewind(f);
	n = fread(log_text, 1, sizeof(log_text) - 1, f);
	log_text[n] = '\0';
	(void)fclose(f);
	return e;
}

static unsigned
lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

int
main(void)
{
	struct ptl_db *db = NULL;
	char where[256];

	is_int(open_logged(&db), PTL_ERR_UNAVAILABLE,
	       "open without libpq: unavailable, as an unreachable server");
	ok(db == NULL, "no handle");
	ok(lines(log_text) == 1, "one log line: %s", log_text);
	ok(strstr(log_text, "libpq-absent.so.0") != NULL &&
	       strstr(log_text, "libpq5") != NULL,
	   "it names the library and the Debian package");
	is_int(open_logged(&db), PTL_ERR_UNAVAILABLE, "the next open too");
	ok(lines(log_text) == 0, "without a second line: %s", log_text);
	ptl_db_describe(URL, where, sizeof(where));
	ok(strstr(where, "PostgreSQL") != NULL &&
	       strstr(where, "127.0.0.1") == NULL,
	   "described without libpq: %s", where);
	return done();
}
