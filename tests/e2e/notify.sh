#!/bin/bash
# End-to-end: procwatchd speaks the sd_notify protocol (READY=1, STATUS=,
# WATCHDOG=1, RELOADING=1, STOPPING=1) to a stand-in notify socket, and
# the watchdog pings stop while the sampler is stuck.
#
# The sampler is made stuck for real: a test plugin's collector, which
# runs on the sampler thread, blocks while a file exists.
. "$(dirname "$0")/lib.sh"

LISTEN="$PW_BUILDDIR/tests/e2e/pw_notify_listen"
SOCK="$WORK/notify.sock"
OUT="$WORK/notify.out"
STALL="$WORK/stall"
STALL_SO="$PW_BUILDDIR/tests/e2e/.libs/plugin_stall.so"

# listen NAME SOCKET OUT: start the stand-in, wait until it is bound.
listen() {
	spawn "$1" sh -c "exec \"$LISTEN\" \"$2\" \"$3\" >\"$WORK/$1.out\""
	wait_for "notify listener" 50 grep -qs ready "$WORK/$1.out"
}
has() { grep -q "^$1" "$OUT"; }
count() { grep -c "^$1" "$OUT"; }
# after_last A B: B was sent after the last A.
after_last() { awk -v a="$1" -v b="$2" 'index($0, a) == 1 { seen = 0 } index($0, b) == 1 { seen = 1 } END { exit !seen }' "$OUT"; }

cat >"$WORK/cfg.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 10,
  "targets": [
    { "name": "self", "pid": "self" }
  ],
  "plugins": [ { "path": "$STALL_SO", "config": { "file": "$STALL" } } ]
}
JSON

listen LST "$SOCK" "$OUT" || exit 1
# WATCHDOG_PID stays unset: the pid is not known before the start.
export NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=2000000
start_daemon "$WORK/cfg.json" || exit 1
unset NOTIFY_SOCKET WATCHDOG_USEC

check "READY=1 sent" wait_for READY 100 has READY=1
check "STATUS= summary sent" wait_for STATUS 50 has 'STATUS=monitoring [0-9]* processes, cycle p99'
wd_twice() { [ "$(count WATCHDOG=1)" -ge 2 ]; }
check "WATCHDOG=1 pings arrive (every 1 s for WATCHDOG_USEC=2 s)" wait_for pings 50 wd_twice

# The next cycle's collector blocks until the file goes.
: >"$STALL"
check "STATUS= says the sampler is stuck" wait_for stuck 50 has 'STATUS=sampler stuck'
before=$(count WATCHDOG=1)
sleep 3
check "WATCHDOG=1 stops while the sampler is stuck" [ "$(count WATCHDOG=1)" -eq "$before" ]
no_ping_after_stuck() { ! after_last 'STATUS=sampler stuck' WATCHDOG=1; }
check "no WATCHDOG=1 after the stuck STATUS" no_ping_after_stuck
check "HTTP still answers while the sampler is stuck" sh -c "curl -sf \"$(url /healthz)\" | jq -e '.status == \"ok\"'"

rm -f "$STALL"
resumed() { [ "$(count WATCHDOG=1)" -gt "$before" ]; }
check "WATCHDOG=1 resumes once the sampler is free" wait_for resumed 50 resumed
check "STATUS= back to the summary" after_last 'STATUS=sampler stuck' 'STATUS=monitoring'

kill -HUP "$DAEMON_PID"
reloaded() { after_last RELOADING=1 READY=1; }
check "SIGHUP: RELOADING=1 then READY=1" wait_for reload 50 reloaded
check "RELOADING=1 carries MONOTONIC_USEC" grep -q '^MONOTONIC_USEC=[0-9]' "$OUT"

check "SIGTERM exits 0" stop_daemon
check "STOPPING=1 sent" has STOPPING=1

# An abstract socket ('@'), and a watchdog meant for another pid: READY=1
# arrives, WATCHDOG=1 must not.
OUT="$WORK/notify2.out"
ABS="@pw-notify-$$-$RANDOM"
listen LST2 "$ABS" "$OUT" || exit 1
export NOTIFY_SOCKET="$ABS" WATCHDOG_USEC=1000000 WATCHDOG_PID=1
start_daemon "$WORK/cfg.json" || exit 1
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
check "abstract socket: READY=1 sent" wait_for READY 100 has READY=1
sleep 1.5
no_ping() { ! has WATCHDOG=1; }
check "WATCHDOG_PID of another process: no WATCHDOG=1" no_ping
check "SIGTERM exits 0" stop_daemon
check "abstract socket: STOPPING=1 sent" has STOPPING=1

finish
