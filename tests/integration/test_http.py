# SPDX-License-Identifier: ISC
"""Routing, health, CORS and headers: API.md §0, §9.1, §9.2, §10.12, §10.14."""

from harness import ApiTestCase, serve, JSON_CT, DEMO_USER, DEMO_PASSWORD

S = None


def setUpModule():
    global S
    S = serve()


def not_found(method, path):
    return ('{"message":"Cannot %s %s","error":"Not Found","statusCode":404}'
            % (method, path)).encode()


class Health(ApiTestCase):
    def test_health_ok(self):
        r = S.request("GET", "/api/v1/health")
        self.assertBody(r, 200, b'{"status":"ok"}')
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)


class NotFound(ApiTestCase):
    def check(self, method, path, **kw):
        r = S.request(method, path, **kw)
        self.assertBody(r, 404, not_found(method, path))
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)
        return r

    def test_get_login_is_404_bytes(self):
        r = S.request("GET", "/api/v1/auth/email/login")
        self.assertBody(r, 404, b'{"message":"Cannot GET /api/v1/auth/email/login",'
                                b'"error":"Not Found","statusCode":404}')
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)

    def test_post_me_is_404(self):
        self.check("POST", "/api/v1/auth/me", json_body={})

    def test_put_me_is_404(self):
        self.check("PUT", "/api/v1/auth/me", json_body={})

    def test_wrong_methods_never_405(self):
        for method, path in (
            ("GET", "/api/v1/auth/email/register"),
            ("GET", "/api/v1/auth/refresh"),
            ("GET", "/api/v1/auth/logout"),
            ("PUT", "/api/v1/auth/email/login"),
            ("DELETE", "/api/v1/auth/email/login"),
            ("PATCH", "/api/v1/auth/refresh"),
            ("POST", "/api/v1/auth/sessions"),
            ("DELETE", "/api/v1/auth/sessions"),
            ("POST", "/api/v1/health"),
        ):
            with self.subTest(method=method, path=path):
                self.check(method, path)

    def test_unknown_paths(self):
        for path in ("/api/v2/auth/email/login", "/api/auth/email/login",
                     "/api/v1/auth/nothing", "/api/v1/nope", "/api/v1",
                     "/api/v1/auth/email/login/extra", "/api/v2/health"):
            with self.subTest(path=path):
                self.check("GET", path)
        self.check("POST", "/api/v2/auth/email/login", json_body={"email": DEMO_USER,
                                                                   "password": DEMO_PASSWORD})

    def test_v2_me_with_valid_token_is_404(self):
        tok = S.login_ok(DEMO_USER, DEMO_PASSWORD)["token"]
        self.check("GET", "/api/v2/auth/me", headers=S.auth_headers(tok))


class Cors(ApiTestCase):
    """Default server: APP_CORS_ORIGINS unset, so the allow-list is
    FRONTEND_DOMAIN (http://localhost:3000)."""

    def test_preflight(self):
        for path in ("/api/v1/auth/email/login", "/api/v1/auth/me",
                     "/api/v1/auth/refresh", "/api/v1/auth/sessions", "/api/v1/health"):
            with self.subTest(path=path):
                r = S.request("OPTIONS", path, headers={
                    "Origin": "http://localhost:3000",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type,authorization,x-custom-lang",
                })
                self.assertBody(r, 204, b"")
                h = r.headers
                self.assertEqual(h.get("access-control-allow-origin"), "http://localhost:3000")
                self.assertEqual(h.get("access-control-allow-methods"), "GET,HEAD,PUT,PATCH,POST,DELETE")
                self.assertEqual(h.get("access-control-allow-headers"),
                                 "content-type,authorization,x-custom-lang")
                self.assertEqual(h.get("vary"), "Origin, Access-Control-Request-Headers")
                # lighttpd drops Content-Length from every 204 (RFC 9110 §8.6)
                self.assertEqual(h.get("content-length", "0"), "0")
                self.assertNotIn("access-control-allow-credentials", h)
                self.assertNotIn("access-control-max-age", h)
                self.assertNotIn("access-control-expose-headers", h)
                self.assertSecurityHeaders(r)

    def test_listed_origin_echoed(self):
        r = S.request("GET", "/api/v1/health", headers={"Origin": "http://localhost:3000"})
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("access-control-allow-origin"), "http://localhost:3000")
        self.assertIn("Origin", [v.strip() for v in r.headers.get("vary", "").split(",")])
        self.assertNotIn("access-control-allow-credentials", r.headers)

    def test_listed_origin_on_error_and_login(self):
        r = S.login("nobody@example.com", "x", headers={"Origin": "http://localhost:3000"})
        self.assertStatus(r, 422)
        self.assertEqual(r.headers.get("access-control-allow-origin"), "http://localhost:3000")

    def test_unlisted_origin_gets_no_acao_but_is_processed(self):
        r = S.request("GET", "/api/v1/health", headers={"Origin": "http://evil.example"})
        self.assertBody(r, 200, b'{"status":"ok"}')
        self.assertNotIn("access-control-allow-origin", r.headers)

    def test_unlisted_origin_preflight(self):
        r = S.request("OPTIONS", "/api/v1/auth/email/login", headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
        self.assertStatus(r, 204)
        self.assertNotIn("access-control-allow-origin", r.headers)


class Headers(ApiTestCase):
    """Security headers on every response, errors included (§9.2);
    Cache-Control on token/user responses (§10.14)."""

    def test_security_headers_everywhere(self):
        login = S.login_ok(DEMO_USER, DEMO_PASSWORD)
        cases = [
            ("GET", "/api/v1/health", {}, None),
            ("GET", "/api/v1/nope", {}, None),
            ("POST", "/api/v1/auth/email/login", {}, b"{}"),
            ("POST", "/api/v1/auth/email/login", {}, b"{bad"),
            ("POST", "/api/v1/auth/email/register", {}, b"{}"),
            ("GET", "/api/v1/auth/me", {}, None),
            ("GET", "/api/v1/auth/me", S.auth_headers(login["token"]), None),
            ("GET", "/api/v1/auth/sessions", S.auth_headers(login["token"]), None),
            ("POST", "/api/v1/auth/refresh", {}, None),
            ("POST", "/api/v1/auth/logout", {}, None),
            ("DELETE", "/api/v1/auth/sessions/abc", S.auth_headers(login["token"]), None),
            ("POST", "/api/v1/auth/email/login", {}, b'{"email":"' + b"a" * 150000 + b'"}'),
        ]
        for method, path, headers, body in cases:
            with self.subTest(method=method, path=path, body=(body or b"")[:10]):
                r = S.request(method, path, headers=headers, body=body)
                self.assertSecurityHeaders(r)
                if r.body:
                    self.assertJsonCT(r)

    def test_no_store_on_token_and_user_responses(self):
        login = S.login(DEMO_USER, DEMO_PASSWORD)
        self.assertStatus(login, 200)
        self.assertNoStore(login)
        tokens = login.json()
        me = S.me(tokens["token"])
        self.assertNoStore(me)
        patched = S.request("PATCH", "/api/v1/auth/me", json_body={},
                            headers=S.auth_headers(tokens["token"]))
        self.assertStatus(patched, 200)
        self.assertNoStore(patched)
        ref = S.refresh(tokens["refreshToken"])
        self.assertStatus(ref, 200)
        self.assertNoStore(ref)
        sess = S.request("GET", "/api/v1/auth/sessions", headers=S.auth_headers(tokens["token"]))
        self.assertStatus(sess, 200)
        self.assertNoStore(sess)

    def test_json_content_type_exact(self):
        for r in (S.request("GET", "/api/v1/health"),
                  S.request("GET", "/api/v1/auth/me"),
                  S.request("POST", "/api/v1/auth/email/login", body=b"{}")):
            with self.subTest(status=r.status):
                self.assertEqual(r.headers.get("content-type"), JSON_CT)

    def test_no_x_powered_by_and_no_server_version(self):
        r = S.request("GET", "/api/v1/health")
        self.assertNotIn("x-powered-by", r.headers)
        self.assertNotRegex(r.headers.get("server", ""), r"\d+\.\d+")
