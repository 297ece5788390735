#!/bin/sh
# fuzz/run.sh: build the libFuzzer harnesses with clang and run each one.
#
#   fuzz/run.sh [SECONDS] [OUTDIR]     default 60 s each, OUTDIR build/fuzz
#
# The seed corpus is fuzz/corpus/<harness>/; new inputs go to a scratch
# copy under OUTDIR, so the source tree stays read-only.  Exits non-zero
# on the first crash, leak or sanitizer report (the reproducer is left in
# OUTDIR).  Prints executions per harness.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
out=${2:-$top/build/fuzz}
mkdir -p "$out"
CC=${CLANG:-clang}
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -I$top/lib/include -I$top/lib -I$top"
LIB=$(ls "$top"/lib/*.c)	# every lib/ module: harnesses link the whole engine
LIBS="-lproc2 -lcjson $(pkg-config --libs libdw) -lzstd -lz -ldl -lm -lpthread"

build() {	# build NAME SOURCES...
	name=$1; shift
	# shellcheck disable=SC2086
	$CC $CFLAGS -o "$out/$name" "$@" $LIB $LIBS
}
build fuzz_config "$top/fuzz/fuzz_config.c" "$top"/daemon/config*.c "$top/daemon/log.c"
build fuzz_params "$top/fuzz/fuzz_params.c" "$top/api/params.c" "$top/api/json.c" \
	"$top/api/catalogue.c"
build fuzz_prom "$top/fuzz/fuzz_prom.c" "$top/api/prom.c" "$top/api/json.c" \
	"$top/api/buf.c" "$top/api/catalogue.c"
build fuzz_procfs "$top/fuzz/fuzz_procfs.c"
build fuzz_events "$top/fuzz/fuzz_events.c"
build fuzz_history "$top/fuzz/fuzz_history.c"
build fuzz_smaps "$top/fuzz/fuzz_smaps.c"
[ "$secs" = 0 ] && exit 0

for h in config params prom procfs events history smaps; do
	rm -rf "$out/corpus-$h"
	cp -r "$top/fuzz/corpus/$h" "$out/corpus-$h"
	if ! (cd "$out" && "./fuzz_$h" -max_total_time="$secs" -max_len=4096 \
	    -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	    "corpus-$h" >"fuzz_$h.log" 2>&1); then
		tail -40 "$out/fuzz_$h.log"
		echo "fuzz_$h: FAILED"
		exit 1
	fi
	printf 'fuzz_%-7s %s executions in %s s, 0 crashes\n' "$h" \
	    "$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz_$h.log")" "$secs"
done
