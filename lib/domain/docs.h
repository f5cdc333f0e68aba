/* SPDX-License-Identifier: ISC */
/*
 * docs: the API documentation of API.md §13 and §10 item 29: the
 * hand-maintained OpenAPI 3.0 document docs/openapi.json (installed to
 * $(pkgdatadir)/openapi.json), served as it is by GET /docs-json, and a
 * plain HTML rendering of it made here for GET /docs (no script, no asset,
 * nothing from elsewhere). The file is read at every call, so an upgraded
 * document needs no restart. APP_DOCS=false turns both off. It does not
 * write the answer's headers (web/ does) and does not check the document
 * against OpenAPI (tests/integration/test_openapi.py does).
 */
#ifndef PTL_DOCS_H
#define PTL_DOCS_H

#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"
#include "domain/app.h"

/* Largest document read, in bytes (the answer's body is capped at 1 MiB). */
#define PTL_DOCS_MAX ((size_t)768 * 1024)
/* The name of the language header parameter in the file: replaced by the
 * one APP_HEADER_LANGUAGE names (API.md §13). */
#define PTL_DOCS_LANG_HEADER "x-custom-lang"

/*
 * The OpenAPI document of file (NULL: ptl_paths_openapi()), at most
 * PTL_DOCS_MAX bytes and a JSON object, with every JSON string
 * "x-custom-lang" (PTL_DOCS_LANG_HEADER) replaced by the header name of
 * app's APP_HEADER_LANGUAGE. OUT out, out_len: the bytes (arena-owned),
 * untouched on failure. Returns PTL_ERR_NO_ROUTE when APP_DOCS is false
 * (the 404 of an unknown route), PTL_ERR_INTERNAL (logged, naming the
 * file) when it cannot be read, is too large or is not a JSON object.
 */
enum ptl_err ptl_docs_json(struct ptl_arena *a, const struct ptl_app *app,
			   const char *file, char **out, size_t *out_len)
    __attribute__((warn_unused_result, nonnull(1, 2, 4, 5)));

/*
 * The document of ptl_docs_json() as one HTML page (UTF-8): the info, and
 * for every operation in document order its method, path, summary,
 * description, security, parameters (with $ref resolved), request body
 * media types and schema, and responses; then the schemas of components
 * with their properties. Every text of the document is HTML-escaped; the
 * page links nothing but /docs-json and its own anchors. OUT out, out_len:
 * arena-owned. Errors as ptl_docs_json(); PTL_ERR_INTERNAL (logged) too
 * when the page would pass PTL_DOCS_MAX bytes.
 */
enum ptl_err ptl_docs_html(struct ptl_arena *a, const struct ptl_app *app,
			   const char *file, char **out, size_t *out_len)
    __attribute__((warn_unused_result, nonnull(1, 2, 4, 5)));

#endif
