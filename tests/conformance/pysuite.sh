#!/bin/bash
# CPython's own test suites (Debian's libpython3.11-testsuite), natively
# and inside micronos-run through a running instance (as MicronOS root,
# natively as root, both in a scratch cwd on their /tmp), side by side.
# Not a ctest: a full run takes about half an hour.  Writes OUT (default
# tests/conformance/pysuite-results.txt): per suite the counts, then each
# test that passes natively and not inside, with both outcomes.
#
#   tests/conformance/pysuite.sh [-o OUT] [-b BUILD] [SUITE[:PATTERN]...]
#
# Needs root, /usr/bin/python3 3.11 and libpython3.11-testsuite.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build
OUT=$SRC/tests/conformance/pysuite-results.txt
while getopts o:b: o; do
	case $o in
	o) OUT=$OPTARG ;;
	b) BUILD=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
SUITES=${*:-test_tempfile test_os test_signal test_subprocess test_socket:!VSOCK \
test_select test_selectors test_fcntl test_pty test_epoll test_poll \
test_posix test_threading test_multiprocessing_forkserver:Manager}
PY=/usr/bin/python3
[ -d /usr/lib/python3.11/test ] && [ -f /usr/lib/python3.11/test/test_os.py ] ||
	{ echo "apt-get install libpython3.11-testsuite" >&2; exit 1; }
WORK=$(mktemp -d /tmp/mn-pysuite.XXXXXX)
chmod 755 "$WORK"
export MICRONOS_RUNTIME_ROOT=$WORK/rt MICRONOS_DATA_ROOT=$WORK/data
N=pys$$
trap '"$BUILD/micronos" down -n $N >/dev/null 2>&1; rm -rf "$WORK"' EXIT
timeout -s KILL 60 "$BUILD/micronos" up -n $N -d -q || exit 1
MNT=$MICRONOS_RUNTIME_ROOT/$N/mnt
cp "$SRC/tests/conformance/pysuite_run.py" "$MNT/tmp/"

{
	echo "# CPython 3.11 test suites: natively and inside micronos-run"
	echo "# $(date -u +%F) $(uname -r); $($PY --version); uptime: $(uptime)"
	echo "# suite  tests  pass-native  pass-inside  lost"
} >"$OUT.tmp"
lost_all=""
for s in $SUITES; do
	suite=${s%%:*}
	pat=${s#"$suite"}
	pat=${pat#:}
	mkdir -p "$WORK/n-$suite"
	(cd "$WORK/n-$suite" && TMPDIR=$WORK/n-$suite timeout -s KILL 1200 \
		$PY "$SRC/tests/conformance/pysuite_run.py" "$WORK/native-$suite" \
		"$suite" ${pat:+-k "$pat"} >"$WORK/native-$suite.log" 2>&1)
	timeout -s KILL 1200 "$BUILD/micronos-run" -n $N --root -C /tmp sh -c \
		"mkdir -p /tmp/i-$suite && cd /tmp/i-$suite && exec $PY \
		/tmp/pysuite_run.py /tmp/inside-$suite $suite ${pat:+-k '$pat'}" \
		>"$WORK/inside-$suite.log" 2>&1
	cp "$MNT/tmp/inside-$suite" "$WORK/inside-$suite" 2>/dev/null ||
		: >"$WORK/inside-$suite"
	touch "$WORK/native-$suite"
	total=$(wc -l <"$WORK/native-$suite")
	pn=$(grep -c ' pass$' "$WORK/native-$suite")
	pi=$(grep -c ' pass$' "$WORK/inside-$suite")
	lost=$(join <(grep ' pass$' "$WORK/native-$suite" | sort) \
		<(sort "$WORK/inside-$suite") -a1 | awk '$3 != "pass"' |
		awk '{print $1, "native=" $2, "inside=" ($3 ? $3 : "missing")}')
	printf '%s%s %d %d %d %d\n' "$suite" "${pat:+:$pat}" "$total" "$pn" \
		"$pi" "$(printf '%s' "$lost" | grep -c .)" >>"$OUT.tmp"
	[ -n "$lost" ] && lost_all="$lost_all$lost"$'\n'
	echo "$suite: $pn native, $pi inside" >&2
done
{
	echo "# passing natively, not inside:"
	printf '%s' "$lost_all"
} >>"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
