#!/bin/bash
# Issue 10's file and process cases (tests/conformance/files_cases.c):
# /proc/self in a fresh fork, unix sockets bound on MicronOS's trees,
# pidfds from /proc/PID, sparse files in /tmp, epoll on regular files
# (accepted inside: the one documented difference), /etc's independence
# from the host's files, /tmp's cap from tmp.size.
# Natively on the host's /tmp first (each case must pass there, or the
# case itself is wrong), then through a running instance, whose /proc
# and /tmp are MicronOS's: the program is copied into the mount's /tmp.
. "$(dirname "$0")/run_lib.bash"
need_root

cc -O1 -Wall -o "$WORK/cases" "$SRC/tests/conformance/files_cases.c" || {
	bad "compile files_cases.c"; finish; exit 1; }
mkdir -p "$WORK/native"
"$WORK/cases" "$WORK/native" >"$WORK/native.txt"
while IFS= read -r line; do
	check "natively: ${line%% *}" ok "${line#* }"
done <"$WORK/native.txt"

# case -> why it differs inside (micronos-run(1), LIMITS), and what it gives
declare -A MUST_DIFFER=(
	[epoll_file]="FUSE files always have a poll operation: epoll takes them"
)
declare -A INSIDE=([epoll_file]="fail: accepted")

N=rf$$
if daemon_up "$N"; then
	MNT="$MICRONOS_RUNTIME_ROOT/$N/mnt"
	cp "$WORK/cases" "$MNT/tmp/cases"
	RUN_ARGS=(-n "$N")
	for who in --root ""; do
		out=$(run $who /tmp/cases /tmp)
		while IFS= read -r line; do
			key=${line%% *}
			if [ -n "${MUST_DIFFER[$key]+x}" ]; then
				check "inside${who:+ as root}: $key (${MUST_DIFFER[$key]})" \
					"${INSIDE[$key]}" "${line#* }"
			else
				check "inside${who:+ as root}: $key" ok "${line#* }"
			fi
		done <<<"$out"
		check "inside${who:+ as root}: as many cases as natively" \
			"$(wc -l <"$WORK/native.txt")" "$(printf '%s\n' "$out" | wc -l)"
	done
	# the host replaces its passwd as useradd does (same text, new inode):
	# MicronOS's /etc must not change
	before=$(run cat /etc/passwd)
	check_grep "/etc/passwd is MicronOS's" "^user:x:1000:1000:MicronOS user" \
		"$before"
	cp -p /etc/passwd /etc/.passwd.mn$$ && mv /etc/.passwd.mn$$ /etc/passwd
	check "after the host renamed over its passwd, MicronOS's is unchanged" \
		"$before" "$(run cat /etc/passwd)"
	check "id still names uid 1000 user" "uid=1000(user) gid=1000(user) groups=1000(user)" \
		"$(run id)"
	# one source for /etc: a throwaway run shows the instance's files
	for f in passwd group hosts os-release; do
		check "/etc/$f of a throwaway run is the instance's" \
			"$(run cat /etc/$f)" \
			"$(timeout -s KILL 60 "$RUN" --throwaway cat /etc/$f)"
	done
	check_grep "the host's other /etc entries show" "^nameserver|^#|^search|^options|^domain" \
		"$(run cat /etc/resolv.conf)"
	check_grep "/tmp's cap is half of RAM by default" \
		"^$(($(getconf _PHYS_PAGES) * $(getconf PAGESIZE) / 2 / 4096 * 4))\$" \
		"$(run sh -c 'df -k /tmp' | awk 'NR == 2 {print $2}')"
	daemon_down "$N"
else
	bad "micronos up"
fi

# tmp.size from the instance's configuration
N=rg$$
mkdir -p "$MICRONOS_DATA_ROOT/$N"
echo "tmp.size = 2M" >"$MICRONOS_DATA_ROOT/$N/config"
if daemon_up "$N"; then
	RUN_ARGS=(-n "$N")
	check "tmp.size = 2M caps /tmp" 2048 \
		"$(run sh -c 'df -k /tmp' | awk 'NR == 2 {print $2}')"
	check_grep "a 3 MiB file does not fit" "No space left" \
		"$(run sh -c 'head -c 3145728 /dev/zero > /tmp/big' 2>&1)"
	check "a 1 MiB file does, once the full one is gone" 0 \
		"$(run sh -c 'rm /tmp/big; head -c 1048576 /dev/zero > /tmp/ok'; echo $?)"
	daemon_down "$N"
else
	bad "micronos up with tmp.size"
fi
finish
