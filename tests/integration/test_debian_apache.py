# SPDX-License-Identifier: ISC
"""Debian's Apache, set up as the README's "Apache (Debian)" recipes say
(issue 10 point 5): a Debian-like /etc/apache2 is built in the temp dir
from the system's own apache2.conf, mods-available/, conf-available/ and
000-default site, with Debian's default modules, configurations and site
enabled (a2enmod, a2enconf, a2ensite with APACHE_CONFDIR pointing there).
Then the lines of the README's recipe run one by one: `sudo` dropped,
/etc/apache2 the temp tree, authportal-conf the build tree's with the
copies of the executables and the test's settings file as its arguments,
`systemctl reload|restart apache2` the start of apache2 on that tree; any
other line fails the test, so that README and test stay in step. The
sandbox changes only what a second Apache on one machine must: Listen on a
loopback port (ports.conf, the site's <VirtualHost>) and the run, lock, log
and fcgid folders in the temp dir (envvars and one sandbox .conf).

Then the Apache requests of test_apache (Authorization, PATCH, DELETE,
preflights, bodies, form posts, the 413s), inside the default site's
<VirtualHost>, so that the snippet is proven where a real server has it.
"""

import os
import re
import shutil
import subprocess
import unittest

from harness import (ApiTestCase, Server, ServerError, APACHE, APP_PREFIXES,
                     REPO, BUILD, apache_user)
from test_apache import _ApacheSuite, FRONTEND

README = os.path.join(REPO, "README.md")
AUTHPORTAL_CONF = os.path.join(BUILD, "authportal-conf")
SYSTEM = "/etc/apache2"
# What Debian's apache2 package enables on a fresh install.
DEBIAN_MODS = ("access_compat alias auth_basic authn_core authn_file "
               "authz_core authz_host authz_user autoindex deflate dir env "
               "filter mime mpm_event negotiation reqtimeout setenvif "
               "status").split()
DEBIAN_CONFS = ("charset localized-error-pages other-vhosts-access-log "
                "security serve-cgi-bin").split()


def recipe(name):
    """The command lines of the README's ```sh block after the marker
    "<!-- recipe: NAME ...".'"""
    with open(README) as f:
        text = f.read()
    m = re.search(r"<!-- recipe: %s\b[^\n]*-->\n```sh\n(.*?)\n```" %
                  re.escape(name), text, re.S)
    if m is None:
        raise AssertionError("README has no recipe %r" % name)
    return [l for l in m.group(1).splitlines() if l.strip()]


class DebianApache(Server):
    """A Server whose Apache is Debian's layout, set up by a recipe."""

    def __init__(self, recipe_name, **kw):
        super().__init__(web="fcgid", **kw)
        self.recipe_name = recipe_name
        self.ran = []

    def _render_apache(self):
        user, group = apache_user()
        etc = os.path.join(self.tmp, "etc", "apache2")
        shutil.rmtree(os.path.join(self.tmp, "etc"), ignore_errors=True)
        state = os.path.join(self.tmp, "apache2-state")
        for d in (etc, state, os.path.join(self.rundir, "lock")):
            os.makedirs(d, exist_ok=True)
        for name in ("apache2.conf", "magic"):
            shutil.copy2(os.path.join(SYSTEM, name), etc)
        for d in ("mods-available", "conf-available"):
            shutil.copytree(os.path.join(SYSTEM, d), os.path.join(etc, d))
        # Only what Debian ships: not an authportal.conf of this machine.
        for leftover in ("authportal.conf",):
            p = os.path.join(etc, "conf-available", leftover)
            if os.path.exists(p):
                os.unlink(p)
        for d in ("mods-enabled", "conf-enabled", "sites-enabled",
                  "sites-available"):
            os.makedirs(os.path.join(etc, d), exist_ok=True)
        with open(os.path.join(SYSTEM, "sites-available", "000-default.conf")) as f:
            site = f.read()
        with open(os.path.join(etc, "sites-available", "000-default.conf"), "w") as f:
            f.write(site.replace("<VirtualHost *:80>",
                                 "<VirtualHost *:%d>" % self.port))
        with open(os.path.join(etc, "ports.conf"), "w") as f:
            f.write("Listen 127.0.0.1:%d\n" % self.port)
        apache_env = {
            "APACHE_RUN_USER": user, "APACHE_RUN_GROUP": group,
            "APACHE_PID_FILE": os.path.join(self.rundir, "apache2.pid"),
            "APACHE_RUN_DIR": self.rundir,
            "APACHE_LOCK_DIR": os.path.join(self.rundir, "lock"),
            "APACHE_LOG_DIR": self.rundir, "LANG": "C",
        }
        with open(os.path.join(etc, "envvars"), "w") as f:
            for k, v in apache_env.items():
                f.write("export %s=%s\n" % (k, v))
        # The sandbox: mod_fcgid's sockets and table in the temp dir, not
        # in /var/lib/apache2 where the machine's own Apache keeps them.
        with open(os.path.join(etc, "conf-available", "zz-sandbox.conf"), "w") as f:
            f.write("<IfModule fcgid_module>\nFcgidIPCDir %s/fcgid\n"
                    "FcgidProcessTableFile %s/fcgid_shm\n</IfModule>\n"
                    % (self.rundir, self.rundir))
        tools_env = {k: v for k, v in os.environ.items()
                     if not k.startswith(APP_PREFIXES)}
        tools_env.update(apache_env, APACHE_CONFDIR=etc,
                         APACHE_STATE_DIRECTORY=state)
        self.tools_env = tools_env
        self._sh("a2enmod -q " + " ".join(DEBIAN_MODS))
        self._sh("a2enconf -q " + " ".join(DEBIAN_CONFS) + " zz-sandbox")
        self._sh("a2ensite -q 000-default")
        env_file = os.path.join(self.tmp, "authportal.env")
        with open(env_file, "w") as f:
            for k, v in sorted(self.env.items()):
                if k.startswith(APP_PREFIXES):
                    f.write("%s=%s\n" % (k, v))
        start = None
        for line in recipe(self.recipe_name):
            cmd = self._translate(line, etc, env_file)
            if cmd == "start":
                start = line
            elif cmd is not None:
                self._sh(cmd)
        if start is None:
            raise ServerError("the recipe never starts Apache")
        if os.geteuid() == 0:
            import grp
            import pwd
            from harness import _chown_tree
            _chown_tree(self.tmp, pwd.getpwnam(user).pw_uid,
                        grp.getgrnam(group).gr_gid)
        self.env.update(apache_env)
        return [APACHE, "-d", etc, "-f", os.path.join(etc, "apache2.conf"),
                "-DFOREGROUND"]

    def _translate(self, line, etc, env_file):
        """A recipe line as run here: None (nothing to do), "start", or a
        shell command."""
        self.ran.append(line)
        words = line.split()
        if words[:2] == ["sudo", "apt-get"]:
            return None     # script/bootstrap --test installs the packages
        if re.fullmatch(r"sudo systemctl (reload|restart) apache2", line):
            return "start"
        if words[0] != "sudo" or not re.match(
                r"sudo (a2enmod|a2dismod|a2enconf|authportal-conf) ", line):
            raise ServerError("a recipe line this test does not know: %r" % line)
        cmd = line.replace("sudo ", "").replace("/etc/apache2", etc)
        cmd = re.sub(r"^authportal-conf (apache-\w+)",
                     lambda m: "%s %s %s %s" % (
                         AUTHPORTAL_CONF, m.group(1),
                         os.path.join(self.tmp, "bin"), env_file), cmd)
        return cmd

    def _sh(self, cmd):
        cp = subprocess.run(["/bin/sh", "-ec", cmd], env=self.tools_env,
                            capture_output=True, text=True, cwd=self.tmp)
        if cp.returncode != 0:
            raise ServerError("%s: %s%s" % (cmd, cp.stdout, cp.stderr))


class _DebianSuite(_ApacheSuite):
    recipe_name = None

    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(SYSTEM):
            raise ServerError("no %s (script/bootstrap --test)" % SYSTEM)
        s = DebianApache(cls.recipe_name, env={"FRONTEND_DOMAIN": FRONTEND})
        s.start()
        cls.addClassCleanup(s.stop)
        cls.S = s

    def test_form_post_and_huge_authorization(self):
        # Debian's Apache keeps its 8 KB header limit (README): a 7 kB
        # token still reaches the app, which answers its JSON 401.
        r = self.S.request("POST", "/api/v1/auth/email/login",
                           body="email=john.doe%40example.com&password=secret",
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "application/json", "Origin": FRONTEND})
        self.assertIn(r.status, (200, 303), r)
        self.assertUnauthorized(self.S.request(
            "GET", "/api/v1/auth/me", headers={"Authorization": "Bearer " + "a" * 7000}))

    def test_recipe_followed(self):
        # Every line of the recipe was run, Apache's start last.
        self.assertEqual(self.S.ran, recipe(self.recipe_name))
        self.assertRegex(self.S.ran[-1], r"systemctl (reload|restart) apache2")

    def test_only_api_changed(self):
        # The default site's own page is Debian's, untouched by the snippet.
        r = self.S.request("GET", "/")
        self.assertStatus(r, 200)
        self.assertNotIn("x-request-id", r.headers)
        r = self.S.request("GET", "/apinot")
        self.assertStatus(r, 404)
        self.assertTrue(r.headers.get("content-type", "").startswith("text/html"), r.headers)

    def test_apache_own_413_in_json(self):
        # A declared body over 1 MiB: Apache's 413 (the rewrite in the
        # snippet, inherited by the <VirtualHost>), in JSON with headers.
        r = self.S.request("POST", "/api/v1/auth/email/login",
                           raw=b"POST /api/v1/auth/email/login HTTP/1.1\r\n"
                               b"Host: x\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 2000000\r\nConnection: close\r\n\r\n{}",
                           record=False)
        self.assertStatus(r, 413)
        self.assertEqual(r.body, b'{"statusCode":413,"message":"request entity too large"}')
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)


class DebianApacheFcgid(_DebianSuite, ApiTestCase):
    kind = "fcgid"
    recipe_name = "apache-fcgid"


class DebianApacheCgi(_DebianSuite, ApiTestCase):
    kind = "cgi"
    recipe_name = "apache-cgi"


if __name__ == "__main__":
    unittest.main()
