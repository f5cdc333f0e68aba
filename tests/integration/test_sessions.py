# SPDX-License-Identifier: ISC
"""Logout and device sessions: API.md §1.9, §3.4, §10.3, §10.9.
One login = one session = one device; logout ends only that one."""

from harness import (ApiTestCase, serve, jwt_parts, DEFAULT_PASSWORD,
                     ISO_RE)

S = None


def setUpModule():
    global S
    S = serve()


def sid(login):
    return jwt_parts(login["token"])[1]["sessionId"]


class Logout(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.email = S.new_user("logout")

    def dev(self, ua="test-device"):
        return S.login_ok(self.email, DEFAULT_PASSWORD, headers={"User-Agent": ua})

    def test_logout_kills_access_and_refresh_at_once(self):
        a = self.dev()
        self.assertStatus(S.me(a["token"]), 200)
        r = S.logout(a["token"])
        self.assertBody(r, 204, b"")
        self.assertSecurityHeaders(r)
        # AUTH_SESSION_CHECK defaults to true: the access token is dead now.
        self.assertUnauthorized(S.me(a["token"]))
        self.assertUnauthorized(S.refresh(a["refreshToken"]))

    def test_logout_with_refresh_token_is_401(self):
        a = self.dev()
        self.assertUnauthorized(S.logout(a["refreshToken"]))
        # nothing was ended
        self.assertStatus(S.me(a["token"]), 200)
        self.assertStatus(S.refresh(a["refreshToken"]), 200)

    def test_logout_without_token_is_401(self):
        self.assertUnauthorized(S.request("POST", "/api/v1/auth/logout"))

    def test_logout_scope_local_explicit(self):
        a, b = self.dev("a"), self.dev("b")
        self.assertStatus(S.logout(a["token"], "local"), 204)
        self.assertUnauthorized(S.me(a["token"]))
        self.assertStatus(S.me(b["token"]), 200)

    def test_two_devices_independent(self):
        a, b = self.dev("phone"), self.dev("laptop")
        self.assertNotEqual(sid(a), sid(b))
        self.assertStatus(S.logout(a["token"]), 204)
        self.assertUnauthorized(S.me(a["token"]))
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        # Device b is untouched; it can refresh and log out on its own.
        self.assertStatus(S.me(b["token"]), 200)
        rb = S.refresh(b["refreshToken"])
        self.assertStatus(rb, 200)
        self.assertStatus(S.logout(rb.json()["token"]), 204)
        self.assertUnauthorized(S.me(rb.json()["token"]))
        self.assertUnauthorized(S.refresh(rb.json()["refreshToken"]))
        # Logging in again gives a working new device.
        c = self.dev("phone")
        self.assertStatus(S.me(c["token"]), 200)

    def test_scope_others(self):
        email = S.new_user("others")
        a, b, c = (S.login_ok(email) for _ in range(3))
        self.assertBody(S.logout(a["token"], "others"), 204, b"")
        self.assertStatus(S.me(a["token"]), 200)
        for d in (b, c):
            self.assertUnauthorized(S.me(d["token"]))
            self.assertUnauthorized(S.refresh(d["refreshToken"]))
        self.assertStatus(S.refresh(a["refreshToken"]), 200)

    def test_scope_global(self):
        email = S.new_user("global")
        a, b = S.login_ok(email), S.login_ok(email)
        other = self.dev("bystander")
        self.assertBody(S.logout(a["token"], "global"), 204, b"")
        for d in (a, b):
            self.assertUnauthorized(S.me(d["token"]))
            self.assertUnauthorized(S.refresh(d["refreshToken"]))
        # Another user's session is not affected.
        self.assertStatus(S.me(other["token"]), 200)
        # The user can log in again.
        self.assertStatus(S.me(S.login_ok(email)["token"]), 200)

    def test_logout_after_rotation_ends_session(self):
        a = self.dev()
        r = S.refresh(a["refreshToken"])
        self.assertStatus(r, 200)
        self.assertStatus(S.logout(r.json()["token"]), 204)
        self.assertUnauthorized(S.refresh(r.json()["refreshToken"]))
        self.assertUnauthorized(S.me(a["token"]))


class Sessions(ApiTestCase):
    def test_list_newest_first_with_fields(self):
        email = S.new_user("list")
        a = S.login_ok(email, headers={"User-Agent": "Device-A/1.0"})
        b = S.login_ok(email, headers={"User-Agent": "Device-B/2.0"})
        r = S.request("GET", "/api/v1/auth/sessions", headers=S.auth_headers(b["token"]))
        self.assertStatus(r, 200)
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)
        self.assertNoStore(r)
        lst = r.json()
        self.assertIsInstance(lst, list)
        self.assertEqual(len(lst), 2, lst)
        for item in lst:
            self.assertEqual(list(item.keys()),
                             ["id", "createdAt", "lastUsedAt", "userAgent", "ip", "current"])
            self.assertIsInstance(item["id"], int)
            self.assertRegex(item["createdAt"], ISO_RE)
            self.assertRegex(item["lastUsedAt"], ISO_RE)
            self.assertEqual(item["ip"], "127.0.0.1")
        self.assertEqual([i["id"] for i in lst], [sid(b), sid(a)])
        self.assertEqual([i["userAgent"] for i in lst], ["Device-B/2.0", "Device-A/1.0"])
        self.assertEqual([i["current"] for i in lst], [True, False])
        # Seen from the other device, `current` moves.
        r = S.request("GET", "/api/v1/auth/sessions", headers=S.auth_headers(a["token"]))
        self.assertEqual([i["current"] for i in r.json()], [False, True])

    def test_list_excludes_ended_sessions(self):
        email = S.new_user("ended")
        a, b, c = (S.login_ok(email) for _ in range(3))
        self.assertStatus(S.logout(b["token"]), 204)
        r = S.request("GET", "/api/v1/auth/sessions", headers=S.auth_headers(a["token"]))
        self.assertStatus(r, 200)
        self.assertEqual(sorted(i["id"] for i in r.json()), sorted([sid(a), sid(c)]))

    def test_list_requires_access_token(self):
        self.assertUnauthorized(S.request("GET", "/api/v1/auth/sessions"))

    def test_revoke_own_other_session(self):
        email = S.new_user("revoke")
        a, b = S.login_ok(email), S.login_ok(email)
        r = S.request("DELETE", "/api/v1/auth/sessions/%d" % sid(b),
                      headers=S.auth_headers(a["token"]))
        self.assertBody(r, 204, b"")
        self.assertSecurityHeaders(r)
        self.assertUnauthorized(S.refresh(b["refreshToken"]))
        self.assertUnauthorized(S.me(b["token"]))
        self.assertStatus(S.me(a["token"]), 200)
        # Already ended: 404.
        r = S.request("DELETE", "/api/v1/auth/sessions/%d" % sid(b),
                      headers=S.auth_headers(a["token"]))
        self.assertStatus(r, 404)
        self.assertJsonCT(r)
        lst = S.request("GET", "/api/v1/auth/sessions", headers=S.auth_headers(a["token"])).json()
        self.assertEqual([i["id"] for i in lst], [sid(a)])

    def test_revoke_foreign_session_is_404(self):
        victim = S.login_ok(S.new_user("victim"))
        attacker = S.login_ok(S.new_user("attacker"))
        r = S.request("DELETE", "/api/v1/auth/sessions/%d" % sid(victim),
                      headers=S.auth_headers(attacker["token"]))
        self.assertStatus(r, 404)
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)
        # The victim's session is alive.
        self.assertStatus(S.me(victim["token"]), 200)
        self.assertStatus(S.refresh(victim["refreshToken"]), 200)

    def test_revoke_bad_ids_404(self):
        a = S.login_ok(S.new_user("badid"))
        for bad in ("abc", "999999999", "0", "-1", "1.5", "1e3", "12abc", "1%20"):
            with self.subTest(id=bad):
                r = S.request("DELETE", "/api/v1/auth/sessions/" + bad,
                              headers=S.auth_headers(a["token"]))
                self.assertStatus(r, 404)
                self.assertJsonCT(r)
        self.assertStatus(S.me(a["token"]), 200)

    def test_revoke_requires_access_token(self):
        a = S.login_ok(S.new_user("noauth"))
        r = S.request("DELETE", "/api/v1/auth/sessions/%d" % sid(a))
        self.assertUnauthorized(r)
        r = S.request("DELETE", "/api/v1/auth/sessions/%d" % sid(a),
                      headers=S.auth_headers(a["refreshToken"]))
        self.assertUnauthorized(r)
        self.assertStatus(S.me(a["token"]), 200)

    def test_refresh_keeps_session_id_in_list(self):
        email = S.new_user("keepid")
        a = S.login_ok(email)
        r = S.refresh(a["refreshToken"])
        self.assertStatus(r, 200)
        lst = S.request("GET", "/api/v1/auth/sessions",
                        headers=S.auth_headers(r.json()["token"])).json()
        self.assertEqual([(i["id"], i["current"]) for i in lst], [(sid(a), True)])
