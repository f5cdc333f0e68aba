/* SPDX-License-Identifier: ISC */
/* files: see files.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/crypto.h"
#include "adapters/db.h"
#include "base/log.h"
#include "base/str.h"
#include "domain/files.h"

#define GC_BATCH 100

const char *
ptl_files_sniff(const char *data, size_t len, const char **ext)
{
	static const unsigned char png[] = {0x89, 'P',  'N',  'G',
					    '\r', '\n', 0x1a, '\n'};
	const unsigned char *p = (const unsigned char *)data;

	if (data == NULL)
		return NULL;
	if (len >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) {
		*ext = "jpg";
		return "image/jpeg";
	}
	if (len >= sizeof(png) + 8 && memcmp(p, png, sizeof(png)) == 0) {
		*ext = "png";
		return "image/png";
	}
	if (len >= 13 &&
	    (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0)) {
		*ext = "gif";
		return "image/gif";
	}
	return NULL;
}

/* The media type of an extension of ptl_files_name_ok(). */
static const char *
type_of_ext(const char *ext)
{
	if (strcmp(ext, "jpg") == 0)
		return "image/jpeg";
	if (strcmp(ext, "png") == 0)
		return "image/png";
	return "image/gif";
}

bool
ptl_files_name_ok(const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len != 36 || name[32] != '.')
		return false;
	for (i = 0; i < 32; i++) {
		char c = name[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return memcmp(name + 33, "jpg", 3) == 0 ||
	       memcmp(name + 33, "png", 3) == 0 ||
	       memcmp(name + 33, "gif", 3) == 0;
}

/* A UUID as the reference's ids are: version 4, lower-case. */
static bool
id_ok(const char *id)
{
	size_t i;

	if (strlen(id) != PTL_FILES_ID_LEN)
		return false;
	for (i = 0; i < PTL_FILES_ID_LEN; i++) {
		char c = id[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-'
			 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

const char *
ptl_files_url(struct ptl_arena *a, const struct ptl_app *app, const char *name)
{
	const char *base = app->cfg.backend_domain;

	if (base == NULL || *base == '\0')
		base = "http://localhost";
	return ptl_mem_printf(a, "%s/api/v1/files/%s", base, name);
}

static char *
new_uuid(struct ptl_arena *a)
{
	unsigned char raw[16];
	char hex[33];

	ptl_crypto_random(raw, sizeof(raw));
	raw[6] = (unsigned char)((raw[6] & 0x0f) | 0x40); /* RFC 9562 §5.4 */
	raw[8] = (unsigned char)((raw[8] & 0x3f) | 0x80);
	ptl_str_hex(hex, raw, sizeof(raw));
	return ptl_mem_printf(a, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
			      hex + 12, hex + 16, hex + 20);
}

static char *
path_of(struct ptl_arena *a, const struct ptl_app *app, const char *name)
{
	return ptl_mem_printf(a, "%s/%s", app->cfg.files_dir, name);
}

/* FILES_DIR and the folders above it, the last one 0700. */
static enum ptl_err
make_dir(struct ptl_arena *a, const char *dir)
{
	char *p = ptl_mem_strdup(a, dir);
	char *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			PTL_LOG_ERR("FILES_DIR: cannot make %s: %s", p,
				    strerror(errno));
			return PTL_ERR_INTERNAL;
		}
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST) {
		PTL_LOG_ERR("FILES_DIR: cannot make %s: %s", p,
			    strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	return PTL_OK;
}

static bool
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Writes the bytes under name: a temporary file of its own, then a
 * rename, so that a reader sees the whole file or none. */
static enum ptl_err
store(struct ptl_arena *a, struct ptl_app *app, const char *name,
      const char *data, size_t len)
{
	const char *dir = app->cfg.files_dir;
	char *tmp, *final;
	int fd;
	bool good;

	if (make_dir(a, dir) != PTL_OK)
		return PTL_ERR_INTERNAL;
	tmp = ptl_mem_printf(a, "%s/.upload-%s", dir, name);
	final = path_of(a, app, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		PTL_LOG_ERR("FILES_DIR: cannot create %s: %s", tmp,
			    strerror(errno));
		return PTL_ERR_INTERNAL;
	}
	good = write_all(fd, data, len) && fsync(fd) == 0;
	good = close(fd) == 0 && good;
	if (good && rename(tmp, final) == 0)
		return PTL_OK;
	PTL_LOG_ERR("FILES_DIR: cannot write %s: %s", final, strerror(errno));
	(void)unlink(tmp);
	return PTL_ERR_INTERNAL;
}

/* The count of the owner's unattached uploads, and the row, in one
 * transaction so that two uploads at once cannot pass the cap. */
static enum ptl_err
record(struct ptl_app *app, const struct ptl_file *f, int64_t now_ms,
       struct ptl_refusal *why)
{
	struct ptl_stmt *st;
	bool row;
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_FILE_COUNT_LOOSE);
	ptl_db_bind_int(st, 1, f->owner);
	e = ptl_db_step(st, &row);
	if (e == PTL_OK && row &&
	    ptl_db_int(st, PTL_COL_FILE_COUNT_N) >=
		(int64_t)app->cfg.files_loose_max)
		e = ptl_refusal_field(why, "file", "tooManyFiles");
	ptl_db_done(st);
	if (e == PTL_OK) {
		st = ptl_db_q(app->db, PTL_Q_FILE_INSERT);
		ptl_db_bind_textz(st, 1, f->id);
		ptl_db_bind_textz(st, 2, f->name);
		ptl_db_bind_textz(st, 3, f->type);
		ptl_db_bind_int(st, 4, f->size);
		ptl_db_bind_int(st, 5, f->owner);
		ptl_db_bind_int(st, 6, now_ms);
		e = ptl_db_exec(st);
	}
	return ptl_db_end(app->db, e);
}

enum ptl_err
ptl_files_upload(struct ptl_arena *a, struct ptl_app *app, int64_t owner,
		 const char *data, size_t len, int64_t now_ms,
		 struct ptl_file *f, struct ptl_refusal *why)
{
	const char *ext = NULL;
	enum ptl_err e;

	ptl_refusal_clear(why);
	memset(f, 0, sizeof(*f));
	if (data == NULL)
		return ptl_refusal_field(why, "file", "selectFile");
	f->type = ptl_files_sniff(data, len, &ext);
	if (f->type == NULL)
		return ptl_refusal_field(why, "file", "cantUploadFileType");
	f->id = new_uuid(a);
	f->name = ptl_mem_printf(a, "%s.%s", ptl_crypto_random_hex(a, 16), ext);
	f->path = ptl_files_url(a, app, f->name);
	f->size = (int64_t)len;
	f->owner = owner;
	e = store(a, app, f->name, data, len);
	if (e != PTL_OK)
		return e;
	e = record(app, f, now_ms, why);
	if (e != PTL_OK)
		ptl_files_remove(app, f->name);
	return e;
}

/* Reads the PTL_COL_FILE row of st into f. */
static void
read_file_row(struct ptl_arena *a, struct ptl_stmt *st, struct ptl_file *f)
{
	f->id = ptl_mem_strdup(a, ptl_db_text(st, PTL_COL_FILE_ID));
	f->name = ptl_mem_strdup(a, ptl_db_text(st, PTL_COL_FILE_NAME));
	f->type = ptl_mem_strdup(a, ptl_db_text(st, PTL_COL_FILE_TYPE));
	f->size = ptl_db_int(st, PTL_COL_FILE_SIZE);
	f->owner = ptl_db_int(st, PTL_COL_FILE_OWNER);
	f->attached = !ptl_db_is_null(st, PTL_COL_FILE_ATTACHED_AT);
}

/* One row of q bound to text key (or, with key NULL, to id). */
static enum ptl_err
fetch(struct ptl_arena *a, struct ptl_app *app, enum ptl_q q, const char *key,
      int64_t id, struct ptl_file *f)
{
	struct ptl_stmt *st = ptl_db_q(app->db, q);
	bool row = false;
	enum ptl_err e;

	if (key != NULL)
		ptl_db_bind_textz(st, 1, key);
	else
		ptl_db_bind_int(st, 1, id);
	e = ptl_db_step(st, &row);
	if (e == PTL_OK && row)
		read_file_row(a, st, f);
	ptl_db_done(st);
	if (e != PTL_OK)
		return e;
	return row ? PTL_OK : PTL_ERR_NOT_FOUND;
}

/* The whole of an open regular file of at most max bytes. */
static enum ptl_err
slurp(struct ptl_arena *a, int fd, size_t max, const char **data, size_t *len)
{
	struct stat sb;
	char *buf;
	size_t got = 0;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0 ||
	    (uint64_t)sb.st_size > max)
		return PTL_ERR_NOT_FOUND;
	buf = ptl_mem_alloc(a, (size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return PTL_ERR_NOT_FOUND;
		got += (size_t)n;
	}
	*data = buf;
	*len = got;
	return PTL_OK;
}

enum ptl_err
ptl_files_read(struct ptl_arena *a, struct ptl_app *app, const char *name,
	       size_t len, struct ptl_file *f, const char **data,
	       size_t *data_len)
{
	char *clean;
	enum ptl_err e;
	int fd;

	memset(f, 0, sizeof(*f));
	if (!ptl_files_name_ok(name, len))
		return PTL_ERR_NOT_FOUND;
	clean = ptl_mem_strndup(a, name, len);
	e = fetch(a, app, PTL_Q_FILE_BY_NAME, clean, 0, f);
	if (e != PTL_OK)
		return e;
	/* The type the upload was checked as, by the name's extension. */
	f->type = type_of_ext(clean + 33);
	fd = open(path_of(a, app, clean), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		PTL_LOG_WARN("file %s has a row but no bytes in FILES_DIR",
			     clean);
		return PTL_ERR_NOT_FOUND;
	}
	e = slurp(a, fd, app->cfg.upload_max, data, data_len);
	(void)close(fd);
	return e;
}

enum ptl_err
ptl_files_check_photo(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
		      int64_t actor_id, const char *id, struct ptl_refusal *why)
{
	struct ptl_file f;
	enum ptl_err e;

	if (!id_ok(id))
		return ptl_refusal_field(why, "photo", "imageNotExists");
	e = fetch(a, app, PTL_Q_FILE_BY_ID, id, 0, &f);
	if (e == PTL_ERR_NOT_FOUND)
		return ptl_refusal_field(why, "photo", "imageNotExists");
	if (e != PTL_OK)
		return e;
	if (f.attached ? f.owner == user_id : f.owner == actor_id)
		return PTL_OK;
	return ptl_refusal_field(why, "photo", "imageNotExists");
}

static enum ptl_err
delete_row(struct ptl_app *app, const char *id)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_FILE_DELETE);

	ptl_db_bind_textz(st, 1, id);
	return ptl_db_exec(st);
}

enum ptl_err
ptl_files_set_photo(struct ptl_arena *a, struct ptl_app *app, int64_t user_id,
		    const char *id, int64_t now_ms, const char **gone)
{
	struct ptl_file old;
	struct ptl_stmt *st;
	enum ptl_err e;

	*gone = NULL;
	e = fetch(a, app, PTL_Q_FILE_PHOTO, NULL, user_id, &old);
	if (e == PTL_OK && id != NULL && strcmp(old.id, id) == 0)
		return PTL_OK; /* the same photo again */
	if (e == PTL_OK) {
		e = delete_row(app, old.id);
		if (e == PTL_OK)
			*gone = old.name;
	} else if (e == PTL_ERR_NOT_FOUND) {
		e = PTL_OK;
	}
	if (e != PTL_OK || id == NULL)
		return e;
	st = ptl_db_q(app->db, PTL_Q_FILE_ATTACH);
	ptl_db_bind_textz(st, 1, id);
	ptl_db_bind_int(st, 2, user_id);
	ptl_db_bind_int(st, 3, now_ms);
	return ptl_db_exec(st);
}

void
ptl_files_remove(struct ptl_app *app, const char *name)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", app->cfg.files_dir, name);

	if (n < 0 || (size_t)n >= sizeof(path) ||
	    !ptl_files_name_ok(name, strlen(name)))
		return;
	if (unlink(path) != 0 && errno != ENOENT)
		PTL_LOG_WARN("FILES_DIR: cannot remove %s: %s", path,
			     strerror(errno));
}

/* A column's text into a fixed buffer (ids and names have fixed sizes;
 * anything longer is cut, and then matches no row and no file). */
static void
copy(char *out, size_t size, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n >= size)
		n = size - 1;
	memcpy(out, s != NULL ? s : "", n);
	out[n] = '\0';
}

/* Removes the rows q selects (bound to (?1, ?2) = (x, GC_BATCH)), then
 * their bytes, one batch. OUT n: how many. */
static enum ptl_err
drop_batch(struct ptl_app *app, enum ptl_q q, int64_t x, int64_t *n)
{
	char names[GC_BATCH][PTL_FILES_NAME_MAX + 1];
	char ids[GC_BATCH][PTL_FILES_ID_LEN + 1];
	struct ptl_stmt *st = ptl_db_q(app->db, q);
	size_t count = 0, i;
	bool row = true;
	enum ptl_err e = PTL_OK;

	*n = 0;
	ptl_db_bind_int(st, 1, x);
	ptl_db_bind_int(st, 2, GC_BATCH);
	while (count < GC_BATCH) {
		e = ptl_db_step(st, &row);
		if (e != PTL_OK || !row)
			break;
		copy(ids[count], sizeof(ids[count]),
		     ptl_db_text(st, PTL_COL_FILE_ID));
		copy(names[count], sizeof(names[count]),
		     ptl_db_text(st, PTL_COL_FILE_NAME));
		count++;
	}
	ptl_db_done(st);
	if (e != PTL_OK || count == 0)
		return e;
	e = ptl_db_begin(app->db);
	for (i = 0; e == PTL_OK && i < count; i++)
		e = delete_row(app, ids[i]);
	e = ptl_db_end(app->db, e);
	if (e != PTL_OK)
		return e;
	for (i = 0; i < count; i++)
		ptl_files_remove(app, names[i]);
	*n = (int64_t)count;
	return PTL_OK;
}

enum ptl_err
ptl_files_drop_user(struct ptl_app *app, int64_t user_id)
{
	int64_t n;
	enum ptl_err e;

	do {
		e = drop_batch(app, PTL_Q_FILE_OWNED, user_id, &n);
	} while (e == PTL_OK && n == GC_BATCH);
	return e;
}

enum ptl_err
ptl_files_gc(struct ptl_app *app, int64_t now_ms, int64_t *removed)
{
	int64_t n;
	enum ptl_err e;

	*removed = 0;
	do {
		e = drop_batch(app, PTL_Q_FILE_STALE,
			       now_ms - PTL_FILES_GC_AGE_MS, &n);
		*removed += n;
	} while (e == PTL_OK && n == GC_BATCH);
	return e;
}
