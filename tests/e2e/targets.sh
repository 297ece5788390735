#!/bin/bash
# End-to-end: each target as a whole, GET /api/v1/targets[/{name}], the
# procwatch_group_* families of /metrics and `procwatchctl targets`,
# against real processes: two sleepers of one target, a spinner of
# another, and a target that selects nothing.
. "$(dirname "$0")/lib.sh"

CTL="$PW_BUILDDIR/daemon/procwatchctl"
unset PROCWATCH_URL PROCWATCH_TOKEN

spawn A1 "$PW_TARGET" sleep tgt-alpha-$$
spawn A2 "$PW_TARGET" sleep tgt-alpha-$$
if [ "$(id -u)" = 0 ]; then
	spawn SPIN nice -n -10 "$PW_TARGET" spin
else
	spawn SPIN "$PW_TARGET" spin
fi

cat >"$WORK/targets.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 50,
  "retention_ms": 60000,
  "targets": [
    { "name": "alpha", "cmdline": "pw_target sleep tgt-alpha-$$\$" },
    { "name": "beta.spin-1", "pid": $SPIN },
    { "name": "empty", "cmdline": "no-such-process-tgt-$$\$" }
  ],
  "rules": { "builtin": { "process_down": true }, "custom": [
    { "name": "alpha_threads", "metric": "target_threads", "op": ">=",
      "threshold": 2, "targets": ["alpha"],
      "message": "{target} runs {value} threads" },
    { "name": "beta_cpu", "metric": "target_cpu_percent", "op": ">",
      "threshold": 20, "clear": 1, "targets": ["beta.spin-1"] }
  ] }
}
JSON
start_daemon "$WORK/targets.json" || exit 1

one() { get "$(url "/api/v1/targets/$1")"; }
# Sorted, comma-separated pids as jq prints them: [1,2].
want_pids=$(printf '%s\n' "$A1" "$A2" | sort -n | paste -sd, -)

alpha_two() { one alpha | jq -e '.processes == 2' >/dev/null; }
check "alpha counts its two processes" wait_for alpha 100 alpha_two
one alpha >"$WORK/alpha.json"
check "alpha 200" [ "$(status)" = 200 ]
check "alpha pids are the processes started" jq -e --argjson w "[$want_pids]" '.pids == $w' "$WORK/alpha.json"
check "alpha is up with totals of real processes" jq -e '.name == "alpha" and .up == true and .gone == 0 and .threads == 2 and .rss_bytes > 0 and .open_fds >= 6 and (.memory_percent | type) == "number" and (.oldest_start_time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))' "$WORK/alpha.json"
check "alpha top members are its own" jq -e --argjson w "[$want_pids]" '(.top_rss.pid as $p | $w | index($p) != null) and .top_rss.name == "pw_target" and .top_rss.rss_bytes > 0' "$WORK/alpha.json"
# The oldest start is the earlier of the two, as /processes has it.
oldest=$(for p in $A1 $A2; do get "$(url "/api/v1/processes/$p")" | jq -r .start_time; done | sort | head -1)
check "alpha oldest start is its first process's" jq -e --arg t "$oldest" '.oldest_start_time == $t' "$WORK/alpha.json"

# The spinner: one process, busy; it is top by CPU.  A name with '.' and
# '-', and percent-encoded in the path ("%2E" is '.').
spin_ok() { one 'beta%2Espin-1' | jq -e --argjson p "$SPIN" '.name == "beta.spin-1" and .processes == 1 and .pids == [$p] and .cpu_percent > 20 and .top_cpu.pid == $p' >/dev/null; }
check "spinner target: busy, decoded name, top CPU" wait_for spin 100 spin_ok

# Rules on a target as a whole: sums over its processes, no one pid.
group_alert() { get "$(url "/api/v1/alerts?state=firing")" | jq -e --arg r "$1" '.alerts[] | select(.rule == $r)' >/dev/null; }
check "target_threads sums alpha's two processes" wait_for athreads 50 group_alert alpha_threads
check "its alert is the target's: pid 0, summed value, message" jq -e \
    '.alerts[] | select(.rule == "alpha_threads") | .pid == 0 and .target == "alpha" and .value == 2 and .message == "alpha runs 2 threads"' \
    <(get "$(url "/api/v1/alerts?state=firing")")
check "target_cpu_percent fires for the spinner's target" wait_for bcpu 50 group_alert beta_cpu
check "process_down fires for the empty target only" jq -e \
    '[.alerts[] | select(.rule == "process_down") | .target] == ["empty"]' \
    <(get "$(url "/api/v1/alerts?state=firing")")

one empty >"$WORK/empty.json"
check "empty target is 200" [ "$(status)" = 200 ]
check "empty target: up false, zero totals" jq -e '.up == false and .processes == 0 and .threads == 0 and .rss_bytes == 0 and .cpu_percent == 0 and .pids == [] and .top_cpu == null and .top_rss == null and .oldest_start_time == null' "$WORK/empty.json"

get "$(url /api/v1/targets)" >"$WORK/list.json"
check "list 200" [ "$(status)" = 200 ]
check "list has every target in config order" jq -e '.count == 3 and ([.targets[].name] == ["alpha", "beta.spin-1", "empty"]) and (.ts | type) == "string" and .interval_ms == 200' "$WORK/list.json"
check "list agrees with the single views" jq -e '[.targets[] | .processes] == [2, 1, 0] and [.targets[] | .up] == [true, true, false]' "$WORK/list.json"

# Errors: JSON with the right status.
check "unknown target 404" expect_err 404 /api/v1/targets/nope
check "404 names the target" jq -e '.error | test("nope")' "$WORK/err.json"
check "name with a space 400" expect_err 400 '/api/v1/targets/al%20pha'
check "name with a quote 400" expect_err 400 '/api/v1/targets/%22x%22'
check "name too long 400" expect_err 400 "/api/v1/targets/$(printf 'a%.0s' $(seq 65))"
check "name of 64 characters is looked up (404)" expect_err 404 "/api/v1/targets/$(printf 'a%.0s' $(seq 64))"
check "POST is 405" expect_err 405 /api/v1/targets -X POST

# procwatchctl targets: a table, and the daemon's JSON with --json.
"$CTL" -u "$(url '')" targets >"$WORK/ctl.txt" 2>"$WORK/ctl.err"
check "procwatchctl targets exits 0" [ $? -eq 0 ]
check "procwatchctl targets has a header" grep -Eq '^TARGET +UP +PROCS +GONE +CPU% +RSS +MEM% +FDS +THR +TOP CPU +TOP RSS' "$WORK/ctl.txt"
check "procwatchctl targets: alpha up with 2" grep -Eq '^alpha +yes +2 +0 ' "$WORK/ctl.txt"
check "procwatchctl targets: empty down with 0" grep -Eq '^empty +no +0 +0 ' "$WORK/ctl.txt"
check "procwatchctl targets: spinner's top CPU" grep -Eq "^beta\\.spin-1 +yes +1 .* pw_target/$SPIN " "$WORK/ctl.txt"
"$CTL" -u "$(url '')" --json targets >"$WORK/ctl.json" 2>/dev/null
check "procwatchctl --json targets is the list" jq -e '.count == 3' "$WORK/ctl.json"
check "procwatchctl targets: CPU% is the group's" sh -c "[ \"\$(jq '[.targets[] | select(.name == \"beta.spin-1\") | .sample.cpu_percent] | .[0] > 50' \"$WORK/ctl.json\")\" = true ]"
"$CTL" -u "$(url '')" top targets >"$WORK/top.txt" 2>&1
check "procwatchctl top targets: the spinner's target has all the CPU" grep -Eq '^ +[0-9]+ +[a-z]+ +cpu +1\.00 +1 beta\.spin-1$' "$WORK/top.txt"
sed 's/^/# /' "$WORK/top.txt" | head -5
"$CTL" -u "$(url '')" targets beta.spin-1 >"$WORK/one.txt" 2>&1
check "procwatchctl targets NAME: the target and its selector" grep -q '^target beta\.spin-1 (pid [0-9]*), up, 1 process(es)' "$WORK/one.txt"
check "procwatchctl targets NAME: CPU line" grep -Eq '^  cpu +[0-9.]+% \(user [0-9.]+%, system [0-9.]+%\); [0-9.]+ s in all, 0\.00 s of it reaped children$' "$WORK/one.txt"
check "procwatchctl targets NAME: CPU sparkline" grep -Eq '^  cpu % +[▁▂▃▄▅▆▇█ ]+  min ' "$WORK/one.txt"
check "procwatchctl targets NAME: process count sparkline" grep -Eq '^  procs +[▁▂▃▄▅▆▇█ ]+  min 1.0, max 1.0, now 1.0$' "$WORK/one.txt"
sed 's/^/# /' "$WORK/one.txt"
check "procwatchctl --json targets NAME: target and samples" sh -c "\"$CTL\" -u \"$(url '')\" --json targets beta.spin-1 | jq -e '.target.name == \"beta.spin-1\" and .samples.count > 0'"
"$CTL" -u "$(url '')" targets nope >/dev/null 2>"$WORK/nope.err"
check "procwatchctl targets UNKNOWN exits 1 with the daemon's error" sh -c "[ $? -eq 1 ] && grep -q 'no target named' \"$WORK/nope.err\""
"$CTL" -u "$(url '')" targets 'a/b' >/dev/null 2>&1
check "procwatchctl targets with a bad name is a usage error (2)" [ $? -eq 2 ]

# Killing a member lowers the count; it is kept as gone.
kill -KILL "$A1"; wait "$A1" 2>/dev/null
alpha_one() { one alpha | jq -e --argjson p "$A2" '.processes == 1 and .gone == 1 and .pids == [$p] and .threads == 1' >/dev/null; }
check "killing one lowers alpha to 1, 1 gone" wait_for alpha1 100 alpha_one

# Prometheus: the families, their values, and promtool.
get "$(url /metrics)" >"$WORK/metrics.txt"
check "metrics 200" [ "$(status)" = 200 ]
for f in up:gauge processes:gauge threads:gauge cpu_percent:gauge \
    resident_memory_bytes:gauge open_fds:gauge cpu_seconds_total:counter \
    read_bytes_total:counter context_switches_total:counter; do
	t=${f#*:} f=${f%:*}
	check "metrics: procwatch_group_$f has HELP and TYPE $t" sh -c "grep -q '^# HELP procwatch_group_$f ' \"$WORK/metrics.txt\" && grep -q '^# TYPE procwatch_group_$f $t\$' \"$WORK/metrics.txt\""
done
check "metrics: alpha up with 1 process" sh -c "grep -qx 'procwatch_group_up{target=\"alpha\"} 1' \"$WORK/metrics.txt\" && grep -qx 'procwatch_group_processes{target=\"alpha\"} 1' \"$WORK/metrics.txt\""
check "metrics: empty target up 0" grep -qx 'procwatch_group_up{target="empty"} 0' "$WORK/metrics.txt"
check "metrics: empty target 0 processes" grep -qx 'procwatch_group_processes{target="empty"} 0' "$WORK/metrics.txt"
check "metrics: spinner's threads" grep -qx 'procwatch_group_threads{target="beta.spin-1"} 1' "$WORK/metrics.txt"
# The one sleeper left does not change its RSS: both views agree.
rss_api=$(one alpha | jq -r .rss_bytes)
rss_prom=$(sed -n 's/^procwatch_group_resident_memory_bytes{target="alpha"} //p' "$WORK/metrics.txt")
same_rss() { [ -n "$rss_prom" ] && [ "$rss_prom" = "$rss_api" ] && [ "$rss_prom" -gt 0 ]; }
check "metrics: alpha RSS is the API's, non-zero" same_rss
if [ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ]; then
	check "promtool check metrics is clean" sh -c "\"$PROMTOOL\" check metrics <\"$WORK/metrics.txt\" >\"$WORK/promtool.out\" 2>&1 && [ ! -s \"$WORK/promtool.out\" ]"
	[ -s "$WORK/promtool.out" ] && cat "$WORK/promtool.out"
else
	not_ok "promtool not found (install the prometheus package)"
fi
check "SIGTERM exits 0" stop_daemon

# No targets configured: every process, one group named "all".
cat >"$WORK/all.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "history": 10 }
JSON
start_daemon "$WORK/all.json" || exit 1
all_ok() { get "$(url /api/v1/targets)" | jq -e '.count == 1 and .targets[0].name == "all" and .targets[0].up == true and .targets[0].processes >= 3' >/dev/null; }
check "implicit all: one group named all" wait_for all 100 all_ok
has_all() { one all | jq -e --argjson a "$A2" --argjson s "$SPIN" --argjson d "$DAEMON_PID" '(.pids | index($a) != null) and (.pids | index($s) != null) and (.pids | index($d) != null)' >/dev/null; }
check "implicit all: members include the processes started" wait_for allpids 50 has_all
check "implicit all: configured names are gone" expect_err 404 /api/v1/targets/alpha
check "SIGTERM exits 0 (all)" stop_daemon

finish
