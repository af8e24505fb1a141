# bench/lib/syscalls.sh - per-call cost of getpid, uname, open+close, stat and a
# 4 KiB read, natively and in every sandbox, beside the bare seccomp
# user-notification round trip (bench/notify_floor.c), which is the floor
# for any call a user-space supervisor answers.  Sourced by bench/run.

SYSCALL_CASES=(getpid uname open_close stat read4k)

# _sys_record GROUP CONFIG OUTFILE: one sample per "NAME N ns/call" line.
_sys_record() {
	local name value unit rest
	while read -r name value unit rest; do
		[[ $unit == ns/call ]] || continue
		rec_sample "$1" "$name" "$2" "$value"
	done <"$3"
}

suite_syscalls() {
	local g=syscalls rep sb c out rc cmd t=$SYS_SECONDS
	local floors=("notify floor" "notify floor, no SYNC_WAKE_UP")
	local -A dead=()

	log "syscalls: $REPS_SYS runs of ${t}s per call and sandbox"
	rec_group $g "System calls" native "notify floor" \
		"Nanoseconds per call, timed inside the sandbox by bench/syscalls.c (${t} s per call and run, $REPS_SYS runs; median and min…max of the runs). open, stat and read use /usr/bin/true. The notify floor is bench/notify_floor.c: a child whose getpid is trapped with SECCOMP_RET_USER_NOTIF and answered by a parent doing only NOTIF_RECV + NOTIF_SEND — the least any seccomp-notify supervisor can cost. Under micronos-run uname is trapped and translated (answered, its record written into the caller) and open is trapped and continued; getpid (the identity calls are not trapped since issue 10), stat and read run natively."
	for c in "${SYSCALL_CASES[@]}"; do
		rec_case $g "$c" ns/call lower
	done
	rec_order $g "${SANDBOXES[@]}" "${floors[@]}"
	for sb in "${SANDBOXES[@]}"; do
		sb_prefix "$sb"
		cmd=$(quote_cmd "${PREFIX[@]}" "$WORK/bin/syscalls" -t "$t")
		for c in "${SYSCALL_CASES[@]}"; do
			rec_cmd $g "$c" "$sb" "$cmd"
			[[ -n ${UNAVAIL[$sb]:-} ]] &&
				rec_na $g "$c" "$sb" "${UNAVAIL[$sb]}"
		done
	done
	rec_cmd $g getpid "${floors[0]}" "$(quote_cmd "$WORK/bin/notify_floor" -t "$t")"
	rec_cmd $g getpid "${floors[1]}" "$(quote_cmd "$WORK/bin/notify_floor" -t "$t" -S)"

	for ((rep = 1; rep <= REPS_SYS; rep++)); do
		for sb in "${SANDBOXES[@]}"; do
			[[ -n ${UNAVAIL[$sb]:-} || -n ${dead[$sb]:-} ]] && continue
			sb_prefix "$sb"
			out=$WORK/sys.$sb.$rep
			timed 300 "$out" "${PREFIX[@]}" "$WORK/bin/syscalls" -t "$t"
			rc=$?
			if ((rc != 0)); then
				dead[$sb]=1
				for c in "${SYSCALL_CASES[@]}"; do
					grep -q "^$c " "$out" ||
						rec_na $g "$c" "$sb" "$(why "$out" $rc)"
				done
			fi
			_sys_record $g "$sb" "$out"
		done
		for c in 0 1; do
			[[ -n ${dead[floor$c]:-} ]] && continue
			out=$WORK/sys.floor$c.$rep
			if ((c == 0)); then
				timed 120 "$out" "$WORK/bin/notify_floor" -t "$t"
			else
				timed 120 "$out" "$WORK/bin/notify_floor" -t "$t" -S
			fi
			rc=$?
			if ((rc != 0)); then
				dead[floor$c]=1
				rec_na $g getpid "${floors[$c]}" "$(why "$out" $rc)"
			fi
			_sys_record $g "${floors[$c]}" "$out"
		done
		log "syscalls: run $rep/$REPS_SYS done"
	done
}
