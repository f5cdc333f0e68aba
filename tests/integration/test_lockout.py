# SPDX-License-Identifier: ISC
"""Lockout without victims (issue 9 point 4, API.md §10.7), against the real
lighttpd. OWASP's device cookies: a client that signed in to an account
holds a signed device cookie and is judged on its own failures, while
every client without it shares the account's budget; past the budget the
next attempt waits a delay that doubles with each failure (Retry-After),
never a flat 15-minute wall; per-IP limits count IPv6 clients by /64 and
IPv4-mapped addresses as IPv4.

The servers listen on 127.0.0.1 and believe X-Forwarded-For from it
(TRUSTED_PROXIES), so each request can come "from" any address, IPv6
included. API clients have no cookie jar here: the device cookie is sent
back in a Cookie header, as any client may do."""

import json
import re
import time

from harness import (ApiTestCase, serve, DEMO_USER, DEMO_PASSWORD,
                     DEFAULT_PASSWORD)

LOGIN = "/api/v1/auth/email/login"
TOO_MANY = b'{"statusCode":429,"message":"Too Many Requests"}'
DEVICE = "authportal_device"
DEVICE_RE = re.compile(r"^\d{10,12}\.[0-9a-f]{32}\.[0-9a-f]{64}$")
CHEAP = {"AUTH_ARGON2_MEMLIMIT_KIB": "1024", "AUTH_ARGON2_OPSLIMIT": "1"}

OWNER_IP = "198.51.100.10"
ATTACKER_IP = "2001:db8:bad:1::66"
ELSEWHERE_IP = "203.0.113.5"


def set_cookies(r):
    """name -> (value, [attributes]) of every Set-Cookie of r."""
    out = {}
    for name, value in r.header_list:
        if name.lower() == "set-cookie":
            parts = [p.strip() for p in value.split(";")]
            k, _, v = parts[0].partition("=")
            out[k] = (v, parts[1:])
    return out


class _Lockout(ApiTestCase):
    env = {}

    @classmethod
    def setUpClass(cls):
        env = {"AUTH_RATE_LIMIT": "true", "AUTH_RATE_LOGIN_FAIL": "3",
               "AUTH_RATE_LOGIN_IP": "1000", "AUTH_RATE_IP": "1000",
               "TRUSTED_PROXIES": "127.0.0.1"}
        env.update(CHEAP)
        env.update(cls.env)
        cls.server = serve(cls, env=env)

    def login(self, email, password, ip, device=None, host=None):
        headers = {"X-Forwarded-For": ip}
        if device is not None:
            headers["Cookie"] = "%s=%s" % (DEVICE, device)
        if host is None:
            return self.server.login(email, password, headers=headers)
        # http.client sends a Host header of its own: a raw request.
        body = json.dumps({"email": email, "password": password}).encode()
        head = "".join("%s: %s\r\n" % kv for kv in headers.items())
        raw = ("POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: "
               "application/json\r\nContent-Length: %d\r\nConnection: "
               "close\r\n\r\n" % (LOGIN, host, head, len(body))).encode()
        return self.server.request("POST", LOGIN, raw=raw + body)

    def device_of(self, r):
        """The device cookie of a 200 sign-in (asserted)."""
        self.assertStatus(r, 200)
        c = set_cookies(r)
        self.assertIn(DEVICE, c, r.header_list)
        return c[DEVICE][0]

    def assertTooMany(self, r, retry=None):
        self.assertBody(r, 429, TOO_MANY)
        self.assertSecurityHeaders(r)
        got = int(r.headers.get("retry-after", "0"))
        self.assertGreater(got, 0, "429 without Retry-After")
        if retry is not None:
            self.assertEqual(got, retry, "Retry-After")
        return got


class Hygiene:
    """Mixed into each class: its server answered no 5xx and no worker
    crashed (a test of its own, run last)."""

    def test_zz_no_5xx_and_no_crash(self):
        self.assertEqual(self.server.server_errors(), [])
        self.assertEqual(self.server.crash_lines(), [])


class DeviceCookie(_Lockout, Hygiene):
    def test_sign_in_sets_a_signed_device_cookie(self):
        S = self.server
        email = S.new_user("dev")
        r = self.login(email, DEFAULT_PASSWORD, OWNER_IP)
        value, attrs = set_cookies(r)[DEVICE]
        self.assertRegex(value, DEVICE_RE)
        self.assertNotIn(email.split("@")[0], value)   # no email inside
        self.assertIn("HttpOnly", attrs)
        self.assertIn("SameSite=Strict", attrs)
        self.assertIn("Path=/api/v1/auth", attrs)
        self.assertIn("Max-Age=%d" % (90 * 86400), attrs)
        # The loopback Host of a development server drops Secure, as for
        # the other cookies (API.md §10.10); any other host keeps it.
        self.assertNotIn("Secure", attrs)
        r = self.login(email, DEFAULT_PASSWORD, OWNER_IP, host="auth.example.com")
        self.assertStatus(r, 200)
        self.assertIn("Secure", set_cookies(r)[DEVICE][1])
        # The JSON body is the reference's, untouched.
        self.assertEqual(list(r.json().keys()),
                         ["refreshToken", "token", "tokenExpires", "user"])

    def test_each_sign_in_gets_a_new_device_id(self):
        S = self.server
        email = S.new_user("dev2")
        a = self.device_of(self.login(email, DEFAULT_PASSWORD, OWNER_IP))
        b = self.device_of(self.login(email, DEFAULT_PASSWORD, OWNER_IP, device=a))
        self.assertNotEqual(a.split(".")[1], b.split(".")[1])

    def test_failed_sign_in_sets_no_cookie(self):
        S = self.server
        email = S.new_user("dev3")
        r = self.login(email, "wrong-password-1", OWNER_IP)
        self.assertStatus(r, 422)
        self.assertEqual(set_cookies(r), {})

    def test_browser_form_post_gets_it_too(self):
        S = self.server
        email = S.new_user("devform")
        r = S.request("POST", LOGIN,
                      body="email=%s&password=%s" % (email, DEFAULT_PASSWORD),
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "Accept": "text/html",
                               "Origin": "http://localhost:3000",
                               "X-Forwarded-For": OWNER_IP})
        self.assertStatus(r, 303)
        c = set_cookies(r)
        self.assertEqual(sorted(c), ["authportal_access", DEVICE, "authportal_refresh"])
        self.assertRegex(c[DEVICE][0], DEVICE_RE)


class NoLockoutButton(_Lockout, Hygiene):
    def test_attacker_cannot_lock_out_the_owner(self):
        """The scenario of issue 9 point 4: the attacker spends the
        account's budget from another client; the owner on their device
        signs in at once; without it the owner is delayed, not walled."""
        S = self.server
        email = S.new_user("victim")
        device = self.device_of(self.login(email, DEFAULT_PASSWORD, OWNER_IP))

        for _ in range(3):
            self.assertStatus(self.login(email, "guess-123", ATTACKER_IP), 422)
        self.assertTooMany(self.login(email, "guess-123", ATTACKER_IP))
        # Without the cookie even the right password waits...
        wait = self.assertTooMany(self.login(email, DEFAULT_PASSWORD, ELSEWHERE_IP))
        self.assertLessEqual(wait, 2, "a growing delay, not a 15-minute wall")
        # ...but the owner's device is judged on its own failures: none.
        r = self.login(email, DEFAULT_PASSWORD, OWNER_IP, device=device)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["user"]["email"], email)
        # And the owner elsewhere, without the cookie, gets in once the
        # short delay has passed.
        time.sleep(wait + 0.1)
        self.assertStatus(self.login(email, DEFAULT_PASSWORD, ELSEWHERE_IP), 200)

    def test_a_cookie_of_another_account_or_forged_counts_as_none(self):
        S = self.server
        email, other = S.new_user("victim2"), S.new_user("mallory")
        device = self.device_of(self.login(email, DEFAULT_PASSWORD, OWNER_IP))
        foreign = self.device_of(self.login(other, DEFAULT_PASSWORD, ATTACKER_IP))
        for _ in range(3):
            self.assertStatus(self.login(email, "guess-123", ATTACKER_IP), 422)
        self.assertTooMany(self.login(email, DEFAULT_PASSWORD, ATTACKER_IP,
                                      device=foreign))
        exp, dev_id, mac = device.split(".")
        forged = [".".join((str(int(exp) + 1), dev_id, mac)),
                  ".".join((exp, "0" * 32, mac)),
                  ".".join((exp, dev_id, "0" * 64)),
                  device + "0", device[:-1], "x" * 5000]
        for bad in forged:
            with self.subTest(cookie=bad[:40]):
                self.assertTooMany(self.login(email, DEFAULT_PASSWORD,
                                              ATTACKER_IP, device=bad))
        self.assertStatus(self.login(email, DEFAULT_PASSWORD, OWNER_IP,
                                     device=device), 200)

    def test_a_device_is_judged_on_its_own_failures(self):
        S = self.server
        email = S.new_user("typo")
        device = self.device_of(self.login(email, DEFAULT_PASSWORD, OWNER_IP))
        for _ in range(3):
            self.assertStatus(self.login(email, "typo-typo", OWNER_IP,
                                         device=device), 422)
        self.assertTooMany(self.login(email, DEFAULT_PASSWORD, OWNER_IP,
                                      device=device), retry=1)
        # The account's budget for other clients is untouched.
        self.assertStatus(self.login(email, DEFAULT_PASSWORD, ELSEWHERE_IP), 200)


class GrowingDelay(_Lockout, Hygiene):
    env = {"AUTH_RATE_LOGIN_FAIL": "2", "AUTH_RATE_LOGIN_DELAY_MAX": "900"}

    def test_retry_after_doubles_with_each_failure(self):
        S = self.server
        email = S.new_user("slow")
        for _ in range(2):
            self.assertStatus(self.login(email, "wrong-1", ATTACKER_IP), 422)
        for want in (1, 2, 4):
            got = self.assertTooMany(self.login(email, "wrong-1", ATTACKER_IP))
            # A request may land just after a second boundary: the
            # delay is counted from the failure, rounded up.
            self.assertIn(got, (want, want - 1) if want > 1 else (1,))
            self.assertTooMany(self.login(email, DEFAULT_PASSWORD, ATTACKER_IP))
            if want == 4:
                break
            time.sleep(want + 0.1)
            # The wait is over: the next guess is checked (and fails).
            self.assertStatus(self.login(email, "wrong-1", ATTACKER_IP), 422)


class DelayCap(_Lockout, Hygiene):
    env = {"AUTH_RATE_LOGIN_FAIL": "1", "AUTH_RATE_LOGIN_DELAY_MAX": "2"}

    def test_the_delay_stops_growing_at_the_cap(self):
        S = self.server
        email = S.new_user("capped")
        self.assertStatus(self.login(email, "wrong-1", ATTACKER_IP), 422)
        waits = []
        for _ in range(3):
            waits.append(self.assertTooMany(self.login(email, "wrong-1",
                                                       ATTACKER_IP)))
            self.assertLessEqual(waits[-1], 2, waits)
            time.sleep(waits[-1] + 0.1)
            self.assertStatus(self.login(email, "wrong-1", ATTACKER_IP), 422)
        self.assertEqual(waits, [1, 2, 2])
        self.assertTooMany(self.login(email, "wrong-1", ATTACKER_IP), retry=2)


class PerNetwork(_Lockout, Hygiene):
    """AUTH_RATE_LOGIN_IP counts an IPv6 client by its /64, an IPv4 one by
    its address, IPv4-mapped IPv6 as that IPv4 address."""
    env = {"AUTH_RATE_LOGIN_IP": "3"}

    def test_ipv6_addresses_of_one_64_share_a_counter(self):
        for ip in ("2001:db8:1:2::1", "2001:db8:1:2::2",
                   "2001:db8:1:2:ffff:ffff:ffff:fffe"):
            with self.subTest(ip=ip):
                self.assertStatus(self.login(DEMO_USER, DEMO_PASSWORD, ip), 200)
        # Another address of the same /64, written otherwise.
        r = self.login(DEMO_USER, DEMO_PASSWORD, "2001:0DB8:0001:0002:abcd::9")
        self.assertLessEqual(self.assertTooMany(r), 300)
        self.assertStatus(self.login(DEMO_USER, DEMO_PASSWORD, "2001:db8:1:3::1"), 200)

    def test_ipv4_and_its_mapped_form_are_one_client(self):
        for ip in ("192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7"):
            with self.subTest(ip=ip):
                self.assertStatus(self.login(DEMO_USER, DEMO_PASSWORD, ip), 200)
        self.assertTooMany(self.login(DEMO_USER, DEMO_PASSWORD, "::ffff:192.0.2.7"))
        self.assertStatus(self.login(DEMO_USER, DEMO_PASSWORD, "192.0.2.8"), 200)
