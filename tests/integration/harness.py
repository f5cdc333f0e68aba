# SPDX-License-Identifier: ISC
"""Integration-test harness for authportal.

Server() starts the real lighttpd (lighttpd/lighttpd.conf.in rendered by
script/lighttpd-conf) with the built FastCGI executables of cgi-bin/ on a
free loopback port, against a fresh SQLite database migrated and seeded with
./authportal. Python 3 standard library only.

    with Server() as s:
        r = s.login("john.doe@example.com", "secret")
        assert r.status == 200

Every response the harness sees is recorded in Server.seen, so that suites
can assert afterwards that no 5xx happened and nothing secret leaked.
"""

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import os
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
CONF_RENDERER = os.path.join(REPO, "script", "lighttpd-conf")
MAIL_TEMPLATES = os.path.join(REPO, "mail")
SMTP_CATCHER = os.path.join(REPO, "tests", "tools", "smtp_catcher.py")
# The catcher needs Debian's python3-aiosmtpd.
CATCHER_PYTHON = "/usr/bin/python3"

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
UNIFORM_LOGIN_ERROR = (b'{"status":422,"errors":{"email":"incorrectEmailOrPassword",'
                       b'"password":"incorrectEmailOrPassword"}}')
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

# Settings the harness owns: stripped from the inherited environment so that
# nothing from the caller's shell leaks into the app.
_OWNED_PREFIXES = ("AUTH_", "APP_", "MAIL_", "DATABASE_", "FRONTEND_",
                   "BACKEND_", "GOOGLE_", "FACEBOOK_", "APPLE_", "GITHUB_",
                   "TRUSTED_PROXIES", "NODE_ENV", "API_PREFIX")

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
            want, last, Server._read(self.log_path)))

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
        for l in Server._read(self.log_path).splitlines():
            m = re.match(r"^smtp catcher: (\S+) from (.*?) to (.*)$", l)
            if m:
                out.append((m.group(1), m.group(2),
                            [x for x in m.group(3).split(",") if x]))
        return out


class ServerError(RuntimeError):
    pass


class Server:
    """lighttpd + the authportal FastCGI executables on a free port.

    env: overrides for the app environment; a value of None removes the key.
    maxprocs: FastCGI workers per executable (MAXPROCS of the template).
    smtp: True (default) for the in-process SmtpSink, "catcher" for the
      real tests/tools/smtp_catcher.py as a subprocess (Server.smtp is then
      the SmtpCatcher and Server.mail_dir the folder of its .eml files),
      False for no SMTP settings at all.
    port_env: optional callable port -> dict of further overrides (None
      removes the key), applied once the port is chosen and before lighttpd
      starts (again at each start attempt), so that settings can name the
      server's own address, e.g. a FRONTEND_DOMAIN of
      "http://localhost:%d" % port. Server.env (and so cli()) holds them.
      A subclass that replaces _start_lighttpd calls _apply_port_env()
      itself after it picks self.port.
    """

    def __init__(self, env=None, maxprocs=2, smtp=True, start_timeout=30,
                 port_env=None):
        self.overrides = dict(env or {})
        self.port_env = port_env
        self.maxprocs = maxprocs
        self.use_smtp = smtp
        self.start_timeout = start_timeout
        self.tmp = None
        self.proc = None
        self.smtp = None
        self.mail_dir = None
        self.port = None
        self.seen = []          # every Response received, with its request
        self.seen_lock = threading.Lock()
        self.env = None

    # ---- lifecycle -------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _build_env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(_OWNED_PREFIXES)}
        env.update({
            "DATABASE_PATH": os.path.join(self.tmp, "authportal.db"),
            "AUTH_JWT_SECRET": secrets.token_hex(24),
            "AUTH_REFRESH_SECRET": secrets.token_hex(24),
            "AUTH_FORGOT_SECRET": secrets.token_hex(24),
            "AUTH_CONFIRM_EMAIL_SECRET": secrets.token_hex(24),
            "FRONTEND_DOMAIN": "http://localhost:3000",
            "AUTH_ARGON2_MEMLIMIT_KIB": "19456",
            "AUTH_ARGON2_OPSLIMIT": "2",
            "NODE_ENV": "test",
            "AUTH_RATE_LIMIT": "false",
        })
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
        for k, v in self.overrides.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env

    def start(self):
        for path in (CLI, os.path.join(BINDIR, "health"), CONF_RENDERER):
            if not os.access(path, os.X_OK):
                raise ServerError("not built or not executable: %s "
                                  "(run `make -j2` at the repo root)" % path)
        self.tmp = tempfile.mkdtemp(prefix="authportal-it-")
        self.rundir = os.path.join(self.tmp, "run")
        os.makedirs(self.rundir)
        self.db_path = os.path.join(self.tmp, "authportal.db")
        try:
            if self.use_smtp == "catcher":
                self.mail_dir = os.path.join(self.tmp, "mail")
                self.smtp = SmtpCatcher(self.mail_dir)
            elif self.use_smtp:
                self.smtp = SmtpSink()
            self.env = self._build_env()
            self.db_path = self.env.get("DATABASE_PATH", self.db_path)
            for cmd in ("migrate", "seed"):
                cp = self.cli(cmd)
                if cp.returncode != 0:
                    raise ServerError("authportal %s failed (%d):\n%s%s" % (
                        cmd, cp.returncode, cp.stdout, cp.stderr))
            last_err = None
            for _attempt in range(3):
                try:
                    self._start_lighttpd()
                    return
                except ServerError as e:
                    last_err = e
                    self._kill_lighttpd()
            raise last_err
        except BaseException:
            self.stop()
            raise

    def _apply_port_env(self):
        """Applies port_env(self.port) to self.env (see the class doc)."""
        if self.port_env is None:
            return
        for k, v in dict(self.port_env(self.port)).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = str(v)

    def _start_lighttpd(self):
        self.port = _free_port()
        self._apply_port_env()
        conf = os.path.join(self.tmp, "lighttpd.conf")
        cp = subprocess.run(
            [CONF_RENDERER, str(self.port), BINDIR, self.rundir, DOCROOT,
             str(self.maxprocs)], capture_output=True, text=True, cwd=REPO)
        if cp.returncode != 0:
            raise ServerError("lighttpd-conf failed: %s" % cp.stderr)
        with open(conf, "w") as f:
            f.write(cp.stdout)
        lighttpd = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
        # lighttpd -D keeps its own stderr, and the FastCGI workers inherit
        # it: send it to the error log too (O_APPEND, like lighttpd's own
        # writes), so that error_log() holds lighttpd's and the workers' lines.
        self._stdout = open(os.path.join(self.rundir, "error.log"), "ab", buffering=0)
        self.proc = subprocess.Popen(
            [lighttpd, "-D", "-f", conf], env=self.env, cwd=self.tmp,
            stdout=self._stdout, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("lighttpd exited with %s:\n%s" % (
                    self.proc.returncode, self.error_log()))
            try:
                r = self.request("GET", "/api/v1/health", record=False,
                                 timeout=5)
                if r.status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise ServerError("lighttpd did not answer /api/v1/health within %ss:\n%s"
                          % (self.start_timeout, self.error_log()))

    def _kill_lighttpd(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            _terminate(self.proc, 15)
        self.proc = None
        try:
            self._stdout.close()
        except Exception:
            pass

    def stop(self):
        self._kill_lighttpd()
        if self.smtp is not None:
            self.smtp.close()
        if self.tmp and os.environ.get("KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.tmp:
            print("KEEP_TMP: %s" % self.tmp)

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
    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)

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

    @staticmethod
    def _read(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def error_log(self):
        return self._read(os.path.join(self.rundir, "error.log"))

    def crash_lines(self):
        """Lines of the error log that show a crash or a broken backend."""
        return [l for l in self.error_log().splitlines()
                if any(p.search(l) for p in CRASH_PATTERNS)]

    def server_errors(self):
        """Every recorded response with a 5xx status."""
        with self.seen_lock:
            return [(m, p, r) for (m, p, r) in self.seen if r.status >= 500]

    def cli(self, *args, input=None, timeout=120):
        return subprocess.run([CLI] + [str(a) for a in args], env=self.env,
                              cwd=self.tmp, capture_output=True, text=True,
                              input=input, timeout=timeout)

    def db_bytes(self):
        """Raw bytes of the database file and its WAL (for leak scans)."""
        out = b""
        for suffix in ("", "-wal", "-journal"):
            try:
                with open(self.db_path + suffix, "rb") as f:
                    out += f.read()
            except OSError:
                pass
        return out


class ApiTestCase(unittest.TestCase):
    """Assertions shared by the suites. Subclasses set cls.server."""

    server = None
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
