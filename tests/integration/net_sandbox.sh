#!/usr/bin/env bash
# Sandboxed programs on MicronOS's network, tried as a new user would
# (issue 6, "Done means"):
#  - a python3 TCP echo server under one micronos-run and its client under
#    a second, both in the same running instance: `sockets` in the shell
#    shows LISTEN, ESTABLISHED and the closing states (FIN_WAIT_2,
#    CLOSE_WAIT, TIME_WAIT), and `ss -tan` and `netstat -tan` inside agree
#    with it at each step (ss reads the namespace's real sockets through
#    sock_diag, netstat MicronOS's /proc/net/tcp);
#  - NetworkConnected / NetworkDisconnected events name the connection;
#  - a UDP exchange, listed as BOUND and CONNECTED;
#  - server and client in ONE program tree (one notification thread): a
#    blocking accept must not hold up its own client's calls, nor 200 of
#    them, nor 50 processes accepting on one socket, nor a connect that
#    waits for a full listener;
#  - a server killed while blocked in accept leaves nothing behind: its
#    port can be bound again at once;
#  - unix sockets keep the program's peer credentials (SO_PEERCRED);
#  - policy: with network none, connecting to a port the host listens on
#    fails with ECONNREFUSED (the sandbox's loopback is its own) and to any
#    other address with ENETUNREACH; --net loopback reaches the host's
#    loopback and nothing else; a port outside net.allow_ports is EACCES
#    (connect and bind); binding a privileged port needs MicronOS root.
# Two instances finding and pinging each other (scan, ping) is
# net_peers.sh's.  Needs root (the sandbox's uid map).
set -u

BIN=${MN_BIN:?MN_BIN not set}
RUN="$BIN/micronos-run"
MICRONOS="$BIN/micronos"
PY=/usr/bin/python3
PASS=0
FAIL=0
BG=""
WORK=$(mktemp -d /tmp/mn-it-netsbx.XXXXXX)
chmod 755 "$WORK"
export MICRONOS_RUNTIME_ROOT="$WORK/rt" MICRONOS_DATA_ROOT="$WORK/data"
N="itns$$"
BASE=$((20000 + ($$ % 2000) * 5))
TPORT=$BASE UPORT=$((BASE + 1)) KPORT=$((BASE + 2)) HPORT=$((BASE + 3))
FPORT=$((BASE + 4))

cleanup() {
	local p
	for p in $BG; do
		kill -9 "$p" 2>/dev/null
	done
	if [ -f "$WORK/rt/$N/pid" ]; then
		kill -9 "$(cat "$WORK/rt/$N/pid")" 2>/dev/null
	fi
	grep -o " $WORK[^ ]*" /proc/self/mounts 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "not ok - $1"; }
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected [$2] got [$3]"; fi
}
check_grep() {
	if printf '%s\n' "$3" | grep -qE -- "$2"; then ok "$1"
	else bad "$1: [$2] not in [$3]"; fi
}
msh() { timeout -s KILL 30 "$MICRONOS" shell -n "$N" -c "$1" 2>&1; }
R() { timeout -s KILL 60 "$RUN" -n "$N" "$@"; }
# bg FILE ARGS...: micronos-run ARGS in the background, output to FILE
bg() {
	local out=$1
	shift
	timeout -s KILL 60 "$RUN" "$@" </dev/null >"$out" 2>&1 &
	BG="$BG $!"
	LAST=$!
}
# wait_for FILE PATTERN: up to 15 s for a line in a program's output
wait_for() {
	for _ in $(seq 150); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	bad "no '$2' in $1: $(tr '\n' ' ' <"$1" 2>/dev/null)"
	return 1
}

. "$(dirname "$0")/mn_skip.bash"
[ "$(id -u)" -eq 0 ] || mn_skip_all "micronos-run needs root (uid map)"
[ -x "$PY" ] || mn_skip_all "no $PY"

timeout -s KILL 60 "$MICRONOS" up -n "$N" -d -q >/dev/null ||
	{ bad "micronos up"; exit 1; }
ok "instance $N is up"

# --- the programs -----------------------------------------------------------
SERVER='import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
print("listening", os.getpid(), flush=True)
c, a = s.accept()
print("accepted", a[1], flush=True)
while True:
    d = c.recv(4096)
    if not d:
        break
    c.sendall(d)
print("client closed", flush=True)
time.sleep(float(sys.argv[2]))
c.close()
s.close()
print("closed", flush=True)'
CLIENT='import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("local", c.getsockname()[1], flush=True)
c.sendall(b"hello micronos")
print("echo", c.recv(100).decode(), flush=True)
time.sleep(float(sys.argv[2]))
c.close()
print("closed", flush=True)
time.sleep(1)'
CONNECT='import errno, socket, sys
for hp in sys.argv[1:]:
    h, p = hp.rsplit(":", 1)
    try:
        socket.create_connection((h, int(p)), timeout=5).close()
        print(hp, "connected")
    except OSError as e:
        print(hp, errno.errorcode.get(e.errno, e.errno))'
BIND='import errno, socket, sys
for p in sys.argv[1:]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", int(p)))
        print("bind", p, "ok")
    except OSError as e:
        print("bind", p, errno.errorcode.get(e.errno, e.errno))'

# --- agreement between `sockets` and ss/netstat inside -----------------------
# Rows "STATE LOCAL REMOTE" for the tcp sockets on port $1, sorted; states
# spelled without '-' or '_' (ss: ESTAB, FIN-WAIT-2; MicronOS: FIN_WAIT_2).
mn_rows() {
	msh sockets | awk -v p=":$1" '$2 == "tcp" && $3 != "CLOSED" &&
		(index($4, p) || index($5, p)) {
		st = $3; gsub(/[-_]/, "", st); print st, $4, $5 }' | sort
}
norm_ss() {
	awk -v p=":$1" '(index($4, p) || index($5, p)) {
		st = $1; gsub(/[-_]/, "", st)
		if (st == "ESTAB") st = "ESTABLISHED"
		if (st == "SYNRECV") st = "SYNRECEIVED"
		r = ($5 == "0.0.0.0:*" || $5 == "*:*") ? "-" : $5
		print st, $4, r }' | sort
}
ss_rows() { R ss -tanH 2>&1 | norm_ss "$1"; }
netstat_rows() {
	R netstat -tan 2>&1 | awk 'NR > 2 { print $6, "0", "0", $4, $5 }' |
		norm_ss "$1"
}
# agree WHAT PORT: `sockets`, ss and netstat list the same (a few tries:
# a transition may fall between two of them)
agree() {
	local a b c
	for _ in 1 2 3 4 5; do
		a=$(mn_rows "$2")
		b=$(ss_rows "$2")
		c=$(netstat_rows "$2")
		[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" = "$c" ] && break
		sleep 0.2
	done
	if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "$1: ss -tan inside agrees"
	else bad "$1: sockets [$a] vs ss [$b]"; fi
	if [ -n "$a" ] && [ "$a" = "$c" ]; then ok "$1: netstat -tan inside agrees"
	else bad "$1: sockets [$a] vs netstat [$c]"; fi
}
# until_state PORT STATE...: polls `sockets` (10 s) until each state is
# listed for the port
until_state() {
	local port=$1 rows s missing
	shift
	for _ in $(seq 50); do
		rows=$(mn_rows "$port")
		missing=""
		for s in "$@"; do
			printf '%s\n' "$rows" | grep -q "^${s//_/} " ||
				missing="$missing $s"
		done
		[ -z "$missing" ] && return 0
		sleep 0.2
	done
	bad "sockets never showed$missing on port $port: [$rows]"
	return 1
}

# --- TCP: server and client in two micronos-run, one instance ----------------
bg "$WORK/srv" -n "$N" "$PY" -c "$SERVER" "$TPORT" 3
SRV_RUN=$LAST
wait_for "$WORK/srv" '^listening' || exit 1
spid=$(awk '/^listening/ { print $2 }' "$WORK/srv")
until_state "$TPORT" LISTEN &&
	ok "sockets shows the server's LISTEN"
check_grep "... owned by the server's pid $spid" \
	"^[0-9]+ +tcp +LISTEN +127\.0\.0\.1:$TPORT +- +$spid " "$(msh sockets)"
agree "LISTEN" "$TPORT"
check_grep "the socket is its user's (ss -e inside)" "uid:1000 " \
	"$(R ss -tlneH 2>&1 | grep -F ":$TPORT ")"

bg "$WORK/cli" -n "$N" "$PY" -c "$CLIENT" "$TPORT" 3
CLI_RUN=$LAST
wait_for "$WORK/cli" '^echo' &&
	check "the client gets its echo" "echo hello micronos" \
		"$(grep '^echo' "$WORK/cli")"
until_state "$TPORT" ESTABLISHED LISTEN &&
	ok "sockets shows both ends ESTABLISHED"
rows=$(mn_rows "$TPORT")
check "two ESTABLISHED ends" 2 "$(printf '%s\n' "$rows" | grep -c ^ESTABLISHED)"
agree "ESTABLISHED" "$TPORT"
check_grep "a NetworkConnected event names the connection" \
	"NetworkConnected .*127\.0\.0\.1:$TPORT .*ESTABLISHED" \
	"$(msh 'events filter network 1000' | grep -F ":$TPORT")"

# the client closes first: FIN_WAIT_2 at the client, CLOSE_WAIT at the
# server (which holds its end 3 s), then TIME_WAIT once the server closes
wait_for "$WORK/srv" '^client closed'
until_state "$TPORT" FIN_WAIT_2 CLOSE_WAIT &&
	ok "sockets shows FIN_WAIT_2 and CLOSE_WAIT after the client's close"
agree "FIN_WAIT_2/CLOSE_WAIT" "$TPORT"
wait_for "$WORK/srv" '^closed'
until_state "$TPORT" TIME_WAIT && ok "sockets shows TIME_WAIT after both closed"
agree "TIME_WAIT" "$TPORT"
check_grep "a NetworkDisconnected event follows" \
	"NetworkDisconnected .*127\.0\.0\.1:$TPORT" \
	"$(msh 'events filter network 1000' | grep -F ":$TPORT")"
wait "$SRV_RUN"
check "the server exits 0" 0 $?
wait "$CLI_RUN"
check "the client exits 0" 0 $?

# --- UDP ---------------------------------------------------------------------
USERVER='import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", int(sys.argv[1])))
print("bound", flush=True)
d, a = u.recvfrom(100)
u.sendto(d.upper(), a)
print("served", flush=True)
time.sleep(2)'
UCLIENT='import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("127.0.0.1", int(sys.argv[1])))
u.send(b"ping over udp")
print(u.recv(100).decode(), flush=True)
time.sleep(2)'
bg "$WORK/usrv" -n "$N" "$PY" -c "$USERVER" "$UPORT"
U1=$LAST
wait_for "$WORK/usrv" '^bound'
bg "$WORK/ucli" -n "$N" "$PY" -c "$UCLIENT" "$UPORT"
U2=$LAST
wait_for "$WORK/ucli" 'PING' &&
	check "a UDP exchange" "PING OVER UDP" "$(cat "$WORK/ucli")"
out=$(msh sockets)
check_grep "sockets lists the UDP server BOUND" \
	"udp +BOUND +127\.0\.0\.1:$UPORT " "$out"
check_grep "... and the client CONNECTED to it" \
	"udp +CONNECTED +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$UPORT " "$out"
wait "$U1" "$U2"

# --- server and client in one program tree ----------------------------------
export SERVER CLIENT PY
out=$(R sh -c '"$PY" -c "$SERVER" "$1" 0 >/tmp/fsrv.$$ &
	for i in $(seq 100); do
		grep -q listening /tmp/fsrv.$$ 2>/dev/null && break
		sleep 0.1
	done
	"$PY" -c "$CLIENT" "$1" 0; wait; cat /tmp/fsrv.$$; rm -f /tmp/fsrv.$$' \
	sh "$FPORT" 2>&1)
check_grep "one tree: the client is served while the server blocks in accept" \
	"echo hello micronos" "$out"
check_grep "... and the server sees it close" "client closed" "$out"

# --- many waiting accepts in one tree ---------------------------------------
# 200 processes each blocked in accept on a socket of its own, then 50
# blocked on one socket (a preforked server): every connection is served
MANY='import os, socket, sys, time
n, shared = int(sys.argv[1]), sys.argv[2] == "shared"
ls = []
for i in range(1 if shared else n):
    l = socket.socket()
    l.bind(("127.0.0.1", 0))
    l.listen(64)
    ls.append(l)
pids = []
for i in range(n):
    pid = os.fork()
    if pid == 0:
        c, _ = ls[0 if shared else i].accept()
        c.sendall(b"x")
        c.close()
        os._exit(0)
    pids.append(pid)
time.sleep(0.5)
ok = 0
for i in range(n):
    c = socket.create_connection(ls[0 if shared else i].getsockname())
    ok += c.recv(1) == b"x"
    c.close()
for p in pids:
    os.waitpid(p, 0)
print(ok)'
check "200 processes waiting in accept, all served" 200 \
	"$(R "$PY" -c "$MANY" 200 own 2>&1)"
check "50 processes accepting on one socket, all served" 50 \
	"$(R "$PY" -c "$MANY" 50 shared 2>&1)"

# --- a connect that must wait (the listener's queue is full) ----------------
# tried on the notification thread, interrupted by its guard, finished by
# a worker: the other thread's trapped calls go on meanwhile
SLOW='import os, socket, threading, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(0)
addr = l.getsockname()
held = []
for i in range(4):
    s = socket.socket()
    s.settimeout(0.3)
    try:
        s.connect(addr)
        held.append(s)
    except OSError:
        break
res = {}
def slow():
    s = socket.socket()
    t = time.time()
    try:
        s.connect(addr)
        res["r"] = "connected"
    except OSError as e:
        res["r"] = str(e)
    res["t"] = time.time() - t
th = threading.Thread(target=slow)
th.start()
time.sleep(0.3)
t = time.time()
for _ in range(200):
    os.getppid()
print("sibling", "prompt" if time.time() - t < 0.5 else "held up")
print("waiting", th.is_alive())
l.settimeout(5)
for _ in range(len(held) + 1):
    l.accept()
th.join(10)
print("then", res.get("r"), res.get("t", 0) > 0.2)'
check "a waiting connect holds up nothing, then completes" \
	"sibling prompt waiting True then connected True" \
	"$(R "$PY" -c "$SLOW" 2>&1 | tr '\n' ' ' | sed 's/ $//')"

# --- a server killed while blocked in accept --------------------------------
# (micronos-run itself in the background: its going kills the program)
"$RUN" -n "$N" "$PY" -c "$SERVER" "$KPORT" 0 </dev/null >"$WORK/ksrv" 2>&1 &
BG="$BG $!"
wait_for "$WORK/ksrv" '^listening'
kill -9 $!
wait $! 2>/dev/null
for _ in $(seq 30); do
	mn_rows "$KPORT" | grep -q LISTEN || break
	sleep 0.1
done
check "a killed server's LISTEN goes" "" "$(mn_rows "$KPORT")"
check "... and its port is free again at once" "bind $KPORT ok" \
	"$(R "$PY" -c "$BIND" "$KPORT")"

# --- unix sockets: the program's credentials --------------------------------
UNIX='import os, socket, struct
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
a.bind("\0micronos-it-unix")
a.listen(1)
pid = os.fork()
if pid == 0:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect("\0micronos-it-unix")
    c.recv(1)
    os._exit(0)
s, _ = a.accept()
p, u, g = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET,
                        socket.SO_PEERCRED, 12))
s.send(b"x")
os.waitpid(pid, 0)
print(p == pid, u, g)'
check "unix sockets: SO_PEERCRED names the program" "True 1000 1000" \
	"$(R "$PY" -c "$UNIX" 2>&1)"

# --- bad input: the errors Linux gives, in Linux's order --------------------
# the same program natively and inside; every line must agree
BADIN='import ctypes, errno, resource, socket
libc = ctypes.CDLL(None, use_errno=True)
def err(r):
    return "ok" if r >= 0 else errno.errorcode[ctypes.get_errno()]
s = socket.socket()
fd = s.fileno()
addr = ctypes.create_string_buffer(b"\x02\x00\x23\x28\x7f\0\0\x01" + b"\0" * 8)
print("bind NULL", err(libc.bind(fd, None, 16)))
print("bind bad pointer", err(libc.bind(fd, ctypes.c_void_p(16), 16)))
print("bind bad fd first", err(libc.bind(999, None, 16)))
print("bind len 200", err(libc.bind(fd, addr, 200)))
print("bind len 3", err(libc.bind(fd, addr, 3)))
print("connect on a file", err(libc.connect(0, addr, 16)))
print("connect bad fd", err(libc.connect(999, addr, 16)))
print("listen bad fd", err(libc.listen(999, 1)))
print("accept bad fd", err(libc.accept(999, None, None)))
print("accept4 bad flags", err(libc.accept4(fd, None, None, 0x40000000)))
print("accept unlistened", err(libc.accept4(fd, None, None, 0o4000)))
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
c = socket.create_connection(l.getsockname())
print("accept bad address", err(libc.accept(l.fileno(), ctypes.c_void_p(16),
      ctypes.byref(ctypes.c_uint(16)))))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("accept on udp", err(libc.accept(u.fileno(), None, None)))
print("shutdown unconnected", err(libc.shutdown(fd, 2)))
socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
print("netlink socket ok")
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (16, hard))
keep = []
try:
    while True:
        keep.append(socket.socket())
except OSError as e:
    print("socket at the fd limit", errno.errorcode[e.errno], len(keep) > 0)'
native=$(timeout -s KILL 30 "$PY" -c "$BADIN" </dev/null 2>&1)
inside=$(R "$PY" -c "$BADIN" </dev/null 2>&1)
check "bad input: $(printf '%s\n' "$native" | wc -l) calls fail as natively" \
	"$native" "$inside"

# --- policy -------------------------------------------------------------------
"$PY" -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
print("up", flush=True)
time.sleep(60)' "$HPORT" >"$WORK/host" 2>&1 &
BG="$BG $!"
HOST_LISTENER=$!
wait_for "$WORK/host" '^up'
out=$(R "$PY" -c "$CONNECT" "127.0.0.1:$HPORT" 192.0.2.1:80)
check "none (the instance's default): the host's port is not reachable" \
	"127.0.0.1:$HPORT ECONNREFUSED" "$(printf '%s\n' "$out" | head -1)"
check "none: another address is unreachable" "192.0.2.1:80 ENETUNREACH" \
	"$(printf '%s\n' "$out" | tail -1)"
out=$(timeout -s KILL 60 "$RUN" --throwaway --net none "$PY" -c "$CONNECT" \
	"127.0.0.1:$HPORT" 192.0.2.1:80)
check "--net none (throwaway) does the same" \
	"127.0.0.1:$HPORT ECONNREFUSED 192.0.2.1:80 ENETUNREACH" \
	"$(printf '%s' "$out" | tr '\n' ' ')"
out=$(timeout -s KILL 60 "$RUN" --net loopback "$PY" -c "$CONNECT" \
	"127.0.0.1:$HPORT" 192.0.2.1:80)
check "--net loopback reaches the host's loopback and nothing else" \
	"127.0.0.1:$HPORT connected 192.0.2.1:80 ENETUNREACH" \
	"$(printf '%s' "$out" | tr '\n' ' ')"
kill -9 "$HOST_LISTENER" 2>/dev/null

msh "config net.allow_ports $((BASE + 3))-$((BASE + 4))" >/dev/null
out=$(R "$PY" -c "$CONNECT" "127.0.0.1:$TPORT")
check "a port outside net.allow_ports: connect is EACCES" \
	"127.0.0.1:$TPORT EACCES" "$out"
out=$(R "$PY" -c "$BIND" "$TPORT" "$FPORT")
check "... bind is EACCES, inside the list it works" \
	"bind $TPORT EACCES bind $FPORT ok" "$(printf '%s' "$out" | tr '\n' ' ')"
msh 'config net.allow_ports ""' >/dev/null
check "a privileged port needs MicronOS root" "bind 80 EACCES" \
	"$(R "$PY" -c "$BIND" 80)"
check "... which has it in the sandbox's own network" "bind 80 ok" \
	"$(R --root "$PY" -c "$BIND" 80)"

timeout -s KILL 30 "$MICRONOS" down -n "$N" >/dev/null
check "the instance goes down cleanly" 0 $?
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
