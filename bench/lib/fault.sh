# bench/lib/fault.sh - what fault rules cost the calls they do not fault:
# the same workloads on the running instance with no rules, with rules
# that name other calls and paths (an open and a connect rule), and with a
# write rule on another path (which turns storage splicing off, so that
# writes can be faulted).  The aim: no rules, or rules elsewhere, leave
# every row where it was.  Sourced by bench/run.

_fault_rules() {
	case $1 in
	"no rules") ;;
	"rules elsewhere")
		echo 'open path=/nowhere/* errno=ENOSPC' >"$MNT/sys/fault/rules"
		echo 'connect errno=ECONNREFUSED pid=99999' >"$MNT/sys/fault/rules"
		;;
	"a write rule elsewhere")
		echo 'write path=/nowhere/* errno=EIO' >"$MNT/sys/fault/rules"
		;;
	esac
}

# _fault_case CONFIG CASE UNIT CMD...: one sample of CMD's "VALUE" (its
# last line's first word), or the whole command's seconds when UNIT is s.
_fault_case() {
	local cfg=$1 case=$2 unit=$3 out=$WORK/fault.out rc v
	shift 3
	[[ -z ${FSEEN["$case/$cfg"]:-} ]] && rec_cmd fault "$case" "$cfg" "$(quote_cmd "$@")"
	FSEEN["$case/$cfg"]=1
	timed 600 "$out" "$@"
	rc=$?
	if ((rc != 0)); then
		rec_na fault "$case" "$cfg" "$(why "$out" $rc)"
		return
	fi
	if [[ $unit == s ]]; then
		v=$ELAPSED
	else
		v=$(tail -n 1 "$out" | awk '{ print (NF > 1 ? $2 : $1) }')
	fi
	rec_sample fault "$case" "$cfg" "$v"
}

suite_fault() {
	local cfg rep d=$MNT/home/user/faultbench fb=$WORK/bin/fsbench
	local -a configs=("no rules" "rules elsewhere" "a write rule elsewhere")
	local -A FSEEN=()
	local py='import socket, time
n = 20000
t = time.perf_counter()
for i in range(n):
    socket.socket().close()
print("%.3f" % ((time.perf_counter() - t) / n * 1e6))'

	rec_group fault "Fault injection: the cost of rules" "no rules" "" \
		"The same workloads on the running instance with no fault rules, with an open rule and a connect rule that match none of these calls, and with a write rule on another path (a read or write rule turns off storage splicing so that data can be faulted). Metadata in microseconds per file (2,000 empty files, fsbench meta), storage read in MB/s (64 MiB, fsbench), socket()+close() in microseconds per pair inside micronos-run (trapped calls; the rules are consulted before each), real work in seconds. $REPS_FS runs each."
	rec_order fault "${configs[@]}"
	rec_case fault "create, 2,000 files" us/op lower
	rec_case fault "storage read 64 MiB" MB/s higher
	rec_case fault "socket()+close()" us lower
	rec_case fault "tar of /usr/include" s lower
	if [[ $MN_UP != 1 ]] || ! is_mounted "$MNT"; then
		for cfg in "${configs[@]}"; do
			rec_na fault "create, 2,000 files" "$cfg" "no instance: ${MN_UP_WHY:-no mount}"
		done
		return
	fi
	for rep in $(seq "$REPS_FS"); do
		for cfg in "${configs[@]}"; do
			echo clear >"$MNT/sys/fault/rules"
			_fault_rules "$cfg"
			rm -rf "$d"
			mkdir -p "$d"
			_fault_case "$cfg" "create, 2,000 files" us/op "$fb" meta "$d" 2000 create
			rm -rf "$d"
			mkdir -p "$d"
			"$fb" write "$d/big" 64 1048576 >/dev/null 2>&1
			_fault_case "$cfg" "storage read 64 MiB" MB/s "$fb" read "$d/big" 1048576
			rm -rf "$d"
			if ((MNRUN_ATTACHED)); then
				_fault_case "$cfg" "socket()+close()" us \
					"$BUILD/micronos-run" -n "$INSTANCE" /usr/bin/python3 -c "$py"
				_fault_case "$cfg" "tar of /usr/include" s \
					"$BUILD/micronos-run" -n "$INSTANCE" /bin/sh -c 'tar cf - /usr/include 2>/dev/null | wc -c'
			else
				rec_na fault "socket()+close()" "$cfg" "$MNRUN_WHY"
			fi
		done
	done
	echo clear >"$MNT/sys/fault/rules"
	log "fault: $REPS_FS runs of ${#configs[@]} rule sets"
}
