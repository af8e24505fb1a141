#!/bin/bash
# micronos-run on a terminal: the program gets a terminal of its own
# (sandbox/pty.c): vi edits a file, the window size is the terminal's and
# follows a resize (SIGWINCH), ^C typed on the terminal ends the program,
# a shell has job control (^Z stops its foreground job, fg continues it),
# and tty names /dev/pts/N.  A pseudo-terminal is driven by
# /usr/bin/python3's pty module; each case in a throwaway instance and
# through a running one.
. "$(dirname "$0")/run_lib.bash"
need_root
PY=/usr/bin/python3
[ -x "$PY" ] || { bad "$PY is needed to drive a terminal"; finish; exit 1; }

# term.py: runs argv on a new pty (30x100), sends the keys of $KEYS (a
# Python bytes literal list) with pauses, optionally resizes to 40x120
# after the first key, prints the exit status and the screen output.
cat >"$WORK/term.py" <<'PYEOF'
import fcntl, os, pty, select, struct, sys, termios, time
keys = eval(os.environ.get("KEYS", "[]"))
resize = os.environ.get("RESIZE") == "1"
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
def size(r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
size(30, 100)
out = b""
def pump(t):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                return
            if not d:
                return
            out += d
pump(1.5)
for i, k in enumerate(keys):
    os.write(fd, k)
    pump(0.4)
    if i == 0 and resize:
        size(40, 120)
        pump(0.6)
deadline = time.time() + 20
while time.time() < deadline:
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        break
    pump(0.1)
else:
    os.kill(pid, 9)
    p, st = os.waitpid(pid, 0)
pump(0.2)
print("status=%d" % (os.waitstatus_to_exitcode(st)))
sys.stdout.write(out.decode("utf-8", "replace"))
PYEOF
T() { timeout -s KILL 60 "$PY" "$WORK/term.py" "$RUN" "${RUN_ARGS[@]}" "$@"; }

# flood.py ARGV: types 100 KB at once (from a thread) while ARGV prints
# 600 KB without reading; prints the status and whether "done" came out
cat >"$WORK/flood.py" <<'PYEOF'
import os, pty, select, sys, threading, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = bytearray()
def typist():
    try:
        os.write(fd, (b"y" * 200 + b"\n") * 500)
    except OSError:
        pass
threading.Thread(target=typist, daemon=True).start()
st = None
deadline = time.time() + 40
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            out.extend(os.read(fd, 65536))
        except OSError:
            pass
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        break
else:
    os.kill(pid, 9)
    p, st = os.waitpid(pid, 0)
while select.select([fd], [], [], 0.5)[0]:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out.extend(d)
print("status=%d done=%s" % (os.waitstatus_to_exitcode(st), b"done" in out))
PYEOF

tty_checks() {
	local out
	out=$(KEYS='[b"i", b"hello from vi", b"\x1b", b":wq\r"]' T vi "$1/vi.txt")
	check_grep "vi exits 0" '^status=0' "$out"
	check_grep "vi says it wrote the file" '"[^"]*vi.txt" \[New\] 1L, 14B written' "$out"
	check "the file has what was typed" "hello from vi" "$(run cat "$1/vi.txt")"
	out=$(KEYS='[]' T sh -c 'stty size')
	check_grep "the program sees the terminal's size" '^30 100' "$(printf '%s\n' "$out" | tr -d '\r')"
	out=$(RESIZE=1 KEYS='[b"\n"]' T sh -c 'trap "stty size; exit 0" WINCH; read x; while :; do sleep 0.1; done')
	check_grep "a resize reaches it (SIGWINCH)" '^40 120' "$(printf '%s\n' "$out" | tr -d '\r')"
	out=$(KEYS='[b"\x03"]' T sleep 30)
	check_grep "^C on the terminal ends it (SIGINT)" '^status=130' "$out"
	# a shell inside has its own terminal: job control, ^Z and ^C reach
	# the foreground job as on a console
	out=$(KEYS='[b"tty\r", b"sleep 1000\r", b"\x1a", b"jobs\r", b"fg\r", b"\x03", b"echo st=$?\r", b"exit 3\r"]' \
		T bash --norc --noprofile -i 2>&1 | tr -d '\r' |
		sed 's/\x1b\[[?0-9;]*[a-zA-Z]//g')
	check_grep "bash exits with its status" '^status=3' "$out"
	check_grep "tty names the program's terminal" '^/dev/pts/[0-9]+$' "$out"
	check "bash has job control" "" "$(printf '%s\n' "$out" | grep 'no job control')"
	check_grep "^Z stops the foreground job" '^\[1\]\+ +Stopped +sleep 1000' "$out"
	check_grep "fg continues it and ^C ends it" '^st=130$' "$out"
	out=$(KEYS='[]' T seq 1 30000 | tr -d '\r')
	check "all of the output reaches the terminal before the end" \
		"29999 30000 status=0" "$(printf '%s\n' "$out" | grep -E '^(29999|30000|status=)' | sort | tr '\n' ' ' | sed 's/ $//')"
	out=$(KEYS='[]' T sh -c 'sleep 100 & exit 4')
	check_grep "a background job left on the terminal does not hold the end" \
		'^status=4' "$out"
	out=$(KEYS='[]' T sh -c 'kill -9 $$')
	check_grep "a program killed by SIGKILL: 137" '^status=137' "$out"
	out=$(timeout -s KILL 60 "$PY" "$WORK/flood.py" "$RUN" "${RUN_ARGS[@]}" \
		sh -c 'sleep 1; seq 1 100000; echo done')
	check "typing ahead of a program that only writes blocks neither" \
		"status=0 done=True" "$out"
	# the user's terminal is raw only while the program runs
	out=$(KEYS='[]' timeout -s KILL 60 "$PY" "$WORK/term.py" /bin/sh -c \
		'"$0" "$@" sh -c "stty -a | grep -o -- \" -\?icanon\" | sed s/^/inside/"; stty -a | grep -o -- " -\?icanon"' \
		"$RUN" "${RUN_ARGS[@]}" | tr -d '\r')
	check_grep "the program sees the user's settings (cooked)" '^inside icanon' "$out"
	check_grep "the user's terminal is cooked again after the run" '^ icanon' "$out"
	out=$(KEYS='[b"\x1a", b"\x03"]' T sleep 30)
	check_grep "^Z leaves a program that is not a shell running (orphaned group, as under ssh -t); ^C ends it" \
		'^status=130' "$out"
}

echo "# a throwaway instance (each run its own: the file goes to a bind)"
mkdir -m 777 "$WORK/tt"
RUN_ARGS=(--bind "$WORK/tt:/w")
tty_checks /w
echo "# through a running instance"
N=rt$$
if daemon_up "$N"; then
	RUN_ARGS=(-n "$N")
	tty_checks /home/user
	daemon_down "$N"
else
	bad "micronos up"
fi
finish
