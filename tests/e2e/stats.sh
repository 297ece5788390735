#!/bin/bash
# End-to-end: windowed statistics, bottlenecks, threads and baselines
# against real processes that leak memory, leak descriptors and spin.
. "$(dirname "$0")/lib.sh"

spawn LEAK "$PW_TARGET" leak 4
# 60 held of a limit of 100: an fds entry for its share of the limit.
# (Descriptors that grow are a leak only after 30 s of start-up and 30 s
# of growth: that rule is unit-tested, test_bottleneck.c.)
spawn FDL prlimit --nofile=100:100 "$PW_TARGET" fds 60
spawn SPIN "$PW_TARGET" spin

cat >"$WORK/stats.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 300,
  "targets": [
    { "name": "leak", "pid": $LEAK },
    { "name": "fdleak", "pid": $FDL },
    { "name": "spin", "pid": $SPIN },
    { "name": "threads", "cmdline": "pw_target threads 4 stats-$$\$" }
  ]
}
JSON

start_daemon "$WORK/stats.json" || exit 1

bn() { get "$(url "/api/v1/bottlenecks?window=$1&limit=100")"; }

# Enough samples for trends: 6 s at 200 ms.
count_ok() { get "$(url "/api/v1/processes/$LEAK/stats?window=6s&metrics=rss_bytes")" | jq -e '.count >= 25' >/dev/null; }
check "a 6 s window fills" wait_for count 100 count_ok

# A process's first 30 s are start-up and a leak needs 30 s of sustained
# growth after that (README, "Leaks"): tests/e2e/quiet.sh waits for one.
# Until then its memory entry says it grows, and there is no leak entry.
young_ok() { bn 6s | jq -e --argjson p "$LEAK" '([.bottlenecks[] | select(.pid == $p and .type == "memory")][0] | .evidence.rss_bytes > 0 and (.suggestions | any(test("leak entry")) | not)) and ([.bottlenecks[] | select(.pid == $p and .type == "leak")] | length == 0)' >/dev/null; }
check "a young leaking process grows but is not yet a leak" wait_for young 40 young_ok
fds_ok() { bn 6s | jq -e --argjson p "$FDL" '[.bottlenecks[] | select(.pid == $p and .type == "fds")][0] | .evidence.fd_usage > 0.6 and .evidence.fd_usage < 0.75 and .evidence.limit == 100 and .severity == "medium" and (.description | test("of its limit of 100")) and (.suggestions | length) > 0' >/dev/null; }
check "descriptors near the limit show as fds, medium at 63 %" wait_for fds 40 fds_ok
# The spinner's severity is its share of the host's CPUs (README,
# "Severities"): on this shared machine it may get less than a core, so
# the check is that the severity follows from the evidence.
ncpu=$(grep -c '^cpu[0-9]' /proc/stat)
SEV='(.evidence.cores / .evidence.capacity_cores) as $s | if $s >= 0.75 then "critical" elif $s >= 0.5 then "high" elif $s >= 0.25 or .evidence.cores >= 0.5 then "medium" else "low" end'
spin_ok() { bn 6s | jq -e --argjson p "$SPIN" --argjson n "$ncpu" "[.bottlenecks[] | select(.type == \"cpu\")][0] | .pid == \$p and .severity == ($SEV) and .impact_score > 0.5 and .evidence.capacity_cores == \$n and .evidence.capacity_from == \"host CPUs\" and (.description | test(\"of monitored CPU\"))" >/dev/null; }
check "spinner tops the CPU list; its severity is its share of the host" wait_for spin 40 spin_ok
bn 6s >"$WORK/bn.json"
check "bottleneck entries have every field" jq -e '.count == (.bottlenecks | length) and all(.bottlenecks[]; has("pid","name","target","type","severity","impact_score","description","suggestions","evidence"))' "$WORK/bn.json"
check "a high cpu entry links to a profile, a lower one not" jq -e --argjson p "$SPIN" '[.bottlenecks[] | select(.pid == $p and .type == "cpu")][0] | if .severity == "high" or .severity == "critical" then .profile_url == "/api/v1/processes/\($p)/profile" else has("profile_url") | not end' "$WORK/bn.json"
check "single-threaded spinner says so" jq -e --argjson p "$SPIN" '[.bottlenecks[] | select(.pid == $p and .type == "cpu")][0].suggestions | any(test("single-threaded"))' "$WORK/bn.json"
get "$(url "/api/v1/bottlenecks?window=6s&limit=1")" >"$WORK/bn1.json"
check "limit cuts the list" jq -e ".count == 1" "$WORK/bn1.json"

# Per-process statistics.
get "$(url "/api/v1/processes/$LEAK/stats?window=6s&metrics=rss_bytes,cpu_percent,open_fds")" >"$WORK/st.json"
check "stats 200" [ "$(status)" = 200 ]
check "stats reports span and count" jq -e '.count >= 25 and .span_s > 4 and .span_s <= 6.2 and .window_s == 6 and (.metrics | keys) == ["cpu_percent","open_fds","rss_bytes"]' "$WORK/st.json"
check "stats figures are ordered" jq -e '.metrics.rss_bytes | .min <= .p50 and .p50 <= .p95 and .p95 <= .p99 and .p99 <= .max and .min <= .avg and .avg <= .max and .ci95[0] <= .avg and .avg <= .ci95[1] and .stddev > 0' "$WORK/st.json"
check "RSS trend is growing" jq -e '.metrics.rss_bytes.trend.direction == "growing" and .metrics.rss_bytes.trend.slope_per_min > 0 and .metrics.rss_bytes.trend.r2 > 0.5' "$WORK/st.json"
check "regression against the previous window" jq -e '.metrics.rss_bytes.regression.against == "previous_window" and (.metrics.rss_bytes.regression.p_value | type) == "number" and .metrics.rss_bytes.regression.change > 0' <(get "$(url "/api/v1/processes/$LEAK/stats?window=2s&metrics=rss_bytes")")
check "cpu has no trend" jq -e '.metrics.cpu_percent | has("trend") | not' "$WORK/st.json"
get "$(url "/api/v1/processes/$FDL/stats?window=1h")" >"$WORK/all.json"
check "window bounded by the ring" jq -e '.window_covered == false and .span_s < 3600 and (.metrics | length) == 20 and .metrics.fd_usage.max > 0 and .metrics.fd_usage.max < 1' "$WORK/all.json"

# Errors.
check "bad window 400" expect_err 400 "/api/v1/processes/$LEAK/stats?window=soon"
check "zero window 400" expect_err 400 "/api/v1/bottlenecks?window=0s"
check "unknown metric 400" expect_err 400 "/api/v1/processes/$LEAK/stats?metrics=rss_bytes,bogus"
check "unknown metric is named" jq -e '.error | test("bogus")' "$WORK/err.json"
check "stats of unknown pid 404" expect_err 404 "/api/v1/processes/999999999/stats"
check "bad bottleneck limit 400" expect_err 400 "/api/v1/bottlenecks?limit=0"

# Averages.
get "$(url "/api/v1/averages?window=6s")" >"$WORK/avg.json"
check "averages over all" jq -e '.all.processes == 3 and .all.avg_cpu_percent > 0 and (.all.total_cpu_percent - .all.avg_cpu_percent * 3 | fabs) < 0.001 and .all.avg_rss_bytes > 0 and (.targets | map(.target) | sort) == ["fdleak","leak","spin"]' "$WORK/avg.json"
check "averages for one target" jq -e '.all.processes == 1 and (.targets | length) == 1 and .targets[0].target == "spin" and .targets[0].avg_cpu_percent > 10' <(get "$(url "/api/v1/averages?window=6s&target=spin")")

# Baselines.
post /api/v1/baselines "{\"name\":\"before-deploy\",\"pid\":$SPIN,\"window\":\"3s\"}" >"$WORK/bl.json"
check "baseline created 201" [ "$(status)" = 201 ]
check "baseline has summaries" jq -e --argjson p "$SPIN" '.name == "before-deploy" and .pid == $p and .metrics.cpu_percent.count > 5' "$WORK/bl.json"
get "$(url "/api/v1/processes/$LEAK/stats?window=3s&metrics=cpu_percent&baseline=before-deploy")" >"$WORK/blr.json"
check "stats against a baseline" jq -e '.baseline == "before-deploy" and .metrics.cpu_percent.regression.against == "baseline" and .metrics.cpu_percent.regression.change < 0 and .metrics.cpu_percent.regression.significant == true' "$WORK/blr.json"
check "unknown baseline 404" expect_err 404 "/api/v1/processes/$LEAK/stats?baseline=nope"
check "invalid JSON body 400" sh -c "curl -s -o '$WORK/e.json' -w '%{http_code}' -X POST --data-binary '{\"name\":' $(url /api/v1/baselines) | grep -q 400 && jq -e '.error | test(\"invalid JSON\")' '$WORK/e.json'"
check "missing name 400" sh -c "curl -s -o '$WORK/e.json' -w '%{http_code}' -X POST --data-binary '{\"pid\":$SPIN}' $(url /api/v1/baselines) | grep -q 400 && jq -e '.error | test(\"name\")' '$WORK/e.json'"
head -c 70000 /dev/zero | tr '\0' ' ' >"$WORK/big.txt"
check "oversized body 413" sh -c "curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @'$WORK/big.txt' $(url /api/v1/baselines) | grep -q 413"
check "GET on baselines is 405" expect_err 405 /api/v1/baselines

# One hot thread among four.
kill -KILL "$SPIN"; wait "$SPIN" 2>/dev/null
spawn THR "$PW_TARGET" threads 4 "stats-$$"
thr_ok() { get "$(url "/api/v1/processes/$THR/threads")" | jq -e '.count == 4 and .hot_thread.name == "hot-worker" and (.summary | test("hot-worker"))' >/dev/null; }
check "threads names the hot thread" wait_for threads 50 thr_ok
sleep 1
get "$(url "/api/v1/processes/$THR/threads")" >"$WORK/thr.json"
check "threads measured since the previous request" jq -e '.basis == "since_previous_request" and .hot_thread.share > 0.8 and ([.threads[] | select(.name == "idle-worker")] | length) == 2' "$WORK/thr.json"
thr_bn_ok() { bn 2s | jq -e --argjson p "$THR" '[.bottlenecks[] | select(.type == "cpu")][0] | .pid == $p and .evidence.hot_thread.name == "hot-worker" and (.description | test("hot-worker")) and (.suggestions | any(test("hot-worker")))' >/dev/null; }
check "bottleneck names the hot thread" wait_for thrbn 40 thr_bn_ok

check "SIGTERM exits 0" stop_daemon
[ -n "${PW_KEEP_LOG:-}" ] && cp "$WORK/daemon.log" "$PW_KEEP_LOG"
finish
