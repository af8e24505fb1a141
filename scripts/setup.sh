# Sourced by scripts/run and scripts/test: installs what is missing and
# builds MicronOS into build/ (and, with MN_SETUP_ASAN=1, build-asan/).
# shellcheck shell=bash

MN_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# One package a line: helpers' merges stay simple.
MN_PACKAGES="
build-essential
clang
cmake
pkg-config
libfuse3-dev
fuse3
libcmocka-dev
libreadline-dev
iproute2
procps
psmisc
busybox-static
groff-base
man-db
python3
git
uidmap
libpython3.11-testsuite
"

mn_missing_packages() {
	local p missing=""
	for p in $MN_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing="$missing $p"
	done
	echo "$missing"
}

mn_install_deps() {
	local missing
	missing=$(mn_missing_packages)
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		# not root: say what root must install, once, and stop
		echo "MicronOS needs these packages:$missing" >&2
		echo "Install them with:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "==> installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || exit 1
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null || exit 1
}

# mn_build DIR [cmake options...]: warnings are errors in our own builds.
mn_build() {
	local dir=$1
	shift
	echo "==> building $dir"
	cmake -S "$MN_TOP" -B "$MN_TOP/$dir" -DMN_WERROR=ON "$@" >/dev/null ||
		exit 1
	cmake --build "$MN_TOP/$dir" -j "$(nproc)" -- --no-print-directory \
		>"$MN_TOP/$dir.log" 2>&1 || {
		tail -n 60 "$MN_TOP/$dir.log" >&2
		exit 1
	}
}
