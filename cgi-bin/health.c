/* SPDX-License-Identifier: ISC */
/*
 * health: GET /api/v1/health (API.md §10.12). No fields.
 *   200 {"status":"ok"}  the database answers
 *   503                  it does not (or could not be opened)
 * The web server also sends every other /api path here, so this executable
 * answers the 404 "Cannot METHOD path" of API.md §0 and CORS preflights.
 * No side effects. Use case: ptl_health_check().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/health.h"
#include "web/endpoint.h"

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	enum ptl_err e = ptl_health_check(req->app);

	if (e == PTL_OK)
		ptl_buf_adds(&resp->body, "{\"status\":\"ok\"}");
	return e;
}

static const struct ptl_route routes[] = {
	{"GET", "/api/v1/health", PTL_AUTH_NONE, PTL_NO_FIELDS, handle,
	 PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"health", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
