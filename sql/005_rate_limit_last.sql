-- SPDX-License-Identifier: ISC
-- 005: the time of a counter's last event. The failed-sign-in budgets
-- (API.md §10.7) delay the next attempt from the last failure, growing
-- with each failure past AUTH_RATE_LOGIN_FAIL, instead of refusing every
-- attempt until their window ends.
ALTER TABLE rate_limits ADD COLUMN last_at INTEGER;
