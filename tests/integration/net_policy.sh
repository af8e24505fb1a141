#!/bin/bash
# --net loopback against the bypasses of issue 16, item 4: the world shares
# the host's network namespace, so every call that carries an address is
# checked by the supervisor on a copy.  One test per bypass: a host
# abstract unix socket (connect, and a datagram socketpair's sendto), a
# wildcard bind the host could reach from outside (and listen() on an
# unbound socket), sendto/sendmsg with MSG_FASTOPEN, and UDP sendto/
# sendmsg to an address connect() refuses.  Each says what the host saw.
. "$(dirname "$0")/run_lib.bash"
need_root
PY=/usr/bin/python3
EXT=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' |
	cut -d/ -f1 | head -1)
[ -n "$EXT" ] || { bad "this test needs a non-loopback IPv4 address"; finish; exit 1; }
BASE=$((30000 + ($$ % 2000) * 5))

cat >"$WORK/probe.py" <<'EOF'
import errno, socket, sys, time
def err(e): return errno.errorcode.get(e.errno, str(e.errno))
w, a = sys.argv[1], sys.argv[2:]
try:
    if w == "abstract":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\0" + a[0]); s.sendall(b"leak"); print("connected")
    elif w == "pairsend":
        x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        x.sendto(b"leak", "\0" + a[0]); print("sent")
    elif w == "own":
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind("\0" + a[0]); srv.listen(1)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect("\0" + a[0]); c.sendall(b"hi")
        print("own", srv.accept()[0].recv(2).decode())
    elif w == "bindany":
        s = socket.socket(); s.bind(("0.0.0.0", int(a[0]))); s.listen(5)
        print("bound", s.getsockname()[0], flush=True); time.sleep(float(a[1]))
    elif w == "listen":
        s = socket.socket(); s.listen(5); print("listening", s.getsockname()[0])
    elif w == "tfo":
        s = socket.socket()
        print("sent", s.sendto(b"leak", socket.MSG_FASTOPEN, (a[0], int(a[1]))))
    elif w == "tfomsg":
        s = socket.socket()
        print("sent", s.sendmsg([b"leak"], [], socket.MSG_FASTOPEN, (a[0], int(a[1]))))
    elif w == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        print("sent", s.sendto(b"leak", (a[0], int(a[1]))))
    elif w == "udpmsg":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        print("sent", s.sendmsg([b"le", b"ak"], [], 0, (a[0], int(a[1]))))
    elif w == "udplocal":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", ("127.0.0.1", int(a[0]))); print("local", s.getsockname()[0])
except OSError as e:
    print("refused:", err(e))
EOF
# host side: listens (tcp, udp or an abstract name), prints what arrived
cat >"$WORK/host.py" <<'EOF'
import os, socket, sys, time
kind, addr, stop = sys.argv[1], sys.argv[2], sys.argv[3]
if kind == "abstract":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind("\0" + addr); s.listen(5)
elif kind == "abstractdgram":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind("\0" + addr)
else:
    host, port = addr.rsplit(":", 1)
    t = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, t); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    if kind == "tcp": s.listen(5)
print("ready", flush=True)
# until the stop file appears (the probe is over), and a second more
s.settimeout(0.2)
deadline = None
while deadline is None or time.time() < deadline:
    if deadline is None and os.path.exists(stop):
        deadline = time.time() + 1
    try:
        if kind in ("tcp", "abstract"):
            c = s.accept()[0]; c.settimeout(1); print("got connection", c.recv(16))
        else:
            print("got datagram", s.recv(16))
        sys.exit(0)
    except socket.timeout:
        pass
print("nothing")
EOF
chmod 644 "$WORK/probe.py" "$WORK/host.py"

# hosted KIND ADDR: starts the host listener, waits until it is ready
hosted() {
	rm -f "$WORK/stop"
	"$PY" "$WORK/host.py" "$1" "$2" "$WORK/stop" >"$WORK/host.out" &
	HOSTPID=$!
	for _ in $(seq 50); do grep -q ready "$WORK/host.out" && break; sleep 0.1; done
}
# host_saw: after the probe; what the host's listener got, in $SAW
host_saw() {
	touch "$WORK/stop"
	wait "$HOSTPID"
	SAW=$(grep -av ready "$WORK/host.out")
}
R() { timeout -s KILL 60 "$RUN" --net loopback --ro-bind "$WORK:/t" -- "$PY" /t/probe.py "$@" 2>&1; }

echo "# abstract unix names are the world's own"
name="mn-np-$$"
hosted abstract "$name"
check_grep "connect to a host abstract socket is refused" "^refused: ECONNREFUSED" "$(R abstract "$name")"
host_saw; check "... and the host's listener saw nothing" nothing "$SAW"
hosted abstractdgram "$name.d"
check_grep "sendto a host abstract name from a socketpair is refused" \
	"^refused: ECONNREFUSED" "$(R pairsend "$name.d")"
host_saw; check "... and the host received nothing" nothing "$SAW"
check "the world's own abstract names work" "own hi" "$(R own "$name.own")"

echo "# binds: the wildcard is loopback"
port=$BASE
R bindany "$port" 4 >"$WORK/bind.out" &
runner=$!
for _ in $(seq 100); do grep -q bound "$WORK/bind.out" && break; sleep 0.1; done
check "bind 0.0.0.0 is narrowed to loopback" "bound 127.0.0.1" "$(cat "$WORK/bind.out")"
check "the host cannot connect in through $EXT" refused \
	"$("$PY" -c "import socket; socket.create_connection(('$EXT', $port), 2)" 2>/dev/null && echo connected || echo refused)"
check "the host's loopback still reaches it" connected \
	"$("$PY" -c "import socket; socket.create_connection(('127.0.0.1', $port), 2)" 2>/dev/null && echo connected || echo refused)"
wait "$runner"
check "listen() on an unbound socket listens on loopback" "listening 127.0.0.1" "$(R listen)"
check "a first datagram binds loopback, not the wildcard" "local 127.0.0.1" "$(R udplocal $((BASE + 4)))"

echo "# Fast Open: a connect in disguise"
hosted tcp "$EXT:$((BASE + 1))"
check_grep "sendto(MSG_FASTOPEN) to $EXT: ENETUNREACH like connect" \
	"^refused: ENETUNREACH" "$(R tfo "$EXT" $((BASE + 1)))"
host_saw; check "... and no connection reached the host" nothing "$SAW"
hosted tcp "$EXT:$((BASE + 1))"
check_grep "sendmsg(MSG_FASTOPEN) to $EXT: ENETUNREACH" "^refused: ENETUNREACH" \
	"$(R tfomsg "$EXT" $((BASE + 1)))"
host_saw; check "... and no connection reached the host" nothing "$SAW"
check_grep "Fast Open to loopback: EOPNOTSUPP (the program connects instead)" \
	"^refused: (EOPNOTSUPP|ENOTSUP)" "$(R tfo 127.0.0.1 $((BASE + 1)))"

echo "# datagrams carry their address"
hosted udp "$EXT:$((BASE + 2))"
check_grep "UDP sendto $EXT: ENETUNREACH" "^refused: ENETUNREACH" "$(R udp "$EXT" $((BASE + 2)))"
host_saw; check "... and nothing arrived" nothing "$SAW"
hosted udp "$EXT:$((BASE + 2))"
check_grep "UDP sendmsg $EXT: ENETUNREACH" "^refused: ENETUNREACH" "$(R udpmsg "$EXT" $((BASE + 2)))"
host_saw; check "... and nothing arrived" nothing "$SAW"
hosted udp "127.0.0.1:$((BASE + 3))"
check "UDP sendmsg to the host's loopback is delivered" "sent 4" "$(R udpmsg 127.0.0.1 $((BASE + 3)))"
host_saw; check "... whole" "got datagram b'leak'" "$SAW"
finish
