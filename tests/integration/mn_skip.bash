# shellcheck shell=bash
# mn_skip.bash - skipping honestly in the integration scripts (sourced; not
# a test: CMake registers only *.sh, and no *_lib.sh).  The scripts' twin of
# tests/mn_skip.h.
#
# A script that cannot run here at all calls mn_skip_all REASON: outside CI
# it exits 77, which CMake's SKIP_RETURN_CODE makes ctest report as
# skipped (never as passed); under CI (CI set), which runs as root on a
# machine that has everything, a skip means something broke and it fails.
# A script that skipped some of its checks ends with mn_skip_status: 77 if
# any was skipped and none failed.

MN_SKIPPED=0

mn_skip_all() {
	echo "1..0 # SKIP $1"
	if [ -n "${CI:-}" ]; then
		echo "# CI allows no skip: this is a failure" >&2
		exit 1
	fi
	exit 77
}

# mn_skip_status FAILED: the script's exit status after its checks.
mn_skip_status() {
	[ "$1" -gt 0 ] && return 1
	[ "$MN_SKIPPED" -gt 0 ] && return 77
	return 0
}
