/* SPDX-License-Identifier: ISC */
/*
 * fcgi: the transport of one request, and the libfcgi adapter that supplies
 * it. A transport gives the CGI meta-variables (RFC 3875 §4.1), the body and
 * a writer; the web layer reads a request and writes its answer through it
 * and knows nothing else of the connection. When stdin is not a FastCGI
 * listening socket, libfcgi has no request to accept, and this adapter
 * serves exactly one request from the CGI environment, stdin and stdout
 * (RFC 3875), so the same binary works as plain CGI on shared hosts. Tests
 * use a transport over memory buffers instead (tests/memio.h).
 */
#ifndef PTL_FCGI_H
#define PTL_FCGI_H

#include <stdbool.h>
#include <stddef.h>

struct ptl_transport {
	/* A CGI meta-variable (e.g. "REQUEST_METHOD"), or NULL. */
	const char *(*param)(void *ctx, const char *name);
	/* Reads up to len body bytes; returns how many (0 at the end). */
	size_t (*read)(void *ctx, char *buf, size_t len);
	/* Writes the response bytes. */
	void (*write)(void *ctx, const char *buf, size_t len);
	void *ctx;
};

struct ptl_fcgi;

/* Starts libfcgi (SIGPIPE ignored: a client gone away is not an error).
 * Under FastCGI, SIGTERM ends the process gracefully: at once while it
 * waits for a request, else once the request it serves and the work after
 * its answer are done (ptl_fcgi_accept then returns false). Returns the
 * process's one connection state, or NULL (logged). */
struct ptl_fcgi *ptl_fcgi_open(void) __attribute__((warn_unused_result));

/* Finishes the previous request, if any, and waits for the next one; fills
 * t for it. Under plain CGI the first call returns the one request of the
 * environment and the second returns false. Returns false when the server
 * closed the socket or SIGTERM came (time to exit). */
bool ptl_fcgi_accept(struct ptl_fcgi *f, struct ptl_transport *t)
    __attribute__((nonnull));

/* Ends the current request: the answer is flushed to the web server and
 * the request closed (FastCGI: FCGX_Finish_r; plain CGI: stdin, stdout
 * and stderr closed, since a CGI server may wait for the end of each:
 * later log lines are lost), so the client has its answer while the
 * process goes on with the work after it. */
void ptl_fcgi_finish(struct ptl_fcgi *f) __attribute__((nonnull));

#endif
