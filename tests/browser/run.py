#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Real-browser tests of the demo pages (www/).

Starts the real lighttpd with the built executables (tests/integration/
harness.py's Server) and the real SMTP catcher, with the demo as its own
frontend (FRONTEND_DOMAIN and APP_CORS_ORIGINS = http://localhost:<port>, as
script/server does), then runs `node tests/browser/demo.test.mjs`, which
drives headless Debian Chromium (/usr/bin/chromium) with playwright-core from
tests/browser/node_modules; then `node tests/browser/oauth.test.mjs`, social
sign-in through the mock provider of tests/integration/mock_provider.py
(started here; the server's provider settings point at it and its
BACKEND_DOMAIN is the demo's origin).

Prints one line per test, "ok <name>" or "FAIL <name>" (details on lines
starting with "# "), and last "browser: N passed, M failed"; exits 1 when
M > 0. A missing browser, node or playwright-core is a failure, not a skip:
script/bootstrap --test installs them.

    /usr/bin/python3 tests/browser/run.py
"""

import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import harness  # noqa: E402
import mock_provider  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TEST_FILE = os.path.join(HERE, "demo.test.mjs")
OAUTH_TEST_FILE = os.path.join(HERE, "oauth.test.mjs")
# The account pages of cgi-bin/pages (axe-core, screenshots).
PAGES_TEST_FILE = os.path.join(HERE, "pages.test.mjs")
PLAYWRIGHT = os.path.join(HERE, "node_modules", "playwright-core", "package.json")
AXE = os.path.join(HERE, "node_modules", "axe-core", "package.json")
OUT_DIR = os.path.join(HERE, "out")
NODE_TIMEOUT = 180         # seconds per file; their own watchdogs are shorter
SERVER_CHECK = "server: no crash in the error log"


def finish(passed, failed):
    print("browser: %d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


def prerequisites():
    """What is missing to run the browser tests, as a list of messages."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append("no %s (script/bootstrap --test installs Debian's chromium)"
                       % CHROMIUM)
    if shutil.which("node") is None:
        missing.append("no node on PATH (script/bootstrap --test installs it)")
    if not os.path.isfile(AXE):
        missing.append("no %s (run `npm ci` in tests/browser; script/bootstrap "
                       "--test does)" % os.path.dirname(AXE))
    if not os.path.isfile(PLAYWRIGHT):
        missing.append("no %s (run `npm ci` in tests/browser; script/bootstrap "
                       "--test does)" % os.path.dirname(PLAYWRIGHT))
    return missing


def run_node(test_file, env):
    """Runs one more test file with node, as main() runs demo.test.mjs;
    returns (passed, failed) of its lines."""
    passed = failed = 0
    plan = None
    reported = []
    name = os.path.basename(test_file)
    proc = subprocess.Popen(["node", test_file], cwd=HERE, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=NODE_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
        out += "\n# node did not finish within %d s" % NODE_TIMEOUT
    for line in out.splitlines():
        if line.startswith("plan "):
            plan = int(line.split()[1])
            continue
        if line.startswith("ok "):
            passed += 1
            reported.append(line[3:])
        elif line.startswith("FAIL "):
            failed += 1
            reported.append(line[5:])
        elif not line.startswith("# "):
            line = "# " + line
        print(line, flush=True)
    if plan is None or len(reported) != plan:
        print("FAIL %s ran %d of %s tests (node exit %s)"
              % (name, len(reported), plan, proc.returncode))
        failed += 1
    elif proc.returncode != 0 and failed == 0:
        print("FAIL %s exited with %s" % (name, proc.returncode))
        failed += 1
    return passed, failed


ACCOUNT_TEST = os.path.join(HERE, "account.test.mjs")


def run_account():
    """account.test.mjs (www/profile.html, issue 16 point 4) against two
    servers of its own: the defaults, and AUTH_UNIFORM_ERRORS=false.
    Returns (passed, failed), its lines printed as main()'s are."""
    def own(port):
        origin = "http://localhost:%d" % port
        return {"FRONTEND_DOMAIN": origin, "APP_CORS_ORIGINS": origin,
                "BACKEND_DOMAIN": origin}

    servers = []
    passed = failed = 0
    try:
        for env in ({}, {"AUTH_UNIFORM_ERRORS": "false"}):
            s = harness.Server(env=env, port_env=own)
            s.start()
            servers.append(s)
        env = dict(os.environ, CHROMIUM=CHROMIUM,
                   BASE_URL=servers[0].env["FRONTEND_DOMAIN"],
                   BASE_URL_STRICT=servers[1].env["FRONTEND_DOMAIN"])
        passed, failed = run_node(ACCOUNT_TEST, env)
        for s in servers:
            if s.crash_lines():
                print("FAIL account servers: a crash in the error log")
                for l in s.crash_lines()[:20]:
                    print("# " + l)
                failed += 1
    except Exception as e:  # noqa: BLE001 - report any start failure
        print("FAIL account.test.mjs servers")
        print("# " + str(e).replace("\n", "\n# "))
        failed += 1
    finally:
        for s in servers:
            s.stop()
    return passed, failed


def main():
    missing = prerequisites()
    if missing:
        print("FAIL browser prerequisites")
        for m in missing:
            print("# " + m)
        finish(0, 1)

    def frontend(port):
        origin = "http://localhost:%d" % port
        return {"FRONTEND_DOMAIN": origin, "APP_CORS_ORIGINS": origin,
                "BACKEND_DOMAIN": origin}

    passed = failed = 0
    started = time.monotonic()
    # The mock Google of oauth.test.mjs (the other providers too).
    mock = mock_provider.MockProvider().start()
    server = harness.Server(smtp="catcher", port_env=frontend, env=mock.settings())
    try:
        server.start()
    except Exception as e:  # noqa: BLE001 - report any start failure
        mock.stop()
        print("FAIL start lighttpd and the SMTP catcher")
        print("# " + str(e).replace("\n", "\n# "))
        finish(0, 1)
    try:
        base = server.env["FRONTEND_DOMAIN"]
        env = dict(os.environ, BASE_URL=base, MAIL_DIR=server.mail_dir,
                   MAILCATCH=os.path.join(REPO, "tests", "tools"),
                   OUT_DIR=OUT_DIR, CHROMIUM=CHROMIUM, MOCK_URL=mock.url)
        print("# %s, mail in %s" % (base, server.mail_dir), flush=True)
        plan = None
        reported = []
        proc = subprocess.Popen(["node", TEST_FILE], cwd=HERE, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=NODE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            out, _ = proc.communicate()
            out += "\n# node did not finish within %d s" % NODE_TIMEOUT
        for line in out.splitlines():
            if line.startswith("plan "):
                plan = int(line.split()[1])
                continue
            if line.startswith("ok "):
                passed += 1
                reported.append(line[3:])
            elif line.startswith("FAIL "):
                failed += 1
                reported.append(line[5:])
            elif not line.startswith("# "):
                line = "# " + line     # node's own noise, kept as detail
            print(line, flush=True)
        if plan is None or len(reported) != plan:
            print("FAIL demo.test.mjs ran %d of %s tests (node exit %s)"
                  % (len(reported), plan, proc.returncode))
            failed += 1
        elif proc.returncode != 0 and failed == 0:
            print("FAIL demo.test.mjs exited with %s" % proc.returncode)
            failed += 1
        p, f = run_node(OAUTH_TEST_FILE, env)
        passed += p
        failed += f
        p, f = run_node(PAGES_TEST_FILE, env)
        passed += p
        failed += f

        crashes = server.crash_lines()
        if crashes:
            print("FAIL " + SERVER_CHECK)
            for l in crashes[:20]:
                print("# " + l)
            failed += 1
        else:
            print("ok " + SERVER_CHECK)
            passed += 1
        if failed:
            print("# the server's error log (last 40 lines):")
            for l in server.error_log().splitlines()[-40:]:
                print("#   " + l)
    finally:
        server.stop()
        mock.stop()
    p, f = run_account()
    passed += p
    failed += f
    print("# %.1f s" % (time.monotonic() - started))
    finish(passed, failed)


if __name__ == "__main__":
    main()
