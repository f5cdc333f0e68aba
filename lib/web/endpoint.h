/* SPDX-License-Identifier: ISC */
/*
 * endpoint: the glue every cgi-bin executable runs, and the one header it
 * includes. An executable declares its routes (method, path, auth level,
 * field table, rate-limit bucket, handler); this module matches the
 * request to a route and runs the checks in their order (API.md §0): route
 * (404, before anything is read), body (413, 400), CSRF of a form post
 * (403), database (503), per-IP limit (429), CSRF of a cookie-authenticated
 * write (403), fields (422) and the bearer token with its session (401,
 * which wins over 422 on authenticated routes), then the handler. A
 * request the web server hands to its error handler (REDIRECT_STATUS
 * 400-599) is answered with that error before anything else. It also
 * holds the accept loop. Reading the request is req.h's, the answer
 * resp.h's, field validation field.h's, form posts form.h's.
 */
#ifndef PTL_ENDPOINT_H
#define PTL_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "adapters/fcgi.h"
#include "base/err.h"
#include "base/mem.h"
#include "domain/app.h"
#include "web/field.h"
#include "web/req.h"
#include "web/resp.h"

enum ptl_auth {
	PTL_AUTH_NONE,
	PTL_AUTH_ACCESS,  /* a live access token; sets req->user_id/session_id */
	PTL_AUTH_REFRESH, /* a bearer is required; the handler verifies it */
	/* As PTL_AUTH_NONE, and the handler also runs when the database
	 * could not be opened (req->app->db NULL, req->app->db_err why):
	 * health, which names the fault. Every other route answers that
	 * fault's 503 before its handler. */
	PTL_AUTH_PROBE,
	PTL_AUTH_ADMIN,   /* PTL_AUTH_ACCESS, and the caller's role as the
			   * database has it now is Admin (403 otherwise,
			   * before the fields' 422; API.md §10.24) */
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
#define PTL_ROUTES(r) (r), (sizeof(r) / sizeof((r)[0]))

/*
 * Serves one request from t. app may have no database (it failed to open):
 * then every route answers 503. Everything is allocated in a, which the
 * caller resets afterwards. Mails the request queued are left in app for
 * the caller to deliver once the answer is out
 * (ptl_outbox_deliver_deferred()).
 */
void ptl_endpoint_serve(struct ptl_app *app, const struct ptl_endpoint *ep,
			struct ptl_transport *t, struct ptl_arena *a);

/* Ends the request on conn (ptl_fcgi_finish()), then delivers the mails
 * it queued (domain/outbox.h), with SIGTERM held off meanwhile (Apache's
 * mod_cgi sends it once the answer is out). Also used by web/page.c. */
void ptl_endpoint_finish(struct ptl_app *app, struct ptl_arena *a,
			 struct ptl_fcgi *conn) __attribute__((nonnull));

/* One request of an accept loop: answers t with what ctx declares. */
typedef void ptl_endpoint_serve_fn(struct ptl_app *app, const void *ctx,
				   struct ptl_transport *t,
				   struct ptl_arena *a);

/* The FastCGI (or, when not started by a FastCGI server, CGI) main loop of
 * an executable: initialises the app once, then serves until the server
 * closes the socket. Before each request it checks the database file
 * (ptl_app_check_db(): a file moved or replaced is never written to) and
 * reopens a lost database; serve() answers; after the answer is out
 * (ptl_endpoint_finish()) it delivers the mails the request queued
 * (domain/outbox.h), then accepts the next request. name is the
 * executable's, for the log. Returns the process exit status. Shared by
 * ptl_endpoint_main() and the pages' ptl_page_main() (web/page.h). */
int ptl_endpoint_loop(const char *name, ptl_endpoint_serve_fn *serve,
		      const void *ctx) __attribute__((nonnull(1, 2)));

/* ptl_endpoint_loop() with ptl_endpoint_serve() of ep. */
int ptl_endpoint_main(const struct ptl_endpoint *ep);

#endif
