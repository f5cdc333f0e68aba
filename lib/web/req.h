/* SPDX-License-Identifier: ISC */
/*
 * req: one request, read from its transport (adapters/fcgi.h: a FastCGI
 * connection, plain CGI, or memory in tests). Reads the CGI meta-variables
 * (RFC 3875 §4.1), the client address behind TRUSTED_PROXIES (API.md
 * §10.7), the body with its size cap checked before anything is allocated
 * (API.md §0: 413) and decoded as JSON or as a urlencoded form, the bearer
 * token of the Authorization header (RFC 6750 §2.1) or of a cookie (RFC
 * 6265 §5.4), and query parameters. Not responsible for routing, field
 * validation (field.h), authentication or the answer (resp.h).
 */
#ifndef PTL_REQ_H
#define PTL_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/fcgi.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"
#include "domain/app.h"
#include "web/multipart.h"

/* What a multipart body may have besides its file: delimiters, part
 * headers. */
#define PTL_REQ_MULTIPART_SLACK (16 * 1024)

struct ptl_json;
struct ptl_user;

/* One validated field of the route's table (field.h). */
struct ptl_value {
	bool given;    /* the member is in the body, null included (a PATCH
			* tells "set to null" from "leave alone" by it, as
			* RFC 7396 §2 does) */
	bool present;  /* in the body, and not null */
	const char *s; /* the value as text (numbers converted); NULL if null */
	size_t len;
};

struct ptl_req {
	struct ptl_arena *arena;
	struct ptl_app *app;
	char id[17]; /* request id for the logs */
	int64_t now_ms;
	const char *method; /* as sent */
	const char *path;   /* REQUEST_URI without the query, as sent */
	size_t path_len;
	const char *query; /* QUERY_STRING, "" if none */
	const char *param; /* the {id} segment of the route, if any */
	const char *ip;    /* client address (TRUSTED_PROXIES aware) */
	const char *user_agent;
	const char *origin;
	const char *content_type;
	const char *acr_headers; /* Access-Control-Request-Headers */
	const char *body;
	size_t body_len;
	struct ptl_json *json;  /* the parsed body (object), or NULL */
	struct ptl_value *vals; /* validated fields, in route field order */
	const char *bearer;     /* the token of "Authorization: Bearer" */
	const char *cookies;    /* the Cookie header */
	const char *accept;
	const char *referer;
	const char *host; /* HTTP_HOST */
	/* The language header (APP_HEADER_LANGUAGE) and Accept-Language, as
	 * sent, or NULL (domain/i18n.h chooses the language from them). */
	const char *lang;
	const char *accept_language;
	bool form;        /* an application/x-www-form-urlencoded body */
	bool browser;     /* a form post that prefers text/html: 303s */
	bool cookie_auth; /* the token came from a cookie */
	int64_t user_id;  /* from the access token */
	int64_t session_id;
	struct ptl_user *user; /* loaded by the session check, or NULL */
	bool head;             /* HEAD: answer without a body */
	/* The route takes a file (a PTL_FIELD_FILE field, field.h): a
	 * multipart/form-data body of up to cfg.upload_max bytes of file is
	 * read, and its one "file" part is file (else NULL). */
	bool takes_file;
	const struct ptl_multipart_part *file;
	/* The web server's own error (REDIRECT_STATUS 400-599) when it hands
	 * the request to its error handler (lighttpd's server.error-handler),
	 * else 0: then the answer is that error (resp.h). */
	int server_status;
};

/*
 * Sets the request fields of req from t's CGI variables: a new request
 * id, now_ms, method (GET if unset) and head, path and query, the client
 * address, the headers above (lang by the CGI variable of
 * APP_HEADER_LANGUAGE, so its name is matched without case) and
 * server_status. req->arena and req->app must be
 * set before. Strings are borrowed from t or arena-owned.
 */
void ptl_req_read(struct ptl_req *req, struct ptl_transport *t)
    __attribute__((nonnull));

/*
 * Reads exactly CONTENT_LENGTH body bytes and decodes them by media type:
 * application/json into req->json, application/x-www-form-urlencoded into
 * req->json as an object of strings (and req->form is set); any other type
 * is kept as bytes only; on a route that takes a file (req->takes_file),
 * multipart/form-data into req->file (multipart.h; exactly one part,
 * named "file", with a filename). A body over the cap is drained, not
 * stored. Returns PTL_ERR_TOO_LARGE (over cfg.body_max; for a multipart
 * body on a route that takes a file, over cfg.upload_max plus
 * PTL_REQ_MULTIPART_SLACK, or a file over cfg.upload_max: then message
 * "File too large", the reference's), PTL_ERR_BAD_REQUEST (a
 * CONTENT_LENGTH that does not parse or is not met, a malformed form or
 * multipart body, a part other than the one file: "Unexpected field") or
 * PTL_ERR_BAD_JSON. OUT message: with those, the message of the 400 (or
 * 413) body (a literal or arena-owned); untouched otherwise.
 */
enum ptl_err ptl_req_read_body(struct ptl_req *req, struct ptl_transport *t,
			       const char **message)
    __attribute__((warn_unused_result, nonnull));

/*
 * Sets req->bearer from "Authorization: Bearer <token>" (or Apache's
 * REDIRECT_HTTP_AUTHORIZATION); when the request has no Authorization
 * header at all, from the cookie named cookie, and then req->cookie_auth.
 * req->bearer is NULL when neither gives a token. Arena-owned.
 */
void ptl_req_read_bearer(struct ptl_req *req, struct ptl_transport *t,
			 const char *cookie) __attribute__((nonnull));

/* The value of cookie name (arena-owned), or NULL. */
const char *ptl_req_cookie(struct ptl_req *req, const char *name)
    __attribute__((nonnull));

/* The value of query parameter name (percent-decoded, arena-owned), or
 * NULL. */
const char *ptl_req_query(struct ptl_req *req, const char *name);

/* Whether the query string holds an encoded NUL ("%00"), which a decoded
 * C string would silently end at: a value followed by it must not pass
 * for the value itself (Apache and nginx pass it on; lighttpd refuses
 * it). */
bool ptl_req_query_has_nul(const struct ptl_req *req) __attribute__((nonnull));

#endif
