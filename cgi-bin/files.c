/* SPDX-License-Identifier: ISC */
/*
 * files: profile photos, the reference's local file driver (API.md §9.11,
 * §10 item 8).
 *   POST /api/v1/files/upload  multipart/form-data, one part "file" (a
 *        file input); access token required
 *     201  {"file":{"id":"<uuid>","path":"<BACKEND_DOMAIN>/api/v1/files/
 *          <name>"}}: stored unattached until PATCH /me (or the admin
 *          users API) makes it a photo
 *     400  a malformed multipart body (RFC 7578), or any part but the one
 *          file: "Unexpected field"
 *     401  no valid access token
 *     413  {"message":"File too large","error":"Payload Too Large",
 *          "statusCode":413}: a file over 5 MB (told by Content-Length
 *          before the body is read)
 *     422  {"file":"selectFile"} no file part; {"file":
 *          "cantUploadFileType"} not a JPEG, PNG or GIF by its bytes;
 *          {"file":"tooManyFiles"} FILES_MAX_UNATTACHED uploads not yet
 *          attached
 *   GET /api/v1/files/{name}
 *     200  the bytes, with the Content-Type of the checked type,
 *          Content-Disposition: inline, nosniff and a year's caching
 *     404  {"status":404,"error":"notFound"}: a name that is malformed or
 *          unknown
 *   and the answers of every route: 400, 413, 503 (web/endpoint.h)
 * Side effects: a file in FILES_DIR and its files row. Use cases:
 * ptl_files_upload(), ptl_files_read().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "domain/files.h"
#include "web/endpoint.h"

enum { F_FILE };

static const struct ptl_field upload_fields[] = {
	[F_FILE] = {"file", PTL_FIELD_FILE, {PTL_RULE_END}, NULL},
};

static enum ptl_err
upload(struct ptl_req *req, struct ptl_resp *resp)
{
	const struct ptl_value *v = &req->vals[F_FILE];
	struct ptl_refusal why;
	struct ptl_file f;
	enum ptl_err e;

	e = ptl_files_upload(req->arena, req->app, req->user_id,
			     v->present ? v->s : NULL, v->len, req->now_ms, &f,
			     &why);
	if (e != PTL_OK)
		return ptl_resp_refusal(resp, e, &why);
	resp->status = 201;
	ptl_buf_adds(&resp->body, "{\"file\":{\"id\":");
	ptl_buf_json_strz(&resp->body, f.id);
	ptl_buf_adds(&resp->body, ",\"path\":");
	ptl_buf_json_strz(&resp->body, f.path);
	ptl_buf_adds(&resp->body, "}}");
	return PTL_OK;
}

static enum ptl_err
download(struct ptl_req *req, struct ptl_resp *resp)
{
	const char *data;
	struct ptl_file f;
	size_t len;
	enum ptl_err e;

	e = ptl_files_read(req->arena, req->app, req->param,
			   strlen(req->param), &f, &data, &len);
	if (e == PTL_OK)
		ptl_resp_file(resp, data, len, f.type);
	return e;
}

static const struct ptl_route routes[] = {
	{"POST", "/api/v1/files/upload", PTL_AUTH_ACCESS,
	 PTL_FIELDS(upload_fields), upload, PTL_BUCKET_NONE},
	{"GET", "/api/v1/files/{name}", PTL_AUTH_NONE, PTL_NO_FIELDS, download,
	 PTL_BUCKET_NONE},
};

static const struct ptl_endpoint endpoint = {"files", PTL_ROUTES(routes)};

int
main(void)
{
	return ptl_endpoint_main(&endpoint);
}
