# SPDX-License-Identifier: ISC
"""POST /api/v1/auth/email/register: API.md §1.2, §0.1, §10.1, §10.8."""

from harness import (ApiTestCase, serve, unique_email, DEFAULT_PASSWORD,
                     DEMO_PASSWORD, DEMO_USER, UNIFORM_LOGIN_ERROR, JSON_CT)

PATH = "/api/v1/auth/email/register"
S = None


def setUpModule():
    global S
    S = serve()


class Register(ApiTestCase):
    def test_success_is_204_without_body(self):
        email = unique_email("reg")
        r = S.register(email)
        self.assertBody(r, 204, b"")
        self.assertSecurityHeaders(r)
        self.assertNotIn("content-type", r.headers)

    def test_registered_user_is_inactive_user_and_can_log_in(self):
        email = unique_email("inactive")
        self.assertStatus(S.register(email, first_name="Ann", last_name="Lee"), 204)
        r = S.login(email, DEFAULT_PASSWORD)
        self.assertStatus(r, 200)
        user = r.json()["user"]
        self.assertUserObject(user, email=email, role=2, status=2)
        self.assertEqual(user["firstName"], "Ann")
        self.assertEqual(user["lastName"], "Lee")

    def test_empty_body_validation_bytes(self):
        r = S.request("POST", PATH, body=b"{}")
        self.assertBody(r, 422, (
            b'{"status":422,"errors":{"email":"email must be an email",'
            b'"password":"password must be longer than or equal to 8 characters",'
            b'"firstName":"firstName should not be empty",'
            b'"lastName":"lastName should not be empty"}}'))
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)

    def test_password_min_length_default_8(self):
        r = S.register(unique_email("short"), password="1234567")
        self.assertBody(r, 422, b'{"status":422,"errors":{"password":'
                                b'"password must be longer than or equal to 8 characters"}}')
        self.assertStatus(S.register(unique_email("eight"), password="12345678"), 204)

    def test_password_length_counts_code_points(self):
        # 7 code points (14 bytes) is too short; 8 code points is enough.
        r = S.register(unique_email("cp7"), password="\u00e9" * 7)
        self.assertBody(r, 422, b'{"status":422,"errors":{"password":'
                                b'"password must be longer than or equal to 8 characters"}}')
        email = unique_email("cp8")
        self.assertStatus(S.register(email, password="\u00e9" * 8), 204)
        self.assertStatus(S.login(email, "\u00e9" * 8), 200)

    def test_password_over_max_length_rejected(self):
        r = S.register(unique_email("long"), password="p" * 1025)
        self.assertStatus(r, 422)
        self.assertIn("password", r.json()["errors"])

    def test_password_number_is_rejected(self):
        r = S.register(unique_email("pwnum"), password=12345678)
        self.assertBody(r, 422, b'{"status":422,"errors":{"password":'
                                b'"password must be longer than or equal to 8 characters"}}')

    def test_invalid_email(self):
        for bad in ("bad", "a@b.c", "a b@example.com", "@example.com",
                    "a..b@example.com", "a@127.0.0.1", "a@exa_mple.com", ""):
            with self.subTest(email=bad):
                r = S.register(bad)
                self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email must be an email"}}')

    def test_numeric_email_is_422(self):
        r = S.register(123)
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"email must be an email"}}')

    def test_names_required(self):
        r = S.register(unique_email("names"), first_name="", last_name=None)
        self.assertBody(r, 422, b'{"status":422,"errors":{"firstName":"firstName should not be empty",'
                                b'"lastName":"lastName should not be empty"}}')

    def test_numeric_names_accepted_and_stored_as_strings(self):
        email = unique_email("numname")
        self.assertStatus(S.register(email, first_name=12345, last_name=0), 204)
        user = S.login_ok(email)["user"]
        self.assertEqual(user["firstName"], "12345")
        self.assertEqual(user["lastName"], "0")

    def test_duplicate_email(self):
        email = unique_email("dup")
        self.assertStatus(S.register(email), 204)
        r = S.register(email)
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"emailAlreadyExists"}}')
        self.assertJsonCT(r)

    def test_email_lowercased_and_trimmed(self):
        local = unique_email("MiXeD").split("@")[0]
        sent = "  %s@Example.COM  " % local.upper()
        stored = "%s@example.com" % local.lower()
        self.assertStatus(S.register(sent), 204)
        r = S.login(stored, DEFAULT_PASSWORD)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["user"]["email"], stored)
        # The same address in another case is a duplicate.
        r = S.register(stored.upper())
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"emailAlreadyExists"}}')
        # Login lower-cases and trims too.
        self.assertStatus(S.login("  " + stored.upper() + " ", DEFAULT_PASSWORD), 200)

    def test_non_ascii_letters_lowercased(self):
        # toLowerCase() maps every letter, not only A-Z: \u00c9 and \u00e9
        # are one account, at sign-up, sign-in, forgot and PATCH /me
        # (issue 9 point 7).
        local = unique_email("x").split("@")[0]
        upper = "\u00c9MILE-%s@B\u00dcRO.EXAMPLE.COM" % local
        lower = "\u00e9mile-%s@b\u00fcro.example.com" % local
        self.assertEqual(upper.lower(), lower)
        self.assertStatus(S.register(upper), 204)
        r = S.register(lower)
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"emailAlreadyExists"}}')
        for sent in (upper, lower, "\u00c9mile-%s@b\u00fcro.example.com" % local):
            r = S.login(sent, DEFAULT_PASSWORD)
            self.assertStatus(r, 200)
            self.assertEqual(r.json()["user"]["email"], lower)
        r = S.request("POST", "/api/v1/auth/forgot/password", json_body={"email": upper})
        self.assertStatus(r, 204)
        # Greek final sigma and the Kelvin sign, as JavaScript maps them.
        # (An Active account: an unconfirmed one may not change its
        # address at all, API.md §1.10; the 422 writes nothing.)
        tok = S.login_ok(DEMO_USER, DEMO_PASSWORD)["token"]
        r = S.request("PATCH", "/api/v1/auth/me", json_body={"email": upper},
                      headers=S.auth_headers(tok))
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"emailExists"}}')
        sigma = "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3-%s@example.com" % local
        self.assertStatus(S.register(sigma), 204)
        r = S.login("\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2-%s@example.com" % local,
                    DEFAULT_PASSWORD)
        self.assertStatus(r, 200)
        kelvin = "\u212a-%s@example.com" % local
        self.assertStatus(S.register(kelvin), 204)
        self.assertEqual(S.login_ok("k-%s@example.com" % local)["user"]["email"],
                         "k-%s@example.com" % local)

    def test_password_not_trimmed(self):
        email = unique_email("pwtrim")
        self.assertStatus(S.register(email, password="  spaced pw  "), 204)
        self.assertStatus(S.login(email, "  spaced pw  "), 200)
        self.assertBody(S.login(email, "spaced pw"), 422, UNIFORM_LOGIN_ERROR)

    def test_unknown_properties_dropped(self):
        email = unique_email("extra")
        r = S.register(email, role={"id": 1}, status={"id": 1}, provider="google",
                       socialId="x", photo={"id": "abc"}, id=1, deletedAt="2020-01-01")
        self.assertStatus(r, 204)
        user = S.login_ok(email)["user"]
        self.assertUserObject(user, email=email, role=2, status=2)
        self.assertNotEqual(user["id"], 1)

    def test_reregister_deleted_users_email(self):
        email = unique_email("deleted")
        self.assertStatus(S.register(email), 204)
        tok = S.login_ok(email)["token"]
        self.assertStatus(S.request("DELETE", "/api/v1/auth/me",
                                    headers=S.auth_headers(tok)), 204)
        r = S.register(email)
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"emailAlreadyExists"}}')

    def test_demo_email_taken(self):
        r = S.register("john.doe@example.com")
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"emailAlreadyExists"}}')

    def test_no_tokens_issued(self):
        r = S.register(unique_email("notok"))
        self.assertStatus(r, 204)
        self.assertNotIn(b"token", r.body)
        self.assertNotIn("set-cookie", r.headers)

    def test_validation_before_business_rules(self):
        # An existing email with a short password reports the validation error.
        r = S.register("john.doe@example.com", password="short")
        self.assertBody(r, 422, b'{"status":422,"errors":{"password":'
                                b'"password must be longer than or equal to 8 characters"}}')

    def test_content_type_json(self):
        r = S.register("not-an-email")
        self.assertEqual(r.headers.get("content-type"), JSON_CT)
