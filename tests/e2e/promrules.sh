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

# Series with a target that has a process, min_processes and max_processes.
spawn IDLE "$PW_TARGET" sleep promrules-$$
cat >"$WORK/pr.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "history": 20,
  "targets": [ { "name": "idle", "pid": $IDLE, "max_processes": 4 } ] }
JSON
start_daemon "$WORK/pr.json" || exit 1
wait_cycles 3
get "$(url /metrics)" >"$WORK/metrics.txt"
# (not the recording rules' own names, target:procwatch_...:sum)
grep -oE '(^|[^:a-z_])procwatch_[a-z_]*' "$RULES" | sed 's/^[^p]//' |
    sort -u >"$WORK/used.txt"
echo "# series the rules use: $(tr '\n' ' ' <"$WORK/used.txt")"
check "the rules use procwatch series" [ "$(wc -l <"$WORK/used.txt")" -ge 8 ]
while read -r s; do
	check "$s is on /metrics" grep -q "^$s[{ ]" "$WORK/metrics.txt"
done <"$WORK/used.txt"
check "SIGTERM exits 0" stop_daemon
finish
