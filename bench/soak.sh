#!/bin/bash
# bench/soak.sh: a bounded soak run of procwatchd (issue 8); not part of
# make check.  The daemon monitors a farm of FARM (default 200) processes
# (bench/pw_farm) every second, with an api_token, while for WARMUP
# (default 60) + DURATION (default 300) seconds, without a break,
#   - wrk (-t2 -c16, bench/soak_paths.lua) rotates GETs over
#     /api/v1/processes, /api/v1/processes/PID, .../PID/samples?limit=100,
#     /metrics, /api/v1/bottlenecks and /healthz, and
#   - a second wrk (-t1 -c1, bench/soak_push.lua) POSTs a batch of
#     PUSH_BATCH (50) custom series values to /api/v1/custom with the
#     Bearer token, pausing PUSH_MS (100) ms after each response.
# The daemon's VmRSS is read every RSS_EVERY (default 5) s from the
# start of the load, and judged on its trend over the soak: a least-squares
# line through the readings from the end of the warm-up to the end of the
# soak, whose growth over the soak (slope x DURATION) is compared with the
# line's value at the start of the soak.  Two readings would judge a
# one-off step at either end as a leak, or miss a leak between steps.  The load runs on through the baseline
# on purpose: MHD hands each new connection to one of its two worker
# threads, each with its own malloc arena, and a new set of connections
# after a pause is spread differently, which shows as a one-off step in
# VmRSS.  It prints wrk's request counts, non-2xx responses and socket
# errors (over the whole run), the push failures, the VmRSS trend (slope,
# growth over the soak, the scatter around the line) and the first and last
# readings,
# the sampling cycle p50/p99, the jitter p99 and the sample errors, and
# exits 1 on any error or if the trend grew VmRSS by more than RSS_MAX_PCT
# (1) % over the soak.
#
#   cd build/plain && make daemon/procwatchd bench/pw_farm && ../../bench/soak.sh
#   DURATION=300 WARMUP=60 ../../bench/soak.sh        (the defaults)
#
# HISTORY (default 50) is the daemon's `history`: each process's sample
# ring is allocated at once but its pages are touched only as samples
# arrive, so VmRSS grows by about 48 bytes per process per cycle until
# the rings are full (history x interval).  They must fill during the
# warm-up for the comparison to mean anything: the script warns if
# HISTORY seconds exceed WARMUP.  The custom series rings (custom_history,
# 360 points) fill in 36 s at 10 pushes a second.  The push loop is a wrk
# rather than curl so that the load generator forks nothing: every fork
# on the machine goes into the daemon's process-event ring (8192 events),
# whose pages are touched lazily too, and /api/v1/bottlenecks allocates
# in proportion to the events it holds (the script prints its fill at
# the end).
#
# Everything stays on 127.0.0.1; every process started is stopped by its
# pid on exit (PW_KEEP=1 keeps the work directory).
set -u
B=${PW_BUILDDIR:-$PWD}
S=$(cd "$(dirname "$0")" && pwd)
DURATION=${DURATION:-300}
WARMUP=${WARMUP:-60}
FARM_N=${FARM:-200}
HISTORY=${HISTORY:-50}
PUSH_BATCH=${PUSH_BATCH:-50}
PUSH_MS=${PUSH_MS:-100}
RSS_MAX_PCT=${RSS_MAX_PCT:-1}
RSS_EVERY=${RSS_EVERY:-5}
WRK_ARGS=${WRK_ARGS:--t2 -c16 --timeout 5s}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pw-soak.XXXXXX")
TOKEN="soak-$$-$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')"

PIDS=""		# stopped in reverse order of start, by pid
cleanup() {
	local p rev=""
	for p in $PIDS; do rev="$p $rev"; done
	for p in $rev; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "${PW_KEEP:-}" ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started() { PIDS="$PIDS $1"; }
stopped() { PIDS=$(echo " $PIDS " | sed "s/ $1 / /"); }
die() { echo "soak: $*" >&2; exit 2; }

for f in "$B/daemon/procwatchd" "$B/bench/pw_farm"; do
	[ -x "$f" ] || die "$f missing: make daemon/procwatchd bench/pw_farm in $B"
done
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
metrics() { curl -s --max-time 10 "$URL/metrics" >"$WORK/$1.prom"; }
m() {	# m SNAPSHOT SERIES: one value from a saved /metrics page
	awk -v s="$2" '$1 == s { print $2; exit }' "$WORK/$1.prom"
}
ms() { awk -v v="$1" 'BEGIN { if (v == "") print "?"; else printf "%.3f", v * 1000 }'; }

# --- the farm and the daemon ----------------------------------------------
"$B/bench/pw_farm" "$FARM_N" >"$WORK/farm.out" 2>&1 &
FARM=$!; started "$FARM"
for _ in $(seq 600); do grep -q '^ready' "$WORK/farm.out" && break; sleep 0.1; done
grep -q '^ready' "$WORK/farm.out" || die "pw_farm did not get ready"
KIDS=$(grep -v ready "$WORK/farm.out" | tr '\n' ' ')

cat >"$WORK/soak.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 1000, "history": $HISTORY,
  "state_dir": "$WORK", "api_token": "$TOKEN",
  "targets": [ { "name": "farm", "pid": $FARM, "children": true } ] }
JSON
"$B/daemon/procwatchd" --config "$WORK/soak.json" 2>"$WORK/daemon.log" &
D=$!; started "$D"
PORT=""
for _ in $(seq 300); do
	PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$WORK/daemon.log" | head -1)
	[ -n "$PORT" ] && break
	kill -0 "$D" 2>/dev/null || break
	sleep 0.1
done
[ -n "$PORT" ] || { cat "$WORK/daemon.log"; die "procwatchd did not start"; }
URL="http://127.0.0.1:$PORT"
nprocs() { curl -s "$URL/healthz" | sed -n 's/.*"processes":\([0-9]*\).*/\1/p'; }
for _ in $(seq 300); do [ "$(nprocs)" -ge "$((FARM_N + 1))" ] 2>/dev/null && break; sleep 0.2; done
[ "$(nprocs)" -ge "$((FARM_N + 1))" ] 2>/dev/null || die "the farm was not picked up"

# --- the load ----------------------------------------------------------------
# rss_log: the daemon's VmRSS every RSS_EVERY s until it exits or is stopped,
# "elapsed_s kB".
rss_log() {
	local t=0 z=""
	trap '[ -n "$z" ] && kill "$z" 2>/dev/null; exit 0' TERM
	while kill -0 "$D" 2>/dev/null; do
		echo "$t $(rss_kb "$D")"
		sleep "$RSS_EVERY" & z=$!
		wait "$z"; z=""
		t=$((t + RSS_EVERY))
	done
}
# events_fill: how many events the daemon's process-event ring holds.
events_fill() {
	curl -s --max-time 10 "$URL/api/v1/events?limit=100000" |
	    sed -n 's/^{"available":true,"count":\([0-9]*\),.*/\1/p'
}
# at SECONDS: sleep until SECONDS after T0 (microseconds, EPOCHREALTIME).
at() {
	local d=$(( T0 + $1 * 1000000 - ${EPOCHREALTIME/./} ))
	[ "$d" -gt 0 ] && sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
}

# wrk_report NAME: prints the figures; returns non-zero on any error.
wrk_report() {
	local f="$WORK/$1.wrk" line
	line=$(grep '^soak: requests' "$f")
	if [ -z "$line" ]; then
		echo "  wrk: no summary:"; sed 's/^/    /' "$f"; return 1
	fi
	# shellcheck disable=SC2086
	set -- $line
	# soak: requests N bytes N connect N read N write N timeout N status N non2xx N p50_ms X p99_ms X max_ms X
	printf '  reads: %s requests (%s req/s), %s MiB; non-2xx %s; socket errors: connect %s, read %s, write %s, timeout %s\n' \
	    "$3" "$(awk '/Requests\/sec/ { print $2 }' "$f")" \
	    "$(awk -v b="$5" 'BEGIN { printf "%.0f", b / 1048576 }')" \
	    "${17}" "$7" "$9" "${11}" "${13}"
	printf '  reads latency: p50 %s ms, p99 %s ms, max %s ms\n' "${19}" "${21}" "${23}"
	echo "  reads $(grep '^soak: issued' "$f" | sed 's/^soak: //')"
	grep -q '^soak: non2xx_codes .' "$f" && echo "  reads $(grep '^soak: non2xx_codes' "$f" | sed 's/^soak: //')"
	[ "$7" = 0 ] && [ "$9" = 0 ] && [ "${11}" = 0 ] && [ "${13}" = 0 ] &&
	    [ "${15}" = 0 ] && [ "${17}" = 0 ]
}
# push_report NAME SECONDS
push_report() {
	local f="$WORK/$1.push" line
	line=$(grep '^push: requests' "$f")
	if [ -z "$line" ]; then
		echo "  push: no summary:"; sed 's/^/    /' "$f"; return 1
	fi
	# shellcheck disable=SC2086
	set -- $line "$2"
	# push: requests N connect N read N write N timeout N status N failed N p50_ms X p99_ms X max_ms X
	printf '  push: %s batches of %s values (%s/s), %s failed; socket errors: connect %s, read %s, write %s, timeout %s; latency p50 %s ms, p99 %s ms, max %s ms\n' \
	    "$3" "$PUSH_BATCH" "$(awk -v n="$3" -v d="${22}" 'BEGIN { printf "%.1f", n / d }')" \
	    "${15}" "$5" "$7" "$9" "${11}" "${17}" "${19}" "${21}"
	grep '^push: first failure' "$f" | sed 's/^/    /'
	[ "$3" -gt 0 ] && [ "$5" = 0 ] && [ "$7" = 0 ] && [ "$9" = 0 ] &&
	    [ "${11}" = 0 ] && [ "${13}" = 0 ] && [ "${15}" = 0 ]
}

FAIL=0
echo "# soak: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# farm $FARM_N processes + parent, interval 1000 ms, history $HISTORY; reads: wrk $WRK_ARGS over 6 paths; push: wrk -t1 -c1, $PUSH_BATCH values then $PUSH_MS ms pause"
echo "# warm-up ${WARMUP} s, soak ${DURATION} s, one continuous load"
[ "$HISTORY" -lt "$WARMUP" ] ||
	echo "# warning: history $HISTORY >= warm-up $WARMUP s: the sample rings are still filling, VmRSS will grow by ~48 B/process/s"
rss_start=$(rss_kb "$D")

# Both wrks run 3 s past the second VmRSS reading, so that it is taken
# under the same load as the first.
T0=${EPOCHREALTIME/./}
TOTAL=$((WARMUP + DURATION + 3))
# shellcheck disable=SC2086
wrk $WRK_ARGS -d"${TOTAL}s" --latency -s "$S/soak_paths.lua" "$URL" \
    -- $KIDS >"$WORK/soak.wrk" 2>&1 &
W1=$!; started "$W1"
# shellcheck disable=SC2086
wrk -t1 -c1 --timeout 5s -d"${TOTAL}s" -s "$S/soak_push.lua" "$URL" \
    -- "$TOKEN" "$PUSH_BATCH" "$PUSH_MS" $KIDS >"$WORK/soak.push" 2>&1 &
W2=$!; started "$W2"
rss_log >"$WORK/rss.log" &
RL=$!; started "$RL"

at "$WARMUP"
rss0=$(rss_kb "$D")
metrics warm
at "$((WARMUP + DURATION))"
rss1=$(rss_kb "$D")
metrics end
wait "$W1"; stopped "$W1"
wait "$W2"; stopped "$W2"
sleep 2
kill -0 "$D" 2>/dev/null || { echo "  procwatchd died"; FAIL=1; }
rss_quiet=$(rss_kb "$D")
hwm=$(hwm_kb "$D")
ev1=$(events_fill)	# last: a full ring is a large response
kill -TERM "$RL" 2>/dev/null; wait "$RL" 2>/dev/null; stopped "$RL"

echo "load (${TOTAL} s: warm-up, soak, 3 s):"
wrk_report soak || FAIL=1
push_report soak "$TOTAL" || FAIL=1
echo "  VmRSS every $RSS_EVERY s from the start of the load (kB): $(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }' "$WORK/rss.log")"
# The trend: least squares over the readings of the soak proper.
fit=$(awk -v w="$WARMUP" -v d="$DURATION" '$1 >= w && $1 <= w + d {
	n++; x = $1 - w; sx += x; sy += $2; sxx += x * x; sxy += x * $2
	xs[n] = x; ys[n] = $2 }
    END {
	if (n < 3 || n * sxx == sx * sx) { print "? ? ? ? 0"; exit }
	b = (n * sxy - sx * sy) / (n * sxx - sx * sx); a = (sy - b * sx) / n
	for (i = 1; i <= n; i++) { r = ys[i] - (a + b * xs[i]); ss += r * r }
	printf "%.3f %.0f %+.2f %.0f %d\n", b * 60, a, b * d * 100 / a, sqrt(ss / n), n }' "$WORK/rss.log")
# shellcheck disable=SC2086
set -- $fit
pct=$3
echo "  VmRSS trend over the ${DURATION} s soak ($5 readings): $1 kB/min, $pct % over the soak from $2 kB (least squares; readings scatter $4 kB rms around the line)"
echo "  VmRSS: before the load $rss_start kB, after the ${WARMUP} s warm-up $rss0 kB, ${DURATION} s later $rss1 kB; 2 s after the load $rss_quiet kB, peak (VmHWM) $hwm kB"
echo "  process events in the daemon's ring at the end: ${ev1:-?} of 8192"
if [ "$pct" = "?" ]; then
	echo "  too few VmRSS readings for a trend"
	FAIL=1
elif awk -v p="$pct" -v lim="$RSS_MAX_PCT" 'BEGIN { exit !(p > lim) }'; then
	echo "  VmRSS trend grew by more than $RSS_MAX_PCT % over the soak"
	FAIL=1
fi
q='procwatch_sampling_cycle_duration_seconds{quantile='
echo "  sampling cycle p50 $(ms "$(m end "$q\"0.5\"}")") ms, p99 $(ms "$(m end "$q\"0.99\"}")") ms; jitter p99 $(ms "$(m end procwatch_sampling_jitter_seconds)") ms (daemon's figures over its last 1024 cycles)"
c0=$(m warm procwatch_sampling_cycles_total); c1=$(m end procwatch_sampling_cycles_total)
e0=$(m warm procwatch_sample_errors_total); e1=$(m end procwatch_sample_errors_total)
echo "  cycles during the soak: $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }') (about $DURATION expected); samples in all $(m end procwatch_samples_total); processes alive $(m end 'procwatch_processes{state="alive"}')"
echo "  sample errors: $e1 in all, $(awk -v a="$e0" -v b="$e1" 'BEGIN { print b - a }') during the soak"
[ "${e1:-x}" = 0 ] || FAIL=1
nlog=$(grep -ciE 'error|warn|fail' "$WORK/daemon.log")
echo "  daemon log: $(wc -l <"$WORK/daemon.log") lines, $nlog mentioning error/warn/fail"
[ "$nlog" = 0 ] || grep -iE 'error|warn|fail' "$WORK/daemon.log" | head -5 | sed 's/^/    /'

echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$FAIL" = 0 ]; then echo "soak: PASS"; else echo "soak: FAIL"; fi
exit "$FAIL"
