/* SPDX-License-Identifier: ISC */
/*
 * ua: a User-Agent header (RFC 9110 §10.1.5) in words, for the device
 * list of the account pages: the browser and the operating system, by
 * the tokens that browsers have sent for years (the order matters: Edge
 * and Opera also say "Chrome", Chrome also says "Safari", Android also
 * says "Linux", iOS also says "Mac OS X"). Not a full parser and never
 * used for a decision: only for display.
 */
#ifndef PTL_UA_H
#define PTL_UA_H

#include <stddef.h>

struct ptl_ua {
	const char *browser; /* "Firefox", "Chrome", ...; NULL: unknown */
	const char *os;      /* "Linux", "Windows", ...; NULL: unknown */
};

/* The browser and system named by ua (NULL is an unknown agent). Only
 * the first PTL_UA_SCAN_MAX bytes are looked at. The names are
 * literals. */
#define PTL_UA_SCAN_MAX 512
struct ptl_ua ptl_ua_parse(const char *ua);

#endif
