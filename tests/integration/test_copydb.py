# SPDX-License-Identifier: ISC
"""`authportal copy-db` (issue 14 point 3): a site on SQLite moves to
PostgreSQL without losing a session. Users sign up and sign in on a server
on SQLite; copy-db copies every table into a fresh PostgreSQL database
(the ids kept, the counts printed and checked); a server on that database
with the same secrets accepts the refresh token issued before the move,
and makes new rows after the copied ids. The copy also goes back (to a
new SQLite file). A target with rows is refused and left as it was; a
bad --from or --to is refused with a clean message that never shows the
password of a URL."""

import os
import re
import sqlite3
import subprocess
import unittest

from harness import (DEFAULT_PASSWORD, SHARED_SETTINGS, Database, Server,
                     jwt_parts, shared_cluster, unique_email)

A = None        # the server on SQLite
CLUSTER = None
# Rows copy-db does not copy: those the migrations make on both engines.
SEEDED = ("role", "status")


def setUpModule():
    global A, CLUSTER
    CLUSTER = shared_cluster()
    A = Server(engine="sqlite")
    A.start()
    unittest.addModuleCleanup(A.stop)


def tables_of_sqlite(path):
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name "
            "NOT LIKE 'sqlite_%' ORDER BY name")]


def rows(engine, target, table):
    with Database(engine, target) as d:
        return sorted(d.execute("SELECT * FROM %s" % table),
                      key=lambda r: [repr(v) for v in r])


def counts_printed(out):
    """{table: rows} of copy-db's report."""
    return {m.group(1): int(m.group(2)) for m in
            re.finditer(r"^\s+(\w+)\s+(\d+) row\(s\)", out, re.M)}


class CopyDb(unittest.TestCase):
    def copy(self, src, dst, expect=0):
        cp = A.cli("copy-db", "--from", src, "--to", dst)
        self.assertEqual(cp.returncode, expect, "copy-db %s -> %s: rc=%d\n"
                         "%s%s" % (src, dst, cp.returncode, cp.stdout,
                                   cp.stderr))
        return cp

    def assert_same_rows(self, a_engine, a, b_engine, b):
        for t in tables_of_sqlite(A.db_path):
            with self.subTest(table=t):
                self.assertEqual(rows(a_engine, a, t), rows(b_engine, b, t),
                                 "%s differs after the copy" % t)

    def make_rows(self):
        """Users with sessions (one rotated), their mail and audit rows,
        and a row in each table the requests leave empty here."""
        email = A.new_user("move")
        first = A.login_ok(email)
        r = A.refresh(first["refreshToken"])
        self.assertEqual(r.status, 200, r)
        rotated = r.json()
        second = A.login_ok(email)
        other = A.new_user("other")
        A.login_ok(other)
        self.assertEqual(A.request("GET", "/api/v1/health?deep=1").status, 200)
        uid = A.sql_value("SELECT id FROM users WHERE email = ?", (email,))
        A.sql("INSERT INTO rate_limits (key, window_start, count, last_at) "
              "VALUES ('login:x', 1, 2, 3)")
        A.sql("INSERT INTO oauth_states (hash, provider, redirect, verifier, "
              "nonce, browser, created_at, expires_at) VALUES (?, 'github', "
              "NULL, 'v', NULL, ?, 1, 9999999999999)",
              (b"\x00state\xff", b"\x01\x00browser"))
        A.sql("INSERT INTO user_identities (provider, subject, user_id, "
              "created_at, last_used_at) VALUES ('github', 's-1', ?, 1, 2)",
              (uid,))
        A.sql("INSERT INTO files (id, name, type, size, owner, created_at, "
              "attached_at) VALUES ('f1', 'f1.png', 'image/png', 3, ?, 1, 2)",
              (uid,))
        return email, rotated, second

    def test_move_to_postgres_keeps_sessions(self):
        email, rotated, second = self.make_rows()
        for t in tables_of_sqlite(A.db_path):
            if t not in SEEDED:
                self.assertGreater(len(rows("sqlite", A.db_path, t)), 0,
                                   "%s: no row to copy" % t)
        url = CLUSTER.createdb()
        cp = self.copy("sqlite:" + A.db_path, url)
        printed = counts_printed(cp.stdout)
        want = {t: len(rows("sqlite", A.db_path, t))
                for t in tables_of_sqlite(A.db_path) if t not in SEEDED}
        self.assertEqual(printed, want, cp.stdout)
        self.assert_same_rows("sqlite", A.db_path, "postgres", url)

        # A second host of the site, on PostgreSQL: the same secrets.
        env = {k: A.env[k] for k in SHARED_SETTINGS}
        env["DATABASE_URL"] = url
        b = Server(engine="postgres", cluster=CLUSTER, env=env)
        b.start()
        try:
            r = b.refresh(rotated["refreshToken"])
            self.assertEqual(r.status, 200, "a refresh token issued before "
                             "the move: %r" % (r,))
            self.assertEqual(b.me(r.json()["token"]).json()["email"], email)
            self.assertEqual(b.me(second["token"]).status, 200)
            sid = jwt_parts(second["token"])[1]["sessionId"]
            self.assertEqual(b.refresh(second["refreshToken"]).status, 200)
            # New rows get ids past the copied ones (the sequences moved).
            top = {t: b.sql_value("SELECT max(id) FROM %s" % t)
                   for t in ("users", "sessions", "mail_outbox", "audit_log")}
            fresh = b.new_user("after")
            login = b.login_ok(fresh)
            self.assertGreater(b.sql_value(
                "SELECT id FROM users WHERE email = ?", (fresh,)),
                top["users"])
            self.assertGreater(jwt_parts(login["token"])[1]["sessionId"],
                               max(top["sessions"], sid))
            self.assertGreater(b.sql_value("SELECT max(id) FROM mail_outbox"),
                               top["mail_outbox"])
            self.assertGreater(b.sql_value("SELECT max(id) FROM audit_log"),
                               top["audit_log"])
            self.assertEqual(b.server_errors(), [])

            # And back: PostgreSQL to a new SQLite file, every row kept.
            back = os.path.join(A.tmp, "back.db")
            cp = self.copy(url, "sqlite:" + back)
            self.assert_same_rows("postgres", url, "sqlite", back)
            # SQLite's AUTOINCREMENT moved past the inserted ids itself.
            with sqlite3.connect(back) as db:
                for t in ("users", "sessions", "mail_outbox"):
                    seq = db.execute("SELECT seq FROM sqlite_sequence WHERE "
                                     "name = ?", (t,)).fetchone()
                    top = db.execute("SELECT max(id) FROM %s" % t).fetchone()
                    self.assertEqual(seq, top, t)
        finally:
            b.stop()

    def test_refuses_a_target_with_rows(self):
        url = CLUSTER.createdb()
        self.copy("sqlite:" + A.db_path, url)
        before = {t: rows("postgres", url, t)
                  for t in tables_of_sqlite(A.db_path)}
        A.new_user("later")
        cp = self.copy("sqlite:" + A.db_path, url, expect=1)
        self.assertIn("not empty", cp.stderr)
        self.assertRegex(cp.stderr, r"users has rows")
        after = {t: rows("postgres", url, t) for t in before}
        self.assertEqual(before, after, "the refused target was changed")
        # An SQLite target with rows too: A's own file under another name.
        cp = self.copy(url, "sqlite:" + A.db_path, expect=1)
        self.assertIn("not empty", cp.stderr)

    def test_bad_urls_are_refused_cleanly(self):
        secret = "s3cret-pw-%d" % os.getpid()
        cases = [
            # (--from, --to, exit status)
            ("sqlite:" + A.db_path,
             "postgresql://bob:%s@/nodb?host=/nonexistent-dir" % secret, 1),
            ("sqlite:" + A.db_path,
             "postgres://bob:%s@127.0.0.1:1/nodb?connect_timeout=2" % secret,
             1),
            ("sqlite:" + A.db_path, "mysql://bob:%s@localhost/db" % secret, 2),
            ("postgresql://bob:%s@/x?host=/nonexistent-dir" % secret,
             "sqlite:" + os.path.join(A.tmp, "never.db"), 1),
            ("sqlite:", "sqlite:" + os.path.join(A.tmp, "never.db"), 2),
            ("sqlite:" + os.path.join(A.tmp, "missing.db"),
             "sqlite:" + os.path.join(A.tmp, "never.db"), 1),
            ("sqlite:" + A.db_path, "sqlite:" + A.db_path, 2),
        ]
        for src, dst, rc in cases:
            with self.subTest(src=src.replace(secret, "*"),
                              dst=dst.replace(secret, "*")):
                cp = A.cli("copy-db", "--from", src, "--to", dst, timeout=60)
                self.assertEqual(cp.returncode, rc, cp.stdout + cp.stderr)
                out = cp.stdout + cp.stderr
                self.assertNotIn(secret, out, "the password was shown")
                self.assertRegex(cp.stderr, r"(?m)^authportal: ", out)
                self.assertNotRegex(out, r"(?i)segmentation|abort|core "
                                    r"dumped")
        self.assertFalse(os.path.exists(os.path.join(A.tmp, "never.db")),
                         "a refused copy made a target file")
        self.assertFalse(os.path.exists(os.path.join(A.tmp, "missing.db")),
                         "a missing source was made")
        cp = A.cli("copy-db", "--from", "sqlite:" + A.db_path)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("usage: authportal copy-db", cp.stderr)


if __name__ == "__main__":
    unittest.main()
