/* SPDX-License-Identifier: ISC */
/*
 * form: HTML form posts without JavaScript (API.md §10.10). A browser form
 * post is answered with 303 See Other to a checked redirect target instead
 * of JSON, sign-in and refresh set the tokens as cookies (RFC 6265), and
 * every form post or cookie-authenticated write must come from an allowed
 * Origin (CSRF); also the device cookie of every sign-in (API.md §10.7).
 * Used by endpoint.c (detection, CSRF), resp.c (the 303) and login. Not
 * responsible for reading cookies (req.h) or for the JSON answer (resp.h).
 */
#ifndef PTL_FORM_H
#define PTL_FORM_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"
#include "web/req.h"
#include "web/resp.h"

#define PTL_COOKIE_ACCESS "authportal_access"
#define PTL_COOKIE_REFRESH "authportal_refresh"
/* The device cookie of a successful sign-in (domain/device.h). */
#define PTL_COOKIE_DEVICE "authportal_device"

/* Sets req->browser: a form body and an Accept that prefers text/html. */
void ptl_form_detect(struct ptl_req *req);

/* PTL_OK when the request's Origin (or, without one, its Referer) is the
 * origin of FRONTEND_DOMAIN or listed in APP_CORS_ORIGINS (RFC 6454 §7);
 * else PTL_ERR_FORBIDDEN (logged as a security event). */
enum ptl_err ptl_form_csrf(struct ptl_req *req)
	__attribute__((warn_unused_result));

/*
 * Writes the status line and headers of the browser answer of a request
 * that ended with e: 303 to the checked target (the "redirect" field, else
 * FRONTEND_DOMAIN/; on failure "error_redirect", else the Referer, with
 * ?error=<messageKey>), plus, on success, the Set-Cookie lines of resp's
 * tokens (RFC 6265 §4.1). A target is kept only when it is a path, or an
 * absolute http(s) URL of FRONTEND_DOMAIN's origin or starting with an
 * entry of AUTH_ALLOWED_REDIRECTS, and holds no control byte, space or
 * '\\', nor userinfo or any other non-host character in its authority; a refused "redirect" goes to
 * FRONTEND_DOMAIN/?error=invalidRedirect.
 */
void ptl_form_respond(struct ptl_req *req, struct ptl_resp *resp,
		      enum ptl_err e, struct ptl_buf *out);

/*
 * Adds the Set-Cookie line of the device token (domain/device.h) to
 * resp->headers, on every successful sign-in, JSON or form (RFC 6265
 * §4.1): HttpOnly, SameSite=Strict, Path=/api/v1/auth, Max-Age
 * AUTH_DEVICE_COOKIE_EXPIRES_IN, and Secure as the other cookies are.
 * token is borrowed for the life of resp; NULL adds nothing.
 */
void ptl_form_device_cookie(struct ptl_req *req, struct ptl_resp *resp,
			    const char *token) __attribute__((nonnull(1, 2)));

/*
 * The redirect flow of social sign-in (API.md §10.11) reuses the checks
 * and cookies of form posts:
 * ptl_form_target() is target as ptl_form_respond() would take it (a
 * path made absolute on FRONTEND_DOMAIN, or an allowed absolute URL), or
 * NULL when it is refused; arena-owned or target itself.
 * ptl_form_token_cookies() adds the Set-Cookie lines of resp's tokens to
 * resp->headers, as the 303 of a browser sign-in sets them.
 * ptl_form_secure() is whether cookies carry Secure (always but on a
 * development server on the loopback).
 */
const char *ptl_form_target(struct ptl_req *req, const char *target)
	__attribute__((nonnull(1)));
void ptl_form_token_cookies(struct ptl_req *req, struct ptl_resp *resp)
	__attribute__((nonnull));
bool ptl_form_secure(struct ptl_req *req) __attribute__((nonnull));

/*
 * For the account pages (cgi-bin/pages), which the backend serves itself:
 * ptl_form_csrf(), but the origin of BACKEND_DOMAIN is allowed too (a
 * form of the pages posts to its own origin).
 */
enum ptl_err ptl_form_csrf_self(struct ptl_req *req)
	__attribute__((warn_unused_result));

#endif
