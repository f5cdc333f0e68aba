/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jwt: JWT verification (lib/domain/token.c, lib/adapters/jws.c, libjwt) on arbitrary
 * bytes, as both kinds. Nothing the fuzzer makes may verify: it does not
 * know the keys.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/mem.h"
#include "domain/token.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	struct ptl_app *app = fuzz_app();
	struct ptl_access acc;
	const char *hash = NULL;
	int64_t sid = 0;
	char *tok;

	if (a == NULL)
		a = ptl_mem_new();
	if (size > 8192)
		return 0;
	tok = ptl_mem_strndup(a, (const char *)data, size);
	if (ptl_token_access_verify(a, app, tok, FUZZ_NOW_MS, &acc) == PTL_OK)
		__builtin_trap();
	if (ptl_token_refresh_verify(a, app, tok, FUZZ_NOW_MS, &sid, &hash) ==
	    PTL_OK)
		__builtin_trap();
	ptl_mem_reset(a);
	return 0;
}
