#!/bin/bash
# End-to-end: API paths that nothing else exercised, as a user sees them
# with curl against a real daemon watching real processes:
#   auth_reads        with a token, reads need it too (401 without);
#   off loopback      listening on 0.0.0.0 (tests still connect to
#                     127.0.0.1 only) reads need a token: the daemon
#                     refuses to start without one; a read_token reads but
#                     changes nothing; public_read serves reads to anyone,
#                     with a warning;
#   process_metrics   {"top": N} and "none" in /metrics, and across a
#                     SIGHUP reload;
#   listen on [::1]   the API answers on the IPv6 loopback only;
#   target order      a process two targets select is in the first one.
. "$(dirname "$0")/lib.sh"

TOKEN="api-paths-token-$$-0123456789"

spawn SPIN "$PW_TARGET" spin
spawn BIG "$PW_TARGET" mem 64
spawn IDLE "$PW_TARGET" sleep api-paths-idle-$$
big_ready() { [ "$(awk '/^VmRSS:/ { print $2 }' "/proc/$BIG/status")" -ge 60000 ]; }
wait_for "the 64 MiB process" 100 big_ready || exit 1

# --- auth_reads ----------------------------------------------------------
auth_cfg() {	# auth_cfg FILE AUTH_READS
	cat >"$1" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "history": 20,
  "api_token": "$TOKEN", "auth_reads": $2,
  "targets": [ { "name": "idle", "pid": $IDLE } ] }
JSON
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
auth_cfg "$WORK/auth.json" true
start_daemon "$WORK/auth.json" || exit 1
for p in /api/v1/processes /api/v1/targets /metrics /alerts; do
	check "auth_reads: GET $p without the token is 401" [ "$(code "$(url "$p")")" = 401 ]
	check "auth_reads: GET $p with the token is 200" [ "$(code -H "Authorization: Bearer $TOKEN" "$(url "$p")")" = 200 ]
done
check "auth_reads: a wrong token is 401" [ "$(code -H "Authorization: Bearer x$TOKEN" "$(url /api/v1/processes)")" = 401 ]
check "auth_reads: 401 says how to authenticate" sh -c "curl -s -D - -o /dev/null '$(url /metrics)' | grep -qi '^WWW-Authenticate: Bearer'"
check "auth_reads: the JSON with the token lists the process" sh -c "curl -s -H 'Authorization: Bearer $TOKEN' '$(url /api/v1/processes)' | jq -e --argjson p $IDLE '[.processes[].pid] | index(\$p) != null'"
check "auth_reads: POST still needs it" [ "$(code -X POST "$(url /api/v1/reload)")" = 401 ]
check "SIGTERM exits 0" stop_daemon
# Without auth_reads the same token guards only the writes.
auth_cfg "$WORK/noauth.json" false
start_daemon "$WORK/noauth.json" || exit 1
check "no auth_reads: GET without the token is 200" [ "$(code "$(url /api/v1/processes)")" = 200 ]
check "no auth_reads: POST without the token is 401" [ "$(code -X POST "$(url /api/v1/reload)")" = 401 ]
check "SIGTERM exits 0" stop_daemon

# --- off loopback --------------------------------------------------------
RTOKEN="api-paths-read-token-$$-0123456789"
cat >"$WORK/open.json" <<JSON
{ "listen": "0.0.0.0:0", "targets": [ { "name": "idle", "pid": $IDLE } ] }
JSON
"$PROCWATCHD" --check-config --config "$WORK/open.json" >"$WORK/open.out" 2>&1
rc=$?
sed 's/^/# /' "$WORK/open.out"
check "0.0.0.0 without a token: the config is refused" [ "$rc" != 0 ]
check "naming listen and what to set" grep -q 'listen: 0.0.0.0 is not a loopback address: set api_token or read_token' "$WORK/open.out"
cat >"$WORK/read.json" <<JSON
{ "listen": "0.0.0.0:0", "interval_ms": 200, "history": 20,
  "read_token": "$RTOKEN",
  "targets": [ { "name": "idle", "pid": $IDLE } ] }
JSON
start_daemon "$WORK/read.json" || exit 1
check "off loopback: GET without a token is 401" [ "$(code "$(url /api/v1/processes)")" = 401 ]
check "off loopback: GET /metrics without a token is 401" [ "$(code "$(url /metrics)")" = 401 ]
check "off loopback: GET with the read token is 200" [ "$(code -H "Authorization: Bearer $RTOKEN" "$(url /api/v1/processes)")" = 200 ]
check "off loopback: the read token changes nothing (POST 401)" [ "$(code -X POST -H "Authorization: Bearer $RTOKEN" "$(url /api/v1/reload)")" = 401 ]
check "off loopback: no warning with a token" sh -c "! grep -q 'public_read' '$WORK/daemon.log'"
check "SIGTERM exits 0" stop_daemon
cat >"$WORK/both.json" <<JSON
{ "listen": "0.0.0.0:0", "interval_ms": 200, "history": 20,
  "read_token": "$RTOKEN", "api_token": "$TOKEN",
  "targets": [ { "name": "idle", "pid": $IDLE } ] }
JSON
start_daemon "$WORK/both.json" || exit 1
check "both tokens: the api token reads too" [ "$(code -H "Authorization: Bearer $TOKEN" "$(url /metrics)")" = 200 ]
check "both tokens: and changes (POST reload 200)" [ "$(code -X POST -H "Authorization: Bearer $TOKEN" "$(url /api/v1/reload)")" = 200 ]
check "both tokens: the read token still cannot" [ "$(code -X POST -H "Authorization: Bearer $RTOKEN" "$(url /api/v1/reload)")" = 401 ]
check "SIGTERM exits 0" stop_daemon
cat >"$WORK/public.json" <<JSON
{ "listen": "0.0.0.0:0", "interval_ms": 200, "history": 20,
  "public_read": true, "api_token": "$TOKEN",
  "targets": [ { "name": "idle", "pid": $IDLE } ] }
JSON
start_daemon "$WORK/public.json" || exit 1
check "public_read: GET without a token is 200" [ "$(code "$(url /api/v1/processes)")" = 200 ]
check "public_read: POST still needs the api token" [ "$(code -X POST "$(url /api/v1/reload)")" = 401 ]
check "public_read: the start warns that reads are public" grep -q 'not a loopback address, and public_read serves' "$WORK/daemon.log"
check "SIGTERM exits 0" stop_daemon

# --- process_metrics -----------------------------------------------------
pm_cfg() {	# pm_cfg FILE PROCESS_METRICS
	cat >"$1" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "history": 20,
  "process_metrics": $2,
  "targets": [ { "name": "spin", "pid": $SPIN },
               { "name": "big", "pid": $BIG },
               { "name": "idle", "pid": $IDLE } ] }
JSON
}
scrape() { get "$(url /metrics)" >"$WORK/metrics.txt"; }
# has_series PID: /metrics carries per-process series for PID.
has_series() { grep -q "^procwatch_process_resident_memory_bytes{pid=\"$1\"," "$WORK/metrics.txt"; }
no_series() { ! has_series "$1"; }
groups_all() {	# the target families always see every process
	grep -q '^procwatch_group_processes{target="spin"} 1$' "$WORK/metrics.txt" &&
	grep -q '^procwatch_group_processes{target="big"} 1$' "$WORK/metrics.txt" &&
	grep -q '^procwatch_group_processes{target="idle"} 1$' "$WORK/metrics.txt"
}
# top 1: the spinner (top by CPU) and the 64 MiB process (top by memory),
# not the idle one.  CPU needs two samples: poll until the pick settles.
top1() {
	scrape
	has_series "$SPIN" && has_series "$BIG" && no_series "$IDLE"
}
pm_cfg "$WORK/pm.json" '{"top": 1}'
start_daemon "$WORK/pm.json" || exit 1
check "top 1: series for the busiest and the largest process only" wait_for top1 100 top1
check "top 1: every family of the spinner is there" grep -q "^procwatch_process_cpu_percent{pid=\"$SPIN\",name=\"pw_target\",target=\"spin\"} " "$WORK/metrics.txt"
check "top 1: the group families still count all three" groups_all
check "top 1: exactly two processes have series" [ "$(grep -c '^procwatch_process_resident_memory_bytes{' "$WORK/metrics.txt")" -eq 2 ]

reloaded() { [ "$(grep -c 'reloaded' "$WORK/daemon.log")" -ge "$1" ]; }
none() { scrape; no_series "$SPIN" && no_series "$BIG" && no_series "$IDLE"; }
pm_cfg "$WORK/pm.json" '"none"'
kill -HUP "$DAEMON_PID"
check "SIGHUP reload to none is logged" wait_for reload1 100 reloaded 1
check "none after a reload: no per-process series" wait_for none 100 none
check "none: no procwatch_process_ family at all" sh -c "! grep -q '^procwatch_process_' '$WORK/metrics.txt'"
check "none: the group families still count all three" groups_all
check "none: the processes are still monitored" sh -c "curl -s '$(url /api/v1/processes)' | jq -e '[.processes[].pid] | length == 3'"

all3() { scrape; has_series "$SPIN" && has_series "$BIG" && has_series "$IDLE"; }
pm_cfg "$WORK/pm.json" '"all"'
kill -HUP "$DAEMON_PID"
check "SIGHUP reload to all is logged" wait_for reload2 100 reloaded 2
check "all after a reload: every process has series" wait_for all3 100 all3

pm_cfg "$WORK/pm.json" '{"top": 1}'
kill -HUP "$DAEMON_PID"
check "SIGHUP reload back to top 1 is logged" wait_for reload3 100 reloaded 3
check "top 1 after a reload: the idle process is gone from /metrics" wait_for top1b 100 top1
check "SIGTERM exits 0" stop_daemon

# --- listen on the IPv6 loopback ------------------------------------------
# /proc/net/if_inet6 lists ::1 on lo when the loopback has IPv6 (no
# iproute2 needed to ask).
if grep -qE '^0{31}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
	cat >"$WORK/v6.json" <<JSON
{ "listen": "[::1]:0", "interval_ms": 200, "history": 20,
  "targets": [ { "name": "idle", "pid": $IDLE } ] }
JSON
	start_daemon "$WORK/v6.json" || exit 1
	check "[::1]: the log names the IPv6 address" grep -q "listening on http://\[::1\]:$PORT/" "$WORK/daemon.log"
	v6() { curl -s -g "http://[::1]:$PORT/api/v1/processes" | jq -e --argjson p "$IDLE" '[.processes[].pid] == [$p]' >/dev/null; }
	check "[::1]: GET /api/v1/processes answers over IPv6" wait_for v6 50 v6
	check "[::1]: /metrics over IPv6 is 200" [ "$(code -g "http://[::1]:$PORT/metrics")" = 200 ]
	check "[::1]: nothing listens on 127.0.0.1 at that port" [ "$(code "http://127.0.0.1:$PORT/metrics")" = 000 ]
	check "SIGTERM exits 0" stop_daemon
else
	skip_part "no IPv6 loopback (::1 on lo): listen on [::1] not checked"
fi

# --- the first matching target wins ----------------------------------------
spawn BOTH "$PW_TARGET" sleep api-paths-both-$$
spawn ONLY "$PW_TARGET" sleep api-paths-only-$$
order_cfg() {	# order_cfg FILE FIRST SECOND: two target objects
	cat >"$1" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "history": 20,
  "targets": [ $2, $3 ] }
JSON
}
NARROW="{ \"name\": \"narrow\", \"cmdline\": \"api-paths-both-$$\$\" }"
WIDE="{ \"name\": \"wide\", \"cmdline\": \"api-paths-(both|only)-$$\$\" }"
# in_target NAME PID...: /api/v1/targets/NAME has exactly these pids, and
# /api/v1/processes puts each of them in NAME.
in_target() {
	local t=$1 want; shift
	want=$(printf '%s\n' "$@" | sort -n | jq -s -c .)
	get "$(url "/api/v1/targets/$t")" | jq -e --argjson w "$want" '(.pids | sort) == $w' >/dev/null || return 1
	get "$(url /api/v1/processes)" | jq -e --arg t "$t" --argjson w "$want" '[.processes[] | select(.target == $t) | .pid] | sort == $w' >/dev/null
}
narrow_first() { in_target narrow "$BOTH" && in_target wide "$ONLY"; }
order_cfg "$WORK/order.json" "$NARROW" "$WIDE"
start_daemon "$WORK/order.json" || exit 1
check "matched by both: in the first target only" wait_for narrow 100 narrow_first
check "the target list counts it once" sh -c "curl -s '$(url /api/v1/targets)' | jq -e '[.targets[] | {(.name): .sample.processes}] | add == {\"narrow\": 1, \"wide\": 1}'"
check "it has one entry in /api/v1/processes" sh -c "curl -s '$(url /api/v1/processes)' | jq -e --argjson p $BOTH '[.processes[] | select(.pid == \$p)] | length == 1'"
# Swap the order: after a reload the wide target comes first and takes it.
wide_first() { in_target wide "$BOTH" "$ONLY" && in_target narrow; }
order_cfg "$WORK/order.json" "$WIDE" "$NARROW"
kill -HUP "$DAEMON_PID"
check "after a reload with the order swapped, the new first target has it" wait_for wide 100 wide_first
check "SIGTERM exits 0" stop_daemon
check "daemon logged nothing at error level" sh -c "! grep -q '^<[0-3]>' \"$WORK/daemon.log\""
finish
