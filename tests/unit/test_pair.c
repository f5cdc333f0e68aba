/* SPDX-License-Identifier: ISC */
/*
 * test_pair: lib/web/pair.c, the token-pair bodies of API.md §1.1 and
 * §1.8. Called directly: the LoginResponse {"refreshToken","token",
 * "tokenExpires","user"} and the refresh body {"token","refreshToken",
 * "tokenExpires"}, byte for byte and in that key order, with the tokens
 * the signers give for the session (HS256 is deterministic at a fixed
 * clock: a full role after login, {"id":N} after a rotation), the tokens
 * also handed to resp for cookies, and each token verifying for its
 * session. Then through ptl_endpoint_serve() on tests/memio.h: a browser
 * form post gets the tokens as cookies and no body, a JSON post the body
 * and no cookie.
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
#include "domain/account.h"
#include "domain/session.h"
#include "domain/token.h"
#include "fixture.h"
#include "memio.h"
#include "tap.h"
#include "web/endpoint.h"
#include "web/pair.h"

#define FRONT "https://app.example"

static struct ptl_app app;
static struct ptl_arena *arena; /* per request: reset by serve() */
static struct ptl_arena *keep;  /* the user and session of the tests */
static struct memio m;
static struct ptl_user user;
static int64_t sid;
static char *hash;

static void
new_req(struct ptl_req *req)
{
	memset(req, 0, sizeof(*req));
	req->arena = arena;
	req->app = &app;
	req->now_ms = FIX_NOW_MS;
}

/* The body ptl_pair_login() must write, from the signers themselves. */
static const char *
login_want(void)
{
	struct ptl_buf b;
	char *access, *refresh;
	int64_t expires;

	if (ptl_token_access_issue(arena, &app, user.id, user.role_id, true,
				   sid, FIX_NOW_MS, &access,
				   &expires) != PTL_OK ||
	    ptl_token_refresh_issue(arena, &app, sid, hash, FIX_NOW_MS,
				    &refresh) != PTL_OK)
		return "(signing failed)";
	ptl_buf_init(&b, arena, 1024, 64 * 1024);
	ptl_buf_addf(&b,
		     "{\"refreshToken\":\"%s\",\"token\":\"%s\","
		     "\"tokenExpires\":%lld,\"user\":",
		     refresh, access, (long long)expires);
	ptl_account_user_json(&user, &b);
	ptl_buf_addc(&b, '}');
	return ptl_mem_strndup(arena, b.data, b.len);
}

static const char *
refresh_want(int64_t role_id)
{
	char *access, *refresh;
	int64_t expires;

	if (ptl_token_access_issue(arena, &app, user.id, role_id, false, sid,
				   FIX_NOW_MS, &access, &expires) != PTL_OK ||
	    ptl_token_refresh_issue(arena, &app, sid, hash, FIX_NOW_MS,
				    &refresh) != PTL_OK)
		return "(signing failed)";
	return ptl_mem_printf(arena,
			      "{\"token\":\"%s\",\"refreshToken\":"
			      "\"%s\",\"tokenExpires\":%lld}",
			      access, refresh, (long long)expires);
}

/* The access token verifies for the test's user and session, the refresh
 * token for the session and its secret. */
static bool
tokens_verify(const char *access, const char *refresh)
{
	struct ptl_access acc;
	int64_t rsid = 0;
	const char *rhash = NULL;

	return access != NULL && refresh != NULL &&
	       ptl_token_access_verify(arena, &app, access, FIX_NOW_MS, &acc) ==
		   PTL_OK &&
	       acc.user_id == user.id && acc.session_id == sid &&
	       ptl_token_refresh_verify(arena, &app, refresh, FIX_NOW_MS, &rsid,
					&rhash) == PTL_OK &&
	       rsid == sid && rhash != NULL && strcmp(rhash, hash) == 0;
}

/* The member of the body that starts at key, up to the next '"' after
 * its opening quote; NULL when the body has no such string member. */
static const char *
member(const struct ptl_resp *resp, const char *key)
{
	const char *body =
	    ptl_mem_strndup(arena, resp->body.data, resp->body.len);
	const char *k = ptl_mem_printf(arena, "\"%s\":\"", key);
	const char *p = strstr(body, k), *end;

	if (p == NULL)
		return NULL;
	p += strlen(k);
	end = strchr(p, '"');
	return end != NULL ? ptl_mem_strndup(arena, p, (size_t)(end - p))
			   : NULL;
}

static void
test_login(void)
{
	struct ptl_req req;
	struct ptl_resp resp;
	const char *body;

	ptl_mem_reset(arena);
	new_req(&req);
	ptl_resp_init(&resp, arena);
	ok(ptl_pair_login(&req, &resp, &user, sid, hash) == PTL_OK,
	   "ptl_pair_login");
	body = ptl_mem_strndup(arena, resp.body.data, resp.body.len);
	is_str(body, login_want(),
	       "  {refreshToken, token, tokenExpires, user}, in that order");
	ok(strncmp(body, "{\"refreshToken\":\"", 17) == 0 &&
	       strstr(body, "\",\"token\":\"") != NULL &&
	       strstr(body, ",\"user\":{\"id\":") != NULL &&
	       body[strlen(body) - 1] == '}',
	   "  the shape, independently of the signers");
	ok(strstr(body, ptl_mem_printf(arena, "\"tokenExpires\":%lld,",
				       (long long)(FIX_NOW_MS + 900000))) !=
	       NULL,
	   "  tokenExpires: now + AUTH_JWT_TOKEN_EXPIRES_IN, in ms");
	is_str(resp.set_access, member(&resp, "token"),
	       "  access cookie token");
	is_str(resp.set_refresh, member(&resp, "refreshToken"),
	       "  refresh cookie token");
	ok(tokens_verify(resp.set_access, resp.set_refresh),
	   "  both verify for the session");
	ok(resp.status == 0 && resp.nerrors == 0 && !resp.clear_cookies,
	   "  a plain 200");
}

static void
test_refresh(void)
{
	static const int64_t roles[] = {2, 1};
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		struct ptl_req req;
		struct ptl_resp resp;
		const char *body;

		ptl_mem_reset(arena);
		new_req(&req);
		ptl_resp_init(&resp, arena);
		ok(ptl_pair_refresh(&req, &resp, user.id, roles[i], sid,
				    hash) == PTL_OK,
		   "ptl_pair_refresh, role %lld", (long long)roles[i]);
		body = ptl_mem_strndup(arena, resp.body.data, resp.body.len);
		is_str(body, refresh_want(roles[i]),
		       "  {token, refreshToken, tokenExpires}, in that order");
		ok(strncmp(body, "{\"token\":\"", 10) == 0 &&
		       strstr(body, "\",\"refreshToken\":\"") != NULL &&
		       strstr(body, "\"user\"") == NULL,
		   "  the shape, no user");
		is_str(resp.set_access, member(&resp, "token"),
		       "  access cookie token");
		is_str(resp.set_refresh, member(&resp, "refreshToken"),
		       "  refresh cookie token");
		ok(tokens_verify(resp.set_access, resp.set_refresh),
		   "  both verify for the session");
	}
	{
		/* After a rotation the role is {"id":N}, after a login the
		 * full role: the two access tokens differ. */
		struct ptl_req req;
		struct ptl_resp a, b;

		ptl_mem_reset(arena);
		new_req(&req);
		ptl_resp_init(&a, arena);
		ptl_resp_init(&b, arena);
		ok(ptl_pair_login(&req, &a, &user, sid, hash) == PTL_OK &&
		       ptl_pair_refresh(&req, &b, user.id, user.role_id, sid,
					hash) == PTL_OK &&
		       strcmp(a.set_access, b.set_access) != 0 &&
		       strcmp(a.set_refresh, b.set_refresh) == 0,
		   "login and refresh sign different access tokens, the same "
		   "refresh token");
	}
}

/* ---- through ptl_endpoint_serve ------------------------------------------ */

static enum ptl_err
h_login(struct ptl_req *req, struct ptl_resp *resp)
{
	return ptl_pair_login(req, resp, &user, sid, hash);
}

static enum ptl_err
h_refresh(struct ptl_req *req, struct ptl_resp *resp)
{
	return ptl_pair_refresh(req, resp, user.id, user.role_id, sid, hash);
}

static const struct ptl_route routes[] = {
    {"POST", "/api/v1/auth/email/login", PTL_AUTH_NONE, PTL_NO_FIELDS, h_login,
     PTL_BUCKET_NONE},
    {"POST", "/api/v1/auth/refresh", PTL_AUTH_REFRESH, PTL_NO_FIELDS, h_refresh,
     PTL_BUCKET_NONE},
};

static const struct ptl_endpoint ep = {"pair", routes,
				       sizeof(routes) / sizeof(routes[0])};

static void
serve(const char *const *vars, const char *body)
{
	struct ptl_transport t;

	ptl_mem_reset(arena);
	memio_start(&m, &t, vars, body, body != NULL ? strlen(body) : 0);
	ptl_endpoint_serve(&app, &ep, &t, arena);
}

static bool
starts(const char *prefix)
{
	return strncmp(m.out, prefix, strlen(prefix)) == 0;
}

/* The value of the cookie name set by the last answer, or NULL; attrs:
 * what must follow the value. */
static const char *
set_cookie(const char *name, const char *attrs)
{
	const char *k = ptl_mem_printf(arena, "\r\nSet-Cookie: %s=", name);
	const char *p = strstr(m.out, k), *end;

	if (p == NULL)
		return NULL;
	p += strlen(k);
	end = strchr(p, ';');
	if (end == NULL || strncmp(end, attrs, strlen(attrs)) != 0 ||
	    strncmp(end + strlen(attrs), "\r\n", 2) != 0)
		return NULL;
	return ptl_mem_strndup(arena, p, (size_t)(end - p));
}

#define POST(uri, type, accept, len)                                           \
	"REQUEST_METHOD", "POST", "REQUEST_URI", uri, "CONTENT_TYPE", type,    \
	    "CONTENT_LENGTH", len, "REMOTE_ADDR", "127.0.0.1", "HTTP_HOST",    \
	    "localhost:3000", "HTTP_ORIGIN", FRONT, "HTTP_ACCEPT", accept

static void
test_served(void)
{
	static const char access_attrs[] =
	    "; Max-Age=900; Path=/; HttpOnly; SameSite=Lax";
	static const char refresh_attrs[] =
	    "; Max-Age=2592000; Path=/api/v1/auth; HttpOnly; SameSite=Strict";
	const char *form = "application/x-www-form-urlencoded";
	const char *html = "text/html";
	const char *browser[] = {
	    POST("/api/v1/auth/email/login", form, html, "16"), NULL};
	const char *json[] = {POST("/api/v1/auth/email/login",
				   "application/json", "application/json", "2"),
			      NULL};
	const char *a, *r, *body, *cookie;

	serve(browser, "redirect=%2Fhome");
	ok(starts("Status: 303 See Other\r\nLocation: " FRONT "/home\r\n"),
	   "browser sign-in: 303 to the redirect");
	a = set_cookie("authportal_access", access_attrs);
	r = set_cookie("authportal_refresh", refresh_attrs);
	ok(tokens_verify(a, r), "  the token pair in its two cookies");
	/* Kept apart: the next serve() resets the arena. */
	cookie =
	    ptl_mem_printf(keep, "authportal_refresh=%s", r != NULL ? r : "");
	body = strstr(m.out, "\r\n\r\n");
	ok(body != NULL && body[4] == '\0' &&
	       strstr(m.out, "\r\nContent-Length: 0\r\n") != NULL,
	   "  no body");

	serve(json, "{}");
	ok(starts("Status: 200 OK\r\n") && strstr(m.out, "Set-Cookie") == NULL,
	   "JSON sign-in: 200, no cookie");
	body = strstr(m.out, "\r\n\r\n");
	is_str(body != NULL ? body + 4 : NULL, login_want(), "  LoginResponse");

	{
		const char *vars[] = {
		    POST("/api/v1/auth/refresh", form, html, "0"),
		    "HTTP_COOKIE", cookie, NULL};

		serve(vars, "");
		ok(starts("Status: 303 See Other\r\nLocation: " FRONT "/\r\n"),
		   "browser refresh with the cookie: 303 home");
		a = set_cookie("authportal_access", access_attrs);
		r = set_cookie("authportal_refresh", refresh_attrs);
		ok(tokens_verify(a, r), "  a new pair in the cookies");
	}
}

int
main(void)
{
	int64_t uid;

	setenv("FRONTEND_DOMAIN", FRONT, 1);
	fix_app_open(&app);
	arena = ptl_mem_new();
	keep = ptl_mem_new();
	memio_init(&m, 64 * 1024);
	uid = fix_user(&app, "pair@example.com", NULL, "email", 2);
	if (!ok(uid > 0 && ptl_account_get(keep, &app, uid, &user) == PTL_OK &&
		    ptl_session_create(keep, &app, user.id, "UA", "::1",
				       FIX_NOW_MS, &sid, &hash) == PTL_OK,
		"a user and a session"))
		goto out;
	test_login();
	test_refresh();
	test_served();
out:
	memio_free(&m);
	ptl_mem_free(keep);
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
