/* SPDX-License-Identifier: ISC */
/*
 * test_device: the device tokens of lib/domain/device.c (fixture.h app,
 * fixed clock). A token verifies for its email until it expires, and for
 * nothing else: another email, a changed byte in any part, a wrong shape
 * or length, another server's key; two tokens never share a device id;
 * the token holds no trace of the email.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/device.h"
#include "fixture.h"
#include "tap.h"

#define T0 FIX_NOW_MS
#define EMAIL "ann@example.com"

static struct ptl_app app;
static struct ptl_arena *arena;

static bool
valid(const struct ptl_app *on, const char *token, const char *email,
      int64_t now)
{
	const char *id = "unset";
	bool good = ptl_device_verify(arena, on, token, email, now, &id);

	if (good != (id != NULL))
		diag("id %s for a %s token", id ? id : "NULL",
		     good ? "valid" : "refused");
	return good && id != NULL;
}

static void
test_round_trip(void)
{
	char *t = ptl_device_issue(arena, &app, EMAIL, T0);
	char *u = ptl_device_issue(arena, &app, EMAIL, T0);
	const char *id = NULL, *id2 = NULL;
	const char *dot;

	ok(strlen(t) <= PTL_DEVICE_TOKEN_MAX, "a token fits the cap");
	dot = strchr(t, '.');
	ok(dot != NULL && strlen(dot + 1) == PTL_DEVICE_ID_HEX + 1 + 64,
	   "  <expiry>.<32 hex>.<64 hex>");
	ok(strstr(t, "ann") == NULL && strstr(t, "example") == NULL,
	   "  the email is not in it");
	ok(valid(&app, t, EMAIL, T0), "valid for its email");
	ok(ptl_device_verify(arena, &app, t, EMAIL, T0, &id) &&
		   ptl_device_verify(arena, &app, u, EMAIL, T0, &id2) &&
		   strlen(id) == PTL_DEVICE_ID_HEX && strcmp(id, id2) != 0,
	   "  two tokens, two device ids");
	ok(!valid(&app, t, "bea@example.com", T0), "not for another email");
	ok(!valid(&app, t, "Ann@example.com", T0),
	   "  the email exactly as normalised");
	ok(valid(&app, t, EMAIL, T0 + app.cfg.device_ttl_ms - 1000),
	   "valid a second before AUTH_DEVICE_COOKIE_EXPIRES_IN");
	ok(!valid(&app, t, EMAIL, T0 + app.cfg.device_ttl_ms + 1000),
	   "expired after it");
}

static void
test_tampered(void)
{
	char *t = ptl_device_issue(arena, &app, EMAIL, T0);
	size_t len = strlen(t), i;
	bool all = true;

	/* Every byte changed to another allowed one is refused. */
	for (i = 0; i < len; i++) {
		char *c = ptl_mem_strdup(arena, t);

		if (c[i] == '.')
			continue;
		c[i] = c[i] == '1' ? '2' : '1';
		if (valid(&app, c, EMAIL, T0)) {
			diag("byte %zu changed: still valid", i);
			all = false;
		}
	}
	ok(all, "any byte changed: refused");
	{
		static const char *const bad[] = {
			"", ".", "..", "abc", "1.2.3",
			"9999999999999.00000000000000000000000000000000."
			"0000000000000000000000000000000000000000000000000000000000000000",
			"-1.00000000000000000000000000000000."
			"0000000000000000000000000000000000000000000000000000000000000000",
		};

		all = true;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			all = all && !valid(&app, bad[i], EMAIL, T0);
		ok(all, "malformed tokens: refused");
	}
	ok(!valid(&app, NULL, EMAIL, T0), "no token: refused");
	ok(!valid(&app, ptl_mem_printf(arena, "%s0", t), EMAIL, T0),
	   "one byte more: refused");
	ok(!valid(&app, ptl_mem_strndup(arena, t, len - 1), EMAIL, T0),
	   "one byte less: refused");
	ok(!valid(&app, ptl_mem_printf(arena, "0%s", t), EMAIL, T0),
	   "a leading zero on the expiry: refused (the MAC covers it)");
	{
		char *upper = ptl_mem_strdup(arena, t);

		for (i = 0; upper[i] != '\0'; i++)
			if (upper[i] >= 'a' && upper[i] <= 'f')
				upper[i] = (char)(upper[i] - 'a' + 'A');
		ok(!valid(&app, upper, EMAIL, T0), "upper-case hex: refused");
	}
	{
		char *big = ptl_mem_alloc(arena, 4097);

		memset(big, '7', 4096);
		big[4096] = '\0';
		ok(!valid(&app, big, EMAIL, T0), "4 KiB of digits: refused");
	}
}

static void
test_other_key(void)
{
	char *t = ptl_device_issue(arena, &app, EMAIL, T0);
	struct ptl_app other;

	/* Another server (another AUTH_REFRESH_SECRET) does not take it. */
	setenv("AUTH_REFRESH_SECRET",
	       "another-refresh-secret-0123456789abcdefghij", 1);
	if (!ok(ptl_app_init(&other) == PTL_OK, "a second app, another secret"))
		return;
	ok(!valid(&other, t, EMAIL, T0), "  refuses this server's token");
	ok(valid(&other, ptl_device_issue(arena, &other, EMAIL, T0), EMAIL, T0),
	   "  and takes its own");
	ptl_app_close(&other);
	setenv("AUTH_REFRESH_SECRET", FIX_REFRESH_SECRET, 1);
}

int
main(void)
{
	fix_app_open(&app);
	arena = ptl_mem_new();
	test_round_trip();
	test_tampered();
	test_other_key();
	ptl_mem_free(arena);
	fix_app_close(&app);
	return done();
}
