#!/bin/bash
# End-to-end: procwatchd under a small descriptor limit keeps /proc
# descriptors within its budget (soft RLIMIT_NOFILE less a reserve of
# 256), still samples every target, and its HTTP server still answers:
# monitoring many processes must never starve the daemon of descriptors.
. "$(dirname "$0")/lib.sh"

N=80
LIMIT=320			# budget: 320 - 256 = 64 descriptors
# A name of their own: other tests' sleeps must not count.
cp "$(command -v sleep)" "$WORK/pwbudgetnap"
for i in $(seq 1 "$N"); do spawn _ "$WORK/pwbudgetnap" 1000; done
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "history": 50,
  "state_dir": "$WORK",
  "targets": [ { "name": "sleepers", "comm": "pwbudgetnap" } ] }
JSON
# prlimit sets soft and hard: the daemon cannot raise the soft limit.
PW_WRAPPER="prlimit --nofile=$LIMIT:$LIMIT ${PW_WRAPPER:-}" \
    start_daemon "$WORK/cfg.json" || exit 1

monitored() { [ "$(get "$(url /api/v1/targets/sleepers)" | jq .processes)" = "$N" ]; }
wait_for "all $N sleepers monitored" 100 monitored
sleep 2				# ten cycles: idle ones have parked
check "every sleeper is monitored" monitored

budget=$(metric procwatch_proc_descriptors_budget)
kept=$(metric procwatch_proc_descriptors_kept)
open_now=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
echo "# budget $budget, kept $kept, daemon descriptors open $open_now (limit $LIMIT)"
check "the budget is the soft limit less the reserve" [ "$budget" = 64 ]
check "kept descriptors stay within the budget" [ "$kept" -le "$budget" ]
check "some descriptors are kept all the same" [ "$kept" -gt 0 ]
check "the daemon is far from its limit" [ "$open_now" -lt $((LIMIT - 128)) ]

# Those that did not fit are read the slow way, not skipped.
min_samples=$(get "$(url /api/v1/processes)" |
    jq '[.processes[] | select(.target == "sleepers") | .samples_stored] | min')
echo "# fewest samples stored for a sleeper: $min_samples"
check "every sleeper is sampled each cycle" [ "$min_samples" -ge 8 ]
check "no failed reads" [ "$(metric procwatch_sample_errors_total)" = 0 ]

# Forty concurrent requests: each needs a socket.
CURLS=""
for i in $(seq 1 40); do
	curl -s -m 20 -o /dev/null -w '%{http_code}\n' "$(url /metrics)" >>"$WORK/codes" &
	CURLS="$CURLS $!"
done
wait $CURLS
check "forty concurrent requests all answered 200" \
    [ "$(grep -c '^200$' "$WORK/codes")" = 40 ]
check "no EMFILE in the log" [ "$(grep -ci 'too many open files' "$WORK/daemon.log")" = 0 ]

check "daemon stops cleanly" stop_daemon
finish
