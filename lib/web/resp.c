/* SPDX-License-Identifier: ISC */
/*
 * resp: see resp.h. The body and the head are built in buffers capped
 * apart (PTL_RESP_BODY_MAX, PTL_RESP_HEAD_MAX), then joined and written
 * with a single call, so a transport never sees half an answer. No
 * request can end in an assertion here: a part that passes its cap turns
 * the answer into a fixed 500 and one log line (STYLE.md: no assertion
 * reachable from request bytes). Header values never carry CR/LF: those
 * that come from the request are CGI variables, which cannot hold them,
 * or are checked here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <strings.h>

#include "base/cfg.h"
#include "base/log.h"
#include "web/form.h"
#include "web/resp.h"

void
ptl_resp_init(struct ptl_resp *resp, struct ptl_arena *a)
{
	memset(resp, 0, sizeof(*resp));
	ptl_buf_init(&resp->body, a, 1024, PTL_RESP_BODY_MAX);
	ptl_buf_init(&resp->headers, a, 64, PTL_RESP_EXTRA_MAX);
}

void
ptl_resp_error(struct ptl_resp *resp, const char *field, const char *msg)
{
	size_t i;

	for (i = 0; i < resp->nerrors; i++) {
		if (strcmp(resp->errors[i].field, field) == 0 &&
		    resp->errors[i].json)
			return; /* a tree has no room for a message */
		if (strcmp(resp->errors[i].field, field) == 0) {
			resp->errors[i].msg =
			    ptl_mem_printf(resp->body.arena, "%s, %s",
					   resp->errors[i].msg, msg);
			return;
		}
	}
	if (resp->nerrors == PTL_RESP_MAX_ERRORS) {
		resp->errors_dropped++;
		return;
	}
	resp->errors[resp->nerrors].field = field;
	resp->errors[resp->nerrors].msg = msg;
	resp->errors[resp->nerrors].json = false;
	resp->nerrors++;
}

void
ptl_resp_error_json(struct ptl_resp *resp, const char *field, const char *json)
{
	size_t i;

	for (i = 0; i < resp->nerrors; i++) {
		if (strcmp(resp->errors[i].field, field) == 0)
			return;
	}
	if (resp->nerrors == PTL_RESP_MAX_ERRORS) {
		resp->errors_dropped++;
		return;
	}
	resp->errors[resp->nerrors].field = field;
	resp->errors[resp->nerrors].msg = json;
	resp->errors[resp->nerrors].json = true;
	resp->nerrors++;
}

/* --- headers ----------------------------------------------------------- */

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
cors_headers(struct ptl_req *req, struct ptl_buf *h, bool preflight)
{
	const char *list = req->app->cfg.cors_origins;
	const char *acrh = req->acr_headers;
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
		ptl_buf_adds(
		    h,
		    any ? "Vary: Access-Control-Request-Headers\r\n"
			: "Vary: Origin, Access-Control-Request-Headers\r\n");
	} else if (!any) {
		ptl_buf_adds(h, "Vary: Origin\r\n");
	}
}

/* --- bodies and status ---------------------------------------------------- */

static void
validation_body(const struct ptl_resp *resp, struct ptl_buf *b)
{
	size_t i;

	ptl_buf_adds(b, "{\"status\":422,\"errors\":{");
	for (i = 0; i < resp->nerrors; i++) {
		if (i > 0)
			ptl_buf_addc(b, ',');
		ptl_buf_json_strz(b, resp->errors[i].field);
		ptl_buf_addc(b, ':');
		if (resp->errors[i].json)
			ptl_buf_adds(b, resp->errors[i].msg);
		else
			ptl_buf_json_strz(b, resp->errors[i].msg);
	}
	ptl_buf_adds(b, "}}");
}

/* Express's answer to a request no route takes (API.md §0). */
static void
no_route_body(struct ptl_req *req, struct ptl_buf *b)
{
	char *m = ptl_mem_printf(req->arena, "Cannot %s %.*s", req->method,
				 (int)req->path_len, req->path);

	ptl_buf_adds(b, "{\"message\":");
	ptl_buf_json_strz(b, m);
	ptl_buf_adds(b, ",\"error\":\"Not Found\",\"statusCode\":404}");
}

/* The bodies of the reference, byte for byte (API.md §0). */
static void
error_body(struct ptl_req *req, struct ptl_resp *resp, enum ptl_err e,
	   struct ptl_buf *b)
{
	switch (e) {
	case PTL_ERR_VALIDATION:
		validation_body(resp, b);
		break;
	case PTL_ERR_UNAUTHORIZED:
		ptl_buf_adds(
		    b, "{\"message\":\"Unauthorized\",\"statusCode\":401}");
		break;
	case PTL_ERR_NOT_FOUND:
		ptl_buf_adds(b, "{\"status\":404,\"error\":\"notFound\"}");
		break;
	case PTL_ERR_NO_ROUTE:
		no_route_body(req, b);
		break;
	case PTL_ERR_BAD_JSON:
	case PTL_ERR_BAD_REQUEST:
		ptl_buf_adds(b, "{\"message\":");
		ptl_buf_json_strz(b, resp->message != NULL ? resp->message
							   : "Bad Request");
		ptl_buf_adds(b,
			     ",\"error\":\"Bad Request\",\"statusCode\":400}");
		break;
	case PTL_ERR_TOO_LARGE:
		if (resp->message != NULL) {
			/* multer's, for an upload (API.md §9.11) */
			ptl_buf_adds(b, "{\"message\":");
			ptl_buf_json_strz(b, resp->message);
			ptl_buf_adds(b, ",\"error\":\"Payload Too Large\","
					"\"statusCode\":413}");
			break;
		}
		ptl_buf_adds(b,
			     "{\"statusCode\":413,\"message\":\"request entity "
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
	case PTL_ERR_DB_FULL:
	case PTL_ERR_DB_READONLY:
	case PTL_ERR_DB_IO:
	case PTL_ERR_DB_REPLACED:
	case PTL_ERR_DB_NEWER:
		ptl_buf_adds(b, "{\"statusCode\":503,\"message\":\"Service "
				"Unavailable\"}");
		break;
	default:
		ptl_buf_adds(b, "{\"statusCode\":500,\"message\":\"Internal "
				"server error\"}");
		break;
	}
}

/* Reason phrases of RFC 9110 §15 (and RFC 6585 §5 for 431) for the
 * statuses we send, the web server's own errors included; NULL for any
 * other. */
static const char *
reason_of(int status)
{
	static const struct {
		int status;
		const char *text;
	} reasons[] = {
	    {200, "OK"},
	    {204, "No Content"},
	    {302, "Found"},
	    {303, "See Other"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {406, "Not Acceptable"},
	    {408, "Request Timeout"},
	    {409, "Conflict"},
	    {410, "Gone"},
	    {411, "Length Required"},
	    {412, "Precondition Failed"},
	    {413, "Payload Too Large"},
	    {414, "URI Too Long"},
	    {415, "Unsupported Media Type"},
	    {416, "Range Not Satisfiable"},
	    {417, "Expectation Failed"},
	    {421, "Misdirected Request"},
	    {422, "Unprocessable Entity"},
	    {426, "Upgrade Required"},
	    {429, "Too Many Requests"},
	    {431, "Request Header Fields Too Large"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	    {505, "HTTP Version Not Supported"},
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (reasons[i].status == status)
			return reasons[i].text;
	}
	return NULL;
}

static const char *
reason(int status)
{
	const char *r = reason_of(status);

	if (r != NULL)
		return r;
	return status < 500 ? "Client Error" : "Server Error";
}

static void
status_line(struct ptl_buf *out, int status)
{
	ptl_buf_adds(out, "Status: ");
	ptl_buf_addi(out, status);
	ptl_buf_addc(out, ' ');
	ptl_buf_adds(out, reason(status));
	ptl_buf_adds(out, "\r\n");
}

/* --- the answer ---------------------------------------------------------- */

/* Whether the handler's extra lines (each ending in CRLF) hold header
 * name: a Retry-After of its own wins over the default of a 503. */
static bool
has_header(const struct ptl_buf *h, const char *name)
{
	size_t n = strlen(name), i = 0;

	while (i + n < h->len) {
		const char *nl;

		if (strncasecmp(h->data + i, name, n) == 0 &&
		    h->data[i + n] == ':')
			return true;
		nl = memchr(h->data + i, '\n', h->len - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - h->data) + 1;
	}
	return false;
}

/* The headers every answer carries, then the handler's own. The web
 * server's own errors have no X-Request-Id: the request never reached
 * the app, and a client can tell them from the app's answers. */
static void
common_headers(struct ptl_req *req, struct ptl_resp *resp, enum ptl_err e,
	       int status, bool preflight, struct ptl_buf *out)
{
	security_headers(out);
	cors_headers(req, out, preflight);
	if (e == PTL_OK && resp->file != NULL)
		ptl_buf_adds(out, "Cache-Control: public, max-age=31536000, "
				  "immutable\r\n");
	else if (!preflight)
		ptl_buf_adds(out,
			     "Cache-Control: no-store\r\nPragma: no-cache\r\n");
	if (e == PTL_ERR_RATE_LIMITED && resp->retry_after_s > 0)
		ptl_buf_addf(out, "Retry-After: %d\r\n", resp->retry_after_s);
	else if (status == 503 && !has_header(&resp->headers, "Retry-After"))
		ptl_buf_addf(out, "Retry-After: %d\r\n", PTL_RESP_RETRY_503_S);
	if (req->server_status == 0) {
		ptl_buf_adds(out, "X-Request-Id: ");
		ptl_buf_adds(out, req->id);
		ptl_buf_adds(out, "\r\n");
	}
	if (resp->headers.len > 0)
		ptl_buf_add(out, resp->headers.data, resp->headers.len);
}

/* What an answer is made of, before it is put together. */
struct answer {
	int status;
	enum ptl_err e;
	const struct ptl_buf *body; /* NULL: none */
	bool preflight;
	bool server; /* the web server's own error (req->server_status) */
	bool file;   /* resp->file follows the head (ptl_resp_file()) */
};

/* The body of the web server's own error (resp.h). */
static void
server_error_body(struct ptl_req *req, struct ptl_resp *resp, int status,
		  struct ptl_buf *b)
{
	const char *r = reason(status);

	switch (status) {
	case 400:
		error_body(req, resp, PTL_ERR_BAD_REQUEST, b);
		return;
	case 413:
		error_body(req, resp, PTL_ERR_TOO_LARGE, b);
		return;
	case 500:
		error_body(req, resp, PTL_ERR_INTERNAL, b);
		return;
	case 503:
		error_body(req, resp, PTL_ERR_UNAVAILABLE, b);
		return;
	default:
		break;
	}
	ptl_buf_adds(b, "{\"statusCode\":");
	ptl_buf_addi(b, status);
	ptl_buf_adds(b, ",\"message\":");
	ptl_buf_json_strz(b, r);
	ptl_buf_addc(b, '}');
}

/*
 * Puts the answer together in out: status line (or the 303 of a browser
 * form post), headers, blank line, body. false when the body or the head
 * passed its cap, OUT part then naming it; out itself cannot overflow,
 * for it holds one of each.
 */
static bool
assemble(struct ptl_req *req, struct ptl_resp *resp, const struct answer *an,
	 struct ptl_buf *out, const char **part)
{
	const struct ptl_buf *body = an->status == 204 ? NULL : an->body;
	struct ptl_buf head;

	*part = "body";
	if (body != NULL && body->overflow)
		return false;
	ptl_buf_init(&head, req->arena, 1024, PTL_RESP_HEAD_MAX);
	if (req->browser && !an->preflight) {
		/* A browser form post: 303 and cookies (API.md §10.10). */
		ptl_form_respond(req, resp, an->e, &head);
		body = NULL;
	} else {
		status_line(&head, an->status);
	}
	if (an->file) {
		ptl_buf_adds(&head, "Content-Type: ");
		ptl_buf_adds(&head, resp->file_type);
		ptl_buf_adds(&head, "\r\nContent-Disposition: inline\r\n"
				    "Content-Security-Policy: default-src "
				    "'none'; sandbox\r\nContent-Length: ");
		ptl_buf_addi(&head, (long long)resp->file_len);
		ptl_buf_adds(&head, "\r\n");
	} else {
		if (body != NULL && an->e == PTL_OK &&
		    resp->content_type != NULL)
			ptl_buf_addf(&head, "Content-Type: %s\r\n",
				     resp->content_type);
		else if (body != NULL)
			ptl_buf_adds(&head, "Content-Type: application/json; "
					    "charset=utf-8\r\n");
		ptl_buf_adds(&head, "Content-Length: ");
		ptl_buf_addi(&head, body != NULL ? (long long)body->len : 0);
		ptl_buf_adds(&head, "\r\n");
	}
	common_headers(req, resp, an->e, an->status, an->preflight, &head);
	ptl_buf_adds(&head, "\r\n");
	*part = resp->headers.overflow ? "extra headers" : "head";
	if (head.overflow || resp->headers.overflow)
		return false;
	ptl_buf_init(out, req->arena, head.len + (body ? body->len : 0),
		     PTL_RESP_HEAD_MAX + PTL_RESP_BODY_MAX);
	ptl_buf_add(out, head.data, head.len);
	if (body != NULL && !req->head)
		ptl_buf_add(out, body->data, body->len);
	return true;
}

/* The answer when assemble() refused: a 500 made of constants and the
 * request id only, so it always fits. */
static void
fallback(struct ptl_req *req, struct ptl_transport *t)
{
	static const char body[] =
	    "{\"statusCode\":500,\"message\":\"Internal server error\"}";
	struct ptl_buf out;

	ptl_buf_init(&out, req->arena, 1024, PTL_RESP_HEAD_MAX);
	status_line(&out, 500);
	ptl_buf_adds(&out, "Content-Type: application/json; charset=utf-8\r\n"
			   "Content-Length: ");
	ptl_buf_addi(&out, (long long)sizeof(body) - 1);
	ptl_buf_adds(&out, "\r\n");
	security_headers(&out);
	ptl_buf_adds(&out, "Cache-Control: no-store\r\nPragma: no-cache\r\n"
			   "X-Request-Id: ");
	ptl_buf_adds(&out, req->id);
	ptl_buf_adds(&out, "\r\n\r\n");
	if (!req->head)
		ptl_buf_adds(&out, body);
	t->write(t->ctx, out.data, out.len);
}

/* A 503 whose cause was logged where it happened, at most once a minute
 * (a storage fault of the db adapter), or that a handler chose (health's
 * verdict): one line per answer would flood the log, which may be on the
 * disk that is full. */
static bool
logged_by_cause(const struct answer *an)
{
	if (an->server || an->status != 503)
		return false;
	return an->e == PTL_OK || (an->e != PTL_ERR_UNAVAILABLE &&
				   ptl_err_info(an->e)->status == 503);
}

static void
deliver(struct ptl_req *req, struct ptl_resp *resp, struct ptl_transport *t,
	const struct answer *an)
{
	int plen = (int)(req->path_len > 200 ? 200 : req->path_len);
	const char *part;
	struct ptl_buf out;

	if (resp->errors_dropped > 0)
		PTL_LOG_WARN("%s %.*s: %zu field errors past the first %d "
			     "left out of the 422",
			     req->method, plen, req->path, resp->errors_dropped,
			     PTL_RESP_MAX_ERRORS);
	if (!assemble(req, resp, an, &out, &part)) {
		PTL_LOG_ERR("%s %.*s: the %s of the answer %d passed its cap "
			    "(resp.h); answered 500 instead",
			    req->method, plen, req->path, part, an->status);
		fallback(req, t);
		return;
	}
	if (an->status >= 500 && !logged_by_cause(an))
		PTL_LOG_ERR("%s %.*s answered %d (%s)", req->method, plen,
			    req->path, an->status,
			    an->server ? "the web server's own error"
				       : ptl_err_info(an->e)->code);
	t->write(t->ctx, out.data, out.len);
	if (an->file && !req->head)
		t->write(t->ctx, resp->file, resp->file_len);
}

static void
respond(struct ptl_req *req, struct ptl_resp *resp, struct ptl_transport *t,
	enum ptl_err e, bool preflight)
{
	struct answer an = {.status = 204, .e = e, .preflight = preflight};
	struct ptl_buf err;

	if (preflight) {
		an.e = PTL_OK;
	} else if (e == PTL_OK) {
		an.status = resp->status != 0 ? resp->status : 200;
		an.body = &resp->body;
		an.file = resp->file != NULL && !req->browser;
		if (an.file)
			an.body = NULL;
	} else {
		an.status = ptl_err_info(e)->status;
		ptl_buf_init(&err, req->arena, 128, PTL_RESP_BODY_MAX);
		error_body(req, resp, e, &err);
		an.body = &err;
	}
	deliver(req, resp, t, &an);
}

void
ptl_resp_write_server_error(struct ptl_req *req, struct ptl_resp *resp,
			    struct ptl_transport *t)
{
	struct answer an = {.status = req->server_status,
			    .e = PTL_ERR_INTERNAL,
			    .server = true};
	struct ptl_buf b;

	ptl_buf_init(&b, req->arena, 128, 1024);
	server_error_body(req, resp, req->server_status, &b);
	an.body = &b;
	req->browser = false;
	deliver(req, resp, t, &an);
}

void
ptl_resp_write(struct ptl_req *req, struct ptl_resp *resp,
	       struct ptl_transport *t, enum ptl_err e)
{
	respond(req, resp, t, e, false);
}

void
ptl_resp_write_preflight(struct ptl_req *req, struct ptl_resp *resp,
			 struct ptl_transport *t)
{
	respond(req, resp, t, PTL_OK, true);
}

enum ptl_err
ptl_resp_refusal(struct ptl_resp *resp, enum ptl_err e,
		 const struct ptl_refusal *why)
{
	if (e == PTL_ERR_VALIDATION && why->field != NULL) {
		ptl_resp_error(resp, why->field, why->key);
		if (why->field2 != NULL)
			ptl_resp_error(resp, why->field2, why->key);
	}
	if (e == PTL_ERR_RATE_LIMITED)
		resp->retry_after_s = why->retry_after_s;
	return e;
}

void
ptl_resp_file(struct ptl_resp *resp, const char *data, size_t len,
	      const char *type)
{
	resp->file = data;
	resp->file_len = len;
	resp->file_type = type;
}

enum ptl_err
ptl_resp_no_content(struct ptl_resp *resp, enum ptl_err e,
		    const struct ptl_refusal *why)
{
	if (e == PTL_OK)
		resp->status = 204;
	return ptl_resp_refusal(resp, e, why);
}

void
ptl_resp_html(struct ptl_resp *resp)
{
	resp->content_type = "text/html; charset=utf-8";
	ptl_buf_adds(&resp->headers,
		     "Content-Security-Policy: default-src 'none'; "
		     "style-src 'unsafe-inline'; base-uri 'none'; "
		     "form-action 'none'; frame-ancestors 'self'\r\n");
}
