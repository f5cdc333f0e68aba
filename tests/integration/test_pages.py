# SPDX-License-Identifier: ISC
"""The account pages of cgi-bin/pages (issue 11, API.md §10 item 36) behind
the real lighttpd, driven as a browser without JavaScript would: a cookie
jar, the forms' hidden fields, 303s followed by hand.

- point 1: every page renders; sign-up, the confirm mail, its page and
  button, sign-in, the account forms, the device list, sign-out;
- point 2: each refused form shows its error in words next to its field
  and in a summary (role="alert"), the first one focused;
- point 3: the CSRF token and the Origin check, the strict CSP,
  frame-ancestors 'none', no-store, the checked redirect after sign-in,
  the cookies of §10.10;
- point 4: APP_NAME, PAGES_LOGO_URL, PAGES_THEME_DIR;
- point 5: the language from x-custom-lang, then Accept-Language;
- point 6: a "Continue with" button per configured provider;
- point 7: AUTH_MAIL_LINKS=pages makes the mails link to the pages.
"""

import html
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse

from harness import ApiTestCase, serve, unique_email, DEFAULT_PASSWORD

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
import mailcatch  # noqa: E402

BASE = "/account/"
JWT = r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"


def backend(port):
    return {"BACKEND_DOMAIN": "http://127.0.0.1:%d" % port}


class Browser:
    """One browser: its cookies, its Origin, the last page's forms."""

    def __init__(self, server, lang=None, origin=True, ua="Mozilla/5.0 "
                 "(X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"):
        self.S = server
        self.jar = {}
        self.lang = lang
        self.origin = origin
        self.ua = ua
        self.last = None

    def _headers(self, extra=None):
        h = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
             "User-Agent": self.ua}
        if self.jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.jar.items())
        if self.lang:
            h["Accept-Language"] = self.lang
        h.update(extra or {})
        return h

    def _keep(self, r):
        for name, value in r.header_list:
            if name.lower() != "set-cookie":
                continue
            first = value.split(";")[0]
            k, _, v = first.partition("=")
            if "Max-Age=0" in value:
                self.jar.pop(k.strip(), None)
            else:
                self.jar[k.strip()] = v
        return r

    def get(self, path, headers=None):
        r = self._keep(self.S.request("GET", path, headers=self._headers(headers)))
        if r.status == 200:
            self.last = r.body.decode("utf-8")
        return r

    def csrf(self):
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', self.last or "")
        return m.group(1) if m else None

    def post(self, path, fields, csrf=True, headers=None):
        fields = dict(fields)
        if csrf is True:
            fields["csrf"] = self.csrf()
        elif csrf is not None:
            fields["csrf"] = csrf
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.origin is True:
            h["Origin"] = "http://127.0.0.1:%d" % self.S.port
        elif self.origin:
            h["Origin"] = self.origin
        h.update(headers or {})
        r = self._keep(self.S.request(
            "POST", path, body=urllib.parse.urlencode(fields),
            headers=self._headers(h)))
        if r.status != 303:
            self.last = r.body.decode("utf-8")
        return r

    def submit(self, page, action, fields, **kw):
        """GET page, then POST its form to action."""
        self.get(BASE + page)
        return self.post(BASE + action, fields, **kw)

    def follow(self, r):
        loc = r.headers.get("location")
        assert r.status == 303, r
        return self.get(loc)


def error_of(body, field):
    """The words next to field (its <p class="error" id="e-field">)."""
    m = re.search(r'<p class="error[^"]*" id="e-%s">([^<]*)</p>' % re.escape(field),
                  body)
    return html.unescape(m.group(1)) if m else None


class PagesTestCase(ApiTestCase):
    env = {}
    web = None          # the harness's default (PTL_WEB)
    other_xfo = "DENY"

    @classmethod
    def setUpClass(cls):
        env = {"AUTH_MAIL_LINKS": "pages", "APP_NAME": "Acme <Login>"}
        env.update(cls.env)
        cls.S = serve(cls, web=cls.web, smtp="catcher", env=env, port_env=backend)

    def mail_link(self, address, kind, want=1):
        deadline = time.monotonic() + 5
        rx = re.compile(r"^http://127\.0\.0\.1:%d/account/%s\?hash=(%s)(&expires=\d+)?$"
                        % (self.S.port, kind, JWT))
        while True:
            links = [mailcatch.find_link(m)
                     for m in mailcatch.messages_to(self.S.mail_dir, address)]
            hits = [rx.match(l) for l in links]
            hits = [h for h in hits if h]
            if len(hits) >= want or time.monotonic() > deadline:
                self.assertGreaterEqual(len(hits), want, links)
                return hits[want - 1].group(0)
            time.sleep(0.02)

    def signup(self, b, email, password=DEFAULT_PASSWORD, first="Ada",
               last="Lovelace"):
        return b.submit("signup", "signup", {"firstName": first, "lastName": last,
                                            "email": email, "password": password})

    def confirmed(self, prefix="pages", password=DEFAULT_PASSWORD, **kw):
        """A new account, confirmed through its mail and the confirm page."""
        b = Browser(self.S)
        email = unique_email(prefix)
        r = self.signup(b, email, password, **kw)
        self.assertEqual(r.status, 303, r)
        link = self.mail_link(email, "confirm-email")
        path = link[link.index("/account/"):]
        r = b.get(path)
        self.assertEqual(r.status, 200, r)
        r = b.post(BASE + "confirm-email", {"hash": re.search(r"hash=([^&]+)", path).group(1)})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers["location"], BASE + "signin?done=emailConfirmed")
        return email

    def signed_in(self, email, password=DEFAULT_PASSWORD, **kw):
        b = Browser(self.S, **kw)
        r = b.submit("signin", "signin", {"email": email, "password": password})
        self.assertEqual(r.status, 303, r)
        return b

    def assertPage(self, r, status=200):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers.get("content-type"), "text/html; charset=utf-8")
        self.assertNoStore(r)
        csp = r.headers.get("content-security-policy", "")
        self.assertIn("default-src 'none'", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("script-src", csp)
        self.assertIn("form-action 'self' https: http://localhost:3000;", csp)
        # Apache sets its own (SAMEORIGIN) on every answer; the CSP's
        # frame-ancestors 'none' is what browsers obey.
        self.assertIn(r.headers.get("x-frame-options"), ("DENY", self.other_xfo))
        self.assertEqual(r.headers.get("referrer-policy"), "same-origin")
        self.assertNotIn(b"<script", r.body)


class Flows(PagesTestCase):
    def test_every_page_renders(self):
        b = Browser(self.S)
        for page in ("signin", "signup", "forgot", "password-change?hash=x",
                     "confirm-email?hash=x", "confirm-new-email?hash=x"):
            with self.subTest(page=page):
                r = b.get(BASE + page)
                self.assertPage(r)
                self.assertIn(b"<h1>", r.body)
                self.assertIn(b'name="csrf"', r.body)
                self.assertIn(b"Acme &lt;Login&gt;", r.body)
        r = b.get(BASE + "style.css")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers.get("content-type"), "text/css; charset=utf-8")
        self.assertIn("max-age=86400", r.headers.get("cache-control"))
        r = b.get(BASE)
        self.assertEqual((r.status, r.headers.get("location")), (303, BASE + "me"))
        for page in ("me", "devices", "me/delete"):
            with self.subTest(page=page):
                r = b.get(BASE + page)
                self.assertEqual(r.status, 303)
                self.assertEqual(r.headers["location"], BASE + "signin?redirect=" +
                                 urllib.parse.quote(BASE + page, safe=""))
        r = b.get(BASE + "nothing-here")
        self.assertPage(r, 404)

    def test_sign_up_confirm_sign_in_and_out(self):
        b = Browser(self.S)
        email = unique_email("flow")
        r = self.signup(b, email)
        self.assertEqual(r.headers["location"], BASE + "signin?done=signedUp")
        r = b.follow(r)
        self.assertIn(b'role="status"', r.body)
        self.assertIn(b"Check your mail", r.body)
        link = self.mail_link(email, "confirm-email")
        path = link[link.index("/account/"):]
        token = re.search(r"hash=([^&]+)", path).group(1)
        # Opening the link (twice) spends nothing: the button does.
        for _ in range(2):
            r = b.get(path)
            self.assertPage(r)
            self.assertIn(('value="%s"' % token).encode(), r.body)
        r = b.post(BASE + "confirm-email", {"hash": token})
        self.assertEqual(r.headers["location"], BASE + "signin?done=emailConfirmed")
        r = b.post(BASE + "confirm-email", {"hash": token})
        self.assertEqual(r.status, 422)
        self.assertIn("already confirmed", error_of(b.last, "hash"))
        r = b.submit("signin", "signin", {"email": email.upper(),
                                          "password": DEFAULT_PASSWORD})
        self.assertEqual(r.headers["location"], BASE + "me")
        cookies = {n: v for n, v in r.header_list if n.lower() == "set-cookie"}
        sets = [v for n, v in r.header_list if n.lower() == "set-cookie"]
        access = [v for v in sets if v.startswith("authportal_access=")][0]
        refresh = [v for v in sets if v.startswith("authportal_refresh=")][0]
        self.assertIn("Path=/;", access)
        self.assertIn("HttpOnly", access)
        self.assertIn("SameSite=Lax", access)
        self.assertIn("Path=/api/v1/auth;", refresh)
        self.assertIn("SameSite=Strict", refresh)
        self.assertTrue(cookies)
        r = b.follow(r)
        self.assertPage(r)
        self.assertIn(email.encode(), r.body)
        # The JSON API takes the same cookie.
        r = self.S.request("GET", "/api/v1/auth/me", headers={
            "Cookie": "authportal_access=" + b.jar["authportal_access"]})
        self.assertEqual(r.json()["email"], email)
        r = b.post(BASE + "signout", {})
        self.assertEqual(r.headers["location"], BASE + "signin?done=signedOut")
        self.assertNotIn("authportal_access", b.jar)
        r = b.get(BASE + "me")
        self.assertEqual(r.status, 303)

    def test_a_bad_or_ended_access_cookie_means_sign_in_again(self):
        email = self.confirmed("cookie")
        b = self.signed_in(email)
        good = b.jar["authportal_access"]
        # Without the pages' refresh cookie (see the next test).
        kept = b.jar.pop("authportal_pages_refresh")
        for bad in ("x", "a.b.c", good[:-4] + "AAAA", "%00", "A" * 5000):
            with self.subTest(bad=bad[:20]):
                b.jar["authportal_access"] = bad
                r = b.get(BASE + "me")
                self.assertEqual(r.status, 303, r)
                self.assertTrue(r.headers["location"].startswith(BASE + "signin?redirect="))
        b.jar["authportal_access"] = good
        self.assertEqual(b.get(BASE + "me").status, 200)
        # Signed out through the JSON API: the pages know at once, and
        # their refresh cookie does not bring the session back.
        r = self.S.request("POST", "/api/v1/auth/logout",
                           headers={"Authorization": "Bearer " + good})
        self.assertEqual(r.status, 204)
        b.jar["authportal_pages_refresh"] = kept
        self.assertEqual(b.get(BASE + "me").status, 303)
        self.assertNotIn("authportal_pages_refresh", b.jar)

    def test_the_pages_refresh_cookie_keeps_people_signed_in(self):
        email = self.confirmed("stay")
        b = self.signed_in(email)
        r = b.get(BASE + "me")
        self.assertEqual(r.status, 200)
        first = b.jar["authportal_pages_refresh"]
        # The browser dropped the access cookie (its Max-Age ran out).
        del b.jar["authportal_access"]
        r = b.get(BASE + "me")
        self.assertPage(r)
        self.assertIn(email.encode(), r.body)
        sets = [v for n, v in r.header_list if n.lower() == "set-cookie"]
        pages = [v for v in sets if v.startswith("authportal_pages_refresh=")][0]
        api = [v for v in sets if v.startswith("authportal_refresh=")][0]
        self.assertIn("authportal_access=", " ".join(sets))
        for attr in ("Path=/account/;", "HttpOnly", "SameSite=Strict", "Max-Age=2592000"):
            self.assertIn(attr, pages)
        self.assertIn("Path=/api/v1/auth;", api)
        self.assertEqual(pages.split(";")[0].split("=", 1)[1],
                         api.split(";")[0].split("=", 1)[1],
                         "both refresh cookies hold the rotated token")
        self.assertNotEqual(b.jar["authportal_pages_refresh"], first)
        # The old token again is reuse: the session ends (RFC 9700 §4.14).
        thief = Browser(self.S)
        thief.jar["authportal_pages_refresh"] = first
        r = thief.get(BASE + "me")
        self.assertEqual(r.status, 303)
        self.assertNotIn("authportal_pages_refresh", thief.jar)
        del b.jar["authportal_access"]
        self.assertEqual(b.get(BASE + "me").status, 303)
        # Sign-out expires it.
        b = self.signed_in(email)
        b.get(BASE + "me")
        b.post(BASE + "signout", {})
        self.assertNotIn("authportal_pages_refresh", b.jar)

    def test_redirect_after_sign_in_is_checked(self):
        email = self.confirmed("redir")
        for target, want in ((BASE + "devices", BASE + "devices"),
                             ("https://evil.example/", BASE + "me"),
                             ("//evil.example/x", BASE + "me"),
                             (BASE + "..//evil", "http://localhost:3000/account/..//evil"),
                             ("/dashboard", "http://localhost:3000/dashboard")):
            with self.subTest(target=target):
                b = Browser(self.S)
                b.get(BASE + "signin?redirect=" + urllib.parse.quote(target))
                self.assertIn(html.escape(target, quote=True).encode(), b.last.encode())
                r = b.post(BASE + "signin", {"email": email, "password": DEFAULT_PASSWORD,
                                             "redirect": target})
                self.assertEqual(r.headers["location"], want)

    def test_account_name_email_password_delete(self):
        email = self.confirmed("acct")
        b = self.signed_in(email)
        other = self.signed_in(email)
        r = b.get(BASE + "me")
        self.assertIn(b'value="Ada"', r.body)
        r = b.post(BASE + "me/profile", {"firstName": "<script>x</script>",
                                        "lastName": "Byron"})
        self.assertEqual(r.headers["location"], BASE + "me?done=profileSaved")
        r = b.follow(r)
        self.assertIn(b"Your profile is saved.", r.body)
        self.assertIn(b'value="&lt;script&gt;x&lt;/script&gt;"', r.body)
        self.assertPage(r)
        # Empty names are refused next to their field.
        r = b.post(BASE + "me/profile", {"firstName": " ", "lastName": "B"})
        self.assertPage(r, 422)
        self.assertEqual(error_of(b.last, "firstName"), "Please fill in this field.")
        self.assertIn('id="f-firstName" name="firstName" type="text" '
                      'autocomplete="given-name" required value="" '
                      'aria-invalid="true" aria-describedby="e-firstName" autofocus',
                      b.last)
        # Password: the wrong old one, a weak new one, then the change.
        b.get(BASE + "me")
        r = b.post(BASE + "me/password", {"oldPassword": "wrong-old-pass",
                                         "password": "Another-Pass-1"})
        self.assertPage(r, 422)
        self.assertEqual(error_of(b.last, "oldPassword"), "The current password is wrong.")
        r = b.post(BASE + "me/password", {"oldPassword": DEFAULT_PASSWORD,
                                         "password": "short"})
        self.assertEqual(error_of(b.last, "password"), "Use at least 8 characters.")
        r = b.post(BASE + "me/password", {"oldPassword": DEFAULT_PASSWORD,
                                         "password": "Another-Pass-1"})
        self.assertEqual(r.headers["location"], BASE + "me?done=passwordChanged")
        self.assertEqual(other.get(BASE + "me").status, 303, "the other device is out")
        self.assertEqual(b.get(BASE + "me").status, 200, "this one stays")
        # Email: a mail to the new address, linking to the pages.
        new = unique_email("acct-new")
        r = b.post(BASE + "me/email", {"newEmail": new})
        self.assertEqual(r.headers["location"], BASE + "me?done=emailChangeSent")
        link = self.mail_link(new, "confirm-new-email")
        path = link[link.index("/account/"):]
        r = b.get(path)
        self.assertPage(r)
        r = b.post(BASE + "confirm-new-email",
                   {"hash": re.search(r"hash=([^&]+)", path).group(1)})
        self.assertEqual(r.headers["location"], BASE + "signin?done=emailChanged")
        b = self.signed_in(new, "Another-Pass-1")
        # Delete: the confirmation step first.
        r = b.get(BASE + "me/delete")
        self.assertPage(r)
        r = b.post(BASE + "me/delete", {})
        self.assertPage(r, 422)
        self.assertEqual(error_of(b.last, "confirm"), "Tick the box to confirm.")
        r = b.post(BASE + "me/delete", {"confirm": "yes"})
        self.assertEqual(r.headers["location"], BASE + "signin?done=accountDeleted")
        self.assertNotIn("authportal_access", b.jar)
        r = Browser(self.S).submit("signin", "signin", {"email": new,
                                                        "password": "Another-Pass-1"})
        self.assertEqual(r.status, 422)

    def test_devices_list_end_one_and_the_others(self):
        email = self.confirmed("dev")
        b = self.signed_in(email)
        chrome = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36")
        other = self.signed_in(email, ua=chrome)
        third = self.signed_in(email, ua="<b>curl</b>/1")
        r = b.get(BASE + "devices")
        self.assertPage(r)
        body = r.body.decode()
        self.assertEqual(body.count('<li class="device'), 3)
        self.assertEqual(body.count('<li class="device current">'), 1)
        self.assertIn("<strong>Firefox</strong>\n\t\ton Linux", body)
        self.assertIn("<strong>Chrome</strong>\n\t\ton Windows", body)
        self.assertIn("Unknown browser", body)
        self.assertNotIn("<b>curl", body)
        self.assertIn("127.0.0.1", body)
        self.assertRegex(body, r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
        ids = re.findall(r'name="id" value="(\d+)"', body)
        self.assertEqual(len(ids), 2)
        # End the Chrome one: find its form.
        chrome_item = [i for i in body.split('<li class="device')[1:] if "Chrome" in i][0]
        sid = re.search(r'name="id" value="(\d+)"', chrome_item).group(1)
        r = b.post(BASE + "devices/end", {"id": sid})
        self.assertEqual(r.headers["location"], BASE + "devices?done=deviceEnded")
        self.assertEqual(other.get(BASE + "me").status, 303)
        r = b.follow(r)
        self.assertEqual(r.body.decode().count('<li class="device'), 2)
        r = b.post(BASE + "devices/end", {"id": sid})
        self.assertPage(r, 422)
        self.assertIn(b"already signed out", r.body)
        for bad in ("0", "x", "-1", "99999999999999999999999"):
            self.assertEqual(b.post(BASE + "devices/end", {"id": bad}).status, 422)
        b.get(BASE + "devices")
        r = b.post(BASE + "devices/others", {})
        self.assertEqual(r.headers["location"], BASE + "devices?done=othersEnded")
        self.assertEqual(third.get(BASE + "me").status, 303)
        r = b.follow(r)
        self.assertEqual(r.body.decode().count('<li class="device'), 1)

    def test_reset_password_through_the_pages(self):
        email = self.confirmed("reset")
        b = Browser(self.S)
        r = b.submit("forgot", "forgot", {"email": email})
        self.assertEqual(r.headers["location"], BASE + "forgot?done=resetSent")
        r = b.submit("forgot", "forgot", {"email": unique_email("nobody")})
        self.assertEqual(r.headers["location"], BASE + "forgot?done=resetSent",
                         "the same answer for an unknown address")
        link = self.mail_link(email, "password-change")
        path = link[link.index("/account/"):]
        r = b.get(path)
        self.assertPage(r)
        self.assertIsNone(error_of(b.last, "hash"))
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        r = b.post(BASE + "password-change", {"hash": q["hash"][0],
                                              "expires": q["expires"][0],
                                              "password": "x"})
        self.assertEqual(error_of(b.last, "password"), "Use at least 8 characters.")
        r = b.post(BASE + "password-change", {"hash": q["hash"][0],
                                              "expires": q["expires"][0],
                                              "password": "Brand-New-Pass-2"})
        self.assertEqual(r.headers["location"], BASE + "signin?done=passwordReset")
        r = b.post(BASE + "password-change", {"hash": q["hash"][0],
                                              "password": "Brand-New-Pass-3"})
        self.assertPage(r, 422)
        self.assertIn("not valid any more", error_of(b.last, "hash"))
        self.signed_in(email, "Brand-New-Pass-2")

    def test_expired_reset_link_says_so_on_opening(self):
        b = Browser(self.S)
        r = b.get(BASE + "password-change?hash=abc&expires=1000")
        self.assertPage(r)
        self.assertEqual(error_of(b.last, "hash"), "This link has expired. Ask for a new one.")
        r = b.get(BASE + "password-change")
        self.assertIn("not valid any more", error_of(b.last, "hash"))

    def test_errors_next_to_their_fields(self):
        email = self.confirmed("errs")
        b = Browser(self.S)
        r = b.submit("signin", "signin", {"email": email, "password": "wrong-pass-1"})
        self.assertPage(r, 422)
        self.assertEqual(error_of(b.last, "password"),
                         "The email address or the password is wrong.")
        self.assertIn('role="alert"', b.last)
        self.assertIn('value="%s"' % email, b.last, "the address is kept")
        self.assertNotIn("wrong-pass-1", b.last, "the password is not")
        r = b.submit("signup", "signup", {"firstName": "A", "lastName": "B",
                                          "email": email, "password": DEFAULT_PASSWORD})
        self.assertPage(r, 422)
        self.assertIn("already exists", error_of(b.last, "email"))
        r = b.submit("signup", "signup", {"firstName": "", "lastName": "B",
                                          "email": "not-an-address", "password": "short"})
        self.assertPage(r, 422)
        self.assertEqual(error_of(b.last, "firstName"), "Please fill in this field.")
        self.assertEqual(error_of(b.last, "email"),
                         "Enter an email address like name@example.com.")
        self.assertEqual(error_of(b.last, "password"), "Use at least 8 characters.")
        self.assertEqual(b.last.count(" autofocus"), 1)
        self.assertIn('name="firstName" type="text" autocomplete="given-name" required '
                      'value="" aria-invalid="true" aria-describedby="e-firstName" autofocus',
                      b.last)
        self.assertEqual(len(re.findall(r"<li>", b.last.split('class="summary"')[1])), 3)
        r = b.submit("confirm-email?hash=bad", "confirm-email", {"hash": "bad"})
        self.assertPage(r, 422)
        self.assertIn("not valid any more", error_of(b.last, "hash"))

    def test_bad_input_is_a_clean_4xx(self):
        b = Browser(self.S)
        b.get(BASE + "signin")
        tok = b.csrf()
        cookie = "authportal_csrf=" + b.jar["authportal_csrf"]
        origin = "http://127.0.0.1:%d" % self.S.port
        form = {"Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin, "Cookie": cookie}
        cases = [
            ("csrf=%s&email=%%ff%%fe&password=x" % tok, form, 400),
            ("csrf=%s&email=a%%00b@example.com&password=x" % tok, form, 400),
            ("csrf=%s&email=%s&password=%s" % (tok, "a" * 5000, "p" * 2000), form, 422),
            ("csrf=%s&email=x&email=y" % tok, form, 400),
            ("%zz", form, 400),
            ('{"email":"x"}', dict(form, **{"Content-Type": "application/json"}), 400),
            ("csrf=%s&" % tok + "x=" + "a" * 200000, form, 413),
        ]
        for body, headers, status in cases:
            with self.subTest(body=body[:40]):
                r = self.S.request("POST", BASE + "signin", body=body, headers=headers)
                self.assertPage(r, status)
        r = self.S.request("GET", BASE + "signin", headers={"Cookie": "authportal_csrf=" + "z" * 64})
        self.assertPage(r)
        self.assertIn("authportal_csrf=", r.headers.get("set-cookie", ""))
        for path in (BASE + "signin/", BASE + "../etc/passwd", BASE + "style.css/x",
                     BASE + "%00", BASE + "me?done=<script>"):
            with self.subTest(path=path):
                r = self.S.request("GET", path)
                self.assertLess(r.status, 500, r)
        self.assertEqual(self.S.server_errors(), [])


class Csrf(PagesTestCase):
    def signin_post(self, b, **kw):
        return b.post(BASE + "signin", {"email": "a@example.com", "password": "x"}, **kw)

    def test_without_or_with_a_wrong_token_refused(self):
        b = Browser(self.S)
        b.get(BASE + "signin")
        good = b.csrf()
        flipped = good[:-1] + ("1" if good[-1] == "0" else "0")
        for token in (None, "", "0" * 64, flipped, good.upper(), good + "0"):
            with self.subTest(token=token):
                r = self.signin_post(b, csrf=token)
                self.assertPage(r, 403)
                self.assertIn(b"This form expired", r.body)
        b.get(BASE + "signin")
        self.assertEqual(self.signin_post(b).status, 422, "the right token passes")

    def test_token_of_another_browser_refused(self):
        a, b = Browser(self.S), Browser(self.S)
        a.get(BASE + "signin")
        b.get(BASE + "signin")
        self.assertNotEqual(a.csrf(), b.csrf())
        self.assertEqual(self.signin_post(b, csrf=a.csrf()).status, 403)
        # No cookie at all: the token alone is worth nothing.
        c = Browser(self.S)
        r = c.post(BASE + "signin", {"email": "a@example.com", "password": "x",
                                     "csrf": a.csrf()}, csrf=None)
        self.assertEqual(r.status, 403)

    def test_origin_checked(self):
        for origin, status in (("https://evil.example", 403), ("null", 403),
                               ("http://127.0.0.1:1", 403), (None, 403),
                               ("http://localhost:3000", 422)):
            with self.subTest(origin=origin):
                b = Browser(self.S, origin=origin or False)
                b.get(BASE + "signin")
                self.assertEqual(self.signin_post(b).status, status)
        # Without an Origin, the Referer of the page itself is enough.
        b = Browser(self.S, origin=False)
        b.get(BASE + "signin")
        r = self.signin_post(b, headers={
            "Referer": "http://127.0.0.1:%d/account/signin" % self.S.port})
        self.assertEqual(r.status, 422)

    def test_signed_in_forms_need_the_token_too(self):
        email = self.confirmed("csrf")
        b = self.signed_in(email)
        b.get(BASE + "me")
        for action, fields in (("signout", {}), ("me/profile", {"firstName": "X",
                                                               "lastName": "Y"}),
                               ("me/delete", {"confirm": "yes"}),
                               ("devices/others", {})):
            with self.subTest(action=action):
                r = b.post(BASE + action, fields, csrf="f" * 64)
                self.assertEqual(r.status, 403)
        self.assertEqual(b.get(BASE + "me").status, 200, "still signed in")


class Languages(PagesTestCase):
    def test_header_then_accept_language_then_fallback(self):
        r = Browser(self.S).get(BASE + "signin")
        self.assertIn(b'<html lang="en">', r.body)
        self.assertIn(b"<h1>Sign in</h1>", r.body)
        r = Browser(self.S, lang="fr-CA,fr;q=0.9,en;q=0.5").get(BASE + "signin")
        self.assertIn(b'<html lang="fr">', r.body)
        self.assertIn("<h1>Connexion</h1>".encode(), r.body)
        r = Browser(self.S, lang="fr").get(BASE + "signin", headers={"x-custom-lang": "en"})
        self.assertIn(b"<h1>Sign in</h1>", r.body)
        r = Browser(self.S, lang="de").get(BASE + "signin", headers={"X-Custom-Lang": "FR"})
        self.assertIn(b'<html lang="fr">', r.body)
        # A shipped language without pages.json: the fallback's words, and
        # the page says which language they are in.
        r = Browser(self.S, lang="uk").get(BASE + "signin")
        self.assertIn(b'<html lang="en">', r.body)
        self.assertIn(b"<h1>Sign in</h1>", r.body)
        b = Browser(self.S, lang="fr")
        r = b.submit("signup", "signup", {"firstName": "", "lastName": "B",
                                          "email": "x", "password": "y"})
        self.assertEqual(error_of(b.last, "firstName"), "Veuillez remplir ce champ.")
        self.assertEqual(error_of(b.last, "password"), "Utilisez au moins 8 caractères.")

    def test_every_language_has_every_string(self):
        import json

        def keys(d, p=""):
            out = set()
            for k, v in d.items():
                out |= keys(v, p + k + ".") if isinstance(v, dict) else {p + k}
            return out
        here = os.path.join(os.path.dirname(__file__), "..", "..", "i18n")
        langs = [d for d in os.listdir(here) if os.path.exists(os.path.join(here, d, "pages.json"))]
        self.assertGreaterEqual(len(langs), 2)
        with open(os.path.join(here, "en", "pages.json")) as f:
            en = keys(json.load(f))
        used = set()
        tdir = os.path.join(here, "..", "pages", "templates")
        for name in os.listdir(tdir):
            with open(os.path.join(tdir, name)) as f:
                used |= set(re.findall(r"\{\{[#^]?t\.([A-Za-z0-9._-]+)\}\}", f.read()))
        self.assertEqual(used - en, set(), "strings the templates use")
        for lang in langs:
            with open(os.path.join(here, lang, "pages.json")) as f:
                self.assertEqual(keys(json.load(f)), en, lang)


class Theme(PagesTestCase):
    # The files a theme does not replace are the shipped ones, found
    # through the build tree: the harness's nginx and Apache run copies of
    # the executables, which have none (an installed one has
    # $(pkgdatadir)/pages).
    web = "lighttpd"

    @classmethod
    def setUpClass(cls):
        cls.theme = tempfile.mkdtemp(prefix="authportal-theme-")
        # The workers may run as another user (nginx, Apache: www-data).
        os.chmod(cls.theme, 0o755)
        os.makedirs(os.path.join(cls.theme, "templates"), mode=0o755)
        os.makedirs(os.path.join(cls.theme, "static"), mode=0o755)
        with open(os.path.join(cls.theme, "static", "style.css"), "w") as f:
            f.write("body { background: rebeccapurple; }\n")
        with open(os.path.join(cls.theme, "templates", "forgot.html"), "w") as f:
            f.write("<p id=\"mine\">{{t.forgot.intro}} {{app_name}}</p>\n")
        cls.env = {"PAGES_THEME_DIR": cls.theme,
                   "PAGES_LOGO_URL": "https://cdn.example/logo.svg",
                   "GOOGLE_CLIENT_ID": "g-id", "GITHUB_CLIENT_ID": "gh-id"}
        super().setUpClass()
        cls.addClassCleanup(shutil.rmtree, cls.theme)

    def test_theme_files_replace_the_shipped_ones(self):
        b = Browser(self.S)
        r = b.get(BASE + "style.css")
        self.assertEqual(r.body, b"body { background: rebeccapurple; }\n")
        r = b.get(BASE + "forgot")
        self.assertIn(b'<p id="mine">Enter the email address', r.body)
        self.assertIn(b"Acme &lt;Login&gt;</p>", r.body)
        self.assertIn(b"<h1>", r.body, "the shipped layout stays")
        self.assertIn(b'<img src="https://cdn.example/logo.svg"', r.body)

    def test_a_button_per_configured_provider(self):
        r = Browser(self.S).get(BASE + "signin")
        body = r.body.decode()
        back = urllib.parse.quote("http://127.0.0.1:%d/account/me" % self.S.port, safe="")
        self.assertIn('href="/api/v1/auth/google/authorize?redirect=%s"' % back, body)
        self.assertIn('href="/api/v1/auth/github/authorize?redirect=%s"' % back, body)
        self.assertNotIn("facebook", body)
        self.assertIn("Continue with Google", body)


class NoProviders(PagesTestCase):
    def test_no_buttons_without_credentials(self):
        r = Browser(self.S).get(BASE + "signin")
        self.assertNotIn(b"authorize", r.body)
        self.assertNotIn(b"Continue with", r.body)


class RateLimited(PagesTestCase):
    env = {"AUTH_RATE_LIMIT": "true", "AUTH_RATE_IP": "2"}

    def test_past_the_limit_the_page_says_so(self):
        b = Browser(self.S)
        statuses = []
        for _ in range(3):
            b.get(BASE + "forgot")
            r = b.post(BASE + "forgot", {"email": unique_email("rl")})
            statuses.append(r.status)
        self.assertEqual(statuses, [303, 303, 429])
        self.assertIn("Too many attempts", b.last)
        self.assertTrue(r.headers.get("retry-after"))


if __name__ == "__main__":
    import unittest
    unittest.main()


class _BehindApache:
    """The pages behind Apache (each kind of apache/*): Apache's own headers
    for the app's answers leave the pages' HTML and Referrer-Policy."""
    web = None
    other_xfo = "SAMEORIGIN"

    @classmethod
    def setUpClass(cls):
        env = {"AUTH_MAIL_LINKS": "pages", "APP_NAME": "Acme <Login>"}
        cls.S = serve(cls, web=cls.web, smtp="catcher", env=env, port_env=backend)

    def test_pages_and_their_errors(self):
        b = Browser(self.S)
        r = b.get(BASE + "signin")
        self.assertPage(r)
        r = b.post(BASE + "signin", {"email": "nobody@example.com", "password": "wrong-1"})
        self.assertPage(r, 422)
        self.assertIn("The email address or the password is wrong.", b.last)
        r = b.post(BASE + "signin", {"email": "x@example.com", "password": "y"}, csrf="0" * 64)
        self.assertPage(r, 403)
        r = b.get(BASE + "nothing-here")
        self.assertPage(r, 404)
        email = self.confirmed("apache")
        b = self.signed_in(email)
        self.assertPage(b.get(BASE + "devices"))
        # The JSON API keeps its own headers.
        r = self.S.request("GET", "/api/v1/auth/me")
        self.assertEqual(r.headers.get("referrer-policy"), "no-referrer")
        self.assertJsonCT(r)


class PagesFcgid(_BehindApache, PagesTestCase):
    web = "fcgid"


class PagesHtaccess(_BehindApache, PagesTestCase):
    web = "htaccess"


class OtherBasePath(PagesTestCase):
    """PAGES_BASE_PATH moves every page, link, form, cookie and mail link
    (the shipped routes send all of /account/ to the pages)."""
    env = {"PAGES_BASE_PATH": "/account/v2/"}

    def test_everything_under_the_base(self):
        V2 = "/account/v2/"
        b = Browser(self.S)
        r = b.get(V2 + "signup")
        self.assertPage(r)
        self.assertIn(('action="%ssignup"' % V2).encode(), r.body)
        self.assertIn(('href="%sstyle.css"' % V2).encode(), r.body)
        self.assertIn("Path=%s;" % V2, r.headers.get("set-cookie"))
        self.assertPage(b.get(BASE + "signup"), 404)
        email = unique_email("v2")
        r = b.post(V2 + "signup", {"firstName": "A", "lastName": "B", "email": email,
                                   "password": DEFAULT_PASSWORD})
        self.assertEqual(r.headers["location"], V2 + "signin?done=signedUp")
        deadline = time.monotonic() + 5
        while not mailcatch.messages_to(self.S.mail_dir, email) and time.monotonic() < deadline:
            time.sleep(0.02)
        link = mailcatch.find_link(mailcatch.messages_to(self.S.mail_dir, email)[0])
        self.assertTrue(link.startswith("http://127.0.0.1:%d%sconfirm-email?hash=" % (self.S.port, V2)), link)
        self.assertEqual(b.get(V2 + "me").headers["location"],
                         V2 + "signin?redirect=" + urllib.parse.quote(V2 + "me", safe=""))


class LongestDeviceList(PagesTestCase):
    """A user at the largest AUTH_MAX_SESSIONS, each session with the
    longest User-Agent and address: the device list still renders."""
    env = {"AUTH_MAX_SESSIONS": "500"}

    def test_five_hundred_devices(self):
        email = self.confirmed("many")
        b = self.signed_in(email)
        ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0 " + "<&\"'>" * 100
        now = int(time.time() * 1000)
        with self.S.db() as c:
            (uid,), = c.execute("SELECT id FROM users WHERE email = ?", (email,))
            c.execute("BEGIN")
            for i in range(499):
                c.execute(
                    "INSERT INTO sessions (user_id, hash, nonce, created_at, last_used_at, "
                    "expires_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (uid, b"\0", b"\0", now, now - i, now + 86400000, ua[:512],
                     "2001:db8::" + "f" * 40))
            c.execute("COMMIT")
        r = b.get(BASE + "devices")
        self.assertPage(r)
        self.assertEqual(r.body.count(b'<li class="device'), 500)
        self.assertNotIn(b"<&", r.body)
