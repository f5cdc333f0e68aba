# SPDX-License-Identifier: ISC
"""Faults of PostgreSQL (issue 14 point 3), against a cluster of this
module's own (tests/tools/pgcluster), so that it runs in every run and may
stop its database server without touching the suite's:

- the database server stopped while the web server runs: every route
  answers a clean 503 JSON with Retry-After, health says
  "database":"unavailable", no worker dies, nothing acknowledged is lost;
  started again: requests work again without a restart of the web server;
- every connection killed (pg_terminate_backend): the workers connect
  again by themselves;
- a database that takes no writes (default_transaction_read_only, what a
  hot standby is): writes 503, health "readonly"; writable again: served;
- a schema newer than the program (schema_version): health says
  "schemaNewer", check-config and migrate refuse it;
- a lock held on the users table past DATABASE_BUSY_TIMEOUT_MS: sign-ups
  503, reads go on;
- authportal backup (pg_dump) while the server writes: a dump that
  pg_restore takes, with the users; restore refuses and names pg_restore;
- the load-and-fault run (loadtest.py) on PostgreSQL with SIGKILLed
  workers and the database server stopped and started in the middle: no
  5xx but the kills' and the outage's clean 503s, nothing lost.

These are the PostgreSQL counterparts of the SQLite file faults of
test_faults.py (sqlite_only there).
"""

import os
import re
import subprocess
import sys
import time
import unittest

from harness import (ApiTestCase, PgCluster, Server, DEFAULT_PASSWORD,
                     DEMO_ADMIN, DEMO_PASSWORD, DEMO_USER, JSON_CT, _pg_program,
                     jwt_parts, unique_email)
import loadtest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
import mailcatch  # noqa: E402

SERVICE_UNAVAILABLE = {"statusCode": 503, "message": "Service Unavailable"}
CHEAP = {"AUTH_ARGON2_MEMLIMIT_KIB": "1024", "AUTH_ARGON2_OPSLIMIT": "1"}
HEALTH = "/api/v1/health"
FRONT = "http://localhost:3000"
JWT = r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
CONFIRM_URL = re.compile(r"^" + re.escape(FRONT) + r"/confirm-email\?hash=(" + JWT + r")$")
RESET_URL = re.compile(r"^" + re.escape(FRONT) + r"/password-change\?hash=(" + JWT +
                       r")&expires=(\d+)$")

C = None        # the module's own cluster


def setUpModule():
    global C
    C = PgCluster()
    unittest.addModuleCleanup(C.remove)
    C.start()


def wait_until(what, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = what()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def worker_pids(s):
    """{pid: executable} of the server's FastCGI workers."""
    out = {}
    for pid in s.session_pids():
        try:
            exe = os.path.basename(os.readlink("/proc/%d/exe" % pid))
        except OSError:
            continue
        if exe != "lighttpd" and not exe.startswith("python"):
            out[pid] = exe
    return out


def terminate_backends(s):
    """pg_terminate_backend of every connection to s's database but ours,
    and the wait until those backends have exited (their sockets closed);
    returns how many."""
    pids = [p for (p, ok) in s.sql(
        "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()") if ok]
    if pids:
        gone = wait_until(lambda: not s.sql(
            "SELECT 1 FROM pg_stat_activity WHERE pid IN (%s)"
            % ",".join("?" * len(pids)), pids), timeout=30)
        assert gone, "backends %r still there" % pids
    return len(pids)


class PgCase(ApiTestCase):
    def server(self, **kw):
        env = dict(CHEAP, **kw.pop("env", {}))
        s = Server(engine="postgres", cluster=C, env=env, **kw)
        s.start()
        self.addCleanup(s.stop)
        return s

    def assert503(self, r, what=""):
        self.assertEqual(r.status, 503, "%s: %r" % (what, r))
        self.assertEqual(r.headers.get("content-type"), JSON_CT, what)
        self.assertEqual(r.json(), SERVICE_UNAVAILABLE, what)
        self.assertRegex(r.headers.get("retry-after", ""), r"^[1-9][0-9]*$", what)

    def assertHealth(self, s, status, body, deep=False):
        r = s.request("GET", HEALTH + ("?deep=1" if deep else ""))
        self.assertEqual((r.status, r.json()), (status, body), repr(r))
        if status == 503:
            self.assertIsNotNone(r.headers.get("retry-after"))
        return r

    def no_5xx_but_503(self, s):
        self.assertEqual([(m, p, r) for (m, p, r) in s.server_errors()
                          if r.status != 503], [])
        self.assertEqual(s.crash_lines(), [])

    def healthy(self, s, timeout=30):
        return wait_until(lambda: s.request("GET", HEALTH + "?deep=1",
                                            record=False).status == 200,
                          timeout=timeout, step=0.1)


class ServerDown(PgCase):
    """The database server stopped (pg_ctl stop -m immediate, a crash) under
    a running web server, then started again."""

    def link(self, s, address, kind_re):
        msgs = wait_until(lambda: [
            m for m in mailcatch.messages_to(s.mail_dir, address)
            if kind_re.match(mailcatch.find_link(m))], timeout=10)
        self.assertTrue(msgs, "no mail to %s" % address)
        return kind_re.match(mailcatch.find_link(msgs[-1])).group(1)

    def test_stopped_then_started(self):
        s = self.server(smtp="catcher")
        # Before: users, sessions, links, acknowledged.
        email = s.new_user("down")
        confirm_hash = self.link(s, email, CONFIRM_URL)
        known = s.new_user("known")
        self.assertBody(s.request("POST", "/api/v1/auth/email/confirm",
                                  json_body={"hash": self.link(s, known, CONFIRM_URL)}),
                        204, b"")
        self.assertBody(s.request("POST", "/api/v1/auth/forgot/password",
                                  json_body={"email": known}), 204, b"")
        reset_hash = self.link(s, known, RESET_URL)
        user = s.login_ok(email)
        other = s.login_ok(email)
        admin = s.login_ok(DEMO_ADMIN, DEMO_PASSWORD)
        uid = user["user"]["id"]
        other_sid = jwt_parts(other["token"])[1]["sessionId"]
        acked = [s.new_user("acked") for _ in range(5)]
        workers = worker_pids(s)
        self.assertGreater(len(workers), 0)

        C.stop()
        ut, rt, at = user["token"], user["refreshToken"], admin["token"]
        calls = [
            ("POST", "/api/v1/auth/email/register", {
                "email": unique_email("while"), "password": DEFAULT_PASSWORD,
                "firstName": "W", "lastName": "D"}, None),
            ("POST", "/api/v1/auth/email/login",
             {"email": DEMO_USER, "password": DEMO_PASSWORD}, None),
            ("POST", "/api/v1/auth/email/confirm", {"hash": confirm_hash}, None),
            ("POST", "/api/v1/auth/forgot/password", {"email": known}, None),
            ("POST", "/api/v1/auth/reset/password",
             {"hash": reset_hash, "password": "While-Down-Pw-1"}, None),
            ("GET", "/api/v1/auth/me", None, ut),
            ("PATCH", "/api/v1/auth/me", {"firstName": "Changed"}, ut),
            ("POST", "/api/v1/auth/refresh", None, rt),
            ("GET", "/api/v1/auth/sessions", None, ut),
            ("DELETE", "/api/v1/auth/sessions/%d" % other_sid, None, ut),
            ("POST", "/api/v1/auth/logout/all", None, ut),
            ("POST", "/api/v1/auth/logout", None, ut),
            ("DELETE", "/api/v1/auth/me", None, ut),
            ("GET", "/api/v1/users", None, at),
            ("POST", "/api/v1/users", {"email": unique_email("adm"),
                                       "password": DEFAULT_PASSWORD,
                                       "firstName": "A", "lastName": "D"}, at),
            ("GET", "/api/v1/users/%d" % uid, None, at),
            ("PATCH", "/api/v1/users/%d" % uid, {"lastName": "X"}, at),
            ("DELETE", "/api/v1/users/%d" % uid, None, at),
        ]
        # Each route more than once: every worker meets the outage.
        for _round in range(3):
            for method, path, body, token in calls:
                r = s.request(method, path, json_body=body,
                              headers=s.auth_headers(token) if token else None)
                self.assert503(r, "%s %s" % (method, path))
        self.assertHealth(s, 503, {"status": "error", "database": "unavailable"})
        self.assertHealth(s, 503, {"status": "error", "database": "unavailable"},
                          deep=True)
        self.assertEqual(worker_pids(s), workers, "no worker died")
        log = s.error_log()
        self.assertNotIn("postgresql://", log.split("authportal-it-")[0])
        self.assertEqual(s.crash_lines(), [])

        C.start()
        self.assertTrue(self.healthy(s), "served again without a restart")
        self.assertEqual(worker_pids(s), workers, "the same workers")
        # Nothing acknowledged lost, nothing refused applied.
        for e in acked + [email]:
            self.assertStatus(s.login(e, DEFAULT_PASSWORD), 200)
        self.assertStatus(s.me(ut), 200)
        self.assertEqual(s.me(ut).json()["firstName"], "Test")
        r = s.refresh(rt)
        self.assertStatus(r, 200)
        self.assertStatus(s.me(other["token"]), 200)
        self.assertBody(s.request("POST", "/api/v1/auth/email/confirm",
                                  json_body={"hash": confirm_hash}), 204, b"")
        self.assertBody(s.request("POST", "/api/v1/auth/reset/password", json_body={
            "hash": reset_hash, "password": "After-Down-Pw-1"}), 204, b"")
        self.assertStatus(s.login(known, "After-Down-Pw-1"), 200)
        self.assertStatus(s.register(unique_email("after")), 204)
        self.assertHealth(s, 200, {"status": "ok"})
        self.assertIn("connected again", s.error_log())
        self.no_5xx_but_503(s)

    def test_cli_says_the_server_is_away(self):
        s = self.server()
        C.stop()
        try:
            for args in (("user", "list"), ("check-config",), ("migrate",)):
                cp = s.cli(*args, timeout=60)
                self.assertNotEqual(cp.returncode, 0, args)
                out = cp.stdout + cp.stderr
                self.assertNotIn("Traceback", out)
                self.assertNotIn("password=", out)
        finally:
            C.start()
        self.assertTrue(self.healthy(s))


class ConnectionKilled(PgCase):
    """Every connection of the workers ended by the server while idle
    (pg_terminate_backend: an idle timeout, a pooler, a restart of the
    backend): each worker sees it before its next statement and connects
    again at once, so the next requests are answered as usual, by the same
    workers."""

    def test_terminated_backends_reconnect(self):
        s = self.server()
        email = s.new_user("kill")
        token = s.login_ok(email)["token"]
        workers = worker_pids(s)
        for _round in range(3):
            # Idle connections only: a worker may still be delivering the
            # mail of the last sign-up after its answer (a loss under a
            # statement is a 503 and a back-off, ServerDown).
            self.assertTrue(wait_until(lambda: not s.sql(
                "SELECT 1 FROM mail_outbox WHERE sent_at IS NULL") and not s.sql(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"), timeout=15))
            self.assertGreater(terminate_backends(s), 0)
            # Each worker's connection is gone: more requests than workers.
            for _ in range(4):
                self.assertStatus(s.me(token), 200)
                self.assertStatus(s.register(unique_email("after-kill")), 204)
                self.assertStatus(s.login(email, DEFAULT_PASSWORD), 200)
                self.assertHealth(s, 200, {"status": "ok"}, deep=True)
        self.assertEqual(worker_pids(s), workers, "no worker died")
        self.assertEqual(s.server_errors(), [])
        self.assertEqual(s.crash_lines(), [])


class ReadOnlyDatabase(PgCase):
    """A database that takes no writes (a hot standby, or
    default_transaction_read_only): writes 503 with health "readonly";
    reads go on; writable again, the workers serve writes again."""

    def test_read_only_then_writable(self):
        s = self.server()
        email = s.new_user("ro")
        token = s.login_ok(email)["token"]
        name = s.sql_value("SELECT current_database()")
        s.sql('ALTER DATABASE "%s" SET default_transaction_read_only = on' % name)
        try:
            terminate_backends(s)      # new sessions are read-only
            self.assertTrue(wait_until(
                lambda: s.register(unique_email("ro")).status == 503,
                timeout=15, step=0.05))
            self.assert503(s.register(unique_email("ro")), "register")
            self.assertTrue(wait_until(lambda: s.me(token).status == 200,
                                       timeout=15, step=0.05), "reads go on")
            # (The health worker's first request after the kill may meet
            # its dead connection: 503 "unavailable" once.)
            want = (503, {"status": "error", "database": "readonly"})
            got = wait_until(lambda: (lambda r: (r.status, r.json()))(
                s.request("GET", HEALTH + "?deep=1")) == want, timeout=15,
                step=0.05)
            self.assertTrue(got, s.request("GET", HEALTH + "?deep=1"))
        finally:
            with s.db() as db:   # this session is read-only too
                db.execute("SET default_transaction_read_only = off")
                db.execute('ALTER DATABASE "%s" RESET default_transaction_read_only'
                           % name)
        terminate_backends(s)
        self.assertTrue(wait_until(
            lambda: s.register(unique_email("rw")).status == 204,
            timeout=15, step=0.05), "writable again")
        self.assertTrue(self.healthy(s))
        self.assertTrue(wait_until(
            lambda: s.login(email, DEFAULT_PASSWORD).status == 200,
            timeout=15, step=0.05))
        self.no_5xx_but_503(s)


class SchemaNewer(PgCase):
    def test_newer_schema(self):
        s = self.server()
        v = s.sql_value("SELECT version FROM schema_version")
        self.assertIsInstance(v, int)
        s.sql("UPDATE schema_version SET version = ?", (v + 100,))
        try:
            self.assertHealth(s, 503, {"status": "error",
                                       "database": "schemaNewer"})
            cp = s.cli("check-config")
            self.assertEqual(cp.returncode, 1, cp.stdout + cp.stderr)
            self.assertIn("newer than this program knows", cp.stdout + cp.stderr)
            cp = s.cli("migrate")
            self.assertEqual(cp.returncode, 1, cp.stdout + cp.stderr)
            self.assertIn("newer than this program knows", cp.stderr)
            self.assertEqual(s.sql_value("SELECT version FROM schema_version"),
                             v + 100, "untouched")
        finally:
            s.sql("UPDATE schema_version SET version = ?", (v,))
        self.assertHealth(s, 200, {"status": "ok"})
        cp = s.cli("check-config")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertRegex(cp.stdout, r"database\s+.*: ok, schema version %d" % v)
        self.assertNotIn("postgresql://", cp.stdout + cp.stderr)


class LockHeld(PgCase):
    def test_lock_past_the_busy_timeout(self):
        s = self.server(env={"DATABASE_BUSY_TIMEOUT_MS": "300"})
        email = s.new_user("lock")
        token = s.login_ok(email)["token"]
        with s.db() as db:
            db.execute("BEGIN")
            db.execute("LOCK TABLE users IN EXCLUSIVE MODE")
            try:
                self.assert503(s.register(unique_email("locked")), "register")
                self.assertStatus(s.me(token), 200)
                self.assertHealth(s, 200, {"status": "ok"})
            finally:
                db.execute("COMMIT")
        self.assertStatus(s.register(unique_email("unlocked")), 204)
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)
        self.no_5xx_but_503(s)


class Backup(PgCase):
    def test_backup_while_the_server_writes_and_restore_refused(self):
        import threading
        s = self.server()
        d = os.path.join(s.tmp, "bak")
        os.makedirs(d)
        dest = os.path.join(d, "dump")
        stop = threading.Event()
        made = []

        def write():
            while not stop.is_set():
                made.append(s.new_user("bak"))
        made.append(s.new_user("bak"))
        t = threading.Thread(target=write)
        t.start()
        try:
            time.sleep(0.3)
            cp = s.cli("backup", dest)
        finally:
            stop.set()
            t.join()
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertEqual(os.stat(dest).st_mode & 0o777, 0o600)
        self.assertNotIn("postgresql://", cp.stdout + cp.stderr)
        # pg_restore takes it into a fresh database: the users are there.
        url = C.createdb()
        self.addCleanup(C.dropdb, url)
        rp = subprocess.run([_pg_program("pg_restore"), "--no-owner", "-d",
                             url, dest], capture_output=True, text=True,
                            timeout=120)
        self.assertEqual(rp.returncode, 0, rp.stderr)
        import psycopg2
        conn = psycopg2.connect(url)
        try:
            cur = conn.cursor()
            cur.execute("SELECT email FROM users")
            emails = {r[0] for r in cur.fetchall()}
        finally:
            conn.close()
        self.assertIn(DEMO_USER, emails)
        self.assertIn(made[0], emails)
        cp = s.cli("restore", dest)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("pg_restore", cp.stdout + cp.stderr)
        self.assertStatus(s.login(made[0], DEFAULT_PASSWORD), 200)


class LoadWithOutage(unittest.TestCase):
    """loadtest.py on PostgreSQL: SIGKILLs of workers, and the database
    server stopped for a second in the middle and started again."""

    def test_short_run_with_kills_and_an_outage_loses_nothing(self):
        lines = []

        def outage(test):
            down = time.monotonic()
            C.stop()
            time.sleep(1.0)
            C.start()
            test.outages.append((down, time.monotonic()))

        test = loadtest.LoadTest(seconds=12, kills=3, clients=6, seed=41,
                                 out=lines.append, fault=outage,
                                 server_kw={"engine": "postgres", "cluster": C})
        good = test.run()
        self.assertTrue(good, "\n".join(lines))
        self.assertEqual(len(test.rec.kills), 3, "\n".join(lines))
        self.assertEqual(len(test.outages), 1, "\n".join(lines))

    def test_short_run_with_kills_loses_nothing(self):
        lines = []
        test = loadtest.LoadTest(seconds=10, kills=2, clients=6, seed=9,
                                 out=lines.append,
                                 server_kw={"engine": "postgres", "cluster": C})
        good = test.run()
        self.assertTrue(good, "\n".join(lines))
        unavailable = [e for e in test.rec.entries if e.status == 503]
        self.assertEqual(unavailable, [], "no 503 without a fault")


if __name__ == "__main__":
    unittest.main()
