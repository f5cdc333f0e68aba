/* SPDX-License-Identifier: ISC */
/*
 * test_upload: the web layer's part of uploads (API.md §9.11) through
 * ptl_endpoint_serve() on the memory transport: a route with a
 * PTL_FIELD_FILE field takes a multipart body of up to cfg.upload_max of
 * file and PTL_REQ_MULTIPART_SLACK of framing, every other route keeps
 * cfg.body_max for any type; a Content-Length over the cap is multer's
 * 413 "File too large" before the body is read, and so is a file part
 * over the cap; a second part, a part of another name or a file part
 * without a filename is 400 "Unexpected field"; a malformed body 400; a
 * body that is not multipart leaves the file absent. ptl_resp_file(): the
 * bytes as they are (NUL included), the type, inline, sandboxed, cached
 * for a year without no-store, and no body for HEAD.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "fixture.h"
#include "memio.h"
#include "tap.h"
#include "web/endpoint.h"

#define CT "multipart/form-data; boundary=XyZ"
#define FILE_MAX 1000

static struct ptl_app app;
static struct ptl_arena *arena;
static struct memio m;

static const char *
serve(const struct ptl_endpoint *ep, const char *const *vars, const char *body,
      size_t body_len)
{
	struct ptl_transport t;

	memio_start(&m, &t, vars, body, body_len);
	ptl_mem_reset(arena);
	ptl_endpoint_serve(&app, ep, &t, arena);
	return m.out;
}

static const char *
resp_body(void)
{
	const char *p = strstr(m.out, "\r\n\r\n");

	return p != NULL ? p + 4 : NULL;
}

static bool
resp_status(int status)
{
	char want[32];

	(void)snprintf(want, sizeof(want), "Status: %d ", status);
	return strncmp(m.out, want, strlen(want)) == 0;
}

static bool
resp_has(const char *line)
{
	const char *end = strstr(m.out, "\r\n\r\n");
	const char *p = strstr(m.out, line);

	return p != NULL && end != NULL && p < end;
}

/* ---- the endpoint under test --------------------------------------------- */

static enum ptl_err
h_upload(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = &req->vals[0];

	ptl_buf_addf(&resp->body, "{\"file\":%s,\"len\":%zu,\"name\":",
		     v->present ? "true" : "false", v->len);
	ptl_buf_json_strz(&resp->body, req->file ? req->file->filename : NULL);
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}

static enum ptl_err
h_plain(struct ptl_req *req, struct ptl_resp *resp)
{
	ptl_buf_addf(&resp->body, "{\"len\":%zu}", req->body_len);
	return PTL_OK;
}

static enum ptl_err
h_blob(struct ptl_req *req, struct ptl_resp *resp)
{
	static const char blob[] = "GIF89a\0\1\2";

	(void)req;
	ptl_resp_file(resp, blob, sizeof(blob) - 1, "image/gif");
	return PTL_OK;
}

static const struct ptl_field upload_fields[] = {
    {"file", PTL_FIELD_FILE, {PTL_RULE_END}, NULL},
};

static const struct ptl_field plain_fields[] = {
    {"name", PTL_FIELD_OPTIONAL, {PTL_RULE_END}, NULL},
};

static const struct ptl_route routes[] = {
    {"POST", "/api/v1/upload", PTL_AUTH_NONE, PTL_FIELDS(upload_fields),
     h_upload, PTL_BUCKET_NONE},
    {"POST", "/api/v1/plain", PTL_AUTH_NONE, PTL_FIELDS(plain_fields), h_plain,
     PTL_BUCKET_NONE},
    {"GET", "/api/v1/blob", PTL_AUTH_NONE, PTL_NO_FIELDS, h_blob,
     PTL_BUCKET_NONE},
};

static const struct ptl_endpoint ep = {"unit", PTL_ROUTES(routes)};

/* A POST whose CONTENT_LENGTH says cl_len, with len bytes of body. */
static const char *
post_cl(const char *uri, const char *ct, const char *body, size_t len,
	size_t cl_len)
{
	static char cl[24];
	const char *vars[] = {"REQUEST_METHOD",
			      "POST",
			      "REQUEST_URI",
			      uri,
			      "CONTENT_TYPE",
			      ct,
			      "CONTENT_LENGTH",
			      cl,
			      "REMOTE_ADDR",
			      "127.0.0.1",
			      NULL};

	(void)snprintf(cl, sizeof(cl), "%zu", cl_len);
	return serve(&ep, vars, body, len);
}

static const char *
post(const char *uri, const char *ct, const char *body, size_t len)
{
	return post_cl(uri, ct, body, len, len);
}

/* A multipart body of one part name/filename holding n bytes of 'x'. */
static char *
body_of(const char *name, const char *filename, size_t n, size_t *len)
{
	char *head = ptl_mem_printf(
	    arena,
	    "--XyZ\r\nContent-Disposition: form-data; name=\"%s\"%s%s%s\r\n"
	    "\r\n",
	    name, filename ? "; filename=\"" : "", filename ? filename : "",
	    filename ? "\"" : "");
	size_t h = strlen(head);
	char *b = ptl_mem_xmalloc(h + n + 9);

	memcpy(b, head, h);
	memset(b + h, 'x', n);
	memcpy(b + h + n, "\r\n--XyZ--", 9);
	*len = h + n + 9;
	return b;
}

static void
test_caps(void)
{
	size_t len;
	char *b;

	b = body_of("file", "a.png", FILE_MAX, &len);
	post("/api/v1/upload", CT, b, len);
	ok(resp_status(200), "a file of exactly the cap");
	is_str(resp_body(), "{\"file\":true,\"len\":1000,\"name\":\"a.png\"}",
	       "  its bytes and filename reach the handler");
	free(b);

	b = body_of("file", "a.png", FILE_MAX + 1, &len);
	post("/api/v1/upload", CT, b, len);
	ok(resp_status(413), "one byte more: 413");
	is_str(resp_body(),
	       "{\"message\":\"File too large\",\"error\":\"Payload Too "
	       "Large\",\"statusCode\":413}",
	       "  multer's body");
	free(b);

	b = body_of("file", "a.png", 10, &len);
	post_cl("/api/v1/upload", CT, b, len,
		FILE_MAX + PTL_REQ_MULTIPART_SLACK + 1);
	ok(resp_status(413) && m.pos <= len,
	   "a Content-Length over the cap and its slack: 413, drained");
	is_str(resp_body(),
	       "{\"message\":\"File too large\",\"error\":\"Payload Too "
	       "Large\",\"statusCode\":413}",
	       "  the same body");
	free(b);

	/* Above body_max, below the upload cap: only the file route. */
	app.cfg.upload_max = 200 * 1024;
	b = body_of("file", "a.png", 150 * 1024, &len);
	post("/api/v1/upload", CT, b, len);
	ok(resp_status(200), "150 kB of multipart on the file route");
	post("/api/v1/plain", CT, b, len);
	ok(resp_status(413), "  413 on another route");
	is_str(resp_body(),
	       "{\"statusCode\":413,\"message\":\"request entity too large\"}",
	       "  with the usual body");
	post("/api/v1/upload", "application/json", b, len);
	ok(resp_status(413), "  and as JSON on the file route");
	app.cfg.upload_max = FILE_MAX;
	free(b);
}

static void
test_parts(void)
{
	static const char two[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"a\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: "
	    "form-data; name=\"file\"; filename=\"b\"\r\n\r\n2\r\n--XyZ--";
	static const char unexpected[] =
	    "{\"message\":\"Unexpected field\",\"error\":\"Bad Request\","
	    "\"statusCode\":400}";
	size_t len;
	char *b;

	post("/api/v1/upload", CT, two, sizeof(two) - 1);
	ok(resp_status(400), "two files: 400");
	is_str(resp_body(), unexpected, "  Unexpected field");
	b = body_of("photo", "a.png", 3, &len);
	post("/api/v1/upload", CT, b, len);
	is_str(resp_body(), unexpected, "another name: Unexpected field");
	free(b);
	b = body_of("file", NULL, 3, &len);
	post("/api/v1/upload", CT, b, len);
	is_str(resp_body(), unexpected, "no filename: Unexpected field");
	free(b);
	post("/api/v1/upload", CT, "--XyZ--", 7);
	ok(resp_status(400) && strstr(resp_body(), "Multipart") != NULL,
	   "no part: 400 with the reason");
	post("/api/v1/upload", "multipart/form-data", two, sizeof(two) - 1);
	ok(resp_status(400), "no boundary: 400");
	post("/api/v1/upload", "application/json", "{}", 2);
	is_str(resp_body(), "{\"file\":false,\"len\":0,\"name\":null}",
	       "JSON: no file");
	post("/api/v1/plain", CT, two, sizeof(two) - 1);
	is_str(resp_body(),
	       ptl_mem_printf(arena, "{\"len\":%zu}", sizeof(two) - 1),
	       "another route: multipart is bytes, not parsed");
}

static void
test_file_answer(void)
{
	const char *vars[] = {
	    "REQUEST_METHOD", "GET",       "REQUEST_URI", "/api/v1/blob",
	    "REMOTE_ADDR",    "127.0.0.1", NULL};
	const char *head[] = {
	    "REQUEST_METHOD", "HEAD",      "REQUEST_URI", "/api/v1/blob",
	    "REMOTE_ADDR",    "127.0.0.1", NULL};
	const char *b;

	serve(&ep, vars, NULL, 0);
	ok(resp_status(200), "a file answer");
	ok(resp_has("Content-Type: image/gif\r\n") &&
	       resp_has("Content-Disposition: inline\r\n") &&
	       resp_has("Content-Length: 9\r\n") &&
	       resp_has("X-Content-Type-Options: nosniff\r\n") &&
	       resp_has("Content-Security-Policy: default-src 'none'; "
			"sandbox\r\n"),
	   "  its type, inline, nosniff, sandboxed");
	ok(resp_has("Cache-Control: public, max-age=31536000, immutable\r\n") &&
	       !resp_has("no-store") && !resp_has("Pragma"),
	   "  cached for a year");
	b = resp_body();
	ok(b != NULL && m.out_len - (size_t)(b - m.out) == 9 &&
	       memcmp(b, "GIF89a\0\1\2", 9) == 0,
	   "  the bytes as they are");
	serve(&ep, head, NULL, 0);
	b = resp_body();
	ok(resp_status(200) && b != NULL && *b == '\0' &&
	       resp_has("Content-Length: 9\r\n"),
	   "HEAD: the headers only");
}

int
main(void)
{
	fix_app_open(&app);
	app.cfg.upload_max = FILE_MAX;
	arena = ptl_mem_new();
	memio_init(&m, 1024 * 1024);
	m.read_max = 4096;
	test_caps();
	test_parts();
	test_file_answer();
	ptl_mem_free(arena);
	memio_free(&m);
	fix_app_close(&app);
	return done();
}
