/* SPDX-License-Identifier: ISC */
/*
 * test_i18n: the message files and the choice of a language
 * (lib/domain/i18n.c, API.md §12, §10 item 28). The shipped files of
 * $srcdir/i18n: all seven languages, the strings of §12.2 verbatim; the
 * header resolution table of §12.1 with our case-insensitive match;
 * Accept-Language q-values (RFC 9110 §12.5.4); nested keys and the
 * fallback per key, from files written into a temporary folder; and each
 * file the loader refuses, an unshipped fallback first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "domain/app.h"
#include "domain/i18n.h"
#include "fixture.h"
#include "tap.h"

static struct ptl_arena *arena;
static char tmp[64];
static const char *shipped_dir;

static void
put(const char *rel, const char *text)
{
	char *path = ptl_mem_printf(arena, "%s/%s", tmp, rel);
	char *slash = strrchr(path, '/');
	FILE *f;

	*slash = '\0';
	(void)mkdir(path, 0700);
	*slash = '/';
	f = fopen(path, "w");
	if (f == NULL)
		return;
	(void)fputs(text, f);
	(void)fclose(f);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes our own mkdtemp folder, if any. */
static void
rm_tree(void)
{
	if (strncmp(tmp, "/tmp/ptl-i18n.", 14) == 0)
		(void)nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmp[0] = '\0';
}

static bool
fresh_tree(void)
{
	rm_tree();
	(void)snprintf(tmp, sizeof(tmp), "/tmp/ptl-i18n.XXXXXX");
	return mkdtemp(tmp) != NULL;
}

static const char *const shipped[] = {"ar", "en", "es", "fr", "hi", "uk", "zh"};

static void
test_shipped(struct ptl_i18n *t)
{
	size_t i;

	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++)
		ok(strcmp(ptl_i18n_pick(t, shipped[i], NULL), shipped[i]) == 0,
		   "%s is shipped", shipped[i]);
	is_str(ptl_i18n_get(t, "en", "common", "confirmEmail"), "Confirm email",
	       "en common.confirmEmail");
	is_str(ptl_i18n_get(t, "en", "confirm-email", "text2"),
	       "You\u2019re almost ready to start enjoying",
	       "en text2 with U+2019");
	is_str(ptl_i18n_get(t, "fr", "common", "confirmEmail"),
	       "Confirmer l'e-mail",
	       "fr common.confirmEmail, ASCII apostrophe");
	is_str(ptl_i18n_get(t, "fr", "confirm-email", "text1"), "Salut !",
	       "fr text1, an ordinary space before !");
	is_str(ptl_i18n_get(t, "es", "common", "resetPassword"),
	       "Restablecer contraseña", "es common.resetPassword");
	is_str(ptl_i18n_get(t, "zh", "reset-password", "text4"),
	       "如果您没有发出此请求，请忽略此电子邮件。", "zh text4");
	is_str(ptl_i18n_get(t, "uk", "confirm-new-email", "text2"),
	       "Підтвердіть свою нову електронну адресу.", "uk text2");
	is_str(ptl_i18n_get(t, "hi", "common", "resetPassword"),
	       "पासवर्ड रीसेट करें", "hi common.resetPassword");
	is_str(ptl_i18n_get(t, "ar", "common", "confirmEmail"),
	       "تأكيد البريد الإلكتروني", "ar common.confirmEmail");
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		const char *l = shipped[i];
		bool all = ptl_i18n_get(t, l, "confirm-email", "text3") &&
			   ptl_i18n_get(t, l, "confirm-new-email", "text3") &&
			   ptl_i18n_get(t, l, "reset-password", "text4") &&
			   ptl_i18n_get(t, l, "common", "resetPassword");

		ok(all, "%s has the keys of §12.2", l);
	}
	ok(ptl_i18n_get(t, "en", "common", "nope") == NULL,
	   "an absent key is NULL");
	ok(ptl_i18n_get(t, "en", "nope", "confirmEmail") == NULL,
	   "an absent namespace is NULL");
	is_str(ptl_i18n_get(t, NULL, "common", "confirmEmail"), "Confirm email",
	       "lang NULL is the fallback");
	is_str(ptl_i18n_get(t, "FR", "common", "confirmEmail"),
	       "Confirmer l'e-mail", "get takes a tag in any case");
	is_str(ptl_i18n_fallback(t), "en", "the fallback");
}

/* API.md §12.1's table, with §10 item 28 (FR is fr, debug falls back). */
static void
test_header(struct ptl_i18n *t)
{
	static const struct {
		const char *header, *want;
	} cases[] = {
	    {NULL, "en"},    {"", "en"},        {"en", "en"},
	    {"xx", "en"},    {"FR", "fr"},      {"es, fr", "en"},
	    {"fr", "fr"},    {"fr-FR", "fr"},   {"fr_FR", "fr"},
	    {"zh", "zh"},    {"zh-CN", "zh"},   {"ar", "ar"},
	    {"es", "es"},    {"hi", "hi"},      {"uk", "uk"},
	    {" es", "es"},   {"es\t ", "es"},   {"debug", "en"},
	    {"DEBUG", "en"}, {"fr-CA_y", "fr"}, {"Zh-Hant-TW", "zh"},
	    {"-", "en"},     {"_fr", "en"},     {"fr-", "fr"},
	    {"f", "en"},     {"frr", "en"},     {"\xff\xfe", "en"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(ptl_i18n_pick(t, cases[i].header, NULL), cases[i].want,
		       ptl_mem_printf(arena, "header '%s'",
				      cases[i].header ? cases[i].header
						      : "(none)"));
	{
		char *big = ptl_mem_alloc(arena, 100001);

		memset(big, 'a', 100000);
		big[0] = 'f';
		big[1] = 'r';
		big[2] = '-';
		big[100000] = '\0';
		is_str(ptl_i18n_pick(t, big, NULL), "en",
		       "a 100 kB header names no language");
	}
}

static void
test_accept(struct ptl_i18n *t)
{
	static const struct {
		const char *header, *accept, *want;
	} cases[] = {
	    {NULL, "fr", "fr"},
	    {NULL, "de, fr;q=0.8, es;q=0.9", "es"},
	    {NULL, "fr-CH, fr;q=0.9, en;q=0.8", "fr"},
	    {NULL, "fr;q=0.5, es;q=0.5", "fr"},
	    {NULL, "fr;q=0", "en"},
	    {NULL, "fr;q=0.000, uk;q=0.001", "uk"},
	    {NULL, "fr;q=1.5, uk;q=0.2", "uk"},
	    {NULL, "fr;q=0.1234, uk;q=0.2", "uk"},
	    {NULL, "fr;x=1, uk;q=0.2", "uk"},
	    {NULL, "*;q=1, uk;q=0.1", "uk"},
	    {NULL, "*", "en"},
	    {NULL, "", "en"},
	    {NULL, ",,,;;;", "en"},
	    {NULL, "es ; Q=1.000 , fr;q=0.9", "es"},
	    {NULL, "zh-Hans-CN;q=0.3, ar;q=0.2", "zh"},
	    {"uk", "fr", "uk"},
	    {"xx", "fr", "fr"},
	    {"debug", "es", "es"},
	};
	size_t i;
	struct ptl_buf b;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(
		    ptl_i18n_pick(t, cases[i].header, cases[i].accept),
		    cases[i].want,
		    ptl_mem_printf(arena,
				   "header '%s', Accept-Language "
				   "'%s'",
				   cases[i].header ? cases[i].header : "(none)",
				   cases[i].accept));
	/* Only the first 32 members are read. */
	ptl_buf_init(&b, arena, 1024, 4096);
	for (i = 0; i < 32; i++)
		ptl_buf_adds(&b, "de;q=0.9, ");
	ptl_buf_adds(&b, "fr");
	is_str(ptl_i18n_pick(t, NULL, b.data), "en",
	       "the 33rd member of Accept-Language is not read");
	is_str(ptl_i18n_pick(t, NULL, b.data + 10), "fr",
	       "the 32nd member of Accept-Language is read");
}

static enum ptl_err
load_tmp(struct ptl_i18n **t, const char *fallback)
{
	return ptl_i18n_load(t, tmp, fallback);
}

static void
test_files(void)
{
	struct ptl_i18n *t = NULL;

	if (!fresh_tree())
		return;
	put("en/pages.json", "{\"confirmEmail\": {\"title\": \"Confirm\", "
			     "\"deep\": {\"er\": \"x\"}}, \"flat\": \"F\"}");
	put("en/common.json", "{\"confirmEmail\": \"Confirm email\"}");
	put("fr/pages.json", "{\"flat\": \"P\"}");
	put("fr/README.md", "not a message file");
	put(".hidden/common.json", "{\"confirmEmail\": 1}");
	put("en/.common.json", "[1]");
	put("bad name/common.json", "{\"confirmEmail\": 1}");
	ok(load_tmp(&t, "EN") == PTL_OK,
	   "a tree with nested keys and files to skip loads");
	if (t == NULL)
		return;
	is_str(ptl_i18n_fallback(t), "en", "APP_FALLBACK_LANGUAGE EN is en");
	is_str(ptl_i18n_get(t, "en", "pages", "confirmEmail.title"), "Confirm",
	       "a nested key, dotted");
	is_str(ptl_i18n_get(t, "en", "pages", "confirmEmail.deep.er"), "x",
	       "two levels");
	ok(ptl_i18n_get(t, "en", "pages", "confirmEmail") == NULL,
	   "an object is no string");
	is_str(ptl_i18n_get(t, "fr", "pages", "flat"), "P", "fr's own string");
	is_str(ptl_i18n_get(t, "fr", "pages", "confirmEmail.title"), "Confirm",
	       "a key fr lacks comes from the fallback");
	is_str(ptl_i18n_get(t, "fr", "common", "confirmEmail"), "Confirm email",
	       "a namespace fr lacks too");
	is_str(ptl_i18n_get(t, "xx", "pages", "flat"), "F",
	       "an unknown language is the fallback");
	is_str(ptl_i18n_pick(t, "hidden", NULL), "en",
	       "a dot folder is no language");
	ptl_i18n_free(t);
	ptl_i18n_free(NULL);
}

/* One tree, one file, and whether the load must fail. */
static void
refused(const char *rel, const char *text, const char *what)
{
	struct ptl_i18n *t = NULL;

	if (!fresh_tree())
		return;
	put("en/common.json", "{\"confirmEmail\": \"Confirm email\"}");
	put(rel, text);
	ok(load_tmp(&t, "en") == PTL_ERR_INTERNAL && t == NULL, "%s", what);
	ptl_i18n_free(t);
}

static void
test_refused(void)
{
	struct ptl_i18n *t = NULL;
	char *big;

	refused("en/a.json", "{\"k\": 1}", "a number value is refused");
	refused("en/a.json", "{\"k\": null}", "a null value is refused");
	refused("en/a.json", "{\"k\": [\"x\"]}", "an array value is refused");
	refused("en/a.json", "[\"x\"]", "a top-level array is refused");
	refused("en/a.json", "\"x\"", "a top-level string is refused");
	refused("en/a.json", "{\"k\": \"x\"", "broken JSON is refused");
	refused("en/a.json", "{\"k\": \"a\\u0000b\"}", "a NUL is refused");
	refused("en/a.json", "{\"k\": \"\xff\"}", "invalid UTF-8 is refused");
	refused("en/a.json", "{\"k\": \"x\", \"k\": \"y\"}",
		"a name given twice is refused");
	refused("en/a.json", "{\"a.b\": \"x\", \"a\": {\"b\": \"y\"}}",
		"a dotted name given twice is refused");
	refused("EN/common.json", "{}", "folders en and EN are refused");
	big = ptl_mem_alloc(arena, PTL_I18N_FILE_MAX + 16);
	memset(big, ' ', PTL_I18N_FILE_MAX + 15);
	big[0] = '{';
	memcpy(big + PTL_I18N_FILE_MAX + 13, "}", 2);
	refused("en/a.json", big, "a file over 256 KiB is refused");
	big = ptl_mem_alloc(arena, 2 * PTL_I18N_KEY_MAX);
	memset(big, 'k', 2 * PTL_I18N_KEY_MAX - 1);
	big[2 * PTL_I18N_KEY_MAX - 1] = '\0';
	refused("en/a.json", ptl_mem_printf(arena, "{\"%s\": \"x\"}", big),
		"a name over 128 bytes is refused");
	refused("fr/a.json", "{\"k\": 1}",
		"a bad file of another language "
		"is refused too");

	if (fresh_tree()) {
		put("en/common.json", "{\"confirmEmail\": \"Confirm email\"}");
		ok(load_tmp(&t, "de") == PTL_ERR_INTERNAL && t == NULL,
		   "an unshipped fallback is refused");
		ok(load_tmp(&t, "e") == PTL_ERR_INTERNAL,
		   "a prefix of a shipped language is no fallback");
		ok(load_tmp(&t, "en-US") == PTL_ERR_INTERNAL,
		   "nor is a longer tag");
	}
	ok(ptl_i18n_load(&t, "/nonexistent/i18n", "en") == PTL_ERR_INTERNAL,
	   "a missing folder is refused");
	if (fresh_tree())
		ok(load_tmp(&t, "en") == PTL_ERR_INTERNAL,
		   "an empty folder has no fallback");
}

/* The app loads the table at start and refuses an unshipped fallback. */
static void
test_app(void)
{
	struct ptl_app app;

	fix_env();
	setenv("APP_I18N_DIR", shipped_dir, 1);
	setenv("APP_FALLBACK_LANGUAGE", "fr", 1);
	if (ok(ptl_app_load(&app) == PTL_OK, "the app starts with fr")) {
		is_str(ptl_i18n_fallback(app.i18n), "fr",
		       "the app's table falls back to fr");
		is_str(app.cfg.header_language_var, "HTTP_X_CUSTOM_LANG",
		       "the header's CGI variable");
	}
	ptl_app_close(&app);
}

static void
test_app_refused(void)
{
	struct ptl_app app;

	fix_env();
	setenv("APP_I18N_DIR", shipped_dir, 1);
	setenv("APP_FALLBACK_LANGUAGE", "de", 1);
	ok(ptl_app_load(&app) == PTL_ERR_INTERNAL,
	   "the app refuses to start with APP_FALLBACK_LANGUAGE=de");
	ptl_app_close(&app);
}

/* A language header that CGI never passes is refused at start. */
static void
test_app_header(void)
{
	struct ptl_app app;

	fix_env();
	setenv("APP_I18N_DIR", shipped_dir, 1);
	setenv("APP_HEADER_LANGUAGE", "Content-Type", 1);
	ok(ptl_app_load(&app) == PTL_ERR_INTERNAL,
	   "the app refuses APP_HEADER_LANGUAGE=Content-Type");
	ptl_app_close(&app);
	setenv("APP_HEADER_LANGUAGE", "x custom", 1);
	ok(ptl_app_load(&app) == PTL_ERR_INTERNAL,
	   "the app refuses a header name with a space");
	ptl_app_close(&app);
}

int
main(void)
{
	const char *srcdir = getenv("srcdir");
	const char *dir;
	struct ptl_i18n *t = NULL;

	arena = ptl_mem_new();
	dir = ptl_mem_printf(arena, "%s/i18n", srcdir != NULL ? srcdir : ".");
	if (!ok(ptl_i18n_load(&t, dir, "en") == PTL_OK,
		"the shipped message files load")) {
		ptl_mem_free(arena);
		return done();
	}
	test_shipped(t);
	test_header(t);
	test_accept(t);
	ptl_i18n_free(t);
	test_files();
	test_refused();
	rm_tree();
	shipped_dir = dir;
	fix_fork(test_app, "the app with fr");
	fix_fork(test_app_refused, "the app with de");
	fix_fork(test_app_header, "the app with a bad header name");
	ptl_mem_free(arena);
	return done();
}
