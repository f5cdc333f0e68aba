#!/bin/sh
# SPDX-License-Identifier: ISC
# The functions HACKING.md ("Style") bans, and left-over merge conflict
# markers (the curl checksrc idea), as a TAP test:
# sprintf strcpy strcat strncpy strtok atoi sscanf gets rand random system.
top=${srcdir:-.}
echo "1..2"
hits=$(grep -nE '(^|[^_a-z])(sprintf|strcpy|strcat|strncpy|strtok|atoi|sscanf|gets|rand|random|system)[[:space:]]*\(' \
	"$top"/lib/*/*.c "$top"/lib/*/*.h "$top"/cgi-bin/*.c "$top"/src/*.c 2>/dev/null |
	grep -vE '(snprintf|vsnprintf|fgets)[[:space:]]*\(' | grep -vE '^[^:]*:[0-9]+:[[:space:]]*(/?\*|//)')
if [ -z "$hits" ]; then
	echo "ok 1 - no banned function in lib/, cgi-bin/, src/"
else
	echo "not ok 1 - banned functions used"
	echo "$hits" | sed 's/^/# /'
	exit 1
fi
# Left-over merge conflict markers, in code and in the documentation.
marks=$(grep -rnE '^(<<<<<<<|>>>>>>>) ' "$top"/lib "$top"/cgi-bin "$top"/src \
	"$top"/tests/integration "$top"/tests/unit "$top"/docs "$top"/script \
	"$top"/README.md "$top"/HACKING.md "$top"/env-example 2>/dev/null)
if [ -z "$marks" ]; then
	echo "ok 2 - no merge conflict marker left"
else
	echo "not ok 2 - merge conflict markers"
	echo "$marks" | sed 's/^/# /'
	exit 1
fi
