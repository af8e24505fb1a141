#!/bin/bash
# The world against its own programs (issue 16, items 2, 5, 6 and 7): init
# confined and undumpable, a host directory refused as stdio, limits per
# run (cgroups) with the whole tree killed, and the death of init, of the
# daemon or of micronos-run handled.  Throwaway runs and a daemon.
. "$(dirname "$0")/run_lib.bash"
need_root

cat >"$WORK/hog.c" <<'EOF'
/* hog MiB SECONDS: touches MiB of memory, holds it, says "held";
   hog fork N SECONDS: forks N children that wait, says how many */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int bomb(int n, unsigned secs)
{
	int i, ok = 0, failed = 0;

	for (i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			sleep(secs);
			_exit(0);
		}
		if (p < 0)
			failed++;
		else
			ok++;
	}
	printf("forked %d failed %d\n", ok, failed);
	fflush(stdout);
	sleep(secs);
	return 0;
}
int main(int argc, char **argv)
{
	if (!strcmp(argv[1], "fork"))
		return bomb(atoi(argv[2]), (unsigned)atoi(argv[3]));
{
	size_t n = (size_t)atoi(argv[1]) << 20, i;
	volatile char *p = malloc(n);	/* volatile: the touches stay */

	if (!p)
		return 1;
	for (i = 0; i < n; i += 4096)
		p[i] = 1;
	sleep((unsigned)atoi(argv[2]));
	printf("held\n");
	return 0;
}
}
EOF
cc -O1 -o "$WORK/hog" "$WORK/hog.c" || { bad "compile hog.c"; finish; exit 1; }
RUN_ARGS=(--ro-bind "$WORK:/t")

echo "# item 2: init is confined (as root inside)"
out=$(run --root sh -c 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/1/status')
echo "$out" | sed 's/^/#   pid 1 /'
check_grep "pid 1's capabilities are shown" "^CapEff:" "$out"
check_grep "pid 1 has NoNewPrivs 1" "^NoNewPrivs:[[:space:]]+1" "$out"
check_grep "pid 1 runs under a seccomp filter" "^Seccomp:[[:space:]]+2" "$out"
check "root inside cannot open /proc/1/mem for writing" denied \
	"$(run --root sh -c '(exec 3<>/proc/1/mem) 2>/dev/null && echo opened || echo denied')"
check "root inside cannot open /proc/1/mem for reading" denied \
	"$(run --root sh -c '(exec 3</proc/1/mem) 2>/dev/null && echo opened || echo denied')"
check "pid 1's environ shows nothing" 0 \
	"$(run --root sh -c 'cat /proc/1/environ 2>/dev/null | wc -c')"
export MN_TEST_SECRET="host-secret-$$"
check "the host's environment is not in pid 1's memory maps" 0 \
	"$(run --root sh -c 'cat /proc/1/environ /proc/1/cmdline 2>/dev/null' | grep -c host-secret)"
unset MN_TEST_SECRET

echo "# item 7: a directory as stdio is refused"
mkdir -p "$WORK/hostdir"
out=$(run sh -c 'cat ../../etc/hostname' <"$WORK/hostdir" 2>&1); rc=$?
check "a directory on stdin: the program does not run" 126 "$rc"
check_grep "... with a clear error" "stdin is a directory" "$out"
out=$(run --root sh -c 'echo x >&1' 2>&1 1<"$WORK/hostdir"); rc=$?
check "a directory on stdout: refused too" 126 "$rc"
check_grep "... naming stdout" "stdout is a directory" "$out"
check "a file on stdin still works" micronos \
	"$(run cat </etc/hostname >/dev/null; run cat /etc/hostname)"

echo "# item 6: limits per run, not per process"
out=$(run /t/hog fork 1500 1)
echo "#   $out"
check_grep "a fork bomb is bounded by the run's pids limit (1024)" \
	"^forked 10[0-2][0-9] failed (4[7-9][0-9]|5[0-9][0-9])$" "$out"
out=$(run -m 256M sh -c 'for i in 1 2 3 4 5 6 7 8; do /t/hog 64 2 & done; wait' 2>&1)
held=$(printf '%s\n' "$out" | grep -c held)
check "-m 256M holds across children (8 x 64 MiB: not all)" yes \
	"$([ "$held" -lt 8 ] && echo yes || echo "no: $held held")"
out=$(run sh -c 'for i in 1 2 3 4 5 6 7 8; do /t/hog 64 2 & done; wait' 2>&1)
check "... and without -m all eight hold" 8 "$(printf '%s\n' "$out" | grep -c held)"

echo "# item 5: init killed -9 under a throwaway micronos-run"
RUN_ARGS=()
tag=$((600000 + RANDOM))
"$RUN" sh -c "sleep $tag & sleep $tag" </dev/null >"$WORK/r5t.out" 2>&1 &
runner=$!
for _ in $(seq 100); do pgrep -x -f "sleep $tag" >/dev/null && break; sleep 0.1; done
init=$(pgrep -P "$runner" -x micronos-init)
check "its init is micronos-run's child" yes "$([ -n "$init" ] && echo yes)"
kill -9 "$init"
for _ in $(seq 100); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
kill -9 "$runner" 2>/dev/null
wait "$runner"; rc=$?
check "micronos-run returns 128+9 at once" 137 "$rc"
check_grep "... saying why" "init died" "$(cat "$WORK/r5t.out")"
check "... and the programs died with init" 0 "$(pgrep -c -x -f "sleep $tag")"

echo "# item 6: micronos-run killed, the whole tree goes (daemon)"
N=rw$$
if daemon_up "$N"; then
	mnt="$MICRONOS_RUNTIME_ROOT/$N/mnt"
	dpid=$(cat "$MICRONOS_RUNTIME_ROOT/$N/pid")
	RUN_ARGS=(-n "$N")
	tag=$((200000 + RANDOM))
	# children that leave the group and ignore SIGTERM
	"$RUN" "${RUN_ARGS[@]}" sh -c "i=0; while [ \$i -lt 300 ]; do setsid sh -c 'trap \"\" TERM; exec sleep $tag' & i=\$((i+1)); done; wait" \
		</dev/null >/dev/null 2>&1 &
	runner=$!
	for _ in $(seq 100); do
		[ "$(pgrep -c -x -f "sleep $tag")" -ge 300 ] && break; sleep 0.1
	done
	check "300 children of the run are up" 300 "$(pgrep -c -x -f "sleep $tag")"
	kill -9 "$runner"
	wait "$runner" 2>/dev/null
	for _ in $(seq 100); do pgrep -x -f "sleep $tag" >/dev/null || break; sleep 0.1; done
	check "kill -9 of micronos-run: none of them survives" 0 \
		"$(pgrep -c -x -f "sleep $tag")"
	tag=$((300000 + RANDOM))
	"$RUN" "${RUN_ARGS[@]}" sh -c "trap '' TERM; (trap '' TERM; exec sleep $tag) & sleep $tag" \
		</dev/null >/dev/null 2>&1 &
	runner=$!
	for _ in $(seq 100); do
		[ "$(pgrep -c -x -f "sleep $tag")" -ge 2 ] && break; sleep 0.1
	done
	kill -TERM "$runner"
	for _ in $(seq 50); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$runner" 2>/dev/null
	wait "$runner" 2>/dev/null
	for _ in $(seq 100); do pgrep -x -f "sleep $tag" >/dev/null || break; sleep 0.1; done
	check "a child ignoring SIGTERM does not outlive micronos-run" 0 \
		"$(pgrep -c -x -f "sleep $tag")"

	echo "# item 5: init killed -9"
	init=$(pgrep -P "$dpid" -x micronos-init)
	check "the daemon's init is found" yes "$([ -n "$init" ] && echo yes)"
	tag=$((400000 + RANDOM))
	start=$(date +%s)
	"$RUN" "${RUN_ARGS[@]}" sh -c "sleep $tag & sleep $tag" </dev/null \
		>"$WORK/r5.out" 2>&1 &
	runner=$!
	for _ in $(seq 100); do pgrep -x -f "sleep $tag" >/dev/null && break; sleep 0.1; done
	kill -9 "$init"
	for _ in $(seq 100); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
	wait "$runner"; rc=$?
	check "the attached micronos-run returns 128+9" 137 "$rc"
	check "... promptly (within 10 s)" yes \
		"$([ $(($(date +%s) - start)) -lt 10 ] && echo yes || echo no)"
	check_grep "... saying why" "init died" "$(cat "$WORK/r5.out")"
	check "the program tree died with init" 0 "$(pgrep -c -x -f "sleep $tag")"
	for _ in $(seq 100); do
		msh "$N" health | grep -q "^sandbox .*ok .*1 restarts" && break
		sleep 0.2
	done
	check_grep "health says the world restarted" "^sandbox +ok .*1 restarts" \
		"$(msh "$N" health)"
	check "no zombie init is left" 0 \
		"$(ps -o stat= --ppid "$dpid" | grep -c Z)"
	check "new runs work again" micronos "$(run cat /etc/hostname)"
	ev=$(msh "$N" "events filter custom 1000")
	check_grep "events: init's death" "sandbox: ok -> failed: the world's init died" "$ev"
	check_grep "events: the restart" "sandbox: recovery ok: world restarted" "$ev"

	echo "# item 5: the daemon killed -9"
	tag=$((500000 + RANDOM))
	"$RUN" "${RUN_ARGS[@]}" sleep "$tag" </dev/null >/dev/null 2>&1 &
	runner=$!
	for _ in $(seq 100); do pgrep -x -f "sleep $tag" >/dev/null && break; sleep 0.1; done
	kill -9 "$dpid"
	for _ in $(seq 100); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
	wait "$runner"; rc=$?
	check "micronos-run returns 128+9 when the daemon dies" 137 "$rc"
	for _ in $(seq 100); do pgrep -x -f "sleep $tag" >/dev/null || break; sleep 0.1; done
	check "... and its program is gone" 0 "$(pgrep -c -x -f "sleep $tag")"
else
	bad "micronos up"
fi
finish
