-- SPDX-License-Identifier: ISC
-- 003 for PostgreSQL; its SQLite twin is sql/003_audit.sql. The audit log
-- of security events (lib/domain/audit.h; API.md §10, "Audit log"). A row
-- also names the client's user agent (at most 512 bytes) and, only for an
-- event about an address that is no account's (a failed sign-in for an
-- unknown address), that address. No row holds a secret: no password,
-- token, hash or link code. `authportal gc` deletes rows older than
-- AUDIT_RETENTION_DAYS.
ALTER TABLE audit_log ADD COLUMN user_agent TEXT;
ALTER TABLE audit_log ADD COLUMN email TEXT;
CREATE INDEX audit_log_user ON audit_log (user_id, at);
CREATE INDEX audit_log_email ON audit_log (email, at) WHERE email IS NOT NULL;
