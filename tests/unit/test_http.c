/* SPDX-License-Identifier: ISC */
/*
 * test_http: the outbound HTTP adapter (adapters/http.h) against a real
 * HTTP server on the loopback (httpd.h): the URL rule (https, or http to
 * a loopback host only), GET and form POST with their headers, a
 * redirect returned and not followed, the 256 KiB cap, the total timeout,
 * a refused connection, and one connection reused for several calls.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/http.h"
#include "base/cfg.h"
#include "base/mem.h"
#include "tap.h"
#include "httpd.h"

static struct httpd srv;
static struct ptl_arena *arena;

static enum ptl_err
call(const char *path, const char *form, long timeout_ms,
     struct ptl_http_resp *out)
{
	struct ptl_http_req rq = {
	    .url =
		ptl_mem_printf(arena, "http://127.0.0.1:%u%s", srv.port, path),
	    .form = form,
	    .headers = {"Accept: application/json", "X-Test: 1"},
	    .connect_timeout_ms = 2000,
	    .timeout_ms = timeout_ms,
	};

	return ptl_http_send(arena, &rq, out);
}

/* Whether nothing listens on the loopback port (yet). */
static bool
refused_now(unsigned port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool refused;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	refused =
	    fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0;
	if (fd >= 0)
		close(fd);
	return refused;
}

static void
url_rule(void)
{
	static const struct {
		const char *url;
		bool good;
	} cases[] = {
	    {"https://accounts.google.com/o/oauth2/v2/auth", true},
	    {"https://graph.facebook.com", true},
	    {"https://[2001:db8::1]:8443/x", true},
	    {"http://127.0.0.1:8080/token", true},
	    {"http://127.1.2.3/", true},
	    {"http://localhost:9/x", true},
	    {"http://LOCALHOST/x", true},
	    {"http://[::1]:9/x", true},
	    {"http://example.com/", false},
	    {"http://10.0.0.1/", false},
	    {"http://128.0.0.1/", false},
	    {"http://127.0.0.1.evil.example/", false},
	    {"http://localhost.evil.example/", false},
	    {"http://127.0.0.1@evil.example/", false},
	    {"http://evil.example#@127.0.0.1/", false},
	    {"http://127.0.0.256/", false},
	    {"http://127.0.0/", false},
	    {"http://[::2]/", false},
	    {"https://", false},
	    {"https:///path", false},
	    {"https://a.example\\@b/", false},
	    {"https://a.example/ x", false},
	    {"https://a%2eexample/", false},
	    {"ftp://127.0.0.1/", false},
	    {"file:///etc/passwd", false},
	    {"HTTPS://a.example/", false},
	    {"", false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(ptl_cfg_provider_url_ok(cases[i].url) == cases[i].good,
		   "%s is %s", cases[i].url,
		   cases[i].good ? "good" : "refused");
}

static void
refused_url_sends_nothing(void)
{
	struct ptl_http_req rq = {.url = "http://example.invalid/x",
				  .connect_timeout_ms = 100,
				  .timeout_ms = 100};
	struct ptl_http_resp out;

	is_int(ptl_http_send(arena, &rq, &out), PTL_ERR_BAD_REQUEST,
	       "a plain-http URL of another host is refused");
}

/* argv for execvp from words (copied: literals are const). */
static void
words(char **argv, const char *const *w)
{
	size_t i;

	for (i = 0; w[i] != NULL && i < 15; i++)
		argv[i] = ptl_mem_strdup(arena, w[i]);
	argv[i] = NULL;
}

/* Runs argv (quietly) and waits; its exit status, or -1. */
static int
run(char *const argv[])
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			(void)dup2(null, 1);
			(void)dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * TLS is verified: an https server on the loopback with a self-signed
 * certificate (openssl s_server -www, which would answer 200) is refused.
 * Skipped when the openssl command is missing.
 */
static void
tls_verified(const char *dir)
{
	char key[300], crt[300], accept[64];
	const char *gen_words[] = {
	    "openssl", "req",   "-x509",         "-newkey", "rsa:2048",
	    "-nodes",  "-subj", "/CN=127.0.0.1", "-days",   "1",
	    "-keyout", key,     "-out",          crt,       NULL};
	const char *srv_words[] = {"openssl", "s_server", "-accept", accept,
				   "-cert",   crt,        "-key",    key,
				   "-www",    "-quiet",   NULL};
	char *gen[16], *srv_argv[16];
	struct ptl_http_resp out;
	struct ptl_http_req rq = {.connect_timeout_ms = 2000,
				  .timeout_ms = 5000};
	unsigned port = 0;
	pid_t pid;
	int fd, i;
	enum ptl_err e = PTL_OK;

	(void)snprintf(key, sizeof(key), "%s/tls.key", dir);
	(void)snprintf(crt, sizeof(crt), "%s/tls.crt", dir);
	words(gen, gen_words);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd >= 0 &&
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
			port = ntohs(sa.sin_port);
		if (fd >= 0)
			close(fd);
	}
	if (port == 0 || run(gen) != 0) {
		printf("ok %d - # SKIP no openssl command\n", ++tap_n);
		return;
	}
	(void)snprintf(accept, sizeof(accept), "127.0.0.1:%u", port);
	words(srv_argv, srv_words);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			(void)dup2(null, 1);
			(void)dup2(null, 2);
		}
		execvp(srv_argv[0], srv_argv);
		_exit(127);
	}
	rq.url = ptl_mem_printf(arena, "https://127.0.0.1:%u/", port);
	/* s_server needs a moment to listen: a refused connection is retried,
	 * the verdict on the certificate is what counts. */
	for (i = 0; i < 50; i++) {
		e = ptl_http_send(arena, &rq, &out);
		if (e != PTL_ERR_UNAVAILABLE || !refused_now(port))
			break;
		usleep(100 * 1000);
	}
	is_int(e, PTL_ERR_UNAVAILABLE,
	       "a self-signed certificate is refused (TLS verified)");
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	(void)unlink(key);
	(void)unlink(crt);
}

int
main(void)
{
	struct ptl_http_resp out;
	char dir[] = "/tmp/ptl-http-XXXXXX";
	char conn[300];
	long before;

	plan(27 + 22);
	if (mkdtemp(dir) == NULL || !httpd_start(&srv, dir)) {
		printf("Bail out! no loopback server\n");
		return 1;
	}
	arena = ptl_mem_new();
	url_rule();
	refused_url_sends_nothing();

	is_int(call("/echo", NULL, 5000, &out), PTL_OK, "GET answers");
	is_int(out.status, 200, "GET: 200");
	ok(strncmp(out.body, "GET /echo HTTP/1.1\r\n", 20) == 0,
	   "GET: the request line");
	ok(strstr(out.body, "\r\nAccept: application/json\r\n") != NULL &&
	       strstr(out.body, "\r\nX-Test: 1\r\n") != NULL,
	   "GET: the extra headers are sent");

	is_int(call("/echo", "grant_type=authorization_code&code=c%2B1", 5000,
		    &out),
	       PTL_OK, "POST answers");
	ok(strncmp(out.body, "POST /echo HTTP/1.1\r\n", 21) == 0,
	   "POST: the request line");
	ok(strstr(out.body, "application/x-www-form-urlencoded") != NULL,
	   "POST: a form body");
	ok(strstr(out.body,
		  "\r\n\r\ngrant_type=authorization_code&code=c%2B1") != NULL,
	   "POST: the body as given");

	is_int(call("/redirect", NULL, 5000, &out), PTL_OK, "a 302 answers");
	is_int(out.status, 302, "the 302 is returned ...");
	is_str(out.body, "moved", "... and not followed");

	is_int(call("/fail", NULL, 5000, &out), PTL_OK, "a 503 is an answer");
	is_int(out.status, 503, "its status is returned");

	is_int(call("/big", NULL, 5000, &out), PTL_ERR_UNAVAILABLE,
	       "a body past 256 KiB is refused");
	is_int(call("/slow", NULL, 300, &out), PTL_ERR_UNAVAILABLE,
	       "the total timeout ends a slow answer");

	before = httpd_connections(&srv);
	is_int(call("/echo", NULL, 5000, &out), PTL_OK, "a call ...");
	is_int(call("/echo", NULL, 5000, &out), PTL_OK, "... another ...");
	is_int(call("/echo", NULL, 5000, &out), PTL_OK, "... and a third");
	is_int(httpd_connections(&srv) - before, 1,
	       "share one connection (one handle, reused)");

	tls_verified(dir);
	httpd_stop(&srv);
	is_int(call("/echo", NULL, 2000, &out), PTL_ERR_UNAVAILABLE,
	       "a refused connection is unavailable");
	ptl_http_close();
	ptl_mem_free(arena);
	(void)snprintf(conn, sizeof(conn), "%s/connections", dir);
	(void)unlink(conn);
	(void)snprintf(conn, sizeof(conn), "%s/requests", dir);
	(void)unlink(conn);
	(void)rmdir(dir);
	return tap_failed != 0;
}
