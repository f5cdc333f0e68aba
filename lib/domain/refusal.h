/* SPDX-License-Identifier: ISC */
/*
 * refusal: why a use case said no, in the words of the answer but without
 * HTTP. A domain function that returns PTL_ERR_VALIDATION names the field
 * and the message key of the 422 (API.md §0.1); one that returns
 * PTL_ERR_RATE_LIMITED says how long to wait (the Retry-After of a 429).
 * The executable passes them on with ptl_resp_refusal() (web/resp.h). Not responsible for checking the fields themselves:
 * that is the field tables' work, before the use case runs.
 */
#ifndef PTL_REFUSAL_H
#define PTL_REFUSAL_H

#include "base/err.h"

struct ptl_refusal {
	const char *field;  /* PTL_ERR_VALIDATION: the refused field ... */
	const char *key;    /* ... and its message key (static or arena) */
	const char *field2; /* NULL, or a second field refused with key */
	int retry_after_s;  /* PTL_ERR_RATE_LIMITED: seconds to wait */
};

/* Empties why (every use case does it first). */
void ptl_refusal_clear(struct ptl_refusal *why) __attribute__((nonnull));

/* Sets the 422 of field with message key (both borrowed: static strings
 * or the caller's arena). Returns PTL_ERR_VALIDATION, for
 * "return ptl_refusal_field(why, ...)". */
enum ptl_err ptl_refusal_field(struct ptl_refusal *why, const char *field,
			       const char *key) __attribute__((nonnull));

#endif
