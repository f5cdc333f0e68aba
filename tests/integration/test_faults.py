# SPDX-License-Identifier: ISC
"""Faults of the machine, not of the request (issue 15): each created for
real against the real web servers, with the answers, the log, the health
and the data checked afterwards.

- a full disk: the database on a 1200 KiB tmpfs (mounted here, as root);
- a database file that cannot be written: chmod, with Apache's children
  (www-data: root ignores file modes) opening it anew;
- a database file moved away, replaced by mv, and restored with
  `authportal restore` on the running server;
- SMTP servers that never answer, refuse every RCPT, or drop the
  connection mid-DATA (FaultySmtp below);
- SIGTERM, SIGINT and SIGKILL of lighttpd under load, lighttpd's and
  Apache's own restarts.
The README's "Reliability" section reports what these tests measure.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

from harness import (APP_PREFIXES, REPO, ApiTestCase, Server, DEFAULT_PASSWORD,
                     _free_port, unique_email, sqlite_only)

SERVICE_UNAVAILABLE = b'{"statusCode":503,"message":"Service Unavailable"}'
CHEAP = {"AUTH_ARGON2_MEMLIMIT_KIB": "1024", "AUTH_ARGON2_OPSLIMIT": "1"}
HEALTH = "/api/v1/health"


def wait_until(what, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = what()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def rows(where, sql, *args):
    """The rows of a query on a Server's database (either engine), or on a
    SQLite file named by its path (an orphan, a backup)."""
    if isinstance(where, Server):
        return where.sql(sql, args)
    db = sqlite3.connect("file:%s?mode=ro" % where, uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


class FaultCase(ApiTestCase):
    def assert503(self, r):
        self.assertBody(r, 503, SERVICE_UNAVAILABLE)
        self.assertEqual(r.headers.get("retry-after"), "10", repr(r))

    def assertHealth(self, s, status, body, deep=False):
        r = s.request("GET", HEALTH + ("?deep=1" if deep else ""))
        self.assertEqual((r.status, r.json()), (status, body), repr(r))
        if status == 503:
            self.assertEqual(r.headers.get("retry-after"), "10")
        return r

    def no_5xx_but_503(self, s, expected=None):
        """No 5xx but 503s; no crash line but the expected one (the
        harness counts SQLite's "database is locked" as one)."""
        bad = [(m, p, r) for (m, p, r) in s.server_errors() if r.status != 503]
        self.assertEqual(bad, [])
        self.assertEqual([l for l in s.crash_lines()
                          if expected is None or expected not in l], [])


@sqlite_only("the database file on a full file system (test_pg_faults: the server down)")
class FullDisk(FaultCase):
    """Sign-ups until the 1200 KiB file system of the database is full:
    every write then answers 503 with Retry-After, reads go on, health
    says "full", the log has one line per worker and cause, and once
    space comes back everything works again with every acknowledged
    sign-up there."""

    def test_full_disk(self):
        top = tempfile.mkdtemp(prefix="authportal-full-")
        disk = os.path.join(top, "disk")
        os.makedirs(disk)
        cp = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k,mode=0755",
                             "tmpfs", disk], capture_output=True, text=True)
        if cp.returncode != 0:
            shutil.rmtree(top, ignore_errors=True)
            self.fail("cannot mount a tmpfs for the full disk (%s): run "
                      "the suite as root, as script/test does" % cp.stderr.strip())
        s = Server(web="lighttpd", db_path=os.path.join(disk, "authportal.db"),
                   env=CHEAP)
        try:
            s.start()
            self._fill_and_recover(s, disk)
        finally:
            s.stop()
            subprocess.run(["umount", disk], check=False)
            shutil.rmtree(top, ignore_errors=True)

    def _fill_and_recover(self, s, disk):
        # Ballast, removed later: the space that comes back.
        with open(os.path.join(disk, "ballast"), "wb") as f:
            f.write(b"\0" * (256 * 1024))
        email = s.new_user("full")
        token = s.login_ok(email)["token"]
        acked, first = [email], None
        for i in range(3000):
            e = unique_email("fill")
            r = s.register(e, first_name="F" * 50, last_name="L" * 50)
            if r.status == 204:
                acked.append(e)
                continue
            first = r
            break
        self.assertIsNotNone(first, "the disk never filled")
        self.assert503(first)
        st = os.statvfs(disk)
        free = st.f_bavail * st.f_frsize
        print("full disk: %d sign-ups acknowledged, %d bytes free"
              % (len(acked), free))
        for _ in range(10):
            self.assert503(s.register(unique_email("more")))
        r = s.login(email, DEFAULT_PASSWORD)
        self.assertIn(r.status, (200, 503), repr(r))
        if r.status == 503:
            self.assert503(r)
        self.assertStatus(s.me(token), 200)      # reads keep working
        self.assertHealth(s, 503, {"status": "error", "database": "full"},
                          deep=True)
        self.assertHealth(s, 503, {"status": "error", "database": "full"})
        log = s.error_log()
        n = log.count("database db_full")
        self.assertGreaterEqual(n, 1, log[-3000:])
        self.assertLessEqual(n, 8, "one line per worker and cause a minute")
        print("full disk: %d log lines of db_full; login %d" % (n, r.status))
        self.assertNotIn("answered 503", log)
        # Space comes back: everything recovers by itself.
        os.unlink(os.path.join(disk, "ballast"))
        r = wait_until(lambda: s.register(unique_email("back")).status == 204,
                       timeout=15, step=0.2)
        self.assertTrue(r, "sign-ups work again")
        self.assertStatus(s.login(email, DEFAULT_PASSWORD), 200)
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)
        self.assertHealth(s, 200, {"status": "ok"})
        self.assertEqual(rows(s.db_path, "PRAGMA integrity_check"), [("ok",)])
        have = {e for (e,) in rows(s.db_path, "SELECT email FROM users")}
        self.assertEqual([e for e in acked if e not in have], [],
                         "every acknowledged sign-up is there")
        self.no_5xx_but_503(s)


class Writer:
    """Sign-ups in a thread until stopped: (email, status, t_done) each."""

    def __init__(self, s, prefix):
        self.s, self.prefix = s, prefix
        self.done = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            e = unique_email(self.prefix)
            try:
                r = self.s.register(e)
                self.done.append((e, r.status, time.monotonic()))
            except OSError:
                self.done.append((e, 0, time.monotonic()))

    def stop(self):
        self.stopping = True
        self.thread.join(30)
        return self.done


@sqlite_only("the file's write lock and PRAGMA user_version (test_pg_faults: schema_version)")
class LockedAndNewer(FaultCase):
    """A write lock held past DATABASE_BUSY_TIMEOUT_MS: writes answer 503,
    the plain health check does not wait (200), the deep one says
    "locked"; a schema newer than the program: health says
    "schemaNewer"."""

    def test_locked_then_newer(self):
        s = Server(env=dict(CHEAP, DATABASE_BUSY_TIMEOUT_MS="300"))
        s.start()
        self.addCleanup(s.stop)
        email = s.new_user("lock")
        token = s.login_ok(email)["token"]
        db = sqlite3.connect(s.db_path, timeout=10, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        try:
            self.assert503(s.register(unique_email("locked")))
            self.assertStatus(s.me(token), 200)
            self.assertHealth(s, 200, {"status": "ok"})
            self.assertHealth(s, 503, {"status": "error",
                                       "database": "locked"}, deep=True)
        finally:
            db.execute("COMMIT")
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)
        self.assertIn("database busy", s.error_log())
        (v,), = rows(s.db_path, "PRAGMA user_version")
        db.execute("PRAGMA user_version = %d" % (v + 100))
        try:
            self.assertHealth(s, 503, {"status": "error",
                                       "database": "schemaNewer"})
        finally:
            db.execute("PRAGMA user_version = %d" % v)
            db.close()
        self.assertHealth(s, 200, {"status": "ok"})
        self.no_5xx_but_503(s, expected="database busy: database is locked")


@sqlite_only("authportal restore of a SQLite file")
class Restore(FaultCase):
    """`authportal restore FILE` on a running server (lighttpd), while
    sign-ups go on: the content is the backup's at once for every worker,
    and every sign-up acknowledged after the restore returned is in the
    file; nothing went to an orphan (the file is the same inode)."""

    def test_restore_on_a_running_server(self):
        s = Server(env=CHEAP)
        s.start()
        self.addCleanup(s.stop)
        before = [s.new_user("before") for _ in range(3)]
        bak = os.path.join(s.tmp, "backup.db")
        cp = s.cli("backup", bak)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        after_backup = s.new_user("gone")
        ino = os.stat(s.db_path).st_ino
        w = Writer(s, "during")
        time.sleep(0.3)
        cp = s.cli("restore", bak)
        t_restored = time.monotonic()
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("restored from", cp.stdout)
        time.sleep(0.3)
        done = w.stop()
        self.assertEqual([d for d in done if d[1] != 204], [],
                         "every sign-up answered 204 during the restore")
        have = {e for (e,) in rows(s.db_path, "SELECT email FROM users")}
        self.assertTrue(all(e in have for e in before), "the backup's users")
        self.assertNotIn(after_backup, have, "the content is the backup's")
        late = [e for (e, st, t) in done if t > t_restored + 0.05]
        self.assertGreater(len(late), 0)
        self.assertEqual([e for e in late if e not in have], [],
                         "every sign-up after the restore is in the file")
        self.assertEqual(os.stat(s.db_path).st_ino, ino, "the same file")
        self.assertEqual(rows(s.db_path, "PRAGMA integrity_check"), [("ok",)])
        for e in before:
            self.assertStatus(s.login(e, DEFAULT_PASSWORD), 200)
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)
        # Not onto the live file itself, nor from what is no database.
        cp = s.cli("restore", s.db_path)
        self.assertEqual(cp.returncode, 2, cp.stdout + cp.stderr)
        junk = os.path.join(s.tmp, "junk.db")
        with open(junk, "w") as f:
            f.write("no database" * 100)
        cp = s.cli("restore", junk)
        self.assertEqual(cp.returncode, 2, cp.stdout + cp.stderr)
        self.assertIn("not a sound database", cp.stderr)
        self.no_5xx_but_503(s)


@sqlite_only("the database file moved or replaced")
class Replaced(FaultCase):
    """The careless ways: the live file moved away (mv), and a copy moved
    over it. The workers notice before their next request, close the old
    file (nothing more is written to the orphan) and answer 503; health
    says "replaced"; the file back, or the old -wal and -shm moved away
    with the old file, and they serve again."""

    def setUp(self):
        self.s = Server(env=CHEAP)
        self.s.start()
        self.addCleanup(self.s.stop)

    def count(self, path):
        return rows(path, "SELECT count(*) FROM users")[0][0]

    def test_moved_away_and_back(self):
        s = self.s
        email = s.new_user("mv")
        token = s.login_ok(email)["token"]
        away = s.db_path + ".away"
        os.rename(s.db_path, away)
        n = self.count(away)
        for _ in range(6):
            self.assert503(s.register(unique_email("orphan")))
        self.assert503(s.me(token))
        self.assertHealth(s, 503, {"status": "error", "database": "replaced"})
        self.assertEqual(self.count(away), n, "nothing written to the orphan")
        self.assertFalse(os.path.exists(s.db_path), "no new, empty file")
        self.assertIn("was moved away, deleted or replaced", s.error_log())
        os.rename(away, s.db_path)
        e2 = s.new_user("back")
        self.assertStatus(s.me(token), 200)
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)
        have = {e for (e,) in rows(s.db_path, "SELECT email FROM users")}
        self.assertTrue({email, e2} <= have)
        self.no_5xx_but_503(s)

    def test_copy_moved_over_the_live_file(self):
        s = self.s
        email = s.new_user("cp")
        copy = os.path.join(s.tmp, "copy.db")
        shutil.copyfile(s.db_path, copy)     # the careless copy
        st = os.stat(s.db_path)              # by the database's owner
        os.chown(copy, st.st_uid, st.st_gid)
        os.chmod(copy, 0o600)
        old = s.db_path + ".old"
        os.link(s.db_path, old)              # the orphan, to look into
        os.rename(copy, s.db_path)
        n = self.count(old)
        for _ in range(6):
            self.assert503(s.register(unique_email("orphan")))
        self.assertHealth(s, 503, {"status": "error", "database": "replaced"})
        self.assertEqual(self.count(old), n, "nothing written to the orphan")
        # The operator moves the old file's -wal and -shm along with it:
        # the workers open the new file by themselves.
        for suffix in ("-wal", "-shm"):
            if os.path.exists(s.db_path + suffix):
                os.rename(s.db_path + suffix, old + suffix)
        e2 = s.new_user("new")
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)
        self.assertIn(e2, {e for (e,) in rows(s.db_path,
                                              "SELECT email FROM users")})
        self.assertEqual(rows(s.db_path, "PRAGMA integrity_check"), [("ok",)])
        self.no_5xx_but_503(s)


def worker_pids(s):
    """The FastCGI workers of s (our executables among its processes)."""
    out = []
    for pid in s.session_pids():
        try:
            exe = os.path.basename(os.readlink("/proc/%d/exe" % pid))
        except OSError:
            continue
        if exe in ("health", "signup", "login", "refresh", "logout",
                   "account", "verify", "password") or exe.startswith("ptl"):
            out.append(pid)
    return out


def end_workers(s):
    """SIGTERM to every worker (they finish and exit; the web server
    starts new ones on demand); waits until they are gone."""
    pids = worker_pids(s)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    wait_until(lambda: not any(os.path.exists("/proc/%d" % p) and
                               open("/proc/%d/stat" % p).read().split(") ")[1][0]
                               not in "ZX" for p in pids), timeout=10)
    return pids


@sqlite_only("a read-only database file (test_pg_faults: a read-only database)")
class ReadOnly(FaultCase):
    """A database file that cannot be written (chmod 0444), opened by
    Apache's mod_fcgid children, which run as www-data (root ignores file
    modes): writes answer 503, reads go on, health says "readonly"; the
    mode back (of the file, and of the -wal and -shm, which SQLite made
    with the file's read-only mode meanwhile), the workers open it again
    by themselves."""

    def test_unwritable_file(self):
        s = Server(web="fcgid", env=CHEAP)
        s.start()
        self.addCleanup(s.stop)
        email = s.new_user("ro")
        token = s.login_ok(email)["token"]
        os.chmod(s.db_path, 0o444)
        self.addCleanup(os.chmod, s.db_path, 0o600)
        self.assertGreater(len(end_workers(s)), 0)
        r = s.register(unique_email("ro"))
        self.assert503(r)
        self.assert503(s.login(email, DEFAULT_PASSWORD))  # writes a session
        self.assertStatus(s.me(token), 200)
        self.assertHealth(s, 503, {"status": "error", "database": "readonly"})
        self.assertHealth(s, 503, {"status": "error", "database": "readonly"},
                          deep=True)
        self.assertIn("database db_readonly", s.error_log())
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(s.db_path + suffix):
                os.chmod(s.db_path + suffix, 0o600)
        time.sleep(1.1)          # a worker retries once a second
        e2 = unique_email("rw")
        self.assertStatus(s.register(e2), 204)
        self.assertStatus(s.login(email, DEFAULT_PASSWORD), 200)
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)
        self.assertIn((e2,), rows(s.db_path, "SELECT email FROM users"))
        self.no_5xx_but_503(s)


class FaultySmtp:
    """A small SMTP server on loopback with a fault (mode, switchable):
    "mute" accepts the connection and never says a word; "rcpt4xx"
    answers 451 to every RCPT; "drop" closes the connection in the middle
    of the DATA; "ok" takes every message (self.messages: recipients).
    self.conns: [accepted, closed] monotonic times of each connection."""

    def __init__(self, mode):
        self.mode = mode
        self.messages = []
        self.conns = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.sock.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            rec = [time.monotonic(), None]
            with self.lock:
                self.conns.append(rec)
            threading.Thread(target=self._serve, args=(conn, rec, self.mode),
                             daemon=True).start()

    def _serve(self, conn, rec, mode):
        conn.settimeout(60)
        f = conn.makefile("rb")
        try:
            if mode == "mute":
                while conn.recv(4096):   # until the client gives up
                    pass
                return
            conn.sendall(b"220 faulty ESMTP\r\n")
            rcpt = []
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.strip().upper()
                if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
                    conn.sendall(b"250 faulty\r\n")
                elif cmd.startswith(b"RCPT"):
                    if mode == "rcpt4xx":
                        conn.sendall(b"451 4.3.0 try again later\r\n")
                    else:
                        rcpt.append(line.strip()[8:].decode())
                        conn.sendall(b"250 OK\r\n")
                elif cmd == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    if mode == "drop":
                        f.readline()
                        return           # closed mid-DATA
                    while f.readline() not in (b".\r\n", b"", b".\n"):
                        pass
                    with self.lock:
                        self.messages.extend(rcpt)
                    rcpt = []
                    conn.sendall(b"250 OK queued\r\n")
                elif cmd == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 OK\r\n")
        except OSError:
            pass
        finally:
            rec[1] = time.monotonic()
            conn.close()


TIMEOUT_S = 2.0


class MailFaults(FaultCase):
    """Each SMTP fault costs one delivery attempt of at most the
    configured timeout (MAIL_TIMEOUT_MS), after the answer; the mail stays
    queued with its attempt and its error in `authportal mail list`; once
    the server is back, a flush delivers each mail exactly once."""

    @classmethod
    def setUpClass(cls):
        cls.smtp = FaultySmtp("ok")
        cls.addClassCleanup(cls.smtp.close)
        cls.s = Server(env=dict(CHEAP, MAIL_PORT=str(cls.smtp.port),
                                MAIL_CONNECT_TIMEOUT_MS="1000",
                                MAIL_TIMEOUT_MS=str(int(TIMEOUT_S * 1000))))
        cls.s.start()
        cls.addClassCleanup(cls.s.stop)

    def attempt(self, mode, error_has):
        s, smtp = self.s, self.smtp
        smtp.mode = mode
        n = len(smtp.conns)
        email = unique_email(mode)
        r = s.register(email)
        answered = time.monotonic()
        self.assertStatus(r, 204)
        row = wait_until(lambda: rows(
            s, "SELECT attempts, last_error, sent_at FROM mail_outbox "
            "WHERE recipient = ?", email) or None, timeout=5)
        got = wait_until(lambda: rows(
            s, "SELECT attempts, last_error, sent_at FROM mail_outbox "
            "WHERE recipient = ? AND attempts > 0", email), timeout=10)
        self.assertTrue(row and got, "one attempt was made")
        attempts, err, sent = got[0]
        self.assertEqual((attempts, sent), (1, None))
        self.assertIn(error_has, err)
        conns = smtp.conns[n:]
        self.assertEqual(len(conns), 1, "one connection for one attempt")
        opened, closed = conns[0]
        wait_until(lambda: conns[0][1] is not None, timeout=5)
        closed = conns[0][1]
        self.assertLess(answered, closed,
                        "the answer was out before the attempt ended")
        self.assertLess(closed - opened, TIMEOUT_S + 1.5,
                        "at most the timeout per attempt")
        listing = s.cli("mail", "list").stdout
        line = [l for l in listing.splitlines() if email in l]
        self.assertEqual(len(line), 1, listing)
        self.assertRegex(line[0], r"\s1\s+queued\s+\S")
        print("%s: %.2fs, mail list: %s" % (mode, closed - opened,
                                             line[0].split("queued")[1].strip()))
        return email

    def test_faults_then_recovery(self):
        s, smtp = self.s, self.smtp
        queued = [self.attempt("mute", "timed out"),
                  self.attempt("rcpt4xx", "451"),
                  self.attempt("drop", "")]
        self.assertEqual(smtp.messages, [], "nothing delivered")
        smtp.mode = "ok"
        cp = s.cli("mail", "flush")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertEqual(sorted(smtp.messages),
                         sorted("<%s>" % e for e in queued),
                         cp.stdout + cp.stderr + s.cli("mail", "list").stdout)
        cp = s.cli("mail", "flush")
        self.assertIn("0 mail(s) delivered", cp.stdout)
        e = s.new_user("after")                 # ordinary traffic again
        wait_until(lambda: "<%s>" % e in smtp.messages, timeout=10)
        self.assertEqual(sorted(smtp.messages),
                         sorted("<%s>" % x for x in queued + [e]),
                         "every mail exactly once")
        self.assertHealth(s, 200, {"status": "ok"})
        self.no_5xx_but_503(s)


class MailHealth(FaultCase):
    """Health says "mail":"failing" once the oldest undelivered mail has
    been failing for longer than HEALTH_MAIL_MAX_AGE_SECONDS."""

    def test_failing_mail(self):
        smtp = FaultySmtp("rcpt4xx")
        self.addCleanup(smtp.close)
        s = Server(env=dict(CHEAP, MAIL_PORT=str(smtp.port),
                            HEALTH_MAIL_MAX_AGE_SECONDS="1"))
        s.start()
        self.addCleanup(s.stop)
        email = s.new_user("failing")
        wait_until(lambda: rows(s, "SELECT 1 FROM mail_outbox WHERE "
                                "recipient = ? AND attempts > 0", email))
        time.sleep(1.1)
        self.assertHealth(s, 503, {"status": "error", "mail": "failing"})
        smtp.mode = "ok"
        self.assertEqual(s.cli("mail", "flush").returncode, 0)
        self.assertHealth(s, 200, {"status": "ok"})


class InFlight:
    """n sign-ups held in progress by a write lock the test takes on the
    database (each waits in its worker, up to the busy timeout), released
    by release(). db: a Server (either engine: on PostgreSQL the lock is
    LOCK TABLE users, which holds every insert of a user and no read) or
    the path of a SQLite file."""

    def __init__(self, port, db, n=3):
        if isinstance(db, Server) and db.engine == "postgres":
            self.db = db.db()
            self.db.execute("BEGIN")
            self.db.execute("LOCK TABLE users IN EXCLUSIVE MODE")
        else:
            path = db.db_path if isinstance(db, Server) else db
            self.db = sqlite3.connect(path, timeout=10, isolation_level=None)
            self.db.execute("BEGIN IMMEDIATE")
        self.port = port
        self.results = []
        self.threads = [threading.Thread(target=self._one) for _ in range(n)]
        for t in self.threads:
            t.start()
        time.sleep(0.5)          # the requests reach their workers

    def _one(self):
        import http.client
        e = unique_email("inflight")
        body = json.dumps({"email": e, "password": DEFAULT_PASSWORD,
                           "firstName": "I", "lastName": "F"})
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            c.request("POST", "/api/v1/auth/email/register", body=body,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            self.results.append((e, r.status))
        except (OSError, http.client.HTTPException):
            self.results.append((e, None))

    def release(self):
        self.db.execute("COMMIT")
        self.db.close()
        for t in self.threads:
            t.join(30)
        return self.results


def users(where):
    return {e for (e,) in rows(where, "SELECT email FROM users")}


class LighttpdStops(FaultCase):
    """SIGINT (lighttpd's graceful stop, what script/server sends) lets the
    requests in progress finish; SIGTERM (its immediate stop) cuts their
    answers, but each worker finishes the transaction it is in and exits;
    SIGKILL leaves the workers, and a lighttpd started again at once
    serves, with every acknowledged write there. Each leaves nothing that
    blocks the next start."""

    def setUp(self):
        self.s = Server(web="lighttpd", env=CHEAP)
        self.s.start()
        self.addCleanup(self.s.stop)

    def stopped(self, sig, bound):
        s = self.s
        flight = InFlight(s.port, s)
        t0 = time.monotonic()
        s.proc.send_signal(sig)
        time.sleep(0.5)
        results = flight.release()
        s.proc.wait(bound)
        took = time.monotonic() - t0
        self.assertTrue(wait_until(lambda: not s.session_pids(), timeout=10),
                        "every worker exited")
        self.assertEqual(s.crash_lines(), [])   # a clean exit (LeakSanitizer)
        return results, took

    def restart(self):
        s = self.s
        s.proc = None
        s._start_web()           # the same run folder, its old sockets
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)

    def test_sigint_lets_requests_finish(self):
        results, took = self.stopped(signal.SIGINT, 20)
        self.assertEqual([st for (_, st) in results], [204] * 3)
        have = users(self.s)
        self.assertTrue(all(e in have for (e, _) in results))
        print("SIGINT: lighttpd and its workers gone %.1fs after" % took)
        self.restart()

    def test_sigterm_finishes_transactions(self):
        results, took = self.stopped(signal.SIGTERM, 10)
        have = users(self.s)
        self.assertTrue(all(e in have for (e, st) in results if st == 204))
        written = [e for (e, _) in results if e in have]
        print("SIGTERM: %d of 3 answered, %d written, gone %.1fs after"
              % (sum(1 for (_, st) in results if st == 204), len(written), took))
        self.assertIn("SIGTERM: no request in progress; exiting",
                      self.s.error_log())
        if self.s.engine == "sqlite":
            self.assertEqual(rows(self.s, "PRAGMA integrity_check"), [("ok",)])
        self.restart()
        for e in written:        # whole: its password works
            self.assertStatus(self.s.login(e, DEFAULT_PASSWORD), 200)

    def test_sigkill_then_start_at_once(self):
        s = self.s
        w = Writer(s, "killed")
        time.sleep(0.5)
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(10)
        done = w.stop()
        self.restart()
        acked = [e for (e, st, _) in done if st == 204]
        self.assertGreater(len(acked), 0)
        have = users(s)
        self.assertEqual([e for e in acked if e not in have], [],
                         "every acknowledged sign-up is there")
        self.assertStatus(s.register(unique_email("again")), 204)
        print("SIGKILL: %d acknowledged before, all there" % len(acked))

    def test_graceful_restart(self):
        s = self.s
        s.proc.send_signal(signal.SIGUSR1)
        self.assertTrue(wait_until(
            lambda: s.request("GET", HEALTH, record=False).status == 200,
            timeout=20))
        self.assertStatus(s.register(unique_email("usr1")), 204)
        self.assertIsNone(s.proc.poll())


class ApacheRestarts(FaultCase):
    """Apache (mod_fcgid): a graceful restart (SIGUSR1), a restart (SIGHUP)
    and a stop and start on the same run folder all serve again."""

    def test_restarts(self):
        s = Server(web="fcgid", env=CHEAP)
        s.start()
        self.addCleanup(s.stop)
        email = s.new_user("apache")
        for sig in (signal.SIGUSR1, signal.SIGHUP):
            s.proc.send_signal(sig)
            time.sleep(0.5)
            self.assertTrue(wait_until(
                lambda: s.request("GET", HEALTH, record=False,
                                  timeout=5).status == 200, timeout=30),
                "health after %s" % sig)
            self.assertStatus(s.login(email, DEFAULT_PASSWORD), 200)
        s._stop_web()
        s._start_web()
        self.assertStatus(s.login(email, DEFAULT_PASSWORD), 200)
        self.assertHealth(s, 200, {"status": "ok"}, deep=True)


class ScriptServerStops(FaultCase):
    """SIGTERM to script/server: it stops lighttpd gracefully, the requests
    in progress are answered, then everything exits."""

    def test_sigterm_lets_requests_finish(self):
        top = tempfile.mkdtemp(prefix="authportal-stop-")
        self.addCleanup(shutil.rmtree, top, ignore_errors=True)
        db = os.path.join(top, "authportal.db")
        env_file = os.path.join(top, "authportal.env")
        with open(env_file, "w") as f:
            f.write("DATABASE_PATH=%s\n" % db)
            for k, v in CHEAP.items():
                f.write("%s=%s\n" % (k, v))
        port = _free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(APP_PREFIXES) and k != "ENV_FILE"}
        env.update(ENV_FILE=env_file, APP_PORT=str(port))
        out = []
        p = subprocess.Popen([os.path.join(REPO, "script", "server")],
                             cwd=top, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)

        def kill():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
        self.addCleanup(kill)
        reader = threading.Thread(target=lambda: out.extend(
            l.decode("utf-8", "replace") for l in iter(p.stdout.readline, b"")),
            daemon=True)
        reader.start()
        self.assertTrue(wait_until(lambda: any("authportal is up" in l
                                               for l in out), timeout=120),
                        "".join(out))
        flight = InFlight(port, db)
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        results = flight.release()
        rc = p.wait(30)
        print("script/server: exited %d, %.1fs after SIGTERM"
              % (rc, time.monotonic() - t0))
        self.assertEqual(rc, 0, "".join(out))
        self.assertEqual([st for (_, st) in results], [204] * 3, "".join(out))
        have = users(db)
        self.assertTrue(all(e in have for (e, _) in results))
