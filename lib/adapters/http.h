/* SPDX-License-Identifier: ISC */
/*
 * http: outbound HTTPS through libcurl, for the calls of social sign-in
 * to the providers (API.md §5, §10.11): a GET or a form POST, TLS
 * certificates verified, connect and total timeouts, the answer capped at
 * PTL_HTTP_BODY_MAX before it is buffered, redirects never followed, and
 * https:// required unless the host is a loopback address
 * (ptl_cfg_provider_url_ok). One curl handle per process, reused, so that
 * a worker keeps its connections to a provider. libcurl is loaded with
 * dlopen() on first use, as smtp.c does. Not responsible for what the
 * provider says (domain/social.c reads it).
 */
#ifndef PTL_HTTP_H
#define PTL_HTTP_H

#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"

/* The largest answer body read from a provider: 256 KiB. */
#define PTL_HTTP_BODY_MAX (256 * 1024)
/* At most this many extra request header lines. */
#define PTL_HTTP_HEADERS_MAX 8

struct ptl_http_req {
	const char *url;  /* borrowed; checked by ptl_cfg_provider_url_ok */
	const char *form; /* NULL: a GET; else the urlencoded POST body */
	const char *headers[PTL_HTTP_HEADERS_MAX]; /* "Name: value", or NULL */
	long connect_timeout_ms, timeout_ms;
};

struct ptl_http_resp {
	long status; /* the HTTP status of the answer */
	char *body;  /* arena-owned, NUL-terminated */
	size_t len;
};

/*
 * Sends rq and reads the answer into out (whatever its status: a 3xx is
 * returned, not followed). Secrets in rq (a form with a client secret or
 * a code, an Authorization header) are never logged; the URL is logged
 * without its query. Errors: PTL_ERR_BAD_REQUEST when the URL is not
 * acceptable (nothing is sent); PTL_ERR_UNAVAILABLE when libcurl cannot be
 * loaded, on a network, TLS or timeout failure, or when the body passes
 * PTL_HTTP_BODY_MAX (each logged once).
 */
enum ptl_err ptl_http_send(struct ptl_arena *a, const struct ptl_http_req *rq,
			   struct ptl_http_resp *out)
    __attribute__((warn_unused_result, nonnull));

/* Frees the process's curl handle (tests, and the end of a process). */
void ptl_http_close(void);

#endif
