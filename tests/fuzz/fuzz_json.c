/* SPDX-License-Identifier: ISC */
/*
 * fuzz_json: request body decoding (lib/adapters/json.c): ptl_json_parse and
 * ptl_json_from_form on the same bytes, then the getters a field table
 * uses on whatever parsed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "fuzz.h"
#include "adapters/json.h"
#include "base/mem.h"

static const char *const keys[] = {"email", "password", "a", "", "n"};

static void
walk(struct ptl_arena *a, const struct ptl_json *root)
{
	size_t i, len;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct ptl_json *v = ptl_json_get(root, keys[i]);

		switch (ptl_json_type(v)) {
		case PTL_JSON_STRING:
			(void)ptl_json_str(v, &len);
			break;
		case PTL_JSON_NUMBER:
			(void)ptl_json_num_text(a, v);
			break;
		case PTL_JSON_OBJECT:
			(void)ptl_json_get(v, keys[i]);
			break;
		default:
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	struct ptl_json *root = NULL;
	const char *msg = NULL;
	const char *body = (const char *)data;

	if (a == NULL)
		a = ptl_mem_new();
	if (ptl_json_parse(a, body, size, &root, &msg) == PTL_OK)
		walk(a, root);
	else if (msg == NULL)
		__builtin_trap(); /* a refusal always says why */
	if (ptl_json_from_form(a, body, size, &root) == PTL_OK)
		walk(a, root);
	ptl_mem_reset(a);
	return 0;
}
