-- SPDX-License-Identifier: ISC
-- 010: the throw-away table of GET /api/v1/health?deep=1 (API.md §10.12):
-- a real write, one row rewritten each time, so that a load balancer sees
-- a host whose database cannot take writes.
CREATE TABLE health_probe (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL
);
