#!/bin/sh
# SPDX-License-Identifier: ISC
# The functions HACKING.md ("Style") bans (the curl checksrc idea), as a TAP test:
# sprintf strcpy strcat strncpy strtok atoi sscanf gets rand random system.
top=${srcdir:-.}
echo "1..1"
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
