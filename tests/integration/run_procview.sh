#!/bin/bash
# What MicronOS says about its processes, inside micronos-run, is what the
# host sees of the same programs, and what the shell says: procps (top,
# vmstat, free, ps, pidof, pgrep, pkill, watch, uptime) and psmisc's pstree
# run on MicronOS's /proc; states, groups, threads, memory and signal sets
# are compared with the host's /proc and with the shell's ps and signals.
. "$(dirname "$0")/run_lib.bash"
need_root
for t in top vmstat free ps pidof pgrep pkill watch uptime pstree python3; do
	command -v "$t" >/dev/null || { bad "$t is not installed (scripts/setup.sh)"; finish; exit 1; }
done

N=pv$$
daemon_up "$N" || { bad "micronos up"; finish; exit 1; }
MNT="$MICRONOS_RUNTIME_ROOT/$N/mnt"
OUT="$MNT/tmp/pv"
RUN_ARGS=(-n "$N")

# a program with 3 more threads that ignores HUP and catches USR1
cat >"$MNT/tmp/threads.py" <<'PY'
import signal, threading, time
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.signal(signal.SIGUSR1, lambda *a: None)
for _ in range(3):
    threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
time.sleep(120)
PY
cat >"$MNT/tmp/pv.sh" <<'SH'
o=/tmp/pv
mkdir -p $o
sh -c 'while :; do :; done' & echo $! >$o/busy
sleep 3017 & echo $! >$o/sleep
setsid sh -c 'sleep 3018; :' & echo $! >$o/leader
python3 /tmp/threads.py & echo $! >$o/py
sleep 1
top -bn2 -d1 >$o/top 2>&1; echo $? >$o/top.rc
vmstat 1 3 >$o/vmstat 2>&1; echo $? >$o/vmstat.rc
free >$o/free 2>&1; echo $? >$o/free.rc
cat /proc/meminfo >$o/meminfo
ps -eo pid,pgid,sid,tty,stat,rss,nlwp,time,comm >$o/ps 2>&1
pstree -p >$o/pstree 2>&1
pidof sleep >$o/pidof
pgrep -f '^sleep 3018' >$o/pgrep
ls /proc/$(cat $o/py)/task >$o/tasks
uptime >$o/uptime 2>&1; echo $? >$o/uptime.rc
: >$o/zps
for i in 1 2 3 4 5 6; do /bin/true; ps -eo pid=,stat=,comm= >>$o/zps; done
TERM=dumb timeout 20 watch -n 0.5 -t -g cat /proc/uptime >/dev/null 2>&1
echo $? >$o/watch.rc
touch $o/ready
i=0
while [ ! -e $o/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
pkill -f '^sleep 3018'; echo $? >$o/pkill.rc
i=0
while pgrep -f '^sleep 3018' >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
pgrep -f '^sleep 3018' >/dev/null; echo $? >$o/pgrep2.rc
kill $(cat $o/busy) $(cat $o/sleep) $(cat $o/py)
touch $o/done
SH
run /bin/sh /tmp/pv.sh >"$WORK/run.out" 2>&1 &
RUNPID=$!
for _ in $(seq 600); do [ -e "$OUT/ready" ] && break; sleep 0.1; done
[ -e "$OUT/ready" ] || { bad "the script inside never got ready"; cat "$WORK/run.out"; finish; exit 1; }

busy=$(cat "$OUT/busy"); slp=$(cat "$OUT/sleep"); py=$(cat "$OUT/py")
leader=$(cat "$OUT/leader")

# --- top: the second frame shows the busy loop's CPU ---------------------
check "top -bn2 -d1 exits 0" 0 "$(cat "$OUT/top.rc")"
idle=$(grep '%Cpu' "$OUT/top" | tail -1 | sed -E 's/.* ([0-9.]+) id.*/\1/')
check "top's 2nd frame is not all idle (was 100.0 id: /proc/stat read once)" \
	yes "$(awk -v i="$idle" 'BEGIN { print (i < 100.0) ? "yes" : "no" }')"
bcpu=$(awk -v p="$busy" '/^top -/ { f++ } f == 2 && $1 == p { print $9 }' "$OUT/top")
check "top's 2nd frame: the busy loop uses CPU" \
	yes "$(awk -v c="${bcpu:-0}" 'BEGIN { print (c > 0) ? "yes" : "no" }')"

# --- vmstat, free, uptime, watch -----------------------------------------
check "vmstat 1 3 exits 0" 0 "$(cat "$OUT/vmstat.rc")"
check "vmstat prints 3 samples" 3 "$(grep -cE '^ *[0-9]+ +[0-9]+ ' "$OUT/vmstat")"
check "free exits 0" 0 "$(cat "$OUT/free.rc")"
ftotal=$(awk '/^Mem:/ { print $2 }' "$OUT/free")
fused=$(awk '/^Mem:/ { print $3 }' "$OUT/free")
check "free's total is MemTotal" "$(awk '/^MemTotal:/ { print $2 }' "$OUT/meminfo")" "$ftotal"
check "free's total is RAM, not the 64 MiB address space" yes \
	"$([ "$ftotal" -gt 65536 ] && echo yes)"
rsum=$(awk 'NR > 1 && $5 !~ /^Z/ { s += $6 } END { print s }' "$OUT/ps")
check "free's used ($fused kB) is the processes' RSS (ps: $rsum kB), within 50%" yes \
	"$(awk -v u="$fused" -v r="$rsum" 'BEGIN { print (u > r / 2 && u < r * 3 / 2) ? "yes" : "no" }')"
check "uptime exits 0" 0 "$(cat "$OUT/uptime.rc")"
check_grep "uptime has the load average" "load average: [0-9.]+, " "$(cat "$OUT/uptime")"
check "watch -g exits 0 when /proc/uptime changes (re-read per frame)" 0 "$(cat "$OUT/watch.rc")"

# --- ps against the host's view of the same programs ---------------------
check "no zombie listed that the host has reaped (sh waited for each)" "" \
	"$(awk '$2 ~ /^Z/' "$OUT/zps")"
row() { awk -v p="$1" '$1 == p' "$OUT/ps"; }
host_of() {	# host pid of a program by its unique command line
	pgrep -f -x "$1" | head -1
}
nsfield() { awk -v k="$2:" '$1 == k { print $NF }' "/proc/$1/status"; }
hslp=$(host_of "sleep 3017")
hpy=$(host_of "python3 /tmp/threads.py")
hlead=$(host_of "sleep 3018")
for pair in "sleep 3017:$slp:$hslp" "python3:$py:$hpy"; do
	IFS=: read -r name pid hp <<<"$pair"
	r=$(row "$pid")
	[ -n "$hp" ] || { bad "$name: not found on the host"; continue; }
	check "$name: ps state is the host's" \
		"$(awk '{ print $3 }' "/proc/$hp/stat")" "$(echo "$r" | awk '{ print substr($5, 1, 1) }')"
	check "$name: pgid is the host's NSpgid" "$(nsfield "$hp" NSpgid)" "$(echo "$r" | awk '{ print $2 }')"
	check "$name: sid is the host's NSsid" "$(nsfield "$hp" NSsid)" "$(echo "$r" | awk '{ print $3 }')"
	check "$name: nlwp is the host's Threads" "$(nsfield "$hp" Threads)" "$(echo "$r" | awk '{ print $7 }')"
	hrss=$(ps -o rss= -p "$hp" | tr -d ' ')
	check "$name: rss within 25% of the host's ($hrss kB)" yes \
		"$(echo "$r" | awk -v h="$hrss" '{ print ($6 > h * 3 / 4 && $6 < h * 5 / 4) ? "yes" : "no" }')"
done
check "sleep is S, as on the host (was always R)" S "$(row "$slp" | awk '{ print substr($5, 1, 1) }')"
check "python3: 4 threads" 4 "$(row "$py" | awk '{ print $7 }')"
check "python3: task/ lists as many tasks as Threads" 4 "$(wc -l <"$OUT/tasks")"
check "python3: task/ names its own pid" "$py" "$(head -1 "$OUT/tasks")"
lsl=$(cat "$OUT/pgrep")
check "setsid: sleep 3018 is in its leader's group (was pgid = pid)" "$leader" \
	"$(row "$lsl" | awk '{ print $2 }')"
check "setsid: and in its session" "$leader" "$(row "$lsl" | awk '{ print $3 }')"
check "pgrep finds what the host runs" "$(nsfield "$hlead" NSpid)" "$lsl"
check_grep "pidof sleep lists sleep 3017" "(^| )$slp( |$)" "$(cat "$OUT/pidof")"
check_grep "pstree shows python3's threads" "python3\\($py\\)-.*\\{python3\\}" "$(cat "$OUT/pstree")"
check_grep "pstree shows init at the root" "^init\\(1\\)" "$(cat "$OUT/pstree")"

# --- the shell's ps and signals read the same view -----------------------
sps=$(msh "$N" ps)
srow() { printf '%s\n' "$sps" | awk -v p="$1" '$1 == p'; }
for pid in "$slp" "$py" "$lsl"; do
	check "shell ps $pid: state, pgid, sid, threads as ps inside" \
		"$(row "$pid" | awk '{ print substr($5, 1, 1), $2, $3, $7 }')" \
		"$(srow "$pid" | awk '{ print $6, $3, $4, $10 }')"
done
stop=$(msh "$N" "top -c")
for pid in "$slp" "$py"; do
	check "shell top $pid: state as ps inside" \
		"$(row "$pid" | awk '{ print substr($5, 1, 1) }')" \
		"$(printf '%s\n' "$stop" | awk -v p="$pid" '$1 == p { print $5 }')"
done
check_grep "shell top: Mem is the RAM free shows" "^Mem: +[0-9.]+ [KMGT]iB total" "$stop"
for pid in 2 3 4 5; do
	st=$(awk '{ print $3 }' "$MNT/proc/$pid/stat")
	check "kernel task $pid: shell ps state is /proc/$pid/stat's" "$st" "$(srow "$pid" | awk '{ print $6 }')"
	tk=$(awk '{ print $14 + $15 }' "$MNT/proc/$pid/stat")
	check "kernel task $pid: shell ps TIME is /proc/$pid/stat's" \
		"$(awk -v t="$tk" -v hz="$(getconf CLK_TCK)" 'BEGIN { s = int(t / hz); printf "%d:%02d", s / 60, s % 60 }')" \
		"$(srow "$pid" | awk '{ print $12 }')"
done
sig=$(msh "$N" "signals $py" | awk -v p="$py" '$1 == p')
check_grep "signals: python3 ignores HUP (as its SigIgn)" "^ *$py +python3 +- +- +[A-Z,0-9]*HUP" "$sig"
check_grep "signals: python3 handles USR1 (as its SigCgt)" "USR1[,0-9A-Z]* *$" "$sig"
check "/proc status SigCgt is the host's" "$(grep SigCgt "/proc/$hpy/status")" \
	"$(grep SigCgt "$MNT/proc/$py/status")"

# --- pkill ----------------------------------------------------------------
touch "$OUT/go"
for _ in $(seq 300); do [ -e "$OUT/done" ] && break; sleep 0.1; done
check "pkill -f '^sleep 3018' exits 0" 0 "$(cat "$OUT/pkill.rc" 2>/dev/null)"
check "pgrep finds it no more" 1 "$(cat "$OUT/pgrep2.rc" 2>/dev/null)"
for _ in $(seq 50); do [ -z "$(host_of "sleep 3018")" ] && break; sleep 0.1; done
check "and neither does the host" "" "$(host_of "sleep 3018")"
wait "$RUNPID"
daemon_down "$N"
finish
