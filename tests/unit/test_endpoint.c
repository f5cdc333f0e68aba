/* SPDX-License-Identifier: ISC */
/*
 * test_endpoint: lib/web/ (endpoint.c with req.c, resp.c, field.c) through
 * ptl_endpoint_serve() on the memory transport of tests/memio.h (CGI
 * variables from a table, the body from a buffer, the response into a
 * buffer) with a small endpoint declared here. Exact
 * bodies for 404, 413, 400, 422 (message order and joining), 401; the 413
 * comes before any read; preflight and security headers; HEAD; path
 * matching (trailing slash, case, {id}); Bearer parsing; access tokens
 * and their session; 503 without a database; per-IP rate limits; the
 * client address behind trusted proxies. Issue 9: a body at its cap has
 * room for the headers; a body or headers past their caps, or more
 * failing fields than a 422 holds, are clean answers and the process goes
 * on serving; the web server's own errors (REDIRECT_STATUS) answered in
 * JSON with the headers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "domain/session.h"
#include "domain/token.h"
#include "fixture.h"
#include "memio.h"
#include "tap.h"
#include "web/endpoint.h"

#define OUT_MAX (2 * 1024 * 1024)

static struct ptl_app app;
static struct ptl_arena *arena;

/* The memory transport hands out at most 7 bytes per read, so the read
 * loop is exercised. */
static struct memio m;

/* Serves one request; returns the whole response (headers and body). */
static const char *
serve(const struct ptl_endpoint *ep, const char *const *vars, const char *body,
      size_t body_len)
{
	struct ptl_transport t;

	memio_start(&m, &t, vars, body, body_len);
	ptl_mem_reset(arena);
	ptl_endpoint_serve(&app, ep, &t, arena);
	return m.out;
}

/* The body of the last response: what follows the blank line. */
static const char *
resp_body(void)
{
	const char *p = strstr(m.out, "\r\n\r\n");

	return p != NULL ? p + 4 : NULL;
}

static bool
resp_status(int status)
{
	char want[32];

	(void)snprintf(want, sizeof(want), "Status: %d ", status);
	return strncmp(m.out, want, strlen(want)) == 0;
}

/* Whether the header block holds the exact line (without CRLF). */
static bool
resp_has(const char *line)
{
	const char *end = strstr(m.out, "\r\n\r\n");
	size_t n = strlen(line);
	const char *p = m.out;

	while (p != NULL && end != NULL && p < end) {
		if (strncmp(p, line, n) == 0 && p[n] == '\r' && p[n + 1] == '\n')
			return true;
		p = strstr(p, "\r\n");
		p = p != NULL ? p + 2 : NULL;
	}
	return false;
}

/* The value of header name in the last response, or NULL. Arena-owned. */
static const char *
resp_header(const char *name)
{
	const char *end = strstr(m.out, "\r\n\r\n");
	size_t n = strlen(name);
	const char *p = m.out;

	while (p != NULL && end != NULL && p < end) {
		if (strncmp(p, name, n) == 0 && p[n] == ':' && p[n + 1] == ' ') {
			const char *e = strstr(p, "\r\n");

			return ptl_mem_strndup(arena, p + n + 2,
					       (size_t)(e - p - n - 2));
		}
		p = strstr(p, "\r\n");
		p = p != NULL ? p + 2 : NULL;
	}
	return NULL;
}

/* ---- the endpoint under test --------------------------------------------- */

static enum ptl_err
h_echo(struct ptl_req *req, struct ptl_resp *resp)
{
	size_t i;
	static const char *const names[] = {"email", "password", "firstName",
					    "age"};

	ptl_buf_addc(&resp->body, '{');
	for (i = 0; i < 4; i++) {
		if (i > 0)
			ptl_buf_addc(&resp->body, ',');
		ptl_buf_json_strz(&resp->body, names[i]);
		ptl_buf_addc(&resp->body, ':');
		if (req->vals[i].present)
			ptl_buf_json_str(&resp->body, req->vals[i].s,
					 req->vals[i].len);
		else
			ptl_buf_adds(&resp->body, "null");
	}
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}

static enum ptl_err
h_item(struct ptl_req *req, struct ptl_resp *resp)
{
	ptl_buf_adds(&resp->body, "{\"id\":");
	ptl_buf_json_strz(&resp->body, req->param);
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}

static enum ptl_err
h_ping(struct ptl_req *req, struct ptl_resp *resp)
{
	(void)req;
	ptl_buf_adds(&resp->body, "{\"ok\":true}");
	return PTL_OK;
}

static enum ptl_err
h_me(struct ptl_req *req, struct ptl_resp *resp)
{
	ptl_buf_addf(&resp->body, "{\"user\":%lld,\"session\":%lld}",
		     (long long)req->user_id, (long long)req->session_id);
	return PTL_OK;
}

static enum ptl_err
h_bearer(struct ptl_req *req, struct ptl_resp *resp)
{
	ptl_buf_adds(&resp->body, "{\"bearer\":");
	ptl_buf_json_strz(&resp->body, req->bearer);
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}

static enum ptl_err
h_gone(struct ptl_req *req, struct ptl_resp *resp)
{
	(void)req;
	resp->status = 204;
	return PTL_OK;
}

static enum ptl_err
h_who(struct ptl_req *req, struct ptl_resp *resp)
{
	ptl_buf_adds(&resp->body, "{\"ip\":");
	ptl_buf_json_strz(&resp->body, req->ip);
	ptl_buf_adds(&resp->body, ",\"a\":");
	ptl_buf_json_strz(&resp->body, ptl_req_query(req, "a"));
	ptl_buf_adds(&resp->body, ",\"b\":");
	ptl_buf_json_strz(&resp->body, ptl_req_query(req, "b"));
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}

static enum ptl_err
h_db_full(struct ptl_req *req, struct ptl_resp *resp)
{
	(void)req;
	(void)resp;
	return PTL_ERR_DB_FULL; /* what a write on a full disk returns */
}

static enum ptl_err
h_own_retry(struct ptl_req *req, struct ptl_resp *resp)
{
	(void)req;
	ptl_buf_adds(&resp->headers, "retry-after: 30\r\n");
	return PTL_ERR_UNAVAILABLE;
}

static enum ptl_err
h_probe(struct ptl_req *req, struct ptl_resp *resp)
{
	ptl_buf_addf(&resp->body, "{\"db\":%s}",
		     req->app->db != NULL ? "true" : "false");
	return PTL_OK;
}

static const struct ptl_field echo_fields[] = {
	{"email", PTL_FIELD_EMAIL, {PTL_RULE_NOT_EMPTY, PTL_RULE_EMAIL}, NULL},
	{"password", 0, {PTL_RULE_NOT_EMPTY, PTL_RULE_PASSWORD}, NULL},
	{"firstName", PTL_FIELD_OPTIONAL, {PTL_RULE_NOT_EMPTY}, NULL},
	{"age", PTL_FIELD_OPTIONAL | PTL_FIELD_NUMBER, {PTL_RULE_END}, NULL},
};

static const struct ptl_field name_fields[] = {
	{"name", 0, {PTL_RULE_NOT_EMPTY}, "custom: name is required"},
};

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/echo", PTL_AUTH_NONE, PTL_FIELDS(echo_fields), h_echo,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/items/{id}", PTL_AUTH_NONE, PTL_NO_FIELDS, h_item,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/ping", PTL_AUTH_NONE, PTL_NO_FIELDS, h_ping,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/me", PTL_AUTH_ACCESS, PTL_NO_FIELDS, h_me,
	 PTL_BUCKET_NONE},
	{"PATCH", "/api/v1/me", PTL_AUTH_ACCESS, PTL_FIELDS(name_fields), h_me,
	 PTL_BUCKET_NONE},
	{"POST", "/api/v1/refresh", PTL_AUTH_REFRESH, PTL_NO_FIELDS, h_bearer,
	 PTL_BUCKET_NONE},
	{"DELETE", "/api/v1/gone", PTL_AUTH_NONE, PTL_NO_FIELDS, h_gone,
	 PTL_BUCKET_NONE},
	{"POST", "/api/v1/limited", PTL_AUTH_NONE, PTL_NO_FIELDS, h_ping,
	 PTL_BUCKET_IP},
	{"GET", "/api/v1/who", PTL_AUTH_NONE, PTL_NO_FIELDS, h_who,
	 PTL_BUCKET_NONE},
	{"POST", "/api/v1/full", PTL_AUTH_NONE, PTL_NO_FIELDS, h_db_full,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/probe", PTL_AUTH_PROBE, PTL_NO_FIELDS, h_probe,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/own-retry", PTL_AUTH_NONE, PTL_NO_FIELDS, h_own_retry,
	 PTL_BUCKET_NONE},
};

static const struct ptl_endpoint ep = {"unit", routes,
				       sizeof(routes) / sizeof(routes[0])};

/* ---- requests ------------------------------------------------------------ */

#define JSON_POST(uri, len)                                                    \
	"REQUEST_METHOD", "POST", "REQUEST_URI", uri, "CONTENT_TYPE",          \
		"application/json", "CONTENT_LENGTH", len, "REMOTE_ADDR",      \
		"127.0.0.1"

static const char *
post_json(const char *uri, const char *body)
{
	static char len[24];
	const char *vars[] = {JSON_POST(uri, len), NULL};

	(void)snprintf(len, sizeof(len), "%zu", strlen(body));
	return serve(&ep, vars, body, strlen(body));
}

static const char *
get(const char *method, const char *uri)
{
	const char *vars[] = {"REQUEST_METHOD", method, "REQUEST_URI", uri,
			      "REMOTE_ADDR", "127.0.0.1", NULL};

	return serve(&ep, vars, NULL, 0);
}

static const char *
with_auth(const char *method, const char *uri, const char *authorization)
{
	const char *vars[] = {"REQUEST_METHOD", method, "REQUEST_URI", uri,
			      "REMOTE_ADDR", "127.0.0.1", "HTTP_AUTHORIZATION",
			      authorization, NULL};

	return serve(&ep, vars, NULL, 0);
}

static void
test_not_found(void)
{
	static const struct {
		const char *method, *uri, *want;
	} cases[] = {
		{"GET", "/x",
		 "{\"message\":\"Cannot GET /x\",\"error\":\"Not Found\","
		 "\"statusCode\":404}"},
		{"GET", "/x?a=1",
		 "{\"message\":\"Cannot GET /x\",\"error\":\"Not Found\","
		 "\"statusCode\":404}"},
		{"POST", "/api/v1/ping",
		 "{\"message\":\"Cannot POST /api/v1/ping\",\"error\":\"Not "
		 "Found\",\"statusCode\":404}"},
		{"GET", "/api/v1/ping//",
		 "{\"message\":\"Cannot GET /api/v1/ping//\",\"error\":\"Not "
		 "Found\",\"statusCode\":404}"},
		{"GET", "/api/v1/items/",
		 "{\"message\":\"Cannot GET /api/v1/items/\",\"error\":\"Not "
		 "Found\",\"statusCode\":404}"},
		{"GET", "/api/v1/items/4/2",
		 "{\"message\":\"Cannot GET /api/v1/items/4/2\",\"error\":\"Not "
		 "Found\",\"statusCode\":404}"},
		{"GET", "/a\"b",
		 "{\"message\":\"Cannot GET /a\\\"b\",\"error\":\"Not Found\","
		 "\"statusCode\":404}"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get(cases[i].method, cases[i].uri);
		ok(resp_status(404) && resp_has("Status: 404 Not Found"),
		   "404 for %s %s", cases[i].method, cases[i].uri);
		is_str(resp_body(), cases[i].want, "  body");
	}
}

static void
test_limits(void)
{
	const char *vars[] = {JSON_POST("/api/v1/echo", "200000"), NULL};
	const char *vars2[] = {JSON_POST("/api/v1/echo", "102401"), NULL};
	const char *vars3[] = {JSON_POST("/api/v1/echo", "10"), NULL};
	const char *vars4[] = {JSON_POST("/api/v1/echo", "1x"), NULL};
	const char *vars5[] = {JSON_POST("/api/v1/echo", "-1"), NULL};
	const char *vars6[] = {JSON_POST("/api/v1/echo", "102400"), NULL};
	const char *vars7[] = {JSON_POST("/x", "200000"), NULL};
	char *big = ptl_mem_xmalloc(102400);

	serve(&ep, vars, "{}", 2);
	ok(resp_status(413) && resp_has("Status: 413 Payload Too Large"),
	   "CONTENT_LENGTH 200000: 413");
	is_str(resp_body(),
	       "{\"statusCode\":413,\"message\":\"request entity too large\"}",
	       "  body");
	/* The refused body is only drained (into a fixed buffer), never kept:
	 * the memory transport offered 2 bytes, and they were discarded. */
	ok(m.reads > 0 && !resp_has("{}\""), "  body drained, not parsed");
	serve(&ep, vars2, "{}", 2);
	ok(resp_status(413), "102401 bytes: 413");
	serve(&ep, vars7, "{}", 2);
	ok(resp_status(404) && m.reads == 0, "unknown route: 404 before the size");

	/* Exactly the limit: read in full, then judged as JSON. */
	memset(big, ' ', 102400);
	big[0] = '{';
	big[102399] = '}';
	serve(&ep, vars6, big, 102400);
	ok(resp_status(422), "102400 bytes: read and validated (422)");
	is_int(m.pos, 102400, "  all of it read");
	free(big);

	serve(&ep, vars3, "{}", 2);
	ok(resp_status(400), "body shorter than CONTENT_LENGTH: 400");
	is_str(resp_body(),
	       "{\"message\":\"Request body does not match Content-Length\","
	       "\"error\":\"Bad Request\",\"statusCode\":400}",
	       "  body");
	serve(&ep, vars4, "{}", 2);
	ok(resp_status(400), "CONTENT_LENGTH 1x: 400");
	serve(&ep, vars5, "{}", 2);
	ok(resp_status(400), "CONTENT_LENGTH -1: 400");
}

static void
test_bad_json(void)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		{"{\"email\":\"a\"} x",
		 "{\"message\":\"Unexpected token in JSON at position 14\","
		 "\"error\":\"Bad Request\",\"statusCode\":400}"},
		{"\"just a string\"",
		 "{\"message\":\"Unexpected token in JSON at position 0\","
		 "\"error\":\"Bad Request\",\"statusCode\":400}"},
		{"{\"a\":\"\\u0000\"}",
		 "{\"message\":\"NUL character in string\",\"error\":\"Bad "
		 "Request\",\"statusCode\":400}"},
		{"{\"a\":\"\xff\"}",
		 "{\"message\":\"Invalid UTF-8 or NUL byte in JSON body\","
		 "\"error\":\"Bad Request\",\"statusCode\":400}"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		post_json("/api/v1/echo", cases[i].body);
		ok(resp_status(400) && resp_has("Status: 400 Bad Request"),
		   "malformed JSON: 400");
		is_str(resp_body(), cases[i].want, "  body");
	}
}

static void
test_validation(void)
{
	static const struct {
		const char *body;
		int status;
		const char *want;
		const char *name;
	} cases[] = {
		{"{}", 422,
		 "{\"status\":422,\"errors\":{\"email\":\"email should not be "
		 "empty, email must be an email\",\"password\":\"password should "
		 "not be empty, password must be longer than or equal to 8 "
		 "characters\"}}",
		 "empty object: every message, in field order, joined"},
		{"[]", 422,
		 "{\"status\":422,\"errors\":{\"email\":\"email should not be "
		 "empty, email must be an email\",\"password\":\"password should "
		 "not be empty, password must be longer than or equal to 8 "
		 "characters\"}}",
		 "top-level array: like an empty object"},
		{"{\"email\":1,\"password\":true,\"firstName\":5,\"age\":\"x\"}", 422,
		 "{\"status\":422,\"errors\":{\"email\":\"email must be an "
		 "email\",\"password\":\"password must be longer than or equal "
		 "to 8 characters\",\"firstName\":\"firstName must be a "
		 "string\"}}",
		 "wrong types"},
		{"{\"email\":\"\",\"password\":\"\",\"firstName\":\"\"}", 422,
		 "{\"status\":422,\"errors\":{\"email\":\"email should not be "
		 "empty, email must be an email\",\"password\":\"password should "
		 "not be empty, password must be longer than or equal to 8 "
		 "characters\",\"firstName\":\"firstName should not be empty\"}}",
		 "empty strings"},
		{"{\"email\":null,\"password\":\"12345678\",\"firstName\":null}",
		 422,
		 "{\"status\":422,\"errors\":{\"email\":\"email should not be "
		 "empty, email must be an email\"}}",
		 "null required field; null optional field skipped"},
		{"{\"email\":\"a@b.co\",\"password\":\"1234567\"}", 422,
		 "{\"status\":422,\"errors\":{\"password\":\"password must be "
		 "longer than or equal to 8 characters\"}}",
		 "7-character password"},
		{"{\"email\":\"a@b.co\",\"password\":\"12345678\",\"age\":{}}", 422,
		 "{\"status\":422,\"errors\":{\"age\":\"age must be a string\"}}",
		 "object for a number field"},
		{"{\"Email\":\"a@b.co\",\"email\":\"  Alice@Example.COM \","
		 "\"password\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		 "\xc3\xa9\xc3\xa9\",\"age\":12}",
		 200,
		 "{\"email\":\"alice@example.com\",\"password\":\"\xc3\xa9\xc3\xa9"
		 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"firstName\":"
		 "null,\"age\":\"12\"}",
		 "valid: email normalised, 8 characters in 16 bytes, number as "
		 "text"},
		{"{\"email\":\"a@b.co\",\"password\":\"12345678\",\"age\":1.5,"
		 "\"extra\":[1]}",
		 200,
		 "{\"email\":\"a@b.co\",\"password\":\"12345678\",\"firstName\":"
		 "null,\"age\":\"1.5\"}",
		 "unknown members ignored, 1.5 as text"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		post_json("/api/v1/echo", cases[i].body);
		ok(resp_status(cases[i].status), "%d: %s", cases[i].status,
		   cases[i].name);
		is_str(resp_body(), cases[i].want, "  body");
	}
	{
		/* Field caps: 1024 bytes for text, 1024 for passwords. */
		char *body = ptl_mem_xmalloc(4096);
		const char *want;

		(void)snprintf(body, 4096,
			       "{\"email\":\"a@b.co\",\"password\":\"%01025d\","
			       "\"firstName\":\"%01025d\"}",
			       0, 0);
		post_json("/api/v1/echo", body);
		want = "{\"status\":422,\"errors\":{\"password\":\"password must "
		       "be shorter than or equal to 1024 characters\","
		       "\"firstName\":\"firstName must be shorter than or equal "
		       "to 1024 characters\"}}";
		ok(resp_status(422), "1025-byte values: 422");
		is_str(resp_body(), want, "  body");
		free(body);
	}
}

static void
test_headers(void)
{
	static const char *const security[] = {
		"Cross-Origin-Opener-Policy: same-origin",
		"Cross-Origin-Resource-Policy: cross-origin",
		"Origin-Agent-Cluster: ?1",
		"Referrer-Policy: no-referrer",
		"Strict-Transport-Security: max-age=31536000; includeSubDomains",
		"X-Content-Type-Options: nosniff",
		"X-DNS-Prefetch-Control: off",
		"X-Download-Options: noopen",
		"X-Frame-Options: SAMEORIGIN",
		"X-Permitted-Cross-Domain-Policies: none",
		"X-XSS-Protection: 0",
	};
	static const char *const uris[] = {"/api/v1/ping", "/nowhere"};
	const char *v;
	size_t i, j;

	for (j = 0; j < 2; j++) {
		bool all = true;

		get("GET", uris[j]);
		for (i = 0; i < sizeof(security) / sizeof(security[0]); i++) {
			if (!resp_has(security[i])) {
				all = false;
				diag("missing %s", security[i]);
			}
		}
		ok(all, "security headers on GET %s", uris[j]);
		ok(resp_has("Cache-Control: no-store") &&
			   resp_has("Pragma: no-cache") &&
			   resp_has("Access-Control-Allow-Origin: *") &&
			   resp_has("Content-Type: application/json; "
				    "charset=utf-8"),
		   "  cache, CORS and type headers");
		v = resp_header("Content-Length");
		ok(v != NULL && resp_body() != NULL &&
			   (size_t)atoi(v) == strlen(resp_body()),
		   "  Content-Length is the body length");
		v = resp_header("X-Request-Id");
		ok(v != NULL && strlen(v) == 16, "  16-character request id");
	}

	get("GET", "/api/v1/ping");
	is_str(resp_body(), "{\"ok\":true}", "GET body");
	get("HEAD", "/api/v1/ping");
	ok(resp_status(200) && resp_has("Content-Length: 11"),
	   "HEAD: 200 with the GET length");
	is_str(resp_body(), "", "HEAD: no body");

	get("DELETE", "/api/v1/gone");
	ok(resp_status(204) && resp_has("Status: 204 No Content") &&
		   resp_has("Content-Length: 0") &&
		   resp_header("Content-Type") == NULL,
	   "204: no type, length 0");
	is_str(resp_body(), "", "  no body");

	{
		const char *vars[] = {
			"REQUEST_METHOD", "OPTIONS", "REQUEST_URI", "/anything",
			"HTTP_ORIGIN", "https://app.example",
			"HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
			"content-type,authorization", NULL};

		serve(&ep, vars, NULL, 0);
		ok(resp_status(204), "preflight: 204 on any path");
		ok(resp_has("Access-Control-Allow-Origin: *") &&
			   resp_has("Access-Control-Allow-Methods: "
				    "GET,HEAD,PUT,PATCH,POST,DELETE") &&
			   resp_has("Access-Control-Allow-Headers: "
				    "content-type,authorization") &&
			   resp_has("Vary: Access-Control-Request-Headers") &&
			   resp_has("Content-Length: 0") &&
			   resp_has("X-Frame-Options: SAMEORIGIN"),
		   "  CORS and security headers");
		ok(resp_header("Cache-Control") == NULL &&
			   resp_header("Content-Type") == NULL,
		   "  no cache or type header");
		is_str(resp_body(), "", "  no body");
	}
	{
		const char *saved = app.cfg.cors_origins;
		const char *good[] = {"REQUEST_METHOD", "OPTIONS", "REQUEST_URI",
				      "/x", "HTTP_ORIGIN", "https://b.example",
				      NULL};
		const char *bad[] = {"REQUEST_METHOD", "GET", "REQUEST_URI",
				     "/api/v1/ping", "HTTP_ORIGIN",
				     "https://evil.example", NULL};

		app.cfg.cors_origins = "https://a.example, https://b.example";
		serve(&ep, good, NULL, 0);
		ok(resp_has("Access-Control-Allow-Origin: https://b.example") &&
			   resp_has("Vary: Origin, Access-Control-Request-Headers"),
		   "listed origin echoed on preflight");
		serve(&ep, bad, NULL, 0);
		ok(resp_status(200) &&
			   resp_header("Access-Control-Allow-Origin") == NULL &&
			   resp_has("Vary: Origin"),
		   "unlisted origin: no CORS header");
		app.cfg.cors_origins = saved;
	}
}

static void
test_paths(void)
{
	static const struct {
		const char *uri, *want;
	} cases[] = {
		{"/api/v1/ping/", "{\"ok\":true}"},
		{"/API/V1/PING", "{\"ok\":true}"},
		{"/Api/v1/Ping/?x=1", "{\"ok\":true}"},
		{"/api/v1/items/42", "{\"id\":\"42\"}"},
		{"/api/v1/items/42/", "{\"id\":\"42\"}"},
		{"/API/v1/ITEMS/AbC", "{\"id\":\"AbC\"}"},
		{"/api/v1/items/42?x=/y", "{\"id\":\"42\"}"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get("GET", cases[i].uri);
		ok(resp_status(200), "GET %s", cases[i].uri);
		is_str(resp_body(), cases[i].want, "  body");
	}
	{
		const char *vars[] = {"REQUEST_METHOD", "GET", "SCRIPT_NAME",
				      "/api/v1/ping", NULL};

		serve(&ep, vars, NULL, 0);
		ok(resp_status(200), "SCRIPT_NAME when REQUEST_URI is missing");
	}
}

static void
test_bearer(void)
{
	static const struct {
		const char *header; /* NULL: none */
		const char *want;   /* the bearer seen, NULL: 401 */
	} cases[] = {
		{"Bearer abc.def.ghi", "abc.def.ghi"},
		{"bearer abc", "abc"},
		{"BEARER    abc   ", "abc"},
		{"Bearer x", "x"},
		{NULL, NULL},
		{"", NULL},
		{"Bearer", NULL},
		{"Bearer ", NULL},
		{"Bearer      ", NULL},
		{"Basic YWxhZGRpbjpvcGVuc2VzYW1l", NULL},
		{"Bearerabc", NULL},
		{"Bearer\tabc", NULL},
		{"Bearers abc", NULL},
	};
	size_t i;
	char *huge;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *vars[] = {"REQUEST_METHOD", "POST", "REQUEST_URI",
				      "/api/v1/refresh", "REMOTE_ADDR", "::1",
				      cases[i].header != NULL
					      ? "HTTP_AUTHORIZATION"
					      : NULL,
				      cases[i].header, NULL};

		serve(&ep, vars, NULL, 0);
		if (cases[i].want == NULL) {
			ok(resp_status(401), "401 for '%s'",
			   cases[i].header != NULL ? cases[i].header : "(none)");
			is_str(resp_body(),
			       "{\"message\":\"Unauthorized\",\"statusCode\":401}",
			       "  body");
		} else {
			char *want = ptl_mem_printf(arena, "{\"bearer\":\"%s\"}",
						    cases[i].want);

			ok(resp_status(200), "accepted: '%s'", cases[i].header);
			is_str(resp_body(), want, "  token");
		}
	}
	huge = ptl_mem_xmalloc(9001);
	memcpy(huge, "Bearer ", 7);
	memset(huge + 7, 'a', 9000 - 7);
	huge[9000] = '\0';
	with_auth("POST", "/api/v1/refresh", huge);
	ok(resp_status(401), "9000-byte Authorization: 401");
	huge[8192] = '\0';
	with_auth("POST", "/api/v1/refresh", huge);
	ok(resp_status(200), "8192-byte Authorization: accepted");
	free(huge);
}

static void
test_access(void)
{
	int64_t user = fix_user(&app, "ep@example.com", NULL, "email", 2);
	int64_t sid = 0, expires;
	char *hash, *tok = NULL, *auth;
	const char *want;
	struct ptl_arena *keep = ptl_mem_new();

	if (!ok(user > 0 &&
			ptl_session_create(keep, &app, user, "UA", "::1",
					   FIX_NOW_MS, &sid, &hash) == PTL_OK &&
			ptl_token_access_issue(keep, &app, user, 2, true, sid,
					       FIX_NOW_MS, &tok,
					       &expires) == PTL_OK,
		"user, session, access token"))
		goto out;
	auth = ptl_mem_printf(keep, "Bearer %s", tok);
	with_auth("GET", "/api/v1/me", auth);
	want = ptl_mem_printf(keep, "{\"user\":%lld,\"session\":%lld}",
			      (long long)user, (long long)sid);
	ok(resp_status(200), "access route with a live token");
	is_str(resp_body(), want, "  user and session set");
	with_auth("GET", "/api/v1/me", "Bearer not.a.token");
	ok(resp_status(401), "garbage token: 401");
	get("GET", "/api/v1/me");
	ok(resp_status(401), "no token: 401");
	{
		/* 401 wins over 422 on authenticated routes. */
		const char *vars[] = {JSON_POST("/api/v1/me", "2"), NULL};

		vars[1] = "PATCH";
		serve(&ep, vars, "{}", 2);
		ok(resp_status(401), "no token and invalid body: 401 first");
	}
	{
		const char *vars[] = {JSON_POST("/api/v1/me", "2"),
				      "HTTP_AUTHORIZATION", auth, NULL};

		vars[1] = "PATCH";
		serve(&ep, vars, "{}", 2);
		ok(resp_status(422), "token and invalid body: 422");
		is_str(resp_body(),
		       "{\"status\":422,\"errors\":{\"name\":\"custom: name is "
		       "required\"}}",
		       "  custom message");
	}
	app.fake_now_ms = FIX_NOW_MS + 900000;
	with_auth("GET", "/api/v1/me", auth);
	ok(resp_status(401), "expired token (fake clock): 401");
	app.fake_now_ms = FIX_NOW_MS;
	ok(ptl_session_revoke(&app, sid, "logout", FIX_NOW_MS) == PTL_OK,
	   "end the session");
	with_auth("GET", "/api/v1/me", auth);
	ok(resp_status(401), "token of an ended session: 401");
	app.cfg.session_check = false;
	with_auth("GET", "/api/v1/me", auth);
	ok(resp_status(200), "  accepted with AUTH_SESSION_CHECK=false");
	app.cfg.session_check = true;
out:
	ptl_mem_free(keep);
}

static void
test_unavailable_and_limits(void)
{
	struct ptl_db *db = app.db;
	unsigned saved = app.cfg.rl_ip;
	const char *vars[] = {"REQUEST_METHOD", "POST", "REQUEST_URI",
			      "/api/v1/limited", "REMOTE_ADDR", "203.0.113.9",
			      NULL};
	const char *other[] = {"REQUEST_METHOD", "POST", "REQUEST_URI",
			       "/api/v1/limited", "REMOTE_ADDR", "203.0.113.10",
			       NULL};

	app.db = NULL;
	get("GET", "/api/v1/ping");
	ok(resp_status(503), "no database: 503");
	is_str(resp_body(),
	       "{\"statusCode\":503,\"message\":\"Service Unavailable\"}",
	       "  body");
	ok(resp_has("Retry-After: 10"), "  Retry-After: 10");
	app.db_err = PTL_ERR_DB_REPLACED;
	get("GET", "/api/v1/ping");
	ok(resp_status(503) && resp_has("Retry-After: 10"),
	   "file moved away (db_err): 503, Retry-After");
	get("GET", "/api/v1/probe");
	ok(resp_status(200), "no database, a PTL_AUTH_PROBE route: its handler");
	is_str(resp_body(), "{\"db\":false}", "  which sees no database");
	app.db_err = PTL_OK;
	get("GET", "/nowhere");
	ok(resp_status(404), "no database, unknown route: still 404");
	app.db = db;
	get("POST", "/api/v1/full");
	ok(resp_status(503), "a storage fault (PTL_ERR_DB_FULL): 503");
	is_str(resp_body(),
	       "{\"statusCode\":503,\"message\":\"Service Unavailable\"}",
	       "  body");
	ok(resp_has("Retry-After: 10"), "  Retry-After: 10");
	get("GET", "/api/v1/own-retry");
	ok(resp_status(503) && resp_has("retry-after: 30") &&
		   strstr(m.out, "Retry-After: 10") == NULL,
	   "a handler's own Retry-After on a 503: only its own");

	app.cfg.rl_ip = 2;
	serve(&ep, vars, NULL, 0);
	ok(resp_status(200), "limited route, hit 1");
	serve(&ep, vars, NULL, 0);
	ok(resp_status(200), "  hit 2");
	serve(&ep, vars, NULL, 0);
	ok(resp_status(429) && resp_has("Status: 429 Too Many Requests"),
	   "  hit 3: 429");
	is_str(resp_body(), "{\"statusCode\":429,\"message\":\"Too Many "
			    "Requests\"}",
	       "  body");
	{
		const char *ra = resp_header("Retry-After");
		/* The window opened at the first hit, at the fixed clock. */
		ok(ra != NULL && atoll(ra) == 300,
		   "  Retry-After: seconds to the end of the 5-minute window");
	}
	serve(&ep, other, NULL, 0);
	ok(resp_status(200), "another address is not limited");
	app.cfg.rl_ip = saved;
}

static void
test_client_ip(void)
{
	static const struct {
		const char *remote, *xff, *want;
	} cases[] = {
		{"10.0.0.1", "1.2.3.4", "1.2.3.4"},
		{"10.0.0.1", "9.9.9.9, 1.2.3.4", "1.2.3.4"},
		{"10.0.0.1", "1.2.3.4, 10.0.0.2", "1.2.3.4"},
		{"10.0.0.1", "1.2.3.4,10.0.0.2 ,  ", "1.2.3.4"},
		{"10.0.0.1", "10.0.0.2", "10.0.0.1"},
		{"10.0.0.1", "", "10.0.0.1"},
		{"198.51.100.7", "1.2.3.4", "198.51.100.7"},
		{"10.0.0.1", NULL, "10.0.0.1"},
	};
	const char *saved = app.cfg.trusted_proxies;
	size_t i;

	app.cfg.trusted_proxies = "10.0.0.1, 10.0.0.2";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *vars[] = {"REQUEST_METHOD", "GET", "REQUEST_URI",
				      "/api/v1/who", "REMOTE_ADDR", cases[i].remote,
				      cases[i].xff != NULL ? "HTTP_X_FORWARDED_FOR"
							   : NULL,
				      cases[i].xff, NULL};
		char want[128];

		/* Not in the arena: serve() resets it. */
		(void)snprintf(want, sizeof(want),
			       "{\"ip\":\"%s\",\"a\":null,\"b\":null}",
			       cases[i].want);

		serve(&ep, vars, NULL, 0);
		is_str(resp_body(), want, "client address");
		diag("REMOTE_ADDR %s, X-Forwarded-For '%s'", cases[i].remote,
		     cases[i].xff != NULL ? cases[i].xff : "(none)");
	}
	app.cfg.trusted_proxies = saved;
	{
		const char *vars[] = {"REQUEST_METHOD", "GET", "REQUEST_URI",
				      "/api/v1/who?a=x%20y&b", "QUERY_STRING",
				      "aa=0&a=x%20y&b", NULL};

		serve(&ep, vars, NULL, 0);
		is_str(resp_body(), "{\"ip\":\"-\",\"a\":\"x y\",\"b\":\"\"}",
		       "query parameters decoded; no REMOTE_ADDR is -");
	}
}

/* ---- caps: no answer ends in an abort (issue 9) ---------------------------- */

#define FIXED_500 "{\"statusCode\":500,\"message\":\"Internal server error\"}"

/* A body of exactly n bytes: a JSON string of n - 2 letters. */
static void
body_of(struct ptl_resp *resp, size_t n)
{
	char chunk[4096];
	size_t left = n - 2;

	memset(chunk, 'a', sizeof(chunk));
	ptl_buf_addc(&resp->body, '"');
	while (left > 0) {
		size_t k = left < sizeof(chunk) ? left : sizeof(chunk);

		ptl_buf_add(&resp->body, chunk, k);
		left -= k;
	}
	ptl_buf_addc(&resp->body, '"');
}

/* The largest body the code allows, plus a handler's extra headers. */
static enum ptl_err
h_full(struct ptl_req *req, struct ptl_resp *resp)
{
	(void)req;
	body_of(resp, PTL_RESP_BODY_MAX);
	ptl_buf_adds(&resp->headers, "X-Extra: 1\r\n");
	return PTL_OK;
}

static enum ptl_err
h_over(struct ptl_req *req, struct ptl_resp *resp)
{
	(void)req;
	body_of(resp, PTL_RESP_BODY_MAX + 1);
	return PTL_OK;
}

static enum ptl_err
h_headers(struct ptl_req *req, struct ptl_resp *resp)
{
	int i;

	(void)req;
	ptl_buf_adds(&resp->body, "{}");
	for (i = 0; i < 2000; i++)
		ptl_buf_adds(&resp->headers, "X-Many: 0123456789\r\n");
	return PTL_OK;
}

#define REQ20(n) {n, 0, {PTL_RULE_NOT_EMPTY}, NULL}
static const struct ptl_field twenty_fields[] = {
	REQ20("f01"), REQ20("f02"), REQ20("f03"), REQ20("f04"), REQ20("f05"),
	REQ20("f06"), REQ20("f07"), REQ20("f08"), REQ20("f09"), REQ20("f10"),
	REQ20("f11"), REQ20("f12"), REQ20("f13"), REQ20("f14"), REQ20("f15"),
	REQ20("f16"), REQ20("f17"), REQ20("f18"), REQ20("f19"), REQ20("f20"),
};

static const struct ptl_route cap_routes[] = {
	{"GET", "/api/v1/full", PTL_AUTH_NONE, PTL_NO_FIELDS, h_full,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/over", PTL_AUTH_NONE, PTL_NO_FIELDS, h_over,
	 PTL_BUCKET_NONE},
	{"GET", "/api/v1/headers", PTL_AUTH_NONE, PTL_NO_FIELDS, h_headers,
	 PTL_BUCKET_NONE},
	{"POST", "/api/v1/twenty", PTL_AUTH_NONE, PTL_FIELDS(twenty_fields),
	 h_ping, PTL_BUCKET_NONE},
	{"GET", "/api/v1/ping", PTL_AUTH_NONE, PTL_NO_FIELDS, h_ping,
	 PTL_BUCKET_NONE},
};

static const struct ptl_endpoint ep_caps = {"caps", PTL_ROUTES(cap_routes)};

static const char *
get_caps(const char *method, const char *uri)
{
	const char *vars[] = {"REQUEST_METHOD", method, "REQUEST_URI", uri,
			      "REMOTE_ADDR", "127.0.0.1", NULL};

	return serve(&ep_caps, vars, NULL, 0);
}

/* The security headers of API.md §9.2 are all there. */
static bool
has_security_headers(void)
{
	return resp_has("X-Frame-Options: SAMEORIGIN") &&
	       resp_has("X-Content-Type-Options: nosniff") &&
	       resp_has("Referrer-Policy: no-referrer") &&
	       resp_has("Strict-Transport-Security: max-age=31536000; "
			"includeSubDomains") &&
	       resp_has("Cross-Origin-Opener-Policy: same-origin");
}

static const char *
post_caps_empty(void)
{
	const char *vars[] = {JSON_POST("/api/v1/twenty", "2"), NULL};

	return serve(&ep_caps, vars, "{}", 2);
}

/* Before issue 9 an answer past its cap was an assertion abort: this
 * whole test program died there. */
static void
test_caps(void)
{
	const char *b;

	/* A body at the cap has room for the headers on top. */
	get_caps("GET", "/api/v1/full");
	b = resp_body();
	ok(resp_status(200) && b != NULL &&
		   strlen(b) == (size_t)PTL_RESP_BODY_MAX && b[0] == '"' &&
		   b[PTL_RESP_BODY_MAX - 1] == '"',
	   "a body of exactly PTL_RESP_BODY_MAX: 200, all of it");
	is_str(resp_header("Content-Length"),
	       ptl_mem_printf(arena, "%d", PTL_RESP_BODY_MAX),
	       "  Content-Length of the whole body");
	ok(resp_has("X-Extra: 1") && has_security_headers(),
	   "  with the security headers and the handler's own");

	/* One byte more: a clean 500, logged, never an abort. */
	get_caps("GET", "/api/v1/over");
	ok(resp_status(500), "a body past PTL_RESP_BODY_MAX: 500");
	is_str(resp_body(), FIXED_500, "  the JSON body of a 500");
	ok(has_security_headers() && resp_has("Cache-Control: no-store") &&
		   resp_has("Content-Type: application/json; charset=utf-8"),
	   "  with the security headers");
	is_str(resp_header("Content-Length"), "52", "  Content-Length");
	is_int(m.writes, 1, "  written at once");
	get_caps("HEAD", "/api/v1/over");
	ok(resp_status(500) && resp_body() != NULL && *resp_body() == '\0',
	   "  HEAD: the 500 without a body");

	get_caps("GET", "/api/v1/headers");
	ok(resp_status(500), "extra headers past PTL_RESP_EXTRA_MAX: 500");
	is_str(resp_body(), FIXED_500, "  the JSON body of a 500");
	ok(strstr(m.out, "X-Many") == NULL, "  none of the handler's headers");

	/* More failing fields than the 422 holds: a clean 422 with the first
	 * PTL_RESP_MAX_ERRORS. */
	post_caps_empty();
	ok(resp_status(422), "20 failing fields: 422");
	ok(strstr(resp_body(), "\"f16\":\"f16 should not be empty\"}}") !=
		   NULL &&
		   strstr(resp_body(), "\"f17\"") == NULL,
	   "  the first 16 errors, the rest left out");

	/* The process is still serving. */
	get_caps("GET", "/api/v1/ping");
	ok(resp_status(200) && strcmp(resp_body(), "{\"ok\":true}") == 0,
	   "the next request is served");
}

/* The web server's own errors, handed to its error handler with
 * REDIRECT_STATUS (lighttpd's server.error-handler, API.md §9.2). */
static void
test_server_errors(void)
{
	static const struct {
		const char *status;
		const char *line;
		const char *body;
	} cases[] = {
	    {"400", "Status: 400 Bad Request",
	     "{\"message\":\"Bad Request\",\"error\":\"Bad Request\","
	     "\"statusCode\":400}"},
	    {"404", "Status: 404 Not Found",
	     "{\"statusCode\":404,\"message\":\"Not Found\"}"},
	    {"413", "Status: 413 Payload Too Large",
	     "{\"statusCode\":413,\"message\":\"request entity too large\"}"},
	    {"431", "Status: 431 Request Header Fields Too Large",
	     "{\"statusCode\":431,\"message\":\"Request Header Fields Too "
	     "Large\"}"},
	    {"501", "Status: 501 Not Implemented",
	     "{\"statusCode\":501,\"message\":\"Not Implemented\"}"},
	    {"503", "Status: 503 Service Unavailable",
	     "{\"statusCode\":503,\"message\":\"Service Unavailable\"}"},
	    {"418", "Status: 418 Client Error",
	     "{\"statusCode\":418,\"message\":\"Client Error\"}"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* lighttpd: the original request's URI, the method GET. */
		const char *vars[] = {"REQUEST_METHOD", "GET", "REQUEST_URI",
				      "/api/v1/auth/email/login",
				      "REDIRECT_STATUS", cases[i].status,
				      "REDIRECT_URI", "/api/_error",
				      "REMOTE_ADDR", "127.0.0.1", NULL};

		serve(&ep, vars, NULL, 0);
		ok(strncmp(m.out, cases[i].line, strlen(cases[i].line)) == 0,
		   "REDIRECT_STATUS %s: %s", cases[i].status, cases[i].line);
		is_str(resp_body(), cases[i].body, "  its JSON body");
		ok(has_security_headers() &&
			   resp_has("Content-Type: application/json; "
				    "charset=utf-8") &&
			   resp_has("Cache-Control: no-store"),
		   "  with the headers of every answer");
		ok(resp_header("X-Request-Id") == NULL,
		   "  but no X-Request-Id: not an answer of the app's");
	}
	{
		const char *vars[] = {"REQUEST_METHOD", "GET", "REQUEST_URI",
				      "/api/v1/ping", "REDIRECT_STATUS", "200",
				      NULL};

		serve(&ep, vars, NULL, 0);
		ok(resp_status(200) &&
			   strcmp(resp_body(), "{\"ok\":true}") == 0 &&
			   resp_header("X-Request-Id") != NULL,
		   "REDIRECT_STATUS 200 (every lighttpd request): served");
	}
	{
		const char *bad[] = {"399", "600", "4O4", "-404", "", " 404"};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			const char *vars[] = {"REQUEST_METHOD", "GET",
					      "REQUEST_URI", "/api/v1/ping",
					      "REDIRECT_STATUS", bad[i], NULL};

			serve(&ep, vars, NULL, 0);
			ok(resp_status(200), "REDIRECT_STATUS '%s': ignored",
			   bad[i]);
		}
	}
	{
		const char *vars[] = {"REQUEST_METHOD", "HEAD", "REQUEST_URI",
				      "/", "REDIRECT_STATUS", "431", NULL};

		serve(&ep, vars, NULL, 0);
		ok(strncmp(m.out, "Status: 431 ", 12) == 0 &&
			   *resp_body() == '\0',
		   "HEAD: the status without a body");
	}
}

int
main(void)
{
	fix_app_open(&app);
	arena = ptl_mem_new();
	memio_init(&m, OUT_MAX - 1);
	m.read_max = 7;
	test_not_found();
	test_limits();
	test_bad_json();
	test_validation();
	test_headers();
	test_paths();
	test_bearer();
	test_access();
	test_unavailable_and_limits();
	test_client_ip();
	test_caps();
	test_server_errors();
	ptl_mem_free(arena);
	memio_free(&m);
	fix_app_close(&app);
	return done();
}
