#!/usr/bin/env bash
# bench_net.sh - TCP between two programs over loopback, natively and
# under micronos-run, in one run (issue 6).
#
#   bench/bench_net.sh [BUILD_DIR]        (root: the sandbox's uid map)
#
# Compiles netperf.c (cc -O2) and boots an instance of its own (runtime
# and data under a temporary directory, peer discovery on a port of its
# own), whose tree gets the binary in /tmp.  Then, REPS times, the native
# and the sandboxed row one after the other (so a burst of load hits
# both alike), each a server and a client as two processes - natively two
# host processes, sandboxed two micronos-run in the one instance:
#   - throughput: the client writes 128 KiB blocks for TPUT_MS ms, the
#     server reads them (MB/s from the server's first byte to EOF);
#   - connect+accept: LAT_COUNT connections one after the other (socket,
#     connect, the server's accept and one byte, close), median per
#     connection;
#   - one trapped call (getppid, continued by the supervisor): the bare
#     round trip every translated call pays on this machine - socket,
#     connect and accept are three of them per connection.
# Prints the medians over the repetitions, min..max, and the ratios to
# native against the aims (throughput >= 0.9x, connect+accept <= 3x).
# Environment: REPS (3), TPUT_MS (2000), LAT_COUNT (2000).
set -u
BUILD=${1:-$(dirname "$0")/../build}
SRC=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-3}
TPUT_MS=${TPUT_MS:-2000}
LAT_COUNT=${LAT_COUNT:-2000}
[ "$(id -u)" -eq 0 ] || { echo "bench_net.sh: needs root" >&2; exit 2; }
for b in micronos micronos-run; do
	[ -x "$BUILD/$b" ] || { echo "bench_net.sh: no $BUILD/$b" >&2; exit 2; }
done

T=$(mktemp -d /tmp/mn-bench-net.XXXXXX)
chmod 755 "$T"
export MICRONOS_RUNTIME_ROOT="$T/rt" MICRONOS_DATA_ROOT="$T/data"
N="benchnet$$"
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	timeout -s KILL 30 "$BUILD/micronos" down -n "$N" >/dev/null 2>&1
	[ -f "$T/rt/$N/pid" ] && kill -9 "$(cat "$T/rt/$N/pid")" 2>/dev/null
	grep -o " $T[^ ]*" /proc/self/mounts 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

cc -O2 -Wall -o "$T/netperf" "$SRC/netperf.c" ||
	{ echo "bench_net.sh: cannot build netperf.c" >&2; exit 1; }
mkdir -p "$T/data/$N"
# peers on a port of their own: the bench is nobody's peer
printf 'net.p2p.port = %d\n' $((40000 + $$ % 5000)) >"$T/data/$N/config"
timeout -s KILL 60 "$BUILD/micronos" up -n "$N" -d -q >/dev/null ||
	{ echo "bench_net.sh: micronos up failed" >&2; exit 1; }
cp "$T/netperf" "$T/rt/$N/mnt/tmp/netperf" ||
	{ echo "bench_net.sh: cannot copy into the tree" >&2; exit 1; }

NATIVE="$T/netperf"
INSIDE="/tmp/netperf"
RUN=(timeout -s KILL 120 "$BUILD/micronos-run" -n "$N")
# below the ephemeral range (32768..): no client's port can be in the way
PORT=$((20000 + ($$ % 600) * 20))

# pair MODE PORT ARG SANDBOXED: server and client; prints the result line
pair() {
	local mode=$1 port=$2 arg=$3 pre=() bin=$NATIVE out spid
	if [ "$4" = 1 ]; then
		pre=("${RUN[@]}")
		bin=$INSIDE
	fi
	out="$T/out.$mode.$port"
	"${pre[@]}" "$bin" "$mode-server" "$port" $([ "$mode" = lat ] &&
		echo "$arg") >"$out" 2>&1 &
	spid=$!
	PIDS="$PIDS $spid"
	"${pre[@]}" "$bin" "$mode-client" "$port" "$arg" >>"$out" 2>&1
	wait "$spid"
	grep -E "^$mode " "$out" || { cat "$out" >&2; echo "$mode failed"; }
}

: >"$T/samples"
for r in $(seq "$REPS"); do
	for s in 0 1; do
		port=$((PORT + r * 4 + s * 2))
		pair tput "$port" "$TPUT_MS" "$s" | awk -v s="$s" '
			/^tput [0-9]+ [1-9]/ {
				printf "tput %d %.1f\n", s, $2 / $3 * 1e3 }' \
			>>"$T/samples"
		pair lat $((port + 1)) "$LAT_COUNT" "$s" | awk -v s="$s" '
			/^lat [0-9]/ { printf "lat %d %.1f\n", s, $3 / 1e3 }' \
			>>"$T/samples"
	done
	"$NATIVE" trap 200000 |
		awk '/^trap/ { printf "trap 0 %.2f\n", $3 / 1e3 }' \
		>>"$T/samples"
	"${RUN[@]}" "$INSIDE" trap 20000 |
		awk '/^trap/ { printf "trap 1 %.2f\n", $3 / 1e3 }' \
		>>"$T/samples"
done

echo "MicronOS network benchmark: $(date -u +%Y-%m-%dT%H:%MZ)," \
	"$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$REPS runs (median, min..max)"
awk '
function med(k,   n, i, j, t, a) {
	n = cnt[k]
	for (i = 1; i <= n; i++) a[i] = v[k, i]
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	lo[k] = a[1]; hi[k] = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1 SUBSEP $2; v[k, ++cnt[k]] = $3 }
END {
	printf "%-34s %-22s %-22s %s\n", "", "native", "micronos-run", "ratio"
	row("tput", "TCP throughput, loopback", "MB/s", 1, ">= 0.9x native")
	row("lat", "connect+accept, per connection", "us", 0, "within 3x")
	row("trap", "one trapped call (getppid)", "us", 0, "")
}
function row(name, label, unit, higher, aim,   a, b, r, ok) {
	if (!cnt[name SUBSEP 0] || !cnt[name SUBSEP 1]) {
		printf "%-34s not measured\n", label
		return
	}
	a = med(name SUBSEP 0); b = med(name SUBSEP 1)
	r = b / a	# sandboxed / native, for both kinds of row
	printf "%-34s %-22s %-22s %.2fx", label,
		sprintf("%.1f %s (%.1f..%.1f)", a, unit, lo[name SUBSEP 0],
			hi[name SUBSEP 0]),
		sprintf("%.1f %s (%.1f..%.1f)", b, unit, lo[name SUBSEP 1],
			hi[name SUBSEP 1]), r
	if (aim != "") {
		ok = higher ? r >= 0.9 : r <= 3
		printf "  aim %s: %s", aim, ok ? "met" : "NOT met"
	}
	printf "\n"
}' "$T/samples"
