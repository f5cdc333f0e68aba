/* SPDX-License-Identifier: ISC */
/*
 * test_outbox: the durable mail queue (lib/domain/outbox.c) on a temp
 * database (fixture.h, fixed clock), delivering to the SMTP catcher of
 * catcher.h or to a closed loopback port. Enqueue inside a transaction
 * (rolled back: nothing queued, nothing counted); one mail a minute per
 * address and kind; sent once and never again; ptl_outbox_defer() only
 * recording, and ptl_outbox_deliver_deferred() (after the answer)
 * delivering, draining due mails, bounded; retry with doubling back-off after a failed
 * delivery, capped, given up after PTL_OUTBOX_MAX_ATTEMPTS; permanent
 * failures given up at once; two processes claiming one mail (one
 * delivers, the other skips it) and a lease left by a process that died;
 * what is due, in which order; the list the CLI prints. Each group has
 * its own database.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/db.h"
#include "base/mem.h"
#include "domain/app.h"
#include "domain/outbox.h"
#include "catcher.h"
#include "fixture.h"
#include "tap.h"

#define NOW FIX_NOW_MS
/* MAIL_CONNECT_TIMEOUT_MS + MAIL_TIMEOUT_MS + 30 s, as set in main(). */
#define LEASE_MS (1000 + 3000 + 30000)

static struct ptl_arena *arena;
static struct catcher open_catcher, held_catcher;
static unsigned closed_port;

/* One row as the CLI's `mail list` reads it (PTL_Q_OUTBOX_LIST). */
struct listed {
	int64_t id, kind, created, attempts, next, sent, failed;
	bool is_sent, is_failed;
	char to[256], error[64];
};

/* Row id through PTL_Q_OUTBOX_LIST; false when it is not listed. */
static bool
listed(struct ptl_app *app, int64_t id, struct listed *r)
{
	struct ptl_stmt *st = ptl_db_q(app->db, PTL_Q_OUTBOX_LIST);
	bool row, found = false;

	memset(r, 0, sizeof(*r));
	ptl_db_bind_int(st, 1, 1000);
	while (!found && ptl_db_step(st, &row) == PTL_OK && row) {
		const char *err = ptl_db_text(st, 8);

		if (ptl_db_int(st, 0) != id)
			continue;
		found = true;
		r->id = id;
		r->kind = ptl_db_int(st, 1);
		(void)snprintf(r->to, sizeof(r->to), "%s", ptl_db_text(st, 2));
		r->created = ptl_db_int(st, 3);
		r->attempts = ptl_db_int(st, 4);
		r->next = ptl_db_int(st, 5);
		r->is_sent = !ptl_db_is_null(st, 6);
		r->sent = ptl_db_int(st, 6);
		r->is_failed = !ptl_db_is_null(st, 7);
		r->failed = ptl_db_int(st, 7);
		(void)snprintf(r->error, sizeof(r->error), "%s",
			       err != NULL ? err : "");
	}
	ptl_db_done(st);
	return found;
}

/* An integer of row id read through a connection of its own. */
static long long
column(int64_t id, const char *col)
{
	char sql[128];

	(void)snprintf(
	    sql, sizeof(sql),
	    "SELECT coalesce(%s, 0) FROM mail_outbox WHERE id = %lld", col,
	    (long long)id);
	return fix_sql_int(fix_path("auth.db"), sql);
}

static long long
rows(void)
{
	return fix_sql_int(fix_path("auth.db"),
			   "SELECT count(*) FROM mail_outbox");
}

/* Queues one mail in a transaction of its own. Returns its id, or 0. */
static int64_t
queue(struct ptl_app *app, enum ptl_mail_kind kind, int64_t user,
      const char *to, int64_t now_ms)
{
	int64_t id = 0;
	enum ptl_err e;

	if (ptl_db_begin(app->db) != PTL_OK)
		return 0;
	e = ptl_outbox_enqueue(app, kind, user, to, NULL, now_ms, &id);
	if (ptl_db_end(app->db, e) != PTL_OK)
		return 0;
	return e == PTL_OK ? id : 0;
}

static int64_t
open_app(struct ptl_app *app)
{
	fix_app_open(app);
	app->cfg.mail.port = closed_port;
	return fix_user(app, "user@example.com", "$argon2id$x", "email", 2);
}

static void
test_enqueue(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), id = 0;
	struct listed r;

	ok(ptl_db_begin(app.db) == PTL_OK, "enqueue: begin");
	is_int(ptl_outbox_enqueue(&app, PTL_MAIL_CONFIRM, user,
				  "user@example.com", NULL, NOW, &id),
	       PTL_OK, "enqueue: inside the transaction");
	ok(id > 0, "enqueue: an id");
	ptl_db_rollback(app.db);
	is_int(rows(), 0, "enqueue: rolled back with the transaction");
	id = queue(&app, PTL_MAIL_CONFIRM, user, "user@example.com", NOW);
	ok(id > 0, "enqueue: the rolled-back one did not count (not limited)");
	is_int(rows(), 1, "enqueue: committed with the transaction");
	ok(listed(&app, id, &r) && r.kind == PTL_MAIL_CONFIRM &&
	       strcmp(r.to, "user@example.com") == 0 && r.created == NOW &&
	       r.next == NOW && r.attempts == 0 && !r.is_sent && !r.is_failed,
	   "enqueue: queued now, due now, no attempt yet");
	is_int(column(id, "claimed_until"), 0, "enqueue: not claimed");
	fix_app_close(&app);
}

/* The language of the request (app.mail_lang) is stored with the row,
 * NULL (the fallback) outside a request (API.md §10 item 28). */
static void
test_lang(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), fr, none;
	char sql[128];

	app.mail_lang = "fr";
	fr = queue(&app, PTL_MAIL_CONFIRM, user, "user@example.com", NOW);
	app.mail_lang = NULL;
	none = queue(&app, PTL_MAIL_RESET, user, "user@example.com", NOW);
	(void)snprintf(sql, sizeof(sql),
		       "SELECT lang = 'fr' FROM mail_outbox WHERE id = %lld",
		       (long long)fr);
	is_int(fix_sql_int(fix_path("auth.db"), sql), 1,
	       "lang: the request's language is stored");
	(void)snprintf(sql, sizeof(sql),
		       "SELECT lang IS NULL FROM mail_outbox WHERE id = %lld",
		       (long long)none);
	is_int(fix_sql_int(fix_path("auth.db"), sql), 1,
	       "lang: none outside a request");
	fix_app_close(&app);
}

static void
test_rate(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), id = 0;
	enum ptl_err e;

	ok(queue(&app, PTL_MAIL_RESET, user, "user@example.com", NOW) > 0,
	   "rate: the first reset mail");
	ok(ptl_db_begin(app.db) == PTL_OK, "rate: begin");
	e = ptl_outbox_enqueue(&app, PTL_MAIL_RESET, user, "user@example.com",
			       NULL, NOW + 59000, &id);
	ptl_db_rollback(app.db);
	is_int(e, PTL_ERR_RATE_LIMITED, "rate: a second within the minute");
	is_int(rows(), 1, "rate: and nothing queued for it");
	ok(queue(&app, PTL_MAIL_CONFIRM, user, "user@example.com", NOW + 1) > 0,
	   "rate: another kind to the same address");
	ok(queue(&app, PTL_MAIL_RESET, user, "other@example.com", NOW + 2) > 0,
	   "rate: the same kind to another address");
	ok(queue(&app, PTL_MAIL_RESET, user, "user@example.com", NOW + 60000) >
	       0,
	   "rate: the same again after the minute");
	is_int(rows(), 4, "rate: four queued");
	fix_app_close(&app);
}

static void
test_sent(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), id;
	unsigned sent = 9, failed = 9, before = open_catcher.messages;
	struct listed r;

	app.cfg.mail.port = open_catcher.port;
	id = queue(&app, PTL_MAIL_CONFIRM, user, "user@example.com", NOW);
	is_int(ptl_outbox_deliver(arena, &app, id, NOW), PTL_OK,
	       "sent: delivered");
	catcher_poll(&open_catcher, 2000);
	is_int(open_catcher.messages, before + 1, "sent: the server got it");
	ok(listed(&app, id, &r) && r.is_sent && r.sent == NOW &&
	       r.attempts == 1 && r.error[0] == '\0' && !r.is_failed,
	   "sent: marked sent, one attempt, no error");
	is_int(column(id, "claimed_until"), 0, "sent: the claim is released");
	is_int(ptl_outbox_deliver(arena, &app, id, NOW + 1), PTL_OK,
	       "sent: delivering it again is a no-op");
	ok(ptl_outbox_flush(arena, &app, NOW + 3600000, 10, true, &sent,
			    &failed) == PTL_OK &&
	       sent == 0 && failed == 0,
	   "sent: flush all finds nothing to do");
	catcher_poll(&open_catcher, 200);
	is_int(open_catcher.messages, before + 1, "sent: never sent twice");
	fix_app_close(&app);
}

/* ptl_outbox_defer() only records; ptl_outbox_deliver_deferred(), run
 * once the answer is out, delivers and drains. */
static void
test_deferred(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), a, b, c, d, more[PTL_APP_MAIL_AFTER_MAX + 1];
	unsigned before = open_catcher.messages;
	struct listed r;
	size_t i;

	b = queue(&app, PTL_MAIL_CONFIRM, user, "b@example.com", NOW);
	is_int(ptl_outbox_deliver(arena, &app, b, NOW), PTL_ERR_UNAVAILABLE,
	       "deferred: an earlier mail failed (server down)");
	app.cfg.mail.port = open_catcher.port;
	a = queue(&app, PTL_MAIL_RESET, user, "user@example.com", NOW + 30000);
	ptl_outbox_defer(&app, a);
	ok(listed(&app, a, &r) && r.attempts == 0 && !r.is_sent &&
		   app.nmail_after == 1,
	   "deferred: recorded, not delivered");
	ptl_outbox_deliver_deferred(arena, &app, NOW + 30000);
	catcher_poll(&open_catcher, 2000);
	is_int(open_catcher.messages, before + 2,
	       "deferred: the new mail and the due earlier one delivered");
	ok(listed(&app, a, &r) && r.is_sent && listed(&app, b, &r) &&
	       r.is_sent && r.attempts == 2,
	   "deferred: both marked sent");
	is_int(app.nmail_after, 0, "deferred: the list is emptied");
	ptl_outbox_deliver_deferred(arena, &app, NOW + 30000);
	catcher_poll(&open_catcher, 200);
	is_int(open_catcher.messages, before + 2,
	       "deferred: a second run sends nothing");

	app.cfg.mail.port = closed_port;
	d = queue(&app, PTL_MAIL_CONFIRM, user, "d@example.com", NOW + 40000);
	c = queue(&app, PTL_MAIL_CONFIRM, user, "c@example.com", NOW + 40000);
	ptl_outbox_defer(&app, c);
	ptl_outbox_deliver_deferred(arena, &app, NOW + 40000);
	ok(listed(&app, c, &r) && r.attempts == 1 && !r.is_sent,
	   "deferred: a failed delivery stays queued");
	ok(listed(&app, d, &r) && r.attempts == 0,
	   "deferred: and drains nothing while the server is down");

	/* More than the list holds: the rest stays queued, untouched. */
	for (i = 0; i <= PTL_APP_MAIL_AFTER_MAX; i++) {
		char to[32];

		(void)snprintf(to, sizeof(to), "m%zu@example.com", i);
		more[i] = queue(&app, PTL_MAIL_CONFIRM, user, to, NOW + 50000);
		ptl_outbox_defer(&app, more[i]);
	}
	is_int(app.nmail_after, PTL_APP_MAIL_AFTER_MAX,
	       "deferred: the list is bounded");
	ptl_outbox_deliver_deferred(arena, &app, NOW + 50000);
	ok(listed(&app, more[0], &r) && r.attempts == 1 &&
		   listed(&app, more[PTL_APP_MAIL_AFTER_MAX], &r) &&
		   r.attempts == 0 && !r.is_sent,
	   "deferred: the one past the bound stays queued for a flush");
	fix_app_close(&app);
}

static void
test_retry(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), id, t = NOW, want;
	unsigned sent = 9, failed = 9;
	struct listed r;
	int k, steps = 0;

	id = queue(&app, PTL_MAIL_CONFIRM, user, "user@example.com", NOW);
	is_int(ptl_outbox_deliver(arena, &app, id, NOW), PTL_ERR_UNAVAILABLE,
	       "retry: a closed port fails the delivery");
	ok(listed(&app, id, &r) && r.attempts == 1 && r.next == NOW + 30000 &&
	       !r.is_sent && !r.is_failed &&
	       strstr(r.error, "Failed to connect") != NULL,
	   "retry: queued again in 30 s, the error recorded");
	diag("last error: %s", r.error);
	is_int(column(id, "claimed_until"), 0, "retry: the claim is released");
	ok(ptl_outbox_flush(arena, &app, NOW + 29999, 10, false, &sent,
			    &failed) == PTL_OK &&
	       sent == 0 && failed == 0,
	   "retry: not due during the back-off");
	/* Attempts 2..8: the back-off doubles (30 s << k), capped at one
	 * hour, and the 8th failure gives up. */
	for (k = 1; k < PTL_OUTBOX_MAX_ATTEMPTS; k++) {
		t = r.next;
		want = (int64_t)30000 << k;
		if (want > 3600000)
			want = 3600000;
		if (ptl_outbox_flush(arena, &app, t, 10, false, &sent,
				     &failed) != PTL_OK ||
		    sent != 0 || failed != 1 || !listed(&app, id, &r) ||
		    r.attempts != k + 1 || r.next != t + want) {
			diag("attempt %d: next %lld, want %lld", k + 1,
			     (long long)(r.next - t), (long long)want);
			break;
		}
		steps++;
		ptl_mem_reset(arena);
	}
	is_int(steps, PTL_OUTBOX_MAX_ATTEMPTS - 1,
	       "retry: due again after each back-off, doubling, capped");
	ok(r.is_failed && r.failed == t &&
	       r.attempts == PTL_OUTBOX_MAX_ATTEMPTS,
	   "retry: given up after the last attempt");
	is_int(ptl_outbox_deliver(arena, &app, id, t + 1), PTL_OK,
	       "retry: a given-up mail is not delivered again");
	ok(ptl_outbox_flush(arena, &app, t + 86400000, 10, true, &sent,
			    &failed) == PTL_OK &&
	       sent == 0 && failed == 0 && listed(&app, id, &r) &&
	       r.attempts == PTL_OUTBOX_MAX_ATTEMPTS,
	   "retry: nor flushed");

	id = queue(&app, PTL_MAIL_RESET, user, "user@example.com", NOW);
	(void)ptl_outbox_deliver(arena, &app, id, NOW);
	ok(ptl_outbox_flush(arena, &app, NOW + 1, 10, true, &sent, &failed) ==
		   PTL_OK &&
	       failed == 1 && listed(&app, id, &r) && r.attempts == 2,
	   "retry: flush all ignores the back-off (`mail flush`)");
	fix_app_close(&app);
}

static void
test_permanent(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), gone, id;
	struct ptl_stmt *st;
	struct listed r;

	app.cfg.mail.port = open_catcher.port;
	id = queue(&app, PTL_MAIL_CONFIRM, user, "not an address", NOW);
	is_int(ptl_outbox_deliver(arena, &app, id, NOW), PTL_ERR_UNAVAILABLE,
	       "permanent: an unusable recipient fails");
	ok(listed(&app, id, &r) && r.is_failed && r.attempts == 1 &&
	       strcmp(r.error, ptl_err_info(PTL_ERR_BAD_REQUEST)->code) == 0,
	   "permanent: given up at once");
	gone = fix_user(&app, "gone@example.com", "$argon2id$x", "email", 2);
	id = queue(&app, PTL_MAIL_RESET, gone, "gone@example.com", NOW);
	st = ptl_db_q(app.db, PTL_Q_USER_DELETE);
	ptl_db_bind_int(st, 1, gone);
	ptl_db_bind_int(st, 2, NOW);
	ok(ptl_db_exec(st) == PTL_OK, "permanent: the user is deleted");
	is_int(ptl_outbox_deliver(arena, &app, id, NOW), PTL_ERR_UNAVAILABLE,
	       "permanent: a mail for a deleted user fails");
	ok(listed(&app, id, &r) && r.is_failed && r.attempts == 1 &&
	       strcmp(r.error, "the user is gone") == 0,
	   "permanent: given up at once, saying why");
	fix_app_close(&app);
}

/* A second worker: a child process with an app (and a database
 * connection) of its own, delivering through the held catcher. It is
 * forked before the parent opens its database, so that it inherits no
 * SQLite state; worker_go() then hands it the database and the mail. It
 * exits 0 when ptl_outbox_deliver() returned PTL_OK. */
struct worker {
	pid_t pid;
	int go;
};

struct worker_job {
	int64_t id;
	char db[512];
};

static void __attribute__((noreturn)) worker_run(int go)
{
	struct worker_job job;
	struct ptl_app app;
	struct ptl_arena *a;
	int rc = 1;

	if (read(go, &job, sizeof(job)) != (ssize_t)sizeof(job))
		_exit(3);
	setenv("DATABASE_PATH", job.db, 1);
	if (ptl_app_init(&app) != PTL_OK)
		_exit(2);
	app.fake_now_ms = NOW;
	app.cfg.mail.port = held_catcher.port;
	a = ptl_mem_new();
	if (ptl_outbox_deliver(a, &app, job.id, NOW) == PTL_OK)
		rc = 0;
	ptl_mem_free(a);
	ptl_app_close(&app);
	_exit(rc);
}

static bool
worker_start(struct worker *w)
{
	int fd[2];

	w->pid = -1;
	w->go = -1;
	if (pipe(fd) != 0)
		return false;
	fflush(stdout);
	w->pid = fork();
	if (w->pid == 0) {
		close(fd[1]);
		worker_run(fd[0]);
	}
	close(fd[0]);
	w->go = fd[1];
	return w->pid > 0;
}

/* Hands the worker mail id on the database the parent has open. */
static bool
worker_go(struct worker *w, int64_t id)
{
	struct worker_job job;
	bool sent;

	memset(&job, 0, sizeof(job));
	job.id = id;
	(void)snprintf(job.db, sizeof(job.db), "%s", fix_path("auth.db"));
	sent = write(w->go, &job, sizeof(job)) == (ssize_t)sizeof(job);
	close(w->go);
	return sent;
}

static void
test_claim(void)
{
	struct ptl_app app;
	struct worker w;
	int64_t user, id;
	unsigned sent = 9, failed = 9;
	int status = -1;
	struct listed r;
	pid_t pid;
	bool started = worker_start(&w);

	user = open_app(&app);
	pid = w.pid;
	app.cfg.mail.port = held_catcher.port;
	id = queue(&app, PTL_MAIL_CONFIRM, user, "user@example.com", NOW);
	if (!ok(started && worker_go(&w, id) &&
		    catcher_wait_accepted(&held_catcher, 1, 30000),
		"claim: the first worker is delivering")) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
		}
		fix_app_close(&app);
		return;
	}
	is_int(column(id, "claimed_until"), NOW + LEASE_MS,
	       "claim: it holds a lease longer than the SMTP timeouts");
	is_int(ptl_outbox_deliver(arena, &app, id, NOW), PTL_OK,
	       "claim: a second worker skips the claimed mail");
	ok(ptl_outbox_flush(arena, &app, NOW, 10, true, &sent, &failed) ==
		   PTL_OK &&
	       sent == 0 && failed == 0,
	   "claim: flush all skips it too");
	catcher_poll(&held_catcher, 300);
	ok(held_catcher.accepted == 1 && listed(&app, id, &r) &&
	       r.attempts == 0,
	   "claim: no second connection, no attempt counted");
	catcher_release(&held_catcher);
	(void)waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "claim: the first worker delivered it");
	catcher_poll(&held_catcher, 2000);
	is_int(held_catcher.messages, 1, "claim: one message on the server");
	ok(listed(&app, id, &r) && r.is_sent && r.attempts == 1,
	   "claim: sent once");
	is_int(ptl_outbox_deliver(arena, &app, id, NOW + LEASE_MS + 1), PTL_OK,
	       "claim: the second worker, later, has nothing to do");
	catcher_poll(&held_catcher, 300);
	is_int(held_catcher.accepted, 1, "claim: and connects to no one");
	fix_app_close(&app);
}

/* A worker that dies mid-delivery leaves its lease; the mail goes out
 * after it. */
static void
test_lease(void)
{
	struct ptl_app app;
	struct worker w;
	int64_t user, id;
	unsigned before = open_catcher.messages, held = held_catcher.accepted;
	struct listed r;
	pid_t pid;
	bool started = worker_start(&w);

	user = open_app(&app);
	pid = w.pid;
	id = queue(&app, PTL_MAIL_CONFIRM, user, "user@example.com", NOW);
	if (!ok(started && worker_go(&w, id) &&
		    catcher_wait_accepted(&held_catcher, held + 1, 30000),
		"lease: a worker is delivering")) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
		}
		fix_app_close(&app);
		return;
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	catcher_release(&held_catcher);
	app.cfg.mail.port = open_catcher.port;
	is_int(ptl_outbox_deliver(arena, &app, id, NOW + LEASE_MS), PTL_OK,
	       "lease: held until its last millisecond");
	ok(listed(&app, id, &r) && !r.is_sent && r.attempts == 0,
	   "lease: nothing attempted meanwhile");
	is_int(ptl_outbox_deliver(arena, &app, id, NOW + LEASE_MS + 1), PTL_OK,
	       "lease: taken over once it ran out");
	catcher_poll(&open_catcher, 2000);
	ok(open_catcher.messages == before + 1 && listed(&app, id, &r) &&
	       r.is_sent && r.sent == NOW + LEASE_MS + 1,
	   "lease: delivered by the second worker");
	fix_app_close(&app);
}

static void
test_due_and_list(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), id[4];
	unsigned sent = 9, failed = 9;
	struct ptl_stmt *st;
	int64_t listed_ids[8];
	const char *states[8];
	struct listed r;
	bool row;
	int n = 0;

	app.cfg.mail.port = open_catcher.port;
	id[0] = queue(&app, PTL_MAIL_CONFIRM, user, "a@example.com", NOW + 20);
	id[1] = queue(&app, PTL_MAIL_CONFIRM, user, "b@example.com", NOW);
	id[2] = queue(&app, PTL_MAIL_CONFIRM, user, "c@example.com", NOW + 10);
	id[3] = queue(&app, PTL_MAIL_CONFIRM, user, "not an address", NOW);
	ok(ptl_outbox_flush(arena, &app, NOW - 1, 10, false, &sent, &failed) ==
		   PTL_OK &&
	       sent == 0 && failed == 0,
	   "due: nothing before its time");
	ok(ptl_outbox_flush(arena, &app, NOW + 5, 1, false, &sent, &failed) ==
		   PTL_OK &&
	       sent + failed == 1,
	   "due: at most max at a time");
	ok(ptl_outbox_flush(arena, &app, NOW + 5, 10, false, &sent, &failed) ==
		   PTL_OK &&
	       sent + failed == 1 && listed(&app, id[0], &r) &&
	       r.attempts == 0 && listed(&app, id[2], &r) && r.attempts == 0,
	   "due: only what is due at now");
	ok(ptl_outbox_flush(arena, &app, NOW + 15, 1, false, &sent, &failed) ==
		   PTL_OK &&
	       sent == 1 && listed(&app, id[2], &r) && r.is_sent &&
	       listed(&app, id[0], &r) && !r.is_sent,
	   "due: the earliest first");

	st = ptl_db_q(app.db, PTL_Q_OUTBOX_LIST);
	ptl_db_bind_int(st, 1, 3);
	while (n < 8 && ptl_db_step(st, &row) == PTL_OK && row) {
		listed_ids[n] = ptl_db_int(st, 0);
		states[n] = !ptl_db_is_null(st, 6)   ? "sent"
			    : !ptl_db_is_null(st, 7) ? "FAILED"
						     : "queued";
		n++;
	}
	ptl_db_done(st);
	ok(n == 3 && listed_ids[0] == id[3] && listed_ids[1] == id[2] &&
	       listed_ids[2] == id[1],
	   "list: newest first, at most N");
	ok(n == 3 && strcmp(states[0], "FAILED") == 0 &&
	       strcmp(states[1], "sent") == 0 && strcmp(states[2], "sent") == 0,
	   "list: the state of each (failed, sent, sent)");
	ok(listed(&app, id[0], &r) && !r.is_sent && !r.is_failed &&
	       strcmp(r.to, "a@example.com") == 0 && r.kind == PTL_MAIL_CONFIRM,
	   "list: a queued one, with its recipient and kind");
	fix_app_close(&app);
}

/* A claim that fails (here a trigger; a full disk or a lock held too long
 * alike) is a failed delivery, not "another worker has it": a flush must
 * not count the mail as sent. */
static void
test_claim_error(void)
{
	struct ptl_app app;
	int64_t user = open_app(&app), id;
	unsigned sent = 9, failed = 9;

	id = queue(&app, PTL_MAIL_CONFIRM, user, "user@example.com", NOW);
	ok(id > 0 && fix_sql_exec(fix_path("auth.db"),
				  "CREATE TRIGGER no_claim BEFORE UPDATE OF "
				  "claimed_until ON mail_outbox WHEN "
				  "NEW.claimed_until IS NOT NULL BEGIN SELECT "
				  "RAISE(FAIL, 'no claim'); END"),
	   "claim error: the claim will fail");
	is_int(ptl_outbox_deliver(arena, &app, id, NOW), PTL_ERR_UNAVAILABLE,
	       "claim error: the delivery failed");
	is_int(ptl_outbox_flush(arena, &app, NOW, 10, true, &sent, &failed),
	       PTL_OK, "claim error: flush");
	ok(sent == 0 && failed == 1, "  counted failed, not sent (%u, %u)",
	   sent, failed);
	fix_app_close(&app);
}

int
main(void)
{
	const char *srcdir = getenv("srcdir");
	char templates[512];

	/* The catchers first: the children hold nothing of the tests. */
	if (!catcher_start(&open_catcher, false) ||
	    !catcher_start(&held_catcher, true)) {
		printf("Bail out! cannot start the SMTP catchers\n");
		return 1;
	}
	closed_port = loopback_port_closed();
	(void)snprintf(templates, sizeof(templates), "%s/mail",
		       srcdir != NULL ? srcdir : ".");
	setenv("MAIL_TEMPLATE_DIR", templates, 1);
	setenv("MAIL_HOST", "127.0.0.1", 1);
	setenv("MAIL_PORT", "1", 1); /* every test sets app.cfg.mail.port */
	setenv("MAIL_CONNECT_TIMEOUT_MS", "1000", 1);
	setenv("MAIL_TIMEOUT_MS", "3000", 1);
	setenv("FRONTEND_DOMAIN", "http://localhost:3000", 1);
	fix_env(); /* before any fork: the workers inherit it */
	arena = ptl_mem_new();
	test_enqueue();
	test_lang();
	test_rate();
	test_sent();
	test_deferred();
	test_retry();
	test_claim_error();
	test_permanent();
	test_claim();
	test_lease();
	test_due_and_list();
	ptl_mem_free(arena);
	catcher_stop(&open_catcher);
	catcher_stop(&held_catcher);
	return done();
}
