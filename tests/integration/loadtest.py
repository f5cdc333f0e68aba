# SPDX-License-Identifier: ISC
"""The load-and-fault test (issue 9 point 11). Python 3 standard library only.

Starts the real lighttpd with the built workers and the real SMTP catcher
(harness.Server), then for SECONDS runs a mixed workload from CLIENTS
concurrent client threads on loopback (sign-up, sign-in, refresh, GET /me,
the sessions list, email change, logout, and refresh tokens presented again
on purpose, one after the other and two at once) while a killer thread
SIGKILLs a random FastCGI worker of the workload's executables KILLS times,
spread over the run. Afterwards it checks, prints and returns:

- no 5xx and no cut connection, except those of requests that the killed
  worker held: the web server's own 500 page, or a connection error, for a
  route of the killed executable, in flight at the moment of the kill or
  sent after it before the web server served that executable again
  (at most RECOVERY_MAX_S; counted apart);
- no answer other than the one the request must get (a client drops its
  session after any cut request, so its later answers are certain);
- every sign-up that answered 204 is a user in the database;
- every mail that was due (a confirm mail per 204 sign-up, a
  confirm-new-email mail per 200 email change) is in the outbox, and every
  outbox row marked sent reached the SMTP catcher;
- no refresh token was accepted twice, and none was handed out twice;
- PRAGMA integrity_check is ok (SQLite);
- the error log shows no crash: workers died only of the kills.

On either engine (harness.Server's, PTL_DB), or named: LoadTest(server_kw=
{"engine": "postgres", "cluster": ...}). hosts=2 runs two web servers on
one database (harness.Server(share=...)), each request of a client sent to
either at random (no sticky sessions), the kills spread over both.
fault=callable(test) runs in a thread of its own from the middle of the
run (test_pg_faults: the database server stopped and started again); it
appends (down, up) monotonic times to test.outages, and the application's
own 503 (JSON, Retry-After) is then a right answer for a request in such
an outage or up to OUTAGE_RECOVERY_S after it (the back-off of the
reconnects), counted apart; the client drops that session, as after a cut.

The randomness (the order of the operations, which worker is killed and
when) comes from one seeded generator per thread, so a run is repeatable in
what it does; only timing varies, and the verdicts do not depend on it.

    /usr/bin/python3 tests/integration/loadtest.py [SECONDS] [--kills N]
        [--clients N] [--seed N] [--maxprocs N]

script/loadtest builds first and runs this; tests/integration/test_load.py
runs a short version (10 s, two kills) in every integration run.
"""

import argparse
import http.client
import os
import random
import re
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import harness  # noqa: E402

# The executable behind each operation (lighttpd/lighttpd.conf.in).
EXE = {"signup": "signup", "login": "login", "refresh": "refresh",
       "replay": "refresh", "double": "refresh", "me": "account",
       "sessions": "account", "email": "account", "logout": "logout"}
KILLABLE = sorted(set(EXE.values()))
# What each operation must answer when nothing of its session was cut.
EXPECT = {"signup": {204}, "login": {200}, "refresh": {200}, "replay": {401},
          "double": {200, 401}, "me": {200}, "sessions": {200},
          # 429: the mail limits of API.md §10 item 7 may refuse a change.
          "email": {200, 429}, "logout": {204}}
MAIL_CONFIRM, MAIL_CONFIRM_NEW = 0, 1   # enum ptl_mail_kind
PASSWORD = harness.DEFAULT_PASSWORD
REQUEST_TIMEOUT = 30
# A request "in flight at the kill" started before it and ended after it;
# the margins cover the clocks of two threads.
KILL_MARGIN_S = 0.05
# The longest a kill may explain failed requests of its executable for.
RECOVERY_MAX_S = 2.0
# After an outage of the database: the longest a worker waits before it
# connects again (lib/adapters/db_pg.c: back-off up to 5 s), and a margin.
OUTAGE_RECOVERY_S = 6.0


class Entry:
    __slots__ = ("op", "exe", "t0", "t1", "status", "error", "page", "cut",
                 "host")

    def __init__(self, op, t0, t1, status, error, page, host=0):
        self.op, self.exe, self.host = op, EXE[op], host
        self.t0, self.t1 = t0, t1
        self.status, self.error, self.page = status, error, page
        self.cut = False   # set when a kill explains it


class Record:
    """What the clients saw, shared by every thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []
        self.kills = []          # (time, executable, pid, host)
        self.signed_up = []      # addresses that answered 204
        self.due = []            # (kind, address) of every mail due
        self.presented = {}      # refresh token -> times presented
        self.accepted = {}       # refresh token -> times answered 200
        self.issued = {}         # refresh token -> times handed out
        self.unexpected = []     # (op, status, body) with a clean session

    def add(self, entry):
        with self.lock:
            self.entries.append(entry)

    def count(self, table, token):
        with self.lock:
            table[token] = table.get(token, 0) + 1


class Cut(Exception):
    """A request of the session was cut (5xx or connection error): the
    client drops the session, whose state it no longer knows."""


class Client:
    def __init__(self, test, index, active_email):
        self.t = test
        self.servers = test.servers
        self.rec = test.rec
        self.rng = random.Random(test.seed * 1000 + index)
        self.index = index
        self.active = active_email
        self.n = 0

    def call(self, op, method, path, body=None, token=None, agent=None):
        headers = {"User-Agent": agent or "loadtest/%d" % self.index}
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        host = self.rng.randrange(len(self.servers)) if len(self.servers) > 1 else 0
        t0 = time.monotonic()
        status, error, page, r = None, None, False, None
        try:
            r = self.servers[host].request(
                method, path, json_body=body, headers=headers, record=False,
                timeout=REQUEST_TIMEOUT)
            status = r.status
            # The web server's own answer (its JSON error for a worker
            # that died carries no X-Request-Id: API.md §9.2), not the
            # app's.
            page = (not r.headers.get("content-type", "").startswith(
                "application/json")) or "x-request-id" not in r.headers
        except (OSError, http.client.HTTPException) as e:
            error = type(e).__name__
        self.rec.add(Entry(op, t0, time.monotonic(), status, error, page,
                           host))
        if status is None or status >= 500:
            raise Cut(op)
        if status not in EXPECT[op]:
            with self.rec.lock:
                self.rec.unexpected.append((op, status, r.body[:200]))
        return r

    def email(self, prefix):
        self.n += 1
        return "load-%s-%d-%d-%s@example.com" % (
            prefix, self.index, self.n, "%08x" % self.rng.getrandbits(32))

    def signup(self):
        email = self.email("su")
        r = self.call("signup", "POST", "/api/v1/auth/email/register",
                      {"email": email, "password": PASSWORD,
                       "firstName": "Load", "lastName": "Test"})
        if r.status == 204:
            with self.rec.lock:
                self.rec.signed_up.append(email)
                self.rec.due.append((MAIL_CONFIRM, email))
            return email
        return None

    def login(self, email):
        r = self.call("login", "POST", "/api/v1/auth/email/login",
                      {"email": email, "password": PASSWORD})
        if r.status != 200:
            return None
        pair = r.json()
        self.rec.count(self.rec.issued, pair["refreshToken"])
        return pair

    def refresh(self, token, op="refresh"):
        self.rec.count(self.rec.presented, token)
        r = self.call(op, "POST", "/api/v1/auth/refresh", token=token)
        if r.status != 200:
            return None
        new = r.json()
        self.rec.count(self.rec.accepted, token)
        self.rec.count(self.rec.issued, new["refreshToken"])
        return new

    def double(self, token):
        """The same refresh token twice at once: at most one 200."""
        results, errors = [], []
        barrier = threading.Barrier(2)

        def one():
            try:
                barrier.wait(5)
                results.append(self.refresh(token, "double"))
            except Cut as e:
                errors.append(e)
            except threading.BrokenBarrierError:
                errors.append(Cut("double"))

        other = threading.Thread(target=one, daemon=True)
        other.start()
        one()
        other.join(REQUEST_TIMEOUT + 10)
        if errors:
            raise errors[0]
        if sum(1 for x in results if x is not None) != 1:
            with self.rec.lock:
                self.rec.unexpected.append(
                    ("double", [x is not None for x in results], b""))

    def change_email(self, access):
        new = self.email("new")
        r = self.call("email", "PATCH", "/api/v1/auth/me", {"email": new},
                      token=access)
        if r.status == 200:
            with self.rec.lock:
                self.rec.due.append((MAIL_CONFIRM_NEW, new))

    def session(self, email):
        """One sign-in and what a device does with it, until it ends it."""
        pair = self.login(email)
        if pair is None:
            return
        previous = None
        for _round in range(self.rng.randint(2, 6)):
            self.call("me", "GET", "/api/v1/auth/me", token=pair["token"])
            self.call("sessions", "GET", "/api/v1/auth/sessions",
                      token=pair["token"])
            dice = self.rng.random()
            if dice < 0.08 and previous is not None:
                # A rotated token presented again: reuse, the session ends.
                self.refresh(previous, "replay")
                return
            if dice < 0.16:
                self.double(pair["refreshToken"])
                return
            new = self.refresh(pair["refreshToken"])
            if new is None:
                return
            previous, pair = pair["refreshToken"], dict(pair, **new)
            if email == self.active and self.rng.random() < 0.3:
                self.change_email(pair["token"])
        self.call("logout", "POST", "/api/v1/auth/logout",
                  token=pair["token"])

    def run(self, deadline):
        while time.monotonic() < deadline:
            try:
                new = self.signup()
                who = new if new is not None and self.rng.random() < 0.5 \
                    else self.active
                self.session(who)
            except Cut:
                pass


class LoadTest:
    def __init__(self, seconds=60, kills=None, clients=8, seed=9, maxprocs=2,
                 out=None, server_kw=None, hosts=1, fault=None):
        self.seconds = seconds
        self.kills = kills if kills is not None else max(1, seconds // 3)
        self.clients = clients
        self.seed = seed
        self.maxprocs = maxprocs
        self.out = out or (lambda line: print(line, flush=True))
        self.rec = Record()
        self.server_kw = dict(server_kw or {})
        self.hosts = hosts
        self.fault = fault
        self.outages = []    # (down, up) of the fault
        self.servers = []
        self.server = None   # the first host
        self.checks = []   # (ok, text)

    # ---- the run ---------------------------------------------------------
    def workers(self, host=0):
        """{executable: [pid, ...]} of a host's live FastCGI workers."""
        found = {}
        for pid in self.servers[host].session_pids():
            try:
                exe = os.path.basename(os.readlink("/proc/%d/exe" % pid))
            except OSError:
                continue
            if exe in KILLABLE:
                found.setdefault(exe, []).append(pid)
        return {k: sorted(v) for k, v in found.items()}

    def killer(self, start, stop_event):
        rng = random.Random(self.seed)
        step = self.seconds / (self.kills + 1)
        times = [start + step * (i + 1) + rng.uniform(-step / 4, step / 4)
                 for i in range(self.kills)]
        for when in times:
            if stop_event.wait(max(0.0, when - time.monotonic())):
                return
            host = rng.randrange(len(self.servers)) if len(self.servers) > 1 else 0
            live = self.workers(host)
            # An executable whose killed worker is not back yet is spared.
            choices = [e for e in KILLABLE if len(live.get(e, [])) >= 2] or \
                [e for e in KILLABLE if live.get(e)]
            if not choices:
                continue
            exe = rng.choice(choices)
            pid = rng.choice(live[exe])
            t = time.monotonic()
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            with self.rec.lock:
                self.rec.kills.append((t, exe, pid, host))

    def seed_accounts(self):
        """One Active account per client, for the email changes (an
        unconfirmed account may not change its address)."""
        emails = []
        for i in range(self.clients):
            email = "load-active-%d-%d@example.com" % (self.seed, i)
            cp = self.server.cli("user", "add", email, "--password", PASSWORD)
            if cp.returncode != 0:
                raise harness.ServerError("user add: %s" % cp.stderr)
            emails.append(email)
        return emails

    def run(self):
        kw = dict(self.server_kw, smtp="catcher", maxprocs=self.maxprocs)
        try:
            for _ in range(self.hosts):
                s = harness.Server(**dict(kw, share=self.server))
                self.servers.append(s)
                s.start()
                self.server = self.servers[0]
            active = self.seed_accounts()
            self.out("loadtest: %d s, %d clients, %d kills, seed %d, %d "
                     "workers per executable, %s, %s on 127.0.0.1:%s" % (
                         self.seconds, self.clients, self.kills, self.seed,
                         self.maxprocs, self.server.engine, self.server.web,
                         ",".join(str(s.port) for s in self.servers)))
            start = time.monotonic()
            deadline = start + self.seconds
            stop = threading.Event()
            kt = threading.Thread(target=self.killer, args=(start, stop),
                                  daemon=True)
            kt.start()
            ft = None
            if self.fault is not None:
                def fault():
                    if not stop.wait(self.seconds / 2):
                        self.fault(self)
                ft = threading.Thread(target=fault, daemon=True)
                ft.start()
            threads = [threading.Thread(
                target=Client(self, i, active[i]).run, args=(deadline,),
                daemon=True) for i in range(self.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(self.seconds + REQUEST_TIMEOUT * 3)
            stop.set()
            kt.join(10)
            if ft is not None:
                ft.join(60)
            stragglers = sum(1 for t in threads if t.is_alive())
            self.verdicts(time.monotonic() - start, stragglers)
        finally:
            for s in reversed(self.servers):
                s.stop()
        return all(ok for ok, _ in self.checks)

    # ---- the verdicts ----------------------------------------------------
    def check(self, ok, text):
        self.checks.append((ok, text))
        self.out("%s %s" % ("ok  " if ok else "FAIL", text))

    def explained(self, e):
        """A 5xx or cut connection that a kill explains: the web server's
        own answer (never the application's) or a connection error, for
        the killed executable, in flight at the kill."""
        # lighttpd says 500 for a worker that died mid-request, nginx
        # (PTL_WEB=nginx) 502 Bad Gateway.
        if e.status is not None and not (e.status in (500, 502) and e.page):
            return False
        return any(exe == e.exe and host == e.host and
                   e.t0 <= self.recovered(t, exe, host) and
                   e.t1 >= t - KILL_MARGIN_S
                   for t, exe, _pid, host in self.rec.kills)

    def in_outage(self, e):
        """The application's own 503 (not the web server's page) for a
        request during an outage of the fault, or soon after it."""
        return e.status == 503 and not e.page and any(
            e.t1 >= down - KILL_MARGIN_S and e.t0 <= up + OUTAGE_RECOVERY_S
            for down, up in self.outages)

    def recovered(self, t, exe, host=0):
        """When the web server served exe again after the kill at t: the
        end of the first good answer of exe sent after the kill (the web
        server may route a request or two to the dead worker's socket
        before it notices, and a sanitizer build respawns slowly), but no
        later than RECOVERY_MAX_S after the kill."""
        ends = [e.t1 for e in self.rec.entries
                if e.exe == exe and e.host == host and e.t0 >= t and
                e.status is not None and e.status < 500]
        limit = t + RECOVERY_MAX_S
        return min([limit] + ends) + KILL_MARGIN_S

    def verdicts(self, elapsed, stragglers):
        rec, out = self.rec, self.out
        ops = {}
        for e in rec.entries:
            ops.setdefault(e.op, {}).setdefault(
                e.status if e.status is not None else e.error, 0)
            ops[e.op][e.status if e.status is not None else e.error] += 1
        out("requests: %d in %.1f s (%.0f/s)" % (
            len(rec.entries), elapsed, len(rec.entries) / max(elapsed, 0.1)))
        for op in sorted(ops):
            out("  %-9s %s" % (op, ", ".join(
                "%s: %d" % (k, v) for k, v in sorted(ops[op].items(),
                                                     key=lambda kv: str(kv[0])))))
        by_exe = {}
        for _t, exe, _pid, host in rec.kills:
            name = exe if len(self.servers) == 1 else "%s@%d" % (exe, host)
            by_exe[name] = by_exe.get(name, 0) + 1
        out("kills: %d (%s)" % (len(rec.kills), ", ".join(
            "%s %d" % kv for kv in sorted(by_exe.items()))))
        self.check(stragglers == 0, "every client finished (%d still "
                   "running)" % stragglers)
        self.check(len(rec.kills) == self.kills, "%d of %d kills done" % (
            len(rec.kills), self.kills))

        unavailable = [e for e in rec.entries if self.in_outage(e)]
        if self.fault is not None:
            self.check(bool(self.outages), "the fault ran (%d outages, %d "
                       "clean 503s in them)" % (len(self.outages),
                                                len(unavailable)))
        bad = [e for e in rec.entries if (e.status is None or e.status >= 500)
               and e not in unavailable]
        for e in bad:
            e.cut = self.explained(e)
        cut = [e for e in bad if e.cut]
        other = [e for e in bad if not e.cut]
        self.check(not other, "5xx or cut connections not explained by a "
                   "kill: %d%s; cut by a kill: %d (%d of them the web "
                   "server's 500, %d connection errors)" % (
                       len(other), "" if not other else " " + repr(
                           [(e.op, e.status, e.error) for e in other[:10]]),
                       len(cut), sum(1 for e in cut if e.status == 500),
                       sum(1 for e in cut if e.status is None)))
        self.check(not rec.unexpected, "answers as expected (%d unexpected%s)"
                   % (len(rec.unexpected), "" if not rec.unexpected else
                      ": " + repr(rec.unexpected[:5])))

        with self.server.db() as db:
            self.check_signups(db)
            self.check_mail(db)
            integrity = (db.execute("PRAGMA integrity_check")
                         if self.server.engine == "sqlite" else None)
        self.check_refresh()
        if integrity is not None:
            self.check(integrity == [("ok",)], "PRAGMA integrity_check: %s" % (
                "; ".join(r[0] for r in integrity[:5])))
        for host in range(len(self.servers)):
            self.check_log(host)

    def check_signups(self, db):
        have = {r[0] for r in db.execute("SELECT email FROM users")}
        missing = [e for e in self.rec.signed_up if e not in have]
        self.check(not missing and bool(self.rec.signed_up),
                   "sign-ups: %d answered 204, %d of them in the database%s"
                   % (len(self.rec.signed_up),
                      len(self.rec.signed_up) - len(missing),
                      "" if not missing else "; missing " + repr(missing[:5])))

    def check_mail(self, db):
        rows = {}
        for kind, to, sent in db.execute(
                "SELECT kind, recipient, sent_at IS NOT NULL FROM mail_outbox"):
            rows.setdefault((kind, to), []).append(sent)
        received = set()
        envelopes = [e for s in self.servers if s.smtp is not None
                     for e in s.smtp.envelopes()]
        for _name, _from, rcpts in envelopes:
            received.update(r.strip("<>").lower() for r in rcpts)
        lost = [d for d in self.rec.due if d not in rows]
        sent = sum(1 for d in self.rec.due if any(rows.get(d, [])))
        queued = len(self.rec.due) - len(lost) - sent
        phantom = sorted({to for (_k, to), s in rows.items()
                          if any(s) and to.lower() not in received})
        self.check(not lost, "mails due: %d (%d confirm, %d confirm-new): "
                   "%d in the outbox (%d sent, %d still queued)%s" % (
                       len(self.rec.due),
                       sum(1 for k, _ in self.rec.due if k == MAIL_CONFIRM),
                       sum(1 for k, _ in self.rec.due if k == MAIL_CONFIRM_NEW),
                       len(self.rec.due) - len(lost), sent, queued,
                       "" if not lost else "; lost " + repr(lost[:5])))
        self.check(not phantom, "every outbox row marked sent reached the "
                   "SMTP catcher (%d messages received)%s" % (
                       len(envelopes),
                       "" if not phantom else "; not received: " +
                       repr(phantom[:5])))

    def check_refresh(self):
        rec = self.rec
        twice = [t for t, n in rec.accepted.items() if n > 1]
        reissued = [t for t, n in rec.issued.items() if n > 1]
        self.check(not twice and not reissued and bool(rec.accepted),
                   "refresh tokens: %d presented %d times, %d accepted, "
                   "accepted twice: %d, handed out twice: %d" % (
                       len(rec.presented), sum(rec.presented.values()),
                       sum(rec.accepted.values()), len(twice),
                       len(reissued)))

    def check_log(self, host=0):
        log = self.servers[host].error_log().splitlines()
        signalled = [int(m.group(1)) for m in
                     (re.search(r"child signalled: (\d+)", l) for l in log) if m]
        kills = [k for k in self.rec.kills if k[3] == host]
        killed = {exe for _t, exe, _pid, _h in kills}

        def ours(line):
            # What lighttpd says of a worker we killed: "child signalled: 9"
            # (counted below), "unexpected end-of-file (perhaps the fastcgi
            # process died) ... socket: .../<exe>.sock-N" (its pid may be
            # the respawned one's), or that it waits for the respawn. A
            # worker's own death shows as another signal or an exit.
            m = re.search(r"socket: unix:\S*/([a-z_]+)\.sock-\d+", line)
            return (m is not None and m.group(1) in killed and
                    "perhaps the fastcgi process died" in line) or \
                "child signalled" in line or "backend is overloaded" in line

        crashes = [l for l in log if any(p.search(l) for p in
                                         harness.CRASH_PATTERNS) and
                   not ours(l)]
        others = [s for s in signalled if s != signal.SIGKILL]
        self.check(not crashes and not others and
                   len(signalled) <= len(kills),
                   "error log%s: %d workers ended by SIGKILL (%d kills), "
                   "%d by another signal, %d crash lines%s" % (
                       "" if len(self.servers) == 1 else " of host %d" % host,
                       len(signalled) - len(others), len(kills),
                       len(others), len(crashes),
                       "" if not crashes else ": " + repr(crashes[:3])))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seconds", nargs="?", type=int, default=60)
    ap.add_argument("--kills", type=int, default=None,
                    help="SIGKILLs over the run (default: one per 3 s)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--maxprocs", type=int, default=2)
    a = ap.parse_args(argv)
    if not (1 <= a.seconds <= 3600 and 1 <= a.clients <= 64 and
            1 <= a.maxprocs <= 16 and (a.kills is None or 0 <= a.kills <= 1000)):
        ap.error("out of bounds: 1-3600 s, 1-64 clients, 1-16 workers, "
                 "0-1000 kills")
    test = LoadTest(a.seconds, a.kills, a.clients, a.seed, a.maxprocs)
    good = test.run()
    print("loadtest: %s" % ("PASS" if good else "FAIL"), flush=True)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
