/* SPDX-License-Identifier: ISC */
/*
 * cfg: see cfg.h. The .env parser takes KEY=VALUE lines, '#' comments, an
 * optional "export " prefix and single or double quotes around the value.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cfg.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/mime.h"
#include "base/paths.h"
#include "base/str.h"

#define DOTENV_MAX 256

static struct {
	char *key;
	char *value;
} dotenv[DOTENV_MAX];
static size_t dotenv_len;
static bool dotenv_loaded;

static char *
xstrndup(const char *s, size_t n)
{
	char *p = ptl_mem_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void
dotenv_line(char *line)
{
	char *eq, *key, *val, *end;

	while (isspace((unsigned char)*line))
		line++;
	if (*line == '#' || *line == '\0')
		return;
	if (strncmp(line, "export ", 7) == 0)
		line += 7;
	eq = strchr(line, '=');
	if (eq == NULL)
		return;
	key = line;
	end = eq;
	while (end > key && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	val = eq + 1;
	while (isspace((unsigned char)*val))
		val++;
	end = val + strlen(val);
	while (end > val && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	if (end - val >= 2 && (*val == '"' || *val == '\'') && end[-1] == *val) {
		val++;
		end[-1] = '\0';
	} else {
		/* Unquoted: " #" starts a comment, as in dotenv. */
		char *hash = strstr(val, " #");
		char *tab = strstr(val, "\t#");

		if (tab != NULL && (hash == NULL || tab < hash))
			hash = tab;
		if (hash != NULL) {
			*hash = '\0';
			end = hash;
			while (end > val && isspace((unsigned char)end[-1]))
				*--end = '\0';
		}
	}
	if (dotenv_len == DOTENV_MAX)
		return;
	dotenv[dotenv_len].key = xstrndup(key, strlen(key));
	dotenv[dotenv_len].value = xstrndup(val, strlen(val));
	dotenv_len++;
}

static void
dotenv_load(void)
{
	const char *path = getenv("ENV_FILE");
	char line[4096];
	FILE *f;

	dotenv_loaded = true;
	if (path == NULL || *path == '\0')
		path = ptl_paths_env_file();
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		dotenv_line(line);
	}
	(void)fclose(f);
}

const char *
ptl_cfg_get(const char *name)
{
	const char *v = getenv(name);
	size_t i;

	if (v != NULL)
		return v;
	if (!dotenv_loaded)
		dotenv_load();
	for (i = 0; i < dotenv_len; i++) {
		if (strcmp(dotenv[i].key, name) == 0)
			return dotenv[i].value;
	}
	return NULL;
}

static const char *
str_or(const char *name, const char *def)
{
	const char *v = ptl_cfg_get(name);

	return v != NULL && *v != '\0' ? v : def;
}

static bool
get_bool(const char *name, bool def, bool *out)
{
	const char *v = ptl_cfg_get(name);

	if (v == NULL || *v == '\0') {
		*out = def;
		return true;
	}
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "yes") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcmp(v, "no") == 0) {
		*out = false;
		return true;
	}
	PTL_LOG_ERR("setting %s: not a boolean", name);
	return false;
}

static bool
get_int(const char *name, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	const char *v = ptl_cfg_get(name);

	if (v == NULL || *v == '\0') {
		*out = def;
		return true;
	}
	if (!ptl_str_to_i64(v, strlen(v), min, max, out)) {
		PTL_LOG_ERR("setting %s: not an integer in [%lld, %lld]", name,
			    (long long)min, (long long)max);
		return false;
	}
	return true;
}

static bool
get_duration(const char *name, const char *def, int64_t *out)
{
	const char *v = str_or(name, def);

	if (!ptl_str_duration_ms(v, out) || *out <= 0) {
		PTL_LOG_ERR("setting %s: not a duration (e.g. 15m, 30d)", name);
		return false;
	}
	return true;
}

/* The placeholders of the reference's env-example (API.md §3.1). */
static const char *const placeholders[] = {
	"secret", "secret_for_refresh", "secret_for_forgot",
	"secret_for_confirm_email", "change-me",
};

static bool
check_secret(const struct ptl_cfg *cfg, const char *name, const char *v)
{
	size_t i;
	bool weak = strlen(v) < 32;

	for (i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++) {
		if (strcmp(v, placeholders[i]) == 0)
			weak = true;
	}
	if (!weak)
		return true;
	if (cfg->production) {
		PTL_LOG_ERR("setting %s: shorter than 32 bytes or a placeholder; "
			    "refusing to start (NODE_ENV=%s); run "
			    "'authportal keygen'", name, cfg->node_env);
		return false;
	}
	PTL_LOG_WARN("setting %s is weak (fine for development only)", name);
	return true;
}

static bool
load_secrets(struct ptl_cfg *cfg)
{
	static const struct {
		const char *name;
		size_t off;
	} secrets[] = {
		{"AUTH_JWT_SECRET", offsetof(struct ptl_cfg, jwt_secret)},
		{"AUTH_REFRESH_SECRET", offsetof(struct ptl_cfg, refresh_secret)},
		{"AUTH_FORGOT_SECRET", offsetof(struct ptl_cfg, forgot_secret)},
		{"AUTH_CONFIRM_EMAIL_SECRET",
		 offsetof(struct ptl_cfg, confirm_secret)},
	};
	size_t i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		const char *v = ptl_cfg_get(secrets[i].name);

		if (v == NULL || *v == '\0') {
			PTL_LOG_ERR("setting %s is required (authportal keygen "
				    "prints fresh secrets)", secrets[i].name);
			return false;
		}
		if (!check_secret(cfg, secrets[i].name, v))
			return false;
		*(const char **)((char *)cfg + secrets[i].off) = v;
	}
	return true;
}

enum ptl_err
ptl_cfg_load(struct ptl_cfg *cfg)
{
	int64_t v = 0;
	bool good = true;

	memset(cfg, 0, sizeof(*cfg));
	cfg->node_env = str_or("NODE_ENV", "production");
	cfg->production = strcmp(cfg->node_env, "development") != 0 &&
			  strcmp(cfg->node_env, "test") != 0;
	cfg->app_name = str_or("APP_NAME", "authportal");
	cfg->database_path = str_or("DATABASE_PATH", ptl_paths_database());
	cfg->frontend_domain = str_or("FRONTEND_DOMAIN", NULL);
	cfg->backend_domain = str_or("BACKEND_DOMAIN", NULL);
	cfg->cors_origins = str_or("APP_CORS_ORIGINS", cfg->frontend_domain);
	if (cfg->cors_origins == NULL)
		cfg->cors_origins = "*";
	cfg->trusted_proxies = str_or("TRUSTED_PROXIES", "");
	cfg->allowed_redirects = str_or("AUTH_ALLOWED_REDIRECTS", NULL);
	cfg->body_max = 100 * 1024;
	cfg->password_max_len = 1024;

	good = good && load_secrets(cfg);
	good = good && get_duration("AUTH_JWT_TOKEN_EXPIRES_IN", "15m",
				    &cfg->access_ttl_ms);
	good = good && get_duration("AUTH_REFRESH_TOKEN_EXPIRES_IN", "30d",
				    &cfg->refresh_ttl_ms);
	good = good && get_duration("AUTH_FORGOT_TOKEN_EXPIRES_IN", "30m",
				    &cfg->forgot_ttl_ms);
	good = good && get_duration("AUTH_CONFIRM_EMAIL_TOKEN_EXPIRES_IN", "1d",
				    &cfg->confirm_ttl_ms);
	good = good && get_bool("AUTH_UNIFORM_ERRORS", true, &cfg->uniform_errors);
	good = good && get_bool("AUTH_SESSION_CHECK", true, &cfg->session_check);
	good = good && get_bool("AUTH_RATE_LIMIT", true, &cfg->rate_limit);
	good = good && get_int("AUTH_REFRESH_REUSE_INTERVAL", 0, 0, 86400,
			       &cfg->reuse_interval_s);
	good = good && get_int("AUTH_PASSWORD_MIN_LENGTH", 8, 1, 1024, &v);
	cfg->password_min_len = (size_t)v;
	/* OWASP minimum for Argon2id: m=19 MiB, t=2, p=1 (API.md §10.1). */
	good = good && get_int("AUTH_ARGON2_OPSLIMIT", 2, 1, 10, &v);
	cfg->argon2_ops = (unsigned long long)v;
	good = good && get_int("AUTH_ARGON2_MEMLIMIT_KIB", 19456, 8, 1048576, &v);
	cfg->argon2_mem = (size_t)v * 1024;
	good = good && get_int("AUTH_RATE_LOGIN_IP", 150, 1, 1000000, &v);
	cfg->rl_login_ip = (unsigned)v;
	good = good && get_int("AUTH_RATE_LOGIN_FAIL", 10, 1, 1000000, &v);
	cfg->rl_login_fail = (unsigned)v;
	good = good && get_int("AUTH_RATE_LOGIN_DELAY_MAX", 900, 1, 86400,
			       &cfg->rl_login_delay_max_s);
	good = good && get_duration("AUTH_DEVICE_COOKIE_EXPIRES_IN", "90d",
				    &cfg->device_ttl_ms);
	good = good && get_int("AUTH_RATE_IP", 30, 1, 1000000, &v);
	cfg->rl_ip = (unsigned)v;
	good = good && get_int("AUTH_RATE_MAIL_USER", 10, 1, 1000000, &v);
	cfg->rl_mail_user = (unsigned)v;
	good = good && get_int("AUTH_RATE_MAIL_IP", 30, 1, 1000000, &v);
	cfg->rl_mail_ip = (unsigned)v;
	good = good && get_int("AUTH_MAX_SESSIONS", 50, 1,
			       PTL_CFG_MAX_SESSIONS_LIMIT, &v);
	cfg->max_sessions = (unsigned)v;
	good = good && get_int("DATABASE_BUSY_TIMEOUT_MS", 10000, 100, 600000, &v);
	cfg->busy_timeout_ms = (int)v;
	good = good && get_int("AUDIT_RETENTION_DAYS", 90, 1, 36500,
			       &cfg->audit_retention_days);
	if (cfg->production && cfg->argon2_mem < 19456 * 1024) {
		PTL_LOG_WARN("AUTH_ARGON2_MEMLIMIT_KIB is below the OWASP minimum");
	}
	if (!good)
		return PTL_ERR_INTERNAL;
	return ptl_cfg_load_mail(&cfg->mail);
}

bool
ptl_cfg_list_has(const char *list, const char *s, size_t len)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		const char *e = end != NULL ? end : p + strlen(p);
		const char *b = p;

		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if ((size_t)(e - b) == len && memcmp(b, s, len) == 0)
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* ---- MAIL_* ---- */

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool
ptl_cfg_host_ok(const char *s)
{
	static const char ipv6[] = "0123456789abcdefABCDEF:.";
	size_t i, len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	if (s[0] == '[')
		return len > 2 && s[len - 1] == ']' &&
		       strspn(s + 1, ipv6) == len - 2;
	if (strchr(s, ':') != NULL)
		return strspn(s, ipv6) == len;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_alnum(c) && c != '.' && c != '-' && c != '_')
			return false;
	}
	return true;
}

/* The rules between settings, and the values that reach a header. */
static bool
check_mail(const struct ptl_cfg_mail *mc)
{
	if (!ptl_cfg_host_ok(mc->host)) {
		PTL_LOG_ERR("setting MAIL_HOST: not a host name or IP address");
		return false;
	}
	if (!ptl_mime_addr_ok(mc->from_email)) {
		PTL_LOG_ERR("setting MAIL_DEFAULT_EMAIL: not a plain address "
			    "(local@domain)");
		return false;
	}
	if (!ptl_mime_text_ok(mc->from_name, PTL_MIME_TEXT_MAX)) {
		PTL_LOG_ERR(
		    "setting MAIL_DEFAULT_NAME: control characters, bad "
		    "UTF-8 or longer than %d bytes",
		    PTL_MIME_TEXT_MAX);
		return false;
	}
	if (mc->password != NULL && mc->user == NULL) {
		PTL_LOG_ERR("setting MAIL_PASSWORD is set without MAIL_USER");
		return false;
	}
	if (mc->ignore_tls && mc->require_tls && !mc->secure) {
		PTL_LOG_ERR(
		    "setting MAIL_REQUIRE_TLS contradicts MAIL_IGNORE_TLS");
		return false;
	}
	if (mc->user != NULL && !mc->secure && !mc->require_tls)
		PTL_LOG_WARN(
		    "setting MAIL_USER without MAIL_SECURE or "
		    "MAIL_REQUIRE_TLS: the password may travel in clear");
	return true;
}

enum ptl_err
ptl_cfg_load_mail(struct ptl_cfg_mail *mc)
{
	int64_t port = 0, connect_ms = 0, total_ms = 0;
	bool good = true;

	memset(mc, 0, sizeof(*mc));
	mc->host = str_or("MAIL_HOST", "localhost");
	mc->user = str_or("MAIL_USER", NULL);
	mc->password = str_or("MAIL_PASSWORD", NULL);
	mc->from_email = str_or("MAIL_DEFAULT_EMAIL", "noreply@example.com");
	mc->from_name = str_or("MAIL_DEFAULT_NAME", "Api");
	mc->template_dir = str_or("MAIL_TEMPLATE_DIR", ptl_paths_mail_templates());
	good = good && get_int("MAIL_PORT", 1025, 1, 65535, &port);
	good = good &&
	       get_int("MAIL_CONNECT_TIMEOUT_MS", 3000, 1, 600000, &connect_ms);
	good = good && get_int("MAIL_TIMEOUT_MS", 10000, 1, 600000, &total_ms);
	good = good && get_bool("MAIL_IGNORE_TLS", false, &mc->ignore_tls);
	good = good && get_bool("MAIL_SECURE", false, &mc->secure);
	good = good && get_bool("MAIL_REQUIRE_TLS", false, &mc->require_tls);
	if (!good)
		return PTL_ERR_INTERNAL;
	mc->port = (unsigned)port;
	mc->connect_timeout_ms = (long)connect_ms;
	mc->timeout_ms = (long)total_ms;
	return check_mail(mc) ? PTL_OK : PTL_ERR_INTERNAL;
}
