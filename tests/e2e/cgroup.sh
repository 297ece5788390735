#!/bin/bash
# End-to-end: "cgroup" and "unit" targets select exactly the processes of a
# real cgroup; then a unit target as a group: its count, the CPU of a
# spinner and the RSS of an allocator, a member started later, the CPU of
# 200 short-lived children, process_down to a real webhook when every
# member is killed and its resolution when one is back.  The test makes
# cgroups of its own under the cgroup root, moves only the processes it
# started into them, and removes them at exit.
# It needs a writable cgroup file system (root on a host or VM): in most
# containers there is none, and it is skipped (lib.sh's skip, a failure
# under PW_STRICT=1) saying why, before any check has run.  Once checks
# have run, anything that goes wrong (a helper process that died, a move
# refused) is a failure.
. "$(dirname "$0")/lib.sh"

# The hierarchies to make the cgroups in: the cgroup2 one (/sys/fs/cgroup
# on a v2 system) and, on a hybrid or legacy system, systemd's
# name=systemd one; systemd keeps a process's path equal in both, and so
# does this test.
mnt() { awk -v t="$1" -v o="$2" '$3 == t && $4 ~ o { print $2; exit }' \
    /proc/self/mounts; }
HIER=$(echo $(mnt cgroup2 '') $(mnt cgroup '(^|,)name=systemd(,|$)'))
[ -n "$HIER" ] || skip "no cgroup2 (or name=systemd) file system mounted;" \
    "/sys/fs/cgroup is $(stat -f -c %T /sys/fs/cgroup 2>/dev/null)"
command -v jq >/dev/null || skip "jq not found"

BASE="pw-test-$$"
UNIT="pw-e2e-$$-unit.service"
DEMO="pw-demo-$$.service"
# Relative to each hierarchy's root; removed deepest first.
CGROUPS="$BASE/app.service $BASE/app.servicex $BASE/pw-e2e.slice/$UNIT \
    $BASE/pw-e2e.slice $BASE/test.slice/$DEMO $BASE/test.slice $BASE"
MADE=""

# Remove our cgroups once the processes in them are dead: lib.sh's
# cleanup kills (by PID) and reaps everything spawn started.
cg_cleanup() {
	local h d i
	cleanup
	for h in $HIER; do
		for d in $CGROUPS; do
			[ -d "$h/$d" ] || continue
			for i in $(seq 1 50); do
				rmdir "$h/$d" 2>/dev/null && break
				sleep 0.1
			done
			[ -d "$h/$d" ] && echo "# could not remove $h/$d"
		done
	done
}
trap cg_cleanup EXIT

for h in $HIER; do
	for d in $BASE $BASE/app.service $BASE/app.servicex \
	    $BASE/pw-e2e.slice $BASE/pw-e2e.slice/$UNIT $BASE/test.slice \
	    $BASE/test.slice/$DEMO; do
		mkdir "$h/$d" 2>/dev/null ||
		    skip "cannot create cgroup $h/$d (not root, or a" \
		    "read-only cgroup file system as in most containers)"
		MADE="$MADE $h/$d"
	done
done

spawn IN "$PW_TARGET" sleep cgroup-in-$$
spawn UNITP "$PW_TARGET" sleep cgroup-unit-$$
spawn SIB "$PW_TARGET" sleep cgroup-sibling-$$
spawn OUT "$PW_TARGET" sleep cgroup-out-$$

# move PID CGROUP: into CGROUP in every hierarchy (only that pid).  A
# helper that died is a failure; cgroup.procs not writable is a skip only
# before the first check.
move() {
	local h
	if ! kill -0 "$1" 2>/dev/null; then
		not_ok "helper process $1 died before it was moved into $2"
		return 1
	fi
	for h in $HIER; do
		echo "$1" >"$h/$2/cgroup.procs" 2>/dev/null && continue
		[ $((PASSED + FAILED)) -eq 0 ] && kill -0 "$1" 2>/dev/null &&
		    skip "cannot move pid $1 into $h/$2 (cgroup.procs not" \
		    "writable here)"
		if kill -0 "$1" 2>/dev/null; then
			not_ok "cannot move pid $1 into $h/$2"
		else
			not_ok "helper process $1 died while it was moved into $h/$2"
		fi
		return 1
	done
}
move "$IN" "$BASE/app.service"
move "$UNITP" "$BASE/pw-e2e.slice/$UNIT"
move "$SIB" "$BASE/app.servicex"

# The path as /proc shows it: relative to our cgroup namespace, which may
# not be where /sys/fs/cgroup is rooted.
cgpath() {
	sed -n 's/^0:://p; s/^[0-9]*:\(.*,\)\{0,1\}name=systemd\(,.*\)\{0,1\}:\(.*\)/\3/p' \
	    "/proc/$1/cgroup" | grep -v '^/$' | head -1
}
CG=$(cgpath "$IN")
in_app() { case "$CG" in */"$BASE"/app.service) return 0;; esac; return 1; }
check "moved process is in .../$BASE/app.service ($CG)" in_app

cat >"$WORK/cg.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 20,
  "targets": [
    { "name": "cg", "cgroup": "$CG" },
    { "name": "un", "unit": "${UNIT%.service}" }
  ]
}
JSON

"$PROCWATCHD" --config "$WORK/cg.json" --check-config >"$WORK/check" 2>&1
check "--check-config accepts the targets" [ $? -eq 0 ]
check "--check-config describes the cgroup target" \
    grep -qF "  cg: cgroup $CG and below" "$WORK/check"
check "--check-config adds .service to the unit" \
    grep -qF "  un: systemd unit $UNIT" "$WORK/check"

start_daemon "$WORK/cg.json" || exit 1

listed() { get "$(url /api/v1/processes)" >"$WORK/procs.json" &&
    jq -e --argjson a "$IN" --argjson b "$UNITP" \
    '.processes | map(.pid) | index($a) != null and index($b) != null' \
    "$WORK/procs.json" >/dev/null; }
check "cgroup and unit targets are listed" wait_for listed 100 listed
wait_cycles 3			# nothing else may appear meanwhile
get "$(url /api/v1/processes)" >"$WORK/procs.json"
check "the cgroup target is exactly the process in it" \
    jq -e --argjson p "$IN" \
    '[.processes[] | select(.target == "cg") | .pid] == [$p]' \
    "$WORK/procs.json"
check "the unit target is exactly the process in $UNIT" \
    jq -e --argjson p "$UNITP" \
    '[.processes[] | select(.target == "un") | .pid] == [$p]' \
    "$WORK/procs.json"
check "the sibling cgroup app.servicex is not selected" \
    jq -e --argjson p "$SIB" '.processes | map(.pid) | index($p) == null' \
    "$WORK/procs.json"
check "a process outside the cgroups is not selected" \
    jq -e --argjson p "$OUT" '.processes | map(.pid) | index($p) == null' \
    "$WORK/procs.json"
check "nothing else is selected" \
    jq -e '.processes | length == 2' "$WORK/procs.json"
get "$(url /api/v1/processes/$IN)" >"$WORK/in.json"
check "process view: target cg" \
    jq -e --argjson p "$IN" '.pid == $p and .target == "cg"' "$WORK/in.json"
check "process view: its cgroup" \
    jq -e --arg cg "$CG" '.cgroup == $cg' "$WORK/in.json"

check "process view: its unit, the innermost .service" \
    jq -e '.unit == "app.service"' "$WORK/in.json"
get "$(url /api/v1/processes/$UNITP)" >"$WORK/unitp.json"
check "process view: the unit of the unit target's process" \
    jq -e --arg u "$UNIT" '.unit == $u' "$WORK/unitp.json"

stop_daemon
check "procwatchd exits 0" [ $? -eq 0 ]

# --- a unit target as a group ----------------------------------------------
D="$BASE/test.slice/$DEMO"
spawn SPIN "$PW_TARGET" spin
spawn ALLOC "$PW_TARGET" mem 64
spawn FORK "$PW_TARGET" forkburn 200 10 "$WORK/go"
move "$SPIN" "$D"
move "$ALLOC" "$D"
move "$FORK" "$D"
start_receiver HOOK "$WORK/hook.jsonl"
cat >"$WORK/demo.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 50,
  "targets": [ { "name": "demo", "unit": "$DEMO", "min_processes": 1 } ],
  "rules": { "builtin": { "high_cpu": false, "high_memory": false,
    "file_handle_leak": false, "fd_exhaustion": false } },
  "receivers": [ { "name": "hook", "url": "http://127.0.0.1:$HOOK/hook",
    "backoff_ms": 200 } ]
}
JSON
start_daemon "$WORK/demo.json" || exit 1
demo() { get "$(url /api/v1/targets/demo)" >"$WORK/demo.out" &&
    jq -e "$1" "$WORK/demo.out" >/dev/null; }
check "the group has the three members" \
    wait_for "3 members" 100 demo '.processes == 3 and .sample.processes == 3'
check "the group's selector" demo ".selector == \"unit $DEMO\""
check "the spinner's CPU shows in the group" \
    wait_for "group CPU" 50 demo '.sample.cpu_percent >= 50'
check "the allocator's RSS shows in the group" \
    demo '.sample.rss_bytes >= 64 * 1048576'
check "min_processes is reported" demo '.min_processes == 1'
jq -c '.sample' "$WORK/demo.out" | sed 's/^/# /'

spawn LATE "$PW_TARGET" sleep late-$$
move "$LATE" "$D"
check "a member started later is picked up" \
    wait_for "4 members" 150 demo '.processes == 4 and .sample.processes == 4'

# 200 children of 10 ms CPU each, too short-lived to be sampled: the group
# sees them through the forker's cutime/cstime.
demo true
before=$(jq '.sample.children_cpu_seconds_total' "$WORK/demo.out")
: >"$WORK/go"
children_cpu() { demo ".sample.children_cpu_seconds_total - $before >= 1.4"; }
check "the CPU of 200 short-lived children shows in the group" \
    wait_for "children CPU" 150 children_cpu
wait_cycles 5			# more would show up by now
demo true
after=$(jq '.sample.children_cpu_seconds_total' "$WORK/demo.out")
echo "# children CPU: $before s before, $after s after (200 x 10 ms)"
check "and is not counted twice" \
    jq -n -e "$after - $before <= 2.6"

get "$(url '/api/v1/targets/demo/samples?limit=5')" >"$WORK/samples.json"
check "group samples: 5 of them, oldest first" \
    jq -e '.count == 5 and (.samples | length) == 5 and
    .samples[0].ts < .samples[4].ts and .capacity == 50' "$WORK/samples.json"
check "group samples: cumulative CPU does not go down" \
    jq -e '[.samples[].cpu_seconds_total] | . == sort' "$WORK/samples.json"
get "$(url '/api/v1/targets/nope/samples')" >/dev/null
check "group samples: unknown target is 404" [ "$(status)" = 404 ]
get "$(url '/api/v1/targets/demo/samples?limit=0')" >/dev/null
check "group samples: limit=0 is 400" [ "$(status)" = 400 ]

check "no process_down while members live" \
    sh -c "! grep -q process_down \"$WORK/hook.jsonl\" 2>/dev/null"
for p in $SPIN $ALLOC $FORK $LATE; do
	kill -KILL "$p"
	wait "$p" 2>/dev/null
done
check "killing every member fires process_down" \
    wait_for "demo down" 100 hook_has '.rule == "process_down" and
    .state == "firing" and .target == "demo" and .severity == "critical"'
check "the group is down" demo '.up == false and .sample.processes == 0'
spawn BACK "$PW_TARGET" sleep back-$$
move "$BACK" "$D"
check "a member back resolves process_down" \
    wait_for "demo back" 150 hook_has '.rule == "process_down" and
    .state == "resolved" and .target == "demo"'
stop_daemon
check "procwatchd exits 0 (groups)" [ $? -eq 0 ]
finish
