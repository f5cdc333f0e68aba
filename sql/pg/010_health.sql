-- SPDX-License-Identifier: ISC
-- 010 for PostgreSQL; its SQLite twin is sql/010_health.sql. The
-- throw-away table of GET /api/v1/health?deep=1 (API.md §10.12): a real
-- write, one row rewritten each time, so that a load balancer sees a host
-- whose database cannot take writes.
CREATE TABLE health_probe (
	id BIGINT PRIMARY KEY,
	at BIGINT NOT NULL
);
