#!/bin/bash
# Escape and bad-input tests: each attempt must be refused (or the
# program killed) with nothing leaked.  tests/conformance/escape.c holds
# the attempts that need C.  Run twice: in a throwaway instance (a tmpfs
# root), and through a running instance (MicronOS's tree as the root, the
# namespace's procfs hidden at /.micronos/proc).
. "$(dirname "$0")/run_lib.bash"
need_root

cc -O1 -pthread -o "$WORK/escape" "$SRC/tests/conformance/escape.c" || {
	bad "compile escape.c"; finish; exit 1; }
secret="TOPSECRET-$$"
echo "$secret" >"$WORK/secret"
chmod 644 "$WORK/secret"

# escape_checks ESCAPE PROCFS: the attempts, with the escape program at
# ESCAPE inside and the namespace's procfs at PROCFS
escape_checks() {
	local esc=$1 procfs=$2 t out rc
	E() { run --root "$esc" "$@" </dev/null 2>&1; }
	for t in mount umount unshare unshare-ns setns clone-ns ptrace \
		process_vm_writev io_uring bpf keyctl fsopen open_tree tiocsti \
		sethostname; do
		check_grep "$t (as root inside)" "refused: (EPERM|ENOSYS)" "$(E "$t")"
	done
	check_grep "clone3 falls back to clone" "refused: ENOSYS" "$(E clone3)"
	check_grep "ns_last_pid cannot be moved (as root)" "refused: (EROFS|EACCES|EPERM)" "$(E ns_last_pid)"
	E x32 >/dev/null; check "x32 syscall kills the program (SIGSYS)" 159 $?
	E i386 >/dev/null; check "int 0x80 kills the program (SIGSYS)" 159 $?
	check_grep "signal storm during trapped calls" "^storm ok" "$(E storm)"
	check_grep "a thread swapping the path during open" "^swap ok" \
		"$(run --trace "$esc" swap "$WORK/secret" "$secret" 2>&1)"
	out=$(E fdmax)
	check_grep "fd exhaustion: a trapped open gets EMFILE" "^fdmax refused: EMFILE" "$out"
	check_grep "fd exhaustion during ADDFD: socket gets EMFILE" "^fdmax socket refused: EMFILE" "$out"
	check_grep "... open works again once a descriptor is free" "^fdmax then ok" "$out"
	check_grep "... and so does socket" "^fdmax socket then ok" "$out"

	# the root: no way up, no host files
	check "/.. is /" "$(run ls /)" "$(run ls /../../..)"
	# init is undumpable: not even root inside reaches its /proc files
	check "$procfs/1/root is closed to root inside" denied \
		"$(run --root sh -c "cat $procfs/1/root/etc/hostname 2>/dev/null || echo denied")"
	check "$procfs/self/root is the sandbox's root" micronos \
		"$(run --root cat "$procfs/self/root/etc/hostname")"
	check "no host processes in /proc" 0 \
		"$(run sh -c "ls /proc | grep -cx $$")"
	check "no host processes in $procfs" 0 \
		"$(run sh -c "ls $procfs | grep -cx $$")"
	check "the host file is not visible" 1 \
		"$(run cat "$WORK/secret" >/dev/null 2>&1; echo $?)"
	# a host directory fd smuggled in: only stdio crosses
	out=$(run sh -c "ls -l $procfs/\$\$/fd" 3</ 4<"$WORK")
	check "no extra fd crosses into the sandbox" 0 \
		"$(printf '%s\n' "$out" | grep -cE ' [34] -> ')"
	check "the supervisor is not visible to kill" 1 \
		"$(run sh -c "kill -0 $$ 2>/dev/null; echo \$?")"
	out=$(run sh -c 'i=0; while [ $i -lt 1000 ]; do /bin/true & i=$((i+1)); done; wait; echo done')
	check "1000 rapid forks" "done" "$out"
}

echo "# a throwaway instance"
RUN_ARGS=(--ro-bind "$WORK:/t")
escape_checks /t/escape /proc
RUN_ARGS=()
out=$(run --bind "/tmp:/../escape" true 2>&1); rc=$?
check "a bind target with .. is refused" 125 "$rc"
check_grep "... with a message" 'absolute path without' "$out"
mkdir -p "$WORK/d" && ln -sfn / "$WORK/d/up"
check "a symlink to / in a bind stays inside" micronos \
	"$(run --ro-bind "$WORK/d:/d" cat /d/up/etc/hostname)"

echo "# through a running instance"
N=re$$
if daemon_up "$N"; then
	mnt="$MICRONOS_RUNTIME_ROOT/$N/mnt"
	cp "$WORK/escape" "$mnt/tmp/escape"
	RUN_ARGS=(-n "$N")
	escape_checks /tmp/escape /.micronos/proc
	# a symlink planted in storage leads nowhere outside
	ln -s /../../../.. "$mnt/tmp/up"
	check "a symlink in the tree to /../.. stays inside" micronos \
		"$(run cat /tmp/up/etc/hostname)"
	check "the tree's root is not writable by a user" 1 \
		"$(run sh -c 'mkdir /evil 2>/dev/null; echo $?')"
	daemon_down "$N"
else
	bad "micronos up"
fi

# kill -9 of micronos-run: every sandboxed process dies
RUN_ARGS=()
tag=$((100000 + RANDOM))
"$RUN" sleep "$tag" </dev/null >/dev/null 2>&1 &
runner=$!
for _ in $(seq 50); do pgrep -x -f "sleep $tag" >/dev/null && break; sleep 0.1; done
check "sleep runs inside" 0 "$(pgrep -x -f "sleep $tag" >/dev/null; echo $?)"
init=$(pgrep -x micronos-init | while read -r p; do
	pgrep -P "$p" -x -f "sleep $tag" >/dev/null && echo "$p"; done)
kill -9 "$runner"
wait "$runner" 2>/dev/null
for _ in $(seq 50); do pgrep -x -f "sleep $tag" >/dev/null || break; sleep 0.1; done
check "kill -9 of micronos-run kills the sandbox" 1 \
	"$(pgrep -x -f "sleep $tag" >/dev/null; echo $?)"
alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q ') Z' "/proc/$1/stat"; }
for _ in $(seq 50); do alive "$init" || break; sleep 0.1; done
check "its micronos-init is gone" 1 "$(alive "$init"; echo $?)"
finish
