# bench/lib/memory.sh - the daemon's resident size: idle right after
# boot, with 1,000 sandboxed programs, with 1,000 more process records,
# and after 50,000 and 100,000 create/unlink cycles of a storage file (the
# two together show growth, if any).  It boots an instance of its own
# ($MEM_INSTANCE), so that its thousands of processes do not change what
# the other suites measure on the main one.  Sourced by bench/run.

_mib() {
	awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'
}

# _mem_shell OUT LINES-FILE: feeds the lines to the instance's shell.
_mem_shell() {
	timeout 600 "$BUILD/micronos" shell -n "$MEM_INSTANCE" <"$2" >"$1" 2>"$1.err"
}

# _mem_sample CASE: the daemon's RSS now, as a sample of CASE.
_mem_sample() {
	local kib
	kib=$(rss_kib "$MEM_PID")
	if [[ -z $kib ]]; then
		rec_na memory "$1" daemon "the daemon (pid $MEM_PID) is gone"
		return 1
	fi
	rec_sample memory "$1" daemon "$(_mib "$kib")"
	log "memory: $1: $(_mib "$kib") MiB"
}

# _mem_spawn: 1,000 real programs through the shell's spawn.
_mem_spawn() {
	local c="1,000 sandboxed programs" out=$WORK/mem.out rc n
	rec_cmd memory "$c" daemon "yes 'spawn /bin/sleep 300' | head -n 1000 | $MEM_SH"
	timed 30 "$out" "$BUILD/micronos" shell -n "$MEM_INSTANCE" -c 'spawn /bin/sleep 300'
	rc=$?
	if ((rc != 0)); then
		rec_na memory "$c" daemon "spawn: $(why "$out" $rc)"
		return
	fi
	yes 'spawn /bin/sleep 300' | head -n 999 >"$WORK/mem.spawn"
	_mem_shell "$out" "$WORK/mem.spawn"
	sleep 1
	if [[ -s $out.err ]]; then
		rec_na memory "$c" daemon "spawn failed: $(grep -v '^[[:space:]]*$' "$out.err" | tail -n 1)"
		return
	fi
	# The instance's own ps must show them, or the row would be a lie.
	n=$("$BUILD/micronos" shell -n "$MEM_INSTANCE" -c ps 2>/dev/null |
		grep -c 'sleep 300')
	if ((n < 1000)); then
		rec_na memory "$c" daemon "only $n of the 1,000 spawned programs are in the instance's ps"
		return
	fi
	_mem_sample "$c"
}

suite_memory() {
	local g=memory c out=$WORK/mem.out n half f
	local cases=("idle" "1,000 sandboxed programs" "1,000 process records"
		"after 50,000 create/unlink" "after 100,000 create/unlink")
	MEM_SH="$BUILD/micronos shell -n $MEM_INSTANCE"

	rec_group $g "Daemon memory" "" "" \
		"Resident set size (VmRSS) of a \`micronos up\` daemon booted for this suite alone, in MiB, one reading each, in this order: idle 1 s after boot; with 1,000 programs started by the shell's \`spawn\` (sleeping); after 1,000 more \`syscall invoke fork\` lines through its shell (process records without a host process); after 50,000 and after 100,000 create + unlink cycles of one storage file through the shell (the difference is the growth)."
	for c in "${cases[@]}"; do
		rec_case $g "$c" MiB lower
	done
	if ! instance_up "$MEM_INSTANCE" "$BACK/memdata" "$WORK/memmnt"; then
		for c in "${cases[@]}"; do
			rec_na $g "$c" daemon "no instance: $UP_WHY"
		done
		return
	fi
	MEM_PID=$UP_PID
	rec_cmd $g idle daemon "$(quote_cmd "$BUILD/micronos" up -n "$MEM_INSTANCE" --data "$BACK/memdata" --mount "$WORK/memmnt" -d -q); sleep 1; grep VmRSS /proc/PID/status"
	sleep 1
	_mem_sample idle || { instance_down "$MEM_INSTANCE"; return; }
	_mem_spawn

	c="1,000 process records"
	rec_cmd $g "$c" daemon "yes 'syscall invoke fork' | head -n 1000 | $MEM_SH"
	yes 'syscall invoke fork' | head -n 1000 >"$WORK/mem.fork"
	_mem_shell "$out" "$WORK/mem.fork"
	n=$(grep -c '^fork() = [0-9]' "$out")
	if ((n != 1000)); then
		rec_na $g "$c" daemon "only $n of 1000 forks succeeded: $(cat "$out" "$out.err" | grep -v '^fork() = [0-9]' | tail -n 1)"
	else
		_mem_sample "$c"
	fi

	half=$((CYCLES / 2))
	rec_cmd $g "after 50,000 create/unlink" daemon "printf 'create /home/bench-cycle x\\nrm /home/bench-cycle\\n' × 50,000 | $MEM_SH"
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
	instance_down "$MEM_INSTANCE"
}
