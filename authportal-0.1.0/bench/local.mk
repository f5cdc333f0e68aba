# bench/local.mk: included by Makefile.am (owned by the benchmark work).
# The programs of script/bench: never installed, never run by make check or
# script/test. `make -j2 bench/floor bench/hashfloor` builds them alone.
noinst_PROGRAMS += bench/floor bench/hashfloor
bench_floor_SOURCES = bench/floor.c
bench_hashfloor_SOURCES = bench/hashfloor.c
