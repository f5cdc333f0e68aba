/* SPDX-License-Identifier: ISC */
/*
 * http: see http.h. The handle is reset before each request
 * (curl_easy_reset keeps its connection cache and TLS sessions), so no
 * option of one call leaks into the next.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <dlfcn.h>

/* The functions are reached through dlopen(): no type-checking macros. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "adapters/http.h"
#include "base/buf.h"
#include "base/cfg.h"
#include "base/log.h"

#ifndef PTL_CURL_SONAME
#define PTL_CURL_SONAME "libcurl.so.4"
#endif

/* libcurl through dlopen(), for the reason smtp.c gives: most workers
 * never call a provider. */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

static CURL *handle;

static bool
load_curl(void)
{
	void *h = dlopen(PTL_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		PTL_LOG_ERR("http: cannot load %s: %s", PTL_CURL_SONAME,
			    dlerror());
		return false;
	}
	/* POSIX.1-2008, XSH dlsym RATIONALE: the conversion is dlsym's use. */
#define SYM(field, name) *(void **)(&cu.field) = dlsym(h, name)
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_reset, "curl_easy_reset");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	if (cu.global_init == NULL || cu.easy_init == NULL ||
	    cu.easy_reset == NULL || cu.easy_setopt == NULL ||
	    cu.easy_perform == NULL || cu.easy_getinfo == NULL ||
	    cu.easy_cleanup == NULL || cu.easy_strerror == NULL ||
	    cu.slist_append == NULL || cu.slist_free_all == NULL) {
		PTL_LOG_ERR("http: %s lacks a needed function",
			    PTL_CURL_SONAME);
		return false;
	}
	return true;
}

/* The process's handle: libcurl loaded and initialised on first use (the
 * process is single-threaded; curl_global_init counts its callers, so
 * smtp.c's own call is harmless). */
static CURL *
the_handle(void)
{
	static bool initialised;
	CURLcode rc;

	if (handle != NULL) {
		cu.easy_reset(handle);
		return handle;
	}
	if (!initialised) {
		if (!load_curl())
			return NULL;
		rc = cu.global_init(CURL_GLOBAL_DEFAULT);
		if (rc != CURLE_OK) {
			PTL_LOG_ERR("http: curl_global_init: %s",
				    cu.easy_strerror(rc));
			return NULL;
		}
		initialised = true;
	}
	handle = cu.easy_init();
	if (handle == NULL)
		PTL_LOG_ERR("http: curl_easy_init failed");
	return handle;
}

void
ptl_http_close(void)
{
	if (handle != NULL)
		cu.easy_cleanup(handle);
	handle = NULL;
}

/* CURLOPT_WRITEFUNCTION: the body into a capped buffer; returning less
 * than was given makes curl stop with CURLE_WRITE_ERROR. */
static size_t
collect(char *p, size_t size, size_t nitems, void *userp)
{
	struct ptl_buf *b = userp;
	size_t n = size * nitems;

	ptl_buf_add(b, p, n);
	return b->overflow ? 0 : n;
}

static bool
set_options(CURL *c, const struct ptl_http_req *rq, struct curl_slist *hdrs,
	    struct ptl_buf *body, char *errbuf)
{
	bool good =
	    cu.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_URL, rq->url) == CURLE_OK &&
#if LIBCURL_VERSION_NUM >= 0x075500
	    cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ==
		CURLE_OK &&
#else
	    cu.easy_setopt(c, CURLOPT_PROTOCOLS,
			   (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) ==
		CURLE_OK &&
#endif
	    cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			   rq->connect_timeout_ms) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			   (curl_off_t)PTL_HTTP_BODY_MAX) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_WRITEDATA, body) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK &&
	    cu.easy_setopt(c, CURLOPT_USERAGENT, "authportal") == CURLE_OK;

	if (good && rq->form != NULL)
		good = cu.easy_setopt(c, CURLOPT_POSTFIELDS, rq->form) ==
			   CURLE_OK &&
		       cu.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)strlen(rq->form)) == CURLE_OK;
	return good;
}

/* One log line for a failed call: the URL up to its query (a query may
 * carry a token), curl's text with controls masked. */
static void
log_failure(const char *url, CURLcode rc, char *errbuf, bool too_big)
{
	size_t i;

	if (too_big)
		(void)snprintf(errbuf, CURL_ERROR_SIZE,
			       "the answer passed %d bytes", PTL_HTTP_BODY_MAX);
	else if (errbuf[0] == '\0')
		(void)snprintf(errbuf, CURL_ERROR_SIZE, "%s",
			       cu.easy_strerror(rc));
	for (i = 0; errbuf[i] != '\0'; i++) {
		if ((unsigned char)errbuf[i] < 0x20 || errbuf[i] == 0x7f)
			errbuf[i] = '?';
	}
	PTL_LOG_ERR("http: %.*s: %s", (int)strcspn(url, "?#"), url, errbuf);
}

enum ptl_err
ptl_http_send(struct ptl_arena *a, const struct ptl_http_req *rq,
	      struct ptl_http_resp *out)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *more;
	struct ptl_buf body;
	CURL *c;
	CURLcode rc;
	size_t i;
	enum ptl_err e = PTL_ERR_UNAVAILABLE;

	memset(out, 0, sizeof(*out));
	if (!ptl_cfg_provider_url_ok(rq->url)) {
		PTL_LOG_ERR("http: refusing a URL that is not https:// or "
			    "loopback");
		return PTL_ERR_BAD_REQUEST;
	}
	c = the_handle();
	if (c == NULL)
		return PTL_ERR_UNAVAILABLE;
	/* "Expect: 100-continue" would cost a round trip per POST. */
	hdrs = cu.slist_append(NULL, "Expect:");
	for (i = 0; hdrs != NULL && i < PTL_HTTP_HEADERS_MAX; i++) {
		if (rq->headers[i] == NULL)
			continue;
		more = cu.slist_append(hdrs, rq->headers[i]);
		if (more == NULL) {
			cu.slist_free_all(hdrs);
			hdrs = NULL;
		}
	}
	ptl_buf_init(&body, a, 4096, PTL_HTTP_BODY_MAX);
	if (hdrs == NULL || !set_options(c, rq, hdrs, &body, errbuf)) {
		PTL_LOG_ERR("http: cannot set up a curl handle");
		goto out;
	}
	rc = cu.easy_perform(c);
	if (rc != CURLE_OK || body.overflow) {
		log_failure(rq->url, rc, errbuf,
			    body.overflow || rc == CURLE_FILESIZE_EXCEEDED);
		goto out;
	}
	(void)cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->body = body.data;
	out->len = body.len;
	e = PTL_OK;
out:
	/* The handle keeps pointers to the form and the headers: clear them
	 * before either goes. */
	cu.easy_reset(c);
	cu.slist_free_all(hdrs);
	return e;
}
