#!/bin/bash
# End-to-end: the config that make install (and the Debian package) puts
# in /etc/procwatch/, etc/procwatchd.json, works as shipped: it validates,
# and a daemon on it watches every process and raises no alert for a
# process that is not there (no process_down, no too_many_processes).
# Only "listen" is changed, to port 0, so that the test takes a free port.
. "$(dirname "$0")/lib.sh"

SHIPPED="$PW_SRCDIR/etc/procwatchd.json"

check "procwatchd --check-config passes on the shipped config" \
	"$PROCWATCHD" --check-config --config "$SHIPPED"
check "it targets every process" \
	grep -qx '  all: all processes' \
	<("$PROCWATCHD" --check-config --config "$SHIPPED")

jq '.listen = "127.0.0.1:0"' "$SHIPPED" >"$WORK/shipped.json" || exit 1
# Nothing else differs from the shipped file.
check "only listen differs from the shipped file" \
	jq -e -n --slurpfile a "$SHIPPED" --slurpfile b "$WORK/shipped.json" \
	'($a[0] | del(.listen)) == ($b[0] | del(.listen))'
start_daemon "$WORK/shipped.json" || exit 1

check "a few sampling cycles" wait_cycles 3
get "$(url /healthz)" >"$WORK/health.json"
check "it monitors more than one process" \
	jq -e '.processes > 1' "$WORK/health.json"
check "one target, all" jq -e '.targets == 1' "$WORK/health.json"
check "the target all is up" \
	jq -e '.up == true and .processes > 1' <(get "$(url /api/v1/targets/all)")

get "$(url '/api/v1/alerts?state=firing')" >"$WORK/alerts.json"
check "GET /api/v1/alerts answers" [ "$(status)" = 200 ]
# No alert about a target, i.e. about processes that are or are not there.
check "no firing process_down or too_many_processes alert" \
	jq -e '[.alerts[] | select(.rule == "process_down" or
	    .rule == "too_many_processes")] | length == 0' "$WORK/alerts.json"
# Per-process built-ins (high_cpu > 90 %, high_memory, descriptors) may
# fire for some busy process of the host running the test; that is what
# they are for, and says nothing about the shipped config.  Anything else
# firing does.
check "no other firing alert than per-process built-ins" \
	jq -e '[.alerts[] | select(.rule as $r | ["high_cpu", "high_memory",
	    "file_handle_leak", "fd_exhaustion", "cpu_starved",
	    "io_stalled"] | index($r) | not)]
	    | length == 0' "$WORK/alerts.json"
n=$(jq '.alerts | length' "$WORK/alerts.json")
[ "$n" = 0 ] || { echo "# per-process alerts firing on this host:";
	jq -c '.alerts[] | {rule, pid, name, value}' "$WORK/alerts.json" | sed 's/^/# /'; }

check "procwatchd stops cleanly" stop_daemon
finish
