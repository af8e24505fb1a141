#!/usr/bin/env bash
# Integration test of the network: two private instances on a discovery
# port of their own (set in their config files before boot, so the real
# instances on 47800 are never met) find each other, ping and probe each
# other, show the peer link's sockets and counters in the shell, in
# /proc/net and /sys/class/net of their mounts, obey `antenna p2p0 down`
# and an `echo down > .../operstate`, follow config changes live, and say
# goodbye when one goes down.  netstat, run in a private mount namespace
# over the instance's /proc, must parse MicronOS's /proc/net/{tcp,udp}.
set -u

BIN=${MN_BIN:-$(dirname "$0")/../../build}
MICRONOS="$BIN/micronos"
TMP=$(mktemp -d /tmp/mn-it-net.XXXXXX)
A="itn$$a"
B="itn$$b"
PORT=$((30000 + $$ % 5000))
export MICRONOS_RUNTIME_ROOT="$TMP/run" MICRONOS_DATA_ROOT="$TMP/data"
FAILS=0
CHECKS=0

cleanup() {
	local pid f
	for f in "$TMP"/run/*/pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	for f in "$TMP"/run/*/mnt; do
		mountpoint -q "$f" 2>/dev/null && umount -l "$f"
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL: $*" >&2
}

mn() {
	timeout 20 "$MICRONOS" "$@"
}

# check NAME RC LINE PATTERN...: LINE run in instance NAME must exit RC
# and print every PATTERN (ERE; a leading ! means "must not match").
check() {
	local name=$1 want=$2 line=$3 out rc p
	shift 3
	CHECKS=$((CHECKS + 1))
	out=$(mn shell -n "$name" -c "$line" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name '$line': exit status $rc, expected $want:"
		printf '%s\n' "$out" | head -20 >&2
		return
	fi
	for p in "$@"; do
		if [ "${p#!}" != "$p" ]; then
			printf '%s\n' "$out" | grep -Eq -- "${p#!}" &&
				fail "$name '$line': matches '${p#!}'"
		elif ! printf '%s\n' "$out" | grep -Eq -- "$p"; then
			fail "$name '$line': lacks '$p':"
			printf '%s\n' "$out" | head -20 >&2
		fi
	done
}

# until NAME LINE PATTERN: polls (10 s) until LINE's output matches.
until_match() {
	for _ in $(seq 100); do
		mn shell -n "$1" -c "$2" 2>&1 | grep -Eq -- "$3" && return 0
		sleep 0.1
	done
	fail "$1 '$2' never matched '$3'"
	return 1
}

[ -x "$MICRONOS" ] || { echo "no micronos binary at $MICRONOS" >&2; exit 1; }

for n in "$A" "$B"; do
	mkdir -p "$TMP/data/$n"
	printf 'net.p2p.port = %s\nnet.p2p.announce_ms = 200\n' "$PORT" \
		>"$TMP/data/$n/config"
	mn up -n "$n" -d -q >/dev/null || { echo "$n did not boot" >&2; exit 1; }
done

# --- they find each other ------------------------------------------------------
until_match "$A" scan "^$B "
until_match "$B" scan "^$A "
check "$A" 0 network "instance +$A" "policy +loopback" \
	"discovery 127.255.255.255:$PORT" "announce every 200 ms"
check "$A" 0 "discover 500" "1 answer" "^$B +[0-9a-f]{16} +127\.0\.0\.1:"
check "$A" 0 "ping $B 3" "reply from $B .*seq=3 time=" \
	"3 packets transmitted, 3 received, 0% packet loss" "rtt min/avg/max"
check "$A" 0 "events filter network" "peer $B joined"
check "$A" 0 sockets "127\.255\.255\.255:$PORT" "p2p0 +daemon" \
	"2 sockets: 0 tcp"
check "$A" 0 "cat /proc/net/udp" "sl  local_address" \
	":$(printf %04X "$PORT") "
check "$A" 0 "cat /proc/net/dev" "^ +lo:" "^ +p2p0: +[1-9]"
check "$A" 0 "cat /sys/class/net/p2p0/peers" "^$B [0-9a-f]{16} 127\.0\.0\.1:"
check "$A" 0 "cat /sys/class/net/lo/mtu" "^65536$"

# --- a socket made by a syscall, seen everywhere ------------------------------
check "$A" 0 "syscall invoke 3000 2 1 0" "socket\(2, 1, 0\) = 3"
check "$A" 0 "syscall invoke 3003 3 4" "listen\(3, 4\) = 0"
check "$A" 0 sockets "^3 +tcp +LISTEN +\*:[0-9]+ +- +1 "
check "$A" 0 "cat /proc/net/tcp" " 0A 00000000:00000000 "
check "$A" 1 "syscall invoke 3003 99 4" "EBADF" "pid 1"
MNT="$TMP/run/$A/mnt"
if mountpoint -q "$MNT" && command -v netstat >/dev/null &&
	unshare -m true 2>/dev/null; then
	CHECKS=$((CHECKS + 1))
	out=$(timeout 20 unshare -m --propagation private \
		sh -c "mount --bind '$MNT/proc' /proc && netstat -tanu" 2>&1)
	for p in "^tcp .*0\.0\.0\.0:[0-9]+ .*LISTEN" \
		"^udp .*127\.255\.255\.255:$PORT "; do
		printf '%s\n' "$out" | grep -Eq -- "$p" ||
			fail "netstat over MicronOS's /proc lacks '$p': $out"
	done
fi
check "$A" 0 "syscall invoke 3006 3" "sockclose\(3\) = 0"

# --- antennas ---------------------------------------------------------------------
check "$A" 0 "antenna p2p0 down" "p2p0: <DOWN"
check "$A" 1 "ping $B 1" "p2p0 is down"
check "$A" 0 "events filter network" "antenna p2p0 down"
check "$A" 0 "antenna p2p0 up" "p2p0: <UP"
check "$A" 0 "ping $B 1" "1 received"
if mountpoint -q "$MNT"; then
	CHECKS=$((CHECKS + 1))
	echo down >"$MNT/sys/class/net/lo/operstate" ||
		fail "echo down > operstate failed"
	check "$A" 0 "antenna lo" "lo: <DOWN"
	echo bogus >"$MNT/sys/class/net/lo/operstate" 2>/dev/null &&
		fail "a bogus operstate was accepted"
	echo up >"$MNT/sys/class/net/lo/operstate"
	check "$A" 0 "antenna lo" "lo: <UP"
fi

# --- config, live ---------------------------------------------------------------
check "$A" 0 antenna "!host0"
check "$A" 0 "config net.policy host" ""
check "$A" 0 antenna "host0 +ether +up"
check "$A" 0 "config net.policy loopback" ""
check "$A" 1 "config net.allow_ports 80-" "net.allow_ports"

# --- one leaves: the other hears its goodbye ------------------------------------
mn down -n "$B" >/dev/null || fail "down $B failed"
until_match "$A" "events filter network" "peer $B left \(bye"
check "$A" 0 scan "no peers heard"
mn down -n "$A" >/dev/null || fail "down $A failed"

echo "net_peers.sh: $CHECKS checks, $FAILS failures"
[ "$FAILS" -eq 0 ]
