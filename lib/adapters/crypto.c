/* SPDX-License-Identifier: ISC */
/*
 * crypto: see crypto.h. Argon2id through crypto_pwhash_str (libsodium's
 * encoding, "$argon2id$v=19$m=...,t=...,p=1$salt$hash"). bcrypt hashes
 * imported from the reference are checked with crypt_rn(3) (libxcrypt's
 * crypt_r that returns NULL on failure; AddressSanitizer's crypt_r
 * interceptor crashes with libxcrypt, so crypt_rn also keeps the ASan build
 * usable).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "adapters/crypto.h"
#include "base/log.h"
#include "base/str.h"

enum ptl_err
ptl_crypto_init(void)
{
	if (sodium_init() < 0) {
		PTL_LOG_ERR("sodium_init failed");
		return PTL_ERR_INTERNAL;
	}
	return PTL_OK;
}

void
ptl_crypto_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

char *
ptl_crypto_random_hex(struct ptl_arena *a, size_t nbytes)
{
	unsigned char raw[64];
	char *out;

	PTL_ASSERT(nbytes <= sizeof(raw));
	randombytes_buf(raw, nbytes);
	out = ptl_mem_alloc(a, 2 * nbytes + 1);
	ptl_str_hex(out, raw, nbytes);
	sodium_memzero(raw, sizeof(raw));
	return out;
}

enum ptl_err
ptl_crypto_pw_hash(struct ptl_arena *a, const struct ptl_pw_params *p,
		   const char *pw, size_t len, char **hash)
{
	char out[crypto_pwhash_STRBYTES];

	if (crypto_pwhash_str_alg(out, pw, len, p->ops, p->mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		PTL_LOG_ERR("crypto_pwhash_str failed (out of memory?)");
		return PTL_ERR_INTERNAL;
	}
	*hash = ptl_mem_strdup(a, out);
	return PTL_OK;
}

/* Reads m= and t= of an encoded Argon2 hash; false if it does not parse. */
static bool
argon2_params(const char *hash, unsigned long long *ops, size_t *mem)
{
	unsigned long long m = 0, t = 0;
	const char *p = strstr(hash, "$m=");
	char *end;

	if (p == NULL)
		return false;
	m = strtoull(p + 3, &end, 10);
	if (strncmp(end, ",t=", 3) != 0)
		return false;
	t = strtoull(end + 3, &end, 10);
	if (*end != ',')
		return false;
	*ops = t;
	*mem = (size_t)m * 1024;
	return m > 0 && t > 0 && m < (1ULL << 32);
}

static bool
bcrypt_verify(const char *hash, const char *pw, size_t len)
{
	struct crypt_data *cd;
	const char *out;
	bool match;
	char *copy;

	/* crypt(3) takes a C string: a password holding NUL cannot match. */
	if (memchr(pw, '\0', len) != NULL || strlen(hash) != 60)
		return false;
	copy = ptl_mem_xmalloc(len + 1);
	memcpy(copy, pw, len);
	copy[len] = '\0';
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		ptl_mem_oom();
	out = crypt_rn(copy, hash, cd, (int)sizeof(*cd));
	match = out != NULL && strlen(out) == 60 && sodium_memcmp(out, hash, 60) == 0;
	sodium_memzero(copy, len);
	free(copy);
	sodium_memzero(cd, sizeof(*cd));
	free(cd);
	return match;
}

bool
ptl_crypto_pw_verify(const struct ptl_pw_params *p, const char *hash,
		     const char *pw, size_t len)
{
	unsigned long long ops;
	size_t mem;

	if (strncmp(hash, "$2a$", 4) == 0 || strncmp(hash, "$2b$", 4) == 0 ||
	    strncmp(hash, "$2y$", 4) == 0)
		return bcrypt_verify(hash, pw, len);
	if (strncmp(hash, "$argon2id$", 10) != 0 || !argon2_params(hash, &ops, &mem)) {
		PTL_LOG_WARN("stored password hash has an unknown format");
		return false;
	}
	if (ops > p->max_ops || mem > p->max_mem) {
		PTL_LOG_WARN("stored password hash exceeds the parameter caps");
		return false;
	}
	return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

void
ptl_crypto_pw_dummy(const struct ptl_pw_params *p, const char *pw, size_t len)
{
	static const unsigned char salt[crypto_pwhash_SALTBYTES];
	unsigned char out[32];

	if (crypto_pwhash(out, sizeof(out), pw, len, salt, p->ops, p->mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		PTL_LOG_WARN("dummy password hash failed");
	sodium_memzero(out, sizeof(out));
}

bool
ptl_crypto_pw_needs_rehash(const struct ptl_pw_params *p, const char *hash)
{
	if (strncmp(hash, "$argon2id$", 10) != 0)
		return true;
	return crypto_pwhash_str_needs_rehash(hash, p->ops, p->mem) != 0;
}

void
ptl_crypto_hmac(unsigned char out[PTL_CRYPTO_DIGEST_LEN],
		const unsigned char *key, size_t key_len, const void *msg,
		size_t msg_len)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, msg, msg_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void
ptl_crypto_digest(unsigned char out[PTL_CRYPTO_DIGEST_LEN], const void *in,
		  size_t len)
{
	crypto_generichash(out, PTL_CRYPTO_DIGEST_LEN, in, len, NULL, 0);
}

void
ptl_crypto_sha256(unsigned char out[PTL_CRYPTO_DIGEST_LEN], const void *in,
		  size_t len)
{
	crypto_hash_sha256(out, in, len);
}

bool
ptl_crypto_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

void
ptl_crypto_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

const char *
ptl_crypto_key_copy(const char *s, size_t len)
{
	char *k = sodium_malloc(len + 1);

	if (k == NULL) {
		PTL_LOG_ERR("sodium_malloc failed for a key");
		return NULL;
	}
	memcpy(k, s, len);
	k[len] = '\0';
	(void)sodium_mprotect_readonly(k);
	return k;
}

void
ptl_crypto_key_free(const char *key)
{
	/* sodium_free zeroes the pages; the cast drops our own const. */
	if (key != NULL)
		sodium_free((void *)(uintptr_t)key);
}

struct ptl_hmac_key {
	crypto_auth_hmacsha256_state st;
};

const struct ptl_hmac_key *
ptl_crypto_hmac_key_new(const void *key, size_t len)
{
	struct ptl_hmac_key *k = sodium_malloc(sizeof(*k));

	if (k == NULL) {
		PTL_LOG_ERR("sodium_malloc failed for a MAC key");
		return NULL;
	}
	crypto_auth_hmacsha256_init(&k->st, key, len);
	(void)sodium_mprotect_readonly(k);
	return k;
}

void
ptl_crypto_hmac_key_free(const struct ptl_hmac_key *k)
{
	if (k != NULL)
		sodium_free((void *)(uintptr_t)k);
}

void
ptl_crypto_hmac_with(unsigned char out[PTL_CRYPTO_DIGEST_LEN],
		     const struct ptl_hmac_key *k, const void *msg,
		     size_t msg_len)
{
	crypto_auth_hmacsha256_state st = k->st;

	crypto_auth_hmacsha256_update(&st, msg, msg_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

uint64_t
ptl_crypto_shorthash(const unsigned char key[16], const void *in, size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(out, in, len, key);
	memcpy(&v, out, sizeof(v));
	return v;
}
