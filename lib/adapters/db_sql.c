/* SPDX-License-Identifier: ISC */
/*
 * db_sql: every statement of the project (db_sql.h), in one table indexed
 * by enum ptl_q, with the names of its result columns.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "adapters/db.h"
#include "adapters/db_sql.h"

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

/* Of PTL_Q_SESSION_TRIM and PTL_Q_SESSION_PRUNE (their RETURNING clause). */
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


/* The users admin list (API.md §10.23): live users, optionally of some
 * roles, in the order given then by id; NULLs last ascending and first
 * descending as in PostgreSQL, which the (c IS NULL, c) indexes of
 * sql/007_users_admin.sql serve. On PostgreSQL (PG) that is its own
 * order, text is compared by its bytes as SQLite's BINARY collation does
 * (COLLATE "C", whatever the database's locale), and the indexes of
 * sql/pg/007_users_admin.sql serve it. ?1 is NULL or a JSON array of role
 * ids. */
#define USERS_PAGE(order)                                                      \
	"SELECT " USER_COLS " FROM users WHERE deleted_at IS NULL AND "        \
	"disabled_at IS NULL AND (?1 IS NULL OR role_id IN "                   \
	"(SELECT value FROM json_each(?1))) ORDER BY " order                   \
	" LIMIT ?2 OFFSET ?3"
#define USERS_PAGE_PG(order)                                                   \
	"SELECT " USER_COLS " FROM users WHERE deleted_at IS NULL AND "        \
	"disabled_at IS NULL AND ($1::text IS NULL OR role_id IN "             \
	"(SELECT r::bigint FROM json_array_elements_text($1::json) r)) "       \
	"ORDER BY " order " LIMIT $2 OFFSET $3"
#define USERS_Q(name, order, pg_order)                                         \
	[PTL_Q_##name] = {#name, USERS_PAGE(order), COLS(user_cols),           \
			  .pg = USERS_PAGE_PG(pg_order)}
#define C_COLLATE " COLLATE \"C\""
#define USERS_NULLABLE(name, c)                                                \
	USERS_Q(name, c " IS NULL, " c ", id", c C_COLLATE ", id"),            \
	    USERS_Q(name##_DESC, c " IS NULL DESC, " c " DESC, id",            \
		    c C_COLLATE " DESC, id")
#define USERS_TEXT(name, c)                                                    \
	USERS_Q(name, c ", id", c C_COLLATE ", id"),                           \
	    USERS_Q(name##_DESC, c " DESC, id", c C_COLLATE " DESC, id")
#define USERS_PLAIN(name, c)                                                   \
	USERS_Q(name, c ", id", c ", id"),                                     \
	    USERS_Q(name##_DESC, c " DESC, id", c " DESC, id")
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
/* On PG a CASE has one type: the text keys and the integer keys are two
 * CASEs (the other one is NULL on every row, ordering nothing), and its
 * NULLs are already last ascending and first descending. */
#define USERS_TEXT_KEY_PG(k)                                                   \
	"CASE " k "::int WHEN 2 THEN email WHEN 3 THEN provider "              \
	"WHEN 4 THEN social_id WHEN 5 THEN first_name WHEN 6 THEN last_name "  \
	"END"
#define USERS_INT_KEY_PG(k)                                                    \
	"CASE " k "::int WHEN 1 THEN id WHEN 7 THEN created_at "               \
	"WHEN 8 THEN updated_at END"
#define USERS_SORT_PG(k, d)                                                    \
	"(CASE WHEN " d "::int = 0 THEN " USERS_TEXT_KEY_PG(k) " END)"         \
	C_COLLATE ", "                                                         \
	"CASE WHEN " d "::int = 0 THEN " USERS_INT_KEY_PG(k) " END, "          \
	"(CASE WHEN " d "::int <> 0 THEN " USERS_TEXT_KEY_PG(k) " END)"        \
	C_COLLATE " DESC, "                                                    \
	"CASE WHEN " d "::int <> 0 THEN " USERS_INT_KEY_PG(k) " END DESC, "
_Static_assert(PTL_DB_SORT_KEYS == 8, "USERS_PAGE_SORTED has 8 keys");

/* copy-db (lib/domain/copydb.c): every column of each table. */
static const char *const copy_users_cols[] = {
	[PTL_COL_COPY_USERS_ID] = "id",
	[PTL_COL_COPY_USERS_EMAIL] = "email",
	[PTL_COL_COPY_USERS_PASSWORD] = "password",
	[PTL_COL_COPY_USERS_PROVIDER] = "provider",
	[PTL_COL_COPY_USERS_SOCIAL_ID] = "social_id",
	[PTL_COL_COPY_USERS_FIRST_NAME] = "first_name",
	[PTL_COL_COPY_USERS_LAST_NAME] = "last_name",
	[PTL_COL_COPY_USERS_ROLE_ID] = "role_id",
	[PTL_COL_COPY_USERS_STATUS_ID] = "status_id",
	[PTL_COL_COPY_USERS_CREATED_AT] = "created_at",
	[PTL_COL_COPY_USERS_UPDATED_AT] = "updated_at",
	[PTL_COL_COPY_USERS_DELETED_AT] = "deleted_at",
	[PTL_COL_COPY_USERS_DISABLED_AT] = "disabled_at",
	[PTL_COL_COPY_USERS_SECURITY_STAMP] = "security_stamp",
	[PTL_COL_COPY_USERS_PENDING_EMAIL] = "pending_email",
};
COLS_ASSERT(copy_users_cols, PTL_COL_COPY_USERS__MAX);

static const char *const copy_sessions_cols[] = {
	[PTL_COL_COPY_SESSIONS_ID] = "id",
	[PTL_COL_COPY_SESSIONS_USER_ID] = "user_id",
	[PTL_COL_COPY_SESSIONS_HASH] = "hash",
	[PTL_COL_COPY_SESSIONS_PREV_HASH] = "prev_hash",
	[PTL_COL_COPY_SESSIONS_NONCE] = "nonce",
	[PTL_COL_COPY_SESSIONS_GENERATION] = "generation",
	[PTL_COL_COPY_SESSIONS_ROTATED_AT] = "rotated_at",
	[PTL_COL_COPY_SESSIONS_CREATED_AT] = "created_at",
	[PTL_COL_COPY_SESSIONS_LAST_USED_AT] = "last_used_at",
	[PTL_COL_COPY_SESSIONS_EXPIRES_AT] = "expires_at",
	[PTL_COL_COPY_SESSIONS_USER_AGENT] = "user_agent",
	[PTL_COL_COPY_SESSIONS_IP] = "ip",
	[PTL_COL_COPY_SESSIONS_REVOKED_AT] = "revoked_at",
	[PTL_COL_COPY_SESSIONS_REVOKE_REASON] = "revoke_reason",
};
COLS_ASSERT(copy_sessions_cols, PTL_COL_COPY_SESSIONS__MAX);

static const char *const copy_user_identities_cols[] = {
	[PTL_COL_COPY_IDENTITIES_PROVIDER] = "provider",
	[PTL_COL_COPY_IDENTITIES_SUBJECT] = "subject",
	[PTL_COL_COPY_IDENTITIES_USER_ID] = "user_id",
	[PTL_COL_COPY_IDENTITIES_CREATED_AT] = "created_at",
	[PTL_COL_COPY_IDENTITIES_LAST_USED_AT] = "last_used_at",
};
COLS_ASSERT(copy_user_identities_cols, PTL_COL_COPY_IDENTITIES__MAX);

static const char *const copy_mail_outbox_cols[] = {
	[PTL_COL_COPY_OUTBOX_ID] = "id",
	[PTL_COL_COPY_OUTBOX_KIND] = "kind",
	[PTL_COL_COPY_OUTBOX_USER_ID] = "user_id",
	[PTL_COL_COPY_OUTBOX_RECIPIENT] = "recipient",
	[PTL_COL_COPY_OUTBOX_NEW_EMAIL] = "new_email",
	[PTL_COL_COPY_OUTBOX_CREATED_AT] = "created_at",
	[PTL_COL_COPY_OUTBOX_ATTEMPTS] = "attempts",
	[PTL_COL_COPY_OUTBOX_NEXT_ATTEMPT_AT] = "next_attempt_at",
	[PTL_COL_COPY_OUTBOX_CLAIMED_UNTIL] = "claimed_until",
	[PTL_COL_COPY_OUTBOX_SENT_AT] = "sent_at",
	[PTL_COL_COPY_OUTBOX_FAILED_AT] = "failed_at",
	[PTL_COL_COPY_OUTBOX_LAST_ERROR] = "last_error",
	[PTL_COL_COPY_OUTBOX_LANG] = "lang",
};
COLS_ASSERT(copy_mail_outbox_cols, PTL_COL_COPY_OUTBOX__MAX);

static const char *const copy_audit_log_cols[] = {
	[PTL_COL_COPY_AUDIT_ID] = "id",
	[PTL_COL_COPY_AUDIT_AT] = "at",
	[PTL_COL_COPY_AUDIT_EVENT] = "event",
	[PTL_COL_COPY_AUDIT_USER_ID] = "user_id",
	[PTL_COL_COPY_AUDIT_SESSION_ID] = "session_id",
	[PTL_COL_COPY_AUDIT_IP] = "ip",
	[PTL_COL_COPY_AUDIT_DETAIL] = "detail",
	[PTL_COL_COPY_AUDIT_USER_AGENT] = "user_agent",
	[PTL_COL_COPY_AUDIT_EMAIL] = "email",
};
COLS_ASSERT(copy_audit_log_cols, PTL_COL_COPY_AUDIT__MAX);

static const char *const copy_rate_limits_cols[] = {
	[PTL_COL_COPY_RATE_KEY] = "key",
	[PTL_COL_COPY_RATE_WINDOW_START] = "window_start",
	[PTL_COL_COPY_RATE_COUNT] = "count",
	[PTL_COL_COPY_RATE_LAST_AT] = "last_at",
};
COLS_ASSERT(copy_rate_limits_cols, PTL_COL_COPY_RATE__MAX);

static const char *const copy_oauth_states_cols[] = {
	[PTL_COL_COPY_OAUTH_HASH] = "hash",
	[PTL_COL_COPY_OAUTH_PROVIDER] = "provider",
	[PTL_COL_COPY_OAUTH_REDIRECT] = "redirect",
	[PTL_COL_COPY_OAUTH_VERIFIER] = "verifier",
	[PTL_COL_COPY_OAUTH_NONCE] = "nonce",
	[PTL_COL_COPY_OAUTH_BROWSER] = "browser",
	[PTL_COL_COPY_OAUTH_CREATED_AT] = "created_at",
	[PTL_COL_COPY_OAUTH_EXPIRES_AT] = "expires_at",
};
COLS_ASSERT(copy_oauth_states_cols, PTL_COL_COPY_OAUTH__MAX);

static const char *const copy_files_cols[] = {
	[PTL_COL_COPY_FILES_ID] = "id",
	[PTL_COL_COPY_FILES_NAME] = "name",
	[PTL_COL_COPY_FILES_TYPE] = "type",
	[PTL_COL_COPY_FILES_SIZE] = "size",
	[PTL_COL_COPY_FILES_OWNER] = "owner",
	[PTL_COL_COPY_FILES_CREATED_AT] = "created_at",
	[PTL_COL_COPY_FILES_ATTACHED_AT] = "attached_at",
};
COLS_ASSERT(copy_files_cols, PTL_COL_COPY_FILES__MAX);

static const char *const copy_health_probe_cols[] = {
	[PTL_COL_COPY_HEALTH_ID] = "id",
	[PTL_COL_COPY_HEALTH_AT] = "at",
};
COLS_ASSERT(copy_health_probe_cols, PTL_COL_COPY_HEALTH__MAX);

static const char *const copy_count_cols[] = {
	[PTL_COL_COPY_COUNT_N] = "n",
};
COLS_ASSERT(copy_count_cols, PTL_COL_COPY_COUNT__MAX);

static const char *const copy_seq_cols[] = {
	[PTL_COL_COPY_SEQ_NEXT_ID] = "next_id",
};
COLS_ASSERT(copy_seq_cols, PTL_COL_COPY_SEQ__MAX);

#define COPY_COUNT(tag, table)                                                 \
	[PTL_Q_COPY_##tag##_COUNT] = {"COPY_" #tag "_COUNT",                   \
				      "SELECT count(*) AS n FROM " table,      \
				      COLS(copy_count_cols)}
/* After rows were inserted with their ids: the next id the table gives.
 * SQLite moves an AUTOINCREMENT table's sqlite_sequence (and a rowid
 * table's next rowid) past an id inserted by itself; PostgreSQL's identity
 * sequence is moved here, so that the next row gets max(id) + 1. */
#define COPY_SEQ(tag, table)                                                   \
	[PTL_Q_COPY_##tag##_SEQ] = {                                           \
	    "COPY_" #tag "_SEQ",                                               \
	    "SELECT coalesce(max(id), 0) + 1 AS next_id FROM " table,          \
	    COLS(copy_seq_cols),                                               \
	    .pg = "SELECT setval(pg_get_serial_sequence('" table "', 'id'), "  \
		  "coalesce(max(id), 0) + 1, false) AS next_id FROM " table}

const struct ptl_db_sql ptl_db_sql[PTL_Q__MAX] = {
	USERS_Q(USERS_PAGE, "id", "id"),
	USERS_Q(USERS_PAGE_ID_DESC, "id DESC", "id DESC"),
	USERS_NULLABLE(USERS_PAGE_EMAIL, "email"),
	USERS_TEXT(USERS_PAGE_PROVIDER, "provider"),
	USERS_NULLABLE(USERS_PAGE_SOCIAL_ID, "social_id"),
	USERS_NULLABLE(USERS_PAGE_FIRST_NAME, "first_name"),
	USERS_NULLABLE(USERS_PAGE_LAST_NAME, "last_name"),
	USERS_PLAIN(USERS_PAGE_CREATED_AT, "created_at"),
	USERS_PLAIN(USERS_PAGE_UPDATED_AT, "updated_at"),
	USERS_Q(USERS_PAGE_SORTED,
		USERS_SORT("?4", "?5") USERS_SORT("?6", "?7")
		USERS_SORT("?8", "?9") USERS_SORT("?10", "?11")
		USERS_SORT("?12", "?13") USERS_SORT("?14", "?15")
		USERS_SORT("?16", "?17") USERS_SORT("?18", "?19") "id",
		USERS_SORT_PG("$4", "$5") USERS_SORT_PG("$6", "$7")
		USERS_SORT_PG("$8", "$9") USERS_SORT_PG("$10", "$11")
		USERS_SORT_PG("$12", "$13") USERS_SORT_PG("$14", "$15")
		USERS_SORT_PG("$16", "$17") USERS_SORT_PG("$18", "$19") "id"),
	[PTL_Q_USERS_UPDATE] = {"USERS_UPDATE",
		"UPDATE users SET email = coalesce(?2, email), "
		"password = coalesce(?3, password), "
		"first_name = CASE WHEN ?4 THEN ?5 ELSE first_name END, "
		"last_name = CASE WHEN ?6 THEN ?7 ELSE last_name END, "
		"role_id = coalesce(?8, role_id), "
		"status_id = coalesce(?9, status_id), updated_at = ?10 "
		"WHERE id = ?1 AND deleted_at IS NULL AND disabled_at IS NULL",
		.pg = "UPDATE users SET email = coalesce($2, email), "
		"password = coalesce($3, password), "
		"first_name = CASE WHEN $4::bigint <> 0 THEN $5 "
		"ELSE first_name END, "
		"last_name = CASE WHEN $6::bigint <> 0 THEN $7 "
		"ELSE last_name END, "
		"role_id = coalesce($8, role_id), "
		"status_id = coalesce($9, status_id), updated_at = $10 "
		"WHERE id = $1 AND deleted_at IS NULL AND disabled_at IS NULL"},
	/* Reads the file (its schema page), not only the library; on PG, a
	 * table of the migrated schema, through the connection. */
	[PTL_Q_HEALTH] = {"HEALTH",
		"SELECT count(*) >= 0 AS ok FROM sqlite_schema",
		COLS(health_cols),
		.pg = "SELECT (count(*) >= 0)::int AS ok FROM health_probe"},
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
	/* The re-hash at sign-in: only over the hash that was checked, so
	 * that a password changed meanwhile (a reset) is not overwritten
	 * by the old password's new hash. */
	[PTL_Q_USER_REHASH] = {"USER_REHASH",
		"UPDATE users SET password = ?2, updated_at = ?3 "
		"WHERE id = ?1 AND password = ?4"},
	[PTL_Q_USER_SET_NAMES] = {"USER_SET_NAMES",
		"UPDATE users SET "
		"first_name = CASE WHEN ?2 THEN ?3 ELSE first_name END, "
		"last_name = CASE WHEN ?4 THEN ?5 ELSE last_name END, "
		"updated_at = ?6 WHERE id = ?1",
		.pg = "UPDATE users SET "
		"first_name = CASE WHEN $2::bigint <> 0 THEN $3 "
		"ELSE first_name END, "
		"last_name = CASE WHEN $4::bigint <> 0 THEN $5 "
		"ELSE last_name END, "
		"updated_at = $6 WHERE id = $1"},
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
	/* prev_hash and rotated_at are set from the start (prev_hash to the
	 * current digest: nothing matches it that the current one does not
	 * match first), so that the row keeps its size when it is first
	 * rotated: a row that grows splits its page (three pages written
	 * instead of one, BENCHMARKS.md). */
	[PTL_Q_SESSION_INSERT] = {"SESSION_INSERT",
		"INSERT INTO sessions (user_id, hash, prev_hash, nonce, "
		"generation, created_at, last_used_at, rotated_at, expires_at, "
		"user_agent, ip) "
		"VALUES (?1, ?2, ?2, ?3, 0, ?4, ?4, ?4, ?5, ?6, ?7)"},
	[PTL_Q_SESSION_GET] = {"SESSION_GET",
		"SELECT s.user_id, s.hash, s.prev_hash, s.nonce, s.generation, "
		"s.rotated_at, s.expires_at, s.revoked_at, u.role_id, "
		"u.deleted_at IS NULL AND u.disabled_at IS NULL AS user_live "
		"FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1",
		COLS(session_get_cols),
		.pg = "SELECT s.user_id, s.hash, s.prev_hash, s.nonce, "
		"s.generation, s.rotated_at, s.expires_at, s.revoked_at, "
		"u.role_id, "
		"(u.deleted_at IS NULL AND u.disabled_at IS NULL)::int "
		"AS user_live "
		"FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"},
	[PTL_Q_SESSION_USER] = {"SESSION_USER",
		"SELECT u.id, u.email, u.provider, u.social_id, u.first_name, "
		"u.last_name, u.role_id, u.status_id, u.created_at, u.updated_at, "
		"u.password, f.id AS photo_id, f.name AS photo_name "
		"FROM sessions s JOIN users u ON u.id = s.user_id "
		/* One probe of files_photo (at most one row: unique), where
		 * PHOTO_COLS makes two. */
		"LEFT JOIN files f ON f.owner = u.id AND f.attached_at IS NOT NULL "
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
		COLS(session_list_admin_cols),
		.pg = "SELECT s.id, u.email, s.created_at, s.last_used_at, "
		"s.user_agent, s.ip FROM sessions s JOIN users u "
		"ON u.id = s.user_id WHERE s.revoked_at IS NULL "
		"AND s.expires_at > $1 AND ($2::text IS NULL OR u.email = $2) "
		"ORDER BY s.id"},
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
		COLS(rate_cols),
		/* The row's own columns named: PG also sees excluded's. */
		.pg = "INSERT INTO rate_limits AS r (key, window_start, count, "
		"last_at) VALUES ($1, $2, 1, $2) ON CONFLICT (key) DO UPDATE SET "
		"count = CASE WHEN $2 - r.window_start < $3 THEN r.count + 1 "
		"ELSE 1 END, "
		"window_start = CASE WHEN $2 - r.window_start < $3 THEN "
		"r.window_start ELSE $2 END, last_at = $2 "
		"RETURNING count, window_start, last_at"},
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
		COLS(user_any_cols),
		.pg = "SELECT status_id, (deleted_at IS NOT NULL OR "
		"disabled_at IS NOT NULL)::int AS gone, email, security_stamp, "
		"pending_email FROM users WHERE id = $1"},
	[PTL_Q_OUTBOX_INSERT] = {"OUTBOX_INSERT",
		"INSERT INTO mail_outbox (kind, user_id, recipient, new_email, "
		"created_at, next_attempt_at, lang) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)"},
	/* A lease until ?3 (lib/domain/outbox.c): one change means this
	 * worker delivers it; a row leased to a live worker, sent or given up
	 * changes nothing. On PG, with workers of several hosts claiming the
	 * same row at once, the one that locks the row first takes the
	 * lease; the others skip the locked row (SKIP LOCKED) and change
	 * nothing, rather than wait for it (once it is unlocked, its lease
	 * would refuse them anyway). Each mail is then delivered once, by
	 * the lease's holder, unless the lease runs out mid-delivery. */
	[PTL_Q_OUTBOX_CLAIM] = {"OUTBOX_CLAIM",
		"UPDATE mail_outbox SET claimed_until = ?3 WHERE id = ?1 "
		"AND sent_at IS NULL AND failed_at IS NULL "
		"AND (claimed_until IS NULL OR claimed_until < ?2)",
		.pg = "UPDATE mail_outbox SET claimed_until = $3 WHERE id = "
		"(SELECT id FROM mail_outbox WHERE id = $1 "
		"AND sent_at IS NULL AND failed_at IS NULL "
		"AND (claimed_until IS NULL OR claimed_until < $2) "
		"FOR UPDATE SKIP LOCKED)"},
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
		COLS(audit_list_cols),
		.pg = "SELECT a.at, a.event, a.user_id, "
		"coalesce(u.email, a.email) AS email, a.session_id, a.ip, "
		"a.detail, a.user_agent FROM audit_log a "
		"LEFT JOIN users u ON u.id = a.user_id WHERE a.at >= $1 AND "
		"($2::text IS NULL OR a.email = $2 OR a.user_id = "
		"(SELECT id FROM users WHERE email = $2)) "
		"ORDER BY a.at DESC, a.id DESC LIMIT $3"},
	/* The gc statements: ?1 the cutoff, ?2 the batch size. */
	[PTL_Q_AUDIT_PRUNE] = {"AUDIT_PRUNE",
		"DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log "
		"WHERE at < ?1 LIMIT ?2)"},
	/* A batch resumes after the last id pruned (?3), so that gc reads
	 * the table once however the expired rows lie in it: without it,
	 * each batch scanned again every live session before them
	 * (BENCHMARKS.md, "At scale"). PTL_COL_SESSION_TRIM columns. */
	[PTL_Q_SESSION_PRUNE] = {"SESSION_PRUNE",
		"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
		"WHERE id > ?3 AND (revoked_at < ?1 OR expires_at < ?1) "
		"ORDER BY id LIMIT ?2) RETURNING id",
		COLS(session_trim_cols)},
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
		"WHERE id = ?1",
		.pg = "UPDATE users SET security_stamp = security_stamp + 1, "
		"pending_email = NULL, "
		"status_id = CASE WHEN $2::bigint <> 0 THEN $3 "
		"ELSE status_id END WHERE id = $1"},
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
		COLS(session_trim_cols),
		.pg = "UPDATE sessions SET revoked_at = $3, revoke_reason = $4 "
		"WHERE id IN (SELECT id FROM sessions WHERE user_id = $1 "
		"AND revoked_at IS NULL AND expires_at > $3 "
		"ORDER BY last_used_at DESC, id DESC OFFSET $2) "
		"RETURNING id"},
	[PTL_Q_USER_ENABLE] = {"USER_ENABLE",
		"UPDATE users SET disabled_at = NULL, updated_at = ?2 "
		"WHERE id = ?1 AND disabled_at IS NOT NULL"},
	[PTL_Q_USER_SET_ROLE] = {"USER_SET_ROLE",
		"UPDATE users SET role_id = ?2, updated_at = ?3 WHERE id = ?1"},
	[PTL_Q_USER_STATE] = {"USER_STATE",
		"SELECT role_id, deleted_at IS NOT NULL AS deleted, "
		"disabled_at IS NOT NULL AS disabled, provider FROM users "
		"WHERE id = ?1",
		COLS(user_state_cols),
		.pg = "SELECT role_id, (deleted_at IS NOT NULL)::int AS deleted, "
		"(disabled_at IS NOT NULL)::int AS disabled, provider "
		"FROM users WHERE id = $1"},
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
		COLS(social_user_cols),
		/* NULL (no identity) sorts last descending, as in SQLite. */
		.pg = "SELECT id, status_id, (disabled_at IS NOT NULL)::int "
		"AS disabled FROM users WHERE deleted_at IS NULL AND "
		"(id = (SELECT user_id FROM user_identities WHERE "
		"provider = $1 AND subject = $2) OR "
		"(provider = $1 AND social_id = $2)) "
		"ORDER BY (id = (SELECT user_id FROM user_identities WHERE "
		"provider = $1 AND subject = $2)) DESC NULLS LAST, id LIMIT 1"},
	[PTL_Q_SOCIAL_BY_EMAIL] = {"SOCIAL_BY_EMAIL",
		"SELECT id, status_id, disabled_at IS NOT NULL AS disabled "
		"FROM users WHERE email = ?1 AND deleted_at IS NULL",
		COLS(social_user_cols),
		.pg = "SELECT id, status_id, (disabled_at IS NOT NULL)::int "
		"AS disabled FROM users WHERE email = $1 AND deleted_at IS NULL"},
	[PTL_Q_IDENTITY_UPSERT] = {"IDENTITY_UPSERT",
		"INSERT INTO user_identities (provider, subject, user_id, "
		"created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?4) "
		"ON CONFLICT (provider, subject) DO UPDATE SET "
		"user_id = excluded.user_id, last_used_at = excluded.last_used_at"},
	[PTL_Q_IDENTITY_LIST] = {"IDENTITY_LIST",
		"SELECT DISTINCT provider FROM (SELECT provider FROM "
		"user_identities WHERE user_id = ?1 UNION SELECT provider FROM "
		"users WHERE id = ?1 AND provider <> 'email') ORDER BY provider",
		COLS(identity_list_cols),
		/* PG 15 wants the subquery named; UNION already removes the
		 * duplicates; the bytes order, as SQLite's BINARY. */
		.pg = "SELECT provider FROM (SELECT provider FROM "
		"user_identities WHERE user_id = $1 UNION SELECT provider FROM "
		"users WHERE id = $1 AND provider <> 'email') p "
		"ORDER BY provider" C_COLLATE},
	[PTL_Q_USER_SET_SOCIAL] = {"USER_SET_SOCIAL",
		"UPDATE users SET provider = ?2, social_id = ?3, updated_at = ?4 "
		"WHERE id = ?1"},
	[PTL_Q_USER_SET_EMAIL_ONLY] = {"USER_SET_EMAIL_ONLY",
		"UPDATE users SET email = ?2, updated_at = ?3 WHERE id = ?1"},
	[PTL_Q_HEALTH_PROBE] = {"HEALTH_PROBE",
		"INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, ?1)",
		.pg = "INSERT INTO health_probe (id, at) VALUES (1, $1) "
		"ON CONFLICT (id) DO UPDATE SET at = excluded.at"},
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
	/* authportal copy-db (lib/domain/copydb.c): every column of every
	 * table, the ids kept. */
	[PTL_Q_COPY_USERS_READ] = {"COPY_USERS_READ",
		"SELECT id, email, password, provider, social_id, first_name, "
		"last_name, role_id, status_id, created_at, updated_at, "
		"deleted_at, disabled_at, security_stamp, pending_email"
		" FROM users ORDER BY id",
		COLS(copy_users_cols)},
	[PTL_Q_COPY_USERS_WRITE] = {"COPY_USERS_WRITE",
		"INSERT INTO users (id, email, password, provider, social_id, "
		"first_name, last_name, role_id, status_id, created_at, "
		"updated_at, deleted_at, disabled_at, security_stamp, "
		"pending_email) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		"?11, ?12, ?13, ?14, ?15)"},
	COPY_COUNT(USERS, "users"),
	COPY_SEQ(USERS, "users"),
	[PTL_Q_COPY_SESSIONS_READ] = {"COPY_SESSIONS_READ",
		"SELECT id, user_id, hash, prev_hash, nonce, generation, "
		"rotated_at, created_at, last_used_at, expires_at, user_agent, "
		"ip, revoked_at, revoke_reason FROM sessions ORDER BY id",
		COLS(copy_sessions_cols)},
	[PTL_Q_COPY_SESSIONS_WRITE] = {"COPY_SESSIONS_WRITE",
		"INSERT INTO sessions (id, user_id, hash, prev_hash, nonce, "
		"generation, rotated_at, created_at, last_used_at, expires_at, "
		"user_agent, ip, revoked_at, revoke_reason) VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"},
	COPY_COUNT(SESSIONS, "sessions"),
	COPY_SEQ(SESSIONS, "sessions"),
	[PTL_Q_COPY_IDENTITIES_READ] = {"COPY_IDENTITIES_READ",
		"SELECT provider, subject, user_id, created_at, last_used_at"
		" FROM user_identities ORDER BY provider, subject",
		COLS(copy_user_identities_cols)},
	[PTL_Q_COPY_IDENTITIES_WRITE] = {"COPY_IDENTITIES_WRITE",
		"INSERT INTO user_identities (provider, subject, user_id, "
		"created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?5)"},
	COPY_COUNT(IDENTITIES, "user_identities"),
	[PTL_Q_COPY_OUTBOX_READ] = {"COPY_OUTBOX_READ",
		"SELECT id, kind, user_id, recipient, new_email, created_at, "
		"attempts, next_attempt_at, claimed_until, sent_at, failed_at, "
		"last_error, lang FROM mail_outbox ORDER BY id",
		COLS(copy_mail_outbox_cols)},
	[PTL_Q_COPY_OUTBOX_WRITE] = {"COPY_OUTBOX_WRITE",
		"INSERT INTO mail_outbox (id, kind, user_id, recipient, "
		"new_email, created_at, attempts, next_attempt_at, "
		"claimed_until, sent_at, failed_at, last_error, lang) VALUES ("
		"?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"},
	COPY_COUNT(OUTBOX, "mail_outbox"),
	COPY_SEQ(OUTBOX, "mail_outbox"),
	[PTL_Q_COPY_AUDIT_READ] = {"COPY_AUDIT_READ",
		"SELECT id, at, event, user_id, session_id, ip, detail, "
		"user_agent, email FROM audit_log ORDER BY id",
		COLS(copy_audit_log_cols)},
	[PTL_Q_COPY_AUDIT_WRITE] = {"COPY_AUDIT_WRITE",
		"INSERT INTO audit_log (id, at, event, user_id, session_id, ip, "
		"detail, user_agent, email) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		"?8, ?9)"},
	COPY_COUNT(AUDIT, "audit_log"),
	COPY_SEQ(AUDIT, "audit_log"),
	[PTL_Q_COPY_RATE_READ] = {"COPY_RATE_READ",
		"SELECT key, window_start, count, last_at"
		" FROM rate_limits ORDER BY key",
		COLS(copy_rate_limits_cols)},
	[PTL_Q_COPY_RATE_WRITE] = {"COPY_RATE_WRITE",
		"INSERT INTO rate_limits (key, window_start, count, last_at"
		") VALUES (?1, ?2, ?3, ?4)"},
	COPY_COUNT(RATE, "rate_limits"),
	[PTL_Q_COPY_OAUTH_READ] = {"COPY_OAUTH_READ",
		"SELECT hash, provider, redirect, verifier, nonce, browser, "
		"created_at, expires_at FROM oauth_states ORDER BY hash",
		COLS(copy_oauth_states_cols)},
	[PTL_Q_COPY_OAUTH_WRITE] = {"COPY_OAUTH_WRITE",
		"INSERT INTO oauth_states (hash, provider, redirect, verifier, "
		"nonce, browser, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, "
		"?5, ?6, ?7, ?8)"},
	COPY_COUNT(OAUTH, "oauth_states"),
	[PTL_Q_COPY_FILES_READ] = {"COPY_FILES_READ",
		"SELECT id, name, type, size, owner, created_at, attached_at"
		" FROM files ORDER BY id",
		COLS(copy_files_cols)},
	[PTL_Q_COPY_FILES_WRITE] = {"COPY_FILES_WRITE",
		"INSERT INTO files (id, name, type, size, owner, created_at, "
		"attached_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
	COPY_COUNT(FILES, "files"),
	[PTL_Q_COPY_HEALTH_READ] = {"COPY_HEALTH_READ",
		"SELECT id, at FROM health_probe ORDER BY id",
		COLS(copy_health_probe_cols)},
	[PTL_Q_COPY_HEALTH_WRITE] = {"COPY_HEALTH_WRITE",
		"INSERT INTO health_probe (id, at) VALUES (?1, ?2)"},
	COPY_COUNT(HEALTH, "health_probe"),
};
