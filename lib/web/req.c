/* SPDX-License-Identifier: ISC */
/*
 * req: see req.h. Every length is checked before it is allocated: the body
 * against cfg.body_max, Authorization against AUTH_HEADER_MAX, and the
 * X-Forwarded-For list against 1 KiB.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "adapters/crypto.h"
#include "adapters/json.h"
#include "base/cfg.h"
#include "web/req.h"

#define AUTH_HEADER_MAX 8192
#define XFF_MAX 1024
#define DRAIN_MAX (1 << 20)

static const char *
param(struct ptl_transport *t, const char *name)
{
	return t->param(t->ctx, name);
}

/* --- the request line and headers -------------------------------------- */

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
	    strlen(xff) > XFF_MAX)
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

/* Request ids: a random process prefix and a counter (no syscall per
 * request; unique enough to find one request in the logs). */
static void
new_id(char id[17])
{
	static unsigned char raw[8];
	static uint32_t count;

	if (count == 0)
		ptl_crypto_random(raw, 4);
	count++;
	raw[4] = (unsigned char)(count >> 24);
	raw[5] = (unsigned char)(count >> 16);
	raw[6] = (unsigned char)(count >> 8);
	raw[7] = (unsigned char)count;
	ptl_str_hex(id, raw, sizeof(raw));
}

/* REDIRECT_STATUS is the web server's, never a client's (a request header
 * would be HTTP_*): "200" on every normal request under lighttpd and after
 * an Apache rewrite, the status of the error for an error handler. */
static int
server_status(struct ptl_transport *t)
{
	const char *rs = param(t, "REDIRECT_STATUS");
	int64_t v;

	if (rs == NULL || !ptl_str_to_i64(rs, strlen(rs), 400, 599, &v))
		return 0;
	return (int)v;
}

void
ptl_req_read(struct ptl_req *req, struct ptl_transport *t)
{
	const char *uri = param(t, "REQUEST_URI");
	const char *q;

	new_id(req->id);
	req->now_ms = ptl_app_now_ms(req->app);
	req->method = param(t, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	req->head = strcmp(req->method, "HEAD") == 0;
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
	req->acr_headers = param(t, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");
	req->cookies = param(t, "HTTP_COOKIE");
	req->accept = param(t, "HTTP_ACCEPT");
	req->referer = param(t, "HTTP_REFERER");
	req->host = param(t, "HTTP_HOST");
	if (req->app->cfg.header_language_var != NULL)
		req->lang = param(t, req->app->cfg.header_language_var);
	req->accept_language = param(t, "HTTP_ACCEPT_LANGUAGE");
	req->ip = client_ip(req, t);
	req->server_status = server_status(t);
}

/* --- the body ----------------------------------------------------------- */

/* Reads and drops up to 1 MiB of a refused body in a small buffer: under
 * Apache's mod_cgid, closing a pipe with the body unread can lose the
 * answer. Beyond that, the connection is the server's to close. */
static void
drain(struct ptl_transport *t, int64_t len)
{
	char sink[4096];
	int64_t left = len < DRAIN_MAX ? len : DRAIN_MAX;

	while (left > 0) {
		size_t n = t->read(t->ctx, sink,
				   left < (int64_t)sizeof(sink) ? (size_t)left
								: sizeof(sink));

		if (n == 0)
			break;
		left -= (int64_t)n;
	}
}

/* The most body bytes this request may send: a route that takes a file
 * allows a multipart body of the largest file and its framing, every
 * other body has cfg.body_max (API.md §0, §9.11). */
static uint64_t
body_cap(const struct ptl_req *req)
{
	const struct ptl_cfg *cfg = &req->app->cfg;

	if (req->takes_file && ptl_multipart_is(req->content_type))
		return (uint64_t)cfg->upload_max + PTL_REQ_MULTIPART_SLACK;
	return cfg->body_max;
}

/* Reads exactly CONTENT_LENGTH bytes, refusing more than the cap before
 * allocating anything. */
static enum ptl_err
read_exact(struct ptl_req *req, struct ptl_transport *t)
{
	const char *cl = param(t, "CONTENT_LENGTH");
	int64_t len = 0;
	size_t got = 0;
	char *buf;

	if (cl == NULL || *cl == '\0')
		return PTL_OK;
	if (!ptl_str_to_i64(cl, strlen(cl), 0, INT64_MAX, &len))
		return PTL_ERR_BAD_REQUEST;
	if ((uint64_t)len > body_cap(req)) {
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

/* The media type of a Content-Type value is type (RFC 9110 §8.3.1: case
 * does not matter, parameters are ignored). */
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

/* The one part of an upload: "file", with a filename (a file input), at
 * most cfg.upload_max bytes; any other part is multer's "Unexpected
 * field" (API.md §9.11). */
static enum ptl_err
decode_multipart(struct ptl_req *req, const char **message)
{
	struct ptl_multipart_part *parts = ptl_mem_alloc(
	    req->arena, sizeof(*parts) * PTL_MULTIPART_PARTS_MAX);
	size_t n, i;
	enum ptl_err e;

	e = ptl_multipart_parse(req->arena, req->content_type, req->body,
				req->body_len, parts, PTL_MULTIPART_PARTS_MAX,
				&n, message);
	if (e != PTL_OK)
		return e;
	for (i = 0; i < n; i++) {
		if (strcmp(parts[i].name, "file") != 0 ||
		    parts[i].filename == NULL || req->file != NULL) {
			*message = "Unexpected field";
			req->file = NULL;
			return PTL_ERR_BAD_REQUEST;
		}
		req->file = &parts[i];
	}
	if (req->file->len > req->app->cfg.upload_max) {
		*message = "File too large";
		req->file = NULL;
		return PTL_ERR_TOO_LARGE;
	}
	return PTL_OK;
}

static enum ptl_err
decode(struct ptl_req *req, const char **message)
{
	enum ptl_err e = PTL_OK;

	req->form =
	    media_is(req->content_type, "application/x-www-form-urlencoded");
	if (req->takes_file && ptl_multipart_is(req->content_type))
		return decode_multipart(req, message);
	if (req->body_len == 0)
		return PTL_OK;
	if (media_is(req->content_type, "application/json"))
		e = ptl_json_parse(req->arena, req->body, req->body_len,
				   &req->json, message);
	else if (req->form)
		e = ptl_json_from_form(req->arena, req->body, req->body_len,
				       &req->json);
	if (e == PTL_ERR_BAD_REQUEST && *message == NULL)
		*message = "Malformed form body";
	return e;
}

enum ptl_err
ptl_req_read_body(struct ptl_req *req, struct ptl_transport *t,
		  const char **message)
{
	enum ptl_err e = read_exact(req, t);

	if (e == PTL_ERR_BAD_REQUEST)
		*message = "Request body does not match Content-Length";
	if (e == PTL_ERR_TOO_LARGE && req->takes_file &&
	    ptl_multipart_is(req->content_type))
		*message = "File too large";
	if (e != PTL_OK)
		return e;
	return decode(req, message);
}

/* --- credentials ------------------------------------------------------- */

/* The Authorization header; behind Apache's RewriteRule fallback for
 * servers without CGIPassAuth it arrives as REDIRECT_HTTP_AUTHORIZATION. */
static const char *
authorization(struct ptl_transport *t)
{
	const char *h = param(t, "HTTP_AUTHORIZATION");

	return h != NULL ? h : param(t, "REDIRECT_HTTP_AUTHORIZATION");
}

/* "Bearer <token>" (RFC 6750 §2.1): scheme case-insensitive, any run of
 * spaces. */
static const char *
bearer(struct ptl_req *req, const char *h)
{
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

void
ptl_req_read_bearer(struct ptl_req *req, struct ptl_transport *t,
		    const char *cookie)
{
	const char *h = authorization(t);

	req->bearer = bearer(req, h);
	if (req->bearer == NULL && h == NULL) {
		/* A browser: the token of the cookie (API.md §10.10). */
		req->bearer = ptl_req_cookie(req, cookie);
		req->cookie_auth = req->bearer != NULL;
	}
}

/* Cookie: name=value pairs separated by "; " (RFC 6265 §4.2.1); the
 * first pair of that name wins. */
const char *
ptl_req_cookie(struct ptl_req *req, const char *name)
{
	const char *p = req->cookies;
	size_t nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		size_t len;

		while (*p == ' ' || *p == ';')
			p++;
		len = strcspn(p, ";");
		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
			return ptl_mem_strndup(req->arena, p + nlen + 1,
					       len - nlen - 1);
		p += len;
	}
	return NULL;
}

/* --- the query ---------------------------------------------------------- */

const char *
ptl_req_query(struct ptl_req *req, const char *name)
{
	const char *p = req->query;
	size_t nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);

		if (len > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			char *out = ptl_mem_alloc(req->arena, len - nlen);
			size_t n = ptl_str_urldecode(p + nlen + 1,
						     len - nlen - 1, out);

			return n == SIZE_MAX ? NULL : out;
		}
		if (len == nlen && strncmp(p, name, nlen) == 0)
			return "";
		p = amp != NULL ? amp + 1 : NULL;
	}
	return NULL;
}

bool
ptl_req_query_has_nul(const struct ptl_req *req)
{
	const char *p;

	for (p = req->query; p != NULL && *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == '0' && p[2] == '0')
			return true;
	}
	return false;
}
