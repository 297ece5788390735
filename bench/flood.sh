#!/bin/bash
# bench/flood.sh: probe latency and the daemon's cost under a connection
# flood (issue 21); not part of make check (tests/e2e/flood.sh checks the
# behaviour).  procwatchd runs with its default connection limits and one
# target every 200 ms; tests/e2e/pw_flood holds N (5000) connections, half
# idle and half slowloris, reopening each one the daemon cuts.  After a
# settling second, PROBES (200) curl requests for /healthz alternate
# between source addresses 127.0.0.2 and 127.0.0.1 (all to 127.0.0.1),
# 0.1 s apart, each with --max-time 1.  It prints, per source address, how
# many answered and the p50/p99/max of those that did; the daemon's CPU
# time and VmRSS during the flood against the same span before it; its
# connection sockets; the flood's churn; listen-queue overflows (nstat);
# the cycle jitter p99 from /metrics; and the probes in the 3 s after the
# flood is stopped.
#
#   cd build && make daemon/procwatchd tests/e2e/pw_flood && ../bench/flood.sh
#   N=1800 PROBES=100 ../bench/flood.sh
set -u
B=${B:-$(pwd)}
N=${N:-5000}
PROBES=${PROBES:-200}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pw-flood-bench.XXXXXX")
. "$(dirname "$0")/common.sh"
trap 'stop_all; rm -rf "$WORK"' EXIT
[ -x "$B/daemon/procwatchd" ] && [ -x "$B/tests/e2e/pw_flood" ] ||
    die "run from a build directory with daemon/procwatchd and tests/e2e/pw_flood"

cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "state_dir": "$WORK",
  "targets": [ { "name": "self", "pid": $$ } ] }
JSON
"$B/daemon/procwatchd" --config "$WORK/cfg.json" 2>"$WORK/log" &
D=$!
started $D
for i in $(seq 1 100); do
	PORT=$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$WORK/log" | head -1)
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ -n "$PORT" ] || die "procwatchd did not start: $(cat "$WORK/log")"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$D/status"; }
socks() { find "/proc/$D/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
probe() {	# probe ADDR: "ADDR CODE SECONDS"
	curl -s -o /dev/null --interface "$1" --max-time 1 \
	    -w "$1 %{http_code} %{time_total}\n" "http://127.0.0.1:$PORT/healthz"
}
probes() {	# probes COUNT OUT
	local i
	for i in $(seq 1 "$1"); do
		if [ $((i % 2)) = 1 ]; then probe 127.0.0.2; else probe 127.0.0.1; fi
		sleep 0.1
	done >"$2"
}
summary() {	# summary FILE
	local a
	for a in 127.0.0.2 127.0.0.1; do
		awk -v a="$a" '$1 == a { n++; if ($2 == 200) print $3 * 1000 }' "$1" |
		    sort -n | awk -v a="$a" -v n="$(grep -c "^$a " "$1")" '
		    { v[NR] = $1 }
		    END {
			p99 = int(NR * 0.99 + 0.999); if (p99 < 1) p99 = 1
			printf "  from %s: %d of %d answered; p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
			    a, NR, n, v[int(NR * 0.5 + 0.999)], v[p99], v[NR] }'
	done
}

sleep 2
socks0=$(socks)
rss0=$(rss)
# cpu_pct NS0 NS1 US0 US1: CPU time over wall time, in percent of a core.
cpu_pct() { echo "$1 $2 $3 $4" | awk '{ printf "%.1f", ($2 - $1) / 10 / ($4 - $3) }'; }
c0=$(cpu_ns $D) t0=$(now_us)
probes "$PROBES" "$WORK/quiet"
c1=$(cpu_ns $D) t1=$(now_us)
echo "procwatchd, no flood: VmRSS $rss0 kB, CPU $(cpu_pct "$c0" "$c1" "$t0" "$t1") % of a core"
summary "$WORK/quiet"

"$B/tests/e2e/pw_flood" "$PORT" "$N" >"$WORK/flood" 2>&1 &
F=$!
started $F
sleep 3
nstat -n 2>/dev/null
c0=$(cpu_ns $D) t0=$(now_us)
smax=0 rmax=0
( probes "$PROBES" "$WORK/during" ) &
P=$!
while kill -0 $P 2>/dev/null; do
	s=$(( $(socks) - socks0 )); [ "$s" -gt "$smax" ] && smax=$s
	r=$(rss); [ "$r" -gt "$rmax" ] && rmax=$r
	sleep 0.5
done
wait $P
c1=$(cpu_ns $D) t1=$(now_us)
read -r _ held _ ri rs < <(tail -1 "$WORK/flood")
echo "during a flood of $N (held $held; reopened after a cut so far: $ri idle, $rs slowloris):"
echo "  procwatchd CPU $(cpu_pct "$c0" "$c1" "$t0" "$t1") % of a core;" \
    "VmRSS at most $rmax kB (+$((rmax - rss0)) kB); connection sockets at most $smax"
echo "  listen queue overflows (all of the flood's and the probes' SYNs):" \
    "$(nstat 2>/dev/null | awk '$1 == "TcpExtListenOverflows" { n = $2 } END { print n + 0 }')"
summary "$WORK/during"
jit=$(curl -s "http://127.0.0.1:$PORT/metrics" |
    awk '$1 == "procwatch_sampling_jitter_seconds" { print $2 * 1000 }')
echo "  cycle jitter p99 (last 1024 cycles) $jit ms"
stop $F
probes 30 "$WORK/after"
echo "after the flood (the next 3 s): VmRSS $(rss) kB"
summary "$WORK/after"
