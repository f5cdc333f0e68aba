/* SPDX-License-Identifier: ISC */
/*
 * resp: the answer to one request. A handler fills struct ptl_resp (a JSON
 * body, a status, 422 field errors, tokens for cookies); this module turns
 * it and the request's result into the CGI response of RFC 3875 §6.2 (a
 * Status line, then headers) with the error bodies of API.md §0, the
 * security headers of §9.2 and CORS of §9.1 on every answer, and writes it
 * to the transport once. The 303 answer of a browser form post is form.h's.
 * Not responsible for reading the request (req.h) or deciding its result
 * (endpoint.h).
 */
#ifndef PTL_RESP_H
#define PTL_RESP_H

#include <stdbool.h>
#include <stddef.h>

#include "adapters/fcgi.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "web/req.h"
#include "domain/refusal.h"

struct ptl_field_error {
	const char *field;
	const char *msg;
	bool json; /* msg is a JSON value (a nested tree), not a message */
};

#define PTL_RESP_MAX_ERRORS 16
/*
 * The caps of an answer, each part its own: a body of up to
 * PTL_RESP_BODY_MAX, and on top of it a status line and headers of up to
 * PTL_RESP_HEAD_MAX (the handler's extra lines at most
 * PTL_RESP_EXTRA_MAX of them; the rest is bounded by the settings and by
 * the 2 KiB of a redirect target). A body the code allows always fits,
 * whatever the headers; a part that passes its cap is answered 500.
 */
#define PTL_RESP_BODY_MAX (1024 * 1024)
#define PTL_RESP_HEAD_MAX (32 * 1024)
#define PTL_RESP_EXTRA_MAX (16 * 1024)

/* The Retry-After of every 503 (a storage fault, a database that cannot
 * be opened, health's 503): a guess of how long an operator or the
 * machine needs, short enough that a client retries soon. */
#define PTL_RESP_RETRY_503_S 10

struct ptl_resp {
	int status;             /* for PTL_OK: 200 (default) or 204 */
	struct ptl_buf body;    /* JSON for PTL_OK */
	struct ptl_buf headers; /* extra header lines, each ending in CRLF */
	/* 422 errors, in field order (API.md §0.1). */
	struct ptl_field_error errors[PTL_RESP_MAX_ERRORS];
	size_t nerrors;
	size_t errors_dropped; /* fields past PTL_RESP_MAX_ERRORS (logged) */
	const char *message;   /* 400 message */
	int retry_after_s;     /* 429 */
	/* Tokens for the cookies of a browser form post (API.md §10.10). */
	const char *set_access;
	const char *set_refresh;
	bool clear_cookies; /* logout: expire both cookies */
	/* For PTL_OK: the body's Content-Type instead of JSON's (a literal;
	 * ptl_resp_html()). */
	const char *content_type;
	/* A file instead of JSON (ptl_resp_file()): borrowed bytes, written
	 * after the head as they are. */
	const char *file;
	size_t file_len;
	const char *file_type;
};

/* Zeroes resp and makes its body and header buffers in a. */
void ptl_resp_init(struct ptl_resp *resp, struct ptl_arena *a)
    __attribute__((nonnull));

/* Adds (or extends, joining with ", ") the 422 error of field. field and
 * msg are borrowed for the life of resp (literals or arena strings). The
 * errors of fields past the first PTL_RESP_MAX_ERRORS are dropped (and
 * counted, and logged when the answer is written): the answer stays 422. */
void ptl_resp_error(struct ptl_resp *resp, const char *field, const char *msg);

/* Adds the 422 error of field as the JSON value json (the nested trees of
 * API.md §11.4: an object of index or property keys), written as is.
 * Both borrowed as with ptl_resp_error(); a field already in the errors
 * keeps its first value. */
void ptl_resp_error_json(struct ptl_resp *resp, const char *field,
			 const char *json);

/*
 * Writes the answer of a request that ended with e to t: for PTL_OK the
 * handler's status and body, else the error's status (base/err.h) and its
 * body; for a browser form post the 303 of form.h instead. A HEAD request
 * gets the headers only. A body or a head that passed its cap (a bug, but
 * never an abort) is logged and answered 500
 * {"statusCode":500,"message":"Internal server error"} instead, with the
 * security headers and nothing of resp. Every 503 carries Retry-After:
 * PTL_RESP_RETRY_503_S unless the handler's extra headers have one of
 * their own (a 429 its own). Logs answers of 500 and above,
 * but for the 503s of a storage fault (PTL_ERR_BUSY, PTL_ERR_DB_*: the db
 * adapter logs each cause once a minute) and those a handler chose.
 */
void ptl_resp_write(struct ptl_req *req, struct ptl_resp *resp,
		    struct ptl_transport *t, enum ptl_err e)
    __attribute__((nonnull));

/*
 * Writes the answer to an error the web server raised itself and handed
 * to its error handler (lighttpd's server.error-handler; req->server_status,
 * API.md §9.2): that status with the headers of every answer but
 * X-Request-Id (so that a client can tell it from the app's own answers)
 * and a JSON body, the app's own for 400, 413, 500 and 503, else
 * {"statusCode":<status>,"message":"<reason phrase>"}.
 */
void ptl_resp_write_server_error(struct ptl_req *req, struct ptl_resp *resp,
				 struct ptl_transport *t)
    __attribute__((nonnull));

/* Writes the 204 answer to a CORS preflight (OPTIONS, API.md §9.1). */
void ptl_resp_write_preflight(struct ptl_req *req, struct ptl_resp *resp,
			      struct ptl_transport *t) __attribute__((nonnull));

/* Makes the body of PTL_OK an HTML page (text/html; charset=utf-8) with
 * a Content-Security-Policy that lets it run and load nothing but its own
 * inline style (no script, no image, no frame, no form target elsewhere):
 * the rendering of GET /docs (API.md §10 item 29). */
void ptl_resp_html(struct ptl_resp *resp) __attribute__((nonnull));

/* Passes on the refusal of a use case (domain/refusal.h): the 422 field (and
 * second field) with its message key for PTL_ERR_VALIDATION, the
 * Retry-After of PTL_ERR_RATE_LIMITED. Returns e, for
 * "return ptl_resp_refusal(resp, e, &why)". */
enum ptl_err ptl_resp_refusal(struct ptl_resp *resp, enum ptl_err e,
			      const struct ptl_refusal *why)
	__attribute__((nonnull));

/*
 * Makes the answer of PTL_OK the bytes [data, data + len) (borrowed: they
 * must live until the answer is written) with Content-Type type (a
 * literal), Content-Disposition: inline, a Content-Security-Policy that
 * runs nothing of it (sandbox) and, since a file's name is random and its
 * bytes never change, Cache-Control: public, max-age=31536000, immutable
 * instead of no-store (API.md §9.11). Not bounded by PTL_RESP_BODY_MAX.
 */
void ptl_resp_file(struct ptl_resp *resp, const char *data, size_t len,
		   const char *type) __attribute__((nonnull));

/* The answer of a use case that has nothing to say on success: 204 No
 * Content for PTL_OK, otherwise as ptl_resp_refusal(). Returns e. */
enum ptl_err ptl_resp_no_content(struct ptl_resp *resp, enum ptl_err e,
				 const struct ptl_refusal *why)
	__attribute__((nonnull));

#endif
