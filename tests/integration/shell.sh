#!/usr/bin/env bash
# Integration test of `micronos`: boots a private instance (own runtime and
# data roots, unique name, so the real default instance is never touched),
# drives every shell command through `micronos shell -c` and through standard
# input, checks bad input, two shells at once, `down` with a shell attached,
# a foreground instance stopped by SIGTERM, and kill -9 of the daemon followed
# by a new `up` of the same name.  Everything runs under timeouts; the trap
# removes whatever is left.
set -u

BIN=${MN_BIN:-$(dirname "$0")/../../build}
MICRONOS="$BIN/micronos"
TMP=$(mktemp -d /tmp/mn-it-shell.XXXXXX)
NAME="it$$"
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
	# Background helpers of this script (attached shells, sleeps).
	jobs -p | xargs -r kill -9 2>/dev/null
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

# check RC LINE PATTERN... : runs LINE with -c; the exit status must be RC
# and the output (stdout and stderr together) must match every PATTERN
# (extended regular expressions; a leading ! means "must not match").
check() {
	local want=$1 line=$2 out rc p
	shift 2
	CHECKS=$((CHECKS + 1))
	out=$(mn shell -n "$NAME" -c "$line" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "'$line': exit status $rc, expected $want; output:"
		printf '%s\n' "$out" | head -20 >&2
		return
	fi
	for p in "$@"; do
		if [ "${p#!}" != "$p" ]; then
			if printf '%s\n' "$out" | grep -Eq -- "${p#!}"; then
				fail "'$line': output matches '${p#!}':"
				printf '%s\n' "$out" | head -20 >&2
			fi
		elif ! printf '%s\n' "$out" | grep -Eq -- "$p"; then
			fail "'$line': output lacks '$p':"
			printf '%s\n' "$out" | head -20 >&2
		fi
	done
}

# True while PID runs (a zombie waiting for init to reap it does not count).
running() {
	local st
	st=$(awk '{sub(/.*\) /, ""); print $1}' "/proc/$1/stat" 2>/dev/null) ||
		return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Waits (up to 10 s) until the instance answers or is gone.
wait_up() {
	for _ in $(seq 200); do
		mn shell -n "$1" -c version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

[ -x "$MICRONOS" ] || { echo "no micronos binary at $MICRONOS" >&2; exit 1; }

# --- boot, detached -----------------------------------------------------------
out=$(mn up -n "$NAME" -d 2>&1)
rc=$?
[ "$rc" -eq 0 ] || { echo "up -d failed ($rc): $out" >&2; exit 1; }
for p in "booting MicronOS $NAME" "core" "ready" "boot took" \
	"is up" "runtime dir +$TMP/run/$NAME" "data dir +$TMP/data/$NAME"; do
	printf '%s\n' "$out" | grep -Eq -- "$p" || fail "up -d output lacks '$p'"
done
[ -S "$TMP/run/$NAME/ctl" ] || fail "no control socket"
[ "$(stat -c %a "$TMP/run/$NAME/ctl")" = 600 ] || fail "socket mode is not 600"
DPID=$(cat "$TMP/run/$NAME/pid")
running "$DPID" || fail "daemon pid $DPID not alive"

out=$(mn up -n "$NAME" -d 2>&1) && fail "second up succeeded"
printf '%s\n' "$out" | grep -q "already running (pid $DPID)" ||
	fail "second up: '$out'"
out=$(mn status 2>&1)
printf '%s\n' "$out" | grep -Eq "^$NAME +$DPID " || fail "status: '$out'"
mn status -n "$NAME" >/dev/null || fail "status -n of a running instance"
mn status -n nosuch >/dev/null && fail "status -n of a missing instance"
out=$(mn shell -n nosuch -c version 2>&1) && fail "shell to a missing instance"
printf '%s\n' "$out" | grep -q "not running" || fail "missing instance: '$out'"
mn up -n 'bad/name' -d >/dev/null 2>&1 && fail "bad name accepted"

# --- system info ------------------------------------------------------------
check 0 help "system info:" "processes:" "filesystem:" "network:" \
	"system:" "advanced:" "utilities:" "events filter TYPE" "memory alloc SIZE"
check 0 "help channel" "channel create NAME" "channel N send MSG" \
	"channel N recv"
check 1 "help nosuch" "no command 'nosuch'"
check 0 info "instance: +$NAME" "processes: +[0-9]+" "data dir: +$TMP/data"
check 0 status "^kernel: running for" "overall: (ok|unknown)"
check 0 version "^MicronOS [0-9]+\.[0-9]+"
check 0 kernel "core +started" "scheduler +started" "ready +started" \
	"boot took"
check 0 uptime "^up .*processes"
check 0 "top -c" "PID +USER" "init" "timerd" "^Tasks: "
check 2 "top -z" "unknown option"
check 0 "benchmark 20" "syscall +[0-9]+" "events +[0-9]+" "memory +[0-9]+" \
	"ipc +[0-9]+" "M/s"
check 2 "benchmark 1" "MS must be"

# --- processes ----------------------------------------------------------------
check 0 ps "PID +PPID +PGID +SID" " init" " \[timerd\]" " \[healthd\]"
# spawn is the sandbox's: it runs a real program where the sandbox world
# could be created (root), and says why not elsewhere.
if mn shell -n "$NAME" -c "spawn /bin/echo spawned-ok" >"$TMP/spawn" 2>&1; then
	grep -Eq "^spawned [0-9]+ \(/bin/echo\), output in /var/log/spawn-[0-9]+\.log" \
		"$TMP/spawn" || fail "spawn: $(cat "$TMP/spawn")"
	SPID=$(awk '{print $2; exit}' "$TMP/spawn")
	for _ in $(seq 50); do
		mn shell -n "$NAME" -c "cat /var/log/spawn-$SPID.log" 2>/dev/null |
			grep -q spawned-ok && break
		sleep 0.1
	done
	check 0 "cat /var/log/spawn-$SPID.log" "^spawned-ok$"
else
	grep -Eq "spawn: .*sandbox" "$TMP/spawn" || fail "spawn: $(cat "$TMP/spawn")"
fi
check 2 spawn "missing argument"
check 0 "suspend 2" "suspended 2 \(timerd\): T \(stopped\)"
check 0 ps "2 +1 .* T "
check 0 "resume 2" "resumed 2 \(timerd\): [RS] \((running|sleeping)\)"
check 1 "kill 2" "kernel task"
check 1 "kill 1 KILL" "init"
check 1 "kill 4242" "no process 4242"
check 2 "kill two" "not a process id" "usage: kill PID"
check 2 "kill 2 NOPE" "unknown signal"
check 0 signals "SIGTERM" "sent"

# --- suspending a kernel task really stops its work -----------------------------
ticks() {
	mn shell -n "$NAME" -c "events filter timer 10000" | grep -c "name=tick "
}
check 0 "timer create tick 50 periodic" "timer [0-9]+ created: tick"
check 0 "suspend 2" "stopped"
sleep 0.3
c1=$(ticks)
sleep 0.4
c2=$(ticks)
[ "$c1" = "$c2" ] || fail "timer fired while timerd was suspended ($c1 -> $c2)"
check 0 "resume 2" "resumed 2 \\(timerd\\)"
sleep 0.4
c3=$(ticks)
[ "$c3" -gt "$c2" ] || fail "timer did not fire after resume ($c2 -> $c3)"
TID=$(mn shell -n "$NAME" -c "timers" | awk '$2 == "tick" {print $1}')
check 0 "timer cancel $TID" "cancelled"

# --- filesystem and network: missing parts are named --------------------------
if mn shell -n "$NAME" -c "ls /" >/dev/null 2>&1; then
	check 0 "mkdir /it" ""
	check 0 "create /it/f hello world" ""
	check 0 "cat /it/f" "^hello world$"
	check 0 "ls /it" "f$"
	check 1 "create /it/f again" "already exists"
	check 0 "rm /it/f" ""
	check 0 "rm /it" ""
	check 1 "cat /it/f" "ENOENT"
else
	check 1 "ls /" "needs the VFS"
	check 1 "cat /etc/hostname" "needs the VFS"
fi
# --- network: two instances find and ping each other --------------------------
NAME2="${NAME}b"
mn up -n "$NAME2" -d -q >/dev/null || fail "second instance did not boot"
check 0 network "policy" "antennas" "peers"
check 0 antenna "lo +loopback +up" "p2p0 +p2p +up"
check 0 "antenna lo" "mtu"
check 2 "antenna lo sideways" "'up' or 'down'"
check 1 "antenna eth9" "no antenna 'eth9'"
check 0 "discover 1000" "$NAME2 "
check 0 scan "$NAME2 "
check 0 "ping $NAME2 2" "2 received" "reply from $NAME2"
check 1 "ping nobody-here" "no peer 'nobody-here'"
check 0 "antenna p2p0 down" "DOWN"
check 1 "discover 100" "p2p0 is down"
check 0 "antenna p2p0 up" "UP"
check 0 "syscall invoke socket 2 1 0" "^socket\(2, 1, 0\) = [0-9]+$"
check 0 sockets "tcp" "udp"
mn down -n "$NAME2" >/dev/null || fail "down of the second instance"

# --- system -------------------------------------------------------------------
check 0 "log 5" "info"
check 2 "log 5 loud" "neither a line count nor a level"
check 0 "memory alloc 4096" "^0x[0-9a-f]+ \(4.0 KiB reserved\)"
ADDR=$(mn shell -n "$NAME" -c "memory alloc 1M" | awk '{print $1}')
check 0 memory "total" "fragmentation" "${ADDR#0x}"
check 0 "memory free $ADDR 1M" "freed $ADDR"
check 1 "memory free $ADDR 1M" "$ADDR"
check 2 "memory alloc 12Q" "not a size"
check 0 "channel create t" "channel 0 created: t"
check 1 "channel create t" "."
check 0 "channel 0 send hi" "sent 2 bytes to channel 0 \(t\)"
check 0 ipc "t +" "1 channel"
check 0 "channel 0 recv" "^hi$"
check 1 "channel 0 recv" "channel 0 \(t\) is empty"
check 1 "channel 9 send x" "no channel '9'"
check 0 "timer create t 500" "timer [0-9]+ created: t fires in 500 ms"
check 0 timers "ID +NAME" " t +one-shot"
check 0 events "events published" "newest:"
check 0 "events list 5" "#[0-9]+ "
check 0 "events stats" "TYPE +CLASS +COUNT" "ProcessCreated" "SOURCE"
sleep 0.6
check 0 "events filter timer" "TimerExpired .*name=t "
check 2 "events filter weather" "unknown event type 'weather'"
check 0 "events by kernel" "kernel"
check 2 "events by moon" "unknown source"
check 0 "events export" "^seq,time_ns,type,source,pid,text" \
	"MemoryAllocated"
check 0 config "KEY +VALUE" "events.history"
check 0 "config events.history 500" "events.history = 500"
check 0 "config events.history" "500"
check 1 "config events.history lots" "events.history"
check 1 "config no.such 1" "unknown key"
check 0 stats "."
check 0 drivers "NAME +TYPE +STATE" "random +character +running"
check 0 "driver random stop" "random: running -> stopped"
check 0 drivers "random +character +stopped"
check 1 "driver random suspend" "random"
check 0 "driver random start" "stopped -> running"
check 2 "driver random fly" "unknown action"
check 1 "driver nosuch start" "no driver 'nosuch'"
check 0 health "overall"
check 0 "events clear" "cleared [0-9]+ events"

# --- advanced, utilities --------------------------------------------------------
check 0 "syscall info" "getpid +process" "open +file" "ready" "CALLS"
check 0 "syscall invoke 4" "^getpid\(\) = 1$"
check 0 "syscall invoke getgid" "^getgid\(\) = 0$"
check 2 "syscall invoke 12345" "unknown syscall"
check 1 "syscall invoke 7000" "ENOSYS"
check 0 posix "EPERM" "ENOSYS" "EHWPOISON"
check 0 "posix 22" "EINVAL \(22\)"
check 1 "posix EWHAT" "unknown error"
check 0 "echo a 'b  c' \"d e\"" "^a b  c d e$"
check 5 "exit 5" ""
check 0 quit ""

# --- bad input ------------------------------------------------------------------
check 2 "frobnicate" "frobnicate: unknown command"
check 2 "echo 'open" "unterminated single quote"
check 2 "memory alloc" "missing argument" "usage: memory alloc SIZE"
check 2 "version now" "too many arguments"
check 2 "channel" "usage: channel create"
long=$(head -c 5000 /dev/zero | tr '\0' x)
check 2 "echo $long" "longer than 4096"
check 0 "echo still alive" "^still alive$"

# --- scripts on standard input --------------------------------------------------
out=$(printf 'echo one\n\nmemory alloc 8K\necho two\n' |
	timeout 10 "$MICRONOS" shell -n "$NAME" 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "script: status $rc"
[ "$(printf '%s\n' "$out" | head -1)" = one ] || fail "script output: $out"
printf '%s\n' "$out" | grep -q '^two$' || fail "script output: $out"
printf 'echo a\nnosuch\n\n' | timeout 10 "$MICRONOS" shell -n "$NAME" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "script ending in a bad line: status $rc, expected 2"
out=$(printf 'echo a\nexit 3\necho never\n' |
	timeout 10 "$MICRONOS" shell -n "$NAME" 2>&1)
rc=$?
[ "$rc" -eq 3 ] || fail "script with exit 3: status $rc"
printf '%s\n' "$out" | grep -q never && fail "script went on after exit"
printf 'echo no newline at end' | timeout 10 "$MICRONOS" shell -n "$NAME" |
	grep -q '^no newline at end$' || fail "last line without newline"

# --- two shells at once -----------------------------------------------------------
mkfifo "$TMP/f1" "$TMP/f2"
timeout 30 "$MICRONOS" shell -n "$NAME" <"$TMP/f1" >"$TMP/o1" 2>&1 &
S1=$!
timeout 30 "$MICRONOS" shell -n "$NAME" <"$TMP/f2" >"$TMP/o2" 2>&1 &
S2=$!
exec 7>"$TMP/f1" 8>"$TMP/f2"
echo "channel create two" >&7
sleep 0.3
echo "channel two send from-second" >&8
sleep 0.3
echo "channel two recv" >&7
sleep 0.3
out=$(mn status -n "$NAME")
printf '%s\n' "$out" | awk -v n="$NAME" '$1 == n {exit !($5 >= 2)}' ||
	fail "status does not count 2 attached shells: $out"
exec 7>&- 8>&-
wait "$S1" || fail "first shell failed"
wait "$S2" || fail "second shell failed"
grep -q '^from-second$' "$TMP/o1" || fail "message did not cross shells: $(cat "$TMP/o1")"

# --- down while a shell is attached -----------------------------------------------
mkfifo "$TMP/f3"
timeout 30 "$MICRONOS" shell -n "$NAME" <"$TMP/f3" >"$TMP/o3" 2>&1 &
S3=$!
exec 9>"$TMP/f3"
echo "echo attached" >&9
sleep 0.3
out=$(mn down -n "$NAME" 2>&1) || fail "down failed: $out"
printf '%s\n' "$out" | grep -q "MicronOS $NAME is down" || fail "down: '$out'"
# the attached shell notices without any more input, and ends
for _ in $(seq 100); do kill -0 "$S3" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$S3" 2>/dev/null; then
	fail "attached shell still running after down"
else
	wait "$S3"
	[ $? -ne 124 ] || fail "attached shell timed out"
fi
exec 9>&-
grep -q "shutting down" "$TMP/o3" || fail "attached shell was not told: $(cat "$TMP/o3")"
running "$DPID" && fail "daemon $DPID still alive after down"
[ -e "$TMP/run/$NAME" ] && fail "runtime dir left behind after down"
out=$(mn status 2>&1)
printf '%s\n' "$out" | grep -q "no MicronOS instance is running" ||
	fail "status after down: $out"
mn down -n "$NAME" >/dev/null 2>&1 && fail "down of a stopped instance"

# --- persistence of config across down/up; kill -9 and a new up -------------------
mn up -n "$NAME" -d -q >/dev/null || fail "second boot failed"
check 0 "config events.history" "value: +500"
DPID=$(cat "$TMP/run/$NAME/pid")
kill -9 "$DPID"
for _ in $(seq 100); do running "$DPID" || break; sleep 0.05; done
out=$(mn up -n "$NAME" -d 2>&1) || fail "up after kill -9 failed: $out"
printf '%s\n' "$out" | grep -q "cleaned up after a crashed instance '$NAME' (pid $DPID)" ||
	fail "crash not reported: $out"
check 0 "echo reborn" "^reborn$"
mn down -n "$NAME" >/dev/null || fail "down after crash recovery"

# --- foreground without a terminal: boot report, SIGTERM, clean stop ----------------
timeout 30 "$MICRONOS" up -n "$NAME" </dev/null >"$TMP/fg" 2>&1 &
FG=$!
wait_up "$NAME" || fail "foreground instance did not come up"
check 0 "echo fg" "^fg$"
kill -TERM "$FG"
wait "$FG"
rc=$?
[ "$rc" -eq 0 ] || fail "foreground instance exited $rc on SIGTERM"
grep -q "\[9/9\] ready" "$TMP/fg" || fail "foreground boot report: $(cat "$TMP/fg")"
grep -q "MicronOS $NAME stopped" "$TMP/fg" || fail "no clean stop: $(cat "$TMP/fg")"
[ -e "$TMP/run/$NAME" ] && fail "runtime dir left after SIGTERM"

echo "shell.sh: $CHECKS checks, $FAILS failures"
[ "$FAILS" -eq 0 ]
