/* SPDX-License-Identifier: ISC */
/* Unit tests of lib/base/ua.c: the User-Agent headers of the browsers and
 * systems people use, in words, and what is not one. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/ua.h"
#include "tap.h"

static const struct {
	const char *ua, *browser, *os;
} cases[] = {
    {"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
     "Firefox", "Linux"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/126.0.0.0 Safari/537.36",
     "Chrome", "Windows"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
     "Edge", "Windows"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
     "Safari", "macOS"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 "
     "Safari/604.1",
     "Safari", "iOS"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 "
     "Mobile/15E148 Safari/604.1",
     "Chrome", "iOS"},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
     "Chrome", "Android"},
    {"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, "
     "like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
     "Samsung Internet", "Android"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
     "Opera", "Windows"},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/126.0.0.0 Safari/537.36",
     "Chrome (headless)", "Linux"},
    {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/126.0.0.0 Safari/537.36",
     "Chrome", "ChromeOS"},
    {"curl/8.5.0", "curl", NULL},
    {"python-requests/2.31.0", "Python", NULL},
    {"Version/1.0", NULL, NULL}, /* not Safari without "Safari/" */
    {"", NULL, NULL},
    {"<script>alert(1)</script>", NULL, NULL},
};

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
main(void)
{
	char longer[PTL_UA_SCAN_MAX + 64];
	struct ptl_ua u;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = ptl_ua_parse(cases[i].ua);
		ok(same(u.browser, cases[i].browser) && same(u.os, cases[i].os),
		   "%.40s: %s on %s", cases[i].ua,
		   cases[i].browser ? cases[i].browser : "(unknown)",
		   cases[i].os ? cases[i].os : "(unknown)");
	}
	u = ptl_ua_parse(NULL);
	ok(u.browser == NULL && u.os == NULL, "no header: unknown");
	/* Only the first PTL_UA_SCAN_MAX bytes are read. */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer + PTL_UA_SCAN_MAX + 8, "Firefox/1", 9);
	u = ptl_ua_parse(longer);
	ok(u.browser == NULL, "a token past the scan cap is not seen");
	memcpy(longer, "Firefox/1", 9);
	u = ptl_ua_parse(longer);
	is_str(u.browser, "Firefox", "a token within it is");
	return done();
}
