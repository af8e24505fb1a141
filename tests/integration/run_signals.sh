#!/bin/bash
# Signals under micronos-run (issue 10, items 1, 2, 8, 9): trapped calls
# under a storm of signals, compared with the same calls run natively
# (tests/conformance/sigstress.c: several threads, a 50 us itimer and a
# sibling process sending signals, canaries around every buffer the
# supervisor writes, stack frames checked for late writes), Python's own
# reproductions, a parked accept interrupted by a signal, and the records
# of a failed execve and of set*id in two processes.
. "$(dirname "$0")/run_lib.bash"
need_root

cc -O1 -pthread -o "$WORK/sigstress" "$SRC/tests/conformance/sigstress.c" ||
	{ bad "compile sigstress.c"; finish; exit 1; }
cp "$SRC"/tests/integration/signals/*.py "$WORK/"
# calls never trapped (xlate.c): they must never give EINTR
NATIVE="getpid gettid getppid getuid geteuid getgid getegid getresuid getresgid time"

# field NAME KEY REPORT: the value of KEY= on NAME's line
field() { printf '%s\n' "$3" | awk -v n="$1" -v k="$2" \
	'$1 == n { for (i = 2; i <= NF; i++) { split($i, a, "=");
		if (a[1] == k) print a[2] } }'; }

# stress WHERE MODE REPORT: judges one sigstress report
stress() {
	local where=$1 mode=$2 out=$3 name bad_lines eintr
	check_grep "$where $mode: every call was made" '^accept calls=yes' "$out"
	check_grep "$where $mode: signals arrived" '^signals=many$' "$out"
	bad_lines=$(printf '%s\n' "$out" | grep -E 'wrong=[1-9]|canary=[1-9]')
	check "$where $mode: no wrong result, no canary hit" "" "$bad_lines"
	check "$where $mode: no write after a call returned" "late=0" \
		"$(printf '%s\n' "$out" | grep '^late=')"
	for name in $NATIVE; do
		[ "$(field "$name" eintr "$out")" = 0 ] ||
			bad "$where $mode: $name gave EINTR"
	done
	if [ "$where" = native ] || [ "$mode" = restart ]; then
		# SA_RESTART: an interrupted trapped call restarts, unseen
		check "$where $mode: no EINTR at all" "" \
			"$(printf '%s\n' "$out" | grep -E 'eintr=[1-9]')"
	else
		# without SA_RESTART a signal in the moment before the
		# supervisor receives a trapped call is EINTR (notify.c):
		# counted, never a wrong result
		eintr=$(printf '%s\n' "$out" | awk '{ for (i = 2; i <= NF; i++)
			if ($i ~ /^eintr=/) { split($i, a, "="); s += a[2] } }
			END { print s + 0 }')
		ok "$where $mode: EINTR only from trapped calls ($eintr)"
	fi
}

echo "# sigstress natively, then inside"
for mode in restart intr; do
	out=$("$WORK/sigstress" $mode 3 4)
	check "native $mode exits 0" 0 $?
	stress native $mode "$out"
	out=$(run --ro-bind "$WORK:/t" /t/sigstress $mode 3 4)
	check "inside $mode exits 0" 0 $?
	stress inside $mode "$out"
done

echo "# Python's reproductions"
out=$(run --ro-bind "$WORK:/t" python3 /t/identity_itimer.py)
check "getpid, getuid, getppid give one value each under a 100 us itimer" \
	"pids 1 uids 1 ppids 1" "$out"
for i in 1 2 3; do
	out=$(run --ro-bind "$WORK:/t" python3 /t/uname_socket.py intr)
	check "uname+socket loop under a 100 us itimer survives (run $i)" 0 $?
	check_grep "uname never gives a wrong record (run $i)" '^wrong 0 ' "$out"
done
out=$(run --ro-bind "$WORK:/t" python3 /t/uname_socket.py restart)
check "with SA_RESTART no uname or socket is interrupted" \
	"wrong 0 interrupted 0" "$out"

echo "# a parked accept and signals"
out=$(run --ro-bind "$WORK:/t" python3 /t/accept_signal.py)
check_grep "a signal interrupts a blocked accept (no SA_RESTART)" \
	'^accept interrupted after 0\.[3-9]' "$out"
check_grep "a blocked accept restarts under SA_RESTART" \
	'^accepted after [0-9]+ handler runs$' "$out"

echo "# records through a running instance (MicronOS's /proc)"
N=sg$$
if daemon_up "$N"; then
	cp "$WORK"/*.py "$MICRONOS_RUNTIME_ROOT/$N/mnt/tmp/"
	RUN_ARGS=(-n "$N")
	out=$(run python3 /tmp/exec_fail.py)
	check "a failed execve keeps the command line" "python3 /tmp/exec_fail.py" \
		"$(printf '%s\n' "$out" | head -1)"
	check_grep "a failed execve keeps the name" '^Name:[[:space:]]python3$' "$out"
	out=$(run --root python3 /tmp/setid_two.py | sort)
	check "two processes changing ids keep their own" \
		"1001 ['1001', '1001']
1002 ['1002', '1002']" "$out"
	out=$(run sh -c 'exec sleep 0.5 & pid=$!; sleep 0.3; cat /proc/$pid/cmdline | tr "\0" " "; wait')
	check "a successful exec is recorded without a later trapped call" \
		"sleep 0.5 " "$out"
	daemon_down "$N"
else
	bad "micronos up"
fi
finish
