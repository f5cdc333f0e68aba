-- SPDX-License-Identifier: ISC
-- 007 for PostgreSQL; its SQLite twin is sql/007_users_admin.sql. The
-- sort orders of the users admin list (API.md §10.23): each one-key list
-- statement (PTL_Q_USERS_PAGE_*, their PostgreSQL text in
-- lib/adapters/db_sql.c) walks one of these indexes and stops after
-- OFFSET + LIMIT rows instead of sorting the whole table. PostgreSQL
-- sorts NULLs last ascending and first descending by itself (the order
-- the SQLite twin gets with its (c IS NULL, c) keys), so plain keys do.
-- Text sorts by its bytes, as SQLite's BINARY collation does, whatever
-- the database's locale: COLLATE "C" here and in the statements. The id
-- ends each key, as the ORDER BY does (SQLite's indexes end in the rowid).
-- id needs none (the primary key), deleted_at none (NULL on every listed
-- row).
CREATE INDEX users_sort_email ON users (email COLLATE "C", id);
CREATE INDEX users_sort_provider ON users (provider COLLATE "C", id);
CREATE INDEX users_sort_social_id ON users (social_id COLLATE "C", id);
CREATE INDEX users_sort_first_name ON users (first_name COLLATE "C", id);
CREATE INDEX users_sort_last_name ON users (last_name COLLATE "C", id);
CREATE INDEX users_sort_created_at ON users (created_at, id);
CREATE INDEX users_sort_updated_at ON users (updated_at, id);
