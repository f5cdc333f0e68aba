# SPDX-License-Identifier: ISC
"""Nothing secret leaks (issue 2 points 5, 6, 9; API.md §2.2, §10.1):
no Argon2 hash in any response or in the log, no password in the log, no
refresh secret in the log, and the database holds passwords only as
Argon2id hashes and refresh secrets only hashed."""

import base64
import json

from harness import (ApiTestCase, serve, unique_email, jwt_parts,
                     DEMO_USER, DEMO_PASSWORD)

S = None
PASSWORDS = []        # every password this module used
REFRESH_TOKENS = []   # every refresh token handed out
ACCESS_TOKENS = []


def setUpModule():
    global S
    S = serve()
    _exercise()


def _keep(body):
    if "refreshToken" in body:
        REFRESH_TOKENS.append(body["refreshToken"])
    if "token" in body:
        ACCESS_TOKENS.append(body["token"])


def _exercise():
    """Drives every endpoint of this part, successes and failures."""
    pw1, pw2, wrong = "Leak-Probe-Pw-1f3a9", "Leak-Probe-Pw-2c7e4", "Leak-Wrong-Pw-9d2b8"
    PASSWORDS.extend([pw1, pw2, wrong, "Lk7-sh!"])
    email = unique_email("leak")
    S.register(email, pw1)
    S.register(email, pw1)                       # duplicate
    S.register(unique_email("leak"), "Lk7-sh!")  # too short
    S.login(email, wrong)
    S.login(unique_email("nobody"), wrong)
    a = S.login(email, pw1).json()
    _keep(a)
    b = S.login(email, pw1, headers={"User-Agent": "leak-b"}).json()
    _keep(b)
    r = S.refresh(a["refreshToken"]).json()
    _keep(r)
    S.refresh(a["refreshToken"])                 # reuse: revokes session a
    S.me(b["token"])
    S.request("GET", "/api/v1/auth/sessions", headers=S.auth_headers(b["token"]))
    S.request("PATCH", "/api/v1/auth/me", json_body={"password": pw2, "oldPassword": wrong},
              headers=S.auth_headers(b["token"]))
    S.request("PATCH", "/api/v1/auth/me", json_body={"password": pw2, "oldPassword": pw1},
              headers=S.auth_headers(b["token"]))
    c = S.login(email, pw2).json()
    _keep(c)
    S.request("PATCH", "/api/v1/auth/me", json_body={"firstName": "Leaky"},
              headers=S.auth_headers(c["token"]))
    S.logout(c["token"], "others")
    S.refresh(b["refreshToken"])
    S.logout(c["token"])
    S.refresh(c["refreshToken"])
    d = S.login(DEMO_USER, DEMO_PASSWORD).json()
    _keep(d)
    S.request("GET", "/api/v1/auth/me", headers={"Authorization": "Bearer " + d["refreshToken"]})
    S.request("POST", "/api/v1/auth/email/login", body=b'{"email":"x@example.com","password":"%s"'
              % wrong.encode())                  # malformed JSON carrying a password
    e = S.login(S.new_user("leakdel", password=pw1), pw1).json()
    _keep(e)
    S.request("DELETE", "/api/v1/auth/me", headers=S.auth_headers(e["token"]))
    S.refresh(e["refreshToken"])
    S.cli("user", "list")


def refresh_secrets():
    """The raw refresh tokens and, when they are JWTs, their `hash` claims."""
    out = set()
    for t in REFRESH_TOKENS:
        out.add(t)
        try:
            _h, p = jwt_parts(t)
            if isinstance(p.get("hash"), str):
                out.add(p["hash"])
        except (ValueError, json.JSONDecodeError, UnicodeDecodeError, base64.binascii.Error):
            pass
    return out


class Secrets(ApiTestCase):
    def test_exercise_ran(self):
        self.assertGreaterEqual(len(REFRESH_TOKENS), 5)
        self.assertGreater(len(S.seen), 20)

    def test_no_hash_or_password_in_any_response(self):
        for method, path, r in S.seen:
            blob = r.body + json.dumps(r.headers).encode()
            with self.subTest(method=method, path=path, status=r.status):
                self.assertNotIn(b"$argon2id$", blob)
                self.assertNotIn(b"$argon2", blob)
                if r.status < 300:   # user objects and token pairs carry neither
                    self.assertNotIn(b'"password"', r.body)
                    self.assertNotIn(b'"hash"', r.body)
                for pw in PASSWORDS:
                    self.assertNotIn(pw.encode(), blob)

    def test_no_hash_in_log(self):
        self.assertNotIn("$argon2id$", S.error_log())
        self.assertNotIn("$argon2", S.error_log())

    def test_no_password_in_log(self):
        log = S.error_log()
        for pw in PASSWORDS + [DEMO_PASSWORD + '"']:
            self.assertNotIn(pw, log)

    def test_no_refresh_secret_in_log(self):
        log = S.error_log()
        for s in refresh_secrets():
            self.assertNotIn(s, log)

    def test_no_access_token_in_log(self):
        log = S.error_log()
        for t in ACCESS_TOKENS:
            self.assertNotIn(t, log)
            self.assertNotIn(t.split(".")[2], log)

    def test_no_secret_keys_in_log(self):
        log = S.error_log()
        for k in ("AUTH_JWT_SECRET", "AUTH_REFRESH_SECRET", "AUTH_FORGOT_SECRET",
                  "AUTH_CONFIRM_EMAIL_SECRET"):
            self.assertNotIn(S.env[k], log)

    def test_db_stores_argon2id_not_plaintext(self):
        db = S.db_bytes()
        self.assertIn(b"$argon2id$", db)
        self.assertIn(b"m=19456,t=2,p=1", db)
        for pw in PASSWORDS:
            self.assertNotIn(pw.encode(), db)

    def test_db_stores_refresh_secrets_hashed(self):
        db = S.db_bytes()
        for s in refresh_secrets():
            self.assertNotIn(s.encode(), db)

    def test_cli_output_has_no_hash(self):
        cp = S.cli("user", "list")
        self.assertNotIn("$argon2", cp.stdout + cp.stderr)

    def test_no_5xx_and_no_crash(self):
        self.assertEqual(S.server_errors(), [])
        self.assertEqual(S.crash_lines(), [])
