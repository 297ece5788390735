#!/bin/bash
# End-to-end: a process in a memory cgroup limited to 64 MiB allocates
# 200 MiB and is OOM-killed.  procwatchd, watching the cgroup as a target,
# reports exactly one oom_kill event with its pid and the cgroup's limit,
# fires the oom_killed alert to a real webhook receiver and resolves it
# after oom_alert_ms, and the group's oom_kill counter rises by one.  The
# group's pressure (PSI) rows are numbers where the kernel has PSI
# (/proc/pressure), null with a reason otherwise.  Then the same without
# the events feed (procwatchd without CAP_NET_ADMIN): the kill is found
# from the counters and the process's disappearance.  Either way the
# process_down alert of the emptied target says it was OOM-killed.
#
# The cgroup is made under the machine's memory controller (cgroup2, or
# v1's memory hierarchy on a legacy or hybrid system), with the same path
# in the cgroup2 and name=systemd hierarchies so that /proc/PID/cgroup
# names it; only the test's own allocator is moved in, swap is off inside
# it (memory.swap.max, or v1's memsw limit), so nothing else can be
# OOM-killed.  The cgroups are removed at exit.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip "jq not found"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"

mnt() { awk -v t="$1" -v o="$2" '$3 == t && $4 ~ o { print $2; exit }' \
    /proc/self/mounts; }
V2=$(mnt cgroup2 '')
V1MEM=$(mnt cgroup '(^|,)memory(,|$)')
SYSD=$(mnt cgroup '(^|,)name=systemd(,|$)')
MEMV2=""
if [ -n "$V2" ] && grep -qw memory "$V2/cgroup.controllers" 2>/dev/null; then
	MEMV2=1
	MEMH=$V2
elif [ -n "$V1MEM" ]; then
	MEMH=$V1MEM
else
	skip "no memory controller: neither cgroup2's nor a v1 memory hierarchy"
fi
# Every hierarchy the cgroup is made in (the memory one first).
HIER=$(echo "$MEMH" $([ -n "$V2" ] && [ "$V2" != "$MEMH" ] && echo "$V2") \
    $([ -n "$SYSD" ] && [ -z "$V2" ] && echo "$SYSD") | tr ' ' '\n' |
    awk '!seen[$0]++')
BASE="pw-oom-$$"
CTL="$PW_BUILDDIR/daemon/procwatchctl"
LIMIT=$((64 * 1048576))

cg_cleanup() {
	local h i
	cleanup
	for h in $HIER; do
		[ -d "$h/$BASE" ] || continue
		for i in $(seq 1 50); do
			rmdir "$h/$BASE" 2>/dev/null && break
			sleep 0.1
		done
		[ -d "$h/$BASE" ] && echo "# could not remove $h/$BASE"
	done
}
trap cg_cleanup EXIT

for h in $HIER; do
	mkdir "$h/$BASE" 2>/dev/null ||
	    skip "cannot create cgroup $h/$BASE (not root, or a read-only" \
	    "cgroup file system)"
done
if [ -n "$MEMV2" ]; then
	grep -qw memory "$V2/cgroup.subtree_control" ||
	    skip "the memory controller is not enabled below the cgroup2 root"
	echo "$LIMIT" >"$MEMH/$BASE/memory.max" ||
	    skip "cannot set memory.max"
	[ -f "$MEMH/$BASE/memory.swap.max" ] &&
	    echo 0 >"$MEMH/$BASE/memory.swap.max"
else
	echo "$LIMIT" >"$MEMH/$BASE/memory.limit_in_bytes" ||
	    skip "cannot set memory.limit_in_bytes"
	# No swap inside: memsw (memory + swap) at the same limit.
	[ -f "$MEMH/$BASE/memory.memsw.limit_in_bytes" ] &&
	    echo "$LIMIT" >"$MEMH/$BASE/memory.memsw.limit_in_bytes"
	echo 0 >"$MEMH/$BASE/memory.oom_control" 2>/dev/null	# kill, not wait
fi
check "the cgroup's limit is 64 MiB" \
    grep -qx "$LIMIT" "$MEMH/$BASE/$([ -n "$MEMV2" ] && echo memory.max ||
    echo memory.limit_in_bytes)"

# The allocator waits on a FIFO before it exec()s into 200 MiB, keeping
# its pid: procwatchd has sampled it by then.  No child, no other member.
mkfifo "$WORK/go1" "$WORK/go2"
alloc() { spawn "$1" sh -c "read x <'$2'; exec '$PW_TARGET' mem 200"; }
move() {
	local h
	for h in $HIER; do
		echo "$1" >"$h/$BASE/cgroup.procs" ||
		    { not_ok "cannot move $1 into $h/$BASE"; return 1; }
	done
}
cgpath() {
	sed -n 's/^0:://p; s/^[0-9]*:\(.*,\)\{0,1\}name=systemd\(,.*\)\{0,1\}:\(.*\)/\3/p' \
	    "/proc/$1/cgroup" | grep -v '^/$' | head -1
}

start_receiver HOOK "$WORK/hook.jsonl"
config() {
	cat >"$WORK/oom.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 50,
  "oom_alert_ms": 3000,
  "targets": [ { "name": "oom", "cgroup": "$1", "min_processes": 1 } ],
  "rules": { "builtin": { "high_cpu": false, "high_memory": false,
    "file_handle_leak": false, "fd_exhaustion": false,
    "too_many_processes": false } },
  "receivers": [ { "name": "hook", "url": "http://127.0.0.1:$HOOK/hook",
    "backoff_ms": 200 } ]
}
JSON
}
grp() { get "$(url /api/v1/targets/oom)" >"$WORK/grp.json" &&
    jq -e "$1" "$WORK/grp.json" >/dev/null; }
# Every event on the machine is in the feed's history (other tests fork
# many): ask for all of it, not the newest few.
ooms() { get "$(url /api/v1/events?limit=100000)" >"$WORK/ev.json" &&
    jq -e "[.events[] | select(.type == \"oom_kill\")] | $1" \
    "$WORK/ev.json" >/dev/null; }

# The events the history kept in the last five minutes.
past() { get "$(url '/api/v1/events?since=-5m')" >"$WORK/past.json" &&
    jq -e "$1" "$WORK/past.json" >/dev/null; }

# run N FIFO WRAPPER: one allocator killed, as seen by a daemon run under
# WRAPPER ("" or setpriv dropping CAP_NET_ADMIN).
run() {
	local n=$1 fifo=$2 A CG before
	alloc A "$fifo"
	move "$A" || return 1
	CG=$(cgpath "$A")
	check "[$n] the allocator is in .../$BASE ($CG)" \
	    [ "${CG##*/}" = "$BASE" ]
	config "$CG"
	PW_WRAPPER="$3 ${PW_WRAPPER:-}" start_daemon "$WORK/oom.json" ||
	    return 1
	check "[$n] the target has the allocator" \
	    wait_for "member" 100 grp ".processes == 1 and .pids == [$A]"
	check "[$n] its memory events come from $([ -n "$MEMV2" ] &&
	    echo memory.events || echo memory.oom_control)" \
	    wait_for "memory events" 50 grp ".sample.memory_events_source == \
	    \"$([ -n "$MEMV2" ] && echo memory.events ||
	    echo memory.oom_control)\" and
	    .sample.memory_events_unavailable == null"
	check "[$n] the cgroup's limit is in the sample" \
	    grp ".sample.cgroup_memory_limit_bytes == $LIMIT"
	if [ -r /proc/pressure/memory ]; then
		check "[$n] pressure rows are numbers (the kernel has PSI)" \
		    grp '.sample.pressure_unavailable == null and
		    ([.sample | to_entries[] | select(.key |
		    startswith("pressure_")) | select(.key !=
		    "pressure_unavailable") | .value | type] | unique) ==
		    ["number"]'
	else
		check "[$n] pressure rows are null with a reason (no PSI)" \
		    grp '.sample.pressure_cpu_some_percent == null and
		    (.sample.pressure_unavailable | type) == "string"'
	fi
	"$CTL" -u "$(url '')" targets oom >"$WORK/ctl.txt" 2>&1
	check "[$n] procwatchctl targets oom: the cgroup's figures" \
	    grep -Eq '^  memcg     oom_kill [0-9]+, .* limit 64(\.0)?M' "$WORK/ctl.txt"
	sed 's/^/# /' "$WORK/ctl.txt" | grep -E 'pressure|memcg|oom  '
	before=$(jq '.sample.memory_events_oom_kill_total' "$WORK/grp.json")
	check "[$n] no oom_kill event yet" ooms 'length == 0'
	echo go >"$fifo"
	check "[$n] one oom_kill event" wait_for "oom_kill event" 100 \
	    ooms 'length == 1'
	wait_cycles 3
	check "[$n] exactly one, with its pid, target and the cgroup's limit" \
	    ooms "length == 1 and .[0].pid == $A and .[0].target == \"oom\" and
	    .[0].limit == \"cgroup\" and .[0].limit_bytes == $LIMIT and
	    .[0].limit_cgroup == \"$CG\" and .[0].cgroup == \"$CG\" and
	    .[0].rss_bytes > 0"
	jq -c '.events[] | select(.type == "oom_kill")' "$WORK/ev.json" |
	    sed 's/^/# /'
	check "[$n] the group's oom_kill counter rose by one" \
	    wait_for "counter" 50 grp ".sample.memory_events_oom_kill_total == \
	    $before + 1 and .sample.oom_kills_total == 1"
	check "[$n] /metrics has the cgroup's oom_kill" \
	    [ "$(metric 'procwatch_group_memory_events_total{target="oom",event="oom_kill"}')" = $((before + 1)) ]
	# The verdict (README, "Bottlenecks"): the kill is in the window.
	check "[$n] by target: an oom bottleneck, critical, with the limit" \
	    sh -c "curl -s '$(url "/api/v1/bottlenecks?by=target&window=10s")' | jq -e '[.bottlenecks[] | select(.target == \"oom\" and .type == \"oom\")][0] | .severity == \"critical\" and .evidence.oom_kills == 1 and .evidence.limit_bytes == $LIMIT'"
	check "[$n] oom_killed fires to the webhook" \
	    wait_for "oom_killed firing" 100 hook_has \
	    ".rule == \"oom_killed\" and .target == \"oom\" and
	    .state == \"firing\" and .severity == \"critical\""
	check "[$n] process_down says it was OOM-killed, and the limit" \
	    wait_for "process_down" 100 hook_has \
	    ".rule == \"process_down\" and .state == \"firing\" and
	    (.message | test(\"pid $A. OOM-killed .cgroup limit 64.0 MiB.\"))"
	check "[$n] and resolves by itself after oom_alert_ms" \
	    wait_for "oom_killed resolved" 150 hook_has \
	    ".rule == \"oom_killed\" and .state == \"resolved\""
	# The history on disk keeps the kill beside the exit (OTLP's logs
	# read it there), and with the feed how the exit ended (SIGKILL).
	check "[$n] the history's events have the oom_kill beside the exit" \
	    wait_for "history oom_kill" 50 past "[.events[] | select(.pid == $A)] |
	    any(.type == \"oom_kill\" and .detail == \"cgroup\") and any(.type == \"exit\")"
	if [ "$n" = feed ]; then
		check "[$n] and the exit's value is -9 (SIGKILL, from the feed)" \
		    past "any(.events[]; .pid == $A and .type == \"exit\" and .value == -9)"
	fi
	stop_daemon
	check "[$n] procwatchd exits 0" [ $? -eq 0 ]
	rm -f "$WORK/hook.jsonl"
}

run feed "$WORK/go1" ""
# Without CAP_NET_ADMIN there is no events feed: counters and the
# process's disappearance must do.
run nofeed "$WORK/go2" "setpriv --bounding-set -net_admin --"
check "without the feed the events API said so" \
    jq -e '.available == false' "$WORK/ev.json"
finish
