/* SPDX-License-Identifier: ISC */
/*
 * fuzz_request: one request through ptl_endpoint_serve on the memory
 * transport of tests/memio.h: the CGI variables and body a FastCGI or CGI
 * request brings (lib/web/req.c reads them, then routing, body decoding,
 * CSRF, credentials, field validation and the answer of lib/web/resp.c or
 * the 303 of lib/web/form.c).
 *
 * The input is "NAME=value" lines, up to the first empty line, then the
 * body. Every CGI variable is the fuzzer's: a name that is not listed is
 * unset, "NAME=" is set and empty. Two are filled in when not listed:
 * CONTENT_LENGTH (the body's length) and QUERY_STRING (what follows '?' in
 * REQUEST_URI), as a web server would. The pseudo-variable FUZZ_READ_MAX=n
 * hands the body out n bytes per read (1-64), to exercise the read loop.
 *
 * The endpoint has a field table of every rule, an {id} route, an access
 * and a refresh route. Invariants: exactly one write, starting with a
 * status line; no 5xx (bad input is a 4xx) unless REDIRECT_STATUS, the
 * web server's own error (never a client's), asks for one; the header
 * lines end in CRLF and hold no other CR or LF (no header injection); a
 * 303 goes where fuzz_redirect_ok() (fuzz.h) allows.
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

#define MAX_VARS 32
#define OUT_CAP 8192 /* enough to see the status line and headers */

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

struct input {
	const char *vars[2 * MAX_VARS + 5]; /* name, value, ..., NULL */
	size_t n;
	const char *body;
	size_t body_len;
	size_t read_max;
	char length[24];
};

/* The value of name among the first in->n entries, or NULL. */
static const char *
listed(const struct input *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->n; i += 2) {
		if (strcmp(in->vars[i], name) == 0)
			return in->vars[i + 1];
	}
	return NULL;
}

/* Splits s (NUL-terminated, size bytes, written to) into in. */
static void
parse(char *s, size_t size, struct input *in)
{
	char *p = s, *end = s + size;
	const char *uri, *q;

	memset(in, 0, sizeof(*in));
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eq;

		if (nl == NULL)
			nl = end;
		*nl = '\0';
		if (nl == p) { /* the empty line: the body follows */
			p = nl + 1;
			break;
		}
		eq = strchr(p, '=');
		if (eq != NULL && eq != p && in->n < 2 * MAX_VARS) {
			*eq = '\0';
			if (strcmp(p, "FUZZ_READ_MAX") == 0) {
				in->read_max = (size_t)strtoul(eq + 1, NULL,
							       10) % 64 + 1;
			} else {
				in->vars[in->n++] = p;
				in->vars[in->n++] = eq + 1;
			}
		}
		p = nl + 1;
	}
	in->body = p < end ? p : "";
	in->body_len = p < end ? (size_t)(end - p) : 0;
	uri = listed(in, "REQUEST_URI");
	q = uri != NULL ? strchr(uri, '?') : NULL;
	if (listed(in, "QUERY_STRING") == NULL && q != NULL) {
		in->vars[in->n++] = "QUERY_STRING";
		in->vars[in->n++] = q + 1;
	}
	if (listed(in, "CONTENT_LENGTH") == NULL) {
		(void)snprintf(in->length, sizeof(in->length), "%zu",
			       in->body_len);
		in->vars[in->n++] = "CONTENT_LENGTH";
		in->vars[in->n++] = in->length;
	}
	in->vars[in->n] = NULL;
}

/* The answer's header lines end in CRLF and hold no other CR or LF; out
 * is the whole answer when it was not cut. */
static bool
headers_clean(const char *out)
{
	const char *end = strstr(out, "\r\n\r\n");
	const char *p;

	if (end == NULL)
		return false;
	for (p = out; p < end + 2; p++) {
		if (*p == '\r' && p[1] != '\n')
			return false;
		if (*p == '\n' && (p == out || p[-1] != '\r'))
			return false;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptl_arena *a;
	static struct memio m;
	static struct input in;
	struct ptl_app *app = fuzz_app();
	struct ptl_transport t;
	char *copy;

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
	parse(copy, size, &in);
	memio_start(&m, &t, in.vars, in.body, in.body_len);
	m.read_max = in.read_max;
	ptl_endpoint_serve(app, &ep, &t, a);
	/* One response, starting with its status line, never a 5xx but the
	 * web server's own (REDIRECT_STATUS, which no client can set). */
	if (m.writes != 1 || strncmp(m.out, "Status: ", 8) != 0 ||
	    m.out[8] < '1' || m.out[8] > '5' ||
	    (m.out[8] == '5' && listed(&in, "REDIRECT_STATUS") == NULL))
		__builtin_trap();
	if (m.out_total <= m.out_cap && !headers_clean(m.out))
		__builtin_trap();
	if (strncmp(m.out, "Status: 303", 11) == 0 && !fuzz_redirect_ok(m.out))
		__builtin_trap();
	ptl_mem_reset(a);
	return 0;
}
