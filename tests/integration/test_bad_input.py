# SPDX-License-Identifier: ISC
"""Bad input: API.md §0, §1 (auth levels), §3.1, §10.5, §10.13, issue 2
point 10. Every malformed request gets a clean 4xx JSON error, never a 5xx
or a crash. The last class checks the whole battery afterwards."""

import json
import time

from harness import (ApiTestCase, serve, jwt_parts, forge_jwt, unique_email,
                     DEMO_USER, DEMO_PASSWORD, TOO_LARGE)

LOGIN = "/api/v1/auth/email/login"
REGISTER = "/api/v1/auth/email/register"
ME = "/api/v1/auth/me"
S = None
SESSION = None   # one live LoginResponse of the demo user


def setUpModule():
    global S, SESSION
    S = serve()
    SESSION = S.login_ok(DEMO_USER, DEMO_PASSWORD)


class BadJson(ApiTestCase):
    def assert400(self, r):
        self.assertStatus(r, 400)
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)
        body = r.json()
        self.assertEqual(list(body.keys()), ["message", "error", "statusCode"], body)
        self.assertIsInstance(body["message"], str)
        self.assertTrue(body["message"])
        self.assertEqual(body["error"], "Bad Request")
        self.assertEqual(body["statusCode"], 400)

    def test_malformed_json_400(self):
        for raw in (b"{", b'{"email":', b"{bad}", b'{"email":"a@example.com",}',
                    b'{"a":1}}', b"{'email':'x'}", b'{"a":tru}', b'{"a":01}',
                    b'{"a":"\\x"}', b'{"a":"unterminated'):
            for path in (LOGIN, REGISTER):
                with self.subTest(path=path, raw=raw):
                    self.assert400(S.request("POST", path, body=raw))

    def test_leading_zero_with_a_sign_400(self):
        # JSON.parse refuses -01 as it refuses 01 (RFC 8259 §6; cJSON
        # took both); an exponent may start with 0.
        for raw in (b'{"email":"a@example.com","password":-01}',
                    b'{"a":[0,-01]}', b'{"a":-00.5}'):
            with self.subTest(raw=raw):
                r = S.request("POST", LOGIN, body=raw)
                self.assertBody(r, 400, b'{"message":"Unexpected number in JSON",'
                                        b'"error":"Bad Request","statusCode":400}')
        r = S.request("POST", LOGIN, body=b'{"email":"a@example.com","password":1e01}')
        self.assertStatus(r, 422)

    def test_byte_order_mark(self):
        # body-parser (iconv-lite) drops one leading UTF-8 BOM before
        # JSON.parse, so the reference signs in with such a body; a BOM
        # alone is an empty body; a second one or one after white space
        # is an unexpected token.
        body = json.dumps({"email": DEMO_USER, "password": DEMO_PASSWORD}).encode()
        self.assertStatus(S.request("POST", LOGIN, body=b"\xef\xbb\xbf" + body), 200)
        r = S.request("POST", LOGIN, body=b"\xef\xbb\xbf")
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email should not be empty, '
                                b'email must be an email","password":"password should not be empty"}}')
        r = S.request("POST", LOGIN, body=b"\xef\xbb\xbf{\"email\":}")
        self.assertBody(r, 400, b'{"message":"Unexpected token in JSON at position 9",'
                                b'"error":"Bad Request","statusCode":400}')
        for raw, pos in ((b"\xef\xbb\xbf\xef\xbb\xbf" + body, 0), (b" \xef\xbb\xbf" + body, 1),
                         (body + b"\xef\xbb\xbf", len(body))):
            with self.subTest(raw=raw[:8]):
                r = S.request("POST", LOGIN, body=raw)
                self.assertBody(r, 400, b'{"message":"Unexpected token in JSON at position %d",'
                                        b'"error":"Bad Request","statusCode":400}' % pos)

    def test_malformed_json_on_patch_me(self):
        self.assert400(S.request("PATCH", ME, body=b'{"firstName":',
                                 headers=S.auth_headers(SESSION["token"])))

    def test_top_level_string_and_null_400(self):
        for raw in (b'"a string"', b"null", b"123", b"true"):
            with self.subTest(raw=raw):
                self.assert400(S.request("POST", LOGIN, body=raw))

    def test_top_level_array_is_empty_object_422(self):
        for raw in (b"[]", b'[{"email":"john.doe@example.com","password":"secret"}]'):
            with self.subTest(raw=raw):
                r = S.request("POST", LOGIN, body=raw)
                self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email should not be empty, '
                                        b'email must be an email","password":"password should not be empty"}}')

    def test_deep_nesting(self):
        for raw in (b"[" * 100000, b'{"a":' * 30000, b'{"email":' + b"[" * 50000 + b"]" * 50000 + b"}",
                    b'{"firstName":' + b'{"a":' * 5000 + b"1" + b"}" * 5001):
            with self.subTest(raw=raw[:12], n=len(raw)):
                for path in (LOGIN, REGISTER):
                    r = S.request("POST", path, body=raw)
                    self.assertJson4xx(r)
        r = S.request("PATCH", ME, body=b"[" * 100000, headers=S.auth_headers(SESSION["token"]))
        self.assertJson4xx(r)

    def test_empty_body_with_json_type(self):
        r = S.request("POST", LOGIN, body=b"")
        # An empty body is no body: the validation errors of §1.1.
        self.assertJson4xx(r)


class WrongTypes(ApiTestCase):
    def test_login_email_wrong_types(self):
        for value in (123, 1.5, True, {"a": 1}, ["john.doe@example.com"], {}):
            with self.subTest(value=value):
                r = S.request("POST", LOGIN, json_body={"email": value, "password": "secret"})
                self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email must be an email"}}')

    def test_login_email_null(self):
        r = S.request("POST", LOGIN, json_body={"email": None, "password": "secret"})
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email should not be empty, '
                                b'email must be an email"}}')

    def test_login_password_wrong_types(self):
        for value in (123456, {"a": 1}, ["secret"], True, None, ""):
            with self.subTest(value=value):
                r = S.request("POST", LOGIN, json_body={"email": DEMO_USER, "password": value})
                self.assertStatus(r, 422)
                self.assertJsonCT(r)

    def test_register_wrong_types(self):
        cases = [
            ({"email": 123}, b'{"status":422,"errors":{"email":"email must be an email"}}'),
            ({"email": None}, b'{"status":422,"errors":{"email":"email must be an email"}}'),
            ({"email": ["x@example.com"]}, b'{"status":422,"errors":{"email":"email must be an email"}}'),
            ({"email": {"x": "y"}}, b'{"status":422,"errors":{"email":"email must be an email"}}'),
            ({"password": 12345678}, b'{"status":422,"errors":{"password":'
                                     b'"password must be longer than or equal to 8 characters"}}'),
            ({"password": ["12345678"]}, b'{"status":422,"errors":{"password":'
                                         b'"password must be longer than or equal to 8 characters"}}'),
            ({"password": None}, b'{"status":422,"errors":{"password":'
                                 b'"password must be longer than or equal to 8 characters"}}'),
            ({"firstName": None}, b'{"status":422,"errors":{"firstName":"firstName should not be empty"}}'),
        ]
        for override, expected in cases:
            with self.subTest(override=override):
                body = {"email": unique_email("types"), "password": "Long-Enough-1",
                        "firstName": "A", "lastName": "B"}
                body.update(override)
                r = S.request("POST", REGISTER, json_body=body)
                self.assertBody(r, 422, expected)

    def test_register_object_names_never_5xx(self):
        for value in ({"a": 1}, [1, 2], True):
            with self.subTest(value=value):
                r = S.register(unique_email("objname"), first_name=value)
                self.assertIn(r.status, (204, 422), r)

    def test_patch_wrong_types(self):
        h = S.auth_headers(SESSION["token"])
        r = S.request("PATCH", ME, json_body={"email": 5}, headers=h)
        self.assertStatus(r, 422)
        self.assertIn("email", r.json()["errors"])
        r = S.request("PATCH", ME, json_body={"password": 12345678, "oldPassword": "secret"}, headers=h)
        self.assertStatus(r, 422)
        self.assertIn("password", r.json()["errors"])
        r = S.request("PATCH", ME, json_body={"photo": "string"}, headers=h)
        self.assertLess(r.status, 500, r)
        self.assertEqual(S.me(SESSION["token"]).json()["email"], DEMO_USER)


class NulAndUtf8(ApiTestCase):
    def test_nul_in_strings(self):
        bodies = [
            (LOGIN, {"email": "john.doe@example.com\u0000x", "password": "secret"}),
            (LOGIN, {"email": DEMO_USER, "password": "secret\u0000"}),
            (REGISTER, {"email": unique_email("nul"), "password": "Long-Enough-1\u0000z",
                        "firstName": "A", "lastName": "B"}),
            (REGISTER, {"email": unique_email("nul"), "password": "Long-Enough-1",
                        "firstName": "A\u0000B", "lastName": "B"}),
            (REGISTER, {"email": "nul\u0000@example.com", "password": "Long-Enough-1",
                        "firstName": "A", "lastName": "B"}),
        ]
        for path, body in bodies:
            with self.subTest(path=path, body=body):
                self.assertJson4xx(S.request("POST", path, json_body=body))
        r = S.request("PATCH", ME, json_body={"firstName": "x\u0000y"},
                      headers=S.auth_headers(SESSION["token"]))
        self.assertJson4xx(r)
        self.assertEqual(S.me(SESSION["token"]).json()["firstName"], "John")

    def test_nul_key(self):
        r = S.request("POST", LOGIN, body=b'{"email\\u0000":"x","password":"y"}')
        self.assertJson4xx(r)

    def test_raw_nul_byte(self):
        r = S.request("POST", LOGIN, body=b'{"email":"john.doe@example.com\x00","password":"secret"}')
        self.assertJson4xx(r)

    def test_invalid_utf8(self):
        for raw in (b'{"email":"\xff\xfe@example.com","password":"secret"}',
                    b'{"email":"john.doe@example.com","password":"\xc3\x28"}',
                    b'{"email":"a@example.com","password":"Long-Enough-1","firstName":"\xed\xa0\x80","lastName":"x"}',
                    b'{"email":"a@example.com","password":"Long-Enough-1","firstName":"\xc0\xaf","lastName":"x"}',
                    b'{"\xff":1}'):
            for path in (LOGIN, REGISTER):
                with self.subTest(path=path, raw=raw):
                    self.assertJson4xx(S.request("POST", path, body=raw))

    def test_lone_surrogate_escape(self):
        r = S.request("POST", REGISTER, body=b'{"email":"' + unique_email("sur").encode() +
                      b'","password":"Long-Enough-1","firstName":"\\ud800","lastName":"x"}')
        self.assertIn(r.status, (204, 400, 422), r)


class Sizes(ApiTestCase):
    def assert413(self, r):
        self.assertBody(r, 413, TOO_LARGE)
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)

    def test_200k_field(self):
        for path, body in ((LOGIN, {"email": DEMO_USER, "password": "x" * 200000}),
                           (REGISTER, {"email": unique_email("big"), "password": "Long-Enough-1",
                                       "firstName": "f" * 200000, "lastName": "x"})):
            with self.subTest(path=path):
                self.assert413(S.request("POST", path, json_body=body))

    def test_body_over_100k(self):
        pad = b" " * 110000
        self.assert413(S.request("POST", LOGIN, body=b'{"email":"john.doe@example.com",'
                                 b'"password":"secret"' + pad + b"}"))
        self.assert413(S.request("PATCH", ME, body=b'{"firstName":"' + b"y" * 150000 + b'"}',
                                 headers=S.auth_headers(SESSION["token"])))
        self.assertEqual(S.me(SESSION["token"]).json()["firstName"], "John")

    def test_body_just_over_limit(self):
        body = b'{"email":"' + b"a" * (102400 - 10) + b'"}'
        self.assertGreater(len(body), 102400)
        self.assert413(S.request("POST", LOGIN, body=body))

    def test_lying_content_length_is_not_5xx(self):
        # Claims 200 kB, sends little and closes: whatever happens, no 5xx.
        raw = (b"POST " + LOGIN.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: 200000\r\nConnection: close\r\n\r\n{}")
        try:
            r = S.request("POST", LOGIN, raw=raw, timeout=20)
            self.assertLess(r.status, 500, r)
        except Exception:
            pass  # the server may just close the connection

    def test_huge_valid_password_field_below_limit(self):
        # 50 kB password: under the body limit, over the 1024-byte password cap.
        r = S.request("POST", LOGIN, json_body={"email": DEMO_USER, "password": "x" * 50000})
        self.assertStatus(r, 422)
        r = S.register(unique_email("bigpw"), password="x" * 50000)
        self.assertStatus(r, 422)
        self.assertIn("password", r.json()["errors"])

    def test_many_keys(self):
        body = "{" + ",".join('"k%d":%d' % (i, i) for i in range(5000)) + "}"
        r = S.request("POST", LOGIN, body=body)
        self.assertJson4xx(r)


class Authorization(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.claims = jwt_parts(SESSION["token"])[1]

    def secret(self):
        return S.env["AUTH_JWT_SECRET"]

    def payload(self, **over):
        now = int(time.time())
        p = {"id": self.claims["id"], "role": {"id": 2}, "sessionId": self.claims["sessionId"],
             "iat": now, "exp": now + 600}
        p.update(over)
        return {k: v for k, v in p.items() if v is not None}

    def test_control_forged_hs256_is_accepted(self):
        # Proves the forgeries below fail for the reason they test.
        tok = forge_jwt(self.payload(), self.secret())
        self.assertStatus(S.me(tok), 200)

    def test_malformed_headers(self):
        tok = SESSION["token"]
        for value in ("Bearer", "Bearer ", "Bearer a.b", "Bearer a.b.c", "Bearer ...", "Basic x",
                      "Basic " + tok, "Token " + tok, tok, "Bearer " + tok + "x",
                      "Bearer " + tok[:-2], "Bearer\t",
                      "Bearer " + "." * 100, "Bearer eyJ.eyJ.eyJ", "Bearer %00",
                      "Bearer " + tok.replace(".", "..", 1)):
            with self.subTest(value=value[:30]):
                r = S.request("GET", ME, headers={"Authorization": value})
                self.assertUnauthorized(r)
                self.assertSecurityHeaders(r)

    def test_huge_headers(self):
        for n in (6000, 60000):
            with self.subTest(n=n):
                r = S.request("GET", ME, headers={"Authorization": "Bearer " + "a" * n})
                self.assertUnauthorized(r)
                r = S.request("GET", ME, headers={"Authorization": "Bearer " + SESSION["token"] + "." * n})
                self.assertUnauthorized(r)

    def test_huge_jwt_shaped_token(self):
        big = forge_jwt(self.payload(pad="p" * 5000), "not-the-secret")
        self.assertUnauthorized(S.me(big))

    def test_alg_none(self):
        for hdr in ({"alg": "none", "typ": "JWT"}, {"alg": "None", "typ": "JWT"},
                    {"alg": "NONE"}):
            with self.subTest(hdr=hdr):
                tok = forge_jwt(self.payload(), "", alg="none", header=hdr)
                self.assertUnauthorized(S.me(tok))
                # with a signature of the real key appended
                good = forge_jwt(self.payload(), self.secret())
                h = forge_jwt(self.payload(), "", alg="none", header=hdr).split(".")[0]
                self.assertUnauthorized(S.me(h + "." + good.split(".", 1)[1]))

    def test_hs512_and_hs384_with_right_secret(self):
        for alg in ("HS512", "HS384"):
            with self.subTest(alg=alg):
                self.assertUnauthorized(S.me(forge_jwt(self.payload(), self.secret(), alg=alg)))

    def test_hs256_header_variants(self):
        # alg pinned: a header saying HS256 but odd typ is fine only if signature holds;
        # an RS256 header with an HMAC signature is not.
        tok = forge_jwt(self.payload(), self.secret(), header={"alg": "RS256", "typ": "JWT"})
        self.assertUnauthorized(S.me(tok))

    def test_no_exp(self):
        self.assertUnauthorized(S.me(forge_jwt(self.payload(exp=None), self.secret())))

    def test_expired(self):
        now = int(time.time())
        self.assertUnauthorized(S.me(forge_jwt(self.payload(iat=now - 1000, exp=now - 100),
                                               self.secret())))

    def test_exp_wrong_type(self):
        for exp in ("9999999999", None, [1], {"a": 1}, -1, 0):
            with self.subTest(exp=exp):
                p = self.payload()
                p["exp"] = exp
                self.assertUnauthorized(S.me(forge_jwt(p, self.secret())))

    def test_wrong_secret(self):
        self.assertUnauthorized(S.me(forge_jwt(self.payload(), "wrong-secret")))
        self.assertUnauthorized(S.me(forge_jwt(self.payload(), S.env["AUTH_REFRESH_SECRET"])))
        self.assertUnauthorized(S.me(forge_jwt(self.payload(), S.env["AUTH_CONFIRM_EMAIL_SECRET"])))

    def test_missing_or_bad_ids(self):
        for over in ({"id": None}, {"id": 0}, {"id": "abc"}, {"sessionId": None},
                     {"sessionId": 999999}, {"sessionId": "x"}, {"id": 999999}):
            with self.subTest(over=over):
                self.assertUnauthorized(S.me(forge_jwt(self.payload(**over), self.secret())))

    def test_refresh_token_as_access(self):
        self.assertUnauthorized(S.me(SESSION["refreshToken"]))
        self.assertUnauthorized(S.request("GET", "/api/v1/auth/sessions",
                                          headers=S.auth_headers(SESSION["refreshToken"])))
        self.assertUnauthorized(S.logout(SESSION["refreshToken"]))
        self.assertUnauthorized(S.request("PATCH", ME, json_body={"firstName": "x"},
                                          headers=S.auth_headers(SESSION["refreshToken"])))
        self.assertUnauthorized(S.request("DELETE", ME, headers=S.auth_headers(SESSION["refreshToken"])))

    def test_token_in_query_not_accepted(self):
        self.assertUnauthorized(S.request("GET", ME + "?access_token=" + SESSION["token"]))
        self.assertUnauthorized(S.request("GET", ME + "?token=" + SESSION["token"]))

    def test_two_authorization_headers(self):
        raw = ("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Authorization: Bearer garbage\r\nConnection: close\r\n\r\n" % (ME, SESSION["token"]))
        r = S.request("GET", ME, raw=raw.encode())
        self.assertTrue(r.status in (200, 400, 401), r)

    def test_session_still_fine(self):
        self.assertStatus(S.me(SESSION["token"]), 200)


class Protocol(ApiTestCase):
    def test_odd_methods_and_paths(self):
        for method, path in (("TRACE", "/api/v1/auth/me"),
                             ("GET", "/api/v1/auth/sessions/%00"),
                             ("GET", "/api/v1/%2e%2e/%2e%2e/etc/passwd"),
                             ("GET", "/api/v1/auth/me/" + "a" * 4000),
                             ("DELETE", "/api/v1/auth/sessions/" + "9" * 400)):
            with self.subTest(method=method, path=path[:40]):
                r = S.request(method, path)
                self.assert4xx(r)

    def test_chunked_body(self):
        body = json.dumps({"email": DEMO_USER, "password": "wrong-pw"}).encode()
        raw = (b"POST " + LOGIN.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
               b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        r = S.request("POST", LOGIN, raw=raw)
        self.assertStatus(r, 422)

    def test_form_with_garbage(self):
        for body in (b"%%%%", b"email=%ff%fe&password=x", b"email=a%00b&password=x",
                     b"=&=&&&", b"email=" + b"a" * 120000):
            with self.subTest(body=body[:20]):
                r = S.request("POST", LOGIN, body=body,
                              headers={"Content-Type": "application/x-www-form-urlencoded",
                                       "Accept": "application/json"})
                self.assert4xx(r)


class ZzAfterBattery(ApiTestCase):
    """Runs last (classes run in name order)."""

    def test_no_5xx_seen(self):
        errs = S.server_errors()
        self.assertEqual(errs, [], "5xx responses: %r" % errs[:10])

    def test_server_still_answers(self):
        self.assertBody(S.request("GET", "/api/v1/health"), 200, b'{"status":"ok"}')
        self.assertStatus(S.login(DEMO_USER, DEMO_PASSWORD), 200)
        self.assertStatus(S.me(SESSION["token"]), 200)

    def test_no_crash_in_error_log(self):
        self.assertEqual(S.crash_lines(), [])

    def test_bodies_never_leak_hashes(self):
        for method, path, r in list(S.seen):
            self.assertNotIn(b"$argon2", r.body, (method, path))
            self.assertNotIn(b'"password":"$', r.body, (method, path))
