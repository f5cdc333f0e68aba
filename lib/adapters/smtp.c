/* SPDX-License-Identifier: ISC */
/*
 * smtp: see smtp.h. One curl easy handle per message, created and cleaned
 * up inside ptl_smtp_send(). The addresses and the host are checked again
 * here, whatever the caller did, because they end up in SMTP commands and
 * in the URL.
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

#include "adapters/smtp.h"
#include "base/log.h"
#include "base/mime.h"

#ifndef PTL_CURL_SONAME
#define PTL_CURL_SONAME "libcurl.so.4"
#endif

struct upload {
	const char *p;
	size_t left;
};

/* CURLOPT_READFUNCTION: hands out the message; 0 ends the DATA phase
 * (libcurl adds the dot-stuffing and the final CRLF.CRLF). */
static size_t
read_message(char *dst, size_t size, size_t nitems, void *userp)
{
	struct upload *up = userp;
	size_t n = size * nitems;

	if (n > up->left)
		n = up->left;
	memcpy(dst, up->p, n);
	up->p += n;
	up->left -= n;
	return n;
}

/*
 * libcurl is loaded with dlopen() on the first delivery, not linked: it
 * brings some thirty libraries (TLS, Kerberos, LDAP, ...) that would
 * otherwise be mapped into every worker, costing resident memory in each
 * and start-up time in CGI mode, although most processes never send mail.
 * The header still gives the types and constants; the soname is libcurl's
 * stable ABI name.
 */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

static bool
load_curl(void)
{
	void *h = dlopen(PTL_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		PTL_LOG_ERR("mail: cannot load %s: %s", PTL_CURL_SONAME,
			    dlerror());
		return false;
	}
	/* POSIX dlsym returns void *; converting it to a function pointer is
	 * what dlsym is for (POSIX.1-2008, XSH dlsym RATIONALE). */
#define SYM(field, name) *(void **)(&cu.field) = dlsym(h, name)
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	if (cu.global_init == NULL || cu.easy_init == NULL ||
	    cu.easy_setopt == NULL || cu.easy_perform == NULL ||
	    cu.easy_getinfo == NULL || cu.easy_cleanup == NULL ||
	    cu.easy_strerror == NULL || cu.slist_append == NULL ||
	    cu.slist_free_all == NULL) {
		PTL_LOG_ERR("mail: %s lacks a needed function",
			    PTL_CURL_SONAME);
		return false;
	}
	return true;
}

/* Loads libcurl and runs the one curl_global_init() of the process (it is
 * single-threaded). */
static bool
global_init(void)
{
	static bool initialised;
	CURLcode rc;

	if (initialised)
		return true;
	if (!load_curl())
		return false;
	rc = cu.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		PTL_LOG_ERR("mail: curl_global_init: %s", cu.easy_strerror(rc));
		return false;
	}
	initialised = true;
	return true;
}

/* smtp[s]://host:port/ehlo. The EHLO name is the sender's domain
 * (libcurl would say "localhost", which strict servers refuse). IPv6
 * literals get their brackets. */
static void
smtp_url(char *out, size_t size, const struct ptl_cfg_mail *mc)
{
	bool bracket = mc->host[0] != '[' && strchr(mc->host, ':') != NULL;
	int n;

	n = snprintf(out, size, "%s://%s%s%s:%u/%s",
		     mc->secure ? "smtps" : "smtp", bracket ? "[" : "",
		     mc->host, bracket ? "]" : "", mc->port,
		     ptl_mime_domain(mc->from_email));
	PTL_ASSERT(n > 0 && (size_t)n < size);
}

static long
use_ssl(const struct ptl_cfg_mail *mc)
{
	if (mc->secure || mc->require_tls)
		return (long)CURLUSESSL_ALL;
	if (mc->ignore_tls)
		return (long)CURLUSESSL_NONE;
	return (long)CURLUSESSL_TRY;
}

/* What every connection to the server sets: the URL, TLS, the timeouts
 * and AUTH. */
static bool
setup_connection(CURL *curl, const struct ptl_cfg_mail *mc, const char *url,
		 char *errbuf)
{
	if (cu.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    cu.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps") !=
		CURLE_OK ||
#else
	    cu.easy_setopt(curl, CURLOPT_PROTOCOLS,
			   (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS)) !=
		CURLE_OK ||
#endif
	    cu.easy_setopt(curl, CURLOPT_USE_SSL, use_ssl(mc)) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			   mc->connect_timeout_ms) != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_TIMEOUT_MS, mc->timeout_ms) !=
		CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK)
		return false;
	if (mc->user == NULL)
		return true;
	return cu.easy_setopt(curl, CURLOPT_USERNAME, mc->user) == CURLE_OK &&
	       cu.easy_setopt(curl, CURLOPT_PASSWORD,
			      mc->password != NULL ? mc->password : "") ==
		   CURLE_OK;
}

static bool
setup(CURL *curl, const struct ptl_cfg_mail *mc, const char *url,
      const char *from, struct curl_slist *rcpt, struct upload *up,
      char *errbuf)
{
	return setup_connection(curl, mc, url, errbuf) &&
	       cu.easy_setopt(curl, CURLOPT_MAIL_FROM, from) == CURLE_OK &&
	       cu.easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt) == CURLE_OK &&
	       cu.easy_setopt(curl, CURLOPT_READFUNCTION, read_message) ==
		   CURLE_OK &&
	       cu.easy_setopt(curl, CURLOPT_READDATA, up) == CURLE_OK &&
	       cu.easy_setopt(curl, CURLOPT_UPLOAD, 1L) == CURLE_OK &&
	       cu.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
			      (curl_off_t)up->left) == CURLE_OK;
}

/* Why the last delivery of this process failed (ptl_smtp_last_error). */
static char last_error[200];

/* One log line for a failed delivery. The error text comes from libcurl
 * and may quote the server; controls are masked. No credentials in it. */
static void
log_failure(const char *what, const char *url, CURLcode rc, char *errbuf,
	    long code)
{
	size_t i;

	if (errbuf[0] == '\0')
		(void)snprintf(errbuf, CURL_ERROR_SIZE, "%s",
			       cu.easy_strerror(rc));
	for (i = 0; errbuf[i] != '\0'; i++) {
		if ((unsigned char)errbuf[i] < 0x20 || errbuf[i] == 0x7f)
			errbuf[i] = '?';
	}
	PTL_LOG_ERR("mail: %s through %s failed: %s (SMTP reply %ld)", what,
		    url, errbuf, code);
	(void)snprintf(last_error, sizeof(last_error), "%s (SMTP reply %ld)",
		       errbuf, code);
}

const char *
ptl_smtp_last_error(void)
{
	return last_error[0] != '\0' ? last_error : "unavailable";
}

enum ptl_err
ptl_smtp_send(const struct ptl_cfg_mail *mc, const char *to, const char *msg,
	      size_t len)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char url[640], from[PTL_MIME_ADDR_MAX + 3];
	char rcpt_addr[PTL_MIME_ADDR_MAX + 3];
	struct upload up = {msg, len};
	struct curl_slist *rcpt = NULL;
	CURL *curl = NULL;
	CURLcode rc = CURLE_OK;
	long code = 0;
	enum ptl_err e = PTL_ERR_UNAVAILABLE;

	last_error[0] = '\0';
	if (!ptl_mime_addr_ok(to) || !ptl_mime_addr_ok(mc->from_email) ||
	    !ptl_cfg_host_ok(mc->host)) {
		PTL_LOG_ERR("mail: refusing to send, unacceptable address");
		return PTL_ERR_BAD_REQUEST;
	}
	if (!global_init())
		return PTL_ERR_UNAVAILABLE;
	smtp_url(url, sizeof(url), mc);
	(void)snprintf(from, sizeof(from), "<%s>", mc->from_email);
	(void)snprintf(rcpt_addr, sizeof(rcpt_addr), "<%s>", to);
	curl = cu.easy_init();
	if (curl != NULL)
		rcpt = cu.slist_append(NULL, rcpt_addr);
	if (rcpt == NULL || !setup(curl, mc, url, from, rcpt, &up, errbuf)) {
		PTL_LOG_ERR("mail: cannot set up a curl handle");
		goto out;
	}
	rc = cu.easy_perform(curl);
	(void)cu.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 250) {
		log_failure("delivery", url, rc, errbuf, code);
		goto out;
	}
	e = PTL_OK;
out:
	cu.slist_free_all(rcpt);
	cu.easy_cleanup(curl);
	return e;
}

/* CURLOPT_WRITEFUNCTION of the probe: the reply text is not wanted (the
 * default would print it on stdout). */
static size_t
discard(char *p, size_t size, size_t nitems, void *userp)
{
	(void)p;
	(void)userp;
	return size * nitems;
}

enum ptl_err
ptl_smtp_probe(const struct ptl_cfg_mail *mc)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char url[640];
	CURL *curl;
	CURLcode rc;
	long code = 0;
	enum ptl_err e = PTL_ERR_UNAVAILABLE;

	if (!ptl_mime_addr_ok(mc->from_email) || !ptl_cfg_host_ok(mc->host)) {
		PTL_LOG_ERR("mail: refusing to connect, unacceptable address");
		return PTL_ERR_BAD_REQUEST;
	}
	if (!global_init())
		return PTL_ERR_UNAVAILABLE;
	smtp_url(url, sizeof(url), mc);
	curl = cu.easy_init();
	if (curl == NULL || !setup_connection(curl, mc, url, errbuf) ||
	    cu.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "NOOP") != CURLE_OK ||
	    cu.easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK) {
		PTL_LOG_ERR("mail: cannot set up a curl handle");
		cu.easy_cleanup(curl);
		return PTL_ERR_UNAVAILABLE;
	}
	rc = cu.easy_perform(curl);
	(void)cu.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 250)
		log_failure("check", url, rc, errbuf, code);
	else
		e = PTL_OK;
	cu.easy_cleanup(curl);
	return e;
}
