-- SPDX-License-Identifier: ISC
-- 006 for PostgreSQL; its SQLite twin is sql/006_social.sql. Social
-- sign-in (API.md §5, §10.11).
-- oauth_states: one row per started redirect flow, spent (deleted) by its
-- first callback, on whichever host it lands. The state and the
-- browser-binding cookie are stored only as BLAKE2b digests; the row also
-- keeps the provider, the checked redirect target, the PKCE code_verifier
-- (RFC 7636 §4.1) and the OIDC nonce. Rows live 10 minutes.
CREATE TABLE oauth_states (
	hash BYTEA PRIMARY KEY,
	provider TEXT NOT NULL,
	redirect TEXT,
	verifier TEXT NOT NULL,
	nonce TEXT,
	browser BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- user_identities: every (provider, subject) that has signed in, and the
-- user it reaches (found by identity first, API.md §5.2).
CREATE TABLE user_identities (
	provider TEXT NOT NULL,
	subject TEXT NOT NULL,
	user_id BIGINT NOT NULL REFERENCES users (id),
	created_at BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL,
	PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
INSERT INTO user_identities (provider, subject, user_id, created_at,
			     last_used_at)
	SELECT provider, social_id, id, created_at, updated_at FROM users
	WHERE provider <> 'email' AND social_id IS NOT NULL;
