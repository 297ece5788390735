#!/bin/sh
# test.sh: install what is needed, build with -Werror and run every test;
# then the whole suite again under AddressSanitizer+UBSan, the end-to-end
# tests with the daemon under valgrind, a short fuzz run of every harness,
# and make distcheck.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
autoreconf -fi >/dev/null
jobs=$(nproc)

echo "== plain build, -Werror: make check"
mkdir -p build/plain
(cd build/plain && ../../configure --enable-werror >/dev/null &&
    make -s -j"$jobs" && make -s -j"$jobs" check ||
    { cat test-suite.log 2>/dev/null; exit 1; })

echo "== ASan+UBSan build: the whole suite, unit and end-to-end"
mkdir -p build/asan
(cd build/asan && ../../configure --enable-werror --enable-sanitizers \
    >/dev/null && make -s -j"$jobs" &&
    make -s -j"$jobs" check ||
    { cat test-suite.log 2>/dev/null; exit 1; })

echo "== end-to-end tests with procwatchd under valgrind"
(cd build/plain && PW_BUILDDIR=$PWD PW_SRCDIR=$PWD/../.. \
    PROMTOOL=$(command -v promtool) ../../tests/e2e/valgrind.sh)

echo "== fuzz smoke run (30 s per harness; long runs: fuzz/run.sh 3600)"
./fuzz/run.sh 30 "$PWD/build/fuzz"

echo "== make distcheck"
(cd build/plain && make -s distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror \
    >distcheck.log 2>&1 || { tail -50 distcheck.log; exit 1; })
echo "all tests passed"
