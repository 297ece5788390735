#!/bin/bash
# tests/sd/deb.sh: run by tests/sd/run.sh inside a fresh Debian 12
# container (debootstrap minbase with systemd, booted), as root, with the
# procwatch and libprocwatch0 packages built by dpkg-buildpackage in
# /root/sd.  `apt install` them as a user does; the service must be
# enabled, active and answering on 127.0.0.1:9717; `apt purge` must leave
# none of their files, no state directory, no user and no unit.
set -u
API=http://127.0.0.1:9717
fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; return 1; }
note() { echo "# $*"; }
# jqe JQ-ARGS...: the filter yields true (jq -e takes empty input as true)
jqe() { local out; out=$(jq "$@" 2>/dev/null) && [ "$out" = true ]; }
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
export DEBIAN_FRONTEND=noninteractive
cd /root/sd || exit 1
note "packages: $(echo ./*.deb)"

passwd0=$(cut -d: -f1 /etc/passwd /etc/group | sort)
apt-get update -qq >/tmp/apt.log 2>&1
check "apt install ./procwatch_*.deb ./libprocwatch0_*.deb" \
    sh -c 'apt-get install -y -q ./procwatch_*.deb ./libprocwatch0_*.deb >>/tmp/apt.log 2>&1' ||
    tail -20 /tmp/apt.log | sed 's/^/#   /'
check "the unit is enabled" [ "$(systemctl is-enabled procwatchd 2>&1)" = enabled ]
check "the service is active" [ "$(systemctl is-active procwatchd 2>&1)" = active ]
for _ in $(seq 50); do curl -sf "$API/healthz" >/tmp/healthz.json 2>/dev/null && break; sleep 0.2; done
note "healthz: $(cat /tmp/healthz.json 2>/dev/null)"
check "it answers on 127.0.0.1:9717 (/healthz)" jqe '.status == "ok"' /tmp/healthz.json
check "it watches every process" jqe '.processes > 1' /tmp/healthz.json
check "/etc/procwatch/procwatchd.json is a conffile" \
    sh -c "dpkg-query -W -f='\${Conffiles}' procwatch | grep -q /etc/procwatch/procwatchd.json"
check "the doc dir has the drop-ins and the example" \
    test -f /usr/share/doc/procwatch/events.conf -a -f /usr/share/doc/procwatch/profiling.conf \
    -a -f /usr/share/doc/procwatch/examples/procwatchd.example.json
check "the state directory exists" test -d /var/lib/private/procwatch
e=$(journalctl -u procwatchd -p warning --no-pager -q -o cat)
check "journalctl -u procwatchd -p warning is empty" [ -z "$e" ] || echo "$e" | sed 's/^/#   /'

# What the packages own, listed before the purge.
dpkg -L procwatch libprocwatch0 | sort -u >/tmp/owned
note "$(wc -l </tmp/owned) paths owned by procwatch and libprocwatch0"
check "apt purge procwatch libprocwatch0" \
    sh -c 'apt-get purge -y -q procwatch libprocwatch0 >>/tmp/apt.log 2>&1' ||
    tail -20 /tmp/apt.log | sed 's/^/#   /'
left=
while read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	# directories shared with other packages (/usr, /lib, /usr/share/man/man8...)
	# stay; one of ours would be empty
	[ -d "$f" ] && [ -n "$(ls -A "$f")" ] && continue
	left="$left $f"
done </tmp/owned
check "purge leaves none of the packages' files${left:+ (left:$left)}" [ -z "$left" ]
for p in /etc/procwatch /var/lib/procwatch /var/lib/private/procwatch \
    /usr/share/doc/procwatch /lib/systemd/system/procwatchd.service \
    /etc/systemd/system/multi-user.target.wants/procwatchd.service; do
	check "purge removes $p" sh -c "[ ! -e '$p' ] && [ ! -L '$p' ]"
done
check "no unit procwatchd.service is left" \
    sh -c "! systemctl list-unit-files procwatchd.service | grep -q procwatchd"
check "the service is not running" sh -c "! systemctl is-active -q procwatchd"
check "nothing answers on 127.0.0.1:9717" sh -c "! curl -sf $API/healthz >/dev/null 2>&1"
passwd1=$(cut -d: -f1 /etc/passwd /etc/group | sort)
check "no user or group is left behind" [ "$passwd0" = "$passwd1" ] ||
    diff <(echo "$passwd0") <(echo "$passwd1") | sed 's/^/#   /'
exit "$fail"
