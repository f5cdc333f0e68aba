/* SPDX-License-Identifier: ISC */
/*
 * jws: see jws.h. Tokens are signed here with HMAC-SHA-256 over the claims
 * exactly as the token module wrote them, so that the claim order is the
 * reference's (libjwt 1.10 would sort the keys); they are verified by
 * libjwt, with the algorithm pinned.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>
#include <openssl/crypto.h>

#include "adapters/crypto.h"
#include "adapters/jws.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/str.h"

struct ptl_jwt {
	jwt_t *jwt;
};

static void
free_jwt(void *p)
{
	jwt_free(p);
}

enum ptl_err
ptl_jwt_sign(struct ptl_arena *a, const struct ptl_hmac_key *k,
	     const char *claims_json, char **token)
{
	/* {"alg":"HS256","typ":"JWT"}, the reference's header (API.md §3.1). */
	static const char header[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.";
	unsigned char mac[PTL_CRYPTO_DIGEST_LEN];
	struct ptl_buf b;

	ptl_buf_init(&b, a, 512, PTL_JWT_MAX_LEN);
	ptl_buf_adds(&b, header);
	ptl_buf_b64url(&b, claims_json, strlen(claims_json));
	ptl_crypto_hmac_with(mac, k, b.data, b.len);
	ptl_buf_addc(&b, '.');
	ptl_buf_b64url(&b, mac, sizeof(mac));
	if (b.overflow) {
		PTL_LOG_ERR("jws: token longer than %d bytes", PTL_JWT_MAX_LEN);
		return PTL_ERR_INTERNAL;
	}
	*token = b.data;
	return PTL_OK;
}

/* Three base64url segments, nothing else: refuse the rest before libjwt. */
static bool
well_formed(const char *t)
{
	size_t dots = 0, i;

	for (i = 0; t[i] != '\0'; i++) {
		char c = t[i];

		if (c == '.')
			dots++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (i >= PTL_JWT_MAX_LEN)
			return false;
	}
	return dots == 2 && t[0] != '.' && t[i - 1] != '.';
}

/*
 * libjwt computes its HMAC with OpenSSL 3, whose first use reads
 * openssl.cnf and loads the providers it names: a measured 13% of a whole
 * CGI-mode request. Only HMAC-SHA-256 of the default provider is used
 * here, so the configuration file is not read.
 */
static void
openssl_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		PTL_LOG_WARN("jws: OpenSSL initialisation failed");
}

/*
 * RFC 7515 §4.1.11: a "crit" header names extensions the recipient must
 * understand, or else reject the token. We understand none, so any "crit"
 * (of whatever shape: a malformed one is refused as well) makes the token
 * invalid; libjwt 1.10 ignores the parameter.
 */
static bool
has_crit(jwt_t *jwt)
{
	char *crit = jwt_get_headers_json(jwt, "crit");

	if (crit == NULL)
		return false;
	free(crit);
	return true;
}

enum ptl_err
ptl_jwt_verify(struct ptl_arena *a, const char *key, size_t key_len,
	       const char *token, struct ptl_jwt **out)
{
	jwt_t *jwt = NULL;
	struct ptl_jwt *w;

	*out = NULL;
	if (!well_formed(token))
		return PTL_ERR_UNAUTHORIZED;
	openssl_init();
	if (jwt_decode(&jwt, token, (const unsigned char *)key, (int)key_len) !=
	    0)
		return PTL_ERR_UNAUTHORIZED;
	ptl_mem_defer(a, free_jwt, jwt);
	if (jwt_get_alg(jwt) != JWT_ALG_HS256 || has_crit(jwt))
		return PTL_ERR_UNAUTHORIZED;
	w = ptl_mem_alloc(a, sizeof(*w));
	w->jwt = jwt;
	*out = w;
	return PTL_OK;
}

enum ptl_err
ptl_jwt_peek(struct ptl_arena *a, const char *token, struct ptl_jwt **out)
{
	jwt_t *jwt = NULL;
	struct ptl_jwt *w;

	*out = NULL;
	if (!well_formed(token))
		return PTL_ERR_UNAUTHORIZED;
	/* libjwt 1.10 skips the signature when no key is given. */
	if (jwt_decode(&jwt, token, NULL, 0) != 0)
		return PTL_ERR_UNAUTHORIZED;
	ptl_mem_defer(a, free_jwt, jwt);
	w = ptl_mem_alloc(a, sizeof(*w));
	w->jwt = jwt;
	*out = w;
	return PTL_OK;
}

/*
 * libjwt 1.10's jwt_get_grant_int() reads a claim of any other type (a
 * string, a fraction, null, an array) as 0 without an error, so the type
 * is read from the claim's JSON text instead: jansson writes an integer as
 * plain decimal digits and every other value otherwise.
 */
bool
ptl_jwt_int(struct ptl_jwt *jwt, const char *name, int64_t *out)
{
	char *json = jwt_get_grants_json(jwt->jwt, name);
	bool ok;

	if (json == NULL)
		return false;
	ok = ptl_str_to_i64(json, strlen(json), INT64_MIN, INT64_MAX, out);
	free(json);
	return ok;
}

bool
ptl_jwt_has(struct ptl_jwt *jwt, const char *name)
{
	char *json = jwt_get_grants_json(jwt->jwt, name);

	if (json == NULL)
		return false;
	free(json);
	return true;
}

const char *
ptl_jwt_str(struct ptl_jwt *jwt, const char *name)
{
	errno = 0;
	return jwt_get_grant(jwt->jwt, name);
}
