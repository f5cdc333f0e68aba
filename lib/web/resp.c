/* SPDX-License-Identifier: ISC */
/*
 * resp: see resp.h. The answer is assembled in one capped buffer and
 * written with a single call, so a transport never sees half an answer.
 * Header values never carry CR/LF: those that come from the request are
 * CGI variables, which cannot hold them, or are checked here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/cfg.h"
#include "base/log.h"
#include "web/form.h"
#include "web/resp.h"

void
ptl_resp_init(struct ptl_resp *resp, struct ptl_arena *a)
{
	memset(resp, 0, sizeof(*resp));
	ptl_buf_init(&resp->body, a, 1024, PTL_RESP_MAX);
	ptl_buf_init(&resp->headers, a, 64, 16 * 1024);
}

void
ptl_resp_error(struct ptl_resp *resp, const char *field, const char *msg)
{
	size_t i;

	for (i = 0; i < resp->nerrors; i++) {
		if (strcmp(resp->errors[i].field, field) == 0) {
			resp->errors[i].msg =
			    ptl_mem_printf(resp->body.arena, "%s, %s",
					   resp->errors[i].msg, msg);
			return;
		}
	}
	PTL_ASSERT(resp->nerrors < PTL_RESP_MAX_ERRORS);
	resp->errors[resp->nerrors].field = field;
	resp->errors[resp->nerrors].msg = msg;
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
		ptl_buf_adds(b, "{\"statusCode\":503,\"message\":\"Service "
				"Unavailable\"}");
		break;
	default:
		ptl_buf_adds(b, "{\"statusCode\":500,\"message\":\"Internal "
				"server error\"}");
		break;
	}
}

/* Reason phrases of RFC 9110 §15 for the statuses we send. */
static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
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
		return "Internal Server Error";
	}
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

/* The headers every answer carries, then the handler's own. */
static void
common_headers(struct ptl_req *req, struct ptl_resp *resp, enum ptl_err e,
	       bool preflight, struct ptl_buf *out)
{
	security_headers(out);
	cors_headers(req, out, preflight);
	if (!preflight)
		ptl_buf_adds(out,
			     "Cache-Control: no-store\r\nPragma: no-cache\r\n");
	if (e == PTL_ERR_RATE_LIMITED && resp->retry_after_s > 0)
		ptl_buf_addf(out, "Retry-After: %d\r\n", resp->retry_after_s);
	ptl_buf_adds(out, "X-Request-Id: ");
	ptl_buf_adds(out, req->id);
	ptl_buf_adds(out, "\r\n");
	if (resp->headers.len > 0)
		ptl_buf_add(out, resp->headers.data, resp->headers.len);
}

static void
respond(struct ptl_req *req, struct ptl_resp *resp, struct ptl_transport *t,
	enum ptl_err e, bool preflight)
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
	ptl_buf_init(&out, req->arena, 1024, PTL_RESP_MAX);
	if (req->browser && !preflight) {
		/* A browser form post: 303 and cookies (API.md §10.10). */
		ptl_form_respond(req, resp, e, &out);
		body = NULL;
	} else {
		status_line(&out, status);
	}
	if (body != NULL)
		ptl_buf_adds(
		    &out, "Content-Type: application/json; charset=utf-8\r\n");
	ptl_buf_adds(&out, "Content-Length: ");
	ptl_buf_addi(&out, body != NULL ? (long long)body->len : 0);
	ptl_buf_adds(&out, "\r\n");
	common_headers(req, resp, e, preflight, &out);
	ptl_buf_adds(&out, "\r\n");
	if (body != NULL && !req->head)
		ptl_buf_add(&out, body->data, body->len);
	PTL_ASSERT(!out.overflow);
	t->write(t->ctx, out.data, out.len);
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

enum ptl_err
ptl_resp_no_content(struct ptl_resp *resp, enum ptl_err e,
		    const struct ptl_refusal *why)
{
	if (e == PTL_OK)
		resp->status = 204;
	return ptl_resp_refusal(resp, e, why);
}
