/* SPDX-License-Identifier: ISC */
/*
 * test_social: the social sign-in use cases (domain/social.h). The linking
 * rules of API.md §5.2 (new user, returning user by subject, a verified
 * email reaching an existing account unchanged, the Inactive account moved
 * to the provider, an unverified email refused, two providers reaching one
 * user, a disabled account, a deleted user's address); the states of the
 * redirect flow (single use, expiry, provider, browser cookie, the
 * provider's error); the settings a provider lacks; and GitHub end to end
 * (token login, and a callback whose code exchange carries the PKCE
 * verifier) against a loopback server (httpd.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "adapters/crypto.h"
#include "adapters/http.h"
#include "base/buf.h"
#include "domain/social.h"
#include "fixture.h"
#include "httpd.h"

static struct ptl_app app;
static struct ptl_arena *arena;
static struct httpd srv;

static int64_t
link_as(enum ptl_social_provider p, const char *id, const char *email,
	bool verified, struct ptl_refusal *why)
{
	const struct ptl_social_profile pr = {id, email, verified, "Ann",
					      "Lee"};
	int64_t uid = 0;

	if (ptl_social_link(arena, &app, p, &pr, FIX_NOW_MS, &uid, why) !=
	    PTL_OK)
		return -1;
	return uid;
}

static long long sql_int(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static long long
sql_int(const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return fix_sql_int(fix_path("auth.db"), sql);
}

static void
linking(void)
{
	struct ptl_refusal why;
	int64_t a, b, c, e, in, d;

	a = link_as(PTL_SOCIAL_GOOGLE, "g-1", "Ann@Example.com", true, &why);
	ok(a > 0, "a new Google user is created");
	is_int(
	    sql_int("SELECT status_id = 1 AND provider = 'google' AND "
		    "social_id = 'g-1' AND password IS NULL AND role_id = 2 "
		    "AND email = 'ann@example.com' FROM users WHERE id = %lld",
		    (long long)a),
	    1, "Active, provider google, no password, email lower-cased");
	is_int(link_as(PTL_SOCIAL_GOOGLE, "g-1", "ann@example.com", true, &why),
	       a, "the same subject reaches the same user");
	b = link_as(PTL_SOCIAL_GITHUB, "77", "ann@example.com", true, &why);
	is_int(b, a, "another provider with the same verified email too");
	is_int(link_as(PTL_SOCIAL_GITHUB, "77", NULL, false, &why), a,
	       "and then by its own subject, without an email");
	is_int(sql_int("SELECT provider = 'google' FROM users WHERE id = %lld",
		       (long long)a),
	       1, "the account keeps the provider it was made with");

	is_int(
	    link_as(PTL_SOCIAL_FACEBOOK, "f-1", "ann@example.com", false, &why),
	    -1, "an unverified email is refused ...");
	is_str(why.key, "emailNotVerified", "... with emailNotVerified");
	is_str(why.field, "email", "... on email");

	e = fix_user(&app, "bob@example.com", "$argon2id$x", "email", 2);
	is_int(
	    link_as(PTL_SOCIAL_GOOGLE, "g-bob", "bob@example.com", true, &why),
	    e, "a verified email reaches the existing Active account");
	is_int(sql_int("SELECT provider = 'email' AND social_id IS NULL AND "
		       "password IS NOT NULL FROM users WHERE id = %lld",
		       (long long)e),
	       1, "which stays an email account (§5.2)");

	in = fix_user(&app, "cat@example.com", "$argon2id$x", "email", 2);
	(void)fix_sql_exec(fix_path("auth.db"),
			   "UPDATE users SET status_id = 2 WHERE email = "
			   "'cat@example.com'");
	is_int(link_as(PTL_SOCIAL_GITHUB, "88", "cat@example.com", true, &why),
	       in, "a verified email reaches the Inactive account ...");
	is_int(sql_int("SELECT provider = 'github' AND social_id = '88' AND "
		       "status_id = 2 FROM users WHERE id = %lld",
		       (long long)in),
	       1, "... which moves to the provider and stays Inactive");

	d = fix_user(&app, "dan@example.com", NULL, "email", 2);
	(void)fix_sql_exec(fix_path("auth.db"),
			   "UPDATE users SET disabled_at = 1 WHERE email = "
			   "'dan@example.com'");
	is_int(
	    link_as(PTL_SOCIAL_GOOGLE, "g-dan", "dan@example.com", true, &why),
	    -1, "a disabled account is not signed in");
	is_str(why.key, "userNotFound", "... userNotFound");
	(void)d;

	(void)fix_user(&app, "gone@example.com", NULL, "email", 2);
	(void)fix_sql_exec(fix_path("auth.db"),
			   "UPDATE users SET deleted_at = 1 WHERE email = "
			   "'gone@example.com'");
	c = link_as(PTL_SOCIAL_GOOGLE, "g-new", "gone@example.com", true, &why);
	ok(c > 0 && c != a, "a deleted user's address makes a new user ...");
	is_int(sql_int("SELECT email IS NULL FROM users WHERE id = %lld",
		       (long long)c),
	       1, "... without it (the address stays taken)");
	c = link_as(PTL_SOCIAL_APPLE, "a-1", NULL, false, &why);
	is_int(sql_int("SELECT email IS NULL AND provider = 'apple' FROM users "
		       "WHERE id = %lld",
		       (long long)c),
	       1, "a profile without email makes a user without one");
	is_int(link_as(PTL_SOCIAL_APPLE, "a-1", "new@example.com", true, &why),
	       c, "a returning user ...");
	is_int(sql_int("SELECT email = 'new@example.com' FROM users WHERE "
		       "id = %lld",
		       (long long)c),
	       1, "... takes a verified address no one has");
	is_str(ptl_social_linked(arena, &app, a), "github,google",
	       "the providers linked to a user");
	ok(ptl_social_linked(arena, &app, e) != NULL &&
	       strcmp(ptl_social_linked(arena, &app, e), "google") == 0,
	   "an email account reached by Google lists it");
}

/* The state of a Location. Arena-owned. */
static char *
state_of(const char *location)
{
	const char *p = strstr(location, "&state=");
	size_t len;

	if (p == NULL)
		return ptl_mem_strdup(arena, "");
	p += 7;
	len = strcspn(p, "&");
	return ptl_mem_strndup(arena, p, len);
}

static enum ptl_err
land(enum ptl_social_provider p, const char *state, const char *browser,
     const char *code, const char *error, struct ptl_social_landing *out)
{
	const struct ptl_social_callback in = {p,       code, state,      error,
					       browser, "ua", "127.0.0.1"};

	return ptl_social_callback(arena, &app, &in, FIX_NOW_MS, out);
}

/* Starts a GitHub flow at now_ms (not a test of its own). */
static void
begin(const char *target, int64_t now_ms, struct ptl_social_started *st)
{
	struct ptl_refusal why;

	if (ptl_social_authorize(arena, &app, PTL_SOCIAL_GITHUB, target, now_ms,
				 st, &why) != PTL_OK) {
		diag("authorize failed");
		st->location = ptl_mem_strdup(arena, "");
		st->browser = ptl_mem_strdup(arena, "");
	}
}

static void
states(void)
{
	struct ptl_social_started st;
	struct ptl_social_landing out;
	struct ptl_refusal why;
	char *state;

	is_int(ptl_social_authorize(arena, &app, PTL_SOCIAL_GITHUB,
				    "http://localhost:3000/after", FIX_NOW_MS,
				    &st, &why),
	       PTL_OK, "authorize starts a flow");
	state = state_of(st.location);
	is_int((int)strlen(state), 43, "a state of 256 bits");
	ok(strstr(st.location, "code_challenge_method=S256") != NULL &&
	       strstr(st.location, "&code_challenge=") != NULL,
	   "with a PKCE S256 challenge");
	ok(strstr(st.location, "redirect_uri=http%3A%2F%2Fapi.example%2F"
			       "api%2Fv1%2Fauth%2Fgithub%2Fcallback") != NULL,
	   "and the callback of BACKEND_DOMAIN");
	is_int(sql_int("SELECT count(*) FROM oauth_states"), 1,
	       "one stored state");
	is_int(sql_int("SELECT count(*) FROM oauth_states WHERE verifier "
		       "IS NOT NULL AND length(hash) = 32"),
	       1, "stored as a digest");
	is_int(land(PTL_SOCIAL_GITHUB, state, "other-browser", "c", NULL, &out),
	       PTL_ERR_VALIDATION, "another browser's cookie is refused");
	is_str(out.error, "invalidState", "... invalidState");
	is_str(out.target, "http://localhost:3000/after",
	       "... sent to the stored target");
	is_int(sql_int("SELECT count(*) FROM oauth_states"), 0,
	       "the state is spent by that first callback");

	begin(NULL, FIX_NOW_MS, &st);
	state = state_of(st.location);
	is_int(land(PTL_SOCIAL_GITHUB, state, NULL, "c", NULL, &out),
	       PTL_ERR_VALIDATION, "no browser cookie is refused");
	is_int(land(PTL_SOCIAL_GITHUB, state, st.browser, "c", NULL, &out),
	       PTL_ERR_VALIDATION, "the state cannot be used again");
	is_str(out.error, "invalidState", "... invalidState");
	ok(out.target == NULL, "... and an unknown state has no target");

	begin(NULL, FIX_NOW_MS, &st);
	state = state_of(st.location);
	is_int(land(PTL_SOCIAL_GOOGLE, state, st.browser, "c", NULL, &out),
	       PTL_ERR_VALIDATION, "another provider's state is refused");
	is_str(out.error, "invalidState", "... invalidState");

	begin(NULL, FIX_NOW_MS - PTL_SOCIAL_STATE_TTL_MS, &st);
	state = state_of(st.location);
	is_int(land(PTL_SOCIAL_GITHUB, state, st.browser, "c", NULL, &out),
	       PTL_ERR_VALIDATION, "an expired state is refused");
	is_str(out.error, "invalidState", "... invalidState");

	begin(NULL, FIX_NOW_MS, &st);
	state = state_of(st.location);
	is_int(land(PTL_SOCIAL_GITHUB, state, st.browser, NULL, "access_denied",
		    &out),
	       PTL_ERR_VALIDATION, "the provider's error ...");
	is_str(out.error, "accessDenied", "... is accessDenied");
	is_int(land(PTL_SOCIAL_GITHUB, NULL, st.browser, "c", NULL, &out),
	       PTL_ERR_VALIDATION, "no state is refused");
	is_str(out.error, "invalidState", "... invalidState");

	begin(NULL, FIX_NOW_MS - 2 * PTL_SOCIAL_STATE_TTL_MS, &st);
	begin(NULL, FIX_NOW_MS, &st);
	is_int(sql_int("SELECT count(*) FROM oauth_states WHERE expires_at < "
		       "%lld",
		       (long long)FIX_NOW_MS),
	       0, "a new flow prunes the expired states");
}

static void
settings(void)
{
	struct ptl_social_started st;
	struct ptl_refusal why;

	is_str(app.cfg.google_jwks_url,
	       "https://www.googleapis.com/oauth2/v3/certs",
	       "GOOGLE_JWKS_URL defaults to Google's");
	is_str(app.cfg.facebook_graph_url, "https://graph.facebook.com",
	       "FACEBOOK_GRAPH_URL defaults to Facebook's");
	is_str(app.cfg.apple_jwks_url, "https://appleid.apple.com/auth/keys",
	       "APPLE_JWKS_URL defaults to Apple's");
	ok(app.cfg.oauth_connect_timeout_ms == 5000 &&
	       app.cfg.oauth_timeout_ms == 10000 &&
	       app.cfg.oauth_jwks_cache_s == 3600,
	   "the timeouts and the JWKS lifetime default to 5 s, 10 s, 1 h");
	is_str(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_GOOGLE, false),
	       "GOOGLE_CLIENT_ID", "Google without its client id");
	is_str(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_APPLE, false),
	       "APPLE_APP_AUDIENCE", "Apple with an empty audience list");
	is_str(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_FACEBOOK, false),
	       "FACEBOOK_APP_ID", "Facebook without its app id");
	ok(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_GITHUB, true) == NULL,
	   "GitHub has all it needs");
	is_int(ptl_social_authorize(arena, &app, PTL_SOCIAL_GOOGLE, NULL,
				    FIX_NOW_MS, &st, &why),
	       PTL_ERR_VALIDATION, "authorize of an unconfigured provider");
	is_str(why.key, "providerNotConfigured:GOOGLE_CLIENT_ID",
	       "... names the setting");
	is_int(ptl_social_authorize(arena, &app, PTL_SOCIAL_APPLE, NULL,
				    FIX_NOW_MS, &st, &why),
	       PTL_ERR_NO_ROUTE, "Apple has no redirect flow");
}

static void
github(void)
{
	struct ptl_social_login in = {
	    PTL_SOCIAL_GITHUB, "gho_token", NULL, NULL, "ua", "127.0.0.1"};
	struct ptl_social_started st;
	struct ptl_social_landing out;
	struct ptl_login login;
	struct ptl_refusal why;
	char *state;

	httpd_put(&srv, "gh_user", "{\"id\":4242,\"name\":\"Gil Hub Jr\"}");
	httpd_put(&srv, "gh_user_emails",
		  "[{\"email\":\"other@example.com\",\"primary\":false,"
		  "\"verified\":true},{\"email\":\"Gil@Example.com\","
		  "\"primary\":true,\"verified\":true}]");
	is_int(
	    ptl_social_token_login(arena, &app, &in, FIX_NOW_MS, &login, &why),
	    PTL_OK, "a GitHub token login");
	is_str(login.user.email, "gil@example.com", "the primary email");
	is_str(login.user.first_name, "Gil", "the first name ...");
	is_str(login.user.last_name, "Hub Jr", "... and the rest");
	is_str(login.user.social_id, "4242", "the numeric id as text");
	ok(login.session_id > 0 && login.hash != NULL, "a session is opened");
	is_int(sql_int("SELECT count(*) FROM audit_log WHERE event = "
		       "'signin_social' AND detail = 'github'"),
	       1, "and audited");

	httpd_put(&srv, "gh_user_emails",
		  "[{\"email\":\"gil@example.com\",\"primary\":true,"
		  "\"verified\":false}]");
	is_int(
	    ptl_social_token_login(arena, &app, &in, FIX_NOW_MS, &login, &why),
	    PTL_ERR_VALIDATION, "an unverified primary email ...");
	is_str(why.key, "emailNotVerified", "... is refused");
	httpd_put(&srv, "gh_user_emails", "[]");
	(void)unlink(ptl_mem_printf(arena, "%s/gh_user", srv.dir));
	is_int(
	    ptl_social_token_login(arena, &app, &in, FIX_NOW_MS, &login, &why),
	    PTL_ERR_VALIDATION, "a token GitHub refuses (404) ...");
	is_str(why.key, "wrongToken", "... is wrongToken");
	is_int(
	    sql_int("SELECT count(*) FROM audit_log WHERE event = "
		    "'signin_social_failed' AND detail = 'github wrongToken'"),
	    1, "and audited");

	httpd_put(&srv, "gh_user", "{\"id\":4242,\"name\":\"Gil\"}");
	httpd_put(&srv, "gh_token", "{\"access_token\":\"gho_flow\"}");
	begin(NULL, FIX_NOW_MS, &st);
	state = state_of(st.location);
	is_int(
	    land(PTL_SOCIAL_GITHUB, state, st.browser, "the-code", NULL, &out),
	    PTL_OK, "a callback signs in");
	is_str(out.login.user.social_id, "4242", "... the GitHub user");
	ok(out.target == NULL, "... with no stored target");
}

int
main(void)
{
	char dir[] = "/tmp/ptl-social-XXXXXX";
	char url[128];

	plan(71);
	if (mkdtemp(dir) == NULL || !httpd_start(&srv, dir)) {
		printf("Bail out! no loopback server\n");
		return 1;
	}
	setenv("BACKEND_DOMAIN", "http://api.example", 1);
	setenv("GITHUB_CLIENT_ID", "gh-client", 1);
	setenv("GITHUB_CLIENT_SECRET", "gh-secret", 1);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/gh", srv.port);
	setenv("GITHUB_API_URL", url, 1);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/gh_token",
		       srv.port);
	setenv("GITHUB_TOKEN_URL", url, 1);
	setenv("AUTH_RATE_LIMIT", "false", 1);
	fix_app_open(&app);
	arena = ptl_mem_new();
	linking();
	states();
	settings();
	github();
	ptl_http_close();
	ptl_social_forget_keys();
	ptl_mem_free(arena);
	fix_app_close(&app);
	httpd_stop(&srv);
	fix_rmdir(dir);
	return tap_failed != 0;
}
