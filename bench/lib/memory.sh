# bench/lib/memory.sh - the daemon's resident size: idle right after
# boot, with 1,000 processes, and after 50,000 and 100,000 create/unlink
# cycles of a storage file (the two together show growth, if any).  Runs
# first, on the freshly booted bench instance.  Sourced by bench/run.

_mib() {
	awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'
}

# _mem_shell OUT LINES-FILE: feeds the lines to the instance's shell.
_mem_shell() {
	timeout 600 "$BUILD/micronos" shell -n "$INSTANCE" <"$2" >"$1" 2>"$1.err"
}

# _mem_sample CASE: the daemon's RSS now, as a sample of CASE.
_mem_sample() {
	local kib
	kib=$(rss_kib "$MN_PID")
	if [[ -z $kib ]]; then
		rec_na memory "$1" daemon "the daemon (pid $MN_PID) is gone"
		return 1
	fi
	rec_sample memory "$1" daemon "$(_mib "$kib")"
	log "memory: $1: $(_mib "$kib") MiB"
}

suite_memory() {
	local g=memory c out=$WORK/mem.out n half f rc
	local sh="$BUILD/micronos shell -n $INSTANCE"
	local cases=("idle" "1,000 processes" "1,000 sandboxed programs"
		"after 50,000 create/unlink" "after 100,000 create/unlink")

	rec_group $g "Daemon memory" "" "" \
		"Resident set size (VmRSS) of the \`micronos up\` daemon, in MiB, one reading each, in this order on one instance: idle 1 s after boot; after 1,000 \`syscall invoke fork\` lines through its shell (1,000 process records); with 1,000 sandboxed programs from \`spawn\`; after 50,000 and after 100,000 create + unlink cycles of one storage file through the shell (the difference is the growth)."
	for c in "${cases[@]}"; do
		rec_case $g "$c" MiB lower
	done
	if [[ $MN_UP != 1 ]]; then
		for c in "${cases[@]}"; do
			rec_na $g "$c" daemon "no instance: $MN_UP_WHY"
		done
		return
	fi
	rec_cmd $g idle daemon "$(quote_cmd "$BUILD/micronos" up -n "$INSTANCE" --data "$WORK/data" --mount "$MNT" -d -q); sleep 1; grep VmRSS /proc/PID/status"
	sleep 1
	_mem_sample idle || return

	rec_cmd $g "1,000 processes" daemon "yes 'syscall invoke fork' | head -n 1000 | $sh"
	yes 'syscall invoke fork' | head -n 1000 >"$WORK/mem.fork"
	_mem_shell "$out" "$WORK/mem.fork"
	n=$(grep -c '^fork() = [0-9]' "$out")
	if ((n != 1000)); then
		rec_na $g "1,000 processes" daemon "only $n of 1000 forks succeeded: $(grep -v '^fork() = [0-9]' "$out" "$out.err" | tail -n 1)"
	else
		_mem_sample "1,000 processes"
	fi

	# Real programs: the shell's spawn runs them in the sandbox.
	rec_cmd $g "1,000 sandboxed programs" daemon "$sh -c 'spawn /bin/sleep 120' (1,000 times)"
	timed 30 "$out" "$BUILD/micronos" shell -n "$INSTANCE" -c 'spawn /bin/sleep 120'
	rc=$?
	if ((rc != 0)); then
		rec_na $g "1,000 sandboxed programs" daemon "spawn: $(why "$out" $rc)"
	else
		yes 'spawn /bin/sleep 120' | head -n 999 >"$WORK/mem.spawn"
		_mem_shell "$out" "$WORK/mem.spawn"
		sleep 1
		_mem_sample "1,000 sandboxed programs"
	fi

	n=$CYCLES half=$((CYCLES / 2))
	rec_cmd $g "after 50,000 create/unlink" daemon "printf 'create /home/bench-cycle x\\nrm /home/bench-cycle\\n' × 50,000 | $sh"
	rec_cmd $g "after 100,000 create/unlink" daemon "the same 50,000 cycles again"
	awk -v n="$half" 'BEGIN { for (i = 0; i < n; i++)
		print "create /home/bench-cycle x\nrm /home/bench-cycle" }' >"$WORK/mem.cycle"
	for c in "after 50,000 create/unlink" "after 100,000 create/unlink"; do
		_mem_shell "$out" "$WORK/mem.cycle"
		if [[ -s $out || -s $out.err ]]; then
			f=$(cat "$out" "$out.err" | grep -v '^[[:space:]]*$' | tail -n 1)
			rec_na $g "$c" daemon "create/rm through the shell failed: ${f:0:200}"
			break
		fi
		_mem_sample "$c"
	done
}
