/* SPDX-License-Identifier: ISC */
/*
 * page: see page.h. run() is the order of the checks, answer() the one
 * write of the answer. The CSRF token of a form is HMAC-SHA-256, under a
 * key of the process (the device-cookie key, with a label of its own), of
 * a random secret kept in an HttpOnly SameSite=Strict cookie of the
 * pages' path: a site on another origin can neither read the token nor
 * set the cookie to a value whose token it knows (OWASP's signed double
 * submit cookie). It comes on top of the Origin check of API.md §10.10.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/crypto.h"
#include "adapters/db.h"
#include "adapters/json.h"
#include "base/cfg.h"
#include "base/email.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/str.h"
#include "base/ua.h"
#include "base/utf8.h"
#include "domain/audit.h"
#include "domain/i18n.h"
#include "domain/ratelimit.h"
#include "domain/session.h"
#include "domain/signin.h"
#include "domain/token.h"
#include "web/endpoint.h"
#include "web/form.h"
#include "web/page.h"
#include "web/pair.h"

#define CSRF_SECRET_BYTES 32
#define CSRF_HEX (2 * PTL_CRYPTO_DIGEST_LEN)
#define CSRF_LABEL "authportal pages csrf v1:"

/* The cap of a stylesheet the pages serve. */
#define CSS_MAX (256 * 1024)

/* --- files of the theme --------------------------------------------------- */

/* The bytes of file dir/sub/name (NUL-terminated, arena-owned), or NULL
 * when it is missing, unreadable or larger than max. */
static char *
read_file(struct ptl_arena *a, const char *dir, const char *sub,
	  const char *name, size_t max, size_t *len)
{
	char *path, *data;
	struct stat st;
	FILE *f;
	size_t n;

	if (dir == NULL)
		return NULL;
	path = ptl_mem_printf(a, "%s/%s/%s", dir, sub, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || (size_t)st.st_size > max) {
		(void)fclose(f);
		return NULL;
	}
	data = ptl_mem_alloc(a, (size_t)st.st_size + 1);
	n = fread(data, 1, (size_t)st.st_size, f);
	(void)fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

/* A file of the theme (PAGES_THEME_DIR), else the shipped one. */
static char *
theme_file(struct ptl_page *pg, const char *sub, const char *name, size_t max,
	   size_t *len)
{
	struct ptl_arena *a = pg->req->arena;
	char *s;

	s = read_file(a, pg->req->app->cfg.pages_theme_dir, sub, name, max,
		      len);
	if (s == NULL)
		s = read_file(a, ptl_paths_pages(), sub, name, max, len);
	return s;
}

static const char *
find_template(void *ctx, const char *name, size_t *len)
{
	struct ptl_page *pg = ctx;

	return theme_file(pg, "templates",
			  ptl_mem_printf(pg->req->arena, "%s.html", name),
			  PTL_TMPL_SRC_MAX, len);
}

/* --- words ---------------------------------------------------------------- */

const char *
ptl_page_words(struct ptl_page *pg, const char *key)
{
	const struct ptl_i18n *t = pg->req->app->i18n;
	const char *w, *at;

	w = t != NULL ? ptl_i18n_get(t, pg->lang, "pages", key) : NULL;
	/* The one number the words may hold: "{min}", the shortest
	 * password (AUTH_PASSWORD_MIN_LENGTH). */
	at = w != NULL ? strstr(w, "{min}") : NULL;
	if (at != NULL)
		w = ptl_mem_printf(pg->req->arena, "%.*s%zu%s", (int)(at - w),
				   w, pg->req->app->cfg.password_min_len,
				   at + 5);
	return w;
}

static const char *
words_fn(void *ctx, const char *key)
{
	return ptl_page_words(ctx, key);
}

/* The words of key, or of fallback when there are none (and the key
 * itself when neither has words: a missing string shows, and the test
 * of the message files finds it). */
static const char *
words_or(struct ptl_page *pg, const char *key, const char *fallback)
{
	const char *w = ptl_page_words(pg, key);

	if (w == NULL && fallback != NULL)
		w = ptl_page_words(pg, fallback);
	return w != NULL ? w : key;
}

/* --- form values and errors ----------------------------------------------- */

const char *
ptl_page_field(struct ptl_page *pg, const char *name)
{
	struct ptl_req *req = pg->req;
	const struct ptl_json *v;
	const char *s;
	size_t len;

	if (req->json == NULL)
		return strcmp(req->method, "POST") != 0
			   ? ptl_req_query(req, name)
			   : NULL;
	v = ptl_json_get(req->json, name);
	if (ptl_json_type(v) != PTL_JSON_STRING)
		return NULL;
	s = ptl_json_str(v, &len);
	/* No NUL inside and valid UTF-8, or it is not a value at all. */
	if (s == NULL || strlen(s) != len || !ptl_utf8_valid(s, len))
		return NULL;
	return s;
}

void
ptl_page_error(struct ptl_page *pg, const char *field, const char *key)
{
	struct ptl_arena *a = pg->req->arena;
	const char *colon = strchr(key, ':');
	const char *base = colon != NULL
			       ? ptl_mem_strndup(a, key, (size_t)(colon - key))
			       : key;
	const char *w = words_or(pg, ptl_mem_printf(a, "errors.%s", base),
				 "errors.unknown");
	struct ptl_tmpl_scope *it;

	ptl_tmpl_set(pg->scope, ptl_mem_printf(a, "err_%s", field), w);
	ptl_tmpl_set_bool(pg->scope, ptl_mem_printf(a, "invalid_%s", field),
			  true);
	if (pg->nerrors == 0)
		ptl_tmpl_set_bool(
		    pg->scope, ptl_mem_printf(a, "autofocus_%s", field), true);
	it = ptl_tmpl_add_item(pg->scope, "errors");
	ptl_tmpl_set(it, "field", field);
	ptl_tmpl_set(it, "text", w);
	ptl_tmpl_set_bool(pg->scope, "has_errors", true);
	pg->nerrors++;
	if (pg->status < 400)
		pg->status = 422;
}

enum ptl_err
ptl_page_refusal(struct ptl_page *pg, enum ptl_err e,
		 const struct ptl_refusal *why)
{
	if (e == PTL_ERR_VALIDATION && why->field != NULL) {
		ptl_page_error(pg, why->field, why->key);
		/* One message is enough for a pair (email and password of
		 * a uniform sign-in failure): the second only marks its
		 * field. */
		if (why->field2 != NULL)
			ptl_tmpl_set_bool(pg->scope,
					  ptl_mem_printf(pg->req->arena,
							 "invalid_%s",
							 why->field2),
					  true);
		return PTL_OK;
	}
	if (e == PTL_ERR_RATE_LIMITED) {
		ptl_page_error(pg, "form", "tooManyRequests");
		pg->status = 429;
		pg->resp.retry_after_s = why->retry_after_s;
		return PTL_OK;
	}
	return e;
}

/* Puts value back into the form's field. */
static void
keep(struct ptl_page *pg, const char *field, const char *value)
{
	ptl_tmpl_set(pg->scope, ptl_mem_printf(pg->req->arena, "v_%s", field),
		     value);
}

const char *
ptl_page_text(struct ptl_page *pg, const char *field, size_t max)
{
	const char *s = ptl_page_field(pg, field);
	size_t len;

	if (s == NULL) {
		ptl_page_error(pg, field, "required");
		return NULL;
	}
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	s = ptl_mem_strndup(pg->req->arena, s, len);
	keep(pg, field, s);
	if (len == 0) {
		ptl_page_error(pg, field, "required");
		return NULL;
	}
	if (len > max) {
		ptl_page_error(pg, field, "tooLong");
		return NULL;
	}
	return s;
}

const char *
ptl_page_email(struct ptl_page *pg, const char *field)
{
	const char *s = ptl_page_field(pg, field);
	size_t len, n;
	char *out;

	if (s == NULL || *s == '\0') {
		ptl_page_error(pg, field, "required");
		return NULL;
	}
	keep(pg, field, s);
	len = strlen(s);
	if (len > 4 * PTL_EMAIL_MAX_BYTES) {
		ptl_page_error(pg, field, "invalidEmail");
		return NULL;
	}
	out = ptl_mem_alloc(pg->req->arena, PTL_EMAIL_NORMALISED_MAX(len));
	n = ptl_email_normalise(s, len, out, PTL_EMAIL_NORMALISED_MAX(len));
	if (n == (size_t)-1 || n == 0) {
		ptl_page_error(pg, field, n == 0 ? "required" : "invalidEmail");
		return NULL;
	}
	if (!ptl_email_deliverable(out, n)) {
		ptl_page_error(pg, field, "invalidEmail");
		return NULL;
	}
	return out;
}

const char *
ptl_page_password(struct ptl_page *pg, const char *field, bool policy,
		  size_t *len)
{
	const struct ptl_cfg *cfg = &pg->req->app->cfg;
	const char *s = ptl_page_field(pg, field);

	*len = 0;
	if (s == NULL || *s == '\0') {
		ptl_page_error(pg, field, "required");
		return NULL;
	}
	*len = strlen(s);
	if (*len > cfg->password_max_len) {
		ptl_page_error(pg, field, "passwordTooLong");
		return NULL;
	}
	if (policy && ptl_utf8_length(s, *len) < cfg->password_min_len) {
		ptl_page_error(pg, field, "passwordTooShort");
		return NULL;
	}
	return s;
}

/* --- redirects and cookies ------------------------------------------------ */

void
ptl_page_redirect(struct ptl_page *pg, const char *name, const char *done)
{
	const char *base = pg->req->app->cfg.pages_base;

	pg->location = done != NULL
			   ? ptl_mem_printf(pg->req->arena, "%s%s?done=%s",
					    base, name, done)
			   : ptl_mem_printf(pg->req->arena, "%s%s", base, name);
}

/* A path under the base path made of URL characters only (no "//", no
 * "\\", no control byte or space, no ".." segment): a redirect within the
 * pages. */
static bool
own_path(struct ptl_page *pg, const char *s)
{
	const char *base = pg->req->app->cfg.pages_base;
	size_t i;

	if (strncmp(s, base, strlen(base)) != 0 || strlen(s) > 512 ||
	    strstr(s, "//") != NULL || strstr(s, "/..") != NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '\\' || c == '"' ||
		    c == '<' || c == '>')
			return false;
	}
	return true;
}

/* The checked "redirect" of the request, or NULL. */
static const char *
redirect_target(struct ptl_page *pg)
{
	const char *r = ptl_page_field(pg, "redirect");

	if (r == NULL || *r == '\0')
		return NULL;
	if (own_path(pg, r))
		return r;
	return ptl_form_target(pg->req, r);
}

void
ptl_page_redirect_back(struct ptl_page *pg, const char *name)
{
	const char *r = redirect_target(pg);

	if (r != NULL)
		pg->location = r;
	else
		ptl_page_redirect(pg, name, NULL);
}

/* The Set-Cookie line of PTL_PAGE_REFRESH_COOKIE: token, or NULL to
 * expire it. */
static void
pages_refresh_cookie(struct ptl_page *pg, const char *token)
{
	struct ptl_req *req = pg->req;

	ptl_buf_addf(
	    &pg->resp.headers,
	    "Set-Cookie: " PTL_PAGE_REFRESH_COOKIE "=%s; Max-Age=%lld; "
	    "Path=%s; HttpOnly%s; SameSite=Strict\r\n",
	    token != NULL ? token : "",
	    token != NULL ? (long long)(req->app->cfg.refresh_ttl_ms / 1000)
			  : 0LL,
	    req->app->cfg.pages_base, ptl_form_secure(req) ? "; Secure" : "");
}

/* Keeps the tokens of a signed pair (pair.c) for the cookies. */
static void
keep_pair(struct ptl_page *pg, const struct ptl_resp *pair)
{
	pg->resp.set_access = pair->set_access;
	pg->resp.set_refresh = pair->set_refresh;
	pages_refresh_cookie(pg, pair->set_refresh);
}

enum ptl_err
ptl_page_sign_in(struct ptl_page *pg, const struct ptl_login *login)
{
	struct ptl_resp scratch;
	enum ptl_err e;

	/* The token pair as the login route signs it; only its cookies
	 * are kept (pg->resp's set_access and set_refresh). */
	ptl_resp_init(&scratch, pg->req->arena);
	e = ptl_pair_login(pg->req, &scratch, &login->user, login->session_id,
			   login->hash);
	if (e != PTL_OK)
		return e;
	keep_pair(pg, &scratch);
	ptl_form_device_cookie(pg->req, &pg->resp, login->device);
	return PTL_OK;
}

void
ptl_page_sign_out(struct ptl_page *pg)
{
	pg->resp.clear_cookies = true;
	pages_refresh_cookie(pg, NULL);
}

/* --- the device list and the social buttons ------------------------------- */

/* "2026-12-02T01:55:48.000Z" as "2026-12-02 01:55 UTC". */
static const char *
minutes(struct ptl_arena *a, const struct ptl_json *v)
{
	size_t len;
	const char *s = ptl_json_str(v, &len);

	if (s == NULL || len < 16)
		return s;
	return ptl_mem_printf(a, "%.10s %.5s UTC", s, s + 11);
}

static void
device_item(struct ptl_page *pg, const struct ptl_json *row)
{
	struct ptl_arena *a = pg->req->arena;
	struct ptl_tmpl_scope *it = ptl_tmpl_add_item(pg->scope, "devices");
	const char *id = ptl_json_num_text(a, ptl_json_get(row, "id"));
	size_t len;
	struct ptl_ua ua =
	    ptl_ua_parse(ptl_json_str(ptl_json_get(row, "userAgent"), &len));

	ptl_tmpl_set(it, "id", id);
	ptl_tmpl_set(it, "browser", ua.browser);
	ptl_tmpl_set(it, "os", ua.os);
	ptl_tmpl_set(it, "ip", ptl_json_str(ptl_json_get(row, "ip"), &len));
	ptl_tmpl_set(it, "created", minutes(a, ptl_json_get(row, "createdAt")));
	ptl_tmpl_set(it, "last_used",
		     minutes(a, ptl_json_get(row, "lastUsedAt")));
	ptl_tmpl_set_bool(
	    it, "current",
	    id != NULL &&
		strcmp(id, ptl_mem_printf(a, "%lld",
					  (long long)pg->session_id)) == 0);
}

enum ptl_err
ptl_page_devices(struct ptl_page *pg)
{
	struct ptl_req *req = pg->req;
	const struct ptl_json *root, *row;
	struct ptl_json *doc;
	const char *msg;
	struct ptl_buf b;
	enum ptl_err e;

	ptl_buf_init(&b, req->arena, 4096, PTL_SESSION_LIST_MAX + 16);
	ptl_buf_adds(&b, "{\"s\":");
	e = ptl_session_list_json(req->app, pg->user->id, pg->session_id,
				  req->now_ms, &b);
	if (e != PTL_OK)
		return e;
	ptl_buf_addc(&b, '}');
	if (b.overflow)
		return PTL_ERR_INTERNAL;
	e = ptl_json_parse(req->arena, b.data, b.len, &doc, &msg);
	if (e != PTL_OK)
		return PTL_ERR_INTERNAL;
	root = ptl_json_get(doc, "s");
	for (row = ptl_json_first(root); row != NULL; row = ptl_json_next(row))
		device_item(pg, row);
	return PTL_OK;
}

void
ptl_page_providers(struct ptl_page *pg)
{
	const struct ptl_cfg *cfg = &pg->req->app->cfg;
	/* The credentials of the social sign-in settings (API.md §5.4); a
	 * provider without them has no button. */
	const struct {
		const char *name, *label, *id;
	} all[] = {
	    {"google", "social.google", cfg->google_client_id},
	    {"github", "social.github", cfg->github_client_id},
	    {"facebook", "social.facebook", cfg->facebook_app_id},
	};
	struct ptl_arena *a = pg->req->arena;
	struct ptl_buf back;
	size_t i;

	ptl_buf_init(&back, a, 128, 1024);
	if (cfg->backend_domain != NULL)
		ptl_buf_adds(&back, cfg->backend_domain);
	ptl_buf_adds(&back, cfg->pages_base);
	ptl_buf_adds(&back, pg->site->home);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *id = all[i].id;
		struct ptl_tmpl_scope *it;
		struct ptl_buf url;

		if (id == NULL || *id == '\0')
			continue;
		ptl_buf_init(&url, a, 128, 2048);
		ptl_buf_addf(
		    &url, "/api/v1/auth/%s/authorize?redirect=", all[i].name);
		ptl_buf_urlencode(&url, back.data, back.len);
		it = ptl_tmpl_add_item(pg->scope, "providers");
		ptl_tmpl_set(it, "name", all[i].name);
		ptl_tmpl_set(it, "label", words_or(pg, all[i].label, NULL));
		ptl_tmpl_set(it, "url", url.data);
		ptl_tmpl_set_bool(pg->scope, "has_providers", true);
	}
}

/* --- CSRF ----------------------------------------------------------------- */

static const char *
csrf_token_of(struct ptl_page *pg, const char *secret)
{
	unsigned char mac[PTL_CRYPTO_DIGEST_LEN];
	char *msg = ptl_mem_printf(pg->req->arena, CSRF_LABEL "%s", secret);
	char *hex = ptl_mem_alloc(pg->req->arena, CSRF_HEX + 1);

	ptl_crypto_hmac_with(mac, pg->req->app->device_key, msg, strlen(msg));
	ptl_str_hex(hex, mac, sizeof(mac));
	hex[CSRF_HEX] = '\0';
	return hex;
}

static bool
hex_of(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || strlen(s) != len)
		return false;
	for (i = 0; i < len; i++) {
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return true;
}

/* Sets pg->csrf from the browser's secret, making one (and its cookie)
 * when it has none. OUT had: it came with the request. */
static void
csrf_prepare(struct ptl_page *pg, bool *had)
{
	struct ptl_req *req = pg->req;
	const char *secret = ptl_req_cookie(req, PTL_PAGE_CSRF_COOKIE);

	*had = hex_of(secret, 2 * CSRF_SECRET_BYTES);
	if (!*had) {
		secret = ptl_crypto_random_hex(req->arena, CSRF_SECRET_BYTES);
		ptl_buf_addf(&pg->resp.headers,
			     "Set-Cookie: " PTL_PAGE_CSRF_COOKIE
			     "=%s; Path=%s; "
			     "HttpOnly%s; SameSite=Strict\r\n",
			     secret, req->app->cfg.pages_base,
			     ptl_form_secure(req) ? "; Secure" : "");
	}
	pg->csrf = csrf_token_of(pg, secret);
}

static enum ptl_err
csrf_check(struct ptl_page *pg, bool had)
{
	const char *sent = ptl_page_field(pg, PTL_PAGE_CSRF_FIELD);

	if (had && hex_of(sent, CSRF_HEX) &&
	    ptl_crypto_equal(sent, pg->csrf, CSRF_HEX))
		return PTL_OK;
	PTL_LOG_SEC("pages: a form post without its CSRF token refused");
	return PTL_ERR_FORBIDDEN;
}

/* --- the signed-in user --------------------------------------------------- */

/* No live access cookie, but the pages' refresh cookie: the session is
 * rotated (signin.h, reuse detection included) and every cookie set anew.
 * OUT acc. PTL_ERR_UNAUTHORIZED when that fails too (the stale cookie is
 * then expired). */
static enum ptl_err
refreshed(struct ptl_page *pg, struct ptl_access *acc)
{
	struct ptl_req *req = pg->req;
	const char *token = ptl_req_cookie(req, PTL_PAGE_REFRESH_COOKIE);
	struct ptl_signin_rotated rot;
	struct ptl_resp scratch;
	enum ptl_err e;

	if (token == NULL || *token == '\0' || strlen(token) > 4096)
		return PTL_ERR_UNAUTHORIZED;
	e = ptl_signin_refresh(req->arena, req->app, token, req->now_ms, &rot);
	if (e == PTL_ERR_BUSY || e == PTL_ERR_INTERNAL)
		return e;
	if (e != PTL_OK) {
		pages_refresh_cookie(pg, NULL);
		return PTL_ERR_UNAUTHORIZED;
	}
	ptl_resp_init(&scratch, req->arena);
	e = ptl_pair_refresh(req, &scratch, rot.user_id, rot.role_id,
			     rot.session_id, rot.hash);
	if (e != PTL_OK)
		return e;
	keep_pair(pg, &scratch);
	acc->user_id = rot.user_id;
	acc->session_id = rot.session_id;
	return PTL_OK;
}

/* The user of the access cookie (API.md §10.10), else of the pages'
 * refresh cookie; session checked. */
static enum ptl_err
signed_in(struct ptl_page *pg)
{
	struct ptl_req *req = pg->req;
	const char *token = ptl_req_cookie(req, PTL_COOKIE_ACCESS);
	struct ptl_access acc;
	enum ptl_err e = PTL_ERR_UNAUTHORIZED;

	if (token != NULL && *token != '\0' && strlen(token) <= 4096)
		e = ptl_token_access_verify(req->arena, req->app, token,
					    req->now_ms, &acc);
	if (e != PTL_OK) {
		/* Any bad or missing token: the refresh cookie, or sign in
		 * again. */
		e = refreshed(pg, &acc);
		if (e != PTL_OK)
			return e;
	}
	pg->user = ptl_mem_zalloc(req->arena, sizeof(*pg->user));
	/* The pages always check the session, whatever AUTH_SESSION_CHECK
	 * says: "sign out" must sign out here at once. */
	e = ptl_account_get_by_session(req->arena, req->app, acc.session_id,
				       acc.user_id, req->now_ms, pg->user);
	if (e == PTL_ERR_NOT_FOUND) {
		/* The session ended: its cookies are worth nothing now. */
		ptl_page_sign_out(pg);
		return PTL_ERR_UNAUTHORIZED;
	}
	if (e != PTL_OK)
		return e;
	pg->session_id = acc.session_id;
	req->user_id = acc.user_id;
	req->session_id = acc.session_id;
	req->user = pg->user;
	return PTL_OK;
}

/* --- routing -------------------------------------------------------------- */

/* The name of the request's path under the base, or NULL when the path
 * is not under it; "" for the base itself. */
static const char *
page_name(struct ptl_page *pg)
{
	const char *base = pg->req->app->cfg.pages_base;
	size_t blen = strlen(base);
	struct ptl_req *req = pg->req;

	if (req->path_len == blen - 1 &&
	    strncmp(req->path, base, blen - 1) == 0)
		return "";
	if (req->path_len < blen || strncmp(req->path, base, blen) != 0)
		return NULL;
	return ptl_mem_strndup(req->arena, req->path + blen,
			       req->path_len - blen);
}

static const struct ptl_page_route *
find_route(struct ptl_page *pg, const char *name)
{
	const char *m = pg->req->head ? "GET" : pg->req->method;
	size_t i;

	for (i = 0; i < pg->site->nroutes; i++) {
		const struct ptl_page_route *r = &pg->site->routes[i];

		if (strcmp(r->method, m) == 0 && strcmp(r->name, name) == 0)
			return r;
	}
	return NULL;
}

static enum ptl_err
limit(struct ptl_page *pg, const struct ptl_page_route *r)
{
	struct ptl_req *req = pg->req;
	struct ptl_refusal why = {0};
	enum ptl_err e;

	/* The signed-in pages are not limited per IP, as the JSON routes of
	 * the account are not (their writes have limits of their own). */
	if (!req->app->cfg.rate_limit || (r->flags & PTL_PAGE_USER))
		return PTL_OK;
	e = ptl_ratelimit_hit(
	    req->app, (r->flags & PTL_PAGE_LOGIN) ? PTL_RL_LOGIN_IP : PTL_RL_IP,
	    req->ip, req->now_ms, &why.retry_after_s);
	if (e == PTL_ERR_RATE_LIMITED)
		(void)ptl_page_refusal(pg, e, &why);
	return e;
}

/* A POST: its body, its Origin and its token (API.md §10.10). */
static enum ptl_err
form_checks(struct ptl_page *pg, bool had_secret)
{
	struct ptl_req *req = pg->req;
	const char *msg = NULL;
	enum ptl_err e;

	e = ptl_req_read_body(req, pg->t, &msg);
	if (e != PTL_OK)
		return e;
	if (!req->form)
		return PTL_ERR_BAD_REQUEST;
	e = ptl_form_csrf_self(req);
	if (e == PTL_OK)
		e = csrf_check(pg, had_secret);
	return e;
}

/* The sign-in page, coming back to the page asked for. */
static void
to_signin(struct ptl_page *pg, const char *name)
{
	struct ptl_buf b;

	ptl_buf_init(&b, pg->req->arena, 128, 2048);
	ptl_buf_adds(&b, pg->req->app->cfg.pages_base);
	ptl_buf_adds(&b, "signin?redirect=");
	ptl_buf_urlencode(&b, pg->req->app->cfg.pages_base,
			  strlen(pg->req->app->cfg.pages_base));
	ptl_buf_urlencode(&b, name, strlen(name));
	pg->location = b.data;
}

/* The template of a route: its name with '-' for '/' ("me/delete" is
 * me-delete.html). */
static const char *
view_of(struct ptl_page *pg, const char *name)
{
	char *v = ptl_mem_strdup(pg->req->arena, name), *p;

	for (p = v; *p != '\0'; p++) {
		if (*p == '/')
			*p = '-';
	}
	return v;
}

static enum ptl_err
run(struct ptl_page *pg)
{
	const struct ptl_page_route *r;
	const char *name = page_name(pg);
	bool post, had;
	enum ptl_err e;

	if (name == NULL)
		return PTL_ERR_NO_ROUTE;
	if (*name == '\0') {
		ptl_page_redirect(pg, pg->site->home, NULL);
		return PTL_OK;
	}
	r = find_route(pg, name);
	if (r == NULL)
		return PTL_ERR_NO_ROUTE;
	post = strcmp(r->method, "POST") == 0;
	csrf_prepare(pg, &had);
	if (post) {
		e = form_checks(pg, had);
		if (e != PTL_OK)
			return e;
	}
	if (pg->req->app->db == NULL)
		return PTL_ERR_UNAVAILABLE;
	pg->view = view_of(pg, r->name);
	if (post) {
		e = limit(pg, r);
		if (e == PTL_ERR_RATE_LIMITED)
			return PTL_OK;
		if (e != PTL_OK)
			return e;
	}
	if (r->flags & PTL_PAGE_USER) {
		e = signed_in(pg);
		if (e == PTL_ERR_UNAUTHORIZED) {
			to_signin(pg, name);
			return PTL_OK;
		}
		if (e != PTL_OK)
			return e;
	}
	return r->handle(pg);
}

/* --- the answer ----------------------------------------------------------- */

/* FRONTEND_DOMAIN when it is a plain origin a CSP source can name (a
 * sign-in may go on to it, and form-action covers the redirects of a form
 * post), else NULL. */
static const char *
frontend_source(const struct ptl_cfg *cfg)
{
	const char *f = cfg->frontend_domain;

	if (f == NULL || strncmp(f, "http://", 7) != 0 || strlen(f) > 200 ||
	    strspn(f,
		   "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/.-[]") != strlen(f))
		return NULL;
	return f;
}

/* The headers of every page (API.md §9.2, with the pages' own CSP). */
static void
page_headers(const struct ptl_cfg *cfg, struct ptl_buf *h)
{
	const char *front = frontend_source(cfg);

	ptl_buf_addf(h,
		     "Content-Security-Policy: default-src 'none'; "
		     "style-src 'self'; img-src 'self' https: data:; "
		     "form-action 'self' https:%s%s; base-uri 'none'; "
		     "frame-ancestors 'none'\r\n",
		     front != NULL ? " " : "", front != NULL ? front : "");
	ptl_buf_adds(h, "Cross-Origin-Opener-Policy: same-origin\r\n"
			"Cross-Origin-Resource-Policy: same-origin\r\n"
			"Origin-Agent-Cluster: ?1\r\n"
			"Referrer-Policy: same-origin\r\n"
			"Strict-Transport-Security: max-age=31536000; "
			"includeSubDomains\r\n"
			"X-Content-Type-Options: nosniff\r\n"
			"X-DNS-Prefetch-Control: off\r\n"
			"X-Frame-Options: DENY\r\n"
			"X-Permitted-Cross-Domain-Policies: none\r\n");
}

static void
common_values(struct ptl_page *pg)
{
	const struct ptl_cfg *cfg = &pg->req->app->cfg;
	struct ptl_tmpl_scope *s = pg->scope;
	const char *done = ptl_page_field(pg, "done");

	ptl_tmpl_set(s, "app_name", cfg->app_name);
	ptl_tmpl_set(s, "logo_url", cfg->pages_logo_url);
	ptl_tmpl_set(s, "base", cfg->pages_base);
	/* The language of the words: the page's, or the fallback's when
	 * the page's has no pages.json ("lang" of each file). */
	ptl_tmpl_set(s, "lang", words_or(pg, "lang", NULL));
	ptl_tmpl_set(s, "csrf", pg->csrf);
	ptl_tmpl_set(s, "csrf_field", PTL_PAGE_CSRF_FIELD);
	if (pg->user != NULL) {
		ptl_tmpl_set_bool(s, "signed_in", true);
		ptl_tmpl_set(s, "user_email", pg->user->email);
	}
	/* A notice after a redirect: only the words of a known key. */
	if (done != NULL && strlen(done) < 64 && pg->nerrors == 0 &&
	    strcmp(pg->req->method, "POST") != 0) {
		const char *w = ptl_page_words(
		    pg, ptl_mem_printf(pg->req->arena, "done.%s", done));

		if (w != NULL)
			ptl_tmpl_set(s, "notice", w);
	}
}

/* The page of an error the checks or a handler ended with. */
static void
error_page(struct ptl_page *pg, enum ptl_err e)
{
	struct ptl_arena *a = pg->req->arena;
	int status = ptl_err_info(e)->status;

	pg->status = e == PTL_ERR_NO_ROUTE ? 404 : status;
	pg->view = "error";
	pg->location = NULL;
	ptl_tmpl_set(pg->scope, "error_title",
		     words_or(pg,
			      ptl_mem_printf(a, "http.%d.title", pg->status),
			      "http.500.title"));
	ptl_tmpl_set(pg->scope, "error_text",
		     words_or(pg, ptl_mem_printf(a, "http.%d.text", pg->status),
			      "http.500.text"));
}

/* The page in its layout into body; false (logged) when a template
 * fails. */
static bool
render(struct ptl_page *pg, struct ptl_buf *body)
{
	const struct ptl_tmpl_loader ld = {find_template, pg};
	struct ptl_tmpl_html content;
	struct ptl_buf inner;
	const char *src;
	size_t len = 0;

	common_values(pg);
	/* The layout around it is small: the longest device list fits. */
	ptl_buf_init(&inner, pg->req->arena, 4096,
		     PTL_RESP_BODY_MAX - 32 * 1024);
	src = find_template(pg, pg->view, &len);
	if (src == NULL) {
		PTL_LOG_ERR("pages: no template %s", pg->view);
		return false;
	}
	if (ptl_tmpl_render(pg->view, src, len, pg->scope, &ld, &inner) !=
	    PTL_OK)
		return false;
	content.s = inner.data;
	content.len = inner.len;
	ptl_tmpl_set_html(pg->scope, "content", &content);
	ptl_tmpl_set(pg->scope, "view", pg->view);
	ptl_tmpl_set(
	    pg->scope, "title",
	    words_or(pg, ptl_mem_printf(pg->req->arena, "titles.%s", pg->view),
		     "titles.error"));
	src = find_template(pg, "layout", &len);
	if (src == NULL) {
		PTL_LOG_ERR("pages: no template layout");
		return false;
	}
	return ptl_tmpl_render("layout", src, len, pg->scope, &ld, body) ==
	       PTL_OK;
}

/* The reason phrases of the statuses a page answers (RFC 9110 §15). */
static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 413:
		return "Payload Too Large";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	default:
		return status < 500 ? "Client Error" : "Internal Server Error";
	}
}

static void
write_answer(struct ptl_page *pg, int status, const char *type,
	     const char *cache, const struct ptl_buf *body)
{
	struct ptl_req *req = pg->req;
	struct ptl_buf out;

	ptl_buf_init(&out, req->arena, 2048 + (body ? body->len : 0),
		     PTL_RESP_HEAD_MAX + PTL_RESP_BODY_MAX);
	ptl_buf_addf(&out, "Status: %d %s\r\n", status, reason(status));
	if (pg->location != NULL && status == 303)
		ptl_buf_addf(&out, "Location: %s\r\n", pg->location);
	if (type != NULL)
		ptl_buf_addf(&out, "Content-Type: %s\r\n", type);
	ptl_buf_addf(&out, "Content-Length: %zu\r\n", body ? body->len : 0);
	page_headers(&req->app->cfg, &out);
	ptl_buf_addf(&out, "Cache-Control: %s\r\n", cache);
	if (strcmp(cache, "no-store") == 0)
		ptl_buf_adds(&out, "Pragma: no-cache\r\n");
	ptl_buf_addf(&out, "X-Request-Id: %s\r\n", req->id);
	if (status == 429 && pg->resp.retry_after_s > 0)
		ptl_buf_addf(&out, "Retry-After: %d\r\n",
			     pg->resp.retry_after_s);
	else if (status == 503)
		ptl_buf_addf(&out, "Retry-After: %d\r\n", PTL_RESP_RETRY_503_S);
	ptl_form_token_cookies(req, &pg->resp);
	if (!pg->resp.headers.overflow)
		ptl_buf_add(&out, pg->resp.headers.data, pg->resp.headers.len);
	ptl_buf_adds(&out, "\r\n");
	if (body != NULL && !req->head)
		ptl_buf_add(&out, body->data, body->len);
	if (out.overflow) {
		static const char fixed[] =
		    "Status: 500 Internal Server Error\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Cache-Control: no-store\r\n\r\nInternal server error\n";

		PTL_LOG_ERR("pages: the answer passed its cap");
		pg->t->write(pg->t->ctx, fixed, sizeof(fixed) - 1);
		return;
	}
	pg->t->write(pg->t->ctx, out.data, out.len);
}

static void
answer(struct ptl_page *pg, enum ptl_err e)
{
	struct ptl_buf body;

	if (e != PTL_OK)
		error_page(pg, e);
	if (pg->location != NULL) {
		write_answer(pg, 303, NULL, "no-store", NULL);
		return;
	}
	ptl_buf_init(&body, pg->req->arena, 8192, PTL_RESP_BODY_MAX);
	if (!render(pg, &body)) {
		static const char text[] = "<!doctype html><title>Error</title>"
					   "<p>Internal server error</p>\n";

		body.len = 0;
		body.overflow = false;
		ptl_buf_adds(&body, text);
		pg->status = 500;
	}
	if (pg->status >= 500)
		PTL_LOG_ERR(
		    "%s %.*s answered %d", pg->req->method,
		    (int)(pg->req->path_len > 200 ? 200 : pg->req->path_len),
		    pg->req->path, pg->status);
	write_answer(pg, pg->status, "text/html; charset=utf-8", "no-store",
		     &body);
}

/* GET <base>style.css: the stylesheet, cached for a day (it holds
 * nothing of the user). */
static bool
stylesheet(struct ptl_page *pg)
{
	struct ptl_buf body;
	const char *name = page_name(pg);
	char *css;
	size_t len = 0;

	if (name == NULL || strcmp(name, "style.css") != 0 ||
	    (strcmp(pg->req->method, "GET") != 0 && !pg->req->head))
		return false;
	css = theme_file(pg, "static", "style.css", CSS_MAX, &len);
	if (css == NULL)
		return false;
	body.data = css;
	body.len = len;
	body.overflow = false;
	write_answer(pg, 200, "text/css; charset=utf-8",
		     "public, max-age=86400", &body);
	return true;
}

static const char *
lang_of(struct ptl_page *pg)
{
	const struct ptl_i18n *t = pg->req->app->i18n;

	if (t == NULL)
		return "en";
	return ptl_i18n_pick(
	    t, pg->t->param(pg->t->ctx, pg->req->app->cfg.header_language_var),
	    pg->t->param(pg->t->ctx, "HTTP_ACCEPT_LANGUAGE"));
}

void
ptl_page_serve(struct ptl_app *app, const struct ptl_page_site *site,
	       struct ptl_transport *t, struct ptl_arena *a)
{
	static const struct ptl_tmpl_texts texts = {"t.", words_fn, NULL};
	struct ptl_tmpl_texts *tx;
	struct ptl_req req;
	struct ptl_page pg;
	enum ptl_err e;

	memset(&req, 0, sizeof(req));
	memset(&pg, 0, sizeof(pg));
	req.arena = a;
	req.app = app;
	ptl_req_read(&req, t);
	ptl_log_set_request(req.id);
	pg.req = &req;
	pg.t = t;
	pg.site = site;
	pg.status = 200;
	ptl_resp_init(&pg.resp, a);
	if (req.server_status != 0) {
		ptl_resp_write_server_error(&req, &pg.resp, t);
		ptl_log_set_request(NULL);
		return;
	}
	pg.scope = ptl_tmpl_scope_new(a, NULL);
	tx = ptl_mem_alloc(a, sizeof(*tx));
	*tx = texts;
	tx->ctx = &pg;
	ptl_tmpl_set_texts(pg.scope, tx);
	pg.lang = lang_of(&pg);
	if (stylesheet(&pg)) {
		ptl_log_set_request(NULL);
		return;
	}
	ptl_audit_set_origin(app, req.ip, req.user_agent);
	e = run(&pg);
	if (app->db != NULL)
		ptl_db_rollback(app->db);
	answer(&pg, e);
	ptl_audit_set_origin(app, NULL, NULL);
	ptl_log_set_request(NULL);
}

/* --- the accept loop ------------------------------------------------------ */

static void
serve_site(struct ptl_app *app, const void *ctx, struct ptl_transport *t,
	   struct ptl_arena *a)
{
	ptl_page_serve(app, ctx, t, a);
}

int
ptl_page_main(const struct ptl_page_site *site)
{
	return ptl_endpoint_loop(site->name, serve_site, site);
}
