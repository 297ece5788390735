#!/bin/bash
# End-to-end: the "alertmanager" receiver format against a real
# Alertmanager (Debian's prometheus-alertmanager, 0.25 on Debian 12).
# A spinning process fires a rule; the alert must show up in
# Alertmanager's GET /api/v2/alerts with procwatchd's labels and summary,
# stay active past Alertmanager's resolve_timeout because procwatchd
# re-posts it every resend_ms, and go away once procwatchd posts it
# resolved (endsAt in the past) after the spinner is stopped.  The
# receiver names two Alertmanagers by their base URLs (an HA pair): both
# get the alert and its resolution.
#
# Alertmanager runs with --cluster.listen-address= (no gossip) on a port
# the kernel picks on 127.0.0.1; the test checks it listens nowhere else.
# Without the binary the test is skipped (77), and fails under PW_STRICT=1
# (scripts/test.sh).  ALERTMANAGER overrides the binary's path.
. "$(dirname "$0")/lib.sh"

: "${ALERTMANAGER:=/usr/bin/prometheus-alertmanager}"
[ -x "$ALERTMANAGER" ] || skip "$ALERTMANAGER not found" \
    "(apt-get install prometheus-alertmanager)"

INTERVAL=200
RESOLVE_TIMEOUT=3	# s; procwatchd re-sends every second

# --- Alertmanager ---------------------------------------------------------
cat >"$WORK/alertmanager.yml" <<YAML
global:
  resolve_timeout: ${RESOLVE_TIMEOUT}s
route:
  receiver: "null"
  group_by: ["alertname"]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
YAML
# start_am NAME: an Alertmanager with its own storage; sets NAME (its
# base URL) and NAME_PID.
start_am() {
	local pid port i
	mkdir -p "$WORK/$1"
	"$ALERTMANAGER" --config.file="$WORK/alertmanager.yml" \
	    --storage.path="$WORK/$1" --web.listen-address=127.0.0.1:0 \
	    --cluster.listen-address= >"$WORK/$1.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	port=""
	for i in $(seq 1 150); do
		port=$(sed -n 's|.*msg="Listening on" address=127\.0\.0\.1:\([0-9]*\).*|\1|p' \
		    "$WORK/$1.log" | head -1)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		echo "not ok - Alertmanager $1 did not start:"; cat "$WORK/$1.log"
		exit 1
	fi
	eval "$1=http://127.0.0.1:$port ${1}_PID=$pid ${1}_PORT=$port"
}
# Two, as an HA pair (without gossip: procwatchd sends each every alert,
# as Prometheus does).  The checks below are of the first, AM; AM2 must
# receive and resolve the same.
start_am AM
start_am AM2
echo "# $("$ALERTMANAGER" --version 2>&1 | head -1), on $AM and $AM2"
am_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$AM/-/ready")" = 200 ]; }
check "Alertmanager is ready" wait_for ready 75 am_ready
am2_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$AM2/-/ready")" = 200 ]; }
check "the second Alertmanager is ready" wait_for ready 75 am2_ready

# listening PID: "tcp ADDR:PORT" for each listening TCP socket and "udp
# ADDR:PORT" for each UDP one of the process (from /proc, no ss needed).
listening() {
	local inodes
	inodes=$(for fd in /proc/"$1"/fd/*; do readlink "$fd"; done 2>/dev/null |
	    sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	awk -v inodes=" $inodes " '
	function hex(s,   i, v) {
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
		return v
	}
	function addr(a,   ip, port, p, h) {
		split(a, p, ":"); port = hex(p[2]); h = p[1]
		if (h == "0100007F") ip = "127.0.0.1"
		else if (h == "00000000") ip = "0.0.0.0"
		else if (h == "0000000000000000FFFF00000100007F") ip = "127.0.0.1"
		else if (h == "00000000000000000000000001000000") ip = "::1"
		else ip = h
		return ip ":" port
	}
	FNR > 1 && index(inodes, " " $10 " ") {
		proto = FILENAME; sub(/.*\//, "", proto); sub(/6$/, "", proto)
		if (proto == "udp" || $4 == "0A") print proto, addr($2)
	}' /proc/"$1"/net/tcp /proc/"$1"/net/tcp6 /proc/"$1"/net/udp \
	    /proc/"$1"/net/udp6
}
listening "$AM_PID" >"$WORK/am.sockets"
echo "# Alertmanager's sockets: $(tr '\n' ' ' <"$WORK/am.sockets")"
check "Alertmanager listens only on 127.0.0.1:$AM_PORT (no cluster port)" \
    [ "$(cat "$WORK/am.sockets")" = "tcp 127.0.0.1:$AM_PORT" ]

# --- procwatchd -----------------------------------------------------------
spawn SPIN "$PW_TARGET" spin
# A second Alertmanager-format receiver that is down while the alert
# fires and resolves (bound but refusing connections until SIGUSR1, so
# nobody else can take its port meanwhile): what it gets at last must be
# the resolved state, never a stale firing.
start_receiver LATE "$WORK/late.jsonl" --hold
mkdir -p "$WORK/state"
cat >"$WORK/am.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": $INTERVAL,
  "history": 100,
  "state_dir": "$WORK/state",
  "targets": [ { "name": "spin", "pid": $SPIN } ],
  "rules": { "custom": [ {
    "name": "spin_hot", "metric": "cpu_percent", "op": ">",
    "threshold": 20, "clear": 1, "for": "400ms", "severity": "critical",
    "aggregate": "avg", "window": "2s",
    "targets": ["spin"],
    "message": "{name}[{pid}] uses {value:.0f}% CPU"
  } ] },
  "receivers": [
    { "name": "am", "urls": ["$AM", "$AM2/"], "format": "alertmanager",
      "send_resolved": true, "resend_ms": 1000,
      "backoff_ms": 200, "backoff_max_ms": 1000 },
    { "name": "late", "url": "http://127.0.0.1:$LATE/api/v2/alerts",
      "format": "alertmanager", "send_resolved": true, "resend_ms": 1000,
      "backoff_ms": 200, "backoff_max_ms": 400 }
  ]
}
JSON
start_daemon "$WORK/am.json" || exit 1

# am_alerts [QUERY]: our alerts (alertname="spin_hot") as Alertmanager lists
# them, into $WORK/am.alerts (AM_URL: another Alertmanager than AM).
am_alerts() {
	curl -s -G "${AM_URL:-$AM}/api/v2/alerts" --data-urlencode 'filter=alertname="spin_hot"' \
	    ${1:+--data "$1"} >"$WORK/am.alerts"
}
am_count() { am_alerts "${2:-}"; [ "$(jq length "$WORK/am.alerts")" = "$1" ]; }
am2_count() { AM_URL=$AM2 am_count "$@"; }
# am_metric NAME{LABELS}: a sample from Alertmanager's /metrics ("missing"
# if there is none, which no comparison takes for a number).
am_metric() {
	curl -s "$AM/metrics" |
	    awk -v m="$1" '$1 == m { v = $2 } END { print v == "" ? "missing" : v }'
}
# ms RFC3339: milliseconds since the epoch (UTC, "Z" or +00:00, any fraction).
ms() {
	jq -rn --arg t "$1" '$t | capture("^(?<s>[^.Z+]*)(\\.(?<f>[0-9]+))?") |
	    ((.s + "Z" | fromdateiso8601) * 1000 +
	    ((.f // "0") + "00" | .[0:3] | tonumber))'
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- firing: in Alertmanager, active, with our labels ---------------------
check "the alert reaches the second Alertmanager (configured by base URL)" \
    wait_for firing 75 am2_count 1
check "with the same labels" jq -e --arg p "$SPIN" \
    '.[0].labels.alertname == "spin_hot" and .[0].labels.pid == $p' \
    "$WORK/am.alerts"
check "the alert reaches Alertmanager" wait_for firing 75 am_count 1
cp "$WORK/am.alerts" "$WORK/am.fire.json"
get "$(url /alerts)" >"$WORK/pw.alerts"
jq -c '.[0] | {labels, annotations, status, startsAt, endsAt, updatedAt, generatorURL}' \
    "$WORK/am.fire.json" | sed 's/^/# /'
check "procwatchd has it firing" jq -e --argjson p "$SPIN" \
    '.count == 1 and .alerts[0].pid == $p and .alerts[0].state == "firing"' \
    "$WORK/pw.alerts"
check "labels: alertname, severity, pid, name, target, instance" \
    jq -e --arg p "$SPIN" --arg h "$(uname -n)" '.[0].labels ==
    {"alertname": "spin_hot", "severity": "critical", "pid": $p,
     "name": "pw_target", "target": "spin", "instance": $h}' \
    "$WORK/am.fire.json"
# The summary is the message as it was when the alert fired (the daemon
# logs it); /alerts shows the message with the latest value.
fire_msg=$(sed -n 's/^<[0-9]>alert spin_hot firing: .* target spin: //p' \
    "$WORK/daemon.log" | head -1)
check "annotation summary is the message the alert fired with" jq -e \
    --arg m "$fire_msg" --arg p "$SPIN" \
    '.[0].annotations == {"summary": $m} and
    ($m | test("^pw_target\\[" + $p + "\\] uses [0-9]+% CPU$"))' \
    "$WORK/am.fire.json"
check "status.state is active, not silenced or inhibited" jq -e \
    '.[0].status == {"state": "active", "silencedBy": [], "inhibitedBy": []}' \
    "$WORK/am.fire.json"
check "routed to the null receiver" jq -e '[.[0].receivers[].name] == ["null"]' \
    "$WORK/am.fire.json"
check "generatorURL points back at procwatchd" jq -e --arg u "$(url "/alerts?state=all&target=spin")" \
    '.[0].generatorURL == $u' "$WORK/am.fire.json"
fired=$(ms "$(jq -r '.alerts[0].fired_at' "$WORK/pw.alerts")")
starts=$(ms "$(jq -r '.[0].startsAt' "$WORK/am.fire.json")")
check "startsAt is procwatchd's fired_at" [ "$starts" = "$fired" ]
ends=$(ms "$(jq -r '.[0].endsAt' "$WORK/am.fire.json")")
# No endsAt was posted: Alertmanager makes it updatedAt + resolve_timeout
# (against its own updatedAt: the checks above may take longer than that
# on a loaded machine).
upd=$(ms "$(jq -r '.[0].updatedAt' "$WORK/am.fire.json")")
check "endsAt is updatedAt + resolve_timeout, no endsAt posted ($ends - $upd)" \
    [ $((ends - upd)) -eq $((RESOLVE_TIMEOUT * 1000)) ]
upd1=$(ms "$(jq -r '.[0].updatedAt' "$WORK/am.fire.json")")

# --- re-sends keep it active past resolve_timeout -------------------------
sleep $((RESOLVE_TIMEOUT + 1))
check "still active after resolve_timeout (re-sent every resend_ms)" am_count 1
cp "$WORK/am.alerts" "$WORK/am.fire2.json"
check "still active, same startsAt" jq -e --arg s "$(jq -r '.[0].startsAt' "$WORK/am.fire.json")" \
    '.[0].status.state == "active" and .[0].startsAt == $s' "$WORK/am.fire2.json"
upd2=$(ms "$(jq -r '.[0].updatedAt' "$WORK/am.fire2.json")")
echo "# updatedAt moved by $((upd2 - upd1)) ms"
check "updatedAt moved on" [ "$upd2" -gt "$upd1" ]
firing_posts=$(am_metric 'alertmanager_alerts_received_total{status="firing",version="v2"}')
echo "# Alertmanager received $firing_posts firing alert(s)"
check "Alertmanager received the alert several times" [ "$firing_posts" -ge 3 ]
check "Alertmanager found no invalid alert" \
    [ "$(am_metric 'alertmanager_alerts_invalid_total{version="v2"}')" = 0 ]

# --- resolved: stop the spinner -------------------------------------------
kill -STOP "$SPIN"
t0=$(now_ms)
gone() { am_count 0; }
check "the alert leaves Alertmanager's list once resolved" wait_for resolved 75 gone
gone2() { am2_count 0; }
check "and the second Alertmanager's" wait_for resolved 75 gone2
echo "# gone from Alertmanager $(( $(now_ms) - t0 )) ms after SIGSTOP"
check "procwatchd has it resolved" jq -e --argjson p "$SPIN" \
    '.count == 1 and .alerts[0].pid == $p and .alerts[0].reason == "condition cleared"' \
    <(get "$(url "/alerts?state=resolved")")
# Alertmanager 0.25 keeps a resolved alert (until --alerts.gc-interval) but
# GET /api/v2/alerts skips every alert whose endsAt has passed, whatever the
# filters: active=false does not bring it back.
check "not listed with active=false (or any filter)" am_count 0 \
    'active=false&silenced=false&inhibited=false&unprocessed=false'
check "not listed with every filter on" am_count 0 \
    'active=true&silenced=true&inhibited=true&unprocessed=true'
check "Alertmanager received it resolved (endsAt in the past)" \
    [ "$(am_metric 'alertmanager_alerts_received_total{status="resolved",version="v2"}')" -ge 1 ]
firing_posts=$(am_metric 'alertmanager_alerts_received_total{status="firing",version="v2"}')
sleep 2
check "no re-sends after it resolved" [ "$(am_metric \
    'alertmanager_alerts_received_total{status="firing",version="v2"}')" = "$firing_posts" ]
check "Alertmanager has no active alert" \
    [ "$(am_metric 'alertmanager_alerts{state="active"}')" = 0 ]

# --- the late receiver: only the latest state, in order --------------------
kill -USR1 "$LATE_PID"
has_post() { [ -s "$WORK/late.jsonl" ]; }
check "the late receiver gets a post once it is up" wait_for late 50 has_post
sleep 2			# retries and re-sends would show up by now
# Per post, our alert as [endsAt or "firing"]; the last must be resolved,
# and nothing may say firing after a post that said resolved.
jq -r '.body | fromjson | map(select(.labels.alertname == "spin_hot")) |
    if length == 0 then "none" else (.[0].endsAt // "firing") end' \
    "$WORK/late.jsonl" >"$WORK/late.states"
echo "# late receiver's posts: $(tr '\n' ' ' <"$WORK/late.states")"
check "its last post has the alert resolved (endsAt set)" \
    sh -c "tail -1 '$WORK/late.states' | grep -q '^20'"
check "no firing after resolved" sh -c \
    "! awk '/^20/ { r = 1 } r && /^firing$/ { bad = 1 } END { exit !bad }' '$WORK/late.states'"
check "the resolved state is not re-sent once delivered" \
    [ "$(wc -l <"$WORK/late.jsonl")" -le 2 ]

# --- procwatchd's side, shutdown ------------------------------------------
get "$(url /metrics)" >"$WORK/metrics.txt"
echo "# am: $(grep 'receiver="am"' "$WORK/metrics.txt" | tr '\n' ' ')"
for u in "$AM" "$AM2"; do
	lbl="receiver=\"am\",url=\"$u/api/v2/alerts\""
	check "every post to $u was delivered, none failed or dropped" sh -c "
	    grep -qF '$lbl,result=\"delivered\"}' '$WORK/metrics.txt' &&
	    ! grep -F '$lbl,result=\"delivered\"} 0' '$WORK/metrics.txt' &&
	    grep -qF '$lbl,result=\"failed\"} 0' '$WORK/metrics.txt' &&
	    grep -qF '$lbl,result=\"dropped\"} 0' '$WORK/metrics.txt'"
done
check "nothing for the late receiver was dropped" sh -c \
    "! grep -q '^procwatch_notifications_total{receiver=\"late\",result=\"dropped\"} [1-9]' '$WORK/metrics.txt'"
check "SIGTERM exits 0" stop_daemon
check "daemon logged nothing at error level" sh -c "! grep -q '^<[0-3]>' \"$WORK/daemon.log\""
{ kill -KILL "$SPIN"; wait "$SPIN"; } 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $SPIN\b//")

for a in AM AM2; do
	pid=$(eval echo "\$${a}_PID")
	kill -TERM "$pid"
	wait "$pid"
	am_rc=$?
	PIDS=$(echo "$PIDS" | sed "s/ $pid\b//")
	check "Alertmanager $a exits 0 on SIGTERM" [ "$am_rc" = 0 ]
	check "Alertmanager $a logged no error" sh -c "! grep -q 'level=error' \"$WORK/$a.log\""
done
if [ "$FAILED" -ne 0 ]; then
	echo "# Alertmanager's log:"; sed 's/^/# /' "$WORK/AM.log"
	echo "# procwatchd's log:"; sed 's/^/# /' "$WORK/daemon.log"
fi
finish
