#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) into
# build-fuzz/ and runs each for a bounded time (MN_FUZZ_SECONDS, default
# 20) from its seed corpus in tests/fuzz/corpus/NAME; what the fuzzer
# learns goes to build-fuzz/corpus/NAME, never into the seeds.  A crash,
# a leak, a sanitizer report or a timeout fails the run and leaves its
# input as build-fuzz/crash-NAME-*.  Exits non-zero if any target failed.
# Usage: tests/fuzz/run.sh [NAME...]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${MN_FUZZ_BUILD:-$top/build-fuzz}
secs=${MN_FUZZ_SECONDS:-20}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ctl shell config sys path)
command -v clang >/dev/null || { echo "fuzz: clang is missing (scripts/setup.sh installs it)" >&2; exit 1; }
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "==> building the fuzz targets in $out"
cmake -S "$top" -B "$out" -DCMAKE_C_COMPILER=clang -DMN_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS="$flags" >/dev/null || exit 1
make -C "$out" -j2 --no-print-directory "${targets[@]/#/fuzz_}" >/dev/null || {
	make -C "$out" --no-print-directory "${targets[@]/#/fuzz_}" 2>&1 | tail -20; exit 1; }
status=0
for t in "${targets[@]}"; do
	mkdir -p "$out/corpus/$t"
	echo "==> fuzz_$t for ${secs}s"
	if (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "./fuzz_$t" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/crash-$t-" \
		"$out/corpus/$t" "$top/tests/fuzz/corpus/$t") >"$out/fuzz_$t.log" 2>&1; then
		grep -E "^stat::number_of_executed_units|^stat::new_units_added" \
			"$out/fuzz_$t.log" | sed "s/^/    /"
	else
		echo "FAIL: fuzz_$t (log: $out/fuzz_$t.log)" >&2
		grep -E "ERROR|SUMMARY|Test unit written" "$out/fuzz_$t.log" | head -5 >&2
		status=1
	fi
done
exit $status
