/* SPDX-License-Identifier: ISC */
/*
 * test_jwk: JWKS parsing and RS256 verification (adapters/jwk.h) with RSA
 * keys generated here by libcrypto: a good token, key rotation (a second
 * key of the set), an unknown kid, and every refusal: alg none, HS256
 * (an HMAC keyed with the public key), RS512, a bad signature, another
 * key under the same kid, a tampered payload, crit/jku/jwk headers, no
 * kid, malformed compact forms, small keys, keys for another use or alg.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/bn.h>

#include "adapters/jwk.h"
#include "base/buf.h"
#include "base/mem.h"
#include "tap.h"

static struct ptl_arena *arena;

static EVP_PKEY *
keygen(unsigned bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);

	if (k == NULL) {
		printf("Bail out! RSA keygen failed\n");
		exit(1);
	}
	return k;
}

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
		return NULL;
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64(buf, (size_t)n);
}

/* A JWK of k with kid and extra members (e.g. ",\"use\":\"sig\""). */
static char *
jwk(EVP_PKEY *k, const char *kid, const char *extra)
{
	return ptl_mem_printf(arena,
			      "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\","
			      "\"e\":\"%s\"%s}",
			      kid, bn_b64(k, OSSL_PKEY_PARAM_RSA_N),
			      bn_b64(k, OSSL_PKEY_PARAM_RSA_E), extra);
}

/* header.payload signed RS256 (or RS512) by k. */
static char *
sign(EVP_PKEY *k, const char *header, const char *payload, bool sha512)
{
	char *input =
	    ptl_mem_printf(arena, "%s.%s", b64(header, strlen(header)),
			   b64(payload, strlen(payload)));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t slen = sizeof(sig);

	if (EVP_DigestSignInit(md, NULL, sha512 ? EVP_sha512() : EVP_sha256(),
			       NULL, k) != 1 ||
	    EVP_DigestSign(md, sig, &slen, (unsigned char *)input,
			   strlen(input)) != 1)
		slen = 0;
	EVP_MD_CTX_free(md);
	return ptl_mem_printf(arena, "%s.%s", input, b64(sig, slen));
}

static enum ptl_err
verify(const char *set, const char *token, struct ptl_json **claims)
{
	return ptl_jwk_verify(arena, set, strlen(set), token, claims);
}

static const char *
claim(const struct ptl_json *c, const char *name)
{
	size_t len;
	const struct ptl_json *v = ptl_json_get(c, name);

	return ptl_json_type(v) == PTL_JSON_STRING ? ptl_json_str(v, &len)
						   : "(none)";
}

#define H1 "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}"
#define NONE_H "{\"alg\":\"none\",\"kid\":\"k1\"}"
#define HS_H "{\"alg\":\"HS256\",\"kid\":\"k1\"}"
#define EVIL_P "{\"sub\":\"admin\",\"aud\":\"client\"}"
#define P1 "{\"sub\":\"g-1\",\"aud\":\"client\"}"

int
main(void)
{
	EVP_PKEY *k1, *k2, *other, *small;
	struct ptl_json *claims = NULL;
	char *set, *tok, *hs, *bad, *p;
	unsigned char mac[32];
	unsigned maclen = 0;
	const char *n1;

	plan(31);
	arena = ptl_mem_new();
	k1 = keygen(2048);
	k2 = keygen(2048);
	other = keygen(2048);
	small = keygen(1024);
	set =
	    ptl_mem_printf(arena, "{\"keys\":[%s,%s,%s,%s,%s]}",
			   jwk(k1, "k1", ",\"use\":\"sig\",\"alg\":\"RS256\""),
			   jwk(k2, "k2", ""), jwk(small, "small", ""),
			   jwk(k2, "enc", ",\"use\":\"enc\""),
			   jwk(k2, "r512", ",\"alg\":\"RS512\""));
	ok(ptl_jwk_set_ok(arena, set, strlen(set)), "the set is a JWK set");
	ok(!ptl_jwk_set_ok(arena, "{\"keys\":{}}", 11),
	   "keys must be an array");
	ok(!ptl_jwk_set_ok(arena, "[]", 2), "a set is an object");

	tok = sign(k1, H1, P1, false);
	is_int(verify(set, tok, &claims), PTL_OK, "a good token verifies");
	is_str(claim(claims, "sub"), "g-1", "its claims are returned");
	tok = sign(k2, "{\"alg\":\"RS256\",\"kid\":\"k2\"}", P1, false);
	is_int(verify(set, tok, &claims), PTL_OK,
	       "the second key of the set (rotation) verifies its tokens");

	tok = sign(k1, "{\"alg\":\"RS256\",\"kid\":\"k9\"}", P1, false);
	is_int(verify(set, tok, &claims), PTL_ERR_NOT_FOUND,
	       "an unknown kid is not found (the caller fetches again)");
	ok(claims == NULL, "no claims on a failure");
	tok = sign(small, "{\"alg\":\"RS256\",\"kid\":\"small\"}", P1, false);
	is_int(verify(set, tok, &claims), PTL_ERR_NOT_FOUND,
	       "a 1024-bit key is not usable");
	tok = sign(k2, "{\"alg\":\"RS256\",\"kid\":\"enc\"}", P1, false);
	is_int(verify(set, tok, &claims), PTL_ERR_NOT_FOUND,
	       "a key for encryption is not usable");
	tok = sign(k2, "{\"alg\":\"RS256\",\"kid\":\"r512\"}", P1, false);
	is_int(verify(set, tok, &claims), PTL_ERR_NOT_FOUND,
	       "a key pinned to another alg is not usable");

	tok = ptl_mem_printf(arena, "%s.%s.", b64(NONE_H, strlen(NONE_H)),
			     b64(P1, strlen(P1)));
	is_int(verify(set, tok, &claims), PTL_ERR_UNAUTHORIZED,
	       "alg none is refused");
	/* HS256 keyed with the public modulus (the key-confusion attack). */
	n1 = bn_b64(k1, OSSL_PKEY_PARAM_RSA_N);
	p = ptl_mem_printf(arena, "%s.%s", b64(HS_H, strlen(HS_H)),
			   b64(P1, strlen(P1)));
	HMAC(EVP_sha256(), n1, (int)strlen(n1), (unsigned char *)p, strlen(p),
	     mac, &maclen);
	hs = ptl_mem_printf(arena, "%s.%s", p, b64(mac, maclen));
	is_int(verify(set, hs, &claims), PTL_ERR_UNAUTHORIZED,
	       "HS256 with the public key as secret is refused");
	tok = sign(k1, "{\"alg\":\"RS512\",\"kid\":\"k1\"}", P1, true);
	is_int(verify(set, tok, &claims), PTL_ERR_UNAUTHORIZED,
	       "RS512 is refused");
	tok = sign(other, H1, P1, false);
	is_int(verify(set, tok, &claims), PTL_ERR_UNAUTHORIZED,
	       "another key under the same kid is refused");
	tok = sign(k1, H1, P1, false);
	bad =
	    ptl_mem_printf(arena, "%s.%s.%s", b64(H1, strlen(H1)),
			   b64(EVIL_P, strlen(EVIL_P)), strrchr(tok, '.') + 1);
	is_int(verify(set, bad, &claims), PTL_ERR_UNAUTHORIZED,
	       "a tampered payload is refused");
	bad = ptl_mem_strdup(arena, tok);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	is_int(verify(set, bad, &claims), PTL_ERR_UNAUTHORIZED,
	       "a changed signature is refused");
	tok = sign(k1, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"x\"]}",
		   P1, false);
	is_int(verify(set, tok, &claims), PTL_ERR_UNAUTHORIZED,
	       "a crit header is refused");
	tok =
	    sign(k1, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"jku\":\"https://e\"}",
		 P1, false);
	is_int(verify(set, tok, &claims), PTL_ERR_UNAUTHORIZED,
	       "a jku header is refused");
	tok = sign(k1, "{\"alg\":\"RS256\"}", P1, false);
	is_int(verify(set, tok, &claims), PTL_ERR_UNAUTHORIZED,
	       "a token without kid is refused");
	tok = sign(k1, H1, "[1,2]", false);
	is_int(verify(set, tok, &claims), PTL_ERR_UNAUTHORIZED,
	       "a payload that is no object is refused");
	tok = sign(k1, H1, P1, false);
	is_int(verify(set, strchr(tok, '.') + 1, &claims), PTL_ERR_UNAUTHORIZED,
	       "two parts are refused");
	is_int(verify(set, ptl_mem_printf(arena, "%s.x", tok), &claims),
	       PTL_ERR_UNAUTHORIZED, "four parts are refused");
	is_int(verify(set, ptl_mem_printf(arena, "%s=", tok), &claims),
	       PTL_ERR_UNAUTHORIZED, "padding is refused");
	bad = ptl_mem_strdup(arena, tok);
	bad[3] = '+';
	is_int(verify(set, bad, &claims), PTL_ERR_UNAUTHORIZED,
	       "a character outside base64url is refused");
	is_int(verify(set, "", &claims), PTL_ERR_UNAUTHORIZED,
	       "an empty token is refused");
	is_int(verify(set, "..", &claims), PTL_ERR_UNAUTHORIZED,
	       "empty parts are refused");
	p = ptl_mem_alloc(arena, PTL_JWK_TOKEN_MAX + 2);
	memset(p, 'A', PTL_JWK_TOKEN_MAX + 1);
	p[10] = '.';
	p[20] = '.';
	p[PTL_JWK_TOKEN_MAX + 1] = '\0';
	is_int(verify(set, p, &claims), PTL_ERR_UNAUTHORIZED,
	       "a token past the cap is refused");
	is_int(verify("{\"keys\":7}", tok, &claims), PTL_ERR_BAD_JSON,
	       "a broken set is told apart");
	is_int(verify("{\"keys\":[]}", tok, &claims), PTL_ERR_NOT_FOUND,
	       "an empty set has no key");
	is_int(verify(set, tok, &claims), PTL_OK,
	       "and the good token still verifies");

	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(other);
	EVP_PKEY_free(small);
	ptl_mem_free(arena);
	return tap_failed != 0;
}
