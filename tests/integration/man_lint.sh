#!/usr/bin/env bash
# Lints every manual page in man/: groff must format each without a single
# warning (-ww) and man(1) must render it cleanly, so a typo in a macro or an
# unknown escape fails the build instead of showing up as garbage.  Also
# checks that micronos(1) documents every command of the shell's table.
# Needs groff (Debian: groff-base) and, for the second check, man-db.
set -u

SRC=${MN_SOURCE_DIR:-$(dirname "$0")/../..}
export LC_ALL=C.UTF-8 MANWIDTH=80
fails=0
pages=0

problem() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

if ! command -v groff >/dev/null; then
	echo "man_lint: groff is missing (Debian package groff-base)" >&2
	exit 1
fi
[ -e "$SRC/man/micronos.1" ] || problem "man/micronos.1 is missing"

for page in "$SRC"/man/*.[1-9]; do
	[ -e "$page" ] || continue
	pages=$((pages + 1))
	warn=$(groff -ww -z -man -Tutf8 "$page" 2>&1)
	[ -z "$warn" ] || problem "groff warns about $page:"$'\n'"$warn"
	if command -v man >/dev/null; then
		warn=$(man --warnings -l -Tutf8 "$page" 2>&1 >/dev/null)
		[ -z "$warn" ] || problem "man warns about $page:"$'\n'"$warn"
	fi
	# .TH names the page as its file is named; NAME and DESCRIPTION exist.
	title=$(awk '/^\.TH/ {print tolower($2) "." $3; exit}' "$page")
	[ "$title" = "$(basename "$page")" ] || problem "$page: .TH says '$title'"
	for sec in NAME DESCRIPTION; do
		grep -q "^\.SH $sec" "$page" || problem "$page has no $sec section"
	done
done

# micronos(1) documents every command of the shell's command table.
cmds=$(sed -n 's/^\t{"\([a-z]*\)", .*/\1/p' "$SRC/src/shell/shell.c" | sort -u)
[ -n "$cmds" ] || problem "no commands found in src/shell/shell.c"
for cmd in $cmds; do
	grep -Eq "^\.(TP|B|BR|BI) .*\b$cmd\b|^\.B[RI]? \"?$cmd\b" \
		"$SRC/man/micronos.1" || problem "micronos.1 does not document '$cmd'"
done

echo "man_lint: $pages pages, $(echo "$cmds" | wc -w) shell commands, $fails problems"
[ "$fails" -eq 0 ]
