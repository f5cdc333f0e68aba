/* SPDX-License-Identifier: ISC */
/*
 * test_json: lib/adapters/json.c. What ptl_json_parse accepts and refuses (top-level
 * shape, depth cap, "\u0000", UTF-8, trailing bytes) and the message it
 * gives; form bodies; the typed getters; and ptl_json_num_text against what
 * JavaScript's String(n) prints (ECMA-262 Number::toString).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "adapters/json.h"
#include "base/mem.h"
#include "base/buf.h"
#include "fixture.h"
#include "tap.h"

#define B(lit) lit, sizeof(lit) - 1

static struct ptl_arena *arena;

struct parse_case {
	const char *in;
	size_t len;
	enum ptl_err want;
	const char *msg; /* exact message on failure, NULL: any non-NULL */
	const char *name;
	const char *todo; /* a known bug: failures are TAP TODO */
};

static const struct parse_case parse_cases[] = {
	{B("{}"), PTL_OK, NULL, "empty object", NULL},
	{B("{\"a\":1,\"b\":[1,2],\"c\":{\"d\":null}}"), PTL_OK, NULL, "object", NULL},
	{B(" \t\r\n{\"a\":\"b\"} \n"), PTL_OK, NULL, "surrounding whitespace", NULL},
	{B("[]"), PTL_OK, NULL, "top-level array accepted", NULL},
	{B("[{\"a\":1}]"), PTL_OK, NULL, "array of objects", NULL},
	{B("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}"), PTL_OK, NULL,
	 "brackets inside a string do not count as depth", NULL},
	{B("{\"a\":\"\\\\u0000\"}"), PTL_OK, NULL,
	 "escaped backslash then u0000 is plain text", NULL},
	{B("{\"a\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}"), PTL_OK, NULL, "UTF-8", NULL},
	{B("\"str\""), PTL_ERR_BAD_JSON, "Unexpected token in JSON at position 0",
	 "top-level string refused", NULL},
	{B("null"), PTL_ERR_BAD_JSON, "Unexpected token in JSON at position 0",
	 "top-level null refused", NULL},
	{B("123"), PTL_ERR_BAD_JSON, "Unexpected token in JSON at position 0",
	 "top-level number refused", NULL},
	{B("true"), PTL_ERR_BAD_JSON, NULL, "top-level boolean refused", NULL},
	{B(""), PTL_ERR_BAD_JSON, "Unexpected end of JSON input", "empty body", NULL},
	{B("   "), PTL_ERR_BAD_JSON, NULL, "whitespace only", NULL},
	{B("{\"a\":"), PTL_ERR_BAD_JSON, "Unexpected end of JSON input",
	 "truncated", "json.c ptl_json_parse: cJSON reports len-1 for a truncated body"},
	{B("[1,"), PTL_ERR_BAD_JSON, "Unexpected end of JSON input",
	 "truncated array", "json.c ptl_json_parse: cJSON reports len-1 for a truncated body"},
	{B("{\"a\":1,}"), PTL_ERR_BAD_JSON, NULL, "trailing comma", NULL},
	{B("{a:1}"), PTL_ERR_BAD_JSON, NULL, "unquoted key", NULL},
	{B("{'a':1}"), PTL_ERR_BAD_JSON, NULL, "single quotes", NULL},
	{B("{} x"), PTL_ERR_BAD_JSON, "Unexpected token in JSON at position 3",
	 "trailing garbage", NULL},
	{B("{}{}"), PTL_ERR_BAD_JSON, "Unexpected token in JSON at position 2",
	 "two documents", NULL},
	{B("[] 1"), PTL_ERR_BAD_JSON, NULL, "array then garbage", NULL},
	{B("{\"a\":\"\\u0000\"}"), PTL_ERR_BAD_JSON, "NUL character in string",
	 "\\u0000 in a value refused", NULL},
	{B("{\"\\u0000\":1}"), PTL_ERR_BAD_JSON, "NUL character in string",
	 "\\u0000 in a key refused", NULL},
	{B("{\"a\":\"x\\u0000y\"}"), PTL_ERR_BAD_JSON, NULL,
	 "\\u0000 mid-string refused", NULL},
	{B("{\"a\":\"b\0\"}"), PTL_ERR_BAD_JSON,
	 "Invalid UTF-8 or NUL byte in JSON body", "raw NUL byte refused", NULL},
	{B("{}\0"), PTL_ERR_BAD_JSON, NULL, "NUL after the document refused", NULL},
	{B("{\"a\":\"\xff\"}"), PTL_ERR_BAD_JSON,
	 "Invalid UTF-8 or NUL byte in JSON body", "byte 0xff refused", NULL},
	{B("{\"a\":\"\xc0\xaf\"}"), PTL_ERR_BAD_JSON, NULL, "overlong refused", NULL},
	{B("{\"a\":\"\xed\xa0\x80\"}"), PTL_ERR_BAD_JSON, NULL,
	 "encoded surrogate refused", NULL},
	{B("{\"a\":\"\xe2\x82\"}"), PTL_ERR_BAD_JSON, NULL,
	 "truncated sequence refused", NULL},
	{B("{\"a\":\"\\ud800\"}"), PTL_ERR_BAD_JSON, NULL,
	 "lone surrogate escape refused", NULL},
	{B("{\"a\":01}"), PTL_ERR_BAD_JSON, "Unexpected number in JSON",
	 "leading zero", NULL},
	/* A sign does not hide a leading zero (JSON.parse: "Unexpected
	 * number in JSON at position 7"); an exponent may have one. */
	{B("{\"a\":-01}"), PTL_ERR_BAD_JSON, "Unexpected number in JSON",
	 "leading zero after a minus", NULL},
	{B("[-01]"), PTL_ERR_BAD_JSON, "Unexpected number in JSON",
	 "-01 in an array", NULL},
	{B("{\"a\":[0,-01]}"), PTL_ERR_BAD_JSON, "Unexpected number in JSON",
	 "-01 after another number", NULL},
	{B("{\"a\":-00.5}"), PTL_ERR_BAD_JSON, "Unexpected number in JSON",
	 "-00.5", NULL},
	{B("{\"a\":00}"), PTL_ERR_BAD_JSON, "Unexpected number in JSON", "00",
	 NULL},
	{B("{\"a\":-0,\"b\":0,\"c\":-0.5,\"d\":10,\"e\":-10,\"f\":100}"),
	 PTL_OK, NULL, "0, -0, -0.5, 10, -10, 100", NULL},
	{B("{\"a\":1e01,\"b\":1e-01,\"c\":1E+01,\"d\":-1.05e-007}"), PTL_OK,
	 NULL, "exponents with leading zeros", NULL},
	/* body-parser drops one leading BOM before JSON.parse (iconv-lite):
	 * accepted, positions count after it, alone it is an empty body. */
	{B("\xef\xbb\xbf{\"a\":1}"), PTL_OK, NULL, "one leading BOM", NULL},
	{B("\xef\xbb\xbf"), PTL_OK, NULL, "a BOM alone is {}", NULL},
	{B("\xef\xbb\xbf{\"a\":}"), PTL_ERR_BAD_JSON,
	 "Unexpected token in JSON at position 5",
	 "a position counts after the BOM", NULL},
	{B("\xef\xbb\xbf\xef\xbb\xbf{}"), PTL_ERR_BAD_JSON,
	 "Unexpected token in JSON at position 0", "two BOMs refused", NULL},
	{B(" \xef\xbb\xbf{}"), PTL_ERR_BAD_JSON,
	 "Unexpected token in JSON at position 1", "a BOM after a space refused",
	 NULL},
	{B("{}\xef\xbb\xbf"), PTL_ERR_BAD_JSON,
	 "Unexpected token in JSON at position 2", "a trailing BOM refused",
	 NULL},
	{B("{\"a\":\"\xef\xbb\xbf\"}"), PTL_OK, NULL, "a BOM in a string",
	 NULL},
	{B("{\"a\":1.}"), PTL_ERR_BAD_JSON, NULL, "number ending in a dot",
	 "cJSON accepts 1. (JSON.parse does not)"},
};

static void
test_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct ptl_json *root = (struct ptl_json *)&root;
		const char *msg = "unset";
		enum ptl_err e = ptl_json_parse(arena, c->in, c->len, &root, &msg);

		if (c->want == PTL_OK) {
			ok(e == PTL_OK && root != NULL && msg == NULL, "parse ok: %s",
			   c->name);
			continue;
		}
		if (c->todo != NULL) {
			ok(e == c->want && root == NULL && msg != NULL &&
				   (c->msg == NULL || strcmp(msg, c->msg) == 0),
			   "parse refused: %s", c->name);
			if (e != PTL_OK)
				diag("message '%s'", msg);
			continue;
		}
		ok(e == c->want && root == NULL && msg != NULL,
		   "parse refused: %s", c->name);
		if (c->msg != NULL)
			is_str(msg, c->msg, "  message");
	}
}

/* "[[[...]]]" or {"a":{"a":...}} nested n deep. */
static char *
nested(int n, bool objects)
{
	struct ptl_buf b;
	int i;

	ptl_buf_init(&b, arena, 256, 4096);
	for (i = 0; i < n; i++)
		ptl_buf_adds(&b, objects ? (i + 1 < n ? "{\"a\":" : "{") : "[");
	for (i = 0; i < n; i++)
		ptl_buf_addc(&b, objects ? '}' : ']');
	return b.data;
}

static void
test_depth(void)
{
	static const struct {
		int depth;
		bool objects;
		enum ptl_err want;
	} cases[] = {
		{1, false, PTL_OK},
		{32, false, PTL_OK},
		{33, false, PTL_ERR_BAD_JSON},
		{32, true, PTL_OK},
		{33, true, PTL_ERR_BAD_JSON},
		{1000, false, PTL_ERR_BAD_JSON},
		{2000, true, PTL_ERR_BAD_JSON},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = nested(cases[i].depth, cases[i].objects);
		struct ptl_json *root;
		const char *msg;
		enum ptl_err e = ptl_json_parse(arena, s, strlen(s), &root, &msg);

		is_int(e, cases[i].want, "depth cap");
		diag("depth %d of %s", cases[i].depth,
		     cases[i].objects ? "objects" : "arrays");
		if (cases[i].want != PTL_OK)
			is_str(msg, "JSON nesting too deep", "  depth message");
	}
	{
		/* 33 opening brackets, but never more than 2 open at once. */
		struct ptl_buf b;
		struct ptl_json *root;
		const char *msg;
		int i2;

		ptl_buf_init(&b, arena, 256, 4096);
		ptl_buf_addc(&b, '[');
		for (i2 = 0; i2 < 40; i2++)
			ptl_buf_adds(&b, i2 > 0 ? ",[]" : "[]");
		ptl_buf_addc(&b, ']');
		is_int(ptl_json_parse(arena, b.data, b.len, &root, &msg), PTL_OK,
		       "depth counts open brackets, not all brackets");
	}
}

static void
test_duplicate_member(void)
{
	struct ptl_json *root;
	const char *msg;
	enum ptl_err e = ptl_json_parse(arena, B("{\"a\":\"first\",\"a\":\"last\"}"),
					&root, &msg);
	size_t len;
	const char *v = e == PTL_OK ? ptl_json_str(ptl_json_get(root, "a"), &len)
				    : NULL;
	bool good = e == PTL_ERR_BAD_JSON || (v != NULL && strcmp(v, "last") == 0);

	/* JSON.parse keeps the last member; we refuse duplicates (docs/API.md §10).
	 * cJSON keeps both and ptl_json_get returns the first. */
	if (!ok(good, "duplicate member refused or last wins (JSON.parse)"))
		diag("got a = '%s'", v != NULL ? v : "(null)");
}

static void
test_form(void)
{
	static const struct {
		const char *in;
		size_t len;
		enum ptl_err want;
		const char *key1, *val1, *key2, *val2;
		const char *name;
	} cases[] = {
		{B("a=1&b=x%20y"), PTL_OK, "a", "1", "b", "x y", "two pairs"},
		{B("a+b=c+d"), PTL_OK, "a b", "c d", NULL, NULL, "plus is space"},
		{B("flag"), PTL_OK, "flag", "", NULL, NULL, "name without ="},
		{B("a="), PTL_OK, "a", "", NULL, NULL, "empty value"},
		{B("&&a=1&"), PTL_OK, "a", "1", NULL, NULL, "empty pairs skipped"},
		{B("e=caf%C3%A9"), PTL_OK, "e", "caf\xc3\xa9", NULL, NULL,
		 "UTF-8 escape"},
		{B("a=b=c"), PTL_OK, "a", "b=c", NULL, NULL, "second = is value"},
		{B(""), PTL_OK, NULL, NULL, NULL, NULL, "empty body"},
		{B("a=1&a=2"), PTL_ERR_BAD_REQUEST, NULL, NULL, NULL, NULL,
		 "duplicate key refused"},
		{B("%61=1&a=2"), PTL_ERR_BAD_REQUEST, NULL, NULL, NULL, NULL,
		 "duplicate after decoding refused"},
		{B("a=%zz"), PTL_ERR_BAD_REQUEST, NULL, NULL, NULL, NULL,
		 "bad escape refused"},
		{B("a=%4"), PTL_ERR_BAD_REQUEST, NULL, NULL, NULL, NULL,
		 "truncated escape refused"},
		{B("%zz=1"), PTL_ERR_BAD_REQUEST, NULL, NULL, NULL, NULL,
		 "bad escape in key refused"},
		{B("a=%00"), PTL_ERR_BAD_REQUEST, NULL, NULL, NULL, NULL,
		 "NUL refused"},
		{B("a=%FF"), PTL_ERR_BAD_REQUEST, NULL, NULL, NULL, NULL,
		 "invalid UTF-8 refused"},
		{B("a=\xff"), PTL_ERR_BAD_REQUEST, NULL, NULL, NULL, NULL,
		 "raw invalid UTF-8 refused"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_json *root = NULL;
		enum ptl_err e = ptl_json_from_form(arena, cases[i].in,
						    cases[i].len, &root);
		size_t len;

		is_int(e, cases[i].want, cases[i].name);
		if (e != PTL_OK)
			continue;
		ok(ptl_json_type(root) == PTL_JSON_OBJECT, "  form is an object");
		if (cases[i].key1 != NULL)
			is_str(ptl_json_str(ptl_json_get(root, cases[i].key1), &len),
			       cases[i].val1, "  first value");
		if (cases[i].key2 != NULL)
			is_str(ptl_json_str(ptl_json_get(root, cases[i].key2), &len),
			       cases[i].val2, "  second value");
	}
}

static void
test_getters(void)
{
	static const char body[] =
		"{\"s\":\"a\\\"b\",\"n\":1.5,\"b\":true,\"z\":null,\"o\":{\"k\":"
		"\"v\"},\"a\":[1],\"Email\":\"x\"}";
	static const struct {
		const char *key;
		enum ptl_json_type type;
	} cases[] = {
		{"s", PTL_JSON_STRING}, {"n", PTL_JSON_NUMBER},
		{"b", PTL_JSON_BOOL},   {"z", PTL_JSON_NULL},
		{"o", PTL_JSON_OBJECT}, {"a", PTL_JSON_ARRAY},
		{"missing", PTL_JSON_ABSENT},
		{"email", PTL_JSON_ABSENT}, /* case-sensitive */
		{"Email", PTL_JSON_STRING},
	};
	struct ptl_json *root, *arr;
	const char *msg;
	size_t i, len = 99;

	if (!ok(ptl_json_parse(arena, body, sizeof(body) - 1, &root, &msg) ==
			PTL_OK,
		"getters: body parses"))
		return;
	is_int(ptl_json_type(root), PTL_JSON_OBJECT, "root is an object");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(ptl_json_type(ptl_json_get(root, cases[i].key)),
		       cases[i].type, "type of member");
		diag("member '%s'", cases[i].key);
	}
	is_str(ptl_json_str(ptl_json_get(root, "s"), &len), "a\"b",
	       "string unescaped");
	is_int(len, 3, "string length");
	ok(ptl_json_str(ptl_json_get(root, "n"), &len) == NULL && len == 0,
	   "str of a number is NULL, length 0");
	ok(ptl_json_str(NULL, &len) == NULL && len == 0, "str of absent is NULL");
	ok(ptl_json_num(ptl_json_get(root, "n")) == 1.5, "number value");
	is_str(ptl_json_str(ptl_json_get(ptl_json_get(root, "o"), "k"), &len), "v",
	       "nested get");
	ok(ptl_json_get(ptl_json_get(root, "a"), "0") == NULL,
	   "get on an array is NULL");
	ok(ptl_json_get(NULL, "s") == NULL, "get on NULL is NULL");
	ok(ptl_json_get(ptl_json_get(root, "s"), "s") == NULL,
	   "get on a string is NULL");
	ok(ptl_json_parse(arena, B("[{\"s\":\"x\"}]"), &arr, &msg) == PTL_OK &&
		   ptl_json_get(arr, "s") == NULL,
	   "top-level array has no members");
}

static void
test_num_text(void)
{
	static const struct {
		const char *json; /* the number as sent */
		const char *want; /* String(JSON.parse(json)) in node */
		bool todo;
	} cases[] = {
		{"12345", "12345", false},
		{"1.5", "1.5", false},
		{"0.1", "0.1", false},
		{"1e21", "1e+21", false},
		{"0", "0", false},
		{"-3", "-3", false},
		{"-2.25", "-2.25", false},
		{"1E2", "100", false},
		{"100000000000000000000", "100000000000000000000", false},
		{"9007199254740993", "9007199254740992", false},
		{"0.30000000000000004", "0.30000000000000004", false},
		{"0.0001", "0.0001", false},
		{"1.5e300", "1.5e+300", false},
		{"5e-324", "5e-324", false},
		{"-0", "0", true},
		{"1e-7", "1e-7", true},
		{"0.00001", "0.00001", true},
		{"0.000001", "0.000001", true},
		{"123456789012345678901", "123456789012345680000", true},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[64];
		struct ptl_json *root;
		const char *msg, *got = NULL;
		int n = snprintf(body, sizeof(body), "{\"n\":%s}", cases[i].json);

		if (ptl_json_parse(arena, body, (size_t)n, &root, &msg) == PTL_OK)
			got = ptl_json_num_text(arena, ptl_json_get(root, "n"));
		if (cases[i].todo) {
			is_str(got, cases[i].want, cases[i].json);
			continue;
		}
		is_str(got, cases[i].want, "num_text");
		diag("number %s", cases[i].json);
	}
}

/* ptl_json_parse_value (a query parameter's JSON, API.md §11.4) and the
 * array getters. */
static void
test_value(void)
{
	static const struct {
		const char *text;
		enum ptl_json_type type;
	} cases[] = {
		{"1", PTL_JSON_NUMBER},	  {"\"x\"", PTL_JSON_STRING},
		{"true", PTL_JSON_BOOL},  {"null", PTL_JSON_NULL},
		{" [1, {}] ", PTL_JSON_ARRAY}, {"{}", PTL_JSON_OBJECT},
	};
	static const char *const bad[] = {"{bad", "", "1 2", "01", "[1,]",
					  "{\"a\":1,\"a\":2}"};
	struct ptl_json *root;
	const char *msg;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		root = NULL;
		ok(ptl_json_parse_value(arena, cases[i].text,
					strlen(cases[i].text), &root,
					&msg) == PTL_OK &&
		       ptl_json_type(root) == cases[i].type,
		   "value %s", cases[i].text);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(ptl_json_parse_value(arena, bad[i], strlen(bad[i]), &root,
					&msg) == PTL_ERR_BAD_JSON,
		   "not a value: %s", bad[i]);
	ok(ptl_json_parse(arena, "1", 1, &root, &msg) == PTL_ERR_BAD_JSON,
	   "ptl_json_parse still refuses a scalar");
	is_int(ptl_json_parse_value(arena, "[1,true,false]", 14, &root, &msg),
	       PTL_OK, "an array");
	is_int((int)ptl_json_len(root), 3, "three elements");
	ok(ptl_json_num(ptl_json_at(root, 0)) == 1, "element 0");
	ok(ptl_json_true(ptl_json_at(root, 1)), "element 1 is true");
	ok(!ptl_json_true(ptl_json_at(root, 2)), "element 2 is not");
	ok(ptl_json_at(root, 3) == NULL, "past the end");
	ok(ptl_json_len(ptl_json_at(root, 0)) == 0 &&
	       ptl_json_at(ptl_json_at(root, 0), 0) == NULL,
	   "a number has no elements");
	ok(!ptl_json_true(NULL) && ptl_json_len(NULL) == 0, "NULL");
}

int
main(void)
{
	arena = ptl_mem_new();
	test_parse();
	test_depth();
	test_duplicate_member();
	test_form();
	test_getters();
	test_num_text();
	test_value();
	ptl_mem_free(arena);
	return done();
}
