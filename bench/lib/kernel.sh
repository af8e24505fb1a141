# bench/lib/kernel.sh - the kernel's own hot paths: bench_core (syscall
# dispatch, region alloc/free, driver reads), bench_evbus (event
# publishing), the running daemon's `benchmark` shell command, and event
# stream delivery through the mount.  Absolute figures: no peer does the
# same thing.  Sourced by bench/run.

# _kernel_lines CONFIG FILE: "NAME VALUE UNIT ..." lines to samples; a
# unit with /s is a rate (higher is better), anything else a cost.
_kernel_lines() {
	local cfg=$1 name value unit rest better
	while read -r name value unit rest; do
		[[ $value =~ ^[0-9.eE+-]+$ && -n $unit ]] || continue
		better=lower
		[[ $unit == */s ]] && better=higher
		if [[ -z ${KSEEN[$name]:-} ]]; then
			KSEEN[$name]=1
			rec_case kernel "$name" "$unit" $better
			rec_cmd kernel "$name" "$cfg" "${KCMD[$cfg]}"
		fi
		rec_sample kernel "$name" "$cfg" "$value"
	done <"$2"
}

# _shell_bench FILE: the table of `benchmark MS` to "shell.NAME RATE ops/s"
# lines (RATE column "17.53 M/s").
_shell_bench() {
	awk '$2 ~ /^[0-9]+$/ && $6 ~ /\/s$/ {
		m = 1
		if ($6 ~ /^K/) m = 1e3
		if ($6 ~ /^M/) m = 1e6
		if ($6 ~ /^G/) m = 1e9
		printf "shell.%s %.6g ops/s\n", $1, $5 * m }' "$1"
}

# _stream_rate: events/s reaching a reader of events/stream on the mount
# while the shell publishes ProcessCreated events as fast as it can.
_stream_rate() {
	local n=$STREAM_EVENTS out=$WORK/stream.out rd t0 t1 got
	local cfg="events/stream on the mount"
	rec_case kernel "stream delivery" events/s higher
	rec_case kernel "stream, share received" % higher
	rec_cmd kernel "stream, share received" "$cfg" "(the same run)"
	rec_cmd kernel "stream delivery" "$cfg" "cat $MNT/events/stream, while: yes 'syscall invoke fork' | head -n $n | micronos shell -n $INSTANCE"
	if [[ $MN_UP != 1 ]]; then
		rec_na kernel "stream delivery" "$cfg" "no instance: $MN_UP_WHY"
		return
	elif ! is_mounted "$MNT"; then
		rec_na kernel "stream delivery" "$cfg" "nothing is mounted at $MNT (the instance's FUSE mount is not attached yet)"
		return
	fi
	timeout 60 cat "$MNT/events/stream" >"$out" 2>"$out.err" &
	rd=$!
	sleep 0.5
	t0=$(now_us)
	yes 'syscall invoke fork' | head -n "$n" |
		timeout 120 "$BUILD/micronos" shell -n "$INSTANCE" >/dev/null 2>&1
	t1=$(now_us)
	sleep 0.5
	kill "$rd" 2>/dev/null
	wait "$rd" 2>/dev/null
	got=$(grep -c ProcessCreated "$out")
	if ((got == 0)); then
		rec_na kernel "stream delivery" "$cfg" "the reader got no ProcessCreated event: $(tail -n 1 "$out.err")"
		return
	fi
	rec_sample kernel "stream delivery" "$cfg" \
		"$(awk -v g="$got" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6g", g / ((b - a) / 1e6) }')"
	rec_sample kernel "stream, share received" "$cfg" \
		"$(awk -v g="$got" -v n="$n" 'BEGIN { printf "%.2f", 100 * g / n }')"
	log "kernel: stream reader got $got of $n events"
}

# _vfs_lines FILE: bench_vfs's "storage write 1M:  1234 MiB/s" lines as
# "vfs.storage_write_1M 1234 MiB/s".
_vfs_lines() {
	awk -F: 'NF == 2 { split($2, v, " "); n = $1
		gsub(/^ +| +$/, "", n); gsub(/ +/, "_", n)
		if (v[1] != "" && v[2] != "") print "vfs." n, v[1], v[2] }' "$1"
}

suite_kernel() {
	local rep out rc cfg
	declare -gA KSEEN=() KCMD=(
		[bench_core]="MN_BENCH_SECONDS=$CORE_SECONDS $BUILD/bench_core"
		[bench_evbus]="$BUILD/bench_evbus $EVBUS_EVENTS"
		[bench_vfs]="$BUILD/bench_vfs $BACK/vfs $VFS_MIB"
		["micronos shell benchmark"]="$BUILD/micronos shell -n $INSTANCE -c 'benchmark $SHELL_BENCH_MS'")
	log "kernel: $REPS_KERNEL runs"
	rec_group kernel "Kernel hot paths" "" "" \
		"Absolute figures from bench/bench_core.c, bench/bench_evbus.c and bench/bench_vfs.c (the VFS API without FUSE; built by CMake, RelWithDebInfo), the running daemon's \`benchmark\` shell command, and delivery of events through the mount's events/stream (a reader on the mount while the shell publishes $STREAM_EVENTS ProcessCreated events as fast as it can: the rate is bounded by the publisher, the share received says whether the reader kept up); $REPS_KERNEL runs. Rates (…/s) are better higher; times better lower."
	for ((rep = 1; rep <= REPS_KERNEL; rep++)); do
		for cfg in bench_core bench_evbus bench_vfs; do
			out=$WORK/kernel.$cfg
			if [[ ! -x $BUILD/$cfg ]]; then
				((rep == 1)) && rec_na kernel "$cfg" "$cfg" "$(not_built $cfg)"
				continue
			fi
			case $cfg in
			bench_core) timed 300 "$out" env MN_BENCH_SECONDS="$CORE_SECONDS" "$BUILD/bench_core" ;;
			bench_evbus) timed 300 "$out" "$BUILD/bench_evbus" "$EVBUS_EVENTS" ;;
			bench_vfs)
				rm -rf "$BACK/vfs"
				mkdir -p "$BACK/vfs"
				timed 300 "$out" "$BUILD/bench_vfs" "$BACK/vfs" "$VFS_MIB" ;;
			esac
			rc=$?
			((rc == 0)) || { rec_na kernel "$cfg" "$cfg" "$(why "$out" $rc)"; continue; }
			if [[ $cfg == bench_vfs ]]; then
				_vfs_lines "$out" >"$out.lines"
				_kernel_lines "$cfg" "$out.lines"
				rm -rf "$BACK/vfs"
			else
				_kernel_lines "$cfg" "$out"
			fi
		done
		cfg="micronos shell benchmark"
		out=$WORK/kernel.shell
		if [[ $MN_UP != 1 ]]; then
			((rep == 1)) && rec_na kernel benchmark "$cfg" "no instance: $MN_UP_WHY"
		elif timed 60 "$out" "$BUILD/micronos" shell -n "$INSTANCE" -c "benchmark $SHELL_BENCH_MS"; then
			_shell_bench "$out" >"$out.lines"
			_kernel_lines "$cfg" "$out.lines"
		else
			rec_na kernel benchmark "$cfg" "$(why "$out" $?)"
		fi
	done
	_stream_rate
}
