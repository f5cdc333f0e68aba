# SPDX-License-Identifier: ISC
"""The admin side of social sign-in (issue 8 point 6): `authportal user
list` names the providers linked to each user, `check-config` says which
providers are configured and refuses a provider URL that is neither
https:// nor loopback, `gc` prunes expired states; and the oauth
executable is routed (unconfigured providers answer 422 naming the
setting, Apple has no redirect flow). No provider is needed: the links
are rows of user_identities, as a sign-in writes them (sql/006_social.sql).
"""

import re
import time

from harness import ApiTestCase, serve, unique_email

S = None


def setUpModule():
    global S
    S = serve(env={"GITHUB_CLIENT_ID": "gh-client",
                   "GITHUB_CLIENT_SECRET": "gh-secret",
                   "BACKEND_DOMAIN": "http://localhost:1"})


def sql(query, *args):
    return S.sql(query, args)


class SocialCli(ApiTestCase):
    def cli(self, *args, env=None):
        return S.cli(*args, env=env)

    def test_user_list_names_linked_providers(self):
        email = unique_email("linked")
        self.assertEqual(self.cli("user", "add", email, "--password",
                                  "Linked-Pw-12345").returncode, 0)
        (uid,), = sql("SELECT id FROM users WHERE email = ?", email)
        now = int(time.time() * 1000)
        for provider, sub in (("google", "g-%d" % uid), ("github", "%d" % uid)):
            sql("INSERT INTO user_identities (provider, subject, user_id, "
                "created_at, last_used_at) VALUES (?, ?, ?, ?, ?)",
                provider, sub, uid, now, now)
        out = self.cli("user", "list").stdout
        self.assertRegex(out.split("\n")[0], r"\blinked$")
        line = [l for l in out.split("\n") if email in l][0]
        self.assertRegex(line, r"\sgithub,google$")
        self.assertRegex([l for l in out.split("\n") if l.strip()][1],
                         r"\s-$|\s[a-z,]+$")

    def test_check_config_reports_providers(self):
        cp = self.cli("check-config")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertRegex(cp.stdout, r"social github\s+configured: token login "
                                    r"and redirect flow")
        self.assertRegex(cp.stdout, r"social google\s+not configured "
                                    r"\(needs GOOGLE_CLIENT_ID\)")
        self.assertRegex(cp.stdout, r"social apple\s+not configured "
                                    r"\(needs APPLE_APP_AUDIENCE\)")

    def test_non_https_provider_url_refuses_to_start(self):
        for url in ("http://provider.example/token",
                    "http://127.0.0.1.evil.example/token", "ftp://127.0.0.1/"):
            with self.subTest(url=url):
                cp = self.cli("check-config", env={"GITHUB_TOKEN_URL": url})
                self.assertNotEqual(cp.returncode, 0)
                self.assertIn("GITHUB_TOKEN_URL", cp.stderr)
        cp = self.cli("check-config",
                      env={"GITHUB_TOKEN_URL": "http://127.0.0.1:9/token"})
        self.assertEqual(cp.returncode, 0, cp.stderr)

    def test_gc_prunes_expired_states(self):
        r = S.request("GET", "/api/v1/auth/github/authorize")
        self.assertStatus(r, 302)
        sql("UPDATE oauth_states SET expires_at = 1")
        cp = self.cli("gc")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"removed [1-9]\d* expired social sign-in")
        self.assertEqual(sql("SELECT count(*) FROM oauth_states"), [(0,)])


class Routes(ApiTestCase):
    def test_unconfigured_provider_names_the_setting(self):
        r = S.request("POST", "/api/v1/auth/google/login",
                      json_body={"idToken": "x"})
        self.assertBody(r, 422, b'{"status":422,"errors":{"provider":'
                                b'"providerNotConfigured:GOOGLE_CLIENT_ID"}}')
        r = S.request("GET", "/api/v1/auth/facebook/authorize")
        self.assertBody(r, 422, b'{"status":422,"errors":{"provider":'
                                b'"providerNotConfigured:FACEBOOK_APP_ID"}}')

    def test_missing_token_is_the_usual_422(self):
        r = S.request("POST", "/api/v1/auth/github/login", json_body={})
        self.assertBody(r, 422, b'{"status":422,"errors":{"accessToken":'
                                b'"accessToken should not be empty"}}')

    def test_tokens_may_pass_the_1024_bytes_of_other_fields(self):
        # An ID token of a 4096-bit key is about 1.2 KiB: the field takes
        # up to 8192 bytes (then the provider settings are looked at).
        r = S.request("POST", "/api/v1/auth/google/login",
                      json_body={"idToken": "A" * 2000})
        self.assertBody(r, 422, b'{"status":422,"errors":{"provider":'
                                b'"providerNotConfigured:GOOGLE_CLIENT_ID"}}')
        r = S.request("POST", "/api/v1/auth/github/login",
                      json_body={"accessToken": "A" * 8193})
        self.assertBody(r, 422, b'{"status":422,"errors":{"accessToken":'
                                b'"accessToken must be shorter than or equal '
                                b'to 8192 characters"}}')

    def test_apple_has_no_redirect_flow(self):
        r = S.request("GET", "/api/v1/auth/apple/authorize")
        self.assertStatus(r, 404)

    def test_authorize_location_and_cookie(self):
        r = S.request("GET", "/api/v1/auth/github/authorize?redirect=/after")
        self.assertStatus(r, 302)
        loc = r.headers["location"]
        self.assertTrue(loc.startswith("https://github.com/login/oauth/authorize?"
                                       "response_type=code&client_id=gh-client&"),
                        loc)
        self.assertIn("&code_challenge_method=S256", loc)
        cookie = r.headers["set-cookie"]
        self.assertRegex(cookie, r"^authportal_oauth=[A-Za-z0-9_-]{43}; "
                                 r"Max-Age=600; Path=/api/v1/auth/github/"
                                 r"callback; HttpOnly(; Secure)?; SameSite=Lax$")
        r = S.request("GET", "/api/v1/auth/github/authorize?redirect="
                             "https://evil.example/")
        self.assertStatus(r, 303)
        self.assertEqual(r.headers["location"],
                         "http://localhost:3000/?error=invalidRedirect")
