#!/bin/sh
# deps.sh: install the Debian 12 packages procwatch builds, runs and tests
# with.  Each one is there on purpose:
#   build-essential autoconf automake libtool pkg-config  the Autotools build
#   libmicrohttpd-dev   the embedded HTTP server (api/)
#   libcjson-dev        JSON for the config and the API
#   libproc2-dev        procps-ng 4: naming and describing processes (lib/)
#   libcurl4-openssl-dev  webhook delivery and procwatchctl
#   libcmocka-dev       unit tests
#   libssl-dev          HMAC-SHA256 signatures of webhook bodies (libcrypto)
#   openssl             the alert end-to-end test verifies those signatures
#   curl jq             the end-to-end tests talk to the daemon with curl
#   iproute2            ss: hostile.sh counts the connections it holds open
#   prometheus          promtool, to check /metrics in the tests
#   prometheus-alertmanager  a real Alertmanager for the e2e test of the
#                       "alertmanager" receiver format (tests/e2e/alertmanager.sh)
#   valgrind            the daemon's end-to-end tests run under it too
#   clang libclang-rt-14-dev  libFuzzer for the fuzz harnesses (fuzz/)
#   libsystemd-dev      sd_notify (optional: a built-in sender is the fallback)
#   systemd             systemd-analyze, to verify and rate the unit in tests
#   groff-base mandoc   the man page tests (groff -ww, mandoc -T lint)
#   libjs-dygraphs      the dashboard's charts, served from its directory
#   libdw-dev libelf-dev  elfutils: unwinding and symbolizing stacks for
#                       on-demand profiles (lib/profile.c)
#   libzstd-dev zlib1g-dev  the on-disk history: records compressed with
#                       zstd, checksummed with zlib's crc32 (lib/history.c)
#   libsqlite3-dev      bench/hist_bench.c measures the history against
#                       SQLite (WAL) on the same data (bench only)
#   libprotobuf-c-dev protobuf-c-compiler libsnappy-dev  Prometheus remote
#                       write: protobuf messages (protoc-c makes their C from
#                       daemon/prompb/remote.proto at build time), snappy
#                       block compression, as the protocol requires
#   libcap2-bin         capsh: the profile test drops CAP_SYS_PTRACE
#   smem                the PSS test compares procwatchd's sum with smem's
#   chromium            the dashboard's browser tests (headless)
#   systemd-container debootstrap  the systemd stage (tests/sd/run.sh):
#                       boot Debian 12 with systemd as PID 1 in
#                       systemd-nspawn, its root made by debootstrap
#   debhelper           dpkg-buildpackage, for that stage's .deb test
#   nodejs npm          run those tests with playwright-core from npm (only
#                       if no node/npm is installed: keep a newer Node.js)
set -e
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libmicrohttpd-dev libcjson-dev libproc2-dev libcurl4-openssl-dev \
	libcmocka-dev libssl-dev openssl curl jq iproute2 ca-certificates prometheus valgrind procps \
	prometheus-alertmanager \
	libsystemd-dev systemd groff-base mandoc \
	libjs-dygraphs chromium clang libclang-rt-14-dev \
	libdw-dev libelf-dev libcap2-bin libzstd-dev zlib1g-dev smem \
	libsqlite3-dev libprotobuf-c-dev protobuf-c-compiler libsnappy-dev \
	systemd-container debootstrap debhelper \
	>/dev/null
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
