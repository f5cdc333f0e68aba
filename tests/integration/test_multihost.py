# SPDX-License-Identifier: ISC
"""Several hosts on one PostgreSQL database (issue 14 points 2 and 4): two
independent web-server instances, each a lighttpd with its own FastCGI
workers (harness.Server(share=...): the same database and the same
settings, as the README's "Several hosts" says), in front of one database
of a throw-away cluster (the suite's: harness.shared_cluster(), so this
module runs on PostgreSQL in every run, whatever PTL_DB says).

- a session made on host A is refreshed on B, revoked on A, then refused
  on B;
- the rate limits count across both hosts (AUTH_RATE_LIMIT on);
- concurrent refreshes of one token spread over both hosts: exactly one
  200, the others 401;
- mails queued on A while the SMTP server is away, then flushed from both
  hosts at once: each delivered exactly once (the SMTP catcher counts);
- a one-time link (confirm email, password reset) used on A is refused
  on B;
- an OAuth state (the mock provider of mock_provider.py) made on A is
  spent on B and refused on A again;
- the load-and-fault run (loadtest.py) over both hosts with SIGKILLed
  workers on either: nothing lost.
"""

import os
import re
import sys
import threading
import time
import unittest

from harness import (ApiTestCase, Server, shared_cluster, jwt_parts,
                     DEFAULT_PASSWORD, DEMO_USER, DEMO_PASSWORD)
import loadtest
from mock_provider import MockProvider
import test_oauth
from test_oauth import Flow, cookies_of, token_cookies

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
import mailcatch  # noqa: E402

FRONT = "http://localhost:3000"
JWT = r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
CONFIRM_URL = re.compile(r"^" + re.escape(FRONT) + r"/confirm-email\?hash=(" + JWT + r")$")
RESET_URL = re.compile(r"^" + re.escape(FRONT) + r"/password-change\?hash=(" + JWT +
                       r")&expires=(\d+)$")
CONFIRM = "/api/v1/auth/email/confirm"
FORGOT = "/api/v1/auth/forgot/password"
RESET = "/api/v1/auth/reset/password"
INVALID_HASH = b'{"status":422,"errors":{"hash":"invalidHash"}}'
TOO_MANY = b'{"statusCode":429,"message":"Too Many Requests"}'
# A load balancer's address in front of both hosts: the same
# BACKEND_DOMAIN on each (the OAuth redirect_uri).
BALANCER = "http://auth.example"
CHEAP = {"AUTH_ARGON2_MEMLIMIT_KIB": "1024", "AUTH_ARGON2_OPSLIMIT": "1"}

M = None


def setUpModule():
    global M
    M = MockProvider().start()
    unittest.addModuleCleanup(M.stop)
    test_oauth.M = M       # its Flow visits the provider through it


def two_hosts(owner, **env):
    """Hosts A and B of one site on one fresh PostgreSQL database, stopped
    after the class (B first)."""
    a = Server(engine="postgres", cluster=shared_cluster(), smtp="catcher",
               env=env)
    a.start()
    owner.addClassCleanup(a.stop)
    b = Server(share=a)
    b.start()
    owner.addClassCleanup(b.stop)
    return a, b


def wait_until(what, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = what()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


class HostCase(ApiTestCase):
    env = {}

    @classmethod
    def setUpClass(cls):
        cls.A, cls.B = two_hosts(cls, **dict(CHEAP, **cls.env))

    @classmethod
    def tearDownClass(cls):
        for s in (cls.A, cls.B):
            bad = [(m, p, r) for (m, p, r) in s.server_errors()]
            crashes = s.crash_lines()
            if bad or crashes:
                raise AssertionError("host %d: 5xx %r, crash lines %r" % (
                    s.port, bad[:3], crashes[:3]))
        super().tearDownClass()

    def link(self, address, kind_re, want=1):
        msgs = wait_until(lambda: [
            m for m in mailcatch.messages_to(self.A.mail_dir, address)
            if kind_re.match(mailcatch.find_link(m))][want - 1:], timeout=10)
        self.assertTrue(msgs, "no mail to %s" % address)
        return kind_re.match(mailcatch.find_link(msgs[0])).group(1)


class Sessions(HostCase):
    def test_hosts_are_separate_instances(self):
        A, B = self.A, self.B
        self.assertNotEqual(A.port, B.port)
        self.assertNotEqual(A.server_pid, B.server_pid)
        self.assertEqual(A.db_url, B.db_url)
        self.assertFalse(set(A.session_pids()) & set(B.session_pids()))
        for s in (A, B):
            self.assertStatus(s.request("GET", "/api/v1/health?deep=1"), 200)

    def test_session_made_on_a_refreshed_on_b_revoked_on_a(self):
        A, B = self.A, self.B
        email = A.new_user("mh")
        login = A.login_ok(email)
        self.assertStatus(B.me(login["token"]), 200)
        r = B.refresh(login["refreshToken"])
        self.assertStatus(r, 200)
        pair = r.json()
        # The rotated token is spent on both hosts.
        self.assertUnauthorized(A.refresh(login["refreshToken"]))
        # ... and that reuse ended the session everywhere (API.md: reuse
        # revokes the session).
        self.assertUnauthorized(B.refresh(pair["refreshToken"]))
        # A second session, refreshed on B, logged out on A.
        login = A.login_ok(email)
        r = B.refresh(login["refreshToken"])
        self.assertStatus(r, 200)
        pair = r.json()
        self.assertStatus(A.logout(pair["token"]), 204)
        self.assertUnauthorized(B.me(pair["token"]))
        self.assertUnauthorized(B.refresh(pair["refreshToken"]))

    def test_sessions_listed_and_revoked_across_hosts(self):
        A, B = self.A, self.B
        email = A.new_user("mhlist")
        one = A.login_ok(email)
        two = B.login_ok(email)
        r = A.request("GET", "/api/v1/auth/sessions",
                      headers=A.auth_headers(one["token"]))
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json()), 2, r.json())
        sid_two = jwt_parts(two["token"])[1]["sessionId"]
        r = A.request("DELETE", "/api/v1/auth/sessions/%d" % sid_two,
                      headers=A.auth_headers(one["token"]))
        self.assertIn(r.status, (200, 204), repr(r))
        self.assertUnauthorized(B.me(two["token"]))
        self.assertUnauthorized(B.refresh(two["refreshToken"]))
        self.assertStatus(B.me(one["token"]), 200)

    def test_concurrent_refreshes_over_both_hosts_have_one_winner(self):
        A, B = self.A, self.B
        email = A.new_user("mhrace")
        for round_ in range(5):
            login = A.login_ok(email)
            n = 8
            gate = threading.Barrier(n)
            results = [None] * n

            def go(i):
                host = (A, B)[i % 2]
                gate.wait(10)
                results[i] = host.refresh(login["refreshToken"])
            threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            statuses = sorted(r.status for r in results)
            self.assertEqual(statuses, [200] + [401] * (n - 1),
                             "round %d: %r" % (round_, results))
            for r in results:
                if r.status == 401:
                    self.assertUnauthorized(r)


class RateLimits(HostCase):
    env = {"AUTH_RATE_LIMIT": "true", "AUTH_RATE_LOGIN_IP": "6",
           "AUTH_RATE_LOGIN_FAIL": "4"}

    def test_sign_in_budget_counts_on_both_hosts(self):
        A, B = self.A, self.B
        for i in range(6):
            self.assertStatus((A, B)[i % 2].login(DEMO_USER, DEMO_PASSWORD), 200)
        for s in (A, B):
            r = s.login(DEMO_USER, DEMO_PASSWORD)
            self.assertBody(r, 429, TOO_MANY)
            self.assertIsNotNone(r.headers.get("retry-after"))


class FailedSignIns(HostCase):
    env = {"AUTH_RATE_LIMIT": "true", "AUTH_RATE_LOGIN_IP": "1000",
           "AUTH_RATE_LOGIN_FAIL": "4"}

    def test_failures_of_one_account_count_on_both_hosts(self):
        A, B = self.A, self.B
        email = A.new_user("mhfail")
        for i in range(4):
            self.assertStatus((A, B)[i % 2].login(email, "Wrong-Pass-%d" % i), 422)
        for s in (B, A):
            self.assertBody(s.login(email, DEFAULT_PASSWORD), 429, TOO_MANY)


class Mail(HostCase):
    def test_queued_on_a_flushed_from_both_delivered_once(self):
        A, B = self.A, self.B
        port = A.smtp.port
        A.smtp.stop()                      # the SMTP server away
        addrs = [A.new_user("mhmail") for _ in range(8)]
        # A's workers tried once after each answer and failed: queued.
        self.assertTrue(wait_until(lambda: A.sql_value(
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND "
            "attempts > 0 AND recipient IN (%s)" % ",".join("?" * len(addrs)),
            addrs) == len(addrs), timeout=30), "every mail tried once")
        self.assertEqual(A.smtp.start(port), port)
        outs = []

        def flush(s):
            cp = s.cli("mail", "flush")
            outs.append((s.port, cp.returncode, cp.stdout + cp.stderr))
        threads = [threading.Thread(target=flush, args=(s,))
                   for s in (A, B, A, B)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual([o for o in outs if o[1] != 0], [], outs)
        for a in addrs:
            wait_until(lambda: mailcatch.messages_to(A.mail_dir, a), timeout=10)
        time.sleep(0.3)   # a second delivery, were there one, lands too
        counts = {a: len(mailcatch.messages_to(A.mail_dir, a)) for a in addrs}
        self.assertEqual(counts, {a: 1 for a in addrs}, outs)
        self.assertEqual(A.sql_value(
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND "
            "recipient IN (%s)" % ",".join("?" * len(addrs)), addrs), 0)

    def test_sign_up_on_b_mail_by_the_same_smtp_server(self):
        B = self.B
        addr = B.new_user("mhb")
        self.link(addr, CONFIRM_URL)
        self.assertEqual(len(mailcatch.messages_to(B.mail_dir, addr)), 1)


class OneTimeLinks(HostCase):
    def test_confirm_link_used_on_a_refused_on_b(self):
        A, B = self.A, self.B
        addr = A.new_user("mhconfirm")
        h = self.link(addr, CONFIRM_URL)
        self.assertBody(A.request("POST", CONFIRM, json_body={"hash": h}), 204, b"")
        r = B.request("POST", CONFIRM, json_body={"hash": h})
        self.assertJson4xx(r)
        self.assertEqual(A.login_ok(addr)["user"]["status"]["id"], 1)

    def test_reset_link_used_on_a_refused_on_b(self):
        A, B = self.A, self.B
        addr = A.new_user("mhreset")
        self.assertBody(B.request("POST", FORGOT, json_body={"email": addr}), 204, b"")
        h = self.link(addr, RESET_URL)
        self.assertBody(A.request("POST", RESET, json_body={
            "hash": h, "password": "Reset-On-A-7"}), 204, b"")
        self.assertBody(B.request("POST", RESET, json_body={
            "hash": h, "password": "Reset-On-B-7"}), 422, INVALID_HASH)
        self.assertStatus(B.login(addr, "Reset-On-A-7"), 200)
        self.assertStatus(A.login(addr, "Reset-On-B-7"), 422)


class OAuthState(HostCase):
    @classmethod
    def setUpClass(cls):
        cls.env = dict(M.settings(), BACKEND_DOMAIN=BALANCER,
                       AUTH_UNIFORM_ERRORS="false")
        super().setUpClass()

    def setUp(self):
        M.reset()

    def signed_in(self, r):
        self.assertStatus(r, 303)
        self.assertEqual(r.headers.get("location"), FRONT + "/dashboard")
        self.assertEqual(set(token_cookies(r)),
                         {"authportal_access", "authportal_refresh"}, r.headers)

    def refused(self, r):
        self.assertStatus(r, 303)
        # The state's redirect target is gone with the state: either.
        self.assertIn(r.headers.get("location"),
                      (FRONT + "/dashboard?error=invalidState",
                       FRONT + "/?error=invalidState"), r.headers)
        self.assertEqual(token_cookies(r), {})

    def test_state_made_on_a_spent_on_b_refused_on_a(self):
        A, B = self.A, self.B
        M.login_as("github")
        f = Flow(A, "github")
        self.assertStatus(f.authorize, 302)
        self.assertTrue(cookies_of(f.authorize).get("authportal_oauth"))
        f.visit_provider()
        with M.lock:      # the provider would take the code again
            M.codes[f.code()]["multi_use"] = True
        f.server = B
        self.signed_in(f.callback())
        f.server = A
        self.refused(f.callback())
        f.server = B
        self.refused(f.callback())
        self.assertEqual(len(M.requests("github.token")), 1)

    def test_parallel_callbacks_on_both_hosts_spend_it_once(self):
        A, B = self.A, self.B
        M.login_as("github")
        f = Flow(A, "github")
        f.visit_provider()
        with M.lock:
            M.codes[f.code()]["multi_use"] = True
        n = 6
        gate = threading.Barrier(n)
        results = [None] * n

        def go(i):
            g = Flow.__new__(Flow)
            g.__dict__.update(f.__dict__)
            g.server = (A, B)[i % 2]
            gate.wait(10)
            results[i] = g.callback()
        threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        good = [r for r in results if token_cookies(r)]
        self.assertEqual(len(good), 1, results)
        for r in results:
            if r is not good[0]:
                self.refused(r)


class LoadOnBothHosts(unittest.TestCase):
    """loadtest.py over two hosts of one PostgreSQL database, SIGKILLs of
    workers of either: every acknowledged sign-up and mail there, no
    refresh token accepted twice, no 5xx but the kills'."""

    def test_short_run_over_two_hosts_loses_nothing(self):
        lines = []
        test = loadtest.LoadTest(seconds=10, kills=4, clients=6, seed=14,
                                 out=lines.append, hosts=2, server_kw={
                                     "engine": "postgres",
                                     "cluster": shared_cluster()})
        good = test.run()
        self.assertTrue(good, "\n".join(lines))
        self.assertEqual(len(test.rec.kills), 4, "\n".join(lines))
        hosts = {h for (_t, _e, _p, h) in test.rec.kills}
        served = {e.host for e in test.rec.entries}
        self.assertEqual(served, {0, 1}, "requests reached both hosts")
        print("\n".join(l for l in lines if l.startswith(("loadtest", "kills",
                                                          "requests"))))
        # (The killer's choice of host comes from the seeded generator.)
        self.assertEqual(hosts, {0, 1}, "kills on both hosts")


if __name__ == "__main__":
    unittest.main()
