/* SPDX-License-Identifier: ISC */
/*
 * jwk: the OpenSSL libcrypto adapter, for the ID tokens of Google and
 * Apple (API.md §5.1): reads a JWK set (RFC 7517 §5) and verifies a
 * compact JWS (RFC 7515 §7.1) signed RS256 (RFC 7518 §3.3) under the key
 * of the set that its "kid" names. The algorithm is pinned: "none", HS256
 * (an HMAC made with the public key included) and every other alg are
 * refused (RFC 8725 §3.1). Keys are made from n and e by libcrypto
 * (EVP_PKEY_fromdata), never by code of ours. Not responsible for the
 * claims (iss, aud, exp, nonce: domain/social.c checks them) nor for
 * fetching or caching the set.
 */
#ifndef PTL_JWK_H
#define PTL_JWK_H

#include <stddef.h>

#include "adapters/json.h"
#include "base/err.h"
#include "base/mem.h"

/* The longest ID token accepted, and the most keys read of a set. */
#define PTL_JWK_TOKEN_MAX 8192
#define PTL_JWK_KEYS_MAX 32

/*
 * Verifies token as RS256 under the key of the JWK set jwks[0..len) whose
 * "kid" is the token header's: an RSA key ("kty":"RSA", "use" absent or
 * "sig", "alg" absent or "RS256") of 2048 to 8192 bits. A header with
 * "crit" is refused (RFC 7515 §4.1.11), and so are "jku", "jwk", "x5u"
 * and "x5c" (a token never chooses its own key). OUT claims: the payload,
 * a JSON object (arena-owned), only on PTL_OK. Errors (none logged above
 * debug level: tokens are client input): PTL_ERR_NOT_FOUND when the
 * token is well formed but the set has no usable key of its kid (the
 * caller may fetch the set again); PTL_ERR_BAD_JSON when jwks is not a
 * JWK set; PTL_ERR_UNAUTHORIZED for everything else (malformed, another
 * alg, no kid, a bad signature, a payload that is no JSON object).
 */
enum ptl_err ptl_jwk_verify(struct ptl_arena *a, const char *jwks, size_t len,
			    const char *token, struct ptl_json **claims)
    __attribute__((warn_unused_result, nonnull));

/* Whether jwks[0..len) is a JWK set: a JSON object with a "keys" array. */
bool ptl_jwk_set_ok(struct ptl_arena *a, const char *jwks, size_t len)
    __attribute__((warn_unused_result, nonnull));

#endif
