/* SPDX-License-Identifier: ISC */
/*
 * app: what one process holds for its whole life, created before the accept
 * loop: the settings, the database with its prepared statements, the keys
 * (in locked, read-only memory) and the password parameters. Domain
 * functions take it as their first argument.
 */
#ifndef PTL_APP_H
#define PTL_APP_H

#include <stddef.h>
#include <stdint.h>

#include "base/cfg.h"
#include "adapters/crypto.h"
#include "adapters/db.h"
#include "base/err.h"

struct ptl_i18n;

/* Mails one request may leave for after its answer (one in practice). */
#define PTL_APP_MAIL_AFTER_MAX 4

struct ptl_key {
	const char *bytes; /* sodium_malloc, read-only */
	size_t len;
	const struct ptl_hmac_key *mac; /* the same key, prepared for signing */
};

struct ptl_app {
	struct ptl_cfg cfg;
	struct ptl_db *db;
	struct ptl_key access_key;
	struct ptl_key refresh_key;
	struct ptl_key confirm_key;
	/* HMAC key that derives refresh secrets from (nonce, generation). */
	const struct ptl_hmac_key *refresh_derive;
	/* HMAC key of the device cookies (domain/device.h), derived from
	 * AUTH_REFRESH_SECRET. */
	const struct ptl_hmac_key *device_key;
	struct ptl_pw_params pw;
	/* The message files of APP_I18N_DIR (domain/i18n.h), loaded at
	 * start. */
	struct ptl_i18n *i18n;
	/* Mails to deliver once the answer is out (domain/outbox.h): outbox
	 * row ids, not request memory. */
	int64_t mail_after[PTL_APP_MAIL_AFTER_MAX];
	size_t nmail_after;
	/* Access tokens already verified by this process (token.c). */
	struct ptl_token_cache *token_cache;
	/* The client of the request being served, named by the audit log
	 * (domain/audit.h: ptl_audit_set_origin). Borrowed from that request;
	 * NULL outside one. */
	const char *client_ip, *client_user_agent;
	/* Why db is NULL: the last open's error (a PTL_ERR_DB_* fault, BUSY,
	 * UNAVAILABLE), which every request is answered with meanwhile. */
	enum ptl_err db_err;
	/* The file this process had open was moved away or replaced
	 * (ptl_app_check_db): no new, empty one is ever made in its place,
	 * and one is opened again only when it is safe (app.c: may_reopen). */
	bool db_lost;
	/* That file, and its -wal and -shm, as stat(2) saw them at open (an
	 * open connection keeps its -wal and -shm: no other process removes
	 * them meanwhile). 0: none. */
	uint64_t db_dev, db_ino, wal_ino, shm_ino;
	/* PostgreSQL (DATABASE_URL) could not be reached: no new try before
	 * db_retry_us (monotonic), the interval doubling from 100 ms to 5 s,
	 * so that a request meanwhile is answered 503 at once. */
	int64_t db_retry_us;
	int db_backoff_ms;
	/* The shipped language of the request being served (ptl_i18n_pick()
	 * of its language header, API.md §12.1), stored with the mails it
	 * queues (domain/outbox.h). Owned by i18n; NULL outside a request:
	 * the fallback language. */
	const char *mail_lang;
	/* Test hook: when non-zero, the time in ms (tests set PTL_FAKE_NOW_MS). */
	int64_t fake_now_ms;
};

/*
 * Loads the settings, starts libsodium, copies the keys and opens (and
 * migrates) the database: ptl_app_load(), then ptl_app_open_db(). Logs the
 * first failure and returns PTL_ERR_INTERNAL for unusable settings,
 * PTL_ERR_UNAVAILABLE when only the database could not be opened (app->db
 * is then NULL; all else is set).
 */
enum ptl_err ptl_app_init(struct ptl_app *app) __attribute__((warn_unused_result));

/*
 * ptl_app_init() without the database (app->db stays NULL): the settings,
 * libsodium, the keys, the message files (ptl_i18n_load(): unreadable
 * ones, or an APP_FALLBACK_LANGUAGE that is not shipped, fail the start)
 * and a check of the mail templates whose problems are logged
 * (ptl_mail_check_templates) but do not fail the start.
 * PTL_ERR_INTERNAL, logged, for unusable settings.
 */
enum ptl_err ptl_app_load(struct ptl_app *app)
	__attribute__((warn_unused_result));

/* Opens (and migrates) the database of the settings into app->db, with
 * their busy timeout and DATABASE_BACKUP_ON_MIGRATE; a no-op when it is
 * open. PTL_ERR_UNAVAILABLE (logged by the db adapter) when it cannot be
 * opened, or when the file was lost and cannot be opened safely yet
 * (ptl_app_check_db; not logged again): app->db stays NULL, app->db_err
 * says why, and a later call tries again. */
enum ptl_err ptl_app_open_db(struct ptl_app *app) __attribute__((nonnull));

/*
 * Between requests: when the file of app->db is no longer the one at
 * DATABASE_PATH (ptl_db_moved: a careless mv, cp --remove-destination or
 * rm of the live file), closes it, so that nothing more is written to
 * the orphan, and logs it once. Every request is then answered 503
 * (db_err PTL_ERR_DB_REPLACED, health "replaced") until the database can
 * be opened safely (ptl_app_open_db): the same file is back at the path,
 * or another is there and the old one's -wal and -shm are no longer
 * beside it (moved away with it; the -wal and -shm there, if any, are
 * the new file's). Opening the new file with the old one's -wal would
 * mix their pages. A connection that SQLite opened read-only (the file
 * was not writable) is opened again once the file is writable. A no-op
 * when the file is the same and writable: one stat(2).
 */
void ptl_app_check_db(struct ptl_app *app) __attribute__((nonnull));

/* Closes the database, forgets the keys and frees the message files. */
void ptl_app_close(struct ptl_app *app);

/* Milliseconds since the Unix epoch (or the test clock). */
int64_t ptl_app_now_ms(const struct ptl_app *app);

#endif
