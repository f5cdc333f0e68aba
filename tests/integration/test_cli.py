# SPDX-License-Identifier: ISC
"""The admin tool ./authportal (issue 2 point 8, issue 10 points 1-3 and
9) against a running server: keygen, user add|list|disable, session
list|revoke; the arguments parsed before any setting (--help, --version,
unknown commands and options); passwords from a pipe and from a terminal
without echo; user enable|delete|set-password|role; backup while the
server writes; check-config, which reads only; the files (0600, the
backup before a migration, a newer schema refused, a missing folder
said so, relative paths of the settings file)."""

import glob
import os
import pty
import re
import select
import shutil
import socket
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time

from harness import (ApiTestCase, serve, unique_email, jwt_parts, CLI, REPO,
                     APP_PREFIXES, DEMO_ADMIN, DEMO_USER, UNIFORM_LOGIN_ERROR,
                     sqlite_only)

S = None
SECRETS = ("AUTH_JWT_SECRET", "AUTH_REFRESH_SECRET", "AUTH_FORGOT_SECRET",
           "AUTH_CONFIRM_EMAIL_SECRET")


def setUpModule():
    global S
    S = serve()


def sid(login):
    return jwt_parts(login["token"])[1]["sessionId"]


class Cli(ApiTestCase):
    def ok(self, *args, **kw):
        cp = S.cli(*args, **kw)
        self.assertEqual(cp.returncode, 0, "authportal %s: rc=%d\n%s%s" % (
            " ".join(map(str, args)), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def test_keygen(self):
        out1 = self.ok("keygen").stdout
        out2 = self.ok("keygen").stdout
        values = {}
        for name in SECRETS:
            m = re.search(r"^%s=(\S+)\s*$" % name, out1, re.M)
            self.assertIsNotNone(m, "%s missing in:\n%s" % (name, out1))
            self.assertGreaterEqual(len(m.group(1)), 32)
            values[name] = m.group(1)
            m2 = re.search(r"^%s=(\S+)\s*$" % name, out2, re.M)
            self.assertNotEqual(m.group(1), m2.group(1), "keygen repeats itself")
        self.assertEqual(len(set(values.values())), 4, "secrets must differ")

    def test_help(self):
        cp = S.cli("--help")
        self.assertIn(cp.returncode, (0, 2))
        text = cp.stdout + cp.stderr
        for word in ("migrate", "keygen", "user", "session"):
            self.assertIn(word, text)

    def test_unknown_command_fails(self):
        cp = S.cli("no-such-command")
        self.assertNotEqual(cp.returncode, 0)

    def test_user_list_has_demo_users(self):
        out = self.ok("user", "list").stdout
        self.assertIn(DEMO_ADMIN, out)
        self.assertIn(DEMO_USER, out)
        self.assertNotIn("$argon2", out)

    def test_user_add_then_login(self):
        email = unique_email("cliadd")
        pw = "Cli-Added-Pw-7"
        self.ok("user", "add", email, "--password", pw)
        r = S.login(email, pw)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["user"]["email"], email)
        self.assertIn(email, self.ok("user", "list").stdout)
        # adding the same address again fails
        cp = S.cli("user", "add", email, "--password", pw)
        self.assertNotEqual(cp.returncode, 0)
        # the password never shows up in the log
        self.assertNotIn(pw, S.error_log())

    def test_user_disable_ends_login_and_sessions(self):
        email = unique_email("clidis")
        pw = "Cli-Disable-Pw-8"
        self.ok("user", "add", email, "--password", pw)
        a = S.login_ok(email, pw)
        self.assertStatus(S.me(a["token"]), 200)
        self.ok("user", "disable", email)
        self.assertBody(S.login(email, pw), 422, UNIFORM_LOGIN_ERROR)
        self.assertUnauthorized(S.me(a["token"]))
        self.assertUnauthorized(S.refresh(a["refreshToken"]))

    def test_session_list_and_revoke(self):
        email = unique_email("clises")
        pw = "Cli-Session-Pw-9"
        self.ok("user", "add", email, "--password", pw)
        a = S.login_ok(email, pw, headers={"User-Agent": "cli-test-A"})
        b = S.login_ok(email, pw, headers={"User-Agent": "cli-test-B"})
        out = self.ok("session", "list", email).stdout
        for s in (sid(a), sid(b)):
            self.assertRegex(out, r"(?<!\d)%d(?!\d)" % s)
        self.assertNotIn(a["refreshToken"], out)
        self.ok("session", "revoke", str(sid(a)))
        self.assertUnauthorized(S.me(a["token"]))
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        self.assertStatus(S.me(b["token"]), 200)
        out = self.ok("session", "list", email).stdout
        self.assertRegex(out, r"(?<!\d)%d(?!\d)" % sid(b))

    def test_output_escapes_control_bytes(self):
        # Stored values reach the terminal of whoever runs the tool: every
        # control byte is written as \xNN there, as in the log (issue 9
        # point 7). lighttpd refuses control bytes in a User-Agent, other
        # web servers may not: the user agent, a legacy address and an
        # SMTP error are written to the database directly.
        email = unique_email("cliesc")
        pw = "Cli-Escape-Pw-1"
        self.ok("user", "add", email, "--password", pw)
        a = S.login_ok(email, pw, headers={"User-Agent": "cli-esc"})
        legacy = unique_email("cliesc-old")
        self.ok("user", "add", legacy, "--password", pw)
        mail_to = S.new_user("cliesc-mail")
        # The worker delivers that mail after its answer: let it finish, so
        # that it does not overwrite the row changed below.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and S.sql_value(
                "SELECT count(*) FROM mail_outbox WHERE recipient = ? AND "
                "sent_at IS NULL AND attempts = 0", (mail_to,)):
            time.sleep(0.02)
        S.sql("UPDATE sessions SET user_agent = ? WHERE id = ?",
              ("Evil\x1b[2J\x1b]0;t\x07\\x", sid(a)))
        S.sql("UPDATE users SET email = ? WHERE email = ?",
              ('"x\x1b[31m\r\ny"' + legacy, legacy))
        S.sql("UPDATE mail_outbox SET last_error = ? WHERE recipient = ?",
              ("550 no\r\nfake line\x1b[0m\u009b1m", mail_to))
        outs = {"session": self.ok("session", "list", email).stdout,
                "user": self.ok("user", "list").stdout,
                "mail": self.ok("mail", "list").stdout}
        for name, out in outs.items():
            lines = out.split("\n")
            self.assertEqual(lines[-1], "", name)
            for line in lines:
                self.assertIsNone(re.search("[\x00-\x1f\x7f\x80-\x9f]", line),
                                  "%s list: %r" % (name, line))
        self.assertIn("Evil\\x1b[2J\\x1b]0;t\\x07\\x5cx", outs["session"])
        self.assertRegex(outs["session"], r"(?<!\d)%d(?!\d)" % sid(a))
        self.assertIn('"x\\x1b[31m\\x0d\\x0ay"' + legacy, outs["user"])
        self.assertIn("550 no\\x0d\\x0afake line\\x1b[0m\\xc2\\x9b1m", outs["mail"])
        cp = S.cli("user", "disable", "nobody\x1b[2J@example.com")
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("nobody\\x1b[2J@example.com", cp.stderr)
        self.assertNotIn("\x1b", cp.stderr)

    def test_migrate_is_idempotent(self):
        self.ok("migrate")
        self.assertStatus(S.login(DEMO_USER, "secret"), 200)


SQL_DIR = os.path.join(REPO, "sql")
MIGRATIONS = sorted(glob.glob(os.path.join(SQL_DIR, "[0-9][0-9][0-9]_*.sql")))
# Versions are the migrations' numbers, which may have gaps while
# branches that took other numbers have not landed.
VERSIONS = [int(os.path.basename(m)[:3]) for m in MIGRATIONS]
KNOWN = VERSIONS[-1]
PREV = VERSIONS[-2] if len(VERSIONS) > 1 else 0   # one migration behind


def bare(*args, cwd=None, env=None):
    """The tool with no setting at all (nor a settings file)."""
    run_env = {k: v for k, v in os.environ.items()
               if not k.startswith(APP_PREFIXES) and k != "ENV_FILE"}
    run_env.update(env or {})
    return subprocess.run([CLI] + list(args), env=run_env,
                          cwd=cwd or tempfile.gettempdir(),
                          capture_output=True, text=True, timeout=60)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def tmpdir(case):
    d = tempfile.mkdtemp(prefix="authportal-cli-")
    case.addCleanup(shutil.rmtree, d, ignore_errors=True)
    return d


def snapshot(d):
    """(name, size, mtime_ns, mode) of every file under d."""
    out = []
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            st = os.lstat(os.path.join(root, n))
            out.append((os.path.relpath(os.path.join(root, n), d), st.st_size,
                        st.st_mtime_ns, st.st_mode))
    return sorted(out)


def make_db_at(path, version):
    """A database with the migrations of sql/ up to `version`."""
    c = sqlite3.connect(path)
    try:
        c.execute("PRAGMA journal_mode = WAL")
        for f, v in zip(MIGRATIONS, VERSIONS):
            if v > version:
                break
            with open(f) as fh:
                c.executescript(fh.read())
        c.execute("PRAGMA user_version = %d" % version)
        c.commit()
    finally:
        c.close()


def user_version(path):
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return c.execute("PRAGMA user_version").fetchone()[0]
    finally:
        c.close()


class Arguments(ApiTestCase):
    """Parsed before any setting is read (issue 10 point 2)."""

    COMMANDS = ("migrate", "seed", "keygen", "check-config", "user add",
                "user list", "user disable", "user enable", "user delete",
                "user set-password", "user role", "session list",
                "session revoke", "mail flush", "mail list", "audit", "gc",
                "backup FILE", "setting NAME")

    def test_help_on_stdout(self):
        for word in ("--help", "-h", "help"):
            with self.subTest(word=word):
                cp = bare(word)
                self.assertEqual(cp.returncode, 0, cp.stderr)
                self.assertEqual(cp.stderr, "")
                for c in self.COMMANDS:
                    self.assertIn("authportal " + c, cp.stdout)

    def test_version(self):
        cp = bare("--version")
        self.assertEqual(cp.returncode, 0)
        self.assertRegex(cp.stdout, r"^authportal \d+\.\d+\.\d+\n$")

    def test_unknown_command_is_said_so_without_settings(self):
        for args, words in ((("no-such-command",), "unknown command no-such-command"),
                            (("user", "frob", "x@example.com"), "user frob: unknown"),
                            (("user",), "user needs a subcommand")):
            with self.subTest(args=args):
                cp = bare(*args)
                self.assertEqual(cp.returncode, 2)
                self.assertIn(words, cp.stderr)
                self.assertIn("--help", cp.stderr)
                self.assertNotIn("setting", cp.stderr)
                self.assertNotIn("AUTH_", cp.stderr)

    def test_bad_arguments_are_usage_errors_without_settings(self):
        cases = ((("user", "add"), "an argument is missing"),
                 (("user", "add", "x@example.com", "--bogus"), "no option --bogus"),
                 (("user", "add", "x@example.com", "--password"), "without its value"),
                 (("user", "add", "not-an-address"), "not an email address"),
                 (("user", "role", "x@example.com", "king"), "admin or user"),
                 (("session", "revoke", "12x"), "not a session id"),
                 (("mail", "list", "0"), "1 to 100000"),
                 (("audit", "--since", "yesterday"), "--since takes"),
                 (("gc", "extra"), "too many arguments"),
                 (("setting", "lower"), "not a setting"))
        for args, words in cases:
            with self.subTest(args=args):
                cp = bare(*args)
                self.assertIn(cp.returncode, (1, 2), cp.stderr)
                self.assertIn(words, cp.stderr)
                self.assertNotIn("AUTH_", cp.stderr)

    def test_command_help(self):
        cp = bare("user", "set-password", "--help")
        self.assertEqual(cp.returncode, 0)
        self.assertIn("usage: authportal user set-password EMAIL", cp.stdout)

    def test_setting_prints_a_resolved_value(self):
        d = tmpdir(self)
        with open(os.path.join(d, "app.env"), "w") as f:
            f.write("DATABASE_PATH=data/x.db\nAPP_NAME=Named\n")
        cp = bare("setting", "DATABASE_PATH", env={"ENV_FILE": os.path.join(d, "app.env")})
        self.assertEqual((cp.returncode, cp.stdout), (0, os.path.join(d, "data/x.db") + "\n"))
        cp = bare("setting", "APP_NAME", env={"ENV_FILE": os.path.join(d, "app.env")})
        self.assertEqual(cp.stdout, "Named\n")
        cp = bare("setting", "APP_NAME", env={"ENV_FILE": os.path.join(d, "missing.env")})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("cannot be read", cp.stderr)


class Passwords(ApiTestCase):
    """user add without --password: one line from a pipe, or asked twice
    on a terminal without echo."""

    def test_from_a_pipe(self):
        email = unique_email("pipe")
        pw = "Piped-Password-42"
        cp = S.cli("user", "add", email, input=pw + "\n")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertNotIn(pw, cp.stdout + cp.stderr)
        self.assertStatus(S.login(email, pw), 200)
        email2 = unique_email("pipe")
        self.assertEqual(S.cli("user", "add", email2, input=pw).returncode, 0)
        self.assertStatus(S.login(email2, pw), 200)
        cp = S.cli("user", "add", unique_email("pipe"), input="")
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no password", cp.stderr)
        cp = S.cli("user", "add", unique_email("pipe"), input="short\n")
        self.assertEqual(cp.returncode, 1)
        self.assertIn("the password must have", cp.stderr)

    def _on_tty(self, args, answers):
        """Runs the tool on a pseudo-terminal, answering each prompt in
        turn; returns (exit status, everything the terminal showed)."""
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(S.tmp)
            os.execve(CLI, [CLI] + list(args), S.env)
        shown = b""
        pending = list(answers)
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                r, _, _ = select.select([fd], [], [], 0.5)
                if r:
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    shown += chunk
                if pending and shown.count(b"assword") > len(answers) - len(pending) \
                        and shown.rstrip().endswith(b":"):
                    os.write(fd, pending.pop(0).encode() + b"\n")
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")

    def test_on_a_terminal_without_echo(self):
        email = unique_email("tty")
        pw = "Typed-Secret-Pw-77"
        rc, shown = self._on_tty(["user", "add", email], [pw, pw])
        self.assertEqual(rc, 0, shown)
        self.assertIn("Password: ", shown)
        self.assertIn("Password again: ", shown)
        self.assertNotIn(pw, shown)
        self.assertStatus(S.login(email, pw), 200)

    def test_on_a_terminal_twice_different(self):
        email = unique_email("tty")
        rc, shown = self._on_tty(["user", "add", email],
                                 ["Typed-Secret-Pw-1", "Typed-Secret-Pw-2"])
        self.assertEqual(rc, 1, shown)
        self.assertIn("the passwords differ", shown)
        self.assertNotIn("Typed-Secret", shown)
        self.assertNotIn(email, S.cli("user", "list").stdout)


class UserCommands(ApiTestCase):
    def ok(self, *args, **kw):
        cp = S.cli(*args, **kw)
        self.assertEqual(cp.returncode, 0, "authportal %s: rc=%d\n%s%s" % (
            " ".join(map(str, args)), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def events(self, event):
        return S.sql_value("SELECT count(*) FROM audit_log WHERE event = ?",
                           (event,))

    def test_enable(self):
        email = unique_email("clien")
        pw = "Cli-Enable-Pw-1"
        self.ok("user", "add", email, "--password", pw)
        cp = S.cli("user", "enable", email)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("is not disabled", cp.stderr)
        self.ok("user", "disable", email)
        self.assertBody(S.login(email, pw), 422, UNIFORM_LOGIN_ERROR)
        before = self.events("account_enabled")
        self.assertIn("enabled", self.ok("user", "enable", email).stdout)
        self.assertStatus(S.login(email, pw), 200)
        self.assertEqual(self.events("account_enabled"), before + 1)

    def test_delete(self):
        email = unique_email("clidel")
        pw = "Cli-Delete-Pw-1"
        self.ok("user", "add", email, "--password", pw)
        a = S.login_ok(email, pw)
        self.ok("user", "delete", email)
        self.assertUnauthorized(S.me(a["token"]))
        self.assertBody(S.login(email, pw), 422, UNIFORM_LOGIN_ERROR)
        self.assertRegex(self.ok("user", "list").stdout,
                         r"%s\s+email\s+User\s+Active\s+deleted" % re.escape(email))
        cp = S.cli("user", "delete", email)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("is deleted", cp.stderr)
        self.assertNotEqual(S.cli("user", "add", email, "--password", pw).returncode, 0)
        cp = S.cli("user", "delete", unique_email("nobody"))
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no user", cp.stderr)

    def test_set_password(self):
        email = unique_email("clipw")
        old, new = "Cli-Old-Pw-1", "Cli-New-Pw-2"
        self.ok("user", "add", email, "--password", old)
        a = S.login_ok(email, old)
        before = self.events("password_reset")
        cp = S.cli("user", "set-password", email, input="short\n")
        self.assertEqual(cp.returncode, 1)
        # The API's policy: the minimum counts characters, not bytes (4
        # characters, 8 bytes, is short of 8).
        cp = S.cli("user", "set-password", email, input="\u00e9\u00e9\u00e9\u00e9\n")
        self.assertEqual(cp.returncode, 1)
        self.assertIn("at least 8 characters", cp.stderr)
        self.assertStatus(S.me(a["token"]), 200)
        self.ok("user", "set-password", email, input=new + "\n")
        self.assertUnauthorized(S.me(a["token"]))
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        self.assertBody(S.login(email, old), 422, UNIFORM_LOGIN_ERROR)
        self.assertStatus(S.login(email, new), 200)
        self.assertEqual(self.events("password_reset"), before + 1)
        self.ok("user", "set-password", email, "--password", old)
        self.assertStatus(S.login(email, old), 200)
        self.assertNotIn(new, S.error_log())
        cp = S.cli("user", "set-password", unique_email("nobody"), "--password", new)
        self.assertEqual(cp.returncode, 1)

    def test_role(self):
        email = unique_email("clirole")
        pw = "Cli-Role-Pw-1"
        self.ok("user", "add", email, "--password", pw)
        a = S.login_ok(email, pw)
        self.assertEqual(jwt_parts(a["token"])[1]["role"]["id"], 2)
        self.assertIn("is now Admin", self.ok("user", "role", email, "admin").stdout)
        self.assertUnauthorized(S.me(a["token"]))
        b = S.login_ok(email, pw)
        self.assertEqual(jwt_parts(b["token"])[1]["role"]["id"], 1)
        self.assertEqual(b["user"]["role"]["id"], 1)
        self.assertIn("already Admin", self.ok("user", "role", email, "admin").stdout)
        self.ok("user", "role", email, "user")
        self.assertEqual(S.login_ok(email, pw)["user"]["role"]["id"], 2)


@sqlite_only("backup copies the SQLite file (test_pg_faults: pg_dump)")
class Backup(ApiTestCase):
    def test_backup_while_the_server_writes(self):
        d = tmpdir(self)
        dest = os.path.join(d, "copy.db")
        with open(dest, "w") as f:
            f.write("an older backup")
        stop = threading.Event()
        made = []

        def write():
            while not stop.is_set():
                made.append(S.new_user("bak"))
        t = threading.Thread(target=write)
        t.start()
        try:
            time.sleep(0.3)
            cp = S.cli("backup", dest)
        finally:
            stop.set()
            t.join()
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("backed up to %s" % dest, cp.stdout)
        self.assertEqual(mode(dest), 0o600)
        self.assertEqual(sorted(os.listdir(d)), ["copy.db"])
        c = sqlite3.connect("file:%s?mode=ro" % dest, uri=True)
        try:
            self.assertEqual(c.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(c.execute("PRAGMA user_version").fetchone()[0], KNOWN)
            emails = {r[0] for r in c.execute("SELECT email FROM users")}
        finally:
            c.close()
        self.assertIn(DEMO_USER, emails)
        self.assertGreater(len(made), 0)
        self.assertIn(made[0], emails)

    def test_backup_never_over_the_database(self):
        for target in (S.db_path, S.db_path + "-wal", S.db_path + "-shm"):
            with self.subTest(target=target):
                cp = S.cli("backup", target)
                self.assertEqual(cp.returncode, 2)
                self.assertIn("is the database itself", cp.stderr)
        self.assertStatus(S.login(DEMO_USER, "secret"), 200)
        cp = S.cli("backup", os.path.join(tmpdir(self), "x.db"),
                   env={"DATABASE_PATH": os.path.join(tmpdir(self), "none.db")})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("does not exist", cp.stderr)

    def test_backup_into_a_missing_folder(self):
        cp = S.cli("backup", os.path.join(tmpdir(self), "no", "such", "x.db"))
        self.assertEqual(cp.returncode, 1)
        self.assertIn("cannot create", cp.stderr)


class CheckConfig(ApiTestCase):
    def test_ok(self):
        cp = S.cli("check-config")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("configuration ok", cp.stdout)
        if S.engine == "postgres":   # the database's name, never a password
            self.assertRegex(cp.stdout, r"database\s+.*: ok, schema version %d"
                             % KNOWN)
        else:
            self.assertRegex(cp.stdout, r"database\s+%s: ok, schema version %d"
                             % (re.escape(S.db_path), KNOWN))
        self.assertRegex(cp.stdout, r"mail templates\s+\S+: ok")

    @sqlite_only("the database file and its folder")
    def test_opens_nothing_for_writing_and_creates_nothing(self):
        d = tmpdir(self)
        db = os.path.join(d, "auth.db")
        self.assertEqual(S.cli("backup", db).returncode, 0)
        os.chmod(d, 0o700)
        before = snapshot(d)
        time.sleep(0.05)
        cp = S.cli("check-config", env={"DATABASE_PATH": db})
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertEqual(snapshot(d), before)
        cp = S.cli("check-config", env={"DATABASE_PATH": os.path.join(d, "new.db")})
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("does not exist yet", cp.stdout)
        self.assertEqual(snapshot(d), before)

    @sqlite_only("the database file's folder")
    def test_database_folder_missing(self):
        cp = S.cli("check-config", env={"DATABASE_PATH": "/nonexistent-dir/x/auth.db"})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("its folder /nonexistent-dir/x does not exist", cp.stdout)

    @sqlite_only("PRAGMA user_version of a file (test_pg_faults: schema_version)")
    def test_newer_schema(self):
        d = tmpdir(self)
        db = os.path.join(d, "newer.db")
        make_db_at(db, KNOWN)
        c = sqlite3.connect(db)
        c.execute("PRAGMA user_version = %d" % (KNOWN + 1))
        c.close()
        cp = S.cli("check-config", env={"DATABASE_PATH": db})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("newer than this program knows", cp.stdout)

    def test_unusable_templates(self):
        d = tmpdir(self)
        with open(os.path.join(d, "activation.html"), "w") as f:
            f.write("<a href='{{url}}'>{{title}}</a>")
        cp = S.cli("check-config", env={"MAIL_TEMPLATE_DIR": d})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("2 of 3 cannot be used", cp.stdout)
        for name in ("confirm-new-email.html", "reset-password.html"):
            self.assertIn("mail template %s/%s" % (d, name), cp.stderr)
        self.assertNotIn("activation.html: ", cp.stderr)

    def test_smtp(self):
        cp = S.cli("check-config", "--smtp")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertRegex(cp.stdout, r"smtp\s+127\.0\.0\.1:%d: ok" % S.smtp.port)
        with socket_closed() as port:
            cp = S.cli("check-config", "--smtp", env={"MAIL_PORT": str(port)})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("no working connection", cp.stdout)

    def test_bad_settings(self):
        cp = S.cli("check-config", env={"AUTH_JWT_SECRET": "short",
                                        "NODE_ENV": "production"})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("setting AUTH_JWT_SECRET: shorter than 32 bytes", cp.stderr)
        cp = S.cli("check-config", env={"ENV_FILE": "/nonexistent/app.env"})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("ENV_FILE: cannot read /nonexistent/app.env", cp.stderr)


class socket_closed:
    """A loopback port with nothing listening on it."""

    def __enter__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        return self.port

    def __exit__(self, *exc):
        return False


@sqlite_only("the modes and paths of database files")
class Files(ApiTestCase):
    """Issue 10 point 3, and the paths of point 1."""

    def test_the_database_of_the_server_is_private(self):
        for suffix in ("", "-wal", "-shm"):
            with self.subTest(file="authportal.db" + suffix):
                self.assertEqual(mode(S.db_path + suffix), 0o600)

    def test_a_new_database_is_private(self):
        d = tmpdir(self)
        db = os.path.join(d, "fresh.db")
        old = os.umask(0o022)
        try:
            cp = S.cli("migrate", env={"DATABASE_PATH": db})
        finally:
            os.umask(old)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(mode(db), 0o600)
        self.assertEqual([n for n in os.listdir(d) if ".bak" in n], [])

    def test_missing_folder_is_said_so(self):
        cp = S.cli("migrate", env={"DATABASE_PATH": "/nonexistent-dir/x/auth.db"})
        self.assertEqual(cp.returncode, 1)
        self.assertIn("its folder /nonexistent-dir/x does not exist", cp.stderr)
        self.assertNotIn("unable to open database file", cp.stderr)

    def test_newer_schema_refused_untouched(self):
        d = tmpdir(self)
        db = os.path.join(d, "newer.db")
        make_db_at(db, KNOWN)
        c = sqlite3.connect(db)
        c.execute("PRAGMA user_version = 999")
        c.close()
        for args in (("migrate",), ("user", "list")):
            with self.subTest(args=args):
                cp = S.cli(*args, env={"DATABASE_PATH": db})
                self.assertEqual(cp.returncode, 1)
                self.assertIn("schema version 999, newer than this program "
                              "knows (%d)" % KNOWN, cp.stderr)
        self.assertEqual(user_version(db), 999)

    def test_migrate_takes_a_backup_first(self):
        if len(MIGRATIONS) < 2:
            self.skipTest("one migration only")
        d = tmpdir(self)
        db = os.path.join(d, "old.db")
        make_db_at(db, PREV)
        cp = S.cli("migrate", env={"DATABASE_PATH": db})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(user_version(db), KNOWN)
        baks = glob.glob(db + ".schema%d-*.bak" % PREV)
        self.assertEqual(len(baks), 1, os.listdir(d))
        self.assertIn(baks[0], cp.stderr)
        self.assertEqual(mode(baks[0]), 0o600)
        self.assertEqual(user_version(baks[0]), PREV)
        # Turned off:
        db2 = os.path.join(d, "nobak.db")
        make_db_at(db2, PREV)
        cp = S.cli("migrate", env={"DATABASE_PATH": db2,
                                   "DATABASE_BACKUP_ON_MIGRATE": "false"})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(user_version(db2), KNOWN)
        self.assertEqual(glob.glob(db2 + ".schema*"), [])

    def test_relative_path_of_the_settings_file(self):
        d = tmpdir(self)
        os.makedirs(os.path.join(d, "conf", "data"))
        env_file = os.path.join(d, "conf", "app.env")
        with open(env_file, "w") as f:
            f.write("DATABASE_PATH=data/rel.db\n")
        cp = S.cli("migrate", env={"ENV_FILE": env_file, "DATABASE_PATH": None})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertTrue(os.path.isfile(os.path.join(d, "conf", "data", "rel.db")))
        self.assertFalse(os.path.exists(os.path.join(S.tmp, "data")))
