#!/bin/sh
# test_layout.sh: no C file of lib/, api/ or daemon/ over 1,000 lines
# (ARCHITECTURE.md: one module per file pair, each with one job; a file
# that grows past it is two modules waiting to be split).  Generated
# sources (daemon/prompb/) are not ours and not counted.
: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$PW_SRCDIR" || exit 99
over=$(wc -l lib/*.c api/*.c daemon/*.c | awk '$2 != "total" && $1 > 1000 { print "  " $2 ": " $1 " lines" }')
n=$(ls lib/*.c api/*.c daemon/*.c | wc -l)
if [ -n "$over" ]; then
	echo "not ok - C files over 1,000 lines:"
	echo "$over"
	exit 1
fi
echo "ok - $n C files in lib/, api/ and daemon/, none over 1,000 lines"
