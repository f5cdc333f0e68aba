/* SPDX-License-Identifier: ISC */
/*
 * test_files: lib/domain/files.c on a temp database and FILES_DIR with a
 * fixed clock. Sniffing: JPEG, PNG and GIF by their magic bytes, nothing
 * else (SVG, HTML, empty, truncated). Names: only 32 hex digits and a
 * known extension. Upload: selectFile, cantUploadFileType (and no file
 * left), the file and its row (mode 0600, FILES_DIR 0700 made with its
 * parents), a UUID id and the URL; the unattached cap. Read: the bytes and
 * the type; malformed, unknown and vanished names not found. Photos: only
 * the actor's own unattached upload or the user's current photo; set,
 * again, replaced (the old row gone and its name given back), removed.
 * Account deletion and gc: day-old unattached uploads and the files of
 * deleted users removed, photos and fresh uploads kept.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/account.h"
#include "domain/files.h"
#include "fixture.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define DAY_MS (24 * 3600 * 1000LL)

static struct ptl_app app;
static struct ptl_arena *arena;
static char files_dir[600];

static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1";
static const char jpeg[] = "\xff\xd8\xff\xe0\0\x10JFIF";
static const char gif[] = "GIF89a\1\0\1\0\x80\0\0\xff";

static bool
exists(const char *name)
{
	struct stat sb;

	return stat(ptl_mem_printf(arena, "%s/%s", files_dir, name), &sb) == 0;
}

static int
mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

static long long
rows(const char *where)
{
	return fix_sql_int(fix_path("auth.db"),
			   ptl_mem_printf(arena,
					  "SELECT count(*) FROM files WHERE %s",
					  where));
}

static void
test_sniff(void)
{
	const char *ext = NULL;

	ok(strcmp(ptl_files_sniff(png, sizeof(png) - 1, &ext), "image/png") ==
		   0 &&
	       strcmp(ext, "png") == 0,
	   "a PNG");
	ok(strcmp(ptl_files_sniff(jpeg, sizeof(jpeg) - 1, &ext),
		  "image/jpeg") == 0 &&
	       strcmp(ext, "jpg") == 0,
	   "a JPEG");
	ok(strcmp(ptl_files_sniff(gif, sizeof(gif) - 1, &ext), "image/gif") ==
		   0 &&
	       strcmp(ext, "gif") == 0,
	   "a GIF");
	ok(ptl_files_sniff("GIF87a\1\0\1\0\0\0\0", 13, &ext) != NULL,
	   "  GIF87a too");
	ok(ptl_files_sniff("<svg xmlns='x'/>", 16, &ext) == NULL, "not SVG");
	ok(ptl_files_sniff("<!doctype html><p>", 18, &ext) == NULL, "not HTML");
	ok(ptl_files_sniff("", 0, &ext) == NULL, "not empty");
	ok(ptl_files_sniff(NULL, 0, &ext) == NULL, "not none");
	ok(ptl_files_sniff(png, 8, &ext) == NULL, "not a PNG signature alone");
	ok(ptl_files_sniff("GIF89a", 6, &ext) == NULL,
	   "not a GIF header alone");
	ok(ptl_files_sniff("\xff\xd8", 2, &ext) == NULL,
	   "not half a JPEG mark");
}

static void
test_names(void)
{
	const char *good = "0123456789abcdef0123456789abcdef.png";

	ok(ptl_files_name_ok(good, strlen(good)), "a name");
	ok(!ptl_files_name_ok("0123456789ABCDEF0123456789abcdef.png", 36),
	   "  not upper case");
	ok(!ptl_files_name_ok("0123456789abcdef0123456789abcdef.svg", 36),
	   "  not .svg");
	ok(!ptl_files_name_ok("../3456789abcdef0123456789abcdef.png", 36),
	   "  not ..");
	ok(!ptl_files_name_ok("0123456789abcdef0123456789abcde/.png", 36),
	   "  not a slash");
	ok(!ptl_files_name_ok(good, 35), "  not shorter");
	ok(!ptl_files_name_ok("0123456789abcdef0123456789abcdef.pngx", 37),
	   "  not longer");
	ok(!ptl_files_name_ok(NULL, 0), "  not none");
}

static int64_t
user(const char *email)
{
	int64_t id = 0;

	if (ptl_account_register(arena, &app, email, "correct horse", 13, NULL,
				 NULL, PTL_ACCOUNT_ROLE_USER,
				 PTL_ACCOUNT_STATUS_ACTIVE, T0, &id) != PTL_OK)
		return 0;
	return id;
}

static void
test_upload(int64_t ann)
{
	struct ptl_refusal why;
	struct ptl_file f, g;
	const char *data = NULL;
	size_t len = 0;

	is_int(ptl_files_upload(arena, &app, ann, NULL, 0, T0, &f, &why),
	       PTL_ERR_VALIDATION, "no file");
	is_str(why.key, "selectFile", "  file selectFile");
	is_int(ptl_files_upload(arena, &app, ann, "<svg/>", 6, T0, &f, &why),
	       PTL_ERR_VALIDATION, "an SVG");
	ok(strcmp(why.field, "file") == 0 &&
	       strcmp(why.key, "cantUploadFileType") == 0,
	   "  file cantUploadFileType");
	is_int(mode_of(files_dir), -1, "  FILES_DIR not even made");
	is_int(ptl_files_upload(arena, &app, ann, png, sizeof(png) - 1, T0, &f,
				&why),
	       PTL_OK, "a PNG");
	ok(strlen(f.id) == 36 && f.id[14] == '4' && strlen(f.name) == 36 &&
	       strcmp(f.name + 32, ".png") == 0,
	   "  a UUID and a random name of its type");
	is_str(f.path,
	       ptl_mem_printf(arena, "https://api.example.com/api/v1/files/%s",
			      f.name),
	       "  its URL under BACKEND_DOMAIN");
	is_int(mode_of(files_dir), 0700,
	       "  FILES_DIR made 0700 with its parents");
	is_int(mode_of(ptl_mem_printf(arena, "%s/%s", files_dir, f.name)), 0600,
	       "  the file 0600");
	is_int(rows("attached_at IS NULL AND type = 'image/png'"), 1,
	       "  one unattached row");
	is_int(ptl_files_read(arena, &app, f.name, strlen(f.name), &g, &data,
			      &len),
	       PTL_OK, "read it");
	ok(len == sizeof(png) - 1 && memcmp(data, png, len) == 0 &&
	       strcmp(g.type, "image/png") == 0 && strcmp(g.id, f.id) == 0,
	   "  its bytes, type and id");
	is_int(ptl_files_read(arena, &app, "../auth.db", 10, &g, &data, &len),
	       PTL_ERR_NOT_FOUND, "a traversal: not found");
	is_int(ptl_files_read(arena, &app,
			      "0123456789abcdef0123456789abcdef.png", 36, &g,
			      &data, &len),
	       PTL_ERR_NOT_FOUND, "an unknown name: not found");
	(void)unlink(ptl_mem_printf(arena, "%s/%s", files_dir, f.name));
	is_int(ptl_files_read(arena, &app, f.name, strlen(f.name), &g, &data,
			      &len),
	       PTL_ERR_NOT_FOUND, "a row without its bytes: not found");
}

static void
test_cap(int64_t bob)
{
	struct ptl_refusal why;
	struct ptl_file f;
	unsigned saved = app.cfg.files_loose_max;

	app.cfg.files_loose_max = 2;
	ok(ptl_files_upload(arena, &app, bob, gif, sizeof(gif) - 1, T0, &f,
			    &why) == PTL_OK &&
	       ptl_files_upload(arena, &app, bob, jpeg, sizeof(jpeg) - 1, T0,
				&f, &why) == PTL_OK,
	   "two uploads under a cap of two");
	is_int(ptl_files_upload(arena, &app, bob, gif, sizeof(gif) - 1, T0, &f,
				&why),
	       PTL_ERR_VALIDATION, "a third");
	is_str(why.key, "tooManyFiles", "  file tooManyFiles");
	is_int(rows(ptl_mem_printf(arena, "owner = %lld", (long long)bob)), 2,
	       "  no row for it");
	app.cfg.files_loose_max = saved;
}

/* PATCH /me's part, in its transaction. */
static enum ptl_err
set_photo(int64_t user_id, const char *id, const char **gone)
{
	enum ptl_err e = ptl_db_begin(app.db);

	if (e == PTL_OK)
		e = ptl_files_set_photo(arena, &app, user_id, id, T0, gone);
	return ptl_db_end(app.db, e);
}

static void
test_photo(int64_t cat, int64_t dan)
{
	struct ptl_refusal why;
	struct ptl_file a, b, d;
	struct ptl_user u;
	const char *gone = "x";

	ok(ptl_files_upload(arena, &app, cat, png, sizeof(png) - 1, T0, &a,
			    &why) == PTL_OK &&
	       ptl_files_upload(arena, &app, cat, gif, sizeof(gif) - 1, T0, &b,
				&why) == PTL_OK &&
	       ptl_files_upload(arena, &app, dan, jpeg, sizeof(jpeg) - 1, T0,
				&d, &why) == PTL_OK,
	   "uploads of cat and dan");
	is_int(ptl_files_check_photo(arena, &app, cat, cat, "nope", &why),
	       PTL_ERR_VALIDATION, "a malformed id");
	is_str(why.key, "imageNotExists", "  photo imageNotExists");
	is_int(ptl_files_check_photo(arena, &app, cat, cat,
				     "00000000-0000-4000-8000-000000000000",
				     &why),
	       PTL_ERR_VALIDATION, "an unknown id");
	is_int(ptl_files_check_photo(arena, &app, cat, cat, d.id, &why),
	       PTL_ERR_VALIDATION, "another user's upload");
	is_int(ptl_files_check_photo(arena, &app, cat, dan, d.id, &why), PTL_OK,
	       "  unless that user (an admin) sets it");
	is_int(ptl_files_check_photo(arena, &app, cat, cat, a.id, &why), PTL_OK,
	       "one's own upload");
	is_int(set_photo(cat, a.id, &gone), PTL_OK, "set it");
	ok(gone == NULL, "  nothing replaced");
	is_int(ptl_account_get(arena, &app, cat, &u), PTL_OK, "  the user");
	ok(u.photo_id != NULL && strcmp(u.photo_id, a.id) == 0 &&
	       strcmp(u.photo_path, a.path) == 0,
	   "  carries it");
	is_int(ptl_files_check_photo(arena, &app, cat, cat, a.id, &why), PTL_OK,
	       "the current photo again");
	is_int(set_photo(cat, a.id, &gone), PTL_OK, "  set again");
	ok(gone == NULL && rows("attached_at IS NOT NULL") == 1,
	   "  nothing removed");
	is_int(ptl_files_check_photo(arena, &app, dan, dan, a.id, &why),
	       PTL_ERR_VALIDATION, "cat's photo for dan");
	is_int(set_photo(cat, b.id, &gone), PTL_OK, "replaced");
	ok(gone != NULL && strcmp(gone, a.name) == 0, "  the old name back");
	is_int(rows(ptl_mem_printf(arena, "id = '%s'", a.id)), 0,
	       "  its row gone");
	ptl_files_remove(&app, gone);
	ok(!exists(a.name) && exists(b.name), "  its bytes gone, the new kept");
	is_int(set_photo(cat, NULL, &gone), PTL_OK, "removed");
	ok(gone != NULL && strcmp(gone, b.name) == 0, "  its name back");
	ptl_files_remove(&app, gone);
	is_int(ptl_account_get(arena, &app, cat, &u), PTL_OK, "  the user");
	ok(u.photo_id == NULL && u.photo_path == NULL, "  has none");
	is_int(set_photo(cat, NULL, &gone), PTL_OK, "removed again");
	ok(gone == NULL, "  nothing to remove");
}

static void
test_gc_and_delete(int64_t eve, int64_t fay)
{
	struct ptl_refusal why;
	struct ptl_file old, fresh, photo, hers;
	const char *gone;
	int64_t n = -1;

	ok(ptl_files_upload(arena, &app, eve, png, sizeof(png) - 1,
			    T0 - DAY_MS - 1, &old, &why) == PTL_OK &&
	       ptl_files_upload(arena, &app, eve, png, sizeof(png) - 1,
				T0 - DAY_MS + 1000, &fresh, &why) == PTL_OK &&
	       ptl_files_upload(arena, &app, eve, gif, sizeof(gif) - 1,
				T0 - 2 * DAY_MS, &photo, &why) == PTL_OK &&
	       set_photo(eve, photo.id, &gone) == PTL_OK,
	   "eve: a day-old upload, a fresh one, an old photo");
	ok(ptl_files_upload(arena, &app, fay, jpeg, sizeof(jpeg) - 1, T0, &hers,
			    &why) == PTL_OK,
	   "fay: an upload");
	n = rows("1");
	is_int(ptl_files_gc(&app, T0, &n), PTL_OK, "gc");
	ok(!exists(old.name) &&
	       rows(ptl_mem_printf(arena, "id = '%s'", old.id)) == 0,
	   "  the day-old upload gone");
	ok(exists(fresh.name) && exists(photo.name) && exists(hers.name),
	   "  the rest kept");
	ok(n >= 1, "  counted");
	is_int(ptl_account_delete(&app, fay, T0), PTL_OK, "fay deleted");
	ok(!exists(hers.name) &&
	       rows(ptl_mem_printf(arena, "owner = %lld", (long long)fay)) == 0,
	   "  her upload gone with her");
	ok(exists(photo.name) && exists(fresh.name), "  eve's kept");
}

int
main(void)
{
	int64_t ann, bob, cat, dan, eve, fay;

	setenv("BACKEND_DOMAIN", "https://api.example.com", 1);
	fix_app_open(&app);
	arena = ptl_mem_new();
	(void)snprintf(files_dir, sizeof(files_dir), "%s/up/files", fix_dir);
	app.cfg.files_dir = files_dir;
	test_sniff();
	test_names();
	ann = user("ann@example.com");
	bob = user("bob@example.com");
	cat = user("cat@example.com");
	dan = user("dan@example.com");
	eve = user("eve@example.com");
	fay = user("fay@example.com");
	ok(ann && bob && cat && dan && eve && fay, "six users");
	test_upload(ann);
	test_cap(bob);
	test_photo(cat, dan);
	test_gc_and_delete(eve, fay);
	fix_rmdir(files_dir);
	(void)rmdir(fix_path("up"));
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
