/* SPDX-License-Identifier: ISC */
/*
 * ratelimit: see ratelimit.h. One UPSERT ... RETURNING per event. A window
 * opens at the first event after the previous window ended (not on the
 * clock's minute): a limit of one mail a minute then really keeps a minute
 * between two mails.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "base/log.h"
#include "domain/ratelimit.h"

static int
retry_after(int64_t window_start, int64_t window_ms, int64_t now_ms)
{
	int64_t left = window_start + window_ms - now_ms;

	return (int)((left + 999) / 1000);
}

/* Runs q (RATE_HIT or RATE_PEEK) for key: OUT count and window start. */
static enum ptl_err
window(struct ptl_app *app, enum ptl_q q, const char *key, int64_t window_ms,
       int64_t now_ms, int64_t *count, int64_t *start)
{
	struct ptl_stmt *st = ptl_db_q(app->db, q);
	bool row;
	enum ptl_err e;

	*count = 0;
	*start = now_ms;
	ptl_db_bind_textz(st, 1, key);
	ptl_db_bind_int(st, 2, now_ms);
	ptl_db_bind_int(st, 3, window_ms);
	e = ptl_db_step(st, &row);
	if (e == PTL_OK && row) {
		*count = ptl_db_int(st, 0);
		*start = ptl_db_int(st, 1);
	}
	ptl_db_done(st);
	return e;
}

enum ptl_err
ptl_ratelimit_hit(struct ptl_app *app, const char *key, unsigned limit,
		  int64_t window_ms, int64_t now_ms, int *retry_after_s)
{
	int64_t count, start;
	enum ptl_err e = window(app, PTL_Q_RATE_HIT, key, window_ms, now_ms,
				&count, &start);

	if (e != PTL_OK)
		return e;
	if (count > (int64_t)limit) {
		*retry_after_s = retry_after(start, window_ms, now_ms);
		PTL_LOG_SEC("rate limit reached for %s", key);
		return PTL_ERR_RATE_LIMITED;
	}
	return PTL_OK;
}

enum ptl_err
ptl_ratelimit_peek(struct ptl_app *app, const char *key, unsigned limit,
		   int64_t window_ms, int64_t now_ms, int *retry_after_s)
{
	int64_t count, start;
	enum ptl_err e = window(app, PTL_Q_RATE_PEEK, key, window_ms, now_ms,
				&count, &start);

	if (e != PTL_OK)
		return e;
	if (count >= (int64_t)limit) {
		*retry_after_s = retry_after(start, window_ms, now_ms);
		return PTL_ERR_RATE_LIMITED;
	}
	return PTL_OK;
}
