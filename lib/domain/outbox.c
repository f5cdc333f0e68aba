/* SPDX-License-Identifier: ISC */
/*
 * outbox: see outbox.h. Two processes never deliver the same row at once:
 * a delivery first claims the row for a lease longer than the SMTP
 * timeouts. A process that dies between the server's 250 and the "sent"
 * mark leaves the row to be sent again after the lease: delivery is at
 * least once in that one case, and exactly once otherwise.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "domain/account.h"
#include "adapters/crypto.h"
#include "adapters/smtp.h"
#include "base/log.h"
#include "domain/outbox.h"
#include "domain/ratelimit.h"
#include "base/str.h"
#include "domain/token.h"

static const char *const kind_name[PTL_MAIL__MAX] = {
	[PTL_MAIL_CONFIRM] = "confirm",
	[PTL_MAIL_CONFIRM_NEW] = "confirm-new",
	[PTL_MAIL_RESET] = "reset",
};

const char *
ptl_outbox_kind_name(int kind)
{
	return kind >= 0 && kind < PTL_MAIL__MAX ? kind_name[kind] : NULL;
}

enum ptl_err
ptl_outbox_count(struct ptl_app *app, enum ptl_mail_kind kind, const char *to,
		 int64_t now_ms)
{
	char key[320];
	int retry;

	PTL_ASSERT((unsigned)kind < PTL_MAIL__MAX);
	(void)snprintf(key, sizeof(key), "%s:%s", kind_name[kind], to);
	return ptl_ratelimit_hit(app, PTL_RL_MAIL, key, now_ms, &retry);
}

enum ptl_err
ptl_outbox_enqueue(struct ptl_app *app, enum ptl_mail_kind kind,
		   int64_t user_id, const char *to, const char *new_email,
		   int64_t now_ms, int64_t *id)
{
	struct ptl_stmt *st;
	enum ptl_err e;

	e = ptl_outbox_count(app, kind, to, now_ms);
	if (e != PTL_OK)
		return e;
	st = ptl_db_q(app->db, PTL_Q_OUTBOX_INSERT);
	ptl_db_bind_int(st, 1, kind);
	ptl_db_bind_int(st, 2, user_id);
	ptl_db_bind_textz(st, 3, to);
	ptl_db_bind_textz(st, 4, new_email);
	ptl_db_bind_int(st, 5, now_ms);
	ptl_db_bind_textz(st, 6, app->mail_lang);
	e = ptl_db_exec(st);
	if (e == PTL_OK)
		*id = ptl_db_last_id(app->db);
	return e;
}

struct row {
	int kind;
	int64_t user_id, attempts;
	const char *to, *new_email;
	const char *lang; /* NULL: the fallback language */
};

/* The link of API.md §4.1-4.2 for row r, made now. OUT url. */
static enum ptl_err
make_link(struct ptl_arena *a, struct ptl_app *app, const struct row *r,
	  int64_t now_ms, char **url)
{
	const char *front = app->cfg.frontend_domain;
	struct ptl_user u;
	char *token;
	int64_t expires;
	enum ptl_err e;

	if (app->cfg.mail_links_pages) {
		/* The account pages (cgi-bin/pages) have pages of the same
		 * names under their base path (API.md §10 item 36). */
		if (app->cfg.backend_domain == NULL) {
			PTL_LOG_ERR("AUTH_MAIL_LINKS=pages needs BACKEND_DOMAIN");
			return PTL_ERR_INTERNAL;
		}
		front = ptl_mem_printf(a, "%s%.*s", app->cfg.backend_domain,
				       (int)strlen(app->cfg.pages_base) - 1,
				       app->cfg.pages_base);
	} else if (front == NULL) {
		PTL_LOG_ERR("FRONTEND_DOMAIN is required to build mail links");
		return PTL_ERR_INTERNAL;
	}
	if (r->kind == PTL_MAIL_RESET) {
		e = ptl_account_get(a, app, r->user_id, &u);
		if (e == PTL_OK)
			e = ptl_token_reset_issue(a, app, r->user_id, u.password,
						  now_ms, &token, &expires);
		if (e == PTL_OK)
			*url = ptl_mem_printf(a, "%s/password-change?hash=%s&"
					      "expires=%lld", front, token,
					      (long long)expires);
		return e;
	}
	e = ptl_token_confirm_issue(a, app, r->user_id,
				    r->kind == PTL_MAIL_CONFIRM_NEW ? r->new_email
								    : NULL,
				    now_ms, &token);
	if (e == PTL_OK)
		*url = ptl_mem_printf(a, "%s/%s?hash=%s", front,
				      r->kind == PTL_MAIL_CONFIRM_NEW
					      ? "confirm-new-email"
					      : "confirm-email",
				      token);
	return e;
}

static enum ptl_err
load(struct ptl_arena *a, struct ptl_app *app, int64_t id, struct row *r)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OUTBOX_GET);
	bool found;
	enum ptl_err e;

	memset(r, 0, sizeof(*r));
	ptl_db_bind_int(st, 1, id);
	e = ptl_db_step(st, &found);
	if (e == PTL_OK && found) {
		const char *ne = ptl_db_text(st, PTL_COL_OUTBOX_GET_NEW_EMAIL);
		const char *lang = ptl_db_text(st, PTL_COL_OUTBOX_GET_LANG);

		r->kind = (int)ptl_db_int(st, PTL_COL_OUTBOX_GET_KIND);
		r->user_id = ptl_db_int(st, PTL_COL_OUTBOX_GET_USER_ID);
		r->to = ptl_mem_strdup(a,
				       ptl_db_text(st, PTL_COL_OUTBOX_GET_RECIPIENT));
		r->new_email = ne != NULL ? ptl_mem_strdup(a, ne) : NULL;
		r->lang = lang != NULL ? ptl_mem_strdup(a, lang) : NULL;
		r->attempts = ptl_db_int(st, PTL_COL_OUTBOX_GET_ATTEMPTS);
	}
	ptl_db_done(st);
	if (e == PTL_OK && (!found || r->kind < 0 || r->kind >= PTL_MAIL__MAX))
		e = PTL_ERR_NOT_FOUND;
	return e;
}

/* Marks the attempt that failed with why; gives up after the last one. */
static void
failed(struct ptl_app *app, int64_t id, int64_t attempts, bool permanent,
       const char *why, int64_t now_ms)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OUTBOX_RETRY);
	int64_t backoff = (int64_t)30000 << (attempts < 7 ? attempts : 7);
	bool give_up = permanent || attempts + 1 >= PTL_OUTBOX_MAX_ATTEMPTS;

	if (backoff > 3600000)
		backoff = 3600000;
	ptl_db_bind_int(st, 1, id);
	ptl_db_bind_int(st, 2, now_ms + backoff);
	if (give_up)
		ptl_db_bind_int(st, 3, now_ms);
	ptl_db_bind_textz(st, 4, why);
	if (ptl_db_exec(st) != PTL_OK)
		PTL_LOG_ERR("mail %lld: cannot record the failed attempt",
			    (long long)id);
	PTL_LOG_WARN("mail %lld: delivery failed (%s); %s", (long long)id, why,
		     give_up ? "given up" : "queued for a retry");
}

/* Claims row id for this process. OUT mine: whether it is ours to
 * deliver; a database error (a full disk, a lock held too long) is
 * returned as such, not taken for "another worker has it". */
static enum ptl_err
claim(struct ptl_app *app, int64_t id, int64_t now_ms, bool *mine)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OUTBOX_CLAIM);
	int64_t lease = app->cfg.mail.connect_timeout_ms +
			app->cfg.mail.timeout_ms + 30000;
	enum ptl_err e;

	ptl_db_bind_int(st, 1, id);
	ptl_db_bind_int(st, 2, now_ms);
	ptl_db_bind_int(st, 3, now_ms + lease);
	e = ptl_db_exec(st);
	*mine = e == PTL_OK && ptl_db_changes(app->db) == 1;
	return e;
}

enum ptl_err
ptl_outbox_deliver(struct ptl_arena *a, struct ptl_app *app, int64_t id,
		   int64_t now_ms)
{
	struct ptl_stmt *st;
	struct ptl_mail_text text;
	struct row r;
	char *url = NULL, *msg = NULL;
	size_t len = 0;
	bool mine;
	enum ptl_err e = claim(app, id, now_ms, &mine);

	if (e != PTL_OK)
		return PTL_ERR_UNAVAILABLE; /* stays queued; logged */
	if (!mine)
		return PTL_OK; /* sent, given up, or another worker has it */
	e = load(a, app, id, &r);
	if (e != PTL_OK)
		return e;
	e = make_link(a, app, &r, now_ms, &url);
	if (e == PTL_ERR_NOT_FOUND) {
		failed(app, id, r.attempts, true, "the user is gone", now_ms);
		return PTL_ERR_UNAVAILABLE;
	}
	/* In the language stored with the row (API.md §12.1): a retry is in
	 * the language of the request that queued the mail. */
	if (e == PTL_OK)
		e = ptl_mail_text(a, app->i18n, (enum ptl_mail_kind)r.kind,
				  r.lang, app->cfg.app_name, &text);
	if (e == PTL_OK)
		e = ptl_mail_render(a, &app->cfg.mail,
				    (enum ptl_mail_kind)r.kind, &text, r.to,
				    url, now_ms, &msg, &len);
	if (e == PTL_OK)
		e = ptl_smtp_send(&app->cfg.mail, r.to, msg, len);
	if (url != NULL)
		ptl_crypto_wipe(url, strlen(url));
	if (msg != NULL)
		ptl_crypto_wipe(msg, len);
	if (e != PTL_OK) {
		/* UNAVAILABLE is the SMTP server's doing: say what it did. */
		failed(app, id, r.attempts, e == PTL_ERR_BAD_REQUEST,
		       e == PTL_ERR_UNAVAILABLE ? ptl_smtp_last_error()
						: ptl_err_info(e)->code,
		       now_ms);
		return PTL_ERR_UNAVAILABLE;
	}
	st = ptl_db_q(app->db, PTL_Q_OUTBOX_SENT);
	ptl_db_bind_int(st, 1, id);
	ptl_db_bind_int(st, 2, now_ms);
	return ptl_db_exec(st);
}

enum ptl_err
ptl_outbox_flush(struct ptl_arena *a, struct ptl_app *app, int64_t now_ms,
		 unsigned max, bool all, unsigned *sent, unsigned *failed_n)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OUTBOX_DUE);
	int64_t *ids = ptl_mem_alloc(a, sizeof(*ids) * (max + 1));
	unsigned n = 0, i, ok = 0, bad = 0;
	bool row;
	enum ptl_err e;

	ptl_db_bind_int(st, 1, now_ms);
	ptl_db_bind_int(st, 2, max);
	ptl_db_bind_int(st, 3, all ? INT64_MAX : now_ms);
	for (;;) {
		e = ptl_db_step(st, &row);
		if (e != PTL_OK || !row || n == max)
			break;
		ids[n++] = ptl_db_int(st, PTL_COL_OUTBOX_DUE_ID);
	}
	ptl_db_done(st);
	if (e != PTL_OK)
		return e;
	for (i = 0; i < n; i++) {
		if (ptl_outbox_deliver(a, app, ids[i], now_ms) == PTL_OK)
			ok++;
		else
			bad++;
	}
	if (sent != NULL)
		*sent = ok;
	if (failed_n != NULL)
		*failed_n = bad;
	return PTL_OK;
}

void
ptl_outbox_defer(struct ptl_app *app, int64_t id)
{
	if (app->nmail_after == PTL_APP_MAIL_AFTER_MAX) {
		PTL_LOG_WARN("mail %lld: left queued (too many in one request)",
			     (long long)id);
		return;
	}
	app->mail_after[app->nmail_after++] = id;
}

void
ptl_outbox_deliver_deferred(struct ptl_arena *a, struct ptl_app *app,
			    int64_t now_ms)
{
	size_t i, n = app->nmail_after;
	bool answered = false;

	app->nmail_after = 0;
	for (i = 0; i < n; i++) {
		if (ptl_outbox_deliver(a, app, app->mail_after[i], now_ms) ==
		    PTL_OK)
			answered = true;
	}
	if (answered)
		(void)ptl_outbox_flush(a, app, now_ms, 3, false, NULL, NULL);
}
