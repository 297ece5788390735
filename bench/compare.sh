#!/bin/bash
# bench/compare.sh: procwatchd side by side with pidstat (sysstat),
# Netdata's apps.plugin and prometheus-process-exporter, each on its own
# against the same farm, in CPU per process-sample.
#
#   bench/compare.sh [--install] [N]      (default N: 1000)
#   FARM_ARGS="-b 4"                      the busy farm (default: mostly idle)
#   REPEATS=3 DURATION=20                 windows per tool and seconds each
#   LOCK=/tmp/procwatch-e2e.lock          hold this flock(1) lock throughout
#
# --install runs `apt-get install --no-install-recommends sysstat
# netdata-core prometheus-process-exporter` first (Debian; it may start the
# packages' services where policy-rc.d allows it).  A tool that is not
# installed is listed as "not installed".
#
# Each tool runs alone, once a second, after a warm-up of 3 s (its first
# pass over /proc is not measured).  A window starts half a second after
# the tool's work of one second showed (its output grew, or for
# process-exporter, which works when scraped, half a second after the
# scrape this script sends every second), so each window of DURATION s
# holds DURATION passes.  CPU is the tool's threads' schedstat run time
# (ns).  What counts as a process-sample, per tool:
#   procwatchd         the farm (target: the farm's parent with children);
#                      samples from /healthz (cycles x processes)
#   pidstat            -u -r -d -w -h -p <the farm's pids> 1: stat, status
#                      and io of each listed pid; the farm's pids
#   apps.plugin        every process on the machine (it cannot be pointed
#                      at some), with its default options (it also reads
#                      every descriptor's link); /proc's pids, counted
#                      at both ends of the window
#   process-exporter   -procnames pw_farm -threads=false
#                      -gather-smaps=false, scraped once a second by curl
#                      (the curl's CPU is not counted); the farm's pids.
#                      It still reads every process's stat to match names.
# Run from a configured build directory after
#   make daemon/procwatchd bench/pw_farm
# Every process started is stopped by its pid; traffic stays on 127.0.0.1.
# shellcheck disable=SC2086 # pid lists split on purpose
set -u
B=${PW_BUILDDIR:-$PWD}
S=$(cd "$(dirname "$0")" && pwd)
DURATION=${DURATION:-20}
REPEATS=${REPEATS:-3}
FARM_ARGS=${FARM_ARGS:-}
LOCK=${LOCK:-}
APPS_PLUGIN=${APPS_PLUGIN:-/usr/lib/netdata/plugins.d/apps.plugin}
PEXP=${PEXP:-/usr/bin/prometheus-process-exporter}
if [ "${1:-}" = --install ]; then
	shift
	apt-get install -y --no-install-recommends sysstat netdata-core \
	    prometheus-process-exporter || exit 2
fi
N=${1:-1000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pw-compare.XXXXXX")
# shellcheck source=bench/common.sh
. "$S/common.sh"
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

for f in daemon/procwatchd bench/pw_farm; do
	[ -x "$B/$f" ] || die "$B/$f missing: make $f"
done
[ -z "$LOCK" ] || { exec 9>"$LOCK" && flock 9; }

nproc_all() { find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l; }
forks_total() { awk '$1 == "processes" { print $2 }' /proc/stat; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

# windows PID PHASE_US PER_CYCLE: REPEATS windows of DURATION s starting
# half a second after PHASE_US; PER_CYCLE is a number of process-samples
# per pass, or "all" for every process on the machine.  Sets US and CORE
# to "min / median / max".
windows() {
	local pid=$1 t=$(( $2 + 500000 )) per=$3 c0 c1 k us=() core=() p0 p1 f0 f=0
	for _ in $(seq "$REPEATS"); do
		while [ "$t" -le "$(now_us)" ]; do t=$((t + 1000000)); done
		sleep_until "$t"
		[ "$per" = all ] && p0=$(nproc_all)
		f0=$(forks_total)
		c0=$(cpu_ns "$pid")
		t=$((t + DURATION * 1000000))
		sleep_until "$t"
		c1=$(cpu_ns "$pid")
		f=$((f + $(forks_total) - f0))
		if [ "$per" = all ]; then
			p1=$(nproc_all)
			k=$(( DURATION * (p0 + p1) / 2 ))
		else
			k=$(( DURATION * per ))
		fi
		us+=("$(awk -v c="$((c1 - c0))" -v k="$k" 'BEGIN { printf "%.3f", c / 1000 / k }')")
		core+=("$(awk -v c="$((c1 - c0))" -v d="$DURATION" 'BEGIN { printf "%.3f", c / 1e7 / d }')")
	done
	FORKS=$(awk -v f="$f" -v d="$((REPEATS * DURATION))" 'BEGIN { printf "%.0f", f / d }')
	US=$(stats "${us[@]}")
	CORE=$(stats "${core[@]}")
}

ROWS=""
row() { ROWS="$ROWS$(printf '%-18s %-38s %-26s %-20s %s' "$1" "$2" "$3" "$4" "${5:-}")"$'\n'; }

machine_line
start_farm $FARM_ARGS $N
sleep 2
echo "# farm: pw_farm $FARM_ARGS $N ($NPROCS processes), $(nproc_all) processes on the machine; $REPEATS windows of $DURATION s per tool"

# --- procwatchd ----------------------------------------------------------------
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 1000, "history": 1000,
  "targets": [ { "name": "farm", "pid": $FARM, "children": true } ] }
JSON
"$B/daemon/procwatchd" --config "$WORK/cfg.json" 2>"$WORK/d.log" &
D=$!; started "$D"
PORT=""
for _ in $(seq 300); do
	PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$WORK/d.log" | head -1)
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ -n "$PORT" ] || die "procwatchd did not start"
hz() { curl -s "http://127.0.0.1:$PORT/healthz" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
for _ in $(seq 600); do [ "$(hz processes)" -ge "$NPROCS" ] 2>/dev/null && break; sleep 0.2; done
sleep 3
curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"	# first render, not measured
windows "$D" "$(phase_of hz cycles)" "$NPROCS"
row procwatchd "farm, idle path when unchanged" "$US" "$CORE" "$FORKS"
stop "$D"

# --- pidstat -------------------------------------------------------------------
if command -v pidstat >/dev/null; then
	stdbuf -oL pidstat -u -r -d -w -h -p "$(echo $FARM $KIDS | tr ' ' ,)" 1 \
	    >"$WORK/pidstat.out" 2>&1 &
	P=$!; started "$P"
	sleep 3
	ph=$(phase_of size_of "$WORK/pidstat.out")
	if [ -n "$ph" ]; then
		windows "$P" "$ph" "$NPROCS"
		row pidstat "farm (-p list): stat,status,io" "$US" "$CORE" "$FORKS"
	else
		row pidstat "no output: $(head -c 80 "$WORK/pidstat.out")" - -
	fi
	stop "$P"
else
	row pidstat "not installed (sysstat)" - -
fi

# --- Netdata apps.plugin -------------------------------------------------------
if [ -x "$APPS_PLUGIN" ]; then
	# It exits when its stdin closes: give it a fifo this script holds.
	mkfifo "$WORK/apps.in"
	exec 8<>"$WORK/apps.in"
	"$APPS_PLUGIN" 1 <"$WORK/apps.in" >"$WORK/apps.out" 2>"$WORK/apps.err" &
	P=$!; started "$P"
	sleep 3
	ph=$(phase_of size_of "$WORK/apps.out")
	if [ -n "$ph" ]; then
		windows "$P" "$ph" all
		row apps.plugin "all processes, with fds" "$US" "$CORE" "$FORKS"
	else
		row apps.plugin "no output: $(tail -1 "$WORK/apps.err" | cut -c1-60)" - -
	fi
	stop "$P"
	exec 8>&-
else
	row apps.plugin "not installed (netdata-core)" - -
fi

# --- prometheus-process-exporter ---------------------------------------------
if [ -x "$PEXP" ]; then
	for _ in 1 2 3 4 5; do
		EPORT=$((20000 + RANDOM % 20000))
		"$PEXP" -procnames pw_farm -threads=false -gather-smaps=false \
		    -web.listen-address "127.0.0.1:$EPORT" >"$WORK/pexp.log" 2>&1 &
		P=$!; started "$P"
		for _ in $(seq 50); do
			curl -s -o /dev/null "http://127.0.0.1:$EPORT/metrics" && break
			sleep 0.1
		done
		kill -0 "$P" 2>/dev/null && break
		stopped "$P"
	done
	# The scraper: one GET a second on the second, until stopped.
	scrape() {
		local t
		t=$(( ($(now_us) / 1000000 + 1) * 1000000 ))
		while :; do
			sleep_until "$t"
			curl -s -o "$WORK/pexp.prom" "http://127.0.0.1:$EPORT/metrics"
			t=$((t + 1000000))
		done
	}
	scrape &
	SC=$!; started "$SC"
	sleep 3
	# Every process named pw_farm is sampled, other farms' too.
	np=$(awk '/^namedprocess_namegroup_num_procs/ { print $2 }' "$WORK/pexp.prom")
	ph=$(( ($(now_us) / 1000000) * 1000000 ))
	windows "$P" "$ph" "${np:-$NPROCS}"
	row process-exporter "pw_farm ($np processes), 1 scrape/s" "$US" "$CORE" "$FORKS"
	stop "$SC"
	stop "$P"
else
	row process-exporter "not installed" - -
fi

echo
printf '%-18s %-38s %-26s %-20s %s\n' tool "process-samples of" "us CPU/process-sample" "% of one core" "forks/s"
printf '%-18s %-38s %-26s %-20s %s\n' "" "" "min / median / max" "min / median / max" "(machine)"
printf '%s' "$ROWS"
