/* SPDX-License-Identifier: ISC */
/*
 * test_users: lib/domain/users.c on a temp database with a fixed clock.
 * The admin check reads the role and state from the database; path ids
 * are digits from 1 to 2^31-1; the list's query is parsed with the
 * reference's messages and nested trees, in DTO order; every one-key
 * statement orders exactly as the several-keys statement does; create
 * applies the defaults and refuses in the reference's order without
 * writing; update accepts the target's own address, ends the target's
 * sessions but the caller's on a new password, and answers 404 for a
 * deleted user; delete keeps the first deletedAt and ends every session.
 * Photos: an upload of the admin becomes the photo on create and update,
 * the replaced one and a removed one are deleted with their bytes, the
 * list shows the photo's URL, and delete removes the user's files.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/json.h"
#include "base/buf.h"
#include "base/mem.h"
#include "domain/account.h"
#include "domain/files.h"
#include "domain/session.h"
#include "domain/users.h"
#include "fixture.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define PW "correct horse"

static struct ptl_app app;
static struct ptl_arena *arena;
static char files_dir[600];

static int64_t
reg(const char *email, int64_t role, const char *first)
{
	int64_t id = 0;

	if (ptl_account_register(arena, &app, email, PW, strlen(PW), first,
				 "Last", role, PTL_ACCOUNT_STATUS_ACTIVE, T0,
				 &id) != PTL_OK)
		return 0;
	return id;
}

static struct ptl_json *
body(const char *text)
{
	struct ptl_json *root = NULL;
	const char *msg;

	if (ptl_json_parse(arena, text, strlen(text), &root, &msg) != PTL_OK)
		return NULL;
	return root;
}

/* The integer of "<sql> <id>" (sql ends in "id =", or is complete and
 * id is 0). */
static long long
sql_int(const char *sql, long long id)
{
	char text[256];

	if (id != 0)
		(void)snprintf(text, sizeof(text), "%s %lld", sql, id);
	else
		(void)snprintf(text, sizeof(text), "%s", sql);
	return fix_sql_int(fix_path("auth.db"), text);
}

static void
test_authorize(void)
{
	int64_t admin = reg("boss@example.com", PTL_ACCOUNT_ROLE_ADMIN, "B");
	int64_t user = reg("staff@example.com", PTL_ACCOUNT_ROLE_USER, "S");

	is_int(ptl_users_authorize(&app, admin), PTL_OK, "an admin passes");
	is_int(ptl_users_authorize(&app, user), PTL_ERR_FORBIDDEN,
	       "a user is forbidden");
	is_int(ptl_users_authorize(&app, 999999), PTL_ERR_UNAUTHORIZED,
	       "an unknown id is unauthorized");
	is_int(ptl_account_delete(&app, admin, T0), PTL_OK, "delete the admin");
	is_int(ptl_users_authorize(&app, admin), PTL_ERR_UNAUTHORIZED,
	       "a deleted admin is unauthorized at once");
}

static void
test_parse_id(void)
{
	static const struct {
		const char *s;
		bool ok;
		int64_t id;
	} cases[] = {
	    {"1", true, 1},
	    {"2147483647", true, 2147483647},
	    {"007", true, 7},
	    {"0", false, 0},
	    {"-1", false, 0},
	    {"2147483648", false, 0},
	    {"1.5", false, 0},
	    {"0x1", false, 0},
	    {"1e0", false, 0},
	    {" 1", false, 0},
	    {"", false, 0},
	    {"+1", false, 0},
	    {"99999999999999999999", false, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t id = 0;
		bool got = ptl_users_parse_id(cases[i].s, &id);

		ok(got == cases[i].ok && (!got || id == cases[i].id), "id '%s'",
		   cases[i].s);
	}
}

/* Parses and returns the joined "field=json;" errors, or "" when valid. */
static const char *
parse(const char *page, const char *limit, const char *filters,
      const char *sort, struct ptl_users_query *q)
{
	struct ptl_users_error errors[4];
	struct ptl_buf b;
	size_t n, i;

	ptl_buf_init(&b, arena, 64, 8192);
	if (ptl_users_parse_query(arena, page, limit, filters, sort, q, errors,
				  &n) == PTL_OK)
		return "";
	for (i = 0; i < n; i++)
		ptl_buf_addf(&b, "%s=%s;", errors[i].field, errors[i].json);
	return ptl_mem_strndup(arena, b.data, b.len);
}

#define NUM(p)                                                                 \
	"\"" p " must be a number conforming to the specified constraints\""

static void
test_parse_query(void)
{
	struct ptl_users_query q;

	is_str(parse(NULL, NULL, NULL, NULL, &q), "", "no parameters");
	ok(q.limit == 10 && q.offset == 0 && q.roles == NULL && q.nkeys == 0,
	   "defaults: limit 10, page 1, no filter, no sort");
	is_str(parse("", "", "", "", &q), "", "empty parameters");
	ok(q.limit == 10 && q.offset == 0, "empty means the defaults");
	is_str(parse("3", "51", NULL, NULL, &q), "", "limit 51");
	ok(q.limit == 50 && q.offset == 100, "limit capped at 50, offset 100");
	is_str(parse("99999999999999999999", "99999999999999999999", NULL, NULL,
		     &q),
	       "", "huge page and limit");
	ok(q.limit == 50 && q.offset > 0, "no overflow");
	is_str(parse("0", "-1", NULL, NULL, &q),
	       "page=" NUM("page") ";limit=" NUM("limit") ";",
	       "page 0 and limit -1");
	is_str(parse("1.5", "1e1", NULL, NULL, &q),
	       "page=" NUM("page") ";limit=" NUM("limit") ";", "fractions");
	is_str(
	    parse("abc", "x", "1", "[{}]", &q),
	    "page=" NUM("page") ";limit=" NUM(
		"limit") ";filters=\"nested property filters must be either "
			 "object or "
			 "array\";sort={\"0\":{\"orderBy\":\"orderBy must be a "
			 "string\",\"order\":\"order must be a string\"}};",
	    "all four, in DTO order");
	is_str(parse(NULL, NULL, "{bad", "{bad", &q),
	       "filters=\"filters must be a json string\";sort=\"sort must "
	       "be a json string\";",
	       "invalid JSON");
	is_str(
	    parse(NULL, NULL, "{\"roles\":[{\"id\":\"1\"},1,{\"id\":1.5}]}",
		  NULL, &q),
	    "filters={\"roles\":{\"0\":{\"id\":" NUM(
		"id") "},\"1\":\"each "
		      "value in nested property roles must be either object or "
		      "array\",\"2\":{\"id\":" NUM("id") "}}};",
	    "nested role errors");
	is_str(
	    parse(NULL, NULL, "{\"roles\":[{\"id\":2},{\"id\":1}]}", NULL, &q),
	    "", "two roles");
	is_str(q.roles, "[2,1]", "bound as a JSON array of integers");
	is_str(parse(NULL, NULL, "{\"roles\":{\"id\":1}}", "null", &q), "",
	       "roles an object, sort null");
	ok(q.roles == NULL && q.nkeys == 0, "no filter, no sort");
	is_str(parse(NULL, NULL, NULL,
		     "{\"orderBy\":\"id\",\"order\":\"DESC\"}", &q),
	       "sort=\"sort must be an array\";", "a valid object");
	is_str(parse(NULL, NULL, NULL,
		     "[{\"orderBy\":\"password\",\"order\":\"asc\"}]", &q),
	       "sort={\"0\":{\"orderBy\":\"orderBy must be one of the "
	       "following values: id, email, provider, socialId, firstName, "
	       "lastName, createdAt, updatedAt, deletedAt\"}};",
	       "password is not sortable");
	is_str(parse(NULL, NULL, NULL,
		     "[{\"orderBy\":\"email\",\"order\":\"Desc\"},"
		     "{\"orderBy\":\"deletedAt\",\"order\":\"desc\"},"
		     "{\"orderBy\":\"lastName\",\"order\":\"DESC\"},"
		     "{\"orderBy\":\"email\",\"order\":\"desc\"},"
		     "{\"orderBy\":\"id\",\"order\":\"desc\"},"
		     "{\"orderBy\":\"firstName\",\"order\":\"asc\"}]",
		     &q),
	       "", "six keys");
	ok(q.nkeys == 3 && q.keys[0].column == 2 && q.keys[0].desc &&
	       q.keys[1].column == 6 && q.keys[1].desc &&
	       q.keys[2].column == 1 && q.keys[2].desc,
	   "email (first place, last direction), lastName, id; deletedAt "
	   "and what follows id dropped");
}

/* The ids of a list answer, in order, as "1,2,3". */
static const char *
ids_of(const struct ptl_buf *out)
{
	struct ptl_json *root =
	    body(ptl_mem_strndup(arena, out->data, out->len));
	const struct ptl_json *data = ptl_json_get(root, "data");
	struct ptl_buf b;
	size_t i;

	ptl_buf_init(&b, arena, 64, 65536);
	for (i = 0; i < ptl_json_len(data); i++)
		ptl_buf_addf(
		    &b, "%s%.0f", i ? "," : "",
		    ptl_json_num(ptl_json_get(ptl_json_at(data, i), "id")));
	return ptl_mem_strndup(arena, b.data, b.len);
}

static const char *
list(const char *filters, const char *sort, const char *limit)
{
	struct ptl_users_query q;
	struct ptl_buf out;

	if (parse(NULL, limit, filters, sort, &q)[0] != '\0')
		return "(refused)";
	ptl_buf_init(&out, arena, 1024, 1 << 20);
	if (ptl_users_list_json(arena, &app, &q, &out) != PTL_OK)
		return "(error)";
	return ids_of(&out);
}

static void
test_list_orders(void)
{
	static const char *const cols[] = {
	    "id",       "email",     "provider",  "socialId",  "firstName",
	    "lastName", "createdAt", "updatedAt", "deletedAt",
	};
	char one[128], two[160];
	size_t i, d;

	(void)reg("zed@example.com", PTL_ACCOUNT_ROLE_USER, "b");
	(void)reg("amy@example.com", PTL_ACCOUNT_ROLE_USER, NULL);
	(void)reg("kim@example.com", PTL_ACCOUNT_ROLE_ADMIN, "a");
	(void)reg("bob@example.com", PTL_ACCOUNT_ROLE_USER, "b");
	ok(fix_sql_exec(fix_path("auth.db"),
			"UPDATE users SET updated_at = updated_at - id"),
	   "updated_at in reverse id order");
	/* id first needs no more keys (and a second "id" would take the
	 * place of the first): from 1. */
	for (i = 1; i < sizeof(cols) / sizeof(cols[0]); i++) {
		for (d = 0; d < 2; d++) {
			const char *dir = d ? "desc" : "asc";

			(void)snprintf(
			    one, sizeof(one),
			    "[{\"orderBy\":\"%s\",\"order\":\"%s\"}]", cols[i],
			    dir);
			(void)snprintf(
			    two, sizeof(two),
			    "[{\"orderBy\":\"%s\",\"order\":\"%s\"},"
			    "{\"orderBy\":\"id\",\"order\":\"asc\"}]",
			    cols[i], dir);
			is_str(list(NULL, one, "50"), list(NULL, two, "50"),
			       ptl_mem_printf(arena,
					      "%s %s: the one-key "
					      "statement orders as the "
					      "general one",
					      cols[i], dir));
		}
	}
	is_str(
	    list(NULL, "[{\"orderBy\":\"firstName\",\"order\":\"asc\"}]", "50"),
	    "2,5,3,6,4", "firstName: S, a, b, b (by id), NULLs last");
	is_str(list(NULL, "[{\"orderBy\":\"firstName\",\"order\":\"desc\"}]",
		    "50"),
	       "4,3,6,5,2", "descending: NULLs first, ties by id ascending");
	is_str(list(NULL, "[{\"orderBy\":\"email\",\"order\":\"asc\"}]", "2"),
	       "4,6", "by email, a page of 2");
	is_str(list("{\"roles\":[{\"id\":1}]}", NULL, "50"), "5",
	       "admins only (user 1 of test_authorize is deleted)");
	is_str(list("{\"roles\":[{\"id\":3}]}", NULL, "50"), "",
	       "an unknown role matches nothing");
	is_str(list("{\"roles\":[{\"id\":1e300}]}", NULL, "50"), "",
	       "a huge role id matches nothing");
}

static void
test_create(void)
{
	struct ptl_users_input in = {
	    .email = "new@example.com",
	    .password = PW,
	    .password_len = strlen(PW),
	    .first = "N",
	    .last = "U",
	    .body = body("{}"),
	};
	struct ptl_refusal why;
	struct ptl_user u;
	long long before;

	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why), PTL_OK,
	       "create");
	ok(u.role_id == PTL_ACCOUNT_ROLE_USER &&
	       u.status_id == PTL_ACCOUNT_STATUS_ACTIVE,
	   "defaults: role User, status Active");
	ok(u.password != NULL && strncmp(u.password, "$argon2id$", 10) == 0,
	   "an Argon2id hash");
	before = sql_int("SELECT count(*) FROM users", 0);
	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why),
	       PTL_ERR_VALIDATION, "the same address again");
	is_str(why.key, "emailAlreadyExists", "emailAlreadyExists");
	in.email = "zed@example.com"; /* of a user deleted below */
	is_int(ptl_account_delete(&app, 3, T0), PTL_OK, "delete zed (3)");
	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why),
	       PTL_ERR_VALIDATION, "a deleted user's address");
	is_str(why.key, "emailAlreadyExists", "emailAlreadyExists too");
	in.email = "other@example.com";
	in.body = body("{\"photo\":{\"id\":\"x\"},\"role\":{\"id\":9}}");
	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why),
	       PTL_ERR_VALIDATION, "photo and bad role");
	is_str(why.field, "photo", "the photo first");
	is_str(why.key, "imageNotExists", "imageNotExists");
	in.body = body("{\"role\":{\"id\":\"admin\"},\"status\":{\"id\":7}}");
	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why),
	       PTL_ERR_VALIDATION, "an enum name as role id");
	is_str(why.key, "roleNotExists", "the role before the status");
	in.body = body("{\"status\":{\"id\":[1]}}");
	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why),
	       PTL_ERR_VALIDATION, "an array as status id");
	is_str(why.key, "statusNotExists", "an array id");
	ok(sql_int("SELECT count(*) FROM users", 0) == before,
	   "nothing written by a refusal");
	in.body = body("{\"role\":{\"id\":\"1\"},\"status\":{\"id\":2},"
		       "\"photo\":null}");
	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why), PTL_OK,
	       "string role id, photo null");
	ok(u.role_id == 1 && u.status_id == 2, "stored as given");
}

static void
test_update(void)
{
	struct ptl_users_input in = {.body = body("{}")};
	struct ptl_login a, b;
	enum ptl_login_fail fail;
	struct ptl_refusal why;
	struct ptl_user u;
	int64_t id = reg("patch@example.com", PTL_ACCOUNT_ROLE_USER, "P");

	in.email = "patch@example.com";
	is_int(ptl_users_update(arena, &app, id, 0, &in, T0, &u, &why), PTL_OK,
	       "own address accepted");
	in.email = "bob@example.com";
	is_int(ptl_users_update(arena, &app, id, 0, &in, T0, &u, &why),
	       PTL_ERR_VALIDATION, "another user's address refused");
	in.email = NULL;
	is_int(ptl_account_login(arena, &app, "patch@example.com", PW,
				 strlen(PW), "UA", "::1", T0, &a, &fail),
	       PTL_OK, "session a");
	is_int(ptl_account_login(arena, &app, "patch@example.com", PW,
				 strlen(PW), "UA", "::1", T0, &b, &fail),
	       PTL_OK, "session b");
	in.password = "new password";
	in.password_len = strlen(in.password);
	in.set_first = true; /* cleared */
	is_int(ptl_users_update(arena, &app, id, a.session_id, &in, T0 + 5, &u,
				&why),
	       PTL_OK, "new password, keeping session a");
	ok(u.first_name == NULL && u.updated_at == T0 + 5,
	   "first name cleared, updatedAt set");
	ok(sql_int("SELECT revoked_at IS NULL FROM sessions WHERE id =",
		   a.session_id) == 1,
	   "the kept session is live");
	ok(sql_int("SELECT revoked_at IS NOT NULL FROM sessions WHERE id =",
		   b.session_id) == 1,
	   "the other session ended");
	ok(sql_int("SELECT security_stamp FROM users WHERE id =", id) > 0,
	   "the mailed links died");
	is_int(ptl_users_update(arena, &app, 999999, 0, &in, T0, &u, &why),
	       PTL_ERR_NOT_FOUND, "unknown id");
	is_int(ptl_users_delete(&app, id, T0 + 10), PTL_OK, "delete");
	ok(sql_int("SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND "
		   "user_id =",
		   id) == 0,
	   "delete ends every session");
	is_int(ptl_users_delete(&app, id, T0 + 20), PTL_OK, "delete again");
	ok(sql_int("SELECT deleted_at FROM users WHERE id =", id) == T0 + 10,
	   "the first deletedAt is kept");
	is_int(ptl_users_delete(&app, 999999, T0), PTL_OK,
	       "an unknown id is no error");
	in.password = NULL;
	in.set_first = false;
	in.last = "x";
	in.set_last = true;
	is_int(ptl_users_update(arena, &app, id, 0, &in, T0, &u, &why),
	       PTL_ERR_NOT_FOUND, "a deleted user is not found");
	is_int(ptl_users_get(arena, &app, id, &u), PTL_ERR_NOT_FOUND,
	       "nor loaded");
}

static bool
on_disk(const char *name)
{
	struct stat sb;

	return stat(ptl_mem_printf(arena, "%s/%s", files_dir, name), &sb) == 0;
}

/* An upload of owner (a PNG by its magic bytes); f.id NULL on failure. */
static struct ptl_file
upload(int64_t owner)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1";
	struct ptl_refusal why;
	struct ptl_file f = {0};

	ptl_refusal_clear(&why);
	if (ptl_files_upload(arena, &app, owner, png, sizeof(png) - 1, T0, &f,
			     &why) != PTL_OK)
		f.id = NULL;
	return f;
}

static void
test_photo(void)
{
	int64_t admin =
	    reg("photo-admin@example.com", PTL_ACCOUNT_ROLE_ADMIN, "A");
	int64_t other =
	    reg("photo-other@example.com", PTL_ACCOUNT_ROLE_USER, "O");
	struct ptl_file one = upload(admin), two = upload(admin);
	struct ptl_file theirs = upload(other);
	struct ptl_users_input in = {
	    .email = "photo-new@example.com",
	    .password = PW,
	    .password_len = strlen(PW),
	    .first = "N",
	    .last = "U",
	    .actor = admin,
	};
	struct ptl_users_error errs[4];
	struct ptl_users_query q;
	struct ptl_refusal why;
	struct ptl_user u;
	struct ptl_buf out;
	size_t n;

	ok(one.id != NULL && two.id != NULL && theirs.id != NULL,
	   "three uploads");
	if (one.id == NULL || two.id == NULL || theirs.id == NULL)
		return;
	in.body = body(
	    ptl_mem_printf(arena, "{\"photo\":{\"id\":\"%s\"}}", theirs.id));
	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why),
	       PTL_ERR_VALIDATION, "another user's upload");
	is_str(why.key, "imageNotExists", "  imageNotExists");
	in.body =
	    body(ptl_mem_printf(arena, "{\"photo\":{\"id\":\"%s\"}}", one.id));
	is_int(ptl_users_create(arena, &app, &in, T0, &u, &why), PTL_OK,
	       "create with the admin's upload");
	is_str(u.photo_id, one.id, "  the photo");
	is_str(u.photo_path, one.path, "  its URL");
	ok(sql_int("SELECT count(*) FROM files WHERE attached_at IS NOT NULL "
		   "AND owner =",
		   u.id) == 1,
	   "  attached to the new user");
	is_int(ptl_users_parse_query(arena, NULL, "50", NULL,
				     "[{\"orderBy\":\"id\","
				     "\"order\":\"desc\"}]",
				     &q, errs, &n),
	       PTL_OK, "a list query");
	ptl_buf_init(&out, arena, 1024, 1 << 20);
	is_int(ptl_users_list_json(arena, &app, &q, &out), PTL_OK, "the list");
	ptl_buf_addc(&out, '\0');
	ok(strstr(out.data,
		  ptl_mem_printf(arena, "\"path\":\"%s\"", one.path)) != NULL,
	   "  shows the photo's URL");
	in.email = NULL;
	in.password = NULL;
	in.password_len = 0;
	in.body =
	    body(ptl_mem_printf(arena, "{\"photo\":{\"id\":\"%s\"}}", one.id));
	is_int(ptl_users_update(arena, &app, u.id, 0, &in, T0, &u, &why),
	       PTL_OK, "the target's own photo again");
	in.body =
	    body(ptl_mem_printf(arena, "{\"photo\":{\"id\":\"%s\"}}", two.id));
	is_int(ptl_users_update(arena, &app, u.id, 0, &in, T0 + 7, &u, &why),
	       PTL_OK, "replaced");
	ok(u.photo_id != NULL && strcmp(u.photo_id, two.id) == 0 &&
	       u.updated_at == T0 + 7,
	   "  the new photo, updatedAt moved");
	ok(!on_disk(one.name) && on_disk(two.name), "  the old file gone");
	ok(sql_int(ptl_mem_printf(arena,
				  "SELECT count(*) FROM files WHERE id = '%s'",
				  one.id),
		   0) == 0,
	   "  and its row");
	in.body = body("{\"photo\":null}");
	is_int(ptl_users_update(arena, &app, u.id, 0, &in, T0, &u, &why),
	       PTL_OK, "photo null");
	ok(u.photo_id == NULL && !on_disk(two.name), "  removed, file gone");
	in.body = body(ptl_mem_printf(arena, "{\"photo\":{\"id\":\"%s\"}}",
				      upload(admin).id));
	is_int(ptl_users_update(arena, &app, u.id, 0, &in, T0, &u, &why),
	       PTL_OK, "a third photo");
	is_int(ptl_users_delete(&app, u.id, T0), PTL_OK, "delete");
	ok(sql_int("SELECT count(*) FROM files WHERE owner =", u.id) == 0,
	   "  the user's files gone");
}

int
main(void)
{
	fix_app_open(&app);
	arena = ptl_mem_new();
	(void)snprintf(files_dir, sizeof(files_dir), "%s/files", fix_dir);
	app.cfg.files_dir = files_dir;
	test_authorize();
	test_parse_id();
	test_parse_query();
	test_list_orders();
	test_create();
	test_update();
	test_photo();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
