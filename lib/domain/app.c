/* SPDX-License-Identifier: ISC */
/* app: see app.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "domain/app.h"
#include "domain/i18n.h"
#include "domain/mail.h"
#include "domain/token.h"
#include "base/log.h"
#include "base/str.h"

static const char refresh_label[] = "authportal refresh secret v1";
static const char device_label[] = "authportal device cookie v1";

/* A secret in locked memory, raw (libjwt verifies with it) and prepared
 * for signing. */
static bool
key_init(struct ptl_key *k, const char *secret)
{
	k->len = strlen(secret);
	k->bytes = ptl_crypto_key_copy(secret, k->len);
	k->mac = ptl_crypto_hmac_key_new(secret, k->len);
	return k->bytes != NULL && k->mac != NULL;
}

static void
key_free(struct ptl_key *k)
{
	ptl_crypto_key_free(k->bytes);
	ptl_crypto_hmac_key_free(k->mac);
	k->bytes = NULL;
	k->mac = NULL;
}

/* A key of its own for one use of secret: HMAC(secret, label). NULL
 * (logged) if it cannot be made. */
static const struct ptl_hmac_key *
derive_key(const struct ptl_key *secret, const char *label, size_t label_len)
{
	unsigned char derive[PTL_CRYPTO_DIGEST_LEN];
	const struct ptl_hmac_key *k;

	ptl_crypto_hmac(derive, (const unsigned char *)secret->bytes,
			secret->len, label, label_len);
	k = ptl_crypto_hmac_key_new(derive, sizeof(derive));
	ptl_crypto_wipe(derive, sizeof(derive));
	return k;
}

enum ptl_err
ptl_app_load(struct ptl_app *app)
{
	struct ptl_cfg *cfg = &app->cfg;
	enum ptl_err e;

	memset(app, 0, sizeof(*app));
	e = ptl_cfg_load(cfg);
	if (e != PTL_OK)
		return e;
	e = ptl_crypto_init();
	if (e != PTL_OK)
		return e;
	if (!key_init(&app->access_key, cfg->jwt_secret) ||
	    !key_init(&app->refresh_key, cfg->refresh_secret) ||
	    !key_init(&app->confirm_key, cfg->confirm_secret))
		return PTL_ERR_INTERNAL;
	app->refresh_derive = derive_key(&app->refresh_key, refresh_label,
					 sizeof(refresh_label) - 1);
	app->device_key = derive_key(&app->refresh_key, device_label,
				     sizeof(device_label) - 1);
	if (app->refresh_derive == NULL || app->device_key == NULL)
		return PTL_ERR_INTERNAL;
	app->pw.ops = cfg->argon2_ops;
	app->pw.mem = cfg->argon2_mem;
	/* Caps for hashes read from the database: 4x the configured cost. */
	app->pw.max_ops = cfg->argon2_ops * 4 > 8 ? cfg->argon2_ops * 4 : 8;
	app->pw.max_mem = cfg->argon2_mem * 4 > (256u << 20) ? cfg->argon2_mem * 4
							    : (256u << 20);
	{
		const char *fake = ptl_cfg_get("PTL_FAKE_NOW_MS");
		int64_t v;

		if (fake != NULL && !cfg->production &&
		    ptl_str_to_i64(fake, strlen(fake), 1, INT64_MAX, &v))
			app->fake_now_ms = v;
	}
	/* A fallback language that is not shipped refuses to start (API.md
	 * §10 item 28), before anything is served. */
	e = ptl_i18n_load(&app->i18n, cfg->i18n_dir, cfg->fallback_language);
	if (e != PTL_OK)
		return e;
	/* Mail that cannot be rendered is said at start, not only when the
	 * first one fails in the outbox. Not fatal: the rest works. */
	(void)ptl_mail_check_templates(&cfg->mail, NULL);
	(void)ptl_mail_check_strings(app->i18n, NULL);
	return PTL_OK;
}

/* The inode of path+suffix, 0 when there is none. */
static uint64_t
inode_beside(const char *path, const char *suffix)
{
	char name[4096 + 8];
	struct stat sb;

	if (snprintf(name, sizeof(name), "%s%s", path, suffix) >=
		(int)sizeof(name) ||
	    stat(name, &sb) != 0)
		return 0;
	return (uint64_t)sb.st_ino;
}

/* After the file was lost: the same file is back at the path (moved
 * back), or another is there and the old file's -wal and -shm are not
 * (the ones there, if any, a worker made for the new file). The old
 * -wal holds the old file's last commits, and SQLite would apply them to
 * whatever file has the name (it neither checkpoints nor removes the WAL
 * of a file that moved): they must go with the old file first. */
static bool
may_reopen(const struct ptl_app *app)
{
	const char *path = app->cfg.database_path;
	struct stat sb;

	if (stat(path, &sb) != 0)
		return false;
	if ((uint64_t)sb.st_dev == app->db_dev &&
	    (uint64_t)sb.st_ino == app->db_ino)
		return true;
	return (app->wal_ino == 0 ||
		inode_beside(path, "-wal") != app->wal_ino) &&
	       (app->shm_ino == 0 ||
		inode_beside(path, "-shm") != app->shm_ino);
}

/* Which file was opened, to know it again (may_reopen). */
static void
remember_file(struct ptl_app *app)
{
	struct stat sb;

	if (stat(app->cfg.database_path, &sb) == 0) {
		app->db_dev = (uint64_t)sb.st_dev;
		app->db_ino = (uint64_t)sb.st_ino;
	}
	app->wal_ino = inode_beside(app->cfg.database_path, "-wal");
	app->shm_ino = inode_beside(app->cfg.database_path, "-shm");
}

/* The database of the settings: DATABASE_URL (PostgreSQL) when set,
 * else the file DATABASE_PATH. */
static const char *
db_where(const struct ptl_app *app)
{
	return app->cfg.database_url != NULL ? app->cfg.database_url
					     : app->cfg.database_path;
}

/* PostgreSQL could not be reached: the next try waits, 100 ms doubling
 * to 5 s (a try costs a connection attempt, up to its connect_timeout). */
static void
back_off(struct ptl_app *app)
{
	app->db_backoff_ms = app->db_backoff_ms == 0 ? 100
			     : app->db_backoff_ms >= 2500 ? 5000
							  : app->db_backoff_ms * 2;
	app->db_retry_us =
	    ptl_clock_mono_us() + (int64_t)app->db_backoff_ms * 1000;
}

enum ptl_err
ptl_app_open_db(struct ptl_app *app)
{
	const struct ptl_db_opts opts = {
		.busy_timeout_ms = app->cfg.busy_timeout_ms,
		.backup_on_migrate = app->cfg.backup_on_migrate,
		.no_create = app->db_lost,
		.quiet = app->db_backoff_ms != 0,
	};
	bool pg = app->cfg.database_url != NULL;
	enum ptl_err e;

	if (app->db != NULL)
		return PTL_OK;
	if (db_where(app) == NULL) {
		app->db_err = PTL_ERR_UNAVAILABLE;
		return PTL_ERR_UNAVAILABLE;
	}
	if (pg && app->db_backoff_ms != 0 &&
	    ptl_clock_mono_us() < app->db_retry_us)
		return PTL_ERR_UNAVAILABLE; /* db_err as the last try left it */
	if (!pg && app->db_lost && !may_reopen(app)) {
		app->db_err = PTL_ERR_DB_REPLACED;
		return PTL_ERR_UNAVAILABLE;
	}
	e = ptl_db_open_with(db_where(app), &opts, &app->db);
	if (e != PTL_OK) {
		app->db = NULL;
		app->db_err = e;
		if (pg)
			back_off(app);
		return PTL_ERR_UNAVAILABLE;
	}
	if (pg) {
		char what[256];

		if (app->db_backoff_ms != 0) {
			ptl_db_describe(db_where(app), what, sizeof(what));
			PTL_LOG_WARN("%s: connected", what);
		}
		app->db_backoff_ms = 0;
		app->db_err = PTL_OK;
		return PTL_OK;
	}
	if (app->db_lost)
		PTL_LOG_WARN("database %s: opened again (the file that was "
			     "moved away is back, or a new one is there)",
			     app->cfg.database_path);
	app->db_lost = false;
	app->db_err = PTL_OK;
	remember_file(app);
	return PTL_OK;
}

enum ptl_err
ptl_app_init(struct ptl_app *app)
{
	enum ptl_err e = ptl_app_load(app);

	if (e != PTL_OK)
		return e;
	/* Settings are fine: a database failure is reported apart, so that
	 * the server can answer 503 and try again later. */
	return ptl_app_open_db(app);
}

/* A connection that could not write (SQLite opened the file, or its
 * -wal, read-only) is opened again once the files can be written: the
 * fault is over. At most once a second. */
static void
check_writable(struct ptl_app *app)
{
	static int64_t tried_us;
	int64_t now = ptl_clock_mono_us();

	if (!ptl_db_readonly(app->db) &&
	    ptl_db_last_fault(PTL_DB_FAULT_RECENT_US) != PTL_ERR_DB_READONLY)
		return;
	if (now - tried_us < 1000000 || !ptl_db_writable(db_where(app)))
		return;
	tried_us = now;
	ptl_db_close(app->db);
	app->db = NULL;
	/* PostgreSQL: connected to a standby (a failover that DNS now
	 * points elsewhere): connect again. */
	if (ptl_app_open_db(app) == PTL_OK && app->cfg.database_url == NULL)
		PTL_LOG_INFO("database %s: writable again; opened it again",
			     app->cfg.database_path);
}

void
ptl_app_check_db(struct ptl_app *app)
{
	if (app->db == NULL)
		return;
	if (!ptl_db_moved(app->db)) {
		check_writable(app);
		return;
	}
	ptl_db_close(app->db);
	app->db = NULL;
	app->db_lost = true;
	app->db_err = PTL_ERR_DB_REPLACED;
	PTL_LOG_ERR("database %s: the file this process had open was moved "
		    "away, deleted or replaced: closed it (nothing more is "
		    "written to it); answering 503 until it is back, or until "
		    "its -wal and -shm are moved away too (README: \"Backup "
		    "and restore\"); restore with `authportal restore FILE`",
		    app->cfg.database_path);
}

void
ptl_app_close(struct ptl_app *app)
{
	ptl_db_close(app->db);
	app->db = NULL;
	ptl_token_cache_free(app);
	ptl_crypto_hmac_key_free(app->refresh_derive);
	app->refresh_derive = NULL;
	ptl_crypto_hmac_key_free(app->device_key);
	app->device_key = NULL;
	key_free(&app->access_key);
	key_free(&app->refresh_key);
	key_free(&app->confirm_key);
	ptl_i18n_free(app->i18n);
	app->i18n = NULL;
}

int64_t
ptl_app_now_ms(const struct ptl_app *app)
{
	if (app->fake_now_ms != 0)
		return app->fake_now_ms;
	return ptl_clock_now_ms();
}
