#!/bin/bash
# valgrind.sh: the end-to-end scripts that start procwatchd, again with the
# daemon under valgrind memcheck.  Any memory error, or a definite or
# indirect leak, makes the daemon exit 99: lib.sh's stop_daemon then fails
# the script (PW_VALGRIND=1) and prints memcheck's report, and finish stops
# a daemon still running so that none escapes the check.
#
# Run under valgrind (every script that starts the daemon, but those below):
#   run reload alerts notify alertmanager custom profile tls events
#   targets groupstats cgroup oom stats ctl hostile churn notifier
#   api_paths shipped signing redact delay pss quiet remote_write otlp
#   history history_disk history_rollup history_alerts
# Not run under valgrind:
#   browser  (a headless chromium and npm under a 20-50x slower daemon:
#            its page timeouts are the browser's, and it adds no daemon
#            code path the curl-driven scripts do not already run)
#   budget   (it checks the descriptor budget against RLIMIT_NOFILE, and
#            valgrind lowers the limit its client sees to keep descriptors
#            of its own, so the figure under test is valgrind's)
#   install  (the same daemon, installed into a scratch tree)
#   flood    (its point is timing under load: answers within 1 s while
#            5,000 connections churn; a 20-50x slower daemon cannot keep
#            up with that; hostile.sh, which is run, takes the same
#            path of cutting the longest-waiting connection with its
#            1,000 connections past max_connections)
# systemd.sh and man.sh do not start the daemon.
#
# The environment passes through (PW_BUILDDIR, PW_SRCDIR, PROMTOOL,
# PW_STRICT); PW_VALGRIND_SCRIPTS="run tls" runs only those.  Each script's
# output is shown when it fails or skips; a total ends the run, and the
# exit status is 1 if any script failed.
here=$(cd "$(dirname "$0")" && pwd)
export PW_VALGRIND=1
export PW_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --num-callers=30 --suppressions=$here/valgrind.supp"

SCRIPTS=${PW_VALGRIND_SCRIPTS:-"run reload alerts notify alertmanager custom
    profile tls events targets groupstats cgroup oom stats ctl hostile churn
    notifier api_paths shipped signing redact delay pss quiet remote_write
    otlp history history_disk history_rollup history_alerts"}

out=$(mktemp -d "${TMPDIR:-/tmp}/pw-valgrind.XXXXXX")
trap 'rm -rf "$out"' EXIT
pass="" fail="" skipped=""
t0=$(date +%s)
for s in $SCRIPTS; do
	t=$(date +%s)
	"$here/$s.sh" >"$out/$s.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t))
	summary=$(tail -1 "$out/$s.log")
	case $rc in
	0)	pass="$pass $s"
		echo "PASS: $s ($secs s): $summary"
		grep '^# SKIP' "$out/$s.log" | sed 's/^/    /';;
	77)	skipped="$skipped $s"
		echo "SKIP: $s ($secs s)"
		sed 's/^/    /' "$out/$s.log";;
	*)	fail="$fail $s"
		echo "FAIL: $s ($secs s, exit $rc)"
		sed 's/^/    /' "$out/$s.log";;
	esac
done
n() { echo $#; }
echo "valgrind: $(n $pass) passed, $(n $fail) failed, $(n $skipped) skipped" \
    "in $(($(date +%s) - t0)) s${fail:+; failed:$fail}${skipped:+; skipped:$skipped}"
[ -z "$fail" ]
