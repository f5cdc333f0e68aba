# tests/unit/local.mk: included by Makefile.am; more unit tests.
check_PROGRAMS += tests/unit/test_json
tests_unit_test_json_SOURCES = tests/unit/test_json.c tests/tap.h
