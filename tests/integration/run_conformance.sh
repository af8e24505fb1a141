#!/bin/bash
# Conformance: tests/conformance/probe.c exercises process, identity, file,
# signal and time calls; its output natively and under micronos-run must
# be identical except for the keys listed in MUST_DIFFER, each for a reason.
# Run twice: in a throwaway instance, and through a running instance (whose
# root is MicronOS's tree: the probe is copied into its /tmp).
. "$(dirname "$0")/run_lib.bash"
need_root

cc -O1 -o "$WORK/probe" "$SRC/tests/conformance/probe.c" || {
	bad "compile probe.c"; finish; exit 1; }
"$WORK/probe" >"$WORK/native.txt"

# key -> why it must differ (and what it must be inside)
declare -A MUST_DIFFER=(
	[pid]="MicronOS pids are the pid namespace's, after the kernel tasks"
	[uid]="the program runs as MicronOS user 1000, not as the host's root"
	[euid]="as uid" [gid]="as uid" [egid]="as uid"
	[uname_sysname]="uname is MicronOS's: MicronOS"
	[uname_nodename]="the hostname is MicronOS's (kernel.hostname)"
	[monotonic_secs]="the time namespace starts CLOCK_MONOTONIC at boot"
)
declare -A INSIDE=(
	[uid]=1000 [euid]=1000 [gid]=1000 [egid]=1000
	[uname_sysname]=MicronOS [uname_nodename]=micronos
)

# compare FILE MONOTONIC_MAX: MONOTONIC_MAX is how long ago the instance
# booted, at most, in seconds
compare() {
	local line key native
	while IFS= read -r line; do
		key=${line%%=*}
		native=$(grep -m1 "^$key=" "$WORK/native.txt")
		if [ "$key" = monotonic_secs ]; then
			check "$key inside is at most $2 (${MUST_DIFFER[$key]})" \
				yes "$([ "${line#*=}" -le "$2" ] && echo yes)"
		elif [ -n "${MUST_DIFFER[$key]+x}" ]; then
			if [ -n "${INSIDE[$key]+x}" ]; then
				check "$key inside (${MUST_DIFFER[$key]})" \
					"$key=${INSIDE[$key]}" "$line"
			else
				ok "$key differs as it may (${MUST_DIFFER[$key]})"
			fi
		else
			check "$key same as native" "$native" "$line"
		fi
	done <"$1"
	check "same number of results" "$(wc -l <"$WORK/native.txt")" \
		"$(wc -l <"$1")"
	pid=$(grep '^pid=' "$1" | cut -d= -f2)
	check_grep "pid inside is above the kernel-task range" \
		'^(3[2-9]|[4-9][0-9]|[0-9]{3,})$' "$pid"
}

echo "# a throwaway instance"
run --ro-bind "$WORK:/t" /t/probe >"$WORK/sandbox.txt"
check "probe exits 0 inside" 0 $?
compare "$WORK/sandbox.txt" 0

echo "# through a running instance"
N=rc$$
if daemon_up "$N"; then
	t0=$(date +%s)
	cp "$WORK/probe" "$MICRONOS_RUNTIME_ROOT/$N/mnt/tmp/probe"
	RUN_ARGS=(-n "$N")
	run /tmp/probe >"$WORK/daemon.txt"
	check "probe exits 0 inside" 0 $?
	compare "$WORK/daemon.txt" $(($(date +%s) - t0 + 2))
	daemon_down "$N"
else
	bad "micronos up"
fi
finish
