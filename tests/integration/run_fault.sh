#!/bin/bash
# Fault injection through files, the shell and micronos-run --fault, with
# real programs under real faults (each asserting the program's own
# behaviour), and seeded runs that repeat exactly.
. "$(dirname "$0")/run_lib.bash"
need_root

N=fl$$
daemon_up "$N" || { bad "micronos up"; finish; exit 1; }
M="$MICRONOS_RUNTIME_ROOT/$N/mnt"
R() { timeout -s KILL 60 "$RUN" -n "$N" "$@"; }
PY=/usr/bin/python3

# --- rules as files --------------------------------------------------------
check "no rules at first" "" "$(cat "$M/sys/fault/rules")"
echo 'write path=/home/user/flaky* errno=EIO every=2' >"$M/sys/fault/rules"
echo 'connect errno=ECONNREFUSED' >"$M/sys/fault/rules"
check "two rules listed" 2 "$(wc -l <"$M/sys/fault/rules")"
echo 'frobnicate errno=EIO' >"$M/sys/fault/rules" 2>/dev/null
check "a bad rule fails the write" 1 $?
check_grep "... and the log says why" "fault rule refused: unknown call 'frobnicate'" "$(msh "$N" 'log 20')"
echo 'open prob=1.5' >"$M/sys/fault/rules" 2>/dev/null
check "prob out of range is refused" 1 $?
out=$(R "$PY" -c '
import os, socket
for i in range(4):
    fd = os.open(os.path.expanduser("~/flaky%d" % i), os.O_WRONLY | os.O_CREAT)
    try:
        os.write(fd, b"x" * 10)
        print("ok", i)
    except OSError as e:
        print("err", i, e.errno)
    os.close(fd)
s = socket.socket()
try:
    s.connect(("127.0.0.1", 9))
except OSError as e:
    print("connect", e.errno)
' 2>&1)
check "every=2: the 2nd and 4th writes fail with EIO" "ok 0 err 1 5 ok 2 err 3 5 connect 111" "$(echo $out)"
check_grep "the rule counters count" "^1 write path=/home/user/flaky\* errno=EIO every=2 fired=2 matched=4$" "$(cat "$M/sys/fault/rules")"
check_grep "the faults are events in /events/log" "FaultInjected .*rule 1: write by pid [0-9]+ -> EIO /home/user/flaky1" "$(cat "$M/events/log")"
check_grep "... and in events filter fault" "rule 2: connect by pid" "$(msh "$N" 'events filter fault')"
check_grep "... and in the CSV export" ',FaultInjected,kernel,[0-9]+,rule 2: connect by pid [0-9]+ -> ECONNREFUSED' "$(msh "$N" 'events export')"
echo -1 >"$M/sys/fault/rules"
check_grep "-ID removes a rule" "^2 connect" "$(cat "$M/sys/fault/rules")"
echo clear >"$M/sys/fault/rules"
check "clear removes every rule" "" "$(cat "$M/sys/fault/rules")"
check "writes work again" ok "$(R sh -c 'echo x > ~/flaky9 && echo ok')"

# --- the shell's fault ----------------------------------------------------
check_grep "fault add" "rule [0-9]+ added" "$(msh "$N" 'fault add unlink errno=EBUSY')"
check_grep "fault add refuses garbage" "unknown errno" "$(msh "$N" 'fault add open errno=EWHAT' 2>&1)"
check_grep "fault lists" "unlink errno=EBUSY fired=0" "$(msh "$N" fault)"
check_grep "fault clear" "removed 1 rules" "$(msh "$N" 'fault clear')"

# --- real programs under real faults --------------------------------------
# sqlite: a full disk on its database is "database or disk is full", and
# the database is intact afterwards
R "$PY" -c '
import sqlite3
db = sqlite3.connect("/home/user/app.db")
db.execute("create table t(x)")
db.executemany("insert into t values (?)", [(i,) for i in range(100)])
db.commit()
' || bad "sqlite setup"
echo 'write path=/home/user/app.db* errno=ENOSPC' >"$M/sys/fault/rules"
out=$(R "$PY" -c '
import sqlite3
db = sqlite3.connect("/home/user/app.db")
try:
    db.executemany("insert into t values (?)", [("y" * 1000,) for i in range(2000)])
    db.commit()
    print("committed")
except sqlite3.OperationalError as e:
    print(e)
' 2>&1)
check "sqlite under ENOSPC" "database or disk is full" "$out"
echo clear >"$M/sys/fault/rules"
check "the database is intact" "ok 100" "$(R "$PY" -c '
import sqlite3
db = sqlite3.connect("/home/user/app.db")
print(db.execute("pragma integrity_check").fetchone()[0], db.execute("select count(*) from t").fetchone()[0])
')"

# git: EIO on its object store fails the commit cleanly
if command -v git >/dev/null; then
	R sh -c 'cd && mkdir repo && cd repo && git init -q && git config user.email u@x && git config user.name u && echo a > a && git add a && git commit -qm one' || bad "git setup"
	echo 'write path=/home/user/repo/.git/objects/* errno=EIO' >"$M/sys/fault/rules"
	out=$(R sh -c 'cd ~/repo && echo b > b && git add b; echo "rc=$?"' 2>&1)
	check_grep "git add under EIO fails and says so" "(error|fatal): .*Input/output error" "$out"
	check_grep "... with a non-zero status" "rc=(128|1)" "$out"
	echo clear >"$M/sys/fault/rules"
	check "the repository is intact" "one" "$(R sh -c 'cd ~/repo && git fsck >/dev/null 2>&1 && git log --format=%s')"
else
	bad "git is not installed (scripts/setup.sh installs it)"
fi

# cp: a disk that fills up after 64 KiB gives a short write, then ENOSPC
R sh -c 'head -c 200000 /dev/zero > ~/big' || bad "cp setup"
echo 'write path=/home/user/copy limit=64k' >"$M/sys/fault/rules"
out=$(R sh -c 'cp ~/big ~/copy; echo "rc=$?"; wc -c < ~/copy' 2>&1)
check_grep "cp reports the full disk" "No space left on device" "$out"
check_grep "... and fails" "rc=1" "$out"
check "... after exactly the limit" 65536 "$(echo "$out" | tail -1)"
echo clear >"$M/sys/fault/rules"

# urllib to a loopback server: connection refused under a connect rule
out=$(R --fault 'connect errno=ECONNREFUSED' "$PY" -c '
import http.server, threading, urllib.request
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
try:
    urllib.request.urlopen("http://127.0.0.1:%d/" % srv.server_port, timeout=5)
    print("fetched")
except Exception as e:
    print(type(e).__name__, e)
' 2>&1)
check_grep "urllib under --fault connect" "URLError .*Connection refused" "$out"
check "a run's rules go with it" "" "$(cat "$M/sys/fault/rules")"
check "without the rule it fetches" fetched "$(R "$PY" -c '
import http.server, threading, urllib.request
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
urllib.request.urlopen("http://127.0.0.1:%d/" % srv.server_port, timeout=5)
print("fetched")
' 2>/dev/null)"
# a run's rule applies to its tree only: another run is untouched
out=$(R --fault 'execve errno=EACCES after=1' sh -c 'ls / >/dev/null; echo "rc=$?"' 2>&1)
check_grep "execve fault inside the run" "rc=126" "$out"
out=$(R --fault 'fork errno=EAGAIN after=1' "$PY" -c '
import os, threading
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("first fork ok")
try:
    os.fork()
    print("second fork ran")
except OSError as e:
    print("second fork", e.errno)
t = threading.Thread(target=lambda: print("a thread runs"))
t.start()
t.join()' 2>&1)
check "fork rules fail process creation, never threads" "first fork ok second fork 11 a thread runs" "$(echo $out)"
check_grep "sh under a fork rule cannot fork" "Cannot fork" "$(R --fault fork sh -c 'ls / >/dev/null' 2>&1)"
check "a typo in --fault is refused before running" 125 "$(R --fault 'open errno=NOPE' true 2>/dev/null; echo $?)"

# --- seeded runs ----------------------------------------------------------
seeded() {
	timeout -s KILL 60 "$RUN" --seed "$1" sh -c \
		'head -c 16 /dev/urandom | od -An -tx1; echo $$; cd /tmp && touch c a b && ls -f; hostname'
}
a=$(seeded 7); b=$(seeded 7); c=$(seeded 8)
check "the same seed gives the same run" "$a" "$b"
[ "$a" != "$c" ] && ok "another seed gives another run" ||
	bad "seeds 7 and 8 gave the same output: $a"
check_grep "seeded runs read MicronOS's random device" '^( [0-9a-f]{2}){16}$' "$(echo "$a" | head -1)"
out=$(timeout -s KILL 60 "$RUN" --seed 3 --fault 'socket prob=0.5' "$PY" -c '
import socket
r = ""
for i in range(40):
    try:
        socket.socket().close(); r += "1"
    except OSError:
        r += "0"
print(r)')
check "prob= rules repeat with the seed" "$out" "$(timeout -s KILL 60 "$RUN" --seed 3 --fault 'socket prob=0.5' "$PY" -c '
import socket
r = ""
for i in range(40):
    try:
        socket.socket().close(); r += "1"
    except OSError:
        r += "0"
print(r)')"
check_grep "... and fire about half the time" '^[01]*0[01]*1[01]*$|^[01]*1[01]*0[01]*$' "$out"
pyrand() {
	timeout -s KILL 60 "$RUN" --seed "$1" "$PY" -c \
		'import os; print(os.urandom(16).hex(), hash("micronos"))'
}
a=$(pyrand 11); b=$(pyrand 11); c=$(pyrand 12)
check "getrandom (os.urandom, the hash seed) repeats with the seed" "$a" "$b"
[ -n "$a" ] && [ "$a" != "$c" ] && ok "... and differs with another" ||
	bad "seeds 11 and 12 gave [$a] and [$c]"
check "--seed 0 is refused" 125 "$("$RUN" --seed 0 true 2>/dev/null; echo $?)"
finish
