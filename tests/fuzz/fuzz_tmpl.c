/* SPDX-License-Identifier: ISC */
/*
 * fuzz_tmpl: the template engine of the account pages (lib/base/tmpl.c)
 * on arbitrary templates and values. The input is a template, a NUL, and
 * a value; the value is set under the names v, t.v (through the texts
 * lookup), in a list rows (two items) and as section names.
 *
 * Invariants: rendering never crashes, reads out of bounds or loops
 * (depth and size caps); a failure is a clean PTL_ERR_INTERNAL; and what
 * the template does not write itself never writes markup: with the bytes
 * < > " ' ` taken out of the template, a successful rendering holds none
 * of them, whatever the value.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/tmpl.h"
#include "fuzz.h"

#define MAX_IN 8192

static const char *value_of_text;

static const char *
texts(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "v") == 0 ? value_of_text : NULL;
}

static const char *
find(void *ctx, const char *name, size_t *len)
{
	const char *src = ctx;

	if (strcmp(name, "self") != 0)
		return NULL;
	*len = strlen(src);
	return src; /* includes itself: stopped by the depth cap */
}

static void
check(char *tmpl, const char *value)
{
	static const struct ptl_tmpl_texts tx = {"t.", texts, NULL};
	struct ptl_arena *a = ptl_mem_new();
	struct ptl_tmpl_scope *s = ptl_tmpl_scope_new(a, NULL);
	const struct ptl_tmpl_loader ld = {find, tmpl};
	struct ptl_tmpl_scope *it;
	struct ptl_buf out;
	enum ptl_err e;

	value_of_text = value;
	ptl_tmpl_set_texts(s, &tx);
	ptl_tmpl_set(s, "v", value);
	ptl_tmpl_set_bool(s, "yes", true);
	it = ptl_tmpl_add_item(s, "rows");
	ptl_tmpl_set(it, "v", value);
	it = ptl_tmpl_add_item(s, "rows");
	ptl_tmpl_set(it, "w", value);
	ptl_buf_init(&out, a, 256, 64 * 1024);
	e = ptl_tmpl_render("fuzz", tmpl, strlen(tmpl), s, &ld, &out);
	if (e != PTL_OK && e != PTL_ERR_INTERNAL)
		abort();
	if (e == PTL_OK && strpbrk(out.data, "<>\"'`") != NULL)
		abort();
	ptl_mem_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tmpl, *value;
	const uint8_t *nul;
	size_t tlen, i, j;

	if (size > MAX_IN)
		return 0;
	nul = memchr(data, '\0', size);
	tlen = nul != NULL ? (size_t)(nul - data) : size;
	tmpl = malloc(tlen + 1);
	value = malloc(size - tlen + 1);
	if (tmpl == NULL || value == NULL)
		abort();
	for (i = j = 0; i < tlen; i++) {
		if (strchr("<>\"'`", (char)data[i]) == NULL)
			tmpl[j++] = (char)data[i];
	}
	tmpl[j] = '\0';
	if (nul != NULL) {
		memcpy(value, nul + 1, size - tlen - 1);
		value[size - tlen - 1] = '\0';
	} else {
		value[0] = '\0';
	}
	check(tmpl, value);
	free(tmpl);
	free(value);
	return 0;
}
