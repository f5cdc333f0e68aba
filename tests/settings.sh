#!/bin/sh
# SPDX-License-Identifier: ISC
# The settings the code reads against the documentation, both ways, as a
# TAP test. "Read by the code": every string literal of lib/base/cfg.c that
# is a setting's name (upper case with an underscore), every name passed to
# ptl_cfg_get() in lib/, src/ and cgi-bin/, and every `setting NAME` of
# script/server. PTL_* names are test hooks, not settings.
#   1. every setting read is in env-example (as NAME= or # NAME=);
#   2. every NAME= of env-example is read by something;
#   3. every setting read is named in the README.
top=${srcdir:-.}
echo "1..3"

read_by_code() {
	{
		grep -ohE '"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+"' "$top/lib/base/cfg.c"
		grep -ohE 'ptl_cfg_get\("[A-Z][A-Z0-9_]*"' "$top"/lib/*/*.c \
			"$top"/src/*.c "$top"/cgi-bin/*.c 2>/dev/null
		grep -ohE '\(setting [A-Z][A-Z0-9_]*' "$top/script/server"
	} | grep -oE '[A-Z][A-Z0-9_]*' | grep -v '^PTL_' | sort -u
}

in_example() {
	sed -n -E 's/^#? ?([A-Z][A-Z0-9_]*)=.*/\1/p' "$top/env-example" | sort -u
}

code=$(read_by_code)
example=$(in_example)
if [ -z "$code" ] || [ -z "$example" ]; then
	echo "not ok 1 - found the settings (code: $(echo "$code" | wc -w), env-example: $(echo "$example" | wc -w))"
	echo "not ok 2 - # SKIP nothing to compare"
	echo "not ok 3 - # SKIP nothing to compare"
	exit 1
fi
rc=0

missing=$(echo "$code" | while read -r n; do
	echo "$example" | grep -qx "$n" || echo "$n"
done)
if [ -z "$missing" ]; then
	echo "ok 1 - every setting the code reads is in env-example ($(echo "$code" | wc -l))"
else
	echo "not ok 1 - settings read by the code but missing from env-example"
	echo "$missing" | sed 's/^/#   /'
	rc=1
fi

unread=$(echo "$example" | while read -r n; do
	echo "$code" | grep -qx "$n" || echo "$n"
done)
if [ -z "$unread" ]; then
	echo "ok 2 - every setting of env-example is read by the code"
else
	echo "not ok 2 - settings of env-example that nothing reads"
	echo "$unread" | sed 's/^/#   /'
	rc=1
fi

undoc=$(echo "$code" | while read -r n; do
	grep -q "\`$n\`" "$top/README.md" || echo "$n"
done)
if [ -z "$undoc" ]; then
	echo "ok 3 - every setting is named in the README"
else
	echo "not ok 3 - settings the README does not name (as \`NAME\`)"
	echo "$undoc" | sed 's/^/#   /'
	rc=1
fi
exit $rc
