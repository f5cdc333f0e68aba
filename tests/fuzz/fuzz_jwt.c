/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jwt: the credentials of a request as a client sends them. The input
 * is the Authorization header value: lib/web/req.c takes the bearer token
 * out of it (as HTTP_AUTHORIZATION, and again as Apache's
 * REDIRECT_HTTP_AUTHORIZATION, which must give the same token), then that
 * token and the raw input are verified as every kind of JWT (lib/domain/
 * token.c, lib/adapters/jws.c, libjwt): access, refresh, confirm-email and
 * reset; for the last two the unverified peek at the user id and the
 * account lookup it leads to come before the signature (the database has
 * user 1). Nothing the fuzzer makes may verify: it does not know the keys.
 * A bearer token is never empty, has no surrounding spaces and is a piece
 * of the header.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "base/mem.h"
#include "domain/account.h"
#include "domain/token.h"
#include "memio.h"
#include "web/form.h"
#include "web/req.h"

/* Every verifier refuses tok. */
static void
refused(struct ptl_arena *a, struct ptl_app *app, const char *tok)
{
	struct ptl_link_state st;
	struct ptl_access acc;
	const char *s = NULL;
	int64_t id = 0;

	if (ptl_token_access_verify(a, app, tok, FUZZ_NOW_MS, &acc) == PTL_OK)
		__builtin_trap();
	if (ptl_token_refresh_verify(a, app, tok, FUZZ_NOW_MS, &id, &s) ==
	    PTL_OK)
		__builtin_trap();
	if (ptl_token_confirm_verify(a, app, tok, FUZZ_NOW_MS, &id, &s, &st) ==
	    PTL_OK)
		__builtin_trap();
	if (ptl_token_reset_user(a, tok, &id) == PTL_OK && id <= 0)
		__builtin_trap();
	if (ptl_token_reset_verify(a, app, tok, 1, "$argon2id$x",
				   FUZZ_NOW_MS) == PTL_OK)
		__builtin_trap();
}

/* The bearer token req.c finds in header h, sent under the CGI name var. */
static const char *
bearer_of(struct ptl_arena *a, struct ptl_app *app, const char *var,
	  const char *h)
{
	static struct memio m;
	const char *vars[] = {var, h, "REQUEST_METHOD", "GET", NULL};
	struct ptl_transport t;
	struct ptl_req req;

	if (m.out == NULL)
		memio_init(&m, 64);
	memset(&req, 0, sizeof(req));
	req.arena = a;
	req.app = app;
	memio_start(&m, &t, vars, NULL, 0);
	ptl_req_read(&req, &t);
	ptl_req_read_bearer(&req, &t, PTL_COOKIE_ACCESS);
	/* With an Authorization header, cookies are never looked at. */
	if (req.cookie_auth)
		__builtin_trap();
	return req.bearer;
}

static void
check_bearer(const char *h, const char *b)
{
	size_t len;

	if (b == NULL)
		return;
	len = strlen(b);
	if (len == 0 || b[0] == ' ' || b[len - 1] == ' ' ||
	    strstr(h, b) == NULL || strncasecmp(h, "bearer ", 7) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	struct ptl_app *app = fuzz_app();
	const char *b, *rb;
	char *h;

	if (a == NULL) {
		int64_t uid;

		a = ptl_mem_new();
		if (ptl_account_insert(app, "fuzz@example.com", "$argon2id$fuzz",
				       "Fuzz", "Er", PTL_ACCOUNT_ROLE_USER,
				       PTL_ACCOUNT_STATUS_ACTIVE, FUZZ_NOW_MS,
				       &uid) != PTL_OK)
			abort();
	}
	if (size > 10000)
		return 0;
	/* A CGI variable ends at its first NUL. */
	h = ptl_mem_strndup(a, (const char *)data, size);
	b = bearer_of(a, app, "HTTP_AUTHORIZATION", h);
	rb = bearer_of(a, app, "REDIRECT_HTTP_AUTHORIZATION", h);
	if ((b == NULL) != (rb == NULL) || (b != NULL && strcmp(b, rb) != 0))
		__builtin_trap();
	check_bearer(h, b);
	if (b != NULL)
		refused(a, app, b);
	refused(a, app, h);
	ptl_mem_reset(a);
	return 0;
}
