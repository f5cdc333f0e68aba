/* SPDX-License-Identifier: ISC */
/*
 * authportal: the admin command line. Reads the same settings as the
 * server (environment, then .env) and works on the same database.
 *   authportal migrate                 create/upgrade the database
 *   authportal seed                    add the demo users (API.md §7)
 *   authportal keygen                  print fresh secrets for .env
 *   authportal check-config            load the settings and report
 *   authportal user add EMAIL [--password PW] [--first F] [--last L]
 *                       [--admin] [--inactive]
 *   authportal user list
 *   authportal user disable EMAIL
 *   authportal session list [EMAIL]
 *   authportal session revoke ID
 *   authportal mail flush              deliver every queued mail now (cron)
 *   authportal mail list [N]           the last N outbox rows (default 50)
 *   authportal audit [--user EMAIL] [--since T] [--limit N]
 *                                      security events, newest first
 *   authportal gc                      delete what is kept no longer (cron)
 * Exit status: 0 success, 1 failure, 2 usage. Every line of output has the
 * control bytes of its values escaped as the log's are (say()).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/account.h"
#include "domain/app.h"
#include "domain/audit.h"
#include "adapters/crypto.h"
#include "base/log.h"
#include "domain/outbox.h"
#include "domain/session.h"
#include "base/buf.h"
#include "base/email.h"
#include "base/str.h"

/*
 * Every line the tool prints goes through here: formatted, then written
 * with the log's escaping (ptl_log_escape), so that a stored value (an
 * address, a user agent, a mail error from an SMTP server) can neither
 * forge a line nor reach the terminal as an escape sequence. fmt has no
 * trailing newline; say() ends the line.
 */
static void say(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(FILE *f, const char *fmt, ...)
{
	va_list ap;
	char *line, *safe;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	line = ptl_mem_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(line, (size_t)n + 1, fmt, ap);
	va_end(ap);
	safe = ptl_mem_xmalloc(4 * (size_t)n + 1);
	(void)ptl_log_escape(safe, 4 * (size_t)n + 1, line, (size_t)n);
	fprintf(f, "%s\n", safe);
	free(safe);
	free(line);
}

static int
usage(void)
{
	fputs("usage: authportal migrate | seed | keygen | check-config\n"
	      "       authportal user add EMAIL [--password PW] [--first NAME]"
	      " [--last NAME] [--admin] [--inactive]\n"
	      "       authportal user list | user disable EMAIL\n"
	      "       authportal session list [EMAIL] | session revoke ID\n"
	      "       authportal mail flush | mail list [N]\n"
	      "       authportal audit [--user EMAIL] [--since DATE|24h]"
	      " [--limit N] | gc\n",
	      stderr);
	return 2;
}

static int
keygen(void)
{
	static const char *const names[] = {
		"AUTH_JWT_SECRET", "AUTH_REFRESH_SECRET", "AUTH_FORGOT_SECRET",
		"AUTH_CONFIRM_EMAIL_SECRET",
	};
	struct ptl_arena *a = ptl_mem_new();
	size_t i;

	if (ptl_crypto_init() != PTL_OK)
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		say(stdout, "%s=%s", names[i], ptl_crypto_random_hex(a, 32));
	ptl_mem_free(a);
	return 0;
}

/* Normalises and validates an address given on the command line. */
static char *
email_arg(struct ptl_arena *a, const char *in)
{
	size_t len = strlen(in);
	size_t size = PTL_EMAIL_NORMALISED_MAX(len);
	char *out = ptl_mem_alloc(a, size);

	len = ptl_email_normalise(in, len, out, size);
	if (len == SIZE_MAX || !ptl_email_deliverable(out, len)) {
		say(stderr, "authportal: not an email address: %s", in);
		return NULL;
	}
	return out;
}

static int
user_add(struct ptl_arena *a, struct ptl_app *app, int argc, char **argv)
{
	const char *pw = NULL, *first = NULL, *last = NULL;
	int64_t role = PTL_ACCOUNT_ROLE_USER,
		status = PTL_ACCOUNT_STATUS_ACTIVE, id;
	char *email, line[1100];
	enum ptl_err e;
	int i;

	if (argc < 1)
		return usage();
	email = email_arg(a, argv[0]);
	if (email == NULL)
		return 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--password") == 0 && i + 1 < argc)
			pw = argv[++i];
		else if (strcmp(argv[i], "--first") == 0 && i + 1 < argc)
			first = argv[++i];
		else if (strcmp(argv[i], "--last") == 0 && i + 1 < argc)
			last = argv[++i];
		else if (strcmp(argv[i], "--admin") == 0)
			role = PTL_ACCOUNT_ROLE_ADMIN;
		else if (strcmp(argv[i], "--inactive") == 0)
			status = PTL_ACCOUNT_STATUS_INACTIVE;
		else
			return usage();
	}
	if (pw == NULL) {
		/* From stdin, so that it stays out of the process list. */
		if (fgets(line, sizeof(line), stdin) == NULL)
			return usage();
		line[strcspn(line, "\r\n")] = '\0';
		pw = line;
	}
	if (strlen(pw) < app->cfg.password_min_len ||
	    strlen(pw) > app->cfg.password_max_len) {
		say(stderr, "authportal: the password must have %zu to %zu "
		    "characters", app->cfg.password_min_len,
		    app->cfg.password_max_len);
		return 1;
	}
	e = ptl_account_register(a, app, email, pw, strlen(pw), first, last,
				 role, status, ptl_app_now_ms(app), &id);
	if (e == PTL_ERR_CONFLICT)
		say(stderr, "authportal: %s is taken", email);
	if (e != PTL_OK)
		return 1;
	say(stdout, "user %lld %s added", (long long)id, email);
	return 0;
}

static int
user_list(struct ptl_app *app)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_USER_LIST);
	bool row;

	say(stdout, "%-6s %-40s %-9s %-6s %-9s %s", "id", "email", "provider",
	    "role", "status", "state");
	while (ptl_db_step(st, &row) == PTL_OK && row) {
		int64_t id = ptl_db_int(st, PTL_COL_USER_LIST_ID);
		const char *email = ptl_db_text(st, PTL_COL_USER_LIST_EMAIL);
		const char *provider =
			ptl_db_text(st, PTL_COL_USER_LIST_PROVIDER);
		const char *role = ptl_account_role_name(
			ptl_db_int(st, PTL_COL_USER_LIST_ROLE_ID));
		const char *status = ptl_account_status_name(
			ptl_db_int(st, PTL_COL_USER_LIST_STATUS_ID));
		const char *state = "live";

		if (!ptl_db_is_null(st, PTL_COL_USER_LIST_DELETED_AT))
			state = "deleted";
		else if (!ptl_db_is_null(st, PTL_COL_USER_LIST_DISABLED_AT))
			state = "disabled";

		say(stdout, "%-6lld %-40s %-9s %-6s %-9s %s", (long long)id,
		    email ? email : "-", provider, role != NULL ? role : "?",
		    status != NULL ? status : "?", state);
	}
	ptl_db_done(st);
	return 0;
}

static int
user_disable(struct ptl_arena *a, struct ptl_app *app, const char *arg)
{
	char *email = email_arg(a, arg);
	int64_t id;

	if (email == NULL)
		return 1;
	if (ptl_account_find(app, email, &id) != PTL_OK) {
		say(stderr, "authportal: no user %s", email);
		return 1;
	}
	if (ptl_account_disable(app, id, ptl_app_now_ms(app)) != PTL_OK)
		return 1;
	say(stdout, "user %lld %s disabled; its sessions ended", (long long)id,
	    email);
	return 0;
}

static int
session_list(struct ptl_arena *a, struct ptl_app *app, const char *arg)
{
	struct ptl_stmt *st;
	char *email = NULL;
	bool row;

	if (arg != NULL) {
		email = email_arg(a, arg);
		if (email == NULL)
			return 1;
	}
	st = ptl_db_q(app->db, PTL_Q_SESSION_LIST_ADMIN);
	ptl_db_bind_int(st, 1, ptl_app_now_ms(app));
	ptl_db_bind_textz(st, 2, email);
	say(stdout, "%-8s %-40s %-15s %s", "id", "email", "ip", "user agent");
	while (ptl_db_step(st, &row) == PTL_OK && row) {
		int64_t id = ptl_db_int(st, PTL_COL_SESSION_LIST_ADMIN_ID);
		const char *user =
			ptl_db_text(st, PTL_COL_SESSION_LIST_ADMIN_EMAIL);
		const char *ip = ptl_db_text(st, PTL_COL_SESSION_LIST_ADMIN_IP);
		const char *ua =
			ptl_db_text(st, PTL_COL_SESSION_LIST_ADMIN_USER_AGENT);

		say(stdout, "%-8lld %-40s %-15s %s", (long long)id, user,
		    ip ? ip : "-", ua ? ua : "-");
	}
	ptl_db_done(st);
	return 0;
}

static int
session_revoke(struct ptl_app *app, const char *arg)
{
	int64_t id;

	if (!ptl_str_to_i64(arg, strlen(arg), 1, INT64_MAX, &id))
		return usage();
	if (ptl_session_revoke(app, id, "revoked_by_admin",
			       ptl_app_now_ms(app)) != PTL_OK)
		return 1;
	if (ptl_db_changes(app->db) == 0) {
		say(stderr, "authportal: no live session %lld", (long long)id);
		return 1;
	}
	ptl_audit_record(app, PTL_AUDIT_SESSION_REVOKED, 0, id,
			 "revoked_by_admin", ptl_app_now_ms(app));
	say(stdout, "session %lld revoked", (long long)id);
	return 0;
}

static int
mail_flush(struct ptl_arena *a, struct ptl_app *app)
{
	unsigned sent = 0, failed = 0, s, f;

	/* In rounds, so that a long queue is drained entirely. */
	do {
		if (ptl_outbox_flush(a, app, ptl_app_now_ms(app), 100, true, &s, &f) !=
		    PTL_OK)
			return 1;
		sent += s;
		failed += f;
	} while (s + f == 100 && s > 0);
	say(stdout, "%u mail(s) delivered, %u failed", sent, failed);
	return failed > 0 ? 1 : 0;
}

static int
mail_list(struct ptl_app *app, const char *arg)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OUTBOX_LIST);
	int64_t n = 50;
	bool row;

	if (arg != NULL && !ptl_str_to_i64(arg, strlen(arg), 1, 100000, &n))
		return usage();
	ptl_db_bind_int(st, 1, n);
	say(stdout, "%-6s %-11s %-36s %-8s %-9s %s", "id", "kind", "to",
	    "attempts", "state", "last error");
	while (ptl_db_step(st, &row) == PTL_OK && row) {
		const char *kind = ptl_outbox_kind_name(
			(int)ptl_db_int(st, PTL_COL_OUTBOX_LIST_KIND));
		const char *err = ptl_db_text(st, PTL_COL_OUTBOX_LIST_LAST_ERROR);
		const char *state =
			!ptl_db_is_null(st, PTL_COL_OUTBOX_LIST_SENT_AT)     ? "sent"
			: !ptl_db_is_null(st, PTL_COL_OUTBOX_LIST_FAILED_AT) ? "FAILED"
									     : "queued";

		say(stdout, "%-6lld %-11s %-36s %-8lld %-9s %s",
		    (long long)ptl_db_int(st, PTL_COL_OUTBOX_LIST_ID),
		    kind != NULL ? kind : "?",
		    ptl_db_text(st, PTL_COL_OUTBOX_LIST_RECIPIENT),
		    (long long)ptl_db_int(st, PTL_COL_OUTBOX_LIST_ATTEMPTS),
		    state, err != NULL ? err : "-");
	}
	ptl_db_done(st);
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ", arena-owned. */
static const char *
iso_time(struct ptl_arena *a, int64_t ms)
{
	struct ptl_buf b;

	ptl_buf_init(&b, a, 32, 64);
	ptl_buf_json_time(&b, ms);
	if (b.len < 2 || b.data[0] != '"')
		return "-";
	b.data[b.len - 1] = '\0';
	return b.data + 1;
}

/* An id column: the number, or "-" for NULL. */
static const char *
id_text(struct ptl_arena *a, struct ptl_stmt *st, int col)
{
	if (ptl_db_is_null(st, col))
		return "-";
	return ptl_mem_printf(a, "%lld", (long long)ptl_db_int(st, col));
}

/* A text column, or "-" for NULL. */
static const char *
text_or_dash(struct ptl_stmt *st, int col)
{
	const char *s = ptl_db_text(st, col);

	return s != NULL ? s : "-";
}

/* The options of `audit`: OUT email (NULL for all), since and limit.
 * Returns 0, or the exit status when they do not parse. */
static int
audit_options(struct ptl_arena *a, int64_t now, int argc, char **argv,
	      const char **email, int64_t *since, int64_t *limit)
{
	int i;

	for (i = 0; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return usage();
		if (strcmp(argv[i], "--user") == 0) {
			*email = email_arg(a, v);
			if (*email == NULL)
				return 1;
		} else if (strcmp(argv[i], "--since") == 0) {
			if (!ptl_audit_parse_since(v, now, since)) {
				say(stderr, "authportal: --since takes a date "
				    "(2025-11-25, 2025-11-25T10:00Z) or a "
				    "duration (24h, 7d)");
				return 2;
			}
		} else if (strcmp(argv[i], "--limit") != 0 ||
			   !ptl_str_to_i64(v, strlen(v), 1, 100000, limit)) {
			return usage();
		}
	}
	return 0;
}

#define AUDIT_LINE "%-24s %-16s %-6s %-32s %-7s %-15s %-18s %s"

static int
audit_list(struct ptl_arena *a, struct ptl_app *app, int argc, char **argv)
{
	const char *email = NULL;
	int64_t since = 0, limit = 100;
	struct ptl_stmt *st;
	bool row;
	int rc = audit_options(a, ptl_app_now_ms(app), argc, argv, &email,
			       &since, &limit);

	if (rc != 0)
		return rc;
	st = ptl_db_q(app->db, PTL_Q_AUDIT_LIST);
	ptl_db_bind_int(st, 1, since);
	ptl_db_bind_textz(st, 2, email);
	ptl_db_bind_int(st, 3, limit);
	say(stdout, AUDIT_LINE, "at", "event", "user", "email", "session", "ip",
	    "detail", "user agent");
	while (ptl_db_step(st, &row) == PTL_OK && row) {
		say(stdout, AUDIT_LINE,
		    iso_time(a, ptl_db_int(st, PTL_COL_AUDIT_LIST_AT)),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_EVENT),
		    id_text(a, st, PTL_COL_AUDIT_LIST_USER_ID),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_EMAIL),
		    id_text(a, st, PTL_COL_AUDIT_LIST_SESSION_ID),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_IP),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_DETAIL),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_USER_AGENT));
	}
	ptl_db_done(st);
	return 0;
}

static int
gc(struct ptl_app *app)
{
	struct ptl_audit_gc n;

	if (ptl_audit_gc(app, ptl_app_now_ms(app), &n) != PTL_OK)
		return 1;
	say(stdout, "removed %lld audit row(s) older than %lld days, %lld "
	    "ended session(s), %lld delivered or failed mail(s), %lld spent "
	    "rate-limit window(s)",
	    (long long)n.audit_rows, (long long)app->cfg.audit_retention_days,
	    (long long)n.sessions, (long long)n.mails,
	    (long long)n.rate_limits);
	return 0;
}

static int
run(struct ptl_arena *a, struct ptl_app *app, int argc, char **argv)
{
	const char *cmd = argv[1];
	const char *sub = argc > 2 ? argv[2] : "";
	unsigned n;

	if (strcmp(cmd, "migrate") == 0) {
		say(stdout, "database %s at schema version %u",
		    app->cfg.database_path, ptl_db_version(app->db));
		return 0;
	}
	if (strcmp(cmd, "check-config") == 0) {
		if (ptl_db_prepare_all(app->db) != PTL_OK)
			return 1;
		say(stdout, "configuration ok (NODE_ENV=%s, database %s)",
		    app->cfg.node_env, app->cfg.database_path);
		return 0;
	}
	if (strcmp(cmd, "seed") == 0) {
		if (ptl_account_seed(a, app, &n) != PTL_OK)
			return 1;
		say(stdout, "seeded %u demo user(s)", n);
		return 0;
	}
	if (strcmp(cmd, "user") == 0 && strcmp(sub, "add") == 0)
		return user_add(a, app, argc - 3, argv + 3);
	if (strcmp(cmd, "user") == 0 && strcmp(sub, "list") == 0)
		return user_list(app);
	if (strcmp(cmd, "user") == 0 && strcmp(sub, "disable") == 0 && argc == 4)
		return user_disable(a, app, argv[3]);
	if (strcmp(cmd, "session") == 0 && strcmp(sub, "list") == 0 && argc <= 4)
		return session_list(a, app, argc == 4 ? argv[3] : NULL);
	if (strcmp(cmd, "session") == 0 && strcmp(sub, "revoke") == 0 &&
	    argc == 4)
		return session_revoke(app, argv[3]);
	if (strcmp(cmd, "mail") == 0 && strcmp(sub, "flush") == 0 && argc == 3)
		return mail_flush(a, app);
	if (strcmp(cmd, "mail") == 0 && strcmp(sub, "list") == 0 && argc <= 4)
		return mail_list(app, argc == 4 ? argv[3] : NULL);
	if (strcmp(cmd, "audit") == 0)
		return audit_list(a, app, argc - 2, argv + 2);
	if (strcmp(cmd, "gc") == 0 && argc == 2)
		return gc(app);
	return usage();
}

int
main(int argc, char **argv)
{
	struct ptl_arena *a;
	struct ptl_app app;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return usage();
	if (strcmp(argv[1], "keygen") == 0)
		return keygen();
	if (ptl_app_init(&app) != PTL_OK) {
		say(stderr, "authportal: cannot start (see the messages above)");
		return 1;
	}
	a = ptl_mem_new();
	rc = run(a, &app, argc, argv);
	ptl_mem_free(a);
	ptl_app_close(&app);
	return rc;
}
