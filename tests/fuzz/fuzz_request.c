/* SPDX-License-Identifier: ISC */
/*
 * fuzz_request: one request through ptl_endpoint_serve on a memory
 * transport. The input is split at '\n' into REQUEST_METHOD, REQUEST_URI
 * (QUERY_STRING is what follows '?'), CONTENT_TYPE, HTTP_AUTHORIZATION,
 * HTTP_X_FORWARDED_FOR, HTTP_COOKIE and HTTP_ACCEPT; the rest is the body,
 * with CONTENT_LENGTH its length. A missing line is an unset variable. The
 * endpoint has a field table of every rule, an {id} route, an access and
 * a refresh route. The response must start with a status line.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "web/endpoint.h"
#include "fuzz.h"
#include "base/mem.h"

#define NLINES 7

static const char *const names[NLINES] = {
	"REQUEST_METHOD", "REQUEST_URI", "CONTENT_TYPE", "HTTP_AUTHORIZATION",
	"HTTP_X_FORWARDED_FOR", "HTTP_COOKIE", "HTTP_ACCEPT",
};

struct mem {
	const char *vals[NLINES];
	const char *query;
	char length[24];
	const char *body;
	size_t body_len, pos;
	size_t out_len;
	int status_ok;
};

static const char *
mem_param(void *ctx, const char *name)
{
	struct mem *t = ctx;
	size_t i;

	for (i = 0; i < NLINES; i++) {
		if (strcmp(name, names[i]) == 0)
			return t->vals[i];
	}
	if (strcmp(name, "QUERY_STRING") == 0)
		return t->query;
	if (strcmp(name, "CONTENT_LENGTH") == 0)
		return t->length;
	if (strcmp(name, "REMOTE_ADDR") == 0)
		return "127.0.0.1";
	if (strcmp(name, "HTTP_ORIGIN") == 0)
		return "http://localhost:3000";
	return NULL;
}

static size_t
mem_read(void *ctx, char *buf, size_t len)
{
	struct mem *t = ctx;
	size_t n = t->body_len - t->pos;

	if (n > len)
		n = len;
	memcpy(buf, t->body + t->pos, n);
	t->pos += n;
	return n;
}

static void
mem_write(void *ctx, const char *buf, size_t len)
{
	struct mem *t = ctx;

	if (t->out_len == 0)
		t->status_ok = len >= 8 && memcmp(buf, "Status: ", 8) == 0;
	t->out_len += len;
}

/* For routes with the five fields below: echoes their values. */
static enum ptl_err
h_fields(struct ptl_req *req, struct ptl_resp *resp)
{
	size_t i;

	ptl_buf_addc(&resp->body, '[');
	for (i = 0; i < 5; i++) {
		if (i > 0)
			ptl_buf_addc(&resp->body, ',');
		if (req->vals[i].s != NULL)
			ptl_buf_json_str(&resp->body, req->vals[i].s,
					 req->vals[i].len);
		else
			ptl_buf_adds(&resp->body, "null");
	}
	ptl_buf_addc(&resp->body, ']');
	return PTL_OK;
}

static enum ptl_err
h_plain(struct ptl_req *req, struct ptl_resp *resp)
{
	ptl_buf_json_strz(&resp->body, req->param);
	ptl_buf_json_strz(&resp->body, ptl_req_query(req, "redirect"));
	ptl_buf_json_strz(&resp->body, req->bearer);
	return PTL_OK;
}

static const struct ptl_field fields[] = {
	{"email", PTL_FIELD_EMAIL, {PTL_RULE_NOT_EMPTY, PTL_RULE_EMAIL}, NULL},
	{"password", 0, {PTL_RULE_NOT_EMPTY, PTL_RULE_PASSWORD}, NULL},
	{"firstName", PTL_FIELD_OPTIONAL, {PTL_RULE_NOT_EMPTY}, NULL},
	{"age", PTL_FIELD_OPTIONAL | PTL_FIELD_NUMBER, {PTL_RULE_END}, NULL},
	{"any", PTL_FIELD_ANY | PTL_FIELD_OPTIONAL, {PTL_RULE_END}, "custom"},
};

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/auth/email/login", PTL_AUTH_NONE, PTL_FIELDS(fields),
	 h_fields, PTL_BUCKET_LOGIN},
	{"GET", "/api/v1/items/{id}", PTL_AUTH_NONE, PTL_NO_FIELDS, h_plain,
	 PTL_BUCKET_NONE},
	{"PATCH", "/api/v1/auth/me", PTL_AUTH_ACCESS, PTL_FIELDS(fields), h_fields,
	 PTL_BUCKET_NONE},
	{"POST", "/api/v1/auth/refresh", PTL_AUTH_REFRESH, PTL_NO_FIELDS, h_plain,
	 PTL_BUCKET_NONE},
	{"DELETE", "/api/v1/sessions/{id}", PTL_AUTH_ACCESS, PTL_NO_FIELDS, h_plain,
	 PTL_BUCKET_IP},
};

static const struct ptl_endpoint ep = {"fuzz", routes,
				       sizeof(routes) / sizeof(routes[0])};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	struct ptl_app *app = fuzz_app();
	struct ptl_transport t;
	struct mem m;
	char *copy, *p, *q;
	size_t i;

	if (size > 200000)
		return 0;
	if (a == NULL)
		a = ptl_mem_new();
	/* Counting in the database costs a write per request. */
	app->cfg.rate_limit = false;
	app->cfg.trusted_proxies = "127.0.0.1";
	memset(&m, 0, sizeof(m));
	copy = ptl_mem_alloc(a, size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	for (i = 0; i < NLINES && p != NULL; i++) {
		char *nl = memchr(p, '\n', size - (size_t)(p - copy));

		if (nl == NULL)
			break;
		*nl = '\0';
		m.vals[i] = p;
		p = nl + 1;
	}
	m.body = p != NULL && i == NLINES ? p : "";
	m.body_len = m.body == p ? size - (size_t)(p - copy) : 0;
	(void)snprintf(m.length, sizeof(m.length), "%zu", m.body_len);
	q = m.vals[1] != NULL ? strchr(m.vals[1], '?') : NULL;
	m.query = q != NULL ? q + 1 : NULL;
	t.param = mem_param;
	t.read = mem_read;
	t.write = mem_write;
	t.ctx = &m;
	ptl_endpoint_serve(app, &ep, &t, a);
	if (!m.status_ok)
		__builtin_trap(); /* every request gets one response */
	ptl_mem_reset(a);
	return 0;
}
