/* SPDX-License-Identifier: ISC */
/*
 * test_crypto: lib/adapters/crypto.c. Argon2id hash, verify and needs-rehash at
 * tiny parameters (t=1, m=8 MiB); the parameter caps on stored hashes;
 * bcrypt $2a$/$2b$/$2y$ hashes made at test time with crypt_rn(3); the
 * HMAC-SHA-256 vectors of RFC 4231 and BLAKE2b-256 vectors; constant-time
 * equality; random hex; locked key copies.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <crypt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/crypto.h"
#include "fixture.h"
#include "base/mem.h"
#include "base/str.h"
#include "tap.h"

#define MIB (1024 * 1024)
#define PW "correct horse battery staple"

static struct ptl_arena *arena;

static const struct ptl_pw_params small = {1, 8 * MIB, 4, 32 * MIB};

static char *
hash_at(unsigned long long ops, size_t mem, const char *pw)
{
	struct ptl_pw_params p = {ops, mem, 64, 1024 * MIB};
	char *h = NULL;

	if (ptl_crypto_pw_hash(arena, &p, pw, strlen(pw), &h) != PTL_OK)
		return NULL;
	return h;
}

static void
test_argon2(void)
{
	char *h = hash_at(small.ops, small.mem, PW), *h2;
	struct ptl_pw_params p;

	if (!ok(h != NULL, "argon2id hash"))
		return;
	ok(strncmp(h, "$argon2id$v=19$m=8192,t=1,p=1$", 30) == 0,
	   "encoding names argon2id, m=8192 KiB, t=1");
	diag("%s", h);
	ok(ptl_crypto_pw_verify(&small, h, PW, strlen(PW)), "right password");
	ok(!ptl_crypto_pw_verify(&small, h, "correct horse battery stapl", 27),
	   "prefix of the password fails");
	ok(!ptl_crypto_pw_verify(&small, h, PW "!", strlen(PW) + 1),
	   "longer password fails");
	ok(!ptl_crypto_pw_verify(&small, h, "", 0), "empty password fails");
	ok(!ptl_crypto_pw_verify(&small, h, "Correct horse battery staple",
				 strlen(PW)),
	   "case matters");
	h2 = hash_at(small.ops, small.mem, PW);
	ok(h2 != NULL && strcmp(h, h2) != 0, "two hashes of one password differ "
					     "(random salt)");
	{
		/* NUL inside the password is part of it. */
		static const char nul_pw[] = "ab\0cd";
		struct ptl_pw_params q = small;
		char *hn = NULL;

		ok(ptl_crypto_pw_hash(arena, &q, nul_pw, 5, &hn) == PTL_OK &&
			   ptl_crypto_pw_verify(&small, hn, nul_pw, 5) &&
			   !ptl_crypto_pw_verify(&small, hn, nul_pw, 2),
		   "password bytes after a NUL count");
	}

	ok(!ptl_crypto_pw_needs_rehash(&small, h), "same params: no rehash");
	p = small;
	p.ops = 2;
	ok(ptl_crypto_pw_needs_rehash(&p, h), "other ops: rehash");
	p = small;
	p.mem = 16 * MIB;
	ok(ptl_crypto_pw_needs_rehash(&p, h), "other mem: rehash");
	ok(ptl_crypto_pw_needs_rehash(&small, "$2b$10$abcdefghijklmnopqrstuu"
					      "abcdefghijklmnopqrstuvwxyz01234"),
	   "bcrypt hash: rehash");
	ok(ptl_crypto_pw_needs_rehash(&small, "garbage"), "garbage: rehash");
}

static void
test_caps(void)
{
	/* Above the caps the hash is refused before any work is done, even
	 * with the right password. */
	char *h3 = hash_at(3, 8 * MIB, PW);
	char *hm = hash_at(1, 16 * MIB, PW);
	struct ptl_pw_params p = small;

	if (!ok(h3 != NULL && hm != NULL, "hashes at t=3 and m=16 MiB"))
		return;
	p.max_ops = 3;
	ok(ptl_crypto_pw_verify(&p, h3, PW, strlen(PW)), "t=3 at max_ops 3");
	p.max_ops = 2;
	ok(!ptl_crypto_pw_verify(&p, h3, PW, strlen(PW)),
	   "t=3 above max_ops 2 never verifies");
	p = small;
	p.max_mem = 16 * MIB;
	ok(ptl_crypto_pw_verify(&p, hm, PW, strlen(PW)), "m=16 MiB at max 16 MiB");
	p.max_mem = 16 * MIB - 1024;
	ok(!ptl_crypto_pw_verify(&p, hm, PW, strlen(PW)),
	   "m=16 MiB above max_mem never verifies");
	{
		static const struct {
			const char *hash;
			const char *name;
		} bad[] = {
			{"$argon2id$v=19$m=4294967296,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA"
			 "$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
			 "m of 2^32 KiB"},
			{"$argon2id$v=19$m=99999999999999999999999,t=1,p=1$c2FsdA"
			 "$aGFzaA", "m overflowing"},
			{"$argon2id$v=19$m=8192,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA"
			 "$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "t=0"},
			{"$argon2id$v=19$m=8192,t=99999999,p=1$c2FsdHNhbHRzYWx0"
			 "c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
			 "huge t"},
			{"$argon2id$v=19$m=8192$c2FsdA$aGFzaA", "no t"},
			{"$argon2i$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA"
			 "$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "argon2i"},
			{"", "empty"},
			{"$2b$04$short", "short bcrypt"},
			{"plain text password", "plain text"},
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ok(!ptl_crypto_pw_verify(&small, bad[i].hash, PW,
						 strlen(PW)),
			   "never verifies: %s", bad[i].name);
	}
}

static void
test_bcrypt(void)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	char h[64], variant[80];
	static const char *const prefixes[] = {"$2a$", "$2y$"};
	size_t i;

	if (cd == NULL)
		ptl_mem_oom();
	out = crypt_rn(PW, "$2b$04$abcdefghijklmnopqrstuu", cd, (int)sizeof(*cd));
	if (!ok(out != NULL && strlen(out) == 60 && out[0] == '$',
		"crypt_rn makes a $2b$04$ hash")) {
		free(cd);
		return;
	}
	(void)snprintf(h, sizeof(h), "%s", out);
	diag("%s", h);
	ok(ptl_crypto_pw_verify(&small, h, PW, strlen(PW)), "bcrypt right password");
	ok(!ptl_crypto_pw_verify(&small, h, "wrong password", 14),
	   "bcrypt wrong password");
	ok(!ptl_crypto_pw_verify(&small, h, PW, strlen(PW) - 1),
	   "bcrypt password prefix");
	ok(!ptl_crypto_pw_verify(&small, h, PW "\0x", strlen(PW) + 2),
	   "bcrypt password with a NUL never matches");
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		/* For ASCII passwords the three variants compute the same. */
		(void)snprintf(variant, sizeof(variant), "%s%s", prefixes[i], h + 4);
		ok(ptl_crypto_pw_verify(&small, variant, PW, strlen(PW)),
		   "%s variant verifies", prefixes[i]);
	}
	(void)snprintf(variant, sizeof(variant), "%s", h);
	variant[59] = variant[59] == 'a' ? 'b' : 'a';
	ok(!ptl_crypto_pw_verify(&small, variant, PW, strlen(PW)),
	   "bcrypt hash with a changed last character");
	(void)snprintf(variant, sizeof(variant), "%sX", h);
	ok(!ptl_crypto_pw_verify(&small, variant, PW, strlen(PW)),
	   "bcrypt hash of 61 characters");
	free(cd);
}

static void
hex_is(const unsigned char *got, const char *want, const char *name)
{
	char hex[2 * PTL_CRYPTO_DIGEST_LEN + 1];

	ptl_str_hex(hex, got, PTL_CRYPTO_DIGEST_LEN);
	is_str(hex, want, name);
}

static void
test_mac(void)
{
	unsigned char out[PTL_CRYPTO_DIGEST_LEN], key[131];
	static const char *const msg6 =
		"Test Using Larger Than Block-Size Key - Hash Key First";

	/* RFC 4231 §4.3, test case 2. */
	ptl_crypto_hmac(out, (const unsigned char *)"Jefe", 4,
			"what do ya want for nothing?", 28);
	hex_is(out,
	       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	       "HMAC-SHA-256 RFC 4231 case 2");
	/* RFC 4231 §4.2, test case 1. */
	memset(key, 0x0b, 20);
	ptl_crypto_hmac(out, key, 20, "Hi There", 8);
	hex_is(out,
	       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	       "HMAC-SHA-256 RFC 4231 case 1");
	/* RFC 4231 §4.7, test case 6: a key longer than the block. */
	memset(key, 0xaa, sizeof(key));
	ptl_crypto_hmac(out, key, sizeof(key), msg6, strlen(msg6));
	hex_is(out,
	       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	       "HMAC-SHA-256 RFC 4231 case 6");

	ptl_crypto_digest(out, "", 0);
	hex_is(out,
	       "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
	       "BLAKE2b-256 of the empty string");
	ptl_crypto_digest(out, "abc", 3);
	hex_is(out,
	       "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
	       "BLAKE2b-256 of abc");
}

static void
test_equal_random(void)
{
	static const unsigned char a[] = "0123456789abcdef";
	unsigned char b[sizeof(a)];
	char *r1, *r2;
	size_t i;
	bool hex = true;
	const char *k;

	memcpy(b, a, sizeof(a));
	ok(ptl_crypto_equal(a, b, sizeof(a)), "equal buffers");
	ok(ptl_crypto_equal(a, "x", 0), "zero length is equal");
	b[sizeof(a) - 2] ^= 1;
	ok(!ptl_crypto_equal(a, b, sizeof(a)), "last byte differs");
	b[sizeof(a) - 2] ^= 1;
	b[0] ^= 0x80;
	ok(!ptl_crypto_equal(a, b, sizeof(a)), "first byte differs");
	ok(ptl_crypto_equal(a, b + 1, 0) && ptl_crypto_equal(a + 1, b + 1, 15),
	   "compares only len bytes");

	r1 = ptl_crypto_random_hex(arena, 32);
	r2 = ptl_crypto_random_hex(arena, 32);
	is_int(strlen(r1), 64, "random_hex length");
	for (i = 0; r1[i] != '\0'; i++)
		hex = hex && ((r1[i] >= '0' && r1[i] <= '9') ||
			      (r1[i] >= 'a' && r1[i] <= 'f'));
	ok(hex, "random_hex is lower-case hex");
	ok(strcmp(r1, r2) != 0, "two random values differ");
	is_int(strlen(ptl_crypto_random_hex(arena, 0)), 0, "random_hex of 0");

	k = ptl_crypto_key_copy("key\0tail", 8);
	ok(k != NULL && memcmp(k, "key\0tail", 8) == 0 && k[8] == '\0',
	   "key copy holds every byte and a NUL");
	{
		char w[4] = "abc";

		ptl_crypto_wipe(w, sizeof(w));
		ok(w[0] == 0 && w[1] == 0 && w[2] == 0, "wipe zeroes");
	}
	/* The dummy work must not crash on any password. */
	ptl_crypto_pw_dummy(&small, "", 0);
	ptl_crypto_pw_dummy(&small, PW, strlen(PW));
	ok(1, "dummy verification runs");
}

int
main(void)
{
	if (ptl_crypto_init() != PTL_OK) {
		printf("Bail out! sodium_init\n");
		return 1;
	}
	arena = ptl_mem_new();
	test_argon2();
	test_caps();
	test_bcrypt();
	test_mac();
	test_equal_random();
	ptl_mem_free(arena);
	return done();
}
