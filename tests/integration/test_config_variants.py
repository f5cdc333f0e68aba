# SPDX-License-Identifier: ISC
"""Behaviour under non-default settings, sharing one server:
AUTH_UNIFORM_ERRORS=false (API.md §1.1, §10.2),
APP_CORS_ORIGINS=http://a.example (§9.1),
AUTH_REFRESH_REUSE_INTERVAL=30 (§10.4).
And servers of their own (issue 10 points 1 and 9): the settings in a
file with a relative DATABASE_PATH, which the CLI and every worker
resolve to the same file; a MAIL_TEMPLATE_DIR without templates, which
every worker reports at start."""

import os
import shutil
import tempfile
import time

from harness import (ApiTestCase, serve, unique_email, DEFAULT_PASSWORD,
                     DEMO_USER, DEMO_PASSWORD,
                     sqlite_only, shared_cluster)

S = None


def setUpModule():
    global S
    S = serve(env={"AUTH_UNIFORM_ERRORS": "false",
                   "APP_CORS_ORIGINS": " http://a.example , http://c.example",
                   "AUTH_REFRESH_REUSE_INTERVAL": "30"})


class FieldSpecificErrors(ApiTestCase):
    def test_unknown_user_not_found(self):
        r = S.login(unique_email("ghost"), "whatever-pw")
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"notFound"}}')
        self.assertJsonCT(r)

    def test_wrong_password_incorrect_password(self):
        r = S.login(DEMO_USER, "wrong-password")
        self.assertBody(r, 422, b'{"status":422,"errors":{"password":"incorrectPassword"}}')

    def test_deleted_user_not_found(self):
        email = S.new_user("gone")
        tok = S.login_ok(email)["token"]
        self.assertStatus(S.request("DELETE", "/api/v1/auth/me", headers=S.auth_headers(tok)), 204)
        r = S.login(email, DEFAULT_PASSWORD)
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"notFound"}}')

    def test_validation_unchanged(self):
        r = S.request("POST", "/api/v1/auth/email/login", body=b"{}")
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email should not be empty, '
                                b'email must be an email","password":"password should not be empty"}}')

    def test_correct_login_still_works(self):
        self.assertStatus(S.login(DEMO_USER, DEMO_PASSWORD), 200)


class CorsAllowList(ApiTestCase):
    def test_listed_origin_echoed_with_vary(self):
        for origin in ("http://a.example", "http://c.example"):
            with self.subTest(origin=origin):
                r = S.request("GET", "/api/v1/health", headers={"Origin": origin})
                self.assertStatus(r, 200)
                self.assertEqual(r.headers.get("access-control-allow-origin"), origin)
                self.assertIn("Origin", [v.strip() for v in r.headers.get("vary", "").split(",")])

    def test_unlisted_origin_no_acao(self):
        for origin in ("http://b.example", "http://localhost:3000", "http://a.example.evil.com",
                       "https://a.example", "null"):
            with self.subTest(origin=origin):
                r = S.request("GET", "/api/v1/health", headers={"Origin": origin})
                self.assertBody(r, 200, b'{"status":"ok"}')
                self.assertNotIn("access-control-allow-origin", r.headers)

    def test_unlisted_origin_request_still_processed(self):
        r = S.login(DEMO_USER, DEMO_PASSWORD, headers={"Origin": "http://b.example"})
        self.assertStatus(r, 200)
        self.assertNotIn("access-control-allow-origin", r.headers)

    def test_preflight_listed(self):
        r = S.request("OPTIONS", "/api/v1/auth/me", headers={
            "Origin": "http://a.example", "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization"})
        self.assertBody(r, 204, b"")
        self.assertEqual(r.headers.get("access-control-allow-origin"), "http://a.example")
        self.assertEqual(r.headers.get("access-control-allow-methods"), "GET,HEAD,PUT,PATCH,POST,DELETE")
        self.assertEqual(r.headers.get("access-control-allow-headers"), "authorization")
        self.assertEqual(r.headers.get("vary"), "Origin, Access-Control-Request-Headers")
        self.assertEqual(r.headers.get("content-length", "0"), "0")
        self.assertSecurityHeaders(r)

    def test_preflight_unlisted(self):
        r = S.request("OPTIONS", "/api/v1/auth/me", headers={
            "Origin": "http://b.example", "Access-Control-Request-Method": "PATCH"})
        self.assertStatus(r, 204)
        self.assertNotIn("access-control-allow-origin", r.headers)


class ReuseInterval(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.email = S.new_user("reuse")

    def test_previous_token_within_window_is_200_and_not_revoked(self):
        a = S.login_ok(self.email)
        r1 = S.refresh(a["refreshToken"])
        self.assertStatus(r1, 200)
        cur = r1.json()
        # Another tab presents the immediately previous token: 200, no revocation.
        r2 = S.refresh(a["refreshToken"])
        self.assertStatus(r2, 200)
        body = r2.json()
        self.assertEqual(list(body.keys()), ["token", "refreshToken", "tokenExpires"])
        self.assertStatus(S.me(body["token"]), 200)
        self.assertStatus(S.me(cur["token"]), 200)
        self.assertStatus(S.me(a["token"]), 200)
        # The session goes on: the pair handed out by the replay refreshes.
        r3 = S.refresh(body["refreshToken"])
        self.assertStatus(r3, 200)
        self.assertStatus(S.me(r3.json()["token"]), 200)

    def test_older_token_is_reuse_and_revokes(self):
        a = S.login_ok(self.email)
        r1 = S.refresh(a["refreshToken"])
        self.assertStatus(r1, 200)
        r2 = S.refresh(r1.json()["refreshToken"])
        self.assertStatus(r2, 200)
        # a["refreshToken"] is two rotations old: not "the immediately previous".
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        self.assertUnauthorized(S.refresh(r2.json()["refreshToken"]))
        self.assertUnauthorized(S.me(r2.json()["token"]))

    def test_logged_out_session_previous_token_is_401(self):
        a = S.login_ok(self.email)
        r1 = S.refresh(a["refreshToken"])
        self.assertStatus(r1, 200)
        self.assertStatus(S.logout(r1.json()["token"]), 204)
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        self.assertUnauthorized(S.refresh(r1.json()["refreshToken"]))


@sqlite_only("DATABASE_PATH relative to the settings file (DatabaseUrlInTheSettingsFile)")
class RelativePathsInTheSettingsFile(ApiTestCase):
    """DATABASE_PATH=data/auth.db in a settings file elsewhere: the CLI
    (working directory: the server's temp dir) and the workers (lighttpd
    starts them in cgi-bin/) use the file beside the settings file."""

    @classmethod
    def setUpClass(cls):
        cls.conf = tempfile.mkdtemp(prefix="authportal-conf-")
        cls.addClassCleanup(shutil.rmtree, cls.conf, ignore_errors=True)
        os.makedirs(os.path.join(cls.conf, "data"))
        cls.env_file = os.path.join(cls.conf, "app.env")
        with open(cls.env_file, "w") as f:
            f.write("DATABASE_PATH=data/auth.db\n")
        # lighttpd: its workers run as this user, who can read the file
        # (behind Apache or nginx they run as www-data).
        cls.S = serve(cls, web="lighttpd",
                      env={"ENV_FILE": cls.env_file, "DATABASE_PATH": None})

    def test_workers_and_cli_share_the_file(self):
        db = os.path.join(self.conf, "data", "auth.db")
        self.assertTrue(os.path.isfile(db))
        # Seeded by the CLI, served by the workers:
        self.assertStatus(self.S.login(DEMO_USER, DEMO_PASSWORD), 200)
        email = self.S.new_user("relpath")
        self.assertIn(email, self.S.cli("user", "list").stdout)
        self.assertFalse(os.path.exists(os.path.join(self.S.tmp, "data")))
        self.assertEqual(self.S.server_errors(), [])


class DatabaseUrlInTheSettingsFile(ApiTestCase):
    """DATABASE_URL in the settings file only (ENV_FILE), none in the
    environment: the CLI (migrate, seed, user list) and the workers use
    that PostgreSQL database, on either run (the suite's cluster)."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = shared_cluster()
        cls.url = cls.cluster.createdb()
        cls.addClassCleanup(cls.cluster.dropdb, cls.url)
        cls.conf = tempfile.mkdtemp(prefix="authportal-conf-")
        cls.addClassCleanup(shutil.rmtree, cls.conf, ignore_errors=True)
        cls.env_file = os.path.join(cls.conf, "app.env")
        with open(cls.env_file, "w") as f:
            f.write("DATABASE_URL=%s\n" % cls.url)
        cls.S = serve(cls, web="lighttpd", engine="postgres", cluster=cls.cluster,
                      env={"ENV_FILE": cls.env_file, "DATABASE_URL": None,
                           "DATABASE_PATH": None})

    def test_workers_and_cli_use_the_database_of_the_file(self):
        import psycopg2
        self.assertStatus(self.S.login(DEMO_USER, DEMO_PASSWORD), 200)
        email = self.S.new_user("pgfile")
        self.assertIn(email, self.S.cli("user", "list").stdout)
        conn = psycopg2.connect(self.url)
        try:
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM users WHERE email = %s", (email,))
            self.assertEqual(cur.fetchone()[0], 1)
        finally:
            conn.close()
        cp = self.S.cli("check-config")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("PostgreSQL", cp.stdout)
        self.assertEqual(self.S.server_errors(), [])


class TemplatesMissing(ApiTestCase):
    """MAIL_TEMPLATE_DIR names a folder without the templates: each worker
    says so at start, before any mail is asked for (issue 10 point 9)."""

    @classmethod
    def setUpClass(cls):
        cls.empty = tempfile.mkdtemp(prefix="authportal-notpl-")
        cls.addClassCleanup(shutil.rmtree, cls.empty, ignore_errors=True)
        # lighttpd: the other servers' harness copies the templates and
        # sets MAIL_TEMPLATE_DIR itself.
        cls.S = serve(cls, web="lighttpd",
                      env={"MAIL_TEMPLATE_DIR": cls.empty})

    def test_reported_at_start(self):
        # The server answered health: the workers of health are up. The
        # signup workers start with lighttpd too.
        deadline = time.monotonic() + 10
        log = ""
        while time.monotonic() < deadline:
            log = self.S.error_log()
            if log.count("cannot be sent") >= 3:
                break
            time.sleep(0.1)
        for name, what in (("activation.html", "sign-up confirmation"),
                           ("confirm-new-email.html", "email change"),
                           ("reset-password.html", "password reset")):
            self.assertIn("mail template %s/%s: No such file or directory: the "
                          "%s mail cannot be sent" % (self.empty, name, what), log)
        self.assertNotIn("mail_outbox", log)

    def test_check_config_fails(self):
        cp = self.S.cli("check-config")
        self.assertEqual(cp.returncode, 1)
        self.assertIn("3 of 3 cannot be used", cp.stdout)

    def test_the_api_still_answers(self):
        # API.md: sign-up answers 204 whatever the mail does; the log has
        # said why the mail cannot go.
        self.assertStatus(self.S.register(unique_email("notpl")), 204)
        self.assertStatus(self.S.login(DEMO_USER, DEMO_PASSWORD), 200)
