#!/bin/bash
# End-to-end: the history on a real, damaged or full, disk.
# The newest segment cut mid-record and bytes flipped in an older one: the
# daemon starts, logs both, and serves everything else.  A small tmpfs
# (mounted here, unmounted at the end) that fills up: sampling and the API
# go on, the dropped counter rises, and writing resumes once space is
# freed.
. "$(dirname "$0")/lib.sh"

MNT="$WORK/small"
unmount() { mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"; }
# The daemon first (it keeps files open there), then the mount, then WORK.
stop_all() {
	local p
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=""
}
trap 'stop_all; unmount; cleanup' EXIT

spawn S "$PW_TARGET" spin
now_ms() { date +%s%3N; }
iso() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }
h() { get "$(url /healthz)" | jq -e "$1" >/dev/null; }

# --- a torn tail and a corrupt segment ----------------------------------
# Every process at 100 ms in a 1 MiB budget: segments of at most 64 KiB.
mkdir -p "$WORK/st"
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 100, "history": 20,
  "state_dir": "$WORK/st", "history_max_bytes": 1048576 }
JSON
start_daemon "$WORK/cfg.json" || exit 1
T0=$(now_ms)
segs() { ls "$WORK/st/history"/raw-*.pws 2>/dev/null | wc -l; }
three() { [ "$(segs)" -ge 3 ]; }
# Each start begins a segment of its own: three runs make three on any
# machine, however few processes it has to fill 64 KiB segments with.
for r in 1 2; do
	wait_cycles 15
	stop_daemon
	start_daemon "$WORK/cfg.json" || exit 1
done
wait_cycles 15
check "three raw segments written" three
stop_daemon
NEWEST=$(ls "$WORK/st/history"/raw-*.pws | tail -1)
OLDER=$(ls "$WORK/st/history"/raw-*.pws | tail -2 | head -1)
size=$(stat -c %s "$NEWEST")
truncate -s $((size - 37)) "$NEWEST"
osize=$(stat -c %s "$OLDER")
printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' |
    dd of="$OLDER" bs=1 seek=$((osize / 2)) conv=notrunc 2>/dev/null
start_daemon "$WORK/cfg.json" || exit 1
wait_cycles 10
check "starts on a torn and a corrupt segment" kill -0 "$DAEMON_PID"
get "$(url "/api/v1/processes/$S/samples?since=$(iso "$T0")&until=now")" >"$WORK/s.json"
check "serves the spinner's samples around the damage" jq -e \
    '.count > 20 and (.source | test("disk"))' "$WORK/s.json"
check "the gap of the corrupt part is shown" jq -e '.gaps | length >= 1' "$WORK/s.json"
check "the log names the torn segment" grep -q "$(basename "$NEWEST").*torn" "$WORK/daemon.log"
# The older segment's size is unchanged, so its index stands at start; the
# read that meets the bad record counts it and the writer logs it.
logged() { grep -q "corrupt record(s) skipped" "$WORK/daemon.log"; }
check "the log tells of the corrupt records" wait_for "corrupt logged" 50 logged
check "/healthz counts what was skipped" h '.history.corrupt_skipped > 0'
check "/metrics counts it too" [ "$(metric procwatch_history_corrupt_skipped_total)" -gt 0 ]
stop_daemon

# --- a disk that fills up -----------------------------------------------
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=1m tmpfs "$MNT" 2>"$WORK/mount.err"; then
	skip_part "cannot mount a tmpfs: $(cat "$WORK/mount.err")"
	finish
	exit
fi
cat >"$WORK/cfg2.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 100, "history": 20,
  "state_dir": "$MNT", "history_max_bytes": 67108864 }
JSON
start_daemon "$WORK/cfg2.json" || exit 1
wait_cycles 5
check "writing on the small disk" h '.history.writing == true'
dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null
dropped() { [ "$(metric 'procwatch_history_dropped_total{reason="write_error"}')" -gt 0 ] 2>/dev/null; }
check "disk full: dropped writes counted" wait_for "dropped writes" 100 dropped
check "disk full: /healthz says writing failed" h '.history.writing == false and (.history.write_error | length > 0)'
c1=$(cycles)
check "disk full: sampling goes on" wait_cycles 10
check "disk full: the API goes on" jq -e '.count > 0' <(get "$(url "/api/v1/processes/$S/samples")")
check "disk full: said once, not every cycle" [ "$(grep -c 'history:' "$WORK/daemon.log")" -le 3 ]
written=$(metric procwatch_history_cycles_written_total)
rm -f "$MNT/fill"
resumed() { [ "$(metric procwatch_history_cycles_written_total)" -gt "$written" ] 2>/dev/null; }
check "space freed: writing resumes" wait_for "writing resumes" 100 resumed
check "space freed: /healthz says writing" h '.history.writing == true'
check "the sampler never stopped" [ "$(cycles)" -gt "$c1" ]
stop_daemon
unmount
finish
