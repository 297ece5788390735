#!/bin/bash
# End-to-end: the history on disk, read through the API and procwatchctl.
# A spinner's samples come back from memory and disk as one series; a
# spinner killed meanwhile is listed with its CPU at a moment before the
# kill (?at=) and is the bottleneck of a window ending then (?until=);
# after kill -9 of the daemon and a restart the spinner's samples from
# before the kill are there (all but at most two intervals) and go on
# after it with the gap shown and no rate across it; a second daemon on
# the same state_dir refuses to start; a directory that cannot be used
# leaves the daemon memory-only, said in the log and in /healthz.
. "$(dirname "$0")/lib.sh"

CTL="$PW_BUILDDIR/daemon/procwatchctl"
IV=100				# interval, ms

spawn S "$PW_TARGET" spin
spawn K "$PW_TARGET" spin
spawn I "$PW_TARGET" sleep history-$$
mkdir -p "$WORK/st"
# A ring of 30 samples (3 s): anything older comes from disk.
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": $IV, "history": 30,
  "retention_ms": 1000,
  "state_dir": "$WORK/st", "history_fsync_ms": 1000,
  "targets": [{"name": "spin", "pid": $S}, {"name": "doomed", "pid": $K},
              {"name": "idle", "pid": $I}] }
JSON
start_daemon "$WORK/cfg.json" || exit 1
now_ms() { date +%s%3N; }
# jq: milliseconds of an RFC 3339 time as the API writes it.
JQMS='def ms: (.[0:19] + "Z" | fromdate) * 1000 + (.[20:23] | tonumber);'

iso() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }
T0=$(now_ms)
wait_cycles 60

h() { get "$(url /healthz)" | jq -e "$1" >/dev/null; }
check "/healthz: history on, in state_dir" h ".history.on == true and (.history.dir | startswith(\"$WORK/st\"))"
check "/healthz: raw tier has an oldest time" h '.history.oldest.raw | type == "string"'
check "/metrics: cycles written" [ "$(metric procwatch_history_cycles_written_total)" -gt 0 ]

# Memory and disk as one series: 6 s of samples at 100 ms from a 3 s ring.
get "$(url "/api/v1/processes/$S/samples?since=$(iso $T0)")" >"$WORK/s1.json"
check "since before the ring: memory+disk" jq -e '.source == "memory+disk" and .resolution == "raw"' "$WORK/s1.json"
check "since before the ring: more samples than the ring holds" jq -e '.count > 40' "$WORK/s1.json"
check "memory+disk: in order, no duplicate" jq -e '[.samples[].ts] as $t | $t == ($t | unique)' "$WORK/s1.json"
# A gap is a real stretch without samples: a loaded machine can delay the
# sampler for a few hundred ms, never for a second.
check "memory+disk: no gap of a second while running" jq -e "$JQMS"'
    [.gaps[] | select((.until | ms) - (.from | ms) >= 1000)] == []' "$WORK/s1.json"
# The first sample has no rate; the busy spinner shares 2 cores with us.
check "disk samples have the spinner's CPU" jq -e '[.samples[1:20][].cpu_percent] | max > 50' "$WORK/s1.json"
check "no since: the ring only, as before" jq -e '.source == "memory" and .count == 30' \
    <(get "$(url "/api/v1/processes/$S/samples")")

# The doomed spinner: a moment while it ran, then kill it.
TK=$(now_ms)
wait_cycles 5
kill -KILL "$K"
wait "$K" 2>/dev/null
wait_cycles 30
AT=$(iso "$TK")
get "$(url "/api/v1/processes?at=$AT")" >"$WORK/at.json"
check "?at= before the kill: 200" [ "$(status)" = 200 ]
check "?at= lists the killed spinner, gone now" jq -e --argjson k "$K" \
    '[.processes[] | select(.pid == $k and .alive == false)] | length == 1' "$WORK/at.json"
# Its CPU then: one sample can lack a rate on a loaded machine (a failed
# read), so the moment and the two cycles before it.
for d in 0 100 200; do
	get "$(url "/api/v1/processes?at=$(iso $((TK - d)))")"
done | jq -s --argjson k "$K" '[.[].processes[] | select(.pid == $k) |
    .sample.cpu_percent // 0] | max' >"$WORK/kcpu"
check "?at= gives the killed spinner's CPU then" [ "$(jq '. > 20' "$WORK/kcpu")" = true ]
check "?at= lists the live spinner, alive" jq -e --argjson s "$S" \
    '.processes[] | select(.pid == $s) | .alive == true' "$WORK/at.json"
check "?at= on targets: doomed was up" jq -e \
    '.targets[] | select(.name == "doomed") | .sample.processes == 1' <(get "$(url "/api/v1/targets?at=$AT")")
get "$(url "/api/v1/bottlenecks?window=2s&until=$(iso $((TK + 500)))")" >"$WORK/bn.json"
check "?until=: the killed spinner is a cpu bottleneck of then" jq -e --argjson k "$K" \
    '[.bottlenecks[] | select(.pid == $k and .type == "cpu")] | length == 1' "$WORK/bn.json"
get "$(url "/api/v1/bottlenecks?window=2s&until=now")" >"$WORK/bn2.json"
check "?until=now: it is not one any more" jq -e --argjson k "$K" \
    '[.bottlenecks[] | select(.pid == $k)] | length == 0' "$WORK/bn2.json"
# Targets too (issue 18): the doomed target's CPU is a bottleneck of then.
get "$(url "/api/v1/bottlenecks?by=target&window=2s&until=$(iso $((TK + 500)))")" >"$WORK/bnt.json"
check "by=target&until=: 200, from raw" jq -e '.by == "target" and .resolution == "raw"' "$WORK/bnt.json"
check "by=target&until=: the doomed target is a cpu bottleneck of then" jq -e \
    '[.bottlenecks[] | select(.target == "doomed" and .type == "cpu")] | length == 1' "$WORK/bnt.json"
# Statistics of a past window, and of one beyond the ring (3 s).
get "$(url "/api/v1/processes/$K/stats?window=2s&until=$(iso $TK)")" >"$WORK/pst.json"
check "stats until=: the killed spinner's, from raw history" jq -e --argjson k "$K" \
    '.pid == $k and .source == "history" and .resolution == "raw" and .count >= 10' "$WORK/pst.json"
check "stats until=: its CPU then" jq -e '.metrics.cpu_percent.max > 20' "$WORK/pst.json"
get "$(url "/api/v1/targets/doomed/stats?window=2s&until=$(iso $TK)")" >"$WORK/tst.json"
check "target stats until=: one process, its CPU" jq -e \
    '.name == "doomed" and .processes == 1 and .source == "history" and .metrics.cpu_percent.max > 20' "$WORK/tst.json"
get "$(url "/api/v1/processes/$S/stats?window=24h")" >"$WORK/day.json"
check "stats window=24h: beyond the ring, from the minute tier and its raw tail" jq -e \
    '.source == "history" and .resolution == "1m" and (.note | type == "string") and
     .count > 40 and .metrics.cpu_percent.count > 40' "$WORK/day.json"
check "bottlenecks window=24h: from the minute tier" jq -e '.resolution == "1m"' \
    <(get "$(url "/api/v1/bottlenecks?by=target&window=24h")")
check "until in the future: 400" expect_err 400 "/api/v1/processes/$S/stats?until=$(iso $(( $(now_ms) + 3600000 )))"
check "window beyond the tiers' reach: 400" expect_err 400 "/api/v1/processes/$S/stats?window=399d&until=-2d"
check "window and since both: 400" expect_err 400 "/api/v1/bottlenecks?window=1m&since=-5m"
check "a bad window: 400" expect_err 400 "/api/v1/targets/spin/stats?window=7x&until=now"
# The writer may still hold the events of the last cycles: poll.
exited() {
	get "$(url "/api/v1/events?since=$(iso "$T0")&until=now")" |
	    jq -e --argjson k "$K" '[.events[] | select(.kind == "process" and
	    .type == "exit" and .pid == $k)] | length == 1' >/dev/null
}
check "events?since=: the killed spinner's exit" wait_for "its exit" 50 exited

# procwatchctl over the same history.
"$CTL" -u "$(url "")" dump --since "$(iso "$T0")" --format csv >"$WORK/dump.csv" 2>"$WORK/dump.err"
check "dump: exit 0" [ $? -eq 0 ]
check "dump csv: a header with ts, pid and cpu_percent" \
    sh -c "head -1 '$WORK/dump.csv' | grep -q '^ts,kind,pid,name,target,start_time,.*cpu_percent'"
check "dump csv: rows of the spinner" [ "$(grep -c ",process,$S," "$WORK/dump.csv")" -gt 40 ]
"$CTL" -u "$(url "")" dump "$S" --since "$(iso "$T0")" --format jsonl >"$WORK/dump.jsonl"
check "dump PID jsonl: one sample a line" jq -e -s 'length > 40 and all(.[]; has("ts") and has("cpu_percent"))' "$WORK/dump.jsonl"
"$CTL" -u "$(url "")" status --at "$AT" >"$WORK/status.txt"
check "status --at lists the killed spinner, gone now" grep -q "^ *$K .*gone now" "$WORK/status.txt"
"$CTL" -u "$(url "")" show "$K" --since "$(iso "$T0")" >"$WORK/show.txt"
check "show --since of a process gone from memory" grep -q "from the history" "$WORK/show.txt"
"$CTL" -u "$(url "")" top --at "$(iso $((TK + 500)))" --window 2s >"$WORK/top.txt"
check "top --at: the killed spinner" grep -q " $K pw_target" "$WORK/top.txt"
"$CTL" -u "$(url "")" status --at 'not-a-time' 2>"$WORK/ctl.err"
check "status --at with a bad time: usage error" [ $? -eq 2 ]

# Bad parameters: 400 with a message.
check "since=yesterday: 400" expect_err 400 "/api/v1/processes/$S/samples?since=yesterday"
check "resolution=5m: 400" expect_err 400 "/api/v1/processes/$S/samples?resolution=5m"
check "until before since: 400" expect_err 400 "/api/v1/processes/$S/samples?since=-1m&until=-2m"
check "at=garbage: 400" expect_err 400 "/api/v1/processes?at=garbage"

# A second daemon on the same state_dir refuses to start.
cp "$WORK/cfg.json" "$WORK/cfg2.json"
timeout 20 "$PROCWATCHD" --config "$WORK/cfg2.json" 2>"$WORK/second.log"
rc=$?
refused() { [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; }
check "a second daemon on the same state_dir exits non-zero" refused
check "... naming the first one's pid" grep -q "another procwatchd (pid $DAEMON_PID)" "$WORK/second.log"
check "the first one still serves" h '.history.on == true'

# kill -9 while writing, then a restart: the spinner's series goes on.
wait_cycles 10
# The newest cycle the daemon had committed, then the kill at once.
LAST=$(get "$(url "/api/v1/processes/$S")" | jq -r '.sample.ts')
TKILL=$(now_ms)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $DAEMON_PID\b//")
sleep 1
start_daemon "$WORK/cfg.json" || exit 1
TUP=$(now_ms)
wait_cycles 20
get "$(url "/api/v1/processes/$S/samples?since=$(iso "$T0")&until=now")" >"$WORK/s2.json"
check "after a restart: memory+disk" jq -e '.source == "memory+disk"' "$WORK/s2.json"
LAST_MS=$(( $(date -u -d "$LAST" +%s) * 1000 + 10#${LAST:20:3} ))
check "kept up to two intervals before the newest cycle at the kill" \
    jq -e --arg k "$(iso "$TKILL")" --arg lo "$(iso $((LAST_MS - 2 * IV)))" \
    '[.samples[] | select(.ts < $k) | .ts] | max >= $lo' "$WORK/s2.json"
check "one gap across the restart" jq -e --arg k "$(iso "$TKILL")" --arg u "$(iso "$TUP")" \
    '[.gaps[] | select(.from < $k and .until > $k and .until <= $u)] | length == 1' "$WORK/s2.json"
check "no other gap of a second" jq -e --arg k "$(iso "$TKILL")" "$JQMS"'
    [.gaps[] | select((.from < $k and .until > $k) | not) |
    select((.until | ms) - (.from | ms) >= 1000)] == []' "$WORK/s2.json"
check "no rate across the gap: the first sample after it has none" jq -e --arg k "$(iso "$TKILL")" \
    '[.gaps[] | select(.from < $k and .until > $k)][0].until as $u |
    .samples[] | select(.ts == $u) | .cpu_percent == null' "$WORK/s2.json"
check "and the spinner's CPU again after it" jq -e --arg k "$(iso "$TKILL")" \
    '[.samples[] | select(.ts > $k) | .cpu_percent] | max > 50' "$WORK/s2.json"
check "the log says the history was recovered, nothing about a second daemon" \
    sh -c "! grep -q 'another procwatchd' '$WORK/daemon.log'"
stop_daemon
check "SIGTERM: the daemon exits 0" [ $? -eq 0 ]

# Memory only: state_dir is a regular file, so no directory can be made.
: >"$WORK/notadir"
sed "s#\"state_dir\": \"$WORK/st\"#\"state_dir\": \"$WORK/notadir\"#" "$WORK/cfg.json" >"$WORK/cfg3.json"
start_daemon "$WORK/cfg3.json" || exit 1
wait_cycles 5
check "memory only: /healthz says so and why" h '.history.on == false and (.history.reason | test("memory only"))'
check "memory only: said once in the log" [ "$(grep -c 'history in memory only' "$WORK/daemon.log")" -eq 1 ]
check "memory only: samples still served" jq -e '.count > 0' <(get "$(url "/api/v1/processes/$S/samples")")
check "memory only: 1m roll-ups are 400 with the reason" expect_err 400 "/api/v1/processes/$S/samples?resolution=1m"
check "memory only: ?at= is 400" expect_err 400 "/api/v1/processes?at=-1s"
check "memory only: /metrics says history off" [ "$(metric procwatch_history_enabled)" = 0 ]
stop_daemon
finish
