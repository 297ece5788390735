#!/bin/bash
# End-to-end: procwatchd samples real processes and serves them over HTTP.
. "$(dirname "$0")/lib.sh"

spawn MEM "$PW_TARGET" mem 64
spawn FDS "$PW_TARGET" fds 200
# The spinner measures CPU %, not the scheduler: on a loaded machine it
# still gets most of a core when it can have a higher priority (root).
if [ "$(id -u)" = 0 ]; then
	spawn SPIN nice -n -10 "$PW_TARGET" spin
else
	spawn SPIN "$PW_TARGET" spin
fi
spawn SLEEPER "$PW_TARGET" sleep e2e-marker-$$

cat >"$WORK/good.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 50,
  "retention_ms": 60000,
  "targets": [
    { "name": "mem", "pid": $MEM },
    { "name": "fds", "pid": $FDS },
    { "name": "spin", "pid": $SPIN },
    { "name": "marked", "cmdline": "pw_target sleep e2e-marker-$$\$" },
    { "name": "self", "pid": "self" }
  ]
}
JSON

start_daemon "$WORK/good.json" || exit 1

has_proc() { get "$(url /api/v1/processes)" | jq -e ".processes | map(.pid) | index($1) != null" >/dev/null; }
wait_for "all targets listed" 100 has_proc "$SLEEPER"

get "$(url /healthz)" >"$WORK/h.json"
check "healthz 200" [ "$(status)" = 200 ]
check "healthz status ok" jq -e '.status == "ok" and .targets == 5 and .interval_ms == 200 and (.version|type) == "string" and (.uptime_s|type) == "number"' "$WORK/h.json"

# The memory hog: RSS >= 64 MiB once sampled after it touched its pages.
rss_ok() { get "$(url /api/v1/processes/$MEM)" | jq -e '.sample.rss_bytes >= 67108864' >/dev/null; }
check "mem target RSS >= 64 MiB" wait_for rss 50 rss_ok
get "$(url /api/v1/processes/$MEM)" >"$WORK/mem.json"
check "process object fields" jq -e --argjson p "$MEM" '.pid == $p and .name == "pw_target" and .target == "mem" and .alive == true and (.cmdline | test("pw_target mem 64")) and .user == "'"$(id -un)"'" and (.start_time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and .capacity == 50' "$WORK/mem.json"
check "sample has every key" jq -e '.sample | has("ts","cpu_percent","cpu_user_percent","cpu_system_percent","rss_bytes","vms_bytes","swap_bytes","memory_percent","open_fds","fd_limit","threads","ctx_switches_voluntary","ctx_switches_involuntary","minor_faults","major_faults","read_bytes","write_bytes","state")' "$WORK/mem.json"
check "memory_percent consistent" jq -e '.sample.memory_percent > 0 and .sample.vms_bytes >= .sample.rss_bytes' "$WORK/mem.json"

fds_ok() { get "$(url /api/v1/processes/$FDS)" | jq -e '.sample.open_fds >= 200 and .sample.fd_limit >= 200' >/dev/null; }
check "fds target holds >= 200 descriptors" wait_for fds 50 fds_ok

# The spinner: CPU % > 50 over a few samples.
spin_ok() { get "$(url "/api/v1/processes/$SPIN/samples?limit=5")" | jq -e '[.samples[] | .cpu_percent // 0] | length >= 3 and (add / length) > 50' >/dev/null; }
check "spin target CPU > 50 %" wait_for spin 50 spin_ok
get "$(url "/api/v1/processes/$SPIN/samples?limit=3")" >"$WORK/s.json"
check "samples limit and order" jq -e --argjson p "$SPIN" '.pid == $p and .capacity == 50 and .count == 3 and (.samples|length) == 3 and .samples[0].ts < .samples[2].ts' "$WORK/s.json"
since=$(jq -r '.samples[1].ts' "$WORK/s.json")
get "$(url "/api/v1/processes/$SPIN/samples?since=$since")" >"$WORK/since.json"
check "samples since excludes older" jq -e --arg t "$since" '(.samples | length) >= 1 and all(.samples[]; .ts > $t)' "$WORK/since.json"

check "cmdline regex target" jq -e --argjson p "$SLEEPER" '.processes | map(select(.pid == $p))[0].target == "marked"' <(get "$(url /api/v1/processes)")
check "self target is the daemon" jq -e --argjson p "$DAEMON_PID" '.target == "self" and .pid == $p' <(get "$(url /api/v1/processes/$DAEMON_PID)")

# Errors are JSON with the right status.
check "unknown pid 404" expect_err 404 /api/v1/processes/999999999
check "bad pid 400" expect_err 400 /api/v1/processes/12abc
check "negative pid 400" expect_err 400 /api/v1/processes/-1
check "unknown path 404" expect_err 404 /api/v1/nope
check "bad limit 400" expect_err 400 "/api/v1/processes/$SPIN/samples?limit=abc"
check "zero limit 400" expect_err 400 "/api/v1/processes/$SPIN/samples?limit=0"
check "bad since 400" expect_err 400 "/api/v1/processes/$SPIN/samples?since=yesterday"
check "POST is 405" expect_err 405 /api/v1/processes -X POST
check "405 names allowed methods" sh -c "curl -s -D - -o /dev/null -X DELETE $(url /healthz) | grep -qi '^allow: .*GET'"

# Prometheus exposition.
get "$(url /metrics)" >"$WORK/metrics.txt"
check "metrics 200" [ "$(status)" = 200 ]
check "metrics has the spinner" grep -q "procwatch_process_cpu_seconds_total{.*pid=\"$SPIN\"" "$WORK/metrics.txt"
check "metrics has daemon figures" grep -q '^procwatch_samples_total [1-9]' "$WORK/metrics.txt"
if [ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ]; then
	check "promtool check metrics is clean" sh -c "\"$PROMTOOL\" check metrics <\"$WORK/metrics.txt\" >\"$WORK/promtool.out\" 2>&1 && [ ! -s \"$WORK/promtool.out\" ]"
	[ -s "$WORK/promtool.out" ] && cat "$WORK/promtool.out"
else
	not_ok "promtool not found (install the prometheus package)"
fi

# A target that exits is marked gone, its history kept.
kill -KILL "$SLEEPER"; wait "$SLEEPER" 2>/dev/null
gone_ok() { get "$(url "/api/v1/processes/$SLEEPER")" | jq -e '.alive == false and (.gone_at | type) == "string"' >/dev/null; }
check "killed target marked gone" wait_for gone 50 gone_ok
check "gone target not in live list" jq -e --argjson p "$SLEEPER" '.processes | map(.pid) | index($p) == null' <(get "$(url /api/v1/processes)")
check "gone target in ?all=1 list" jq -e --argjson p "$SLEEPER" '.processes | map(.pid) | index($p) != null' <(get "$(url "/api/v1/processes?all=1")")

check "SIGTERM exits 0" stop_daemon
check "daemon logged nothing at error level" sh -c "! grep -q '^<[0-3]>' \"$WORK/daemon.log\""

# Bad configs exit non-zero and name the file and the field.
printf '{"interval_ms": "fast"}' >"$WORK/bad1.json"
printf '{"targets": [{"name": "x", "cmdline": "(unclosed"}]}' >"$WORK/bad2.json"
printf '{"listen": "999.1.1.1:80"}' >"$WORK/bad3.json"
printf '{"interval_ms": 1000,}' >"$WORK/bad4.json"
bad_config() {	# bad_config FILE FIELD
	"$PROCWATCHD" --config "$1" >"$WORK/out" 2>&1
	local rc=$?
	[ $rc -ne 0 ] && grep -q "$1" "$WORK/out" && grep -q "$2" "$WORK/out"
}
check "bad type names the field" bad_config "$WORK/bad1.json" interval_ms
check "bad regex names the field" bad_config "$WORK/bad2.json" 'targets\[0\]\.cmdline'
check "bad listen names the field" bad_config "$WORK/bad3.json" listen
check "invalid JSON names the line" bad_config "$WORK/bad4.json" 'line 1'
check "--check-config accepts a good file" sh -c "\"$PROCWATCHD\" --check-config --config \"$WORK/good.json\" | grep -q marked"
check "--version" sh -c "\"$PROCWATCHD\" --version | grep -q '^procwatchd '"

finish
