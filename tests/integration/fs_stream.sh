#!/usr/bin/env bash
# Integration test of the FUSE mount: the event stream through ordinary
# tools.  `cat events/stream` blocks and leaves at once on Ctrl-C (SIGINT);
# a non-blocking read says EAGAIN; 32 readers wait while `ls -lR` stays
# fast; `tail -f` of a growing events file follows new events; and after
# kill -9 of the daemon no reader is left in D state, and the next up
# cleans the dead mount.  (The adapter's parking, poll and interrupts are
# also tested without the event trees in test_fusefs.)
. "$(dirname "$0")/fs_lib.sh"
fs_need

if ! fs_up; then
	bad "the instance mounts its tree"
	fs_finish
	exit
fi
STREAM="$MNT/events/stream"
[ -e "$STREAM" ] && ok "events/stream exists" || bad "no events/stream"

state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# Blocks, then SIGINT ends it at once.
env --default-signal=INT cat "$STREAM" >/dev/null &
pid=$!
sleep 0.5
kill -0 $pid 2>/dev/null && ok "cat events/stream blocks" ||
	bad "cat events/stream returned at once"
kill -INT $pid
if wait_gone $pid; then ok "Ctrl-C ends cat events/stream"
else bad "cat events/stream ignores Ctrl-C (state $(state $pid))"; fi

if command -v python3 >/dev/null; then
	res=$(timeout 10 python3 -c '
import os, sys, errno
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
n = 0
try:
    while n < 100000:
        n += len(os.read(fd, 65536)) or 1
    print("no EAGAIN")
except OSError as e:
    print(errno.errorcode[e.errno])
' "$STREAM")
	check "O_NONBLOCK read says EAGAIN when empty" EAGAIN "$res"
fi

# 32 readers; the tree stays responsive.
pids=()
for i in $(seq 32); do
	env --default-signal=INT cat "$STREAM" >/dev/null &
	pids+=($!)
done
sleep 0.5
t0=$(date +%s%N)
timeout 30 ls -lR "$MNT" >/dev/null 2>&1
rc=$?
t1=$(date +%s%N)
# (its exit status is fs_tree's business; here: it finishes)
[ $rc -ne 124 ] && ok "ls -lR finishes with 32 stream readers" ||
	bad "ls -lR hangs with 32 stream readers"
echo "# ls -lR took $(( (t1 - t0) / 1000000 )) ms with 32 readers"
[ $(( (t1 - t0) / 1000000 )) -lt 10000 ] && ok "ls -lR stays fast" ||
	bad "ls -lR took $(( (t1 - t0) / 1000000 )) ms"
kill -INT "${pids[@]}"
left=0
for p in "${pids[@]}"; do wait_gone "$p" || left=$((left + 1)); done
check "all 32 readers leave on SIGINT" 0 $left

# tail -f follows a growing events file.
GROWS="$MNT/events/log"
if [ -f "$GROWS" ]; then
	timeout 10 tail -n 0 -f "$GROWS" >"$FS_TMP/tail.out" &
	tpid=$!
	sleep 1
	[ "$SERVER" != bench ] && fs_shell "timer create itfs 10" >/dev/null
	echo x >"$MNT/var/poke"	# a DiskWrite event at close
	sleep 2
	kill $tpid 2>/dev/null
	[ -s "$FS_TMP/tail.out" ] && ok "tail -f $(basename "$GROWS") follows" ||
		bad "tail -f $(basename "$GROWS") shows nothing new"
else
	bad "no $GROWS to follow"
fi

# kill -9 of the daemon: readers get an error, none is left in D state.
pids=()
for i in $(seq 4); do
	cat "$STREAM" >/dev/null 2>&1 &
	pids+=($!)
done
sleep 0.5
fs_kill9
left=0
for p in "${pids[@]}"; do
	if ! wait_gone "$p"; then
		left=$((left + 1))
		echo "# reader $p state $(state "$p")"
		kill -9 "$p" 2>/dev/null
	fi
done
check "no reader left (no D state) after kill -9" 0 $left
if fs_up; then ok "up after kill -9 cleans the dead mount"
else bad "up after kill -9"; fi
fs_down
is_mounted "$MNT" && bad "no mount left" || ok "no mount left"
fs_finish
