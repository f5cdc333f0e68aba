# SPDX-License-Identifier: ISC
"""The audit log (issue 9 point 9, API.md §10 "Audit log"), against the real
lighttpd and the real SMTP catcher: each security event is recorded after
the real request, with the client's IP and user agent; no audit row holds a
password, token, link code or hash used in the test (every column of every
row is searched); and the admin tool's `audit` filters and `gc`.

The database is read (and, for gc, written) through the harness's
Server.sql, beside the running workers, on either engine."""

import os
import re
import secrets
import subprocess
import sys
import time

from harness import (ApiTestCase, CLI, serve, unique_email, jwt_parts,
                     DEFAULT_PASSWORD)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
import mailcatch  # noqa: E402

JWT = r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
LINK_HASH = re.compile(r"[?&]hash=(" + JWT + r")")
ME = "/api/v1/auth/me"
COLUMNS = ("id", "at", "event", "user_id", "session_id", "ip", "detail",
           "user_agent", "email")

S = None
# Every secret the tests send or receive: searched in every audit row.
SECRETS = set()


def setUpModule():
    global S
    S = serve(smtp="catcher", env={
        "AUTH_RATE_LIMIT": "true", "AUTH_RATE_LOGIN_IP": "10000",
        "AUTH_RATE_IP": "10000", "AUTH_RATE_LOGIN_FAIL": "3"})


def ua():
    """A user agent no other request sends."""
    return "AuditTest/%s (integration)" % secrets.token_hex(6)


def keep(*values):
    """Remembers secrets (tokens also by their signature part)."""
    for v in values:
        if not v:
            continue
        SECRETS.add(v)
        if v.count(".") == 2:
            SECRETS.add(v.rsplit(".", 1)[1])


def rows(server, where="1 = 1", args=()):
    """Audit rows as dicts, oldest first."""
    return [dict(zip(COLUMNS, r)) for r in server.sql(
        "SELECT %s FROM audit_log WHERE %s ORDER BY id" % (
            ", ".join(COLUMNS), where), args)]


def sql(server, text, args=()):
    return server.sql(text, args)


def user_id(server, email):
    return sql(server, "SELECT id FROM users WHERE email = ?", (email,))[0][0]


def sid(login):
    return jwt_parts(login["token"])[1]["sessionId"]


def mail_link_hash(server, address, count, timeout=2.0):
    """The link code of the count-th mail to address."""
    deadline = time.monotonic() + timeout
    while True:
        msgs = mailcatch.messages_to(server.mail_dir, address)
        if len(msgs) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    m = LINK_HASH.search(mailcatch.find_link(msgs[count - 1]))
    return m.group(1)


class AuditCase(ApiTestCase):
    def active_user(self, password=DEFAULT_PASSWORD):
        """A confirmed (Active) account, made with the admin tool."""
        email = unique_email("audit")
        cp = S.cli("user", "add", email, "--password", password)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        keep(password)
        return email

    def login(self, email, password=DEFAULT_PASSWORD, agent=None):
        keep(password)
        r = S.login(email, password, headers={"User-Agent": agent or ua()})
        if r.status == 200:
            keep(r.json()["token"], r.json()["refreshToken"])
        return r

    def one(self, event, agent, **want):
        """The one row of event sent with user agent agent; asserts it has
        the client's IP and the given columns."""
        found = rows(S, "event = ? AND user_agent = ?", (event, agent))
        self.assertEqual(len(found), 1, "%s rows with %s: %r (all: %r)" % (
            event, agent, found, rows(S, "event = ?", (event,))))
        row = found[0]
        self.assertEqual(row["ip"], "127.0.0.1", row)
        self.assertTrue(abs(row["at"] - time.time() * 1000) < 60000, row)
        for k, v in want.items():
            self.assertEqual(row[k], v, "%s of %r" % (k, row))
        return row


class Events(AuditCase):
    def test_signin_ok(self):
        email, agent = self.active_user(), ua()
        r = self.login(email, agent=agent)
        self.assertStatus(r, 200)
        self.one("signin_ok", agent, user_id=user_id(S, email),
                 session_id=sid(r.json()), email=None)

    def test_signin_failed_known_and_unknown_address(self):
        email, agent = self.active_user(), ua()
        self.assertStatus(self.login(email, "Wrong-Password-1", agent), 422)
        self.one("signin_failed", agent, user_id=user_id(S, email),
                 session_id=None, detail="wrong_password", email=None)
        nobody, agent2 = unique_email("nobody"), ua()
        self.assertStatus(self.login(nobody, "Wrong-Password-2", agent2), 422)
        # An address that is no account's is stored: it is the subject.
        self.one("signin_failed", agent2, user_id=None,
                 detail="unknown_account", email=nobody)

    def test_lockout_once_then_locked_attempts(self):
        email = self.active_user()
        uid = user_id(S, email)
        for _ in range(3):
            self.assertStatus(self.login(email, "Wrong-Password-3"), 422)
        locks = rows(S, "event = 'lockout' AND user_id = ?", (uid,))
        self.assertEqual(len(locks), 1, locks)
        self.assertEqual(locks[0]["detail"], "login-fail")
        self.assertEqual(locks[0]["ip"], "127.0.0.1")
        self.assertTrue(locks[0]["user_agent"].startswith("AuditTest/"))
        agent = ua()
        self.assertStatus(self.login(email, DEFAULT_PASSWORD, agent), 429)
        self.one("signin_failed", agent, user_id=uid, detail="locked")
        self.assertEqual(len(rows(S, "event = 'lockout' AND user_id = ?",
                                  (uid,))), 1, "a lockout is one event")

    def test_refresh_reuse(self):
        email = self.active_user()
        a = self.login(email).json()
        r = S.refresh(a["refreshToken"], headers={"User-Agent": ua()})
        self.assertStatus(r, 200)
        keep(r.json()["token"], r.json()["refreshToken"])
        agent = ua()
        self.assertUnauthorized(S.refresh(a["refreshToken"],
                                          headers={"User-Agent": agent}))
        self.one("refresh_reuse", agent, user_id=user_id(S, email),
                 session_id=sid(a), detail="session_revoked")

    def test_logout(self):
        email = self.active_user()
        a = self.login(email).json()
        agent = ua()
        r = S.request("POST", "/api/v1/auth/logout",
                      headers=S.auth_headers(a["token"], **{"User-Agent": agent}))
        self.assertStatus(r, 204)
        self.one("logout", agent, user_id=user_id(S, email),
                 session_id=sid(a), detail="local")

    def test_session_revoked_by_user(self):
        email = self.active_user()
        a, b = self.login(email).json(), self.login(email).json()
        agent = ua()
        r = S.request("DELETE", "/api/v1/auth/sessions/%d" % sid(b),
                      headers=S.auth_headers(a["token"], **{"User-Agent": agent}))
        self.assertStatus(r, 204)
        self.one("session_revoked", agent, user_id=user_id(S, email),
                 session_id=sid(b), detail="revoked_by_user")

    def test_password_changed(self):
        email = self.active_user()
        a = self.login(email).json()
        agent, new_pw = ua(), "Changed-Password-4"
        keep(new_pw)
        r = S.request("PATCH", ME, json_body={"password": new_pw,
                                              "oldPassword": DEFAULT_PASSWORD},
                      headers=S.auth_headers(a["token"], **{"User-Agent": agent}))
        self.assertStatus(r, 200)
        self.one("password_changed", agent, user_id=user_id(S, email),
                 session_id=sid(a), detail="other_sessions_ended")

    def test_password_reset(self):
        email = self.active_user()
        r = S.request("POST", "/api/v1/auth/forgot/password",
                      json_body={"email": email})
        self.assertStatus(r, 204)
        code = mail_link_hash(S, email, 1)
        keep(code)
        agent, new_pw = ua(), "Reset-Password-5"
        keep(new_pw)
        r = S.request("POST", "/api/v1/auth/reset/password",
                      json_body={"password": new_pw, "hash": code},
                      headers={"User-Agent": agent})
        self.assertStatus(r, 204)
        self.one("password_reset", agent, user_id=user_id(S, email),
                 detail="all_sessions_ended")

    def test_email_changed(self):
        email, new = self.active_user(), unique_email("audit-new")
        a = self.login(email).json()
        uid = user_id(S, email)
        r = S.request("PATCH", ME, json_body={"email": new},
                      headers=S.auth_headers(a["token"]))
        self.assertStatus(r, 200)
        code = mail_link_hash(S, new, 1)
        keep(code)
        agent = ua()
        r = S.request("POST", "/api/v1/auth/email/confirm/new",
                      json_body={"hash": code}, headers={"User-Agent": agent})
        self.assertStatus(r, 204)
        # The addresses stay in users: the row names the account.
        self.one("email_changed", agent, user_id=uid, email=None)

    def test_account_deleted(self):
        email = self.active_user()
        a = self.login(email).json()
        uid, agent = user_id(S, email), ua()
        r = S.request("DELETE", ME,
                      headers=S.auth_headers(a["token"], **{"User-Agent": agent}))
        self.assertStatus(r, 204)
        self.one("account_deleted", agent, user_id=uid,
                 detail="all_sessions_ended")

    def test_user_agent_capped_and_row_bounded(self):
        email = self.active_user()
        long_ua = "Long/" + "é" * 1000
        r = S.login(email, DEFAULT_PASSWORD,
                    headers={"User-Agent": long_ua.encode("utf-8").decode("latin-1")})
        self.assertStatus(r, 200)
        keep(r.json()["token"], r.json()["refreshToken"])
        found = rows(S, "event = 'signin_ok' AND session_id = ?", (sid(r.json()),))
        self.assertEqual(len(found), 1, "one row per event: %r" % found)
        stored = found[0]["user_agent"]
        self.assertLessEqual(len(stored.encode("utf-8")), 512)
        self.assertGreaterEqual(len(stored.encode("utf-8")), 511)
        self.assertTrue(long_ua.startswith(stored), "cut on a UTF-8 boundary")

    def test_zz_no_secret_in_any_row(self):
        """Runs last in the class: every column of every row, against every
        password, token and link code used above, and the stored password
        hashes and session digests."""
        self.assertGreater(len(SECRETS), 10)
        stored = set()
        for (h,) in sql(S, "SELECT password FROM users WHERE password IS NOT NULL"):
            stored.add(h)
        for h, p, n in sql(S, "SELECT hash, prev_hash, nonce FROM sessions"):
            for b in (h, p, n):
                if b:
                    stored.add(bytes(b).hex())
        with S.db() as db:
            all_rows = db.execute("SELECT * FROM audit_log")
            raw = db.columns
        self.assertGreater(len(all_rows), 10)
        self.assertEqual(len(raw), len(COLUMNS), "a new column: check it too")
        leaks = []
        for row in all_rows:
            for value in row:
                if value is None:
                    continue
                text = value.hex() if isinstance(value, bytes) else str(value)
                for s in SECRETS | stored:
                    if s and s in text:
                        leaks.append((s[:12], row))
        self.assertEqual(leaks, [])


class RateLimited(AuditCase):
    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, env={"AUTH_RATE_LIMIT": "true",
                                     "AUTH_RATE_LOGIN_IP": "2"})

    def test_rate_limited_once_per_window(self):
        srv = self.server
        for _ in range(2):
            srv.login("nobody@example.com", "Some-Password-6")
        agent = ua()
        r = srv.login("nobody@example.com", "Some-Password-6",
                      headers={"User-Agent": agent})
        self.assertStatus(r, 429)
        srv.login("nobody@example.com", "Some-Password-6",
                  headers={"User-Agent": ua()})
        found = rows(srv, "event = 'rate_limited'")
        self.assertEqual(len(found), 1, found)
        self.assertEqual(found[0]["detail"], "login-ip")
        self.assertEqual(found[0]["ip"], "127.0.0.1")
        self.assertEqual(found[0]["user_agent"], agent)
        self.assertIsNone(found[0]["email"])
        self.assertNotIn("Some-Password-6", repr(rows(srv)))


def cli_bytes(*args, env=None):
    """./authportal ARGS with the server's environment; raw bytes out."""
    run_env = dict(S.env)
    run_env.update(env or {})
    return subprocess.run([CLI] + list(args), env=run_env, cwd=S.tmp,
                          capture_output=True, timeout=60)


class Cli(AuditCase):
    def test_filters(self):
        a, b = self.active_user(), self.active_user()
        self.assertStatus(self.login(a, agent="CliA/1"), 200)
        self.assertStatus(self.login(b, agent="CliB/1"), 200)
        cp = cli_bytes("audit", "--user", a.upper())
        self.assertEqual(cp.returncode, 0, cp.stderr)
        out = cp.stdout.decode("utf-8")
        self.assertIn(a, out)
        self.assertIn("CliA/1", out)
        self.assertNotIn(b, out)
        self.assertNotIn("CliB/1", out)
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("at "), lines[0])
        self.assertRegex(lines[1], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z +signin_ok ")
        # An unknown address: its own rows (the address is the subject).
        nobody = unique_email("cli-nobody")
        self.assertStatus(self.login(nobody, "Wrong-Password-7", "CliN/1"), 422)
        out = cli_bytes("audit", "--user", nobody).stdout.decode()
        self.assertIn("unknown_account", out)
        self.assertIn("CliN/1", out)
        self.assertEqual(len(out.splitlines()), 2, out)
        # --limit, newest first.
        out = cli_bytes("audit", "--limit", "1").stdout.decode()
        self.assertEqual(len(out.splitlines()), 2, out)
        self.assertIn("CliN/1", out)
        # --since: a duration, a date in the future, a date in the past.
        self.assertIn("CliA/1", cli_bytes("audit", "--since", "1h").stdout.decode())
        self.assertEqual(len(cli_bytes("audit", "--since", "2999-01-01")
                             .stdout.decode().splitlines()), 1)
        self.assertIn("CliA/1", cli_bytes("audit", "--since", "2000-01-01T00:00Z",
                                          "--user", a).stdout.decode())
        for bad in (["--since", "yesterday"], ["--since", "900"],
                    ["--limit", "0"], ["--limit"], ["--user", "not-an-email"],
                    ["--bogus", "1"]):
            cp = cli_bytes("audit", *bad)
            self.assertNotEqual(cp.returncode, 0, bad)

    def test_control_bytes_escaped(self):
        email = self.active_user()
        # What lighttpd lets through (it refuses C0 controls but a tab, and
        # DEL, with a 400): a tab, a C1 CSI in UTF-8, a stray byte, a
        # backslash, as raw header bytes.
        evil = b"Evil\t\xc2\x9b31m\xff\\end"
        r = S.login(email, DEFAULT_PASSWORD,
                    headers={"User-Agent": evil.decode("latin-1")})
        self.assertStatus(r, 200)
        keep(r.json()["token"], r.json()["refreshToken"])
        # Stored as valid UTF-8: the stray byte became U+FFFD.
        stored = rows(S, "event = 'signin_ok' AND user_id = ?",
                      (user_id(S, email),))
        self.assertEqual(stored[0]["user_agent"], "Evil\t\u009b31m\ufffd\\end")
        # What only the database can hold (ESC, other C0 controls, DEL, a
        # line break that would forge a row, and on SQLite a byte that is
        # not UTF-8, which PostgreSQL's text refuses): a row written
        # directly.
        if S.engine == "postgres":
            raw_ua = "Raw\x1b[2J\x7f\r\nforged line"
        else:
            raw_ua = b"Raw\x1b[2J\x7f\r\nforged \xfe line"
        sql(S, "INSERT INTO audit_log (at, event, user_id, ip, detail, "
               "user_agent) VALUES (?, 'signin_ok', ?, ?, ?, "
               "CAST(? AS TEXT))",
            (int(time.time() * 1000), user_id(S, email), "1.2.3.4\n5",
             "d\x1b]0;x\x07", raw_ua))
        out = cli_bytes("audit", "--user", email).stdout
        sql(S, "DELETE FROM audit_log WHERE ip = '1.2.3.4\n5'")
        lines = out.split(b"\n")
        self.assertEqual(len(lines), 4, out)   # header, two rows, ""
        for b in list(range(0x20)) + [0x7f]:
            self.assertNotIn(bytes([b]), out.replace(b"\n", b""), b)
        self.assertNotIn(b"\xc2\x9b", out)
        self.assertNotIn(b"\xfe", out)
        self.assertIn(b"Evil\\x09\\xc2\\x9b31m\xef\xbf\xbd\\x5cend", out)
        self.assertIn(b"Raw\\x1b[2J\\x7f\\x0d\\x0aforged line" if S.engine == "postgres"
                      else b"Raw\\x1b[2J\\x7f\\x0d\\x0aforged \\xfe line", out)
        self.assertIn(b"1.2.3.4\\x0a5", out)
        self.assertIn(b"d\\x1b]0;x\\x07", out)

    def test_gc(self):
        day = 86400000
        now = int(time.time() * 1000)
        uid = user_id(S, self.active_user())
        sql(S, "INSERT INTO audit_log (at, event, detail) VALUES "
               "(?, 'gc_old', 'x'), (?, 'gc_old', 'x'), (?, 'gc_recent', 'x')",
            (now - 91 * day, now - 3 * day, now - day // 2))
        sql(S, "INSERT INTO sessions (user_id, hash, nonce, created_at, "
               "last_used_at, expires_at, revoked_at) VALUES "
               "(?, ?, ?, 0, 0, ?, ?), (?, ?, ?, 0, 0, ?, NULL)",
            (uid, b"\xaa", b"\xaa", now + day, now - 91 * day,
             uid, b"\xbb", b"\xbb", now - 91 * day))
        # Spent: older than the longest window (a day, the sign-in budgets).
        sql(S, "INSERT INTO rate_limits (key, window_start, count) "
               "VALUES ('gc:old', ?, 3)", (now - 2 * day,))
        cp = S.cli("gc")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"removed 1 audit row\(s\) older than 90 days, "
                         r"2 ended session\(s\), 0 delivered or failed mail\(s\), "
                         r"\d+ spent rate-limit window\(s\)")
        self.assertEqual(len(rows(S, "event = 'gc_old'")), 1)
        self.assertEqual(sql(S, "SELECT count(*) FROM rate_limits WHERE key = 'gc:old'"),
                         [(0,)])
        self.assertEqual(sql(S, "SELECT count(*) FROM sessions WHERE hash IN (?, ?)",
                             (b"\xaa", b"\xbb")), [(0,)])
        # AUDIT_RETENTION_DAYS=1: the 3-day-old row goes, the 12 h one stays.
        cp = S.cli("gc", env={"AUDIT_RETENTION_DAYS": "1"})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("removed 1 audit row(s) older than 1 days", cp.stdout)
        self.assertEqual(rows(S, "event = 'gc_old'"), [])
        self.assertEqual(len(rows(S, "event = 'gc_recent'")), 1)
        # The other rows are not touched.
        self.assertGreater(len(rows(S, "event = 'signin_ok'")), 0)
        cp = S.cli("gc", env={"AUDIT_RETENTION_DAYS": "0"})
        self.assertNotEqual(cp.returncode, 0, "0 days is refused")
