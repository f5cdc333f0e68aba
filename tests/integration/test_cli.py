# SPDX-License-Identifier: ISC
"""The admin tool ./authportal (issue 2 point 8) against a running server:
keygen, user add|list|disable, session list|revoke."""

import re
import sqlite3
import time

from harness import (ApiTestCase, serve, unique_email, jwt_parts,
                     DEMO_ADMIN, DEMO_USER, UNIFORM_LOGIN_ERROR)

S = None
SECRETS = ("AUTH_JWT_SECRET", "AUTH_REFRESH_SECRET", "AUTH_FORGOT_SECRET",
           "AUTH_CONFIRM_EMAIL_SECRET")


def setUpModule():
    global S
    S = serve()


def sid(login):
    return jwt_parts(login["token"])[1]["sessionId"]


class Cli(ApiTestCase):
    def ok(self, *args, **kw):
        cp = S.cli(*args, **kw)
        self.assertEqual(cp.returncode, 0, "authportal %s: rc=%d\n%s%s" % (
            " ".join(map(str, args)), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def test_keygen(self):
        out1 = self.ok("keygen").stdout
        out2 = self.ok("keygen").stdout
        values = {}
        for name in SECRETS:
            m = re.search(r"^%s=(\S+)\s*$" % name, out1, re.M)
            self.assertIsNotNone(m, "%s missing in:\n%s" % (name, out1))
            self.assertGreaterEqual(len(m.group(1)), 32)
            values[name] = m.group(1)
            m2 = re.search(r"^%s=(\S+)\s*$" % name, out2, re.M)
            self.assertNotEqual(m.group(1), m2.group(1), "keygen repeats itself")
        self.assertEqual(len(set(values.values())), 4, "secrets must differ")

    def test_help(self):
        cp = S.cli("--help")
        self.assertIn(cp.returncode, (0, 2))
        text = cp.stdout + cp.stderr
        for word in ("migrate", "keygen", "user", "session"):
            self.assertIn(word, text)

    def test_unknown_command_fails(self):
        cp = S.cli("no-such-command")
        self.assertNotEqual(cp.returncode, 0)

    def test_user_list_has_demo_users(self):
        out = self.ok("user", "list").stdout
        self.assertIn(DEMO_ADMIN, out)
        self.assertIn(DEMO_USER, out)
        self.assertNotIn("$argon2", out)

    def test_user_add_then_login(self):
        email = unique_email("cliadd")
        pw = "Cli-Added-Pw-7"
        self.ok("user", "add", email, "--password", pw)
        r = S.login(email, pw)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["user"]["email"], email)
        self.assertIn(email, self.ok("user", "list").stdout)
        # adding the same address again fails
        cp = S.cli("user", "add", email, "--password", pw)
        self.assertNotEqual(cp.returncode, 0)
        # the password never shows up in the log
        self.assertNotIn(pw, S.error_log())

    def test_user_disable_ends_login_and_sessions(self):
        email = unique_email("clidis")
        pw = "Cli-Disable-Pw-8"
        self.ok("user", "add", email, "--password", pw)
        a = S.login_ok(email, pw)
        self.assertStatus(S.me(a["token"]), 200)
        self.ok("user", "disable", email)
        self.assertBody(S.login(email, pw), 422, UNIFORM_LOGIN_ERROR)
        self.assertUnauthorized(S.me(a["token"]))
        self.assertUnauthorized(S.refresh(a["refreshToken"]))

    def test_session_list_and_revoke(self):
        email = unique_email("clises")
        pw = "Cli-Session-Pw-9"
        self.ok("user", "add", email, "--password", pw)
        a = S.login_ok(email, pw, headers={"User-Agent": "cli-test-A"})
        b = S.login_ok(email, pw, headers={"User-Agent": "cli-test-B"})
        out = self.ok("session", "list", email).stdout
        for s in (sid(a), sid(b)):
            self.assertRegex(out, r"(?<!\d)%d(?!\d)" % s)
        self.assertNotIn(a["refreshToken"], out)
        self.ok("session", "revoke", str(sid(a)))
        self.assertUnauthorized(S.me(a["token"]))
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        self.assertStatus(S.me(b["token"]), 200)
        out = self.ok("session", "list", email).stdout
        self.assertRegex(out, r"(?<!\d)%d(?!\d)" % sid(b))

    def test_output_escapes_control_bytes(self):
        # Stored values reach the terminal of whoever runs the tool: every
        # control byte is written as \xNN there, as in the log (issue 9
        # point 7). lighttpd refuses control bytes in a User-Agent, other
        # web servers may not: the user agent, a legacy address and an
        # SMTP error are written to the database directly.
        email = unique_email("cliesc")
        pw = "Cli-Escape-Pw-1"
        self.ok("user", "add", email, "--password", pw)
        a = S.login_ok(email, pw, headers={"User-Agent": "cli-esc"})
        legacy = unique_email("cliesc-old")
        self.ok("user", "add", legacy, "--password", pw)
        mail_to = S.new_user("cliesc-mail")
        db = sqlite3.connect(S.env["DATABASE_PATH"], timeout=10)
        # The worker delivers that mail after its answer: let it finish, so
        # that it does not overwrite the row changed below.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and db.execute(
                "SELECT count(*) FROM mail_outbox WHERE recipient = ? AND "
                "sent_at IS NULL AND attempts = 0", (mail_to,)).fetchone()[0]:
            time.sleep(0.02)
        with db:
            db.execute("UPDATE sessions SET user_agent = ? WHERE id = ?",
                       ("Evil\x1b[2J\x1b]0;t\x07\\x", sid(a)))
            db.execute("UPDATE users SET email = ? WHERE email = ?",
                       ('"x\x1b[31m\r\ny"' + legacy, legacy))
            db.execute("UPDATE mail_outbox SET last_error = ? WHERE recipient = ?",
                       ("550 no\r\nfake line\x1b[0m\u009b1m", mail_to))
        db.close()
        outs = {"session": self.ok("session", "list", email).stdout,
                "user": self.ok("user", "list").stdout,
                "mail": self.ok("mail", "list").stdout}
        for name, out in outs.items():
            lines = out.split("\n")
            self.assertEqual(lines[-1], "", name)
            for line in lines:
                self.assertIsNone(re.search("[\x00-\x1f\x7f\x80-\x9f]", line),
                                  "%s list: %r" % (name, line))
        self.assertIn("Evil\\x1b[2J\\x1b]0;t\\x07\\x5cx", outs["session"])
        self.assertRegex(outs["session"], r"(?<!\d)%d(?!\d)" % sid(a))
        self.assertIn('"x\\x1b[31m\\x0d\\x0ay"' + legacy, outs["user"])
        self.assertIn("550 no\\x0d\\x0afake line\\x1b[0m\\xc2\\x9b1m", outs["mail"])
        cp = S.cli("user", "disable", "nobody\x1b[2J@example.com")
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("nobody\\x1b[2J@example.com", cp.stderr)
        self.assertNotIn("\x1b", cp.stderr)

    def test_migrate_is_idempotent(self):
        self.ok("migrate")
        self.assertStatus(S.login(DEMO_USER, "secret"), 200)
