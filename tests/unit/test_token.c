/* SPDX-License-Identifier: ISC */
/*
 * test_token: lib/domain/token.c and lib/adapters/jws.c. Access and refresh tokens round
 * trip; the access claims (decoded here from base64url); expiry at the
 * second; kinds never cross; and every forged shape is refused: alg none,
 * HS512 under the right secret, wrong key, no exp, a time claim (exp, nbf,
 * iat) that is not an integer, nbf in the future, a "crit" header (RFC 7515
 * §4.1.11), tampered signature or payload, bad framing. Tokens made by
 * hand are signed with libjwt directly, with a positive control (a correct
 * hand-made token passes) so that each refusal means something. The links
 * of the mails (confirm, confirm-new-email, reset): the claims of the
 * reference, and a table of every kind against every change of its
 * account, each killing exactly the links it must (API.md §4.3).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <sodium.h>

#include "domain/account.h"
#include "domain/app.h"
#include "fixture.h"
#include "adapters/jws.h"
#include "base/mem.h"
#include "tap.h"
#include "domain/token.h"

#define NOW_S (FIX_NOW_MS / 1000)
#define HASH64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct ptl_app app;
static struct ptl_arena *arena;

/* A token signed by libjwt with alg over key (NULL for none), with the
 * header members of headers (a JSON object, or NULL) besides alg and typ.
 * Arena-owned. */
static char *
sign_hdr(jwt_alg_t alg, const char *key, const char *headers,
	 const char *grants)
{
	jwt_t *jwt = NULL;
	char *out, *copy;

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_set_alg(jwt, alg, (const unsigned char *)key,
			key != NULL ? (int)strlen(key) : 0) != 0 ||
	    (headers != NULL && jwt_add_headers_json(jwt, headers) != 0) ||
	    jwt_add_grants_json(jwt, grants) != 0) {
		jwt_free(jwt);
		return NULL;
	}
	out = jwt_encode_str(jwt);
	jwt_free(jwt);
	if (out == NULL)
		return NULL;
	copy = ptl_mem_strdup(arena, out);
	free(out);
	return copy;
}

/* A token signed by libjwt with alg over key (NULL for none). Arena-owned. */
static char *
sign(jwt_alg_t alg, const char *key, const char *grants)
{
	return sign_hdr(alg, key, NULL, grants);
}

/* The payload of a compact JWS, decoded (arena-owned), or NULL. */
static char *
payload(const char *token)
{
	const char *p = strchr(token, '.'), *end;
	size_t bin_len = 0;
	char *bin;

	if (p == NULL)
		return NULL;
	p++;
	end = strchr(p, '.');
	if (end == NULL)
		return NULL;
	bin = ptl_mem_alloc(arena, (size_t)(end - p) + 1);
	if (sodium_base642bin((unsigned char *)bin, (size_t)(end - p), p,
			      (size_t)(end - p), NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return NULL;
	bin[bin_len] = '\0';
	return bin;
}

static long long
num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
}

static void
test_access(void)
{
	char *tok = NULL, *json;
	int64_t expires = 0;
	struct ptl_access acc;
	cJSON *root, *role;

	if (!ok(ptl_token_access_issue(arena, &app, 7, 2, true, 3, FIX_NOW_MS,
				       &tok, &expires) == PTL_OK,
		"access issue"))
		return;
	is_int(expires, FIX_NOW_MS + 900000, "tokenExpires = now + 15m");
	ok(ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS, &acc) == PTL_OK,
	   "access verify");
	is_int(acc.user_id, 7, "user id");
	is_int(acc.session_id, 3, "session id");

	json = payload(tok);
	root = json != NULL ? cJSON_Parse(json) : NULL;
	if (!ok(root != NULL, "payload is JSON"))
		return;
	diag("payload %s", json);
	is_int(cJSON_GetArraySize(root), 5, "five claims");
	is_int(num(root, "id"), 7, "claim id");
	is_int(num(root, "sessionId"), 3, "claim sessionId");
	is_int(num(root, "iat"), NOW_S, "claim iat is now in seconds");
	is_int(num(root, "exp") - num(root, "iat"), 900, "exp - iat = 900");
	role = cJSON_GetObjectItemCaseSensitive(root, "role");
	ok(cJSON_IsObject(role) && num(role, "id") == 2 &&
		   strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				  role, "name")) ?: "", "User") == 0 &&
		   strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				  role, "__entity")) ?: "", "RoleEntity") == 0,
	   "full role {id,name,__entity}");
	ok(cJSON_GetObjectItemCaseSensitive(root, "hash") == NULL,
	   "no hash claim");
	cJSON_Delete(root);

	ok(ptl_token_access_issue(arena, &app, 8, 1, false, 4, FIX_NOW_MS, &tok,
				  &expires) == PTL_OK,
	   "access issue after refresh");
	json = payload(tok);
	root = json != NULL ? cJSON_Parse(json) : NULL;
	role = cJSON_GetObjectItemCaseSensitive(root, "role");
	ok(cJSON_IsObject(role) && cJSON_GetArraySize(role) == 1 &&
		   num(role, "id") == 1,
	   "short role {id}");
	cJSON_Delete(root);
}

static void
test_expiry(void)
{
	static const struct {
		int64_t at_ms;
		bool good;
		const char *name;
	} cases[] = {
		{FIX_NOW_MS, true, "at issue"},
		{FIX_NOW_MS - 60000, true, "a minute before issue (no iat check)"},
		{(NOW_S + 899) * 1000 + 999, true, "last ms before exp"},
		{(NOW_S + 900) * 1000, false, "at exp"},
		{(NOW_S + 900) * 1000 + 1, false, "after exp"},
		{FIX_NOW_MS + 86400000, false, "a day later"},
	};
	char *tok = NULL;
	int64_t expires;
	size_t i;

	if (!ok(ptl_token_access_issue(arena, &app, 7, 2, true, 3, FIX_NOW_MS,
				       &tok, &expires) == PTL_OK,
		"issue for expiry"))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_access acc;

		is_int(ptl_token_access_verify(arena, &app, tok, cases[i].at_ms,
					       &acc),
		       cases[i].good ? PTL_OK : PTL_ERR_UNAUTHORIZED, cases[i].name);
	}
	app.fake_now_ms = FIX_NOW_MS + 900000;
	{
		struct ptl_access acc;

		is_int(ptl_token_access_verify(arena, &app, tok,
					       ptl_app_now_ms(&app), &acc),
		       PTL_ERR_UNAUTHORIZED, "expired on the fake clock");
	}
	app.fake_now_ms = FIX_NOW_MS;
}

static void
test_refresh(void)
{
	char *rt = NULL, *at = NULL;
	int64_t sid = 0, expires;
	const char *hash = NULL;
	struct ptl_access acc;
	struct ptl_app same = app;

	if (!ok(ptl_token_refresh_issue(arena, &app, 5, HASH64, FIX_NOW_MS, &rt) ==
			PTL_OK,
		"refresh issue"))
		return;
	ok(ptl_token_refresh_verify(arena, &app, rt, FIX_NOW_MS, &sid, &hash) ==
			   PTL_OK &&
		   sid == 5 && hash != NULL && strcmp(hash, HASH64) == 0,
	   "refresh round trip");
	is_int(ptl_token_refresh_verify(arena, &app, rt,
					FIX_NOW_MS + 30LL * 86400000, &sid, &hash),
	       PTL_ERR_UNAUTHORIZED, "refresh expires after 30d");
	ok(ptl_token_access_issue(arena, &app, 7, 2, true, 5, FIX_NOW_MS, &at,
				  &expires) == PTL_OK,
	   "access issue");
	is_int(ptl_token_access_verify(arena, &app, rt, FIX_NOW_MS, &acc),
	       PTL_ERR_UNAUTHORIZED, "refresh token is not an access token");
	is_int(ptl_token_refresh_verify(arena, &app, at, FIX_NOW_MS, &sid, &hash),
	       PTL_ERR_UNAUTHORIZED, "access token is not a refresh token");

	/* Even under one shared secret the kinds do not cross. */
	same.refresh_key = same.access_key;
	ok(ptl_token_refresh_issue(arena, &same, 5, HASH64, FIX_NOW_MS, &rt) ==
		   PTL_OK,
	   "refresh issue under the access secret");
	is_int(ptl_token_access_verify(arena, &same, rt, FIX_NOW_MS, &acc),
	       PTL_ERR_UNAUTHORIZED, "shared secret: refresh is not access");
	is_int(ptl_token_refresh_verify(arena, &same, at, FIX_NOW_MS, &sid, &hash),
	       PTL_ERR_UNAUTHORIZED, "shared secret: access is not refresh");
}

static void
test_forged_access(void)
{
	static const struct {
		jwt_alg_t alg;
		const char *key; /* NULL: none; "A": the access secret */
		const char *grants;
		enum ptl_err want;
		const char *name;
	} cases[] = {
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"role\":{\"id\":2},\"sessionId\":3,\"iat\":1764115199,"
		 "\"exp\":1764116099}",
		 PTL_OK, "control: hand-made HS256 token passes"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,\"nbf\":1764115000}",
		 PTL_OK, "nbf in the past passes"},
		{JWT_ALG_NONE, NULL,
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "alg none refused"},
		{JWT_ALG_HS512, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "HS512 under the right secret refused"},
		{JWT_ALG_HS384, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "HS384 under the right secret refused"},
		{JWT_ALG_HS256, FIX_REFRESH_SECRET,
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "signed with the refresh secret"},
		{JWT_ALG_HS256, "some-other-secret-0123456789abcdef",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "signed with another key"},
		{JWT_ALG_HS256, "A", "{\"id\":7,\"sessionId\":3}",
		 PTL_ERR_UNAUTHORIZED, "no exp refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":\"1764116099\"}",
		 PTL_ERR_UNAUTHORIZED, "string exp refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099.5}",
		 PTL_ERR_UNAUTHORIZED, "fractional exp refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":null}",
		 PTL_ERR_UNAUTHORIZED, "null exp refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764115199}",
		 PTL_ERR_UNAUTHORIZED, "exp equal to now refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,\"nbf\":1764115300}",
		 PTL_ERR_UNAUTHORIZED, "nbf in the future refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,\"nbf\":\"0\"}",
		 PTL_ERR_UNAUTHORIZED, "string nbf refused"},
		/* A time claim that is not an integer is no time at all:
		 * libjwt reads it as absent, which must not make it pass. */
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,"
		 "\"nbf\":1764115300.5}",
		 PTL_ERR_UNAUTHORIZED, "fractional nbf in the future refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,"
		 "\"nbf\":1764115000.5}",
		 PTL_ERR_UNAUTHORIZED, "fractional nbf in the past refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,\"nbf\":null}",
		 PTL_ERR_UNAUTHORIZED, "null nbf refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,\"nbf\":true}",
		 PTL_ERR_UNAUTHORIZED, "boolean nbf refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,"
		 "\"nbf\":[1764115300]}",
		 PTL_ERR_UNAUTHORIZED, "array nbf refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,\"nbf\":{}}",
		 PTL_ERR_UNAUTHORIZED, "object nbf refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,"
		 "\"iat\":\"1764115199\"}",
		 PTL_ERR_UNAUTHORIZED, "string iat refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,"
		 "\"iat\":1764115199.5}",
		 PTL_ERR_UNAUTHORIZED, "fractional iat refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,\"iat\":null}",
		 PTL_ERR_UNAUTHORIZED, "null iat refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":true}",
		 PTL_ERR_UNAUTHORIZED, "boolean exp refused"},
		{JWT_ALG_HS256, "A", "{\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "no id refused"},
		{JWT_ALG_HS256, "A", "{\"id\":0,\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "id 0 refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":-7,\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "negative id refused"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":\"7\",\"sessionId\":3,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "string id refused"},
		{JWT_ALG_HS256, "A", "{\"id\":7,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "no sessionId refused (session check on)"},
		{JWT_ALG_HS256, "A",
		 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099,\"hash\":\"x\"}",
		 PTL_ERR_UNAUTHORIZED, "a hash claim makes it a refresh token"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *key = cases[i].key != NULL &&
						  strcmp(cases[i].key, "A") == 0
					  ? FIX_ACCESS_SECRET
					  : cases[i].key;
		char *tok = sign(cases[i].alg, key, cases[i].grants);
		struct ptl_access acc;

		if (!ok(tok != NULL, "libjwt signs: %s", cases[i].name))
			continue;
		is_int(ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS, &acc),
		       cases[i].want, cases[i].name);
	}
	{
		char *tok = sign(JWT_ALG_HS256, FIX_ACCESS_SECRET,
				 "{\"id\":7,\"exp\":1764116099}");
		struct ptl_access acc;

		app.cfg.session_check = false;
		ok(tok != NULL &&
			   ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS,
						   &acc) == PTL_OK &&
			   acc.user_id == 7 && acc.session_id == 0,
		   "no sessionId accepted with session check off");
		app.cfg.session_check = true;
	}
	{
		/* alg none with a made-up signature segment. */
		char *tok = sign(JWT_ALG_NONE, NULL,
				 "{\"id\":7,\"sessionId\":3,\"exp\":1764116099}");
		struct ptl_access acc;

		if (tok != NULL) {
			char *forged = ptl_mem_printf(arena, "%sc2ln", tok);

			is_int(ptl_token_access_verify(arena, &app, forged,
						       FIX_NOW_MS, &acc),
			       PTL_ERR_UNAUTHORIZED,
			       "alg none with a signature segment refused");
		}
	}
}

/* RFC 7515 §4.1.11: a "crit" header lists extensions that must be
 * understood; we understand none, so every "crit" is refused, for every
 * kind of token and every shape of the parameter. */
static void
test_crit(void)
{
	static const char *const headers[] = {
		"{\"crit\":[\"exp\"]}",
		"{\"crit\":[\"b64\"],\"b64\":false}",
		"{\"crit\":[\"x-unknown\"],\"x-unknown\":1}",
		"{\"crit\":[]}",
		"{\"crit\":\"x\"}",
		"{\"crit\":null}",
	};
	const char *grants =
	    "{\"id\":7,\"sessionId\":3,\"exp\":1764116099}";
	const char *refresh = "{\"sessionId\":5,\"hash\":\"" HASH64 "\","
			      "\"exp\":1764116099}";
	struct ptl_access acc;
	const char *hash;
	int64_t sid;
	size_t i;
	char *tok;

	tok = sign_hdr(JWT_ALG_HS256, FIX_ACCESS_SECRET, "{\"kid\":\"k1\"}",
		       grants);
	is_int(ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS, &acc),
	       PTL_OK, "control: another header parameter (kid) passes");
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		tok = sign_hdr(JWT_ALG_HS256, FIX_ACCESS_SECRET, headers[i],
			       grants);
		if (!ok(tok != NULL, "libjwt signs with header %s", headers[i]))
			continue;
		is_int(ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS,
					       &acc),
		       PTL_ERR_UNAUTHORIZED, "  access token refused");
		tok = sign_hdr(JWT_ALG_HS256, FIX_REFRESH_SECRET, headers[i],
			       refresh);
		is_int(ptl_token_refresh_verify(arena, &app, tok, FIX_NOW_MS,
						&sid, &hash),
		       PTL_ERR_UNAUTHORIZED, "  refresh token refused");
	}
}

static void
test_tampered(void)
{
	char *tok = NULL, *t;
	int64_t expires;
	struct ptl_access acc;
	size_t len;
	char *dot1, *dot2;
	char big[PTL_JWT_MAX_LEN + 64];

	if (!ok(ptl_token_access_issue(arena, &app, 7, 2, true, 3, FIX_NOW_MS,
				       &tok, &expires) == PTL_OK,
		"issue for tampering"))
		return;
	len = strlen(tok);
	t = ptl_mem_strdup(arena, tok);
	t[len - 1] = t[len - 1] == 'A' ? 'B' : 'A';
	is_int(ptl_token_access_verify(arena, &app, t, FIX_NOW_MS, &acc),
	       PTL_ERR_UNAUTHORIZED, "last signature character changed");
	t = ptl_mem_strdup(arena, tok);
	dot2 = strrchr(t, '.');
	dot2[1] = dot2[1] == 'A' ? 'B' : 'A';
	is_int(ptl_token_access_verify(arena, &app, t, FIX_NOW_MS, &acc),
	       PTL_ERR_UNAUTHORIZED, "first signature character changed");
	t = ptl_mem_strndup(arena, tok, (size_t)(strrchr(tok, '.') - tok) + 1);
	is_int(ptl_token_access_verify(arena, &app, t, FIX_NOW_MS, &acc),
	       PTL_ERR_UNAUTHORIZED, "signature removed");
	{
		/* Payload of another token with this token's signature. */
		char *other = NULL;

		ok(ptl_token_access_issue(arena, &app, 1, 1, true, 3, FIX_NOW_MS,
					  &other, &expires) == PTL_OK,
		   "second token");
		dot1 = strchr(other, '.');
		dot2 = strrchr(other, '.');
		t = ptl_mem_printf(arena, "%.*s%s", (int)(dot2 - other), other,
				   strrchr(tok, '.'));
		(void)dot1;
		is_int(ptl_token_access_verify(arena, &app, t, FIX_NOW_MS, &acc),
		       PTL_ERR_UNAUTHORIZED, "payload swapped");
	}
	{
		static const char *const bad[] = {
			"", ".", "..", "a.b", "a.b.c.d", ".b.c", "a.b.",
			"a..c", "a.b.c", "eyJ=.eyJ=.abc", "a b.c.d", "a.b.c\n",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			is_int(ptl_token_access_verify(arena, &app, bad[i],
						       FIX_NOW_MS, &acc),
			       PTL_ERR_UNAUTHORIZED, "malformed token refused");
	}
	t = ptl_mem_printf(arena, "%s ", tok);
	is_int(ptl_token_access_verify(arena, &app, t, FIX_NOW_MS, &acc),
	       PTL_ERR_UNAUTHORIZED, "trailing space refused");
	memset(big, 'a', sizeof(big));
	big[10] = '.';
	big[20] = '.';
	big[sizeof(big) - 1] = '\0';
	is_int(ptl_token_access_verify(arena, &app, big, FIX_NOW_MS, &acc),
	       PTL_ERR_UNAUTHORIZED, "token over 4096 bytes refused");
}

static void
test_forged_refresh(void)
{
	static const struct {
		const char *grants;
		enum ptl_err want;
		const char *name;
	} cases[] = {
		{"{\"sessionId\":5,\"hash\":\"" HASH64 "\",\"exp\":1764116099}",
		 PTL_OK, "control: hand-made refresh token passes"},
		{"{\"sessionId\":5,\"hash\":\"abc\",\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "short hash refused"},
		{"{\"sessionId\":5,\"hash\":7,\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "numeric hash refused"},
		{"{\"sessionId\":5,\"exp\":1764116099}", PTL_ERR_UNAUTHORIZED,
		 "no hash refused"},
		{"{\"sessionId\":0,\"hash\":\"" HASH64 "\",\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "session 0 refused"},
		{"{\"hash\":\"" HASH64 "\",\"exp\":1764116099}",
		 PTL_ERR_UNAUTHORIZED, "no session refused"},
		{"{\"sessionId\":5,\"hash\":\"" HASH64 "\"}", PTL_ERR_UNAUTHORIZED,
		 "no exp refused"},
		{"{\"sessionId\":5,\"hash\":\"" HASH64 "\",\"exp\":1000}",
		 PTL_ERR_UNAUTHORIZED, "expired refused"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *tok = sign(JWT_ALG_HS256, FIX_REFRESH_SECRET, cases[i].grants);
		int64_t sid;
		const char *hash;

		is_int(tok != NULL ? ptl_token_refresh_verify(arena, &app, tok,
							       FIX_NOW_MS, &sid,
							       &hash)
				   : PTL_ERR_INTERNAL,
		       cases[i].want, cases[i].name);
	}
	{
		char *tok = sign(JWT_ALG_HS512, FIX_REFRESH_SECRET,
				 "{\"sessionId\":5,\"hash\":\"" HASH64
				 "\",\"exp\":1764116099}");
		int64_t sid;
		const char *hash;

		is_int(tok != NULL ? ptl_token_refresh_verify(arena, &app, tok,
							       FIX_NOW_MS, &sid,
							       &hash)
				   : PTL_ERR_INTERNAL,
		       PTL_ERR_UNAUTHORIZED, "HS512 refresh token refused");
	}
}

/* The verified-token cache of token.c: a hit still checks expiry, and only
 * the byte-identical token hits. */
static void
test_cache(void)
{
	struct ptl_access acc;
	char *tok, *other;
	int64_t exp_ms;
	size_t len;

	if (!ok(ptl_token_access_issue(arena, &app, 9, 2, true, 5, FIX_NOW_MS,
				       &tok, &exp_ms) == PTL_OK,
		"cache: issue"))
		return;
	is_int(ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS, &acc),
	       PTL_OK, "cache: first verification");
	is_int(ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS + 899000,
				       &acc),
	       PTL_OK, "cache: hit before expiry");
	is_int(acc.user_id, 9, "cache: claims kept (id)");
	is_int(acc.session_id, 5, "cache: claims kept (sessionId)");
	is_int(ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS + 900000,
				       &acc),
	       PTL_ERR_UNAUTHORIZED, "cache: hit at expiry refused");
	/* Same length, one signature character changed: not the cached one. */
	len = strlen(tok);
	other = ptl_mem_strdup(arena, tok);
	other[len - 2] = other[len - 2] == 'A' ? 'B' : 'A';
	is_int(ptl_token_access_verify(arena, &app, other, FIX_NOW_MS, &acc),
	       PTL_ERR_UNAUTHORIZED, "cache: a changed token is verified anew");
	/* The same signature, one payload byte changed (the slot is chosen
	 * by the signature alone): the same slot, and still not a hit. In
	 * each 8-byte word and at the tail, for the word-wise compare. */
	{
		size_t at[] = {1, 8, 15, 16, len / 2, len - 44};
		size_t i;
		bool all = true;

		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			other = ptl_mem_strdup(arena, tok);
			other[at[i]] = other[at[i]] == 'A' ? 'B' : 'A';
			if (ptl_token_access_verify(arena, &app, tok, FIX_NOW_MS,
						    &acc) != PTL_OK ||
			    ptl_token_access_verify(arena, &app, other,
						    FIX_NOW_MS, &acc) !=
				    PTL_ERR_UNAUTHORIZED)
				all = false;
		}
		ok(all, "cache: a payload byte changed, same signature: verified "
			"anew (refused)");
	}
}


/* ---- the links of the mails ---------------------------------------------- */

enum link_kind { L_CONFIRM, L_CONFIRM_NEW, L_RESET, L__MAX };

static const char *const link_name[L__MAX] = {"confirm", "confirm-new",
					      "reset"};

/* A fresh Active user with a pending email change; its id, or 0. */
static int64_t
link_user(unsigned n)
{
	char *email = ptl_mem_printf(arena, "link%u@example.com", n);
	int64_t id = fix_user(&app, email, "$argon2id$v=19$old", "email",
			      2);

	if (id == 0 ||
	    ptl_account_set_pending(&app, id,
				    ptl_mem_printf(arena, "new%u@example.com",
						   n)) != PTL_OK)
		return 0;
	return id;
}

static const char *
pw_hash_of(int64_t id)
{
	struct ptl_user u;

	return ptl_account_get(arena, &app, id, &u) == PTL_OK ? u.password
								: NULL;
}

/* A link of kind for user id (pending: its pending address). */
static char *
link_issue(enum link_kind kind, int64_t id, unsigned n)
{
	char *token = NULL;
	int64_t expires;
	enum ptl_err e;

	if (kind == L_RESET)
		e = ptl_token_reset_issue(arena, &app, id, pw_hash_of(id),
					  FIX_NOW_MS, &token, &expires);
	else
		e = ptl_token_confirm_issue(
		    arena, &app, id,
		    kind == L_CONFIRM_NEW
			    ? ptl_mem_printf(arena, "new%u@example.com", n)
			    : NULL,
		    FIX_NOW_MS, &token);
	return e == PTL_OK ? token : NULL;
}

static enum ptl_err
link_verify(enum link_kind kind, int64_t id, const char *token)
{
	struct ptl_link_state st;
	const char *new_email;
	int64_t user_id;
	enum ptl_err e;

	if (kind == L_RESET)
		return ptl_token_reset_verify(arena, &app, token, id,
					      pw_hash_of(id), FIX_NOW_MS + 1000);
	e = ptl_token_confirm_verify(arena, &app, token, FIX_NOW_MS + 1000,
				     &user_id, &new_email, &st);
	if (e == PTL_OK && (user_id != id || (kind == L_CONFIRM_NEW) !=
						     (new_email != NULL)))
		return PTL_ERR_INTERNAL;
	return e;
}

enum change {
	C_NONE,
	C_NAMES,
	C_STAMP,
	C_PASSWORD,
	C_RESET,
	C_EMAIL,
	C_NEWER,
	C_DELETE,
	C__MAX
};

/* What each change does to the account, as the use cases do it. */
static bool
link_change(enum change c, int64_t id, unsigned n)
{
	const int64_t t = FIX_NOW_MS + 500;

	switch (c) {
	case C_NONE:
		return true;
	case C_NAMES: /* PATCH /me with names only */
		return ptl_account_set_names(&app, id, true, "N", false, NULL,
					     t) == PTL_OK;
	case C_STAMP: /* the stamp alone, nothing else of the row */
		return ptl_account_new_stamp(&app, id, false, t) == PTL_OK;
	case C_PASSWORD: /* PATCH /me with a password (me.c apply) */
		return ptl_account_store_hash(&app, id, "$argon2id$v=19$pw",
					      t) == PTL_OK &&
		       ptl_account_new_stamp(&app, id, false, t) == PTL_OK;
	case C_RESET: /* password.c store_reset */
		return ptl_account_store_hash(&app, id, "$argon2id$v=19$rs",
					      t) == PTL_OK &&
		       ptl_account_new_stamp(&app, id, true, t) == PTL_OK;
	case C_EMAIL: /* a confirm-new-email link used (signup.c) */
		return ptl_account_set_email(
			   &app, id, ptl_mem_printf(arena, "new%u@example.com", n),
			   t) == PTL_OK;
	case C_NEWER: /* a second PATCH /me with another address */
		return ptl_account_set_pending(
			   &app, id,
			   ptl_mem_printf(arena, "newer%u@example.com", n)) ==
		       PTL_OK;
	case C_DELETE:
		return ptl_account_delete(&app, id, t) == PTL_OK;
	case C__MAX:
		break;
	}
	return false;
}

static void
test_links(void)
{
	/* Which links each change kills: confirm, confirm-new, reset. */
	static const struct {
		enum change change;
		bool kills[L__MAX];
		const char *name;
	} cases[] = {
		{C_NONE, {false, false, false}, "no change (control)"},
		{C_NAMES, {false, false, false}, "a change of names"},
		{C_STAMP, {true, true, true}, "a new security stamp alone"},
		{C_PASSWORD, {true, true, true}, "a password change"},
		{C_RESET, {true, true, true}, "a password reset"},
		{C_EMAIL, {true, true, true}, "a change of address"},
		{C_NEWER, {false, true, false}, "a newer email change asked"},
		{C_DELETE, {false, false, true}, "the deletion of the account"},
	};
	unsigned n = 0;
	size_t i;
	int k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 0; k < L__MAX; k++) {
			int64_t id = link_user(++n);
			char *token = id != 0 ? link_issue(k, id, n) : NULL;
			enum ptl_err want = cases[i].kills[k]
						    ? PTL_ERR_UNAUTHORIZED
						    : PTL_OK;

			if (!ok(token != NULL, "%s link issued", link_name[k]))
				continue;
			if (!ok(link_change(cases[i].change, id, n), "  %s",
				cases[i].name))
				continue;
			is_int(link_verify(k, id, token), want,
			       ptl_mem_printf(arena, "  %s link after %s: %s",
					      link_name[k], cases[i].name,
					      want == PTL_OK ? "valid"
							     : "dead"));
		}
	}
}

/* The confirm links of a deleted account still verify (the use case then
 * answers 404, API.md §1.3), so the 404 is only for link holders. */
static void
test_links_claims(void)
{
	int64_t id = link_user(100);
	char *confirm = link_issue(L_CONFIRM, id, 100);
	char *confirm_new = link_issue(L_CONFIRM_NEW, id, 100);
	char *reset = link_issue(L_RESET, id, 100);
	char *p;
	char *stale = NULL;

	if (!ok(confirm != NULL && confirm_new != NULL && reset != NULL,
		"links: the three kinds issued"))
		return;
	/* The claims of the reference (API.md §4.1-4.2): nothing else. */
	p = payload(confirm);
	is_str(p, ptl_mem_printf(arena,
				 "{\"confirmEmailUserId\":%lld,\"iat\":%lld,"
				 "\"exp\":%lld}",
				 (long long)id, (long long)NOW_S,
				 (long long)(NOW_S + 86400)),
	       "links: confirm claims as the reference's");
	p = payload(confirm_new);
	is_str(p, ptl_mem_printf(arena,
				 "{\"confirmEmailUserId\":%lld,\"newEmail\":"
				 "\"new100@example.com\",\"iat\":%lld,"
				 "\"exp\":%lld}",
				 (long long)id, (long long)NOW_S,
				 (long long)(NOW_S + 86400)),
	       "links: confirm-new claims as the reference's");
	p = payload(reset);
	is_str(p, ptl_mem_printf(arena,
				 "{\"forgotUserId\":%lld,\"iat\":%lld,"
				 "\"exp\":%lld}",
				 (long long)id, (long long)NOW_S,
				 (long long)(NOW_S + 1800)),
	       "links: reset claims as the reference's");
	/* Signed under the bare secret (the reference's key): refused. */
	p = sign(JWT_ALG_HS256, "unit-test-confirm-secret-0123456789abcdef",
		 ptl_mem_printf(arena,
				"{\"confirmEmailUserId\":%lld,\"exp\":%lld}",
				(long long)id, (long long)(NOW_S + 60)));
	is_int(link_verify(L_CONFIRM, id, p), PTL_ERR_UNAUTHORIZED,
	       "links: a confirm token under the bare secret is refused");
	/* A confirm-new mail whose change was replaced is not rendered. */
	ok(ptl_account_set_pending(&app, id, "other100@example.com") == PTL_OK,
	   "links: a newer change asked");
	is_int(ptl_token_confirm_issue(arena, &app, id, "new100@example.com",
				       FIX_NOW_MS, &stale),
	       PTL_ERR_NOT_FOUND,
	       "links: no link for a superseded change (stale mail)");
	is_int(ptl_token_confirm_issue(arena, &app, id, "other100@example.com",
				       FIX_NOW_MS, &stale),
	       PTL_OK, "links: a link for the pending one");
	/* The kinds never cross. */
	is_int(link_verify(L_RESET, id, confirm), PTL_ERR_UNAUTHORIZED,
	       "links: a confirm token is no reset token");
	is_int(link_verify(L_CONFIRM, id, reset), PTL_ERR_UNAUTHORIZED,
	       "links: a reset token is no confirm token");
	is_int(link_verify(L_CONFIRM, id, confirm), PTL_OK,
	       "links: (control) the confirm token verifies as a confirm one");
	ok(ptl_account_delete(&app, id, FIX_NOW_MS) == PTL_OK,
	   "links: delete the account");
	is_int(link_verify(L_CONFIRM, id, confirm), PTL_OK,
	       "links: its confirm link still verifies (the use case: 404)");
	is_int(ptl_token_confirm_issue(arena, &app, id, NULL, FIX_NOW_MS,
				       &stale),
	       PTL_ERR_NOT_FOUND, "links: no new link for a deleted account");
	is_int(ptl_token_reset_issue(arena, &app, id, NULL, FIX_NOW_MS, &stale,
				     &(int64_t){0}),
	       PTL_ERR_NOT_FOUND, "links: nor a reset link");
}

int
main(void)
{
	fix_app_open(&app);
	arena = ptl_mem_new();
	test_access();
	test_expiry();
	test_refresh();
	test_forged_access();
	test_crit();
	test_tampered();
	test_forged_refresh();
	test_cache();
	test_links();
	test_links_claims();
	ptl_mem_free(arena);
	fix_app_close(&app);
	ok(app.access_key.bytes == NULL && app.refresh_key.bytes == NULL,
	   "ptl_app_close forgets the keys (app.h)");
	return done();
}
