# SPDX-License-Identifier: ISC
"""Profile photos, the reference's local file driver: POST
/api/v1/files/upload, GET /api/v1/files/{name}, photo {id} on PATCH /me,
FILES_DIR, the unattached cap and gc (API.md §9.11, §1.10, §2.1, §10
items 8 and 30; issue 16 point 3)."""

import os
import re
import stat
import struct
import time
import unittest
import zlib

from harness import (ApiTestCase, serve, unique_email, DEFAULT_PASSWORD,
                     UNAUTHORIZED, USER_KEYS)

S = None
UPLOAD = "/api/v1/files/upload"
BOUNDARY = "----authportalTestBoundary7MA4YWxk"
MAX = 5 * 1024 * 1024
TOO_LARGE_FILE = (b'{"message":"File too large","error":"Payload Too Large",'
                  b'"statusCode":413}')
CANT = b'{"status":422,"errors":{"file":"cantUploadFileType"}}'
NOT_FOUND = b'{"status":404,"error":"notFound"}'
IMAGE_NOT_EXISTS = b'{"status":422,"errors":{"photo":"imageNotExists"}}'


def png_bytes(extra=b""):
    """A real 1x1 PNG (signature, IHDR, IDAT, IEND)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", idat) + chunk(b"IEND", b"") + extra)


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"
       b"\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


def part(name="file", filename="a.png", ctype="image/png", data=b"",
         boundary=BOUNDARY):
    head = 'Content-Disposition: form-data; name="%s"' % name
    if filename is not None:
        head += '; filename="%s"' % filename
    head += "\r\n"
    if ctype is not None:
        head += "Content-Type: %s\r\n" % ctype
    return b"--" + boundary.encode() + b"\r\n" + head.encode() + b"\r\n" + data + b"\r\n"


def body_of(*parts, boundary=BOUNDARY):
    return b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"


def setUpModule():
    global S
    S = serve(port_env=lambda port: {"BACKEND_DOMAIN": "http://localhost:%d" % port})


class FilesCase(ApiTestCase):
    def user(self, server=None):
        server = server or S
        email = server.new_user("files")
        token = server.login_ok(email)["token"]
        return email, token

    def upload(self, token, body, server=None, ctype=None, headers=None):
        hdrs = {"Content-Type": ctype or "multipart/form-data; boundary=" + BOUNDARY}
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        hdrs.update(headers or {})
        return (server or S).request("POST", UPLOAD, body=body, headers=hdrs)

    def upload_ok(self, token, data=None, filename="a.png", server=None):
        r = self.upload(token, body_of(part(filename=filename,
                                            data=data if data is not None else png_bytes())),
                        server=server)
        self.assertStatus(r, 201)
        return r.json()["file"]

    def name_of(self, f):
        return f["path"].rsplit("/", 1)[1]

    def files_dir(self, server=None):
        return (server or S).env["FILES_DIR"]

    def on_disk(self, name, server=None):
        return os.path.exists(os.path.join(self.files_dir(server), name))

    def patch_me(self, token, body, server=None):
        return (server or S).request("PATCH", "/api/v1/auth/me", json_body=body,
                                     headers={"Authorization": "Bearer " + token})


class Upload(FilesCase):
    def test_each_type_is_stored_and_served_with_its_type(self):
        _e, token = self.user()
        for data, ctype, ext in ((png_bytes(), "image/png", "png"),
                                 (JPEG, "image/jpeg", "jpg"),
                                 (GIF, "image/gif", "gif")):
            with self.subTest(ctype):
                r = self.upload(token, body_of(part(filename="x." + ext, ctype=ctype, data=data)))
                self.assertStatus(r, 201)
                self.assertJsonCT(r)
                f = r.json()["file"]
                self.assertEqual(sorted(r.json()), ["file"])
                self.assertEqual(sorted(f), ["id", "path"])
                self.assertRegex(f["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
                self.assertRegex(f["path"], r"^http://localhost:%d/api/v1/files/[0-9a-f]{32}\.%s$"
                                 % (S.port, ext))
                g = S.request("GET", "/api/v1/files/" + self.name_of(f))
                self.assertStatus(g, 200)
                self.assertEqual(g.body, data)
                self.assertEqual(g.headers["content-type"], ctype)
                self.assertEqual(g.headers["x-content-type-options"], "nosniff")
                self.assertEqual(g.headers["content-disposition"], "inline")
                self.assertIn("max-age=31536000", g.headers["cache-control"])
                self.assertIn("sandbox", g.headers["content-security-policy"])

    def test_jpeg_by_name_jpeg_is_stored_as_jpg(self):
        _e, token = self.user()
        f = self.upload_ok(token, JPEG, filename="me.JPEG")
        self.assertTrue(f["path"].endswith(".jpg"), f)

    def test_type_comes_from_the_bytes_not_the_name_or_content_type(self):
        _e, token = self.user()
        # A PNG named .svg and sent as image/svg+xml is a PNG.
        r = self.upload(token, body_of(part(filename="evil.svg", ctype="image/svg+xml",
                                            data=png_bytes())))
        self.assertStatus(r, 201)
        name = self.name_of(r.json()["file"])
        self.assertTrue(name.endswith(".png"), name)
        self.assertEqual(S.request("GET", "/api/v1/files/" + name).headers["content-type"],
                         "image/png")

    def test_svg_html_and_the_rest_are_refused(self):
        _e, token = self.user()
        before = set(os.listdir(self.files_dir())) if os.path.isdir(self.files_dir()) else set()
        cases = {"svg": (SVG, "a.svg", "image/svg+xml"),
                 "html as png": (HTML, "a.png", "image/png"),
                 "svg as png": (SVG, "a.png", "image/png"),
                 "text": (b"hello", "a.gif", "image/gif"),
                 "empty": (b"", "a.png", "image/png"),
                 "truncated png": (b"\x89PNG\r\n\x1a\n", "a.png", "image/png"),
                 "pdf": (b"%PDF-1.4\n", "a.jpg", "image/jpeg")}
        for label, (data, fn, ct) in cases.items():
            with self.subTest(label):
                r = self.upload(token, body_of(part(filename=fn, ctype=ct, data=data)))
                self.assertBody(r, 422, CANT)
        after = set(os.listdir(self.files_dir())) if os.path.isdir(self.files_dir()) else set()
        self.assertEqual(after - before, set())

    def test_no_token_is_401(self):
        r = self.upload(None, body_of(part(data=png_bytes())))
        self.assertBody(r, 401, UNAUTHORIZED)
        r = self.upload("not.a.token", body_of(part(data=png_bytes())))
        self.assertBody(r, 401, UNAUTHORIZED)

    def test_missing_part_is_select_file(self):
        _e, token = self.user()
        r = self.upload(token, b"", ctype="application/json")
        self.assertBody(r, 422, b'{"status":422,"errors":{"file":"selectFile"}}')
        r = self.upload(token, b"{}", ctype="application/json")
        self.assertBody(r, 422, b'{"status":422,"errors":{"file":"selectFile"}}')

    def test_other_parts_are_unexpected(self):
        _e, token = self.user()
        unexpected = b'{"message":"Unexpected field","error":"Bad Request","statusCode":400}'
        cases = {"two files": body_of(part(data=png_bytes()), part(data=png_bytes())),
                 "another name": body_of(part(name="photo", data=png_bytes())),
                 "a text field too": body_of(part(name="x", filename=None, ctype=None, data=b"1"),
                                             part(data=png_bytes())),
                 "file without filename": body_of(part(filename=None, data=png_bytes()))}
        for label, body in cases.items():
            with self.subTest(label):
                self.assertBody(self.upload(token, body), 400, unexpected)

    def test_malformed_multipart_is_400(self):
        _e, token = self.user()
        good = body_of(part(data=png_bytes()))
        cases = {
            "no boundary": (good, "multipart/form-data"),
            "other boundary": (good, "multipart/form-data; boundary=nope"),
            "boundary too long": (good, "multipart/form-data; boundary=" + "a" * 71),
            "boundary with a bad char": (good, "multipart/form-data; boundary=ab<cd"),
            "no close delimiter": (part(data=png_bytes()), None),
            "preamble": (b"junk\r\n" + good, None),
            "epilogue": (good + b"more", None),
            "no part": (b"--" + BOUNDARY.encode() + b"--\r\n", None),
            "no disposition": (b"--" + BOUNDARY.encode() + b"\r\nContent-Type: image/png\r\n\r\n"
                               + png_bytes() + b"\r\n--" + BOUNDARY.encode() + b"--\r\n", None),
            "header too long": (b"--" + BOUNDARY.encode() + b"\r\nX-Pad: " + b"a" * 2000 +
                                b"\r\n" + part(data=png_bytes())[len(BOUNDARY) + 4:] +
                                b"--" + BOUNDARY.encode() + b"--\r\n", None),
            "unterminated headers": (b"--" + BOUNDARY.encode() +
                                     b'\r\nContent-Disposition: form-data; name="file"', None),
            "two dispositions": (b"--" + BOUNDARY.encode() +
                                 b'\r\nContent-Disposition: form-data; name="file"; filename="a"'
                                 b'\r\nContent-Disposition: form-data; name="file"; filename="b"'
                                 b"\r\n\r\n" + png_bytes() + b"\r\n--" + BOUNDARY.encode() +
                                 b"--\r\n", None),
        }
        for label, (body, ct) in cases.items():
            with self.subTest(label):
                r = self.upload(token, body, ctype=ct)
                self.assertStatus(r, 400)
                self.assertJsonCT(r)

    def test_quoted_boundary_and_bare_lf_inside_content(self):
        _e, token = self.user()
        data = png_bytes(b"\n--" + BOUNDARY.encode() + b"\r\n--x")
        r = self.upload(token, body_of(part(data=data)),
                        ctype='multipart/form-data; boundary="%s"' % BOUNDARY)
        self.assertStatus(r, 201)
        g = S.request("GET", "/api/v1/files/" + self.name_of(r.json()["file"]))
        self.assertEqual(g.body, data)

    def test_exactly_5_mb_passes_and_one_byte_more_is_413(self):
        _e, token = self.user()
        data = png_bytes()
        data += b"\x00" * (MAX - len(data))
        f = self.upload_ok(token, data)
        self.assertEqual(S.request("GET", "/api/v1/files/" + self.name_of(f)).body, data)
        r = self.upload(token, body_of(part(data=data + b"\x00")))
        self.assertBody(r, 413, TOO_LARGE_FILE)

    def test_a_body_far_over_is_refused_by_its_length(self):
        _e, token = self.user()
        r = self.upload(token, body_of(part(data=png_bytes() + b"\x00" * (MAX + 64 * 1024))))
        self.assertStatus(r, 413)

    def test_other_routes_keep_the_100_kb_cap(self):
        _e, token = self.user()
        r = S.request("PATCH", "/api/v1/auth/me", body=b'{"firstName":"' + b"a" * 200000 + b'"}',
                      headers={"Authorization": "Bearer " + token})
        self.assertStatus(r, 413)

    def test_check_config_reports_files_dir(self):
        cp = S.cli("check-config")
        self.assertRegex(cp.stdout, r"files\s+%s(: ok| does not exist yet)"
                         % re.escape(self.files_dir()))

    def test_files_dir_is_private(self):
        _e, token = self.user()
        self.upload_ok(token)
        mode = stat.S_IMODE(os.stat(self.files_dir()).st_mode)
        self.assertEqual(mode, 0o700)
        leftovers = [n for n in os.listdir(self.files_dir()) if n.startswith(".")]
        self.assertEqual(leftovers, [])


class Serve(FilesCase):
    def test_unknown_and_malformed_names_are_404(self):
        _e, token = self.user()
        real = self.name_of(self.upload_ok(token))
        for path in ("0" * 32 + ".png", real.upper(), real[:-3] + "svg", real + "x",
                     "x", "upload", "..%2f..%2fauthportal.db", "%2e%2e%2fauthportal.db",
                     "..", ".", "%2e%2e", "..%5cauthportal.db",
                     "authportal.db", ".upload-" + real, real + "%00"):
            with self.subTest(path):
                r = S.request("GET", "/api/v1/files/" + path)
                self.assertIn(r.status, (400, 404), r)
                self.assertJsonCT(r)
                self.assertNotIn(b"SQLite", r.body)

    def test_traversal_outside_the_route(self):
        for path in ("/api/v1/files/../../authportal.db", "/api/v1/files/%2e%2e/authportal.db",
                     "/api/v1/files//etc/passwd", "/api/v1/files/a/../../x"):
            with self.subTest(path):
                r = S.request("GET", path)
                self.assertNotEqual(r.status, 200, r)
                self.assertNotIn(b"SQLite", r.body)

    def test_head_has_no_body(self):
        _e, token = self.user()
        name = self.name_of(self.upload_ok(token))
        r = S.request("HEAD", "/api/v1/files/" + name)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers["content-type"], "image/png")


class Photo(FilesCase):
    def test_set_replace_remove(self):
        email, token = self.user()
        first = self.upload_ok(token)
        r = self.patch_me(token, {"photo": {"id": first["id"]}})
        self.assertStatus(r, 200)
        user = r.json()
        self.assertEqual(user["photo"], first)
        self.assertEqual(list(user), USER_KEYS[:6] + ["photo"] + USER_KEYS[6:])
        self.assertEqual(S.me(token).json()["photo"], first)
        self.assertEqual(S.login_ok(email)["user"]["photo"], first)
        # The same photo again changes nothing.
        self.assertEqual(self.patch_me(token, {"photo": {"id": first["id"]}}).json()["photo"], first)
        # Replaced: the old one is gone, row and bytes.
        second = self.upload_ok(token, GIF, filename="b.gif")
        r = self.patch_me(token, {"photo": {"id": second["id"]}})
        self.assertEqual(r.json()["photo"], second)
        self.assertFalse(self.on_disk(self.name_of(first)))
        self.assertBody(S.request("GET", "/api/v1/files/" + self.name_of(first)), 404, NOT_FOUND)
        self.assertBody(self.patch_me(token, {"photo": {"id": first["id"]}}), 422, IMAGE_NOT_EXISTS)
        # Removed with null: absent from the user, the file gone.
        r = self.patch_me(token, {"photo": None})
        self.assertStatus(r, 200)
        self.assertNotIn("photo", r.json())
        self.assertNotIn("photo", S.me(token).json())
        self.assertFalse(self.on_disk(self.name_of(second)))

    def test_unknown_malformed_and_others_ids_are_image_not_exists(self):
        _e, token = self.user()
        _e2, other = self.user()
        theirs = self.upload_ok(other)
        for pid in ("00000000-0000-4000-8000-000000000000", "not-a-uuid", 42,
                    theirs["id"], theirs["id"].upper()):
            with self.subTest(pid):
                self.assertBody(self.patch_me(token, {"photo": {"id": pid}}), 422,
                                IMAGE_NOT_EXISTS)
        # Another user's photo, once attached, is theirs only.
        self.assertStatus(self.patch_me(other, {"photo": {"id": theirs["id"]}}), 200)
        self.assertBody(self.patch_me(token, {"photo": {"id": theirs["id"]}}), 422,
                        IMAGE_NOT_EXISTS)

    def test_values_the_reference_ignores(self):
        _e, token = self.user()
        for photo in ({}, {"id": ""}, "abc", 5, [], True):
            with self.subTest(photo):
                r = self.patch_me(token, {"photo": photo})
                self.assertStatus(r, 200)
                self.assertNotIn("photo", r.json())

    def test_account_deletion_deletes_the_files(self):
        email, token = self.user()
        photo = self.upload_ok(token)
        self.assertStatus(self.patch_me(token, {"photo": {"id": photo["id"]}}), 200)
        loose = self.upload_ok(token)
        r = S.request("DELETE", "/api/v1/auth/me", headers={"Authorization": "Bearer " + token})
        self.assertStatus(r, 204)
        for f in (photo, loose):
            self.assertFalse(self.on_disk(self.name_of(f)))
            self.assertBody(S.request("GET", "/api/v1/files/" + self.name_of(f)), 404, NOT_FOUND)


class Caps(FilesCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = serve(cls, env={"FILES_MAX_UNATTACHED": "2"})

    def test_unattached_cap(self):
        _e, token = self.user(self.srv)
        a = self.upload_ok(token, server=self.srv)
        self.upload_ok(token, server=self.srv)
        r = self.upload(token, body_of(part(data=png_bytes())), server=self.srv)
        self.assertBody(r, 422, b'{"status":422,"errors":{"file":"tooManyFiles"}}')
        # Attaching one frees a place.
        self.assertStatus(self.patch_me(token, {"photo": {"id": a["id"]}}, server=self.srv), 200)
        self.upload_ok(token, server=self.srv)

    def test_gc_removes_day_old_unattached_uploads_only(self):
        _e, token = self.user(self.srv)
        photo = self.upload_ok(token, server=self.srv)
        self.assertStatus(self.patch_me(token, {"photo": {"id": photo["id"]}}, server=self.srv), 200)
        old = self.upload_ok(token, server=self.srv)
        self.srv.sql("UPDATE files SET created_at = created_at - 86400001 WHERE id IN (?, ?)",
                     (old["id"], photo["id"]))
        cp = self.srv.cli("gc")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("removed 1 file(s)", cp.stdout)
        self.assertFalse(self.on_disk(self.name_of(old), self.srv))
        self.assertTrue(self.on_disk(self.name_of(photo), self.srv))
        self.assertStatus(self.srv.request("GET", "/api/v1/files/" + self.name_of(photo)), 200)


class WebServers(FilesCase):
    """A 5 MB upload gets through every shipped web server, and only the
    upload route takes a body that large."""

    def test_5_mb_through_each_server(self):
        for web in ("fcgid", "cgi", "nginx"):
            with self.subTest(web):
                srv = serve(self.__class__, web=web)
                _e, token = self.user(srv)
                data = png_bytes()
                data += b"\x00" * (MAX - len(data))
                f = self.upload_ok(token, data, server=srv)
                g = srv.request("GET", "/api/v1/files/" + self.name_of(f))
                self.assertEqual(g.body, data)
                self.assertEqual(g.headers["content-type"], "image/png")
                big = b'{"firstName":"' + b"a" * (2 * 1024 * 1024) + b'"}'
                r = srv.request("PATCH", "/api/v1/auth/me", body=big,
                                headers={"Authorization": "Bearer " + token})
                self.assertStatus(r, 413)

    def test_shared_host_htaccess(self):
        """The .htaccess of a shared host routes both routes (its host's
        LimitRequestBody, 1 MiB in the test template, caps the body)."""
        srv = serve(self.__class__, web="htaccess")
        _e, token = self.user(srv)
        f = self.upload_ok(token, GIF, filename="a.gif", server=srv)
        g = srv.request("GET", "/api/v1/files/" + self.name_of(f))
        self.assertEqual(g.body, GIF)
        self.assertEqual(g.headers["content-type"], "image/gif")
        self.assertStatus(self.patch_me(token, {"photo": {"id": f["id"]}}, server=srv), 200)


if __name__ == "__main__":
    unittest.main()
