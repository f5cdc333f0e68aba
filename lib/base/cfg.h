/* SPDX-License-Identifier: ISC */
/*
 * cfg: the settings, read once per process from the environment first and
 * then from a .env file (ENV_FILE, default ptl_paths_env_file(): ./.env in
 * a build tree, the installed authportal.env otherwise). Every setting is
 * listed in env-example with its default (tests/settings.sh checks it).
 * The settings that name a file or folder (DATABASE_PATH,
 * MAIL_TEMPLATE_DIR, APP_I18N_DIR) are absolute once read: a relative value is resolved
 * against the folder of the settings file it came from, or against the
 * working directory for a value of the environment or a default. cfg
 * does not touch the network or the database; it only parses and checks
 * values.
 */
#ifndef PTL_CFG_H
#define PTL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/*
 * The MAIL_* settings of the reference's mailer (API.md §4): the SMTP
 * server, the sender, the templates. Strings are process-lifetime (from
 * ptl_cfg_get() or literals); user and password are NULL when unset.
 */
struct ptl_cfg_mail {
	const char *host;         /* MAIL_HOST, "localhost" */
	unsigned port;            /* MAIL_PORT, 1025 */
	const char *user;         /* MAIL_USER: AUTH only when set */
	const char *password;     /* MAIL_PASSWORD */
	bool ignore_tls;          /* MAIL_IGNORE_TLS: never STARTTLS */
	bool secure;              /* MAIL_SECURE: implicit TLS (smtps://) */
	bool require_tls;         /* MAIL_REQUIRE_TLS: STARTTLS or fail */
	const char *from_email;   /* MAIL_DEFAULT_EMAIL, noreply@example.com */
	const char *from_name;    /* MAIL_DEFAULT_NAME, "Api" */
	const char *template_dir; /* MAIL_TEMPLATE_DIR, absolute */
	long connect_timeout_ms;  /* MAIL_CONNECT_TIMEOUT_MS, 3000 */
	long timeout_ms;          /* MAIL_TIMEOUT_MS, 10000 */
};

/* The largest AUTH_MAX_SESSIONS: the session list of a user at the limit
 * must fit into one answer (domain/session.h, PTL_SESSION_LIST_MAX). */
#define PTL_CFG_MAX_SESSIONS_LIMIT 500

struct ptl_cfg {
	const char *node_env;       /* NODE_ENV, default "production" */
	bool production;            /* NODE_ENV is not development/test */
	const char *app_name;       /* APP_NAME */
	/* Languages (API.md §12, domain/i18n.h): the message files' folder,
	 * the fallback language and the request header that names one, with
	 * the CGI variable of that header (RFC 3875 §4.1.18:
	 * "HTTP_X_CUSTOM_LANG"). */
	const char *i18n_dir;          /* APP_I18N_DIR, absolute */
	const char *fallback_language; /* APP_FALLBACK_LANGUAGE, "en" */
	const char *header_language;   /* APP_HEADER_LANGUAGE, "x-custom-lang" */
	const char *header_language_var;
	bool docs;                     /* APP_DOCS, true: /docs, /docs-json */
	const char *database_path;  /* DATABASE_PATH, absolute */
	/* DATABASE_URL: a PostgreSQL connection string (postgres://,
	 * postgresql://, or libpq's keyword=value form), which selects
	 * PostgreSQL; NULL: SQLite at database_path. May hold a password:
	 * never logged nor shown (ptl_db_describe). */
	const char *database_url;

	const char *jwt_secret;     /* AUTH_JWT_SECRET */
	const char *refresh_secret; /* AUTH_REFRESH_SECRET */
	const char *forgot_secret;  /* AUTH_FORGOT_SECRET */
	const char *confirm_secret; /* AUTH_CONFIRM_EMAIL_SECRET */
	int64_t access_ttl_ms;      /* AUTH_JWT_TOKEN_EXPIRES_IN, 15m */
	int64_t refresh_ttl_ms;     /* AUTH_REFRESH_TOKEN_EXPIRES_IN, 30d */
	int64_t forgot_ttl_ms;      /* AUTH_FORGOT_TOKEN_EXPIRES_IN, 30m */
	int64_t confirm_ttl_ms;     /* AUTH_CONFIRM_EMAIL_TOKEN_EXPIRES_IN, 1d */

	bool uniform_errors;        /* AUTH_UNIFORM_ERRORS, true */
	bool session_check;         /* AUTH_SESSION_CHECK, true */
	int64_t reuse_interval_s;   /* AUTH_REFRESH_REUSE_INTERVAL, 0 */
	size_t password_min_len;    /* AUTH_PASSWORD_MIN_LENGTH, 8 */
	size_t password_max_len;    /* 1024 bytes (API.md §10.1) */
	unsigned long long argon2_ops; /* AUTH_ARGON2_OPSLIMIT, 2 */
	size_t argon2_mem;          /* AUTH_ARGON2_MEMLIMIT_KIB, 19456, in bytes */

	const char *cors_origins;   /* APP_CORS_ORIGINS, else FRONTEND_DOMAIN, else "*" */
	const char *frontend_domain; /* FRONTEND_DOMAIN */
	const char *backend_domain; /* BACKEND_DOMAIN */
	const char *trusted_proxies; /* TRUSTED_PROXIES, comma-separated IPs */
	const char *allowed_redirects; /* AUTH_ALLOWED_REDIRECTS, or NULL */

	bool rate_limit;            /* AUTH_RATE_LIMIT, true */
	unsigned rl_login_ip;       /* AUTH_RATE_LOGIN_IP, 150 per 5 min */
	unsigned rl_login_fail;     /* AUTH_RATE_LOGIN_FAIL, 10 failed sign-ins
				     * per budget before delays begin */
	int64_t rl_login_delay_max_s; /* AUTH_RATE_LOGIN_DELAY_MAX, 900 s */
	int64_t device_ttl_ms;      /* AUTH_DEVICE_COOKIE_EXPIRES_IN, 90d */
	unsigned rl_ip;             /* AUTH_RATE_IP, 30 per 5 min (register, ...) */
	unsigned rl_mail_user;      /* AUTH_RATE_MAIL_USER, 10 mails per hour per account */
	unsigned rl_mail_ip;        /* AUTH_RATE_MAIL_IP, 30 mails per hour per IP */
	unsigned max_sessions;      /* AUTH_MAX_SESSIONS, 50 live sessions per user */

	size_t body_max;            /* 100 kB (API.md §0) */
	size_t upload_max;          /* 5 MiB: a file of an upload (§9.11) */
	const char *files_dir;      /* FILES_DIR, absolute */
	unsigned files_loose_max;   /* FILES_MAX_UNATTACHED, 10 per user */
	int busy_timeout_ms;        /* DATABASE_BUSY_TIMEOUT_MS, 10000 */
	bool backup_on_migrate;     /* DATABASE_BACKUP_ON_MIGRATE, true */
	int64_t audit_retention_days; /* AUDIT_RETENTION_DAYS, 90 (authportal gc) */
	int64_t health_mail_max_age_s; /* HEALTH_MAIL_MAX_AGE_SECONDS, 3600 */

	/* The account pages (cgi-bin/pages, API.md §10 item 36). */
	const char *pages_base;      /* PAGES_BASE_PATH, "/account/" */
	const char *pages_theme_dir; /* PAGES_THEME_DIR, absolute; NULL: none */
	const char *pages_logo_url;  /* PAGES_LOGO_URL, or NULL */
	bool mail_links_pages;       /* AUTH_MAIL_LINKS=pages (else frontend) */

	struct ptl_cfg_mail mail;   /* MAIL_*: ptl_cfg_load_mail() */

	/* Social sign-in (API.md §5.4, §10.11): credentials NULL when unset
	 * (the provider then answers providerNotConfigured); every URL has
	 * the real provider's default and passed ptl_cfg_provider_url_ok(). */
	const char *google_client_id;     /* GOOGLE_CLIENT_ID */
	const char *google_client_secret; /* GOOGLE_CLIENT_SECRET */
	const char *facebook_app_id;      /* FACEBOOK_APP_ID */
	const char *facebook_app_secret;  /* FACEBOOK_APP_SECRET */
	const char *apple_app_audience;   /* APPLE_APP_AUDIENCE, JSON array, "[]" */
	const char *github_client_id;     /* GITHUB_CLIENT_ID */
	const char *github_client_secret; /* GITHUB_CLIENT_SECRET */
	const char *google_jwks_url, *google_authorize_url, *google_token_url;
	const char *apple_jwks_url;
	const char *facebook_graph_url, *facebook_authorize_url;
	const char *github_authorize_url, *github_token_url, *github_api_url;
	long oauth_connect_timeout_ms; /* OAUTH_CONNECT_TIMEOUT_MS, 5000 */
	long oauth_timeout_ms;         /* OAUTH_TIMEOUT_MS, 10000 (total) */
	int64_t oauth_jwks_cache_s;    /* OAUTH_JWKS_CACHE_SECONDS, 3600 */
};

/*
 * Whether url may be a provider URL (API.md §10.11): https://, or http://
 * only when its host is a loopback address (127.0.0.0/8, [::1],
 * localhost), so that tests can use a local mock. The authority must be a
 * plain host and port (no userinfo, no '%' or '\\'), at most 2048 bytes,
 * no control byte or space anywhere.
 */
bool ptl_cfg_provider_url_ok(const char *url)
	__attribute__((warn_unused_result, nonnull));

/*
 * Fills cfg from the environment and the .env file, the MAIL_* settings
 * last (ptl_cfg_load_mail(), when all else is good). Strings are
 * process-lifetime; database_path and mail.template_dir are absolute.
 * Returns PTL_ERR_INTERNAL (and logs which setting is wrong) when ENV_FILE
 * names a file that cannot be read, a required secret is missing, a value
 * does not parse, or a weak secret is used outside development (API.md
 * §10.5).
 */
enum ptl_err ptl_cfg_load(struct ptl_cfg *cfg)
	__attribute__((warn_unused_result));

/*
 * Fills mc from the MAIL_* settings alone. Empty values count as unset.
 * MAIL_TEMPLATE_DIR defaults to ptl_paths_mail_templates() (the installed
 * templates, or the source tree's for a program that runs from its build
 * tree: base/paths.h).
 * MAIL_SECURE wins over MAIL_IGNORE_TLS (which only concerns STARTTLS, as
 * in nodemailer); MAIL_IGNORE_TLS with MAIL_REQUIRE_TLS is a
 * contradiction. AUTH over a connection that may stay plain is allowed but
 * logged as a warning.
 * Returns PTL_OK, or PTL_ERR_INTERNAL with one log line naming the setting
 * when a value does not parse (booleans: true/false/1/0/yes/no; port
 * 1-65535; timeouts 1-600000 ms), the host fails ptl_cfg_host_ok(), the
 * sender address fails ptl_mime_addr_ok() (an isEmail address, so a domain
 * with a TLD) or the sender name ptl_mime_text_ok() (base/mime.h), or
 * MAIL_PASSWORD is set without MAIL_USER.
 */
enum ptl_err ptl_cfg_load_mail(struct ptl_cfg_mail *mc)
	__attribute__((warn_unused_result, nonnull));

/* Whether s is a host name or IPv4 address, or an IPv6 address with or
 * without brackets: nothing that could change the meaning of an smtp://
 * URL (no port, user, path or percent sign). At most 253 bytes. */
bool ptl_cfg_host_ok(const char *s) __attribute__((warn_unused_result, nonnull));

/* The value of a setting: environment first, then the settings file, then
 * the fallback file (ptl_cfg_set_fallback); NULL if unset. An empty value
 * in a file gives way to a value in the fallback file. A relative
 * value of a path setting comes back absolute (see the top of this file).
 * Reads the settings file on first use. Process-lifetime. */
const char *ptl_cfg_get(const char *name);

/* The settings file that was read, as an absolute path; NULL when there
 * was none (no ./.env, or ENV_FILE could not be read). Process-lifetime. */
const char *ptl_cfg_file(void);

/* Names a second settings file, read after the first and below it: a
 * setting it holds is used only when neither the environment nor the
 * first file has it (the admin tool's development secrets in a checkout).
 * A missing file is no error. Call it before the first ptl_cfg_get() or
 * ptl_cfg_load(): each process reads its files once. path is copied. */
void ptl_cfg_set_fallback(const char *path) __attribute__((nonnull));

/* Whether s is a PostgreSQL connection string: a postgres:// or
 * postgresql:// URI, or libpq's keyword=value form (a first word of
 * letters and '_' followed by '='). */
bool ptl_cfg_is_pg_url(const char *s) __attribute__((nonnull));

/* The list a,b,c (trimmed) contains s[0..len), exactly. */
bool ptl_cfg_list_has(const char *list, const char *s, size_t len);

#endif
