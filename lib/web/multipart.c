/* SPDX-License-Identifier: ISC */
/*
 * multipart: see multipart.h. The body is walked once, left to right:
 * delimiter, headers, content up to the next delimiter, and so on; every
 * length is checked against the remaining bytes before it is read.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "web/multipart.h"

#define BAD(msg)                                                               \
	do {                                                                   \
		*message = (msg);                                              \
		return PTL_ERR_BAD_REQUEST;                                    \
	} while (0)

/* The first occurrence of needle in hay, or NULL. */
static const char *
find(const char *hay, size_t len, const char *needle, size_t nlen)
{
	size_t i;

	if (nlen == 0 || nlen > len)
		return NULL;
	for (i = 0; i + nlen <= len; i++) {
		const char *p = memchr(hay + i, needle[0], len - nlen - i + 1);

		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
		i = (size_t)(p - hay);
	}
	return NULL;
}

bool
ptl_multipart_is(const char *ct)
{
	static const char type[] = "multipart/form-data";
	size_t i = 0;

	if (ct == NULL)
		return false;
	while (ct[i] != '\0' && ct[i] != ';' && ct[i] != ' ' && ct[i] != '\t')
		i++;
	return i == sizeof(type) - 1 && strncasecmp(ct, type, i) == 0;
}

/* bchars of RFC 2046 §5.1.1 (space included; not as the last one). */
static bool
bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c) != NULL;
}

/* The value of a parameter at p (a token or a quoted-string without
 * escapes, RFC 9110 §5.6.6), up to max bytes. OUT end: past it. NULL when
 * malformed or too long. Arena-owned. */
static char *
param_value(struct ptl_arena *a, const char *p, const char *lim, size_t max,
	    const char **end)
{
	const char *s = p;

	if (p < lim && *p == '"') {
		s = ++p;
		while (p < lim && *p != '"' && *p != '\\' && *p != '\r' &&
		       *p != '\n' && *p != '\0')
			p++;
		if (p >= lim || *p != '"' || (size_t)(p - s) > max)
			return NULL;
		*end = p + 1;
		return ptl_mem_strndup(a, s, (size_t)(p - s));
	}
	while (p < lim && *p != ';' && *p != ' ' && *p != '\t' && *p != '"' &&
	       *p != '\\' && (unsigned char)*p > ' ' && *p != 0x7f)
		p++;
	if (p == s || (size_t)(p - s) > max)
		return NULL;
	*end = p;
	return ptl_mem_strndup(a, s, (size_t)(p - s));
}

/* A token of RFC 9110 §5.6.2. */
static bool
token(const char *p, const char *lim)
{
	for (; p < lim; p++) {
		unsigned char c = (unsigned char)*p;

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c)))
			return false;
	}
	return true;
}

/* Walks the "; name=value" parameters of a header value, calling back
 * for each; false when one is malformed or the callback refuses it. */
typedef bool (*param_fn)(void *ctx, const char *name, size_t nlen,
			 const char *value);

static bool
each_param(struct ptl_arena *a, const char *p, const char *lim, size_t max,
	   param_fn fn, void *ctx)
{
	while (p < lim) {
		const char *name, *eq;
		char *value;

		while (p < lim && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= lim)
			return true;
		if (*p != ';')
			return false;
		p++;
		while (p < lim && (*p == ' ' || *p == '\t'))
			p++;
		name = p;
		eq = memchr(p, '=', (size_t)(lim - p));
		if (eq == NULL || eq == name || !token(name, eq))
			return false;
		value = param_value(a, eq + 1, lim, max, &p);
		if (value == NULL || !fn(ctx, name, (size_t)(eq - name), value))
			return false;
	}
	return true;
}

static bool
boundary_param(void *ctx, const char *name, size_t nlen, const char *value)
{
	const char **b = ctx;

	if (!ptl_str_ieq(name, nlen, "boundary"))
		return true;
	if (*b != NULL)
		return false; /* twice */
	*b = value;
	return true;
}

/* The boundary of a multipart/form-data Content-Type, checked. */
static const char *
boundary_of(struct ptl_arena *a, const char *ct)
{
	const char *b = NULL, *p = ct;
	size_t i, len;

	while (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t')
		p++;
	if (!each_param(a, p, ct + strlen(ct), PTL_MULTIPART_BOUNDARY_MAX,
			boundary_param, &b) ||
	    b == NULL)
		return NULL;
	len = strlen(b);
	if (len == 0 || b[len - 1] == ' ')
		return NULL;
	for (i = 0; i < len; i++) {
		if (!bchar((unsigned char)b[i]))
			return NULL;
	}
	return b;
}

struct disposition {
	struct ptl_multipart_part *part;
	bool named;
};

static bool
disposition_param(void *ctx, const char *name, size_t nlen, const char *value)
{
	struct disposition *d = ctx;

	if (ptl_str_ieq(name, nlen, "name")) {
		if (d->named)
			return false;
		d->named = true;
		d->part->name = value;
	} else if (ptl_str_ieq(name, nlen, "filename")) {
		if (d->part->filename != NULL)
			return false;
		d->part->filename = value;
	} else if (ptl_str_ieq(name, nlen, "filename*")) {
		return false; /* RFC 7578 §4.2: not to be used */
	}
	return true;
}

/* Content-Disposition: form-data; name="..."[; filename="..."]. */
static bool
disposition(struct ptl_arena *a, const char *v, const char *lim,
	    struct ptl_multipart_part *part)
{
	static const char fd[] = "form-data";
	struct disposition d = {part, false};
	size_t n = sizeof(fd) - 1;

	if ((size_t)(lim - v) < n || strncasecmp(v, fd, n) != 0)
		return false;
	if (!each_param(a, v + n, lim, PTL_MULTIPART_NAME_MAX,
			disposition_param, &d))
		return false;
	return d.named && part->name[0] != '\0';
}

/* One header line [p, lim) of a part. Unknown headers are ignored. */
static bool
header(struct ptl_arena *a, const char *p, const char *lim,
       struct ptl_multipart_part *part, bool *seen_cd)
{
	const char *colon = memchr(p, ':', (size_t)(lim - p));
	const char *v;
	size_t i;

	if (colon == NULL || colon == p)
		return false;
	for (i = 0; p + i < lim; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\0' || c == 0x7f || (c < ' ' && c != '\t'))
			return false;
	}
	v = colon + 1;
	while (v < lim && (*v == ' ' || *v == '\t'))
		v++;
	while (lim > v && (lim[-1] == ' ' || lim[-1] == '\t'))
		lim--;
	if (ptl_str_ieq(p, (size_t)(colon - p), "content-disposition")) {
		if (*seen_cd)
			return false;
		*seen_cd = true;
		return disposition(a, v, lim, part);
	}
	if (ptl_str_ieq(p, (size_t)(colon - p), "content-type")) {
		if (part->type != NULL || v == lim)
			return false;
		part->type = ptl_mem_strndup(a, v, (size_t)(lim - v));
	}
	return true;
}

/* The headers of a part, from p to the blank line. OUT body: its
 * content's start. */
static enum ptl_err
headers(struct ptl_arena *a, const char *p, const char *end,
	struct ptl_multipart_part *part, const char **body,
	const char **message)
{
	size_t room = (size_t)(end - p);
	const char *blank;
	bool seen_cd = false;

	if (room > PTL_MULTIPART_HEAD_MAX + 4)
		room = PTL_MULTIPART_HEAD_MAX + 4;
	blank = find(p, room, "\r\n\r\n", 4);
	if (blank == NULL)
		BAD("Multipart: part headers too long or unterminated");
	*body = blank + 4;
	blank += 2; /* the last line's CRLF is its own */
	while (p < blank) {
		const char *eol = find(p, (size_t)(blank - p), "\r\n", 2);

		if (eol == NULL || !header(a, p, eol, part, &seen_cd))
			BAD("Multipart: malformed part header");
		p = eol + 2;
	}
	if (!seen_cd)
		BAD("Multipart: part without Content-Disposition");
	return PTL_OK;
}

enum ptl_err
ptl_multipart_parse(struct ptl_arena *a, const char *content_type,
		    const char *body, size_t len,
		    struct ptl_multipart_part *parts, size_t max,
		    size_t *nparts, const char **message)
{
	const char *b = content_type ? boundary_of(a, content_type) : NULL;
	const char *p = body, *end = body + len;
	char *delim;
	size_t dlen;

	*nparts = 0;
	if (b == NULL)
		BAD("Multipart: missing or invalid boundary");
	if (body == NULL)
		BAD("Multipart: empty body");
	/* "\r\n--" boundary; the first delimiter has no CRLF before it. */
	dlen = strlen(b) + 4;
	delim = ptl_mem_printf(a, "\r\n--%s", b);
	if (len < dlen - 2 || memcmp(p, delim + 2, dlen - 2) != 0)
		BAD("Multipart: the body does not start with the boundary");
	p += dlen - 2;
	for (;;) {
		struct ptl_multipart_part *part;
		const char *content, *next;
		enum ptl_err e;

		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			p += 2;
			if (p != end &&
			    (end - p != 2 || p[0] != '\r' || p[1] != '\n'))
				BAD("Multipart: bytes after the close "
				    "delimiter");
			if (*nparts == 0)
				BAD("Multipart: no part");
			return PTL_OK;
		}
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			BAD("Multipart: malformed delimiter line");
		p += 2;
		if (*nparts == max)
			BAD("Multipart: too many parts");
		part = &parts[*nparts];
		memset(part, 0, sizeof(*part));
		e = headers(a, p, end, part, &content, message);
		if (e != PTL_OK)
			return e;
		next = find(content, (size_t)(end - content), delim, dlen);
		if (next == NULL)
			BAD("Multipart: part without a closing boundary");
		part->data = content;
		part->len = (size_t)(next - content);
		(*nparts)++;
		p = next + dlen;
	}
}
