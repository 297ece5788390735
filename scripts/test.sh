#!/bin/sh
# test.sh: install what is needed, build with -Werror and run every test;
# then procwatch under a real systemd (tests/sd/run.sh); then the whole
# suite again under AddressSanitizer+UBSan and under ThreadSanitizer, the
# end-to-end tests with the daemon under valgrind, a
# short fuzz run of every harness, and make distcheck.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
autoreconf -fi >/dev/null
jobs=$(nproc)
# Root and every package above are here: a test that cannot run what it
# claims fails (tests/e2e/lib.sh's skip and skip_part), it is not skipped.
export PW_STRICT=1

# no_skips DIR: after a make check in DIR, print how many tests it skipped
# and fail, naming them, if that is not 0.
no_skips() {
	n=$(sed -n 's/^# SKIP: *\([0-9]*\).*/\1/p' "$1/test-suite.log" | head -1)
	echo "$1: ${n:-?} test(s) skipped"
	[ "${n:-x}" = 0 ] && return 0
	echo "a skipped test is an error here:"
	grep '^SKIP: ' "$1/test-suite.log" || true
	exit 1
}

echo "== plain build, -Werror: make check"
mkdir -p build/plain
(cd build/plain && ../../configure --enable-werror >/dev/null &&
    make -s -j"$jobs" && make -s -j"$jobs" check ||
    { cat test-suite.log 2>/dev/null; exit 1; })
no_skips build/plain

echo "== under a real systemd: Debian 12 booted in systemd-nspawn (tests/sd/run.sh)"
# make install and the unit as a user runs them, then the .deb installed
# and purged; an environment that cannot boot it fails (PW_STRICT=1).
./tests/sd/run.sh

echo "== ASan+UBSan build: the whole suite, unit and end-to-end"
mkdir -p build/asan
(cd build/asan && ../../configure --enable-werror --enable-sanitizers \
    >/dev/null && make -s -j"$jobs" &&
    make -s -j"$jobs" check ||
    { cat test-suite.log 2>/dev/null; exit 1; })
no_skips build/asan

echo "== ThreadSanitizer build: the whole suite, unit and end-to-end"
# TSan's fixed shadow layout cannot take every mmap a kernel with many
# bits of ASLR (vm.mmap_rnd_bits) hands out ("unexpected memory
# mapping"): run the suite with randomization off where setarch can.
norand=
if setarch "$(uname -m)" -R true 2>/dev/null; then
	norand="setarch $(uname -m) -R"
fi
mkdir -p build/tsan
(cd build/tsan && ../../configure --enable-werror \
    --enable-sanitizers=thread >/dev/null && make -s -j"$jobs" &&
    $norand make -s -j"$jobs" check ||
    { cat test-suite.log 2>/dev/null; exit 1; })
no_skips build/tsan

echo "== end-to-end tests with procwatchd under valgrind"
(cd build/plain && PW_BUILDDIR=$PWD PW_SRCDIR=$PWD/../.. \
    PROMTOOL=$(command -v promtool) ../../tests/e2e/valgrind.sh)

echo "== fuzz smoke run (30 s per harness; long runs: fuzz/run.sh 3600)"
./fuzz/run.sh 30 "$PWD/build/fuzz"

echo "== make distcheck"
(cd build/plain && make -s distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror \
    >distcheck.log 2>&1 || { tail -50 distcheck.log; exit 1; })
echo "all tests passed"
