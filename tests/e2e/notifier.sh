#!/bin/bash
# End-to-end: what each receiver setting does to the notifications a user
# gets, with real processes, real alert rules and real local receivers
# (tests/e2e/pw_receiver --headers):
#   min_severity   a receiver gets only alerts at or above it;
#   headers        the configured headers arrive with each request;
#   exec           the command gets the procwatch JSON on stdin; a command
#                  that fails is retried and counted as failed;
#   queue_max      what does not fit is dropped and counted in /metrics;
#   max_age_ms     a receiver still failing after it gives up: dropped,
#                  counted, logged, the queue empty again.
. "$(dirname "$0")/lib.sh"

lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
metric() {	# metric NAME LABELS: the value, or nothing
	grep -F "$1{$2} " "$WORK/metrics.txt" | awk '{ print $2 }'
}
scrape() { get "$(url /metrics)" >"$WORK/metrics.txt"; }
# sent RECEIVER RESULT N: procwatch_notifications_total is N now.
sent() {
	scrape
	[ "$(metric procwatch_notifications_total \
	    "receiver=\"$1\",result=\"$2\"")" = "$3" ]
}
queued() {
	scrape
	[ "$(metric procwatch_notifications_queued "receiver=\"$1\"")" = "$2" ]
}
at_least() {	# at_least RECEIVER RESULT N
	local v
	scrape
	v=$(metric procwatch_notifications_total \
	    "receiver=\"$1\",result=\"$2\"")
	[ -n "$v" ] && [ "$v" -ge "$3" ]
}

# Three processes: two idle ones and one holding 64 MiB.  Rule "busy"
# (info) fires for each of the three, rule "big" (critical) for the
# 64 MiB one only: four firing alerts, nothing resolves while they run.
spawn IDLE1 "$PW_TARGET" sleep notifier-a-$$
spawn IDLE2 "$PW_TARGET" sleep notifier-b-$$
spawn BIG "$PW_TARGET" mem 64
big_ready() { [ "$(awk '/^VmRSS:/ { print $2 }' "/proc/$BIG/status")" -ge 60000 ]; }
wait_for "the 64 MiB process" 100 big_ready || exit 1

start_receiver ALL "$WORK/all.jsonl" --headers
start_receiver HDR "$WORK/hdr.jsonl" --headers
# Ports that are free now and stay closed: every attempt is refused.
start_receiver DOWN "$WORK/unused1.jsonl"
kill -KILL "$DOWN_PID"; wait "$DOWN_PID" 2>/dev/null
start_receiver AGING "$WORK/unused2.jsonl"
kill -KILL "$AGING_PID"; wait "$AGING_PID" 2>/dev/null

mkdir -p "$WORK/bin" "$WORK/state"
# The exec receiver: one line per notification, stdin then its arguments.
cat >"$WORK/bin/on-alert" <<SH
#!/bin/sh
printf '%s\t%s:%s\n' "\$(cat)" "\$#" "\$*" >>"$WORK/exec.out"
SH
# A command that reads its input and fails: retried, then given up.
cat >"$WORK/bin/fail" <<SH
#!/bin/sh
cat >/dev/null
echo "fail ran" >>"$WORK/fail.out"
exit 3
SH
chmod +x "$WORK/bin/on-alert" "$WORK/bin/fail"

cat >"$WORK/notifier.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 50,
  "state_dir": "$WORK/state",
  "targets": [ { "name": "idle", "cmdline": "notifier-[ab]-$$\$" },
               { "name": "big", "pid": $BIG } ],
  "rules": { "builtin": { "process_down": false }, "custom": [
    { "name": "busy", "metric": "threads", "op": ">=", "threshold": 1,
      "severity": "info", "message": "{name}[{pid}] runs" },
    { "name": "big", "metric": "rss_bytes", "op": ">",
      "threshold": 33554432, "severity": "critical",
      "message": "{name}[{pid}] holds {value:.0f} bytes" } ] },
  "receivers": [
    { "name": "all", "url": "http://127.0.0.1:$ALL/all" },
    { "name": "hdr", "url": "http://127.0.0.1:$HDR/hdr",
      "min_severity": "critical",
      "headers": { "X-Test": "notifier-$$",
                   "Authorization": "Bearer hdr-token-$$" } },
    { "name": "script", "exec": ["$WORK/bin/on-alert", "--page", "two words"],
      "min_severity": "warning", "timeout_ms": 5000 },
    { "name": "fail", "exec": ["$WORK/bin/fail"], "min_severity": "critical",
      "backoff_ms": 100, "backoff_max_ms": 200, "max_age_ms": 2000 },
    { "name": "down", "url": "http://127.0.0.1:$DOWN/down", "queue_max": 1,
      "backoff_ms": 600000, "backoff_max_ms": 600000 },
    { "name": "aging", "url": "http://127.0.0.1:$AGING/aging",
      "min_severity": "critical", "backoff_ms": 100,
      "backoff_max_ms": 200, "max_age_ms": 3000 }
  ]
}
JSON
start_daemon "$WORK/notifier.json" || exit 1

firing4() { get "$(url '/api/v1/alerts?state=firing')" | jq -e '.count == 4' >/dev/null; }
check "four alerts fire (3 busy, 1 big)" wait_for firing 100 firing4
# The "aging" receiver, well before its max_age_ms of 3 s: retrying.
aging_pending() { queued aging 1 && sent aging dropped 0 && at_least aging failed 2; }
check "aging: failed attempts are retried, the notification kept" wait_for aging-retry 50 aging_pending

# --- min_severity --------------------------------------------------------
check "receiver without min_severity gets all four" wait_for all 100 sent all delivered 4
check "each a firing notification, one per alert" jq -s -e 'length == 4 and (map(.body | fromjson | .status) | unique) == ["firing"] and (map(.body | fromjson | .alerts[0].rule) | sort) == ["big", "busy", "busy", "busy"]' "$WORK/all.jsonl"
check "min_severity critical: the critical one is delivered" wait_for hdr 100 sent hdr delivered 1
check "min_severity critical: nothing else arrived" [ "$(lines "$WORK/hdr.jsonl")" -eq 1 ]
check "min_severity critical: it is the big alert" jq -e --argjson p "$BIG" '.body | fromjson | .receiver == "hdr" and .alerts[0].rule == "big" and .alerts[0].severity == "critical" and .alerts[0].pid == $p' "$WORK/hdr.jsonl"

# --- headers -------------------------------------------------------------
check "configured headers arrive" jq -e --arg t "notifier-$$" --arg a "Bearer hdr-token-$$" '.headers["x-test"] == $t and .headers.authorization == $a' "$WORK/hdr.jsonl"
check "the body is sent as JSON by procwatchd" jq -e '.headers["content-type"] == "application/json" and (.headers["user-agent"] | startswith("procwatchd/"))' "$WORK/hdr.jsonl"
check "a receiver without headers gets none of them" jq -s -e 'map(.headers | has("x-test") or has("authorization")) | any | not' "$WORK/all.jsonl"
check "an unsigned receiver gets no signature" jq -s -e 'map(.signature == null) | all' "$WORK/all.jsonl"

# --- exec ----------------------------------------------------------------
check "exec receiver (min_severity warning) delivers one" wait_for script 100 sent script delivered 1
check "the command ran once" [ "$(lines "$WORK/exec.out")" -eq 1 ]
check "the command got its arguments, no shell splitting" sh -c "cut -f2 \"$WORK/exec.out\" | grep -qx -- '2:--page two words'"
cut -f1 "$WORK/exec.out" >"$WORK/exec.json"
check "the command got the procwatch JSON on stdin" jq -e --argjson p "$BIG" '.version == 1 and .source == "procwatchd" and .receiver == "script" and .status == "firing" and .alerts[0].rule == "big" and .alerts[0].pid == $p and (.alerts[0].message | test("holds [0-9]+ bytes"))' "$WORK/exec.json"
check "a command exiting 3 counts as failed, and is retried" wait_for fail-retry 100 at_least fail failed 2
check "the failing command ran each time" [ "$(lines "$WORK/fail.out")" -ge 2 ]
check "its exit status is logged" grep -q 'notify fail: delivery failed (command exited 3)' "$WORK/daemon.log"
check "a failing command is never counted delivered" sent fail delivered 0

# --- queue_max -----------------------------------------------------------
check "queue_max 1: three of the four notifications dropped" wait_for drops 100 sent down dropped 3
check "queue_max 1: one waits for a retry" queued down 1
check "queue_max 1: its first attempt failed" sent down failed 1
check "the drop is logged with its reason" grep -q 'notify down: dropped [0-9]* notification(s): queue full' "$WORK/daemon.log"

# --- max_age_ms ----------------------------------------------------------
# Before max_age_ms the notification was retried, not dropped (checked just
# after the alerts fired); after it, it is given up: dropped, counted,
# logged, dequeued.
check "aging: dropped once max_age_ms has passed" wait_for aging-drop 100 sent aging dropped 1
check "aging: the queue is empty again" queued aging 0
check "aging: never delivered" sent aging delivered 0
check "max_age_ms drop is logged" grep -q 'notify aging: dropped 1 notification(s): still failing after max_age_ms' "$WORK/daemon.log"
check "fail: given up after its max_age_ms too" wait_for fail-drop 100 sent fail dropped 1
check "fail: the queue is empty again" queued fail 0

# Nothing else came in meanwhile: the alerts still fire, no resends.
check "receiver without min_severity still has exactly four" [ "$(lines "$WORK/all.jsonl")" -eq 4 ]
check "exec receiver ran exactly once" [ "$(lines "$WORK/exec.out")" -eq 1 ]
if [ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ]; then
	check "promtool check metrics is clean" sh -c "\"$PROMTOOL\" check metrics <\"$WORK/metrics.txt\" >\"$WORK/promtool.out\" 2>&1 && [ ! -s \"$WORK/promtool.out\" ]"
fi

check "SIGTERM exits 0" stop_daemon
check "the one queued notification is spooled for the down receiver" jq -s -e 'length == 1 and .[0].receiver == "down"' "$WORK/state/notify-spool.jsonl"
check "daemon logged nothing at error level" sh -c "! grep -q '^<[0-3]>' \"$WORK/daemon.log\""
finish
