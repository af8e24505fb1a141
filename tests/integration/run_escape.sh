#!/bin/bash
# Escape and bad-input tests: each attempt must be refused (or the
# program killed) with nothing leaked.  tests/conformance/escape.c holds
# the attempts that need C.
. "$(dirname "$0")/run_lib.sh"
need_root

cc -O1 -o "$WORK/escape" "$SRC/tests/conformance/escape.c" || {
	bad "compile escape.c"; finish; exit 1; }
E() { run --root --ro-bind "$WORK:/t" /t/escape "$@" </dev/null 2>&1; }

for t in mount umount unshare unshare-ns setns clone-ns ptrace \
	process_vm_writev io_uring bpf keyctl fsopen open_tree tiocsti \
	sethostname; do
	check_grep "$t (as root inside)" "refused: (EPERM|ENOSYS)" "$(E "$t")"
done
check_grep "clone3 falls back to clone" "refused: ENOSYS" "$(E clone3)"
E x32 >/dev/null; check "x32 syscall kills the program (SIGSYS)" 159 $?
E i386 >/dev/null; check "int 0x80 kills the program (SIGSYS)" 159 $?
check_grep "signal storm during trapped calls" "^storm ok" "$(E storm)"

# the root: no way up, no host files
host_name=$(hostname)
check "/.. is /" "$(run ls /)" "$(run ls /../../..)"
check "/proc/1/root is the sandbox's root" micronos \
	"$(run --root cat /proc/1/root/etc/hostname)"
check "no host processes in /proc" 0 \
	"$(run sh -c "ls /proc | grep -cx $$")"
out=$(run --bind "/tmp:/../escape" true 2>&1); rc=$?
check "a bind target with .. is refused" 125 "$rc"
check_grep "... with a message" 'absolute path without' "$out"
mkdir -p "$WORK/d" && ln -sfn / "$WORK/d/up"
check "a symlink to / in a bind stays inside" micronos \
	"$(run --ro-bind "$WORK/d:/d" cat /d/up/etc/hostname)"
# a host directory fd smuggled in: only stdio crosses
out=$(run sh -c 'ls -l /proc/$$/fd' 3</ 4<"$WORK")
check "no extra fd crosses into the sandbox" 0 \
	"$(printf '%s\n' "$out" | grep -cE ' [34] -> ')"
check "the supervisor is not visible to kill" 1 \
	"$(run sh -c "kill -0 $$ 2>/dev/null; echo \$?")"

# 1000 rapid forks
out=$(run sh -c 'i=0; while [ $i -lt 1000 ]; do /bin/true & i=$((i+1)); done; wait; echo done')
check "1000 rapid forks" done "$out"

# kill -9 of micronos-run: every sandboxed process dies
tag=$((100000 + RANDOM))
"$RUN" sleep "$tag" </dev/null >/dev/null 2>&1 &
runner=$!
for _ in $(seq 50); do pgrep -x -f "sleep $tag" >/dev/null && break; sleep 0.1; done
check "sleep runs inside" 0 "$(pgrep -x -f "sleep $tag" >/dev/null; echo $?)"
init=$(pgrep -P 1 -x micronos-init | while read -r p; do
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
