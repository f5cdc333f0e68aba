/* SPDX-License-Identifier: ISC */
/*
 * page: the server-rendered account pages (cgi-bin/pages, API.md §10 item
 * 34): the accept loop of an executable that answers HTML rather than
 * JSON. A site declares its routes (method, name under PAGES_BASE_PATH,
 * flags, handler); this module reads the request (req.h), runs the checks
 * of a form post in their order — body (413, 400), Origin (403, API.md
 * §10.10), the CSRF token of the form (403), database (503), per-IP limit
 * (429) — and the sign-in of a page that needs a user (the access cookie
 * of §10.10, else 303 to the sign-in page), calls the handler, and
 * renders its template (base/tmpl.h) in the site's layout, with the words
 * of the page's language, or answers 303 (post/redirect/get).
 *
 * Every answer carries a strict Content-Security-Policy (no script at
 * all, frame-ancestors 'none'), Cache-Control: no-store (every page has a
 * CSRF token or user data), and Referrer-Policy: same-origin (with
 * no-referrer browsers send "Origin: null" on form posts). Templates and
 * the stylesheet are read from PAGES_THEME_DIR first, then from the
 * shipped pages/ (base/paths.h). Not responsible for what a page does
 * (the handlers, which call the use cases of lib/domain/).
 */
#ifndef PTL_PAGE_H
#define PTL_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/fcgi.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/tmpl.h"
#include "domain/account.h"
#include "domain/app.h"
#include "domain/refusal.h"
#include "web/req.h"
#include "web/resp.h"

#define PTL_PAGE_USER 0x1 /* needs a signed-in user, else 303 to signin */
#define PTL_PAGE_LOGIN                                                         \
	0x2 /* a POST counts against AUTH_RATE_LOGIN_IP                        \
	     * (else AUTH_RATE_IP) */

/* The cookie that carries the browser's CSRF secret (RFC 6265 §4.1);
 * the forms carry an HMAC of it (ptl_page_serve). */
#define PTL_PAGE_CSRF_COOKIE "authportal_csrf"
#define PTL_PAGE_CSRF_FIELD "csrf"
/* The refresh token again, for the pages' path: the one of API.md §10.10
 * (Path=/api/v1/auth) never reaches them. When the access cookie has run
 * out, a signed-in page rotates the session with it and sets every
 * cookie anew (ptl_page_serve), so people stay signed in as long as the
 * session lives. */
#define PTL_PAGE_REFRESH_COOKIE "authportal_pages_refresh"

struct ptl_page;

typedef enum ptl_err (*ptl_page_handler)(struct ptl_page *pg);

struct ptl_page_route {
	const char *method; /* "GET" (HEAD too) or "POST" */
	const char *name;   /* the path under the base: "signin" */
	unsigned flags;     /* PTL_PAGE_* */
	ptl_page_handler handle;
};

struct ptl_page_site {
	const char *name; /* the executable's, for the log */
	const char *home; /* the route the base path itself redirects to */
	const struct ptl_page_route *routes;
	size_t nroutes;
};

/* One request to the pages, as a handler sees it. */
struct ptl_page {
	struct ptl_req *req;
	struct ptl_tmpl_scope *scope; /* the values of the page's template */
	const char *view;      /* the template (default: the route's name) */
	int status;            /* 200 (default), 422, ... */
	const char *location;  /* when set, 303 there instead of a page */
	struct ptl_resp resp;  /* extra headers; the tokens of the cookies */
	struct ptl_user *user; /* PTL_PAGE_USER: the signed-in user */
	int64_t session_id;    /* ... and the session of the access cookie */
	const char *lang;      /* the page's language */
	size_t nerrors;        /* ptl_page_error() calls so far */
	/* Internal: the site, the transport and the form's token. */
	const struct ptl_page_site *site;
	struct ptl_transport *t;
	const char *csrf;
};

/* Serves one request from t (everything in a, which the caller resets). */
void ptl_page_serve(struct ptl_app *app, const struct ptl_page_site *site,
		    struct ptl_transport *t, struct ptl_arena *a)
    __attribute__((nonnull));

/* The accept loop of the pages executable; the process exit status. */
int ptl_page_main(const struct ptl_page_site *site) __attribute__((nonnull));

/* The form field name of a POST (or the query parameter of a GET) as
 * sent, or NULL. Arena-owned or borrowed from the request. */
const char *ptl_page_field(struct ptl_page *pg, const char *name)
    __attribute__((nonnull));

/* The words of key in the page's language (the "pages" messages, dotted
 * keys), or NULL when no language has them. */
const char *ptl_page_words(struct ptl_page *pg, const char *key)
    __attribute__((nonnull));

/*
 * Shows the error of message key next to field (scope values err_<field>
 * and invalid_<field>, and autofocus_<field> for the first error) and in
 * the summary at the top (the list "errors"); sets the status to 422.
 * key is a message key of API.md §1.13 or of the pages ("required",
 * "invalidEmail", "passwordTooShort", ...); its words are errors.<key>
 * (a key "k:arg" uses errors.k), else errors.unknown.
 */
void ptl_page_error(struct ptl_page *pg, const char *field, const char *key)
    __attribute__((nonnull));

/*
 * Shows a use case's refusal: PTL_ERR_VALIDATION next to its field(s),
 * PTL_ERR_RATE_LIMITED as a summary error (status 429); returns PTL_OK
 * for those (the page is rendered again), e for anything else.
 */
enum ptl_err ptl_page_refusal(struct ptl_page *pg, enum ptl_err e,
			      const struct ptl_refusal *why)
    __attribute__((nonnull));

/* The checked values of a form: an email (required, isEmail, normalised:
 * base/email.h), a password (required; with policy, the length of
 * AUTH_PASSWORD_MIN_LENGTH to 1024 bytes; OUT len), a required text of
 * at most max bytes. NULL after ptl_page_error() on the field. The value
 * of a field is put back into the form (scope value v_<field>) except a
 * password's. */
const char *ptl_page_email(struct ptl_page *pg, const char *field)
    __attribute__((nonnull));
const char *ptl_page_password(struct ptl_page *pg, const char *field,
			      bool policy, size_t *len)
    __attribute__((nonnull));
const char *ptl_page_text(struct ptl_page *pg, const char *field, size_t max)
    __attribute__((nonnull));

/* Answers 303 to the page name (under the base path) with ?done=<done>
 * when done is not NULL (its words, done.<done>, are shown there). */
void ptl_page_redirect(struct ptl_page *pg, const char *name, const char *done)
    __attribute__((nonnull(1, 2)));

/* Answers 303 to the form's "redirect" field when ptl_form_checked()
 * takes it or it is a path under the base, else to the page name. */
void ptl_page_redirect_back(struct ptl_page *pg, const char *name)
    __attribute__((nonnull));

/* Sets the session cookies of API.md §10.10 for login's new session
 * (web/pair.c signs the tokens), and PTL_PAGE_REFRESH_COOKIE. The errors
 * of the token signers. */
enum ptl_err ptl_page_sign_in(struct ptl_page *pg,
			      const struct ptl_login *login)
    __attribute__((warn_unused_result, nonnull));

/*
 * The signed-in user's live sessions (domain/session.h) as the list
 * "devices" of the page: per item id, browser and os (base/ua.h, NULL
 * when unknown), ip, created and last_used (UTC, minutes), and current
 * (the session of this request). Errors: a database error.
 */
enum ptl_err ptl_page_devices(struct ptl_page *pg)
    __attribute__((warn_unused_result, nonnull));

/* The "Continue with ..." buttons: the list "providers" (name, label
 * key, url) of every social provider with credentials in the settings,
 * each linking to its authorize route (API.md §10.11) with a redirect
 * back to the account page. */
void ptl_page_providers(struct ptl_page *pg) __attribute__((nonnull));

/* Expires the session cookies and PTL_PAGE_REFRESH_COOKIE. */
void ptl_page_sign_out(struct ptl_page *pg) __attribute__((nonnull));

#endif
