# SPDX-License-Identifier: ISC
"""The executables also run as plain CGI (issue 2 point 4): started with a
CGI environment and a pipe on stdin, they answer one request on stdout."""

import json
import os
import subprocess

from harness import ApiTestCase, serve, BINDIR, DEMO_USER, DEMO_PASSWORD, SECURITY_HEADERS

S = None


def setUpModule():
    global S
    S = serve()


def cgi(exe, method, uri, body=b"", headers=None):
    path, _, query = uri.partition("?")
    env = dict(S.env)
    env.update({
        "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "test", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "REQUEST_METHOD": method, "REQUEST_URI": uri, "SCRIPT_NAME": path,
        "PATH_INFO": "", "QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)) if body else "",
    })
    if body:
        env["CONTENT_TYPE"] = "application/json"
    for k, v in (headers or {}).items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    cp = subprocess.run([os.path.join(BINDIR, exe)], input=body, env=env,
                        capture_output=True, timeout=60, cwd=S.tmp)
    head, sep, payload = cp.stdout.partition(b"\r\n\r\n")
    if not sep:
        head, sep, payload = cp.stdout.partition(b"\n\n")
    hdrs = {}
    for line in head.decode("latin-1").splitlines():
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    status = int(hdrs.get("status", "200").split()[0])
    return cp, status, hdrs, payload


class CgiMode(ApiTestCase):
    def test_health_as_cgi(self):
        cp, status, hdrs, body = cgi("health", "GET", "/api/v1/health")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(status, 200, cp.stdout)
        self.assertEqual(body, b'{"status":"ok"}')
        self.assertEqual(hdrs.get("content-type"), "application/json; charset=utf-8")
        for name, value in SECURITY_HEADERS.items():
            self.assertEqual(hdrs.get(name), value, name)

    def test_404_as_cgi(self):
        cp, status, _h, body = cgi("health", "GET", "/api/v1/nope")
        self.assertEqual(status, 404, cp.stdout)
        self.assertEqual(body, b'{"message":"Cannot GET /api/v1/nope","error":"Not Found","statusCode":404}')

    def test_login_and_me_as_cgi(self):
        cp, status, hdrs, body = cgi("login", "POST", "/api/v1/auth/email/login",
                                     json.dumps({"email": DEMO_USER, "password": DEMO_PASSWORD}).encode())
        self.assertEqual(status, 200, cp.stdout + cp.stderr)
        tokens = json.loads(body)
        self.assertEqual(list(tokens.keys()), ["refreshToken", "token", "tokenExpires", "user"])
        cp, status, _h, body = cgi("account", "GET", "/api/v1/auth/me",
                                   headers={"Authorization": "Bearer " + tokens["token"]})
        self.assertEqual(status, 200, cp.stdout + cp.stderr)
        self.assertEqual(json.loads(body)["email"], DEMO_USER)
        # The CGI-made session is a real one: the web server accepts its token.
        self.assertStatus(S.me(tokens["token"]), 200)

    def test_bad_json_as_cgi(self):
        cp, status, _h, body = cgi("login", "POST", "/api/v1/auth/email/login", b"{bad")
        self.assertEqual(status, 400, cp.stdout)
        self.assertEqual(json.loads(body)["statusCode"], 400)
