#!/bin/bash
# End-to-end: OTLP/HTTP protobuf to a local receiver (tests/otlp/, node)
# that decodes every request with the OTLP definitions bundled in
# @opentelemetry/otlp-transformer (protobufjs), from its lockfile.  The
# metrics carry the semantic conventions' names, units and attributes for
# a spinner (process.pid, service.name = its target, cpu.mode); a killed
# process's exit arrives as a log record.  The receiver is then stopped
# for 10 s and started again on its port: the backlog arrives from the
# history on disk, the spinner's samples covering the outage.  A bad
# "otlp" config is refused with a line naming the file and the field.
. "$(dirname "$0")/lib.sh"

command -v node >/dev/null && command -v npm >/dev/null ||
    skip "node or npm not found (scripts/deps.sh installs nodejs and npm)"
npm_setup otlp receive.mjs
INTERVAL=500
OUT="$WORK/otlp.jsonl"
: >"$OUT"

# start_otlp [PORT]: the receiver; sets OTLP_PID and OTLP_PORT.
start_otlp() {
	local pf="$WORK/otlp.port.$RANDOM" i
	spawn OTLP_PID node "$NODEDIR/receive.mjs" "$pf" "$OUT" "${1:-0}"
	for i in $(seq 1 100); do
		[ -s "$pf" ] && break
		sleep 0.1
	done
	[ -s "$pf" ] || { echo "not ok - the OTLP receiver did not start"; exit 1; }
	OTLP_PORT=$(cat "$pf")
}
stop_otlp() {
	local i
	kill -TERM "$OTLP_PID"
	for i in $(seq 1 50); do
		kill -0 "$OTLP_PID" 2>/dev/null || break
		sleep 0.1
	done
	check "the receiver stops on SIGTERM" sh -c "! kill -0 $OTLP_PID 2>/dev/null"
	kill -KILL "$OTLP_PID" 2>/dev/null; wait "$OTLP_PID" 2>/dev/null
	PIDS=$(echo "$PIDS" | sed "s/ $OTLP_PID\b//")
}

start_otlp
spawn SPIN "$PW_TARGET" spin
# A secret on its command line: cmdline_redact (on by default) hides it.
spawn VICTIM "$PW_TARGET" sleep --password=hunter2
cat >"$WORK/otlp.json" <<JSON
{
  "listen": "127.0.0.1:0", "interval_ms": $INTERVAL, "history": 100,
  "targets": [ { "name": "spin", "pid": $SPIN },
               { "name": "victim", "pid": $VICTIM } ],
  "otlp": { "endpoint": "http://127.0.0.1:$OTLP_PORT", "name": "collector",
            "backoff_ms": 100, "backoff_max_ms": 500,
            "catchup_cycles_per_s": 50 }
}
JSON
start_daemon "$WORK/otlp.json" || exit 1

# pts NAME: the spinner's data points of metric NAME, one JSON a line.
pts() { jq -c --arg n "$1" --argjson p "$SPIN" \
    'select(.signal == "metric" and .name == $n and .resource["process.pid"] == $p)' "$OUT"; }
has_cpu() { [ "$(pts process.cpu.time | wc -l)" -ge 4 ]; }
check "the spinner's metrics arrive" wait_for metrics 100 has_cpu
sleep 1
check "every request decoded (none refused by the receiver)" \
    [ "$(jq -c 'select(.error)' "$OUT" | wc -l)" = 0 ]
names=$(jq -r 'select(.signal == "metric") | .name' "$OUT" | sort -u | tr '\n' ' ')
echo "# metrics: $names"
for n in process.cpu.time process.cpu.utilization process.memory.usage \
    process.memory.virtual process.open_file_descriptor.count \
    process.thread.count process.context_switches process.paging.faults \
    process.disk.io; do
	check "$n is sent" grep -q " $n " <<<" $names"
done
pts process.cpu.time | tail -2 | sed 's/^/# /'
check "process.cpu.time: a cumulative monotonic sum in s, by cpu.mode, from the process's start" \
    jq -es --argjson now "$(date +%s%3N)" 'map(select(.attrs["cpu.mode"] == "user")) |
    length > 0 and all(.unit == "s" and .kind == "sum" and .monotonic == true and
    .temporality == "AGGREGATION_TEMPORALITY_CUMULATIVE" and .start_ms > $now - 120000 and
    .start_ms <= .time_ms) and (last.value > 0)' <(pts process.cpu.time)
check "process.cpu.time has cpu.mode=system too" \
    jq -es 'any(.attrs["cpu.mode"] == "system")' <(pts process.cpu.time)
check "the spinner's resource: process.pid, executable name, command line, service.name = its target, host.name" \
    jq -es --arg h "$(uname -n)" 'last.resource | .["service.name"] == "spin" and
    .["process.executable.name"] == "pw_target" and (.["process.command_line"] | test("pw_target spin")) and
    .["host.name"] == $h' <(pts process.memory.usage)
check "units: By for memory and disk I/O, {count} for descriptors, 1 for utilization" \
    jq -es 'map({(.name): .unit}) | add | .["process.memory.usage"] == "By" and
    .["process.memory.virtual"] == "By" and .["process.disk.io"] == "By" and
    .["process.open_file_descriptor.count"] == "{count}" and
    .["process.cpu.utilization"] == "1" and .["process.thread.count"] == "{thread}"' \
    <(jq -c 'select(.signal == "metric")' "$OUT")
check "the victim's command line is redacted: --password=*** and never hunter2" \
    jq -es --argjson p "$VICTIM" 'any(.[]; .signal == "metric" and .resource["process.pid"] == $p and
    (.resource["process.command_line"] | test("--password=\\*\\*\\*")))' "$OUT"
check "hunter2 is nowhere in what the receiver got" bash -c "! grep -q hunter2 '$OUT'"
check "the resident size is an up-down sum of bytes (over 100 KB)" \
    jq -es 'last | .kind == "sum" and .monotonic == false and .value > 100000' <(pts process.memory.usage)
check "attributes: context switch types, fault types, I/O directions" \
    jq -es '[.[] | .attrs | to_entries[] | "\(.key)=\(.value)"] | unique |
    index("process.context_switch_type=voluntary") != null and
    index("process.context_switch_type=involuntary") != null and
    index("process.paging.fault_type=major") != null and index("process.paging.fault_type=minor") != null and
    index("disk.io.direction=read") != null and index("disk.io.direction=write") != null' \
    <(jq -c 'select(.signal == "metric" and (.name | test("switches|faults|disk")))' "$OUT")
check "the spinner's utilization reaches 0.05 per CPU (user)" \
    jq -es 'map(select(.attrs["cpu.mode"] == "user") | .value) | max > 0.05' <(pts process.cpu.utilization)

# --- an exit as a log record -----------------------------------------------
kill -KILL "$VICTIM"; wait "$VICTIM" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $VICTIM\b//")
exit_log() { jq -es --argjson p "$VICTIM" 'any(.[]; .signal == "log" and .attrs["process.pid"] == $p)' "$OUT" >/dev/null; }
check "the killed process's exit arrives as a log record" wait_for exit-log 100 exit_log
jq -c --argjson p "$VICTIM" 'select(.signal == "log" and .attrs["process.pid"] == $p)' "$OUT" | head -1 >"$WORK/log.json"
sed 's/^/# /' "$WORK/log.json"
check "with its time, severity, body, event name and the victim's target" jq -e --argjson now "$(date +%s%3N)" \
    '.time_ms > $now - 30000 and .time_ms <= $now and (.severity | test("INFO|WARN")) and
    (.body | test("exited|signal")) and .attrs["event.name"] == "process.exit" and
    .attrs["process.executable.name"] == "pw_target" and .resource["service.name"] == "victim"' "$WORK/log.json"
# How it ended comes from the events feed (the proc connector, root).
check "killed by SIGKILL: process.exit.signal 9, severity WARN" jq -e \
    '.attrs["process.exit.signal"] == 9 and .severity == "SEVERITY_NUMBER_WARN" and (.body | test("signal 9"))' "$WORK/log.json"

# --- an outage of 10 s: the backlog comes from the history on disk --------
stop_otlp
t0=$(date +%s%3N)
sleep 4
get "$(url /metrics)" >"$WORK/m1.txt"
grep 'protocol="otlp"' "$WORK/m1.txt" | sed 's/^/# /'
check "failed requests are counted during the outage" awk \
    '$1 == "procwatch_remote_write_failed_requests_total{remote=\"collector\",protocol=\"otlp\"}" { f = $2 } END { exit !(f > 0) }' "$WORK/m1.txt"
check "cycles are pending" awk \
    '$1 == "procwatch_remote_write_pending_cycles{remote=\"collector\",protocol=\"otlp\"}" { p = $2 } END { exit !(p > 0) }' "$WORK/m1.txt"
sleep 6
t1=$(date +%s%3N)
start_otlp "$OTLP_PORT"
current() { get "$(url /metrics)" | awk '$1 == "procwatch_remote_write_pending_cycles{remote=\"collector\",protocol=\"otlp\"}" { p = $2 } END { exit !(p == 0) }'; }
check "the backlog is sent (nothing pending)" wait_for backlog 150 current
# Pending counts from the cycle going out: between two of the backlog it
# can read 0 for a moment; the backlog takes well under 2 s at 50 a second.
sleep 2
n=$(pts process.memory.usage | jq -s --argjson a "$t0" --argjson b "$t1" \
    '[.[] | select(.time_ms > $a and .time_ms < $b) | .time_ms] | unique | length')
iso() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }
# What the daemon sampled in the outage (a loaded machine can stall it:
# those cycles do not exist to be sent), from its own history.
have=$(get "$(url "/api/v1/processes/$SPIN/samples?since=$(iso "$t0")&until=$(iso "$t1")")" | jq '.count')
want=$(( (t1 - t0) / INTERVAL ))
echo "# the spinner's samples in the outage's $((t1 - t0)) ms: $n received, $have sampled, $want intervals"
pts process.memory.usage | jq -s -r --argjson a "$t0" --argjson b "$t1" \
    '[.[] | select(.time_ms > $a and .time_ms < $b) | .time_ms] | unique | map(. - $a) | "# at ms: \(.)"'
check "every sample the daemon took in the outage arrived (one at the edges aside)" [ "$n" -ge $((have - 1)) ]
check "and there were samples to send (at least half the intervals)" [ "$have" -ge $((want / 2)) ]
check "still every request decoded" [ "$(jq -c 'select(.error)' "$OUT" | wc -l)" = 0 ]
get "$(url /metrics)" >"$WORK/m2.txt"
check "sent data points are counted" awk \
    '$1 == "procwatch_remote_write_samples_total{remote=\"collector\",protocol=\"otlp\",result=\"sent\"}" { s = $2 } END { exit !(s > 0) }' "$WORK/m2.txt"
check "SIGTERM exits 0" stop_daemon

# --- bad config: a log line naming the file and the field ------------------
bad() {	# bad JSON-OF-OTLP PATTERN
	printf '{ "listen": "127.0.0.1:0", "otlp": %s }\n' "$1" >"$WORK/bad.json"
	"$PROCWATCHD" --config "$WORK/bad.json" --check-config >"$WORK/bad.out" 2>&1 && return 1
	grep -q "$WORK/bad.json.*$2" "$WORK/bad.out"
}
check "a bad endpoint URL is refused, naming otlp.endpoint" bad '{ "endpoint": "ftp://x" }' 'otlp.endpoint'
check "an unknown key is refused, naming otlp" bad '{ "endpoint": "http://127.0.0.1:1", "url": "x" }' 'otlp.*unknown key "url"'
check "a timeout of the wrong type is refused, naming otlp.timeout_ms" bad '{ "endpoint": "http://127.0.0.1:1", "timeout_ms": "10s" }' 'otlp.timeout_ms'
check "an otlp that is not an object is refused" bad '[ "http://127.0.0.1:1" ]' 'otlp'
check "the shipped example (etc/procwatchd.otlp.example.json) passes --check-config" \
    "$PROCWATCHD" --config "$PW_SRCDIR/etc/procwatchd.otlp.example.json" --check-config
stop_otlp
finish
