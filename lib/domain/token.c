/* SPDX-License-Identifier: ISC */
/* token: see token.h. Claims are written in the order of API.md §3.2. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "adapters/crypto.h"
#include "adapters/jws.h"
#include "base/buf.h"
#include "domain/account.h"
#include "domain/token.h"

enum ptl_err
ptl_token_access_issue(struct ptl_arena *a, const struct ptl_app *app,
		       int64_t user_id, int64_t role_id, bool full_role,
		       int64_t session_id, int64_t now_ms, char **token,
		       int64_t *expires_ms)
{
	int64_t iat = now_ms / 1000;
	int64_t exp = iat + app->cfg.access_ttl_ms / 1000;
	const char *name = ptl_account_role_name(role_id);
	struct ptl_buf b;

	ptl_buf_init(&b, a, 160, 512);
	ptl_buf_adds(&b, "{\"id\":");
	ptl_buf_addi(&b, user_id);
	ptl_buf_adds(&b, ",\"role\":{\"id\":");
	ptl_buf_addi(&b, role_id);
	if (full_role && name != NULL) {
		ptl_buf_adds(&b, ",\"name\":\"");
		ptl_buf_adds(&b, name);
		ptl_buf_adds(&b, "\",\"__entity\":\"RoleEntity\"");
	}
	ptl_buf_adds(&b, "},\"sessionId\":");
	ptl_buf_addi(&b, session_id);
	ptl_buf_adds(&b, ",\"iat\":");
	ptl_buf_addi(&b, iat);
	ptl_buf_adds(&b, ",\"exp\":");
	ptl_buf_addi(&b, exp);
	ptl_buf_addc(&b, '}');
	*expires_ms = now_ms + app->cfg.access_ttl_ms;
	return ptl_jwt_sign(a, app->access_key.mac, b.data, token);
}

/* A time claim that is present must be an integer NumericDate (RFC 7519
 * §2; we write whole seconds and accept nothing else). OUT v: its value,
 * or 0 when absent. */
static bool
time_claim(struct ptl_jwt *jwt, const char *name, int64_t *v)
{
	*v = 0;
	return !ptl_jwt_has(jwt, name) || ptl_jwt_int(jwt, name, v);
}

/* exp required and in the future; nbf, when present, not in the future;
 * iat, when present, an integer. A time claim of any other type (string,
 * fraction, null, ...) makes the token invalid rather than absent. */
static bool
times_ok(struct ptl_jwt *jwt, int64_t now_ms)
{
	int64_t exp, nbf, iat, now_s = now_ms / 1000;

	if (!ptl_jwt_int(jwt, "exp", &exp) || exp <= now_s)
		return false;
	if (!time_claim(jwt, "nbf", &nbf) || nbf > now_s)
		return false;
	return time_claim(jwt, "iat", &iat);
}

/*
 * A client sends the same access token with every request for its whole
 * lifetime, and verifying it (libjwt: base64, JSON, HMAC) is most of the
 * work of a request such as GET /me. Each worker therefore remembers the
 * last tokens it verified, with their claims: a later request with the
 * byte-identical token skips the verification but not the expiry check,
 * nor the session check of the caller. Slots are chosen by SipHash under a
 * random per-process key, and a hit needs the whole token to be equal
 * (compared in constant time), so the cache neither leaks nor can be
 * steered. Keys never change while the process lives.
 */
#define CACHE_SLOTS 64
#define CACHE_TOKEN_MAX 512
#define CACHE_HASHED 43

struct cached {
	size_t len;
	int64_t exp_s;
	struct ptl_access acc;
	char token[CACHE_TOKEN_MAX];
};

struct ptl_token_cache {
	unsigned char key[16];
	struct cached slot[CACHE_SLOTS];
};

static struct cached *
cache_slot(struct ptl_app *app, const char *token, size_t len)
{
	struct ptl_token_cache *c = app->token_cache;
	size_t n;

	if (c == NULL) {
		c = ptl_mem_xmalloc(sizeof(*c));
		memset(c, 0, sizeof(*c));
		ptl_crypto_random(c->key, sizeof(c->key));
		app->token_cache = c;
	}
	/* The slot from the signature (the last 43 characters of an HS256
	 * token) rather than the whole token: it tells tokens apart as well,
	 * and the hit is decided by the whole token below. */
	n = len < CACHE_HASHED ? len : CACHE_HASHED;
	return &c->slot[ptl_crypto_shorthash(c->key, token + len - n, n) %
			CACHE_SLOTS];
}

/* Whether the len bytes at x and y are equal, in a time that depends on
 * len only: the XORs of every 8-byte word are ORed together, with no
 * branch on the bytes. It is the constant-time compare of sodium_memcmp
 * (ptl_crypto_equal), a word rather than a byte at a time: that one was
 * 4% of the instructions of GET /me for a 250-byte token. */
static bool
same_token(const char *x, const char *y, size_t len)
{
	uint64_t diff = 0, a, b;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&a, x + i, 8);
		memcpy(&b, y + i, 8);
		diff |= a ^ b;
	}
	for (; i < len; i++)
		diff |= (uint64_t)((unsigned char)x[i] ^ (unsigned char)y[i]);
	return diff == 0;
}

void
ptl_token_cache_free(struct ptl_app *app)
{
	if (app->token_cache == NULL)
		return;
	ptl_crypto_wipe(app->token_cache, sizeof(*app->token_cache));
	free(app->token_cache);
	app->token_cache = NULL;
}

static enum ptl_err
verify_access(struct ptl_arena *a, const struct ptl_app *app, const char *token,
	      int64_t now_ms, struct ptl_access *out, int64_t *exp_s)
{
	struct ptl_jwt *jwt;
	enum ptl_err e;

	e = ptl_jwt_verify(a, app->access_key.bytes, app->access_key.len, token,
			   &jwt);
	if (e != PTL_OK)
		return PTL_ERR_UNAUTHORIZED;
	if (!times_ok(jwt, now_ms) || !ptl_jwt_int(jwt, "exp", exp_s) ||
	    !ptl_jwt_int(jwt, "id", &out->user_id) || out->user_id <= 0)
		return PTL_ERR_UNAUTHORIZED;
	/* A refresh token carries "hash": never an access token. */
	if (ptl_jwt_str(jwt, "hash") != NULL)
		return PTL_ERR_UNAUTHORIZED;
	if (!ptl_jwt_int(jwt, "sessionId", &out->session_id)) {
		if (app->cfg.session_check)
			return PTL_ERR_UNAUTHORIZED;
		out->session_id = 0;
	}
	/* nbf in the future: valid later, so not cached now. */
	return PTL_OK;
}

enum ptl_err
ptl_token_access_verify(struct ptl_arena *a, struct ptl_app *app,
			const char *token, int64_t now_ms, struct ptl_access *out)
{
	size_t len = strlen(token);
	struct cached *slot = NULL;
	int64_t exp_s = 0;
	enum ptl_err e;

	memset(out, 0, sizeof(*out));
	if (len < CACHE_TOKEN_MAX) {
		slot = cache_slot(app, token, len);
		if (slot->len == len && same_token(slot->token, token, len)) {
			if (slot->exp_s <= now_ms / 1000)
				return PTL_ERR_UNAUTHORIZED;
			*out = slot->acc;
			return PTL_OK;
		}
	}
	e = verify_access(a, app, token, now_ms, out, &exp_s);
	if (e == PTL_OK && slot != NULL) {
		memcpy(slot->token, token, len);
		slot->len = len;
		slot->exp_s = exp_s;
		slot->acc = *out;
	}
	return e;
}

enum ptl_err
ptl_token_refresh_issue(struct ptl_arena *a, const struct ptl_app *app,
			int64_t session_id, const char *hash, int64_t now_ms,
			char **token)
{
	int64_t iat = now_ms / 1000;
	int64_t exp = iat + app->cfg.refresh_ttl_ms / 1000;
	struct ptl_buf b;

	ptl_buf_init(&b, a, 160, 512);
	ptl_buf_adds(&b, "{\"sessionId\":");
	ptl_buf_addi(&b, session_id);
	ptl_buf_adds(&b, ",\"hash\":\"");
	ptl_buf_adds(&b, hash);
	ptl_buf_adds(&b, "\",\"iat\":");
	ptl_buf_addi(&b, iat);
	ptl_buf_adds(&b, ",\"exp\":");
	ptl_buf_addi(&b, exp);
	ptl_buf_addc(&b, '}');
	return ptl_jwt_sign(a, app->refresh_key.mac, b.data, token);
}

enum ptl_err
ptl_token_refresh_verify(struct ptl_arena *a, const struct ptl_app *app,
			 const char *token, int64_t now_ms, int64_t *session_id,
			 const char **hash)
{
	struct ptl_jwt *jwt;
	const char *h;

	if (ptl_jwt_verify(a, app->refresh_key.bytes, app->refresh_key.len,
			   token, &jwt) != PTL_OK)
		return PTL_ERR_UNAUTHORIZED;
	if (!times_ok(jwt, now_ms) ||
	    !ptl_jwt_int(jwt, "sessionId", session_id) || *session_id <= 0)
		return PTL_ERR_UNAUTHORIZED;
	h = ptl_jwt_str(jwt, "hash");
	if (h == NULL || strlen(h) != 64)
		return PTL_ERR_UNAUTHORIZED;
	*hash = h;
	return PTL_OK;
}

/* The key of a one-time link: an HMAC-SHA-256 output. */
#define LINK_KEY_LEN PTL_CRYPTO_DIGEST_LEN

/*
 * The key of a one-time link of user_id: HMAC-SHA-256 under the kind's
 * secret of "<kind>\n<user id>\n<stamp>\n<address>\n<password hash>" (the
 * hash for a reset link only; kind "confirm" or "reset", so two kinds
 * never share a key). No field but the last can hold a newline (addresses
 * are validated, hashes are crypt strings), so the message is unambiguous.
 * OUT key.
 */
static void
link_key(struct ptl_arena *a, const unsigned char *secret, size_t secret_len,
	 const char *kind, int64_t user_id, const struct ptl_link_state *st,
	 const char *pw_hash, unsigned char key[LINK_KEY_LEN])
{
	char *msg = ptl_mem_printf(a, "%s\n%lld\n%lld\n%s\n%s", kind,
				   (long long)user_id, (long long)st->stamp,
				   st->email != NULL ? st->email : "",
				   pw_hash != NULL ? pw_hash : "");
	size_t len = strlen(msg);

	ptl_crypto_hmac(key, secret, secret_len, msg, len);
	ptl_crypto_wipe(msg, len);
}

/* The live account's state for a new link. */
static enum ptl_err
live_state(struct ptl_arena *a, const struct ptl_app *app, int64_t user_id,
	   struct ptl_link_state *st)
{
	enum ptl_err e = ptl_account_link_state(a, app, user_id, st);

	if (e == PTL_OK && st->gone)
		return PTL_ERR_NOT_FOUND;
	return e;
}

/* Signs claims under a derived key (wiped here). */
static enum ptl_err
sign_link(struct ptl_arena *a, unsigned char key[LINK_KEY_LEN],
	  const char *claims, char **token)
{
	const struct ptl_hmac_key *mac =
	    ptl_crypto_hmac_key_new(key, LINK_KEY_LEN);
	enum ptl_err e = mac != NULL ? ptl_jwt_sign(a, mac, claims, token)
				     : PTL_ERR_INTERNAL;

	ptl_crypto_hmac_key_free(mac);
	ptl_crypto_wipe(key, LINK_KEY_LEN);
	return e;
}

/* Verifies token under a derived key (wiped here). OUT jwt. */
static enum ptl_err
verify_link(struct ptl_arena *a, unsigned char key[LINK_KEY_LEN],
	    const char *token, int64_t now_ms, struct ptl_jwt **jwt)
{
	enum ptl_err e =
	    ptl_jwt_verify(a, (const char *)key, LINK_KEY_LEN, token, jwt);

	ptl_crypto_wipe(key, LINK_KEY_LEN);
	if (e != PTL_OK || !times_ok(*jwt, now_ms))
		return PTL_ERR_UNAUTHORIZED;
	return PTL_OK;
}

static bool
same_text(const char *x, const char *y)
{
	return x != NULL && y != NULL && strcmp(x, y) == 0;
}

static void
confirm_key(struct ptl_arena *a, const struct ptl_app *app, int64_t user_id,
	    const struct ptl_link_state *st, unsigned char key[LINK_KEY_LEN])
{
	link_key(a, (const unsigned char *)app->confirm_key.bytes,
		 app->confirm_key.len, "confirm", user_id, st, NULL, key);
}

enum ptl_err
ptl_token_confirm_issue(struct ptl_arena *a, const struct ptl_app *app,
			int64_t user_id, const char *new_email, int64_t now_ms,
			char **token)
{
	int64_t iat = now_ms / 1000;
	unsigned char key[LINK_KEY_LEN];
	struct ptl_link_state st;
	struct ptl_buf b;
	enum ptl_err e = live_state(a, app, user_id, &st);

	if (e != PTL_OK)
		return e;
	if (new_email != NULL && !same_text(new_email, st.pending_email))
		return PTL_ERR_NOT_FOUND; /* superseded since it was queued */
	ptl_buf_init(&b, a, 160, 1024);
	ptl_buf_addf(&b, "{\"confirmEmailUserId\":%lld", (long long)user_id);
	if (new_email != NULL) {
		ptl_buf_adds(&b, ",\"newEmail\":");
		ptl_buf_json_strz(&b, new_email);
	}
	ptl_buf_addf(&b, ",\"iat\":%lld,\"exp\":%lld}", (long long)iat,
		     (long long)(iat + app->cfg.confirm_ttl_ms / 1000));
	if (b.overflow)
		return PTL_ERR_INTERNAL;
	confirm_key(a, app, user_id, &st, key);
	return sign_link(a, key, b.data, token);
}

/* The user id claim of an unverified token: the account to load. */
static bool
peek_id(struct ptl_arena *a, const char *token, const char *claim,
	int64_t *user_id)
{
	struct ptl_jwt *jwt;

	return ptl_jwt_peek(a, token, &jwt) == PTL_OK &&
	       ptl_jwt_int(jwt, claim, user_id) && *user_id > 0;
}

enum ptl_err
ptl_token_confirm_verify(struct ptl_arena *a, const struct ptl_app *app,
			 const char *token, int64_t now_ms, int64_t *user_id,
			 const char **new_email, struct ptl_link_state *st)
{
	unsigned char key[LINK_KEY_LEN];
	struct ptl_jwt *jwt;
	const char *ne;
	int64_t id;
	enum ptl_err e;

	*new_email = NULL;
	memset(st, 0, sizeof(*st));
	if (!peek_id(a, token, "confirmEmailUserId", user_id))
		return PTL_ERR_UNAUTHORIZED;
	e = ptl_account_link_state(a, app, *user_id, st);
	if (e != PTL_OK)
		return e == PTL_ERR_NOT_FOUND ? PTL_ERR_UNAUTHORIZED : e;
	confirm_key(a, app, *user_id, st, key);
	if (verify_link(a, key, token, now_ms, &jwt) != PTL_OK ||
	    !ptl_jwt_int(jwt, "confirmEmailUserId", &id) || id != *user_id)
		return PTL_ERR_UNAUTHORIZED;
	ne = ptl_jwt_str(jwt, "newEmail");
	if (ne != NULL && !same_text(ne, st->pending_email))
		return PTL_ERR_UNAUTHORIZED; /* a newer change, or done */
	*new_email = ne != NULL ? ptl_mem_strdup(a, ne) : NULL;
	return PTL_OK;
}

static void
reset_key(struct ptl_arena *a, const struct ptl_app *app, int64_t user_id,
	  const struct ptl_link_state *st, const char *pw_hash,
	  unsigned char key[LINK_KEY_LEN])
{
	const char *secret = app->cfg.forgot_secret;

	link_key(a, (const unsigned char *)secret, strlen(secret), "reset",
		 user_id, st, pw_hash, key);
}

enum ptl_err
ptl_token_reset_issue(struct ptl_arena *a, const struct ptl_app *app,
		      int64_t user_id, const char *pw_hash, int64_t now_ms,
		      char **token, int64_t *expires_ms)
{
	int64_t iat = now_ms / 1000;
	unsigned char key[LINK_KEY_LEN];
	struct ptl_link_state st;
	char *claims;
	enum ptl_err e = live_state(a, app, user_id, &st);

	if (e != PTL_OK)
		return e;
	claims = ptl_mem_printf(
	    a, "{\"forgotUserId\":%lld,\"iat\":%lld,\"exp\":%lld}",
	    (long long)user_id, (long long)iat,
	    (long long)(iat + app->cfg.forgot_ttl_ms / 1000));
	reset_key(a, app, user_id, &st, pw_hash, key);
	*expires_ms = now_ms + app->cfg.forgot_ttl_ms;
	return sign_link(a, key, claims, token);
}

enum ptl_err
ptl_token_reset_user(struct ptl_arena *a, const char *token, int64_t *user_id)
{
	if (!peek_id(a, token, "forgotUserId", user_id))
		return PTL_ERR_UNAUTHORIZED;
	return PTL_OK;
}

enum ptl_err
ptl_token_reset_verify(struct ptl_arena *a, const struct ptl_app *app,
		       const char *token, int64_t user_id, const char *pw_hash,
		       int64_t now_ms)
{
	unsigned char key[LINK_KEY_LEN];
	struct ptl_link_state st;
	struct ptl_jwt *jwt;
	int64_t id;
	enum ptl_err e = live_state(a, app, user_id, &st);

	if (e != PTL_OK)
		return e == PTL_ERR_NOT_FOUND ? PTL_ERR_UNAUTHORIZED : e;
	reset_key(a, app, user_id, &st, pw_hash, key);
	if (verify_link(a, key, token, now_ms, &jwt) != PTL_OK ||
	    !ptl_jwt_int(jwt, "forgotUserId", &id) || id != user_id)
		return PTL_ERR_UNAUTHORIZED;
	return PTL_OK;
}
