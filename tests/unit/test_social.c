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
 * verifier) against a loopback server (httpd.h); and Google ID tokens
 * signed here by libcrypto: the claims checked, the JWKS cached, fetched
 * again once for a new kid (rotation) and at most 5 times a minute for
 * made-up kids, and again when its lifetime is over.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "adapters/crypto.h"
#include "adapters/http.h"
#include "base/buf.h"
#include "domain/social.h"
#include "web/req.h"
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

	is_str(app.cfg.google_token_url, "https://oauth2.googleapis.com/token",
	       "GOOGLE_TOKEN_URL defaults to Google's");
	is_str(app.cfg.facebook_graph_url, "https://graph.facebook.com",
	       "FACEBOOK_GRAPH_URL defaults to Facebook's");
	is_str(app.cfg.apple_jwks_url, "https://appleid.apple.com/auth/keys",
	       "APPLE_JWKS_URL defaults to Apple's");
	ok(app.cfg.oauth_connect_timeout_ms == 5000 &&
	       app.cfg.oauth_timeout_ms == 10000 &&
	       app.cfg.oauth_jwks_cache_s == 3600,
	   "the timeouts and the JWKS lifetime default to 5 s, 10 s, 1 h");
	ok(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_GOOGLE, false) ==
	       NULL,
	   "Google with its client id has token login");
	is_str(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_GOOGLE, true),
	       "GOOGLE_CLIENT_SECRET",
	       "but no redirect flow without its secret");
	is_str(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_APPLE, false),
	       "APPLE_APP_AUDIENCE", "Apple with an empty audience list");
	is_str(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_FACEBOOK, false),
	       "FACEBOOK_APP_ID", "Facebook without its app id");
	ok(ptl_social_missing(arena, &app.cfg, PTL_SOCIAL_GITHUB, true) == NULL,
	   "GitHub has all it needs");
	is_int(ptl_social_authorize(arena, &app, PTL_SOCIAL_FACEBOOK, NULL,
				    FIX_NOW_MS, &st, &why),
	       PTL_ERR_VALIDATION, "authorize of an unconfigured provider");
	is_str(why.key, "providerNotConfigured:FACEBOOK_APP_ID",
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

	{
		static const char *const bad_ids[] = {"1.5",
						      "0",
						      "-5",
						      "\"12\"",
						      "true",
						      "9007199254740992",
						      "9007199254740993",
						      "1e300"};
		size_t i;

		httpd_put(&srv, "gh_user_emails", "[]");
		for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
			httpd_put(
			    &srv, "gh_user",
			    ptl_mem_printf(arena, "{\"id\":%s}", bad_ids[i]));
			ok(ptl_social_token_login(arena, &app, &in, FIX_NOW_MS,
						  &login,
						  &why) == PTL_ERR_VALIDATION,
			   "a GitHub id of %s is refused (only integers 1 to "
			   "2^53-1, exact as doubles)",
			   bad_ids[i]);
		}
	}
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

/* --- Google ID tokens ------------------------------------------------------
 */

static EVP_PKEY *k1, *k2;

static char *
b64(const void *p, size_t len)
{
	struct ptl_buf b;

	ptl_buf_init(&b, arena, 64, 1 << 20);
	ptl_buf_b64url(&b, p, len);
	return b.data;
}

static char *
bn_b64(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1100];
	int n;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		return ptl_mem_strdup(arena, "");
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64(buf, (size_t)n);
}

static char *
jwk_of(EVP_PKEY *k, const char *kid)
{
	return ptl_mem_printf(arena,
			      "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\","
			      "\"e\":\"%s\"}",
			      kid, bn_b64(k, OSSL_PKEY_PARAM_RSA_N),
			      bn_b64(k, OSSL_PKEY_PARAM_RSA_E));
}

/* An RS256 token of payload under k, named kid. */
static char *
id_token(EVP_PKEY *k, const char *kid, const char *payload)
{
	char *h =
	    ptl_mem_printf(arena, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	char *input = ptl_mem_printf(arena, "%s.%s", b64(h, strlen(h)),
				     b64(payload, strlen(payload)));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t slen = sizeof(sig);

	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(md, sig, &slen, (unsigned char *)input,
			   strlen(input)) != 1)
		slen = 0;
	EVP_MD_CTX_free(md);
	return ptl_mem_printf(arena, "%s.%s", input, b64(sig, slen));
}

/* Google's claims for subject sub at the fixture's clock, with extra
 * members (",\"nonce\":...") and exp/iat moved by the given seconds. */
static char *
claims(const char *sub, const char *aud, long long exp_s, const char *extra)
{
	long long now_s = FIX_NOW_MS / 1000;

	return ptl_mem_printf(arena,
			      "{\"iss\":\"https://accounts.google.com\","
			      "\"aud\":\"%s\",\"sub\":\"%s\",\"iat\":%lld,"
			      "\"exp\":%lld,\"email\":\"%s@example.com\","
			      "\"email_verified\":true,\"given_name\":\"G\"%s}",
			      aud, sub, now_s - 10, now_s + exp_s, sub, extra);
}

static enum ptl_err
google_login(const char *token, int64_t now_ms, struct ptl_refusal *why)
{
	struct ptl_social_login in = {
	    PTL_SOCIAL_GOOGLE, token, NULL, NULL, "ua", "127.0.0.1"};
	struct ptl_login login;

	return ptl_social_token_login(arena, &app, &in, now_ms, &login, why);
}

#define KEYS1 ptl_mem_printf(arena, "{\"keys\":[%s]}", jwk_of(k1, "k1"))
#define KEYS12                                                                 \
	ptl_mem_printf(arena, "{\"keys\":[%s,%s]}", jwk_of(k1, "k1"),          \
		       jwk_of(k2, "k2"))
#define AUD "google-client"

static void
google(void)
{
	struct ptl_refusal why;
	int fetches, i;

	k1 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	(void)httpd_put(&srv, "google_jwks", KEYS1);
	is_int(google_login(id_token(k1, "k1", claims("g-a", AUD, 3600, "")),
			    FIX_NOW_MS, &why),
	       PTL_OK, "a Google ID token signs in");
	is_int(httpd_requests(&srv, "/google/jwks"), 1, "after one JWKS fetch");
	is_int(google_login(id_token(k1, "k1", claims("g-a", AUD, 3600, "")),
			    FIX_NOW_MS, &why),
	       PTL_OK, "again ...");
	is_int(httpd_requests(&srv, "/google/jwks"), 1,
	       "... from the cached set");

	(void)httpd_put(&srv, "google_jwks", KEYS12);
	is_int(google_login(id_token(k2, "k2", claims("g-b", AUD, 3600, "")),
			    FIX_NOW_MS, &why),
	       PTL_OK, "a token of a new key (rotation) ...");
	is_int(httpd_requests(&srv, "/google/jwks"), 2,
	       "... fetches the set once more");
	for (i = 0; i < 8; i++)
		(void)google_login(id_token(k2, ptl_mem_printf(arena, "x%d", i),
					    claims("g-b", AUD, 3600, "")),
				   FIX_NOW_MS, &why);
	fetches = httpd_requests(&srv, "/google/jwks");
	is_str(why.key, "wrongToken", "made-up kids are wrongToken ...");
	ok(fetches >= 3 && fetches <= 2 + 5,
	   "... and fetch the set at most 5 times a minute (%d)", fetches - 2);
	is_int(google_login(id_token(k2, "k2", claims("g-b", AUD, 3600, "")),
			    FIX_NOW_MS + 3601 * 1000, &why),
	       PTL_OK, "past OAUTH_JWKS_CACHE_SECONDS ...");
	is_int(httpd_requests(&srv, "/google/jwks"), fetches + 1,
	       "... the set is fetched again");

	is_int(
	    google_login(id_token(k1, "k1", claims("g-c", "other", 3600, "")),
			 FIX_NOW_MS, &why),
	    PTL_ERR_VALIDATION, "another audience is refused");
	is_str(why.key, "wrongToken", "... wrongToken");
	is_int(google_login(id_token(k1, "k1",
				     "{\"iss\":\"https://evil.example\","
				     "\"aud\":\"" AUD "\",\"sub\":\"g-c\","
				     "\"exp\":9999999999}"),
			    FIX_NOW_MS, &why),
	       PTL_ERR_VALIDATION, "another issuer is refused");
	is_int(google_login(id_token(k1, "k1", claims("g-c", AUD, -61, "")),
			    FIX_NOW_MS, &why),
	       PTL_ERR_VALIDATION, "a token expired past the skew is refused");
	is_int(google_login(id_token(k1, "k1", claims("g-c", AUD, -59, "")),
			    FIX_NOW_MS, &why),
	       PTL_OK, "one expired within the 60 s skew is taken");
	is_int(google_login(id_token(k1, "k1",
				     "{\"iss\":\"accounts.google.com\","
				     "\"aud\":\"" AUD "\",\"sub\":\"g-c\"}"),
			    FIX_NOW_MS, &why),
	       PTL_ERR_VALIDATION, "a token without exp is refused");
	is_int(google_login(
		   id_token(k1, "k1",
			    claims("g-c", AUD, 3600, ",\"iat\":9999999999")),
		   FIX_NOW_MS, &why),
	       PTL_ERR_VALIDATION, "a token issued in the future is refused");
	is_int(google_login(
		   id_token(k1, "k1",
			    ptl_mem_printf(arena,
					   "{\"iss\":\"accounts.google.com\","
					   "\"aud\":[\"x\",\"" AUD "\"],"
					   "\"sub\":\"g-d\",\"exp\":%lld,"
					   "\"email\":\"d@example.com\","
					   "\"email_verified\":\"true\"}",
					   (long long)FIX_NOW_MS / 1000 + 60)),
		   FIX_NOW_MS, &why),
	       PTL_ERR_VALIDATION,
	       "Google's email_verified \"true\" (a string) ...");
	is_str(why.key, "emailNotVerified", "... is not verified");
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

/* The query of a callback: a value followed by an encoded NUL. */
static void
query_nul(void)
{
	static const struct {
		const char *query;
		bool nul;
	} cases[] = {
	    {"code=c&state=s%00", true},
	    {"redirect=/%00/evil.example", true},
	    {"state=s%2500", false},
	    {"a=%0a&b=%0", false},
	    {"", false},
	    {"x=%", false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_req req;

		memset(&req, 0, sizeof(req));
		req.query = cases[i].query;
		ok(ptl_req_query_has_nul(&req) == cases[i].nul,
		   "query \"%s\" %s an encoded NUL", cases[i].query,
		   cases[i].nul ? "has" : "has no");
	}
}

int
main(void)
{
	char dir[] = "/tmp/ptl-social-XXXXXX";
	char url[128];

	plan(72 + 19 + 8 + 6);
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
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/google/jwks",
		       srv.port);
	setenv("GOOGLE_JWKS_URL", url, 1);
	setenv("GOOGLE_CLIENT_ID", AUD, 1);
	setenv("AUTH_RATE_LIMIT", "false", 1);
	fix_app_open(&app);
	arena = ptl_mem_new();
	linking();
	states();
	settings();
	github();
	google();
	query_nul();
	ptl_http_close();
	ptl_social_forget_keys();
	ptl_mem_free(arena);
	fix_app_close(&app);
	httpd_stop(&srv);
	fix_rmdir(dir);
	return tap_failed != 0;
}
