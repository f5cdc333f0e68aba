/* SPDX-License-Identifier: ISC */
/*
 * jwk: see jwk.h. The token is split and base64url-decoded here (RFC 7515
 * §2: no padding, the URL-safe alphabet, nothing else); the JSON of the
 * header, the payload and the set is read through adapters/json.h; the
 * key and the signature check are libcrypto's (OSSL_PARAM_BLD,
 * EVP_PKEY_fromdata, EVP_DigestVerify with SHA-256, whose RSA default is
 * the PKCS #1 v1.5 padding of RS256).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "adapters/jwk.h"
#include "base/log.h"

/* A decoded segment: bytes in the arena. */
struct seg {
	unsigned char *p;
	size_t len;
};

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes s[0..len) (base64url without padding) into out; false on any
 * character outside the alphabet or an impossible length. */
static bool
b64url_decode(struct ptl_arena *a, const char *s, size_t len, struct seg *out)
{
	unsigned acc = 0, bits = 0;
	size_t i, n = 0;

	if (len % 4 == 1)
		return false;
	out->p = ptl_mem_alloc(a, len * 3 / 4 + 1);
	for (i = 0; i < len; i++) {
		int v = b64url_value(s[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->p[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The unused low bits of the last character must be zero. */
	if (acc != 0)
		return false;
	out->p[n] = '\0';
	out->len = n;
	return true;
}

static const char *
str_member(const struct ptl_json *obj, const char *name)
{
	const struct ptl_json *v = ptl_json_get(obj, name);
	size_t len;

	return ptl_json_type(v) == PTL_JSON_STRING ? ptl_json_str(v, &len)
						   : NULL;
}

/* The public key of n and e (big-endian magnitudes), or NULL. */
static EVP_PKEY *
rsa_key(const struct seg *n, const struct seg *e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn = BN_bin2bn(n->p, (int)n->len, NULL);
	BIGNUM *be = BN_bin2bn(e->p, (int)e->len, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (bld != NULL && bn != NULL && be != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
		params = OSSL_PARAM_BLD_to_param(bld);
	if (params != NULL)
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	if (key != NULL &&
	    (EVP_PKEY_get_bits(key) < 2048 || EVP_PKEY_get_bits(key) > 8192)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

/* Whether member name of obj is absent or the string want. */
static bool
member_is(const struct ptl_json *obj, const char *name, const char *want)
{
	const char *v;

	if (ptl_json_get(obj, name) == NULL)
		return true;
	v = str_member(obj, name);
	return v != NULL && strcmp(v, want) == 0;
}

/* Whether JWK k is an RS256 signing key named kid. */
static bool
usable(const struct ptl_json *k, const char *kid)
{
	const char *v;

	if (ptl_json_type(k) != PTL_JSON_OBJECT)
		return false;
	v = str_member(k, "kid");
	if (v == NULL || strcmp(v, kid) != 0)
		return false;
	v = str_member(k, "kty");
	if (v == NULL || strcmp(v, "RSA") != 0)
		return false;
	return member_is(k, "use", "sig") && member_is(k, "alg", "RS256");
}

/* The key of kid in the set, or NULL. n is capped at 8192 bits and e at
 * 64 before anything is decoded. */
static EVP_PKEY *
find_key(struct ptl_arena *a, const struct ptl_json *keys, const char *kid)
{
	size_t i, count = ptl_json_len(keys);

	if (count > PTL_JWK_KEYS_MAX)
		count = PTL_JWK_KEYS_MAX;
	for (i = 0; i < count; i++) {
		const struct ptl_json *k = ptl_json_at(keys, i);
		const char *n, *e;
		struct seg nb, eb;

		if (!usable(k, kid))
			continue;
		n = str_member(k, "n");
		e = str_member(k, "e");
		if (n == NULL || e == NULL || strlen(n) > 1366 ||
		    strlen(e) > 12 || !b64url_decode(a, n, strlen(n), &nb) ||
		    !b64url_decode(a, e, strlen(e), &eb) || nb.len == 0 ||
		    eb.len == 0)
			continue;
		return rsa_key(&nb, &eb);
	}
	return NULL;
}

static bool
signature_ok(EVP_PKEY *key, const char *input, size_t input_len,
	     const struct seg *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool good;

	good = md != NULL && sig->len == (size_t)EVP_PKEY_get_size(key) &&
	       EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	       EVP_DigestVerify(md, sig->p, sig->len,
				(const unsigned char *)input, input_len) == 1;
	EVP_MD_CTX_free(md);
	return good;
}

/* The parts of a compact JWS. */
struct jws {
	const char *input; /* header.payload: what is signed */
	size_t input_len;
	struct seg header, payload, sig;
};

static bool
split(struct ptl_arena *a, const char *token, struct jws *j)
{
	size_t len = strnlen(token, PTL_JWK_TOKEN_MAX + 1);
	const char *d1, *d2;

	if (len > PTL_JWK_TOKEN_MAX)
		return false;
	d1 = memchr(token, '.', len);
	if (d1 == NULL)
		return false;
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
		return false;
	j->input = token;
	j->input_len = (size_t)(d2 - token);
	return d1 > token && d2 > d1 + 1 && d2 + 1 < token + len &&
	       b64url_decode(a, token, (size_t)(d1 - token), &j->header) &&
	       b64url_decode(a, d1 + 1, (size_t)(d2 - d1 - 1), &j->payload) &&
	       b64url_decode(a, d2 + 1, len - (size_t)(d2 + 1 - token),
			     &j->sig);
}

static struct ptl_json *
parse_object(struct ptl_arena *a, const struct seg *s)
{
	struct ptl_json *root = NULL;
	const char *msg;

	if (ptl_json_parse(a, (const char *)s->p, s->len, &root, &msg) !=
		PTL_OK ||
	    ptl_json_type(root) != PTL_JSON_OBJECT)
		return NULL;
	return root;
}

/* The kid of an acceptable header, or NULL. */
static const char *
header_kid(const struct ptl_json *h)
{
	static const char *const refused[] = {"crit", "jku", "jwk", "x5u",
					      "x5c"};
	const char *alg = str_member(h, "alg");
	size_t i;

	if (alg == NULL || strcmp(alg, "RS256") != 0)
		return NULL;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (ptl_json_get(h, refused[i]) != NULL)
			return NULL;
	}
	return str_member(h, "kid");
}

static const struct ptl_json *
set_keys(struct ptl_arena *a, const char *jwks, size_t len)
{
	struct ptl_json *root = NULL;
	const struct ptl_json *keys;
	const char *msg;

	if (ptl_json_parse(a, jwks, len, &root, &msg) != PTL_OK ||
	    ptl_json_type(root) != PTL_JSON_OBJECT)
		return NULL;
	keys = ptl_json_get(root, "keys");
	return ptl_json_type(keys) == PTL_JSON_ARRAY ? keys : NULL;
}

bool
ptl_jwk_set_ok(struct ptl_arena *a, const char *jwks, size_t len)
{
	return set_keys(a, jwks, len) != NULL;
}

enum ptl_err
ptl_jwk_verify(struct ptl_arena *a, const char *jwks, size_t len,
	       const char *token, struct ptl_json **claims)
{
	const struct ptl_json *keys;
	struct ptl_json *header = NULL, *payload;
	const char *kid = NULL;
	struct jws j;
	EVP_PKEY *key;
	bool good;

	*claims = NULL;
	if (split(a, token, &j))
		header = parse_object(a, &j.header);
	if (header != NULL)
		kid = header_kid(header);
	if (kid == NULL) {
		ptl_log_at(PTL_LOG_DEBUG, __FILE__, __LINE__,
			   "jwk: malformed token or refused header");
		return PTL_ERR_UNAUTHORIZED;
	}
	keys = set_keys(a, jwks, len);
	if (keys == NULL)
		return PTL_ERR_BAD_JSON;
	key = find_key(a, keys, kid);
	if (key == NULL)
		return PTL_ERR_NOT_FOUND;
	good = signature_ok(key, j.input, j.input_len, &j.sig);
	EVP_PKEY_free(key);
	if (!good) {
		ptl_log_at(PTL_LOG_DEBUG, __FILE__, __LINE__,
			   "jwk: bad signature");
		return PTL_ERR_UNAUTHORIZED;
	}
	payload = parse_object(a, &j.payload);
	if (payload == NULL)
		return PTL_ERR_UNAUTHORIZED;
	*claims = payload;
	return PTL_OK;
}
