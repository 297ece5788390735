#!/bin/bash
# tests/sd/run.sh: procwatch under a real systemd.  Boots Debian 12 with
# systemd as PID 1 in systemd-nspawn (sharing this machine's network
# namespace, so the process connector works, with every capability),
# three times:
#   1. a root with scripts/deps.sh run, where the project is built and
#      installed as the README says a user does (deps.sh, autoreconf,
#      configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var,
#      make, make install), then tests/sd/checks.sh boot1 runs inside as
#      a oneshot unit and powers off;
#   2. the same root booted again: tests/sd/checks.sh boot2 (what must
#      survive a reboot);
#   3. a fresh copy of the plain Debian root: the .deb built here with
#      dpkg-buildpackage is installed with apt, checked and purged
#      (tests/sd/deb.sh).
# Each check prints "ok - ..." or "not ok - ..."; the exit status is 0
# only when every check passed.
#
# usage (as root, from anywhere): tests/sd/run.sh
#   PW_SD_CACHE   cache directory (default /var/tmp/procwatch-sdtest): the
#                 debootstrapped root and the root with deps.sh's packages,
#                 each keyed by a hash of what made it, so a change to
#                 deps.sh or to the package list here rebuilds it.
#   PW_STRICT=1   an environment that cannot run this is a failure (exit
#                 1), not a skip (exit 77).
#   PW_SD_KEEP=1  keep the run's root and logs in $PW_SD_CACHE/run.
# Logs: $PW_SD_CACHE/run/*.log (kept after a failure).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${PW_SD_CACHE:-/var/tmp/procwatch-sdtest}
run=$cache/run
t_start=$(date +%s)

say() { echo "sd: $*"; }
# An environment that cannot boot a container: skip, or fail under PW_STRICT.
cannot() {
	say "cannot run the systemd stage: $*"
	if [ "${PW_STRICT:-0}" = 1 ]; then
		say "PW_STRICT=1: that is a failure"
		exit 1
	fi
	exit 77
}
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || cannot "needs root (debootstrap, mounts, systemd-nspawn)"
# In a chroot (a CI runner may be one) "/" is no mount point, and nspawn
# fails making it a slave mount ("Failed to mount n/a on /: Invalid
# argument").  Then it runs from a bind mount of "/" in a mount namespace
# of its own, which is one (the exec chain keeps timeout's pid nspawn's).
if mountpoint -q /; then
	NSPAWN=(systemd-nspawn)
else
	NSPAWN=(unshare -m --propagation unchanged sh -c 'mkdir -p /run/pw-sd-root &&
	    mount --rbind / /run/pw-sd-root &&
	    exec chroot /run/pw-sd-root systemd-nspawn "$@"' sh)
fi
for t in systemd-nspawn debootstrap dpkg-buildpackage flock; do
	command -v "$t" >/dev/null ||
	    cannot "$t not found (scripts/deps.sh installs systemd-container, debootstrap, debhelper)"
done
mkdir -p "$cache" || cannot "cannot create $cache"
# One run at a time: the containers share this machine's 127.0.0.1:9717.
exec 9>"$cache/lock"
flock -w 1800 9 || fail "another run holds $cache/lock"

# --- mounts and cleanup ---------------------------------------------------
umount_under() {	# DIR: everything mounted at or below it, deepest first
	local m
	for m in $(awk -v r="$1" '$2 == r || index($2, r "/") == 1 {print $2}' \
	    /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}
cleanup() {
	local rc=$?
	[ -n "${NSPAWN_PID:-}" ] && kill "$NSPAWN_PID" 2>/dev/null
	umount_under "$run"
	if awk -v r="$run" 'index($2, r "/") == 1' /proc/mounts | grep -q .; then
		say "mounts remain under $run"
	elif [ "$rc" = 0 ] && [ "${PW_SD_KEEP:-0}" != 1 ]; then
		rm -rf "$run"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# chroot_run ROOT COMMAND: COMMAND under bash in ROOT (not booted), with
# /proc and /dev, in a clean environment.
chroot_run() {
	local root=$1 rc
	shift
	mount -t proc proc "$root/proc" &&
	    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" ||
	    return 1
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    DEBIAN_FRONTEND=noninteractive bash -c "$*" </dev/null
	rc=$?
	umount_under "$root/dev"
	umount_under "$root/proc"
	return "$rc"
}

# What a new machine here gets besides the Debian mirror: the resolver and
# this machine's CA bundle (a proxy's CA, if any).
host_files() {
	cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null
	mkdir -p "$1/etc/ssl/certs" "$1/usr/local/share/ca-certificates"
	cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/" 2>/dev/null
	cp /usr/local/share/ca-certificates/*.crt \
	    "$1/usr/local/share/ca-certificates/" 2>/dev/null
	return 0
}

# --- the cached roots -------------------------------------------------------
# base: debootstrap minbase with systemd and what the checks use (curl,
# jq, python3 for a Python process to profile).  dev: base with
# scripts/deps.sh run in it.  The directory names carry the hashes.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' \
    /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
include=systemd,systemd-sysv,dbus,curl,ca-certificates,python3,jq,procps,less
base_key=$(printf 'v1 bookworm minbase %s %s %s\n' "$include" "$mirror" \
    "$(dpkg --print-architecture)" | sha256sum | cut -c1-12)
dev_key=$(cat "$top/scripts/deps.sh" - <<<"$base_key" | sha256sum | cut -c1-12)
base=$cache/base-$base_key
dev=$cache/dev-$dev_key
for d in "$cache"/base-* "$cache"/dev-*; do	# stale: made from other inputs
	[ -d "$d" ] || continue
	[ "$d" = "$base" ] || [ "$d" = "$dev" ] || { say "removing stale $d"; rm -rf "$d"; }
done
umount_under "$run"
rm -rf "$run"
mkdir -p "$run"

if [ ! -f "$base/.ok" ]; then
	say "debootstrap of Debian 12 into $base (once; log $run/debootstrap.log)"
	rm -rf "$base" "$dev"
	debootstrap --variant=minbase --include="$include" bookworm "$base" \
	    "$mirror" >"$run/debootstrap.log" 2>&1 ||
	    { tail -5 "$run/debootstrap.log"; fail "debootstrap failed"; }
	# No getty, no network configuration: the container shares ours.
	rm -f "$base"/etc/systemd/system/getty.target.wants/* 2>/dev/null
	touch "$base/.ok"
fi
if [ ! -f "$dev/.ok" ]; then
	say "scripts/deps.sh into $dev (once per deps.sh; log $run/deps.log)"
	rm -rf "$dev"
	cp -a "$base" "$dev" && host_files "$dev" && mkdir -p "$dev/tmp/deps" &&
	    cp "$top/scripts/deps.sh" "$dev/tmp/deps/" || fail "cannot copy $base"
	chroot_run "$dev" '/tmp/deps/deps.sh && apt-get clean' >"$run/deps.log" 2>&1 ||
	    { tail -20 "$run/deps.log"; fail "scripts/deps.sh failed in the root"; }
	rm -rf "$dev/tmp/deps"
	touch "$dev/.ok"
fi

# new_root LOWER NAME: a writable root at $run/NAME over LOWER (overlayfs;
# a copy where overlayfs cannot be mounted).
new_root() {
	local r=$run/$2
	mkdir -p "$r" "$run/$2.up" "$run/$2.wk"
	if ! mount -t overlay overlay -o "lowerdir=$1,upperdir=$run/$2.up,workdir=$run/$2.wk" "$r" 2>/dev/null; then
		say "no overlayfs here: copying $1"
		cp -a "$1/." "$r/" || return 1
	fi
	host_files "$r"
}

# boot ROOT NAME: boot ROOT with systemd; /root/sd/checks.service runs
# /root/sd/$NAME inside and powers off.  Prints what it wrote; returns its
# exit status (1 when it wrote none).
boot() {
	local root=$1 name=$2 rc
	mkdir -p "$root/root/sd"
	rm -f "$root/root/sd/out" "$root/root/sd/rc"
	cat >"$root/etc/systemd/system/sd-checks.service" <<EOF
[Unit]
Description=procwatch checks under systemd ($name)
After=multi-user.target
[Service]
Type=oneshot
StandardOutput=journal
ExecStart=/bin/bash -c '/root/sd/$name >/root/sd/out 2>&1; echo \$? >/root/sd/rc; systemctl --no-block poweroff'
[Install]
WantedBy=multi-user.target
EOF
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sf /etc/systemd/system/sd-checks.service \
	    "$root/etc/systemd/system/multi-user.target.wants/sd-checks.service"
	say "booting systemd in $root ($name); log $run/boot-$name.log"
	# --register=no --keep-unit: no systemd on this machine to talk to.
	timeout 900 "${NSPAWN[@]}" -D "$root" --register=no --keep-unit \
	    --capability=all --machine="pw-sd-$name" -b \
	    </dev/null >"$run/boot-$name.log" 2>&1 &
	NSPAWN_PID=$!
	wait "$NSPAWN_PID"
	rc=$?
	NSPAWN_PID=
	if [ ! -f "$root/root/sd/rc" ]; then
		tail -30 "$run/boot-$name.log"
		cat "$root/root/sd/out" 2>/dev/null
		say "systemd-nspawn exited $rc and the checks left no result"
		if ! grep -q 'Reached target.*Multi-User\|multi-user.target' "$run/boot-$name.log"; then
			cannot "the container did not boot (systemd-nspawn exit $rc, log $run/boot-$name.log)"
		fi
		return 1
	fi
	cat "$root/root/sd/out"
	return "$(cat "$root/root/sd/rc")"
}

# copy_source DEST: the project's tracked files as they are in this tree
# (so it works in a clean clone, and a change not yet committed is
# tested); a tree without git is copied without its build directories.
copy_source() {
	mkdir -p "$1"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z |
		    tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
		    tar -xf - -C "$1"
	else
		tar -C "$top" --exclude=./build --exclude=./autom4te.cache \
		    -cf - . | tar -xf - -C "$1"
	fi
}

# Nothing may answer on 9717 already: the container shares this machine's
# network, and the checks would talk to it.  Wait a while for it to go.
port_busy() { command -v ss >/dev/null && ss -Hltn 'sport = :9717' | grep -q .; }
for _ in $(seq 60); do port_busy || break; sleep 2; done
port_busy && cannot "something on this machine listens on 127.0.0.1:9717 (the unit's port): $(ss -Hltnp 'sport = :9717' | head -1)"

status=0

# --- 1 and 2: built and installed as a user does -----------------------------
new_root "$dev" src || fail "cannot make a root over $dev"
root=$run/src
mkdir -p "$root/src/project"
copy_source "$root/src/project" || fail "cannot copy the project"
say "building and installing inside (deps.sh, autoreconf, configure, make -j$(nproc), make install); log $run/build.log"
t0=$(date +%s)
chroot_run "$root" 'set -e; cd /src/project
	./scripts/deps.sh
	autoreconf -fi
	./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var
	make -j"$(nproc)"
	make install
	# the stall plugin of tests/e2e/notify.sh, for the watchdog check
	make tests/e2e/plugin_stall.la
	install -D -m 0644 tests/e2e/.libs/plugin_stall.so /usr/local/lib/procwatch-test/plugin_stall.so' \
	    >"$run/build.log" 2>&1 || { tail -30 "$run/build.log"; fail "build or install failed inside"; }
say "built and installed in $(( $(date +%s) - t0 )) s"
mkdir -p "$root/root/sd"
install -m 0755 "$top/tests/sd/checks.sh" "$root/root/sd/checks.sh"
printf '#!/bin/sh\nexec /root/sd/checks.sh boot1\n' >"$root/root/sd/boot1"
printf '#!/bin/sh\nexec /root/sd/checks.sh boot2\n' >"$root/root/sd/boot2"
chmod 0755 "$root/root/sd/boot1" "$root/root/sd/boot2"
t0=$(date +%s)
boot "$root" boot1 || status=1
say "first boot: $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
boot "$root" boot2 || status=1
say "second boot: $(( $(date +%s) - t0 )) s"
umount_under "$root"

# --- 3: the Debian package in a fresh system --------------------------------
say "dpkg-buildpackage -us -uc -b here; log $run/deb-build.log"
t0=$(date +%s)
mkdir -p "$run/pkg/procwatch"
copy_source "$run/pkg/procwatch" || fail "cannot copy the project"
(cd "$run/pkg/procwatch" && dpkg-buildpackage -us -uc -b -j"$(nproc)") \
    >"$run/deb-build.log" 2>&1 || { tail -30 "$run/deb-build.log"; fail "dpkg-buildpackage failed"; }
say "packages built in $(( $(date +%s) - t0 )) s: $(cd "$run/pkg" && echo *.deb)"
new_root "$base" deb || fail "cannot make a root over $base"
mkdir -p "$run/deb/root/sd"
cp "$run/pkg/procwatch_"*.deb "$run/pkg/libprocwatch0_"*.deb "$run/deb/root/sd/" ||
    fail "no procwatch_*.deb or libprocwatch0_*.deb"
install -m 0755 "$top/tests/sd/deb.sh" "$run/deb/root/sd/deb.sh"
t0=$(date +%s)
boot "$run/deb" deb.sh || status=1
say "package boot: $(( $(date +%s) - t0 )) s"
umount_under "$run/deb"

say "$( [ "$status" = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - t_start )) s"
exit "$status"
