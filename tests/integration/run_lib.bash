# shellcheck shell=bash
# Shared by the run_*.sh integration tests of micronos-run (sourced; not
# named *.sh, so that ctest does not take it for a test of its own).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/mn_skip.bash"
RUN="${MN_BIN:?MN_BIN not set}/micronos-run"
export SRC="${MN_SOURCE_DIR:?MN_SOURCE_DIR not set}"
PASS=0
FAIL=0
WORK=$(mktemp -d /tmp/mn-run-test.XXXXXX)
# the sandbox's root is an unprivileged host uid: let it reach binds
chmod 755 "$WORK"
# instances live under $WORK: a test never reaches an instance of the
# machine (micronos-run would run through it), and leaves nothing behind
export MICRONOS_RUNTIME_ROOT="$WORK/rt" MICRONOS_DATA_ROOT="$WORK/data"
MICRONOS="$MN_BIN/micronos"
DAEMON_PIDS=""
cleanup() {
	local p
	for p in $DAEMON_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	# a dead daemon's mount, if any, is detached before removing
	grep -o " ${WORK}[^ ]*" /proc/self/mounts 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

# daemon_up NAME [micronos up options]: boots an instance in the
# background; its pid is remembered for the cleanup
daemon_up() {
	local name=$1
	shift
	timeout -s KILL 60 "$MICRONOS" up -n "$name" -d -q "$@" >/dev/null ||
		return 1
	DAEMON_PIDS="$DAEMON_PIDS $(cat "$MICRONOS_RUNTIME_ROOT/$name/pid")"
}
daemon_down() {
	timeout -s KILL 30 "$MICRONOS" down -n "$1" >/dev/null
}
msh() { timeout -s KILL 30 "$MICRONOS" shell -n "$1" -c "$2"; }

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

# RUN_ARGS: e.g. (-n NAME) to run through a running instance
RUN_ARGS=()
run() { timeout -s KILL 60 "$RUN" "${RUN_ARGS[@]}" "$@"; }

need_root() {
	[ "$(id -u)" -eq 0 ] || mn_skip_all "micronos-run needs root (uid map)"
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
