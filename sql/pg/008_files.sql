-- SPDX-License-Identifier: ISC
-- 008 for PostgreSQL; its SQLite twin is sql/008_files.sql. Uploaded
-- files, the reference's local file driver (API.md §9.11). The bytes are
-- in FILES_DIR under name; a row is the only way a name is served. owner:
-- the user who uploaded it, then the user whose photo it is; attached_at:
-- when it became that photo (NULL: an upload not attached yet, removed by
-- `authportal gc` after a day). A user has at most one photo. With
-- several hosts, FILES_DIR is one shared folder.
CREATE TABLE files (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	type TEXT NOT NULL,
	size BIGINT NOT NULL,
	owner BIGINT NOT NULL REFERENCES users (id),
	created_at BIGINT NOT NULL,
	attached_at BIGINT
);
CREATE UNIQUE INDEX files_photo ON files (owner) WHERE attached_at IS NOT NULL;
CREATE INDEX files_unattached ON files (owner, created_at) WHERE attached_at IS NULL;
