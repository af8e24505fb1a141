#!/bin/bash
# micronos-run as a new user tries it: the commands of issue 5's "done
# means", each checked for what it must show, first with a throwaway
# instance, then through a running one (whose root is MicronOS's tree,
# mounted with FUSE: /proc, /etc, /home... are MicronOS's).
. "$(dirname "$0")/run_lib.bash"
need_root

basic_checks() {

out=$(run sh -c 'echo $$; ps -ef')
pid=$(printf '%s\n' "$out" | head -1)
check_grep "echo \$\$ gives a pid after the kernel-task range" '^(3[2-9]|[4-9][0-9]|[0-9]{3,})$' "$pid"
check_grep "ps -ef lists the shell at that pid" "^user +$pid +1 .*sh -c" "$out"
check_grep "ps -ef lists MicronOS init as pid 1" '^root +1 +0 .*(micronos-)?init' "$out"

check "sh -c 'sleep 1 & wait' exits 0" 0 "$(run sh -c 'sleep 1 & wait' >/dev/null; echo $?)"
check "exit status passes through" 7 "$(run sh -c 'exit 7'; echo $?)"
check "death by signal is 128+N" 143 "$(run sh -c 'kill -TERM $$'; echo $?)"
check "id as the default user" "uid=1000(user) gid=1000(user) groups=1000(user)" "$(run id)"
check "--root is uid 0" "uid=0(root) gid=0(root) groups=0(root)" "$(run --root id)"
check "hostname" micronos "$(run hostname)"
check "--hostname" box1 "$(run --hostname box1 hostname)"
check "--hostname is /etc/hostname too" box1 "$(run --hostname box1 cat /etc/hostname)"
check_grep "uname -a names MicronOS" '^MicronOS micronos ' "$(run uname -a)"
check "nproc" "$(nproc)" "$(run nproc)"
# (the instance booted moments ago: the clock starts at its boot)
check "uptime starts at MicronOS boot" yes \
	"$(run cat /proc/uptime | awk '{print ($1 < 30) ? "yes" : "no: " $1}')"
check_grep "free works" '^Mem:' "$(run free)"
check_grep "top -b -n 1" 'PID +USER' "$(run top -b -n 1)"
check_grep "/proc/self/status is the program's" '^Uid:[[:space:]]+1000' "$(run cat /proc/self/status)"
check_grep "ls -l /dev" 'null' "$(run ls -l /dev)"
check_grep "dd from /dev/zero" '104857600 bytes' "$(run dd if=/dev/zero of=/dev/null bs=1M count=100 2>&1)"
check "pipeline" 100000 "$(run sh -c 'seq 100000 | sort -n | tail -1')"
out=$(run /usr/bin/python3 -c 'import os, subprocess; print(os.getpid()); subprocess.run(["ls", "/"])')
check_grep "python3 pid" '^[0-9]+$' "$(printf '%s\n' "$out" | head -1)"
check_grep "python3 subprocess ls /" '^usr$' "$out"
if [ -x /bin/busybox ]; then
	n=$(run /bin/busybox sh -c 'ls /proc | wc -l')
	check_grep "busybox sh: ls /proc | wc -l" '^ *[0-9]+$' "$n"
fi
check "stdin is passed" "hello" "$(echo hello | run cat)"

# errors name what is missing
out=$(run no-such-program 2>&1); rc=$?
check "missing program exits 127" 127 "$rc"
check_grep "missing program is named" 'no-such-program: not found' "$out"
mkdir -p "$WORK/bin"
printf '#!/no/such/interp\necho hi\n' >"$WORK/bin/script"
chmod 755 "$WORK/bin/script"
out=$(run --ro-bind "$WORK/bin:/w" /w/script 2>&1)
check_grep "missing interpreter is named" 'interpreter /no/such/interp is missing' "$out"
out=$(run --cwd /no/such/dir true 2>&1)
check_grep "--cwd that does not exist is named" '/no/such/dir' "$out"
out=$(run --prio bogus true 2>&1); rc=$?
check "bad --prio is a usage error" 125 "$rc"

# binds
echo data >"$WORK/bin/file"
check "ro-bind is readable" data "$(run --ro-bind "$WORK/bin:/w" cat /w/file)"
rm -f "$WORK/bin/new"
run --ro-bind "$WORK/bin:/w" sh -c 'echo x > /w/new' 2>/dev/null
check "ro-bind is read-only" no "$([ -e "$WORK/bin/new" ] && echo yes || echo no)"
chmod 777 "$WORK/bin"
run --bind "$WORK/bin:/w" sh -c 'echo written > /w/new'
check "bind is writable" written "$(cat "$WORK/bin/new" 2>/dev/null)"
check "--prio low sets nice" 10 "$(run --prio low sh -c 'cut -d" " -f19 /proc/self/stat')"
check "--prio high sets a negative nice" -10 "$(run --prio high sh -c 'cut -d" " -f19 /proc/self/stat')"
check_grep "--mem limits the address space" '^[0-9]+$' "$(run --mem 256M sh -c 'ulimit -v')"
check "--net none: only loopback" lo "$(run /usr/bin/python3 -c 'import socket; print(" ".join(n for _, n in socket.if_nameindex()))')"

# events
out=$(run --events sh -c 'true' 2>&1 >/dev/null)
check_grep "ProcessCreated is published" 'ProcessCreated process pid=[0-9]+: .*\(sh\)' "$out"
check_grep "ProcessTerminated has the status" 'ProcessTerminated .*exited 0' "$out"
out=$(run --events --trace cat /etc/hostname 2>&1 >/dev/null)
check_grep "--trace publishes opens" 'DiskRead .*open /etc/hostname' "$out"
}

echo "# a throwaway instance"
basic_checks
echo "# through a running instance"
N=rb$$
if daemon_up "$N"; then
	RUN_ARGS=(-n "$N")
	basic_checks
	out=$(run sh -c 'ps -ef')
	check_grep "ps -ef shows MicronOS's kernel tasks" '^root +2 +1 .*\[timerd\]' "$out"
	run sh -c 'echo found > /home/user/from-inside'
	check "a file written under /home is on the mount" found \
		"$(cat "$MICRONOS_RUNTIME_ROOT/$N/mnt/home/user/from-inside" 2>&1)"
	daemon_down "$N"
else
	bad "micronos up"
fi
finish
