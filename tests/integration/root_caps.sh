#!/usr/bin/env bash
# A daemon started by root keeps only the capabilities its code uses
# (src/cmd/cmd_micronos_caps.c, ARCHITECTURE.md "Privilege"): after boot,
# /proc/PID/status of every one of its threads shows that set as CapEff,
# CapPrm and CapBnd (the bounding set: nothing it execs gets more), and
# the instance still mounts, serves and runs programs.
set -u
. "$(dirname "$0")/run_lib.bash"
need_root

# the kept set, by number (linux/capability.h), written out here so that a
# change to the code must change the test too
KEPT="0 1 2 3 4 5 6 7 10 12 18 19 21 23 24"
want=0
for c in $KEPT; do want=$((want | (1 << c))); done
# never more than this test's own bounding set (a container may lack some)
own=$((16#$(awk '/^CapBnd/ {print $2}' /proc/self/status)))
want=$((want & own))

N=caps$$
daemon_up "$N" || { bad "boot"; finish; exit 1; }
PID=$(cat "$MICRONOS_RUNTIME_ROOT/$N/pid")
field() { echo $((16#$(awk -v f="$1:" '$1 == f {print $2}' "$2"))); }
check "CapEff after boot is the kept set" "$want" "$(field CapEff /proc/$PID/status)"
check "CapPrm too" "$want" "$(field CapPrm /proc/$PID/status)"
check "CapBnd too (exec cannot regain)" "$want" "$(field CapBnd /proc/$PID/status)"
check "no inheritable capabilities" 0 "$(field CapInh /proc/$PID/status)"
nthreads=0
odd=0
for t in /proc/"$PID"/task/*; do
	nthreads=$((nthreads + 1))
	[ "$(field CapEff "$t/status")" = "$want" ] || odd=$((odd + 1))
done
check "every thread ($nthreads) has the same set" 0 "$odd"
for c in 16 17 22 25 39; do	# modules, rawio, boot, time, bpf
	check "capability $c is gone" 0 $(( $(field CapEff /proc/$PID/status) >> c & 1 ))
done

# the instance works with what it kept
check "a program runs through it" "1000" "$(run -n "$N" id -u 2>&1)"
run -n "$N" sh -c 'echo kept > /home/user/caps' 2>/dev/null
check "storage is writable" "kept" "$(cat "$MICRONOS_RUNTIME_ROOT/$N/mnt/home/user/caps" 2>&1)"
check "the shell answers" 0 "$(msh "$N" 'ps' >/dev/null 2>&1; echo $?)"
daemon_down "$N"
check "down unmounts" 0 "$(grep -c " $MICRONOS_RUNTIME_ROOT/$N/mnt " /proc/self/mounts)"
finish
