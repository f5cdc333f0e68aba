/* SPDX-License-Identifier: ISC */
/*
 * fuzz_cookie: the Cookie header (HTTP_COOKIE, the input up to its first
 * NUL) read by lib/web/req.c: ptl_req_cookie for the token and device
 * cookies, for a short name and for the names the header itself uses;
 * the device cookie's check (lib/domain/device.c, on its value and on the
 * whole header); and ptl_req_read_bearer on a request without
 * Authorization, which takes the token from the cookie.
 *
 * Invariants: a value found holds no ';' and is written in the header
 * right after "name=" at the start of a pair; no device cookie the fuzzer
 * makes verifies; the bearer token of a request without Authorization is
 * the access cookie's value, and the request counts as cookie-
 * authenticated exactly when there is one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/mem.h"
#include "domain/device.h"
#include "fuzz.h"
#include "memio.h"
#include "web/form.h"
#include "web/req.h"

/* value was read from header as the value of name: "name=value" is a
 * whole pair of it (at the start, or after ';' or ' ', up to ';' or the
 * end). */
static void
check(struct ptl_arena *a, const char *header, const char *name,
      const char *value)
{
	const char *pair, *p;
	size_t len;

	if (value == NULL)
		return;
	if (strchr(value, ';') != NULL)
		__builtin_trap();
	pair = ptl_mem_printf(a, "%s=%s", name, value);
	len = strlen(pair);
	for (p = strstr(header, pair); p != NULL; p = strstr(p + 1, pair)) {
		if ((p == header || p[-1] == ';' || p[-1] == ' ') &&
		    (p[len] == ';' || p[len] == '\0'))
			return;
	}
	__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	static struct memio m;
	static const char *const fixed[] = {
	    PTL_COOKIE_ACCESS, PTL_COOKIE_REFRESH, PTL_COOKIE_DEVICE, "a"};
	struct ptl_app *app = fuzz_app();
	const char *vars[] = {"HTTP_COOKIE", NULL, "REQUEST_METHOD", "GET",
			      NULL};
	struct ptl_transport t;
	struct ptl_req req;
	const char *h, *p, *access, *dev, *id;
	size_t i;

	if (size > 16384)
		return 0;
	if (a == NULL) {
		a = ptl_mem_new();
		memio_init(&m, 64);
	}
	h = ptl_mem_strndup(a, (const char *)data, size);
	vars[1] = h;
	memset(&req, 0, sizeof(req));
	req.arena = a;
	req.app = app;
	memio_start(&m, &t, vars, NULL, 0);
	ptl_req_read(&req, &t);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check(a, h, fixed[i], ptl_req_cookie(&req, fixed[i]));
	p = h;
	for (i = 0; i < 8 && *p != '\0'; i++) {
		size_t n;
		const char *name;

		p += strspn(p, "; ");
		n = strcspn(p, "=;");
		if (n == 0 || p[n] != '=') {
			p += strcspn(p, ";");
			continue;
		}
		name = ptl_mem_strndup(a, p, n);
		check(a, h, name, ptl_req_cookie(&req, name));
		p += strcspn(p, ";");
	}
	/* A device cookie the fuzzer makes never verifies (device.c). */
	dev = ptl_req_cookie(&req, PTL_COOKIE_DEVICE);
	if ((dev != NULL && ptl_device_verify(a, app, dev, "fuzz@example.com",
					      FUZZ_NOW_MS, &id)) ||
	    ptl_device_verify(a, app, h, "fuzz@example.com", FUZZ_NOW_MS, &id))
		__builtin_trap();
	access = ptl_req_cookie(&req, PTL_COOKIE_ACCESS);
	ptl_req_read_bearer(&req, &t, PTL_COOKIE_ACCESS);
	if (req.cookie_auth != (access != NULL) ||
	    (access != NULL && strcmp(req.bearer, access) != 0))
		__builtin_trap();
	ptl_mem_reset(a);
	return 0;
}
