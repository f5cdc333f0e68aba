/* SPDX-License-Identifier: ISC */
/*
 * db: see db.h. Every statement of the project is in the table below.
 * Concurrency: many worker processes share the file. WAL lets readers run
 * beside the one writer; every write transaction starts with BEGIN
 * IMMEDIATE and single statements run in autocommit, so SQLITE_BUSY is only
 * returned after busy_timeout, never on a lock upgrade. synchronous=NORMAL
 * in WAL mode keeps every committed transaction across a crash of the
 * process (only a power loss can drop the last ones).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "adapters/db.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The result columns of each statement that returns rows, keyed by their
 * PTL_COL_ names (db.h) and spelt as sqlite3_column_name reports them: the
 * column's own name, or the alias that an expression is given.
 * ptl_db_prepare_all() checks them against the prepared statements.
 */
#define COLS(list) list, LEN(list)
#define COLS_ASSERT(list, max)                                                 \
	_Static_assert(LEN(list) == (max), #list " is not " #max " long")

static const char *const outbox_oldest_failing_cols[] = {
	[PTL_COL_OUTBOX_OLDEST_FAILING_CREATED_AT] = "created_at",
};
COLS_ASSERT(outbox_oldest_failing_cols, PTL_COL_OUTBOX_OLDEST_FAILING__MAX);

static const char *const health_cols[] = {
	[PTL_COL_HEALTH_OK] = "ok",
};
COLS_ASSERT(health_cols, PTL_COL_HEALTH__MAX);

static const char *const user_login_cols[] = {
	[PTL_COL_USER_LOGIN_ID] = "id",
	[PTL_COL_USER_LOGIN_PASSWORD] = "password",
	[PTL_COL_USER_LOGIN_PROVIDER] = "provider",
};
COLS_ASSERT(user_login_cols, PTL_COL_USER_LOGIN__MAX);

/* Of PTL_Q_USER_GET (USER_COLS) and PTL_Q_SESSION_USER (the same with u.) */
#define USER_COLS                                                              \
	"id, email, provider, social_id, first_name, last_name, role_id, "     \
	"status_id, created_at, updated_at, password, " PHOTO_COLS("users")
/* The user's photo (sql/008_files.sql: at most one attached file). */
#define PHOTO_OF(t, col)                                                       \
	"(SELECT f." col " FROM files f WHERE f.owner = " t ".id AND "         \
	"f.attached_at IS NOT NULL)"
#define PHOTO_COLS(t)                                                          \
	PHOTO_OF(t, "id") " AS photo_id, " PHOTO_OF(t, "name") " AS photo_name"
#define FILE_COLS "id, name, type, size, owner, attached_at"
static const char *const user_cols[] = {
	[PTL_COL_USER_ID] = "id",
	[PTL_COL_USER_EMAIL] = "email",
	[PTL_COL_USER_PROVIDER] = "provider",
	[PTL_COL_USER_SOCIAL_ID] = "social_id",
	[PTL_COL_USER_FIRST_NAME] = "first_name",
	[PTL_COL_USER_LAST_NAME] = "last_name",
	[PTL_COL_USER_ROLE_ID] = "role_id",
	[PTL_COL_USER_STATUS_ID] = "status_id",
	[PTL_COL_USER_CREATED_AT] = "created_at",
	[PTL_COL_USER_UPDATED_AT] = "updated_at",
	[PTL_COL_USER_PASSWORD] = "password",
	[PTL_COL_USER_PHOTO_ID] = "photo_id",
	[PTL_COL_USER_PHOTO_NAME] = "photo_name",
};
COLS_ASSERT(user_cols, PTL_COL_USER__MAX);

static const char *const file_cols[] = {
	[PTL_COL_FILE_ID] = "id",
	[PTL_COL_FILE_NAME] = "name",
	[PTL_COL_FILE_TYPE] = "type",
	[PTL_COL_FILE_SIZE] = "size",
	[PTL_COL_FILE_OWNER] = "owner",
	[PTL_COL_FILE_ATTACHED_AT] = "attached_at",
};
COLS_ASSERT(file_cols, PTL_COL_FILE__MAX);

static const char *const file_count_cols[] = {
	[PTL_COL_FILE_COUNT_N] = "n",
};
COLS_ASSERT(file_count_cols, PTL_COL_FILE_COUNT__MAX);

static const char *const user_by_email_any_cols[] = {
	[PTL_COL_USER_BY_EMAIL_ANY_ID] = "id",
};
COLS_ASSERT(user_by_email_any_cols, PTL_COL_USER_BY_EMAIL_ANY__MAX);

static const char *const user_list_cols[] = {
	[PTL_COL_USER_LIST_ID] = "id",
	[PTL_COL_USER_LIST_EMAIL] = "email",
	[PTL_COL_USER_LIST_PROVIDER] = "provider",
	[PTL_COL_USER_LIST_ROLE_ID] = "role_id",
	[PTL_COL_USER_LIST_STATUS_ID] = "status_id",
	[PTL_COL_USER_LIST_CREATED_AT] = "created_at",
	[PTL_COL_USER_LIST_DELETED_AT] = "deleted_at",
	[PTL_COL_USER_LIST_DISABLED_AT] = "disabled_at",
};
COLS_ASSERT(user_list_cols, PTL_COL_USER_LIST__MAX);

static const char *const user_count_role_cols[] = {
	[PTL_COL_USER_COUNT_ROLE_COUNT] = "count",
};
COLS_ASSERT(user_count_role_cols, PTL_COL_USER_COUNT_ROLE__MAX);

static const char *const user_any_cols[] = {
	[PTL_COL_USER_ANY_STATUS_ID] = "status_id",
	[PTL_COL_USER_ANY_GONE] = "gone",
	[PTL_COL_USER_ANY_EMAIL] = "email",
	[PTL_COL_USER_ANY_STAMP] = "security_stamp",
	[PTL_COL_USER_ANY_PENDING_EMAIL] = "pending_email",
};
COLS_ASSERT(user_any_cols, PTL_COL_USER_ANY__MAX);

static const char *const user_state_cols[] = {
	[PTL_COL_USER_STATE_ROLE_ID] = "role_id",
	[PTL_COL_USER_STATE_DELETED] = "deleted",
	[PTL_COL_USER_STATE_DISABLED] = "disabled",
	[PTL_COL_USER_STATE_PROVIDER] = "provider",
};
COLS_ASSERT(user_state_cols, PTL_COL_USER_STATE__MAX);

static const char *const session_get_cols[] = {
	[PTL_COL_SESSION_GET_USER_ID] = "user_id",
	[PTL_COL_SESSION_GET_HASH] = "hash",
	[PTL_COL_SESSION_GET_PREV_HASH] = "prev_hash",
	[PTL_COL_SESSION_GET_NONCE] = "nonce",
	[PTL_COL_SESSION_GET_GENERATION] = "generation",
	[PTL_COL_SESSION_GET_ROTATED_AT] = "rotated_at",
	[PTL_COL_SESSION_GET_EXPIRES_AT] = "expires_at",
	[PTL_COL_SESSION_GET_REVOKED_AT] = "revoked_at",
	[PTL_COL_SESSION_GET_ROLE_ID] = "role_id",
	[PTL_COL_SESSION_GET_USER_LIVE] = "user_live",
};
COLS_ASSERT(session_get_cols, PTL_COL_SESSION_GET__MAX);

static const char *const session_list_cols[] = {
	[PTL_COL_SESSION_LIST_ID] = "id",
	[PTL_COL_SESSION_LIST_CREATED_AT] = "created_at",
	[PTL_COL_SESSION_LIST_LAST_USED_AT] = "last_used_at",
	[PTL_COL_SESSION_LIST_USER_AGENT] = "user_agent",
	[PTL_COL_SESSION_LIST_IP] = "ip",
};
COLS_ASSERT(session_list_cols, PTL_COL_SESSION_LIST__MAX);

static const char *const session_list_admin_cols[] = {
	[PTL_COL_SESSION_LIST_ADMIN_ID] = "id",
	[PTL_COL_SESSION_LIST_ADMIN_EMAIL] = "email",
	[PTL_COL_SESSION_LIST_ADMIN_CREATED_AT] = "created_at",
	[PTL_COL_SESSION_LIST_ADMIN_LAST_USED_AT] = "last_used_at",
	[PTL_COL_SESSION_LIST_ADMIN_USER_AGENT] = "user_agent",
	[PTL_COL_SESSION_LIST_ADMIN_IP] = "ip",
};
COLS_ASSERT(session_list_admin_cols, PTL_COL_SESSION_LIST_ADMIN__MAX);

/* Of PTL_Q_SESSION_TRIM (its RETURNING clause). */
static const char *const session_trim_cols[] = {
	[PTL_COL_SESSION_TRIM_ID] = "id",
};
COLS_ASSERT(session_trim_cols, PTL_COL_SESSION_TRIM__MAX);

/* Of PTL_Q_RATE_HIT (its RETURNING clause) and PTL_Q_RATE_PEEK. */
static const char *const rate_cols[] = {
	[PTL_COL_RATE_COUNT] = "count",
	[PTL_COL_RATE_WINDOW_START] = "window_start",
	[PTL_COL_RATE_LAST_AT] = "last_at",
};
COLS_ASSERT(rate_cols, PTL_COL_RATE__MAX);

static const char *const outbox_get_cols[] = {
	[PTL_COL_OUTBOX_GET_KIND] = "kind",
	[PTL_COL_OUTBOX_GET_USER_ID] = "user_id",
	[PTL_COL_OUTBOX_GET_RECIPIENT] = "recipient",
	[PTL_COL_OUTBOX_GET_NEW_EMAIL] = "new_email",
	[PTL_COL_OUTBOX_GET_ATTEMPTS] = "attempts",
	[PTL_COL_OUTBOX_GET_LANG] = "lang",
};
COLS_ASSERT(outbox_get_cols, PTL_COL_OUTBOX_GET__MAX);

static const char *const outbox_due_cols[] = {
	[PTL_COL_OUTBOX_DUE_ID] = "id",
};
COLS_ASSERT(outbox_due_cols, PTL_COL_OUTBOX_DUE__MAX);

static const char *const outbox_list_cols[] = {
	[PTL_COL_OUTBOX_LIST_ID] = "id",
	[PTL_COL_OUTBOX_LIST_KIND] = "kind",
	[PTL_COL_OUTBOX_LIST_RECIPIENT] = "recipient",
	[PTL_COL_OUTBOX_LIST_CREATED_AT] = "created_at",
	[PTL_COL_OUTBOX_LIST_ATTEMPTS] = "attempts",
	[PTL_COL_OUTBOX_LIST_NEXT_ATTEMPT_AT] = "next_attempt_at",
	[PTL_COL_OUTBOX_LIST_SENT_AT] = "sent_at",
	[PTL_COL_OUTBOX_LIST_FAILED_AT] = "failed_at",
	[PTL_COL_OUTBOX_LIST_LAST_ERROR] = "last_error",
};
COLS_ASSERT(outbox_list_cols, PTL_COL_OUTBOX_LIST__MAX);

static const char *const audit_list_cols[] = {
	[PTL_COL_AUDIT_LIST_AT] = "at",
	[PTL_COL_AUDIT_LIST_EVENT] = "event",
	[PTL_COL_AUDIT_LIST_USER_ID] = "user_id",
	[PTL_COL_AUDIT_LIST_EMAIL] = "email",
	[PTL_COL_AUDIT_LIST_SESSION_ID] = "session_id",
	[PTL_COL_AUDIT_LIST_IP] = "ip",
	[PTL_COL_AUDIT_LIST_DETAIL] = "detail",
	[PTL_COL_AUDIT_LIST_USER_AGENT] = "user_agent",
};
COLS_ASSERT(audit_list_cols, PTL_COL_AUDIT_LIST__MAX);

static const char *const oauth_state_cols[] = {
	[PTL_COL_OAUTH_STATE_PROVIDER] = "provider",
	[PTL_COL_OAUTH_STATE_REDIRECT] = "redirect",
	[PTL_COL_OAUTH_STATE_VERIFIER] = "verifier",
	[PTL_COL_OAUTH_STATE_NONCE] = "nonce",
	[PTL_COL_OAUTH_STATE_BROWSER] = "browser",
	[PTL_COL_OAUTH_STATE_EXPIRES_AT] = "expires_at",
};
COLS_ASSERT(oauth_state_cols, PTL_COL_OAUTH_STATE__MAX);

static const char *const social_user_cols[] = {
	[PTL_COL_SOCIAL_USER_ID] = "id",
	[PTL_COL_SOCIAL_USER_STATUS_ID] = "status_id",
	[PTL_COL_SOCIAL_USER_DISABLED] = "disabled",
};
COLS_ASSERT(social_user_cols, PTL_COL_SOCIAL_USER__MAX);

static const char *const identity_list_cols[] = {
	[PTL_COL_IDENTITY_LIST_PROVIDER] = "provider",
};
COLS_ASSERT(identity_list_cols, PTL_COL_IDENTITY_LIST__MAX);

/* A statement: its name for the log, its SQL, and the names of its result
 * columns (none for a statement that returns no row). */
struct stmt {
	const char *name;
	const char *sql;
	const char *const *cols;
	unsigned ncols;
};

/* The users admin list (API.md §10.23): live users, optionally of some
 * roles, in the order given then by id; NULLs last ascending and first
 * descending as in PostgreSQL, which the (c IS NULL, c) indexes of
 * sql/007_users_admin.sql serve. */
#define USERS_PAGE(order)                                                      \
	"SELECT " USER_COLS " FROM users WHERE deleted_at IS NULL AND "        \
	"disabled_at IS NULL AND (?1 IS NULL OR role_id IN "                   \
	"(SELECT value FROM json_each(?1))) ORDER BY " order                   \
	" LIMIT ?2 OFFSET ?3"
#define USERS_Q(name, order)                                                   \
	[PTL_Q_##name] = {#name, USERS_PAGE(order), COLS(user_cols)}
#define USERS_NULLABLE(name, c)                                                \
	USERS_Q(name, c " IS NULL, " c ", id"),                                \
	    USERS_Q(name##_DESC, c " IS NULL DESC, " c " DESC, id")
#define USERS_PLAIN(name, c)                                                   \
	USERS_Q(name, c ", id"), USERS_Q(name##_DESC, c " DESC, id")
/* Sort key i of PTL_Q_USERS_PAGE_SORTED: parameter k its column code,
 * parameter d its direction. */
#define USERS_KEY(k)                                                           \
	"CASE " k " WHEN 1 THEN id WHEN 2 THEN email WHEN 3 THEN provider "    \
	"WHEN 4 THEN social_id WHEN 5 THEN first_name WHEN 6 THEN last_name "  \
	"WHEN 7 THEN created_at WHEN 8 THEN updated_at END"
#define USERS_SORT(k, d)                                                       \
	"CASE WHEN " d " THEN 0 ELSE (" USERS_KEY(k) ") IS NULL END, "         \
	"CASE WHEN " d " THEN (" USERS_KEY(k) ") IS NULL END DESC, "           \
	"CASE WHEN " d " THEN NULL ELSE " USERS_KEY(k) " END, "                \
	"CASE WHEN " d " THEN " USERS_KEY(k) " END DESC, "
_Static_assert(PTL_DB_SORT_KEYS == 8, "USERS_PAGE_SORTED has 8 keys");

static const struct stmt stmts[PTL_Q__MAX] = {
	USERS_Q(USERS_PAGE, "id"),
	USERS_Q(USERS_PAGE_ID_DESC, "id DESC"),
	USERS_NULLABLE(USERS_PAGE_EMAIL, "email"),
	USERS_PLAIN(USERS_PAGE_PROVIDER, "provider"),
	USERS_NULLABLE(USERS_PAGE_SOCIAL_ID, "social_id"),
	USERS_NULLABLE(USERS_PAGE_FIRST_NAME, "first_name"),
	USERS_NULLABLE(USERS_PAGE_LAST_NAME, "last_name"),
	USERS_PLAIN(USERS_PAGE_CREATED_AT, "created_at"),
	USERS_PLAIN(USERS_PAGE_UPDATED_AT, "updated_at"),
	USERS_Q(USERS_PAGE_SORTED,
		USERS_SORT("?4", "?5") USERS_SORT("?6", "?7")
		USERS_SORT("?8", "?9") USERS_SORT("?10", "?11")
		USERS_SORT("?12", "?13") USERS_SORT("?14", "?15")
		USERS_SORT("?16", "?17") USERS_SORT("?18", "?19") "id"),
	[PTL_Q_USERS_UPDATE] = {"USERS_UPDATE",
		"UPDATE users SET email = coalesce(?2, email), "
		"password = coalesce(?3, password), "
		"first_name = CASE WHEN ?4 THEN ?5 ELSE first_name END, "
		"last_name = CASE WHEN ?6 THEN ?7 ELSE last_name END, "
		"role_id = coalesce(?8, role_id), "
		"status_id = coalesce(?9, status_id), updated_at = ?10 "
		"WHERE id = ?1 AND deleted_at IS NULL AND disabled_at IS NULL"},
	/* Reads the file (its schema page), not only the library. */
	[PTL_Q_HEALTH] = {"HEALTH",
		"SELECT count(*) >= 0 AS ok FROM sqlite_schema",
		COLS(health_cols)},
	[PTL_Q_USER_LOGIN] = {"USER_LOGIN",
		"SELECT id, password, provider FROM users "
		"WHERE email = ?1 AND deleted_at IS NULL AND disabled_at IS NULL",
		COLS(user_login_cols)},
	[PTL_Q_USER_INSERT] = {"USER_INSERT",
		"INSERT INTO users (email, password, provider, social_id, "
		"first_name, last_name, role_id, status_id, created_at, "
		"updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"},
	[PTL_Q_USER_GET] = {"USER_GET",
		"SELECT " USER_COLS " FROM users "
		"WHERE id = ?1 AND deleted_at IS NULL AND disabled_at IS NULL",
		COLS(user_cols)},
	[PTL_Q_USER_BY_EMAIL_ANY] = {"USER_BY_EMAIL_ANY",
		"SELECT id FROM users WHERE email = ?1",
		COLS(user_by_email_any_cols)},
	[PTL_Q_USER_SET_PASSWORD] = {"USER_SET_PASSWORD",
		"UPDATE users SET password = ?2, updated_at = ?3 "
		"WHERE id = ?1"},
	[PTL_Q_USER_SET_NAMES] = {"USER_SET_NAMES",
		"UPDATE users SET "
		"first_name = CASE WHEN ?2 THEN ?3 ELSE first_name END, "
		"last_name = CASE WHEN ?4 THEN ?5 ELSE last_name END, "
		"updated_at = ?6 WHERE id = ?1"},
	[PTL_Q_USER_DELETE] = {"USER_DELETE",
		"UPDATE users SET deleted_at = ?2, updated_at = ?2 "
		"WHERE id = ?1 AND deleted_at IS NULL"},
	[PTL_Q_USER_DISABLE] = {"USER_DISABLE",
		"UPDATE users SET disabled_at = ?2, updated_at = ?2 "
		"WHERE id = ?1 AND disabled_at IS NULL"},
	[PTL_Q_USER_LIST] = {"USER_LIST",
		"SELECT id, email, provider, role_id, status_id, created_at, "
		"deleted_at, disabled_at FROM users ORDER BY id",
		COLS(user_list_cols)},
	[PTL_Q_USER_COUNT_ROLE] = {"USER_COUNT_ROLE",
		"SELECT count(*) AS count FROM users WHERE role_id = ?1",
		COLS(user_count_role_cols)},
	[PTL_Q_SESSION_INSERT] = {"SESSION_INSERT",
		"INSERT INTO sessions (user_id, hash, nonce, generation, "
		"created_at, last_used_at, expires_at, user_agent, ip) "
		"VALUES (?1, ?2, ?3, 0, ?4, ?4, ?5, ?6, ?7)"},
	[PTL_Q_SESSION_GET] = {"SESSION_GET",
		"SELECT s.user_id, s.hash, s.prev_hash, s.nonce, s.generation, "
		"s.rotated_at, s.expires_at, s.revoked_at, u.role_id, "
		"u.deleted_at IS NULL AND u.disabled_at IS NULL AS user_live "
		"FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1",
		COLS(session_get_cols)},
	[PTL_Q_SESSION_USER] = {"SESSION_USER",
		"SELECT u.id, u.email, u.provider, u.social_id, u.first_name, "
		"u.last_name, u.role_id, u.status_id, u.created_at, u.updated_at, "
		"u.password, " PHOTO_COLS("u") " FROM sessions s "
		"JOIN users u ON u.id = s.user_id "
		"WHERE s.id = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 "
		"AND u.id = ?3 AND u.deleted_at IS NULL AND u.disabled_at IS NULL",
		COLS(user_cols)},
	[PTL_Q_SESSION_ROTATE] = {"SESSION_ROTATE",
		"UPDATE sessions SET prev_hash = hash, hash = ?3, "
		"generation = generation + 1, rotated_at = ?4, last_used_at = ?4, "
		"expires_at = ?5 "
		"WHERE id = ?1 AND hash = ?2 AND revoked_at IS NULL"},
	[PTL_Q_SESSION_REVOKE] = {"SESSION_REVOKE",
		"UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 "
		"WHERE id = ?1 AND revoked_at IS NULL"},
	[PTL_Q_SESSION_REVOKE_OWNED] = {"SESSION_REVOKE_OWNED",
		"UPDATE sessions SET revoked_at = ?3, revoke_reason = ?4 "
		"WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL "
		"AND expires_at > ?3"},
	[PTL_Q_SESSION_REVOKE_OTHERS] = {"SESSION_REVOKE_OTHERS",
		"UPDATE sessions SET revoked_at = ?3, revoke_reason = ?4 "
		"WHERE user_id = ?1 AND id <> ?2 AND revoked_at IS NULL"},
	[PTL_Q_SESSION_REVOKE_ALL] = {"SESSION_REVOKE_ALL",
		"UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 "
		"WHERE user_id = ?1 AND revoked_at IS NULL"},
	[PTL_Q_SESSION_LIST] = {"SESSION_LIST",
		"SELECT id, created_at, last_used_at, user_agent, ip "
		"FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL "
		"AND expires_at > ?2 ORDER BY id DESC LIMIT ?3",
		COLS(session_list_cols)},
	[PTL_Q_SESSION_LIST_ADMIN] = {"SESSION_LIST_ADMIN",
		"SELECT s.id, u.email, s.created_at, s.last_used_at, "
		"s.user_agent, s.ip FROM sessions s JOIN users u "
		"ON u.id = s.user_id WHERE s.revoked_at IS NULL "
		"AND s.expires_at > ?1 AND (?2 IS NULL OR u.email = ?2) "
		"ORDER BY s.id",
		COLS(session_list_admin_cols)},
	[PTL_Q_AUDIT_INSERT] = {"AUDIT_INSERT",
		"INSERT INTO audit_log (at, event, user_id, session_id, ip, "
		"detail, user_agent, email) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
	/* A window opens at the first event after the last one closed, so
	 * that a limit of 1 per minute means a minute between two events. */
	[PTL_Q_RATE_HIT] = {"RATE_HIT",
		"INSERT INTO rate_limits (key, window_start, count, last_at) "
		"VALUES (?1, ?2, 1, ?2) ON CONFLICT (key) DO UPDATE SET "
		"count = CASE WHEN ?2 - window_start < ?3 THEN count + 1 "
		"ELSE 1 END, "
		"window_start = CASE WHEN ?2 - window_start < ?3 THEN "
		"window_start ELSE ?2 END, last_at = ?2 "
		"RETURNING count, window_start, last_at",
		COLS(rate_cols)},
	[PTL_Q_RATE_PEEK] = {"RATE_PEEK",
		"SELECT count, window_start, "
		"coalesce(last_at, window_start) AS last_at "
		"FROM rate_limits WHERE key = ?1 AND ?2 - window_start < ?3",
		COLS(rate_cols)},
	[PTL_Q_USER_SET_STATUS] = {"USER_SET_STATUS",
		"UPDATE users SET status_id = ?2, updated_at = ?3 "
		"WHERE id = ?1"},
	[PTL_Q_USER_SET_EMAIL] = {"USER_SET_EMAIL",
		"UPDATE users SET email = ?2, status_id = ?3, updated_at = ?4 "
		"WHERE id = ?1"},
	[PTL_Q_USER_ANY] = {"USER_ANY",
		"SELECT status_id, deleted_at IS NOT NULL OR disabled_at IS NOT "
		"NULL AS gone, email, security_stamp, pending_email FROM users "
		"WHERE id = ?1",
		COLS(user_any_cols)},
	[PTL_Q_OUTBOX_INSERT] = {"OUTBOX_INSERT",
		"INSERT INTO mail_outbox (kind, user_id, recipient, new_email, "
		"created_at, next_attempt_at, lang) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)"},
	[PTL_Q_OUTBOX_CLAIM] = {"OUTBOX_CLAIM",
		"UPDATE mail_outbox SET claimed_until = ?3 WHERE id = ?1 "
		"AND sent_at IS NULL AND failed_at IS NULL "
		"AND (claimed_until IS NULL OR claimed_until < ?2)"},
	[PTL_Q_OUTBOX_GET] = {"OUTBOX_GET",
		"SELECT kind, user_id, recipient, new_email, attempts, lang "
		"FROM mail_outbox WHERE id = ?1",
		COLS(outbox_get_cols)},
	[PTL_Q_OUTBOX_SENT] = {"OUTBOX_SENT",
		"UPDATE mail_outbox SET sent_at = ?2, attempts = attempts + 1, "
		"claimed_until = NULL, last_error = NULL WHERE id = ?1"},
	[PTL_Q_OUTBOX_RETRY] = {"OUTBOX_RETRY",
		"UPDATE mail_outbox SET attempts = attempts + 1, "
		"next_attempt_at = ?2, failed_at = ?3, last_error = ?4, "
		"claimed_until = NULL WHERE id = ?1"},
	[PTL_Q_OUTBOX_DUE] = {"OUTBOX_DUE",
		"SELECT id FROM mail_outbox WHERE sent_at IS NULL AND "
		"failed_at IS NULL AND next_attempt_at <= ?3 "
		"AND (claimed_until IS NULL OR claimed_until < ?1) "
		"ORDER BY next_attempt_at LIMIT ?2",
		COLS(outbox_due_cols)},
	[PTL_Q_OUTBOX_LIST] = {"OUTBOX_LIST",
		"SELECT id, kind, recipient, created_at, attempts, "
		"next_attempt_at, sent_at, failed_at, last_error "
		"FROM mail_outbox ORDER BY id DESC LIMIT ?1",
		COLS(outbox_list_cols)},
	/* --user EMAIL: the rows of the account that has the address now
	 * and the rows about the address itself (an unknown one). */
	[PTL_Q_AUDIT_LIST] = {"AUDIT_LIST",
		"SELECT a.at, a.event, a.user_id, "
		"coalesce(u.email, a.email) AS email, a.session_id, a.ip, "
		"a.detail, a.user_agent FROM audit_log a "
		"LEFT JOIN users u ON u.id = a.user_id WHERE a.at >= ?1 AND "
		"(?2 IS NULL OR a.email = ?2 OR a.user_id = "
		"(SELECT id FROM users WHERE email = ?2)) "
		"ORDER BY a.at DESC, a.id DESC LIMIT ?3",
		COLS(audit_list_cols)},
	/* The gc statements: ?1 the cutoff, ?2 the batch size. */
	[PTL_Q_AUDIT_PRUNE] = {"AUDIT_PRUNE",
		"DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log "
		"WHERE at < ?1 LIMIT ?2)"},
	[PTL_Q_SESSION_PRUNE] = {"SESSION_PRUNE",
		"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
		"WHERE revoked_at < ?1 OR expires_at < ?1 LIMIT ?2)"},
	[PTL_Q_OUTBOX_PRUNE] = {"OUTBOX_PRUNE",
		"DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox "
		"WHERE sent_at < ?1 OR failed_at < ?1 LIMIT ?2)"},
	[PTL_Q_RATE_PRUNE] = {"RATE_PRUNE",
		"DELETE FROM rate_limits WHERE key IN (SELECT key FROM "
		"rate_limits WHERE window_start < ?1 LIMIT ?2)"},
	/* ?2: the change was proved through a mailed link (a reset): an
	 * Inactive account becomes ?3 (Active). */
	[PTL_Q_USER_NEW_STAMP] = {"USER_NEW_STAMP",
		"UPDATE users SET security_stamp = security_stamp + 1, "
		"pending_email = NULL, "
		"status_id = CASE WHEN ?2 THEN ?3 ELSE status_id END "
		"WHERE id = ?1"},
	[PTL_Q_USER_SET_PENDING] = {"USER_SET_PENDING",
		"UPDATE users SET pending_email = ?2 WHERE id = ?1"},
	/* A row being delivered (claimed) is left to its worker. */
	[PTL_Q_OUTBOX_CANCEL_USER] = {"OUTBOX_CANCEL_USER",
		"UPDATE mail_outbox SET failed_at = ?2, last_error = 'superseded' "
		"WHERE user_id = ?1 AND sent_at IS NULL AND failed_at IS NULL "
		"AND (claimed_until IS NULL OR claimed_until < ?2)"},
	/* Ends the live sessions of user ?1 past the ?2 most recently used
	 * (the new one among them), and names them. */
	[PTL_Q_SESSION_TRIM] = {"SESSION_TRIM",
		"UPDATE sessions SET revoked_at = ?3, revoke_reason = ?4 "
		"WHERE id IN (SELECT id FROM sessions WHERE user_id = ?1 "
		"AND revoked_at IS NULL AND expires_at > ?3 "
		"ORDER BY last_used_at DESC, id DESC LIMIT -1 OFFSET ?2) "
		"RETURNING id",
		COLS(session_trim_cols)},
	[PTL_Q_USER_ENABLE] = {"USER_ENABLE",
		"UPDATE users SET disabled_at = NULL, updated_at = ?2 "
		"WHERE id = ?1 AND disabled_at IS NOT NULL"},
	[PTL_Q_USER_SET_ROLE] = {"USER_SET_ROLE",
		"UPDATE users SET role_id = ?2, updated_at = ?3 WHERE id = ?1"},
	[PTL_Q_USER_STATE] = {"USER_STATE",
		"SELECT role_id, deleted_at IS NOT NULL AS deleted, "
		"disabled_at IS NOT NULL AS disabled, provider FROM users "
		"WHERE id = ?1",
		COLS(user_state_cols)},
	/* Social sign-in (domain/social.c, sql/006_social.sql). */
	[PTL_Q_OAUTH_STATE_INSERT] = {"OAUTH_STATE_INSERT",
		"INSERT INTO oauth_states (hash, provider, redirect, verifier, "
		"nonce, browser, created_at, expires_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
	/* A state is spent by its first callback, whatever comes of it. */
	[PTL_Q_OAUTH_STATE_TAKE] = {"OAUTH_STATE_TAKE",
		"DELETE FROM oauth_states WHERE hash = ?1 "
		"RETURNING provider, redirect, verifier, nonce, browser, "
		"expires_at",
		COLS(oauth_state_cols)},
	[PTL_Q_OAUTH_STATE_PRUNE] = {"OAUTH_STATE_PRUNE",
		"DELETE FROM oauth_states WHERE hash IN (SELECT hash FROM "
		"oauth_states WHERE expires_at < ?1 LIMIT ?2)"},
	/* By identity first, then by the users row's own provider and
	 * social_id (rows made before 006, or by the users API). */
	[PTL_Q_SOCIAL_USER] = {"SOCIAL_USER",
		"SELECT id, status_id, disabled_at IS NOT NULL AS disabled "
		"FROM users WHERE deleted_at IS NULL AND (id = (SELECT user_id "
		"FROM user_identities WHERE provider = ?1 AND subject = ?2) OR "
		"(provider = ?1 AND social_id = ?2)) "
		"ORDER BY id = (SELECT user_id FROM user_identities WHERE "
		"provider = ?1 AND subject = ?2) DESC, id LIMIT 1",
		COLS(social_user_cols)},
	[PTL_Q_SOCIAL_BY_EMAIL] = {"SOCIAL_BY_EMAIL",
		"SELECT id, status_id, disabled_at IS NOT NULL AS disabled "
		"FROM users WHERE email = ?1 AND deleted_at IS NULL",
		COLS(social_user_cols)},
	[PTL_Q_IDENTITY_UPSERT] = {"IDENTITY_UPSERT",
		"INSERT INTO user_identities (provider, subject, user_id, "
		"created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?4) "
		"ON CONFLICT (provider, subject) DO UPDATE SET "
		"user_id = excluded.user_id, last_used_at = excluded.last_used_at"},
	[PTL_Q_IDENTITY_LIST] = {"IDENTITY_LIST",
		"SELECT DISTINCT provider FROM (SELECT provider FROM "
		"user_identities WHERE user_id = ?1 UNION SELECT provider FROM "
		"users WHERE id = ?1 AND provider <> 'email') ORDER BY provider",
		COLS(identity_list_cols)},
	[PTL_Q_USER_SET_SOCIAL] = {"USER_SET_SOCIAL",
		"UPDATE users SET provider = ?2, social_id = ?3, updated_at = ?4 "
		"WHERE id = ?1"},
	[PTL_Q_USER_SET_EMAIL_ONLY] = {"USER_SET_EMAIL_ONLY",
		"UPDATE users SET email = ?2, updated_at = ?3 WHERE id = ?1"},
	[PTL_Q_HEALTH_PROBE] = {"HEALTH_PROBE",
		"INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, ?1)"},
	/* A mail that failed at least once and is neither sent nor given
	 * up: how long delivery has been failing (health). */
	[PTL_Q_OUTBOX_OLDEST_FAILING] = {"OUTBOX_OLDEST_FAILING",
		"SELECT min(created_at) AS created_at FROM mail_outbox "
		"WHERE sent_at IS NULL AND failed_at IS NULL AND attempts > 0",
		COLS(outbox_oldest_failing_cols)},
	[PTL_Q_FILE_INSERT] = {"FILE_INSERT",
		"INSERT INTO files (id, name, type, size, owner, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
	[PTL_Q_FILE_BY_NAME] = {"FILE_BY_NAME",
		"SELECT " FILE_COLS " FROM files WHERE name = ?1",
		COLS(file_cols)},
	[PTL_Q_FILE_BY_ID] = {"FILE_BY_ID",
		"SELECT " FILE_COLS " FROM files WHERE id = ?1",
		COLS(file_cols)},
	[PTL_Q_FILE_PHOTO] = {"FILE_PHOTO",
		"SELECT " FILE_COLS " FROM files "
		"WHERE owner = ?1 AND attached_at IS NOT NULL",
		COLS(file_cols)},
	[PTL_Q_FILE_COUNT_LOOSE] = {"FILE_COUNT_LOOSE",
		"SELECT count(*) AS n FROM files "
		"WHERE owner = ?1 AND attached_at IS NULL",
		COLS(file_count_cols)},
	[PTL_Q_FILE_ATTACH] = {"FILE_ATTACH",
		"UPDATE files SET owner = ?2, attached_at = ?3 WHERE id = ?1"},
	[PTL_Q_FILE_DELETE] = {"FILE_DELETE",
		"DELETE FROM files WHERE id = ?1"},
	[PTL_Q_FILE_STALE] = {"FILE_STALE",
		"SELECT " FILE_COLS " FROM files WHERE (attached_at IS NULL "
		"AND created_at < ?1) OR owner IN (SELECT id FROM users "
		"WHERE deleted_at IS NOT NULL) LIMIT ?2",
		COLS(file_cols)},
	[PTL_Q_FILE_OWNED] = {"FILE_OWNED",
		"SELECT " FILE_COLS " FROM files WHERE owner = ?1 LIMIT ?2",
		COLS(file_cols)},
};

struct ptl_db {
	sqlite3 *h;
	sqlite3_stmt *stmts[PTL_Q__MAX];
	bool in_tx;
	bool backup_on_migrate;
	int busy_timeout_ms;
	int64_t busy_since_us;
	unsigned calls; /* ptl_db_maintain() */
};

/* A statement handle is the sqlite3_stmt; the wrapper type keeps sqlite3.h
 * out of every other file. */
#define ST(s) ((sqlite3_stmt *)(void *)(s))

enum ptl_err
ptl_db_fault_of(int rc, int sys_errno)
{
	int base = rc & 0xff;

	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return PTL_ERR_BUSY;
	if (base == SQLITE_FULL)
		return PTL_ERR_DB_FULL;
	if (base == SQLITE_READONLY)
		return PTL_ERR_DB_READONLY;
	if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB)
		return PTL_ERR_DB_IO;
	if (base != SQLITE_IOERR && base != SQLITE_CANTOPEN)
		return PTL_OK;
	/* An I/O error names its cause in errno: a full disk or quota
	 * (SQLite says SQLITE_FULL only for a short write), a file past
	 * RLIMIT_FSIZE, a folder or file that cannot be written. */
	if (sys_errno == ENOSPC || sys_errno == EDQUOT || sys_errno == EFBIG)
		return PTL_ERR_DB_FULL;
	if (sys_errno == EACCES || sys_errno == EPERM || sys_errno == EROFS)
		return PTL_ERR_DB_READONLY;
	return PTL_ERR_DB_IO;
}

/* The storage faults this process saw: when each was last logged, and
 * the last one (ptl_db_last_fault). Process state, as the log is. */
static int64_t fault_logged_us[PTL_ERR__MAX];
static enum ptl_err last_fault;
static int64_t last_fault_us;

#define FAULT_LOG_EVERY_US (60 * 1000000LL)

/* One log line per cause a minute at most: a full disk fails every write
 * of every request, and the log is on the same disk. */
static void
note_fault(sqlite3 *h, enum ptl_err e, int rc, const char *what)
{
	int64_t now = ptl_clock_mono_us();
	int sys = sqlite3_system_errno(h);

	last_fault = e;
	last_fault_us = now;
	if (fault_logged_us[e] != 0 &&
	    now - fault_logged_us[e] < FAULT_LOG_EVERY_US)
		return;
	fault_logged_us[e] = now != 0 ? now : 1;
	PTL_LOG_ERR("database %s: %s (sqlite %d%s%s) in %.200s; answering 503 "
		    "(the same cause is logged again in a minute at most)",
		    ptl_err_info(e)->code, sqlite3_errmsg(h), rc,
		    sys != 0 ? ", " : "", sys != 0 ? strerror(sys) : "", what);
}

enum ptl_err
ptl_db_last_fault(int64_t within_us)
{
	if (last_fault == PTL_OK ||
	    ptl_clock_mono_us() - last_fault_us > within_us)
		return PTL_OK;
	return last_fault;
}

void
ptl_db_fault_reset(void)
{
	memset(fault_logged_us, 0, sizeof(fault_logged_us));
	last_fault = PTL_OK;
	last_fault_us = 0;
}

static enum ptl_err
map_rc(sqlite3 *h, int rc, const char *what)
{
	int base = rc & 0xff;
	enum ptl_err e;

	if (base == SQLITE_CONSTRAINT &&
	    (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY))
		return PTL_ERR_CONFLICT;
	e = ptl_db_fault_of(rc, sqlite3_system_errno(h));
	if (e != PTL_OK) {
		note_fault(h, e, rc, what);
		return e;
	}
	PTL_LOG_ERR("sqlite: %s: %s (%d)", what, sqlite3_errmsg(h), rc);
	return PTL_ERR_INTERNAL;
}

static enum ptl_err
exec_sql(struct ptl_db *db, const char *text)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, text, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		enum ptl_err e = map_rc(db->h, rc, text);

		sqlite3_free(msg);
		return e;
	}
	return PTL_OK;
}

unsigned
ptl_db_version(struct ptl_db *db)
{
	sqlite3_stmt *st = NULL;
	unsigned v = 0;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = (unsigned)sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

unsigned
ptl_db_known_version(void)
{
	return ptl_migrations_len > 0
		       ? ptl_migrations[ptl_migrations_len - 1].version
		       : 0;
}

/* ---- backups ------------------------------------------------------------ */

/* Creates path, empty, mode 0600 (whatever the umask adds to that): the
 * files SQLite makes beside it (-wal, -shm, -journal) take its mode. false
 * with errno set when it exists or cannot be made. */
static bool
create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return false;
	(void)close(fd);
	return true;
}

/*
 * Copies the database of src into path with the online backup API, in one
 * step: one read transaction, so the copy is one consistent snapshot, and
 * in WAL mode no writer waits for it. Written to path.tmp-PID (0600)
 * first, then renamed over path.
 */
static enum ptl_err
backup_from(sqlite3 *src, const char *path)
{
	char tmp[4096];
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		PTL_LOG_ERR("backup %s: path too long", path);
		return PTL_ERR_INTERNAL;
	}
	(void)unlink(tmp);
	if (!create_private(tmp)) {
		PTL_LOG_ERR("backup %s: cannot create %s: %s", path, tmp,
			    strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
	b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", src, "main")
			    : NULL;
	if (b != NULL) {
		rc = sqlite3_backup_step(b, -1);
		rc = sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE
			     ? SQLITE_OK
			     : sqlite3_errcode(dst);
	} else if (rc == SQLITE_OK) {
		rc = sqlite3_errcode(dst);
	}
	if (rc != SQLITE_OK) {
		PTL_LOG_ERR("backup %s: %s", path,
			    dst != NULL ? sqlite3_errmsg(dst)
					: "out of memory");
		sqlite3_close(dst);
		(void)unlink(tmp);
		return PTL_ERR_INTERNAL;
	}
	sqlite3_close(dst);
	if (rename(tmp, path) != 0) {
		PTL_LOG_ERR("backup %s: cannot rename %s: %s", path, tmp,
			    strerror(errno));
		(void)unlink(tmp);
		return PTL_ERR_INTERNAL;
	}
	return PTL_OK;
}

enum ptl_err
ptl_db_backup(struct ptl_db *db, const char *path)
{
	return backup_from(db->h, path);
}

/*
 * The backup before a migration, beside the file:
 * <db>.schema<N>-<YYYYMMDDTHHMMSSZ>.bak. db holds the write lock (BEGIN
 * IMMEDIATE, nothing written yet), which a backup through db itself would
 * refuse: a second, read-only connection reads the last commit instead.
 */
static enum ptl_err
backup_before_migrating(struct ptl_db *db, unsigned version)
{
	const char *file = sqlite3_db_filename(db->h, "main");
	char path[4096], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	sqlite3 *src = NULL;
	enum ptl_err e;

	if (file == NULL || *file == '\0')
		return PTL_OK; /* a temporary or in-memory database */
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0 ||
	    snprintf(path, sizeof(path), "%s.schema%u-%s.bak", file, version,
		     stamp) >= (int)sizeof(path)) {
		PTL_LOG_ERR("backup of %s: cannot name it", file);
		return PTL_ERR_INTERNAL;
	}
	if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		PTL_LOG_ERR("backup of %s: %s", file,
			    src != NULL ? sqlite3_errmsg(src)
					: "out of memory");
		sqlite3_close(src);
		return PTL_ERR_INTERNAL;
	}
	sqlite3_busy_timeout(src, db->busy_timeout_ms);
	e = backup_from(src, path);
	sqlite3_close(src);
	if (e != PTL_OK) {
		PTL_LOG_ERR("not migrating %s without its backup (set "
			    "DATABASE_BACKUP_ON_MIGRATE=false to migrate "
			    "without one)", file);
		return e;
	}
	PTL_LOG_INFO("database %s at schema version %u backed up to %s "
		     "before migrating", file, version, path);
	return PTL_OK;
}

/* ---- restore, and the faults of the machine ------------------------------ */

/* Opens the backup at from to read it, and checks that it can be
 * restored: a database that passes quick_check, with a schema this
 * program knows. OUT src. */
static enum ptl_err
open_backup(const char *from, sqlite3 **src)
{
	sqlite3_stmt *st = NULL;
	const char *verdict = NULL;
	int v = -1;

	*src = NULL;
	if (access(from, R_OK) != 0 ||
	    sqlite3_open_v2(from, src, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK) {
		PTL_LOG_ERR("restore: cannot open %s: %s", from,
			    *src != NULL ? sqlite3_errmsg(*src)
					 : strerror(errno));
		return PTL_ERR_BAD_REQUEST;
	}
	if (sqlite3_prepare_v2(*src, "PRAGMA quick_check", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		verdict = (const char *)sqlite3_column_text(st, 0);
	if (verdict == NULL || strcmp(verdict, "ok") != 0) {
		PTL_LOG_ERR("restore: %s is not a sound database (%s)", from,
			    verdict != NULL ? verdict : sqlite3_errmsg(*src));
		sqlite3_finalize(st);
		return PTL_ERR_BAD_REQUEST;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(*src, "PRAGMA user_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v < 1 || (unsigned)v > ptl_db_known_version()) {
		PTL_LOG_ERR("restore: %s has schema version %d; this program "
			    "restores 1 to %u", from, v,
			    ptl_db_known_version());
		return PTL_ERR_BAD_REQUEST;
	}
	return PTL_OK;
}

/* Copies src over the live database of db in one step: the backup API
 * takes db's write lock (its busy handler waits for it) and commits once. */
static enum ptl_err
copy_in(struct ptl_db *db, sqlite3 *src, const char *from)
{
	sqlite3_backup *b = sqlite3_backup_init(db->h, "main", src, "main");
	int rc, rc2;

	if (b == NULL)
		return map_rc(db->h, sqlite3_errcode(db->h), "restore");
	rc = sqlite3_backup_step(b, -1);
	rc2 = sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE && rc2 == SQLITE_OK)
		return PTL_OK;
	if (rc == SQLITE_DONE || rc == SQLITE_OK)
		rc = rc2;
	PTL_LOG_ERR("restore from %s failed, nothing changed: %s", from,
		    sqlite3_errstr(rc));
	return map_rc(db->h, rc, "restore");
}

enum ptl_err
ptl_db_restore(struct ptl_db *db, const char *from)
{
	sqlite3 *src = NULL;
	enum ptl_err e = open_backup(from, &src);

	if (e == PTL_OK)
		e = copy_in(db, src, from);
	sqlite3_close(src);
	if (e != PTL_OK)
		return e;
	return ptl_db_migrate(db, NULL);
}

bool
ptl_db_moved(struct ptl_db *db)
{
	int moved = 0;

	if (sqlite3_file_control(db->h, "main", SQLITE_FCNTL_HAS_MOVED,
				 &moved) != SQLITE_OK)
		return false;
	return moved != 0;
}

bool
ptl_db_readonly(struct ptl_db *db)
{
	return sqlite3_db_readonly(db->h, "main") == 1;
}

/* Whether path, and its -wal and -shm where they exist, can be written:
 * SQLite gives a new -wal and -shm the mode of the database file, so a
 * file made read-only leaves them read-only too. */
static bool
files_writable(const char *path)
{
	static const char *const suffixes[] = {"-wal", "-shm"};
	char name[4096 + 8];
	size_t i;

	if (access(path, W_OK) != 0)
		return false;
	for (i = 0; i < LEN(suffixes); i++) {
		if (snprintf(name, sizeof(name), "%s%s", path, suffixes[i]) <
			    (int)sizeof(name) &&
		    access(name, F_OK) == 0 && access(name, W_OK) != 0)
			return false;
	}
	return true;
}

bool
ptl_db_writable(const char *path)
{
	return files_writable(path);
}

enum ptl_err
ptl_db_storage(struct ptl_db *db)
{
	const char *file = sqlite3_db_filename(db->h, "main");
	const char *slash;
	char dir[4096];
	struct statvfs vfs;

	if (file == NULL || *file == '\0')
		return PTL_OK;
	slash = strrchr(file, '/');
	(void)snprintf(dir, sizeof(dir), "%.*s",
		       slash != NULL && slash != file ? (int)(slash - file) : 1,
		       slash != NULL ? file : ".");
	if (statvfs(dir, &vfs) == 0 && vfs.f_bavail * vfs.f_frsize <
					   (unsigned long long)PTL_DB_FREE_MIN)
		return PTL_ERR_DB_FULL;
	if (sqlite3_db_readonly(db->h, "main") == 1 || !files_writable(file) ||
	    access(dir, W_OK) != 0)
		return PTL_ERR_DB_READONLY;
	return PTL_OK;
}

/* Runs every migration above version from, and sets user_version, inside
 * the open transaction. OUT n: how many ran. */
static enum ptl_err
apply_from(struct ptl_db *db, unsigned from, unsigned *n)
{
	unsigned i;

	for (i = 0; i < ptl_migrations_len; i++) {
		const struct ptl_migration *m = &ptl_migrations[i];
		char pragma[64];
		enum ptl_err e;

		if (m->version <= from)
			continue;
		(void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %u",
			       m->version);
		e = exec_sql(db, m->sql);
		if (e == PTL_OK)
			e = exec_sql(db, pragma);
		if (e != PTL_OK) {
			PTL_LOG_ERR("migration %s failed", m->name);
			return e;
		}
		(*n)++;
	}
	return PTL_OK;
}

enum ptl_err
ptl_db_migrate(struct ptl_db *db, unsigned *applied)
{
	unsigned from, n = 0;
	enum ptl_err e;

	if (applied != NULL)
		*applied = 0;
	/* The common case, without taking the write lock. */
	if (ptl_db_version(db) >= ptl_db_known_version())
		return PTL_OK;
	/* The version is read again inside the write lock: another process
	 * may have migrated meanwhile. The backup and every migration are one
	 * step under that lock, so that of the workers that start together
	 * after an upgrade one backs up and migrates, and the others find the
	 * work done. */
	e = ptl_db_begin(db);
	if (e != PTL_OK)
		return e;
	from = ptl_db_version(db);
	if (from >= ptl_db_known_version()) {
		ptl_db_rollback(db);
		return PTL_OK;
	}
	if (from > 0 && db->backup_on_migrate)
		e = backup_before_migrating(db, from);
	if (e == PTL_OK)
		e = apply_from(db, from, &n);
	e = ptl_db_end(db, e);
	if (e != PTL_OK)
		return e;
	if (from == 0)
		PTL_LOG_INFO("database created at schema version %u",
			     ptl_db_known_version());
	else
		PTL_LOG_INFO("database migrated from schema version %u to %u "
			     "(%u migration(s))", from, ptl_db_known_version(),
			     n);
	if (applied != NULL)
		*applied = n;
	return PTL_OK;
}

/* Statements are prepared on first use and kept for the life of the
 * process: a FastCGI worker prepares each once, and a CGI process (one
 * request) prepares only the few it runs. */
static enum ptl_err
prepare(struct ptl_db *db, enum ptl_q q)
{
	const char *text = stmts[q].sql;
	int rc = sqlite3_prepare_v3(db->h, text, -1, SQLITE_PREPARE_PERSISTENT,
				    &db->stmts[q], NULL);

	return rc == SQLITE_OK ? PTL_OK : map_rc(db->h, rc, text);
}

/* Logs the first column of statement q that differs from its declared
 * name: got or want is NULL past the end of its list. */
static void
report(enum ptl_q q, unsigned i, const char *got, const char *want)
{
	const char *name = stmts[q].name;

	if (got == NULL)
		PTL_LOG_ERR("statement PTL_Q_%s: declared column %u \"%s\" is "
			    "not in its result", name, i, want);
	else if (want == NULL)
		PTL_LOG_ERR("statement PTL_Q_%s: column %u \"%s\" is not "
			    "declared", name, i, got);
	else
		PTL_LOG_ERR("statement PTL_Q_%s: column %u is \"%s\", "
			    "declared \"%s\"", name, i, got, want);
}

enum ptl_err
ptl_db_check_columns(struct ptl_db *db, enum ptl_q q,
		     const char *const *names, unsigned n)
{
	sqlite3_stmt *st;
	unsigned i, count;

	PTL_ASSERT((unsigned)q < PTL_Q__MAX);
	if (db->stmts[q] == NULL && prepare(db, q) != PTL_OK)
		return PTL_ERR_INTERNAL;
	st = db->stmts[q];
	count = (unsigned)sqlite3_column_count(st);
	for (i = 0; i < n || i < count; i++) {
		const char *got = NULL, *want = i < n ? names[i] : NULL;

		if (i < count) {
			got = sqlite3_column_name(st, (int)i);
			if (got == NULL)
				ptl_mem_oom();
		}
		if (got == NULL || want == NULL || strcmp(got, want) != 0) {
			report(q, i, got, want);
			return PTL_ERR_INTERNAL;
		}
	}
	return PTL_OK;
}

enum ptl_err
ptl_db_prepare_all(struct ptl_db *db)
{
	int i;

	for (i = 0; i < PTL_Q__MAX; i++) {
		const struct stmt *s = &stmts[i];

		if (ptl_db_check_columns(db, (enum ptl_q)i, s->cols,
					 s->ncols) != PTL_OK)
			return PTL_ERR_INTERNAL;
	}
	return PTL_OK;
}

/* SQLite's default busy handler sleeps 1, 2, 5, 10 ... ms between tries:
 * far longer than a write transaction here lasts (tens of microseconds),
 * so under contention workers slept while the lock was free. Retry
 * quickly at first, then back off, until the busy timeout. */
static int
busy_wait(void *ctx, int count)
{
	struct ptl_db *db = ctx;
	struct timespec pause;
	int64_t now_us = ptl_clock_mono_us(), waited_us;

	if (count == 0)
		db->busy_since_us = now_us;
	waited_us = now_us - db->busy_since_us;
	if (waited_us >= (int64_t)db->busy_timeout_ms * 1000)
		return 0;
	/* First give the CPU to the holder (likely runnable on this core),
	 * then sleep a little, then more. */
	if (count < 20) {
		(void)sched_yield();
		return 1;
	}
	pause.tv_sec = 0;
	pause.tv_nsec = count < 200 ? 50000 : 1000000;
	(void)nanosleep(&pause, NULL);
	return 1;
}

/* Switching a new file to WAL takes an exclusive lock without calling the
 * busy handler: when several workers open a new database at once, some get
 * SQLITE_BUSY at once. Retry for up to the busy timeout. */
static enum ptl_err
set_wal(struct ptl_db *db, int busy_timeout_ms)
{
	int waited = 0;

	for (;;) {
		int rc = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL,
				      NULL, NULL);

		if (rc == SQLITE_OK)
			return PTL_OK;
		if ((rc & 0xff) != SQLITE_BUSY || waited >= busy_timeout_ms)
			return map_rc(db->h, rc, "PRAGMA journal_mode = WAL");
		sqlite3_sleep(10);
		waited += 10;
	}
}

/* Whether a -wal or -shm is at path without the database: it was moved
 * away or deleted while in use (its processes keep those files). */
static bool
orphaned_companions(const char *path)
{
	char name[4096 + 8];

	return (snprintf(name, sizeof(name), "%s-wal", path) <
			(int)sizeof(name) &&
		access(name, F_OK) == 0) ||
	       (snprintf(name, sizeof(name), "%s-shm", path) <
			(int)sizeof(name) &&
		access(name, F_OK) == 0);
}

/* The folder of path, checked before SQLite is asked to open it, so that
 * the message says what is wrong rather than "unable to open database
 * file". Creates path, mode 0600, when it does not exist, unless its -wal
 * or -shm is there: a new, empty database must not take the place of one
 * moved away under the running server. */
static enum ptl_err
prepare_file(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat sb;

	if (stat(path, &sb) == 0)
		return PTL_OK;
	if (orphaned_companions(path)) {
		PTL_LOG_ERR("database %s does not exist, but its -wal or -shm "
			    "does: it was moved away or deleted while in use; "
			    "not creating a new one (put it back, or restore "
			    "it: README \"Backup and restore\")",
			    path);
		return PTL_ERR_DB_REPLACED;
	}
	if (slash == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		(void)snprintf(dir, sizeof(dir), "/");
	else
		(void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
			       path);
	if (stat(dir, &sb) != 0) {
		PTL_LOG_ERR("database %s: its folder %s %s (create it, mode "
			    "0700, or set DATABASE_PATH)", path, dir,
			    errno == ENOENT ? "does not exist"
					    : strerror(errno));
		return PTL_ERR_UNAVAILABLE;
	}
	if (!S_ISDIR(sb.st_mode)) {
		PTL_LOG_ERR("database %s: %s is not a folder", path, dir);
		return PTL_ERR_UNAVAILABLE;
	}
	if (!create_private(path) && errno != EEXIST) {
		PTL_LOG_ERR("database %s: cannot create it in %s: %s", path,
			    dir, strerror(errno));
		return PTL_ERR_UNAVAILABLE;
	}
	return PTL_OK;
}

/* A database written by a newer authportal is left alone: this program
 * does not know its tables, and running the old statements on it could
 * damage it. */
static enum ptl_err
check_not_newer(struct ptl_db *db, const char *path)
{
	unsigned v = ptl_db_version(db);

	if (v <= ptl_db_known_version())
		return PTL_OK;
	PTL_LOG_ERR("database %s has schema version %u, newer than this "
		    "program knows (%u): refusing to use it; run the "
		    "authportal that migrated it, or restore the backup taken "
		    "before",
		    path, v, ptl_db_known_version());
	return PTL_ERR_DB_NEWER;
}

enum ptl_err
ptl_db_open_with(const char *path, const struct ptl_db_opts *opts,
		 struct ptl_db **out)
{
	struct ptl_db *db;
	enum ptl_err e;
	int rc;

	*out = NULL;
	if (opts->no_create && access(path, F_OK) != 0)
		return PTL_ERR_DB_REPLACED;
	e = prepare_file(path);
	if (e != PTL_OK)
		return e;
	db = ptl_mem_xmalloc(sizeof(*db));
	memset(db, 0, sizeof(*db));
	rc = sqlite3_open_v2(path, &db->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		PTL_LOG_ERR("sqlite: cannot open %s: %s", path,
			    db->h != NULL ? sqlite3_errmsg(db->h) : "out of memory");
		ptl_db_close(db);
		return PTL_ERR_UNAVAILABLE;
	}
	db->busy_timeout_ms = opts->busy_timeout_ms;
	db->backup_on_migrate = opts->backup_on_migrate;
	sqlite3_busy_handler(db->h, busy_wait, db);
	sqlite3_extended_result_codes(db->h, 1);
	e = check_not_newer(db, path);
	if (e == PTL_OK)
		e = set_wal(db, opts->busy_timeout_ms);
	if (e == PTL_OK)
		e = exec_sql(db, "PRAGMA synchronous = NORMAL; "
				 "PRAGMA foreign_keys = ON; "
				 "PRAGMA trusted_schema = OFF; "
				 /* A small private cache: the OS page cache
				  * holds the file for every worker. (mmap_size
				  * was measured: it costs an mmap, munmap and
				  * fstat per request here.) */
				 "PRAGMA cache_size = -512;");
	if (e == PTL_OK)
		e = ptl_db_migrate(db, NULL);
	if (e != PTL_OK) {
		ptl_db_close(db);
		/* A fault of the machine is named (health says which);
		 * anything else is "unavailable". */
		return ptl_err_info(e)->status == 503 ? e : PTL_ERR_UNAVAILABLE;
	}
	*out = db;
	return PTL_OK;
}

enum ptl_err
ptl_db_open(const char *path, int busy_timeout_ms, struct ptl_db **out)
{
	const struct ptl_db_opts opts = {
		.busy_timeout_ms = busy_timeout_ms,
		.backup_on_migrate = true,
	};

	return ptl_db_open_with(path, &opts, out);
}

/* path as a file: URI (RFC 8089 with SQLite's query parameters): every
 * byte but unreserved ones and '/' percent-encoded. */
static bool
file_uri(char *out, size_t size, const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0, i;

	if (size < 8)
		return false;
	memcpy(out, "file:", 5);
	n = 5;
	for (i = 0; path[i] != '\0'; i++) {
		unsigned char c = (unsigned char)path[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '/' || c == '-' ||
			     c == '.' || c == '_' || c == '~';

		if (n + 4 >= size)
			return false;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	return snprintf(out + n, size - n, "?%s", query) < (int)(size - n);
}

enum ptl_err
ptl_db_open_readonly(const char *path, int busy_timeout_ms,
		     struct ptl_db **out)
{
	char uri[3 * 4096 + 64], wal[4096 + 8];
	struct ptl_db *db;
	int rc;

	*out = NULL;
	(void)snprintf(wal, sizeof(wal), "%s-wal", path);
	/* Without a -wal file the main file holds every commit, and
	 * immutable=1 reads it without the -shm and -wal files a read-only
	 * WAL connection would otherwise create. */
	if (!file_uri(uri, sizeof(uri), path,
		      access(wal, F_OK) == 0 ? "mode=ro"
					     : "mode=ro&immutable=1")) {
		PTL_LOG_ERR("database %s: path too long", path);
		return PTL_ERR_INTERNAL;
	}
	db = ptl_mem_xmalloc(sizeof(*db));
	memset(db, 0, sizeof(*db));
	rc = sqlite3_open_v2(uri, &db->h,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		PTL_LOG_ERR("sqlite: cannot open %s to read it: %s", path,
			    db->h != NULL ? sqlite3_errmsg(db->h)
					  : "out of memory");
		ptl_db_close(db);
		return PTL_ERR_UNAVAILABLE;
	}
	db->busy_timeout_ms = busy_timeout_ms;
	sqlite3_busy_handler(db->h, busy_wait, db);
	sqlite3_extended_result_codes(db->h, 1);
	if (exec_sql(db, "SELECT count(*) FROM sqlite_master") != PTL_OK) {
		ptl_db_close(db);
		return PTL_ERR_UNAVAILABLE;
	}
	*out = db;
	return PTL_OK;
}

void
ptl_db_close(struct ptl_db *db)
{
	int i;

	if (db == NULL)
		return;
	for (i = 0; i < PTL_Q__MAX; i++)
		sqlite3_finalize(db->stmts[i]);
	sqlite3_close(db->h);
	free(db);
}

struct ptl_stmt *
ptl_db_q(struct ptl_db *db, enum ptl_q q)
{
	sqlite3_stmt *st;

	PTL_ASSERT((unsigned)q < PTL_Q__MAX);
	/* The SQL is fixed and the schema migrated: a failure here is a bug. */
	if (db->stmts[q] == NULL)
		PTL_ASSERT(prepare(db, q) == PTL_OK);
	st = db->stmts[q];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (struct ptl_stmt *)(void *)st;
}

static void
check_bind(struct ptl_stmt *st, int rc)
{
	/* Only a programming error (bad index) or OOM can fail a bind. */
	if (rc == SQLITE_NOMEM)
		ptl_mem_oom();
	(void)st;
	PTL_ASSERT(rc == SQLITE_OK);
}

void
ptl_db_bind_int(struct ptl_stmt *st, int i, int64_t v)
{
	check_bind(st, sqlite3_bind_int64(ST(st), i, v));
}

void
ptl_db_bind_text(struct ptl_stmt *st, int i, const char *s, size_t len)
{
	check_bind(st, sqlite3_bind_text64(ST(st), i, s, len, SQLITE_TRANSIENT,
					   SQLITE_UTF8));
}

void
ptl_db_bind_textz(struct ptl_stmt *st, int i, const char *s)
{
	if (s == NULL)
		ptl_db_bind_null(st, i);
	else
		ptl_db_bind_text(st, i, s, strlen(s));
}

void
ptl_db_bind_blob(struct ptl_stmt *st, int i, const void *p, size_t len)
{
	check_bind(st, sqlite3_bind_blob64(ST(st), i, p, len, SQLITE_TRANSIENT));
}

void
ptl_db_bind_null(struct ptl_stmt *st, int i)
{
	check_bind(st, sqlite3_bind_null(ST(st), i));
}

enum ptl_err
ptl_db_step(struct ptl_stmt *st, bool *row)
{
	int rc = sqlite3_step(ST(st));

	*row = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return PTL_OK;
	rc = sqlite3_extended_errcode(sqlite3_db_handle(ST(st)));
	{
		enum ptl_err e = map_rc(sqlite3_db_handle(ST(st)), rc,
					sqlite3_sql(ST(st)));

		sqlite3_reset(ST(st));
		return e;
	}
}

enum ptl_err
ptl_db_exec(struct ptl_stmt *st)
{
	bool row;
	enum ptl_err e = ptl_db_step(st, &row);

	sqlite3_reset(ST(st));
	return e;
}

int64_t
ptl_db_int(struct ptl_stmt *st, int col)
{
	return sqlite3_column_int64(ST(st), col);
}

bool
ptl_db_is_null(struct ptl_stmt *st, int col)
{
	return sqlite3_column_type(ST(st), col) == SQLITE_NULL;
}

const char *
ptl_db_text(struct ptl_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(ST(st), col);
}

const void *
ptl_db_blob(struct ptl_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(ST(st), col);

	*len = (size_t)sqlite3_column_bytes(ST(st), col);
	return p;
}

void
ptl_db_done(struct ptl_stmt *st)
{
	sqlite3_reset(ST(st));
}

#define MAINTAIN_EVERY 500
#define WAL_TRUNCATE_BYTES ((off_t)256 << 20) /* a safety net */

void
ptl_db_maintain(struct ptl_db *db)
{
	const char *wal;
	struct stat sb;
	int log = 0, done = 0;

	if (++db->calls % MAINTAIN_EVERY != 0)
		return;
	wal = sqlite3_filename_wal(sqlite3_db_filename(db->h, "main"));
	if (wal == NULL || stat(wal, &sb) != 0 || sb.st_size < WAL_TRUNCATE_BYTES)
		return;
	/* Waits (busy handler) for readers of the old frames, then lets the
	 * next writer start the WAL from the beginning. */
	if (sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE,
				      &log, &done) != SQLITE_OK)
		PTL_LOG_INFO("WAL of %d frames not truncated this time: %s", log,
			     sqlite3_errmsg(db->h));
}

int64_t
ptl_db_changes(struct ptl_db *db)
{
	return sqlite3_changes64(db->h);
}

int64_t
ptl_db_last_id(struct ptl_db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

enum ptl_err
ptl_db_begin(struct ptl_db *db)
{
	enum ptl_err e = exec_sql(db, "BEGIN IMMEDIATE");

	db->in_tx = e == PTL_OK;
	return e;
}

enum ptl_err
ptl_db_commit(struct ptl_db *db)
{
	enum ptl_err e = exec_sql(db, "COMMIT");

	if (e == PTL_OK)
		last_fault = PTL_OK; /* writes work again (health) */
	if (e != PTL_OK)
		ptl_db_rollback(db);
	db->in_tx = false;
	return e;
}

enum ptl_err
ptl_db_end(struct ptl_db *db, enum ptl_err e)
{
	if (e != PTL_OK) {
		ptl_db_rollback(db);
		return e;
	}
	return ptl_db_commit(db);
}

void
ptl_db_rollback(struct ptl_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		(void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = false;
}
