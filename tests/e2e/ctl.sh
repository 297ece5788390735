#!/bin/bash
# End-to-end: procwatchctl against a real procwatchd, and without one.
. "$(dirname "$0")/lib.sh"

CTL="$PW_BUILDDIR/daemon/procwatchctl"
unset PROCWATCH_URL PROCWATCH_TOKEN

spawn MEM "$PW_TARGET" mem 16
spawn SLEEPER "$PW_TARGET" sleep ctl-marker-$$

cat >"$WORK/cfg.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 100,
  "history": 100,
  "targets": [
    { "name": "mem", "pid": $MEM },
    { "name": "sleeper", "pid": $SLEEPER }
  ]
}
JSON
start_daemon "$WORK/cfg.json" || exit 1
export PROCWATCH_URL="http://127.0.0.1:$PORT"

# ctl OUT ARGS...: run procwatchctl, stdout to $WORK/OUT, stderr to
# $WORK/OUT.err; returns its exit status.
ctl() { local o=$1; shift; "$CTL" "$@" >"$WORK/$o" 2>"$WORK/$o.err"; }
rc_is() { local want=$1; shift; ctl "$@"; [ $? -eq "$want" ]; }

listed() { ctl st status && grep -Eq "^ *$MEM +pw_target +mem " "$WORK/st"; }
check "status lists the target's pid" wait_for status 50 listed
check "status has the table header" grep -q 'PID NAME .*CPU% .*RSS .*MEM% .*FDS/LIMIT .*THR STATE' "$WORK/st"
check "status shows the daemon line" grep -q '^procwatchd .* at http://127.0.0.1:' "$WORK/st"

# Enough samples for a line of blocks, then the details.
enough() { ctl sh show "$MEM" && grep -q '^last [5-9][0-9]* samples' "$WORK/sh"; }
check "show PID exits 0" wait_for show 50 enough
check "show PID names the process" grep -q "^pid $MEM (pw_target), target mem" "$WORK/sh"
check "show PID prints a CPU sparkline" grep -Eq '^  cpu % +.*[▁▂▃▄▅▆▇█]' "$WORK/sh"
check "show PID prints an RSS sparkline" grep -Eq '^  rss +[▁▂▃▄▅▆▇█]+  min ' "$WORK/sh"
check "show PID prints the command line" grep -q 'pw_target mem 16' "$WORK/sh"

check "status --json is valid JSON with the pid" sh -c "\"$CTL\" --json status | jq -e --argjson p $MEM '.processes | map(.pid) | index(\$p) != null'"
check "show PID --json is valid JSON" sh -c "\"$CTL\" show $MEM --json | jq -e --argjson p $MEM '.process.pid == \$p and (.samples.samples | length) > 0'"
check "--url overrides PROCWATCH_URL" sh -c "PROCWATCH_URL=http://127.0.0.1:1 \"$CTL\" --url \"$PROCWATCH_URL\" status >/dev/null"

check "unknown pid exits 1" rc_is 1 unk show 4000000
check "unknown pid: the daemon's error is printed" grep -q 'no process with pid 4000000 (HTTP 404)' "$WORK/unk.err"
check "a non-number pid is a usage error (2)" rc_is 2 bad show 12abc
check "unknown command is a usage error (2)" rc_is 2 cmd frobnicate
check "no command is a usage error (2)" rc_is 2 none
check "a missing token file is a usage error (2)" rc_is 2 tok --token-file "$WORK/nope" status

# alerts/top/reload: 0 where the daemon has the route, else 1 with a
# message saying so; never a crash.
for c in alerts top reload; do
	ctl "$c" "$c"; rc=$?
	if [ $rc -eq 0 ]; then
		ok "$c answers"
	elif [ $rc -eq 1 ] && [ -s "$WORK/$c.err" ]; then
		ok "$c: $(head -1 "$WORK/$c.err")"
	else
		not_ok "$c exits $rc"
	fi
done

check "SIGTERM exits 0" stop_daemon
check "daemon down exits 3" rc_is 3 down status
check "daemon down: says so" grep -q "cannot connect to $PROCWATCH_URL: Connection refused .* is procwatchd running?" "$WORK/down.err"

finish
