/* SPDX-License-Identifier: ISC */
/*
 * endpoint: see endpoint.h. run() is the order of the checks; each check
 * lives in the module of its concern and only the order is decided here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include "adapters/db.h"
#include "base/log.h"
#include "domain/account.h"
#include "domain/audit.h"
#include "domain/i18n.h"
#include "domain/outbox.h"
#include "domain/ratelimit.h"
#include "domain/token.h"
#include "domain/users.h"
#include "web/endpoint.h"
#include "web/form.h"

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

/* Whether the route declares a file field: only then is a multipart body
 * of an upload's size read (API.md §9.11). */
static bool
takes_file(const struct ptl_route *r)
{
	size_t i;

	for (i = 0; i < r->nfields; i++) {
		if (r->fields[i].flags & PTL_FIELD_FILE)
			return true;
	}
	return false;
}

/* --- authentication ---------------------------------------------------- */

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
	if (r->auth == PTL_AUTH_ADMIN)
		return ptl_users_authorize(req->app, acc.user_id);
	return PTL_OK;
}

/* The token of an authenticated route: the Authorization header, else the
 * route's cookie; a write authenticated by a cookie must pass the CSRF
 * check (API.md §10.10). */
static enum ptl_err
credentials(struct ptl_req *req, const struct ptl_route *r,
	    struct ptl_transport *t)
{
	if (r->auth == PTL_AUTH_NONE)
		return PTL_OK;
	ptl_req_read_bearer(req, t,
			    r->auth == PTL_AUTH_REFRESH ? PTL_COOKIE_REFRESH
							: PTL_COOKIE_ACCESS);
	if (req->cookie_auth && !req->form && !req->head &&
	    strcmp(req->method, "GET") != 0)
		return ptl_form_csrf(req);
	return PTL_OK;
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
	req->takes_file = takes_file(r);
	e = ptl_req_read_body(req, t, &resp->message);
	ptl_form_detect(req);
	if (e == PTL_OK && req->form)
		e = ptl_form_csrf(req);
	if (e != PTL_OK)
		return e;
	if (r->auth == PTL_AUTH_PROBE)
		return r->handle(req, resp); /* no fields, no token, no limit */
	if (req->app->db == NULL)
		return req->app->db_err != PTL_OK ? req->app->db_err
						  : PTL_ERR_UNAVAILABLE;
	e = limit(req, resp, r);
	if (e == PTL_OK)
		e = credentials(req, r, t);
	if (e != PTL_OK)
		return e;
	e = ptl_field_validate(req, resp, r->fields, r->nfields);
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
	req.arena = a;
	req.app = app;
	ptl_req_read(&req, t);
	ptl_log_set_request(req.id);
	ptl_resp_init(&resp, a);
	if (req.server_status != 0) {
		/* The web server's error handler: answer its error, in JSON
		 * and with our headers (API.md §9.2). */
		ptl_resp_write_server_error(&req, &resp, t);
		ptl_log_set_request(NULL);
		return;
	}
	if (strcmp(req.method, "OPTIONS") == 0) {
		/* The cors middleware answers every preflight (API.md §9.1). */
		ptl_resp_write_preflight(&req, &resp, t);
		ptl_log_set_request(NULL);
		return;
	}
	ptl_audit_set_origin(app, req.ip, req.user_agent);
	/* Mails take the language header only, not Accept-Language, as the
	 * reference (API.md §12.1). */
	if (app->i18n != NULL)
		app->mail_lang = ptl_i18n_pick(app->i18n, req.lang, NULL);
	e = run(&req, &resp, ep, t);
	if (app->db != NULL)
		ptl_db_rollback(
		    app->db); /* no transaction outlives a request */
	ptl_resp_write(&req, &resp, t, e);
	ptl_audit_set_origin(app, NULL, NULL);
	app->mail_lang = NULL;
	ptl_log_set_request(NULL);
}

/* --- the accept loop ---------------------------------------------------- */

/* Ends the request, then does the work after its answer: the mails it
 * queued (API.md §10.6). The delivery starts after a short pause, so that
 * the answer is on its way before the delivery competes with the web
 * server (and, on a small host, the client) for the CPU: that would show
 * in the answer's timing again. SIGTERM waits until the mails are handed
 * over: Apache's mod_cgi sends it as soon as the answer is out, and a cut
 * delivery leaves its row leased (claimed) for a while before it can be
 * sent again. */
void
ptl_endpoint_finish(struct ptl_app *app, struct ptl_arena *a,
		    struct ptl_fcgi *conn)
{
	static const struct timespec pause = {0, 10 * 1000 * 1000};
	sigset_t term, old;

	if (app->nmail_after == 0 || app->db == NULL) {
		app->nmail_after = 0;
		ptl_fcgi_finish(conn);
		return;
	}
	(void)sigemptyset(&term);
	(void)sigaddset(&term, SIGTERM);
	(void)sigprocmask(SIG_BLOCK, &term, &old);
	ptl_fcgi_finish(conn);
	(void)nanosleep(&pause, NULL);
	ptl_outbox_deliver_deferred(a, app, ptl_app_now_ms(app));
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
}

int
ptl_endpoint_loop(const char *name, ptl_endpoint_serve_fn *serve,
		  const void *ctx)
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
		PTL_LOG_ERR("%s: cannot start: configuration is invalid", name);
		return 1;
	}
	if (e != PTL_OK)
		PTL_LOG_ERR("%s: database unavailable; answering 503", name);
	a = ptl_mem_new();
	while (ptl_fcgi_accept(conn, &t)) {
		/* A file moved or replaced under us is noticed before the
		 * request can write to it (one stat). */
		ptl_app_check_db(&app);
		if (app.db == NULL)
			(void)ptl_app_open_db(&app);
		serve(&app, ctx, &t, a);
		/* The answer goes out first, whatever comes after it. */
		ptl_endpoint_finish(&app, a, conn);
		ptl_mem_reset(a);
		if (app.db != NULL)
			ptl_db_maintain(app.db);
	}
	ptl_mem_free(a);
	ptl_app_close(&app);
	return 0;
}

static void
serve_endpoint(struct ptl_app *app, const void *ctx, struct ptl_transport *t,
	       struct ptl_arena *a)
{
	ptl_endpoint_serve(app, ctx, t, a);
}

int
ptl_endpoint_main(const struct ptl_endpoint *ep)
{
	return ptl_endpoint_loop(ep->name, serve_endpoint, ep);
}
