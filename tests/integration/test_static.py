# SPDX-License-Identifier: ISC
"""The web server's own answers (issue 9 point 8, API.md §9.2): the demo
pages it serves and the errors it raises itself (a header too long for it,
a body over its limit, a request it cannot parse, an unknown method, a page
that is not there) carry the security headers, each once, and have JSON
bodies (everything under /api/, and here everything: the server cannot tell
where a request it cannot parse was going). Pages have Referrer-Policy
same-origin, every other answer no-referrer.

StaticAnswers is mixed into one test case per shipped configuration: the
lighttpd one here, the three Apache ones in test_apache.py."""

from harness import ApiTestCase, SECURITY_HEADERS, JSON_CT, TOO_LARGE, serve

BAD_REQUEST = (b'{"message":"Bad Request","error":"Bad Request",'
               b'"statusCode":400}')


def generic(status, message):
    return ('{"statusCode":%d,"message":"%s"}' % (status, message)).encode()


class StaticAnswers:
    """Mixin: cls.S is a started server; PAGE a page it serves itself.

    LONG_HEADER: the status of a header over the server's limit (lighttpd
    431, Apache 400). EARLY_COVERED: whether a request the server cannot
    parse gets our headers and body (not from a .htaccess, which Apache
    reads only once it has mapped the request to its folder)."""

    S = None
    PAGE = "/"
    LONG_HEADER = (431, generic(431, "Request Header Fields Too Large"))
    EARLY_COVERED = True

    def assertHeadersOnce(self, r, referrer="no-referrer"):
        """The headers of API.md §9.2, each once; a page's Referrer-Policy
        is same-origin (with no-referrer a browser's form post from it
        says "Origin: null", which the CSRF check refuses)."""
        want = dict(SECURITY_HEADERS, **{"referrer-policy": referrer})
        for name, value in want.items():
            self.assertEqual(r.headers.get(name), value, (name, r.headers))
            self.assertEqual(r.header_count(name), 1, (name, r.header_list))
        self.assertNotIn("x-powered-by", r.headers)

    def assertServerError(self, r, status, body):
        self.assertBody(r, status, body)
        self.assertEqual(r.headers.get("content-type"), JSON_CT, r.headers)
        self.assertHeadersOnce(r)
        # What tells the server's own answers from the app's.
        self.assertNotIn("x-request-id", r.headers)

    def test_static_page_headers(self):
        r = self.S.request("GET", self.PAGE)
        self.assertStatus(r, 200)
        self.assertTrue(r.headers.get("content-type", "").startswith("text/html"), r.headers)
        self.assertHeadersOnce(r, referrer="same-origin")
        r = self.S.request("HEAD", self.PAGE)
        self.assertStatus(r, 200)
        self.assertHeadersOnce(r, referrer="same-origin")

    def test_static_not_found(self):
        r = self.S.request("GET", "/no-such-page.html")
        self.assertServerError(r, 404, generic(404, "Not Found"))

    def test_api_answers_once(self):
        # The app's own answers: the server adds nothing twice.
        for path in ("/api/v1/health", "/api/v1/nope"):
            with self.subTest(path=path):
                r = self.S.request("GET", path)
                self.assertJsonCT(r)
                self.assertHeadersOnce(r)

    def test_header_too_long(self):
        status, body = self.LONG_HEADER
        for path in ("/api/v1/health", self.PAGE):
            with self.subTest(path=path):
                r = self.S.request("GET", path, headers={"X-Big": "a" * 70000})
                if not self.EARLY_COVERED:
                    self.assertStatus(r, status)
                    continue
                self.assertServerError(r, status, body)

    def test_request_it_cannot_parse(self):
        for raw in (b"GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n",
                    b"GET /api/v1/health HTTP/1.1 x\r\nHost: x\r\n"
                    b"Connection: close\r\n\r\n"):
            with self.subTest(raw=raw[:40]):
                r = self.S.request("GET", "/", raw=raw)
                if not self.EARLY_COVERED:
                    self.assertStatus(r, 400)
                    continue
                self.assertServerError(r, 400, BAD_REQUEST)

    def test_body_over_the_server_limit(self):
        body = b'{"email":"' + b"a" * (1100 * 1024) + b'"}'
        r = self.S.request("POST", "/api/v1/auth/email/login", body=body)
        self.assertServerError(r, 413, TOO_LARGE)
        self.assertStatus(self.S.request("GET", "/api/v1/health"), 200)

    def test_unknown_method(self):
        # A 501 on purpose: not recorded for the suites' "no 5xx" checks.
        r = self.S.request("FOO", self.PAGE, record=False)
        self.assertServerError(r, 501, generic(501, "Not Implemented"))
        # Under /api: the server's 501 (lighttpd) or the app's 404
        # (Apache passes every method to the app), JSON either way.
        r = self.S.request("FOO", "/api/v1/auth/me", record=False)
        self.assertIn(r.status, (404, 501), r)
        self.assertJsonCT(r)
        self.assertHeadersOnce(r)

    def test_zz_no_crash(self):
        self.assertEqual(self.S.crash_lines(), [])


class LighttpdStatic(StaticAnswers, ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.S = serve(cls)

    def test_error_handler_path_is_no_route(self):
        # The error handler's path is an ordinary 404 when asked for.
        r = self.S.request("GET", "/api/_error")
        self.assertBody(r, 404, b'{"message":"Cannot GET /api/_error",'
                                b'"error":"Not Found","statusCode":404}')
