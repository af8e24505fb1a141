#!/usr/bin/env bash
# bench/fuse_requests.sh - FUSE requests per operation of the file system
# loops, and their time beside the same loop natively, in one run.
#
#   bench/fuse_requests.sh [-w] [-r REPS] [-n FILES] [BUILD_DIR]   (root)
#
# Boots a private instance (`micronos up --mount`, data and native
# directory on the same tmpfs, /dev/shm) and runs bench/fsbench.c loops on
# the mount and natively, repetitions interleaved so a burst of load from
# other users of the machine hits both rows alike:
#   reread   open + read to EOF + close of /proc/meminfo (native: Linux's)
#   create   FILES empty files in sqrt(FILES) directories (mkdirs included)
#   stat     stat of each, right after (entries the kernel has cached)
#   ls -lR   of that tree
#   unlink   of each (rmdirs included)
#   tmp      2,000 creations in /tmp inside micronos-run, beside the same
#            in a kernel tmpfs inside (/dev/shm)
#   write, read  256 MiB sequential (1 MiB blocks, fsync; the read in a
#            new open), also on bindfs over a host directory when bindfs
#            is installed (storage reads should be at least bindfs's)
# Around each loop it reads the daemon's request counters (`stats
# fuse.req` in its shell) and divides by the loop's operations: that is
# the "requests/op" column, split by FUSE operation in the last one.
# Prints a Markdown table: median, min … max, ratio of medians to native;
# -w also writes it into bench/RESULTS.md as the section "FUSE requests
# per operation" (replacing the one there; bench/run keeps it).
set -u
REPS=5 FILES=10000 WRITE=0
CMDLINE="bench/fuse_requests.sh $*"
while getopts wr:n: o; do
	case $o in
	w) WRITE=1 ;;
	r) REPS=$OPTARG ;;
	n) FILES=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "fuse_requests.sh: needs root" >&2; exit 2; }
for b in micronos micronos-run; do
	[ -x "$BUILD/$b" ] || { echo "fuse_requests.sh: no $BUILD/$b" >&2; exit 2; }
done

T=$(mktemp -d /tmp/mn-fuse-req.XXXXXX)
BACK=$(mktemp -d /dev/shm/mn-fuse-req.XXXXXX)
chmod 755 "$T"
NAME="fusereq$$"
MNT=$T/mnt
RUN=$T/run
FSB=$T/fsbench
up() {
	timeout 60 "$BUILD/micronos" up -n "$NAME" --data "$BACK/data" \
		--runtime "$RUN" --mount "$MNT" -d -q >"$T/up.out" 2>&1
}
down() {
	timeout 30 "$BUILD/micronos" down -n "$NAME" --runtime "$RUN" \
		>/dev/null 2>&1
}
cleanup() {
	mountpoint -q "$T/bind" 2>/dev/null && umount "$T/bind"
	down
	while mountpoint -q "$MNT" 2>/dev/null; do umount -l "$MNT" || break; done
	rm -rf "$T" "$BACK"
}
trap cleanup EXIT
cc -O2 -o "$FSB" "$SRC/bench/fsbench.c" || exit 1
up || { cat "$T/up.out" >&2; exit 1; }
for i in $(seq 100); do
	[ -e "$MNT/proc/meminfo" ] && break
	sleep 0.1
done
# The native tree as deep as the mount's (mount point, home/bench), so a
# path walk crosses as many names on both rows.
NATIVE=$BACK/host/home/bench
mkdir -p "$MNT/home/bench" "$NATIVE" "$BACK/bindsrc" "$T/bind"
BINDFS=
if command -v bindfs >/dev/null && bindfs "$BACK/bindsrc" "$T/bind"; then
	BINDFS=$T/bind
fi

# op count lines of every fuse.req.OP counter
snap() {
	timeout 20 "$BUILD/micronos" shell -n "$NAME" --runtime "$RUN" \
		-c "stats fuse.req" |
		awk '$1 ~ /^fuse\.req\.[a-z_]+$/ { sub("fuse.req.", "", $1); print $1, $3 }'
}
# reqdiff BEFORE AFTER N: "total op=x op=y" per operation
reqdiff() {
	awk -v n="$3" 'FNR == NR { b[$1] = $2; next }
		{ d = ($2 - b[$1]) / n; if (d > 0.004) { t += d; s = s sprintf(" %s %.2f", $1, d) } }
		END { printf "%.2f%s\n", t, s }' "$1" "$2"
}
# Records: case config value [requests]
rec() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$T/rows"; }
ns() { date +%s%N; }

# micronos LOOP-NAME N CMD...: time per op from fsbench's "X us/op", or
# wall time if it prints none; requests per op from the counters
run_mn() {
	local c=$1 n=$2 out t0 t1 v
	shift 2
	snap >"$T/a"
	t0=$(ns)
	out=$("$@" 2>&1) || { echo "failed: $* : $out" >&2; return 1; }
	t1=$(ns)
	snap >"$T/b"
	v=$(awk '/us\/op|MB\/s/ { print $2 }' <<<"$out")
	[ -n "$v" ] || v=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	# reread: the loop's own count of opens
	[ "$c" = reread ] && n=$(awk '{ print $4 }' <<<"$out")
	rec "$c" micronos "$v" "$(reqdiff "$T/a" "$T/b" "$n")"
}
run_native() {
	local c=$1 out t0 t1 v
	shift
	t0=$(ns)
	out=$("$@" 2>&1) || { echo "failed: $* : $out" >&2; return 1; }
	t1=$(ns)
	v=$(awk '/us\/op|MB\/s/ { print $2 }' <<<"$out")
	[ -n "$v" ] || v=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	rec "$c" "${CONF:-native}" "$v"
}

# No --bind under /tmp: its target would be made on a tmpfs over /tmp.
cp "$FSB" "$MNT/home/bench/fsbench"
INSIDE="$BUILD/micronos-run -n $NAME --runtime $RUN"
for r in $(seq "$REPS"); do
	run_native reread "$FSB" reread /proc/meminfo 0.3
	run_mn reread 1 "$FSB" reread "$MNT/proc/meminfo" 0.3
	mkdir -p "$NATIVE/meta" "$MNT/home/bench/meta"
	for ph in create stat; do
		run_native "$ph" "$FSB" meta "$NATIVE/meta" "$FILES" "$ph"
		run_mn "$ph" "$FILES" "$FSB" meta "$MNT/home/bench/meta" "$FILES" "$ph"
	done
	run_native "ls -lR" sh -c "ls -lR $NATIVE/meta >/dev/null"
	run_mn "ls -lR" "$FILES" sh -c "ls -lR $MNT/home/bench/meta >/dev/null"
	run_native unlink "$FSB" meta "$NATIVE/meta" "$FILES" unlink
	run_mn unlink "$FILES" "$FSB" meta "$MNT/home/bench/meta" "$FILES" unlink
	run_native "tmp create, inside" $INSIDE sh -c \
		"mkdir /dev/shm/tb && exec /home/bench/fsbench meta /dev/shm/tb 2000 create"
	run_mn "tmp create, inside" 2000 $INSIDE sh -c \
		"mkdir /tmp/tb && exec /home/bench/fsbench meta /tmp/tb 2000 create"
	$INSIDE sh -c 'rm -rf /tmp/tb /dev/shm/tb'
	for dir in "$NATIVE" ${BINDFS:+"$BINDFS"} "$MNT/home/bench"; do
		CONF=native
		[ "$dir" = "$BINDFS" ] && CONF=bindfs
		if [ "$dir" = "$MNT/home/bench" ]; then
			run_mn "write 256 MiB (MB/s)" 256 "$FSB" write "$dir/big" 256 1M
			run_mn "read 256 MiB (MB/s)" 256 "$FSB" read "$dir/big" 1M
		else
			CONF=$CONF run_native "write 256 MiB (MB/s)" "$FSB" write "$dir/big" 256 1M
			CONF=$CONF run_native "read 256 MiB (MB/s)" "$FSB" read "$dir/big" 1M
		fi
		rm -f "$dir/big"
	done
	unset CONF
done

# The table: per case and config, median and range; ratio of medians.
table() {
awk -F '\t' '
{ k = $1 SUBSEP $2; n[k]++; v[k, n[k]] = $3; q[k] = $4; cases[$1] = 1; conf[k] = $2 }
END {
	print "| case | config | median | min … max | runs | × native | requests/op | by operation (last run) |"
	print "|---|---|--:|--:|--:|--:|--:|---|"
	nc = split("reread;create;stat;ls -lR;unlink;tmp create, inside;write 256 MiB (MB/s);read 256 MiB (MB/s)", order, ";")
	for (i = 1; i <= nc; i++) {
		c = order[i]
		split("native bindfs micronos", cf, " ")
		for (j = 1; j <= 3; j++) {
			k = c SUBSEP cf[j]
			if (!(k in n)) continue
			delete a
			lo = hi = v[k, 1] + 0
			for (m = 1; m <= n[k]; m++) { a[m] = v[k, m] + 0; if (a[m] < lo) lo = a[m]; if (a[m] > hi) hi = a[m] }
			# insertion sort then median
			for (x = 2; x <= n[k]; x++) { y = a[x]; for (z = x - 1; z >= 1 && a[z] > y; z--) a[z + 1] = a[z]; a[z + 1] = y }
			md = n[k] % 2 ? a[(n[k] + 1) / 2] : (a[n[k] / 2] + a[n[k] / 2 + 1]) / 2
			M[k] = md
			ratio = "1.00×"
			# a cost: time / native time, or native rate / rate
			if (cf[j] != "native") ratio = ((c SUBSEP "native") in M && M[c SUBSEP "native"] > 0 && md > 0) ? sprintf("%.2f×", c ~ /MB\/s/ ? M[c SUBSEP "native"] / md : md / M[c SUBSEP "native"]) : "—"
			split(q[k], qq, " ")
			by = ""
			for (x = 2; x in qq; x += 2) by = by (by ? ", " : "") qq[x] " " qq[x + 1]
			printf "| %s | %s | %.4g | %.4g … %.4g | %d | %s | %s | %s |\n", c, cf[j], md, lo, hi, n[k], ratio, qq[1] == "" ? "" : qq[1], by
		}
	}
}' "$T/rows"
echo
echo "Units: us/op (fsbench) unless named, ls -lR in seconds; × native is the cost (time ratio, or native rate ÷ rate); requests/op of write and read are per MiB. $REPS runs, $FILES files; load $(cut -d' ' -f1-3 /proc/loadavg); $(git -C "$SRC" rev-parse --short HEAD)."
}

table | tee "$T/table.md"
((WRITE)) || exit 0
RESULTS=$SRC/bench/RESULTS.md
{
	echo "<!-- fuse_requests.sh begin -->"
	echo "## FUSE requests per operation"
	echo
	echo "Written by \`$CMDLINE\` on $(date -u '+%Y-%m-%d %H:%M UTC') (not by bench/run, which keeps this section): the file system loops of bench/fsbench.c on a private instance's mount and natively, on the same tmpfs, repetitions interleaved. requests/op is the daemon's own count of FUSE requests (\`stats fuse.req\`) over the loop divided by its operations; the last column splits it by FUSE operation. RELEASE and FORGET are sent by the kernel after close and unlink return: they cost the daemon, not the caller's wait."
	echo
	cat "$T/table.md"
	echo "<!-- fuse_requests.sh end -->"
} >"$T/section.md"
python3 - "$RESULTS" "$T/section.md" <<'PY'
import sys
path, sec = sys.argv[1], open(sys.argv[2]).read()
old = open(path).read() if __import__("os").path.exists(path) else ""
a, b = old.find("<!-- fuse_requests.sh begin -->"), old.find("<!-- fuse_requests.sh end -->")
if a >= 0 and b > a:
    new = old[:a] + sec.rstrip("\n") + old[b + len("<!-- fuse_requests.sh end -->"):]
else:
    new = old.rstrip("\n") + "\n\n" + sec
open(path, "w").write(new if new.endswith("\n") else new + "\n")
PY
echo "fuse_requests.sh: wrote the section into $RESULTS"
