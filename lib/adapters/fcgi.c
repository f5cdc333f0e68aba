/* SPDX-License-Identifier: ISC */
/*
 * fcgi: see fcgi.h. The only file that includes fcgiapp.h (never
 * fcgi_stdio.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "adapters/fcgi.h"
#include "base/log.h"

/* The CGI variables the endpoint layer reads, found in one pass over the
 * request's environment (FCGX_GetParam scans it all for every name). */
static const char *const wanted[] = {
	"REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME", "QUERY_STRING",
	"CONTENT_LENGTH", "CONTENT_TYPE", "HTTP_AUTHORIZATION",
	"REDIRECT_HTTP_AUTHORIZATION", "HTTP_USER_AGENT", "HTTP_ORIGIN",
	"HTTP_COOKIE", "HTTP_ACCEPT", "HTTP_REFERER", "HTTP_HOST", "REMOTE_ADDR",
	"HTTP_X_FORWARDED_FOR", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
	/* Asked for on every request too: a name missing here costs a
	 * whole FCGX_GetParam scan (APP_HEADER_LANGUAGE's default). */
	"REDIRECT_STATUS", "HTTP_ACCEPT_LANGUAGE", "HTTP_X_CUSTOM_LANG",
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
	size_t i, n = strlen(name);

	/* Lengths first: about twenty lookups a request. */
	for (i = 0; i < NWANTED; i++) {
		if (c->len[i] == n && memcmp(name, wanted[i], n) == 0)
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

struct ptl_fcgi {
	struct fcgi_ctx ctx;
	bool cgi;
	bool accepted;
	bool finished; /* plain CGI: the output is closed */
};

/*
 * SIGTERM (the web server's shutdown, systemd's stop) ends a worker
 * gracefully: one serving a request finishes it, and the work after its
 * answer, and exits instead of accepting the next; one waiting for a
 * request returns from the accept at once (the handler is installed
 * without SA_RESTART around the accept, with FCGI_FAIL_ACCEPT_ON_INTR,
 * and with SA_RESTART while a request is served, so that its reads and
 * writes go on undisturbed). Either way the process returns from its main
 * loop and closes the database, so that SQLite checkpoints and removes
 * the -wal and -shm files when it is the last one to close.
 */
static volatile sig_atomic_t terminated, accepting;

static void
on_term(int sig)
{
	(void)sig;
	terminated = 1;
	/* libfcgi checks it just before accept(2), which narrows the window
	 * between our check and the call; only while accepting, for libfcgi
	 * also fails its reads and writes once it is set. */
	if (accepting)
		FCGX_ShutdownPending();
}

static void
catch_term(bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sa.sa_flags = restart ? SA_RESTART : 0;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
}

struct ptl_fcgi *
ptl_fcgi_open(void)
{
	static struct ptl_fcgi f;

	(void)signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		PTL_LOG_ERR("FCGX_Init failed");
		return NULL;
	}
	f.cgi = FCGX_IsCGI() != 0;
	if (!f.cgi &&
	    FCGX_InitRequest(&f.ctx.req, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		PTL_LOG_ERR("FCGX_InitRequest failed");
		return NULL;
	}
	if (!f.cgi)
		catch_term(true);
	return &f;
}

bool
ptl_fcgi_accept(struct ptl_fcgi *f, struct ptl_transport *t)
{
	if (f->cgi) {
		/* Plain CGI: exactly one request, from the environment. */
		if (f->accepted)
			return false;
		f->accepted = true;
		t->param = cgi_param;
		t->read = cgi_read;
		t->write = cgi_write;
		t->ctx = NULL;
		return true;
	}
	if (f->accepted)
		FCGX_Finish_r(&f->ctx.req);
	f->accepted = false;
	catch_term(false);
	accepting = 1;
	if (terminated || FCGX_Accept_r(&f->ctx.req) < 0) {
		accepting = 0;
		if (terminated)
			PTL_LOG_INFO(
			    "SIGTERM: no request in progress; exiting");
		return false;
	}
	accepting = 0;
	catch_term(true);
	f->accepted = true;
	index_params(&f->ctx);
	t->param = fcgi_param;
	t->read = fcgi_read;
	t->write = fcgi_write;
	t->ctx = &f->ctx;
	return true;
}

/* Plain CGI: the web server has the whole answer when the script's
 * output ends (RFC 3875 §6), and Apache's mod_cgi also reads stderr to its
 * end before it sends anything: stdin, stdout and stderr are closed, by
 * putting /dev/null in their place, so that the descriptors stay taken
 * and nothing opened later (the database) can become fd 0, 1 or 2. Log
 * lines after the answer are then lost; the outbox keeps the outcome of a
 * delivery (`authportal mail list`). */
static void
cgi_finish(void)
{
	int null;

	(void)fflush(stdout);
	(void)fflush(stderr);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		PTL_LOG_WARN("cannot open /dev/null: the answer ends at exit");
		return;
	}
	if (dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(null, STDERR_FILENO) < 0)
		PTL_LOG_WARN("cannot close the CGI output: the answer ends at "
			     "exit");
	if (null > STDERR_FILENO)
		(void)close(null);
}

void
ptl_fcgi_finish(struct ptl_fcgi *f)
{
	if (f->cgi && f->accepted && !f->finished) {
		cgi_finish();
		f->finished = true;
	}
	if (!f->cgi && f->accepted) {
		FCGX_Finish_r(&f->ctx.req);
		f->accepted = false;
	}
}
