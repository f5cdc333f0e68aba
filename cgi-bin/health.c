/* SPDX-License-Identifier: ISC */
/*
 * health: GET /api/v1/health (API.md §10.12).
 *   200 {"status":"ok"}  the database answers
 *   503                  it does not
 * The web server also sends every other /api path here, so this executable
 * answers the 404 "Cannot METHOD path" of API.md §0 and CORS preflights.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "web/endpoint.h"

static enum ptl_err
handle(struct ptl_req *req, struct ptl_resp *resp)
{
	struct ptl_stmt *st = ptl_db_q(req->app->db, PTL_Q_HEALTH);
	bool row;
	enum ptl_err e = ptl_db_step(st, &row);

	ptl_db_done(st);
	if (e != PTL_OK || !row)
		return PTL_ERR_UNAVAILABLE;
	ptl_buf_adds(&resp->body, "{\"status\":\"ok\"}");
	return PTL_OK;
}

static const struct ptl_route routes[] = {
	{"GET", "/api/v1/health", PTL_AUTH_NONE, PTL_NO_FIELDS, handle, PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"health", routes, 1};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
