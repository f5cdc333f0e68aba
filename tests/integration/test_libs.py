# SPDX-License-Identifier: ISC
"""What the executables load: libcurl and libpq are not linked (no
DT_NEEDED entry) but dlopen()ed on first use (lib/adapters/smtp.c,
lib/adapters/http.c, lib/adapters/db_pg.c), so that a worker on SQLite,
the only engine of a shared host, never maps libpq and the libraries it
brings (Kerberos, LDAP, ...):

- no executable of cgi-bin/ nor ./authportal needs libpq or libcurl
  (readelf -d);
- a SQLite worker of cgi-bin/account that has answered a request has
  neither in its /proc/PID/maps;
- a PostgreSQL worker has libpq mapped (it was loaded, not linked), and
  still no libcurl.
"""

import os
import subprocess
import unittest

from harness import (ApiTestCase, BINDIR, CLI, DEMO_PASSWORD, DEMO_USER,
                     PgCluster, serve)

NOT_LINKED = ("libpq.so", "libcurl.so")


def executables():
    out = [CLI]
    for name in sorted(os.listdir(BINDIR)):
        path = os.path.join(BINDIR, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            out.append(path)
    return out


def needed(path):
    cp = subprocess.run(["readelf", "-d", path], capture_output=True,
                        text=True, check=True)
    return [line.split("[", 1)[1].rstrip("]") for line in
            cp.stdout.splitlines() if "(NEEDED)" in line]


def mapped(pid):
    """The files mapped into process pid (/proc/PID/maps)."""
    with open("/proc/%d/maps" % pid) as f:
        return {os.path.basename(parts[5]) for parts in
                (line.split(None, 5) for line in f) if len(parts) == 6}


def workers(server, name):
    out = []
    for pid in server.session_pids():
        try:
            if os.path.basename(os.readlink("/proc/%d/exe" % pid)) == name:
                out.append(pid)
        except OSError:
            pass
    return out


class Linked(unittest.TestCase):
    def test_no_libpq_nor_libcurl_needed(self):
        exes = executables()
        self.assertGreater(len(exes), 5, exes)
        for exe in exes:
            libs = needed(exe)
            self.assertIn("libc.so.6", libs, exe)
            for lib in libs:
                self.assertFalse(lib.startswith(NOT_LINKED), (exe, lib))


class _Loaded(ApiTestCase):
    """After a login (cgi-bin/login) and GET /me (cgi-bin/account)."""

    def libs_of_account_workers(self):
        r = self.S.login(DEMO_USER, DEMO_PASSWORD)
        self.assertStatus(r, 200)
        self.assertStatus(self.S.me(r.json()["token"]), 200)
        pids = workers(self.S, "account")
        self.assertNotEqual(pids, [])
        return [mapped(pid) for pid in pids]


class SqliteWorker(_Loaded):
    @classmethod
    def setUpClass(cls):
        cls.S = serve(cls, engine="sqlite")

    def test_no_libpq_nor_libcurl_mapped(self):
        for files in self.libs_of_account_workers():
            self.assertTrue([f for f in files
                             if f.startswith("libsqlite3.so")], sorted(files))
            for f in files:
                self.assertFalse(f.startswith(NOT_LINKED), f)


class PostgresWorker(_Loaded):
    @classmethod
    def setUpClass(cls):
        cls.C = PgCluster()
        cls.addClassCleanup(cls.C.remove)
        cls.C.start()
        cls.S = serve(cls, engine="postgres", cluster=cls.C)

    def test_libpq_loaded_at_open(self):
        for files in self.libs_of_account_workers():
            self.assertTrue([f for f in files if f.startswith("libpq.so")],
                            sorted(files))
            self.assertFalse([f for f in files
                              if f.startswith("libcurl.so")], sorted(files))


if __name__ == "__main__":
    unittest.main()
