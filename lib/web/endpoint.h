/* SPDX-License-Identifier: ISC */
/*
 * endpoint: the glue every cgi-bin executable runs. An executable declares
 * its routes (method, path, auth level, field table, handler); this module
 * reads the request, enforces the size limits before allocating, parses and
 * validates the body against the field table (API.md §0.1), checks the
 * bearer token and its session, calls the handler and turns its result into
 * the response shapes of API.md §0. Handlers see only validated values.
 */
#ifndef PTL_ENDPOINT_H
#define PTL_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "web/http.h"

enum ptl_auth {
	PTL_AUTH_NONE,
	PTL_AUTH_ACCESS,  /* a live access token; sets req->user_id/session_id */
	PTL_AUTH_REFRESH, /* a bearer is required; the handler verifies it */
};

/* Checks of a field, run in the order listed (API.md §0.1). */
enum ptl_rule {
	PTL_RULE_END = 0,
	PTL_RULE_NOT_EMPTY, /* "<p> should not be empty" (or the custom msg) */
	PTL_RULE_EMAIL,     /* "<p> must be an email" */
	PTL_RULE_PASSWORD,  /* AUTH_PASSWORD_MIN_LENGTH .. 1024 bytes */
};

#define PTL_FIELD_OPTIONAL 0x1 /* IsOptional: null or absent skips checks */
#define PTL_FIELD_EMAIL 0x2    /* lower-case + trim before the checks */
#define PTL_FIELD_NUMBER 0x4   /* a JSON number is taken as its text */
#define PTL_FIELD_ANY 0x8      /* any JSON type; the handler reads req->json */
#define PTL_FIELD_TRIM 0x10    /* surrounding white space removed (hashes) */

struct ptl_field {
	const char *name;
	unsigned flags;
	enum ptl_rule rules[3];
	const char *custom_msg; /* replaces the NOT_EMPTY message */
};

/* Which per-IP rate limit a route counts against (API.md §10.7). */
enum ptl_bucket {
	PTL_BUCKET_NONE,
	PTL_BUCKET_LOGIN, /* AUTH_RATE_LOGIN_IP per 5 min */
	PTL_BUCKET_IP,    /* AUTH_RATE_IP per 5 min: register, forgot, ... */
};

typedef enum ptl_err (*ptl_handler)(struct ptl_req *req, struct ptl_resp *resp);

struct ptl_route {
	const char *method;
	const char *path; /* may end in "/{id}": one segment, in req->param */
	enum ptl_auth auth;
	const struct ptl_field *fields;
	size_t nfields;
	ptl_handler handle;
	enum ptl_bucket bucket;
};

struct ptl_endpoint {
	const char *name;
	const struct ptl_route *routes;
	size_t nroutes;
};

#define PTL_FIELDS(f) (f), (sizeof(f) / sizeof((f)[0]))
#define PTL_NO_FIELDS NULL, 0

/*
 * Serves one request from t. app may have no database (it failed to open):
 * then every route answers 503. Everything is allocated in a, which the
 * caller resets afterwards.
 */
void ptl_endpoint_serve(struct ptl_app *app, const struct ptl_endpoint *ep,
			struct ptl_transport *t, struct ptl_arena *a);

/* The FastCGI (or, when not started by a FastCGI server, CGI) main loop of
 * an executable: initialises the app once, then serves until the server
 * closes the socket. Returns the process exit status. */
int ptl_endpoint_main(const struct ptl_endpoint *ep);

#endif
