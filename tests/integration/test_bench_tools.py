# SPDX-License-Identifier: ISC
"""The tools of script/bench (BENCHMARKS.md), checked for what they make,
never for how fast anything runs (no timing in script/test):

- bench/seed-scale.py (--scale): the users and sessions it adds, the
  reused hash that signs them in, the expired share that `authportal gc`
  prunes, and nothing else touched;
- bench/social.py (the social case): its ID tokens sign in through
  POST /api/v1/auth/google/login against its mock provider, one account
  per subject;
- bench/compare.py (--scale, --postgres): the ratios and the verdicts of
  its table, from two made-up raw outputs.
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

from harness import ApiTestCase, serve, sqlite_only, unique_email

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BENCH = os.path.join(ROOT, "bench")
PASSWORD = "Bench-Tools-pw-1"

S = None
TEMPLATE = None


def setUpModule():
    global S, TEMPLATE
    S = serve()
    TEMPLATE = unique_email("template")
    cp = S.cli("user", "add", TEMPLATE, "--password", PASSWORD)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def sql(path, query, *args):
    conn = sqlite3.connect(path, timeout=10)
    try:
        with conn:
            return conn.execute(query, args).fetchall()
    finally:
        conn.close()


@sqlite_only("bench/seed-scale.py writes the SQLite file (script/bench --scale)")
class SeedScale(ApiTestCase):
    def test_seed_then_login_then_gc(self):
        db = S.db_path
        (u0,), = sql(db, "SELECT count(*) FROM users")
        (s0,), = sql(db, "SELECT count(*) FROM sessions")
        now = int(time.time() * 1000)
        cp = subprocess.run([sys.executable, os.path.join(BENCH, "seed-scale.py"),
                             db, "200", "1000", "300", TEMPLATE],
                            capture_output=True, text=True, timeout=120)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"^users=200 sessions=1000 expired=300 "
                                    r"seconds=[0-9.]+ bytes=[0-9]+\n$")
        (u1,), = sql(db, "SELECT count(*) FROM users")
        (s1,), = sql(db, "SELECT count(*) FROM sessions")
        self.assertEqual((u1 - u0, s1 - s0), (200, 1000))
        # One hash for all, the template's; 1 in 20 an Admin; every
        # session belongs to a new user; 300 expired past the retention.
        (pw,), = sql(db, "SELECT password FROM users WHERE email = ?", TEMPLATE)
        self.assertEqual(sql(db, "SELECT count(DISTINCT password), min(password) "
                                 "FROM users WHERE email LIKE 'scale-user-%'"),
                         [(1, pw)])
        self.assertEqual(sql(db, "SELECT count(*) FROM users WHERE email LIKE "
                                 "'scale-user-%' AND role_id = 1"), [(10,)])
        self.assertEqual(sql(db, "SELECT count(*) FROM sessions s JOIN users u "
                                 "ON u.id = s.user_id WHERE u.email LIKE "
                                 "'scale-user-%'"), [(1000,)])
        self.assertEqual(sql(db, "SELECT count(*) FROM sessions WHERE "
                                 "expires_at < ?", now - 90 * 86400000), [(300,)])
        # A seeded user (0: Active) signs in with the template's password.
        r = S.login("scale-user-0000000@example.com", PASSWORD)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(S.me(r.json()["token"]).status, 200)
        # gc prunes the expired ones, and only them.
        cp = S.cli("gc")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn(" 300 ended session(s)", cp.stdout)
        (s2,), = sql(db, "SELECT count(*) FROM sessions")
        self.assertEqual(s2, s1 + 1 - 300)  # + the login above

    def test_refuses_without_template(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "empty.db")
            sql(path, "CREATE TABLE users (email TEXT, password TEXT)")
            cp = subprocess.run([sys.executable, os.path.join(BENCH, "seed-scale.py"),
                                 path, "10", "10"], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no user john.doe@example.com", cp.stderr)


class SocialPool(unittest.TestCase):
    def test_pool_tokens_sign_in(self):
        with tempfile.TemporaryDirectory() as d:
            p = subprocess.Popen([sys.executable, os.path.join(BENCH, "social.py"),
                                  d, "4", "2"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            try:
                for _ in range(300):
                    if os.path.exists(os.path.join(d, "ready")) or p.poll() is not None:
                        break
                    time.sleep(0.1)
                self.assertTrue(os.path.exists(os.path.join(d, "ready")),
                                p.stderr.read().decode() if p.poll() is not None else "")
                env = dict(l.rstrip("\n").split("=", 1)
                           for l in open(os.path.join(d, "env")) if "=" in l)
                self.assertEqual(sorted(env), ["GOOGLE_AUTHORIZE_URL", "GOOGLE_CLIENT_ID",
                                               "GOOGLE_CLIENT_SECRET", "GOOGLE_JWKS_URL",
                                               "GOOGLE_TOKEN_URL"])
                tokens = open(os.path.join(d, "tokens")).read().split()
                self.assertEqual(len(tokens), 4)
                self.assertEqual(len(set(tokens)), 4)
                srv = serve(self.__class__, env=env)
                ids = []
                for t in tokens:
                    r = srv.request("POST", "/api/v1/auth/google/login",
                                    json_body={"idToken": t})
                    self.assertEqual(r.status, 200, r.body)
                    ids.append(r.json()["user"]["id"])
                # token i is of subject i mod 2: two accounts
                self.assertEqual(ids[0], ids[2])
                self.assertEqual(ids[1], ids[3])
                self.assertNotEqual(ids[0], ids[1])
            finally:
                p.terminate()
                p.wait(timeout=10)


def row(name, c, rps, busy=100, total=200, ours=50, apart=0):
    return ("%s\t%d\tRESULT requests=10 duration_us=1000000 rps=%.1f p50_us=100 "
            "p99_us=900 non2xx=0 sockerr=0 exhausted=0\tWRKCPU 0.1 0.1 5.0\t"
            "%d\t%d\t%d\t%d\n" % (name, c, rps, busy, total, ours, apart))


class Compare(unittest.TestCase):
    def run_compare(self, mode, a, b):
        with tempfile.TemporaryDirectory() as d:
            pa, pb = os.path.join(d, "a.tsv"), os.path.join(d, "b.tsv")
            open(pa, "w").write(a)
            open(pb, "w").write(b)
            cp = subprocess.run([sys.executable, os.path.join(BENCH, "compare.py"),
                                 mode, pa, pb], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp.stdout

    def test_scale_judges_ratios_to_each_runs_floor(self):
        meta = "#meta\thash\thashfloor per_s=100.0\n"
        small = meta + row("floor", 8, 1000) + row("me", 8, 900) + row("login", 8, 90)
        # big: the floor halved (a busier machine), me halved with it (same
        # ratio: within 10%), login at 0.5 of the same hash floor (not).
        big = (meta + "#meta\tscale_seed\tusers=5 sessions=9 expired=1 seconds=2.0 bytes=1048576\n"
               "#meta\tgc\tseconds=0.50 pruned_sessions=1 bytes_before=2097152 bytes_after=1048576\n"
               + row("floor", 8, 500) + row("me", 8, 450) + row("login", 8, 50))
        out = self.run_compare("scale", small, big)
        self.assertIn("5 users and 9 sessions (1 of them expired", out)
        self.assertIn("`authportal gc` after the runs: 0.50 s, 1 sessions pruned", out)
        me = [l for l in out.split("\n") if l.startswith("me ")][0]
        self.assertRegex(me, r"900\.0\s+450\.0\s+-50\.0%\s+0\.900\s+0\.900 .* yes$")
        login = [l for l in out.split("\n") if l.startswith("login ")][0]
        self.assertRegex(login, r"0\.900\s+0\.500 .* NO$")
        self.assertRegex(out, r"\n  me\s+MET\s+worst \+0\.0% at c=8\n")
        self.assertRegex(out, r"\n  login\s+NOT MET\s+worst -44\.4% at c=8")

    def test_engines_shows_the_database_cpu(self):
        a = row("floor", 32, 1000) + row("refresh", 32, 250)
        b = row("floor", 32, 1000) + row("refresh", 32, 600, apart=50)
        out = self.run_compare("engines", a, b)
        line = [l for l in out.split("\n") if l.startswith("refresh ")][0]
        self.assertRegex(line, r"250\.0\s+600\.0\s+\+140\.0%\s+0\.250\s+0\.600 .*\s25%\s")
        self.assertNotIn("within 10%", out)


if __name__ == "__main__":
    unittest.main()
