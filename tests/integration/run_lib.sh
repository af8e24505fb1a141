# shellcheck shell=bash
# Shared by the run_*.sh integration tests of micronos-run (sourced).
set -u
RUN="${MN_BIN:?MN_BIN not set}/micronos-run"
SRC="${MN_SOURCE_DIR:?MN_SOURCE_DIR not set}"
PASS=0
FAIL=0
WORK=$(mktemp -d /tmp/mn-run-test.XXXXXX)
# the sandbox's root is an unprivileged host uid: let it reach binds
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "not ok - $1"; }

# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected [$2] got [$3]"; fi
}
# check_grep NAME PATTERN TEXT
check_grep() {
	if printf '%s\n' "$3" | grep -qE -- "$2"; then ok "$1"
	else bad "$1: [$2] not in [$3]"; fi
}

run() { timeout -s KILL 60 "$RUN" "$@"; }

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP micronos-run needs root (uid map)"
		exit 0
	fi
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
