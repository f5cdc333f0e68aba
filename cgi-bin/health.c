/* SPDX-License-Identifier: ISC */
/*
 * health: GET /api/v1/health[?deep=1] (API.md §10.12). No fields.
 *   200 {"status":"ok"}     every part is well
 *   503 {"status":"error","database":"full"} and/or "mail":"failing": the
 *       parts that fail (health.h lists the words), with Retry-After; the
 *       database part also when it could not be opened
 * ?deep=1 also writes (one throw-away row) so that a load balancer takes
 * out a host that cannot take writes.
 * The web server also sends every other /api path here, so this executable
 * answers the 404 "Cannot METHOD path" of API.md §0 and CORS preflights.
 * Side effects: with deep=1, the row of health_probe. Use case:
 * ptl_health_check().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/health.h"
#include "web/endpoint.h"

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	const char *deep = ptl_req_query(req, "deep");
	struct ptl_health h;
	enum ptl_err e;

	e = ptl_health_check(req->app, deep != NULL && strcmp(deep, "1") == 0,
			     req->now_ms, &h);
	if (e == PTL_OK) {
		ptl_buf_adds(&resp->body, "{\"status\":\"ok\"}");
		return PTL_OK;
	}
	resp->status = 503;
	ptl_buf_adds(&resp->body, "{\"status\":\"error\"");
	if (h.database != NULL) {
		ptl_buf_adds(&resp->body, ",\"database\":");
		ptl_buf_json_strz(&resp->body, h.database);
	}
	if (h.mail != NULL) {
		ptl_buf_adds(&resp->body, ",\"mail\":");
		ptl_buf_json_strz(&resp->body, h.mail);
	}
	ptl_buf_addc(&resp->body, '}');
	return PTL_OK;
}

static const struct ptl_route routes[] = {
	{"GET", "/api/v1/health", PTL_AUTH_PROBE, PTL_NO_FIELDS, handle,
	 PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"health", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
