/* SPDX-License-Identifier: ISC */
/*
 * test_copydb: ptl_copydb (lib/domain/copydb.c) between two SQLite files
 * (the copy to and from PostgreSQL is tests/integration/test_copydb.py).
 * A row in every table, NULLs and blobs with NUL bytes among them, is
 * copied with its ids and read back the same; the counts are reported; new
 * rows of the target get ids past the copied ones; a target with a row is
 * refused and left as it was.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "adapters/db.h"
#include "domain/copydb.h"
#include "fixture.h"
#include "tap.h"

static const unsigned char hash[] = {0, 1, 0, 255, 7};
static const unsigned char nonce[] = {9, 0, 0, 9};

static struct ptl_db *
open_db(const char *name)
{
	struct ptl_db *db = NULL;

	if (ptl_db_open(fix_path(name), 5000, &db) != PTL_OK) {
		printf("Bail out! cannot open %s\n", name);
		exit(1);
	}
	return db;
}

static bool
run(struct ptl_stmt *st)
{
	return ptl_db_exec(st) == PTL_OK;
}

/* One row in each table of src (two users, the second a social one). */
static void
fill(struct ptl_db *db)
{
	struct ptl_stmt *st;
	bool good = true, row;
	int i;

	for (i = 0; i < 2; i++) {
		st = ptl_db_q(db, PTL_Q_USER_INSERT);
		ptl_db_bind_textz(st, 1, i == 0 ? "a@example.com" : NULL);
		ptl_db_bind_textz(st, 2, i == 0 ? "$argon2id$x" : NULL);
		ptl_db_bind_textz(st, 3, i == 0 ? "email" : "github");
		ptl_db_bind_textz(st, 4, i == 0 ? NULL : "gh-1");
		ptl_db_bind_textz(st, 5, "First");
		ptl_db_bind_textz(st, 6, NULL);
		ptl_db_bind_int(st, 7, 2);
		ptl_db_bind_int(st, 8, 1);
		ptl_db_bind_int(st, 9, FIX_NOW_MS);
		good = good && run(st);
	}
	st = ptl_db_q(db, PTL_Q_SESSION_INSERT);
	ptl_db_bind_int(st, 1, 1);
	ptl_db_bind_blob(st, 2, hash, sizeof(hash));
	ptl_db_bind_blob(st, 3, nonce, sizeof(nonce));
	ptl_db_bind_int(st, 4, FIX_NOW_MS);
	ptl_db_bind_int(st, 5, FIX_NOW_MS + 1000);
	ptl_db_bind_textz(st, 6, "agent");
	ptl_db_bind_textz(st, 7, NULL);
	good = good && run(st);
	st = ptl_db_q(db, PTL_Q_IDENTITY_UPSERT);
	ptl_db_bind_textz(st, 1, "github");
	ptl_db_bind_textz(st, 2, "gh-1");
	ptl_db_bind_int(st, 3, 2);
	ptl_db_bind_int(st, 4, FIX_NOW_MS);
	good = good && run(st);
	st = ptl_db_q(db, PTL_Q_OUTBOX_INSERT);
	ptl_db_bind_int(st, 1, 0);
	ptl_db_bind_int(st, 2, 1);
	ptl_db_bind_textz(st, 3, "a@example.com");
	ptl_db_bind_textz(st, 4, NULL);
	ptl_db_bind_int(st, 5, FIX_NOW_MS);
	ptl_db_bind_textz(st, 6, "fr");
	good = good && run(st);
	st = ptl_db_q(db, PTL_Q_AUDIT_INSERT);
	ptl_db_bind_int(st, 1, FIX_NOW_MS);
	ptl_db_bind_textz(st, 2, "signin_ok");
	ptl_db_bind_int(st, 3, 1);
	ptl_db_bind_int(st, 4, 1);
	ptl_db_bind_textz(st, 5, "192.0.2.1");
	ptl_db_bind_textz(st, 6, NULL);
	ptl_db_bind_textz(st, 7, "agent");
	ptl_db_bind_textz(st, 8, NULL);
	good = good && run(st);
	st = ptl_db_q(db, PTL_Q_RATE_HIT);
	ptl_db_bind_textz(st, 1, "login:a");
	ptl_db_bind_int(st, 2, FIX_NOW_MS);
	ptl_db_bind_int(st, 3, 60000);
	good = good && ptl_db_step(st, &row) == PTL_OK && row;
	ptl_db_done(st);
	st = ptl_db_q(db, PTL_Q_OAUTH_STATE_INSERT);
	ptl_db_bind_blob(st, 1, hash, sizeof(hash));
	ptl_db_bind_textz(st, 2, "github");
	ptl_db_bind_textz(st, 3, NULL);
	ptl_db_bind_textz(st, 4, "verifier");
	ptl_db_bind_textz(st, 5, NULL);
	ptl_db_bind_blob(st, 6, nonce, sizeof(nonce));
	ptl_db_bind_int(st, 7, FIX_NOW_MS);
	ptl_db_bind_int(st, 8, FIX_NOW_MS + 600000);
	good = good && run(st);
	st = ptl_db_q(db, PTL_Q_FILE_INSERT);
	ptl_db_bind_textz(st, 1, "f1");
	ptl_db_bind_textz(st, 2, "f1.png");
	ptl_db_bind_textz(st, 3, "image/png");
	ptl_db_bind_int(st, 4, 3);
	ptl_db_bind_int(st, 5, 1);
	ptl_db_bind_int(st, 6, FIX_NOW_MS);
	good = good && run(st);
	st = ptl_db_q(db, PTL_Q_HEALTH_PROBE);
	ptl_db_bind_int(st, 1, FIX_NOW_MS);
	good = good && run(st);
	ok(good, "the source has a row in every table");
}

static void
test_copy(void)
{
	struct ptl_db *src = open_db("src.db"), *dst = open_db("dst.db");
	struct ptl_copydb_count counts[PTL_COPYDB_TABLES];
	const char *nonempty = "unset";
	struct ptl_stmt *st;
	const void *blob;
	size_t len = 0, i;
	bool row = false, all_counted = true;

	fill(src);
	is_int(ptl_copydb(src, dst, counts, &nonempty), PTL_OK, "copied");
	ok(nonempty == NULL, "no table named on success");
	for (i = 0; i < PTL_COPYDB_TABLES; i++) {
		long long want = strcmp(counts[i].table, "users") == 0 ? 2 : 1;

		if (counts[i].rows != want) {
			diag("%s: %lld rows", counts[i].table,
			     (long long)counts[i].rows);
			all_counted = false;
		}
	}
	ok(all_counted, "each table's count is reported (2 users, 1 of each "
			"other row)");
	st = ptl_db_q(dst, PTL_Q_SESSION_GET);
	ptl_db_bind_int(st, 1, 1);
	ok(ptl_db_step(st, &row) == PTL_OK && row, "the session has its id");
	blob = ptl_db_blob(st, PTL_COL_SESSION_GET_HASH, &len);
	ok(len == sizeof(hash) && memcmp(blob, hash, len) == 0,
	   "its refresh digest, NUL bytes and all");
	/* SESSION_INSERT sets prev_hash from the start (issue 13's row
	 * layout), so the NULL read back is revoked_at's. */
	ok(ptl_db_is_null(st, PTL_COL_SESSION_GET_REVOKED_AT),
	   "a NULL stays NULL");
	is_int(ptl_db_int(st, PTL_COL_SESSION_GET_USER_LIVE), 1, "its user");
	ptl_db_done(st);
	st = ptl_db_q(dst, PTL_Q_SOCIAL_USER);
	ptl_db_bind_textz(st, 1, "github");
	ptl_db_bind_textz(st, 2, "gh-1");
	ok(ptl_db_step(st, &row) == PTL_OK && row &&
	       ptl_db_int(st, PTL_COL_SOCIAL_USER_ID) == 2,
	   "the identity reaches user 2");
	ptl_db_done(st);
	st = ptl_db_q(dst, PTL_Q_OUTBOX_GET);
	ptl_db_bind_int(st, 1, 1);
	ok(ptl_db_step(st, &row) == PTL_OK && row &&
	       strcmp(ptl_db_text(st, PTL_COL_OUTBOX_GET_LANG), "fr") == 0 &&
	       ptl_db_is_null(st, PTL_COL_OUTBOX_GET_NEW_EMAIL),
	   "the queued mail, its language and its NULL");
	ptl_db_done(st);
	st = ptl_db_q(dst, PTL_Q_USER_INSERT);
	ptl_db_bind_textz(st, 1, "new@example.com");
	ptl_db_bind_textz(st, 3, "email");
	ptl_db_bind_int(st, 7, 2);
	ptl_db_bind_int(st, 8, 1);
	ptl_db_bind_int(st, 9, FIX_NOW_MS);
	ok(run(st) && ptl_db_last_id(dst) == 3,
	   "a new user of the target gets the id after the copied ones");

	is_int(ptl_copydb(src, dst, counts, &nonempty), PTL_ERR_CONFLICT,
	       "a target with rows is refused");
	is_str(nonempty, "users", "and its first table with a row named");
	is_int(fix_sql_int(fix_path("dst.db"), "SELECT count(*) FROM users"), 3,
	       "the refused target is as it was");
	is_int(fix_sql_int(fix_path("dst.db"), "SELECT count(*) FROM sessions"),
	       1, "its sessions too");
	ptl_db_close(dst);
	ptl_db_close(src);
}

int
main(void)
{
	if (!fix_mkdtemp()) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_copy();
	fix_rmdir(fix_dir);
	return done();
}
