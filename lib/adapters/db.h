/* SPDX-License-Identifier: ISC */
/*
 * db: the SQLite adapter. Opens the one database file with WAL, a busy
 * timeout and foreign keys, applies the embedded migrations (sql/NNN_*.sql,
 * tracked with PRAGMA user_version), and keeps every statement of the
 * project in one enum-indexed table, prepared once per process (ksql).
 * No SQL text exists outside db.c; callers bind parameters by position
 * (?1, ?2 ... in the SQL) and read result columns by name (below).
 */
#ifndef PTL_DB_H
#define PTL_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum ptl_q {
	PTL_Q_HEALTH,
	PTL_Q_USER_LOGIN,        /* email -> id, password, provider */
	PTL_Q_USER_INSERT,
	PTL_Q_USER_GET,          /* live user by id */
	PTL_Q_USER_BY_EMAIL_ANY, /* any user (deleted too) with this email */
	PTL_Q_USER_SET_PASSWORD,
	PTL_Q_USER_SET_NAMES,
	PTL_Q_USER_DELETE,
	PTL_Q_USER_DISABLE,
	PTL_Q_USER_LIST,
	PTL_Q_USER_COUNT_ROLE,
	PTL_Q_SESSION_INSERT,
	PTL_Q_SESSION_GET,
	PTL_Q_SESSION_USER,      /* live session -> its live user */
	PTL_Q_SESSION_ROTATE,
	PTL_Q_SESSION_REVOKE,
	PTL_Q_SESSION_REVOKE_OWNED,
	PTL_Q_SESSION_REVOKE_OTHERS,
	PTL_Q_SESSION_REVOKE_ALL,
	PTL_Q_SESSION_LIST,
	PTL_Q_SESSION_LIST_ADMIN,
	PTL_Q_AUDIT_INSERT,
	PTL_Q_RATE_HIT,
	PTL_Q_RATE_PEEK,
	PTL_Q_USER_SET_STATUS,
	PTL_Q_USER_SET_EMAIL,
	PTL_Q_USER_ANY,          /* any user by id (deleted too): link state */
	PTL_Q_OUTBOX_INSERT,
	PTL_Q_OUTBOX_CLAIM,
	PTL_Q_OUTBOX_GET,
	PTL_Q_OUTBOX_SENT,
	PTL_Q_OUTBOX_RETRY,
	PTL_Q_OUTBOX_DUE,
	PTL_Q_OUTBOX_LIST,
	PTL_Q_AUDIT_LIST,     /* since, email or NULL, limit: newest first */
	PTL_Q_AUDIT_PRUNE,    /* the gc statements: cutoff, batch size */
	PTL_Q_SESSION_PRUNE,
	PTL_Q_OUTBOX_PRUNE,
	PTL_Q_RATE_PRUNE,
	PTL_Q_USER_NEW_STAMP,     /* kills the user's one-time links */
	PTL_Q_USER_SET_PENDING,   /* the address of the latest email change */
	PTL_Q_OUTBOX_CANCEL_USER, /* the user's mails not yet delivered */
	PTL_Q_SESSION_TRIM,      /* end the least recently used past a cap */
	PTL_Q_USER_ENABLE,       /* the admin tool: disabled_at cleared */
	PTL_Q_USER_SET_ROLE,
	PTL_Q_USER_STATE,        /* any user by id: role, deleted, disabled */
	PTL_Q_OAUTH_STATE_INSERT, /* social sign-in (domain/social.c) */
	PTL_Q_OAUTH_STATE_TAKE,  /* delete the state's row, returning it */
	PTL_Q_OAUTH_STATE_PRUNE, /* expired states: now, batch size */
	PTL_Q_SOCIAL_USER,       /* live user of (provider, subject) */
	PTL_Q_SOCIAL_BY_EMAIL,   /* non-deleted user with the email */
	PTL_Q_IDENTITY_UPSERT,   /* (provider, subject) -> user */
	PTL_Q_IDENTITY_LIST,     /* the providers linked to a user */
	PTL_Q_USER_SET_SOCIAL,   /* provider and social_id */
	PTL_Q_USER_SET_EMAIL_ONLY, /* the address, status unchanged */
	PTL_Q_HEALTH_PROBE,      /* health ?deep=1: the throw-away write */
	PTL_Q_OUTBOX_OLDEST_FAILING, /* created_at of the oldest failing mail */
	/* The users admin API (API.md §11): one page of live users, ?1 a
	 * JSON array of role ids (NULL: any role), ?2 LIMIT, ?3 OFFSET;
	 * PTL_COL_USER columns. One statement per sort (index-friendly),
	 * then _SORTED for several sort keys (bound CASE expressions). */
	PTL_Q_USERS_PAGE,        /* by id */
	PTL_Q_USERS_PAGE_ID_DESC,
	PTL_Q_USERS_PAGE_EMAIL,
	PTL_Q_USERS_PAGE_EMAIL_DESC,
	PTL_Q_USERS_PAGE_PROVIDER,
	PTL_Q_USERS_PAGE_PROVIDER_DESC,
	PTL_Q_USERS_PAGE_SOCIAL_ID,
	PTL_Q_USERS_PAGE_SOCIAL_ID_DESC,
	PTL_Q_USERS_PAGE_FIRST_NAME,
	PTL_Q_USERS_PAGE_FIRST_NAME_DESC,
	PTL_Q_USERS_PAGE_LAST_NAME,
	PTL_Q_USERS_PAGE_LAST_NAME_DESC,
	PTL_Q_USERS_PAGE_CREATED_AT,
	PTL_Q_USERS_PAGE_CREATED_AT_DESC,
	PTL_Q_USERS_PAGE_UPDATED_AT,
	PTL_Q_USERS_PAGE_UPDATED_AT_DESC,
	/* ?4 + 2i: the column code of sort key i (0 none, 1 id, 2 email,
	 * 3 provider, 4 social_id, 5 first_name, 6 last_name, 7 created_at,
	 * 8 updated_at), ?5 + 2i: 1 for descending; i < PTL_DB_SORT_KEYS. */
	PTL_Q_USERS_PAGE_SORTED,
	PTL_Q_USERS_UPDATE,      /* the admin PATCH: ?2 email, ?3 password
				  * hash (NULL: kept), ?4/?5 and ?6/?7 set
				  * and value of the names, ?8 role, ?9 status
				  * (NULL: kept), ?10 now; live users only */
	PTL_Q_FILE_INSERT,       /* id, name, type, size, owner, created_at */
	PTL_Q_FILE_BY_NAME,      /* PTL_COL_FILE_* of the file named ?1 */
	PTL_Q_FILE_BY_ID,        /* PTL_COL_FILE_* of the file ?1 */
	PTL_Q_FILE_PHOTO,        /* PTL_COL_FILE_* of user ?1's photo */
	PTL_Q_FILE_COUNT_LOOSE,  /* count of user ?1's unattached uploads */
	PTL_Q_FILE_ATTACH,       /* file ?1 becomes user ?2's photo at ?3 */
	PTL_Q_FILE_DELETE,       /* the row of file ?1 */
	PTL_Q_FILE_STALE,        /* PTL_COL_FILE_*: unattached before ?1, or
				  * of a deleted user; at most ?2 */
	PTL_Q_FILE_OWNED,        /* PTL_COL_FILE_* of user ?1; at most ?2 */
	/* authportal copy-db (lib/domain/copydb.c), one set a table: _READ
	 * every row (PTL_COL_COPY_<TABLE>_*, by key), _WRITE one row (the
	 * same columns as ?1, ?2 ... in that order, the ids kept), _COUNT its
	 * rows (PTL_COL_COPY_COUNT_N), _SEQ (tables with an identity id)
	 * moves the next id past the largest (PTL_COL_COPY_SEQ_NEXT_ID). */
	PTL_Q_COPY_USERS_READ,
	PTL_Q_COPY_USERS_WRITE,
	PTL_Q_COPY_USERS_COUNT,
	PTL_Q_COPY_USERS_SEQ,
	PTL_Q_COPY_SESSIONS_READ,
	PTL_Q_COPY_SESSIONS_WRITE,
	PTL_Q_COPY_SESSIONS_COUNT,
	PTL_Q_COPY_SESSIONS_SEQ,
	PTL_Q_COPY_IDENTITIES_READ,
	PTL_Q_COPY_IDENTITIES_WRITE,
	PTL_Q_COPY_IDENTITIES_COUNT,
	PTL_Q_COPY_OUTBOX_READ,
	PTL_Q_COPY_OUTBOX_WRITE,
	PTL_Q_COPY_OUTBOX_COUNT,
	PTL_Q_COPY_OUTBOX_SEQ,
	PTL_Q_COPY_AUDIT_READ,
	PTL_Q_COPY_AUDIT_WRITE,
	PTL_Q_COPY_AUDIT_COUNT,
	PTL_Q_COPY_AUDIT_SEQ,
	PTL_Q_COPY_RATE_READ,
	PTL_Q_COPY_RATE_WRITE,
	PTL_Q_COPY_RATE_COUNT,
	PTL_Q_COPY_OAUTH_READ,
	PTL_Q_COPY_OAUTH_WRITE,
	PTL_Q_COPY_OAUTH_COUNT,
	PTL_Q_COPY_FILES_READ,
	PTL_Q_COPY_FILES_WRITE,
	PTL_Q_COPY_FILES_COUNT,
	PTL_Q_COPY_HEALTH_READ,
	PTL_Q_COPY_HEALTH_WRITE,
	PTL_Q_COPY_HEALTH_COUNT,
	PTL_Q_USER_REHASH,       /* ?2 new hash, ?3 now, if still ?4 */
	PTL_Q__MAX
};

/* The sort keys PTL_Q_USERS_PAGE_SORTED takes. */
#define PTL_DB_SORT_KEYS 8

/*
 * The result columns of the statements that return rows, in SELECT order:
 * read them by these names, ptl_db_int(st, PTL_COL_USER_ROLE_ID), never by
 * a bare index. db.c names every column beside its statement (as
 * sqlite3_column_name reports it), and ptl_db_prepare_all() checks those
 * names against the prepared statements. The other statements return no
 * columns.
 */
enum ptl_col_health { /* PTL_Q_HEALTH */
	PTL_COL_HEALTH_OK,
	PTL_COL_HEALTH__MAX
};

enum ptl_col_user_login { /* PTL_Q_USER_LOGIN */
	PTL_COL_USER_LOGIN_ID,
	PTL_COL_USER_LOGIN_PASSWORD,
	PTL_COL_USER_LOGIN_PROVIDER,
	PTL_COL_USER_LOGIN__MAX
};

enum ptl_col_user { /* PTL_Q_USER_GET, PTL_Q_SESSION_USER */
	PTL_COL_USER_ID,
	PTL_COL_USER_EMAIL,
	PTL_COL_USER_PROVIDER,
	PTL_COL_USER_SOCIAL_ID,
	PTL_COL_USER_FIRST_NAME,
	PTL_COL_USER_LAST_NAME,
	PTL_COL_USER_ROLE_ID,
	PTL_COL_USER_STATUS_ID,
	PTL_COL_USER_CREATED_AT,
	PTL_COL_USER_UPDATED_AT,
	PTL_COL_USER_PASSWORD,
	PTL_COL_USER_PHOTO_ID,   /* the user's photo (files), or NULL */
	PTL_COL_USER_PHOTO_NAME,
	PTL_COL_USER__MAX
};

enum ptl_col_file { /* PTL_Q_FILE_BY_NAME, _BY_ID, _PHOTO, _STALE, _OWNED */
	PTL_COL_FILE_ID,
	PTL_COL_FILE_NAME,
	PTL_COL_FILE_TYPE,
	PTL_COL_FILE_SIZE,
	PTL_COL_FILE_OWNER,
	PTL_COL_FILE_ATTACHED_AT,
	PTL_COL_FILE__MAX
};

enum ptl_col_file_count { /* PTL_Q_FILE_COUNT_LOOSE */
	PTL_COL_FILE_COUNT_N,
	PTL_COL_FILE_COUNT__MAX
};

enum ptl_col_user_by_email_any { /* PTL_Q_USER_BY_EMAIL_ANY */
	PTL_COL_USER_BY_EMAIL_ANY_ID,
	PTL_COL_USER_BY_EMAIL_ANY__MAX
};

enum ptl_col_user_list { /* PTL_Q_USER_LIST */
	PTL_COL_USER_LIST_ID,
	PTL_COL_USER_LIST_EMAIL,
	PTL_COL_USER_LIST_PROVIDER,
	PTL_COL_USER_LIST_ROLE_ID,
	PTL_COL_USER_LIST_STATUS_ID,
	PTL_COL_USER_LIST_CREATED_AT,
	PTL_COL_USER_LIST_DELETED_AT,
	PTL_COL_USER_LIST_DISABLED_AT,
	PTL_COL_USER_LIST__MAX
};

enum ptl_col_user_count_role { /* PTL_Q_USER_COUNT_ROLE */
	PTL_COL_USER_COUNT_ROLE_COUNT,
	PTL_COL_USER_COUNT_ROLE__MAX
};

enum ptl_col_user_any { /* PTL_Q_USER_ANY */
	PTL_COL_USER_ANY_STATUS_ID,
	PTL_COL_USER_ANY_GONE, /* deleted or disabled */
	PTL_COL_USER_ANY_EMAIL,
	PTL_COL_USER_ANY_STAMP,         /* the links' security stamp */
	PTL_COL_USER_ANY_PENDING_EMAIL, /* the latest email change asked */
	PTL_COL_USER_ANY__MAX
};

enum ptl_col_user_state { /* PTL_Q_USER_STATE */
	PTL_COL_USER_STATE_ROLE_ID,
	PTL_COL_USER_STATE_DELETED,
	PTL_COL_USER_STATE_DISABLED,
	PTL_COL_USER_STATE_PROVIDER,
	PTL_COL_USER_STATE__MAX
};

enum ptl_col_session_get { /* PTL_Q_SESSION_GET */
	PTL_COL_SESSION_GET_USER_ID,
	PTL_COL_SESSION_GET_HASH,
	PTL_COL_SESSION_GET_PREV_HASH,
	PTL_COL_SESSION_GET_NONCE,
	PTL_COL_SESSION_GET_GENERATION,
	PTL_COL_SESSION_GET_ROTATED_AT,
	PTL_COL_SESSION_GET_EXPIRES_AT,
	PTL_COL_SESSION_GET_REVOKED_AT,
	PTL_COL_SESSION_GET_ROLE_ID,
	PTL_COL_SESSION_GET_USER_LIVE, /* neither deleted nor disabled */
	PTL_COL_SESSION_GET__MAX
};

enum ptl_col_session_list { /* PTL_Q_SESSION_LIST */
	PTL_COL_SESSION_LIST_ID,
	PTL_COL_SESSION_LIST_CREATED_AT,
	PTL_COL_SESSION_LIST_LAST_USED_AT,
	PTL_COL_SESSION_LIST_USER_AGENT,
	PTL_COL_SESSION_LIST_IP,
	PTL_COL_SESSION_LIST__MAX
};

enum ptl_col_session_list_admin { /* PTL_Q_SESSION_LIST_ADMIN */
	PTL_COL_SESSION_LIST_ADMIN_ID,
	PTL_COL_SESSION_LIST_ADMIN_EMAIL,
	PTL_COL_SESSION_LIST_ADMIN_CREATED_AT,
	PTL_COL_SESSION_LIST_ADMIN_LAST_USED_AT,
	PTL_COL_SESSION_LIST_ADMIN_USER_AGENT,
	PTL_COL_SESSION_LIST_ADMIN_IP,
	PTL_COL_SESSION_LIST_ADMIN__MAX
};

enum ptl_col_session_trim { /* PTL_Q_SESSION_TRIM, _SESSION_PRUNE (RETURNING) */
	PTL_COL_SESSION_TRIM_ID,
	PTL_COL_SESSION_TRIM__MAX
};

enum ptl_col_rate { /* PTL_Q_RATE_HIT (RETURNING), PTL_Q_RATE_PEEK */
	PTL_COL_RATE_COUNT,
	PTL_COL_RATE_WINDOW_START,
	PTL_COL_RATE_LAST_AT, /* the last event (the window's start before 005) */
	PTL_COL_RATE__MAX
};

enum ptl_col_outbox_get { /* PTL_Q_OUTBOX_GET */
	PTL_COL_OUTBOX_GET_KIND,
	PTL_COL_OUTBOX_GET_USER_ID,
	PTL_COL_OUTBOX_GET_RECIPIENT,
	PTL_COL_OUTBOX_GET_NEW_EMAIL,
	PTL_COL_OUTBOX_GET_ATTEMPTS,
	PTL_COL_OUTBOX_GET_LANG, /* NULL: the fallback language */
	PTL_COL_OUTBOX_GET__MAX
};

enum ptl_col_outbox_due { /* PTL_Q_OUTBOX_DUE */
	PTL_COL_OUTBOX_DUE_ID,
	PTL_COL_OUTBOX_DUE__MAX
};

enum ptl_col_outbox_list { /* PTL_Q_OUTBOX_LIST */
	PTL_COL_OUTBOX_LIST_ID,
	PTL_COL_OUTBOX_LIST_KIND,
	PTL_COL_OUTBOX_LIST_RECIPIENT,
	PTL_COL_OUTBOX_LIST_CREATED_AT,
	PTL_COL_OUTBOX_LIST_ATTEMPTS,
	PTL_COL_OUTBOX_LIST_NEXT_ATTEMPT_AT,
	PTL_COL_OUTBOX_LIST_SENT_AT,
	PTL_COL_OUTBOX_LIST_FAILED_AT,
	PTL_COL_OUTBOX_LIST_LAST_ERROR,
	PTL_COL_OUTBOX_LIST__MAX
};

enum ptl_col_audit_list { /* PTL_Q_AUDIT_LIST */
	PTL_COL_AUDIT_LIST_AT,
	PTL_COL_AUDIT_LIST_EVENT,
	PTL_COL_AUDIT_LIST_USER_ID,
	PTL_COL_AUDIT_LIST_EMAIL, /* the account's address now, else the row's */
	PTL_COL_AUDIT_LIST_SESSION_ID,
	PTL_COL_AUDIT_LIST_IP,
	PTL_COL_AUDIT_LIST_DETAIL,
	PTL_COL_AUDIT_LIST_USER_AGENT,
	PTL_COL_AUDIT_LIST__MAX
};

enum ptl_col_oauth_state { /* PTL_Q_OAUTH_STATE_TAKE (RETURNING) */
	PTL_COL_OAUTH_STATE_PROVIDER,
	PTL_COL_OAUTH_STATE_REDIRECT,
	PTL_COL_OAUTH_STATE_VERIFIER,
	PTL_COL_OAUTH_STATE_NONCE,
	PTL_COL_OAUTH_STATE_BROWSER,
	PTL_COL_OAUTH_STATE_EXPIRES_AT,
	PTL_COL_OAUTH_STATE__MAX
};

enum ptl_col_social_user { /* PTL_Q_SOCIAL_USER, PTL_Q_SOCIAL_BY_EMAIL */
	PTL_COL_SOCIAL_USER_ID,
	PTL_COL_SOCIAL_USER_STATUS_ID,
	PTL_COL_SOCIAL_USER_DISABLED,
	PTL_COL_SOCIAL_USER__MAX
};

enum ptl_col_identity_list { /* PTL_Q_IDENTITY_LIST */
	PTL_COL_IDENTITY_LIST_PROVIDER,
	PTL_COL_IDENTITY_LIST__MAX
};

enum ptl_col_outbox_oldest_failing { /* PTL_Q_OUTBOX_OLDEST_FAILING */
	PTL_COL_OUTBOX_OLDEST_FAILING_CREATED_AT, /* NULL: none */
	PTL_COL_OUTBOX_OLDEST_FAILING__MAX
};

/* The columns of the PTL_Q_COPY_* statements (copy-db): every column of
 * each table, in the order of its _READ result and _WRITE parameters. */
enum ptl_col_copy_users { /* PTL_Q_COPY_USERS_READ: the users table */
	PTL_COL_COPY_USERS_ID,
	PTL_COL_COPY_USERS_EMAIL,
	PTL_COL_COPY_USERS_PASSWORD,
	PTL_COL_COPY_USERS_PROVIDER,
	PTL_COL_COPY_USERS_SOCIAL_ID,
	PTL_COL_COPY_USERS_FIRST_NAME,
	PTL_COL_COPY_USERS_LAST_NAME,
	PTL_COL_COPY_USERS_ROLE_ID,
	PTL_COL_COPY_USERS_STATUS_ID,
	PTL_COL_COPY_USERS_CREATED_AT,
	PTL_COL_COPY_USERS_UPDATED_AT,
	PTL_COL_COPY_USERS_DELETED_AT,
	PTL_COL_COPY_USERS_DISABLED_AT,
	PTL_COL_COPY_USERS_SECURITY_STAMP,
	PTL_COL_COPY_USERS_PENDING_EMAIL,
	PTL_COL_COPY_USERS__MAX
};

enum ptl_col_copy_sessions { /* PTL_Q_COPY_SESSIONS_READ: sessions */
	PTL_COL_COPY_SESSIONS_ID,
	PTL_COL_COPY_SESSIONS_USER_ID,
	PTL_COL_COPY_SESSIONS_HASH,
	PTL_COL_COPY_SESSIONS_PREV_HASH,
	PTL_COL_COPY_SESSIONS_NONCE,
	PTL_COL_COPY_SESSIONS_GENERATION,
	PTL_COL_COPY_SESSIONS_ROTATED_AT,
	PTL_COL_COPY_SESSIONS_CREATED_AT,
	PTL_COL_COPY_SESSIONS_LAST_USED_AT,
	PTL_COL_COPY_SESSIONS_EXPIRES_AT,
	PTL_COL_COPY_SESSIONS_USER_AGENT,
	PTL_COL_COPY_SESSIONS_IP,
	PTL_COL_COPY_SESSIONS_REVOKED_AT,
	PTL_COL_COPY_SESSIONS_REVOKE_REASON,
	PTL_COL_COPY_SESSIONS__MAX
};

enum ptl_col_copy_identities { /* PTL_Q_COPY_IDENTITIES_READ */
	PTL_COL_COPY_IDENTITIES_PROVIDER,
	PTL_COL_COPY_IDENTITIES_SUBJECT,
	PTL_COL_COPY_IDENTITIES_USER_ID,
	PTL_COL_COPY_IDENTITIES_CREATED_AT,
	PTL_COL_COPY_IDENTITIES_LAST_USED_AT,
	PTL_COL_COPY_IDENTITIES__MAX
};

enum ptl_col_copy_outbox { /* PTL_Q_COPY_OUTBOX_READ: mail_outbox */
	PTL_COL_COPY_OUTBOX_ID,
	PTL_COL_COPY_OUTBOX_KIND,
	PTL_COL_COPY_OUTBOX_USER_ID,
	PTL_COL_COPY_OUTBOX_RECIPIENT,
	PTL_COL_COPY_OUTBOX_NEW_EMAIL,
	PTL_COL_COPY_OUTBOX_CREATED_AT,
	PTL_COL_COPY_OUTBOX_ATTEMPTS,
	PTL_COL_COPY_OUTBOX_NEXT_ATTEMPT_AT,
	PTL_COL_COPY_OUTBOX_CLAIMED_UNTIL,
	PTL_COL_COPY_OUTBOX_SENT_AT,
	PTL_COL_COPY_OUTBOX_FAILED_AT,
	PTL_COL_COPY_OUTBOX_LAST_ERROR,
	PTL_COL_COPY_OUTBOX_LANG,
	PTL_COL_COPY_OUTBOX__MAX
};

enum ptl_col_copy_audit { /* PTL_Q_COPY_AUDIT_READ: audit_log */
	PTL_COL_COPY_AUDIT_ID,
	PTL_COL_COPY_AUDIT_AT,
	PTL_COL_COPY_AUDIT_EVENT,
	PTL_COL_COPY_AUDIT_USER_ID,
	PTL_COL_COPY_AUDIT_SESSION_ID,
	PTL_COL_COPY_AUDIT_IP,
	PTL_COL_COPY_AUDIT_DETAIL,
	PTL_COL_COPY_AUDIT_USER_AGENT,
	PTL_COL_COPY_AUDIT_EMAIL,
	PTL_COL_COPY_AUDIT__MAX
};

enum ptl_col_copy_rate { /* PTL_Q_COPY_RATE_READ: rate_limits */
	PTL_COL_COPY_RATE_KEY,
	PTL_COL_COPY_RATE_WINDOW_START,
	PTL_COL_COPY_RATE_COUNT,
	PTL_COL_COPY_RATE_LAST_AT,
	PTL_COL_COPY_RATE__MAX
};

enum ptl_col_copy_oauth { /* PTL_Q_COPY_OAUTH_READ: oauth_states */
	PTL_COL_COPY_OAUTH_HASH,
	PTL_COL_COPY_OAUTH_PROVIDER,
	PTL_COL_COPY_OAUTH_REDIRECT,
	PTL_COL_COPY_OAUTH_VERIFIER,
	PTL_COL_COPY_OAUTH_NONCE,
	PTL_COL_COPY_OAUTH_BROWSER,
	PTL_COL_COPY_OAUTH_CREATED_AT,
	PTL_COL_COPY_OAUTH_EXPIRES_AT,
	PTL_COL_COPY_OAUTH__MAX
};

enum ptl_col_copy_files { /* PTL_Q_COPY_FILES_READ: files */
	PTL_COL_COPY_FILES_ID,
	PTL_COL_COPY_FILES_NAME,
	PTL_COL_COPY_FILES_TYPE,
	PTL_COL_COPY_FILES_SIZE,
	PTL_COL_COPY_FILES_OWNER,
	PTL_COL_COPY_FILES_CREATED_AT,
	PTL_COL_COPY_FILES_ATTACHED_AT,
	PTL_COL_COPY_FILES__MAX
};

enum ptl_col_copy_health { /* PTL_Q_COPY_HEALTH_READ: health_probe */
	PTL_COL_COPY_HEALTH_ID,
	PTL_COL_COPY_HEALTH_AT,
	PTL_COL_COPY_HEALTH__MAX
};

enum ptl_col_copy_count { /* PTL_Q_COPY_*_COUNT */
	PTL_COL_COPY_COUNT_N,
	PTL_COL_COPY_COUNT__MAX
};

enum ptl_col_copy_seq { /* PTL_Q_COPY_*_SEQ */
	PTL_COL_COPY_SEQ_NEXT_ID,
	PTL_COL_COPY_SEQ__MAX
};

struct ptl_db;

struct ptl_migration {
	unsigned version;
	const char *name;
	const char *sql;
};
extern const struct ptl_migration ptl_migrations[];
extern const unsigned ptl_migrations_len;
/* The PostgreSQL sequence (sql/pg/NNN_*.sql, the same numbers). */
extern const struct ptl_migration ptl_migrations_pg[];
extern const unsigned ptl_migrations_pg_len;

/* How ptl_db_open_with() opens the database. */
struct ptl_db_opts {
	int busy_timeout_ms;    /* DATABASE_BUSY_TIMEOUT_MS: the lock wait */
	bool backup_on_migrate; /* DATABASE_BACKUP_ON_MIGRATE */
	/* The file must exist (a process that had it open never makes a new,
	 * empty one where it was moved away): PTL_ERR_DB_REPLACED, not
	 * logged, when it does not. */
	bool no_create;
	/* PostgreSQL: the server was already found unreachable and said so:
	 * another failure to connect is not logged again. */
	bool quiet;
};

/*
 * Opens the database at path, creating it (mode 0600: its -wal and -shm
 * files take that mode) when it does not exist, sets the pragmas and
 * applies pending migrations (ptl_db_migrate). Statements are prepared on
 * first use. OUT db. Errors, each logged once in words an administrator
 * can act on: PTL_ERR_UNAVAILABLE when the folder of path does not exist
 * or is no folder, the file cannot be created or opened, or a migration
 * fails; PTL_ERR_BUSY when the lock wait ran out; PTL_ERR_DB_NEWER when
 * its schema version is newer than this program knows
 * (ptl_db_known_version: it is refused, never touched);
 * PTL_ERR_DB_REPLACED when path does not exist but its -wal or -shm does
 * (moved away or deleted in use: no new database is made in its place),
 * or opts->no_create and it does not exist; a storage fault (PTL_ERR_DB_*)
 * met while opening.
 */
enum ptl_err ptl_db_open_with(const char *path, const struct ptl_db_opts *opts,
			      struct ptl_db **db)
	__attribute__((warn_unused_result, nonnull));

/*
 * The engine: where (the path or URL the open functions take) names a
 * PostgreSQL database when it is a postgres:// or postgresql:// URI or a
 * libpq keyword=value string (DATABASE_URL); anything else is the path of
 * an SQLite file. Every function of this header works on both; where a
 * function speaks of the file, its PostgreSQL meaning is said beside it.
 */
bool ptl_db_is_pg(const char *where) __attribute__((nonnull));
/* Whether db is on PostgreSQL. */
bool ptl_db_engine_pg(const struct ptl_db *db) __attribute__((nonnull));
/* where in words for a log or a message, never with a password:
 * "SQLite database PATH", "PostgreSQL database NAME on HOST". */
void ptl_db_describe(const char *where, char *out, size_t size)
	__attribute__((nonnull));

/*
 * On PostgreSQL (ptl_db_is_pg(path)), ptl_db_open_with() connects (one
 * connection, libpq), sets the session's lock_timeout and
 * statement_timeout to busy_timeout_ms, and migrates under an advisory
 * lock (ptl_db_migrate); backup_on_migrate and no_create do not apply (no
 * file). PTL_ERR_UNAVAILABLE (logged, without the password) when the
 * server cannot be reached; PTL_ERR_DB_NEWER as above. Once open, a
 * connection the server ended while idle is made again before the next
 * statement; a statement whose connection breaks under it answers
 * PTL_ERR_UNAVAILABLE, and the connection is made again later (at most
 * once per back-off interval, 100 ms doubling to 5 s while the server
 * stays away; meanwhile statements answer PTL_ERR_UNAVAILABLE at once).
 */

/* ptl_db_open_with() with busy_timeout_ms and a backup before migrating. */
enum ptl_err ptl_db_open(const char *path, int busy_timeout_ms,
			 struct ptl_db **db) __attribute__((warn_unused_result));

/*
 * Opens an existing database to read it only, creating and writing
 * nothing: no migration, no pragma that writes, and, when the file has no
 * -wal beside it (no process has it open), not even the -wal and -shm
 * files a read-only connection makes (SQLite's immutable mode). For
 * `authportal check-config`. On PostgreSQL: a connection whose
 * transactions are read-only (default_transaction_read_only), no
 * migration. OUT db. PTL_ERR_UNAVAILABLE (logged) when it
 * cannot be opened or is not a database; PTL_ERR_INTERNAL for a path too
 * long.
 */
enum ptl_err ptl_db_open_readonly(const char *path, int busy_timeout_ms,
				  struct ptl_db **db)
	__attribute__((warn_unused_result, nonnull));

/* The newest schema version this program knows (its last migration). */
unsigned ptl_db_known_version(void);

/*
 * Writes a consistent copy of the database to path with SQLite's online
 * backup API: safe while other processes read and write it (the copy is
 * the snapshot of one read transaction, which in WAL mode holds no writer
 * back). Written to path.tmp-PID (mode 0600) and renamed over path at the
 * end, so that path is either what it was or the whole copy. Errors:
 * PTL_ERR_INTERNAL, logged, when the copy cannot be made there.
 * On PostgreSQL: runs pg_dump (found on PATH; the password goes in its
 * environment, not its command line) in its custom format, for
 * pg_restore, written the same way; PTL_ERR_INTERNAL, logged, naming
 * pg_dump when it cannot run or fails.
 */
enum ptl_err ptl_db_backup(struct ptl_db *db, const char *path)
	__attribute__((warn_unused_result, nonnull));

/*
 * Restores the database from the backup at from (a file `authportal
 * backup` or ptl_db_backup wrote) into the open, live database db, with
 * SQLite's online backup API in the other direction: under the
 * database's own write lock (waiting up to the busy timeout), in one
 * transaction, so that every process that has it open sees either the
 * old content or the whole backup, never a mix, and no worker is left
 * writing to an orphaned file. from is checked first (a database whose
 * quick_check passes, with a schema no newer than this program's); an
 * older schema is migrated afterwards (ptl_db_migrate). Errors, logged:
 * PTL_ERR_BAD_REQUEST when from is no usable backup (nothing changed);
 * PTL_ERR_BUSY, or a storage fault (PTL_ERR_DB_*), when the copy could
 * not be made (nothing changed); PTL_ERR_INTERNAL otherwise.
 * On PostgreSQL: refused (PTL_ERR_BAD_REQUEST, logged: use pg_restore).
 */
enum ptl_err ptl_db_restore(struct ptl_db *db, const char *from)
	__attribute__((warn_unused_result, nonnull));

/*
 * true when the file db has open is no longer the one at its path: moved
 * away, deleted, or replaced by another file (SQLite's
 * SQLITE_FCNTL_HAS_MOVED: one stat(2) of the path, compared by inode). A
 * copy written over the file in place (same inode) is not seen.
 * PostgreSQL: always false.
 */
bool ptl_db_moved(struct ptl_db *db) __attribute__((nonnull));

/* true when db was opened read-only because its file could not be
 * written (SQLite falls back to that silently). */
bool ptl_db_readonly(struct ptl_db *db) __attribute__((nonnull));

/* Whether this process can write the database file at path and its -wal
 * and -shm (those that exist: SQLite makes them with the mode of the
 * file, so a file made read-only leaves them read-only too). */
bool ptl_db_writable(const char *path) __attribute__((nonnull));

/*
 * Whether the database can take writes, without writing: PTL_ERR_DB_FULL
 * when its file system has less than PTL_DB_FREE_MIN bytes free for
 * it, PTL_ERR_DB_READONLY when the file, its -wal or -shm, or its folder
 * cannot be written (or the connection is read-only), else PTL_OK. What
 * only a write finds (a lock held too long, an I/O error) is for a real
 * write to say (health's ?deep=1). Not logged.
 * PostgreSQL: PTL_ERR_UNAVAILABLE while the connection is down,
 * PTL_ERR_DB_READONLY when the server is a hot standby, else PTL_OK.
 */
#define PTL_DB_FREE_MIN (64 * 1024)
/* How long a storage fault counts as recent (ptl_db_last_fault). */
#define PTL_DB_FAULT_RECENT_US (30 * 1000000LL)
enum ptl_err ptl_db_storage(struct ptl_db *db) __attribute__((nonnull));

/*
 * The storage fault (PTL_ERR_BUSY, PTL_ERR_DB_FULL, _READONLY, _IO) that
 * an SQLite result code rc (extended or primary) with the system errno
 * sys_errno (sqlite3_system_errno) means, or PTL_OK for any other code.
 * Every statement's failure goes through it: such a fault is answered 503
 * and logged at most once per cause a minute per process.
 */
enum ptl_err ptl_db_fault_of(int rc, int sys_errno);

/* The last storage fault this process saw, if within_us ago or less and
 * no transaction was committed since; else PTL_OK. */
enum ptl_err ptl_db_last_fault(int64_t within_us);

/* Forgets the faults seen and logged (tests). */
void ptl_db_fault_reset(void);

/* Prepares every statement now (they are otherwise prepared on first use):
 * checks the SQL against the schema, and the result columns of each
 * against its PTL_COL_ list (count and names). PTL_ERR_INTERNAL, with one
 * log line naming the statement and the column, if one fails. */
enum ptl_err ptl_db_prepare_all(struct ptl_db *db)
	__attribute__((warn_unused_result));

/* The column check of ptl_db_prepare_all() for one statement q against
 * the n names given (borrowed; n == 0 for none), exposed so that the unit
 * tests can show it fails: PTL_ERR_INTERNAL, logged, when the count or a
 * name differs or q does not prepare. */
enum ptl_err ptl_db_check_columns(struct ptl_db *db, enum ptl_q q,
				  const char *const *names, unsigned n)
	__attribute__((warn_unused_result));

/* Finalises the statements and closes. NULL is a no-op. */
void ptl_db_close(struct ptl_db *db);

/*
 * Applies the pending migrations, all in one write transaction: either
 * every one is applied or none. When the database already has a schema
 * (version above 0) and the open asked for it (backup_on_migrate), a
 * backup is written first beside the file, as
 * <path>.schema<N>-<YYYYMMDDTHHMMSSZ>.bak (ptl_db_backup), and no
 * migration runs without it. OUT applied: how many ran (may be NULL).
 * Called by ptl_db_open; exposed for `authportal migrate`.
 */
enum ptl_err ptl_db_migrate(struct ptl_db *db, unsigned *applied)
	__attribute__((warn_unused_result));

/* The schema version (PRAGMA user_version; on PostgreSQL the one row of
 * the table schema_version, which the adapter makes; 0 when none). */
unsigned ptl_db_version(struct ptl_db *db);

/*
 * Statement use: ptl_db_q() resets and clears the statement and returns a
 * handle to bind into; ptl_db_step() runs it (OUT row: a row is ready);
 * the column getters read that row. Parameters are 1-based; columns are
 * named by the statement's PTL_COL_ list.
 * Text returned by ptl_db_text is valid until the next step or reset.
 */
struct ptl_stmt;
struct ptl_stmt *ptl_db_q(struct ptl_db *db, enum ptl_q q);
void ptl_db_bind_int(struct ptl_stmt *st, int i, int64_t v);
void ptl_db_bind_text(struct ptl_stmt *st, int i, const char *s, size_t len);
void ptl_db_bind_textz(struct ptl_stmt *st, int i, const char *s); /* NULL binds NULL */
void ptl_db_bind_blob(struct ptl_stmt *st, int i, const void *p, size_t len);
void ptl_db_bind_null(struct ptl_stmt *st, int i);
/* PTL_OK with *row set; PTL_ERR_CONFLICT on a UNIQUE violation;
 * PTL_ERR_BUSY when the lock wait ran out; PTL_ERR_INTERNAL otherwise. */
enum ptl_err ptl_db_step(struct ptl_stmt *st, bool *row)
	__attribute__((warn_unused_result));
/* Runs a statement that returns no row, then resets it. */
enum ptl_err ptl_db_exec(struct ptl_stmt *st) __attribute__((warn_unused_result));
int64_t ptl_db_int(struct ptl_stmt *st, int col);
bool ptl_db_is_null(struct ptl_stmt *st, int col);
const char *ptl_db_text(struct ptl_stmt *st, int col); /* NULL for NULL */
const void *ptl_db_blob(struct ptl_stmt *st, int col, size_t *len);
/* Resets st (releases its read lock). */
void ptl_db_done(struct ptl_stmt *st);

/* Upkeep between requests (after the response went out): every few
 * hundred calls, looks at the size of the WAL, and when overlapping readers
 * kept SQLite's own checkpoints from restarting it until it passed 256 MiB,
 * runs a truncating checkpoint. The threshold is high on purpose: the
 * truncation waits for readers and holds writers back (measured: a 250 ms
 * pause at 64 MiB under load), while a long WAL costs little. */
void ptl_db_maintain(struct ptl_db *db);

/* Rows changed by the last INSERT/UPDATE/DELETE. */
int64_t ptl_db_changes(struct ptl_db *db);
/* The id of the row the last INSERT made (PostgreSQL: lastval(), this
 * connection's last identity value). */
int64_t ptl_db_last_id(struct ptl_db *db);

/* BEGIN IMMEDIATE: takes the write lock at once (waiting up to the busy
 * timeout), so a transaction never fails on a lock upgrade. PostgreSQL:
 * BEGIN and one advisory lock (pg_advisory_xact_lock) shared by every
 * host, so that write transactions still run one at a time (db_pg.c). */
enum ptl_err ptl_db_begin(struct ptl_db *db) __attribute__((warn_unused_result));
/* A write transaction whose correctness rests only on its own statements'
 * row locks, such as a read followed by a compare-and-swap UPDATE ...
 * WHERE the row is still what was read (a refresh rotation), not on
 * running alone. SQLite: ptl_db_begin (a writer is always alone there).
 * PostgreSQL: BEGIN without the advisory lock, so that such transactions
 * on different rows run side by side on every host, and beside those of
 * ptl_db_begin, as single statements do (db_pg.c). Ended as any other. */
enum ptl_err ptl_db_begin_rows(struct ptl_db *db)
	__attribute__((warn_unused_result));
enum ptl_err ptl_db_commit(struct ptl_db *db) __attribute__((warn_unused_result));
/* Rolls back if a transaction is open; safe to call on every error path. */
void ptl_db_rollback(struct ptl_db *db);

/*
 * Whether the writes of db queue on the side lock of its file (db.c, "the
 * write queue": a writer that waits sleeps in flock(2) and is woken as the
 * lock frees, rather than polling SQLite's lock from the busy handler).
 */
bool ptl_db_queued(const struct ptl_db *db);

/* Ends the open transaction by the outcome e of its work: commits on PTL_OK
 * (and returns the commit's result), otherwise rolls back and returns e. */
enum ptl_err ptl_db_end(struct ptl_db *db, enum ptl_err e)
	__attribute__((warn_unused_result));

#endif
