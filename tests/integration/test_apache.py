# SPDX-License-Identifier: ISC
"""Apache httpd deployment (API.md §9.4): the templates of apache/, rendered
by script/apache-conf, run by the real /usr/sbin/apache2 in the foreground on
a free loopback port, against a migrated and seeded database:

  fcgid     apache/authportal-fcgid.conf.in (mod_fcgid)
  cgi       apache/authportal-cgi.conf.in (plain CGI, mod_cgid)
  htaccess  apache/htaccess.example as the .htaccess of a shared host's
            document root that holds copies of the executables; the settings
            reach the app through SetEnv ENV_FILE, as the example documents

Each variant runs the same representative requests on a harness.Server
with web=KIND (the same database set-up, environment, requests and helpers
as the lighttpd suites), and the checks of Apache's own answers
(test_static.StaticAnswers: the security headers and JSON bodies on its
pages and errors); Apache and every process it started (workers, cgid,
fcgid's FastCGI processes) are gone afterwards.

Users: Apache started by root runs its children as User/Group. When the tests
run as root, script/apache-conf renders www-data (Debian's web user), and the
temp dir (database, its -wal/-shm, the copies of the executables, pages and
mail templates, the htaccess document root) is chown'ed to www-data, who may
not reach the checkout. When the tests run as another user, Apache cannot
switch users and everything runs as that user, who owns the temp dir anyway.
"""

import json
import os
import pwd
import unittest

from harness import (ApiTestCase, Server, EXECUTABLES, DEMO_USER, DEMO_PASSWORD,
                     TOO_LARGE, SECURITY_HEADERS, apache_user, jwt_parts, serve)
from test_static import StaticAnswers, BAD_REQUEST

FRONTEND = "http://localhost:3000"
NOT_FOUND = b'{"message":"Cannot GET /api/v1/nope","error":"Not Found","statusCode":404}'


class _ApacheSuite:
    """The representative requests; mixed into one ApiTestCase per variant."""

    kind = None
    S = None

    @classmethod
    def setUpClass(cls):
        cls.S = serve(cls, web=cls.kind, env={"FRONTEND_DOMAIN": FRONTEND})

    def login(self):
        r = self.S.login(DEMO_USER, DEMO_PASSWORD)
        self.assertStatus(r, 200)
        self.assertJsonCT(r)
        return r

    def test_health(self):
        r = self.S.request("GET", "/api/v1/health")
        self.assertBody(r, 200, b'{"status":"ok"}')
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)
        self.assertNoStore(r)

    def test_login_me_refresh_replay(self):
        r = self.login()
        self.assertSecurityHeaders(r)
        b = r.json()
        self.assertEqual(list(b.keys()), ["refreshToken", "token", "tokenExpires", "user"])
        self.assertUserObject(b["user"], DEMO_USER)
        # GET /me: Authorization reached the app (CGIPassAuth).
        r = self.S.me(b["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], DEMO_USER)
        self.assertUnauthorized(self.S.request("GET", "/api/v1/auth/me"))
        # Rotation, then reuse of the old refresh token.
        r = self.S.refresh(b["refreshToken"])
        self.assertStatus(r, 200)
        self.assertEqual(list(r.json().keys()), ["token", "refreshToken", "tokenExpires"])
        self.assertUnauthorized(self.S.refresh(b["refreshToken"]))

    def test_register_patch_me(self):
        email = self.S.new_user("apache")
        tok = self.S.login_ok(email)["token"]
        r = self.S.request("PATCH", "/api/v1/auth/me",
                           json_body={"firstName": "Apache", "lastName": "Httpd"},
                           headers=self.S.auth_headers(tok))
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["firstName"], r.json()["lastName"]), ("Apache", "Httpd"))
        self.assertSecurityHeaders(r)
        self.assertEqual(self.S.me(tok).json()["firstName"], "Apache")

    def test_delete_session(self):
        email = self.S.new_user("apache-sess")
        a, b = self.S.login_ok(email), self.S.login_ok(email)
        sid_b = jwt_parts(b["token"])[1]["sessionId"]
        r = self.S.request("GET", "/api/v1/auth/sessions", headers=self.S.auth_headers(a["token"]))
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json()), 2)
        r = self.S.request("DELETE", "/api/v1/auth/sessions/%d" % sid_b,
                           headers=self.S.auth_headers(a["token"]))
        self.assertBody(r, 204, b"")
        self.assertUnauthorized(self.S.me(b["token"]))
        self.assertStatus(self.S.me(a["token"]), 200)
        r = self.S.request("DELETE", "/api/v1/auth/sessions/%d" % sid_b,
                           headers=self.S.auth_headers(a["token"]))
        self.assertStatus(r, 404)
        self.assertJsonCT(r)

    def test_logout(self):
        b = self.S.login_ok(DEMO_USER, DEMO_PASSWORD)
        self.assertBody(self.S.logout(b["token"]), 204, b"")
        self.assertUnauthorized(self.S.refresh(b["refreshToken"]))

    def test_unknown_route_404(self):
        r = self.S.request("GET", "/api/v1/nope")
        self.assertBody(r, 404, NOT_FOUND)
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)
        # Routes are case-insensitive and take one trailing slash; a wrong
        # method on a real route is the app's 404 too, not Apache's 405.
        self.assertStatus(self.S.request("GET", "/api/V1/HEALTH/"), 200)
        r = self.S.request("GET", "/api/v1/auth/email/login")
        self.assertBody(r, 404, b'{"message":"Cannot GET /api/v1/auth/email/login",'
                                b'"error":"Not Found","statusCode":404}')

    def test_preflight(self):
        r = self.S.request("OPTIONS", "/api/v1/auth/me", headers={
            "Origin": FRONTEND, "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type"})
        self.assertStatus(r, 204)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers.get("access-control-allow-origin"), FRONTEND)
        self.assertEqual(r.headers.get("access-control-allow-methods"),
                         "GET,HEAD,PUT,PATCH,POST,DELETE")
        self.assertEqual(r.headers.get("access-control-allow-headers"),
                         "authorization,content-type")
        # Apache rewrites Vary as one comma-joined list without spaces.
        self.assertEqual([v.strip() for v in r.headers.get("vary", "").split(",")],
                         ["Origin", "Access-Control-Request-Headers"])
        self.assertSecurityHeaders(r)
        for name in SECURITY_HEADERS:
            self.assertEqual(r.header_count(name), 1, name)
        # An unlisted origin gets no ACAO; the catch-all answers too.
        r = self.S.request("OPTIONS", "/api/v1/whatever",
                           headers={"Origin": "https://evil.example"})
        self.assertStatus(r, 204)
        self.assertNotIn("access-control-allow-origin", r.headers)
        # A listed origin on a normal request is echoed by the app.
        r = self.S.request("GET", "/api/v1/health", headers={"Origin": FRONTEND})
        self.assertEqual(r.headers.get("access-control-allow-origin"), FRONTEND)

    def test_body_too_large_413(self):
        body = json.dumps({"email": DEMO_USER, "password": "x" * (150 * 1024)})
        for _ in range(5):   # the answer must not depend on who is faster
            r = self.S.request("POST", "/api/v1/auth/email/login", body=body)
            self.assertBody(r, 413, TOO_LARGE)
            self.assertJsonCT(r)
            self.assertSecurityHeaders(r)
        # The server is still fine afterwards.
        self.assertStatus(self.S.request("GET", "/api/v1/health"), 200)

    def test_form_post_and_huge_authorization(self):
        r = self.S.request("POST", "/api/v1/auth/email/login",
                           body="email=john.doe%40example.com&password=secret",
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "application/json", "Origin": FRONTEND})
        self.assertIn(r.status, (200, 303), r)
        self.assertUnauthorized(self.S.request(
            "GET", "/api/v1/auth/me", headers={"Authorization": "Bearer " + "a" * 30000}))

    def test_zz_no_5xx_no_crash(self):
        self.assertEqual(self.S.server_errors(), [])
        self.assertEqual(self.S.crash_lines(), [])


class ApacheFcgid(_ApacheSuite, StaticAnswers, ApiTestCase):
    kind = "fcgid"
    LONG_HEADER = (400, BAD_REQUEST)   # Apache says 400, not 431


class ApacheCgi(_ApacheSuite, StaticAnswers, ApiTestCase):
    kind = "cgi"
    LONG_HEADER = (400, BAD_REQUEST)


class ApacheHtaccess(_ApacheSuite, StaticAnswers, ApiTestCase):
    kind = "htaccess"
    LONG_HEADER = (400, BAD_REQUEST)
    # A request Apache cannot parse never reaches a .htaccess: the host's
    # own error page answers it (apache/htaccess.example says so).
    EARLY_COVERED = False

    def test_executables_not_reachable_directly(self):
        self.assertStatus(self.S.request("GET", "/login"), 403)
        self.assertStatus(self.S.request("GET", "/.htaccess"), 403)


class ApacheStop(unittest.TestCase):
    def test_stop_ends_every_process(self):
        s = Server(web="fcgid")
        s.start()
        try:
            for path in ("/api/v1/health", "/api/v1/auth/me", "/api/v1/x"):
                s.request("GET", path)
            s.login(DEMO_USER, DEMO_PASSWORD)
            pids = s.session_pids()
            exes = set()
            for pid in pids:
                try:
                    exes.add(os.path.basename(os.readlink("/proc/%d/exe" % pid)))
                except OSError:
                    pass
            self.assertIn("apache2", exes)
            self.assertTrue({"health", "account", "login"} <= exes, exes)
            # The FastCGI processes run as User (www-data when we are root).
            want = pwd.getpwnam(apache_user()[0]).pw_uid
            for pid in pids:
                try:
                    exe = os.path.basename(os.readlink("/proc/%d/exe" % pid))
                    with open("/proc/%d/status" % pid) as f:
                        uid = [l for l in f if l.startswith("Uid:")][0].split()[1]
                except (OSError, IndexError):
                    continue
                if exe in EXECUTABLES:
                    self.assertEqual(int(uid), want, exe)
        finally:
            s.stop()
        self.assertEqual(s.session_pids(), [])

