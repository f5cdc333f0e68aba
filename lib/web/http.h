/* SPDX-License-Identifier: ISC */
/*
 * http: the request and response of one CGI/FastCGI exchange, independent of
 * the transport. A transport (fcgi.c, or a memory buffer in tests) supplies
 * the CGI variables (RFC 3875 §4.1), the body and a writer. The response is
 * assembled in the arena and written once, with the security headers of
 * API.md §9.2 and CORS of §9.1 on every answer.
 */
#ifndef PTL_HTTP_H
#define PTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/fcgi.h"
#include "domain/app.h"
#include "base/mem.h"
#include "base/buf.h"
#include "base/str.h"


struct ptl_json;
struct ptl_user;
struct ptl_value {
	bool present; /* in the body, and not null */
	const char *s; /* the value as text (numbers converted); NULL if null */
	size_t len;
};

struct ptl_req {
	struct ptl_arena *arena;
	struct ptl_app *app;
	char id[17];           /* request id for the logs */
	int64_t now_ms;
	const char *method;    /* as sent */
	const char *path;      /* REQUEST_URI without the query, as sent */
	size_t path_len;
	const char *query;     /* QUERY_STRING, "" if none */
	const char *param;     /* the {id} segment of the route, if any */
	const char *ip;        /* client address (TRUSTED_PROXIES aware) */
	const char *user_agent;
	const char *origin;
	const char *content_type;
	const char *body;
	size_t body_len;
	struct ptl_json *json; /* the parsed body (object), or NULL */
	struct ptl_value *vals; /* validated fields, in route field order */
	const char *bearer;    /* the token of "Authorization: Bearer" */
	const char *cookies;   /* the Cookie header */
	const char *accept;
	const char *referer;
	const char *host;      /* HTTP_HOST */
	bool form;             /* an application/x-www-form-urlencoded body */
	bool browser;          /* a form post that prefers text/html: 303s */
	bool cookie_auth;      /* the token came from a cookie */
	int64_t user_id;       /* from the access token */
	int64_t session_id;
	struct ptl_user *user; /* loaded by the session check, or NULL */
	bool head;             /* HEAD: answer without a body */
};

struct ptl_field_error {
	const char *field;
	const char *msg;
};

#define PTL_RESP_MAX_ERRORS 16

struct ptl_resp {
	int status;            /* for PTL_OK: 200 (default) or 204 */
	struct ptl_buf body;   /* JSON for PTL_OK */
	struct ptl_buf headers; /* extra header lines, each ending in CRLF */
	/* 422 errors, in field order (API.md §0.1). */
	struct ptl_field_error errors[PTL_RESP_MAX_ERRORS];
	size_t nerrors;
	const char *message;   /* 400 message */
	int retry_after_s;     /* 429 */
	/* Tokens for the cookies of a browser form post (API.md §10.10). */
	const char *set_access;
	const char *set_refresh;
	bool clear_cookies;    /* logout: expire both cookies */
};

/* Adds (or extends, joining with ", ") the 422 error of field. */
void ptl_resp_error(struct ptl_resp *resp, const char *field, const char *msg);

/* The value of query parameter name (percent-decoded, arena-owned), or
 * NULL. */
const char *ptl_req_query(struct ptl_req *req, const char *name);

#endif
