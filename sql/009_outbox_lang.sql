-- SPDX-License-Identifier: ISC
-- 009: the language of each queued mail (API.md §12, §10 item 28): the
-- shipped language chosen from the request that queued it (a folder name
-- of APP_I18N_DIR), so that a mail retried later is rendered in it. NULL,
-- as in the rows queued before this migration, means the fallback
-- language; so does a language no longer shipped when the mail is sent.
ALTER TABLE mail_outbox ADD COLUMN lang TEXT;
