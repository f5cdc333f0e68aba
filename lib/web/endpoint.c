/* SPDX-License-Identifier: ISC */
/*
 * endpoint: see endpoint.h. Order of work for one request: method and path
 * (404 before anything is read), size limit (413 before allocating), body
 * decoding (400), field validation (422), authentication (401), handler.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/str.h"
#include "domain/account.h"
#include "adapters/crypto.h"
#include "web/endpoint.h"
#include "web/form.h"
#include "adapters/json.h"
#include "base/log.h"
#include "domain/ratelimit.h"
#include "domain/session.h"
#include "domain/token.h"
#include "base/email.h"
#include "base/utf8.h"

#define AUTH_HEADER_MAX 8192
#define FIELD_MAX_BYTES 1024
#define RESP_MAX (1024 * 1024)

static const char *
param(struct ptl_transport *t, const char *name)
{
	return t->param(t->ctx, name);
}

void
ptl_resp_error(struct ptl_resp *resp, const char *field, const char *msg)
{
	size_t i;

	for (i = 0; i < resp->nerrors; i++) {
		if (strcmp(resp->errors[i].field, field) == 0) {
			resp->errors[i].msg = ptl_mem_printf(
				resp->body.arena, "%s, %s", resp->errors[i].msg,
				msg);
			return;
		}
	}
	PTL_ASSERT(resp->nerrors < PTL_RESP_MAX_ERRORS);
	resp->errors[resp->nerrors].field = field;
	resp->errors[resp->nerrors].msg = msg;
	resp->nerrors++;
}

const char *
ptl_req_query(struct ptl_req *req, const char *name)
{
	const char *p = req->query;
	size_t nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);

		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			char *out = ptl_mem_alloc(req->arena, len - nlen);
			size_t n = ptl_str_urldecode(p + nlen + 1, len - nlen - 1,
						     out);

			return n == SIZE_MAX ? NULL : out;
		}
		if (len == nlen && strncmp(p, name, nlen) == 0)
			return "";
		p = amp != NULL ? amp + 1 : NULL;
	}
	return NULL;
}

/* --- the request ------------------------------------------------------- */

/* The client address: REMOTE_ADDR, or the right-most X-Forwarded-For hop
 * that is not a trusted proxy when REMOTE_ADDR is one (API.md §10.7). */
static const char *
client_ip(struct ptl_req *req, struct ptl_transport *t)
{
	const char *ip = param(t, "REMOTE_ADDR");
	const char *xff = param(t, "HTTP_X_FORWARDED_FOR");
	const char *list = req->app->cfg.trusted_proxies;
	char *copy, *end;

	if (ip == NULL)
		return "-";
	if (xff == NULL || !ptl_cfg_list_has(list, ip, strlen(ip)) ||
	    strlen(xff) > 1024)
		return ip;
	copy = ptl_mem_strdup(req->arena, xff);
	end = copy + strlen(copy);
	while (end > copy) {
		char *comma = end;
		char *b;

		while (comma > copy && comma[-1] != ',')
			comma--;
		b = comma;
		while (*b == ' ')
			b++;
		*end = '\0';
		while (end > b && end[-1] == ' ')
			*--end = '\0';
		if (*b != '\0' && !ptl_cfg_list_has(list, b, strlen(b)))
			return b;
		end = comma > copy ? comma - 1 : copy;
	}
	return ip;
}

static void
read_meta(struct ptl_req *req, struct ptl_transport *t)
{
	static unsigned char raw[8];
	static uint32_t count;
	const char *uri = param(t, "REQUEST_URI");
	const char *q;

	/* Request ids: a random process prefix and a counter (no syscall per
	 * request; unique enough to find one request in the logs). */
	if (count == 0)
		ptl_crypto_random(raw, 4);
	count++;
	raw[4] = (unsigned char)(count >> 24);
	raw[5] = (unsigned char)(count >> 16);
	raw[6] = (unsigned char)(count >> 8);
	raw[7] = (unsigned char)count;
	ptl_str_hex(req->id, raw, sizeof(raw));
	req->now_ms = ptl_app_now_ms(req->app);
	req->method = param(t, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	if (uri == NULL)
		uri = param(t, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "/";
	q = strchr(uri, '?');
	req->path = uri;
	req->path_len = q != NULL ? (size_t)(q - uri) : strlen(uri);
	req->query = param(t, "QUERY_STRING");
	if (req->query == NULL)
		req->query = "";
	req->user_agent = param(t, "HTTP_USER_AGENT");
	req->origin = param(t, "HTTP_ORIGIN");
	req->content_type = param(t, "CONTENT_TYPE");
	req->cookies = param(t, "HTTP_COOKIE");
	req->accept = param(t, "HTTP_ACCEPT");
	req->referer = param(t, "HTTP_REFERER");
	req->host = param(t, "HTTP_HOST");
	req->ip = client_ip(req, t);
}

/* Reads and drops up to 1 MiB of a refused body in a small buffer: under
 * Apache's mod_cgid, closing a pipe with the body unread can lose the
 * answer. Beyond that, the connection is the server's to close. */
static void
drain(struct ptl_transport *t, int64_t len)
{
	char sink[4096];
	int64_t left = len < (1 << 20) ? len : (1 << 20);

	while (left > 0) {
		size_t n = t->read(t->ctx, sink, left < (int64_t)sizeof(sink)
							 ? (size_t)left
							 : sizeof(sink));

		if (n == 0)
			break;
		left -= (int64_t)n;
	}
}

/* Reads exactly CONTENT_LENGTH bytes, refusing more than body_max before
 * allocating anything. */
static enum ptl_err
read_body(struct ptl_req *req, struct ptl_transport *t)
{
	const char *cl = param(t, "CONTENT_LENGTH");
	int64_t len = 0;
	size_t got = 0;
	char *buf;

	if (cl == NULL || *cl == '\0')
		return PTL_OK;
	if (!ptl_str_to_i64(cl, strlen(cl), 0, INT64_MAX, &len))
		return PTL_ERR_BAD_REQUEST;
	if ((uint64_t)len > req->app->cfg.body_max) {
		drain(t, len);
		return PTL_ERR_TOO_LARGE;
	}
	buf = ptl_mem_alloc(req->arena, (size_t)len + 1);
	while (got < (size_t)len) {
		size_t n = t->read(t->ctx, buf + got, (size_t)len - got);

		if (n == 0)
			break;
		got += n;
	}
	if (got != (size_t)len)
		return PTL_ERR_BAD_REQUEST;
	buf[got] = '\0';
	req->body = buf;
	req->body_len = got;
	return PTL_OK;
}

static bool
media_is(const char *ct, const char *type)
{
	size_t n = strlen(type), i = 0;

	if (ct == NULL)
		return false;
	while (ct[i] != '\0' && ct[i] != ';' && ct[i] != ' ')
		i++;
	return ptl_str_ieq(ct, i, type) && n == i;
}

static enum ptl_err
parse_body(struct ptl_req *req, struct ptl_resp *resp)
{
	enum ptl_err e = PTL_OK;

	req->form = media_is(req->content_type,
			     "application/x-www-form-urlencoded");
	if (req->body_len == 0)
		return PTL_OK;
	if (media_is(req->content_type, "application/json"))
		e = ptl_json_parse(req->arena, req->body, req->body_len,
				   &req->json, &resp->message);
	else if (req->form)
		e = ptl_json_from_form(req->arena, req->body, req->body_len,
				       &req->json);
	if (e == PTL_ERR_BAD_REQUEST && resp->message == NULL)
		resp->message = "Malformed form body";
	return e;
}

/* --- routing ----------------------------------------------------------- */

/* Path match, case-insensitive, one optional trailing slash (Express's
 * non-strict routing). A "{id}" segment matches one non-empty segment. */
static bool
path_match(struct ptl_req *req, const char *pattern)
{
	const char *p = req->path, *brace = strstr(pattern, "{");
	size_t len = req->path_len, plen;

	if (len > 1 && p[len - 1] == '/')
		len--;
	if (brace == NULL)
		return ptl_str_ieq(p, len, pattern);
	plen = (size_t)(brace - pattern);
	if (len <= plen || strncasecmp(p, pattern, plen) != 0 ||
	    memchr(p + plen, '/', len - plen) != NULL)
		return false;
	req->param = ptl_mem_strndup(req->arena, p + plen, len - plen);
	return true;
}

static const struct ptl_route *
route(struct ptl_req *req, const struct ptl_endpoint *ep)
{
	const char *m = req->head ? "GET" : req->method;
	size_t i;

	for (i = 0; i < ep->nroutes; i++) {
		if (strcmp(ep->routes[i].method, m) == 0 &&
		    path_match(req, ep->routes[i].path))
			return &ep->routes[i];
	}
	return NULL;
}

/* --- validation (API.md §0.1) ----------------------------------------- */

static void
check_rule(struct ptl_req *req, struct ptl_resp *resp,
	   const struct ptl_field *f, enum ptl_rule rule,
	   const struct ptl_value *v, enum ptl_json_type type)
{
	const struct ptl_cfg *cfg = &req->app->cfg;
	struct ptl_arena *a = req->arena;

	switch (rule) {
	case PTL_RULE_NOT_EMPTY:
		if (type == PTL_JSON_ABSENT || type == PTL_JSON_NULL ||
		    (v->s != NULL && v->len == 0))
			ptl_resp_error(resp, f->name,
				       f->custom_msg != NULL
					       ? f->custom_msg
					       : ptl_mem_printf(a, "%s should not be empty",
								f->name));
		break;
	case PTL_RULE_EMAIL:
		if (type != PTL_JSON_STRING || !ptl_email_valid(v->s, v->len))
			ptl_resp_error(resp, f->name,
				       ptl_mem_printf(a, "%s must be an email",
						      f->name));
		break;
	case PTL_RULE_PASSWORD:
		if (type != PTL_JSON_STRING ||
		    ptl_utf8_length(v->s, v->len) < cfg->password_min_len)
			ptl_resp_error(resp, f->name,
				       ptl_mem_printf(a, "%s must be longer than or "
						      "equal to %zu characters",
						      f->name,
						      cfg->password_min_len));
		else if (v->len > cfg->password_max_len)
			ptl_resp_error(resp, f->name,
				       ptl_mem_printf(a, "%s must be shorter than "
						      "or equal to %zu characters",
						      f->name,
						      cfg->password_max_len));
		break;
	case PTL_RULE_END:
		break;
	}
}

/* Reads one field into v as text, normalising emails. */
static enum ptl_json_type
field_value(struct ptl_req *req, const struct ptl_field *f,
	    struct ptl_value *v)
{
	const struct ptl_json *j = ptl_json_get(req->json, f->name);
	enum ptl_json_type type = ptl_json_type(j);

	memset(v, 0, sizeof(*v));
	if (type == PTL_JSON_STRING) {
		v->s = ptl_json_str(j, &v->len);
	} else if (type == PTL_JSON_NUMBER && (f->flags & PTL_FIELD_NUMBER)) {
		v->s = ptl_json_num_text(req->arena, j);
		v->len = strlen(v->s);
	}
	if (v->s != NULL && (f->flags & PTL_FIELD_TRIM)) {
		/* Links copied out of mails come with line ends (API.md §4.0). */
		while (v->len > 0 && strchr(" \t\r\n", v->s[0]) != NULL) {
			v->s++;
			v->len--;
		}
		while (v->len > 0 && strchr(" \t\r\n", v->s[v->len - 1]) != NULL)
			v->len--;
		v->s = ptl_mem_strndup(req->arena, v->s, v->len);
	}
	if (v->s != NULL && (f->flags & PTL_FIELD_EMAIL)) {
		char *out = ptl_mem_alloc(req->arena, v->len + 1);

		v->len = ptl_email_normalise(v->s, v->len, out,
						      v->len + 1);
		v->s = out;
	}
	v->present = type != PTL_JSON_ABSENT && type != PTL_JSON_NULL;
	return type;
}

/* EMAIL and PASSWORD already refuse every non-string. */
static bool
has_rule(const struct ptl_field *f, enum ptl_rule rule)
{
	size_t i;

	for (i = 0; i < 3 && f->rules[i] != PTL_RULE_END; i++) {
		if (f->rules[i] == rule)
			return true;
	}
	return false;
}

static void
validate_field(struct ptl_req *req, struct ptl_resp *resp,
	       const struct ptl_field *f, struct ptl_value *v)
{
	enum ptl_json_type type = field_value(req, f, v);
	size_t i;

	if (f->flags & PTL_FIELD_ANY)
		return;
	if ((f->flags & PTL_FIELD_OPTIONAL) &&
	    (type == PTL_JSON_ABSENT || type == PTL_JSON_NULL))
		return;
	for (i = 0; i < 3 && f->rules[i] != PTL_RULE_END; i++)
		check_rule(req, resp, f, f->rules[i], v, type);
	/* Anything that is still not text would reach the database as text:
	 * refuse it here (API.md §10.13). */
	if (v->present && v->s == NULL && !has_rule(f, PTL_RULE_EMAIL) &&
	    !has_rule(f, PTL_RULE_PASSWORD))
		ptl_resp_error(resp, f->name,
			       ptl_mem_printf(req->arena, "%s must be a string",
					      f->name));
	else if (v->s != NULL && v->len > FIELD_MAX_BYTES &&
		 !has_rule(f, PTL_RULE_PASSWORD))
		ptl_resp_error(resp, f->name,
			       ptl_mem_printf(req->arena, "%s must be shorter "
					      "than or equal to %d characters",
					      f->name, FIELD_MAX_BYTES));
}

static enum ptl_err
validate(struct ptl_req *req, struct ptl_resp *resp, const struct ptl_route *r)
{
	size_t i;

	req->vals = ptl_mem_zalloc(req->arena,
				   sizeof(*req->vals) * (r->nfields + 1));
	for (i = 0; i < r->nfields; i++)
		validate_field(req, resp, &r->fields[i], &req->vals[i]);
	return resp->nerrors > 0 ? PTL_ERR_VALIDATION : PTL_OK;
}

/* --- authentication ---------------------------------------------------- */

/* The Authorization header; behind Apache's RewriteRule fallback for
 * servers without CGIPassAuth it arrives as REDIRECT_HTTP_AUTHORIZATION. */
static const char *
authorization(struct ptl_transport *t)
{
	const char *h = param(t, "HTTP_AUTHORIZATION");

	return h != NULL ? h : param(t, "REDIRECT_HTTP_AUTHORIZATION");
}

/* "Bearer <token>": scheme case-insensitive, any run of spaces. */
static const char *
bearer(struct ptl_req *req, struct ptl_transport *t)
{
	const char *h = authorization(t);
	size_t len;

	if (h == NULL)
		return NULL;
	len = strlen(h);
	if (len > AUTH_HEADER_MAX || len < 8 || !ptl_str_ieq(h, 6, "bearer") ||
	    h[6] != ' ')
		return NULL;
	h += 6;
	while (*h == ' ')
		h++;
	len = strlen(h);
	while (len > 0 && h[len - 1] == ' ')
		len--;
	return len > 0 ? ptl_mem_strndup(req->arena, h, len) : NULL;
}

static enum ptl_err
authenticate(struct ptl_req *req, const struct ptl_route *r)
{
	struct ptl_access acc;
	enum ptl_err e;

	if (r->auth == PTL_AUTH_NONE)
		return PTL_OK;
	if (req->bearer == NULL)
		return PTL_ERR_UNAUTHORIZED;
	if (r->auth == PTL_AUTH_REFRESH)
		return PTL_OK;
	e = ptl_token_access_verify(req->arena, req->app, req->bearer,
				    req->now_ms, &acc);
	if (e != PTL_OK)
		return e;
	if (req->app->cfg.session_check) {
		/* The session and its user in one query (API.md §10.3). */
		req->user = ptl_mem_alloc(req->arena, sizeof(*req->user));
		e = ptl_account_get_by_session(req->arena, req->app,
					       acc.session_id, acc.user_id,
					       req->now_ms, req->user);
		if (e == PTL_ERR_NOT_FOUND)
			return PTL_ERR_UNAUTHORIZED;
		if (e != PTL_OK)
			return e;
	}
	req->user_id = acc.user_id;
	req->session_id = acc.session_id;
	return PTL_OK;
}

/* --- the response ------------------------------------------------------ */

static void
security_headers(struct ptl_buf *h)
{
	/* helmet 8 defaults with CSP off (API.md §9.2). */
	ptl_buf_adds(h, "Cross-Origin-Opener-Policy: same-origin\r\n"
			"Cross-Origin-Resource-Policy: cross-origin\r\n"
			"Origin-Agent-Cluster: ?1\r\n"
			"Referrer-Policy: no-referrer\r\n"
			"Strict-Transport-Security: max-age=31536000; "
			"includeSubDomains\r\n"
			"X-Content-Type-Options: nosniff\r\n"
			"X-DNS-Prefetch-Control: off\r\n"
			"X-Download-Options: noopen\r\n"
			"X-Frame-Options: SAMEORIGIN\r\n"
			"X-Permitted-Cross-Domain-Policies: none\r\n"
			"X-XSS-Protection: 0\r\n");
}

/* Origin a listed one (or any, with "*"); header values never carry CR/LF
 * because the CGI variables cannot. */
static void
cors_headers(struct ptl_req *req, struct ptl_buf *h, bool preflight,
	     const char *acrh)
{
	const char *list = req->app->cfg.cors_origins;
	bool any = strcmp(list, "*") == 0;

	if (any) {
		ptl_buf_adds(h, "Access-Control-Allow-Origin: *\r\n");
	} else if (req->origin != NULL &&
		   ptl_cfg_list_has(list, req->origin, strlen(req->origin))) {
		ptl_buf_addf(h, "Access-Control-Allow-Origin: %s\r\n",
			     req->origin);
	}
	if (preflight) {
		ptl_buf_adds(h, "Access-Control-Allow-Methods: "
				"GET,HEAD,PUT,PATCH,POST,DELETE\r\n");
		if (acrh != NULL && strlen(acrh) < 2048 &&
		    strpbrk(acrh, "\r\n") == NULL)
			ptl_buf_addf(h, "Access-Control-Allow-Headers: %s\r\n",
				     acrh);
		ptl_buf_adds(h, any ? "Vary: Access-Control-Request-Headers\r\n"
				    : "Vary: Origin, Access-Control-Request-Headers\r\n");
	} else if (!any) {
		ptl_buf_adds(h, "Vary: Origin\r\n");
	}
}

static void
error_body(struct ptl_req *req, struct ptl_resp *resp, enum ptl_err e,
	   struct ptl_buf *b)
{
	size_t i;

	switch (e) {
	case PTL_ERR_VALIDATION:
		ptl_buf_adds(b, "{\"status\":422,\"errors\":{");
		for (i = 0; i < resp->nerrors; i++) {
			if (i > 0)
				ptl_buf_addc(b, ',');
			ptl_buf_json_strz(b, resp->errors[i].field);
			ptl_buf_addc(b, ':');
			ptl_buf_json_strz(b, resp->errors[i].msg);
		}
		ptl_buf_adds(b, "}}");
		break;
	case PTL_ERR_UNAUTHORIZED:
		ptl_buf_adds(b, "{\"message\":\"Unauthorized\",\"statusCode\":401}");
		break;
	case PTL_ERR_NOT_FOUND:
		ptl_buf_adds(b, "{\"status\":404,\"error\":\"notFound\"}");
		break;
	case PTL_ERR_NO_ROUTE:
		ptl_buf_adds(b, "{\"message\":");
		{
			char *m = ptl_mem_printf(req->arena, "Cannot %s %.*s",
						 req->method, (int)req->path_len,
						 req->path);
			ptl_buf_json_strz(b, m);
		}
		ptl_buf_adds(b, ",\"error\":\"Not Found\",\"statusCode\":404}");
		break;
	case PTL_ERR_BAD_JSON:
	case PTL_ERR_BAD_REQUEST:
		ptl_buf_adds(b, "{\"message\":");
		ptl_buf_json_strz(b, resp->message != NULL ? resp->message
							   : "Bad Request");
		ptl_buf_adds(b, ",\"error\":\"Bad Request\",\"statusCode\":400}");
		break;
	case PTL_ERR_TOO_LARGE:
		ptl_buf_adds(b, "{\"statusCode\":413,\"message\":\"request entity "
				"too large\"}");
		break;
	case PTL_ERR_FORBIDDEN:
		ptl_buf_adds(b, "{\"message\":\"Forbidden resource\",\"error\":"
				"\"Forbidden\",\"statusCode\":403}");
		break;
	case PTL_ERR_RATE_LIMITED:
		ptl_buf_adds(b, "{\"statusCode\":429,\"message\":\"Too Many "
				"Requests\"}");
		break;
	case PTL_ERR_UNAVAILABLE:
	case PTL_ERR_BUSY:
		ptl_buf_adds(b, "{\"statusCode\":503,\"message\":\"Service "
				"Unavailable\"}");
		break;
	default:
		ptl_buf_adds(b, "{\"statusCode\":500,\"message\":\"Internal "
				"server error\"}");
		break;
	}
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static void
respond(struct ptl_req *req, struct ptl_resp *resp, struct ptl_transport *t,
	enum ptl_err e, bool preflight, const char *acrh)
{
	struct ptl_buf out, err;
	const struct ptl_buf *body = &resp->body;
	int status;

	if (preflight) {
		status = 204;
	} else if (e == PTL_OK) {
		status = resp->status != 0 ? resp->status : 200;
	} else {
		status = ptl_err_info(e)->status;
		ptl_buf_init(&err, req->arena, 128, 64 * 1024);
		error_body(req, resp, e, &err);
		body = &err;
	}
	if (status == 204 || body->overflow)
		body = NULL;
	if (status >= 500)
		PTL_LOG_ERR("%s %.*s answered %d (%s)", req->method,
			    (int)(req->path_len > 200 ? 200 : req->path_len),
			    req->path, status, ptl_err_info(e)->code);
	ptl_buf_init(&out, req->arena, 1024, RESP_MAX);
	if (req->browser && !preflight) {
		/* A browser form post: 303 and cookies (API.md §10.10). */
		ptl_form_respond(req, resp, e, &out);
		body = NULL;
	} else {
		ptl_buf_adds(&out, "Status: ");
		ptl_buf_addi(&out, status);
		ptl_buf_addc(&out, ' ');
		ptl_buf_adds(&out, reason(status));
		ptl_buf_adds(&out, "\r\n");
	}
	if (body != NULL)
		ptl_buf_adds(&out, "Content-Type: application/json; charset=utf-8\r\n");
	ptl_buf_adds(&out, "Content-Length: ");
	ptl_buf_addi(&out, body != NULL ? (long long)body->len : 0);
	ptl_buf_adds(&out, "\r\n");
	security_headers(&out);
	cors_headers(req, &out, preflight, acrh);
	if (!preflight)
		ptl_buf_adds(&out, "Cache-Control: no-store\r\nPragma: no-cache\r\n");
	if (e == PTL_ERR_RATE_LIMITED && resp->retry_after_s > 0)
		ptl_buf_addf(&out, "Retry-After: %d\r\n", resp->retry_after_s);
	ptl_buf_adds(&out, "X-Request-Id: ");
	ptl_buf_adds(&out, req->id);
	ptl_buf_adds(&out, "\r\n");
	if (resp->headers.len > 0)
		ptl_buf_add(&out, resp->headers.data, resp->headers.len);
	ptl_buf_adds(&out, "\r\n");
	if (body != NULL && !req->head)
		ptl_buf_add(&out, body->data, body->len);
	PTL_ASSERT(!out.overflow);
	t->write(t->ctx, out.data, out.len);
}

/* Per-IP limits, counted before any work is done. */
static enum ptl_err
limit(struct ptl_req *req, struct ptl_resp *resp, const struct ptl_route *r)
{
	if (!req->app->cfg.rate_limit || r->bucket == PTL_BUCKET_NONE)
		return PTL_OK;
	return ptl_ratelimit_hit(req->app,
				 r->bucket == PTL_BUCKET_LOGIN ? PTL_RL_LOGIN_IP
							       : PTL_RL_IP,
				 req->ip, req->now_ms, &resp->retry_after_s);
}

/* --- one request ------------------------------------------------------- */

static enum ptl_err
run(struct ptl_req *req, struct ptl_resp *resp, const struct ptl_endpoint *ep,
    struct ptl_transport *t)
{
	const struct ptl_route *r;
	enum ptl_err e;

	r = route(req, ep);
	if (r == NULL)
		return PTL_ERR_NO_ROUTE;
	e = read_body(req, t);
	if (e == PTL_ERR_BAD_REQUEST)
		resp->message = "Request body does not match Content-Length";
	if (e == PTL_OK)
		e = parse_body(req, resp);
	ptl_form_detect(req);
	if (e == PTL_OK && req->form)
		e = ptl_form_csrf(req);
	if (e != PTL_OK)
		return e;
	if (req->app->db == NULL)
		return PTL_ERR_UNAVAILABLE;
	e = limit(req, resp, r);
	if (e != PTL_OK)
		return e;
	if (r->auth != PTL_AUTH_NONE) {
		req->bearer = bearer(req, t);
		if (req->bearer == NULL && authorization(t) == NULL) {
			/* A browser: the token of the cookie (API.md §10.10). */
			req->bearer = ptl_form_cookie(req, r->auth == PTL_AUTH_ACCESS
								   ? PTL_COOKIE_ACCESS
								   : PTL_COOKIE_REFRESH);
			req->cookie_auth = req->bearer != NULL;
		}
		if (req->cookie_auth && !req->form && !req->head &&
		    strcmp(req->method, "GET") != 0) {
			e = ptl_form_csrf(req);
			if (e != PTL_OK)
				return e;
		}
	}
	e = validate(req, resp, r);
	if (e != PTL_OK && r->auth == PTL_AUTH_NONE)
		return e;
	/* Guards run before the validation pipe in NestJS: 401 wins. */
	if (e == PTL_OK || r->auth != PTL_AUTH_NONE) {
		enum ptl_err ae = authenticate(req, r);

		if (ae != PTL_OK)
			return ae;
	}
	if (e != PTL_OK)
		return e;
	return r->handle(req, resp);
}

void
ptl_endpoint_serve(struct ptl_app *app, const struct ptl_endpoint *ep,
		   struct ptl_transport *t, struct ptl_arena *a)
{
	struct ptl_req req;
	struct ptl_resp resp;
	enum ptl_err e;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.arena = a;
	req.app = app;
	read_meta(&req, t);
	ptl_log_set_request(req.id);
	ptl_buf_init(&resp.body, a, 1024, RESP_MAX);
	ptl_buf_init(&resp.headers, a, 64, 16 * 1024);
	if (strcmp(req.method, "OPTIONS") == 0) {
		/* The cors middleware answers every preflight (API.md §9.1). */
		respond(&req, &resp, t, PTL_OK, true,
			param(t, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"));
		ptl_log_set_request(NULL);
		return;
	}
	req.head = strcmp(req.method, "HEAD") == 0;
	e = run(&req, &resp, ep, t);
	if (app->db != NULL)
		ptl_db_rollback(app->db); /* no transaction outlives a request */
	respond(&req, &resp, t, e, false, NULL);
	ptl_log_set_request(NULL);
}

/* --- the accept loop ---------------------------------------------------- */

int
ptl_endpoint_main(const struct ptl_endpoint *ep)
{
	struct ptl_transport t;
	struct ptl_fcgi *conn;
	struct ptl_arena *a;
	struct ptl_app app;
	enum ptl_err e;

	conn = ptl_fcgi_open();
	if (conn == NULL)
		return 1;
	e = ptl_app_init(&app);
	if (e == PTL_ERR_INTERNAL) {
		/* Unusable settings: say so once and stop; the web server's
		 * log shows why. */
		PTL_LOG_ERR("%s: cannot start: configuration is invalid", ep->name);
		return 1;
	}
	if (e != PTL_OK)
		PTL_LOG_ERR("%s: database unavailable; answering 503", ep->name);
	a = ptl_mem_new();
	while (ptl_fcgi_accept(conn, &t)) {
		if (app.db == NULL && app.cfg.database_path != NULL &&
		    ptl_db_open(app.cfg.database_path, app.cfg.busy_timeout_ms,
				&app.db) != PTL_OK)
			app.db = NULL;
		ptl_endpoint_serve(&app, ep, &t, a);
		ptl_fcgi_finish(conn);
		ptl_mem_reset(a);
		if (app.db != NULL)
			ptl_db_maintain(app.db);
	}
	ptl_mem_free(a);
	ptl_app_close(&app);
	return 0;
}
