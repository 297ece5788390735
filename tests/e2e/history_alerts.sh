#!/bin/bash
# End-to-end: alerts across a restart, with the history on disk.  An
# alert firing when procwatchd is killed (kill -9) and still true after
# the restart is re-evaluated but not announced a second time; one whose
# process died meanwhile is announced resolved.  The history answers what
# was firing then (/api/v1/alerts?at=).
. "$(dirname "$0")/lib.sh"

# A gauge, not a rate: a sample whose rate is unknown (a failed read on
# a loaded machine) must not resolve and fire the alert again.
spawn S "$PW_TARGET" mem 32
spawn K "$PW_TARGET" mem 32
start_receiver HOOK "$WORK/hook.jsonl"
mkdir -p "$WORK/st"
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 100, "state_dir": "$WORK/st",
  "targets": [{"name": "spin", "pid": $S}, {"name": "doomed", "pid": $K}],
  "rules": { "custom": [ { "name": "busy", "metric": "rss_bytes",
    "op": ">", "threshold": 16777216, "for": "300ms",
    "targets": ["spin", "doomed"] } ] },
  "receivers": [ { "name": "hook", "url": "http://127.0.0.1:$HOOK/hook" } ] }
JSON
# count STATE PID: notifications of rule busy in STATE for PID.
count() {
	[ -f "$WORK/hook.jsonl" ] || { echo 0; return; }
	jq -s --arg st "$1" --argjson p "$2" '[.[].body | fromjson | .alerts[] |
	    select(.rule == "busy" and .state == $st and .pid == $p)] | length' \
	    "$WORK/hook.jsonl"
}
both_fired() { [ "$(count firing "$S")" -ge 1 ] && [ "$(count firing "$K")" -ge 1 ]; }

T0=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
start_daemon "$WORK/cfg.json" || exit 1
check "both holders' alerts fire and are announced" wait_for firing 100 both_fired
wait_cycles 5
T1=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
check "?at=: the history knows both were firing" jq -e --argjson s "$S" --argjson k "$K" \
    '[.alerts[] | select(.rule == "busy") | .pid] | sort == ([$s, $k] | sort)' \
    <(get "$(url "/api/v1/alerts?at=$T1")")

kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $DAEMON_PID\b//")
kill -KILL "$K"
wait "$K" 2>/dev/null
start_daemon "$WORK/cfg.json" || exit 1
check "the restart finds the firing alerts" grep -q "alert(s) were firing when procwatchd stopped" "$WORK/daemon.log"
still() { grep -q "alert busy still firing after the restart.*\[$S\]" "$WORK/daemon.log"; }
check "the live holder's alert fires again, silently" wait_for "still firing" 100 still
resolved() { [ "$(count resolved "$K")" -ge 1 ]; }
check "the dead holder's alert is announced resolved" wait_for resolved 100 resolved
wait_cycles 10
check "the live holder's alert was announced once" [ "$(count firing "$S")" -eq 1 ]
check "the dead holder's alert was announced firing once" [ "$(count firing "$K")" -eq 1 ]
check "the engine has the live one firing" jq -e --argjson s "$S" \
    '[.alerts[] | select(.rule == "busy" and .pid == $s and .state == "firing")] | length == 1' \
    <(get "$(url /api/v1/alerts)")
check "?at=now: only the live one is firing" jq -e --argjson s "$S" \
    '[.alerts[] | select(.rule == "busy") | .pid] | unique == [$s]' <(get "$(url "/api/v1/alerts?at=now")")
# The history's events: one "firing" of the live holder's alert across
# the restart (it was on disk from before), and the dead one's resolution.
get "$(url "/api/v1/events?since=$T0&until=now")" >"$WORK/ev.json"
check "the history has the live holder's alert firing once, across the restart" \
    jq -e --argjson s "$S" '[.events[] | select(.kind == "alert" and .type == "firing" and .pid == $s)] | length == 1' "$WORK/ev.json"
check "and the dead holder's firing and resolved, once each" \
    jq -e --argjson k "$K" '[.events[] | select(.kind == "alert" and .pid == $k) | .type] == ["firing", "resolved"]' "$WORK/ev.json"
stop_daemon
finish
