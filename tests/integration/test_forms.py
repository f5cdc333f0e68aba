# SPDX-License-Identifier: ISC
"""HTML form posts without JavaScript (API.md §10.10): a browser form post
(form body, Accept preferring text/html) is answered with 303 See Other to a
checked target, sign-in and refresh set HttpOnly cookies, access routes
accept the access cookie, logout clears the cookies, and every form post or
cookie-authenticated write must come from an allowed Origin (CSRF)."""

import urllib.parse

from harness import ApiTestCase, serve, DEMO_USER, DEMO_PASSWORD

S = None
FRONT = "http://localhost:3000"
BROWSER = {"Content-Type": "application/x-www-form-urlencoded",
           "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
           "Origin": FRONT}


def setUpModule():
    global S
    S = serve(env={"AUTH_ALLOWED_REDIRECTS": "https://app.example/cb"})


def form(fields):
    return urllib.parse.urlencode(fields)


def cookies_of(r):
    """name -> (value, attributes) of every Set-Cookie."""
    out = {}
    for name, value in r.header_list:
        if name.lower() == "set-cookie":
            first, _, attrs = value.partition(";")
            k, _, v = first.partition("=")
            out[k.strip()] = (v, attrs)
    return out


class BrowserSignIn(ApiTestCase):
    def sign_in(self, **extra):
        fields = {"email": DEMO_USER, "password": DEMO_PASSWORD}
        fields.update(extra)
        return S.request("POST", "/api/v1/auth/email/login", body=form(fields),
                         headers=BROWSER)

    def test_success_is_303_home_with_cookies(self):
        r = self.sign_in()
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers.get("location"), FRONT + "/")
        self.assertEqual(r.body, b"")
        c = cookies_of(r)
        self.assertIn("authportal_access", c)
        self.assertIn("authportal_refresh", c)
        access_attrs = c["authportal_access"][1]
        refresh_attrs = c["authportal_refresh"][1]
        self.assertIn("HttpOnly", access_attrs)
        self.assertIn("SameSite=Lax", access_attrs)
        self.assertIn("Path=/", access_attrs)
        self.assertIn("Max-Age=900", access_attrs)
        self.assertIn("HttpOnly", refresh_attrs)
        self.assertIn("SameSite=Strict", refresh_attrs)
        self.assertIn("Path=/api/v1/auth", refresh_attrs)
        self.assertIn("Max-Age=2592000", refresh_attrs)
        self.assertSecurityHeaders(r)

    def test_redirect_field_path_and_allowed_url(self):
        r = self.sign_in(redirect="/dashboard?tab=1")
        self.assertEqual(r.headers.get("location"), FRONT + "/dashboard?tab=1")
        r = self.sign_in(redirect="https://app.example/cb?x=1")
        self.assertEqual(r.headers.get("location"), "https://app.example/cb?x=1")

    def test_open_redirects_refused(self):
        for target in ("https://evil.example/", "//evil.example/x",
                       "https://app.example.evil/cb", "javascript:alert(1)",
                       "http://localhost:3000.evil.example/"):
            r = self.sign_in(redirect=target)
            self.assertEqual(r.status, 303, target)
            self.assertEqual(r.headers.get("location"),
                             FRONT + "/?error=invalidRedirect", target)

    def test_backslash_and_userinfo_refused(self):
        # curl and Python read "http://site\\@evil/" as the host evil,
        # browsers as site: such targets are refused (issue 9 point 7).
        self.assertEqual(urllib.parse.urlsplit(FRONT + "\\@evil.example/").hostname,
                         "evil.example")
        for target in (FRONT + "\\@evil.example/", FRONT + "\\evil.example",
                       FRONT + "/a\\b", "http://user@localhost:3000/",
                       "http://localhost:3000@evil.example/",
                       "https://app.example\\@evil.example/cb",
                       "https://app.example/cb\\@evil.example"):
            r = self.sign_in(redirect=target)
            self.assertEqual(r.status, 303, target)
            self.assertEqual(r.headers.get("location"),
                             FRONT + "/?error=invalidRedirect", target)
        r = S.request("POST", "/api/v1/auth/email/login",
                      body=form({"email": DEMO_USER, "password": "wrong-pass",
                                 "error_redirect": FRONT + "\\@evil.example/"}),
                      headers=BROWSER)
        self.assertEqual(r.headers.get("location"),
                         FRONT + "/?error=incorrectPassword")

    def test_failure_goes_to_error_redirect_with_key(self):
        r = S.request("POST", "/api/v1/auth/email/login",
                      body=form({"email": DEMO_USER, "password": "wrong-pass",
                                 "error_redirect": "/login"}),
                      headers=BROWSER)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.headers.get("location"),
                         FRONT + "/login?error=incorrectPassword")
        self.assertNotIn("authportal_access", cookies_of(r))

    def test_failure_falls_back_to_referer(self):
        h = dict(BROWSER, Referer=FRONT + "/signin?next=x")
        r = S.request("POST", "/api/v1/auth/email/login",
                      body=form({"email": DEMO_USER, "password": "wrong-pass"}),
                      headers=h)
        self.assertEqual(r.headers.get("location"),
                         FRONT + "/signin?next=x&error=incorrectPassword")

    def test_cross_site_form_post_is_403(self):
        h = dict(BROWSER, Origin="https://evil.example")
        r = S.request("POST", "/api/v1/auth/email/login",
                      body=form({"email": DEMO_USER, "password": DEMO_PASSWORD}),
                      headers=h)
        self.assertEqual(r.status, 303)
        self.assertIn("error=forbidden", r.headers.get("location"))
        self.assertNotIn("authportal_access", cookies_of(r))
        h = {"Content-Type": "application/x-www-form-urlencoded",
             "Origin": "https://evil.example"}
        r = S.request("POST", "/api/v1/auth/email/login",
                      body=form({"email": DEMO_USER, "password": DEMO_PASSWORD}),
                      headers=h)
        self.assertStatus(r, 403)

    def test_referer_stands_in_for_a_missing_origin(self):
        h = dict(BROWSER)
        del h["Origin"]
        h["Referer"] = FRONT + "/signin"
        self.assertEqual(self.sign_in_with(h).status, 303)
        h["Referer"] = "https://evil.example/signin"
        r = self.sign_in_with(h)
        self.assertNotIn("authportal_access", cookies_of(r))

    def sign_in_with(self, headers):
        return S.request("POST", "/api/v1/auth/email/login",
                         body=form({"email": DEMO_USER, "password": DEMO_PASSWORD}),
                         headers=headers)


class CookieSession(ApiTestCase):
    def setUp(self):
        r = S.request("POST", "/api/v1/auth/email/login",
                      body=form({"email": DEMO_USER, "password": DEMO_PASSWORD}),
                      headers=BROWSER)
        c = cookies_of(r)
        self.access = c["authportal_access"][0]
        self.refresh = c["authportal_refresh"][0]

    def cookie(self, access=True, refresh=False):
        parts = []
        if access:
            parts.append("authportal_access=" + self.access)
        if refresh:
            parts.append("authportal_refresh=" + self.refresh)
        return "; ".join(["theme=dark"] + parts)

    def test_access_cookie_authenticates_get(self):
        r = S.request("GET", "/api/v1/auth/me", headers={"Cookie": self.cookie()})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], DEMO_USER)

    def test_cookie_write_needs_origin(self):
        r = S.request("PATCH", "/api/v1/auth/me", json_body={"firstName": "John"},
                      headers={"Cookie": self.cookie()})
        self.assertStatus(r, 403)
        r = S.request("PATCH", "/api/v1/auth/me", json_body={"firstName": "John"},
                      headers={"Cookie": self.cookie(), "Origin": FRONT})
        self.assertStatus(r, 200)

    def test_refresh_by_cookie_then_logout_clears(self):
        r = S.request("POST", "/api/v1/auth/refresh", body=b"",
                      headers=dict(BROWSER, Cookie=self.cookie(False, True)))
        self.assertEqual(r.status, 303, r)
        c = cookies_of(r)
        self.assertNotEqual(c["authportal_refresh"][0], self.refresh)
        new_access = c["authportal_access"][0]
        r = S.request("POST", "/api/v1/auth/logout", body=b"",
                      headers=dict(BROWSER, Cookie="authportal_access=" + new_access))
        self.assertEqual(r.status, 303, r)
        c = cookies_of(r)
        self.assertEqual(c["authportal_access"][0], "")
        self.assertIn("Max-Age=0", c["authportal_access"][1])
        self.assertIn("Max-Age=0", c["authportal_refresh"][1])
        r = S.request("GET", "/api/v1/auth/me",
                      headers={"Cookie": "authportal_access=" + new_access})
        self.assertUnauthorized(r)

    def test_bearer_header_wins_over_cookie(self):
        r = S.request("GET", "/api/v1/auth/me",
                      headers={"Cookie": self.cookie(), "Authorization": "Bearer x.y.z"})
        self.assertUnauthorized(r)


class ForgotForms(ApiTestCase):
    """Forgot-password from a browser form in both modes (issue 16 point
    2): uniform errors send the browser to the success target for any
    address; with them off an unknown address comes back with
    ?error=emailNotExists, as the JSON answer is 422 emailNotExists."""

    @classmethod
    def setUpClass(cls):
        cls.off = serve(cls, env={"AUTH_UNIFORM_ERRORS": "false"})

    def forgot(self, server, email):
        return server.request("POST", "/api/v1/auth/forgot/password",
                              body=form({"email": email, "redirect": "/?forgot=sent",
                                         "error_redirect": "/forgot"}),
                              headers=BROWSER)

    def test_uniform_unknown_address_is_success(self):
        r = self.forgot(S, "nobody-%d@example.com" % id(self))
        self.assertEqual(r.status, 303)
        self.assertEqual(r.headers.get("location"), FRONT + "/?forgot=sent")

    def test_non_uniform_unknown_address_is_email_not_exists(self):
        r = self.forgot(self.off, "nobody-%d@example.com" % id(self))
        self.assertEqual(r.status, 303)
        self.assertEqual(r.headers.get("location"), FRONT + "/forgot?error=emailNotExists")
        r = self.off.request("POST", "/api/v1/auth/forgot/password",
                             json_body={"email": "nobody-%d@example.com" % id(self)})
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"emailNotExists"}}')

    def test_non_uniform_known_address_is_success(self):
        r = self.forgot(self.off, DEMO_USER)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.headers.get("location"), FRONT + "/?forgot=sent")
