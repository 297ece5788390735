#!/bin/bash
# dashboard_load.sh [N]: how long the dashboard takes to load in headless
# chromium with N (default 1000) monitored processes from bench/pw_farm.
# Prints the figures; asserts nothing.  Run from a build directory after
# `make daemon/procwatchd bench/pw_farm` and one `make check` (or
# tests/e2e/browser.sh), which installs playwright-core.
#
#   cd build/plain && ../../bench/dashboard_load.sh 1000
N=${1:-1000}
PW_BUILDDIR=${PW_BUILDDIR:-$PWD}
PW_SRCDIR=${PW_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PW_SRCDIR/tests/e2e/lib.sh"

NODEDIR="$PW_BUILDDIR/tests/browser-run"
if [ ! -d "$NODEDIR/node_modules/playwright-core" ]; then
	mkdir -p "$NODEDIR"
	cp -f "$PW_SRCDIR"/tests/browser/package*.json "$NODEDIR/"
	(cd "$NODEDIR" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
fi
cp -f "$PW_SRCDIR/tests/browser/dashboard.test.mjs" "$NODEDIR/"

# pw_farm kills its children on SIGTERM (lib.sh's SIGKILL would orphan
# them), so it is stopped here, not through PIDS.
"$PW_BUILDDIR/bench/pw_farm" "$N" >"$WORK/farm.out" &
FARM=$!
trap 'kill -TERM $FARM 2>/dev/null; wait $FARM 2>/dev/null; cleanup' EXIT
wait_for "farm ready" 300 grep -q '^ready' "$WORK/farm.out" || exit 1

cat >"$WORK/farm.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 1000,
  "targets": [ { "name": "farm", "pid": $FARM, "children": true } ] }
JSON
start_daemon "$WORK/farm.json" || exit 1
enough() { [ "$(get "$(url /healthz)" | jq .processes)" -ge "$N" ]; }
wait_for "$N processes monitored" 300 enough || exit 1
sleep 3		# some history, so the first refresh is a steady-state one

size=$(curl -s "$(url /api/v1/processes)" | wc -c)
echo "# /api/v1/processes: $size bytes for $(get "$(url /healthz)" | jq .processes) processes"
for i in 1 2 3; do
	PW_URL=$(url "") PW_MODE=load PW_EXPECT_ROWS=$N \
	    PW_SCREENSHOT="$PW_BUILDDIR/dashboard-$N.png" \
	    node "$NODEDIR/dashboard.test.mjs" | grep '^# dashboard'
done
stop_daemon
