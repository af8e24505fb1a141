# bench/lib/startup.sh - how long `SANDBOX /bin/true` takes from exec to
# exit, with hyperfine (a loop of our own when it is missing).  micronos-run
# has two rows: with the main instance up (what the other suites use) and
# with no instance of that name, when it boots a throwaway one.  Sourced
# by bench/run.

# _created: the running instance's ProcessCreated count.
_created() {
	"$BUILD/micronos" shell -n "$INSTANCE" -c 'events stats' 2>/dev/null |
		awk '$1 == "ProcessCreated" { print $3 }'
}

# mnrun_probe: does micronos-run -n $INSTANCE go to the running instance?
# The instance's own ProcessCreated count tells.  Sets MNRUN_ATTACHED and
# MNRUN_WHY, and records the answer for RESULTS.md.
mnrun_probe() {
	local before after out=$WORK/mnrun.probe rc
	MNRUN_ATTACHED=0 MNRUN_WHY=""
	if [[ $MN_UP != 1 ]]; then
		MNRUN_WHY="no instance: $MN_UP_WHY"
	elif [[ -n ${UNAVAIL[micronos-run]:-} ]]; then
		MNRUN_WHY=${UNAVAIL[micronos-run]}
	else
		before=$(_created)
		timed 60 "$out" "$BUILD/micronos-run" -n "$INSTANCE" /bin/true
		rc=$?
		after=$(_created)
		if ((rc != 0)); then
			MNRUN_WHY="micronos-run -n $INSTANCE /bin/true with the instance up: $(why "$out" $rc)"
		elif [[ -z $before || $before == "$after" ]]; then
			MNRUN_WHY="micronos-run -n $INSTANCE booted a throwaway instance of its own: the running instance counted no new process (ProcessCreated stayed at ${before:-?})"
		else
			MNRUN_ATTACHED=1
		fi
	fi
	if ((MNRUN_ATTACHED)); then
		rec_info "micronos-run" "runs its programs in the running instance $INSTANCE (checked by its ProcessCreated count)"
	else
		rec_info "micronos-run" "booted a throwaway instance for each program: $MNRUN_WHY"
	fi
	log "micronos-run: $( ((MNRUN_ATTACHED)) && echo "attached to $INSTANCE" || echo "throwaway: $MNRUN_WHY")"
}

# _startup_loop CONFIG CMD...: the fallback timer, one sample a run.
_startup_loop() {
	local cfg=$1 i out=$WORK/startup.loop rc
	shift
	for ((i = 0; i < STARTUP_RUNS; i++)); do
		timed 120 "$out" "$@"
		rc=$?
		if ((rc != 0)); then
			rec_na startup true "$cfg" "$(why "$out" $rc)"
			return
		fi
		rec_sample startup true "$cfg" \
			"$(awk -v s="$ELAPSED" 'BEGIN { print s * 1000 }')"
	done
}

# _startup_hyperfine CONFIGS... -- CMDS...: one hyperfine run for all.
_startup_hyperfine() {
	local cfgs=() cmds=() json=$WORK/startup.json i
	while [[ $1 != -- ]]; do cfgs+=("$1"); shift; done
	shift
	cmds=("$@")
	if ! timeout 900 hyperfine -N --style basic --warmup "$STARTUP_WARMUP" \
		--runs "$STARTUP_RUNS" --export-json "$json" "${cmds[@]}" \
		>"$WORK/startup.out" 2>"$WORK/startup.out.err"; then
		for i in "${!cfgs[@]}"; do
			rec_na startup true "${cfgs[$i]}" \
				"hyperfine failed: $(tail -n 1 "$WORK/startup.out.err")"
		done
		return
	fi
	/usr/bin/python3 - "$json" "${cfgs[@]}" >>"$RES" <<-'EOF'
	import json, sys
	data = json.load(open(sys.argv[1]))
	for cfg, r in zip(sys.argv[2:], data["results"]):
	    for t in r["times"]:
	        print("S\tstartup\ttrue\t%s\t%.6f" % (cfg, t * 1000))
	EOF
}

suite_startup() {
	local sb cfgs=() cmds=() cmd i
	local up="micronos-run, instance up" tw="micronos-run, throwaway"

	log "startup: $STARTUP_RUNS runs each"
	rec_group startup "Startup" native "" \
		"Milliseconds from exec of the command to its exit for \`PROGRAM /bin/true\`, $STARTUP_RUNS runs after $STARTUP_WARMUP warm-up runs (hyperfine -N when installed). micronos-run has two rows: with the instance it names running (it should only ask the daemon), and with --throwaway, so that it boots a throwaway kernel and sandbox world for the one program (naming an instance that does not run is refused since issue 11)."
	rec_case startup true ms lower
	rec_order startup native bwrap "$up" "$tw" proot runsc strace
	for sb in "${SANDBOXES[@]}"; do
		[[ $sb == micronos-run ]] && continue
		sb_prefix "$sb"
		cmd=$(quote_cmd "${PREFIX[@]}" /bin/true)
		rec_cmd startup true "$sb" "$cmd"
		if [[ -n ${UNAVAIL[$sb]:-} ]]; then
			rec_na startup true "$sb" "${UNAVAIL[$sb]}"
			continue
		fi
		cfgs+=("$sb")
		cmds+=("$cmd")
	done
	cmd=$(quote_cmd "$BUILD/micronos-run" -n "$INSTANCE" /bin/true)
	rec_cmd startup true "$up" "$cmd"
	if ((MNRUN_ATTACHED)); then
		cfgs+=("$up")
		cmds+=("$cmd")
	else
		rec_na startup true "$up" "$MNRUN_WHY"
	fi
	cmd=$(quote_cmd "$BUILD/micronos-run" --throwaway -n "$INSTANCE-none" /bin/true)
	rec_cmd startup true "$tw" "$cmd"
	if [[ -n ${UNAVAIL[micronos-run]:-} ]]; then
		rec_na startup true "$tw" "${UNAVAIL[micronos-run]}"
	else
		cfgs+=("$tw")
		cmds+=("$cmd")
	fi
	if command -v hyperfine >/dev/null; then
		_startup_hyperfine "${cfgs[@]}" -- "${cmds[@]}"
	else
		rec_info "startup timer" "hyperfine missing: bash loop"
		for i in "${!cfgs[@]}"; do
			read -ra PREFIX <<<"${cmds[$i]}"
			_startup_loop "${cfgs[$i]}" "${PREFIX[@]}"
		done
	fi
}
