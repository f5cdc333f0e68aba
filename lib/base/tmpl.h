/* SPDX-License-Identifier: ISC */
/*
 * tmpl: a small logic-less template engine for the server-rendered pages
 * (a subset of Mustache). A template is text with tags:
 *   {{name}}              the value of name, always HTML-escaped (& < > " '
 *                         and `), so a value is safe as element text and
 *                         inside a quoted attribute;
 *   {{#name}}...{{/name}} a section: rendered once when name is a true
 *                         value (a non-empty text, true), once per item
 *                         when it is a list (each item a scope of its own,
 *                         whose names hide the outer ones);
 *   {{^name}}...{{/name}} rendered when name is missing, false, empty or
 *                         an empty list;
 *   {{>name}}             the template name from the loader (a layout's
 *                         parts), rendered in the same scope;
 *   {{! text }}           a comment.
 * A name is letters, digits and "._-"; a missing name renders nothing.
 * There is no raw output of a text: the only unescaped output is a value
 * set with ptl_tmpl_set_html(), which takes nothing but the result of a
 * rendering (struct ptl_tmpl_html), so that no string from a request can
 * reach the page unescaped. Caps: templates of PTL_TMPL_SRC_MAX bytes,
 * PTL_TMPL_DEPTH_MAX nested sections and includes, and the output
 * buffer's own maximum. Not responsible for finding template files (the
 * caller's loader) nor for what the values mean.
 */
#ifndef PTL_TMPL_H
#define PTL_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

#define PTL_TMPL_SRC_MAX (64 * 1024)
#define PTL_TMPL_DEPTH_MAX 8
#define PTL_TMPL_NAME_MAX 64

struct ptl_tmpl_scope;

/* Rendered output that may be placed into another template unescaped. */
struct ptl_tmpl_html {
	const char *s;
	size_t len;
};

/* Where {{>name}} and the words of a page come from. find returns the
 * source of template name (NUL-terminated, borrowed for the rendering) or
 * NULL when there is none (the rendering then fails). */
struct ptl_tmpl_loader {
	const char *(*find)(void *ctx, const char *name, size_t *len);
	void *ctx;
};

/* A lookup of names that no scope sets: names starting with prefix go to
 * fn (without the prefix); its result is text, escaped like any other, or
 * NULL for a missing name. */
struct ptl_tmpl_texts {
	const char *prefix; /* e.g. "t." */
	const char *(*fn)(void *ctx, const char *key);
	void *ctx;
};

/* A new empty scope in a (arena-owned); parent (may be NULL) is searched
 * for the names this scope does not set. */
struct ptl_tmpl_scope *ptl_tmpl_scope_new(struct ptl_arena *a,
					  struct ptl_tmpl_scope *parent)
    __attribute__((nonnull(1), returns_nonnull));

/* Sets name to the text value (borrowed: a literal or arena string); NULL
 * unsets it. A later set of the same name wins. */
void ptl_tmpl_set(struct ptl_tmpl_scope *s, const char *name, const char *value)
    __attribute__((nonnull(1, 2)));

/* Sets name to a boolean (for sections). */
void ptl_tmpl_set_bool(struct ptl_tmpl_scope *s, const char *name, bool v)
    __attribute__((nonnull));

/* Sets name to rendered output: the one unescaped value (see above). */
void ptl_tmpl_set_html(struct ptl_tmpl_scope *s, const char *name,
		       const struct ptl_tmpl_html *h) __attribute__((nonnull));

/* Appends an item to the list name (made on first use) and returns the
 * item's scope, whose parent is s. */
struct ptl_tmpl_scope *ptl_tmpl_add_item(struct ptl_tmpl_scope *s,
					 const char *name)
    __attribute__((nonnull, returns_nonnull));

/* Makes texts the lookup of last resort of s and its children. */
void ptl_tmpl_set_texts(struct ptl_tmpl_scope *s,
			const struct ptl_tmpl_texts *texts)
    __attribute__((nonnull));

/*
 * Renders src[0..len) with scope s into out (appended). ld may be NULL
 * (then an include fails). Returns PTL_OK, or PTL_ERR_INTERNAL (logged,
 * with the template's name) for a template over PTL_TMPL_SRC_MAX, an
 * unclosed tag or section, a close that does not match, a bad name,
 * nesting past PTL_TMPL_DEPTH_MAX, a missing include, or an output past
 * out's maximum. What was appended before a failure stays in out.
 */
enum ptl_err ptl_tmpl_render(const char *name, const char *src, size_t len,
			     struct ptl_tmpl_scope *s,
			     const struct ptl_tmpl_loader *ld,
			     struct ptl_buf *out)
    __attribute__((warn_unused_result, nonnull(1, 2, 4, 6)));

/* Appends s[0..len) HTML-escaped, as {{name}} does. */
void ptl_tmpl_escape(struct ptl_buf *out, const char *s, size_t len)
    __attribute__((nonnull));

#endif
