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

echo "== ASan+UBSan build: the whole suite, unit and end-to-end"
mkdir -p build/asan
(cd build/asan && ../../configure --enable-werror --enable-sanitizers \
    >/dev/null && make -s -j"$jobs" &&
    make -s -j"$jobs" check ||
    { cat test-suite.log 2>/dev/null; exit 1; })
no_skips build/asan

echo "== end-to-end tests with procwatchd under valgrind"
(cd build/plain && PW_BUILDDIR=$PWD PW_SRCDIR=$PWD/../.. \
    PROMTOOL=$(command -v promtool) ../../tests/e2e/valgrind.sh)

echo "== fuzz smoke run (30 s per harness; long runs: fuzz/run.sh 3600)"
./fuzz/run.sh 30 "$PWD/build/fuzz"

echo "== make distcheck"
(cd build/plain && make -s distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror \
    >distcheck.log 2>&1 || { tail -50 distcheck.log; exit 1; })
echo "all tests passed"
