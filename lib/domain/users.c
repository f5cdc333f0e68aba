/* SPDX-License-Identifier: ISC */
/*
 * users: see users.h. The messages of the list's 422s are
 * class-validator's, as the reference's ValidationPipe words them
 * (API.md §11.4); the nested trees are built here as JSON text.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "adapters/db.h"
#include "adapters/json.h"
#include "base/log.h"
#include "base/str.h"
#include "domain/audit.h"
#include "domain/files.h"
#include "domain/session.h"
#include "domain/users.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A page past any row: keeps (page - 1) * limit far from overflowing. */
#define PAGE_MAX 1000000000000LL

enum ptl_err
ptl_users_authorize(struct ptl_app *app, int64_t user_id)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_STATE);
	int64_t role = 0;
	bool row, live = false;
	enum ptl_err e;

	ptl_db_bind_int(st, 1, user_id);
	e = ptl_db_step(st, &row);
	if (e == PTL_OK && row) {
		role = ptl_db_int(st, PTL_COL_USER_STATE_ROLE_ID);
		live = ptl_db_int(st, PTL_COL_USER_STATE_DELETED) == 0 &&
		       ptl_db_int(st, PTL_COL_USER_STATE_DISABLED) == 0;
	}
	ptl_db_done(st);
	if (e != PTL_OK)
		return e;
	if (!live)
		return PTL_ERR_UNAUTHORIZED;
	return role == PTL_ACCOUNT_ROLE_ADMIN ? PTL_OK : PTL_ERR_FORBIDDEN;
}

bool
ptl_users_parse_id(const char *s, int64_t *id)
{
	size_t i, len = strlen(s);

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return ptl_str_to_i64(s, len, 1, PTL_USERS_ID_MAX, id);
}

/* --- the list's query (API.md §11.4, §10.21-23) ------------------------- */

/* The sortable columns: the name of the request, the code of
 * PTL_Q_USERS_PAGE_SORTED and the one-key statements. deletedAt is NULL on
 * every listed row, so it orders nothing and has code 0. */
static const struct {
	const char *name;
	int code;
	enum ptl_q asc, desc;
} columns[] = {
    {"id", 1, PTL_Q_USERS_PAGE, PTL_Q_USERS_PAGE_ID_DESC},
    {"email", 2, PTL_Q_USERS_PAGE_EMAIL, PTL_Q_USERS_PAGE_EMAIL_DESC},
    {"provider", 3, PTL_Q_USERS_PAGE_PROVIDER, PTL_Q_USERS_PAGE_PROVIDER_DESC},
    {"socialId", 4, PTL_Q_USERS_PAGE_SOCIAL_ID,
     PTL_Q_USERS_PAGE_SOCIAL_ID_DESC},
    {"firstName", 5, PTL_Q_USERS_PAGE_FIRST_NAME,
     PTL_Q_USERS_PAGE_FIRST_NAME_DESC},
    {"lastName", 6, PTL_Q_USERS_PAGE_LAST_NAME,
     PTL_Q_USERS_PAGE_LAST_NAME_DESC},
    {"createdAt", 7, PTL_Q_USERS_PAGE_CREATED_AT,
     PTL_Q_USERS_PAGE_CREATED_AT_DESC},
    {"updatedAt", 8, PTL_Q_USERS_PAGE_UPDATED_AT,
     PTL_Q_USERS_PAGE_UPDATED_AT_DESC},
    {"deletedAt", 0, PTL_Q_USERS_PAGE, PTL_Q_USERS_PAGE},
};

#define ONE_OF                                                                 \
	"\"orderBy must be one of the following values: id, email, "           \
	"provider, socialId, firstName, lastName, createdAt, updatedAt, "      \
	"deletedAt\""
#define NOT_NUMBER(p)                                                          \
	"\"" p " must be a number conforming to the specified constraints\""
#define NOT_NESTED(p)                                                          \
	"\"each value in nested property " p " must be either object or "      \
	"array\""

static void
add_error(struct ptl_users_error *errors, size_t *n, const char *field,
	  const char *json)
{
	errors[*n].field = field;
	errors[*n].json = json;
	(*n)++;
}

/* page and limit: empty or absent is the default; otherwise decimal digits
 * of a value of at least 1 (API.md §10.21). */
static bool
parse_count(const char *s, int64_t dflt, int64_t max, int64_t *out)
{
	size_t i, len;

	*out = dflt;
	if (s == NULL || s[0] == '\0')
		return true;
	len = strlen(s);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	while (len > 1 && s[0] == '0') {
		s++;
		len--;
	}
	if (len > 13 || !ptl_str_to_i64(s, len, 0, PAGE_MAX, out))
		*out = PAGE_MAX;
	if (*out < 1)
		return false;
	if (*out > max)
		*out = max;
	return true;
}

/* Separates the members of a JSON object being built. */
static void
member(struct ptl_buf *b, size_t *count, size_t index)
{
	ptl_buf_addc(b, *count == 0 ? '{' : ',');
	ptl_buf_addf(b, "\"%zu\":", index);
	(*count)++;
}

/* A role id of filters: an integer JSON number (API.md §10.22). */
static bool
role_id(const struct ptl_json *el, double *id)
{
	const struct ptl_json *j = ptl_json_get(el, "id");

	if (ptl_json_type(j) != PTL_JSON_NUMBER)
		return false;
	*id = ptl_json_num(j);
	return isfinite(*id) && floor(*id) == *id;
}

/* filters.roles, an array: the ids as a JSON array in ids, or the nested
 * errors in errs (empty when none). */
static void
parse_roles(const struct ptl_json *roles, struct ptl_buf *ids,
	    struct ptl_buf *errs)
{
	size_t i, n = ptl_json_len(roles), nerr = 0, nids = 0;

	ptl_buf_addc(ids, '[');
	for (i = 0; i < n; i++) {
		const struct ptl_json *el = ptl_json_at(roles, i);
		enum ptl_json_type t = ptl_json_type(el);
		double id;

		if (t != PTL_JSON_OBJECT && t != PTL_JSON_ARRAY) {
			member(errs, &nerr, i);
			ptl_buf_adds(errs, NOT_NESTED("roles"));
		} else if (!role_id(el, &id)) {
			member(errs, &nerr, i);
			ptl_buf_adds(errs, "{\"id\":" NOT_NUMBER("id") "}");
		} else if (fabs(id) <= PTL_USERS_ID_MAX) {
			/* A larger id is no role: it matches nothing. */
			if (nids++ > 0)
				ptl_buf_addc(ids, ',');
			ptl_buf_addi(ids, (long long)id);
		}
	}
	ptl_buf_addc(ids, ']');
	if (nerr > 0)
		ptl_buf_addc(errs, '}');
}

/* OUT *roles: NULL for no filter. Returns the error's JSON, or NULL. */
static const char *
parse_filters(struct ptl_arena *a, const char *text, const char **roles)
{
	struct ptl_json *root;
	const struct ptl_json *r;
	const char *msg;
	struct ptl_buf ids, errs;
	enum ptl_json_type t;

	*roles = NULL;
	if (text == NULL || text[0] == '\0')
		return NULL;
	if (ptl_json_parse_value(a, text, strlen(text), &root, &msg) != PTL_OK)
		return "\"filters must be a json string\"";
	t = ptl_json_type(root);
	if (t == PTL_JSON_NULL || t == PTL_JSON_ARRAY)
		return NULL;
	if (t != PTL_JSON_OBJECT)
		return "\"nested property filters must be either object or "
		       "array\"";
	r = ptl_json_get(root, "roles");
	t = ptl_json_type(r);
	if (t == PTL_JSON_ABSENT || t == PTL_JSON_NULL || t == PTL_JSON_OBJECT)
		return NULL;
	if (t != PTL_JSON_ARRAY)
		return "{\"roles\":" NOT_NESTED("roles") "}";
	if (ptl_json_len(r) == 0)
		return NULL;
	ptl_buf_init(&ids, a, 64, 64 * 1024);
	ptl_buf_init(&errs, a, 64, 256 * 1024);
	parse_roles(r, &ids, &errs);
	/* The query's length (the web server's cap) keeps both far below
	 * their caps; a cut tree would not be JSON. */
	if (errs.overflow || ids.overflow)
		return "\"filters must be a json string\"";
	if (errs.len > 0)
		return ptl_mem_printf(a, "{\"roles\":%.*s}", (int)errs.len,
				      errs.data);
	*roles = ptl_mem_strndup(a, ids.data, ids.len);
	return NULL;
}

/* One sort element: its column index (or -1) and direction, or its
 * errors as a JSON object in errs (left empty when it is valid). */
static int
sort_key(const struct ptl_json *el, bool *desc, struct ptl_buf *errs)
{
	const struct ptl_json *by = ptl_json_get(el, "orderBy");
	const struct ptl_json *order = ptl_json_get(el, "order");
	const char *s;
	size_t len, i;
	int col = -1;

	if (ptl_json_type(by) == PTL_JSON_NUMBER) {
		ptl_buf_adds(errs, "{\"orderBy\":" ONE_OF);
	} else if (ptl_json_type(by) != PTL_JSON_STRING) {
		ptl_buf_adds(errs, "{\"orderBy\":\"orderBy must be a string\"");
	} else {
		s = ptl_json_str(by, &len);
		for (i = 0; i < LEN(columns) && col < 0; i++) {
			if (strlen(columns[i].name) == len &&
			    memcmp(columns[i].name, s, len) == 0)
				col = (int)i;
		}
		if (col < 0)
			ptl_buf_adds(errs, "{\"orderBy\":" ONE_OF);
	}
	if (ptl_json_type(order) != PTL_JSON_STRING) {
		ptl_buf_adds(errs, errs->len == 0 ? "{" : ",");
		ptl_buf_adds(errs, "\"order\":\"order must be a string\"");
		return -1;
	}
	s = ptl_json_str(order, &len);
	/* Exactly DESC or desc sorts descending (API.md §11.4). */
	*desc = len == 4 &&
		(memcmp(s, "DESC", 4) == 0 || memcmp(s, "desc", 4) == 0);
	return errs->len == 0 ? col : -1;
}

/* Adds column col to the keys: a repeated one keeps its first place and
 * takes the last direction; nothing after id can change the order. */
static void
add_key(struct ptl_users_query *q, int col, bool desc, bool *after_id)
{
	int code = columns[col].code;
	size_t i;

	if (code == 0)
		return;
	for (i = 0; i < q->nkeys; i++) {
		if (q->keys[i].column == code) {
			q->keys[i].desc = desc;
			return;
		}
	}
	if (*after_id || q->nkeys == PTL_DB_SORT_KEYS)
		return;
	q->keys[q->nkeys].column = code;
	q->keys[q->nkeys].desc = desc;
	q->nkeys++;
	*after_id = code == 1;
}

static const char *
parse_sort_array(struct ptl_arena *a, const struct ptl_json *root,
		 struct ptl_users_query *q)
{
	size_t i, n = ptl_json_len(root), nerr = 0;
	struct ptl_buf errs, one;
	bool after_id = false;

	ptl_buf_init(&errs, a, 64, 256 * 1024);
	for (i = 0; i < n; i++) {
		const struct ptl_json *el = ptl_json_at(root, i);
		enum ptl_json_type t = ptl_json_type(el);
		bool desc = false;
		int col;

		if (t != PTL_JSON_OBJECT && t != PTL_JSON_ARRAY) {
			member(&errs, &nerr, i);
			ptl_buf_adds(&errs, NOT_NESTED("sort"));
			continue;
		}
		ptl_buf_init(&one, a, 64, 1024);
		col = sort_key(el, &desc, &one);
		if (one.len > 0) {
			member(&errs, &nerr, i);
			ptl_buf_add(&errs, one.data, one.len);
			ptl_buf_addc(&errs, '}');
		} else if (nerr == 0) {
			add_key(q, col, desc, &after_id);
		}
	}
	if (nerr == 0)
		return NULL;
	if (errs.overflow)
		return "\"sort must be a json string\"";
	ptl_buf_addc(&errs, '}');
	return ptl_mem_strndup(a, errs.data, errs.len);
}

static const char *
parse_sort(struct ptl_arena *a, const char *text, struct ptl_users_query *q)
{
	struct ptl_json *root;
	struct ptl_buf errs;
	const char *msg;
	enum ptl_json_type t;
	bool desc;

	if (text == NULL || text[0] == '\0')
		return NULL;
	if (ptl_json_parse_value(a, text, strlen(text), &root, &msg) != PTL_OK)
		return "\"sort must be a json string\"";
	t = ptl_json_type(root);
	if (t == PTL_JSON_NULL)
		return NULL;
	if (t == PTL_JSON_ARRAY)
		return parse_sort_array(a, root, q);
	if (t != PTL_JSON_OBJECT)
		return NOT_NESTED("sort");
	/* One object: its own errors, else "must be an array" (§10.22). */
	ptl_buf_init(&errs, a, 64, 1024);
	(void)sort_key(root, &desc, &errs);
	if (errs.len == 0)
		return "\"sort must be an array\"";
	ptl_buf_addc(&errs, '}');
	return ptl_mem_strndup(a, errs.data, errs.len);
}

enum ptl_err
ptl_users_parse_query(struct ptl_arena *a, const char *page, const char *limit,
		      const char *filters, const char *sort,
		      struct ptl_users_query *q,
		      struct ptl_users_error errors[4], size_t *nerrors)
{
	int64_t page_n;
	const char *err;

	memset(q, 0, sizeof(*q));
	*nerrors = 0;
	if (!parse_count(page, 1, PAGE_MAX, &page_n))
		add_error(errors, nerrors, "page", NOT_NUMBER("page"));
	if (!parse_count(limit, 10, PTL_USERS_LIMIT_MAX, &q->limit))
		add_error(errors, nerrors, "limit", NOT_NUMBER("limit"));
	err = parse_filters(a, filters, &q->roles);
	if (err != NULL)
		add_error(errors, nerrors, "filters", err);
	err = parse_sort(a, sort, q);
	if (err != NULL)
		add_error(errors, nerrors, "sort", err);
	if (*nerrors > 0)
		return PTL_ERR_VALIDATION;
	q->offset = (page_n - 1) * q->limit;
	return PTL_OK;
}

/* --- the list ------------------------------------------------------------ */

/* The one statement of the query: by id, by one key, or by several. */
static struct ptl_stmt *
page_statement(struct ptl_app *app, const struct ptl_users_query *q)
{
	struct ptl_stmt *st;
	size_t i;

	if (q->nkeys <= 1) {
		enum ptl_q which = PTL_Q_USERS_PAGE;

		for (i = 0; q->nkeys == 1 && i < LEN(columns); i++) {
			if (columns[i].code == q->keys[0].column)
				which = q->keys[0].desc ? columns[i].desc
							: columns[i].asc;
		}
		return ptl_db_q(app->db, which);
	}
	st = ptl_db_q(app->db, PTL_Q_USERS_PAGE_SORTED);
	for (i = 0; i < PTL_DB_SORT_KEYS; i++) {
		bool used = i < q->nkeys;

		ptl_db_bind_int(st, 4 + 2 * (int)i,
				used ? q->keys[i].column : 0);
		ptl_db_bind_int(st, 5 + 2 * (int)i, used && q->keys[i].desc);
	}
	return st;
}

enum ptl_err
ptl_users_list_json(struct ptl_arena *a, struct ptl_app *app,
		    const struct ptl_users_query *q, struct ptl_buf *out)
{
	struct ptl_stmt *st = page_statement(app, q);
	int64_t rows = 0;
	bool row = true;
	enum ptl_err e = PTL_OK;

	ptl_db_bind_textz(st, 1, q->roles);
	ptl_db_bind_int(st, 2, q->limit);
	ptl_db_bind_int(st, 3, q->offset);
	ptl_buf_adds(out, "{\"data\":[");
	while (e == PTL_OK && row) {
		struct ptl_user u;

		e = ptl_db_step(st, &row);
		if (e != PTL_OK || !row)
			break;
		ptl_account_read_row(a, st, &u);
		ptl_account_photo_url(a, app, &u);
		if (rows++ > 0)
			ptl_buf_addc(out, ',');
		ptl_account_user_json(&u, out);
	}
	ptl_db_done(st);
	if (e != PTL_OK)
		return e;
	/* The reference's rule: a full page says there may be more. */
	ptl_buf_adds(out, rows == q->limit ? "],\"hasNextPage\":true}"
					   : "],\"hasNextPage\":false}");
	return PTL_OK;
}

/* --- one user ------------------------------------------------------------ */

enum ptl_err
ptl_users_get(struct ptl_arena *a, struct ptl_app *app, int64_t id,
	      struct ptl_user *u)
{
	return ptl_account_get(a, app, id, u);
}

/* JavaScript's falsy values among JSON's: absent (undefined), null, false,
 * 0 and "" (the reference's "if (dto.role?.id)", API.md §11.9). */
static bool
falsy(const struct ptl_json *v)
{
	size_t len = 0;

	switch (ptl_json_type(v)) {
	case PTL_JSON_ABSENT:
	case PTL_JSON_NULL:
		return true;
	case PTL_JSON_BOOL:
		return !ptl_json_true(v);
	case PTL_JSON_NUMBER:
		return ptl_json_num(v) == 0;
	case PTL_JSON_STRING:
		(void)ptl_json_str(v, &len);
		return len == 0;
	default:
		return false;
	}
}

/* The photo of a body and what becomes of it. */
struct photo {
	const char *id; /* photo:{id}: the file to make the photo */
	bool remove;    /* photo:null: the photo is removed (PATCH) */
};

/*
 * The photo of a body (API.md §10.27, §11.9), checked as PATCH /me checks
 * it: null removes the photo; absent, a non-object and an object without
 * a truthy id mean "no change" (the reference's photo?.id); any other id
 * must name a file that ptl_files_check_photo() lets actor make the photo
 * of self (0 on POST: no current photo), else photo imageNotExists.
 */
static enum ptl_err
check_photo(struct ptl_arena *a, struct ptl_app *app,
	    const struct ptl_users_input *in, int64_t self, struct photo *out,
	    struct ptl_refusal *why)
{
	const struct ptl_json *photo = ptl_json_get(in->body, "photo");
	const struct ptl_json *id = ptl_json_get(photo, "id");
	size_t len;

	out->id = NULL;
	out->remove = ptl_json_type(photo) == PTL_JSON_NULL;
	if (ptl_json_type(photo) != PTL_JSON_OBJECT || falsy(id))
		return PTL_OK;
	if (ptl_json_type(id) != PTL_JSON_STRING) /* no file has that id */
		return ptl_refusal_field(why, "photo", "imageNotExists");
	out->id = ptl_json_str(id, &len);
	if (strlen(out->id) != len) /* a NUL inside: no file either */
		return ptl_refusal_field(why, "photo", "imageNotExists");
	return ptl_files_check_photo(a, app, self, in->actor, out->id, why);
}

/*
 * role or status of a body (API.md §11.9, §10.20). OUT *out: 1 or 2, or 0
 * when it is not given: absent, null, not an object, or an object whose id
 * is falsy. Any other id but the numbers 1 and 2 and the strings "1" and
 * "2" is refused with key.
 */
static enum ptl_err
ref_id(const struct ptl_json *body, const char *name, const char *key,
       int64_t *out, struct ptl_refusal *why)
{
	const struct ptl_json *ref = ptl_json_get(body, name);
	const struct ptl_json *id = ptl_json_get(ref, "id");
	const char *s;
	size_t len;
	double n;

	*out = 0;
	if (ptl_json_type(ref) != PTL_JSON_OBJECT || falsy(id))
		return PTL_OK;
	if (ptl_json_type(id) == PTL_JSON_NUMBER) {
		n = ptl_json_num(id);
		if (n == 1 || n == 2)
			*out = (int64_t)n;
	} else if (ptl_json_type(id) == PTL_JSON_STRING) {
		s = ptl_json_str(id, &len);
		if (len == 1 && (s[0] == '1' || s[0] == '2'))
			*out = s[0] - '0';
	}
	return *out != 0 ? PTL_OK : ptl_refusal_field(why, name, key);
}

/* The business checks of POST and PATCH, in the reference's order
 * (API.md §11.6 steps 2-4, §11.7 steps 2-4). self: the target (0 on
 * POST), whose own address is not a conflict (§10.18). */
static enum ptl_err
check_input(struct ptl_arena *a, struct ptl_app *app,
	    const struct ptl_users_input *in, int64_t self, struct photo *photo,
	    int64_t *role, int64_t *status, struct ptl_refusal *why)
{
	int64_t holder;
	enum ptl_err e;

	if (in->email != NULL) {
		/* Deleted users keep their address (§10.19). */
		e = ptl_account_find(app, in->email, &holder);
		if (e == PTL_OK && holder != self)
			return ptl_refusal_field(why, "email",
						 "emailAlreadyExists");
		if (e != PTL_OK && e != PTL_ERR_NOT_FOUND)
			return e;
	}
	e = check_photo(a, app, in, self, photo, why);
	if (e == PTL_OK)
		e = ref_id(in->body, "role", "roleNotExists", role, why);
	if (e == PTL_OK)
		e = ref_id(in->body, "status", "statusNotExists", status, why);
	return e;
}

enum ptl_err
ptl_users_create(struct ptl_arena *a, struct ptl_app *app,
		 const struct ptl_users_input *in, int64_t now_ms,
		 struct ptl_user *u, struct ptl_refusal *why)
{
	struct photo photo;
	int64_t role, status, id;
	const char *gone;
	char *hash;
	enum ptl_err e;

	ptl_refusal_clear(why);
	if (in->email == NULL || in->password == NULL)
		return PTL_ERR_INTERNAL; /* the field table requires them */
	e = check_input(a, app, in, 0, &photo, &role, &status, why);
	if (e == PTL_OK)
		e = ptl_account_hash(a, app, in->password, in->password_len,
				     &hash);
	if (e != PTL_OK)
		return e;
	e = ptl_db_begin(app->db);
	if (e != PTL_OK)
		return e;
	/* Our defaults (§10.17): the reference leaves both NULL. */
	e = ptl_account_insert(app, in->email, hash, in->first, in->last,
			       role != 0 ? role : PTL_ACCOUNT_ROLE_USER,
			       status != 0 ? status : PTL_ACCOUNT_STATUS_ACTIVE,
			       now_ms, &id);
	/* A new user has no photo to replace: gone stays NULL. */
	if (e == PTL_OK && photo.id != NULL)
		e = ptl_files_set_photo(a, app, id, photo.id, now_ms, &gone);
	e = ptl_db_end(app->db, e);
	if (e == PTL_ERR_CONFLICT) /* taken since the check */
		return ptl_refusal_field(why, "email", "emailAlreadyExists");
	if (e != PTL_OK)
		return e;
	PTL_LOG_INFO("user %lld created by an admin", (long long)id);
	return ptl_account_get(a, app, id, u);
}

static bool
changes_password(const struct ptl_users_input *in)
{
	return in->password != NULL && in->password_len > 0;
}

/* The write of a PATCH, in its transaction. OUT gone: the replaced
 * photo's name, for ptl_files_remove() after the commit, or NULL. */
static enum ptl_err
write_update(struct ptl_arena *a, struct ptl_app *app, int64_t id,
	     int64_t keep_session, const struct ptl_users_input *in,
	     const char *email, const char *hash, const struct photo *photo,
	     int64_t role, int64_t status, int64_t now_ms, const char **gone)
{
	struct ptl_stmt *st;
	enum ptl_err e = ptl_db_begin(app->db);

	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_USERS_UPDATE);
	ptl_db_bind_int(st, 1, id);
	ptl_db_bind_textz(st, 2, email);
	ptl_db_bind_textz(st, 3, hash);
	ptl_db_bind_int(st, 4, in->set_first);
	ptl_db_bind_textz(st, 5, in->first);
	ptl_db_bind_int(st, 6, in->set_last);
	ptl_db_bind_textz(st, 7, in->last);
	if (role != 0)
		ptl_db_bind_int(st, 8, role);
	else
		ptl_db_bind_null(st, 8);
	if (status != 0)
		ptl_db_bind_int(st, 9, status);
	else
		ptl_db_bind_null(st, 9);
	ptl_db_bind_int(st, 10, now_ms);
	e = ptl_db_exec(st);
	if (e == PTL_OK && ptl_db_changes(app->db) == 0)
		e = PTL_ERR_NOT_FOUND; /* deleted since it was loaded */
	/* A new password or address kills the mailed links (API.md §4.3). */
	if (e == PTL_OK && (hash != NULL || email != NULL))
		e = ptl_account_new_stamp(app, id, false, now_ms);
	/* §10.25: as PATCH /me does, but for the caller's own session. */
	if (e == PTL_OK && hash != NULL)
		e = ptl_session_revoke_user(app, id, keep_session,
					    "password_set", now_ms);
	if (e == PTL_OK && (photo->id != NULL || photo->remove))
		e = ptl_files_set_photo(a, app, id, photo->id, now_ms, gone);
	return ptl_db_end(app->db, e);
}

enum ptl_err
ptl_users_update(struct ptl_arena *a, struct ptl_app *app, int64_t id,
		 int64_t keep_session, const struct ptl_users_input *in,
		 int64_t now_ms, struct ptl_user *u, struct ptl_refusal *why)
{
	struct photo photo;
	int64_t role, status;
	const char *email = NULL, *gone = NULL;
	char *hash = NULL;
	enum ptl_err e;

	ptl_refusal_clear(why);
	e = check_input(a, app, in, id, &photo, &role, &status, why);
	if (e == PTL_OK)
		e = ptl_account_get(a, app, id, u);
	if (e != PTL_OK)
		return e;
	if (in->email != NULL &&
	    (u->email == NULL || strcmp(in->email, u->email) != 0))
		email = in->email;
	if (changes_password(in)) {
		e = ptl_account_hash(a, app, in->password, in->password_len,
				     &hash);
		if (e != PTL_OK)
			return e;
	}
	/* A new photo is a change of the user too: updatedAt moves. */
	if (email != NULL || hash != NULL || in->set_first || in->set_last ||
	    role != 0 || status != 0 || photo.id != NULL || photo.remove) {
		e = write_update(a, app, id, keep_session, in, email, hash,
				 &photo, role, status, now_ms, &gone);
		if (e == PTL_ERR_CONFLICT)
			return ptl_refusal_field(why, "email",
						 "emailAlreadyExists");
		if (e != PTL_OK)
			return e;
	}
	if (hash != NULL) {
		ptl_audit_record(app, PTL_AUDIT_PASSWORD_RESET, id, 0,
				 "by_admin_api", now_ms);
		PTL_LOG_SEC("password of user %lld set through the users API; "
			    "its other sessions ended",
			    (long long)id);
	}
	if (gone != NULL) /* the old photo, once its row is gone */
		ptl_files_remove(app, gone);
	return ptl_account_get(a, app, id, u);
}

enum ptl_err
ptl_users_delete(struct ptl_app *app, int64_t id, int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_STATE);
	bool row, deleted = true;
	enum ptl_err e;

	ptl_db_bind_int(st, 1, id);
	e = ptl_db_step(st, &row);
	if (e == PTL_OK && row)
		deleted = ptl_db_int(st, PTL_COL_USER_STATE_DELETED) != 0;
	ptl_db_done(st);
	if (e != PTL_OK || deleted)
		return e; /* unknown or deleted: 204, first deletedAt kept */
	return ptl_account_delete(app, id, now_ms);
}
