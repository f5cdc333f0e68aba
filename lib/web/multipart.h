/* SPDX-License-Identifier: ISC */
/*
 * multipart: a strict reader of multipart/form-data bodies (RFC 7578 on
 * RFC 2046 §5.1), for the upload route (API.md §9.11). The boundary comes
 * from the Content-Type parameter and must follow RFC 2046 §5.1.1 (1 to
 * 70 of its characters, not ending in a space); the body must start with
 * the first delimiter (no preamble), every part has at most
 * PTL_MULTIPART_HEAD_MAX bytes of CRLF-ended header lines and a
 * Content-Disposition of form-data with a name, and the body must end with
 * the close delimiter, optionally followed by one CRLF (no epilogue).
 * Anything else is malformed: the whole body is refused, never a part of
 * it. Parts are not decoded (RFC 7578 §4.7: no Content-Transfer-Encoding),
 * and their content is borrowed from the body. Not responsible for what
 * the parts mean (req.c takes the one "file" part) nor for the size of the
 * body (req.c caps it before reading).
 */
#ifndef PTL_MULTIPART_H
#define PTL_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"

#define PTL_MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 §5.1.1 */
#define PTL_MULTIPART_HEAD_MAX 1024   /* header bytes of one part */
#define PTL_MULTIPART_PARTS_MAX 8
#define PTL_MULTIPART_NAME_MAX 255    /* a name or a filename */

struct ptl_multipart_part {
	const char *name;     /* the form field (arena-owned) */
	const char *filename; /* the filename parameter, or NULL */
	const char *type;     /* the part's Content-Type, or NULL */
	const char *data;     /* the content, borrowed from the body */
	size_t len;
};

/* Whether content_type is multipart/form-data (RFC 9110 §8.3.1: the
 * media type case-insensitive, parameters aside). */
bool ptl_multipart_is(const char *content_type);

/*
 * Splits body[0..len) into its parts, in order, into parts[0..max) and
 * sets *nparts. content_type is the request's Content-Type. Names and
 * types are arena-owned; contents point into body, which must outlive
 * parts. Returns PTL_ERR_BAD_REQUEST for a missing or invalid boundary, a
 * malformed body (see above), a header or name past its cap, a part
 * without a form-data name, or more than max parts. OUT message: with
 * PTL_ERR_BAD_REQUEST, why (a literal).
 */
enum ptl_err ptl_multipart_parse(struct ptl_arena *a, const char *content_type,
				 const char *body, size_t len,
				 struct ptl_multipart_part *parts, size_t max,
				 size_t *nparts, const char **message)
	__attribute__((warn_unused_result, nonnull(1, 5, 7, 8)));

#endif
