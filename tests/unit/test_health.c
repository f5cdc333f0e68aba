/* SPDX-License-Identifier: ISC */
/*
 * test_health: lib/domain/health.c. PTL_OK while the database answers,
 * also while another connection holds the write lock (a health check
 * never waits for a writer). The PTL_ERR_UNAVAILABLE branch is not
 * reached here: once a connection is open, "SELECT 1" touches no file,
 * and a database that cannot be opened never reaches the use case (the
 * endpoint answers 503 first, web/endpoint.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "domain/health.h"
#include "fixture.h"
#include "tap.h"

int
main(void)
{
	struct ptl_app app;
	struct ptl_db *writer = NULL;

	fix_app_open(&app);
	is_int(ptl_health_check(&app), PTL_OK, "the database answers: ok");
	if (ok(ptl_db_open(fix_path("auth.db"), 100, &writer) == PTL_OK &&
		       ptl_db_begin(writer) == PTL_OK,
	       "another connection takes the write lock")) {
		is_int(ptl_health_check(&app), PTL_OK, "  ok meanwhile");
		ptl_db_rollback(writer);
	}
	ptl_db_close(writer);
	is_int(ptl_health_check(&app), PTL_OK, "ok after");
	fix_app_close(&app);
	return done();
}
