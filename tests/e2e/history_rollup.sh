#!/bin/bash
# End-to-end: the minute roll-ups against the raw samples they come from.
# min, max and mean of a minute bucket, from the API, equal what the raw
# samples of that minute give.  The daemon runs with CLOCK_REALTIME moved
# (tests/e2e/pw_clockshift.c) so that it starts three seconds before a
# minute boundary: the bucket closes in seconds, not in up to a minute.
# Statistics and bottlenecks of a day ending then come from that bucket.
. "$(dirname "$0")/lib.sh"

SHIM="$PW_BUILDDIR/tests/e2e/.libs/pw_clockshift.so"
[ -f "$SHIM" ] || skip "tests/e2e/.libs/pw_clockshift.so not built (make check builds it)"

spawn S "$PW_TARGET" leak 4
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 100, "state_dir": "$WORK/state",
  "targets": [{"name": "grow", "pid": $S}] }
JSON
# Now + shift is hh:mm:57.000.
now=$(date +%s%3N)
export PW_CLOCK_SHIFT_MS=$(( (57000 - now % 60000 + 60000) % 60000 ))
export LD_PRELOAD="$SHIM${LD_PRELOAD:+:$LD_PRELOAD}"
# Under ASan the shim comes before ASan's runtime, which ASan refuses
# unless told: the shim wraps the clock only, never malloc.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_daemon "$WORK/cfg.json" || exit 1
unset LD_PRELOAD
# The daemon's own clock, from its newest sample.
dnow() { get "$(url "/api/v1/processes/$S")" | jq -r '.sample.ts'; }
sampled() { T=$(dnow); [ -n "$T" ] && [ "$T" != null ]; }
check "a first sample" wait_for "a sample" 300 sampled
T=$(dnow)
# The daemon's time less ours is the shift (a sample is a little older).
moved() {
	local d
	d=$(( $(date -u -d "$T" +%s%3N) - $(date +%s%3N) - PW_CLOCK_SHIFT_MS ))
	[ "$d" -le 500 ] && [ "$d" -ge -3000 ]
}
check "the daemon's clock is moved" moved
# The minute of the first samples, and the one after it.
M0="${T:0:16}:00.000Z"
M1=$(date -u -d "${T:0:16} UTC + 1 minute" +%Y-%m-%dT%H:%M:00.000Z)
past_boundary() { [ "$(dnow)" \> "${M1:0:19}.5" ]; }
# Seconds, or (valgrind, slow to start) up to a minute.
check "the daemon's clock passes the minute" wait_for boundary 400 past_boundary
wait_cycles 10
get "$(url "/api/v1/processes/$S/samples?since=$M0&until=$M1&resolution=1m")" >"$WORK/m.json"
# Raw samples are those after since: from a millisecond before the minute.
B0="$(( $(date -u -d "$M0" +%s) - 1 )).999"
get "$(url "/api/v1/processes/$S/samples?since=$B0&until=$M1&resolution=raw")" >"$WORK/r.json"
check "one minute bucket" jq -e '.resolution == "1m" and .count == 1' "$WORK/m.json"
check "raw samples of that minute" jq -e '.resolution == "raw" and .count >= 10' "$WORK/r.json"
check "the bucket starts at the minute" jq -e --arg m "$M0" '.samples[0].ts == $m' "$WORK/m.json"
check "count: the raw samples of the minute" jq -e -n --slurpfile m "$WORK/m.json" --slurpfile r "$WORK/r.json" \
    '$m[0].samples[0].count == $r[0].count'
# For each metric (RSS grows, CPU varies): min, max and mean agree with
# the raw samples (the JSON rounds percentages to 2 decimals).
agree() {	# agree KEY TOLERANCE
	jq -e -n --arg k "$1" --argjson tol "$2" --slurpfile m "$WORK/m.json" --slurpfile r "$WORK/r.json" '
	    [$r[0].samples[][$k] | select(. != null)] as $v |
	    $m[0].samples[0] as $b |
	    ($v | length) > 0 and
	    (($b.min[$k] - ($v | min)) | fabs) <= $tol and
	    (($b.max[$k] - ($v | max)) | fabs) <= $tol and
	    (($b[$k] - (($v | add) / ($v | length))) | fabs) <= $tol + ($v | max) * 1e-9'
}
check "rss_bytes: min, max, mean of the bucket" agree rss_bytes 1
check "cpu_percent: min, max, mean of the bucket" agree cpu_percent 0.02
check "threads: min, max, mean of the bucket" agree threads 0
check "last: the minute's last raw sample" jq -e -n --slurpfile m "$WORK/m.json" --slurpfile r "$WORK/r.json" \
    '$m[0].samples[0].last.rss_bytes == $r[0].samples[-1].rss_bytes'
# Statistics of a day ending at the minute's end come from that bucket
# (issue 18): count, avg, min and max are those of its raw samples.
get "$(url "/api/v1/processes/$S/stats?window=24h&until=$M1&metrics=rss_bytes,threads")" >"$WORK/st.json"
check "stats window=24h until=: the minute tier, no raw tail" jq -e \
    '.source == "history" and .resolution == "1m" and .raw_tail_from == null' "$WORK/st.json"
stat_agree() {	# stat_agree KEY
	jq -e -n --arg k "$1" --slurpfile s "$WORK/st.json" --slurpfile r "$WORK/r.json" '
	    [$r[0].samples[][$k] | select(. != null)] as $v |
	    $s[0].metrics[$k] as $m |
	    $m.count == ($v | length) and $m.min == ($v | min) and $m.max == ($v | max) and
	    (($m.avg - (($v | add) / ($v | length))) | fabs) <= 1 + ($v | max) * 1e-9 and
	    $m.p50 >= $m.min and $m.p50 <= $m.max'
}
check "stats from the tier: rss_bytes as the raw samples give it" stat_agree rss_bytes
check "stats from the tier: threads as the raw samples give it" stat_agree threads
# A rate from its counter: the increase covers at least the minute's own.
get "$(url "/api/v1/processes/$S/stats?window=24h&until=$M1&metrics=ctx_switches_voluntary_rate")" >"$WORK/rate.json"
check "a rate from a tier: its counter's increase and the rate over the time sampled" jq -e -n \
    --slurpfile s "$WORK/rate.json" --slurpfile r "$WORK/r.json" '
    [$r[0].samples[].ctx_switches_voluntary | select(. != null)] as $v |
    $s[0].metrics.ctx_switches_voluntary_rate as $m |
    ($v | length) > 1 and $m.increase >= ($v[-1] - $v[0]) and $m.rate_from_increase > 0 and
    (($m.rate_from_increase - $m.avg) | fabs) <= 0.2 * $m.avg + 1'
get "$(url "/api/v1/bottlenecks?by=target&window=24h&until=$M1")" >"$WORK/bn.json"
check "bottlenecks by=target window=24h until=: 200 from the minute tier" jq -e \
    '.by == "target" and .resolution == "1m" and (.bottlenecks | type == "array")' "$WORK/bn.json"
check "auto over an hour picks the minute tier" jq -e '.resolution == "1m"' \
    <(get "$(url "/api/v1/processes/$S/samples?since=-1h&resolution=auto&limit=100")")
stop_daemon
finish
