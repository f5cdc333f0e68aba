/* SPDX-License-Identifier: ISC */
/*
 * users: the use cases of the users admin API (API.md §11, with our
 * differences of §10 items 15-27): who may call it (the caller's role as
 * the database has it now), the list with its page, limit, filters and
 * sort, and get, create, update and delete of one user. Users are written
 * as the User object of account.h (§11.3: the admin group shows what the
 * "me" group shows). Not responsible for the field checks of the bodies
 * (the executable's field table, web/field.h) or for answering.
 */
#ifndef PTL_USERS_H
#define PTL_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/db.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "domain/account.h"
#include "domain/app.h"
#include "domain/refusal.h"

struct ptl_json;

/* The largest page (API.md §11.4: limit above 50 is 50). */
#define PTL_USERS_LIMIT_MAX 50
/* The largest id a path takes (API.md §10.15). */
#define PTL_USERS_ID_MAX 2147483647

/*
 * The admin check of every users request (API.md §10.24), after the access
 * token was verified: reads user_id's role and state from the database
 * now, whatever the token's role claim or AUTH_SESSION_CHECK say.
 * Returns PTL_OK for a live Admin, PTL_ERR_UNAUTHORIZED when the user is
 * deleted, disabled or gone, PTL_ERR_FORBIDDEN for any other role, or a
 * database error.
 */
enum ptl_err ptl_users_authorize(struct ptl_app *app, int64_t user_id)
    __attribute__((warn_unused_result, nonnull));

/* Whether s is a path id of API.md §10.15: decimal digits only, from 1 to
 * PTL_USERS_ID_MAX. OUT id. */
bool ptl_users_parse_id(const char *s, int64_t *id) __attribute__((nonnull));

/* One 422 error of the list's query (API.md §11.4): the parameter, and its
 * value as JSON text (a string, or a nested tree), arena-owned. */
struct ptl_users_error {
	const char *field;
	const char *json;
};

/* The list's query, parsed. */
struct ptl_users_query {
	int64_t limit, offset;
	const char *roles; /* JSON array of role ids, or NULL: any role */
	size_t nkeys;
	struct {
		int column; /* the code of PTL_Q_USERS_PAGE_SORTED (db.h) */
		bool desc;
	} keys[PTL_DB_SORT_KEYS];
};

/*
 * Parses the query parameters page, limit, filters and sort (each NULL
 * when absent; percent-decoded) as API.md §11.4 and §10.21-23 say. OUT q.
 * OUT errors[0..*nerrors) (at most 4, in the order page, limit, filters,
 * sort; arena-owned) when PTL_ERR_VALIDATION is returned; else PTL_OK.
 */
enum ptl_err ptl_users_parse_query(struct ptl_arena *a, const char *page,
				   const char *limit, const char *filters,
				   const char *sort, struct ptl_users_query *q,
				   struct ptl_users_error errors[4],
				   size_t *nerrors)
    __attribute__((warn_unused_result, nonnull(1, 6, 7, 8)));

/*
 * Writes one page of live users as {"data":[User...],"hasNextPage":bool}
 * (API.md §11.4) to out: one prepared statement, by the sort keys then by
 * id. Returns PTL_OK or a database error.
 */
enum ptl_err ptl_users_list_json(struct ptl_arena *a, struct ptl_app *app,
				 const struct ptl_users_query *q,
				 struct ptl_buf *out)
    __attribute__((warn_unused_result, nonnull));

/* The validated body of POST and PATCH (strings borrowed). */
struct ptl_users_input {
	const char *email; /* normalised; NULL: absent or null */
	const char *password;
	size_t password_len;
	bool set_first, set_last; /* PATCH: given (a null clears) */
	const char *first, *last;
	int64_t actor; /* the admin caller, whose uploads may become photos */
	/* The whole body, for photo, role and status (API.md §11.9). */
	const struct ptl_json *body;
};

/* Loads the live user id. PTL_ERR_NOT_FOUND (API.md §10.15). OUT u. */
enum ptl_err ptl_users_get(struct ptl_arena *a, struct ptl_app *app, int64_t id,
			   struct ptl_user *u)
    __attribute__((warn_unused_result, nonnull));

/*
 * POST /users (API.md §11.6, §10.16-20, §10.26-27): refuses, in this order,
 * an address any user has, deleted ones included (email:
 * emailAlreadyExists), a photo:{id} that is no upload of in->actor
 * (photo: imageNotExists, ptl_files_check_photo()), a bad role and a bad
 * status (roleNotExists, statusNotExists); then hashes the password and
 * inserts an email user, role User and status Active unless given, with
 * the photo, in one transaction.
 * OUT u: the user as loaded after the insert. OUT why with
 * PTL_ERR_VALIDATION.
 */
enum ptl_err ptl_users_create(struct ptl_arena *a, struct ptl_app *app,
			      const struct ptl_users_input *in, int64_t now_ms,
			      struct ptl_user *u, struct ptl_refusal *why)
    __attribute__((warn_unused_result, nonnull));

/*
 * PATCH /users/:id (API.md §11.7, §10.15-20, §10.25-27): the refusals of
 * ptl_users_create (the target's own address is not one), then
 * PTL_ERR_NOT_FOUND when id is no live user; then, in one transaction,
 * writes the given fields. photo:{id} may also be the target's current
 * photo; photo:null removes it; a replaced photo is deleted, row and
 * bytes, after the commit. A new password or address kills the target's
 * mailed links (account.h); a new password also ends every session of
 * the target but keep_session (the caller's own). OUT u: the user as
 * loaded after the change.
 */
enum ptl_err ptl_users_update(struct ptl_arena *a, struct ptl_app *app,
			      int64_t id, int64_t keep_session,
			      const struct ptl_users_input *in, int64_t now_ms,
			      struct ptl_user *u, struct ptl_refusal *why)
    __attribute__((warn_unused_result, nonnull));

/* DELETE /users/:id (API.md §11.8, §10.15, §10.25): soft-deletes a live
 * user, ends all of its sessions and removes its files (ptl_account_delete).
 * An unknown or
 * already deleted id is PTL_OK too, and keeps its first deletedAt. */
enum ptl_err ptl_users_delete(struct ptl_app *app, int64_t id, int64_t now_ms)
    __attribute__((warn_unused_result, nonnull));

#endif
