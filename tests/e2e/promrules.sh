#!/bin/bash
# End-to-end: the shipped Prometheus rules (etc/prometheus/
# procwatch.rules.yml) pass `promtool check rules`, their unit tests
# (tests/prometheus/procwatch.rules.test.yml: each alert firing and not)
# pass `promtool test rules`, and every procwatch_* series they use is one
# a real procwatchd exposes on /metrics, so a renamed series cannot leave
# them silently matching nothing.
. "$(dirname "$0")/lib.sh"

PROMTOOL=${PROMTOOL:-$(command -v promtool)}
[ -x "$PROMTOOL" ] || skip "promtool not found (apt-get install prometheus)"
RULES="$PW_SRCDIR/etc/prometheus/procwatch.rules.yml"
RTESTS="$PW_SRCDIR/tests/prometheus/procwatch.rules.test.yml"

check "promtool check rules" "$PROMTOOL" check rules "$RULES"
"$PROMTOOL" test rules "$RTESTS" >"$WORK/test.out" 2>&1
rc=$?
sed 's/^/# /' "$WORK/test.out"
check "promtool test rules: every alert fires and stays quiet as its tests say" [ "$rc" = 0 ]

# Series with a target that has a process, min_processes and max_processes,
# and a cgroup target (ours, as /proc shows it) for the cgroup's pressure
# and memory events.
spawn IDLE "$PW_TARGET" sleep promrules-$$
CG=$(sed -n 's/^0:://p; s/^[0-9]*:\(.*,\)\{0,1\}name=systemd\(,.*\)\{0,1\}:\(.*\)/\3/p' \
    "/proc/$IDLE/cgroup" | head -1)
cat >"$WORK/pr.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "history": 20,
  "targets": [ { "name": "idle", "pid": $IDLE, "max_processes": 4 },
    { "name": "cg", "cgroup": "${CG:-/}" } ] }
JSON
start_daemon "$WORK/pr.json" || exit 1
wait_cycles 3
get "$(url /metrics)" >"$WORK/metrics.txt"
get "$(url /api/v1/targets/cg)" >"$WORK/cg.json"
# why the cgroup has no such figures here (null: it has them)
why() { jq -r ".sample.$1 // empty" "$WORK/cg.json"; }
# (not the recording rules' own names, target:procwatch_...:sum)
grep -oE '(^|[^:a-z_])procwatch_[a-z_]*' "$RULES" | sed 's/^[^p]//' |
    sort -u >"$WORK/used.txt"
echo "# series the rules use: $(tr '\n' ' ' <"$WORK/used.txt")"
check "the rules use procwatch series" [ "$(wc -l <"$WORK/used.txt")" -ge 8 ]
while read -r s; do
	case $s in
	procwatch_group_pressure_*) w=$(why pressure_unavailable);;
	procwatch_group_memory_events_*) w=$(why memory_events_unavailable);;
	*) w="";;
	esac
	if [ -n "$w" ] && ! grep -q "^$s[{ ]" "$WORK/metrics.txt"; then
		skip_part "$s: cgroup ${CG:-/} has no such figures here ($w)"
		continue
	fi
	check "$s is on /metrics" grep -q "^$s[{ ]" "$WORK/metrics.txt"
done <"$WORK/used.txt"
check "SIGTERM exits 0" stop_daemon
finish
