/* SPDX-License-Identifier: ISC */
/* health: see health.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <string.h>

#include "domain/health.h"

const char *
ptl_health_db_word(enum ptl_err e)
{
	switch (e) {
	case PTL_ERR_DB_FULL:
		return "full";
	case PTL_ERR_DB_READONLY:
		return "readonly";
	case PTL_ERR_DB_IO:
		return "ioerror";
	case PTL_ERR_BUSY:
		return "locked";
	case PTL_ERR_DB_REPLACED:
		return "replaced";
	case PTL_ERR_DB_NEWER:
		return "schemaNewer";
	default:
		return "unavailable";
	}
}

/* A read of the file, then the checks that write nothing. */
static enum ptl_err
shallow(struct ptl_app *app)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_HEALTH);
	bool row;
	enum ptl_err e = ptl_db_step(st, &row);

	ptl_db_done(st);
	if (e != PTL_OK)
		return e;
	if (!row)
		return PTL_ERR_UNAVAILABLE;
	if (ptl_db_moved(app->db))
		return PTL_ERR_DB_REPLACED;
	if (ptl_db_version(app->db) > ptl_db_known_version())
		return PTL_ERR_DB_NEWER;
	return ptl_db_storage(app->db);
}

/* The write of ?deep=1: one row rewritten, committed. */
static enum ptl_err
probe(struct ptl_app *app, int64_t now_ms)
{
	struct ptl_stmt *st;
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_HEALTH_PROBE);
	ptl_db_bind_int(st, 1, now_ms);
	return ptl_db_end(app->db, ptl_db_exec(st));
}

/* Whether the oldest mail that failed and is still queued was queued
 * longer ago than the setting. */
static bool
mail_failing(struct ptl_app *app, int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OUTBOX_OLDEST_FAILING);
	int64_t max_ms = app->cfg.health_mail_max_age_s * 1000;
	bool row, failing = false;

	if (ptl_db_step(st, &row) == PTL_OK && row &&
	    !ptl_db_is_null(st, PTL_COL_OUTBOX_OLDEST_FAILING_CREATED_AT))
		failing =
		    now_ms - ptl_db_int(
				 st, PTL_COL_OUTBOX_OLDEST_FAILING_CREATED_AT) >
		    max_ms;
	ptl_db_done(st);
	return failing;
}

enum ptl_err
ptl_health_check(struct ptl_app *app, bool deep, int64_t now_ms,
		 struct ptl_health *h)
{
	enum ptl_err e;

	memset(h, 0, sizeof(*h));
	if (app->db == NULL) {
		h->database = ptl_health_db_word(app->db_err);
		return PTL_ERR_UNAVAILABLE;
	}
	e = shallow(app);
	if (e == PTL_OK && deep)
		e = probe(app, now_ms);
	if (e != PTL_OK)
		h->database = ptl_health_db_word(e);
	if (mail_failing(app, now_ms))
		h->mail = "failing";
	return h->database == NULL && h->mail == NULL ? PTL_OK
						      : PTL_ERR_UNAVAILABLE;
}
