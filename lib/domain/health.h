/* SPDX-License-Identifier: ISC */
/*
 * health: whether the service can serve (API.md §10.12): the database
 * answers a query. Not responsible for the answer's body or status.
 */
#ifndef PTL_HEALTH_H
#define PTL_HEALTH_H

#include "domain/app.h"

/* PTL_OK when the database answers, else PTL_ERR_UNAVAILABLE. */
enum ptl_err ptl_health_check(struct ptl_app *app)
	__attribute__((warn_unused_result, nonnull));

#endif
