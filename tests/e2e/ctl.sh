#!/bin/bash
# End-to-end: procwatchctl against a real procwatchd, and without one.
. "$(dirname "$0")/lib.sh"

CTL="$PW_BUILDDIR/daemon/procwatchctl"
unset PROCWATCH_URL PROCWATCH_TOKEN

spawn MEM "$PW_TARGET" mem 16
spawn SLEEPER "$PW_TARGET" sleep ctl-marker-$$
spawn SPIN "$PW_TARGET" spin
spawn EXTRA "$PW_TARGET" sleep ctl-extra-$$
# POST /api/v1/reload needs the token; reads stay open.
printf 'ctl-token-%s-0123456789abcdef\n' "$$" >"$WORK/token"
chmod 600 "$WORK/token"

# write_cfg EXTRA-TARGETS: a rule that fires at once for mem (16 MiB
# resident), and a spinner to be the top bottleneck.
write_cfg() {
	cat >"$WORK/cfg.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 100,
  "history": 100,
  "api_token_file": "$WORK/token",
  "targets": [
    { "name": "mem", "pid": $MEM },
    { "name": "sleeper", "pid": $SLEEPER },
    { "name": "spin", "pid": $SPIN } $1
  ],
  "rules": { "custom": [ {
    "name": "mem_resident", "metric": "rss_bytes", "op": ">",
    "threshold": 1048576, "severity": "warning", "targets": ["mem"],
    "message": "{name}[{pid}] holds {value:.0f} bytes"
  } ] }
}
JSON
}
write_cfg ""
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
# Busiest first: the spinner tops the default order (by CPU).
spin_first() { ctl st status && awk 'f { print $1; exit } /^ +PID NAME/ { f = 1 }' "$WORK/st" | grep -qx "$SPIN"; }
check "status sorts by CPU: the spinner first" wait_for spinfirst 50 spin_first
check "status --sort pid: ascending pids" sh -c "\"$CTL\" status --sort pid | awk 'f { print \$1 } /^ +PID NAME/ { f = 1 }' | sort -nc"
check "status --sort mem: mem (16 MiB) before the sleeper" sh -c "\"$CTL\" status --sort mem | awk 'f { print \$1 } /^ +PID NAME/ { f = 1 }' | grep -nx -e $MEM -e $SLEEPER | head -1 | grep -q ':$MEM\$'"
check "status --sort bogus is a usage error (2)" rc_is 2 sortbad status --sort bogus

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

# err_is OUT LINE...: $WORK/OUT.err holds exactly these lines.
err_is() { local o=$1; shift; [ "$(cat "$WORK/$o.err")" = "$(printf '%s\n' "$@")" ]; }

# alerts: the rule fires for mem, and the table shows it.
firing() { ctl al alerts && grep -Eq "^firing +warning +$MEM +pw_target +mem +mem_resident +pw_target\[$MEM\] holds [0-9]+ bytes \(value [0-9.e+]+\) since 20" "$WORK/al"; }
check "alerts shows the firing alert" wait_for alerts 50 firing
check "alerts has the table header" grep -Eq '^STATE +SEVERITY +PID +NAME +TARGET +RULE +MESSAGE$' "$WORK/al"
check "alerts lists only that alert" [ "$(wc -l <"$WORK/al")" -eq 2 ]
check "alerts wrote nothing to stderr" [ ! -s "$WORK/al.err" ]
check "alerts --json is the daemon's list" sh -c "\"$CTL\" --json alerts | jq -e --argjson p $MEM '.alerts | length == 1 and .[0].pid == \$p and .[0].rule == \"mem_resident\"'"

# top: the spinner's CPU and mem's RSS are listed, by process and by
# target, each with the severity its share of the host gives it (a core
# of a shared machine, 16 MiB of RAM: README, "Severities").
top_has() { grep -Eq "^ +[0-9]+ (low|medium|high|critical) +$1" "$WORK/$2"; }
spin_top() { ctl tp top && top_has "cpu +[0-9.]+ +$SPIN pw_target +spin$" tp && top_has "memory +[0-9.]+ +$MEM pw_target +mem$" tp && grep -Eq "^ +[0-9]+ low +memory +[0-9.]+ +$MEM " "$WORK/tp"; }
check "top lists the spinner's CPU and mem's RSS (low)" wait_for top 100 spin_top
check "top has the table header" grep -Eq '^ +# SEVERITY +TYPE +IMPACT +PID NAME +TARGET$' "$WORK/tp"
check "top describes the spinner's CPU" grep -q "^    Process 'pw_target' (pid $SPIN) used [0-9]* % of monitored CPU" "$WORK/tp"
check "top wrote nothing to stderr" [ ! -s "$WORK/tp.err" ]
spin_top_t() { ctl tt top targets && top_has 'cpu +[0-9.]+ +1 spin$' tt && top_has 'memory +[0-9.]+ +1 mem$' tt; }
check "top targets lists the spin and mem targets" wait_for toptargets 100 spin_top_t
check "top targets has its header" grep -Eq '^ +# SEVERITY +TYPE +IMPACT +PROCS TARGET$' "$WORK/tt"
check "top targets describes the spin target" grep -q "^    Target 'spin' (1 process) used [0-9]* % of monitored CPU" "$WORK/tt"

# reload: refused without the token, saying why.
check "reload without the token exits 1" rc_is 1 rl0 reload
check "reload without the token: the daemon's answer and what to do" err_is rl0 \
    "procwatchctl: POST /api/v1/reload: unauthorized: this request needs Authorization: Bearer <api_token> (HTTP 401)" \
    "procwatchctl: set PROCWATCH_TOKEN or use --token-file"
check "nothing on stdout" [ ! -s "$WORK/rl0" ]
# With the token it applies the edited file: a fourth target.
write_cfg ", { \"name\": \"extra\", \"pid\": $EXTRA }"
check "reload with --token-file exits 0" rc_is 0 rl1 --token-file "$WORK/token" reload
check "reload prints what the daemon loaded" [ "$(cat "$WORK/rl1")" = "reloaded: reloaded $WORK/cfg.json: 4 target(s), every 100 ms, 100 samples each, 1 rule(s), 0 receiver(s), http://127.0.0.1:$PORT" ]
check "reload wrote nothing to stderr" [ ! -s "$WORK/rl1.err" ]
extra_in() { get "$(url "/api/v1/processes/$EXTRA")" | jq -e '.target == "extra"' >/dev/null; }
check "the reloaded config is in force" wait_for extra 50 extra_in
check "the token from PROCWATCH_TOKEN works too" sh -c "PROCWATCH_TOKEN=\"\$(cat \"$WORK/token\")\" \"$CTL\" reload | grep -q '^reloaded: reloaded .*: 4 target(s)'"
# A bad file is refused with the daemon's reason; the old one stays.
cp "$WORK/cfg.json" "$WORK/good.json"
printf '{ "interval_ms": 1000, "targets": [ { "name": "x" } ] }\n' >"$WORK/cfg.json"
check "reload of a bad file exits 1" rc_is 1 rl2 --token-file "$WORK/token" reload
check "reload of a bad file: the daemon's reason" err_is rl2 \
    "procwatchctl: POST /api/v1/reload: $WORK/cfg.json: targets[0]: no selector; give one of \"all\", \"pid\", \"pidfile\", \"comm\", \"cmdline\", \"user\", \"cgroup\", \"unit\"; the running configuration stays (HTTP 400)"
check "the old config stays" extra_in
cp "$WORK/good.json" "$WORK/cfg.json"

# A daemon without these routes (a prefix that is not the API): exit 1
# with a message naming the route, for each command.
check "alerts without the route exits 1" rc_is 1 na alerts --url "$PROCWATCH_URL/old"
check "alerts without the route says so" err_is na \
    "procwatchctl: alerts are not available: this procwatchd has no /api/v1/alerts"
check "top without the route exits 1" rc_is 1 nt top --url "$PROCWATCH_URL/old"
check "top without the route says so" err_is nt \
    "procwatchctl: bottlenecks are not available: this procwatchd has no /api/v1/bottlenecks"
check "reload without the route exits 1" rc_is 1 nr reload --url "$PROCWATCH_URL/old"
check "reload without the route says so" err_is nr \
    "procwatchctl: reload is not available: this procwatchd has no /api/v1/reload; send it SIGHUP (systemctl reload procwatchd)"

check "SIGTERM exits 0" stop_daemon
check "daemon down exits 3" rc_is 3 down status
check "daemon down: says so" grep -q "cannot connect to $PROCWATCH_URL: Connection refused .* is procwatchd running?" "$WORK/down.err"

finish
