# SPDX-License-Identifier: ISC
"""Mails in the language of the request (issue 12 point 2; API.md §12,
§10 item 28), against the real lighttpd and the SMTP catcher:

- one test per shipped language (the folders of i18n/): the confirm and
  reset mails' Subject, text line, HTML title, lines and button come from
  i18n/<lang>/*.json as §12.3 says; the confirm-new-email mail too;
- the choice of §12.1 with our differences: the header name of
  APP_HEADER_LANGUAGE matched without case (a mixed-case setting works),
  `FR` is `fr`, `fr-FR`/`fr_FR` are `fr`, `debug` and unknown tags fall
  back, Accept-Language is not used for mails;
- a mail queued while the SMTP server is down and sent later (by `authportal
  mail flush`, which has no request and so no header) keeps the language of
  the request that queued it (the outbox row's lang, sql/009_outbox_lang.sql);
- APP_FALLBACK_LANGUAGE that is not shipped: `authportal check-config` and a
  worker (an executable run as CGI) refuse to start, naming the setting.
"""

import json
import os
import re
import subprocess
import sys
import time

from harness import (ApiTestCase, serve, unique_email, BINDIR, REPO)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
import mailcatch  # noqa: E402

I18N = os.path.join(REPO, "i18n")
APP_NAME = "NestJS API"
FRONT = "http://localhost:3000"
JWT = r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
CONFIRM_URL = re.compile(r"^" + re.escape(FRONT) + r"/confirm-email\?hash=(" + JWT + r")$")
CONFIRM_NEW_URL = re.compile(r"^" + re.escape(FRONT) + r"/confirm-new-email\?hash=(" + JWT + r")$")
RESET_URL = re.compile(r"^" + re.escape(FRONT) + r"/password-change\?hash=(" + JWT +
                       r")&expires=(\d+)$")
FORGOT = "/api/v1/auth/forgot/password"
CONFIRM = "/api/v1/auth/email/confirm"
ME = "/api/v1/auth/me"

S = None


def setUpModule():
    global S
    S = serve(smtp="catcher", env={"APP_NAME": APP_NAME})


def shipped():
    return sorted(d for d in os.listdir(I18N)
                  if os.path.isdir(os.path.join(I18N, d)))


def strings(lang, ns):
    with open(os.path.join(I18N, lang, ns + ".json"), encoding="utf-8") as f:
        return json.load(f)


def esc(s):
    """HTML escaping as lib/domain/mail.c does it."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def mails_to(server, address, want=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        msgs = mailcatch.messages_to(server.mail_dir, address)
        if len(msgs) >= want or time.monotonic() >= deadline:
            return msgs
        time.sleep(0.02)


class LangTestCase(ApiTestCase):
    srv = None

    @property
    def s(self):
        return self.srv or S

    def mail(self, address, kind_re, want=1):
        """The one mail to address whose link matches kind_re."""
        deadline = time.monotonic() + 5.0
        while True:
            mine = [m for m in mails_to(self.s, address, want)
                    if kind_re.match(mailcatch.find_link(m))]
            if mine or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        self.assertEqual(len(mine), 1, "mails to %s" % address)
        return mine[0]

    def register_in(self, headers, prefix="lang"):
        addr = unique_email(prefix)
        self.assertBody(self.s.register(addr, headers=headers), 204, b"")
        return addr

    def lang_of_confirm(self, headers):
        """The language whose common.confirmEmail is the Subject of the
        confirm mail of a registration with headers."""
        msg = self.mail(self.register_in(headers), CONFIRM_URL)
        subject = str(msg["Subject"])
        hits = [l for l in shipped()
                if strings(l, "common")["confirmEmail"] == subject]
        self.assertEqual(len(hits), 1, subject)
        return hits[0]

    def assertConfirmMail(self, msg, lang):
        """Subject, text line, <title>, lines, button of §12.3."""
        common = strings(lang, "common")
        lines = strings(lang, "confirm-email")
        title = common["confirmEmail"]
        url = mailcatch.find_link(msg)
        self.assertRegex(url, CONFIRM_URL)
        self.assertEqual(str(msg["Subject"]), title)
        self.assertEqual(mailcatch.text_part(msg), url + " " + title)
        html = mailcatch.html_part(msg)
        self.assertIn("<title>%s</title>" % esc(title), html)
        self.assertIn(">%s</a>" % esc(title), html)          # the button
        self.assertIn(">%s<br>%s<br>%s</p>" % (
            esc(lines["text1"]), esc(lines["text2"] + " " + APP_NAME + "."),
            esc(lines["text3"])), html)
        self.assertIn(">%s</td>" % esc(APP_NAME), html)       # header cell
        self.assertIn('<html lang="en">', html)                # §12.3

    def assertResetMail(self, msg, lang):
        title = strings(lang, "common")["resetPassword"]
        lines = strings(lang, "reset-password")
        url = mailcatch.find_link(msg)
        self.assertRegex(url, RESET_URL)
        self.assertEqual(str(msg["Subject"]), title)
        self.assertEqual(mailcatch.text_part(msg), url + " " + title)
        html = mailcatch.html_part(msg)
        self.assertIn("<title>%s</title>" % esc(title), html)
        self.assertIn(">%s</a>" % esc(title), html)
        self.assertIn(">%s<br>%s<br>%s</p>" % (
            esc(lines["text1"]), esc(lines["text2"]), esc(lines["text3"])),
            html)
        self.assertIn(">%s</p>" % esc(lines["text4"]), html)


class EachLanguage(LangTestCase):
    """test_<lang> for every folder of i18n/ (added below the class)."""

    def check_language(self, lang):
        h = {"x-custom-lang": lang}
        addr = self.register_in(h, "lang-" + lang)
        self.assertConfirmMail(self.mail(addr, CONFIRM_URL), lang)
        self.assertStatus(self.s.request("POST", FORGOT, json_body={"email": addr},
                                         headers=h), 204)
        self.assertResetMail(self.mail(addr, RESET_URL, want=2), lang)

    def test_shipped_languages_are_the_reference_seven(self):
        self.assertEqual(shipped(), ["ar", "en", "es", "fr", "hi", "uk", "zh"])

    def test_confirm_new_email_mail_in_the_language_of_the_patch(self):
        addr = self.register_in({"x-custom-lang": "en"}, "lang-new")
        m = CONFIRM_URL.match(mailcatch.find_link(self.mail(addr, CONFIRM_URL)))
        self.assertBody(self.s.request("POST", CONFIRM,
                                       json_body={"hash": m.group(1)}), 204, b"")
        tok = self.s.login_ok(addr)["token"]
        new = unique_email("lang-new2")
        r = self.s.request("PATCH", ME, json_body={"email": new},
                           headers=self.s.auth_headers(tok, **{"x-custom-lang": "uk"}))
        self.assertStatus(r, 200)
        msg = self.mail(new, CONFIRM_NEW_URL)
        title = strings("uk", "common")["confirmEmail"]
        lines = strings("uk", "confirm-new-email")
        self.assertEqual(str(msg["Subject"]), title)
        self.assertEqual(mailcatch.text_part(msg),
                         mailcatch.find_link(msg) + " " + title)
        html = mailcatch.html_part(msg)
        self.assertIn(">%s</a>" % esc(title), html)
        self.assertIn(">%s<br>%s<br>%s</p>" % (
            esc(lines["text1"]), esc(lines["text2"]), esc(lines["text3"])), html)

    def test_french_apostrophe_is_escaped_in_html_only(self):
        msg = self.mail(self.register_in({"x-custom-lang": "fr"}), CONFIRM_URL)
        self.assertEqual(str(msg["Subject"]), "Confirmer l'e-mail")
        self.assertTrue(mailcatch.text_part(msg).endswith(" Confirmer l'e-mail"))
        html = mailcatch.html_part(msg)
        self.assertIn(">Confirmer l&#39;e-mail</a>", html)
        self.assertIn("Vous êtes presque prêt à commencer NestJS API.", html)


def _language_test(lang):
    def test(self):
        self.check_language(lang)
    test.__doc__ = "The confirm and reset mails in %s (i18n/%s)." % (lang, lang)
    return test


for _lang in shipped():
    setattr(EachLanguage, "test_" + _lang.replace("-", "_"), _language_test(_lang))


class Choice(LangTestCase):
    """API.md §12.1 with §10 item 28, with the default settings."""

    def test_no_header_is_the_fallback(self):
        self.assertEqual(self.lang_of_confirm({}), "en")

    def test_value_case_is_ignored(self):
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "FR"}), "fr")
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "Zh"}), "zh")

    def test_region_and_script_are_cut(self):
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "fr-FR"}), "fr")
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "fr_FR"}), "fr")
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "zh-Hans-CN"}), "zh")

    def test_debug_and_unknown_fall_back(self):
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "debug"}), "en")
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "xx"}), "en")
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "es, fr"}), "en")

    def test_header_name_of_the_request_in_any_case(self):
        self.assertEqual(self.lang_of_confirm({"X-CUSTOM-LANG": "es"}), "es")
        self.assertEqual(self.lang_of_confirm({"X-Custom-Lang": "hi"}), "hi")

    def test_accept_language_is_not_used_for_mails(self):
        self.assertEqual(self.lang_of_confirm({"Accept-Language": "fr"}), "en")
        self.assertEqual(self.lang_of_confirm(
            {"Accept-Language": "fr", "x-custom-lang": "ar"}), "ar")

    def test_other_header_names_are_not_used(self):
        self.assertEqual(self.lang_of_confirm({"x-lang": "fr"}), "en")

    def test_zz_no_5xx_and_no_crash(self):
        self.assertEqual(self.s.server_errors(), [])
        self.assertEqual(self.s.crash_lines(), [])


class MixedCaseSetting(LangTestCase):
    """APP_HEADER_LANGUAGE=X-Custom-Lang works (the reference's never
    matches) and APP_FALLBACK_LANGUAGE=FR means fr."""

    @classmethod
    def setUpClass(cls):
        cls.srv = serve(cls, smtp="catcher",
                        env={"APP_NAME": APP_NAME,
                             "APP_HEADER_LANGUAGE": "X-Custom-Lang",
                             "APP_FALLBACK_LANGUAGE": "FR"})

    def test_mixed_case_setting_matches(self):
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "es"}), "es")

    def test_fallback_setting_case_is_ignored(self):
        self.assertEqual(self.lang_of_confirm({}), "fr")
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "debug"}), "fr")


class OtherHeaderName(LangTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = serve(cls, smtp="catcher",
                        env={"APP_NAME": APP_NAME,
                             "APP_HEADER_LANGUAGE": "accept-mail-lang"})

    def test_the_named_header_chooses(self):
        self.assertEqual(self.lang_of_confirm({"Accept-Mail-Lang": "uk"}), "uk")

    def test_x_custom_lang_is_then_ignored(self):
        self.assertEqual(self.lang_of_confirm({"x-custom-lang": "uk"}), "en")


class Retry(LangTestCase):
    """A mail queued during an SMTP outage keeps its language."""

    @classmethod
    def setUpClass(cls):
        cls.srv = serve(cls, smtp="catcher", env={"APP_NAME": APP_NAME})

    def queued_rows(self, addr, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            cp = self.s.cli("mail", "list")
            self.assertEqual(cp.returncode, 0, cp.stderr)
            rows = [l.split() for l in cp.stdout.splitlines()[1:]
                    if addr in l.split()]
            if (rows and all(int(r[3]) > 0 for r in rows)) or \
                    time.monotonic() >= deadline:
                return rows
            time.sleep(0.05)

    def test_a_retried_mail_keeps_its_language(self):
        port = self.s.smtp.port
        self.s.smtp.stop()
        try:
            addr = self.register_in({"x-custom-lang": "es"}, "lang-retry")
            rows = self.queued_rows(addr)
            self.assertEqual([(r[1], r[4]) for r in rows], [("confirm", "queued")])
            self.assertEqual(mailcatch.messages_to(self.s.mail_dir, addr), [])
        finally:
            self.assertEqual(self.s.smtp.start(port), port)
        # No request, so no header: only the stored language can say es.
        later = str(int(time.time() * 1000) + 31000)
        cp = self.s.cli("mail", "flush", env={"PTL_FAKE_NOW_MS": later})
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertConfirmMail(self.mail(addr, CONFIRM_URL), "es")

    def test_a_retry_keeps_its_language_when_the_fallback_changes(self):
        port = self.s.smtp.port
        self.s.smtp.stop()
        try:
            addr = self.register_in({"x-custom-lang": "zh"}, "lang-retry2")
            self.queued_rows(addr)
        finally:
            self.assertEqual(self.s.smtp.start(port), port)
        later = str(int(time.time() * 1000) + 31000)
        cp = self.s.cli("mail", "flush", env={"PTL_FAKE_NOW_MS": later,
                                              "APP_FALLBACK_LANGUAGE": "uk"})
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertConfirmMail(self.mail(addr, CONFIRM_URL), "zh")


def run_cgi(env_changes):
    env = dict(S.env)
    env.update({
        "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/health",
        "SCRIPT_NAME": "/api/v1/health", "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
    })
    env.update(env_changes)
    return subprocess.run([os.path.join(BINDIR, "health")], env=env,
                          capture_output=True, timeout=60, cwd=S.tmp)


class UnshippedFallback(LangTestCase):
    def test_check_config_refuses(self):
        cp = self.s.cli("check-config", env={"APP_FALLBACK_LANGUAGE": "de"})
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertIn('APP_FALLBACK_LANGUAGE: "de" is not a shipped language',
                      cp.stderr)
        self.assertIn("ar, en, es, fr, hi, uk, zh", cp.stderr)

    def test_check_config_reports_the_languages(self):
        cp = self.s.cli("check-config")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertRegex(cp.stdout, r"languages.*ar en es fr hi uk zh "
                                    r"\(fallback en, header x-custom-lang\)")

    def test_a_worker_refuses_to_start(self):
        cp = run_cgi({"APP_FALLBACK_LANGUAGE": "de"})
        self.assertEqual(cp.returncode, 1, cp.stdout)
        self.assertEqual(cp.stdout, b"")
        err = cp.stderr.decode("utf-8", "replace")
        self.assertIn('APP_FALLBACK_LANGUAGE: "de" is not a shipped language', err)
        self.assertIn("cannot start", err)

    def test_a_worker_starts_with_a_shipped_fallback(self):
        cp = run_cgi({"APP_FALLBACK_LANGUAGE": "uk"})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn(b'{"status":"ok"}', cp.stdout)

    def test_an_unreadable_folder_refuses_to_start(self):
        cp = run_cgi({"APP_I18N_DIR": os.path.join(S.tmp, "no-such-i18n")})
        self.assertEqual(cp.returncode, 1, cp.stdout)
        self.assertIn(b"APP_I18N_DIR", cp.stderr)

    def test_a_bad_header_setting_refuses_to_start(self):
        cp = run_cgi({"APP_HEADER_LANGUAGE": "x custom:lang"})
        self.assertEqual(cp.returncode, 1, cp.stdout)
        self.assertIn(b"APP_HEADER_LANGUAGE", cp.stderr)
