/* SPDX-License-Identifier: ISC */
/*
 * docs: see docs.h. The HTML page is made from the parsed document with
 * the JSON adapter's getters; every string of the document goes through
 * one escaper, so a document (or a description in it) can never add
 * markup, a script or a link to the page.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "adapters/json.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/paths.h"
#include "domain/docs.h"

/* The operations of a path item, in the order the page shows them. */
static const char *const methods[] = {"get",     "put",  "post", "delete",
				      "options", "head", "patch"};

/* The stylesheet of the page: inline, so the page needs nothing else. */
static const char style[] =
    "body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,"
    "sans-serif;margin:0 auto;max-width:960px;padding:16px 24px;"
    "color:#1f2933;line-height:1.5}"
    "code{font-family:ui-monospace,Menlo,Consolas,monospace}"
    "section{border:1px solid #e4e7eb;border-radius:6px;margin:16px 0;"
    "padding:8px 16px}"
    "h3 code.m{display:inline-block;min-width:4.5em;color:#3b4cca}"
    "table{border-collapse:collapse;margin:8px 0}"
    "td,th{border:1px solid #e4e7eb;padding:4px 8px;text-align:left;"
    "vertical-align:top}"
    ".lock{color:#b44d12}";

static enum ptl_err
read_doc(struct ptl_arena *a, const char *path, char **out, size_t *out_len)
{
	return ptl_mem_read_file(a, "docs", path, PTL_DOCS_MAX, out, out_len);
}

/* doc[0..len) with every JSON string "x-custom-lang" replaced by
 * "<header>" (a field name: letters, digits, '-', so no escaping). */
static char *
with_header(struct ptl_arena *a, const char *doc, size_t len,
	    const char *header, size_t *out_len)
{
	static const char token[] = "\"" PTL_DOCS_LANG_HEADER "\"";
	struct ptl_buf b;
	const char *p = doc, *end = doc + len;
	const char *hit = memmem(p, len, token, sizeof(token) - 1);

	ptl_buf_init(&b, a, len + 64, 2 * PTL_DOCS_MAX);
	while (hit != NULL) {
		ptl_buf_add(&b, p, (size_t)(hit - p));
		ptl_buf_addc(&b, '"');
		ptl_buf_adds(&b, header);
		ptl_buf_addc(&b, '"');
		p = hit + sizeof(token) - 1;
		hit = memmem(p, (size_t)(end - p), token, sizeof(token) - 1);
	}
	ptl_buf_add(&b, p, (size_t)(end - p));
	*out_len = b.len;
	return b.data;
}

/* The document, parsed. */
static enum ptl_err
load(struct ptl_arena *a, const struct ptl_app *app, const char *file,
     char **text, size_t *len, struct ptl_json **root)
{
	const char *path = file != NULL ? file : ptl_paths_openapi();
	const char *msg = NULL;
	char *raw = NULL;
	size_t raw_len = 0;
	enum ptl_err e;

	if (!app->cfg.docs)
		return PTL_ERR_NO_ROUTE;
	e = read_doc(a, path, &raw, &raw_len);
	if (e != PTL_OK)
		return e;
	*text = with_header(a, raw, raw_len, app->cfg.header_language, len);
	if (ptl_json_parse(a, *text, *len, root, &msg) != PTL_OK ||
	    ptl_json_type(*root) != PTL_JSON_OBJECT) {
		PTL_LOG_ERR("docs: %s is not a JSON object%s%s", path,
			    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		return PTL_ERR_INTERNAL;
	}
	return PTL_OK;
}

enum ptl_err
ptl_docs_json(struct ptl_arena *a, const struct ptl_app *app, const char *file,
	      char **out, size_t *out_len)
{
	struct ptl_json *root = NULL;
	char *text = NULL;
	size_t len = 0;
	enum ptl_err e = load(a, app, file, &text, &len, &root);

	if (e != PTL_OK)
		return e;
	*out = text;
	*out_len = len;
	return PTL_OK;
}

/* ---- the HTML page ---------------------------------------------------- */

static void
esc(struct ptl_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			ptl_buf_adds(b, "&amp;");
			break;
		case '<':
			ptl_buf_adds(b, "&lt;");
			break;
		case '>':
			ptl_buf_adds(b, "&gt;");
			break;
		case '"':
			ptl_buf_adds(b, "&quot;");
			break;
		case '\'':
			ptl_buf_adds(b, "&#39;");
			break;
		default:
			ptl_buf_addc(b, *s);
			break;
		}
	}
}

/* The string member key of obj, or NULL. */
static const char *
str(const struct ptl_json *obj, const char *key)
{
	const struct ptl_json *v = ptl_json_get(obj, key);
	size_t len;

	return ptl_json_type(v) == PTL_JSON_STRING ? ptl_json_str(v, &len)
						   : NULL;
}

/* Writes <tag>text</tag> when obj has the string key. */
static void
tagged(struct ptl_buf *b, const char *tag, const struct ptl_json *obj,
       const char *key)
{
	const char *s = str(obj, key);

	if (s == NULL)
		return;
	ptl_buf_addf(b, "<%s>", tag);
	esc(b, s);
	ptl_buf_addf(b, "</%s>\n", tag);
}

/* The node a local reference "#/a/b/c" names, or v itself when it is no
 * reference. One level: a reference to a reference is shown as it is. */
static const struct ptl_json *
deref(const struct ptl_json *root, const struct ptl_json *v)
{
	const char *ref = str(v, "$ref");
	const struct ptl_json *node = root;
	char part[128];

	if (ref == NULL || strncmp(ref, "#/", 2) != 0)
		return v;
	ref += 2;
	while (*ref != '\0' && node != NULL) {
		size_t n = strcspn(ref, "/");

		if (n >= sizeof(part))
			return v;
		memcpy(part, ref, n);
		part[n] = '\0';
		node = ptl_json_get(node, part);
		ref += n;
		if (*ref == '/')
			ref++;
	}
	return node != NULL ? node : v;
}

/* "Name" of a schema that is a "#/components/schemas/Name" reference,
 * "array of Name" for an array of one, else its type, or NULL. */
static void
schema_name(struct ptl_buf *b, const struct ptl_json *schema)
{
	const char *ref = str(schema, "$ref");
	const char *type = str(schema, "type");

	if (ref != NULL) {
		const char *slash = strrchr(ref, '/');

		ptl_buf_adds(b, "<a href=\"#schema-");
		esc(b, slash != NULL ? slash + 1 : ref);
		ptl_buf_adds(b, "\">");
		esc(b, slash != NULL ? slash + 1 : ref);
		ptl_buf_adds(b, "</a>");
	} else if (type != NULL && strcmp(type, "array") == 0) {
		ptl_buf_adds(b, "array of ");
		schema_name(b, ptl_json_get(schema, "items"));
	} else if (type != NULL) {
		esc(b, type);
	} else if (ptl_json_get(schema, "oneOf") != NULL) {
		ptl_buf_adds(b, "one of several");
	} else {
		ptl_buf_adds(b, "any");
	}
}

static void
parameters(struct ptl_buf *b, const struct ptl_json *root,
	   const struct ptl_json *list)
{
	const struct ptl_json *p;

	if (ptl_json_first(list) == NULL)
		return;
	ptl_buf_adds(b, "<table><tr><th>parameter</th><th>in</th>"
			"<th>required</th><th>description</th></tr>\n");
	for (p = ptl_json_first(list); p != NULL; p = ptl_json_next(p)) {
		const struct ptl_json *d = deref(root, p);

		ptl_buf_adds(b, "<tr><td><code>");
		esc(b, str(d, "name"));
		ptl_buf_adds(b, "</code></td><td>");
		esc(b, str(d, "in"));
		ptl_buf_adds(b, "</td><td>");
		ptl_buf_adds(b, ptl_json_true(ptl_json_get(d, "required"))
				    ? "yes"
				    : "no");
		ptl_buf_adds(b, "</td><td>");
		esc(b, str(d, "description"));
		ptl_buf_adds(b, "</td></tr>\n");
	}
	ptl_buf_adds(b, "</table>\n");
}

/* The media types of a content object, each with its schema. */
static void
content(struct ptl_buf *b, const struct ptl_json *c)
{
	const struct ptl_json *m;

	for (m = ptl_json_first(c); m != NULL; m = ptl_json_next(m)) {
		ptl_buf_adds(b, " <code>");
		esc(b, ptl_json_name(m));
		ptl_buf_adds(b, "</code> ");
		schema_name(b, ptl_json_get(m, "schema"));
		if (ptl_json_next(m) != NULL)
			ptl_buf_addc(b, ';');
	}
}

static void
request_body(struct ptl_buf *b, const struct ptl_json *root,
	     const struct ptl_json *op)
{
	const struct ptl_json *rb =
	    deref(root, ptl_json_get(op, "requestBody"));

	if (rb == NULL)
		return;
	ptl_buf_adds(b, "<p>Request body:");
	content(b, ptl_json_get(rb, "content"));
	ptl_buf_adds(b, "</p>\n");
}

static void
responses(struct ptl_buf *b, const struct ptl_json *root,
	  const struct ptl_json *op)
{
	const struct ptl_json *r;

	ptl_buf_adds(b, "<table><tr><th>status</th><th>description</th>"
			"<th>body</th></tr>\n");
	for (r = ptl_json_first(ptl_json_get(op, "responses")); r != NULL;
	     r = ptl_json_next(r)) {
		const struct ptl_json *d = deref(root, r);

		ptl_buf_adds(b, "<tr><td><code>");
		esc(b, ptl_json_name(r));
		ptl_buf_adds(b, "</code></td><td>");
		esc(b, str(d, "description"));
		ptl_buf_adds(b, "</td><td>");
		content(b, ptl_json_get(d, "content"));
		ptl_buf_adds(b, "</td></tr>\n");
	}
	ptl_buf_adds(b, "</table>\n");
}

static void
operation(struct ptl_buf *b, const struct ptl_json *root, const char *path,
	  const char *method, const struct ptl_json *item,
	  const struct ptl_json *op)
{
	const char *id = str(op, "operationId");
	size_t i;

	ptl_buf_adds(b, "<section");
	if (id != NULL) {
		ptl_buf_adds(b, " id=\"op-");
		esc(b, id);
		ptl_buf_adds(b, "\"");
	}
	ptl_buf_adds(b, "><h3><code class=\"m\">");
	for (i = 0; method[i] != '\0'; i++)
		ptl_buf_addc(b, (char)(method[i] - 'a' + 'A'));
	ptl_buf_adds(b, "</code> <code>");
	esc(b, path);
	ptl_buf_adds(b, "</code>");
	if (ptl_json_first(ptl_json_get(op, "security")) != NULL)
		ptl_buf_adds(b, " <span class=\"lock\">bearer token</span>");
	ptl_buf_adds(b, "</h3>\n");
	tagged(b, "p", op, "summary");
	tagged(b, "p", op, "description");
	parameters(b, root, ptl_json_get(item, "parameters"));
	parameters(b, root, ptl_json_get(op, "parameters"));
	request_body(b, root, op);
	responses(b, root, op);
	ptl_buf_adds(b, "</section>\n");
}

static void
operations(struct ptl_buf *b, const struct ptl_json *root)
{
	const struct ptl_json *item;
	size_t i;

	for (item = ptl_json_first(ptl_json_get(root, "paths")); item != NULL;
	     item = ptl_json_next(item)) {
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
			const struct ptl_json *op =
			    ptl_json_get(item, methods[i]);

			if (ptl_json_type(op) == PTL_JSON_OBJECT)
				operation(b, root, ptl_json_name(item),
					  methods[i], item, op);
		}
	}
}

static void
schemas(struct ptl_buf *b, const struct ptl_json *root)
{
	const struct ptl_json *s, *p;

	ptl_buf_adds(b, "<h2>Schemas</h2>\n");
	for (s = ptl_json_first(
		 ptl_json_get(ptl_json_get(root, "components"), "schemas"));
	     s != NULL; s = ptl_json_next(s)) {
		ptl_buf_adds(b, "<section id=\"schema-");
		esc(b, ptl_json_name(s));
		ptl_buf_adds(b, "\"><h3>");
		esc(b, ptl_json_name(s));
		ptl_buf_adds(b, "</h3>\n");
		tagged(b, "p", s, "description");
		if (ptl_json_first(ptl_json_get(s, "properties")) == NULL) {
			ptl_buf_adds(b, "<p>");
			schema_name(b, s);
			ptl_buf_adds(b, "</p></section>\n");
			continue;
		}
		ptl_buf_adds(b, "<table><tr><th>property</th><th>type</th>"
				"<th>description</th></tr>\n");
		for (p = ptl_json_first(ptl_json_get(s, "properties"));
		     p != NULL; p = ptl_json_next(p)) {
			ptl_buf_adds(b, "<tr><td><code>");
			esc(b, ptl_json_name(p));
			ptl_buf_adds(b, "</code></td><td>");
			schema_name(b, p);
			ptl_buf_adds(b, "</td><td>");
			esc(b, str(p, "description"));
			ptl_buf_adds(b, "</td></tr>\n");
		}
		ptl_buf_adds(b, "</table></section>\n");
	}
}

enum ptl_err
ptl_docs_html(struct ptl_arena *a, const struct ptl_app *app, const char *file,
	      char **out, size_t *out_len)
{
	struct ptl_json *root = NULL;
	const struct ptl_json *info;
	char *text = NULL;
	size_t len = 0;
	struct ptl_buf b;
	enum ptl_err e = load(a, app, file, &text, &len, &root);

	if (e != PTL_OK)
		return e;
	info = ptl_json_get(root, "info");
	ptl_buf_init(&b, a, 2 * len, PTL_DOCS_MAX);
	ptl_buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
			 "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
			 "content=\"width=device-width, initial-scale=1\">\n"
			 "<title>");
	esc(&b, str(info, "title"));
	ptl_buf_adds(&b, "</title>\n<style>");
	ptl_buf_adds(&b, style);
	ptl_buf_adds(&b, "</style>\n</head>\n<body>\n<h1>");
	esc(&b, str(info, "title"));
	ptl_buf_adds(&b, " <small>");
	esc(&b, str(info, "version"));
	ptl_buf_adds(&b, "</small></h1>\n");
	tagged(&b, "p", info, "description");
	ptl_buf_adds(&b, "<p>OpenAPI ");
	esc(&b, str(root, "openapi"));
	ptl_buf_adds(&b, " document: <a href=\"/docs-json\">/docs-json</a>"
			 "</p>\n<h2>Operations</h2>\n");
	operations(&b, root);
	schemas(&b, root);
	ptl_buf_adds(&b, "</body>\n</html>\n");
	if (b.overflow) {
		PTL_LOG_ERR("docs: the page would pass %zu bytes",
			    PTL_DOCS_MAX);
		return PTL_ERR_INTERNAL;
	}
	*out = b.data;
	*out_len = b.len;
	return PTL_OK;
}
