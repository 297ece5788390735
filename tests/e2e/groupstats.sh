#!/bin/bash
# End-to-end: windowed statistics and bottlenecks of targets as groups,
# GET /api/v1/targets/{name}/stats and GET /api/v1/bottlenecks?by=target,
# against real processes: a spinner ("busy"), two sleepers ("idle") and a
# parent that forks short-lived CPU-burning children ("burst"), whose CPU
# only the group's cumulative ticks can show.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" = 0 ]; then
	spawn SPIN nice -n -10 "$PW_TARGET" spin
else
	spawn SPIN "$PW_TARGET" spin
fi
spawn I1 "$PW_TARGET" sleep gs-idle-$$
spawn I2 "$PW_TARGET" sleep gs-idle-$$
# 40 children of 20 ms of CPU each, one after another: 0.8 CPU-seconds.
spawn FORK "$PW_TARGET" forkburn 40 20 "$WORK/go"

cat >"$WORK/groupstats.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 600,
  "targets": [
    { "name": "busy", "pid": $SPIN },
    { "name": "idle", "cmdline": "pw_target sleep gs-idle-$$\$" },
    { "name": "burst", "pid": $FORK }
  ],
  "rules": { "builtin": { "high_cpu": false, "high_memory": false,
    "file_handle_leak": false, "fd_exhaustion": false } }
}
JSON
start_daemon "$WORK/groupstats.json" || exit 1

# stats NAME [QUERY]: the target's statistics into $WORK/NAME.json.
stats() { get "$(url "/api/v1/targets/$1/stats${2:-}")" >"$WORK/$1.json"; }
counted() { stats "$1" && jq -e --argjson n "$2" '.count >= $n' "$WORK/$1.json" >/dev/null; }
check "busy has samples in its window" wait_for busy 100 counted busy 8
touch "$WORK/go"
burst_cpu() { get "$(url "/api/v1/bottlenecks?by=target")" | jq -e '.bottlenecks[] | select(.target == "burst" and .type == "cpu") | .evidence.children_cpu_seconds >= 0.5' >/dev/null; }
check "burst: reaped children's CPU shows in the group" wait_for burst 100 burst_cpu
sleep 1

stats busy '?window=1m'
check "busy stats 200" [ "$(status)" = 200 ]
cp "$WORK/busy.json" "$WORK/busy.keep"
check "busy: the per-process layout, with name and processes" jq -e \
    '.name == "busy" and .processes == 1 and .window_s == 60 and .count >= 8 and (.from | type) == "string" and (.to | type) == "string" and .capacity == 600 and (.window_covered | type) == "boolean" and (has("pid") | not)' \
    "$WORK/busy.keep"
check "busy: summaries of CPU, memory and descriptors" jq -e \
    '.metrics.cpu_percent.count >= 7 and .metrics.cpu_percent.avg > 20 and .metrics.rss_bytes.avg > 0 and (.metrics.memory_percent.avg | type) == "number" and .metrics.open_fds.avg >= 3 and (.metrics.threads.avg == 1) and (.metrics.rss_bytes.trend | type) == "object" and (.metrics.cpu_percent | has("regression"))' \
    "$WORK/busy.keep"
check "busy: fd_usage_max in place of fd_usage, with a trend" jq -e \
    '(.metrics | has("fd_usage") | not) and .metrics.fd_usage_max.count >= 1 and .metrics.fd_usage_max.max > 0 and .metrics.fd_usage_max.max < 1 and (.metrics.fd_usage_max | has("trend"))' \
    "$WORK/busy.keep"

stats idle '?window=1m'
check "idle stats 200" [ "$(status)" = 200 ]
check "idle: two processes, little CPU" jq -e \
    '.name == "idle" and .processes == 2 and .metrics.cpu_percent.avg < 5 and .metrics.threads.avg == 2' "$WORK/idle.json"
busy_avg=$(jq .metrics.cpu_percent.avg "$WORK/busy.keep")
check "busy's CPU average is well above idle's" jq -e --argjson b "$busy_avg" \
    '$b > .metrics.cpu_percent.avg + 20' "$WORK/idle.json"

stats idle '?window=30s&metrics=cpu_percent,fd_usage_max'
check "metrics= picks the series, fd_usage_max included" jq -e \
    '(.metrics | keys) == ["cpu_percent", "fd_usage_max"] and .window_s == 30' "$WORK/idle.json"
stats idle '?metrics=fd_usage'
check "metrics=fd_usage is fd_usage_max for a target" jq -e \
    '(.metrics | keys) == ["fd_usage_max"] and .window_s == 300' "$WORK/idle.json"

# Errors: JSON with the right status.
check "unknown target 404" expect_err 404 /api/v1/targets/nope/stats
check "404 names the target" jq -e '.error | test("nope")' "$WORK/err.json"
check "name with a space 400" expect_err 400 '/api/v1/targets/al%20pha/stats'
check "name too long 400" expect_err 400 "/api/v1/targets/$(printf 'a%.0s' $(seq 65))/stats"
check "bad window 400" expect_err 400 '/api/v1/targets/busy/stats?window=abc'
check "zero window 400" expect_err 400 '/api/v1/targets/busy/stats?window=0s'
check "unknown metric 400" expect_err 400 '/api/v1/targets/busy/stats?metrics=nope'
check "a bad name is 400 before a bad window" expect_err 400 '/api/v1/targets/a%20b/stats?window=abc'
check "the bad name is what it says" jq -e '.error | test("^name")' "$WORK/err.json"

# Bottlenecks by target.
get "$(url "/api/v1/bottlenecks?by=target&window=1m")" >"$WORK/bn.json"
check "bottlenecks by target 200" [ "$(status)" = 200 ]
check "by target: targets, no pids" jq -e \
    '.by == "target" and .window_s == 60 and .count == (.bottlenecks | length) and all(.bottlenecks[]; has("pid") | not) and all(.bottlenecks[]; (.target | type) == "string" and (.processes | type) == "number")' \
    "$WORK/bn.json"
check "by target: busy ranks first for CPU" jq -e \
    '[.bottlenecks[] | select(.type == "cpu")][0] | .target == "busy" and .processes == 1 and .impact_score > 0.5 and .severity == ((.evidence.cores / .evidence.capacity_cores) as $s | if $s >= 0.75 then "critical" elif $s >= 0.5 then "high" elif $s >= 0.25 or .evidence.cores >= 0.5 then "medium" else "low" end) and (.description | test("^Target .busy.")) and .evidence.cpu_seconds > 1 and (.suggestions | length) >= 1' \
    "$WORK/bn.json"
check "by target: impact scores of CPU entries add up to 1" jq -e \
    '[.bottlenecks[] | select(.type == "cpu") | .impact_score] | add | . > 0.99 and . < 1.01' "$WORK/bn.json"
check "by target: burst's CPU is its reaped children's" jq -e \
    '.bottlenecks[] | select(.target == "burst" and .type == "cpu") | .evidence.children_cpu_seconds >= 0.5 and .evidence.children_cpu_seconds <= .evidence.cpu_seconds + 0.01' \
    "$WORK/bn.json"
check "by target: limit cuts the list" jq -e '.count == 1' <(get "$(url "/api/v1/bottlenecks?by=target&limit=1")")
check "by process is the default, with pids" jq -e \
    '.by == "process" and ([.bottlenecks[] | select(.type == "cpu")][0].pid == '"$SPIN"')' \
    <(get "$(url "/api/v1/bottlenecks?window=1m")")
check "by=process as given" jq -e '.by == "process"' <(get "$(url "/api/v1/bottlenecks?by=process")")
check "unknown by 400" expect_err 400 '/api/v1/bottlenecks?by=user'
check "empty by 400" expect_err 400 '/api/v1/bottlenecks?by='

check "SIGTERM exits 0" stop_daemon
finish
