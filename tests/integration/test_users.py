# SPDX-License-Identifier: ISC
"""The users admin API, /api/v1/users: API.md §11 and our differences of
§10 items 15-27, against the real web server. Every numbered difference has
its test here (named after its item); the reference's own e2e suite
(§11.12) is replayed as it runs there; the list is read while other
requests write; and no request of the module may answer a 5xx."""

import json
import os
import threading
import time
import urllib.parse

from harness import (ApiTestCase, Server, serve, unique_email, DEMO_ADMIN, DEMO_USER,
                     DEMO_PASSWORD, USER_KEYS)
from test_files import BOUNDARY, GIF, body_of, part, png_bytes

USERS = "/api/v1/users"
FORBIDDEN = (b'{"message":"Forbidden resource","error":"Forbidden",'
             b'"statusCode":403}')
NOT_FOUND = b'{"status":404,"error":"notFound"}'
NUMBER = "%s must be a number conforming to the specified constraints"
ONE_OF = ("orderBy must be one of the following values: id, email, provider, "
          "socialId, firstName, lastName, createdAt, updatedAt, deletedAt")
S = None


def setUpModule():
    global S
    # The reference's e2e suite runs with 6 (API.md §10.26, §11.12).
    S = serve(env={"AUTH_PASSWORD_MIN_LENGTH": "6"})


def q(**params):
    """A query string: JSON values for filters and sort are serialised."""
    out = {}
    for k, v in params.items():
        out[k] = v if isinstance(v, str) else json.dumps(v)
    return "?" + urllib.parse.urlencode(out)


class Base(ApiTestCase):
    server = None

    @classmethod
    def srv(cls):
        return cls.server or S

    @classmethod
    def admin_token(cls):
        return cls.srv().login_ok(DEMO_ADMIN, DEMO_PASSWORD)["token"]

    def call(self, method, path, body=None, token=None, raw=None):
        token = token or self.token
        h = self.srv().auth_headers(token)
        if raw is not None:
            return self.srv().request(method, path, body=raw, headers=h)
        return self.srv().request(method, path, json_body=body, headers=h)

    def create(self, token=None, **fields):
        body = {"email": unique_email("adm"), "password": "secret-pw",
                "firstName": "A", "lastName": "B"}
        body.update(fields)
        r = self.call("POST", USERS, body, token)
        self.assertStatus(r, 201)
        return r.json()

    def list(self, token=None, **params):
        r = self.call("GET", USERS + q(**params), token=token)
        self.assertStatus(r, 200)
        return r.json()

    def errors(self, r):
        self.assertStatus(r, 422)
        return r.json()["errors"]

    def count_live(self):
        return self.srv().sql_value("SELECT count(*) FROM users WHERE deleted_at IS NULL "
                                    "AND disabled_at IS NULL")


class Routes(Base):
    """Every route, the guards and the order of checks (§11, §11.1)."""

    @classmethod
    def setUpClass(cls):
        cls.token = cls.admin_token()
        cls.admin_refresh = S.login_ok(DEMO_ADMIN, DEMO_PASSWORD)["refreshToken"]
        cls.john = S.login_ok(DEMO_USER, DEMO_PASSWORD)["token"]

    def test_list(self):
        body = self.list()
        self.assertEqual(list(body.keys()), ["data", "hasNextPage"])
        self.assertEqual(body["data"][0]["email"], DEMO_ADMIN)
        for u in body["data"]:
            self.assertUserObject(u, role=u["role"]["id"])

    def test_get_one(self):
        u = self.create()
        r = self.call("GET", "%s/%d" % (USERS, u["id"]))
        self.assertStatus(r, 200)
        self.assertNoStore(r)
        self.assertEqual(r.json(), u)

    def test_post_patch_delete(self):
        u = self.create()
        path = "%s/%d" % (USERS, u["id"])
        r = self.call("PATCH", path, {"lastName": "C"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["lastName"], "C")
        r = self.call("DELETE", path)
        self.assertBody(r, 204, b"")
        self.assertBody(self.call("GET", path), 404, NOT_FOUND)
        ids = [x["id"] for x in self.list(limit="50")["data"]]
        self.assertNotIn(u["id"], ids)

    def test_other_methods_404(self):
        for method, path in (("PUT", USERS + "/1"), ("POST", USERS + "/1"),
                             ("PATCH", USERS), ("DELETE", USERS)):
            want = ('{"message":"Cannot %s %s","error":"Not Found",'
                    '"statusCode":404}' % (method, path))
            self.assertBody(self.call(method, path, {}), 404, want)
            self.assertBody(S.request(method, path), 404, want)

    def test_trailing_slash_and_case(self):
        self.assertStatus(self.call("GET", USERS + "/"), 200)
        self.assertStatus(self.call("GET", "/api/v1/Users/1"), 200)
        self.assertStatus(self.call("GET", "/api/v1/users/1/"), 200)

    def test_no_token_401(self):
        for method, path in (("GET", USERS), ("POST", USERS),
                             ("GET", USERS + "/1"), ("PATCH", USERS + "/1"),
                             ("DELETE", USERS + "/1")):
            body = {} if method in ("POST", "PATCH") else None
            self.assertUnauthorized(S.request(method, path, json_body=body))
            self.assertUnauthorized(S.request(
                method, path, headers={"Authorization": "Bearer x.y.z"}))
            # An admin's refresh token is no access token (§11.1 step 3).
            self.assertUnauthorized(self.call(method, path, body,
                                              self.admin_refresh))

    def test_broken_body_400_before_401(self):
        r = S.request("POST", USERS, body=b"{bad")
        self.assertStatus(r, 400)
        r = S.request("PATCH", USERS + "/1", body=b"{bad",
                      headers=S.auth_headers(self.john))
        self.assertStatus(r, 400)

    def test_non_admin_403(self):
        for method, path in (("GET", USERS), ("POST", USERS),
                             ("GET", USERS + "/1"), ("PATCH", USERS + "/1"),
                             ("DELETE", USERS + "/2")):
            body = {} if method in ("POST", "PATCH") else None
            self.assertBody(self.call(method, path, body, self.john), 403,
                            FORBIDDEN)
        # 403 before the 422 of the body (§11.1 step 5).
        self.assertBody(self.call("POST", USERS, {"email": "bad"}, self.john),
                        403, FORBIDDEN)
        self.assertBody(self.call("GET", USERS + "?page=x", token=self.john),
                        403, FORBIDDEN)
        self.assertStatus(S.me(self.john), 200)

    def test_validation_post(self):
        want = {"email": "email must be an email, email should not be empty",
                "password": "password must be longer than or equal to 6 characters",
                "firstName": "firstName should not be empty",
                "lastName": "lastName should not be empty"}
        self.assertEqual(self.errors(self.call("POST", USERS, {})), want)
        nulls = {k: None for k in ("email", "password", "firstName", "lastName")}
        self.assertEqual(self.errors(self.call("POST", USERS, nulls)), want)
        spaces = self.errors(self.call("POST", USERS, {"email": "   "}))
        self.assertEqual(spaces["email"], want["email"])
        fail = self.errors(self.call("POST", USERS, {"email": "fail-data"}))
        self.assertEqual(list(fail), list(want))
        self.assertEqual(fail["email"], "email must be an email")

    def test_validation_patch(self):
        u = self.create()
        body = {"email": "", "password": "", "firstName": "", "lastName": ""}
        self.assertEqual(self.errors(self.call("PATCH", "%s/%d" % (USERS, u["id"]), body)),
                         {"email": "email must be an email",
                          "password": "password must be longer than or equal to 6 characters",
                          "firstName": "firstName should not be empty",
                          "lastName": "lastName should not be empty"})

    def test_patch_changes_only_what_is_sent(self):
        u = self.create(firstName="Keep", lastName="Me")
        path = "%s/%d" % (USERS, u["id"])
        r = self.call("PATCH", path, {"email": None, "firstName": None})
        self.assertStatus(r, 200)
        got = r.json()
        self.assertEqual(got["email"], u["email"])
        self.assertIsNone(got["firstName"])
        self.assertEqual(got["lastName"], "Me")
        r = self.call("PATCH", path, {})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["updatedAt"], got["updatedAt"])

    def test_admin_email_change_is_immediate(self):
        u = self.create()
        new = unique_email("moved")
        r = self.call("PATCH", "%s/%d" % (USERS, u["id"]), {"email": new.upper()})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], new)
        self.assertStatus(S.login(new, "secret-pw"), 200)
        self.assertStatus(S.login(u["email"], "secret-pw"), 422)

    def test_form_encoded_post(self):
        email = unique_email("form")
        body = urllib.parse.urlencode({"email": email, "password": "secret-pw",
                                       "firstName": "F", "lastName": "L"})
        r = S.request("POST", USERS, body=body, headers=S.auth_headers(
            self.token, **{"Content-Type": "application/x-www-form-urlencoded",
                           "Origin": "http://localhost:3000"}))
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["email"], email)


class E2E(Base):
    """test/admin/users.e2e-spec.ts of the reference, as API.md §11.12
    describes it, with AUTH_PASSWORD_MIN_LENGTH=6 as its runner sets."""

    def test_reference_e2e(self):
        ts = str(int(time.time() * 1000))
        self.token = self.admin_token()
        first = "user-first.%s@example.com" % ts
        r = S.request("POST", "/api/v1/auth/email/register", json_body={
            "email": first, "password": "secret", "firstName": "First" + ts,
            "lastName": "E2E"})
        self.assertStatus(r, 204)
        user = S.login_ok(first, "secret")["user"]
        changed = "user-first-changed.%s@example.com" % ts
        r = self.call("PATCH", "%s/%d" % (USERS, user["id"]),
                      {"email": changed, "password": "new-secret"})
        self.assertStatus(r, 200)
        r = S.login(changed, "new-secret")
        self.assertStatus(r, 200)
        self.assertIn("token", r.json())
        self.assertStatus(self.call("POST", USERS, {"email": "fail-data"}), 422)
        by_admin = "user-created-by-admin.%s@example.com" % ts
        r = self.call("POST", USERS, {
            "email": by_admin, "password": "secret",
            "firstName": "UserByAdmin" + ts, "lastName": "E2E",
            "role": {"id": 2}, "status": {"id": 1}})
        self.assertStatus(r, 201)
        r = S.login(by_admin, "secret")
        self.assertStatus(r, 200)
        self.assertIn("token", r.json())
        r = self.call("GET", USERS)
        self.assertStatus(r, 200)
        first_row = r.json()["data"][0]
        self.assertIn("provider", first_row)
        self.assertIn("email", first_row)
        self.assertNotIn("hash", first_row)
        self.assertNotIn("password", first_row)


class Differences(Base):
    """API.md §10 items 15-27, one test (or more) per item."""

    @classmethod
    def setUpClass(cls):
        cls.token = cls.admin_token()

    def test_15_malformed_and_unknown_ids_404(self):
        for bad in ("abc", "1.5", "99999999999", "2147483648", "0x1", "1e0",
                    "%201", "0", "-1", "%20", "01x", "+1"):
            path = USERS + "/" + bad
            self.assertBody(self.call("GET", path), 404, NOT_FOUND)
            self.assertBody(self.call("PATCH", path, {"firstName": "x"}), 404,
                            NOT_FOUND)
            self.assertBody(self.call("DELETE", path), 404, NOT_FOUND)
        self.assertBody(self.call("GET", USERS + "/2147483647"), 404, NOT_FOUND)
        self.assertBody(self.call("PATCH", USERS + "/2147483647", {}), 404,
                        NOT_FOUND)
        self.assertBody(self.call("DELETE", USERS + "/2147483647"), 204, b"")

    def test_15_delete_keeps_first_deleted_at(self):
        u = self.create()
        path = "%s/%d" % (USERS, u["id"])
        self.assertStatus(self.call("DELETE", path), 204)
        first = self.srv().sql_value("SELECT deleted_at FROM users WHERE id = ?", (u["id"],))
        self.assertIsNotNone(first)
        time.sleep(0.01)
        self.assertBody(self.call("DELETE", path), 204, b"")
        self.assertBody(self.call("GET", path), 404, NOT_FOUND)
        self.assertBody(self.call("PATCH", path, {"firstName": "x"}), 404,
                        NOT_FOUND)
        again = self.srv().sql_value("SELECT deleted_at FROM users WHERE id = ?", (u["id"],))
        self.assertEqual(again, first)

    def test_16_post_and_patch_answer_the_loaded_user(self):
        r = self.call("POST", USERS, {"email": unique_email("full"),
                                      "password": "secret-pw", "firstName": 12345,
                                      "lastName": "B", "role": {"id": "2"}})
        self.assertStatus(r, 201)
        made = r.json()
        self.assertEqual(list(made.keys()), USER_KEYS)
        self.assertEqual(made["firstName"], "12345")
        self.assertEqual(made["role"], {"id": 2, "name": "User",
                                        "__entity": "RoleEntity"})
        path = "%s/%d" % (USERS, made["id"])
        self.assertEqual(self.call("GET", path).json(), made)
        r = self.call("PATCH", path, {"password": "another-pw"})
        self.assertStatus(r, 200)
        patched = r.json()
        self.assertEqual(list(patched.keys()), USER_KEYS)
        self.assertEqual(patched, self.call("GET", path).json())
        self.assertEqual(patched["email"], made["email"])

    def test_17_defaults_role_user_status_active(self):
        u = self.create()
        self.assertUserObject(u, role=2, status=1)
        u = self.create(role=None, status={"id": 0})
        self.assertUserObject(u, role=2, status=1)
        u = self.create(role={"id": 1}, status={"id": "2"})
        self.assertUserObject(u, role=1, status=2)

    def test_18_own_email_accepted(self):
        u = self.create()
        other = self.create()
        path = "%s/%d" % (USERS, u["id"])
        r = self.call("PATCH", path, {"email": u["email"], "lastName": "Z"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], u["email"])
        self.assertEqual(self.errors(self.call("PATCH", path, {"email": other["email"]})),
                         {"email": "emailAlreadyExists"})
        self.assertEqual(self.errors(self.call("POST", USERS, {
            "email": other["email"], "password": "secret-pw", "firstName": "a",
            "lastName": "b"})), {"email": "emailAlreadyExists"})

    def test_19_deleted_users_email_and_numeric_email(self):
        gone = self.create()
        self.assertStatus(self.call("DELETE", "%s/%d" % (USERS, gone["id"])), 204)
        r = self.call("POST", USERS, {"email": gone["email"], "password": "secret-pw",
                                      "firstName": "a", "lastName": "b"})
        self.assertEqual(self.errors(r), {"email": "emailAlreadyExists"})
        u = self.create()
        r = self.call("PATCH", "%s/%d" % (USERS, u["id"]), {"email": gone["email"]})
        self.assertEqual(self.errors(r), {"email": "emailAlreadyExists"})
        r = self.call("POST", USERS, {"email": 12345, "password": "secret-pw",
                                      "firstName": "a", "lastName": "b"})
        self.assertEqual(self.errors(r), {"email": "email must be an email"})
        r = self.call("PATCH", "%s/%d" % (USERS, u["id"]), {"email": 12345})
        self.assertEqual(self.errors(r), {"email": "email must be an email"})

    def test_20_role_and_status_ids(self):
        for role, want in (({"id": 1}, 1), ({"id": "1"}, 1), ({"id": 2.0}, 2),
                           ({"id": "2", "name": "Hacker"}, 2), (None, 2),
                           ({}, 2), ({"id": 0}, 2), ({"id": ""}, 2),
                           ({"id": None}, 2), (5, 2), ("1", 2)):
            self.assertEqual(self.create(role=role)["role"]["id"], want, role)
        for bad in ("admin", "user", [2], 3, 99, " 1", "1.0", 2.5, True, {}, -1):
            body = {"email": unique_email("r"), "password": "secret-pw",
                    "firstName": "a", "lastName": "b", "role": {"id": bad}}
            self.assertEqual(self.errors(self.call("POST", USERS, body)),
                             {"role": "roleNotExists"}, bad)
        for bad in ("active", "inactive", [1], 3):
            body = {"email": unique_email("s"), "password": "secret-pw",
                    "firstName": "a", "lastName": "b", "status": {"id": bad}}
            self.assertEqual(self.errors(self.call("POST", USERS, body)),
                             {"status": "statusNotExists"}, bad)
        u = self.create()
        path = "%s/%d" % (USERS, u["id"])
        self.assertEqual(self.errors(self.call("PATCH", path, {"role": {"id": "admin"}})),
                         {"role": "roleNotExists"})
        self.assertEqual(self.errors(self.call("PATCH", path, {"status": {"id": "active"}})),
                         {"status": "statusNotExists"})
        r = self.call("PATCH", path, {"role": {"id": 1}, "status": {"id": 2}})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["role"]["id"], r.json()["status"]["id"]), (1, 2))
        r = self.call("PATCH", path, {"role": None, "status": {"id": 0}})
        self.assertEqual((r.json()["role"]["id"], r.json()["status"]["id"]), (1, 2))
        # A taken email wins over a bad role (§11.6 step 5).
        body = {"email": u["email"], "password": "secret-pw", "firstName": "a",
                "lastName": "b", "role": {"id": 9}}
        self.assertEqual(self.errors(self.call("POST", USERS, body)),
                         {"email": "emailAlreadyExists"})

    def test_21_pagination(self):
        for p in ("page", "limit"):
            for bad in ("0", "-1", "1.5", "abc", "1e1", "0x2", " 3 ", "+2"):
                r = self.call("GET", USERS + q(**{p: bad}))
                self.assertEqual(self.errors(r), {p: NUMBER % p}, (p, bad))
        r = self.call("GET", USERS + "?page=abc&limit=x&filters=1&sort=%5B%7B%7D%5D")
        self.assertEqual(json.loads(r.body), {"status": 422, "errors": {
            "page": NUMBER % "page", "limit": NUMBER % "limit",
            "filters": "nested property filters must be either object or array",
            "sort": {"0": {"orderBy": "orderBy must be a string",
                           "order": "order must be a string"}}}})
        self.assertEqual(list(r.json()["errors"]), ["page", "limit", "filters", "sort"])
        self.assertEqual(len(self.list(page="", limit="")["data"]),
                         min(10, self.count_live()))
        while self.count_live() < 52:
            self.create()
        self.assertEqual(len(self.list(limit="51")["data"]), 50)
        self.assertEqual(len(self.list(limit="99999999999999999999")["data"]), 50)
        self.assertEqual(self.list(page="99999999999999999999"),
                         {"data": [], "hasNextPage": False})
        one = self.list(limit="1", page="2")
        self.assertEqual(len(one["data"]), 1)
        self.assertTrue(one["hasNextPage"])

    def test_22_filters_and_sort_never_500(self):
        def errs(**params):
            return self.errors(self.call("GET", USERS + q(**params)))
        self.assertEqual(errs(filters="{bad"), {"filters": "filters must be a json string"})
        self.assertEqual(errs(sort="{bad"), {"sort": "sort must be a json string"})
        self.assertEqual(errs(sort={"orderBy": "id", "order": "DESC"}),
                         {"sort": "sort must be an array"})
        self.assertEqual(errs(sort={}), {"sort": {"orderBy": "orderBy must be a string",
                                                  "order": "order must be a string"}})
        for bad in ("password", "nope", "role", "status", "photo", "__entity", 1):
            self.assertEqual(errs(sort=[{"orderBy": bad, "order": "asc"}]),
                             {"sort": {"0": {"orderBy": ONE_OF}}}, bad)
        self.assertEqual(errs(sort=[{"orderBy": "id"}]),
                         {"sort": {"0": {"order": "order must be a string"}}})
        self.assertEqual(errs(sort=[{"order": "ASC"}]),
                         {"sort": {"0": {"orderBy": "orderBy must be a string"}}})
        each = "each value in nested property %s must be either object or array"
        self.assertEqual(errs(sort=[1]), {"sort": {"0": each % "sort"}})
        self.assertEqual(errs(sort='"x"'), {"sort": each % "sort"})
        num = {"id": NUMBER % "id"}
        self.assertEqual(errs(filters={"roles": [{"id": "1"}]}),
                         {"filters": {"roles": {"0": num}}})
        self.assertEqual(errs(filters={"roles": [{}]}), {"filters": {"roles": {"0": num}}})
        self.assertEqual(errs(filters={"roles": [{"id": 1.5}]}),
                         {"filters": {"roles": {"0": num}}})
        self.assertEqual(errs(filters={"roles": [{"id": 1}, 1]}),
                         {"filters": {"roles": {"1": each % "roles"}}})
        self.assertEqual(errs(filters={"roles": "x"}), {"filters": {"roles": each % "roles"}})
        for scalar in (1, '"x"', True):
            self.assertEqual(errs(filters=scalar), {
                "filters": "nested property filters must be either object or array"})
        for none in ({"roles": []}, {"roles": None}, {}, None, [], {"roles": {"id": 1}}):
            self.assertEqual(self.list(filters=none, limit="50"), self.list(limit="50"), none)
        for none in ([], None):
            self.assertEqual(self.list(sort=none, limit="50"), self.list(limit="50"))
        admins = self.list(filters={"roles": [{"id": 1, "name": "x"}], "foo": 1}, limit="50")
        self.assertTrue(admins["data"])
        self.assertTrue(all(u["role"]["id"] == 1 for u in admins["data"]))
        self.assertEqual(self.list(filters={"roles": [{"id": 3}]})["data"], [])
        self.assertEqual(self.list(filters={"roles": [{"id": 1e300}]})["data"], [])
        both = self.list(filters={"roles": [{"id": 1}, {"id": 2}]}, limit="50")
        self.assertEqual(both, self.list(limit="50"))
        # order: exactly DESC or desc is descending.
        ids = [u["id"] for u in self.list(sort=[{"orderBy": "id", "order": "desc"}])["data"]]
        self.assertEqual(ids, sorted(ids, reverse=True))
        for asc in ("ASC", "Desc", "sideways"):
            ids = [u["id"] for u in self.list(sort=[{"orderBy": "id", "order": asc}])["data"]]
            self.assertEqual(ids, sorted(ids), asc)

    def test_23_deterministic_order(self):
        tag = unique_email("o").split("@")[0]
        made = [self.create(lastName=tag, firstName=f) for f in
                ("b", "a", "-", "Z", "\u00c9", "a", "-")]
        made[2] = self.call("PATCH", "%s/%d" % (USERS, made[2]["id"]),
                            {"firstName": None}).json()
        made[6] = self.call("PATCH", "%s/%d" % (USERS, made[6]["id"]),
                            {"firstName": None}).json()
        mine = {u["id"] for u in made}

        def order(sort):
            rows = []
            page = 1
            while True:
                body = self.list(sort=sort, limit="50", page=str(page))
                rows += [u for u in body["data"] if u["id"] in mine]
                if not body["hasNextPage"]:
                    return rows
                page += 1

        def key_asc(u):
            return (u["firstName"] is None, u["firstName"] or "", u["id"])
        asc = order([{"orderBy": "firstName", "order": "asc"}])
        self.assertEqual([u["id"] for u in asc],
                         [u["id"] for u in sorted(made, key=key_asc)])
        self.assertEqual([u["firstName"] for u in asc],
                         ["Z", "a", "a", "b", "\u00c9", None, None])
        desc = order([{"orderBy": "firstName", "order": "DESC"}])
        self.assertEqual([u["firstName"] for u in desc],
                         [None, None, "\u00c9", "b", "a", "a", "Z"])
        # Ties are broken by id ascending, in both directions.
        self.assertLess(desc[0]["id"], desc[1]["id"])
        self.assertLess(desc[4]["id"], desc[5]["id"])
        # Several keys, the repeated one in its first place with its last
        # direction; then id.
        multi = order([{"orderBy": "lastName", "order": "asc"},
                       {"orderBy": "firstName", "order": "asc"},
                       {"orderBy": "lastName", "order": "desc"}])
        self.assertEqual([u["firstName"] for u in multi],
                         ["Z", "a", "a", "b", "\u00c9", None, None])
        self.assertLess(multi[1]["id"], multi[2]["id"])
        # The default is id ascending, also after updates.
        self.call("PATCH", "%s/%d" % (USERS, made[0]["id"]), {"firstName": "c"})
        ids = [u["id"] for u in order(None)]
        self.assertEqual(ids, sorted(ids))
        for col in ("email", "provider", "socialId", "lastName", "createdAt",
                    "updatedAt", "deletedAt", "id"):
            for d in ("asc", "desc"):
                self.assertEqual(len(order([{"orderBy": col, "order": d}])), 7, col)

    def test_24_admin_check_reads_the_database(self):
        email = unique_email("promo")
        u = self.create(email=email)
        token = S.login_ok(email, "secret-pw")["token"]
        self.assertBody(self.call("GET", USERS, token=token), 403, FORBIDDEN)
        path = "%s/%d" % (USERS, u["id"])
        self.assertStatus(self.call("PATCH", path, {"role": {"id": 1}}), 200)
        # The token still says role 2: promotion counts at once.
        self.assertStatus(self.call("GET", USERS, token=token), 200)
        self.assertStatus(self.call("PATCH", path, {"role": {"id": 2}}), 200)
        self.assertBody(self.call("GET", USERS, token=token), 403, FORBIDDEN)
        self.assertBody(self.call("POST", USERS, {"email": "bad"}, token), 403,
                        FORBIDDEN)

    def test_25_password_change_revokes_the_targets_sessions(self):
        email = unique_email("pw")
        u = self.create(email=email)
        a = S.login_ok(email, "secret-pw")
        b = S.login_ok(email, "secret-pw")
        path = "%s/%d" % (USERS, u["id"])
        # Email and role changes do not revoke.
        self.assertStatus(self.call("PATCH", path, {"role": {"id": 2},
                                                    "lastName": "N"}), 200)
        self.assertStatus(S.me(a["token"]), 200)
        self.assertStatus(self.call("PATCH", path, {"password": "changed-pw"}), 200)
        for s in (a, b):
            self.assertUnauthorized(S.me(s["token"]))
            self.assertUnauthorized(S.refresh(s["refreshToken"]))
        self.assertStatus(S.login(email, "secret-pw"), 422)
        self.assertStatus(S.login(email, "changed-pw"), 200)

    def test_25_own_password_keeps_the_callers_session(self):
        email = unique_email("selfadm")
        u = self.create(email=email, role={"id": 1})
        mine = S.login_ok(email, "secret-pw")
        other = S.login_ok(email, "secret-pw")
        path = "%s/%d" % (USERS, u["id"])
        r = self.call("PATCH", path, {"password": "changed-pw"}, mine["token"])
        self.assertStatus(r, 200)
        self.assertStatus(S.me(mine["token"]), 200)
        self.assertStatus(self.call("GET", USERS, token=mine["token"]), 200)
        self.assertUnauthorized(S.me(other["token"]))

    def test_25_delete_revokes_every_session(self):
        email = unique_email("del")
        u = self.create(email=email, role={"id": 1})
        s = S.login_ok(email, "secret-pw")
        self.assertStatus(self.call("GET", USERS, token=s["token"]), 200)
        self.assertStatus(self.call("DELETE", "%s/%d" % (USERS, u["id"])), 204)
        self.assertUnauthorized(S.me(s["token"]))
        self.assertUnauthorized(S.refresh(s["refreshToken"]))
        self.assertUnauthorized(self.call("GET", USERS, token=s["token"]))
        self.assertStatus(S.login(email, "secret-pw"), 422)

    def test_26_password_policy(self):
        short = {"email": unique_email("p"), "password": "12345",
                 "firstName": "a", "lastName": "b"}
        want = "password must be longer than or equal to 6 characters"
        self.assertEqual(self.errors(self.call("POST", USERS, short)), {"password": want})
        self.assertEqual(self.errors(self.call("POST", USERS, dict(short, password=123456))),
                         {"password": want})
        long_pw = dict(short, password="x" * 1025)
        self.assertEqual(self.errors(self.call("POST", USERS, long_pw)),
                         {"password": "password must be shorter than or equal to 1024 characters"})
        u = self.create(password="\u00e9" * 6)  # 6 characters, 12 bytes
        path = "%s/%d" % (USERS, u["id"])
        self.assertEqual(self.errors(self.call("PATCH", path, {"password": "12345"})),
                         {"password": want})
        self.assertEqual(self.errors(self.call("PATCH", path, {"password": "x" * 1025})),
                         {"password": "password must be shorter than or equal to 1024 characters"})
        self.assertStatus(self.call("PATCH", path, {"password": "y" * 1024}), 200)
        stored = self.srv().sql_value("SELECT password FROM users WHERE id = ?", (u["id"],))
        self.assertTrue(stored.startswith("$argon2id$"), stored)

    def test_27_photo_and_names(self):
        u = self.create(photo=None)
        self.assertNotIn("photo", u)
        for no_photo in ({}, "x", {"id": None}, {"id": ""}):
            self.assertNotIn("photo", self.create(photo=no_photo))
        body = {"email": unique_email("ph"), "password": "secret-pw",
                "firstName": "a", "lastName": "b",
                "photo": {"id": "2f0ab5a2-6d1e-4f87-9a33-8c0e5d2b1a77"}}
        r = self.call("POST", USERS, body)
        self.assertBody(r, 422, b'{"status":422,"errors":{"photo":"imageNotExists"}}')
        path = "%s/%d" % (USERS, u["id"])
        for pid in ("x", 42, body["photo"]["id"]):
            r = self.call("PATCH", path, {"photo": {"id": pid}})
            self.assertBody(r, 422, b'{"status":422,"errors":{"photo":"imageNotExists"}}')
        self.assertStatus(self.call("PATCH", path, {"photo": None}), 200)
        # A bad photo wins over a bad role (§11.6 step 5).
        body["role"] = {"id": 9}
        self.assertEqual(self.errors(self.call("POST", USERS, body)),
                         {"photo": "imageNotExists"})
        for name in ({"x": 1}, [1]):
            r = self.call("POST", USERS, {"email": unique_email("n"),
                                          "password": "secret-pw",
                                          "firstName": name, "lastName": name})
            self.assertEqual(self.errors(r), {"firstName": "firstName must be a string",
                                              "lastName": "lastName must be a string"})
            r = self.call("PATCH", path, {"firstName": name})
            self.assertEqual(self.errors(r), {"firstName": "firstName must be a string"})
        made = self.create(firstName=12345, lastName=True)
        self.assertEqual((made["firstName"], made["lastName"]), ("12345", "true"))
        r = self.call("PATCH", path, {"firstName": 1.5, "lastName": False})
        self.assertEqual((r.json()["firstName"], r.json()["lastName"]), ("1.5", "false"))


class Photos(Base):
    """§10 item 27, issue 16: the admin uploads a file, then POSTs or PATCHes
    a user with its id, as the reference's admin UI does."""

    @classmethod
    def setUpClass(cls):
        cls.token = cls.admin_token()

    def upload(self, token=None, data=None):
        h = self.srv().auth_headers(token or self.token)
        h["Content-Type"] = "multipart/form-data; boundary=" + BOUNDARY
        body = body_of(part(data=data if data is not None else png_bytes()))
        r = self.srv().request("POST", "/api/v1/files/upload", body=body, headers=h)
        self.assertStatus(r, 201)
        return r.json()["file"]

    def served(self, f):
        name = f["path"].rsplit("/", 1)[1]
        on_disk = os.path.exists(os.path.join(self.srv().env["FILES_DIR"], name))
        r = self.srv().request("GET", "/api/v1/files/" + name)
        self.assertEqual(on_disk, r.status == 200, r.status)
        return r.status == 200

    def test_post_patch_replace_remove(self):
        first = self.upload()
        self.assertTrue(first["path"].startswith("http"), first)
        u = self.create(photo={"id": first["id"]})
        self.assertEqual(u["photo"], first)
        self.assertEqual(list(u), USER_KEYS[:6] + ["photo"] + USER_KEYS[6:])
        path = "%s/%d" % (USERS, u["id"])
        self.assertEqual(self.call("GET", path).json()["photo"], first)
        listed = [x for x in self.list(limit="50", sort=[{"orderBy": "id", "order": "desc"}])["data"]
                  if x["id"] == u["id"]]
        self.assertEqual(listed[0]["photo"], first)
        # The target's current photo again changes nothing.
        r = self.call("PATCH", path, {"photo": {"id": first["id"]}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["photo"], first)
        self.assertTrue(self.served(first))
        # Replaced by another upload of the admin: the old one is gone.
        second = self.upload(data=GIF)
        r = self.call("PATCH", path, {"photo": {"id": second["id"]}, "lastName": "P"})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["photo"], r.json()["lastName"]), (second, "P"))
        self.assertGreaterEqual(r.json()["updatedAt"], u["updatedAt"])
        self.assertFalse(self.served(first))
        self.assertTrue(self.served(second))
        r = self.call("PATCH", path, {"photo": {"id": first["id"]}})
        self.assertBody(r, 422, b'{"status":422,"errors":{"photo":"imageNotExists"}}')
        # Removed with null: absent from the user, the file gone.
        r = self.call("PATCH", path, {"photo": None})
        self.assertStatus(r, 200)
        self.assertNotIn("photo", r.json())
        self.assertNotIn("photo", self.call("GET", path).json())
        self.assertFalse(self.served(second))

    def test_only_the_admins_uploads_or_the_targets_photo(self):
        john = self.srv().login_ok(DEMO_USER, DEMO_PASSWORD)["token"]
        theirs = self.upload(token=john)
        u = self.create()
        path = "%s/%d" % (USERS, u["id"])
        r = self.call("PATCH", path, {"photo": {"id": theirs["id"]}})
        self.assertBody(r, 422, b'{"status":422,"errors":{"photo":"imageNotExists"}}')
        # Once another user's photo, it is no photo for this one.
        mine = self.upload()
        other = self.create(photo={"id": mine["id"]})
        self.assertEqual(other["photo"], mine)
        r = self.call("PATCH", path, {"photo": {"id": mine["id"]}})
        self.assertBody(r, 422, b'{"status":422,"errors":{"photo":"imageNotExists"}}')
        body = {"email": unique_email("ph"), "password": "secret-pw",
                "firstName": "a", "lastName": "b", "photo": {"id": mine["id"]}}
        r = self.call("POST", USERS, body)
        self.assertBody(r, 422, b'{"status":422,"errors":{"photo":"imageNotExists"}}')
        self.assertTrue(self.served(mine))

    def test_delete_removes_the_users_files(self):
        f = self.upload()
        u = self.create(photo={"id": f["id"]})
        self.assertTrue(self.served(f))
        self.assertBody(self.call("DELETE", "%s/%d" % (USERS, u["id"])), 204, b"")
        self.assertFalse(self.served(f))


class SessionCheckOff(Base):
    """§10.24 with AUTH_SESSION_CHECK=false: the admin check still reads the
    role and the account's state from the database on every request."""

    @classmethod
    def setUpClass(cls):
        cls.server = serve(cls, env={"AUTH_SESSION_CHECK": "false"})
        cls.token = cls.admin_token()

    def test_demotion_and_deletion_at_once(self):
        email = unique_email("demo")
        u = self.create(email=email, password="secret-pw-8", role={"id": 1})
        token = self.srv().login_ok(email, "secret-pw-8")["token"]
        path = "%s/%d" % (USERS, u["id"])
        self.assertStatus(self.call("GET", USERS, token=token), 200)
        self.assertStatus(self.call("PATCH", path, {"role": {"id": 2}}), 200)
        self.assertBody(self.call("GET", USERS, token=token), 403, FORBIDDEN)
        # Stateless access tokens still work elsewhere (§10.3 off)...
        self.assertStatus(self.call("PATCH", path, {"role": {"id": 1}}), 200)
        self.assertStatus(self.call("GET", USERS, token=token), 200)
        self.assertStatus(self.call("DELETE", path), 204)
        # ...but not on the users API once the admin is deleted.
        self.assertUnauthorized(self.call("GET", USERS, token=token))

    def test_policy_follows_the_setting(self):
        body = {"email": unique_email("p8"), "password": "1234567",
                "firstName": "a", "lastName": "b"}
        self.assertEqual(self.errors(self.call("POST", USERS, body)), {
            "password": "password must be longer than or equal to 8 characters"})


class ConcurrentWrites(Base):
    """The list while other requests create, update and delete users: every
    answer is whole, in order, and none is a 5xx."""

    def test_list_under_writes(self):
        self.token = self.admin_token()
        failures = []
        stop = threading.Event()

        def writer():
            try:
                while not stop.is_set():
                    r = self.call("POST", USERS, {
                        "email": unique_email("cw"), "password": "secret-pw",
                        "firstName": "w", "lastName": "w"})
                    if r.status != 201:
                        failures.append(("POST", r))
                        return
                    path = "%s/%d" % (USERS, r.json()["id"])
                    r = self.call("PATCH", path, {"lastName": "v"})
                    if r.status != 200:
                        failures.append(("PATCH", r))
                    if r.json()["id"] % 2:
                        r = self.call("DELETE", path)
                        if r.status != 204:
                            failures.append(("DELETE", r))
            except Exception as e:  # noqa: BLE001
                failures.append(("writer", e))

        def reader(sort):
            try:
                for _ in range(25):
                    r = self.call("GET", USERS + q(limit="50", sort=sort))
                    if r.status != 200:
                        failures.append(("GET", r))
                        continue
                    rows = r.json()["data"]
                    keys = [(x["lastName"], x["id"]) for x in rows] if sort else \
                        [x["id"] for x in rows]
                    if keys != sorted(keys) or len(rows) != 50:
                        failures.append(("order", keys))
            except Exception as e:  # noqa: BLE001
                failures.append(("reader", e))

        while self.count_live() < 60:
            self.create()
        writers = [threading.Thread(target=writer) for _ in range(2)]
        readers = [threading.Thread(target=reader, args=(s,)) for s in
                   (None, [{"orderBy": "lastName", "order": "asc"}])]
        for t in writers + readers:
            t.start()
        for t in readers:
            t.join()
        stop.set()
        for t in writers:
            t.join()
        self.assertEqual(failures, [])


class EveryWebServer(Base):
    """The routes of the users executable in every shipped configuration
    besides lighttpd's (the rest of the module): nginx and the three
    Apache deployments."""

    def routes(self, web):
        srv = Server(web=web, env={"AUTH_PASSWORD_MIN_LENGTH": "6"})
        srv.start()
        type(self).server = srv
        try:
            self.token = self.admin_token()
            self.assertEqual(self.list()["data"][0]["email"], DEMO_ADMIN)
            u = self.create()
            path = "%s/%d" % (USERS, u["id"])
            self.assertEqual(self.call("GET", path).json(), u)
            self.assertStatus(self.call("GET", "/api/v1/Users/%d/" % u["id"]), 200)
            self.assertStatus(self.call("PATCH", path, {"lastName": "W"}), 200)
            self.assertBody(self.call("DELETE", path), 204, b"")
            self.assertBody(self.call("GET", path), 404, NOT_FOUND)
            self.assertStatus(self.call("PUT", path, {}), 404)
            john = srv.login_ok(DEMO_USER, DEMO_PASSWORD)["token"]
            self.assertBody(self.call("GET", USERS, token=john), 403, FORBIDDEN)
            self.assertUnauthorized(srv.request("GET", USERS))
            self.assertEqual(srv.server_errors(), [])
        finally:
            type(self).server = None
            srv.stop()

    def test_nginx(self):
        self.routes("nginx")

    def test_apache_fcgid(self):
        self.routes("fcgid")

    def test_apache_cgi(self):
        self.routes("cgi")

    def test_apache_htaccess(self):
        self.routes("htaccess")


class ZzNoServerErrors(ApiTestCase):
    """Runs last (unittest loads the classes by name): nothing answered
    5xx in the whole module."""

    def test_zz_no_5xx(self):
        self.assertEqual(S.server_errors(), [])
        self.assertEqual(S.crash_lines(), [])
