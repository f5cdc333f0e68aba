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
 * opened: app->db stays NULL and a later call tries again. */
enum ptl_err ptl_app_open_db(struct ptl_app *app) __attribute__((nonnull));

/* Closes the database, forgets the keys and frees the message files. */
void ptl_app_close(struct ptl_app *app);

/* Milliseconds since the Unix epoch (or the test clock). */
int64_t ptl_app_now_ms(const struct ptl_app *app);

#endif
