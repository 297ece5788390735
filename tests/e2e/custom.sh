#!/bin/bash
# End-to-end: custom metric series.  Push values over HTTP and read them
# back from the process JSON, /api/v1/custom and /metrics (promtool
# clean); the API token (401 without, 200 with); exec sources that print
# values, hang (killed at the timeout while sampling stays on time) and
# exit non-zero (counted); the example dirsize plugin; a plugin with the
# wrong ABI refused; an alert rule on a custom metric that fires and
# resolves.
. "$(dirname "$0")/lib.sh"

TOKEN="tok-$$-0123456789abcdef"
AUTH="Authorization: Bearer $TOKEN"
INTERVAL=200
DIRSIZE="$PW_BUILDDIR/plugins/.libs/dirsize.so"
BADABI="$PW_BUILDDIR/tests/unit/.libs/plugin_badabi.so"

spawn TGT "$PW_TARGET" sleep
mkdir -p "$WORK/bin" "$WORK/data"
chmod 755 "$WORK/bin"
printf 'hello world\n' >"$WORK/data/a.txt"	# 12 bytes
printf '1234567890\n' >"$WORK/data/b.txt"	# 11 bytes
cat >"$WORK/bin/probe" <<'SH'
#!/bin/sh
echo "# a probe"
echo "probe_conns 17"
echo 'probe_latency{pct="50"} 0.25'
echo "this is garbage" >&2
SH
cat >"$WORK/bin/hang" <<SH
#!/bin/sh
sleep 30 &
echo \$! >>"$WORK/hang.pids"
echo "hang_started 1"
sleep 30
SH
cat >"$WORK/bin/fail" <<'SH'
#!/bin/sh
echo "fail_value 1"
echo "broken" >&2
exit 3
SH
cat >"$WORK/bin/json" <<'SH'
#!/bin/sh
echo '{"json_one": 1.5, "json_two": 2}'
SH
chmod 755 "$WORK/bin/"*

cat >"$WORK/custom.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": $INTERVAL,
  "history": 200,
  "state_dir": "$WORK",
  "targets": [ { "name": "tgt", "pid": $TGT } ],
  "api_token": "$TOKEN",
  "rules": { "custom": [ {
    "name": "queue_high", "metric": "queue_size", "op": ">",
    "threshold": 100, "severity": "warning", "targets": ["tgt"]
  } ] },
  "sources": [
    { "type": "exec", "name": "probe", "command": ["$WORK/bin/probe"],
      "interval_ms": 300, "timeout_ms": 2000, "target": "tgt" },
    { "type": "exec", "name": "hang", "command": ["$WORK/bin/hang"],
      "interval_ms": 1500, "timeout_ms": 700 },
    { "type": "exec", "name": "fail", "command": ["$WORK/bin/fail"],
      "interval_ms": 500, "timeout_ms": 1000 },
    { "type": "exec", "name": "json", "command": ["$WORK/bin/json"],
      "interval_ms": 500 }
  ],
  "plugins": [ { "path": "$DIRSIZE",
      "config": { "dir": "$WORK/data", "name": "data" } } ]
}
JSON
start_daemon "$WORK/custom.json" || exit 1
# Pushes name $TGT's pid: wait until it is sampled (under valgrind the
# first cycle may end after the first push).
sampled() { get "$(url "/api/v1/processes/$TGT")" >/dev/null && [ "$(status)" = 200 ]; }
wait_for "first sample of $TGT" 150 sampled

# push BODY [curl args]: post (lib.sh) to /api/v1/custom.
push() { post /api/v1/custom "$@"; }

# --- the token -------------------------------------------------------------
push "{\"name\":\"queue_size\",\"value\":42,\"pid\":$TGT}" >/dev/null
check "push without a token is 401" [ "$(status)" = 401 ]
check "401 names the scheme" jq -e '.error | test("Bearer")' "$WORK/body"
curl -s -D "$WORK/hdr" -o /dev/null -X POST -d '{}' "$(url /api/v1/custom)"
check "401 has WWW-Authenticate: Bearer" grep -qi '^WWW-Authenticate: Bearer' "$WORK/hdr"
push "{\"name\":\"queue_size\",\"value\":42,\"pid\":$TGT}" -H "Authorization: Bearer wrong-token-xxxxxxxxx" >/dev/null
check "a wrong token is 401" [ "$(status)" = 401 ]
get "$(url /api/v1/custom)" >/dev/null
check "reads stay open" [ "$(status)" = 200 ]

# --- push --------------------------------------------------------------------
push "{\"name\":\"queue_size\",\"value\":42,\"pid\":$TGT}" -H "$AUTH" >/dev/null
check "push with the token is 200" [ "$(status)" = 200 ]
push '[{"name":"host_load","value":1.5,"labels":{"zone":"a"}},{"name":"hits","value":7,"target":"tgt","ts":"2030-01-01T00:00:00Z"}]' -H "$AUTH" >/dev/null
check "batch push is 200" [ "$(status)" = 200 ]
check "batch accepted 2" jq -e '.accepted == 2' "$WORK/body"
push '[{"name":"ok","value":1},{"name":"ok","value":2},{"name":"ok","value":3},{"name":"bad","value":"x"}]' -H "$AUTH" >/dev/null
check "bad item is 400" [ "$(status)" = 400 ]
check "400 names index and field" jq -e '.error == "[3].value: must be a finite number"' "$WORK/body"
push '{"name":"bad name","value":1}' -H "$AUTH" >/dev/null
check "bad name is 400 naming the field" jq -e '.error | startswith("name:")' "$WORK/body"
push '{"name":"x","value":1,"pid":1,"target":"tgt"}' -H "$AUTH" >/dev/null
check "pid and target is 400" [ "$(status)" = 400 ]
push '{"name":"x","value":1,"target":"nosuch"}' -H "$AUTH" >/dev/null
check "unknown target is 400" jq -e '.error | startswith("target:")' "$WORK/body"
push '{"name":"x","value":1,"labels":{"__x":"y"}}' -H "$AUTH" >/dev/null
check "reserved label is 400" [ "$(status)" = 400 ]
head -c 70000 /dev/zero | tr '\0' ' ' >"$WORK/big"
curl -s -o /dev/null -w '%{http_code}' -X POST -H "$AUTH" --data-binary @"$WORK/big" "$(url /api/v1/custom)" >"$WORK/status"
check "a body over the cap is 413" [ "$(status)" = 413 ]
get "$(url /api/v1/custom)" >"$WORK/list.json"
check "no series from the rejected batch" jq -e '[.series[] | select(.name == "ok")] | length == 0' "$WORK/list.json"

get "$(url "/api/v1/processes/$TGT")" >"$WORK/proc.json"
check "process JSON has custom.queue_size" jq -e '.custom.queue_size == 42' "$WORK/proc.json"
check "list shows the process series" jq -e --argjson p "$TGT" '.series[] | select(.name == "queue_size" and .scope == "process" and .pid == $p and .source == "push" and .stale == false)' "$WORK/list.json"
check "list shows labels and target series" jq -e '(.series[] | select(.name == "host_load") | .labels.zone == "a") and (.series[] | select(.name == "hits") | .target == "tgt" and .ts == "2030-01-01T00:00:00.000Z")' "$WORK/list.json"

# --- exec sources and the plugin -------------------------------------------
has_series() { get "$(url /api/v1/custom)" | jq -e --arg n "$1" '.series[] | select(.name == $n)' >/dev/null; }
check "exec source values arrive" wait_for probe 50 has_series probe_conns
check "dirsize plugin values arrive" wait_for plugin 50 has_series data_size_bytes
check "JSON-object output is parsed" wait_for json 50 has_series json_two
get "$(url /api/v1/custom)" >"$WORK/list.json"
check "probe series is the target's, with its source" jq -e '.series[] | select(.name == "probe_conns") | .value == 17 and .target == "tgt" and .source == "probe"' "$WORK/list.json"
check "probe labels parsed" jq -e '.series[] | select(.name == "probe_latency") | .labels.pct == "50" and .value == 0.25' "$WORK/list.json"
check "dirsize reports 23 bytes in 2 files" jq -e '(.series[] | select(.name == "data_size_bytes") | .value == 23 and .source == "dirsize") and (.series[] | select(.name == "data_files") | .value == 2)' "$WORK/list.json"

hang_timeouts() { get "$(url /api/v1/custom)" | jq -e '.sources[] | select(.name == "hang") | .errors.timeout >= 2' >/dev/null; }
fail_exits() { get "$(url /api/v1/custom)" | jq -e '.sources[] | select(.name == "fail") | .errors.exit >= 1' >/dev/null; }
check "hanging source is killed at its timeout (twice)" wait_for hang 60 hang_timeouts
check "failing source's exit is counted" wait_for fail 30 fail_exits
get "$(url /api/v1/custom)" >"$WORK/list.json"
check "failing source's last error says why" jq -e '.sources[] | select(.name == "fail") | .last_error | test("status 3")' "$WORK/list.json"
check "values of a failed run are not stored" jq -e '[.series[] | select(.name == "fail_value")] | length == 0' "$WORK/list.json"
first_bg=$(head -1 "$WORK/hang.pids")
# Gone, or a zombie nobody reaps (pid 1 of a container may not).
is_dead() { st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null); [ -z "$st" ] || [ "$st" = Z ]; }
check "the hang's background child died with its group" is_dead "$first_bg"

# Sampling stayed on time while sources hung: sample spacing.
get "$(url "/api/v1/processes/$TGT/samples?limit=40")" >"$WORK/samples.json"
check "at least 10 samples while sources ran" jq -e ".samples | length >= 10" "$WORK/samples.json"
# The daemon's own timestamps: consecutive samples of the target.
max_gap_ms() {
	jq -r '[.samples[].ts | (.[0:19] + "Z" | fromdateiso8601) * 1000 + (.[20:23] | tonumber)] | [range(1; length) as $i | .[$i] - .[$i-1]] | max' "$WORK/samples.json"
}
gap=$(max_gap_ms)
echo "# largest gap between samples: $gap ms (interval $INTERVAL ms)"
# Valgrind runs one thread at a time (601 ms once): there the check is
# that the hang (700 ms, then its timeout) did not hold sampling twice over.
max_gap=500; [ -n "${PW_VALGRIND:-}" ] && max_gap=1400
check "max sample gap under $max_gap ms (the hang times out at 700)" [ "${gap:-99999}" -lt "$max_gap" ]

# --- /metrics ------------------------------------------------------------------
get "$(url /metrics)" >"$WORK/metrics.txt"
check "metrics: process series with pid/name/target" grep -q "^procwatch_custom_queue_size{pid=\"$TGT\",name=\"pw_target\",target=\"tgt\"} 42$" "$WORK/metrics.txt"
check "metrics: labelled host series" grep -q '^procwatch_custom_host_load{zone="a"} 1.5$' "$WORK/metrics.txt"
check "metrics: exec source series" grep -q '^procwatch_custom_probe_conns{target="tgt"} 17$' "$WORK/metrics.txt"
check "metrics: HELP once per family" [ "$(grep -c '^# HELP procwatch_custom_queue_size ' "$WORK/metrics.txt")" = 1 ]
check "metrics: source errors counted" grep -q '^procwatch_source_errors_total{source="hang",reason="timeout"} [1-9]' "$WORK/metrics.txt"
: "${PROMTOOL:=$(command -v promtool)}"
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
	"$PROMTOOL" check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1
	rc=$?
	cat "$WORK/promtool.out"
	check "promtool check metrics exits 0" [ "$rc" -eq 0 ]
	check "promtool check metrics has no complaint" [ ! -s "$WORK/promtool.out" ]
else
	skip_part "promtool not found: the Prometheus format check of /metrics"
fi

# --- windowed statistics of a custom series ---------------------------------
push "{\"name\":\"queue_size\",\"value\":44,\"pid\":$TGT}" -H "$AUTH" >/dev/null
get "$(url "/api/v1/processes/$TGT/stats?window=1m&metrics=custom:queue_size")" >"$WORK/stats.json"
check "stats of custom:queue_size" jq -e '.metrics["custom:queue_size"].count == 2 and .metrics["custom:queue_size"].max == 44' "$WORK/stats.json"
get "$(url "/api/v1/processes/$TGT/stats?window=1m&metrics=queue_size,cpu_percent")" >"$WORK/stats.json"
check "stats by plain name" jq -e '.metrics["queue_size"].avg == 43 and (.metrics.cpu_percent | type) == "object"' "$WORK/stats.json"

# --- an alert rule on a custom metric ---------------------------------------
alert_state() { get "$(url '/api/v1/alerts?state=all')" | jq -e --arg s "$1" '.alerts[] | select(.rule == "queue_high" and .state == $s)' >/dev/null; }
push "{\"name\":\"queue_size\",\"value\":500,\"pid\":$TGT}" -H "$AUTH" >/dev/null
check "alert on queue_size fires" wait_for firing 30 alert_state firing
push "{\"name\":\"queue_size\",\"value\":3,\"pid\":$TGT}" -H "$AUTH" >/dev/null
check "alert on queue_size resolves" wait_for resolved 30 alert_state resolved

check "daemon stops cleanly" stop_daemon

# --- a plugin with the wrong ABI is refused ----------------------------------
cat >"$WORK/bad.json" <<JSON
{ "listen": "127.0.0.1:0", "targets": [ { "name": "t", "pid": $TGT } ],
  "state_dir": "$WORK",
  "plugins": [ { "path": "$BADABI" } ] }
JSON
"$PROCWATCHD" --config "$WORK/bad.json" >"$WORK/bad.out" 2>&1
rc=$?
cat "$WORK/bad.out"
check "wrong-ABI plugin: the daemon refuses to start" [ "$rc" -ne 0 ]
check "wrong-ABI plugin: the message says why" grep -q "ABI version 2, but this procwatchd speaks version 1" "$WORK/bad.out"

# --- unsafe paths and token files are refused --------------------------------
chmod 777 "$WORK/bin/probe"
cat >"$WORK/unsafe.json" <<JSON
{ "sources": [ { "type": "exec", "name": "p", "command": ["$WORK/bin/probe"] } ] }
JSON
"$PROCWATCHD" --config "$WORK/unsafe.json" --check-config >"$WORK/unsafe.out" 2>&1
check "world-writable command refused" grep -q 'sources\[0\].command\[0\]: .*writable by group or others' "$WORK/unsafe.out"
printf '%s\n' "$TOKEN" >"$WORK/token"
chmod 644 "$WORK/token"
echo "{ \"api_token_file\": \"$WORK/token\" }" >"$WORK/tokfile.json"
"$PROCWATCHD" --config "$WORK/tokfile.json" --check-config >"$WORK/tok.out" 2>&1
check "readable token file refused naming the field" grep -q 'api_token_file: .*group or others' "$WORK/tok.out"
chmod 600 "$WORK/token"
check "private token file accepted" "$PROCWATCHD" --config "$WORK/tokfile.json" --check-config

finish
