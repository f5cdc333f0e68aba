/* SPDX-License-Identifier: ISC */
/*
 * copydb: every row from one database into an empty one (copydb.h). The
 * statements are the PTL_Q_COPY_* of lib/adapters/db_sql.c, one set a
 * table; each column is read and bound by its type, so that a blob (a
 * refresh digest) stays bytes and a NULL stays NULL on either engine.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/log.h"
#include "domain/copydb.h"

/* One table: its statements, and the type of each of its columns in the
 * order of its PTL_COL_COPY_* enum: i an integer, t text, b a blob.
 * seq is PTL_Q__MAX for a table without an identity id. A table added by
 * a migration needs its entry here (tests/tools/pgsql-check says so). */
struct table {
	const char *name;
	enum ptl_q read, write, count, seq;
	const char *types;
};

#define TYPES(s, max)                                                          \
	s;                                                                     \
	_Static_assert(sizeof(s) - 1 == (max), #max " types")

static const char users_types[] =
    TYPES("ittttttiiiiiiit", PTL_COL_COPY_USERS__MAX);
static const char sessions_types[] =
    TYPES("iibbbiiiiittit", PTL_COL_COPY_SESSIONS__MAX);
static const char identities_types[] =
    TYPES("ttiii", PTL_COL_COPY_IDENTITIES__MAX);
static const char outbox_types[] =
    TYPES("iiittiiiiiitt", PTL_COL_COPY_OUTBOX__MAX);
static const char audit_types[] = TYPES("iitiitttt", PTL_COL_COPY_AUDIT__MAX);
static const char rate_types[] = TYPES("tiii", PTL_COL_COPY_RATE__MAX);
static const char oauth_types[] = TYPES("bttttbii", PTL_COL_COPY_OAUTH__MAX);
static const char files_types[] = TYPES("tttiiii", PTL_COL_COPY_FILES__MAX);
static const char health_types[] = TYPES("ii", PTL_COL_COPY_HEALTH__MAX);

#define TABLE(name, tag, seq, types)                                           \
	{                                                                      \
		name, PTL_Q_COPY_##tag##_READ, PTL_Q_COPY_##tag##_WRITE,       \
		    PTL_Q_COPY_##tag##_COUNT, seq, types                       \
	}

/* Users first: the other rows name them (foreign keys). */
static const struct table tables[PTL_COPYDB_TABLES] = {
    TABLE("users", USERS, PTL_Q_COPY_USERS_SEQ, users_types),
    TABLE("sessions", SESSIONS, PTL_Q_COPY_SESSIONS_SEQ, sessions_types),
    TABLE("user_identities", IDENTITIES, PTL_Q__MAX, identities_types),
    TABLE("mail_outbox", OUTBOX, PTL_Q_COPY_OUTBOX_SEQ, outbox_types),
    TABLE("audit_log", AUDIT, PTL_Q_COPY_AUDIT_SEQ, audit_types),
    TABLE("rate_limits", RATE, PTL_Q__MAX, rate_types),
    TABLE("oauth_states", OAUTH, PTL_Q__MAX, oauth_types),
    TABLE("files", FILES, PTL_Q__MAX, files_types),
    TABLE("health_probe", HEALTH, PTL_Q__MAX, health_types),
};

/* The rows of table t in db. */
static enum ptl_err
count(struct ptl_db *db, const struct table *t, int64_t *n)
{
	struct ptl_stmt *st = ptl_db_q(db, t->count);
	bool row = false;
	enum ptl_err e = ptl_db_step(st, &row);

	*n = e == PTL_OK && row ? ptl_db_int(st, PTL_COL_COPY_COUNT_N) : 0;
	ptl_db_done(st);
	if (e == PTL_OK && !row)
		e = PTL_ERR_INTERNAL;
	return e;
}

/* Binds column c of the row r is on as parameter c + 1 of w. */
static void
bind_column(struct ptl_stmt *r, struct ptl_stmt *w, int c, char type)
{
	const void *blob;
	const char *text;
	size_t len = 0;

	if (ptl_db_is_null(r, c)) {
		ptl_db_bind_null(w, c + 1);
	} else if (type == 'i') {
		ptl_db_bind_int(w, c + 1, ptl_db_int(r, c));
	} else if (type == 'b') {
		blob = ptl_db_blob(r, c, &len);
		ptl_db_bind_blob(w, c + 1, len > 0 ? blob : "", len);
	} else {
		text = ptl_db_text(r, c);
		ptl_db_bind_text(w, c + 1, text, strlen(text));
	}
}

/* Every row of t from from into to. OUT n: how many. */
static enum ptl_err
copy_table(struct ptl_db *from, struct ptl_db *to, const struct table *t,
	   int64_t *n)
{
	struct ptl_stmt *r = ptl_db_q(from, t->read), *w;
	size_t ncols = strlen(t->types), c;
	bool row = false;
	enum ptl_err e;

	*n = 0;
	for (;;) {
		e = ptl_db_step(r, &row);
		if (e != PTL_OK || !row)
			break;
		w = ptl_db_q(to, t->write);
		for (c = 0; c < ncols; c++)
			bind_column(r, w, (int)c, t->types[c]);
		e = ptl_db_exec(w);
		if (e != PTL_OK) {
			PTL_LOG_ERR("copy-db: a row of %s cannot be written to "
				    "the target (%s)",
				    t->name, ptl_err_info(e)->code);
			break;
		}
		(*n)++;
	}
	ptl_db_done(r);
	return e;
}

/* The next id of t on to past its largest (PostgreSQL's identity). */
static enum ptl_err
move_sequence(struct ptl_db *to, const struct table *t)
{
	struct ptl_stmt *st;
	bool row = false;
	enum ptl_err e;

	if (t->seq == PTL_Q__MAX)
		return PTL_OK;
	st = ptl_db_q(to, t->seq);
	e = ptl_db_step(st, &row);
	ptl_db_done(st);
	return e;
}

/* The copy itself, inside the two transactions. */
static enum ptl_err
copy_all(struct ptl_db *from, struct ptl_db *to,
	 struct ptl_copydb_count counts[PTL_COPYDB_TABLES],
	 const char **nonempty)
{
	int64_t n, written, source;
	size_t i;
	enum ptl_err e;

	for (i = 0; i < PTL_COPYDB_TABLES; i++) {
		e = count(to, &tables[i], &n);
		if (e != PTL_OK)
			return e;
		if (n > 0) {
			*nonempty = tables[i].name;
			return PTL_ERR_CONFLICT;
		}
	}
	for (i = 0; i < PTL_COPYDB_TABLES; i++) {
		e = copy_table(from, to, &tables[i], &written);
		if (e == PTL_OK)
			e = move_sequence(to, &tables[i]);
		if (e == PTL_OK)
			e = count(from, &tables[i], &source);
		if (e == PTL_OK)
			e = count(to, &tables[i], &n);
		if (e != PTL_OK)
			return e;
		if (n != source || written != source) {
			PTL_LOG_ERR("copy-db: %s has %lld rows in the source, "
				    "%lld written, %lld in the target",
				    tables[i].name, (long long)source,
				    (long long)written, (long long)n);
			return PTL_ERR_INTERNAL;
		}
		counts[i].table = tables[i].name;
		counts[i].rows = n;
	}
	return PTL_OK;
}

enum ptl_err
ptl_copydb(struct ptl_db *from, struct ptl_db *to,
	   struct ptl_copydb_count counts[PTL_COPYDB_TABLES],
	   const char **nonempty)
{
	enum ptl_err e;

	*nonempty = NULL;
	e = ptl_db_begin(from);
	if (e != PTL_OK)
		return e;
	e = ptl_db_begin(to);
	if (e != PTL_OK) {
		ptl_db_rollback(from);
		return e;
	}
	e = ptl_db_end(to, copy_all(from, to, counts, nonempty));
	/* Nothing was written to from: its transaction only held writers. */
	ptl_db_rollback(from);
	return e;
}
