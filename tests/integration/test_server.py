# SPDX-License-Identifier: ISC
"""script/server as a newcomer runs it (issue 10 point 1), in a copy of the
checkout (the built tree, without var/, .env or .git), started from another
directory:

- `cp env-example .env`, then script/server: it is up only when the API
  answers (the relative DATABASE_PATH of .env is the checkout's file for
  the CLI and for every worker), mail reaches the catcher with links to
  the demo pages, the files are private (0600 in a 0700 folder), the
  workers' log lines are in the error log the banner names, and the admin
  tool of the checkout finds the generated secrets;
- two servers of one checkout on two ports both work, each with its own
  run folder; a port in use is refused in one line, no traceback;
- a server whose health never answers, or whose lighttpd dies, exits
  non-zero with the last lines of the log;
- a DATABASE_PATH whose folder does not exist is said so.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
import unittest

from harness import REPO, APP_PREFIXES, ApiTestCase, unique_email, _free_port

COPY = None      # the copy of the checkout
ELSEWHERE = None  # the directory script/server is started from

IGNORE = {".git", "var", ".env", "build", "node_modules", "autom4te.cache",
          "__pycache__"}


def setUpModule():
    global COPY, ELSEWHERE
    top = tempfile.mkdtemp(prefix="authportal-server-")
    COPY = os.path.join(top, "checkout")
    ELSEWHERE = os.path.join(top, "elsewhere")
    os.makedirs(ELSEWHERE)

    def ignore(_d, names):
        return [n for n in names if n in IGNORE or n.endswith(".tar.gz")]
    shutil.copytree(REPO, COPY, symlinks=True, ignore=ignore)
    # The copy is a build tree of its own (lib/base/paths.h): its mark
    # names it, as make would have written it there.
    mark = os.path.join(COPY, "authportal.build-tree")
    if os.path.exists(mark):
        st = os.stat(mark)
        with open(mark, "w") as f:
            f.write(COPY + "\n")
        os.utime(mark, ns=(st.st_atime_ns, st.st_mtime_ns))
    unittest.addModuleCleanup(shutil.rmtree, top, ignore_errors=True)


def clean_env(**over):
    """The caller's environment without any app setting, plus over."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(APP_PREFIXES) and k not in ("ENV_FILE",)}
    env.update({k: str(v) for k, v in over.items()})
    return env


class Run:
    """script/server of COPY as a child, its output collected by threads."""

    def __init__(self, env, cwd=None, path_prefix=None):
        if path_prefix:
            env = dict(env, PATH=path_prefix + ":" + env.get("PATH", ""))
        self.proc = subprocess.Popen(
            [os.path.join(COPY, "script", "server")], cwd=cwd or ELSEWHERE,
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        self.out, self.err = [], []
        self.threads = [threading.Thread(target=self._read, args=(s, b), daemon=True)
                        for s, b in ((self.proc.stdout, self.out),
                                     (self.proc.stderr, self.err))]
        for t in self.threads:
            t.start()

    @staticmethod
    def _read(stream, into):
        for line in iter(stream.readline, b""):
            into.append(line.decode("utf-8", "replace"))

    def text(self):
        return "".join(self.out) + "".join(self.err)

    def wait_up(self, timeout=120):
        """True once the banner is out; False when it exited first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any("authportal is up" in l for l in self.out):
                return True
            if self.proc.poll() is not None:
                for t in self.threads:
                    t.join(timeout=5)
                return False
            time.sleep(0.1)
        return False

    def wait_exit(self, timeout=120):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return None
        for t in self.threads:
            t.join(timeout=5)
        return rc

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        for t in self.threads:
            t.join(timeout=5)


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def listening_socket():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


class Newcomer(ApiTestCase):
    """cp env-example .env; script/server; and a second one beside it."""

    @classmethod
    def setUpClass(cls):
        shutil.copy(os.path.join(COPY, "env-example"), os.path.join(COPY, ".env"))
        cls.port, cls.mail_port = _free_port(), _free_port()
        cls.srv = Run(clean_env(APP_PORT=cls.port, MAIL_PORT=cls.mail_port))
        cls.addClassCleanup(cls.srv.stop)
        cls.up = cls.srv.wait_up()

    def setUp(self):
        self.assertTrue(self.up, "script/server did not come up:\n" + self.srv.text())

    def test_answers_and_serves_the_seeded_users(self):
        self.assertEqual(request(self.port, "GET", "/api/v1/health"),
                         (200, b'{"status":"ok"}'))
        status, body = request(self.port, "POST", "/api/v1/auth/email/login",
                               {"email": "john.doe@example.com", "password": "secret"})
        self.assertEqual(status, 200, body)

    def test_serves_the_account_pages(self):
        # Issue 11 point 7: the demo of the account pages.
        self.assertIn("account  http://localhost:%d/account/" % self.port,
                      self.srv.text())
        status, body = request(self.port, "GET", "/account/signin")
        self.assertEqual(status, 200, body)
        self.assertIn(b"<h1>Sign in</h1>", body)
        status, _ = request(self.port, "GET", "/account/style.css")
        self.assertEqual(status, 200)

    def test_database_is_the_one_of_env_relative_to_its_folder(self):
        # .env says DATABASE_PATH=var/authportal.db and script/server was
        # started from another directory.
        db = os.path.join(COPY, "var", "authportal.db")
        self.assertTrue(os.path.isfile(db))
        self.assertFalse(os.path.exists(os.path.join(ELSEWHERE, "var")))
        self.assertIn("database %s" % db, self.srv.text())
        email = unique_email("newcomer")
        status, _ = request(self.port, "POST", "/api/v1/auth/email/register",
                            {"email": email, "password": "Newcomer-Pw-1",
                             "firstName": "N", "lastName": "C"})
        self.assertEqual(status, 204)
        c = sqlite3.connect(db, timeout=10)
        try:
            n = c.execute("SELECT count(*) FROM users WHERE email = ?", (email,)).fetchone()[0]
        finally:
            c.close()
        self.assertEqual(n, 1)

    def test_mail_reaches_the_catcher_with_demo_links(self):
        email = unique_email("newmail")
        status, _ = request(self.port, "POST", "/api/v1/auth/email/register",
                            {"email": email, "password": "Newcomer-Pw-2",
                             "firstName": "N", "lastName": "M"})
        self.assertEqual(status, 204)
        maildir = os.path.join(COPY, "var", "mail")
        deadline = time.monotonic() + 20
        found = None
        while time.monotonic() < deadline and found is None:
            for name in sorted(os.listdir(maildir)) if os.path.isdir(maildir) else []:
                with open(os.path.join(maildir, name), "rb") as f:
                    data = f.read()
                if email.encode() in data:
                    found = data
            time.sleep(0.2)
        self.assertIsNotNone(found, "no mail for %s in %s" % (email, maildir))
        self.assertIn(("http://localhost:%d/" % self.port).encode(), found)

    def test_files_are_private(self):
        var = os.path.join(COPY, "var")
        self.assertEqual(mode(var), 0o700)
        for name in ("authportal.db", "authportal.db-wal", "authportal.db-shm",
                     "secrets.env"):
            with self.subTest(name=name):
                self.assertEqual(mode(os.path.join(var, name)), 0o600)

    def test_worker_lines_are_in_the_error_log_of_the_banner(self):
        log = os.path.join(COPY, "var", "run-%d" % self.port, "error.log")
        self.assertIn("log      %s" % log, self.srv.text())
        probe = unique_email("logprobe")
        status, _ = request(self.port, "POST", "/api/v1/auth/email/login",
                            {"email": probe, "password": "Wrong-Pw-123"})
        self.assertEqual(status, 422)
        deadline = time.monotonic() + 10
        text = ""
        while time.monotonic() < deadline:
            with open(log, errors="replace") as f:
                text = f.read()
            if "sign-in failed" in text:
                break
            time.sleep(0.1)
        self.assertRegex(text, r"authportal\[\d+\] info req=\S+ security: sign-in failed")
        self.assertIn("server started", text)   # lighttpd's own lines
        self.assertNotIn("sign-in failed", self.srv.text())

    def test_cli_of_the_checkout_finds_the_generated_secrets(self):
        cp = subprocess.run([os.path.join(COPY, "authportal"), "user", "list"],
                            cwd=COPY, env=clean_env(), capture_output=True,
                            text=True, timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("john.doe@example.com", cp.stdout)

    def test_second_server_on_another_port(self):
        port2 = _free_port()
        hold = None
        try:   # 1025 taken: the second catcher must find another port
            hold = socket.socket()
            hold.bind(("127.0.0.1", 1025))
            hold.listen(1)
        except OSError:
            hold.close()
            hold = None
        second = Run(clean_env(APP_PORT=port2))
        try:
            self.assertTrue(second.wait_up(), second.text())
            for port in (self.port, port2):
                self.assertEqual(request(port, "GET", "/api/v1/health")[0], 200)
                status, _ = request(port, "POST", "/api/v1/auth/email/login",
                                    {"email": "admin@example.com", "password": "secret"})
                self.assertEqual(status, 200)
            m = re.search(r"caught on 127\.0\.0\.1:(\d+)", second.text())
            self.assertIsNotNone(m, second.text())
            self.assertNotEqual(int(m.group(1)), 1025)
            self.assertNotEqual(int(m.group(1)), self.mail_port)
            for port in (self.port, port2):
                conf = os.path.join(COPY, "var", "run-%d" % port, "lighttpd.conf")
                with open(conf) as f:
                    self.assertIn("server.port = %d" % port, f.read())
        finally:
            second.stop()
            if hold is not None:
                hold.close()
        self.assertEqual(request(self.port, "GET", "/api/v1/health")[0], 200)

    def _refused(self, env, *words):
        r = Run(env)
        rc = r.wait_exit(timeout=120)
        text = r.text()
        self.assertNotEqual(rc, 0, text)
        self.assertIsNotNone(rc, text)
        self.assertNotIn("Traceback", text)
        self.assertNotIn("authportal is up", text)
        lines = [l for l in text.splitlines() if l.startswith("server: ")]
        self.assertEqual(len(lines), 1, text)
        for w in words:
            self.assertIn(w, lines[0])
        return lines[0]

    def test_same_port_again_is_refused(self):
        self._refused(clean_env(APP_PORT=self.port), "another script/server",
                      str(self.port))
        self.assertEqual(request(self.port, "GET", "/api/v1/health")[0], 200)

    def test_app_port_taken_by_another_program(self):
        s = listening_socket()
        try:
            port = s.getsockname()[1]
            self._refused(clean_env(APP_PORT=port), "APP_PORT %d is taken" % port)
        finally:
            s.close()

    def test_mail_port_taken(self):
        self._refused(clean_env(APP_PORT=_free_port(), MAIL_PORT=self.mail_port),
                      "MAIL_PORT %d is taken" % self.mail_port)


FAKE_LIGHTTPD = """#!/bin/sh
# A lighttpd that checks nothing and serves nothing.
for a in "$@"; do [ "$a" = -tt ] && exit 0; done
conf=""
while [ $# -gt 0 ]; do [ "$1" = -f ] && conf=$2; shift; done
echo "fake lighttpd: reading $conf" >&2
echo "fake lighttpd: MODE" >&2
if [ MODE = dies ]; then exit 3; fi
exec sleep 600
"""


class Failures(ApiTestCase):
    """A server that does not come up says so and exits non-zero."""

    def _fake(self, kind):
        d = tempfile.mkdtemp(prefix="authportal-fake-")
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        path = os.path.join(d, "lighttpd")
        with open(path, "w") as f:
            f.write(FAKE_LIGHTTPD.replace("MODE", kind))
        os.chmod(path, 0o755)
        return d

    def test_health_never_answers(self):
        port = _free_port()
        r = Run(clean_env(APP_PORT=port, MAIL_PORT=_free_port(),
                          PTL_START_TIMEOUT=3), path_prefix=self._fake("silent"))
        t0 = time.monotonic()
        rc = r.wait_exit(timeout=120)
        text = r.text()
        self.assertNotEqual(rc, 0, text)
        self.assertIsNotNone(rc, text)
        self.assertIn("no answer 200 from http://127.0.0.1:%d/api/v1/health within 3s" % port, text)
        self.assertIn("fake lighttpd: silent", text)   # the end of the log
        self.assertNotIn("authportal is up", text)
        self.assertLess(time.monotonic() - t0, 100)

    def test_lighttpd_dies(self):
        r = Run(clean_env(APP_PORT=_free_port(), MAIL_PORT=_free_port()),
                path_prefix=self._fake("dies"))
        rc = r.wait_exit(timeout=120)
        text = r.text()
        self.assertNotEqual(rc, 0, text)
        self.assertIn("lighttpd exited; the last lines of", text)
        self.assertIn("fake lighttpd: dies", text)
        self.assertNotIn("authportal is up", text)

    def test_database_folder_missing(self):
        r = Run(clean_env(APP_PORT=_free_port(), MAIL_PORT=_free_port(),
                          DATABASE_PATH="no/such/folder/auth.db"))
        rc = r.wait_exit(timeout=120)
        text = r.text()
        self.assertNotEqual(rc, 0, text)
        # Relative in the environment: against the directory it was
        # started from.
        self.assertIn("its folder %s/no/such/folder does not exist" % ELSEWHERE, text)
        self.assertNotIn("authportal is up", text)
