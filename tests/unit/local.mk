# tests/unit/local.mk: included by Makefile.am; more unit tests.
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
