#!/bin/bash
# End-to-end: cmdline_redact (on by default).  A process started with
# "--password=hunter2 token=abc --api-key sesame" is selected by its
# command line as it is, but neither secret shows anywhere the daemon
# writes: the process JSON, targets, /metrics, alerts and the webhook,
# procwatchctl, the log and the state directory.  With
# "cmdline_redact": false the same command line is shown whole (so the
# checks above could fail).
. "$(dirname "$0")/lib.sh"

TAG="pw-redact-$$"
spawn SECRETIVE /usr/bin/python3 -c "import time; time.sleep(120)" "$TAG" \
    --password=hunter2 token=abc --api-key sesame
start_receiver HOOK "$WORK/hook.jsonl"
mkdir -p "$WORK/state"
write_cfg() {	# write_cfg FILE REDACT
	cat >"$1" <<JSON
{
  "listen": "127.0.0.1:0", "interval_ms": 200, "history": 50,
  "state_dir": "$WORK/state", "cmdline_redact": $2,
  "targets": [ { "name": "secretive", "cmdline": "$TAG --password=[h]unter" } ],
  "rules": { "custom": [ {
    "name": "exists", "metric": "rss_bytes", "op": ">", "threshold": 0,
    "for": "200ms", "severity": "info", "targets": ["secretive"]
  } ] },
  "receivers": [ { "name": "hook", "url": "http://127.0.0.1:$HOOK/hook" } ]
}
JSON
}
write_cfg "$WORK/redact.json" true
start_daemon "$WORK/redact.json" || exit 1
seen() { get "$(url /api/v1/processes)" | jq -e --argjson p "$SECRETIVE" \
    '[.processes[] | select(.pid == $p)] | length == 1' >/dev/null; }
check "the process is selected by its secret-bearing command line" wait_for process 50 seen
fired() { hook_has '.rule == "exists"'; }
check "its alert reaches the webhook" wait_for webhook 50 fired
get "$(url "/api/v1/processes/$SECRETIVE")" >"$WORK/proc.json"
echo "# cmdline: $(jq -r '.cmdline // .process.cmdline' "$WORK/proc.json")"
check "the command line is shown, redacted" jq -e \
    '(.cmdline // .process.cmdline) | test("--password=\\*\\*\\* token=\\*\\*\\* --api-key \\*\\*\\*$")' \
    "$WORK/proc.json"
{
	get "$(url /api/v1/processes)"
	get "$(url "/api/v1/processes/$SECRETIVE")"
	get "$(url /api/v1/targets)"
	get "$(url "/api/v1/targets/secretive")"
	get "$(url /metrics)"
	get "$(url "/alerts?state=all")"
	get "$(url /api/v1/bottlenecks)"
	get "$(url /api/v1/events)"
	"$PW_BUILDDIR/daemon/procwatchctl" -u "$(url "")" status --all 2>&1
	"$PW_BUILDDIR/daemon/procwatchctl" -u "$(url "")" show "$SECRETIVE" 2>&1
} >"$WORK/outputs.txt"
grep -o -- '.\{60\}hunter2.\{20\}' "$WORK/outputs.txt" | head -3 | sed 's/^/# leak: /'
check "SIGTERM exits 0" stop_daemon
check "the outputs were read" [ "$(wc -c <"$WORK/outputs.txt")" -gt 1000 ]
for s in hunter2 token=abc sesame; do
	check "'$s' is in no API or procwatchctl output" sh -c "! grep -q -- '$s' '$WORK/outputs.txt'"
	check "'$s' is not in the webhook's requests" sh -c "! grep -q -- '$s' '$WORK/hook.jsonl'"
	check "'$s' is not in the log" sh -c "! grep -q -- '$s' '$WORK/daemon.log'"
	check "'$s' is in no file of the state directory" sh -c "! grep -rq -- '$s' '$WORK/state'"
done

# The control: redaction off shows it all.
write_cfg "$WORK/plain.json" false
start_daemon "$WORK/plain.json" || exit 1
wait_for process 50 seen
check "cmdline_redact false: the command line is whole" jq -e \
    '(.cmdline // .process.cmdline) | test("--password=hunter2 token=abc --api-key sesame$")' \
    <(get "$(url "/api/v1/processes/$SECRETIVE")")
check "SIGTERM exits 0" stop_daemon
finish
