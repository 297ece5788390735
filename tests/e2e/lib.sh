# lib.sh: helpers for the end-to-end tests, sourced by each script.
#
# Every process a test starts is recorded and stopped by its PID on exit.
# Files go under a mktemp directory (distcheck makes the source read-only).
set -u

: "${PW_BUILDDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PW_SRCDIR:=$PW_BUILDDIR}"
PROCWATCHD="$PW_BUILDDIR/daemon/procwatchd"
PW_TARGET="$PW_BUILDDIR/tests/e2e/pw_target"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pw-e2e.XXXXXX")
# A config without "state_dir" keeps its spool and history here (as under
# systemd's StateDirectory=), never in the machine's /var/lib/procwatch.
mkdir -p "$WORK/state"
export STATE_DIRECTORY="$WORK/state"
# The scripts measure CPU and timing of real processes: under make -j they
# would starve each other on a small machine, so they take turns.
exec 9>"${TMPDIR:-/tmp}/procwatch-e2e.lock"
flock 9
PIDS=""
PASSED=0
FAILED=0
DAEMON_PID=""
PORT=""

cleanup() {
	local p
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${PW_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

SKIPPED=0

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() {	# check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@" >/dev/null; then ok "$d"; else not_ok "$d"; fi
}

# spawn VAR CMD...: start a process in the background, its pid in VAR.
spawn() {
	local var=$1; shift
	"$@" >"$WORK/spawn.$$.$RANDOM" 2>&1 &
	PIDS="$PIDS $!"
	eval "$var=$!"
}

# start_daemon CONFIG [extra args]: start procwatchd on 127.0.0.1 (or [::1]) with a
# port chosen by the kernel; sets DAEMON_PID and PORT.
start_daemon() {
	local cfg=$1 i; shift
	: >"$WORK/daemon.log"
	${PW_WRAPPER:-} "$PROCWATCHD" --config "$cfg" "$@" 2>"$WORK/daemon.log" &
	DAEMON_PID=$!
	PIDS="$PIDS $DAEMON_PID"
	for i in $(seq 1 300); do
		PORT=$(sed -n 's#.*listening on https\{0,1\}://\(127\.0\.0\.1\|0\.0\.0\.0\|\[::1\]\):\([0-9]*\)/.*#\2#p' \
		    "$WORK/daemon.log" | head -1)
		[ -n "$PORT" ] && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "procwatchd did not start:"; cat "$WORK/daemon.log"
	return 1
}

# stop_daemon: SIGTERM, wait, and return the daemon's exit status.
stop_daemon() {
	local rc
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	rc=$?
	PIDS=$(echo "$PIDS" | sed "s/ $DAEMON_PID\b//")
	# valgrind.sh: memcheck's verdict (exit 99) counts even where the
	# caller does not check the status.  Its report, from the log, goes
	# to stderr: check sends the caller's stdout to /dev/null.
	if [ -n "${PW_VALGRIND:-}" ] && [ $rc -ne 0 ]; then
		{ not_ok "procwatchd under valgrind exited $rc"
		  grep '^==[0-9]*==' "$WORK/daemon.log" | head -200; } >&2
	elif [ -n "${PW_SANITIZED:-}" ] && [ $rc -ne 0 ]; then
		# The sanitizer's report, or the log's end, into the test's log.
		{ echo "# procwatchd exited $rc; its log:"
		  if grep -q '^==[0-9]*==\|runtime error' "$WORK/daemon.log"; then
			grep -A60 '^==[0-9]*==\|runtime error' "$WORK/daemon.log" | head -200
		  else
			tail -30 "$WORK/daemon.log"
		  fi | sed 's/^/#   /'; } >&2
	fi
	return $rc
}

url() { echo "http://127.0.0.1:$PORT$1"; }

# start_receiver VAR OUT [args]: start tests/e2e/pw_receiver (a webhook
# receiver on 127.0.0.1 appending each POST to OUT), its port in VAR and
# its pid in VAR_PID.
start_receiver() {
	local var=$1 out=$2 pf i; shift 2
	pf="$WORK/port.$RANDOM"
	spawn "${var}_PID" "$PW_BUILDDIR/tests/e2e/pw_receiver" "$@" "$pf" "$out"
	for i in $(seq 1 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	eval "$var=$(cat "$pf")"
}

# get PATH: body to stdout; HTTP status in $WORK/status.
get() {
	curl -s -o "$WORK/body" -w '%{http_code}' "$@" >"$WORK/status" 2>/dev/null
	cat "$WORK/body"
}
status() { cat "$WORK/status"; }

# wait_for DESCRIPTION TRIES COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local d=$1 n=$2 i; shift 2
	for i in $(seq 1 "$n"); do
		if "$@"; then return 0; fi
		sleep 0.2
	done
	echo "# timed out waiting for: $d"
	return 1
}

# cycles: the daemon's sampling cycles so far, by its own count (/metrics).
cycles() {
	curl -s "$(url /metrics)" |
	    awk '$1 == "procwatch_sampling_cycles_total" { print $2 }'
}
cycles_ge() { [ "$(cycles)" -ge "$1" ] 2>/dev/null; }
# wait_cycles N: wait, with a deadline, until the daemon has run N more
# sampling cycles.  "Long enough for it to have seen that" by the daemon's
# own clock, not a wall-clock guess that a loaded machine or ASan breaks.
wait_cycles() {
	local want
	want=$(( $(cycles) + $1 ))
	wait_for "$1 more sampling cycles" $(( $1 * 25 + 50 )) cycles_ge "$want"
}

# skip REASON: this whole script cannot run here.  On a developer's partial
# machine that is a skip (exit 77, which automake reports as SKIP); under
# PW_STRICT=1 (scripts/test.sh, the README's test command, where root and
# every Debian package are present) a test that cannot run what it claims
# is a failure.  Call it only before any check has run.
skip() {
	if [ "${PW_STRICT:-0}" = 1 ]; then
		echo "not ok - cannot run: $*"
		exit 1
	fi
	echo "# SKIP: $*"
	exit 77
}

# skip_part REASON: one section of the script cannot run; the rest goes on.
# It is counted in finish's summary, and under PW_STRICT=1 it is a failure.
skip_part() {
	if [ "${PW_STRICT:-0}" = 1 ]; then
		not_ok "cannot run: $*"
		return 0
	fi
	SKIPPED=$((SKIPPED + 1))
	echo "# SKIP (part): $*"
}

finish() {
	# valgrind.sh: a daemon still running is stopped here, not killed by
	# cleanup, so that memcheck's verdict on it counts.
	if [ -n "${PW_VALGRIND:-}" ] && [ -n "$DAEMON_PID" ] &&
	    echo "$PIDS " | grep -q " $DAEMON_PID "; then
		check "procwatchd exits 0 at the end" stop_daemon
	fi
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
}

# --- helpers that several scripts share ------------------------------------

# expect_err STATUS PATH [curl args]: the daemon answers STATUS with a JSON
# {"error": "..."}, which is left in $WORK/err.json.
expect_err() {
	local want=$1 path=$2; shift 2
	get "$(url "$path")" "$@" >"$WORK/err.json"
	[ "$(status)" = "$want" ] &&
	    jq -e '.error | type == "string" and length > 0' "$WORK/err.json" >/dev/null
}

# post PATH BODY [curl args]: POST BODY as JSON; the answer to stdout, its
# HTTP status in $WORK/status (as get).
post() {
	local path=$1 body=$2; shift 2
	get "$(url "$path")" -X POST -H 'Content-Type: application/json' \
	    --data-binary "$body" "$@"
}

# expect_post_err STATUS PATH BODY [curl args]: expect_err for a POST.
expect_post_err() {
	local want=$1 path=$2 body=$3; shift 3
	expect_err "$want" "$path" -X POST -H 'Content-Type: application/json' \
	    --data-binary "$body" "$@"
}

# metric NAME: the value of the unlabelled series NAME on /metrics
# (NAME{labels} for a labelled one, written as /metrics writes it).
metric() {
	get "$(url /metrics)" | awk -v m="$1" '$1 == m { print $2; exit }'
}

# hook_has JQ-CONDITION: a webhook receiver's $WORK/hook.jsonl holds an
# alert for which the condition holds.
hook_has() {
	[ -f "$WORK/hook.jsonl" ] && jq -e -s "[.[].body | fromjson | .alerts[] | select($1)] | length > 0" \
	    "$WORK/hook.jsonl" >/dev/null
}

# npm_setup NAME FILE...: copy tests/NAME/FILE... to tests/NAME-run/ under
# the build directory (distcheck's source tree is read-only) and install
# its packages there with npm ci, once per lockfile; sets NODEDIR.  The
# caller has checked that node and npm are there.
npm_setup() {
	local name=$1 f; shift
	NODEDIR="$PW_BUILDDIR/tests/$name-run"
	mkdir -p "$NODEDIR"
	for f in package.json package-lock.json "$@"; do
		cp -f "$PW_SRCDIR/tests/$name/$f" "$NODEDIR/$f"
	done
	if ! cmp -s "$NODEDIR/package-lock.json" \
	    "$NODEDIR/node_modules/.pw-lockfile"; then
		(cd "$NODEDIR" && npm ci --no-audit --no-fund \
		    --loglevel=error) ||
		    { echo "not ok - npm ci in $NODEDIR"; exit 1; }
		cp -f "$NODEDIR/package-lock.json" \
		    "$NODEDIR/node_modules/.pw-lockfile"
	fi
}
