#!/usr/bin/env bash
# Every way a rootless start can fail ends in one clear line and an exit
# code, never a hang (issue 11).  Each case forces its condition: a
# newuidmap that fails (the hang of the first version: the supervisor
# reaped the helper process while that one waited for it), no subordinate
# ids, no user namespaces (user.max_user_namespaces 0 in a namespace of
# the test's own), /dev/fuse closed to users, no fusermount3, a mount dir
# not empty or already mounted, a data dir locked by another instance, and
# -n naming an instance that does not run.
. "$(dirname "$0")/rootless_lib.bash"

RL_ENV=(MICRONOS_RUNTIME_ROOT="$RL_WORK/rt" MICRONOS_DATA_ROOT="$RL_WORK/data")
mkdir -p "$RL_WORK/rt" "$RL_WORK/data"
chown "$RL_USER" "$RL_WORK/rt" "$RL_WORK/data"
lines() { printf '%s\n' "$1" | grep -c .; }

# --- the hang: the id map cannot be written --------------------------------
mkdir -p "$RL_WORK/fake"
printf '#!/bin/sh\necho "newuidmap: write to uid_map failed: refused by the test" >&2\nexit 1\n' \
	>"$RL_WORK/fake/newuidmap"
cp "$RL_WORK/fake/newuidmap" "$RL_WORK/fake/newgidmap"
chmod 755 "$RL_WORK/fake" "$RL_WORK/fake/"*
start=$(date +%s)
out=$(as_user env PATH="$RL_WORK/fake:/usr/bin:/bin" "$RUN" --throwaway id 2>&1)
rc=$?
check "a failed newuidmap: exit 125, not a hang (137)" 125 "$rc"
check_grep "and it says so" 'newuidmap .* failed: newuidmap: write to uid_map failed' "$out"
check "in one line" 1 "$(lines "$out")"
check "well inside the deadline" yes \
	"$([ $(($(date +%s) - start)) -lt 30 ] && echo yes || echo no)"

# a helper that hangs is cut at its deadline; meanwhile SIGTERM (what
# `timeout` sends) ends micronos-run at once: it was blocked for good
mkdir -p "$RL_WORK/slow"
# (it ends with its caller, so no process of the user outlives the test)
printf '#!/bin/sh\nwhile kill -0 $PPID 2>/dev/null; do sleep 0.2; done\n' \
	>"$RL_WORK/slow/newuidmap"
chmod 755 "$RL_WORK/slow" "$RL_WORK/slow/newuidmap"
start=$(date +%s)
out=$(as_user env PATH="$RL_WORK/slow:/usr/bin:/bin" \
	timeout --preserve-status -s TERM 2 "$RUN" --throwaway id 2>&1)
rc=$?
check "SIGTERM while booting ends micronos-run (128+15)" 143 "$rc"
check_grep "saying so" 'interrupted while booting' "$out"
check "at once, not at the helper's 10 s deadline" yes \
	"$([ $(($(date +%s) - start)) -lt 8 ] && echo yes || echo no)"
out=$(as_user env PATH="$RL_WORK/slow:/usr/bin:/bin" "$RUN" --throwaway id 2>&1)
rc=$?
check "a hung newuidmap: exit 125 after its deadline" 125 "$rc"
check_grep "naming it" 'newuidmap did not answer in 10 s' "$out"

# --- no subordinate ids: one id, said once, the rest EINVAL ---------------
cp /etc/subuid "$RL_WORK/subuid.saved"
cp /etc/subgid "$RL_WORK/subgid.saved"
sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
out=$(as_user "$RUN" --throwaway sh -c 'id -u; python3 -c "import os; os.setuid(0)"' 2>&1)
rc=$?
check_grep "no range: one clear line" \
	'^micronos-run: no subordinate ids .*only MicronOS uid 1000 maps onto you' "$out"
check_grep "the program runs as uid 1000" '^1000$' "$out"
check_grep "setuid to an unmapped id fails with EINVAL" 'Errno 22' "$out"
out=$(as_user "$RUN" --throwaway -u 7 -g 8 id 2>&1); rc=$?
check "a gid the single-id map cannot give: refused" 126 "$rc"
check_grep "saying why" 'no host id' "$out"
cat "$RL_WORK/subuid.saved" >/etc/subuid
cat "$RL_WORK/subgid.saved" >/etc/subgid

# --- no user namespaces -----------------------------------------------------
out=$(runuser -u "$RL_USER" -- timeout -s KILL 60 unshare -Ur sh -c \
	"echo 0 > /proc/sys/user/max_user_namespaces && $RUN --throwaway id" 2>&1)
rc=$?
check "no user namespaces: exit 125" 125 "$rc"
check_grep "says user namespaces are off" 'cannot create a user namespace .*max_user_namespaces' "$out"

# --- FUSE: device closed to users, no fusermount3 --------------------------
chmod 0600 /dev/fuse
out=$(as_user "$MN" up -n f1 -d -q 2>&1); rc=$?
check "/dev/fuse 0600: up fails" 1 "$rc"
check_grep "naming /dev/fuse's mode" 'must be open to users, mode 0666' "$out"
check "one line for it" 1 "$(printf '%s\n' "$out" | grep -vc 'user_allow_other')"
chmod 0666 /dev/fuse
out=$(as_user env PATH=/nonexistent "$MN" up -n f2 -d -q 2>&1); rc=$?
check "no fusermount3: up fails" 1 "$rc"
check_grep "and names the package" 'cannot run fusermount3 .*install the fuse3 package' "$out"
check "no runtime dir left behind" 0 "$(ls "$RL_WORK/rt" | wc -l)"

# --- the mount dir --------------------------------------------------------
mkdir -p "$RL_WORK/full" && touch "$RL_WORK/full/file"
chown -R "$RL_USER" "$RL_WORK/full"
out=$(as_user "$MN" up -n m1 --mount "$RL_WORK/full" -d -q 2>&1); rc=$?
check "a mount dir with files: up fails" 1 "$rc"
check_grep "saying it is not empty" 'is not empty' "$out"
mkdir -p "$RL_WORK/m" && chown "$RL_USER" "$RL_WORK/m"
as_user "$MN" up -n m2 --mount "$RL_WORK/m" -d -q >/dev/null 2>&1
RL_PIDS="$RL_PIDS $(cat "$RL_WORK/rt/m2/pid" 2>/dev/null)"
out=$(as_user "$MN" up -n m3 --mount "$RL_WORK/m" -d -q 2>&1); rc=$?
check "a mount dir in use: up fails" 1 "$rc"
check_grep "saying another instance serves it" 'live FUSE mount' "$out"

# --- the data dir ---------------------------------------------------------
out=$(as_user "$MN" up -n d2 --data "$RL_WORK/data/m2" -d -q 2>&1); rc=$?
check "a data dir in use: up fails" 1 "$rc"
check_grep "naming the instance that has it" "in use by another running instance 'm2'" "$out"

# --- -n NAME not running ----------------------------------------------------
out=$(as_user "$RUN" -n nosuch id 2>&1); rc=$?
check "micronos-run -n NAME not running: exit 125" 125 "$rc"
check "with the message" "micronos-run: instance nosuch is not running (start it with \`micronos up -n nosuch\`, or pass --throwaway)" "$out"
out=$(as_user "$RUN" -n nosuch --throwaway id -u 2>/dev/null); rc=$?
check "--throwaway runs it anyway" "0 1000" "$rc $out"
out=$(as_user "$MN" shell -n nosuch -c ps 2>&1); rc=$?
check "shell -n NAME not running: exit 1" 1 "$rc"
check "one line" 1 "$(lines "$out")"

as_user "$MN" down -n m2 >/dev/null 2>&1
check "down unmounts the user's mount" 0 "$(grep -c " $RL_WORK/m " /proc/self/mounts)"

finish
