# SPDX-License-Identifier: ISC
"""A mock of Google, Apple, Facebook and GitHub in one small HTTP server on
127.0.0.1 (a free port), for the social sign-in tests (issue 8). Real HTTP,
real RS256: a test RSA key per provider, generated at start with
python3-cryptography (Debian's package; script/bootstrap --test installs
it).

    mock = MockProvider().start()
    S = serve(env=mock.settings(), port_env=lambda p: {
        "BACKEND_DOMAIN": "http://localhost:%d" % p})
    token = mock.id_token("google", email="a@example.com")
    ...
    mock.stop()

Paths (settings() gives the app the matching *_URL settings):

    /google/jwks /google/authorize /google/token
    /apple/jwks
    /facebook/dialog/oauth                        FACEBOOK_AUTHORIZE_URL
    /facebook/graph/debug_token                   FACEBOOK_GRAPH_URL=/facebook/graph
    /facebook/graph/v23.0/me
    /facebook/graph/v23.0/oauth/access_token
    /github/authorize /github/token
    /github/api/user /github/api/user/emails      GITHUB_API_URL=/github/api

What it offers the tests:
  - JWKS of Google and Apple: one key each at start; add_key() makes (and
    by default publishes) another one, for key rotation; other_key is a key
    that no provider publishes.
  - id_token(): an ID token with every claim and the header under the
    test's control (alg none, HS256 with the public key as the secret, any
    kid, any key, a tampered payload, a broken signature, claims dropped).
  - The authorize endpoints: remember code_challenge, redirect_uri, nonce
    and the identity of login_as(), and answer 302 to redirect_uri with
    code and state (or error=access_denied).
  - The token endpoints: check grant_type, the code (single use), the
    client credentials, redirect_uri and code_verifier against the S256
    challenge; answer JSON access_token (+ id_token with the nonce for
    Google). Each refusal is kept in token_refusals.
  - Facebook debug_token and /v23.0/me, GitHub /user and /user/emails, for
    the tokens of facebook_token() and github_token() and those the token
    endpoints issued.
  - fail(endpoint, mode): "slow" (the answer waits until release() or
    30 s), "500", "429", "close" (the connection is dropped without an
    answer), "huge", "garbage" (not JSON) or "redirect" (to /elsewhere).
  - requests(): every request received (method, path, query, headers,
    form, body), so that tests can assert what the app sent; issued():
    every code, access token and ID token handed out, for leak scans.
"""

import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GOOGLE_CLIENT_ID = "mock-google-client.apps.example"
GOOGLE_CLIENT_SECRET = "mock-google-secret-0123456789"
APPLE_AUDIENCE = ["com.example.authportal", "com.example.authportal.web"]
FACEBOOK_APP_ID = "424242424242"
FACEBOOK_APP_SECRET = "mock-facebook-secret-abcdef"
GITHUB_CLIENT_ID = "mock-github-client"
GITHUB_CLIENT_SECRET = "mock-github-secret-fedcba"

ISSUERS = {"google": "https://accounts.google.com",
           "apple": "https://appleid.apple.com"}
CLIENTS = {"google": (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET),
           "facebook": (FACEBOOK_APP_ID, FACEBOOK_APP_SECRET),
           "github": (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET)}
SLOW_SECONDS = 30          # a "slow" answer waits at most this long


def b64url(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    text += "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text.encode("ascii"))


def s256(verifier):
    """The PKCE S256 challenge of a verifier (RFC 7636 §4.2)."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"))


class RsaKey:
    """A 2048-bit RSA key with its kid, its public JWK and RS256 signing."""

    def __init__(self, kid, bits=2048):
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537,
                                                key_size=bits)
        self.public = self.private.public_key()

    def jwk(self):
        nums = self.public.public_numbers()

        def uint(n):
            return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                "n": uint(nums.n), "e": uint(nums.e)}

    def public_pem(self):
        return self.public.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, data):
        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-provider"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        self.server.mock._handle(self, "GET")

    def do_POST(self):
        self.server.mock._handle(self, "POST")


class MockProvider:
    """See the module doc. Thread-safe; start() returns self."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = {"google": [RsaKey("google-key-1")],
                     "apple": [RsaKey("apple-key-1")]}
        self.other_key = RsaKey("stranger-key-1")   # published by nobody
        self.httpd = None
        self.thread = None
        self.port = None
        self._release = threading.Event()
        self.reset()

    # ---- lifecycle -------------------------------------------------------
    def start(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.mock = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.release()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def settings(self, **over):
        """The app settings that point every provider at this mock, with
        credentials; over changes them (None removes a setting)."""
        u = self.url
        env = {
            "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
            "GOOGLE_JWKS_URL": u + "/google/jwks",
            "GOOGLE_AUTHORIZE_URL": u + "/google/authorize",
            "GOOGLE_TOKEN_URL": u + "/google/token",
            "APPLE_APP_AUDIENCE": _compact(APPLE_AUDIENCE),
            "APPLE_JWKS_URL": u + "/apple/jwks",
            "FACEBOOK_APP_ID": FACEBOOK_APP_ID,
            "FACEBOOK_APP_SECRET": FACEBOOK_APP_SECRET,
            "FACEBOOK_GRAPH_URL": u + "/facebook/graph",
            "FACEBOOK_AUTHORIZE_URL": u + "/facebook/dialog/oauth",
            "GITHUB_CLIENT_ID": GITHUB_CLIENT_ID,
            "GITHUB_CLIENT_SECRET": GITHUB_CLIENT_SECRET,
            "GITHUB_AUTHORIZE_URL": u + "/github/authorize",
            "GITHUB_TOKEN_URL": u + "/github/token",
            "GITHUB_API_URL": u + "/github/api",
        }
        for k, v in over.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env

    def reset(self):
        """Forgets requests, faults, identities and issued tokens; the
        published keys stay."""
        with self.lock:
            self.log = []
            self.faults = {}
            self.identities = {}      # provider -> dict for the next authorize
            self.codes = {}           # code -> grant
            self.fb_tokens = {}       # access token -> facebook profile
            self.gh_tokens = {}       # access token -> github profile
            self.token_refusals = []  # why a token request was refused
            self.handed_out = []      # codes, tokens: for leak scans
            self.waiting = 0          # slow answers waiting now
        self.release()

    # ---- keys and ID tokens ---------------------------------------------
    def key(self, provider):
        """The provider's first published key."""
        return self.keys[provider][0]

    def add_key(self, provider, kid=None, publish=True, bits=2048):
        """A new RSA key (of bits bits) for provider, published in its JWKS
        unless publish is False (then publish_key() publishes it later)."""
        k = RsaKey(kid or "%s-key-%s" % (provider, secrets.token_hex(4)), bits)
        if publish:
            self.publish_key(provider, k)
        return k

    def publish_key(self, provider, key):
        with self.lock:
            self.keys[provider].append(key)

    def unpublish_key(self, provider, key):
        with self.lock:
            self.keys[provider] = [k for k in self.keys[provider] if k is not key]

    def jwks(self, provider):
        with self.lock:
            return {"keys": [k.jwk() for k in self.keys[provider]]}

    def claims(self, provider, **over):
        """Valid ID-token claims for provider (google or apple); over sets
        or (value None) removes claims."""
        now = int(time.time())
        sub = over.pop("sub", "%s-%s" % (provider[0], secrets.token_hex(8)))
        c = {"iss": ISSUERS[provider],
             "aud": GOOGLE_CLIENT_ID if provider == "google" else APPLE_AUDIENCE[0],
             "sub": sub,
             "email": "%s@example.com" % str(sub).lower(),
             "email_verified": True,
             "iat": now,
             "exp": now + 3600}
        if sub is None:
            del c["sub"]
        if provider == "google":
            c.update({"azp": GOOGLE_CLIENT_ID, "given_name": "Grace",
                      "family_name": "Hopper"})
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def id_token(self, provider, claims=None, *, alg="RS256", key=None,
                 kid=None, header=None, secret=None, tamper=None,
                 bad_signature=False, **over):
        """A compact JWS ID token.

        claims: the complete payload (default: self.claims(provider, **over)).
        alg: "RS256" (signed with key, default the provider's first
          published key), "none" (no signature), or "HS256"/"HS384"/"HS512"
          (HMAC with secret, default the signing key's public PEM: the
          algorithm-confusion attack).
        kid: the header's kid (default key.kid); header: the whole header.
        tamper: a dict merged into the payload after signing.
        bad_signature: flips one bit of the signature.
        """
        payload = claims if claims is not None else self.claims(provider, **over)
        key = key or self.key(provider)
        hdr = header if header is not None else {
            "alg": alg, "kid": kid if kid is not None else key.kid, "typ": "JWT"}
        signing_input = (b64url(_compact(hdr)) + "." + b64url(_compact(payload)))
        data = signing_input.encode("ascii")
        if alg == "none":
            sig = b""
        elif alg.startswith("HS"):
            digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
                      "HS512": hashlib.sha512}[alg]
            sig = hmac.new(secret if secret is not None else key.public_pem(),
                           data, digest).digest()
        else:
            sig = key.sign(data)
        if bad_signature:
            sig = bytes([sig[0] ^ 0x01]) + sig[1:]
        if tamper:
            changed = dict(payload)
            changed.update(tamper)
            signing_input = (signing_input.split(".")[0] + "." +
                             b64url(_compact(changed)))
        token = signing_input + "." + b64url(sig)
        self._hand_out(token)
        return token

    # ---- provider access tokens -----------------------------------------
    def facebook_token(self, id=None, email=None, first_name="Face",
                       last_name="Book", app_id=FACEBOOK_APP_ID, valid=True,
                       no_email=False, debug_user_id=None):
        """A Facebook user access token that debug_token and /me know;
        debug_user_id: the user_id debug_token names (default the id)."""
        uid = id if id is not None else str(10**14 + secrets.randbelow(10**14))
        profile = {"id": uid, "first_name": first_name, "last_name": last_name}
        if not no_email:
            profile["email"] = email or "fb-%s@example.com" % uid
        t = "EAAB" + secrets.token_urlsafe(30)
        with self.lock:
            self.fb_tokens[t] = {"profile": profile, "app_id": app_id,
                                 "valid": valid,
                                 "debug_user_id": debug_user_id or uid}
        self._hand_out(t)
        return t

    def github_token(self, id=None, name="Ada Lovelace", email=None,
                     verified=True, primary=True, emails=None):
        """A GitHub access token that /user and /user/emails know.
        emails: the whole /user/emails list; default one address, email
        (or a fresh one), with primary and verified as given."""
        uid = id if id is not None else 10**7 + secrets.randbelow(10**7)
        if emails is None:
            emails = [{"email": email or "gh-%s@example.com" % uid,
                       "primary": primary, "verified": verified,
                       "visibility": "private"}]
        profile = {"id": uid, "login": "user%s" % uid, "name": name,
                   "email": None, "emails": emails}
        t = "gho_" + secrets.token_urlsafe(27)
        with self.lock:
            self.gh_tokens[t] = profile
        self._hand_out(t)
        return t

    # ---- the redirect flow ----------------------------------------------
    def login_as(self, provider, deny=False, **identity):
        """The identity the next authorize request of provider grants.
        google: claims overrides for its ID token (sub, email,
          email_verified, ...), plus token options: nonce (a fixed nonce
          instead of the one asked for; None for none), id_token_options
          (a dict of id_token() keyword arguments), no_id_token=True.
        github: github_token() keyword arguments.
        facebook: facebook_token() keyword arguments.
        deny: the user refuses; the provider redirects with
          error=access_denied."""
        identity["deny"] = deny
        with self.lock:
            self.identities[provider] = identity

    def release(self):
        """Lets every waiting slow answer go on; later slow answers wait
        again."""
        with self.lock:
            ev, self._release = self._release, threading.Event()
        ev.set()

    def fail(self, endpoint, mode):
        """endpoint: e.g. "google.jwks", "google.token", "google.authorize",
        "apple.jwks", "facebook.debug_token", "facebook.me",
        "facebook.token", "github.token", "github.user", "github.emails".
        mode: "slow", "500", "429", "close" (no answer), "huge" (a 2 MiB JSON
        answer), "garbage" (200 with a body that is not JSON), "redirect"
        (302 to /elsewhere on the mock, the endpoint "mock.elsewhere"), or
        None to heal."""
        with self.lock:
            if mode is None:
                self.faults.pop(endpoint, None)
            else:
                self.faults[endpoint] = mode

    def requests(self, endpoint=None):
        """The requests received (dicts: endpoint, method, path, query
        (dict of lists), raw_query, headers (lower-case names), body,
        form (dict of lists)), oldest first; only endpoint's if named."""
        with self.lock:
            return [r for r in self.log if endpoint is None or r["endpoint"] == endpoint]

    def issued(self):
        """Every code and token the mock handed out."""
        with self.lock:
            return list(self.handed_out)

    def _hand_out(self, secret):
        with self.lock:
            self.handed_out.append(secret)

    # ---- HTTP ------------------------------------------------------------
    ROUTES = {
        ("GET", "/google/jwks"): "google.jwks",
        ("GET", "/apple/jwks"): "apple.jwks",
        ("GET", "/google/authorize"): "google.authorize",
        ("GET", "/github/authorize"): "github.authorize",
        ("GET", "/facebook/dialog/oauth"): "facebook.authorize",
        ("POST", "/google/token"): "google.token",
        ("POST", "/github/token"): "github.token",
        ("POST", "/facebook/graph/v23.0/oauth/access_token"): "facebook.token",
        ("GET", "/facebook/graph/v23.0/oauth/access_token"): "facebook.token",
        ("GET", "/facebook/graph/debug_token"): "facebook.debug_token",
        ("GET", "/facebook/graph/v23.0/me"): "facebook.me",
        ("GET", "/github/api/user"): "github.user",
        ("GET", "/github/api/user/emails"): "github.emails",
        ("GET", "/elsewhere"): "mock.elsewhere",
        ("POST", "/elsewhere"): "mock.elsewhere",
    }

    def _handle(self, h, method):
        path, _, raw_query = h.path.partition("?")
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(min(n, 1 << 20)) if n > 0 else b""
        endpoint = self.ROUTES.get((method, path))
        rec = {"endpoint": endpoint, "method": method, "path": path,
               "raw_query": raw_query,
               "query": urllib.parse.parse_qs(raw_query, keep_blank_values=True),
               "headers": {k.lower(): v for k, v in h.headers.items()},
               "body": body,
               "form": urllib.parse.parse_qs(body.decode("latin-1"),
                                             keep_blank_values=True)
               if "form-urlencoded" in (h.headers.get("Content-Type") or "") else {}}
        with self.lock:
            self.log.append(rec)
            mode = self.faults.get(endpoint)
            release = self._release
        if endpoint is None:
            return self._send(h, 404, {"error": "not found"})
        if mode == "close":
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode == "slow":
            with self.lock:
                self.waiting += 1
            release.wait(SLOW_SECONDS)
            with self.lock:
                self.waiting -= 1
        if mode == "500":
            return self._send(h, 500, {"error": {"message": "internal error"}})
        if mode == "429":
            return self._send(h, 429, {"message": "rate limited"},
                              headers={"Retry-After": "60"})
        if mode == "huge":
            return self._send(h, 200, raw=b'{"keys":[],"pad":"' + b"A" * (2 << 20) + b'"}')
        if mode == "garbage":
            return self._send(h, 200, raw=b"<html>not json</html>\x00\xff")
        if mode == "redirect":
            return self._send(h, 302, {}, headers={"Location": self.url + "/elsewhere"})
        provider, _, what = endpoint.partition(".")
        try:
            getattr(self, "_" + what)(h, provider, rec)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, h, status, obj=None, headers=None, raw=None,
              ctype="application/json; charset=utf-8"):
        data = raw if raw is not None else _compact(obj).encode("utf-8")
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(data)))
            h.send_header("Cache-Control", "no-store")
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _one(d, name):
        v = d.get(name)
        return v[0] if v else None

    def _elsewhere(self, h, provider, rec):
        self._send(h, 200, {"keys": [], "data": {}, "access_token": "elsewhere"})

    def _jwks(self, h, provider, rec):
        self._send(h, 200, self.jwks(provider))

    def _authorize(self, h, provider, rec):
        q = rec["query"]
        one = lambda k: self._one(q, k)  # noqa: E731
        problems = []
        if one("response_type") != "code":
            problems.append("response_type")
        if one("client_id") != CLIENTS[provider][0]:
            problems.append("client_id")
        if not one("redirect_uri"):
            problems.append("redirect_uri")
        if one("code_challenge_method") != "S256" or not one("code_challenge"):
            problems.append("code_challenge")
        if not one("state"):
            problems.append("state")
        if problems:   # a real provider shows an error page, no redirect
            return self._send(h, 400, {"error": "invalid_request",
                                       "bad": problems})
        with self.lock:
            identity = dict(self.identities.pop(provider, {}))
        sep = "&" if "?" in one("redirect_uri") else "?"
        if identity.pop("deny", False):
            loc = one("redirect_uri") + sep + urllib.parse.urlencode(
                {"error": "access_denied", "state": one("state")})
            return self._send(h, 302, {}, headers={"Location": loc})
        code = secrets.token_urlsafe(24)
        grant = {"provider": provider, "redirect_uri": one("redirect_uri"),
                 "challenge": one("code_challenge"), "nonce": one("nonce"),
                 "scope": one("scope"), "identity": identity, "used": False}
        with self.lock:
            self.codes[code] = grant
        self._hand_out(code)
        loc = one("redirect_uri") + sep + urllib.parse.urlencode(
            {"code": code, "state": one("state")})
        self._send(h, 302, {}, headers={"Location": loc})

    def _refuse_token(self, h, why, status=400):
        with self.lock:
            self.token_refusals.append(why)
        self._send(h, status, {"error": "invalid_grant",
                               "error_description": why})

    def _token(self, h, provider, rec):
        f = rec["form"] if rec["method"] == "POST" else rec["query"]
        one = lambda k: self._one(f, k)  # noqa: E731
        cid, csecret = one("client_id"), one("client_secret")
        auth = rec["headers"].get("authorization", "")
        if auth.startswith("Basic "):     # RFC 6749 §2.3.1 allows either
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            cid, csecret = urllib.parse.unquote(u), urllib.parse.unquote(p)
        if provider != "facebook" and one("grant_type") != "authorization_code":
            return self._refuse_token(h, "grant_type")
        if (cid, csecret) != CLIENTS[provider]:
            return self._refuse_token(h, "client", 401)
        with self.lock:
            grant = self.codes.get(one("code") or "")
            if grant is not None and not grant["used"] and grant["provider"] == provider:
                grant["used"] = not grant.get("multi_use")   # a test's choice
            else:
                grant = None
        if grant is None:
            return self._refuse_token(h, "code")
        if one("redirect_uri") != grant["redirect_uri"]:
            return self._refuse_token(h, "redirect_uri")
        verifier = one("code_verifier")
        if not verifier or not hmac.compare_digest(s256(verifier), grant["challenge"]):
            return self._refuse_token(h, "code_verifier")
        ident = dict(grant["identity"])
        answer = {"token_type": "bearer", "scope": grant["scope"] or ""}
        if provider == "google":
            answer["access_token"] = "ya29." + secrets.token_urlsafe(30)
            self._hand_out(answer["access_token"])
            nonce = ident.pop("nonce", grant["nonce"])
            opts = ident.pop("id_token_options", {})
            no_id = ident.pop("no_id_token", False)
            if nonce is not None:
                ident["nonce"] = nonce
            if not no_id:
                answer["id_token"] = self.id_token("google", **dict(opts, **ident))
            answer["expires_in"] = 3599
        elif provider == "github":
            answer["access_token"] = self.github_token(**ident)
        else:
            answer["access_token"] = self.facebook_token(**ident)
            answer["expires_in"] = 5183944
        if provider == "github" and "json" not in rec["headers"].get("accept", ""):
            # GitHub answers form-encoded unless JSON is asked for.
            return self._send(h, 200, raw=urllib.parse.urlencode(answer).encode(),
                              ctype="application/x-www-form-urlencoded")
        self._send(h, 200, answer)

    def _debug_token(self, h, provider, rec):
        q = rec["query"]
        if self._one(q, "access_token") != FACEBOOK_APP_ID + "|" + FACEBOOK_APP_SECRET:
            return self._send(h, 400, {"error": {
                "message": "Invalid OAuth access token signature.",
                "type": "OAuthException", "code": 190}})
        with self.lock:
            t = self.fb_tokens.get(self._one(q, "input_token") or "")
        if t is None:
            return self._send(h, 200, {"data": {
                "is_valid": False, "error": {"code": 190,
                                             "message": "Invalid OAuth access token."}}})
        self._send(h, 200, {"data": {
            "app_id": t["app_id"], "type": "USER", "application": "mock",
            "expires_at": int(time.time()) + 3600, "is_valid": t["valid"],
            "scopes": ["email", "public_profile"],
            "user_id": t["debug_user_id"]}})

    def _me(self, h, provider, rec):
        q = rec["query"]
        with self.lock:
            t = self.fb_tokens.get(self._one(q, "access_token") or "")
        if t is None or not t["valid"]:
            return self._send(h, 400, {"error": {
                "message": "Invalid OAuth access token.", "type": "OAuthException",
                "code": 190}})
        fields = (self._one(q, "fields") or "id").split(",")
        self._send(h, 200, {k: v for k, v in t["profile"].items()
                            if k in fields or k == "id"})

    def _github_profile(self, h, rec):
        auth = rec["headers"].get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else (
            auth[6:] if auth.startswith("token ") else "")
        with self.lock:
            p = self.gh_tokens.get(token)
        if p is None:
            self._send(h, 401, {"message": "Bad credentials",
                                "documentation_url": "https://docs.github.com/rest"})
        return p

    def _user(self, h, provider, rec):
        p = self._github_profile(h, rec)
        if p is not None:
            self._send(h, 200, {k: v for k, v in p.items() if k != "emails"})

    def _emails(self, h, provider, rec):
        p = self._github_profile(h, rec)
        if p is not None:
            self._send(h, 200, p["emails"])
