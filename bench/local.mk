# bench/local.mk: included by Makefile.am (owned by the benchmark work).
