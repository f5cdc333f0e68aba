# SPDX-License-Identifier: ISC
"""Integration-test harness for authportal. Python 3 standard library only.

Server starts a real web server (lighttpd by default, or Apache httpd in
one of the three deployments of apache/) with the built executables of
cgi-bin/ on a free loopback port, against a fresh SQLite database migrated
and seeded with ./authportal; serve() starts one for a test module or class
and stops it after the last test:

    def setUpModule():
        global S
        S = serve()

    class Something(ApiTestCase):
        def test_login(self):
            self.assertStatus(S.login(DEMO_USER, DEMO_PASSWORD), 200)

Every response the harness sees is recorded in Server.seen, so that suites
can assert afterwards that no 5xx happened and nothing secret leaked.

PTL_DB=postgres runs every Server() against a fresh database of one
throw-away PostgreSQL cluster (tests/tools/pgcluster, started once by
run.py) through DATABASE_URL instead of a SQLite file. Tests read and poke
the database through Server.sql()/sql_one(), which speak either engine;
a test about the SQLite file itself is marked @sqlite_only("why").
"""

import base64
import grp
import hashlib
import hmac
import http.client
import itertools
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
# PTL_BUILD_DIR: run another build of the same tree (script/test runs the
# suite again against its ASan+UBSan build).
BUILD = os.path.abspath(os.environ.get("PTL_BUILD_DIR", REPO))
CLI = os.path.join(BUILD, "authportal")
BINDIR = os.path.join(BUILD, "cgi-bin")
DOCROOT = os.path.join(REPO, "www")
MAIL_TEMPLATES = os.path.join(REPO, "mail")
I18N_DIR = os.path.join(REPO, "i18n")
OPENAPI = os.path.join(REPO, "docs", "openapi.json")
LIGHTTPD_TEMPLATE = os.path.join(REPO, "lighttpd", "lighttpd.conf.in")
PGCLUSTER = os.path.join(REPO, "tests", "tools", "pgcluster")
# The engine of every Server() unless it names one: PTL_DB=postgres (the
# second run of script/test) or SQLite.
DB_ENGINE = "postgres" if os.environ.get("PTL_DB") in ("postgres", "pg",
                                                        "postgresql") else "sqlite"


def _routed_executables():
    """The executables the shipped lighttpd template routes to, in its
    order: a new one (HACKING.md) is copied for Apache and found by
    Server.session_pids() without a second list here."""
    with open(LIGHTTPD_TEMPLATE) as f:
        names = re.findall(r'"@BINDIR@/([A-Za-z0-9_-]+)"', f.read())
    return tuple(dict.fromkeys(names))


# The executables of cgi-bin/ (Apache gets copies of them).
EXECUTABLES = _routed_executables()
# The web servers of Server(web=...) and the scripts that render their
# shipped templates.
LIGHTTPD = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
LIGHTTPD_CONF = os.path.join(REPO, "script", "lighttpd-conf")
APACHE = (shutil.which("apache2", path="/usr/sbin:/usr/bin:/sbin:/bin")
          or "/usr/sbin/apache2")
APACHE_CONF = os.path.join(REPO, "script", "apache-conf")
APACHE_KINDS = ("fcgid", "cgi", "htaccess")
# nginx (Debian's) with nginx/authportal.conf.in rendered by script/nginx-conf
# as a complete nginx.conf; the workers on Unix sockets, started by
# tests/tools/fcgi_spawn.py (what systemd's socket units do on a server).
NGINX = (shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
         or "/usr/sbin/nginx")
NGINX_CONF = os.path.join(REPO, "script", "nginx-conf")
FCGI_SPAWN = os.path.join(REPO, "tests", "tools", "fcgi_spawn.py")
# The web server of Server() when none is named: PTL_WEB=nginx runs the
# suites behind nginx (script/test does, once), else lighttpd.
DEFAULT_WEB = os.environ.get("PTL_WEB") or "lighttpd"
HTACCESS = os.path.join(REPO, "apache", "htaccess.example")
SMTP_CATCHER = os.path.join(REPO, "tests", "tools", "smtp_catcher.py")
# The catcher needs Debian's python3-aiosmtpd.
CATCHER_PYTHON = "/usr/bin/python3"
# The catcher runs on this machine: short SMTP timeouts make a stopped or
# mute SMTP server fail fast (issue 3 point 2).
CATCHER_ENV = {"MAIL_CONNECT_TIMEOUT_MS": "1000", "MAIL_TIMEOUT_MS": "3000"}

DEMO_ADMIN = "admin@example.com"
DEMO_USER = "john.doe@example.com"
DEMO_PASSWORD = "secret"
DEFAULT_PASSWORD = "Correct-Horse-9"

SECURITY_HEADERS = {
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "cross-origin",
    "origin-agent-cluster": "?1",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-dns-prefetch-control": "off",
    "x-download-options": "noopen",
    "x-frame-options": "SAMEORIGIN",
    "x-permitted-cross-domain-policies": "none",
    "x-xss-protection": "0",
}
JSON_CT = "application/json; charset=utf-8"
UNAUTHORIZED = b'{"message":"Unauthorized","statusCode":401}'
TOO_LARGE = b'{"statusCode":413,"message":"request entity too large"}'
UNIFORM_LOGIN_ERROR = b'{"status":422,"errors":{"password":"incorrectPassword"}}'
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
USER_KEYS = ["id", "email", "provider", "socialId", "firstName", "lastName",
             "role", "status", "createdAt", "updatedAt", "deletedAt"]
# Lines in the error log that mean a worker or lighttpd itself broke.
CRASH_PATTERNS = [
    re.compile(p) for p in (
        r"AddressSanitizer", r"LeakSanitizer", r"runtime error:",
        r"Segmentation", r"core dumped", r"\bdied\b", r"backend is overloaded",
        r"child signaled", r"child exited", r"stack smashing",
        r"double free", r"malloc\(\)", r"database is locked", r"SQLITE_BUSY",
    )
]

# The app's settings: stripped from the inherited environment so that
# nothing from the caller's shell leaks into the app (and written to the
# ENV_FILE of the htaccess deployment).
APP_PREFIXES = ("AUTH_", "APP_", "MAIL_", "DATABASE_", "FRONTEND_",
                "BACKEND_", "GOOGLE_", "FACEBOOK_", "APPLE_", "GITHUB_", "OAUTH_",
                "TRUSTED_PROXIES", "NODE_ENV", "API_PREFIX", "FILES_",
                "PAGES_")

# The signing keys: what a second host of one site must share at least
# (Server(share=...) takes every setting).
SHARED_SETTINGS = ("AUTH_JWT_SECRET", "AUTH_REFRESH_SECRET",
                   "AUTH_FORGOT_SECRET", "AUTH_CONFIRM_EMAIL_SECRET")

_counter = itertools.count(1)
_counter_lock = threading.Lock()


def unique_email(prefix="user"):
    """A fresh, valid, lower-case address."""
    with _counter_lock:
        n = next(_counter)
    return "%s-%d-%s@example.com" % (prefix, n, secrets.token_hex(4))


def b64url_decode(part):
    if isinstance(part, bytes):
        part = part.decode("ascii")
    part += "=" * (-len(part) % 4)
    return base64.urlsafe_b64decode(part.encode("ascii"))


def b64url_encode(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_parts(token):
    """(header dict, payload dict) of a JWT, without verifying it."""
    h, p, _s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def forge_jwt(payload, secret, alg="HS256", header=None):
    """Sign a JWT the way a client (or an attacker with the key) would."""
    hdr = header if header is not None else {"alg": alg, "typ": "JWT"}
    signing_input = (b64url_encode(json.dumps(hdr, separators=(",", ":"))) + "." +
                     b64url_encode(json.dumps(payload, separators=(",", ":"))))
    if alg == "none":
        return signing_input + "."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}[alg]
    sig = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"),
                   digest).digest()
    return signing_input + "." + b64url_encode(sig)


class Response:
    """One HTTP response: status, headers (lower-case names; repeated
    headers joined with ", "), raw body bytes."""

    def __init__(self, status, headers, body, header_list=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.header_list = header_list or list(headers.items())

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header_count(self, name):
        name = name.lower()
        return sum(1 for k, _ in self.header_list if k.lower() == name)

    def __repr__(self):
        body = self.body if len(self.body) <= 600 else self.body[:600] + b"..."
        return "<Response %d %r>" % (self.status, body)


def _headers_dict(pairs):
    d = {}
    for k, v in pairs:
        k = k.lower()
        d[k] = v if k not in d else d[k] + ", " + v
    return d


def _apply(env, overrides):
    """Applies overrides to the dict env in place: a value of None removes
    the key, any other value is set as a string."""
    for k, v in dict(overrides).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)


def _terminate(proc, timeout):
    """SIGTERM, then SIGKILL to its process group if it outlives timeout."""
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A minimal SMTP server that accepts every message and keeps it.
    Registration sends mail; this keeps the app's SMTP step fast and local."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.messages = []
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(30)
        f = conn.makefile("rb")
        try:
            conn.sendall(b"220 sink ESMTP\r\n")
            rcpt, data = [], None
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.strip().upper()
                if cmd.startswith(b"EHLO"):
                    conn.sendall(b"250-sink\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
                elif cmd.startswith(b"HELO"):
                    conn.sendall(b"250 sink\r\n")
                elif cmd.startswith(b"RCPT"):
                    rcpt.append(line.strip()[8:].decode("utf-8", "replace"))
                    conn.sendall(b"250 OK\r\n")
                elif cmd == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    chunks = []
                    while True:
                        l2 = f.readline()
                        if not l2 or l2 in (b".\r\n", b".\n"):
                            break
                        chunks.append(l2)
                    data = b"".join(chunks)
                    with self.lock:
                        self.messages.append({"rcpt": list(rcpt), "data": data})
                    rcpt = []
                    conn.sendall(b"250 OK queued\r\n")
                elif cmd == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # MAIL FROM, RSET, NOOP, AUTH ...
                    conn.sendall(b"250 OK\r\n")
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass


class SmtpCatcher:
    """tests/tools/smtp_catcher.py as a subprocess: a real SMTP server
    (aiosmtpd) that stores every message as DIR/<seq>-<ms>.eml. Read them
    with tests/tools/mailcatch.py. stop() and start() again (same port by
    default) simulate an outage of the SMTP server.

    envelopes() lists (mail_from, [rcpt_to...]) per message, from the
    catcher's log, so that tests can check the SMTP envelope too."""

    def __init__(self, directory, port=0):
        self.dir = directory
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(os.path.dirname(self.dir.rstrip("/")),
                                     "smtp-catcher.log")
        self.port = port
        self.proc = None
        self.start(port)

    def start(self, port=None):
        if self.proc is not None:
            raise ServerError("smtp catcher already running")
        want = self.port if port is None else port
        log = open(self.log_path, "ab", buffering=0)
        last = None
        for _attempt in range(50):   # the old port may linger briefly
            proc = subprocess.Popen(
                [CATCHER_PYTHON, SMTP_CATCHER, "--port", str(want),
                 "--dir", self.dir], stdout=subprocess.PIPE, stderr=log,
                start_new_session=True)
            line = proc.stdout.readline().decode("utf-8", "replace")
            m = re.search(r"listening on [^:]+:(\d+)", line)
            if m:
                self.proc = proc
                self.port = int(m.group(1))
                log.close()
                return self.port
            proc.wait(timeout=10)
            last = line
            time.sleep(0.1)
        log.close()
        raise ServerError("smtp catcher did not start on port %s: %r\n%s" % (
            want, last, _read(self.log_path)))

    def stop(self):
        """Stops the catcher (SIGTERM); the port is closed afterwards."""
        if self.proc is None:
            return
        _terminate(self.proc, 10)
        try:
            self.proc.stdout.close()
        except Exception:
            pass
        self.proc = None

    close = stop

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def envelopes(self):
        """[(name, mail_from, [rcpt, ...])] in arrival order, from the log
        lines "smtp catcher: NAME from FROM to A,B"."""
        out = []
        for l in _read(self.log_path).splitlines():
            m = re.match(r"^smtp catcher: (\S+) from (.*?) to (.*)$", l)
            if m:
                out.append((m.group(1), m.group(2),
                            [x for x in m.group(3).split(",") if x]))
        return out


class ServerError(RuntimeError):
    pass


def sqlite_only(reason):
    """Marks a test (or a class) about the SQLite file itself (the file on
    a full disk, read-only, moved, restored, its WAL, its lock): skipped
    when the suite runs on PostgreSQL, with reason. run.py reports these
    skips apart and does not count them as failures."""
    return unittest.skipIf(DB_ENGINE == "postgres", "sqlite only: " + reason)


class PgCluster:
    """A throw-away PostgreSQL cluster in a folder (tests/tools/pgcluster):
    start() (idempotent) returns the URI of the database `postgres`,
    createdb() a fresh database's URI, stop() stops it (immediate, and
    nothing to do when it does not run)."""

    def __init__(self, directory=None):
        if directory is None:
            directory = tempfile.mkdtemp(prefix="ptl-pg-")
            self.owned = True
        else:
            self.owned = False
        os.chmod(directory, 0o755)   # the postgres user runs in it
        self.dir = directory
        self.url = None
        self._names = itertools.count(1)

    def _run(self, *args):
        cp = subprocess.run([PGCLUSTER] + list(args), capture_output=True,
                            text=True, timeout=120)
        if cp.returncode != 0:
            raise ServerError("pgcluster %s failed (%d): %s%s" % (
                args[0], cp.returncode, cp.stdout, cp.stderr))
        return cp.stdout.strip()

    def start(self):
        self.url = self._run("start", self.dir)
        return self.url

    def running(self):
        return subprocess.run([PGCLUSTER, "status", self.dir],
                              capture_output=True).returncode == 0

    def createdb(self, name=None):
        with _counter_lock:
            n = next(self._names)
        name = name or "t%d_%d_%s" % (os.getpid(), n, secrets.token_hex(3))
        return self._run("createdb", self.dir, name)

    def dropdb(self, url):
        name = url.split("?", 1)[0].rsplit("/", 1)[-1]
        if self.running():
            self._run("dropdb", self.dir, name)

    def stop(self):
        self._run("stop", self.dir)

    def remove(self):
        """Stops it and removes its folder when this object made it."""
        try:
            self.stop()
        finally:
            if self.owned and os.environ.get("KEEP_TMP") != "1":
                shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def sock(self):
        return os.path.join(self.dir, "sock")

    def log(self):
        return _read(os.path.join(self.dir, "postgresql.log"))


def _pg_program(name):
    """A program of the PostgreSQL server's bin folder (pg_dump, psql)."""
    base = os.environ.get("PG_BINDIR")
    if not base:
        import glob
        dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda d: [int(x) if x.isdigit() else 0 for x in
                                     d.split("/")[-2].split(".")])
        base = dirs[-1] if dirs else "/usr/bin"
    return os.path.join(base, name)


_shared_cluster = None
_shared_lock = threading.Lock()


def shared_cluster():
    """The suite's one cluster: the one run.py started (PTL_PG_DIR), or one
    started here at the first call and stopped when Python exits."""
    global _shared_cluster
    with _shared_lock:
        if _shared_cluster is None:
            given = os.environ.get("PTL_PG_DIR")
            c = PgCluster(given)
            c.start()
            if not given:
                import atexit
                atexit.register(c.remove)
            _shared_cluster = c
        return _shared_cluster


def _qmark_to_format(query):
    """SQLite's `?` placeholders as psycopg2's `%s` (and a literal `%` as
    `%%`), leaving quoted strings and identifiers alone."""
    out, quote = [], None
    for ch in query:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


def _pg_value(v):
    return bytes(v) if isinstance(v, memoryview) else v


class Database:
    """One connection to a Server's database, on either engine, in
    autocommit mode: execute() runs one statement (placeholders `?`) and
    returns its rows as tuples (bytea as bytes); rowcount and columns (the
    result's column names) of the last."""

    def __init__(self, engine, target):
        self.engine = engine
        self.rowcount = -1
        self.columns = []
        if engine == "postgres":
            import psycopg2
            self.conn = psycopg2.connect(target)
            self.conn.autocommit = True
        else:
            import sqlite3
            self.conn = sqlite3.connect(target, timeout=10,
                                        isolation_level=None)

    def execute(self, query, params=()):
        if self.engine == "postgres":
            cur = self.conn.cursor()
            try:
                cur.execute(_qmark_to_format(query), tuple(params))
                self.rowcount = cur.rowcount
                self.columns = [d[0] for d in cur.description or ()]
                if cur.description is None:
                    return []
                return [tuple(_pg_value(v) for v in row) for row in cur.fetchall()]
            finally:
                cur.close()
        cur = self.conn.execute(query, tuple(params))
        rows = cur.fetchall()
        self.rowcount = cur.rowcount
        self.columns = [d[0] for d in cur.description or ()]
        return rows

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def apache_user():
    """(user, group) Apache's children run as: www-data when the tests run
    as root (Apache started by root switches to User/Group), else the
    current user (Apache cannot switch users, and ignores User/Group)."""
    if os.geteuid() == 0:
        return "www-data", "www-data"
    return (pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name)


def _chown_tree(top, uid, gid):
    os.chown(top, uid, gid)
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), uid, gid)


def _proc_stat(pid):
    """(pgrp, session) of a live process, or None when it is gone or a
    zombie (one that has ended and waits for a parent to reap it)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("latin-1")
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[2]), int(fields[3])


def _proc_environ(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def _read(path):
    """A file's text (invalid UTF-8 replaced), or "" when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Server:
    """One deployment of authportal for a suite: a web server with the built
    executables of cgi-bin/ on a free loopback port, against a fresh
    database. Every suite gets its servers from here, most through serve().

    start() makes a temp dir (authportal-it-*), starts the mail sink (smtp),
    builds the app environment, migrates and seeds the database with
    ./authportal, renders the shipped template of the web server into the
    temp dir and starts the server in the foreground in a session of its
    own (its stderr and its workers' go to run/error.log, see error_log()),
    and waits until GET /api/v1/health answers 200. A failed start is tried
    twice more on another port; the last failure stops everything started
    so far and raises ServerError. stop() ends the web server and, by pid,
    every process of it that outlived it (workers, cgid, fcgid's processes:
    session_pids()), the mail sink, and removes the temp dir (KEEP_TMP=1
    keeps it and prints its path).

    The app environment (Server.env, also that of cli()): the caller's
    without any app setting (APP_PREFIXES), plus fresh random secrets,
    DATABASE_PATH, a cheap Argon2 cost, NODE_ENV=test, AUTH_RATE_LIMIT=false,
    FRONTEND_DOMAIN=http://localhost:3000 and the MAIL_* settings of the
    sink; then env; then port_env.

    web: "lighttpd" (lighttpd/lighttpd.conf.in rendered by
      script/lighttpd-conf, FastCGI; the default unless PTL_WEB names
      another), "nginx" (nginx/authportal.conf.in in nginx/nginx.conf.in,
      rendered by script/nginx-conf; the workers on Unix sockets started
      by tests/tools/fcgi_spawn.py, which also replaces any that ends, as
      systemd would), or Apache httpd with a template of
      apache/ rendered by script/apache-conf: "fcgid" (mod_fcgid), "cgi"
      (plain CGI, mod_cgid) or "htaccess" (apache/htaccess.example as the
      .htaccess of a shared host's document root that holds copies of the
      executables; the settings reach the app through SetEnv ENV_FILE).
      Apache's children may run as another user (apache_user()), who may
      not reach the checkout: the executables, the pages and the mail
      templates are copied into the temp dir, which is given to that user.
    env: overrides for the app environment; a value of None removes the key.
    db_path: the database file, absolute or relative to the temp dir
      (default authportal.db); Server.db_path is the file in use.
    smtp: True (default) for the in-process SmtpSink, "catcher" for the
      real tests/tools/smtp_catcher.py as a subprocess (Server.smtp is then
      the SmtpCatcher, Server.mail_dir the folder of its .eml files, and the
      SMTP timeouts are short: CATCHER_ENV), False for no SMTP settings.
    maxprocs: FastCGI processes per executable (MAXPROCS of the templates).
    port_env: optional callable port -> dict of further overrides (None
      removes the key), applied once the port is chosen and before the web
      server starts (again at each attempt), so that settings can name the
      server's own address, e.g. a FRONTEND_DOMAIN of
      "http://localhost:%d" % port.
    start_timeout: seconds the web server has to answer /api/v1/health.
    engine: "sqlite" (a file, DATABASE_PATH) or "postgres" (a fresh
      database of cluster through DATABASE_URL; Server.db_url); default
      DB_ENGINE (PTL_DB).
    cluster: the PgCluster of engine "postgres" (default shared_cluster()).
    share: another, started Server whose database (file or URL) and
      settings (every app setting: the secrets, the SMTP server, FILES_DIR)
      this one uses, then env: a second "host" of one site. It has no SMTP
      server of its own (Server.mail_dir is the first's), is migrated (a
      no-op) but not seeded, and leaves the database to the first.
    """

    def __init__(self, *, web=None, env=None, db_path=None, smtp=True,
                 maxprocs=2, port_env=None, start_timeout=30, engine=None,
                 cluster=None, share=None):
        web = web or DEFAULT_WEB
        if web not in ("lighttpd", "nginx") and web not in APACHE_KINDS:
            raise ValueError("unknown web server %r" % (web,))
        self.web = web
        self.share = share
        self.engine = share.engine if share is not None else (engine or DB_ENGINE)
        if self.engine not in ("sqlite", "postgres"):
            raise ValueError("unknown engine %r" % (self.engine,))
        self.cluster = share.cluster if share is not None else cluster
        self.db_url = None      # engine postgres: the database's URI
        self.overrides = dict(env or {})
        self.db_file = db_path or "authportal.db"
        self.use_smtp = smtp
        self.maxprocs = maxprocs
        self.port_env = port_env
        self.start_timeout = start_timeout
        self.tmp = None
        self.rundir = None
        self.db_path = None
        self.env = None
        self.smtp = None
        self.mail_dir = None
        self.port = None
        self.proc = None        # the web server while it runs
        self.server_pid = None  # its pid, kept after stop for session_pids()
        self._log = None
        self.seen = []          # every Response received, with its request
        self.seen_lock = threading.Lock()

    # ---- lifecycle -------------------------------------------------------
    def _build_env(self):
        """The app environment (see the class doc) before port_env."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(APP_PREFIXES)}
        env.update({
            "FILES_DIR": os.path.join(os.path.dirname(self.db_path), "files"),
            "AUTH_JWT_SECRET": secrets.token_hex(24),
            "AUTH_REFRESH_SECRET": secrets.token_hex(24),
            "AUTH_FORGOT_SECRET": secrets.token_hex(24),
            "AUTH_CONFIRM_EMAIL_SECRET": secrets.token_hex(24),
            "FRONTEND_DOMAIN": "http://localhost:3000",
            "AUTH_ARGON2_MEMLIMIT_KIB": "19456",
            "AUTH_ARGON2_OPSLIMIT": "2",
            "NODE_ENV": "test",
            "AUTH_RATE_LIMIT": "false",
            # Which Server a worker belongs to, when two share a database
            # (session_pids()).
            "PTL_TEST_HOST": self.tmp,
        })
        if self.engine == "postgres":
            env["DATABASE_URL"] = self.db_url
        else:
            env["DATABASE_PATH"] = self.db_path
        if self.share is not None:
            # The same settings on every host (README, "Several hosts").
            env.update({k: v for k, v in self.share.env.items()
                        if k.startswith(APP_PREFIXES)})
            _apply(env, self.overrides)
            return env
        if self.smtp is not None:
            env.update({
                "MAIL_HOST": "127.0.0.1",
                "MAIL_PORT": str(self.smtp.port),
                "MAIL_IGNORE_TLS": "true",
                "MAIL_SECURE": "false",
                "MAIL_REQUIRE_TLS": "false",
                "MAIL_DEFAULT_EMAIL": "noreply@example.com",
                "MAIL_DEFAULT_NAME": "Api",
                "MAIL_TEMPLATE_DIR": MAIL_TEMPLATES,
            })
        if self.use_smtp == "catcher":
            env.update(CATCHER_ENV)
        _apply(env, self.overrides)
        return env

    def start(self):
        self._check_installed()
        self.tmp = tempfile.mkdtemp(prefix="authportal-it-")
        self.rundir = os.path.join(self.tmp, "run")
        os.makedirs(self.rundir)
        self.db_path = os.path.join(self.tmp, self.db_file)
        try:
            if self.share is not None:
                if self.share.env is None:
                    raise ServerError("share: start the first Server first")
                self.db_path = self.share.db_path
                self.db_url = self.share.db_url
                self.use_smtp = False
                self.mail_dir = self.share.mail_dir
            elif self.engine == "postgres":
                if self.cluster is None:
                    self.cluster = shared_cluster()
                self.db_url = self.cluster.createdb()
            if self.use_smtp == "catcher":
                self.mail_dir = os.path.join(self.tmp, "mail")
                self.smtp = SmtpCatcher(self.mail_dir)
            elif self.use_smtp:
                self.smtp = SmtpSink()
            self.env = self._build_env()
            self.db_path = self.env.get("DATABASE_PATH", self.db_path)
            self.db_url = self.env.get("DATABASE_URL", self.db_url)
            for cmd in ("migrate",) if self.share else ("migrate", "seed"):
                cp = self.cli(cmd)
                if cp.returncode != 0:
                    raise ServerError("authportal %s failed (%d):\n%s%s" % (
                        cmd, cp.returncode, cp.stdout, cp.stderr))
            if self.web in APACHE_KINDS or self.web == "nginx":
                self._copy_for_apache()
            last_err = None
            for _attempt in range(3):   # the free port may be taken meanwhile
                try:
                    self._start_web()
                    return
                except ServerError as e:
                    last_err = e
                    self._stop_web()
            raise last_err
        except BaseException:
            self.stop()
            raise

    def stop(self):
        self._stop_web()
        if self.smtp is not None:
            self.smtp.close()
        if (self.engine == "postgres" and self.share is None and
                self.db_url and self.cluster is not None and
                os.environ.get("KEEP_TMP") != "1"):
            try:
                self.cluster.dropdb(self.db_url)
            except ServerError:
                pass
            self.db_url = None
        if self.tmp and os.environ.get("KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.tmp:
            print("KEEP_TMP: %s" % self.tmp)

    def _check_installed(self):
        need = [CLI, os.path.join(BINDIR, "health")]
        if self.web == "lighttpd":
            need.append(LIGHTTPD_CONF)
        elif self.web == "nginx":
            if not os.access(NGINX, os.X_OK):
                raise ServerError("no nginx at %s (script/bootstrap --test)" % NGINX)
            need.append(NGINX_CONF)
        else:
            if not os.access(APACHE, os.X_OK):
                raise ServerError("no apache2 at %s (script/bootstrap --test)" % APACHE)
            need.append(APACHE_CONF)
        for path in need:
            if not os.access(path, os.X_OK):
                raise ServerError("not built or not executable: %s "
                                  "(run `make -j2` at the repo root)" % path)

    def _copy_for_apache(self):
        """The executables, the pages and the mail templates, copied into
        the temp dir for Apache's children (see the class doc)."""
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir, exist_ok=True)
        for exe in EXECUTABLES:
            shutil.copy2(os.path.join(BINDIR, exe), os.path.join(bindir, exe))
        # The document of GET /docs-json, beside the programs (as in the
        # shared-host bundle: lib/base/paths.h).
        shutil.copy2(OPENAPI, os.path.join(bindir, "openapi.json"))
        shutil.copytree(DOCROOT, os.path.join(self.tmp, "www"), dirs_exist_ok=True)
        mail = os.path.join(self.tmp, "mail-templates")
        shutil.copytree(MAIL_TEMPLATES, mail, dirs_exist_ok=True)
        self.env["MAIL_TEMPLATE_DIR"] = mail
        # The message files (APP_I18N_DIR), unless the test names its own.
        if "APP_I18N_DIR" not in self.overrides:
            i18n = os.path.join(self.tmp, "i18n")
            shutil.copytree(I18N_DIR, i18n, dirs_exist_ok=True)
            self.env["APP_I18N_DIR"] = i18n
        # The account pages (cgi-bin/pages), which a copy cannot find
        # through the build tree.
        pages = os.path.join(self.tmp, "pages")
        shutil.copytree(os.path.join(REPO, "pages"), pages, dirs_exist_ok=True)
        self.env.setdefault("PAGES_THEME_DIR", pages)

    def _start_web(self):
        """One attempt: a free port, port_env, the rendered configuration,
        the web server, and the wait for /api/v1/health."""
        self.port = _free_port()
        if self.port_env is not None:
            _apply(self.env, self.port_env(self.port))
        if self.web == "lighttpd":
            argv = self._render_lighttpd()
        elif self.web == "nginx":
            argv = self._render_nginx()
        else:
            argv = self._render_apache()
        # lighttpd -D keeps its own stderr, and the FastCGI workers inherit
        # it: stdout and stderr go to the error log too (O_APPEND, like the
        # server's own writes), so that error_log() holds every line.
        self._log = open(os.path.join(self.rundir, "error.log"), "ab", buffering=0)
        # A session of its own: every process the server starts stays in
        # it, so that _stop_web can find (and end) them all.
        self.proc = subprocess.Popen(
            argv, env=self.env, cwd=self.tmp, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.server_pid = self.proc.pid
        name = os.path.basename(argv[0])
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("%s exited with %s:\n%s" % (
                    name, self.proc.returncode, self.error_log()))
            try:
                r = self.request("GET", "/api/v1/health", record=False,
                                 timeout=5)
                if r.status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.01)
        raise ServerError("%s did not answer /api/v1/health within %ss:\n%s"
                          % (name, self.start_timeout, self.error_log()))

    def _render(self, argv, conf_name, env=None):
        """Runs a script/*-conf renderer; writes its output to the temp dir
        as conf_name and returns that path."""
        cp = subprocess.run(argv, capture_output=True, text=True, cwd=REPO,
                            env=env)
        if cp.returncode != 0:
            raise ServerError("%s failed: %s" % (os.path.basename(argv[0]),
                                                 cp.stderr))
        conf = os.path.join(self.tmp, conf_name)
        with open(conf, "w") as f:
            f.write(cp.stdout)
        return conf

    def _render_lighttpd(self):
        conf = self._render([LIGHTTPD_CONF, str(self.port), BINDIR, self.rundir,
                             DOCROOT, str(self.maxprocs)], "lighttpd.conf")
        return [LIGHTTPD, "-D", "-f", conf]

    def _render_apache(self):
        user, group = apache_user()
        docroot = os.path.join(self.tmp, "www")
        if self.web == "htaccess":
            docroot = self._make_site()
        conf = self._render(
            [APACHE_CONF, self.web, str(self.port), os.path.join(self.tmp, "bin"),
             self.rundir, docroot, str(self.maxprocs)], "apache2.conf",
            env=dict(self.env, APACHE_RUN_USER=user, APACHE_RUN_GROUP=group))
        if os.geteuid() == 0:
            _chown_tree(self.tmp, pwd.getpwnam(user).pw_uid,
                        grp.getgrnam(group).gr_gid)
        return [APACHE, "-DFOREGROUND", "-f", conf]

    def _render_nginx(self):
        """nginx.conf in the temp dir, and the command that starts the
        workers on Unix sockets in run/ (as www-data when we are root,
        like nginx's own workers) and then nginx in the foreground."""
        user, group = apache_user()
        conf = self._render(
            [NGINX_CONF, "127.0.0.1:%d" % self.port, self.rundir,
             os.path.join(self.tmp, "www"), self.rundir], "nginx.conf",
            env=dict(os.environ, NGINX_RUN_USER=user, NGINX_RUN_GROUP=group))
        argv = [CATCHER_PYTHON, FCGI_SPAWN, "--dir", self.rundir,
                "--procs", str(self.maxprocs)]
        if os.geteuid() == 0:
            _chown_tree(self.tmp, pwd.getpwnam(user).pw_uid,
                        grp.getgrnam(group).gr_gid)
            argv += ["--user", user, "--group", group, "--socket-group", group]
        argv += ["%s=%s" % (exe, os.path.join(self.tmp, "bin", exe))
                 for exe in EXECUTABLES]
        return argv + ["--", NGINX, "-p", self.rundir, "-c", conf,
                       "-e", os.path.join(self.rundir, "error.log"),
                       "-g", "daemon off;"]

    def _make_site(self):
        """The shared host's document root: the executables (copies, as an
        upload would be), a page (www/index.html) and htaccess.example as
        .htaccess, with its example
        origin and ENV_FILE line filled in; the settings in a .env file
        outside the document root."""
        site = os.path.join(self.tmp, "site")
        os.makedirs(site, exist_ok=True)
        for exe in EXECUTABLES:
            shutil.copy2(os.path.join(BINDIR, exe), os.path.join(site, exe))
        shutil.copy2(OPENAPI, os.path.join(site, "openapi.json"))
        # A page of the host's own next to them: the .htaccess covers it.
        shutil.copy2(os.path.join(DOCROOT, "index.html"),
                     os.path.join(site, "index.html"))
        env_file = os.path.join(self.tmp, "authportal.env")
        with open(env_file, "w") as f:
            for k, v in sorted(self.env.items()):
                if k.startswith(APP_PREFIXES):
                    f.write("%s=%s\n" % (k, v))
        with open(HTACCESS) as f:
            text = f.read()
        text = text.replace("'https://app.example.com'",
                            "'%s'" % self.env.get("FRONTEND_DOMAIN", ""))
        text = text.replace("#SetEnv ENV_FILE /home/USER/authportal.env",
                            "SetEnv ENV_FILE " + env_file)
        with open(os.path.join(site, ".htaccess"), "w") as f:
            f.write(text)
        return site

    def _stop_web(self):
        """Ends the web server (SIGTERM; SIGKILL to its process group after
        15 s), then, by pid, whatever of it outlived it (session_pids())."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                _terminate(proc, 15)
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
                time.sleep(0.005)
        if self._log is not None:
            self._log.close()
            self._log = None

    def session_pids(self):
        """Every live process in the web server's session or process group,
        and every process running one of our executables against our
        database (should one have left the session)."""
        if self.server_pid is None:
            return []
        me = self.server_pid
        if self.engine == "postgres":
            db = ("DATABASE_URL=%s" % self.db_url).encode()
        else:
            db = ("DATABASE_PATH=%s" % self.db_path).encode()
        host = ("PTL_TEST_HOST=%s" % self.tmp).encode()
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
                other = any(e.startswith(b"PTL_TEST_HOST=") and e != host
                            for e in envs)   # a worker of another host
                if (db in envs or env_file in envs) and not other:
                    found.append(pid)
        return found

    # ---- HTTP ------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, json_body=None,
                raw=None, record=True, timeout=60):
        """One request on a fresh connection.

        body: bytes or str sent as-is; json_body: serialised as JSON;
        raw: a complete raw HTTP request (bytes) written to the socket as-is,
        for requests http.client refuses to build. Content-Type defaults to
        application/json when a body is given and no Content-Type is set.
        """
        if raw is not None:
            resp = self._raw_request(raw, timeout)
        else:
            hdrs = dict(headers or {})
            if json_body is not None:
                body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            if isinstance(body, str):
                body = body.encode("utf-8")
            if body is not None and not any(k.lower() == "content-type" for k in hdrs):
                hdrs["Content-Type"] = "application/json"
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                conn.putrequest(method, path, skip_accept_encoding=True)
                for k, v in hdrs.items():
                    conn.putheader(k, v)
                if body is not None and not any(k.lower() == "content-length" for k in hdrs):
                    conn.putheader("Content-Length", str(len(body)))
                elif body is None and method in ("POST", "PATCH", "PUT") and \
                        not any(k.lower() == "content-length" for k in hdrs):
                    conn.putheader("Content-Length", "0")
                conn.endheaders(body)
                r = conn.getresponse()
                data = r.read()
                pairs = r.getheaders()
                resp = Response(r.status, _headers_dict(pairs), data, pairs)
            finally:
                conn.close()
        if record:
            with self.seen_lock:
                self.seen.append((method, path, resp))
        return resp

    def _raw_request(self, raw, timeout):
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(raw)
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            chunks = []
            while True:
                try:
                    c = s.recv(65536)
                except ConnectionResetError:
                    break
                if not c:
                    break
                chunks.append(c)
        data = b"".join(chunks)
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        if not lines or not lines[0].startswith(b"HTTP/"):
            raise http.client.BadStatusLine(repr(data[:200]))
        status = int(lines[0].split()[1])
        pairs = []
        for l in lines[1:]:
            k, _, v = l.decode("latin-1").partition(":")
            pairs.append((k.strip(), v.strip()))
        hd = _headers_dict(pairs)
        if hd.get("transfer-encoding", "").lower() == "chunked":
            body, buf = b"", rest
            while buf:
                size_line, _, buf = buf.partition(b"\r\n")
                size = int(size_line.split(b";")[0] or b"0", 16)
                if size == 0:
                    break
                body += buf[:size]
                buf = buf[size + 2:]
            rest = body
        elif "content-length" in hd:
            rest = rest[:int(hd["content-length"])]
        return Response(status, hd, rest, pairs)

    # ---- helpers ---------------------------------------------------------
    def login(self, email, password, headers=None):
        return self.request("POST", "/api/v1/auth/email/login",
                            json_body={"email": email, "password": password},
                            headers=headers)

    def register(self, email=None, password=DEFAULT_PASSWORD, first_name="Test",
                 last_name="User", headers=None, **extra):
        body = {"email": email if email is not None else unique_email(),
                "password": password, "firstName": first_name,
                "lastName": last_name}
        body.update(extra)
        return self.request("POST", "/api/v1/auth/email/register",
                            json_body=body, headers=headers)

    def new_user(self, prefix="user", password=DEFAULT_PASSWORD, **kw):
        """Registers a fresh user; returns its email (asserts 204)."""
        email = unique_email(prefix)
        r = self.register(email, password, **kw)
        if r.status != 204:
            raise AssertionError("register %s: %r" % (email, r))
        return email

    def login_ok(self, email, password=DEFAULT_PASSWORD, headers=None):
        """Logs in and returns the LoginResponse dict (asserts 200)."""
        r = self.login(email, password, headers=headers)
        if r.status != 200:
            raise AssertionError("login %s: %r" % (email, r))
        return r.json()

    @staticmethod
    def auth_headers(token, **more):
        h = {"Authorization": "Bearer " + token}
        h.update(more)
        return h

    def me(self, token):
        return self.request("GET", "/api/v1/auth/me", headers=self.auth_headers(token))

    def refresh(self, refresh_token, headers=None):
        h = self.auth_headers(refresh_token)
        h.update(headers or {})
        return self.request("POST", "/api/v1/auth/refresh", headers=h)

    def logout(self, token, scope=None):
        path = "/api/v1/auth/logout" + ("?scope=" + scope if scope else "")
        return self.request("POST", path, headers=self.auth_headers(token))

    def error_log(self):
        """run/error.log: the web server's and its workers' lines."""
        return _read(os.path.join(self.rundir, "error.log"))

    def crash_lines(self):
        """Lines of the error log that show a crash or a broken backend."""
        return [l for l in self.error_log().splitlines()
                if any(p.search(l) for p in CRASH_PATTERNS)]

    def server_errors(self):
        """Every recorded response with a 5xx status."""
        with self.seen_lock:
            return [(m, p, r) for (m, p, r) in self.seen if r.status >= 500]

    def cli(self, *args, input=None, env=None, timeout=120):
        """Runs ./authportal ARGS in the temp dir with Server.env, changed
        by env (None removes a key); returns the CompletedProcess (text)."""
        run_env = dict(self.env)
        _apply(run_env, env or {})
        return subprocess.run([CLI] + [str(a) for a in args], env=run_env,
                              cwd=self.tmp, capture_output=True, text=True,
                              input=input, timeout=timeout)

    # ---- the database ----------------------------------------------------
    def db(self):
        """A Database connection to this server's database (either
        engine); close it, or use it in a with block."""
        return Database(self.engine,
                        self.db_url if self.engine == "postgres" else self.db_path)

    def sql(self, query, params=()):
        """Runs one statement (placeholders `?`) on the database, committed
        at once; returns its rows as a list of tuples."""
        with self.db() as d:
            return d.execute(query, params)

    def sql_one(self, query, params=()):
        """The first row of sql() (a tuple), or None."""
        rows = self.sql(query, params)
        return rows[0] if rows else None

    def sql_value(self, query, params=()):
        """The first column of the first row of sql(), or None."""
        row = self.sql_one(query, params)
        return row[0] if row else None

    def db_bytes(self):
        """Raw bytes of the database file and its WAL (for leak scans); on
        PostgreSQL, a pg_dump of the database (what a leaked backup holds)."""
        if self.engine == "postgres":
            cp = subprocess.run([_pg_program("pg_dump"), "--no-owner",
                                 "-d", self.db_url], capture_output=True,
                                timeout=120)
            if cp.returncode != 0:
                raise ServerError("pg_dump failed: %s" % cp.stderr.decode(
                    "utf-8", "replace"))
            return cp.stdout
        out = b""
        for suffix in ("", "-wal", "-journal"):
            try:
                with open(self.db_path + suffix, "rb") as f:
                    out += f.read()
            except OSError:
                pass
        return out


def serve(owner=None, **kw):
    """Starts a Server(**kw) and has unittest stop it: from a setUpModule
    (owner None) after the module's last test, from a setUpClass (owner the
    class) after the class's last test (addModuleCleanup, addClassCleanup;
    they run even when the rest of that setUp fails). A Server that fails
    to start has stopped itself and raises. Returns the running Server."""
    s = Server(**kw)
    s.start()
    if owner is None:
        unittest.addModuleCleanup(s.stop)
    else:
        owner.addClassCleanup(s.stop)
    return s


class ApiTestCase(unittest.TestCase):
    """Assertions shared by the suites."""

    maxDiff = 4000

    def assertStatus(self, resp, status):
        self.assertEqual(resp.status, status, "expected %d, got %r" % (status, resp))

    def assertBody(self, resp, status, body):
        """Exact status and exact body bytes."""
        self.assertStatus(resp, status)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.assertEqual(resp.body, body)

    def assert4xx(self, resp):
        self.assertTrue(400 <= resp.status < 500, "expected a 4xx, got %r" % (resp,))

    def assertJsonCT(self, resp):
        self.assertEqual(resp.headers.get("content-type"), JSON_CT, repr(resp))

    def assertJson4xx(self, resp):
        """A clean 4xx with a JSON object body."""
        self.assert4xx(resp)
        self.assertJsonCT(resp)
        self.assertIsInstance(resp.json(), dict)

    def assertSecurityHeaders(self, resp):
        for name, value in SECURITY_HEADERS.items():
            self.assertEqual(resp.headers.get(name), value,
                             "header %s on %r: %r" % (name, resp, resp.headers))
        self.assertNotIn("x-powered-by", resp.headers)

    def assertNoStore(self, resp):
        self.assertIn("no-store", resp.headers.get("cache-control", ""),
                      "Cache-Control on %r: %r" % (resp, resp.headers))
        self.assertEqual(resp.headers.get("pragma"), "no-cache",
                         "Pragma on %r: %r" % (resp, resp.headers))

    def assertUnauthorized(self, resp):
        self.assertBody(resp, 401, UNAUTHORIZED)
        self.assertJsonCT(resp)

    def assertUserObject(self, user, email=None, role=2, status=None):
        self.assertEqual(list(user.keys()), USER_KEYS, user)
        self.assertIsInstance(user["id"], int)
        if email is not None:
            self.assertEqual(user["email"], email)
        self.assertEqual(user["provider"], "email")
        self.assertIsNone(user["socialId"])
        names = {1: "Admin", 2: "User"}
        self.assertEqual(list(user["role"].keys()), ["id", "name", "__entity"])
        self.assertEqual(user["role"], {"id": role, "name": names[role],
                                        "__entity": "RoleEntity"})
        self.assertEqual(list(user["status"].keys()), ["id", "name", "__entity"])
        if status is not None:
            self.assertEqual(user["status"], {"id": status,
                                              "name": {1: "Active", 2: "Inactive"}[status],
                                              "__entity": "StatusEntity"})
        self.assertRegex(user["createdAt"], ISO_RE)
        self.assertRegex(user["updatedAt"], ISO_RE)
        self.assertIsNone(user["deletedAt"])
