-- SPDX-License-Identifier: ISC
-- 005 for PostgreSQL; its SQLite twin is sql/005_rate_limit_last.sql. The
-- time of a counter's last event: the failed-sign-in budgets (API.md
-- §10.7) delay the next attempt from the last failure.
ALTER TABLE rate_limits ADD COLUMN last_at BIGINT;
