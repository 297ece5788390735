#!/bin/bash
# tests/e2e/sd/profile.sh: on-demand profiling under the shipped unit and
# a real systemd.  Not part of `make check` (it needs a booted systemd):
# tests/sd/checks.sh runs it inside the Debian 12 container that
# tests/sd/run.sh (scripts/test.sh's systemd stage) boots, where the
# project is installed with `make install` and its source is in
# /src/project.  It runs as root there.
#
# Checks: without the drop-in, POST .../profile is a 403 naming the seccomp
# filter; with systemd/profiling.conf (as installed in the doc directory)
# the unit's exposure stays at or under 2.5, and busy Python loops (as root
# and as nobody) and a busy C loop profile with samples and named
# functions; the C loop run from /tmp and /root, which the unit's
# PrivateTmp=/ProtectHome= hide, is still sampled (its frames unnamed).
# Prints `systemd-analyze security` before and after, and what
# ProtectHome=read-only would change.  With SD_PROFILE_BISECT=1 (or when
# the drop-in fails) it also tries each candidate relaxation on its own
# and reports which help.
set -u
API=http://127.0.0.1:9717
DROPIN_DIR=/etc/systemd/system/procwatchd.service.d
SRC=/src/project
fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }
note() { echo "# $*"; }

conf=/usr/share/doc/procwatch/profiling.conf
[ -f "$conf" ] || { note "not installed in the doc dir: using $SRC/systemd/profiling.conf"; conf=$SRC/systemd/profiling.conf; }

restart() {
	systemctl daemon-reload
	systemctl restart procwatchd || { journalctl -u procwatchd -n 20 --no-pager; return 1; }
	for _ in $(seq 50); do
		curl -sf "$API/healthz" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# profile PID SECONDS HZ: POST, wait, leave the JSON in /tmp/prof.json
# and the folded stacks in /tmp/folded.txt; the HTTP code of the POST in
# /tmp/code.  Returns 1 when the POST was not accepted.
profile() {
	local code id
	code=$(curl -s -o /tmp/start.json -w '%{http_code}' -XPOST \
	    -H 'Content-Type: application/json' \
	    -d "{\"seconds\":$2,\"hz\":$3}" "$API/api/v1/processes/$1/profile")
	echo "$code" >/tmp/code
	[ "$code" = 202 ] || return 1
	id=$(jq -r .id /tmp/start.json)
	for _ in $(seq $((($2 + 10) * 5))); do
		curl -s "$API/api/v1/profiles/$id" >/tmp/prof.json
		[ "$(jq -r .status /tmp/prof.json)" != running ] && break
		sleep 0.2
	done
	curl -s "$API/api/v1/profiles/$id/folded" >/tmp/folded.txt
}

summary() {
	jq -c '{status, error, samples: .summary.samples, lost: .summary.samples_lost, top: [.summary.top_self[:3][]?.function]}' /tmp/prof.json
}

security() {
	systemd-analyze security --no-pager procwatchd | tail -1
}

# A busy C loop with two named functions, at PATH.
build_spin() {
	mkdir -p "$(dirname "$1")"
	cat >/tmp/spin.c <<'C'
static volatile unsigned long n;
__attribute__((noinline)) static void spin_inner(void) { for (int i = 0; i < 1000; i++) n++; }
__attribute__((noinline)) static void spin_outer(void) { for (;;) spin_inner(); }
int main(void) { spin_outer(); }
C
	cc -O1 -fno-omit-frame-pointer -o "$1" /tmp/spin.c
}

note "procwatch $(procwatchd --version 2>&1 | head -1); systemd $(systemctl --version | head -1)"
note "kernel.yama.ptrace_scope: $(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo none)"
rm -rf "$DROPIN_DIR"
systemctl enable --now procwatchd >/dev/null 2>&1
restart || { not_ok "procwatchd starts"; exit 1; }
sec0=$(security); note "security, shipped unit: $sec0"
mp=$(systemctl show -p MainPID --value procwatchd)
note "procwatchd $mp: $(grep -E '^(Seccomp|CapEff|NoNewPrivs):' /proc/"$mp"/status | tr '\n\t' '  ')"

python3 -c 'while True: pass' &
PY=$!
setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c 'while True: pass' &
PY_NOBODY=$!
build_spin /usr/local/bin/pw-spin; /usr/local/bin/pw-spin & SPIN=$!
build_spin /tmp/pw-spin-tmp; /tmp/pw-spin-tmp & SPIN_TMP=$!
build_spin /root/pw-spin-home; /root/pw-spin-home & SPIN_HOME=$!
sleep 0.5

# 1. the shipped unit: the 403 names seccomp
profile "$PY" 1 49
code=$(cat /tmp/code)
note "without the drop-in: $code $(cat /tmp/start.json)"
[ "$code" = 403 ] && ok "without the drop-in: 403" || not_ok "without the drop-in: 403 (got $code)"
jq -e '.error | test("seccomp") and test("SystemCallFilter=") and test("profiling.conf")' /tmp/start.json >/dev/null &&
    ok "the 403 names the seccomp filter" || not_ok "the 403 names the seccomp filter"

# 2. with the drop-in
mkdir -p "$DROPIN_DIR"
cp "$conf" "$DROPIN_DIR/profiling.conf"
restart || not_ok "procwatchd restarts with the drop-in"
sec1=$(security); note "security, with profiling.conf: $sec1"
for e in "shipped unit:$sec0" "with profiling.conf:$sec1"; do
	n=$(echo "${e#*:}" | sed -n 's/.*procwatchd.service: \([0-9.]*\).*/\1/p')
	awk -v e="${n:-99}" 'BEGIN { exit !(e + 0 <= 2.5) }' &&
	    ok "${e%%:*}: exposure $n <= 2.5" || not_ok "${e%%:*}: exposure ${n:-none} <= 2.5"
done
systemd-analyze security --no-pager procwatchd | grep '✗' | sed 's/^/#   /'

# check NAME PID FUNC: a profile of PID has samples and FUNC in its stacks.
# Five busy loops on a loaded 2-CPU machine: a target not scheduled in
# time for a tick loses it (the summary counts them), so a few samples
# out of 147 ticks suffice to show the functions are named.
check() {
	if ! profile "$2" 3 49; then
		not_ok "$1: accepted (got $(cat /tmp/code) $(cat /tmp/start.json))"; return 1
	fi
	note "$1: $(summary)"
	if jq -e '.status == "done" and .summary.samples >= 10' /tmp/prof.json >/dev/null &&
	    grep -q "$3" /tmp/folded.txt; then
		ok "$1: samples, $3 named"; return 0
	fi
	not_ok "$1: samples, $3 named"; head -5 /tmp/folded.txt | sed 's/^/#   /'; return 1
}
good=1
check "python" "$PY" _PyEval_EvalFrameDefault || good=0
check "python as nobody" "$PY_NOBODY" _PyEval_EvalFrameDefault || good=0
check "C in /usr/local" "$SPIN" 'spin_outer;spin_inner' || good=0
# Executables the unit cannot see (PrivateTmp=, which DynamicUser= forces,
# and ProtectHome=): their stacks are still sampled and unwound through
# libc, but their own frames are not named.
check "C in /tmp (hidden by PrivateTmp=): unwound" "$SPIN_TMP" '__libc_start_main'
check "C in /root (hidden by ProtectHome=): unwound" "$SPIN_HOME" '__libc_start_main'
# What ProtectHome=read-only would buy (reported only, not shipped).
printf '[Service]\nProtectHome=read-only\n' >"$DROPIN_DIR/zz-home.conf"
if restart && profile "$SPIN_HOME" 1 49; then
	note "with ProtectHome=read-only as well, C in /root: $(summary)"
fi
rm -f "$DROPIN_DIR/zz-home.conf"
restart
journalctl -u procwatchd -n 10 --no-pager | sed 's/^/#   /'

# 3. what failing syscalls look like (strace, when it can be had)
if [ "$good" = 0 ] || [ -n "${SD_PROFILE_BISECT:-}" ]; then
	if command -v strace >/dev/null || apt-get install -y -qq strace >/dev/null 2>&1; then
		mp=$(systemctl show -p MainPID --value procwatchd)
		strace -f -qq -Z -p "$mp" -o /tmp/strace.txt & ST=$!
		sleep 1
		profile "$PY" 1 49; note "under strace: $(summary)"
		kill "$ST"; wait "$ST" 2>/dev/null
		note "failing system calls during a profile (strace -Z):"
		sed -E 's/^[0-9]+ +//; s/\(.*\) += -1/(...) = -1/' /tmp/strace.txt | sort | uniq -c | sort -rn | head -25 | sed 's/^/#   /'
	fi
	for extra in 'SystemCallFilter=@debug' 'ProtectHome=no' 'PrivateTmp=no' \
	    'ProtectSystem=no' 'MemoryDenyWriteExecute=no' 'RestrictNamespaces=no' \
	    'PrivateDevices=no' 'ProtectKernelTunables=no' 'LockPersonality=no' \
	    'SystemCallArchitectures=' 'NoNewPrivileges=no' 'PrivateMounts=no' \
	    'SystemCallFilter=' 'CapabilityBoundingSet=CAP_SYS_ADMIN
AmbientCapabilities=CAP_SYS_ADMIN' 'DynamicUser=no
User=root'; do
		printf '[Service]\n%s\n' "$extra" >"$DROPIN_DIR/zz-extra.conf"
		restart || { note "$extra: no restart"; continue; }
		profile "$PY" 1 49
		note "drop-in + $(echo "$extra" | tr '\n' ' '): $(summary)"
	done
	rm -f "$DROPIN_DIR/zz-extra.conf"
	printf '[Service]\nSystemCallFilter=\nDynamicUser=no\nUser=root\nProtectHome=no\nPrivateTmp=no\nProtectSystem=no\nPrivateDevices=no\nMemoryDenyWriteExecute=no\nRestrictNamespaces=no\nProtectKernelTunables=no\nPrivateMounts=no\nNoNewPrivileges=no\n' >"$DROPIN_DIR/zz-all.conf"
	restart && profile "$PY" 1 49 && note "everything relaxed: $(summary)"
	rm -f "$DROPIN_DIR/zz-all.conf"
	systemctl stop procwatchd
	procwatchd >/tmp/root.log 2>&1 & RP=$!
	sleep 2
	profile "$PY" 1 49 && note "as root outside the unit: $(summary)"
	kill "$RP"
fi

kill "$PY" "$PY_NOBODY" "$SPIN" "$SPIN_TMP" "$SPIN_HOME" 2>/dev/null
exit "$fail"
