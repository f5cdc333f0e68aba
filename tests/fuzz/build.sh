#!/bin/sh
# SPDX-License-Identifier: ISC
# Builds the libFuzzer targets with clang (ASan + UBSan) into
# tests/fuzz/build/, from the library sources (so they carry coverage
# instrumentation). Run from the configured source tree:
#   sh tests/fuzz/build.sh && tests/fuzz/build/fuzz_json -max_total_time=60 \
#       tests/fuzz/corpus/json
# Crashes found go into tests/fuzz/corpus/<target>/ (make check replays them).
set -eu
cd "$(dirname "$0")/../.."
out=tests/fuzz/build
mkdir -p "$out"
CC=${CC:-clang}
flags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-DHAVE_CONFIG_H -D_GNU_SOURCE -I. -Ilib -Itests \
	-DPTL_MAIL_TEMPLATE_DIR=\"$PWD/mail\" $(pkg-config --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)"
libs="-lfcgi -lsqlite3 -lsodium -ljwt -lcjson -lcurl -lcrypto -lcrypt -lm"
for t in json jwt request; do
	# shellcheck disable=SC2086
	$CC $flags -fsanitize=fuzzer -o "$out/fuzz_$t" tests/fuzz/fuzz_$t.c \
		tests/fuzz/fuzz_app.c tests/memio.c lib/*/*.c $libs
done
echo "built: $out/fuzz_json $out/fuzz_jwt $out/fuzz_request"
