/* SPDX-License-Identifier: ISC */
/*
 * pair: issues a session's token pair and writes the LoginResponse and
 * RefreshResponse bodies of API.md §1 (key order as the reference emits),
 * and hands the tokens to resp for the cookies of a browser form post.
 * Shared by login, refresh and social sign-in. Not responsible for the
 * session itself (domain/session.h) or the cookies' attributes (form.h).
 */
#ifndef PTL_PAIR_H
#define PTL_PAIR_H

#include <stdint.h>

#include "base/err.h"
#include "domain/account.h"
#include "web/req.h"
#include "web/resp.h"

/* {"refreshToken","token","tokenExpires","user"} for u's new session
 * (API.md §1.1), into resp->body; the errors of the token signers. */
enum ptl_err ptl_pair_login(struct ptl_req *req, struct ptl_resp *resp,
			    const struct ptl_user *u, int64_t session_id,
			    const char *hash)
    __attribute__((warn_unused_result));

/* {"token","refreshToken","tokenExpires"} after a rotation (API.md §1.8),
 * into resp->body; the errors of the token signers. */
enum ptl_err ptl_pair_refresh(struct ptl_req *req, struct ptl_resp *resp,
			      int64_t user_id, int64_t role_id,
			      int64_t session_id, const char *hash)
    __attribute__((warn_unused_result));

#endif
