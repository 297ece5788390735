#!/bin/bash
# End-to-end: the web dashboard in a real browser.  Debian's headless
# chromium, driven by playwright-core (tests/browser/, from its lockfile),
# loads the page from a procwatchd watching test processes, one of them
# named with HTML.  The static files' headers and the path allowlist are
# checked with curl first.  The history is on disk (state_dir in WORK):
# a process that lived a few seconds and was killed, and a restart of the
# daemon (a gap in the spinner's history), are there for the time-range
# picker and the replay view.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${PW_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "$CHROMIUM not found (scripts/deps.sh installs chromium)"
command -v node >/dev/null && command -v npm >/dev/null ||
    skip "node or npm not found (scripts/deps.sh installs nodejs and npm)"

npm_setup browser dashboard.test.mjs

HOSTILE_COMM='<img src=x>'
HOSTILE_CMD='<img src=x onerror=alert(1)>'
spawn SPIN "$PW_TARGET" spin
spawn MEM "$PW_TARGET" mem 32
spawn HOSTILE "$PW_TARGET" name "$HOSTILE_COMM" "$HOSTILE_CMD"
spawn VICTIM sleep 600
T0_MS=$(date +%s%3N)
mkdir -p "$WORK/state"

cat >"$WORK/dash.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 250,
  "history": 600,
  "state_dir": "$WORK/state",
  "targets": [
    { "name": "spin", "pid": $SPIN },
    { "name": "mem", "pid": $MEM },
    { "name": "hostile", "pid": $HOSTILE },
    { "name": "victim", "pid": $VICTIM },
    { "name": "self", "pid": "self" }
  ],
  "rules": { "builtin": false, "custom": [
    { "name": "spin_hot", "metric": "cpu_percent", "op": ">",
      "threshold": 2, "severity": "critical", "targets": ["spin"],
      "message": "spinning: CPU above 2 %" }
  ] }
}
JSON
start_daemon "$WORK/dash.json" || exit 1

has_all() {
	get "$(url /api/v1/processes)" | jq -e --argjson a "$SPIN" \
	    --argjson b "$MEM" --argjson c "$HOSTILE" \
	    '[.processes[].pid] as $p | ($p | index($a)) and ($p | index($b)) and ($p | index($c))' >/dev/null
}
wait_for "targets listed" 100 has_all

# The victim lives on for 2 s after ALIVE_MS, then is killed; once its
# exit is on disk the daemon restarts on the same state directory.
check "the history is on disk" sh -c "curl -sf $(url /healthz) | jq -e '.history.on' >/dev/null"
victim_seen() { get "$(url /api/v1/processes)" | jq -e --argjson v "$VICTIM" '[.processes[].pid] | index($v)' >/dev/null; }
wait_for "victim sampled" 100 victim_seen
wait_cycles 4
ALIVE_MS=$(date +%s%3N)
wait_cycles 8
kill "$VICTIM"
wait "$VICTIM" 2>/dev/null
victim_exit() { get "$(url "/api/v1/events?since=-10m&until=now")" | jq -e --argjson v "$VICTIM" '[.events[] | select(.kind == "process" and .pid == $v)] | length > 0' >/dev/null 2>&1; }
check "the victim's exit is in the history" wait_for "victim exit" 100 victim_exit
wait_cycles 4
stop_daemon
sleep 1
start_daemon "$WORK/dash.json" || exit 1
wait_for "targets listed after the restart" 100 has_all
gap() { get "$(url "/api/v1/processes/$SPIN/samples?since=$((T0_MS / 1000))&until=now&resolution=raw")" | jq -e '(.gaps | length) >= 1' >/dev/null 2>&1; }
check "the restart is a gap in the spinner's history" wait_for "gap" 50 gap

# Headers and the allowlist, as a client sees them.
hdr() { curl -s -D - -o /dev/null "$(url "$1")" | tr -d '\r'; }
hdr / >"$WORK/h_index"
check "/ is HTML" grep -qi '^content-type: text/html; charset=utf-8$' "$WORK/h_index"
check "/ has nosniff" grep -qi '^x-content-type-options: nosniff$' "$WORK/h_index"
check "/ has Cache-Control: no-cache" grep -qi '^cache-control: no-cache$' "$WORK/h_index"
check "/ has the CSP" grep -qi "^content-security-policy: default-src 'none'; script-src 'self'; style-src 'self';.*frame-ancestors 'none'" "$WORK/h_index"
check "/app.js is JavaScript" sh -c "curl -s -D - -o /dev/null $(url /app.js) | grep -qi '^content-type: text/javascript'"
check "/app.css is CSS" sh -c "curl -s -D - -o /dev/null $(url /app.css) | grep -qi '^content-type: text/css'"
check "dygraph.min.js is served" sh -c "curl -sf $(url /static/dygraphs/dygraph.min.js) | cmp -s - /usr/share/javascript/dygraphs/dygraph.min.js"
for p in '/static/dygraphs/../../../etc/passwd' \
    '/static/dygraphs/%2e%2e/%2e%2e/%2e%2e/etc/passwd' \
    '/static/dygraphs/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd' \
    '/static/dygraphs/..%2f..%2fdygraph.min.js' '/static/dygraphs/index.js' \
    '/static/dygraphs/dygraph.min.js.map' '/static/dygraphs/' '/index.html' \
    '/app.js/' '/static/app.js'; do
	check "404 for $p" sh -c "[ \"\$(curl -s --path-as-is -o /dev/null -w '%{http_code}' '$(url "$p")')\" = 404 ]"
done
check "POST / is 405" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST $(url /))\" = 405 ]"

# The config's rule spin_hot must be listed and fire for the spinner; the
# browser test then looks for it in the alerts panel.
ALERT_RULE=spin_hot
rule_listed() { get "$(url /api/v1/rules)" | jq -e --arg r "$ALERT_RULE" '[.. | objects | select(.name? == $r)] | length > 0' >/dev/null 2>&1; }
check "the rule $ALERT_RULE is listed" wait_for "rule listed" 50 rule_listed
rule_fires() { get "$(url "/api/v1/alerts?state=firing")" | jq -e --arg r "$ALERT_RULE" '[.alerts[] | select(.rule == $r)] | length > 0' >/dev/null 2>&1; }
check "the rule $ALERT_RULE fires for the spinner" wait_for "rule fires" 100 rule_fires

# The spinner needs a few samples for its CPU and the rule's state.
spin_ok() { get "$(url "/api/v1/processes/$SPIN/samples?limit=4")" | jq -e '[.samples[] | .cpu_percent // 0] | length >= 3' >/dev/null; }
wait_for "spinner sampled" 100 spin_ok

PROFILE=$(mktemp -d "$WORK/chromium.XXXXXX")
PW_URL=$(url "") PW_PIDS="$SPIN,$MEM,$HOSTILE,$DAEMON_PID" \
    PW_SPIN_PID=$SPIN PW_HOSTILE_PID=$HOSTILE \
    PW_VICTIM_PID=$VICTIM PW_ALIVE_MS=$ALIVE_MS PW_T0_MS=$T0_MS \
    PW_HOSTILE_COMM=$HOSTILE_COMM PW_HOSTILE_CMD=$HOSTILE_CMD \
    PW_ALERT_RULE=$ALERT_RULE PW_SCREENSHOT="$PW_BUILDDIR/dashboard.png" \
    PW_PROFILE="$PROFILE" PW_CHROMIUM="$CHROMIUM" \
    node "$NODEDIR/dashboard.test.mjs" >"$WORK/node.out" 2>&1
node_rc=$?
cat "$WORK/node.out"
PASSED=$((PASSED + $(grep -c '^ok - ' "$WORK/node.out")))
FAILED=$((FAILED + $(grep -c '^not ok - ' "$WORK/node.out")))
[ $node_rc -eq 0 ] || grep -q '^not ok - ' "$WORK/node.out" ||
    not_ok "the browser test exited $node_rc"
check "SIGTERM exits 0" stop_daemon

# Without the chart library the page says so and still works; without a
# history on disk its replay says why it cannot.
mkdir -p "$WORK/empty"
cat >"$WORK/nodyg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 250, "history_disk": false,
  "dygraphs_dir": "$WORK/empty", "targets": [ { "name": "self", "pid": "self" } ] }
JSON
start_daemon "$WORK/nodyg.json" || exit 1
check "dygraphs missing: 404" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $(url /static/dygraphs/dygraph.min.js))\" = 404 ]"
PROFILE=$(mktemp -d "$WORK/chromium.XXXXXX")
PW_URL=$(url "") PW_MODE=nodygraphs PW_PROFILE="$PROFILE" \
    PW_CHROMIUM="$CHROMIUM" \
    node "$NODEDIR/dashboard.test.mjs" >"$WORK/node2.out" 2>&1
node_rc=$?
cat "$WORK/node2.out"
PASSED=$((PASSED + $(grep -c '^ok - ' "$WORK/node2.out")))
FAILED=$((FAILED + $(grep -c '^not ok - ' "$WORK/node2.out")))
[ $node_rc -eq 0 ] || grep -q '^not ok - ' "$WORK/node2.out" ||
    not_ok "the browser test (no Dygraph) exited $node_rc"
check "SIGTERM exits 0 (no Dygraph)" stop_daemon

finish
