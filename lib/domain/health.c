/* SPDX-License-Identifier: ISC */
/* health: see health.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>

#include "domain/health.h"

enum ptl_err
ptl_health_check(struct ptl_app *app)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_HEALTH);
	bool row;
	enum ptl_err e = ptl_db_step(st, &row);

	ptl_db_done(st);
	return e == PTL_OK && row ? PTL_OK : PTL_ERR_UNAVAILABLE;
}
