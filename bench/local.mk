# bench/local.mk: included by Makefile.am (owned by the benchmark work).
# The programs of script/bench: never installed, never run by make check or
# script/test. `make -j2 bench/floor bench/hashfloor` builds them alone.
noinst_PROGRAMS += bench/floor bench/hashfloor
bench_floor_SOURCES = bench/floor.c
bench_hashfloor_SOURCES = bench/hashfloor.c
# The scripts of script/bench, in the tarball: tests/integration/
# test_bench_tools.py runs the seed, the social pool and the comparison.
EXTRA_DIST += bench/wrk/bench.lua bench/seed-scale.py bench/social.py \
	bench/cgi.py bench/compare.py
