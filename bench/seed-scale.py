# SPDX-License-Identifier: ISC
"""bench/seed-scale.py DATABASE USERS SESSIONS [EXPIRED [TEMPLATE]]

Seeds a migrated authportal SQLite database (authportal migrate + seed)
with USERS more users and SESSIONS more sessions for `script/bench
--scale`, in one transaction: each table gets one prepared INSERT ... SELECT
over a recursive counter, so the rows are made inside SQLite without a
round trip through Python per row.

- users: scale-user-NNNNNNN@example.com, all with the Argon2 hash of the
  demo user john.doe@example.com (or of the user TEMPLATE names: one real
  hash reused, so that any of them signs in with that user's password); 1 in 20 an Admin, first names from
  a short list with NULLs among them, pseudo-random last names (the sort
  indexes of sql/007_users_admin.sql see realistic keys), half Active.
- sessions: spread over the new users (SESSIONS / USERS each), random
  32-byte digests and 16-byte nonces (no refresh token matches them: they
  are load, not clients). The first EXPIRED of them (default SESSIONS / 5),
  the oldest rows as in a real database, expired 400 days ago, past
  AUDIT_RETENTION_DAYS' default (90), so that `authportal gc` has them to
  prune; the others expire in 30 days.

Prints one line: users=N sessions=N expired=N seconds=S bytes=B.
"""

import os
import sqlite3
import sys
import time

DAY_MS = 86400 * 1000


def main():
    if len(sys.argv) not in (4, 5, 6):
        sys.stderr.write(__doc__)
        return 2
    path, users, sessions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    expired = int(sys.argv[4]) if len(sys.argv) >= 5 else sessions // 5
    template = sys.argv[5] if len(sys.argv) == 6 else "john.doe@example.com"
    t0 = time.monotonic()
    db = sqlite3.connect(path, timeout=60, isolation_level=None)
    db.execute("PRAGMA cache_size = -262144")  # 256 MiB for the index builds
    row = db.execute("SELECT password FROM users WHERE email = ?",
                     (template,)).fetchone()
    if row is None:
        sys.stderr.write("seed-scale: no user %s (run seed)\n" % template)
        return 1
    pw = row[0]
    now = int(time.time() * 1000)
    db.execute("BEGIN IMMEDIATE")
    first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM users").fetchone()[0]
    # ?1 count, ?2 hash, ?3 now. (x * 2654435761) % 100003: a cheap
    # permutation-like spread for the last names.
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
        "WHERE i + 1 < ?1) "
        "INSERT INTO users (email, password, first_name, last_name, role_id, "
        "status_id, created_at, updated_at) "
        "SELECT printf('scale-user-%07d@example.com', i), ?2, "
        "CASE i % 8 WHEN 0 THEN 'Ann' WHEN 1 THEN 'Bob' WHEN 2 THEN 'Chen' "
        "WHEN 3 THEN 'Dana' WHEN 4 THEN 'Émile' WHEN 5 THEN 'Farah' "
        "WHEN 6 THEN 'Goran' ELSE NULL END, "
        "printf('L%05d', (i * 2654435761) % 100003), "
        "CASE WHEN i % 20 = 0 THEN 1 ELSE 2 END, 1 + (i % 2), "
        "?3 - ?1 + i, ?3 - ?1 + i FROM n",
        (users, pw, now))
    last = db.execute("SELECT max(id) FROM users").fetchone()[0]
    # ?1 count, ?2 first new user id, ?3 users, ?4 now, ?5 expired count
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
        "WHERE i + 1 < ?1) "
        "INSERT INTO sessions (user_id, hash, nonce, generation, created_at, "
        "last_used_at, expires_at, user_agent, ip) "
        "SELECT ?2 + (i % ?3), randomblob(32), randomblob(16), 0, "
        "CASE WHEN i < ?5 THEN ?4 - 430 * 86400000 ELSE ?4 - 86400000 END, "
        "CASE WHEN i < ?5 THEN ?4 - 430 * 86400000 ELSE ?4 - 3600000 END, "
        "CASE WHEN i < ?5 THEN ?4 - 400 * 86400000 ELSE ?4 + 30 * 86400000 END, "
        "'bench-scale/1.0', '127.0.0.1' FROM n",
        (sessions, first, max(1, last - first + 1), now, expired))
    db.execute("COMMIT")
    db.close()
    dt = time.monotonic() - t0
    size = sum(os.path.getsize(p) for p in (path, path + "-wal")
               if os.path.exists(p))
    print("users=%d sessions=%d expired=%d seconds=%.1f bytes=%d"
          % (users, sessions, expired, dt, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
