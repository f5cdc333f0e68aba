/* SPDX-License-Identifier: ISC */
/*
 * memio: the in-memory transport of the unit and fuzz tests (the
 * struct ptl_transport of adapters/fcgi.h with no web server): the CGI
 * variables come from a NULL-terminated list of name, value pairs, the
 * body from a buffer (optionally handed out a few bytes per read, to
 * exercise read loops), and the answer goes into a capped, NUL-terminated
 * output buffer; what does not fit is counted, not kept. Not responsible
 * for building requests or parsing answers: the tests do that.
 */
#ifndef PTL_TEST_MEMIO_H
#define PTL_TEST_MEMIO_H

#include <stdbool.h>
#include <stddef.h>

#include "adapters/fcgi.h"

struct memio {
	const char *const *vars; /* name, value, ..., NULL (borrowed) */
	const char *body;        /* borrowed */
	size_t body_len, pos;    /* pos: bytes read so far */
	size_t read_max;         /* bytes per read call at most; 0: any */
	int reads;               /* read calls */
	char *out;               /* the answer, NUL-terminated */
	size_t out_cap;          /* bytes out can keep, without the NUL */
	size_t out_len;          /* bytes kept */
	size_t out_total;        /* bytes written, kept or not */
	int writes;              /* write calls */
};

/* Makes m with an output buffer of out_cap bytes (malloc'd; memio_free). */
void memio_init(struct memio *m, size_t out_cap);

/* Frees the output buffer of m. */
void memio_free(struct memio *m);

/* Starts a new request on m: vars and body (NULL: none) are borrowed;
 * the output is emptied. OUT t: a transport reading and writing m. */
void memio_start(struct memio *m, struct ptl_transport *t,
		 const char *const *vars, const char *body, size_t body_len);

/* The value of CGI variable name in m's list, or NULL. */
const char *memio_var(const struct memio *m, const char *name);

#endif
