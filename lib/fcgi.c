/* SPDX-License-Identifier: ISC */
/*
 * fcgi: the libfcgi adapter (fcgiapp.h, never fcgi_stdio.h). Runs the
 * accept loop of an executable: one arena per request, reset after the
 * response. When stdin is not a FastCGI listening socket, libfcgi serves
 * exactly one request from the CGI environment (RFC 3875), so the same
 * binary works as plain CGI on shared hosts.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "app.h"
#include "endpoint.h"
#include "log.h"

/* The CGI variables the endpoint layer reads, found in one pass over the
 * request's environment (FCGX_GetParam scans it all for every name). */
static const char *const wanted[] = {
	"REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME", "QUERY_STRING",
	"CONTENT_LENGTH", "CONTENT_TYPE", "HTTP_AUTHORIZATION",
	"REDIRECT_HTTP_AUTHORIZATION", "HTTP_USER_AGENT", "HTTP_ORIGIN",
	"HTTP_COOKIE", "HTTP_ACCEPT", "HTTP_REFERER", "HTTP_HOST", "REMOTE_ADDR",
	"HTTP_X_FORWARDED_FOR", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
};
#define NWANTED (sizeof(wanted) / sizeof(wanted[0]))

struct fcgi_ctx {
	FCGX_Request req;
	const char *value[NWANTED];
	size_t len[NWANTED];
};

static void
index_params(struct fcgi_ctx *c)
{
	char **env;
	size_t i;

	for (i = 0; i < NWANTED; i++) {
		c->value[i] = NULL;
		if (c->len[i] == 0)
			c->len[i] = strlen(wanted[i]);
	}
	for (env = c->req.envp; env != NULL && *env != NULL; env++) {
		const char *eq = strchr(*env, '=');
		size_t n;

		if (eq == NULL)
			continue;
		n = (size_t)(eq - *env);
		for (i = 0; i < NWANTED; i++) {
			if (c->len[i] == n && c->value[i] == NULL &&
			    memcmp(*env, wanted[i], n) == 0) {
				c->value[i] = eq + 1;
				break;
			}
		}
	}
}

static const char *
fcgi_param(void *ctx, const char *name)
{
	struct fcgi_ctx *c = ctx;
	size_t i;

	for (i = 0; i < NWANTED; i++) {
		if (strcmp(name, wanted[i]) == 0)
			return c->value[i];
	}
	return FCGX_GetParam(name, c->req.envp);
}

static size_t
fcgi_read(void *ctx, char *buf, size_t len)
{
	FCGX_Request *r = &((struct fcgi_ctx *)ctx)->req;
	int n;

	if (len > 1 << 30)
		len = 1 << 30;
	n = FCGX_GetStr(buf, (int)len, r->in);
	return n > 0 ? (size_t)n : 0;
}

static void
fcgi_write(void *ctx, const char *buf, size_t len)
{
	FCGX_Request *r = &((struct fcgi_ctx *)ctx)->req;

	/* A client gone away is not an error of ours. */
	(void)FCGX_PutStr(buf, (int)len, r->out);
}

/* Plain CGI (RFC 3875): FCGX_Accept_r has no CGI fallback, so one request
 * is served from the environment, stdin and stdout. */
static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static size_t
cgi_read(void *ctx, char *buf, size_t len)
{
	(void)ctx;
	return fread(buf, 1, len, stdin);
}

static void
cgi_write(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	(void)!fwrite(buf, 1, len, stdout);
	(void)fflush(stdout);
}

static int
serve_cgi(struct ptl_app *app, const struct ptl_endpoint *ep)
{
	struct ptl_transport t = {cgi_param, cgi_read, cgi_write, NULL};
	struct ptl_arena *a = ptl_mem_new();

	ptl_endpoint_serve(app, ep, &t, a);
	ptl_mem_free(a);
	ptl_app_close(app);
	return 0;
}

int
ptl_endpoint_main(const struct ptl_endpoint *ep)
{
	struct ptl_transport t;
	struct ptl_arena *a;
	struct ptl_app app;
	static struct fcgi_ctx ctx;
	FCGX_Request *req = &ctx.req;
	enum ptl_err e;

	(void)signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		PTL_LOG_ERR("%s: FCGX_Init failed", ep->name);
		return 1;
	}
	e = ptl_app_init(&app);
	if (e == PTL_ERR_INTERNAL) {
		/* Unusable settings: say so once and stop; the web server's
		 * log shows why. */
		PTL_LOG_ERR("%s: cannot start: configuration is invalid", ep->name);
		return 1;
	}
	if (e != PTL_OK)
		PTL_LOG_ERR("%s: database unavailable; answering 503", ep->name);
	if (FCGX_IsCGI())
		return serve_cgi(&app, ep);
	if (FCGX_InitRequest(req, 0, 0) != 0)
		return 1;
	a = ptl_mem_new();
	t.param = fcgi_param;
	t.read = fcgi_read;
	t.write = fcgi_write;
	t.ctx = &ctx;
	while (FCGX_Accept_r(req) >= 0) {
		index_params(&ctx);
		if (app.db == NULL && app.cfg.database_path != NULL &&
		    ptl_db_open(app.cfg.database_path, app.cfg.busy_timeout_ms,
				&app.db) != PTL_OK)
			app.db = NULL;
		ptl_endpoint_serve(&app, ep, &t, a);
		FCGX_Finish_r(req);
		ptl_mem_reset(a);
		if (app.db != NULL)
			ptl_db_maintain(app.db);
	}
	ptl_mem_free(a);
	ptl_app_close(&app);
	return 0;
}
