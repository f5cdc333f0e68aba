/* SPDX-License-Identifier: ISC */
/*
 * files: uploaded images, the reference's local file driver (API.md
 * §9.11), and profile photos (§1.10, §2.1). An upload is checked by its
 * bytes (JPEG, PNG or GIF magic; never the name or the Content-Type),
 * written to FILES_DIR (created 0700) under a random name (128 bits in
 * hex and the checked type's extension) through a temporary file and a
 * rename, so that no partial file is ever served, and recorded in the
 * files table (sql/008_files.sql) with its uploader. It stays
 * "unattached" until it becomes a photo: a user may hold at most
 * FILES_MAX_UNATTACHED of those, and `authportal gc` removes them after a
 * day. A photo replaced or removed, and every file of a deleted account,
 * is removed, row and bytes. Not responsible for reading the multipart
 * body (web/multipart.h) nor for the answer's headers (web/resp.h).
 */
#ifndef PTL_FILES_H
#define PTL_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"
#include "domain/app.h"
#include "domain/refusal.h"

#define PTL_FILES_ID_LEN 36   /* a UUID (RFC 9562 §4), lower-case */
#define PTL_FILES_NAME_MAX 36 /* 32 hex digits, ".", the extension */
#define PTL_FILES_GC_AGE_MS (24 * 3600 * 1000LL) /* unattached uploads */

struct ptl_file {
	const char *id;   /* UUID */
	const char *name; /* the name it is served under */
	const char *type; /* image/jpeg, image/png or image/gif */
	const char *path; /* its URL (ptl_files_url()) */
	int64_t size, owner;
	bool attached; /* a user's photo */
};

/* The media type of data[0..len) by its magic bytes, and OUT ext its
 * extension ("jpg", "png", "gif"); NULL (ext untouched) for anything
 * else: SVG, HTML, an empty file, a truncated header. */
const char *ptl_files_sniff(const char *data, size_t len, const char **ext)
	__attribute__((nonnull(3)));

/* Whether name is one that an upload could have been given: 32
 * lower-case hex digits, ".", jpg, png or gif. Nothing else (no "/", no
 * "..", no encoding) ever reaches the file system. */
bool ptl_files_name_ok(const char *name, size_t len);

/* The URL of the file name (API.md §2.1): BACKEND_DOMAIN (else
 * "http://localhost", the reference's default) + "/api/v1/files/" + name.
 * Arena-owned. */
const char *ptl_files_url(struct ptl_arena *a, const struct ptl_app *app,
			  const char *name) __attribute__((nonnull));

/*
 * Stores the upload data[0..len) (data NULL: no file part came) of user
 * owner, unattached. OUT f: the new file (arena-owned strings).
 * Errors: PTL_ERR_VALIDATION with why: file selectFile (no file), file
 * cantUploadFileType (not a JPEG, PNG or GIF by its bytes), file
 * tooManyFiles (owner already holds FILES_MAX_UNATTACHED unattached
 * uploads); PTL_ERR_INTERNAL when FILES_DIR cannot be made or written (no
 * file is left behind); a database error (the file is removed again).
 */
enum ptl_err ptl_files_upload(struct ptl_arena *a, struct ptl_app *app,
			      int64_t owner, const char *data, size_t len,
			      int64_t now_ms, struct ptl_file *f,
			      struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull(1, 2, 7, 8)));

/*
 * The file served under name[0..len), read whole into a. OUT f and OUT
 * data, data_len (arena-owned). PTL_ERR_NOT_FOUND for a malformed name,
 * an unknown one, or one whose bytes are gone (logged); a database error.
 */
enum ptl_err ptl_files_read(struct ptl_arena *a, struct ptl_app *app,
			    const char *name, size_t len, struct ptl_file *f,
			    const char **data, size_t *data_len)
	__attribute__((warn_unused_result, nonnull));

/*
 * Whether id can become the photo of user_id, set by actor_id (the user
 * itself, or an admin): a file that exists and is either actor_id's own
 * unattached upload or already user_id's photo. Errors: PTL_ERR_VALIDATION
 * with why photo imageNotExists otherwise (a malformed id included,
 * API.md §9.9); a database error.
 */
enum ptl_err ptl_files_check_photo(struct ptl_arena *a, struct ptl_app *app,
				   int64_t user_id, int64_t actor_id,
				   const char *id, struct ptl_refusal *why)
	__attribute__((warn_unused_result, nonnull));

/*
 * Makes id (checked by ptl_files_check_photo()) the photo of user_id, or
 * with id NULL removes it, inside the caller's transaction. The old photo's
 * row is deleted; OUT gone: its name (arena-owned) or NULL, for
 * ptl_files_remove() once the transaction is committed. A database error.
 */
enum ptl_err ptl_files_set_photo(struct ptl_arena *a, struct ptl_app *app,
				 int64_t user_id, const char *id,
				 int64_t now_ms, const char **gone)
	__attribute__((warn_unused_result, nonnull(1, 2, 6)));

/* Removes the bytes of the file name from FILES_DIR (after its row);
 * a failure is logged, and gc finds nothing more to do about it. */
void ptl_files_remove(struct ptl_app *app, const char *name)
	__attribute__((nonnull));

/*
 * Removes the files (rows, then bytes) of user_id, photo and uploads, for
 * the deletion of the account. A database error (gc then does it: it
 * removes the files of deleted accounts).
 */
enum ptl_err ptl_files_drop_user(struct ptl_app *app, int64_t user_id)
	__attribute__((warn_unused_result, nonnull));

/*
 * `authportal gc`: removes uploads left unattached for more than
 * PTL_FILES_GC_AGE_MS before now_ms and every file of a deleted account.
 * OUT removed: how many. A database error.
 */
enum ptl_err ptl_files_gc(struct ptl_app *app, int64_t now_ms,
			  int64_t *removed)
	__attribute__((warn_unused_result, nonnull));

#endif
