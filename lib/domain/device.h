/* SPDX-License-Identifier: ISC */
/*
 * device: the device cookies of OWASP's "Slow Down Online Guessing Attacks
 * with Device Cookies". A client that signed in to an account gets a token
 * that names a random device id and an expiry, bound to the account's
 * (normalised) email by HMAC-SHA-256 under a key derived from
 * AUTH_REFRESH_SECRET: "<expiry, s since the epoch>.<id: 32 hex>.<MAC: 64
 * hex>". The email is only inside the MAC, and the token opens nothing by
 * itself: it only decides which failure budget a sign-in is judged by
 * (signin.h). Not responsible for the cookie's attributes (web/form.h).
 */
#ifndef PTL_DEVICE_H
#define PTL_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/mem.h"
#include "domain/app.h"

#define PTL_DEVICE_ID_HEX 32     /* 16 random bytes */
#define PTL_DEVICE_TOKEN_MAX 128 /* longer tokens are not even parsed */

/* A fresh token for email (a new device id), valid for
 * AUTH_DEVICE_COOKIE_EXPIRES_IN from now_ms. Arena-owned. */
char *ptl_device_issue(struct ptl_arena *a, const struct ptl_app *app,
		       const char *email, int64_t now_ms)
	__attribute__((nonnull, returns_nonnull));

/*
 * Whether token (as the client sent it, any bytes) is a token this server
 * issued for email that has not expired at now_ms. OUT id: its device id
 * (arena-owned) when valid, else NULL.
 */
bool ptl_device_verify(struct ptl_arena *a, const struct ptl_app *app,
		       const char *token, const char *email, int64_t now_ms,
		       const char **id) __attribute__((nonnull(1, 2, 4, 6)));

#endif
