/* SPDX-License-Identifier: ISC */
/*
 * crypto: the libsodium adapter (and libcrypt, for bcrypt hashes imported
 * from the reference). Password hashing with Argon2id, random tokens,
 * keyed and plain digests, constant-time comparison, locked key memory.
 */
#ifndef PTL_CRYPTO_H
#define PTL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"

#define PTL_CRYPTO_DIGEST_LEN 32

/* Argon2id parameters; parameters read from a stored hash are capped by
 * max_ops and max_mem before any work is done (API.md §10.1). */
struct ptl_pw_params {
	unsigned long long ops;
	size_t mem; /* bytes */
	unsigned long long max_ops;
	size_t max_mem;
};

/* sodium_init(); PTL_ERR_INTERNAL if the library cannot start. */
enum ptl_err ptl_crypto_init(void) __attribute__((warn_unused_result));

/* len random bytes from the kernel CSPRNG. */
void ptl_crypto_random(void *buf, size_t len);

/* 2*nbytes lower-case hex characters of fresh randomness. Arena-owned. */
char *ptl_crypto_random_hex(struct ptl_arena *a, size_t nbytes);

/*
 * Hashes pw[0..len) with Argon2id at p's ops/mem. OUT hash: the encoded
 * "$argon2id$..." string, arena-owned. PTL_ERR_INTERNAL on failure (memory).
 */
enum ptl_err ptl_crypto_pw_hash(struct ptl_arena *a,
				const struct ptl_pw_params *p, const char *pw,
				size_t len, char **hash)
	__attribute__((warn_unused_result));

/*
 * Checks pw against hash (Argon2id, or bcrypt $2a$/$2b$/$2y$). Returns true
 * on a match. A hash whose parameters exceed the caps, or that cannot be
 * parsed, never matches (and is logged).
 */
bool ptl_crypto_pw_verify(const struct ptl_pw_params *p, const char *hash,
			  const char *pw, size_t len);

/* Spends the same work as one verification at p, for unknown users. */
void ptl_crypto_pw_dummy(const struct ptl_pw_params *p, const char *pw,
			 size_t len);

/* True if hash is not Argon2id at exactly p's ops and mem. */
bool ptl_crypto_pw_needs_rehash(const struct ptl_pw_params *p,
				const char *hash);

/* HMAC-SHA-256 of msg under key into out (32 bytes). */
void ptl_crypto_hmac(unsigned char out[PTL_CRYPTO_DIGEST_LEN],
		     const unsigned char *key, size_t key_len, const void *msg,
		     size_t msg_len);

/* An HMAC-SHA-256 key with its inner and outer pads already hashed, so that
 * a MAC costs only the message (the pads are two compressions per call
 * otherwise). Opaque; lives in locked, read-only memory. */
struct ptl_hmac_key;

/* A prepared key for key[0..len); NULL (logged) if it cannot be made.
 * Free with ptl_crypto_hmac_key_free(). */
const struct ptl_hmac_key *ptl_crypto_hmac_key_new(const void *key, size_t len);
void ptl_crypto_hmac_key_free(const struct ptl_hmac_key *k);

/* HMAC-SHA-256 of msg under a prepared key. */
void ptl_crypto_hmac_with(unsigned char out[PTL_CRYPTO_DIGEST_LEN],
			  const struct ptl_hmac_key *k, const void *msg,
			  size_t msg_len);

/* SipHash-2-4 of in under a 16-byte key: hash-table indexes that an
 * attacker cannot steer. */
uint64_t ptl_crypto_shorthash(const unsigned char key[16], const void *in,
			      size_t len);

/* BLAKE2b-256 of in (for storing token secrets as hashes). */
void ptl_crypto_digest(unsigned char out[PTL_CRYPTO_DIGEST_LEN], const void *in,
		       size_t len);

/* SHA-256 of in, for the PKCE code_challenge of S256 (RFC 7636 §4.2). */
void ptl_crypto_sha256(unsigned char out[PTL_CRYPTO_DIGEST_LEN],
		       const void *in, size_t len);

/* Constant-time equality of two len-byte buffers. */
bool ptl_crypto_equal(const void *a, const void *b, size_t len);

/* Zeroes len bytes in a way the compiler keeps. */
void ptl_crypto_wipe(void *p, size_t len);

/* A read-only, locked (sodium_malloc) copy of s[0..len), NUL-terminated.
 * Process-lifetime; NULL only if the copy cannot be made (logged). */
const char *ptl_crypto_key_copy(const char *s, size_t len);

/* Frees a key made by ptl_crypto_key_copy() (zeroed first). NULL: no-op. */
void ptl_crypto_key_free(const char *key);

#endif
