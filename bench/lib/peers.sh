# bench/lib/peers.sh - the programs MicronOS is measured against: install
# them from Debian when missing, describe each sandbox as a command prefix,
# and probe that each one really runs a program here.
#
# A sandbox is a name in SANDBOXES plus a bash array SB_<name> holding the
# prefix that runs "PREFIX PROGRAM ARGS" inside it.  A probe that fails
# leaves the reason in UNAVAIL[<name>]; the suites record that reason in
# place of figures.  Sourced by bench/run.

# program:Debian package.  hyperfine is optional (startup falls back to a
# loop of its own); gnuplot and fio are not used: the charts come from
# bench/svg.py and the storage figures from bench/fsbench.c.
PEER_PACKAGES=(bwrap:bubblewrap proot:proot runsc:runsc strace:strace
	bindfs:bindfs lxcfs:lxcfs hyperfine:hyperfine)
BUILD_PACKAGES=(cc:gcc make:make cmake:cmake pkg-config:pkg-config
	/usr/bin/python3:python3 fusermount3:fuse3 timeout:coreutils)

# ensure_packages: apt-get installs what is missing when we are root;
# otherwise prints the command and goes on without those peers.
ensure_packages() {
	local want=() p prog pkg
	for p in "${BUILD_PACKAGES[@]}" "${PEER_PACKAGES[@]}"; do
		prog=${p%%:*} pkg=${p#*:}
		command -v "$prog" >/dev/null 2>&1 || want+=("$pkg")
	done
	((${#want[@]})) || return 0
	if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
		log "missing: ${want[*]}; install them with:"
		log "  sudo apt-get install -y ${want[*]}"
		return 0
	fi
	log "installing from Debian: ${want[*]}"
	if ! DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y \
		-q --no-install-recommends "${want[@]}" >>"$LOG" 2>&1; then
		timeout 300 apt-get update -q >>"$LOG" 2>&1
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y \
			-q --no-install-recommends "${want[@]}" >>"$LOG" 2>&1 ||
			log "apt-get install failed (see $LOG); going on without"
	fi
}

# define_sandboxes: the prefixes.  Every sandbox gets $WORK read-write
# (the build project and the helper programs live there) and no network,
# so that they are compared doing the same thing.
define_sandboxes() {
	SANDBOXES=(native bwrap micronos-run proot runsc strace)
	SB_native=()
	SB_bwrap=(bwrap --die-with-parent --unshare-all --ro-bind / /
		--dev /dev --proc /proc --tmpfs /tmp --bind "$WORK" "$WORK")
	SB_micronos_run=("$BUILD/micronos-run" -n "$INSTANCE"
		--bind "$WORK")
	SB_proot=(proot)
	SB_runsc=(runsc --network=none --platform=ptrace "do")
	SB_strace=(strace -f -o /dev/null)
	declare -gA UNAVAIL=()
}

# sb_prefix NAME: copies the prefix of sandbox NAME into the array PREFIX.
sb_prefix() {
	local -n src="SB_${1//-/_}"
	PREFIX=("${src[@]}")
}

# probe_sandboxes: each sandbox must run /bin/true and exit 0.
probe_sandboxes() {
	local sb out=$WORK/probe rc
	for sb in "${SANDBOXES[@]}"; do
		[[ $sb == native ]] && continue
		sb_prefix "$sb"
		if ! command -v "${PREFIX[0]}" >/dev/null 2>&1; then
			UNAVAIL[$sb]="${PREFIX[0]} is not installed"
			[[ $sb == micronos-run ]] &&
				UNAVAIL[$sb]=$(not_built micronos-run)
		elif [[ $sb == runsc && $(id -u) != 0 ]]; then
			UNAVAIL[$sb]="runsc do needs root here (run bench/run as root)"
		else
			timed 120 "$out" "${PREFIX[@]}" /bin/true
			rc=$?
			((rc == 0)) || UNAVAIL[$sb]="$(quote_cmd "${PREFIX[@]}" /bin/true) failed: $(why "$out" $rc)"
		fi
		if [[ -n ${UNAVAIL[$sb]:-} ]]; then
			log "sandbox $sb: not available: ${UNAVAIL[$sb]}"
		else
			log "sandbox $sb: ok"
		fi
	done
}

# peer_versions: what exactly was measured, for RESULTS.md.
peer_versions() {
	local v
	v=$(bwrap --version 2>/dev/null) && rec_info "bubblewrap" "$v"
	v=$(dpkg-query -W -f '${Version}' proot 2>/dev/null) &&
		rec_info "proot" "$v (Debian package)"
	v=$(runsc --version 2>/dev/null | head -n 1) && rec_info "runsc" "$v"
	v=$(strace -V 2>/dev/null | head -n 1) && rec_info "strace" "$v"
	v=$(bindfs --version 2>/dev/null | head -n 1) && rec_info "bindfs" "$v"
	v=$(dpkg-query -W -f '${Version}' lxcfs 2>/dev/null) &&
		rec_info "lxcfs" "$v (Debian package)"
	v=$(hyperfine --version 2>/dev/null) && rec_info "hyperfine" "$v"
	v=$(cc --version 2>/dev/null | head -n 1) && rec_info "cc" "$v"
	return 0
}
