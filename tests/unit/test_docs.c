/* SPDX-License-Identifier: ISC */
/*
 * test_docs: the API documentation (lib/domain/docs.c, API.md §13, §10
 * item 29): the shipped docs/openapi.json read and served with the
 * language header named by APP_HEADER_LANGUAGE, APP_DOCS=false, the
 * refusals (missing, oversized, not JSON), and the HTML page: every
 * operation and schema, every text escaped (a hostile document cannot add
 * markup), nothing but its own anchors and /docs-json linked.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "domain/app.h"
#include "domain/docs.h"
#include "fixture.h"
#include "tap.h"

static struct ptl_arena *arena;
static char tmp_file[64];

static const char *
write_tmp(const char *text, size_t len)
{
	FILE *f;
	int fd;

	(void)snprintf(tmp_file, sizeof(tmp_file), "/tmp/ptl-docs.XXXXXX");
	fd = mkstemp(tmp_file);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (f == NULL)
		return NULL;
	(void)fwrite(text, 1, len, f);
	(void)fclose(f);
	return tmp_file;
}

static bool
has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static void
test_shipped(struct ptl_app *app, const char *doc)
{
	char *out = NULL;
	size_t len = 0;

	is_int(ptl_docs_json(arena, app, doc, &out, &len), PTL_OK,
	       "json: the shipped document");
	ok(out != NULL && len == strlen(out) && strncmp(out, "{", 1) == 0 &&
	       has(out, "\"openapi\": \"3.0.0\""),
	   "json: it is the OpenAPI 3.0 document");
	ok(has(out, "\"name\": \"x-custom-lang\""),
	   "json: the default header name");
	is_int(ptl_docs_html(arena, app, doc, &out, &len), PTL_OK,
	       "html: the shipped document");
	ok(has(out, "<!DOCTYPE html>") && has(out, "<title>API</title>"),
	   "html: a page titled by info.title");
	ok(has(out, "id=\"op-AuthController_login_v1\"") &&
	       has(out, "<code>/api/v1/auth/email/login</code>") &&
	       has(out, "id=\"op-SessionsController_revoke_v1\""),
	   "html: the operations");
	ok(has(out, "id=\"schema-LoginResponse\"") &&
	       has(out, "<a href=\"#schema-User\">User</a>"),
	   "html: the schemas, linked by their anchors");
	ok(has(out, "<code>x-custom-lang</code>"),
	   "html: the language header of every operation ($ref resolved)");
	ok(!has(out, "<script") && !has(out, "src="),
	   "html: no script, nothing loaded");
}

static void
test_header_and_off(struct ptl_app *app, const char *doc)
{
	char *out = NULL;
	size_t len = 0;

	app->cfg.header_language = "Accept-Mail-Lang";
	is_int(ptl_docs_json(arena, app, doc, &out, &len), PTL_OK,
	       "header: read");
	ok(has(out, "\"name\": \"Accept-Mail-Lang\"") &&
	       !has(out, "\"x-custom-lang\""),
	   "header: the parameter is named by APP_HEADER_LANGUAGE");
	app->cfg.header_language = "x-custom-lang";
	app->cfg.docs = false;
	out = NULL;
	is_int(ptl_docs_json(arena, app, doc, &out, &len), PTL_ERR_NO_ROUTE,
	       "off: /docs-json is no route");
	is_int(ptl_docs_html(arena, app, doc, &out, &len), PTL_ERR_NO_ROUTE,
	       "off: /docs is no route");
	ok(out == NULL, "off: nothing returned");
	app->cfg.docs = true;
}

static void
test_refused(struct ptl_app *app)
{
	char *out = NULL, *big;
	size_t len = 0;
	const char *f;

	is_int(
	    ptl_docs_json(arena, app, "/nonexistent/openapi.json", &out, &len),
	    PTL_ERR_INTERNAL, "refused: a missing file");
	f = write_tmp("[1, 2]", 6);
	is_int(ptl_docs_json(arena, app, f, &out, &len), PTL_ERR_INTERNAL,
	       "refused: an array");
	(void)unlink(tmp_file);
	f = write_tmp("{\"openapi\": ", 12);
	is_int(ptl_docs_html(arena, app, f, &out, &len), PTL_ERR_INTERNAL,
	       "refused: broken JSON");
	(void)unlink(tmp_file);
	big = ptl_mem_alloc(arena, PTL_DOCS_MAX + 8);
	memset(big, ' ', PTL_DOCS_MAX + 8);
	big[0] = '{';
	big[PTL_DOCS_MAX + 7] = '}';
	f = write_tmp(big, PTL_DOCS_MAX + 8);
	is_int(ptl_docs_json(arena, app, f, &out, &len), PTL_ERR_INTERNAL,
	       "refused: a file over 768 KiB");
	(void)unlink(tmp_file);
	ok(out == NULL, "refused: nothing returned");
}

/* A hostile document: its texts are shown, never obeyed. */
static void
test_escaped(struct ptl_app *app)
{
	static const char hostile[] =
	    "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"<script>alert(1)"
	    "</script>\",\"version\":\"1\\\"><img src=x>\",\"description\":"
	    "\"a & b\"},\"paths\":{\"/x/<b>\":{\"get\":{\"operationId\":"
	    "\"a\\\"onclick=\\\"x\",\"summary\":\"<i>s</i>\",\"responses\":"
	    "{\"200\":{\"description\":\"'ok'\"}}}}},\"components\":{"
	    "\"schemas\":{\"<S>\":{\"type\":\"object\",\"properties\":{"
	    "\"p\":{\"$ref\":\"#/components/schemas/<T>\"}}}}}}";
	char *out = NULL;
	size_t len = 0;
	const char *f = write_tmp(hostile, sizeof(hostile) - 1);

	is_int(ptl_docs_html(arena, app, f, &out, &len), PTL_OK,
	       "escaped: a hostile document renders");
	(void)unlink(tmp_file);
	ok(!has(out, "<script>") && has(out, "&lt;script&gt;alert(1)"),
	   "escaped: the title");
	ok(!has(out, "<img") && has(out, "1&quot;&gt;&lt;img src=x&gt;"),
	   "escaped: the version");
	ok(has(out, "a &amp; b") && has(out, "&lt;i&gt;s&lt;/i&gt;") &&
	       has(out, "&#39;ok&#39;"),
	   "escaped: description, summary, response");
	ok(has(out, "id=\"op-a&quot;onclick=&quot;x\"") &&
	       has(out, "<code>/x/&lt;b&gt;</code>"),
	   "escaped: operation id and path");
	ok(has(out, "id=\"schema-&lt;S&gt;\"") &&
	       has(out, "href=\"#schema-&lt;T&gt;\""),
	   "escaped: schema names and references");
}

static void
run(void)
{
	const char *srcdir = getenv("srcdir");
	const char *doc = ptl_mem_printf(arena, "%s/docs/openapi.json",
					 srcdir != NULL ? srcdir : ".");
	struct ptl_app app;

	fix_env();
	if (ptl_app_load(&app) != PTL_OK) {
		ok(0, "the app loads");
		return;
	}
	ok(app.cfg.docs, "APP_DOCS is on by default");
	test_shipped(&app, doc);
	test_header_and_off(&app, doc);
	test_refused(&app);
	test_escaped(&app);
	ptl_app_close(&app);
}

int
main(void)
{
	arena = ptl_mem_new();
	run();
	ptl_mem_free(arena);
	return done();
}
