/* SPDX-License-Identifier: ISC */
/*
 * err: the one error enum of the project and its table (err.c): HTTP
 * status, a stable snake_case code for logs, and a log text. Members are
 * never renumbered or reused; new ones go before PTL_ERR__MAX.
 */
#ifndef PTL_ERR_H
#define PTL_ERR_H

enum ptl_err {
	PTL_OK = 0,
	PTL_ERR_INTERNAL,      /* 500, a bug or an unusable dependency */
	PTL_ERR_UNAVAILABLE,   /* 503, the database does not answer */
	PTL_ERR_BAD_JSON,      /* 400, body is not JSON the parser accepts */
	PTL_ERR_BAD_REQUEST,   /* 400, malformed request (encoding, framing) */
	PTL_ERR_TOO_LARGE,     /* 413, body over the limit */
	PTL_ERR_NO_ROUTE,      /* 404 "Cannot METHOD path" (API.md §0) */
	PTL_ERR_UNAUTHORIZED,  /* 401, no valid credentials */
	PTL_ERR_FORBIDDEN,     /* 403 */
	PTL_ERR_VALIDATION,    /* 422, with the field errors of the response */
	PTL_ERR_NOT_FOUND,     /* 404 {"status":404,"error":"notFound"} */
	PTL_ERR_RATE_LIMITED,  /* 429 */
	PTL_ERR_CONFLICT,      /* 409, internal: a unique key is taken */
	PTL_ERR_BUSY,          /* 503, the database stayed locked too long */
	/* Storage faults of the machine (issue 15): 503 with a Retry-After,
	 * each logged by the db adapter at most once a minute per process. */
	PTL_ERR_DB_FULL,       /* 503, no space left (SQLITE_FULL, ENOSPC) */
	PTL_ERR_DB_READONLY,   /* 503, file or folder not writable */
	PTL_ERR_DB_IO,         /* 503, an I/O error of the disk */
	PTL_ERR_DB_REPLACED,   /* 503, the file was moved away under us */
	PTL_ERR_DB_NEWER,      /* 503, the schema is newer than this program */
	PTL_ERR__MAX
};

struct ptl_err_info {
	int status;
	const char *code;
	const char *text;
};

/* The table entry of e; out-of-range values map to PTL_ERR_INTERNAL. */
const struct ptl_err_info *ptl_err_info(enum ptl_err e);

#endif
