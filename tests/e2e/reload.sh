#!/bin/bash
# End-to-end: SIGHUP and POST /api/v1/reload apply a new configuration
# without losing history; an invalid one is refused and the old one stays.
. "$(dirname "$0")/lib.sh"

spawn A "$PW_TARGET" sleep reload-a-$$
spawn B "$PW_TARGET" sleep reload-b-$$

write_cfg() {	# write_cfg LISTEN TARGETS-JSON [EXTRA]
	cat >"$WORK/cfg.json" <<JSON
{ "listen": "$1", "interval_ms": 200, "history": 1000,
  "state_dir": "$WORK", "targets": $2 ${3:-} }
JSON
}
write_cfg 127.0.0.1:0 "[{\"name\": \"first\", \"pid\": $A}]"
start_daemon "$WORK/cfg.json" || exit 1

count_of() { get "$(url "/api/v1/processes/$1")" | jq -r '.samples_stored'; }
has_samples() { [ "$(count_of "$A")" -ge "$1" ] 2>/dev/null; }
check "first target sampled" wait_for samples 50 has_samples 5
# A's history before any reload: its samples (timestamps and values).
get "$(url "/api/v1/processes/$A/samples")" >"$WORK/before.json"
# kept_history: every sample A had before the reloads is still there,
# unchanged and in order, and newer ones follow them (the ring holds 1000:
# none is overwritten during this test).
kept_history() {
	get "$(url "/api/v1/processes/$A/samples")" >"$WORK/after.json"
	jq -e -n --slurpfile a "$WORK/before.json" --slurpfile b "$WORK/after.json" '
	    $a[0].samples as $pre | $b[0].samples as $post | ($pre | length) as $n |
	    ([$post[].ts] | index($pre[0].ts)) as $i |
	    $n >= 5 and $i != null and $post[$i:$i + $n] == $pre and
	    ($post | length) > $i + $n and $post[-1].ts > $pre[-1].ts' >/dev/null
}

# Move A to another target (by command line), add B, add a rule.
write_cfg "127.0.0.1:$PORT" "[{\"name\": \"moved\", \"cmdline\": \"reload-a-$$\$\"}, {\"name\": \"second\", \"pid\": $B}]" \
    ', "rules": {"custom": [{"name": "many_threads", "metric": "threads", "op": ">", "threshold": 1000}]}'
kill -HUP "$DAEMON_PID"
moved() { get "$(url "/api/v1/processes/$A")" | jq -e '.target == "moved" and .alive' >/dev/null; }
check "SIGHUP moves A to its new target" wait_for moved 50 moved
check "A kept its history: the same samples, new ones after them" kept_history
b_in() { get "$(url "/api/v1/processes/$B")" | jq -e '.target == "second"' >/dev/null; }
check "SIGHUP adds B" wait_for b 50 b_in
check "the new rule is in force" jq -e '.rules | map(.name) == ["many_threads"]' <(get "$(url /api/v1/rules)")
check "reload logged" grep -q 'reloaded .*2 target' "$WORK/daemon.log"

# An invalid configuration is refused; the running one stays.
cp "$WORK/cfg.json" "$WORK/good.json"
printf '{"interval_ms": 1000, "targets": [{"name": "x", "cmdline": "(bad"}]}' >"$WORK/cfg.json"
kill -HUP "$DAEMON_PID"
refused() { grep -q 'reload: .*targets\[0\]\.cmdline: bad regex.*running configuration stays' "$WORK/daemon.log"; }
check "bad SIGHUP reload names the field" wait_for refused 50 refused
check "still serving the old targets" jq -e '.target == "moved"' <(get "$(url "/api/v1/processes/$A")")
check "daemon alive after a bad reload" kill -0 "$DAEMON_PID"

# The same over HTTP.
get "$(url /api/v1/reload)" -X POST >"$WORK/r.json"
check "POST reload of a bad file: 400" [ "$(status)" = 400 ]
check "POST reload error names the field" jq -e '.error | test("targets\\[0\\]\\.cmdline")' "$WORK/r.json"
cp "$WORK/good.json" "$WORK/cfg.json"
get "$(url /api/v1/reload)" -X POST >"$WORK/r.json"
check "POST reload of a good file: 200" [ "$(status)" = 200 ]
check "POST reload says what it loaded" jq -e '.status == "reloaded" and (.message | test("2 target"))' "$WORK/r.json"
check "GET reload is 405" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $(url /api/v1/reload))\" = 405 ]"

# Move the listen address to a port the kernel chooses: "127.0.0.1:0"
# differs from the running "127.0.0.1:$PORT", so the daemon opens a new
# listener (no guessed port that another test may hold) and its reload
# line names the port it got.  The new port serves, the old one stops.
OLD=$PORT
nreload=$(grep -c '>reloaded ' "$WORK/daemon.log")
write_cfg 127.0.0.1:0 "[{\"name\": \"moved\", \"cmdline\": \"reload-a-$$\$\"}]"
kill -HUP "$DAEMON_PID"
new_port() {
	NEW=$(grep '>reloaded ' "$WORK/daemon.log" |
	    sed -n "$((nreload + 1))s|.*, http://127\\.0\\.0\\.1:\\([0-9]*\\)\$|\\1|p")
	[ -n "$NEW" ]
}
check "the reload names the kernel's port" wait_for newport 50 new_port
check "it is another port" [ "${NEW:-$OLD}" != "$OLD" ]
PORT=${NEW:-$OLD}
new_up() { get "$(url /healthz)" | jq -e '.status == "ok"' >/dev/null; }
check "new listen address serves" wait_for newport 50 new_up
old_down() { ! curl -s -o /dev/null "http://127.0.0.1:$OLD/healthz"; }
check "old listen address stops" wait_for oldport 50 old_down
check "history survives the move too: the same samples, more after them" kept_history

# Exec sources follow a reload: the old one stops, the new one runs, and
# a source naming an unknown target is refused with the field named.
mkdir -p "$WORK/bin"
printf '#!/bin/sh\necho reload_old_metric 1\n' >"$WORK/bin/old"
printf '#!/bin/sh\necho reload_new_metric 2\n' >"$WORK/bin/new"
chmod 755 "$WORK/bin/old" "$WORK/bin/new"
src_cfg() {	# src_cfg NAME SCRIPT [TARGET]
	write_cfg "127.0.0.1:$PORT" "[{\"name\": \"moved\", \"cmdline\": \"reload-a-$$\$\"}]" \
	    ", \"sources\": [{\"type\": \"exec\", \"name\": \"$1\", \"command\": [\"$WORK/bin/$2\"], \"interval_ms\": 200 ${3:+, \"target\": \"$3\"}}]"
}
series_of() { get "$(url /api/v1/custom)" | jq -r --arg n "$1" '[.series[] | select(.name == $n)] | length'; }
updated_of() { get "$(url /api/v1/custom)" | jq -r --arg n "$1" '.series[] | select(.name == $n) | .updated'; }
src_cfg old old
kill -HUP "$DAEMON_PID"
has_series() { [ "$(series_of "$1")" = 1 ]; }
check "SIGHUP starts an exec source" wait_for old 50 has_series reload_old_metric
src_cfg new new
kill -HUP "$DAEMON_PID"
check "SIGHUP replaces it with the new one" wait_for new 50 has_series reload_new_metric
# ran_again NAME: the source of NAME updated its series twice more (so a
# source with the same interval would have run by then too).
ran_again() {
	local u i
	for i in 1 2; do
		u=$(updated_of "$1")
		wait_for "$1 updated" 50 updated_since "$1" "$u" || return 1
	done
}
updated_since() { [ "$(updated_of "$1")" != "$2" ]; }
u1=$(updated_of reload_old_metric)
check "the new source runs on" ran_again reload_new_metric
check "the old source no longer runs" [ "$(updated_of reload_old_metric)" = "$u1" ]
src_cfg bad new nosuchtarget
kill -HUP "$DAEMON_PID"
src_refused() { grep -q 'reload: .*sources\[0\]\.target: no target named "nosuchtarget".*running configuration stays' "$WORK/daemon.log"; }
check "a source with an unknown target is refused, naming the field" wait_for srcbad 50 src_refused
check "the running source goes on after a refused reload" ran_again reload_new_metric

check "SIGTERM exits 0" stop_daemon
finish
