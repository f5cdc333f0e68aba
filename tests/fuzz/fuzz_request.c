/* SPDX-License-Identifier: ISC */
/*
 * fuzz_request: one request through ptl_endpoint_serve on the memory
 * transport of tests/memio.h. The input is split at '\n' into
 * REQUEST_METHOD, REQUEST_URI (QUERY_STRING is what follows '?'),
 * CONTENT_TYPE, HTTP_AUTHORIZATION, HTTP_X_FORWARDED_FOR, HTTP_COOKIE and
 * HTTP_ACCEPT; the rest is the body, with CONTENT_LENGTH its length. A
 * missing line is an unset variable. The endpoint has a field table of
 * every rule, an {id} route, an access and a refresh route. The response
 * must be written once and start with a status line.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "fuzz.h"
#include "memio.h"
#include "web/endpoint.h"

#define NLINES 7
#define OUT_CAP 4096 /* enough to see the status line */

static const char *const names[NLINES] = {
	"REQUEST_METHOD", "REQUEST_URI", "CONTENT_TYPE", "HTTP_AUTHORIZATION",
	"HTTP_X_FORWARDED_FOR", "HTTP_COOKIE", "HTTP_ACCEPT",
};

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

/* Splits input (NUL-terminated, size bytes) into the lines of the
 * variables and the body; a missing line leaves vals[i] NULL. */
static void
split(char *input, size_t size, const char *vals[NLINES], const char **body,
      size_t *body_len)
{
	char *p = input;
	size_t i;

	*body = "";
	*body_len = 0;
	for (i = 0; i < NLINES; i++) {
		char *nl = memchr(p, '\n', size - (size_t)(p - input));

		if (nl == NULL)
			return;
		*nl = '\0';
		vals[i] = p;
		p = nl + 1;
	}
	*body = p;
	*body_len = size - (size_t)(p - input);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	static struct memio m;
	struct ptl_app *app = fuzz_app();
	struct ptl_transport t;
	const char *vars[2 * NLINES + 9];
	const char *vals[NLINES] = {NULL};
	const char *body, *q;
	char length[24];
	char *copy;
	size_t i, n = 0, body_len;

	if (size > 200000)
		return 0;
	if (a == NULL) {
		a = ptl_mem_new();
		memio_init(&m, OUT_CAP);
	}
	/* Counting in the database costs a write per request. */
	app->cfg.rate_limit = false;
	app->cfg.trusted_proxies = "127.0.0.1";
	copy = ptl_mem_alloc(a, size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	split(copy, size, vals, &body, &body_len);
	(void)snprintf(length, sizeof(length), "%zu", body_len);
	q = vals[1] != NULL ? strchr(vals[1], '?') : NULL;
	for (i = 0; i < NLINES; i++) {
		vars[n++] = names[i];
		vars[n++] = vals[i];
	}
	vars[n++] = "QUERY_STRING";
	vars[n++] = q != NULL ? q + 1 : NULL;
	vars[n++] = "CONTENT_LENGTH";
	vars[n++] = length;
	vars[n++] = "REMOTE_ADDR";
	vars[n++] = "127.0.0.1";
	vars[n++] = "HTTP_ORIGIN";
	vars[n++] = "http://localhost:3000";
	vars[n] = NULL;
	memio_start(&m, &t, vars, body, body_len);
	ptl_endpoint_serve(app, &ep, &t, a);
	/* Every request gets one response, starting with its status line. */
	if (m.writes != 1 || strncmp(m.out, "Status: ", 8) != 0)
		__builtin_trap();
	ptl_mem_reset(a);
	return 0;
}
