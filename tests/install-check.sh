#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The installed layout (issue 10 point 4), from the top of a configured and
# built tree: make install puts every piece where configure's directories
# say (DESTDIR honoured), with the modes it needs; no path of the build
# tree is in an installed program; a reinstall keeps an edited settings
# file and make uninstall removes all but it; a prefix given to make
# rebuilds what depends on it, and the installed programs and
# authportal-conf then use that prefix's files. Ends by rebuilding for the
# configured directories. Prints one "ok ..." or "FAIL ..." line per check.
set -uo pipefail
root=$(pwd)
[ -f Makefile ] && [ -x cgi-bin/health ] || { echo "FAIL install: run from a built tree"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# strings(1) of a program into a file: a grep -q that stops reading early
# would fail the pipe (pipefail).
strs() {
	strings -a "$1" >"$tmp/strings"
}
check() { # description command...
	local what=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok install: $what"
	else
		echo "FAIL install: $what"
		sed -n '1,20s/^/    /p' "$tmp/out"
	fi
}
# The Makefile's directories, as make expands them (args: make variables).
dirs() {
	printf 'ptl-print-dirs:\n\t@echo %s\n' "$*" |
		make -s -f Makefile -f - ptl-print-dirs ${PREFIX_ARG:-}
}
read -r bindir cgibindir pkglibexecdir pkgdatadir pkgsysconfdir pkgstatedir \
	mandir docdir unitdir <<<"$(dirs '$(bindir) $(cgibindir) $(pkglibexecdir)' \
	'$(pkgdatadir) $(pkgsysconfdir) $(pkgstatedir) $(mandir) $(docdir)' \
	'$(systemdsystemunitdir)')"
exes=$(sed -n 's/^cgibin_PROGRAMS = //p; /^cgibin_PROGRAMS =/,/[^\\]$/p' Makefile |
	grep -o 'cgi-bin/[a-z_]*' | sed 's|cgi-bin/||' | sort -u)

d=$tmp/destdir
check "make install DESTDIR" make install DESTDIR="$d"

pieces() {
	local p
	for p in "$bindir/authportal" "$bindir/authportal-conf" \
		"$pkglibexecdir/lighttpd-conf" "$pkglibexecdir/apache-conf" \
		"$pkglibexecdir/nginx-conf"; do
		[ -x "$d$p" ] || { echo "missing executable $p"; return 1; }
	done
	for p in $exes; do
		[ -x "$d$cgibindir/$p" ] || { echo "missing executable $cgibindir/$p"; return 1; }
	done
	for p in mail/activation.html mail/confirm-new-email.html \
		mail/reset-password.html www/index.html www/style.css \
		i18n/en/common.json i18n/zh/reset-password.json openapi.json \
		sql/001_init.sql conf/env-example conf/lighttpd/lighttpd.conf.in \
		conf/nginx/authportal.conf.in conf/nginx/nginx.conf.in \
		conf/apache/conf-available/authportal.conf.in \
		conf/apache/conf-available/authportal-cgi.conf.in; do
		[ -f "$d$pkgdatadir/$p" ] || { echo "missing $pkgdatadir/$p"; return 1; }
	done
	for p in "$mandir/man1/authportal.1" "$docdir/LICENSE" \
		"$docdir/examples/authportal.cron" \
		"$docdir/examples/authportal.logrotate" \
		"$unitdir/authportal@.socket" "$unitdir/authportal@.service" \
		"$unitdir/authportal.target" "$unitdir/authportal-gc.timer" \
		"$unitdir/authportal-mail-flush.timer"; do
		[ -f "$d$p" ] || { echo "missing $p"; return 1; }
	done
	[ "$(stat -c %a "$d$pkgsysconfdir/authportal.env")" = 640 ] ||
		{ echo "settings file not 0640"; return 1; }
	[ "$(stat -c %a "$d$pkgstatedir")" = 700 ] ||
		{ echo "database folder not 0700"; return 1; }
	grep -q "^DATABASE_PATH=$pkgstatedir/authportal.db$" "$d$pkgsysconfdir/authportal.env" ||
		{ echo "settings file without the installed DATABASE_PATH"; return 1; }
	[ -f "$root/LICENSE" ] || { echo "no LICENSE at the top of the tree"; return 1; }
	# The mark of a build tree is never installed.
	! find "$d" -name authportal.build-tree | grep -q . ||
		{ echo "the build-tree mark was installed"; return 1; }
}
check "every piece in its place ($cgibindir, $pkgdatadir, $pkgsysconfdir, $pkgstatedir, $unitdir)" pieces

no_build_path() {
	local f bad=0
	for f in "$d$bindir/authportal" "$d$cgibindir"/*; do
		strs "$f"
		if grep -F -e "$root" -e "$(cd "$root" && pwd -P)" "$tmp/strings"; then
			echo "$f names the build tree"
			bad=1
		fi
		grep -qF "$pkgsysconfdir/authportal.env" "$tmp/strings" ||
			{ echo "$f lacks $pkgsysconfdir/authportal.env"; bad=1; }
	done
	return $bad
}
check "strings: no build path in the installed programs, the installed settings file's" no_build_path

reinstall_keeps() {
	echo "FRONTEND_DOMAIN=https://edited.example" >>"$d$pkgsysconfdir/authportal.env"
	make install DESTDIR="$d" >/dev/null || return 1
	grep -q "^FRONTEND_DOMAIN=https://edited.example$" "$d$pkgsysconfdir/authportal.env"
}
check "a reinstall keeps the edited authportal.env" reinstall_keeps

uninstall_keeps() {
	make uninstall DESTDIR="$d" >/dev/null || return 1
	local left
	left=$(find "$d" -type f)
	[ "$left" = "$d$pkgsysconfdir/authportal.env" ] || { echo "left: $left"; return 1; }
}
check "make uninstall removes all but the edited authportal.env" uninstall_keeps

# Another prefix on make's command line, a real install there (no
# DESTDIR): the programs are rebuilt for it and use its files.
p=$tmp/prefix
PREFIX_ARG="prefix=$p"
probe_prefix() {
	make install prefix="$p" >/dev/null || return 1
	strs "$p/libexec/authportal/cgi-bin/health"
	grep -qF "$p/etc/authportal/authportal.env" "$tmp/strings" ||
		{ echo "health was not rebuilt for prefix $p"; return 1; }
	"$p/bin/authportal" keygen >>"$p/etc/authportal/authportal.env" || return 1
	# The installed defaults: settings file, database, mail templates.
	(cd "$tmp" && env -u ENV_FILE -u DATABASE_PATH -u MAIL_TEMPLATE_DIR \
		"$p/bin/authportal" migrate) || return 1
	[ -f "$p/var/lib/authportal/authportal.db" ] ||
		{ echo "migrate did not make $p/var/lib/authportal/authportal.db"; return 1; }
	(cd "$tmp" && env -u ENV_FILE -u DATABASE_PATH -u MAIL_TEMPLATE_DIR \
		"$p/bin/authportal" check-config) || return 1
	"$p/bin/authportal-conf" nginx >"$tmp/conf" &&
		grep -q "unix:/run/authportal/login.sock" "$tmp/conf" ||
		{ echo "authportal-conf nginx"; return 1; }
	"$p/bin/authportal-conf" apache-fcgid >"$tmp/conf" &&
		grep -qF "\"$p/libexec/authportal/cgi-bin/login\" InitialEnv \"ENV_FILE=$p/etc/authportal/authportal.env\"" "$tmp/conf" ||
		{ echo "authportal-conf apache-fcgid"; return 1; }
	"$p/bin/authportal-conf" apache-cgi >/dev/null || return 1
	grep -q "^ExecStart=$p/libexec/authportal/cgi-bin/%i$" \
		"$p/lib/systemd/system/authportal@.service" ||
		{ echo "authportal@.service"; return 1; }
}
check "make install prefix=DIR rebuilds for DIR; its programs and authportal-conf use DIR's files" probe_prefix
PREFIX_ARG=
restore() {
	make >/dev/null || return 1
	strs cgi-bin/health
	grep -qF "$pkgsysconfdir/authportal.env" "$tmp/strings" &&
		! grep -qF "$p/" "$tmp/strings"
}
check "make rebuilds for the configured prefix again" restore
