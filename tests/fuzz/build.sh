#!/bin/sh
# SPDX-License-Identifier: ISC
# Builds the libFuzzer targets (every tests/fuzz/fuzz_<name>.c) with clang
# (ASan + UBSan) into tests/fuzz/build/fuzz_<name>, from the library
# sources (so they carry coverage instrumentation). Run from anywhere:
#   sh tests/fuzz/build.sh [NAME...] && tests/fuzz/build/fuzz_json \
#       -max_total_time=60 tests/fuzz/corpus/json
# script/fuzz builds and runs them all. Crashes found go into
# tests/fuzz/corpus/<name>/ (make check replays them).
set -eu
cd "$(dirname "$0")/../.."
out=tests/fuzz/build
mkdir -p "$out"
CC=${CC:-clang}
flags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-DHAVE_CONFIG_H -D_GNU_SOURCE -I. -Ilib -Itests \
	-DPTL_MAIL_TEMPLATE_DIR=\"$PWD/mail\" -DPTL_FUZZ_I18N_DIR=\"$PWD/i18n\" $(pkg-config --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)"
libs="-lfcgi -lsqlite3 -lsodium -ljwt -lcjson -lcurl -lcrypto -lcrypt -lm"
if [ $# -gt 0 ]; then
	names="$*"
else
	names=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||' | grep -vx app)
fi
[ -f config.h ] || { echo "build.sh: run ./configure first" >&2; exit 1; }
# The library once, as objects; each target links them. An object is made
# again when its source, a header, config.h or this script is newer.
objs=$out/obj
mkdir -p "$objs"
stale() {
	[ ! -f "$1" ] || [ "$2" -nt "$1" ] ||
	[ -n "$(find lib tests config.h -name '*.h' \
		-newer "$1" -print 2>/dev/null | head -n 1)" ] ||
	[ tests/fuzz/build.sh -nt "$1" ]
}
for src in lib/*/*.c tests/memio.c tests/fuzz/fuzz_app.c; do
	o=$objs/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	if stale "$o" "$src"; then
		# shellcheck disable=SC2086
		$CC $flags -fsanitize=fuzzer-no-link -c -o "$o" "$src"
	fi
done
built=
for t in $names; do
	# shellcheck disable=SC2086
	$CC $flags -fsanitize=fuzzer -o "$out/fuzz_$t" tests/fuzz/fuzz_$t.c \
		"$objs"/*.o $libs
	built="$built $out/fuzz_$t"
done
echo "built:$built"
