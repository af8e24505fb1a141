# bench/lib/work.sh - real work, natively and under each sandbox: the
# whole command is timed from outside (sandbox start-up included), and its
# output must match the native run's, or the row is refused rather than
# timed.  Sourced by bench/run.

# name|shell command.  /usr/bin/python3, not the PATH's python3: that may
# be a shim in a home directory that no sandbox sees.
_work_list() {
	WORKLOADS=(
		"tar|tar cf - /usr/include 2>/dev/null | wc -c"
		"find|find /usr -name '*.h' 2>/dev/null | wc -l"
		"python3|/usr/bin/python3 -c 'import json, email, http.client'"
		"build|make -s -B -j2 -C $WORK/proj && $WORK/proj/prog"
		"sh-1000|i=0; while [ \$i -lt 1000 ]; do /bin/true; i=\$((i+1)); done"
	)
}

# make_project: 40 small C files and a main, built with make -j2.
make_project() {
	local d=$WORK/proj i
	mkdir -p "$d"
	for ((i = 1; i <= 40; i++)); do
		cat >"$d/m$i.c" <<-EOF
		#include <stdio.h>
		#include <string.h>
		int f$i(int x);
		struct s$i { int a[16]; char name[32]; };
		static int helper(struct s$i *s, int x)
		{
			int acc = 0;
			for (int k = 0; k < 16; k++)
				acc += s->a[k] * (x + k);
			snprintf(s->name, sizeof(s->name), "s%d-%d", $i, acc);
			return acc + (int)strlen(s->name);
		}
		int f$i(int x)
		{
			struct s$i s;
			memset(&s, 0, sizeof(s));
			for (int k = 0; k < 16; k++)
				s.a[k] = k * $i;
			return helper(&s, x);
		}
		EOF
	done
	{
		echo '#include <stdio.h>'
		for ((i = 1; i <= 40; i++)); do echo "int f$i(int x);"; done
		echo 'int main(void)'
		echo '{'
		echo '	long t = 0;'
		for ((i = 1; i <= 40; i++)); do echo "	t += f$i($i);"; done
		echo '	printf("%ld\n", t);'
		echo '	return 0;'
		echo '}'
	} >"$d/main.c"
	printf '%s\n' 'SRCS := $(wildcard *.c)' 'OBJS := $(SRCS:.c=.o)' \
		'CFLAGS := -O2 -pipe' 'prog: $(OBJS)' '	$(CC) -o $@ $(OBJS)' \
		'%.o: %.c' '	$(CC) $(CFLAGS) -c -o $@ $<' >"$d/Makefile"
}

# _work_slow SANDBOX: ptrace-based sandboxes take 10-40 s a workload.
_work_slow() {
	[[ $1 == proot || $1 == runsc || $1 == strace ]]
}

suite_work() {
	local g=work w name cmd sb rep out rc reps want
	local -A ref=() dead=()

	_work_list
	make_project
	log "real work: ${#WORKLOADS[@]} workloads, $REPS_WORK runs ($REPS_WORK_SLOW for ptrace-based sandboxes)"
	rec_group $g "Real work" native "" \
		"Seconds of wall time for the whole command, sandbox start-up included; $REPS_WORK runs natively, under bwrap and under micronos-run, $REPS_WORK_SLOW under the ptrace-based proot, runsc and strace (tens of seconds a run). Each command runs once natively first to warm the page cache and to record the expected output; a sandboxed run whose output differs is refused. The build is 40 small C files and a main, \`make -j2 -B\`, in a directory every sandbox gets read-write."
	rec_order $g "${SANDBOXES[@]}"
	for w in "${WORKLOADS[@]}"; do
		name=${w%%|*}
		rec_case $g "$name" s lower
		chmod -R a+rwX "$WORK/proj"
		timed 600 "$WORK/work.ref" /bin/sh -c "${w#*|}"
		rc=$?
		if ((rc != 0)); then
			dead[$name]=$(why "$WORK/work.ref" $rc)
		fi
		ref[$name]=$(cat "$WORK/work.ref")
		for sb in "${SANDBOXES[@]}"; do
			sb_prefix "$sb"
			rec_cmd $g "$name" "$sb" "$(quote_cmd "${PREFIX[@]}" /bin/sh -c "${w#*|}")"
			if [[ -n ${dead[$name]:-} ]]; then
				rec_na $g "$name" "$sb" "fails natively: ${dead[$name]}"
				dead[$sb.$name]=1
			elif [[ -n ${UNAVAIL[$sb]:-} ]]; then
				rec_na $g "$name" "$sb" "${UNAVAIL[$sb]}"
			elif [[ $sb == strace && $QUICK == 1 ]]; then
				rec_na $g "$name" "$sb" "skipped by --quick (strace -f takes 5-25 s a run); bench/run without --quick measures it"
				dead[$sb.$name]=1
			fi
		done
	done
	for ((rep = 1; rep <= REPS_WORK; rep++)); do
		for w in "${WORKLOADS[@]}"; do
			name=${w%%|*} cmd=${w#*|}
			for sb in "${SANDBOXES[@]}"; do
				[[ -n ${UNAVAIL[$sb]:-} || -n ${dead[$sb.$name]:-} ]] && continue
				want=$REPS_WORK
				_work_slow "$sb" && want=$REPS_WORK_SLOW
				((rep > want)) && continue
				sb_prefix "$sb"
				chmod -R a+rwX "$WORK/proj"
				out=$WORK/work.$sb.$name
				timed 600 "$out" "${PREFIX[@]}" /bin/sh -c "$cmd"
				rc=$?
				if ((rc != 0)); then
					rec_na $g "$name" "$sb" "$(why "$out" $rc)"
					dead[$sb.$name]=1
				elif [[ $(cat "$out") != "${ref[$name]}" ]]; then
					rec_na $g "$name" "$sb" "output differs from the native run's ($(head -c 80 "$out" | tr '\n' ' ') vs ${ref[$name]:0:80})"
					dead[$sb.$name]=1
				else
					rec_sample $g "$name" "$sb" "$ELAPSED"
				fi
			done
		done
		log "real work: run $rep/$REPS_WORK done"
	done
}
