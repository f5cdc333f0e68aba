/* SPDX-License-Identifier: ISC */
/*
 * outbox: the durable mail queue (API.md §10.6, issue 3). A mail is queued
 * in the transaction of the change that causes it, then, after the commit,
 * delivered by the same worker once the HTTP answer is out: no answer
 * waits for SMTP, and none tells by its timing whether a mail was sent
 * (forgot-password would otherwise say which addresses have an account).
 * A worker that dies before it delivers leaves the row queued. A failed
 * delivery stays queued and is
 * retried with back-off (by later requests and `authportal mail flush`)
 * until it succeeds or PTL_OUTBOX_MAX_ATTEMPTS is reached; a delivered mail
 * is never sent again. The link of a mail (a signed token) is made when it
 * is rendered, so the queue holds no secret.
 */
#ifndef PTL_OUTBOX_H
#define PTL_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/app.h"
#include "domain/mail.h"
#include "base/mem.h"

#define PTL_OUTBOX_MAX_ATTEMPTS 8

/* The name of a mail kind ("confirm", "confirm-new", "reset"), as the CLI
 * shows it and the rate-limit keys use it; NULL for an unknown kind. */
const char *ptl_outbox_kind_name(int kind);

/*
 * Queues a mail of kind for user_id to address to (new_email: the address
 * of a confirm-new-email mail, else NULL), in the language of the request
 * being served (app->mail_lang; outside a request, NULL: the fallback
 * language when it is sent), stored with the row. Call it inside the write
 * transaction of the change. At most one mail per minute per address and
 * kind (API.md §10.7): PTL_ERR_RATE_LIMITED then, and nothing is queued.
 * OUT id: the outbox row.
 */
enum ptl_err ptl_outbox_enqueue(struct ptl_app *app, enum ptl_mail_kind kind,
				int64_t user_id, const char *to,
				const char *new_email, int64_t now_ms,
				int64_t *id) __attribute__((warn_unused_result));

/*
 * Counts a mail of kind to address to against the limit of
 * ptl_outbox_enqueue() without queueing one: a request whose address gets
 * no mail then does the work of one that does (forgot-password for an
 * unknown address: its timing tells nothing). Call it inside the write
 * transaction. PTL_ERR_RATE_LIMITED within the minute; a database error.
 */
enum ptl_err ptl_outbox_count(struct ptl_app *app, enum ptl_mail_kind kind,
			      const char *to, int64_t now_ms)
	__attribute__((warn_unused_result, nonnull));

/*
 * Delivers mail id now unless it was sent, given up, or is being delivered
 * by another process. PTL_OK when it was delivered (or needs nothing);
 * PTL_ERR_UNAVAILABLE when this attempt failed (it stays queued, or is
 * given up after the last attempt; logged either way).
 */
enum ptl_err ptl_outbox_deliver(struct ptl_arena *a, struct ptl_app *app,
				int64_t id, int64_t now_ms);

/* Delivers up to max due mails; with all, every queued mail whatever its
 * back-off (`authportal mail flush`: the operator says the server is back).
 * OUT sent, OUT failed (either may be NULL). */
enum ptl_err ptl_outbox_flush(struct ptl_arena *a, struct ptl_app *app,
			      int64_t now_ms, unsigned max, bool all,
			      unsigned *sent, unsigned *failed);

/* After the commit that queued id: records it in app for delivery once
 * the answer is out (ptl_outbox_deliver_deferred()). With no room left
 * (more than PTL_APP_MAIL_AFTER_MAX mails in one request) the row just
 * stays queued for the next delivery (later traffic, `authportal mail
 * flush`). Never fails: the request that caused the mail succeeds. */
void ptl_outbox_defer(struct ptl_app *app, int64_t id) __attribute__((nonnull));

/* Delivers the mails ptl_outbox_defer() recorded, and forgets them; when
 * the SMTP server answered, also up to 3 other due mails (so a recovered
 * server drains the queue through ordinary traffic). Run by the accept
 * loop after the answer went out (web/endpoint.h), and by whatever else
 * runs the use cases (tests). Failures are logged and stay queued. */
void ptl_outbox_deliver_deferred(struct ptl_arena *a, struct ptl_app *app,
				 int64_t now_ms) __attribute__((nonnull));

#endif
