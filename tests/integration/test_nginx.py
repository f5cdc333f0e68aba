# SPDX-License-Identifier: ISC
"""nginx and systemd (issue 10 points 6 and 7).

NginxSuite: the Apache requests of test_apache (Authorization, PATCH,
DELETE, preflights, bodies, form posts, 413) and the server's own answers
of test_static (JSON bodies and security headers on nginx's pages and
errors) against Server(web="nginx"): nginx/authportal.conf.in, its workers
on Unix sockets started by tests/tools/fcgi_spawn.py as systemd's socket
units start them. (script/test also runs the whole suite behind nginx.)

SpawnFcgiRecipe: the README's "nginx without systemd" lines, run with the
temp dir in place of /run, /var/log and the installed executables, and
www-data in place of the authportal account: spawn-fcgi's workers answer
behind nginx and their log lines reach workers.log.

SystemdUnits: systemd-analyze verify on the units of systemd/ (made for
the build tree's programs) says nothing; they name the sockets the nginx
site uses and every executable of the build.

Routes: every shipped configuration routes the same paths to the same
executables as lighttpd/lighttpd.conf.in.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import (ApiTestCase, Server, ServerError, EXECUTABLES, NGINX,
                     NGINX_CONF, REPO, BUILD, DEMO_USER, DEMO_PASSWORD,
                     apache_user, _chown_tree)
from test_apache import _ApacheSuite, FRONTEND
from test_static import StaticAnswers
from test_debian_apache import AUTHPORTAL_CONF, README

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


class NginxSuite(_ApacheSuite, StaticAnswers, ApiTestCase):
    kind = "nginx"

    def test_worker_ended_is_replaced(self):
        # A worker that ends is started again (Restart=always), and the
        # requests meanwhile get nginx's JSON 502 at worst, never a hang.
        pids = [p for p in self.S.session_pids()
                if os.path.basename(os.readlink("/proc/%d/exe" % p)) == "health"]
        self.assertTrue(pids)
        for p in pids:
            os.kill(p, 9)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = self.S.request("GET", "/api/v1/health", record=False)
            if r.status == 200:
                break
            self.assertEqual(r.status, 502, r)
            self.assertJsonCT(r)
            time.sleep(0.05)
        self.assertStatus(r, 200)
        self.assertIn("child signalled: 9", self.S.error_log())


def readme_block(after):
    """The ```sh block of the README that follows the heading `after`."""
    with open(README) as f:
        text = f.read()
    m = re.search(r"^### %s\n.*?```sh\n(.*?)\n```" % re.escape(after), text,
                  re.S | re.M)
    if m is None:
        raise AssertionError("README has no sh block under %r" % after)
    return m.group(1)


class SpawnFcgiServer(Server):
    """nginx from the standalone configuration, its workers started by the
    README's spawn-fcgi lines (which daemonize them: stop() finds them by
    their environment, as it does Apache's)."""

    def __init__(self, **kw):
        super().__init__(web="nginx", **kw)

    def _render_nginx(self):
        user, group = apache_user()
        run = os.path.join(self.tmp, "run-authportal")
        log = os.path.join(self.tmp, "log-authportal")
        bindir = os.path.join(self.tmp, "bin")
        shutil.rmtree(run, ignore_errors=True)
        script = readme_block("nginx without systemd (spawn-fcgi)")
        lines = []
        for line in script.splitlines():
            if line.startswith("sudo apt-get "):
                continue    # script/bootstrap --test installs them
            lines.append(line)
        script = "\n".join(lines)
        script = (script.replace("sudo ", "")
                  .replace("/run/authportal", run)
                  .replace("/var/log/authportal", log)
                  .replace("/usr/libexec/authportal/cgi-bin", bindir)
                  .replace("-o authportal", "-o " + user)
                  .replace("-g adm", "-g " + group)
                  .replace("-u authportal -g authportal",
                           "-u %s -g %s" % (user, group)))
        if os.geteuid() != 0:   # only root may change users
            script = re.sub(r" -[oguUG] \S+", "", script)
        self.log_file = os.path.join(log, "workers.log")
        conf = self._render(
            [AUTHPORTAL_CONF, "nginx", "127.0.0.1:%d" % self.port, run,
             os.path.join(self.tmp, "www"), self.rundir], "nginx.conf")
        if os.geteuid() == 0:
            _chown_tree(self.tmp, *_ids(user, group))
        cp = subprocess.run(["/bin/bash", "-ec", script], env=self.env,
                            capture_output=True, text=True, cwd=self.tmp)
        if cp.returncode != 0:
            raise ServerError("the spawn-fcgi lines failed: %s%s" % (
                cp.stdout, cp.stderr))
        self.script = script
        return [NGINX, "-p", self.rundir, "-c", conf, "-e",
                os.path.join(self.rundir, "error.log"), "-g", "daemon off;"]


def _ids(user, group):
    import grp
    import pwd
    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


class SpawnFcgiRecipe(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("spawn-fcgi") is None:
            raise ServerError("no spawn-fcgi (script/bootstrap --test)")
        cls.S = SpawnFcgiServer(env={"FRONTEND_DOMAIN": FRONTEND})
        cls.S.start()
        cls.addClassCleanup(cls.S.stop)

    def test_api_behind_spawn_fcgi(self):
        b = self.S.login_ok(DEMO_USER, DEMO_PASSWORD)
        r = self.S.me(b["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], DEMO_USER)
        r = self.S.request("PATCH", "/api/v1/auth/me", json_body={"firstName": "Spawn"},
                           headers=self.S.auth_headers(b["token"]))
        self.assertStatus(r, 200)
        self.assertBody(self.S.logout(b["token"]), 204, b"")

    def test_workers_log_to_their_file(self):
        # A failed sign-in is a security line of the login worker.
        self.assertStatus(self.S.login(DEMO_USER, "wrong-password"), 422)
        deadline = time.monotonic() + 5
        text = ""
        while time.monotonic() < deadline:
            with open(self.S.log_file, errors="replace") as f:
                text = f.read()
            if "security" in text:
                break
            time.sleep(0.05)
        self.assertIn("security", text)

    def test_two_workers_per_executable(self):
        names = []
        for pid in self.S.session_pids():
            try:
                names.append(os.path.basename(os.readlink("/proc/%d/exe" % pid)))
            except OSError:
                pass
        for exe in EXECUTABLES:
            self.assertEqual(names.count(exe), 2, (exe, names))


UNIT_TEMPLATES = os.path.join(REPO, "systemd")


class SystemdUnits(unittest.TestCase):
    def units(self, tmp):
        """The units of systemd/, made for the build tree's programs, the
        templates also as instances for each executable."""
        sockets = " ".join("authportal@%s.socket" % e for e in EXECUTABLES)
        subst = {"@cgibindir@": os.path.join(BUILD, "cgi-bin"),
                 "@bindir@": BUILD, "@pkgsysconfdir@": tmp,
                 "@pkgstatedir@": tmp, "@sockets@": sockets}
        files = []
        for name in sorted(os.listdir(UNIT_TEMPLATES)):
            if not name.endswith(".in"):
                continue
            with open(os.path.join(UNIT_TEMPLATES, name)) as f:
                text = f.read()
            for k, v in subst.items():
                text = text.replace(k, v)
            self.assertNotIn("@", text.replace("authportal@", ""), name)
            names = [name[:-3]]
            if "@." in name:
                names = [name[:-3].replace("@.", "@%s." % e) for e in EXECUTABLES]
            for n in names:
                with open(os.path.join(tmp, n), "w") as f:
                    f.write(text)
                files.append(os.path.join(tmp, n))
        return files

    @unittest.skipIf(SYSTEMD_ANALYZE is None, "no systemd-analyze")
    def test_systemd_analyze_verify(self):
        with tempfile.TemporaryDirectory() as tmp:
            files = self.units(tmp)
            cp = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no"] + files,
                                capture_output=True, text=True)
            said = [l for l in (cp.stdout + cp.stderr).splitlines()
                    if tmp in l or "authportal" in l]
            self.assertEqual((cp.returncode, said), (0, []))

    def test_units_match_the_nginx_site(self):
        with open(os.path.join(UNIT_TEMPLATES, "authportal@.socket.in")) as f:
            sock = f.read()
        self.assertIn("ListenStream=/run/authportal/%i.sock", sock)
        site = subprocess.run([AUTHPORTAL_CONF, "nginx"], capture_output=True,
                              text=True, check=True).stdout
        for exe in EXECUTABLES:
            self.assertIn("fastcgi_pass unix:/run/authportal/%s.sock;" % exe, site)
        with open(os.path.join(BUILD, "systemd", "authportal.target")) as f:
            target = f.read()
        for exe in EXECUTABLES:
            self.assertIn("authportal@%s.socket" % exe, target)


def _routes_lighttpd():
    with open(os.path.join(REPO, "lighttpd", "lighttpd.conf.in")) as f:
        text = f.read()
    return re.findall(r'\$HTTP\["url"\] =~ "([^"]+)" \{\s*fastcgi\.server.*?'
                      r'"bin-path" => "@BINDIR@/(\w+)"', text, re.S)


class Routes(unittest.TestCase):
    def test_every_configuration_routes_alike(self):
        want = _routes_lighttpd()
        self.assertEqual(len(want), len(EXECUTABLES))
        with open(os.path.join(REPO, "nginx", "authportal.conf.in")) as f:
            nginx = re.findall(r"location (~\*?) (\S+) \{\s*fastcgi_pass "
                               r"unix:@SOCKDIR@/(\w+)\.sock;", f.read())
        self.assertEqual([("(?i)" if op == "~*" else "") + rx + "|" + exe
                          for op, rx, exe in nginx],
                         [rx + "|" + exe for rx, exe in want])
        for name in ("authportal-fcgid.conf.in", "authportal-cgi.conf.in",
                     "conf-available/authportal.conf.in",
                     "conf-available/authportal-cgi.conf.in"):
            with self.subTest(name=name):
                with open(os.path.join(REPO, "apache", name)) as f:
                    got = re.findall(r'^AliasMatch "([^"]+)" "@BINDIR@/(\w+)"',
                                     f.read(), re.M)
                # Apache's catch-all is ^/api(/.*)?$, lighttpd's ^/api(/|$).
                self.assertEqual([e for _r, e in got], [e for _r, e in want])
                self.assertEqual([r for r, _e in got][:-1], [r for r, _e in want][:-1])


if __name__ == "__main__":
    unittest.main()
