/* SPDX-License-Identifier: ISC */
/*
 * ua: see ua.h. Two tables of (token, name), tried in order; the first
 * token found in the header names it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/ua.h"

struct rule {
	const char *token;
	const char *name;
};

/* Most specific first: every Chromium browser also says "Chrome/" and
 * "Safari/", and Chrome on iOS says "CriOS/" and "Safari/". */
static const struct rule browsers[] = {
    {"Edg/", "Edge"},
    {"EdgA/", "Edge"},
    {"EdgiOS/", "Edge"},
    {"OPR/", "Opera"},
    {"Opera", "Opera"},
    {"SamsungBrowser/", "Samsung Internet"},
    {"YaBrowser/", "Yandex Browser"},
    {"Vivaldi/", "Vivaldi"},
    {"Firefox/", "Firefox"},
    {"FxiOS/", "Firefox"},
    {"CriOS/", "Chrome"},
    {"HeadlessChrome/", "Chrome (headless)"},
    {"Chromium/", "Chromium"},
    {"Chrome/", "Chrome"},
    {"Version/", "Safari"}, /* Safari says Version/x Safari/y */
    {"MSIE ", "Internet Explorer"},
    {"Trident/", "Internet Explorer"},
    {"curl/", "curl"},
    {"Wget/", "Wget"},
    {"python-requests/", "Python"},
    {"Python-urllib/", "Python"},
    {"okhttp/", "OkHttp"},
};

static const struct rule systems[] = {
    {"iPhone", "iOS"},      {"iPad", "iPadOS"},
    {"iPod", "iOS"},        {"Android", "Android"},
    {"CrOS", "ChromeOS"},   {"Windows Phone", "Windows Phone"},
    {"Windows", "Windows"}, {"Mac OS X", "macOS"},
    {"Macintosh", "macOS"}, {"Ubuntu", "Ubuntu"},
    {"Fedora", "Fedora"},   {"Linux", "Linux"},
    {"FreeBSD", "FreeBSD"}, {"OpenBSD", "OpenBSD"},
};

static const char *
first(const struct rule *rules, size_t n, const char *ua, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (memmem(ua, len, rules[i].token, strlen(rules[i].token)) !=
		    NULL)
			return rules[i].name;
	}
	return NULL;
}

struct ptl_ua
ptl_ua_parse(const char *ua)
{
	struct ptl_ua out = {NULL, NULL};
	size_t len;

	if (ua == NULL)
		return out;
	len = strnlen(ua, PTL_UA_SCAN_MAX);
	out.browser =
	    first(browsers, sizeof(browsers) / sizeof(browsers[0]), ua, len);
	out.os = first(systems, sizeof(systems) / sizeof(systems[0]), ua, len);
	/* "Version/" alone is not Safari: only with "Safari/". */
	if (out.browser != NULL && strcmp(out.browser, "Safari") == 0 &&
	    memmem(ua, len, "Safari/", 7) == NULL)
		out.browser = NULL;
	return out;
}
