#!/bin/bash
# delay.sh: per-process scheduling and I/O delays, and delay accounting.
#
# - delay_accounting "auto" turns kernel.task_delayacct on as root (the
#   script turns it off first and puts back what it found at the end) and
#   logs that it did; /healthz says so.
# - Two spinners pinned to one CPU each wait for it about half the time:
#   cpu_delay_percent 30 to 70; a third spinner alone on the other CPU,
#   measured over the same window, waits under 10 %.  The window is 6
#   cycles of 1 s and the figure is their mean (GET .../stats).  The
#   machine is shared: the other engineers' builds (nice 0) would take
#   their share of either CPU and raise every spinner's delay by it (the
#   pair measured 80 % and the lone one 13 % at a load average of 6), so
#   the spinners run at nice -10, each in a session (an autogroup, where
#   the kernel has them) of its own also at nice -10: CFS then gives each
#   other nice-0 session about a tenth of the CPU against them (at -20 the
#   test's own curl and jq starve and it takes a minute).  What other work
#   still ran on the lone spinner's CPU during the window (its busy time
#   in /proc/stat less the spinner's CPU) is allowed on top of its 10 %;
#   on an idle machine that is about 0 (at a load average of 10 it
#   was 29 %, and so was the lone spinner's delay).  Each spinner's CPU %
#   plus its delay must make the whole interval (85 to 110), which holds
#   whatever the load.  The least-loaded CPU (idle
#   time over 1 s in /proc/stat) gets the lone spinner.
# - dd with oflag=dsync writing to a block device waits for block I/O:
#   io_delay_percent above 1 on average (each write waits for the device).
#   The work directory may be a tmpfs (CI's /tmp is one), where nothing
#   waits for a device: then the build directory, then /var/tmp.
# - delay_accounting "off" leaves the switch alone and io_delay_percent is
#   null, with the reason in /healthz and the catalogue.
. "$(dirname "$0")/lib.sh"

SW=/proc/sys/kernel/task_delayacct
[ "$(id -u)" = 0 ] || skip "turning on delay accounting needs root"
[ -w "$SW" ] || skip "$SW is missing or read-only"
command -v taskset >/dev/null || skip "taskset (util-linux) is missing"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
ORIG=$(cat "$SW")
trap 'echo "$ORIG" >"$SW"; cleanup' EXIT

# The two CPUs with the most idle time over a second, most idle first.
idle_cpus() {
	local a b
	a=$(awk '/^cpu[0-9]/ { print $1, $5 + $6 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu[0-9]/ { print $1, $5 + $6 }' /proc/stat)
	join <(echo "$a") <(echo "$b") | awk '{ print $3 - $2, substr($1, 4) }' |
	    sort -rn | awk 'NR <= 2 { print $2 }'
}

# busy_of CPU: "busy total" jiffies of that CPU from /proc/stat.
busy_of() {
	awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i;
	    print t - $5 - $6, t }' /proc/stat
}
# proc_json PID: the process's JSON.
proc_json() { get "$(url "/api/v1/processes/$1")"; }
# mean PID METRIC: the metric's mean over the last 6 s (null if none).
mean() {
	get "$(url "/api/v1/processes/$1/stats?window=6s&metrics=$2")" |
	    jq -r ".metrics.$2.avg"
}
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "null" && v >= lo && v <= hi) }'; }
above() { awk -v v="$1" -v lo="$2" 'BEGIN { exit !(v != "null" && v > lo) }'; }

echo 0 >"$SW"
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 1000, "history": 100 }
JSON
start_daemon "$WORK/cfg.json"
check "auto: the daemon turned on kernel.task_delayacct" \
    test "$(cat "$SW")" = 1
check "auto: and logged it once" \
    test "$(grep -c 'turned on kernel.task_delayacct' "$WORK/daemon.log")" = 1
check "healthz: delay accounting on, taskstats in use" \
    sh -c "curl -s '$(url /healthz)' | jq -e '.delays.delay_accounting == \"on\" and .delays.taskstats and .delays.metrics.io_delay_percent.available == \"yes\"'"

read -r LONE PAIR < <(idle_cpus | tr '\n' ' ')
echo "# lone spinner on CPU $LONE, the pair on CPU $PAIR"
# nice, setsid and taskset exec: the spawned pid is the spinner's.  Its
# own session is its own autogroup, whose nice it sets before it spins.
spin() {
	spawn "$1" nice -n -10 setsid bash -c "echo -10 >/proc/\$\$/autogroup 2>/dev/null; exec taskset -c $2 bash -c 'while :; do :; done'"
}
spin S1 "$PAIR"
spin S2 "$PAIR"
spin S3 "$LONE"
DSYNC_DIR=""
for d in "$WORK" "$PW_BUILDDIR" /var/tmp; do
	case $(stat -f -c %T "$d" 2>/dev/null) in
	tmpfs|ramfs|"") ;;
	*) DSYNC_DIR=$(mktemp -d "$d/pw-dsync.XXXXXX") && break ;;
	esac
done
[ -n "$DSYNC_DIR" ] || skip "no directory on a block device for dd oflag=dsync"
trap 'cleanup; rm -rf "$DSYNC_DIR"; echo "$ORIG" >"$SW"' EXIT	# after dd is killed
echo "# dd writes to $DSYNC_DIR ($(stat -f -c %T "$DSYNC_DIR"))"
spawn DD dd if=/dev/zero of="$DSYNC_DIR/dsync.out" bs=4096 count=1000000 oflag=dsync
wait_cycles 1
B0=$(busy_of "$LONE")
wait_cycles 6
B1=$(busy_of "$LONE")
M1=$(mean "$S1" cpu_delay_percent)
M2=$(mean "$S2" cpu_delay_percent)
M3=$(mean "$S3" cpu_delay_percent)
C1=$(mean "$S1" cpu_percent)
C3=$(mean "$S3" cpu_percent)
IO=$(mean "$DD" io_delay_percent)
echo "# cpu_delay_percent: pair $M1 $M2, lone $M3; cpu_percent: $C1, lone $C3; dd io_delay_percent $IO"
# A spinner is always runnable: on a CPU or waiting for one.
check "pair: run + wait is the whole interval ($C1 + $M1)" \
    between "$(awk -v a="$C1" -v b="$M1" 'BEGIN { print a + b }')" 85 110
check "lone: run + wait is the whole interval ($C3 + $M3)" \
    between "$(awk -v a="$C3" -v b="$M3" 'BEGIN { print a + b }')" 85 110
check "pair: the first spinner waits 30 to 70 % ($M1)" between "$M1" 30 70
check "pair: the second spinner waits 30 to 70 % ($M2)" between "$M2" 30 70
# What the rest of the machine ran on the lone spinner's CPU meanwhile.
OTHER=$(echo "$B0 $B1" | awk -v c="$C3" '{ o = ($3 - $1) * 100 / ($4 - $2) - c;
    print o < 0 ? 0 : o }')
echo "# other work on CPU $LONE: $OTHER %"
check "lone: the spinner waits under 10 % plus what other work took ($M3 < 10 + $OTHER)" \
    between "$M3" 0 "$(awk -v o="$OTHER" 'BEGIN { print 10 + o }')"
check "dd oflag=dsync: io_delay_percent clearly above 0 ($IO)" above "$IO" 1
check "a sample's JSON has the four delays" \
    sh -c "curl -s '$(url "/api/v1/processes/$DD")' | jq -e '.sample | has(\"cpu_delay_percent\") and has(\"io_delay_percent\") and has(\"swapin_delay_percent\") and has(\"memory_delay_percent\")'"
check "/metrics has procwatch_process_cpu_delay_percent" \
    sh -c "curl -s '$(url /metrics)' | grep -q '^procwatch_process_cpu_delay_percent{.*pid=\"$S1\"'"
# The verdicts over the same 6 s (README, "Bottlenecks"): the pair is
# starved, not busy; the lone spinner is a cpu entry.
get "$(url "/api/v1/bottlenecks?window=6s&limit=1000")" >"$WORK/bn.json"
starved() { jq -e --argjson p "$1" '[.bottlenecks[] | select(.pid == $p and .type == "cpu_starved")][0] | .evidence.cpu_delay_percent >= 20 and (.severity == "medium" or .severity == "high" or .severity == "critical") and (.suggestions | any(test("Faster code will not help")))' "$WORK/bn.json" >/dev/null; }
check "pair: the first spinner is a cpu_starved bottleneck" starved "$S1"
check "pair: the second spinner is a cpu_starved bottleneck" starved "$S2"
check "lone: the spinner is a cpu bottleneck" jq -e --argjson p "$S3" \
    'any(.bottlenecks[]; .pid == $p and .type == "cpu")' "$WORK/bn.json"
# Other work on its CPU makes it wait (CI: 8.6 and 18.9 %), and then a
# cpu_starved entry is the truth; one beyond what that work explains (the
# verdict's window is not quite the stats' one: 5 points more) is not.
check "lone: not cpu_starved beyond what other work explains (waits $M3 %, other $OTHER %)" \
    jq -e --argjson p "$S3" --argjson lim "$(awk -v o="$OTHER" 'BEGIN { print 15 + o }')" \
    'all(.bottlenecks[]; .pid != $p or .type != "cpu_starved" or
        .evidence.cpu_delay_percent < $lim)' "$WORK/bn.json"
stop_daemon

# "off": the switch is left as it is, and what needs it is null.
echo 0 >"$SW"
cat >"$WORK/off.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 1000, "history": 100,
  "delay_accounting": "off" }
JSON
start_daemon "$WORK/off.json"
wait_cycles 3
check "off: kernel.task_delayacct left off" test "$(cat "$SW")" = 0
check "off: io_delay_percent is null, cpu_delay_percent is not" \
    sh -c "curl -s '$(url "/api/v1/processes/$DD")' | jq -e '.sample.io_delay_percent == null and .sample.cpu_delay_percent != null'"
check "off: /healthz says why" \
    sh -c "curl -s '$(url /healthz)' | jq -e '.delays.delay_accounting == \"off\" and (.delays.metrics.io_delay_percent.reason | test(\"delay_accounting is .off.\"))'"
check "off: the catalogue says why" \
    sh -c "curl -s '$(url /api/v1/catalogue)' | jq -e '.metrics[] | select(.name == \"io_delay_percent\") | .available == \"no\" and (.unavailable_reason | test(\"task_delayacct\"))'"
stop_daemon
finish
