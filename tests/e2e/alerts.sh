#!/bin/bash
# End-to-end: alert rules (the average cpu_percent over 2 s > 20 for
# 600 ms, clearing at 1: a loaded 2-core CI machine may give the spinner
# much less than a core, and it must not flap) on a real spinning process, delivered to real
# local webhook receivers (tests/e2e/pw_receiver): exactly one firing and
# one resolved notification, a valid HMAC signature, a receiver that is
# down at first, one that hangs (sampling must stay on time), and a restart
# that delivers what was left in the spool.
. "$(dirname "$0")/lib.sh"

SECRET="s3cret-$$"
INTERVAL=200

# start_receiver (lib.sh) starts tests/e2e/pw_receiver.
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
status_of() { jq -r '.body | fromjson | .status' "$1"; }

start_receiver HOOK "$WORK/hook.jsonl"
start_receiver HANG "$WORK/hang.jsonl" --hang
# The "late" receiver: its port bound but refusing connections until
# SIGUSR1, so nothing else can take it meanwhile.
start_receiver LATE "$WORK/late.jsonl" --hold

spawn SPIN "$PW_TARGET" spin
mkdir -p "$WORK/state"

write_config() {	# write_config FILE HANG_URL
	cat >"$1" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": $INTERVAL,
  "history": 100,
  "state_dir": "$WORK/state",
  "targets": [ { "name": "spin", "pid": $SPIN } ],
  "rules": { "custom": [ {
    "name": "spin_hot", "metric": "cpu_percent", "op": ">",
    "threshold": 20, "clear": 1, "for": "600ms", "severity": "warning",
    "aggregate": "avg", "window": "2s",
    "targets": ["spin"],
    "message": "{name}[{pid}] uses {value:.0f}% CPU"
  } ] },
  "receivers": [
    { "name": "hook", "url": "http://127.0.0.1:$HOOK/hook",
      "secret": "$SECRET", "headers": { "X-Test": "e2e" } },
    { "name": "late", "url": "http://127.0.0.1:$LATE/late",
      "backoff_ms": 200, "backoff_max_ms": 800 },
    { "name": "hang", "url": "$2", "timeout_ms": 1500,
      "backoff_ms": 200, "backoff_max_ms": 800 }
  ]
}
JSON
}
write_config "$WORK/alerts.json" "http://127.0.0.1:$HANG/hang"
start_daemon "$WORK/alerts.json" || exit 1

# --- firing: exactly one notification, signed ----------------------------
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }
# notified RECEIVER RESULT N: the daemon counts N such deliveries (or more).
notified() {
	[ "$(metric "procwatch_notifications_total{receiver=\"$1\",result=\"$2\"}")" -ge "$3" ] 2>/dev/null
}
check "firing notification arrives" wait_for firing 50 has_lines "$WORK/hook.jsonl" 1
check "the daemon counts it delivered" wait_for delivered 50 notified hook delivered 1
wait_cycles 8	# anything extra would show up by now (the daemon's own clock)
check "exactly one firing notification" [ "$(lines "$WORK/hook.jsonl")" -eq 1 ]
head -1 "$WORK/hook.jsonl" >"$WORK/fire.json"
check "it says firing" [ "$(status_of "$WORK/fire.json")" = firing ]
check "body lists the alert" jq -e --argjson p "$SPIN" '.body | fromjson | .version == 1 and .receiver == "hook" and (.alerts | length) == 1 and .alerts[0].rule == "spin_hot" and .alerts[0].pid == $p and .alerts[0].state == "firing" and .alerts[0].target == "spin" and (.alerts[0].message | test("uses [0-9]+% CPU")) and (.alerts[0].fired_at | type) == "string" and .alerts[0].resolved_at == null' "$WORK/fire.json"
want=$(jq -j '.body' "$WORK/fire.json" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
check "signature verifies (openssl dgst -hmac)" [ "$(jq -r .signature "$WORK/fire.json")" = "sha256=$want" ]
bad=$(jq -j '.body' "$WORK/fire.json" | openssl dgst -sha256 -hmac "wrong" -r | cut -d' ' -f1)
check "signature depends on the secret" [ "$(jq -r .signature "$WORK/fire.json")" != "sha256=$bad" ]

# --- the API -------------------------------------------------------------
get "$(url /alerts)" >"$WORK/alerts.out"
check "GET /alerts lists the firing alert" jq -e --argjson p "$SPIN" '.count == 1 and .alerts[0].pid == $p and .alerts[0].state == "firing" and .alerts[0].severity == "warning" and .alerts[0].threshold == 20 and (.alerts[0].value > 20) and (.alerts[0].id | type) == "number" and (.alerts[0].started_at < .alerts[0].fired_at)' "$WORK/alerts.out"
check "?severity=critical filters it out" jq -e '.count == 0' <(get "$(url "/api/v1/alerts?severity=critical")")
check "?target=spin keeps it" jq -e '.count == 1' <(get "$(url "/api/v1/alerts?target=spin&state=firing")")
check "?state=resolved is empty yet" jq -e '.count == 0' <(get "$(url "/api/v1/alerts?state=resolved")")
get "$(url "/api/v1/alerts?state=bogus")" >/dev/null
check "bad state is 400" [ "$(status)" = 400 ]
check "GET /api/v1/rules counts firing" jq -e '.count == 1 and .rules[0].name == "spin_hot" and .rules[0].firing == 1 and .rules[0].for_ms == 600 and .rules[0].clear == 1' <(get "$(url /api/v1/rules)")

# --- the late receiver: down, then up: delivered once --------------------
# Its first attempts must have failed (nothing listens there yet), so
# what arrives later is a retry.
check "delivery to the late receiver fails while it is down" wait_for "late failed" 50 notified late failed 1
check "nothing reached it" [ ! -s "$WORK/late.jsonl" ]
kill -USR1 "$LATE_PID"
check "late receiver gets it once it is up" wait_for late 50 has_lines "$WORK/late.jsonl" 1

# --- the hanging receiver does not delay sampling ------------------------
# The hanging receiver has timed out (1.5 s) at least once: the samples
# below span the time it hung.
check "delivery to the hanging receiver times out" wait_for "hang failed" 50 notified hang failed 1
get "$(url "/api/v1/processes/$SPIN/samples?limit=25")" >"$WORK/samples.json"
jq -r '[.samples[].ts | (.[0:19] + "Z" | fromdateiso8601) * 1000 + (.[20:23] | tonumber)] | [range(1; length) as $i | .[$i] - .[$i-1]] | "\(min) \(max) \(add / length) \(sort | .[length / 2 | floor])"' "$WORK/samples.json" >"$WORK/gaps"
read -r gmin gmax gavg gmed <"$WORK/gaps"
echo "# sample spacing while a receiver hangs (ms, want $INTERVAL): min $gmin median $gmed mean $gavg max $gmax"
# A sampler blocked by the hanging receiver would show gaps of its 1.5 s
# timeout; a loaded machine may delay a cycle now and then, but the median
# stays at the interval.
on_time() { [ "$gmed" -ge $((INTERVAL * 3 / 4)) ] && [ "$gmed" -le $((INTERVAL * 5 / 4)) ] && [ "$gmax" -lt 1500 ]; }
check "samples stay on schedule while a receiver hangs" on_time
get "$(url /metrics)" >"$WORK/metrics.txt"
check "metrics show the firing alert" grep -q '^procwatch_alerts{rule="spin_hot",severity="warning",state="firing"} 1$' "$WORK/metrics.txt"
check "metrics count the hook delivery" grep -q '^procwatch_notifications_total{receiver="hook",result="delivered"} 1$' "$WORK/metrics.txt"
check "metrics count failed attempts to the hanging receiver" grep -q '^procwatch_notifications_total{receiver="hang",result="failed"} [1-9]' "$WORK/metrics.txt"
: "${PROMTOOL:=$(command -v promtool)}"
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
	check "promtool check metrics is clean" sh -c "\"$PROMTOOL\" check metrics <\"$WORK/metrics.txt\" >\"$WORK/promtool.out\" 2>&1 && [ ! -s \"$WORK/promtool.out\" ]"
	cat "$WORK/promtool.out"
else
	skip_part "promtool not found: the Prometheus format check of /metrics"
fi

# --- resolved: stop the spinner -----------------------------------------
kill -STOP "$SPIN"
check "resolved notification arrives" wait_for resolved 50 has_lines "$WORK/hook.jsonl" 2
check "the daemon counts two delivered" wait_for delivered2 50 notified hook delivered 2
wait_cycles 8
check "exactly one resolved notification" [ "$(lines "$WORK/hook.jsonl")" -eq 2 ]
tail -1 "$WORK/hook.jsonl" >"$WORK/resolve.json"
check "it says resolved" jq -e '.body | fromjson | .status == "resolved" and .alerts[0].state == "resolved" and (.alerts[0].resolved_at | type) == "string" and .alerts[0].reason == "condition cleared"' "$WORK/resolve.json"
want=$(jq -j '.body' "$WORK/resolve.json" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
check "resolved signature verifies" [ "$(jq -r .signature "$WORK/resolve.json")" = "sha256=$want" ]
check "late receiver: firing then resolved, each once" wait_for late2 50 has_lines "$WORK/late.jsonl" 2
wait_cycles 5
check "late receiver got exactly two" [ "$(lines "$WORK/late.jsonl")" -eq 2 ]
check "resolved alert in ?state=resolved" jq -e '.count == 1 and .alerts[0].state == "resolved" and (.alerts[0].resolved_at | type) == "string"' <(get "$(url "/alerts?state=resolved")")
check "no alert firing now" jq -e '.count == 0' <(get "$(url /alerts)")

# --- restart: what the hanging receiver never took is in the spool -------
get "$(url /metrics)" >"$WORK/metrics2.txt"
echo "# hook:   $(grep 'receiver="hook"' "$WORK/metrics2.txt" | sed 's/.*result="\([a-z]*\)"} /\1=/' | tr '\n' ' ')"
echo "# late:   $(grep 'receiver="late"' "$WORK/metrics2.txt" | sed 's/.*result="\([a-z]*\)"} /\1=/' | tr '\n' ' ')"
echo "# hang:   $(grep 'receiver="hang"' "$WORK/metrics2.txt" | sed 's/.*result="\([a-z]*\)"} /\1=/' | tr '\n' ' ')"
t0=$(date +%s%N)
check "SIGTERM exits 0" stop_daemon
t1=$(date +%s%N)
echo "# shutdown took $(( (t1 - t0) / 1000000 )) ms"
check "spool holds the two undelivered notifications" [ "$(lines "$WORK/state/notify-spool.jsonl")" -eq 2 ]
check "spooled bodies are the firing and the resolved one" jq -s -e 'map(.receiver == "hang") | all' "$WORK/state/notify-spool.jsonl"
start_receiver BACK "$WORK/back.jsonl"
write_config "$WORK/alerts2.json" "http://127.0.0.1:$BACK/hang"
start_daemon "$WORK/alerts2.json" || exit 1
check "after a restart the spooled notifications arrive" wait_for spool 50 has_lines "$WORK/back.jsonl" 2
check "the daemon counts them delivered" wait_for spooldone 50 notified hang delivered 2
wait_cycles 5
check "each exactly once" [ "$(lines "$WORK/back.jsonl")" -eq 2 ]
check "firing then resolved" [ "$(jq -r '.body | fromjson | .status' "$WORK/back.jsonl" | sort | tr '\n' ' ')" = "firing resolved " ]
check "hook got nothing more after the restart" [ "$(lines "$WORK/hook.jsonl")" -eq 2 ]
check "SIGTERM exits 0 again" stop_daemon
check "spool is empty" [ "$(lines "$WORK/state/notify-spool.jsonl")" -eq 0 ]
check "daemon logged nothing at error level" sh -c "! grep -q '^<[0-3]>' \"$WORK/daemon.log\""

kill -KILL "$SPIN" 2>/dev/null
finish
