#!/usr/bin/env bash
# MicronOS as an ordinary host user (issue 11): the fixture creates a user
# with a subordinate range; as that user, every step with a deadline: boot,
# browse the mount, micronos-run id/ps/python3/pipelines through the
# instance and throwaway, storage across down/up, kill -9 of the daemon and
# the next boot's recovery, network none/loopback, down.  First as a fresh
# Debian 12 has it (no user_allow_other: the single-id world), then with
# user_allow_other (MicronOS ids 0-65535 on the user's subordinate range).
. "$(dirname "$0")/rootless_lib.bash"

XDG="$RL_WORK/xdg"
mkdir -m 700 "$XDG" && chown "$RL_USER" "$XDG"
RL_ENV=(XDG_RUNTIME_DIR="$XDG")
RT="$XDG/micronos/default"
DATA="$RL_HOME/.local/share/micronos/default"
MNT="$RT/mnt"

# --- throwaway instances: the subordinate range, no mount needed ----------
out=$(as_user "$RUN" id 2>&1); rc=$?
check "micronos-run id as a user exits 0" 0 "$rc"
check_grep "runs as MicronOS uid 1000" '^uid=1000\(user\)' "$out"
check_grep "says it boots a throwaway instance" 'booting a throwaway' "$out"
out=$(as_user "$RUN" --root id -u 2>/dev/null)
check "--root is uid 0 inside" 0 "$out"
out=$(as_user "$RUN" sh -c 'seq 1 100 | grep 7 | wc -l' 2>/dev/null)
check "sh pipeline" 19 "$(echo $out)"

# --- a daemon of its own: runtime and data dirs of a user -----------------
err=$(as_user "$MN" up -d -q 2>&1); rc=$?
check "micronos up -d as a user" 0 "$rc"
check "runtime dir is \$XDG_RUNTIME_DIR/micronos/NAME, 0700" "700 $RL_USER" \
	"$(stat -c '%a %U' "$RT" 2>&1)"
check "data dir under ~/.local/share/micronos" "$RL_USER" \
	"$(stat -c %U "$DATA" 2>&1)"
check_grep "one line says the world has a single id" \
	'lacks user_allow_other: only MicronOS uid 1000' "$err"
check "that is the only line" 1 "$(printf '%s\n' "$err" | grep -c .)"
PID=$(cat "$RT/pid" 2>/dev/null)
RL_PIDS="$RL_PIDS $PID"
check_grep "the mount is a FUSE mount of the user's" \
	"fuse.micronos .*user_id=$RL_UID" "$(grep " $MNT " /proc/self/mounts)"
out=$(as_user "$MN" status 2>&1)
check_grep "status lists the user's instance" "^default +$PID " "$out"

# browse the mount as the user
out=$(as_user ls "$MNT" 2>&1)
check_grep "ls of the mount" 'proc' "$out"
out=$(as_user cat "$MNT/proc/uptime" 2>&1)
check_grep "cat /proc/uptime through the mount" '^[0-9.]+ [0-9.]+$' "$out"
out=$(as_user find "$MNT/sys" -maxdepth 2 -name config 2>&1)
check "find in the mount" "$MNT/sys/config" "$out"

# programs through the running instance
out=$(as_user "$RUN" id 2>&1)
check_grep "id through the instance" '^uid=1000\(user\) gid=1000' "$out"
out=$(as_user "$RUN" ps -e -o pid=,comm= 2>&1)
check_grep "ps sees MicronOS's pids" '^ +1 ' "$out"
out=$(as_user "$RUN" python3 -c 'import os; print(os.getuid(), os.getppid())' 2>&1)
check "python3 inside" "1000 1" "$out"
out=$(as_user "$RUN" sh -c 'echo hello | tr a-z A-Z | rev' 2>&1)
check "sh pipeline inside" "OLLEH" "$out"
out=$(as_user "$RUN" python3 -c 'import os; os.setuid(0)' 2>&1); rc=$?
check_grep "a uid with no host id: EINVAL, not a lie" 'Errno 22' "$out"
out=$(as_user "$RUN" --root id 2>&1); rc=$?
check_grep "--root refused in a single-id world" 'no host id' "$out"

# storage across down/up
as_user "$RUN" sh -c 'echo kept > /home/user/note' 2>/dev/null
out=$(as_user "$MN" down 2>&1); rc=$?
check "down" 0 "$rc"
check "down unmounts (fusermount3)" "" "$(grep " $MNT " /proc/self/mounts)"
check "down removes the runtime dir" "gone" \
	"$([ -e "$RT" ] && echo there || echo gone)"
as_user "$MN" up -d -q >/dev/null 2>&1
PID=$(cat "$RT/pid" 2>/dev/null)
RL_PIDS="$RL_PIDS $PID"
check "storage survives down/up" "kept" \
	"$(as_user "$RUN" cat /home/user/note 2>&1)"

# kill -9: a dead mount stays; the next up detaches it and boots
kill -9 "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
out=$(as_user stat "$MNT" 2>&1)
check_grep "a killed daemon leaves a dead mount" 'not connected' "$out"
out=$(as_user "$MN" up -d 2>&1); rc=$?
check "up after kill -9" 0 "$rc"
check_grep "it says it cleaned up" 'cleaned up after a crashed' "$out"
PID=$(cat "$RT/pid" 2>/dev/null)
RL_PIDS="$RL_PIDS $PID"
check "the mount answers again" "kept" "$(as_user cat "$MNT/home/user/note" 2>&1)"
check "one mount there, not two" 1 "$(grep -c " $MNT " /proc/self/mounts)"

# network: its own loopback (none), the host's (loopback)
PY_PAIR='import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
a.sendall(b"pong"); print(c.recv(4).decode())'
check "net none: the program's own loopback" "pong" \
	"$(as_user "$RUN" --throwaway --net none python3 -c "$PY_PAIR" 2>&1)"
python3 -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); sys.stdout.close()
s.settimeout(50); a, _ = s.accept(); a.sendall(b"host")' >"$RL_WORK/port" &
LISTENER=$!
for _ in $(seq 100); do [ -s "$RL_WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$RL_WORK/port")
PY_CONN="import socket; print(socket.create_connection(('127.0.0.1', $PORT), 5).recv(4).decode())"
check "net loopback: reaches the host's loopback" "host" \
	"$(as_user "$RUN" --net loopback python3 -c "$PY_CONN" 2>/dev/null)"
out=$(as_user "$RUN" --throwaway --net none python3 -c "$PY_CONN" 2>&1)
check_grep "net none: the host's loopback is not there" 'Connection refused' "$out"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null

out=$(as_user "$MN" down 2>&1); rc=$?
check "down again" 0 "$rc"
check "nothing mounted left" 0 "$(grep -c " $RT" /proc/self/mounts)"

# --- without XDG_RUNTIME_DIR: /tmp/micronos-UID ----------------------------
RL_ENV=()
as_user "$MN" up -n fb -d -q >/dev/null 2>&1
check "fallback runtime dir /tmp/micronos-UID/NAME, 0700" "700 $RL_USER" \
	"$(stat -c '%a %U' "/tmp/micronos-$RL_UID/fb" 2>&1)"
RL_PIDS="$RL_PIDS $(cat "/tmp/micronos-$RL_UID/fb/pid" 2>/dev/null)"
as_user "$MN" down -n fb >/dev/null 2>&1

# --- other users: root's instance is not the user's -----------------------
# (a name of its own under /run/micronos, data in the work dir)
RN=rlroot$$
env -u MICRONOS_RUNTIME_ROOT timeout -s KILL 60 "$MN" up -n "$RN" \
	--data "$RL_WORK/rootdata" -d -q >/dev/null 2>&1
RL_PIDS="$RL_PIDS $(cat "/run/micronos/$RN/pid" 2>/dev/null)"
out=$(as_user "$MN" status 2>&1)
check_grep "a user's status says where root's instances live" \
	"root's \([0-9]+\) live in /run/micronos" "$out"
out=$(as_user "$MN" shell -n "$RN" -c ps 2>&1); rc=$?
check_grep "shell -n of root's instance names it, and fails" \
	"root's '$RN' lives in /run/micronos/$RN" "$rc $out"
out=$(as_user ls "/run/micronos/$RN/mnt" 2>&1)
check_grep "root's mount is not the user's to browse" 'Permission denied' "$out"
out=$(as_user "$RUN" -n "$RN" id 2>&1); rc=$?
check "micronos-run -n of root's instance: not the user's (125)" 125 "$rc"
env -u MICRONOS_RUNTIME_ROOT timeout -s KILL 60 "$MN" down -n "$RN" >/dev/null 2>&1
check "root's instance went down" "gone" \
	"$([ -e "/run/micronos/$RN" ] && echo there || echo gone)"
RL_ENV=(XDG_RUNTIME_DIR="$XDG")

# --- user_allow_other: MicronOS ids 0-65535 on the subordinate range ------
echo user_allow_other >>/etc/fuse.conf
err=$(as_user "$MN" up -n full -d -q 2>&1); rc=$?
check "up with user_allow_other" 0 "$rc"
check "no fallback line" "" "$err"
RL_PIDS="$RL_PIDS $(cat "$XDG/micronos/full/pid" 2>/dev/null)"
out=$(as_user "$RUN" -n full id -u 2>&1)
check "uid 1000 inside" 1000 "$out"
out=$(as_user "$RUN" -n full --root sh -c 'id -u; touch /root/r; ls -n /root/r' 2>&1)
check_grep "root inside owns /root" '^0$' "$out"
check_grep "and its files" ' 0 +0 ' "$out"
out=$(stat -c %u "$XDG/micronos/full/mnt/home/user" 2>&1)
check "on the host, MicronOS uid 1000 is the range's start + 1000" \
	"$((RL_SUBUID + 1000))" "$out"
out=$(as_user "$RUN" -n full sh -c 'echo x > /tmp/x; cat /tmp/x' 2>&1)
check "sandboxed ids reach the mount (allow_other)" "x" "$out"
as_user "$MN" down -n full >/dev/null 2>&1
check "down -n full" 0 "$(grep -c " $XDG/micronos/full" /proc/self/mounts)"

finish
