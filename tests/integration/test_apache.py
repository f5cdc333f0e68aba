# SPDX-License-Identifier: ISC
"""Apache httpd deployment (API.md §9.4): the templates of apache/, rendered
by script/apache-conf, run by the real /usr/sbin/apache2 in the foreground on
a free loopback port, against a migrated and seeded database:

  fcgid     apache/authportal-fcgid.conf.in (mod_fcgid)
  cgi       apache/authportal-cgi.conf.in (plain CGI, mod_cgid)
  htaccess  apache/htaccess.example as the .htaccess of a shared host's
            document root that holds copies of the executables; the settings
            reach the app through SetEnv ENV_FILE, as the example documents

Each variant runs the same representative requests; Apache and every process
it started (workers, cgid, fcgid's FastCGI processes) are gone afterwards.

Users: Apache started by root runs its children as User/Group. When the tests
run as root, script/apache-conf renders www-data (Debian's web user), and the
temp dir (database, its -wal/-shm, the htaccess document root) is chown'ed to
www-data; cgi-bin/ is world-readable and executable already. When the tests
run as another user, Apache cannot switch users and everything runs as that
user, who owns the temp dir anyway.
"""

import json
import os
import pwd
import grp
import shutil
import signal
import subprocess
import time
import unittest

from harness import (ApiTestCase, Server, ServerError, BINDIR, DOCROOT, REPO,
                     DEMO_USER, DEMO_PASSWORD, TOO_LARGE,
                     SECURITY_HEADERS, jwt_parts)

APACHE = shutil.which("apache2", path="/usr/sbin:/usr/bin:/sbin:/bin") or "/usr/sbin/apache2"
RENDERER = os.path.join(REPO, "script", "apache-conf")
HTACCESS = os.path.join(REPO, "apache", "htaccess.example")
EXECUTABLES = ("health", "signup", "login", "refresh", "logout", "account",
               "verify", "password")
FRONTEND = "http://localhost:3000"
NOT_FOUND = b'{"message":"Cannot GET /api/v1/nope","error":"Not Found","statusCode":404}'
# The settings the .env of the htaccess variant carries.
_APP_PREFIXES = ("AUTH_", "APP_", "MAIL_", "DATABASE_", "FRONTEND_",
                 "BACKEND_", "GOOGLE_", "FACEBOOK_", "APPLE_", "GITHUB_",
                 "TRUSTED_PROXIES", "NODE_ENV", "API_PREFIX")


def _run_as():
    """(user, group) the Apache children run as."""
    if os.geteuid() == 0:
        return "www-data", "www-data"
    return (pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name)


def _chown_tree(top, uid, gid):
    os.chown(top, uid, gid)
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), uid, gid)


def _proc_stat(pid):
    """(pgrp, session) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("latin-1")
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[2]), int(fields[3])


def _proc_environ(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


class ApacheServer(Server):
    """harness.Server with Apache httpd instead of lighttpd: the same
    database set-up, environment, requests and helpers."""

    def __init__(self, kind, **kw):
        super().__init__(**kw)
        self.kind = kind
        self.apache_pid = None

    # harness.Server.start() calls these two (with retries).
    def _start_lighttpd(self):
        self._start_apache()

    def _kill_lighttpd(self):
        self._stop_apache()

    def _start_apache(self):
        from harness import _free_port
        if not os.access(APACHE, os.X_OK):
            raise ServerError("no apache2 at %s (script/bootstrap --test)" % APACHE)
        user, group = _run_as()
        self.port = _free_port()
        # Apache's children run as www-data, which may not be able to reach
        # the checkout (CI may clone under a private folder): the
        # executables, the pages and the mail templates are copied into
        # the temp dir, which is given to that user below.
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir, exist_ok=True)
        for exe in EXECUTABLES:
            shutil.copy2(os.path.join(BINDIR, exe), os.path.join(bindir, exe))
        docroot = os.path.join(self.tmp, "www")
        shutil.copytree(DOCROOT, docroot, dirs_exist_ok=True)
        mail = os.path.join(self.tmp, "mail-templates")
        shutil.copytree(os.path.join(REPO, "mail"), mail, dirs_exist_ok=True)
        self.env["MAIL_TEMPLATE_DIR"] = mail
        if self.kind == "htaccess":
            docroot = self._make_site()
        env = dict(self.env, APACHE_RUN_USER=user, APACHE_RUN_GROUP=group)
        cp = subprocess.run(
            [RENDERER, self.kind, str(self.port), bindir, self.rundir, docroot],
            capture_output=True, text=True, cwd=REPO, env=env)
        if cp.returncode != 0:
            raise ServerError("apache-conf failed: %s" % cp.stderr)
        self.conf = os.path.join(self.tmp, "apache2.conf")
        with open(self.conf, "w") as f:
            f.write(cp.stdout)
        if os.geteuid() == 0:
            pw = pwd.getpwnam(user)
            _chown_tree(self.tmp, pw.pw_uid, grp.getgrnam(group).gr_gid)
        self._stdout = open(os.path.join(self.rundir, "error.log"), "ab", buffering=0)
        # A session of its own: every process Apache starts stays in it, so
        # that _stop_apache can find (and end) them all.
        proc = subprocess.Popen(
            [APACHE, "-DFOREGROUND", "-f", self.conf], env=self.env,
            cwd=self.tmp, stdout=self._stdout, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.proc = proc
        self.apache_pid = proc.pid
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServerError("apache2 exited with %s:\n%s" % (
                    proc.returncode, self.error_log()))
            try:
                r = self.request("GET", "/api/v1/health", record=False, timeout=5)
                if r.status == 200:
                    return
            except OSError:
                pass
            except Exception:
                pass
            time.sleep(0.05)
        raise ServerError("apache2 did not answer /api/v1/health within %ss:\n%s"
                          % (self.start_timeout, self.error_log()))

    def _make_site(self):
        """The shared host's document root: the executables (copies, as an
        upload would be) and htaccess.example as .htaccess, with its example
        origin and ENV_FILE line filled in; the settings in a .env file
        outside the document root."""
        site = os.path.join(self.tmp, "site")
        os.makedirs(site, exist_ok=True)
        for exe in EXECUTABLES:
            shutil.copy2(os.path.join(BINDIR, exe), os.path.join(site, exe))
        env_file = os.path.join(self.tmp, "authportal.env")
        with open(env_file, "w") as f:
            for k, v in sorted(self.env.items()):
                if k.startswith(_APP_PREFIXES):
                    f.write("%s=%s\n" % (k, v))
        with open(HTACCESS) as f:
            text = f.read()
        text = text.replace("'https://app.example.com'", "'%s'" % FRONTEND)
        text = text.replace("#SetEnv ENV_FILE /home/USER/authportal.env",
                            "SetEnv ENV_FILE " + env_file)
        with open(os.path.join(site, ".htaccess"), "w") as f:
            f.write(text)
        return site

    def session_pids(self):
        """Every live process in Apache's session or process group, and
        every process running one of our executables against our
        database (should one have left the session)."""
        if self.apache_pid is None:
            return []
        me = self.apache_pid
        db = ("DATABASE_PATH=%s" % self.db_path).encode()
        env_file = ("ENV_FILE=%s" % os.path.join(self.tmp, "authportal.env")).encode()
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            st = _proc_stat(pid)
            if st is None:
                continue
            if me in st:
                found.append(pid)
                continue
            try:
                exe = os.readlink("/proc/%d/exe" % pid)
            except OSError:
                continue
            if os.path.basename(exe) in EXECUTABLES:
                envs = _proc_environ(pid)
                if db in envs or env_file in envs:
                    found.append(pid)
        return found

    def _stop_apache(self):
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGTERM)   # graceful stop
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
            # Whatever outlived the stop (an fcgid process, cgid): kill it,
            # by pid, only those of this server.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                pids = self.session_pids()
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                if proc.poll() is None:
                    try:
                        proc.wait(timeout=0.2)
                    except subprocess.TimeoutExpired:
                        pass
                time.sleep(0.05)
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        try:
            self._stdout.close()
        except Exception:
            pass


class _ApacheSuite:
    """The representative requests; mixed into one ApiTestCase per variant."""

    kind = None
    S = None

    @classmethod
    def setUpClass(cls):
        s = ApacheServer(cls.kind, env={"FRONTEND_DOMAIN": FRONTEND})
        s.start()               # stops itself when it fails
        cls.addClassCleanup(s.stop)
        cls.S = cls.server = s

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


class ApacheFcgid(_ApacheSuite, ApiTestCase):
    kind = "fcgid"


class ApacheCgi(_ApacheSuite, ApiTestCase):
    kind = "cgi"


class ApacheHtaccess(_ApacheSuite, ApiTestCase):
    kind = "htaccess"

    def test_executables_not_reachable_directly(self):
        self.assertStatus(self.S.request("GET", "/login"), 403)
        self.assertStatus(self.S.request("GET", "/.htaccess"), 403)


class ApacheStop(unittest.TestCase):
    def test_stop_ends_every_process(self):
        s = ApacheServer("fcgid")
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
            want = pwd.getpwnam(_run_as()[0]).pw_uid
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

