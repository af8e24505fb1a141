# bench/lib/fs.sh - file systems: the MicronOS mount beside a host
# directory (native) and bindfs over a host directory, all driven by the
# same bench/fsbench.c; generated /proc files beside lxcfs.  Mounts made
# here are listed in FS_MOUNTS/FS_PIDS and undone by fs_cleanup, which
# bench/run also calls from its exit trap.  Sourced by bench/run.

FS_MOUNTS=()
FS_PIDS=()
FS_CONFIGS=(native bindfs micronos)
MNFS=micronos MNROOT=""

fs_cleanup() {
	local m p
	for p in "${FS_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	FS_PIDS=()
	for m in "${FS_MOUNTS[@]}"; do
		is_mounted "$m" || continue
		fusermount3 -u "$m" 2>/dev/null || umount "$m" 2>/dev/null ||
			umount -l "$m" 2>/dev/null
	done
	FS_MOUNTS=()
}

# _wait_mounted DIR: up to 10 s for a FUSE daemon to appear at DIR.
_wait_mounted() {
	local i
	for ((i = 0; i < 100; i++)); do
		is_mounted "$1" && return 0
		sleep 0.1
	done
	return 1
}

# fs_setup: FSDIR[config] is where each config's files go ("" when the
# config is not available; FSWHY[config] says why).
fs_setup() {
	declare -gA FSDIR=() FSWHY=() ZERO=()
	MNFS="" MNROOT=""
	mkdir -p "$BACK/host" "$BACK/bindsrc" "$WORK/fs/bindmnt"
	FSDIR[native]=$BACK/host
	ZERO[native]=/dev/zero
	if ! command -v bindfs >/dev/null; then
		FSWHY[bindfs]="bindfs is not installed"
	elif timeout 30 bindfs "$BACK/bindsrc" "$WORK/fs/bindmnt" \
		>"$WORK/bindfs.log" 2>&1 && _wait_mounted "$WORK/fs/bindmnt"; then
		FS_MOUNTS+=("$WORK/fs/bindmnt")
		FSDIR[bindfs]=$WORK/fs/bindmnt
		# bindfs has no dev/zero of its own: a sparse file stands in,
		# so the row shows bindfs's read path at the same block sizes.
		truncate -s 1G "$BACK/bindsrc/zero"
		ZERO[bindfs]=$WORK/fs/bindmnt/zero
	else
		FSWHY[bindfs]="bindfs $BACK/bindsrc $WORK/fs/bindmnt failed: $(tail -n 1 "$WORK/bindfs.log")"
	fi
	_fs_micronos
}

# _fs_micronos: the MicronOS tree through FUSE.  The instance's own mount
# (micronos up --mount) when it is attached; otherwise bench_fs, the same
# kernel, VFS and FUSE adapter mounted without the daemon, under its own
# name ("micronos (bench_fs)") so that no row pretends to be the other.
_fs_micronos() {
	local why m=$WORK/fsmnt i
	if [[ $MN_UP != 1 ]]; then
		why="no instance: $MN_UP_WHY"
	elif ! is_mounted "$MNT"; then
		why="\`micronos up --mount $MNT\` booted, but nothing is mounted at $MNT (the instance's FUSE mount is not attached yet)"
	else
		MNFS=micronos MNROOT=$MNT
	fi
	if [[ -z ${MNROOT:-} && -x $BUILD/bench_fs ]]; then
		mkdir -p "$m" "$BACK/fsdata"
		"$BUILD/bench_fs" "$m" "$BACK/fsdata" >"$WORK/bench_fs.out" \
			2>"$WORK/bench_fs.out.err" &
		FS_PIDS+=($!)
		FS_MOUNTS+=("$m")
		for ((i = 0; i < 100; i++)); do
			grep -q '^ready' "$WORK/bench_fs.out" && break
			kill -0 "${FS_PIDS[-1]}" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q '^ready' "$WORK/bench_fs.out" && is_mounted "$m"; then
			MNFS="micronos (bench_fs)" MNROOT=$m
			rec_info "MicronOS mount" "$(quote_cmd "$BUILD/bench_fs" "$m" "$BACK/fsdata"): kernel, VFS and FUSE adapter without the daemon, because $why"
		else
			why+="; bench_fs did not mount either: $(tail -n 1 "$WORK/bench_fs.out.err")"
		fi
	elif [[ -z ${MNROOT:-} ]]; then
		why+="; no bench_fs to fall back on: $(not_built bench_fs)"
	fi
	if [[ -z ${MNROOT:-} ]]; then
		MNFS=micronos
		FSWHY[micronos]=$why
	elif ! mkdir -p "$MNROOT/home/bench" 2>"$WORK/mnmkdir.err"; then
		FSWHY[$MNFS]="mkdir $MNROOT/home/bench: $(tail -n 1 "$WORK/mnmkdir.err")"
	else
		FSDIR[$MNFS]=$MNROOT/home/bench
		ZERO[$MNFS]=$MNROOT/dev/zero
	fi
	FS_CONFIGS=(native bindfs "$MNFS")
	if [[ $MNFS != micronos ]]; then
		FS_CONFIGS+=(micronos)
		FSWHY[micronos]=$why
	fi
}

# _fs_run GROUP CASE CONFIG FIELD CMD...: one sample from the NAME VALUE
# line that CMD prints (FIELD = NAME), or an N row.
_fs_run() {
	local g=$1 c=$2 cfg=$3 field=$4 out=$WORK/fs.out rc v
	shift 4
	timed 600 "$out" "$@"
	rc=$?
	v=$(awk -v f="$field" '$1 == f { print $2 }' "$out")
	if ((rc != 0)) || [[ -z $v ]]; then
		rec_na "$g" "$c" "$cfg" "$(why "$out" $rc)"
		return 1
	fi
	rec_sample "$g" "$c" "$cfg" "$v"
}

_fs_cases() {
	local g=fs
	rec_group $g "File systems" native "" \
		"The same program (bench/fsbench.c) on a host directory (native), on bindfs over a host directory, and on MicronOS storage through its FUSE mount; $REPS_FS runs. All three keep their data in $BACK_DESC, so the rows differ only by the file system layers. Throughput in MB/s (10^6 bytes/s; the cost ratio is native ÷ row), metadata in microseconds per file (10,000 empty files in 100 directories; create includes the mkdirs, unlink the rmdirs), and between stat and unlink, \`find\` and \`ls -lR\` of that tree in seconds. The write includes fsync; the read follows it in a new open. bindfs has no dev/zero: its rows read a 1 GiB sparse file through bindfs instead."
	rec_case $g "write 256 MiB" MB/s higher
	rec_case $g "read 256 MiB" MB/s higher
	rec_case $g "dev/zero 4 KiB reads" MB/s higher
	rec_case $g "dev/zero 1 MiB reads" MB/s higher
	rec_case $g "create" us/op lower
	rec_case $g "stat" us/op lower
	rec_case $g "unlink" us/op lower
	rec_case $g "find, 10,000 files" s lower
	rec_case $g "ls -lR, 10,000 files" s lower
	rec_case $g "ls -lR of the whole tree" s lower
}

# _fs_walk CONFIG DIR REP: find and ls -lR over the tree, timed.
_fs_walk() {
	local cfg=$1 d=$2 out=$WORK/fs.walk rc c cmd
	for c in find ls; do
		if [[ $c == find ]]; then
			cmd="find $d | wc -l"
			c="find, 10,000 files"
		else
			cmd="ls -lR $d >/dev/null"
			c="ls -lR, 10,000 files"
		fi
		(($3 == 1)) && rec_cmd fs "$c" "$cfg" "$(quote_cmd /bin/sh -c "$cmd")"
		timed 300 "$out" /bin/sh -c "$cmd"
		rc=$?
		if ((rc != 0)); then
			rec_na fs "$c" "$cfg" "$(why "$out" $rc)"
		elif [[ $c == find* && $(cat "$out") != 10101 ]]; then
			rec_na fs "$c" "$cfg" "find counted $(cat "$out") entries, not 10101"
		else
			rec_sample fs "$c" "$cfg" "$ELAPSED"
		fi
	done
}

_fs_one_rep() {
	local rep=$1 cfg d z fb=$WORK/bin/fsbench
	for cfg in "${FS_CONFIGS[@]}"; do
		d=${FSDIR[$cfg]:-}
		z=${ZERO[$cfg]:-}
		[[ -z $d ]] && continue
		if ((rep == 1)); then
			rec_cmd fs "write 256 MiB" "$cfg" "$(quote_cmd "$fb" write "$d/big" 256 1M)"
			rec_cmd fs "read 256 MiB" "$cfg" "$(quote_cmd "$fb" read "$d/big" 1M)"
			rec_cmd fs "dev/zero 4 KiB reads" "$cfg" "$(quote_cmd "$fb" read "$z" 4K "$FS_SECONDS")"
			rec_cmd fs "dev/zero 1 MiB reads" "$cfg" "$(quote_cmd "$fb" read "$z" 1M "$FS_SECONDS")"
		fi
		_fs_run fs "write 256 MiB" "$cfg" write "$fb" write "$d/big" 256 1M &&
			_fs_run fs "read 256 MiB" "$cfg" read "$fb" read "$d/big" 1M
		rm -f "$d/big"
		sync	# the next rows should not pay for this one's writeback
		_fs_run fs "dev/zero 4 KiB reads" "$cfg" read "$fb" read "$z" 4K "$FS_SECONDS"
		_fs_run fs "dev/zero 1 MiB reads" "$cfg" read "$fb" read "$z" 1M "$FS_SECONDS"
		_fs_meta "$cfg" "$d/meta" "$rep"
		sync
	done
}

# _fs_meta CONFIG DIR REP: create 10,000 files, stat them, walk the tree
# they make with find and ls -lR, unlink them.
_fs_meta() {
	local cfg=$1 d=$2 rep=$3 fb=$WORK/bin/fsbench p out=$WORK/fs.meta rc
	local v dead=""
	rm -rf "$d" 2>/dev/null
	mkdir -p "$d"
	for p in create stat walk unlink; do
		if [[ $p == walk ]]; then
			[[ -z $dead ]] && _fs_walk "$cfg" "$d" "$rep"
			continue
		fi
		((rep == 1)) && rec_cmd fs $p "$cfg" "$(quote_cmd "$fb" meta "$d" 10000 $p)"
		if [[ -n $dead ]]; then
			rec_na fs $p "$cfg" "$dead"
			continue
		fi
		timed 600 "$out" "$fb" meta "$d" 10000 $p
		rc=$?
		v=$(awk -v c=$p '$1 == c { print $2 }' "$out")
		if ((rc == 0)) && [[ -n $v ]]; then
			rec_sample fs $p "$cfg" "$v"
		else
			dead="$p failed: $(why "$out" $rc)"
			rec_na fs $p "$cfg" "$(why "$out" $rc)"
		fi
	done
	[[ -n $dead ]] && for p in "find, 10,000 files" "ls -lR, 10,000 files"; do
		rec_na fs "$p" "$cfg" "$dead"
	done
	rm -rf "$d" 2>/dev/null
}

# _proc_files: generated /proc files, natively, through lxcfs and through
# the MicronOS mount, read whole again and again.
_proc_files() {
	local g=procfs rep cfg f dir lx=$WORK/lxcfs
	local -A pdir=([native]=/proc)
	rec_group $g "Generated /proc files" native "" \
		"Microseconds per open + read of the whole file + close, repeated for $FS_SECONDS s ($REPS_FS runs): Linux's own /proc, lxcfs's FUSE /proc, and MicronOS's proc through its mount."
	rec_case $g meminfo us/op lower
	rec_case $g uptime us/op lower
	rec_order $g native lxcfs "$MNFS" micronos
	mkdir -p "$lx"
	if ! command -v lxcfs >/dev/null; then
		rec_na $g meminfo lxcfs "lxcfs is not installed"
		rec_na $g uptime lxcfs "lxcfs is not installed"
	else
		lxcfs -p "$WORK/lxcfs.pid" "$lx" >"$WORK/lxcfs.log" 2>&1 &
		FS_PIDS+=($!)
		FS_MOUNTS+=("$lx")
		if _wait_mounted "$lx"; then
			pdir[lxcfs]=$lx/proc
		else
			rec_na $g meminfo lxcfs "lxcfs did not mount: $(tail -n 1 "$WORK/lxcfs.log")"
			rec_na $g uptime lxcfs "lxcfs did not mount: $(tail -n 1 "$WORK/lxcfs.log")"
		fi
	fi
	if [[ -n ${FSDIR[$MNFS]:-} ]]; then
		pdir[$MNFS]=$MNROOT/proc
	else
		rec_na $g meminfo "$MNFS" "${FSWHY[$MNFS]}"
		rec_na $g uptime "$MNFS" "${FSWHY[$MNFS]}"
	fi
	if [[ $MNFS != micronos ]]; then
		rec_na $g meminfo micronos "${FSWHY[micronos]}"
		rec_na $g uptime micronos "${FSWHY[micronos]}"
	fi
	for ((rep = 1; rep <= REPS_FS; rep++)); do
		for cfg in native lxcfs "$MNFS"; do
			dir=${pdir[$cfg]:-}
			[[ -z $dir ]] && continue
			for f in meminfo uptime; do
				((rep == 1)) && rec_cmd $g $f "$cfg" \
					"$(quote_cmd "$WORK/bin/fsbench" reread "$dir/$f" "$FS_SECONDS")"
				_fs_run $g $f "$cfg" reread "$WORK/bin/fsbench" \
					reread "$dir/$f" "$FS_SECONDS" || pdir[$cfg]=""
			done
		done
	done
}

suite_fs() {
	local rep cfg c out=$WORK/fs.lsr rc
	log "file systems: $REPS_FS runs"
	fs_setup
	_fs_cases
	rec_order fs native bindfs "$MNFS" micronos
	for cfg in "${FS_CONFIGS[@]}"; do
		[[ -n ${FSDIR[$cfg]:-} ]] && continue
		for c in "write 256 MiB" "read 256 MiB" "dev/zero 4 KiB reads" \
			"dev/zero 1 MiB reads" create stat unlink \
			"find, 10,000 files" "ls -lR, 10,000 files"; do
			rec_na fs "$c" "$cfg" "${FSWHY[$cfg]}"
		done
	done
	for ((rep = 1; rep <= REPS_FS; rep++)); do
		_fs_one_rep "$rep"
		log "file systems: run $rep/$REPS_FS done"
	done
	# The whole MicronOS tree has no peer: its time is shown alone.
	c="ls -lR of the whole tree"
	if [[ -n ${FSDIR[$MNFS]:-} ]]; then
		rec_cmd fs "$c" "$MNFS" "$(quote_cmd ls -lR "$MNROOT")"
		for ((rep = 1; rep <= REPS_FS; rep++)); do
			timed 300 "$out" ls -lR "$MNROOT"
			rc=$?
			# ls exits 1 for entries it listed but could not stat
			# and still walks the rest: the time stands, with the
			# complaint beside it.  Anything worse loses the row.
			if ((rc == 1)) && [[ -s $out ]] &&
				! grep -qv '^ls: cannot \(access\|read symbolic link\)' "$out.err"; then
				rec_na fs "$c" "$MNFS" "ls -lR walked the tree but exited 1: $(grep -c . "$out.err") entries it listed could not be read, e.g. $(head -n 1 "$out.err")"
			elif ((rc != 0)); then
				rec_na fs "$c" "$MNFS" "$(why "$out" $rc)"
				break
			fi
			rec_sample fs "$c" "$MNFS" "$ELAPSED"
		done
	else
		rec_na fs "$c" "$MNFS" "${FSWHY[$MNFS]}"
	fi
	[[ $MNFS != micronos ]] && rec_na fs "$c" micronos "${FSWHY[micronos]}"
	_proc_files
	fs_cleanup
}
