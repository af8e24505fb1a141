# shellcheck shell=bash
# Shared by the fs_*.sh integration tests of the FUSE mount (sourced; run
# alone it does nothing).  Boots a private instance (own runtime and data
# roots, unique name) with `micronos up -d --mount DIR`, and checks through
# the real mount with ordinary tools.
#
# MN_FS_SERVER=bench serves the tree with bench/bench_fs instead of the
# daemon (kernel + VFS + FUSE only: no shell, no generated trees beyond what
# the VFS mounts itself), to test the adapter alone.
set -u
[ "${BASH_SOURCE[0]}" = "$0" ] && exit 0
. "$(dirname "${BASH_SOURCE[0]}")/mn_skip.bash"

BIN=${MN_BIN:?MN_BIN not set}
SERVER=${MN_FS_SERVER:-micronos}
FS_TMP=$(mktemp -d /tmp/mn-it-fs.XXXXXX)
chmod 755 "$FS_TMP"	# other users (permission checks) must reach MNT
NAME="itfs$$"
MNT="$FS_TMP/mnt"
DATA="$FS_TMP/data"
RUNTIME="$FS_TMP/run"
SERVER_PID=
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "not ok - $1"; }
# Under CI (CI=true) nothing may be skipped: a skip counts as a failure;
# elsewhere the script ends with status 77 (skipped) unless a check failed.
skip() {
	if [ -n "${CI:-}" ]; then bad "$1 (cannot run under CI: $2)"
	else MN_SKIPPED=$((MN_SKIPPED + 1)); echo "ok - $1 # SKIP $2"; fi
}
check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected [$2] got [$3]"; fi
}

fs_need() {
	if [ "$(id -u)" -ne 0 ] || [ ! -w /dev/fuse ]; then
		mn_skip_all "needs root and /dev/fuse"
	fi
	if [ "$SERVER" = bench ] && [ ! -x "$BIN/bench_fs" ]; then
		mn_skip_all "no $BIN/bench_fs"
	fi
	if [ "$SERVER" != bench ] && [ ! -x "$BIN/micronos" ]; then
		mn_skip_all "no $BIN/micronos"
	fi
}

is_mounted() {	# is_mounted DIR: a mount (dead or alive) at DIR?
	awk -v d="$1" '$5 == d { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# Waits up to 10 s for a live mount at MNT.
wait_mounted() {
	local i
	for i in $(seq 100); do
		if is_mounted "$MNT" && timeout 5 stat "$MNT/dev" >/dev/null 2>&1
		then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

fs_up() {
	if [ "$SERVER" = bench ]; then
		"$BIN/bench_fs" "$MNT" "$DATA" >"$FS_TMP/bench.out" 2>"${MN_FS_ERRLOG:-/dev/null}" &
		SERVER_PID=$!
	else
		timeout 30 "$BIN/micronos" up -n "$NAME" --data "$DATA" \
			--runtime "$RUNTIME" --mount "$MNT" -d -q \
			>"$FS_TMP/up.out" 2>&1
		SERVER_PID=$(cat "$RUNTIME/pid" 2>/dev/null)
	fi
	if wait_mounted; then
		return 0
	fi
	echo "# the instance did not mount $MNT:" >&2
	cat "$FS_TMP"/*.out >&2 2>/dev/null
	return 1
}

# Waits up to 10 s for pid to be gone.
wait_gone() {
	local i
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

fs_down() {
	if [ "$SERVER" = bench ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	else
		timeout 30 "$BIN/micronos" down -n "$NAME" --runtime "$RUNTIME" \
			>/dev/null 2>&1
		wait_gone "$SERVER_PID"
	fi
}

fs_kill9() {
	kill -9 "$SERVER_PID" 2>/dev/null
	if [ "$SERVER" = bench ]; then
		wait "$SERVER_PID" 2>/dev/null
	else
		wait_gone "$SERVER_PID"
	fi
}

# The host ids under which MicronOS user 1000 shows on the mount: 1000
# itself, or shifted by the daemon's id map (the sandbox's view).  Sets
# HUID and HGID; as_user runs a command as that user.
user_ids() {
	HUID=$(stat -c %u "$MNT/home/user")
	HGID=$(stat -c %g "$MNT/home/user")
}
as_user() { setpriv --reuid "$HUID" --regid "$HGID" --clear-groups "$@"; }

fs_shell() {	# a shell line in the instance (daemon only)
	timeout 20 "$BIN/micronos" shell -n "$NAME" --runtime "$RUNTIME" \
		-c "$1" 2>&1
}

fs_cleanup() {
	local pid
	jobs -p | xargs -r kill -9 2>/dev/null
	[ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
	pid=$(cat "$RUNTIME/pid" 2>/dev/null)
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	sleep 0.2
	while is_mounted "$MNT"; do umount -l "$MNT" || break; done
	rm -rf "$FS_TMP"
}
trap fs_cleanup EXIT

fs_finish() {
	echo "$PASS passed, $MN_SKIPPED skipped, $FAIL failed"
	mn_skip_status "$FAIL"
}
