/* SPDX-License-Identifier: ISC */
/*
 * ratelimit: fixed-window counters kept in the database, so that every
 * worker process shares them (API.md §10.7). A key names what is counted
 * ("login-ip:127.0.0.1", "login-fail:user@example.com").
 */
#ifndef PTL_RATELIMIT_H
#define PTL_RATELIMIT_H

#include <stdint.h>

#include "domain/app.h"

/* Counts one event for key in its window of window_ms, which opens at the
 * first event after the previous window ended. Returns
 * PTL_ERR_RATE_LIMITED (and OUT retry_after_s, the seconds to the window's
 * end) when the count passes limit; PTL_OK otherwise. */
enum ptl_err ptl_ratelimit_hit(struct ptl_app *app, const char *key,
			       unsigned limit, int64_t window_ms, int64_t now_ms,
			       int *retry_after_s)
	__attribute__((warn_unused_result));

/* Like ptl_ratelimit_hit, but only reads: limited when the count already
 * reached limit. */
enum ptl_err ptl_ratelimit_peek(struct ptl_app *app, const char *key,
				unsigned limit, int64_t window_ms,
				int64_t now_ms, int *retry_after_s)
	__attribute__((warn_unused_result));

#endif
