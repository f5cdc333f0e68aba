/* SPDX-License-Identifier: ISC */
/* audit: see audit.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "base/utf8.h"
#include "domain/account.h"
#include "domain/audit.h"
#include "domain/ratelimit.h"

static const char *const names[PTL_AUDIT__MAX] = {
	[PTL_AUDIT_SIGNIN_OK] = "signin_ok",
	[PTL_AUDIT_SIGNIN_FAILED] = "signin_failed",
	[PTL_AUDIT_SIGNIN_SOCIAL] = "signin_social",
	[PTL_AUDIT_SIGNIN_SOCIAL_FAILED] = "signin_social_failed",
	[PTL_AUDIT_REFRESH_REUSE] = "refresh_reuse",
	[PTL_AUDIT_SESSION_REVOKED] = "session_revoked",
	[PTL_AUDIT_LOGOUT] = "logout",
	[PTL_AUDIT_PASSWORD_CHANGED] = "password_changed",
	[PTL_AUDIT_PASSWORD_RESET] = "password_reset",
	[PTL_AUDIT_EMAIL_CHANGED] = "email_changed",
	[PTL_AUDIT_ACCOUNT_DELETED] = "account_deleted",
	[PTL_AUDIT_ACCOUNT_DISABLED] = "account_disabled",
	[PTL_AUDIT_RATE_LIMITED] = "rate_limited",
	[PTL_AUDIT_LOCKOUT] = "lockout",
	[PTL_AUDIT_ACCOUNT_ENABLED] = "account_enabled",
	[PTL_AUDIT_ROLE_CHANGED] = "role_changed",
};

const char *
ptl_audit_name(enum ptl_audit_event event)
{
	return (unsigned)event < PTL_AUDIT__MAX ? names[event] : NULL;
}

void
ptl_audit_set_origin(struct ptl_app *app, const char *ip,
		     const char *user_agent)
{
	app->client_ip = ip;
	app->client_user_agent = user_agent;
}

/* Binds s (NULL binds NULL) as valid UTF-8 of at most max bytes: a byte
 * that is not part of a strict UTF-8 sequence becomes U+FFFD, and the text
 * is cut before the first character that would not fit whole. Control
 * characters are kept as they came (the CLI escapes them on output). */
static void
bind_text_capped(struct ptl_stmt *st, int i, const char *s, size_t max)
{
	static const char replacement[] = "\xef\xbf\xbd";
	char out[PTL_AUDIT_UA_MAX];
	const unsigned char *p = (const unsigned char *)s;
	size_t len, at = 0, used = 0;

	PTL_ASSERT(max <= sizeof(out));
	if (s == NULL) {
		ptl_db_bind_null(st, i);
		return;
	}
	len = strnlen(s, max + 4); /* enough for the last whole character */
	while (at < len) {
		uint32_t cp;
		size_t n = ptl_utf8_decode(p + at, len - at, &cp);
		const char *piece = n > 0 ? s + at : replacement;
		size_t piece_len = n > 0 ? n : sizeof(replacement) - 1;

		if (used + piece_len > max)
			break;
		memcpy(out + used, piece, piece_len);
		used += piece_len;
		at += n > 0 ? n : 1;
	}
	ptl_db_bind_text(st, i, out, used);
}

static void
insert(struct ptl_app *app, enum ptl_audit_event event, int64_t user_id,
       int64_t session_id, const char *email, const char *detail,
       int64_t now_ms)
{
	const char *name = ptl_audit_name(event);
	struct ptl_stmt *st;

	if (name == NULL || app->db == NULL)
		return;
	st = ptl_db_q(app->db, PTL_Q_AUDIT_INSERT);
	ptl_db_bind_int(st, 1, now_ms);
	ptl_db_bind_textz(st, 2, name);
	if (user_id > 0)
		ptl_db_bind_int(st, 3, user_id);
	if (session_id > 0)
		ptl_db_bind_int(st, 4, session_id);
	bind_text_capped(st, 5, app->client_ip, PTL_AUDIT_IP_MAX);
	ptl_db_bind_textz(st, 6, detail);
	bind_text_capped(st, 7, app->client_user_agent, PTL_AUDIT_UA_MAX);
	bind_text_capped(st, 8, email, PTL_AUDIT_EMAIL_MAX);
	if (ptl_db_exec(st) != PTL_OK)
		PTL_LOG_WARN("audit event %s not recorded", name);
}

void
ptl_audit_record(struct ptl_app *app, enum ptl_audit_event event,
		 int64_t user_id, int64_t session_id, const char *detail,
		 int64_t now_ms)
{
	insert(app, event, user_id, session_id, NULL, detail, now_ms);
}

void
ptl_audit_record_address(struct ptl_app *app, enum ptl_audit_event event,
			 const char *email, const char *detail, int64_t now_ms)
{
	int64_t user_id = 0;

	if (app->db == NULL)
		return;
	if (email != NULL && ptl_account_find(app, email, &user_id) == PTL_OK)
		insert(app, event, user_id, 0, NULL, detail, now_ms);
	else
		insert(app, event, 0, 0, email, detail, now_ms);
}

/* --- --since ----------------------------------------------------------- */

/* Exactly n digits at *p, as a number; advances *p. */
static bool
digits(const char **p, int n, int64_t *out)
{
	int64_t v = 0;
	int i;

	for (i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H.
 * Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD: OUT the day's number; advances *p. */
static bool
parse_date(const char **p, int64_t *days)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int64_t y, m, d;

	if (!digits(p, 4, &y) || *(*p)++ != '-' || !digits(p, 2, &m) ||
	    *(*p)++ != '-' || !digits(p, 2, &d))
		return false;
	if (y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap(y)))
		return false;
	*days = days_from_civil(y, m, d);
	return true;
}

/* [THH:MM[:SS[.mmm]]][Z] after a date: OUT milliseconds into the day. */
static bool
parse_time(const char *p, int64_t *ms)
{
	int64_t h = 0, min = 0, sec = 0, frac = 0;

	*ms = 0;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &min))
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return false;
			if (*p == '.') {
				p++;
				if (!digits(&p, 3, &frac))
					return false;
			}
		}
		if (h > 23 || min > 59 || sec > 59)
			return false;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	if (*p != '\0')
		return false;
	*ms = ((h * 60 + min) * 60 + sec) * 1000 + frac;
	return true;
}

static bool
letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool
ptl_audit_parse_since(const char *s, int64_t now_ms, int64_t *since_ms)
{
	size_t len = strlen(s);
	const char *p = s;
	int64_t days, ms;

	if (len >= 10 && s[4] == '-') {
		if (!parse_date(&p, &days) || !parse_time(p, &ms))
			return false;
		*since_ms = days * 86400000 + ms;
		return true;
	}
	/* A duration needs its unit: "900" would be 900 ms back. */
	if (len < 2 || s[0] < '0' || s[0] > '9' || !letter(s[len - 1]) ||
	    !ptl_str_duration_ms(s, &ms) || ms > now_ms)
		return false;
	*since_ms = now_ms - ms;
	return true;
}

/* --- gc ----------------------------------------------------------------- */

#define GC_BATCH 1000
#define DAY_MS 86400000LL

/* Runs the DELETE q (cutoff ?1, batch size ?2) until a batch is short. */
static enum ptl_err
prune(struct ptl_app *app, enum ptl_q q, int64_t cutoff_ms, int64_t *count)
{
	int64_t n;

	*count = 0;
	do {
		struct ptl_stmt *st = ptl_db_q(app->db, q);
		enum ptl_err e;

		ptl_db_bind_int(st, 1, cutoff_ms);
		ptl_db_bind_int(st, 2, GC_BATCH);
		e = ptl_db_exec(st);
		if (e != PTL_OK)
			return e;
		n = ptl_db_changes(app->db);
		*count += n;
	} while (n == GC_BATCH);
	return PTL_OK;
}

/* PTL_Q_SESSION_PRUNE: the same, each batch after the last id pruned
 * (?3), read back from its RETURNING rows. */
static enum ptl_err
prune_sessions(struct ptl_app *app, int64_t cutoff_ms, int64_t *count)
{
	int64_t n, after = 0;

	*count = 0;
	do {
		struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_SESSION_PRUNE);
		enum ptl_err e;
		bool row;

		ptl_db_bind_int(st, 1, cutoff_ms);
		ptl_db_bind_int(st, 2, GC_BATCH);
		ptl_db_bind_int(st, 3, after);
		n = 0;
		while ((e = ptl_db_step(st, &row)) == PTL_OK && row) {
			int64_t id = ptl_db_int(st, PTL_COL_SESSION_TRIM_ID);

			if (id > after)
				after = id;
			n++;
		}
		ptl_db_done(st);
		if (e != PTL_OK)
			return e;
		*count += n;
	} while (n == GC_BATCH);
	return PTL_OK;
}

enum ptl_err
ptl_audit_gc(struct ptl_app *app, int64_t now_ms, struct ptl_audit_gc *out)
{
	int64_t cutoff = now_ms - app->cfg.audit_retention_days * DAY_MS;
	int64_t spent = ptl_ratelimit_spent_before(now_ms);
	enum ptl_err e;

	memset(out, 0, sizeof(*out));
	e = prune(app, PTL_Q_AUDIT_PRUNE, cutoff, &out->audit_rows);
	if (e == PTL_OK)
		e = prune_sessions(app, cutoff, &out->sessions);
	if (e == PTL_OK)
		e = prune(app, PTL_Q_OUTBOX_PRUNE, cutoff, &out->mails);
	if (e == PTL_OK)
		e = prune(app, PTL_Q_RATE_PRUNE, spent, &out->rate_limits);
	return e;
}
