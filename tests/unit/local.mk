# tests/unit/local.mk: included by Makefile.am; more unit tests.
# Tests that need a struct ptl_app share tests/unit/fixture.h; those that
# serve requests, and the fuzz targets, share tests/memio.c (a transport).
check_PROGRAMS += tests/unit/test_json
tests_unit_test_json_SOURCES = tests/unit/test_json.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_crypto
tests_unit_test_crypto_SOURCES = tests/unit/test_crypto.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_cfg
tests_unit_test_cfg_SOURCES = tests/unit/test_cfg.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_token
tests_unit_test_token_SOURCES = tests/unit/test_token.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_session
tests_unit_test_session_SOURCES = tests/unit/test_session.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_account
tests_unit_test_account_SOURCES = tests/unit/test_account.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_db
tests_unit_test_db_SOURCES = tests/unit/test_db.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_ratelimit
tests_unit_test_ratelimit_SOURCES = tests/unit/test_ratelimit.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_endpoint
tests_unit_test_endpoint_SOURCES = tests/unit/test_endpoint.c tests/unit/fixture.h tests/tap.h \
	tests/memio.c tests/memio.h
check_PROGRAMS += tests/unit/test_form
tests_unit_test_form_SOURCES = tests/unit/test_form.c tests/unit/fixture.h tests/tap.h \
	tests/memio.c tests/memio.h
check_PROGRAMS += tests/unit/test_pair
tests_unit_test_pair_SOURCES = tests/unit/test_pair.c tests/unit/fixture.h tests/tap.h \
	tests/memio.c tests/memio.h
# The use cases of lib/domain/: one test program per module.
check_PROGRAMS += tests/unit/test_signup
tests_unit_test_signup_SOURCES = tests/unit/test_signup.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_signin
tests_unit_test_signin_SOURCES = tests/unit/test_signin.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_device
tests_unit_test_device_SOURCES = tests/unit/test_device.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_password
tests_unit_test_password_SOURCES = tests/unit/test_password.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_me
tests_unit_test_me_SOURCES = tests/unit/test_me.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_health
tests_unit_test_health_SOURCES = tests/unit/test_health.c tests/unit/fixture.h tests/tap.h
# Mail: the encoders, delivery, and the queue (catcher.h is an SMTP server
# on loopback, in a child process).
check_PROGRAMS += tests/unit/test_mime
tests_unit_test_mime_SOURCES = tests/unit/test_mime.c tests/unit/mime_reader.h tests/tap.h
check_PROGRAMS += tests/unit/test_smtp
tests_unit_test_smtp_SOURCES = tests/unit/test_smtp.c tests/unit/catcher.h tests/tap.h
check_PROGRAMS += tests/unit/test_outbox
tests_unit_test_outbox_SOURCES = tests/unit/test_outbox.c tests/unit/catcher.h \
	tests/unit/fixture.h tests/tap.h

# Fuzz-corpus replay (tests/fuzz/): one TAP program per target, run over
# $srcdir/tests/fuzz/corpus/<target>/ by every make check (and by the
# ASan+UBSan build of script/test). Each links replay.c with its target.
check_PROGRAMS += tests/fuzz/replay_cookie tests/fuzz/replay_email \
	tests/fuzz/replay_form tests/fuzz/replay_json tests/fuzz/replay_jwt \
	tests/fuzz/replay_redirect tests/fuzz/replay_refresh \
	tests/fuzz/replay_request tests/fuzz/replay_jwks tests/fuzz/replay_lang \
	tests/fuzz/replay_multipart tests/fuzz/replay_tmpl
FUZZ_COMMON = tests/fuzz/replay.c tests/fuzz/fuzz.h tests/fuzz/fuzz_app.c \
	tests/memio.c tests/memio.h tests/fuzz/build.sh
tests_fuzz_replay_cookie_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_cookie.c
tests_fuzz_replay_cookie_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"cookie"'
tests_fuzz_replay_email_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_email.c
tests_fuzz_replay_email_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"email"'
tests_fuzz_replay_form_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_form.c
tests_fuzz_replay_form_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"form"'
tests_fuzz_replay_json_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_json.c
tests_fuzz_replay_json_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"json"'
tests_fuzz_replay_jwt_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_jwt.c
tests_fuzz_replay_jwt_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"jwt"'
tests_fuzz_replay_redirect_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_redirect.c
tests_fuzz_replay_redirect_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"redirect"'
tests_fuzz_replay_refresh_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_refresh.c
tests_fuzz_replay_refresh_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"refresh"'
tests_fuzz_replay_request_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_request.c
tests_fuzz_replay_request_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"request"'
tests_fuzz_replay_jwks_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_jwks.c
tests_fuzz_replay_jwks_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"jwks"'
tests_fuzz_replay_lang_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_lang.c
tests_fuzz_replay_lang_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"lang"'
tests_fuzz_replay_multipart_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_multipart.c
tests_fuzz_replay_multipart_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"multipart"'
tests_fuzz_replay_tmpl_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz_tmpl.c
tests_fuzz_replay_tmpl_CPPFLAGS = $(AM_CPPFLAGS) -DPTL_FUZZ_CORPUS='"tmpl"'
# The corpora travel with the tarball (EXTRA_DIST is Makefile.am's).
dist_noinst_DATA = tests/fuzz/corpus
# script/fuzz runs the targets with libFuzzer, with these dictionaries.
EXTRA_DIST += script/fuzz tests/fuzz/cookie.dict tests/fuzz/email.dict \
	tests/fuzz/form.dict tests/fuzz/jwt.dict tests/fuzz/redirect.dict \
	tests/fuzz/refresh.dict tests/fuzz/request.dict tests/fuzz/jwks.dict \
	tests/fuzz/multipart.dict
# The arena and the wiping of secrets: free() is wrapped to inspect what
# is freed (tests/unit/test_mem.c).
check_PROGRAMS += tests/unit/test_mem
tests_unit_test_mem_SOURCES = tests/unit/test_mem.c tests/unit/fixture.h tests/tap.h
tests_unit_test_mem_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=free
# The escaping of log lines and of the admin tool's output.
check_PROGRAMS += tests/unit/test_log
tests_unit_test_log_SOURCES = tests/unit/test_log.c tests/tap.h
check_PROGRAMS += tests/unit/test_audit
tests_unit_test_audit_SOURCES = tests/unit/test_audit.c tests/unit/fixture.h tests/tap.h
# lib/base/paths.c: the build tree's defaults and the installed ones.
check_PROGRAMS += tests/unit/test_paths
tests_unit_test_paths_SOURCES = tests/unit/test_paths.c tests/tap.h
# The admin tool's use cases (lib/domain/admin.c).
check_PROGRAMS += tests/unit/test_admin
tests_unit_test_admin_SOURCES = tests/unit/test_admin.c tests/unit/fixture.h \
	tests/tap.h
# Social sign-in: outbound HTTP against a loopback server (httpd.h), JWKS
# and RS256 with keys made by libcrypto, and the use cases.
check_PROGRAMS += tests/unit/test_http
tests_unit_test_http_SOURCES = tests/unit/test_http.c tests/unit/httpd.h tests/tap.h
check_PROGRAMS += tests/unit/test_jwk
tests_unit_test_jwk_SOURCES = tests/unit/test_jwk.c tests/tap.h
check_PROGRAMS += tests/unit/test_social
tests_unit_test_social_SOURCES = tests/unit/test_social.c tests/unit/httpd.h \
	tests/unit/fixture.h tests/tap.h
# The message files and the choice of a language (API.md §12).
check_PROGRAMS += tests/unit/test_i18n
tests_unit_test_i18n_SOURCES = tests/unit/test_i18n.c tests/unit/fixture.h tests/tap.h
# The API documentation: GET /docs-json and the HTML page of GET /docs.
check_PROGRAMS += tests/unit/test_docs
tests_unit_test_docs_SOURCES = tests/unit/test_docs.c tests/unit/fixture.h tests/tap.h
# The users admin API's use cases (lib/domain/users.c).
check_PROGRAMS += tests/unit/test_users
tests_unit_test_users_SOURCES = tests/unit/test_users.c tests/unit/fixture.h \
	tests/tap.h
# Uploads: the multipart reader and the files use case (issue 16).
check_PROGRAMS += tests/unit/test_multipart
tests_unit_test_multipart_SOURCES = tests/unit/test_multipart.c tests/tap.h
check_PROGRAMS += tests/unit/test_files
tests_unit_test_files_SOURCES = tests/unit/test_files.c tests/unit/fixture.h tests/tap.h
check_PROGRAMS += tests/unit/test_upload
tests_unit_test_upload_SOURCES = tests/unit/test_upload.c tests/unit/fixture.h tests/tap.h \
	tests/memio.c tests/memio.h
# The template engine and the User-Agent words of the account pages.
check_PROGRAMS += tests/unit/test_tmpl
tests_unit_test_tmpl_SOURCES = tests/unit/test_tmpl.c tests/tap.h
check_PROGRAMS += tests/unit/test_ua
tests_unit_test_ua_SOURCES = tests/unit/test_ua.c tests/tap.h
# PostgreSQL: sql/pg/ against sql/, and every statement's PostgreSQL text
# prepared on it (skipped without PTL_TEST_DATABASE_URL unless
# PTL_TEST_PG=1). tests/unit/sqldump prints the statement table for it.
noinst_PROGRAMS += tests/unit/sqldump
TESTS += tests/tools/pgsql-check
tests_unit_sqldump_SOURCES = tests/unit/sqldump.c
check_PROGRAMS += tests/unit/test_db_pg
tests_unit_test_db_pg_SOURCES = tests/unit/test_db_pg.c tests/unit/fixture.h tests/tap.h \
	tests/memio.c tests/memio.h
# Its own checks query the server with libpq directly.
tests_unit_test_db_pg_LDADD = $(LDADD) $(PQ_LIBS)
# db_pg.c again, with a libpq soname that names no library: its own
# ptl_pg_* come before libptl.a's.
check_PROGRAMS += tests/unit/test_pg_noload
tests_unit_test_pg_noload_SOURCES = tests/unit/test_pg_noload.c \
	lib/adapters/db_pg.c tests/tap.h
tests_unit_test_pg_noload_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPTL_PQ_SONAME='"libpq-absent.so.0"'
check_PROGRAMS += tests/unit/test_copydb
tests_unit_test_copydb_SOURCES = tests/unit/test_copydb.c tests/unit/fixture.h tests/tap.h
