/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jwks: the JWKS and ID-token parser of social sign-in
 * (lib/adapters/jwk.c, libcrypto). The input is a JWK set and a token,
 * split at the first NUL byte (no NUL: the whole input is the token, and
 * the set is the fuzzer's to make only in the other half). Each token is
 * verified under the input's set and under a set of a key made in this
 * process, whose private half the fuzzer never sees.
 *
 * Invariants: the result is one of PTL_OK, PTL_ERR_NOT_FOUND,
 * PTL_ERR_BAD_JSON and PTL_ERR_UNAUTHORIZED; claims are a JSON object on
 * PTL_OK and NULL otherwise; a set that ptl_jwk_set_ok() refuses never
 * verifies; nothing ever verifies under the process's own key; a token
 * longer than PTL_JWK_TOKEN_MAX or with a header whose alg is not RS256
 * never verifies.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "adapters/json.h"
#include "adapters/jwk.h"
#include "base/buf.h"
#include "base/mem.h"
#include "fuzz.h"

#define MAX_IN (64 * 1024)

/* The JWKS of a key made once per process (kid "k1", which the seeds'
 * tokens name too). */
static const char *
own_set(void)
{
	static char *set;
	struct ptl_arena *a;
	struct ptl_buf b;
	unsigned char n[1024], e[16];
	BIGNUM *bn = NULL, *be = NULL;
	EVP_PKEY *k;
	int nl, el;

	if (set != NULL)
		return set;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (k == NULL ||
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &bn) != 1 ||
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &be) != 1)
		abort();
	nl = BN_bn2bin(bn, n);
	el = BN_bn2bin(be, e);
	a = ptl_mem_new();
	ptl_buf_init(&b, a, 1024, 4096);
	ptl_buf_adds(&b, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"");
	ptl_buf_b64url(&b, n, (size_t)nl);
	ptl_buf_adds(&b, "\",\"e\":\"");
	ptl_buf_b64url(&b, e, (size_t)el);
	ptl_buf_adds(&b, "\"}]}");
	set = strdup(b.data);
	ptl_mem_free(a);
	BN_free(bn);
	BN_free(be);
	EVP_PKEY_free(k);
	if (set == NULL)
		abort();
	return set;
}

static void
check(struct ptl_arena *a, const char *set, size_t set_len, const char *tok,
      bool never)
{
	struct ptl_json *claims = (struct ptl_json *)1;
	enum ptl_err e = ptl_jwk_verify(a, set, set_len, tok, &claims);

	if (e != PTL_OK && e != PTL_ERR_NOT_FOUND && e != PTL_ERR_BAD_JSON &&
	    e != PTL_ERR_UNAUTHORIZED)
		__builtin_trap();
	if (e != PTL_OK) {
		if (claims != NULL)
			__builtin_trap();
		return;
	}
	if (never || ptl_json_type(claims) != PTL_JSON_OBJECT ||
	    strlen(tok) > PTL_JWK_TOKEN_MAX || !ptl_jwk_set_ok(a, set, set_len))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	const char *nul;
	char *buf, *tok;
	size_t set_len = 0;

	if (size > MAX_IN)
		return 0;
	if (a == NULL)
		a = ptl_mem_new();
	buf = ptl_mem_alloc(a, size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	nul = memchr(buf, '\0', size);
	if (nul != NULL) {
		set_len = (size_t)(nul - buf);
		tok = buf + set_len + 1;
		check(a, buf, set_len, tok, false);
	} else {
		tok = buf;
		check(a, "{\"keys\":[]}", 11, tok, true);
	}
	check(a, own_set(), strlen(own_set()), tok, true);
	ptl_mem_reset(a);
	return 0;
}
