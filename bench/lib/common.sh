# bench/lib/common.sh - helpers shared by the suites of bench/run.
#
# Every figure goes through rec_* into one tab-separated results file
# ($RES); bench/lib/report.py turns that file into RESULTS.md and the
# charts.  Record kinds (first field):
#   G group title baseline ref2 description   a benchmark (one table)
#   M group case unit better                  a case and how to read it
#   S group case config value                 one measured sample
#   C group case config command               the exact command line
#   N group case config reason                a row that could not be run
#   I key value                               machine and run facts
#   O group config...                         the order of the rows
# Nothing here invents a figure: a command that fails records an N row
# with the reason (its last line of stderr) instead of a sample.
# Sourced by bench/run; expects WORK, RES and LOG to be set.

# A field may not hold a tab or a newline: the file is line- and
# tab-separated.
_clean() {
	local s=${1//$'\t'/ }
	s=${s//$'\r'/ }
	printf '%s' "${s//$'\n'/ | }"
}

_rec() {
	local out="" f
	for f in "$@"; do
		out+="$(_clean "$f")"$'\t'
	done
	printf '%s\n' "${out%$'\t'}" >>"$RES"
}

rec_group() { _rec G "$@"; }	# group title baseline ref2 description
rec_case() { _rec M "$@"; }	# group case unit lower|higher
rec_sample() { _rec S "$@"; }	# group case config value
rec_cmd() { _rec C "$@"; }	# group case config command
rec_info() { _rec I "$@"; }	# key value
rec_order() { _rec O "$@"; }	# group config... (row order in tables)

# rec_na GROUP CASE CONFIG REASON: also logged, so the run shows it.
rec_na() {
	_rec N "$@"
	log "  not available: $1/$2 under $3: $4"
}

log() {
	printf '[%s] %s\n' "$(date +%T)" "$*" | tee -a "$LOG" >&2
}

# Quotes a command line the way a person would type it: plain words bare,
# anything else in single quotes.
quote_cmd() {
	local out="" a
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./=:,+@%^-]+$ ]]; then
			out+="$a "
		else
			out+="'${a//\'/\'\\\'\'}' "
		fi
	done
	printf '%s' "${out% }"
}

# now_us: microseconds of wall time, from bash's own clock (no fork).
now_us() {
	local t=$EPOCHREALTIME
	printf '%s' "${t/[.,]/}"
}

# timed LIMIT OUT CMD...: runs CMD with stdin from /dev/null, stdout to
# OUT and stderr to OUT.err, killed after LIMIT seconds.  Sets ELAPSED
# (seconds, a decimal string) and returns CMD's status.
timed() {
	local limit=$1 out=$2 t0 t1 rc
	shift 2
	t0=$(now_us)
	timeout -k 5 "$limit" "$@" </dev/null >"$out" 2>"$out.err"
	rc=$?
	t1=$(now_us)
	ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e6 }')
	return $rc
}

# why FILE RC: a one-line reason for a failed run, from its stderr.
why() {
	local err line
	err=$(grep -v '^[[:space:]]*$' "$1.err" 2>/dev/null | tail -n 1)
	line="exit status $2"
	[[ $2 == 124 || $2 == 137 ]] && line="timed out (status $2)"
	if [[ -n $err ]]; then
		printf '%s: %s' "$line" "${err:0:300}"
	else
		printf '%s' "$line"
	fi
}

# median of the numbers on stdin (for decisions the script itself makes).
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# is_mounted DIR: a mount point of its own right now.
is_mounted() {
	awk -v d="$1" '$2 == d { found = 1 } END { exit !found }' /proc/mounts
}

# rss_kib PID: resident set size of a process, in KiB.
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}
