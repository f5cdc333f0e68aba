-- SPDX-License-Identifier: ISC
-- 004 for PostgreSQL; its SQLite twin is sql/004_security_stamp.sql. What
-- the one-time links of a user are tied to (API.md §4.3). security_stamp
-- grows by one on every password change or reset and every change of
-- address, and is part of the key of every confirm, confirm-new-email and
-- reset link: such a change kills every link issued before it.
-- pending_email is the address of the latest email change asked for by
-- PATCH /me, still to be confirmed. Neither is a secret.
ALTER TABLE users ADD COLUMN security_stamp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN pending_email TEXT;
