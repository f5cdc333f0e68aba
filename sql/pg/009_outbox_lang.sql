-- SPDX-License-Identifier: ISC
-- 009 for PostgreSQL; its SQLite twin is sql/009_outbox_lang.sql. The
-- language of each queued mail (API.md §12): a folder name of
-- APP_I18N_DIR, so that a mail retried later is rendered in it. NULL
-- means the fallback language.
ALTER TABLE mail_outbox ADD COLUMN lang TEXT;
