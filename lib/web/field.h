/* SPDX-License-Identifier: ISC */
/*
 * field: the field table of a route and its validation (API.md §0.1, in
 * the manner of kcgi's kvalid). A route declares each body member it reads
 * (name, flags, up to three rules); the table is checked against the
 * decoded body before the handler runs, every failure becomes a 422 error
 * message of the reference's wording, in field order, and the handler sees
 * only the values, as text, in req->vals. Not responsible for decoding the
 * body (req.h) or for what a field means to a handler.
 */
#ifndef PTL_FIELD_H
#define PTL_FIELD_H

#include <stddef.h>

#include "base/err.h"
#include "web/req.h"
#include "web/resp.h"

/* Checks of a field, run in the order listed (API.md §0.1). */
enum ptl_rule {
	PTL_RULE_END = 0,
	PTL_RULE_NOT_EMPTY, /* "<p> should not be empty" (or the custom msg) */
	PTL_RULE_EMAIL,     /* "<p> must be an email": ptl_email_deliverable() */
	PTL_RULE_PASSWORD,  /* AUTH_PASSWORD_MIN_LENGTH .. 1024 bytes */
};

#define PTL_FIELD_OPTIONAL 0x1 /* IsOptional: null or absent skips checks */
#define PTL_FIELD_EMAIL 0x2    /* lower-case + trim before the checks */
#define PTL_FIELD_NUMBER 0x4   /* a JSON number is taken as its text */
#define PTL_FIELD_ANY 0x8      /* any JSON type, unchecked: only given/present */
#define PTL_FIELD_TRIM 0x10    /* surrounding white space removed (hashes) */
#define PTL_FIELD_TOKEN 0x20   /* up to PTL_FIELD_TOKEN_MAX bytes, not 1024:
				* a provider's token (an ID token of a
				* 4096-bit key passes 1 KiB) */
#define PTL_FIELD_TOKEN_MAX 8192
#define PTL_FIELD_SCALAR 0x40  /* a JSON number or boolean is taken as its
				* text (the names of the users API, §10.27) */
/* The file of a multipart/form-data upload (req.h: req->file), its bytes
 * as the value (present when a file part came); no rule applies. A route
 * with such a field takes multipart bodies up to cfg.upload_max. */
#define PTL_FIELD_FILE 0x80
/* With PTL_FIELD_ANY: an object's "id" member (a string or a number) is
 * the value's text ({"id"} references, API.md §1.10). */
#define PTL_FIELD_OBJECT_ID 0x100

struct ptl_field {
	const char *name;
	unsigned flags;
	enum ptl_rule rules[3];
	const char *custom_msg; /* replaces the NOT_EMPTY message */
};

/*
 * Validates req->json against fields[0..nfields) and sets req->vals (one
 * value per field, in table order, plus a zeroed one; arena-owned). Each
 * failure is added to resp with ptl_resp_error(). Returns
 * PTL_ERR_VALIDATION when there was any, else PTL_OK.
 */
enum ptl_err ptl_field_validate(struct ptl_req *req, struct ptl_resp *resp,
				const struct ptl_field *fields, size_t nfields)
    __attribute__((warn_unused_result));

#endif
