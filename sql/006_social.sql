-- SPDX-License-Identifier: ISC
-- 006: social sign-in (API.md §5, §10.11).
-- oauth_states: one row per started redirect flow, spent (deleted) by its
-- first callback. The state and the browser-binding cookie are stored
-- only as BLAKE2b digests; the row also keeps what the callback needs:
-- the provider, the checked redirect target, the PKCE code_verifier (RFC
-- 7636 §4.1) and the OIDC nonce. Rows live 10 minutes; expired ones are
-- pruned by later flows and by `authportal gc`.
CREATE TABLE oauth_states (
	hash BLOB PRIMARY KEY,
	provider TEXT NOT NULL,
	redirect TEXT,
	verifier TEXT NOT NULL,
	nonce TEXT,
	browser BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- user_identities: every (provider, subject) that has signed in, and the
-- user it reaches, so that one user can be reached by several providers
-- (found by identity first, API.md §5.2). The users row keeps the
-- reference's provider and social_id (those it was created or re-bound
-- with).
CREATE TABLE user_identities (
	provider TEXT NOT NULL,
	subject TEXT NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users (id),
	created_at INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL,
	PRIMARY KEY (provider, subject)
) WITHOUT ROWID;
CREATE INDEX user_identities_user ON user_identities (user_id);
INSERT INTO user_identities (provider, subject, user_id, created_at,
			     last_used_at)
	SELECT provider, social_id, id, created_at, updated_at FROM users
	WHERE provider <> 'email' AND social_id IS NOT NULL;
