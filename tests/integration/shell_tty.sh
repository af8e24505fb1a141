#!/usr/bin/env bash
# The terminal side of `micronos`, driven through a pseudo-terminal: the
# readline shell (prompt, tab completion, Ctrl-C on a line, history file,
# the live `top` left with a key), a `down` while a terminal shell is
# attached, and the shell of a foreground `up` (exit shuts the instance
# down; so does Ctrl-C).  Uses Python's pty module to play the user.
set -u

BIN=${MN_BIN:-$(dirname "$0")/../../build}
MICRONOS="$BIN/micronos"
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/mn-it-tty.XXXXXX)
NAME="tty$$"
export MICRONOS_RUNTIME_ROOT="$TMP/run" MICRONOS_DATA_ROOT="$TMP/data"

cleanup() {
	local f pid
	for f in "$TMP"/run/*/pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

. "$(dirname "$0")/mn_skip.bash"
[ -x "$PY" ] || mn_skip_all "no $PY"

cat >"$TMP/play.py" <<'PYEOF'
import os, pty, re, select, subprocess, sys, time

MICRONOS, NAME, TMP = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


class Term:
    """A program on a pty, read with a deadline."""

    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "xterm"
            os.execv(MICRONOS, [MICRONOS] + list(args))
        self.buf = b""

    def expect(self, pattern, timeout=10):
        rx = re.compile(pattern.encode())
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return True
            left = end - time.time()
            if left <= 0:
                break
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                break
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                break
            if not data:
                break
            self.buf += data
        failures.append("expected %r, got %r" % (pattern, self.buf[-400:]))
        return False

    def send(self, s):
        os.write(self.fd, s.encode())

    def wait(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                # drain what is left so the child never blocks on the pty
                return os.waitstatus_to_exitcode(st)
            try:
                r, _, _ = select.select([self.fd], [], [], 0.05)
                if r:
                    self.buf += os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.05)
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        failures.append("process did not exit; output %r" % self.buf[-400:])
        return None


def run(*args):
    return subprocess.run([MICRONOS] + list(args), capture_output=True,
                          text=True, timeout=30)


PROMPT = r"micronos:%s> " % re.escape(NAME)

# --- an attached terminal shell ------------------------------------------------
if run("up", "-n", NAME, "-d", "-q").returncode != 0:
    print("FAIL: up -d"); sys.exit(1)
t = Term("shell", "-n", NAME)
t.expect(r"'exit' or Ctrl-D leaves it running")
t.expect(PROMPT)
t.send("echo hi there\r")
t.expect(r"[\r\n]hi there\r\n")
t.expect(PROMPT)
t.send("vers\t\r")                       # completes to "version "
t.expect(r"MicronOS \d+\.\d+")
t.expect(PROMPT)
t.send("events fil\tti\t\r")             # events filter timer
t.expect(r"events filter timer")
t.expect(PROMPT)
t.send("config events.hi\t\r")           # a live config key
t.expect(r"events\.history")
t.expect(PROMPT)
t.send("nosuch\r")
t.expect(r"nosuch: unknown command")
t.expect(PROMPT)
t.send("echo half-typed")
t.expect(r"half-typed")                  # read and echoed by readline
t.send("\x03")                           # Ctrl-C drops the line
t.expect(r"\^C")
t.expect(PROMPT)
t.send("top\r")                          # live view until a key
t.expect(r"Tasks: ")
t.expect(r"press any key")
time.sleep(1.3)                          # at least one refresh
t.send("q")
t.expect(PROMPT)
t.send("exit\r")
code = t.wait()
if code != 0:
    failures.append("attached shell exit status %r" % code)
if run("shell", "-n", NAME, "-c", "version").returncode != 0:
    failures.append("instance did not survive the shell's exit")
hist = os.path.join(TMP, "data", NAME, "history")
try:
    h = open(hist).read()
    for line in ("echo hi there", "version", "top"):
        if line not in h:
            failures.append("history lacks %r: %r" % (line, h))
except OSError as e:
    failures.append("no history file: %s" % e)

# --- down while a terminal shell is attached -----------------------------------
t = Term("shell", "-n", NAME)
t.expect(PROMPT)
r = run("down", "-n", NAME)
if r.returncode != 0:
    failures.append("down: %s %s" % (r.stdout, r.stderr))
t.expect(r"shutting down")
code = t.wait()
if code != 0:
    failures.append("shell after down exited %r" % code)

# --- the shell of a foreground up: exit shuts it down ---------------------------
t = Term("up", "-n", NAME)
t.expect(r"\[9/9\] ready")
t.expect(r"'exit' or Ctrl-C shuts the instance down")
t.expect(PROMPT)
t.send("ps\r")
t.expect(r"timerd")
t.expect(PROMPT)
if run("status", "-n", NAME).returncode != 0:
    failures.append("foreground instance not listed by status")
t.send("exit\r")
t.expect(r"MicronOS %s stopped" % re.escape(NAME))
code = t.wait()
if code != 0:
    failures.append("foreground up exited %r after exit" % code)
if os.path.exists(os.path.join(TMP, "run", NAME)):
    failures.append("runtime dir left after exit")

# --- ... and so does Ctrl-C -----------------------------------------------------
t = Term("up", "-n", NAME)
t.expect(PROMPT)
t.send("\x03")
t.expect(r"MicronOS %s stopped" % re.escape(NAME))
code = t.wait()
if code != 0:
    failures.append("foreground up exited %r after Ctrl-C" % code)

for f in failures:
    print("FAIL:", f)
print("shell_tty: %d failures" % len(failures))
sys.exit(1 if failures else 0)
PYEOF

timeout 120 "$PY" "$TMP/play.py" "$MICRONOS" "$NAME" "$TMP"
