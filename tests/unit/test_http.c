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
	    .url = ptl_mem_printf(arena, "http://127.0.0.1:%u%s", srv.port,
				  path),
	    .form = form,
	    .headers = {"Accept: application/json", "X-Test: 1"},
	    .connect_timeout_ms = 2000,
	    .timeout_ms = timeout_ms,
	};

	return ptl_http_send(arena, &rq, out);
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
		   "%s is %s", cases[i].url, cases[i].good ? "good" : "refused");
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

int
main(void)
{
	struct ptl_http_resp out;
	char dir[] = "/tmp/ptl-http-XXXXXX";
	char conn[300];
	long before;

	plan(27 + 21);
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

	is_int(call("/echo", "grant_type=authorization_code&code=c%2B1",
		    5000, &out),
	       PTL_OK, "POST answers");
	ok(strncmp(out.body, "POST /echo HTTP/1.1\r\n", 21) == 0,
	   "POST: the request line");
	ok(strstr(out.body, "application/x-www-form-urlencoded") != NULL,
	   "POST: a form body");
	ok(strstr(out.body, "\r\n\r\ngrant_type=authorization_code&code=c%2B1") !=
	       NULL,
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

	httpd_stop(&srv);
	is_int(call("/echo", NULL, 2000, &out), PTL_ERR_UNAVAILABLE,
	       "a refused connection is unavailable");
	ptl_http_close();
	ptl_mem_free(arena);
	(void)snprintf(conn, sizeof(conn), "%s/connections", dir);
	(void)unlink(conn);
	(void)rmdir(dir);
	return tap_failed != 0;
}
