/* SPDX-License-Identifier: ISC */
/*
 * form: see form.h. Redirect targets are never taken on trust: a relative
 * path is resolved against FRONTEND_DOMAIN, an absolute URL must have the
 * origin of FRONTEND_DOMAIN or be listed in AUTH_ALLOWED_REDIRECTS, and
 * anything else goes to FRONTEND_DOMAIN/?error=invalidRedirect (no open
 * redirects). Targets are checked for control characters and '\\' first,
 * and an authority must be a plain host and port: no userinfo.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "adapters/json.h"
#include "base/buf.h"
#include "base/cfg.h"
#include "base/log.h"
#include "web/form.h"

void
ptl_form_detect(struct ptl_req *req)
{
	const char *html, *json;

	if (!req->form || req->accept == NULL)
		return;
	html = strstr(req->accept, "text/html");
	json = strstr(req->accept, "application/json");
	req->browser = html != NULL && (json == NULL || html < json);
}

/* A character of the authorities we accept: a host name, an IPv6 literal,
 * a port (RFC 3986 §3.2.2-3.2.3). Not '@' (userinfo, §3.2.1), nor '\\',
 * nor '%' or another sub-delim: parsers disagree on where such an
 * authority ends, and on which host it names (curl and Python read
 * "http://site\\@evil/" as the host evil, browsers as site). */
static bool
authority_char(char c)
{
	return isalnum((unsigned char)c) ||
	       (c != '\0' && strchr("-._~:[]", c) != NULL);
}

/* The length of the origin (scheme://host[:port]) at the start of url, or
 * 0 when url is not an absolute http(s) URL or its authority (up to the
 * first '/', '?' or '#', RFC 3986 §3.2) holds anything but host and port
 * characters. */
static size_t
origin_len(const char *url)
{
	const char *p, *end;

	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return 0;
	end = p + strcspn(p, "/?#");
	if (end == p)
		return 0;
	for (; p < end; p++) {
		if (!authority_char(*p))
			return 0;
	}
	return (size_t)(end - url);
}

static bool
same_origin(const char *a, size_t alen, const char *b)
{
	size_t blen;

	if (b == NULL)
		return false;
	blen = origin_len(b);
	return blen != 0 && blen == alen && strncasecmp(a, b, alen) == 0;
}

static bool
origin_allowed(struct ptl_req *req, const char *origin, size_t len)
{
	const struct ptl_cfg *cfg = &req->app->cfg;

	if (same_origin(origin, len, cfg->frontend_domain))
		return true;
	return strcmp(cfg->cors_origins, "*") != 0 &&
	       ptl_cfg_list_has(cfg->cors_origins, origin, len);
}

enum ptl_err
ptl_form_csrf(struct ptl_req *req)
{
	const char *o = req->origin;
	size_t len = 0;

	if (o != NULL && strcmp(o, "null") != 0)
		len = origin_len(o) == strlen(o) ? strlen(o) : 0;
	else if (o == NULL && req->referer != NULL) {
		o = req->referer;
		len = origin_len(o);
	}
	if (len > 0 && origin_allowed(req, o, len))
		return PTL_OK;
	PTL_LOG_SEC("cross-site request refused (origin %.100s)",
		    o != NULL ? o : "none");
	return PTL_ERR_FORBIDDEN;
}

enum ptl_err
ptl_form_csrf_self(struct ptl_req *req)
{
	const char *self = req->app->cfg.backend_domain;
	const char *o = req->origin;

	if (o == NULL && req->referer != NULL)
		o = req->referer;
	if (self != NULL && o != NULL && strcmp(o, "null") != 0) {
		size_t len = origin_len(o);

		if (len > 0 && (req->origin == NULL || len == strlen(o)) &&
		    same_origin(o, len, self))
			return PTL_OK;
	}
	return ptl_form_csrf(req);
}

/* No control byte, space or DEL (header injection), and no '\\' anywhere:
 * it is not a URL character (RFC 3986 §2, it must be %5C), and browsers
 * read it as '/' where curl and Python keep it. */
static bool
printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '\\')
			return false;
	}
	return true;
}

static bool
prefix_listed(const char *list, const char *url)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *b = p;

		while (len > 0 && isspace((unsigned char)*b)) {
			b++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)b[len - 1]))
			len--;
		/* An entry matches at a boundary: "https://a.example" must not
		 * admit "https://a.example.evil". */
		if (len > 0 && strncmp(url, b, len) == 0 &&
		    (b[len - 1] == '/' || strchr("/?#", url[len]) != NULL))
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* target made safe, or NULL when it is not acceptable. Arena-owned. */
static const char *
checked(struct ptl_req *req, const char *target)
{
	const struct ptl_cfg *cfg = &req->app->cfg;
	size_t olen;

	if (target == NULL || *target == '\0' || strlen(target) > 2048 ||
	    !printable(target))
		return NULL;
	if (target[0] == '/' && target[1] != '/')
		return cfg->frontend_domain != NULL
			       ? ptl_mem_printf(req->arena, "%s%s",
						cfg->frontend_domain, target)
			       : NULL;
	olen = origin_len(target);
	if (olen == 0)
		return NULL;
	if (same_origin(target, olen, cfg->frontend_domain) ||
	    prefix_listed(cfg->allowed_redirects, target))
		return target;
	return NULL;
}

static const char *
field(struct ptl_req *req, const char *name)
{
	size_t len;
	const struct ptl_json *v = ptl_json_get(req->json, name);

	return ptl_json_type(v) == PTL_JSON_STRING ? ptl_json_str(v, &len) : NULL;
}

static const char *
message_key(const struct ptl_resp *resp, enum ptl_err e)
{
	switch (e) {
	case PTL_ERR_VALIDATION:
		return resp->nerrors > 0 ? resp->errors[0].msg : "invalid";
	case PTL_ERR_UNAUTHORIZED: return "unauthorized";
	case PTL_ERR_FORBIDDEN: return "forbidden";
	case PTL_ERR_NOT_FOUND: return "notFound";
	case PTL_ERR_RATE_LIMITED: return "tooManyRequests";
	case PTL_ERR_TOO_LARGE: return "tooLarge";
	case PTL_ERR_BAD_JSON:
	case PTL_ERR_BAD_REQUEST: return "badRequest";
	default: return "serverError";
	}
}

/* Whether a Host value is exactly name, alone or with a port (RFC 9110
 * §7.2: host [ ":" port ]): "localhost" and "localhost:8080", never
 * "localhost.evil.com" or "localhost:1@evil". Names compare without case. */
static bool
host_is(const char *host, const char *name)
{
	size_t n = strlen(name), i;

	if (strncasecmp(host, name, n) != 0)
		return false;
	if (host[n] == '\0')
		return true;
	if (host[n] != ':' || host[n + 1] == '\0')
		return false;
	for (i = n + 1; host[i] != '\0'; i++) {
		if (!isdigit((unsigned char)host[i]) || i - n > 5)
			return false;
	}
	return true;
}

static bool
secure_cookies(struct ptl_req *req)
{
	const char *host = req->host;

	/* Only a development server on the loopback may drop Secure. */
	if (req->app->cfg.production || host == NULL)
		return true;
	return !(host_is(host, "localhost") || host_is(host, "127.0.0.1") ||
		 host_is(host, "[::1]"));
}

static void
cookies(struct ptl_req *req, struct ptl_resp *resp, struct ptl_buf *out)
{
	const struct ptl_cfg *cfg = &req->app->cfg;
	const char *sec = secure_cookies(req) ? "; Secure" : "";

	if (resp->set_access != NULL)
		ptl_buf_addf(out, "Set-Cookie: " PTL_COOKIE_ACCESS "=%s; Max-Age="
			     "%lld; Path=/; HttpOnly%s; SameSite=Lax\r\n",
			     resp->set_access,
			     (long long)(cfg->access_ttl_ms / 1000), sec);
	if (resp->set_refresh != NULL)
		ptl_buf_addf(out, "Set-Cookie: " PTL_COOKIE_REFRESH "=%s; Max-Age="
			     "%lld; Path=/api/v1/auth; HttpOnly%s; "
			     "SameSite=Strict\r\n",
			     resp->set_refresh,
			     (long long)(cfg->refresh_ttl_ms / 1000), sec);
	if (resp->clear_cookies) {
		ptl_buf_addf(out, "Set-Cookie: " PTL_COOKIE_ACCESS "=; Max-Age=0; "
			     "Path=/; HttpOnly%s; SameSite=Lax\r\n", sec);
		ptl_buf_addf(out, "Set-Cookie: " PTL_COOKIE_REFRESH "=; Max-Age=0; "
			     "Path=/api/v1/auth; HttpOnly%s; SameSite=Strict\r\n",
			     sec);
	}
}

void
ptl_form_device_cookie(struct ptl_req *req, struct ptl_resp *resp,
		       const char *token)
{
	if (token == NULL)
		return;
	ptl_buf_addf(&resp->headers,
		     "Set-Cookie: " PTL_COOKIE_DEVICE "=%s; Max-Age=%lld; "
		     "Path=/api/v1/auth; HttpOnly%s; SameSite=Strict\r\n",
		     token, (long long)(req->app->cfg.device_ttl_ms / 1000),
		     secure_cookies(req) ? "; Secure" : "");
}

void
ptl_form_respond(struct ptl_req *req, struct ptl_resp *resp, enum ptl_err e,
		 struct ptl_buf *out)
{
	const char *front = req->app->cfg.frontend_domain;
	const char *home = front != NULL ? ptl_mem_printf(req->arena, "%s/", front)
					 : "/";
	const char *target, *key;
	size_t len;

	if (e == PTL_OK) {
		target = field(req, "redirect");
		key = NULL;
		if (target == NULL) {
			target = home;
		} else {
			target = checked(req, target);
			if (target == NULL)
				key = "invalidRedirect";
		}
	} else {
		target = checked(req, field(req, "error_redirect"));
		if (target == NULL)
			target = checked(req, req->referer);
		key = message_key(resp, e);
	}
	if (target == NULL)
		target = home;
	/* The fragment is dropped; a '?' in it does not start a query. */
	len = strcspn(target, "#");
	ptl_buf_adds(out, "Status: 303 See Other\r\nLocation: ");
	ptl_buf_add(out, target, len);
	if (key != NULL) {
		ptl_buf_adds(out, memchr(target, '?', len) != NULL ? "&error="
								   : "?error=");
		ptl_buf_urlencode(out, key, strlen(key));
	}
	ptl_buf_adds(out, "\r\n");
	if (e == PTL_OK)
		cookies(req, resp, out);
}

const char *
ptl_form_target(struct ptl_req *req, const char *target)
{
	return checked(req, target);
}

void
ptl_form_token_cookies(struct ptl_req *req, struct ptl_resp *resp)
{
	cookies(req, resp, &resp->headers);
}

bool
ptl_form_secure(struct ptl_req *req)
{
	return secure_cookies(req);
}
