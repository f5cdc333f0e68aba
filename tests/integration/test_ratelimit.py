# SPDX-License-Identifier: ISC
"""Rate limits (API.md §10.7): per client IP for sign-in and for sign-up,
per account for failed sign-ins, shared by every worker through the
database; 429 {"statusCode":429,"message":"Too Many Requests"} with
Retry-After. Each class runs its own server so the counters are its own."""

from harness import (ApiTestCase, serve, unique_email, DEMO_USER,
                     DEMO_PASSWORD, DEFAULT_PASSWORD)

TOO_MANY = b'{"statusCode":429,"message":"Too Many Requests"}'


class _Limited(ApiTestCase):
    env = {}

    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, env=dict({"AUTH_RATE_LIMIT": "true"}, **cls.env))

    def assertTooMany(self, r):
        self.assertBody(r, 429, TOO_MANY)
        retry = r.headers.get("retry-after")
        self.assertIsNotNone(retry, "429 without Retry-After")
        self.assertTrue(0 < int(retry) <= 900, retry)  # windows: 5 or 15 min
        self.assertSecurityHeaders(r)


class LoginPerIp(_Limited):
    env = {"AUTH_RATE_LOGIN_IP": "4"}

    def test_fifth_sign_in_from_one_ip_is_429(self):
        S = self.server
        for _ in range(4):
            self.assertStatus(S.login(DEMO_USER, DEMO_PASSWORD), 200)
        self.assertTooMany(S.login(DEMO_USER, DEMO_PASSWORD))
        # Other routes are not counted against the sign-in bucket.
        self.assertStatus(S.request("GET", "/api/v1/health"), 200)


class FailedPerAccount(_Limited):
    env = {"AUTH_RATE_LOGIN_FAIL": "3", "AUTH_RATE_LOGIN_IP": "1000"}

    def test_account_locked_after_failures_even_with_right_password(self):
        S = self.server
        email = S.new_user("locked")
        for _ in range(3):
            self.assertStatus(S.login(email, "wrong-password-1"), 422)
        self.assertTooMany(S.login(email, "wrong-password-1"))
        self.assertTooMany(S.login(email, DEFAULT_PASSWORD))
        # Another account is not affected.
        self.assertStatus(S.login(DEMO_USER, DEMO_PASSWORD), 200)

    def test_successes_do_not_count(self):
        S = self.server
        email = S.new_user("fine")
        for _ in range(5):
            self.assertStatus(S.login(email, DEFAULT_PASSWORD), 200)


class SignUpPerIp(_Limited):
    env = {"AUTH_RATE_IP": "3"}

    def test_fourth_sign_up_from_one_ip_is_429(self):
        S = self.server
        for _ in range(3):
            self.assertStatus(S.register(unique_email("rl")), 204)
        email = unique_email("rl")
        self.assertTooMany(S.register(email))
        # Nothing was written for the refused request.
        out = S.cli("user", "list").stdout
        self.assertNotIn(email, out)


class Disabled(_Limited):
    env = {"AUTH_RATE_LIMIT": "false", "AUTH_RATE_LOGIN_IP": "2"}

    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, env=cls.env)

    def test_no_limit_when_off(self):
        S = self.server
        for _ in range(4):
            self.assertStatus(S.login(DEMO_USER, DEMO_PASSWORD), 200)
