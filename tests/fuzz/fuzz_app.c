/* SPDX-License-Identifier: ISC */
/* fuzz_app: see fuzz.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	setenv("AUTH_ARGON2_OPSLIMIT", "1", 1);
	setenv("AUTH_ARGON2_MEMLIMIT_KIB", "8", 1);
	/* Bad input is logged; the fuzzer's output stays readable. */
	ptl_log_set_level(PTL_LOG_ERROR);
	if (ptl_app_init(&app) != PTL_OK)
		abort();
	app.fake_now_ms = FUZZ_NOW_MS;
	ready = 1;
	(void)atexit(cleanup);
	return &app;
}
