/* SPDX-License-Identifier: ISC */
/* fuzz_app: see fuzz.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz.h"
#include "base/log.h"

static struct ptl_app app;
static char dir[256];
static int ready;

static void
cleanup(void)
{
	DIR *d;
	struct dirent *de;
	char path[512];

	ptl_app_close(&app);
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		(void)unlink(path);
	}
	(void)closedir(d);
	(void)rmdir(dir);
}

struct ptl_app *
fuzz_app(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[512];

	if (ready)
		return &app;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	(void)snprintf(dir, sizeof(dir), "%s/ptl-fuzz-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		abort();
	(void)snprintf(path, sizeof(path), "%s/fuzz.db", dir);
	setenv("DATABASE_PATH", path, 1);
	setenv("NODE_ENV", "test", 1);
	setenv("ENV_FILE", "/dev/null", 1);
	setenv("AUTH_JWT_SECRET", "fuzz-access-secret-0123456789abcdef0123", 1);
	setenv("AUTH_REFRESH_SECRET", "fuzz-refresh-secret-0123456789abcdef012", 1);
	setenv("AUTH_FORGOT_SECRET", "fuzz-forgot-secret-0123456789abcdef0123", 1);
	setenv("AUTH_CONFIRM_EMAIL_SECRET",
	       "fuzz-confirm-secret-0123456789abcdef012", 1);
	setenv("FRONTEND_DOMAIN", FUZZ_FRONTEND, 1);
	setenv("AUTH_ALLOWED_REDIRECTS", FUZZ_ALLOWED, 1);
	setenv("AUTH_ARGON2_OPSLIMIT", "1", 1);
	setenv("AUTH_ARGON2_MEMLIMIT_KIB", "8", 1);
#ifdef PTL_FUZZ_I18N_DIR
	/* The targets of build.sh run outside the build tree: the message
	 * files are the source tree's (lib/base/paths.h). */
	setenv("APP_I18N_DIR", PTL_FUZZ_I18N_DIR, 1);
#endif
	/* Bad input is logged; the fuzzer's output stays readable. */
	ptl_log_set_level(PTL_LOG_ERROR);
	if (ptl_app_init(&app) != PTL_OK)
		abort();
	app.fake_now_ms = FUZZ_NOW_MS;
	ready = 1;
	(void)atexit(cleanup);
	return &app;
}

static const char *const allowed[] = {FUZZ_ALLOWED_1, FUZZ_ALLOWED_2};

/* s[0..len) starts with prefix (case-insensitively: an origin's scheme
 * and host are), and what follows is nothing, '/' or '?' (or anything when
 * prefix ends in '/'). */
static bool
at_boundary(const char *s, size_t len, const char *prefix, bool icase)
{
	size_t n = strlen(prefix);

	if (len < n ||
	    (icase ? strncasecmp(s, prefix, n) : strncmp(s, prefix, n)) != 0)
		return false;
	return prefix[n - 1] == '/' || len == n || s[n] == '/' || s[n] == '?';
}

bool
fuzz_redirect_ok(const char *answer)
{
	static const char head[] = "Status: 303 See Other\r\nLocation: ";
	const char *loc, *end, *p;
	size_t i, len;
	bool ok;

	if (strncmp(answer, head, sizeof(head) - 1) != 0)
		return false;
	loc = answer + sizeof(head) - 1;
	end = strstr(loc, "\r\n");
	if (end == NULL)
		return false;
	for (p = loc; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f || c == '#')
			return false;
	}
	len = (size_t)(end - loc);
	ok = at_boundary(loc, len, FUZZ_FRONTEND, true);
	for (i = 0; !ok && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		ok = at_boundary(loc, len, allowed[i], false);
	return ok;
}
