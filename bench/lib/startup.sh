# bench/lib/startup.sh - how long `SANDBOX /bin/true` takes from exec to
# exit, with hyperfine (a loop of our own when it is missing).  Also
# micronos-run against the running instance: that row is only measured
# when micronos-run really uses the instance, which the instance's own
# ProcessCreated count tells.  Sourced by bench/run.

# _created: the running instance's ProcessCreated count.
_created() {
	"$BUILD/micronos" shell -n "$INSTANCE" -c 'events stats' 2>/dev/null |
		awk '$1 == "ProcessCreated" { print $3 }'
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
	local cfgs=() cmds=() json=$WORK/startup.json
	while [[ $1 != -- ]]; do cfgs+=("$1"); shift; done
	shift
	cmds=("$@")
	if ! timeout 900 hyperfine -N --style basic --warmup "$STARTUP_WARMUP" \
		--runs "$STARTUP_RUNS" --export-json "$json" "${cmds[@]}" \
		>"$WORK/startup.out" 2>"$WORK/startup.out.err"; then
		local i
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
	local sb cfgs=() cmds=() before after out=$WORK/startup.inst rc
	local inst="micronos-run, instance up"

	log "startup: $STARTUP_RUNS runs each"
	rec_group startup "Startup" native "" \
		"Milliseconds from exec of the command to its exit for \`PROGRAM /bin/true\`, $STARTUP_RUNS runs after $STARTUP_WARMUP warm-up runs (hyperfine -N when installed). micronos-run without a running instance boots a throwaway kernel and sandbox world for the one program; with the instance up it should only ask the daemon."
	rec_case startup true ms lower
	rec_order startup native bwrap micronos-run "$inst" proot runsc strace
	for sb in "${SANDBOXES[@]}"; do
		sb_prefix "$sb"
		rec_cmd startup true "$sb" "$(quote_cmd "${PREFIX[@]}" /bin/true)"
		if [[ -n ${UNAVAIL[$sb]:-} ]]; then
			rec_na startup true "$sb" "${UNAVAIL[$sb]}"
			continue
		fi
		cfgs+=("$sb")
		cmds+=("$(quote_cmd "${PREFIX[@]}" /bin/true)")
	done
	if [[ $MN_UP != 1 ]]; then
		rec_na startup true "$inst" "no instance: $MN_UP_WHY"
	elif [[ -n ${UNAVAIL[micronos-run]:-} ]]; then
		rec_na startup true "$inst" "${UNAVAIL[micronos-run]}"
	else
		# micronos-run -n NAME is what the other rows use too; the
		# instance's process count tells whether it went to NAME.
		rec_cmd startup true "$inst" \
			"$(quote_cmd "$BUILD/micronos-run" -n "$INSTANCE" /bin/true)"
		before=$(_created)
		timed 60 "$out" "$BUILD/micronos-run" -n "$INSTANCE" /bin/true
		rc=$?
		after=$(_created)
		if ((rc != 0)); then
			rec_na startup true "$inst" "$(why "$out" $rc)"
		elif [[ -z $before || $before == "$after" ]]; then
			rec_na startup true "$inst" "micronos-run -n $INSTANCE booted a throwaway instance of its own: the running instance counted no new process (ProcessCreated stayed at ${before:-?})"
		else
			cfgs+=("$inst")
			cmds+=("$(quote_cmd "$BUILD/micronos-run" -n "$INSTANCE" /bin/true)")
		fi
	fi
	if command -v hyperfine >/dev/null; then
		_startup_hyperfine "${cfgs[@]}" -- "${cmds[@]}"
	else
		local i
		rec_info "startup timer" "hyperfine missing: bash loop"
		for i in "${!cfgs[@]}"; do
			read -ra PREFIX <<<"${cmds[$i]}"
			_startup_loop "${cfgs[$i]}" "${PREFIX[@]}"
		done
	fi
}
