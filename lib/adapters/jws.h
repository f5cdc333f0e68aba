/* SPDX-License-Identifier: ISC */
/*
 * jws: the libjwt adapter (named jws, not jwt, so that it does not shadow
 * libjwt's own <jwt.h> on the include path), internal to the token module. Signs and verifies
 * compact JWS with HS256 only (the algorithm is pinned: "none" and every
 * other algorithm are refused, RFC 8725 §3.1). It checks the signature and
 * the algorithm; claims (exp, nbf, ...) are the caller's, because Debian's
 * libjwt 1.10 validates none.
 */
#ifndef PTL_JWS_H
#define PTL_JWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/crypto.h"
#include "base/err.h"
#include "base/mem.h"

#define PTL_JWT_MAX_LEN 4096

struct ptl_jwt; /* a verified token; arena-owned */

/* Signs the claims object claims_json, kept byte for byte (HS256 under the
 * prepared key k). OUT token: arena-owned compact JWS. */
enum ptl_err ptl_jwt_sign(struct ptl_arena *a, const struct ptl_hmac_key *k,
			  const char *claims_json, char **token)
	__attribute__((warn_unused_result));

/* Verifies token (at most PTL_JWT_MAX_LEN bytes) as HS256 under key; a
 * "crit" header parameter is refused (RFC 7515 §4.1.11: we implement no
 * extension). Any failure is PTL_ERR_UNAUTHORIZED, logged at debug level only: bad tokens
 * are client input. OUT jwt: arena-owned. */
enum ptl_err ptl_jwt_verify(struct ptl_arena *a, const char *key,
			    size_t key_len, const char *token,
			    struct ptl_jwt **jwt)
	__attribute__((warn_unused_result));

/* Decodes token WITHOUT checking its signature, to read a claim that
 * selects the key (the reset flow of API.md §4.3). Never trust the result
 * before ptl_jwt_verify() with that key. PTL_ERR_UNAUTHORIZED if malformed. */
enum ptl_err ptl_jwt_peek(struct ptl_arena *a, const char *token,
			  struct ptl_jwt **jwt) __attribute__((warn_unused_result));

/* Integer claim name; false if absent or not an integer. */
bool ptl_jwt_int(struct ptl_jwt *jwt, const char *name, int64_t *out);

/* Whether claim name is present, with any JSON type (null included). */
bool ptl_jwt_has(struct ptl_jwt *jwt, const char *name);

/* String claim name (borrowed from jwt), or NULL. */
const char *ptl_jwt_str(struct ptl_jwt *jwt, const char *name);

#endif
