# SPDX-License-Identifier: ISC
"""The OpenAPI document docs/openapi.json and its executable cgi-bin/docs
(issue 12 point 3; API.md §13, §10 item 29):

- the document passes a real OpenAPI 3.0 validator (@apidevtools/swagger-
  parser, tests/openapi/, installed by script/bootstrap --test) and carries
  the §13 settings: info, the bearer scheme, the language header on every
  operation, security on every guarded one;
- every route of the web-server configurations and of the executables'
  route tables is in it, and every operation in it is routed to an
  executable that serves it, except NOT_YET_ROUTED (the users, social and
  file routes, which land from other branches): those are skipped and
  printed while no configuration routes them, and checked once one does;
- GET /docs-json serves it (the header parameter named by
  APP_HEADER_LANGUAGE), GET /docs a plain HTML page of it made by the
  server (no script, nothing from elsewhere), APP_DOCS=false answers both 404;
- every example of the routed operations is replayed against the server:
  a request-body example, or a parameter example, with "x-expect": <status>
  must get that status; when the documented response of that status has an
  example of the same name, the body must equal it, else it must match the
  response's schema. An operation without request examples is sent once,
  with the first example of each parameter, and must get its lowest 2xx
  status (or the parameter example's x-expect, or the operation's
  "x-replay-expect": a status or a list of them, for the routes whose
  answer depends on settings the test server lacks, such as a provider's).
  Guarded operations get a fresh user's access token (an admin's for the
  users API; the refresh token for /refresh).
"""

import json
import os
import re
import subprocess
import sys

from harness import ApiTestCase, serve, unique_email, REPO, DEFAULT_PASSWORD

DOC_FILE = os.path.join(REPO, "docs", "openapi.json")
VALIDATOR = os.path.join(REPO, "tests", "openapi", "validate.mjs")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

# Operations of the document that no configuration routes yet: they land
# from other branches (issue 12 point 1, issue 8, issue 16). A listed path
# that becomes routed is checked like any other.
NOT_YET_ROUTED = {
    "/api/v1/users", "/api/v1/users/{id}",
    "/api/v1/auth/google/login", "/api/v1/auth/apple/login",
    "/api/v1/auth/facebook/login", "/api/v1/auth/github/login",
    "/api/v1/auth/google/authorize", "/api/v1/auth/github/authorize",
    "/api/v1/auth/facebook/authorize", "/api/v1/auth/google/callback",
    "/api/v1/auth/github/callback", "/api/v1/auth/facebook/callback",
    "/api/v1/files/upload", "/api/v1/files/{name}",
}

S = None


def setUpModule():
    global S
    S = serve()


def load_doc():
    with open(DOC_FILE, encoding="utf-8") as f:
        return json.load(f)


def lighttpd_routes():
    """[(regex, executable)] of the shipped lighttpd template, in order."""
    with open(os.path.join(REPO, "lighttpd", "lighttpd.conf.in")) as f:
        text = f.read()
    return re.findall(r'\$HTTP\["url"\] =~ "([^"]+)" \{\s*fastcgi\.server.*?'
                      r'"bin-path" => "@BINDIR@/(\w+)"', text, re.S)


# Executables that serve no part of the API the document describes: the
# server-rendered account pages (HTML forms under PAGES_BASE_PATH).
NOT_API = {"pages"}
ROUTE = re.compile(r'\{"(GET|POST|PUT|PATCH|DELETE)",\s*((?:[A-Z_][A-Z0-9_]*\s*)?"[^"]*")'
                   r'\s*,\s*(PTL_AUTH_\w+)')


def route_tables(with_auth=False):
    """{executable: {(METHOD, path)}} from the route tables of cgi-bin/*.c:
    each {"METHOD", "path", PTL_AUTH_...} entry, the path a literal or a
    macro of the file followed by one ("#define A "/api/v1/auth/"", then
    A "google/login"). with_auth: (METHOD, path, auth) instead."""
    out = {}
    cgi = os.path.join(REPO, "cgi-bin")
    for name in sorted(os.listdir(cgi)):
        if not name.endswith(".c") or name.startswith("_") or name[:-2] in NOT_API:
            continue
        with open(os.path.join(cgi, name)) as f:
            text = f.read()
        macros = dict(re.findall(r'^#define ([A-Z_][A-Z0-9_]*) "([^"]*)"$', text, re.M))
        routes = set()
        for m, expr, auth in ROUTE.findall(text):
            macro, _, lit = expr.partition('"')
            path = macros.get(macro.strip(), "") + lit.rstrip('"')
            if path.startswith("/"):
                routes.add((m, path, auth) if with_auth else (m, path))
        out[name[:-2]] = routes
    return out


def sample(path):
    """A concrete path for a template: each {param} becomes 1."""
    return re.sub(r"\{[^}]+\}", "1", path)


def executable_of(path):
    """The executable the lighttpd template sends path to, or None."""
    for rx, exe in lighttpd_routes():
        if re.search(rx.replace("(?i)", ""), path, re.I if "(?i)" in rx else 0):
            return exe
    return None


def serves(exe, method, path):
    return (method.upper(), path) in route_tables().get(exe, set())


def operations(doc):
    for path, item in doc["paths"].items():
        for m in METHODS:
            if m in item:
                yield path, m, item[m]


def routed(path, method):
    exe = executable_of(sample(path))
    return exe is not None and serves(exe, method, path)


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        node = doc
        for p in parts:
            node = node[p]
    return node


def schema_errors(doc, schema, value, where="$"):
    """The ways value fails the (OpenAPI 3.0 subset of) schema."""
    schema = deref(doc, schema)
    if value is None:
        return [] if schema.get("nullable") or not schema.get("type") else \
            ["%s: null" % where]
    if "enum" in schema and value not in schema["enum"]:
        return ["%s: %r not in %r" % (where, value, schema["enum"])]
    t = schema.get("type")
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool,
             "integer": int, "number": (int, float)}
    if t in kinds and (not isinstance(value, kinds[t]) or
                       (t in ("integer", "number") and isinstance(value, bool))):
        return ["%s: %r is not %s" % (where, value, t)]
    errs = []
    if t == "object":
        for k in schema.get("required", []):
            if k not in value:
                errs.append("%s: no %s" % (where, k))
        for k, sub in schema.get("properties", {}).items():
            if k in value:
                errs += schema_errors(doc, sub, value[k], where + "." + k)
    if t == "array":
        for i, v in enumerate(value):
            errs += schema_errors(doc, schema.get("items", {}), v, "%s[%d]" % (where, i))
    return errs


class Document(ApiTestCase):
    def test_a_real_validator_accepts_it(self):
        if not os.path.exists(os.path.join(REPO, "tests", "openapi", "node_modules",
                                           "@apidevtools", "swagger-parser")):
            self.fail("the validator is not installed: script/bootstrap --test "
                      "(npm ci in tests/openapi)")
        cp = subprocess.run(["node", VALIDATOR, DOC_FILE], capture_output=True,
                            text=True, timeout=120)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("valid: OpenAPI 3.0.0", cp.stdout)

    def test_the_validator_refuses_a_broken_document(self):
        """The validator is real: a dangling $ref and an operation without
        responses are refused."""
        doc = load_doc()
        del doc["paths"]["/api/v1/health"]["get"]["responses"]
        bad = os.path.join(S.tmp, "broken-openapi.json")
        with open(bad, "w") as f:
            json.dump(doc, f)
        cp = subprocess.run(["node", VALIDATOR, bad], capture_output=True,
                            text=True, timeout=120)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)

    def test_the_settings_of_section_13(self):
        doc = load_doc()
        self.assertEqual(doc["openapi"], "3.0.0")
        self.assertEqual(doc["info"], {"title": "API", "description": "API docs",
                                       "version": "1.0", "contact": {}})
        self.assertEqual(doc["tags"], [])
        self.assertEqual(doc["servers"], [])
        scheme = dict(doc["components"]["securitySchemes"]["bearer"])
        scheme.pop("description", None)
        self.assertEqual(scheme, {"scheme": "bearer", "bearerFormat": "JWT", "type": "http"})
        lang = doc["components"]["parameters"]["lang"]
        self.assertEqual((lang["in"], lang["required"], lang["name"], lang["schema"]),
                         ("header", False, "x-custom-lang", {"example": "en"}))

    def test_every_operation_has_the_language_header_and_an_id(self):
        doc = load_doc()
        ids = []
        for path, m, op in operations(doc):
            with self.subTest(op="%s %s" % (m, path)):
                self.assertIn({"$ref": "#/components/parameters/lang"}, op["parameters"])
                ids.append(op["operationId"])
                for p in re.findall(r"\{([^}]+)\}", path):
                    self.assertIn(p, [deref(doc, q).get("name") for q in op["parameters"]
                                      if deref(doc, q).get("in") == "path"])
        self.assertEqual(len(ids), len(set(ids)), "operationIds are unique")

    def test_guarded_operations_have_security(self):
        doc = load_doc()
        for exe, routes in route_tables(with_auth=True).items():
            for m, path, auth in routes:
                with self.subTest(route="%s %s" % (m, path)):
                    op = doc["paths"][path][m.lower()]
                    self.assertEqual("security" in op,
                                     auth not in ("PTL_AUTH_NONE", "PTL_AUTH_PROBE"))
        for path in ("/api/v1/users", "/api/v1/users/{id}", "/api/v1/files/upload"):
            for m, op in doc["paths"][path].items():
                self.assertEqual(op.get("security"), [{"bearer": []}], path)


class Routes(ApiTestCase):
    def test_every_route_of_the_executables_is_documented(self):
        doc = load_doc()
        for exe, routes in route_tables().items():
            for m, path in routes:
                with self.subTest(route="%s %s (%s)" % (m, path, exe)):
                    self.assertIn(path, doc["paths"])
                    self.assertIn(m.lower(), doc["paths"][path])

    def test_every_route_of_the_configurations_is_documented(self):
        paths = [sample(p) for p in load_doc()["paths"]]
        for rx, exe in lighttpd_routes():
            if exe in NOT_API:
                continue
            if exe == "health" and rx == "^/api(/|$)":
                rx = r"^/api/v1/health/?$"   # the catch-all: health's own path
            with self.subTest(route=rx, exe=exe):
                flags = re.I if "(?i)" in rx else 0
                hits = [p for p in paths if re.search(rx.replace("(?i)", ""), p, flags)]
                self.assertTrue(hits, "%s (%s) matches no path of the document" % (rx, exe))

    def test_every_documented_operation_is_routed(self):
        doc = load_doc()
        skipped = []
        for path, m, _op in operations(doc):
            if routed(path, m):
                continue
            with self.subTest(op="%s %s" % (m.upper(), path)):
                self.assertIn(path, NOT_YET_ROUTED,
                              "%s %s is documented but no executable serves it" % (m.upper(), path))
                skipped.append("%s %s" % (m.upper(), path))
        if skipped:
            print("\n# test_openapi: documented, not routed yet (%d): %s"
                  % (len(skipped), ", ".join(skipped)), file=sys.stderr)

    def test_the_skip_list_names_only_documented_paths(self):
        self.assertLessEqual(NOT_YET_ROUTED, set(load_doc()["paths"]))


class Serving(ApiTestCase):
    def test_docs_json_is_the_document(self):
        r = S.request("GET", "/docs-json")
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("content-type"), "application/json; charset=utf-8")
        with open(DOC_FILE, "rb") as f:
            self.assertEqual(r.body, f.read())
        self.assertEqual(r.json()["openapi"], "3.0.0")

    def test_trailing_slash_and_case(self):
        self.assertStatus(S.request("GET", "/docs-json/"), 200)
        self.assertStatus(S.request("GET", "/DOCS-JSON"), 200)
        self.assertStatus(S.request("GET", "/docs/"), 200)

    def test_other_methods_and_paths_are_404(self):
        r = S.request("POST", "/docs-json", json_body={})
        self.assertBody(r, 404, b'{"message":"Cannot POST /docs-json","error":"Not Found","statusCode":404}')
        # 403 on a shared host, where docs/... is a path into the
        # executable itself (apache/htaccess.example refuses those).
        self.assertIn(S.request("GET", "/docs/json").status, (403, 404))
        self.assertStatus(S.request("GET", "/api/docs"), 404)
        self.assertStatus(S.request("GET", "/api-json"), 404)

    def test_docs_is_a_plain_page_of_the_document(self):
        r = S.request("GET", "/docs")
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("content-type"), "text/html; charset=utf-8")
        csp = r.headers.get("content-security-policy", "")
        self.assertIn("default-src 'none'", csp)
        html = r.body.decode("utf-8")
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        self.assertNotIn("<script", html.lower())
        self.assertIsNone(re.search(r'(src|href)="(https?:)?//', html), "links nothing elsewhere")
        doc = load_doc()
        for path, m, op in operations(doc):
            with self.subTest(op="%s %s" % (m, path)):
                self.assertIn('id="op-%s"' % op["operationId"], html)
                self.assertIn("<code>%s</code>" % path, html)
        for name in doc["components"]["schemas"]:
            self.assertIn('id="schema-%s"' % name, html)

    def test_head_of_docs(self):
        r = S.request("HEAD", "/docs")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")


class Off(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = serve(cls, env={"APP_DOCS": "false"})

    def test_both_are_404(self):
        for path in ("/docs", "/docs-json"):
            r = self.srv.request("GET", path)
            self.assertBody(r, 404, ('{"message":"Cannot GET %s","error":"Not Found",'
                                     '"statusCode":404}' % path).encode())


class HeaderName(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = serve(cls, env={"APP_HEADER_LANGUAGE": "Accept-Mail-Lang"})

    def test_the_parameter_is_named_by_the_setting(self):
        doc = self.srv.request("GET", "/docs-json").json()
        self.assertEqual(doc["components"]["parameters"]["lang"]["name"], "Accept-Mail-Lang")
        self.assertIn("Accept-Mail-Lang", self.srv.request("GET", "/docs").body.decode())


class Examples(ApiTestCase):
    """Replays the document's examples (see the module's doc)."""

    def fresh_tokens(self, admin=False):
        email = unique_email("openapi")
        cp = S.cli("user", "add", email, "--password", DEFAULT_PASSWORD,
                   *(["--admin"] if admin else []))
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        return S.login_ok(email, DEFAULT_PASSWORD)

    def send(self, doc, path, method, op, params, body_example):
        """One request: params {name: value} of the example, the body."""
        url = path
        query = []
        headers = {}
        for p in op.get("parameters", []):
            p = deref(doc, p)
            if p["name"] not in params:
                continue
            if p["in"] == "path":
                url = url.replace("{%s}" % p["name"], params[p["name"]])
            elif p["in"] == "query":
                query.append("%s=%s" % (p["name"], params[p["name"]]))
            elif p["in"] == "header":
                headers[p["name"]] = params[p["name"]]
        if query:
            url += "?" + "&".join(query)
        if "security" in op:
            pair = self.fresh_tokens(admin="Users" in op.get("tags", []))
            token = pair["refreshToken"] if path == "/api/v1/auth/refresh" else pair["token"]
            headers["Authorization"] = "Bearer " + token
        if body_example is None:
            return S.request(method.upper(), url, headers=headers)
        return S.request(method.upper(), url, json_body=body_example, headers=headers)

    def check_answer(self, doc, op, name, status, r):
        if isinstance(status, list):
            self.assertIn(r.status, status, "%s: %r" % (name, r))
            status = r.status
        self.assertEqual(r.status, status, "%s: %r" % (name, r))
        resp = deref(doc, op["responses"][str(status)])
        media = resp.get("content", {}).get("application/json")
        if media is None:
            if status == 204:
                self.assertEqual(r.body, b"")
            return
        got = r.json()
        if name in media.get("examples", {}):
            self.assertEqual(got, media["examples"][name]["value"], name)
        else:
            self.assertEqual(schema_errors(doc, media["schema"], got), [], name)

    def replays(self, doc, path, method, op):
        """[(name, params, body, expected status)] of one operation."""
        params, expect, pname = {}, None, "default"
        for p in op.get("parameters", []):
            p = deref(doc, p)
            exs = p.get("examples", {})
            if exs:
                pname, first = next(iter(exs.items()))
                params[p["name"]] = first["value"]
                expect = first.get("x-expect", expect)
        if any(p.get("in") == "path" and p["name"] not in params
               for p in (deref(doc, q) for q in op.get("parameters", []))):
            return []   # no example value for a path parameter
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        out = [(n, params, e["value"], e["x-expect"])
               for n, e in body.get("examples", {}).items() if "x-expect" in e]
        if not out and (not op.get("requestBody", {}).get("required") or
                        "x-replay-expect" in op):
            codes = sorted(int(c) for c in op["responses"] if c.startswith("2"))
            out.append((pname, params, None,
                        op.get("x-replay-expect") or expect or codes[0]))
        return out

    def test_every_example_of_the_routed_operations(self):
        doc = load_doc()
        done = 0
        for path, method, op in operations(doc):
            if not routed(path, method):
                continue
            for name, params, body, status in self.replays(doc, path, method, op):
                with self.subTest(example="%s %s %s" % (method.upper(), path, name)):
                    r = self.send(doc, path, method, op, params, body)
                    self.check_answer(doc, op, name, status, r)
                    done += 1
        self.assertGreaterEqual(done, 20, "replayed %d examples" % done)

    def test_every_routed_operation_has_a_replay(self):
        doc = load_doc()
        for path, method, op in operations(doc):
            if routed(path, method):
                with self.subTest(op="%s %s" % (method.upper(), path)):
                    self.assertTrue(self.replays(doc, path, method, op))

    def test_zz_no_5xx_and_no_crash(self):
        self.assertEqual(S.server_errors(), [])
        self.assertEqual(S.crash_lines(), [])
