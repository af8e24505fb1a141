# bench/lib/rootless.sh - a rootless instance beside root's, in one run:
# the same programs run through the instance root booted (the main one,
# INSTANCE) and through an instance an ordinary user booted, each command
# started by its owner through setpriv (no PAM: both rows pay the same
# exec).  Rows: micronos-run start-up (/bin/true), getpid per call
# (bench/syscalls.c inside), and the work suite's find and tar.  The user
# is created here (useradd, a subordinate range) and removed after, with
# /dev/fuse made 0666 (the kernel's default) for the run and restored.
# Sourced by bench/run; only as root.

RL_BENCH_USER=""
RL_BENCH_FUSE=""

rootless_cleanup() {
	local pid
	[[ -z $RL_BENCH_USER ]] && return 0
	pid=$(cat "$WORK/rl-rt/$INSTANCE-rl/pid" 2>/dev/null)
	if [[ -n $pid ]]; then
		timeout 30 "${RL_AS[@]}" "$WORK/rl-bin/micronos" down \
			-n "$INSTANCE-rl" >>"$LOG" 2>&1 || kill -9 "$pid" 2>/dev/null
	fi
	is_mounted "$WORK/rl-mnt" && { fusermount3 -u -z "$WORK/rl-mnt" 2>/dev/null || umount -l "$WORK/rl-mnt"; }
	[[ -n $RL_BENCH_FUSE ]] && chmod "$RL_BENCH_FUSE" /dev/fuse
	userdel -r "$RL_BENCH_USER" >/dev/null 2>&1
	RL_BENCH_USER="" RL_BENCH_FUSE=""
}

# RL_AS: the prefix that runs a command as the bench user (its instances
# under $WORK); RL_ROOT: root's rows pay the same setpriv exec.
RL_AS=()
RL_ROOT=(setpriv --reuid 0 --regid 0 --clear-groups --)

suite_rootless() {
	local g=rootless rep w name cmd who out rc why=""
	local -A ref=() dead=()
	local cases=("startup|/bin/true" "getpid|/tmp/mn-syscalls -t $SYS_SECONDS")

	rec_group $g "Rootless instance" "root instance" "" \
		"The same programs through root's running instance and through one an ordinary user booted (its ids on the user's /etc/subuid range, its tree mounted by fusermount3, no host capability), each started by its owner with setpriv. startup and the work rows are milliseconds / seconds of wall time of the whole micronos-run; getpid is ns per call inside (bench/syscalls.c). $REPS_WORK runs each, interleaved."
	rec_order $g "root instance" "rootless instance"
	if ((EUID != 0)); then
		why="needs root (creates a user)"
	elif [[ $MN_UP != 1 ]]; then
		why="root's instance is not up: $MN_UP_WHY"
	elif ! command -v newuidmap >/dev/null || ! command -v setpriv >/dev/null; then
		why="newuidmap or setpriv missing (packages uidmap, util-linux)"
	fi
	RL_BENCH_USER=mnbench$$
	if [[ -z $why ]] && ! useradd -m "$RL_BENCH_USER" 2>>"$LOG"; then
		why="useradd failed"
	fi
	if [[ -n $why ]]; then
		for c in startup getpid find tar; do
			rec_case $g "$c" ms lower
			rec_na $g "$c" "rootless instance" "$why"
		done
		RL_BENCH_USER=""
		return
	fi
	RL_HOME=$(getent passwd "$RL_BENCH_USER" | cut -d: -f6)
	# the binaries where the user can run them (the tree may be root's)
	mkdir -p "$WORK/rl-bin"
	cp "$BUILD/micronos" "$BUILD/micronos-run" "$WORK/rl-bin/"
	chmod 755 "$WORK" "$WORK/rl-bin" "$WORK/rl-bin/"*
	RL_AS=(setpriv --reuid "$RL_BENCH_USER" --regid "$RL_BENCH_USER"
		--init-groups -- env HOME="$RL_HOME"
		MICRONOS_RUNTIME_ROOT="$WORK/rl-rt"
		MICRONOS_DATA_ROOT="$WORK/rl-data" PATH=/usr/bin:/bin)
	RL_BENCH_FUSE=$(stat -c %a /dev/fuse)
	chmod 0666 /dev/fuse
	mkdir -p "$WORK/rl-rt" "$WORK/rl-data" "$WORK/rl-mnt"
	chown "$RL_BENCH_USER" "$WORK/rl-rt" "$WORK/rl-data" "$WORK/rl-mnt"
	timed 60 "$WORK/rl.up" "${RL_AS[@]}" "$WORK/rl-bin/micronos" up \
		-n "$INSTANCE-rl" --mount "$WORK/rl-mnt" -d -q
	rc=$?
	if ((rc != 0)); then
		why="rootless micronos up failed: $(why "$WORK/rl.up" $rc)"
	fi
	rec_info "rootless instance" "$(cat "$WORK/rl.up.err" 2>/dev/null | head -n 1)"
	# syscalls.c inside both worlds: in each instance's own /tmp
	if [[ -z $why ]] && ! { cp "$WORK/bin/syscalls" "$MNT/tmp/mn-syscalls" &&
		"${RL_AS[@]}" cp "$WORK/bin/syscalls" "$WORK/rl-mnt/tmp/mn-syscalls"; } 2>>"$LOG"; then
		why="cannot copy bench/syscalls into the instances' /tmp"
	fi
	_work_list
	for w in "${cases[@]}" "${WORKLOADS[0]}" "${WORKLOADS[1]}"; do
		name=${w%%|*}
		case $name in
		startup) rec_case $g "$name" ms lower ;;
		getpid) rec_case $g "$name" ns lower ;;
		*) rec_case $g "$name" s lower ;;
		esac
		rec_cmd $g "$name" "root instance" "$(quote_cmd "$BUILD/micronos-run" -n "$INSTANCE" /bin/sh -c "${w#*|}")"
		rec_cmd $g "$name" "rootless instance" "as the user: $(quote_cmd "$BUILD/micronos-run" -n "$INSTANCE-rl" /bin/sh -c "${w#*|}")"
		[[ -n $why ]] && rec_na $g "$name" "rootless instance" "$why"
	done
	[[ -n $why ]] && { rootless_cleanup; return; }
	for ((rep = 1; rep <= REPS_WORK; rep++)); do
		for w in "${cases[@]}" "${WORKLOADS[0]}" "${WORKLOADS[1]}"; do
			name=${w%%|*} cmd=${w#*|}
			for who in "root instance" "rootless instance"; do
				[[ -n ${dead[$who.$name]:-} ]] && continue
				out=$WORK/rl.$name.${who%% *}
				if [[ $who == root* ]]; then
					timed 300 "$out" "${RL_ROOT[@]}" "$BUILD/micronos-run" -n "$INSTANCE" /bin/sh -c "$cmd"
				else
					timed 300 "$out" "${RL_AS[@]}" "$WORK/rl-bin/micronos-run" -n "$INSTANCE-rl" /bin/sh -c "$cmd"
				fi
				rc=$?
				if ((rc != 0)); then
					rec_na $g "$name" "$who" "$(why "$out" $rc)"
					dead[$who.$name]=1
					continue
				fi
				case $name in
				startup) rec_sample $g "$name" "$who" "$(awk -v s="$ELAPSED" 'BEGIN { print s * 1000 }')" ;;
				getpid) rec_sample $g "$name" "$who" "$(awk '$1 == "getpid" && $3 == "ns/call" { print $2 }' "$out")" ;;
				*)
					[[ -z ${ref[$name]:-} ]] && ref[$name]=$(cat "$out")
					if [[ $(cat "$out") != "${ref[$name]}" ]]; then
						rec_na $g "$name" "$who" "output differs between the instances ($(head -c 60 "$out") vs ${ref[$name]:0:60})"
						dead[$who.$name]=1
					else
						rec_sample $g "$name" "$who" "$ELAPSED"
					fi
					;;
				esac
			done
		done
		log "rootless: run $rep/$REPS_WORK done"
	done
	rootless_cleanup
}
