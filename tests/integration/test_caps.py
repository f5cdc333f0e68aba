# SPDX-License-Identifier: ISC
"""The caps of issue 9 point 1, against the real lighttpd: one signed-in
user must not be able to take the "account" worker down for everyone.

The attack: sign in again and again with User-Agents of ~64 KB, so that
GET /api/v1/auth/sessions builds a body just under the 1 MiB cap of an
answer; the headers then passed the cap that body and headers shared, an
assertion aborted the worker (HTML 500), and while the attacker looped
everyone got 503. Now the stored User-Agent is clipped to 512 bytes on a
UTF-8 boundary, a user has at most AUTH_MAX_SESSIONS live sessions (the
least recently used one ends), and body and headers have caps of their
own (API.md §10 item 9)."""

import json

from harness import ApiTestCase, DEFAULT_PASSWORD, jwt_parts, serve

SESSIONS = "/api/v1/auth/sessions"
BODY_CAP = 1024 * 1024
UA_MAX = 512


def sid(login):
    return jwt_parts(login["token"])[1]["sessionId"]


class SessionListFlood(ApiTestCase):
    """The attack as it was run, with the default settings."""

    @classmethod
    def setUpClass(cls):
        cls.S = serve(cls)

    def sign_in(self, email, ua):
        r = self.S.login(email, DEFAULT_PASSWORD, headers={"User-Agent": ua})
        self.assertStatus(r, 200)
        return r.json()

    def sessions(self, token):
        return self.S.request("GET", SESSIONS,
                              headers=self.S.auth_headers(token))

    def test_flood_of_huge_user_agents(self):
        S = self.S
        email = S.new_user("flood")
        last = None
        for i in range(16):
            last = self.sign_in(email, ("%02d" % i) + "u" * 64000)
        # Aim the last sign-in so that the list lands a few hundred bytes
        # under the cap, as the attacker did (without the clipping it is
        # ~1 MB by now; with it, the aim asks for more than a header holds
        # and is clamped).
        r = self.sessions(last["token"])
        self.assertStatus(r, 200)
        row = len(json.dumps(r.json()[0], separators=(",", ":")).encode()) + 1
        row -= len(r.json()[0]["userAgent"].encode())
        want = BODY_CAP - len(r.body) - row - 200
        last = self.sign_in(email, "x" * max(1, min(want, 64000)))
        for attempt in range(4):   # the attacker loops
            with self.subTest(attempt=attempt):
                r = self.sessions(last["token"])
                self.assertStatus(r, 200)
                self.assertJsonCT(r)
                self.assertSecurityHeaders(r)
                body = r.json()
                self.assertEqual(len(body), 17)
                self.assertLess(len(r.body), 17 * (160 + 2 * UA_MAX + 128))
                for s in body:
                    self.assertLessEqual(len(s["userAgent"].encode()), UA_MAX)
        # The worker is up and serves everyone else.
        self.assertStatus(S.me(last["token"]), 200)
        other = S.login_ok(S.new_user("bystander"))
        self.assertStatus(self.sessions(other["token"]), 200)
        self.assertBody(S.request("GET", "/api/v1/health"), 200, b'{"status":"ok"}')

    def test_user_agent_cut_on_a_character_boundary(self):
        S = self.S
        email = S.new_user("utf8")
        # 1 + 3 * 200 bytes: the 512-byte cut falls inside a character.
        a = self.sign_in(email, ("a" + "\u20ac" * 200).encode())
        b = self.sign_in(email, b"ok \xff\xfe end")
        r = self.sessions(b["token"])
        self.assertStatus(r, 200)
        uas = {s["id"]: s["userAgent"] for s in r.json()}
        self.assertEqual(uas[sid(a)], "a" + "\u20ac" * 170)
        self.assertEqual(len(uas[sid(a)].encode()), 511)
        # Bytes that are not UTF-8 are kept as U+FFFD.
        self.assertEqual(uas[sid(b)], "ok \ufffd\ufffd end")

    def test_zz_no_5xx_no_crash(self):
        self.assertEqual(self.S.server_errors(), [])
        self.assertEqual(self.S.crash_lines(), [])


class SessionLimit(ApiTestCase):
    """AUTH_MAX_SESSIONS: a sign-in past it ends the least recently used
    live session of that user, revoked and audited."""

    @classmethod
    def setUpClass(cls):
        cls.S = serve(cls, env={"AUTH_MAX_SESSIONS": "3"})

    def db(self, sql, *args):
        return self.S.sql(sql, args)

    def test_least_recently_used_ends(self):
        S = self.S
        email = S.new_user("limit")
        a, b, c = (S.login_ok(email, headers={"User-Agent": ua})
                   for ua in ("a", "b", "c"))
        # a refreshes: b is now the least recently used.
        r = S.refresh(a["refreshToken"])
        self.assertStatus(r, 200)
        a_token = r.json()["token"]
        d = S.login_ok(email, headers={"User-Agent": "d"})
        self.assertUnauthorized(S.me(b["token"]))
        self.assertUnauthorized(S.refresh(b["refreshToken"]))
        for tok in (a_token, c["token"], d["token"]):
            self.assertStatus(S.me(tok), 200)
        r = S.request("GET", SESSIONS, headers=S.auth_headers(d["token"]))
        self.assertStatus(r, 200)
        self.assertEqual([s["userAgent"] for s in r.json()], ["d", "c", "a"])
        self.assertEqual(self.db("SELECT revoke_reason FROM sessions "
                                 "WHERE id = ?", sid(b)), [("session_limit",)])
        self.assertEqual(self.db("SELECT count(*) FROM audit_log WHERE "
                                 "event = 'session_revoked' AND session_id = ?",
                                 sid(b)), [(1,)])
        # Another user's sessions are not touched.
        other = S.login_ok(S.new_user("limit-other"))
        S.login_ok(email)
        self.assertStatus(S.me(other["token"]), 200)
        self.assertUnauthorized(S.me(c["token"]))

    def test_zz_no_5xx_no_crash(self):
        self.assertEqual(self.S.server_errors(), [])
        self.assertEqual(self.S.crash_lines(), [])
