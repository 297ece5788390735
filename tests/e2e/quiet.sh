#!/bin/bash
# End-to-end: on a quiet host nothing is above low, and a process that
# allocated once is not a leak (issue 19).  The test spawns only sleepers,
# a process that allocates and touches 50 MiB at start, one that does so
# 40 s in (a step inside the window, after the 30 s start-up the leak rule
# leaves out), and a slow steady leaker (which must be a leak), and runs
# the daemon for about 60 s.
#
# The machine is shared with other builds and tests, which are real CPU
# users and would rightly be ranked: so the daemon's targets are only
# what this test spawned, plus procwatchd itself, and the assertions are
# about what the test controls.  `churn` entries come from the events
# feed, which sees every process on the host (this script's own polling
# loop spawns curl and jq a few times a second): only those of our
# targets count.
. "$(dirname "$0")/lib.sh"

MIB=1048576
spawn S1 "$PW_TARGET" sleep "quiet-$$-a"
spawn S2 "$PW_TARGET" sleep "quiet-$$-b"
spawn S3 sleep 600
spawn ALLOC "$PW_TARGET" mem 50
# A shell that becomes the allocator 40 s in: same pid, RSS steps up.
spawn LATE sh -c "sleep 40; exec '$PW_TARGET' mem 50"
# 0.04 MiB/s = 2.4 MiB/min: a leak, but a day or more from filling RAM.
spawn LEAKER "$PW_TARGET" leak 0.04

cat >"$WORK/quiet.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 1000,
  "history": 120,
  "targets": [
    { "name": "sleepers", "cmdline": "pw_target sleep quiet-$$-" },
    { "name": "sleep", "pid": $S3 },
    { "name": "alloc", "pid": $ALLOC },
    { "name": "late", "pid": $LATE },
    { "name": "leaker", "pid": $LEAKER },
    { "name": "self", "cmdline": "--config $WORK/quiet\\\\.json" }
  ]
}
JSON
start_daemon "$WORK/quiet.json" || exit 1

bn() { get "$(url "/api/v1/bottlenecks?window=60s&limit=1000$1")"; }

# The leaker becomes a leak once it has grown for 30 s after its first
# 30 s: about a minute, which is also how long the issue asks to watch.
leak_seen() { bn "" >"$WORK/bn.json" && jq -e --argjson p "$LEAKER" \
    'any(.bottlenecks[]; .pid == $p and .type == "leak")' "$WORK/bn.json" >/dev/null; }
check "the steady leaker is a leak within 90 s" wait_for leaker 450 leak_seen
sleep 2		# past the late allocator's step at 40 s, whatever the load
bn "" >"$WORK/bn.json"
bn "&by=target" >"$WORK/bnt.json"
get "$(url "/api/v1/processes/$LATE/stats?window=60s&metrics=rss_bytes")" >"$WORK/late.json"

# Band of a growth by the time it leaves (README, "Bottlenecks").
TTL='(.evidence.time_to_limit_s) as $t | if $t == null then .severity elif $t <= 600 then "critical" elif $t <= 3600 then "high" elif $t <= 86400 then "medium" else "low" end'

check "procwatchd and every target are listed" jq -e --argjson d "$DAEMON_PID" --argjson a "$ALLOC" \
    'any(.bottlenecks[]; .pid == $d) and any(.bottlenecks[]; .pid == $a and .type == "memory")' "$WORK/bn.json"
OURS='select(.target as $t | ["sleepers", "sleep", "alloc", "late", "leaker", "self"] | index($t))'
check "by process: nothing but the leaker is above low" jq -e --argjson p "$LEAKER" \
    "[.bottlenecks[] | $OURS | select(.pid != \$p and .severity != \"low\")] | length == 0" "$WORK/bn.json"
check "the leaker's severity is its time to fill RAM" jq -e --argjson p "$LEAKER" \
    "[.bottlenecks[] | select(.pid == \$p and .type == \"leak\")][0] | .severity == ($TTL)" "$WORK/bn.json"
check "by target: nothing but the leaker is above low" jq -e \
    '[.bottlenecks[] | select(.target != "leaker" and .severity != "low")] | length == 0' "$WORK/bnt.json"
check "no leak entry for the allocator (50 MiB at start)" jq -e --argjson p "$ALLOC" \
    '[.bottlenecks[] | select(.pid == $p and .type == "leak")] | length == 0' "$WORK/bn.json"
check "the late allocator's step is inside the window" jq -e --argjson m "$MIB" \
    '.metrics.rss_bytes.min < 20 * $m and .metrics.rss_bytes.max >= 50 * $m' "$WORK/late.json"
check "no leak entry for the late allocator (a step, then flat)" jq -e --argjson p "$LATE" \
    '[.bottlenecks[] | select(.pid == $p and .type == "leak")] | length == 0' "$WORK/bn.json"
if [ -n "${PW_SANITIZED:-}" ]; then
	# A sanitizer's shadow and quarantine grow the daemon's RSS steadily
	# (TSan: a leak entry); the plain and valgrind runs judge this.
	echo "# procwatchd's own leak entry not judged: sanitizer build"
else
	check "no leak entry for procwatchd itself" jq -e --argjson d "$DAEMON_PID" \
	    '[.bottlenecks[] | select(.pid == $d and .type == "leak")] | length == 0' "$WORK/bn.json"
fi
check "the leak's evidence: a fit over 30 s or more, every third growing" jq -e --argjson p "$LEAKER" \
    '[.bottlenecks[] | select(.pid == $p and .type == "leak")][0] | .evidence | .metric == "rss_bytes" and .r2 >= 0.8 and .points >= 10 and .span_s >= 30 and .slope_ci95[0] > 0 and .growth >= 1048576 and (.slope_per_min_by_third | length == 3 and all(. > 0)) and .limit_from == "MemTotal" and .time_to_limit_s > 0' "$WORK/bn.json"
check "the leak's description names the rate and the fit" jq -e --argjson p "$LEAKER" \
    '[.bottlenecks[] | select(.pid == $p and .type == "leak")][0].description | test("RSS grows [0-9.]+ MiB/min .*r\u00b2 .*in every third of it")' "$WORK/bn.json"
jq -c ".bottlenecks[] | select(.severity != \"low\") | {pid, name, target, type, severity, description}" "$WORK/bn.json" | sed 's/^/# /'
check "procwatchd stops cleanly" stop_daemon
finish
