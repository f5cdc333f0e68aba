# SPDX-License-Identifier: ISC
"""POST /api/v1/auth/refresh: API.md §1.8, §3.3, §10.4 (rotation, reuse
detection revoking the whole session, concurrent refreshes)."""

import concurrent.futures
import fcntl
import os
import stat
import threading
import time

from harness import (ApiTestCase, serve, jwt_parts, forge_jwt,
                     DEFAULT_PASSWORD, UNAUTHORIZED, sqlite_only)

S = None
USER = None


def setUpModule():
    global S, USER
    S = serve(maxprocs=3)
    USER = S.new_user("refresh")


class Refresh(ApiTestCase):
    def fresh(self):
        return S.login_ok(USER, DEFAULT_PASSWORD)

    def test_rotation(self):
        a = self.fresh()
        r = S.refresh(a["refreshToken"])
        self.assertStatus(r, 200)
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)
        self.assertNoStore(r)
        body = r.json()
        self.assertEqual(list(body.keys()), ["token", "refreshToken", "tokenExpires"])
        self.assertNotEqual(body["refreshToken"], a["refreshToken"])
        self.assertNotEqual(body["token"], a["token"])
        self.assertIsInstance(body["tokenExpires"], int)
        self.assertLess(abs(body["tokenExpires"] - (time.time() * 1000 + 900000)), 60000)
        # The new pair works; the new refresh token rotates again.
        self.assertStatus(S.me(body["token"]), 200)
        r2 = S.refresh(body["refreshToken"])
        self.assertStatus(r2, 200)
        self.assertStatus(S.me(r2.json()["token"]), 200)
        # Rotation keeps the session: the login's access token still works.
        self.assertStatus(S.me(a["token"]), 200)

    def test_replay_is_401_and_revokes_whole_session(self):
        a = self.fresh()
        r1 = S.refresh(a["refreshToken"])
        self.assertStatus(r1, 200)
        newest = r1.json()
        # Replay of the rotated token: 401 ...
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        # ... and the session is gone: the newest refresh token is dead,
        self.assertUnauthorized(S.refresh(newest["refreshToken"]))
        # the access tokens of that session are dead (AUTH_SESSION_CHECK=true),
        self.assertUnauthorized(S.me(newest["token"]))
        self.assertUnauthorized(S.me(a["token"]))

    def test_replay_does_not_touch_other_sessions(self):
        a = self.fresh()
        b = self.fresh()
        self.assertStatus(S.refresh(a["refreshToken"]), 200)
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        self.assertStatus(S.me(b["token"]), 200)
        self.assertStatus(S.refresh(b["refreshToken"]), 200)

    def test_concurrent_refresh_exactly_one_wins(self):
        a = self.fresh()
        n = 10
        barrier = threading.Barrier(n)

        def go(_):
            barrier.wait()
            return S.refresh(a["refreshToken"])

        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            results = list(ex.map(go, range(n)))
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses.count(200), 1, statuses)
        self.assertEqual(statuses.count(401), n - 1, statuses)
        for r in results:
            if r.status == 401:
                self.assertEqual(r.body, UNAUTHORIZED)

    def test_concurrent_refresh_repeated(self):
        # The race again on fresh sessions, a few times, to catch a lost CAS.
        for _ in range(3):
            a = self.fresh()
            barrier = threading.Barrier(6)

            def go(_):
                barrier.wait()
                return S.refresh(a["refreshToken"]).status

            with concurrent.futures.ThreadPoolExecutor(6) as ex:
                statuses = list(ex.map(go, range(6)))
            self.assertEqual(sorted(statuses), [200] + [401] * 5)

    def test_no_auth_is_401(self):
        self.assertUnauthorized(S.request("POST", "/api/v1/auth/refresh"))

    def test_access_token_as_refresh_is_401(self):
        a = self.fresh()
        self.assertUnauthorized(S.refresh(a["token"]))
        # and it did not hurt the session
        self.assertStatus(S.refresh(a["refreshToken"]), 200)

    def test_garbage_is_401(self):
        for tok in ("x", "a.b.c", "", "eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer"):
            with self.subTest(tok=tok):
                self.assertUnauthorized(S.refresh(tok))

    def test_forged_refresh_tokens_are_401(self):
        a = self.fresh()
        _h, claims = jwt_parts(a["token"])
        sid = claims["sessionId"]
        now = int(time.time())
        # Signed with the access secret / none / a guessed hash.
        for tok in (
            forge_jwt({"sessionId": sid, "hash": "0" * 64, "iat": now, "exp": now + 60},
                      S.env["AUTH_JWT_SECRET"]),
            forge_jwt({"sessionId": sid, "hash": "0" * 64, "iat": now, "exp": now + 60},
                      "", alg="none"),
        ):
            with self.subTest(tok=tok[:40]):
                self.assertUnauthorized(S.refresh(tok))
        # The real session survived all of that (forgeries are not "reuse").
        self.assertStatus(S.refresh(a["refreshToken"]), 200)
        # Right secret, but a hash that was never issued: 401 (whether or not
        # the server then treats the session as compromised).
        b = self.fresh()
        _h, cb = jwt_parts(b["token"])
        tok = forge_jwt({"sessionId": cb["sessionId"], "hash": "0" * 64, "iat": now,
                         "exp": now + 60}, S.env["AUTH_REFRESH_SECRET"])
        self.assertUnauthorized(S.refresh(tok))

    def test_refresh_token_in_query_string_is_401(self):
        a = self.fresh()
        r = S.request("POST", "/api/v1/auth/refresh?refreshToken=" + a["refreshToken"])
        self.assertUnauthorized(r)

    def test_refresh_after_delete_is_401(self):
        email = S.new_user("refdel")
        a = S.login_ok(email)
        self.assertStatus(S.request("DELETE", "/api/v1/auth/me",
                                    headers=S.auth_headers(a["token"])), 204)
        self.assertUnauthorized(S.refresh(a["refreshToken"]))

    def test_refresh_response_has_no_user_and_no_secrets(self):
        a = self.fresh()
        r = S.refresh(a["refreshToken"])
        self.assertStatus(r, 200)
        self.assertNotIn(b'"user"', r.body)
        self.assertNotIn(b"$argon2", r.body)

    def test_reuse_is_logged_without_the_token(self):
        a = self.fresh()
        self.assertStatus(S.refresh(a["refreshToken"]), 200)
        before = len(S.error_log().splitlines())
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        new = S.error_log().splitlines()[before:]
        self.assertTrue(any("reuse" in l.lower() for l in new),
                        "no log line for the refresh-token reuse: %r" % new)
        log = S.error_log()
        self.assertNotIn(a["refreshToken"], log)
        self.assertNotIn(a["token"], log)

    @sqlite_only("SQLite's write queue file beside the database")
    def test_write_queue_file_beside_the_database(self):
        # The writers of every worker queue on flock(2) of <database>-wlock
        # (lib/adapters/db.c): made beside the database, with its mode and
        # owner, by the first process that opened it.
        a = self.fresh()
        self.assertStatus(S.refresh(a["refreshToken"]), 200)
        lock = S.db_path + "-wlock"
        st, db = os.stat(lock), os.stat(S.db_path)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(st.st_mode), stat.S_IMODE(db.st_mode))
        self.assertEqual((st.st_uid, st.st_gid), (db.st_uid, db.st_gid))
        # No worker keeps it past its write.
        with open(lock, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            fcntl.flock(f, fcntl.LOCK_UN)
