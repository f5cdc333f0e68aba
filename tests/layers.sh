#!/bin/sh
# SPDX-License-Identifier: ISC
# The layer rules of docs/internals.md, as a TAP test. Each lib/ file lives
# in the folder of its layer and names the layer in every project include
# ("base/str.h"); a file may include its own layer and the ones below it:
#   base      base
#   adapters  base, adapters          (the only third-party headers)
#   domain    base, adapters, domain
#   web       base, adapters, domain, web
#   cgi-bin/  web, domain             (never a third-party header)
#   src/      any lib layer           (never a third-party header)
# A quoted include that names no layer (other than config.h) is refused
# too, so a moved file cannot hide behind -I.
#
# Usage: tests/layers.sh [ROOT]. Without ROOT it first proves itself on a
# scratch tree with one wrong include of each kind (each must be caught),
# then checks $srcdir (the source tree).
set -u

# Third-party headers: SQLite, cJSON, libsodium, libjwt, OpenSSL, libcurl,
# libfcgi, libpq.
third='^(sqlite3|sqlite3ext|cjson/.*|sodium|sodium/.*|jwt|openssl/.*|curl/.*|fcgiapp|fcgi_stdio|fcgio|fcgi_config|libpq-fe)\.h$'

# Prints one line per violation found under $1; prints nothing when clean.
check_tree() {
	root=$1
	for f in "$root"/lib/*/*.c "$root"/lib/*/*.h "$root"/cgi-bin/*.c \
		"$root"/src/*.c; do
		[ -f "$f" ] || continue
		rel=${f#"$root"/}
		case $rel in
		lib/base/*) kind=base allowed='base' ;;
		lib/adapters/*) kind=adapters allowed='base adapters' ;;
		lib/domain/*) kind=domain allowed='base adapters domain' ;;
		lib/web/*) kind=web allowed='base adapters domain web' ;;
		cgi-bin/*) kind=cgi-bin allowed='web domain' ;;
		src/*) kind=src allowed='base adapters domain web' ;;
		lib/*) echo "$rel: not in a layer folder"; continue ;;
		esac
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"]\)\([^>"]*\)[>"].*/\1 \2/p' "$f" |
		while read -r quote header; do
			if [ "$quote" = '<' ]; then
				if echo "$header" | grep -Eq "$third" &&
				   [ "$kind" != adapters ]; then
					echo "$rel: third-party <$header> outside lib/adapters/"
				fi
				continue
			fi
			[ "$header" = config.h ] && continue
			layer=${header%%/*}
			if [ "$layer" = "$header" ]; then
				echo "$rel: \"$header\" names no layer"
				continue
			fi
			ok=no
			for l in $allowed; do
				[ "$l" = "$layer" ] && ok=yes
			done
			[ $ok = yes ] || echo "$rel: $kind includes \"$header\""
		done
	done
}

if [ $# -gt 0 ]; then
	out=$(check_tree "$1")
	[ -z "$out" ] && exit 0
	echo "$out"
	exit 1
fi

top=${srcdir:-.}
echo "1..3"
n=0
# 1: the check on a scratch tree: each wrong include must be reported.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/lib/base" "$scratch/lib/adapters" "$scratch/lib/domain" \
	"$scratch/lib/web" "$scratch/cgi-bin" "$scratch/src"
printf '#include "domain/app.h"\n' >"$scratch/lib/base/up.c"
printf '#include <sqlite3.h>\n' >"$scratch/lib/domain/raw.c"
printf '#include "web/endpoint.h"\n' >"$scratch/lib/adapters/side.c"
printf '#include "adapters/db.h"\n#include <cjson/cJSON.h>\n' >"$scratch/cgi-bin/thin.c"
printf '#include "str.h"\n' >"$scratch/lib/web/bare.c"
printf '#include "base/str.h"\n' >"$scratch/lib/stray.c"
expect=6
got=$(check_tree "$scratch" | wc -l)
n=$((n + 1))
if [ "$got" -eq "$expect" ]; then
	echo "ok $n - the check catches each of $expect wrong includes"
else
	echo "not ok $n - the check caught $got of $expect wrong includes"
	check_tree "$scratch" | sed 's/^/# /'
fi
# 2: a clean scratch file passes.
rm -f "$scratch"/lib/*.c "$scratch"/lib/*/*.c "$scratch"/cgi-bin/*.c
printf '#include "config.h"\n#include <string.h>\n#include "base/str.h"\n#include "adapters/db.h"\n#include <sqlite3.h>\n' \
	>"$scratch/lib/adapters/fine.c"
n=$((n + 1))
if [ -z "$(check_tree "$scratch")" ]; then
	echo "ok $n - a file that keeps the rules passes"
else
	echo "not ok $n - a file that keeps the rules is refused"
fi
# 3: the tree itself (and it must have files in every layer).
n=$((n + 1))
out=$(check_tree "$top")
for l in base adapters domain web; do
	ls "$top"/lib/$l/*.c >/dev/null 2>&1 || out="$out
lib/$l/ has no source file"
done
if [ -z "$out" ]; then
	echo "ok $n - lib/, cgi-bin/ and src/ keep the layer rules"
else
	echo "not ok $n - layer rules broken"
	echo "$out" | sed 's/^/# /'
fi
