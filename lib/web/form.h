/* SPDX-License-Identifier: ISC */
/*
 * form: HTML form posts without JavaScript (API.md §10.10). A browser form
 * post is answered with 303 See Other to a checked redirect target instead
 * of JSON, sign-in and refresh set the tokens as cookies (RFC 6265), and
 * every form post or cookie-authenticated write must come from an allowed
 * Origin (CSRF). Endpoint-glue layer, used by endpoint.c.
 */
#ifndef PTL_FORM_H
#define PTL_FORM_H

#include <stdbool.h>

#include "base/err.h"
#include "web/http.h"
#include "base/buf.h"

#define PTL_COOKIE_ACCESS "authportal_access"
#define PTL_COOKIE_REFRESH "authportal_refresh"

/* Sets req->browser: a form body and an Accept that prefers text/html. */
void ptl_form_detect(struct ptl_req *req);

/* PTL_OK when the request's Origin (or, without one, its Referer) is the
 * origin of FRONTEND_DOMAIN or listed in APP_CORS_ORIGINS; else
 * PTL_ERR_FORBIDDEN (logged as a security event). */
enum ptl_err ptl_form_csrf(struct ptl_req *req)
	__attribute__((warn_unused_result));

/* The value of cookie name (arena-owned), or NULL. */
const char *ptl_form_cookie(struct ptl_req *req, const char *name);

/*
 * Writes the status line and headers of the browser answer of a request
 * that ended with e: 303 to the checked target (the "redirect" field, else
 * FRONTEND_DOMAIN/; on failure "error_redirect", else the Referer, with
 * ?error=<messageKey>), plus Set-Cookie lines.
 */
void ptl_form_respond(struct ptl_req *req, struct ptl_resp *resp,
		      enum ptl_err e, struct ptl_buf *out);

#endif
