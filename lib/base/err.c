/* SPDX-License-Identifier: ISC */
/* err: the error table. Indexed by enum ptl_err (designated initialisers). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "base/err.h"

static const struct ptl_err_info table[PTL_ERR__MAX] = {
	[PTL_OK] = {200, "ok", "success"},
	[PTL_ERR_INTERNAL] = {500, "internal_error", "internal error"},
	[PTL_ERR_UNAVAILABLE] = {503, "unavailable", "database unavailable"},
	[PTL_ERR_BAD_JSON] = {400, "invalid_json", "malformed JSON body"},
	[PTL_ERR_BAD_REQUEST] = {400, "invalid_request", "malformed request"},
	[PTL_ERR_TOO_LARGE] = {413, "too_large", "request entity too large"},
	[PTL_ERR_NO_ROUTE] = {404, "no_route", "no such route"},
	[PTL_ERR_UNAUTHORIZED] = {401, "unauthorized", "not authenticated"},
	[PTL_ERR_FORBIDDEN] = {403, "forbidden", "forbidden"},
	[PTL_ERR_VALIDATION] = {422, "validation_failed", "validation failed"},
	[PTL_ERR_NOT_FOUND] = {404, "not_found", "not found"},
	[PTL_ERR_RATE_LIMITED] = {429, "rate_limited", "too many requests"},
	[PTL_ERR_CONFLICT] = {409, "conflict", "unique key taken"},
	[PTL_ERR_BUSY] = {503, "busy", "database busy"},
	[PTL_ERR_DB_FULL] = {503, "db_full", "no space left for the database"},
	[PTL_ERR_DB_READONLY] = {503, "db_readonly", "database not writable"},
	[PTL_ERR_DB_IO] = {503, "db_io", "database I/O error"},
	[PTL_ERR_DB_REPLACED] = {503, "db_replaced",
				 "database file moved away"},
	[PTL_ERR_DB_NEWER] = {503, "db_newer",
			      "database schema newer than this program"},
};

const struct ptl_err_info *
ptl_err_info(enum ptl_err e)
{
	if ((unsigned)e >= PTL_ERR__MAX)
		e = PTL_ERR_INTERNAL;
	return &table[e];
}
