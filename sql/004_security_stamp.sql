-- SPDX-License-Identifier: ISC
-- 004: what the one-time links of a user are tied to (API.md §4.3, issue 9
-- point 2). security_stamp grows by one on every password change or reset
-- and every change of address, and is part of the key of every confirm,
-- confirm-new-email and reset link: such a change kills every link issued
-- before it. pending_email is the address of the latest email change asked
-- for by PATCH /me, still to be confirmed: only a link for exactly that
-- address can change it, so a newer request (or a reset, which clears it)
-- kills the older links. Neither is a secret.
ALTER TABLE users ADD COLUMN security_stamp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN pending_email TEXT;
