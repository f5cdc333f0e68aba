/* SPDX-License-Identifier: ISC */
/*
 * test_cfg: lib/base/cfg.c through setenv(3). Defaults; durations, booleans and
 * bounded integers, good and bad; required and weak secrets per NODE_ENV;
 * CORS origin fallbacks; ptl_cfg_list_has. cfg reads the .env file once per
 * process, so every .env case runs in its own forked child (fix_fork),
 * forked before the parent reads any setting.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cfg.h"
#include "fixture.h"
#include "tap.h"

#define STRONG "0123456789abcdef0123456789abcdef" /* 32 bytes */

static const char *const all_names[] = {
	"NODE_ENV", "APP_NAME", "DATABASE_PATH", "AUTH_JWT_SECRET",
	"AUTH_REFRESH_SECRET", "AUTH_FORGOT_SECRET", "AUTH_CONFIRM_EMAIL_SECRET",
	"AUTH_JWT_TOKEN_EXPIRES_IN", "AUTH_REFRESH_TOKEN_EXPIRES_IN",
	"AUTH_FORGOT_TOKEN_EXPIRES_IN", "AUTH_CONFIRM_EMAIL_TOKEN_EXPIRES_IN",
	"AUTH_UNIFORM_ERRORS", "AUTH_SESSION_CHECK", "AUTH_REFRESH_REUSE_INTERVAL",
	"AUTH_PASSWORD_MIN_LENGTH", "AUTH_ARGON2_OPSLIMIT",
	"AUTH_ARGON2_MEMLIMIT_KIB", "APP_CORS_ORIGINS", "FRONTEND_DOMAIN",
	"BACKEND_DOMAIN", "TRUSTED_PROXIES", "AUTH_RATE_LIMIT",
	"AUTH_RATE_LOGIN_IP", "AUTH_RATE_LOGIN_FAIL", "AUTH_RATE_IP",
	"AUTH_RATE_MAIL_USER", "AUTH_RATE_MAIL_IP", "AUTH_MAX_SESSIONS",
	"AUTH_RATE_LOGIN_DELAY_MAX", "AUTH_DEVICE_COOKIE_EXPIRES_IN",
	"DATABASE_BUSY_TIMEOUT_MS", "PTL_FAKE_NOW_MS", "ONLY_IN_FILE",
	"PAGES_BASE_PATH", "PAGES_THEME_DIR", "PAGES_LOGO_URL",
	"AUTH_MAIL_LINKS",
};

/* A clean environment: the four secrets (strong), nothing else. */
static void
reset_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(all_names) / sizeof(all_names[0]); i++)
		unsetenv(all_names[i]);
	setenv("AUTH_JWT_SECRET", STRONG "-access", 1);
	setenv("AUTH_REFRESH_SECRET", STRONG "-refresh", 1);
	setenv("AUTH_FORGOT_SECRET", STRONG "-forgot", 1);
	setenv("AUTH_CONFIRM_EMAIL_SECRET", STRONG "-confirm", 1);
}

static void
test_defaults(void)
{
	struct ptl_cfg c;

	reset_env();
	if (!ok(ptl_cfg_load(&c) == PTL_OK, "defaults load"))
		return;
	is_str(c.node_env, "production", "NODE_ENV defaults to production");
	ok(c.production, "production by default");
	is_str(c.app_name, "authportal", "APP_NAME default");
	{
		char *cwd = getcwd(NULL, 0);
		char want[4096];

		(void)snprintf(want, sizeof(want), "%s/var/authportal.db",
			       cwd != NULL ? cwd : "?");
		is_str(c.database_path, want,
		       "DATABASE_PATH default: var/authportal.db in the "
		       "working directory, absolute");
		free(cwd);
	}
	is_str(c.jwt_secret, STRONG "-access", "jwt secret");
	is_str(c.refresh_secret, STRONG "-refresh", "refresh secret");
	is_str(c.forgot_secret, STRONG "-forgot", "forgot secret");
	is_str(c.confirm_secret, STRONG "-confirm", "confirm secret");
	is_int(c.access_ttl_ms, 15 * 60 * 1000, "access ttl 15m");
	is_int(c.refresh_ttl_ms, 30LL * 86400 * 1000, "refresh ttl 30d");
	is_int(c.forgot_ttl_ms, 30 * 60 * 1000, "forgot ttl 30m");
	is_int(c.confirm_ttl_ms, 86400 * 1000, "confirm ttl 1d");
	ok(c.uniform_errors, "uniform errors on");
	ok(c.session_check, "session check on");
	ok(c.rate_limit, "rate limit on");
	is_int(c.reuse_interval_s, 0, "reuse interval 0");
	is_int(c.password_min_len, 8, "password min 8");
	is_int(c.password_max_len, 1024, "password max 1024");
	is_int(c.argon2_ops, 2, "argon2 t=2");
	is_int(c.argon2_mem, 19456 * 1024, "argon2 m=19 MiB");
	is_str(c.cors_origins, "*", "CORS any by default");
	ok(c.frontend_domain == NULL && c.backend_domain == NULL,
	   "domains unset");
	is_str(c.trusted_proxies, "", "no trusted proxies");
	is_int(c.rl_login_ip, 150, "login ip limit");
	is_int(c.rl_login_fail, 10, "login fail limit");
	is_int(c.rl_login_delay_max_s, 900, "longest sign-in delay 900 s");
	is_int(c.device_ttl_ms, 90 * 86400 * 1000LL, "device cookie 90d");
	is_int(c.rl_ip, 30, "ip limit");
	is_int(c.rl_mail_user, 10, "mails per account an hour");
	is_int(c.rl_mail_ip, 30, "mails per IP an hour");
	is_int(c.max_sessions, 50, "50 live sessions per user");
	is_int(c.body_max, 100 * 1024, "body max 100 kB");
	is_int(c.busy_timeout_ms, 10000, "busy timeout");
}

static void
test_values(void)
{
	static const struct {
		const char *name, *value;
		bool good;
		size_t off;  /* offset of an int64_t/size_t/... field, or -1 */
		int size;    /* 8: int64_t or size_t, 1: bool, 4: unsigned/int */
		long long want;
	} cases[] = {
#define F(field) offsetof(struct ptl_cfg, field), (int)sizeof(((struct ptl_cfg *)0)->field)
		{"AUTH_JWT_TOKEN_EXPIRES_IN", "1h", true, F(access_ttl_ms), 3600000},
		{"AUTH_JWT_TOKEN_EXPIRES_IN", "900", true, F(access_ttl_ms), 900},
		{"AUTH_JWT_TOKEN_EXPIRES_IN", "2 days", true, F(access_ttl_ms),
		 172800000},
		{"AUTH_JWT_TOKEN_EXPIRES_IN", "", true, F(access_ttl_ms), 900000},
		{"AUTH_JWT_TOKEN_EXPIRES_IN", "abc", false, F(access_ttl_ms), 0},
		{"AUTH_JWT_TOKEN_EXPIRES_IN", "0", false, F(access_ttl_ms), 0},
		{"AUTH_JWT_TOKEN_EXPIRES_IN", "-5m", false, F(access_ttl_ms), 0},
		{"AUTH_REFRESH_TOKEN_EXPIRES_IN", "7d", true, F(refresh_ttl_ms),
		 604800000},
		{"AUTH_FORGOT_TOKEN_EXPIRES_IN", "10m", true, F(forgot_ttl_ms),
		 600000},
		{"AUTH_CONFIRM_EMAIL_TOKEN_EXPIRES_IN", "2h", true,
		 F(confirm_ttl_ms), 7200000},
		{"AUTH_CONFIRM_EMAIL_TOKEN_EXPIRES_IN", "5 parsecs", false,
		 F(confirm_ttl_ms), 0},
		{"AUTH_UNIFORM_ERRORS", "false", true, F(uniform_errors), 0},
		{"AUTH_UNIFORM_ERRORS", "0", true, F(uniform_errors), 0},
		{"AUTH_UNIFORM_ERRORS", "no", true, F(uniform_errors), 0},
		{"AUTH_UNIFORM_ERRORS", "true", true, F(uniform_errors), 1},
		{"AUTH_UNIFORM_ERRORS", "", true, F(uniform_errors), 1},
		{"AUTH_SESSION_CHECK", "1", true, F(session_check), 1},
		{"AUTH_SESSION_CHECK", "yes", true, F(session_check), 1},
		{"AUTH_SESSION_CHECK", "maybe", false, F(session_check), 0},
		{"AUTH_RATE_LIMIT", "false", true, F(rate_limit), 0},
		{"AUTH_RATE_LIMIT", "off", false, F(rate_limit), 0},
		{"AUTH_REFRESH_REUSE_INTERVAL", "30", true, F(reuse_interval_s), 30},
		{"AUTH_REFRESH_REUSE_INTERVAL", "86400", true, F(reuse_interval_s),
		 86400},
		{"AUTH_REFRESH_REUSE_INTERVAL", "86401", false, F(reuse_interval_s),
		 0},
		{"AUTH_REFRESH_REUSE_INTERVAL", "-1", false, F(reuse_interval_s), 0},
		{"AUTH_REFRESH_REUSE_INTERVAL", "10s", false, F(reuse_interval_s),
		 0},
		{"AUTH_PASSWORD_MIN_LENGTH", "12", true, F(password_min_len), 12},
		{"AUTH_PASSWORD_MIN_LENGTH", "0", false, F(password_min_len), 0},
		{"AUTH_PASSWORD_MIN_LENGTH", "1025", false, F(password_min_len), 0},
		{"AUTH_ARGON2_OPSLIMIT", "1", true, F(argon2_ops), 1},
		{"AUTH_ARGON2_OPSLIMIT", "11", false, F(argon2_ops), 0},
		{"AUTH_ARGON2_MEMLIMIT_KIB", "8192", true, F(argon2_mem), 8388608},
		{"AUTH_ARGON2_MEMLIMIT_KIB", "7", false, F(argon2_mem), 0},
		{"AUTH_RATE_IP", "5", true, F(rl_ip), 5},
		{"AUTH_RATE_MAIL_USER", "4", true, F(rl_mail_user), 4},
		{"AUTH_RATE_MAIL_USER", "0", false, F(rl_mail_user), 0},
		{"AUTH_RATE_MAIL_IP", "12", true, F(rl_mail_ip), 12},
		{"AUTH_RATE_MAIL_IP", "x", false, F(rl_mail_ip), 0},
		{"AUTH_RATE_LOGIN_IP", "0", false, F(rl_login_ip), 0},
		{"AUTH_RATE_LOGIN_FAIL", "3", true, F(rl_login_fail), 3},
		{"AUTH_MAX_SESSIONS", "1", true, F(max_sessions), 1},
		{"AUTH_MAX_SESSIONS", "500", true, F(max_sessions), 500},
		{"AUTH_MAX_SESSIONS", "501", false, F(max_sessions), 0},
		{"AUTH_MAX_SESSIONS", "0", false, F(max_sessions), 0},
		{"AUTH_RATE_LOGIN_DELAY_MAX", "60", true, F(rl_login_delay_max_s),
		 60},
		{"AUTH_RATE_LOGIN_DELAY_MAX", "0", false, F(rl_login_delay_max_s),
		 0},
		{"AUTH_RATE_LOGIN_DELAY_MAX", "86401", false,
		 F(rl_login_delay_max_s), 0},
		{"AUTH_DEVICE_COOKIE_EXPIRES_IN", "7d", true, F(device_ttl_ms),
		 604800000},
		{"AUTH_DEVICE_COOKIE_EXPIRES_IN", "never", false, F(device_ttl_ms),
		 0},
		{"DATABASE_BUSY_TIMEOUT_MS", "99", false, F(busy_timeout_ms), 0},
		{"DATABASE_BUSY_TIMEOUT_MS", "250", true, F(busy_timeout_ms), 250},
		{"DATABASE_BUSY_TIMEOUT_MS", " 250", false, F(busy_timeout_ms), 0},
#undef F
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_cfg c;
		enum ptl_err e;
		long long got = 0;
		const char *p;

		reset_env();
		setenv("NODE_ENV", "test", 1);
		setenv(cases[i].name, cases[i].value, 1);
		e = ptl_cfg_load(&c);
		if (!cases[i].good) {
			is_int(e, PTL_ERR_INTERNAL, "refused");
			diag("%s='%s'", cases[i].name, cases[i].value);
			continue;
		}
		p = (const char *)&c + cases[i].off;
		if (cases[i].size == 8)
			got = *(const int64_t *)(const void *)p;
		else if (cases[i].size == 4)
			got = *(const int *)(const void *)p;
		else
			got = *(const bool *)(const void *)p;
		ok(e == PTL_OK && got == cases[i].want, "%s='%s' -> %lld",
		   cases[i].name, cases[i].value, cases[i].want);
		if (e == PTL_OK && got != cases[i].want)
			diag("got %lld", got);
	}
}

static void
test_secrets(void)
{
	static const struct {
		const char *node_env; /* NULL: unset */
		const char *name, *value; /* value NULL: unset */
		bool good;
		const char *label;
	} cases[] = {
		{"test", "AUTH_FORGOT_SECRET", NULL, false, "missing secret"},
		{"development", "AUTH_JWT_SECRET", "", false, "empty secret"},
		{NULL, "AUTH_JWT_SECRET", "secret", false,
		 "placeholder refused, NODE_ENV unset (production)"},
		{"production", "AUTH_REFRESH_SECRET", "secret_for_refresh", false,
		 "placeholder refused in production"},
		{"production", "AUTH_CONFIRM_EMAIL_SECRET", STRONG "x", true,
		 "33 bytes fine in production"},
		{"production", "AUTH_JWT_SECRET", STRONG, true,
		 "32 bytes fine in production"},
		{"production", "AUTH_JWT_SECRET", "0123456789abcdef0123456789abcde",
		 false, "31 bytes refused in production"},
		{"staging", "AUTH_JWT_SECRET", "short", false,
		 "any other NODE_ENV is production"},
		{"test", "AUTH_JWT_SECRET", "secret", true,
		 "placeholder accepted with NODE_ENV=test"},
		{"development", "AUTH_FORGOT_SECRET", "x", true,
		 "short accepted with NODE_ENV=development"},
		{"production", "AUTH_FORGOT_SECRET", "change-me", false,
		 "change-me refused in production"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ptl_cfg c;
		enum ptl_err e;

		reset_env();
		if (cases[i].node_env != NULL)
			setenv("NODE_ENV", cases[i].node_env, 1);
		if (cases[i].value != NULL)
			setenv(cases[i].name, cases[i].value, 1);
		else
			unsetenv(cases[i].name);
		e = ptl_cfg_load(&c);
		is_int(e, cases[i].good ? PTL_OK : PTL_ERR_INTERNAL, cases[i].label);
	}
	reset_env();
	setenv("NODE_ENV", "development", 1);
	{
		struct ptl_cfg c;

		ok(ptl_cfg_load(&c) == PTL_OK && !c.production,
		   "development is not production");
	}
}

static void
test_cors(void)
{
	struct ptl_cfg c;

	reset_env();
	setenv("FRONTEND_DOMAIN", "https://app.example", 1);
	ok(ptl_cfg_load(&c) == PTL_OK &&
		   strcmp(c.cors_origins, "https://app.example") == 0,
	   "CORS falls back to FRONTEND_DOMAIN");
	setenv("APP_CORS_ORIGINS", "https://a.example,https://b.example", 1);
	ok(ptl_cfg_load(&c) == PTL_OK &&
		   strcmp(c.cors_origins, "https://a.example,https://b.example") == 0,
	   "APP_CORS_ORIGINS wins");
	setenv("APP_CORS_ORIGINS", "", 1);
	ok(ptl_cfg_load(&c) == PTL_OK &&
		   strcmp(c.cors_origins, "https://app.example") == 0,
	   "empty APP_CORS_ORIGINS is unset");
	setenv("TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2", 1);
	ok(ptl_cfg_load(&c) == PTL_OK &&
		   strcmp(c.trusted_proxies, "10.0.0.1, 10.0.0.2") == 0,
	   "TRUSTED_PROXIES");
	ok(ptl_cfg_get("NO_SUCH_SETTING_ANYWHERE") == NULL, "unset is NULL");
	setenv("APP_NAME", "", 1);
	ok(ptl_cfg_get("APP_NAME") != NULL && ptl_cfg_load(&c) == PTL_OK &&
		   strcmp(c.app_name, "authportal") == 0,
	   "empty value gets the default");
}

static void
test_list_has(void)
{
	static const struct {
		const char *list, *s;
		bool want;
	} cases[] = {
		{"a,b,c", "b", true},
		{"a, b ,c", "b", true},
		{" a", "a", true},
		{"a,b,c", "c", true},
		{"a,b,c", "d", false},
		{"ab,c", "a", false},
		{"a,bc", "b", false},
		{"a,b", "a,b", false},
		{"a,b", "b ", false},
		{"", "a", false},
		{"10.0.0.1,10.0.0.10", "10.0.0.10", true},
		{"10.0.0.10", "10.0.0.1", false},
		{"https://a.example", "https://A.example", false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(ptl_cfg_list_has(cases[i].list, cases[i].s,
				    strlen(cases[i].s)) == cases[i].want,
		   "list '%s' has '%s': %s", cases[i].list, cases[i].s,
		   cases[i].want ? "yes" : "no");
	ok(!ptl_cfg_list_has(NULL, "a", 1), "NULL list has nothing");
	ok(ptl_cfg_list_has("ab,c", "abc", 2), "only len bytes of s count");
}

/* ---- .env cases, each in a child ---------------------------------------- */

static const char dotenv_text[] =
	"# a comment\n"
	"\n"
	"export APP_NAME=\"From File\"\n"
	"AUTH_JWT_SECRET='" STRONG "-file'\n"
	"  ONLY_IN_FILE  =  spaced value  \r\n"
	"NODE_ENV=test\n"
	"AUTH_ARGON2_OPSLIMIT=3\n"
	"not a setting line\n"
	"EMPTY=\n"
	"FRONTEND_DOMAIN=https://file.example\n";

static bool
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return false;
	(void)fputs(text, f);
	return fclose(f) == 0;
}

static void
dotenv_child(void)
{
	struct ptl_cfg c;

	reset_env();
	unsetenv("AUTH_JWT_SECRET");
	setenv("AUTH_ARGON2_OPSLIMIT", "4", 1); /* the environment wins */
	setenv("ENV_FILE", fix_path("env"), 1);
	if (!ok(write_file(fix_path("env"), dotenv_text), "write .env"))
		return;
	if (!ok(ptl_cfg_load(&c) == PTL_OK, ".env: load"))
		return;
	is_str(c.app_name, "From File", ".env: export prefix, double quotes");
	is_str(c.jwt_secret, STRONG "-file", ".env: single quotes");
	is_str(ptl_cfg_get("ONLY_IN_FILE"), "spaced value",
	       ".env: key and value trimmed, CRLF");
	is_str(c.node_env, "test", ".env: NODE_ENV");
	ok(!c.production, ".env: not production");
	is_int(c.argon2_ops, 4, ".env: the environment takes precedence");
	is_str(c.cors_origins, "https://file.example",
	       ".env: FRONTEND_DOMAIN used for CORS");
	is_str(ptl_cfg_get("EMPTY"), "", ".env: empty value");
	ok(ptl_cfg_get("not a setting line") == NULL &&
		   ptl_cfg_get("not a setting line\n") == NULL,
	   ".env: a line without = is ignored");
	/* Read once: a later change of the file is not seen. */
	(void)write_file(fix_path("env"), "ONLY_IN_FILE=changed\n");
	is_str(ptl_cfg_get("ONLY_IN_FILE"), "spaced value",
	       ".env: read once per process");
	setenv("ONLY_IN_FILE", "from env", 1);
	is_str(ptl_cfg_get("ONLY_IN_FILE"), "from env",
	       ".env: environment beats the file at any time");
}

static void
dotenv_missing_child(void)
{
	struct ptl_cfg c;

	/* A file that ENV_FILE names must exist: a typo there would
	 * otherwise start the service on its defaults. */
	reset_env();
	setenv("ENV_FILE", fix_path("does-not-exist"), 1);
	is_int(ptl_cfg_load(&c), PTL_ERR_INTERNAL,
	       ".env: a file ENV_FILE names that does not exist is refused");
	ok(ptl_cfg_file() == NULL, ".env: no settings file was read");
}

static void
dotenv_default_missing_child(void)
{
	struct ptl_cfg c;

	/* Without ENV_FILE, ./.env is optional. */
	reset_env();
	unsetenv("ENV_FILE");
	if (!ok(chdir(fix_dir) == 0, "chdir to a folder without .env"))
		return;
	ok(ptl_cfg_load(&c) == PTL_OK && strcmp(c.app_name, "authportal") == 0,
	   ".env: no ./.env and no ENV_FILE is no error");
}

/*
 * Relative paths (issue 10 point 1): a value from the settings file is
 * resolved against the file's folder, one from the environment (or a
 * default) against the working directory at start; either stays the
 * same when the process changes its directory later, as a FastCGI worker
 * started elsewhere would have it.
 */
static void
dotenv_paths_child(void)
{
	char want[1024], sub[512];
	struct ptl_cfg c;

	reset_env();
	unsetenv("MAIL_TEMPLATE_DIR");
	(void)snprintf(sub, sizeof(sub), "%s", fix_path("conf"));
	if (!ok(mkdir(sub, 0700) == 0 &&
		    write_file(fix_path("conf/app.env"),
			       "DATABASE_PATH=var/app.db\n"
			       "MAIL_TEMPLATE_DIR=./templates/mail\n"
			       "APP_NAME=var/not-a-path\n"),
		"write conf/app.env"))
		return;
	/* ENV_FILE relative to the working directory. */
	if (!ok(chdir(fix_dir) == 0, "chdir to the temp folder"))
		return;
	setenv("ENV_FILE", "conf/app.env", 1);
	if (!ok(ptl_cfg_load(&c) == PTL_OK, "paths: load"))
		return;
	(void)snprintf(want, sizeof(want), "%s/conf/app.env", fix_dir);
	is_str(ptl_cfg_file(), want, "paths: the settings file, absolute");
	(void)snprintf(want, sizeof(want), "%s/conf/var/app.db", fix_dir);
	is_str(c.database_path, want,
	       "paths: DATABASE_PATH from the file, against its folder");
	(void)snprintf(want, sizeof(want), "%s/conf/templates/mail", fix_dir);
	is_str(c.mail.template_dir, want,
	       "paths: MAIL_TEMPLATE_DIR from the file, ./ dropped");
	is_str(c.app_name, "var/not-a-path",
	       "paths: other settings as written");
	/* The environment: against the working directory, once. */
	setenv("DATABASE_PATH", "data/env.db", 1);
	(void)snprintf(want, sizeof(want), "%s/data/env.db", fix_dir);
	is_str(ptl_cfg_get("DATABASE_PATH"), want,
	       "paths: DATABASE_PATH from the environment, against the "
	       "working directory");
	if (!ok(chdir("/") == 0, "chdir /"))
		return;
	ok(ptl_cfg_load(&c) == PTL_OK && strcmp(c.database_path, want) == 0,
	   "paths: still the same file after a chdir");
	(void)snprintf(want, sizeof(want), "%s/conf/templates/mail", fix_dir);
	is_str(c.mail.template_dir, want,
	       "paths: the file's value after a chdir");
	setenv("DATABASE_PATH", "/srv/abs.db", 1);
	ok(ptl_cfg_load(&c) == PTL_OK &&
		   strcmp(c.database_path, "/srv/abs.db") == 0,
	   "paths: an absolute value as it is");
	setenv("DATABASE_PATH", "", 1);
	ok(ptl_cfg_load(&c) == PTL_OK &&
		   strcmp(c.database_path, "/var/authportal.db") == 0,
	   "paths: the default, against the working directory (/ now)");
}

/* The fallback file (the admin tool's dev secrets in a checkout): below
 * the environment and the settings file. */
static void
dotenv_fallback_child(void)
{
	struct ptl_cfg c;

	reset_env();
	unsetenv("AUTH_JWT_SECRET");
	unsetenv("AUTH_REFRESH_SECRET");
	unsetenv("AUTH_FORGOT_SECRET");
	setenv("ENV_FILE", fix_path("main.env"), 1);
	if (!ok(write_file(fix_path("main.env"),
			   "AUTH_JWT_SECRET=" STRONG "-main\n") &&
		    write_file(fix_path("secrets.env"),
			       "AUTH_JWT_SECRET=" STRONG "-fallback\n"
			       "AUTH_REFRESH_SECRET=" STRONG "-fallback\n"
			       "AUTH_FORGOT_SECRET=" STRONG "-fallback\n"
			       "DATABASE_PATH=here.db\n"),
		"write main.env and secrets.env"))
		return;
	setenv("AUTH_FORGOT_SECRET", STRONG "-env", 1);
	ptl_cfg_set_fallback(fix_path("secrets.env"));
	if (!ok(ptl_cfg_load(&c) == PTL_OK, "fallback: load"))
		return;
	is_str(c.jwt_secret, STRONG "-main",
	       "fallback: the settings file wins");
	is_str(c.refresh_secret, STRONG "-fallback",
	       "fallback: used for what the others lack");
	is_str(c.forgot_secret, STRONG "-env",
	       "fallback: the environment wins");
	is_str(c.database_path, fix_path("here.db"),
	       "fallback: its paths against its own folder");
}

static void
dotenv_secret_child(void)
{
	struct ptl_cfg c;

	reset_env();
	unsetenv("AUTH_REFRESH_SECRET");
	setenv("ENV_FILE", fix_path("env2"), 1);
	if (!ok(write_file(fix_path("env2"),
			   "AUTH_REFRESH_SECRET=secret_for_refresh\n"),
		"write second .env"))
		return;
	is_int(ptl_cfg_load(&c), PTL_ERR_INTERNAL,
	       ".env: placeholder secret from the file refused in production");
}

static void
dotenv_comment_child(void)
{
	struct ptl_cfg c;

	/* dotenv (the reference's loader) drops " # comment" after an
	 * unquoted value. */
	reset_env();
	setenv("NODE_ENV", "test", 1);
	setenv("ENV_FILE", fix_path("env3"), 1);
	if (!ok(write_file(fix_path("env3"), "APP_NAME=Portal # the name\n"),
		"write third .env"))
		return;
	ok(ptl_cfg_load(&c) == PTL_OK && strcmp(c.app_name, "Portal") == 0,
	   ".env: inline comment after an unquoted value dropped");
	diag("APP_NAME is '%s'", c.app_name);
}

/* ---- MAIL_* (ptl_cfg_load_mail) ---- */

static const char *const mail_names[] = {
    "MAIL_HOST",
    "MAIL_PORT",
    "MAIL_USER",
    "MAIL_PASSWORD",
    "MAIL_IGNORE_TLS",
    "MAIL_SECURE",
    "MAIL_REQUIRE_TLS",
    "MAIL_DEFAULT_EMAIL",
    "MAIL_DEFAULT_NAME",
    "MAIL_TEMPLATE_DIR",
    "MAIL_CONNECT_TIMEOUT_MS",
    "MAIL_TIMEOUT_MS",
};

static void
mail_unset(void)
{
	size_t i;

	for (i = 0; i < sizeof(mail_names) / sizeof(mail_names[0]); i++)
		unsetenv(mail_names[i]);
}

static void
test_mail(void)
{
	struct ptl_cfg_mail mc;

	mail_unset();
	is_int(ptl_cfg_load_mail(&mc), PTL_OK, "cfg: defaults load");
	is_str(mc.host, "localhost", "cfg: MAIL_HOST default");
	is_int(mc.port, 1025, "cfg: MAIL_PORT default");
	is_str(mc.from_email, "noreply@example.com", "cfg: sender default");
	is_str(mc.from_name, "Api", "cfg: name default");
	ok(mc.user == NULL && mc.password == NULL, "cfg: no AUTH by default");
	ok(!mc.secure && !mc.ignore_tls && !mc.require_tls, "cfg: TLS flags");
	ok(mc.connect_timeout_ms == 3000 && mc.timeout_ms == 10000,
	   "cfg: timeouts default");

	setenv("MAIL_PORT", "70000", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL, "cfg: port range");
	setenv("MAIL_PORT", "25x", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL, "cfg: port digits");
	unsetenv("MAIL_PORT");
	setenv("MAIL_SECURE", "maybe", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL, "cfg: bad boolean");
	unsetenv("MAIL_SECURE");
	setenv("MAIL_HOST", "smtp.example.com\r\nRCPT TO:<x@y.z>", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL, "cfg: CRLF in host");
	setenv("MAIL_HOST", "user@smtp.example.com", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL, "cfg: '@' in host");
	unsetenv("MAIL_HOST");
	setenv("MAIL_DEFAULT_NAME", "Api\r\nBcc: x@y.z", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL, "cfg: CRLF in name");
	unsetenv("MAIL_DEFAULT_NAME");
	setenv("MAIL_DEFAULT_EMAIL", "Api <noreply@example.com>", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL,
	       "cfg: display name in sender address");
	unsetenv("MAIL_DEFAULT_EMAIL");
	setenv("MAIL_PASSWORD", "pw", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL,
	       "cfg: password without user");
	setenv("MAIL_USER", "u", 1);
	setenv("MAIL_REQUIRE_TLS", "true", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_OK, "cfg: user, password, TLS");
	ok(mc.require_tls && mc.user != NULL, "cfg: values read");
	setenv("MAIL_IGNORE_TLS", "true", 1);
	is_int(ptl_cfg_load_mail(&mc), PTL_ERR_INTERNAL,
	       "cfg: IGNORE_TLS contradicts REQUIRE_TLS");
	unsetenv("MAIL_IGNORE_TLS");
	unsetenv("MAIL_REQUIRE_TLS");
	unsetenv("MAIL_USER");
	unsetenv("MAIL_PASSWORD");
	setenv("MAIL_CONNECT_TIMEOUT_MS", "1000", 1);
	ok(ptl_cfg_load_mail(&mc) == PTL_OK && mc.connect_timeout_ms == 1000,
	   "cfg: MAIL_CONNECT_TIMEOUT_MS read");
	mail_unset();
}

/* What the rules above leave open. */
static void
test_mail_edges(void)
{
	static const struct {
		const char *name, *value;
		bool good;
	} cases[] = {
	    {"MAIL_PORT", "", true},
	    {"MAIL_PORT", "0", false},
	    {"MAIL_PORT", "65535", true},
	    {"MAIL_TIMEOUT_MS", "0", false},
	    {"MAIL_TIMEOUT_MS", "600000", true},
	    {"MAIL_CONNECT_TIMEOUT_MS", "600001", false},
	    {"MAIL_IGNORE_TLS", "yes", true},
	    {"MAIL_REQUIRE_TLS", "2", false},
	    {"MAIL_HOST", "127.0.0.1", true},
	    {"MAIL_HOST", "::1", true},
	    {"MAIL_HOST", "[::1]", true},
	    {"MAIL_HOST", "[::1]:25", false},
	    {"MAIL_HOST", "smtp.example.com/x", false},
	    {"MAIL_HOST", "smtp%2eexample.com", false},
	    {"MAIL_HOST", "", true},
	    {"MAIL_DEFAULT_EMAIL", "jos\xc3\xa9@ex\xc3\xa4mple.com", true},
	    {"MAIL_DEFAULT_EMAIL", "\"a@b\"@example.com", false},
	    /* One address syntax, isEmail's: a TLD is required. */
	    {"MAIL_DEFAULT_EMAIL", "noreply@localhost", false},
	    {"MAIL_DEFAULT_NAME", "\xc3\x89quipe", true},
	    {"MAIL_DEFAULT_NAME", "Api\xff", false},
	};
	struct ptl_cfg_mail mc;
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mail_unset();
		setenv(cases[i].name, cases[i].value, 1);
		(void)snprintf(name, sizeof(name), "cfg: %s='%s' %s",
			       cases[i].name, cases[i].value,
			       cases[i].good ? "accepted" : "refused");
		is_int(ptl_cfg_load_mail(&mc) == PTL_OK, cases[i].good, name);
	}
	mail_unset();
	setenv("MAIL_USER", "", 1);
	setenv("MAIL_PASSWORD", "", 1);
	ok(ptl_cfg_load_mail(&mc) == PTL_OK && mc.user == NULL &&
	       mc.password == NULL,
	   "cfg: empty MAIL_USER and MAIL_PASSWORD are unset");
	mail_unset();
	setenv("MAIL_SECURE", "true", 1);
	setenv("MAIL_IGNORE_TLS", "true", 1);
	setenv("MAIL_REQUIRE_TLS", "true", 1);
	ok(ptl_cfg_load_mail(&mc) == PTL_OK && mc.secure,
	   "cfg: MAIL_SECURE wins over MAIL_IGNORE_TLS");
	mail_unset();
	setenv("MAIL_TEMPLATE_DIR", "/srv/mail", 1);
	ok(ptl_cfg_load_mail(&mc) == PTL_OK &&
	       strcmp(mc.template_dir, "/srv/mail") == 0,
	   "cfg: MAIL_TEMPLATE_DIR read");
	unsetenv("MAIL_TEMPLATE_DIR");
	ok(ptl_cfg_load_mail(&mc) == PTL_OK && mc.template_dir != NULL &&
	       *mc.template_dir != '\0',
	   "cfg: MAIL_TEMPLATE_DIR has a default");
}

/* ptl_cfg_load() reads the MAIL_* settings too, at start. */
static void
test_mail_in_load(void)
{
	struct ptl_cfg c;

	reset_env();
	mail_unset();
	setenv("MAIL_HOST", "127.0.0.1", 1);
	setenv("MAIL_PORT", "2525", 1);
	ok(ptl_cfg_load(&c) == PTL_OK &&
	       strcmp(c.mail.host, "127.0.0.1") == 0 && c.mail.port == 2525,
	   "cfg: ptl_cfg_load fills cfg.mail");
	setenv("MAIL_PORT", "70000", 1);
	is_int(ptl_cfg_load(&c), PTL_ERR_INTERNAL,
	       "cfg: a bad MAIL_* setting fails ptl_cfg_load");
	mail_unset();
}

/* The settings of the account pages (cgi-bin/pages). */
static void
test_pages(void)
{
	static const struct {
		const char *name, *value;
		bool good;
	} cases[] = {
	    {"PAGES_BASE_PATH", "/account/", true},
	    {"PAGES_BASE_PATH", "/a/b-c_d.e/", true},
	    {"PAGES_BASE_PATH", "/account", false},
	    {"PAGES_BASE_PATH", "account/", false},
	    {"PAGES_BASE_PATH", "/", false},
	    {"PAGES_BASE_PATH", "//evil/", false},
	    {"PAGES_BASE_PATH", "/a b/", false},
	    {"PAGES_BASE_PATH", "/a\"/", false},
	    {"PAGES_BASE_PATH", "/%2e/", false},
	    {"PAGES_LOGO_URL", "https://cdn.example/l.svg", true},
	    {"PAGES_LOGO_URL", "/logo.png", true},
	    {"PAGES_LOGO_URL", "javascript:alert(1)", false},
	    {"PAGES_LOGO_URL", "data:image/svg+xml,x", false},
	    {"AUTH_MAIL_LINKS", "pages", true},
	    {"AUTH_MAIL_LINKS", "frontend", true},
	    {"AUTH_MAIL_LINKS", "backend", false},
	};
	struct ptl_cfg c;
	size_t i;

	reset_env();
	is_int(ptl_cfg_load(&c), PTL_OK, "pages: defaults load");
	is_str(c.pages_base, "/account/", "PAGES_BASE_PATH defaults to /account/");
	ok(c.pages_theme_dir == NULL && c.pages_logo_url == NULL &&
	       !c.mail_links_pages,
	   "no theme, no logo, the mails link to the frontend by default");
	setenv("PAGES_THEME_DIR", "theme", 1);
	setenv("AUTH_MAIL_LINKS", "pages", 1);
	is_int(ptl_cfg_load(&c), PTL_OK, "pages: a theme loads");
	ok(c.pages_theme_dir != NULL && c.pages_theme_dir[0] == '/',
	   "PAGES_THEME_DIR is made absolute");
	ok(c.mail_links_pages, "AUTH_MAIL_LINKS=pages");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset_env();
		setenv(cases[i].name, cases[i].value, 1);
		is_int(ptl_cfg_load(&c), cases[i].good ? PTL_OK : PTL_ERR_INTERNAL,
		       cases[i].good ? "taken" : "refused");
		diag("%s='%s'", cases[i].name, cases[i].value);
	}
}

int
main(void)
{
	if (!fix_mkdtemp()) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	/* First, while this process has not read any .env: each child reads
	 * its own. */
	fix_fork(dotenv_child, ".env");
	fix_fork(dotenv_missing_child, "missing .env");
	fix_fork(dotenv_default_missing_child, "no ./.env");
	fix_fork(dotenv_paths_child, "relative paths");
	fix_fork(dotenv_fallback_child, "fallback file");
	fix_fork(dotenv_secret_child, ".env secret");
	fix_fork(dotenv_comment_child, ".env comment");
	/* No .env for the parent, whatever the working directory holds. */
	setenv("ENV_FILE", "/dev/null", 1);
	test_defaults();
	test_pages();
	test_values();
	test_secrets();
	test_cors();
	test_list_has();
	test_mail();
	test_mail_edges();
	test_mail_in_load();
	fix_rmdir(fix_dir);
	return done();
}
