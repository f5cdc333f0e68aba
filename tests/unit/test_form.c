/* SPDX-License-Identifier: ISC */
/*
 * test_form: lib/web/form.c, the HTML form posts of API.md §10.10. Called
 * directly: which requests count as a browser (ptl_form_detect), the CSRF
 * check by Origin and, without one, Referer (ptl_form_csrf), the redirect
 * target check of ptl_form_respond (same origin as FRONTEND_DOMAIN or
 * listed in AUTH_ALLOWED_REDIRECTS; open-redirect spellings, percent-
 * encoded forms, backslashes, userinfo and control bytes refused), the ?error=<messageKey> of a
 * failure and the Set-Cookie lines of a success. Then through
 * ptl_endpoint_serve() on tests/memio.h: the whole 303 answer of a form
 * post, the CSRF refusals of form posts and of cookie-authenticated
 * writes, and AUTH_ALLOWED_REDIRECTS read at start, not per request.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json.h"
#include "base/buf.h"
#include "base/cfg.h"
#include "base/mem.h"
#include "fixture.h"
#include "memio.h"
#include "tap.h"
#include "web/endpoint.h"
#include "web/form.h"

#define FRONT "https://app.example"
#define HOME FRONT "/"
#define INVALID HOME "?error=invalidRedirect"
#define CORS FRONT ", https://admin.example"
#define ALLOWED "https://allowed.example/cb, https://docs.example/"

static struct ptl_app app;
static struct ptl_arena *arena;
static struct memio m;

/* A request of the fixture app with only the arena, app and clock set. */
static void
new_req(struct ptl_req *req)
{
	memset(req, 0, sizeof(*req));
	req->arena = arena;
	req->app = &app;
	req->now_ms = FIX_NOW_MS;
}

/* Decodes a urlencoded body into req->json, as req.c does. */
static bool
form_body(struct ptl_req *req, const char *body)
{
	req->form = true;
	return ptl_json_from_form(arena, body, strlen(body), &req->json) ==
	       PTL_OK;
}

/* The answer ptl_form_respond() writes for req, ended with e. */
static const char *
respond(struct ptl_req *req, struct ptl_resp *resp, enum ptl_err e)
{
	struct ptl_buf out;

	ptl_buf_init(&out, arena, 256, 64 * 1024);
	ptl_form_respond(req, resp, e, &out);
	return out.overflow ? NULL : ptl_mem_strndup(arena, out.data, out.len);
}

/* The Location of a 303 answer, or NULL when the answer is not one. */
static const char *
location(const char *answer)
{
	static const char head[] = "Status: 303 See Other\r\nLocation: ";
	const char *end;

	if (answer == NULL || strncmp(answer, head, sizeof(head) - 1) != 0)
		return NULL;
	answer += sizeof(head) - 1;
	end = strstr(answer, "\r\n");
	return end != NULL
		   ? ptl_mem_strndup(arena, answer, (size_t)(end - answer))
		   : NULL;
}

static void
test_detect(void)
{
	static const struct {
		bool form;
		const char *accept;
		bool browser;
	} cases[] = {
	    {true, "text/html,application/xhtml+xml,*/*;q=0.8", true},
	    {true, "text/html", true},
	    {true, "text/html, application/json", true},
	    {true, "application/json, text/html", false},
	    {true, "application/json", false},
	    {true, "*/*", false},
	    {true, NULL, false},
	    {false, "text/html", false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_req req;

		new_req(&req);
		req.form = cases[i].form;
		req.accept = cases[i].accept;
		ptl_form_detect(&req);
		ok(req.browser == cases[i].browser, "%s post, Accept %s: %s",
		   cases[i].form ? "form" : "JSON",
		   cases[i].accept != NULL ? cases[i].accept : "(none)",
		   cases[i].browser ? "a browser" : "not a browser");
	}
}

static void
test_csrf(void)
{
	static const struct {
		const char *origin, *referer;
		bool allowed;
	} cases[] = {
	    {FRONT, NULL, true},
	    {"HTTPS://APP.EXAMPLE", NULL, true},
	    {"https://admin.example", NULL, true},
	    {FRONT, "https://evil.example/", true},
	    {NULL, FRONT "/signin?next=1", true},
	    {NULL, FRONT, true},
	    {NULL, "https://admin.example/x", true},
	    {"https://evil.example", NULL, false},
	    {"https://evil.example", FRONT "/", false},
	    {"null", FRONT "/", false},
	    {"", FRONT "/", false},
	    {FRONT "/", NULL, false},
	    {FRONT "/signin", NULL, false},
	    {"http://app.example", NULL, false},
	    {FRONT ":8443", NULL, false},
	    {"https://app.example.evil.example", NULL, false},
	    {"https://app.example@evil.example", NULL, false},
	    {"https://ADMIN.example", NULL, false},
	    {NULL, "https://evil.example/" FRONT, false},
	    {NULL, "https://app.example@evil.example/", false},
	    {NULL, "https://app.example\\@evil.example/", false},
	    {NULL, "https://app.example\\evil.example", false},
	    {"https://app.example\\@evil.example", NULL, false},
	    {NULL, "https://user@app.example/", false},
	    {NULL, "//app.example/", false},
	    {NULL, "/signin", false},
	    {NULL, NULL, false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_req req;

		new_req(&req);
		req.origin = cases[i].origin;
		req.referer = cases[i].referer;
		ok((ptl_form_csrf(&req) == PTL_OK) == cases[i].allowed,
		   "Origin %s, Referer %s: %s",
		   cases[i].origin != NULL ? cases[i].origin : "(none)",
		   cases[i].referer != NULL ? cases[i].referer : "(none)",
		   cases[i].allowed ? "allowed" : "403");
	}
	{
		/* With APP_CORS_ORIGINS=*, only FRONTEND_DOMAIN counts. */
		struct ptl_req req;
		const char *saved = app.cfg.cors_origins;

		app.cfg.cors_origins = "*";
		new_req(&req);
		req.origin = "https://admin.example";
		ok(ptl_form_csrf(&req) == PTL_ERR_FORBIDDEN,
		   "APP_CORS_ORIGINS=*: another origin is refused");
		req.origin = "*";
		ok(ptl_form_csrf(&req) == PTL_ERR_FORBIDDEN,
		   "  so is the Origin '*'");
		req.origin = FRONT;
		ok(ptl_form_csrf(&req) == PTL_OK,
		   "  FRONTEND_DOMAIN is allowed");
		app.cfg.frontend_domain = NULL;
		ok(ptl_form_csrf(&req) == PTL_ERR_FORBIDDEN,
		   "  and without FRONTEND_DOMAIN nothing is");
		app.cfg.frontend_domain = FRONT;
		app.cfg.cors_origins = saved;
	}
}

/* The "redirect" field of a successful form post: raw is the urlencoded
 * value as the browser sends it (NULL: no field). */
static void
test_redirects(void)
{
	static const struct {
		const char *raw, *want;
	} cases[] = {
	    {NULL, HOME},
	    {"%2Faccount", FRONT "/account"},
	    {"/account?tab=1#top", FRONT "/account?tab=1"},
	    {"/", FRONT "/"},
	    {FRONT "/x", FRONT "/x"},
	    {"HTTPS://APP.EXAMPLE/x", "HTTPS://APP.EXAMPLE/x"},
	    {FRONT, FRONT},
	    {FRONT "?a=1", FRONT "?a=1"},
	    {"https%3A%2F%2Fapp.example%2Fy", FRONT "/y"},
	    {"https://allowed.example/cb", "https://allowed.example/cb"},
	    {"https://allowed.example/cb?state=1",
	     "https://allowed.example/cb?state=1"},
	    {"https://allowed.example/cb/next",
	     "https://allowed.example/cb/next"},
	    {"https://docs.example/any/page", "https://docs.example/any/page"},
	    /* Protocol-relative and scheme-relative spellings. */
	    {"//evil.example", INVALID},
	    {"///evil.example", INVALID},
	    {"//evil.example/" FRONT, INVALID},
	    {"/%5Cevil.example", INVALID},
	    {"%5C%5Cevil.example", INVALID},
	    {"https:evil.example", INVALID},
	    {"https:/evil.example", INVALID},
	    {"https:///evil.example", INVALID},
	    {"https://", INVALID},
	    {"http:", INVALID},
	    /* Browsers read "\\" as "/" in an http(s) URL (WHATWG URL), curl
	     * and Python as part of the authority: the host of the first is
	     * app.example for one and evil.example for the other. A
	     * backslash is refused anywhere (it is never a URL character). */
	    {"https:%2F%2Fapp.example%5C%40evil.example", INVALID},
	    {"https://app.example%5C%40evil.example/", INVALID},
	    {"https://app.example%5C@evil.example/x", INVALID},
	    {"https://app.example%5Cevil.example", INVALID},
	    {"https://app.example%5C", INVALID},
	    {"https://evil.example%5C%40app.example", INVALID},
	    {"https://evil.example%5C.app.example", INVALID},
	    {"https://app.example/a%5Cb", INVALID},
	    {"https://docs.example/%5C%40evil.example", INVALID},
	    {"https://allowed.example/cb%5C%40evil.example", INVALID},
	    {"/a%5C%40evil.example", INVALID},
	    {"/a%5Cb", INVALID},
	    /* Userinfo in the authority, in any spelling. */
	    {"https://user@app.example/", INVALID},
	    {"https://user:pw@app.example/x", INVALID},
	    {"https://:@app.example/", INVALID},
	    {"https://@app.example/", INVALID},
	    {"https://app.example@app.example/", INVALID},
	    {"https://app.example:443@evil.example/", INVALID},
	    {"https://allowed.example%40evil.example/cb", INVALID},
	    {"https://app.example%2540evil.example/", INVALID},
	    {"https://app.example%2523@evil.example/", INVALID},
	    {"https://allowed.example;@evil.example/cb", INVALID},
	    /* '@' after the authority is a path or query character. */
	    {"https://app.example/@me", FRONT "/@me"},
	    {"https://app.example/x?u=a@b", FRONT "/x?u=a@b"},
	    {"/users/@me", FRONT "/users/@me"},
	    /* Look-alike hosts, other ports and schemes. */
	    {"http://allowed.example@evil.example", INVALID},
	    {"https://allowed.example@evil.example/cb", INVALID},
	    {"https://allowed.example/cb@evil.example", INVALID},
	    {"https://app.example@evil.example/", INVALID},
	    {"https://app.example.evil.example/", INVALID},
	    {"https://allowed.example.evil/cb", INVALID},
	    {"https://allowed.example/cbx", INVALID},
	    {"https://allowed.example/", INVALID},
	    {"https://docs.example", INVALID},
	    {"http://app.example/", INVALID},
	    {"https://app.example:444/", INVALID},
	    {"https://evil.example/", INVALID},
	    {"javascript:alert(1)", INVALID},
	    {"data:text/html,x", INVALID},
	    {"evil.example", INVALID},
	    {"", INVALID},
	    /* Percent-encoded: decoded once by the form parser, and what
	     * is still encoded is not a URL of ours. */
	    {"%2F%2Fevil.example", INVALID},
	    {"%252F%252Fevil.example", INVALID},
	    {"https%3A%2F%2Fevil.example", INVALID},
	    {"https%3Aevil.example", INVALID},
	    {"%2F%5Cevil.example", INVALID},
	    {"http%3A%2F%2Fallowed.example%40evil.example", INVALID},
	    /* Control bytes and white space (header injection). */
	    {"%2Fok%0D%0ASet-Cookie%3A%20x%3D1", INVALID},
	    {"%2Fok%0Aa", INVALID},
	    {"%2Fok%0Da", INVALID},
	    {"%2Fa%09b", INVALID},
	    {"%2Fa%20b", INVALID},
	    {"/a+b", INVALID},
	    {"%2Fa%7Fb", INVALID},
	    {"%20%2Fa", INVALID},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_req req;
		struct ptl_resp resp;
		const char *body;

		ptl_mem_reset(arena);
		new_req(&req);
		ptl_resp_init(&resp, arena);
		body = cases[i].raw != NULL
			   ? ptl_mem_printf(arena, "redirect=%s", cases[i].raw)
			   : "a=1";
		if (!ok(form_body(&req, body), "form body %s", body))
			continue;
		is_str(location(respond(&req, &resp, PTL_OK)), cases[i].want,
		       "  Location");
	}
	{
		/* The length cap: 2048 bytes. */
		char *path = ptl_mem_xmalloc(2050);
		struct ptl_req req;
		struct ptl_resp resp;
		const char *want;

		ptl_mem_reset(arena);
		memset(path, 'a', 2049);
		path[0] = '/';
		path[2048] = '\0';
		new_req(&req);
		ptl_resp_init(&resp, arena);
		want = ptl_mem_printf(arena, FRONT "%s", path);
		ok(form_body(&req, ptl_mem_printf(arena, "redirect=%s", path)),
		   "2048-byte redirect");
		is_str(location(respond(&req, &resp, PTL_OK)), want, "  kept");
		path[2048] = 'a';
		path[2049] = '\0';
		new_req(&req);
		ok(form_body(&req, ptl_mem_printf(arena, "redirect=%s", path)),
		   "2049-byte redirect");
		is_str(location(respond(&req, &resp, PTL_OK)), INVALID,
		       "  refused");
		free(path);
	}
	{
		/* Without FRONTEND_DOMAIN a path has nothing to resolve
		 * against, and home is "/". */
		struct ptl_req req;
		struct ptl_resp resp;

		app.cfg.frontend_domain = NULL;
		new_req(&req);
		ptl_resp_init(&resp, arena);
		ok(form_body(&req, "redirect=%2Faccount"),
		   "no FRONTEND_DOMAIN");
		is_str(location(respond(&req, &resp, PTL_OK)),
		       "/?error=invalidRedirect", "  a path is refused");
		new_req(&req);
		ok(form_body(&req,
			     "redirect=https%3A%2F%2Fallowed.example%2Fcb"),
		   "  listed target");
		is_str(location(respond(&req, &resp, PTL_OK)),
		       "https://allowed.example/cb", "  still kept");
		app.cfg.frontend_domain = FRONT;
	}
}

/* A failed form post: error_redirect, else the Referer, else home, with
 * ?error=<messageKey>; "redirect" is not used. */
static void
test_errors(void)
{
	static const struct {
		const char *body, *referer;
		enum ptl_err e;
		const char *want;
	} cases[] = {
	    {"error_redirect=%2Flogin", NULL, PTL_ERR_UNAUTHORIZED,
	     FRONT "/login?error=unauthorized"},
	    {"error_redirect=%2Flogin%3Fnext%3D%252Fx", NULL,
	     PTL_ERR_UNAUTHORIZED, FRONT "/login?next=%2Fx&error=unauthorized"},
	    {"error_redirect=%2Flogin%23top", NULL, PTL_ERR_FORBIDDEN,
	     FRONT "/login?error=forbidden"},
	    {"error_redirect=https%3A%2F%2Fallowed.example%2Fcb", NULL,
	     PTL_ERR_NOT_FOUND, "https://allowed.example/cb?error=notFound"},
	    {"error_redirect=%2F%2Fevil.example", FRONT "/signin",
	     PTL_ERR_RATE_LIMITED, FRONT "/signin?error=tooManyRequests"},
	    {"a=1", FRONT "/signin?x=1", PTL_ERR_TOO_LARGE,
	     FRONT "/signin?x=1&error=tooLarge"},
	    {"a=1", "https://evil.example/", PTL_ERR_BAD_REQUEST,
	     HOME "?error=badRequest"},
	    {"a=1", "//evil.example/", PTL_ERR_BAD_JSON,
	     HOME "?error=badRequest"},
	    {"error_redirect=%2F%5Cevil.example", "https://evil.example/",
	     PTL_ERR_INTERNAL, HOME "?error=serverError"},
	    {"redirect=%2Fok", NULL, PTL_ERR_UNAVAILABLE,
	     HOME "?error=serverError"},
	    {"a=1", NULL, PTL_ERR_VALIDATION, HOME "?error=invalid"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_req req;
		struct ptl_resp resp;
		const char *answer;

		ptl_mem_reset(arena);
		new_req(&req);
		ptl_resp_init(&resp, arena);
		req.referer = cases[i].referer;
		/* A failure sets no cookie, even with tokens at hand. */
		resp.set_access = "access";
		resp.set_refresh = "refresh";
		if (!ok(form_body(&req, cases[i].body), "failed form post: %s",
			cases[i].body))
			continue;
		answer = respond(&req, &resp, cases[i].e);
		is_str(location(answer), cases[i].want, "  Location");
		ok(answer != NULL && strstr(answer, "Set-Cookie") == NULL,
		   "  no cookie");
	}
	{
		/* 422: the first message is the key. */
		struct ptl_req req;
		struct ptl_resp resp;

		new_req(&req);
		ptl_resp_init(&resp, arena);
		ptl_resp_error(&resp, "email", "email must be an email");
		ptl_resp_error(&resp, "password", "incorrectPassword");
		ok(form_body(&req, "error_redirect=%2Fsignin"),
		   "422 form post");
		is_str(location(respond(&req, &resp, PTL_ERR_VALIDATION)),
		       FRONT "/signin?error=email%20must%20be%20an%20email",
		       "  first message, percent-encoded");
	}
}

/* The Set-Cookie lines of a success (RFC 6265 §4.1): Secure unless a
 * development server on the loopback. */
static void
test_cookies(void)
{
	static const struct {
		bool production;
		const char *host;
		bool secure;
	} cases[] = {
	    {false, "localhost:3000", false},
	    {false, "127.0.0.1:8080", false},
	    {false, "[::1]:8080", false},
	    {false, "localhost", false},
	    {false, "127.0.0.1", false},
	    {false, "[::1]", false},
	    {false, "LocalHost:3000", false},
	    /* Exact hosts only, not prefixes (issue 9). */
	    {false, "localhost.evil.com", true},
	    {false, "localhost.evil.com:3000", true},
	    {false, "127.0.0.1.evil.com", true},
	    {false, "127.0.0.10", true},
	    {false, "[::1].evil.com", true},
	    {false, "[::1]x", true},
	    {false, "localhostevil", true},
	    {false, "localhost:", true},
	    {false, "localhost:30x0", true},
	    {false, "localhost:3000@evil.com", true},
	    {false, "localhost:123456", true},
	    {false, "evil.localhost", true},
	    {false, "", true},
	    {false, "app.example", true},
	    {false, NULL, true},
	    {true, "localhost:3000", true},
	    {true, "app.example", true},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_req req;
		struct ptl_resp resp;
		const char *sec = cases[i].secure ? "; Secure" : "";
		const char *want;

		ptl_mem_reset(arena);
		app.cfg.production = cases[i].production;
		new_req(&req);
		ptl_resp_init(&resp, arena);
		req.host = cases[i].host;
		resp.set_access = "A.B.C";
		resp.set_refresh = "R.S.T";
		(void)form_body(&req, "redirect=%2Fdone");
		want = ptl_mem_printf(
		    arena,
		    "Status: 303 See Other\r\n"
		    "Location: " FRONT "/done\r\n"
		    "Set-Cookie: authportal_access=A.B.C; Max-Age=900; "
		    "Path=/; HttpOnly%s; SameSite=Lax\r\n"
		    "Set-Cookie: authportal_refresh=R.S.T; Max-Age=2592000; "
		    "Path=/api/v1/auth; HttpOnly%s; SameSite=Strict\r\n",
		    sec, sec);
		is_str(respond(&req, &resp, PTL_OK), want, "token cookies");
		diag("production %d, Host %s", cases[i].production,
		     cases[i].host != NULL ? cases[i].host : "(none)");
		new_req(&req);
		ptl_resp_init(&resp, arena);
		req.host = cases[i].host;
		resp.clear_cookies = true;
		want = ptl_mem_printf(
		    arena,
		    "Status: 303 See Other\r\n"
		    "Location: " HOME "\r\n"
		    "Set-Cookie: authportal_access=; Max-Age=0; Path=/; "
		    "HttpOnly%s; SameSite=Lax\r\n"
		    "Set-Cookie: authportal_refresh=; Max-Age=0; "
		    "Path=/api/v1/auth; HttpOnly%s; SameSite=Strict\r\n",
		    sec, sec);
		is_str(respond(&req, &resp, PTL_OK), want,
		       "  logout clears both");
	}
	app.cfg.production = false;
}

/* ---- through ptl_endpoint_serve ------------------------------------------ */

static enum ptl_err
h_signin(struct ptl_req *req, struct ptl_resp *resp)
{
	(void)req;
	resp->set_access = "A.B.C";
	resp->set_refresh = "R.S.T";
	ptl_buf_adds(&resp->body, "{\"ok\":true}");
	return PTL_OK;
}

static const struct ptl_route routes[] = {
    {"POST", "/api/v1/signin", PTL_AUTH_NONE, PTL_NO_FIELDS, h_signin,
     PTL_BUCKET_NONE},
    {"PATCH", "/api/v1/me", PTL_AUTH_ACCESS, PTL_NO_FIELDS, h_signin,
     PTL_BUCKET_NONE},
};

static const struct ptl_endpoint ep = {"form", routes,
				       sizeof(routes) / sizeof(routes[0])};

static const char *
serve(const char *const *vars, const char *body)
{
	struct ptl_transport t;

	ptl_mem_reset(arena);
	memio_start(&m, &t, vars, body, body != NULL ? strlen(body) : 0);
	ptl_endpoint_serve(&app, &ep, &t, arena);
	return m.out;
}

static bool
starts(const char *prefix)
{
	return strncmp(m.out, prefix, strlen(prefix)) == 0;
}

static bool
has_line(const char *line)
{
	const char *end = strstr(m.out, "\r\n\r\n");
	const char *p = strstr(m.out, line);
	size_t n = strlen(line);

	return p != NULL && end != NULL && p < end &&
	       (p == m.out || p[-1] == '\n') && strncmp(p + n, "\r\n", 2) == 0;
}

#define FORM_POST(origin, accept, len)                                         \
	"REQUEST_METHOD", "POST", "REQUEST_URI", "/api/v1/signin",             \
	    "CONTENT_TYPE", "application/x-www-form-urlencoded",               \
	    "CONTENT_LENGTH", len, "REMOTE_ADDR", "127.0.0.1", "HTTP_HOST",    \
	    "localhost:3000", "HTTP_ACCEPT", accept, "HTTP_ORIGIN", origin

static void
test_served(void)
{
	const char *body = "redirect=%2Fdone";
	const char *html = "text/html,application/xhtml+xml";
	const char *good[] = {FORM_POST(FRONT, html, "16"), NULL};
	const char *evil[] = {FORM_POST("https://evil.example", html, "16"),
			      NULL};
	const char *json[] = {
	    FORM_POST("https://evil.example", "application/json", "16"), NULL};
	const char *jgood[] = {FORM_POST(FRONT, "application/json", "16"),
			       NULL};

	serve(good, body);
	ok(starts("Status: 303 See Other\r\nLocation: " FRONT "/done\r\n"),
	   "browser form post: 303 to the checked redirect");
	ok(has_line("Set-Cookie: authportal_access=A.B.C; Max-Age=900; Path=/; "
		    "HttpOnly; SameSite=Lax") &&
	       has_line("Set-Cookie: authportal_refresh=R.S.T; "
			"Max-Age=2592000; Path=/api/v1/auth; HttpOnly; "
			"SameSite=Strict"),
	   "  both cookies, no Secure on localhost in development");
	ok(has_line("Content-Length: 0") &&
	       strstr(m.out, "\nContent-Type:") == NULL &&
	       has_line("X-Frame-Options: SAMEORIGIN") &&
	       has_line("Cache-Control: no-store"),
	   "  no body, the usual headers");
	is_str(strstr(m.out, "\r\n\r\n"), "\r\n\r\n", "  nothing after them");

	serve(evil, body);
	ok(starts("Status: 303 See Other\r\nLocation: " HOME
		  "?error=forbidden\r\n") &&
	       strstr(m.out, "Set-Cookie") == NULL,
	   "cross-site browser form post: 303 ?error=forbidden, no cookie");
	serve(json, body);
	ok(starts("Status: 403 Forbidden\r\n"),
	   "cross-site form post that wants JSON: 403");
	serve(jgood, body);
	ok(starts("Status: 200 OK\r\n") && strstr(m.out, "Set-Cookie") == NULL,
	   "same-site form post that wants JSON: 200, no cookie");
	{
		/* A write authenticated by a cookie must pass the CSRF check
		 * before its token is looked at. */
		const char *cookie = "authportal_access=not.a.token";
		const char *cross[] = {"REQUEST_METHOD",
				       "PATCH",
				       "REQUEST_URI",
				       "/api/v1/me",
				       "HTTP_COOKIE",
				       cookie,
				       "HTTP_ORIGIN",
				       "https://evil.example",
				       NULL};
		const char *same[] = {
		    "REQUEST_METHOD", "PATCH",       "REQUEST_URI",
		    "/api/v1/me",     "HTTP_COOKIE", cookie,
		    "HTTP_ORIGIN",    FRONT,         NULL};
		const char *header[] = {"REQUEST_METHOD",
					"PATCH",
					"REQUEST_URI",
					"/api/v1/me",
					"HTTP_COOKIE",
					cookie,
					"HTTP_ORIGIN",
					"https://evil.example",
					"HTTP_AUTHORIZATION",
					"Bearer x",
					NULL};

		serve(cross, NULL);
		ok(starts("Status: 403 "),
		   "cross-site write with the access cookie: 403");
		serve(same, NULL);
		ok(starts("Status: 401 "),
		   "same-site write with a bad access cookie: 401");
		serve(header, NULL);
		ok(starts("Status: 401 "),
		   "cross-site write with an Authorization header: no CSRF "
		   "check (401 for its bad token)");
	}
}

/* AUTH_ALLOWED_REDIRECTS is a setting of struct ptl_cfg, read by
 * ptl_cfg_load() once; changing the environment later changes nothing. */
static void
test_setting(void)
{
	struct ptl_cfg cfg;
	struct ptl_req req;
	struct ptl_resp resp;

	setenv("AUTH_ALLOWED_REDIRECTS", "https://later.example/", 1);
	ok(ptl_cfg_load(&cfg) == PTL_OK, "ptl_cfg_load");
	is_str(cfg.allowed_redirects, "https://later.example/",
	       "  AUTH_ALLOWED_REDIRECTS parsed");
	setenv("AUTH_ALLOWED_REDIRECTS", "", 1);
	ok(ptl_cfg_load(&cfg) == PTL_OK && cfg.allowed_redirects == NULL,
	   "  empty: NULL");
	unsetenv("AUTH_ALLOWED_REDIRECTS");
	ok(ptl_cfg_load(&cfg) == PTL_OK && cfg.allowed_redirects == NULL,
	   "  unset: NULL");

	/* The app's copy stays what it was at start. */
	setenv("AUTH_ALLOWED_REDIRECTS", "https://later.example/", 1);
	ptl_mem_reset(arena);
	new_req(&req);
	ptl_resp_init(&resp, arena);
	ok(form_body(&req, "redirect=https%3A%2F%2Flater.example%2Fx"),
	   "redirect to a target listed after start");
	is_str(location(respond(&req, &resp, PTL_OK)), INVALID,
	       "  refused: the setting is read at start");
	new_req(&req);
	ok(form_body(&req, "redirect=https%3A%2F%2Fdocs.example%2Fx"),
	   "redirect to a target listed at start");
	is_str(location(respond(&req, &resp, PTL_OK)), "https://docs.example/x",
	       "  kept");
	unsetenv("AUTH_ALLOWED_REDIRECTS");
}

int
main(void)
{
	setenv("FRONTEND_DOMAIN", FRONT, 1);
	setenv("APP_CORS_ORIGINS", CORS, 1);
	setenv("AUTH_ALLOWED_REDIRECTS", ALLOWED, 1);
	fix_app_open(&app);
	arena = ptl_mem_new();
	memio_init(&m, 64 * 1024);
	is_str(app.cfg.allowed_redirects, ALLOWED,
	       "the fixture app has AUTH_ALLOWED_REDIRECTS");
	test_detect();
	test_csrf();
	test_redirects();
	test_errors();
	test_cookies();
	test_served();
	test_setting();
	memio_free(&m);
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
