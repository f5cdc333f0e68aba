# SPDX-License-Identifier: ISC
"""The shared-host bundle (issue 10 point 8): `make bundle` writes
authportal-shared-host-VERSION.tar.gz, and this suite deploys it as its
README.txt says, on a real Apache httpd with mod_cgi only (no mod_fcgid),
as on the cheapest host:

  1. the contents of its htdocs/ unpacked into a fresh document root
     (apache/authportal-htaccess.conf.in: "AllowOverride All", nothing
     authportal-specific in the server's configuration);
  2. its authportal.env filled in, outside the document root, and named in
     the .htaccess (SetEnv ENV_FILE); the database path in a folder of its
     own that does not hold the database yet;
  3. the site opened: the first request creates and migrates the database.

Apache runs in a mount namespace of its own (unshare -m; the tests run as
root). Once it has started (its own libraries are mapped by then), /usr/lib
is replaced there by a folder that holds only glibc's own libraries (the
files of Debian's libc6 package) and /usr/local by an empty one, so every
CGI program Apache starts can load nothing but glibc from the system: any
other library must come from the bundle's lib/ (DT_RPATH $ORIGIN/lib), the
libcurl that the first mail dlopen()s included. An empty LD_LIBRARY_PATH
would prove nothing: the loader would still find the system's copies.

What each class proves (the sub-points of point 8):

  BundleContents     the tarball: its file list, the settings template
                     with no secret in it, the executables' DT_RPATH, lib/
                     holding exactly the non-glibc libraries they load
  BundleLibraries    ld.so --list in the namespace: every library of every
                     executable, libcurl's own included, resolves in the
                     bundle or to glibc's own; the build's executables
                     (no DT_RPATH) cannot even start there
  BundleSite         the API on the bundle in the namespace: the
                     representative requests of test_apache (register,
                     login, me, refresh and its replay, sessions, logout,
                     preflights, 413, form posts), Apache's own answers
                     (test_static), a mail through the SMTP catcher
                     rendered from the bundle's templates, confirmed by
                     its link, and the bundled admin tool (seed,
                     check-config) run as the web server's user there
  BundleDenies       the database, the settings file and the mail (the
                     templates, caught mail) put under the document root
                     are never served: 403 or 404, never their bytes
"""

import os
import pwd
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

from harness import (APP_PREFIXES, BUILD, DB_ENGINE, DEMO_USER, EXECUTABLES,
                     ApiTestCase, Server, ServerError, apache_user, sqlite_only,
                     unique_email)

# The shared host's deployment: one SQLite file beside the site.
BUNDLE_ONLY_SQLITE = "the shared-host bundle with its SQLite file"
from test_apache import FRONTEND, _ApacheSuite
from test_static import BAD_REQUEST, StaticAnswers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
import mailcatch  # noqa: E402

NSENTER = shutil.which("nsenter") or "/usr/bin/nsenter"
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
CLI_NAME = "authportal"
BUNDLED = tuple(EXECUTABLES) + (CLI_NAME,)
CURL_SONAME = "libcurl.so.4"    # PTL_CURL_SONAME of lib/adapters/smtp.c
CONFIRM_URL = re.compile(r"^" + re.escape(FRONTEND) +
                         r"/confirm-email\?hash=([A-Za-z0-9_.-]+)$")
# A line of `ld.so --list`: "soname => path (0x...)" or "soname => not found".
LIST_LINE = re.compile(r"^\s*(\S+) => (.*?)(?: \(0x[0-9a-f]+\))?$")
# The settings of the template that the test does not take from Server.env:
# the catcher takes no login.
SETTINGS_OVERRIDES = {"NODE_ENV": "production", "MAIL_USER": "",
                      "MAIL_PASSWORD": ""}

_bundle = None


def make_bundle():
    """`make bundle` in the build tree, once per run; returns the path of
    the tarball, moved into a temp dir of its own (so that the build tree
    keeps only the distribution tarball that script/test unpacks)."""
    global _bundle
    if _bundle is not None:
        return _bundle
    cp = subprocess.run(["make", "-s", "-C", BUILD, "bundle"],
                        capture_output=True, text=True, timeout=600)
    m = re.search(r"^bundle: (\S+\.tar\.gz)$", cp.stdout, re.M)
    if cp.returncode != 0 or m is None:
        raise ServerError("make bundle failed (%d):\n%s%s" % (
            cp.returncode, cp.stdout, cp.stderr))
    keep = tempfile.mkdtemp(prefix="authportal-bundle-")
    unittest.addModuleCleanup(shutil.rmtree, keep, True)
    _bundle = os.path.join(keep, m.group(1))
    shutil.move(os.path.join(BUILD, m.group(1)), _bundle)
    return _bundle


def bundle_name(tarball):
    return os.path.basename(tarball)[:-len(".tar.gz")]


def interpreter(path):
    """PT_INTERP of an ELF64 executable: the dynamic loader it names."""
    with open(path, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        off = phoff + i * phentsize
        p_type, = struct.unpack_from("<I", data, off)
        if p_type == 3:
            p_offset, = struct.unpack_from("<Q", data, off + 8)
            p_filesz, = struct.unpack_from("<Q", data, off + 32)
            return data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    raise AssertionError("no PT_INTERP in " + path)


def glibc_files():
    """{real path: path under the library folder} of every file of
    Debian's libc6 package (glibc's own libraries, gconv modules) in the
    folder of the dynamic loader, and that folder."""
    libdir = os.path.dirname(os.path.realpath(interpreter(
        os.path.join(BUILD, "cgi-bin", "health"))))
    cp = subprocess.run(["dpkg", "-L", "libc6"], capture_output=True,
                        text=True, check=True)
    out = {}
    for p in cp.stdout.split():
        real = os.path.realpath(p)
        if real.startswith(libdir + "/") and os.path.isfile(real):
            out[real] = os.path.relpath(real, libdir)
    return out, libdir


def is_glibc(soname):
    """The names script/bundle leaves to the host (its is_glibc)."""
    return re.match(r"^(ld-linux.*|linux-vdso|libc|libm|libmvec|libdl|"
                    r"libpthread|librt|libresolv|libutil|libanl|libnss_\w+|"
                    r"libBrokenLocale|libthread_db|libc_malloc_debug)\.so\.|"
                    r"^libnsl\.so\.1$", soname) is not None


class BundleServer(Server):
    """A Server (web="htaccess", the SMTP catcher) whose document root is
    the bundle's htdocs/ and whose settings are the bundle's template filled
    in; Apache in a mount namespace of its own (hide_libraries())."""

    def __init__(self, tarball, **kw):
        super().__init__(web="htaccess", smtp="catcher", engine="sqlite", **kw)
        self.tarball = tarball
        self.site = None
        self.settings = None
        self.hidden = False

    def _make_site(self):
        up = os.path.join(self.tmp, "upload")
        shutil.rmtree(up, ignore_errors=True)
        with tarfile.open(self.tarball) as t:
            t.extractall(up)
        top = os.path.join(up, bundle_name(self.tarball))
        site = os.path.join(self.tmp, "site")
        shutil.rmtree(site, ignore_errors=True)
        shutil.move(os.path.join(top, "htdocs"), site)
        self.site = site
        # Step 2: the settings outside the document root, the database in
        # a folder of its own (created by the first request).
        private = os.path.join(self.tmp, "private")
        os.makedirs(private, exist_ok=True)
        self.db_path = os.path.join(private, "authportal.db")
        values = {k: v for k, v in self.env.items()
                  if k.startswith(APP_PREFIXES) and k != "MAIL_TEMPLATE_DIR"}
        values.update(SETTINGS_OVERRIDES, DATABASE_PATH=self.db_path)
        self.settings = os.path.join(self.tmp, "authportal.env")
        with open(os.path.join(top, "authportal.env")) as f:
            template = f.read()
        with open(self.settings, "w") as f:
            f.write(fill_settings(template, values))
        # ... named in the .htaccess; the preflights' origin is the site's.
        path = os.path.join(site, ".htaccess")
        with open(path) as f:
            text = f.read()
        line = "SetEnv ENV_FILE /home/USER/authportal.env\n"
        if line not in text:
            raise ServerError("the bundle's .htaccess lacks " + line)
        text = text.replace(line, "SetEnv ENV_FILE %s\n" % self.settings)
        text = text.replace("'https://app.example.com'", "'%s'" % FRONTEND)
        with open(path, "w") as f:
            f.write(text)
        # A mark in the bundle's template: the mail shows which was used.
        tpl = os.path.join(site, "mail", "activation.html")
        with open(tpl) as f:
            text = f.read()
        with open(tpl, "w") as f:
            f.write(text.replace("<h1 ", "<h1 data-from=\"bundle\" ", 1))
        return site

    def _render_apache(self):
        if os.geteuid() != 0:
            raise ServerError("test_bundle needs root (unshare -m)")
        return [UNSHARE, "--mount", "--propagation", "private", "--"] + \
            super()._render_apache()

    def in_namespace(self, argv, as_web_user=False, env=None, timeout=60):
        """Runs argv in Apache's mount namespace (nsenter), as root or as
        the user of Apache's children; returns the CompletedProcess."""
        cmd = [NSENTER, "-t", str(self.server_pid), "-m"]
        if as_web_user:
            pw = pwd.getpwnam(apache_user()[0])
            cmd += ["-S", str(pw.pw_uid), "-G", str(pw.pw_gid)]
        return subprocess.run(cmd + ["--"] + list(argv), capture_output=True,
                              text=True, env=env, cwd="/", timeout=timeout)

    def hide_libraries(self):
        """Replaces /usr/lib (in Apache's namespace only) by a folder with
        glibc's own files in the loader's folder and nothing else, and
        /usr/local by an empty folder. One mount at a time, /usr/lib last:
        after it no program but those of glibc and the bundle can start."""
        files, libdir = glibc_files()
        if not libdir.startswith("/usr/lib/"):
            raise ServerError("the loader's folder %s is not under /usr/lib"
                              % libdir)
        hide = os.path.join(self.tmp, "hide")
        usrlib = os.path.join(hide, "usrlib")
        target = os.path.join(usrlib, os.path.relpath(libdir, "/usr/lib"))
        for real, rel in files.items():
            dst = os.path.join(target, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(real, dst)
        empty = os.path.join(hide, "empty")
        os.makedirs(empty)
        for d in [hide] + [os.path.join(r, n) for r, ds, _ in os.walk(hide)
                           for n in ds]:
            os.chmod(d, 0o755)
        cp = self.in_namespace(["sh", "-c", 'mount --bind "$1" /usr/local && '
                                'mount --bind "$2" /usr/lib', "sh", empty,
                                usrlib])
        if cp.returncode != 0:
            raise ServerError("hiding the libraries failed: " + cp.stderr)
        self.hidden = True
        self.glibc = {os.path.join(libdir, rel) for rel in files.values()}


def fill_settings(template, values):
    """The template with the value of each KEY=... line that values names
    replaced, and the rest of values appended."""
    out, seen = [], set()
    for line in template.splitlines():
        m = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if m and m.group(1) in values:
            line = "%s=%s" % (m.group(1), values[m.group(1)])
            seen.add(m.group(1))
        out.append(line)
    out += ["%s=%s" % (k, v) for k, v in sorted(values.items())
            if k not in seen]
    return "\n".join(out) + "\n"


@sqlite_only(BUNDLE_ONLY_SQLITE)
class BundleContents(unittest.TestCase):
    """The tarball as `make bundle` writes it."""

    @classmethod
    def setUpClass(cls):
        cls.tarball = make_bundle()
        cls.name = bundle_name(cls.tarball)
        cls.tmp = tempfile.mkdtemp(prefix="authportal-bundle-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        with tarfile.open(cls.tarball) as t:
            cls.members = {m.name: m for m in t.getmembers()}
            t.extractall(cls.tmp)
        cls.top = os.path.join(cls.tmp, cls.name)
        cls.htdocs = os.path.join(cls.top, "htdocs")

    def test_name_and_layout(self):
        self.assertRegex(self.name, r"^authportal-shared-host-\d+\.\d+\.\d+")
        top = sorted(os.listdir(self.top))
        self.assertEqual(top, ["README.txt", "authportal.env", "env-example",
                               "htdocs"])
        for exe in BUNDLED:
            m = self.members["%s/htdocs/%s" % (self.name, exe)]
            self.assertTrue(m.isfile(), exe)
            self.assertEqual(m.mode & 0o777, 0o755, exe)
        for f in (".htaccess", "lib/.htaccess", "mail/.htaccess", "index.html",
                  "style.css", "confirm-email/index.html",
                  "confirm-new-email/index.html", "password-change/index.html",
                  "mail/activation.html", "mail/confirm-new-email.html",
                  "mail/reset-password.html"):
            self.assertIn("%s/htdocs/%s" % (self.name, f), self.members)
        for name, m in self.members.items():
            self.assertEqual((m.uid, m.gid), (0, 0), name)
            self.assertFalse(m.issym() or m.islnk(), name)

    def test_htaccess_names_settings_and_templates(self):
        with open(os.path.join(self.htdocs, ".htaccess")) as f:
            text = f.read()
        self.assertIn("\nSetEnv ENV_FILE /home/USER/authportal.env\n", text)
        self.assertIn("\nSetEnv MAIL_TEMPLATE_DIR mail\n", text)
        for d in ("lib", "mail"):
            with open(os.path.join(self.htdocs, d, ".htaccess")) as f:
                self.assertIn("Require all denied", f.read())

    def test_settings_template_holds_no_secret(self):
        with open(os.path.join(self.top, "authportal.env")) as f:
            lines = [l for l in f.read().splitlines() if l and l[0] != "#"]
        settings = dict(l.split("=", 1) for l in lines)
        for k in ("AUTH_JWT_SECRET", "AUTH_REFRESH_SECRET",
                  "AUTH_FORGOT_SECRET", "AUTH_CONFIRM_EMAIL_SECRET",
                  "MAIL_PASSWORD"):
            self.assertEqual(settings.get(k), "", k)
        self.assertEqual(settings["NODE_ENV"], "production")
        self.assertTrue(settings["DATABASE_PATH"].startswith("/"))
        self.assertNotIn("MAIL_TEMPLATE_DIR", settings)

    def test_readme_three_steps(self):
        with open(os.path.join(self.top, "README.txt")) as f:
            text = f.read()
        self.assertIn(self.name[len("authportal-shared-host-"):], text)
        self.assertRegex(text, r"glibc \d+\.\d+ or newer")
        for step in (" 1. Upload", " 2. Put authportal.env outside",
                     " 3. Open"):
            self.assertIn(step, text)

    def test_rpath_and_lib_holds_what_they_load(self):
        lib = os.path.join(self.htdocs, "lib")
        shipped = {n for n in os.listdir(lib) if n != ".htaccess"}
        self.assertIn(CURL_SONAME, shipped)
        self.assertEqual([n for n in shipped if is_glibc(n)], [])
        loaded = set()
        for exe in BUNDLED:
            path = os.path.join(self.htdocs, exe)
            cp = subprocess.run(["readelf", "-d", path], capture_output=True,
                                text=True, check=True)
            self.assertIn("(RPATH)              Library rpath: [$ORIGIN/lib]",
                          cp.stdout, exe)
            self.assertNotIn("(RUNPATH)", cp.stdout, exe)
            for soname, where in ld_list(["/usr/bin/env"], path):
                if not is_glibc(soname):
                    self.assertEqual(where, os.path.join(
                        os.path.realpath(lib), soname), exe)
                    loaded.add(soname)
        self.assertEqual(shipped, loaded)


def ld_list(prefix, exe, preload=CURL_SONAME):
    """[(soname, resolved path or "not found")] of `LOADER --list --preload
    libcurl.so.4 EXE`, run through prefix (env, or nsenter into a
    namespace): what exe loads and what its first mail dlopen()s."""
    cp = subprocess.run(prefix + [interpreter(exe), "--list", "--preload",
                                  preload, exe],
                        capture_output=True, text=True, timeout=60)
    if cp.returncode != 0:
        raise AssertionError("%s --list %s: %s%s" % (
            interpreter(exe), exe, cp.stdout, cp.stderr))
    out = []
    for line in cp.stdout.splitlines():
        m = LIST_LINE.match(line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def mails_to(server, address, timeout=10.0):
    """The caught mails to address, once there is one (or timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        msgs = mailcatch.messages_to(server.mail_dir, address)
        if msgs or time.monotonic() >= deadline:
            return msgs
        time.sleep(0.05)


class _BundleServed:
    """The bundle deployed on Apache, once for the module (setUpModule)."""

    S = None

    @classmethod
    def setUpClass(cls):
        cls.S = S


S = None


def setUpModule():
    """The bundle deployed (BundleServer), the libraries hidden, and the
    demo users added by the bundle's own admin tool."""
    global S
    if DB_ENGINE == "postgres":
        return          # every class is sqlite_only
    s = BundleServer(make_bundle(), env={"FRONTEND_DOMAIN": FRONTEND})
    s.start()
    unittest.addModuleCleanup(s.stop)
    s.hide_libraries()
    # The admin tool of the bundle, as the web server's user would run it
    # on the host: the demo users of test_apache's requests.
    cp = s.in_namespace([os.path.join(s.site, CLI_NAME), "seed"],
                        as_web_user=True, env={"ENV_FILE": s.settings})
    if cp.returncode != 0:
        raise ServerError("bundled authportal seed failed (%d): %s%s" % (
            cp.returncode, cp.stdout, cp.stderr))
    S = s


@sqlite_only(BUNDLE_ONLY_SQLITE)
class BundleLibraries(_BundleServed, ApiTestCase):
    """What the programs load where the host has glibc and nothing else."""

    def test_every_library_from_the_bundle_or_glibc(self):
        lib = os.path.realpath(os.path.join(self.S.site, "lib"))
        prefix = [NSENTER, "-t", str(self.S.server_pid), "-m", "--"]
        for exe in BUNDLED:
            with self.subTest(exe=exe):
                seen = ld_list(prefix, os.path.join(self.S.site, exe))
                names = [n for n, _ in seen]
                self.assertIn(CURL_SONAME, names)
                self.assertIn("libsqlite3.so.0", names)
                for soname, where in seen:
                    self.assertNotEqual(where, "not found", soname)
                    if os.path.dirname(os.path.realpath(where)) == lib:
                        continue
                    self.assertIn(os.path.realpath(where), self.S.glibc,
                                  soname)
                    self.assertTrue(is_glibc(soname), soname)

    def test_the_system_libraries_are_hidden(self):
        # The build's own executables (no DT_RPATH) cannot start there: the
        # namespace really holds glibc alone.
        exe = os.path.join(BUILD, "cgi-bin", "health")
        cp = subprocess.run([NSENTER, "-t", str(self.S.server_pid), "-m",
                             "--", interpreter(exe), "--list", exe],
                            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertIn("cannot open shared object file", cp.stderr)
        # Nor can anything else of the system's, the shell's tools included.
        cp = self.S.in_namespace(["sh", "-c", "ls /usr/lib"])
        self.assertNotEqual(cp.returncode, 0, cp.stdout)


@sqlite_only(BUNDLE_ONLY_SQLITE)
class BundleSite(_BundleServed, _ApacheSuite, StaticAnswers, ApiTestCase):
    """The API, the pages and the mail of the bundle, glibc alone below."""

    LONG_HEADER = (400, BAD_REQUEST)
    EARLY_COVERED = False   # as ApacheHtaccess: a .htaccess is read late

    def test_database_created_by_the_first_request(self):
        st = os.stat(self.S.db_path)
        self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, apache_user()[0])
        cp = self.S.in_namespace([os.path.join(self.S.site, CLI_NAME),
                                  "check-config"], as_web_user=True,
                                 env={"ENV_FILE": self.S.settings})
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)

    def test_mail_through_the_catcher_from_the_bundle(self):
        # The first mail of each process dlopen()s libcurl: only the
        # bundle's copy (and its own libraries) can be found.
        addr = unique_email("bundle")
        self.assertBody(self.S.register(addr), 204, b"")
        mine = mails_to(self.S, addr)
        self.assertEqual(len(mine), 1, mine)
        self.assertIn('<h1 data-from="bundle" ',
                      mailcatch.html_part(mine[0]))
        url = mailcatch.find_link(mine[0])
        m = CONFIRM_URL.match(url)
        self.assertIsNotNone(m, url)
        r = self.S.request("POST", "/api/v1/auth/email/confirm",
                           json_body={"hash": m.group(1)})
        self.assertBody(r, 204, b"")
        user = self.S.login_ok(addr)["user"]
        self.assertEqual(user["status"]["id"], 1)
        self.assertNotIn("cannot load", self.S.error_log())

    def test_pages_of_the_bundle(self):
        for page in ("/", "/style.css", "/confirm-email/",
                     "/password-change/"):
            with self.subTest(page=page):
                self.assertStatus(self.S.request("GET", page), 200)

    def test_account_pages_of_the_bundle(self):
        # cgi-bin/pages finds its templates beside it (lib/base/paths.h).
        r = self.S.request("GET", "/account/signin")
        self.assertStatus(r, 200)
        self.assertIn(b"<h1>Sign in</h1>", r.body)
        self.assertEqual(r.headers.get("content-type"), "text/html; charset=utf-8")
        r = self.S.request("GET", "/account/me")
        self.assertEqual(r.status, 303, "the pages, not the account executable")
        self.assertStatus(self.S.request("GET", "/account-pages/templates/layout.html"), 403)

    def test_executables_not_reachable_directly(self):
        for path in ("/login", "/health", "/health/x", "/verify/me",
                     "/" + CLI_NAME, "/.htaccess", "/lib/.htaccess"):
            with self.subTest(path=path):
                r = self.S.request("GET", path)
                self.assertIn(r.status, (403, 404), r)
                self.assertNotIn(b"\x7fELF", r.body)


@sqlite_only(BUNDLE_ONLY_SQLITE)
class BundleDenies(_BundleServed, ApiTestCase):
    """The database, the settings and the mail, put under the document
    root by mistake, are never served."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        site = cls.S.site
        # A live database (a sign-up has written to it) and its mail.
        with open(cls.S.settings, "rb") as f:
            settings = f.read()
        with open(cls.S.db_path, "rb") as f:
            db = f.read()
        try:
            with open(cls.S.db_path + "-wal", "rb") as f:
                wal = f.read()
        except FileNotFoundError:
            wal = b""
        addr = cls.S.new_user("denies")
        eml = mails_to(cls.S, addr)[0].filename
        with open(os.path.join(cls.S.mail_dir, eml), "rb") as f:
            mail = f.read()
        cls.planted = {
            "/authportal.env": settings,
            "/.env": settings,
            "/config/authportal.env": settings,
            "/authportal.env.bak": settings,
            "/secrets.env": settings,
            "/authportal.db": db,
            "/authportal.db-wal": wal or db,
            "/authportal.db-shm": db,
            "/authportal.db-journal": db,
            "/authportal.db.bak": db,
            "/data/users.sqlite3": db,
            "/data/users.sqlite": db,
            "/var/authportal.db": db,
            "/var/secrets.env": settings,
            "/var/mail/%s" % eml: mail,
            "/mail/%s" % eml: mail,
            "/caught.eml": mail,
            "/var/error.log": settings,
        }
        for path, data in cls.planted.items():
            dst = site + path
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(data)
            os.chmod(dst, 0o644)
        with open(os.path.join(site, "mail", "activation.html"), "rb") as f:
            cls.planted["/mail/activation.html"] = f.read()
        with open(os.path.join(site, "lib", "libsqlite3.so.0"), "rb") as f:
            cls.planted["/lib/libsqlite3.so.0"] = f.read()[:4096]

    def assertNotServed(self, method, path, data):
        r = self.S.request(method, path)
        self.assertIn(r.status, (403, 404), "%s %s: %r" % (method, path, r))
        self.assertJsonCT(r)
        chunk = data[:64] if data else b""
        if chunk:
            self.assertNotIn(chunk, r.body)
        for secret in (self.S.env["AUTH_JWT_SECRET"],
                       self.S.env["AUTH_REFRESH_SECRET"]):
            self.assertNotIn(secret.encode(), r.body)
        self.assertNotIn(b"SQLite format 3", r.body)

    def test_planted_files_are_not_served(self):
        for path, data in sorted(self.planted.items()):
            for method in ("GET", "HEAD"):
                with self.subTest(method=method, path=path):
                    self.assertNotServed(method, path, data)

    def test_spellings_of_the_same_files(self):
        settings = self.planted["/authportal.env"]
        for path in ("/authportal%2Eenv", "/%2eenv", "/./authportal.env",
                     "//authportal.env", "/index.html/../authportal.env",
                     "/authportal.env?x=1", "/authportal.env/",
                     "/%76ar/authportal.db", "/VAR/authportal.db",
                     "/var/", "/var", "/mail/", "/mail", "/lib/", "/lib",
                     "/data/", "/config/"):
            with self.subTest(path=path):
                self.assertNotServed("GET", path, settings)

    def test_the_site_still_works(self):
        # The planted files change nothing for the API or the pages.
        self.assertStatus(self.S.request("GET", "/api/v1/health"), 200)
        self.assertStatus(self.S.request("GET", "/"), 200)
        self.assertStatus(self.S.login(DEMO_USER, "secret"), 200)
        # The dot-file rule refuses files, not folders: the host's
        # certificate checks (ACME, RFC 8555 §8.3) still get their token.
        token = os.path.join(self.S.site, ".well-known", "acme-challenge",
                             "tok3n")
        os.makedirs(os.path.dirname(token), exist_ok=True)
        with open(token, "w") as f:
            f.write("tok3n.thumbprint")
        os.chmod(token, 0o644)
        r = self.S.request("GET", "/.well-known/acme-challenge/tok3n")
        self.assertBody(r, 200, b"tok3n.thumbprint")
