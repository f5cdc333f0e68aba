/* SPDX-License-Identifier: ISC */
/*
 * json: see json.h. cJSON's own nesting limit is 1000 and it recurses, so the
 * depth is checked by a scan before cJSON sees the body.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <malloc.h>

#include <cjson/cJSON.h>

#include "adapters/json.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/utf8.h"

#define UTF8_BOM "\xEF\xBB\xBF"

/* Every cJSON allocation goes through these: a request body's passwords
 * and tokens end up in cJSON's strings, outside the arena that
 * ptl_mem_reset() wipes, so each block is overwritten before it is freed. */
static void *
json_malloc(size_t size)
{
	return ptl_mem_xmalloc(size);
}

static void
json_free(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/* cJSON's hooks are process-wide: set once, before the first tree. */
static void
hooks(void)
{
	static bool set;
	cJSON_Hooks h = {json_malloc, json_free};

	if (set)
		return;
	cJSON_InitHooks(&h);
	set = true;
}

static void
free_tree(void *p)
{
	cJSON_Delete(p);
}

/* Whether the digit s[i] (outside a string) is the first digit of the
 * integer part of a number: not after a digit or '.', nor after 'e' or an
 * exponent's sign (exponent digits may start with 0: "1e01" is JSON). */
static bool
starts_int(const char *s, size_t i)
{
	if (i == 0)
		return true;
	if (s[i - 1] == '-')
		return i == 1 || (s[i - 2] != 'e' && s[i - 2] != 'E');
	return strchr("0123456789.eE+", s[i - 1]) == NULL;
}

/* Depth of [ and { outside strings, and whether "\u0000" appears. */
static bool
prescan(const char *s, size_t len, const char **why)
{
	size_t i, depth = 0;
	bool in_str = false;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\' && i + 1 < len) {
				if (s[i + 1] == 'u' && i + 5 < len &&
				    memcmp(s + i + 2, "0000", 4) == 0) {
					*why = "NUL character in string";
					return false;
				}
				i++;
			} else if (c == '"') {
				in_str = false;
			}
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '0' && i + 1 < len && s[i + 1] >= '0' &&
			   s[i + 1] <= '9' && starts_int(s, i)) {
			/* cJSON takes 01 and -01; JSON (RFC 8259 §6) does
			 * not. */
			*why = "Unexpected number in JSON";
			return false;
		} else if (c == '.' &&
			   (i == 0 || i + 1 >= len || s[i - 1] < '0' ||
			    s[i - 1] > '9' || s[i + 1] < '0' || s[i + 1] > '9')) {
			/* cJSON takes 1. and .5; JSON does not. */
			*why = "Unexpected token in JSON";
			return false;
		} else if (c == '[' || c == '{') {
			if (++depth > PTL_JSON_MAX_DEPTH) {
				*why = "JSON nesting too deep";
				return false;
			}
		} else if (c == ']' || c == '}') {
			if (depth > 0)
				depth--;
		}
	}
	return true;
}

/* cJSON stops at the last byte of a body that ends too early: parsed again
 * with one more byte, such a body fails past its end. */
static bool
truncated(struct ptl_arena *a, const char *body, size_t len)
{
	char *padded = ptl_mem_alloc(a, len + 2);
	const char *end = NULL;
	cJSON *tree;

	memcpy(padded, body, len);
	padded[len] = ' ';
	padded[len + 1] = '\0';
	tree = cJSON_ParseWithLengthOpts(padded, len + 1, &end, 0);
	cJSON_Delete(tree);
	return tree == NULL && end != NULL && (size_t)(end - padded) >= len;
}

static int
cmp_names(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Members of the top-level object with the same name: JSON.parse would keep
 * the last and cJSON the first, so such a body is refused (sorted, so that
 * a 100 kB body of members stays cheap). */
static bool
has_duplicates(struct ptl_arena *a, const cJSON *obj)
{
	const cJSON *c;
	const char **names;
	size_t n = 0, i;

	for (c = obj->child; c != NULL; c = c->next)
		n++;
	if (n < 2)
		return false;
	names = ptl_mem_alloc(a, n * sizeof(*names));
	n = 0;
	for (c = obj->child; c != NULL; c = c->next)
		names[n++] = c->string;
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 1; i < n; i++) {
		if (strcmp(names[i - 1], names[i]) == 0)
			return true;
	}
	return false;
}

static enum ptl_err parse(struct ptl_arena *a, const char *body, size_t len,
			  bool any_value, struct ptl_json **root,
			  const char **msg);

enum ptl_err
ptl_json_parse(struct ptl_arena *a, const char *body, size_t len,
	       struct ptl_json **root, const char **msg)
{
	return parse(a, body, len, false, root, msg);
}

enum ptl_err
ptl_json_parse_value(struct ptl_arena *a, const char *text, size_t len,
		     struct ptl_json **root, const char **msg)
{
	return parse(a, text, len, true, root, msg);
}

/* ptl_json_parse(), and with any_value a top-level scalar or null too. */
static enum ptl_err
parse(struct ptl_arena *a, const char *body, size_t len, bool any_value,
      struct ptl_json **root, const char **msg)
{
	const char *end = NULL, *why = NULL;
	cJSON *tree;

	hooks();
	*root = NULL;
	*msg = NULL;
	/* The reference's body-parser decodes the body with iconv-lite, which
	 * drops one leading UTF-8 BOM before JSON.parse: positions then count
	 * from after it, and a BOM alone is an empty body, parsed as {}. A
	 * second BOM, or one after white space, is an unexpected token; cJSON
	 * would skip one more itself, so that is checked here. */
	if (len >= 3 && memcmp(body, UTF8_BOM, 3) == 0) {
		body += 3;
		len -= 3;
		if (len == 0) {
			body = "{}";
			len = 2;
		}
		if (len >= 3 && memcmp(body, UTF8_BOM, 3) == 0) {
			*msg = "Unexpected token in JSON at position 0";
			return PTL_ERR_BAD_JSON;
		}
	}
	if (!ptl_utf8_valid(body, len)) {
		*msg = "Invalid UTF-8 or NUL byte in JSON body";
		return PTL_ERR_BAD_JSON;
	}
	if (!prescan(body, len, &why)) {
		*msg = why;
		return PTL_ERR_BAD_JSON;
	}
	tree = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (tree == NULL) {
		size_t pos = end != NULL && end >= body ? (size_t)(end - body) : 0;

		if (pos >= len || (pos + 1 == len && truncated(a, body, len)))
			*msg = "Unexpected end of JSON input";
		else
			*msg = ptl_mem_printf(a, "Unexpected token in JSON at "
					      "position %zu", pos);
		return PTL_ERR_BAD_JSON;
	}
	ptl_mem_defer(a, free_tree, tree);
	/* Trailing bytes other than whitespace make the body invalid. */
	while (end != NULL && (size_t)(end - body) < len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != NULL && (size_t)(end - body) < len) {
		*msg = ptl_mem_printf(a, "Unexpected token in JSON at position "
				      "%zu", (size_t)(end - body));
		return PTL_ERR_BAD_JSON;
	}
	if (!any_value && !cJSON_IsObject(tree) && !cJSON_IsArray(tree)) {
		*msg = "Unexpected token in JSON at position 0";
		return PTL_ERR_BAD_JSON;
	}
	if (cJSON_IsObject(tree) && has_duplicates(a, tree)) {
		*msg = "Duplicate member in JSON object";
		return PTL_ERR_BAD_JSON;
	}
	*root = (struct ptl_json *)tree;
	return PTL_OK;
}

static bool
form_pair(struct ptl_arena *a, cJSON *obj, const char *p, size_t len)
{
	const char *eq = memchr(p, '=', len);
	size_t klen = eq != NULL ? (size_t)(eq - p) : len;
	size_t vlen = eq != NULL ? len - klen - 1 : 0;
	char *key = ptl_mem_alloc(a, klen + 1);
	char *val = ptl_mem_alloc(a, vlen + 1);
	size_t kl, vl;

	kl = ptl_str_urldecode(p, klen, key);
	vl = eq != NULL ? ptl_str_urldecode(eq + 1, vlen, val) : 0;
	if (eq == NULL)
		val[0] = '\0';
	if (kl == SIZE_MAX || vl == SIZE_MAX || !ptl_utf8_valid(key, kl) ||
	    !ptl_utf8_valid(val, vl))
		return false;
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
		return false;
	if (cJSON_AddStringToObject(obj, key, val) == NULL)
		ptl_mem_oom();
	return true;
}

enum ptl_err
ptl_json_from_form(struct ptl_arena *a, const char *body, size_t len,
		   struct ptl_json **root)
{
	cJSON *obj;
	size_t i = 0;

	hooks();
	obj = cJSON_CreateObject();
	if (obj == NULL)
		ptl_mem_oom();
	ptl_mem_defer(a, free_tree, obj);
	*root = NULL;
	while (i < len) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t plen = amp != NULL ? (size_t)(amp - (body + i)) : len - i;

		if (plen > 0 && !form_pair(a, obj, body + i, plen))
			return PTL_ERR_BAD_REQUEST;
		i += plen + 1;
	}
	*root = (struct ptl_json *)obj;
	return PTL_OK;
}

const struct ptl_json *
ptl_json_get(const struct ptl_json *obj, const char *key)
{
	const cJSON *o = (const cJSON *)obj;

	if (o == NULL || !cJSON_IsObject(o))
		return NULL;
	return (const struct ptl_json *)cJSON_GetObjectItemCaseSensitive(o, key);
}

enum ptl_json_type
ptl_json_type(const struct ptl_json *v)
{
	const cJSON *j = (const cJSON *)v;

	if (j == NULL)
		return PTL_JSON_ABSENT;
	if (cJSON_IsNull(j))
		return PTL_JSON_NULL;
	if (cJSON_IsBool(j))
		return PTL_JSON_BOOL;
	if (cJSON_IsNumber(j))
		return PTL_JSON_NUMBER;
	if (cJSON_IsString(j))
		return PTL_JSON_STRING;
	if (cJSON_IsArray(j))
		return PTL_JSON_ARRAY;
	return PTL_JSON_OBJECT;
}

const char *
ptl_json_str(const struct ptl_json *v, size_t *len)
{
	const cJSON *j = (const cJSON *)v;
	const char *s = cJSON_GetStringValue(j);

	*len = s != NULL ? strlen(s) : 0;
	return s;
}

double
ptl_json_num(const struct ptl_json *v)
{
	return cJSON_GetNumberValue((const cJSON *)v);
}

bool
ptl_json_true(const struct ptl_json *v)
{
	return v != NULL && cJSON_IsTrue((const cJSON *)v);
}

size_t
ptl_json_len(const struct ptl_json *v)
{
	const cJSON *j = (const cJSON *)v;

	return cJSON_IsArray(j) ? (size_t)cJSON_GetArraySize(j) : 0;
}

const struct ptl_json *
ptl_json_at(const struct ptl_json *v, size_t i)
{
	const cJSON *j = (const cJSON *)v;

	if (!cJSON_IsArray(j) || i > 100000)
		return NULL;
	return (const struct ptl_json *)cJSON_GetArrayItem(j, (int)i);
}

/* ECMA-262 Number::toString(10): the shortest digits that read back to d,
 * written fixed for exponents in [-6, 21) and exponential otherwise. */
char *
ptl_json_num_text(struct ptl_arena *a, const struct ptl_json *v)
{
	double d = ptl_json_num(v);
	char sci[40], digits[24];
	int prec, exp10, k, n, i;
	struct ptl_buf b;
	const char *p;

	if (!isfinite(d))
		return ptl_mem_strdup(a, "null");
	if (d == 0)
		return ptl_mem_strdup(a, "0"); /* -0 too */
	for (prec = 0; prec < 17; prec++) {
		(void)snprintf(sci, sizeof(sci), "%.*e", prec, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	/* sci is [-]d[.ddd]e[+-]x */
	k = 0;
	for (p = sci; *p != 'e'; p++) {
		if (*p >= '0' && *p <= '9')
			digits[k++] = *p;
	}
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	exp10 = (int)strtol(p + 1, NULL, 10);
	n = exp10 + 1;
	ptl_buf_init(&b, a, 32, 64);
	if (d < 0)
		ptl_buf_addc(&b, '-');
	if (k <= n && n <= 21) {
		ptl_buf_add(&b, digits, (size_t)k);
		for (i = k; i < n; i++)
			ptl_buf_addc(&b, '0');
	} else if (0 < n && n <= 21) {
		ptl_buf_add(&b, digits, (size_t)n);
		ptl_buf_addc(&b, '.');
		ptl_buf_add(&b, digits + n, (size_t)(k - n));
	} else if (-6 < n && n <= 0) {
		ptl_buf_adds(&b, "0.");
		for (i = 0; i < -n; i++)
			ptl_buf_addc(&b, '0');
		ptl_buf_add(&b, digits, (size_t)k);
	} else {
		ptl_buf_addc(&b, digits[0]);
		if (k > 1) {
			ptl_buf_addc(&b, '.');
			ptl_buf_add(&b, digits + 1, (size_t)(k - 1));
		}
		ptl_buf_addf(&b, "e%c%d", n - 1 < 0 ? '-' : '+',
			     n - 1 < 0 ? 1 - n : n - 1);
	}
	return b.data;
}

const struct ptl_json *
ptl_json_first(const struct ptl_json *v)
{
	const cJSON *j = (const cJSON *)v;

	if (j == NULL || !(cJSON_IsObject(j) || cJSON_IsArray(j)))
		return NULL;
	return (const struct ptl_json *)j->child;
}

const struct ptl_json *
ptl_json_next(const struct ptl_json *v)
{
	return v != NULL ? (const struct ptl_json *)((const cJSON *)v)->next
			 : NULL;
}

const char *
ptl_json_name(const struct ptl_json *v)
{
	return v != NULL ? ((const cJSON *)v)->string : NULL;
}
