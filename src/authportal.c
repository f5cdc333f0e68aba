/* SPDX-License-Identifier: ISC */
/*
 * authportal: the admin command line. Reads the same settings as the
 * server (environment, then the settings file) and works on the same
 * database; `authportal --help` lists the commands (the table below).
 * The arguments are checked before any setting is read, so that a typo
 * is told as a typo. In a build tree, the secrets that script/server
 * generated (var/secrets.env of the source tree) are read below the
 * settings.
 * Exit status: 0 success, 1 failure, 2 usage. Every line of output has the
 * control bytes of its values escaped as the log's are (say()).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "adapters/crypto.h"
#include "adapters/smtp.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/email.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/str.h"
#include "base/utf8.h"
#include "domain/files.h"
#include "domain/account.h"
#include "domain/admin.h"
#include "domain/app.h"
#include "domain/audit.h"
#include "domain/copydb.h"
#include "domain/i18n.h"
#include "domain/mail.h"
#include "domain/outbox.h"
#include "domain/session.h"
#include "domain/social.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

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

/* ---- the arguments ------------------------------------------------------ */

/* The options; a command lists those it takes. */
enum {
	OPT_PASSWORD = 1 << 0,
	OPT_FIRST = 1 << 1,
	OPT_LAST = 1 << 2,
	OPT_ADMIN = 1 << 3,
	OPT_INACTIVE = 1 << 4,
	OPT_USER = 1 << 5,
	OPT_SINCE = 1 << 6,
	OPT_LIMIT = 1 << 7,
	OPT_SMTP = 1 << 8,
	OPT_FROM = 1 << 9,
	OPT_TO = 1 << 10,
};

static const struct option {
	const char *name;
	unsigned bit;
	bool value; /* takes a value: --name VALUE or --name=VALUE */
} options[] = {
    {"--password", OPT_PASSWORD, true},  {"--first", OPT_FIRST, true},
    {"--last", OPT_LAST, true},          {"--admin", OPT_ADMIN, false},
    {"--inactive", OPT_INACTIVE, false}, {"--user", OPT_USER, true},
    {"--since", OPT_SINCE, true},        {"--limit", OPT_LIMIT, true},
    {"--smtp", OPT_SMTP, false},
    {"--from", OPT_FROM, true},          {"--to", OPT_TO, true},
};

#define MAX_POS 2

/* A command line, parsed and checked before any setting is read. */
struct args {
	const char *pos[MAX_POS]; /* the positional arguments */
	int npos;
	unsigned given;       /* OPT_ bits */
	const char *value[11]; /* of each option with a value, by bit index */
	const char *email;    /* pos[0] normalised, for the user commands */
	int64_t number;       /* a numeric positional argument */
	int64_t limit;        /* --limit */
};

struct ctx {
	struct ptl_arena *a;
	struct ptl_app *app;
};

/* What a command needs before it runs. */
enum need {
	NEED_NOTHING,  /* no setting */
	NEED_SETTINGS, /* the settings and the keys, no database */
	NEED_DB,       /* the database too, opened (and migrated) */
	NEED_DB_READ,  /* the database, opened to read only */
};

/* How a command's positional arguments are checked. */
enum check {
	CHECK_NONE,
	CHECK_EMAIL,      /* pos[0] is an address (when given) */
	CHECK_EMAIL_ROLE, /* pos[0] an address, pos[1] admin or user */
	CHECK_ID,         /* pos[0] is a positive integer */
	CHECK_COUNT,      /* pos[0] (when given) is 1 to 100000 */
	CHECK_NAME,       /* pos[0] is a setting's name */
};

struct command {
	const char *name, *sub;
	int min_pos, max_pos;
	unsigned opts;
	enum check check;
	enum need need;
	int (*run)(struct ctx *, const struct args *);
	const char *synopsis; /* after "authportal " */
	const char *help;
};

static const struct command commands[];
static const size_t ncommands;

static unsigned
bit_index(unsigned bit)
{
	unsigned i = 0;

	while (bit > 1) {
		bit >>= 1;
		i++;
	}
	return i;
}

static const char *
opt_value(const struct args *args, unsigned bit)
{
	return (args->given & bit) != 0 ? args->value[bit_index(bit)] : NULL;
}

static void
usage_to(FILE *f)
{
	size_t i;

	fputs("usage: authportal COMMAND [ARGS]\n\ncommands:\n", f);
	for (i = 0; i < ncommands; i++)
		fprintf(f, "  authportal %s\n      %s\n", commands[i].synopsis,
			commands[i].help);
	fputs("  authportal --help | help | -h\n      this list\n"
	      "  authportal --version\n      the version\n\n"
	      "Settings: the environment, then the file ENV_FILE names (else "
	      "./.env).\nExit status: 0 success, 1 failure, 2 usage.\n",
	      f);
}

/* A usage error of one command: its synopsis, on stderr. */
static int
usage_of(const struct command *c, const char *why)
{
	if (why != NULL)
		say(stderr, "authportal: %s", why);
	fprintf(stderr, "usage: authportal %s\n", c->synopsis);
	return 2;
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

/* One option at argv[*i]. Returns 0, or the exit status. */
static int
parse_option(const struct command *c, int argc, char **argv, int *i,
	     struct args *args)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	size_t k;

	for (k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
		const struct option *o = &options[k];

		if (strlen(o->name) != len || strncmp(o->name, arg, len) != 0)
			continue;
		if ((c->opts & o->bit) == 0)
			break;
		if (!o->value && eq != NULL)
			return usage_of(c, "an option that takes no value");
		if (o->value && eq == NULL && *i + 1 >= argc)
			return usage_of(c, "an option without its value");
		args->given |= o->bit;
		if (o->value)
			args->value[bit_index(o->bit)] =
			    eq != NULL ? eq + 1 : argv[++*i];
		return 0;
	}
	say(stderr, "authportal: %s%s%s: no option %.*s", c->name,
	    c->sub != NULL ? " " : "", c->sub != NULL ? c->sub : "", (int)len,
	    arg);
	return usage_of(c, NULL);
}

/* The checks that need no setting: addresses, numbers, --since, --limit. */
static int
check_args(struct ptl_arena *a, const struct command *c, struct args *args)
{
	const char *v;

	if (args->npos < c->min_pos || args->npos > c->max_pos)
		return usage_of(c, args->npos < c->min_pos
				       ? "an argument is missing"
				       : "too many arguments");
	if (args->npos > 0 &&
	    (c->check == CHECK_EMAIL || c->check == CHECK_EMAIL_ROLE)) {
		args->email = email_arg(a, args->pos[0]);
		if (args->email == NULL)
			return 1;
	}
	if (c->check == CHECK_EMAIL_ROLE &&
	    strcmp(args->pos[1], "admin") != 0 &&
	    strcmp(args->pos[1], "user") != 0)
		return usage_of(c, "the role is admin or user");
	if (args->npos > 0 && c->check == CHECK_ID &&
	    !ptl_str_to_i64(args->pos[0], strlen(args->pos[0]), 1, INT64_MAX,
			    &args->number))
		return usage_of(c, "not a session id");
	if (args->npos > 0 && c->check == CHECK_COUNT &&
	    !ptl_str_to_i64(args->pos[0], strlen(args->pos[0]), 1, 100000,
			    &args->number))
		return usage_of(c, "N is a number from 1 to 100000");
	if (args->npos > 0 && c->check == CHECK_NAME &&
	    (args->pos[0][0] == '\0' ||
	     strspn(args->pos[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		 strlen(args->pos[0])))
		return usage_of(c, "not a setting's name (A-Z, 0-9, _)");
	args->limit = 100;
	v = opt_value(args, OPT_LIMIT);
	if (v != NULL && !ptl_str_to_i64(v, strlen(v), 1, 100000, &args->limit))
		return usage_of(c, "--limit takes a number from 1 to 100000");
	v = opt_value(args, OPT_SINCE);
	if (v != NULL) {
		int64_t since;

		if (!ptl_audit_parse_since(v, ptl_clock_now_ms(), &since))
			return usage_of(c, "--since takes a date (2025-11-25, "
					   "2025-11-25T10:00Z) or a duration "
					   "(24h, 7d)");
	}
	if (opt_value(args, OPT_USER) != NULL) {
		args->value[bit_index(OPT_USER)] =
		    email_arg(a, opt_value(args, OPT_USER));
		if (opt_value(args, OPT_USER) == NULL)
			return 1;
	}
	return 0;
}

/* Parses argv[first..argc) for c. Returns 0, or the exit status (a help
 * request answers 0 with *done set). */
static int
parse_args(struct ptl_arena *a, const struct command *c, int argc, char **argv,
	   int first, struct args *args, bool *done)
{
	int i, rc;

	memset(args, 0, sizeof(*args));
	*done = false;
	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf("usage: authportal %s\n    %s\n", c->synopsis,
			       c->help);
			*done = true;
			return 0;
		}
		if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0') {
			rc = parse_option(c, argc, argv, &i, args);
			if (rc != 0)
				return rc;
			continue;
		}
		if (args->npos == MAX_POS)
			return usage_of(c, "too many arguments");
		args->pos[args->npos++] = argv[i];
	}
	return check_args(a, c, args);
}

/* ---- passwords ---------------------------------------------------------- */

static struct termios saved_tty;
static volatile sig_atomic_t tty_changed;

/* Gives the terminal its echo back when a signal ends the prompt. */
static void
restore_tty(int sig)
{
	if (tty_changed)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

/* One line of stdin into buf, without its line end. false at EOF, on an
 * error, or for a line that does not fit. */
static bool
read_line(char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, stdin) == NULL)
		return false;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == size - 1 && !feof(stdin))
		return false; /* longer than the buffer */
	buf[n] = '\0';
	return true;
}

/* Prompts on stderr and reads one line from the terminal on stdin with
 * its echo off. */
static bool
prompt_silent(const char *prompt, char *buf, size_t size)
{
	struct termios quiet;
	bool got;

	/* Echo off before the prompt shows: what is typed after it is never
	 * echoed. */
	if (tcgetattr(STDIN_FILENO, &saved_tty) != 0)
		return false;
	quiet = saved_tty;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	(void)signal(SIGINT, restore_tty);
	(void)signal(SIGTERM, restore_tty);
	(void)signal(SIGHUP, restore_tty);
	(void)signal(SIGQUIT, restore_tty);
	tty_changed = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
		tty_changed = 0;
		return false;
	}
	fputs(prompt, stderr);
	fflush(stderr);
	got = read_line(buf, size);
	(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_changed = 0;
	fputc('\n', stderr);
	return got;
}

#define PASSWORD_BUF 1100 /* more than the longest password allowed */

/*
 * The password of `user add` and `user set-password`: --password, else
 * from stdin, so that it stays out of the process list and the shell's
 * history: on a terminal asked twice without echo, from a pipe its first
 * line. OUT buf (PASSWORD_BUF bytes; the caller wipes it), *pw. Checks the
 * length policy. Returns 0, or the exit status.
 */
static int
read_password(const struct ctx *c, const struct args *args, char *buf,
	      const char **pw)
{
	const struct ptl_cfg *cfg = &c->app->cfg;
	size_t len;

	*pw = opt_value(args, OPT_PASSWORD);
	if (*pw == NULL && isatty(STDIN_FILENO)) {
		char again[PASSWORD_BUF];
		bool same;

		if (!prompt_silent("Password: ", buf, PASSWORD_BUF) ||
		    !prompt_silent("Password again: ", again, sizeof(again))) {
			say(stderr, "authportal: no password read");
			return 1;
		}
		same = strcmp(buf, again) == 0;
		ptl_crypto_wipe(again, sizeof(again));
		if (!same) {
			say(stderr, "authportal: the passwords differ");
			return 1;
		}
		*pw = buf;
	} else if (*pw == NULL) {
		if (!read_line(buf, PASSWORD_BUF)) {
			say(stderr,
			    "authportal: no password on stdin (one line, "
			    "or --password PW)");
			return 1;
		}
		*pw = buf;
	}
	len = strlen(*pw);
	/* The policy of the API (API.md §10.1): the minimum in characters,
	 * the maximum in bytes. */
	if (!ptl_utf8_valid(*pw, len) ||
	    ptl_utf8_length(*pw, len) < cfg->password_min_len ||
	    len > cfg->password_max_len) {
		say(stderr,
		    "authportal: the password must have at least %zu "
		    "characters and at most %zu bytes (UTF-8)",
		    cfg->password_min_len, cfg->password_max_len);
		return 1;
	}
	return 0;
}

/* ---- commands ----------------------------------------------------------- */

static int
cmd_keygen(struct ctx *c, const struct args *args)
{
	static const char *const names[] = {
	    "AUTH_JWT_SECRET",
	    "AUTH_REFRESH_SECRET",
	    "AUTH_FORGOT_SECRET",
	    "AUTH_CONFIRM_EMAIL_SECRET",
	};
	size_t i;

	(void)args;
	if (ptl_crypto_init() != PTL_OK)
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		say(stdout, "%s=%s", names[i], ptl_crypto_random_hex(c->a, 32));
	return 0;
}

static int
cmd_setting(struct ctx *c, const struct args *args)
{
	const char *named = getenv("ENV_FILE");
	const char *v = ptl_cfg_get(args->pos[0]);

	(void)c;
	if (named != NULL && *named != '\0' && ptl_cfg_file() == NULL) {
		say(stderr,
		    "authportal: ENV_FILE names %s, which cannot be "
		    "read",
		    named);
		return 1;
	}
	say(stdout, "%s", v != NULL ? v : "");
	return 0;
}

/* The database of the settings in words for a message, after
 * "database ": its path (SQLite), or "NAME on HOST (PostgreSQL)", never
 * with the URL's user or password. */
static const char *
db_label(const struct ptl_cfg *cfg, char *out, size_t size)
{
	static const char prefix[] = "PostgreSQL database ";
	char words[512];

	if (cfg->database_url == NULL)
		return cfg->database_path;
	ptl_db_describe(cfg->database_url, words, sizeof(words));
	(void)snprintf(out, size, "%s (PostgreSQL)",
		       strncmp(words, prefix, sizeof(prefix) - 1) == 0
			       ? words + sizeof(prefix) - 1
			       : words);
	return out;
}

static int
cmd_migrate(struct ctx *c, const struct args *args)
{
	char label[600];

	(void)args;
	say(stdout, "database %s at schema version %u",
	    db_label(&c->app->cfg, label, sizeof(label)),
	    ptl_db_version(c->app->db));
	return 0;
}

static int
cmd_seed(struct ctx *c, const struct args *args)
{
	unsigned n;

	(void)args;
	if (ptl_account_seed(c->a, c->app, &n) != PTL_OK)
		return 1;
	say(stdout, "seeded %u demo user(s)", n);
	return 0;
}

static int
cmd_backup(struct ctx *c, const struct args *args)
{
	const char *db = c->app->cfg.database_path, *to = args->pos[0];
	struct stat a, b;
	size_t n = strlen(db);
	char label[600];

	/* The copy is renamed over FILE: never over the live file or one of
	 * its companions. (PostgreSQL: pg_dump writes FILE, README
	 * "Database engines".) */
	if (c->app->cfg.database_url == NULL &&
	    ((stat(db, &a) == 0 && stat(to, &b) == 0 && a.st_dev == b.st_dev &&
	      a.st_ino == b.st_ino) ||
	     (strncmp(to, db, n) == 0 &&
	      (strcmp(to + n, "-wal") == 0 || strcmp(to + n, "-shm") == 0 ||
	       strcmp(to + n, "-journal") == 0)))) {
		say(stderr, "authportal: %s is the database itself", to);
		return 2;
	}
	if (ptl_db_backup(c->app->db, to) != PTL_OK)
		return 1;
	say(stdout, "database %s (schema version %u) backed up to %s",
	    db_label(&c->app->cfg, label, sizeof(label)),
	    ptl_db_version(c->app->db), args->pos[0]);
	return 0;
}

/* ---- copy-db ------------------------------------------------------------ */

/* A database of copy-db: sqlite:PATH, or a PostgreSQL URL or keyword
 * string. NULL (and a message that never repeats arg: a URL may hold a
 * password) when it is neither. */
static const char *
copy_where(const char *opt, const char *arg)
{
	if (strncmp(arg, "sqlite:", 7) == 0 && arg[7] != '\0')
		return arg + 7;
	if (strncmp(arg, "sqlite:", 7) != 0 && ptl_db_is_pg(arg))
		return arg;
	say(stderr,
	    "authportal: %s takes sqlite:PATH or a PostgreSQL URL "
	    "(postgres://, postgresql:// or host=... dbname=...)",
	    opt);
	return NULL;
}

/* Opens where for copy-db (migrated to this program's schema); source:
 * an SQLite file must exist (none is made) and is backed up before a
 * migration. The wait for a lock, and on PostgreSQL the longest
 * statement, is a minute: reading a whole table of a large site takes
 * longer than a request may. Returns 0, or the exit status. */
static int
copy_open(const char *where, bool source, struct ptl_db **db)
{
	struct ptl_db_opts opts = {.busy_timeout_ms = 60000,
				   .backup_on_migrate = source,
				   .no_create = source};
	char name[512];

	ptl_db_describe(where, name, sizeof(name));
	if (source && !ptl_db_is_pg(where) && access(where, F_OK) != 0) {
		say(stderr, "authportal: the %s does not exist", name);
		return 1;
	}
	if (ptl_db_open_with(where, &opts, db) != PTL_OK) {
		say(stderr,
		    "authportal: cannot use the %s (see the messages above)",
		    name);
		return 1;
	}
	return 0;
}

static int
cmd_copy_db(struct ctx *c, const struct args *args)
{
	const char *from = opt_value(args, OPT_FROM);
	const char *to = opt_value(args, OPT_TO);
	struct ptl_copydb_count counts[PTL_COPYDB_TABLES];
	struct ptl_db *src = NULL, *dst = NULL;
	const char *nonempty = NULL;
	char from_name[512], to_name[512];
	enum ptl_err e;
	int rc;
	size_t i;

	(void)c;
	if (from == NULL || to == NULL) {
		for (i = 0; strcmp(commands[i].name, "copy-db") != 0; i++)
			;
		return usage_of(&commands[i], "copy-db needs --from and --to");
	}
	from = copy_where("--from", from);
	to = copy_where("--to", to);
	if (from == NULL || to == NULL)
		return 2;
	if (strcmp(from, to) == 0) {
		say(stderr, "authportal: --from and --to name one database");
		return 2;
	}
	ptl_db_describe(from, from_name, sizeof(from_name));
	ptl_db_describe(to, to_name, sizeof(to_name));
	rc = copy_open(from, true, &src);
	if (rc == 0)
		rc = copy_open(to, false, &dst);
	if (rc != 0)
		goto out;
	e = ptl_copydb(src, dst, counts, &nonempty);
	if (e == PTL_ERR_CONFLICT && nonempty != NULL) {
		say(stderr,
		    "authportal: the %s is not empty (%s has rows): copy-db "
		    "fills an empty database only; nothing was copied",
		    to_name, nonempty);
		rc = 1;
	} else if (e != PTL_OK) {
		say(stderr,
		    "authportal: nothing was copied to the %s (see the "
		    "messages above)",
		    to_name);
		rc = 1;
	} else {
		say(stdout, "copied the %s to the %s:", from_name, to_name);
		for (i = 0; i < PTL_COPYDB_TABLES; i++)
			say(stdout, "  %-16s %lld row(s), the same in both",
			    counts[i].table, (long long)counts[i].rows);
	}
out:
	if (dst != NULL)
		ptl_db_close(dst);
	if (src != NULL)
		ptl_db_close(src);
	return rc;
}

/* The inverse of cmd_backup: FILE into the live database, under its own
 * write lock (ptl_db_restore), while the server runs. */
static int
cmd_restore(struct ctx *c, const struct args *args)
{
	const char *db = c->app->cfg.database_path, *from = args->pos[0];
	struct stat a, b;

	if (c->app->cfg.database_url != NULL) {
		/* The dump `authportal backup` wrote is pg_dump's own. */
		say(stderr,
		    "authportal: restore a PostgreSQL database with "
		    "pg_restore, not with authportal: stop the workers, then "
		    "`pg_restore --clean --if-exists --no-owner -d DATABASE_URL "
		    "%s` (README \"Database engines\")",
		    from);
		return 2;
	}
	if (stat(db, &a) == 0 && stat(from, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino) {
		say(stderr, "authportal: %s is the database itself", from);
		return 2;
	}
	switch (ptl_db_restore(c->app->db, from)) {
	case PTL_OK:
		break;
	case PTL_ERR_BAD_REQUEST:
		return 2;
	default:
		return 1;
	}
	say(stdout, "database %s restored from %s (schema version %u)", db,
	    from, ptl_db_version(c->app->db));
	return 0;
}

static int
cmd_user_add(struct ctx *c, const struct args *args)
{
	char buf[PASSWORD_BUF];
	const char *pw;
	int64_t id;
	enum ptl_err e;
	int rc = read_password(c, args, buf, &pw);

	if (rc == 0) {
		e = ptl_account_register(
		    c->a, c->app, args->email, pw, strlen(pw),
		    opt_value(args, OPT_FIRST), opt_value(args, OPT_LAST),
		    (args->given & OPT_ADMIN) != 0 ? PTL_ACCOUNT_ROLE_ADMIN
						   : PTL_ACCOUNT_ROLE_USER,
		    (args->given & OPT_INACTIVE) != 0
			? PTL_ACCOUNT_STATUS_INACTIVE
			: PTL_ACCOUNT_STATUS_ACTIVE,
		    ptl_app_now_ms(c->app), &id);
		if (e == PTL_ERR_CONFLICT)
			say(stderr, "authportal: %s is taken", args->email);
		rc = e == PTL_OK ? 0 : 1;
	}
	ptl_crypto_wipe(buf, sizeof(buf));
	if (rc == 0)
		say(stdout, "user %lld %s added", (long long)id, args->email);
	return rc;
}

static int
cmd_user_list(struct ctx *c, const struct args *args)
{
	struct ptl_stmt *st = ptl_db_q(c->app->db, PTL_Q_USER_LIST);
	bool row;

	(void)args;
	say(stdout, "%-6s %-40s %-9s %-6s %-9s %-8s %s", "id", "email",
	    "provider", "role", "status", "state", "linked");
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

		/* The providers that have signed in to the account
		 * (domain/social.h). */
		const char *linked = ptl_social_linked(c->a, c->app, id);

		say(stdout, "%-6lld %-40s %-9s %-6s %-9s %-8s %s",
		    (long long)id, email ? email : "-", provider,
		    role != NULL ? role : "?", status != NULL ? status : "?",
		    state, linked != NULL ? linked : "-");
	}
	ptl_db_done(st);
	return 0;
}

/* The account the user commands name. Returns 0, or the exit status. */
static int
find_user(struct ctx *c, const struct args *args, struct ptl_admin_user *u)
{
	enum ptl_err e = ptl_admin_find(c->app, args->email, u);

	if (e == PTL_ERR_NOT_FOUND)
		say(stderr, "authportal: no user %s", args->email);
	return e == PTL_OK ? 0 : 1;
}

/* The account, which must not be deleted. */
static int
find_live_user(struct ctx *c, const struct args *args, struct ptl_admin_user *u)
{
	int rc = find_user(c, args, u);

	if (rc == 0 && u->deleted) {
		say(stderr, "authportal: user %lld %s is deleted",
		    (long long)u->id, args->email);
		return 1;
	}
	return rc;
}

static int
cmd_user_disable(struct ctx *c, const struct args *args)
{
	struct ptl_admin_user u;
	int rc = find_live_user(c, args, &u);

	if (rc != 0)
		return rc;
	if (ptl_account_disable(c->app, u.id, ptl_app_now_ms(c->app)) != PTL_OK)
		return 1;
	say(stdout, "user %lld %s disabled; its sessions ended",
	    (long long)u.id, args->email);
	return 0;
}

static int
cmd_user_enable(struct ctx *c, const struct args *args)
{
	struct ptl_admin_user u;
	int rc = find_live_user(c, args, &u);

	if (rc != 0)
		return rc;
	if (!u.disabled) {
		say(stderr, "authportal: user %lld %s is not disabled",
		    (long long)u.id, args->email);
		return 1;
	}
	if (ptl_admin_enable(c->app, u.id, ptl_app_now_ms(c->app)) != PTL_OK)
		return 1;
	say(stdout, "user %lld %s enabled: it can sign in again",
	    (long long)u.id, args->email);
	return 0;
}

static int
cmd_user_delete(struct ctx *c, const struct args *args)
{
	struct ptl_admin_user u;
	int rc = find_live_user(c, args, &u);

	if (rc != 0)
		return rc;
	if (ptl_account_delete(c->app, u.id, ptl_app_now_ms(c->app)) != PTL_OK)
		return 1;
	say(stdout,
	    "user %lld %s deleted; its sessions ended (the address "
	    "stays taken, as after DELETE /api/v1/auth/me)",
	    (long long)u.id, args->email);
	return 0;
}

static int
cmd_user_set_password(struct ctx *c, const struct args *args)
{
	char buf[PASSWORD_BUF];
	struct ptl_admin_user u;
	const char *pw;
	int rc = find_live_user(c, args, &u);

	if (rc == 0 && !u.email_login) {
		say(stderr,
		    "authportal: user %lld %s signs in through a "
		    "provider; it has no password",
		    (long long)u.id, args->email);
		return 1;
	}
	if (rc == 0)
		rc = read_password(c, args, buf, &pw);
	if (rc == 0 &&
	    ptl_admin_set_password(c->a, c->app, u.id, pw, strlen(pw),
				   ptl_app_now_ms(c->app)) != PTL_OK)
		rc = 1;
	ptl_crypto_wipe(buf, sizeof(buf));
	if (rc == 0)
		say(stdout, "password of user %lld %s set; its sessions ended",
		    (long long)u.id, args->email);
	return rc;
}

static int
cmd_user_role(struct ctx *c, const struct args *args)
{
	int64_t role = strcmp(args->pos[1], "admin") == 0
			   ? PTL_ACCOUNT_ROLE_ADMIN
			   : PTL_ACCOUNT_ROLE_USER;
	struct ptl_admin_user u;
	int rc;

	rc = find_live_user(c, args, &u);
	if (rc != 0)
		return rc;
	if (u.role_id == role) {
		say(stdout, "user %lld %s is already %s", (long long)u.id,
		    args->email, ptl_account_role_name(role));
		return 0;
	}
	if (ptl_admin_set_role(c->app, u.id, role, ptl_app_now_ms(c->app)) !=
	    PTL_OK)
		return 1;
	say(stdout, "user %lld %s is now %s; its sessions ended",
	    (long long)u.id, args->email, ptl_account_role_name(role));
	return 0;
}

static int
cmd_session_list(struct ctx *c, const struct args *args)
{
	struct ptl_stmt *st = ptl_db_q(c->app->db, PTL_Q_SESSION_LIST_ADMIN);
	bool row;

	ptl_db_bind_int(st, 1, ptl_app_now_ms(c->app));
	ptl_db_bind_textz(st, 2, args->email);
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
cmd_session_revoke(struct ctx *c, const struct args *args)
{
	struct ptl_app *app = c->app;
	int64_t id = args->number;

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
cmd_mail_flush(struct ctx *c, const struct args *args)
{
	unsigned sent = 0, failed = 0, s, f;

	(void)args;
	/* In rounds, so that a long queue is drained entirely. */
	do {
		if (ptl_outbox_flush(c->a, c->app, ptl_app_now_ms(c->app), 100,
				     true, &s, &f) != PTL_OK)
			return 1;
		sent += s;
		failed += f;
	} while (s + f == 100 && s > 0);
	say(stdout, "%u mail(s) delivered, %u failed", sent, failed);
	return failed > 0 ? 1 : 0;
}

static int
cmd_mail_list(struct ctx *c, const struct args *args)
{
	struct ptl_stmt *st = ptl_db_q(c->app->db, PTL_Q_OUTBOX_LIST);
	bool row;

	ptl_db_bind_int(st, 1, args->npos > 0 ? args->number : 50);
	say(stdout, "%-6s %-11s %-36s %-8s %-9s %s", "id", "kind", "to",
	    "attempts", "state", "last error");
	while (ptl_db_step(st, &row) == PTL_OK && row) {
		const char *kind = ptl_outbox_kind_name(
		    (int)ptl_db_int(st, PTL_COL_OUTBOX_LIST_KIND));
		const char *err =
		    ptl_db_text(st, PTL_COL_OUTBOX_LIST_LAST_ERROR);
		const char *state =
		    !ptl_db_is_null(st, PTL_COL_OUTBOX_LIST_SENT_AT) ? "sent"
		    : !ptl_db_is_null(st, PTL_COL_OUTBOX_LIST_FAILED_AT)
			? "FAILED"
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

#define AUDIT_LINE "%-24s %-16s %-6s %-32s %-7s %-15s %-18s %s"

static int
cmd_audit(struct ctx *c, const struct args *args)
{
	const char *since_arg = opt_value(args, OPT_SINCE);
	int64_t since = 0;
	struct ptl_stmt *st;
	bool row;

	/* Checked before the settings were read; now against the clock of
	 * the app (the test clock in tests). */
	if (since_arg != NULL &&
	    !ptl_audit_parse_since(since_arg, ptl_app_now_ms(c->app), &since))
		return 2;
	st = ptl_db_q(c->app->db, PTL_Q_AUDIT_LIST);
	ptl_db_bind_int(st, 1, since);
	ptl_db_bind_textz(st, 2, opt_value(args, OPT_USER));
	ptl_db_bind_int(st, 3, args->limit);
	say(stdout, AUDIT_LINE, "at", "event", "user", "email", "session", "ip",
	    "detail", "user agent");
	while (ptl_db_step(st, &row) == PTL_OK && row) {
		say(stdout, AUDIT_LINE,
		    iso_time(c->a, ptl_db_int(st, PTL_COL_AUDIT_LIST_AT)),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_EVENT),
		    id_text(c->a, st, PTL_COL_AUDIT_LIST_USER_ID),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_EMAIL),
		    id_text(c->a, st, PTL_COL_AUDIT_LIST_SESSION_ID),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_IP),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_DETAIL),
		    text_or_dash(st, PTL_COL_AUDIT_LIST_USER_AGENT));
	}
	ptl_db_done(st);
	return 0;
}

static int
cmd_gc(struct ctx *c, const struct args *args)
{
	struct ptl_audit_gc n;
	int64_t states = 0, batch = 0;
	int64_t files = 0;

	(void)args;
	if (ptl_audit_gc(c->app, ptl_app_now_ms(c->app), &n) != PTL_OK ||
	    ptl_files_gc(c->app, ptl_app_now_ms(c->app), &files) != PTL_OK)
		return 1;
	do {
		if (ptl_social_prune(c->app, ptl_app_now_ms(c->app), &batch) !=
		    PTL_OK)
			return 1;
		states += batch;
	} while (batch > 0);
	say(stdout, "removed %lld expired social sign-in state(s)",
	    (long long)states);
	say(stdout,
	    "removed %lld audit row(s) older than %lld days, %lld "
	    "ended session(s), %lld delivered or failed mail(s), %lld spent "
	    "rate-limit window(s)",
	    (long long)n.audit_rows,
	    (long long)c->app->cfg.audit_retention_days, (long long)n.sessions,
	    (long long)n.mails, (long long)n.rate_limits);
	say(stdout, "removed %lld file(s): uploads never made a photo within "
		    "a day, and those of deleted accounts",
	    (long long)files);
	return 0;
}

/* ---- check-config ------------------------------------------------------- */

/* One line of the report: what, then the finding. */
static void report(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
report(const char *what, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say(stdout, "%-15s %s", what, line);
}

/* A warning when the file or folder at path is open to others: the
 * database, its folder and the settings file are the owner's only. */
static void
report_mode(const char *what, const char *path)
{
	struct stat sb;
	unsigned want;

	if (stat(path, &sb) != 0 || (sb.st_mode & 077) == 0)
		return;
	want = S_ISDIR(sb.st_mode) ? 0700 : 0600;
	report(what, "warning: %s has mode %04o, open to others (chmod %o %s)",
	       path, (unsigned)(sb.st_mode & 07777), want, path);
}

/* The folder of path into dir. */
static void
folder(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		(void)snprintf(dir, size, ".");
	else if (slash == path)
		(void)snprintf(dir, size, "/");
	else
		(void)snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/* The database, opened to read only: it must be reachable and its schema
 * one this program knows. Returns the number of problems. */
static unsigned
check_database(const struct ptl_cfg *cfg)
{
	const char *path = cfg->database_path;
	unsigned v, known = ptl_db_known_version();
	unsigned problems = 0;
	struct ptl_db *db;
	struct stat sb;
	char dir[4096], label[600];

	if (cfg->database_url != NULL) {
		/* PostgreSQL: no file to look at; the connection must work. */
		path = db_label(cfg, label, sizeof(label));
		report("database", "engine PostgreSQL (DATABASE_URL): %s",
		       path);
		if (ptl_db_open_readonly(cfg->database_url,
					 cfg->busy_timeout_ms, &db) != PTL_OK) {
			report("database", "%s cannot be reached (see the line "
					   "above)", path);
			return 1;
		}
		goto schema;
	}
	report("database", "engine SQLite (DATABASE_PATH): %s", path);
	folder(path, dir, sizeof(dir));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		report("database",
		       "%s: its folder %s does not exist (create "
		       "it, mode 0700, or set DATABASE_PATH)",
		       path, dir);
		return 1;
	}
	report_mode("database", dir);
	if (stat(path, &sb) != 0) {
		if (access(dir, W_OK | X_OK) != 0) {
			report("database",
			       "%s does not exist, and %s cannot "
			       "be written to create it",
			       path, dir);
			return 1;
		}
		report("database",
		       "%s does not exist yet: `authportal "
		       "migrate`, or the first start, creates it",
		       path);
		return 0;
	}
	report_mode("database", path);
	if (ptl_db_open_readonly(path, cfg->busy_timeout_ms, &db) != PTL_OK) {
		report("database", "%s cannot be read (see the line above)",
		       path);
		return 1;
	}
schema:
	v = ptl_db_version(db);
	if (v > known) {
		report("database",
		       "%s has schema version %u, newer than "
		       "this program knows (%u): install the newer authportal",
		       path, v, known);
		problems++;
	} else if (v < known) {
		report("database",
		       "%s at schema version %u of %u: `authportal "
		       "migrate` upgrades it%s",
		       path, v, known,
		       cfg->backup_on_migrate && cfg->database_url == NULL
			       ? ", after a backup"
			       : "");
	} else if (ptl_db_prepare_all(db) != PTL_OK) {
		report("database",
		       "%s: a statement does not fit its schema "
		       "(see the line above)",
		       path);
		problems++;
	} else {
		report("database", "%s: ok, schema version %u", path, v);
	}
	ptl_db_close(db);
	return problems;
}

/* Which social sign-in providers can be used (API.md §5.4): token login
 * and the redirect flow, or the setting each lacks. Not a problem: a
 * provider without settings is simply off. */
static void
check_social(struct ptl_arena *a, const struct ptl_cfg *cfg)
{
	static const enum ptl_social_provider all[] = {
	    PTL_SOCIAL_GOOGLE, PTL_SOCIAL_APPLE, PTL_SOCIAL_FACEBOOK,
	    PTL_SOCIAL_GITHUB};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *token = ptl_social_missing(a, cfg, all[i], false);
		const char *flow = ptl_social_missing(a, cfg, all[i], true);
		const char *what = ptl_mem_printf(a, "social %s",
						  ptl_social_name(all[i]));

		if (token != NULL)
			report(what, "not configured (needs %s)", token);
		else if (all[i] == PTL_SOCIAL_APPLE)
			report(what, "configured: token login");
		else if (flow != NULL)
			report(what, "configured: token login; redirect flow "
			       "off (needs %s)", flow);
		else
			report(what, "configured: token login and redirect "
			       "flow");
	}
}

/* FILES_DIR (API.md §9.11): a folder, 0700, or one the first upload can
 * make. Returns the number of problems. */
static unsigned
check_files(const struct ptl_cfg *cfg)
{
	const char *dir = cfg->files_dir;
	struct stat sb;
	char parent[4096];

	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			report("files", "%s is not a folder (FILES_DIR)", dir);
			return 1;
		}
		report_mode("files", dir);
		report("files", "%s: ok", dir);
		return 0;
	}
	folder(dir, parent, sizeof(parent));
	report("files",
	       "%s does not exist yet: the first upload makes it, mode 0700 "
	       "(in %s, which must be writable then)",
	       dir, parent);
	return 0;
}

static unsigned
check_templates(const struct ptl_cfg_mail *mc)
{
	unsigned bad = 0;

	if (ptl_mail_check_templates(mc, &bad) == PTL_OK) {
		report("mail templates", "%s: ok (%s, %s, %s)",
		       mc->template_dir,
		       ptl_mail_template_name(PTL_MAIL_CONFIRM),
		       ptl_mail_template_name(PTL_MAIL_CONFIRM_NEW),
		       ptl_mail_template_name(PTL_MAIL_RESET));
		return 0;
	}
	report("mail templates",
	       "%s: %u of %d cannot be used (see the lines "
	       "above): those mails would fail",
	       mc->template_dir, bad, PTL_MAIL__MAX);
	return 1;
}

/* The message files (API.md §12): the languages, the fallback, the
 * header, and whether every mail has its strings. */
static unsigned
check_languages(const struct ptl_app *app)
{
	char list[512];
	size_t i, used = 0;
	unsigned bad = 0;

	list[0] = '\0';
	for (i = 0; i < ptl_i18n_count(app->i18n); i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s",
				 i > 0 ? " " : "", ptl_i18n_lang(app->i18n, i));

		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	report("languages", "%s: %s (fallback %s, header %s)",
	       app->cfg.i18n_dir, list, ptl_i18n_fallback(app->i18n),
	       app->cfg.header_language);
	if (ptl_mail_check_strings(app->i18n, &bad) == PTL_OK)
		return 0;
	report("mail strings", "%u of %d mails lack strings in the fallback "
	       "language (see the lines above)", bad, PTL_MAIL__MAX);
	return 1;
}

static unsigned
check_smtp(const struct ptl_cfg_mail *mc, bool probe)
{
	if (!probe) {
		report("smtp", "%s:%u not tried (--smtp tries it)", mc->host,
		       mc->port);
		return 0;
	}
	if (ptl_smtp_probe(mc) != PTL_OK) {
		report("smtp",
		       "%s:%u: no working connection (see the line "
		       "above)",
		       mc->host, mc->port);
		return 1;
	}
	report("smtp", "%s:%u: ok%s", mc->host, mc->port,
	       mc->user != NULL ? ", signed in" : "");
	return 0;
}

/*
 * check-config: what the server would find at start, reported, with
 * nothing opened for writing and nothing created: the settings and the
 * secrets (ptl_app_load), the database (read only), the mail templates,
 * and with --smtp the SMTP server. Exit 1 on any problem.
 */
static int
cmd_check_config(struct ctx *c, const struct args *args)
{
	const struct ptl_cfg *cfg = &c->app->cfg;
	const char *file = ptl_cfg_file();
	unsigned problems = 0;

	report("settings file", "%s",
	       file != NULL ? file : "none (the environment only)");
	report("settings", "ok (NODE_ENV=%s%s)", cfg->node_env,
	       cfg->production ? ", production" : "");
	if (file != NULL)
		report_mode("settings file", file);
	report("secrets", "ok (%s)",
	       cfg->production ? "32 bytes or more, no placeholder"
			       : "weak ones allowed outside production");
	problems += check_database(cfg);
	check_social(c->a, cfg);
	problems += check_files(cfg);
	problems += check_templates(&cfg->mail);
	problems += check_languages(c->app);
	problems += check_smtp(&cfg->mail, (args->given & OPT_SMTP) != 0);
	if (problems == 0)
		say(stdout, "configuration ok");
	else
		say(stdout, "%u problem(s)", problems);
	return problems == 0 ? 0 : 1;
}

/* ---- the table ---------------------------------------------------------- */

#define USER_ADD_OPTS                                                          \
	(OPT_PASSWORD | OPT_FIRST | OPT_LAST | OPT_ADMIN | OPT_INACTIVE)

static const struct command commands[] = {
    {"migrate", NULL, 0, 0, 0, CHECK_NONE, NEED_DB, cmd_migrate, "migrate",
     "create or upgrade the database (a backup first, unless "
     "DATABASE_BACKUP_ON_MIGRATE=false)"},
    {"seed", NULL, 0, 0, 0, CHECK_NONE, NEED_DB, cmd_seed, "seed",
     "add the demo users unless users of their roles exist"},
    {"keygen", NULL, 0, 0, 0, CHECK_NONE, NEED_NOTHING, cmd_keygen, "keygen",
     "print four fresh secrets for the settings file"},
    {"check-config", NULL, 0, 0, OPT_SMTP, CHECK_NONE, NEED_SETTINGS,
     cmd_check_config, "check-config [--smtp]",
     "check the settings, secrets, database and mail templates (with "
     "--smtp the SMTP server); writes nothing"},
    {"setting", NULL, 1, 1, 0, CHECK_NAME, NEED_NOTHING, cmd_setting,
     "setting NAME",
     "print the value of a setting as the programs read it (paths "
     "absolute)"},
    {"user", "add", 1, 1, USER_ADD_OPTS, CHECK_EMAIL, NEED_DB, cmd_user_add,
     "user add EMAIL [--password PW] [--first NAME] [--last NAME] "
     "[--admin] [--inactive]",
     "add an email account (without --password: asked on a terminal, "
     "else one line of stdin)"},
    {"user", "list", 0, 0, 0, CHECK_NONE, NEED_DB, cmd_user_list, "user list",
     "every account, deleted and disabled ones too"},
    {"user", "disable", 1, 1, 0, CHECK_EMAIL, NEED_DB, cmd_user_disable,
     "user disable EMAIL", "refuse its sign-in and end its sessions"},
    {"user", "enable", 1, 1, 0, CHECK_EMAIL, NEED_DB, cmd_user_enable,
     "user enable EMAIL", "let a disabled account sign in again"},
    {"user", "delete", 1, 1, 0, CHECK_EMAIL, NEED_DB, cmd_user_delete,
     "user delete EMAIL",
     "delete the account as DELETE /auth/me does; its sessions end"},
    {"user", "set-password", 1, 1, OPT_PASSWORD, CHECK_EMAIL, NEED_DB,
     cmd_user_set_password, "user set-password EMAIL [--password PW]",
     "set its password (asked as for user add); its sessions end"},
    {"user", "role", 2, 2, 0, CHECK_EMAIL_ROLE, NEED_DB, cmd_user_role,
     "user role EMAIL admin|user",
     "set its role; its sessions end (their tokens carry the old one)"},
    {"session", "list", 0, 1, 0, CHECK_EMAIL, NEED_DB, cmd_session_list,
     "session list [EMAIL]", "the live sessions (of one account)"},
    {"session", "revoke", 1, 1, 0, CHECK_ID, NEED_DB, cmd_session_revoke,
     "session revoke ID", "end one session"},
    {"mail", "flush", 0, 0, 0, CHECK_NONE, NEED_DB, cmd_mail_flush,
     "mail flush", "deliver every queued mail that is due now (cron)"},
    {"mail", "list", 0, 1, 0, CHECK_COUNT, NEED_DB, cmd_mail_list,
     "mail list [N]", "the last N outbox rows (default 50)"},
    {"audit", NULL, 0, 0, OPT_USER | OPT_SINCE | OPT_LIMIT, CHECK_NONE, NEED_DB,
     cmd_audit, "audit [--user EMAIL] [--since DATE|24h] [--limit N]",
     "security events, newest first (default 100)"},
    {"gc", NULL, 0, 0, 0, CHECK_NONE, NEED_DB, cmd_gc, "gc",
     "delete what is kept no longer (cron, daily)"},
    {"backup", NULL, 1, 1, 0, CHECK_NONE, NEED_DB_READ, cmd_backup,
     "backup FILE",
     "write a consistent copy of the database to FILE, safe while the "
     "server runs"},
    {"restore", NULL, 1, 1, 0, CHECK_NONE, NEED_DB, cmd_restore, "restore FILE",
     "replace the database's content with the backup FILE, under its "
     "lock: safe while the server runs"},
    {"copy-db", NULL, 0, 0, OPT_FROM | OPT_TO, CHECK_NONE, NEED_NOTHING,
     cmd_copy_db, "copy-db --from sqlite:PATH|URL --to URL|sqlite:PATH",
     "copy every row into an empty database (SQLite to PostgreSQL, or "
     "back), ids and sessions kept, and check the counts; stop the "
     "servers first"},
};
static const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

/* The command argv names; *words: how many words it took. NULL (and a
 * message) when there is none. */
static const struct command *
find_command(int argc, char **argv, int *words)
{
	const char *sub = argc > 2 ? argv[2] : NULL;
	bool has_subs = false;
	size_t i;

	for (i = 0; i < ncommands; i++) {
		const struct command *c = &commands[i];

		if (strcmp(c->name, argv[1]) != 0)
			continue;
		if (c->sub == NULL) {
			*words = 1;
			return c;
		}
		has_subs = true;
		if (sub != NULL && strcmp(c->sub, sub) == 0) {
			*words = 2;
			return c;
		}
	}
	if (has_subs)
		say(stderr,
		    "authportal: %s %s: unknown; `authportal --help` "
		    "lists the commands",
		    argv[1],
		    sub != NULL ? sub
				: "needs a "
				  "subcommand");
	else
		say(stderr,
		    "authportal: unknown command %s; `authportal --help` "
		    "lists the commands",
		    argv[1]);
	return NULL;
}

/*
 * In a build tree (base/paths.h), the secrets that script/server generated
 * into the source tree's var/secrets.env are read below the settings. An
 * installed authportal has no build tree, and reads no such file.
 */
static void
checkout_secrets(void)
{
	const char *tree = ptl_paths_source_tree();
	char path[4200];

	if (tree == NULL)
		return;
	if (snprintf(path, sizeof(path), "%s/var/secrets.env", tree) <
	    (int)sizeof(path))
		ptl_cfg_set_fallback(path);
}

/* Loads what c needs into app. Returns 0, or the exit status. */
static int
prepare(const struct command *c, struct ptl_app *app)
{
	enum ptl_err e;

	if (c->need == NEED_NOTHING)
		return 0;
	if (ptl_app_load(app) != PTL_OK) {
		say(stderr, "authportal: the settings are not usable (see the "
			    "messages above)");
		return 1;
	}
	if (c->need == NEED_SETTINGS)
		return 0;
	if (c->need == NEED_DB_READ && app->cfg.database_url == NULL &&
	    access(app->cfg.database_path, F_OK) != 0) {
		say(stderr, "authportal: the database %s does not exist",
		    app->cfg.database_path);
		return 1;
	}
	if (c->need == NEED_DB_READ)
		e = ptl_db_open_readonly(app->cfg.database_url != NULL
					     ? app->cfg.database_url
					     : app->cfg.database_path,
					 app->cfg.busy_timeout_ms, &app->db);
	else
		e = ptl_app_open_db(app);
	if (e != PTL_OK) {
		char label[600];

		say(stderr,
		    "authportal: cannot use the database %s (see the "
		    "messages above)",
		    db_label(&app->cfg, label, sizeof(label)));
		return 1;
	}
	return 0;
}

static bool
is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 ||
	       strcmp(arg, "help") == 0;
}

int
main(int argc, char **argv)
{
	const struct command *c;
	struct ptl_app app;
	struct args args;
	struct ctx ctx;
	bool done;
	int words = 0, rc;

	if (argc < 2) {
		usage_to(stderr);
		return 2;
	}
	if (is_help(argv[1])) {
		usage_to(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("authportal %s\n", PACKAGE_VERSION);
		return 0;
	}
	c = find_command(argc, argv, &words);
	if (c == NULL)
		return 2;
	memset(&app, 0, sizeof(app));
	ctx.a = ptl_mem_new();
	ctx.app = &app;
	rc = parse_args(ctx.a, c, argc, argv, 1 + words, &args, &done);
	if (rc == 0 && !done) {
		checkout_secrets();
		rc = prepare(c, &app);
	}
	if (rc == 0 && !done)
		rc = c->run(&ctx, &args);
	ptl_mem_free(ctx.a);
	if (c->need != NEED_NOTHING)
		ptl_app_close(&app);
	return rc;
}
