# tests/unit/local.mk: included by Makefile.am; more unit tests.
