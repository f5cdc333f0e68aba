/* SPDX-License-Identifier: ISC */
/*
 * floor: the FastCGI floor of script/bench. The project's own loop
 * (ptl_endpoint_main: libfcgi accept, request parsing, arena, security and
 * CORS headers, one write) with one route, GET /api/v1/_floor, whose handler
 * writes a fixed small JSON and touches nothing else (no database, no
 * crypto). Whatever an endpoint costs above this is the endpoint's own work.
 * Built only for the benchmark (noinst); never installed or routed by the
 * server's configuration.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "base/buf.h"
#include "web/endpoint.h"

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	(void)req;
	ptl_buf_adds(&resp->body, "{\"status\":\"ok\"}");
	return PTL_OK;
}

static const struct ptl_route routes[] = {
	{"GET", "/api/v1/_floor", PTL_AUTH_NONE, PTL_NO_FIELDS, handle, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"floor", routes, 1};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
