#!/bin/bash
# micronos-run through a running instance, and the shell's spawn, kill,
# suspend, resume, ps and top acting on real programs; what happens to
# them when the instance goes down or is killed.
. "$(dirname "$0")/run_lib.bash"
need_root

N=rd$$
daemon_up "$N" || { bad "micronos up"; finish; exit 1; }
ok "instance $N is up"
R() { timeout -s KILL 60 "$RUN" -n "$N" "$@"; }

# --- micronos-run through the instance ----------------------------------
out=$(R sh -c 'echo $$; ps -ef')
pid=$(printf '%s\n' "$out" | head -1)
check_grep "echo \$\$ gives a pid after the kernel-task range" '^(3[2-9]|[4-9][0-9]|[0-9]{3,})$' "$pid"
check_grep "ps -ef inside lists the shell" "^user +$pid +1 .*sh -c" "$out"
check "exit status passes through" 7 "$(R sh -c 'exit 7'; echo $?)"
check "death by signal is 128+N" 143 "$(R sh -c 'kill -TERM $$'; echo $?)"
check "stdin is passed" hello "$(echo hello | R cat)"
check "stderr is passed" oops "$(R sh -c 'echo oops >&2' 2>&1 >/dev/null)"
check "id as the default user" "uid=1000(user) gid=1000(user) groups=1000(user)" "$(R id)"
check "--root is uid 0" 0 "$(R --root id -u)"
check "--cwd" /tmp "$(R --cwd /tmp pwd)"
# Magic links go through the sandbox's hidden real procfs.
check "/proc/PID/cwd leads to the real directory" /tmp \
	"$(R bash -c 'cd /tmp && cd /proc/$$/cwd && pwd -P')"
check "process substitution (/proc/self/fd)" procsub \
	"$(R bash -c 'cat <(echo procsub)')"
check "/proc/self/fd lists the descriptors" "0 1 2" \
	"$(R bash -c 'ls /proc/$$/fd | sort -n | head -3 | tr "\n" " " | sed "s/ $//"')"
check "--prio low" 10 "$(R --prio low sh -c 'cut -d" " -f19 /proc/self/stat')"
out=$(R no-such-program 2>&1); rc=$?
check "missing program exits 127" 127 "$rc"
check_grep "... and is named" 'no-such-program: not found' "$out"
out=$(R --events sh -c true 2>&1 >/dev/null)
check_grep "--events shows the run's events" 'ProcessTerminated .*\(sh\) exited 0' "$out"

# the program is a process of the instance: the shell sees it at its pid
# (micronos-run itself in the background, so that $! is its pid)
"$RUN" -n "$N" sh -c 'echo $$; exec sleep 30' >"$WORK/p1" &
runner=$!
for _ in $(seq 50); do [ -s "$WORK/p1" ] && break; sleep 0.1; done
pid=$(cat "$WORK/p1")
check_grep "the shell's ps shows the program at its pid" "^ *$pid +1 +[0-9]+ +[0-9]+ +1000 .*sleep 30" "$(msh "$N" ps)"
# terminal signals are forwarded: SIGINT ends sleep with 130
kill -INT "$runner"
wait "$runner"
check "SIGINT is forwarded" 130 $?
"$RUN" -n "$N" sh -c 'trap "echo got WINCH; exit 0" WINCH; echo ready; while :; do sleep 0.1; done' >"$WORK/w" &
runner=$!
for _ in $(seq 50); do grep -q ready "$WORK/w" && break; sleep 0.1; done
kill -WINCH "$runner"
wait "$runner"
check "SIGWINCH is forwarded" "ready got WINCH" "$(tr '\n' ' ' <"$WORK/w" | sed 's/ $//')"
# a killed micronos-run takes its program along
tag=$((200000 + RANDOM))
"$RUN" -n "$N" sleep "$tag" </dev/null >/dev/null 2>&1 &
runner=$!
for _ in $(seq 50); do pgrep -x -f "sleep $tag" >/dev/null && break; sleep 0.1; done
kill -9 "$runner"
wait "$runner" 2>/dev/null
for _ in $(seq 50); do pgrep -x -f "sleep $tag" >/dev/null || break; sleep 0.1; done
check "kill -9 of micronos-run kills its program" 1 "$(pgrep -x -f "sleep $tag" >/dev/null; echo $?)"
# options that shape the world get a throwaway instance of their own
check "--hostname runs in a world of its own" box9 "$(R --hostname box9 hostname)"

# startup with an instance running (figures only: no assertion on speed)
t0=$(date +%s%N)
for _ in $(seq 20); do "$RUN" -n "$N" /bin/true; done
t1=$(date +%s%N)
echo "# micronos-run /bin/true through the instance: $(( (t1 - t0) / 20000 )) us per run (20 runs)"

# --- the shell's processes -----------------------------------------------
out=$(msh "$N" 'spawn sh -c "echo hello from spawn; echo to stderr >&2; exec sleep 60"')
check_grep "spawn prints the pid and the log" '^spawned [0-9]+ \(sh\), output in /var/log/spawn-[0-9]+\.log$' "$out"
sp=$(printf '%s\n' "$out" | sed -n 's/^spawned \([0-9]*\) .*/\1/p')
sleep 0.3
check_grep "ps lists it" "^ *$sp +1 +[0-9]+ +[0-9]+ +1000 .*sleep 60" "$(msh "$N" ps)"
check "its log has stdout and stderr" "hello from spawn|to stderr" \
	"$(msh "$N" "cat /var/log/spawn-$sp.log" | tr '\n' '|' | sed 's/|$//')"
# its host pid: the child of our instance's micronos-init at that pid inside
dpid=$(cat "$MICRONOS_RUNTIME_ROOT/$N/pid")
init=$(pgrep -P "$dpid" -x micronos-init)
host=""
for h in $(pgrep -P "$init"); do
	[ "$(awk '/^NSpid:/ {print $NF}' "/proc/$h/status")" = "$sp" ] && host=$h
done
msh "$N" "suspend $sp" >/dev/null
check "suspend stops the host process" T "$(awk '{print $3}' "/proc/$host/stat")"
check_grep "ps shows it stopped" "^ +$sp .* T " "$(msh "$N" ps)"
msh "$N" "resume $sp" >/dev/null
check_grep "resume continues it" '^[RS]$' "$(awk '{print $3}' "/proc/$host/stat")"
msh "$N" 'spawn sh -c "while :; do :; done"' >"$WORK/busy"
busy=$(sed -n 's/^spawned \([0-9]*\) .*/\1/p' "$WORK/busy")
sleep 2.5
row=$(msh "$N" 'top -c' | awk -v p="$busy" '$1 == p')
check_grep "top shows the busy program's CPU from the host" "^ *$busy .* R +[1-9][0-9]*\.[0-9] .* (KiB|MiB) +sh$" "$row"
msh "$N" "kill $busy KILL" >/dev/null
msh "$N" "kill $sp" >/dev/null
for _ in $(seq 50); do kill -0 "$host" 2>/dev/null || break; sleep 0.1; done
check "kill ends the host process" 1 "$(kill -0 "$host" 2>/dev/null; echo $?)"
sleep 0.5
check "ps no longer lists them" 0 "$(msh "$N" ps | awk -v a="$sp" -v b="$busy" '$1 == a || $1 == b' | wc -l)"
check_grep "ProcessTerminated is published" "pid $sp \(sleep\) killed by signal 15" "$(msh "$N" 'events list 50')"
out=$(msh "$N" 'spawn no-such-thing' 2>&1)
check_grep "spawn of a missing program says so" 'no-such-thing: not found' "$out"

# --- down while a program runs: it is killed, micronos-run says so -------
tag=$((300000 + RANDOM))
"$RUN" -n "$N" sleep "$tag" </dev/null >/dev/null 2>"$WORK/err" &
runner=$!
for _ in $(seq 50); do pgrep -x -f "sleep $tag" >/dev/null && break; sleep 0.1; done
daemon_down "$N"
wait "$runner"
rc=$?
# 128+9: the program was killed with the namespace (issue 16, item 5)
check "micronos-run returns 128+9 when the instance goes down" 137 "$rc"
check_grep "... and says why" 'went away' "$(cat "$WORK/err")"
check "its program is gone" 1 "$(pgrep -x -f "sleep $tag" >/dev/null; echo $?)"

# --- kill -9 of the daemon: every sandboxed process dies -------------------
daemon_up "$N" || bad "second up"
dpid=$(cat "$MICRONOS_RUNTIME_ROOT/$N/pid")
tag=$((400000 + RANDOM))
"$RUN" -n "$N" sleep "$tag" </dev/null >/dev/null 2>&1 &
runner=$!
msh "$N" "spawn sleep $((tag + 1))" >/dev/null
for _ in $(seq 50); do pgrep -x -f "sleep $((tag + 1))" >/dev/null && break; sleep 0.1; done
init=$(pgrep -P "$dpid" -x micronos-init)
kill -9 "$dpid"
wait "$runner" 2>/dev/null
for _ in $(seq 50); do pgrep -f "sleep $tag|sleep $((tag + 1))" >/dev/null || break; sleep 0.1; done
check "kill -9 of the daemon kills every sandboxed process" 1 \
	"$(pgrep -f "sleep $tag|sleep $((tag + 1))" >/dev/null; echo $?)"
for _ in $(seq 50); do [ -e "/proc/$init" ] || break; sleep 0.1; done
check "its micronos-init is gone" 1 "$([ -n "$init" ] && [ -e "/proc/$init" ]; echo $?)"
mnt="$MICRONOS_RUNTIME_ROOT/$N/mnt"
check_grep "its FUSE mount is left dead" 'not connected' "$(stat "$mnt" 2>&1)"
out=$(timeout -s KILL 60 "$MICRONOS" up -n "$N" -d 2>&1)
check_grep "the next up cleans up after it" 'cleaned up after a crashed instance' "$out"
DAEMON_PIDS="$DAEMON_PIDS $(cat "$MICRONOS_RUNTIME_ROOT/$N/pid")"
check "one live mount at the mount point" 1 "$(grep -c " $mnt fuse" /proc/self/mounts)"
check_grep "... that works" '^uptime$' "$(ls "$mnt/proc")"
check "and runs programs again" 0 "$(R true; echo $?)"
check_grep "... in the tree again" '^events$' "$(R ls /)"
daemon_down "$N"
finish
