/* SPDX-License-Identifier: ISC */
/*
 * account: users (API.md §1.1, §1.2, §1.7, §1.10, §1.11, §2, §7): register,
 * sign in (opening a session), load and serialise, update names and
 * password, soft-delete, disable, seed the demo users. Email addresses
 * arrive already normalised and validated (base/email.c, web/field.c).
 */
#ifndef PTL_ACCOUNT_H
#define PTL_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/app.h"
#include "base/mem.h"
#include "base/buf.h"

/* Role and status ids of API.md §6 (the roles and statuses tables). */
#define PTL_ACCOUNT_ROLE_ADMIN 1
#define PTL_ACCOUNT_ROLE_USER 2
#define PTL_ACCOUNT_STATUS_ACTIVE 1
#define PTL_ACCOUNT_STATUS_INACTIVE 2

/* A user row; strings are arena-owned, NULL for SQL NULL. */
struct ptl_user {
	int64_t id, role_id, status_id, created_at, updated_at;
	const char *email, *provider, *social_id, *first_name, *last_name;
	const char *password; /* the stored hash: never serialised */
	/* The photo (API.md §2.1, §9.11), or NULLs: its file id and its URL,
	 * BACKEND_DOMAIN + "/api/v1/files/" + its name. */
	const char *photo_id, *photo_path;
};

/* Why a sign-in failed, for the field-specific errors of API.md §1.1. */
enum ptl_login_fail {
	PTL_LOGIN_OK,
	PTL_LOGIN_NOT_FOUND,
	PTL_LOGIN_PROVIDER, /* social account: needLoginViaProvider */
	PTL_LOGIN_PASSWORD,
};

struct ptl_login {
	struct ptl_user user; /* the signed-in user */
	int64_t session_id;
	char *hash;           /* refresh secret of the new session */
	const char *provider; /* for PTL_LOGIN_PROVIDER */
	char *device;         /* a new device token (signin.h), or NULL */
};

/*
 * Checks email/password and opens a session. Unknown users and social
 * accounts cost one dummy Argon2id run, so timing does not tell them apart.
 * Re-hashes the password when the parameters changed. OUT fail: the reason
 * when PTL_ERR_UNAUTHORIZED is returned.
 */
enum ptl_err ptl_account_login(struct ptl_arena *a, struct ptl_app *app,
			       const char *email, const char *pw, size_t pw_len,
			       const char *user_agent, const char *ip,
			       int64_t now_ms, struct ptl_login *out,
			       enum ptl_login_fail *fail)
	__attribute__((warn_unused_result));

/*
 * Creates an email user (role User, status Inactive). PTL_ERR_CONFLICT when
 * any user, deleted ones included, has the address. OUT user_id.
 */
enum ptl_err ptl_account_register(struct ptl_arena *a, struct ptl_app *app,
				  const char *email, const char *pw,
				  size_t pw_len, const char *first,
				  const char *last, int64_t role_id,
				  int64_t status_id, int64_t now_ms,
				  int64_t *user_id)
	__attribute__((warn_unused_result));

/* The Argon2id hash of pw at the configured parameters, made before any
 * write transaction begins (it is the slow part). OUT hash: arena-owned. */
enum ptl_err ptl_account_hash(struct ptl_arena *a, struct ptl_app *app,
			      const char *pw, size_t pw_len, char **hash)
	__attribute__((warn_unused_result));

/* ptl_account_register with a hash made by ptl_account_hash(), for use
 * inside a transaction. provider NULL means "email". */
enum ptl_err ptl_account_insert(struct ptl_app *app, const char *email,
				const char *hash, const char *first,
				const char *last, int64_t role_id,
				int64_t status_id, int64_t now_ms,
				int64_t *user_id) __attribute__((warn_unused_result));

/* Stores a hash made by ptl_account_hash() as the user's password. The
 * security stamp is the caller's: a password change or reset also calls
 * ptl_account_new_stamp(); the re-hash of a sign-in does not. */
/*
 * The re-hash of a sign-in whose stored hash old_hash has outdated
 * parameters: stores pw hashed with the current ones only if the stored
 * hash is still old_hash, so that a password changed between the check and
 * the re-hash (a reset, on any worker or host) stays. A hash that changed
 * meanwhile is PTL_OK with nothing written.
 */
enum ptl_err ptl_account_rehash(struct ptl_arena *a, struct ptl_app *app,
				int64_t user_id, const char *old_hash,
				const char *pw, size_t pw_len, int64_t now_ms)
	__attribute__((warn_unused_result));

enum ptl_err ptl_account_store_hash(struct ptl_app *app, int64_t user_id,
				    const char *hash, int64_t now_ms)
	__attribute__((warn_unused_result));

/*
 * What the one-time links of a user are tied to (API.md §4.3): any user
 * row, deleted and disabled ones included. Strings arena-owned, NULL for
 * SQL NULL.
 */
struct ptl_link_state {
	int64_t status_id;
	bool gone;                 /* deleted or disabled */
	int64_t stamp;             /* the security stamp */
	const char *email;         /* the current address */
	const char *pending_email; /* the change PATCH /me asked for last */
};

/* Reads the link state of user_id. PTL_ERR_NOT_FOUND when there is no
 * such row. OUT st. */
enum ptl_err ptl_account_link_state(struct ptl_arena *a,
				    const struct ptl_app *app, int64_t user_id,
				    struct ptl_link_state *st)
	__attribute__((warn_unused_result, nonnull));

/*
 * Kills every outstanding one-time link of the user: a new security
 * stamp, no pending address, and the user's mails not yet delivered
 * cancelled (their links would be dead; a mail already being delivered
 * is left alone). Call it inside the write transaction of a password
 * change or reset or a change of address (API.md §4.3). proved: the
 * change came through a link mailed to the address (a reset), which
 * confirms the address as a confirm link would: an Inactive account
 * becomes Active.
 */
enum ptl_err ptl_account_new_stamp(struct ptl_app *app, int64_t user_id,
				   bool proved, int64_t now_ms)
	__attribute__((warn_unused_result, nonnull));

/* Records email as the address of the user's latest email change, still
 * to be confirmed; only a confirm-new-email link for it can change the
 * address (API.md §1.10). */
enum ptl_err ptl_account_set_pending(struct ptl_app *app, int64_t user_id,
				     const char *email)
	__attribute__((warn_unused_result, nonnull));

/* Confirms the registration (API.md §1.3): status Active. */
enum ptl_err ptl_account_activate(struct ptl_app *app, int64_t user_id,
				  int64_t now_ms)
	__attribute__((warn_unused_result, nonnull));

/* Confirms a new address (API.md §1.4): sets it and status Active, and
 * kills every outstanding link (ptl_account_new_stamp). Inside a write
 * transaction. PTL_ERR_CONFLICT when another user has the address. */
enum ptl_err ptl_account_set_email(struct ptl_app *app, int64_t user_id,
				   const char *email, int64_t now_ms)
	__attribute__((warn_unused_result, nonnull));

/* Loads a live (not deleted, not disabled) user. PTL_ERR_NOT_FOUND. */
enum ptl_err ptl_account_get(struct ptl_arena *a, struct ptl_app *app,
			     int64_t user_id, struct ptl_user *u)
	__attribute__((warn_unused_result));

/* Loads the live user of a live session in one query: the session check of
 * every access-token request (API.md §10.3), which also gives the handler
 * its user. PTL_ERR_NOT_FOUND when the session is ended or expired, is not
 * user_id's, or the user is deleted or disabled. */
enum ptl_err ptl_account_get_by_session(struct ptl_arena *a, struct ptl_app *app,
					int64_t session_id, int64_t user_id,
					int64_t now_ms, struct ptl_user *u)
	__attribute__((warn_unused_result));

/* Reads the PTL_COL_USER columns (adapters/db.h) of the current row of st
 * into u, strings copied to a: the rows of every statement that selects
 * a whole user (USER_GET, SESSION_USER, the USERS_PAGE list). */
struct ptl_stmt;
void ptl_account_read_row(struct ptl_arena *a, struct ptl_stmt *st,
			  struct ptl_user *u) __attribute__((nonnull));

/* Completes the photo of a row read by ptl_account_read_row(): its URL as
 * the reference's local driver makes it, the backend's address then the
 * route that serves files (API.md §2.1), in u->photo_path; no photo (both
 * NULL) unless the row has its id and name. ptl_account_get() and
 * ptl_account_get_by_session() do it; a reader of the list must. */
void ptl_account_photo_url(struct ptl_arena *a, const struct ptl_app *app,
			   struct ptl_user *u) __attribute__((nonnull));

/* Writes u as the User object of API.md §2.1 (group "me"; the admin group
 * of the users API, §11.3, shows the same fields), its photo between
 * lastName and role when it has one. */
void ptl_account_user_json(const struct ptl_user *u, struct ptl_buf *out);

/* Stores an Argon2id hash of pw. */
enum ptl_err ptl_account_set_password(struct ptl_arena *a, struct ptl_app *app,
				      int64_t user_id, const char *pw,
				      size_t pw_len, int64_t now_ms)
	__attribute__((warn_unused_result));

/* Sets first/last name where set_* is true (value NULL stores NULL). */
enum ptl_err ptl_account_set_names(struct ptl_app *app, int64_t user_id,
				   bool set_first, const char *first,
				   bool set_last, const char *last,
				   int64_t now_ms)
	__attribute__((warn_unused_result));

/* Soft-deletes the user and ends every session (API.md §10.3, §10.8),
 * then removes its photo and uploads (files.h);
 * records account_deleted (audit.h). */
enum ptl_err ptl_account_delete(struct ptl_app *app, int64_t user_id,
				int64_t now_ms) __attribute__((warn_unused_result));

/* Disables the user (admin) and ends every session; records
 * account_disabled (audit.h). */
enum ptl_err ptl_account_disable(struct ptl_app *app, int64_t user_id,
				 int64_t now_ms) __attribute__((warn_unused_result));

/* Id of any user (deleted included) with this email; PTL_ERR_NOT_FOUND. */
enum ptl_err ptl_account_find(struct ptl_app *app, const char *email,
			      int64_t *user_id) __attribute__((warn_unused_result));

/* The names of a role and a status id (API.md §6): "Admin", "User";
 * "Active", "Inactive"; NULL for an unknown id. Static strings. */
const char *ptl_account_role_name(int64_t role_id);
const char *ptl_account_status_name(int64_t status_id);

/* Inserts the demo users of API.md §7 unless users with those roles exist
 * (the reference's idempotence rule). OUT created: how many. */
enum ptl_err ptl_account_seed(struct ptl_arena *a, struct ptl_app *app,
			      unsigned *created) __attribute__((warn_unused_result));

#endif
