/* SPDX-License-Identifier: ISC */
/*
 * cfg: see cfg.h. The .env parser takes KEY=VALUE lines, '#' comments, an
 * optional "export " prefix and single or double quotes around the value.
 * The settings whose value names a file or folder (path_settings[]) are
 * made absolute as they are read, so that every process of a deployment
 * finds the same file whatever its working directory: a FastCGI worker's
 * is seldom the administrator's (lighttpd starts it in the folder of the
 * executable).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
/* The settings file that was read (absolute), or NULL; the error of the
 * file that ENV_FILE names when it could not be read (0: none). */
static char *dotenv_path;
static char *dotenv_failed;
static int dotenv_errno;
static char *fallback_path;

/* Settings whose value is a path; a relative one is resolved once. */
static const char *const path_settings[] = {
	"DATABASE_PATH",
	"MAIL_TEMPLATE_DIR",
	"APP_I18N_DIR",
	"FILES_DIR",
};

static char *
xstrndup(const char *s, size_t n)
{
	char *p = ptl_mem_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static bool
is_path_setting(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(path_settings) / sizeof(path_settings[0]); i++) {
		if (strcmp(name, path_settings[i]) == 0)
			return true;
	}
	return false;
}

/* dir/rel, without the leading "./" of rel ("." alone is dir itself):
 * malloc'd, kept for the life of the process. dir is absolute. */
static char *
join(const char *dir, const char *rel)
{
	size_t dlen = strlen(dir), rlen;
	char *p;

	while (rel[0] == '.' && rel[1] == '/') {
		rel += 2;
		while (*rel == '/')
			rel++;
	}
	if (strcmp(rel, ".") == 0)
		rel = "";
	rlen = strlen(rel);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	p = ptl_mem_xmalloc(dlen + rlen + 2);
	memcpy(p, dir, dlen);
	if (rlen > 0 && dir[dlen - 1] != '/')
		p[dlen++] = '/';
	memcpy(p + dlen, rel, rlen + 1);
	return p;
}

/* rel made absolute against the working directory (kept as it is, and
 * logged, when that cannot be found). malloc'd. */
static char *
from_cwd(const char *rel)
{
	char *cwd = getcwd(NULL, 0);
	char *p;

	if (cwd == NULL) {
		PTL_LOG_WARN("cannot find the working directory (%s): %s stays "
			     "relative", strerror(errno), rel);
		return xstrndup(rel, strlen(rel));
	}
	p = join(cwd, rel);
	free(cwd);
	return p;
}

/* The absolute folder of the file at path. malloc'd. */
static char *
folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	if (slash == NULL)
		return from_cwd(".");
	if (slash == path)
		return xstrndup("/", 1);
	dir = xstrndup(path, (size_t)(slash - path));
	if (dir[0] == '/')
		return dir;
	abs = from_cwd(dir);
	free(dir);
	return abs;
}

/*
 * The relative paths of the environment and of the defaults, made
 * absolute against the working directory when first asked for and kept
 * (a later setenv() of another value adds a node): the answer does not
 * change when the process changes its directory later.
 */
struct env_path {
	struct env_path *next;
	char *name, *raw, *abs;
};
static struct env_path *env_paths;

static const char *
absolute(const char *name, const char *raw)
{
	struct env_path *p;

	if (raw[0] == '/' || raw[0] == '\0')
		return raw;
	for (p = env_paths; p != NULL; p = p->next) {
		if (strcmp(p->name, name) == 0 && strcmp(p->raw, raw) == 0)
			return p->abs;
	}
	p = ptl_mem_xmalloc(sizeof(*p));
	p->name = xstrndup(name, strlen(name));
	p->raw = xstrndup(raw, strlen(raw));
	p->abs = from_cwd(raw);
	p->next = env_paths;
	env_paths = p;
	return p->abs;
}

/* One line of a settings file in the folder dir (absolute). */
static void
dotenv_line(char *line, const char *dir)
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
	if (is_path_setting(key) && val[0] != '/' && val[0] != '\0')
		dotenv[dotenv_len].value = join(dir, val);
	else
		dotenv[dotenv_len].value = xstrndup(val, strlen(val));
	dotenv_len++;
}

/* Reads the settings file at path; required: ENV_FILE named it, so that
 * a file that cannot be read is an error (ptl_cfg_load reports it);
 * primary: it is the settings file (not the fallback). */
static void
dotenv_read(const char *path, bool required, bool primary)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	char *dir;

	if (f == NULL) {
		if (required) {
			dotenv_errno = errno != 0 ? errno : ENOENT;
			dotenv_failed = xstrndup(path, strlen(path));
		}
		return;
	}
	dir = folder_of(path);
	if (primary)
		dotenv_path = path[0] == '/' ? xstrndup(path, strlen(path))
					     : from_cwd(path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		dotenv_line(line, dir);
	}
	(void)fclose(f);
	free(dir);
}

static void
dotenv_load(void)
{
	const char *path = getenv("ENV_FILE");
	bool named = path != NULL && *path != '\0';

	dotenv_loaded = true;
	dotenv_read(named ? path : ptl_paths_env_file(), named, true);
	if (fallback_path != NULL)
		dotenv_read(fallback_path, false, false);
}

void
ptl_cfg_set_fallback(const char *path)
{
	free(fallback_path);
	fallback_path = xstrndup(path, strlen(path));
}

const char *
ptl_cfg_file(void)
{
	if (!dotenv_loaded)
		dotenv_load();
	return dotenv_path;
}

const char *
ptl_cfg_get(const char *name)
{
	const char *v = getenv(name);
	size_t i;

	if (v != NULL)
		return is_path_setting(name) ? absolute(name, v) : v;
	if (!dotenv_loaded)
		dotenv_load();
	/* The first value that is not empty: an empty one in the settings
	 * file (env-example lists every setting, most of them empty) does
	 * not hide the fallback file's. */
	for (i = 0; i < dotenv_len; i++) {
		if (strcmp(dotenv[i].key, name) != 0)
			continue;
		if (dotenv[i].value[0] != '\0')
			return dotenv[i].value;
		if (v == NULL)
			v = dotenv[i].value;
	}
	return v;
}

bool
ptl_cfg_is_pg_url(const char *s)
{
	size_t n = 0;

	if (strncmp(s, "postgres://", 11) == 0 ||
	    strncmp(s, "postgresql://", 13) == 0)
		return true;
	while (s[n] == ' ' || s[n] == '\t')
		n++;
	if (!((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_'))
		return false;
	while ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_')
		n++;
	while (s[n] == ' ' || s[n] == '\t')
		n++;
	return s[n] == '=';
}

static const char *
str_or(const char *name, const char *def)
{
	const char *v = ptl_cfg_get(name);

	return v != NULL && *v != '\0' ? v : def;
}

/* A path setting, or its default, absolute (NULL only for a NULL def). */
static const char *
path_or(const char *name, const char *def)
{
	const char *v = str_or(name, def);

	return v != NULL ? absolute(name, v) : NULL;
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

/* A provider URL setting, or its default, checked (cfg.h). */
static bool
provider_url(const char *name, const char *def, const char **out)
{
	*out = str_or(name, def);
	if (ptl_cfg_provider_url_ok(*out))
		return true;
	PTL_LOG_ERR("setting %s: a provider URL must be https:// (http:// only "
		    "for a loopback host); refusing to start", name);
	return false;
}

/* The social sign-in settings (API.md §5.4). */
static bool
load_social(struct ptl_cfg *cfg)
{
	int64_t v = 0;
	bool good = true;

	cfg->google_client_id = str_or("GOOGLE_CLIENT_ID", NULL);
	cfg->google_client_secret = str_or("GOOGLE_CLIENT_SECRET", NULL);
	cfg->facebook_app_id = str_or("FACEBOOK_APP_ID", NULL);
	cfg->facebook_app_secret = str_or("FACEBOOK_APP_SECRET", NULL);
	cfg->apple_app_audience = str_or("APPLE_APP_AUDIENCE", "[]");
	cfg->github_client_id = str_or("GITHUB_CLIENT_ID", NULL);
	cfg->github_client_secret = str_or("GITHUB_CLIENT_SECRET", NULL);
	good = good && provider_url("GOOGLE_JWKS_URL",
				    "https://www.googleapis.com/oauth2/v3/certs",
				    &cfg->google_jwks_url);
	good = good && provider_url("GOOGLE_AUTHORIZE_URL",
				    "https://accounts.google.com/o/oauth2/v2/auth",
				    &cfg->google_authorize_url);
	good = good && provider_url("GOOGLE_TOKEN_URL",
				    "https://oauth2.googleapis.com/token",
				    &cfg->google_token_url);
	good = good && provider_url("APPLE_JWKS_URL",
				    "https://appleid.apple.com/auth/keys",
				    &cfg->apple_jwks_url);
	good = good && provider_url("FACEBOOK_GRAPH_URL",
				    "https://graph.facebook.com",
				    &cfg->facebook_graph_url);
	good = good && provider_url("FACEBOOK_AUTHORIZE_URL",
				    "https://www.facebook.com/v23.0/dialog/oauth",
				    &cfg->facebook_authorize_url);
	good = good && provider_url("GITHUB_AUTHORIZE_URL",
				    "https://github.com/login/oauth/authorize",
				    &cfg->github_authorize_url);
	good = good && provider_url("GITHUB_TOKEN_URL",
				    "https://github.com/login/oauth/access_token",
				    &cfg->github_token_url);
	good = good && provider_url("GITHUB_API_URL", "https://api.github.com",
				    &cfg->github_api_url);
	good = good && get_int("OAUTH_CONNECT_TIMEOUT_MS", 5000, 1, 600000, &v);
	cfg->oauth_connect_timeout_ms = (long)v;
	good = good && get_int("OAUTH_TIMEOUT_MS", 10000, 1, 600000, &v);
	cfg->oauth_timeout_ms = (long)v;
	good = good && get_int("OAUTH_JWKS_CACHE_SECONDS", 3600, 0, 604800,
			       &cfg->oauth_jwks_cache_s);
	return good;
}

/* Longest APP_HEADER_LANGUAGE and APP_FALLBACK_LANGUAGE. */
#define LANG_SETTING_MAX 64

/* The language settings (API.md §12.1). The header name is a field name
 * (RFC 9110 §5.1) of letters, digits and '-', the only characters whose
 * CGI variable is unambiguous; the name is compared without case, as a
 * field name is (API.md §10 item 28). Whether the fallback is shipped is
 * checked where the message files are loaded (domain/i18n.h). */
static bool
get_languages(struct ptl_cfg *cfg)
{
	const char *h = str_or("APP_HEADER_LANGUAGE", "x-custom-lang");
	const char *f = str_or("APP_FALLBACK_LANGUAGE", "en");
	static char var[LANG_SETTING_MAX + 6];
	size_t i, len = strlen(h);

	cfg->i18n_dir = path_or("APP_I18N_DIR", ptl_paths_i18n());
	if (len > LANG_SETTING_MAX || strspn(h, "abcdefghijklmnopqrstuvwxyz"
					     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789-") != len) {
		PTL_LOG_ERR("setting APP_HEADER_LANGUAGE: not a header name "
			    "(letters, digits and '-', at most %d)",
			    LANG_SETTING_MAX);
		return false;
	}
	/* The two fields CGI passes without an HTTP_ variable (RFC 3875
	 * §4.1.2, §4.1.3): a language header of that name would never be
	 * seen. */
	if (strcasecmp(h, "content-type") == 0 ||
	    strcasecmp(h, "content-length") == 0) {
		PTL_LOG_ERR("setting APP_HEADER_LANGUAGE: %s is not a header "
			    "the programs can read", h);
		return false;
	}
	if (strlen(f) > LANG_SETTING_MAX) {
		PTL_LOG_ERR("setting APP_FALLBACK_LANGUAGE: longer than %d "
			    "bytes", LANG_SETTING_MAX);
		return false;
	}
	memcpy(var, "HTTP_", 5);
	for (i = 0; i < len; i++)
		var[5 + i] = h[i] == '-' ? '_' : (char)toupper((unsigned char)h[i]);
	var[5 + len] = '\0';
	cfg->header_language = h;
	cfg->header_language_var = var;
	cfg->fallback_language = f;
	return true;
}

/* A base path of the pages: "/", then segments of [A-Za-z0-9._-] each
 * ending in "/" (it is matched against request paths and written into
 * links and Location headers unescaped). */
static bool
base_path_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 64 || s[0] != '/' || s[n - 1] != '/')
		return false;
	for (i = 1; i < n; i++) {
		if (s[i] == '/' ? s[i - 1] == '/'
				: !isalnum((unsigned char)s[i]) &&
					  strchr("._-", s[i]) == NULL)
			return false;
	}
	return true;
}

/* The settings of the account pages (cgi-bin/pages). */
static bool
load_pages(struct ptl_cfg *cfg)
{
	const char *links = str_or("AUTH_MAIL_LINKS", "frontend");

	cfg->pages_base = str_or("PAGES_BASE_PATH", "/account/");
	cfg->pages_theme_dir = path_or("PAGES_THEME_DIR", NULL);
	cfg->pages_logo_url = str_or("PAGES_LOGO_URL", NULL);
	if (!base_path_ok(cfg->pages_base)) {
		PTL_LOG_ERR("setting PAGES_BASE_PATH: a path such as /account/ "
			    "(letters, digits, '.', '_', '-'; starting and "
			    "ending with '/')");
		return false;
	}
	if (cfg->pages_logo_url != NULL &&
	    strncmp(cfg->pages_logo_url, "https://", 8) != 0 &&
	    strncmp(cfg->pages_logo_url, "http://", 7) != 0 &&
	    cfg->pages_logo_url[0] != '/') {
		PTL_LOG_ERR("setting PAGES_LOGO_URL: an http(s) URL or a path");
		return false;
	}
	if (strcmp(links, "frontend") != 0 && strcmp(links, "pages") != 0) {
		PTL_LOG_ERR("setting AUTH_MAIL_LINKS: frontend or pages");
		return false;
	}
	cfg->mail_links_pages = strcmp(links, "pages") == 0;
	return true;
}

enum ptl_err
ptl_cfg_load(struct ptl_cfg *cfg)
{
	int64_t v = 0;
	bool good = true;

	memset(cfg, 0, sizeof(*cfg));
	if (!dotenv_loaded)
		dotenv_load();
	if (dotenv_errno != 0) {
		PTL_LOG_ERR("setting ENV_FILE: cannot read %s: %s",
			    dotenv_failed, strerror(dotenv_errno));
		return PTL_ERR_INTERNAL;
	}
	cfg->node_env = str_or("NODE_ENV", "production");
	cfg->production = strcmp(cfg->node_env, "development") != 0 &&
			  strcmp(cfg->node_env, "test") != 0;
	cfg->app_name = str_or("APP_NAME", "authportal");
	cfg->database_path = path_or("DATABASE_PATH", ptl_paths_database());
	cfg->database_url = str_or("DATABASE_URL", NULL);
	if (cfg->database_url != NULL && !ptl_cfg_is_pg_url(cfg->database_url)) {
		/* Not echoed: it may hold a password. */
		PTL_LOG_ERR("setting DATABASE_URL: a PostgreSQL connection "
			    "string, postgresql://USER@HOST/DB or "
			    "host=HOST dbname=DB (unset it to use SQLite at "
			    "DATABASE_PATH)");
		good = false;
	}
	cfg->frontend_domain = str_or("FRONTEND_DOMAIN", NULL);
	cfg->backend_domain = str_or("BACKEND_DOMAIN", NULL);
	cfg->cors_origins = str_or("APP_CORS_ORIGINS", cfg->frontend_domain);
	if (cfg->cors_origins == NULL)
		cfg->cors_origins = "*";
	cfg->trusted_proxies = str_or("TRUSTED_PROXIES", "");
	cfg->allowed_redirects = str_or("AUTH_ALLOWED_REDIRECTS", NULL);
	cfg->body_max = 100 * 1024;
	cfg->upload_max = 5 * 1024 * 1024; /* the reference's 5 MB */
	cfg->files_dir = path_or("FILES_DIR", ptl_paths_files());
	cfg->password_max_len = 1024;

	good = good && load_secrets(cfg);
	good = good && get_languages(cfg);
	good = good && get_bool("APP_DOCS", true, &cfg->docs);
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
	good = good && get_bool("DATABASE_BACKUP_ON_MIGRATE", true,
				&cfg->backup_on_migrate);
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
	good = good && get_int("FILES_MAX_UNATTACHED", 10, 1, 1000, &v);
	cfg->files_loose_max = (unsigned)v;
	good = good && get_int("DATABASE_BUSY_TIMEOUT_MS", 10000, 100, 600000, &v);
	cfg->busy_timeout_ms = (int)v;
	good = good && get_int("AUDIT_RETENTION_DAYS", 90, 1, 36500,
			       &cfg->audit_retention_days);
	good = good && get_int("HEALTH_MAIL_MAX_AGE_SECONDS", 3600, 1,
			       365 * 86400, &cfg->health_mail_max_age_s);
	good = good && load_pages(cfg);
	if (cfg->production && cfg->argon2_mem < 19456 * 1024) {
		PTL_LOG_WARN("AUTH_ARGON2_MEMLIMIT_KIB is below the OWASP minimum");
	}
	good = good && load_social(cfg);
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
	mc->template_dir = path_or("MAIL_TEMPLATE_DIR", ptl_paths_mail_templates());
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

/* Whether host[0..len) is a loopback name or address: localhost,
 * 127.0.0.0/8 as a dotted quad, or [::1]. */
static bool
loopback_host(const char *host, size_t len)
{
	unsigned parts = 0, val = 0, digits = 0;
	size_t i;

	if (ptl_str_ieq(host, len, "localhost") || ptl_str_ieq(host, len, "[::1]"))
		return true;
	if (len < 9 || strncmp(host, "127.", 4) != 0)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || host[i] == '.') {
			if (digits == 0 || val > 255)
				return false;
			parts++;
			val = 0;
			digits = 0;
		} else if (isdigit((unsigned char)host[i]) && digits < 3) {
			val = val * 10 + (unsigned)(host[i] - '0');
			digits++;
		} else {
			return false;
		}
	}
	return parts == 4;
}

bool
ptl_cfg_provider_url_ok(const char *url)
{
	const char *p, *end, *host_end;
	bool https;
	size_t i;

	if (strlen(url) > 2048)
		return false;
	for (i = 0; url[i] != '\0'; i++) {
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f ||
		    url[i] == '\\')
			return false;
	}
	https = strncmp(url, "https://", 8) == 0;
	if (!https && strncmp(url, "http://", 7) != 0)
		return false;
	p = url + (https ? 8 : 7);
	end = p + strcspn(p, "/?#");
	if (end == p)
		return false;
	for (i = 0; p + i < end; i++) {
		if (!isalnum((unsigned char)p[i]) &&
		    strchr("-._[]:", p[i]) == NULL)
			return false;
	}
	/* The host ends at the port's ':' (after a bracketed literal's ']'). */
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(end - p));
		if (host_end == NULL)
			return false;
		host_end++;
		if (host_end != end && *host_end != ':')
			return false;
	} else {
		host_end = memchr(p, ':', (size_t)(end - p));
		if (host_end == NULL)
			host_end = end;
	}
	if (host_end == p)
		return false;
	return https || loopback_host(p, (size_t)(host_end - p));
}
