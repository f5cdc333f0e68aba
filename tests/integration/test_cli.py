# SPDX-License-Identifier: ISC
"""The admin tool ./authportal (issue 2 point 8) against a running server:
keygen, user add|list|disable, session list|revoke."""

import re

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

    def test_migrate_is_idempotent(self):
        self.ok("migrate")
        self.assertStatus(S.login(DEMO_USER, "secret"), 200)
