# SPDX-License-Identifier: ISC
"""GET/PATCH/DELETE /api/v1/auth/me: API.md §1.7, §1.10, §1.11, §2, §10.1,
§10.3, §10.8, §10.14. The email-change mail is covered in depth by
test_mail.py; here only its visible effect on PATCH /me."""

import os
import sys
import time

from harness import (ApiTestCase, serve, unique_email, DEFAULT_PASSWORD,
                     UNIFORM_LOGIN_ERROR, USER_KEYS)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
import mailcatch  # noqa: E402

ME = "/api/v1/auth/me"
S = None


def setUpModule():
    global S
    S = serve(smtp="catcher")


def mails_to(address, want=1, timeout=1.0):
    """The messages to address, polling at most timeout seconds (the
    catcher's rename) until there are want."""
    deadline = time.monotonic() + timeout
    msgs = mailcatch.messages_to(S.mail_dir, address)
    while len(msgs) < want and time.monotonic() < deadline:
        time.sleep(0.02)
        msgs = mailcatch.messages_to(S.mail_dir, address)
    return msgs


def confirmed_user(prefix):
    """A new user who used the link of its confirm mail (Active)."""
    email = S.new_user(prefix)
    msgs = mails_to(email)
    assert len(msgs) == 1, msgs
    link = mailcatch.find_link(msgs[0])
    hash_value = link.split("hash=", 1)[1]
    r = S.request("POST", "/api/v1/auth/email/confirm", json_body={"hash": hash_value})
    assert r.status == 204, r
    return email


class Me(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.email = S.new_user("me", first_name="Mary", last_name="Major")
        cls.session = S.login_ok(cls.email)

    def patch(self, token, body, raw=None):
        if raw is not None:
            return S.request("PATCH", ME, body=raw, headers=S.auth_headers(token))
        return S.request("PATCH", ME, json_body=body, headers=S.auth_headers(token))

    def test_get_me(self):
        r = S.me(self.session["token"])
        self.assertStatus(r, 200)
        self.assertJsonCT(r)
        self.assertSecurityHeaders(r)
        self.assertNoStore(r)
        user = r.json()
        self.assertUserObject(user, email=self.email, role=2, status=2)
        self.assertEqual(user["firstName"], "Mary")
        self.assertNotIn(b"password", r.body)
        self.assertNotIn(b"$argon2", r.body)
        self.assertTrue(r.body.startswith(b'{"id":%d,"email":"' % user["id"]), r.body[:60])

    def test_get_me_requires_token(self):
        self.assertUnauthorized(S.request("GET", ME))
        self.assertUnauthorized(S.request("GET", ME, headers={"Authorization": "Bearer"}))
        self.assertUnauthorized(S.request("GET", ME + "?token=" + self.session["token"]))

    def test_scheme_case_insensitive_and_spaces(self):
        tok = self.session["token"]
        for value in ("bearer " + tok, "BEARER " + tok, "Bearer    " + tok):
            with self.subTest(value=value[:12]):
                self.assertStatus(S.request("GET", ME, headers={"Authorization": value}), 200)

    def test_patch_names(self):
        email = S.new_user("names")
        tok = S.login_ok(email)["token"]
        r = self.patch(tok, {"firstName": "Neo", "lastName": "Anderson"})
        self.assertStatus(r, 200)
        self.assertJsonCT(r)
        self.assertNoStore(r)
        user = r.json()
        self.assertEqual(list(user.keys()), USER_KEYS)
        self.assertEqual((user["firstName"], user["lastName"]), ("Neo", "Anderson"))
        self.assertEqual(S.me(tok).json()["firstName"], "Neo")

    def test_patch_numbers_stored_as_strings(self):
        email = S.new_user("numbers")
        tok = S.login_ok(email)["token"]
        r = self.patch(tok, {"firstName": 1732579200123, "lastName": 42})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["firstName"], "1732579200123")
        self.assertEqual(r.json()["lastName"], "42")
        self.assertIn(b'"firstName":"1732579200123"', r.body)
        self.assertEqual(S.me(tok).json()["lastName"], "42")

    def test_patch_null_clears_absent_keeps(self):
        email = S.new_user("nulls", first_name="Keep", last_name="Clear")
        tok = S.login_ok(email)["token"]
        r = self.patch(tok, {"lastName": None})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["firstName"], "Keep")
        self.assertIsNone(r.json()["lastName"])

    def test_patch_empty_body_is_200(self):
        r = self.patch(self.session["token"], {})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], self.email)

    def test_patch_drops_privileged_fields(self):
        email = S.new_user("priv")
        tok = S.login_ok(email)["token"]
        r = self.patch(tok, {"role": {"id": 1}, "status": {"id": 1}, "provider": "google",
                             "socialId": "x", "id": 1, "deletedAt": "2020-01-01T00:00:00.000Z"})
        self.assertStatus(r, 200)
        self.assertUserObject(r.json(), email=email, role=2, status=2)

    def test_patch_validation_bytes(self):
        r = self.patch(self.session["token"], None,
                       raw=b'{"firstName":"","lastName":"","email":"bad","password":"123","oldPassword":""}')
        self.assertBody(r, 422, (
            b'{"status":422,"errors":{"firstName":"mustBeNotEmpty","lastName":"mustBeNotEmpty",'
            b'"email":"email must be an email","password":"password must be longer than or '
            b'equal to 8 characters","oldPassword":"mustBeNotEmpty"}}'))
        self.assertJsonCT(r)

    def test_patch_password_min_length(self):
        r = self.patch(self.session["token"], {"password": "1234567", "oldPassword": "x"})
        self.assertBody(r, 422, b'{"status":422,"errors":{"password":'
                                b'"password must be longer than or equal to 8 characters"}}')

    def test_patch_photo_id_is_image_not_exists(self):
        for photo in ({"id": "not-a-uuid"}, {"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}):
            with self.subTest(photo=photo):
                r = self.patch(self.session["token"], {"photo": photo})
                self.assertBody(r, 422, b'{"status":422,"errors":{"photo":"imageNotExists"}}')
        r = self.patch(self.session["token"], {"photo": None})
        self.assertStatus(r, 200)
        self.assertNotIn("photo", r.json())

    def test_email_change_is_200_unchanged_and_mails_the_new_address(self):
        # API.md §1.10 step 3: the email changes only on /email/confirm/new.
        email = confirmed_user("chg")
        new = unique_email("new")
        tok = S.login_ok(email)["token"]
        r = self.patch(tok, {"email": new})
        self.assertStatus(r, 200)
        self.assertJsonCT(r)
        self.assertUserObject(r.json(), email=email, role=2, status=1)
        self.assertEqual(S.me(tok).json()["email"], email)
        msgs = mails_to(new)
        self.assertEqual(len(msgs), 1)
        self.assertEqual(msgs[0]["Subject"], "Confirm email")
        self.assertRegex(mailcatch.find_link(msgs[0]),
                         r"^http://localhost:3000/confirm-new-email\?hash=[\w-]+\.[\w-]+\.[\w-]+$")

    def test_unconfirmed_account_cannot_change_its_email(self):
        # Issue 9 point 2: the sign-in of an Inactive account proves a
        # password, not the address; it may not move the account.
        email = S.new_user("unconf")
        new = unique_email("unconf-new")
        tok = S.login_ok(email)["token"]
        r = self.patch(tok, {"email": new, "firstName": "Never"})
        self.assertBody(r, 422, b'{"status":422,"errors":{"email":"emailNotConfirmed"}}')
        self.assertJsonCT(r)
        me = S.me(tok).json()
        self.assertEqual((me["email"], me["firstName"]), (email, "Test"))
        time.sleep(0.3)
        self.assertEqual(mailcatch.messages_to(S.mail_dir, new), [])
        # Its own address (no change) is still fine.
        self.assertStatus(self.patch(tok, {"email": email}), 200)

    def test_same_email_is_ignored(self):
        email = S.new_user("same")
        tok = S.login_ok(email)["token"]
        r = self.patch(tok, {"email": email.upper(), "firstName": "Same"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], email)
        self.assertEqual(r.json()["firstName"], "Same")

    def test_password_change_requires_old_password(self):
        email = S.new_user("pwold")
        tok = S.login_ok(email)["token"]
        r = self.patch(tok, {"password": "New-Password-1"})
        self.assertBody(r, 422, b'{"status":422,"errors":{"oldPassword":"missingOldPassword"}}')
        r = self.patch(tok, {"password": "New-Password-1", "oldPassword": "wrong-password"})
        self.assertBody(r, 422, b'{"status":422,"errors":{"oldPassword":"incorrectOldPassword"}}')
        # Nothing changed.
        self.assertStatus(S.login(email, DEFAULT_PASSWORD), 200)

    def test_password_change_ends_other_sessions_keeps_own(self):
        email = S.new_user("pwchg")
        mine, other = S.login_ok(email), S.login_ok(email)
        r = self.patch(mine["token"], {"password": "Brand-New-Pw-2", "oldPassword": DEFAULT_PASSWORD})
        self.assertStatus(r, 200)
        self.assertNotIn(b"password", r.body)
        self.assertNotIn(b"$argon2", r.body)
        # The other device is logged out at once.
        self.assertUnauthorized(S.refresh(other["refreshToken"]))
        self.assertUnauthorized(S.me(other["token"]))
        # The caller keeps its session: the pre-change access token and refresh work.
        self.assertStatus(S.me(mine["token"]), 200)
        self.assertStatus(S.refresh(mine["refreshToken"]), 200)
        # The new password works and the old one does not.
        self.assertBody(S.login(email, DEFAULT_PASSWORD), 422, UNIFORM_LOGIN_ERROR)
        self.assertStatus(S.login(email, "Brand-New-Pw-2"), 200)

    def test_delete_me(self):
        email = S.new_user("del")
        a, b = S.login_ok(email), S.login_ok(email)
        r = S.request("DELETE", ME, headers=S.auth_headers(a["token"]))
        self.assertBody(r, 204, b"")
        self.assertSecurityHeaders(r)
        self.assertUnauthorized(S.me(a["token"]))
        self.assertUnauthorized(S.me(b["token"]))
        self.assertBody(S.login(email, DEFAULT_PASSWORD), 422, UNIFORM_LOGIN_ERROR)
        self.assertUnauthorized(S.refresh(a["refreshToken"]))
        self.assertUnauthorized(S.refresh(b["refreshToken"]))
        r = self.patch(a["token"], {"firstName": "Ghost"})
        self.assertIn(r.status, (401, 422), r)

    def test_delete_requires_token(self):
        self.assertUnauthorized(S.request("DELETE", ME))
        self.assertUnauthorized(S.request("DELETE", ME, headers=S.auth_headers(self.session["refreshToken"])))
        self.assertStatus(S.me(self.session["token"]), 200)

    def test_patch_requires_token(self):
        self.assertUnauthorized(S.request("PATCH", ME, json_body={"firstName": "x"}))
