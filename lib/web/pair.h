/* SPDX-License-Identifier: ISC */
/*
 * pair: issues a session's token pair and writes the LoginResponse and
 * RefreshResponse bodies of API.md §1 (key order as the reference emits).
 * Endpoint-glue layer, shared by login, refresh and social sign-in.
 */
#ifndef PTL_PAIR_H
#define PTL_PAIR_H

#include "domain/account.h"
#include "web/http.h"

/* {"refreshToken","token","tokenExpires","user"} for u's new session. */
enum ptl_err ptl_pair_login(struct ptl_req *req, struct ptl_resp *resp,
			    const struct ptl_user *u, int64_t session_id,
			    const char *hash) __attribute__((warn_unused_result));

/* {"token","refreshToken","tokenExpires"} after a rotation. */
enum ptl_err ptl_pair_refresh(struct ptl_req *req, struct ptl_resp *resp,
			      int64_t user_id, int64_t role_id,
			      int64_t session_id, const char *hash)
	__attribute__((warn_unused_result));

#endif
