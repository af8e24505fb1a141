#!/usr/bin/env bash
# bench_fs.sh - the FUSE mount beside bindfs, on the same data, in one run.
#
#   bench/bench_fs.sh [BUILD_DIR]        (root; bindfs installed)
#
# Serves a fresh MicronOS tree with BUILD_DIR/bench_fs and mounts bindfs
# over the same storage directory, then measures with dd and find:
#   - 4 KiB and 1 MiB reads of dev/zero (bindfs: a sparse file of zeros;
#     bindfs would hand a character device to the host kernel, not serve it)
#   - sequential write (conv=fdatasync) and read of a 256 MiB storage file
#   - find over 10,000 files, cold then warm
# and prints MB/s (or ms) for each and the ratio MicronOS / bindfs.  Each
# measurement runs once: the machine is shared; rerun for a second sample.
set -u
BUILD=${1:-$(dirname "$0")/../build}
[ "$(id -u)" -eq 0 ] || { echo "bench_fs.sh: needs root" >&2; exit 2; }
command -v bindfs >/dev/null || { echo "bench_fs.sh: needs bindfs" >&2; exit 2; }
[ -x "$BUILD/bench_fs" ] || { echo "bench_fs.sh: no $BUILD/bench_fs" >&2; exit 2; }

T=$(mktemp -d /tmp/mn-bench-fs.XXXXXX)
MN="$T/mn"
BF="$T/bind"
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID"
	mountpoint -q "$BF" && umount "$BF"
	rm -rf "$T"
}
trap cleanup EXIT

"$BUILD/bench_fs" "$MN" "$T/data" >"$T/out" 2>&1 &
PID=$!
for i in $(seq 100); do
	grep -q ready "$T/out" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$T/out" || { cat "$T/out"; exit 1; }
S="$T/data/storage"
mkdir -p "$S/var/bench" "$BF"
# 10,000 files made on the host, so neither mount has them cached.
for d in $(seq -w 0 99); do
	mkdir "$S/var/bench/d$d"
	(cd "$S/var/bench/d$d" && touch $(seq -f f%03g 0 99))
done
truncate -s 1G "$S/var/zeros"
bindfs "$S" "$BF"

mbps() {	# dd ARGS...: MB/s from dd's summary line
	dd "$@" 2>&1 | tail -1 | awk '{ printf "%.0f", $1 / $(NF-3) / 1e6 }'
}
ms() {	# CMD...: wall time in ms
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
row() {	# row NAME UNIT MICRONOS BINDFS [lower-is-better]
	awk -v n="$1" -v u="$2" -v a="$3" -v b="$4" -v low="${5:-}" 'BEGIN {
		r = low ? (a > 0 ? b / a : 0) : (b > 0 ? a / b : 0)
		printf "%-34s %10s %10s %8.2f\n", n " (" u ")", a, b, r }'
}

printf "%-34s %10s %10s %8s\n" "" MicronOS bindfs ratio
printf "%-34s %10s %10s %8s\n" "" "" "" "(>1 ok)"
row "find 10,000 files, cold" ms "$(ms find "$MN/var/bench")" \
	"$(ms find "$BF/var/bench")" low
row "find 10,000 files, warm" ms "$(ms find "$MN/var/bench")" \
	"$(ms find "$BF/var/bench")" low
row "dev/zero reads, bs=4K, 1 GiB" MB/s \
	"$(mbps if="$MN/dev/zero" of=/dev/null bs=4K count=262144)" \
	"$(mbps if="$BF/var/zeros" of=/dev/null bs=4K count=262144)"
row "dev/zero reads, bs=1M, 2 GiB" MB/s \
	"$(mbps if="$MN/dev/zero" of=/dev/null bs=1M count=2048)" \
	"$(mbps if="$BF/var/zeros" of=/dev/null bs=1M count=1024)"
row "storage write 256 MiB, bs=1M" MB/s \
	"$(mbps if=/dev/zero of="$MN/var/w1" bs=1M count=256 conv=fdatasync)" \
	"$(mbps if=/dev/zero of="$BF/var/w2" bs=1M count=256 conv=fdatasync)"
row "storage read 256 MiB, bs=1M" MB/s \
	"$(mbps if="$MN/var/w1" of=/dev/null bs=1M)" \
	"$(mbps if="$BF/var/w2" of=/dev/null bs=1M)"
row "storage read 256 MiB, bs=4K" MB/s \
	"$(mbps if="$MN/var/w1" of=/dev/null bs=4K)" \
	"$(mbps if="$BF/var/w2" of=/dev/null bs=4K)"
echo "(bindfs's dev/zero row reads a sparse file of zeros; the 1M row"
echo " reads 1 GiB there, 2 GiB from MicronOS's dev/zero)"
