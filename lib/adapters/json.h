/* SPDX-License-Identifier: ISC */
/*
 * json: the cJSON adapter. Parses request bodies with a size and depth cap,
 * decodes form bodies into the same shape, and gives typed, case-sensitive
 * read access. Output JSON is written with ptl_buf (str.h), not here: the
 * response bytes are fixed by API.md and hand-writing them is cheaper.
 * Parsed trees are owned by the arena they were parsed in.
 */
#ifndef PTL_JSON_H
#define PTL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

struct ptl_json; /* a cJSON node, opaque outside json.c */

enum ptl_json_type {
	PTL_JSON_ABSENT,
	PTL_JSON_NULL,
	PTL_JSON_BOOL,
	PTL_JSON_NUMBER,
	PTL_JSON_STRING,
	PTL_JSON_ARRAY,
	PTL_JSON_OBJECT,
};

#define PTL_JSON_MAX_DEPTH 32

/*
 * Parses body[0..len) as a JSON object or array (a top-level scalar or null
 * is refused, as the reference's strict parser does). Refuses NUL bytes,
 * invalid UTF-8, "\u0000" escapes, leading zeros (01, -01) and nesting
 * deeper than PTL_JSON_MAX_DEPTH. One leading UTF-8 BOM is skipped, as
 * the reference's body-parser does; a BOM alone parses as {} (API.md §0).
 * OUT root: arena-owned tree. OUT msg: on PTL_ERR_BAD_JSON, a parser message
 * for the 400 body (arena-owned).
 */
enum ptl_err ptl_json_parse(struct ptl_arena *a, const char *body, size_t len,
			    struct ptl_json **root, const char **msg)
	__attribute__((warn_unused_result));

/* ptl_json_parse() for a JSON text that may also be a scalar or null (a
 * query parameter that carries JSON, API.md §11.4). Same checks, same
 * errors, same ownership. */
enum ptl_err ptl_json_parse_value(struct ptl_arena *a, const char *text,
				  size_t len, struct ptl_json **root,
				  const char **msg)
	__attribute__((warn_unused_result));

/*
 * Decodes an application/x-www-form-urlencoded body into an object of string
 * values. A repeated name, a bad %-escape, invalid UTF-8 or a NUL byte is
 * PTL_ERR_BAD_REQUEST. OUT root: arena-owned.
 */
enum ptl_err ptl_json_from_form(struct ptl_arena *a, const char *body,
				size_t len, struct ptl_json **root)
	__attribute__((warn_unused_result));

/* Member key of object obj (case-sensitive), or NULL. */
const struct ptl_json *ptl_json_get(const struct ptl_json *obj, const char *key);

/* The type of v; NULL is PTL_JSON_ABSENT. A top-level array reads as an
 * object with no members (API.md §0). */
enum ptl_json_type ptl_json_type(const struct ptl_json *v);

/* The string of a PTL_JSON_STRING node (borrowed), its byte length in len. */
const char *ptl_json_str(const struct ptl_json *v, size_t *len);

/* The number of a PTL_JSON_NUMBER node. */
double ptl_json_num(const struct ptl_json *v);

/* Whether v is the literal true (not "true", not 1). */
bool ptl_json_true(const struct ptl_json *v);

/* The number of elements of an array node (0 for anything else), and its
 * element i (borrowed; NULL past the end or for a non-array). */
size_t ptl_json_len(const struct ptl_json *v);
const struct ptl_json *ptl_json_at(const struct ptl_json *v, size_t i);

/* The number as the shortest decimal text JavaScript would print for it
 * (String(n)), for number-typed names. Arena-owned. */
char *ptl_json_num_text(struct ptl_arena *a, const struct ptl_json *v);

/* The first member of object v, or the first element of array v, in
 * document order; NULL when v is empty or neither. Borrowed from v's tree.
 * With ptl_json_next(), a walk over every member (the message files of
 * domain/i18n.h). */
const struct ptl_json *ptl_json_first(const struct ptl_json *v);

/* The member or element after v in its object or array, or NULL. */
const struct ptl_json *ptl_json_next(const struct ptl_json *v);

/* The name of v as a member of an object (borrowed), or NULL for an array
 * element or a root. */
const char *ptl_json_name(const struct ptl_json *v);


#endif
