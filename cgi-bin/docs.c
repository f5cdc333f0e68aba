/* SPDX-License-Identifier: ISC */
/*
 * docs: the API documentation (API.md §13, §10 item 29). No fields, no
 * token; outside /api, as in the reference.
 *   GET /docs-json  200 the OpenAPI 3.0 document docs/openapi.json
 *                   (application/json), the language header parameter
 *                   named as APP_HEADER_LANGUAGE says
 *   GET /docs       200 the same document as one plain HTML page made
 *                   here (text/html; no script, nothing from elsewhere)
 *   both 404  {"message":"Cannot GET <path>",...} with APP_DOCS=false
 *        500  the installed document cannot be read (logged)
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * No side effects. Use cases: ptl_docs_json(), ptl_docs_html().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/docs.h"
#include "web/endpoint.h"

static enum ptl_err
json(struct ptl_req *req, struct ptl_resp *resp)
{
	char *doc = NULL;
	size_t len = 0;
	enum ptl_err e = ptl_docs_json(req->arena, req->app, NULL, &doc, &len);

	if (e == PTL_OK)
		ptl_buf_add(&resp->body, doc, len);
	return e;
}

static enum ptl_err
page(struct ptl_req *req, struct ptl_resp *resp)
{
	char *html = NULL;
	size_t len = 0;
	enum ptl_err e = ptl_docs_html(req->arena, req->app, NULL, &html, &len);

	if (e == PTL_OK) {
		ptl_buf_add(&resp->body, html, len);
		ptl_resp_html(resp);
	}
	return e;
}

static const struct ptl_route routes[] = {
	{"GET", "/docs-json", PTL_AUTH_NONE, PTL_NO_FIELDS, json,
	 PTL_BUCKET_NONE},
	{"GET", "/docs", PTL_AUTH_NONE, PTL_NO_FIELDS, page, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"docs", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
