# SPDX-License-Identifier: ISC
"""Social sign-in (issue 8; API.md §1.12, §5, §10.11) against the mock
provider of mock_provider.py: real HTTP and real RS256 all the way.

TokenLogin*: POST /api/v1/auth/{google,apple,facebook,github}/login, the
  LoginResponse of email login, new and returning users, one device session
  per login, every kind of bad ID token (audience, issuer, expiry, missing
  exp, signature, another provider's key, unknown kid, alg none, HS256 made
  with the public key, jku/x5u/jwk/x5c/crit headers, tampered payload),
  real-sized tokens, Facebook's debug_token checks and GitHub's primary
  verified email.
Linking: §5.2 (verified email reaches an existing account, the inactive
  account moves to the provider, unverified emails refused, two providers
  with one verified email reach one user, social-only accounts refused on
  email login, deleted and disabled accounts), the audit of sign-ins.
RedirectFlow*: GET /api/v1/auth/{google,github,facebook}/authorize and the
  callback: the provider URL (scopes, state, PKCE S256, nonce), the
  browser-binding cookie, the code exchange as the mock checks it, the 303
  with the token cookies, every refused state (forged, replayed, expired,
  other provider, other browser, parallel callbacks), nonce mismatch,
  open-redirect spellings, no code, state or token in the Location.
KeyRotation: unknown kid, one refetch of the JWKS, the new key accepted
  (one FastCGI worker, so the JWKS cache is one); a 1024-bit key refused.
ProviderFaults / ProviderRefused: a slow, failing or absent provider gives
  503 with Retry-After (the callback: ?error=providerUnavailable) while the
  provider still waits, i.e. within OAUTH_TIMEOUT_MS.
ProviderAnswersBadly: huge, non-JSON and redirecting answers.
RateLimited: social sign-in counts in the per-IP sign-in budget.
Unconfigured: a provider without settings answers 422 naming the setting;
  another one keeps working.
Apache*/Nginx: the core cases through Apache fcgid, CGI, .htaccess and
  nginx (script/test also runs the whole module behind nginx).
ZzEnd (last): no code, state or token in the main server's log or
  database, no 5xx and no crash.
"""

import http.client
import re
import secrets
import socket
import threading
import time
import unittest
import urllib.parse

from harness import (ApiTestCase, Server, serve, unique_email, jwt_parts,
                     USER_KEYS, DEMO_USER, DEFAULT_PASSWORD, ISO_RE)
import mock_provider
from mock_provider import MockProvider, s256

M = None        # the mock provider of the module
S = None        # the main server (lighttpd unless PTL_WEB says otherwise)
FRONT = "http://localhost:3000"
ALLOWED = "https://app.example/cb"
WRONG_TOKEN = b'{"status":422,"errors":{"user":"wrongToken"}}'
NOT_VERIFIED = b'{"status":422,"errors":{"email":"emailNotVerified"}}'
FLOW_PROVIDERS = ("google", "github", "facebook")
SCOPES = {"google": {"openid", "email", "profile"},
          "github": {"read:user", "user:email"},
          "facebook": {"email", "public_profile"}}
AUTHORIZE_PATHS = {"google": "/google/authorize", "github": "/github/authorize",
                   "facebook": "/facebook/dialog/oauth"}
CLIENT_SECRETS = (mock_provider.GOOGLE_CLIENT_SECRET, mock_provider.GITHUB_CLIENT_SECRET,
                  mock_provider.FACEBOOK_APP_SECRET)
TOKEN_BODIES = {"google": "idToken", "apple": "idToken",
                "facebook": "accessToken", "github": "accessToken"}
B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
# Every code, token, state and state cookie handed out in the module, for
# the leak scans of ZzEnd.
ISSUED = []
COOKIES = []    # the state cookies: never logged (they may be stored)


def setUpModule():
    global M, S
    M = MockProvider().start()
    unittest.addModuleCleanup(M.stop)
    S = serve(env=app_env(), port_env=backend)


def app_env(**over):
    env = M.settings(**over)
    env.update({"AUTH_UNIFORM_ERRORS": "false",
                "AUTH_ALLOWED_REDIRECTS": ALLOWED})
    return env


def backend(port):
    return {"BACKEND_DOMAIN": "http://localhost:%d" % port}


def cookies_of(r):
    """name -> (value, attributes) of every Set-Cookie."""
    out = {}
    for name, value in r.header_list:
        if name.lower() == "set-cookie":
            first, _, attrs = value.partition(";")
            k, _, v = first.partition("=")
            out[k.strip()] = (v, attrs)
    return out


def token_cookies(r):
    c = cookies_of(r)
    return {k: v for k, v in c.items()
            if k in ("authportal_access", "authportal_refresh") and v[0]}


def query_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query,
                                 keep_blank_values=True)


def social_login(server, provider, token, **extra):
    body = {TOKEN_BODIES[provider]: token}
    body.update(extra)
    return server.request("POST", "/api/v1/auth/%s/login" % provider,
                          json_body=body)


def mock_get(url):
    """GET on the mock (the browser's visit to the provider): status and
    Location."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request("GET", u.path + ("?" + u.query if u.query else ""))
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("Location")
    finally:
        conn.close()


class Flow:
    """One run of the redirect flow, as a browser does it, step by step."""

    def __init__(self, server, provider, redirect="/dashboard", raw_redirect=None):
        self.server = server
        self.provider = provider
        path = "/api/v1/auth/%s/authorize" % provider
        if raw_redirect is not None:
            path += "?redirect=" + raw_redirect
        elif redirect is not None:
            path += "?" + urllib.parse.urlencode({"redirect": redirect})
        self.authorize = server.request("GET", path)
        self.location = self.authorize.headers.get("location", "")
        self.params = {k: v[0] for k, v in query_of(self.location).items()}
        c = cookies_of(self.authorize).get("authportal_oauth")
        self.cookie = c[0] if c else None
        self.cookie_attrs = c[1] if c else ""
        self.state = self.params.get("state")
        ISSUED.extend(x for x in (self.state,) if x)
        COOKIES.extend(x for x in (self.cookie,) if x)
        self.callback_url = None
        self.callback_query = None

    @property
    def callback_path(self):
        return "/api/v1/auth/%s/callback" % self.provider

    def visit_provider(self):
        """The browser at the provider: returns the callback URL the mock
        redirects to (code and state)."""
        if not self.location.startswith(M.url + "/"):
            raise AssertionError("authorize did not send the browser to the "
                                 "provider: %r %r" % (self.authorize,
                                                      self.authorize.headers))
        status, loc = mock_get(self.location)
        if status != 302:
            raise AssertionError("mock authorize answered %d for %s (%r)" % (
                status, self.location, M.requests()[-1:]))
        self.callback_url = loc
        self.callback_query = urllib.parse.urlsplit(loc).query
        return loc

    def code(self):
        return query_of(self.callback_url).get("code", [None])[0]

    def callback(self, query=None, cookie="own", provider=None):
        """GET the callback with query (default the mock's) and the
        browser's cookie (cookie="own"), another one, or none (None)."""
        q = self.callback_query if query is None else query
        path = "/api/v1/auth/%s/callback" % (provider or self.provider)
        headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        value = self.cookie if cookie == "own" else cookie
        if value is not None:
            headers["Cookie"] = "theme=dark; authportal_oauth=" + value
        return self.server.request("GET", path + "?" + q, headers=headers)

    def run(self):
        self.visit_provider()
        return self.callback()


class OAuthCase(ApiTestCase):
    server = None   # the Server of the class (S unless set)

    @property
    def srv(self):
        return self.server or S

    @classmethod
    def tearDownClass(cls):
        # A class's own server (KeyRotation, ProviderFaults, Apache...):
        # no crash or sanitizer line in its log (ZzEnd checks the main one).
        if cls.server is not None:
            crashes = cls.server.crash_lines()
            if crashes:
                raise AssertionError("crash lines in %s's log: %r" % (
                    cls.__name__, crashes[:5]))
        super().tearDownClass()

    def setUp(self):
        M.reset()

    def tearDown(self):
        M.release()
        ISSUED.extend(M.issued())
        # Whatever the test did: no client secret in any URL the app
        # called (Facebook's debug_token takes the app token by contract).
        for r in M.requests():
            if r["endpoint"] == "facebook.debug_token":
                continue
            for secret in CLIENT_SECRETS:
                self.assertNotIn(secret, r["path"] + "?" + r["raw_query"], r["endpoint"])
        M.reset()

    def assertWrongToken(self, r):
        self.assertBody(r, 422, WRONG_TOKEN)
        self.assertJsonCT(r)

    def assertLoginResponse(self, r, provider, social_id, email=None):
        """200 LoginResponse of email login, user with provider/socialId;
        returns the body."""
        self.assertStatus(r, 200)
        self.assertJsonCT(r)
        self.assertNoStore(r)
        b = r.json()
        self.assertEqual(list(b.keys()), ["refreshToken", "token", "tokenExpires", "user"])
        self.assertIsInstance(b["tokenExpires"], int)
        self.assertGreater(b["tokenExpires"], int(time.time() * 1000))
        u = b["user"]
        self.assertEqual(list(u.keys()), USER_KEYS, u)
        self.assertEqual(u["provider"], provider)
        self.assertEqual(u["socialId"], social_id)
        if email is not None:
            self.assertEqual(u["email"], email)
        self.assertEqual(u["role"], {"id": 2, "name": "User", "__entity": "RoleEntity"})
        self.assertRegex(u["createdAt"], ISO_RE)
        self.assertIsNone(u["deletedAt"])
        self.assertNotIn("password", u)
        hdr, claims = jwt_parts(b["token"])
        self.assertEqual(hdr["alg"], "HS256")
        self.assertEqual(claims["id"], u["id"])
        me = self.srv.me(b["token"])
        self.assertStatus(me, 200)
        self.assertEqual(me.json()["id"], u["id"])
        return b

    def assertFlowFailed(self, r, key, targets=(FRONT + "/dashboard", FRONT + "/")):
        """303 to one of targets + ?error=key, no token cookie, no
        code or state in the Location."""
        self.assertStatus(r, 303)
        loc = r.headers.get("location", "")
        self.assertIn(loc, [t + "?error=" + key for t in targets], r.headers)
        self.assertEqual(token_cookies(r), {}, r.headers)
        self.assertEqual(r.headers.get("referrer-policy"), "no-referrer")

    def assertFlowSignedIn(self, r, target, provider):
        """303 to target with both token cookies; returns /me's user."""
        self.assertStatus(r, 303)
        self.assertEqual(r.headers.get("location"), target)
        self.assertEqual(r.headers.get("referrer-policy"), "no-referrer")
        self.assertNoStore(r)
        self.assertSecurityHeaders(r)
        c = token_cookies(r)
        self.assertEqual(set(c), {"authportal_access", "authportal_refresh"}, r.headers)
        self.assertIn("HttpOnly", c["authportal_access"][1])
        self.assertIn("SameSite=Lax", c["authportal_access"][1])
        self.assertIn("HttpOnly", c["authportal_refresh"][1])
        self.assertIn("SameSite=Strict", c["authportal_refresh"][1])
        self.assertIn("Path=/api/v1/auth", c["authportal_refresh"][1])
        # The spent state's cookie is cleared.
        st = cookies_of(r).get("authportal_oauth")
        self.assertIsNotNone(st, r.headers)
        self.assertEqual(st[0], "")
        self.assertIn("Max-Age=0", st[1])
        me = self.srv.request("GET", "/api/v1/auth/me", headers={
            "Cookie": "authportal_access=" + c["authportal_access"][0]})
        self.assertStatus(me, 200)
        user = me.json()
        self.assertEqual(user["provider"], provider)
        return user


# ---------------------------------------------------------------------------
# Token login
# ---------------------------------------------------------------------------

class TokenLogin(OAuthCase):
    def test_google_new_user(self):
        email = unique_email("google")
        t = M.id_token("google", sub="g-new-" + secrets.token_hex(4), email=email,
                       given_name="Grace", family_name="Hopper")
        sub = jwt_parts(t)[1]["sub"]
        b = self.assertLoginResponse(social_login(S, "google", t), "google", sub, email)
        self.assertEqual((b["user"]["firstName"], b["user"]["lastName"]),
                         ("Grace", "Hopper"))
        self.assertEqual(b["user"]["status"]["id"], 1)   # Active (§5.2)

    def test_google_issuer_without_scheme_accepted(self):
        t = M.id_token("google", iss="accounts.google.com")
        self.assertStatus(social_login(S, "google", t), 200)

    def test_real_sized_id_tokens_accepted(self):
        # Google's and Apple's ID tokens carry more claims than the
        # minimal ones: 1.2 to 1.6 KB is usual (a 2048-bit signature alone
        # is 342 characters). Such a token must not be refused by a field
        # length cap.
        now = int(time.time())
        g = M.id_token("google", at_hash=secrets.token_urlsafe(16), hd="example.com",
                       name="Grace Brewster Murray Hopper", locale="en-GB",
                       nonce=secrets.token_urlsafe(32), jti=secrets.token_hex(20),
                       nbf=now - 5,
                       picture="https://lh3.googleusercontent.com/a/" +
                       secrets.token_urlsafe(90) + "=s96-c")
        a = M.id_token("apple", nonce=secrets.token_hex(32), c_hash=secrets.token_urlsafe(16),
                       at_hash=secrets.token_urlsafe(16), auth_time=now - 2,
                       nonce_supported=True, is_private_email="true",
                       real_user_status=2, transfer_sub=secrets.token_hex(20),
                       email="%s@privaterelay.appleid.com" % secrets.token_hex(6),
                       email_verified="true")
        for provider, t in (("google", g), ("apple", a)):
            with self.subTest(provider=provider, length=len(t)):
                self.assertGreater(len(t), 1024)
                self.assertStatus(social_login(S, provider, t), 200)

    def test_email_is_lower_cased(self):
        email = unique_email("mixed")
        t = M.id_token("google", email=email.replace("mixed", "MiXeD").upper())
        b = self.assertLoginResponse(social_login(S, "google", t), "google",
                                     jwt_parts(t)[1]["sub"], email)

    def test_apple_new_user_names_from_body(self):
        email = unique_email("apple")
        for verified in (True, "true"):
            with self.subTest(email_verified=verified):
                t = M.id_token("apple", email=email if verified is True else
                               unique_email("apple"), email_verified=verified)
                sub = jwt_parts(t)[1]["sub"]
                b = self.assertLoginResponse(
                    social_login(S, "apple", t, firstName="Tim", lastName="Cook"),
                    "apple", sub)
                self.assertEqual((b["user"]["firstName"], b["user"]["lastName"]),
                                 ("Tim", "Cook"))

    def test_apple_any_listed_audience(self):
        t = M.id_token("apple", aud=mock_provider.APPLE_AUDIENCE[1])
        self.assertStatus(social_login(S, "apple", t), 200)

    def test_audience_arrays_naming_us(self):
        for provider, aud in (("google", [mock_provider.GOOGLE_CLIENT_ID, "other"]),
                              ("apple", ["other", mock_provider.APPLE_AUDIENCE[1]])):
            with self.subTest(provider=provider):
                t = M.id_token(provider, aud=aud)
                self.assertStatus(social_login(S, provider, t), 200)

    def test_facebook_new_user(self):
        email = unique_email("fb")
        fid = str(10**14 + secrets.randbelow(10**14))
        t = M.facebook_token(id=fid, email=email, first_name="Mark", last_name="Z")
        r = social_login(S, "facebook", t)
        b = self.assertLoginResponse(r, "facebook", fid, email)
        self.assertEqual((b["user"]["firstName"], b["user"]["lastName"]), ("Mark", "Z"))
        # debug_token first, with the app token, then /me with the fields.
        dbg = M.requests("facebook.debug_token")
        self.assertEqual(len(dbg), 1)
        self.assertEqual(dbg[0]["query"]["input_token"], [t])
        self.assertEqual(dbg[0]["query"]["access_token"],
                         [mock_provider.FACEBOOK_APP_ID + "|" +
                          mock_provider.FACEBOOK_APP_SECRET])
        me = M.requests("facebook.me")
        self.assertEqual(len(me), 1)
        self.assertEqual(me[0]["query"]["fields"], ["id,last_name,email,first_name"])
        self.assertEqual(me[0]["query"]["access_token"], [t])
        order = [r["endpoint"] for r in M.requests()]
        self.assertLess(order.index("facebook.debug_token"), order.index("facebook.me"))

    def test_facebook_without_email(self):
        fid = str(10**14 + secrets.randbelow(10**14))
        t = M.facebook_token(id=fid, no_email=True)
        b = self.assertLoginResponse(social_login(S, "facebook", t), "facebook", fid)
        self.assertIsNone(b["user"]["email"])

    def test_github_new_user(self):
        email = unique_email("gh")
        uid = 10**8 + secrets.randbelow(10**8)
        t = M.github_token(id=uid, name="Ada Lovelace", email=email)
        b = self.assertLoginResponse(social_login(S, "github", t), "github",
                                     str(uid), email)
        self.assertEqual((b["user"]["firstName"], b["user"]["lastName"]),
                         ("Ada", "Lovelace"))
        for r in M.requests("github.user") + M.requests("github.emails"):
            self.assertEqual(r["headers"].get("authorization"), "Bearer " + t)
            self.assertNotIn(t, r["raw_query"])
        self.assertEqual(len(M.requests("github.user")), 1)
        self.assertEqual(len(M.requests("github.emails")), 1)

    def test_returning_user_is_the_same(self):
        for provider in ("google", "apple", "facebook", "github"):
            with self.subTest(provider=provider):
                if provider in ("google", "apple"):
                    sub = "%s-ret-%s" % (provider, secrets.token_hex(4))
                    make = lambda: M.id_token(provider, sub=sub,  # noqa: E731
                                              email=sub + "@example.com")
                elif provider == "facebook":
                    fid = str(10**14 + secrets.randbelow(10**14))
                    make = lambda: M.facebook_token(id=fid)  # noqa: E731
                else:
                    gid = 10**8 + secrets.randbelow(10**8)
                    make = lambda: M.github_token(id=gid)  # noqa: E731
                a = social_login(S, provider, make())
                b = social_login(S, provider, make())
                self.assertStatus(a, 200)
                self.assertStatus(b, 200)
                self.assertEqual(a.json()["user"]["id"], b.json()["user"]["id"])
                self.assertNotEqual(a.json()["refreshToken"], b.json()["refreshToken"])

    def test_returning_user_gets_a_new_unused_email(self):
        sub = "g-move-" + secrets.token_hex(4)
        a = social_login(S, "google", M.id_token("google", sub=sub,
                                                 email=unique_email("old")))
        new = unique_email("new")
        b = social_login(S, "google", M.id_token("google", sub=sub, email=new))
        self.assertEqual(b.json()["user"]["id"], a.json()["user"]["id"])
        self.assertEqual(b.json()["user"]["email"], new)

    def test_one_device_session_per_login(self):
        sub = "g-sess-" + secrets.token_hex(4)
        tokens = []
        for _ in range(3):
            r = social_login(S, "google", M.id_token("google", sub=sub))
            self.assertStatus(r, 200)
            tokens.append(r.json()["token"])
        r = S.request("GET", "/api/v1/auth/sessions", headers=S.auth_headers(tokens[-1]))
        self.assertStatus(r, 200)
        sessions = r.json()
        self.assertEqual(len(sessions), 3, sessions)
        self.assertEqual(sum(1 for s in sessions if s["current"]), 1)
        for t in tokens:
            self.assertStatus(S.me(t), 200)

    def test_missing_token_fields(self):
        for provider, field in TOKEN_BODIES.items():
            with self.subTest(provider=provider):
                for body in ({}, {field: ""}):
                    r = S.request("POST", "/api/v1/auth/%s/login" % provider,
                                  json_body=body)
                    self.assertBody(r, 422, '{"status":422,"errors":{"%s":"%s should '
                                    'not be empty"}}' % (field, field))

    def test_garbage_tokens_are_wrong_token(self):
        for provider in ("google", "apple"):
            for t in ("x", "a.b.c", "..", "e30.e30.", "e30.e30", "A" * 1000,
                      "eyJhbGciOiJSUzI1NiJ9.%%%.%%%", "\u00e9.\u00e9.\u00e9",
                      M.id_token(provider) + ".extra"):
                with self.subTest(provider=provider, token=t[:30]):
                    self.assertWrongToken(social_login(S, provider, t))
        for provider in ("facebook", "github"):
            for t in ("x", "nope-" + secrets.token_hex(8), "a b", "a\r\nX-Injected: 1",
                      "a&access_token=b", "a\x00b"):
                with self.subTest(provider=provider, token=t[:30]):
                    r = social_login(S, provider, t)
                    if "\x00" in t and r.status != 422:
                        self.assertJson4xx(r)   # NUL refused as bad input
                    else:
                        self.assertWrongToken(r)
        for r in M.requests():
            self.assertNotIn("x-injected", r["headers"])
            self.assertLessEqual(len(r["query"].get("access_token", [])), 1, r)
            self.assertLessEqual(len(r["query"].get("input_token", [])), 1, r)

    def test_non_string_tokens_are_4xx(self):
        for provider, field in TOKEN_BODIES.items():
            for v in (1, True, [], {}, ["x"], None):
                with self.subTest(provider=provider, value=v):
                    r = S.request("POST", "/api/v1/auth/%s/login" % provider,
                                  json_body={field: v})
                    self.assertJson4xx(r)

    def test_huge_token_is_4xx_without_asking_the_provider(self):
        for provider in ("google", "apple", "facebook", "github"):
            for size in (20000, 200000):
                with self.subTest(provider=provider, size=size):
                    M.reset()
                    r = social_login(S, provider, "A" * size)
                    self.assertJson4xx(r)
                    self.assertEqual([q["endpoint"] for q in M.requests()], [])

    def test_unknown_provider_is_404(self):
        r = S.request("POST", "/api/v1/auth/twitter/login", json_body={"accessToken": "x"})
        self.assertStatus(r, 404)

    def test_no_provider_secret_in_a_url(self):
        social_login(S, "github", M.github_token())
        social_login(S, "google", M.id_token("google"))
        for r in M.requests():
            if r["endpoint"] == "facebook.debug_token":
                continue   # the app token of debug_token is Facebook's contract
            for secret in (mock_provider.GOOGLE_CLIENT_SECRET,
                           mock_provider.GITHUB_CLIENT_SECRET,
                           mock_provider.FACEBOOK_APP_SECRET):
                self.assertNotIn(secret, r["raw_query"])


class ProviderProfiles(OAuthCase):
    """What a provider says about a user is input too: addresses no mail
    could reach are not stored, names are capped, subjects are exact."""

    BAD_EMAILS = ["not-an-email", "a\r\nBcc: victim@example.com", "a\r\nb@example.com",
                  "x" * 300 + "@example.com", "a b@example.com", "@example.com",
                  "a@", '"a\\"@example.com']

    def test_undeliverable_provider_emails_are_not_stored(self):
        for bad in self.BAD_EMAILS:
            for provider in ("github", "facebook", "google"):
                with self.subTest(provider=provider, email=bad[:30]):
                    t = (M.github_token(email=bad) if provider == "github" else
                         M.facebook_token(email=bad) if provider == "facebook" else
                         M.id_token("google", email=bad))
                    r = social_login(S, provider, t)
                    self.assertLess(r.status, 500, r)
                    if r.status == 200:
                        self.assertNotEqual(r.json()["user"]["email"], bad)
                        self.assertNotEqual(r.json()["user"]["email"], bad.lower())
                    else:
                        self.assertJson4xx(r)
        self.assertNotIn(b"Bcc: victim", S.db_bytes())

    def test_names_are_capped_and_text(self):
        r = social_login(S, "apple", M.id_token("apple"), firstName="C" * 5000,
                         lastName="D" * 5000)
        if r.status == 200:
            u = r.json()["user"]
            self.assertLessEqual(len(u["firstName"] or ""), 1024)
            self.assertLessEqual(len(u["lastName"] or ""), 1024)
        else:
            self.assertJson4xx(r)
        r = social_login(S, "apple", M.id_token("apple"), firstName={"a": 1},
                         lastName=[1, 2])
        if r.status == 200:
            u = r.json()["user"]
            for v in (u["firstName"], u["lastName"]):
                self.assertTrue(v is None or not v.startswith(("{", "[")), u)
        else:
            self.assertJson4xx(r)
        for provider, t in (("github", M.github_token(name="A" * 100000)),
                            ("facebook", M.facebook_token(first_name="B" * 50000)),
                            ("google", M.id_token("google", given_name="G" * 3000))):
            with self.subTest(provider=provider):
                r = social_login(S, provider, t)
                self.assertStatus(r, 200)
                self.assertLessEqual(len(r.json()["user"]["firstName"] or ""), 1024)

    def test_subject_required_and_exact(self):
        for provider in ("google", "apple"):
            for sub in ("", None, 12345, ["x"]):
                with self.subTest(provider=provider, sub=sub):
                    self.assertWrongToken(social_login(S, provider,
                                                       M.id_token(provider, sub=sub)))
        self.assertWrongToken(social_login(S, "facebook", M.facebook_token(id="")))
        for gid in (1.5, -5, "12", True, 0):
            with self.subTest(github_id=gid):
                self.assertWrongToken(social_login(S, "github", M.github_token(id=gid)))

    def test_github_ids_beyond_doubles_do_not_collide(self):
        # JSON numbers past 2**53 are not exact as doubles: two users whose
        # ids round to one double must not become one account.
        a = social_login(S, "github", M.github_token(id=2**53))
        b = social_login(S, "github", M.github_token(id=2**53 + 1))
        if a.status == 200 and b.status == 200:
            self.assertNotEqual(a.json()["user"]["id"], b.json()["user"]["id"])
            self.assertEqual(b.json()["user"]["socialId"], str(2**53 + 1))
        else:
            self.assertJson4xx(b)


class TokenLoginBadIdTokens(OAuthCase):
    """Google and Apple ID tokens that must all answer 422 wrongToken."""

    def bad_tokens(self, provider):
        now = int(time.time())
        other = "apple" if provider == "google" else "google"
        wrong_iss = {"google": ["https://accounts.google.com.evil.example",
                                "https://appleid.apple.com", "evil.example",
                                "http://accounts.google.com", ""],
                     "apple": ["appleid.apple.com", "https://accounts.google.com",
                               "https://appleid.apple.com.evil", "http://appleid.apple.com"]}
        key = M.key(provider)
        yield "wrong aud", M.id_token(provider, aud="someone-else")
        yield "aud array without us", M.id_token(provider, aud=["x", "y"])
        for iss in wrong_iss[provider]:
            yield "iss " + iss, M.id_token(provider, iss=iss)
        yield "no iss", M.id_token(provider, iss=None)
        yield "expired", M.id_token(provider, iat=now - 7200, exp=now - 3600)
        yield "expired beyond skew", M.id_token(provider, iat=now - 7200, exp=now - 120)
        yield "no exp", M.id_token(provider, exp=None)
        yield "exp a string", M.id_token(provider, exp=str(now + 3600))
        yield "iat in the future", M.id_token(provider, iat=now + 3600, exp=now + 7200)
        yield "bad signature", M.id_token(provider, bad_signature=True)
        yield "no signature", M.id_token(provider).rsplit(".", 1)[0] + "."
        yield "signed with the other provider's key, our kid", M.id_token(
            provider, key=M.key(other), kid=key.kid)
        yield "signed with the other provider's key and kid", M.id_token(
            provider, key=M.key(other))
        yield "the other provider's valid token", M.id_token(other)
        yield "signed by a key nobody publishes", M.id_token(provider, key=M.other_key)
        yield "alg none", M.id_token(provider, alg="none")
        yield "alg none, kid absent", M.id_token(provider, alg="none",
                                                 header={"alg": "none"})
        yield "alg None", M.id_token(provider, alg="none",
                                     header={"alg": "None", "kid": key.kid})
        yield "HS256 with the public key", M.id_token(provider, alg="HS256")
        yield "HS256 with the JWK's n", M.id_token(
            provider, alg="HS256", secret=key.jwk()["n"].encode())
        yield "HS512 with the public key", M.id_token(provider, alg="HS512")
        yield "RS256 signature under alg RS512", M.id_token(
            provider, header={"alg": "RS512", "kid": key.kid})
        yield "no kid", M.id_token(provider, header={"alg": "RS256"})
        yield "jku to elsewhere", M.id_token(provider, header={
            "alg": "RS256", "kid": "attacker", "jku": M.url + "/apple/jwks"})
        for extra in ({"jku": M.url + "/%s/jwks" % provider},
                      {"x5u": M.url + "/%s/jwks" % provider},
                      {"jwk": key.jwk()}, {"x5c": ["MIIB"]},
                      {"crit": ["exp"]}, {"crit": ["b64"], "b64": False}):
            # A valid signature by the right key, with a header that asks
            # the verifier to look elsewhere or to understand more.
            hdr = dict({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, **extra)
            yield "header " + ",".join(extra), M.id_token(provider, header=hdr)
        yield "tampered payload", M.id_token(provider, tamper={"email": DEMO_USER})
        yield "tampered sub", M.id_token(provider, tamper={"sub": "victim"})

    def test_google(self):
        self.check("google")

    def test_apple(self):
        self.check("apple")

    def check(self, provider):
        for name, t in self.bad_tokens(provider):
            with self.subTest(provider=provider, case=name):
                self.assertWrongToken(social_login(S, provider, t))
        self.assertEqual(S.server_errors(), [])

    def test_exp_within_the_clock_skew_is_accepted(self):
        now = int(time.time())
        for provider in ("google", "apple"):
            with self.subTest(provider=provider):
                t = M.id_token(provider, iat=now - 600, exp=now - 20)
                self.assertStatus(social_login(S, provider, t), 200)

    def test_tampered_token_does_not_reach_the_victim(self):
        t = M.id_token("google", tamper={"email": DEMO_USER, "sub": "x"})
        r = social_login(S, "google", t)
        self.assertWrongToken(r)


class TokenLoginFacebookGithub(OAuthCase):
    def test_facebook_invalid_and_foreign_tokens(self):
        cases = {"is_valid false": M.facebook_token(valid=False),
                 "another app's token": M.facebook_token(app_id="999999"),
                 "unknown token": "EAAB" + secrets.token_urlsafe(20)}
        for name, t in cases.items():
            with self.subTest(case=name):
                self.assertWrongToken(social_login(S, "facebook", t))

    def test_facebook_debug_token_names_another_user(self):
        t = M.facebook_token(debug_user_id=str(10**14 + 1))
        self.assertWrongToken(social_login(S, "facebook", t))

    def test_facebook_other_app_never_reads_the_profile(self):
        t = M.facebook_token(app_id="999999", email=DEMO_USER)
        self.assertWrongToken(social_login(S, "facebook", t))
        self.assertEqual(M.requests("facebook.me"), [])

    def test_github_bad_token(self):
        self.assertWrongToken(social_login(S, "github", "gho_" + secrets.token_hex(10)))

    def test_github_uses_only_the_primary_email(self):
        existing = S.new_user("ghsec")
        primary = unique_email("ghprim")
        t = M.github_token(emails=[
            {"email": existing, "primary": False, "verified": True, "visibility": None},
            {"email": primary, "primary": True, "verified": True, "visibility": "private"}])
        r = social_login(S, "github", t)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["user"]["email"], primary)
        self.assertEqual(r.json()["user"]["provider"], "github")

    def test_github_unverified_primary_never_links(self):
        t = M.github_token(emails=[
            {"email": DEMO_USER, "primary": False, "verified": True, "visibility": None},
            {"email": unique_email("ghun"), "primary": True, "verified": False,
             "visibility": "private"}])
        r = social_login(S, "github", t)
        self.assertBody(r, 422, NOT_VERIFIED)


# ---------------------------------------------------------------------------
# Linking (§5.2, §5.3)
# ---------------------------------------------------------------------------

class Linking(OAuthCase):
    def test_verified_email_reaches_an_active_account_unchanged(self):
        email = unique_email("active")
        cp = S.cli("user", "add", email, "--password", DEFAULT_PASSWORD)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        uid = S.login_ok(email)["user"]["id"]
        for provider in ("google", "apple", "facebook", "github"):
            with self.subTest(provider=provider):
                if provider in ("google", "apple"):
                    t = M.id_token(provider, email=email)
                elif provider == "facebook":
                    t = M.facebook_token(email=email)
                else:
                    t = M.github_token(email=email.upper())
                r = social_login(S, provider, t)
                self.assertStatus(r, 200)
                u = r.json()["user"]
                self.assertEqual(u["id"], uid)
                self.assertEqual(u["provider"], "email")
                self.assertIsNone(u["socialId"])
        # The password still works.
        self.assertEqual(S.login_ok(email)["user"]["id"], uid)

    def test_inactive_account_moves_to_the_provider(self):
        email = S.new_user("preh")      # registered, not confirmed: Inactive
        t = M.id_token("google", email=email)
        sub = jwt_parts(t)[1]["sub"]
        r = social_login(S, "google", t)
        b = self.assertLoginResponse(r, "google", sub, email)
        self.assertEqual(b["user"]["status"]["id"], 2)   # stays Inactive
        # The pre-registered password no longer signs in.
        r = S.login(email, DEFAULT_PASSWORD)
        self.assertBody(r, 422, '{"status":422,"errors":{"email":'
                        '"needLoginViaProvider:google"}}')

    def test_social_only_account_refused_on_email_login(self):
        for provider in ("google", "github"):
            with self.subTest(provider=provider):
                email = unique_email("only")
                t = (M.id_token("google", email=email) if provider == "google"
                     else M.github_token(email=email))
                self.assertStatus(social_login(S, provider, t), 200)
                for pw in ("", "anything-1", DEFAULT_PASSWORD):
                    r = S.login(email, pw or "x")
                    self.assertBody(r, 422, '{"status":422,"errors":{"email":'
                                    '"needLoginViaProvider:%s"}}' % provider)

    def test_registering_a_social_address_is_refused(self):
        email = unique_email("taken")
        self.assertStatus(social_login(S, "facebook", M.facebook_token(email=email)), 200)
        r = S.register(email)
        self.assertBody(r, 422, '{"status":422,"errors":{"email":"emailAlreadyExists"}}')

    def test_two_providers_with_one_verified_email_reach_one_user(self):
        email = unique_email("both")
        first = social_login(S, "google", M.id_token("google", email=email))
        self.assertStatus(first, 200)
        uid = first.json()["user"]["id"]
        for provider, t in (("github", M.github_token(email=email)),
                            ("facebook", M.facebook_token(email=email)),
                            ("apple", M.id_token("apple", email=email,
                                                 email_verified="true"))):
            with self.subTest(provider=provider):
                r = social_login(S, provider, t)
                self.assertStatus(r, 200)
                self.assertEqual(r.json()["user"]["id"], uid)
                self.assertEqual(r.json()["user"]["provider"], "google")

    def test_unverified_email_refused(self):
        cases = [("google", M.id_token("google", email_verified=False)),
                 ("google", M.id_token("google", email_verified="true")),
                 ("google", M.id_token("google", email_verified=None)),
                 ("google", M.id_token("google", email_verified=1)),
                 ("google", M.id_token("google", email=DEMO_USER, email_verified=False)),
                 ("apple", M.id_token("apple", email_verified=False)),
                 ("apple", M.id_token("apple", email_verified="false")),
                 ("apple", M.id_token("apple", email_verified=None)),
                 ("apple", M.id_token("apple", email=DEMO_USER, email_verified="yes")),
                 ("github", M.github_token(verified=False)),
                 ("github", M.github_token(email=DEMO_USER, verified=False))]
        for provider, t in cases:
            with self.subTest(provider=provider, claims=jwt_parts(t)[1]
                              if provider != "github" else None):
                r = social_login(S, provider, t)
                self.assertBody(r, 422, NOT_VERIFIED)

    def test_email_of_a_deleted_account_is_not_taken_over(self):
        email = unique_email("gone")
        cp = S.cli("user", "add", email, "--password", DEFAULT_PASSWORD)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        old_id = S.login_ok(email)["user"]["id"]
        cp = S.cli("user", "delete", email)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        r = social_login(S, "google", M.id_token("google", email=email))
        self.assertStatus(r, 200)
        self.assertNotEqual(r.json()["user"]["id"], old_id)
        self.assertNotEqual(r.json()["user"]["email"], email)

    def test_disabled_social_account_refused(self):
        email = unique_email("off")
        sub = "g-off-" + secrets.token_hex(4)
        self.assertStatus(social_login(S, "google", M.id_token("google", sub=sub,
                                                               email=email)), 200)
        cp = S.cli("user", "disable", email)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        r = social_login(S, "google", M.id_token("google", sub=sub, email=email))
        self.assertEqual(r.status, 422, r)
        self.assertNotIn(b"token", r.body.lower().replace(b"wrongtoken", b""))
        M.login_as("google", sub=sub, email=email)
        f = Flow(S, "google")
        r = f.run()
        self.assertEqual(token_cookies(r), {}, r.headers)
        self.assertIn("error=", r.headers.get("location", ""))

    def test_flow_reaches_the_account_of_a_verified_email(self):
        email = unique_email("flowlink")
        cp = S.cli("user", "add", email, "--password", DEFAULT_PASSWORD)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        uid = S.login_ok(email)["user"]["id"]
        M.login_as("github", email=email)
        f = Flow(S, "github")
        r = f.run()
        self.assertStatus(r, 303)
        c = token_cookies(r)
        me = S.request("GET", "/api/v1/auth/me", headers={
            "Cookie": "authportal_access=" + c["authportal_access"][0]})
        self.assertEqual(me.json()["id"], uid)
        self.assertEqual(me.json()["provider"], "email")

    def test_sign_ins_and_refusals_are_audited(self):
        email = unique_email("audit")
        self.assertStatus(social_login(S, "github", M.github_token(email=email)), 200)
        self.assertWrongToken(social_login(S, "github", "gho_" + secrets.token_hex(8)))
        self.assertWrongToken(social_login(S, "google", M.id_token("google", alg="none")))
        cp = S.cli("audit", "--user", email)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("signin_social", cp.stdout)
        self.assertIn("github", cp.stdout)
        cp = S.cli("audit", "--limit", "50")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("signin_social_failed", cp.stdout)
        self.assertRegex(cp.stdout, r"github\W+wrongToken")
        self.assertRegex(cp.stdout, r"google\W+wrongToken")
        for t in M.issued():
            self.assertNotIn(t, cp.stdout)

    def test_subject_first_then_email(self):
        # A Google account whose email later equals another user's stays
        # its own user: (provider, subject) is looked up first.
        other = unique_email("other")
        self.assertStatus(social_login(S, "github", M.github_token(email=other)), 200)
        sub = "g-subj-" + secrets.token_hex(4)
        a = social_login(S, "google", M.id_token("google", sub=sub,
                                                 email=unique_email("mine")))
        b = social_login(S, "google", M.id_token("google", sub=sub, email=other))
        self.assertStatus(b, 200)
        self.assertEqual(b.json()["user"]["id"], a.json()["user"]["id"])
        self.assertNotEqual(b.json()["user"]["email"], other)


# ---------------------------------------------------------------------------
# The redirect flow
# ---------------------------------------------------------------------------

class RedirectFlow(OAuthCase):
    def test_authorize_sends_the_browser_to_the_provider(self):
        for provider in FLOW_PROVIDERS:
            with self.subTest(provider=provider):
                f = Flow(self.srv, provider)
                self.assertStatus(f.authorize, 302)
                self.assertNoStore(f.authorize)
                self.assertTrue(f.location.startswith(
                    M.url + AUTHORIZE_PATHS[provider] + "?"), f.location)
                p = f.params
                self.assertEqual(p["response_type"], "code")
                self.assertEqual(p["client_id"], mock_provider.CLIENTS[provider][0])
                self.assertEqual(p["redirect_uri"], self.srv.env["BACKEND_DOMAIN"] +
                                 "/api/v1/auth/%s/callback" % provider)
                self.assertEqual(set(re.split(r"[ ,]", p["scope"])), SCOPES[provider])
                self.assertEqual(p["code_challenge_method"], "S256")
                self.assertRegex(p["code_challenge"], B64URL)
                self.assertEqual(len(p["code_challenge"]), 43)
                self.assertRegex(p["state"], r"^[A-Za-z0-9_~.-]+$")
                self.assertGreaterEqual(len(p["state"]), 22)   # >= 128 bits
                if provider == "google":
                    self.assertGreaterEqual(len(p["nonce"]), 22)
                self.assertNotIn("client_secret", p)
                for secret in (mock_provider.GOOGLE_CLIENT_SECRET,
                               mock_provider.GITHUB_CLIENT_SECRET,
                               mock_provider.FACEBOOK_APP_SECRET):
                    self.assertNotIn(secret, f.location)
                self.assertTrue(f.cookie)
                attrs = [a.strip() for a in f.cookie_attrs.split(";")]
                self.assertIn("HttpOnly", attrs)
                self.assertIn("SameSite=Lax", attrs)
                self.assertIn("Path=/api/v1/auth/%s/callback" % provider, attrs)
                self.assertIn("Max-Age=600", attrs)
                self.assertNotIn(f.state, f.cookie)

    def test_every_authorize_is_fresh(self):
        a, b = Flow(self.srv, "google"), Flow(self.srv, "google")
        for k in ("state", "code_challenge", "nonce"):
            self.assertNotEqual(a.params[k], b.params[k], k)
        self.assertNotEqual(a.cookie, b.cookie)

    def test_sign_in_through_each_provider(self):
        for provider in FLOW_PROVIDERS:
            with self.subTest(provider=provider):
                M.reset()
                email = unique_email("flow" + provider)
                if provider == "google":
                    M.login_as("google", email=email)
                elif provider == "github":
                    M.login_as("github", email=email, name="Linus T")
                else:
                    M.login_as("facebook", email=email)
                f = Flow(self.srv, provider, redirect="/dashboard?tab=1")
                r = f.run()
                user = self.assertFlowSignedIn(r, FRONT + "/dashboard?tab=1", provider)
                self.assertEqual(user["email"], email)
                self.assertTrue(user["socialId"])
                # The code exchange, as the mock saw it.
                self.assertEqual(M.token_refusals, [])
                tok = M.requests(provider + ".token")
                self.assertEqual(len(tok), 1)
                t = tok[0]
                self.assertEqual(t["method"], "POST")
                self.assertIn("application/json", t["headers"].get("accept", ""))
                form = {k: v[0] for k, v in t["form"].items()}
                self.assertEqual(form.get("grant_type"), "authorization_code")
                self.assertEqual(form.get("code"), f.code())
                self.assertEqual(form.get("redirect_uri"), f.params["redirect_uri"])
                verifier = form.get("code_verifier", "")
                self.assertRegex(verifier, r"^[A-Za-z0-9._~-]{43,128}$")
                self.assertEqual(s256(verifier), f.params["code_challenge"])
                self.assertNotIn(verifier, f.location)
                self.assertEqual(t["raw_query"], "")   # nothing in the URL
                # Neither the code nor the state in our Location.
                loc = r.headers["location"]
                self.assertNotIn(f.code(), loc)
                self.assertNotIn(f.state, loc)

    def test_returning_user_and_token_login_reach_the_same_user(self):
        sub = "g-flow-" + secrets.token_hex(4)
        ids = []
        for _ in range(2):
            M.login_as("google", sub=sub, email=sub + "@example.com")
            r = Flow(self.srv, "google").run()
            ids.append(self.assertFlowSignedIn(r, FRONT + "/dashboard", "google")["id"])
        r = social_login(self.srv, "google", M.id_token("google", sub=sub))
        ids.append(r.json()["user"]["id"])
        self.assertEqual(len(set(ids)), 1, ids)
        # One device session per sign-in, whichever the way.
        s = self.srv.request("GET", "/api/v1/auth/sessions",
                             headers=self.srv.auth_headers(r.json()["token"]))
        self.assertEqual(len(s.json()), 3, s.json())

    def test_default_and_allowed_targets(self):
        M.login_as("github")
        self.assertFlowSignedIn(Flow(self.srv, "github", redirect=None).run(),
                                FRONT + "/", "github")
        M.login_as("github")
        self.assertFlowSignedIn(Flow(self.srv, "github", redirect=ALLOWED + "?x=1").run(),
                                ALLOWED + "?x=1", "github")
        M.login_as("github")
        self.assertFlowSignedIn(Flow(self.srv, "github", redirect=FRONT + "/a/b").run(),
                                FRONT + "/a/b", "github")

    OPEN_REDIRECTS = [
        "//evil.example", "//evil.example/x", "///evil.example", "////evil.example",
        "https:evil.example", "http:evil.example", "https:/evil.example",
        "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example",
        "https://evil.example/", "HTTPS://EVIL.EXAMPLE/", "http://evil.example",
        "http://localhost:3000@evil.example/", "http://evil.example@localhost:3000/",
        "http://user:pass@localhost:3000/", "http://localhost:3000\\@evil.example/",
        "http://localhost:3000.evil.example/", "http://localhost:3001/",
        "https://localhost:3000/", "https://app.example.evil/cb", "https://app.example/cbx",
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
        " //evil.example", "//evil.example%2F", "http://[::1]/", "http://127.0.0.1:3000/",
        "//%65vil.example", "http:\\\\evil.example", "evil.example",
    ]
    # Spellings that only an extra decoding would turn into the above: sent
    # as they are, the server must not decode them twice.
    RAW_OPEN_REDIRECTS = ["%2F%2Fevil.example", "%2f%2fevil.example",
                          "%252F%252Fevil.example", "%5C%5Cevil.example",
                          "%2F%5Cevil.example", "https%3A%2F%2Fevil.example",
                          "%2F%2F%65vil.example"]

    def assertRefusedRedirect(self, f, spelling):
        self.assertEqual(f.authorize.status, 303, (spelling, f.authorize))
        self.assertEqual(f.authorize.headers.get("location"),
                         FRONT + "/?error=invalidRedirect", spelling)
        self.assertNotIn(M.url, f.authorize.headers.get("location", ""))

    def test_open_redirect_spellings_refused(self):
        for provider in FLOW_PROVIDERS:
            for target in self.OPEN_REDIRECTS:
                with self.subTest(provider=provider, target=target):
                    self.assertRefusedRedirect(Flow(self.srv, provider, redirect=target),
                                               target)
            for raw in self.RAW_OPEN_REDIRECTS:
                for spelling in (raw, urllib.parse.quote(raw, safe="")):
                    with self.subTest(provider=provider, raw=spelling):
                        self.assertRefusedRedirect(
                            Flow(self.srv, provider, raw_redirect=spelling), spelling)
        self.assertEqual(M.requests(), [])

    def test_control_characters_in_the_target_refused(self):
        # Refused as a redirect, or the whole request refused as bad input.
        for target in ("\x00//evil.example", "/\x00/evil.example", "/dash\x00board",
                       "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
                       "\t//evil.example", "/\x7f/evil.example", "%2F%09%2Fevil.example"):
            with self.subTest(target=target):
                f = Flow(self.srv, "google", redirect=target)
                if f.authorize.status == 400:
                    self.assertJsonCT(f.authorize)
                    continue
                self.assertEqual(f.authorize.status, 303, f.authorize)
                self.assertIn(f.authorize.headers.get("location"),
                              (FRONT + "/?error=invalidRedirect",
                               FRONT + "/?error=badRequest"))
        self.assertEqual(M.requests(), [])

    def test_safe_relative_targets_stay_home(self):
        # Spellings that are paths on the frontend land there, never
        # elsewhere.
        for raw, want in (("%2Fdashboard", "/dashboard"),
                          ("/%2509/evil.example", "/%09/evil.example"),
                          ("%2F%252F", "/%2F")):
            with self.subTest(raw=raw):
                M.login_as("github")
                r = Flow(self.srv, "github", raw_redirect=raw).run()
                self.assertFlowSignedIn(r, FRONT + want, "github")

    def test_access_denied(self):
        M.login_as("google", deny=True)
        f = Flow(self.srv, "google")
        f.visit_provider()
        self.assertIn("error=access_denied", f.callback_url)
        self.assertFlowFailed(f.callback(), "accessDenied", targets=(FRONT + "/dashboard",))
        self.assertEqual(M.requests("google.token"), [])

    def test_provider_error_text_is_not_reflected(self):
        for err in ("server_error", "%0d%0aSet-Cookie:%20x=1", "<script>alert(1)</script>",
                    "access_denied&error_description=%0d%0aX:1"):
            with self.subTest(error=err):
                f = Flow(self.srv, "google")
                r = f.callback("error=%s&state=%s" % (err, f.state))
                if "%0d" in err and r.status != 303:
                    self.assertJson4xx(r)   # lighttpd refuses encoded CR LF itself
                    continue
                self.assertStatus(r, 303)
                loc = r.headers.get("location", "")
                self.assertTrue(loc.startswith(FRONT + "/dashboard?error="), loc)
                self.assertRegex(loc, r"\?error=[A-Za-z]+$")
                self.assertNotIn("x", cookies_of(r))
                self.assertEqual(token_cookies(r), {})
        self.assertEqual(M.requests("google.token"), [])

    def test_forged_and_missing_state(self):
        f = Flow(self.srv, "google")
        f.visit_provider()
        code = f.code()
        forged = secrets.token_urlsafe(32)
        cases = {"forged": "code=%s&state=%s" % (code, forged),
                 "no state": "code=" + code,
                 "empty state": "code=%s&state=" % code,
                 "state with a NUL": "code=%s&state=%s%%00" % (code, f.state),
                 "state prefix": "code=%s&state=%s" % (code, f.state[:-1]),
                 "state and more": "code=%s&state=%sx" % (code, f.state),
                 "huge state": "code=%s&state=%s" % (code, "A" * 6000),
                 "nothing": ""}
        for name, q in cases.items():
            with self.subTest(case=name):
                r = f.callback(q)
                if name in ("state with a NUL", "huge state") and r.status != 303:
                    self.assertJson4xx(r)     # refused as bad input: fine too
                    continue
                self.assertFlowFailed(r, "invalidState",
                                      targets=(FRONT + "/", FRONT + "/dashboard"))
        self.assertEqual(M.requests("google.token"), [])

    def test_replayed_state(self):
        M.login_as("github")
        f = Flow(self.srv, "github")
        self.assertFlowSignedIn(f.run(), FRONT + "/dashboard", "github")
        M.reset()
        r = f.callback()
        self.assertFlowFailed(r, "invalidState")
        self.assertEqual(M.requests("github.token"), [])

    def test_concurrent_callbacks_spend_the_state_once(self):
        # The provider here would take the code many times: only the
        # state stands between the parallel callbacks and many sessions.
        M.login_as("github")
        f = Flow(self.srv, "github")
        f.visit_provider()
        with M.lock:
            M.codes[f.code()]["multi_use"] = True
        results = []
        gate = threading.Barrier(6)

        def go():
            gate.wait(10)
            results.append(f.callback())
        threads = [threading.Thread(target=go) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 6)
        signed_in = [r for r in results if token_cookies(r)]
        self.assertEqual(len(signed_in), 1, [r.headers.get("location") for r in results])
        for r in results:
            if r not in signed_in:
                self.assertFlowFailed(r, "invalidState")
        self.assertEqual(len(M.requests("github.token")), 1)

    def test_state_spent_by_a_failed_first_callback(self):
        f = Flow(self.srv, "google")
        f.visit_provider()
        self.assertFlowFailed(f.callback("error=access_denied&state=" + f.state),
                              "accessDenied")
        r = f.callback()
        self.assertFlowFailed(r, "invalidState")
        self.assertEqual(M.requests("google.token"), [])

    def test_other_provider_state(self):
        g = Flow(self.srv, "google")
        g.visit_provider()
        for provider in ("github", "facebook"):
            with self.subTest(provider=provider):
                r = g.callback(provider=provider)
                self.assertFlowFailed(r, "invalidState")
        self.assertEqual(M.requests("github.token") + M.requests("facebook.token"), [])

    def test_other_browser_state(self):
        for name, cookie in (("no cookie", None), ("empty cookie", ""),
                             ("another flow's cookie", "another"),
                             ("altered cookie", "altered")):
            with self.subTest(case=name):
                M.reset()
                M.login_as("google")
                f = Flow(self.srv, "google")
                f.visit_provider()
                if cookie == "another":
                    cookie = Flow(self.srv, "google").cookie
                elif cookie == "altered":
                    cookie = f.cookie[:-2] + ("AA" if f.cookie[-2:] != "AA" else "BB")
                self.assertFlowFailed(f.callback(cookie=cookie), "invalidState")
                self.assertEqual(M.requests("google.token"), [])

    def test_expired_state(self):
        M.login_as("google")
        f = Flow(self.srv, "google")
        f.visit_provider()
        age_states(self.srv, 601)
        self.assertFlowFailed(f.callback(), "invalidState")
        self.assertEqual(M.requests("google.token"), [])

    def test_state_is_stored_hashed(self):
        f = Flow(self.srv, "google")
        self.assertTrue(f.state)
        self.assertNotIn(f.state.encode(), self.srv.db_bytes())

    def test_pkce_verifier_checked(self):
        # The mock refuses a verifier that does not match the challenge:
        # a challenge changed at the provider makes the exchange fail.
        M.login_as("github")
        f = Flow(self.srv, "github")
        f.visit_provider()
        with M.lock:
            M.codes[f.code()]["challenge"] = s256("not-the-verifier-" + "x" * 40)
        self.assertFlowFailed(f.callback(), "wrongToken",
                              targets=(FRONT + "/dashboard",))
        self.assertEqual(M.token_refusals, ["code_verifier"])

    def test_no_code(self):
        for q in ("state=%s", "code=&state=%s"):
            with self.subTest(query=q):
                f = Flow(self.srv, "github")
                self.assertFlowFailed(f.callback(q % f.state), "wrongToken",
                                      targets=(FRONT + "/dashboard",))
        self.assertEqual(M.requests("github.token"), [])

    def test_code_refused_by_the_provider(self):
        f = Flow(self.srv, "facebook")
        r = f.callback("code=%s&state=%s" % (secrets.token_urlsafe(20), f.state))
        self.assertFlowFailed(r, "wrongToken", targets=(FRONT + "/dashboard",))
        self.assertEqual(M.token_refusals, ["code"])

    def test_nonce_mismatch_and_bad_id_tokens(self):
        cases = {"other nonce": {"nonce": secrets.token_urlsafe(16)},
                 "no nonce": {"nonce": None},
                 "no id_token": {"no_id_token": True},
                 "wrong aud": {"aud": "someone-else"},
                 "expired": {"exp": int(time.time()) - 3600,
                             "iat": int(time.time()) - 7200},
                 "alg none": {"id_token_options": {"alg": "none"}},
                 "HS256": {"id_token_options": {"alg": "HS256"}},
                 "bad signature": {"id_token_options": {"bad_signature": True}},
                 "apple's key": {"id_token_options": {"key": M.key("apple"),
                                                      "kid": M.key("google").kid}}}
        for name, ident in cases.items():
            with self.subTest(case=name):
                M.login_as("google", **ident)
                f = Flow(self.srv, "google")
                self.assertFlowFailed(f.run(), "wrongToken",
                                      targets=(FRONT + "/dashboard",))

    def test_unverified_email_in_the_flow(self):
        M.login_as("google", email_verified=False)
        self.assertFlowFailed(Flow(self.srv, "google").run(), "emailNotVerified",
                              targets=(FRONT + "/dashboard",))
        M.login_as("github", email=DEMO_USER, verified=False)
        self.assertFlowFailed(Flow(self.srv, "github").run(), "emailNotVerified",
                              targets=(FRONT + "/dashboard",))

    def test_callback_answers_carry_no_referrer(self):
        M.login_as("google")
        r = Flow(self.srv, "google").run()
        self.assertEqual(r.headers.get("referrer-policy"), "no-referrer")
        r = self.srv.request("GET", "/api/v1/auth/google/callback?code=x&state=y")
        self.assertEqual(r.headers.get("referrer-policy"), "no-referrer")
        self.assertStatus(r, 303)

    def test_apple_has_no_redirect_flow(self):
        r = self.srv.request("GET", "/api/v1/auth/apple/authorize?redirect=/")
        self.assert4xx(r)
        self.assertNotIn(M.url, r.headers.get("location", ""))


def age_states(server, seconds):
    """Moves every stored OAuth state `seconds` into the past: the integer
    time columns (seconds or milliseconds since the epoch) of the oauth
    tables whose names say expire or created (either engine)."""
    pg = server.engine == "postgres"
    with server.db() as conn:
        if pg:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE "
                "table_schema = current_schema() AND table_name LIKE '%oauth%'")]
        else:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%oauth%'")]
        done = 0
        for t in tables:
            if pg:
                cols = [r[0] for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE "
                    "table_schema = current_schema() AND table_name = ? AND "
                    "data_type IN ('bigint', 'integer')", (t,))]
            else:
                cols = [r[1] for r in conn.execute('PRAGMA table_info("%s")' % t)]
            for c in cols:
                if "expire" not in c.lower() and "created" not in c.lower():
                    continue
                conn.execute(
                    'UPDATE "{t}" SET "{c}" = CASE WHEN "{c}" > 100000000000 '
                    'THEN "{c}" - ? ELSE "{c}" - ? END'.format(t=t, c=c) +
                    ("" if pg else ' WHERE typeof("{c}") = \'integer\''.format(c=c)),
                    (seconds * 1000, seconds))
                done += conn.rowcount
        if not done:
            raise AssertionError("no OAuth state to age in %r" % tables)


# ---------------------------------------------------------------------------
# Key rotation (one worker: one JWKS cache)
# ---------------------------------------------------------------------------

class KeyRotation(OAuthCase):
    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, env=app_env(), port_env=backend, maxprocs=1)

    def rotate(self, provider):
        srv = self.server
        self.assertStatus(social_login(srv, provider, M.id_token(provider)), 200)
        self.assertStatus(social_login(srv, provider, M.id_token(provider)), 200)
        before = len(M.requests(provider + ".jwks"))
        self.assertLessEqual(before, 1)     # cached after the first fetch
        new = M.add_key(provider)
        r = social_login(srv, provider, M.id_token(provider, key=new))
        self.assertStatus(r, 200)
        self.assertEqual(len(M.requests(provider + ".jwks")), before + 1)
        # The new set is cached: the new and the old key, no fetch.
        self.assertStatus(social_login(srv, provider, M.id_token(provider, key=new)), 200)
        self.assertStatus(social_login(srv, provider, M.id_token(provider)), 200)
        self.assertEqual(len(M.requests(provider + ".jwks")), before + 1)
        # A kid that nobody publishes: refused, after at most one refetch.
        n = len(M.requests(provider + ".jwks"))
        self.assertWrongToken(social_login(srv, provider,
                                           M.id_token(provider, key=M.other_key)))
        self.assertLessEqual(len(M.requests(provider + ".jwks")), n + 1)
        M.unpublish_key(provider, new)

    def test_a_small_key_refused(self):
        # Runs first: the 1024-bit key is in Google's set at the first fetch.
        small = M.add_key("google", bits=1024)
        try:
            self.assertWrongToken(social_login(self.server, "google",
                                               M.id_token("google", key=small)))
            self.assertStatus(social_login(self.server, "google",
                                           M.id_token("google")), 200)
        finally:
            M.unpublish_key("google", small)

    def test_google(self):
        self.rotate("google")

    def test_zz_unknown_kids_do_not_hammer_the_provider(self):
        # Runs last (it may use up a refetch budget): tokens naming ever new
        # kids are refused without one JWKS fetch each.
        for i in range(20):
            t = M.id_token("google", key=M.other_key,
                           kid="unknown-%d-%s" % (i, secrets.token_hex(4)))
            self.assertWrongToken(social_login(self.server, "google", t))
        self.assertLessEqual(len(M.requests("google.jwks")), 10)
        self.assertStatus(social_login(self.server, "google", M.id_token("google")), 200)

    def test_apple(self):
        self.rotate("apple")


# ---------------------------------------------------------------------------
# Faults: slow, failing, absent providers; unconfigured providers
# ---------------------------------------------------------------------------

class ProviderFaults(OAuthCase):
    """OAUTH_TIMEOUT_MS=1500: a slow provider (it waits 30 s, or until
    released) is given up on; the answer comes while the mock still waits,
    which proves the bound without timing anything."""

    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, env=dict(app_env(), OAUTH_TIMEOUT_MS="1500",
                                         OAUTH_CONNECT_TIMEOUT_MS="1000"),
                           port_env=backend, maxprocs=1)

    def assertUnavailable(self, r, waiting=False):
        self.assertStatus(r, 503)
        self.assertJsonCT(r)
        self.assertRegex(r.headers.get("retry-after", ""), r"^\d+$")
        if waiting:
            self.assertGreaterEqual(M.waiting, 1, "the server waited for the provider")

    def heal(self, endpoint):
        M.fail(endpoint, None)
        M.release()

    def test_google_jwks_slow_then_back(self):
        M.fail("google.jwks", "slow")
        self.assertUnavailable(social_login(self.server, "google", M.id_token("google")),
                               waiting=True)
        self.heal("google.jwks")
        self.assertStatus(social_login(self.server, "google", M.id_token("google")), 200)

    def test_apple_jwks_500_and_dropped(self):
        for mode in ("500", "close"):
            with self.subTest(mode=mode):
                M.fail("apple.jwks", mode)
                self.assertUnavailable(social_login(self.server, "apple",
                                                    M.id_token("apple")))
        self.heal("apple.jwks")
        self.assertStatus(social_login(self.server, "apple", M.id_token("apple")), 200)

    def test_facebook_faults(self):
        for endpoint, mode in (("facebook.debug_token", "slow"),
                               ("facebook.debug_token", "500"),
                               ("facebook.debug_token", "429"),
                               ("facebook.me", "slow"), ("facebook.me", "close")):
            with self.subTest(endpoint=endpoint, mode=mode):
                M.fail(endpoint, mode)
                self.assertUnavailable(social_login(self.server, "facebook",
                                                    M.facebook_token()),
                                       waiting=(mode == "slow"))
                self.heal(endpoint)
        self.assertStatus(social_login(self.server, "facebook", M.facebook_token()), 200)

    def test_github_faults(self):
        for endpoint, mode in (("github.user", "slow"), ("github.user", "500"),
                               ("github.user", "429"),
                               ("github.emails", "slow"), ("github.emails", "close")):
            with self.subTest(endpoint=endpoint, mode=mode):
                M.fail(endpoint, mode)
                self.assertUnavailable(social_login(self.server, "github",
                                                    M.github_token()),
                                       waiting=(mode == "slow"))
                self.heal(endpoint)
        self.assertStatus(social_login(self.server, "github", M.github_token()), 200)

    def test_token_endpoint_faults_in_the_flow(self):
        for provider, mode in (("google", "slow"), ("github", "500"),
                               ("facebook", "close")):
            with self.subTest(provider=provider, mode=mode):
                M.login_as(provider)
                M.fail(provider + ".token", mode)
                f = Flow(self.server, provider)
                r = f.run()
                self.assertFlowFailed(r, "providerUnavailable",
                                      targets=(FRONT + "/dashboard",))
                if mode == "slow":
                    self.assertGreaterEqual(M.waiting, 1)
                self.heal(provider + ".token")
        self.assertEqual([e for e in self.server.server_errors() if e[2].status != 503], [])


class ProviderAnswersBadly(OAuthCase):
    """A provider that answers too much, not JSON, or with a redirect:
    the app reads at most its cap, follows no redirect, and answers 503
    (or 422 wrongToken), never 500, never a sign-in."""

    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, env=app_env(), port_env=backend, maxprocs=1)

    def assertRefused(self, r):
        if r.status == 422:
            self.assertWrongToken(r)
        else:
            self.assertStatus(r, 503)
            self.assertRegex(r.headers.get("retry-after", ""), r"^\d+$")

    def test_token_login(self):
        for endpoint, provider, make in (
                ("apple.jwks", "apple", lambda: M.id_token("apple")),
                ("facebook.debug_token", "facebook", M.facebook_token),
                ("facebook.me", "facebook", M.facebook_token),
                ("github.user", "github", M.github_token),
                ("github.emails", "github", M.github_token)):
            for mode in ("huge", "garbage", "redirect"):
                with self.subTest(endpoint=endpoint, mode=mode):
                    M.fail(endpoint, mode)
                    self.assertRefused(social_login(self.server, provider, make()))
                    M.fail(endpoint, None)
            with self.subTest(endpoint=endpoint, mode="healed"):
                self.assertStatus(social_login(self.server, provider, make()), 200)
        self.assertEqual(M.requests("mock.elsewhere"), [])

    def test_token_endpoint_in_the_flow(self):
        for provider in FLOW_PROVIDERS:
            for mode in ("huge", "garbage", "redirect"):
                with self.subTest(provider=provider, mode=mode):
                    M.login_as(provider)
                    M.fail(provider + ".token", mode)
                    r = Flow(self.server, provider).run()
                    self.assertStatus(r, 303)
                    self.assertIn(r.headers.get("location"),
                                  (FRONT + "/dashboard?error=providerUnavailable",
                                   FRONT + "/dashboard?error=wrongToken"))
                    self.assertEqual(token_cookies(r), {})
                    M.fail(provider + ".token", None)
        self.assertEqual(M.requests("mock.elsewhere"), [])
        self.assertEqual([e for e in self.server.server_errors() if e[2].status != 503], [])


class RateLimited(OAuthCase):
    """Social sign-in shares the per-IP sign-in budget of email login
    (AUTH_RATE_LOGIN_IP): guessing provider tokens is limited too."""

    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, env=dict(app_env(), AUTH_RATE_LIMIT="true",
                                         AUTH_RATE_LOGIN_IP="4"), port_env=backend)

    def test_token_guessing_is_limited(self):
        for _ in range(4):
            self.assertWrongToken(social_login(self.server, "github",
                                               "gho_" + secrets.token_hex(8)))
        r = social_login(self.server, "github", M.github_token())
        self.assertStatus(r, 429)
        self.assertRegex(r.headers.get("retry-after", ""), r"^\d+$")
        self.assertEqual(len(M.requests("github.user")), 4)


class ProviderRefused(OAuthCase):
    """Every provider URL on a loopback port where nothing listens."""

    @classmethod
    def setUpClass(cls):
        # Bound but not listening: connections are refused, and no server
        # started meanwhile (this class's own) can be given the port.
        hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hold.bind(("127.0.0.1", 0))
        cls.addClassCleanup(hold.close)
        dead = "http://127.0.0.1:%d" % hold.getsockname()[1]
        env = app_env(GOOGLE_JWKS_URL=dead + "/jwks", APPLE_JWKS_URL=dead + "/jwks",
                      GOOGLE_TOKEN_URL=dead + "/token", GITHUB_TOKEN_URL=dead + "/token",
                      FACEBOOK_GRAPH_URL=dead, GITHUB_API_URL=dead,
                      OAUTH_CONNECT_TIMEOUT_MS="1000", OAUTH_TIMEOUT_MS="1500")
        cls.server = serve(cls, env=env, port_env=backend)

    def test_token_logins_are_503(self):
        for provider, t in (("google", M.id_token("google")),
                            ("apple", M.id_token("apple")),
                            ("facebook", M.facebook_token()),
                            ("github", M.github_token())):
            with self.subTest(provider=provider):
                r = social_login(self.server, provider, t)
                self.assertStatus(r, 503)
                self.assertRegex(r.headers.get("retry-after", ""), r"^\d+$")

    def test_callback_is_provider_unavailable(self):
        for provider in FLOW_PROVIDERS:
            with self.subTest(provider=provider):
                f = Flow(self.server, provider)
                self.assertStatus(f.authorize, 302)
                r = f.callback("code=%s&state=%s" % (secrets.token_urlsafe(20), f.state))
                self.assertFlowFailed(r, "providerUnavailable",
                                      targets=(FRONT + "/dashboard",))


class Unconfigured(OAuthCase):
    @classmethod
    def setUpClass(cls):
        env = app_env(GOOGLE_CLIENT_ID=None, FACEBOOK_APP_SECRET=None,
                      APPLE_APP_AUDIENCE=None)
        cls.server = serve(cls, env=env, port_env=backend)

    def test_422_names_the_setting(self):
        for provider, setting, t in (
                ("google", "GOOGLE_CLIENT_ID", M.id_token("google")),
                ("facebook", "FACEBOOK_APP_SECRET", M.facebook_token()),
                ("apple", "APPLE_APP_AUDIENCE", M.id_token("apple"))):
            with self.subTest(provider=provider):
                r = social_login(self.server, provider, t)
                self.assertBody(r, 422, '{"status":422,"errors":{"provider":'
                                '"providerNotConfigured:%s"}}' % setting)
        self.assertEqual([q for q in M.requests()
                          if not q["endpoint"].startswith("github")], [])

    def test_another_provider_still_works(self):
        self.assertStatus(social_login(self.server, "github", M.github_token()), 200)
        M.login_as("github")
        self.assertFlowSignedIn(Flow(self.server, "github").run(),
                                FRONT + "/dashboard", "github")

    def test_unconfigured_authorize_does_not_reach_the_provider(self):
        for provider, setting in (("google", "GOOGLE_CLIENT_ID"),
                                  ("facebook", "FACEBOOK_APP_SECRET")):
            with self.subTest(provider=provider):
                f = Flow(self.server, provider)
                self.assertBody(f.authorize, 422, '{"status":422,"errors":{"provider":'
                                '"providerNotConfigured:%s"}}' % setting)
                self.assertNotIn(M.url, f.location)
                self.assertIsNone(f.cookie)
        self.assertEqual(self.server.server_errors(), [])

    def test_no_backend_domain_no_redirect_flow(self):
        # Without BACKEND_DOMAIN there is no callback URL: the redirect flow
        # names the setting, token login keeps working.
        srv = Server(env=app_env())
        srv.start()
        try:
            f = Flow(srv, "github")
            self.assertBody(f.authorize, 422, '{"status":422,"errors":{"provider":'
                            '"providerNotConfigured:BACKEND_DOMAIN"}}')
            self.assertEqual(M.requests(), [])
            self.assertStatus(social_login(srv, "github", M.github_token()), 200)
        finally:
            srv.stop()

    def test_empty_apple_audience_refuses_everything(self):
        srv = Server(env=app_env(APPLE_APP_AUDIENCE="[]"), port_env=backend)
        srv.start()
        try:
            r = social_login(srv, "apple", M.id_token("apple"))
            self.assertEqual(r.status, 422, r)
        finally:
            srv.stop()


# ---------------------------------------------------------------------------
# The core cases behind Apache (fcgid, CGI, .htaccess) and nginx
# ---------------------------------------------------------------------------

class _OtherWebServer:
    kind = None

    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, web=cls.kind, env=app_env(), port_env=backend)

    def test_token_logins(self):
        t = M.id_token("google", email=unique_email(self.kind))
        self.assertLoginResponse(social_login(self.server, "google", t), "google",
                                 jwt_parts(t)[1]["sub"])
        self.assertStatus(social_login(self.server, "github", M.github_token()), 200)
        self.assertWrongToken(social_login(self.server, "google",
                                           M.id_token("google", alg="HS256")))
        self.assertWrongToken(social_login(self.server, "apple",
                                           M.id_token("apple", aud="x")))

    def test_redirect_flow(self):
        M.login_as("github")
        f = Flow(self.server, "github", redirect="/dashboard?tab=1")
        self.assertStatus(f.authorize, 302)
        self.assertIn("Path=/api/v1/auth/github/callback", f.cookie_attrs)
        self.assertFlowSignedIn(f.run(), FRONT + "/dashboard?tab=1", "github")
        self.assertFlowFailed(f.callback(), "invalidState")
        g = Flow(self.server, "google", redirect="//evil.example")
        self.assertEqual(g.authorize.headers.get("location"),
                         FRONT + "/?error=invalidRedirect")
        self.assertEqual(self.server.server_errors(), [])


    def test_nul_in_the_query_is_not_ignored(self):
        # Apache and nginx pass %00 on to the app (lighttpd refuses it
        # itself): a decoded value must not end at its NUL, so the real
        # state with "%00" after it is not the state.
        M.login_as("github")
        f = Flow(self.server, "github")
        f.visit_provider()
        r = f.callback("code=%s&state=%s%%00" % (f.code(), f.state))
        if r.status != 303:
            self.assertJson4xx(r)
        else:
            self.assertEqual(token_cookies(r), {}, r.headers)
            self.assertIn("error=", r.headers.get("location", ""))
        g = Flow(self.server, "github", raw_redirect="/%00/evil.example")
        self.assertNotEqual(g.authorize.status, 302, g.authorize.headers)
        self.assertLess(g.authorize.status, 500)


class ApacheFcgid(_OtherWebServer, OAuthCase):
    kind = "fcgid"


class ApacheCgi(_OtherWebServer, OAuthCase):
    kind = "cgi"


class ApacheHtaccess(_OtherWebServer, OAuthCase):
    kind = "htaccess"


class Nginx(_OtherWebServer, OAuthCase):
    kind = "nginx"


class ZzEnd(OAuthCase):
    """Runs last (classes run in name order): the main server after every
    test of the module."""

    def test_no_code_state_or_token_in_the_server_log(self):
        M.login_as("google")
        f = Flow(S, "google")
        self.assertFlowSignedIn(f.run(), FRONT + "/dashboard", "google")
        self.assertEqual(M.token_refusals, [])
        leaks = ISSUED + M.issued()
        self.assertGreater(len(leaks), 100)
        log = S.error_log()
        for s in leaks + COOKIES:
            self.assertNotIn(s, log)
        db = S.db_bytes()
        for s in leaks:
            self.assertNotIn(s.encode(), db)

    def test_no_5xx_and_no_crash_on_the_main_server(self):
        self.assertEqual(S.server_errors(), [])
        self.assertEqual(S.crash_lines(), [])
