-- SPDX-License-Identifier: ISC
-- 001: users, roles, statuses, device sessions, audit log, rate limits.
-- Times are milliseconds since the Unix epoch (UTC). Secrets are never
-- stored: sessions keep a BLAKE2b digest of the current refresh secret.

CREATE TABLE role (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL
);
INSERT INTO role (id, name) VALUES (1, 'Admin'), (2, 'User');

CREATE TABLE status (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL
);
INSERT INTO status (id, name) VALUES (1, 'Active'), (2, 'Inactive');

-- email is unique over deleted rows too, as in the reference (API.md §7).
CREATE TABLE users (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	email TEXT UNIQUE,
	password TEXT,
	provider TEXT NOT NULL DEFAULT 'email',
	social_id TEXT,
	first_name TEXT,
	last_name TEXT,
	role_id INTEGER NOT NULL DEFAULT 2 REFERENCES role (id),
	status_id INTEGER NOT NULL DEFAULT 2 REFERENCES status (id),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	deleted_at INTEGER,
	disabled_at INTEGER
);
CREATE INDEX users_social ON users (provider, social_id);

-- One row per login (device). hash: digest of the current refresh secret;
-- prev_hash: digest of the one before (reuse detection, RFC 9700 §4.14).
-- The secrets themselves are HMAC(refresh key, nonce || generation).
CREATE TABLE sessions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL REFERENCES users (id),
	hash BLOB NOT NULL,
	prev_hash BLOB,
	nonce BLOB NOT NULL,
	generation INTEGER NOT NULL DEFAULT 0,
	rotated_at INTEGER,
	created_at INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	user_agent TEXT,
	ip TEXT,
	revoked_at INTEGER,
	revoke_reason TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	event TEXT NOT NULL,
	user_id INTEGER,
	session_id INTEGER,
	ip TEXT,
	detail TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Fixed-window counters shared by every worker (API.md §10.7).
CREATE TABLE rate_limits (
	key TEXT PRIMARY KEY,
	window_start INTEGER NOT NULL,
	count INTEGER NOT NULL
) WITHOUT ROWID;
