#!/bin/bash
# bench/run.sh: procwatchd's sampling cost against the floor (bench/limit)
# on a farm of N target processes, and the HTTP figures at N=1000.
#
#   bench/run.sh [N ...]        (default: 200 1000 5000)
#   DURATION=30 bench/run.sh    seconds measured per N (default 30)
#   WRK_S=20 bench/run.sh       seconds of each wrk run at N=1000 (default 20)
#
# Run from a configured build directory after `make bench` (it needs
# daemon/procwatchd, bench/limit and bench/pw_farm there).  Prints figures;
# bench/RESULTS.md records them.  Traffic stays on 127.0.0.1; every process
# started is stopped by its pid.
set -u
B=${PW_BUILDDIR:-$PWD}
DURATION=${DURATION:-30}
WRK_S=${WRK_S:-20}
HZ=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/pw-bench.XXXXXX)
PIDS=""
cleanup() { local p; for p in $PIDS; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT

cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2; exit }'; }

# start_daemon REALTIME: procwatchd on the farm; sets D and PORT.
start_daemon() {
	cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 1000, "history": 1000,
  "sampler_realtime": $1,
  "targets": [ { "name": "farm", "pid": $FARM, "children": true } ] }
JSON
	"$B/daemon/procwatchd" --config "$WORK/cfg.json" 2>"$WORK/d.log" &
	D=$!; PIDS="$PIDS $D"
	PORT=""
	while [ -z "$PORT" ]; do sleep 0.2; PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$WORK/d.log"); done
}

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf "%6s %10s %10s %8s %10s %8s %8s %10s %10s\n" N "us/sample" "floor_us" ratio "core_%" "rss_MiB" "B/proc" "cycle_p50" "cycle_p99"
for N in ${@:-200 1000 5000}; do
	"$B/bench/pw_farm" "$N" >"$WORK/farm.out" &
	FARM=$!; PIDS="$PIDS $FARM"
	while ! grep -q ready "$WORK/farm.out"; do sleep 0.2; done
	start_daemon false
	rss0=$(rss_kb "$D")
	# Warm up: every farm process found and sampled twice.
	until [ "$(curl -s "http://127.0.0.1:$PORT/healthz" | sed -n 's/.*"processes":\([0-9]*\).*/\1/p')" -ge "$((N + 1))" ]; do sleep 0.5; done
	sleep 3
	c0=$(cpu_ticks "$D"); s0=$(metric procwatch_samples_total)
	sleep "$DURATION"
	c1=$(cpu_ticks "$D"); s1=$(metric procwatch_samples_total)
	p50=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^procwatch_sampling_cycle_duration_seconds\{quantile="0.5"\}/ {print $2*1000}')
	p99=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^procwatch_sampling_cycle_duration_seconds\{quantile="0.99"\}/ {print $2*1000}')
	rss1=$(rss_kb "$D")
	floor=$("$B/bench/limit" -n 10 $(grep -v ready "$WORK/farm.out") | sed -n 's/.*: \([0-9.]*\) us CPU.*/\1/p')
	floor_o=$("$B/bench/limit" -n 10 -o $(grep -v ready "$WORK/farm.out") | sed -n 's/.*: \([0-9.]*\) us CPU.*/\1/p')
	awk -v n="$N" -v dc="$((c1 - c0))" -v ds="$(echo "$s1 - $s0" | bc)" -v hz="$HZ" -v d="$DURATION" \
	    -v fl="$floor" -v r1="$rss1" -v r0="$rss0" -v p50="$p50" -v p99="$p99" 'BEGIN {
		us = dc / hz * 1e6 / ds;
		printf "%6d %10.2f %10.2f %8.2f %10.2f %8.1f %8.0f %9.2fms %9.2fms\n",
		    n, us, fl, us / fl, dc / hz / d * 100, r1 / 1024, (r1 - r0) * 1024 / (n + 1), p50, p99 }'
	l2=$("$B/bench/libproc2_cost" -n 10 $(grep -v ready "$WORK/farm.out") | sed -n 's/.*: \([0-9.]*\) us CPU.*/\1/p')
	echo "#        floor with open/read/close each time: $floor_o us; libproc2 reading the same fields (no fd count): $l2 us"
	if [ "$N" = 1000 ] && command -v wrk >/dev/null; then
		PID1=$(sed -n 5p "$WORK/farm.out")
		for p in /metrics /api/v1/processes; do
			t=$(for i in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT$p"; done | sort -n | sed -n 10p)
			echo "#        GET $p (1000 targets): median $(awk -v t="$t" 'BEGIN{printf "%.2f", t*1000}') ms over 20 (curl, includes transfer)"
		done
		# Jitter under load: a fresh daemon per mode, so that its window
		# of cycle start times is mostly the WRK_S seconds under wrk.
		for rt in false true; do
			kill -TERM "$D"; wait "$D"
			start_daemon "$rt"
			sleep 5
			for p in "/api/v1/processes/$PID1" /metrics; do
				wrk -t2 -c32 -d"${WRK_S}s" --latency "http://127.0.0.1:$PORT$p" >"$WORK/wrk.out" 2>&1
				echo "#        sampler_realtime=$rt: wrk -c32 $p: $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out") req/s, p99 $(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")"
			done
			echo "#        sampler_realtime=$rt: cycle start jitter p99 over $(metric procwatch_sampling_cycles_total) cycles ($((2 * WRK_S)) s of them under wrk): $(metric procwatch_sampling_jitter_seconds | awk '{printf "%.3f", $1 * 1000}') ms (realtime in force: $(metric procwatch_sampler_realtime))"
		done
	fi
	kill -TERM "$D"; wait "$D"; kill -TERM "$FARM"; wait "$FARM"
	PIDS=""
done
