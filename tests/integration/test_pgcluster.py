# SPDX-License-Identifier: ISC
"""tests/tools/pgcluster and the engine switch of the harness (issue 14
point 4): the throw-away cluster listens on its Unix socket only, with the
settings the suite needs, reachable by the workers' user, two of them run
side by side (as beside a system PostgreSQL), start and stop are
idempotent; PTL_DB=postgres gives every Server() a database of its own
through DATABASE_URL, Server.sql speaks either engine, and run.py stops
its cluster even when the run fails."""

import os
import re
import subprocess
import sys
import unittest

from harness import (DB_ENGINE, HERE, PGCLUSTER, PgCluster, Server,
                     _qmark_to_format)


def psql(url, query, user=None):
    argv = ["psql", "-X", "-A", "-t", "-d", url, "-c", query]
    if user is not None:
        argv = ["runuser", "-u", user, "--"] + argv
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return cp.returncode, cp.stdout.strip(), cp.stderr


class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = PgCluster()
        cls.addClassCleanup(cls.c.remove)
        cls.url = cls.c.start()

    def test_uri_and_idempotent_start(self):
        self.assertEqual(self.url, "postgresql:///postgres?host=%s&user=postgres"
                         % self.c.sock)
        self.assertEqual(self.c.start(), self.url, "a second start: the same")
        self.assertTrue(self.c.running())

    def test_settings(self):
        want = {"listen_addresses": "", "fsync": "off",
                "synchronous_commit": "on", "unix_socket_permissions": "0777",
                "unix_socket_directories": self.c.sock}
        for name, value in want.items():
            rc, out, err = psql(self.url, "SHOW %s" % name)
            self.assertEqual((rc, out), (0, value), name + err)
        rc, out, _ = psql(self.url, "SHOW max_connections")
        self.assertGreaterEqual(int(out), 500)
        self.assertEqual(os.stat(self.c.sock).st_mode & 0o777, 0o777)
        # No TCP port of the postmaster.
        pid = int(open(os.path.join(self.c.dir, "data", "postmaster.pid")).readline())
        cp = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True)
        self.assertNotIn("pid=%d," % pid, cp.stdout)

    def test_fresh_databases_reachable_by_www_data(self):
        a, b = self.c.createdb(), self.c.createdb()
        self.assertNotEqual(a, b)
        rc, out, err = psql(a, "SELECT current_user, current_database()",
                            user="www-data")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.split("|")[1], a.split("?")[0].rsplit("/", 1)[1])
        rc, out, _ = psql(a, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        self.assertEqual(out, "0", "empty")
        self.c.dropdb(a)
        self.c.dropdb(b)
        rc, _, _ = psql(a, "SELECT 1")
        self.assertNotEqual(rc, 0, "dropped")

    def test_two_clusters_side_by_side(self):
        other = PgCluster()
        try:
            url = other.start()
            self.assertNotEqual(url, self.url)
            for u in (url, self.url):
                rc, out, err = psql(u, "SELECT 1")
                self.assertEqual((rc, out), (0, "1"), err)
        finally:
            other.remove()
        self.assertFalse(os.path.exists(other.dir))
        self.assertTrue(self.c.running(), "the first one is untouched")

    def test_stop_is_idempotent(self):
        other = PgCluster()
        try:
            other.start()
            other.stop()
            self.assertFalse(other.running())
            other.stop()                      # nothing to do: no error
            cp = subprocess.run([PGCLUSTER, "stop", os.path.join(other.dir, "none")],
                                capture_output=True)
            self.assertEqual(cp.returncode, 0, "a folder without a cluster")
            self.assertEqual(other.start().split("?")[1],
                             "host=%s&user=postgres" % other.sock,
                             "started again on its data")
        finally:
            other.remove()

    def test_bad_names_refused(self):
        for name in ("x; DROP", "A", "1abc", ""):
            cp = subprocess.run([PGCLUSTER, "createdb", self.c.dir, name],
                                capture_output=True, text=True)
            self.assertNotEqual(cp.returncode, 0, name)


class EngineSwitch(unittest.TestCase):
    def test_placeholders(self):
        self.assertEqual(_qmark_to_format("SELECT ?, '?', \"a?\" WHERE x LIKE '%a' AND y = ?"),
                         "SELECT %s, '?', \"a?\" WHERE x LIKE '%%a' AND y = %s")

    def test_server_on_the_engine_of_the_run(self):
        s = Server()
        s.start()
        self.addCleanup(s.stop)
        self.assertEqual(s.engine, DB_ENGINE)
        if DB_ENGINE == "postgres":
            self.assertIn("DATABASE_URL", s.env)
            self.assertNotIn("DATABASE_PATH", s.env)
            self.assertTrue(s.db_url.startswith("postgresql:///t"))
        else:
            self.assertNotIn("DATABASE_URL", s.env)
            self.assertTrue(os.path.isfile(s.env["DATABASE_PATH"]))
        email = s.new_user("engine")
        self.assertEqual(s.sql_value("SELECT count(*) FROM users WHERE email = ?",
                                     (email,)), 1)
        cp = s.cli("check-config")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertEqual("PostgreSQL" in cp.stdout, DB_ENGINE == "postgres",
                         cp.stdout)

    def test_run_stops_its_cluster_when_the_run_fails(self):
        env = dict(os.environ, PTL_DB="postgres")
        env.pop("PTL_PG_DIR", None)
        cp = subprocess.run([sys.executable, os.path.join(HERE, "run.py"),
                             "test_no_such_module"],
                            capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(cp.returncode, 1, cp.stdout + cp.stderr)
        m = re.search(r"^# engine: postgres \((\S+)/sock\)$", cp.stdout, re.M)
        self.assertIsNotNone(m, cp.stdout)
        self.assertRegex(cp.stdout, r"integration: 0 passed, 1 failed")
        self.assertFalse(os.path.exists(m.group(1)), "its folder removed")
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True)
        self.assertNotIn(m.group(1), ps.stdout, "no server of it left")


if __name__ == "__main__":
    unittest.main()
