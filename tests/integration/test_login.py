# SPDX-License-Identifier: ISC
"""POST /api/v1/auth/email/login and the access-token claims:
API.md §1.1, §2, §3.1-3.3, §10.1, §10.2, §10.14."""

import statistics
import time
import urllib.parse

from harness import (ApiTestCase, serve, unique_email, jwt_parts,
                     DEFAULT_PASSWORD, DEMO_ADMIN, DEMO_USER, DEMO_PASSWORD,
                     UNIFORM_LOGIN_ERROR, USER_KEYS)

PATH = "/api/v1/auth/email/login"
S = None
DEMO = {}     # LoginResponse dicts of the two demo users, logged in once


def setUpModule():
    global S
    S = serve()
    for email in (DEMO_ADMIN, DEMO_USER):
        r = S.login(email, DEMO_PASSWORD)
        DEMO[email] = r


class Login(ApiTestCase):
    def test_demo_users_log_in_with_secret(self):
        for email, role in ((DEMO_ADMIN, 1), (DEMO_USER, 2)):
            with self.subTest(email=email):
                r = DEMO[email]
                self.assertStatus(r, 200)
                self.assertJsonCT(r)
                self.assertUserObject(r.json()["user"], email=email, role=role, status=1)

    def test_demo_user_names(self):
        self.assertEqual(DEMO[DEMO_ADMIN].json()["user"]["firstName"], "Super")
        self.assertEqual(DEMO[DEMO_ADMIN].json()["user"]["lastName"], "Admin")
        self.assertEqual(DEMO[DEMO_USER].json()["user"]["firstName"], "John")
        self.assertEqual(DEMO[DEMO_USER].json()["user"]["lastName"], "Doe")

    def test_login_response_shape(self):
        r = DEMO[DEMO_USER]
        body = r.json()
        self.assertEqual(list(body.keys()), ["refreshToken", "token", "tokenExpires", "user"])
        self.assertIsInstance(body["token"], str)
        self.assertIsInstance(body["refreshToken"], str)
        self.assertIsInstance(body["tokenExpires"], int)
        self.assertNotIsInstance(body["tokenExpires"], bool)
        self.assertEqual(list(body["user"].keys()), USER_KEYS)
        # Raw bytes start exactly like the reference's.
        self.assertTrue(r.body.startswith(b'{"refreshToken":"'), r.body[:40])

    def test_token_expires_is_ms_now_plus_15m(self):
        t0 = int(time.time() * 1000)
        body = S.login_ok(DEMO_USER, DEMO_PASSWORD)
        t1 = int(time.time() * 1000)
        self.assertGreaterEqual(body["tokenExpires"], t0 + 900000 - 2000)
        self.assertLessEqual(body["tokenExpires"], t1 + 900000 + 2000)
        _h, p = jwt_parts(body["token"])
        self.assertLess(abs(body["tokenExpires"] - p["exp"] * 1000), 2000)

    def test_security_and_cache_headers(self):
        r = DEMO[DEMO_USER]
        self.assertSecurityHeaders(r)
        self.assertNoStore(r)

    def test_no_password_or_hash_in_response(self):
        for r in DEMO.values():
            user = r.json()["user"]
            self.assertNotIn("password", user)
            self.assertNotIn("hash", user)
            self.assertNotIn("previousPassword", user)
            self.assertNotIn(b"$argon2", r.body)
            self.assertNotIn(b'"password"', r.body)

    def test_unknown_user_uniform_error(self):
        r = S.login(unique_email("nobody"), "whatever-password")
        self.assertBody(r, 422, UNIFORM_LOGIN_ERROR)
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)

    def test_wrong_password_uniform_error(self):
        r = S.login(DEMO_USER, "not-the-secret")
        self.assertBody(r, 422, UNIFORM_LOGIN_ERROR)

    def test_validation_empty_body(self):
        r = S.request("POST", PATH, body=b"{}")
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email should not be empty, '
                                b'email must be an email","password":"password should not be empty"}}')
        self.assertJsonCT(r)

    def test_validation_bad_email_empty_password(self):
        r = S.request("POST", PATH, body=b'{"email":"bad","password":""}')
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email must be an email",'
                                b'"password":"password should not be empty"}}')

    def test_validation_unchanged_in_uniform_mode(self):
        r = S.request("POST", PATH, json_body={"email": DEMO_USER})
        self.assertBody(r, 422, b'{"status":422,"errors":{"password":"password should not be empty"}}')

    def test_password_length_not_checked_at_login(self):
        # `secret` is 6 characters, below the register minimum; login has
        # only IsNotEmpty. A 1-char wrong password is a login failure, not 422 validation.
        r = S.login(DEMO_USER, "x")
        self.assertBody(r, 422, UNIFORM_LOGIN_ERROR)

    def test_email_case_and_whitespace(self):
        r = S.login("  JOHN.DOE@Example.COM ", DEMO_PASSWORD)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["user"]["email"], DEMO_USER)

    def test_form_urlencoded_login(self):
        body = urllib.parse.urlencode({"email": DEMO_USER, "password": DEMO_PASSWORD})
        # A form post must say where it comes from (API.md §10.10, CSRF).
        r = S.request("POST", PATH, body=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "Accept": "application/json",
                               "Origin": "http://localhost:3000"})
        self.assertStatus(r, 200)
        self.assertJsonCT(r)
        self.assertEqual(list(r.json().keys()), ["refreshToken", "token", "tokenExpires", "user"])
        self.assertEqual(r.json()["user"]["email"], DEMO_USER)

    def test_form_post_without_origin_is_403(self):
        body = urllib.parse.urlencode({"email": DEMO_USER, "password": DEMO_PASSWORD})
        r = S.request("POST", PATH, body=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "Accept": "application/json"})
        self.assertBody(r, 403, b'{"message":"Forbidden resource","error":"Forbidden",'
                                b'"statusCode":403}')

    def test_other_content_type_gives_validation_errors(self):
        body = b'{"email":"john.doe@example.com","password":"secret"}'
        r = S.request("POST", PATH, body=body, headers={"Content-Type": "text/plain"})
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email should not be empty, '
                                b'email must be an email","password":"password should not be empty"}}')

    def test_each_login_is_a_new_session(self):
        a = S.login_ok(DEMO_ADMIN, DEMO_PASSWORD)
        _h, pa = jwt_parts(a["token"])
        _h, pb = jwt_parts(DEMO[DEMO_ADMIN].json()["token"])
        self.assertNotEqual(pa["sessionId"], pb["sessionId"])
        self.assertNotEqual(a["refreshToken"], DEMO[DEMO_ADMIN].json()["refreshToken"])

    def test_inactive_user_logs_in(self):
        email = S.new_user("inact")
        r = S.login(email, DEFAULT_PASSWORD)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["user"]["status"],
                         {"id": 2, "name": "Inactive", "__entity": "StatusEntity"})

    def test_token_usable_on_me(self):
        tok = DEMO[DEMO_USER].json()["token"]
        r = S.me(tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), DEMO[DEMO_USER].json()["user"])


class AccessTokenClaims(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.login = DEMO[DEMO_USER].json()
        cls.header, cls.claims = jwt_parts(cls.login["token"])

    def test_header_hs256(self):
        self.assertEqual(self.header.get("alg"), "HS256")
        self.assertEqual(self.header.get("typ"), "JWT")

    def test_claim_set(self):
        self.assertEqual(set(self.claims.keys()), {"id", "role", "sessionId", "iat", "exp"})

    def test_claim_order(self):
        # API.md §3.2: "Claims, in order: id, role, sessionId, iat, exp".
        self.assertEqual(list(self.claims.keys()), ["id", "role", "sessionId", "iat", "exp"])

    def test_claim_values(self):
        c = self.claims
        self.assertEqual(c["id"], self.login["user"]["id"])
        self.assertIsInstance(c["sessionId"], int)
        self.assertEqual(c["role"], {"id": 2, "name": "User", "__entity": "RoleEntity"})
        self.assertEqual(c["exp"] - c["iat"], 900)
        self.assertLess(abs(c["iat"] - time.time()), 120)

    def test_admin_role_claim(self):
        _h, c = jwt_parts(DEMO[DEMO_ADMIN].json()["token"])
        self.assertEqual(c["role"], {"id": 1, "name": "Admin", "__entity": "RoleEntity"})

    def test_refresh_token_is_not_an_access_token(self):
        self.assertUnauthorized(S.me(self.login["refreshToken"]))
        self.assertNotEqual(self.login["refreshToken"], self.login["token"])

    def test_role_after_refresh_is_id_only(self):
        fresh = S.login_ok(DEMO_USER, DEMO_PASSWORD)
        r = S.refresh(fresh["refreshToken"])
        self.assertStatus(r, 200)
        h, c = jwt_parts(r.json()["token"])
        self.assertEqual(h.get("alg"), "HS256")
        self.assertEqual(c["role"], {"id": 2})
        self.assertEqual(c["id"], fresh["user"]["id"])
        _h0, c0 = jwt_parts(fresh["token"])
        self.assertEqual(c["sessionId"], c0["sessionId"])
        self.assertEqual(c["exp"] - c["iat"], 900)


def stored_hash(email):
    """The Argon2 string stored for `email`, found without knowing the schema."""
    with S.db() as con:
        if S.engine == "postgres":
            tables = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE "
                "table_schema = current_schema() AND table_type = 'BASE TABLE'")
        else:
            tables = con.execute("SELECT name FROM sqlite_master WHERE type='table'")
        for (t,) in tables:
            for row in con.execute('SELECT * FROM "%s"' % t.replace('"', '""')):
                if email in row:
                    for v in row:
                        if isinstance(v, str) and v.startswith("$argon2"):
                            return v
    return None


class PasswordHashing(ApiTestCase):
    """§10.1: Argon2id, re-hash on login when the parameters change, and a
    dummy verify for unknown users."""

    def test_rehash_on_login_when_parameters_change(self):
        email = unique_email("rehash")
        pw = "Rehash-Me-Pw-3"
        cp = S.cli("user", "add", email, "--password", pw,
                   env={"AUTH_ARGON2_OPSLIMIT": "3"})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        before = stored_hash(email)
        self.assertIsNotNone(before)
        self.assertTrue(before.startswith("$argon2id$v=19$m=19456,t=3,p=1$"), before)
        self.assertStatus(S.login(email, pw), 200)
        after = stored_hash(email)
        self.assertTrue(after.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), after)
        self.assertStatus(S.login(email, pw), 200)

    def test_unknown_user_costs_a_verify(self):
        def timed(email, pw):
            t0 = time.monotonic()
            r = S.login(email, pw)
            dt = time.monotonic() - t0
            self.assertBody(r, 422, UNIFORM_LOGIN_ERROR)
            return dt
        known = statistics.median(timed(DEMO_USER, "wrong-pw-%d" % i) for i in range(5))
        unknown = statistics.median(timed(unique_email("nx"), "wrong-pw-%d" % i) for i in range(5))
        # Without a dummy verify an unknown user answers ~20x faster.
        self.assertGreater(unknown, known * 0.5, (known, unknown))


WRONG_PASSWORD = b'{"status":422,"errors":{"password":"incorrectPassword"}}'


def add_social_user(server, provider="google"):
    """A social account as social sign-in leaves it: no password."""
    email = unique_email("social")
    now = int(time.time() * 1000)
    server.sql("INSERT INTO users (email, provider, social_id, status_id,"
               " created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
               (email, provider, "sid-" + email, now, now))
    return email


class UniformBody(ApiTestCase):
    """Issue 16 point 1, §10.2: with AUTH_UNIFORM_ERRORS=true (default)
    every sign-in failure answers the reference's wrong-password body, the
    one its frontends display; no incorrectEmailOrPassword anywhere."""

    def test_every_failure_is_the_wrong_password_body(self):
        social = add_social_user(S)
        cases = {"unknown": (unique_email("nx"), "whatever-password"),
                 "wrong": (DEMO_USER, "not-the-secret"),
                 "social": (social, "whatever-password")}
        for name, (email, pw) in cases.items():
            with self.subTest(name):
                r = S.login(email, pw)
                self.assertBody(r, 422, WRONG_PASSWORD)
                self.assertNotIn(b"incorrectEmailOrPassword", r.body)

    def test_form_post_redirects_with_incorrect_password(self):
        body = urllib.parse.urlencode({"email": DEMO_USER, "password": "nope"})
        r = S.request("POST", PATH, body=body.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/html", "Origin": "http://localhost:3000"})
        self.assertStatus(r, 303)
        self.assertTrue(r.headers["location"].endswith("?error=incorrectPassword"),
                        r.headers["location"])


class DistinctBodies(ApiTestCase):
    """AUTH_UNIFORM_ERRORS=false keeps the reference's distinct answers."""

    @classmethod
    def setUpClass(cls):
        cls.srv = serve(cls, env={"AUTH_UNIFORM_ERRORS": "false"})

    def test_each_failure_has_its_key(self):
        social = add_social_user(self.srv)
        self.assertBody(self.srv.login(unique_email("nx"), "whatever-pw"), 422,
                        b'{"status":422,"errors":{"email":"notFound"}}')
        self.assertBody(self.srv.login(DEMO_USER, "not-the-secret"), 422, WRONG_PASSWORD)
        self.assertBody(self.srv.login(social, "whatever-pw"), 422,
                        b'{"status":422,"errors":{"email":"needLoginViaProvider:google"}}')
