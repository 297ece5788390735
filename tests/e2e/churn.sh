#!/bin/bash
# End-to-end: tens of thousands of short-lived processes while procwatchd
# monitors every process: no crash, no stale entries once retention has
# passed, and memory back near its baseline.
. "$(dirname "$0")/lib.sh"

RATE=${PW_CHURN_RATE:-400}
SECS=${PW_CHURN_SECONDS:-60}
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 100, "history": 50,
  "retention_ms": 2000, "state_dir": "$WORK", "targets": "all" }
JSON
start_daemon "$WORK/cfg.json" || exit 1
# RSS after the same HTTP traffic each time: every MHD worker has then
# rendered a large answer, so their arenas are as warm as they get.
rss() {
	local i
	for i in 1 2 3 4 5 6; do get "$(url "/api/v1/processes?all=1")" >/dev/null; done
	sleep 1
	awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"
}
gone_count() { get "$(url "/api/v1/processes?all=1")" | jq '[.processes[] | select(.alive == false)] | length'; }
# Warm up with a short churn first: bounded tables (the events feed's,
# the allocator's arenas) fill once; the baseline is taken after that.
# Then two churns of SECS/2 each: memory after the second must not have
# grown past the first (a leak grows with every process).
"$PW_BUILDDIR/tests/e2e/pw_churn" "$RATE" 10 >/dev/null
sleep 3
base=$(rss)
half=$((SECS / 2))
"$PW_BUILDDIR/tests/e2e/pw_churn" "$RATE" "$half" >"$WORK/n1" &
CH=$!; PIDS="$PIDS $CH"
sleep 2
seen=$(gone_count)
wait "$CH"
sleep 3
mid=$(rss)
"$PW_BUILDDIR/tests/e2e/pw_churn" "$RATE" "$half" >"$WORK/n2"
started=$(( $(cat "$WORK/n1") + $(cat "$WORK/n2") ))
echo "# started $started short-lived processes in $SECS s; $seen gone ones visible mid-run"
check "tens of thousands of processes ($started)" [ "$started" -ge $((RATE * SECS * 8 / 10)) ]
check "exited processes were seen" [ "$seen" -gt 0 ]
check "daemon survived the churn" kill -0 "$DAEMON_PID"
# Other processes on the machine keep exiting, so gone entries come and
# go; none may stay past the 2 s retention (plus a cycle of slack).
stale_count() {
	get "$(url "/api/v1/processes?all=1")" | jq --argjson now "$(date +%s%3N)" \
	    '[.processes[] | select(.alive == false) | .gone_at | sub("\\.[0-9]+Z$"; "Z") | fromdate * 1000 | select($now - . > 3500)] | length'
}
sleep 4
stale=$(stale_count)
echo "# gone entries older than retention: $stale"
check "no stale entries once retention passed" [ "$stale" -eq 0 ]
after=$(rss)
echo "# daemon RSS: $base kB after warm-up, $mid kB after the first half, $after kB after the second"
top=$(( base > mid ? base : mid ))
if [ -n "${PW_SANITIZED:-}" ]; then
	# ASan's quarantine holds freed memory on purpose; valgrind and the
	# plain build check for leaks.
	echo "# memory check skipped: sanitizer build"
else
	check "memory does not grow with churn (+2 MiB)" [ "$after" -le $((top + 2048)) ]
fi
get "$(url /metrics)" >"$WORK/m.txt"
echo "# $(grep -E '^procwatch_processes_vanished_total|^procwatch_sample_errors_total' "$WORK/m.txt" | tr '\n' ' ')"
check "SIGTERM exits 0" stop_daemon
finish
