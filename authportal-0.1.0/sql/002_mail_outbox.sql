-- SPDX-License-Identifier: ISC
-- 002: the durable mail outbox (API.md §10.6). A row is written in the
-- same transaction as the change that causes the mail and delivered right
-- after the commit; failures stay queued and are retried with back-off.
-- The row holds no secret: the link (a signed token) is made when the mail
-- is rendered for delivery.
CREATE TABLE mail_outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind INTEGER NOT NULL,          -- enum ptl_mail_kind
	user_id INTEGER NOT NULL REFERENCES users (id),
	recipient TEXT NOT NULL,
	new_email TEXT,                 -- confirm-new-email only
	created_at INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	claimed_until INTEGER,          -- a worker is delivering it
	sent_at INTEGER,
	failed_at INTEGER,              -- gave up after the last attempt
	last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
	WHERE sent_at IS NULL AND failed_at IS NULL;
