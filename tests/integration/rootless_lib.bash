# shellcheck shell=bash
# The fixture of the rootless tests (sourced; not *.sh, so ctest does not
# run it alone): as root, creates an ordinary host user with a subordinate
# id range, copies the binaries where that user can run them, and gives the
# host what a fresh Debian 12 has (/dev/fuse open to users, mode 0666, the
# kernel's default).  Everything it changes is undone on exit, also on
# failure or a signal (trap).  Under CI a missing piece is a failure, never
# a skip.
#
# The tests that use it hold one lock for their whole run: they change the
# same host files (/dev/fuse's mode, /etc/fuse.conf) and must not restore
# them under each other.
set -u
: "${MN_BIN:?MN_BIN not set}"
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "not ok - $1"; }
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected [$2] got [$3]"; fi
}
check_grep() {
	if printf '%s\n' "$3" | grep -qE -- "$2"; then ok "$1"
	else bad "$1: [$2] not in [$3]"; fi
}
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
skip_or_fail() {
	echo "1..0 # SKIP $1"
	[ -n "${CI:-}" ] && exit 1
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_or_fail "the fixture creates a user: run as root"
for tool in useradd userdel runuser newuidmap newgidmap fusermount3; do
	command -v "$tool" >/dev/null ||
		skip_or_fail "$tool missing (scripts/setup.sh installs it)"
done

exec 9>/run/lock/micronos-rootless-tests.lock
flock -w 600 9 || { echo "not ok - fixture lock"; exit 1; }

# users of runs killed outright (ctest's timeout is a SIGKILL: no trap):
# the name carries the creating shell's pid
for u in $(grep -o '^mnrl[0-9]*' /etc/passwd); do
	kill -0 "${u#mnrl}" 2>/dev/null || userdel -r "$u" >/dev/null 2>&1
done
RL_USER="mnrl$$"
RL_WORK=$(mktemp -d /tmp/mn-rootless.XXXXXX)
chmod 755 "$RL_WORK"
RL_FUSE_MODE=$(stat -c %a /dev/fuse 2>/dev/null || echo "")
cp /etc/fuse.conf "$RL_WORK/fuse.conf.saved" 2>/dev/null
RL_PIDS=""

rl_cleanup() {
	local p m
	for p in $RL_PIDS; do kill -9 "$p" 2>/dev/null; done
	sleep 0.2
	# dead or live mounts of the user's instances: detach before rm
	grep -oE " (/tmp/micronos-$RL_UID|$RL_WORK|/run/micronos/rlroot$$)[^ ]*" /proc/self/mounts \
		2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	[ -n "$RL_FUSE_MODE" ] && chmod "$RL_FUSE_MODE" /dev/fuse
	[ -f "$RL_WORK/fuse.conf.saved" ] &&
		cat "$RL_WORK/fuse.conf.saved" >/etc/fuse.conf
	userdel -r "$RL_USER" >/dev/null 2>&1
	rm -rf "/tmp/micronos-$RL_UID" "$RL_WORK"
	rmdir "/run/micronos/rlroot$$" 2>/dev/null
}
RL_UID=none
trap rl_cleanup EXIT
trap 'exit 130' INT TERM HUP

# useradd takes /etc/passwd's lock: another test may hold it a moment
for _ in 1 2 3 4 5 6 7 8 9 10; do
	useradd -m -s /bin/sh "$RL_USER" 2>/dev/null && break
	sleep 0.5
done
id "$RL_USER" >/dev/null 2>&1 || { echo "not ok - useradd $RL_USER"; exit 1; }
RL_UID=$(id -u "$RL_USER")
RL_HOME=$(getent passwd "$RL_USER" | cut -d: -f6)
# a range of its own if useradd gave none (SUB_UID_* in login.defs)
if ! grep -q "^$RL_USER:" /etc/subuid; then
	usermod --add-subuids 300000-365535 --add-subgids 300000-365535 \
		"$RL_USER" || { echo "not ok - subordinate ids"; exit 1; }
fi
RL_SUBUID=$(grep "^$RL_USER:" /etc/subuid | head -1 | cut -d: -f2)

# the binaries, where the user can run them (the tree may be root's alone)
mkdir -p "$RL_WORK/bin"
cp "$MN_BIN/micronos" "$MN_BIN/micronos-run" "$RL_WORK/bin/"
chmod 755 "$RL_WORK/bin" "$RL_WORK/bin/"*
MN="$RL_WORK/bin/micronos"
RUN="$RL_WORK/bin/micronos-run"
# a fresh Debian's /dev/fuse: users open it (fusermount3 does, as them)
chmod 0666 /dev/fuse

# as_user CMD...: runs as the test user with a clean environment and a
# deadline (a hang is a failure: the KILL makes it exit 137)
RL_ENV=()
as_user() {
	runuser -u "$RL_USER" -- env -i HOME="$RL_HOME" USER="$RL_USER" \
		LOGNAME="$RL_USER" PATH=/usr/local/bin:/usr/bin:/bin \
		"${RL_ENV[@]}" timeout -s KILL 60 "$@"
}
