#!/bin/bash
# bench/run.sh: procwatchd's sampling cost against the floor (bench/limit)
# on a mostly idle and a busy farm of N target processes, and /metrics
# latency through HTTP.
#
#   bench/run.sh [N ...]           (default: 1000)
#   FARMS="idle busy"              which farms (idle: pw_farm N, mostly
#                                  idle; busy: pw_farm -b 4 N, a quarter
#                                  also waking every 100 ms for 100 us)
#   REPEATS=3 DURATION=20          measured windows per farm and seconds each
#   FLOOR_ROUNDS=5                 rounds (1 s apart) of each bench/limit run
#   REQS=200                       GET /metrics requests for the latency
#   LOCK=/tmp/procwatch-e2e.lock   hold this flock(1) lock for each farm
#   WRK_S=20                       seconds of each wrk run (idle farm, N=1000,
#                                  only when wrk is installed)
#   BENCH_CFG='"pss_top": 0'       more keys for the daemon's config (JSON,
#                                  without braces), to compare settings
#
# Per farm, in this order:
#   1. The floor, with no daemon running: bench/limit in its modes idle
#      (schedstat and statm: the daemon's path for an idle single-threaded
#      process), busy (schedstat, stat, status, io and the fd count: its
#      path for a process that changed), adaptive (idle's check, busy's
#      read when something changed or the process has threads) and busy
#      with open/read/close each time, REPEATS runs each; and libproc2
#      reading the same fields (100 ms between rounds), REPEATS runs.
#   2. procwatchd on the farm at 1 s.  Warm-up, outside every window:
#      every process found, two more cycles, and a first GET /metrics
#      (its first render sizes the buffers).  Then REPEATS windows of
#      DURATION s, each starting half an interval after a cycle ended, so
#      that a window holds exactly DURATION whole cycles.  CPU is the
#      daemon's threads' schedstat run time (ns), divided by the samples
#      taken (cycles x processes, from /healthz, read outside the window).
#   3. REQS sequential GET /metrics with curl (time_total: connect,
#      request, render, transfer), p50/p99/max; the daemon's own cycle
#      p50/p99 and its RSS.
# Each figure is printed as min / median / max over the runs; ratios are
# of medians.  Run from a configured build directory after
#   make daemon/procwatchd bench/limit bench/pw_farm bench/libproc2_cost
# (or `make bench`).  Traffic stays on 127.0.0.1; every process started is
# stopped by its pid.  bench/RESULTS.md records the figures.
# shellcheck disable=SC2046,SC2068,SC2086 # pid lists split on purpose
set -u
B=${PW_BUILDDIR:-$PWD}
S=$(cd "$(dirname "$0")" && pwd)
DURATION=${DURATION:-20}
REPEATS=${REPEATS:-3}
REQS=${REQS:-200}
FARMS=${FARMS:-idle busy}
WRK_S=${WRK_S:-20}
LOCK=${LOCK:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pw-bench.XXXXXX")
# shellcheck source=bench/common.sh
. "$S/common.sh"
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

for f in daemon/procwatchd bench/limit bench/pw_farm bench/libproc2_cost; do
	[ -x "$B/$f" ] || die "$B/$f missing: make $f"
done

lock() { [ -z "$LOCK" ] || { exec 9>"$LOCK" && flock 9; }; }
unlock() { [ -z "$LOCK" ] || exec 9>&-; }

# start_daemon REALTIME: procwatchd on the farm; sets D, PORT and URL.
start_daemon() {
	cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 1000, "history": 1000,
  "sampler_realtime": $1,${BENCH_CFG:+ $BENCH_CFG,}
  "targets": [ { "name": "farm", "pid": $FARM, "children": true } ] }
JSON
	: >"$WORK/d.log"
	"$B/daemon/procwatchd" --config "$WORK/cfg.json" 2>"$WORK/d.log" &
	D=$!; started "$D"
	PORT=""
	for _ in $(seq 300); do
		PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$WORK/d.log" | head -1)
		[ -n "$PORT" ] && break
		kill -0 "$D" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$PORT" ] || { cat "$WORK/d.log"; die "procwatchd did not start"; }
	URL="http://127.0.0.1:$PORT"
}
healthz() { curl -s --max-time 10 "$URL/healthz"; }
hz_field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
cycles() { healthz | hz_field cycles; }
page() { curl -s --max-time 10 "$URL/metrics" >"$WORK/$1.prom"; }
m() { awk -v s="$2" '$1 == s { print $2; exit }' "$WORK/$1.prom"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# forks_total: processes and threads created on the machine since boot.
forks_total() { awk '$1 == "processes" { print $2 }' /proc/stat; }

machine_line
for N in ${@:-1000}; do
for kind in $FARMS; do
	case $kind in
	idle) fargs="$N"; what="mostly idle: up to 10 at a 10 % duty cycle, one in 10 with 4 threads" ;;
	busy) fargs="-b 4 $N"; what="busy: as idle, and a quarter waking every 100 ms to spin 100 us" ;;
	*) die "unknown farm $kind" ;;
	esac
	lock
	start_farm $fargs
	sleep 2
	echo
	echo "## N=$N, $kind farm (pw_farm $fargs: $NPROCS processes; $what)"
	echo "#  floor, daemon stopped: us CPU per process-sample, min / median / max of $REPEATS runs of ${FLOOR_ROUNDS:-5} rounds 1 s apart"
	printf '#    %-48s %s\n' "idle (schedstat, statm)" "$(floor idle)"
	printf '#    %-48s %s\n' "busy (schedstat, stat, status, io, fd count)" "$(floor busy)"
	printf '#    %-48s %s' "adaptive (idle check, busy read on change)" "$(floor adaptive)"
	echo " ($(tail -1 "$WORK/limit.out" | sed -n 's/.*and \([0-9.]*\) full reads.*/\1/p') full reads per sample)"
	printf '#    %-48s %s\n' "busy, open/read/close each time" "$(floor busy -o)"
	l2=()
	for _ in $(seq "$REPEATS"); do
		l2+=("$("$B/bench/libproc2_cost" -n "${FLOOR_ROUNDS:-5}" $FARM $KIDS | sed -n 's/.*: \([0-9.]*\) us CPU.*/\1/p')")
	done
	printf '#    %-48s %s\n' "libproc2, stat+status+io fields (no fd count)" "$(stats "${l2[@]}")"
	# floor runs in a subshell: the medians come from bench/limit's log.
	f_idle=$(median $(grep -- '^limit: idle,' "$WORK/limit.out" | sed -n 's/.*: \([0-9.]*\) us CPU.*/\1/p'))
	f_busy=$(median $(grep -- '^limit: busy,.*kept-open' "$WORK/limit.out" | sed -n 's/.*: \([0-9.]*\) us CPU.*/\1/p'))
	f_adap=$(median $(grep -- '^limit: adaptive,' "$WORK/limit.out" | sed -n 's/.*: \([0-9.]*\) us CPU.*/\1/p'))
	rm -f "$WORK/limit.out"

	start_daemon false
	rss0=$(rss_kb "$D")
	for _ in $(seq 600); do [ "$(healthz | hz_field processes)" -ge "$NPROCS" ] 2>/dev/null && break; sleep 0.2; done
	c=$(cycles); while [ "$(cycles)" -lt "$((c + 2))" ]; do sleep 0.2; done
	page warm			# the first render: not measured
	ph=$(phase_of cycles)
	[ -n "$ph" ] || die "the daemon's cycle count did not move"
	us=(); core=(); note=""; nsamp=0; forks=0; : >"$WORK/by_thread"
	t=$((ph + 500000))
	for r in $(seq "$REPEATS"); do
		while [ "$t" -le "$(now_us)" ]; do t=$((t + 1000000)); done
		sleep_until "$t"
		h0=$(healthz); f0=$(forks_total); c0=$(cpu_ns "$D"); cp "$WORK/tids.$D" "$WORK/tids0"
		cp "$WORK/threads.$D" "$WORK/threads0"
		t=$((t + DURATION * 1000000))
		sleep_until "$t"
		c1=$(cpu_ns "$D"); f1=$(forks_total); h1=$(healthz)
		forks=$((forks + f1 - f0))
		thread_delta "$WORK/threads0" "$WORK/threads.$D"
		cmp -s "$WORK/tids0" "$WORK/tids.$D" || note="$note (window $r: threads changed)"
		n0=$(echo "$h0" | hz_field cycles); n1=$(echo "$h1" | hz_field cycles)
		p=$(echo "$h1" | hz_field processes)
		[ "$((n1 - n0))" = "$DURATION" ] || note="$note (window $r: $((n1 - n0)) cycles)"
		nsamp=$((nsamp + (n1 - n0) * p))
		us+=("$(awk -v c="$((c1 - c0))" -v k="$(( (n1 - n0) * p ))" 'BEGIN { printf "%.3f", c / 1000 / k }')")
		core+=("$(awk -v c="$((c1 - c0))" -v d="$DURATION" 'BEGIN { printf "%.3f", c / 1e7 / d }')")
	done
	page end
	s0=$(m warm procwatch_samples_total); s1=$(m end procwatch_samples_total)
	u0=$(m warm procwatch_samples_unchanged_total); u1=$(m end procwatch_samples_unchanged_total)
	med=$(median "${us[@]}")
	echo "#  procwatchd, $REPEATS windows of $DURATION s after warm-up (schedstat of its threads)$note"
	printf '#    %-48s %s\n' "us CPU per process-sample" "$(stats "${us[@]}")"
	printf '#    %-48s %s\n' "by thread, us per process-sample" "$(by_thread "$nsamp")"
	printf '#    %-48s %s\n' "forks on the machine (events thread's input)" "$(awk -v f="$forks" -v d="$((REPEATS * DURATION))" 'BEGIN { printf "%.1f/s", f / d }')"
	printf '#    %-48s %s\n' "% of one core" "$(stats "${core[@]}")"
	printf '#    %-48s %s\n' "full reads (not the idle path)" "$(awk -v s="$((s1 - s0))" -v u="$((u1 - u0))" 'BEGIN { printf "%.3f per sample", (s - u) / s }')"
	printf '#    %-48s %s\n' "against the floor (medians)" "$(awk -v d="$med" -v i="$f_idle" -v b="$f_busy" -v a="$f_adap" 'BEGIN { printf "%.2fx idle, %.2fx busy, %.2fx adaptive", d / i, d / b, d / a }')"

	for _ in $(seq "$REQS"); do
		curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "$URL/metrics"
	done >"$WORK/lat"
	awk '{ print $1 * 1000 }' "$WORK/lat" >"$WORK/lat.ms"
	printf '#    %-48s p50 %.2f ms, p99 %.2f ms, max %.2f ms (%s bytes)\n' \
	    "GET /metrics through HTTP ($REQS, curl)" "$(quantile 0.5 "$WORK/lat.ms")" \
	    "$(quantile 0.99 "$WORK/lat.ms")" "$(quantile 1 "$WORK/lat.ms")" \
	    "$(tail -1 "$WORK/lat" | cut -d' ' -f2)"
	page after
	q='procwatch_sampling_cycle_duration_seconds{quantile='
	printf '#    %-48s p50 %s ms, p99 %s ms; RSS %s MiB (%s kB at start)\n' \
	    "cycle time (daemon's own)" \
	    "$(awk -v v="$(m after "$q\"0.5\"}")" 'BEGIN { printf "%.2f", v * 1000 }')" \
	    "$(awk -v v="$(m after "$q\"0.99\"}")" 'BEGIN { printf "%.2f", v * 1000 }')" \
	    "$(awk -v k="$(rss_kb "$D")" 'BEGIN { printf "%.1f", k / 1024 }')" "$rss0"
	printf '%-6s %-5s %8s %8s %8s %8s %6s %6s %6s %8s %8s\n' N farm us/samp floor_i floor_b floor_a x_i x_b x_a core_% metr_p50
	awk -v n="$N" -v k="$kind" -v d="$med" -v i="$f_idle" -v b="$f_busy" -v a="$f_adap" \
	    -v c="$(median "${core[@]}")" -v l="$(quantile 0.5 "$WORK/lat.ms")" 'BEGIN {
		printf "%-6d %-5s %8.2f %8.2f %8.2f %8.2f %6.2f %6.2f %6.2f %8.3f %6.2fms\n",
		    n, k, d, i, b, a, d / i, d / b, d / a, c, l }'

	if [ "$N" = 1000 ] && [ "$kind" = idle ] && command -v wrk >/dev/null; then
		PID1=$(echo "$KIDS" | awk '{ print $5 }')
		# Jitter under load: a fresh daemon per mode, so that its window
		# of cycle start times is mostly the WRK_S seconds under wrk.
		for rt in false true; do
			stop "$D"
			start_daemon "$rt"
			sleep 5
			for p in "/api/v1/processes/$PID1" /metrics; do
				wrk -t2 -c32 -d"${WRK_S}s" --latency "$URL$p" >"$WORK/wrk.out" 2>&1
				echo "#    sampler_realtime=$rt: wrk -c32 $p: $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out") req/s, p99 $(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")"
			done
			page jit
			echo "#    sampler_realtime=$rt: cycle start jitter p99 over $(m jit procwatch_sampling_cycles_total) cycles ($((2 * WRK_S)) s of them under wrk): $(m jit procwatch_sampling_jitter_seconds | awk '{printf "%.3f", $1 * 1000}') ms (realtime in force: $(m jit procwatch_sampler_realtime))"
		done
	fi
	stop "$D"
	stop "$FARM"
	unlock
done
done
