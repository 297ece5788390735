# bench/common.sh: helpers shared by bench/run.sh and bench/compare.sh;
# sourced, not run.  The caller sets B (build directory) and WORK (a
# scratch directory it removes), and stops what it starts through
# started/stopped and its own EXIT trap.
#
# CPU time is the scheduler's run time in nanoseconds: the first field of
# /proc/PID/task/TID/schedstat summed over the process's threads, not
# utime+stime in 10 ms ticks.  A thread that exits inside a window takes
# its time with it, so cpu_ns also records the thread ids and a window
# whose thread set changed is flagged ("threads changed").

PIDS=""			# stopped in reverse order of start, by pid
started() { PIDS="$PIDS $1"; }
stopped() { PIDS=$(echo " $PIDS " | sed "s/ $1 / /"); }
stop_all() {
	local p rev=""
	for p in $PIDS; do rev="$p $rev"; done
	for p in $rev; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=""
}
# stop PID: stop one process started by this script.
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; stopped "$1"; }
die() { echo "${0##*/}: $*" >&2; exit 2; }

# cpu_ns PID: run time of all the process's threads, in ns; the thread
# ids go to $WORK/tids.PID and "tid comm ns" lines to $WORK/threads.PID.
cpu_ns() {
	local t sum=0 a c i=0 tids=""
	: >"$WORK/threads.$1"
	for t in /proc/"$1"/task/*; do
		read -r a _ <"$t/schedstat" 2>/dev/null || continue
		read -r c <"$t/comm" 2>/dev/null || c=?
		# the creation rank tells threads of one name apart
		c="$c#$i"; i=$((i + 1))
		sum=$((sum + a))
		tids="$tids ${t##*/}"
		echo "${t##*/} ${c// /_} $a" >>"$WORK/threads.$1"
	done
	echo "$tids" >"$WORK/tids.$1"
	echo "$sum"
}
# thread_delta BEFORE AFTER: add each thread's run time between two
# threads.PID files to $WORK/by_thread ("comm ns" lines, summed later).
thread_delta() {
	awk 'NR == FNR { a[$1] = $3; next }
	    ($1 in a) { print $2, $3 - a[$1] }' "$1" "$2" >>"$WORK/by_thread"
}
# by_thread SAMPLES: us per process-sample of each thread name.
by_thread() {
	awk -v k="$1" '{ s[$1] += $2 } END {
		for (c in s) printf "%s %.2f\n", c, s[c] / 1000 / k }' \
	    "$WORK/by_thread" | sort -t'#' -k2 -n | paste -sd, | sed 's/,/, /g'
}

# now_us: wall clock in microseconds.
now_us() { echo "${EPOCHREALTIME/./}"; }
# sleep_until US: sleep until the wall clock reads US microseconds.
sleep_until() {
	local d=$(( $1 - $(now_us) ))
	[ "$d" -gt 0 ] && sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
	return 0
}

# phase_of CMD...: poll CMD every 20 ms (for at most 3 s) until its output
# changes; prints the wall clock (us) at the change: when a tool that
# works once a second did its work.  Empty if nothing changed.
phase_of() {
	local a b i
	a=$("$@")
	for i in $(seq 150); do
		sleep 0.02
		b=$("$@")
		if [ "$b" != "$a" ]; then now_us; return; fi
	done
}

# stats V...: "min / median / max" of the values, 2 decimals.
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "?"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f / %.2f / %.2f", v[1], m, v[NR] }'
}
# median V...
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "?"; exit }
		print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# quantile Q FILE: the Q quantile (0..1, nearest rank) of FILE's numbers.
quantile() {
	sort -g "$2" | awk -v q="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print "?"; exit }
		i = int(q * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR
		print v[i] }'
}

# start_farm ARGS...: bench/pw_farm ARGS; sets FARM (pid), KIDS (pids),
# NPROCS (children + parent).
start_farm() {
	"$B/bench/pw_farm" "$@" >"$WORK/farm.out" 2>&1 &
	FARM=$!; started "$FARM"
	for _ in $(seq 600); do grep -q '^ready' "$WORK/farm.out" && break; sleep 0.1; done
	grep -q '^ready' "$WORK/farm.out" || die "pw_farm did not get ready"
	KIDS=$(grep -v ready "$WORK/farm.out" | tr '\n' ' ')
	NPROCS=$(( $(grep -vc ready "$WORK/farm.out") + 1 ))
}

# floor MODE [ARGS]: bench/limit on the farm, REPEATS times; prints
# "min / median / max" of the us per process-sample and appends bench/limit's
# lines to $WORK/limit.out.
floor() {
	local m=$1 v=() i
	shift
	for i in $(seq "$REPEATS"); do
		# shellcheck disable=SC2086
		v+=("$("$B/bench/limit" -m "$m" -n "${FLOOR_ROUNDS:-5}" "$@" $FARM $KIDS |
		    tee -a "$WORK/limit.out" |
		    sed -n 's/.*: \([0-9.]*\) us CPU.*/\1/p')")
	done
	stats "${v[@]}"
}

machine_line() {
	echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
