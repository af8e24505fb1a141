# bench/lib/rootless.sh - a rootless instance beside root's, in one run:
# the same programs run through the instance root booted (the main one,
# INSTANCE) and through an instance an ordinary user booted, each command
# started by its owner through setpriv (no PAM: both rows pay the same
# exec).  Rows: micronos-run start-up (/bin/true), getpid per call
# (bench/syscalls.c inside), and the work suite's find and tar.  The user
# is created here (useradd, a subordinate range) and removed after, with
# /dev/fuse made 0666 (the kernel's default) and user_allow_other added
# to /etc/fuse.conf for the run (the full id map needs it), both restored.
# Sourced by bench/run; only as root.

RL_BENCH_USER=""
RL_BENCH_FUSE=""
RL_BENCH_CONF=""	# /etc/fuse.conf as it was, while we add to it

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
	[[ -n $RL_BENCH_CONF && -f $RL_BENCH_CONF ]] &&
		cat "$RL_BENCH_CONF" >/etc/fuse.conf
	userdel -r "$RL_BENCH_USER" >/dev/null 2>&1
	[[ -n ${RL_LOCK_FD:-} ]] && exec {RL_LOCK_FD}>&-
	RL_BENCH_USER="" RL_BENCH_FUSE="" RL_LOCK_FD=""
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
		"The same programs through root's running instance and through one an ordinary user booted (its ids on the user's /etc/subuid range through newuidmap, its tree mounted by fusermount3 with allow_other, no host capability), each started by its owner with setpriv. startup and the work rows are milliseconds / seconds of wall time of the whole micronos-run; getpid is ns per call inside (bench/syscalls.c). $REPS_WORK runs each, interleaved."
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
	# the rootless tests change the same host files: one at a time
	exec {RL_LOCK_FD}>/run/lock/micronos-rootless-tests.lock
	flock -w 600 "$RL_LOCK_FD"
	RL_BENCH_FUSE=$(stat -c %a /dev/fuse)
	chmod 0666 /dev/fuse
	# the full map (MicronOS ids on the subordinate range) needs it
	RL_BENCH_CONF=$WORK/fuse.conf.saved
	cp /etc/fuse.conf "$RL_BENCH_CONF" &&
		echo user_allow_other >>/etc/fuse.conf
	mkdir -p "$WORK/rl-rt" "$WORK/rl-data" "$WORK/rl-mnt"
	chown "$RL_BENCH_USER" "$WORK/rl-rt" "$WORK/rl-data" "$WORK/rl-mnt"
	timed 60 "$WORK/rl.up" "${RL_AS[@]}" "$WORK/rl-bin/micronos" up \
		-n "$INSTANCE-rl" --mount "$WORK/rl-mnt" -d -q
	rc=$?
	if ((rc != 0)); then
		why="rootless micronos up failed: $(why "$WORK/rl.up" $rc)"
	fi
	local said
	said=$(grep . "$WORK/rl.up.err" 2>/dev/null | head -n 1)
	rec_info "rootless instance" "${said:-MicronOS ids on the subordinate range (no fallback line at boot)}"
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
		rec_cmd $g "$name" "rootless instance" "as the user, a copy of the same binary: $(quote_cmd "$BUILD/micronos-run" -n "$INSTANCE-rl" /bin/sh -c "${w#*|}")"
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
